//! The phase 2 transcript: what `new` fixed for each circuit and every contribution since, as
//! versioned JSON with a keccak256 hash chain.
//!
//! The chain starts at the genesis link, a hash of the circuits' entries; each record's link
//! hashes the link before it and the record. The transcript hash, which names the ceremony's
//! keys in the deployment record, is the last link. Links hash a canonical byte encoding (see
//! [`CircuitEntry::encode`] and [`Record::compute_link`]), never the JSON text, so formatting
//! does not matter. Hashes are `0x`-prefixed hex, points compressed arkworks bytes in hex.
//!
//! Loading checks the version and recomputes every link: a record edited without recomputing
//! the links after it is refused as a broken link. A forger who also recomputes the links is
//! caught by [`crate::phase2::verify::verify_chain`], which checks each record's proofs before
//! its link, so the fault names what was forged.

use std::{fmt, fs, path::Path, str::FromStr};

use ark_bn254::{G1Affine, G2Affine};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha3::{Digest, Keccak256};

use crate::{
    phase2::{params::write_atomically, verify::EVERY_CIRCUIT},
    ContributionFault, Error, Result,
};

/// The transcript format version this build reads and writes.
pub const TRANSCRIPT_VERSION: u32 = 1;

/// The transcript's file name in a ceremony directory.
pub const TRANSCRIPT_FILE: &str = "transcript.json";

/// Domain separator of the genesis link.
const GENESIS_DOMAIN: &[u8] = b"fernet-ceremony/transcript/v1";

/// Domain separator of a record's link.
const LINK_DOMAIN: &[u8] = b"fernet-ceremony/link/v1";

/// A 32-byte hash, `0x`-prefixed hex in JSON and in messages.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Hash32(pub [u8; 32]);

impl fmt::Display for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Hash32 {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let digits = text
            .strip_prefix("0x")
            .ok_or_else(|| format!("{text:?} does not start with 0x"))?;
        let bytes = hex::decode(digits).map_err(|e| format!("{text:?}: {e}"))?;
        Ok(Self(bytes.try_into().map_err(|b: Vec<u8>| {
            format!("{text:?} is {} bytes, not 32", b.len())
        })?))
    }
}

impl Serialize for Hash32 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hash32 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A curve point in JSON: compressed arkworks bytes as `0x` hex, validated when read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Point<G>(pub G);

impl<G: CanonicalSerialize> Point<G> {
    /// The compressed bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        self.0
            .serialize_compressed(&mut bytes)
            .expect("serializing into a Vec cannot fail");
        bytes
    }
}

impl<G: CanonicalSerialize> Serialize for Point<G> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("0x{}", hex::encode(self.to_bytes())))
    }
}

impl<'de, G: CanonicalDeserialize> Deserialize<'de> for Point<G> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let bytes = text
            .strip_prefix("0x")
            .and_then(|digits| hex::decode(digits).ok())
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not 0x hex")))?;
        G::deserialize_compressed(bytes.as_slice())
            .map(Point)
            .map_err(|e| serde::de::Error::custom(format!("invalid point {text}: {e}")))
    }
}

/// What `new` fixed for one circuit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CircuitEntry {
    /// The circuit's key-file id ([`fernet_circuits::keys::CircuitId::cache_key`]).
    pub id: String,
    /// The digest of its matrices.
    pub digest: Hash32,
    /// Instance variables, the constant one included.
    pub num_instance: u64,
    /// Witness variables.
    pub num_witness: u64,
    /// log2 of its QAP domain.
    pub domain_log: u32,
    /// [`crate::phase2::init::powers_hash`] of the powers of tau it was built from.
    pub powers_hash: Hash32,
    /// The hash of its fixed-part file.
    pub fixed_hash: Hash32,
    /// The hash of its initial params file (contribution 0).
    pub initial_params: Hash32,
}

impl CircuitEntry {
    /// The canonical bytes: `u32` id length, id, digest, `u64` instance and witness counts,
    /// `u32` domain log, powers hash, fixed hash, initial params hash (integers big-endian).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend((self.id.len() as u32).to_be_bytes());
        out.extend(self.id.as_bytes());
        out.extend(self.digest.0);
        out.extend(self.num_instance.to_be_bytes());
        out.extend(self.num_witness.to_be_bytes());
        out.extend(self.domain_log.to_be_bytes());
        out.extend(self.powers_hash.0);
        out.extend(self.fixed_hash.0);
        out.extend(self.initial_params.0);
    }
}

/// Who made a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RecordKind {
    /// A participant with a secret of their own.
    Contribution,
    /// The public random beacon: its secret is derived from a value nobody could predict.
    Beacon,
}

/// The beacon value a beacon record was derived from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BeaconValue {
    /// The value (an L1 block hash announced in advance).
    pub value: Hash32,
    /// `sha256` is iterated `2^iterations_exp` times over it.
    pub iterations_exp: u32,
}

