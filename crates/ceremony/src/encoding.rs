//! The three point encodings of snarkjs / ffjavascript for BN254.
//!
//! - **LEM** (little-endian Montgomery): how every point is stored in a `.ptau` file. Coordinates
//!   are 32-byte little-endian limbs of the Montgomery form (`R = 2^256`), which is exactly
//!   arkworks' internal representation; `Fq2` is `c0 ‖ c1`; infinity is all zeros.
//! - **U** (uncompressed): what the challenge hashes read. Coordinates are 32-byte big-endian
//!   canonical integers; `Fq2` is `c1 ‖ c0`; infinity is all zeros (no flag).
//! - **C** (compressed): what the response hash reads. Only `x` (big-endian, `c1 ‖ c0`), with the
//!   top bit of the first byte set when `y` is "negative" (above `(q-1)/2`); infinity is all zeros
//!   but for `0x40` in the first byte.
//!
//! Decoding checks that coordinates are canonical, that the point is on the curve and, for G2, in
//! the prime-order subgroup (G1 has cofactor 1).

use ark_bn254::{Fq, Fq2};
use ark_ec::{
    short_weierstrass::{Affine, SWCurveConfig},
    AffineRepr,
};
use ark_ff::{BigInt, BigInteger, Field, PrimeField, Zero};

/// Bytes of one base field element.
pub const FQ_BYTES: usize = 32;
/// Bytes of an uncompressed (LEM or U) G1 point.
pub const G1_BYTES: usize = 64;
/// Bytes of an uncompressed (LEM or U) G2 point.
pub const G2_BYTES: usize = 128;
/// Bytes of a compressed G1 point.
pub const G1_COMPRESSED_BYTES: usize = 32;
/// Bytes of a compressed G2 point.
pub const G2_COMPRESSED_BYTES: usize = 64;

/// The flag of a compressed point whose `y` is negative.
const FLAG_NEGATIVE: u8 = 0x80;
/// The flag of the compressed point at infinity.
const FLAG_INFINITY: u8 = 0x40;

/// Why some bytes are not a valid point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PointFault {
    /// A coordinate is not below the field modulus.
    #[error("a coordinate is not a canonical field element")]
    NonCanonical,
    /// The coordinates do not satisfy the curve equation.
    #[error("the point is not on the curve")]
    NotOnCurve,
    /// The point is on the curve but outside the prime-order subgroup.
    #[error("the point is not in the prime-order subgroup")]
    NotInSubgroup,
    /// The slice does not have the length of the encoding.
    #[error("the encoding has the wrong length")]
    WrongLength,
    /// A compressed `x` has no `y` on the curve, or carries inconsistent flags.
    #[error("the compressed encoding is malformed")]
    BadCompression,
}

/// A curve group with the three encodings of ffjavascript (G1 over `Fq`, G2 over `Fq2`).
pub trait FfjsPoint: Sized + Copy {
    /// Bytes of the LEM and U encodings.
    const BYTES: usize;
    /// Bytes of the C encoding.
    const COMPRESSED_BYTES: usize;
    /// Appends the LEM encoding.
    fn write_lem(&self, out: &mut Vec<u8>);
    /// Decodes the LEM encoding ([`Self::BYTES`] bytes), with every check.
    fn read_lem(bytes: &[u8]) -> Result<Self, PointFault>;
    /// Appends the U encoding.
    fn write_u(&self, out: &mut Vec<u8>);
    /// Decodes the U encoding ([`Self::BYTES`] bytes), with every check.
    fn read_u(bytes: &[u8]) -> Result<Self, PointFault>;
    /// Appends the C encoding.
    fn write_c(&self, out: &mut Vec<u8>);
    /// Decodes the C encoding ([`Self::COMPRESSED_BYTES`] bytes), with every check.
    fn read_c(bytes: &[u8]) -> Result<Self, PointFault>;
}

/// The base fields of the two groups (`Fq`, `Fq2`) with their ffjavascript byte forms.
pub trait Coordinate: Field {
    /// Bytes of one element.
    const BYTES: usize;
    /// Appends the LE Montgomery limbs (`c0` first for `Fq2`).
    fn write_lem(&self, out: &mut Vec<u8>);
    /// Reads LE Montgomery limbs, rejecting non-canonical values.
    fn read_lem(bytes: &[u8]) -> Result<Self, PointFault>;
    /// Appends the BE canonical integer (`c1` first for `Fq2`).
    fn write_be(&self, out: &mut Vec<u8>);
    /// Reads the BE canonical integer, rejecting non-canonical values.
    fn read_be(bytes: &[u8]) -> Result<Self, PointFault>;
    /// ffjavascript's `isNegative` (equal to its `sign < 0` for non-zero elements).
    fn is_negative(&self) -> bool;
}

