// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IClock} from "../interfaces/IClock.sol";
import {Errors} from "../libraries/Errors.sol";
import {Epoch, Slot, TimeLib} from "../libraries/TimeLib.sol";

/// @title Clock
/// @notice Immutable slot/epoch clock inherited by the contracts that need L2 time.
abstract contract Clock is IClock {
    uint256 internal immutable GENESIS_TIME;
    uint256 internal immutable SLOT_DURATION;
    uint256 internal immutable EPOCH_DURATION;

    constructor(uint256 genesisTime_, uint256 slotDuration_, uint256 epochDuration_) {
        require(slotDuration_ > 0, Errors.Config__Invalid("slotDuration", slotDuration_));
        require(epochDuration_ > 0, Errors.Config__Invalid("epochDuration", epochDuration_));
        GENESIS_TIME = genesisTime_ == 0 ? block.timestamp : genesisTime_;
        SLOT_DURATION = slotDuration_;
        EPOCH_DURATION = epochDuration_;
    }

    /// @inheritdoc IClock
    function genesisTime() external view returns (uint256) {
        return GENESIS_TIME;
    }

    /// @inheritdoc IClock
    function slotDuration() external view returns (uint256) {
        return SLOT_DURATION;
    }

    /// @inheritdoc IClock
    function epochDuration() external view returns (uint256) {
        return EPOCH_DURATION;
    }

    /// @inheritdoc IClock
    function currentSlot() external view returns (Slot) {
        return _currentSlot();
    }

    /// @inheritdoc IClock
    function currentEpoch() external view returns (Epoch) {
        return _currentEpoch();
    }

    /// @inheritdoc IClock
    function epochAtSlot(Slot slot) external view returns (Epoch) {
        return _epochOf(slot);
    }

    /// @inheritdoc IClock
    function slotStartTime(Slot slot) external view returns (uint256) {
        return _slotStart(slot);
    }

    function _currentSlot() internal view returns (Slot) {
        return TimeLib.slotAt(block.timestamp, GENESIS_TIME, SLOT_DURATION);
    }

    function _currentEpoch() internal view returns (Epoch) {
        return TimeLib.epochOf(_currentSlot(), EPOCH_DURATION);
    }

    function _epochOf(Slot slot) internal view returns (Epoch) {
        return TimeLib.epochOf(slot, EPOCH_DURATION);
    }

    function _firstSlot(Epoch epoch) internal view returns (Slot) {
        return TimeLib.firstSlot(epoch, EPOCH_DURATION);
    }

    function _slotStart(Slot slot) internal view returns (uint256) {
        return TimeLib.slotStart(slot, GENESIS_TIME, SLOT_DURATION);
    }

    function _epochStart(Epoch epoch) internal view returns (uint256) {
        return _slotStart(_firstSlot(epoch));
    }

    function _epochAt(uint256 timestamp) internal view returns (Epoch) {
        return TimeLib.epochOf(TimeLib.slotAt(timestamp, GENESIS_TIME, SLOT_DURATION), EPOCH_DURATION);
    }
}
