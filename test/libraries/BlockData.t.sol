// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BlockData} from "../../contracts/libraries/BlockData.sol";
import {Constants} from "../../contracts/libraries/Constants.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {BlockDataBuilder} from "../helpers/BlockDataBuilder.sol";
import {ReferenceFingerprint} from "../helpers/ReferenceFingerprint.sol";
import {Test} from "forge-std/Test.sol";

/// @notice Exposes the calldata-only library to tests.
contract BlockDataHarness {
    /// @notice Reverts unless `data` is canonical; `used` is the library's own gas.
    function check(bytes calldata data) external view returns (uint256 used) {
        uint256 before = gasleft();
        BlockData.checkEncoding(data);
        used = before - gasleft();
    }

    /// @notice The message words of canonical `data`.
    function messageWords(bytes calldata data) external pure returns (bytes32[] memory) {
        BlockData.checkEncoding(data);
        return BlockData.messageWords(data);
    }
}

/// @notice BlockData.checkEncoding against a plain reference implementation written from the spec
///         (issue 10, findings 1 and 4; data format version 2): header, version, length, message count, then
///         every unused message slot and every tx word in byte order.
contract BlockDataTest is Test {
    uint256 internal constant R = Constants.FIELD_MODULUS;
    uint256 internal constant HEADER = 154;
    uint256 internal constant TX = 224;
    uint256 internal constant VERSION = 2;
    uint256 internal constant COUNT_OFFSET = 25;
    uint256 internal constant SLOTS = 4;

    BlockDataHarness internal harness;

    function setUp() public {
        harness = new BlockDataHarness();
    }

    // ------------------------------------------------------------------ reference

    /// @dev The revert data the spec prescribes for `data` (empty when canonical).
    function _refError(bytes memory data) internal pure returns (bytes memory) {
        if (data.length < HEADER) {
            return abi.encodeWithSelector(Errors.Rollup__DataLengthMismatch.selector, HEADER, data.length);
        }
        uint256 version = uint8(data[0]);
        if (version != VERSION) {
            return abi.encodeWithSelector(Errors.Rollup__UnsupportedDataVersion.selector, VERSION, version);
        }
        uint256 txCount;
        for (uint256 i = 1; i < 5; ++i) {
            txCount = (txCount << 8) | uint8(data[i]);
        }
        uint256 expected = HEADER + TX * txCount;
        if (data.length != expected) {
            return abi.encodeWithSelector(Errors.Rollup__DataLengthMismatch.selector, expected, data.length);
        }
        uint256 messages = uint8(data[COUNT_OFFSET]);
        if (messages > SLOTS) {
            return abi.encodeWithSelector(Errors.Rollup__TooManyMessages.selector, SLOTS, messages);
        }
        for (uint256 offset = COUNT_OFFSET + 1 + 32 * messages; offset < data.length; offset += 32) {
            uint256 word;
            for (uint256 j; j < 32; ++j) {
                word = (word << 8) | uint8(data[offset + j]);
            }
            bool unusedSlot = offset < HEADER;
            bool isPayerAndFee = !unusedSlot && (offset - HEADER) % TX == 0;
            if ((unusedSlot && word != 0) || word >= R || (isPayerAndFee && word >= 2 ** 224)) {
                return abi.encodeWithSelector(Errors.Rollup__NonCanonicalDataWord.selector, offset, word);
            }
        }
        return "";
    }

    function _assertMatchesReference(bytes memory data) internal view {
        bytes memory expected = _refError(data);
        try harness.check(data) {
            assertEq(expected.length, 0, "accepted, but the reference rejects it");
        } catch (bytes memory actual) {
            assertEq(actual, expected, "revert data");
        }
    }

    function _expectRevert(bytes memory data, bytes memory err) internal {
        vm.expectRevert(err);
        harness.check(data);
    }

    // ------------------------------------------------------------------ canonical data

    /// @dev DATA_HEADER_BYTES is written as a literal for gas: it must match the layout it summarises.
    function test_constants_headerIsCountByteThenMessageSlots() public pure {
        assertEq(
            Constants.DATA_HEADER_BYTES,
            Constants.MESSAGE_COUNT_OFFSET + 1 + Constants.MESSAGES_PER_BLOCK * Constants.MESSAGE_BYTES,
            "header = count byte + message slots"
        );
        assertEq(HEADER, Constants.DATA_HEADER_BYTES, "154 bytes");
        assertEq(Constants.MAX_FEE_WORD, 2 ** 224 - 1, "payer and fee below 2^224");
        assertEq(Constants.MAX_DEPOSIT, 2 ** 96 - 1, "deposits fit the 96-bit amount");
    }

    function test_checkEncoding_acceptsCanonicalData() public view {
        for (uint256 n; n < 4; ++n) {
            bytes memory data = BlockDataBuilder.build(n, n + 100);
            harness.check(data);
            assertEq(_refError(data).length, 0, "reference agrees");
        }
        // Every word at its largest canonical value, every message slot used with all bits set.
        bytes32[] memory messages = new bytes32[](SLOTS);
        for (uint256 i; i < SLOTS; ++i) {
            messages[i] = bytes32(type(uint256).max);
        }
        bytes memory edge = BlockDataBuilder.build(messages, 2, 1);
        for (uint256 t; t < 2; ++t) {
            for (uint256 w; w < 7; ++w) {
                BlockDataBuilder.setWord(edge, HEADER + t * TX + w * 32, w == 0 ? 2 ** 224 - 1 : R - 1);
            }
        }
        harness.check(edge);
        assertEq(_refError(edge).length, 0, "reference agrees");
    }

    /// @dev The consumed slots are returned in order (the inbox checks them); the unused ones are not.
    function test_messageWords_returnsTheConsumedSlotsInOrder() public view {
        for (uint256 m; m <= SLOTS; ++m) {
            bytes32[] memory messages = new bytes32[](m);
            for (uint256 i; i < m; ++i) {
                // forge-lint: disable-next-line(unsafe-typecast) -- a small test address
                messages[i] = BlockDataBuilder.messageWord(address(uint160(0xa11ce + i)), 1 ether + i);
            }
            bytes memory data = BlockDataBuilder.build(messages, 2, m);
            assertEq(uint8(data[COUNT_OFFSET]), m, "count byte");
            assertEq(harness.messageWords(data), messages, "message words");
        }
    }

    // ------------------------------------------------------------------ each rule, in order

    function test_checkEncoding_revertsWhenShorterThanTheHeader() public {
        _expectRevert("", abi.encodeWithSelector(Errors.Rollup__DataLengthMismatch.selector, HEADER, 0));
        bytes memory data = new bytes(HEADER - 1);
        data[0] = 0x02;
        _expectRevert(
            data, abi.encodeWithSelector(Errors.Rollup__DataLengthMismatch.selector, HEADER, HEADER - 1)
        );
    }

    function test_checkEncoding_revertsOnAnotherVersion() public {
        bytes memory data = BlockDataBuilder.build(1, 1);
        for (uint8 v; v < 255; v += 51) {
            data[0] = bytes1(v);
            _expectRevert(
                data, abi.encodeWithSelector(Errors.Rollup__UnsupportedDataVersion.selector, VERSION, v)
            );
        }
        // Version 1 (no message slots) is no longer accepted.
        data[0] = 0x01;
        _expectRevert(
            data, abi.encodeWithSelector(Errors.Rollup__UnsupportedDataVersion.selector, VERSION, 1)
        );
    }

    function test_checkEncoding_readsTheTxCountBigEndian() public {
        // Count 256 (byte 3 = 1): expected 154 + 224 * 256, whatever the data holds.
        bytes memory data = BlockDataBuilder.build(1, 1);
        (data[3], data[4]) = (0x01, 0x00);
        _expectRevert(
            data,
            abi.encodeWithSelector(Errors.Rollup__DataLengthMismatch.selector, HEADER + TX * 256, data.length)
        );
        // The most significant byte of the count (byte 1).
        (data[1], data[3], data[4]) = (0x01, 0x00, 0x01);
        _expectRevert(
            data,
            abi.encodeWithSelector(
                Errors.Rollup__DataLengthMismatch.selector, HEADER + TX * ((1 << 24) + 1), data.length
            )
        );
    }

    function test_checkEncoding_revertsOnTheFirstNonCanonicalWord() public {
        bytes memory data = BlockDataBuilder.build(3, 1);
        // Payer and fee word of tx 2 is 2^224; word 6 of tx 1 is r: the earlier one is reported.
        BlockDataBuilder.setWord(data, HEADER + 2 * TX, 2 ** 224);
        BlockDataBuilder.setWord(data, HEADER + TX + 6 * 32, R);
        _expectRevert(
            data,
            abi.encodeWithSelector(Errors.Rollup__NonCanonicalDataWord.selector, HEADER + TX + 6 * 32, R)
        );
        BlockDataBuilder.setWord(data, HEADER + TX + 6 * 32, 0);
        _expectRevert(
            data,
            abi.encodeWithSelector(Errors.Rollup__NonCanonicalDataWord.selector, HEADER + 2 * TX, 2 ** 224)
        );
    }

    function test_checkEncoding_revertsOnTooManyMessages() public {
        bytes memory data = BlockDataBuilder.build(1, 1);
        for (uint256 m = SLOTS + 1; m < 256; m += 50) {
            // forge-lint: disable-next-line(unsafe-typecast) -- m < 256
            data[COUNT_OFFSET] = bytes1(uint8(m));
            _expectRevert(data, abi.encodeWithSelector(Errors.Rollup__TooManyMessages.selector, SLOTS, m));
        }
        data[COUNT_OFFSET] = 0x04;
        harness.check(data);
    }

    /// @dev Slots at or past the message count must be zero: a byte there would be data the circuit ignores.
    function test_checkEncoding_revertsOnANonZeroUnusedMessageSlot() public {
        bytes32[] memory messages = new bytes32[](1);
        messages[0] = BlockDataBuilder.messageWord(address(0xa11ce), 5);
        bytes memory data = BlockDataBuilder.build(messages, 1, 1);
        // Slot 3 (unused) holds 1 and slot 2 (unused) the lowest non-zero top byte: slot 2 is reported first.
        BlockDataBuilder.setWord(data, BlockDataBuilder.messageOffset(3), 1);
        _expectRevert(
            data,
            abi.encodeWithSelector(
                Errors.Rollup__NonCanonicalDataWord.selector, BlockDataBuilder.messageOffset(3), 1
            )
        );
        BlockDataBuilder.setWord(data, BlockDataBuilder.messageOffset(2), 1 << 248);
        _expectRevert(
            data,
            abi.encodeWithSelector(
                Errors.Rollup__NonCanonicalDataWord.selector, BlockDataBuilder.messageOffset(2), 1 << 248
            )
        );
        // A bad unused slot is reported before a bad tx word.
        BlockDataBuilder.setWord(data, HEADER, 2 ** 224);
        _expectRevert(
            data,
            abi.encodeWithSelector(
                Errors.Rollup__NonCanonicalDataWord.selector, BlockDataBuilder.messageOffset(2), 1 << 248
            )
        );
        // Counting the slots as used makes them valid (their contents are the inbox's to check).
        data[COUNT_OFFSET] = 0x04;
        BlockDataBuilder.setWord(data, HEADER, 0);
        harness.check(data);
    }

    /// @dev The coinbase (header bytes 5..25) is not a field element word: any 20 bytes are accepted.
    function test_checkEncoding_acceptsAnyCoinbase() public view {
        bytes memory data = BlockDataBuilder.build(1, 1);
        for (uint256 i = 5; i < COUNT_OFFSET; ++i) {
            data[i] = 0xff;
        }
        harness.check(data);
    }

    // ------------------------------------------------------------------ why: zeros are invisible to the chunks

    /// @dev The premise of finding 1: appending zero bytes leaves the chunk polynomial unchanged at every
    ///      point, so only the length check tells the two byte strings apart.
    function testFuzz_checkEncoding_appendedZerosKeepTheChunksButFailTheLength(uint256 zeros, uint256 z)
        public
    {
        zeros = bound(zeros, 1, 2 * TX);
        z = bound(z, 0, R - 1);
        bytes memory data = BlockDataBuilder.build(2, 9);
        bytes memory padded = bytes.concat(data, new bytes(zeros));
        assertEq(
            ReferenceFingerprint.evaluation(padded, z),
            ReferenceFingerprint.evaluation(data, z),
            "same chunk polynomial"
        );
        harness.check(data);
        _expectRevert(
            padded,
            abi.encodeWithSelector(Errors.Rollup__DataLengthMismatch.selector, data.length, padded.length)
        );
    }

    function test_checkEncoding_appendedZerosKeepTheChunksButFailTheLength_concrete() public {
        testFuzz_checkEncoding_appendedZerosKeepTheChunksButFailTheLength(TX, 12_345);
    }

    // ------------------------------------------------------------------ differential

    /// @dev Canonical data with up to three single-byte mutations (any position, any value) is accepted or
    ///      rejected exactly as the reference says, with the same error values.
    function testFuzz_checkEncoding_matchesReference(
        uint256 txCount,
        uint256 seed,
        uint256[3] memory positions,
        uint8[3] memory values,
        uint256 lengthDelta
    ) public view {
        txCount = bound(txCount, 0, 4);
        bytes memory data = BlockDataBuilder.build(txCount, seed);
        for (uint256 i; i < 3; ++i) {
            data[positions[i] % data.length] = bytes1(values[i]);
        }
        // Sometimes change the length as well: lengthDelta % 3 == 1 appends, == 2 removes.
        uint256 delta = (lengthDelta >> 2) % 40;
        if (lengthDelta % 3 == 1) {
            data = bytes.concat(data, new bytes(delta));
        } else if (lengthDelta % 3 == 2 && delta <= data.length) {
            bytes memory shorter = new bytes(data.length - delta);
            for (uint256 i; i < shorter.length; ++i) {
                shorter[i] = data[i];
            }
            data = shorter;
        }
        _assertMatchesReference(data);
    }

    function test_checkEncoding_matchesReference_concrete() public view {
        uint256[3] memory positions = [uint256(0), 1, 2];
        uint8[3] memory values = [uint8(2), 0, 0];
        // Byte 0 kept at 2; a top byte of a word set high (word 1 of tx 0: byte 25 + 32).
        positions[2] = HEADER + 32;
        values[2] = 0xff;
        testFuzz_checkEncoding_matchesReference(2, 3, positions, values, 0);
        // 28: 28 % 3 == 1 appends (28 >> 2) % 40 = 7 bytes; 20: 20 % 3 == 2 removes 5 bytes.
        testFuzz_checkEncoding_matchesReference(2, 3, positions, values, 28);
        testFuzz_checkEncoding_matchesReference(2, 3, positions, values, 20);
    }

    /// @dev Entirely random bytes, including lengths shorter than the header.
    function testFuzz_checkEncoding_randomBytesMatchReference(bytes calldata data) public view {
        _assertMatchesReference(data);
    }

    // ------------------------------------------------------------------ gas

    /// @dev The check's own cost at the largest block the test config accepts (17 transactions, 3,962 bytes):
    ///      about 32 gas per word (`forge test --match-test test_gas_checkEncoding -vv` prints it).
    function test_gas_checkEncoding_17Txs() public {
        bytes memory data = BlockDataBuilder.build(17, 1);
        uint256 used = harness.check(data);
        emit log_named_uint("BlockData.checkEncoding gas, 17 txs (3962 bytes)", used);
        assertLt(used, 5300, "gas budget");
    }
}
