//! The fixture chain through the real Groth16 verifier: the model's proof oracle accepts exactly
//! the fixture's proofs, and the contracts must agree (real pairings in revm's precompiles).

use std::sync::atomic::{AtomicUsize, Ordering};

use alloy::primitives::Address;

use fernet_model::{
    action::{self, describe, BackupProof, BlockChoice, ProofChoice, SplitChoice},
    workspace_root, Action, FixtureChain, Harness, Proofs,
};
use proptest::{
    prelude::*,
    test_runner::{Config, TestCaseError, TestRunner},
};

const SEQUENCERS: u8 = 4;
const PROVERS: u8 = 2;
const SLOT_SECONDS: u16 = 12;
/// The fixture's split (`split.chunkCounts` = [0, 2, 1, 2]) as a `ProveSplit` shape.
const FIXTURE_SPLIT_SHAPE: u8 = 2 << 2 | 1 << 4 | 2 << 6;

fn fixture_chain() -> FixtureChain {
    FixtureChain::load(&workspace_root().join("test/fixtures/epoch.json"))
        .expect("test/fixtures/epoch.json parses")
}

fn fixture_harness() -> Harness {
    let harness = Harness::new(
        Proofs::Fixture(fixture_chain()),
        SEQUENCERS.into(),
        SEQUENCERS.into(),
        PROVERS.into(),
    )
    .expect("the suite deploys with the Groth16 verifier");
    assert_eq!(
        harness.model().current_slot(),
        8,
        "the fixture's epoch starts at slot 8"
    );
    harness
}

fn step(harness: &mut Harness, action: Action) -> bool {
    harness
        .step(&action)
        .unwrap_or_else(|e| panic!("{action}: {e}"))
        .succeeded
}

/// Proposes the fixture's four epoch blocks, one per slot, each by whichever sequencer may.
fn propose_fixture_epoch(harness: &mut Harness) {
    for _ in 0..4 {
        let proposed = (0..SEQUENCERS).any(|who| {
            step(
                harness,
                Action::Propose {
                    who,
                    ranked: false,
                    block: BlockChoice::Honest,
                    data: 0,
                    vote: 0,
                },
            )
        });
        assert!(proposed, "some sequencer proposes the fixture block");
        step(
            harness,
            Action::Warp {
                seconds: SLOT_SECONDS,
            },
        );
    }
    assert_eq!(harness.model().rollup.pending_tip, 4);
}

#[test]
fn the_fixture_epoch_is_proven_with_real_proofs_and_its_backup_block_accepted() {
    let mut harness = fixture_harness();
    propose_fixture_epoch(&mut harness);
    // Slot 12 (epoch 3): a swapped proof is rejected by the pairing, and so is a real proof sent
    // by someone other than its payee (a copy); the payees' own submissions are accepted.
    let chain = fixture_chain();
    let payee_of = |harness: &Harness, block: usize| {
        harness
            .actor_index(chain.blocks[block].payee)
            .expect("the fixture's payees are actors")
    };
    let first_payee = payee_of(&harness, 0);
    assert!(!step(
        &mut harness,
        Action::Prove {
            who: first_payee,
            rows: 0,
            proof: ProofChoice::InvalidProof
        }
    ));
    let copier = (0..SEQUENCERS)
        .find(|who| *who != first_payee)
        .expect("a sequencer is not the payee");
    assert!(!step(
        &mut harness,
        Action::Prove {
            who: copier,
            rows: 1,
            proof: ProofChoice::Valid
        }
    ));
    // Each submission proves the run of blocks made for the same payee (partial proofs when the
    // fixture names several).
    while harness.model().rollup.proven_tip < 4 {
        let next = harness.model().rollup.proven_tip as usize;
        let payee = chain.blocks[next].payee;
        let run = chain.blocks[next..4]
            .iter()
            .take_while(|b| b.payee == payee)
            .count();
        let who = payee_of(&harness, next);
        assert!(step(
            &mut harness,
            Action::Prove {
                who,
                rows: run as u8,
                proof: ProofChoice::Valid
            }
        ));
    }
    assert_eq!(harness.model().rollup.proven_tip, 4);
    // Slot 13 after its proposal window: the fixture's backup block with its real proof.
    step(
        &mut harness,
        Action::Warp {
            seconds: SLOT_SECONDS + 7,
        },
    );
    let backup_payee = payee_of(&harness, 4);
    let backup = |who, proof| Action::ProposeBackup {
        who,
        slots_back: 0,
        block: BlockChoice::Honest,
        data: 0,
        proof,
    };
    assert!(!step(
        &mut harness,
        backup(backup_payee, BackupProof::Invalid)
    ));
    let copier = (0..SEQUENCERS)
        .find(|who| *who != backup_payee)
        .expect("a sequencer is not the payee");
    assert!(!step(&mut harness, backup(copier, BackupProof::Valid)));
    assert!(step(&mut harness, backup(backup_payee, BackupProof::Valid)));
    assert_eq!(harness.model().rollup.pending_tip, 5);
    assert!(harness.model().rollup.block(5).backup);
}

