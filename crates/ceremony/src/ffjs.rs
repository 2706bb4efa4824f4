//! Bit-exact ports of the ffjavascript / snarkjs randomness that phase 1 files depend on.
//!
//! snarkjs derives the `g2_sp` points of the proofs of knowledge (`hashToG2`) and the beacon's
//! keys from ffjavascript's ChaCha stream and its `fromRng` samplers. Two quirks matter: a 64-bit
//! draw puts its **first** 32-bit word high, and `F.fromRng` uses the sampled integer **as the
//! Montgomery form** of the element (so the element is `v·R⁻¹`), which [`Fq::new_unchecked`]
//! reproduces.

use ark_bn254::{g2, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::{short_weierstrass::SWCurveConfig, AffineRepr, CurveConfig, CurveGroup};
use ark_ff::{BigInt, Field, PrimeField};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};

use crate::encoding::Coordinate;

/// ffjavascript's `ChaCha`: ChaCha20 keyed by eight u32 words, block counter from zero.
pub struct FfjsChaCha(ChaCha20Rng);

impl FfjsChaCha {
    /// The stream of ffjavascript's `new ChaCha(seed)`.
    pub fn new(seed: [u32; 8]) -> Self {
        let mut key = [0u8; 32];
        for (bytes, word) in key.chunks_exact_mut(4).zip(seed) {
            bytes.copy_from_slice(&word.to_le_bytes());
        }
        Self(ChaCha20Rng::from_seed(key))
    }

