//! The harness: the compiled contracts in revm and the model, driven by the same actions.

use std::collections::BTreeMap;

use alloy::{
    primitives::{keccak256, Address, Bytes, B256, U256},
    signers::local::PrivateKeySigner,
    sol_types::{SolCall, SolConstructor, SolValue},
};
use fernet_bindings::{
    rollup::IRollup::Config,
    DevnetToken, IRollup,
    IRollup::{BlockHeader, ProposeArgs, SignedEpochProofQuote},
    ProverEscrow, RewardPool, Rollup, Staking,
};

use crate::{
    action::{Action, BlockChoice, ProofChoice, QuoteChoice, Stake},
    artifacts::{Artifacts, VerifierKind},
    error::{Divergence, Error, Result},
    evm::{CallOutcome, Evm},
    invariants,
    model::{public_inputs, Addresses, Model, K},
    observe::Snapshot,
    params::Params,
    proofs::Proofs,
    quote,
    reverts::{Outcome, Revert},
};

/// One token, in wei.
const ETHER: u128 = 1_000_000_000_000_000_000;
/// Chain id of the in-memory chain (part of the quotes' domain).
const CHAIN_ID: u64 = 31_337;
/// Tokens each sequencer starts with.
const SEQUENCER_FUNDS: u128 = 300 * ETHER;
/// Tokens each prover starts with.
const PROVER_FUNDS: u128 = 1_000 * ETHER;
/// The upgrade payloads sequencers vote for.
const PAYLOADS: [Address; 2] = [Address::new([0xa1; 20]), Address::new([0xa2; 20])];
/// Another rollup's address, for cross-deployment quote replays.
const OTHER_ROLLUP: Address = Address::new([0x0e; 20]);

/// What a step did, for counting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepReport {
    /// Whether the call succeeded (warps always do).
    pub succeeded: bool,
    /// The revert both sides agreed on, rendered.
    pub revert: Option<String>,
}

/// The contracts in revm, the model, and the cast that acts on them.
pub struct Harness {
    evm: Evm,
    model: Model,
    proofs: Proofs,
    sequencers: Vec<PrivateKeySigner>,
    provers: Vec<PrivateKeySigner>,
    /// Public inputs of every block number as last written (what provers read from L1 data).
    inputs: BTreeMap<u64, [U256; K]>,
    l1_block: u64,
}

fn actor(label: &str, index: usize) -> PrivateKeySigner {
    let key = keccak256(format!("fernet-model {label} {index}"));
    PrivateKeySigner::from_bytes(&key).expect("a keccak digest is a valid key")
}