/// Reads 32 bytes (LE) as limbs, `None` unless below the modulus of `Fq`.
fn limbs_le(bytes: &[u8]) -> Option<BigInt<4>> {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(word);
    }
    let value = BigInt::new(limbs);
    (value < Fq::MODULUS).then_some(value)
}

impl Coordinate for Fq {
    const BYTES: usize = FQ_BYTES;

    fn write_lem(&self, out: &mut Vec<u8>) {
        for limb in self.0 .0 {
            out.extend_from_slice(&limb.to_le_bytes());
        }
    }

    fn read_lem(bytes: &[u8]) -> Result<Self, PointFault> {
        limbs_le(bytes)
            .map(Fq::new_unchecked)
            .ok_or(PointFault::NonCanonical)
    }

    fn write_be(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.into_bigint().to_bytes_be());
    }

    fn read_be(bytes: &[u8]) -> Result<Self, PointFault> {
        let mut le = [0u8; FQ_BYTES];
        le.copy_from_slice(bytes);
        le.reverse();
        limbs_le(&le)
            .and_then(Fq::from_bigint)
            .ok_or(PointFault::NonCanonical)
    }

    fn is_negative(&self) -> bool {
        self.into_bigint() > Fq::MODULUS_MINUS_ONE_DIV_TWO
    }
}

impl Coordinate for Fq2 {
    const BYTES: usize = 2 * FQ_BYTES;

    fn write_lem(&self, out: &mut Vec<u8>) {
        self.c0.write_lem(out);
        self.c1.write_lem(out);
    }

    fn read_lem(bytes: &[u8]) -> Result<Self, PointFault> {
        let (c0, c1) = bytes.split_at(FQ_BYTES);
        Ok(Fq2::new(Fq::read_lem(c0)?, Fq::read_lem(c1)?))
    }

    fn write_be(&self, out: &mut Vec<u8>) {
        self.c1.write_be(out);
        self.c0.write_be(out);
    }

    fn read_be(bytes: &[u8]) -> Result<Self, PointFault> {
        let (c1, c0) = bytes.split_at(FQ_BYTES);
        Ok(Fq2::new(Fq::read_be(c0)?, Fq::read_be(c1)?))
    }

    fn is_negative(&self) -> bool {
        if self.c1.is_zero() {
            self.c0.is_negative()
        } else {
            self.c1.is_negative()
        }
    }
}

/// Builds a point from coordinates, checking the curve equation and the subgroup.
fn checked_point<P: SWCurveConfig>(
    x: P::BaseField,
    y: P::BaseField,
) -> Result<Affine<P>, PointFault> {
    let point = Affine::<P>::new_unchecked(x, y);
    if !point.is_on_curve() {
        return Err(PointFault::NotOnCurve);
    }
    if !point.is_in_correct_subgroup_assuming_on_curve() {
        return Err(PointFault::NotInSubgroup);
    }
    Ok(point)
}

/// The `y` of `x` on the curve with the sign of the compression flag, checked like any point.
fn decompress<P: SWCurveConfig>(x: P::BaseField, negative: bool) -> Result<Affine<P>, PointFault>
where
    P::BaseField: Coordinate,
{
    let rhs = x.square() * x + P::COEFF_B;
    let mut y = rhs.sqrt().ok_or(PointFault::BadCompression)?;
    if y.is_negative() != negative {
        y = -y;
    }
    checked_point(x, y)
}