/// The fixture epoch proven in one split submission (block 1 whole, blocks 2-4 in chunks) with
/// the real chunk proofs, checked by the generated `ChunkProofVerifier` in revm; a forged
/// intermediate root and a copy by another sender are rejected first.
#[test]
fn the_fixture_epoch_is_proven_split_with_real_chunk_proofs() {
    let mut harness = fixture_harness();
    propose_fixture_epoch(&mut harness);
    // Slot 12: epoch 3, the fixture epoch has ended.
    let chain = fixture_chain();
    let payee = harness
        .actor_index(chain.blocks[0].payee)
        .expect("the fixture's payees are actors");
    assert!(
        chain.blocks[..4]
            .iter()
            .all(|b| b.payee == chain.blocks[0].payee),
        "one payee for the epoch"
    );
    let split = |who, proof| Action::ProveSplit {
        who,
        rows: 0,
        shape: FIXTURE_SPLIT_SHAPE,
        proof,
    };
    assert!(!step(&mut harness, split(payee, SplitChoice::ForgedRoot)));
    assert!(!step(
        &mut harness,
        split(payee, SplitChoice::WholeForChunk)
    ));
    let copier = (0..SEQUENCERS)
        .find(|who| *who != payee)
        .expect("a sequencer is not the payee");
    assert!(!step(&mut harness, split(copier, SplitChoice::Valid)));
    assert!(step(&mut harness, split(payee, SplitChoice::Valid)));
    assert_eq!(harness.model().rollup.proven_tip, 4);
}

/// The fixture epoch proposed by random sequencers (with replacements), then random actions;
/// half the submissions come from `payees` (the actors the fixture's proofs pay, the only ones
/// whose real proofs the verifier accepts).
fn fixture_schedule(payees: Vec<u8>) -> impl Strategy<Value = Vec<Action>> {
    let slot = (0..SEQUENCERS, 0..SEQUENCERS).prop_map(|(first, second)| {
        vec![
            Action::Propose {
                who: first,
                ranked: true,
                block: BlockChoice::Honest,
                data: 0,
                vote: 1,
            },
            Action::Propose {
                who: second,
                ranked: true,
                block: BlockChoice::Honest,
                data: 0,
                vote: 2,
            },
            Action::Warp {
                seconds: SLOT_SECONDS,
            },
        ]
    });
    let tail = (
        action::action(SEQUENCERS, PROVERS),
        any::<bool>(),
        any::<prop::sample::Index>(),
    )
        .prop_map(move |(action, by_payee, index)| match action {
            Action::Prove { rows, proof, .. } if by_payee => Action::Prove {
                who: *index.get(&payees),
                rows,
                proof,
            },
            Action::ProveSplit { rows, proof, .. } if by_payee => Action::ProveSplit {
                who: *index.get(&payees),
                rows,
                shape: FIXTURE_SPLIT_SHAPE,
                proof,
            },
            other => other,
        });
    (
        proptest::collection::vec(slot, 4..=4),
        proptest::collection::vec(tail, 30..=30),
    )
        .prop_map(|(slots, tail)| slots.into_iter().flatten().chain(tail).collect())
}

