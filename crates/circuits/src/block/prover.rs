//! Keys, proving and verification of the block circuit.

use std::path::{Path, PathBuf};

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Proof, VerifyingKey};
use fernet_state::{BlockWitness, StateConfig, NUM_PUBLIC_INPUTS};
use indicatif::MultiProgress;
use rand::{CryptoRng, RngCore};

use super::BlockCircuit;
use crate::{
    keys::{CircuitId, KeyCache, KeyPair},
    Groth16Bn254, ProofSystem, Result,
};

/// Name of the block circuit in key caches.
pub const BLOCK_CIRCUIT_NAME: &str = "block";

/// Version of the block circuit's constraints: bump it whenever they change, so cached keys of
/// an older circuit are never used.
pub const BLOCK_CIRCUIT_VERSION: u32 = 5;

/// Environment variable that overrides the default key cache directory.
pub const KEY_CACHE_ENV: &str = "FERNET_KEY_CACHE";

/// Identifies the block circuit of `config` proving `txs` tx slots per proof
/// (`max_txs_per_block`: the whole block, fewer: a chunk) with [`BLOCK_CIRCUIT_VERSION`] in a
/// key cache.
pub fn circuit_id(config: &StateConfig, txs: usize) -> Result<CircuitId> {
    let params = format!(
        "v{BLOCK_CIRCUIT_VERSION}/notes={}/nullifiers={}/public={}/txs={}/chunks={}/part={txs}",
        config.note_tree_depth,
        config.nullifier_tree_depth,
        config.public_data_tree_depth,
        config.max_txs_per_block,
        config.max_data_chunks
    );
    CircuitId::new(BLOCK_CIRCUIT_NAME, params)
}

/// The key cache directory: `$FERNET_KEY_CACHE`, else `target/fernet-keys` under the
/// workspace this crate was built in.
pub fn default_key_cache_dir() -> PathBuf {
    std::env::var_os(KEY_CACHE_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fernet-keys"))
}

/// The **INSECURE** deterministic devnet keys of the block circuit of `config` for `txs` tx
/// slots per proof, loaded from `cache` or set up and stored there (see [`crate::keys`]).
pub fn devnet_keys(
    cache: &KeyCache,
    config: StateConfig,
    txs: usize,
    progress: Option<&MultiProgress>,
) -> Result<KeyPair<Groth16Bn254>> {
    let id = circuit_id(&config, txs)?;
    cache.load_or_insecure_devnet_setup::<Groth16Bn254, _>(
        &id,
        BlockCircuit::blank(config, txs)?,
        progress,
    )
}

/// Proves the block, or the chunk of a block, of `witness` with the keys of its shape;
/// returns the proof and its public inputs.
///
/// Only the witness is synthesized: the constraint matrices are the ones cached in `keys`
/// (built from the blank circuit of the witness's shape if `keys` has none yet). A witness
/// the circuit does not accept is [`crate::Error::Unsatisfied`].
pub fn prove_block<R: RngCore + CryptoRng>(
    keys: &KeyPair<Groth16Bn254>,
    witness: BlockWitness,
    rng: &mut R,
) -> Result<(Proof<Bn254>, [Fr; NUM_PUBLIC_INPUTS])> {
    let (config, txs) = (witness.config, witness.part.txs);
    let circuit = BlockCircuit::new(witness)?;
    let inputs = circuit.public_inputs();
    let proof = keys.prove(circuit, || BlockCircuit::blank(config, txs), rng)?;
    Ok((proof, inputs))
}

/// Verifies a block or chunk proof natively.
pub fn verify_block(
    vk: &VerifyingKey<Bn254>,
    inputs: &[Fr; NUM_PUBLIC_INPUTS],
    proof: &Proof<Bn254>,
) -> Result<bool> {
    Groth16Bn254::verify(vk, inputs, proof)
}
