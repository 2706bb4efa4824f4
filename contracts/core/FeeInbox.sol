// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IFeeInbox} from "../interfaces/IFeeInbox.sol";
import {Constants} from "../libraries/Constants.sol";
import {Errors} from "../libraries/Errors.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title FeeInbox
/// @notice Holds fee deposits for L2 accounts until blocks that consume them are proven, then hands them to the
///         reward pool as fee funds. See IFeeInbox and docs/protocol.md.
/// @dev Storage: per message, its word (what a block must carry) in one slot, and its `includeBy` with the sum
///      of every deposit before it in a second; the count with the running total, and the released cursor with
///      the released total, in one slot each. `release` then computes any range's amount from two prefix sums,
///      without a loop over messages, and `checkMessages` reads one word per consumed message plus one
///      `includeBy`.
contract FeeInbox is IFeeInbox {
    using SafeERC20 for IERC20;

    /// @dev One message as stored: `word = uint160(recipient) << 96 | amount`, and the prefix sum of the
    ///      amounts of messages 0..index - 1 (below count * 2^96, far below 2^192).
    struct Entry {
        bytes32 word;
        uint64 includeBy;
        uint192 depositedBefore;
    }

    IERC20 private immutable TOKEN;
    address private immutable ROLLUP;
    address private immutable POOL;
    uint256 private immutable INCLUSION_DELAY;

    mapping(uint256 index => Entry) private _entries;
    /// @dev Read and written together by `deposit`.
    uint64 private _count;
    uint192 private _totalDeposited;
    /// @dev Read and written together by `release`.
    uint64 private _releasedCursor;
    uint192 private _releasedTotal;

    /// @param token_ The deposited token (the staking token, which the pool pays out).
    /// @param rollup_ The rollup: the only caller of `release` (it checks `rollup()` and `pool()` point back).
    /// @param pool_ The reward pool that receives released deposits.
    /// @param inclusionDelay_ Seconds after a deposit from which the next block with a free slot must include it
    ///        (positive: a deposit is never due in the L1 block that made it).
    constructor(IERC20 token_, address rollup_, address pool_, uint256 inclusionDelay_) {
        require(inclusionDelay_ > 0, Errors.Config__Invalid("inclusionDelay", 0));
        require(
            inclusionDelay_ <= type(uint32).max, Errors.Config__Invalid("inclusionDelay", inclusionDelay_)
        );
        TOKEN = token_;
        // slither-disable-next-line missing-zero-check -- the Rollup constructor checks rollup() == itself
        ROLLUP = rollup_;
        // slither-disable-next-line missing-zero-check -- the Rollup constructor checks pool() == its pool
        POOL = pool_;
        INCLUSION_DELAY = inclusionDelay_;
    }

    /// @inheritdoc IFeeInbox
    function deposit(address recipient, uint256 amount) external returns (uint256 index) {
        require(recipient != address(0), Errors.Inbox__ZeroRecipient());
        require(amount > 0, Errors.Amount__Zero());
        require(amount <= Constants.MAX_DEPOSIT, Errors.Inbox__DepositTooLarge(Constants.MAX_DEPOSIT, amount));
        index = _count;
        uint256 before = _totalDeposited;
        uint256 includeBy = block.timestamp + INCLUSION_DELAY;
        Entry storage entry = _entries[index];
        entry.word = bytes32((uint256(uint160(recipient)) << 96) | amount);
        // Cannot truncate: includeBy is a timestamp plus at most 2^32 seconds; `before` sums fewer than 2^64
        // deposits below 2^96 each.
        // forge-lint: disable-next-line(unsafe-typecast) -- see above
        entry.includeBy = uint64(includeBy);
        // forge-lint: disable-next-line(unsafe-typecast) -- see above
        entry.depositedBefore = uint192(before);
        // forge-lint: disable-next-line(unsafe-typecast) -- one message per deposit transaction, far below 2^64
        _count = uint64(index + 1);
        // forge-lint: disable-next-line(unsafe-typecast) -- see above
        _totalDeposited = uint192(before + amount);
        emit DepositQueued(index, recipient, amount, includeBy);
        TOKEN.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IFeeInbox
    function checkMessages(uint256 cursor, bytes32[] calldata words) external view returns (uint256 next) {
        uint256 count = _count;
        uint256 m = words.length;
        for (uint256 i; i < m; ++i) {
            uint256 index = cursor + i;
            require(index < count, Errors.Inbox__UnknownMessage(index, count));
            bytes32 expected = _entries[index].word;
            // slither-disable-next-line incorrect-equality -- a message word compared with the block's, not a balance
            require(words[i] == expected, Errors.Inbox__MessageMismatch(index, expected, words[i]));
        }
        next = cursor + m;
        // Must-include: a block with a free slot may not leave out a message that is due.
        if (m < Constants.MESSAGES_PER_BLOCK && next < count) {
            uint256 includeBy = _entries[next].includeBy;
            require(block.timestamp < includeBy, Errors.Inbox__MessageNotIncluded(next, includeBy));
        }
    }

    /// @inheritdoc IFeeInbox
    function release(uint256 cursor) external returns (uint256 amount) {
        require(msg.sender == ROLLUP, Errors.Auth__NotRollup(ROLLUP, msg.sender));
        uint256 from = _releasedCursor;
        if (cursor <= from) return 0;
        uint256 count = _count;
        require(cursor <= count, Errors.Inbox__UnknownMessage(cursor - 1, count));
        uint256 upTo = cursor == count ? _totalDeposited : _entries[cursor].depositedBefore;
        amount = upTo - _releasedTotal;
        // forge-lint: disable-next-line(unsafe-typecast) -- cursor <= count < 2^64
        _releasedCursor = uint64(cursor);
        // forge-lint: disable-next-line(unsafe-typecast) -- a prefix sum, below _totalDeposited < 2^192
        _releasedTotal = uint192(upTo);
        emit DepositsReleased(from, cursor, amount);
        TOKEN.safeTransfer(POOL, amount);
    }

    /// @inheritdoc IFeeInbox
    function messageCount() external view returns (uint256) {
        return _count;
    }

    /// @inheritdoc IFeeInbox
    function message(uint256 index) external view returns (Message memory) {
        uint256 count = _count;
        require(index < count, Errors.Inbox__UnknownMessage(index, count));
        Entry storage entry = _entries[index];
        uint256 word = uint256(entry.word);
        return Message({
            // forge-lint: disable-next-line(unsafe-typecast) -- the top 160 bits of the word
            recipient: address(uint160(word >> 96)),
            // forge-lint: disable-next-line(unsafe-typecast) -- the low 96 bits of the word
            amount: uint96(word),
            includeBy: entry.includeBy
        });
    }

    /// @inheritdoc IFeeInbox
    function releasedCursor() external view returns (uint256) {
        return _releasedCursor;
    }

    /// @inheritdoc IFeeInbox
    function inclusionDelay() external view returns (uint256) {
        return INCLUSION_DELAY;
    }

    /// @inheritdoc IFeeInbox
    function token() external view returns (IERC20) {
        return TOKEN;
    }

    /// @inheritdoc IFeeInbox
    function rollup() external view returns (address) {
        return ROLLUP;
    }

    /// @inheritdoc IFeeInbox
    function pool() external view returns (address) {
        return POOL;
    }
}
