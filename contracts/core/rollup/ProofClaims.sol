// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Errors} from "../../libraries/Errors.sol";
import {EpochProofQuote, QuoteLib, SignedEpochProofQuote} from "../../libraries/QuoteLib.sol";
import {Epoch, Slot, TimeLib} from "../../libraries/TimeLib.sol";
import {RollupStorage} from "./RollupStorage.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title ProofClaims
/// @notice Sidecar epoch proof claims: the terms a signed prover quote must meet, and the claim window's
///         auction (a strictly cheaper quote replaces the standing claim, whose bond is released at once).
abstract contract ProofClaims is RollupStorage {
    using SafeCast for uint256;
    using TimeLib for Epoch;
    using TimeLib for Slot;

    /// @dev Checks the terms of `quote` at `slot` (of epoch `current`): it names the previous epoch, inside its
    ///      claim window, before the quote expires, for this rollup, at most `maxProverFeeBps` and at least
    ///      the minimum bond. Returns the epoch to prove.
    function _checkQuoteTerms(EpochProofQuote calldata quote, Slot slot, Epoch current)
        internal
        view
        returns (Epoch target)
    {
        // slither-disable-next-line incorrect-equality -- an epoch number, not a balance
        target = Epoch.wrap(Epoch.unwrap(current) == 0 ? 0 : Epoch.unwrap(current) - 1);
        Epoch quoted = Epoch.wrap(quote.epochToProve);
        require(
            Epoch.unwrap(current) > 0 && quoted == target, Errors.Rollup__InvalidEpochToProve(target, quoted)
        );
        Slot lastClaimSlot = _claimDeadline(target);
        require(slot <= lastClaimSlot, Errors.Rollup__ClaimWindowClosed(target, lastClaimSlot, slot));
        require(
            Slot.unwrap(slot) <= quote.validUntilSlot,
            Errors.Rollup__QuoteExpired(Slot.wrap(quote.validUntilSlot), slot)
        );
        require(
            quote.rollupAddress == address(this),
            Errors.Rollup__QuoteForOtherRollup(address(this), quote.rollupAddress)
        );
        require(
            quote.basisPointFee <= MAX_PROVER_FEE_BPS,
            Errors.Rollup__InvalidBasisPointFee(MAX_PROVER_FEE_BPS, quote.basisPointFee)
        );
        require(
            quote.bondAmount >= MINIMUM_PROVER_BOND,
            Errors.Rollup__BondTooSmall(MINIMUM_PROVER_BOND, quote.bondAmount)
        );
    }

    /// @dev Claims `target` for the quote's prover if the auction lets it (no standing claim, or one with a
    ///      higher fee), the epoch has blocks to prove, and the prover signed the quote; releases a replaced
    ///      claim's bond and locks the new one in the escrow.
    function _claim(Epoch target, SignedEpochProofQuote calldata signedQuote) internal {
        EpochProofQuote calldata quote = signedQuote.quote;
        ProofClaim storage claim = _claims[Epoch.unwrap(target)];
        // The claim window is an auction: a claim stands until a strictly cheaper quote replaces it. Any other
        // status than None or Claimed means the epoch has nothing left to prove (NothingToProve below).
        bool replacing = claim.status == ClaimStatus.Claimed;
        require(
            !replacing || quote.basisPointFee < claim.basisPointFee,
            Errors.Rollup__QuoteNotCheaper(target, claim.basisPointFee, quote.basisPointFee)
        );
        require(_hasUnprovenBlocks(target), Errors.Rollup__NothingToProve(target));

        // tryRecover yields address(0) exactly when the signature recovers nobody (its error values say why):
        // that must not match a quote naming address(0) as its prover.
        // slither-disable-next-line unused-return -- the error values only say why signer is address(0)
        (address signer,,) =
            ECDSA.tryRecover(_hashTypedDataV4(QuoteLib.structHash(quote)), signedQuote.signature);
        require(
            signer == quote.prover && signer != address(0),
            Errors.Rollup__InvalidQuoteSignature(quote.prover, signer)
        );

        address replacedProver = claim.prover;
        uint256 replacedBond = claim.bondAmount;
        if (replacing) {
            emit EpochProofClaimReplaced(
                target, replacedProver, quote.prover, claim.basisPointFee, quote.basisPointFee
            );
        }
        claim.prover = quote.prover;
        claim.bondAmount = quote.bondAmount.toUint96();
        claim.claimant = msg.sender;
        claim.basisPointFee = quote.basisPointFee;
        claim.status = ClaimStatus.Claimed;
        emit EpochProofRightClaimed(target, quote.prover, msg.sender, quote.bondAmount, quote.basisPointFee);

        // The replaced bond is free again before the new one is locked, so a prover may undercut itself.
        if (replacing) ESCROW.releaseBond(replacedProver, replacedBond);
        ESCROW.lockBond(quote.prover, quote.bondAmount);
    }

    /// @dev The last slot in which `epoch` can be claimed: `claimWindowSlots` into the next epoch.
    function _claimDeadline(Epoch epoch) internal view returns (Slot) {
        return _firstSlot(epoch.plus(1)).plus(CLAIM_WINDOW_SLOTS - 1);
    }

    /// @dev Whether `epoch` has a block past the proven tip.
    function _hasUnprovenBlocks(Epoch epoch) private view returns (bool) {
        EpochLog storage log = _epochs[Epoch.unwrap(epoch)];
        return log.blockCount > 0 && uint256(log.firstBlock) + log.blockCount - 1 > _provenTip;
    }
}
