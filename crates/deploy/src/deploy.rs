//! Deploys the suite (token, verifiers, staking, escrow, pool, rollup) and records it, idempotently.
//!
//! The satellites (`Staking`, `ProverEscrow`, `RewardPool`) take the rollup's address in their
//! constructor, so the rollup's address is predicted from the deployer's nonce and every
//! transaction is sent with an explicit nonce; the `Rollup` constructor checks the wiring.
//! Transactions without dependencies between them are sent together and mined in one go
//! (three rounds: contracts; rollup, mint and approve; pool funding).

use std::path::PathBuf;

use alloy::sol_types::SolValue;
use alloy::{
    contract::{CallBuilder, CallDecoder, RawCallBuilder},
    network::Ethereum,
    primitives::{Address, B256, U256},
    providers::{DynProvider, PendingTransactionBuilder, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    transports::http::reqwest::Url,
};
use fernet_bindings::{
    committee_rollup, rollup::IRollup, BlockProofVerifier, CommitteeRollup, ContractResultExt,
    DevnetToken, FeeInbox, ProverEscrow, RewardPool, Rollup, Staking,
};
use fernet_circuits::verifier_gen::VerifierKind;
use fernet_state::{fr_to_be_bytes, StateConfig, WorldState};
use tracing::{debug, info, warn};

use fernet_primitives::{
    CircuitKeys, ContractRecord, Deployment, Parameters, ProvingMode, TokenAmount,
};

use crate::{
    chain::{check_chain, check_circuit_keys, deployer_signer},
    config::DeployConfig,
    verifiers::{verifier_code, VerifierCode, VerifierSources},
    Error, Result,
};

/// What to deploy where.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    /// The L1 JSON-RPC endpoint (`ETHEREUM_HOST`).
    pub rpc_url: Url,
    /// The chain the RPC must serve (`L1_CHAIN_ID`), if set.
    pub expected_chain_id: Option<u64>,
    /// The deployer's key (`DEPLOYER_PRIVATE_KEY`); anvil's first key on chain 31337 when `None`.
    pub private_key: Option<String>,
    /// The parameters.
    pub config: DeployConfig,
    /// An existing staking token; `None` deploys a `DevnetToken` and funds the reward pool.
    pub token: Option<Address>,
    /// Where `<chain-id>.json` is read and written.
    pub deployments_dir: PathBuf,
    /// Deploy to a chain id not in [`crate::chain::KNOWN_CHAINS`].
    pub allow_unknown_chain: bool,
    /// Deploy verifiers of the insecure devnet keys on a chain other than anvil (a throwaway
    /// testnet): anyone can forge proofs for them.
    pub insecure_devnet_keys: bool,
    /// Deploy a new suite even when the recorded one is live with other parameters, or its record
    /// does not parse (an older format).
    pub redeploy: bool,
    /// Where the verifiers' keys come from (a ceremony's export, or the insecure devnet keys).
    pub verifier_sources: VerifierSources,
}

/// Whether `deploy` deployed or found the suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeployStatus {
    /// A new suite was deployed and recorded.
    Deployed,
    /// The recorded suite is live with the wanted parameters; nothing was sent.
    AlreadyDeployed,
}

/// The result of [`deploy`].
#[derive(Debug, Clone)]
pub struct DeployOutcome {
    /// Deployed or found.
    pub status: DeployStatus,
    /// The record.
    pub deployment: Deployment,
    /// Where the record is.
    pub path: PathBuf,
}

/// The empty-state root of `state`, as the rollup's `genesisStateRoot`.
pub fn genesis_state_root(state: &StateConfig) -> Result<B256> {
    let world = WorldState::new(*state)?;
    Ok(B256::from(fr_to_be_bytes(&world.state_root())))
}

