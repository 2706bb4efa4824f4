//! The manifest of keys exported by a trusted setup ceremony (`fernet-ceremony export`), read
//! by whoever loads those keys (broker, agents, deploy) without depending on the ceremony crate.
//!
//! A ceremony export directory holds `ceremony.json` ([`CEREMONY_MANIFEST_FILE`]) and one key
//! file per circuit (the format of [`crate::keys::write_key_pair`]), at the path the manifest
//! gives relative to the directory. The manifest names the ceremony by its transcript hash and
//! pins each key file by its keccak256, so a key file swapped after the export is refused.

use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha3::{Digest, Keccak256};

use crate::{
    keys::{write_key_pair, KeyPair},
    proof_system::evm::verifying_key_hash,
    Error, Groth16Bn254, ProofSystem, Result,
};

/// The manifest's file name in an export directory.
pub const CEREMONY_MANIFEST_FILE: &str = "ceremony.json";

/// The key file's name inside its circuit's directory (`<cache key>/ceremony-keys.bin`).
pub const CEREMONY_KEY_FILE: &str = "ceremony-keys.bin";

/// The manifest format version this build reads and writes.
pub const CEREMONY_MANIFEST_VERSION: u32 = 1;

/// `ceremony.json`: which ceremony made the keys, and one entry per circuit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CeremonyManifest {
    /// [`CEREMONY_MANIFEST_VERSION`].
    pub version: u32,
    /// The last link of the ceremony's transcript: what names these keys.
    #[serde(with = "hex32")]
    pub transcript_hash: [u8; 32],
    /// The circuits' keys.
    pub circuits: Vec<ManifestCircuit>,
}

/// The keys of one circuit in a [`CeremonyManifest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestCircuit {
    /// The circuit's [`crate::keys::CircuitId::cache_key`].
    pub id: String,
    /// [`crate::proof_system::R1csMatrices::digest`] of the circuit the keys were made for.
    #[serde(with = "hex32")]
    pub digest: [u8; 32],
    /// [`crate::proof_system::evm::verifying_key_hash`] of its verifying key, as the generated
    /// verifier reports it.
    #[serde(with = "hex32")]
    pub verification_key_hash: [u8; 32],
    /// The key file, relative to the manifest's directory.
    pub key_file: String,
    /// keccak256 of the key file.
    #[serde(with = "hex32")]
    pub key_file_keccak: [u8; 32],
}

/// One circuit's keys handed to [`CeremonyManifest::export`].
#[derive(Clone, Copy)]
pub struct ExportedCircuit<'a> {
    /// The circuit's [`crate::keys::CircuitId::cache_key`].
    pub id: &'a str,
    /// [`crate::proof_system::R1csMatrices::digest`] of the circuit the keys were made for.
    pub digest: [u8; 32],
    /// The keys.
    pub keys: &'a KeyPair<Groth16Bn254>,
}

