// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Slot} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";
import {Vm} from "forge-std/Vm.sol";

/// @notice Upgrade signalling: a proposal's vote counts once its slot is final (a later slot got a block),
///         in round slot / VOTE_ROUND_SIZE; the quorum signals a payload once per round.
contract RollupVotesTest is Base {
    address internal payloadA = makeAddr("payload-a");
    address internal payloadB = makeAddr("payload-b");
    /// @dev First slot of the sequencers (slot 8 = start of round 1).
    uint256 internal slot0;

    function setUp() public override {
        super.setUp();
        _registerAndActivate(4);
        slot0 = _currentSlot();
        assertEq(slot0 % VOTE_ROUND_SIZE, 0, "tests start at a round boundary");
    }

    /// @dev The top-ranked sequencer proposes in `slot` with `payload` as its vote.
    function _proposeVoting(uint256 slot, address payload) internal returns (address proposer) {
        _warpToSlot(slot);
        proposer = _topProposer(slot);
        IRollup.ProposeArgs memory args = _proposeArgs(abi.encode("vote", slot));
        args.upgradePayload = payload;
        _proposeAs(proposer, args);
    }

    function _countLogs(Vm.Log[] memory logs, bytes32 topic) internal view returns (uint256 count) {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(rollup) && logs[i].topics[0] == topic) ++count;
        }
    }

    function test_votes_countedOnceASlotIsFinal() public {
        uint256 round = slot0 / VOTE_ROUND_SIZE;
        _proposeVoting(slot0, payloadA);
        assertEq(rollup.votesFor(round, payloadA), 0, "pending while the slot can still be replaced");

        _warpToSlot(slot0 + 1);
        address proposer = _topProposer(slot0 + 1);
        IRollup.ProposeArgs memory args = _proposeArgs("next");
        vm.expectEmit(address(rollup));
        emit IRollup.UpgradeVoteCast(round, payloadA, Slot.wrap(slot0), 1);
        _proposeAs(proposer, args);
        assertEq(rollup.votesFor(round, payloadA), 1, "counted when a later slot gets a block");
        assertEq(rollup.signalledPayload(round), address(0), "below quorum");
    }

    function test_votes_quorumSignalsOncePerRound() public {
        uint256 round = slot0 / VOTE_ROUND_SIZE;
        _proposeVoting(slot0, payloadA);
        _proposeVoting(slot0 + 1, payloadA);
        _proposeVoting(slot0 + 2, payloadA);

        // The block of slot0 + 3 finalises the third vote: quorum.
        vm.expectEmit(address(rollup));
        emit IRollup.UpgradeVoteCast(round, payloadA, Slot.wrap(slot0 + 2), VOTE_QUORUM);
        vm.expectEmit(address(rollup));
        emit IRollup.UpgradeSignalled(round, payloadA);
        _proposeVoting(slot0 + 3, payloadA);
        assertEq(rollup.signalledPayload(round), payloadA, "signalled");

        // A fourth vote is counted but signals nothing more.
        vm.recordLogs();
        _proposeVoting(slot0 + 4, address(0));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(_countLogs(logs, IRollup.UpgradeVoteCast.selector), 1, "fourth vote cast");
        assertEq(_countLogs(logs, IRollup.UpgradeSignalled.selector), 0, "no second signal");
        assertEq(rollup.votesFor(round, payloadA), VOTE_QUORUM + 1, "four votes");
        assertEq(rollup.signalledPayload(round), payloadA, "still the first payload");
    }

    /// @dev A backup block also finalises the previous slot: its proposal can no longer be replaced, so the
    ///      pending vote is counted. The backup block's own payload is ignored (its submitter was not elected).
    function test_votes_backupBlockCountsThePreviousSlotsVote() public {
        uint256 round = slot0 / VOTE_ROUND_SIZE;
        _proposeVoting(slot0, payloadA);
        assertEq(rollup.votesFor(round, payloadA), 0, "pending");

        // Slot0 + 1 stays empty; a backup block fills it.
        address submitter = makeAddr("backup-submitter");
        vm.warp(_slotStart(slot0 + 1) + PROPOSAL_WINDOW);
        IRollup.ProposeArgs memory args = _proposeArgs("backup");
        args.header.slot = Slot.wrap(slot0 + 1);
        args.upgradePayload = payloadB;
        bytes memory proof = _backupProof(args, submitter);
        vm.expectEmit(address(rollup));
        emit IRollup.UpgradeVoteCast(round, payloadA, Slot.wrap(slot0), 1);
        vm.prank(submitter);
        rollup.proposeWithProof(args, proof);
        assertEq(rollup.votesFor(round, payloadA), 1, "counted by the backup block");

        // The next block counts nothing: the vote was settled once, and the backup block had none.
        vm.recordLogs();
        _proposeVoting(slot0 + 2, address(0));
        assertEq(_countLogs(vm.getRecordedLogs(), IRollup.UpgradeVoteCast.selector), 0, "no vote cast");
        assertEq(rollup.votesFor(round, payloadA), 1, "still one vote for A");
        assertEq(rollup.votesFor(round, payloadB), 0, "the backup block's payload is ignored");
    }

    function test_votes_replacedProposalsVoteIsNotCounted() public {
        uint256 round = slot0 / VOTE_ROUND_SIZE;
        (address[] memory ranked,) = _ranking(slot0);
        IRollup.ProposeArgs memory lowArgs = _proposeArgs("low");
        lowArgs.upgradePayload = payloadA;
        _proposeAs(ranked[ranked.length - 1], lowArgs);
        IRollup.ProposeArgs memory topArgs = _proposeArgsAt(1, "top");
        topArgs.upgradePayload = payloadB;
        _proposeAs(ranked[0], topArgs);

        vm.recordLogs();
        _proposeVoting(slot0 + 1, address(0));
        assertEq(
            _countLogs(vm.getRecordedLogs(), IRollup.UpgradeVoteCast.selector), 1, "one vote for the slot"
        );
        assertEq(rollup.votesFor(round, payloadA), 0, "replaced proposal's vote dropped");
        assertEq(rollup.votesFor(round, payloadB), 1, "replacement's vote counted");
    }

    function test_votes_roundIsTheVotingSlotsRound() public {
        // The last slot of round 1 votes A; the block that finalises it is in round 2 and votes B.
        uint256 lastOfRound = slot0 + VOTE_ROUND_SIZE - 1;
        uint256 round = lastOfRound / VOTE_ROUND_SIZE;
        _proposeVoting(lastOfRound, payloadA);

        vm.expectEmit(address(rollup));
        emit IRollup.UpgradeVoteCast(round, payloadA, Slot.wrap(lastOfRound), 1);
        _proposeVoting(lastOfRound + 1, payloadB);
        assertEq(rollup.votesFor(round, payloadA), 1, "counted in the voting slot's round");
        assertEq(rollup.votesFor(round + 1, payloadA), 0, "not in the finalising slot's round");

        vm.expectEmit(address(rollup));
        emit IRollup.UpgradeVoteCast(round + 1, payloadB, Slot.wrap(lastOfRound + 1), 1);
        _proposeVoting(lastOfRound + 2, address(0));
        assertEq(rollup.votesFor(round + 1, payloadB), 1, "B in round 2");
        assertEq(rollup.votesFor(round, payloadB), 0, "B not in round 1");
    }

    function test_votes_zeroPayloadIsNoVote() public {
        uint256 round = slot0 / VOTE_ROUND_SIZE;
        _proposeVoting(slot0, address(0));
        vm.recordLogs();
        _proposeVoting(slot0 + 1, address(0));
        _proposeVoting(slot0 + 2, address(0));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(_countLogs(logs, IRollup.UpgradeVoteCast.selector), 0, "no vote cast");
        assertEq(rollup.votesFor(round, address(0)), 0, "address(0) never counted");
    }
}
