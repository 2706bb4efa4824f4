//! The reward pool: reward credits capped by the pool's free balance, fee credits paid only out
//! of released fee inbox deposits (its fee funds), claims.

use std::collections::BTreeMap;

use alloy::primitives::{Address, U256};
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
    /// Released deposits not yet credited as fees (`feeFunds()`).
    pub fee_funds: u128,
    /// Fees ever credited (not a contract value: what the fee invariant bounds).
    pub fees_credited: u128,
    /// Rewards the pool could not cover when they were credited (not a contract value: shows
    /// that the cap was reached).
    pub unpaid: u128,
}

impl Pool {
    /// Rewards owed to `account`.
    pub fn owed_to(&self, account: Address) -> u128 {
        self.owed.get(&account).copied().unwrap_or(0)
    }

    /// `available()`: the balance neither owed nor held as fee funds (zero, where the contract
    /// would revert, if they exceed the balance: an invariant reports that).
    pub fn available(&self, token: &Token, this: Address) -> u128 {
        token
            .balance_of(this)
            .saturating_sub(self.total_owed + self.fee_funds)
    }

    /// `credit(account, reward, fees)` by the rollup: credits the part of `reward` the pool's free
    /// balance covers and exactly `fees` out of the fee funds; returns the reward credited.
    pub fn credit(
        &mut self,
        token: &Token,
        this: Address,
        account: Address,
        reward: u128,
        fees: u128,
    ) -> Outcome<u128> {
        if fees > self.fee_funds {
            return Err(Revert::of(Errors::RewardPool__FeesExceedDeposits {
                feeFunds: U256::from(self.fee_funds),
                fees: U256::from(fees),
            }));
        }
        let credited = reward.min(self.available(token, this));
        self.unpaid += reward - credited;
        let total = credited + fees;
        if total > 0 {
            self.fee_funds -= fees;
            self.fees_credited += fees;
            *self.owed.entry(account).or_default() += total;
            self.total_owed += total;
        }
        Ok(credited)
    }

    /// `addFeeFunds(amount)` by the rollup, right after the inbox transferred `amount` here.
    pub fn add_fee_funds(&mut self, amount: u128) {
        self.fee_funds += amount;
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
