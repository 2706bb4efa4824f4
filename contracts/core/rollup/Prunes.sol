// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Epoch, Slot} from "../../libraries/TimeLib.sol";
import {EpochProofs} from "./EpochProofs.sol";

/// @title Prunes
/// @notice Pruning: once the oldest unproven epoch is past its proof deadline, every unproven block is
///         dropped, the missed proof is punished (the claimed prover's bond pro rata, or the stake of the
///         first unproven block's proposer), and later epochs' claims are cancelled.
abstract contract Prunes is EpochProofs {
    /// @dev Prunes every unproven block if the oldest unproven epoch is past its proof deadline.
    function _pruneIfExpired() internal returns (bool pruned) {
        uint256 proven = _provenTip;
        uint256 pending = _pendingTip;
        if (pending == proven) return false;
        Epoch epoch = _epochOf(Slot.wrap(_blocks[proven + 1].slot));
        if (_currentSlot() <= _proofDeadline(epoch)) return false;

        // forge-lint: disable-next-line(unsafe-typecast) -- block numbers grow by one per slot, far below 2^128
        _pendingTip = uint128(proven);
        emit BlocksPruned(epoch, proven + 1, pending);
        // The escrow, pool and staking are trusted (see docs/security.md, reentrancy).
        // slither-disable-next-line reentrancy-no-eth,reentrancy-events
        _punishMissedProof(epoch, proven + 1, pending);

        Epoch lastEpoch = _epochOf(Slot.wrap(_blocks[pending].slot));
        for (uint256 e = Epoch.unwrap(epoch); e <= Epoch.unwrap(lastEpoch); ++e) {
            delete _epochs[e];
            ProofClaim storage claim = _claims[e];
            if (e != Epoch.unwrap(epoch) && claim.status == ClaimStatus.Claimed) {
                claim.status = ClaimStatus.Cancelled;
                emit ClaimCancelled(Epoch.wrap(e), claim.prover);
                // slither-disable-next-line calls-loop -- the trusted escrow; bounded by the pruned epochs
                ESCROW.releaseBond(claim.prover, claim.bondAmount);
            }
        }
        return true;
    }

    /// @dev Whether `_pruneIfExpired` would prune now.
    function _canPrune() internal view returns (bool) {
        uint256 proven = _provenTip;
        if (_pendingTip == proven) return false;
        return _currentSlot() > _proofDeadline(_epochOf(Slot.wrap(_blocks[proven + 1].slot)));
    }

    /// @dev A claimed epoch slashes the prover's bond pro rata to the epoch's unproven blocks (rounded up; the
    ///      rest is released) to the proposers of all the pruned blocks (one equal share per block, rounding
    ///      dust stays in the pool): a prover that proves what it can keeps blocks and part of its bond.
    ///      An unclaimed epoch slashes the stake of the proposer of its first unproven block (`fromBlock`),
    ///      whose data nobody proved; never a proven block's proposer. Backup blocks came with a proof: exempt.
    function _punishMissedProof(Epoch epoch, uint256 fromBlock, uint256 toBlock) private {
        ProofClaim storage claim = _claims[Epoch.unwrap(epoch)];
        if (claim.status == ClaimStatus.Claimed) {
            claim.status = ClaimStatus.Slashed;
            address prover = claim.prover;
            uint256 bond = claim.bondAmount;
            EpochLog memory log = _epochs[Epoch.unwrap(epoch)];
            uint256 unproven = uint256(log.firstBlock) + log.blockCount - fromBlock;
            // Cannot overflow: bond < 2^96 and unproven, blockCount < 2^32.
            uint256 slashed = (bond * unproven + log.blockCount - 1) / log.blockCount;
            uint256 share = slashed / (toBlock - fromBlock + 1);
            emit ProverSlashed(epoch, prover, slashed, share);
            ESCROW.slashBond(prover, slashed, address(POOL));
            if (slashed < bond) ESCROW.releaseBond(prover, bond - slashed);
            if (share == 0) return;
            for (uint256 n = fromBlock; n <= toBlock; ++n) {
                // slither-disable-next-line calls-loop,unused-return -- capped by the pool's funds by design
                POOL.credit(_blocks[n].proposer, share, 0);
            }
        } else if (UNPROVEN_BLOCK_PENALTY > 0 && !_blocks[fromBlock].backup) {
            // slither-disable-next-line unused-return -- capped by the stake; Staking emits the amount
            STAKING.slash(_blocks[fromBlock].proposer, UNPROVEN_BLOCK_PENALTY, address(POOL));
        }
    }
}
