//! The proof-system abstraction and its Groth16/BN254 implementation.
//!
//! Callers (the block circuit, the prover agents, the key cache) talk to [`ProofSystem`] only,
//! so a recursive scheme with a constant-size epoch proof can replace Groth16 later without
//! touching them. The EVM encoding in [`evm`] is specific to Groth16 over BN254, because it is
//! what the generated Solidity verifier reads.

pub mod evm;
mod groth16;

use std::fmt::Debug;
use std::io::{Read, Write};

use ark_ff::PrimeField;
use ark_relations::gr1cs::ConstraintSynthesizer;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use rand::{CryptoRng, RngCore};

pub use groth16::{Groth16Bn254, R1csMatrices};

use crate::Result;

/// A SNARK with a circuit-specific setup, as the rollup uses it.
///
/// Keys and proofs travel in ark-serialize's compressed format (see the provided methods);
/// every deserialization validates points (on the curve, in the right subgroup). The one
/// exception is the devnet key cache, which this code writes and reads itself: uncompressed
/// and unchecked, so loading it is bound by I/O rather than by point decompression.
pub trait ProofSystem {
    /// The scalar field the circuits are written over.
    type Field: PrimeField;
    /// The key a prover needs for one circuit.
    type ProvingKey: CanonicalSerialize + CanonicalDeserialize + Clone + Send + Sync;
    /// The key a verifier needs for one circuit.
    type VerifyingKey: CanonicalSerialize
        + CanonicalDeserialize
        + Clone
        + PartialEq
        + Debug
        + Send
        + Sync;
    /// A proof of one circuit instance.
    type Proof: CanonicalSerialize + CanonicalDeserialize + Clone + PartialEq + Debug + Send + Sync;
    /// What a prover derives once from a circuit's shape and reuses for every proof
    /// (Groth16: the constraint matrices), kept with the keys ([`crate::keys::KeyPair`]).
    type Constraints: Debug + Send + Sync;

    /// Runs the circuit-specific setup for `circuit` (its witness values are not needed),
    /// drawing the toxic waste from `rng`.
    fn setup<C, R>(circuit: C, rng: &mut R) -> Result<(Self::ProvingKey, Self::VerifyingKey)>
    where
        C: ConstraintSynthesizer<Self::Field>,
        R: RngCore + CryptoRng;

    /// Proves that `circuit`, with its witness assigned, is satisfied, synthesizing it in full
    /// (constraints included); [`ProofSystem::prove_with_constraints`] reuses them instead.
    fn prove<C, R>(pk: &Self::ProvingKey, circuit: C, rng: &mut R) -> Result<Self::Proof>
    where
        C: ConstraintSynthesizer<Self::Field>,
        R: RngCore + CryptoRng;

    /// Builds the [`ProofSystem::Constraints`] of `circuit` (its witness values are not needed).
    fn constraints<C: ConstraintSynthesizer<Self::Field>>(circuit: C) -> Result<Self::Constraints>;

    /// Proves `circuit` like [`ProofSystem::prove`], with its `constraints` built beforehand
    /// by [`ProofSystem::constraints`]: only the witness is synthesized. Constraints of
    /// another circuit, or a witness that does not satisfy them, are an error (never a panic
    /// nor a proof that does not verify).
    fn prove_with_constraints<C, R>(
        pk: &Self::ProvingKey,
        constraints: &Self::Constraints,
        circuit: C,
        rng: &mut R,
    ) -> Result<Self::Proof>
    where
        C: ConstraintSynthesizer<Self::Field>,
        R: RngCore + CryptoRng;

    /// Checks `proof` against `public_inputs`; `Ok(false)` means the proof is wrong, an error
    /// means the inputs do not fit the key.
    fn verify(
        vk: &Self::VerifyingKey,
        public_inputs: &[Self::Field],
        proof: &Self::Proof,
    ) -> Result<bool>;

