//! The rollup's events read incrementally from L1 and kept in L1 order, for checks over a whole
//! run (the end-to-end and fault-injection tests): what was proposed, claimed (and replaced in
//! the claim auction), proven (a prefix of an epoch or all of it), pruned, slashed (a prover's
//! bond or a staker's stake) and cancelled.
//! [`History::update`] notices when L1 reorganised blocks it had read and reads the
//! replacements.

use alloy::{
    eips::BlockId,
    primitives::{Address, TxHash, B256, U256},
};
use fernet_bindings::{ContractResultExt, Rollup::RollupEvents, Staking::StakingEvents};

use crate::{
    l1::{L1Event, L1},
    Result,
};

/// A proposal as the current L1 chain holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proposal {
    /// The L2 block number.
    pub block: u64,
    /// Its slot.
    pub slot: u64,
    /// Who sent it.
    pub proposer: Address,
    /// Whether it came in backup mode, with its proof.
    pub backup: bool,
    /// The L1 block that holds it.
    pub l1_block: u64,
    /// That L1 block's timestamp.
    pub timestamp: u64,
    /// The L1 transaction.
    pub tx_hash: TxHash,
}

/// An accepted epoch proof: blocks `from_block..=to_block` of its epoch, a prefix of the
/// epoch's unproven blocks or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proven {
    /// The first block it proves.
    pub from_block: u64,
    /// The last block it proves.
    pub to_block: u64,
    /// Whether it proved the epoch's last block (the epoch is proven); `false` for a prefix.
    pub complete: bool,
    /// The prover paid for it.
    pub prover: Address,
    /// Who submitted it.
    pub submitter: Address,
    /// The L1 block that holds it.
    pub l1_block: u64,
    /// That L1 block's timestamp.
    pub timestamp: u64,
    /// The L1 transaction (`submitEpochProof` or `submitSplitEpochProof`).
    pub tx_hash: TxHash,
}

/// A claim of an epoch's proof right (a first claim, or the one that replaced it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    /// The prover whose quote was claimed.
    pub prover: Address,
    /// The quote's fee, in basis points.
    pub basis_point_fee: u64,
    /// The L1 block that holds it.
    pub l1_block: u64,
}

/// A claim replaced by a strictly cheaper quote (`EpochProofClaimReplaced`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replacement {
    /// The prover whose claim was replaced (its bond released).
    pub replaced_prover: Address,
    /// The replaced claim's fee, in basis points.
    pub replaced_fee: u64,
    /// The new claim's prover.
    pub prover: Address,
    /// The new claim's fee, in basis points.
    pub basis_point_fee: u64,
    /// The L1 block that holds it.
    pub l1_block: u64,
}

/// A slash of a claimed prover's bond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slash {
    /// The slashed prover.
    pub prover: Address,
    /// The part of its bond it lost: pro rata to its epoch's unproven blocks (all of it when it
    /// proved none).
    pub bond: U256,
    /// The L1 block that holds it.
    pub l1_block: u64,
}

/// A prune: the unproven blocks `from_block..=to_block` dropped after `epoch` (the epoch of
/// `from_block`) missed its proof deadline (`BlocksPruned`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prune {
    /// The first dropped block (the first unproven one).
    pub from_block: u64,
    /// The last dropped block (the pending tip then).
    pub to_block: u64,
    /// The L1 block that holds it.
    pub l1_block: u64,
}

/// A slash of a staker's stake (`Staking.Slashed`): the penalty of an unclaimed epoch's missed
/// proof, charged to the proposer of its first unproven block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StakeSlash {
    /// The slashed staker.
    pub staker: Address,
    /// The amount taken (capped by its stake).
    pub amount: U256,
    /// The L1 block that holds it.
    pub l1_block: u64,
}

/// A claim dropped, its bond returned, because an earlier epoch's blocks were pruned
/// (`ClaimCancelled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancellation {
    /// The prover of the dropped claim.
    pub prover: Address,
    /// The L1 block that holds it.
    pub l1_block: u64,
}