/// Deploys the suite unless `<deployments_dir>/<chain-id>.json` records a live suite with the
/// same parameters, and writes the record.
pub async fn deploy(options: &DeployOptions) -> Result<DeployOutcome> {
    let config = &options.config;
    config.validate()?;
    let genesis_root = genesis_state_root(&config.state())?;

    let reader = ProviderBuilder::new().connect_http(options.rpc_url.clone());
    let chain_id = reader.get_chain_id().await.map_err(rpc("eth_chainId"))?;
    let chain = check_chain(
        chain_id,
        options.expected_chain_id,
        options.allow_unknown_chain,
    )?;
    // Verifiers of the insecure devnet setup: only anvil takes them unless the operator says
    // otherwise. A ceremony's are named by its transcript hash.
    let key_source = options.verifier_sources.key_source()?;
    let circuit_keys = CircuitKeys::of_transcript(key_source.transcript_hash());
    check_circuit_keys(chain_id, &circuit_keys, options.insecure_devnet_keys)?;
    let signer = deployer_signer(options.private_key.as_deref(), chain_id)?;
    let deployer = signer.address();
    info!(chain_id, chain, %deployer, rpc = %options.rpc_url, "connected");
    let provider = ProviderBuilder::new()
        .wallet(signer)
        .connect_http(options.rpc_url.clone())
        .erased();

    let path = Deployment::path(&options.deployments_dir, chain_id);
    let verifiers = verifier_code(
        config.state(),
        &key_source,
        &options.verifier_sources.solc_shim,
    )?;
    let wanted = Wanted {
        config,
        token: options.token,
        genesis_root,
        verifiers,
        circuit_keys,
    };
    let recorded = match Deployment::read(&path) {
        Ok(recorded) => recorded,
        // A record of an older format cannot describe the suite this build deploys.
        Err(error) if options.redeploy => {
            warn!(%error, "--redeploy: the record does not parse (an older format?): replacing it");
            None
        }
        Err(error) => return Err(error.into()),
    };
    if let Some(recorded) = recorded {
        if let Some(live) = check_recorded(&provider, recorded, chain_id).await? {
            let differences = compare(&provider, &live, &wanted).await?;
            if differences.is_empty() {
                info!(path = %path.display(), rollup = %live.rollup.address, "already deployed");
                return Ok(DeployOutcome {
                    status: DeployStatus::AlreadyDeployed,
                    deployment: live,
                    path,
                });
            }
            if !options.redeploy {
                return Err(Error::DeploymentMismatch { path, differences });
            }
            warn!(
                ?differences,
                "--redeploy: replacing a live deployment with other parameters"
            );
        }
    }

    let deployment = deploy_suite(&provider, chain_id, deployer, &wanted).await?;
    deployment.write(&path)?;
    info!(path = %path.display(), rollup = %deployment.rollup.address, "deployment written");
    Ok(DeployOutcome {
        status: DeployStatus::Deployed,
        deployment,
        path,
    })
}

/// The wanted parameters, resolved.
struct Wanted<'a> {
    config: &'a DeployConfig,
    token: Option<Address>,
    genesis_root: B256,
    /// The block verifier, then the chunk verifier.
    verifiers: [VerifierCode; 2],
    /// Where their keys come from.
    circuit_keys: CircuitKeys,
}