impl Harness {
    /// Deploys the suite with `proofs`'s verifier, funds the cast (`sequencers` sequencers, the
    /// first `active` of them registered at genesis and active, `provers` provers with 100
    /// tokens deposited), and starts the model from the same state.
    pub fn new(proofs: Proofs, sequencers: usize, active: usize, provers: usize) -> Result<Self> {
        let mut params = Params::default();
        let kind = match &proofs {
            Proofs::Commitment => VerifierKind::Commitment,
            Proofs::Fixture(chain) => {
                params.genesis_state_root = chain.genesis_state_root;
                VerifierKind::Groth16
            }
        };
        let artifacts = Artifacts::load(kind)?;
        let deployer = Address::new([0xde; 20]);
        let now = params.genesis_time;
        let mut evm = Evm::new(CHAIN_ID, now);
        let genesis_randao = U256::from(0xfe120e7_u64);
        evm.set_block(now, 1, genesis_randao);

        let token = evm.deploy(
            deployer,
            init(
                &artifacts.token,
                DevnetToken::constructorCall {
                    name_: "Fernet Staking Token".into(),
                    symbol_: "FST".into(),
                },
            ),
        )?;
        let verifier = evm.deploy(deployer, artifacts.verifier.clone())?;
        let predicted_rollup = deployer.create(evm.nonce(deployer) + 3);
        let staking = evm.deploy(
            deployer,
            init(
                &artifacts.staking,
                Staking::constructorCall {
                    token,
                    rollup_: predicted_rollup,
                    config: Staking::Config {
                        genesisTime: U256::from(params.genesis_time),
                        slotDuration: U256::from(params.slot_duration),
                        epochDuration: U256::from(params.epoch_duration),
                        minimumStake: U256::from(params.minimum_stake),
                        entryPeriod: U256::from(params.entry_period),
                        exitDelay: U256::from(params.exit_delay),
                        exitChurnPerEpoch: U256::from(params.exit_churn_per_epoch),
                        snapshotLag: U256::from(params.snapshot_lag),
                    },
                },
            ),
        )?;
        let escrow = evm.deploy(
            deployer,
            init(
                &artifacts.escrow,
                ProverEscrow::constructorCall {
                    token_: token,
                    rollup_: predicted_rollup,
                    withdrawalDelay_: U256::from(params.escrow_withdrawal_delay),
                },
            ),
        )?;
        let pool = evm.deploy(
            deployer,
            init(
                &artifacts.pool,
                RewardPool::constructorCall {
                    token_: token,
                    rollup_: predicted_rollup,
                },
            ),
        )?;
        let rollup = evm.deploy(
            deployer,
            init(
                &artifacts.rollup,
                Rollup::constructorCall {
                    staking_: staking,
                    escrow_: escrow,
                    pool_: pool,
                    verifier_: verifier,
                    config_: rollup_config(&params),
                },
            ),
        )?;
        if rollup != predicted_rollup {
            return Err(Error::Deploy(format!(
                "rollup at {rollup}, satellites point at {predicted_rollup}"
            )));
        }
        let addresses = Addresses {
            token,
            staking,
            escrow,
            pool,
            rollup,
        };
        let model = Model::new(params, addresses, CHAIN_ID, now, genesis_randao);
        let mut harness = Self {
            evm,
            model,
            proofs,
            sequencers: (0..sequencers).map(|i| actor("sequencer", i)).collect(),
            provers: (0..provers).map(|i| actor("prover", i)).collect(),
            inputs: BTreeMap::new(),
            l1_block: 1,
        };
        harness.fund(deployer)?;
        for who in 0..active {
            harness.step(&Action::Register {
                who: who as u8,
                stake: Stake::Minimum,
            })?;
        }
        for prover in 0..provers {
            harness.step(&Action::Deposit {
                prover: prover as u8,
                tens: 10,
            })?;
        }
        if active > 0 {
            let first = harness.sequencers[0].address();
            let activation = harness.model.staking.info(first).activation_epoch;
            let target = harness.model.params.epoch_start(u64::from(activation));
            harness.model.now = target;
        }
        Ok(harness)
    }

    /// Mints the cast's funds and the pool's, and approves the staking and escrow contracts.
    fn fund(&mut self, deployer: Address) -> Result<()> {
        let a = self.model.addresses;
        let funding = self.model.params.pool_funding;
        let mut grants: Vec<(Address, u128)> = self
            .sequencers
            .iter()
            .map(|s| (s.address(), SEQUENCER_FUNDS))
            .collect();
        grants.extend(self.provers.iter().map(|p| (p.address(), PROVER_FUNDS)));
        for (holder, amount) in grants.iter().copied().chain([(deployer, funding)]) {
            self.setup_call(
                deployer,
                a.token,
                DevnetToken::mintCall {
                    to: holder,
                    amount: U256::from(amount),
                },
            )?;
            self.model.token.mint(holder, amount);
        }
        for (holder, _) in grants {
            for spender in [a.staking, a.escrow] {
                self.setup_call(
                    holder,
                    a.token,
                    DevnetToken::approveCall {
                        spender,
                        value: U256::MAX,
                    },
                )?;
            }
        }
        self.setup_call(
            deployer,
            a.token,
            DevnetToken::approveCall {
                spender: a.pool,
                value: U256::MAX,
            },
        )?;
        self.setup_call(
            deployer,
            a.pool,
            RewardPool::fundCall {
                amount: U256::from(funding),
            },
        )?;
        self.model
            .token
            .transfer(deployer, a.pool, funding)
            .map_err(|revert| Error::Deploy(format!("pool funding: {revert}")))?;
        Ok(())
    }

