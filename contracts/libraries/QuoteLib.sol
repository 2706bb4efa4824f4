// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice A prover's binding offer to prove one epoch (seed 003), signed with EIP-712.
/// @param prover The prover whose escrow backs the bond and who signs the quote.
/// @param epochToProve The epoch the prover will prove.
/// @param validUntilSlot Last slot in which the quote may be claimed.
/// @param bondAmount Bond locked from the prover's escrow when the quote is claimed.
/// @param rollupAddress The rollup the quote is for.
/// @param basisPointFee The prover's share of the epoch's rewards and fees, in basis points.
struct EpochProofQuote {
    address prover;
    uint256 epochToProve;
    uint256 validUntilSlot;
    uint256 bondAmount;
    address rollupAddress;
    uint32 basisPointFee;
}

/// @notice A quote with the prover's 65-byte ECDSA signature over its EIP-712 digest.
struct SignedEpochProofQuote {
    EpochProofQuote quote;
    bytes signature;
}

/// @title QuoteLib
/// @notice EIP-712 struct hashing of epoch proof quotes. The domain (name "FernetRollup", version "1",
///         chain id, rollup address) is applied by the rollup, so a quote never verifies on another chain or
///         rollup.
library QuoteLib {
    /// @notice keccak256 of the EIP-712 type string of `EpochProofQuote`.
    bytes32 internal constant EPOCH_PROOF_QUOTE_TYPEHASH = keccak256(
        "EpochProofQuote(address prover,uint256 epochToProve,uint256 validUntilSlot,uint256 bondAmount,address rollupAddress,uint32 basisPointFee)"
    );

    /// @notice The EIP-712 struct hash of `quote`.
    function structHash(EpochProofQuote memory quote) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                EPOCH_PROOF_QUOTE_TYPEHASH,
                quote.prover,
                quote.epochToProve,
                quote.validUntilSlot,
                quote.bondAmount,
                quote.rollupAddress,
                quote.basisPointFee
            )
        );
    }
}
