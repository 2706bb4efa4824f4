//! The harness itself: it deploys, agrees with the model on a plain schedule, and notices when
//! the model and the contracts part (so a passing schedule means something).

use alloy::primitives::Address;
use fernet_model::{action::BlockChoice, invariants, Action, Divergence, Error, Harness, Proofs};

fn harness() -> Harness {
    Harness::new(Proofs::Commitment, 4, 3, 2).expect("the suite deploys in revm")
}

#[test]
fn a_top_ranked_proposal_is_accepted_and_matches_the_model() {
    let mut harness = harness();
    let mut accepted = 0;
    for who in 0..3 {
        let report = harness
            .step(&Action::Propose {
                who,
                ranked: false,
                block: BlockChoice::Honest,
                data: 7,
                vote: 1,
            })
            .expect("contracts and model agree");
        accepted += usize::from(report.succeeded);
    }
    // The first proposal lands; each later one lands only if it outscores the tip.
    assert!(accepted >= 1);
    assert_eq!(harness.model().rollup.pending_tip, 1);
}

#[test]
fn a_corrupted_model_is_reported_as_a_state_divergence() {
    let mut harness = harness();
    harness.model_mut().escrow.total_slashed += 1;
    let error = harness
        .step(&Action::Warp { seconds: 1 })
        .expect_err("the slashed totals differ");
    match error {
        Error::Divergence(Divergence::State { path, .. }) => {
            assert_eq!(path, "escrow.totalSlashed")
        }
        other => panic!("expected a state divergence, got {other}"),
    }
}

#[test]
fn a_wrong_revert_prediction_is_reported_as_an_outcome_divergence() {
    let mut harness = harness();
    // The model believes sequencer 3 registered, the contracts do not: `exit` succeeds in the
    // model and reverts `Staking__NotRegistered` on L1.
    let sequencer = harness.sequencer_addresses()[3];
    harness.model_mut().staking.stakers.insert(
        sequencer,
        fernet_model::model::Staker {
            activation_epoch: 9,
            exit_epoch: u32::MAX,
            ..Default::default()
        },
    );
    let error = harness
        .step(&Action::Exit { who: 3 })
        .expect_err("outcomes differ");
    assert!(
        matches!(error, Error::Divergence(Divergence::Outcome { .. })),
        "expected an outcome divergence, got {error}"
    );
}

/// A harness with block 1 proposed by the top-ranked sequencer; returns its proposer.
fn harness_with_a_block() -> (Harness, Address) {
    let mut harness = harness();
    let report = harness
        .step(&Action::Propose {
            who: 0,
            ranked: true,
            block: BlockChoice::Honest,
            data: 7,
            vote: 0,
        })
        .expect("contracts and model agree");
    assert!(report.succeeded, "the top-ranked proposal lands");
    let proposer = harness.model().rollup.block(1).proposer;
    (harness, proposer)
}

#[test]
fn a_proof_that_credits_a_third_party_breaks_the_payee_invariant() {
    let (harness, proposer) = harness_with_a_block();
    let [submitter, bystander] = harness.prover_addresses()[..] else {
        panic!("two provers")
    };
    let before = harness.model().clone();
    let mut after = before.clone();
    after.rollup.proven_tip = 1;
    // The submitter (open proving: the payee) and the proven block's proposer may be paid.
    after.pool.owed.insert(submitter, 3);
    after.pool.owed.insert(proposer, 7);
    invariants::check_transition(&before, &after, Some(submitter)).expect("payee and proposer");
    // Anyone else may not.
    after.pool.owed.insert(bystander, 1);
    let error = invariants::check_transition(&before, &after, Some(submitter))
        .expect_err("a bystander was paid by the proof");
    assert!(
        matches!(
            error,
            Divergence::Invariant {
                name: "a proof pays only its payee",
                ..
            }
        ),
        "got {error}"
    );
}

#[test]
fn a_penalty_on_anyone_but_the_first_unproven_blocks_proposer_breaks_the_invariant() {
    let (harness, proposer) = harness_with_a_block();
    let before = harness.model().clone();
    let slash = |staker: Address| {
        let mut after = before.clone();
        after.rollup.pending_tip = 0;
        after
            .staking
            .stakers
            .get_mut(&staker)
            .expect("a staker")
            .stake -= 1;
        invariants::check_transition(&before, &after, None)
    };
    slash(proposer).expect("block 1 was never proven: its proposer may be penalised");
    let other = harness
        .sequencer_addresses()
        .into_iter()
        .find(|s| *s != proposer && before.staking.info(*s).stake > 0)
        .expect("another staked sequencer");
    let error = slash(other).expect_err("the penalty fell on someone else");
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
