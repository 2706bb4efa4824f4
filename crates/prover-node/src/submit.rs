//! Epoch proof submission: `submitEpochProof` (or `submitSplitEpochProof` when blocks are
//! proven as chunks) with the prover's key, unless the epoch is already proven or past its
//! deadline.

use alloy::{
    primitives::{Address, B256, U256},
    providers::DynProvider,
};
use fernet_bindings::{ContractResultExt, IRollup};
use fernet_l1::TxSender;

use crate::{orchestrator::EpochProof, Result};

/// What [`ProofSubmitter::submit`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// The proof landed.
    Submitted {
        /// The transaction.
        tx_hash: B256,
        /// Gas it used.
        gas_used: u64,
        /// The L1 block it landed in.
        l1_block: Option<u64>,
    },
    /// The proven tip already covers the epoch's blocks: nothing was sent.
    AlreadyProven {
        /// The proven tip.
        proven_tip: u64,
    },
    /// The epoch's proof window has closed: nothing was sent.
    PastDeadline {
        /// Last slot a proof was accepted in.
        deadline: u64,
        /// The current slot.
        slot: u64,
    },
}

/// Sends epoch proofs to the rollup.
#[derive(Debug, Clone)]
pub struct ProofSubmitter {
    rollup: IRollup::IRollupInstance<DynProvider>,
    sender: TxSender,
}

impl ProofSubmitter {
    /// A submitter to the rollup at `rollup`, sending with `sender` (the prover's key).
    pub fn new(rollup: Address, sender: TxSender) -> Self {
        Self {
            rollup: IRollup::new(rollup, sender.provider().clone()),
            sender,
        }
    }

    /// Submits `proof` unless its blocks are already proven or its deadline has passed; a
    /// revert is decoded into the rule it broke (`Rollup__InvalidProof(from, to)`, ...).
    pub async fn submit(&self, proof: &EpochProof) -> Result<SubmitOutcome> {
        let proven_tip: u64 = self
            .rollup
            .provenTip()
            .call()
            .await
            .decoded("Rollup.provenTip()")?
            .saturating_to();
        if proven_tip >= proof.last_block {
            return Ok(SubmitOutcome::AlreadyProven { proven_tip });
        }
        let epoch = U256::from(proof.epoch);
        let deadline: u64 = self
            .rollup
            .proofDeadline(epoch)
            .call()
            .await
            .decoded("Rollup.proofDeadline()")?
            .saturating_to();
        let slot: u64 = self
            .rollup
            .currentSlot()
            .call()
            .await
            .decoded("Rollup.currentSlot()")?
            .saturating_to();
        if slot > deadline {
            return Ok(SubmitOutcome::PastDeadline { deadline, slot });
        }
        let blocks = format!(
            "epoch {}, blocks {}..={}",
            proof.epoch, proof.first_block, proof.last_block
        );
        let pending = match &proof.split {
            None => {
                let call = self.rollup.submitEpochProof(
                    epoch,
                    proof.public_inputs.clone(),
                    proof.proofs.clone(),
                );
                self.sender
                    .send_call(call, format!("submitEpochProof({blocks})"))
                    .await?
            }
            Some(split) => {
                let split = IRollup::EpochSplit {
                    chunkCounts: split.chunk_counts.clone(),
                    intermediateRoots: split.intermediate_roots.clone(),
                };
                let call = self.rollup.submitSplitEpochProof(
                    epoch,
                    proof.public_inputs.clone(),
                    split,
                    proof.proofs.clone(),
                );
                self.sender
                    .send_call(call, format!("submitSplitEpochProof({blocks})"))
                    .await?
            }
        };
        let receipt = pending.receipt().await?;
        Ok(SubmitOutcome::Submitted {
            tx_hash: receipt.transaction_hash,
            gas_used: receipt.gas_used,
            l1_block: receipt.block_number,
        })
    }
}
