//! The live view: one [`SlotReport`] per ended slot, computed from L1 events alone, shown as one
//! line (`Display`) or one JSON object (`serde`).
//!
//! ```text
//! slot 42 epoch 21 | block #17 by sequencer-2 (rank 2 of 4) 3 txs | claim e20 → prover-1 5.00% bond 10 | proofs verified e19 (2 blocks) | proven tip #15
//! ```

use std::{collections::HashMap, fmt, time::Duration};

use alloy::primitives::{Address, U256};
use fernet_bindings::{rollup::Rollup::RollupEvents, staking::Staking::StakingEvents};
use serde::{Serialize, Serializer};

use crate::{
    l1::{L1Event, L1Log, L1},
    Result,
};

/// The block a slot ended with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotBlock {
    /// Its number.
    pub number: u64,
    /// Who proposed it (the last, highest-scoring proposal of the slot).
    pub proposer: Address,
    /// The devnet's name for the proposer, when it is a devnet account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposer_name: Option<String>,
    /// The proposer's place in the slot's ranking (1 is the best score); `None` if not ranked
    /// (a backup block from outside the set).
    pub rank: Option<usize>,
    /// How many sequencers were ranked for the slot.
    pub ranked: usize,
    /// Transactions in its data; `None` when they could not be read.
    pub txs: Option<usize>,
    /// Whether it came from backup mode (with its proof).
    pub backup: bool,
    /// Proposers whose proposals for this slot were replaced by higher scores.
    pub replaced: Vec<Address>,
}

/// A claim of an epoch's proving right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimReport {
    /// The claimed epoch.
    pub epoch: u64,
    /// The prover whose quote was claimed.
    pub prover: Address,
    /// The devnet's name for the prover.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prover_name: Option<String>,
    /// The sequencer that claimed.
    pub claimant: Address,
    /// The bond locked, in base units.
    #[serde(serialize_with = "decimal")]
    pub bond: U256,
    /// The prover's share, in basis points.
    pub basis_point_fee: u64,
    /// The claim this one replaced with a cheaper quote (the claim auction), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced: Option<ReplacedClaim>,
}

/// A claim replaced by a strictly cheaper quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplacedClaim {
    /// Its prover (whose bond was released).
    pub prover: Address,
    /// Its fee, in basis points.
    pub basis_point_fee: u64,
}

/// An epoch proof accepted on L1 (all of the epoch's unproven blocks, or a prefix of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofReport {
    /// The proven epoch.
    pub epoch: u64,
    /// Its first proven block.
    pub from_block: u64,
    /// Its last proven block (maybe not the epoch's last).
    pub to_block: u64,
    /// The credited prover (the claimed one, or the submitter of an open epoch).
    pub prover: Address,
    /// The devnet's name for the prover.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prover_name: Option<String>,
    /// Who sent the proof.
    pub submitter: Address,
}

/// Something that went wrong on L1: prunes, slashes, cancelled claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Penalty {
    /// Unproven blocks were removed after `epoch` missed its proof window.
    #[serde(rename_all = "camelCase")]
    Pruned {
        /// The epoch that missed its window.
        epoch: u64,
        /// First removed block.
        from_block: u64,
        /// Last removed block.
        to_block: u64,
    },
    /// A claimed prover's bond was slashed.
    #[serde(rename_all = "camelCase")]
    ProverSlashed {
        /// The epoch it did not prove.
        epoch: u64,
        /// The prover.
        prover: Address,
        /// The slashed part of its bond (pro rata to the epoch's unproven blocks), in base units.
        #[serde(serialize_with = "decimal")]
        bond: U256,
    },
    /// A sequencer's stake was slashed.
    #[serde(rename_all = "camelCase")]
    StakeSlashed {
        /// The sequencer.
        staker: Address,
        /// The amount, in base units.
        #[serde(serialize_with = "decimal")]
        amount: U256,
    },
    /// A later epoch's claim was dropped (bond returned) because earlier blocks were pruned.
    #[serde(rename_all = "camelCase")]
    ClaimCancelled {
        /// The epoch.
        epoch: u64,
        /// Its prover.
        prover: Address,
    },
}

