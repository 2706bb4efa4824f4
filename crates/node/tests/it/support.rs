//! A fresh anvil with the suite deployed, a registered sequencer, and block proposals built
//! with `fernet_state`, as a sequencer would build them.

use std::{
    future::Future,
    path::{Path, PathBuf},
    time::Duration,
};

use alloy::{
    node_bindings::{Anvil, AnvilInstance},
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
};
use fernet_bindings::{ContractResultExt, DevnetToken, IFeeInbox, IRollup, Staking};
use fernet_deploy::{chain::ANVIL_DEFAULT_PRIVATE_KEY, deploy, DeployConfig, DeployOptions};
use fernet_node::{
    chain::fr_to_b256, deposit::deposit, inbox::next_messages, Node, NodeConfig, Tx,
};
use fernet_primitives::{Clock, Deployment};
use fernet_state::{
    apply_block, encode_block_data, Block, BlockBody, DataFingerprint, L1ToL2Message, WorldState,
};

/// The L2 account that pays the fees of [`tx`]s with a fee (funded by [`Env::deposit`]).
pub(crate) const PAYER: Address = Address::repeat_byte(0xaa);
use tempfile::TempDir;

/// The pinned anvil that `script/setup.sh` installs.
fn anvil_binary() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    assert!(
        path.is_file(),
        "anvil not found at {}: run script/setup.sh",
        path.display()
    );
    path
}

/// Anvil, the deployed suite, and the deployer's signing provider.
pub(crate) struct Env {
    pub(crate) anvil: AnvilInstance,
    pub(crate) dir: TempDir,
    pub(crate) deployment: Deployment,
    pub(crate) deployment_file: PathBuf,
    pub(crate) wallet: DynProvider,
    pub(crate) clock: Clock,
}

impl Env {
    pub(crate) async fn new() -> eyre::Result<Self> {
        let anvil = Anvil::at(anvil_binary()).spawn();
        let dir = tempfile::tempdir()?;
        let outcome = deploy(&DeployOptions {
            rpc_url: anvil.endpoint_url(),
            expected_chain_id: None,
            private_key: None,
            config: DeployConfig::devnet(),
            token: None,
            deployments_dir: dir.path().join("deployments"),
            allow_unknown_chain: false,
            insecure_devnet_keys: false,
            redeploy: false,
            verifier_sources: fernet_deploy::verifiers::VerifierSources::default(),
        })
        .await?;
        let signer: PrivateKeySigner = ANVIL_DEFAULT_PRIVATE_KEY.parse()?;
        let wallet = ProviderBuilder::new()
            .wallet(signer)
            .connect_http(anvil.endpoint_url())
            .erased();
        let clock = outcome.deployment.clock();
        Ok(Self {
            anvil,
            dir,
            deployment_file: outcome.path,
            deployment: outcome.deployment,
            wallet,
            clock,
        })
    }

    /// A node config on a fresh data directory `name` (RPC on any free port, 100 ms polling).
    pub(crate) fn node_config(&self, name: &str, base_fee: u128) -> NodeConfig {
        NodeConfig {
            rpc_url: self.anvil.endpoint_url(),
            l1_chain_id: Some(31_337),
            deployment_file: Some(self.deployment_file.clone()),
            data_dir: self.dir.path().join(name),
            rpc_listen: Some((std::net::Ipv4Addr::LOCALHOST, 0).into()),
            p2p: None,
            base_fee,
            pool_max_txs: fernet_node::pool::DEFAULT_POOL_MAX_TXS,
            polling_interval: Duration::from_millis(100),
            l1: fernet_l1::L1Options::default(),
        }
    }

    pub(crate) fn rollup(&self) -> IRollup::IRollupInstance<DynProvider> {
        IRollup::new(self.deployment.rollup.address, self.wallet.clone())
    }

    pub(crate) async fn rpc<T: serde::de::DeserializeOwned>(
        &self,
        method: &'static str,
        params: serde_json::Value,
    ) -> eyre::Result<T> {
        let answer: serde_json::Value = self.wallet.raw_request(method.into(), params).await?;
        Ok(serde_json::from_value(answer)?)
    }

    pub(crate) async fn timestamp(&self) -> eyre::Result<u64> {
        let block = self.wallet.get_block_by_number(Default::default()).await?;
        Ok(block
            .ok_or_else(|| eyre::eyre!("no latest block"))?
            .header
            .timestamp)
    }

    /// Mines the next block at `timestamp`.
    pub(crate) async fn mine_at(&self, timestamp: u64) -> eyre::Result<()> {
        let _: serde_json::Value = self
            .rpc("evm_setNextBlockTimestamp", serde_json::json!([timestamp]))
            .await?;
        let _: serde_json::Value = self.rpc("evm_mine", serde_json::json!([])).await?;
        Ok(())
    }

