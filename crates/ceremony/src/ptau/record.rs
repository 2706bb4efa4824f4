//! The contribution records of section 7, their public keys and the challenge hashes.
//!
//! A record holds the contributor's new `[τ]₁, [τ]₂, [α]₁, [β]₁, [β]₂`, a proof of knowledge of
//! each secret (`g1_s`, `g1_sx = x·g1_s`, `g2_spx = x·g2_sp` with `g2_sp` hashed from the previous
//! challenge), the response hasher's partial state and the next challenge, then TLV parameters
//! (name, beacon).

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use zeroize::Zeroize;

use crate::{
    blake2b::{Blake2b, DIGEST_BYTES, PARTIAL_STATE_BYTES},
    encoding::{to_u, FfjsPoint, G1_BYTES, G2_BYTES},
    error::ContributionFault,
    ffjs::{hash_to_g2, FfjsChaCha},
    Error, Result,
};

/// A 64-byte BLAKE2b digest (challenges and response hashes).
pub type Hash64 = [u8; DIGEST_BYTES];

/// Bytes of a public key: six G1 and three G2 points.
pub const PUBLIC_KEY_BYTES: usize = 6 * G1_BYTES + 3 * G2_BYTES;

/// The parameter type of a contributor's name.
const PARAM_NAME: u8 = 1;
/// The parameter type of a beacon's iteration exponent.
const PARAM_ITERATIONS_EXP: u8 = 2;
/// The parameter type of a beacon's hash.
const PARAM_BEACON_HASH: u8 = 3;
/// The longest name snarkjs keeps (in characters).
const NAME_CHARS: usize = 64;

/// The proof of knowledge of one secret `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyProof {
    /// A random G1 point `s`.
    pub g1_s: G1Affine,
    /// `x·s`.
    pub g1_sx: G1Affine,
    /// `x·g2_sp`, with `g2_sp` hashed from the previous challenge and `s, x·s`.
    pub g2_spx: G2Affine,
}

/// The proofs of knowledge of a contribution's τ, α and β.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey {
    /// For τ (personalization 0).
    pub tau: KeyProof,
    /// For α (personalization 1).
    pub alpha: KeyProof,
    /// For β (personalization 2).
    pub beta: KeyProof,
}

/// The three names and personalizations of the secrets, in record order.
pub(crate) const KEYS: [&str; 3] = ["tau", "alpha", "beta"];

impl PublicKey {
    /// The proofs of τ, α and β, in record order.
    pub fn proofs(&self) -> [&KeyProof; 3] {
        [&self.tau, &self.alpha, &self.beta]
    }

    /// The U encoding hashed into the response: the six G1 points then the three G2 points.
    pub fn to_u(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PUBLIC_KEY_BYTES);
        for proof in self.proofs() {
            proof.g1_s.write_u(&mut out);
            proof.g1_sx.write_u(&mut out);
        }
        for proof in self.proofs() {
            proof.g2_spx.write_u(&mut out);
        }
        out
    }

    /// The LEM encoding stored in the record.
    fn write_lem(&self, out: &mut Vec<u8>) {
        for proof in self.proofs() {
            proof.g1_s.write_lem(out);
            proof.g1_sx.write_lem(out);
        }
        for proof in self.proofs() {
            proof.g2_spx.write_lem(out);
        }
    }
}

/// The secrets of one contribution, wiped when dropped.
pub(crate) struct Secrets {
    /// τ.
    pub(crate) tau: Fr,
    /// α.
    pub(crate) alpha: Fr,
    /// β.
    pub(crate) beta: Fr,
}

impl Drop for Secrets {
    fn drop(&mut self) {
        self.tau.zeroize();
        self.alpha.zeroize();
        self.beta.zeroize();
    }
}

