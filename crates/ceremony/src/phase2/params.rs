//! The two halves of a circuit's phase 2 state and their files.
//!
//! A Groth16 proving key splits into a part no contribution touches ([`FixedPart`]: α, β, γ,
//! the verifier's `IC` and the `A`/`B` queries) and the part every contribution rewrites
//! ([`Params`]: δ and the `H`/`L` queries). Participants only exchange params files.
//!
//! Both files are a 4-byte magic, a `u32` little-endian format version, then the struct in
//! ark-serialize's uncompressed form (64 bytes per G1 point, 128 per G2 point; vectors are
//! prefixed by a `u64` length), read back with every point validated (on the curve, in the
//! subgroup). A file's hash is keccak256 of all its bytes.

use std::fs;
use std::path::Path;

use ark_bn254::{G1Affine, G2Affine};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use sha3::{Digest, Keccak256};

use crate::{Error, Result};

/// The magic of a fixed-part file.
pub const FIXED_MAGIC: [u8; 4] = *b"FCFX";

/// The magic of a params file.
pub const PARAMS_MAGIC: [u8; 4] = *b"FCPA";

/// The format version of both files.
pub const FORMAT_VERSION: u32 = 1;

/// keccak256 of some bytes.
pub fn keccak(bytes: &[u8]) -> [u8; 32] {
    Keccak256::digest(bytes).into()
}

/// What `new` fixes for a circuit, never changed by a contribution.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct FixedPart {
    /// [`fernet_circuits::proof_system::R1csMatrices::digest`] of the circuit.
    pub circuit_digest: [u8; 32],
    /// [`crate::phase2::init::powers_hash`] of the powers it was built from.
    pub powers_hash: [u8; 32],
    /// The instance variables, the constant one included.
    pub num_instance: u64,
    /// The witness variables.
    pub num_witness: u64,
    /// log2 of the QAP domain.
    pub domain_log: u32,
    /// `[α]₁`.
    pub alpha_g1: G1Affine,
    /// `[β]₁`.
    pub beta_g1: G1Affine,
    /// `[β]₂`.
    pub beta_g2: G2Affine,
    /// `[γ]₂`, the generator.
    pub gamma_g2: G2Affine,
    /// `IC_i = [β·a_i + α·b_i + c_i]₁` for the instance variables (γ = 1).
    pub gamma_abc_g1: Vec<G1Affine>,
    /// `[a_i]₁` for every variable.
    pub a_query: Vec<G1Affine>,
    /// `[b_i]₁` for every variable.
    pub b_g1_query: Vec<G1Affine>,
    /// `[b_i]₂` for every variable.
    pub b_g2_query: Vec<G2Affine>,
}

/// What each contribution rewrites: δ and the queries divided by it.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Params {
    /// The hash of the fixed-part file these params belong to.
    pub fixed_hash: [u8; 32],
    /// The contribution that produced them (0: `new`).
    pub index: u32,
    /// `[δ]₁`.
    pub delta_g1: G1Affine,
    /// `[δ]₂`.
    pub delta_g2: G2Affine,
    /// `H_i = [τ^i·Z(τ)/δ]₁`, `i < n − 1`.
    pub h_query: Vec<G1Affine>,
    /// `L_i = [(β·a_i + α·b_i + c_i)/δ]₁` for the witness variables.
    pub l_query: Vec<G1Affine>,
}

/// A struct stored as a file with a magic and a version.
pub trait CeremonyFile: CanonicalSerialize + CanonicalDeserialize {
    /// The file's first four bytes.
    const MAGIC: [u8; 4];

    /// The whole file.
    fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(8 + self.serialized_size(Compress::No));
        bytes.extend(Self::MAGIC);
        bytes.extend(FORMAT_VERSION.to_le_bytes());
        self.serialize_uncompressed(&mut bytes)
            .expect("serializing into a Vec cannot fail");
        bytes
    }

    /// keccak256 of the whole file.
    fn hash(&self) -> [u8; 32] {
        keccak(&self.to_bytes())
    }

    /// Parses a whole file, validating every point.
    fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self> {
        let format = |reason: String| Error::Format {
            path: path.to_path_buf(),
            reason,
        };
        let (header, body) = bytes
            .split_at_checked(8)
            .ok_or_else(|| format("shorter than its header".into()))?;
        if header[..4] != Self::MAGIC {
            return Err(format(format!(
                "magic {:?} is not {:?}",
                String::from_utf8_lossy(&header[..4]),
                String::from_utf8_lossy(&Self::MAGIC)
            )));
        }
        let version = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if version != FORMAT_VERSION {
            return Err(format(format!(
                "format version {version}, this build reads {FORMAT_VERSION}"
            )));
        }
        let mut reader = body;
        let value = Self::deserialize_with_mode(&mut reader, Compress::No, Validate::Yes)?;
        if !reader.is_empty() {
            return Err(format(format!("{} trailing bytes", reader.len())));
        }
        Ok(value)
    }

    /// Reads and parses a file; returns it with its hash.
    fn read(path: &Path) -> Result<(Self, [u8; 32])> {
        let bytes = fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok((Self::from_bytes(&bytes, path)?, keccak(&bytes)))
    }

    /// Writes the file (through a temporary file renamed into place); returns its hash.
    fn write(&self, path: &Path) -> Result<[u8; 32]> {
        let bytes = self.to_bytes();
        write_atomically(path, &bytes)?;
        Ok(keccak(&bytes))
    }
}

impl CeremonyFile for FixedPart {
    const MAGIC: [u8; 4] = FIXED_MAGIC;
}

impl CeremonyFile for Params {
    const MAGIC: [u8; 4] = PARAMS_MAGIC;
}

/// Writes `bytes` to `path` through a temporary file renamed into place, so a reader never sees
/// a partial file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = std::path::PathBuf::from(tmp);
    fs::write(&tmp, bytes).map_err(io(&tmp))?;
    fs::rename(&tmp, path).map_err(io(path))
}

#[cfg(test)]
mod tests {
    use ark_ec::AffineRepr;

    use super::*;

    fn params() -> Params {
        Params {
            fixed_hash: [7; 32],
            index: 3,
            delta_g1: G1Affine::generator(),
            delta_g2: G2Affine::generator(),
            h_query: vec![G1Affine::generator(); 3],
            l_query: vec![G1Affine::zero()],
        }
    }

    #[test]
    fn params_round_trip_and_bad_headers_are_rejected() {
        let path = Path::new("params.bin");
        let bytes = params().to_bytes();
        assert_eq!(&bytes[..4], b"FCPA");
        assert_eq!(Params::from_bytes(&bytes, path).unwrap(), params());
        assert_eq!(params().hash(), keccak(&bytes));

        let mut wrong_magic = bytes.clone();
        wrong_magic[0] = b'X';
        assert!(matches!(
            Params::from_bytes(&wrong_magic, path),
            Err(Error::Format { .. })
        ));
        let mut wrong_version = bytes.clone();
        wrong_version[4] = 2;
        assert!(matches!(
            Params::from_bytes(&wrong_version, path),
            Err(Error::Format { .. })
        ));
        assert!(matches!(
            FixedPart::from_bytes(&bytes, path),
            Err(Error::Format { .. })
        ));
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(matches!(
            Params::from_bytes(&trailing, path),
            Err(Error::Format { .. })
        ));
        // A point moved off the curve: the last byte of δ₁'s y coordinate.
        let mut off_curve = bytes;
        off_curve[8 + 32 + 4 + 63] ^= 1;
        assert!(matches!(
            Params::from_bytes(&off_curve, path),
            Err(Error::Serialization(_))
        ));
    }
}