/// The rollup's and the staking contract's events read so far, in L1 order, each list by epoch
/// where it has one.
#[derive(Debug, Default)]
pub struct History {
    next_block: u64,
    /// The hash of the last L1 block of each update, oldest first: a reorganisation started
    /// after the newest of them L1 still holds.
    heads: Vec<(u64, B256)>,
    proposals: Vec<Proposal>,
    proven: Vec<(u64, Proven)>,
    claims: Vec<(u64, Claim)>,
    replacements: Vec<(u64, Replacement)>,
    pruned: Vec<(u64, Prune)>,
    slashes: Vec<(u64, Slash)>,
    stake_slashes: Vec<StakeSlash>,
    cancellations: Vec<(u64, Cancellation)>,
}

fn small(value: U256) -> u64 {
    value.saturating_to()
}

impl History {
    /// Reads the events of the L1 blocks not read yet, after forgetting those of blocks L1
    /// reorganised away.
    pub async fn update(&mut self, l1: &L1) -> Result<()> {
        self.rewind_reorganised(l1).await?;
        let (latest, _) = l1.latest().await?;
        if latest < self.next_block {
            return Ok(());
        }
        // Taken before the events: a reorg while they are read changes it, and the next update
        // reads those blocks again.
        let Some(head) = l1.block_hash(latest).await? else {
            return Ok(());
        };
        for log in l1.events(self.next_block, latest).await? {
            let l1_block = log.l1_block;
            let event = match log.event {
                L1Event::Rollup(event) => event,
                L1Event::Staking(StakingEvents::Slashed(e)) => {
                    self.stake_slashes.push(StakeSlash {
                        staker: e.staker,
                        amount: e.amount,
                        l1_block,
                    });
                    continue;
                }
                L1Event::Staking(_) => continue,
            };
            match event {
                RollupEvents::BlockProposed(e) => self.proposals.push(Proposal {
                    block: small(e.blockNumber),
                    slot: small(e.slot),
                    proposer: e.proposer,
                    backup: e.backup,
                    l1_block,
                    timestamp: log.timestamp,
                    tx_hash: log.tx_hash,
                }),
                RollupEvents::EpochProven(e) => {
                    let (epoch, to_block) = (small(e.epoch), small(e.toBlock));
                    self.proven.push((
                        epoch,
                        Proven {
                            from_block: small(e.fromBlock),
                            to_block,
                            complete: proves_the_last_block(l1, epoch, to_block, l1_block).await?,
                            prover: e.prover,
                            submitter: e.submitter,
                            l1_block,
                            timestamp: log.timestamp,
                            tx_hash: log.tx_hash,
                        },
                    ));
                }
                RollupEvents::EpochProofRightClaimed(e) => self.claims.push((
                    small(e.epoch),
                    Claim {
                        prover: e.prover,
                        basis_point_fee: small(e.basisPointFee),
                        l1_block,
                    },
                )),
                RollupEvents::EpochProofClaimReplaced(e) => self.replacements.push((
                    small(e.epoch),
                    Replacement {
                        replaced_prover: e.replacedProver,
                        replaced_fee: small(e.replacedFee),
                        prover: e.prover,
                        basis_point_fee: small(e.basisPointFee),
                        l1_block,
                    },
                )),
                RollupEvents::BlocksPruned(e) => self.pruned.push((
                    small(e.epoch),
                    Prune {
                        from_block: small(e.fromBlock),
                        to_block: small(e.toBlock),
                        l1_block,
                    },
                )),
                RollupEvents::ClaimCancelled(e) => self.cancellations.push((
                    small(e.epoch),
                    Cancellation {
                        prover: e.prover,
                        l1_block,
                    },
                )),
                RollupEvents::ProverSlashed(e) => self.slashes.push((
                    small(e.epoch),
                    Slash {
                        prover: e.prover,
                        bond: e.bondAmount,
                        l1_block,
                    },
                )),
                _ => {}
            }
        }
        self.heads.push((latest, head));
        self.next_block = latest + 1;
        Ok(())
    }

