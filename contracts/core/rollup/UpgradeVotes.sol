// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Slot} from "../../libraries/TimeLib.sol";
import {RollupStorage} from "./RollupStorage.sol";

/// @title UpgradeVotes
/// @notice Upgrade signalling: each block may vote for a payload; a vote counts once its slot's proposal is
///         final, and `voteQuorum` votes within a round of `voteRoundSize` slots signal the payload.
abstract contract UpgradeVotes is RollupStorage {
    /// @dev Holds the vote of the block just proposed in `slot`: it counts once a later slot gets a block,
    ///      and is overwritten if a higher-scored proposal replaces the block in its slot.
    function _holdVote(address payload, Slot slot) internal {
        _pendingVotePayload = payload;
        _pendingVoteSlot = uint64(Slot.unwrap(slot));
    }

    /// @dev Counts the previous slot's vote: its proposal window is over, so it can no longer be replaced.
    function _settlePendingVote() internal {
        address payload = _pendingVotePayload;
        if (payload == address(0)) return;
        uint256 slot = _pendingVoteSlot;
        delete _pendingVotePayload;
        uint256 round = slot / VOTE_ROUND_SIZE;
        uint256 votes = ++_votes[round][payload];
        emit UpgradeVoteCast(round, payload, Slot.wrap(slot), votes);
        if (votes == VOTE_QUORUM && _signalled[round] == address(0)) {
            _signalled[round] = payload;
            emit UpgradeSignalled(round, payload);
        }
    }
}