    /// The stream seeded by the first 32 bytes of `bytes` read as eight big-endian u32, as
    /// snarkjs seeds it from a hash.
    pub fn from_hash(bytes: &[u8; 32]) -> Self {
        let mut seed = [0u32; 8];
        for (word, chunk) in seed.iter_mut().zip(bytes.chunks_exact(4)) {
            *word = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        Self::new(seed)
    }

    /// `nextU32`.
    pub fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    /// `nextU64`: the first word is the high half.
    pub fn next_u64(&mut self) -> u64 {
        let high = u64::from(self.next_u32());
        (high << 32) | u64::from(self.next_u32())
    }

    /// `nextBool`: the low bit of a word.
    pub fn next_bool(&mut self) -> bool {
        self.next_u32() & 1 == 1
    }

    /// `F.fromRng` for a 254-bit prime field: four `nextU64` (least significant first), masked
    /// to 254 bits, redrawn until below the modulus; returned as raw limbs.
    fn raw_254(&mut self, modulus: BigInt<4>) -> BigInt<4> {
        loop {
            let mut limbs = [0u64; 4];
            for limb in &mut limbs {
                *limb = self.next_u64();
            }
            limbs[3] &= (1 << 62) - 1;
            let value = BigInt::new(limbs);
            if value < modulus {
                return value;
            }
        }
    }

    /// `Fq.fromRng`, with the Montgomery quirk.
    pub fn fq(&mut self) -> Fq {
        Fq::new_unchecked(self.raw_254(Fq::MODULUS))
    }

    /// `Fr.fromRng`, with the Montgomery quirk: the private keys of snarkjs contributions and
    /// beacons.
    pub fn fr(&mut self) -> Fr {
        Fr::new_unchecked(self.raw_254(Fr::MODULUS))
    }

    /// `F2.fromRng`: `c0` then `c1`.
    pub fn fq2(&mut self) -> Fq2 {
        let c0 = self.fq();
        Fq2::new(c0, self.fq())
    }

    /// `G1.fromRng`.
    pub fn g1(&mut self) -> G1Affine {
        let (x, y) = self.curve_point::<ark_bn254::g1::Config>(Self::fq);
        G1Affine::new_unchecked(x, y)
    }

    /// `G2.fromRng`: a point of the twist, then multiplied by the full cofactor.
    pub fn g2(&mut self) -> G2Affine {
        let (x, y) = self.curve_point::<g2::Config>(Self::fq2);
        let raw = G2Affine::new_unchecked(x, y);
        raw.mul_bigint(<g2::Config as CurveConfig>::COFACTOR)
            .into_affine()
    }

    /// The loop of `fromRng`: an `x`, a sign bit, until `x³ + b` is a square; `y` is negated so
    /// that it is "negative" exactly when the sign bit is set.
    fn curve_point<P: SWCurveConfig>(
        &mut self,
        field: fn(&mut Self) -> P::BaseField,
    ) -> (P::BaseField, P::BaseField)
    where
        P::BaseField: Coordinate,
    {
        loop {
            let x = field(self);
            let greatest = self.next_bool();
            if let Some(y) = (x.square() * x + P::COEFF_B).sqrt() {
                let y = if y.is_negative() != greatest { -y } else { y };
                return (x, y);
            }
        }
    }
}

/// snarkjs' `hashToG2`: the G2 point drawn from the ChaCha stream seeded by the first 32 bytes of
/// a hash (eight big-endian u32).
pub fn hash_to_g2(seed: &[u8; 32]) -> G2Affine {
    FfjsChaCha::from_hash(seed).g2()
}

/// snarkjs' `rngFromBeaconParams`: SHA-256 applied `2^iterations_exp` times to the beacon hash,
/// then the ChaCha stream seeded by the result.
pub fn beacon_rng(beacon_hash: &[u8], iterations_exp: u8) -> FfjsChaCha {
    let mut current = Sha256::digest(beacon_hash);
    for _ in 1..(1u128 << iterations_exp) {
        current = Sha256::digest(current);
    }
    FfjsChaCha::from_hash(&current.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::BigInteger;

    // Vectors printed by the real ffjavascript (0.2.63 of circomlibjs and 0.3.1 of snarkjs 0.7.6
    // print the same), with /tmp/vec.cjs run as `node vec.cjs node_modules/ffjavascript`:
    //
    //   const ff = require(process.argv[2]);
    //   (async () => { const curve = await ff.buildBn128(true);
    //     const r = new ff.ChaCha([1,2,3,4,5,6,7,8]); const w = [];
    //     for (let i = 0; i < 20; i++) w.push(r.nextU32()); console.log(JSON.stringify(w));
    //     const h = new Uint8Array(64); for (let i = 0; i < 64; i++) h[i] = i;
    //     const hv = new DataView(h.buffer); const s = [];
    //     for (let i = 0; i < 8; i++) s[i] = hv.getUint32(i * 4);   // = snarkjs hashToG2(h)
    //     const o = curve.G2.toObject(curve.G2.toAffine(curve.G2.fromRng(new ff.ChaCha(s))));
    //     console.log(o[0][0].toString(16), o[0][1].toString(16), o[1][0].toString(16), o[1][1].toString(16));
    //     const r2 = new ff.ChaCha([1,2,3,4,5,6,7,8]); const fr = curve.Fr.fromRng(r2);
    //     console.log(curve.Fr.toObject(fr).toString(16));
    //     const o1 = curve.G1.toObject(curve.G1.toAffine(curve.G1.fromRng(r2)));
    //     console.log(o1[0].toString(16), o1[1].toString(16));
    //     const k = curve.Fr.fromRng(r2);
    //     const m = curve.G1.toObject(curve.G1.toAffine(curve.G1.timesFr(curve.G1.g, k)));
    //     console.log(curve.Fr.toObject(k).toString(16), m[0].toString(16), m[1].toString(16));
    //     process.exit(0); })();
    const CHACHA_WORDS: [u32; 20] = [
        2291208717, 2715286880, 1416238553, 4170631896, 311912724, 2096473245, 2663528302,
        2947898305, 1171138527, 4066554118, 1598815824, 1331018903, 4275377581, 2401186972,
        3977139214, 1817675323, 4002199677, 2558236986, 2290969732, 3530802522,
    ];
    const HASH_TO_G2: [&str; 4] = [
        "993c1f526542d4ea0f7960fe68c321263da35704524158f53a5ec1f6ae3cc0c",
        "97197b18b86f218d43cf232ae11cb0318f9ff79c8315ba8cc3494ece86bd08c",
        "1f619cecd6aebc1a35e6397979d76d2caa56e4cacbc10cd20d93cf715a0dd968",
        "7e5f5e692f511f13c16f270392204a3e2ebf321f8b80f73d87faaea048b7bf0",
    ];
    const FR_FROM_RNG: &str = "194024b60a01081c3c07a37e58f7d174121b2dcb361840289d4a54ab9474a308";
    const G1_FROM_RNG: [&str; 2] = [
        "b88d619b913fd6a2153902f95e88fd814e97a75ede3119d7075aaa719e9928e",
        "21e470760bc4584e9a4d2033162611335cb352b1625c810d88f57a30ce128a59",
    ];
    const TIMES_FR: [&str; 3] = [
        "b43b9c8e7910689cdced662e9a4b2dc8a2ae203978dc19f0baf285743377a36",
        "112cb300a52864a34998b8fb279c68e2a63169fb978e97c7e95275186d373c32",
        "1920d5e9fb9df2204f8ff220b6950a644f005fc18a2cde04b18c6f63d409ab3f",
    ];

    fn hex_of<F: PrimeField>(f: F) -> String {
        let hex = hex::encode(f.into_bigint().to_bytes_be());
        hex.trim_start_matches('0').to_string()
    }

    #[test]
    fn chacha_words_match_ffjavascript() {
        let mut rng = FfjsChaCha::new([1, 2, 3, 4, 5, 6, 7, 8]);
        let words: Vec<u32> = (0..20).map(|_| rng.next_u32()).collect();
        assert_eq!(words, CHACHA_WORDS);
    }

    #[test]
    fn hash_to_g2_matches_snarkjs() {
        let mut hash = [0u8; 32];
        for (i, b) in hash.iter_mut().enumerate() {
            *b = i as u8;
        }
        let point = hash_to_g2(&hash);
        let (x, y) = point.xy().expect("not infinity");
        assert_eq!(
            [hex_of(x.c0), hex_of(x.c1), hex_of(y.c0), hex_of(y.c1)],
            HASH_TO_G2
        );
        assert!(point.is_in_correct_subgroup_assuming_on_curve());
    }

    #[test]
    fn fr_g1_and_times_fr_match_ffjavascript() {
        let mut rng = FfjsChaCha::new([1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(hex_of(rng.fr()), FR_FROM_RNG);
        let (x, y) = rng.g1().xy().expect("not infinity");
        assert_eq!([hex_of(x), hex_of(y)], G1_FROM_RNG);
        let k = rng.fr();
        let (mx, my) = (G1Affine::generator() * k)
            .into_affine()
            .xy()
            .expect("not infinity");
        assert_eq!([hex_of(k), hex_of(mx), hex_of(my)], TIMES_FR);
    }
}
