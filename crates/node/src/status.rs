//! The confirmation stage of a transaction (docs/protocol.md, "Confirmation stages").

use alloy::primitives::B256;
use serde::{Deserialize, Serialize};

use crate::{chain::ClaimStatus, ChainHandle, PoolHandle};

/// How far a transaction got, in order (`Dropped` and `Unknown` are off the line).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "camelCase")]
pub enum Stage {
    /// Not known to the node.
    Unknown,
    /// Its block was pruned or replaced and it is not back in the pool.
    Dropped,
    /// Checked by the client against the node's state, not sent.
    Executed,
    /// In the pool.
    Pending,
    /// In a block on L1.
    Proposed,
    /// Its epoch has a prover commitment.
    Claimed,
    /// Its block is at or below the proven tip.
    Proven,
    /// The L1 block of its proof is finalized.
    Finalized,
}

impl Stage {
    /// Whether a transaction at this stage has reached `target` on the confirmation line.
    pub fn reached(self, target: Stage) -> bool {
        self >= target && self >= Stage::Executed
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Self::Unknown => "unknown",
            Self::Dropped => "dropped",
            Self::Executed => "executed",
            Self::Pending => "pending",
            Self::Proposed => "proposed",
            Self::Claimed => "claimed",
            Self::Proven => "proven",
            Self::Finalized => "finalized",
        };
        f.write_str(name)
    }
}

/// `fernet_getTransactionStatus`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxStatus {
    /// The stage.
    pub stage: Stage,
    /// Its block, from `proposed` on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_number: Option<u64>,
    /// Its block's slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<u64>,
    /// Its block's epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
    /// The L1 transaction that proposed its block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l1_tx_hash: Option<B256>,
    /// Why it was dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl TxStatus {
    fn bare(stage: Stage) -> Self {
        Self {
            stage,
            block_number: None,
            slot: None,
            epoch: None,
            l1_tx_hash: None,
            reason: None,
        }
    }
}

/// The stage of transaction `hash` as this node sees it.
pub fn tx_status(chain: &ChainHandle, pool: &PoolHandle, hash: &B256) -> TxStatus {
    {
        let chain = chain.read();
        if let Some(block) = chain.tx_block(hash).and_then(|n| chain.block(n)) {
            let epoch = chain.clock().epoch_of(block.slot);
            let stage = if block.number <= chain.proven_tip() {
                if block
                    .proven_l1_block
                    .is_some_and(|b| b <= chain.finalized_l1_block())
                {
                    Stage::Finalized
                } else {
                    Stage::Proven
                }
            } else if chain
                .claim(epoch)
                .is_some_and(|c| c.status == ClaimStatus::Claimed)
            {
                Stage::Claimed
            } else {
                Stage::Proposed
            };
            return TxStatus {
                stage,
                block_number: Some(block.number),
                slot: Some(block.slot),
                epoch: Some(epoch),
                l1_tx_hash: Some(block.l1_tx),
                reason: None,
            };
        }
    }
    if pool.contains(hash) {
        return TxStatus::bare(Stage::Pending);
    }
    match pool.dropped_reason(hash) {
        Some(reason) => TxStatus {
            reason: Some(reason),
            ..TxStatus::bare(Stage::Dropped)
        },
        None => TxStatus::bare(Stage::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_ordered_along_the_confirmation_line() {
        assert!(Stage::Finalized.reached(Stage::Proven));
        assert!(Stage::Proposed.reached(Stage::Pending));
        assert!(!Stage::Pending.reached(Stage::Proposed));
        assert!(!Stage::Dropped.reached(Stage::Unknown));
        assert!(!Stage::Unknown.reached(Stage::Unknown));
        assert_eq!(serde_json::to_value(Stage::Finalized).unwrap(), "finalized");
        assert_eq!(Stage::Claimed.to_string(), "claimed");
    }
}
