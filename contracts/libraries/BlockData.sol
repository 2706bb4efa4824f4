// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Constants} from "./Constants.sol";
import {Errors} from "./Errors.sol";

/// @title BlockData
/// @notice Checks that published block data is the canonical version-2 encoding of fernet-state:
///         `version (1 byte) | txCount (uint32, big-endian) | coinbase (20 bytes) | messageCount (1 byte) |
///         4 message slots of 32 bytes | txCount * 224 bytes`. A message slot below the count is
///         `recipient (20 bytes) | amount (12 bytes)`, the others are zero; each transaction effect is seven
///         32-byte words, the first `payer | fee` below 2^224 and every other one a BN254 field element.
/// @dev Why L1 checks it: the block circuit rebuilds the header inside the first chunks and hashes exactly
///      `154 + 224 * txCount` bytes, and the fingerprint `y` binds the 31-byte chunks of the data. Trailing
///      zero bytes leave the chunks unchanged, so without this check two different byte strings (the data and
///      the data with zeros appended or removed) would share one proof. With it, equal chunks and an equal
///      length mean equal bytes. Canonical words keep the encoding injective. The consumed message slots are
///      checked against the FeeInbox by the rollup (`messageWords`), which only holds valid deposits.
library BlockData {
    /// @dev Right shift that brings the message count byte of the first data word to the low byte:
    ///      248 - 8 * MESSAGE_COUNT_OFFSET. Literals here and below: the legacy code generator does not fold a
    ///      constant built from other constants (see Constants.DATA_HEADER_BYTES); the tests check the values.
    uint256 private constant MESSAGE_COUNT_SHIFT = 48;
    /// @dev Byte offset of the first message slot: MESSAGE_COUNT_OFFSET + 1.
    uint256 private constant MESSAGES_START = 26;

    /// @notice Reverts unless `data` is the canonical version-2 encoding of a block body.
    /// @dev Checks, in this order: the header fits (`Rollup__DataLengthMismatch(154, length)`), the version
    ///      byte (`Rollup__UnsupportedDataVersion`), the length against the header's tx count
    ///      (`Rollup__DataLengthMismatch(154 + 224 * txCount, length)`), the message count
    ///      (`Rollup__TooManyMessages(4, count)`), then every unused message slot and every tx word from the
    ///      first (`Rollup__NonCanonicalDataWord(byteOffset, word)`).
    /// @param data The block data as published in calldata.
    function checkEncoding(bytes calldata data) internal pure {
        uint256 length = data.length;
        require(
            length >= Constants.DATA_HEADER_BYTES,
            Errors.Rollup__DataLengthMismatch(Constants.DATA_HEADER_BYTES, length)
        );

        // Header: scoped, so its words leave the stack before the word loops.
        uint256 messageCount;
        {
            uint256 head;
            // slither reports the function's assembly once, at this first block: this directive covers both.
            // slither-disable-next-line assembly -- one calldata word instead of six bounds-checked byte reads
            assembly ("memory-safe") {
                // Bytes 0..32 of the data; only bytes 0..26 are used, all inside the data (length >= 154).
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
            messageCount = (head >> MESSAGE_COUNT_SHIFT) & 0xff;
            require(
                messageCount <= Constants.MESSAGES_PER_BLOCK,
                Errors.Rollup__TooManyMessages(Constants.MESSAGES_PER_BLOCK, messageCount)
            );
        }

        // The first non-canonical word, by byte offset in the data (0: none; checked words start at byte 26).
        uint256 badOffset;
        uint256 badWord;
        uint256 txStart = Constants.DATA_HEADER_BYTES;
        {
            uint256 messagesStart = MESSAGES_START;
            // Assembly (covered by the directive above): the unused message slots (messageCount..4) must be zero.
            assembly ("memory-safe") {
                let slots := add(data.offset, messagesStart)
                // Fast path, unrolled over the 4 slots (MESSAGES_PER_BLOCK): non-zero iff an unused slot is not.
                let bad := mul(iszero(lt(0, messageCount)), calldataload(slots))
                bad := or(bad, mul(iszero(lt(1, messageCount)), calldataload(add(slots, 0x20))))
                bad := or(bad, mul(iszero(lt(2, messageCount)), calldataload(add(slots, 0x40))))
                bad := or(bad, mul(iszero(lt(3, messageCount)), calldataload(add(slots, 0x60))))
                if bad {
                    // Slow path, taken once before reverting: the first non-zero unused slot.
                    for { let p := add(slots, shl(5, messageCount)) } 1 { p := add(p, 0x20) } {
                        let word := calldataload(p)
                        if word {
                            badOffset := sub(p, data.offset)
                            badWord := word
                            break
                        }
                    }
                }
            }
        }
        if (badOffset == 0) {
            uint256 maxWord = Constants.FIELD_MODULUS - 1;
            uint256 maxFeeWord = Constants.MAX_FEE_WORD;
            uint256 txBytes = Constants.TX_EFFECT_BYTES;
            // Assembly (covered by the directive above): reads the words straight from calldata, no copy, no
            // bounds checks.
            assembly ("memory-safe") {
                let end := add(data.offset, length)
                // One iteration per tx effect; the length check above makes `end` fall on a tx boundary.
                for { let p := add(data.offset, txStart) } lt(p, end) { p := add(p, txBytes) } {
                    // Fast path, unrolled over the 7 words (TX_EFFECT_BYTES = 7 * 32): OR of "out of range".
                    // Word 0 is payer | fee (below 2^224, which also makes it a field element), words 1..6
                    // below r.
                    let bad := gt(calldataload(p), maxFeeWord)
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
                            if iszero(k) { limit := maxFeeWord }
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
        }
        require(badOffset == 0, Errors.Rollup__NonCanonicalDataWord(badOffset, badWord));
    }

    /// @notice The block's consumed message words, `uint160(recipient) << 96 | amount` each, in slot order:
    ///         what the FeeInbox must hold from the parent's cursor on.
    /// @dev Only for data that passed `checkEncoding` (header present, count at most MESSAGES_PER_BLOCK).
    /// @param data The block data as published in calldata.
    /// @return words The first `messageCount` message slots.
    function messageWords(bytes calldata data) internal pure returns (bytes32[] memory words) {
        uint256 countOffset = Constants.MESSAGE_COUNT_OFFSET;
        uint256 messagesStart = MESSAGES_START;
        // slither-disable-next-line assembly -- one allocation and one calldatacopy, no zeroing or bounds checks
        assembly ("memory-safe") {
            let count := byte(0, calldataload(add(data.offset, countOffset)))
            words := mload(0x40)
            mstore(words, count)
            let bytes_ := shl(5, count)
            calldatacopy(add(words, 0x20), add(data.offset, messagesStart), bytes_)
            mstore(0x40, add(add(words, 0x20), bytes_))
        }
    }
}
