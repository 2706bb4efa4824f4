// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BlockData} from "../../libraries/BlockData.sol";
import {Constants} from "../../libraries/Constants.sol";
import {DataFingerprint} from "../../libraries/DataFingerprint.sol";
import {Errors} from "../../libraries/Errors.sol";
import {Epoch, Slot} from "../../libraries/TimeLib.sol";
import {RollupStorage} from "./RollupStorage.sol";

/// @title Proposals
/// @notice The chain of blocks: validating a proposal as the next block (or as the replacement of the tip in
///         its slot), storing it with its public-input commitment, and checking a backup block's proof.
abstract contract Proposals is RollupStorage {
    /// @dev Validates `args` as block `blockNumber` on top of block `blockNumber - 1` and stores it; returns
    ///      the block's committed public inputs.
    function _appendBlock(ProposeArgs calldata args, uint256 blockNumber, bool backup)
        internal
        returns (uint256[] memory publicInputs)
    {
        BlockHeader calldata header = args.header;
        require(
            header.blockNumber == blockNumber,
            Errors.Rollup__InvalidBlockNumber(blockNumber, header.blockNumber)
        );
        bytes32 parentRoot = _blocks[blockNumber - 1].stateRoot;
        require(
            header.prevStateRoot == parentRoot, Errors.Rollup__InvalidParent(parentRoot, header.prevStateRoot)
        );
        require(
            uint256(header.newStateRoot) < Constants.FIELD_MODULUS,
            Errors.Rollup__NotAFieldElement(uint256(header.newStateRoot))
        );
        require(header.dataHash < Constants.FIELD_MODULUS, Errors.Rollup__NotAFieldElement(header.dataHash));
        require(
            header.totalFees <= Constants.MAX_FEES,
            Errors.Rollup__FeesTooLarge(Constants.MAX_FEES, header.totalFees)
        );
        require(
            args.data.length <= MAX_DATA_BYTES, Errors.Rollup__DataTooLarge(MAX_DATA_BYTES, args.data.length)
        );
        // The canonical encoding binds the data's length: the fingerprint alone does not (see BlockData).
        BlockData.checkEncoding(args.data);
        // The consumed messages are the inbox's next ones after the parent's; the cursor is per block, so a
        // replaced tip or a prune needs nothing else. A view of the inbox deployed with the rollup.
        uint256 cursor =
            INBOX.checkMessages(_blocks[blockNumber - 1].inboxCursor, BlockData.messageWords(args.data));

        bytes32 commitment;
        (publicInputs, commitment) = _publicInputs(args);
        StoredBlock storage log = _blocks[blockNumber];
        log.stateRoot = header.newStateRoot;
        log.publicInputsHash = commitment;
        log.proposer = msg.sender;
        // forge-lint: disable-next-line(unsafe-typecast) -- the slot is at most the current slot, far below 2^48
        log.slot = uint48(Slot.unwrap(header.slot));
        log.backup = backup;
        // At most the inbox's count: one message per deposit transaction, far below 2^40.
        // forge-lint: disable-next-line(unsafe-typecast) -- see above
        log.inboxCursor = uint40(cursor);

        if (blockNumber > _pendingTip) {
            // forge-lint: disable-next-line(unsafe-typecast) -- block numbers grow by one per slot, far below 2^128
            _pendingTip = uint128(blockNumber);
            EpochLog storage epochLog_ = _epochs[Epoch.unwrap(_epochOf(header.slot))];
            if (epochLog_.blockCount == 0) {
                // forge-lint: disable-next-line(unsafe-typecast) -- block numbers grow by one per slot
                epochLog_.firstBlock = uint64(blockNumber);
            }
            epochLog_.blockCount += 1;
        }
        emit BlockProposed(
            blockNumber,
            header.slot,
            msg.sender,
            header.newStateRoot,
            header.dataHash,
            publicInputs[4],
            publicInputs[5],
            backup
        );
    }

    /// @dev Verifies the proof of backup block `blockNumber` against its committed words followed by the
    ///      payee, the sender (the backup block's proposer, and so the one paid for it, so a proof copied from
    ///      the mempool fails for anyone else), and the whole-block chunk word.
    function _verifyBackupProof(uint256 blockNumber, uint256[] memory committed, bytes calldata proof)
        internal
        view
    {
        uint256[] memory publicInputs = new uint256[](VERIFIER_ROW);
        for (uint256 i; i < COMMITTED_ROW; ++i) {
            publicInputs[i] = committed[i];
        }
        publicInputs[Constants.PAYEE_INPUT_INDEX] = uint256(uint160(msg.sender));
        publicInputs[Constants.CHUNK_INPUT_INDEX] = Constants.WHOLE_BLOCK_CHUNK_WORD;
        require(
            VERIFIER.verifyProof(proof, publicInputs), Errors.Rollup__InvalidProof(blockNumber, blockNumber)
        );
    }

    /// @dev [prevStateRoot, newStateRoot, blockNumber | slot << 64 | fees << 128, h, z, y] and its hash.
    function _publicInputs(ProposeArgs calldata args)
        internal
        pure
        returns (uint256[] memory publicInputs, bytes32 commitment)
    {
        BlockHeader calldata header = args.header;
        (uint256 challenge, uint256 evaluation) = DataFingerprint.evaluate(header.dataHash, args.data);
        publicInputs = new uint256[](COMMITTED_ROW);
        publicInputs[0] = uint256(header.prevStateRoot);
        publicInputs[1] = uint256(header.newStateRoot);
        publicInputs[2] = header.blockNumber | (Slot.unwrap(header.slot) << Constants.GLOBALS_SLOT_SHIFT)
            | (header.totalFees << Constants.GLOBALS_FEES_SHIFT);
        publicInputs[3] = header.dataHash;
        publicInputs[4] = challenge;
        publicInputs[5] = evaluation;
        // slither-disable-next-line assembly -- hashes the words in place, without an abi.encodePacked copy
        assembly ("memory-safe") {
            commitment := keccak256(add(publicInputs, 0x20), shl(5, mload(publicInputs)))
        }
    }
}