impl Wanted<'_> {
    fn staking_config(&self) -> Staking::Config {
        let s = &self.config.staking;
        Staking::Config {
            genesisTime: U256::from(s.genesis_time),
            slotDuration: U256::from(s.slot_duration),
            epochDuration: U256::from(s.epoch_duration),
            minimumStake: s.minimum_stake.0,
            entryPeriod: U256::from(s.entry_period),
            exitDelay: U256::from(s.exit_delay),
            exitChurnPerEpoch: U256::from(s.exit_churn_per_epoch),
            snapshotLag: U256::from(s.snapshot_lag),
        }
    }

    fn rollup_config(&self) -> IRollup::Config {
        let r = &self.config.rollup;
        IRollup::Config {
            proposalWindow: U256::from(r.proposal_window),
            backupWindow: U256::from(r.backup_window),
            claimWindowSlots: U256::from(r.claim_window_slots),
            proofWindowSlots: U256::from(r.proof_window_slots),
            maxDataBytes: U256::from(self.config.max_data_bytes()),
            blockReward: r.block_reward.0,
            proofSubmissionReward: r.proof_submission_reward.0,
            openProvingBasisPointFee: U256::from(r.open_proving_basis_point_fee),
            maxProverFeeBps: U256::from(r.max_prover_fee_bps),
            minimumProverBond: r.minimum_prover_bond.0,
            unprovenBlockPenalty: r.unproven_block_penalty.0,
            voteRoundSize: U256::from(r.vote_round_size),
            voteQuorum: U256::from(r.vote_quorum),
            genesisStateRoot: self.genesis_root,
        }
    }

    /// [`Self::rollup_config`] as `CommitteeRollup`'s binding types it (the same ABI tuple).
    fn committee_rollup_config(&self) -> committee_rollup::IRollup::Config {
        committee_rollup::IRollup::Config::abi_decode(&self.rollup_config().abi_encode())
            .expect("both bindings encode IRollup.Config alike")
    }

    fn committee_config(&self) -> committee_rollup::ICommitteeRollup::CommitteeConfig {
        let c = &self.config.committee;
        committee_rollup::ICommitteeRollup::CommitteeConfig {
            committeeSize: U256::from(c.committee_size),
            signoffQuorum: U256::from(c.signoff_quorum),
            // The deployed chunk verifier's size: blocks are signed off in its chunks.
            chunkTxs: U256::from(self.verifiers[1].txs),
            sequencerBaseBps: U256::from(c.sequencer_base_bps),
            sequencerBonusBps: U256::from(c.sequencer_bonus_bps),
            takeoverSlots: U256::from(c.takeover_slots),
            inactivityLimit: U256::from(c.inactivity_limit),
            inactivityPenalty: c.inactivity_penalty.0,
        }
    }
}

/// Adds the differences of the live rollup's proving mode and committee parameters to `check`: a
/// quote-mode `Rollup` has no `committeeConfig()`, so the call fails there.
async fn compare_committee(
    provider: &DynProvider,
    live: &Deployment,
    wanted: &Wanted<'_>,
    check: &mut impl FnMut(&str, String, String),
) -> Result<()> {
    let rollup = CommitteeRollup::new(live.rollup.address, provider.clone());
    let live_config = rollup.committeeConfig().call().await.ok();
    let live_mode = match live_config {
        Some(_) => ProvingMode::Committee,
        None => ProvingMode::Quote,
    };
    check(
        "rollup.provingMode",
        live_mode.to_string(),
        wanted.config.proving_mode.to_string(),
    );
    if let (Some(actual), ProvingMode::Committee) = (live_config, wanted.config.proving_mode) {
        let expected = wanted.committee_config();
        macro_rules! committee_fields {
            ($($field:ident),*) => {$(
                check(
                    concat!("committee.", stringify!($field)),
                    actual.$field.to_string(),
                    expected.$field.to_string(),
                );
            )*};
        }
        committee_fields!(
            committeeSize,
            signoffQuorum,
            chunkTxs,
            sequencerBaseBps,
            sequencerBonusBps,
            takeoverSlots,
            inactivityLimit,
            inactivityPenalty
        );
    }
    Ok(())
}

/// The recorded deployment if it is for this chain and its rollup has code there.
async fn check_recorded(
    provider: &DynProvider,
    recorded: Deployment,
    chain_id: u64,
) -> Result<Option<Deployment>> {
    if recorded.chain_id != chain_id {
        warn!(
            recorded = recorded.chain_id,
            chain_id, "the record is for another chain: redeploying"
        );
        return Ok(None);
    }
    let code = provider
        .get_code_at(recorded.rollup.address)
        .await
        .map_err(rpc("eth_getCode"))?;
    if code.is_empty() {
        info!(
            rollup = %recorded.rollup.address,
            "the recorded rollup has no code on this chain (a fresh node?): redeploying"
        );
        return Ok(None);
    }
    debug!(rollup = %recorded.rollup.address, "the recorded rollup is live: comparing parameters");
    Ok(Some(recorded))
}

