// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProverEscrow} from "../../contracts/core/ProverEscrow.sol";
import {RewardPool} from "../../contracts/core/RewardPool.sol";
import {Rollup} from "../../contracts/core/Rollup.sol";
import {Staking} from "../../contracts/core/Staking.sol";
import {IProverEscrow} from "../../contracts/interfaces/IProverEscrow.sol";
import {IRewardPool} from "../../contracts/interfaces/IRewardPool.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {IStaking} from "../../contracts/interfaces/IStaking.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {SignedEpochProofQuote} from "../../contracts/libraries/QuoteLib.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";
import {Vm} from "forge-std/Vm.sol";

/// @notice Shared helpers of the prune suites.
abstract contract PruneBase is Base {
    /// @dev Epoch 2 (slots 8..11) is the first epoch with active sequencers; its proof deadline is slot 15.
    uint256 internal constant EPOCH = 2;

    function _claimAs(address prover, uint256 key, uint256 bond, uint32 fee)
        internal
        returns (address claimant)
    {
        SignedEpochProofQuote memory signed = _sign(_quote(prover, _currentEpoch() - 1, bond, fee), key);
        claimant = _topProposer(_currentSlot());
        vm.prank(claimant);
        rollup.claimEpochProofRight(signed);
    }

    /// @dev Proposes (top rank) in every slot of `epoch` whose bit is set in `mask`; returns the block count.
    function _proposeInEpoch(uint256 epoch, uint256 mask) internal returns (uint256 blocks) {
        for (uint256 i; i < EPOCH_DURATION; ++i) {
            if ((mask >> i) & 1 == 0) continue;
            _warpToSlot(epoch * EPOCH_DURATION + i);
            _proposeTop();
            ++blocks;
        }
    }

    function _stake(address who) internal view returns (uint256) {
        return staking.stakerInfo(who).stake;
    }

    function _countLogs(Vm.Log[] memory logs, address emitter, bytes32 topic)
        internal
        pure
        returns (uint256 n)
    {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == emitter && logs[i].topics[0] == topic) ++n;
        }
    }

    /// @dev A backup block for the current slot, submitted by `submitter` in the slot's backup window.
    function _proposeBackup(address submitter) internal {
        vm.warp(_slotStart(_currentSlot()) + PROPOSAL_WINDOW);
        IRollup.ProposeArgs memory args =
            _proposeArgs(abi.encodePacked("backup-", vm.toString(_currentSlot())));
        (uint256[] memory inputs,) = rollup.publicInputsOf(args);
        bytes memory proof = verifier.proofFor(inputs);
        vm.prank(submitter);
        rollup.proposeWithProof(args, proof);
        inputsOf[args.header.blockNumber] = inputs;
    }
}

