// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

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
        bytes memory proof = _backupProof(args, submitter);
        vm.prank(submitter);
        rollup.proposeWithProof(args, proof);
        inputsOf[args.header.blockNumber] = inputs;
    }

    /// @dev Fills every slot of the current epoch, from its first, with one block by each of `sequencers`
    ///      (sequencer i in slot i): DISTINCT proposers, so a test sees WHICH block's proposer was punished.
    ///      An empty slot takes any eligible sequencer's proposal, whatever its rank.
    function _fillEpochDistinct() internal returns (address[] memory proposers) {
        uint256 first = _currentEpoch() * EPOCH_DURATION;
        proposers = new address[](EPOCH_DURATION);
        for (uint256 i; i < EPOCH_DURATION; ++i) {
            _warpToSlot(first + i);
            proposers[i] = sequencers[i];
            _proposeAs(proposers[i], _proposeArgs(abi.encodePacked("distinct-", vm.toString(first + i))));
        }
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
        address[] memory proposers = _fillEpochDistinct();
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
            assertEq(pool.owed(proposers[i]), share, "one share per lost block");
        }
        assertFalse(rollup.canPrune(), "nothing left to prune");
    }

    function test_prune_slashDustStaysInPool() public {
        // 4 blocks and a bond of 10 ether + 3 wei: shares of 2.5 ether, 3 wei of dust.
        _checkSlashSharesAndDust(MINIMUM_PROVER_BOND + 3, 0xF, 0);
    }

    function testFuzz_prune_slashSharesPlusDustEqualSlashed(uint256 bond, uint8 mask, uint8 proven) public {
        uint256 m = bound(mask, 1, 15);
        uint256 blocks;
        for (uint256 i; i < 4; ++i) {
            if ((m >> i) & 1 == 1) ++blocks;
        }
        _checkSlashSharesAndDust(bound(bond, MINIMUM_PROVER_BOND, 50 ether), m, bound(proven, 0, blocks - 1));
    }

    function test_prune_slashSharesPlusDustEqualSlashed_fixedPrefix() public {
        // 3 blocks, 1 proven, bond 10 ether + 1: slashed ceil((20 ether + 2) / 3), shared by the 2 lost blocks.
        _checkSlashSharesAndDust(MINIMUM_PROVER_BOND + 1, 0x7, 1);
    }

    /// @dev `proven` blocks of the epoch are proven by the claimed prover before the prune.
    function _checkSlashSharesAndDust(uint256 bond, uint256 mask, uint256 proven) internal {
        uint256 blocks = _proposeInEpoch(EPOCH, mask);
        _warpToEpoch(EPOCH + 1);
        _claimAs(prover, proverKey, bond, 1000);
        if (proven > 0) _proveBlocks(prover, proven);
        _warpToSlot(16);
        uint256 available = pool.available();
        uint256 owedBefore = pool.totalOwed();
        uint256 lost = blocks - proven;
        uint256 slashed = (bond * lost + blocks - 1) / blocks;
        uint256 share = slashed / lost;

        vm.expectEmit(address(rollup));
        emit IRollup.ProverSlashed(Epoch.wrap(EPOCH), prover, slashed, share);
        rollup.prune();

        uint256 credited = pool.totalOwed() - owedBefore;
        assertEq(credited, share * lost, "one share per lost block");
        assertEq(pool.available(), available + (slashed - credited), "dust stays in the pool");
        assertLt(slashed - credited, lost, "dust below one wei per block");
        assertEq(escrow.accountOf(prover).free, 50 ether - slashed, "the unslashed part is free again");
        assertEq(escrow.accountOf(prover).locked, 0, "nothing stays locked");
        assertGe(slashed * blocks, bond * lost, "slashed at least pro rata");
        assertLt(slashed * blocks, bond * lost + blocks, "rounded up by less than one wei");
    }

    // ------------------------------------------------------------------ unclaimed epoch

    function test_prune_unclaimedEpochSlashesFirstProposerStake() public {
        address[] memory proposers = _fillEpochDistinct();
        address first = proposers[0];
        assertEq(rollup.blockLog(1).proposer, first, "block 1's proposer");
        uint256[4] memory stakes;
        for (uint256 i; i < 4; ++i) {
            stakes[i] = _stake(proposers[i]);
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
            // Distinct proposers: slashing any other block's proposer (the last one, say) fails here.
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

    // ------------------------------------------------------------------ prefix proofs (finding 3)

    /// @dev Attack (issue 10, finding 3): an elected staker publishes a block nobody can prove (its data does
    ///      not match its state transition) right after an honest block, to stall the epoch and, before
    ///      prefix proofs, get the HONEST first proposer slashed. Now the honest prefix is proven, and the
    ///      prune penalises the culprit, the proposer of the first unproven block: neither the honest
    ///      proposer before it nor the proposers after it. Distinct proposers per block.
    function test_prune_unprovableBlockAfterHonestOneSlashesTheCulprit() public {
        address[] memory proposers = _fillEpochDistinct();
        address honest = proposers[0];
        address culprit = proposers[1];
        uint256[4] memory stakes;
        for (uint256 i; i < 4; ++i) {
            stakes[i] = _stake(proposers[i]);
        }
        _warpToEpoch(EPOCH + 1);
        address openProver = makeAddr("open-prover");
        _proveBlocks(openProver, 1); // the honest block; block 2 cannot be proven, so neither can 3 and 4
        assertEq(rollup.provenTip(), 1, "honest prefix proven");
        _warpToSlot(16);

        vm.expectEmit(address(rollup));
        emit IRollup.BlocksPruned(Epoch.wrap(EPOCH), 2, 4);
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(culprit, UNPROVEN_BLOCK_PENALTY, address(pool));
        rollup.prune();

        assertEq(_stake(culprit), stakes[1] - UNPROVEN_BLOCK_PENALTY, "the culprit pays");
        assertEq(_stake(honest), stakes[0], "the honest proposer of the proven block keeps its stake");
        assertEq(_stake(proposers[2]), stakes[2], "a later proposer keeps its stake");
        assertEq(_stake(proposers[3]), stakes[3], "the last proposer keeps its stake");
        assertEq(staking.totalSlashed(), UNPROVEN_BLOCK_PENALTY, "one penalty");
        assertEq(rollup.provenTip(), 1, "the honest block stays");
        assertEq(rollup.pendingTip(), 1, "the rest is pruned");
        assertGt(pool.owed(honest), 0, "the honest proposer was paid for its block");
    }

    function test_prune_unclaimedPenaltyFallsOnTheFirstUnprovenBlockEvenIfLast() public {
        address[] memory proposers = _fillEpochDistinct();
        _warpToEpoch(EPOCH + 1);
        _proveBlocks(makeAddr("open-prover"), 3);
        uint256 firstStake = _stake(proposers[0]);
        _warpToSlot(16);

        vm.expectEmit(address(staking));
        emit IStaking.Slashed(proposers[3], UNPROVEN_BLOCK_PENALTY, address(pool));
        rollup.prune();
        assertEq(_stake(proposers[0]), firstStake, "the epoch's first proposer (proven) keeps its stake");
        assertEq(staking.totalSlashed(), UNPROVEN_BLOCK_PENALTY, "one penalty");
    }

    /// @dev Attack (issue 10, finding 3): a claimed prover proves only what it can (a prefix) and lets the
    ///      rest be pruned. It loses its bond pro rata to the unproven blocks of the epoch, rounded up, and
    ///      keeps the rest; the lost blocks' proposers share the slashed part; dust stays in the pool.
    function test_prune_claimedProverProvingOnlyAPrefixLosesItsBondProRata() public {
        address[] memory proposers = _fillEpochDistinct();
        uint256 bond = MINIMUM_PROVER_BOND + 1; // 10 ether + 1 wei
        _warpToEpoch(EPOCH + 1);
        _claimAs(prover, proverKey, bond, 1000);
        _proveBlocks(prover, 1);
        assertEq(escrow.accountOf(prover).locked, bond, "bond locked through the prefix proof");
        _warpToSlot(16);
        uint256 poolBalance = token.balanceOf(address(pool));
        uint256 available = pool.available();

        // 3 of 4 blocks unproven: ceil((10 ether + 1) * 3 / 4) = 7.5 ether + 1 wei, 2.5 ether released.
        uint256 slashed = 7.5 ether + 1;
        uint256 share = 2.5 ether; // slashed / 3 lost blocks, 1 wei of dust
        vm.expectEmit(address(rollup));
        emit IRollup.BlocksPruned(Epoch.wrap(EPOCH), 2, 4);
        vm.expectEmit(address(rollup));
        emit IRollup.ProverSlashed(Epoch.wrap(EPOCH), prover, slashed, share);
        vm.expectEmit(address(escrow));
        emit IProverEscrow.BondSlashed(prover, slashed, address(pool));
        vm.expectEmit(address(escrow));
        emit IProverEscrow.BondReleased(prover, 2.5 ether);
        for (uint256 i = 1; i < 4; ++i) {
            vm.expectEmit(address(pool));
            emit IRewardPool.RewardCredited(proposers[i], share, share);
        }
        rollup.prune();

        IProverEscrow.Account memory account = escrow.accountOf(prover);
        assertEq(account.locked, 0, "nothing locked");
        assertEq(account.free, 50 ether - slashed, "lost exactly the pro rata part");
        assertEq(escrow.totalSlashed(), slashed, "escrow slashed total");
        assertEq(token.balanceOf(address(pool)), poolBalance + slashed, "slashed part moved to the pool");
        assertEq(pool.available(), available + 1, "1 wei of dust stays in the pool");
        uint256 firstOwed = pool.owed(proposers[0]);
        assertGt(firstOwed, 0, "the proven block's proposer was paid for its block");
        for (uint256 i = 1; i < 4; ++i) {
            assertEq(pool.owed(proposers[i]), share, "one share per lost block");
        }
        assertEq(
            uint8(rollup.claimOf(Epoch.wrap(EPOCH)).status), uint8(IRollup.ClaimStatus.Slashed), "slashed"
        );
        assertEq(staking.totalSlashed(), 0, "no stake penalty for a claimed epoch");
    }

    /// @dev The residual risk of prefix proofs: a lazy open prover stops before an honest block. Its proposer
    ///      (or anyone) can still prove it before the deadline and keep its stake; the penalty, if nobody
    ///      does, is bounded by unprovenBlockPenalty once per epoch.
    function test_prune_honestProposerCanProveItsOwnBlockAfterALazyPrefix() public {
        address[] memory proposers = _fillEpochDistinct();
        _warpToEpoch(EPOCH + 1);
        _proveBlocks(makeAddr("lazy-prover"), 2); // stops before block 3
        uint256 stake = _stake(proposers[2]);
        _proveBlocks(proposers[2], 4); // block 3's proposer proves the rest itself
        assertEq(rollup.provenTip(), 4, "epoch complete");
        _warpToSlot(16);
        assertFalse(rollup.canPrune(), "nothing to prune");
        assertEq(_stake(proposers[2]), stake, "no penalty");
        assertGt(pool.owed(proposers[2]), PROOF_SUBMISSION_REWARD, "paid as proposer and as prover");
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
        Staking.Config memory stakingConfig = _stakingConfig();
        stakingConfig.exitDelay = _minimumExitDelay(LONG_PROOF_WINDOW_SLOTS);
        _deploySuiteWith(stakingConfig, config);
        _fundRewardPool(POOL_FUNDING);
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
