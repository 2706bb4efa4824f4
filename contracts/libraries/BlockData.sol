// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Constants} from "./Constants.sol";
import {Errors} from "./Errors.sol";

/// @title BlockData
/// @notice Checks that published block data is the canonical version-1 encoding of fernet-state:
///         `version (1 byte) | txCount (uint32, big-endian) | coinbase (20 bytes) | txCount * 224 bytes`,
///         each transaction effect being seven 32-byte words, every word a BN254 field element and the
///         first one (the fee) below 2^64.
/// @dev Why L1 checks it: the block circuit rebuilds the tx count (bytes 1..5) inside chunk 0 and hashes
///      exactly `25 + 224 * txCount` bytes, and the fingerprint `y` binds the 31-byte chunks of the data.
///      Trailing zero bytes leave the chunks unchanged, so without this check two different byte strings
///      (the data and the data with zeros appended or removed) would share one proof. With it, equal
///      chunks and an equal length mean equal bytes. Canonical words keep the encoding injective.
library BlockData {
    /// @notice Reverts unless `data` is the canonical version-1 encoding of a block body.
    /// @dev Checks, in this order: the header fits (`Rollup__DataLengthMismatch(25, length)`), the
    ///      version byte (`Rollup__UnsupportedDataVersion`), the length against the header's tx count
    ///      (`Rollup__DataLengthMismatch(25 + 224 * txCount, length)`), then every tx word from the first
    ///      (`Rollup__NonCanonicalDataWord(byteOffset, word)`).
    /// @param data The block data as published in calldata.
    function checkEncoding(bytes calldata data) internal pure {
        uint256 length = data.length;
        require(
            length >= Constants.DATA_HEADER_BYTES,
            Errors.Rollup__DataLengthMismatch(Constants.DATA_HEADER_BYTES, length)
        );

        // Header: scoped, so its words leave the stack before the word loop.
        {
            uint256 head;
            // slither reports the function's assembly once, at this first block: this directive covers both.
            // slither-disable-next-line assembly -- one calldata word instead of five bounds-checked byte reads
            assembly ("memory-safe") {
                // Bytes 0..32 of the data; only bytes 0..5 are used, all inside the data (length >= 25).
                head := calldataload(data.offset)
            }
            uint256 version = head >> 248;
            require(
                version == Constants.DATA_VERSION,
                Errors.Rollup__UnsupportedDataVersion(Constants.DATA_VERSION, version)
            );
            // Bytes 1..5: the big-endian uint32 tx count. Cannot overflow: txCount < 2^32, so expected < 2^40.
            uint256 expected;
            unchecked {
                expected =
                    Constants.DATA_HEADER_BYTES + Constants.TX_EFFECT_BYTES * ((head >> 216) & 0xffffffff);
            }
            require(length == expected, Errors.Rollup__DataLengthMismatch(expected, length));
        }

        // The first out-of-range word, by byte offset in the data (0: none; tx words start at byte 25).
        uint256 badOffset;
        uint256 badWord;
        uint256 maxWord = Constants.FIELD_MODULUS - 1;
        uint256 maxFee = Constants.MAX_FEE;
        uint256 txBytes = Constants.TX_EFFECT_BYTES;
        uint256 start = Constants.DATA_HEADER_BYTES;
        // Assembly (covered by the directive above): reads the words straight from calldata, no copy, no
        // bounds checks.
        assembly ("memory-safe") {
            let end := add(data.offset, length)
            // One iteration per tx effect; the length check above makes `end` fall on a tx boundary.
            for { let p := add(data.offset, start) } lt(p, end) { p := add(p, txBytes) } {
                // Fast path, unrolled over the 7 words (TX_EFFECT_BYTES = 7 * 32): OR of "out of range".
                // Word 0 is the fee (below 2^64, which also makes it a field element), words 1..6 below r.
                let bad := gt(calldataload(p), maxFee)
                bad := or(bad, gt(calldataload(add(p, 0x20)), maxWord))
                bad := or(bad, gt(calldataload(add(p, 0x40)), maxWord))
                bad := or(bad, gt(calldataload(add(p, 0x60)), maxWord))
                bad := or(bad, gt(calldataload(add(p, 0x80)), maxWord))
                bad := or(bad, gt(calldataload(add(p, 0xa0)), maxWord))
                bad := or(bad, gt(calldataload(add(p, 0xc0)), maxWord))
                if bad {
                    // Slow path, taken once before reverting: the first out-of-range word of this tx.
                    for { let k := 0 } lt(k, txBytes) { k := add(k, 0x20) } {
                        let word := calldataload(add(p, k))
                        let limit := maxWord
                        if iszero(k) { limit := maxFee }
                        if gt(word, limit) {
                            badOffset := sub(add(p, k), data.offset)
                            badWord := word
                            break
                        }
                    }
                    break
                }
            }
        }
        require(badOffset == 0, Errors.Rollup__NonCanonicalDataWord(badOffset, badWord));
    }
}
