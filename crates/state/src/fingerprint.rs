//! The data fingerprint `(h, z, y)` that binds a proof to the block data published on L1.
//!
//! * Chunks: the data is cut into 31-byte chunks, the last one right-padded with zero bytes;
//!   `d_i` is chunk `i` read as a big-endian integer (always `< r`).
//! * `h` (data hash, claimed by the proposer, recomputed by the circuit): a Poseidon chain
//!   over `[len, d_0, ..., d_{M-1}]` with `M = max_data_chunks` and missing chunks zero:
//!   `acc = len` (byte length), then for `k = 0..ceil(M/3)`:
//!   `acc = Poseidon(acc, d_{3k}, d_{3k+1}, d_{3k+2})` (width 5); `h = acc`.
//! * `z = keccak256(abi.encode(uint256(h), keccak256(data))) mod r`: the 64 bytes are `h` as
//!   a 32-byte big-endian word followed by the keccak of the raw data.
//! * `y = sum_i d_i * z^i mod r` over the data's chunks (zero chunks add nothing).
//!
//! The L1 contract computes `z` and `y` from calldata exactly like this.

use ark_ff::{AdditiveGroup, PrimeField};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use sha3::{Digest, Keccak256};

use crate::{error::Error, field::fr_to_be_bytes, field::Fr, poseidon, Result};

/// Bytes per chunk: 31, so every chunk is a field element.
pub const CHUNK_BYTES: usize = 31;

/// Chunks absorbed per Poseidon call of the data hash chain.
const CHUNKS_PER_HASH: usize = 3;

/// The data's chunks `d_i` (no padding chunks).
pub fn data_chunks(data: &[u8]) -> Vec<Fr> {
    data.chunks(CHUNK_BYTES)
        .map(|chunk| {
            let mut padded = [0u8; CHUNK_BYTES];
            padded[..chunk.len()].copy_from_slice(chunk);
            Fr::from_be_bytes_mod_order(&padded)
        })
        .collect()
}

/// `h`: the Poseidon chain over the byte length and `max_chunks` zero-padded chunks.
pub fn data_hash(data: &[u8], max_chunks: usize) -> Result<Fr> {
    let mut chunks = data_chunks(data);
    if chunks.len() > max_chunks {
        return Err(Error::DataTooLarge {
            chunks: chunks.len(),
            max_chunks,
        });
    }
    chunks.resize(
        max_chunks.div_ceil(CHUNKS_PER_HASH) * CHUNKS_PER_HASH,
        Fr::ZERO,
    );
    let length = Fr::from(data.len() as u64);
    Ok(chunks
        .chunks(CHUNKS_PER_HASH)
        .fold(length, |acc, d| poseidon::hash([acc, d[0], d[1], d[2]])))
}

/// `z = keccak256(h_be32 || keccak256(data)) mod r`.
pub fn data_challenge(hash: Fr, data: &[u8]) -> Fr {
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(&fr_to_be_bytes(&hash));
    preimage[32..].copy_from_slice(&Keccak256::digest(data));
    Fr::from_be_bytes_mod_order(&Keccak256::digest(preimage))
}

/// `y = sum_i chunks[i] * z^i`.
pub fn data_evaluation(chunks: &[Fr], z: Fr) -> Fr {
    chunks.iter().rev().fold(Fr::ZERO, |acc, d| acc * z + d)
}

/// The fingerprint the L1 contract stores with a block and the proof binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct DataFingerprint {
    /// `h`, the Poseidon data hash.
    pub hash: Fr,
    /// `z`, the Fiat-Shamir challenge.
    pub challenge: Fr,
    /// `y`, the chunks evaluated at `z`.
    pub evaluation: Fr,
}

impl DataFingerprint {
    /// Fingerprint of `data` for a data hash over `max_chunks` chunks.
    pub fn compute(data: &[u8], max_chunks: usize) -> Result<Self> {
        let hash = data_hash(data, max_chunks)?;
        let challenge = data_challenge(hash, data);
        let evaluation = data_evaluation(&data_chunks(data), challenge);
        Ok(Self {
            hash,
            challenge,
            evaluation,
        })
    }
}

#[cfg(test)]
mod tests {

