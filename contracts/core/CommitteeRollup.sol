// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICommitteeRollup} from "../interfaces/ICommitteeRollup.sol";
import {IFeeInbox} from "../interfaces/IFeeInbox.sol";
import {IProofVerifier} from "../interfaces/IProofVerifier.sol";
import {IProverEscrow} from "../interfaces/IProverEscrow.sol";
import {IRewardPool} from "../interfaces/IRewardPool.sol";
import {IRollup} from "../interfaces/IRollup.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {Constants} from "../libraries/Constants.sol";
import {Errors} from "../libraries/Errors.sol";
import {SignedEpochProofQuote} from "../libraries/QuoteLib.sol";
import {Epoch, Slot} from "../libraries/TimeLib.sol";
import {Committee} from "./rollup/Committee.sol";
import {Randomness} from "./rollup/Randomness.sol";
import {RollupBase} from "./rollup/RollupBase.sol";

/// @title CommitteeRollup
/// @notice The committee mode (seed 004): Fernet proposals signed off by a proving committee drawn from the
///         lowest scores of the same staking set, epoch proofs made of the committee's chunk proofs, rewards
///         spread over proposer, provers and submitter, and the inactivity slash. See ICommitteeRollup and
///         docs/protocol.md.
/// @dev RollupBase holds what the committee mode shares with the quote mode (Rollup); the quote mode's
///      entry points revert here.
contract CommitteeRollup is RollupBase, Committee {
    /// @param staking_ The sequencer staking contract (its clock and lag become the rollup's).
    /// @param escrow_ The prover escrow (unused by this mode's entry points; kept so both modes deploy alike).
    /// @param pool_ The reward pool.
    /// @param verifier_ The block proof verifier (backup blocks).
    /// @param chunkVerifier_ The chunk proof verifier.
    /// @param config_ The rollup parameters (the claim and quote ones are unused in this mode).
    /// @param inbox_ The fee inbox (deployed for this rollup and pool).
    /// @param committee_ The committee parameters.
    constructor(
        IStaking staking_,
        IProverEscrow escrow_,
        IRewardPool pool_,
        IProofVerifier verifier_,
        IProofVerifier chunkVerifier_,
        Config memory config_,
        IFeeInbox inbox_,
        CommitteeConfig memory committee_
    ) RollupBase(staking_, escrow_, pool_, verifier_, chunkVerifier_, config_, inbox_) Committee(committee_) {
        _checkCommitteeConfig(committee_, config_.proofWindowSlots, config_.maxDataBytes);
    }

    // ================================================================== committee mode

    /// @inheritdoc ICommitteeRollup
    function proposeWithSignoffs(ProposeArgs calldata args, bytes[] calldata signoffs) external {
        // The proposal path calls the trusted satellites first (see docs/security.md, reentrancy).
        // slither-disable-next-line reentrancy-benign,reentrancy-events
        uint256 blockNumber = _propose(args);
        address[] memory signers = _checkSignoffs(blockNumber, args.header.slot, signoffs);
        _recordSignoffs(blockNumber, args.header.slot, signers, args.data.length);
    }

    /// @inheritdoc ICommitteeRollup
    function submitCommitteeEpochProof(
        Epoch epoch,
        uint256[] calldata publicInputs,
        CommitteeProof calldata proof
    ) external {
        // The checkpoint calls the trusted staking contract first (see docs/security.md, reentrancy).
        // slither-disable-next-line reentrancy-benign,reentrancy-events
        _checkpointRandomness();
        (uint256 first, uint256 epochLast) = _checkEpochInputs(epoch, publicInputs);
        _checkCommitments(first, publicInputs);
        address[] memory payees = _verifyCommitteeProof(epoch, first, publicInputs, proof);
        uint256 last = first + publicInputs.length / COMMITTED_ROW - 1;
        // forge-lint: disable-next-line(unsafe-typecast) -- block numbers grow by one per slot, far below 2^128
        _provenTip = uint128(last);
        emit EpochProven(epoch, first, last, msg.sender, msg.sender);
        _payCommittee(first, publicInputs, proof, payees, last == epochLast);
    }

    /// @inheritdoc ICommitteeRollup
    function slashInactive(address staker, uint256[] calldata blockNumbers) external {
        // The checkpoint calls the trusted staking contract first (see docs/security.md, reentrancy).
        // slither-disable-next-line reentrancy-benign,reentrancy-events
        _checkpointRandomness();
        Slot lastSlot = _checkMisses(staker, blockNumbers);
        // The same misses never count twice.
        _settledSlot[staker] = Slot.unwrap(lastSlot);
        uint256 slashed = STAKING.slash(staker, INACTIVITY_PENALTY, address(POOL));
        emit CommitteeMemberSlashed(staker, blockNumbers[0], blockNumbers[blockNumbers.length - 1], slashed);
    }

    // ================================================================== the quote mode's entry points

    /// @inheritdoc IRollup
    /// @dev The committee mode appends blocks only with sign-offs: see `proposeWithSignoffs`.
    function propose(ProposeArgs calldata) external pure {
        revert Errors.Rollup__SignoffsRequired();
    }

    /// @inheritdoc IRollup
    /// @dev No quotes in the committee mode: the committee proves.
    function claimEpochProofRight(SignedEpochProofQuote calldata) external pure {
        revert Errors.Rollup__QuoteModeOnly();
    }

    /// @inheritdoc IRollup
    /// @dev The committee mode proves with `submitCommitteeEpochProof`.
    function submitEpochProof(Epoch, uint256[] calldata, bytes calldata) external pure {
        revert Errors.Rollup__QuoteModeOnly();
    }

    /// @inheritdoc IRollup
    /// @dev The committee mode proves with `submitCommitteeEpochProof`.
    function submitSplitEpochProof(Epoch, uint256[] calldata, EpochSplit calldata, bytes calldata)
        external
        pure
    {
        revert Errors.Rollup__QuoteModeOnly();
    }

    // ================================================================== views

    /// @inheritdoc ICommitteeRollup
    function committeeConfig() external view returns (CommitteeConfig memory) {
        return CommitteeConfig({
            committeeSize: COMMITTEE_SIZE,
            signoffQuorum: SIGNOFF_QUORUM,
            chunkTxs: CHUNK_TXS,
            sequencerBaseBps: SEQUENCER_BASE_BPS,
            sequencerBonusBps: SEQUENCER_BONUS_BPS,
            takeoverSlots: TAKEOVER_SLOTS,
            inactivityLimit: INACTIVITY_LIMIT,
            inactivityPenalty: INACTIVITY_PENALTY
        });
    }

    /// @inheritdoc ICommitteeRollup
    function committeeSetSize(Epoch epoch) external view returns (uint256) {
        return _setSize(epoch);
    }

    /// @inheritdoc ICommitteeRollup
    function committeeThreshold(Epoch epoch) external view returns (uint256) {
        return _committeeThreshold(epoch);
    }

    /// @inheritdoc ICommitteeRollup
    function isCommitteeMember(Slot slot, address staker) external view returns (bool member) {
        (member,,) = _inCommittee(slot, staker);
    }

    /// @inheritdoc ICommitteeRollup
    function signoffDigest(uint256 blockNumber, Slot slot, bytes32 publicInputsHash)
        external
        view
        returns (bytes32)
    {
        return _signoffDigest(blockNumber, slot, publicInputsHash);
    }

    /// @inheritdoc ICommitteeRollup
    function signersHashOf(uint256 blockNumber) external view returns (bytes32) {
        return _blocks[blockNumber].backup ? bytes32(0) : _signersHash[blockNumber];
    }

    /// @inheritdoc ICommitteeRollup
    function settledDutySlot(address staker) external view returns (Slot) {
        return Slot.wrap(_settledSlot[staker]);
    }

    // ================================================================== construction

    /// @dev Randomness's per-epoch hook, as the committee records it.
    function _onEpochCheckpoint(uint256 epoch) internal override(Randomness, Committee) {
        Committee._onEpochCheckpoint(epoch);
    }

    function _checkCommitteeConfig(CommitteeConfig memory c, uint256 proofWindowSlots, uint256 maxDataBytes)
        private
        pure
    {
        require(c.committeeSize > 0, Errors.Config__Invalid("committeeSize", 0));
        require(
            c.signoffQuorum > 0 && c.signoffQuorum <= c.committeeSize,
            Errors.Config__Invalid("signoffQuorum", c.signoffQuorum)
        );
        // Every block that fits in maxDataBytes must be provable: at most MAX_CHUNKS_PER_BLOCK chunks.
        uint256 maxTxs = maxDataBytes > Constants.DATA_HEADER_BYTES
            ? (maxDataBytes - Constants.DATA_HEADER_BYTES) / Constants.TX_EFFECT_BYTES
            : 0;
        require(
            c.chunkTxs > 0 && (maxTxs == 0 || (maxTxs - 1) / c.chunkTxs < Constants.MAX_CHUNKS_PER_BLOCK),
            Errors.Config__Invalid("chunkTxs", c.chunkTxs)
        );
        require(
            c.sequencerBaseBps + c.sequencerBonusBps * c.committeeSize <= Constants.BASIS_POINTS,
            Errors.Config__Invalid("sequencerBonusBps", c.sequencerBonusBps)
        );
        require(c.takeoverSlots < proofWindowSlots, Errors.Config__Invalid("takeoverSlots", c.takeoverSlots));
        require(c.inactivityLimit > 0, Errors.Config__Invalid("inactivityLimit", 0));
    }
}
