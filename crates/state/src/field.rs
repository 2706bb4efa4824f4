//! The scalar field and its 32-byte big-endian form, as the EVM sees a `uint256`.

use ark_ff::{BigInteger, PrimeField};

/// The BN254 scalar field, in which every state value, hash and public input lives.
pub use ark_bn254::Fr;

/// 32-byte big-endian encoding of a field element (its canonical integer).
pub fn fr_to_be_bytes(value: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&value.into_bigint().to_bytes_be());
    out
}

/// Field element of a 32-byte big-endian word, or `None` if the word is `>= r`.
pub fn fr_from_be_bytes(bytes: &[u8; 32]) -> Option<Fr> {
    let value = Fr::from_be_bytes_mod_order(bytes);
    (fr_to_be_bytes(&value) == *bytes).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn be_bytes_round_trip_and_reject_modulus() {
        let x = Fr::from(0x0102_0304_u64);
        let bytes = fr_to_be_bytes(&x);
        assert_eq!(bytes[28..], [1, 2, 3, 4]);
        assert_eq!(fr_from_be_bytes(&bytes), Some(x));
        let mut modulus = [0u8; 32];
        modulus.copy_from_slice(&Fr::MODULUS.to_bytes_be());
        assert_eq!(fr_from_be_bytes(&modulus), None);
        assert_eq!(fr_from_be_bytes(&[0xff; 32]), None);
    }
}
