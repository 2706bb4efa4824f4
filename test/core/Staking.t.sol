// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Staking} from "../../contracts/core/Staking.sol";
import {IStaking} from "../../contracts/interfaces/IStaking.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {Epoch} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";

/// @notice Unit tests of the Fernet staking contract; the branches follow `Staking.tree`.
contract StakingTest is Base {
    uint256 internal constant EPOCH_SECONDS = SLOT_DURATION * EPOCH_DURATION;
    uint32 internal constant NOT_EXITING = type(uint32).max;

    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal recipient = makeAddr("recipient");

    // ------------------------------------------------------------------ helpers

    /// @dev Funds `who` and registers it with `amount` on `target`.
    function _stakeOn(Staking target, address who, uint256 amount) internal returns (uint256 activation) {
        _fund(who, address(target), amount);
        vm.prank(who);
        activation = Epoch.unwrap(target.register(amount));
    }

    function _stake(address who, uint256 amount) internal returns (uint256 activation) {
        return _stakeOn(staking, who, amount);
    }

    function _exit(address who) internal returns (uint256 exitEpoch) {
        vm.prank(who);
        exitEpoch = Epoch.unwrap(staking.exit());
    }

    function _slash(address who, uint256 amount) internal returns (uint256 slashed) {
        vm.prank(address(rollup));
        slashed = staking.slash(who, amount, recipient);
    }

    /// @dev A staking contract on the fixture's clock with its own entry period, churn and lag.
    function _deployStaking(uint256 entryPeriod_, uint256 churn, uint256 lag) internal returns (Staking) {
        Staking.Config memory config = _stakingConfig();
        config.entryPeriod = entryPeriod_;
        config.exitChurnPerEpoch = churn;
        config.snapshotLag = lag;
        return new Staking(token, address(rollup), config);
    }

    function _epochStart(uint256 epoch) internal view returns (uint256) {
        return genesisTime + epoch * EPOCH_SECONDS;
    }

    /// @dev A Config__Invalid parameter name (a string literal converted implicitly, as the contract does).
    function _param(bytes32 name) internal pure returns (bytes32) {
        return name;
    }

    /// @dev The whole member set of `epoch` (one page over every registration index).
    function _members(uint256 epoch) internal view returns (address[] memory members) {
        uint256 next;
        (members, next) = staking.membersAt(Epoch.wrap(epoch), 0, type(uint256).max);
        assertEq(next, staking.stakerCount(), "one page scans every staker");
    }

    /// @dev The whole proposer set of `epoch`.
    function _proposers(uint256 epoch) internal view returns (address[] memory proposers) {
        uint256 next;
        (proposers, next) = staking.proposersAt(Epoch.wrap(epoch), 0, type(uint256).max);
        assertEq(next, staking.stakerCount(), "one page scans every staker");
    }

    function _assertAddresses(address[] memory actual, address[] memory expected, string memory what)
        internal
        pure
    {
        assertEq(actual.length, expected.length, string.concat(what, ": length"));
        for (uint256 i; i < expected.length; ++i) {
            assertEq(actual[i], expected[i], what);
        }
    }

    // ------------------------------------------------------------------ constructor

    function test_constructor_revertsWhenSlotDurationZero() public {
        Staking.Config memory config = _stakingConfig();
        config.slotDuration = 0;
        vm.expectRevert(abi.encodeWithSelector(Errors.Config__Invalid.selector, _param("slotDuration"), 0));
        new Staking(token, address(rollup), config);
    }

    function test_constructor_revertsWhenEpochDurationZero() public {
        Staking.Config memory config = _stakingConfig();
        config.epochDuration = 0;
        vm.expectRevert(abi.encodeWithSelector(Errors.Config__Invalid.selector, _param("epochDuration"), 0));
        new Staking(token, address(rollup), config);
    }

    function test_constructor_revertsWhenMinimumStakeZero() public {
        Staking.Config memory config = _stakingConfig();
        config.minimumStake = 0;
        vm.expectRevert(abi.encodeWithSelector(Errors.Config__Invalid.selector, _param("minimumStake"), 0));
        new Staking(token, address(rollup), config);
    }

    function test_constructor_revertsWhenExitChurnZero() public {
        Staking.Config memory config = _stakingConfig();
        config.exitChurnPerEpoch = 0;
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Config__Invalid.selector, _param("exitChurnPerEpoch"), 0)
        );
        new Staking(token, address(rollup), config);
    }

    function test_constructor_revertsWhenSnapshotLagZero() public {
        Staking.Config memory config = _stakingConfig();
        config.snapshotLag = 0;
        vm.expectRevert(abi.encodeWithSelector(Errors.Config__Invalid.selector, _param("snapshotLag"), 0));
        new Staking(token, address(rollup), config);
    }

    function test_constructor_storesConfig() public view {
        assertEq(address(staking.stakingToken()), address(token), "token");
        assertEq(staking.rollup(), address(rollup), "rollup");
        assertEq(staking.minimumStake(), MINIMUM_STAKE, "minimum stake");
        assertEq(staking.entryPeriod(), ENTRY_PERIOD, "entry period");
        assertEq(staking.exitDelay(), EXIT_DELAY, "exit delay");
        assertEq(staking.exitChurnPerEpoch(), EXIT_CHURN, "churn");
        assertEq(staking.snapshotLag(), LAG, "lag");
        assertEq(staking.genesisTime(), genesisTime, "genesis");
    }

    // ------------------------------------------------------------------ register

    function test_register_recordsStakerAndPullsTokens() public {
        uint256 amount = MINIMUM_STAKE + 50 ether;
        _fund(alice, address(staking), amount);
        // epochAt(genesis + 60 s) = epoch 1, so the entry period allows epoch 2; current + lag + 1 = 2 too.
        vm.expectEmit(address(staking));
        emit IStaking.Registered(alice, amount, Epoch.wrap(2));
        vm.prank(alice);
        Epoch activation = staking.register(amount);

        assertEq(Epoch.unwrap(activation), 2, "activation epoch");
        IStaking.StakerInfo memory info = staking.stakerInfo(alice);
        assertEq(info.stake, amount, "stake");
        assertEq(info.activationEpoch, 2, "stored activation");
        assertEq(info.exitEpoch, NOT_EXITING, "not exiting");
        assertFalse(info.exiting, "exiting flag");
        assertFalse(info.withdrawn, "withdrawn flag");
        assertEq(info.withdrawableAt, 0, "withdrawableAt");
        assertEq(token.balanceOf(address(staking)), amount, "tokens pulled");
        assertEq(token.balanceOf(alice), 0, "staker balance");
        assertEq(staking.totalStaked(), amount, "totalStaked");
        assertEq(staking.stakerCount(), 1, "stakerCount");
    }

    function test_register_activationWaitsForEntryPeriodWhenItIsLonger() public {
        vm.warp(genesisTime + 40);
        // epochAt(genesis + 100 s) = slot 8 = epoch 2, so epoch 3; the snapshot bound is 0 + 1 + 1 = 2.
        assertEq(_stake(alice, MINIMUM_STAKE), 3, "entry period bound");
        assertFalse(staking.isMember(alice, Epoch.wrap(2)), "not before activation");
        assertTrue(staking.isMember(alice, Epoch.wrap(3)), "member from activation");
    }

    function test_register_revertsWhenAlreadyRegistered() public {
        _stake(alice, MINIMUM_STAKE);
        _fund(alice, address(staking), MINIMUM_STAKE);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__AlreadyRegistered.selector, alice));
        vm.prank(alice);
        staking.register(MINIMUM_STAKE);
    }

    function test_register_revertsWhenAlreadyRegisteredAfterWithdraw() public {
        _stake(alice, MINIMUM_STAKE);
        _exit(alice);
        vm.warp(staking.stakerInfo(alice).withdrawableAt);
        vm.prank(alice);
        staking.withdraw(alice);
        assertEq(token.balanceOf(alice), MINIMUM_STAKE, "withdrawn");

        vm.prank(alice);
        token.approve(address(staking), MINIMUM_STAKE);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__AlreadyRegistered.selector, alice));
        vm.prank(alice);
        staking.register(MINIMUM_STAKE);
    }

    function test_register_revertsWhenStakeBelowMinimum() public {
        _fund(alice, address(staking), MINIMUM_STAKE);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Staking__InsufficientStake.selector, MINIMUM_STAKE, MINIMUM_STAKE - 1
            )
        );
        vm.prank(alice);
        staking.register(MINIMUM_STAKE - 1);
    }

    /// @dev Registers on a staking contract with `entryPeriod_` and `lag` after `elapsed` seconds and
    ///      checks the activation epoch against the rule, stated three ways.
    function _assertActivation(uint256 entryPeriod_, uint256 lag, uint256 elapsed)
        internal
        returns (uint256)
    {
        Staking target = _deployStaking(entryPeriod_, EXIT_CHURN, lag);
        vm.warp(genesisTime + elapsed);
        uint256 current = elapsed / EPOCH_SECONDS;
        uint256 afterEntry = (elapsed + entryPeriod_) / EPOCH_SECONDS + 1;
        uint256 afterSnapshot = current + lag + 1;
        uint256 expected = afterEntry > afterSnapshot ? afterEntry : afterSnapshot;

        uint256 activation = _stakeOn(target, alice, MINIMUM_STAKE);
        assertEq(activation, expected, "max(entry bound, snapshot bound)");
        // The entry period is over before the activation epoch starts, and no snapshotted epoch changes.
        assertGt(_epochStart(activation), block.timestamp + entryPeriod_, "entry period respected");
        assertGe(activation, current + lag + 1, "after the snapshot lag");
        assertFalse(target.isMember(alice, Epoch.wrap(activation - 1)), "not a member before activation");
        assertTrue(target.isMember(alice, Epoch.wrap(activation)), "member at activation");
        assertTrue(target.canPropose(alice, Epoch.wrap(activation)), "can propose at activation");
        return activation;
    }

    function testFuzz_register_activationEpochFormula(uint256 entryPeriod_, uint256 lag, uint256 elapsed)
        public
    {
        entryPeriod_ = bound(entryPeriod_, 0, 10_000);
        lag = bound(lag, 1, 5);
        elapsed = bound(elapsed, 0, 100_000);
        _assertActivation(entryPeriod_, lag, elapsed);
    }

    function test_register_activationEpochFormula_entryPeriodBinds() public {
        // epochAt(40 + 200 = 240 s) = epoch 5 -> 6; snapshot bound 0 + 2 + 1 = 3.
        assertEq(_assertActivation(200, 2, 40), 6);
    }

    function test_register_activationEpochFormula_snapshotLagBinds() public {
        // epochAt(100 + 0 s) = epoch 2 -> 3; snapshot bound 2 + 2 + 1 = 5.
        assertEq(_assertActivation(0, 2, 100), 5);
    }

    // ------------------------------------------------------------------ exit

    function test_exit_stopsProposingAtOnceButKeepsSnapshottedMembership() public {
        _stake(alice, MINIMUM_STAKE);
        _warpToEpoch(3);
        assertTrue(staking.canPropose(alice, Epoch.wrap(3)), "can propose before exit");

        uint256 withdrawableAt = _epochStart(5) + EXIT_DELAY;
        vm.expectEmit(address(staking));
        emit IStaking.ExitInitiated(alice, Epoch.wrap(5), withdrawableAt, false);
        assertEq(_exit(alice), 5, "exit epoch = current + lag + 1");

        IStaking.StakerInfo memory info = staking.stakerInfo(alice);
        assertTrue(info.exiting, "exiting");
        assertEq(info.exitEpoch, 5, "stored exit epoch");
        assertEq(info.withdrawableAt, withdrawableAt, "withdrawableAt");
        assertFalse(staking.canPropose(alice, Epoch.wrap(3)), "no proposals in the current epoch");
        assertFalse(staking.canPropose(alice, Epoch.wrap(4)), "no proposals in the next epoch");
        assertTrue(staking.isMember(alice, Epoch.wrap(3)), "current epoch's set unchanged");
        assertTrue(staking.isMember(alice, Epoch.wrap(4)), "snapshotted epoch's set unchanged");
        assertFalse(staking.isMember(alice, Epoch.wrap(5)), "gone from the exit epoch");
        assertEq(staking.totalStaked(), MINIMUM_STAKE, "stake stays until withdrawal");
    }

    function test_exit_revertsWhenNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__NotRegistered.selector, bob));
        vm.prank(bob);
        staking.exit();
    }

    function test_exit_revertsWhenAlreadyExiting() public {
        _stake(alice, MINIMUM_STAKE);
        _warpToEpoch(3);
        _exit(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__AlreadyExiting.selector, alice, Epoch.wrap(5)));
        vm.prank(alice);
        staking.exit();
    }

    function test_exit_queueChurnLimitSpreadsExitsOverConsecutiveEpochs() public {
        address[] memory stakers = new address[](6);
        for (uint256 i; i < stakers.length; ++i) {
            stakers[i] = makeAddr(string.concat("staker-", vm.toString(i)));
            _stake(stakers[i], MINIMUM_STAKE);
        }
        _warpToEpoch(3);
        // EXIT_CHURN = 2: five exits in epoch 3 land in epochs 5, 5, 6, 6, 7.
        uint256[5] memory expected = [uint256(5), 5, 6, 6, 7];
        for (uint256 i; i < 5; ++i) {
            vm.expectEmit(address(staking));
            emit IStaking.ExitInitiated(
                stakers[i], Epoch.wrap(expected[i]), _epochStart(expected[i]) + EXIT_DELAY, false
            );
            assertEq(_exit(stakers[i]), expected[i], "queued exit epoch");
        }
        // A later exit joins the queue's last epoch while it has room.
        _warpToEpoch(4);
        assertEq(_exit(stakers[5]), 7, "fills the last queue epoch");

        assertEq(_members(4).length, 6, "epoch 4 set untouched");
        assertEq(_members(5).length, 4, "two leave at epoch 5");
        assertEq(_members(6).length, 2, "two leave at epoch 6");
        assertEq(_members(7).length, 0, "two leave at epoch 7");
    }

    function test_exit_queueRestartsAtSnapshotBoundAfterItDrains() public {
        _stake(alice, MINIMUM_STAKE);
        _stake(bob, MINIMUM_STAKE);
        _warpToEpoch(3);
        assertEq(_exit(alice), 5, "first exit");
        _warpToEpoch(10);
        assertEq(_exit(bob), 12, "queue behind the snapshot bound restarts there");
    }

    function test_exit_beforeActivationEndsMembershipWithoutAQueuePlace() public {
        address[] memory stakers = new address[](2);
        for (uint256 i; i < stakers.length; ++i) {
            stakers[i] = makeAddr(string.concat("early-", vm.toString(i)));
            _stake(stakers[i], MINIMUM_STAKE);
        }
        _warpToEpoch(3);
        // A fresh registration activates at epoch 5; leaving before then changes no snapshotted set.
        assertEq(_stake(alice, MINIMUM_STAKE), 5, "activation");
        vm.expectEmit(address(staking));
        emit IStaking.ExitInitiated(alice, Epoch.wrap(5), _epochStart(5) + EXIT_DELAY, false);
        assertEq(_exit(alice), 5, "membership ends where it would begin");
        assertFalse(staking.isMember(alice, Epoch.wrap(5)), "never a member");
        // The churn limit (2) is still fully available to members in epoch 5.
        assertEq(_exit(stakers[0]), 5, "first member exit");
        assertEq(_exit(stakers[1]), 5, "second member exit");
    }

    // ------------------------------------------------------------------ withdraw

    function test_withdraw_revertsBeforeExitDelay() public {
        _stake(alice, MINIMUM_STAKE);
        _warpToEpoch(3);
        _exit(alice);
        uint256 readyAt = _epochStart(5) + EXIT_DELAY;
        vm.warp(readyAt - 1);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Staking__WithdrawalNotReady.selector, alice, readyAt, readyAt - 1)
        );
        vm.prank(alice);
        staking.withdraw(alice);
    }

    function test_withdraw_sendsStakeToRecipientAfterDelay() public {
        _stake(alice, MINIMUM_STAKE);
        _warpToEpoch(3);
        _exit(alice);
        vm.warp(_epochStart(5) + EXIT_DELAY);

        vm.expectEmit(address(staking));
        emit IStaking.Withdrawn(alice, recipient, MINIMUM_STAKE);
        vm.prank(alice);
        staking.withdraw(recipient);

        assertEq(token.balanceOf(recipient), MINIMUM_STAKE, "recipient paid");
        assertEq(token.balanceOf(address(staking)), 0, "contract emptied");
        assertEq(staking.totalStaked(), 0, "totalStaked");
        IStaking.StakerInfo memory info = staking.stakerInfo(alice);
        assertEq(info.stake, 0, "stake cleared");
        assertTrue(info.withdrawn, "withdrawn flag");
    }

    function test_withdraw_revertsWhenNotExiting() public {
        _stake(alice, MINIMUM_STAKE);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__NotExiting.selector, alice));
        vm.prank(alice);
        staking.withdraw(alice);
    }

    function test_withdraw_revertsWhenNotRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__NotRegistered.selector, bob));
        vm.prank(bob);
        staking.withdraw(bob);
    }

    function test_withdraw_revertsWhenAlreadyWithdrawn() public {
        _stake(alice, MINIMUM_STAKE);
        _exit(alice);
        vm.warp(staking.stakerInfo(alice).withdrawableAt);
        vm.prank(alice);
        staking.withdraw(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__AlreadyWithdrawn.selector, alice));
        vm.prank(alice);
        staking.withdraw(alice);
    }

    // ------------------------------------------------------------------ slash

    function test_slash_revertsWhenCallerNotRollup() public {
        _stake(alice, MINIMUM_STAKE);
        vm.expectRevert(abi.encodeWithSelector(Errors.Auth__NotRollup.selector, address(rollup), bob));
        vm.prank(bob);
        staking.slash(alice, 1 ether, bob);
    }

    function test_slash_partialAmountKeepsStakerInSet() public {
        _stake(alice, 300 ether);
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(alice, 50 ether, recipient);
        assertEq(_slash(alice, 50 ether), 50 ether, "slashed");

        assertEq(staking.stakerInfo(alice).stake, 250 ether, "remaining stake");
        assertFalse(staking.stakerInfo(alice).exiting, "still in the set");
        assertEq(token.balanceOf(recipient), 50 ether, "recipient got the slash");
        assertEq(staking.totalStaked(), 250 ether, "totalStaked");
        assertEq(staking.totalSlashed(), 50 ether, "totalSlashed");
        assertEq(token.balanceOf(address(staking)), staking.totalStaked(), "accounting matches balance");
    }

    function test_slash_largerThanStakeTakesWholeStake() public {
        _stake(alice, MINIMUM_STAKE);
        _warpToEpoch(3);
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(alice, MINIMUM_STAKE, recipient);
        vm.expectEmit(address(staking));
        emit IStaking.ExitInitiated(alice, Epoch.wrap(5), _epochStart(5) + EXIT_DELAY, true);
        assertEq(_slash(alice, 10 * MINIMUM_STAKE), MINIMUM_STAKE, "capped at the stake");

        assertEq(staking.stakerInfo(alice).stake, 0, "stake gone");
        assertEq(token.balanceOf(recipient), MINIMUM_STAKE, "recipient got the whole stake");
        assertEq(staking.totalStaked(), 0, "totalStaked");
        assertEq(staking.totalSlashed(), MINIMUM_STAKE, "totalSlashed");
    }

    function test_slash_belowMinimumForcesExit() public {
        _stake(alice, 150 ether);
        _warpToEpoch(3);
        vm.expectEmit(address(staking));
        emit IStaking.ExitInitiated(alice, Epoch.wrap(5), _epochStart(5) + EXIT_DELAY, true);
        assertEq(_slash(alice, 60 ether), 60 ether, "slashed");

        IStaking.StakerInfo memory info = staking.stakerInfo(alice);
        assertTrue(info.exiting, "forced exit");
        assertEq(info.exitEpoch, 5, "queued like a normal exit");
        assertFalse(staking.canPropose(alice, Epoch.wrap(3)), "no more proposals");
        assertTrue(staking.isMember(alice, Epoch.wrap(4)), "snapshotted set unchanged");

        vm.warp(info.withdrawableAt);
        vm.prank(alice);
        staking.withdraw(alice);
        assertEq(token.balanceOf(alice), 90 ether, "withdraws what is left");
    }

    /// @dev The boundary of the forced exit: a stake left at exactly the minimum stays in the set, one wei
    ///      less forces the exit.
    function test_slash_downToExactlyTheMinimumDoesNotForceExit() public {
        _stake(alice, MINIMUM_STAKE + 10 ether);
        _stake(bob, MINIMUM_STAKE + 10 ether);
        _warpToEpoch(3);

        vm.recordLogs();
        assertEq(_slash(alice, 10 ether), 10 ether, "slashed to the minimum");
        assertEq(vm.getRecordedLogs().length, 2, "Slashed and the token Transfer only: no ExitInitiated");
        IStaking.StakerInfo memory info = staking.stakerInfo(alice);
        assertEq(info.stake, MINIMUM_STAKE, "stake == minimum");
        assertFalse(info.exiting, "not exiting");
        assertEq(info.exitEpoch, NOT_EXITING, "no exit epoch");
        assertTrue(staking.canPropose(alice, Epoch.wrap(3)), "still proposes");

        vm.expectEmit(address(staking));
        emit IStaking.ExitInitiated(bob, Epoch.wrap(5), _epochStart(5) + EXIT_DELAY, true);
        assertEq(_slash(bob, 10 ether + 1), 10 ether + 1, "slashed to the minimum - 1");
        info = staking.stakerInfo(bob);
        assertEq(info.stake, MINIMUM_STAKE - 1, "stake == minimum - 1");
        assertTrue(info.exiting, "forced exit");
        assertFalse(staking.canPropose(bob, Epoch.wrap(3)), "no more proposals");
    }

    function test_slash_ofExitingStakerKeepsQueuedExit() public {
        _stake(alice, MINIMUM_STAKE);
        _warpToEpoch(3);
        _exit(alice);
        _warpToEpoch(4);
        vm.recordLogs();
        _slash(alice, 1 ether);
        assertEq(vm.getRecordedLogs().length, 2, "Slashed and the token Transfer only, no second exit");
        assertEq(staking.stakerInfo(alice).exitEpoch, 5, "exit epoch unchanged");
        assertEq(staking.stakerInfo(alice).withdrawableAt, _epochStart(5) + EXIT_DELAY, "delay unchanged");
    }

    function test_slash_returnsZeroForStakerWithoutStake() public {
        assertEq(_slash(bob, 1 ether), 0, "nothing to take");
        assertEq(staking.totalSlashed(), 0, "totalSlashed");
        assertEq(token.balanceOf(recipient), 0, "nothing sent");
        assertFalse(staking.stakerInfo(bob).exiting, "no exit for an unknown address");
    }

    // ------------------------------------------------------------------ views

    function test_views_membersAndProposersFollowActivationAndExit() public {
        _stake(alice, MINIMUM_STAKE); // activation 2
        vm.warp(genesisTime + 40);
        _stake(bob, 2 * MINIMUM_STAKE); // activation 3
        assertEq(staking.stakerCount(), 2, "stakerCount");
        assertEq(staking.totalStaked(), 3 * MINIMUM_STAKE, "totalStaked");

        address[] memory none = new address[](0);
        address[] memory onlyAlice = new address[](1);
        onlyAlice[0] = alice;
        address[] memory both = new address[](2);
        (both[0], both[1]) = (alice, bob);
        address[] memory onlyBob = new address[](1);
        onlyBob[0] = bob;

        _assertAddresses(_members(1), none, "members 1");
        _assertAddresses(_members(2), onlyAlice, "members 2");
        _assertAddresses(_members(3), both, "members 3");
        _assertAddresses(_proposers(3), both, "proposers 3");

        _warpToEpoch(3);
        _exit(alice); // exit epoch 5
        _assertAddresses(_members(4), both, "members 4 after exit");
        _assertAddresses(_proposers(4), onlyBob, "proposers 4 after exit");
        _assertAddresses(_members(5), onlyBob, "members 5 after exit");
        assertFalse(staking.isMember(alice, Epoch.wrap(5)), "isMember after exit epoch");
        assertFalse(staking.canPropose(bob, Epoch.wrap(2)), "canPropose before activation");
    }

    /// @dev Six stakers: indices 0..5; 1 and 4 activate one epoch later, 2 exits (member, not proposer).
    function _registerSix() internal returns (address[] memory stakers) {
        stakers = new address[](6);
        for (uint256 i; i < 6; ++i) {
            stakers[i] = makeAddr(string.concat("staker-", vm.toString(i)));
            if (i == 1 || i == 4) continue;
            _stake(stakers[i], MINIMUM_STAKE); // activation 2
        }
        vm.warp(genesisTime + 40);
        _stake(stakers[1], MINIMUM_STAKE); // activation 3
        _stake(stakers[4], MINIMUM_STAKE); // activation 3
        _warpToEpoch(3);
        _exit(stakers[2]); // exit epoch 5
        // Registration order: 0, 2, 3, 5, 1, 4.
    }

    function test_views_pagesScanRegistrationIndices() public {
        address[] memory s6 = _registerSix();
        assertEq(staking.stakerCount(), 6, "six registered");

        // Epoch 4: all six are members; 2 cannot propose. Registration order: 0, 2, 3, 5, 1, 4.
        (address[] memory page, uint256 next) = staking.membersAt(Epoch.wrap(4), 0, 2);
        address[] memory expected = new address[](2);
        (expected[0], expected[1]) = (s6[0], s6[2]);
        _assertAddresses(page, expected, "members [0, 2)");
        assertEq(next, 2, "next after [0, 2)");

        (page, next) = staking.proposersAt(Epoch.wrap(4), 0, 2);
        expected = new address[](1);
        expected[0] = s6[0];
        _assertAddresses(page, expected, "proposers [0, 2): the exiting staker is skipped");
        assertEq(next, 2, "next counts scanned indices, not returned ones");

        (page, next) = staking.proposersAt(Epoch.wrap(4), 2, 3);
        expected = new address[](3);
        (expected[0], expected[1], expected[2]) = (s6[3], s6[5], s6[1]);
        _assertAddresses(page, expected, "proposers [2, 5)");
        assertEq(next, 5, "next after [2, 5)");

        // The last page ends at stakerCount, however large the limit.
        (page, next) = staking.membersAt(Epoch.wrap(4), 5, type(uint256).max);
        expected = new address[](1);
        expected[0] = s6[4];
        _assertAddresses(page, expected, "members [5, 6)");
        assertEq(next, 6, "done");

        // Epoch 2: only the early stakers are members.
        (page, next) = staking.membersAt(Epoch.wrap(2), 3, 3);
        expected = new address[](1);
        expected[0] = s6[5];
        _assertAddresses(page, expected, "members of epoch 2 in [3, 6)");
        assertEq(next, 6, "done");
    }

    function test_views_emptyPages() public {
        _registerSix();
        (address[] memory page, uint256 next) = staking.membersAt(Epoch.wrap(4), 3, 0);
        assertEq(page.length, 0, "limit 0 scans nothing");
        assertEq(next, 3, "and stays at start");
        (page, next) = staking.proposersAt(Epoch.wrap(4), 6, 10);
        assertEq(page.length, 0, "start == stakerCount");
        assertEq(next, 6, "next == stakerCount");
        (page, next) = staking.proposersAt(Epoch.wrap(4), 100, type(uint256).max);
        assertEq(page.length, 0, "start past the end");
        assertEq(next, 6, "next == stakerCount");
        (page, next) = staking.membersAt(Epoch.wrap(1), 0, 6);
        assertEq(page.length, 0, "nobody is a member of epoch 1");
        assertEq(next, 6, "the whole range was scanned");
    }

    /// @dev Walking the pages from 0 by `next` with any page size yields exactly the one-page set, in order.
    function testFuzz_views_pagesConcatenateToTheWholeSet(uint256 limit, uint256 epoch, bool proposersOnly)
        public
    {
        _registerSix();
        limit = bound(limit, 1, 7);
        epoch = bound(epoch, 1, 6);
        address[] memory whole = proposersOnly ? _proposers(epoch) : _members(epoch);
        address[] memory walked = new address[](whole.length);
        uint256 found;
        uint256 start;
        uint256 pages;
        while (start < staking.stakerCount()) {
            (address[] memory page, uint256 next) = proposersOnly
                ? staking.proposersAt(Epoch.wrap(epoch), start, limit)
                : staking.membersAt(Epoch.wrap(epoch), start, limit);
            uint256 end = start + limit < staking.stakerCount() ? start + limit : staking.stakerCount();
            assertEq(next, end, "next = min(start + limit, stakerCount)");
            for (uint256 i; i < page.length; ++i) {
                walked[found++] = page[i];
            }
            start = next;
            ++pages;
        }
        assertEq(found, whole.length, "same count");
        _assertAddresses(walked, whole, "same set, same order");
        assertEq(pages, (staking.stakerCount() + limit - 1) / limit, "ceil(count / limit) pages");
    }

    function test_views_pagesConcatenateToTheWholeSet_concrete() public {
        testFuzz_views_pagesConcatenateToTheWholeSet(4, 4, true);
    }

    // ------------------------------------------------------------------ snapshot stability

    function _membership(Staking target, address[] memory actors, uint256 fromEpoch, uint256 count)
        internal
        view
        returns (bool[] memory flags)
    {
        flags = new bool[](actors.length * count);
        for (uint256 a; a < actors.length; ++a) {
            for (uint256 e; e < count; ++e) {
                flags[a * count + e] = target.isMember(actors[a], Epoch.wrap(fromEpoch + e));
            }
        }
    }

    /// @dev Takes one action for `actor` if its state allows it: 0 register, 1 exit, 2 slash below the minimum.
    function _act(Staking target, address actor, uint256 kind) internal returns (bool acted) {
        IStaking.StakerInfo memory info = target.stakerInfo(actor);
        if (kind == 0 && info.activationEpoch == 0) {
            _stakeOn(target, actor, MINIMUM_STAKE);
            return true;
        }
        if (kind == 1 && info.activationEpoch != 0 && !info.exiting) {
            vm.prank(actor);
            target.exit();
            return true;
        }
        if (kind == 2 && info.stake > 0) {
            vm.prank(address(rollup));
            target.slash(actor, info.stake / 2 + 1, recipient);
            return true;
        }
    }

    /// @dev Runs eight pseudo-random register/exit/slash steps and checks after each that membership of
    ///      the current epoch and the next `lag` epochs did not change for anyone.
    function _assertSnapshotStability(uint256 lag, uint256 seed) internal returns (uint256 actions) {
        Staking target = _deployStaking(ENTRY_PERIOD, 1, lag);
        address[] memory actors = new address[](5);
        for (uint256 i; i < actors.length; ++i) {
            actors[i] = makeAddr(string.concat("actor-", vm.toString(i)));
            if (i < 3) _stakeOn(target, actors[i], MINIMUM_STAKE);
        }
        for (uint256 step; step < 8; ++step) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            vm.warp(block.timestamp + r % 150);
            uint256 current = Epoch.unwrap(target.currentEpoch());
            bool[] memory before = _membership(target, actors, current, lag + 1);
            if (_act(target, actors[(r >> 8) % actors.length], (r >> 16) % 3)) ++actions;
            assertEq(_membership(target, actors, current, lag + 1), before, "snapshotted membership changed");
        }
    }

    function testFuzz_isMember_stableForSnapshottedEpochs(uint256 lag, uint256 seed) public {
        _assertSnapshotStability(bound(lag, 1, 4), seed);
    }

    function test_isMember_stableForSnapshottedEpochs_fixedSeed() public {
        assertGt(_assertSnapshotStability(2, 7), 0, "the sequence took actions");
    }
}