    fn setup_call(&mut self, caller: Address, to: Address, call: impl SolCall) -> Result<()> {
        match self.evm.call(caller, to, call.abi_encode().into())? {
            CallOutcome::Success { .. } => Ok(()),
            other => Err(Error::Deploy(format!("setup call failed: {other:?}"))),
        }
    }

    /// The model (what the contracts must equal).
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The model, writable: for tests that corrupt it on purpose to show that the harness
    /// notices.
    pub fn model_mut(&mut self) -> &mut Model {
        &mut self.model
    }

    /// The sequencers' addresses.
    pub fn sequencer_addresses(&self) -> Vec<Address> {
        self.sequencers
            .iter()
            .map(PrivateKeySigner::address)
            .collect()
    }

    /// The provers' addresses.
    pub fn prover_addresses(&self) -> Vec<Address> {
        self.provers.iter().map(PrivateKeySigner::address).collect()
    }

    /// Runs `action` on the contracts and on the model, then checks that they agree on its
    /// outcome and on every observed value, and that the invariants hold.
    pub fn step(&mut self, action: &Action) -> Result<StepReport> {
        self.l1_block += 1;
        let randao = U256::from_be_bytes(keccak256(self.l1_block.to_be_bytes()).0);
        self.model.prevrandao = randao;
        let report = match *action {
            Action::Warp { seconds } => {
                self.model.now += u64::from(seconds);
                StepReport {
                    succeeded: true,
                    revert: None,
                }
            }
            Action::NextSlot { offset } => {
                let next = self.model.current_slot() + 1;
                self.model.now = self.model.params.slot_start(next) + u64::from(offset);
                StepReport {
                    succeeded: true,
                    revert: None,
                }
            }
            _ => {
                let (sender, call) = self.call_for(action);
                self.evm.set_block(self.model.now, self.l1_block, randao);
                let (to, data) = call.encode(&self.model.addresses);
                let contracts = self.evm.call(sender, to, data)?;
                let model = call.run(&mut self.model, sender, &self.proofs);
                let report = compare_outcomes(&contracts, &model)?;
                if report.succeeded {
                    self.record_inputs(&call);
                }
                report
            }
        };
        self.evm.set_block(self.model.now, self.l1_block, randao);
        let accounts = self.observed_accounts();
        let observed = Snapshot::observe(&mut self.evm, &self.model, &accounts)?;
        let expected = Snapshot::expect(&self.model, &accounts);
        observed.diff(&expected)?;
        invariants::check(&self.model)?;
        Ok(report)
    }

    fn observed_accounts(&self) -> Vec<Address> {
        let mut accounts = self.sequencer_addresses();
        accounts.extend(self.prover_addresses());
        accounts
    }

    fn record_inputs(&mut self, call: &Call) {
        if let Call::Propose(args) | Call::Backup(args, _) = call {
            if let Some(inputs) = public_inputs(args) {
                self.inputs
                    .insert(args.header.blockNumber.saturating_to(), inputs);
            }
        }
    }