/// snarkjs' `createPTauKey`: the three secrets, then for each a random `g1_s` and its proof,
/// all drawn from one ffjavascript ChaCha stream (the beacon's, or one seeded by entropy).
pub(crate) fn create_key(prev_challenge: &Hash64, rng: &mut FfjsChaCha) -> (Secrets, PublicKey) {
    let secrets = Secrets {
        tau: rng.fr(),
        alpha: rng.fr(),
        beta: rng.fr(),
    };
    let mut proof = |personalization: u8, x: Fr| {
        let g1_s = rng.g1();
        let g1_sx = (g1_s * x).into_affine();
        let g2_sp = g2_sp(personalization, prev_challenge, &g1_s, &g1_sx);
        KeyProof {
            g1_s,
            g1_sx,
            g2_spx: (g2_sp * x).into_affine(),
        }
    };
    let key = PublicKey {
        tau: proof(0, secrets.tau),
        alpha: proof(1, secrets.alpha),
        beta: proof(2, secrets.beta),
    };
    (secrets, key)
}

/// snarkjs' `getG2sp`: `hashToG2(BLAKE2b(personalization ‖ challenge ‖ U(s) ‖ U(x·s)))`.
pub fn g2_sp(
    personalization: u8,
    challenge: &Hash64,
    g1_s: &G1Affine,
    g1_sx: &G1Affine,
) -> G2Affine {
    let mut hasher = Blake2b::new();
    hasher.update(&[personalization]);
    hasher.update(challenge);
    hasher.update(&to_u(g1_s));
    hasher.update(&to_u(g1_sx));
    let digest = hasher.finalize();
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&digest[..32]);
    hash_to_g2(&seed)
}

/// The parameters of a beacon contribution (record type 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BeaconParams {
    /// The public random value (e.g. a block hash), 1 to 255 bytes.
    pub hash: Vec<u8>,
    /// SHA-256 is iterated `2^iterations_exp` times over it (10 to 63).
    pub iterations_exp: u8,
}

impl BeaconParams {
    /// Checks the limits snarkjs' `beacon` enforces.
    pub fn new(hash: Vec<u8>, iterations_exp: u8) -> Result<Self> {
        if hash.is_empty() || hash.len() > 255 {
            return Err(Error::BeaconParams {
                reason: format!("the beacon hash has {} bytes, not 1 to 255", hash.len()),
            });
        }
        if !(10..=63).contains(&iterations_exp) {
            return Err(Error::BeaconParams {
                reason: format!("the iteration exponent {iterations_exp} is not in 10..=63"),
            });
        }
        Ok(Self {
            hash,
            iterations_exp,
        })
    }
}

/// One record of section 7.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    /// `[τ]₁` after this contribution.
    pub tau_g1: G1Affine,
    /// `[τ]₂` after this contribution.
    pub tau_g2: G2Affine,
    /// `[α]₁` after this contribution.
    pub alpha_g1: G1Affine,
    /// `[β]₁` after this contribution.
    pub beta_g1: G1Affine,
    /// `[β]₂` after this contribution.
    pub beta_g2: G2Affine,
    /// The proofs of knowledge.
    pub key: PublicKey,
    /// The response hasher's state before the public key was absorbed.
    pub partial_hash: [u8; PARTIAL_STATE_BYTES],
    /// The challenge the next contributor builds on.
    pub next_challenge: Hash64,
    /// The contributor's name, if given.
    pub name: Option<String>,
    /// The beacon's parameters, for a beacon record.
    pub beacon: Option<BeaconParams>,
}

/// The powers before the first contribution: every point is a generator.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ChainHead<'a> {
    pub(crate) tau_g1: G1Affine,
    pub(crate) tau_g2: G2Affine,
    pub(crate) alpha_g1: G1Affine,
    pub(crate) beta_g1: G1Affine,
    pub(crate) beta_g2: G2Affine,
    pub(crate) next_challenge: &'a Hash64,
}

impl<'a> ChainHead<'a> {
    /// The head before any contribution.
    pub(crate) fn initial(first_challenge: &'a Hash64) -> Self {
        let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
        Self {
            tau_g1: g1,
            tau_g2: g2,
            alpha_g1: g1,
            beta_g1: g1,
            beta_g2: g2,
            next_challenge: first_challenge,
        }
    }

