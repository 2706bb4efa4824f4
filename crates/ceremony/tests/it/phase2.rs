//! Phase 2 on the test circuit: a ceremony with contributions and the beacon verifies, the
//! beacon is deterministic, and the keys are exactly ark-groth16's generator's for the same
//! toxic waste.

use std::path::Path;

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::Field;
use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};
use ark_poly::GeneralEvaluationDomain;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
};
use fernet_ceremony::{
    ceremony_dir::CeremonyDir,
    circuit::{CeremonyCircuit, TestCircuit},
    export::proving_key,
    phase2::{contribute::apply, init, params::CeremonyFile},
    powers::Phase1Powers,
    transcript::{BeaconValue, Hash32, RecordKind},
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// The known toxic waste of the test powers: τ, α, β.
pub(crate) fn toxic_waste() -> (Fr, Fr, Fr) {
    (
        Fr::from(0x7a75u64),
        Fr::from(0xa1fau64),
        Fr::from(0xbe7au64),
    )
}

/// Powers of tau for `domain_log` from the known toxic waste. INSECURE, tests only.
pub(crate) fn test_powers(domain_log: u32) -> fernet_ceremony::Result<Phase1Powers> {
    let (tau, alpha, beta) = toxic_waste();
    Ok(Phase1Powers::from_known_secrets(
        domain_log, tau, alpha, beta,
    ))
}

/// A ceremony of the test circuit in `dir` with `contributions` contributions.
pub(crate) fn test_ceremony(dir: &Path, contributions: usize) -> CeremonyDir {
    let ceremony = CeremonyDir::new(dir);
    ceremony
        .create(&[CeremonyCircuit::Test], test_powers)
        .unwrap();
    for i in 0..contributions {
        let mut rng = ChaCha20Rng::seed_from_u64(i as u64);
        ceremony
            .contribute(&format!("participant {}", i + 1), &mut rng, None)
            .unwrap();
    }
    ceremony
}

/// A beacon value for the tests.
pub(crate) fn beacon_value(byte: u8) -> BeaconValue {
    BeaconValue {
        value: Hash32([byte; 32]),
        iterations_exp: 6,
    }
}

/// Copies the files of a ceremony directory.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn phase2_three_contributions_and_beacon_verify() {
    let dir = tempfile::tempdir().unwrap();
    let ceremony = test_ceremony(dir.path(), 3);
    let beacon = ceremony.beacon(beacon_value(0x42), None).unwrap();
    assert_eq!(beacon.index, 4);
    assert_eq!(beacon.kind, RecordKind::Beacon);

    let (transcript, finals) = ceremony.verify(Some(&mut test_powers)).unwrap();
    let indices: Vec<usize> = transcript.contributions.iter().map(|r| r.index).collect();
    assert_eq!(indices, [1, 2, 3, 4]);
    assert_eq!(transcript.transcript_hash, beacon.link);
    assert_eq!(finals.len(), 1);
    assert_eq!(finals[0].params.index, 4);
    // Each contribution moved δ: all four are distinct and none is the generator.
    let deltas: Vec<G1Affine> = transcript
        .contributions
        .iter()
        .map(|r| r.circuits[0].delta_after_g1.0)
        .collect();
    for (i, delta) in deltas.iter().enumerate() {
        assert_ne!(*delta, G1Affine::generator());
        assert!(!deltas[..i].contains(delta));
    }
}

#[test]
fn beacon_is_deterministic() {
    let base = tempfile::tempdir().unwrap();
    test_ceremony(base.path(), 1);
    let run = |byte: u8| {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(base.path(), dir.path());
        let ceremony = CeremonyDir::new(dir.path());
        let record = ceremony.beacon(beacon_value(byte), None).unwrap();
        ceremony.verify(None).unwrap();
        (record.link, record.circuits[0].params_after)
    };
    let first = run(0x42);
    assert_eq!(run(0x42), first);
    let other = run(0x43);
    assert_ne!(other.0, first.0);
    assert_ne!(other.1, first.1);
}

#[test]
fn exported_keys_equal_the_generator_with_the_same_toxic_waste() {
    let (tau, alpha, beta) = toxic_waste();
    let delta = Fr::from(0xde17au64);
    let matrices = CeremonyCircuit::Test.matrices().unwrap();
    let domain_log = init::domain_log(&matrices).unwrap();
    let initial = init::new("test", &matrices, &test_powers(domain_log).unwrap()).unwrap();
    let params = apply(&initial.params, delta, 1, None);
    assert_eq!(params.fixed_hash, initial.fixed.hash());
    let pk = proving_key(&initial.fixed, &params);

    // The generator's scalars (ark-groth16 generator.rs with t = τ, γ = 1).
    let cs = ConstraintSystem::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    TestCircuit::blank()
        .generate_constraints(cs.clone())
        .unwrap();
    cs.finalize();
    let num_instance = cs.num_instance_variables();
    let (a, b, c, zt, _, m_raw) = LibsnarkReduction::instance_map_with_evaluation::<
        Fr,
        GeneralEvaluationDomain<Fr>,
    >(cs, &tau)
    .unwrap();
    assert_eq!(m_raw, 1 << domain_log);
    let delta_inv = delta.inverse().unwrap();
    let g1 = |x: Fr| (G1Affine::generator() * x).into_affine();
    let g2 = |x: Fr| (G2Affine::generator() * x).into_affine();
    let abc: Vec<Fr> = (0..a.len())
        .map(|i| beta * a[i] + alpha * b[i] + c[i])
        .collect();

    assert_eq!(pk.vk.alpha_g1, g1(alpha));
    assert_eq!(pk.beta_g1, g1(beta));
    assert_eq!(pk.vk.beta_g2, g2(beta));
    assert_eq!(pk.vk.gamma_g2, G2Affine::generator());
    assert_eq!(pk.delta_g1, g1(delta));
    assert_eq!(pk.vk.delta_g2, g2(delta));
    assert_eq!(pk.a_query, a.iter().map(|x| g1(*x)).collect::<Vec<_>>());
    assert_eq!(pk.b_g1_query, b.iter().map(|x| g1(*x)).collect::<Vec<_>>());
    assert_eq!(pk.b_g2_query, b.iter().map(|x| g2(*x)).collect::<Vec<_>>());
    assert_eq!(
        pk.vk.gamma_abc_g1,
        abc[..num_instance]
            .iter()
            .map(|x| g1(*x))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        pk.l_query,
        abc[num_instance..]
            .iter()
            .map(|x| g1(*x * delta_inv))
            .collect::<Vec<_>>()
    );
    let h: Vec<G1Affine> = (0..m_raw as u64 - 1)
        .map(|i| g1(zt * delta_inv * tau.pow([i])))
        .collect();
    assert_eq!(pk.h_query, h);
}