    /// Turns an action into a concrete call, built from what the actor sees (the model's state).
    fn call_for(&self, action: &Action) -> (Address, Call) {
        let m = &self.model;
        let seq = |who: u8| self.sequencers[usize::from(who) % self.sequencers.len()].address();
        match *action {
            Action::Warp { .. } | Action::NextSlot { .. } => unreachable!("warps make no call"),
            Action::Register { who, stake } => {
                let sender = seq(who);
                let amount = match stake {
                    Stake::Minimum => m.params.minimum_stake,
                    Stake::Double => 2 * m.params.minimum_stake,
                    Stake::BelowMinimum => m.params.minimum_stake - 1,
                    Stake::AboveBalance => m.token.balance_of(sender) + 1,
                };
                (sender, Call::Register(amount))
            }
            Action::Exit { who } => (seq(who), Call::Exit),
            Action::Withdraw { who } => (seq(who), Call::Withdraw(seq(who))),
            Action::Propose {
                who,
                ranked,
                block,
                data,
                vote,
            } => {
                let sender = if ranked {
                    self.ranked_proposer(who).unwrap_or_else(|| seq(who))
                } else {
                    seq(who)
                };
                let slot = m.current_slot();
                let tip = self.tip_after_prune();
                let (number, parent) = if tip != 0 && m.rollup.block(tip).slot == slot {
                    (tip, m.rollup.block(tip - 1).state_root)
                } else {
                    (tip + 1, m.rollup.block(tip).state_root)
                };
                let payload = match vote {
                    0 => Address::ZERO,
                    v => PAYLOADS[usize::from(v - 1) % PAYLOADS.len()],
                };
                let mut args = self.block_args(block, data, number, slot, parent);
                args.upgradePayload = payload;
                (sender, Call::Propose(args))
            }
            Action::ProposeBackup {
                who,
                slots_back,
                block,
                data,
                valid_proof,
            } => {
                let slot = m.current_slot().saturating_sub(u64::from(slots_back));
                let tip = self.tip_after_prune();
                let parent = m.rollup.block(tip).state_root;
                let args = self.block_args(block, data, tip + 1, slot, parent);
                let inputs = public_inputs(&args).unwrap_or_default();
                let proof = if valid_proof {
                    self.proofs.proof_for(&inputs)
                } else {
                    self.proofs.wrong_proof_for(&inputs)
                };
                (seq(who), Call::Backup(args, proof))
            }
            Action::Claim {
                who,
                ranked,
                prover,
                quote: choice,
                bond,
                fee,
            } => {
                let eligible = m.staking.proposers_at(m.current_epoch());
                let sender = match ranked && !eligible.is_empty() {
                    true => eligible[usize::from(who) % eligible.len()],
                    false => seq(who),
                };
                (
                    sender,
                    Call::Claim(self.claim_quote(prover, choice, bond, fee)),
                )
            }
            Action::Prove { who, proof } => {
                let (epoch, inputs, proofs) = self.epoch_proof(proof);
                (seq(who), Call::Prove(epoch, inputs, proofs))
            }
            Action::Prune { who } => (seq(who), Call::Prune),
            Action::Deposit { prover, tens } => {
                let p = self.prover(prover);
                (p, Call::Deposit(p, u128::from(tens) * 10 * ETHER))
            }
            Action::RequestWithdrawal { prover, tens } => (
                self.prover(prover),
                Call::RequestWithdrawal(u128::from(tens) * 10 * ETHER),
            ),
            Action::FinalizeWithdrawal { prover } => {
                let p = self.prover(prover);
                (p, Call::FinalizeWithdrawal(p))
            }
            Action::ClaimRewards { who } => {
                let accounts = self.observed_accounts();
                let account = accounts[usize::from(who) % accounts.len()];
                (account, Call::ClaimRewards(account))
            }
        }
    }

    /// The eligible proposer ranked `rank` (modulo their number) in the current slot.
    fn ranked_proposer(&self, rank: u8) -> Option<Address> {
        let m = &self.model;
        let slot = m.current_slot();
        let seed = m.seed(m.params.epoch_of(slot));
        let mut ranked: Vec<(alloy::primitives::U256, Address)> = m
            .staking
            .proposers_at(m.params.epoch_of(slot))
            .into_iter()
            .map(|p| (crate::model::score(seed, slot, p), p))
            .collect();
        if ranked.is_empty() {
            return None;
        }
        ranked.sort_unstable_by(|a, b| b.cmp(a));
        Some(ranked[usize::from(rank) % ranked.len()].1)
    }

    fn prover(&self, index: u8) -> Address {
        self.provers[usize::from(index) % self.provers.len()].address()
    }