/// @notice prune() with the test parameters (proof window = one epoch), following test/core/Rollup.prune.tree.
contract RollupPruneTest is PruneBase {
    uint256 internal constant BOND = 20 ether;

    address internal prover;
    uint256 internal proverKey;

    function setUp() public override {
        super.setUp();
        _registerAndActivate(4);
        (prover, proverKey) = _prover("prover", 50 ether);
    }

    // ------------------------------------------------------------------ nothing to prune

    function test_prune_revertsWhenNothingPending() public {
        _warpToEpoch(EPOCH + 3);
        assertFalse(rollup.canPrune(), "canPrune");
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__NothingToPrune.selector, 0, 0));
        rollup.prune();
    }

    function test_prune_revertsUntilTheLastSecondOfTheDeadlineSlot() public {
        _fillEpoch();
        assertEq(Slot.unwrap(rollup.proofDeadline(Epoch.wrap(EPOCH))), 15, "deadline");
        vm.warp(_slotStart(16) - 1);
        assertFalse(rollup.canPrune(), "canPrune at the deadline");
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__NothingToPrune.selector, 0, 4));
        rollup.prune();

        vm.warp(_slotStart(16));
        assertTrue(rollup.canPrune(), "canPrune after the deadline");
    }

    function test_prune_revertsWhenEverythingIsProven() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        _proveOldestEpoch(address(this));
        _warpToEpoch(EPOCH + 3);
        assertFalse(rollup.canPrune(), "canPrune");
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__NothingToPrune.selector, 4, 4));
        rollup.prune();
    }

    // ------------------------------------------------------------------ claimed epoch

    function test_prune_claimedEpochSlashesBondToLostBlocksProposers() public {
        _fillEpoch();
        address[4] memory proposers;
        for (uint256 n = 1; n <= 4; ++n) {
            proposers[n - 1] = rollup.blockLog(n).proposer;
        }
        _warpToEpoch(EPOCH + 1);
        _claimAs(prover, proverKey, BOND, 1000);
        _warpToSlot(16);
        uint256 poolBalance = token.balanceOf(address(pool));
        uint256 share = BOND / 4;

        vm.expectEmit(address(rollup));
        emit IRollup.BlocksPruned(Epoch.wrap(EPOCH), 1, 4);
        vm.expectEmit(address(rollup));
        emit IRollup.ProverSlashed(Epoch.wrap(EPOCH), prover, BOND, share);
        vm.expectEmit(address(escrow));
        emit IProverEscrow.BondSlashed(prover, BOND, address(pool));
        for (uint256 i; i < 4; ++i) {
            vm.expectEmit(address(pool));
            emit IRewardPool.RewardCredited(proposers[i], share, share);
        }
        rollup.prune();

        assertEq(rollup.pendingTip(), 0, "pending tip back to the proven tip");
        assertEq(rollup.provenTip(), 0, "proven tip");
        IRollup.EpochLog memory log = rollup.epochLog(Epoch.wrap(EPOCH));
        assertEq(log.blockCount, 0, "epoch log cleared");
        assertEq(log.firstBlock, 0, "epoch log cleared");
        assertEq(
            uint8(rollup.claimOf(Epoch.wrap(EPOCH)).status), uint8(IRollup.ClaimStatus.Slashed), "slashed"
        );
        IProverEscrow.Account memory account = escrow.accountOf(prover);
        assertEq(account.locked, 0, "bond gone");
        assertEq(account.free, 50 ether - BOND, "rest of the deposit stays");
        assertEq(escrow.totalSlashed(), BOND, "escrow slashed total");
        assertEq(token.balanceOf(address(pool)), poolBalance + BOND, "bond moved to the pool");
        for (uint256 i; i < 4; ++i) {
            uint256 blocksOfProposer;
            for (uint256 j; j < 4; ++j) {
                if (proposers[j] == proposers[i]) ++blocksOfProposer;
            }
            assertEq(pool.owed(proposers[i]), share * blocksOfProposer, "one share per lost block");
        }
        assertFalse(rollup.canPrune(), "nothing left to prune");
    }

    function test_prune_slashDustStaysInPool() public {
        // 4 blocks and a bond of 10 ether + 3 wei: shares of 2.5 ether, 3 wei of dust.
        _checkSlashSharesAndDust(MINIMUM_PROVER_BOND + 3, 0xF);
    }

    function testFuzz_prune_slashSharesPlusDustEqualBond(uint256 bond, uint8 mask) public {
        _checkSlashSharesAndDust(bound(bond, MINIMUM_PROVER_BOND, 50 ether), bound(mask, 1, 15));
    }

    function _checkSlashSharesAndDust(uint256 bond, uint256 mask) internal {
        uint256 blocks = _proposeInEpoch(EPOCH, mask);
        _warpToEpoch(EPOCH + 1);
        _claimAs(prover, proverKey, bond, 1000);
        _warpToSlot(16);
        uint256 available = pool.available();
        uint256 owedBefore = pool.totalOwed();
        uint256 share = bond / blocks;

        vm.expectEmit(address(rollup));
        emit IRollup.ProverSlashed(Epoch.wrap(EPOCH), prover, bond, share);
        rollup.prune();

        uint256 credited = pool.totalOwed() - owedBefore;
        assertEq(credited, share * blocks, "one share per lost block");
        assertEq(pool.available(), available + (bond - credited), "dust stays in the pool");
        assertLt(bond - credited, blocks, "dust below one wei per block");
    }

    // ------------------------------------------------------------------ unclaimed epoch

    function test_prune_unclaimedEpochSlashesFirstProposerStake() public {
        _fillEpoch();
        address first = rollup.blockLog(1).proposer;
        address[4] memory proposers;
        uint256[4] memory stakes;
        for (uint256 i; i < 4; ++i) {
            proposers[i] = sequencers[i];
            stakes[i] = _stake(sequencers[i]);
        }
        _warpToSlot(16);
        uint256 poolAvailable = pool.available();
        uint256 totalStaked = staking.totalStaked();
        uint256 exitEpoch = 16 / EPOCH_DURATION + LAG + 1;

        vm.expectEmit(address(rollup));
        emit IRollup.BlocksPruned(Epoch.wrap(EPOCH), 1, 4);
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(first, UNPROVEN_BLOCK_PENALTY, address(pool));
        vm.expectEmit(address(staking));
        emit IStaking.ExitInitiated(
            first, Epoch.wrap(exitEpoch), _slotStart(exitEpoch * EPOCH_DURATION) + EXIT_DELAY, true
        );
        rollup.prune();

        assertEq(rollup.pendingTip(), 0, "pruned");
        for (uint256 i; i < 4; ++i) {
            uint256 expected = proposers[i] == first ? stakes[i] - UNPROVEN_BLOCK_PENALTY : stakes[i];
            assertEq(_stake(proposers[i]), expected, "only the first proposer is slashed");
        }
        assertEq(staking.totalStaked(), totalStaked - UNPROVEN_BLOCK_PENALTY, "total staked");
        assertEq(staking.totalSlashed(), UNPROVEN_BLOCK_PENALTY, "total slashed");
        assertEq(pool.available(), poolAvailable + UNPROVEN_BLOCK_PENALTY, "penalty lands in the pool");
        assertTrue(staking.stakerInfo(first).exiting, "below the minimum: forced out");
    }

    function test_prune_unclaimedEpochStartingWithBackupBlockSlashesNobody() public {
        _warpToSlot(8);
        _proposeBackup(makeAddr("backup-submitter"));
        _warpToSlot(9);
        _proposeTop();
        _checkPruneSlashesNobody();
    }

    function test_prune_unclaimedEpochStartingWithStakersBackupBlockSlashesNobody() public {
        // Backup mode is open to anyone, stakers included: the block came with its proof.
        address staker = sequencers[0];
        _warpToSlot(8);
        _proposeBackup(staker);
        assertEq(rollup.blockLog(1).proposer, staker, "backup block by a staker");
        _warpToSlot(9);
        _proposeTop();
        _checkPruneSlashesNobody();
    }

    function _checkPruneSlashesNobody() internal {
        uint256 totalStaked = staking.totalStaked();
        _warpToSlot(16);

        vm.recordLogs();
        vm.expectEmit(address(rollup));
        emit IRollup.BlocksPruned(Epoch.wrap(EPOCH), 1, 2);
        rollup.prune();

        assertEq(_countLogs(vm.getRecordedLogs(), address(staking), IStaking.Slashed.selector), 0, "no slash");
        assertEq(staking.totalStaked(), totalStaked, "stakes intact");
        assertEq(staking.totalSlashed(), 0, "nothing slashed");
    }

    // ------------------------------------------------------------------ later epochs and recovery

    function test_prune_removesLaterEpochsAndClearsTheirLogs() public {
        _fillEpoch(); // blocks 1..4, epoch 2
        _proveNothingAndFill(EPOCH + 1); // blocks 5..8, epoch 3
        assertEq(rollup.epochLog(Epoch.wrap(EPOCH + 1)).blockCount, 4, "epoch 3 filled");
        _warpToSlot(16);

        vm.expectEmit(address(rollup));
        emit IRollup.BlocksPruned(Epoch.wrap(EPOCH), 1, 8);
        rollup.prune();

        assertEq(rollup.pendingTip(), 0, "every unproven block removed");
        assertEq(rollup.epochLog(Epoch.wrap(EPOCH)).blockCount, 0, "epoch 2 log cleared");
        assertEq(rollup.epochLog(Epoch.wrap(EPOCH + 1)).blockCount, 0, "epoch 3 log cleared");
        assertEq(rollup.epochLog(Epoch.wrap(EPOCH + 1)).firstBlock, 0, "epoch 3 log cleared");
    }

    function _proveNothingAndFill(uint256 epoch) internal {
        _warpToEpoch(epoch);
        _fillEpoch();
    }

    function test_prune_proposeAutoPrunesThenBuildsOnProvenTip() public {
        _fillEpoch();
        _warpToSlot(16);
        address proposer = _topProposer(16);
        IRollup.ProposeArgs memory args = _proposeArgsAt(1, "after-prune");
        assertEq(args.header.prevStateRoot, GENESIS_STATE_ROOT, "parent is the proven tip");
        (uint256[] memory inputs,) = rollup.publicInputsOf(args);

        vm.expectEmit(address(rollup));
        emit IRollup.BlocksPruned(Epoch.wrap(EPOCH), 1, 4);
        vm.expectEmit(address(rollup));
        emit IRollup.BlockProposed(
            1,
            Slot.wrap(16),
            proposer,
            args.header.newStateRoot,
            args.header.dataHash,
            inputs[4],
            inputs[5],
            false
        );
        _proposeAs(proposer, args);

        assertEq(rollup.pendingTip(), 1, "new block 1");
        assertEq(rollup.blockLog(1).slot, 16, "in the current slot");
        assertEq(rollup.epochLog(Epoch.wrap(4)).firstBlock, 1, "epoch 4 log");
        assertEq(rollup.epochLog(Epoch.wrap(EPOCH)).blockCount, 0, "epoch 2 log cleared");
    }

    function test_prune_chainRecoversAndProvesLaterEpochs() public {
        _fillEpoch(); // blocks 1..4, epoch 2
        _warpToEpoch(EPOCH + 1);
        _proveOldestEpoch(address(this));
        _proposeInEpoch(EPOCH + 1, 0x3); // blocks 5, 6 in epoch 3, never proven
        bytes32 provenRoot = rollup.blockLog(4).stateRoot;
        address firstLost = rollup.blockLog(5).proposer;
        _warpToSlot(20); // epoch 3's deadline is slot 19

        vm.expectEmit(address(rollup));
        emit IRollup.BlocksPruned(Epoch.wrap(EPOCH + 1), 5, 6);
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(firstLost, UNPROVEN_BLOCK_PENALTY, address(pool));
        rollup.prune();
        assertEq(rollup.pendingTip(), 4, "back to the proven tip");
        assertEq(rollup.provenTip(), 4, "proven blocks stay");

        // Epoch 5 builds on block 4 and is proven in epoch 6.
        _fillEpoch();
        assertEq(rollup.pendingTip(), 8, "blocks 5..8 again");
        assertEq(inputsOf[5][0], uint256(provenRoot), "block 5 builds on the proven root");
        _warpToEpoch(6);
        vm.expectEmit(address(rollup));
        emit IRollup.EpochProven(Epoch.wrap(5), 5, 8, address(this), address(this));
        _proveOldestEpoch(address(this));
        assertEq(rollup.provenTip(), 8, "later epoch proven");
    }
}

