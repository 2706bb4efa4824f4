// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";

/// @notice Fernet proposals: validation, replacement by a higher score, chaining. Follows `Rollup.propose.tree`.
contract RollupProposeTest is Base {
    uint256 internal constant MAX_FEES = (1 << 120) - 1;

    /// @dev First slot in which the 4 sequencers of setUp can propose (epoch 2).
    uint256 internal firstSlot;

    function setUp() public override {
        super.setUp();
        _registerAndActivate(4);
        firstSlot = _currentSlot();
    }

    /// @dev Sequencers of `slot` by score: [0] highest, [length - 1] lowest.
    function _ranked(uint256 slot) internal view returns (address[] memory ranked, uint256[] memory scores) {
        return rollup.rankingForSlot(Slot.wrap(slot));
    }

    function _expectRevertPropose(address proposer, IRollup.ProposeArgs memory args, bytes memory err)
        internal
    {
        vm.expectRevert(err);
        vm.prank(proposer);
        rollup.propose(args);
    }

    // ------------------------------------------------------------------ happy path

    function test_propose_appendsBlockAndEmitsBlockProposed() public {
        address proposer = _topProposer(firstSlot);
        IRollup.ProposeArgs memory args = _proposeArgs("some transaction effects");
        (uint256[] memory inputs, bytes32 commitment) = rollup.publicInputsOf(args);

        vm.expectEmit(address(rollup));
        emit IRollup.BlockProposed(
            1,
            Slot.wrap(firstSlot),
            proposer,
            args.header.newStateRoot,
            args.header.dataHash,
            inputs[4],
            inputs[5],
            false
        );
        vm.prank(proposer);
        rollup.propose(args);

        assertEq(rollup.pendingTip(), 1, "pending tip");
        assertEq(rollup.provenTip(), 0, "proven tip");
        IRollup.BlockLog memory log = rollup.blockLog(1);
        assertEq(log.stateRoot, args.header.newStateRoot, "state root");
        assertEq(log.publicInputsHash, commitment, "commitment");
        assertEq(log.proposer, proposer, "proposer");
        assertEq(log.slot, firstSlot, "slot");
        assertFalse(log.backup, "not a backup block");
        assertEq(inputs[0], uint256(GENESIS_STATE_ROOT), "input 0 is the parent root");
        assertEq(inputs[2], 1 | (firstSlot << 64) | (args.header.totalFees << 128), "globals");
        IRollup.EpochLog memory epochLog = rollup.epochLog(Epoch.wrap(firstSlot / EPOCH_DURATION));
        assertEq(epochLog.firstBlock, 1, "epoch first block");
        assertEq(epochLog.blockCount, 1, "epoch block count");

        // The next slot extends the epoch log.
        _warpToSlot(firstSlot + 1);
        _proposeTop();
        epochLog = rollup.epochLog(Epoch.wrap(firstSlot / EPOCH_DURATION));
        assertEq(epochLog.firstBlock, 1, "epoch first block after 2 blocks");
        assertEq(epochLog.blockCount, 2, "epoch block count after 2 blocks");
        assertEq(rollup.pendingTip(), 2, "pending tip after 2 blocks");
    }

    // ------------------------------------------------------------------ slot, window, eligibility

    function test_propose_revertsWhenHeaderIsForAnotherSlot() public {
        IRollup.ProposeArgs memory args = _proposeArgs("x");
        args.header.slot = Slot.wrap(firstSlot + 1);
        _expectRevertPropose(
            _topProposer(firstSlot),
            args,
            abi.encodeWithSelector(Errors.Rollup__InvalidSlot.selector, firstSlot, firstSlot + 1)
        );
    }

    function test_propose_revertsWhenProposalWindowClosed() public {
        uint256 windowEnd = _slotStart(firstSlot) + PROPOSAL_WINDOW;
        address proposer = _topProposer(firstSlot);
        IRollup.ProposeArgs memory args = _proposeArgs("x");

        vm.warp(windowEnd);
        _expectRevertPropose(
            proposer,
            args,
            abi.encodeWithSelector(
                Errors.Rollup__ProposalWindowClosed.selector, firstSlot, windowEnd, windowEnd
            )
        );

        // One second earlier the window is still open.
        vm.warp(windowEnd - 1);
        _proposeAs(proposer, args);
        assertEq(rollup.pendingTip(), 1, "accepted in the window's last second");
    }

    function test_propose_revertsWhenProposerNeverRegistered() public {
        address outsider = makeAddr("outsider");
        _expectRevertPropose(
            outsider,
            _proposeArgs("x"),
            abi.encodeWithSelector(
                Errors.Rollup__ProposerNotEligible.selector, outsider, firstSlot / EPOCH_DURATION
            )
        );
    }

    function test_propose_revertsWhenProposerIsNotYetActive() public {
        address newcomer = _registerSequencer("newcomer");
        uint256 activation = staking.stakerInfo(newcomer).activationEpoch;
        assertGt(activation, _currentEpoch(), "activates later");
        _expectRevertPropose(
            newcomer,
            _proposeArgs("x"),
            abi.encodeWithSelector(Errors.Rollup__ProposerNotEligible.selector, newcomer, _currentEpoch())
        );

        // From its activation epoch on it can propose.
        _warpToEpoch(activation);
        _proposeAs(newcomer, _proposeArgs("y"));
        assertEq(rollup.blockLog(1).proposer, newcomer, "proposes once active");
    }

    function test_propose_revertsWhenProposerIsExiting() public {
        address leaver = _topProposer(firstSlot);
        vm.prank(leaver);
        staking.exit();
        assertTrue(staking.isMember(leaver, Epoch.wrap(_currentEpoch())), "still in the snapshotted set");

        _expectRevertPropose(
            leaver,
            _proposeArgs("x"),
            abi.encodeWithSelector(Errors.Rollup__ProposerNotEligible.selector, leaver, _currentEpoch())
        );
    }

    // ------------------------------------------------------------------ replacement

    function test_propose_revertsWhenLowerScoreTriesToReplace() public {
        (address[] memory ranked, uint256[] memory scores) = _ranked(firstSlot);
        address top = ranked[0];
        address low = ranked[ranked.length - 1];
        _proposeAs(top, _proposeArgs("top"));

        _expectRevertPropose(
            low,
            _proposeArgsAt(1, "low"),
            abi.encodeWithSelector(
                Errors.Rollup__ScoreTooLow.selector, firstSlot, scores[0], scores[ranked.length - 1]
            )
        );
        assertEq(rollup.blockLog(1).proposer, top, "top block kept");
    }

    function test_propose_revertsWhenSameProposerProposesTwiceInSlot() public {
        address proposer = sequencers[0];
        uint256 score = rollup.scoreOf(Slot.wrap(firstSlot), proposer);
        _proposeAs(proposer, _proposeArgs("first"));

        _expectRevertPropose(
            proposer,
            _proposeArgsAt(1, "second"),
            abi.encodeWithSelector(Errors.Rollup__ScoreTooLow.selector, firstSlot, score, score)
        );
    }

    function test_propose_higherScoreReplacesTheSlotsBlock() public {
        (address[] memory ranked,) = _ranked(firstSlot);
        address low = ranked[ranked.length - 1];
        address top = ranked[0];
        IRollup.ProposeArgs memory lowArgs = _proposeArgs("low");
        _proposeAs(low, lowArgs);

        IRollup.ProposeArgs memory topArgs = _proposeArgsAt(1, "top");
        (uint256[] memory inputs, bytes32 commitment) = rollup.publicInputsOf(topArgs);
        vm.expectEmit(address(rollup));
        emit IRollup.BlockReplaced(1, Slot.wrap(firstSlot), low, top);
        vm.expectEmit(address(rollup));
        emit IRollup.BlockProposed(
            1,
            Slot.wrap(firstSlot),
            top,
            topArgs.header.newStateRoot,
            topArgs.header.dataHash,
            inputs[4],
            inputs[5],
            false
        );
        vm.prank(top);
        rollup.propose(topArgs);

        assertEq(rollup.pendingTip(), 1, "same block number");
        IRollup.BlockLog memory log = rollup.blockLog(1);
        assertEq(log.proposer, top, "proposer replaced");
        assertEq(log.stateRoot, topArgs.header.newStateRoot, "state root replaced");
        assertEq(log.publicInputsHash, commitment, "commitment replaced");
        assertTrue(log.stateRoot != lowArgs.header.newStateRoot, "roots differ");
        IRollup.EpochLog memory epochLog = rollup.epochLog(Epoch.wrap(_currentEpoch()));
        assertEq(epochLog.firstBlock, 1, "epoch first block");
        assertEq(epochLog.blockCount, 1, "block count unchanged");
    }

    function test_propose_nextSlotBuildsOnTheReplacement() public {
        (address[] memory ranked,) = _ranked(firstSlot);
        IRollup.ProposeArgs memory lowArgs = _proposeArgs("low");
        _proposeAs(ranked[ranked.length - 1], lowArgs);
        IRollup.ProposeArgs memory topArgs = _proposeArgsAt(1, "top");
        _proposeAs(ranked[0], topArgs);

        _warpToSlot(firstSlot + 1);
        address next = _topProposer(firstSlot + 1);
        IRollup.ProposeArgs memory onReplaced = _proposeArgs("next");
        onReplaced.header.prevStateRoot = lowArgs.header.newStateRoot;
        _expectRevertPropose(
            next,
            onReplaced,
            abi.encodeWithSelector(
                Errors.Rollup__InvalidParent.selector,
                topArgs.header.newStateRoot,
                lowArgs.header.newStateRoot
            )
        );

        IRollup.ProposeArgs memory onReplacement = _proposeArgs("next");
        assertEq(onReplacement.header.prevStateRoot, topArgs.header.newStateRoot, "parent is the replacement");
        _proposeAs(next, onReplacement);
        assertEq(rollup.pendingTip(), 2, "block 2 on the replacement");
    }

    function test_propose_revertsWhenSecondBlockInSameSlot() public {
        (address[] memory ranked,) = _ranked(firstSlot);
        _proposeAs(ranked[ranked.length - 1], _proposeArgs("low"));

        // Even a higher score cannot add a block on top of the slot's block: it may only replace it.
        _expectRevertPropose(
            ranked[0],
            _proposeArgsAt(2, "second block"),
            abi.encodeWithSelector(Errors.Rollup__InvalidBlockNumber.selector, 1, 2)
        );
        assertEq(rollup.pendingTip(), 1, "one block in the slot");
    }

    /// @dev Replacement succeeds iff the second proposer scores strictly higher than the first.
    function testFuzz_propose_replacementSucceedsIffScoreIsHigher(
        uint256 firstIndex,
        uint256 secondIndex,
        uint256 slotOffset
    ) public {
        address first = sequencers[bound(firstIndex, 0, sequencers.length - 1)];
        address second = sequencers[bound(secondIndex, 0, sequencers.length - 1)];
        uint256 slot = firstSlot + bound(slotOffset, 0, 2 * EPOCH_DURATION - 1);
        _warpToSlot(slot);
        _proposeAs(first, _proposeArgs("first"));

        uint256 currentScore = rollup.scoreOf(Slot.wrap(slot), first);
        uint256 proposedScore = rollup.scoreOf(Slot.wrap(slot), second);
        IRollup.ProposeArgs memory args = _proposeArgsAt(1, "second");
        bool higher = proposedScore > currentScore;
        if (higher) {
            vm.expectEmit(address(rollup));
            emit IRollup.BlockReplaced(1, Slot.wrap(slot), first, second);
        } else {
            vm.expectRevert(
                abi.encodeWithSelector(Errors.Rollup__ScoreTooLow.selector, slot, currentScore, proposedScore)
            );
        }
        vm.prank(second);
        rollup.propose(args);

        assertEq(rollup.blockLog(1).proposer, higher ? second : first, "winner");
        assertEq(rollup.pendingTip(), 1, "one block");
    }

    function test_propose_replacementSucceedsIffScoreIsHigher_concretePairs() public {
        // Both orders of one pair: exactly one of them is a successful replacement.
        uint256 snapshot = vm.snapshotState();
        testFuzz_propose_replacementSucceedsIffScoreIsHigher(0, 1, 0);
        address winnerA = rollup.blockLog(1).proposer;
        vm.revertToState(snapshot);
        testFuzz_propose_replacementSucceedsIffScoreIsHigher(1, 0, 0);
        address winnerB = rollup.blockLog(1).proposer;
        assertEq(winnerA, winnerB, "the higher score wins whatever the order");
        // The same proposer twice never replaces itself.
        vm.revertToState(snapshot);
        testFuzz_propose_replacementSucceedsIffScoreIsHigher(2, 2, 5);
        assertEq(rollup.blockLog(1).proposer, sequencers[2], "equal score keeps the block");
    }

    // ------------------------------------------------------------------ header checks

    function test_propose_revertsWhenBlockNumberSkipsAhead() public {
        _expectRevertPropose(
            _topProposer(firstSlot),
            _proposeArgsAt(2, "x"),
            abi.encodeWithSelector(Errors.Rollup__InvalidBlockNumber.selector, 1, 2)
        );
    }

    function test_propose_revertsWhenParentRootIsWrong() public {
        IRollup.ProposeArgs memory args = _proposeArgs("x");
        args.header.prevStateRoot = bytes32(uint256(0xbad));
        _expectRevertPropose(
            _topProposer(firstSlot),
            args,
            abi.encodeWithSelector(
                Errors.Rollup__InvalidParent.selector, GENESIS_STATE_ROOT, bytes32(uint256(0xbad))
            )
        );
    }

    function test_propose_revertsWhenStateRootOrDataHashIsNotAFieldElement() public {
        address proposer = _topProposer(firstSlot);
        IRollup.ProposeArgs memory args = _proposeArgs("x");
        args.header.newStateRoot = bytes32(FIELD_MODULUS);
        _expectRevertPropose(
            proposer, args, abi.encodeWithSelector(Errors.Rollup__NotAFieldElement.selector, FIELD_MODULUS)
        );

        args = _proposeArgs("x");
        args.header.dataHash = type(uint256).max;
        _expectRevertPropose(
            proposer,
            args,
            abi.encodeWithSelector(Errors.Rollup__NotAFieldElement.selector, type(uint256).max)
        );

        // r - 1 is the largest element accepted for both.
        args = _proposeArgs("x");
        args.header.newStateRoot = bytes32(FIELD_MODULUS - 1);
        args.header.dataHash = FIELD_MODULUS - 1;
        _proposeAs(proposer, args);
        assertEq(rollup.blockLog(1).stateRoot, bytes32(FIELD_MODULUS - 1), "r - 1 accepted");
    }

    function test_propose_revertsWhenFeesExceed120Bits() public {
        address proposer = _topProposer(firstSlot);
        IRollup.ProposeArgs memory args = _proposeArgs("x");
        args.header.totalFees = MAX_FEES + 1;
        _expectRevertPropose(
            proposer,
            args,
            abi.encodeWithSelector(Errors.Rollup__FeesTooLarge.selector, MAX_FEES, MAX_FEES + 1)
        );

        args.header.totalFees = MAX_FEES;
        _proposeAs(proposer, args);
        assertEq(inputsOf[1][2] >> 128, MAX_FEES, "2^120 - 1 accepted and bound in the globals");
    }

    function test_propose_revertsWhenDataTooLarge() public {
        address proposer = _topProposer(firstSlot);
        _expectRevertPropose(
            proposer,
            _proposeArgs(new bytes(MAX_DATA_BYTES + 1)),
            abi.encodeWithSelector(Errors.Rollup__DataTooLarge.selector, MAX_DATA_BYTES, MAX_DATA_BYTES + 1)
        );

        _proposeAs(proposer, _proposeArgs(new bytes(MAX_DATA_BYTES)));
        assertEq(rollup.pendingTip(), 1, "maxDataBytes accepted");
    }
}
