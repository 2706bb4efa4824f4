//! `deploy` on a fresh anvil: wiring, parameters, record, idempotency, redeployment, reverts.

use std::path::{Path, PathBuf};

use alloy::{
    node_bindings::{Anvil, AnvilInstance},
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
};
use fernet_bindings::{
    errors::Errors, BlockProofVerifier, ChunkProofVerifier, CommitteeRollup, ContractResultExt,
    DevnetToken, FeeInbox, ProverEscrow, RewardPool, Rollup, Staking,
};
use fernet_circuits::{
    block::{prover::default_key_cache_dir, prover::devnet_keys, tools::proof_txs},
    keys::KeyCache,
    proof_system::evm,
    testing::export_tiny_ceremony_keys,
    verifier_gen::VerifierKind,
};
use fernet_deploy::{
    chain::ANVIL_DEFAULT_PRIVATE_KEY, deploy, DeployConfig, DeployOptions, DeployStatus, Error,
};
use fernet_primitives::{
    CircuitKeys, CommitteeParams, Deployment, ProvingMode, StatePreset, TokenAmount,
};
use fernet_state::{fr_to_be_bytes, StateConfig, WorldState};

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

/// A fresh anvil on a free port (port 0: anvil picks one, the bindings read it back).
fn spawn_anvil(args: &[&str]) -> AnvilInstance {
    Anvil::at(anvil_binary()).args(args).spawn()
}

fn options(anvil: &AnvilInstance, dir: &Path) -> DeployOptions {
    DeployOptions {
        rpc_url: anvil.endpoint_url(),
        expected_chain_id: None,
        private_key: None,
        config: DeployConfig::devnet(),
        token: None,
        deployments_dir: dir.to_owned(),
        allow_unknown_chain: false,
        insecure_devnet_keys: false,
        redeploy: false,
        verifier_sources: fernet_deploy::verifiers::VerifierSources::default(),
    }
}

fn reader(anvil: &AnvilInstance) -> DynProvider {
    ProviderBuilder::new()
        .connect_http(anvil.endpoint_url())
        .erased()
}

fn devnet_genesis_root() -> B256 {
    let world = WorldState::new(StateConfig::devnet()).unwrap();
    B256::from(fr_to_be_bytes(&world.state_root()))
}