/// One circuit's part of a record: the params it went from and to, and the proof that the
/// contributor knows the secret δ was multiplied by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CircuitRecord {
    /// The hash of the params it was built on.
    pub params_before: Hash32,
    /// The hash of the params it produced.
    pub params_after: Hash32,
    /// `[x]₁` for a random `x`.
    pub x_g1: Point<G1Affine>,
    /// `[x·s]₁`.
    pub xs_g1: Point<G1Affine>,
    /// `s·r` where `r` is hashed to G2 from the challenge (previous link, `x_g1`, `xs_g1`).
    pub rs_g2: Point<G2Affine>,
    /// `[δ]₁` after the contribution.
    pub delta_after_g1: Point<G1Affine>,
    /// `[δ]₂` after the contribution.
    pub delta_after_g2: Point<G2Affine>,
}

/// One contribution (or the beacon) to every circuit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// Its position, 1-based.
    pub index: usize,
    /// The contributor's name (free text).
    pub name: String,
    /// A participant or the beacon.
    pub kind: RecordKind,
    /// The link before it.
    pub prev_link: Hash32,
    /// One part per circuit, in the transcript's circuit order.
    pub circuits: Vec<CircuitRecord>,
    /// The beacon value of a beacon record.
    pub beacon: Option<BeaconValue>,
    /// keccak256 of the previous link and this record ([`Record::compute_link`]).
    pub link: Hash32,
}

impl Record {
    /// The link of this record: keccak256 of `"fernet-ceremony/link/v1"`, the previous link,
    /// `u32` index, `u8` kind (0 contribution, 1 beacon), `u32` name length, name, `u32` number
    /// of circuits, for each circuit params before and after then `x_g1`, `xs_g1`, `rs_g2`,
    /// `delta_after_g1`, `delta_after_g2` compressed, then `0`, or `1`, the beacon value and
    /// the `u32` exponent (integers big-endian).
    pub fn compute_link(&self) -> Hash32 {
        let mut bytes = LINK_DOMAIN.to_vec();
        bytes.extend(self.prev_link.0);
        bytes.extend((self.index as u32).to_be_bytes());
        bytes.push(match self.kind {
            RecordKind::Contribution => 0,
            RecordKind::Beacon => 1,
        });
        bytes.extend((self.name.len() as u32).to_be_bytes());
        bytes.extend(self.name.as_bytes());
        bytes.extend((self.circuits.len() as u32).to_be_bytes());
        for circuit in &self.circuits {
            bytes.extend(circuit.params_before.0);
            bytes.extend(circuit.params_after.0);
            bytes.extend(circuit.x_g1.to_bytes());
            bytes.extend(circuit.xs_g1.to_bytes());
            bytes.extend(circuit.rs_g2.to_bytes());
            bytes.extend(circuit.delta_after_g1.to_bytes());
            bytes.extend(circuit.delta_after_g2.to_bytes());
        }
        match &self.beacon {
            None => bytes.push(0),
            Some(beacon) => {
                bytes.push(1);
                bytes.extend(beacon.value.0);
                bytes.extend(beacon.iterations_exp.to_be_bytes());
            }
        }
        Hash32(Keccak256::digest(&bytes).into())
    }
}

/// A ceremony's phase 2 transcript.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transcript {
    /// [`TRANSCRIPT_VERSION`].
    pub version: u32,
    /// The circuits, in the order every record lists them.
    pub circuits: Vec<CircuitEntry>,
    /// The first link: keccak256 of `"fernet-ceremony/transcript/v1"`, the `u32` number of
    /// circuits and each [`CircuitEntry::encode`].
    pub genesis: Hash32,
    /// The contributions, in order.
    pub contributions: Vec<Record>,
    /// The last link (the genesis while there is no contribution).
    pub transcript_hash: Hash32,
}

impl Transcript {
    /// A transcript of these circuits without contributions.
    pub fn new(circuits: Vec<CircuitEntry>) -> Self {
        let genesis = genesis_link(&circuits);
        Self {
            version: TRANSCRIPT_VERSION,
            circuits,
            genesis,
            contributions: Vec::new(),
            transcript_hash: genesis,
        }
    }

    /// The last recorded link: what the next record builds on.
    pub fn head(&self) -> Hash32 {
        self.contributions
            .last()
            .map_or(self.genesis, |record| record.link)
    }

    /// The index the next record takes.
    pub fn next_index(&self) -> usize {
        self.contributions.len() + 1
    }

    /// The hashes of the latest params of every circuit.
    pub fn latest_params(&self) -> Vec<Hash32> {
        match self.contributions.last() {
            Some(record) => record.circuits.iter().map(|c| c.params_after).collect(),
            None => self.circuits.iter().map(|c| c.initial_params).collect(),
        }
    }

    /// Appends `record`, setting its link, and moves the transcript hash to it.
    pub fn append(&mut self, mut record: Record) -> &Record {
        record.link = record.compute_link();
        self.transcript_hash = record.link;
        self.contributions.push(record);
        self.contributions.last().expect("just pushed")
    }

    /// Parses a transcript; checks its version and every link ([`Transcript::check_links`]).
    pub fn from_json(text: &str) -> Result<Self> {
        let transcript: Self = serde_json::from_str(text)?;
        if transcript.version != TRANSCRIPT_VERSION {
            return Err(Error::Transcript {
                reason: format!(
                    "version {}, this build reads {TRANSCRIPT_VERSION}",
                    transcript.version
                ),
            });
        }
        transcript.check_links()?;
        Ok(transcript)
    }

