//! Slot rankings, computed off chain from the rollup's seed and the staking contract's proposers.
//!
//! The rollup scores a proposer in a slot as `keccak256(abi.encode(seedOf(epoch), slot, proposer))`
//! (`Rollup.scoreOf`) and, within a slot's proposal window, a higher score replaces a lower one.
//! The ranking of a slot is every proposer of its epoch (`Staking.proposersAt`, read page by page),
//! highest score first. [`Rankings`] reads the seed and the proposers once per epoch and keeps them,
//! so the ranking of any slot of a cached epoch costs no L1 call.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use alloy::{
    primitives::{keccak256, Address, U256},
    providers::Provider,
    sol_types::SolValue,
};

use crate::{ContractResultExt, IRollup, IStaking, Result};

/// Registration indices one `proposersAt` call scans (a page stays far below a call's gas limit).
pub const PROPOSERS_PAGE: u64 = 256;

/// Epochs a [`Rankings`] keeps (the oldest is dropped first).
const CACHED_EPOCHS: usize = 16;

/// The score of `proposer` in `slot` under `seed`: `keccak256(abi.encode(seed, slot, proposer))`,
/// three 32-byte words, as `Rollup.scoreOf` computes it.
pub fn score(seed: U256, slot: u64, proposer: Address) -> U256 {
    let encoded = (seed, U256::from(slot), proposer).abi_encode();
    U256::from_be_bytes(keccak256(encoded).0)
}

/// Which of an epoch's stakers [`read_set`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetKind {
    /// `Staking.proposersAt`: the members that can propose (not exiting).
    Proposers,
    /// `Staking.membersAt`: every member (exiting ones included).
    Members,
}

/// Every staker of `epoch` of `kind`, in registration order, paging through the staking contract
/// with `page` registration indices per call.
pub(crate) async fn read_set<P: Provider>(
    staking: &IStaking::IStakingInstance<P>,
    epoch: u64,
    page: u64,
    kind: SetKind,
) -> Result<Vec<Address>> {
    let page = page.max(1);
    let mut set = Vec::new();
    let mut start = 0u64;
    loop {
        let (found, next) = match kind {
            SetKind::Proposers => {
                let scanned = staking
                    .proposersAt(U256::from(epoch), U256::from(start), U256::from(page))
                    .call()
                    .await
                    .decoded(format!("Staking.proposersAt({epoch}, {start}, {page})"))?;
                (scanned.proposers, scanned.next)
            }
            SetKind::Members => {
                let scanned = staking
                    .membersAt(U256::from(epoch), U256::from(start), U256::from(page))
                    .call()
                    .await
                    .decoded(format!("Staking.membersAt({epoch}, {start}, {page})"))?;
                (scanned.members, scanned.next)
            }
        };
        set.extend(found);
        let next = next.saturating_to::<u64>();
        // `next` is min(start + limit, stakerCount()): a short page was the last one.
        if next < start.saturating_add(page) || next <= start {
            break;
        }
        start = next;
    }
    Ok(set)
}

/// What every ranking of one epoch's slots needs: the epoch's seed and its proposers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochProposers {
    /// The epoch.
    pub epoch: u64,
    /// `Rollup.seedOf(epoch)`.
    pub seed: U256,
    /// `Staking.proposersAt(epoch, ..)`, in registration order.
    pub proposers: Vec<Address>,
}

impl EpochProposers {
    /// Reads the seed and every proposer of `epoch`, paging through `proposersAt` with `page`
    /// registration indices per call ([`PROPOSERS_PAGE`] unless testing).
    pub async fn fetch<P: Provider>(
        rollup: &IRollup::IRollupInstance<P>,
        staking: &IStaking::IStakingInstance<P>,
        epoch: u64,
        page: u64,
    ) -> Result<Self> {
        let seed = rollup
            .seedOf(U256::from(epoch))
            .call()
            .await
            .decoded(format!("Rollup.seedOf({epoch})"))?;
        let proposers = read_set(staking, epoch, page, SetKind::Proposers).await?;
        Ok(Self {
            epoch,
            seed,
            proposers,
        })
    }

