//! Pairing checks: snarkjs' `sameRatio`.

use ark_bn254::{Bn254, G1Affine, G2Affine};
use ark_ec::{pairing::Pairing, AffineRepr};
use ark_ff::Zero;

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
}