    /// Recomputes the genesis link and every record's link and compares them with the recorded
    /// ones, then the transcript hash with the last link.
    pub fn check_links(&self) -> Result<()> {
        let genesis = genesis_link(&self.circuits);
        if genesis != self.genesis {
            return Err(Error::Transcript {
                reason: format!(
                    "the genesis link is {}, the circuits hash to {genesis}",
                    self.genesis
                ),
            });
        }
        let mut prev = genesis;
        for (position, record) in self.contributions.iter().enumerate() {
            if record.prev_link != prev || record.compute_link() != record.link {
                return Err(Error::Contribution {
                    index: position + 1,
                    circuit: EVERY_CIRCUIT.to_owned(),
                    reason: ContributionFault::BrokenLink,
                });
            }
            prev = record.link;
        }
        if self.transcript_hash != prev {
            return Err(Error::TranscriptHash {
                recorded: self.transcript_hash.to_string(),
                computed: prev.to_string(),
            });
        }
        Ok(())
    }

    /// The transcript as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a transcript serializes")
    }

    /// Reads and parses a transcript file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text)
    }

    /// Writes the transcript file atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_atomically(path, self.to_json().as_bytes())
    }
}

/// The genesis link of these circuits.
pub fn genesis_link(circuits: &[CircuitEntry]) -> Hash32 {
    let mut bytes = GENESIS_DOMAIN.to_vec();
    bytes.extend((circuits.len() as u32).to_be_bytes());
    for circuit in circuits {
        circuit.encode(&mut bytes);
    }
    Hash32(Keccak256::digest(&bytes).into())
}

#[cfg(test)]
mod tests {
    use ark_ec::AffineRepr;

    use super::*;

    fn entry() -> CircuitEntry {
        CircuitEntry {
            id: "ceremony-test-0123456789abcdef".into(),
            digest: Hash32([1; 32]),
            num_instance: 9,
            num_witness: 300,
            domain_log: 9,
            powers_hash: Hash32([2; 32]),
            fixed_hash: Hash32([3; 32]),
            initial_params: Hash32([4; 32]),
        }
    }

    fn record(prev_link: Hash32) -> Record {
        let g1 = Point(G1Affine::generator());
        let g2 = Point(G2Affine::generator());
        Record {
            index: 1,
            name: "alice".into(),
            kind: RecordKind::Contribution,
            prev_link,
            circuits: vec![CircuitRecord {
                params_before: Hash32([4; 32]),
                params_after: Hash32([5; 32]),
                x_g1: g1,
                xs_g1: g1,
                rs_g2: g2,
                delta_after_g1: g1,
                delta_after_g2: g2,
            }],
            beacon: None,
            link: Hash32::default(),
        }
    }

    #[test]
    fn json_round_trips_and_the_hash_is_the_last_link() {
        let mut transcript = Transcript::new(vec![entry()]);
        assert_eq!(transcript.transcript_hash, transcript.genesis);
        let genesis = transcript.head();
        transcript.append(record(genesis));
        assert_ne!(transcript.transcript_hash, genesis);
        let json = transcript.to_json();
        assert!(json.contains("\"transcriptHash\": \"0x"), "{json}");
        assert_eq!(Transcript::from_json(&json).unwrap(), transcript);

        let mut edited = transcript.clone();
        edited.transcript_hash = Hash32([9; 32]);
        assert!(matches!(
            Transcript::from_json(&edited.to_json()),
            Err(Error::TranscriptHash { .. })
        ));
        let mut renamed = transcript.clone();
        renamed.contributions[0].name = "mallory".into();
        assert!(matches!(
            Transcript::from_json(&renamed.to_json()),
            Err(Error::Contribution {
                index: 1,
                reason: ContributionFault::BrokenLink,
                ..
            })
        ));
        let mut other_circuits = transcript.clone();
        other_circuits.circuits[0].num_witness += 1;
        assert!(matches!(
            Transcript::from_json(&other_circuits.to_json()),
            Err(Error::Transcript { .. })
        ));
        let mut newer = transcript;
        newer.version = 2;
        assert!(matches!(
            Transcript::from_json(&newer.to_json()),
            Err(Error::Transcript { .. })
        ));
    }

    #[test]
    fn links_cover_every_field() {
        let base = record(Hash32([8; 32]));
        let link = base.compute_link();
        let mut renamed = base.clone();
        renamed.name = "mallory".into();
        let mut beacon = base.clone();
        beacon.beacon = Some(BeaconValue {
            value: Hash32([0; 32]),
            iterations_exp: 0,
        });
        let mut moved = base.clone();
        moved.circuits[0].params_after = Hash32([6; 32]);
        for other in [renamed, beacon, moved] {
            assert_ne!(other.compute_link(), link);
        }
        let mut other_entry = entry();
        other_entry.num_witness += 1;
        assert_ne!(genesis_link(&[entry()]), genesis_link(&[other_entry]));
    }
}
