//! Errors of the deploy library.

use std::path::PathBuf;

use alloy::primitives::{Address, TxHash, B256};

/// Everything that can stop a deployment, each with the values needed to fix it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The config file could not be read.
    #[error("cannot read config {path}")]
    ReadConfig {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The config (file plus environment overrides) is not valid TOML for [`crate::DeployConfig`].
    #[error("invalid config{}", path.as_ref().map(|p| format!(" {}", p.display())).unwrap_or_default())]
    ParseConfig {
        /// The file, when read from one.
        path: Option<PathBuf>,
        /// The TOML error (names the key).
        #[source]
        source: toml::de::Error,
    },
    /// A parameter breaks a rule of the contracts.
    #[error("invalid parameter {parameter}: {reason}")]
    InvalidParameter {
        /// The parameter's name in the config.
        parameter: &'static str,
        /// The rule it breaks.
        reason: String,
    },
    /// The chain is not one deploy knows, and `--allow-unknown-chain` was not given.
    #[error(
        "chain id {chain_id} is not a known chain (31337 anvil, 11155111 sepolia, 17000 holesky); \
         pass --allow-unknown-chain to deploy anyway"
    )]
    UnknownChain {
        /// The RPC's chain id.
        chain_id: u64,
    },
    /// The verifiers would check proofs of the insecure devnet keys on a chain other than anvil,
    /// and `--insecure-devnet-keys` was not given.
    #[error(
        "chain {chain_id} is not anvil, and the circuit keys are the insecure devnet setup's, whose \
         toxic waste is public (anyone could forge proofs): deploy keys from a ceremony \
         (docs/ceremony.md), or pass --insecure-devnet-keys for a throwaway testnet"
    )]
    InsecureDevnetKeys {
        /// The RPC's chain id.
        chain_id: u64,
    },
    /// The RPC serves another chain than `L1_CHAIN_ID` says.
    #[error("the RPC serves chain {actual}, but L1_CHAIN_ID is {expected}")]
    ChainIdMismatch {
        /// `L1_CHAIN_ID`.
        expected: u64,
        /// The RPC's chain id.
        actual: u64,
    },
    /// No deployer key was given for a chain other than anvil.
    #[error("DEPLOYER_PRIVATE_KEY is required on chain {chain_id} (only anvil has a default key)")]
    MissingPrivateKey {
        /// The chain.
        chain_id: u64,
    },
    /// The deployer key does not parse.
    #[error("DEPLOYER_PRIVATE_KEY is not a valid private key")]
    InvalidPrivateKey(#[source] alloy::signers::local::LocalSignerError),
    /// An RPC request failed.
    #[error("RPC request failed: {context}")]
    Rpc {
        /// What was asked.
        context: String,
        /// The transport error.
        #[source]
        source: alloy::transports::TransportError,
    },
    /// A verifier for the deployment's circuit could not be generated (keys, solc).
    #[error("cannot build the {} for this state configuration", kind.contract_name())]
    Verifier {
        /// Which verifier.
        kind: fernet_circuits::verifier_gen::VerifierKind,
        /// Why.
        #[source]
        source: fernet_circuits::Error,
    },
    /// The ceremony export given as the verifiers' keys (`--ceremony-keys`) is unusable: no
    /// readable manifest.
    #[error("cannot use the ceremony keys")]
    CeremonyKeys {
        /// Why (names the file).
        #[source]
        source: fernet_circuits::Error,
    },
    /// A deployed verifier reports another key hash than the keys it was generated from.
    #[error("the deployed {verifier} reports key hash {actual}, generated for {expected}")]
    VerifierKeyMismatch {
        /// The verifier contract.
        verifier: &'static str,
        /// The generating keys' hash.
        expected: B256,
        /// What the contract reports.
        actual: B256,
    },
    /// A contract call or transaction failed; its revert is decoded.
    #[error(transparent)]
    Contract(#[from] fernet_bindings::Error),
    /// Waiting for a transaction's receipt failed.
    #[error("waiting for the receipt of {context} failed")]
    Receipt {
        /// The transaction.
        context: String,
        /// The error.
        #[source]
        source: alloy::providers::PendingTransactionError,
    },
    /// A transaction was mined but reverted.
    #[error("{context} reverted on chain (transaction {tx_hash})")]
    TransactionReverted {
        /// The transaction.
        context: String,
        /// Its hash.
        tx_hash: TxHash,
    },
    /// A deployment receipt has no contract address.
    #[error("{context}: the receipt of {tx_hash} has no contract address")]
    NoContractAddress {
        /// The deployment.
        context: String,
        /// Its hash.
        tx_hash: TxHash,
    },
    /// The rollup landed elsewhere than the satellites were told (someone used the deployer's nonce).
    #[error("the rollup was deployed at {actual}, but the satellites were built for {predicted}")]
    RollupAddressMismatch {
        /// The address the satellites point at.
        predicted: Address,
        /// Where the rollup is.
        actual: Address,
    },
    /// The recorded deployment is live but was deployed with other parameters.
    #[error(
        "{path} records a live deployment with other parameters ({}); pass --redeploy to deploy a new suite",
        differences.join("; ")
    )]
    DeploymentMismatch {
        /// The deployment file.
        path: PathBuf,
        /// `name: recorded/on chain X, wanted Y` for each difference.
        differences: Vec<String>,
    },
    /// The deployment record could not be read or written.
    #[error(transparent)]
    Record(#[from] fernet_primitives::Error),
    /// The state sizes are invalid (genesis root).
    #[error("cannot compute the genesis state root")]
    State(#[from] fernet_state::Error),
}

/// Result of the deploy library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