impl<P: SWCurveConfig> FfjsPoint for Affine<P>
where
    P::BaseField: Coordinate,
{
    const BYTES: usize = 2 * <P::BaseField as Coordinate>::BYTES;
    const COMPRESSED_BYTES: usize = <P::BaseField as Coordinate>::BYTES;

    fn write_lem(&self, out: &mut Vec<u8>) {
        match self.xy() {
            Some((x, y)) => {
                x.write_lem(out);
                y.write_lem(out);
            }
            None => out.resize(out.len() + Self::BYTES, 0),
        }
    }

    fn read_lem(bytes: &[u8]) -> Result<Self, PointFault> {
        if bytes.len() != Self::BYTES {
            return Err(PointFault::WrongLength);
        }
        if bytes.iter().all(|&b| b == 0) {
            return Ok(Self::zero());
        }
        let (x, y) = bytes.split_at(<P::BaseField as Coordinate>::BYTES);
        checked_point(P::BaseField::read_lem(x)?, P::BaseField::read_lem(y)?)
    }

    fn write_u(&self, out: &mut Vec<u8>) {
        match self.xy() {
            Some((x, y)) => {
                x.write_be(out);
                y.write_be(out);
            }
            None => out.resize(out.len() + Self::BYTES, 0),
        }
    }

    fn read_u(bytes: &[u8]) -> Result<Self, PointFault> {
        if bytes.len() != Self::BYTES {
            return Err(PointFault::WrongLength);
        }
        if bytes.iter().all(|&b| b == 0) {
            return Ok(Self::zero());
        }
        let (x, y) = bytes.split_at(<P::BaseField as Coordinate>::BYTES);
        checked_point(P::BaseField::read_be(x)?, P::BaseField::read_be(y)?)
    }

    fn write_c(&self, out: &mut Vec<u8>) {
        let start = out.len();
        match self.xy() {
            Some((x, y)) => {
                x.write_be(out);
                if y.is_negative() {
                    out[start] |= FLAG_NEGATIVE;
                }
            }
            None => {
                out.resize(start + Self::COMPRESSED_BYTES, 0);
                out[start] = FLAG_INFINITY;
            }
        }
    }

    fn read_c(bytes: &[u8]) -> Result<Self, PointFault> {
        if bytes.len() != Self::COMPRESSED_BYTES {
            return Err(PointFault::WrongLength);
        }
        let flags = bytes[0] & (FLAG_NEGATIVE | FLAG_INFINITY);
        let mut x = bytes.to_vec();
        x[0] &= !(FLAG_NEGATIVE | FLAG_INFINITY);
        if flags & FLAG_INFINITY != 0 {
            let empty = flags == FLAG_INFINITY && x.iter().all(|&b| b == 0);
            return if empty {
                Ok(Self::zero())
            } else {
                Err(PointFault::BadCompression)
            };
        }
        decompress(P::BaseField::read_be(&x)?, flags & FLAG_NEGATIVE != 0)
    }
}

/// The LEM encoding of a point as a fresh vector.
pub fn to_lem<P: FfjsPoint>(point: &P) -> Vec<u8> {
    let mut out = Vec::with_capacity(P::BYTES);
    point.write_lem(&mut out);
    out
}

