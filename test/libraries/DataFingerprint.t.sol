// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Constants} from "../../contracts/libraries/Constants.sol";
import {DataFingerprint} from "../../contracts/libraries/DataFingerprint.sol";
import {ReferenceFingerprint} from "../helpers/ReferenceFingerprint.sol";
import {Test} from "forge-std/Test.sol";

/// @notice Exposes the calldata-only library to tests.
contract DataFingerprintHarness {
    function evaluate(uint256 dataHash, bytes calldata data) external pure returns (uint256, uint256) {
        return DataFingerprint.evaluate(dataHash, data);
    }
}

/// @notice DataFingerprint against a plain reference implementation written from its spec.
contract DataFingerprintTest is Test {
    uint256 internal constant R = Constants.FIELD_MODULUS;

    DataFingerprintHarness internal harness;

    function setUp() public {
        harness = new DataFingerprintHarness();
    }

    // ------------------------------------------------------------------ reference

    /// @dev z = keccak256(abi.encode(h, keccak256(data))) mod r.
    function _refChallenge(uint256 h, bytes memory data) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(h, keccak256(data)))) % R;
    }

    /// @dev `length` pseudo-random bytes.
    function _bytes(uint256 seed, uint256 length) internal pure returns (bytes memory data) {
        data = new bytes(length);
        for (uint256 i; i < length; i += 32) {
            bytes32 word = keccak256(abi.encode(seed, i));
            for (uint256 j; j < 32 && i + j < length; ++j) {
                data[i + j] = word[j];
            }
        }
    }

    function _assertMatchesReference(uint256 h, bytes memory data) internal view {
        (uint256 z, uint256 y) = harness.evaluate(h, data);
        uint256 zRef = _refChallenge(h, data);
        assertEq(z, zRef, "challenge");
        assertEq(y, ReferenceFingerprint.evaluation(data, zRef), "evaluation");
        assertLt(y, R, "evaluation is a field element");
    }

    // ------------------------------------------------------------------ against the reference

    function testFuzz_evaluate_matchesReference(uint256 h, uint256 seed, uint256 length) public view {
        h = bound(h, 0, R - 1);
        length = bound(length, 0, 1000);
        _assertMatchesReference(h, _bytes(seed, length));
    }

    function test_evaluate_matchesReferenceAtChunkBoundaries() public view {
        uint256[12] memory lengths = [uint256(0), 1, 30, 31, 32, 61, 62, 63, 64, 93, 94, 1000];
        for (uint256 i; i < lengths.length; ++i) {
            _assertMatchesReference(42, _bytes(i, lengths[i]));
        }
    }

    function test_evaluate_allOnesChunksNeedNoReduction() public view {
        bytes memory data = new bytes(93);
        for (uint256 i; i < data.length; ++i) {
            data[i] = 0xff;
        }
        _assertMatchesReference(R - 1, data);
    }

    // ------------------------------------------------------------------ dirty calldata

    /// @dev Calls the harness with the ABI encoding of (h, data) after overwriting every byte past the
    ///      data's end (the ABI padding) with 0xff and appending 64 bytes of 0xff.
    function _evaluateDirty(uint256 h, bytes memory data) internal view returns (uint256 z, uint256 y) {
        bytes memory callData = abi.encodeCall(DataFingerprintHarness.evaluate, (h, data));
        // selector (4) + h (32) + offset (32) + length (32) = 100 bytes before the data.
        for (uint256 i = 100 + data.length; i < callData.length; ++i) {
            callData[i] = 0xff;
        }
        callData = bytes.concat(callData, bytes32(type(uint256).max), bytes32(type(uint256).max));
        (bool ok, bytes memory ret) = address(harness).staticcall(callData);
        assertTrue(ok, "call with dirty padding");
        (z, y) = abi.decode(ret, (uint256, uint256));
    }

    function _assertIgnoresDirtyPadding(uint256 h, bytes memory data) internal view {
        (uint256 z, uint256 y) = harness.evaluate(h, data);
        (uint256 zDirty, uint256 yDirty) = _evaluateDirty(h, data);
        assertEq(zDirty, z, "challenge ignores padding");
        assertEq(yDirty, y, "evaluation ignores padding");
    }

    function testFuzz_evaluate_ignoresDirtyAbiPadding(uint256 h, uint256 seed, uint256 length) public view {
        h = bound(h, 0, R - 1);
        length = bound(length, 0, 1000);
        _assertIgnoresDirtyPadding(h, _bytes(seed, length));
    }

    function test_evaluate_ignoresDirtyAbiPadding() public view {
        uint256[6] memory lengths = [uint256(1), 30, 33, 62, 63, 95];
        for (uint256 i; i < lengths.length; ++i) {
            _assertIgnoresDirtyPadding(7, _bytes(i, lengths[i]));
        }
    }

    // ------------------------------------------------------------------ concrete vectors

    function test_evaluate_emptyDataEvaluatesToZero() public view {
        (uint256 z, uint256 y) = harness.evaluate(5, "");
        assertEq(z, uint256(keccak256(abi.encode(uint256(5), keccak256("")))) % R, "challenge");
        assertEq(y, 0, "no chunks");
    }

    function test_evaluate_singleByteIsRightPadded() public view {
        (, uint256 y) = harness.evaluate(1, hex"01");
        assertEq(y, 1 << 240, "0x01 followed by 30 zero bytes = 2^(8*30)");
        (, y) = harness.evaluate(1, hex"abcd");
        assertEq(y, 0xabcd << 232, "0xabcd followed by 29 zero bytes");
    }

    function test_evaluate_fullChunkIsReadBigEndian() public view {
        bytes memory data = new bytes(31);
        data[30] = 0x07;
        (, uint256 y) = harness.evaluate(1, data);
        assertEq(y, 7, "last byte is the least significant");
    }

    function test_evaluate_secondChunkIsMultipliedByChallenge() public view {
        // 31 bytes ending in 0x02, then one byte 0x03: y = 2 + (3 << 240) * z mod r.
        bytes memory data = new bytes(32);
        data[30] = 0x02;
        data[31] = 0x03;
        (uint256 z, uint256 y) = harness.evaluate(9, data);
        assertEq(z, uint256(keccak256(abi.encode(uint256(9), keccak256(data)))) % R, "challenge");
        assertEq(y, addmod(2, mulmod(3 << 240, z, R), R), "y = c0 + c1 z");
    }

    function test_evaluate_challengeDependsOnClaimedHash() public view {
        bytes memory data = hex"0102030405";
        (uint256 z1,) = harness.evaluate(1, data);
        (uint256 z2,) = harness.evaluate(2, data);
        assertTrue(z1 != z2, "another h gives another challenge");
    }
}