    /// How many public inputs (excluding the constant one) the key's circuit has.
    fn num_public_inputs(vk: &Self::VerifyingKey) -> usize;

    /// Serializes a proof in ark-serialize's compressed format.
    fn serialize_proof(proof: &Self::Proof) -> Result<Vec<u8>> {
        to_compressed_bytes(proof)
    }

    /// Deserializes and validates a proof written by [`ProofSystem::serialize_proof`].
    fn deserialize_proof(bytes: &[u8]) -> Result<Self::Proof> {
        from_compressed_bytes(bytes)
    }

    /// Serializes a verifying key in ark-serialize's compressed format.
    fn serialize_verifying_key(vk: &Self::VerifyingKey) -> Result<Vec<u8>> {
        to_compressed_bytes(vk)
    }

    /// Deserializes and validates a verifying key written by
    /// [`ProofSystem::serialize_verifying_key`].
    fn deserialize_verifying_key(bytes: &[u8]) -> Result<Self::VerifyingKey> {
        from_compressed_bytes(bytes)
    }

    /// Writes a key pair: the proving key, then the verifying key, both compressed.
    ///
    /// This is the key file format of [`crate::keys`], for the devnet cache and for keys
    /// produced by a ceremony alike.
    fn write_key_pair<W: Write>(
        pk: &Self::ProvingKey,
        vk: &Self::VerifyingKey,
        mut writer: W,
    ) -> Result<()> {
        pk.serialize_compressed(&mut writer)?;
        vk.serialize_compressed(&mut writer)?;
        Ok(())
    }

    /// Writes a key pair uncompressed (about twice the size of [`ProofSystem::write_key_pair`]):
    /// the devnet key cache format, read back by [`ProofSystem::read_trusted_key_pair`].
    fn write_uncompressed_key_pair<W: Write>(
        pk: &Self::ProvingKey,
        vk: &Self::VerifyingKey,
        mut writer: W,
    ) -> Result<()> {
        pk.serialize_uncompressed(&mut writer)?;
        vk.serialize_uncompressed(&mut writer)?;
        Ok(())
    }

    /// Reads a key pair written by [`ProofSystem::write_uncompressed_key_pair`] **without**
    /// validating the points: only for files this process family wrote itself (the devnet key
    /// cache), where decompression and subgroup checks would cost as much as the setup they
    /// save.
    fn read_trusted_key_pair<R: Read>(
        mut reader: R,
    ) -> Result<(Self::ProvingKey, Self::VerifyingKey)> {
        let pk = Self::ProvingKey::deserialize_uncompressed_unchecked(&mut reader)?;
        let vk = Self::VerifyingKey::deserialize_uncompressed_unchecked(&mut reader)?;
        Ok((pk, vk))
    }

    /// Reads and validates a key pair written by [`ProofSystem::write_key_pair`].
    fn read_key_pair<R: Read>(mut reader: R) -> Result<(Self::ProvingKey, Self::VerifyingKey)> {
        let pk =
            Self::ProvingKey::deserialize_with_mode(&mut reader, Compress::Yes, Validate::Yes)?;
        let vk =
            Self::VerifyingKey::deserialize_with_mode(&mut reader, Compress::Yes, Validate::Yes)?;
        Ok((pk, vk))
    }
}

/// Serializes any arkworks value in the compressed format.
fn to_compressed_bytes<T: CanonicalSerialize>(value: &T) -> Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(value.compressed_size());
    value.serialize_compressed(&mut bytes)?;
    Ok(bytes)
}

/// Deserializes a compressed arkworks value, validating it and rejecting trailing bytes.
fn from_compressed_bytes<T: CanonicalDeserialize>(bytes: &[u8]) -> Result<T> {
    let mut reader = bytes;
    let value = T::deserialize_with_mode(&mut reader, Compress::Yes, Validate::Yes)?;
    if !reader.is_empty() {
        return Err(ark_serialize::SerializationError::InvalidData.into());
    }
    Ok(value)
}