    /// The pending tip a proposer builds on: the proven tip if a prune is due.
    fn tip_after_prune(&self) -> u64 {
        if self.model.can_prune() {
            self.model.rollup.proven_tip
        } else {
            self.model.rollup.pending_tip
        }
    }

    /// The proposal of block `number` at `slot` on `parent` (the fixture's when it has that
    /// block), altered as `choice` says.
    fn block_args(
        &self,
        choice: BlockChoice,
        seed: u16,
        number: u64,
        slot: u64,
        parent: B256,
    ) -> ProposeArgs {
        let mut args = match self.proofs.fixture_block(number, slot, parent) {
            Some(block) => block.args.clone(),
            None => synthetic_block(seed, number, slot, parent),
        };
        let header = &mut args.header;
        match choice {
            BlockChoice::Honest => {}
            BlockChoice::WrongSlot => header.slot += U256::from(1),
            BlockChoice::WrongNumber => header.blockNumber += U256::from(1),
            BlockChoice::WrongParent => {
                header.prevStateRoot = B256::from(U256::from_be_bytes(parent.0) ^ U256::from(1))
            }
            BlockChoice::RootNotInField => {
                header.newStateRoot = B256::from(crate::model::FIELD_MODULUS)
            }
            BlockChoice::FeesTooLarge => header.totalFees = U256::from(1) << 120,
            BlockChoice::DataTooLarge => {
                args.data = vec![0x5a; self.model.params.max_data_bytes + 1].into();
            }
        }
        args
    }

    fn claim_quote(
        &self,
        prover: u8,
        choice: QuoteChoice,
        bond: u8,
        fee: u16,
    ) -> SignedEpochProofQuote {
        let m = &self.model;
        let index = usize::from(prover) % self.provers.len();
        let signer = &self.provers[index];
        let slot = m.current_slot();
        let epoch = m.current_epoch();
        let mut bond = m.params.minimum_prover_bond * (1 + u128::from(bond % 4));
        let mut fee = u32::from(fee);
        let mut target = epoch.saturating_sub(1);
        let mut valid_until = slot + 2;
        let mut rollup = m.addresses.rollup;
        match choice {
            QuoteChoice::Valid
            | QuoteChoice::Forged
            | QuoteChoice::Truncated
            | QuoteChoice::ZeroProver => {}
            QuoteChoice::Expired => valid_until = slot.saturating_sub(1),
            QuoteChoice::WrongEpoch => target = epoch,
            QuoteChoice::OtherRollup => rollup = OTHER_ROLLUP,
            QuoteChoice::FeeTooHigh => fee += 10_001,
            QuoteChoice::BondTooSmall => bond = m.params.minimum_prover_bond - 1,
            QuoteChoice::OverBond => {
                bond =
                    (m.escrow.account(signer.address()).free + 1).max(m.params.minimum_prover_bond)
            }
        }
        let prover = if choice == QuoteChoice::ZeroProver {
            Address::ZERO
        } else {
            signer.address()
        };
        let unsigned = quote::quote(prover, target, valid_until, bond, rollup, fee);
        let key = match choice {
            QuoteChoice::Forged => &self.provers[(index + 1) % self.provers.len()],
            _ => signer,
        };
        let mut signed = quote::sign(m, unsigned, key);
        match choice {
            QuoteChoice::Truncated => signed.signature = signed.signature.slice(..64),
            QuoteChoice::ZeroProver => signed.signature = Bytes::new(),
            _ => {}
        }
        signed
    }

