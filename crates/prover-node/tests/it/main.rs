//! Integration tests of `fernet-prover-node` against a real anvil with the suite deployed (one
//! anvil per test, on a free port): quote digests, escrow top-ups, the rollup's windows, a claim
//! replaced in the claim auction; and a failed proving job retried on a real broker.

mod l1;
mod monitor;
mod replaced;
mod retry;

use std::path::{Path, PathBuf};

use alloy::{
    node_bindings::{Anvil, AnvilInstance},
    primitives::{Address, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use fernet_bindings::{
    i_rollup::IRollup::{self, BlockHeader, ProposeArgs},
    DevnetToken, Staking,
};
use fernet_deploy::{chain::ANVIL_DEFAULT_PRIVATE_KEY, deploy, DeployConfig, DeployOptions};
use fernet_node::L1;
use fernet_state::{
    apply_block, encode_block_data, fr_to_be_bytes, Block, BlockBody, BlockWitness, WorldState,
};
use serde_json::Value;
use tempfile::TempDir;

/// Anvil's second key: the prover of these tests.
pub const PROVER_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

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

/// A fresh anvil with the devnet suite deployed.
pub struct Suite {
    /// The chain (dropped last).
    pub anvil: AnvilInstance,
    /// Holds the deployment record.
    pub dir: TempDir,
    /// The L1 connection, as the prover node makes it.
    pub l1: L1,
}

impl Suite {
    /// Deploys the devnet suite on a fresh anvil.
    pub async fn deploy() -> eyre::Result<Self> {
        let anvil = Anvil::at(anvil_binary()).spawn();
        let dir = tempfile::tempdir()?;
        let outcome = deploy(&DeployOptions {
            rpc_url: anvil.endpoint_url(),
            expected_chain_id: None,
            private_key: None,
            config: DeployConfig::devnet(),
            token: None,
            deployments_dir: dir.path().to_owned(),
            allow_unknown_chain: false,
            insecure_devnet_keys: false,
            redeploy: false,
            verifier_sources: fernet_deploy::verifiers::VerifierSources::default(),
        })
        .await?;
        let l1 = L1::connect(&anvil.endpoint_url(), None, Some(&outcome.path)).await?;
        Ok(Self { anvil, dir, l1 })
    }

    /// The deployment record's path.
    pub fn deployment_file(&self) -> PathBuf {
        fernet_primitives::Deployment::path(self.dir.path(), self.l1.chain_id)
    }

    /// The prover's signer.
    pub fn prover(&self) -> PrivateKeySigner {
        PROVER_KEY.parse().expect("a valid key")
    }

    /// Sends `amount` tokens from the deployer to `to`.
    pub async fn fund(&self, to: Address, amount: U256) -> eyre::Result<()> {
        let deployer: PrivateKeySigner = ANVIL_DEFAULT_PRIVATE_KEY.parse()?;
        let provider = ProviderBuilder::new()
            .wallet(deployer)
            .connect_http(self.anvil.endpoint_url());
        let token = DevnetToken::new(self.l1.deployment.token.address, provider);
        token
            .transfer(to, amount)
            .send()
            .await?
            .get_receipt()
            .await?;
        Ok(())
    }
}

impl Suite {
    /// The deployer (anvil's first account) registers as a sequencer with the minimum stake;
    /// returns its signer and the first epoch in which it can propose.
    pub async fn register_sequencer(&self) -> eyre::Result<(PrivateKeySigner, u64)> {
        let d = &self.l1.deployment;
        let sequencer: PrivateKeySigner = ANVIL_DEFAULT_PRIVATE_KEY.parse()?;
        let provider = self.l1.signing_provider(sequencer.clone());
        let stake = d.parameters.staking.minimum_stake.0;
        DevnetToken::new(d.token.address, provider.clone())
            .approve(d.staking.address, stake)
            .send()
            .await?
            .get_receipt()
            .await?;
        Staking::new(d.staking.address, provider)
            .register(stake)
            .send()
            .await?
            .get_receipt()
            .await?;
        let staking = Staking::new(d.staking.address, self.l1.provider.clone());
        let mut epoch = 0;
        while !staking
            .canPropose(sequencer.address(), U256::from(epoch))
            .call()
            .await?
        {
            epoch += 1;
            eyre::ensure!(epoch < 10, "the sequencer never becomes eligible");
        }
        Ok((sequencer, epoch))
    }

    /// Applies `body` as block `number` of `slot` to `state`, then `sequencer` proposes it one
    /// second into the slot; returns the block's witness.
    pub async fn propose(
        &self,
        sequencer: &PrivateKeySigner,
        state: &mut WorldState,
        number: u64,
        slot: u64,
        body: BlockBody,
    ) -> eyre::Result<BlockWitness> {
        let data = encode_block_data(&body)?;
        let witness = apply_block(state, &Block { number, slot, body })?;
        let inputs = witness.public_inputs;
        warp(&self.l1.provider, self.l1.clock.slot_start(slot) + 1).await?;
        let rollup = IRollup::new(
            self.l1.deployment.rollup.address,
            self.l1.signing_provider(sequencer.clone()),
        );
        let receipt = rollup
            .propose(ProposeArgs {
                header: BlockHeader {
                    blockNumber: U256::from(number),
                    slot: U256::from(slot),
                    prevStateRoot: fr_to_be_bytes(&inputs.prev_state_root()).into(),
                    newStateRoot: fr_to_be_bytes(&inputs.new_state_root()).into(),
                    totalFees: U256::from(inputs.total_fees()),
                    dataHash: U256::from_be_bytes(fr_to_be_bytes(&inputs.fingerprint().hash)),
                },
                data: data.into(),
                upgradePayload: Address::ZERO,
            })
            .send()
            .await?
            .get_receipt()
            .await?;
        eyre::ensure!(receipt.status(), "propose of block {number} reverted");
        Ok(witness)
    }
}

/// Sets the timestamp of the next L1 block and mines it.
pub async fn warp(provider: &DynProvider, timestamp: u64) -> eyre::Result<()> {
    provider
        .raw_request::<_, Value>("evm_setNextBlockTimestamp".into(), (timestamp,))
        .await?;
    provider
        .raw_request::<_, Value>("evm_mine".into(), ())
        .await?;
    Ok(())
}
