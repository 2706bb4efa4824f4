// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IStaking} from "../../contracts/interfaces/IStaking.sol";
import {Epoch} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";

/// @notice Tests of `Staking.memberCount(epoch)` and `Staking.checkpointMemberCount()`: the count kept from the
///         per-epoch joins and leaves (registrations, voluntary and forced exits, the exit churn, exits before
///         activation) always equals a full scan of the set (`membersAt` over every registration index), for
///         past, current and future epochs, on either side of the cursor that `checkpointMemberCount` moves;
///         the cursor's event and return value; and the counts of snapshotted epochs (<= current + lag) never
///         change. The branches follow the `memberCount / checkpointMemberCount` tree in `Staking.tree`.
contract StakingMemberCountTest is Base {
    uint256 internal constant EPOCH_SECONDS = SLOT_DURATION * EPOCH_DURATION;
    /// @dev Epochs past `current + LAG` compared with the scan (future epochs, walked forward from the cursor).
    uint256 internal constant AHEAD = 3;
    /// @dev Most steps of the random action sequence.
    uint256 internal constant MAX_STEPS = 12;
    /// @dev A seed whose 12-step sequence registers, exits, slashes, warps and moves the cursor.
    uint256 internal constant SEED = 2;

    address internal recipient = makeAddr("recipient");

    // ------------------------------------------------------------------ helpers

    function _current() internal view returns (uint256) {
        return Epoch.unwrap(staking.currentEpoch());
    }

    function _count(uint256 epoch) internal view returns (uint256) {
        return staking.memberCount(Epoch.wrap(epoch));
    }

    /// @dev The reference: the size of `epoch`'s member set, from one page over every registration index.
    function _scan(uint256 epoch) internal view returns (uint256) {
        (address[] memory members, uint256 next) = staking.membersAt(Epoch.wrap(epoch), 0, type(uint256).max);
        assertEq(next, staking.stakerCount(), "one page scans every staker");
        return members.length;
    }

    function _epochStart(uint256 epoch) internal view returns (uint256) {
        return genesisTime + epoch * EPOCH_SECONDS;
    }

    /// @dev Registers a fresh staker named `name` with `amount`; returns it and its activation epoch.
    function _register(string memory name, uint256 amount)
        internal
        returns (address who, uint256 activation)
    {
        who = makeAddr(name);
        _fund(who, address(staking), amount);
        vm.prank(who);
        activation = Epoch.unwrap(staking.register(amount));
    }

    /// @dev Registers a fresh staker with the minimum stake through the fixture; returns its activation epoch.
    function _join(string memory name) internal returns (address who, uint256 activation) {
        who = _registerSequencer(name);
        activation = staking.stakerInfo(who).activationEpoch;
    }

    function _exit(address who) internal returns (uint256 exitEpoch) {
        vm.prank(who);
        exitEpoch = Epoch.unwrap(staking.exit());
    }

    function _slash(address who, uint256 amount) internal returns (uint256 slashed) {
        vm.prank(address(rollup));
        slashed = staking.slash(who, amount, recipient);
    }

    /// @dev Asserts that `epoch` has `expected` members, both by the count and by the scan.
    function _assertCount(uint256 epoch, uint256 expected) internal view {
        string memory at = string.concat("epoch ", vm.toString(epoch));
        assertEq(_scan(epoch), expected, string.concat("scan of ", at));
        assertEq(_count(epoch), expected, string.concat("memberCount of ", at));
    }

    /// @dev Asserts memberCount(e) == scan(e) for every epoch e in [0, upTo].
    function _assertMatchesScan(uint256 upTo) internal view {
        for (uint256 e; e <= upTo; ++e) {
            assertEq(_count(e), _scan(e), string.concat("memberCount == scan at epoch ", vm.toString(e)));
        }
    }

    /// @dev `_assertMatchesScan` over the past, the current epoch, the snapshotted epochs and `AHEAD` more.
    function _assertMatchesScanAround() internal view {
        _assertMatchesScan(_current() + LAG + AHEAD);
    }

    /// @dev The counts of epochs [0, upTo].
    function _counts(uint256 upTo) internal view returns (uint256[] memory counts) {
        counts = new uint256[](upTo + 1);
        for (uint256 e; e <= upTo; ++e) {
            counts[e] = _count(e);
        }
    }

    /// @dev `caller` calls checkpointMemberCount, expecting the cursor to move to the current epoch with
    ///      `expected` members.
    function _checkpointExpectingMove(address caller, uint256 expected) internal {
        Epoch current = staking.currentEpoch();
        vm.expectEmit(address(staking));
        emit IStaking.MemberCountCheckpointed(current, expected);
        vm.prank(caller);
        assertEq(staking.checkpointMemberCount(), expected, "checkpoint returns the current count");
    }

    function _checkpointExpectingMove(uint256 expected) internal {
        _checkpointExpectingMove(address(this), expected);
    }

    /// @dev `caller` calls checkpointMemberCount, expecting the cursor to stay (no log at all) and `expected`.
    function _checkpointExpectingNoMove(address caller, uint256 expected) internal {
        vm.recordLogs();
        vm.prank(caller);
        assertEq(staking.checkpointMemberCount(), expected, "checkpoint returns the current count");
        assertEq(vm.getRecordedLogs().length, 0, "the cursor did not move: no event");
    }

    function _checkpointExpectingNoMove(uint256 expected) internal {
        _checkpointExpectingNoMove(address(this), expected);
    }

    /// @dev A history over epochs 0..4 (counts: 0, 0, 2, 3, 3, 3, 2, 2, ...):
    ///      alice and bob join at 2, carol at 3 (entry period binds), dave at 5; alice leaves at 5, bob at 6.
    function _buildHistory() internal returns (address alice, address bob, address carol, address dave) {
        uint256 activation;
        (alice, activation) = _join("alice");
        assertEq(activation, 2, "alice activation");
        (bob, activation) = _join("bob");
        assertEq(activation, 2, "bob activation");
        vm.warp(genesisTime + 40);
        (carol, activation) = _join("carol");
        assertEq(activation, 3, "carol activation");
        _warpToEpoch(3);
        (dave, activation) = _join("dave");
        assertEq(activation, 5, "dave activation");
        assertEq(_exit(alice), 5, "alice exit epoch");
        _warpToEpoch(4);
        assertEq(_exit(bob), 6, "bob exit epoch");
    }

    /// @dev The member counts `_buildHistory` leads to, for any epoch.
    function _historyCount(uint256 epoch) internal pure returns (uint256) {
        if (epoch < 2) return 0;
        if (epoch == 2) return 2;
        if (epoch < 6) return 3;
        return 2;
    }

    // ------------------------------------------------------------------ no stakers

    function test_memberCount_zeroWithoutStakers() public {
        for (uint256 e; e <= 10; ++e) {
            _assertCount(e, 0);
        }
        // The cursor starts at epoch 0: nothing to move there.
        _checkpointExpectingNoMove(0);

        _warpToEpoch(5);
        _checkpointExpectingMove(0);
        _checkpointExpectingNoMove(0);
        for (uint256 e; e <= 10; ++e) {
            _assertCount(e, 0);
        }
        assertEq(_count(1000), 0, "far future epoch");
        assertEq(staking.stakerCount(), 0, "still nobody registered");
    }

    // ------------------------------------------------------------------ registrations

    function test_memberCount_followsRegistrationsInDifferentEpochs() public {
        (, uint256 activation) = _join("alice");
        assertEq(activation, 2, "alice: current + lag + 1");
        // Before activation, at activation and later, seen from epoch 0.
        _assertCount(0, 0);
        _assertCount(1, 0);
        _assertCount(2, 1);
        _assertCount(7, 1);
        _assertMatchesScanAround();

        vm.warp(genesisTime + 40);
        (, activation) = _join("bob");
        assertEq(activation, 3, "bob: the entry period binds");
        _assertCount(2, 1);
        _assertCount(3, 2);
        _assertMatchesScanAround();

        _warpToEpoch(3);
        (, activation) = _join("carol");
        assertEq(activation, 5, "carol: current + lag + 1");
        _assertCount(3, 2);
        _assertCount(4, 2);
        _assertCount(5, 3);
        _assertMatchesScanAround();

        vm.warp(_epochStart(6) + 40);
        (, activation) = _join("dave");
        assertEq(activation, 9, "dave: the entry period binds");
        _assertCount(6, 3);
        _assertCount(8, 3);
        _assertCount(9, 4);
        _assertCount(20, 4);
        _assertMatchesScanAround();

        // Two stakers activating in the same epoch are both counted there.
        (, activation) = _join("erin");
        assertEq(activation, 9, "erin joins with dave");
        _assertCount(8, 3);
        _assertCount(9, 5);
        _assertMatchesScanAround();
    }

    /// @dev `n` registrations spread over time, each `gap` seconds after the previous one.
    function testFuzz_memberCount_registrationsMatchScan(uint256 n, uint256 gap) public {
        n = bound(n, 1, 8);
        gap = bound(gap, 0, 3 * EPOCH_SECONDS);
        uint256 lastActivation;
        for (uint256 i; i < n; ++i) {
            if (i > 0) vm.warp(block.timestamp + gap);
            (, lastActivation) = _join(string.concat("staker-", vm.toString(i)));
            _assertMatchesScanAround();
        }
        _assertCount(lastActivation, n);
        _assertCount(lastActivation + 10, n);
    }

    function test_memberCount_registrationsMatchScan_concrete() public {
        testFuzz_memberCount_registrationsMatchScan(5, 40);
    }

    // ------------------------------------------------------------------ exits

    function test_memberCount_exitLeavesAtQueuedExitEpoch() public {
        (address alice,) = _join("alice");
        _join("bob");
        _warpToEpoch(3);
        assertEq(_exit(alice), 5, "exit epoch = current + lag + 1");

        _assertCount(3, 2);
        _assertCount(4, 2);
        _assertCount(5, 1);
        _assertCount(9, 1);
        _assertMatchesScanAround();

        // Withdrawing after the delay changes no count.
        uint256[] memory before = _counts(12);
        vm.warp(staking.stakerInfo(alice).withdrawableAt);
        vm.prank(alice);
        staking.withdraw(alice);
        assertEq(_counts(12), before, "withdrawal changes no count");
        _assertMatchesScanAround();
    }

    function test_memberCount_exitChurnPushesLeavesToLaterEpochs() public {
        address[] memory stakers = new address[](6);
        for (uint256 i; i < stakers.length; ++i) {
            (stakers[i],) = _join(string.concat("staker-", vm.toString(i)));
        }
        _warpToEpoch(3);
        // EXIT_CHURN = 2: five exits in epoch 3 land in epochs 5, 5, 6, 6, 7.
        uint256[5] memory expectedExit = [uint256(5), 5, 6, 6, 7];
        for (uint256 i; i < 5; ++i) {
            assertEq(_exit(stakers[i]), expectedExit[i], "queued exit epoch");
            _assertMatchesScanAround();
        }
        _assertCount(4, 6);
        _assertCount(5, 4);
        _assertCount(6, 2);
        _assertCount(7, 1);
        _assertMatchesScan(12);

        // The last queue epoch still has room: a later exit joins it.
        _warpToEpoch(4);
        assertEq(_exit(stakers[5]), 7, "fills the last queue epoch");
        _assertCount(6, 2);
        _assertCount(7, 0);
        _assertCount(12, 0);
        _assertMatchesScan(12);
    }

    function test_memberCount_exitQueueRestartingAtSnapshotBound() public {
        (address alice,) = _join("alice");
        (address bob,) = _join("bob");
        (address carol,) = _join("carol");
        _warpToEpoch(3);
        assertEq(_exit(alice), 5, "first exit");
        _warpToEpoch(10);
        assertEq(_exit(bob), 12, "the drained queue restarts at the snapshot bound");
        assertEq(_exit(carol), 12, "second exit of the same queue epoch");
        _assertCount(4, 3);
        _assertCount(5, 2);
        _assertCount(11, 2);
        _assertCount(12, 0);
        _assertMatchesScanAround();
    }

    function test_memberCount_exitBeforeActivationIsNeverCounted() public {
        (address early0,) = _join("early-0");
        (address early1,) = _join("early-1");
        _warpToEpoch(3);
        (address late, uint256 activation) = _join("late");
        assertEq(activation, 5, "activation");
        _assertCount(5, 3);

        assertEq(_exit(late), 5, "leaves where it would have joined");
        _assertCount(4, 2);
        _assertCount(5, 2);
        _assertCount(8, 2);
        _assertMatchesScanAround();

        // The churn is untouched: both early stakers still leave at epoch 5.
        assertEq(_exit(early0), 5, "first member exit");
        assertEq(_exit(early1), 5, "second member exit");
        _assertCount(4, 2);
        _assertCount(5, 0);
        _assertMatchesScanAround();
    }

    /// @dev An exit before activation when the entry period (not the lag) sets the activation epoch.
    function test_memberCount_exitBeforeEntryBoundActivationIsNeverCounted() public {
        _join("member");
        vm.warp(_epochStart(3) + 40);
        (address late, uint256 activation) = _join("late");
        assertEq(activation, 6, "entry period binds");
        _warpToEpoch(4);
        // Epoch 6 is still after current + lag: the join and the leave cancel at epoch 6.
        assertEq(_exit(late), 6, "leaves at its activation epoch");
        _assertCount(5, 1);
        _assertCount(6, 1);
        _assertCount(9, 1);
        _assertMatchesScanAround();
    }

    // ------------------------------------------------------------------ slash

    function test_memberCount_slashBelowMinimumCountsStakerOutFromExitEpoch() public {
        (address alice,) = _register("alice", 150 ether);
        (address bob,) = _register("bob", MINIMUM_STAKE + 10 ether);
        _warpToEpoch(3);

        // Down to exactly the minimum: no forced exit, no change.
        uint256[] memory before = _counts(10);
        assertEq(_slash(bob, 10 ether), 10 ether, "bob slashed to the minimum");
        assertEq(_counts(10), before, "no forced exit, no count change");

        vm.expectEmit(address(staking));
        emit IStaking.ExitInitiated(alice, Epoch.wrap(5), _epochStart(5) + EXIT_DELAY, true);
        assertEq(_slash(alice, 60 ether), 60 ether, "alice slashed below the minimum");
        _assertCount(3, 2);
        _assertCount(4, 2);
        _assertCount(5, 1);
        _assertCount(9, 1);
        _assertMatchesScanAround();

        // Slashing an exiting staker again keeps its exit: no second leave.
        _warpToEpoch(4);
        before = _counts(10);
        assertEq(_slash(alice, 90 ether), 90 ether, "the rest of alice's stake");
        assertEq(_counts(10), before, "an exiting staker leaves once");
        _assertMatchesScanAround();
    }

    function test_memberCount_forcedExitsShareTheChurnWithExits() public {
        address[] memory stakers = new address[](3);
        for (uint256 i; i < stakers.length; ++i) {
            (stakers[i],) = _join(string.concat("staker-", vm.toString(i)));
        }
        _warpToEpoch(3);
        assertEq(_exit(stakers[0]), 5, "voluntary exit");
        _slash(stakers[1], 1);
        assertEq(staking.stakerInfo(stakers[1]).exitEpoch, 5, "forced exit, same queue epoch");
        _slash(stakers[2], 1);
        assertEq(staking.stakerInfo(stakers[2]).exitEpoch, 6, "forced exit, pushed by the churn");
        _assertCount(4, 3);
        _assertCount(5, 1);
        _assertCount(6, 0);
        _assertMatchesScanAround();
    }

    function test_memberCount_slashBeforeActivationIsNeverCounted() public {
        _join("member");
        _warpToEpoch(3);
        (address late, uint256 activation) = _join("late");
        assertEq(activation, 5, "activation");
        _slash(late, 1);
        assertEq(staking.stakerInfo(late).exitEpoch, 5, "forced out at its activation epoch");
        _assertCount(4, 1);
        _assertCount(5, 1);
        _assertMatchesScanAround();
    }

    // ------------------------------------------------------------------ cursor

    function test_memberCount_cursorWalksBackwardAndForward() public {
        _buildHistory();
        _warpToEpoch(6);
        _checkpointExpectingMove(2);
        assertEq(_count(6), 2, "the cursor's own epoch");

        // Backward (epochs before the cursor) and forward (after it), against the scan and the history.
        for (uint256 e; e <= 6 + LAG + AHEAD; ++e) {
            _assertCount(e, _historyCount(e));
        }

        // A change made now is read forward from the cursor.
        (, uint256 activation) = _join("erin");
        assertEq(activation, 8, "erin activation");
        _assertCount(7, 2);
        _assertCount(8, 3);
        _assertCount(30, 3);
        _assertMatchesScanAround();
    }

    function test_memberCount_cursorFarAheadOfChanges() public {
        _buildHistory();
        _warpToEpoch(40);
        _checkpointExpectingMove(2);
        for (uint256 e; e <= 45; ++e) {
            _assertCount(e, _historyCount(e));
        }
    }

    function test_memberCount_checkpointEmitsOnlyWhenTheCursorMoves() public {
        _buildHistory();
        vm.warp(_epochStart(5) + 10);
        _checkpointExpectingMove(3);
        _checkpointExpectingNoMove(3);

        // Changes made in the same epoch only affect later epochs: still the same count, still no event.
        (address erin,) = _join("erin");
        vm.warp(_epochStart(5) + 30);
        _checkpointExpectingNoMove(3);
        // Anyone may call it.
        _checkpointExpectingNoMove(erin, 3);

        _warpToEpoch(6);
        _checkpointExpectingMove(makeAddr("anyone"), 2);
        _checkpointExpectingNoMove(2);
        _warpToEpoch(7);
        _checkpointExpectingMove(3);
        assertEq(_count(7), 3, "memberCount at the cursor");
        _assertMatchesScanAround();
    }

    /// @dev A checkpoint in every epoch while stakers join and leave: each returns the scan's count.
    function test_memberCount_checkpointEveryEpochMatchesScan() public {
        address[] memory stakers = new address[](8);
        uint256 registered;
        for (uint256 epoch = 1; epoch <= 14; ++epoch) {
            _warpToEpoch(epoch);
            _checkpointExpectingMove(_scan(epoch));
            if (epoch % 2 == 1 && registered < stakers.length) {
                (stakers[registered],) = _join(string.concat("staker-", vm.toString(registered)));
                ++registered;
            }
            if (epoch % 3 == 0) _exit(stakers[epoch / 3 - 1]);
            _assertMatchesScanAround();
        }
        assertGt(_count(14), 0, "some members left at the end");
        assertLt(_count(14), registered, "and some exits took effect");
    }

    // ------------------------------------------------------------------ frozen counts

    function test_memberCount_frozenForSnapshottedEpochs() public {
        (address alice, address bob, address carol, address dave) = _buildHistory();
        _warpToEpoch(4);
        uint256 frozenUpTo = _current() + LAG;
        uint256[] memory before = _counts(frozenUpTo);
        uint256 nextBefore = _count(frozenUpTo + 1);

        // Registrations, an exit into a fresh queue epoch, a forced exit, a slash of an exiting staker
        // and a checkpoint, all made now.
        _join("erin");
        _join("frank");
        assertEq(_exit(carol), 6, "carol joins bob in the queue");
        _slash(dave, 1);
        assertEq(staking.stakerInfo(dave).exitEpoch, 7, "dave pushed by the churn");
        _slash(alice, 1);
        staking.checkpointMemberCount();
        assertEq(_counts(frozenUpTo), before, "snapshotted counts unchanged");
        assertEq(staking.stakerInfo(bob).exitEpoch, 6, "bob still leaves at 6");
        assertNotEq(_count(frozenUpTo + 1), nextBefore, "the first unsnapshotted epoch did change");
        _assertMatchesScanAround();

        // And they stay frozen as time goes on.
        _warpToEpoch(9);
        staking.checkpointMemberCount();
        _join("grace");
        assertEq(_counts(frozenUpTo), before, "still unchanged later");
        _assertMatchesScanAround();
    }

    // ------------------------------------------------------------------ random sequences

    /// @dev Action kinds of the random sequence.
    uint256 internal constant REGISTER = 0;
    uint256 internal constant EXIT = 1;
    uint256 internal constant WARP = 2;
    uint256 internal constant CHECKPOINT = 3;
    uint256 internal constant SLASH = 4;
    uint256 internal constant KINDS = 5;

    /// @dev State of one random sequence.
    struct Run {
        address[] stakers;
        uint256 registered;
        uint256 cursor;
        uint256[] frozen;
        uint256 frozenUpTo;
        uint256[KINDS] taken;
    }

    /// @dev Exits the first registered non-exiting staker from index `start` on (cyclic); false if none.
    function _exitOne(Run memory run, uint256 start) internal returns (bool) {
        for (uint256 k; k < run.registered; ++k) {
            address who = run.stakers[(start + k) % run.registered];
            if (!staking.stakerInfo(who).exiting) {
                _exit(who);
                return true;
            }
        }
        return false;
    }

    /// @dev Takes the action `kind` with randomness `r`; returns whether it changed anything.
    function _step(Run memory run, uint256 kind, uint256 r) internal returns (bool) {
        if (kind == REGISTER) {
            (run.stakers[run.registered],) = _join(string.concat("member-", vm.toString(run.registered)));
            ++run.registered;
            return true;
        }
        if (kind == EXIT) return run.registered > 0 && _exitOne(run, r);
        if (kind == SLASH) {
            if (run.registered == 0) return false;
            return _slash(run.stakers[r % run.registered], MINIMUM_STAKE / 2) > 0;
        }
        uint256 current = _current();
        if (kind == WARP) {
            // 0 to 3 epochs ahead, anywhere in the target epoch (never backward).
            uint256 target = _epochStart(current + r % 4) + (r >> 8) % EPOCH_SECONDS;
            if (target <= block.timestamp) return false;
            vm.warp(target);
            return true;
        }
        // CHECKPOINT: moves (and emits) only when the cursor is behind the current epoch.
        uint256 expected = _scan(current);
        if (current == run.cursor) {
            _checkpointExpectingNoMove(expected);
            return false;
        }
        _checkpointExpectingMove(expected);
        run.cursor = current;
        return true;
    }

    /// @dev Checks the count against the scan up to current + lag + 2, and that the counts of every epoch once
    ///      snapshotted are unchanged; then records the newly snapshotted epochs.
    function _check(Run memory run) internal view {
        uint256 current = _current();
        _assertMatchesScan(current + LAG + 2);
        for (uint256 e; e < run.frozenUpTo; ++e) {
            assertEq(_count(e), run.frozen[e], "a snapshotted count changed");
        }
        for (uint256 e = run.frozenUpTo; e <= current + LAG; ++e) {
            run.frozen[e] = _count(e);
        }
        run.frozenUpTo = current + LAG + 1;
    }

    /// @dev Runs `steps` random actions from `seed`, checking after each; returns how many of each kind acted.
    function _runRandomActions(uint256 seed, uint256 steps) internal returns (uint256[KINDS] memory taken) {
        Run memory run;
        run.stakers = new address[](steps);
        // At most 3 epochs (plus part of one) per step, and lag epochs ahead of the current one.
        run.frozen = new uint256[](4 * steps + LAG + 2);
        _check(run);
        for (uint256 i; i < steps; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint256 kind = r % KINDS;
            if (_step(run, kind, r >> 8)) ++run.taken[kind];
            _check(run);
        }
        return run.taken;
    }

    function testFuzz_memberCount_matchesScanAfterRandomActions(uint256 seed, uint256 steps) public {
        _runRandomActions(seed, bound(steps, 1, MAX_STEPS));
    }

    function test_memberCount_matchesScanAfterRandomActions_concrete() public {
        uint256[KINDS] memory taken = _runRandomActions(SEED, MAX_STEPS);
        assertGt(taken[REGISTER], 0, "registrations");
        assertGt(taken[EXIT], 0, "exits");
        assertGt(taken[WARP], 0, "warps");
        assertGt(taken[CHECKPOINT], 0, "cursor moves");
        assertGt(taken[SLASH], 0, "slashes");
    }
}