    /// Finds the newest head L1 still holds and forgets everything read after it: a reorg of
    /// L1 replaced those blocks, and the next read takes the new ones.
    async fn rewind_reorganised(&mut self, l1: &L1) -> Result<()> {
        let mut kept = self.heads.len();
        while kept > 0 {
            let (number, hash) = self.heads[kept - 1];
            if l1.block_hash(number).await? == Some(hash) {
                break;
            }
            kept -= 1;
        }
        if kept == self.heads.len() {
            return Ok(());
        }
        self.heads.truncate(kept);
        let from = self.heads.last().map_or(0, |(number, _)| number + 1);
        self.proposals.retain(|p| p.l1_block < from);
        self.proven.retain(|(_, p)| p.l1_block < from);
        self.claims.retain(|(_, c)| c.l1_block < from);
        self.replacements.retain(|(_, r)| r.l1_block < from);
        self.pruned.retain(|(_, p)| p.l1_block < from);
        self.slashes.retain(|(_, s)| s.l1_block < from);
        self.stake_slashes.retain(|s| s.l1_block < from);
        self.cancellations.retain(|(_, c)| c.l1_block < from);
        self.next_block = self.next_block.min(from);
        Ok(())
    }

    /// Every proposal, in L1 order (replaced ones included).
    pub fn proposals(&self) -> &[Proposal] {
        &self.proposals
    }

    /// The proposal each slot ended with (the last one: a replacement outscores what it
    /// replaces), in slot order.
    pub fn canonical_proposals(&self) -> impl Iterator<Item = &Proposal> {
        let mut by_slot = std::collections::BTreeMap::new();
        for proposal in &self.proposals {
            by_slot.insert(proposal.slot, proposal);
        }
        by_slot.into_values()
    }

    /// The proof that completed `epoch` (proved its last block), if it landed.
    pub fn proven(&self, epoch: u64) -> Option<&Proven> {
        self.proven
            .iter()
            .find(|(e, proven)| *e == epoch && proven.complete)
            .map(|(_, proven)| proven)
    }

    /// The proven epochs with the proof that completed each, in L1 order.
    pub fn proven_epochs(&self) -> impl Iterator<Item = (u64, &Proven)> {
        self.proofs().filter(|(_, proven)| proven.complete)
    }

    /// Every accepted proof, prefixes of epochs included, with its epoch, in L1 order.
    pub fn proofs(&self) -> impl Iterator<Item = (u64, &Proven)> {
        self.proven.iter().map(|(epoch, proven)| (*epoch, proven))
    }

    /// The claim `epoch` ended up with: the last one, which replaced any earlier.
    pub fn claim(&self, epoch: u64) -> Option<&Claim> {
        self.claims
            .iter()
            .rev()
            .find(|(e, _)| *e == epoch)
            .map(|(_, claim)| claim)
    }

    /// Every claim of `epoch` (the first, then each replacement's), in L1 order.
    pub fn claims_of(&self, epoch: u64) -> impl Iterator<Item = &Claim> {
        self.claims
            .iter()
            .filter(move |(e, _)| *e == epoch)
            .map(|(_, claim)| claim)
    }

    /// Every claimed epoch, each once, in increasing order.
    pub fn claimed_epochs(&self) -> Vec<u64> {
        let epochs: std::collections::BTreeSet<u64> =
            self.claims.iter().map(|(epoch, _)| *epoch).collect();
        epochs.into_iter().collect()
    }

    /// Every replacement of a claim by a cheaper quote, with its epoch, in L1 order.
    pub fn replacements(&self) -> &[(u64, Replacement)] {
        &self.replacements
    }

    /// The slash of `epoch`'s claimed prover, if it was slashed.
    pub fn slash(&self, epoch: u64) -> Option<&Slash> {
        first_of(&self.slashes, epoch)
    }

    /// Every slash of a claimed prover's bond, with its epoch, in L1 order.
    pub fn slashes(&self) -> &[(u64, Slash)] {
        &self.slashes
    }

    /// Whether blocks of `epoch` were pruned.
    pub fn pruned(&self, epoch: u64) -> bool {
        self.pruned.iter().any(|(e, _)| *e == epoch)
    }

