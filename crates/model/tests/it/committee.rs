//! The committee mode (`CommitteeRollup`) against the model: random committee schedules over
//! the commitment verifier (set `FERNET_COMMITTEE_CASES` and `FERNET_COMMITTEE_STEPS` to go
//! further), and one committee epoch walked from its sign-offs to its proof to an inactivity
//! slash.

use std::{sync::Mutex, time::Instant};

use fernet_model::{
    action::{committee_schedule, describe, CommitteeProofChoice, MissReport, SignoffChoice},
    invariants::{self, Transition},
    Action, CommitteeParams, Divergence, Error, Harness, Params, Proofs, StepReport,
};
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::schedules::{env_or, label, Coverage};

const SEQUENCERS: u8 = 6;
const ACTIVE: usize = 5;
const PROVERS: u8 = 3;

/// The committee parameters of a schedule: a committee of 4 (a share of the 5 or 6 members: some
/// members are outside a slot's committee), or of 6 (the whole set, the threshold the maximum).
fn params(whole_set: bool) -> Params {
    let committee = CommitteeParams {
        committee_size: if whole_set { 6 } else { 4 },
        ..CommitteeParams::default()
    };
    Params::committee_mode(committee)
}

/// What a schedule runs with: the whole set as every committee, and a small reward pool (so
/// that it runs dry in the middle of a proof's payments).
#[derive(Clone, Copy, Debug)]
struct Variant {
    whole_set: bool,
    small_pool: bool,
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
    variant: Variant,
    schedule: &[Action],
    coverage: &Mutex<Coverage>,
) -> Result<(), TestCaseError> {
    let mut params = params(variant.whole_set);
    if variant.small_pool {
        // Three blocks' rewards: a proof or two use it up.
        params.pool_funding = 3 * params.block_reward;
    }
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
                "step {i} ({action}): {e}\nschedule up to the failure ({variant:?}):\n{}",
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
    let cases = env_or("FERNET_COMMITTEE_CASES", 100);
    let steps = env_or("FERNET_COMMITTEE_STEPS", 200);
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
                    // A quarter of the schedules put the whole set in every committee, a quarter
                    // fund the pool with little.
                    let strategy = (
                        proptest::bool::weighted(0.25),
                        proptest::bool::weighted(0.25),
                        committee_schedule(SEQUENCERS, PROVERS, steps..=steps),
                    );
                    runner.run(&strategy, |(whole_set, small_pool, s)| {
                        let variant = Variant {
                            whole_set,
                            small_pool,
                        };
                        run(variant, &s, coverage)
                    })
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
        "submitCommitteeEpochProof(padded chunks) reverted Rollup__SignersMismatch",
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
        "(pool ran dry)",
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
/// quorum of its committee (the whole set of five: the proposer and the quorum of two leave two
/// members out of each block, sequencer 0 among them), the epoch is proven in chunks by its
/// signers, and a member left out of `inactivityLimit` proven blocks is slashed.
#[test]
fn a_committee_epoch_from_signoff_to_proof_to_an_inactivity_slash() {
    let mut harness = harness(true);
    let limit = harness
        .model()
        .committee_params()
        .expect("committee")
        .inactivity_limit;
    let epoch = harness.model().current_epoch();
    // Sign-offs of exactly the quorum, sequencer 0 silent (`pick` 0x80), one proposal per slot.
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
                pick: 0x80,
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

/// A committee harness with block 1 signed off by a quorum in the first slot whose committee
/// reaches it; returns its signers.
fn harness_with_a_signed_block() -> (Harness, Vec<alloy::primitives::Address>) {
    let mut harness = harness(true);
    let report = step(
        &mut harness,
        Action::ProposeSigned {
            who: 0,
            ranked: true,
            block: fernet_model::action::BlockChoice::Honest,
            data: 1,
            vote: 0,
            signoffs: SignoffChoice::Valid,
            pick: 0x80,
        },
    );
    assert!(report.succeeded, "{report:?}");
    let signers = harness.model().committee.signers[&1].clone();
    (harness, signers)
}

#[test]
fn a_corrupted_settled_slot_is_reported_as_a_state_divergence() {
    let (mut harness, signers) = harness_with_a_signed_block();
    harness.model_mut().committee.settled.insert(signers[0], 0);
    let error = harness
        .step(&Action::Warp { seconds: 1 })
        .expect_err("the settled slots differ");
    match error {
        Error::Divergence(Divergence::State { path, .. }) => {
            assert!(path.starts_with("rollup.settledDutySlot"), "{path}")
        }
        other => panic!("expected a state divergence, got {other}"),
    }
}

#[test]
fn a_signed_block_below_the_quorum_breaks_the_invariant() {
    let (harness, signers) = harness_with_a_signed_block();
    let mut model = harness.model().clone();
    invariants::check(&model).expect("the committee invariants hold");
    model.committee.signers.insert(1, signers[..1].to_vec());
    match invariants::check(&model) {
        Err(Divergence::Invariant { name, .. }) => assert_eq!(
            name,
            "a pending block that is not a backup block has a nonzero signers hash of a quorum"
        ),
        other => panic!("expected a broken invariant, got {other:?}"),
    }
}

#[test]
fn a_settled_slot_moving_back_or_a_slash_of_someone_else_breaks_the_step_invariants() {
    let (harness, signers) = harness_with_a_signed_block();
    let before = harness.model().clone();
    let mut after = before.clone();
    after.committee.settled.insert(signers[0], 0);
    let error = invariants::check_step(&before, &after, Transition::Other)
        .expect_err("a settled slot moved back");
    assert!(
        matches!(
            error,
            Divergence::Invariant {
                name: "settled duty slots never move back",
                ..
            }
        ),
        "got {error}"
    );
    let penalty = before
        .committee_params()
        .expect("committee")
        .inactivity_penalty;
    let mut after = before.clone();
    after
        .staking
        .stakers
        .get_mut(&signers[1])
        .expect("a staker")
        .stake -= penalty;
    invariants::check_step(&before, &after, Transition::InactivitySlash(signers[1]))
        .expect("the slashed staker loses the penalty");
    let error = invariants::check_step(&before, &after, Transition::InactivitySlash(signers[0]))
        .expect_err("the stake of another staker fell");
    assert!(
        matches!(
            error,
            Divergence::Invariant {
                name: "no stake penalty falls on a proposer whose block was proven",
                ..
            }
        ),
        "got {error}"
    );
}

#[test]
fn the_committee_entry_points_revert_without_data_on_the_quote_modes_rollup() {
    let mut harness = Harness::new(Proofs::Commitment, 4, 3, 2).expect("the quote suite deploys");
    for action in [
        Action::ProposeSigned {
            who: 0,
            ranked: true,
            block: fernet_model::action::BlockChoice::Honest,
            data: 1,
            vote: 0,
            signoffs: SignoffChoice::Everyone,
            pick: 0,
        },
        Action::ProveCommittee {
            who: 4,
            rows: 0,
            shape: 0,
            proof: CommitteeProofChoice::Valid,
            pick: 0,
        },
        Action::SlashInactive {
            who: 4,
            staker: 0,
            report: MissReport::Valid,
        },
    ] {
        let report = step(&mut harness, action);
        assert!(!report.succeeded, "{action}: {report:?}");
    }
    // Staking's member count is the same contract in both modes.
    assert!(step(&mut harness, Action::CheckpointMemberCount { who: 0 }).succeeded);
}
