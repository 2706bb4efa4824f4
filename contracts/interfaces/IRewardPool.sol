// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IRewardPool
/// @notice Holds the staking-token funds that pay block rewards, fees and redistributed slashes.
///         The rollup credits accounts (never more than the pool's uncommitted balance) and each
///         account pulls its credit with `claim`.
interface IRewardPool {
    /// @notice Emitted when `from` adds `amount` to the pool.
    event Funded(address indexed from, uint256 amount);
    /// @notice Emitted when the rollup credits `account` with `credited` out of the `requested` amount.
    event RewardCredited(address indexed account, uint256 credited, uint256 requested);
    /// @notice Emitted when `account` claims `amount` to `recipient`.
    event RewardClaimed(address indexed account, address indexed recipient, uint256 amount);

    /// @notice Adds `amount` of the token (pulled from the caller) to the pool.
    function fund(uint256 amount) external;

    /// @notice Credits `account` with up to `amount`, bounded by `available()`. Rollup only.
    /// @return credited The amount actually credited.
    function credit(address account, uint256 amount) external returns (uint256 credited);

    /// @notice Sends the caller's whole credit to `recipient`.
    /// @return amount The amount sent.
    function claim(address recipient) external returns (uint256 amount);

    /// @notice The pool's token.
    function token() external view returns (IERC20);

    /// @notice The only address allowed to credit.
    function rollup() external view returns (address);

    /// @notice Credit of `account` not yet claimed.
    function owed(address account) external view returns (uint256);

    /// @notice Sum of all credits not yet claimed.
    function totalOwed() external view returns (uint256);

    /// @notice Token balance not committed to any credit: what future rewards can draw on.
    function available() external view returns (uint256);
}
