// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProverEscrow} from "../../contracts/core/ProverEscrow.sol";
import {RewardPool} from "../../contracts/core/RewardPool.sol";
import {Rollup} from "../../contracts/core/Rollup.sol";
import {Staking} from "../../contracts/core/Staking.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {DataFingerprint} from "../../contracts/libraries/DataFingerprint.sol";
import {EpochProofQuote, SignedEpochProofQuote} from "../../contracts/libraries/QuoteLib.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";

/// @notice Calls DataFingerprint.evaluate on calldata and reports the gas of the library call alone.
contract FingerprintGasHarness {
    /// @notice Evaluates `data` at the challenge derived from `dataHash`; `used` is the library's own gas.
    function evaluate(uint256 dataHash, bytes calldata data)
        external
        view
        returns (uint256 challenge, uint256 evaluation, uint256 used)
    {
        uint256 before = gasleft();
        (challenge, evaluation) = DataFingerprint.evaluate(dataHash, data);
        used = before - gasleft();
    }
}

/// @notice Gas of the protocol's write paths, recorded in `.gas-snapshot` (`forge snapshot --match-path
///         test/gas/Gas.t.sol`). Each test pauses gas metering while it builds its state, so the recorded
///         figure is the measured call plus a small fixed overhead; each also asserts a budget on the call
///         itself (about 1.3x its measured cost) so a regression fails here before it shows in the snapshot.
/// @dev Runs on a suite with 16-slot epochs (so one epoch holds 16 blocks); everything else uses the test
///      parameters of Base. Proofs are checked by the CommitmentVerifier test double, so the proof figures
///      are the rollup's own cost, without the Groth16 pairing. Figures are execution gas of the call, without
///      the transaction's intrinsic cost (21000 + calldata).
///      Proposals are measured in steady state: the epoch's randomness checkpoint and a parent block exist.
contract GasTest is Base {
    uint256 internal constant GAS_EPOCH_DURATION = 16;
    /// @dev Activation epoch of the sequencers registered in setUp (slot 32).
    uint256 internal constant FIRST_EPOCH = 2;
    uint256 internal constant BOND = 20 ether;

    address internal prover;
    uint256 internal proverKey;
    uint256 internal measured;

    function setUp() public override {
        super.setUp();
        uint256 nonce = vm.getNonce(address(this));
        address predictedRollup = vm.computeCreateAddress(address(this), nonce + 3);
        Staking.Config memory stakingConfig = _stakingConfig();
        stakingConfig.epochDuration = GAS_EPOCH_DURATION;
        IRollup.Config memory rollupConfig = _rollupConfig();
        rollupConfig.proofWindowSlots = GAS_EPOCH_DURATION;
        staking = new Staking(token, predictedRollup, stakingConfig);
        escrow = new ProverEscrow(token, predictedRollup, ESCROW_WITHDRAWAL_DELAY);
        pool = new RewardPool(token, predictedRollup);
        rollup = new Rollup(staking, escrow, pool, verifier, rollupConfig);
        assertEq(address(rollup), predictedRollup, "rollup address prediction");
        token.mint(address(this), POOL_FUNDING);
        token.approve(address(pool), POOL_FUNDING);
        pool.fund(POOL_FUNDING);

        for (uint256 i; i < 4; ++i) {
            _registerSequencer(string.concat("sequencer-", vm.toString(i)));
        }
        assertEq(staking.stakerInfo(sequencers[3]).activationEpoch, FIRST_EPOCH, "activation epoch");
        (prover, proverKey) = _prover("prover", 100 ether);
        _warpToSlot(FIRST_EPOCH * GAS_EPOCH_DURATION);
    }

    // ------------------------------------------------------------------ helpers (paused metering)

    function _startMeasure() internal {
        vm.resumeGasMetering();
        measured = gasleft();
    }

    function _stopMeasure(uint256 budget) internal {
        measured -= gasleft();
        vm.pauseGasMetering();
        assertLt(measured, budget, "gas budget");
    }

    function _data(uint256 length) internal pure returns (bytes memory data) {
        data = new bytes(length);
        for (uint256 i; i < length; ++i) {
            data[i] = bytes1(uint8(uint256(keccak256(abi.encode(i))) % 256));
        }
    }

    /// @dev Proposes (top rank) in the next `count` slots from the current one, then stays in the last.
    function _proposeBlocks(uint256 count) internal {
        uint256 slot = _currentSlot();
        for (uint256 i; i < count; ++i) {
            _warpToSlot(slot + i);
            _proposeTop();
        }
    }

    function _warpToGasEpoch(uint256 epoch) internal {
        _warpToSlot(epoch * GAS_EPOCH_DURATION);
    }

    /// @dev Claims epoch `current - 1` for `prover` as the top sequencer of the current slot.
    function _claim() internal {
        uint256 epoch = _currentEpoch() - 1;
        SignedEpochProofQuote memory signed = _sign(_quoteFor(epoch), proverKey);
        address claimant = _topProposer(_currentSlot());
        vm.prank(claimant);
        rollup.claimEpochProofRight(signed);
    }

    function _quoteFor(uint256 epoch) internal view returns (EpochProofQuote memory q) {
        q = _quote(prover, epoch, BOND, 1000);
        q.validUntilSlot = (epoch + 1) * GAS_EPOCH_DURATION + CLAIM_WINDOW_SLOTS - 1;
    }

    // ------------------------------------------------------------------ staking

    function test_gas_register() public {
        vm.pauseGasMetering();
        address newcomer = makeAddr("newcomer");
        _fund(newcomer, address(staking), MINIMUM_STAKE);

        vm.prank(newcomer);
        _startMeasure();
        staking.register(MINIMUM_STAKE);
        _stopMeasure(100_000);
        assertEq(staking.stakerInfo(newcomer).stake, MINIMUM_STAKE, "registered");
    }

    // ------------------------------------------------------------------ proposals

    function test_gas_propose_data0Bytes() public {
        _measurePropose(0, 140_000);
    }

    function test_gas_propose_data256Bytes() public {
        _measurePropose(256, 145_000);
    }

    function test_gas_propose_data1024Bytes() public {
        _measurePropose(1024, 150_000);
    }

    function test_gas_propose_data4096Bytes() public {
        _measurePropose(4096, 180_000);
    }

    /// @dev The second block of the epoch (checkpoint written, parent present) with `length` bytes of data.
    function _measurePropose(uint256 length, uint256 budget) internal {
        vm.pauseGasMetering();
        _proposeBlocks(1);
        _warpToSlot(_currentSlot() + 1);
        IRollup.ProposeArgs memory args = _proposeArgs(_data(length));
        address proposer = _topProposer(_currentSlot());

        vm.prank(proposer);
        _startMeasure();
        rollup.propose(args);
        _stopMeasure(budget);
        assertEq(rollup.pendingTip(), 2, "appended");
    }

    function test_gas_proposeReplacement() public {
        vm.pauseGasMetering();
        _proposeBlocks(1);
        _warpToSlot(_currentSlot() + 1);
        (address[] memory ranked,) = rollup.rankingForSlot(rollup.currentSlot());
        _proposeAs(ranked[1], _proposeArgs(_data(256)));
        IRollup.ProposeArgs memory args = _proposeArgsAt(2, _data(256));

        vm.prank(ranked[0]);
        _startMeasure();
        rollup.propose(args);
        _stopMeasure(60_000);
        assertEq(rollup.blockLog(2).proposer, ranked[0], "replaced");
        assertEq(rollup.pendingTip(), 2, "same height");
    }

    function test_gas_backupPropose() public {
        vm.pauseGasMetering();
        _proposeBlocks(1);
        uint256 slot = _currentSlot() + 1;
        vm.warp(_slotStart(slot) + PROPOSAL_WINDOW);
        IRollup.ProposeArgs memory args = _proposeArgs(_data(256));
        (uint256[] memory inputs,) = rollup.publicInputsOf(args);
        bytes memory proof = verifier.proofFor(inputs);
        address submitter = makeAddr("backup-submitter");

        vm.prank(submitter);
        _startMeasure();
        rollup.proposeWithProof(args, proof);
        _stopMeasure(145_000);
        assertEq(rollup.blockLog(2).proposer, submitter, "backup block");
    }

    // ------------------------------------------------------------------ prover coordination

    function test_gas_claim() public {
        vm.pauseGasMetering();
        _proposeBlocks(1);
        _warpToGasEpoch(FIRST_EPOCH + 1);
        _proposeBlocks(1); // the claimant's block: the epoch's checkpoint is written
        uint256 epoch = _currentEpoch() - 1;
        SignedEpochProofQuote memory signed = _sign(_quoteFor(epoch), proverKey);
        address claimant = _topProposer(_currentSlot());

        vm.prank(claimant);
        _startMeasure();
        rollup.claimEpochProofRight(signed);
        _stopMeasure(130_000);
        assertEq(escrow.accountOf(prover).locked, BOND, "bond locked");
    }

    function test_gas_submitEpochProof_1Blocks() public {
        _measureSubmitEpochProof(1, 175_000);
    }

    function test_gas_submitEpochProof_4Blocks() public {
        _measureSubmitEpochProof(4, 265_000);
    }

    function test_gas_submitEpochProof_16Blocks() public {
        _measureSubmitEpochProof(16, 450_000);
    }

    /// @dev A claimed epoch of `blocks` blocks, proven by its prover (bond released, every party credited).
    function _measureSubmitEpochProof(uint256 blocks, uint256 budget) internal {
        vm.pauseGasMetering();
        _proposeBlocks(blocks);
        _warpToGasEpoch(FIRST_EPOCH + 1);
        _proposeBlocks(1);
        _claim();
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, blocks);

        vm.prank(prover);
        _startMeasure();
        rollup.submitEpochProof(Epoch.wrap(FIRST_EPOCH), inputs, proofs);
        _stopMeasure(budget);
        assertEq(rollup.provenTip(), blocks, "proven");
    }

    // ------------------------------------------------------------------ prune

    function test_gas_prune_1Blocks() public {
        _measurePrune(1, 235_000);
    }

    function test_gas_prune_4Blocks() public {
        _measurePrune(4, 310_000);
    }

    /// @dev A claimed epoch of `blocks` blocks missed its proof window: bond slashed and shared per block.
    function _measurePrune(uint256 blocks, uint256 budget) internal {
        vm.pauseGasMetering();
        _proposeBlocks(blocks);
        _warpToGasEpoch(FIRST_EPOCH + 1);
        _claim();
        _warpToSlot(Slot.unwrap(rollup.proofDeadline(Epoch.wrap(FIRST_EPOCH))) + 1);

        _startMeasure();
        rollup.prune();
        _stopMeasure(budget);
        assertEq(rollup.pendingTip(), 0, "pruned");
    }

    // ------------------------------------------------------------------ data fingerprint

    /// @dev The L1 cost of binding 4,096 bytes of block data (133 chunks), library call alone
    ///      (`forge test --match-test test_gas_dataFingerprint -vv` prints it).
    function test_gas_dataFingerprint_4096Bytes() public {
        vm.pauseGasMetering();
        FingerprintGasHarness harness = new FingerprintGasHarness();
        bytes memory data = _data(4096);
        vm.resumeGasMetering();
        (uint256 challenge, uint256 evaluation, uint256 used) = harness.evaluate(7, data);
        vm.pauseGasMetering();
        emit log_named_uint("DataFingerprint.evaluate gas, 4096 bytes", used);
        assertLt(used, 30_000, "gas budget");
        assertLt(challenge, FIELD_MODULUS, "challenge in field");
        assertLt(evaluation, FIELD_MODULUS, "evaluation in field");
    }
}
