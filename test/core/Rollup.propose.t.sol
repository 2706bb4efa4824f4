// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";
import {BlockDataBuilder} from "../helpers/BlockDataBuilder.sol";

/// @notice Fernet proposals: validation, replacement by a higher score, chaining, the canonical data encoding.
///         Follows `Rollup.propose.tree`.
contract RollupProposeTest is Base {
    uint256 internal constant MAX_FEES = (1 << 120) - 1;
    uint256 internal constant HEADER = 154;
    uint256 internal constant TX = 224;
    /// @dev The largest first tx word: payer (160 bits) and fee (64 bits).
    uint256 internal constant MAX_FEE_WORD = type(uint224).max;

    /// @dev First slot in which the 4 sequencers of setUp can propose (epoch 2).
    uint256 internal firstSlot;

    function setUp() public override {
        super.setUp();
        _registerAndActivate(4);
        firstSlot = _currentSlot();
    }

    /// @dev Sequencers of `slot` by score: [0] highest, [length - 1] lowest.
    function _ranked(uint256 slot) internal view returns (address[] memory ranked, uint256[] memory scores) {
        return _ranking(slot);
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
            _proposeArgsWithData(1, new bytes(MAX_DATA_BYTES + 1)),
            abi.encodeWithSelector(Errors.Rollup__DataTooLarge.selector, MAX_DATA_BYTES, MAX_DATA_BYTES + 1)
        );

        // maxDataBytes passes the size check (the encoding check rejects these zeros next)...
        _expectRevertPropose(
            proposer,
            _proposeArgsWithData(1, new bytes(MAX_DATA_BYTES)),
            abi.encodeWithSelector(Errors.Rollup__UnsupportedDataVersion.selector, 2, 0)
        );
        // ...and the largest canonical block that fits is accepted.
        uint256 txs = BlockDataBuilder.maxTxs(MAX_DATA_BYTES);
        assertEq(txs, 17, "17 transactions fit in 4096 bytes");
        _proposeAs(proposer, _proposeArgsWithData(1, BlockDataBuilder.build(txs, 7)));
        assertEq(rollup.pendingTip(), 1, "largest canonical block accepted");
    }

    // ------------------------------------------------------------------ data encoding (finding 1)

    /// @dev Canonical data with `txCount` transactions (`seed` picks the words).
    function _canonical(uint256 txCount, uint256 seed) internal pure returns (bytes memory) {
        return BlockDataBuilder.build(txCount, seed);
    }

    function _expectDataRevert(bytes memory data, bytes memory err) internal {
        _expectRevertPropose(_topProposer(firstSlot), _proposeArgsWithData(1, data), err);
    }

    function _lengthMismatch(uint256 expected, uint256 actual) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(Errors.Rollup__DataLengthMismatch.selector, expected, actual);
    }

    function _nonCanonical(uint256 offset, uint256 word) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(Errors.Rollup__NonCanonicalDataWord.selector, offset, word);
    }

    /// @dev `data` without its last `count` bytes.
    function _truncate(bytes memory data, uint256 count) internal pure returns (bytes memory out) {
        out = new bytes(data.length - count);
        for (uint256 i; i < out.length; ++i) {
            out[i] = data[i];
        }
    }

    function test_propose_acceptsCanonicalDataOfAnyTxCount() public {
        // Zero transactions (the header alone) up to two, one slot each.
        for (uint256 n; n < 3; ++n) {
            _warpToSlot(firstSlot + n);
            bytes memory data = _canonical(n, n);
            assertEq(data.length, HEADER + TX * n, "encoded length");
            _proposeAs(_topProposer(firstSlot + n), _proposeArgsWithData(n + 1, data));
            assertEq(rollup.pendingTip(), n + 1, "accepted");
        }
    }

    function test_propose_revertsWhenDataIsShorterThanTheHeader() public {
        _expectDataRevert("", _lengthMismatch(HEADER, 0));
        bytes memory data = _canonical(0, 1);
        _expectDataRevert(_truncate(data, 1), _lengthMismatch(HEADER, HEADER - 1));
    }

    function test_propose_revertsWhenDataVersionIsNotTwo() public {
        bytes memory data = _canonical(1, 1);
        data[0] = 0x01;
        _expectDataRevert(data, abi.encodeWithSelector(Errors.Rollup__UnsupportedDataVersion.selector, 2, 1));
        data[0] = 0x00;
        _expectDataRevert(data, abi.encodeWithSelector(Errors.Rollup__UnsupportedDataVersion.selector, 2, 0));
    }

    function test_propose_revertsWhenTxCountDisagreesWithLength() public {
        // One transaction published, the header claims two (and then the most a uint32 can say).
        bytes memory data = _canonical(1, 1);
        data[4] = 0x02;
        _expectDataRevert(data, _lengthMismatch(HEADER + 2 * TX, HEADER + TX));
        (data[1], data[2], data[3], data[4]) = (0xff, 0xff, 0xff, 0xff);
        _expectDataRevert(data, _lengthMismatch(HEADER + uint256(type(uint32).max) * TX, HEADER + TX));
    }

    /// Attack (issue 10, finding 1): the proposer publishes the proven data with zero bytes appended. Zeros
    /// leave every 31-byte chunk of the fingerprint unchanged (the last chunk is zero-padded anyway, extra
    /// chunks are zero), so without an L1 length check the proof of the shorter data would settle a block
    /// whose published bytes differ from the ones the circuit hashed.
    function test_propose_attack_trailingZeroBytesAppended_reverts() public {
        bytes memory data = _canonical(2, 1);
        _expectDataRevert(bytes.concat(data, new bytes(1)), _lengthMismatch(data.length, data.length + 1));
        _expectDataRevert(bytes.concat(data, new bytes(30)), _lengthMismatch(data.length, data.length + 30));
        // Even a whole all-zero (canonical) transaction does not fit unless the header counts it.
        _expectDataRevert(bytes.concat(data, new bytes(TX)), _lengthMismatch(data.length, data.length + TX));
        assertEq(rollup.pendingTip(), 0, "nothing appended");
    }

    /// Attack (issue 10, finding 1): the proposer publishes the proven data without its trailing zero bytes
    /// (its last word is zero), which the fingerprint cannot tell apart either.
    function test_propose_attack_trailingZeroBytesRemoved_reverts() public {
        bytes memory data = _canonical(2, 1);
        BlockDataBuilder.setWord(data, data.length - 32, 0);
        _expectDataRevert(_truncate(data, 1), _lengthMismatch(data.length, data.length - 1));
        _expectDataRevert(_truncate(data, 32), _lengthMismatch(data.length, data.length - 32));
        assertEq(rollup.pendingTip(), 0, "nothing appended");
        _proposeAs(_topProposer(firstSlot), _proposeArgsWithData(1, data));
        assertEq(rollup.pendingTip(), 1, "the untouched data is accepted");
    }

    /// Attack (issue 10, finding 1), fuzzed: any number of bytes appended to or removed from canonical data
    /// reverts with the header's length and the published one.
    function testFuzz_propose_attack_appendedOrRemovedBytes_revert(
        uint256 txCount,
        uint256 delta,
        bool append
    ) public {
        txCount = bound(txCount, 0, BlockDataBuilder.maxTxs(MAX_DATA_BYTES));
        bytes memory data = _canonical(txCount, txCount);
        uint256 expected = data.length;
        bytes memory tampered;
        if (append) {
            delta = bound(delta, 1, MAX_DATA_BYTES - expected);
            tampered = bytes.concat(data, new bytes(delta));
        } else {
            // Removing bytes keeps at least the header: below it the header check answers (other test).
            delta = bound(delta, 1, expected - HEADER == 0 ? 1 : expected - HEADER);
            if (expected == HEADER) {
                _expectDataRevert(_truncate(data, delta), _lengthMismatch(HEADER, HEADER - delta));
                return;
            }
            tampered = _truncate(data, delta);
        }
        _expectDataRevert(tampered, _lengthMismatch(expected, tampered.length));
    }

    function test_propose_attack_appendedOrRemovedBytes_revert_concrete() public {
        testFuzz_propose_attack_appendedOrRemovedBytes_revert(3, 224, true);
        testFuzz_propose_attack_appendedOrRemovedBytes_revert(3, 31, false);
        testFuzz_propose_attack_appendedOrRemovedBytes_revert(0, 1, false);
    }

    /// Attack (issue 10, finding 1): a tx word equal to r encodes the same field element as 0, so two byte
    /// strings would share a chunk vector's meaning; only the canonical word is accepted.
    function test_propose_attack_nonCanonicalWord_reverts() public {
        bytes memory data = _canonical(2, 1);
        // Word 3 of the second transaction.
        uint256 offset = HEADER + TX + 3 * 32;
        BlockDataBuilder.setWord(data, offset, FIELD_MODULUS);
        _expectDataRevert(data, _nonCanonical(offset, FIELD_MODULUS));
        BlockDataBuilder.setWord(data, offset, type(uint256).max);
        _expectDataRevert(data, _nonCanonical(offset, type(uint256).max));

        BlockDataBuilder.setWord(data, offset, FIELD_MODULUS - 1);
        _proposeAs(_topProposer(firstSlot), _proposeArgsWithData(1, data));
        assertEq(rollup.pendingTip(), 1, "r - 1 accepted");
    }

    /// Attack (issue 10, finding 1): a payer-and-fee word of 2^224 or more, which the circuit's 160-bit payer
    /// and 64-bit fee cannot equal.
    function test_propose_attack_feeWordAbove224Bits_reverts() public {
        bytes memory data = _canonical(2, 1);
        uint256 feeOffset = HEADER + TX;
        BlockDataBuilder.setWord(data, feeOffset, MAX_FEE_WORD + 1);
        _expectDataRevert(data, _nonCanonical(feeOffset, MAX_FEE_WORD + 1));
        // A field element is not enough for a fee.
        BlockDataBuilder.setWord(data, feeOffset, FIELD_MODULUS - 1);
        _expectDataRevert(data, _nonCanonical(feeOffset, FIELD_MODULUS - 1));

        BlockDataBuilder.setWord(data, feeOffset, MAX_FEE_WORD);
        _proposeAs(_topProposer(firstSlot), _proposeArgsWithData(1, data));
        assertEq(rollup.pendingTip(), 1, "2^224 - 1 accepted");
    }

    /// @dev Any word of any transaction: `value` is rejected at its offset iff it is out of range (payer and
    ///      fee: >= 2^224, other words: >= r).
    function testFuzz_propose_wordIsCheckedAtItsOffset(uint256 txIndex, uint256 wordIndex, uint256 value)
        public
    {
        uint256 txCount = 3;
        txIndex = bound(txIndex, 0, txCount - 1);
        wordIndex = bound(wordIndex, 0, 6);
        uint256 limit = wordIndex == 0 ? MAX_FEE_WORD + 1 : FIELD_MODULUS;
        bytes memory data = _canonical(txCount, 5);
        uint256 offset = HEADER + txIndex * TX + wordIndex * 32;
        BlockDataBuilder.setWord(data, offset, value);
        if (value >= limit) {
            _expectDataRevert(data, _nonCanonical(offset, value));
        } else {
            _proposeAs(_topProposer(firstSlot), _proposeArgsWithData(1, data));
            assertEq(rollup.pendingTip(), 1, "in-range word accepted");
        }
    }

    function test_propose_wordIsCheckedAtItsOffset_concrete() public {
        uint256 snapshot = vm.snapshotState();
        testFuzz_propose_wordIsCheckedAtItsOffset(2, 6, FIELD_MODULUS);
        testFuzz_propose_wordIsCheckedAtItsOffset(0, 0, MAX_FEE_WORD + 1);
        testFuzz_propose_wordIsCheckedAtItsOffset(1, 0, MAX_FEE_WORD);
        assertEq(rollup.pendingTip(), 1, "the last call proposed");
        vm.revertToState(snapshot);
        testFuzz_propose_wordIsCheckedAtItsOffset(1, 4, FIELD_MODULUS - 1);
        assertEq(rollup.pendingTip(), 1, "r - 1 in word 4 accepted");
    }

    function test_propose_firstBadWordIsReported() public {
        bytes memory data = _canonical(2, 1);
        BlockDataBuilder.setWord(data, HEADER + TX + 32, FIELD_MODULUS + 1);
        BlockDataBuilder.setWord(data, HEADER + 2 * 32, FIELD_MODULUS + 2);
        _expectDataRevert(data, _nonCanonical(HEADER + 2 * 32, FIELD_MODULUS + 2));
    }

    function test_propose_dataChecksRunInOrder() public {
        // Too large beats everything else.
        bytes memory data = new bytes(MAX_DATA_BYTES + 1);
        data[0] = 0x07;
        _expectDataRevert(
            data,
            abi.encodeWithSelector(Errors.Rollup__DataTooLarge.selector, MAX_DATA_BYTES, MAX_DATA_BYTES + 1)
        );
        // Shorter than the header beats a wrong version.
        data = new bytes(HEADER - 1);
        data[0] = 0x07;
        _expectDataRevert(data, _lengthMismatch(HEADER, HEADER - 1));
        // A wrong version beats a wrong length.
        data = bytes.concat(_canonical(1, 1), new bytes(3));
        data[0] = 0x07;
        _expectDataRevert(data, abi.encodeWithSelector(Errors.Rollup__UnsupportedDataVersion.selector, 2, 7));
        // A wrong length beats a non-canonical word.
        data = bytes.concat(_canonical(1, 1), new bytes(3));
        BlockDataBuilder.setWord(data, HEADER, type(uint256).max);
        _expectDataRevert(data, _lengthMismatch(HEADER + TX, HEADER + TX + 3));
    }
}
