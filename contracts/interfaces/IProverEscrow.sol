// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IProverEscrow
/// @notice Provers' deposits, from which the rollup locks the bond of a claimed epoch proof quote.
///         A locked bond is released when the epoch is proven on time and slashed when it is not.
///         Withdrawals wait `withdrawalDelay` seconds, so a quote cannot be backed by funds on their way out.
interface IProverEscrow {
    /// @notice One prover's balances.
    /// @param free Deposited, unlocked and not withdrawing: what a claimed quote may lock.
    /// @param locked Bonds of claimed epochs not yet proven or slashed.
    /// @param pendingWithdrawal Requested for withdrawal, no longer lockable.
    /// @param withdrawableAt Timestamp from which `pendingWithdrawal` can be finalized.
    struct Account {
        uint128 free;
        uint128 locked;
        uint128 pendingWithdrawal;
        uint64 withdrawableAt;
    }

    /// @notice Emitted when `from` deposits `amount` for `prover`.
    event Deposited(address indexed prover, address indexed from, uint256 amount);
    /// @notice Emitted when `prover` asks to withdraw `amount` (the pending total is `pending`).
    event WithdrawalRequested(
        address indexed prover, uint256 amount, uint256 pending, uint256 withdrawableAt
    );
    /// @notice Emitted when `prover` withdraws `amount` to `recipient`.
    event WithdrawalFinalized(address indexed prover, address indexed recipient, uint256 amount);
    /// @notice Emitted when the rollup locks `amount` of `prover`'s free balance as a bond.
    event BondLocked(address indexed prover, uint256 amount);
    /// @notice Emitted when the rollup returns a bond to `prover`'s free balance.
    event BondReleased(address indexed prover, uint256 amount);
    /// @notice Emitted when the rollup slashes `amount` of `prover`'s locked bond to `recipient`.
    event BondSlashed(address indexed prover, uint256 amount, address indexed recipient);

    /// @notice Deposits `amount` of the token (pulled from the caller) into `prover`'s free balance.
    function deposit(address prover, uint256 amount) external;

    /// @notice Moves `amount` of the caller's free balance to a pending withdrawal and restarts the delay.
    function requestWithdrawal(uint256 amount) external;

    /// @notice Sends the caller's pending withdrawal to `recipient` once the delay has passed.
    function finalizeWithdrawal(address recipient) external;

    /// @notice Locks `amount` of `prover`'s free balance. Rollup only.
    function lockBond(address prover, uint256 amount) external;

    /// @notice Returns `amount` of `prover`'s locked balance to its free balance. Rollup only.
    function releaseBond(address prover, uint256 amount) external;

    /// @notice Sends `amount` of `prover`'s locked balance to `recipient`. Rollup only.
    function slashBond(address prover, uint256 amount, address recipient) external;

    /// @notice The escrowed token.
    function token() external view returns (IERC20);

    /// @notice The only address allowed to lock, release and slash.
    function rollup() external view returns (address);

    /// @notice Seconds between a withdrawal request and its finalization.
    function withdrawalDelay() external view returns (uint256);

    /// @notice `prover`'s balances.
    function accountOf(address prover) external view returns (Account memory);

    /// @notice `prover`'s free balance (what a bond may lock).
    function freeBalanceOf(address prover) external view returns (uint256);

    /// @notice Tokens the escrow owes its provers (free + locked + pending), equal to its token balance.
    function totalDeposits() external view returns (uint256);

    /// @notice Tokens ever slashed out of the escrow.
    function totalSlashed() external view returns (uint256);
}
