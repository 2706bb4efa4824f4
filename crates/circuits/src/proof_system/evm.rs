//! EVM word encoding of Groth16/BN254 proofs, verifying keys and public inputs.
//!
//! A word is a big-endian `uint256`. A G1 point is `[x, y]`, a G2 point is
//! `[x.c1, x.c0, y.c1, y.c0]` (the EIP-197 precompile wants the imaginary part first, while
//! arkworks stores `(c0, c1)`), and the point at infinity is all zeros. A proof is the 8 words
//! `[A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y]` (256 bytes), which is what the
//! generated verifier's `verifyProof` takes as `bytes`.

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{Proof, VerifyingKey};
use sha3::{Digest, Keccak256};

use fernet_state::PROOF_BYTES;

use crate::{Error, Result};

/// A big-endian 256-bit EVM word.
pub type Word = [u8; 32];

/// Words in one EVM-encoded proof.
pub const PROOF_WORDS: usize = 8;

const _: () = assert!(PROOF_WORDS * 32 == PROOF_BYTES);

/// Encodes any BN254 field element (base or scalar) as its canonical big-endian word.
pub fn field_to_word<F: PrimeField>(x: &F) -> Word {
    let bytes = x.into_bigint().to_bytes_be();
    let mut word = [0u8; 32];
    word[32 - bytes.len()..].copy_from_slice(&bytes);
    word
}

/// Decodes a word into a field element, or `None` when it is not below the field modulus (or
/// the field is not a 4-limb field like both BN254 fields).
pub fn field_from_word<F: PrimeField>(word: &Word) -> Option<F> {
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        let start = 32 - 8 * (i + 1);
        let mut be = [0u8; 8];
        be.copy_from_slice(&word[start..start + 8]);
        *limb = u64::from_be_bytes(be);
    }
    let mut bigint = F::BigInt::default();
    let dst = bigint.as_mut();
    if dst.len() != limbs.len() {
        return None;
    }
    dst.copy_from_slice(&limbs);
    F::from_bigint(bigint)
}

/// Formats a word as `0x` and 64 lowercase hex digits (how Solidity literals and fixtures
/// spell it).
pub fn word_to_hex(word: &Word) -> String {
    format!("0x{}", hex::encode(word))
}

/// Encodes public inputs as words, in order.
pub fn public_inputs_to_words(inputs: &[Fr]) -> Vec<Word> {
    inputs.iter().map(field_to_word).collect()
}

/// Decodes public-input words, rejecting any word `>= r` (the verifier reverts on those).
pub fn public_inputs_from_words(words: &[Word]) -> Result<Vec<Fr>> {
    words
        .iter()
        .enumerate()
        .map(|(index, word)| {
            field_from_word(word).ok_or(Error::NotInField {
                index,
                field: "scalar",
            })
        })
        .collect()
}

/// Encodes a G1 point as `[x, y]` (`[0, 0]` for infinity).
pub fn g1_to_words(point: &G1Affine) -> [Word; 2] {
    match point.xy() {
        Some((x, y)) => [field_to_word(&x), field_to_word(&y)],
        None => [[0; 32]; 2],
    }
}

/// Encodes a G2 point as `[x.c1, x.c0, y.c1, y.c0]` (all zeros for infinity).
pub fn g2_to_words(point: &G2Affine) -> [Word; 4] {
    match point.xy() {
        Some((x, y)) => [
            field_to_word(&x.c1),
            field_to_word(&x.c0),
            field_to_word(&y.c1),
            field_to_word(&y.c0),
        ],
        None => [[0; 32]; 4],
    }
}

/// Encodes a proof as its 8 words.
pub fn proof_to_words(proof: &Proof<Bn254>) -> [Word; PROOF_WORDS] {
    let [ax, ay] = g1_to_words(&proof.a);
    let [bx1, bx0, by1, by0] = g2_to_words(&proof.b);
    let [cx, cy] = g1_to_words(&proof.c);
    [ax, ay, bx1, bx0, by1, by0, cx, cy]
}

/// Encodes a proof as the 256 bytes `verifyProof` takes.
pub fn proof_to_bytes(proof: &Proof<Bn254>) -> [u8; PROOF_BYTES] {
    let mut bytes = [0u8; PROOF_BYTES];
    for (chunk, word) in bytes.chunks_exact_mut(32).zip(proof_to_words(proof)) {
        chunk.copy_from_slice(&word);
    }
    bytes
}

/// Decodes 256 proof bytes, checking every coordinate is below `q` and every point is on the
/// curve and in the prime-order subgroup (what the verifier's precompiles enforce).
pub fn proof_from_bytes(bytes: &[u8]) -> Result<Proof<Bn254>> {
    if bytes.len() != PROOF_BYTES {
        return Err(Error::ProofLength {
            expected: PROOF_BYTES,
            actual: bytes.len(),
        });
    }
    let mut coords = [Fq::from(0u64); PROOF_WORDS];
    for (index, (coord, chunk)) in coords.iter_mut().zip(bytes.chunks_exact(32)).enumerate() {
        let word: &Word = chunk.try_into().expect("chunks_exact yields 32 bytes");
        *coord = field_from_word(word).ok_or(Error::NotInField {
            index,
            field: "base",
        })?;
    }
    let [ax, ay, bx1, bx0, by1, by0, cx, cy] = coords;
    Ok(Proof {
        a: g1_from_coords(ax, ay, "A")?,
        b: g2_from_coords(Fq2::new(bx0, bx1), Fq2::new(by0, by1), "B")?,
        c: g1_from_coords(cx, cy, "C")?,
    })
}