/// The U encoding of a point as a fresh vector.
pub fn to_u<P: FfjsPoint>(point: &P) -> Vec<u8> {
    let mut out = Vec::with_capacity(P::BYTES);
    point.write_u(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{G1Affine, G2Affine};
    use ark_ec::CurveGroup;
    use ark_std::UniformRand;

    /// The LE bytes of 1 in Montgomery form, `R mod q`.
    const ONE_LEM: &str = "9d0d8fc58d435dd33d0bc7f528eb780a2c4679786fa36e662fdf079ac1770a0e";

    #[test]
    fn g1_generator_encodings() {
        let g = G1Affine::generator();
        let lem = to_lem(&g);
        assert_eq!(hex::encode(&lem[..32]), ONE_LEM);
        // y = 2 in Montgomery form is 2R mod q.
        assert_eq!(Fq::read_lem(&lem[32..]).unwrap(), Fq::from(2u64));
        let u = to_u(&g);
        assert_eq!(u[31], 1);
        assert_eq!(u[63], 2);
        assert!(u[..31].iter().chain(&u[32..63]).all(|&b| b == 0));
        let mut c = Vec::new();
        g.write_c(&mut c);
        // y = 2 is "positive": no flag.
        assert_eq!(c, u[..32]);
        for (encode, decode) in [
            (
                to_lem::<G1Affine> as fn(&G1Affine) -> Vec<u8>,
                G1Affine::read_lem as fn(&[u8]) -> _,
            ),
            (to_u::<G1Affine>, G1Affine::read_u),
        ] {
            assert_eq!(decode(&encode(&g)), Ok(g));
        }
        assert_eq!(G1Affine::read_c(&c), Ok(g));
    }

    #[test]
    fn g2_generator_u_is_c1_first() {
        let g = G2Affine::generator();
        let u = to_u(&g);
        let (x, y) = g.xy().unwrap();
        assert_eq!(u[..32], x.c1.into_bigint().to_bytes_be()[..]);
        assert_eq!(u[32..64], x.c0.into_bigint().to_bytes_be()[..]);
        assert_eq!(u[64..96], y.c1.into_bigint().to_bytes_be()[..]);
        let lem = to_lem(&g);
        assert_eq!(lem[..32], to_lem_fq(&x.c0)[..]);
        assert_eq!(lem[96..], to_lem_fq(&y.c1)[..]);
        assert_eq!(G2Affine::read_lem(&lem), Ok(g));
        assert_eq!(G2Affine::read_u(&u), Ok(g));
        let mut c = Vec::new();
        g.write_c(&mut c);
        assert_eq!(c[1..], u[1..64]);
        assert_eq!(c[0] & FLAG_NEGATIVE != 0, y.is_negative());
        assert_eq!(G2Affine::read_c(&c), Ok(g));
    }

    fn to_lem_fq(f: &Fq) -> Vec<u8> {
        let mut out = Vec::new();
        f.write_lem(&mut out);
        out
    }

    #[test]
    fn infinity_encodings() {
        let zero1 = G1Affine::zero();
        let zero2 = G2Affine::zero();
        assert_eq!(to_lem(&zero1), vec![0; 64]);
        assert_eq!(to_u(&zero2), vec![0; 128]);
        let mut c = Vec::new();
        zero2.write_c(&mut c);
        let mut expected = vec![0; 64];
        expected[0] = FLAG_INFINITY;
        assert_eq!(c, expected);
        assert_eq!(G2Affine::read_c(&c), Ok(zero2));
        assert_eq!(G1Affine::read_lem(&[0; 64]), Ok(zero1));
        assert_eq!(G2Affine::read_lem(&[0; 128]), Ok(zero2));
    }

    #[test]
    fn random_points_round_trip_in_every_encoding() {
        let mut rng = ark_std::test_rng();
        for _ in 0..8 {
            let p1 = ark_bn254::G1Projective::rand(&mut rng).into_affine();
            let p2 = ark_bn254::G2Projective::rand(&mut rng).into_affine();
            let (mut c1, mut c2) = (Vec::new(), Vec::new());
            p1.write_c(&mut c1);
            p2.write_c(&mut c2);
            assert_eq!(G1Affine::read_c(&c1), Ok(p1));
            assert_eq!(G2Affine::read_c(&c2), Ok(p2));
            assert_eq!(G1Affine::read_lem(&to_lem(&p1)), Ok(p1));
            assert_eq!(G2Affine::read_u(&to_u(&p2)), Ok(p2));
        }
    }

    #[test]
    fn invalid_points_are_rejected() {
        let mut lem = to_lem(&G1Affine::generator());
        lem[32] ^= 1;
        assert_eq!(G1Affine::read_lem(&lem), Err(PointFault::NotOnCurve));
        let q = Fq::MODULUS.to_bytes_le();
        let mut non_canonical = q.clone();
        non_canonical.extend_from_slice(&q);
        assert_eq!(
            G1Affine::read_lem(&non_canonical),
            Err(PointFault::NonCanonical)
        );
        // A point on the twist curve outside the r-torsion: the G2 generator's x with another y
        // does not exist; instead take a raw on-curve point from a hashed x before cofactor
        // clearing.
        let mut x = Fq2::new(Fq::from(1u64), Fq::from(0u64));
        let raw = loop {
            if let Some(y) = (x.square() * x + ark_bn254::g2::Config::COEFF_B).sqrt() {
                break G2Affine::new_unchecked(x, y);
            }
            x += Fq2::ONE;
        };
        assert_eq!(
            G2Affine::read_lem(&to_lem(&raw)),
            Err(PointFault::NotInSubgroup)
        );
        let mut bad_flags = vec![0; 32];
        bad_flags[0] = FLAG_INFINITY | FLAG_NEGATIVE;
        assert_eq!(
            G1Affine::read_c(&bad_flags),
            Err(PointFault::BadCompression)
        );
    }
}
