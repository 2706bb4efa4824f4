//! The rollup's events read incrementally from L1, rewound by the test when it reorganises L1.

use alloy::primitives::{Address, TxHash, U256};
use fernet_bindings::Rollup::RollupEvents;
use fernet_devnet::{L1Event, L1};

/// A proposal as the current L1 chain holds it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Proposal {
    pub(crate) block: u64,
    pub(crate) slot: u64,
    pub(crate) proposer: Address,
    pub(crate) l1_block: u64,
    pub(crate) tx_hash: TxHash,
}

/// An accepted epoch proof.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Proven {
    pub(crate) from_block: u64,
    pub(crate) to_block: u64,
    pub(crate) prover: Address,
    pub(crate) submitter: Address,
    pub(crate) l1_block: u64,
    pub(crate) timestamp: u64,
}

/// A claim of an epoch's proof right.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Claim {
    pub(crate) prover: Address,
    pub(crate) l1_block: u64,
}

/// The events of the rollup read so far, in L1 order.
#[derive(Debug, Default)]
pub(crate) struct History {
    next_block: u64,
    proposals: Vec<Proposal>,
    proven: Vec<(u64, Proven)>,
    claims: Vec<(u64, Claim)>,
    pruned: Vec<(u64, u64)>,
}

fn small(value: U256) -> u64 {
    value.saturating_to()
}

impl History {
    /// Reads the events of the L1 blocks not read yet.
    pub(crate) async fn update(&mut self, l1: &L1) -> eyre::Result<()> {
        let (latest, _) = l1.latest().await?;
        if latest < self.next_block {
            return Ok(());
        }
        for log in l1.events(self.next_block, latest).await? {
            let L1Event::Rollup(event) = log.event else {
                continue;
            };
            match event {
                RollupEvents::BlockProposed(e) => self.proposals.push(Proposal {
                    block: small(e.blockNumber),
                    slot: small(e.slot),
                    proposer: e.proposer,
                    l1_block: log.l1_block,
                    tx_hash: log.tx_hash,
                }),
                RollupEvents::EpochProven(e) => self.proven.push((
                    small(e.epoch),
                    Proven {
                        from_block: small(e.fromBlock),
                        to_block: small(e.toBlock),
                        prover: e.prover,
                        submitter: e.submitter,
                        l1_block: log.l1_block,
                        timestamp: log.timestamp,
                    },
                )),
                RollupEvents::EpochProofRightClaimed(e) => self.claims.push((
                    small(e.epoch),
                    Claim {
                        prover: e.prover,
                        l1_block: log.l1_block,
                    },
                )),
                RollupEvents::BlocksPruned(e) => {
                    self.pruned.push((small(e.epoch), log.l1_block));
                }
                _ => {}
            }
        }
        self.next_block = latest + 1;
        Ok(())
    }

    /// Forgets everything read from L1 block `from` on (it was reorganised away): the next
    /// update reads the new blocks at those heights.
    pub(crate) fn rewind(&mut self, from: u64) {
        self.proposals.retain(|p| p.l1_block < from);
        self.proven.retain(|(_, p)| p.l1_block < from);
        self.claims.retain(|(_, c)| c.l1_block < from);
        self.pruned.retain(|(_, l1_block)| *l1_block < from);
        self.next_block = self.next_block.min(from);
    }

    /// Every proposal, in L1 order (replaced ones included).
    pub(crate) fn proposals(&self) -> &[Proposal] {
        &self.proposals
    }

    /// The proof of `epoch`, if it landed.
    pub(crate) fn proven(&self, epoch: u64) -> Option<&Proven> {
        self.proven
            .iter()
            .find(|(e, _)| *e == epoch)
            .map(|(_, p)| p)
    }

    /// The proven epochs, in L1 order.
    pub(crate) fn proven_epochs(&self) -> impl Iterator<Item = (u64, &Proven)> {
        self.proven.iter().map(|(epoch, proven)| (*epoch, proven))
    }

    /// The (first) claim of `epoch`.
    pub(crate) fn claim(&self, epoch: u64) -> Option<&Claim> {
        self.claims
            .iter()
            .find(|(e, _)| *e == epoch)
            .map(|(_, c)| c)
    }

    /// Whether blocks of `epoch` were pruned.
    pub(crate) fn pruned(&self, epoch: u64) -> bool {
        self.pruned.iter().any(|(e, _)| *e == epoch)
    }

    /// The epoch of the first proposal, if any.
    pub(crate) fn first_epoch(&self, l1: &L1) -> Option<u64> {
        self.proposals.first().map(|p| l1.epoch_of(p.slot))
    }
}
