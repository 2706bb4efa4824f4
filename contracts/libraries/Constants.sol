// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Constants
/// @notice Values shared with the Rust side (fernet-state): field modulus and the public-input layout.
library Constants {
    /// @notice The BN254 scalar field modulus r: every public input is an element of [0, r).
    uint256 internal constant FIELD_MODULUS =
        21_888_242_871_839_275_222_246_405_745_257_275_088_548_364_400_416_034_343_698_204_186_575_808_495_617;

    /// @notice Public inputs per block proof:
    ///         [prevStateRoot, newStateRoot, globals, dataHash, challenge, evaluation].
    uint256 internal constant PUBLIC_INPUTS_PER_BLOCK = 6;

    /// @notice `globals = blockNumber | slot << 64 | totalFees << 128`.
    uint256 internal constant GLOBALS_SLOT_SHIFT = 64;
    /// @notice Bit offset of the fees in `globals`.
    uint256 internal constant GLOBALS_FEES_SHIFT = 128;
    /// @notice Block numbers and slots must fit in 64 bits.
    uint256 internal constant MAX_UINT64 = type(uint64).max;
    /// @notice Total fees of a block must fit in 120 bits, so `globals` stays below r.
    uint256 internal constant MAX_FEES = (1 << 120) - 1;

    /// @notice Bytes of block data per field element of the fingerprint evaluation.
    uint256 internal constant DATA_CHUNK_BYTES = 31;

    /// @notice 100 % in basis points.
    uint256 internal constant BASIS_POINTS = 10_000;
}
