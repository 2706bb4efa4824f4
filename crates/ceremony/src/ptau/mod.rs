//! Phase 1 as snarkjs `.ptau` files: read, verify, contribute, beacon, prepare.
//!
//! A file holds the header (section 1), the powers `[τ^i]₁` (2), `[τ^i]₂` (3), `[ατ^i]₁` (4),
//! `[βτ^i]₁` (5), `[β]₂` (6), the contribution records (7) and, once prepared for phase 2, the
//! same powers in the Lagrange basis of every radix-2 domain (12-15). Every point is stored in
//! the LEM encoding ([`crate::encoding`]).

pub mod binfile;
pub mod record;
pub mod verify;
pub mod write;

use std::path::Path;

use ark_bn254::{Fq, G1Affine, G2Affine};
use ark_ff::{BigInteger, PrimeField};
use rayon::prelude::*;

pub use verify::{verify, VerifiedPtau};
pub use write::{beacon, contribute, new_ptau, prepare_phase2};

use crate::{encoding::FfjsPoint, Error, Result};
use binfile::BinFile;

/// The magic of `.ptau` files.
pub const MAGIC: &[u8; 4] = b"ptau";

/// Section ids of a `.ptau` file.
pub mod section {
    /// The header: `n8`, `q`, `power`, `ceremonyPower`.
    pub const HEADER: u32 = 1;
    /// `[τ^i]₁`, `i < 2^(p+1) - 1`.
    pub const TAU_G1: u32 = 2;
    /// `[τ^i]₂`, `i < 2^p`.
    pub const TAU_G2: u32 = 3;
    /// `[ατ^i]₁`, `i < 2^p`.
    pub const ALPHA_TAU_G1: u32 = 4;
    /// `[βτ^i]₁`, `i < 2^p`.
    pub const BETA_TAU_G1: u32 = 5;
    /// `[β]₂`.
    pub const BETA_G2: u32 = 6;
    /// The contribution records.
    pub const CONTRIBUTIONS: u32 = 7;
    /// `[L_j(τ)]₁` for every domain `2^q`, `q ≤ p + 1`.
    pub const LAGRANGE_TAU_G1: u32 = 12;
    /// `[L_j(τ)]₂` for every domain `2^q`, `q ≤ p`.
    pub const LAGRANGE_TAU_G2: u32 = 13;
    /// `[αL_j(τ)]₁` for every domain `2^q`, `q ≤ p`.
    pub const LAGRANGE_ALPHA_TAU_G1: u32 = 14;
    /// `[βL_j(τ)]₁` for every domain `2^q`, `q ≤ p`.
    pub const LAGRANGE_BETA_TAU_G1: u32 = 15;
}

/// The largest power this crate handles (snarkjs' BN254 limit: the 2-adicity of `Fr` is 28).
pub const MAX_POWER: u32 = 28;

/// Bytes of a BN254 field element in the header.
const N8: u32 = 32;
/// Bytes of the header section.
const HEADER_BYTES: usize = 4 + N8 as usize + 4 + 4;

/// Section 1 of a `.ptau` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PtauHeader {
    /// The file holds powers for domains up to `2^power`.
    pub power: u32,
    /// The power of the ceremony the file was cut from (equal to `power` unless truncated).
    pub ceremony_power: u32,
}

impl PtauHeader {
    /// Reads and checks section 1: BN254's `q`, `n8 = 32`, sane powers.
    pub fn read(file: &mut BinFile) -> Result<Self> {
        let bytes = file.read_section(section::HEADER)?;
        let unsupported = |reason: String| Error::UnsupportedPtau { reason };
        if bytes.len() < 4 {
            return Err(unsupported(format!("a header of {} bytes", bytes.len())));
        }
        let n8 = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if n8 != N8 {
            return Err(unsupported(format!(
                "field elements of {n8} bytes: only BN254 (32) is supported"
            )));
        }
        if bytes.len() != HEADER_BYTES {
            return Err(Error::Format {
                path: file.path().to_path_buf(),
                reason: format!("the header has {} bytes, not {HEADER_BYTES}", bytes.len()),
            });
        }
        let q = &bytes[4..36];
        if q != Fq::MODULUS.to_bytes_le() {
            let mut be = q.to_vec();
            be.reverse();
            return Err(unsupported(format!(
                "q = 0x{} is not BN254's",
                hex::encode(be)
            )));
        }
        let word = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let header = Self {
            power: word(36),
            ceremony_power: word(40),
        };
        if header.power == 0
            || header.power > header.ceremony_power
            || header.ceremony_power > MAX_POWER
        {
            return Err(unsupported(format!(
                "power {} of a ceremony of power {} (1 ≤ power ≤ ceremonyPower ≤ {MAX_POWER})",
                header.power, header.ceremony_power
            )));
        }
        Ok(header)
    }