    use ark_ff::{BigInteger, Field};

    use super::*;

    /// Big-endian integer of `bytes` by plain multiply-and-add.
    fn horner_bytes(bytes: &[u8]) -> Fr {
        bytes
            .iter()
            .fold(Fr::ZERO, |acc, b| acc * Fr::from(256u64) + Fr::from(*b))
    }

    #[test]
    fn chunks_are_31_bytes_right_padded() {
        let data: Vec<u8> = (1..=40).collect();
        let chunks = data_chunks(&data);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0], horner_bytes(&data[..31]));
        let mut last = data[31..].to_vec();
        last.resize(31, 0);
        assert_eq!(chunks[1], horner_bytes(&last));
        assert!(data_chunks(&[]).is_empty());
        assert_eq!(data_chunks(&[0xff; 31]), vec![horner_bytes(&[0xff; 31])]);
    }

    #[test]
    fn fingerprint_matches_hand_computation() {
        let data: Vec<u8> = (1..=40).collect();
        let fp = DataFingerprint::compute(&data, 4).unwrap();

        let d0 = horner_bytes(&data[..31]);
        let d1 = horner_bytes(&[&data[31..], &[0u8; 22][..]].concat());
        let zero = Fr::ZERO;
        let acc = poseidon::hash([Fr::from(40u64), d0, d1, zero]);
        let h = poseidon::hash([acc, zero, zero, zero]);
        assert_eq!(fp.hash, h);

        let mut hasher = Keccak256::new();
        hasher.update(h.into_bigint().to_bytes_be());
        hasher.update(Keccak256::digest(&data));
        let z = Fr::from_be_bytes_mod_order(&hasher.finalize());
        assert_eq!(fp.challenge, z);
        assert_eq!(fp.evaluation, d0 + d1 * z);
        assert_eq!(data_evaluation(&[d0, d1, zero, zero], z), fp.evaluation);
        assert_eq!(
            data_evaluation(&[d0, d1, Fr::ONE], z),
            d0 + d1 * z + z.square()
        );
    }

    #[test]
    fn data_hash_binds_length_and_budget() {
        let data = [7u8; 31];
        let mut longer = data.to_vec();
        longer.push(0);
        assert_ne!(data_hash(&data, 3).unwrap(), data_hash(&longer, 3).unwrap());
        assert_ne!(data_hash(&data, 3).unwrap(), data_hash(&data, 4).unwrap());
        assert_eq!(
            data_hash(&longer, 1),
            Err(Error::DataTooLarge {
                chunks: 2,
                max_chunks: 1
            })
        );
    }

    /// Recomputes `z` and `y` as the Solidity contract does (keccak over `abi.encode`, then
    /// `mulmod`/`addmod` with BigInt) in node with ethers 5 from circomlibjs's dependencies.
    #[test]
    fn challenge_and_evaluation_match_evm_style_node_computation() {
        let ethers = crate::node_js::module("ethers");
        let data: Vec<u8> = (0..200u32).map(|i| (i * 37 % 256) as u8).collect();
        let fp = DataFingerprint::compute(&data, 7).unwrap();
        let script = format!(
            "const {{ utils }} = require({ethers:?});\n\
             const r = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;\n\
             const data = '0x{data}';\n\
             const h = BigInt('{h}');\n\
             const z = BigInt(utils.keccak256(utils.defaultAbiCoder.encode(\n\
               ['uint256', 'bytes32'], [h, utils.keccak256(data)]))) % r;\n\
             const bytes = utils.arrayify(data);\n\
             let y = 0n, power = 1n;\n\
             for (let i = 0; i < bytes.length; i += 31) {{\n\
               const chunk = new Uint8Array(31); chunk.set(bytes.slice(i, i + 31));\n\
               y = (y + BigInt(utils.hexlify(chunk)) * power) % r;\n\
               power = (power * z) % r;\n\
             }}\n\
             console.log(z.toString()); console.log(y.toString());",
            ethers = ethers.display().to_string(),
            data = hex::encode(&data),
            h = fp.hash,
        );
        let stdout = crate::node_js::run(&script);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines, [fp.challenge.to_string(), fp.evaluation.to_string()]);
    }
}