    /// Every prune, with the epoch that missed its deadline, in L1 order.
    pub fn prunes(&self) -> &[(u64, Prune)] {
        &self.pruned
    }

    /// Every slash of a staker's stake, in L1 order.
    pub fn stake_slashes(&self) -> &[StakeSlash] {
        &self.stake_slashes
    }

    /// Every claim cancelled by a prune, with its epoch, in L1 order.
    pub fn cancellations(&self) -> &[(u64, Cancellation)] {
        &self.cancellations
    }

    /// The epoch of the first block an elected sequencer proposed (backup blocks, which fill
    /// the slots before any sequencer may propose, aside), if any.
    pub fn first_epoch(&self, l1: &L1) -> Option<u64> {
        self.proposals
            .iter()
            .find(|p| !p.backup)
            .map(|p| l1.clock.epoch_of(p.slot))
    }
}

/// What a prune did besides dropping blocks, each checked against the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrunePenalty {
    /// The epoch that missed its proof deadline.
    pub epoch: u64,
    /// The prune.
    pub prune: Prune,
    /// The claimed prover's slash (a claimed epoch), pro rata to its unproven blocks.
    pub prover_slash: Option<Slash>,
    /// The stake slash of the proposer of the first unproven block (an unclaimed epoch whose
    /// first unproven block is not a backup block, with a non-zero penalty).
    pub stake_slash: Option<StakeSlash>,
    /// The later epochs whose standing claims the prune cancelled.
    pub cancelled: Vec<u64>,
}

