// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Constants} from "../../libraries/Constants.sol";
import {Errors} from "../../libraries/Errors.sol";
import {Epoch, Slot, TimeLib} from "../../libraries/TimeLib.sol";
import {RollupStorage} from "./RollupStorage.sol";

/// @title EpochProofs
/// @notice Epoch proofs: which prefix of the oldest unproven epoch a submission may prove, the verifier's rows
///         (the committed words of each block, then the payee), and the rewards and fees they pay.
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
    ///      PAYEE_INPUT_INDEX = COMMITTED_ROW) and the whole-block chunk word (CHUNK_INPUT_INDEX), built once. Assembly copies each row with one calldatacopy into a
    ///      single unzeroed allocation it fills completely; a Solidity copy would zero the array first and pay a
    ///      bounds check and a stack round trip per word.
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

    /// @dev Checks that the committed words of each row hash to the commitment of its block (`first` onwards).
    function _checkCommitments(uint256 first, uint256[] memory rows) internal view {
        uint256 count = rows.length / VERIFIER_ROW;
        uint256 rowBytes = VERIFIER_ROW * 32;
        uint256 committedBytes = COMMITTED_ROW * 32;
        for (uint256 i; i < count; ++i) {
            bytes32 expected = _blocks[first + i].publicInputsHash;
            bytes32 actual;
            // slither-disable-next-line assembly -- hashes the row's committed words in place, without a copy
            assembly ("memory-safe") {
                actual := keccak256(add(add(rows, 0x20), mul(i, rowBytes)), committedBytes)
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
        uint256[] memory rows,
        address payee,
        uint256 basisPointFee,
        bool complete
    ) internal {
        uint256 count = rows.length / VERIFIER_ROW;
        // The inbox has released up to the previous proven tip's cursor (only proofs release, always up to their
        // last block's), so a proof whose blocks consumed no message skips the call. The inbox and the pool are
        // trusted (deployed with the rollup).
        uint256 cursor = _blocks[first + count - 1].inboxCursor;
        if (cursor > _blocks[first - 1].inboxCursor) POOL.addFeeFunds(INBOX.release(cursor));

        uint256 reward = BLOCK_REWARD;
        uint256 rewardCut = reward * basisPointFee / Constants.BASIS_POINTS;
        // Each block's cut is rounded on its own, exactly as the proposer's share is computed from it.
        // slither-disable-next-line divide-before-multiply -- count blocks of the per-block (rounded) cut
        uint256 payeeReward = (complete ? PROOF_SUBMISSION_REWARD : 0) + rewardCut * count;
        // slither-disable-next-line uninitialized-local -- a sum, zero before the loop
        uint256 payeeFees;
        for (uint256 i; i < count; ++i) {
            payeeFees += (rows[i * VERIFIER_ROW + 2] >> Constants.GLOBALS_FEES_SHIFT) * basisPointFee
                / Constants.BASIS_POINTS;
        }
        // slither-disable-next-line unused-return -- rewards are capped by the pool's funds by design
        POOL.credit(payee, payeeReward, payeeFees);
        _creditProposers(first, rows, reward - rewardCut, basisPointFee);
    }

    /// @dev Credits the proposer of each block of `rows` (from `first`) `reward` plus the fees the prover cut
    ///      at `basisPointFee` leaves.
    function _creditProposers(uint256 first, uint256[] memory rows, uint256 reward, uint256 basisPointFee)
        private
    {
        uint256 count = rows.length / VERIFIER_ROW;
        for (uint256 i; i < count; ++i) {
            uint256 fees = rows[i * VERIFIER_ROW + 2] >> Constants.GLOBALS_FEES_SHIFT;
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