/// A sequencer that registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    /// The sequencer.
    pub staker: Address,
    /// The devnet's name for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The first epoch it may propose in.
    pub activation_epoch: u64,
}

/// What happened on L1 during one slot, and the tips once it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotReport {
    /// The slot.
    pub slot: u64,
    /// Its epoch.
    pub epoch: u64,
    /// The block it ended with, if any.
    pub block: Option<SlotBlock>,
    /// Claims accepted during the slot.
    pub claims: Vec<ClaimReport>,
    /// Epoch proofs accepted during the slot.
    pub proofs: Vec<ProofReport>,
    /// Prunes, slashes and cancelled claims during the slot.
    pub penalties: Vec<Penalty>,
    /// Registrations during the slot.
    pub registrations: Vec<Registration>,
    /// The pending tip when the report was made.
    pub pending_tip: u64,
    /// The proven tip when the report was made.
    pub proven_tip: u64,
    /// Names of devnet accounts, for the line (not serialized: the JSON has addresses).
    #[serde(skip)]
    pub names: HashMap<Address, String>,
}

impl SlotReport {
    fn name(&self, address: Address) -> String {
        self.names
            .get(&address)
            .cloned()
            .unwrap_or_else(|| short(address))
    }
}

impl fmt::Display for SlotReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = vec![format!("slot {} epoch {}", self.slot, self.epoch)];
        parts.push(match &self.block {
            None => "no block".to_owned(),
            Some(block) => {
                let mut text = format!(
                    "{}block #{} by {}",
                    if block.backup { "backup " } else { "" },
                    block.number,
                    self.name(block.proposer)
                );
                match block.rank {
                    Some(rank) => text.push_str(&format!(" (rank {rank} of {})", block.ranked)),
                    None => text.push_str(" (not ranked)"),
                }
                match block.txs {
                    Some(txs) => text.push_str(&format!(" {txs} txs")),
                    None => text.push_str(" ? txs"),
                }
                for replaced in &block.replaced {
                    text.push_str(&format!(", replaced {}", self.name(*replaced)));
                }
                text
            }
        });
        for claim in &self.claims {
            let mut text = format!(
                "claim e{} → {} {} bond {}",
                claim.epoch,
                self.name(claim.prover),
                percent(claim.basis_point_fee),
                tokens(claim.bond)
            );
            if let Some(replaced) = &claim.replaced {
                text.push_str(&format!(
                    " (replaced {} {})",
                    self.name(replaced.prover),
                    percent(replaced.basis_point_fee)
                ));
            }
            parts.push(text);
        }
        for proof in &self.proofs {
            let blocks = proof.to_block + 1 - proof.from_block.min(proof.to_block + 1);
            parts.push(format!(
                "proofs verified e{} ({} block{}) by {}",
                proof.epoch,
                blocks,
                if blocks == 1 { "" } else { "s" },
                self.name(proof.prover)
            ));
        }
        for penalty in &self.penalties {
            parts.push(match penalty {
                Penalty::Pruned {
                    epoch,
                    from_block,
                    to_block,
                } => format!("PRUNED e{epoch} blocks #{from_block}-#{to_block}"),
                Penalty::ProverSlashed {
                    epoch,
                    prover,
                    bond,
                } => format!(
                    "SLASHED {} bond {} (e{epoch})",
                    self.name(*prover),
                    tokens(*bond)
                ),
                Penalty::StakeSlashed { staker, amount } => {
                    format!("SLASHED {} stake {}", self.name(*staker), tokens(*amount))
                }
                Penalty::ClaimCancelled { epoch, prover } => {
                    format!("claim e{epoch} of {} cancelled", self.name(*prover))
                }
            });
        }
        for registration in &self.registrations {
            parts.push(format!(
                "registered {} (from e{})",
                self.name(registration.staker),
                registration.activation_epoch
            ));
        }
        parts.push(format!("proven tip #{}", self.proven_tip));
        f.write_str(&parts.join(" | "))
    }
}

