// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Epoch, Slot} from "../libraries/TimeLib.sol";

/// @title IClock
/// @notice The slot and epoch clock shared by the staking and rollup contracts, counted from L1 timestamps.
interface IClock {
    /// @notice L1 timestamp at which slot 0 starts.
    function genesisTime() external view returns (uint256);

    /// @notice Length of a slot in seconds.
    function slotDuration() external view returns (uint256);

    /// @notice Number of slots in an epoch.
    function epochDuration() external view returns (uint256);

    /// @notice The slot at the current L1 timestamp.
    function currentSlot() external view returns (Slot);

    /// @notice The epoch at the current L1 timestamp.
    function currentEpoch() external view returns (Epoch);

    /// @notice The epoch containing `slot`.
    function epochAtSlot(Slot slot) external view returns (Epoch);

    /// @notice The L1 timestamp at which `slot` starts.
    function slotStartTime(Slot slot) external view returns (uint256);
}
