// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title SignoffLib
/// @notice EIP-712 struct hashing of a committee member's sign-off on a proposed block. The domain (name
///         "FernetRollup", version "1", chain id, rollup address) is applied by the rollup, as for quotes.
/// @dev A sign-off says: I hold the data of block `blockNumber` of `slot` whose committed public inputs hash to
///      `publicInputsHash`, and I will prove my chunks of it.
library SignoffLib {
    /// @notice keccak256 of the EIP-712 type string of a sign-off.
    bytes32 internal constant SIGNOFF_TYPEHASH =
        keccak256("Signoff(uint256 blockNumber,uint256 slot,bytes32 publicInputsHash)");

    /// @notice The EIP-712 struct hash of a sign-off.
    function structHash(uint256 blockNumber, uint256 slot, bytes32 publicInputsHash)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(SIGNOFF_TYPEHASH, blockNumber, slot, publicInputsHash));
    }
}