    /// The head after `record`.
    pub(crate) fn after(record: &'a Contribution) -> Self {
        Self {
            tau_g1: record.tau_g1,
            tau_g2: record.tau_g2,
            alpha_g1: record.alpha_g1,
            beta_g1: record.beta_g1,
            beta_g2: record.beta_g2,
            next_challenge: &record.next_challenge,
        }
    }
}

impl Contribution {
    /// The response hash: the partial state resumed, then the U-encoded public key.
    pub fn response_hash(&self) -> std::result::Result<Hash64, ContributionFault> {
        let mut hasher =
            Blake2b::resume(&self.partial_hash).map_err(ContributionFault::PartialHash)?;
        hasher.update(&self.key.to_u());
        Ok(hasher.finalize())
    }

    /// Appends the record in the file's encoding.
    fn write(&self, out: &mut Vec<u8>) {
        self.tau_g1.write_lem(out);
        self.tau_g2.write_lem(out);
        self.alpha_g1.write_lem(out);
        self.beta_g1.write_lem(out);
        self.beta_g2.write_lem(out);
        self.key.write_lem(out);
        out.extend_from_slice(&self.partial_hash);
        out.extend_from_slice(&self.next_challenge);
        out.extend_from_slice(&u32::from(self.beacon.is_some()).to_le_bytes());
        let mut params = Vec::new();
        if let Some(name) = self.name.as_deref().filter(|name| !name.is_empty()) {
            let name = truncated_name(name);
            params.push(PARAM_NAME);
            params.push(name.len() as u8);
            params.extend_from_slice(name.as_bytes());
        }
        if let Some(beacon) = &self.beacon {
            params.extend_from_slice(&[PARAM_ITERATIONS_EXP, beacon.iterations_exp]);
            params.push(PARAM_BEACON_HASH);
            params.push(beacon.hash.len() as u8);
            params.extend_from_slice(&beacon.hash);
        }
        out.extend_from_slice(&(params.len() as u32).to_le_bytes());
        out.extend_from_slice(&params);
    }
}

/// The name as snarkjs stores it: at most 64 characters, and at most 255 bytes.
fn truncated_name(name: &str) -> &str {
    let mut end = name
        .char_indices()
        .nth(NAME_CHARS)
        .map_or(name.len(), |(at, _)| at);
    while end > 255 || !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// Section 7: the record count, then the records.
pub fn write_contributions(records: &[Contribution]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(records.len() as u32).to_le_bytes());
    for record in records {
        record.write(&mut out);
    }
    out
}

/// A cursor over section 7 whose errors name the record.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> std::result::Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(len)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| {
            format!(
                "section 7 ends at byte {} inside a record",
                self.bytes.len()
            )
        })?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn u32(&mut self) -> std::result::Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u8(&mut self) -> std::result::Result<u8, String> {
        Ok(self.take(1)?[0])
    }
}

/// Parses section 7, decoding and checking every point. `path` names the file in format errors.
pub fn read_contributions(bytes: &[u8], path: &std::path::Path) -> Result<Vec<Contribution>> {
    let format = |reason: String| Error::Format {
        path: path.to_path_buf(),
        reason,
    };
    let mut reader = Reader { bytes, at: 0 };
    let count = reader.u32().map_err(format)?;
    let mut records = Vec::new();
    for index in 1..=count as usize {
        let record = read_record(&mut reader, index)?;
        records.push(record.map_err(|reason| format(format!("contribution {index}: {reason}")))?);
    }
    if reader.at != bytes.len() {
        return Err(format(format!(
            "section 7 has {} bytes after the records",
            bytes.len() - reader.at
        )));
    }
    Ok(records)
}