#[test]
fn random_schedules_on_the_fixture_chain_agree_with_the_real_verifier() {
    let cases = std::env::var("FERNET_MODEL_FIXTURE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let proven = AtomicUsize::new(0);
    let rejected = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let harness = fixture_harness();
    let payees: Vec<u8> = fixture_chain()
        .payees()
        .into_iter()
        .map(|payee| harness.actor_index(payee).expect("payees are actors"))
        .collect();
    runner
        .run(&fixture_schedule(payees), |schedule| {
            let mut harness = fixture_harness();
            for (i, action) in schedule.iter().enumerate() {
                let report = harness.step(action).map_err(|e| {
                    TestCaseError::fail(format!(
                        "step {i} ({action}): {e}\n{}",
                        describe(&schedule[..=i])
                    ))
                })?;
                if let Action::Prove { .. } = action {
                    if report.succeeded {
                        proven.fetch_add(1, Ordering::Relaxed);
                    } else if report
                        .revert
                        .as_deref()
                        .is_some_and(|r| r.starts_with("Rollup__InvalidProof"))
                    {
                        rejected.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
    let (proven, rejected) = (proven.into_inner(), rejected.into_inner());
    eprintln!("fixture schedules: {cases} cases, {proven} epochs proven for real, {rejected} proofs rejected");
    assert!(
        proven > 0,
        "some schedule proved the fixture epoch with its real proofs"
    );
}

/// The fixture JSON with its top-level `deposits` set to `deposits` (removed for `None`), loaded.
fn fixture_chain_with(deposits: Option<serde_json::Value>) -> FixtureChain {
    let path = workspace_root().join("test/fixtures/epoch.json");
    let text = std::fs::read_to_string(&path).expect("the fixture exists");
    let mut json: serde_json::Value = serde_json::from_str(&text).expect("the fixture is JSON");
    let object = json.as_object_mut().expect("the fixture is an object");
    match deposits {
        Some(deposits) => object.insert("deposits".into(), deposits),
        None => object.remove("deposits"),
    };
    let copy = std::env::temp_dir().join(format!(
        "fernet-model-fixture-{}-{}.json",
        std::process::id(),
        object.contains_key("deposits")
    ));
    std::fs::write(&copy, json.to_string()).expect("temp file written");
    let chain = FixtureChain::load(&copy);
    std::fs::remove_file(&copy).expect("temp file removed");
    chain.expect("the fixture parses")
}

#[test]
fn the_fixture_deposits_are_read_and_made_before_its_blocks() {
    assert!(
        fixture_chain_with(None).deposits.is_empty(),
        "no `deposits` key: no deposits"
    );
    // In inbox order, amounts as decimal strings or numbers.
    let recipients = [Address::repeat_byte(0xc1), Address::repeat_byte(0xc2)];
    let chain = fixture_chain_with(Some(serde_json::json!([
        { "recipient": recipients[0].to_string(), "amount": "1000" },
        { "recipient": recipients[1].to_string(), "amount": 5 },
    ])));
    let expected = vec![(recipients[0], 1000), (recipients[1], 5)];
    assert_eq!(chain.deposits, expected);
    // The harness makes them, in order, before any block (each checked against the contracts).
    let harness = Harness::new(
        Proofs::Fixture(chain),
        SEQUENCERS.into(),
        SEQUENCERS.into(),
        PROVERS.into(),
    )
    .expect("the suite deploys and deposits");
    let m = harness.model();
    let made: Vec<(Address, u128)> = m
        .inbox
        .messages
        .iter()
        .map(|message| (message.recipient, message.amount))
        .collect();
    assert_eq!(made, expected);
    assert_eq!(m.token.balance_of(m.addresses.inbox), 1005);
    assert_eq!(m.rollup.pending_tip, 0);
}