/// Every difference between the live suite and the wanted parameters, as `name: X, wanted Y`.
async fn compare(
    provider: &DynProvider,
    live: &Deployment,
    wanted: &Wanted<'_>,
) -> Result<Vec<String>> {
    let mut differences = Vec::new();
    let mut check = |name: &str, actual: String, expected: String| {
        if actual != expected {
            differences.push(format!("{name}: {actual} on chain, wanted {expected}"));
        }
    };
    let rollup = Rollup::new(live.rollup.address, provider.clone());
    let staking = Staking::new(live.staking.address, provider.clone());
    let escrow = ProverEscrow::new(live.prover_escrow.address, provider.clone());

    check(
        "circuitKeys",
        live.circuit_keys.to_string(),
        wanted.circuit_keys.to_string(),
    );
    check(
        "rollup.staking",
        rollup
            .staking()
            .call()
            .await
            .decoded("Rollup.staking()")?
            .to_string(),
        live.staking.address.to_string(),
    );
    check(
        "rollup.proverEscrow",
        rollup
            .proverEscrow()
            .call()
            .await
            .decoded("Rollup.proverEscrow()")?
            .to_string(),
        live.prover_escrow.address.to_string(),
    );
    check(
        "rollup.rewardPool",
        rollup
            .rewardPool()
            .call()
            .await
            .decoded("Rollup.rewardPool()")?
            .to_string(),
        live.reward_pool.address.to_string(),
    );
    check(
        "rollup.inbox",
        rollup
            .inbox()
            .call()
            .await
            .decoded("Rollup.inbox()")?
            .to_string(),
        live.fee_inbox.address.to_string(),
    );
    check(
        "rollup.verifier",
        rollup
            .verifier()
            .call()
            .await
            .decoded("Rollup.verifier()")?
            .to_string(),
        live.verifier.address.to_string(),
    );
    check(
        "rollup.chunkVerifier",
        rollup
            .chunkVerifier()
            .call()
            .await
            .decoded("Rollup.chunkVerifier()")?
            .to_string(),
        live.chunk_verifier.address.to_string(),
    );
    for (code, record) in wanted
        .verifiers
        .iter()
        .zip([&live.verifier, &live.chunk_verifier])
    {
        if let Some(expected) = code.key_hash {
            let actual = BlockProofVerifier::new(record.address, provider.clone())
                .verificationKeyHash()
                .call()
                .await
                .decoded("verificationKeyHash()")?;
            check(
                &format!("{}.verificationKeyHash", code.kind.contract_name()),
                actual.to_string(),
                expected.to_string(),
            );
        }
    }
    if let Some(token) = wanted.token {
        check(
            "staking.stakingToken",
            staking
                .stakingToken()
                .call()
                .await
                .decoded("Staking.stakingToken()")?
                .to_string(),
            token.to_string(),
        );
    }

    compare_committee(provider, live, wanted, &mut check).await?;

    let actual = rollup.config().call().await.decoded("Rollup.config()")?;
    let expected = wanted.rollup_config();
    macro_rules! rollup_fields {
        ($($field:ident),*) => {$(
            check(
                concat!("rollup.", stringify!($field)),
                actual.$field.to_string(),
                expected.$field.to_string(),
            );
        )*};
    }
    rollup_fields!(
        proposalWindow,
        backupWindow,
        claimWindowSlots,
        proofWindowSlots,
        maxDataBytes,
        blockReward,
        proofSubmissionReward,
        openProvingBasisPointFee,
        maxProverFeeBps,
        minimumProverBond,
        unprovenBlockPenalty,
        voteRoundSize,
        voteQuorum,
        genesisStateRoot
    );

    let expected = wanted.staking_config();
    macro_rules! staking_fields {
        ($($field:ident),*) => {$(
            check(
                concat!("staking.", stringify!($field)),
                staking
                    .$field()
                    .call()
                    .await
                    .decoded(concat!("Staking.", stringify!($field), "()"))?
                    .to_string(),
                expected.$field.to_string(),
            );
        )*};
    }
    staking_fields!(
        slotDuration,
        epochDuration,
        minimumStake,
        entryPeriod,
        exitDelay,
        exitChurnPerEpoch,
        snapshotLag
    );
    if wanted.config.staking.genesis_time != 0 {
        staking_fields!(genesisTime);
    }
    check(
        "proverEscrow.withdrawalDelay",
        escrow
            .withdrawalDelay()
            .call()
            .await
            .decoded("ProverEscrow.withdrawalDelay()")?
            .to_string(),
        wanted.config.prover_escrow.withdrawal_delay.to_string(),
    );
    check(
        "feeInbox.inclusionDelay",
        FeeInbox::new(live.fee_inbox.address, provider.clone())
            .inclusionDelay()
            .call()
            .await
            .decoded("FeeInbox.inclusionDelay()")?
            .to_string(),
        wanted.config.fee_inbox.inclusion_delay.to_string(),
    );
    Ok(differences)
}

