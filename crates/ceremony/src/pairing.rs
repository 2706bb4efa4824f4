//! Pairing checks (snarkjs' `sameRatio`) and the random linear combinations that reduce a check
//! over many points to one pairing.

use ark_bn254::{Bn254, Fr, G1Affine, G2Affine};
use ark_ec::{pairing::Pairing, AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::Zero;
use rand::{rngs::OsRng, RngCore};

/// Whether `(a1, b1)` in G1 and `(a2, b2)` in G2 hide the same ratio: `e(a1, b2) == e(b1, a2)`.
///
/// Like snarkjs' `sameRatio`, false as soon as any point is the identity (a ratio of zero proves
/// nothing). One multi-pairing: `e(a1, b2) · e(-b1, a2) == 1`.
pub fn same_ratio(a1: G1Affine, b1: G1Affine, a2: G2Affine, b2: G2Affine) -> bool {
    if a1.is_zero() || b1.is_zero() || a2.is_zero() || b2.is_zero() {
        return false;
    }
    Bn254::multi_pairing([a1, -b1], [b2, a2]).is_zero()
}

/// `count` scalars of 128 bits from the operating system: a forged point passes a check with
/// probability at most 2^-128.
pub fn random_scalars(count: usize) -> Vec<Fr> {
    (0..count)
        .map(|_| {
            let mut bytes = [0u8; 16];
            OsRng.fill_bytes(&mut bytes);
            Fr::from(u128::from_le_bytes(bytes))
        })
        .collect()
}

/// `Σ r_i·P_i` and `Σ r_i·P_{i+1}` over consecutive points: if `P_{i+1} = x·P_i` for every `i`,
/// the second is `x` times the first, which one [`same_ratio`] checks.
pub fn shifted_combinations<G: AffineRepr<ScalarField = Fr>>(points: &[G]) -> (G, G) {
    if points.len() < 2 {
        return (G::zero(), G::zero());
    }
    let scalars = random_scalars(points.len() - 1);
    let first = G::Group::msm_unchecked(&points[..points.len() - 1], &scalars);
    let second = G::Group::msm_unchecked(&points[1..], &scalars);
    (first.into_affine(), second.into_affine())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;
    use ark_ec::CurveGroup;

    #[test]
    fn same_ratio_accepts_equal_ratios_only() {
        let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
        let x = Fr::from(7u64);
        let gx1 = (g1 * x).into_affine();
        let gx2 = (g2 * x).into_affine();
        assert!(same_ratio(g1, gx1, g2, gx2));
        assert!(!same_ratio(
            g1,
            gx1,
            g2,
            (g2 * Fr::from(8u64)).into_affine()
        ));
        assert!(!same_ratio(gx1, g1, g2, gx2));
        assert!(!same_ratio(G1Affine::zero(), G1Affine::zero(), g2, gx2));
        assert!(!same_ratio(g1, gx1, G2Affine::zero(), G2Affine::zero()));
    }

    #[test]
    fn shifted_combinations_detect_one_broken_power() {
        let x = Fr::from(5u64);
        let mut powers = vec![G1Affine::generator()];
        for i in 1..10 {
            powers.push((powers[i - 1] * x).into_affine());
        }
        let gx2 = (G2Affine::generator() * x).into_affine();
        let (r1, r2) = shifted_combinations(&powers);
        assert!(same_ratio(r1, r2, G2Affine::generator(), gx2));
        powers[6] = (powers[6] * Fr::from(2u64)).into_affine();
        let (r1, r2) = shifted_combinations(&powers);
        assert!(!same_ratio(r1, r2, G2Affine::generator(), gx2));
    }
}
