//! Block proposal hints: a sequencer announces, signed, that its `propose` transaction was
//! mined, so that followers poll L1 at once instead of at their next interval. A hint is never
//! trusted for content: L1 stays the source of truth.

use alloy::{
    primitives::{keccak256, Address, Bytes, Signature, B256},
    signers::{local::PrivateKeySigner, SignerSync},
    sol_types::SolValue,
};
use serde::{Deserialize, Serialize};

/// Domain separator of the hint digest.
const HINT_DOMAIN: &str = "fernet.proposal-hint.v1";

/// What a hint says, before it is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Proposal {
    /// The L2 block number.
    pub block_number: u64,
    /// The slot it was proposed in.
    pub slot: u64,
    /// The L1 transaction that proposed it.
    pub l1_tx_hash: B256,
    /// The state root its header claims.
    pub state_root: B256,
    /// The proposer (who signs the hint).
    pub proposer: Address,
}

/// A [`Proposal`] signed by its proposer over [`Proposal::digest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalHint {
    /// The announcement.
    pub proposal: Proposal,
    /// `r ‖ s ‖ v`, 65 bytes.
    pub signature: Bytes,
}

/// Why a hint is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HintError {
    /// The signature is not a valid 65-byte ECDSA signature.
    #[error("malformed hint signature: {0}")]
    MalformedSignature(String),
    /// The signature recovers to another address than the proposer.
    #[error("hint signed by {recovered}, not by the proposer {proposer}")]
    BadSignature {
        /// `proposal.proposer`.
        proposer: Address,
        /// The recovered signer.
        recovered: Address,
    },
    /// The slot is more than one slot away from the receiver's current slot.
    #[error("hint for slot {slot}, but the current slot is {current}")]
    WrongSlot {
        /// The hint's slot.
        slot: u64,
        /// The receiver's current slot.
        current: u64,
    },
}

impl Proposal {
    /// The digest signed: the domain, the network (`chain_id`, `rollup`) and every field.
    pub fn digest(&self, chain_id: u64, rollup: Address) -> B256 {
        keccak256(
            (
                HINT_DOMAIN.to_string(),
                chain_id,
                rollup,
                self.block_number,
                self.slot,
                self.l1_tx_hash,
                self.state_root,
                self.proposer,
            )
                .abi_encode(),
        )
    }

    /// Signs the proposal with the proposer's key (whose address must be `proposer`).
    pub fn sign(
        self,
        signer: &PrivateKeySigner,
        chain_id: u64,
        rollup: Address,
    ) -> Result<ProposalHint, alloy::signers::Error> {
        let signature = signer.sign_hash_sync(&self.digest(chain_id, rollup))?;
        Ok(ProposalHint {
            proposal: self,
            signature: Bytes::from(signature.as_bytes().to_vec()),
        })
    }
}

impl ProposalHint {
    /// Checks the signature and that the slot is within one of `current_slot`.
    pub fn verify(
        &self,
        chain_id: u64,
        rollup: Address,
        current_slot: u64,
    ) -> Result<(), HintError> {
        let p = &self.proposal;
        if p.slot.abs_diff(current_slot) > 1 {
            return Err(HintError::WrongSlot {
                slot: p.slot,
                current: current_slot,
            });
        }
        let signature = Signature::try_from(self.signature.as_ref())
            .map_err(|e| HintError::MalformedSignature(e.to_string()))?;
        let recovered = signature
            .recover_address_from_prehash(&p.digest(chain_id, rollup))
            .map_err(|e| HintError::MalformedSignature(e.to_string()))?;
        if recovered != p.proposer {
            return Err(HintError::BadSignature {
                proposer: p.proposer,
                recovered,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::address;

    use super::*;

    const ROLLUP: Address = address!("0x00000000000000000000000000000000000000aa");

    fn hint(signer: &PrivateKeySigner, proposer: Address) -> ProposalHint {
        Proposal {
            block_number: 7,
            slot: 40,
            l1_tx_hash: B256::repeat_byte(1),
            state_root: B256::repeat_byte(2),
            proposer,
        }
        .sign(signer, 31337, ROLLUP)
        .unwrap()
    }

    #[test]
    fn a_signed_hint_verifies_near_its_slot() {
        let signer = PrivateKeySigner::random();
        let hint = hint(&signer, signer.address());
        for current in [39, 40, 41] {
            hint.verify(31337, ROLLUP, current).unwrap();
        }
        assert_eq!(
            hint.verify(31337, ROLLUP, 42),
            Err(HintError::WrongSlot {
                slot: 40,
                current: 42
            })
        );
        let json = serde_json::to_vec(&hint).unwrap();
        assert_eq!(serde_json::from_slice::<ProposalHint>(&json).unwrap(), hint);
    }

    /// Attack (issue 11, proposals topic): a peer forges a hint in another proposer's name, or
    /// replays a hint of another network.
    #[test]
    fn forged_and_replayed_hints_are_refused() {
        let signer = PrivateKeySigner::random();
        let victim = Address::repeat_byte(9);
        assert!(matches!(
            hint(&signer, victim).verify(31337, ROLLUP, 40),
            Err(HintError::BadSignature { .. })
        ));
        let honest = hint(&signer, signer.address());
        assert!(honest.verify(1, ROLLUP, 40).is_err());
        assert!(honest.verify(31337, Address::ZERO, 40).is_err());
        let mut bad = honest;
        bad.signature = Bytes::from_static(b"short");
        assert!(matches!(
            bad.verify(31337, ROLLUP, 40),
            Err(HintError::MalformedSignature(_))
        ));
    }
}