    /// The bytes of section 1.
    pub fn to_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_BYTES);
        out.extend_from_slice(&N8.to_le_bytes());
        out.extend_from_slice(&Fq::MODULUS.to_bytes_le());
        out.extend_from_slice(&self.power.to_le_bytes());
        out.extend_from_slice(&self.ceremony_power.to_le_bytes());
        out
    }

    /// Points of section 2 (`2^(p+1) - 1`).
    pub fn tau_g1_count(self) -> usize {
        (1usize << (self.power + 1)) - 1
    }

    /// Points of sections 3, 4 and 5 (`2^p`).
    pub fn tau_g2_count(self) -> usize {
        1usize << self.power
    }
}

/// The monomial powers of sections 2-6 (or a prefix of them), decoded and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Powers {
    /// `[τ^i]₁`.
    pub tau_g1: Vec<G1Affine>,
    /// `[τ^i]₂`.
    pub tau_g2: Vec<G2Affine>,
    /// `[ατ^i]₁`.
    pub alpha_tau_g1: Vec<G1Affine>,
    /// `[βτ^i]₁`.
    pub beta_tau_g1: Vec<G1Affine>,
    /// `[β]₂`.
    pub beta_g2: G2Affine,
}

impl Powers {
    /// Reads the first `n_g1` points of section 2 and the first `n` of sections 3-5, and section
    /// 6.
    pub fn read(file: &mut BinFile, n_g1: usize, n: usize) -> Result<Self> {
        Ok(Self {
            tau_g1: read_points(file, section::TAU_G1, "tauG1", 0, n_g1)?,
            tau_g2: read_points(file, section::TAU_G2, "tauG2", 0, n)?,
            alpha_tau_g1: read_points(file, section::ALPHA_TAU_G1, "alphaTauG1", 0, n)?,
            beta_tau_g1: read_points(file, section::BETA_TAU_G1, "betaTauG1", 0, n)?,
            beta_g2: read_points(file, section::BETA_G2, "betaG2", 0, 1)?[0],
        })
    }

    /// The sections 2-6 in file order, LEM-encoded.
    pub fn to_sections(&self) -> [(u32, Vec<u8>); 5] {
        [
            (section::TAU_G1, encode_lem(&self.tau_g1)),
            (section::TAU_G2, encode_lem(&self.tau_g2)),
            (section::ALPHA_TAU_G1, encode_lem(&self.alpha_tau_g1)),
            (section::BETA_TAU_G1, encode_lem(&self.beta_tau_g1)),
            (section::BETA_G2, encode_lem(&[self.beta_g2])),
        ]
    }

    /// The U encoding of sections 2-6 in order: what the next challenge hashes.
    pub fn hash_u(&self, hasher: &mut crate::blake2b::Blake2b) {
        hasher.update(&encode_with(&self.tau_g1, FfjsPoint::write_u));
        hasher.update(&encode_with(&self.tau_g2, FfjsPoint::write_u));
        hasher.update(&encode_with(&self.alpha_tau_g1, FfjsPoint::write_u));
        hasher.update(&encode_with(&self.beta_tau_g1, FfjsPoint::write_u));
        hasher.update(&encode_with(&[self.beta_g2], FfjsPoint::write_u));
    }
}

/// Reads points `[start, start + count)` of a section of points, decoding each in parallel; an
/// invalid point is reported with its index.
pub fn read_points<P: FfjsPoint + Send>(
    file: &mut BinFile,
    id: u32,
    name: &'static str,
    start: usize,
    count: usize,
) -> Result<Vec<P>> {
    let bytes = file.read(id, (start * P::BYTES) as u64, (count * P::BYTES) as u64)?;
    decode_lem(&bytes, name, start)
}

/// Decodes LEM points, reporting an invalid one with its index (offset by `first`).
pub fn decode_lem<P: FfjsPoint + Send>(
    bytes: &[u8],
    name: &'static str,
    first: usize,
) -> Result<Vec<P>> {
    bytes
        .par_chunks_exact(P::BYTES)
        .enumerate()
        .map(|(i, chunk)| {
            P::read_lem(chunk).map_err(|fault| Error::InvalidPoint {
                section: name,
                index: (first + i) as u64,
                fault,
            })
        })
        .collect()
}

/// The LEM encoding of points, in parallel.
pub fn encode_lem<P: FfjsPoint + Sync>(points: &[P]) -> Vec<u8> {
    encode_with(points, FfjsPoint::write_lem)
}

/// Encodes points with one of the encodings, in parallel chunks.
pub(crate) fn encode_with<P: FfjsPoint + Sync>(
    points: &[P],
    write: fn(&P, &mut Vec<u8>),
) -> Vec<u8> {
    const CHUNK: usize = 1 << 12;
    points
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut out = Vec::with_capacity(chunk.len() * P::BYTES);
            for point in chunk {
                write(point, &mut out);
            }
            out
        })
        .collect::<Vec<_>>()
        .concat()
}

/// Opens a `.ptau` file and reads its header.
pub(crate) fn open(path: &Path) -> Result<(BinFile, PtauHeader)> {
    let mut file = BinFile::open(path, MAGIC)?;
    let header = PtauHeader::read(&mut file)?;
    Ok((file, header))
}