/// A sent transaction awaiting its receipt.
struct Sent {
    context: &'static str,
    pending: PendingTransactionBuilder<Ethereum>,
}

/// Sends `call` (its nonce already set).
/// The receipt context of a verifier's deployment.
const fn deploy_context(kind: VerifierKind) -> &'static str {
    match kind {
        VerifierKind::Block => "deploy BlockProofVerifier",
        VerifierKind::Chunk => "deploy ChunkProofVerifier",
    }
}

/// The key hash the deployed verifier at `record` reports, checked against the one its code was
/// generated for.
async fn key_hash(
    provider: &DynProvider,
    record: &ContractRecord,
    code: &VerifierCode,
) -> Result<B256> {
    let actual = BlockProofVerifier::new(record.address, provider.clone())
        .verificationKeyHash()
        .call()
        .await
        .decoded("verificationKeyHash()")?;
    match code.key_hash {
        Some(expected) if expected != actual => Err(Error::VerifierKeyMismatch {
            verifier: code.kind.contract_name(),
            expected,
            actual,
        }),
        _ => Ok(actual),
    }
}

async fn send<P: Provider, D: CallDecoder>(
    call: CallBuilder<P, D>,
    context: &'static str,
) -> Result<Sent> {
    let pending = call.send().await.decoded(context)?;
    debug!(context, tx = %pending.tx_hash(), "sent");
    Ok(Sent { context, pending })
}

/// Waits for every receipt, in order, and fails on the first reverted transaction.
async fn confirm(sent: Vec<Sent>) -> Result<Vec<TransactionReceipt>> {
    let mut receipts = Vec::with_capacity(sent.len());
    for Sent { context, pending } in sent {
        let receipt = pending
            .get_receipt()
            .await
            .map_err(|source| Error::Receipt {
                context: context.into(),
                source,
            })?;
        if !receipt.status() {
            return Err(Error::TransactionReverted {
                context: context.into(),
                tx_hash: receipt.transaction_hash,
            });
        }
        info!(
            context,
            block = receipt.block_number,
            gas = receipt.gas_used,
            tx = %receipt.transaction_hash,
            "confirmed"
        );
        receipts.push(receipt);
    }
    Ok(receipts)
}

/// The address and block of a deployment receipt.
fn record(receipt: &TransactionReceipt, context: &'static str) -> Result<ContractRecord> {
    let address = receipt.contract_address.ok_or(Error::NoContractAddress {
        context: context.into(),
        tx_hash: receipt.transaction_hash,
    })?;
    Ok(ContractRecord {
        address,
        deploy_block: receipt.block_number,
    })
}

/// Hands out consecutive nonces.
struct Nonces(u64);

