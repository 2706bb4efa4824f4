// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Constants} from "../../contracts/libraries/Constants.sol";

/// @title BlockDataBuilder
/// @notice Test helper: canonical version-2 block data (what `BlockData.checkEncoding` accepts), with
///         pseudo-random words derived from a seed: `version | txCount (uint32 BE) | coinbase | messageCount |
///         4 message slots | txs`, each tx seven 32-byte words, the first `payer | fee` (below 2^224) and every
///         other word below r.
library BlockDataBuilder {
    /// @notice Canonical data with no message and `txCount` transactions whose words derive from `seed`.
    function build(uint256 txCount, uint256 seed) internal pure returns (bytes memory data) {
        return build(new bytes32[](0), txCount, seed);
    }

    /// @notice Canonical data consuming `messages` (in slot order) with `txCount` transactions whose words derive
    ///         from `seed`.
    function build(bytes32[] memory messages, uint256 txCount, uint256 seed)
        internal
        pure
        returns (bytes memory data)
    {
        require(messages.length <= Constants.MESSAGES_PER_BLOCK, "too many messages");
        data = new bytes(Constants.DATA_HEADER_BYTES + txCount * Constants.TX_EFFECT_BYTES);
        address coinbase = address(uint160(uint256(keccak256(abi.encode("coinbase", seed)))));
        require(txCount <= type(uint32).max, "tx count above uint32");
        // forge-lint: disable-next-line(unsafe-typecast) -- checked just above
        uint32 count = uint32(txCount);
        // forge-lint: disable-next-line(unsafe-typecast) -- at most MESSAGES_PER_BLOCK (checked above)
        uint8 messageCount = uint8(messages.length);
        // forge-lint: disable-next-line(unsafe-typecast) -- DATA_VERSION is 2
        bytes memory header = abi.encodePacked(uint8(Constants.DATA_VERSION), count, coinbase, messageCount);
        for (uint256 i; i < header.length; ++i) {
            data[i] = header[i];
        }
        for (uint256 i; i < messages.length; ++i) {
            setWord(data, messageOffset(i), uint256(messages[i]));
        }
        for (uint256 t; t < txCount; ++t) {
            for (uint256 w; w < 7; ++w) {
                uint256 word = uint256(keccak256(abi.encode(seed, t, w)));
                word = w == 0 ? word & Constants.MAX_FEE_WORD : word % Constants.FIELD_MODULUS;
                setWord(data, txWordOffset(t, w), word);
            }
        }
    }

    /// @notice One-transaction canonical data (no message) derived from an arbitrary tag (distinct tags,
    ///         distinct data).
    function fromTag(bytes memory tag) internal pure returns (bytes memory) {
        return build(1, uint256(keccak256(tag)));
    }

    /// @notice A message slot's word: `uint160(recipient) << 96 | amount`.
    function messageWord(address recipient, uint256 amount) internal pure returns (bytes32) {
        return bytes32((uint256(uint160(recipient)) << 96) | amount);
    }

    /// @notice A transaction's first word: `uint160(payer) << 64 | fee`.
    function feeWord(address payer, uint64 fee) internal pure returns (uint256) {
        return (uint256(uint160(payer)) << 64) | fee;
    }

    /// @notice Byte offset of message slot `i`.
    function messageOffset(uint256 i) internal pure returns (uint256) {
        return Constants.MESSAGE_COUNT_OFFSET + 1 + i * Constants.MESSAGE_BYTES;
    }

    /// @notice Byte offset of word `w` of transaction `t`.
    function txWordOffset(uint256 t, uint256 w) internal pure returns (uint256) {
        return Constants.DATA_HEADER_BYTES + t * Constants.TX_EFFECT_BYTES + w * 32;
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