/// @notice prune() when the proof window spans more than one epoch: a later epoch can be claimed before an
///         earlier one is pruned, and the prune cancels that claim.
contract RollupPruneLongWindowTest is PruneBase {
    uint256 internal constant LONG_PROOF_WINDOW_SLOTS = 2 * EPOCH_DURATION;

    function setUp() public override {
        super.setUp();
        IRollup.Config memory config = _rollupConfig();
        config.proofWindowSlots = LONG_PROOF_WINDOW_SLOTS;
        uint256 nonce = vm.getNonce(address(this));
        address predictedRollup = vm.computeCreateAddress(address(this), nonce + 3);
        staking = new Staking(token, predictedRollup, _stakingConfig());
        escrow = new ProverEscrow(token, predictedRollup, ESCROW_WITHDRAWAL_DELAY);
        pool = new RewardPool(token, predictedRollup);
        rollup = new Rollup(staking, escrow, pool, verifier, config);
        assertEq(address(rollup), predictedRollup, "rollup address prediction");
        token.mint(address(this), POOL_FUNDING);
        token.approve(address(pool), POOL_FUNDING);
        pool.fund(POOL_FUNDING);
        _registerAndActivate(4);
    }

    function test_prune_cancelsLaterEpochClaimAndReleasesItsBond() public {
        (address proverA, uint256 keyA) = _prover("prover-a", 50 ether);
        (address proverB, uint256 keyB) = _prover("prover-b", 50 ether);
        _fillEpoch(); // blocks 1..4, epoch 2
        _warpToEpoch(EPOCH + 1);
        _claimAs(proverA, keyA, 20 ether, 1000);
        _fillEpoch(); // blocks 5..8, epoch 3
        _warpToEpoch(EPOCH + 2);
        _claimAs(proverB, keyB, 15 ether, 1000);
        assertEq(escrow.accountOf(proverB).locked, 15 ether, "epoch 3 bond locked");

        uint256 deadline = Slot.unwrap(rollup.proofDeadline(Epoch.wrap(EPOCH)));
        assertEq(deadline, 19, "two-epoch proof window");
        _warpToSlot(deadline + 1);

        vm.expectEmit(address(rollup));
        emit IRollup.BlocksPruned(Epoch.wrap(EPOCH), 1, 8);
        vm.expectEmit(address(rollup));
        emit IRollup.ProverSlashed(Epoch.wrap(EPOCH), proverA, 20 ether, 20 ether / 8);
        vm.expectEmit(address(rollup));
        emit IRollup.ClaimCancelled(Epoch.wrap(EPOCH + 1), proverB);
        vm.expectEmit(address(escrow));
        emit IProverEscrow.BondReleased(proverB, 15 ether);
        rollup.prune();

        assertEq(
            uint8(rollup.claimOf(Epoch.wrap(EPOCH)).status), uint8(IRollup.ClaimStatus.Slashed), "A slashed"
        );
        assertEq(
            uint8(rollup.claimOf(Epoch.wrap(EPOCH + 1)).status),
            uint8(IRollup.ClaimStatus.Cancelled),
            "B cancelled"
        );
        assertEq(escrow.accountOf(proverA).free, 30 ether, "A lost its bond");
        assertEq(escrow.accountOf(proverB).free, 50 ether, "B got its bond back");
        assertEq(escrow.accountOf(proverB).locked, 0, "B nothing locked");
        assertEq(rollup.epochLog(Epoch.wrap(EPOCH + 1)).blockCount, 0, "epoch 3 log cleared");
    }
}
