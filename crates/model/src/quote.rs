//! Quotes as provers sign them, and the forgeries the schedules try.

use alloy::{
    primitives::{Address, Bytes, U256},
    signers::{local::PrivateKeySigner, SignerSync},
};
use fernet_bindings::IRollup::{EpochProofQuote, SignedEpochProofQuote};

use crate::model::Model;

/// Signs `quote` with `signer` under the rollup's EIP-712 domain, as a prover node does.
pub(crate) fn sign(
    model: &Model,
    quote: EpochProofQuote,
    signer: &PrivateKeySigner,
) -> SignedEpochProofQuote {
    let unsigned = SignedEpochProofQuote {
        quote,
        signature: Bytes::new(),
    };
    let digest = model.quote_digest(&unsigned);
    let signature = signer
        .sign_hash_sync(&digest)
        .expect("a local key signs any digest");
    SignedEpochProofQuote {
        signature: Bytes::from(signature.as_bytes().to_vec()),
        ..unsigned
    }
}

/// A quote for `epoch` by `prover`, valid until `valid_until`, with `bond` and `fee`.
pub(crate) fn quote(
    prover: Address,
    epoch: u64,
    valid_until: u64,
    bond: u128,
    rollup: Address,
    fee: u32,
) -> EpochProofQuote {
    EpochProofQuote {
        prover,
        epochToProve: U256::from(epoch),
        validUntilSlot: U256::from(valid_until),
        bondAmount: U256::from(bond),
        rollupAddress: rollup,
        basisPointFee: fee,
    }
}
