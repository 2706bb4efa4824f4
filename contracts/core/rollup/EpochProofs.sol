// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Constants} from "../../libraries/Constants.sol";
import {Errors} from "../../libraries/Errors.sol";
import {Epoch, Slot, TimeLib} from "../../libraries/TimeLib.sol";
import {RollupStorage} from "./RollupStorage.sol";

/// @title EpochProofs
/// @notice Epoch proofs: which prefix of the oldest unproven epoch a submission may prove, the verifier's rows
///         (the committed words of each block, then the payee and the chunk word; per chunk for a split block),
///         and the rewards and fees they pay.
abstract contract EpochProofs is RollupStorage {
    using TimeLib for Epoch;
    using TimeLib for Slot;

    /// @dev Checks that `epoch` is the oldest unproven epoch, has ended, is inside its proof window, and that
    ///      `publicInputs` are 1 to all of its unproven blocks' rows; returns the first unproven block and the
    ///      epoch's last block.
    function _checkEpochInputs(Epoch epoch, uint256[] calldata publicInputs)
        internal
        view
        returns (uint256 first, uint256 epochLast)
    {
        first = uint256(_provenTip) + 1;
        require(first <= _pendingTip, Errors.Rollup__NothingToProve(epoch));
        Epoch oldest = _epochOf(Slot.wrap(_blocks[first].slot));
        require(oldest == epoch, Errors.Rollup__InvalidEpochToProve(oldest, epoch));
        Epoch current = _currentEpoch();
        require(current > epoch, Errors.Rollup__EpochNotEnded(epoch, current));
        Slot deadline = _proofDeadline(epoch);
        Slot slot = _currentSlot();
        require(slot <= deadline, Errors.Rollup__ProofWindowClosed(epoch, deadline, slot));

        EpochLog memory log = _epochs[Epoch.unwrap(epoch)];
        epochLast = uint256(log.firstBlock) + log.blockCount - 1;
        uint256 maxRows = epochLast - first + 1;
        uint256 words = publicInputs.length;
        require(
            words != 0 && words % COMMITTED_ROW == 0 && words / COMMITTED_ROW <= maxRows,
            Errors.Rollup__InvalidPublicInputsLength(COMMITTED_ROW, maxRows, words)
        );
    }

    /// @dev The verifier's input: each caller row of COMMITTED_ROW words followed by `payee` (word
    ///      PAYEE_INPUT_INDEX = COMMITTED_ROW) and the whole-block chunk word (CHUNK_INPUT_INDEX), built once.
    ///      Assembly copies each row with one calldatacopy into a single unzeroed allocation it fills completely;
    ///      a Solidity copy would zero the array first and pay a bounds check and a stack round trip per word.
    function _verifierRows(uint256[] calldata committed, address payee)
        internal
        pure
        returns (uint256[] memory rows)
    {
        // Whole rows on purpose: `words` is a multiple of VERIFIER_ROW even for a length that is not a multiple
        // of COMMITTED_ROW (which _checkEpochInputs rejects), so the copy loop below stays in the allocation.
        // slither-disable-next-line divide-before-multiply -- see above
        uint256 words = committed.length / COMMITTED_ROW * VERIFIER_ROW;
        uint256 payeeWord = uint160(payee);
        uint256 committedBytes = COMMITTED_ROW * 32;
        uint256 rowBytes = VERIFIER_ROW * 32;
        uint256 payeeOffset = Constants.PAYEE_INPUT_INDEX * 32;
        uint256 chunkOffset = Constants.CHUNK_INPUT_INDEX * 32;
        uint256 chunkWord = Constants.WHOLE_BLOCK_CHUNK_WORD;
        // slither-disable-next-line assembly -- one allocation, one calldatacopy per row (see above)
        assembly ("memory-safe") {
            rows := mload(0x40)
            mstore(rows, words)
            let dst := add(rows, 0x20)
            let end := add(dst, shl(5, words))
            mstore(0x40, end)
            for { let src := committed.offset } lt(dst, end) {
                dst := add(dst, rowBytes)
                src := add(src, committedBytes)
            } {
                calldatacopy(dst, src, committedBytes)
                mstore(add(dst, payeeOffset), payeeWord)
                mstore(add(dst, chunkOffset), chunkWord)
            }
        }
    }

    /// @dev Verifies a split submission of blocks `first` onwards (see `IRollup.submitSplitEpochProof`): builds
    ///      the rows for `payee` and verifies them.
    function _verifySplitProofs(
        uint256 first,
        uint256[] calldata committed,
        EpochSplit calldata split,
        bytes calldata proofs,
        address payee
    ) internal view {
        (uint256[] memory wholeRows, uint256[] memory chunkRows) = _splitRows(first, committed, split, payee);
        _verifySplitRows(first, committed.length / COMMITTED_ROW, proofs, wholeRows, chunkRows);
    }

    /// @dev Checks the split's lengths and bounds, then builds the verifier rows of a split submission of blocks
    ///      `first` onwards, every row naming `payee`: the whole blocks' rows and the chunks' rows, each in block
    ///      order.
    function _splitRows(uint256 first, uint256[] calldata committed, EpochSplit calldata split, address payee)
        internal
        pure
        returns (uint256[] memory wholeRows, uint256[] memory chunkRows)
    {
        (uint256 wholeBlocks, uint256 chunks) = _splitShape(first, committed.length / COMMITTED_ROW, split);
        wholeRows = new uint256[](wholeBlocks * VERIFIER_ROW);
        chunkRows = new uint256[](chunks * VERIFIER_ROW);
        _writeSplitRows(committed, split, uint160(payee), wholeRows, chunkRows);
    }

    /// @dev Checks that `proofs` holds one proof per row, then verifies the `blocks` blocks from `first`: the
    ///      whole blocks' rows with the block verifier and the chunk rows with the chunk verifier, one batch each.
    function _verifySplitRows(
        uint256 first,
        uint256 blocks,
        bytes calldata proofs,
        uint256[] memory wholeRows,
        uint256[] memory chunkRows
    ) internal view {
        // Exact divisions: the rows are whole.
        // slither-disable-next-line divide-before-multiply -- see above
        uint256 wholeBytes = wholeRows.length / VERIFIER_ROW * Constants.PROOF_BYTES;
        // slither-disable-next-line divide-before-multiply -- see above
        uint256 expected = wholeBytes + chunkRows.length / VERIFIER_ROW * Constants.PROOF_BYTES;
        require(proofs.length == expected, Errors.Rollup__InvalidProofsLength(expected, proofs.length));
        uint256 last = first + blocks - 1;
        if (wholeRows.length != 0) {
            require(
                VERIFIER.verifyBatch(proofs[:wholeBytes], wholeRows), Errors.Rollup__InvalidProof(first, last)
            );
        }
        if (chunkRows.length != 0) {
            require(
                CHUNK_VERIFIER.verifyBatch(proofs[wholeBytes:], chunkRows),
                Errors.Rollup__InvalidProof(first, last)
            );
        }
    }

    /// @dev Checks that `split` gives one chunk count per block of the `blocks` from `first`, each at most
    ///      MAX_CHUNKS_PER_BLOCK, and n - 1 intermediate roots per block of n > 0 chunks; returns how many blocks
    ///      are proven whole and how many chunks the others make.
    function _splitShape(uint256 first, uint256 blocks, EpochSplit calldata split)
        private
        pure
        returns (uint256 wholeBlocks, uint256 chunks)
    {
        uint256[] calldata counts = split.chunkCounts;
        require(counts.length == blocks, Errors.Rollup__InvalidChunkCountsLength(blocks, counts.length));
        for (uint256 i; i < blocks; ++i) {
            uint256 count = counts[i];
            require(
                count <= Constants.MAX_CHUNKS_PER_BLOCK,
                Errors.Rollup__TooManyChunks(first + i, count, Constants.MAX_CHUNKS_PER_BLOCK)
            );
            if (count == 0) ++wholeBlocks;
            chunks += count;
        }
        // Each split block brings its chunk count minus one roots.
        uint256 roots = chunks - (blocks - wholeBlocks);
        require(
            split.intermediateRoots.length == roots,
            Errors.Rollup__InvalidIntermediateRootsLength(roots, split.intermediateRoots.length)
        );
    }

    /// @dev Writes the verifier rows of a split submission whose shape `_splitShape` checked into arrays of
    ///      that shape: the whole-block rows of the blocks whose chunk count is 0, as `_verifierRows` builds them,
    ///      and the chunk rows of the others, each in block order. Chunk j of n of a block has the row
    ///      `[root_j, root_(j+1), globals, dataHash, challenge, evaluation, payee, j | (j == n - 1) << 8]`, with
    ///      root_0 and root_n the block's committed roots and the others taken in order from the split.
    function _writeSplitRows(
        uint256[] calldata committed,
        EpochSplit calldata split,
        uint256 payeeWord,
        uint256[] memory wholeRows,
        uint256[] memory chunkRows
    ) private pure {
        uint256 whole = _memoryData(wholeRows);
        uint256 chunk = _memoryData(chunkRows);
        uint256 root = _calldataData(split.intermediateRoots);
        uint256 row = _calldataData(committed);
        for (uint256 i; i < split.chunkCounts.length; ++i) {
            uint256 count = split.chunkCounts[i];
            if (count == 0) {
                _writeRow(whole, row, payeeWord, Constants.WHOLE_BLOCK_CHUNK_WORD);
                whole += VERIFIER_ROW * 32;
            } else {
                (chunk, root) = _writeChunkRows(chunk, row, count, root, payeeWord);
            }
            row += COMMITTED_ROW * 32;
        }
    }

    /// @dev Writes the rows of the `count` chunks of the block whose committed words are at calldata `row` to
    ///      memory `dst`, taking the count - 1 roots between them from calldata `root`; returns where the next
    ///      rows and roots start.
    function _writeChunkRows(uint256 dst, uint256 row, uint256 count, uint256 root, uint256 payeeWord)
        private
        pure
        returns (uint256 nextDst, uint256 nextRoot)
    {
        uint256 from;
        // slither-disable-next-line assembly -- reads the block's first committed word in place
        assembly ("memory-safe") {
            from := calldataload(row)
        }
        for (uint256 j; j < count; ++j) {
            bool isLast = j == count - 1;
            _writeRow(dst, row, payeeWord, j | (isLast ? 1 << Constants.CHUNK_LAST_SHIFT : 0));
            // Patches the row's roots: from, then the next one.
            assembly ("memory-safe") {
                mstore(dst, from)
                if iszero(isLast) {
                    from := calldataload(root)
                    root := add(root, 0x20)
                    mstore(add(dst, 0x20), from)
                }
            }
            dst += VERIFIER_ROW * 32;
        }
        return (dst, root);
    }

    /// @dev Writes one verifier row to memory `dst`: the COMMITTED_ROW words at calldata `row`, the payee and
    ///      `chunkWord`.
    function _writeRow(uint256 dst, uint256 row, uint256 payeeWord, uint256 chunkWord) private pure {
        uint256 committedBytes = COMMITTED_ROW * 32;
        uint256 payeeOffset = Constants.PAYEE_INPUT_INDEX * 32;
        uint256 chunkOffset = Constants.CHUNK_INPUT_INDEX * 32;
        // slither-disable-next-line assembly -- one calldatacopy per row into an array `_verifySplitProofs` allocated
        assembly ("memory-safe") {
            calldatacopy(dst, row, committedBytes)
            mstore(add(dst, payeeOffset), payeeWord)
            mstore(add(dst, chunkOffset), chunkWord)
        }
    }

    /// @dev The memory address of the first element of `array`.
    function _memoryData(uint256[] memory array) private pure returns (uint256 data) {
        // slither-disable-next-line assembly -- an address, read only
        assembly ("memory-safe") {
            data := add(array, 0x20)
        }
    }

    /// @dev The calldata offset of the first element of `array`.
    function _calldataData(uint256[] calldata array) private pure returns (uint256 data) {
        // slither-disable-next-line assembly -- an offset, read only
        assembly ("memory-safe") {
            data := array.offset
        }
    }

    /// @dev Who is paid for a proof of `epoch`: the claimed prover while its claim is `Claimed`, else the
    ///      sender; and whether it is claimed.
    function _epochPayee(Epoch epoch) internal view returns (address payee, bool claimed) {
        ProofClaim storage claim = _claims[Epoch.unwrap(epoch)];
        claimed = claim.status == ClaimStatus.Claimed;
        // The proofs name who is paid for them: a copy sent by anyone else fails verification.
        payee = claimed ? claim.prover : msg.sender;
    }

    /// @dev Records verified blocks `first..=last` of `epoch` as proven, then settles: the claim and its bond
    ///      when the proof completes a claimed epoch, and the payments of `_payEpoch`.
    function _settleEpochProof(
        Epoch epoch,
        uint256 first,
        uint256 last,
        uint256 epochLast,
        uint256[] calldata committed,
        address payee,
        bool claimed
    ) internal {
        // forge-lint: disable-next-line(unsafe-typecast) -- block numbers grow by one per slot, far below 2^128
        _provenTip = uint128(last);
        bool complete = last == epochLast;
        ProofClaim storage claim = _claims[Epoch.unwrap(epoch)];
        if (complete && claimed) claim.status = ClaimStatus.Proven;
        emit EpochProven(epoch, first, last, payee, msg.sender);

        // A partial proof leaves the claim open: its prover is still bound to finish the epoch.
        if (complete && claimed) ESCROW.releaseBond(payee, claim.bondAmount);
        _payEpoch(
            first, committed, payee, claimed ? claim.basisPointFee : OPEN_PROVING_BASIS_POINT_FEE, complete
        );
    }

    /// @dev Checks that each row of committed words hashes to the commitment of its block (`first` onwards).
    function _checkCommitments(uint256 first, uint256[] calldata committed) internal view {
        uint256 count = committed.length / COMMITTED_ROW;
        uint256 committedBytes = COMMITTED_ROW * 32;
        for (uint256 i; i < count; ++i) {
            bytes32 expected = _blocks[first + i].publicInputsHash;
            bytes32 actual;
            // slither-disable-next-line assembly -- hashes the row's committed words through scratch memory
            assembly ("memory-safe") {
                let scratch := mload(0x40)
                calldatacopy(scratch, add(committed.offset, mul(i, committedBytes)), committedBytes)
                actual := keccak256(scratch, committedBytes)
            }
            require(actual == expected, Errors.Rollup__PublicInputsMismatch(first + i, expected, actual));
        }
    }

    /// @dev Releases the FeeInbox deposits consumed up to the last proven block into the pool's fee funds, then
    ///      credits the payee, in one credit, the prover cut of every proven block (at `basisPointFee`, of the
    ///      block reward and of the fees separately) plus, when the proof completes the epoch, the submission
    ///      reward (once per epoch, so splitting an epoch into several proofs earns it once); then each block's
    ///      proposer the rest of its reward and fees. The pool pays fees only from fee funds.
    function _payEpoch(
        uint256 first,
        uint256[] calldata committed,
        address payee,
        uint256 basisPointFee,
        bool complete
    ) internal {
        uint256 count = committed.length / COMMITTED_ROW;
        _releaseFees(first, first + count - 1);

        uint256 reward = BLOCK_REWARD;
        uint256 rewardCut = reward * basisPointFee / Constants.BASIS_POINTS;
        // Each block's cut is rounded on its own, exactly as the proposer's share is computed from it.
        // slither-disable-next-line divide-before-multiply -- count blocks of the per-block (rounded) cut
        uint256 payeeReward = (complete ? PROOF_SUBMISSION_REWARD : 0) + rewardCut * count;
        // slither-disable-next-line uninitialized-local -- a sum, zero before the loop
        uint256 payeeFees;
        for (uint256 i; i < count; ++i) {
            payeeFees += (committed[i * COMMITTED_ROW + 2] >> Constants.GLOBALS_FEES_SHIFT) * basisPointFee
                / Constants.BASIS_POINTS;
        }
        // slither-disable-next-line unused-return -- rewards are capped by the pool's funds by design
        POOL.credit(payee, payeeReward, payeeFees);
        _creditProposers(first, committed, reward - rewardCut, basisPointFee);
    }

    /// @dev Releases the FeeInbox deposits consumed by blocks `first..=last` into the pool's fee funds. The inbox
    ///      has released up to the previous proven tip's cursor (only proofs release, always up to their last
    ///      block's), so a proof whose blocks consumed no message skips the call. The inbox and the pool are
    ///      trusted (deployed with the rollup).
    function _releaseFees(uint256 first, uint256 last) internal {
        uint256 cursor = _blocks[last].inboxCursor;
        if (cursor > _blocks[first - 1].inboxCursor) POOL.addFeeFunds(INBOX.release(cursor));
    }

    /// @dev Credits the proposer of each block of `committed` (from `first`) `reward` plus the fees the prover
    ///      cut at `basisPointFee` leaves.
    function _creditProposers(
        uint256 first,
        uint256[] calldata committed,
        uint256 reward,
        uint256 basisPointFee
    ) private {
        uint256 count = committed.length / COMMITTED_ROW;
        for (uint256 i; i < count; ++i) {
            uint256 fees = committed[i * COMMITTED_ROW + 2] >> Constants.GLOBALS_FEES_SHIFT;
            // slither-disable-next-line calls-loop,unused-return -- the trusted pool; one call per block
            POOL.credit(
                _blocks[first + i].proposer, reward, fees - fees * basisPointFee / Constants.BASIS_POINTS
            );
        }
    }

    /// @dev The last slot in which `epoch`'s proof is accepted: `proofWindowSlots` into the next epoch.
    function _proofDeadline(Epoch epoch) internal view returns (Slot) {
        return _firstSlot(epoch.plus(1)).plus(PROOF_WINDOW_SLOTS - 1);
    }
}