impl CeremonyManifest {
    /// Writes the keys of `circuits` into the export directory `dir` (`<id>/ceremony-keys.bin`,
    /// compressed) and the manifest naming them by `transcript_hash` (`ceremony.json`), and
    /// returns the manifest. The one writer of export directories: `fernet-ceremony export`
    /// calls it with a verified ceremony's keys.
    pub fn export(
        dir: &Path,
        transcript_hash: [u8; 32],
        circuits: &[ExportedCircuit<'_>],
    ) -> Result<Self> {
        let mut entries = Vec::with_capacity(circuits.len());
        for circuit in circuits {
            let key_file = format!("{}/{CEREMONY_KEY_FILE}", circuit.id);
            let path = dir.join(&key_file);
            write_key_pair(&path, circuit.keys)?;
            entries.push(ManifestCircuit {
                id: circuit.id.to_owned(),
                digest: circuit.digest,
                verification_key_hash: verifying_key_hash(&circuit.keys.verifying_key),
                key_file,
                key_file_keccak: Keccak256::digest(read(&path)?).into(),
            });
        }
        let manifest = Self {
            version: CEREMONY_MANIFEST_VERSION,
            transcript_hash,
            circuits: entries,
        };
        manifest.write(&dir.join(CEREMONY_MANIFEST_FILE))?;
        Ok(manifest)
    }

    /// Reads the manifest of the export directory `dir` (its `ceremony.json`).
    pub fn read_dir(dir: &Path) -> Result<Self> {
        Self::read(&dir.join(CEREMONY_MANIFEST_FILE))
    }

    /// Loads the keys of the circuit with cache key `id` from the export directory `dir` this
    /// manifest describes: refused with [`Error::CeremonyKeysMissing`] when the manifest has
    /// no such circuit, and [`Error::KeyFileHash`] when the key file's keccak256 is not the
    /// pinned one; every point is validated.
    pub fn load_key_pair(&self, dir: &Path, id: &str) -> Result<KeyPair<Groth16Bn254>> {
        let circuit = self.circuit(id).ok_or_else(|| Error::CeremonyKeysMissing {
            dir: dir.to_path_buf(),
            circuit: id.to_owned(),
        })?;
        let path = dir.join(&circuit.key_file);
        let bytes = read(&path)?;
        let actual: [u8; 32] = Keccak256::digest(&bytes).into();
        if actual != circuit.key_file_keccak {
            return Err(Error::KeyFileHash {
                path,
                expected: format!("0x{}", hex::encode(circuit.key_file_keccak)),
                actual: format!("0x{}", hex::encode(actual)),
            });
        }
        let (proving_key, verifying_key) = Groth16Bn254::read_key_pair(bytes.as_slice())?;
        Ok(KeyPair::new(proving_key, verifying_key))
    }

    /// Reads and parses a manifest, checking its version.
    pub fn read(path: &Path) -> Result<Self> {
        let invalid = |reason: String| Error::CeremonyManifest {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let manifest: Self = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        if manifest.version != CEREMONY_MANIFEST_VERSION {
            return Err(invalid(format!(
                "version {}, this build reads {CEREMONY_MANIFEST_VERSION}",
                manifest.version
            )));
        }
        Ok(manifest)
    }

    /// Writes the manifest as pretty JSON.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The entry of the circuit with this cache key.
    pub fn circuit(&self, id: &str) -> Option<&ManifestCircuit> {
        self.circuits.iter().find(|c| c.id == id)
    }
}

/// The bytes of the file at `path`.
fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// `[u8; 32]` as `0x`-prefixed hex.
mod hex32 {
    use super::*;

    pub(super) fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("0x{}", hex::encode(bytes)))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        let digits = text
            .strip_prefix("0x")
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} does not start with 0x")))?;
        hex::decode(digits)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not 32 bytes of hex")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_round_trip_and_other_versions_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CEREMONY_MANIFEST_FILE);
        let manifest = CeremonyManifest {
            version: CEREMONY_MANIFEST_VERSION,
            transcript_hash: [0xab; 32],
            circuits: vec![ManifestCircuit {
                id: "block-0123456789abcdef".into(),
                digest: [1; 32],
                verification_key_hash: [2; 32],
                key_file: format!("block-0123456789abcdef/{CEREMONY_KEY_FILE}"),
                key_file_keccak: [3; 32],
            }],
        };
        manifest.write(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(&format!("\"transcriptHash\": \"0x{}\"", "ab".repeat(32))));
        assert_eq!(CeremonyManifest::read(&path).unwrap(), manifest);
        assert!(manifest.circuit("block-0123456789abcdef").is_some());

        let newer = CeremonyManifest {
            version: 2,
            ..manifest
        };
        newer.write(&path).unwrap();
        assert!(matches!(
            CeremonyManifest::read(&path),
            Err(Error::CeremonyManifest { .. })
        ));
    }
}
