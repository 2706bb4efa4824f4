//! The prover escrow: deposits, delayed withdrawals, bonds locked by claims.

use std::collections::BTreeMap;

use alloy::primitives::{Address, U256};
use fernet_bindings::errors::Errors;

use super::token::Token;
use crate::reverts::{Outcome, Revert};

/// One prover's balances, as `IProverEscrow.Account`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Account {
    /// Free to bond or withdraw.
    pub free: u128,
    /// Locked by open claims.
    pub locked: u128,
    /// Requested for withdrawal.
    pub pending_withdrawal: u128,
    /// When the pending withdrawal can be finalised.
    pub withdrawable_at: u64,
}

/// The escrow contract's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Escrow {
    /// Accounts per prover.
    pub accounts: BTreeMap<Address, Account>,
    /// Tokens held (free, locked, pending).
    pub total_deposits: u128,
    /// Tokens ever slashed.
    pub total_slashed: u128,
}

impl Escrow {
    /// The account of `prover` (zero when unknown).
    pub fn account(&self, prover: Address) -> Account {
        self.accounts.get(&prover).copied().unwrap_or_default()
    }

    fn account_mut(&mut self, prover: Address) -> &mut Account {
        self.accounts.entry(prover).or_default()
    }

    /// `deposit(prover, amount)` paid by `payer`.
    pub fn deposit(
        &mut self,
        token: &mut Token,
        payer: Address,
        prover: Address,
        amount: u128,
        this: Address,
    ) -> Outcome {
        if amount == 0 {
            return Err(Revert::of(Errors::Amount__Zero {}));
        }
        self.account_mut(prover).free += amount;
        self.total_deposits += amount;
        token.transfer(payer, this, amount)
    }

    /// `requestWithdrawal(amount)` by `prover`.
    pub fn request_withdrawal(
        &mut self,
        now: u64,
        delay: u64,
        prover: Address,
        amount: u128,
    ) -> Outcome {
        if amount == 0 {
            return Err(Revert::of(Errors::Amount__Zero {}));
        }
        let account = self.account_mut(prover);
        if account.free < amount {
            return Err(insufficient_free(prover, account.free, amount));
        }
        account.free -= amount;
        account.pending_withdrawal += amount;
        account.withdrawable_at = now + delay;
        Ok(())
    }

    /// `finalizeWithdrawal(recipient)` by `prover`.
    pub fn finalize_withdrawal(
        &mut self,
        token: &mut Token,
        now: u64,
        prover: Address,
        recipient: Address,
        this: Address,
    ) -> Outcome {
        let account = self.account(prover);
        if account.pending_withdrawal == 0 {
            return Err(Revert::of(Errors::ProverEscrow__NoPendingWithdrawal {
                prover,
            }));
        }
        if now < account.withdrawable_at {
            return Err(Revert::of(Errors::ProverEscrow__WithdrawalNotReady {
                prover,
                readyAt: U256::from(account.withdrawable_at),
                now_: U256::from(now),
            }));
        }
        let amount = account.pending_withdrawal;
        let account = self.account_mut(prover);
        account.pending_withdrawal = 0;
        account.withdrawable_at = 0;
        self.total_deposits -= amount;
        token.transfer(this, recipient, amount)
    }

    /// `lockBond(prover, amount)` by the rollup.
    pub fn lock_bond(&mut self, prover: Address, amount: u128) -> Outcome {
        let account = self.account_mut(prover);
        if account.free < amount {
            return Err(insufficient_free(prover, account.free, amount));
        }
        account.free -= amount;
        account.locked += amount;
        Ok(())
    }

    /// `releaseBond(prover, amount)` by the rollup.
    pub fn release_bond(&mut self, prover: Address, amount: u128) -> Outcome {
        let account = self.account_mut(prover);
        if account.locked < amount {
            return Err(insufficient_locked(prover, account.locked, amount));
        }
        account.locked -= amount;
        account.free += amount;
        Ok(())
    }

    /// `slashBond(prover, amount, recipient)` by the rollup.
    pub fn slash_bond(
        &mut self,
        token: &mut Token,
        prover: Address,
        amount: u128,
        recipient: Address,
        this: Address,
    ) -> Outcome {
        let account = self.account_mut(prover);
        if account.locked < amount {
            return Err(insufficient_locked(prover, account.locked, amount));
        }
        account.locked -= amount;
        self.total_deposits -= amount;
        self.total_slashed += amount;
        token.transfer(this, recipient, amount)
    }
}

fn insufficient_free(prover: Address, free: u128, requested: u128) -> Revert {
    Revert::of(Errors::ProverEscrow__InsufficientFreeBalance {
        prover,
        free: U256::from(free),
        requested: U256::from(requested),
    })
}

fn insufficient_locked(prover: Address, locked: u128, requested: u128) -> Revert {
    Revert::of(Errors::ProverEscrow__InsufficientLockedBalance {
        prover,
        locked: U256::from(locked),
        requested: U256::from(requested),
    })
}
