// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICommitteeRollup} from "../../interfaces/ICommitteeRollup.sol";
import {Constants} from "../../libraries/Constants.sol";
import {Errors} from "../../libraries/Errors.sol";
import {SignoffLib} from "../../libraries/SignoffLib.sol";
import {Epoch, Slot, TimeLib} from "../../libraries/TimeLib.sol";
import {EpochProofs} from "./EpochProofs.sol";
import {Randomness} from "./Randomness.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title Committee
/// @notice The proving committee (seed 004): who is in a slot's committee, the sign-offs a proposal needs, the
///         chunk assignment of a committee epoch proof and its payments, and the inactivity slash.
/// @dev Membership is O(1): the score `keccak(seed, slot, staker)` below the epoch's threshold, derived from
///      the committee size and the set size that Staking counts without a scan (written with the epoch's
///      randomness checkpoint).
abstract contract Committee is ICommitteeRollup, Randomness, EpochProofs {
    using TimeLib for Epoch;
    using TimeLib for Slot;

    uint256 internal immutable COMMITTEE_SIZE;
    uint256 internal immutable SIGNOFF_QUORUM;
    uint256 internal immutable CHUNK_TXS;
    uint256 internal immutable SEQUENCER_BASE_BPS;
    uint256 internal immutable SEQUENCER_BONUS_BPS;
    uint256 internal immutable TAKEOVER_SLOTS;
    uint256 internal immutable INACTIVITY_LIMIT;
    uint256 internal immutable INACTIVITY_PENALTY;

    /// @dev Each epoch's member count, written with its randomness checkpoint.
    mapping(uint256 epoch => uint256 members) internal _committeeSetSize;
    /// @dev keccak256 of each block's sign-off list and chunk count (stale for a backup block that reused a
    ///      pruned number).
    mapping(uint256 blockNumber => bytes32 signersHash) internal _signersHash;
    /// @dev The slot up to which each staker's committee duty is settled: its latest sign-off or slashed miss.
    mapping(address staker => uint256 slot) internal _settledSlot;

    /// @dev Sets the committee parameters; CommitteeRollup's constructor checks them.
    constructor(CommitteeConfig memory config_) {
        COMMITTEE_SIZE = config_.committeeSize;
        SIGNOFF_QUORUM = config_.signoffQuorum;
        CHUNK_TXS = config_.chunkTxs;
        SEQUENCER_BASE_BPS = config_.sequencerBaseBps;
        SEQUENCER_BONUS_BPS = config_.sequencerBonusBps;
        TAKEOVER_SLOTS = config_.takeoverSlots;
        INACTIVITY_LIMIT = config_.inactivityLimit;
        INACTIVITY_PENALTY = config_.inactivityPenalty;
    }

    // ================================================================== membership

    /// @dev Records the epoch's set size with its randomness checkpoint (the trusted staking contract moves its
    ///      member count's cursor).
    function _onEpochCheckpoint(uint256 epoch) internal virtual override {
        _committeeSetSize[epoch] = STAKING.checkpointMemberCount();
    }

    /// @dev The set size of `epoch`: as recorded with its checkpoint, or read from Staking (exact for any epoch;
    ///      a recorded 0 means an empty set, which Staking also reports).
    function _setSize(Epoch epoch) internal view returns (uint256 members) {
        members = _committeeSetSize[Epoch.unwrap(epoch)];
        // slither-disable-next-line calls-loop -- the trusted staking contract; a view, once per missed block
        if (members == 0) members = STAKING.memberCount(epoch);
    }

    /// @dev `type(uint256).max / setSize * committeeSize`, the maximum while the set is no larger than the
    ///      committee, 0 for an empty set.
    function _committeeThreshold(Epoch epoch) internal view returns (uint256) {
        uint256 members = _setSize(epoch);
        // slither-disable-next-line incorrect-equality -- a count of stakers, not a balance
        if (members == 0) return 0;
        if (members <= COMMITTEE_SIZE) return type(uint256).max;
        // slither-disable-next-line divide-before-multiply -- the share of 2^256 first, or the product overflows
        return type(uint256).max / members * COMMITTEE_SIZE;
    }

    /// @dev Whether `staker` is in `slot`'s committee, with its score and the threshold.
    function _inCommittee(Slot slot, address staker)
        internal
        view
        returns (bool member, uint256 score, uint256 threshold)
    {
        Epoch epoch = _epochOf(slot);
        score = _score(_seed(epoch), slot, staker);
        threshold = _committeeThreshold(epoch);
        // slither-disable-next-line calls-loop -- the trusted staking contract; a view, once per missed block
        member = score < threshold && STAKING.isMember(staker, epoch);
    }

    // ================================================================== sign-offs

    /// @dev The EIP-712 digest of a sign-off.
    function _signoffDigest(uint256 blockNumber, Slot slot, bytes32 publicInputsHash)
        internal
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(SignoffLib.structHash(blockNumber, Slot.unwrap(slot), publicInputsHash));
    }

    /// @dev Checks the sign-offs of block `blockNumber` of `slot` just appended by the sender: at least the
    ///      quorum, valid signatures by distinct committee members other than the proposer, in ascending score.
    ///      Settles each signer's duty up to `slot`; returns the signers.
    function _checkSignoffs(uint256 blockNumber, Slot slot, bytes[] calldata signoffs)
        internal
        returns (address[] memory signers)
    {
        uint256 count = signoffs.length;
        require(count >= SIGNOFF_QUORUM, Errors.Rollup__TooFewSignoffs(blockNumber, SIGNOFF_QUORUM, count));
        Epoch epoch = _epochOf(slot);
        uint256 seed = _seed(epoch);
        uint256 threshold = _committeeThreshold(epoch);
        bytes32 digest = _signoffDigest(blockNumber, slot, _blocks[blockNumber].publicInputsHash);
        signers = new address[](count);
        // slither-disable-next-line uninitialized-local -- read only after the first signer wrote it
        uint256 previousScore;
        for (uint256 i; i < count; ++i) {
            // slither-disable-next-line unused-return -- the error's argument only details `failure`
            (address signer, ECDSA.RecoverError failure,) = ECDSA.tryRecover(digest, signoffs[i]);
            require(failure == ECDSA.RecoverError.NoError, Errors.Rollup__InvalidSignoff(blockNumber, i));
            require(signer != msg.sender, Errors.Rollup__ProposerSignedOff(blockNumber, signer));
            uint256 score = _score(seed, slot, signer);
            require(
                i == 0 || score > previousScore,
                Errors.Rollup__SignoffsNotAscending(blockNumber, i, previousScore, score)
            );
            // slither-disable-next-line calls-loop -- the trusted staking contract, one view per signer
            require(
                score < threshold && STAKING.isMember(signer, epoch),
                Errors.Rollup__NotInCommittee(slot, signer, score, threshold)
            );
            previousScore = score;
            signers[i] = signer;
            _settledSlot[signer] = Slot.unwrap(slot);
        }
    }

    /// @dev Records the hash of block `blockNumber`'s `signers` and of its chunk count, from its checked
    ///      `dataLength`.
    function _recordSignoffs(uint256 blockNumber, Slot slot, address[] memory signers, uint256 dataLength)
        internal
    {
        uint256 chunkCount = _chunkCount(dataLength);
        _signersHash[blockNumber] = keccak256(abi.encodePacked(signers, chunkCount));
        emit BlockSignedOff(blockNumber, slot, signers, chunkCount);
    }

    /// @dev The chunks a block of canonical data of `dataLength` bytes is proven in: its tx slots in chunks of
    ///      CHUNK_TXS, at least one (an empty block still proves its state transition).
    function _chunkCount(uint256 dataLength) internal view returns (uint256) {
        uint256 txCount = (dataLength - Constants.DATA_HEADER_BYTES) / Constants.TX_EFFECT_BYTES;
        if (txCount == 0) return 1;
        return (txCount + CHUNK_TXS - 1) / CHUNK_TXS;
    }

    // ================================================================== committee proofs

    /// @dev Verifies a committee proof of blocks `first` onwards: every block in chunks, each chunk's row naming
    ///      its payee (see `_chunkPayees`); returns the payees.
    function _verifyCommitteeProof(
        Epoch epoch,
        uint256 first,
        uint256[] calldata committed,
        CommitteeProof calldata proof
    ) internal view returns (address[] memory payees) {
        uint256[] calldata counts = proof.split.chunkCounts;
        for (uint256 i; i < counts.length; ++i) {
            require(counts[i] != 0, Errors.Rollup__WholeBlockInCommitteeMode(first + i));
        }
        (uint256[] memory wholeRows, uint256[] memory chunkRows) =
            _splitRows(first, committed, proof.split, address(0));
        payees = _chunkPayees(epoch, first, proof);
        uint256 payeeOffset = Constants.PAYEE_INPUT_INDEX * 32;
        uint256 rowBytes = VERIFIER_ROW * 32;
        // slither-disable-next-line assembly -- writes each chunk's payee into its row in place
        assembly ("memory-safe") {
            let row := add(add(chunkRows, 0x20), payeeOffset)
            for { let i := 0 } lt(i, mload(payees)) { i := add(i, 1) } {
                mstore(add(row, mul(i, rowBytes)), mload(add(payees, shl(5, add(i, 1)))))
            }
        }
        _verifySplitRows(first, committed.length / COMMITTED_ROW, proof.proofs, wholeRows, chunkRows);
    }

    /// @dev The payee of every chunk of a committee proof of blocks `first` onwards, after checking each block's
    ///      signers against its sign-off hash and each chunk's prover index against the assignment: chunk j of k
    ///      signers pays signer j mod k, or from the takeover slot any signer; a backup block's chunks pay the
    ///      sender.
    function _chunkPayees(Epoch epoch, uint256 first, CommitteeProof calldata proof)
        private
        view
        returns (address[] memory payees)
    {
        payees = new address[](_checkCommitteeLengths(proof));
        Slot takeoverSlot = _firstSlot(epoch.plus(1)).plus(TAKEOVER_SLOTS);
        // slither-disable-next-line uninitialized-local -- a cursor, zero before the loop
        uint256 signerAt;
        // slither-disable-next-line uninitialized-local -- a cursor, zero before the loop
        uint256 chunkAt;
        for (uint256 i; i < proof.signerCounts.length; ++i) {
            uint256 signerEnd = signerAt + proof.signerCounts[i];
            uint256 chunkEnd = chunkAt + proof.split.chunkCounts[i];
            _blockPayees(
                first + i,
                proof.split.chunkCounts[i],
                proof.signers[signerAt:signerEnd],
                proof.provers[chunkAt:chunkEnd],
                takeoverSlot,
                payees,
                chunkAt
            );
            signerAt = signerEnd;
            chunkAt = chunkEnd;
        }
    }

    /// @dev Checks that the proof has a signer count per block, the signers they add up to and a prover index
    ///      per chunk; returns the number of chunks.
    function _checkCommitteeLengths(CommitteeProof calldata proof) private pure returns (uint256 chunks) {
        uint256 blocks = proof.split.chunkCounts.length;
        require(
            proof.signerCounts.length == blocks,
            Errors.Rollup__InvalidSignerCountsLength(blocks, proof.signerCounts.length)
        );
        // slither-disable-next-line uninitialized-local -- a sum, zero before the loop
        uint256 signerTotal;
        for (uint256 i; i < blocks; ++i) {
            chunks += proof.split.chunkCounts[i];
            signerTotal += proof.signerCounts[i];
        }
        require(
            proof.signers.length == signerTotal,
            Errors.Rollup__InvalidSignersLength(signerTotal, proof.signers.length)
        );
        require(
            proof.provers.length == chunks, Errors.Rollup__InvalidProversLength(chunks, proof.provers.length)
        );
    }

    /// @dev Writes the payees of block `blockNumber`'s chunks to `payees` from `at`, after checking its signers
    ///      and chunk count and its chunks' prover indices.
    function _blockPayees(
        uint256 blockNumber,
        uint256 chunkCount,
        address[] calldata signers,
        uint256[] calldata provers,
        Slot takeoverSlot,
        address[] memory payees,
        uint256 at
    ) private view {
        _checkSigners(blockNumber, signers, chunkCount);
        uint256 k = signers.length;
        bool takeover = _currentSlot() >= takeoverSlot;
        for (uint256 j; j < provers.length; ++j) {
            if (k == 0) {
                payees[at + j] = msg.sender;
                continue;
            }
            uint256 prover = provers[j];
            require(
                prover < k && (prover == j % k || takeover),
                Errors.Rollup__ChunkNotAssigned(blockNumber, j, prover, j % k, takeoverSlot)
            );
            payees[at + j] = signers[prover];
        }
    }

    /// @dev Checks `signers` and `chunkCount` against block `blockNumber`'s sign-off hash (none for a backup
    ///      block, whose stored hash may be a pruned block's, and whose chunk count is free: its chunks all pay
    ///      the sender).
    function _checkSigners(uint256 blockNumber, address[] calldata signers, uint256 chunkCount) private view {
        bytes32 expected = _blocks[blockNumber].backup ? bytes32(0) : _signersHash[blockNumber];
        bytes32 actual;
        if (signers.length != 0) {
            // slither-disable-next-line assembly -- hashes the calldata words and the count, as abi.encodePacked
            assembly ("memory-safe") {
                let scratch := mload(0x40)
                let size := shl(5, signers.length)
                calldatacopy(scratch, signers.offset, size)
                mstore(add(scratch, size), chunkCount)
                actual := keccak256(scratch, add(size, 0x20))
            }
        }
        require(actual == expected, Errors.Rollup__SignersMismatch(blockNumber, expected, actual));
    }

    /// @dev Pays a committee proof of blocks `first..=first + blocks - 1`: per block the proposer its share
    ///      (base plus a bonus per signer), the chunks' payees the rest in equal parts (the rounding dust to the
    ///      proposer), of the block reward and of the fees separately; the sender the submission reward when
    ///      the proof completes the epoch.
    function _payCommittee(
        uint256 first,
        uint256[] calldata committed,
        CommitteeProof calldata proof,
        address[] memory payees,
        bool complete
    ) internal {
        _releaseFees(first, first + committed.length / COMMITTED_ROW - 1);
        // slither-disable-next-line uninitialized-local -- a cursor, zero before the loop
        uint256 chunkAt;
        for (uint256 i; i < proof.split.chunkCounts.length; ++i) {
            uint256 chunks = proof.split.chunkCounts[i];
            uint256 fees = committed[i * COMMITTED_ROW + 2] >> Constants.GLOBALS_FEES_SHIFT;
            _payBlock(first + i, fees, proof.signerCounts[i], payees, chunkAt, chunks);
            chunkAt += chunks;
        }
        if (complete && PROOF_SUBMISSION_REWARD != 0) {
            // slither-disable-next-line unused-return -- rewards are capped by the pool's funds by design
            POOL.credit(msg.sender, PROOF_SUBMISSION_REWARD, 0);
        }
    }

    /// @dev Pays one block: the proposer's share for `signers` signers, and `chunks` equal prover shares to
    ///      `payees[from..from + chunks]` (consecutive equal payees in one credit).
    function _payBlock(
        uint256 blockNumber,
        uint256 fees,
        uint256 signers,
        address[] memory payees,
        uint256 from,
        uint256 chunks
    ) private {
        uint256 bonused = signers < COMMITTEE_SIZE ? signers : COMMITTEE_SIZE;
        uint256 bps = SEQUENCER_BASE_BPS + SEQUENCER_BONUS_BPS * bonused;
        // Each chunk's share is rounded down; the proposer keeps the dust.
        uint256 chunkReward = (BLOCK_REWARD - BLOCK_REWARD * bps / Constants.BASIS_POINTS) / chunks;
        uint256 chunkFees = (fees - fees * bps / Constants.BASIS_POINTS) / chunks;
        // The trusted pool, one call per block; the rounded shares, as paid below.
        // slither-disable-next-line calls-loop,unused-return,divide-before-multiply
        POOL.credit(
            _blocks[blockNumber].proposer, BLOCK_REWARD - chunkReward * chunks, fees - chunkFees * chunks
        );
        // slither-disable-next-line uninitialized-local -- a count, zero before the loop
        uint256 run;
        for (uint256 j; j < chunks; ++j) {
            ++run;
            address payee = payees[from + j];
            if (j + 1 == chunks || payees[from + j + 1] != payee) {
                // The trusted pool, one call per run of a payee's chunks; the rounded shares.
                // slither-disable-next-line calls-loop,unused-return,divide-before-multiply
                POOL.credit(payee, chunkReward * run, chunkFees * run);
                run = 0;
            }
        }
    }

    // ================================================================== inactivity

    /// @dev Checks that `blockNumbers` are `inactivityLimit` misses of `staker` (see `slashInactive`); returns
    ///      the last one's slot.
    function _checkMisses(address staker, uint256[] calldata blockNumbers)
        internal
        view
        returns (Slot lastSlot)
    {
        uint256 count = blockNumbers.length;
        require(count == INACTIVITY_LIMIT, Errors.Rollup__InvalidMissCount(INACTIVITY_LIMIT, count));
        Slot settled = Slot.wrap(_settledSlot[staker]);
        uint256 proven = _provenTip;
        // slither-disable-next-line uninitialized-local -- 0: the first block number must be positive
        uint256 previous;
        for (uint256 i; i < count; ++i) {
            uint256 blockNumber = blockNumbers[i];
            require(
                blockNumber > previous && blockNumber <= proven,
                Errors.Rollup__InvalidMissedBlock(blockNumber, previous, proven)
            );
            StoredBlock storage stored = _blocks[blockNumber];
            lastSlot = Slot.wrap(stored.slot);
            (bool member,,) = _inCommittee(lastSlot, staker);
            require(
                member && !stored.backup && stored.proposer != staker && lastSlot > settled,
                Errors.Rollup__NotAMiss(staker, blockNumber, settled)
            );
            previous = blockNumber;
        }
    }
}