#[tokio::test]
async fn deploys_wires_and_records_the_suite() -> eyre::Result<()> {
    let anvil = spawn_anvil(&[]);
    let dir = tempfile::tempdir()?;
    let outcome = deploy(&options(&anvil, dir.path())).await?;
    assert_eq!(outcome.status, DeployStatus::Deployed);
    let d = &outcome.deployment;
    assert_eq!(outcome.path, dir.path().join("31337.json"));
    assert_eq!(Deployment::read(&outcome.path)?.as_ref(), Some(d));
    assert_eq!(d.chain_id, 31_337);
    assert_eq!(d.deployer, anvil.addresses()[0]);

    let provider = reader(&anvil);
    let rollup = Rollup::new(d.rollup.address, provider.clone());
    let staking = Staking::new(d.staking.address, provider.clone());
    let escrow = ProverEscrow::new(d.prover_escrow.address, provider.clone());
    let pool = RewardPool::new(d.reward_pool.address, provider.clone());
    let verifier = BlockProofVerifier::new(d.verifier.address, provider.clone());
    let token = DevnetToken::new(d.token.address, provider.clone());

    // Wiring: the rollup points at the satellites, the satellites at the rollup, one token.
    assert_eq!(rollup.staking().call().await?, d.staking.address);
    assert_eq!(rollup.proverEscrow().call().await?, d.prover_escrow.address);
    assert_eq!(rollup.rewardPool().call().await?, d.reward_pool.address);
    assert_eq!(rollup.verifier().call().await?, d.verifier.address);
    assert_eq!(
        rollup.chunkVerifier().call().await?,
        d.chunk_verifier.address
    );
    assert_eq!(
        ChunkProofVerifier::new(d.chunk_verifier.address, provider.clone())
            .verificationKeyHash()
            .call()
            .await?,
        d.chunk_verification_key_hash
    );
    assert_ne!(d.chunk_verification_key_hash, d.verification_key_hash);
    assert_eq!(staking.rollup().call().await?, d.rollup.address);
    assert_eq!(escrow.rollup().call().await?, d.rollup.address);
    assert_eq!(pool.rollup().call().await?, d.rollup.address);
    assert_eq!(staking.stakingToken().call().await?, d.token.address);
    assert_eq!(escrow.token().call().await?, d.token.address);
    assert_eq!(pool.token().call().await?, d.token.address);
    let inbox = FeeInbox::new(d.fee_inbox.address, provider.clone());
    assert_eq!(rollup.inbox().call().await?, d.fee_inbox.address);
    assert_eq!(inbox.rollup().call().await?, d.rollup.address);
    assert_eq!(inbox.pool().call().await?, d.reward_pool.address);
    assert_eq!(inbox.token().call().await?, d.token.address);
    assert_eq!(inbox.inclusionDelay().call().await?, U256::from(60));

    // Parameters: the devnet column of docs/protocol.md, as the contracts hold them.
    let config = rollup.config().call().await?;
    assert_eq!(config.proposalWindow, U256::from(8));
    assert_eq!(config.backupWindow, U256::from(22));
    assert_eq!(config.claimWindowSlots, U256::from(1));
    assert_eq!(config.proofWindowSlots, U256::from(2));
    assert_eq!(config.maxDataBytes, U256::from(154 + 224 * 4));
    assert_eq!(config.blockReward, TokenAmount::tokens(10).0);
    assert_eq!(config.proofSubmissionReward, TokenAmount::tokens(1).0);
    assert_eq!(config.openProvingBasisPointFee, U256::from(2000));
    assert_eq!(config.maxProverFeeBps, U256::from(5000));
    assert_eq!(config.minimumProverBond, TokenAmount::tokens(10).0);
    assert_eq!(config.unprovenBlockPenalty, TokenAmount::tokens(5).0);
    assert_eq!(config.voteRoundSize, U256::from(16));
    assert_eq!(config.voteQuorum, U256::from(9));
    assert_eq!(config.genesisStateRoot, devnet_genesis_root());
    assert_eq!(d.genesis_state_root, devnet_genesis_root());
    assert_eq!(
        rollup.blockLog(U256::ZERO).call().await?.stateRoot,
        devnet_genesis_root()
    );

    assert_eq!(
        staking.minimumStake().call().await?,
        TokenAmount::tokens(100).0
    );
    assert_eq!(staking.slotDuration().call().await?, U256::from(30));
    assert_eq!(staking.epochDuration().call().await?, U256::from(2));
    assert_eq!(staking.entryPeriod().call().await?, U256::ZERO);
    assert_eq!(staking.exitDelay().call().await?, U256::from(150));
    assert_eq!(staking.exitChurnPerEpoch().call().await?, U256::from(4));
    assert_eq!(staking.snapshotLag().call().await?, U256::from(1));
    assert_eq!(escrow.withdrawalDelay().call().await?, U256::from(60));
    assert_eq!(rollup.slotDuration().call().await?, U256::from(30));
    assert_eq!(
        rollup.genesisTime().call().await?,
        U256::from(d.parameters.staking.genesis_time)
    );
    assert_eq!(d.parameters.rollup.max_data_bytes, Some(1050));
    assert_eq!(d.parameters.rollup.max_prover_fee_bps, 5000);
    assert_eq!(d.parameters.staking.exit_delay, 150);

    // The verifier's key hash and the funded pool.
    assert_eq!(
        verifier.verificationKeyHash().call().await?,
        d.verification_key_hash
    );
    let funding = TokenAmount::tokens(1_000_000);
    assert_eq!(d.reward_pool_funding, funding);
    assert_eq!(
        token.balanceOf(d.reward_pool.address).call().await?,
        funding.0
    );
    assert_eq!(pool.available().call().await?, funding.0);
    assert_eq!(
        token.balanceOf(d.deployer).call().await?,
        TokenAmount::tokens(9_000_000).0
    );

    // Every contract has code at its recorded block.
    let rollup_block = d.rollup.deploy_block.expect("deployed here");
    assert_eq!(d.deploy_block, rollup_block);
    for record in [
        &d.token,
        &d.verifier,
        &d.staking,
        &d.prover_escrow,
        &d.reward_pool,
    ] {
        assert!(record.deploy_block.expect("deployed here") <= rollup_block);
        assert!(!provider.get_code_at(record.address).await?.is_empty());
    }
    Ok(())
}

