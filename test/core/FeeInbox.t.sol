// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FeeInbox} from "../../contracts/core/FeeInbox.sol";
import {IFeeInbox} from "../../contracts/interfaces/IFeeInbox.sol";
import {Constants} from "../../contracts/libraries/Constants.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {Base} from "../Base.t.sol";
import {BlockDataBuilder} from "../helpers/BlockDataBuilder.sol";

/// @notice Unit tests of the fee inbox (issue 10, finding 4): deposits, the message check a proposal runs
///         (order, mismatch, must-include at its boundary) and the release of consumed deposits to the pool.
contract FeeInboxTest is Base {
    address internal depositor = makeAddr("inbox depositor");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");

    function _depositAs(address recipient, uint256 amount) internal returns (uint256 index) {
        _fund(depositor, address(inbox), amount);
        vm.prank(depositor);
        index = inbox.deposit(recipient, amount);
    }

    function _words(bytes32 a) internal pure returns (bytes32[] memory words) {
        words = new bytes32[](1);
        words[0] = a;
    }

    /// @dev A Config__Invalid parameter name (a string literal converted implicitly, as the contract does).
    function _param(bytes32 name) internal pure returns (bytes32) {
        return name;
    }

    function _release(uint256 cursor) internal returns (uint256) {
        vm.prank(address(rollup));
        return inbox.release(cursor);
    }

    // ------------------------------------------------------------------ construction

    function test_constructor_storesConfig() public view {
        assertEq(address(inbox.token()), address(token), "token");
        assertEq(inbox.rollup(), address(rollup), "rollup");
        assertEq(inbox.pool(), address(pool), "pool");
        assertEq(inbox.inclusionDelay(), INCLUSION_DELAY, "inclusion delay");
        assertEq(inbox.messageCount(), 0, "empty");
        assertEq(inbox.releasedCursor(), 0, "nothing released");
    }

    function test_constructor_revertsOnAZeroOrHugeInclusionDelay() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Config__Invalid.selector, _param("inclusionDelay"), 0));
        new FeeInbox(token, address(rollup), address(pool), 0);
        uint256 huge = uint256(type(uint32).max) + 1;
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Config__Invalid.selector, _param("inclusionDelay"), huge)
        );
        new FeeInbox(token, address(rollup), address(pool), huge);
        assertEq(new FeeInbox(token, address(rollup), address(pool), 1).inclusionDelay(), 1, "1 s accepted");
    }

    // ------------------------------------------------------------------ deposit

    function test_deposit_storesTheMessageAndPullsTheTokens() public {
        _fund(depositor, address(inbox), 7 ether);
        uint256 includeBy = block.timestamp + INCLUSION_DELAY;
        vm.expectEmit(address(inbox));
        emit IFeeInbox.DepositQueued(0, alice, 7 ether, includeBy);
        vm.prank(depositor);
        assertEq(inbox.deposit(alice, 7 ether), 0, "first index");

        assertEq(token.balanceOf(address(inbox)), 7 ether, "tokens held by the inbox");
        assertEq(token.balanceOf(depositor), 0, "tokens pulled");
        assertEq(inbox.messageCount(), 1, "count");
        IFeeInbox.Message memory m = inbox.message(0);
        assertEq(m.recipient, alice, "recipient");
        assertEq(m.amount, 7 ether, "amount");
        assertEq(m.includeBy, includeBy, "includeBy = deposit time + delay");

        vm.warp(block.timestamp + 5);
        assertEq(_depositAs(bob, 1), 1, "indices are sequential");
        assertEq(inbox.message(1).includeBy, block.timestamp + INCLUSION_DELAY, "its own includeBy");
    }

    function test_deposit_revertsOnAZeroRecipient() public {
        _fund(depositor, address(inbox), 1 ether);
        vm.expectRevert(abi.encodeWithSelector(Errors.Inbox__ZeroRecipient.selector));
        vm.prank(depositor);
        inbox.deposit(address(0), 1 ether);
    }

    function test_deposit_revertsOnAZeroAmount() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Amount__Zero.selector));
        vm.prank(depositor);
        inbox.deposit(alice, 0);
    }

    function test_deposit_revertsAboveTheLargestDeposit() public {
        uint256 max = Constants.MAX_DEPOSIT;
        _fund(depositor, address(inbox), max + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.Inbox__DepositTooLarge.selector, max, max + 1));
        vm.prank(depositor);
        inbox.deposit(alice, max + 1);
        // 2^96 - 1 is the largest amount a message slot holds.
        vm.prank(depositor);
        inbox.deposit(alice, max);
        assertEq(inbox.message(0).amount, max, "2^96 - 1 accepted");
    }

    function test_message_revertsForAnUnknownIndex() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Inbox__UnknownMessage.selector, 0, 0));
        inbox.message(0);
        _depositAs(alice, 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.Inbox__UnknownMessage.selector, 1, 1));
        inbox.message(1);
    }

    // ------------------------------------------------------------------ checkMessages

    function test_checkMessages_acceptsTheNextMessagesInOrder() public {
        _depositAs(alice, 1 ether);
        _depositAs(bob, 2 ether);
        _depositAs(alice, 3 ether);
        bytes32[] memory words = new bytes32[](2);
        words[0] = BlockDataBuilder.messageWord(bob, 2 ether);
        words[1] = BlockDataBuilder.messageWord(alice, 3 ether);
        assertEq(inbox.checkMessages(1, words), 3, "cursor 1 + 2 messages");
        assertEq(inbox.checkMessages(0, new bytes32[](0)), 0, "none consumed, none due");
    }

    function test_checkMessages_revertsOnAnUnknownMessage() public {
        _depositAs(alice, 1 ether);
        bytes32[] memory words = new bytes32[](2);
        words[0] = BlockDataBuilder.messageWord(alice, 1 ether);
        words[1] = BlockDataBuilder.messageWord(alice, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(Errors.Inbox__UnknownMessage.selector, 1, 1));
        inbox.checkMessages(0, words);
    }

    function test_checkMessages_revertsOnAMismatchWithTheValues() public {
        _depositAs(alice, 1 ether);
        _depositAs(bob, 2 ether);
        bytes32 expected = BlockDataBuilder.messageWord(alice, 1 ether);
        // Another amount, another recipient, and a skipped message (message 1 where 0 is due).
        bytes32[3] memory wrong = [
            BlockDataBuilder.messageWord(alice, 2 ether),
            BlockDataBuilder.messageWord(bob, 1 ether),
            BlockDataBuilder.messageWord(bob, 2 ether)
        ];
        for (uint256 i; i < wrong.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(Errors.Inbox__MessageMismatch.selector, 0, expected, wrong[i])
            );
            inbox.checkMessages(0, _words(wrong[i]));
        }
    }

    /// @dev The must-include rule at its boundary: a block that leaves a slot free may skip the next message
    ///      until `includeBy - 1`, not at `includeBy`.
    function test_checkMessages_mustIncludeADueMessageFromIncludeByOn() public {
        _depositAs(alice, 1 ether);
        uint256 includeBy = inbox.message(0).includeBy;
        vm.warp(includeBy - 1);
        assertEq(inbox.checkMessages(0, new bytes32[](0)), 0, "not due one second before");
        vm.warp(includeBy);
        vm.expectRevert(abi.encodeWithSelector(Errors.Inbox__MessageNotIncluded.selector, 0, includeBy));
        inbox.checkMessages(0, new bytes32[](0));
        // Including it is the way out.
        assertEq(inbox.checkMessages(0, _words(BlockDataBuilder.messageWord(alice, 1 ether))), 1, "included");
    }

    /// @dev Only the message right after the consumed ones is checked, and only if a slot is free.
    function test_checkMessages_mustIncludeOnlyWithAFreeSlot() public {
        for (uint256 i; i < 5; ++i) {
            _depositAs(alice, i + 1);
        }
        vm.warp(block.timestamp + INCLUSION_DELAY);
        bytes32[] memory four = new bytes32[](4);
        for (uint256 i; i < 4; ++i) {
            four[i] = BlockDataBuilder.messageWord(alice, i + 1);
        }
        assertEq(inbox.checkMessages(0, four), 4, "a full block may leave the fifth, due, message");
        bytes32[] memory three = new bytes32[](3);
        for (uint256 i; i < 3; ++i) {
            three[i] = four[i];
        }
        uint256 includeBy = inbox.message(3).includeBy;
        vm.expectRevert(abi.encodeWithSelector(Errors.Inbox__MessageNotIncluded.selector, 3, includeBy));
        inbox.checkMessages(0, three);
        assertEq(
            inbox.checkMessages(4, _words(BlockDataBuilder.messageWord(alice, 5))),
            5,
            "the last one, nothing after"
        );
    }

    // ------------------------------------------------------------------ release

    function test_release_revertsWhenCallerNotRollup() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Auth__NotRollup.selector, address(rollup), alice));
        vm.prank(alice);
        inbox.release(0);
    }

    function test_release_movesConsumedDepositsToThePoolByPrefixSums() public {
        _depositAs(alice, 1 ether);
        _depositAs(bob, 2 ether);
        _depositAs(alice, 4 ether);
        uint256 poolBalance = token.balanceOf(address(pool));

        vm.expectEmit(address(inbox));
        emit IFeeInbox.DepositsReleased(0, 2, 3 ether);
        assertEq(_release(2), 3 ether, "messages 0 and 1");
        assertEq(inbox.releasedCursor(), 2, "cursor");
        assertEq(token.balanceOf(address(pool)), poolBalance + 3 ether, "sent to the pool");

        vm.recordLogs();
        assertEq(_release(1), 0, "a smaller cursor releases nothing");
        assertEq(_release(2), 0, "the same cursor releases nothing");
        assertEq(vm.getRecordedLogs().length, 0, "no event, no transfer");
        assertEq(inbox.releasedCursor(), 2, "cursor unchanged");

        vm.expectRevert(abi.encodeWithSelector(Errors.Inbox__UnknownMessage.selector, 3, 3));
        _release(4);

        assertEq(_release(3), 4 ether, "the last message, up to the count");
        assertEq(token.balanceOf(address(inbox)), 0, "everything released");
        assertEq(token.balanceOf(address(pool)), poolBalance + 7 ether, "pool received every deposit once");
    }

    /// @dev Any sequence of cursors releases exactly the deposits below the highest one, each once.
    function testFuzz_release_paysEachDepositOnce(uint256[6] memory amounts, uint256[4] memory cursors)
        public
    {
        uint256 total;
        for (uint256 i; i < amounts.length; ++i) {
            amounts[i] = bound(amounts[i], 1, Constants.MAX_DEPOSIT);
            _depositAs(i % 2 == 0 ? alice : bob, amounts[i]);
            total += amounts[i];
        }
        uint256 highest;
        uint256 released;
        for (uint256 k; k < cursors.length; ++k) {
            uint256 cursor = bound(cursors[k], 0, amounts.length);
            released += _release(cursor);
            if (cursor > highest) highest = cursor;
            uint256 expected;
            for (uint256 i; i < highest; ++i) {
                expected += amounts[i];
            }
            assertEq(released, expected, "released = deposits below the highest cursor");
            assertEq(inbox.releasedCursor(), highest, "cursor is monotone");
        }
        assertEq(token.balanceOf(address(inbox)), total - released, "the rest stays in the inbox");
    }

    function test_release_paysEachDepositOnce_concrete() public {
        testFuzz_release_paysEachDepositOnce(
            [uint256(1), 2 ether, 3, Constants.MAX_DEPOSIT, 5, 6], [uint256(3), 1, 6, 2]
        );
    }
}
