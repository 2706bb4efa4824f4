// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Constants} from "../../contracts/libraries/Constants.sol";

/// @title ReferenceFingerprint
/// @notice A plain Solidity reference of the data fingerprint's evaluation, for tests of the assembly in
///         DataFingerprint and of the data-length binding in BlockData.
library ReferenceFingerprint {
    /// @notice y = sum_i chunk_i * z^i mod r, chunk_i the 31 bytes at 31 i read big-endian, right-padded
    ///         with zeros.
    function evaluation(bytes memory data, uint256 z) internal pure returns (uint256 y) {
        uint256 r = Constants.FIELD_MODULUS;
        uint256 power = 1;
        for (uint256 start; start < data.length; start += Constants.DATA_CHUNK_BYTES) {
            uint256 chunk;
            for (uint256 j; j < Constants.DATA_CHUNK_BYTES; ++j) {
                uint256 b = start + j < data.length ? uint8(data[start + j]) : 0;
                chunk = (chunk << 8) | b;
            }
            y = addmod(y, mulmod(chunk, power, r), r);
            power = mulmod(power, z, r);
        }
    }
}