    /// The epoch, inputs and proofs a submission carries.
    fn epoch_proof(&self, choice: ProofChoice) -> (u64, Vec<U256>, Bytes) {
        let m = &self.model;
        let epoch = m
            .oldest_unproven_epoch()
            .unwrap_or_else(|| m.current_epoch().saturating_sub(1));
        let log = m.rollup.epoch_log(epoch);
        let first = m.rollup.proven_tip + 1;
        let last = (log.first_block + u64::from(log.block_count)).saturating_sub(1);
        let mut rows: Vec<[U256; K]> = (first..=last)
            .filter_map(|n| self.inputs.get(&n).copied())
            .collect();
        let mut epoch_claimed = epoch;
        let mut wrong_proof = false;
        match choice {
            ProofChoice::Valid => {}
            ProofChoice::WrongEpoch => epoch_claimed = epoch + 1,
            ProofChoice::TamperedInputs => {
                if let Some(row) = rows.first_mut() {
                    row[5] = (row[5] + U256::from(1)) % crate::model::FIELD_MODULUS;
                }
            }
            ProofChoice::MissingBlock => {
                rows.pop();
            }
            ProofChoice::InvalidProof => wrong_proof = true,
        }
        let mut proofs = Vec::with_capacity(rows.len() * 256);
        for row in &rows {
            let proof = if wrong_proof {
                self.proofs.wrong_proof_for(row)
            } else {
                self.proofs.proof_for(row)
            };
            proofs.extend_from_slice(&proof);
        }
        (epoch_claimed, rows.concat(), proofs.into())
    }
}

/// A block with deterministic pseudo-random data (not a real state transition: the
/// commitment verifier proves any inputs).
fn synthetic_block(seed: u16, number: u64, slot: u64, parent: B256) -> ProposeArgs {
    let length = usize::from(seed % 200);
    let mut data = Vec::with_capacity(length + 32);
    let mut chunk = keccak256(seed.to_be_bytes());
    while data.len() < length {
        data.extend_from_slice(chunk.as_slice());
        chunk = keccak256(chunk);
    }
    data.truncate(length);
    let root = keccak256(("state", U256::from(number), U256::from(seed)).abi_encode());
    let mask = (U256::from(1) << 248) - U256::from(1);
    let data_hash = U256::from_be_bytes(keccak256(("h", U256::from(seed)).abi_encode()).0)
        % crate::model::FIELD_MODULUS;
    ProposeArgs {
        header: BlockHeader {
            blockNumber: U256::from(number),
            slot: U256::from(slot),
            prevStateRoot: parent,
            newStateRoot: B256::from(U256::from_be_bytes(root.0) & mask),
            totalFees: U256::from(length as u64 * 1_000_000_000),
            dataHash: data_hash,
        },
        data: data.into(),
        upgradePayload: Address::ZERO,
    }
}

fn init(bytecode: &Bytes, constructor: impl SolConstructor) -> Bytes {
    [bytecode.as_ref(), &constructor.abi_encode()]
        .concat()
        .into()
}

fn rollup_config(p: &Params) -> Config {
    Config {
        proposalWindow: U256::from(p.proposal_window),
        backupWindow: U256::from(p.backup_window),
        claimWindowSlots: U256::from(p.claim_window_slots),
        proofWindowSlots: U256::from(p.proof_window_slots),
        maxDataBytes: U256::from(p.max_data_bytes),
        blockReward: U256::from(p.block_reward),
        proofSubmissionReward: U256::from(p.proof_submission_reward),
        openProvingBasisPointFee: U256::from(p.open_proving_bps),
        minimumProverBond: U256::from(p.minimum_prover_bond),
        unprovenBlockPenalty: U256::from(p.unproven_block_penalty),
        voteRoundSize: U256::from(p.vote_round_size),
        voteQuorum: U256::from(p.vote_quorum),
        genesisStateRoot: p.genesis_state_root,
    }
}

fn compare_outcomes(contracts: &CallOutcome, model: &Outcome) -> Result<StepReport> {
    match (contracts, model) {
        (CallOutcome::Success { .. }, Ok(())) => Ok(StepReport {
            succeeded: true,
            revert: None,
        }),
        (CallOutcome::Revert { data }, Err(expected)) if *data == expected.0 => Ok(StepReport {
            succeeded: false,
            revert: Some(expected.to_string()),
        }),
        (contracts, model) => Err(Divergence::Outcome {
            contracts: match contracts {
                CallOutcome::Success { .. } => "succeeded".into(),
                CallOutcome::Revert { data } => format!("reverted {}", Revert(data.clone())),
                CallOutcome::Halt { reason } => format!("halted ({reason})"),
            },
            model: match model {
                Ok(()) => "succeeds".into(),
                Err(revert) => format!("reverts {revert}"),
            },
        }
        .into()),
    }
}

