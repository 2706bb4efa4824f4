//! The harness: the compiled contracts in revm and the model, driven by the same actions.

mod committee;

use std::collections::BTreeMap;

use alloy::{
    primitives::{keccak256, Address, Bytes, B256, U256},
    signers::local::PrivateKeySigner,
    sol_types::{SolCall, SolConstructor, SolError, SolValue},
};
use fernet_bindings::{
    committee_rollup,
    errors::Errors,
    rollup::IRollup::Config,
    CommitteeRollup, DevnetToken, FeeInbox, ICommitteeRollup, IRollup,
    IRollup::{BlockHeader, ProposeArgs, SignedEpochProofQuote},
    ProverEscrow, RewardPool, Rollup, Staking,
};

use fernet_state::{
    BLOCK_DATA_HEADER_BYTES, BLOCK_DATA_VERSION, MESSAGES_PER_BLOCK, MESSAGE_BYTES, TX_EFFECT_BYTES,
};

use crate::{
    action::{
        Action, BackupProof, BlockChoice, DepositChoice, ProofChoice, QuoteChoice, SplitChoice,
        Stake,
    },
    artifacts::{Artifacts, VerifierKind},
    error::{Divergence, Error, Result},
    evm::{CallOutcome, Evm},
    invariants,
    invariants::Transition,
    model::{
        message_word, public_inputs, split_rows, Addresses, ClaimStatus, CommitteeProof,
        EpochSplit, Model, FIELD_MODULUS, K, MAX_CHUNKS_PER_BLOCK, MAX_DEPOSIT, MESSAGES_START,
        MESSAGE_COUNT_OFFSET, TX_WORDS,
    },
    observe::Snapshot,
    params::{CommitteeParams, Params},
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
/// Who deploys the suite, funds the pool and makes the fixture's deposits.
const DEPLOYER: Address = Address::new([0xde; 20]);
/// The L2 accounts fee deposits credit.
const L2_ACCOUNTS: [Address; 3] = [
    Address::new([0xb1; 20]),
    Address::new([0xb2; 20]),
    Address::new([0xb3; 20]),
];
/// Unit of a valid fee deposit, in wei: deposits of 1 to 2^16 units are of the order of the
/// synthetic blocks' fees (up to 2^32 wei per transaction), so fee budgets run out.
const DEPOSIT_UNIT: u128 = 1 << 17;

/// What a step did, for counting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepReport {
    /// Whether the call succeeded (warps always do).
    pub succeeded: bool,
    /// The revert both sides agreed on, rendered.
    pub revert: Option<String>,
    /// Paths of the protocol the step took that its outcome does not name (a partial proof, a
    /// replaced claim, a pro-rata slash, ...).
    pub notes: Vec<&'static str>,
}

impl StepReport {
    fn success() -> Self {
        Self {
            succeeded: true,
            revert: None,
            notes: Vec::new(),
        }
    }
}

