//! Signed epoch proof quotes: the JSON of `docs/services.md`, the EIP-712 digest the rollup
//! verifies, and signer recovery.
//!
//! ```json
//! { "quote": { "prover": "0x…", "epochToProve": 3, "validUntilSlot": 9,
//!              "bondAmount": "10000000000000000000", "rollupAddress": "0x…", "basisPointFee": 500 },
//!   "signature": "0x<65 bytes r,s,v>" }
//! ```

use alloy::{
    primitives::{Address, Bytes, Signature, B256, U256},
    signers::{local::PrivateKeySigner, SignerSync},
    sol_types::{eip712_domain, SolStruct},
};
use fernet_bindings::IRollup::{EpochProofQuote, SignedEpochProofQuote};
use serde::{Deserialize, Serialize};

/// EIP-712 domain name of the rollup.
pub const DOMAIN_NAME: &str = "FernetRollup";
/// EIP-712 domain version of the rollup.
pub const DOMAIN_VERSION: &str = "1";

/// A prover's offer to prove one epoch (`EpochProofQuote` in `QuoteLib.sol`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Quote {
    /// The prover, whose escrow backs the bond and who signs.
    pub prover: Address,
    /// The epoch to prove.
    pub epoch_to_prove: u64,
    /// Last slot in which the quote may be claimed.
    pub valid_until_slot: u64,
    /// Bond locked at claim time, a decimal string of base units.
    #[serde(with = "decimal_u256")]
    pub bond_amount: U256,
    /// The rollup the quote is for.
    pub rollup_address: Address,
    /// The prover's share in basis points.
    pub basis_point_fee: u32,
}

/// A quote with the prover's 65-byte `(r, s, v)` signature over its EIP-712 digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedQuote {
    /// The quote.
    pub quote: Quote,
    /// `r ‖ s ‖ v`, 65 bytes.
    pub signature: Bytes,
}

/// Why a quote is refused.
#[derive(Debug, thiserror::Error)]
pub enum QuoteError {
    /// The quote names another rollup.
    #[error("quote is for rollup {quoted}, this node follows {expected}")]
    WrongRollup {
        /// This node's rollup.
        expected: Address,
        /// `rollupAddress` of the quote.
        quoted: Address,
    },
    /// The claim window of the epoch has closed (or the quote itself expired).
    #[error(
        "quote for epoch {epoch} expired: the current slot {current_slot} is past slot {last_slot}"
    )]
    Expired {
        /// `epochToProve`.
        epoch: u64,
        /// Last slot the quote is claimable in.
        last_slot: u64,
        /// The current L1 slot.
        current_slot: u64,
    },
    /// The fee is above the rollup's `maxProverFeeBps`: no claim of it could succeed.
    #[error("basisPointFee {fee} is above the rollup's maxProverFeeBps {maximum}")]
    InvalidBasisPointFee {
        /// `maxProverFeeBps`.
        maximum: u64,
        /// `basisPointFee` of the quote.
        fee: u32,
    },
    /// The signature is not 65 bytes `r ‖ s ‖ v`.
    #[error("malformed signature {signature}: {} bytes, expected 65", signature.len())]
    SignatureLength {
        /// The signature bytes.
        signature: Bytes,
    },
    /// The signature is not a valid ECDSA signature, or recovers to no key.
    #[error("malformed signature {signature}")]
    MalformedSignature {
        /// The signature bytes.
        signature: Bytes,
        /// Why it does not parse or recover.
        #[source]
        source: alloy::primitives::SignatureError,
    },
    /// The signature recovers to another address than `prover`.
    #[error("bad signature: it recovers to {recovered}, not to the prover {prover}")]
    BadSignature {
        /// `quote.prover`.
        prover: Address,
        /// The recovered signer.
        recovered: Address,
    },
}

impl Quote {
    /// The bindings' struct, as the rollup takes it.
    pub fn to_sol(&self) -> EpochProofQuote {
        EpochProofQuote {
            prover: self.prover,
            epochToProve: U256::from(self.epoch_to_prove),
            validUntilSlot: U256::from(self.valid_until_slot),
            bondAmount: self.bond_amount,
            rollupAddress: self.rollup_address,
            basisPointFee: self.basis_point_fee,
        }
    }

    /// The EIP-712 digest under the domain `("FernetRollup", "1", chain_id, rollupAddress)`: what
    /// the prover signs and `Rollup.quoteDigest` returns.
    pub fn digest(&self, chain_id: u64) -> B256 {
        let domain = eip712_domain! {
            name: DOMAIN_NAME,
            version: DOMAIN_VERSION,
            chain_id: chain_id,
            verifying_contract: self.rollup_address,
        };
        self.to_sol().eip712_signing_hash(&domain)
    }

    /// Signs the quote with `signer` (the prover's key).
    pub fn sign(
        self,
        signer: &PrivateKeySigner,
        chain_id: u64,
    ) -> alloy::signers::Result<SignedQuote> {
        let signature = signer.sign_hash_sync(&self.digest(chain_id))?;
        Ok(SignedQuote {
            quote: self,
            signature: Bytes::from(signature.as_bytes().to_vec()),
        })
    }
}

impl SignedQuote {
    /// The bindings' struct, as `claimEpochProofRight` takes it.
    pub fn to_sol(&self) -> SignedEpochProofQuote {
        SignedEpochProofQuote {
            quote: self.quote.to_sol(),
            signature: self.signature.clone(),
        }
    }

