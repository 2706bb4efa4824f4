//! Integer gadgets: bit decompositions (range checks) and the comparison of two field
//! elements as integers in `[0, r)`, which the indexed trees order their keys by.

use ark_bn254::Fr;
use ark_ff::{BigInteger, Field, PrimeField};
use ark_r1cs_std::{
    alloc::AllocVar,
    eq::EqGadget,
    fields::fp::FpVar,
    prelude::{Boolean, ToBitsGadget},
};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use super::linear::{enforce_equal, Linear};

/// Bits of the canonical integer of a field element (254 for BN254 `Fr`).
pub const FIELD_BITS: usize = Fr::MODULUS_BIT_SIZE as usize;

/// Bits of each half a field element is split into for a comparison.
const HALF_BITS: usize = FIELD_BITS.div_ceil(2);

/// Decomposes `x` into `n` little-endian bits, enforcing `x < 2^n`: `n + 1` constraints.
///
/// # Errors
/// Only errors of the constraint system (an unsatisfied range check is reported by the
/// constraint system, not here).
pub fn decompose(
    cs: &ConstraintSystemRef<Fr>,
    x: &Linear,
    n: usize,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    assert!(
        n < FIELD_BITS,
        "a decomposition of {n} bits would wrap around r"
    );
    let value = x.value().map(|v| v.into_bigint());
    let bits = (0..n)
        .map(|i| {
            Boolean::new_witness(cs.clone(), || {
                Ok(value.ok_or(SynthesisError::AssignmentMissing)?.get_bit(i))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    enforce_equal(cs, &Linear::from_bits_le(&bits), x)?;
    Ok(bits)
}

/// Allocates `n` witness bits holding the `n` low bits of `value`: a range-checked
/// integer `< 2^n` (`n` constraints).
///
/// # Errors
/// Only errors of the constraint system.
pub fn alloc_uint(
    cs: &ConstraintSystemRef<Fr>,
    value: Option<Fr>,
    n: usize,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    assert!(n < FIELD_BITS, "a {n}-bit integer would wrap around r");
    let value = value.map(|v| v.into_bigint());
    (0..n)
        .map(|i| {
            Boolean::new_witness(cs.clone(), || {
                Ok(value.ok_or(SynthesisError::AssignmentMissing)?.get_bit(i))
            })
        })
        .collect()
}

/// The canonical little-endian bits of `x` (its integer in `[0, r)`): 254 booleans plus the
/// check that they encode an integer below `r`.
///
/// # Errors
/// Only errors of the constraint system.
pub fn canonical_bits(x: &FpVar<Fr>) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    let bits = x.to_bits_le()?;
    debug_assert_eq!(bits.len(), FIELD_BITS);
    Ok(bits)
}

/// 254 little-endian bits of an integer congruent to `x` mod `r`, without the check that it
/// is below `r` (about half the cost of [`canonical_bits`]): the integer is `x` or `x + r`.
/// Only sound where the larger choice cannot help a prover, e.g. for the left side of a
/// strict `a < b` against a canonical `b < r` (`x + r >= r > b` makes the comparison false).
///
/// # Errors
/// Only errors of the constraint system.
pub fn non_canonical_bits(x: &FpVar<Fr>) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    let bits = x.to_non_unique_bits_le()?;
    debug_assert_eq!(bits.len(), FIELD_BITS);
    Ok(bits)
}

/// `a < b` for two decompositions as returned by [`canonical_bits`] (`a` may come from
/// [`non_canonical_bits`] where that is sound).
///
/// Each side splits into a high and a low half of at most 127 bits; the halves are compared
/// through the top bit of `2^127 + hi_b - hi_a - 1` (and likewise for the low halves). About
/// 262 constraints.
///
/// # Errors
/// Only errors of the constraint system.
pub fn is_less_than(
    cs: &ConstraintSystemRef<Fr>,
    a: &[Boolean<Fr>],
    b: &[Boolean<Fr>],
) -> Result<Boolean<Fr>, SynthesisError> {
    assert!(
        a.len() == FIELD_BITS && b.len() == FIELD_BITS,
        "compare canonical bits"
    );
    let (a_lo, a_hi) = a.split_at(HALF_BITS);
    let (b_lo, b_hi) = b.split_at(HALF_BITS);
    let (a_lo, a_hi) = (Linear::from_bits_le(a_lo), Linear::from_bits_le(a_hi));
    let (b_lo, b_hi) = (Linear::from_bits_le(b_lo), Linear::from_bits_le(b_hi));
    let hi_lt = half_less_than(cs, &a_hi, &b_hi)?;
    let lo_lt = half_less_than(cs, &a_lo, &b_lo)?;
    let hi_eq = a_hi.to_var(cs)?.is_eq(&b_hi.to_var(cs)?)?;
    Ok(hi_lt | (hi_eq & lo_lt))
}

/// `a < b` for two integers below `2^HALF_BITS`.
fn half_less_than(
    cs: &ConstraintSystemRef<Fr>,
    a: &Linear,
    b: &Linear,
) -> Result<Boolean<Fr>, SynthesisError> {
    let offset = Fr::from(2u64).pow([HALF_BITS as u64]) - Fr::ONE;
    let shifted = b.sub(a).add_constant(offset);
    let bits = decompose(cs, &shifted, HALF_BITS + 1)?;
    Ok(bits[HALF_BITS].clone())
}

#[cfg(test)]
mod tests {
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;

    use super::*;

    fn compare(a: Fr, b: Fr) -> (bool, usize) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let a_var = FpVar::new_witness(cs.clone(), || Ok(a)).unwrap();
        let b_var = FpVar::new_witness(cs.clone(), || Ok(b)).unwrap();
        let a_bits = canonical_bits(&a_var).unwrap();
        let b_bits = canonical_bits(&b_var).unwrap();
        let before = cs.num_constraints();
        let lt = is_less_than(&cs, &a_bits, &b_bits).unwrap();
        let cost = cs.num_constraints() - before;
        assert!(cs.is_satisfied().unwrap());
        (lt.value().unwrap(), cost)
    }

    #[test]
    fn compares_field_elements_as_integers() {
        let big = -Fr::ONE;
        let half = Fr::from(2u64).pow([127]);
        let cases = [
            (Fr::from(1u64), Fr::from(2u64)),
            (Fr::from(2u64), Fr::from(1u64)),
            (Fr::from(7u64), Fr::from(7u64)),
            (Fr::from(0u64), big),
            (big, Fr::from(0u64)),
            (big - Fr::ONE, big),
            (half, half - Fr::ONE),
            (half - Fr::ONE, half),
            (half + Fr::from(5u64), half + Fr::from(3u64)),
        ];
        for (a, b) in cases {
            let (lt, cost) = compare(a, b);
            assert_eq!(lt, a.into_bigint() < b.into_bigint(), "{a} < {b}");
            assert!(cost <= 262, "comparison costs {cost}");
        }
    }

    #[test]
    fn decomposition_is_a_range_check() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let bits = decompose(&cs, &Linear::constant(Fr::from(255u64)), 8).unwrap();
        assert_eq!(bits.len(), 8);
        assert!(cs.is_satisfied().unwrap());
        let cs = ConstraintSystem::<Fr>::new_ref();
        decompose(&cs, &Linear::constant(Fr::from(256u64)), 8).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }
}
