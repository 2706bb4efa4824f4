//! The deployment record, `deployments/<chain-id>.json`: what other tools read to find the suite.

use std::path::{Path, PathBuf};

use alloy::primitives::{Address, B256};
use fernet_state::StateConfig;
use serde::{Deserialize, Serialize};

use crate::{
    params::{
        CommitteeParams, FeeInboxParams, ProverEscrowParams, ProvingMode, RollupParams,
        StakingParams, StatePreset,
    },
    Clock, Error, Result, TokenAmount,
};

/// One deployed contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractRecord {
    /// Its address.
    pub address: Address,
    /// The L1 block of its deployment; `None` for a contract given to deploy (`--token`).
    pub deploy_block: Option<u64>,
}

/// The parameters the suite was deployed with, as the contracts hold them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameters {
    /// `Staking` (with the actual `genesisTime`).
    pub staking: StakingParams,
    /// `ProverEscrow`.
    pub prover_escrow: ProverEscrowParams,
    /// `FeeInbox`.
    pub fee_inbox: FeeInboxParams,
    /// `Rollup` (with the actual `maxDataBytes`).
    pub rollup: RollupParams,
    /// How epochs are proven (absent in records older than the committee mode: the quote mode).
    #[serde(default)]
    pub proving_mode: ProvingMode,
    /// The committee parameters, in the committee mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committee: Option<CommitteeParams>,
}

/// Where the circuit keys behind a deployment's verifiers come from.
///
/// Records written before this field existed parse as [`CircuitKeys::InsecureDevnet`], which is
/// what every deployment used then.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "camelCase")]
pub enum CircuitKeys {
    /// The deterministic devnet setup, whose toxic waste is public: anyone can forge proofs.
    #[default]
    InsecureDevnet,
    /// A trusted setup ceremony, identified by the hash of its transcript.
    #[serde(rename_all = "camelCase")]
    Ceremony {
        /// The transcript hash `fernet-ceremony export` printed.
        transcript_hash: B256,
    },
}

impl CircuitKeys {
    /// The origin of keys named by `transcript_hash`: a ceremony's, or the insecure devnet
    /// setup's when there is none.
    pub fn of_transcript(transcript_hash: Option<[u8; 32]>) -> Self {
        match transcript_hash {
            Some(hash) => Self::Ceremony {
                transcript_hash: B256::from(hash),
            },
            None => Self::InsecureDevnet,
        }
    }
}

impl std::fmt::Display for CircuitKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InsecureDevnet => f.write_str("the insecure devnet keys"),
            Self::Ceremony { transcript_hash } => {
                write!(f, "the keys of ceremony {transcript_hash}")
            }
        }
    }
}

/// Everything about one deployment of the suite on one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// The chain.
    pub chain_id: u64,
    /// The account that deployed the suite.
    pub deployer: Address,
    /// The rollup's deployment block: L1 followers start reading events here.
    pub deploy_block: u64,
    /// The staking token (`DevnetToken` unless `--token` was given).
    pub token: ContractRecord,
    /// The `BlockProofVerifier`: whole-block proofs.
    pub verifier: ContractRecord,
    /// The `ChunkProofVerifier`: chunk proofs of [`StateConfig::chunk_txs`] tx slots.
    pub chunk_verifier: ContractRecord,
    /// `Staking`.
    pub staking: ContractRecord,
    /// `ProverEscrow`.
    pub prover_escrow: ContractRecord,
    /// `RewardPool`.
    pub reward_pool: ContractRecord,
    /// `FeeInbox`: deposits of the fee asset for L2 accounts.
    pub fee_inbox: ContractRecord,
    /// `Rollup`.
    pub rollup: ContractRecord,
    /// `verificationKeyHash()` of the verifier: which circuit keys prove blocks.
    pub verification_key_hash: B256,
    /// `verificationKeyHash()` of the chunk verifier: which circuit keys prove chunks.
    pub chunk_verification_key_hash: B256,
    /// Where those circuit keys come from: provers refuse keys of another origin.
    #[serde(default)]
    pub circuit_keys: CircuitKeys,
    /// State root of block 0 (the empty state of `stateConfig`).
    pub genesis_state_root: B256,
    /// The state sizes preset of the circuit.
    pub state_preset: StatePreset,
    /// The state sizes themselves.
    pub state_config: StateConfig,
    /// Every constructor parameter.
    pub parameters: Parameters,
    /// Tokens moved into the reward pool at deployment (0 with `--token`).
    pub reward_pool_funding: TokenAmount,
}

impl Deployment {
    /// The rollup's slot clock, from the recorded `Staking` parameters.
    pub fn clock(&self) -> Clock {
        let staking = &self.parameters.staking;
        Clock {
            genesis_time: staking.genesis_time,
            slot_duration: staking.slot_duration,
            epoch_duration: staking.epoch_duration,
        }
    }

    /// `<dir>/<chain-id>.json`.
    pub fn path(dir: &Path, chain_id: u64) -> PathBuf {
        dir.join(format!("{chain_id}.json"))
    }

    /// Reads the record at `path`; `None` when there is no file.
    pub fn read(path: &Path) -> Result<Option<Self>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(Error::DeploymentFile {
                    path: path.to_owned(),
                    source,
                })
            }
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|source| Error::ParseDeployment {
                path: path.to_owned(),
                source,
            })
    }

    /// Pretty JSON, as written to the file.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).expect("a deployment serializes");
        json.push('\n');
        json
    }

    /// Writes the record to `path`, creating its directory.
    pub fn write(&self, path: &Path) -> Result<()> {
        let io_error = |source| Error::DeploymentFile {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io_error)?;
        }
        std::fs::write(path, self.to_json()).map_err(io_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circuit_keys_are_tagged_by_their_source_and_default_to_the_insecure_setup() {
        let hash = B256::repeat_byte(0xab);
        let ceremony = CircuitKeys::Ceremony {
            transcript_hash: hash,
        };
        let json = serde_json::to_value(ceremony).unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "source": "ceremony", "transcriptHash": hash.to_string() })
        );
        assert_eq!(
            serde_json::from_value::<CircuitKeys>(json).unwrap(),
            ceremony
        );
        assert_eq!(
            serde_json::to_value(CircuitKeys::InsecureDevnet).unwrap(),
            serde_json::json!({ "source": "insecureDevnet" })
        );
        assert_eq!(CircuitKeys::default(), CircuitKeys::InsecureDevnet);
        assert_eq!(
            CircuitKeys::of_transcript(None),
            CircuitKeys::InsecureDevnet
        );
        assert_eq!(
            CircuitKeys::of_transcript(Some([0xab; 32])),
            CircuitKeys::Ceremony {
                transcript_hash: B256::from([0xab; 32])
            }
        );
    }
}