/// One concrete transaction.
enum Call {
    Register(u128),
    Exit,
    Withdraw(Address),
    Propose(ProposeArgs),
    Backup(ProposeArgs, Bytes),
    Claim(SignedEpochProofQuote),
    Prove(u64, Vec<U256>, Bytes),
    Prune,
    Deposit(Address, u128),
    RequestWithdrawal(u128),
    FinalizeWithdrawal(Address),
    ClaimRewards(Address),
}

impl Call {
    fn encode(&self, a: &Addresses) -> (Address, Bytes) {
        let (to, data) = match self {
            Self::Register(amount) => (
                a.staking,
                Staking::registerCall {
                    amount: U256::from(*amount),
                }
                .abi_encode(),
            ),
            Self::Exit => (a.staking, Staking::exitCall {}.abi_encode()),
            Self::Withdraw(recipient) => (
                a.staking,
                Staking::withdrawCall {
                    recipient: *recipient,
                }
                .abi_encode(),
            ),
            Self::Propose(args) => (
                a.rollup,
                IRollup::proposeCall { args: args.clone() }.abi_encode(),
            ),
            Self::Backup(args, proof) => (
                a.rollup,
                IRollup::proposeWithProofCall {
                    args: args.clone(),
                    proof: proof.clone(),
                }
                .abi_encode(),
            ),
            Self::Claim(signed) => (
                a.rollup,
                IRollup::claimEpochProofRightCall {
                    signedQuote: signed.clone(),
                }
                .abi_encode(),
            ),
            Self::Prove(epoch, inputs, proofs) => (
                a.rollup,
                IRollup::submitEpochProofCall {
                    epoch: U256::from(*epoch),
                    publicInputs: inputs.clone(),
                    proofs: proofs.clone(),
                }
                .abi_encode(),
            ),
            Self::Prune => (a.rollup, IRollup::pruneCall {}.abi_encode()),
            Self::Deposit(prover, amount) => (
                a.escrow,
                ProverEscrow::depositCall {
                    prover: *prover,
                    amount: U256::from(*amount),
                }
                .abi_encode(),
            ),
            Self::RequestWithdrawal(amount) => (
                a.escrow,
                ProverEscrow::requestWithdrawalCall {
                    amount: U256::from(*amount),
                }
                .abi_encode(),
            ),
            Self::FinalizeWithdrawal(recipient) => (
                a.escrow,
                ProverEscrow::finalizeWithdrawalCall {
                    recipient: *recipient,
                }
                .abi_encode(),
            ),
            Self::ClaimRewards(recipient) => (
                a.pool,
                RewardPool::claimCall {
                    recipient: *recipient,
                }
                .abi_encode(),
            ),
        };
        (to, data.into())
    }

    fn run(&self, m: &mut Model, sender: Address, proofs: &Proofs) -> Outcome {
        match self {
            Self::Register(amount) => m.register(sender, *amount),
            Self::Exit => m.exit(sender),
            Self::Withdraw(recipient) => m.withdraw(sender, *recipient),
            Self::Propose(args) => m.propose(sender, args),
            Self::Backup(args, proof) => m.propose_with_proof(sender, args, proof, proofs),
            Self::Claim(signed) => m.claim_epoch_proof_right(sender, signed),
            Self::Prove(epoch, inputs, bytes) => {
                m.submit_epoch_proof(sender, *epoch, inputs, bytes, proofs)
            }
            Self::Prune => m.prune(),
            Self::Deposit(prover, amount) => m.deposit(sender, *prover, *amount),
            Self::RequestWithdrawal(amount) => m.request_withdrawal(sender, *amount),
            Self::FinalizeWithdrawal(recipient) => m.finalize_withdrawal(sender, *recipient),
            Self::ClaimRewards(recipient) => m.claim_rewards(sender, *recipient),
        }
    }
}
