//! The harness itself: it deploys, agrees with the model on a plain schedule, and notices when
//! the model and the contracts part (so a passing schedule means something).

use alloy::primitives::Address;
use fernet_model::{
    action::{BlockChoice, DepositChoice, ProofChoice},
    invariants, Action, Divergence, Error, Harness, Proofs, StepReport,
};

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

/// The sequencer-and-prover actor index of the first prover (4 sequencers in [`harness`]).
const FIRST_PROVER: u8 = 4;

fn step(harness: &mut Harness, action: Action) -> StepReport {
    harness
        .step(&action)
        .unwrap_or_else(|e| panic!("{action}: {e}"))
}

fn deposit(who: u8) -> Action {
    Action::DepositFees {
        who,
        account: 0,
        deposit: DepositChoice::Valid,
        amount: 7,
    }
}

fn propose(who: u8, block: BlockChoice, data: u16) -> Action {
    Action::Propose {
        who,
        ranked: true,
        block,
        data,
        vote: 0,
    }
}

/// A harness with one fee deposit and block 1 proposed as `block` (a transaction in its data),
/// warped to the next epoch where block 1 can be proven.
fn harness_with_a_fee_block(block: BlockChoice) -> Harness {
    let mut harness = harness();
    assert!(step(&mut harness, deposit(0)).succeeded);
    let report = step(&mut harness, propose(0, block, 1));
    assert!(report.succeeded, "the block lands");
    assert!(report.notes.contains(&"deposit consumed"), "{report:?}");
    for _ in 0..4 {
        step(&mut harness, Action::NextSlot { offset: 1 });
    }
    harness
}

#[test]
fn fees_backed_by_a_consumed_deposit_are_paid_from_it() {
    let mut harness = harness_with_a_fee_block(BlockChoice::Honest);
    let deposited = harness.model().inbox.total_deposited;
    let report = step(
        &mut harness,
        Action::Prove {
            who: FIRST_PROVER,
            rows: 0,
            proof: ProofChoice::Valid,
        },
    );
    assert!(report.succeeded, "{report:?}");
    assert!(
        report.notes.contains(&"fees paid from deposits"),
        "{report:?}"
    );
    let m = harness.model();
    assert_eq!(m.inbox.released_cursor, 1);
    assert_eq!(m.inbox.released_total, deposited);
    assert!(m.pool.fees_credited > 0 && m.pool.fees_credited <= deposited);
    assert_eq!(m.pool.fee_funds, deposited - m.pool.fees_credited);
}

/// Attack (issue 10, finding 4): a block declares fees that no consumed deposit backs (the
/// commitment double proves anything, as a circuit bug would); L1 must refuse to pay them
/// rather than draw them from the block rewards.
#[test]
fn attack_fees_no_deposit_backs_are_refused_by_the_pool() {
    let mut harness = harness_with_a_fee_block(BlockChoice::UnbackedFees);
    let report = step(
        &mut harness,
        Action::Prove {
            who: FIRST_PROVER,
            rows: 0,
            proof: ProofChoice::Valid,
        },
    );
    assert!(
        report
            .revert
            .as_deref()
            .is_some_and(|r| r.starts_with("RewardPool__FeesExceedDeposits")),
        "{report:?}"
    );
    let m = harness.model();
    assert_eq!((m.rollup.proven_tip, m.pool.fees_credited), (0, 0));
    assert_eq!(m.inbox.released_cursor, 0, "the release was rolled back");
}

#[test]
fn a_due_message_must_be_included_from_its_include_by_second_on() {
    let mut harness = harness();
    step(&mut harness, Action::Warp { seconds: 3 });
    assert!(step(&mut harness, deposit(1)).succeeded);
    let include_by = harness.model().inbox.messages[0].include_by;
    assert_eq!(
        include_by,
        harness.model().now + harness.model().params.inclusion_delay
    );
    // Two slots later, one second before the message is due (inside the proposal window): the
    // lowest-ranked sequencer leaves it out.
    step(&mut harness, Action::NextSlot { offset: 2 });
    step(&mut harness, Action::NextSlot { offset: 2 });
    assert_eq!(harness.model().now + 1, include_by);
    let early = step(&mut harness, propose(2, BlockChoice::SkippedMessage, 0));
    assert!(early.succeeded, "{early:?}");
    assert!(early
        .notes
        .contains(&"message left out a second before it was due"));
    // At includeBy the top-ranked sequencer may not replace it with a block that leaves the
    // message out, only with one that includes it.
    step(&mut harness, Action::Warp { seconds: 1 });
    let late = step(&mut harness, propose(0, BlockChoice::SkippedMessage, 0));
    assert!(
        late.revert
            .as_deref()
            .is_some_and(|r| r.starts_with("Inbox__MessageNotIncluded")),
        "{late:?}"
    );
    assert!(late
        .notes
        .contains(&"message refused at exactly its includeBy"));
    let honest = step(&mut harness, propose(0, BlockChoice::Honest, 0));
    assert!(honest.succeeded, "{honest:?}");
    assert_eq!(harness.model().rollup.block(1).inbox_cursor, 1);
}

/// A model after one deposit and nothing else, and the invariant its `corrupt`ion breaks.
fn broken_fee_invariant(corrupt: impl FnOnce(&mut fernet_model::Model)) -> &'static str {
    let mut harness = harness();
    assert!(step(&mut harness, deposit(0)).succeeded);
    let mut model = harness.model().clone();
    invariants::check(&model).expect("the fee invariants hold after a deposit");
    corrupt(&mut model);
    match invariants::check(&model) {
        Err(Divergence::Invariant { name, .. }) => name,
        other => panic!("expected a broken invariant, got {other:?}"),
    }
}

#[test]
fn fees_credited_beyond_the_released_deposits_break_the_invariant() {
    let name = broken_fee_invariant(|m| m.pool.fees_credited = m.inbox.released_total + 1);
    assert_eq!(name, "fees credited never exceed the deposits released");
}

#[test]
fn deposits_released_past_the_proven_chain_break_the_invariant() {
    let name = broken_fee_invariant(|m| {
        // The inbox hands a deposit no proven block consumed to the pool.
        let (inbox, pool) = (m.addresses.inbox, m.addresses.pool);
        let amount = m.inbox.messages[0].amount;
        m.token.transfer(inbox, pool, amount).expect("held");
        m.inbox.released_cursor = 1;
        m.inbox.released_total = amount;
    });
    assert_eq!(
        name,
        "the deposits released are those the proven chain consumed"
    );
}

#[test]
fn an_inbox_balance_apart_from_its_deposits_breaks_the_invariant() {
    let name = broken_fee_invariant(|m| {
        // A deposit leaks from the inbox to the pool without a release.
        let (inbox, pool) = (m.addresses.inbox, m.addresses.pool);
        m.token.transfer(inbox, pool, 1).expect("held");
    });
    assert_eq!(name, "the inbox holds the deposits not released");
}