#[tokio::test]
async fn second_run_is_idempotent() -> eyre::Result<()> {
    let anvil = spawn_anvil(&[]);
    let dir = tempfile::tempdir()?;
    let options = options(&anvil, dir.path());
    let first = deploy(&options).await?;
    let provider = reader(&anvil);
    let deployer = first.deployment.deployer;
    let nonce = provider.get_transaction_count(deployer).await?;
    let block = provider.get_block_number().await?;

    let second = deploy(&options).await?;
    assert_eq!(second.status, DeployStatus::AlreadyDeployed);
    assert_eq!(second.deployment, first.deployment);
    assert_eq!(provider.get_transaction_count(deployer).await?, nonce);
    assert_eq!(provider.get_block_number().await?, block);
    Ok(())
}

#[tokio::test]
async fn redeploys_on_a_fresh_chain_and_on_request() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let first_anvil = spawn_anvil(&[]);
    let first = deploy(&options(&first_anvil, dir.path())).await?;
    drop(first_anvil);

    // A fresh anvil has no code at the recorded rollup: deploy again and overwrite the record.
    let anvil = spawn_anvil(&[]);
    let mut options = options(&anvil, dir.path());
    let second = deploy(&options).await?;
    assert_eq!(second.status, DeployStatus::Deployed);
    assert_eq!(
        Deployment::read(&second.path)?,
        Some(second.deployment.clone())
    );
    assert!(!reader(&anvil)
        .get_code_at(second.deployment.rollup.address)
        .await?
        .is_empty());
    assert_eq!(
        second.deployment.rollup.address,
        first.deployment.rollup.address
    );

    // A live suite with other parameters is refused, naming the difference...
    options.config.rollup.max_prover_fee_bps = 4000;
    match deploy(&options).await {
        Err(Error::DeploymentMismatch { differences, .. }) => {
            assert_eq!(differences.len(), 1, "{differences:?}");
            assert!(
                differences[0].starts_with("rollup.maxProverFeeBps: 5000 on chain, wanted 4000"),
                "{differences:?}"
            );
        }
        other => panic!("expected DeploymentMismatch, got {other:?}"),
    }

    // ...unless asked to redeploy.
    options.redeploy = true;
    let third = deploy(&options).await?;
    assert_eq!(third.status, DeployStatus::Deployed);
    assert_ne!(
        third.deployment.rollup.address,
        second.deployment.rollup.address
    );
    let rollup = Rollup::new(third.deployment.rollup.address, reader(&anvil));
    assert_eq!(
        rollup.config().call().await?.maxProverFeeBps,
        U256::from(4000)
    );
    assert_eq!(third.deployment.parameters.rollup.max_prover_fee_bps, 4000);

    // A record of an older format (here: without the chunk verifier) does not parse: refused,
    // naming the file, unless asked to redeploy.
    let mut old: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&third.path)?)?;
    old.as_object_mut().unwrap().remove("chunkVerifier");
    std::fs::write(&third.path, old.to_string())?;
    options.redeploy = false;
    let error = deploy(&options).await.unwrap_err();
    assert!(
        error.to_string().contains("is not a deployment record"),
        "{error}"
    );
    options.redeploy = true;
    let fourth = deploy(&options).await?;
    assert_eq!(fourth.status, DeployStatus::Deployed);
    assert_eq!(Deployment::read(&fourth.path)?, Some(fourth.deployment));
    Ok(())
}

