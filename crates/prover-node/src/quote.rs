//! Signing epoch proof quotes for one prover, chain and rollup.
//!
//! The quote type, its JSON (`docs/services.md`) and its EIP-712 digest (domain "FernetRollup",
//! "1", chain id, rollup) are the rollup's ([`fernet_primitives::quote`]), so what the prover signs is
//! exactly what the nodes verify; the anvil tests check the digest against the rollup's
//! `quoteDigest`.

use alloy::{primitives::Address, signers::local::PrivateKeySigner};
use fernet_primitives::quote::{Quote, SignedQuote};

use crate::{quote_provider::QuoteTerms, Error, Result};

/// Signs quotes for one prover on one rollup.
#[derive(Debug, Clone)]
pub struct QuoteSigner {
    signer: PrivateKeySigner,
    chain_id: u64,
    rollup: Address,
}

impl QuoteSigner {
    /// A signer of quotes by `signer`'s address for `rollup` on `chain_id`.
    pub fn new(signer: PrivateKeySigner, chain_id: u64, rollup: Address) -> Self {
        Self {
            signer,
            chain_id,
            rollup,
        }
    }

    /// The prover the quotes name.
    pub fn prover(&self) -> Address {
        self.signer.address()
    }

    /// The quote of `terms` for `epoch`, claimable until `valid_until_slot`.
    pub fn quote(&self, epoch: u64, valid_until_slot: u64, terms: &QuoteTerms) -> Quote {
        Quote {
            prover: self.prover(),
            epoch_to_prove: epoch,
            valid_until_slot,
            bond_amount: terms.bond_amount,
            rollup_address: self.rollup,
            basis_point_fee: terms.basis_point_fee,
        }
    }

    /// Signs the quote of `terms` for `epoch`, claimable until `valid_until_slot`.
    pub fn sign(
        &self,
        epoch: u64,
        valid_until_slot: u64,
        terms: &QuoteTerms,
    ) -> Result<SignedQuote> {
        self.quote(epoch, valid_until_slot, terms)
            .sign(&self.signer, self.chain_id)
            .map_err(|source| Error::Sign { epoch, source })
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{address, U256};

    use super::*;

    const KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    const ROLLUP: Address = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");

    #[test]
    fn signed_quotes_name_the_prover_and_verify_on_their_chain_only() {
        let signer = QuoteSigner::new(KEY.parse().unwrap(), 31_337, ROLLUP);
        let terms = QuoteTerms {
            basis_point_fee: 500,
            bond_amount: U256::from(7),
        };
        let signed = signer.sign(3, 9, &terms).unwrap();
        assert_eq!(
            signed.quote.prover,
            address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
        );
        assert_eq!(signed.quote.epoch_to_prove, 3);
        assert_eq!(signed.quote.valid_until_slot, 9);
        assert_eq!(signed.quote.rollup_address, ROLLUP);
        assert_eq!(signed.quote.basis_point_fee, 500);
        assert_eq!(signed.quote.bond_amount, U256::from(7));
        assert!(signed.verify_signature(31_337).is_ok());
        assert!(signed.verify_signature(1).is_err());
    }
}
