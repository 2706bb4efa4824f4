// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FeeInbox} from "../../contracts/core/FeeInbox.sol";
import {ProverEscrow} from "../../contracts/core/ProverEscrow.sol";
import {RewardPool} from "../../contracts/core/RewardPool.sol";
import {Rollup} from "../../contracts/core/Rollup.sol";
import {Staking} from "../../contracts/core/Staking.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {DevnetToken} from "../../contracts/token/DevnetToken.sol";
import {Base} from "../Base.t.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice Rollup construction: satellite and token checks, every config bound, the clock copied from
///         staking, and the genesis block.
contract RollupConstructorTest is Base {
    struct Suite {
        Staking staking;
        ProverEscrow escrow;
        RewardPool pool;
        FeeInbox inbox;
        address predicted;
    }

    /// @dev Satellites for the rollup deployed right after them, with the given clock and tokens.
    function _satellites(Staking.Config memory stakingConfig, IERC20 escrowToken, IERC20 poolToken)
        internal
        returns (Suite memory s)
    {
        s.predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 4);
        s.staking = new Staking(token, s.predicted, stakingConfig);
        s.escrow = new ProverEscrow(escrowToken, s.predicted, ESCROW_WITHDRAWAL_DELAY);
        s.pool = new RewardPool(poolToken, s.predicted);
        s.inbox = new FeeInbox(poolToken, s.predicted, address(s.pool), INCLUSION_DELAY);
    }

    function _satellites() internal returns (Suite memory) {
        return _satellites(_stakingConfig(), token, token);
    }

    /// @dev A Config__Invalid parameter name (a string literal converted implicitly, as the contract does).
    function _param(bytes32 name) internal pure returns (bytes32) {
        return name;
    }

    /// @dev Deploys a rollup with `c` on fresh satellites and expects Config__Invalid(parameter, value).
    function _expectConfigInvalid(IRollup.Config memory c, bytes32 parameter, uint256 value) internal {
        Suite memory s = _satellites();
        vm.expectRevert(abi.encodeWithSelector(Errors.Config__Invalid.selector, parameter, value));
        new Rollup(s.staking, s.escrow, s.pool, verifier, chunkVerifier, c, s.inbox);
    }

    // ------------------------------------------------------------------ config bounds

    function test_constructor_revertsWhenProposalWindowIsZeroOrLongerThanSlot() public {
        IRollup.Config memory c = _rollupConfig();
        c.proposalWindow = 0;
        _expectConfigInvalid(c, "proposalWindow", 0);
        c.proposalWindow = SLOT_DURATION + 1;
        _expectConfigInvalid(c, "proposalWindow", SLOT_DURATION + 1);
    }

    /// Attack (issue 10, finding 6): with proposalWindow + backupWindow > slotDuration a backup submitter
    /// could land its block inside the next slot's proposal window, ahead of the elected proposer.
    function test_constructor_attack_revertsWhenBackupWindowOverlapsTheNextSlot() public {
        IRollup.Config memory c = _rollupConfig();
        c.proposalWindow = 6;
        c.backupWindow = SLOT_DURATION - 6 + 1;
        _expectConfigInvalid(c, "backupWindow", SLOT_DURATION - 6 + 1);
        // No overflow on absurd values: the same error.
        c.backupWindow = type(uint256).max;
        _expectConfigInvalid(c, "backupWindow", type(uint256).max);

        // Both windows filling the slot exactly is accepted.
        c.backupWindow = SLOT_DURATION - 6;
        Suite memory s = _satellites();
        Rollup r = new Rollup(s.staking, s.escrow, s.pool, verifier, chunkVerifier, c, s.inbox);
        assertEq(r.config().backupWindow, SLOT_DURATION - 6, "backup window up to the slot's end");
    }

    /// @dev proposalWindow + backupWindow <= slotDuration, for every split of a slot.
    function testFuzz_constructor_windowsMustFitInTheSlot(uint256 proposalWindow, uint256 backupWindow)
        public
    {
        IRollup.Config memory c = _rollupConfig();
        c.proposalWindow = bound(proposalWindow, 1, SLOT_DURATION);
        c.backupWindow = bound(backupWindow, 0, 2 * SLOT_DURATION);
        Suite memory s = _satellites();
        if (c.proposalWindow + c.backupWindow > SLOT_DURATION) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    Errors.Config__Invalid.selector, _param("backupWindow"), c.backupWindow
                )
            );
        }
        new Rollup(s.staking, s.escrow, s.pool, verifier, chunkVerifier, c, s.inbox);
    }

    function test_constructor_windowsMustFitInTheSlot_concrete() public {
        testFuzz_constructor_windowsMustFitInTheSlot(SLOT_DURATION, 1);
        testFuzz_constructor_windowsMustFitInTheSlot(1, SLOT_DURATION - 1);
    }

    /// Attack (issue 10, finding 6): a proposer exits right after proposing and withdraws its stake before
    /// its block can be pruned, escaping the unproven-block penalty. The exit delay must cover the epoch, the
    /// proof window and one slot.
    function test_constructor_attack_revertsWhenExitDelayIsShorterThanTheProofWindow() public {
        IRollup.Config memory c = _rollupConfig();
        uint256 minimum = (EPOCH_DURATION + c.proofWindowSlots + 1) * SLOT_DURATION;
        Staking.Config memory sc = _stakingConfig();
        sc.exitDelay = minimum - 1;
        Suite memory s = _satellites(sc, token, token);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Config__Invalid.selector, _param("exitDelay"), minimum - 1)
        );
        new Rollup(s.staking, s.escrow, s.pool, verifier, chunkVerifier, c, s.inbox);

        sc.exitDelay = minimum;
        s = _satellites(sc, token, token);
        Rollup r = new Rollup(s.staking, s.escrow, s.pool, verifier, chunkVerifier, c, s.inbox);
        assertEq(r.staking().exitDelay(), minimum, "the minimum exit delay is accepted");
    }

    /// Attack (issue 10, finding 6): an unbounded proof window would need an unbounded exit delay (or leave
    /// proposers unslashable); it is capped at MAX_PROOF_WINDOW_EPOCHS epochs.
    function test_constructor_attack_revertsWhenProofWindowIsUnbounded() public {
        IRollup.Config memory c = _rollupConfig();
        uint256 cap = 4 * EPOCH_DURATION;
        Staking.Config memory sc = _stakingConfig();
        sc.exitDelay = (EPOCH_DURATION + cap + 1) * SLOT_DURATION;
        c.proofWindowSlots = cap + 1;
        Suite memory s = _satellites(sc, token, token);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Config__Invalid.selector, _param("proofWindowSlots"), cap + 1)
        );
        new Rollup(s.staking, s.escrow, s.pool, verifier, chunkVerifier, c, s.inbox);

        c.proofWindowSlots = type(uint256).max;
        s = _satellites(sc, token, token);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Config__Invalid.selector, _param("proofWindowSlots"), type(uint256).max
            )
        );
        new Rollup(s.staking, s.escrow, s.pool, verifier, chunkVerifier, c, s.inbox);

        c.proofWindowSlots = cap;
        s = _satellites(sc, token, token);
        Rollup r = new Rollup(s.staking, s.escrow, s.pool, verifier, chunkVerifier, c, s.inbox);
        assertEq(r.config().proofWindowSlots, cap, "MAX_PROOF_WINDOW_EPOCHS epochs accepted");
    }

    function test_constructor_revertsWhenClaimWindowIsZeroOrLongerThanEpoch() public {
        IRollup.Config memory c = _rollupConfig();
        c.claimWindowSlots = 0;
        _expectConfigInvalid(c, "claimWindowSlots", 0);
        c.claimWindowSlots = EPOCH_DURATION + 1;
        c.proofWindowSlots = EPOCH_DURATION + 1;
        _expectConfigInvalid(c, "claimWindowSlots", EPOCH_DURATION + 1);
    }

    function test_constructor_revertsWhenProofWindowIsShorterThanClaimWindow() public {
        IRollup.Config memory c = _rollupConfig();
        c.claimWindowSlots = 3;
        c.proofWindowSlots = 2;
        _expectConfigInvalid(c, "proofWindowSlots", 2);
    }

    function test_constructor_revertsWhenMaxDataBytesIsZero() public {
        IRollup.Config memory c = _rollupConfig();
        c.maxDataBytes = 0;
        _expectConfigInvalid(c, "maxDataBytes", 0);
    }

    function test_constructor_revertsWhenOpenProvingFeeAbove100Percent() public {
        IRollup.Config memory c = _rollupConfig();
        c.openProvingBasisPointFee = 10_001;
        _expectConfigInvalid(c, "openProvingBasisPointFee", 10_001);
    }

    function test_constructor_revertsWhenVoteRoundSizeIsZero() public {
        IRollup.Config memory c = _rollupConfig();
        c.voteRoundSize = 0;
        c.voteQuorum = 0;
        _expectConfigInvalid(c, "voteRoundSize", 0);
    }

    function test_constructor_revertsWhenVoteQuorumIsZeroOrAboveRoundSize() public {
        IRollup.Config memory c = _rollupConfig();
        c.voteQuorum = 0;
        _expectConfigInvalid(c, "voteQuorum", 0);
        c.voteQuorum = VOTE_ROUND_SIZE + 1;
        _expectConfigInvalid(c, "voteQuorum", VOTE_ROUND_SIZE + 1);
    }

    function test_constructor_revertsWhenGenesisStateRootIsNotAFieldElement() public {
        IRollup.Config memory c = _rollupConfig();
        c.genesisStateRoot = bytes32(FIELD_MODULUS);
        _expectConfigInvalid(c, "genesisStateRoot", FIELD_MODULUS);
    }

    function test_constructor_acceptsEveryBoundValue() public {
        IRollup.Config memory c = _rollupConfig();
        c.proposalWindow = SLOT_DURATION;
        c.backupWindow = 0;
        c.claimWindowSlots = EPOCH_DURATION;
        c.proofWindowSlots = EPOCH_DURATION;
        c.maxDataBytes = 1;
        c.maxProverFeeBps = 10_000;
        c.openProvingBasisPointFee = 10_000;
        c.voteRoundSize = 1;
        c.voteQuorum = 1;
        c.genesisStateRoot = bytes32(FIELD_MODULUS - 1);
        Suite memory s = _satellites();
        Rollup r = new Rollup(s.staking, s.escrow, s.pool, verifier, chunkVerifier, c, s.inbox);
        assertEq(address(r), s.predicted, "deployed at the predicted address");
        assertEq(abi.encode(r.config()), abi.encode(c), "config stored as given");
    }

    // ------------------------------------------------------------------ satellites and tokens

    function test_constructor_revertsWhenASatelliteServesAnotherRollup() public {
        address other = makeAddr("other-rollup");
        Suite memory s = _satellites();

        Staking foreignStaking = new Staking(token, other, _stakingConfig());
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)));
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__SatelliteMismatch.selector, address(foreignStaking), predicted, other
            )
        );
        new Rollup(foreignStaking, s.escrow, s.pool, verifier, chunkVerifier, _rollupConfig(), s.inbox);

        ProverEscrow foreignEscrow = new ProverEscrow(token, other, ESCROW_WITHDRAWAL_DELAY);
        s = _satellites();
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__SatelliteMismatch.selector, address(foreignEscrow), s.predicted, other
            )
        );
        new Rollup(s.staking, foreignEscrow, s.pool, verifier, chunkVerifier, _rollupConfig(), s.inbox);

        RewardPool foreignPool = new RewardPool(token, other);
        s = _satellites();
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__SatelliteMismatch.selector, address(foreignPool), s.predicted, other
            )
        );
        new Rollup(s.staking, s.escrow, foreignPool, verifier, chunkVerifier, _rollupConfig(), s.inbox);
    }

    /// @dev Satellites whose inbox is built with the given rollup, pool and token (address(0): the suite's own).
    function _satellitesWithInbox(address inboxRollup, address inboxPool, IERC20 inboxToken)
        internal
        returns (Suite memory s)
    {
        s.predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 4);
        s.staking = new Staking(token, s.predicted, _stakingConfig());
        s.escrow = new ProverEscrow(token, s.predicted, ESCROW_WITHDRAWAL_DELAY);
        s.pool = new RewardPool(token, s.predicted);
        s.inbox = new FeeInbox(
            inboxToken,
            inboxRollup == address(0) ? s.predicted : inboxRollup,
            inboxPool == address(0) ? address(s.pool) : inboxPool,
            INCLUSION_DELAY
        );
    }

    function test_constructor_revertsWhenTheInboxServesAnotherRollupPoolOrToken() public {
        address other = makeAddr("other");
        Suite memory s = _satellitesWithInbox(other, address(0), token);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__SatelliteMismatch.selector, address(s.inbox), s.predicted, other
            )
        );
        new Rollup(s.staking, s.escrow, s.pool, verifier, chunkVerifier, _rollupConfig(), s.inbox);

        s = _satellitesWithInbox(address(0), other, token);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Config__Invalid.selector, _param("inboxPool"), uint160(other))
        );
        new Rollup(s.staking, s.escrow, s.pool, verifier, chunkVerifier, _rollupConfig(), s.inbox);

        DevnetToken otherToken = new DevnetToken("Other", "OTH");
        s = _satellitesWithInbox(address(0), address(0), otherToken);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Config__Invalid.selector, _param("inboxToken"), uint160(address(otherToken))
            )
        );
        new Rollup(s.staking, s.escrow, s.pool, verifier, chunkVerifier, _rollupConfig(), s.inbox);

        s = _satellitesWithInbox(address(0), address(0), token);
        Rollup r = new Rollup(s.staking, s.escrow, s.pool, verifier, chunkVerifier, _rollupConfig(), s.inbox);
        assertEq(address(r.inbox()), address(s.inbox), "inbox");
    }

    function test_constructor_revertsWhenEscrowOrPoolUsesAnotherToken() public {
        DevnetToken otherToken = new DevnetToken("Other", "OTH");

        Suite memory s = _satellites(_stakingConfig(), otherToken, token);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Config__Invalid.selector, _param("escrowToken"), uint160(address(otherToken))
            )
        );
        new Rollup(s.staking, s.escrow, s.pool, verifier, chunkVerifier, _rollupConfig(), s.inbox);

        s = _satellites(_stakingConfig(), token, otherToken);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Config__Invalid.selector, _param("poolToken"), uint160(address(otherToken))
            )
        );
        new Rollup(s.staking, s.escrow, s.pool, verifier, chunkVerifier, _rollupConfig(), s.inbox);
    }

    // ------------------------------------------------------------------ clock and genesis

    function test_constructor_copiesTheClockFromStaking() public {
        Staking.Config memory sc = _stakingConfig();
        sc.genesisTime = genesisTime + 7;
        sc.slotDuration = 30;
        sc.epochDuration = 5;
        sc.snapshotLag = 2;
        sc.exitDelay = (5 + PROOF_WINDOW_SLOTS + 1) * 30;
        Suite memory s = _satellites(sc, token, token);
        Rollup r = new Rollup(s.staking, s.escrow, s.pool, verifier, chunkVerifier, _rollupConfig(), s.inbox);

        assertEq(r.genesisTime(), genesisTime + 7, "genesis time");
        assertEq(r.slotDuration(), 30, "slot duration");
        assertEq(r.epochDuration(), 5, "epoch duration");
        vm.warp(genesisTime + 7 + 30 * 5 * 3 + 30);
        assertEq(Slot.unwrap(r.currentSlot()), 16, "slot counted with staking's duration");
        assertEq(
            Epoch.unwrap(r.currentEpoch()), Epoch.unwrap(s.staking.currentEpoch()), "same epoch as staking"
        );
        assertEq(Epoch.unwrap(r.currentEpoch()), 3, "epoch counted with staking's length");
    }

    function test_constructor_writesGenesisBlockAndEpochZeroCheckpoint() public {
        uint256 randao = 0xabc123;
        vm.prevrandao(bytes32(randao));
        Suite memory s = _satellites();
        vm.expectEmit(s.predicted);
        emit IRollup.RandomnessCheckpointed(Epoch.wrap(0), randao);
        Rollup r = new Rollup(s.staking, s.escrow, s.pool, verifier, chunkVerifier, _rollupConfig(), s.inbox);

        IRollup.BlockLog memory genesis = r.blockLog(0);
        assertEq(genesis.stateRoot, GENESIS_STATE_ROOT, "genesis state root");
        assertEq(genesis.proposer, address(0), "genesis has no proposer");
        assertEq(genesis.slot, 0, "genesis slot");
        assertEq(r.pendingTip(), 0, "pending tip");
        assertEq(r.provenTip(), 0, "proven tip");
        assertEq(r.randomnessCheckpoint(Epoch.wrap(0)), randao, "epoch 0 checkpoint");
        assertEq(
            r.seedOf(Epoch.wrap(0)), uint256(keccak256(abi.encode(randao, uint256(0)))), "seed of epoch 0"
        );
        assertEq(address(r.staking()), address(s.staking), "staking");
        assertEq(address(r.proverEscrow()), address(s.escrow), "escrow");
        assertEq(address(r.rewardPool()), address(s.pool), "pool");
        assertEq(address(r.verifier()), address(verifier), "verifier");
        assertEq(address(r.inbox()), address(s.inbox), "inbox");
        assertEq(genesis.inboxCursor, 0, "genesis consumed no message");
    }

    // ------------------------------------------------------------------ the auction's fee cap

    function test_constructor_revertsWhenMaxProverFeeAbove100Percent() public {
        IRollup.Config memory c = _rollupConfig();
        c.maxProverFeeBps = 10_001;
        _expectConfigInvalid(c, "maxProverFeeBps", 10_001);
    }

    function test_constructor_revertsWhenOpenProvingFeeAboveMaxProverFee() public {
        IRollup.Config memory c = _rollupConfig();
        c.openProvingBasisPointFee = MAX_PROVER_FEE_BPS + 1;
        _expectConfigInvalid(c, "openProvingBasisPointFee", MAX_PROVER_FEE_BPS + 1);
    }

    function test_constructor_acceptsOpenProvingFeeEqualToMaxAndStoresMax() public {
        IRollup.Config memory c = _rollupConfig();
        c.openProvingBasisPointFee = MAX_PROVER_FEE_BPS;
        _deploySuiteWith(_stakingConfig(), c);
        assertEq(rollup.config().maxProverFeeBps, MAX_PROVER_FEE_BPS, "maxProverFeeBps stored");
        assertEq(rollup.config().openProvingBasisPointFee, MAX_PROVER_FEE_BPS, "open fee at the cap");
    }
}