/// One record: `Err` for a point fault (attributed to the record), `Ok(Err)` for a format fault.
fn read_record(
    reader: &mut Reader<'_>,
    index: usize,
) -> Result<std::result::Result<Contribution, String>> {
    let fault = |what: &'static str| {
        move |fault| Error::Phase1Contribution {
            index,
            reason: ContributionFault::InvalidPoint { what, fault },
        }
    };
    macro_rules! point {
        ($ty:ty, $what:literal) => {
            match reader.take(<$ty as FfjsPoint>::BYTES) {
                Ok(bytes) => <$ty>::read_lem(bytes).map_err(fault($what))?,
                Err(reason) => return Ok(Err(reason)),
            }
        };
    }
    let tau_g1 = point!(G1Affine, "tauG1");
    let tau_g2 = point!(G2Affine, "tauG2");
    let alpha_g1 = point!(G1Affine, "alphaG1");
    let beta_g1 = point!(G1Affine, "betaG1");
    let beta_g2 = point!(G2Affine, "betaG2");
    let tau_s = point!(G1Affine, "tau.g1_s");
    let tau_sx = point!(G1Affine, "tau.g1_sx");
    let alpha_s = point!(G1Affine, "alpha.g1_s");
    let alpha_sx = point!(G1Affine, "alpha.g1_sx");
    let beta_s = point!(G1Affine, "beta.g1_s");
    let beta_sx = point!(G1Affine, "beta.g1_sx");
    let tau_spx = point!(G2Affine, "tau.g2_spx");
    let alpha_spx = point!(G2Affine, "alpha.g2_spx");
    let beta_spx = point!(G2Affine, "beta.g2_spx");
    let key = PublicKey {
        tau: KeyProof {
            g1_s: tau_s,
            g1_sx: tau_sx,
            g2_spx: tau_spx,
        },
        alpha: KeyProof {
            g1_s: alpha_s,
            g1_sx: alpha_sx,
            g2_spx: alpha_spx,
        },
        beta: KeyProof {
            g1_s: beta_s,
            g1_sx: beta_sx,
            g2_spx: beta_spx,
        },
    };
    Ok(read_tail(reader).map(
        |(partial_hash, next_challenge, name, beacon)| Contribution {
            tau_g1,
            tau_g2,
            alpha_g1,
            beta_g1,
            beta_g2,
            key,
            partial_hash,
            next_challenge,
            name,
            beacon,
        },
    ))
}

/// The bytes of a record after its points.
type Tail = (
    [u8; PARTIAL_STATE_BYTES],
    Hash64,
    Option<String>,
    Option<BeaconParams>,
);

/// The partial hash, next challenge, type and parameters of a record.
fn read_tail(reader: &mut Reader<'_>) -> std::result::Result<Tail, String> {
    let mut partial_hash = [0u8; PARTIAL_STATE_BYTES];
    partial_hash.copy_from_slice(reader.take(PARTIAL_STATE_BYTES)?);
    let mut next_challenge = [0u8; DIGEST_BYTES];
    next_challenge.copy_from_slice(reader.take(DIGEST_BYTES)?);
    let kind = reader.u32()?;
    let length = reader.u32()? as usize;
    let params = reader.take(length)?;
    let mut params = Reader {
        bytes: params,
        at: 0,
    };
    let (mut name, mut iterations_exp, mut beacon_hash) = (None, None, None);
    let mut last_type = 0;
    while params.at < params.bytes.len() {
        let param = params.u8()?;
        if param <= last_type {
            return Err(format!("parameter {param} is out of order"));
        }
        last_type = param;
        match param {
            PARAM_NAME => {
                let len = params.u8()? as usize;
                let bytes = params.take(len)?;
                name = Some(String::from_utf8_lossy(bytes).into_owned());
            }
            PARAM_ITERATIONS_EXP => iterations_exp = Some(params.u8()?),
            PARAM_BEACON_HASH => {
                let len = params.u8()? as usize;
                beacon_hash = Some(params.take(len)?.to_vec());
            }
            other => return Err(format!("unknown parameter {other}")),
        }
    }
    let beacon = match (kind, iterations_exp, beacon_hash) {
        (0, None, None) => None,
        // The limits of snarkjs' `beacon`, which also keep the SHA-256 loop countable.
        (1, Some(iterations_exp), Some(hash)) => {
            Some(BeaconParams::new(hash, iterations_exp).map_err(|err| err.to_string())?)
        }
        (kind, ..) => return Err(format!("type {kind} does not match its parameters")),
    };
    Ok((partial_hash, next_challenge, name, beacon))
}

