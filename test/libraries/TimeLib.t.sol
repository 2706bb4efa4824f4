// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Epoch, Slot, TimeLib} from "../../contracts/libraries/TimeLib.sol";
import {Test} from "forge-std/Test.sol";

/// @notice TimeLib conversions and the Slot/Epoch operators.
contract TimeLibTest is Test {
    uint256 internal constant GENESIS = 1_000_000;
    uint256 internal constant SLOT_SECONDS = 12;
    uint256 internal constant EPOCH_SLOTS = 4;

    function _slotAt(uint256 ts) internal pure returns (uint256) {
        return Slot.unwrap(TimeLib.slotAt(ts, GENESIS, SLOT_SECONDS));
    }

    // ------------------------------------------------------------------ slotAt

    function test_slotAt_boundaries() public pure {
        assertEq(_slotAt(0), 0, "far before genesis");
        assertEq(_slotAt(GENESIS - 1), 0, "just before genesis");
        assertEq(_slotAt(GENESIS), 0, "genesis");
        assertEq(_slotAt(GENESIS + 11), 0, "last second of slot 0");
        assertEq(_slotAt(GENESIS + 12), 1, "first second of slot 1");
        assertEq(_slotAt(GENESIS + 12 * 1000 - 1), 999, "last second of slot 999");
    }

    function testFuzz_slotAt_beforeGenesisIsSlotZero(uint256 ts) public pure {
        ts = bound(ts, 0, GENESIS - 1);
        assertEq(_slotAt(ts), 0);
    }

    function testFuzz_slotAt_isFloorDivisionOfElapsedTime(
        uint256 genesis,
        uint256 slotSeconds,
        uint256 elapsed
    ) public pure {
        genesis = bound(genesis, 0, type(uint64).max);
        slotSeconds = bound(slotSeconds, 1, 1 days);
        elapsed = bound(elapsed, 0, type(uint64).max);
        uint256 slot = Slot.unwrap(TimeLib.slotAt(genesis + elapsed, genesis, slotSeconds));
        assertEq(slot, elapsed / slotSeconds, "floor division");
        // The slot's start is at or before the timestamp, the next slot's start after it.
        assertLe(TimeLib.slotStart(Slot.wrap(slot), genesis, slotSeconds), genesis + elapsed, "start <= ts");
        assertGt(TimeLib.slotStart(Slot.wrap(slot + 1), genesis, slotSeconds), genesis + elapsed, "next > ts");
    }

    // ------------------------------------------------------------------ epochs

    function test_epochOf_andFirstSlot_boundaries() public pure {
        assertEq(Epoch.unwrap(TimeLib.epochOf(Slot.wrap(0), EPOCH_SLOTS)), 0, "slot 0");
        assertEq(Epoch.unwrap(TimeLib.epochOf(Slot.wrap(3), EPOCH_SLOTS)), 0, "last slot of epoch 0");
        assertEq(Epoch.unwrap(TimeLib.epochOf(Slot.wrap(4), EPOCH_SLOTS)), 1, "first slot of epoch 1");
        assertEq(Slot.unwrap(TimeLib.firstSlot(Epoch.wrap(0), EPOCH_SLOTS)), 0, "first slot of epoch 0");
        assertEq(Slot.unwrap(TimeLib.firstSlot(Epoch.wrap(7), EPOCH_SLOTS)), 28, "first slot of epoch 7");
        assertEq(Epoch.unwrap(TimeLib.epochOf(Slot.wrap(5), 1)), 5, "epoch length 1: epoch == slot");
    }

    function testFuzz_epochOf_firstSlotRoundTrip(uint256 slot, uint256 epochSlots) public pure {
        slot = bound(slot, 0, type(uint128).max);
        epochSlots = bound(epochSlots, 1, 1024);
        Epoch epoch = TimeLib.epochOf(Slot.wrap(slot), epochSlots);
        uint256 first = Slot.unwrap(TimeLib.firstSlot(epoch, epochSlots));
        assertLe(first, slot, "first slot <= slot");
        assertLt(slot - first, epochSlots, "slot inside its epoch");
        assertEq(
            Epoch.unwrap(TimeLib.epochOf(Slot.wrap(first), epochSlots)), Epoch.unwrap(epoch), "round trip"
        );
    }

    // ------------------------------------------------------------------ slotStart

    function test_slotStart_values() public pure {
        assertEq(TimeLib.slotStart(Slot.wrap(0), GENESIS, SLOT_SECONDS), GENESIS, "slot 0 starts at genesis");
        assertEq(TimeLib.slotStart(Slot.wrap(10), GENESIS, SLOT_SECONDS), GENESIS + 120, "slot 10");
        assertEq(_slotAt(TimeLib.slotStart(Slot.wrap(10), GENESIS, SLOT_SECONDS)), 10, "inverse of slotAt");
    }

    function testFuzz_slotStart_isInverseOfSlotAt(uint256 slot, uint256 slotSeconds) public pure {
        slot = bound(slot, 0, type(uint64).max);
        slotSeconds = bound(slotSeconds, 1, 1 days);
        uint256 start = TimeLib.slotStart(Slot.wrap(slot), GENESIS, slotSeconds);
        assertEq(Slot.unwrap(TimeLib.slotAt(start, GENESIS, slotSeconds)), slot, "start belongs to the slot");
        assertEq(
            Slot.unwrap(TimeLib.slotAt(start + slotSeconds - 1, GENESIS, slotSeconds)), slot, "last second"
        );
    }

    // ------------------------------------------------------------------ plus and operators

    function test_plus_addsToSlotsAndEpochs() public pure {
        assertEq(Slot.unwrap(TimeLib.plus(Slot.wrap(5), 3)), 8, "slot plus");
        assertEq(Epoch.unwrap(TimeLib.plus(Epoch.wrap(5), 0)), 5, "epoch plus zero");
        assertEq(Epoch.unwrap(TimeLib.plus(Epoch.wrap(5), 2)), 7, "epoch plus");
    }

    function _assertOperators(uint256 a, uint256 b) internal pure {
        Slot sa = Slot.wrap(a);
        Slot sb = Slot.wrap(b);
        Epoch ea = Epoch.wrap(a);
        Epoch eb = Epoch.wrap(b);
        assertEq(sa == sb, a == b, "slot ==");
        assertEq(sa != sb, a != b, "slot !=");
        assertEq(sa < sb, a < b, "slot <");
        assertEq(sa <= sb, a <= b, "slot <=");
        assertEq(sa > sb, a > b, "slot >");
        assertEq(sa >= sb, a >= b, "slot >=");
        assertEq(ea == eb, a == b, "epoch ==");
        assertEq(ea != eb, a != b, "epoch !=");
        assertEq(ea < eb, a < b, "epoch <");
        assertEq(ea <= eb, a <= b, "epoch <=");
        assertEq(ea > eb, a > b, "epoch >");
        assertEq(ea >= eb, a >= b, "epoch >=");
    }

    function testFuzz_operators_matchUnderlyingIntegers(uint256 a, uint256 b) public pure {
        _assertOperators(a, b);
    }

    function test_operators_matchUnderlyingIntegers() public pure {
        _assertOperators(3, 3);
        _assertOperators(2, 3);
        _assertOperators(3, 2);
        _assertOperators(0, type(uint256).max);
    }
}
