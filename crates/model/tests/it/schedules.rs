//! Random schedules over the commitment verifier: at least 100k steps per run (set
//! `FERNET_MODEL_CASES` and `FERNET_MODEL_STEPS` to go further), the contracts and the model
//! agreeing after every one.

use std::{collections::BTreeMap, sync::Mutex, time::Instant};

use fernet_model::{
    action::{describe, schedule, BackupProof, CommitteeProofChoice, ProofChoice, SplitChoice},
    Action, Harness, Params, Proofs, SMALL_POOL_FUNDING,
};
use proptest::{
    prelude::*,
    test_runner::{Config, TestCaseError, TestRunner},
};

const SEQUENCERS: u8 = 6;
const ACTIVE: usize = 4;
const PROVERS: u8 = 3;

pub(crate) fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Counts of what the schedules did: the run fails if some part of the protocol was never
/// reached (a strategy that stopped exploring would otherwise pass silently).
#[derive(Default)]
pub(crate) struct Coverage {
    pub(crate) steps: usize,
    pub(crate) outcomes: BTreeMap<String, usize>,
}

pub(crate) fn label(action: &Action) -> &'static str {
    match action {
        Action::ProposeBackup {
            proof: BackupProof::OtherPayee,
            ..
        } => "proposeWithProof(copied proof)",
        Action::Prove {
            proof: ProofChoice::OtherPayee,
            ..
        } => "submitEpochProof(copied proof)",
        Action::ProveSplit {
            proof: SplitChoice::OtherPayee,
            ..
        } => "submitSplitEpochProof(copied proof)",
        Action::ProveCommittee {
            proof: CommitteeProofChoice::CopiedProof,
            ..
        } => "submitCommitteeEpochProof(copied proof)",
        Action::ProveCommittee {
            proof: CommitteeProofChoice::PaddedChunks,
            ..
        } => "submitCommitteeEpochProof(padded chunks)",
        Action::Warp { .. } | Action::NextSlot { .. } | Action::WarpToDue { .. } => "warp",
        Action::ProposeSigned { .. } => "proposeWithSignoffs",
        Action::ProveCommittee { .. } => "submitCommitteeEpochProof",
        Action::SlashInactive { .. } => "slashInactive",
        Action::CheckpointMemberCount { .. } => "checkpointMemberCount",
        Action::Register { .. } => "register",
        Action::Exit { .. } => "exit",
        Action::Withdraw { .. } => "withdraw",
        Action::Propose { .. } => "propose",
        Action::ProposeBackup { .. } => "proposeWithProof",
        Action::Claim { .. } => "claimEpochProofRight",
        Action::Prove { .. } => "submitEpochProof",
        Action::ProveSplit { .. } => "submitSplitEpochProof",
        Action::Prune { .. } => "prune",
        Action::CheckpointRandomness { .. } => "checkpointRandomness",
        Action::Deposit { .. } => "deposit",
        Action::RequestWithdrawal { .. } => "requestWithdrawal",
        Action::FinalizeWithdrawal { .. } => "finalizeWithdrawal",
        Action::ClaimRewards { .. } => "claimRewards",
        Action::DepositFees { .. } => "inbox.deposit",
    }
}

fn run(
    small_pool: bool,
    schedule: &[Action],
    coverage: &Mutex<Coverage>,
) -> Result<(), TestCaseError> {
    let params = match small_pool {
        true => Params {
            pool_funding: SMALL_POOL_FUNDING,
            ..Params::default()
        },
        false => Params::default(),
    };
    let mut harness = Harness::with_params(
        params,
        Proofs::Commitment,
        SEQUENCERS.into(),
        ACTIVE,
        PROVERS.into(),
    )
    .map_err(|e| TestCaseError::fail(format!("setup: {e}")))?;
    let mut outcomes = Vec::with_capacity(schedule.len());
    for (i, action) in schedule.iter().enumerate() {
        let report = harness.step(action).map_err(|e| {
            TestCaseError::fail(format!(
                "step {i} ({action}): {e}\nschedule up to the failure (small pool: \
                 {small_pool}):\n{}",
                describe(&schedule[..=i])
            ))
        })?;
        let outcome = match report.revert {
            None => format!("{} ok", label(action)),
            Some(revert) => format!(
                "{} reverted {}",
                label(action),
                revert.split('(').next().unwrap_or("")
            ),
        };
        outcomes.push(outcome);
        outcomes.extend(report.notes.iter().map(|note| format!("({note})")));
    }
    let mut coverage = coverage.lock().expect("no test panics while holding it");
    coverage.steps += schedule.len();
    for outcome in outcomes {
        *coverage.outcomes.entry(outcome).or_default() += 1;
    }
    Ok(())
}

