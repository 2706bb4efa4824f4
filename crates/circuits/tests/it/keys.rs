//! The insecure devnet setup, its cache and the key-file loader.

use fernet_circuits::keys::{
    insecure_devnet_setup, load_key_pair, write_key_pair, CircuitId, KeyCache,
    INSECURE_DEVNET_KEY_FILE,
};
use fernet_circuits::{Error, Groth16Bn254, ProofSystem};
use indicatif::{MultiProgress, ProgressDrawTarget};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::support::circuit::{prove, TestCircuit};

#[test]
fn devnet_setup_is_deterministic() {
    let a = insecure_devnet_setup::<Groth16Bn254, _>(TestCircuit::blank(2)).unwrap();
    let b = insecure_devnet_setup::<Groth16Bn254, _>(TestCircuit::blank(2)).unwrap();
    assert_eq!(a.verifying_key, b.verifying_key);
    assert_eq!(a.proving_key, b.proving_key);
}

#[test]
fn cache_runs_setup_once_then_loads() {
    let dir = tempfile::tempdir().unwrap();
    let cache = KeyCache::new(dir.path().join("keys"));
    let id = CircuitId::new("test-circuit", b"inputs=2").unwrap();
    let path = cache.key_file(&id);
    assert_eq!(
        path,
        cache
            .dir()
            .join(id.cache_key())
            .join(INSECURE_DEVNET_KEY_FILE)
    );
    assert!(!path.exists());

    // A progress handle that draws nowhere still exercises the spinner path.
    let progress = MultiProgress::with_draw_target(ProgressDrawTarget::hidden());
    let created = cache
        .load_or_insecure_devnet_setup::<Groth16Bn254, _>(
            &id,
            TestCircuit::blank(2),
            Some(&progress),
        )
        .unwrap();
    assert!(path.is_file());
    // The cache is the uncompressed format, read back without validation.
    let mut uncompressed = Vec::new();
    Groth16Bn254::write_uncompressed_key_pair(
        &created.proving_key,
        &created.verifying_key,
        &mut uncompressed,
    )
    .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), uncompressed);
    let modified = path.metadata().unwrap().modified().unwrap();

    let loaded = cache
        .load_or_insecure_devnet_setup::<Groth16Bn254, _>(&id, TestCircuit::blank(2), None)
        .unwrap();
    assert_eq!(
        path.metadata().unwrap().modified().unwrap(),
        modified,
        "cache hit must not rewrite"
    );
    assert_eq!(loaded.verifying_key, created.verifying_key);
    assert_eq!(loaded.proving_key, created.proving_key);

    let (proof, inputs) = prove(&loaded, &mut ChaCha20Rng::seed_from_u64(4));
    assert!(Groth16Bn254::verify(&created.verifying_key, &inputs, &proof).unwrap());

    // A cache entry in the older compressed format, under its old name, is not read: the
    // entry is set up again under the new name.
    let legacy_id = CircuitId::new("test-circuit", b"legacy").unwrap();
    let legacy = cache.dir().join(legacy_id.cache_key());
    write_key_pair(&legacy.join("insecure-devnet-keys.bin"), &created).unwrap();
    cache
        .load_or_insecure_devnet_setup::<Groth16Bn254, _>(&legacy_id, TestCircuit::blank(2), None)
        .unwrap();
    assert!(legacy.join(INSECURE_DEVNET_KEY_FILE).is_file());

    // Other parameters, other entry.
    let other = CircuitId::new("test-circuit", b"inputs=3").unwrap();
    assert_ne!(cache.key_file(&other), path);
}

#[test]
fn key_files_from_elsewhere_load_and_are_validated() {
    let dir = tempfile::tempdir().unwrap();
    let keys = insecure_devnet_setup::<Groth16Bn254, _>(TestCircuit::blank(1)).unwrap();
    let path = dir.path().join("ceremony/keys.bin");
    write_key_pair(&path, &keys).unwrap();
    let loaded = load_key_pair::<Groth16Bn254>(&path).unwrap();
    assert_eq!(loaded.verifying_key, keys.verifying_key);
    assert_eq!(loaded.proving_key, keys.proving_key);

    // The same bytes as the trait's writer: proving key, then verifying key, compressed.
    let mut expected = Vec::new();
    Groth16Bn254::write_key_pair(&keys.proving_key, &keys.verifying_key, &mut expected).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), expected);

    let truncated = dir.path().join("truncated.bin");
    std::fs::write(&truncated, &expected[..expected.len() - 1]).unwrap();
    assert!(matches!(
        load_key_pair::<Groth16Bn254>(&truncated),
        Err(Error::Serialization(_))
    ));

    let missing = dir.path().join("missing.bin");
    assert!(
        matches!(load_key_pair::<Groth16Bn254>(&missing), Err(Error::Io { path, .. }) if path == missing)
    );
}
