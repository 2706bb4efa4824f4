// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IFeeInbox} from "../interfaces/IFeeInbox.sol";
import {IProofVerifier} from "../interfaces/IProofVerifier.sol";
import {IProverEscrow} from "../interfaces/IProverEscrow.sol";
import {IRewardPool} from "../interfaces/IRewardPool.sol";
import {IRollup} from "../interfaces/IRollup.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {Errors} from "../libraries/Errors.sol";
import {SignedEpochProofQuote} from "../libraries/QuoteLib.sol";
import {Epoch, Slot} from "../libraries/TimeLib.sol";
import {RollupBase} from "./rollup/RollupBase.sol";

/// @title Rollup
/// @notice The Sidecar quote mode: Fernet proposals, RANDAO seeds, epoch proof claims of signed prover quotes,
///         epoch proofs, prunes, rewards and upgrade signalling. See IRollup and docs/protocol.md.
/// @dev RollupBase holds what the quote mode shares with the committee mode (CommitteeRollup); this contract
///      adds the quote mode's entry points.
contract Rollup is RollupBase {
    /// @param staking_ The sequencer staking contract (its clock and lag become the rollup's).
    /// @param escrow_ The prover escrow.
    /// @param pool_ The reward pool.
    /// @param verifier_ The block proof verifier.
    /// @param chunkVerifier_ The chunk proof verifier.
    /// @param config_ The rollup parameters.
    /// @param inbox_ The fee inbox (deployed for this rollup and pool).
    constructor(
        IStaking staking_,
        IProverEscrow escrow_,
        IRewardPool pool_,
        IProofVerifier verifier_,
        IProofVerifier chunkVerifier_,
        Config memory config_,
        IFeeInbox inbox_
    ) RollupBase(staking_, escrow_, pool_, verifier_, chunkVerifier_, config_, inbox_) {}

    /// @inheritdoc IRollup
    function propose(ProposeArgs calldata args) external {
        _propose(args);
    }

    // ================================================================== prover coordination

    /// @inheritdoc IRollup
    function claimEpochProofRight(SignedEpochProofQuote calldata signedQuote) external {
        _checkpointRandomness();
        // Pruning calls the trusted satellites first (see docs/security.md, reentrancy).
        // slither-disable-next-line reentrancy-no-eth,reentrancy-events
        _pruneIfExpired();

        Slot slot = _currentSlot();
        Epoch current = _epochOf(slot);
        Epoch target = _checkQuoteTerms(signedQuote.quote, slot, current);
        require(
            STAKING.canPropose(msg.sender, current), Errors.Rollup__ClaimantNotEligible(msg.sender, current)
        );
        _claim(target, signedQuote);
    }

    /// @inheritdoc IRollup
    function submitEpochProof(Epoch epoch, uint256[] calldata publicInputs, bytes calldata proofs) external {
        _checkpointRandomness();
        (uint256 first, uint256 epochLast) = _checkEpochInputs(epoch, publicInputs);
        uint256 last = first + publicInputs.length / COMMITTED_ROW - 1;
        (address payee, bool claimed) = _epochPayee(epoch);
        _checkCommitments(first, publicInputs);
        require(
            VERIFIER.verifyBatch(proofs, _verifierRows(publicInputs, payee)),
            Errors.Rollup__InvalidProof(first, last)
        );
        _settleEpochProof(epoch, first, last, epochLast, publicInputs, payee, claimed);
    }

    /// @inheritdoc IRollup
    function submitSplitEpochProof(
        Epoch epoch,
        uint256[] calldata publicInputs,
        EpochSplit calldata split,
        bytes calldata proofs
    ) external {
        _checkpointRandomness();
        (uint256 first, uint256 epochLast) = _checkEpochInputs(epoch, publicInputs);
        (address payee, bool claimed) = _epochPayee(epoch);
        _checkCommitments(first, publicInputs);
        _verifySplitProofs(first, publicInputs, split, proofs, payee);
        uint256 last = first + publicInputs.length / COMMITTED_ROW - 1;
        _settleEpochProof(epoch, first, last, epochLast, publicInputs, payee, claimed);
    }
}
