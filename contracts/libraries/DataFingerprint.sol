// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Constants} from "./Constants.sol";

/// @title DataFingerprint
/// @notice Binds a block proof to the exact data the proposal published in calldata, without hashing the
///         data in-circuit with SHA-256: the proposer claims `h = Poseidon(data)`, L1 derives the challenge
///         `z = keccak256(abi.encode(h, keccak256(data))) mod r` and evaluates the data as a polynomial at
///         `z`. The circuit proves that its data hashes to `h` and evaluates to the same `y` at `z`
///         (Schwartz-Zippel: two different data vectors agree at a random point with probability <= n/r).
/// @dev Chunks: the data is split into 31-byte big-endian chunks, the last one right-padded with zeros;
///      `y = sum_i chunk_i * z^i mod r`.
library DataFingerprint {
    /// @notice Computes the challenge `z` and evaluation `y` for `data` and its claimed hash `h`.
    /// @param dataHash The proposer's claimed Poseidon hash `h` of the data (must be < r).
    /// @param data The block data as published.
    /// @return challenge `z`.
    /// @return evaluation `y`.
    function evaluate(uint256 dataHash, bytes calldata data)
        internal
        pure
        returns (uint256 challenge, uint256 evaluation)
    {
        challenge = uint256(keccak256(abi.encode(dataHash, keccak256(data)))) % Constants.FIELD_MODULUS;
        uint256 r = Constants.FIELD_MODULUS;
        uint256 length = data.length;
        uint256 chunks = (length + 30) / 31;
        // Horner from the last chunk down: y = d_0 + z (d_1 + z (d_2 + ...)).
        // slither-disable-next-line assembly -- reads the chunks straight from calldata
        assembly ("memory-safe") {
            let acc := 0
            for { let i := chunks } gt(i, 0) {} {
                i := sub(i, 1)
                let offset := mul(i, 31)
                // 32 bytes at offset, keep the first 31 (big-endian), zero the bytes past the end.
                let word := calldataload(add(data.offset, offset))
                let remaining := sub(length, offset)
                if lt(remaining, 31) {
                    // Clear the low (32 - remaining) bytes, then align like a full chunk.
                    let dropBits := sub(256, mul(remaining, 8))
                    word := shl(dropBits, shr(dropBits, word))
                }
                let chunk := shr(8, word)
                acc := addmod(mulmod(acc, challenge, r), chunk, r)
            }
            evaluation := acc
        }
    }
}
