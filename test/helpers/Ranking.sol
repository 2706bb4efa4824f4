// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Slot} from "../../contracts/libraries/TimeLib.sol";

/// @title Ranking
/// @notice Test helper: a slot's ranking as the Rust side computes it off chain (the rollup no longer
///         returns it): every proposer of the slot's epoch (`Staking.proposersAt`), by `Rollup.scoreOf`,
///         highest first.
library Ranking {
    /// @notice The proposers of `slot`'s epoch sorted by score, highest first, and their scores.
    function forSlot(IRollup rollup, Slot slot)
        internal
        view
        returns (address[] memory ranked, uint256[] memory scores)
    {
        (ranked,) = rollup.staking().proposersAt(rollup.epochAtSlot(slot), 0, type(uint256).max);
        uint256 n = ranked.length;
        scores = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            scores[i] = rollup.scoreOf(slot, ranked[i]);
        }
        // Insertion sort: test sets are small.
        for (uint256 i = 1; i < n; ++i) {
            (address p, uint256 s) = (ranked[i], scores[i]);
            uint256 j = i;
            while (j > 0 && scores[j - 1] < s) {
                (ranked[j], scores[j]) = (ranked[j - 1], scores[j - 1]);
                --j;
            }
            (ranked[j], scores[j]) = (p, s);
        }
    }
}