impl Nonces {
    fn next(&mut self) -> u64 {
        let nonce = self.0;
        self.0 += 1;
        nonce
    }
}

/// Sends every transaction of a fresh deployment and builds its record.
async fn deploy_suite(
    provider: &DynProvider,
    chain_id: u64,
    deployer: Address,
    wanted: &Wanted<'_>,
) -> Result<Deployment> {
    let config = wanted.config;
    let base = provider
        .get_transaction_count(deployer)
        .pending()
        .await
        .map_err(rpc("eth_getTransactionCount"))?;
    let mut nonces = Nonces(base);

    // Round 1: the token, the verifiers and the four satellites (no constructor calls another).
    let mut round = Vec::new();
    let token = match wanted.token {
        Some(token) => token,
        None => {
            let nonce = nonces.next();
            let t = &config.devnet_token;
            let call = DevnetToken::deploy_builder(
                provider.clone(),
                t.token_name.clone(),
                t.token_symbol.clone(),
            )
            .nonce(nonce);
            round.push(send(call, "deploy DevnetToken").await?);
            deployer.create(nonce)
        }
    };
    for code in &wanted.verifiers {
        let call = RawCallBuilder::new_raw_deploy(provider.clone(), code.init_code.clone())
            .nonce(nonces.next());
        round.push(send(call, deploy_context(code.kind)).await?);
    }
    let staking_nonce = nonces.next();
    // Staking, ProverEscrow, RewardPool, FeeInbox, then the Rollup: the satellites name it.
    let predicted_rollup = deployer.create(staking_nonce + 4);
    let predicted_pool = deployer.create(staking_nonce + 2);
    info!(%predicted_rollup, %token, "deploying the suite");
    let call = Staking::deploy_builder(
        provider.clone(),
        token,
        predicted_rollup,
        wanted.staking_config(),
    )
    .nonce(staking_nonce);
    round.push(send(call, "deploy Staking").await?);
    let call = ProverEscrow::deploy_builder(
        provider.clone(),
        token,
        predicted_rollup,
        U256::from(config.prover_escrow.withdrawal_delay),
    )
    .nonce(nonces.next());
    round.push(send(call, "deploy ProverEscrow").await?);
    let call =
        RewardPool::deploy_builder(provider.clone(), token, predicted_rollup).nonce(nonces.next());
    round.push(send(call, "deploy RewardPool").await?);
    let call = FeeInbox::deploy_builder(
        provider.clone(),
        token,
        predicted_rollup,
        predicted_pool,
        U256::from(config.fee_inbox.inclusion_delay),
    )
    .nonce(nonces.next());
    round.push(send(call, "deploy FeeInbox").await?);
    let receipts = confirm(round).await?;
    let (token_record, rest) = match wanted.token {
        Some(address) => (
            ContractRecord {
                address,
                deploy_block: None,
            },
            &receipts[..],
        ),
        None => (record(&receipts[0], "deploy DevnetToken")?, &receipts[1..]),
    };
    let verifier = record(&rest[0], deploy_context(VerifierKind::Block))?;
    let chunk_verifier = record(&rest[1], deploy_context(VerifierKind::Chunk))?;
    let staking = record(&rest[2], "deploy Staking")?;
    let prover_escrow = record(&rest[3], "deploy ProverEscrow")?;
    let reward_pool = record(&rest[4], "deploy RewardPool")?;
    let fee_inbox = record(&rest[5], "deploy FeeInbox")?;

    // Round 2: the rollup (its constructor reads the satellites), and the pool's tokens.
    let funding = match wanted.token {
        Some(_) => TokenAmount::default(),
        None => config.devnet_token.reward_pool_funding,
    };
    let mut round = Vec::new();
    match config.proving_mode {
        ProvingMode::Quote => {
            let call = Rollup::deploy_builder(
                provider.clone(),
                staking.address,
                prover_escrow.address,
                reward_pool.address,
                verifier.address,
                chunk_verifier.address,
                wanted.rollup_config(),
                fee_inbox.address,
            )
            .nonce(nonces.next());
            round.push(send(call, "deploy Rollup").await?);
        }
        ProvingMode::Committee => {
            let call = CommitteeRollup::deploy_builder(
                provider.clone(),
                staking.address,
                prover_escrow.address,
                reward_pool.address,
                verifier.address,
                chunk_verifier.address,
                wanted.committee_rollup_config(),
                fee_inbox.address,
                wanted.committee_config(),
            )
            .nonce(nonces.next());
            round.push(send(call, "deploy CommitteeRollup").await?);
        }
    }
    let devnet_token = DevnetToken::new(token, provider.clone());
    let mint = config.devnet_token.deployer_mint;
    if wanted.token.is_none() && !mint.is_zero() {
        let call = devnet_token.mint(deployer, mint.0).nonce(nonces.next());
        round.push(send(call, "DevnetToken.mint").await?);
    }
    if !funding.is_zero() {
        let call = devnet_token
            .approve(reward_pool.address, funding.0)
            .nonce(nonces.next());
        round.push(send(call, "DevnetToken.approve").await?);
    }
    let receipts = confirm(round).await?;
    let rollup = record(&receipts[0], "deploy Rollup")?;
    if rollup.address != predicted_rollup {
        return Err(Error::RollupAddressMismatch {
            predicted: predicted_rollup,
            actual: rollup.address,
        });
    }

    // Round 3: fund the reward pool.
    if !funding.is_zero() {
        let pool = RewardPool::new(reward_pool.address, provider.clone());
        let call = pool.fund(funding.0).nonce(nonces.next());
        confirm(vec![send(call, "RewardPool.fund").await?]).await?;
        info!(amount = %funding, "reward pool funded");
    }

    let verification_key_hash = key_hash(provider, &verifier, &wanted.verifiers[0]).await?;
    let chunk_verification_key_hash =
        key_hash(provider, &chunk_verifier, &wanted.verifiers[1]).await?;
    let genesis_time = Staking::new(staking.address, provider.clone())
        .genesisTime()
        .call()
        .await
        .decoded("Staking.genesisTime()")?;
    let mut parameters = Parameters {
        staking: config.staking.clone(),
        prover_escrow: config.prover_escrow.clone(),
        fee_inbox: config.fee_inbox.clone(),
        rollup: config.rollup.clone(),
        proving_mode: config.proving_mode,
        committee: (config.proving_mode == ProvingMode::Committee)
            .then(|| config.committee.clone()),
    };
    parameters.staking.genesis_time = genesis_time.saturating_to();
    parameters.rollup.max_data_bytes = Some(config.max_data_bytes());
    Ok(Deployment {
        chain_id,
        deployer,
        deploy_block: rollup.deploy_block.unwrap_or_default(),
        token: token_record,
        verifier,
        chunk_verifier,
        staking,
        prover_escrow,
        reward_pool,
        fee_inbox,
        rollup,
        verification_key_hash,
        chunk_verification_key_hash,
        circuit_keys: wanted.circuit_keys,
        genesis_state_root: wanted.genesis_root,
        state_preset: config.state_config,
        state_config: config.state(),
        parameters,
        reward_pool_funding: funding,
    })
}

/// Maps a transport error into [`Error::Rpc`] naming the request.
fn rpc(context: &'static str) -> impl FnOnce(alloy::transports::TransportError) -> Error {
    move |source| Error::Rpc {
        context: context.into(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesis_root_depends_on_the_state_sizes() {
        let devnet = genesis_state_root(&StateConfig::devnet()).unwrap();
        let production = genesis_state_root(&StateConfig::production()).unwrap();
        assert_ne!(devnet, production);
        assert_ne!(devnet, B256::ZERO);
        let world = WorldState::new(StateConfig::devnet()).unwrap();
        assert_eq!(devnet, B256::from(fr_to_be_bytes(&world.state_root())));
    }
}