#[tokio::test]
async fn deploys_the_committee_mode_and_tells_the_modes_apart() -> eyre::Result<()> {
    let anvil = spawn_anvil(&[]);
    let dir = tempfile::tempdir()?;
    let mut options = options(&anvil, dir.path());
    options.config.proving_mode = ProvingMode::Committee;
    let outcome = deploy(&options).await?;
    let deployment = &outcome.deployment;
    assert_eq!(deployment.parameters.proving_mode, ProvingMode::Committee);
    assert_eq!(
        deployment.parameters.committee,
        Some(CommitteeParams::devnet())
    );
    assert_eq!(Deployment::read(&outcome.path)?.as_ref(), Some(deployment));

    // The CommitteeRollup holds the committee parameters and is wired like the quote mode's.
    let rollup = CommitteeRollup::new(deployment.rollup.address, reader(&anvil));
    let config = rollup.committeeConfig().call().await?;
    assert_eq!(config.committeeSize, U256::from(4));
    assert_eq!(config.signoffQuorum, U256::from(2));
    // The devnet chunk verifier's size: 2 of the block's 4 tx slots.
    assert_eq!(config.chunkTxs, U256::from(2));
    assert_eq!(config.inactivityPenalty, TokenAmount::tokens(5).0);
    assert_eq!(rollup.staking().call().await?, deployment.staking.address);
    assert_eq!(
        rollup.chunkVerifier().call().await?,
        deployment.chunk_verifier.address
    );
    // The sign-off digest members sign off chain is the one the rollup recovers.
    let hash = B256::repeat_byte(0x42);
    assert_eq!(
        rollup
            .signoffDigest(U256::from(7), U256::from(42), hash)
            .call()
            .await?,
        fernet_primitives::signoff::signoff_digest(
            deployment.chain_id,
            deployment.rollup.address,
            7,
            42,
            hash
        )
    );

    // The same parameters again: nothing to do. The quote mode wanted instead: a difference.
    assert_eq!(
        deploy(&options).await?.status,
        DeployStatus::AlreadyDeployed
    );
    options.config.proving_mode = ProvingMode::Quote;
    match deploy(&options).await {
        Err(Error::DeploymentMismatch { differences, .. }) => assert_eq!(
            differences,
            ["rollup.provingMode: committee on chain, wanted quote"],
        ),
        other => panic!("expected DeploymentMismatch, got {other:?}"),
    }
    // Another committee parameter: named.
    options.config.proving_mode = ProvingMode::Committee;
    options.config.committee.signoff_quorum = 3;
    match deploy(&options).await {
        Err(Error::DeploymentMismatch { differences, .. }) => assert_eq!(
            differences,
            ["committee.signoffQuorum: 2 on chain, wanted 3"],
        ),
        other => panic!("expected DeploymentMismatch, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn uses_a_given_token_and_the_production_state_sizes() -> eyre::Result<()> {
    let anvil = spawn_anvil(&[]);
    let dir = tempfile::tempdir()?;
    let signer: alloy::signers::local::PrivateKeySigner = ANVIL_DEFAULT_PRIVATE_KEY.parse()?;
    let wallet = ProviderBuilder::new()
        .wallet(signer)
        .connect_http(anvil.endpoint_url());
    let existing = DevnetToken::deploy(wallet, "Other".into(), "OTH".into()).await?;

    let mut options = options(&anvil, dir.path());
    options.token = Some(*existing.address());
    options.config.state_config = StatePreset::Production;
    let outcome = deploy(&options).await?;
    let d = &outcome.deployment;
    assert_eq!(d.token.address, *existing.address());
    assert_eq!(d.token.deploy_block, None);
    assert_eq!(d.reward_pool_funding, TokenAmount::default());
    assert_eq!(d.state_config, StateConfig::production());

    let provider = reader(&anvil);
    let staking = Staking::new(d.staking.address, provider.clone());
    assert_eq!(staking.stakingToken().call().await?, *existing.address());
    let config = Rollup::new(d.rollup.address, provider.clone())
        .config()
        .call()
        .await?;
    assert_eq!(config.maxDataBytes, U256::from(154 + 224 * 32));
    let production_root = WorldState::new(StateConfig::production())?.state_root();
    assert_eq!(
        config.genesisStateRoot,
        B256::from(fr_to_be_bytes(&production_root))
    );
    assert_ne!(config.genesisStateRoot, devnet_genesis_root());
    assert_eq!(
        existing.balanceOf(d.reward_pool.address).call().await?,
        U256::ZERO
    );

    // The verifiers are generated from the production circuit's keys, not the committed devnet
    // ones: each reports the key hash of its production circuit.
    let cache = KeyCache::new(default_key_cache_dir());
    for (kind, record, recorded) in [
        (VerifierKind::Block, &d.verifier, d.verification_key_hash),
        (
            VerifierKind::Chunk,
            &d.chunk_verifier,
            d.chunk_verification_key_hash,
        ),
    ] {
        let production = StateConfig::production();
        let keys = devnet_keys(&cache, production, proof_txs(&production, kind)?, None)?;
        let expected = B256::from(evm::verifying_key_hash(&keys.verifying_key));
        assert_eq!(recorded, expected, "{kind:?}");
        let on_chain = BlockProofVerifier::new(record.address, provider.clone())
            .verificationKeyHash()
            .call()
            .await?;
        assert_eq!(on_chain, expected, "{kind:?}");
        let devnet = devnet_keys(
            &cache,
            StateConfig::devnet(),
            proof_txs(&StateConfig::devnet(), kind)?,
            None,
        )?;
        assert_ne!(
            expected,
            B256::from(evm::verifying_key_hash(&devnet.verifying_key))
        );
    }
    Ok(())
}

#[tokio::test]
async fn reverts_are_decoded_into_custom_errors() -> eyre::Result<()> {
    let anvil = spawn_anvil(&[]);
    let dir = tempfile::tempdir()?;
    let outcome = deploy(&options(&anvil, dir.path())).await?;
    let rollup = Rollup::new(outcome.deployment.rollup.address, reader(&anvil));

    let error = rollup
        .prune()
        .call()
        .await
        .decoded("Rollup.prune()")
        .expect_err("nothing to prune on a fresh rollup");
    let message = error.to_string();
    assert!(
        message.contains("Rollup__NothingToPrune(0, 0)"),
        "{message}"
    );
    assert_eq!(
        message,
        "Rollup.prune() reverted: Rollup__NothingToPrune(0, 0)"
    );
    let revert = error.revert().expect("a revert");
    assert!(matches!(
        revert.decode::<Errors::ErrorsErrors>(),
        Some(Errors::ErrorsErrors::Rollup__NothingToPrune(e))
            if e.provenTip.is_zero() && e.pendingTip.is_zero()
    ));

    // A transaction that would revert fails at gas estimation with the same decoded error.
    let signer: alloy::signers::local::PrivateKeySigner = ANVIL_DEFAULT_PRIVATE_KEY.parse()?;
    let wallet = ProviderBuilder::new()
        .wallet(signer)
        .connect_http(anvil.endpoint_url());
    let staking = Staking::new(outcome.deployment.staking.address, wallet);
    let error = staking
        .register(U256::from(1))
        .send()
        .await
        .decoded("Staking.register(1)")
        .expect_err("below the minimum stake");
    assert_eq!(
        error.to_string(),
        format!(
            "Staking.register(1) reverted: Staking__InsufficientStake({}, 1)",
            TokenAmount::tokens(100)
        )
    );
    Ok(())
}

#[tokio::test]
async fn refuses_unknown_chains_and_missing_keys() -> eyre::Result<()> {
    let anvil = spawn_anvil(&["--chain-id", "999"]);
    let dir = tempfile::tempdir()?;
    let mut options = options(&anvil, dir.path());
    assert!(matches!(
        deploy(&options).await,
        Err(Error::UnknownChain { chain_id: 999 })
    ));
    options.allow_unknown_chain = true;
    // Not anvil: the insecure devnet keys need the operator's explicit consent.
    assert!(matches!(
        deploy(&options).await,
        Err(Error::InsecureDevnetKeys { chain_id: 999 })
    ));
    options.insecure_devnet_keys = true;
    assert!(matches!(
        deploy(&options).await,
        Err(Error::MissingPrivateKey { chain_id: 999 })
    ));
    options.expected_chain_id = Some(31_337);
    assert!(matches!(
        deploy(&options).await,
        Err(Error::ChainIdMismatch {
            expected: 31_337,
            actual: 999
        })
    ));
    options.expected_chain_id = Some(999);
    options.private_key = Some(ANVIL_DEFAULT_PRIVATE_KEY.into());
    let outcome = deploy(&options).await?;
    assert_eq!(outcome.path, dir.path().join("999.json"));
    assert_eq!(outcome.deployment.circuit_keys, CircuitKeys::InsecureDevnet);
    assert!(Address::ZERO != outcome.deployment.rollup.address);
    Ok(())
}

#[tokio::test]
async fn deploys_the_verifiers_of_ceremony_keys_and_records_the_transcript_hash() -> eyre::Result<()>
{
    // Not anvil, without --insecure-devnet-keys: ceremony keys need no consent.
    let anvil = spawn_anvil(&["--chain-id", "999"]);
    let dir = tempfile::tempdir()?;
    let keys = tempfile::tempdir()?;
    let transcript_hash = [0xc3; 32];
    let manifest = export_tiny_ceremony_keys(keys.path(), transcript_hash, StateConfig::devnet())?;
    let mut options = options(&anvil, dir.path());
    options.allow_unknown_chain = true;
    options.private_key = Some(ANVIL_DEFAULT_PRIVATE_KEY.into());

    // An export directory without a manifest is refused, typed.
    let empty = tempfile::tempdir()?;
    options.verifier_sources.ceremony_keys = Some(empty.path().to_owned());
    let error = deploy(&options).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::CeremonyKeys {
                source: fernet_circuits::Error::Io { .. }
            }
        ),
        "{error:?}"
    );

    options.verifier_sources.ceremony_keys = Some(keys.path().to_owned());
    let outcome = deploy(&options).await?;
    assert_eq!(outcome.status, DeployStatus::Deployed);
    let d = &outcome.deployment;
    let expected = CircuitKeys::Ceremony {
        transcript_hash: B256::from(transcript_hash),
    };
    assert_eq!(d.circuit_keys, expected);
    assert_eq!(
        Deployment::read(&outcome.path)?.map(|d| d.circuit_keys),
        Some(expected)
    );

    // Both verifiers are generated from the ceremony's verifying keys.
    let provider = reader(&anvil);
    let devnet = StateConfig::devnet();
    for (kind, record, recorded) in [
        (VerifierKind::Block, &d.verifier, d.verification_key_hash),
        (
            VerifierKind::Chunk,
            &d.chunk_verifier,
            d.chunk_verification_key_hash,
        ),
    ] {
        let id = fernet_circuits::block::prover::circuit_id(&devnet, proof_txs(&devnet, kind)?)?;
        let pinned = B256::from(
            manifest
                .circuit(&id.cache_key())
                .expect("the export covers both circuits")
                .verification_key_hash,
        );
        assert_eq!(recorded, pinned, "{kind:?}");
        let on_chain = BlockProofVerifier::new(record.address, provider.clone())
            .verificationKeyHash()
            .call()
            .await?;
        assert_eq!(on_chain, pinned, "{kind:?}");
    }

    // The same keys again: nothing to do.
    assert_eq!(
        deploy(&options).await?.status,
        DeployStatus::AlreadyDeployed
    );
    Ok(())
}
