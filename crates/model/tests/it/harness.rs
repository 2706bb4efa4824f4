//! The harness itself: it deploys, agrees with the model on a plain schedule, and notices when
//! the model and the contracts part (so a passing schedule means something).

use fernet_model::{action::BlockChoice, Action, Divergence, Error, Harness, Proofs};

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
