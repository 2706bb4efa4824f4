//! Proving committees (the committee mode, seed 004), computed off chain as `CommitteeRollup`
//! checks them: the committee of a slot is every member of its epoch (`Staking.membersAt`) whose
//! score in the slot ([`score`], the one that elects the sequencer from the top) is below the
//! epoch's `committeeThreshold`. [`Committees`] reads each epoch's seed, threshold and members
//! once and keeps them.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use alloy::{
    primitives::{Address, U256},
    providers::Provider,
};

use crate::{
    ranking::{read_set, SetKind, PROPOSERS_PAGE},
    score, ContractResultExt, ICommitteeRollup, IStaking, Result,
};

/// Epochs a [`Committees`] keeps (the oldest is dropped first).
const CACHED_EPOCHS: usize = 16;

/// What every committee of one epoch's slots needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochCommittee {
    /// The epoch.
    pub epoch: u64,
    /// `seedOf(epoch)`.
    pub seed: U256,
    /// `committeeThreshold(epoch)`.
    pub threshold: U256,
    /// `Staking.membersAt(epoch, ..)`, in registration order.
    pub members: Vec<Address>,
}

impl EpochCommittee {
    /// The committee of `slot` (a slot of this epoch) without `proposer`, with each member's
    /// score, lowest first: the order `proposeWithSignoffs` wants its sign-offs in, and the order
    /// that assigns the chunks (chunk j to the j mod k-th signer).
    pub fn committee(&self, slot: u64, proposer: Address) -> Vec<(Address, U256)> {
        let mut committee: Vec<(Address, U256)> = self
            .members
            .iter()
            .filter(|member| **member != proposer)
            .map(|member| (*member, score(self.seed, slot, *member)))
            .filter(|(_, score)| *score < self.threshold)
            .collect();
        committee.sort_by_key(|(_, score)| *score);
        committee
    }

    /// Whether `staker` is in `slot`'s committee.
    pub fn is_member(&self, slot: u64, staker: Address) -> bool {
        self.members.contains(&staker) && score(self.seed, slot, staker) < self.threshold
    }
}

/// Slot committees with the seed, threshold and members of each epoch read once and cached (once
/// an epoch has started, none of them can change).
#[derive(Debug)]
pub struct Committees<P> {
    rollup: ICommitteeRollup::ICommitteeRollupInstance<P>,
    staking: IStaking::IStakingInstance<P>,
    epoch_duration: u64,
    epochs: Mutex<BTreeMap<u64, Arc<EpochCommittee>>>,
}

impl<P: Provider + Clone> Committees<P> {
    /// Committees of the committee rollup at `rollup` with `staking`, whose epochs last
    /// `epoch_duration` slots, read through `provider`.
    pub fn new(provider: P, rollup: Address, staking: Address, epoch_duration: u64) -> Self {
        Self {
            rollup: ICommitteeRollup::new(rollup, provider.clone()),
            staking: IStaking::new(staking, provider),
            epoch_duration: epoch_duration.max(1),
            epochs: Mutex::new(BTreeMap::new()),
        }
    }

    /// The seed, threshold and members of `epoch`, from the cache or L1.
    pub async fn epoch(&self, epoch: u64) -> Result<Arc<EpochCommittee>> {
        if let Some(cached) = self.lock().get(&epoch) {
            return Ok(cached.clone());
        }
        let at = U256::from(epoch);
        let seed = self
            .rollup
            .seedOf(at)
            .call()
            .await
            .decoded(format!("CommitteeRollup.seedOf({epoch})"))?;
        let threshold = self
            .rollup
            .committeeThreshold(at)
            .call()
            .await
            .decoded(format!("CommitteeRollup.committeeThreshold({epoch})"))?;
        let members = read_set(&self.staking, epoch, PROPOSERS_PAGE, SetKind::Members).await?;
        let fetched = Arc::new(EpochCommittee {
            epoch,
            seed,
            threshold,
            members,
        });
        let mut epochs = self.lock();
        epochs.insert(epoch, fetched.clone());
        while epochs.len() > CACHED_EPOCHS {
            epochs.pop_first();
        }
        Ok(fetched)
    }

    /// The committee of `slot` without `proposer`, lowest score first.
    pub async fn committee(&self, slot: u64, proposer: Address) -> Result<Vec<(Address, U256)>> {
        Ok(self
            .epoch(slot / self.epoch_duration)
            .await?
            .committee(slot, proposer))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<EpochCommittee>>> {
        // The map is always left consistent: a panic elsewhere cannot have broken it.
        self.epochs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_committee_is_the_members_below_the_threshold_lowest_first_without_the_proposer() {
        let members: Vec<Address> = (1..=8).map(Address::repeat_byte).collect();
        let everyone = EpochCommittee {
            epoch: 3,
            seed: U256::from(77),
            threshold: U256::MAX,
            members: members.clone(),
        };
        let all = everyone.committee(12, members[0]);
        assert_eq!(all.len(), 7, "everyone but the proposer");
        assert!(
            all.windows(2).all(|pair| pair[0].1 < pair[1].1),
            "ascending"
        );
        assert!(!all.iter().any(|(member, _)| *member == members[0]));

        // A threshold between the 3rd and 4th lowest scores keeps exactly those three.
        let threshold = all[3].1;
        let half = EpochCommittee {
            threshold,
            ..everyone
        };
        let committee = half.committee(12, members[0]);
        assert_eq!(committee, all[..3].to_vec());
        for (member, score) in &all {
            assert_eq!(half.is_member(12, *member), *score < threshold);
        }
        assert!(!half.is_member(12, Address::repeat_byte(9)), "not a member");
    }
}