    /// The address the signature recovers to over the quote's digest on `chain_id`.
    pub fn recover_signer(&self, chain_id: u64) -> Result<Address, QuoteError> {
        let malformed = |source| QuoteError::MalformedSignature {
            signature: self.signature.clone(),
            source,
        };
        if self.signature.len() != 65 {
            return Err(QuoteError::SignatureLength {
                signature: self.signature.clone(),
            });
        }
        let signature = Signature::from_raw(&self.signature).map_err(malformed)?;
        signature
            .recover_address_from_prehash(&self.quote.digest(chain_id))
            .map_err(malformed)
    }

    /// Checks that the signature recovers to `quote.prover`.
    pub fn verify_signature(&self, chain_id: u64) -> Result<(), QuoteError> {
        let recovered = self.recover_signer(chain_id)?;
        if recovered != self.quote.prover {
            return Err(QuoteError::BadSignature {
                prover: self.quote.prover,
                recovered,
            });
        }
        Ok(())
    }
}

/// `U256` as a decimal string.
mod decimal_u256 {
    use alloy::primitives::U256;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(value: &U256, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<U256, D::Error> {
        let s = String::deserialize(deserializer)?;
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(serde::de::Error::custom(format!(
                "amount {s:?} is not a decimal string"
            )));
        }
        U256::from_str_radix(&s, 10)
            .map_err(|_| serde::de::Error::custom(format!("amount {s} does not fit in 256 bits")))
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::address;
    use serde_json::json;

    use super::*;

    fn quote(prover: Address) -> Quote {
        Quote {
            prover,
            epoch_to_prove: 3,
            valid_until_slot: 9,
            bond_amount: U256::from(10u64).pow(U256::from(19u64)),
            rollup_address: address!("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
            basis_point_fee: 500,
        }
    }

    #[test]
    fn json_is_exactly_the_documented_shape() {
        let signer = PrivateKeySigner::random();
        let signed = quote(signer.address()).sign(&signer, 31_337).unwrap();
        let value = serde_json::to_value(&signed).unwrap();
        assert_eq!(value["quote"]["epochToProve"], 3);
        assert_eq!(value["quote"]["validUntilSlot"], 9);
        assert_eq!(value["quote"]["bondAmount"], "10000000000000000000");
        assert_eq!(value["quote"]["basisPointFee"], 500);
        assert_eq!(value["signature"].as_str().unwrap().len(), 2 + 130);
        let back: SignedQuote = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(back, signed);
        let mut extra = value;
        extra["quote"]["tip"] = json!(1);
        let err = serde_json::from_value::<SignedQuote>(extra).unwrap_err();
        assert!(err.to_string().contains("unknown field `tip`"), "{err}");
    }

    #[test]
    fn signature_recovers_to_the_prover_only_on_its_chain_and_quote() {
        let signer = PrivateKeySigner::random();
        let signed = quote(signer.address()).sign(&signer, 31_337).unwrap();
        signed.verify_signature(31_337).unwrap();
        assert!(matches!(
            signed.verify_signature(1),
            Err(QuoteError::BadSignature { .. })
        ));
        let mut tampered = signed.clone();
        tampered.quote.basis_point_fee = 501;
        assert!(matches!(
            tampered.verify_signature(31_337),
            Err(QuoteError::BadSignature { prover, .. }) if prover == signer.address()
        ));
        let other = PrivateKeySigner::random();
        let forged = quote(signer.address()).sign(&other, 31_337).unwrap();
        assert!(matches!(
            forged.verify_signature(31_337),
            Err(QuoteError::BadSignature { prover, recovered })
                if prover == signer.address() && recovered == other.address()
        ));
        let mut short = signed;
        short.signature = Bytes::from(vec![1u8; 64]);
        assert!(matches!(
            short.verify_signature(31_337),
            Err(QuoteError::SignatureLength { .. })
        ));
        let mut zero = short;
        zero.signature = Bytes::from(vec![0u8; 65]);
        assert!(matches!(
            zero.verify_signature(31_337),
            Err(QuoteError::MalformedSignature { .. })
        ));
    }

    #[test]
    fn digest_follows_eip712_by_hand() {
        use alloy::primitives::keccak256;
        use alloy::sol_types::SolValue;
        let q = quote(address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"));
        let type_hash = keccak256(
            "EpochProofQuote(address prover,uint256 epochToProve,uint256 validUntilSlot,uint256 bondAmount,address rollupAddress,uint32 basisPointFee)",
        );
        let struct_hash = keccak256(
            (
                type_hash,
                q.prover,
                U256::from(q.epoch_to_prove),
                U256::from(q.valid_until_slot),
                q.bond_amount,
                q.rollup_address,
                q.basis_point_fee,
            )
                .abi_encode(),
        );
        let domain_type = keccak256(
            "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
        );
        let domain_separator = keccak256(
            (
                domain_type,
                keccak256(DOMAIN_NAME),
                keccak256(DOMAIN_VERSION),
                U256::from(31_337u64),
                q.rollup_address,
            )
                .abi_encode(),
        );
        let digest =
            keccak256([&[0x19u8, 0x01][..], &domain_separator[..], &struct_hash[..]].concat());
        assert_eq!(q.digest(31_337), digest);
    }
}
