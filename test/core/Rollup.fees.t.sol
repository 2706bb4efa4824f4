// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IFeeInbox} from "../../contracts/interfaces/IFeeInbox.sol";
import {IRewardPool} from "../../contracts/interfaces/IRewardPool.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {Epoch} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";
import {BlockDataBuilder} from "../helpers/BlockDataBuilder.sol";

/// @notice Fees backed by L1 deposits (issue 10, finding 4): proposals consume the fee inbox in order (with
///         the must-include rule), a replaced tip or a prune restarts from the parent's cursor, and proofs
///         release the consumed deposits into the pool's fee funds and pay fees only out of them.
abstract contract FeesBase is Base {
    /// @dev Epoch 2 (slots 8..11) is the first epoch with active sequencers.
    uint256 internal constant EPOCH = 2;
    uint256 internal constant FIRST_SLOT = 8;

    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal submitter = makeAddr("submitter");

    function _expectProposeRevert(IRollup.ProposeArgs memory args, bytes memory err) internal {
        address proposer = _topProposer(_currentSlot());
        vm.expectRevert(err);
        vm.prank(proposer);
        rollup.propose(args);
    }

    /// @dev Proposal args for block `number` consuming exactly `words`, declaring `totalFees`.
    function _argsWithWords(uint256 number, bytes32[] memory words, uint256 totalFees, uint256 seed)
        internal
        view
        returns (IRollup.ProposeArgs memory args)
    {
        args = _proposeArgsWithData(number, BlockDataBuilder.build(words, 1, seed));
        args.header.totalFees = totalFees;
    }

    /// @dev The top proposer proposes the next block consuming `messages` inbox messages and declaring
    ///      `totalFees`.
    function _proposeConsuming(uint256 messages, uint256 totalFees) internal returns (address proposer) {
        proposer = _topProposer(_currentSlot());
        _proposeAs(
            proposer,
            _proposeArgsWithMessages(rollup.pendingTip() + 1, messages, totalFees, abi.encode(_currentSlot()))
        );
    }
}