/// Encodes a verifying key as words: `alpha (G1), beta, gamma, delta (G2), IC_0 .. IC_K (G1)`.
pub fn verifying_key_to_words(vk: &VerifyingKey<Bn254>) -> Vec<Word> {
    let mut words = Vec::with_capacity(14 + 2 * vk.gamma_abc_g1.len());
    words.extend(g1_to_words(&vk.alpha_g1));
    words.extend(g2_to_words(&vk.beta_g2));
    words.extend(g2_to_words(&vk.gamma_g2));
    words.extend(g2_to_words(&vk.delta_g2));
    for ic in &vk.gamma_abc_g1 {
        words.extend(g1_to_words(ic));
    }
    words
}

/// The verifying-key hash the generated verifier reports: keccak256 of the concatenated
/// words of [`verifying_key_to_words`].
pub fn verifying_key_hash(vk: &VerifyingKey<Bn254>) -> [u8; 32] {
    let mut hasher = Keccak256::new();
    for word in verifying_key_to_words(vk) {
        hasher.update(word);
    }
    hasher.finalize().into()
}

/// Builds a G1 point, treating `(0, 0)` as infinity like the precompiles do.
fn g1_from_coords(x: Fq, y: Fq, name: &'static str) -> Result<G1Affine> {
    if x == Fq::from(0u64) && y == Fq::from(0u64) {
        return Ok(G1Affine::identity());
    }
    let point = G1Affine::new_unchecked(x, y);
    if point.is_on_curve() && point.is_in_correct_subgroup_assuming_on_curve() {
        Ok(point)
    } else {
        Err(Error::InvalidPoint { name })
    }
}

/// Builds a G2 point, treating all-zero coordinates as infinity like the precompile does.
fn g2_from_coords(x: Fq2, y: Fq2, name: &'static str) -> Result<G2Affine> {
    if x == Fq2::from(0u64) && y == Fq2::from(0u64) {
        return Ok(G2Affine::identity());
    }
    let point = G2Affine::new_unchecked(x, y);
    if point.is_on_curve() && point.is_in_correct_subgroup_assuming_on_curve() {
        Ok(point)
    } else {
        Err(Error::InvalidPoint { name })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::CurveGroup;
    use ark_ff::UniformRand;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn field_words_round_trip_and_reject_the_modulus() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for _ in 0..32 {
            let x = Fr::rand(&mut rng);
            assert_eq!(field_from_word::<Fr>(&field_to_word(&x)), Some(x));
            let y = Fq::rand(&mut rng);
            assert_eq!(field_from_word::<Fq>(&field_to_word(&y)), Some(y));
        }
        let r = Fr::MODULUS.to_bytes_be();
        assert_eq!(field_from_word::<Fr>(&r.clone().try_into().unwrap()), None);
        assert_eq!(field_from_word::<Fr>(&[0xff; 32]), None);
        assert_eq!(field_to_word(&Fr::from(1u64))[31], 1);
        let words = [field_to_word(&Fr::from(5u64)), r.try_into().unwrap()];
        assert!(matches!(
            public_inputs_from_words(&words),
            Err(Error::NotInField {
                index: 1,
                field: "scalar"
            })
        ));
    }

    #[test]
    fn proof_bytes_round_trip_and_reject_bad_points() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let proof = Proof::<Bn254> {
            a: (G1Affine::generator() * Fr::rand(&mut rng)).into_affine(),
            b: (G2Affine::generator() * Fr::rand(&mut rng)).into_affine(),
            c: G1Affine::identity(),
        };
        let bytes = proof_to_bytes(&proof);
        assert_eq!(bytes[192..], [0u8; 64]);
        assert_eq!(proof_from_bytes(&bytes).unwrap(), proof);

        // Word order: B.x.c1 comes before B.x.c0.
        assert_eq!(bytes[64..96], field_to_word(&proof.b.x.c1));

        let mut off_curve = bytes;
        off_curve[63] ^= 1;
        assert!(matches!(
            proof_from_bytes(&off_curve),
            Err(Error::InvalidPoint { name: "A" })
        ));

        let mut not_in_field = bytes;
        not_in_field[128..160].copy_from_slice(&[0xff; 32]);
        assert!(matches!(
            proof_from_bytes(&not_in_field),
            Err(Error::NotInField {
                index: 4,
                field: "base"
            })
        ));
        assert!(matches!(
            proof_from_bytes(&bytes[1..]),
            Err(Error::ProofLength {
                expected: 256,
                actual: 255
            })
        ));
    }
}
