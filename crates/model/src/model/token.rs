//! The staking token (an OpenZeppelin ERC20): balances and transfers.

use std::collections::BTreeMap;

use alloy::primitives::{Address, U256};
use fernet_bindings::devnet_token::DevnetToken;

use crate::reverts::{Outcome, Revert};

/// Balances of every holder (contracts included). Allowances are not modelled: every actor
/// approves the staking and escrow contracts for the maximum at setup, which OpenZeppelin never
/// decreases.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Token {
    /// Balance per holder (absent: zero).
    pub balances: BTreeMap<Address, u128>,
    /// Every token ever minted.
    pub total_supply: u128,
}

impl Token {
    /// Balance of `holder`.
    pub fn balance_of(&self, holder: Address) -> u128 {
        self.balances.get(&holder).copied().unwrap_or(0)
    }

    /// Mints `amount` to `to`.
    pub fn mint(&mut self, to: Address, amount: u128) {
        *self.balances.entry(to).or_default() += amount;
        self.total_supply += amount;
    }

    /// Moves `amount` from `from` to `to`, or reverts like `ERC20._update`.
    pub fn transfer(&mut self, from: Address, to: Address, amount: u128) -> Outcome {
        let balance = self.balance_of(from);
        if balance < amount {
            return Err(Revert::of(DevnetToken::ERC20InsufficientBalance {
                sender: from,
                balance: U256::from(balance),
                needed: U256::from(amount),
            }));
        }
        self.balances.insert(from, balance - amount);
        *self.balances.entry(to).or_default() += amount;
        Ok(())
    }
}
