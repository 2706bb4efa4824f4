//! How a run's rewards spread over the stakers: how many were paid, and the Gini coefficient of
//! what each is owed by the reward pool (docs/protocol.md compares the two proving modes by it).

use std::fmt;

use alloy::primitives::{Address, U256};
use fernet_bindings::{ContractResultExt, IRewardPool};

use crate::{Result, L1};

/// What the reward pool owes each staker of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RewardSpread {
    /// Per staker, in tokens (18 decimals).
    pub owed: Vec<f64>,
}

impl RewardSpread {
    /// Reads what the pool owes each of `stakers`.
    pub async fn read(l1: &L1, stakers: &[Address]) -> Result<Self> {
        let pool = IRewardPool::new(l1.deployment().reward_pool.address, l1.provider().clone());
        let mut owed = Vec::with_capacity(stakers.len());
        for staker in stakers {
            let amount: U256 = pool.owed(*staker).call().await.decoded("RewardPool.owed")?;
            owed.push(f64::from(amount) / 1e18);
        }
        Ok(Self { owed })
    }

    /// Stakers owed anything.
    pub fn paid(&self) -> usize {
        self.owed.iter().filter(|amount| **amount > 0.0).count()
    }

    /// The Gini coefficient of the amounts: 0 when all are equal, towards 1 when one takes all.
    pub fn gini(&self) -> f64 {
        let n = self.owed.len() as f64;
        let total: f64 = self.owed.iter().sum();
        if total == 0.0 {
            return 0.0;
        }
        let differences: f64 = self
            .owed
            .iter()
            .flat_map(|a| self.owed.iter().map(move |b| (a - b).abs()))
            .sum();
        differences / (2.0 * n * total)
    }
}

impl fmt::Display for RewardSpread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} stakers paid, Gini {:.2}, owed {:?}",
            self.paid(),
            self.owed.len(),
            self.gini(),
            self.owed
                .iter()
                .map(|a| (a * 100.0).round() / 100.0)
                .collect::<Vec<_>>()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gini_is_zero_for_equal_shares_and_grows_with_concentration() {
        let equal = RewardSpread { owed: vec![2.0; 4] };
        assert_eq!(equal.gini(), 0.0);
        assert_eq!(equal.paid(), 4);
        let one = RewardSpread {
            owed: vec![8.0, 0.0, 0.0, 0.0],
        };
        assert!((one.gini() - 0.75).abs() < 1e-9, "{}", one.gini());
        assert_eq!(one.paid(), 1);
        assert_eq!(RewardSpread { owed: vec![0.0; 3] }.gini(), 0.0);
    }
}
