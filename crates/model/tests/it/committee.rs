//! The committee mode (`CommitteeRollup`) against the model: random committee schedules over
//! the commitment verifier (set `FERNET_COMMITTEE_CASES` and `FERNET_COMMITTEE_STEPS` to go
//! further), and one committee epoch walked from its sign-offs to its proof to an inactivity
//! slash.

use std::{sync::Mutex, time::Instant};

use fernet_model::{
    action::{committee_schedule, describe, CommitteeProofChoice, MissReport, SignoffChoice},
    Action, CommitteeParams, Harness, Params, Proofs, StepReport,
};
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::schedules::{env_or, label, Coverage};

const SEQUENCERS: u8 = 6;
const ACTIVE: usize = 4;
const PROVERS: u8 = 3;

/// The committee parameters of a schedule: a committee of 3 (a share of the 4 to 6 members: some
/// members are outside a slot's committee), or of 6 (the whole set, the threshold the maximum).
fn params(whole_set: bool) -> Params {
    let committee = CommitteeParams {
        committee_size: if whole_set { 6 } else { 3 },
        ..CommitteeParams::default()
    };
    Params::committee_mode(committee)
}

fn harness(whole_set: bool) -> Harness {
    Harness::with_params(
        params(whole_set),
        Proofs::Commitment,
        SEQUENCERS.into(),
        ACTIVE,
        PROVERS.into(),
    )
    .expect("the committee suite deploys in revm")
}

