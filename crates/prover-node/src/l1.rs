//! What the prover node reads from the rollup: the windows it acts in, and a consistent
//! snapshot of the unproven chain (every call pinned to one L1 block).

use alloy::{
    eips::BlockId,
    primitives::{Address, U256},
    providers::{DynProvider, Provider},
};
use fernet_bindings::{ContractResultExt, IRollup};
use fernet_node::L1;
use fernet_primitives::Clock;

use crate::{error::rpc, orchestrator::ProvableBlock, Error, Result};

/// The rollup's timing and bond parameters, read once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// Slots and epochs.
    pub clock: Clock,
    /// Seconds from a slot's start during which its block can still be replaced.
    pub proposal_window: u64,
    /// Slots at the start of epoch N+1 in which N can be claimed.
    pub claim_window_slots: u64,
    /// Slots after epoch N within which its proof must land.
    pub proof_window_slots: u64,
    /// Smallest bond a claimable quote may offer.
    pub minimum_prover_bond: U256,
    /// Highest fee a claimable quote may ask, in basis points.
    pub max_prover_fee_bps: u64,
}

impl Windows {
    /// Last slot in which `epoch` can be claimed (`Rollup.claimDeadline`).
    pub fn claim_deadline(&self, epoch: u64) -> u64 {
        self.clock
            .epoch_first_slot(epoch + 1)
            .saturating_add(self.claim_window_slots.saturating_sub(1))
    }

    /// Last slot in which a proof of `epoch` is accepted (`Rollup.proofDeadline`).
    pub fn proof_deadline(&self, epoch: u64) -> u64 {
        self.clock
            .epoch_first_slot(epoch + 1)
            .saturating_add(self.proof_window_slots.saturating_sub(1))
    }

    /// Whether the block of `slot` can no longer be replaced at L1 time `timestamp` (its slot's
    /// proposal window has closed).
    pub fn is_final(&self, slot: u64, timestamp: u64) -> bool {
        timestamp
            >= self
                .clock
                .slot_start(slot)
                .saturating_add(self.proposal_window)
    }
}

/// The unproven chain as L1 sees it at one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The L1 block read.
    pub l1_block: u64,
    /// Its timestamp.
    pub timestamp: u64,
    /// The slot at that timestamp.
    pub slot: u64,
    /// The epoch at that timestamp.
    pub epoch: u64,
    /// The proven tip.
    pub proven_tip: u64,
    /// The pending tip.
    pub pending_tip: u64,
    /// Every unproven block, lowest first.
    pub unproven: Vec<ProvableBlock>,
}

/// A claim as the rollup holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Nobody claimed the epoch.
    Unclaimed,
    /// `prover`'s quote was claimed; its proof is outstanding.
    Claimed {
        /// The committed prover.
        prover: Address,
        /// Its bond.
        bond_amount: U256,
        /// Its share in basis points.
        basis_point_fee: u32,
    },
    /// The claim is settled (proven, slashed or cancelled).
    Settled,
}

/// Reads the rollup.
#[derive(Debug, Clone)]
pub struct RollupView {
    provider: DynProvider,
    rollup: IRollup::IRollupInstance<DynProvider>,
    windows: Windows,
}

impl RollupView {
    /// Reads the rollup's windows through `l1`.
    pub async fn connect(l1: &L1) -> Result<Self> {
        let rollup = l1.rollup();
        let config = rollup.config().call().await.decoded("Rollup.config()")?;
        let small = |value: U256, name: &'static str| {
            u64::try_from(value).map_err(|_| Error::Config {
                name,
                reason: format!("the rollup's {name} {value} does not fit 64 bits"),
            })
        };
        let windows = Windows {
            clock: l1.clock,
            proposal_window: small(config.proposalWindow, "proposalWindow")?,
            claim_window_slots: small(config.claimWindowSlots, "claimWindowSlots")?,
            proof_window_slots: small(config.proofWindowSlots, "proofWindowSlots")?,
            minimum_prover_bond: config.minimumProverBond,
            max_prover_fee_bps: small(config.maxProverFeeBps, "maxProverFeeBps")?,
        };
        Ok(Self {
            provider: l1.provider.clone(),
            rollup,
            windows,
        })
    }

    /// The rollup's windows.
    pub fn windows(&self) -> &Windows {
        &self.windows
    }

    /// The rollup contract on the read provider.
    pub fn rollup(&self) -> &IRollup::IRollupInstance<DynProvider> {
        &self.rollup
    }

    /// The tips and every unproven block at the latest L1 block.
    pub async fn snapshot(&self) -> Result<Snapshot> {
        let header = self
            .provider
            .get_block(BlockId::latest())
            .await
            .map_err(rpc("eth_getBlockByNumber(latest)"))?
            .ok_or_else(|| Error::Rpc {
                context: "eth_getBlockByNumber(latest)".into(),
                source: alloy::transports::TransportErrorKind::custom_str("no latest block"),
            })?
            .header;
        let at = BlockId::number(header.number);
        let tip = |value: U256| value.saturating_to::<u64>();
        let proven_tip = tip(self
            .rollup
            .provenTip()
            .block(at)
            .call()
            .await
            .decoded("Rollup.provenTip()")?);
        let pending_tip = tip(self
            .rollup
            .pendingTip()
            .block(at)
            .call()
            .await
            .decoded("Rollup.pendingTip()")?);
        let mut unproven = Vec::new();
        for number in proven_tip + 1..=pending_tip {
            let log = self
                .rollup
                .blockLog(U256::from(number))
                .block(at)
                .call()
                .await
                .decoded(format!("Rollup.blockLog({number})"))?;
            unproven.push(ProvableBlock {
                number,
                slot: log.slot,
                commitment: log.publicInputsHash,
            });
        }
        let slot = self.windows.clock.slot_at(header.timestamp);
        Ok(Snapshot {
            l1_block: header.number,
            timestamp: header.timestamp,
            slot,
            epoch: self.windows.clock.epoch_of(slot),
            proven_tip,
            pending_tip,
            unproven,
        })
    }

    /// The claim of `epoch`.
    pub async fn claim(&self, epoch: u64) -> Result<Claim> {
        let claim = self
            .rollup
            .claimOf(U256::from(epoch))
            .call()
            .await
            .decoded(format!("Rollup.claimOf({epoch})"))?;
        Ok(match claim.status {
            0 => Claim::Unclaimed,
            1 => Claim::Claimed {
                prover: claim.prover,
                bond_amount: U256::from(claim.bondAmount),
                basis_point_fee: claim.basisPointFee,
            },
            _ => Claim::Settled,
        })
    }

    /// Last slot in which `epoch` can be claimed, as the rollup says.
    pub async fn claim_deadline(&self, epoch: u64) -> Result<u64> {
        let slot = self
            .rollup
            .claimDeadline(U256::from(epoch))
            .call()
            .await
            .decoded(format!("Rollup.claimDeadline({epoch})"))?;
        Ok(slot.saturating_to())
    }
}