/// Turns L1 events into one [`SlotReport`] per slot, as slots end.
#[derive(Debug)]
pub struct Monitor {
    l1: L1,
    names: HashMap<Address, String>,
    next_slot: u64,
    next_l1_block: u64,
    buffered: Vec<L1Log>,
    poll_interval: Duration,
}

impl Monitor {
    /// A monitor whose first report is the slot in progress now.
    pub async fn new(l1: L1) -> Result<Self> {
        let (_, timestamp) = l1.latest().await?;
        let slot = l1.clock.slot_at(timestamp);
        Ok(Self::starting_at(l1, slot))
    }

    /// A monitor whose first report is `slot` (events are read from the rollup's deployment).
    pub fn starting_at(l1: L1, slot: u64) -> Self {
        let next_l1_block = l1.deployment().deploy_block;
        Self {
            l1,
            names: HashMap::new(),
            next_slot: slot,
            next_l1_block,
            buffered: Vec::new(),
            poll_interval: Duration::from_millis(500),
        }
    }

    /// Names to show instead of addresses (`sequencer-2`).
    pub fn with_names(mut self, names: HashMap<Address, String>) -> Self {
        self.names = names;
        self
    }

    /// The slot the next report is about.
    pub fn next_slot(&self) -> u64 {
        self.next_slot
    }