/// @notice Proposals and the inbox cursor. Follows the message branches of `Rollup.propose.tree`.
contract RollupFeeMessagesTest is FeesBase {
    function setUp() public override {
        super.setUp();
        _registerAndActivate(4);
        assertEq(_currentSlot(), FIRST_SLOT, "first active slot");
    }

    function test_propose_consumesMessagesAndAdvancesTheCursor() public {
        _deposit(alice, 1 ether);
        _deposit(bob, 2 ether);
        _deposit(alice, 3 ether);
        _proposeConsuming(2, 0);
        assertEq(rollup.blockLog(1).inboxCursor, 2, "two consumed");
        _warpToSlot(FIRST_SLOT + 1);
        _proposeConsuming(1, 0);
        assertEq(rollup.blockLog(2).inboxCursor, 3, "the third");
        _warpToSlot(FIRST_SLOT + 2);
        _proposeConsuming(0, 0);
        assertEq(rollup.blockLog(3).inboxCursor, 3, "none left: the cursor stays");
        assertEq(inbox.releasedCursor(), 0, "nothing released before a proof");
    }

    function test_propose_revertsWhenAMessageDiffersFromTheInbox() public {
        bytes32 expected = _deposit(alice, 1 ether);
        bytes32[] memory words = new bytes32[](1);
        words[0] = BlockDataBuilder.messageWord(alice, 2 ether);
        _expectProposeRevert(
            _argsWithWords(1, words, 0, 1),
            abi.encodeWithSelector(Errors.Inbox__MessageMismatch.selector, 0, expected, words[0])
        );
        // A credit to another account than the depositor chose.
        words[0] = BlockDataBuilder.messageWord(bob, 1 ether);
        _expectProposeRevert(
            _argsWithWords(1, words, 0, 1),
            abi.encodeWithSelector(Errors.Inbox__MessageMismatch.selector, 0, expected, words[0])
        );
    }

    function test_propose_revertsWhenAMessageIsSkipped() public {
        bytes32 first = _deposit(alice, 1 ether);
        bytes32 second = _deposit(bob, 2 ether);
        bytes32[] memory words = new bytes32[](1);
        words[0] = second;
        _expectProposeRevert(
            _argsWithWords(1, words, 0, 1),
            abi.encodeWithSelector(Errors.Inbox__MessageMismatch.selector, 0, first, second)
        );
    }

    /// @dev A credit nobody deposited: the inbox does not hold it.
    function test_propose_revertsOnAMessageTheInboxDoesNotHold() public {
        bytes32[] memory words = new bytes32[](1);
        words[0] = BlockDataBuilder.messageWord(alice, 1 ether);
        _expectProposeRevert(
            _argsWithWords(1, words, 0, 1),
            abi.encodeWithSelector(Errors.Inbox__UnknownMessage.selector, 0, 0)
        );
    }

    function test_propose_revertsOnTooManyMessages() public {
        bytes memory data = BlockDataBuilder.build(1, 1);
        data[25] = 0x05;
        _expectProposeRevert(
            _proposeArgsWithData(1, data),
            abi.encodeWithSelector(Errors.Rollup__TooManyMessages.selector, 4, 5)
        );
    }

    function test_propose_revertsOnANonZeroUnusedMessageSlot() public {
        bytes32[] memory words = new bytes32[](1);
        words[0] = _deposit(alice, 1 ether);
        IRollup.ProposeArgs memory args = _argsWithWords(1, words, 0, 1);
        // Slot 1 is unused (count 1) but carries a second credit the inbox would not check.
        uint256 offset = BlockDataBuilder.messageOffset(1);
        uint256 hidden = uint256(BlockDataBuilder.messageWord(bob, 1 ether));
        BlockDataBuilder.setWord(args.data, offset, hidden);
        _expectProposeRevert(
            args, abi.encodeWithSelector(Errors.Rollup__NonCanonicalDataWord.selector, offset, hidden)
        );
    }

    /// @dev Must-include: a due message must be in the next block that has a free slot.
    function test_propose_mustIncludeAStaleMessage() public {
        _deposit(alice, 1 ether);
        uint256 includeBy = inbox.message(0).includeBy;
        assertEq(includeBy, _slotStart(FIRST_SLOT + 2), "due two slots later");
        // One slot later it may still wait.
        _warpToSlot(FIRST_SLOT + 1);
        _proposeConsuming(0, 0);
        assertEq(rollup.blockLog(1).inboxCursor, 0, "not yet consumed");
        // From includeBy on, a block that leaves it out is rejected.
        _warpToSlot(FIRST_SLOT + 2);
        _expectProposeRevert(
            _proposeArgs("leaves it out"),
            abi.encodeWithSelector(Errors.Inbox__MessageNotIncluded.selector, 0, includeBy)
        );
        _proposeConsuming(1, 0);
        assertEq(rollup.blockLog(2).inboxCursor, 1, "included");
    }

    function test_propose_replacingTheTipRestartsFromTheParentCursor() public {
        _deposit(alice, 1 ether);
        _deposit(bob, 2 ether);
        (address[] memory ranked,) = _ranking(FIRST_SLOT);
        _proposeAs(ranked[1], _proposeArgsWithMessages(1, 2, 0, "lower"));
        assertEq(rollup.blockLog(1).inboxCursor, 2, "the replaced block consumed both");
        // The replacement builds on genesis (cursor 0) and consumes only the first.
        _proposeAs(ranked[0], _proposeArgsWithMessages(1, 1, 0, "higher"));
        assertEq(rollup.blockLog(1).inboxCursor, 1, "the replacement's cursor");
        // The next block starts at message 1.
        _warpToSlot(FIRST_SLOT + 1);
        bytes32[] memory words = new bytes32[](1);
        words[0] = BlockDataBuilder.messageWord(alice, 1 ether);
        _expectProposeRevert(
            _argsWithWords(2, words, 0, 2),
            abi.encodeWithSelector(
                Errors.Inbox__MessageMismatch.selector,
                1,
                BlockDataBuilder.messageWord(bob, 2 ether),
                words[0]
            )
        );
        _proposeConsuming(1, 0);
        assertEq(rollup.blockLog(2).inboxCursor, 2, "then the second");
    }

    function test_prune_rollsTheCursorBack() public {
        _deposit(alice, 1 ether);
        _proposeConsuming(1, 0);
        assertEq(rollup.blockLog(1).inboxCursor, 1, "consumed");
        // Nobody proves epoch 2: after its deadline (slot 15) the block is pruned.
        _warpToSlot(16);
        rollup.prune();
        assertEq(rollup.pendingTip(), 0, "pruned");
        // The message is due and must be consumed again by the new block 1.
        uint256 includeBy = inbox.message(0).includeBy;
        _expectProposeRevert(
            _proposeArgs("without the message"),
            abi.encodeWithSelector(Errors.Inbox__MessageNotIncluded.selector, 0, includeBy)
        );
        _proposeConsuming(1, 0);
        assertEq(rollup.blockLog(1).inboxCursor, 1, "consumed again");
        assertEq(inbox.releasedCursor(), 0, "a pruned block released nothing");
    }

    function test_proposeWithProof_consumesMessagesToo() public {
        _deposit(alice, 1 ether);
        vm.warp(_slotStart(FIRST_SLOT) + PROPOSAL_WINDOW);
        IRollup.ProposeArgs memory args = _proposeArgsWithMessages(1, 1, 1 ether, "backup");
        bytes memory proof = _backupProof(args, submitter);
        vm.prank(submitter);
        rollup.proposeWithProof(args, proof);
        assertEq(rollup.blockLog(1).inboxCursor, 1, "backup block consumed it");
    }
}

