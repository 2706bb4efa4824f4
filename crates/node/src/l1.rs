//! The L1 connection: provider, deployment record, clock and chain id.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use alloy::{
    network::Ethereum,
    primitives::U256,
    providers::{
        DynProvider, PendingTransactionBuilder, PendingTransactionError, Provider, ProviderBuilder,
    },
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
    transports::http::reqwest::Url,
};
use fernet_bindings::{ContractResultExt, IRollup};
use fernet_l1::{L1Options, TxSender};
use fernet_primitives::Deployment;
use tracing::info;

use fernet_primitives::Clock;

use crate::{Error, Result};

/// How long a service waits for the receipt of a transaction it sent before giving up on it: a
/// transaction an L1 reorg or a mempool eviction dropped never gets one. Every duty that sends
/// is retried later (next slot, next poll), and the retry's nonce is read from L1 again
/// ([`L1::signing_provider`]), so it takes the dropped transaction's place.
pub const RECEIPT_TIMEOUT: Duration = Duration::from_secs(60);

/// Waits at most `timeout` for the receipt of a sent transaction (the services pass
/// [`RECEIPT_TIMEOUT`]); past it, fails with `WatchTxError::Timeout`.
pub async fn receipt_within(
    pending: PendingTransactionBuilder<Ethereum>,
    timeout: Duration,
) -> std::result::Result<TransactionReceipt, PendingTransactionError> {
    pending.with_timeout(Some(timeout)).get_receipt().await
}

/// Everything about the L1 side a node needs: a read provider on `ETHEREUM_HOST`, the suite's
/// deployment record, the rollup's clock and the chain id.
#[derive(Debug, Clone)]
pub struct L1 {
    /// Read-only provider on the L1 RPC ([`fernet_l1::connect`]: request timeouts, retries of
    /// transient errors, `fernet_l1_requests_total`).
    pub provider: DynProvider,
    /// The suite's addresses and parameters.
    pub deployment: Deployment,
    /// The rollup's slot and epoch clock (read from the contract).
    pub clock: Clock,
    /// The L1 chain id.
    pub chain_id: u64,
    /// The L1 RPC URL (for signing providers on the same endpoint).
    pub rpc_url: Url,
    /// How every provider and sender on it talks to L1.
    pub options: L1Options,
}

impl L1 {
    /// [`L1::connect_with`] the default [`L1Options`].
    pub async fn connect(
        rpc_url: &Url,
        expected_chain_id: Option<u64>,
        deployment_file: Option<&Path>,
    ) -> Result<Self> {
        Self::connect_with(
            rpc_url,
            expected_chain_id,
            deployment_file,
            &L1Options::default(),
        )
        .await
    }

    /// Connects to `rpc_url` as `options` say, checks the chain against `expected_chain_id`
    /// (`L1_CHAIN_ID`), reads the deployment record (`deployment_file`, default
    /// `deployments/<chain-id>.json`) and the rollup's clock.
    pub async fn connect_with(
        rpc_url: &Url,
        expected_chain_id: Option<u64>,
        deployment_file: Option<&Path>,
        options: &L1Options,
    ) -> Result<Self> {
        let provider = fernet_l1::connect(rpc_url, options)?;
        let chain_id = provider
            .get_chain_id()
            .await
            .map_err(Error::l1(format!("eth_chainId on {rpc_url}")))?;
        if let Some(expected) = expected_chain_id.filter(|expected| *expected != chain_id) {
            return Err(Error::ChainIdMismatch {
                expected,
                actual: chain_id,
            });
        }
        let path = deployment_file.map_or_else(
            || Deployment::path(Path::new("deployments"), chain_id),
            PathBuf::from,
        );
        let deployment = Deployment::read(&path)?.ok_or_else(|| Error::NoDeployment {
            path: path.clone(),
            chain_id,
        })?;
        if deployment.chain_id != chain_id {
            return Err(Error::DeploymentChainMismatch {
                path,
                recorded: deployment.chain_id,
                actual: chain_id,
            });
        }
        let rollup = IRollup::new(deployment.rollup.address, provider.clone());
        let word = |value: U256| value.saturating_to::<u64>();
        let clock = Clock {
            genesis_time: word(
                rollup
                    .genesisTime()
                    .call()
                    .await
                    .decoded("Rollup.genesisTime()")?,
            ),
            slot_duration: word(
                rollup
                    .slotDuration()
                    .call()
                    .await
                    .decoded("Rollup.slotDuration()")?,
            ),
            epoch_duration: word(
                rollup
                    .epochDuration()
                    .call()
                    .await
                    .decoded("Rollup.epochDuration()")?,
            ),
        };
        info!(chain_id, rollup = %deployment.rollup.address, deployment = %path.display(), ?clock, "connected to L1");
        Ok(Self {
            provider,
            deployment,
            clock,
            chain_id,
            rpc_url: rpc_url.clone(),
            options: options.clone(),
        })
    }

    /// The rollup contract on the read provider.
    pub fn rollup(&self) -> IRollup::IRollupInstance<DynProvider> {
        IRollup::new(self.deployment.rollup.address, self.provider.clone())
    }

    /// A provider on the same RPC that signs and sends transactions with `signer`.
    ///
    /// The nonce of every transaction is the account's pending transaction count on L1, read
    /// when it is sent. alloy's default (a nonce cached and incremented locally) counts a
    /// transaction that never reached L1 (a call that reverts in `eth_estimateGas`, as a claim or
    /// a proof does when another service got there first, or a send during an RPC outage) or
    /// that an L1 reorg dropped: every later transaction of the account then waits forever
    /// behind the gap, and so does the service waiting for its receipt. The services send one
    /// transaction at a time per account, so nothing needs reserving locally.
    ///
    /// Its requests go through the same layers as [`L1::provider`]'s (timeouts, retries,
    /// request counter). Services prefer [`L1::tx_sender`], which also replaces stuck
    /// transactions.
    pub fn signing_provider(&self, signer: PrivateKeySigner) -> DynProvider {
        signing_provider_with(&self.rpc_url, signer, &self.options)
    }

    /// A [`TxSender`] for `signer` on this connection: owns the key's nonce, simulates calls
    /// first, replaces stuck transactions with bumped fees as [`L1::options`](L1) say.
    pub fn tx_sender(&self, signer: PrivateKeySigner) -> Result<TxSender> {
        Ok(TxSender::new(self.provider.clone(), signer, &self.options)?)
    }
}

/// A provider on `rpc_url` that signs with `signer`, the nonce read from L1 for every
/// transaction ([`L1::signing_provider`] says why), with the default [`L1Options`]; for tools
/// without a deployment record.
pub fn signing_provider(rpc_url: &Url, signer: PrivateKeySigner) -> DynProvider {
    signing_provider_with(rpc_url, signer, &L1Options::default())
}

/// [`signing_provider`] with `options`.
fn signing_provider_with(
    rpc_url: &Url,
    signer: PrivateKeySigner,
    options: &L1Options,
) -> DynProvider {
    ProviderBuilder::new()
        .disable_recommended_fillers()
        .with_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(signer)
        .connect_client(fernet_l1::client(rpc_url, options))
        .erased()
}
