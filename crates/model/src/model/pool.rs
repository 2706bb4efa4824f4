//! The reward pool: credits capped by the pool's free balance, claims.

use std::collections::BTreeMap;

use alloy::primitives::Address;
use fernet_bindings::errors::Errors;

use super::token::Token;
use crate::reverts::{Outcome, Revert};

/// The reward pool's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pool {
    /// Rewards owed per account.
    pub owed: BTreeMap<Address, u128>,
    /// Sum of `owed`.
    pub total_owed: u128,
    /// Rewards the pool could not cover when they were credited (not a contract value: shows
    /// that the cap was reached).
    pub unpaid: u128,
}

impl Pool {
    /// Rewards owed to `account`.
    pub fn owed_to(&self, account: Address) -> u128 {
        self.owed.get(&account).copied().unwrap_or(0)
    }

    /// `credit(account, amount)` by the rollup: credits what the pool's free balance covers.
    pub fn credit(&mut self, token: &Token, this: Address, account: Address, amount: u128) -> u128 {
        let available = token.balance_of(this) - self.total_owed;
        let credited = amount.min(available);
        self.unpaid += amount - credited;
        if credited > 0 {
            *self.owed.entry(account).or_default() += credited;
            self.total_owed += credited;
        }
        credited
    }

    /// `claim(recipient)` by `account`.
    pub fn claim(
        &mut self,
        token: &mut Token,
        account: Address,
        recipient: Address,
        this: Address,
    ) -> Outcome {
        let amount = self.owed_to(account);
        if amount == 0 {
            return Err(Revert::of(Errors::RewardPool__NothingToClaim { account }));
        }
        self.owed.insert(account, 0);
        self.total_owed -= amount;
        token.transfer(this, recipient, amount)
    }
}