/// The contracts in revm, the model, and the cast that acts on them.
pub struct Harness {
    evm: Evm,
    model: Model,
    proofs: Proofs,
    sequencers: Vec<PrivateKeySigner>,
    provers: Vec<PrivateKeySigner>,
    /// Addresses the proofs are made for when they cannot be made for anyone (the fixture's).
    payees: Vec<Address>,
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
        Self::with_params(Params::default(), proofs, sequencers, active, provers)
    }

    /// [`Harness::new`] with other parameters: with [`Params::committee`] set, the rollup is
    /// `CommitteeRollup` (its init code read from `out/`) with those committee parameters, and the
    /// committee mode's actions apply (the committee's views are compared after every step).
    pub fn with_params(
        mut params: Params,
        proofs: Proofs,
        sequencers: usize,
        active: usize,
        provers: usize,
    ) -> Result<Self> {
        let kind = match &proofs {
            Proofs::Commitment => VerifierKind::Commitment,
            Proofs::Fixture(chain) => {
                params.genesis_state_root = chain.genesis_state_root;
                VerifierKind::Groth16
            }
        };
        let artifacts = Artifacts::load(kind)?;
        let deployer = DEPLOYER;
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
        let chunk_verifier = evm.deploy(deployer, artifacts.chunk_verifier.clone())?;
        // Staking, escrow, pool and inbox point at the rollup deployed after them.
        let predicted_rollup = deployer.create(evm.nonce(deployer) + 4);
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
        let inbox = evm.deploy(
            deployer,
            init(
                &artifacts.inbox,
                FeeInbox::constructorCall {
                    token_: token,
                    rollup_: predicted_rollup,
                    pool_: pool,
                    inclusionDelay_: U256::from(params.inclusion_delay),
                },
            ),
        )?;
        let rollup_init = match &params.committee {
            None => init(
                &artifacts.rollup,
                Rollup::constructorCall {
                    staking_: staking,
                    escrow_: escrow,
                    pool_: pool,
                    verifier_: verifier,
                    chunkVerifier_: chunk_verifier,
                    config_: rollup_config(&params),
                    inbox_: inbox,
                },
            ),
            Some(committee) => init(
                &Artifacts::committee_rollup()?,
                CommitteeRollup::constructorCall {
                    staking_: staking,
                    escrow_: escrow,
                    pool_: pool,
                    verifier_: verifier,
                    chunkVerifier_: chunk_verifier,
                    config_: retype(&rollup_config(&params)),
                    inbox_: inbox,
                    committee_: committee_config(committee),
                },
            ),
        };
        let rollup = evm.deploy(deployer, rollup_init)?;
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
            inbox,
            rollup,
        };
        let model = Model::new(params, addresses, CHAIN_ID, now, genesis_randao);
        Snapshot::observe_constants(&mut evm, &model)?.diff(&Snapshot::expect_constants(&model))?;
        let mut harness = Self {
            evm,
            model,
            payees: proofs.fixed_payees(),
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
        let deposits = harness.proofs.fixture_deposits().to_vec();
        harness.deposit_from_deployer(&deposits)?;
        Ok(harness)
    }

    /// Makes `deposits` into the fee inbox, in order, from the deployer (the fixture chain's,
    /// made just before its blocks): minted, approved, then each one a checked step.
    fn deposit_from_deployer(&mut self, deposits: &[(Address, u128)]) -> Result<()> {
        if deposits.is_empty() {
            return Ok(());
        }
        let a = self.model.addresses;
        let total: u128 = deposits.iter().map(|(_, amount)| amount).sum();
        self.setup_call(
            DEPLOYER,
            a.token,
            DevnetToken::mintCall {
                to: DEPLOYER,
                amount: U256::from(total),
            },
        )?;
        self.model.token.mint(DEPLOYER, total);
        self.setup_call(
            DEPLOYER,
            a.token,
            DevnetToken::approveCall {
                spender: a.inbox,
                value: U256::MAX,
            },
        )?;
        for &(recipient, amount) in deposits {
            self.next_l1_block();
            let report =
                self.execute(DEPLOYER, &Call::DepositFees(recipient, U256::from(amount)))?;
            self.check_state()?;
            if !report.succeeded {
                return Err(Error::Deploy(format!(
                    "fixture deposit of {amount} for {recipient} reverted {}",
                    report.revert.unwrap_or_default()
                )));
            }
        }
        Ok(())
    }

    /// Mints the cast's funds and the pool's, and approves the staking, escrow and inbox
    /// contracts.
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
            for spender in [a.staking, a.escrow, a.inbox] {
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
        self.next_l1_block();
        let report = match *action {
            Action::Warp { seconds } => {
                self.model.now += u64::from(seconds);
                StepReport::success()
            }
            Action::NextSlot { offset } => {
                let next = self.model.current_slot() + 1;
                self.model.now = self.model.params.slot_start(next) + u64::from(offset);
                StepReport::success()
            }
            Action::WarpToDue { early } => {
                let m = &self.model;
                let cursor = m.rollup.block(m.rollup.pending_tip).inbox_cursor;
                if let Some(message) = m.inbox.messages.get(cursor as usize) {
                    let target = message.include_by - u64::from(early);
                    self.model.now = self.model.now.max(target);
                }
                StepReport::success()
            }
            _ => {
                let (sender, call) = self.call_for(action);
                let before = self.model.clone();
                let mut report = self.execute(sender, &call)?;
                if let Action::Prove {
                    proof: ProofChoice::OtherPayee,
                    ..
                }
                | Action::ProveSplit {
                    proof: SplitChoice::OtherPayee,
                    ..
                } = action
                {
                    let claimed = before.oldest_unproven_epoch().is_some_and(|epoch| {
                        before.rollup.claim(epoch).status == ClaimStatus::Claimed
                    });
                    let rejected = report
                        .revert
                        .as_deref()
                        .is_some_and(|r| r.starts_with("Rollup__InvalidProof"));
                    if claimed && rejected {
                        report
                            .notes
                            .push("copied proof of a claimed epoch rejected");
                    }
                }
                report
            }
        };
        self.check_state()?;
        Ok(report)
    }

    /// Moves to the next L1 block: a fresh `prevrandao`.
    fn next_l1_block(&mut self) {
        self.l1_block += 1;
        self.model.prevrandao = U256::from_be_bytes(keccak256(self.l1_block.to_be_bytes()).0);
    }

    /// Runs `call` from `sender` on the contracts and on the model, checks that the outcomes
    /// agree and the step invariants hold, and notes the paths it took.
    fn execute(&mut self, sender: Address, call: &Call) -> Result<StepReport> {
        self.evm
            .set_block(self.model.now, self.l1_block, self.model.prevrandao);
        let (to, data) = call.encode(&self.model.addresses);
        let contracts = self.evm.call(sender, to, data)?;
        let before = self.model.clone();
        let model = call.run(&mut self.model, sender, &self.proofs);
        let mut report = compare_outcomes(&contracts, &model)?;
        if report.succeeded {
            self.record_inputs(call);
        }
        let refused_on_time = model.as_ref().is_err_and(|revert| {
            Errors::Inbox__MessageNotIncluded::abi_decode(&revert.0)
                .is_ok_and(|e| e.includeBy == U256::from(before.now))
        });
        let submitter = (report.succeeded
            && matches!(
                call,
                Call::Prove(..) | Call::ProveSplit(..) | Call::ProveCommittee(..)
            ))
        .then_some(sender);
        let transition = match (call, submitter) {
            (_, Some(submitter)) => Transition::Proof(submitter),
            (Call::SlashInactive(staker, _), None) if report.succeeded => {
                Transition::InactivitySlash(*staker)
            }
            _ => Transition::Other,
        };
        invariants::check_step(&before, &self.model, transition)?;
        report.notes = notes(&before, &self.model, submitter);
        if report.succeeded {
            report
                .notes
                .extend(committee::notes(&before, &self.model, call));
        }
        if refused_on_time {
            report
                .notes
                .push("message refused at exactly its includeBy");
        }
        Ok(report)
    }

    /// Compares every observed value with the model's, then checks the invariants.
    fn check_state(&mut self) -> Result<()> {
        self.evm
            .set_block(self.model.now, self.l1_block, self.model.prevrandao);
        let accounts = self.observed_accounts();
        let observed = Snapshot::observe(&mut self.evm, &self.model, &accounts)?;
        let expected = Snapshot::expect(&self.model, &accounts);
        observed.diff(&expected)?;
        invariants::check(&self.model)?;
        Ok(())
    }

    /// The cast: sequencers, provers, then the fixed payees of the proofs (the actors' order).
    fn observed_accounts(&self) -> Vec<Address> {
        let mut accounts = self.sequencer_addresses();
        accounts.extend(self.prover_addresses());
        accounts.extend(self.payees.iter().copied());
        accounts
    }

    /// The index of `account` among the actors (sequencers, provers, then the fixture's payees),
    /// for actions that name an actor.
    pub fn actor_index(&self, account: Address) -> Option<u8> {
        self.observed_accounts()
            .iter()
            .position(|a| *a == account)
            .and_then(|i| u8::try_from(i).ok())
    }

    fn actor(&self, who: u8) -> Address {
        let accounts = self.observed_accounts();
        accounts[usize::from(who) % accounts.len()]
    }

    /// An actor other than `account` (whose proof a copier submits as its own).
    fn other_actor(&self, account: Address) -> Address {
        let next = self.actor_index(account).map_or(0, |i| i + 1);
        self.actor(next)
    }

    fn record_inputs(&mut self, call: &Call) {
        if let Call::Propose(args) | Call::Backup(args, _) | Call::ProposeSigned(args, _) = call {
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
            Action::Warp { .. } | Action::NextSlot { .. } | Action::WarpToDue { .. } => {
                unreachable!("warps make no call")
            }
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
                proof,
            } => {
                let sender = self.actor(who);
                let slot = m.current_slot().saturating_sub(u64::from(slots_back));
                let tip = self.tip_after_prune();
                let parent = m.rollup.block(tip).state_root;
                let args = self.block_args(block, data, tip + 1, slot, parent);
                let inputs = public_inputs(&args).unwrap_or_default();
                let proof = match proof {
                    BackupProof::Valid => self.proofs.proof_for(&inputs, sender),
                    BackupProof::Invalid => self.proofs.wrong_proof_for(&inputs, sender),
                    BackupProof::OtherPayee => {
                        self.proofs.proof_for(&inputs, self.other_actor(sender))
                    }
                };
                (sender, Call::Backup(args, proof))
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
            Action::Prove { who, rows, proof } => {
                let sender = self.actor(who);
                let (epoch, inputs, proofs) = self.epoch_proof(sender, rows, proof);
                (sender, Call::Prove(epoch, inputs, proofs))
            }
            Action::ProveSplit {
                who,
                rows,
                shape,
                proof,
            } => {
                let sender = self.actor(who);
                let (epoch, inputs, split, proofs) = self.split_proof(sender, rows, shape, proof);
                (sender, Call::ProveSplit(epoch, inputs, split, proofs))
            }
            Action::ProposeSigned {
                who,
                ranked,
                block,
                data,
                vote,
                signoffs,
                pick,
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
                let mut args = self.block_args(block, data, number, slot, parent);
                args.upgradePayload = match vote {
                    0 => Address::ZERO,
                    v => PAYLOADS[usize::from(v - 1) % PAYLOADS.len()],
                };
                let signoffs = self.signoffs(sender, &args, number, signoffs, pick);
                (sender, Call::ProposeSigned(args, signoffs))
            }
            Action::ProveCommittee {
                who,
                rows,
                shape,
                proof,
                pick,
            } => {
                let sender = self.actor(who);
                let (epoch, inputs, proof) = self.committee_proof(sender, rows, shape, proof, pick);
                (sender, Call::ProveCommittee(epoch, inputs, proof))
            }
            Action::SlashInactive {
                who,
                staker,
                report,
            } => {
                let (staker, blocks) = self.inactivity_report(staker, report);
                (self.actor(who), Call::SlashInactive(staker, blocks))
            }
            Action::CheckpointMemberCount { who } => (self.actor(who), Call::CheckpointMemberCount),
            Action::CheckpointRandomness { who } => (self.actor(who), Call::CheckpointRandomness),
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
                let account = self.actor(who);
                (account, Call::ClaimRewards(account))
            }
            Action::DepositFees {
                who,
                account,
                deposit,
                amount,
            } => {
                let funded = self.sequencers.len() + self.provers.len();
                let sender = self.actor(who % funded as u8);
                let mut recipient = L2_ACCOUNTS[usize::from(account) % L2_ACCOUNTS.len()];
                let valid = U256::from(DEPOSIT_UNIT * (1 + u128::from(amount)));
                let amount = match deposit {
                    DepositChoice::Valid => valid,
                    DepositChoice::Zero => U256::ZERO,
                    DepositChoice::Largest => U256::from(MAX_DEPOSIT),
                    DepositChoice::TooLarge => U256::from(MAX_DEPOSIT) + U256::from(1),
                    DepositChoice::ZeroRecipient => {
                        recipient = Address::ZERO;
                        valid
                    }
                };
                (sender, Call::DepositFees(recipient, amount))
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

    /// The inbox message words a proposal of block `number` carries, as `choice` says: every
    /// pending message from its parent's cursor, up to [`MESSAGES_PER_BLOCK`] (none for
    /// [`BlockChoice::SkippedMessage`], one altered or unknown for
    /// [`BlockChoice::ForgedMessage`]).
    fn block_messages(&self, choice: BlockChoice, seed: u16, number: u64) -> Vec<B256> {
        let inbox = &self.model.inbox;
        let cursor = self.model.rollup.block(number - 1).inbox_cursor;
        let mut words: Vec<B256> = inbox.messages[cursor.min(inbox.count()) as usize..]
            .iter()
            .take(MESSAGES_PER_BLOCK)
            .map(|m| m.word())
            .collect();
        match choice {
            BlockChoice::SkippedMessage => words.clear(),
            BlockChoice::ForgedMessage if words.is_empty() => {
                words.push(message_word(L2_ACCOUNTS[0], 1 + u128::from(seed)));
            }
            BlockChoice::ForgedMessage => {
                let i = usize::from(seed) % words.len();
                words[i].0[31] ^= 1;
            }
            _ => {}
        }
        words
    }

    /// The fees block `number` may declare when it consumes `messages` more inbox messages
    /// after its parent's: the deposits consumed by the chain up to it, less the fees of blocks
    /// 1 to `number - 1` (what a fee balance could pay on L2).
    fn fee_budget(&self, number: u64, messages: usize) -> u128 {
        let m = &self.model;
        let cursor = m.rollup.block(number - 1).inbox_cursor + messages as u64;
        let deposited = m.inbox.deposited_before(cursor.min(m.inbox.count()));
        let spent: u128 = (1..number)
            .filter_map(|n| self.inputs.get(&n))
            .map(|row| row[2] >> 128usize)
            .map(|fees| fees.saturating_to::<u128>())
            .sum();
        deposited.saturating_sub(spent)
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
        let messages = self.block_messages(choice, seed, number);
        let budget = self.fee_budget(number, messages.len());
        let mut args = match self.proofs.fixture_block(number, slot, parent) {
            Some(block) => {
                let mut args = block.args.clone();
                if matches!(
                    choice,
                    BlockChoice::SkippedMessage | BlockChoice::ForgedMessage
                ) {
                    let mut data = args.data.to_vec();
                    put_messages(&mut data, &messages);
                    args.data = data.into();
                }
                args
            }
            None => synthetic_block(seed, number, slot, parent, &messages, budget),
        };
        let header = &mut args.header;
        match choice {
            BlockChoice::Honest | BlockChoice::SkippedMessage | BlockChoice::ForgedMessage => {}
            BlockChoice::WrongSlot => header.slot += U256::from(1),
            BlockChoice::WrongNumber => header.blockNumber += U256::from(1),
            BlockChoice::WrongParent => {
                header.prevStateRoot = B256::from(U256::from_be_bytes(parent.0) ^ U256::from(1))
            }
            BlockChoice::RootNotInField => {
                header.newStateRoot = B256::from(crate::model::FIELD_MODULUS)
            }
            BlockChoice::FeesTooLarge => header.totalFees = U256::from(1) << 120,
            BlockChoice::UnbackedFees => {
                header.totalFees = U256::from(budget) + U256::from(1) + U256::from(seed)
            }
            BlockChoice::DataTooLarge => {
                args.data = vec![0x5a; self.model.params.max_data_bytes + 1].into();
            }
            BlockChoice::DataTrailingZeros => {
                let mut data = args.data.to_vec();
                data.resize(data.len() + 1 + usize::from(seed % 64), 0);
                args.data = data.into();
            }
            BlockChoice::DataTruncated => {
                let length = args.data.len();
                let cut = 1 + usize::from(seed) % length.max(1);
                args.data = args.data.slice(..length.saturating_sub(cut));
            }
            BlockChoice::DataWrongVersion => {
                let mut data = args.data.to_vec();
                data[0] = BLOCK_DATA_VERSION.wrapping_add(1 + (seed % 255) as u8);
                args.data = data.into();
            }
            BlockChoice::DataWordNotInField => {
                let (mut data, words) = with_a_tx(&args.data);
                let value = FIELD_MODULUS + U256::from(seed);
                put_word(&mut data, usize::from(seed) % words, value);
                args.data = data.into();
            }
            BlockChoice::DataFeeTooLarge => {
                let (mut data, words) = with_a_tx(&args.data);
                let fee_word = usize::from(seed) % (words / TX_WORDS) * TX_WORDS;
                put_word(
                    &mut data,
                    fee_word,
                    (U256::from(1) << 224) + U256::from(seed),
                );
                args.data = data.into();
            }
            BlockChoice::TooManyMessages => {
                let mut data = args.data.to_vec();
                data[MESSAGE_COUNT_OFFSET] = (MESSAGES_PER_BLOCK + 1) as u8
                    + (seed % (255 - MESSAGES_PER_BLOCK as u16)) as u8;
                args.data = data.into();
            }
            BlockChoice::NonZeroUnusedSlot => {
                let mut data = args.data.to_vec();
                let count = usize::from(data[MESSAGE_COUNT_OFFSET]).min(MESSAGES_PER_BLOCK);
                if count == MESSAGES_PER_BLOCK {
                    // The last consumed slot left in place past a count one lower.
                    data[MESSAGE_COUNT_OFFSET] = (count - 1) as u8;
                } else {
                    let slot = count + usize::from(seed) % (MESSAGES_PER_BLOCK - count);
                    let offset = MESSAGES_START + MESSAGE_BYTES * slot + usize::from(seed) % 32;
                    data[offset] = 1 + (seed % 255) as u8;
                }
                args.data = data.into();
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
            QuoteChoice::FeeTooHigh => {
                let max = u32::try_from(m.params.max_prover_fee_bps).expect("at most 10,000");
                fee += max + 1;
            }
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

    /// The epoch, inputs and proofs a submission by `sender` carries: the oldest unproven
    /// epoch's first `rows` unproven blocks (all for 0), altered as `choice` says.
    fn epoch_proof(
        &self,
        sender: Address,
        rows: u8,
        choice: ProofChoice,
    ) -> (u64, Vec<U256>, Bytes) {
        let m = &self.model;
        let epoch = m
            .oldest_unproven_epoch()
            .unwrap_or_else(|| m.current_epoch().saturating_sub(1));
        let log = m.rollup.epoch_log(epoch);
        let first = m.rollup.proven_tip + 1;
        let end = (log.first_block + u64::from(log.block_count)).max(first);
        let end = match rows {
            0 => end,
            rows => end.min(first + u64::from(rows)),
        };
        let end = if choice == ProofChoice::ExtraRow {
            end + 1
        } else {
            end
        };
        let mut rows: Vec<[U256; K]> = (first..end)
            .filter_map(|n| self.inputs.get(&n).copied())
            .collect();
        let claim = m.rollup.claim(epoch);
        let payee = match claim.status {
            ClaimStatus::Claimed => claim.prover,
            _ => sender,
        };
        let mut epoch_claimed = epoch;
        let mut proof_payee = payee;
        let mut wrong_proof = false;
        match choice {
            ProofChoice::Valid | ProofChoice::ExtraRow | ProofChoice::RaggedRow => {}
            ProofChoice::WrongEpoch => epoch_claimed = epoch + 1,
            ProofChoice::TamperedInputs => {
                if let Some(row) = rows.first_mut() {
                    row[5] = (row[5] + U256::from(1)) % FIELD_MODULUS;
                }
            }
            ProofChoice::NoRows => rows.clear(),
            ProofChoice::InvalidProof => wrong_proof = true,
            ProofChoice::OtherPayee => proof_payee = self.other_actor(payee),
        }
        let mut proofs = Vec::with_capacity(rows.len() * 256);
        for row in &rows {
            let proof = if wrong_proof {
                self.proofs.wrong_proof_for(row, proof_payee)
            } else {
                self.proofs.proof_for(row, proof_payee)
            };
            proofs.extend_from_slice(&proof);
        }
        let mut inputs = rows.concat();
        if choice == ProofChoice::RaggedRow {
            inputs.pop();
        }
        (epoch_claimed, inputs, proofs.into())
    }
}

impl Harness {
    /// The epoch, inputs, split and proofs a split submission by `sender` carries: the rows of
    /// [`Harness::epoch_proof`], block `i` in `(shape >> 2 (i mod 4)) & 3` chunks (0: whole),
    /// altered as `choice` says.
    fn split_proof(
        &self,
        sender: Address,
        rows: u8,
        shape: u8,
        choice: SplitChoice,
    ) -> (u64, Vec<U256>, EpochSplit, Bytes) {
        let (epoch, inputs, _) = self.epoch_proof(sender, rows, ProofChoice::Valid);
        let claim = self.model.rollup.claim(epoch);
        let payee = match (claim.status, choice) {
            (_, SplitChoice::OtherPayee) => self.other_actor(sender),
            (ClaimStatus::Claimed, _) => claim.prover,
            _ => sender,
        };
        let mut split = EpochSplit::default();
        for (i, block) in inputs.chunks(K).enumerate() {
            let count = u64::from(shape >> (2 * (i % 4)) & 3);
            split.chunk_counts.push(U256::from(count));
            for j in 0..count.saturating_sub(1) {
                let root = self.proofs.intermediate_root(block, j);
                split.intermediate_roots.push(root);
            }
        }
        let (whole, chunks) = split_rows(&inputs, &split, payee);
        let mut proofs = Vec::new();
        for row in &whole {
            proofs.extend_from_slice(&self.proofs.proof_for(&row[..K], payee));
        }
        for row in &chunks {
            let proof = match choice {
                SplitChoice::WholeForChunk => self.proofs.proof_for(&row[..K], payee),
                _ => self.proofs.chunk_proof_for(row),
            };
            proofs.extend_from_slice(&proof);
        }
        match choice {
            SplitChoice::ForgedRoot => {
                if let Some(root) = split.intermediate_roots.first_mut() {
                    *root = (*root + U256::from(1)) % FIELD_MODULUS;
                }
            }
            SplitChoice::MissingRoot => {
                if split.intermediate_roots.pop().is_none() {
                    split.intermediate_roots.push(U256::from(1));
                }
            }
            SplitChoice::TooManyChunks => {
                if let Some(count) = split.chunk_counts.first_mut() {
                    *count = U256::from(MAX_CHUNKS_PER_BLOCK + 1);
                }
            }
            SplitChoice::MissingProof => {
                proofs.truncate(proofs.len().saturating_sub(256));
            }
            SplitChoice::Valid | SplitChoice::WholeForChunk | SplitChoice::OtherPayee => {}
        }
        (epoch, inputs, split, proofs.into())
    }
}

/// `data` with at least one transaction (one of zero words appended to a block without any), and
/// its number of transaction words.
fn with_a_tx(data: &[u8]) -> (Vec<u8>, usize) {
    let mut data = data.to_vec();
    if data.len() == BLOCK_DATA_HEADER_BYTES {
        data[1..5].copy_from_slice(&1u32.to_be_bytes());
        data.resize(BLOCK_DATA_HEADER_BYTES + TX_EFFECT_BYTES, 0);
    }
    let words = (data.len() - BLOCK_DATA_HEADER_BYTES) / 32;
    (data, words)
}

/// Writes `value` as transaction word `index` of block data.
fn put_word(data: &mut [u8], index: usize, value: U256) {
    let offset = BLOCK_DATA_HEADER_BYTES + 32 * index;
    data[offset..offset + 32].copy_from_slice(&value.to_be_bytes::<32>());
}

/// Writes `words` as the consumed messages of block data (count and slots, the rest zero).
fn put_messages(data: &mut [u8], words: &[B256]) {
    data[MESSAGE_COUNT_OFFSET] = words.len() as u8;
    for slot in 0..MESSAGES_PER_BLOCK {
        let offset = MESSAGES_START + MESSAGE_BYTES * slot;
        let word = words.get(slot).copied().unwrap_or_default();
        data[offset..offset + MESSAGE_BYTES].copy_from_slice(word.as_slice());
    }
}

/// A block with deterministic pseudo-random data in the canonical v2 encoding: `messages`,
/// then zero to four transactions whose fees add up to at most `fee_budget` (not a real state
/// transition: the commitment verifier proves any inputs).
fn synthetic_block(
    seed: u16,
    number: u64,
    slot: u64,
    parent: B256,
    messages: &[B256],
    fee_budget: u128,
) -> ProposeArgs {
    let txs = usize::from(seed % 5);
    let mut chunk = keccak256(seed.to_be_bytes());
    let mut data = vec![0; BLOCK_DATA_HEADER_BYTES];
    data[0] = BLOCK_DATA_VERSION;
    data[1..5].copy_from_slice(&(txs as u32).to_be_bytes());
    data[5..MESSAGE_COUNT_OFFSET].copy_from_slice(&chunk[..20]);
    put_messages(&mut data, messages);
    data.reserve(txs * TX_EFFECT_BYTES);
    let mut total_fees = 0u128;
    for word in 0..txs * TX_WORDS {
        chunk = keccak256(chunk);
        let value = if word % TX_WORDS == 0 {
            // 4 zero bytes | payer (20 bytes) | fee (8 bytes), the fee within the budget left.
            let drawn = u128::from(u32::from_be_bytes(chunk[..4].try_into().expect("4 bytes")));
            let fee = drawn.min(fee_budget - total_fees);
            total_fees += fee;
            let payer = U256::from_be_slice(&chunk[4..24]);
            (payer << 64usize) | U256::from(fee)
        } else {
            U256::from_be_bytes(chunk.0) % FIELD_MODULUS
        };
        data.extend_from_slice(&value.to_be_bytes::<32>());
    }
    let root = keccak256(("state", U256::from(number), U256::from(seed)).abi_encode());
    let mask = (U256::from(1) << 248) - U256::from(1);
    let data_hash =
        U256::from_be_bytes(keccak256(("h", U256::from(seed)).abi_encode()).0) % FIELD_MODULUS;
    ProposeArgs {
        header: BlockHeader {
            blockNumber: U256::from(number),
            slot: U256::from(slot),
            prevStateRoot: parent,
            newStateRoot: B256::from(U256::from_be_bytes(root.0) & mask),
            totalFees: U256::from(total_fees),
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

/// `value` as another binding's type of the same ABI (each `sol!` module has its own copy of the
/// interface structs).
fn retype<A: SolValue, B: SolValue + From<<B::SolType as alloy::sol_types::SolType>::RustType>>(
    value: &A,
) -> B {
    B::abi_decode(&value.abi_encode()).expect("the same ABI type")
}

fn committee_config(c: &CommitteeParams) -> committee_rollup::ICommitteeRollup::CommitteeConfig {
    committee_rollup::ICommitteeRollup::CommitteeConfig {
        committeeSize: U256::from(c.committee_size),
        signoffQuorum: U256::from(c.signoff_quorum),
        chunkTxs: U256::from(c.chunk_txs),
        sequencerBaseBps: U256::from(c.sequencer_base_bps),
        sequencerBonusBps: U256::from(c.sequencer_bonus_bps),
        takeoverSlots: U256::from(c.takeover_slots),
        inactivityLimit: U256::from(c.inactivity_limit),
        inactivityPenalty: U256::from(c.inactivity_penalty),
    }
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
        maxProverFeeBps: U256::from(p.max_prover_fee_bps),
        minimumProverBond: U256::from(p.minimum_prover_bond),
        unprovenBlockPenalty: U256::from(p.unproven_block_penalty),
        voteRoundSize: U256::from(p.vote_round_size),
        voteQuorum: U256::from(p.vote_quorum),
        genesisStateRoot: p.genesis_state_root,
    }
}

/// What the step did beyond its outcome, read from the model before and after it.
fn notes(before: &Model, after: &Model, submitter: Option<Address>) -> Vec<&'static str> {
    let mut notes = Vec::new();
    if submitter.is_some() {
        let epoch = before
            .oldest_unproven_epoch()
            .expect("a proof proved blocks");
        let log = before.rollup.epoch_log(epoch);
        if after.rollup.proven_tip < log.first_block + u64::from(log.block_count) - 1 {
            notes.push("partial proof");
        }
        if before.rollup.claim(epoch).status == ClaimStatus::Claimed {
            notes.push("claimed epoch proven");
        }
    }
    for (epoch, claim) in &after.rollup.claims {
        let old = before.rollup.claim(*epoch);
        match (old.status, claim.status) {
            (ClaimStatus::Claimed, ClaimStatus::Claimed) if old != *claim => {
                notes.push("claim replaced")
            }
            (ClaimStatus::Claimed, ClaimStatus::Cancelled) => notes.push("claim cancelled"),
            (ClaimStatus::Claimed, ClaimStatus::Slashed) => {
                let slashed = after.escrow.total_slashed - before.escrow.total_slashed;
                notes.push(match slashed < old.bond_amount {
                    true => "bond slashed pro rata",
                    false => "bond slashed in full",
                });
            }
            _ => {}
        }
    }
    if after.staking.total_slashed > before.staking.total_slashed {
        let first = before.rollup.proven_tip + 1;
        let epoch = before.params.epoch_of(before.rollup.block(first).slot);
        if first > before.rollup.epoch_log(epoch).first_block {
            notes.push("penalty after a partial proof");
        } else {
            notes.push("penalty");
        }
    }
    if after.pool.unpaid > before.pool.unpaid {
        notes.push("pool ran dry");
    }
    let tip = after.rollup.pending_tip;
    let block = after.rollup.block(tip);
    if tip > 0 && block != before.rollup.block(tip) {
        let parent = after.rollup.block(tip - 1).inbox_cursor;
        if block.inbox_cursor > parent {
            notes.push("deposit consumed");
        }
        let free_slot = block.inbox_cursor - parent < MESSAGES_PER_BLOCK as u64;
        if let Some(next) = after.inbox.messages.get(block.inbox_cursor as usize) {
            if free_slot && after.now + 1 == next.include_by {
                notes.push("message left out a second before it was due");
            } else if free_slot {
                notes.push("message left out before it was due");
            }
        }
    }
    if after.inbox.released_cursor > before.inbox.released_cursor {
        notes.push("deposits released");
    }
    if after.pool.fees_credited > before.pool.fees_credited {
        notes.push("fees paid from deposits");
    }
    notes
}

fn compare_outcomes(contracts: &CallOutcome, model: &Outcome<Option<Bytes>>) -> Result<StepReport> {
    match (contracts, model) {
        (CallOutcome::Success { output, .. }, Ok(expected))
            if expected.as_ref().is_none_or(|expected| expected == output) =>
        {
            Ok(StepReport::success())
        }
        (CallOutcome::Revert { data }, Err(expected)) if *data == expected.0 => Ok(StepReport {
            succeeded: false,
            revert: Some(expected.to_string()),
            notes: Vec::new(),
        }),
        (contracts, model) => Err(Divergence::Outcome {
            contracts: match contracts {
                CallOutcome::Success { output, .. } => format!("succeeded, returned {output}"),
                CallOutcome::Revert { data } => format!("reverted {}", Revert(data.clone())),
                CallOutcome::Halt { reason } => format!("halted ({reason})"),
            },
            model: match model {
                Ok(None) => "succeeds".into(),
                Ok(Some(output)) => format!("succeeds, returns {output}"),
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
    ProveSplit(u64, Vec<U256>, EpochSplit, Bytes),
    ProposeSigned(ProposeArgs, Vec<Bytes>),
    ProveCommittee(u64, Vec<U256>, CommitteeProof),
    SlashInactive(Address, Vec<U256>),
    CheckpointMemberCount,
    Prune,
    CheckpointRandomness,
    Deposit(Address, u128),
    RequestWithdrawal(u128),
    FinalizeWithdrawal(Address),
    ClaimRewards(Address),
    DepositFees(Address, U256),
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
            Self::ProveSplit(epoch, inputs, split, proofs) => (
                a.rollup,
                IRollup::submitSplitEpochProofCall {
                    epoch: U256::from(*epoch),
                    publicInputs: inputs.clone(),
                    split: IRollup::EpochSplit {
                        chunkCounts: split.chunk_counts.clone(),
                        intermediateRoots: split.intermediate_roots.clone(),
                    },
                    proofs: proofs.clone(),
                }
                .abi_encode(),
            ),
            Self::ProposeSigned(args, signoffs) => (
                a.rollup,
                ICommitteeRollup::proposeWithSignoffsCall {
                    args: retype(args),
                    signoffs: signoffs.clone(),
                }
                .abi_encode(),
            ),
            Self::ProveCommittee(epoch, inputs, proof) => (
                a.rollup,
                ICommitteeRollup::submitCommitteeEpochProofCall {
                    epoch: U256::from(*epoch),
                    publicInputs: inputs.clone(),
                    proof: fernet_bindings::i_committee_rollup::ICommitteeRollup::CommitteeProof {
                        split: fernet_bindings::i_committee_rollup::IRollup::EpochSplit {
                            chunkCounts: proof.split.chunk_counts.clone(),
                            intermediateRoots: proof.split.intermediate_roots.clone(),
                        },
                        signers: proof.signers.clone(),
                        signerCounts: proof.signer_counts.clone(),
                        provers: proof.provers.clone(),
                        proofs: proof.proofs.clone(),
                    },
                }
                .abi_encode(),
            ),
            Self::SlashInactive(staker, blocks) => (
                a.rollup,
                ICommitteeRollup::slashInactiveCall {
                    staker: *staker,
                    blockNumbers: blocks.clone(),
                }
                .abi_encode(),
            ),
            Self::CheckpointMemberCount => (
                a.staking,
                Staking::checkpointMemberCountCall {}.abi_encode(),
            ),
            Self::Prune => (a.rollup, IRollup::pruneCall {}.abi_encode()),
            Self::CheckpointRandomness => {
                (a.rollup, IRollup::checkpointRandomnessCall {}.abi_encode())
            }
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
            Self::DepositFees(recipient, amount) => (
                a.inbox,
                FeeInbox::depositCall {
                    recipient: *recipient,
                    amount: *amount,
                }
                .abi_encode(),
            ),
        };
        (to, data.into())
    }

    /// Runs the call on the model: the return data it must produce when it has any.
    fn run(&self, m: &mut Model, sender: Address, proofs: &Proofs) -> Outcome<Option<Bytes>> {
        let done = match self {
            Self::Register(amount) => m.register(sender, *amount),
            Self::Exit => m.exit(sender),
            Self::Withdraw(recipient) => m.withdraw(sender, *recipient),
            Self::Propose(args) => m.propose(sender, args),
            Self::Backup(args, proof) => m.propose_with_proof(sender, args, proof, proofs),
            Self::Claim(signed) => m.claim_epoch_proof_right(sender, signed),
            Self::Prove(epoch, inputs, bytes) => {
                m.submit_epoch_proof(sender, *epoch, inputs, bytes, proofs)
            }
            Self::ProveSplit(epoch, inputs, split, bytes) => {
                m.submit_split_epoch_proof(sender, *epoch, inputs, split, bytes, proofs)
            }
            Self::ProposeSigned(args, signoffs) => m.propose_with_signoffs(sender, args, signoffs),
            Self::ProveCommittee(epoch, inputs, proof) => {
                m.submit_committee_epoch_proof(sender, *epoch, inputs, proof, proofs)
            }
            Self::SlashInactive(staker, blocks) => m.slash_inactive(*staker, blocks),
            Self::CheckpointMemberCount => {
                let members = m.checkpoint_member_count()?;
                return Ok(Some(U256::from(members).abi_encode().into()));
            }
            Self::Prune => m.prune(),
            Self::CheckpointRandomness => {
                let written = m.checkpoint_randomness()?;
                return Ok(Some(written.abi_encode().into()));
            }
            Self::Deposit(prover, amount) => m.deposit(sender, *prover, *amount),
            Self::RequestWithdrawal(amount) => m.request_withdrawal(sender, *amount),
            Self::FinalizeWithdrawal(recipient) => m.finalize_withdrawal(sender, *recipient),
            Self::ClaimRewards(recipient) => m.claim_rewards(sender, *recipient),
            Self::DepositFees(recipient, amount) => {
                let index = m.deposit_fees(sender, *recipient, *amount)?;
                return Ok(Some(U256::from(index).abi_encode().into()));
            }
        };
        done.map(|()| None)
    }
}