/// @notice Proofs release consumed deposits and pay fees apart from rewards.
contract RollupFeePayoutsTest is FeesBase {
    function setUp() public override {
        super.setUp();
        _registerAndActivate(4);
    }

    function _rewardCut(uint256 bps) internal pure returns (uint256) {
        return BLOCK_REWARD * bps / 10_000;
    }

    function test_submitEpochProof_releasesConsumedDepositsAndPaysFeesFromThem() public {
        _deposit(alice, 5 ether);
        _deposit(bob, 3 ether);
        address p1 = _proposeConsuming(2, 6 ether);
        _warpToSlot(FIRST_SLOT + 1);
        _deposit(alice, 4 ether); // not consumed by the proven chain
        address p2 = _proposeConsuming(0, 1 ether);
        _warpToEpoch(EPOCH + 1);
        uint256 available = pool.available();
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 2, submitter);

        uint256 bps = OPEN_PROVING_BPS;
        uint256 payeeFees = 6 ether * bps / 10_000 + 1 ether * bps / 10_000;
        uint256 payeeReward = PROOF_SUBMISSION_REWARD + 2 * _rewardCut(bps);
        vm.expectEmit(address(inbox));
        emit IFeeInbox.DepositsReleased(0, 2, 8 ether);
        vm.expectEmit(address(pool));
        emit IRewardPool.FeeFundsAdded(8 ether);
        vm.expectEmit(address(pool));
        emit IRewardPool.RewardCredited(submitter, payeeReward, payeeReward);
        vm.expectEmit(address(pool));
        emit IRewardPool.FeesCredited(submitter, payeeFees);
        vm.prank(submitter);
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);

        assertEq(inbox.releasedCursor(), 2, "released up to the last proven block's cursor");
        assertEq(token.balanceOf(address(inbox)), 4 ether, "the unconsumed deposit stays in the inbox");
        assertEq(pool.feeFunds(), 1 ether, "8 ether released, 7 ether of fees credited");
        assertEq(pool.owed(submitter), payeeReward + payeeFees, "payee: reward cut + fee cut");
        uint256 proposerReward = BLOCK_REWARD - _rewardCut(bps);
        uint256 owedP1 = proposerReward + 6 ether - 6 ether * bps / 10_000;
        uint256 owedP2 = proposerReward + 1 ether - 1 ether * bps / 10_000;
        if (p1 == p2) {
            assertEq(pool.owed(p1), owedP1 + owedP2, "proposer of both");
        } else {
            assertEq(pool.owed(p1), owedP1, "proposer 1");
            assertEq(pool.owed(p2), owedP2, "proposer 2");
        }
        assertEq(pool.totalOwed(), PROOF_SUBMISSION_REWARD + 2 * BLOCK_REWARD + 7 ether, "owed");
        assertEq(
            pool.available(), available - PROOF_SUBMISSION_REWARD - 2 * BLOCK_REWARD, "fees not from rewards"
        );
    }

    /// @dev A prefix proof releases the deposits consumed up to its last block only.
    function test_submitEpochProof_prefixReleasesUpToItsLastBlock() public {
        _deposit(alice, 5 ether);
        _proposeConsuming(1, 5 ether);
        _warpToSlot(FIRST_SLOT + 1);
        _deposit(bob, 3 ether);
        _proposeConsuming(1, 3 ether);
        _warpToEpoch(EPOCH + 1);

        _proveBlocks(submitter, 1);
        assertEq(inbox.releasedCursor(), 1, "block 1's cursor");
        assertEq(token.balanceOf(address(inbox)), 3 ether, "block 2's deposit still held");
        assertEq(pool.feeFunds(), 0, "block 1's fees used its deposit");
        _proveBlocks(submitter, 2);
        assertEq(inbox.releasedCursor(), 2, "block 2's cursor");
        assertEq(token.balanceOf(address(inbox)), 0, "all released");
        assertEq(pool.feeFunds(), 0, "every deposit paid as fees");
    }

    /// @dev Fees are paid from fee funds even when the reward funds are empty.
    function test_submitEpochProof_paysFeesFromAPoolWithNoRewardFunds() public {
        // A fresh suite whose pool holds no reward funds at all.
        _deploySuite();
        sequencers = new address[](0);
        _registerAndActivate(4);
        _deposit(alice, 2 ether);
        address proposer = _proposeConsuming(1, 2 ether);
        _warpToEpoch(_currentEpoch() + 1);
        assertEq(pool.available(), 0, "no reward funds");

        vm.recordLogs();
        _proveOldestEpoch(submitter);
        uint256 feeCut = 2 ether * OPEN_PROVING_BPS / 10_000;
        assertEq(pool.owed(submitter), feeCut, "payee: fee cut only");
        assertEq(pool.owed(proposer), 2 ether - feeCut, "proposer: the rest of the fees");
        assertEq(pool.feeFunds(), 0, "fee funds paid out");
        assertEq(token.balanceOf(address(pool)), pool.totalOwed(), "exactly the deposit owed");
    }

    /// Attack (issue 10, finding 4): a proposer declares four self-paid txs at 2^64 - 1 fees each, with no
    /// deposit behind them, hoping L1 pays `blockReward + totalFees` out of the reward pool and drains it. The
    /// real circuit cannot prove such a block (every fee is debited from a fee balance only consumed deposits
    /// fill); with the commitment-double verifier the proof is accepted, and L1 still refuses: the pool pays
    /// fees only from consumed deposits (none here) and reverts rather than paying reward money as fees.
    function test_submitEpochProof_attack_selfDeclaredFeesCannotDrainTheRewardPool() public {
        address attacker = _topProposer(_currentSlot());
        bytes memory data = BlockDataBuilder.build(4, 1);
        for (uint256 t; t < 4; ++t) {
            BlockDataBuilder.setWord(
                data,
                BlockDataBuilder.txWordOffset(t, 0),
                BlockDataBuilder.feeWord(attacker, type(uint64).max)
            );
        }
        IRollup.ProposeArgs memory args = _proposeArgsWithData(1, data);
        args.header.totalFees = 4 * uint256(type(uint64).max);
        _proposeAs(attacker, args);
        _warpToEpoch(EPOCH + 1);
        uint256 poolBalance = token.balanceOf(address(pool));
        uint256 available = pool.available();
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 1, attacker);

        // The first credit (the payee's fee cut) already asks for fees the pool does not hold.
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.RewardPool__FeesExceedDeposits.selector,
                0,
                args.header.totalFees * OPEN_PROVING_BPS / 10_000
            )
        );
        vm.prank(attacker);
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);

        assertEq(rollup.provenTip(), 0, "not settled");
        assertEq(token.balanceOf(address(pool)), poolBalance, "pool balance untouched");
        assertEq(pool.available(), available, "reward funds untouched");
        assertEq(pool.totalOwed(), 0, "nothing credited");
    }

    /// Attack (issue 10, finding 4): the same with a 1 wei deposit consumed, so fee funds are not empty: the
    /// declared fees still exceed them and the proof reverts with the fee funds the deposit made.
    function test_submitEpochProof_attack_feesAboveTheConsumedDepositRevert() public {
        address attacker = _topProposer(_currentSlot());
        _deposit(attacker, 1);
        uint256 fees = 4 * uint256(type(uint64).max);
        _proposeAs(attacker, _proposeArgsWithMessages(1, 1, fees, "1 wei behind 2^66 of fees"));
        _warpToEpoch(EPOCH + 1);
        uint256 available = pool.available();
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 1, attacker);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.RewardPool__FeesExceedDeposits.selector, 1, fees * OPEN_PROVING_BPS / 10_000
            )
        );
        vm.prank(attacker);
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);
        assertEq(pool.available(), available, "reward funds untouched");
        assertEq(token.balanceOf(address(inbox)), 1, "the deposit stays in the inbox");
    }
}
