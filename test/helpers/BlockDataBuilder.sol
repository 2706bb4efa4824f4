// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Constants} from "../../contracts/libraries/Constants.sol";

/// @title BlockDataBuilder
/// @notice Test helper: canonical version-1 block data (what `BlockData.checkEncoding` accepts), with
///         pseudo-random words derived from a seed: `version | txCount (uint32 BE) | coinbase | txs`, each tx
///         seven 32-byte words, the fee below 2^64 and every other word below r.
library BlockDataBuilder {
    /// @notice Canonical data with `txCount` transactions whose words derive from `seed`.
    function build(uint256 txCount, uint256 seed) internal pure returns (bytes memory data) {
        data = new bytes(Constants.DATA_HEADER_BYTES + txCount * Constants.TX_EFFECT_BYTES);
        address coinbase = address(uint160(uint256(keccak256(abi.encode("coinbase", seed)))));
        require(txCount <= type(uint32).max, "tx count above uint32");
        // forge-lint: disable-next-line(unsafe-typecast) -- checked just above; DATA_VERSION is 1
        bytes memory header = abi.encodePacked(uint8(Constants.DATA_VERSION), uint32(txCount), coinbase);
        for (uint256 i; i < header.length; ++i) {
            data[i] = header[i];
        }
        for (uint256 t; t < txCount; ++t) {
            for (uint256 w; w < 7; ++w) {
                uint256 word = uint256(keccak256(abi.encode(seed, t, w)));
                word = w == 0 ? word & Constants.MAX_FEE : word % Constants.FIELD_MODULUS;
                setWord(data, Constants.DATA_HEADER_BYTES + t * Constants.TX_EFFECT_BYTES + w * 32, word);
            }
        }
    }

    /// @notice One-transaction canonical data derived from an arbitrary tag (distinct tags, distinct data).
    function fromTag(bytes memory tag) internal pure returns (bytes memory) {
        return build(1, uint256(keccak256(tag)));
    }

    /// @notice The largest transaction count whose encoding fits in `maxBytes`.
    function maxTxs(uint256 maxBytes) internal pure returns (uint256) {
        return (maxBytes - Constants.DATA_HEADER_BYTES) / Constants.TX_EFFECT_BYTES;
    }

    /// @notice Overwrites the 32-byte word of `data` at byte `offset`.
    function setWord(bytes memory data, uint256 offset, uint256 word) internal pure {
        require(offset + 32 <= data.length, "word out of range");
        assembly ("memory-safe") {
            mstore(add(add(data, 0x20), offset), word)
        }
    }
}