#[test]
fn random_schedules_keep_contracts_and_model_equal() {
    let cases = env_or("FERNET_MODEL_CASES", 400);
    let steps = env_or("FERNET_MODEL_STEPS", 250);
    let coverage = Mutex::new(Coverage::default());
    // Independent runners on every core, each with its own random seed and share of the cases.
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(cases.max(1));
    let started = Instant::now();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let share = cases / threads + usize::from(t < cases % threads);
                let coverage = &coverage;
                scope.spawn(move || {
                    let mut runner = TestRunner::new(Config {
                        cases: share as u32,
                        failure_persistence: None,
                        ..Config::default()
                    });
                    // Half the schedules fund the pool with little, so that it runs dry.
                    let strategy = (any::<bool>(), schedule(SEQUENCERS, PROVERS, steps..=steps));
                    runner.run(&strategy, |(small_pool, s)| run(small_pool, &s, coverage))
                })
            })
            .collect();
        for worker in workers {
            if let Err(failure) = worker.join().expect("a runner thread does not panic") {
                panic!("{failure}");
            }
        }
    });
    let elapsed = started.elapsed();
    let coverage = coverage.into_inner().expect("not poisoned");
    eprintln!(
        "model check: {} schedules on {threads} threads, {} steps in {:.1} s ({:.0} steps/s)",
        cases,
        coverage.steps,
        elapsed.as_secs_f64(),
        coverage.steps as f64 / elapsed.as_secs_f64()
    );
    for (outcome, count) in &coverage.outcomes {
        eprintln!("  {count:>7}  {outcome}");
    }
    assert!(
        coverage.steps >= cases * steps,
        "every schedule ran to its end"
    );
    for needed in [
        "propose ok",
        "proposeWithProof ok",
        "claimEpochProofRight ok",
        "submitEpochProof ok",
        "prune ok",
        "exit ok",
        "withdraw ok",
        "finalizeWithdrawal ok",
        "claimRewards ok",
        "checkpointRandomness ok",
        "propose reverted Rollup__ScoreTooLow",
        "propose reverted Rollup__DataLengthMismatch",
        "propose reverted Rollup__UnsupportedDataVersion",
        "propose reverted Rollup__NonCanonicalDataWord",
        "proposeWithProof(copied proof) reverted Rollup__InvalidProof",
        "claimEpochProofRight reverted Rollup__InvalidQuoteSignature",
        "claimEpochProofRight reverted Rollup__QuoteForOtherRollup",
        "claimEpochProofRight reverted Rollup__QuoteNotCheaper",
        "claimEpochProofRight reverted Rollup__InvalidBasisPointFee",
        "submitEpochProof reverted Rollup__InvalidProof",
        "submitEpochProof reverted Rollup__PublicInputsMismatch",
        "submitEpochProof reverted Rollup__ProofWindowClosed",
        "submitEpochProof reverted Rollup__InvalidPublicInputsLength",
        "submitEpochProof(copied proof) reverted Rollup__InvalidProof",
        "submitSplitEpochProof ok",
        "submitSplitEpochProof reverted Rollup__InvalidProof",
        "submitSplitEpochProof reverted Rollup__InvalidIntermediateRootsLength",
        "submitSplitEpochProof reverted Rollup__TooManyChunks",
        "submitSplitEpochProof reverted Rollup__InvalidProofsLength",
        "submitSplitEpochProof(copied proof) reverted Rollup__InvalidProof",
        "(partial proof)",
        "(claimed epoch proven)",
        "(claim replaced)",
        "(copied proof of a claimed epoch rejected)",
        "(claim cancelled)",
        "(bond slashed pro rata)",
        "(penalty after a partial proof)",
        "(pool ran dry)",
        "inbox.deposit ok",
        "inbox.deposit reverted Inbox__ZeroRecipient",
        "inbox.deposit reverted Amount__Zero",
        "inbox.deposit reverted Inbox__DepositTooLarge",
        "inbox.deposit reverted ERC20InsufficientBalance",
        "propose reverted Inbox__MessageNotIncluded",
        "propose reverted Inbox__MessageMismatch",
        "propose reverted Inbox__UnknownMessage",
        "propose reverted Rollup__TooManyMessages",
        "submitEpochProof reverted RewardPool__FeesExceedDeposits",
        "(deposit consumed)",
        "(message left out before it was due)",
        "(deposits released)",
        "(fees paid from deposits)",
    ] {
        assert!(
            coverage.outcomes.contains_key(needed),
            "no schedule reached `{needed}`: the strategies no longer explore it"
        );
    }
}