    /// Polls for the receipt of `hash` (no block subscription: it must survive `evm_revert`).
    pub(crate) async fn receipt(&self, hash: B256) -> eyre::Result<TransactionReceipt> {
        for _ in 0..300 {
            if let Some(receipt) = self.wallet.get_transaction_receipt(hash).await? {
                return Ok(receipt);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        eyre::bail!("no receipt for {hash}")
    }

    /// Stakes the deployer (anvil key 0) as a sequencer and moves time until it can propose.
    pub(crate) async fn register_sequencer(&self) -> eyre::Result<()> {
        let d = &self.deployment;
        let staking = Staking::new(d.staking.address, self.wallet.clone());
        let token = DevnetToken::new(d.token.address, self.wallet.clone());
        let stake = staking
            .minimumStake()
            .call()
            .await
            .decoded("minimumStake")?;
        let approve = token.approve(d.staking.address, stake).send().await?;
        self.receipt(*approve.tx_hash()).await?;
        let register = staking.register(stake).send().await?;
        let receipt = self.receipt(*register.tx_hash()).await?;
        eyre::ensure!(receipt.status(), "register reverted");
        for _ in 0..6 {
            let epoch = self.clock.epoch_at(self.timestamp().await?);
            if staking
                .canPropose(d.deployer, U256::from(epoch))
                .call()
                .await
                .decoded("canPropose")?
            {
                return Ok(());
            }
            let next = self
                .clock
                .slot_start(self.clock.epoch_first_slot(epoch + 1));
            self.mine_at(next).await?;
        }
        eyre::bail!("the sequencer never became eligible")
    }

    /// Proposes block `number` with `txs` on top of `world` (which it advances) in the next
    /// slot, as the deployer; returns the L1 transaction hash.
    pub(crate) async fn propose(
        &self,
        world: &mut WorldState,
        number: u64,
        txs: &[Tx],
    ) -> eyre::Result<B256> {
        let slot = self.clock.slot_at(self.timestamp().await?) + 1;
        let body = BlockBody {
            coinbase: None,
            messages: self.pending_messages(number - 1).await?,
            txs: txs.iter().map(Tx::effect).collect::<Result<_, _>>()?,
        };
        let prev_root = fr_to_b256(&world.state_root());
        apply_block(
            world,
            &Block {
                number,
                slot,
                body: body.clone(),
            },
        )?;
        let data = encode_block_data(&body)?;
        let fingerprint = DataFingerprint::compute(&data, world.config().max_data_chunks)?;
        let args = IRollup::ProposeArgs {
            header: IRollup::BlockHeader {
                blockNumber: U256::from(number),
                slot: U256::from(slot),
                prevStateRoot: prev_root,
                newStateRoot: fr_to_b256(&world.state_root()),
                totalFees: U256::from(body.total_fees()),
                dataHash: fr_to_b256(&fingerprint.hash).into(),
            },
            data: data.into(),
            upgradePayload: Default::default(),
        };
        let _: serde_json::Value = self
            .rpc(
                "evm_setNextBlockTimestamp",
                serde_json::json!([self.clock.slot_start(slot) + 1]),
            )
            .await?;
        // A fresh provider: the cached nonce of an old one is wrong after `evm_revert`.
        let wallet = ProviderBuilder::new()
            .wallet(ANVIL_DEFAULT_PRIVATE_KEY.parse::<PrivateKeySigner>()?)
            .connect_http(self.anvil.endpoint_url())
            .erased();
        let receipt = IRollup::new(self.deployment.rollup.address, wallet)
            .propose(args)
            .send()
            .await
            .map_err(|e| fernet_bindings::Error::from_contract("propose", e))?;
        let receipt = self.receipt(*receipt.tx_hash()).await?;
        eyre::ensure!(receipt.status(), "propose reverted");
        Ok(receipt.transaction_hash)
    }
}

impl Env {
    /// The deployer deposits `amount` of fee money for [`PAYER`] into the fee inbox; the next
    /// [`Env::propose`] consumes it.
    pub(crate) async fn deposit(&self, amount: u64) -> eyre::Result<()> {
        deposit(
            &self.wallet,
            self.deployment.deployer,
            self.deployment.fee_inbox.address,
            PAYER,
            U256::from(amount),
        )
        .await?;
        Ok(())
    }

    /// The inbox messages a block on top of `parent` consumes: every one from the parent's
    /// cursor, up to a block's message slots (as a sequencer builds it).
    async fn pending_messages(&self, parent: u64) -> eyre::Result<Vec<L1ToL2Message>> {
        let cursor: u64 = IRollup::new(self.deployment.rollup.address, self.wallet.clone())
            .blockLog(U256::from(parent))
            .call()
            .await
            .decoded("Rollup.blockLog")?
            .inboxCursor;
        let inbox = IFeeInbox::new(self.deployment.fee_inbox.address, self.wallet.clone());
        Ok(next_messages(&inbox, cursor).await?)
    }
}

/// Polls `check` every 100 ms until it holds, for at most 30 s.
pub(crate) async fn eventually<F, Fut>(what: &str, mut check: F) -> eyre::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = eyre::Result<bool>>,
{
    for _ in 0..300 {
        if check().await? {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eyre::bail!("timed out waiting for {what}")
}

/// A transaction with one nullifier and one note hash, paid by [`PAYER`] (free when `fee` is 0:
/// no payer).
pub(crate) fn tx(fee: u64, nullifier: u64) -> Tx {
    let payer = if fee == 0 { Address::ZERO } else { PAYER };
    serde_json::from_value(serde_json::json!({
        "fee": fee.to_string(),
        "payer": payer,
        "nullifiers": [format!("0x{nullifier:x}")],
        "noteHashes": [format!("0x{:x}", nullifier + 1_000_000)],
    }))
    .expect("a valid tx")
}

/// The node's genesis world state.
pub(crate) fn genesis(env: &Env) -> WorldState {
    WorldState::new(env.deployment.state_config).expect("devnet state")
}

pub(crate) async fn start(config: NodeConfig) -> eyre::Result<Node> {
    Ok(Node::start(config).await?)
}
