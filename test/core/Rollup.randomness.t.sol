// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";
import {Vm} from "forge-std/Vm.sol";

/// @notice RANDAO checkpoints (written by the first call of an epoch, or by anyone through
///         `checkpointRandomness`), lagged seeds, scores and the off-chain ranking built from them.
contract RollupRandomnessTest is Base {
    /// @dev prevrandao at deployment (set by Base.setUp), the epoch 0 checkpoint.
    uint256 internal constant GENESIS_RANDAO = 0xfe120e7;
    address internal anyone = makeAddr("anyone");

    function setUp() public override {
        super.setUp();
        _registerAndActivate(4);
    }

    /// @dev The first call of `epoch`: a backup block by a non-staker in its first slot with `randao`.
    ///      Backup blocks need no sequencer, so checkpoints can be written in any epoch without
    ///      staking side effects (a later prune of a backup block slashes nobody).
    function _pokeEpoch(uint256 epoch, uint256 randao) internal {
        uint256 slot = epoch * EPOCH_DURATION;
        vm.warp(_slotStart(slot) + PROPOSAL_WINDOW);
        vm.prevrandao(bytes32(randao));
        uint256 parent = rollup.canPrune() ? rollup.provenTip() : rollup.pendingTip();
        IRollup.ProposeArgs memory args = _proposeArgsAt(parent + 1, abi.encode("poke", epoch));
        args.header.slot = Slot.wrap(slot);
        bytes memory proof = _backupProof(args, anyone);
        vm.prank(anyone);
        rollup.proposeWithProof(args, proof);
    }

    function _expectedSeed(uint256 randao, uint256 epoch) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(randao, epoch)));
    }

    function _countCheckpointLogs(Vm.Log[] memory logs) internal view returns (uint256 count) {
        for (uint256 i; i < logs.length; ++i) {
            if (
                logs[i].emitter == address(rollup)
                    && logs[i].topics[0] == IRollup.RandomnessCheckpointed.selector
            ) {
                ++count;
            }
        }
    }

    // ------------------------------------------------------------------ checkpoints

    function test_randomness_firstCallOfEpochWritesCheckpoint() public {
        uint256 epoch = _currentEpoch();
        assertEq(rollup.randomnessCheckpoint(Epoch.wrap(epoch)), 0, "no checkpoint yet");

        vm.prevrandao(bytes32(uint256(0xaaaa)));
        vm.expectEmit(address(rollup));
        emit IRollup.RandomnessCheckpointed(Epoch.wrap(epoch), 0xaaaa);
        _proposeTop();
        assertEq(
            rollup.randomnessCheckpoint(Epoch.wrap(epoch)),
            0xaaaa,
            "checkpoint = prevrandao of the first call"
        );

        // Later calls of the same epoch leave it alone.
        vm.prevrandao(bytes32(uint256(0xbbbb)));
        _warpToSlot(_currentSlot() + 1);
        vm.recordLogs();
        _proposeTop();
        assertEq(_countCheckpointLogs(vm.getRecordedLogs()), 0, "no second checkpoint event");
        assertEq(rollup.randomnessCheckpoint(Epoch.wrap(epoch)), 0xaaaa, "not overwritten");

        // The next epoch's first call writes the next checkpoint.
        _warpToEpoch(epoch + 1);
        vm.expectEmit(address(rollup));
        emit IRollup.RandomnessCheckpointed(Epoch.wrap(epoch + 1), 0xbbbb);
        _proposeTop();
        assertEq(rollup.randomnessCheckpoint(Epoch.wrap(epoch + 1)), 0xbbbb, "next epoch's checkpoint");
    }

    function test_seedOf_usesLatestCheckpointAtOrBeforeLaggedEpoch() public {
        // Checkpoints in epochs 0 (deployment), 2, 5, 6, 7, 9; none in 1, 3, 4, 8.
        _pokeEpoch(2, 0xa2);
        _pokeEpoch(5, 0xa5);
        _pokeEpoch(6, 0xa6);
        _pokeEpoch(7, 0xa7);
        _pokeEpoch(9, 0xa9);
        assertEq(rollup.randomnessCheckpoint(Epoch.wrap(3)), 0, "gap at 3");
        assertEq(rollup.randomnessCheckpoint(Epoch.wrap(8)), 0, "gap at 8");

        // seedOf(e) mixes e with the latest checkpoint at or before e - LAG (epoch 0 for e <= LAG).
        uint256[12] memory source = [
            GENESIS_RANDAO, // e = 0: target 0
            GENESIS_RANDAO, // e = 1: target 0
            GENESIS_RANDAO, // e = 2: target 1 -> 0
            uint256(0xa2), // e = 3: target 2
            0xa2, // e = 4: target 3 (gap) -> 2
            0xa2, // e = 5: target 4 (gap) -> 2
            0xa5, // e = 6: target 5
            0xa6, // e = 7: target 6
            0xa7, // e = 8: target 7
            0xa7, // e = 9: target 8 (gap) -> 7
            0xa9, // e = 10: target 9
            0xa9 // e = 11: target 10 (future) -> 9
        ];
        for (uint256 e; e < source.length; ++e) {
            assertEq(
                rollup.seedOf(Epoch.wrap(e)),
                _expectedSeed(source[e], e),
                string.concat("seed of ", vm.toString(e))
            );
        }
    }

    function test_seedOf_currentEpochCannotChangeDuringIt() public {
        uint256 epoch = _currentEpoch();
        uint256 seedNow = rollup.seedOf(Epoch.wrap(epoch));
        uint256 seedNext = rollup.seedOf(Epoch.wrap(epoch + 1));
        (address[] memory rankingBefore,) = _ranking(_currentSlot() + 1);

        // Every kind of call during the epoch, each with a different prevrandao.
        vm.prevrandao(bytes32(uint256(0x1111)));
        _proposeTop();
        assertEq(rollup.seedOf(Epoch.wrap(epoch)), seedNow, "propose");

        vm.prevrandao(bytes32(uint256(0x2222)));
        uint256 backupSlot = _currentSlot() + 1;
        vm.warp(_slotStart(backupSlot) + PROPOSAL_WINDOW);
        IRollup.ProposeArgs memory args = _proposeArgs("backup");
        args.header.slot = Slot.wrap(backupSlot);
        bytes memory proof = _backupProof(args, anyone);
        vm.prank(anyone);
        rollup.proposeWithProof(args, proof);
        assertEq(rollup.seedOf(Epoch.wrap(epoch)), seedNow, "proposeWithProof");

        vm.prevrandao(bytes32(uint256(0x3333)));
        _warpToSlot(backupSlot + 1);
        _proposeTop();
        assertEq(rollup.seedOf(Epoch.wrap(epoch)), seedNow, "second propose");

        (address[] memory rankingAfter,) = _ranking(backupSlot);
        assertEq(rankingAfter, rankingBefore, "ranking unchanged");
        // Only the next epoch's seed moved: to the checkpoint the first call wrote.
        assertEq(rollup.randomnessCheckpoint(Epoch.wrap(epoch)), 0x1111, "checkpoint of the first call");
        assertTrue(rollup.seedOf(Epoch.wrap(epoch + 1)) != seedNext, "next epoch's seed moved");
        assertEq(rollup.seedOf(Epoch.wrap(epoch + 1)), _expectedSeed(0x1111, epoch + 1), "next seed");
    }

    // ------------------------------------------------------------------ checkpointRandomness

    /// Attack (issue 10, finding 6): the checkpoint was written only as a side effect of the epoch's first
    /// propose, claim, proof or prune, so whoever made that first call (or chose not to) picked the block
    /// whose prevrandao seeds a later epoch. Anyone may now write it at the epoch's start.
    function test_checkpointRandomness_attack_anyoneWritesTheCheckpoint() public {
        uint256 epoch = _currentEpoch();
        assertEq(rollup.randomnessCheckpoint(Epoch.wrap(epoch)), 0, "no checkpoint yet");
        address stranger = makeAddr("stranger");
        assertEq(staking.stakerInfo(stranger).activationEpoch, 0, "not a staker");

        vm.prevrandao(bytes32(uint256(0xc0ffee)));
        vm.expectEmit(address(rollup));
        emit IRollup.RandomnessCheckpointed(Epoch.wrap(epoch), 0xc0ffee);
        vm.prank(stranger);
        assertTrue(rollup.checkpointRandomness(), "written");
        assertEq(rollup.randomnessCheckpoint(Epoch.wrap(epoch)), 0xc0ffee, "checkpoint = the caller's block");

        // The epoch's first rollup call no longer picks it.
        vm.prevrandao(bytes32(uint256(0xbad)));
        vm.recordLogs();
        _proposeTop();
        assertEq(_countCheckpointLogs(vm.getRecordedLogs()), 0, "propose wrote no checkpoint");
        assertEq(rollup.randomnessCheckpoint(Epoch.wrap(epoch)), 0xc0ffee, "unchanged by propose");
        assertEq(
            rollup.seedOf(Epoch.wrap(epoch + LAG)),
            _expectedSeed(0xc0ffee, epoch + LAG),
            "seeds the lagged epoch"
        );
    }

    function test_checkpointRandomness_isANoOpOnceWritten() public {
        uint256 epoch = _currentEpoch();
        vm.prevrandao(bytes32(uint256(0xaaaa)));
        _proposeTop();
        assertEq(rollup.randomnessCheckpoint(Epoch.wrap(epoch)), 0xaaaa, "written by propose");

        vm.prevrandao(bytes32(uint256(0xbbbb)));
        vm.recordLogs();
        vm.prank(anyone);
        assertFalse(rollup.checkpointRandomness(), "already written");
        assertEq(_countCheckpointLogs(vm.getRecordedLogs()), 0, "no event");
        assertEq(rollup.randomnessCheckpoint(Epoch.wrap(epoch)), 0xaaaa, "unchanged");

        // Next epoch: written again, once.
        _warpToEpoch(epoch + 1);
        vm.prank(anyone);
        assertTrue(rollup.checkpointRandomness(), "next epoch written");
        vm.prevrandao(bytes32(uint256(0xcccc)));
        vm.prank(anyone);
        assertFalse(rollup.checkpointRandomness(), "second call of the epoch");
        assertEq(rollup.randomnessCheckpoint(Epoch.wrap(epoch + 1)), 0xbbbb, "the first call's prevrandao");
    }

    // ------------------------------------------------------------------ scores and ranking

    function test_scoreOf_isKeccakOfSeedSlotAndProposer() public view {
        uint256 slot = _currentSlot();
        for (uint256 s = slot; s < slot + 2 * EPOCH_DURATION; ++s) {
            uint256 seed = rollup.seedOf(Epoch.wrap(s / EPOCH_DURATION));
            for (uint256 i; i < sequencers.length; ++i) {
                assertEq(
                    rollup.scoreOf(Slot.wrap(s), sequencers[i]),
                    uint256(keccak256(abi.encode(seed, s, sequencers[i]))),
                    "score formula"
                );
            }
        }
        assertTrue(
            rollup.scoreOf(Slot.wrap(slot), sequencers[0])
                != rollup.scoreOf(Slot.wrap(slot + 1), sequencers[0]),
            "scores differ by slot"
        );
    }

    /// @dev The ranking the Rust side computes (test/helpers/Ranking.sol mirrors it) from the on-chain
    ///      proposer set and scores.
    function test_ranking_listsExactlyTheEpochsProposersSorted() public {
        address leaver = sequencers[1];
        vm.prank(leaver);
        staking.exit();
        address newcomer = _registerSequencer("newcomer");
        uint256 slot = _currentSlot();

        (address[] memory ranked, uint256[] memory scores) = _ranking(slot);
        assertEq(ranked.length, 3, "4 active - 1 exiting, newcomer not yet active");
        assertEq(scores.length, 3, "one score each");
        for (uint256 i; i < ranked.length; ++i) {
            assertTrue(ranked[i] != leaver, "exiting sequencer excluded");
            assertTrue(ranked[i] != newcomer, "inactive sequencer excluded");
            assertTrue(staking.canPropose(ranked[i], rollup.currentEpoch()), "only proposers");
            assertEq(scores[i], rollup.scoreOf(Slot.wrap(slot), ranked[i]), "score matches scoreOf");
            if (i > 0) assertGe(scores[i - 1], scores[i], "sorted highest first");
            for (uint256 j; j < i; ++j) {
                assertTrue(ranked[i] != ranked[j], "no duplicates");
            }
        }

        // Once active, the newcomer is ranked; the leaver stays out.
        uint256 activation = staking.stakerInfo(newcomer).activationEpoch;
        (ranked,) = _ranking(activation * EPOCH_DURATION);
        assertEq(ranked.length, 4, "3 + newcomer");
        bool seen;
        for (uint256 i; i < ranked.length; ++i) {
            seen = seen || ranked[i] == newcomer;
            assertTrue(ranked[i] != leaver, "leaver still excluded");
        }
        assertTrue(seen, "newcomer ranked");
    }

    /// @dev Whatever the checkpointed prevrandao, the ranking is sorted and its head has the max score.
    function testFuzz_ranking_headHasMaxScore(uint256 randao, uint256 slotOffset) public {
        address late;
        for (uint256 i; i < 4; ++i) {
            late = _registerSequencer(string.concat("late-", vm.toString(i)));
        }
        // Checkpoint in the epoch before the late sequencers activate, so the ranked epoch has all 8.
        uint256 epoch = staking.stakerInfo(late).activationEpoch - 1;
        _warpToEpoch(epoch);
        vm.prevrandao(bytes32(randao));
        _proposeTop();
        assertEq(rollup.randomnessCheckpoint(Epoch.wrap(epoch)), randao, "checkpointed");

        // Slots of epoch + 1, whose seed comes from this checkpoint.
        uint256 slot = (epoch + 1) * EPOCH_DURATION + bound(slotOffset, 0, EPOCH_DURATION - 1);
        assertEq(
            rollup.seedOf(Epoch.wrap(epoch + 1)), _expectedSeed(randao, epoch + 1), "seed from checkpoint"
        );
        (address[] memory ranked, uint256[] memory scores) = _ranking(slot);
        (address[] memory proposers,) = staking.proposersAt(Epoch.wrap(epoch + 1), 0, type(uint256).max);
        assertEq(proposers.length, 8, "8 proposers");
        assertEq(ranked.length, proposers.length, "every proposer ranked");
        uint256 max;
        for (uint256 i; i < proposers.length; ++i) {
            uint256 s = rollup.scoreOf(Slot.wrap(slot), proposers[i]);
            if (s > max) max = s;
        }
        assertEq(scores[0], max, "head has the max score");
        assertEq(rollup.scoreOf(Slot.wrap(slot), ranked[0]), max, "head's own score");
        for (uint256 i = 1; i < scores.length; ++i) {
            assertGe(scores[i - 1], scores[i], "sorted");
        }
    }

    function test_ranking_headHasMaxScore_fixedRandao() public {
        testFuzz_ranking_headHasMaxScore(0x5eed, 2);
    }
}
