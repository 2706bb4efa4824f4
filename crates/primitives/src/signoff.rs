//! Committee sign-offs (the committee mode, seed 004): the EIP-712 digest a committee member
//! signs to say it holds a proposed block's data, which `CommitteeRollup.proposeWithSignoffs`
//! recovers (`SignoffLib.sol`).

use alloy::{
    primitives::{Address, B256, U256},
    sol,
    sol_types::{eip712_domain, SolStruct},
};

use crate::quote::{DOMAIN_NAME, DOMAIN_VERSION};

sol! {
    /// `Signoff(uint256 blockNumber,uint256 slot,bytes32 publicInputsHash)` of `SignoffLib.sol`.
    #[derive(Debug, PartialEq, Eq)]
    struct Signoff {
        uint256 blockNumber;
        uint256 slot;
        bytes32 publicInputsHash;
    }
}

/// The EIP-712 digest of a sign-off of block `block_number` of `slot`, whose committed public
/// inputs hash to `public_inputs_hash`, under the rollup's domain `("FernetRollup", "1",
/// chain_id, rollup)`: what `CommitteeRollup.signoffDigest` returns.
pub fn signoff_digest(
    chain_id: u64,
    rollup: Address,
    block_number: u64,
    slot: u64,
    public_inputs_hash: B256,
) -> B256 {
    let domain = eip712_domain! {
        name: DOMAIN_NAME,
        version: DOMAIN_VERSION,
        chain_id: chain_id,
        verifying_contract: rollup,
    };
    Signoff {
        blockNumber: U256::from(block_number),
        slot: U256::from(slot),
        publicInputsHash: public_inputs_hash,
    }
    .eip712_signing_hash(&domain)
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{address, b256, keccak256};

    use super::*;

    #[test]
    fn digest_follows_eip712_by_hand() {
        let rollup = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");
        let hash = b256!("0x1111111111111111111111111111111111111111111111111111111111111111");
        let type_hash =
            keccak256("Signoff(uint256 blockNumber,uint256 slot,bytes32 publicInputsHash)");
        let struct_hash = keccak256(
            [
                type_hash.as_slice(),
                &U256::from(7).to_be_bytes::<32>(),
                &U256::from(42).to_be_bytes::<32>(),
                hash.as_slice(),
            ]
            .concat(),
        );
        let domain_type = keccak256(
            "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
        );
        let domain_separator = keccak256(
            [
                domain_type.as_slice(),
                keccak256(DOMAIN_NAME).as_slice(),
                keccak256(DOMAIN_VERSION).as_slice(),
                &U256::from(31337).to_be_bytes::<32>(),
                B256::left_padding_from(rollup.as_slice()).as_slice(),
            ]
            .concat(),
        );
        let expected =
            keccak256([&[0x19u8, 0x01][..], &domain_separator[..], &struct_hash[..]].concat());
        assert_eq!(signoff_digest(31337, rollup, 7, 42, hash), expected);
        assert_ne!(
            signoff_digest(1, rollup, 7, 42, hash),
            expected,
            "bound to the chain"
        );
    }
}
