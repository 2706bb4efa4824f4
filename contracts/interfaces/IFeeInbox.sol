// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IFeeInbox
/// @notice Fee deposits from L1 to L2 accounts. Anyone deposits the staking token for an L2 `recipient`; each
///         deposit becomes message `index`, whose word `uint160(recipient) << 96 | amount` blocks consume in
///         order (a block carries up to MESSAGES_PER_BLOCK of them; the circuit credits each to the recipient's
///         fee balance). A block with a free message slot must consume the next message once its `includeBy`
///         time has come. The tokens stay here until a block that consumed them is proven, then move to the
///         reward pool as fee funds: L1 pays fees only out of consumed deposits.
interface IFeeInbox {
    /// @notice One deposit.
    /// @param recipient The L2 account credited (never zero).
    /// @param amount The deposited amount (1 to MAX_DEPOSIT).
    /// @param includeBy From this time on (deposit time + inclusionDelay), a block with a free message slot
    ///        must consume the message if it is the next one.
    struct Message {
        address recipient;
        uint96 amount;
        uint64 includeBy;
    }

    /// @notice Emitted when `amount` is deposited for `recipient` as message `index`.
    event DepositQueued(uint256 indexed index, address indexed recipient, uint256 amount, uint256 includeBy);
    /// @notice Emitted when the deposits of messages `fromIndex..toIndex - 1`, `amount` in total, move to the
    ///         pool because a block that consumed them was proven.
    event DepositsReleased(uint256 fromIndex, uint256 toIndex, uint256 amount);

    /// @notice Deposits `amount` of the token (pulled from the caller) for the L2 account `recipient`.
    /// @dev Reverts `Inbox__ZeroRecipient()`, `Amount__Zero()`, or `Inbox__DepositTooLarge(MAX_DEPOSIT, amount)`.
    /// @return index The message's index.
    function deposit(address recipient, uint256 amount) external returns (uint256 index);

    /// @notice Checks a block's message words against the inbox: `words[i]` must be message `cursor + i`
    ///         (`Inbox__UnknownMessage(index, count)`, `Inbox__MessageMismatch(index, expected, actual)`). If the
    ///         block leaves a slot free (fewer than MESSAGES_PER_BLOCK words), the message after them, if any,
    ///         must not be due yet (`Inbox__MessageNotIncluded(index, includeBy)` once
    ///         `block.timestamp >= includeBy`).
    /// @param cursor The messages consumed by the chain up to the block's parent.
    /// @param words The block's message words, in slot order.
    /// @return next The messages consumed by the chain up to and including the block: `cursor + words.length`.
    function checkMessages(uint256 cursor, bytes32[] calldata words) external view returns (uint256 next);

    /// @notice Moves the deposits of messages `releasedCursor()..cursor - 1` to the pool. Rollup only, when a
    ///         proof extends the proven chain whose last block consumed `cursor` messages. A cursor at or below
    ///         `releasedCursor()` releases nothing; one above `messageCount()` reverts
    ///         (`Inbox__UnknownMessage(cursor - 1, count)`).
    /// @return amount The tokens transferred to the pool.
    function release(uint256 cursor) external returns (uint256 amount);

    /// @notice Messages deposited so far.
    function messageCount() external view returns (uint256);

    /// @notice Message `index` (`Inbox__UnknownMessage(index, count)` if it does not exist).
    function message(uint256 index) external view returns (Message memory);

    /// @notice Messages whose deposits were released to the pool (a prefix of the inbox).
    function releasedCursor() external view returns (uint256);

    /// @notice Seconds after a deposit from which a block with a free message slot must include it.
    function inclusionDelay() external view returns (uint256);

    /// @notice The deposited token (the staking token).
    function token() external view returns (IERC20);

    /// @notice The rollup: the only caller of `release`.
    function rollup() external view returns (address);

    /// @notice The reward pool the released deposits go to.
    function pool() external view returns (address);
}
