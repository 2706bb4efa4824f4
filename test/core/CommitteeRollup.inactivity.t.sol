// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICommitteeRollup} from "../../contracts/interfaces/ICommitteeRollup.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {Slot} from "../../contracts/libraries/TimeLib.sol";
import {CommitteeBase} from "../CommitteeBase.t.sol";

/// @notice The inactivity slash: a member elected to `inactivityLimit` proven blocks after its latest sign-off
///         and silent in all of them loses `inactivityPenalty`; the same misses never count twice; a block it
///         signed, was not elected in, proposed itself, or a backup block is no miss.
contract CommitteeRollupInactivityTest is CommitteeBase {
    address internal silent;
    address internal reporter = makeAddr("reporter");
    /// @dev The proven blocks in which `silent` was in the committee and did not sign, ascending.
    uint256[] internal misses;
    /// @dev A proven block `silent` was not elected in.
    uint256 internal notElected;

    function setUp() public override {
        super.setUp();
        _registerMembers(MEMBERS);
        silent = sequencers[3];
        // Propose epochs in which `silent` never signs, proving each after it ends, until it missed enough.
        uint256 epoch = _currentEpoch();
        while (misses.length < INACTIVITY_LIMIT + 1) {
            _fillEpochSignedWithout(silent);
            _warpToEpoch(++epoch);
            _proveOldestCommittee(reporter);
            _recordMisses();
        }
    }

    /// @dev Records the newly proven blocks' misses of `silent` (and one block it was not elected in).
    function _recordMisses() internal {
        uint256 from = misses.length == 0 ? 1 : misses[misses.length - 1] + 1;
        for (uint256 n = from; n <= rollup.provenTip(); ++n) {
            IRollup.BlockLog memory log = rollup.blockLog(n);
            if (log.proposer == silent) continue;
            if (committee.isCommitteeMember(Slot.wrap(log.slot), silent)) misses.push(n);
            else if (notElected == 0) notElected = n;
        }
    }

    function _first(uint256 count) internal view returns (uint256[] memory blockNumbers) {
        blockNumbers = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            blockNumbers[i] = misses[i];
        }
    }

    // ------------------------------------------------------------------ slashing

    function test_slashInactive_slashesASilentMemberAfterTheLimit() public {
        uint256[] memory blockNumbers = _first(INACTIVITY_LIMIT);
        uint256 stake = staking.stakerInfo(silent).stake;
        uint256 poolBalance = token.balanceOf(address(pool));
        vm.expectEmit(address(rollup));
        emit ICommitteeRollup.CommitteeMemberSlashed(
            silent, blockNumbers[0], blockNumbers[INACTIVITY_LIMIT - 1], INACTIVITY_PENALTY
        );
        vm.prank(reporter);
        committee.slashInactive(silent, blockNumbers);

        assertEq(staking.stakerInfo(silent).stake, stake - INACTIVITY_PENALTY, "slashed");
        assertEq(token.balanceOf(address(pool)), poolBalance + INACTIVITY_PENALTY, "to the reward pool");
        assertEq(
            Slot.unwrap(committee.settledDutySlot(silent)),
            rollup.blockLog(blockNumbers[INACTIVITY_LIMIT - 1]).slot,
            "settled up to the last miss"
        );
    }

    function test_slashInactive_theSameMissesNeverCountTwice() public {
        uint256[] memory blockNumbers = _first(INACTIVITY_LIMIT);
        committee.slashInactive(silent, blockNumbers);
        Slot settled = committee.settledDutySlot(silent);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Rollup__NotAMiss.selector, silent, blockNumbers[0], settled)
        );
        committee.slashInactive(silent, blockNumbers);
    }

    function test_slashInactive_aSignoffSettlesEarlierMisses() public {
        // `silent` signs a block after its misses: they no longer count.
        uint256 slot = _currentSlot();
        while (!committee.isCommitteeMember(Slot.wrap(slot), silent) || _topProposer(slot) == silent) ++slot;
        _warpToSlot(slot);
        address proposer = _topProposer(slot);
        _proposeSigned(proposer, _proposeArgs("signed by silent"), _committeeOf(slot, proposer));
        assertEq(Slot.unwrap(committee.settledDutySlot(silent)), slot, "its sign-off settles its duty");
        uint256[] memory blockNumbers = _first(INACTIVITY_LIMIT);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Rollup__NotAMiss.selector, silent, blockNumbers[0], Slot.wrap(slot))
        );
        committee.slashInactive(silent, blockNumbers);
    }

    // ------------------------------------------------------------------ rejected reports

    function test_slashInactive_revertsForTooFewMisses() public {
        uint256[] memory blockNumbers = _first(INACTIVITY_LIMIT - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__InvalidMissCount.selector, INACTIVITY_LIMIT, INACTIVITY_LIMIT - 1
            )
        );
        committee.slashInactive(silent, blockNumbers);
    }

    function test_slashInactive_revertsForBlocksNotAscending() public {
        uint256[] memory blockNumbers = _first(INACTIVITY_LIMIT);
        (blockNumbers[0], blockNumbers[1]) = (blockNumbers[1], blockNumbers[0]);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__InvalidMissedBlock.selector,
                blockNumbers[1],
                blockNumbers[0],
                rollup.provenTip()
            )
        );
        committee.slashInactive(silent, blockNumbers);
    }

    function test_slashInactive_revertsForAnUnprovenBlock() public {
        while (!_proposeTopSignedWithout(silent)) _warpToSlot(_currentSlot() + 1);
        assertGt(rollup.pendingTip(), rollup.provenTip(), "a pending block");
        uint256[] memory blockNumbers = _first(INACTIVITY_LIMIT);
        uint256 proven = rollup.provenTip();
        blockNumbers[INACTIVITY_LIMIT - 1] = proven + 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__InvalidMissedBlock.selector,
                proven + 1,
                blockNumbers[INACTIVITY_LIMIT - 2],
                proven
            )
        );
        committee.slashInactive(silent, blockNumbers);
    }

    function test_slashInactive_revertsForABlockItWasNotElectedIn() public {
        assertGt(notElected, 0, "a block without the silent member in its committee");
        uint256[] memory blockNumbers = new uint256[](INACTIVITY_LIMIT);
        blockNumbers[0] = notElected;
        uint256 at = 1;
        for (uint256 i; at < INACTIVITY_LIMIT; ++i) {
            if (misses[i] > notElected) blockNumbers[at++] = misses[i];
        }
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Rollup__NotAMiss.selector, silent, notElected, Slot.wrap(0))
        );
        committee.slashInactive(silent, blockNumbers);
    }

    function test_slashInactive_revertsForAMemberThatSignedThem() public {
        // Another member of those committees signed every block it was elected in: no misses.
        uint256[] memory blockNumbers = _first(INACTIVITY_LIMIT);
        address signer = signersOf[blockNumbers[0]][0];
        Slot settled = committee.settledDutySlot(signer);
        assertGe(Slot.unwrap(settled), rollup.blockLog(blockNumbers[0]).slot, "it signed");
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Rollup__NotAMiss.selector, signer, blockNumbers[0], settled)
        );
        committee.slashInactive(signer, blockNumbers);
    }
}