    /// The ranking of `slot` (a slot of this epoch): every proposer with its score, highest
    /// first; equal scores keep registration order.
    pub fn ranking(&self, slot: u64) -> Vec<(Address, U256)> {
        let mut ranked: Vec<(Address, U256)> = self
            .proposers
            .iter()
            .map(|proposer| (*proposer, score(self.seed, slot, *proposer)))
            .collect();
        ranked.sort_by_key(|(_, score)| std::cmp::Reverse(*score));
        ranked
    }
}

/// Slot rankings with the seed and proposers of each epoch read once and cached.
///
/// The cache assumes an epoch is asked for once it has started: its seed can no longer change
/// then. A staker that starts exiting during a cached epoch stays in that epoch's rankings (the
/// rollup would refuse its proposals); the next epoch is read afresh.
#[derive(Debug)]
pub struct Rankings<P> {
    rollup: IRollup::IRollupInstance<P>,
    staking: IStaking::IStakingInstance<P>,
    epoch_duration: u64,
    epochs: Mutex<BTreeMap<u64, Arc<EpochProposers>>>,
}

impl<P: Provider + Clone> Rankings<P> {
    /// Rankings of the suite at `rollup` and `staking`, whose epochs last `epoch_duration` slots,
    /// read through `provider`.
    pub fn new(provider: P, rollup: Address, staking: Address, epoch_duration: u64) -> Self {
        Self {
            rollup: IRollup::new(rollup, provider.clone()),
            staking: IStaking::new(staking, provider),
            epoch_duration: epoch_duration.max(1),
            epochs: Mutex::new(BTreeMap::new()),
        }
    }

    /// The seed and proposers of `epoch`, from the cache or L1.
    pub async fn epoch(&self, epoch: u64) -> Result<Arc<EpochProposers>> {
        if let Some(cached) = self.lock().get(&epoch) {
            return Ok(cached.clone());
        }
        let fetched = EpochProposers::fetch(&self.rollup, &self.staking, epoch, PROPOSERS_PAGE);
        let fetched = Arc::new(fetched.await?);
        let mut epochs = self.lock();
        epochs.insert(epoch, fetched.clone());
        while epochs.len() > CACHED_EPOCHS {
            epochs.pop_first();
        }
        Ok(fetched)
    }

    /// The proposers of `slot`'s epoch, highest score in `slot` first.
    pub async fn ranking(&self, slot: u64) -> Result<Vec<Address>> {
        let epoch = self.epoch(slot / self.epoch_duration).await?;
        Ok(epoch
            .ranking(slot)
            .into_iter()
            .map(|(proposer, _)| proposer)
            .collect())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<EpochProposers>>> {
        // The map is always left consistent: a panic elsewhere cannot have broken it.
        self.epochs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{address, uint};

    use super::*;

    #[test]
    fn score_is_keccak_of_the_three_abi_words() {
        // cast keccak $(cast abi-encode "f(uint256,uint256,address)" \
        //   0x1234567890abcdef000000000000000000000000000000000000000000000042 7 \
        //   0x70997970C51812dc3A010C7d01b50e0d17dc79C8)
        let seed = uint!(0x1234567890abcdef000000000000000000000000000000000000000000000042_U256);
        let proposer = address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        assert_eq!(
            score(seed, 7, proposer),
            uint!(0x17bc7fd0087de63de9f514ca754381c89b3a9aac781a9d8b1fa81bbc263bb109_U256)
        );
        assert_ne!(score(seed, 8, proposer), score(seed, 7, proposer));
    }

    #[test]
    fn ranking_orders_every_proposer_by_score() {
        let epoch = EpochProposers {
            epoch: 3,
            seed: U256::from(99),
            proposers: (1u8..=6).map(Address::repeat_byte).collect(),
        };
        for slot in 6..8 {
            let ranked = epoch.ranking(slot);
            assert_eq!(ranked.len(), 6);
            assert!(ranked.windows(2).all(|pair| pair[0].1 >= pair[1].1));
            for (proposer, value) in &ranked {
                assert_eq!(*value, score(epoch.seed, slot, *proposer));
            }
        }
        assert_ne!(epoch.ranking(6), epoch.ranking(7), "each slot reshuffles");
    }
}