    /// Waits until the next slot has ended on L1 (a block with a later timestamp exists), then
    /// reports it.
    pub async fn next_report(&mut self) -> Result<SlotReport> {
        loop {
            if let Some(report) = self.try_next_report().await? {
                return Ok(report);
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }

    /// Reports slot after slot until one satisfies `condition` and returns it; fails with
    /// [`crate::Error::Timeout`] after `timeout`.
    pub async fn next_matching(
        &mut self,
        what: &str,
        timeout: Duration,
        mut condition: impl FnMut(&SlotReport) -> bool,
    ) -> Result<SlotReport> {
        let wait = async {
            loop {
                let report = self.next_report().await?;
                if condition(&report) {
                    return Ok(report);
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| crate::Error::Timeout {
                what: what.to_owned(),
                timeout,
            })?
    }

    /// Reports the next slot if it has ended on L1, without waiting.
    pub async fn try_next_report(&mut self) -> Result<Option<SlotReport>> {
        let slot = self.next_slot;
        let (latest, timestamp) = self.l1.latest().await?;
        if timestamp < self.l1.clock.slot_start(slot + 1) {
            return Ok(None);
        }
        if latest >= self.next_l1_block {
            let logs = self.l1.events(self.next_l1_block, latest).await?;
            self.buffered.extend(logs);
            self.next_l1_block = latest + 1;
        }
        // Events of this slot leave the buffer only once its report is made: a failed RPC
        // loses nothing. Events of earlier slots (before the monitor started) are dropped.
        let l1 = &self.l1;
        self.buffered.retain(|log| slot_of(l1, log) >= slot);
        let mine: Vec<L1Log> = self
            .buffered
            .iter()
            .filter(|log| slot_of(l1, log) == slot)
            .cloned()
            .collect();
        let report = self.report(slot, mine).await?;
        let l1 = &self.l1;
        self.buffered.retain(|log| slot_of(l1, log) > slot);
        self.next_slot = slot + 1;
        Ok(Some(report))
    }

    async fn report(&self, slot: u64, logs: Vec<L1Log>) -> Result<SlotReport> {
        let mut report = SlotReport {
            slot,
            epoch: self.l1.clock.epoch_of(slot),
            block: None,
            claims: Vec::new(),
            proofs: Vec::new(),
            penalties: Vec::new(),
            registrations: Vec::new(),
            pending_tip: self.l1.pending_tip().await?,
            proven_tip: self.l1.proven_tip().await?,
            names: self.names.clone(),
        };
        let mut replaced = Vec::new();
        let mut proposal = None;
        // An `EpochProofClaimReplaced` comes right before the `EpochProofRightClaimed` it makes.
        let mut replaced_claim = None;
        for log in logs {
            match log.event {
                L1Event::Rollup(RollupEvents::BlockProposed(event)) => {
                    proposal = Some((event, log.tx_hash));
                }
                L1Event::Rollup(RollupEvents::BlockReplaced(event)) => {
                    replaced.push(event.replaced);
                }
                L1Event::Rollup(RollupEvents::EpochProofClaimReplaced(event)) => {
                    replaced_claim = Some(ReplacedClaim {
                        prover: event.replacedProver,
                        basis_point_fee: event.replacedFee.saturating_to(),
                    });
                }
                L1Event::Rollup(RollupEvents::EpochProofRightClaimed(event)) => {
                    report.claims.push(ClaimReport {
                        epoch: event.epoch.saturating_to(),
                        prover: event.prover,
                        prover_name: self.names.get(&event.prover).cloned(),
                        claimant: event.claimant,
                        bond: event.bondAmount,
                        basis_point_fee: event.basisPointFee.saturating_to(),
                        replaced: replaced_claim.take(),
                    });
                }
                L1Event::Rollup(RollupEvents::EpochProven(event)) => {
                    report.proofs.push(ProofReport {
                        epoch: event.epoch.saturating_to(),
                        from_block: event.fromBlock.saturating_to(),
                        to_block: event.toBlock.saturating_to(),
                        prover: event.prover,
                        prover_name: self.names.get(&event.prover).cloned(),
                        submitter: event.submitter,
                    });
                }
                L1Event::Rollup(RollupEvents::BlocksPruned(event)) => {
                    report.penalties.push(Penalty::Pruned {
                        epoch: event.epoch.saturating_to(),
                        from_block: event.fromBlock.saturating_to(),
                        to_block: event.toBlock.saturating_to(),
                    });
                }
                L1Event::Rollup(RollupEvents::ProverSlashed(event)) => {
                    report.penalties.push(Penalty::ProverSlashed {
                        epoch: event.epoch.saturating_to(),
                        prover: event.prover,
                        bond: event.bondAmount,
                    });
                }
                L1Event::Rollup(RollupEvents::ClaimCancelled(event)) => {
                    report.penalties.push(Penalty::ClaimCancelled {
                        epoch: event.epoch.saturating_to(),
                        prover: event.prover,
                    });
                }
                L1Event::Staking(StakingEvents::Slashed(event)) => {
                    report.penalties.push(Penalty::StakeSlashed {
                        staker: event.staker,
                        amount: event.amount,
                    });
                }
                L1Event::Staking(StakingEvents::Registered(event)) => {
                    report.registrations.push(Registration {
                        staker: event.staker,
                        name: self.names.get(&event.staker).cloned(),
                        activation_epoch: event.activationEpoch.saturating_to(),
                    });
                }
                L1Event::Rollup(_) | L1Event::Staking(_) => {}
            }
        }
        if let Some((event, tx_hash)) = proposal {
            let ranking = self.l1.ranking(slot).await?;
            let rank = ranking
                .iter()
                .position(|address| *address == event.proposer)
                .map(|index| index + 1);
            report.block = Some(SlotBlock {
                number: event.blockNumber.saturating_to(),
                proposer: event.proposer,
                proposer_name: self.names.get(&event.proposer).cloned(),
                rank,
                ranked: ranking.len(),
                txs: self.l1.proposal_tx_count(tx_hash).await?,
                backup: event.backup,
                replaced,
            });
        }
        Ok(report)
    }
}

/// The slot an event belongs to: a proposal's own slot (a backup block may land later), else
/// the slot of its L1 block.
fn slot_of(l1: &L1, log: &L1Log) -> u64 {
    match &log.event {
        L1Event::Rollup(RollupEvents::BlockProposed(event)) => event.slot.saturating_to(),
        L1Event::Rollup(RollupEvents::BlockReplaced(event)) => event.slot.saturating_to(),
        _ => l1.clock.slot_at(log.timestamp),
    }
}

/// `0xab12…`: the first two bytes of an address.
pub fn short(address: Address) -> String {
    format!("0x{}…", &alloy::primitives::hex::encode(address)[..4])
}

/// Basis points as a percentage with two decimals: 500 -> `5.00%`.
pub fn percent(basis_points: u64) -> String {
    format!("{}.{:02}%", basis_points / 100, basis_points % 100)
}

/// Base units of an 18-decimal token as tokens, with at most two decimals: `10`, `2.5`.
pub fn tokens(amount: U256) -> String {
    let unit = U256::from(10u64).pow(U256::from(18u64));
    let whole = amount / unit;
    let cents: u64 = ((amount % unit) / U256::from(10u64).pow(U256::from(16u64))).saturating_to();
    match cents {
        0 => whole.to_string(),
        c if c % 10 == 0 => format!("{whole}.{}", c / 10),
        c => format!("{whole}.{c:02}"),
    }
}

/// Serializes a token amount as a decimal string (JSON numbers cannot hold 256 bits).
fn decimal<S: Serializer>(value: &U256, serializer: S) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(&value.to_string())
}

#[cfg(test)]
mod tests {
    use alloy::primitives::address;

    use super::*;

    fn token(n: u64) -> U256 {
        U256::from(n) * U256::from(10u64).pow(U256::from(16u64))
    }

    #[test]
    fn formats_amounts_and_fees() {
        assert_eq!(tokens(token(1000)), "10");
        assert_eq!(tokens(token(250)), "2.5");
        assert_eq!(tokens(token(1234)), "12.34");
        assert_eq!(tokens(U256::from(1)), "0");
        assert_eq!(percent(500), "5.00%");
        assert_eq!(percent(2000), "20.00%");
        assert_eq!(percent(1), "0.01%");
        assert_eq!(
            short(address!("0xAb12000000000000000000000000000000000000")),
            "0xab12…"
        );
    }

    #[test]
    fn formats_a_full_line_and_json() {
        let sequencer = address!("0xAb12000000000000000000000000000000000001");
        let prover = address!("0xCd34000000000000000000000000000000000002");
        let report = SlotReport {
            slot: 42,
            epoch: 21,
            block: Some(SlotBlock {
                number: 17,
                proposer: sequencer,
                proposer_name: None,
                rank: Some(2),
                ranked: 4,
                txs: Some(3),
                backup: false,
                replaced: vec![],
            }),
            claims: vec![ClaimReport {
                epoch: 20,
                prover,
                prover_name: Some("prover-1".into()),
                claimant: sequencer,
                bond: token(1000),
                basis_point_fee: 500,
                replaced: Some(ReplacedClaim {
                    prover: sequencer,
                    basis_point_fee: 800,
                }),
            }],
            proofs: vec![ProofReport {
                epoch: 19,
                from_block: 14,
                to_block: 15,
                prover,
                prover_name: Some("prover-1".into()),
                submitter: prover,
            }],
            penalties: vec![],
            registrations: vec![],
            pending_tip: 17,
            proven_tip: 15,
            names: [(prover, "prover-1".to_owned())].into(),
        };
        assert_eq!(
            report.to_string(),
            "slot 42 epoch 21 | block #17 by 0xab12… (rank 2 of 4) 3 txs | \
             claim e20 → prover-1 5.00% bond 10 (replaced 0xab12… 8.00%) | \
             proofs verified e19 (2 blocks) by prover-1 | proven tip #15"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["claims"][0]["bond"], "10000000000000000000");
        assert_eq!(json["claims"][0]["replaced"]["basisPointFee"], 800);
        assert_eq!(json["block"]["rank"], 2);
        assert_eq!(json["provenTip"], 15);
        assert!(json.get("names").is_none());

        let empty = SlotReport {
            block: None,
            claims: vec![],
            proofs: vec![],
            penalties: vec![
                Penalty::Pruned {
                    epoch: 19,
                    from_block: 16,
                    to_block: 17,
                },
                Penalty::ProverSlashed {
                    epoch: 19,
                    prover,
                    bond: token(1000),
                },
            ],
            ..report
        };
        assert_eq!(
            empty.to_string(),
            "slot 42 epoch 21 | no block | PRUNED e19 blocks #16-#17 | \
             SLASHED prover-1 bond 10 (e19) | proven tip #15"
        );
        let json = serde_json::to_value(&empty).unwrap();
        assert_eq!(json["penalties"][0]["kind"], "pruned");
        assert_eq!(json["penalties"][1]["bond"], "10000000000000000000");
    }
}
