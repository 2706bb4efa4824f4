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
}

/// @notice BlockData.checkEncoding against a plain reference implementation written from the spec
///         (issue 10, finding 1): header, version, length, then every tx word in byte order.
contract BlockDataTest is Test {
    uint256 internal constant R = Constants.FIELD_MODULUS;
    uint256 internal constant HEADER = 25;
    uint256 internal constant TX = 224;

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
        if (version != 1) {
            return abi.encodeWithSelector(Errors.Rollup__UnsupportedDataVersion.selector, 1, version);
        }
        uint256 txCount;
        for (uint256 i = 1; i < 5; ++i) {
            txCount = (txCount << 8) | uint8(data[i]);
        }
        uint256 expected = HEADER + TX * txCount;
        if (data.length != expected) {
            return abi.encodeWithSelector(Errors.Rollup__DataLengthMismatch.selector, expected, data.length);
        }
        for (uint256 offset = HEADER; offset < data.length; offset += 32) {
            uint256 word;
            for (uint256 j; j < 32; ++j) {
                word = (word << 8) | uint8(data[offset + j]);
            }
            bool isFee = (offset - HEADER) % TX == 0;
            if (word >= R || (isFee && word >= 2 ** 64)) {
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

    function test_checkEncoding_acceptsCanonicalData() public view {
        for (uint256 n; n < 4; ++n) {
            bytes memory data = BlockDataBuilder.build(n, n + 100);
            harness.check(data);
            assertEq(_refError(data).length, 0, "reference agrees");
        }
        // Every word at its largest canonical value.
        bytes memory edge = BlockDataBuilder.build(2, 1);
        for (uint256 t; t < 2; ++t) {
            for (uint256 w; w < 7; ++w) {
                BlockDataBuilder.setWord(edge, HEADER + t * TX + w * 32, w == 0 ? type(uint64).max : R - 1);
            }
        }
        harness.check(edge);
    }

    // ------------------------------------------------------------------ each rule, in order

    function test_checkEncoding_revertsWhenShorterThanTheHeader() public {
        _expectRevert("", abi.encodeWithSelector(Errors.Rollup__DataLengthMismatch.selector, HEADER, 0));
        bytes memory data = new bytes(HEADER - 1);
        data[0] = 0x01;
        _expectRevert(
            data, abi.encodeWithSelector(Errors.Rollup__DataLengthMismatch.selector, HEADER, HEADER - 1)
        );
    }

    function test_checkEncoding_revertsOnAnotherVersion() public {
        bytes memory data = BlockDataBuilder.build(1, 1);
        for (uint8 v; v < 255; v += 51) {
            if (v == 1) continue;
            data[0] = bytes1(v);
            _expectRevert(data, abi.encodeWithSelector(Errors.Rollup__UnsupportedDataVersion.selector, 1, v));
        }
    }

    function test_checkEncoding_readsTheTxCountBigEndian() public {
        // Count 256 (byte 3 = 1): expected 25 + 224 * 256, whatever the data holds.
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
        // Fee of tx 2 is 2^64; word 6 of tx 1 is r: the earlier one is reported.
        BlockDataBuilder.setWord(data, HEADER + 2 * TX, 2 ** 64);
        BlockDataBuilder.setWord(data, HEADER + TX + 6 * 32, R);
        _expectRevert(
            data,
            abi.encodeWithSelector(Errors.Rollup__NonCanonicalDataWord.selector, HEADER + TX + 6 * 32, R)
        );
        BlockDataBuilder.setWord(data, HEADER + TX + 6 * 32, 0);
        _expectRevert(
            data,
            abi.encodeWithSelector(Errors.Rollup__NonCanonicalDataWord.selector, HEADER + 2 * TX, 2 ** 64)
        );
    }

    /// @dev The coinbase (header bytes 5..25) is not a field element word: any 20 bytes are accepted.
    function test_checkEncoding_acceptsAnyCoinbase() public view {
        bytes memory data = BlockDataBuilder.build(1, 1);
        for (uint256 i = 5; i < HEADER; ++i) {
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
        uint8[3] memory values = [uint8(1), 0, 0];
        // Byte 0 kept at 1; a top byte of a word set high (word 1 of tx 0: byte 25 + 32).
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

    /// @dev The check's own cost at the largest block the test config accepts (18 transactions, 4,057 bytes):
    ///      about 32 gas per word (`forge test --match-test test_gas_checkEncoding -vv` prints it).
    function test_gas_checkEncoding_18Txs() public {
        bytes memory data = BlockDataBuilder.build(18, 1);
        uint256 used = harness.check(data);
        emit log_named_uint("BlockData.checkEncoding gas, 18 txs (4057 bytes)", used);
        assertLt(used, 5300, "gas budget");
    }
}
