//! EIP-1559 fees of a transaction and of its replacements.

use alloy::eips::eip1559::Eip1559Estimation;

/// The two EIP-1559 fees of a transaction, in wei per gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fees {
    /// `maxFeePerGas`.
    pub max_fee_per_gas: u128,
    /// `maxPriorityFeePerGas`.
    pub max_priority_fee_per_gas: u128,
}

impl From<Eip1559Estimation> for Fees {
    fn from(estimate: Eip1559Estimation) -> Self {
        Self {
            max_fee_per_gas: estimate.max_fee_per_gas,
            max_priority_fee_per_gas: estimate.max_priority_fee_per_gas,
        }
    }
}

impl Fees {
    /// The fees of a replacement of a transaction paying `self`: both raised by `percent`
    /// (rounded up, and by at least 1 wei, so a 0 fee still rises), or to what the market asks
    /// now (`current`) when that is higher; the priority fee never exceeds the max fee.
    pub fn bumped(self, percent: u64, current: Fees) -> Fees {
        let bump = |fee: u128| {
            let raised = fee.saturating_mul(100 + u128::from(percent)).div_ceil(100);
            raised.max(fee.saturating_add(1))
        };
        let max_fee_per_gas = bump(self.max_fee_per_gas).max(current.max_fee_per_gas);
        let max_priority_fee_per_gas = bump(self.max_priority_fee_per_gas)
            .max(current.max_priority_fee_per_gas)
            .min(max_fee_per_gas);
        Fees {
            max_fee_per_gas,
            max_priority_fee_per_gas,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn fees(max: u128, priority: u128) -> Fees {
        Fees {
            max_fee_per_gas: max,
            max_priority_fee_per_gas: priority,
        }
    }

    #[test]
    fn a_bump_raises_both_fees_by_the_percent_rounded_up() {
        let old = fees(1_000, 101);
        assert_eq!(old.bumped(10, fees(0, 0)), fees(1_100, 112));
        assert_eq!(old.bumped(20, fees(0, 0)), fees(1_200, 122));
        // 10 % of a tiny fee still rounds up to a strictly higher one.
        assert_eq!(fees(1, 0).bumped(10, fees(0, 0)), fees(2, 1));
    }

    #[test]
    fn a_bump_follows_a_market_that_moved_further() {
        let old = fees(1_000, 100);
        assert_eq!(old.bumped(10, fees(5_000, 300)), fees(5_000, 300));
        // The market's priority fee is capped by the max fee.
        assert_eq!(old.bumped(10, fees(900, 2_000)), fees(1_100, 1_100));
    }

    #[test]
    fn a_bump_never_overflows() {
        let top = fees(u128::MAX, u128::MAX);
        assert_eq!(top.bumped(50, fees(0, 0)), top);
    }

    #[test]
    fn every_bump_meets_the_mempool_replacement_rule() {
        for max in [1u128, 7, 999, 1_000_000_007, 30_000_000_000] {
            // A valid transaction's priority fee never exceeds its max fee.
            for priority in [0u128, 1, 3, max / 2, max]
                .into_iter()
                .filter(|p| *p <= max)
            {
                let old = fees(max, priority);
                let new = old.bumped(10, fees(0, 0));
                assert!(new.max_fee_per_gas * 100 >= old.max_fee_per_gas * 110);
                assert!(new.max_priority_fee_per_gas * 100 >= old.max_priority_fee_per_gas * 110);
                assert!(new.max_priority_fee_per_gas <= new.max_fee_per_gas);
            }
        }
    }
}
