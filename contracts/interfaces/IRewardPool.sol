// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IRewardPool
/// @notice Holds the staking-token funds that pay block rewards, fees and redistributed slashes.
///         Two ledgers: reward funds (anything funded or transferred in) and fee funds (FeeInbox deposits
///         released once a block consuming them is proven). The rollup credits accounts a reward part (never
///         more than the uncommitted reward funds, `available()`) and a fee part (only out of fee funds, never
///         capped: asking for more reverts), and each account pulls its credit with `claim`.
interface IRewardPool {
    /// @notice Emitted when `from` adds `amount` to the pool.
    event Funded(address indexed from, uint256 amount);
    /// @notice Emitted when the rollup credits `account` with `credited` out of the `requested` amount.
    event RewardCredited(address indexed account, uint256 credited, uint256 requested);
    /// @notice Emitted when the rollup credits `account` with `amount` of fees, out of fee funds.
    event FeesCredited(address indexed account, uint256 amount);
    /// @notice Emitted when `amount` of released FeeInbox deposits becomes fee funds.
    event FeeFundsAdded(uint256 amount);
    /// @notice Emitted when `account` claims `amount` to `recipient`.
    event RewardClaimed(address indexed account, address indexed recipient, uint256 amount);

    /// @notice Adds `amount` of the token (pulled from the caller) to the pool.
    function fund(uint256 amount) external;

    /// @notice Credits `account` with up to `reward`, bounded by `available()`, plus exactly `fees`, moved from
    ///         the fee funds (`RewardPool__FeesExceedDeposits(feeFunds, fees)` if they hold less). Rollup only.
    /// @return rewardCredited The reward part actually credited.
    function credit(address account, uint256 reward, uint256 fees) external returns (uint256 rewardCredited);

    /// @notice Books `amount` of the pool's balance as fee funds. Rollup only, right after `FeeInbox.release`
    ///         transferred it here.
    function addFeeFunds(uint256 amount) external;

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

    /// @notice Token balance neither committed to a credit nor held as fee funds: what future rewards can draw on.
    function available() external view returns (uint256);

    /// @notice Released deposits not yet credited as fees: what future fee credits can draw on.
    function feeFunds() external view returns (uint256);
}
