//! Everything the rollup emitted so far, read incrementally from L1, in the shape the
//! scenario checks need.

use std::collections::BTreeMap;

use alloy::primitives::{Address, U256};
use fernet_bindings::Rollup::RollupEvents;
use fernet_devnet::{L1Event, L1};

/// A proposal (the last one of its block number wins: replacements overwrite).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Proposal {
    pub(crate) block: u64,
    pub(crate) slot: u64,
    pub(crate) proposer: Address,
    /// The timestamp of the L1 block that holds it.
    pub(crate) timestamp: u64,
}

/// An accepted epoch proof.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Proven {
    pub(crate) to_block: u64,
    pub(crate) prover: Address,
    pub(crate) submitter: Address,
    pub(crate) timestamp: u64,
}

/// A claim.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Claim {
    pub(crate) prover: Address,
}

/// A slash of a claimed prover's bond.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slash {
    pub(crate) prover: Address,
    pub(crate) bond: U256,
}

/// The events seen so far.
#[derive(Debug, Default)]
pub(crate) struct History {
    next_block: u64,
    /// Every proposal, by slot (a replaced proposal is overwritten by the replacement).
    pub(crate) proposals: BTreeMap<u64, Proposal>,
    /// Proven epochs.
    pub(crate) proven: BTreeMap<u64, Proven>,
    /// Claims by epoch.
    pub(crate) claims: BTreeMap<u64, Claim>,
    /// Epochs whose blocks were pruned, with the pruned block range.
    pub(crate) pruned: BTreeMap<u64, (u64, u64)>,
    /// Slashed claims by epoch.
    pub(crate) slashes: BTreeMap<u64, Slash>,
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
                RollupEvents::BlockProposed(e) => {
                    let proposal = Proposal {
                        block: small(e.blockNumber),
                        slot: small(e.slot),
                        proposer: e.proposer,
                        timestamp: log.timestamp,
                    };
                    self.proposals.insert(proposal.slot, proposal);
                }
                RollupEvents::EpochProven(e) => {
                    self.proven.insert(
                        small(e.epoch),
                        Proven {
                            to_block: small(e.toBlock),
                            prover: e.prover,
                            submitter: e.submitter,
                            timestamp: log.timestamp,
                        },
                    );
                }
                RollupEvents::EpochProofRightClaimed(e) => {
                    self.claims
                        .insert(small(e.epoch), Claim { prover: e.prover });
                }
                RollupEvents::BlocksPruned(e) => {
                    self.pruned
                        .insert(small(e.epoch), (small(e.fromBlock), small(e.toBlock)));
                }
                RollupEvents::ProverSlashed(e) => {
                    self.slashes.insert(
                        small(e.epoch),
                        Slash {
                            prover: e.prover,
                            bond: e.bondAmount,
                        },
                    );
                }
                _ => {}
            }
        }
        self.next_block = latest + 1;
        Ok(())
    }

    /// The epoch of the first proposal, if any.
    pub(crate) fn first_epoch(&self, l1: &L1) -> Option<u64> {
        self.proposals.values().next().map(|p| l1.epoch_of(p.slot))
    }
}