fn run(
    whole_set: bool,
    schedule: &[Action],
    coverage: &Mutex<Coverage>,
) -> Result<(), TestCaseError> {
    let mut harness = Harness::with_params(
        params(whole_set),
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
                "step {i} ({action}): {e}\nschedule up to the failure (whole set: \
                 {whole_set}):\n{}",
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
fn random_committee_schedules_keep_contracts_and_model_equal() {
    let cases = env_or("FERNET_COMMITTEE_CASES", 48);
    let steps = env_or("FERNET_COMMITTEE_STEPS", 160);
    let coverage = Mutex::new(Coverage::default());
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
                    // A quarter of the schedules put the whole set in every committee.
                    let strategy = (
                        proptest::bool::weighted(0.25),
                        committee_schedule(SEQUENCERS, PROVERS, steps..=steps),
                    );
                    runner.run(&strategy, |(whole_set, s)| run(whole_set, &s, coverage))
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
        "committee model check: {} schedules on {threads} threads, {} steps in {:.1} s ({:.0} \
         steps/s)",
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
        "proposeWithSignoffs ok",
        "proposeWithSignoffs reverted Rollup__TooFewSignoffs",
        "proposeWithSignoffs reverted Rollup__SignoffsNotAscending",
        "proposeWithSignoffs reverted Rollup__NotInCommittee",
        "proposeWithSignoffs reverted Rollup__ProposerSignedOff",
        "proposeWithSignoffs reverted Rollup__InvalidSignoff",
        "proposeWithSignoffs reverted Rollup__ScoreTooLow",
        "proposeWithProof ok",
        "submitCommitteeEpochProof ok",
        "submitCommitteeEpochProof reverted Rollup__ChunkNotAssigned",
        "submitCommitteeEpochProof reverted Rollup__SignersMismatch",
        "submitCommitteeEpochProof reverted Rollup__WholeBlockInCommitteeMode",
        "submitCommitteeEpochProof reverted Rollup__InvalidSignerCountsLength",
        "submitCommitteeEpochProof reverted Rollup__InvalidSignersLength",
        "submitCommitteeEpochProof reverted Rollup__InvalidProversLength",
        "submitCommitteeEpochProof reverted Rollup__InvalidIntermediateRootsLength",
        "submitCommitteeEpochProof reverted Rollup__InvalidProofsLength",
        "submitCommitteeEpochProof reverted Rollup__PublicInputsMismatch",
        "submitCommitteeEpochProof reverted Rollup__InvalidEpochToProve",
        "submitCommitteeEpochProof reverted Rollup__ProofWindowClosed",
        "submitCommitteeEpochProof(copied proof) reverted Rollup__InvalidProof",
        "slashInactive ok",
        "slashInactive reverted Rollup__InvalidMissCount",
        "slashInactive reverted Rollup__InvalidMissedBlock",
        "slashInactive reverted Rollup__NotAMiss",
        "checkpointMemberCount ok",
        "checkpointRandomness ok",
        "prune ok",
        "register ok",
        "exit ok",
        "propose reverted Rollup__SignoffsRequired",
        "claimEpochProofRight reverted Rollup__QuoteModeOnly",
        "submitEpochProof reverted Rollup__QuoteModeOnly",
        "submitSplitEpochProof reverted Rollup__QuoteModeOnly",
        "(partial proof)",
        "(penalty)",
        "(set size recorded with the checkpoint)",
        "(block and its signers replaced)",
        "(the whole set is the committee)",
        "(more sign-offs than the quorum)",
        "(a signer's duty settled again)",
        "(a backup block's chunks paid the sender)",
        "(a block proven in several chunks)",
        "(a chunk proven by another signer after the takeover slot)",
        "(an inactivity slash forced an exit)",
        "(deposits released)",
        "(fees paid from deposits)",
    ] {
        assert!(
            coverage.outcomes.contains_key(needed),
            "no committee schedule reached `{needed}`: the strategies no longer explore it"
        );
    }
}

fn step(harness: &mut Harness, action: Action) -> StepReport {
    harness
        .step(&action)
        .unwrap_or_else(|e| panic!("{action}: {e}"))
}

/// One committee epoch: the top-ranked sequencer proposes in each slot with the sign-offs of a
/// quorum of its committee (leaving the others out), the epoch is proven in chunks by its
/// signers, and a member left out of `inactivityLimit` proven blocks is slashed.
#[test]
fn a_committee_epoch_from_signoff_to_proof_to_an_inactivity_slash() {
    let mut harness = harness(false);
    let limit = harness
        .model()
        .committee_params()
        .expect("committee")
        .inactivity_limit;
    let epoch = harness.model().current_epoch();
    // Sign-offs of exactly the quorum (`pick` 0 selects nobody; the quorum is topped up in
    // ascending score), one proposal per slot of the epoch.
    let mut proposed = 0;
    for slot in 0..harness.model().params.epoch_duration {
        if slot > 0 {
            step(&mut harness, Action::NextSlot { offset: 1 });
        }
        let report = step(
            &mut harness,
            Action::ProposeSigned {
                who: 0,
                ranked: true,
                block: fernet_model::action::BlockChoice::Honest,
                data: slot as u16,
                vote: 0,
                signoffs: SignoffChoice::Valid,
                pick: 0,
            },
        );
        assert!(report.succeeded, "slot {slot}: {report:?}");
        proposed += 1;
    }
    let m = harness.model();
    assert_eq!(m.rollup.pending_tip, proposed);
    let quorum = m.committee_params().expect("committee").signoff_quorum as usize;
    for n in 1..=proposed {
        let signers = &m.committee.signers[&n];
        assert_eq!(
            signers.len(),
            quorum,
            "block {n} carries a quorum of sign-offs"
        );
        let slot = m.rollup.block(n).slot;
        for signer in signers {
            assert!(m.is_committee_member(slot, *signer));
            assert!(m.settled_duty_slot(*signer) >= slot, "its duty is settled");
        }
        assert!(!m.signers_hash_of(n).is_zero(), "the signers are recorded");
    }
    // The proof window: a submission before the takeover slot that pays another signer than the
    // assigned one is refused, the assigned chunks in three chunks per block are accepted.
    step(&mut harness, Action::NextSlot { offset: 1 });
    assert_eq!(harness.model().current_epoch(), epoch + 1);
    let prover = SEQUENCERS; // the first prover, as an actor
    let early = step(
        &mut harness,
        Action::ProveCommittee {
            who: prover,
            rows: 0,
            shape: 0b1010_1010,
            proof: CommitteeProofChoice::Takeover,
            pick: 0,
        },
    );
    assert!(
        early
            .revert
            .as_deref()
            .is_some_and(|r| r.starts_with("Rollup__ChunkNotAssigned")),
        "{early:?}"
    );
    let owed_before: Vec<u128> = harness
        .sequencer_addresses()
        .iter()
        .map(|s| harness.model().pool.owed_to(*s))
        .collect();
    let proven = step(
        &mut harness,
        Action::ProveCommittee {
            who: prover,
            rows: 0,
            shape: 0b1010_1010,
            proof: CommitteeProofChoice::Valid,
            pick: 0,
        },
    );
    assert!(proven.succeeded, "{proven:?}");
    assert!(proven.notes.contains(&"a block proven in several chunks"));
    let m = harness.model();
    assert_eq!(m.rollup.proven_tip, proposed, "the whole epoch is proven");
    let submitter = harness.prover_addresses()[0];
    assert_eq!(
        m.pool.owed_to(submitter),
        m.params.proof_submission_reward,
        "the submitter earns the submission reward, no chunk"
    );
    let paid: u128 = harness
        .sequencer_addresses()
        .iter()
        .zip(&owed_before)
        .map(|(s, before)| m.pool.owed_to(*s) - before)
        .sum();
    assert_eq!(
        paid,
        u128::from(proposed) * m.params.block_reward,
        "proposers and signers share every block's reward"
    );
    // A member the proposals left out misses every block it was in the committee of.
    let (silent, misses) = harness
        .sequencer_addresses()
        .into_iter()
        .map(|s| (s, harness.misses(s)))
        .max_by_key(|(_, misses)| misses.len())
        .expect("sequencers");
    assert!(
        misses.len() as u64 >= limit,
        "a member missed {} blocks: {misses:?}",
        misses.len()
    );
    let who = harness
        .sequencer_addresses()
        .iter()
        .position(|s| *s == silent)
        .expect("a sequencer") as u8;
    let too_few = step(
        &mut harness,
        Action::SlashInactive {
            who: prover,
            staker: who,
            report: MissReport::TooFew,
        },
    );
    assert!(too_few
        .revert
        .as_deref()
        .is_some_and(|r| r.starts_with("Rollup__InvalidMissCount")));
    let stake = harness.model().staking.info(silent).stake;
    let slashed = step(
        &mut harness,
        Action::SlashInactive {
            who: prover,
            staker: who,
            report: MissReport::Valid,
        },
    );
    assert!(slashed.succeeded, "{slashed:?}");
    let m = harness.model();
    let penalty = m.committee_params().expect("committee").inactivity_penalty;
    assert_eq!(
        m.staking.info(silent).stake,
        stake - penalty,
        "slashed the penalty"
    );
    let last = misses[limit as usize - 1];
    assert_eq!(
        m.settled_duty_slot(silent),
        m.rollup.block(last).slot,
        "settled up to the last miss reported"
    );
    assert!(
        m.staking.info(silent).exiting,
        "a minimum stake less the penalty is below the minimum: a forced exit"
    );
    // The same misses never count twice.
    let again = step(
        &mut harness,
        Action::SlashInactive {
            who: prover,
            staker: who,
            report: MissReport::NotAMiss,
        },
    );
    assert!(!again.succeeded, "{again:?}");
}
