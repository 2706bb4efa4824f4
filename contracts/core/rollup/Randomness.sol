// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Epoch, Slot} from "../../libraries/TimeLib.sol";
import {RollupStorage} from "./RollupStorage.sol";

/// @title Randomness
/// @notice RANDAO checkpoints (one per epoch, by the first call of the epoch), the epoch seeds read from them
///         `lag` epochs later, and the proposal scores derived from the seeds.
abstract contract Randomness is RollupStorage {
    /// @dev The first call of each epoch stores that block's prevrandao as the epoch's checkpoint; returns
    ///      whether this call wrote it.
    function _checkpointRandomness() internal returns (bool written) {
        uint256 epoch = Epoch.unwrap(_currentEpoch());
        if (_checkpointEpochs[_checkpointEpochs.length - 1] < epoch) {
            _checkpointEpochs.push(epoch);
            _randao[epoch] = block.prevrandao;
            emit RandomnessCheckpointed(Epoch.wrap(epoch), block.prevrandao);
            _onEpochCheckpoint(epoch);
            return true;
        }
    }

    /// @dev Runs once per epoch, after the epoch's randomness checkpoint is written; a mode may record what it
    ///      needs of the epoch there (the committee mode: the set size).
    function _onEpochCheckpoint(uint256 epoch) internal virtual {}

    /// @dev Seed of `epoch`: the latest checkpoint written no later than epoch - lag, mixed with the epoch.
    ///      For the current epoch (and the next `lag - 1`) it can no longer change.
    function _seed(Epoch epoch) internal view returns (uint256) {
        uint256 e = Epoch.unwrap(epoch);
        uint256 target = e > SEED_LAG ? e - SEED_LAG : 0;
        return uint256(keccak256(abi.encode(_randao[_latestCheckpointAtOrBefore(target)], e)));
    }

    /// @dev A proposal's score in `slot`: keccak256(seed, slot, proposer); the highest score wins the slot.
    function _score(uint256 seed, Slot slot, address proposer) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, slot, proposer)));
    }

    /// @dev The latest checkpointed epoch at or before `target` (epoch 0 always qualifies).
    function _latestCheckpointAtOrBefore(uint256 target) private view returns (uint256) {
        uint256 high = _checkpointEpochs.length;
        // Recent epochs are the common case: look at the last few entries before a binary search.
        for (uint256 k; k < 3 && high > 0; ++k) {
            uint256 candidate = _checkpointEpochs[high - 1];
            if (candidate <= target) return candidate;
            --high;
        }
        uint256 low;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            if (_checkpointEpochs[mid] <= target) low = mid + 1;
            else high = mid;
        }
        // _checkpointEpochs[0] == 0 <= target, so low >= 1.
        return _checkpointEpochs[low - 1];
    }
}