/// The first challenge of a ceremony of `2^28`: the Perpetual Powers of Tau (and the Hermez
/// files cut from it) start there. Hashing its 103 GB of input took 157 s here; the value is the
/// BLAKE2b of `challenge_initial` published in PPoT's attestation 0001.
const FIRST_CHALLENGE_28: &str = "93da91920d5a54a8a0fde55cd9dc3a10c4f3eef768b62c0948741370864254b4\
                                  c1920f3f29d4ebc0ef3acecf2e2db63a755713d77e1ed77347a56fbc317c7a93";

/// snarkjs' `calculateFirstChallengeHash`: BLAKE2b over BLAKE2b("") and the U encodings of the
/// initial sections (every point a generator) of a ceremony of `2^ceremony_power` (a constant
/// for 28).
pub fn first_challenge_hash(ceremony_power: u32) -> Hash64 {
    if ceremony_power == 28 {
        let mut out = [0u8; DIGEST_BYTES];
        hex::decode_to_slice(FIRST_CHALLENGE_28, &mut out).expect("a 64-byte hex constant");
        return out;
    }
    let g1 = to_u(&G1Affine::generator());
    let g2 = to_u(&G2Affine::generator());
    let mut hasher = Blake2b::new();
    hasher.update(&Blake2b::digest(&[]));
    let n = 1u64 << ceremony_power;
    let mut repeat = |point: &[u8], count: u64| {
        const BATCH: u64 = 1024;
        let batch = point.repeat(BATCH as usize);
        for _ in 0..count / BATCH {
            hasher.update(&batch);
        }
        for _ in 0..count % BATCH {
            hasher.update(point);
        }
    };
    repeat(&g1, 2 * n - 1);
    repeat(&g2, n);
    repeat(&g1, n);
    repeat(&g1, n);
    hasher.update(&g2);
    hasher.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `snarkjs powersoftau new bn128 10 p0.ptau -v` logs it as "First Contribution Hash".
    #[test]
    fn first_challenge_of_power_10_matches_snarkjs() {
        assert_eq!(
            hex::encode(first_challenge_hash(10)),
            "95f0b4499e50f8da383b0d74c174c1698bdffe1b35066754005889a147849bbf\
             8d64ff6c989bd89a4736b569a99a1c83a50dc181e9fe1d4d23d1888a98b3157e"
        );
    }

    /// The constant (computed by the function above in 157 s) is PPoT's published
    /// `challenge_initial` hash, whole.
    #[test]
    fn first_challenge_of_power_28_is_ppot_s() {
        let ppot = "93da91920d5a54a8a0fde55cd9dc3a10c4f3eef768b62c0948741370864254b4c1920f3f29d4ebc0ef3acecf2e2db63a755713d77e1ed77347a56fbc317c7a93";
        assert_eq!(hex::encode(first_challenge_hash(28)), ppot);
    }

    #[test]
    fn names_are_cut_like_snarkjs() {
        assert_eq!(truncated_name("alice"), "alice");
        assert_eq!(truncated_name(&"a".repeat(70)).len(), 64);
        assert_eq!(truncated_name(&"€".repeat(70)).chars().count(), 64);
        assert_eq!(truncated_name(&"𝄞".repeat(70)).len(), 252);
    }

    #[test]
    fn records_round_trip() {
        let challenge = [7u8; 64];
        let (_, key) = create_key(&challenge, &mut FfjsChaCha::new([1; 8]));
        let record = Contribution {
            tau_g1: key.tau.g1_sx,
            tau_g2: key.tau.g2_spx,
            alpha_g1: key.alpha.g1_sx,
            beta_g1: key.beta.g1_sx,
            beta_g2: key.beta.g2_spx,
            key,
            partial_hash: Blake2b::new().export(),
            next_challenge: challenge,
            name: Some("alice".into()),
            beacon: Some(BeaconParams::new(vec![1, 2, 3], 10).unwrap()),
        };
        let bytes = write_contributions(std::slice::from_ref(&record));
        let path = std::path::Path::new("test.ptau");
        assert_eq!(read_contributions(&bytes, path).unwrap(), vec![record]);
        assert!(read_contributions(&bytes[..bytes.len() - 1], path).is_err());
    }
}
