// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FeeInbox} from "../../contracts/core/FeeInbox.sol";
import {ProverEscrow} from "../../contracts/core/ProverEscrow.sol";
import {RewardPool} from "../../contracts/core/RewardPool.sol";
import {Rollup} from "../../contracts/core/Rollup.sol";
import {Staking} from "../../contracts/core/Staking.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Constants} from "../../contracts/libraries/Constants.sol";
import {DataFingerprint} from "../../contracts/libraries/DataFingerprint.sol";
import {EpochProofQuote, SignedEpochProofQuote} from "../../contracts/libraries/QuoteLib.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";
import {BlockDataBuilder} from "../helpers/BlockDataBuilder.sol";

/// @notice Foundry's `cool` cheatcode (newer than the pinned forge-std's Vm interface): marks every storage
///         slot of `target` cold again, as it is at the start of an eth_call.
interface CoolCheatcode {
    function cool(address target) external;
}

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
///      Proposals are measured in steady state: the epoch's randomness checkpoint and a parent block exist;
///      their data is canonical (checked by BlockData), 154 + 224 bytes per transaction, and their messages
///      (0 unless the test says) are checked against the fee inbox.
///      The staking views are eth_call reads, measured at 1,000 registered stakers.
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
        address predictedRollup = vm.computeCreateAddress(address(this), nonce + 4);
        Staking.Config memory stakingConfig = _stakingConfig();
        stakingConfig.epochDuration = GAS_EPOCH_DURATION;
        // The rollup requires exitDelay >= (epochDuration + proofWindowSlots + 1) * slotDuration.
        stakingConfig.exitDelay = (2 * GAS_EPOCH_DURATION + 1) * SLOT_DURATION;
        IRollup.Config memory rollupConfig = _rollupConfig();
        rollupConfig.proofWindowSlots = GAS_EPOCH_DURATION;
        staking = new Staking(token, predictedRollup, stakingConfig);
        escrow = new ProverEscrow(token, predictedRollup, ESCROW_WITHDRAWAL_DELAY);
        pool = new RewardPool(token, predictedRollup);
        inbox = new FeeInbox(token, predictedRollup, address(pool), INCLUSION_DELAY);
        rollup = new Rollup(staking, escrow, pool, verifier, chunkVerifier, rollupConfig, inbox);
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

    /// @dev Canonical block data with no message and `txCount` transactions (154 + 224 * txCount bytes).
    function _data(uint256 txCount) internal pure returns (bytes memory) {
        return BlockDataBuilder.build(txCount, txCount);
    }

    /// @dev Proposal args for the next block in the current slot with exactly `data`.
    function _argsWith(bytes memory data) internal view returns (IRollup.ProposeArgs memory) {
        return _proposeArgsWithData(rollup.pendingTip() + 1, data);
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
        // The join recorded for the member count (Staking.memberCount) is a fresh storage slot for the first
        // registration activating in an epoch: about 22k of this.
        _stopMeasure(125_000);
        assertEq(staking.stakerInfo(newcomer).stake, MINIMUM_STAKE, "registered");
    }

    // ------------------------------------------------------------------ proposals

    /// @dev 154 bytes: the header alone.
    function test_gas_propose_0Txs() public {
        _measurePropose(0, 0, 145_000);
    }

    /// @dev 378 bytes.
    function test_gas_propose_1Txs() public {
        _measurePropose(1, 0, 150_000);
    }

    /// @dev 1,050 bytes.
    function test_gas_propose_4Txs() public {
        _measurePropose(4, 0, 155_000);
    }

    /// @dev 3,962 bytes: the most transactions that fit in maxDataBytes (4,096).
    function test_gas_propose_17Txs() public {
        _measurePropose(BlockDataBuilder.maxTxs(MAX_DATA_BYTES), 0, 185_000);
    }

    /// @dev 378 bytes consuming 4 fee deposits (every message slot): one cold inbox word read per message.
    function test_gas_propose_1Txs4Messages() public {
        _measurePropose(1, 4, 165_000);
    }

    /// @dev The second block of the epoch (checkpoint written, parent present) with `txCount` transactions,
    ///      consuming `messages` deposits made just before (not yet due).
    function _measurePropose(uint256 txCount, uint256 messages, uint256 budget) internal {
        vm.pauseGasMetering();
        _proposeBlocks(1);
        _warpToSlot(_currentSlot() + 1);
        for (uint256 i; i < messages; ++i) {
            _deposit(makeAddr(string.concat("payer-", vm.toString(i))), 1 ether + i);
        }
        IRollup.ProposeArgs memory args =
            _proposeArgsWithData(2, BlockDataBuilder.build(_messageWords(0, messages), txCount, txCount));
        // The deposits were earlier transactions: their words are cold for the proposal.
        CoolCheatcode(address(vm)).cool(address(inbox));
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
        (address[] memory ranked,) = _ranking(_currentSlot());
        _proposeAs(ranked[1], _argsWith(_data(1)));
        IRollup.ProposeArgs memory args = _proposeArgsWithData(2, _data(1));

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
        IRollup.ProposeArgs memory args = _argsWith(_data(1));
        address submitter = makeAddr("backup-submitter");
        bytes memory proof = _backupProof(args, submitter);

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

    /// @dev The claim window is an auction: a strictly cheaper quote replaces the standing claim (the old
    ///      bond is released, the new one locked).
    function test_gas_claimReplacement() public {
        vm.pauseGasMetering();
        _proposeBlocks(1);
        _warpToGasEpoch(FIRST_EPOCH + 1);
        _proposeBlocks(1);
        _claim();
        uint256 epoch = _currentEpoch() - 1;
        (address cheaper, uint256 cheaperKey) = _prover("cheaper-prover", 100 ether);
        EpochProofQuote memory quote = _quote(cheaper, epoch, BOND, 500);
        quote.validUntilSlot = (epoch + 1) * GAS_EPOCH_DURATION + CLAIM_WINDOW_SLOTS - 1;
        SignedEpochProofQuote memory signed = _sign(quote, cheaperKey);
        address claimant = _topProposer(_currentSlot());

        vm.prank(claimant);
        _startMeasure();
        rollup.claimEpochProofRight(signed);
        _stopMeasure(130_000);
        assertEq(rollup.claimOf(Epoch.wrap(epoch)).prover, cheaper, "replaced");
        assertEq(escrow.accountOf(prover).locked, 0, "old bond released");
    }

    /// @dev A claimed epoch of 4 blocks, each consuming one fee deposit and declaring 0.5 ether of fees: the
    ///      proof releases the 4 deposits to the pool (one transfer) and credits fees apart from rewards.
    function test_gas_submitEpochProof_4BlocksReleasingDeposits() public {
        vm.pauseGasMetering();
        uint256 slot = _currentSlot();
        for (uint256 i; i < 4; ++i) {
            _warpToSlot(slot + i);
            _deposit(makeAddr("payer"), 1 ether);
            _proposeAs(
                _topProposer(_currentSlot()),
                _proposeArgsWithMessages(rollup.pendingTip() + 1, 1, 0.5 ether, abi.encode(i))
            );
        }
        _warpToGasEpoch(FIRST_EPOCH + 1);
        _proposeBlocks(1);
        _claim();
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 4);
        // The deposits were earlier transactions: the inbox's storage is cold for the proof.
        CoolCheatcode(address(vm)).cool(address(inbox));

        vm.prank(prover);
        _startMeasure();
        rollup.submitEpochProof(Epoch.wrap(FIRST_EPOCH), inputs, proofs);
        _stopMeasure(330_000);
        assertEq(inbox.releasedCursor(), 4, "deposits released");
        assertEq(pool.feeFunds(), 2 ether, "4 ether released, 2 ether of fees credited");
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

    /// @dev The split path with every block whole: its overhead over `submitEpochProof` (16 blocks).
    function test_gas_submitSplitEpochProof_16BlocksWhole() public {
        _measureSubmitSplitEpochProof(16, 0, 470_000);
    }

    /// @dev 16 blocks of 4 chunks each: 64 chunk rows built on L1 (the double's verification included).
    function test_gas_submitSplitEpochProof_16BlocksOf4Chunks() public {
        _measureSubmitSplitEpochProof(16, 4, 800_000);
    }

    /// @dev A claimed epoch of `blocks` blocks, each proven in `chunks` chunks (0: whole), by its prover.
    function _measureSubmitSplitEpochProof(uint256 blocks, uint256 chunks, uint256 budget) internal {
        vm.pauseGasMetering();
        _proposeBlocks(blocks);
        _warpToGasEpoch(FIRST_EPOCH + 1);
        _proposeBlocks(1);
        _claim();
        (uint256[] memory inputs, bytes memory wholeProofs) = _epochProof(1, blocks);
        IRollup.EpochSplit memory split;
        split.chunkCounts = new uint256[](blocks);
        split.intermediateRoots = new uint256[](chunks == 0 ? 0 : blocks * (chunks - 1));
        bytes memory proofs = chunks == 0 ? wholeProofs : _chunkProofs(blocks, chunks, split);

        vm.prank(prover);
        _startMeasure();
        rollup.submitSplitEpochProof(Epoch.wrap(FIRST_EPOCH), inputs, split, proofs);
        _stopMeasure(budget);
        assertEq(rollup.provenTip(), blocks, "proven");
    }

    /// @dev Chunk proofs (for the double) of blocks 1..`blocks`, `chunks` each, for the claimed prover; the
    ///      intermediate roots are stand-ins, written into `split` with the counts.
    function _chunkProofs(uint256 blocks, uint256 chunks, IRollup.EpochSplit memory split)
        internal
        view
        returns (bytes memory proofs)
    {
        uint256[] memory row = new uint256[](Constants.PUBLIC_INPUTS_PER_BLOCK);
        row[Constants.PAYEE_INPUT_INDEX] = uint160(prover);
        for (uint256 n = 1; n <= blocks; ++n) {
            split.chunkCounts[n - 1] = chunks;
            uint256[] storage committed = inputsOf[n];
            for (uint256 w = 2; w < Constants.COMMITTED_INPUTS_PER_BLOCK; ++w) {
                row[w] = committed[w];
            }
            row[1] = committed[0];
            for (uint256 j; j < chunks; ++j) {
                bool last = j == chunks - 1;
                row[0] = row[1];
                row[1] = last ? committed[1] : uint256(keccak256(abi.encode(n, j))) % Constants.FIELD_MODULUS;
                if (!last) split.intermediateRoots[(n - 1) * (chunks - 1) + j] = row[1];
                row[Constants.CHUNK_INPUT_INDEX] = j | (last ? 1 << Constants.CHUNK_LAST_SHIFT : 0);
                proofs = bytes.concat(proofs, chunkVerifier.proofFor(row));
            }
        }
    }

    /// @dev A claimed epoch of 16 blocks proven in two halves: the first is a prefix (no bond release, no
    ///      submission reward), the second completes the epoch.
    function test_gas_submitEpochProof_prefix8Of16Blocks() public {
        _measureSubmitEpochProofPrefix(false, 300_000);
    }

    function test_gas_submitEpochProof_last8Of16Blocks() public {
        _measureSubmitEpochProofPrefix(true, 300_000);
    }

    function _measureSubmitEpochProofPrefix(bool completing, uint256 budget) internal {
        vm.pauseGasMetering();
        _proposeBlocks(16);
        _warpToGasEpoch(FIRST_EPOCH + 1);
        _proposeBlocks(1);
        _claim();
        (uint256[] memory head, bytes memory headProofs) = _epochProof(1, 8);
        (uint256[] memory tail, bytes memory tailProofs) = _epochProof(9, 16);
        vm.startPrank(prover);
        if (completing) {
            rollup.submitEpochProof(Epoch.wrap(FIRST_EPOCH), head, headProofs);
            // A separate L1 transaction: the first half's storage reads must not warm the second's.
            CoolCheatcode cheats = CoolCheatcode(address(vm));
            cheats.cool(address(rollup));
            cheats.cool(address(pool));
            cheats.cool(address(escrow));
            cheats.cool(address(token));
        }
        _startMeasure();
        if (completing) rollup.submitEpochProof(Epoch.wrap(FIRST_EPOCH), tail, tailProofs);
        else rollup.submitEpochProof(Epoch.wrap(FIRST_EPOCH), head, headProofs);
        _stopMeasure(budget);
        vm.stopPrank();
        assertEq(rollup.provenTip(), completing ? 16 : 8, "proven");
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

    // ------------------------------------------------------------------ fee inbox

    /// @dev A deposit in steady state (an earlier deposit exists): the message's two words, the count and
    ///      total, the token transfer.
    function test_gas_deposit() public {
        vm.pauseGasMetering();
        _deposit(makeAddr("earlier"), 1 ether);
        address depositor = makeAddr("fee depositor");
        _fund(depositor, address(inbox), 3 ether);
        address recipient = makeAddr("l2 account");
        // The earlier deposit was another transaction.
        CoolCheatcode(address(vm)).cool(address(inbox));
        CoolCheatcode(address(vm)).cool(address(token));

        vm.prank(depositor);
        _startMeasure();
        inbox.deposit(recipient, 3 ether);
        _stopMeasure(120_000);
        assertEq(inbox.messageCount(), 2, "queued");
    }

    // ------------------------------------------------------------------ staking views (eth_call)

    uint256 internal constant MANY_STAKERS = 1000;

    /// @dev Registers stakers up to MANY_STAKERS in total and warps to the epoch in which all are active.
    function _registerMany() internal {
        address staker;
        for (uint256 i = staking.stakerCount(); i < MANY_STAKERS; ++i) {
            staker = vm.addr(i + 1);
            _fund(staker, address(staking), MINIMUM_STAKE);
            vm.prank(staker);
            staking.register(MINIMUM_STAKE);
        }
        _warpToGasEpoch(staking.stakerInfo(staker).activationEpoch);
    }

    function test_gas_proposersAt_1000Stakers_pageOf250() public {
        _measureView(true, 250, 1_900_000);
    }

    function test_gas_proposersAt_1000Stakers_pageOf1000() public {
        _measureView(true, 1000, 7_500_000);
    }

    function test_gas_membersAt_1000Stakers_pageOf250() public {
        _measureView(false, 250, 1_800_000);
    }

    function test_gas_membersAt_1000Stakers_pageOf1000() public {
        _measureView(false, 1000, 7_200_000);
    }

    /// @dev One page of `limit` registration indices (a middle page for 250) with every staker active, storage
    ///      cold as in an eth_call (the call's own 21000 and calldata are not included).
    function _measureView(bool proposers, uint256 limit, uint256 budget) internal {
        vm.pauseGasMetering();
        _registerMany();
        Epoch epoch = rollup.currentEpoch();
        uint256 start = limit < MANY_STAKERS ? limit : 0;
        // Registration warmed every slot; an eth_call starts cold.
        CoolCheatcode(address(vm)).cool(address(staking));

        _startMeasure();
        (address[] memory page, uint256 next) =
            proposers ? staking.proposersAt(epoch, start, limit) : staking.membersAt(epoch, start, limit);
        _stopMeasure(budget);
        emit log_named_uint(proposers ? "proposersAt gas" : "membersAt gas", measured);
        assertEq(page.length, limit, "every scanned staker is in the set");
        assertEq(next, start + limit, "next page");
    }

    // ------------------------------------------------------------------ data fingerprint

    /// @dev The L1 cost of binding 4,096 bytes of block data (133 chunks), library call alone
    ///      (`forge test --match-test test_gas_dataFingerprint -vv` prints it).
    function test_gas_dataFingerprint_4096Bytes() public {
        vm.pauseGasMetering();
        FingerprintGasHarness harness = new FingerprintGasHarness();
        bytes memory data = new bytes(4096);
        for (uint256 i; i < data.length; ++i) {
            data[i] = bytes1(uint8(uint256(keccak256(abi.encode(i))) % 256));
        }
        vm.resumeGasMetering();
        (uint256 challenge, uint256 evaluation, uint256 used) = harness.evaluate(7, data);
        vm.pauseGasMetering();
        emit log_named_uint("DataFingerprint.evaluate gas, 4096 bytes", used);
        assertLt(used, 30_000, "gas budget");
        assertLt(challenge, FIELD_MODULUS, "challenge in field");
        assertLt(evaluation, FIELD_MODULUS, "evaluation in field");
    }
}