impl History {
    /// Checks the prune of `epoch` against the rules (`Prunes._punishMissedProof`), reading the
    /// rollup as it was just before the L1 block of the prune: a claimed epoch slashes its
    /// prover `ceil(bond * unproven / blocks)` and no stake; an unclaimed one slashes
    /// `min(unprovenBlockPenalty, stake)` of the stake of its first unproven block's proposer
    /// (none for a backup block) and no prover; every later pruned epoch's standing claim is
    /// cancelled. Fails with [`crate::Error::Check`] naming the first difference.
    pub async fn prune_penalty(&self, l1: &L1, epoch: u64) -> Result<PrunePenalty> {
        let fail = |what: String| crate::Error::Check(format!("prune of epoch {epoch}: {what}"));
        let prune = *first_of(&self.pruned, epoch)
            .ok_or_else(|| fail("the epoch was not pruned".into()))?;
        let at = prune.l1_block;
        let before = BlockId::number(at.saturating_sub(1));
        let rollup = l1.rollup();
        let claim = rollup
            .claimOf(U256::from(epoch))
            .block(before)
            .call()
            .await
            .decoded(format!("Rollup.claimOf({epoch}) before L1 block {at}"))?;
        let log = rollup
            .epochLog(U256::from(epoch))
            .block(before)
            .call()
            .await
            .decoded(format!("Rollup.epochLog({epoch}) before L1 block {at}"))?;
        let prover_slashes: Vec<Slash> = self
            .slashes
            .iter()
            .filter(|(e, s)| *e == epoch && s.l1_block == at)
            .map(|(_, s)| *s)
            .collect();
        let stake_slashes: Vec<StakeSlash> = self
            .stake_slashes
            .iter()
            .filter(|s| s.l1_block == at)
            .copied()
            .collect();
        let mut penalty = PrunePenalty {
            epoch,
            prune,
            prover_slash: None,
            stake_slash: None,
            cancelled: Vec::new(),
        };
        if claim.status == CLAIM_CLAIMED {
            let blocks = u64::from(log.blockCount);
            let unproven = (log.firstBlock + blocks).saturating_sub(prune.from_block);
            let bond = U256::from(claim.bondAmount);
            let expected = (bond * U256::from(unproven) + U256::from(blocks.saturating_sub(1)))
                / U256::from(blocks.max(1));
            match prover_slashes.as_slice() {
                [slash] if slash.prover == claim.prover && slash.bond == expected => {
                    penalty.prover_slash = Some(*slash);
                }
                other => {
                    return Err(fail(format!(
                        "claimed by {} with bond {bond}, {unproven} of {blocks} blocks unproven: \
                         expected one slash of {expected}, found {other:?}",
                        claim.prover
                    )))
                }
            }
            if !stake_slashes.is_empty() {
                return Err(fail(format!(
                    "a claimed epoch slashes no stake, found {stake_slashes:?}"
                )));
            }
        } else {
            if !prover_slashes.is_empty() {
                return Err(fail(format!(
                    "unclaimed (claim status {}), yet a prover was slashed: {prover_slashes:?}",
                    claim.status
                )));
            }
            let block = rollup
                .blockLog(U256::from(prune.from_block))
                .block(before)
                .call()
                .await
                .decoded(format!(
                    "Rollup.blockLog({}) before L1 block {at}",
                    prune.from_block
                ))?;
            let rule: U256 = rollup
                .config()
                .call()
                .await
                .decoded("Rollup.config()")?
                .unprovenBlockPenalty;
            let stake = U256::from(
                l1.staking()
                    .stakerInfo(block.proposer)
                    .block(before)
                    .call()
                    .await
                    .decoded(format!("Staking.stakerInfo({})", block.proposer))?
                    .stake,
            );
            let expected = if block.backup {
                U256::ZERO
            } else {
                rule.min(stake)
            };
            match stake_slashes.as_slice() {
                [] if expected.is_zero() => {}
                [slash] if slash.staker == block.proposer && slash.amount == expected => {
                    penalty.stake_slash = Some(*slash);
                }
                other => {
                    return Err(fail(format!(
                        "unclaimed: expected a stake slash of {expected} of {} (proposer of block \
                         {}, backup: {}), found {other:?}",
                        block.proposer, prune.from_block, block.backup
                    )))
                }
            }
        }
        let last_epoch = self
            .proposals
            .iter()
            .rfind(|p| p.block == prune.to_block && p.l1_block <= at)
            .map_or(epoch, |p| l1.clock.epoch_of(p.slot));
        for later in epoch + 1..=last_epoch {
            let status = rollup
                .claimOf(U256::from(later))
                .block(before)
                .call()
                .await
                .decoded(format!("Rollup.claimOf({later}) before L1 block {at}"))?
                .status;
            // A claim in the prune's own L1 block came before the prune (after it, the epoch
            // has no unproven block to claim): it stands too.
            let standing = status == CLAIM_CLAIMED
                || self
                    .claims
                    .iter()
                    .any(|(e, c)| *e == later && c.l1_block == at);
            let cancelled = self
                .cancellations
                .iter()
                .any(|(e, c)| *e == later && c.l1_block == at);
            if standing != cancelled {
                return Err(fail(format!(
                    "epoch {later} (claim status {status} before the prune's L1 block) \
                     cancelled: {cancelled}"
                )));
            }
            if cancelled {
                penalty.cancelled.push(later);
            }
        }
        Ok(penalty)
    }
}

/// `IRollup.ClaimStatus.Claimed`.
const CLAIM_CLAIMED: u8 = 1;

/// The first entry of `epoch` in an L1-ordered list.
fn first_of<T>(entries: &[(u64, T)], epoch: u64) -> Option<&T> {
    entries.iter().find(|(e, _)| *e == epoch).map(|(_, t)| t)
}

/// Whether a proof of `epoch` up to `to_block`, accepted in L1 block `l1_block`, proved the
/// epoch's last block (`Rollup.epochLog` as of that block: the epoch had ended, so no block
/// joins it later).
async fn proves_the_last_block(l1: &L1, epoch: u64, to_block: u64, l1_block: u64) -> Result<bool> {
    let log = l1
        .rollup()
        .epochLog(U256::from(epoch))
        .block(BlockId::number(l1_block))
        .call()
        .await
        .decoded(format!("Rollup.epochLog({epoch}) at L1 block {l1_block}"))?;
    let last = log.firstBlock + u64::from(log.blockCount).saturating_sub(1);
    Ok(to_block >= last)
}
