// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {IProverEscrow} from "../../contracts/interfaces/IProverEscrow.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {SignedEpochProofQuote} from "../../contracts/libraries/QuoteLib.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";
import {Vm} from "forge-std/Vm.sol";

/// @notice submitEpochProof, following test/core/Rollup.prove.tree. Sequencers are active from epoch 2
///         (slots 8..11); its proof deadline is slot 15, the last slot of epoch 3.
contract RollupProveTest is Base {
    uint256 internal constant EPOCH = 2;
    uint256 internal constant BOND = 20 ether;
    uint32 internal constant FEE_BPS = 1000;

    address internal prover;
    uint256 internal proverKey;

    function setUp() public override {
        super.setUp();
        _registerAndActivate(4);
        assertEq(_currentEpoch(), EPOCH, "sequencers active from epoch 2");
        (prover, proverKey) = _prover("prover", 50 ether);
    }

    // ------------------------------------------------------------------ helpers

    /// @dev The top-ranked sequencer of the current slot claims `prover`'s quote for the previous epoch.
    function _claim(uint256 bond, uint32 fee) internal returns (address claimant) {
        SignedEpochProofQuote memory signed = _sign(_quote(prover, _currentEpoch() - 1, bond, fee), proverKey);
        claimant = _topProposer(_currentSlot());
        vm.prank(claimant);
        rollup.claimEpochProofRight(signed);
    }

    /// @dev Proposes (top rank) in every slot of epoch 2 whose bit is set in `mask` (bit i: slot 8 + i).
    function _proposeInEpoch2(uint256 mask) internal returns (uint256 blocks) {
        for (uint256 i; i < EPOCH_DURATION; ++i) {
            if ((mask >> i) & 1 == 0) continue;
            _warpToSlot(EPOCH * EPOCH_DURATION + i);
            _proposeTop();
            ++blocks;
        }
    }

    function _fees(uint256 blockNumber) internal view returns (uint256) {
        return inputsOf[blockNumber][2] >> 128;
    }

    /// @dev The prover cut of blocks `from..to` at `bps`.
    function _proverCut(uint256 from, uint256 to, uint256 bps) internal view returns (uint256 cut) {
        for (uint256 n = from; n <= to; ++n) {
            cut += (BLOCK_REWARD + _fees(n)) * bps / 10_000;
        }
    }

    /// @dev What `who` earns as proposer of blocks `from..to` at `bps`.
    function _sequencerShare(address who, uint256 from, uint256 to, uint256 bps)
        internal
        view
        returns (uint256 share)
    {
        for (uint256 n = from; n <= to; ++n) {
            uint256 total = BLOCK_REWARD + _fees(n);
            if (rollup.blockLog(n).proposer == who) share += total - total * bps / 10_000;
        }
    }

    function _submit(address submitter, uint256 epoch, uint256[] memory inputs, bytes memory proofs)
        internal
    {
        vm.prank(submitter);
        rollup.submitEpochProof(Epoch.wrap(epoch), inputs, proofs);
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

    // ------------------------------------------------------------------ given no unproven block

    function test_submitEpochProof_revertsWhenNothingWasProposed() public {
        _warpToEpoch(EPOCH + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__NothingToProve.selector, Epoch.wrap(EPOCH)));
        rollup.submitEpochProof(Epoch.wrap(EPOCH), new uint256[](0), "");
    }

    function test_submitEpochProof_revertsWhenEpochAlreadyProven() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 4, address(this));
        _submit(address(this), EPOCH, inputs, proofs);

        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__NothingToProve.selector, Epoch.wrap(EPOCH)));
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);
        assertEq(rollup.provenTip(), 4, "proven tip unchanged");
    }

    // ------------------------------------------------------------------ given unproven blocks: reverts

    function test_submitEpochProof_revertsWhenEpochIsLaterThanTheOldestUnproven() public {
        _proposeInEpoch2(1); // block 1 in slot 8
        _warpToSlot(12);
        _proposeTop(); // block 2 in slot 12, epoch 3
        _warpToEpoch(EPOCH + 2);
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(2, 2, address(this));

        vm.expectRevert(
            abi.encodeWithSelector(Errors.Rollup__InvalidEpochToProve.selector, Epoch.wrap(2), Epoch.wrap(3))
        );
        rollup.submitEpochProof(Epoch.wrap(3), inputs, proofs);
    }

    function test_submitEpochProof_revertsWhenEpochIsEarlierThanTheOldestUnproven() public {
        _proposeInEpoch2(1);
        _warpToSlot(12);
        _proposeTop();
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 1, address(this));
        _submit(address(this), EPOCH, inputs, proofs);
        _warpToEpoch(EPOCH + 2);

        vm.expectRevert(
            abi.encodeWithSelector(Errors.Rollup__InvalidEpochToProve.selector, Epoch.wrap(3), Epoch.wrap(2))
        );
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);
    }

    function test_submitEpochProof_revertsWhenEpochNotEnded() public {
        _fillEpoch();
        assertEq(_currentSlot(), 11, "last slot of epoch 2");
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 4, address(this));

        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__EpochNotEnded.selector, Epoch.wrap(EPOCH), Epoch.wrap(EPOCH)
            )
        );
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);
    }

    function test_submitEpochProof_revertsAfterProofDeadline() public {
        _fillEpoch();
        uint256 deadline = (EPOCH + 1) * EPOCH_DURATION + PROOF_WINDOW_SLOTS - 1;
        assertEq(Slot.unwrap(rollup.proofDeadline(Epoch.wrap(EPOCH))), deadline, "deadline formula");
        assertEq(deadline, 15, "last slot of epoch 3");
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 4, address(this));
        _warpToSlot(deadline + 1);

        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__ProofWindowClosed.selector,
                Epoch.wrap(EPOCH),
                Slot.wrap(deadline),
                Slot.wrap(deadline + 1)
            )
        );
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);
    }

    function test_submitEpochProof_acceptsProofInLastSecondOfDeadlineSlot() public {
        _fillEpoch();
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 4, address(this));
        vm.warp(_slotStart(16) - 1);
        assertEq(_currentSlot(), 15, "deadline slot");

        _submit(address(this), EPOCH, inputs, proofs);
        assertEq(rollup.provenTip(), 4, "proven at the deadline");
    }

    function test_submitEpochProof_revertsWhenPublicInputsAreEmpty() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        (, bytes memory proofs) = _epochProof(1, 4, address(this));

        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidPublicInputsLength.selector, 6, 4, 0));
        rollup.submitEpochProof(Epoch.wrap(EPOCH), new uint256[](0), proofs);
    }

    function test_submitEpochProof_revertsWhenPublicInputsAreNotWholeRows() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        (uint256[] memory rows, bytes memory proofs) = _epochProof(1, 4, address(this));
        uint256[] memory inputs = new uint256[](23);
        for (uint256 i; i < inputs.length; ++i) {
            inputs[i] = rows[i];
        }

        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidPublicInputsLength.selector, 6, 4, 23));
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);
    }

    function test_submitEpochProof_revertsWhenPublicInputsTooLong() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        (uint256[] memory rows, bytes memory proofs) = _epochProof(1, 4, address(this));
        uint256[] memory inputs = new uint256[](30);
        for (uint256 i; i < rows.length; ++i) {
            inputs[i] = rows[i];
        }

        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidPublicInputsLength.selector, 6, 4, 30));
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);
    }

    function test_submitEpochProof_revertsWhenRowsExceedTheRemainingBlocks() public {
        // Blocks 1..2 proven: only 2 rows remain, so all 4 are too many.
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        _proveBlocks(address(this), 2);
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 4, address(this));

        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidPublicInputsLength.selector, 6, 2, 24));
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);
    }

    function test_submitEpochProof_revertsWhenOnePublicInputIsTampered() public {
        // Word 9 is block 2's dataHash.
        _checkTamperedInputReverts(9, 1);
    }

    function testFuzz_submitEpochProof_revertsWhenAnyPublicInputIsTampered(uint256 index, uint256 delta)
        public
    {
        _checkTamperedInputReverts(bound(index, 0, 23), bound(delta, 1, type(uint256).max));
    }

    function _checkTamperedInputReverts(uint256 index, uint256 delta) internal {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 4, address(this));
        unchecked {
            inputs[index] += delta;
        }
        uint256 blockNumber = 1 + index / 6;
        uint256[] memory row = new uint256[](6);
        for (uint256 j; j < 6; ++j) {
            row[j] = inputs[(blockNumber - 1) * 6 + j];
        }
        bytes32 expected = rollup.blockLog(blockNumber).publicInputsHash;
        bytes32 actual = keccak256(abi.encodePacked(row));
        assertTrue(expected != actual, "row changed");

        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__PublicInputsMismatch.selector, blockNumber, expected, actual
            )
        );
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);
    }

    function test_submitEpochProof_revertsWhenVerifierRejectsProof() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 4, address(this));
        proofs[2 * 256] ^= 0x01; // corrupt block 3's proof

        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, 4));
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);
    }

    function test_submitEpochProof_bubblesInvalidProofLengthFromVerifier() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 4, address(this));
        bytes memory truncated = new bytes(proofs.length - 1);
        for (uint256 i; i < truncated.length; ++i) {
            truncated[i] = proofs[i];
        }

        vm.expectRevert(
            abi.encodeWithSelector(
                IProofVerifier.ProofVerifier__InvalidProofLength.selector, 256, 4 * 256 - 1
            )
        );
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, truncated);
    }

    function test_submitEpochProof_bubblesEmptyBatchFromVerifier() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        (uint256[] memory inputs,) = _epochProof(1, 4, address(this));

        vm.expectRevert(abi.encodeWithSelector(IProofVerifier.ProofVerifier__EmptyBatch.selector));
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, "");
    }

    function test_submitEpochProof_bubblesInvalidInputCountWhenAProofIsMissing() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        (uint256[] memory inputs,) = _epochProof(1, 4, address(this));
        (, bytes memory threeProofs) = _epochProof(1, 3, address(this));

        // The verifier counts 8 inputs per proof: the 6 committed words, then the payee and the chunk word the
        // rollup appends.
        vm.expectRevert(
            abi.encodeWithSelector(IProofVerifier.ProofVerifier__InvalidInputCount.selector, 24, 32)
        );
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, threeProofs);
    }

    // ------------------------------------------------------------------ given unproven blocks: valid proof

    function test_submitEpochProof_provesClaimedEpochAndReleasesBondOnce() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        _claim(BOND, FEE_BPS);
        assertEq(escrow.accountOf(prover).locked, BOND, "bond locked");
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 4, prover);

        vm.recordLogs();
        vm.expectEmit(address(rollup));
        emit IRollup.EpochProven(Epoch.wrap(EPOCH), 1, 4, prover, prover);
        vm.expectEmit(address(escrow));
        emit IProverEscrow.BondReleased(prover, BOND);
        _submit(prover, EPOCH, inputs, proofs);
        Vm.Log[] memory logs = vm.getRecordedLogs();

        assertEq(_countLogs(logs, address(escrow), IProverEscrow.BondReleased.selector), 1, "one release");
        assertEq(rollup.provenTip(), 4, "proven tip");
        assertEq(rollup.pendingTip(), 4, "pending tip");
        IRollup.ProofClaim memory claim = rollup.claimOf(Epoch.wrap(EPOCH));
        assertEq(uint8(claim.status), uint8(IRollup.ClaimStatus.Proven), "claim proven");
        IProverEscrow.Account memory account = escrow.accountOf(prover);
        assertEq(account.locked, 0, "nothing locked");
        assertEq(account.free, 50 ether, "whole deposit free again");
        assertEq(pool.owed(prover), PROOF_SUBMISSION_REWARD + _proverCut(1, 4, FEE_BPS), "prover paid");

        // Never released again: the window passes, nothing is prunable, the epoch cannot be re-proven.
        _warpToEpoch(EPOCH + 3);
        assertFalse(rollup.canPrune(), "nothing to prune");
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__NothingToPrune.selector, 4, 4));
        rollup.prune();
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__NothingToProve.selector, Epoch.wrap(EPOCH)));
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);
        assertEq(escrow.accountOf(prover).free, 50 ether, "free balance unchanged");
    }

    function test_submitEpochProof_openProvingPaysSubmitterTheProverShare() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        address openProver = makeAddr("open-prover");
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 4, openProver);

        vm.expectEmit(address(rollup));
        emit IRollup.EpochProven(Epoch.wrap(EPOCH), 1, 4, openProver, openProver);
        _submit(openProver, EPOCH, inputs, proofs);

        assertEq(rollup.provenTip(), 4, "proven tip");
        assertEq(uint8(rollup.claimOf(Epoch.wrap(EPOCH)).status), uint8(IRollup.ClaimStatus.None), "no claim");
        assertEq(
            pool.owed(openProver),
            PROOF_SUBMISSION_REWARD + _proverCut(1, 4, OPEN_PROVING_BPS),
            "open prover paid"
        );
        assertEq(escrow.totalDeposits(), 50 ether, "escrow untouched");
    }

    /// @dev Attack (issue 10, finding 2): a bot copies an open prover's pending submitEpochProof from the
    ///      mempool and sends it first. The proofs name the original prover as payee, the rollup appends the
    ///      copier as payee: verification fails, and the original prover is paid when its own transaction lands.
    function test_submitEpochProof_copiedOpenProofRevertsForTheCopier() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        address openProver = makeAddr("open-prover");
        address copier = makeAddr("copier");
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 4, openProver);

        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, 4));
        _submit(copier, EPOCH, inputs, proofs);
        assertEq(rollup.provenTip(), 0, "nothing proven by the copy");
        assertEq(pool.owed(copier), 0, "copier earns nothing");

        _submit(openProver, EPOCH, inputs, proofs);
        assertEq(rollup.provenTip(), 4, "proven by its prover");
        assertEq(
            pool.owed(openProver),
            PROOF_SUBMISSION_REWARD + _proverCut(1, 4, OPEN_PROVING_BPS),
            "the prover is paid everything"
        );
        assertEq(pool.owed(copier), 0, "copier still earns nothing");
    }

    /// @dev Attack (issue 10, finding 2): for a claimed epoch the payee is the claimed prover whoever sends the
    ///      proofs, so a copier that front-runs the claimed prover's transaction only pays for the prover's
    ///      submission: the cut and the submission reward go to the claimed prover, nothing to the copier.
    function test_submitEpochProof_copiedClaimedProofPaysTheClaimedProver() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        _claim(BOND, FEE_BPS);
        address copier = makeAddr("copier");
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 4, prover);

        vm.expectEmit(address(rollup));
        emit IRollup.EpochProven(Epoch.wrap(EPOCH), 1, 4, prover, copier);
        _submit(copier, EPOCH, inputs, proofs);

        assertEq(
            pool.owed(prover),
            PROOF_SUBMISSION_REWARD + _proverCut(1, 4, FEE_BPS),
            "claimed prover gets it all"
        );
        assertEq(pool.owed(copier), 0, "copier gets nothing, not even the submission reward");
        assertEq(escrow.accountOf(prover).locked, 0, "bond released");
        assertEq(uint8(rollup.claimOf(Epoch.wrap(EPOCH)).status), uint8(IRollup.ClaimStatus.Proven), "proven");

        // A proof naming the copier (its own work) would not have been accepted for a claimed epoch either.
        (inputs, proofs) = _epochProof(1, 4, copier);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__NothingToProve.selector, Epoch.wrap(EPOCH)));
        _submit(copier, EPOCH, inputs, proofs);
    }

    function test_submitEpochProof_claimedEpochRejectsProofsNamingTheSubmitter() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        _claim(BOND, FEE_BPS);
        address outsider = makeAddr("outsider");
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 4, outsider);

        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, 4));
        _submit(outsider, EPOCH, inputs, proofs);
        assertEq(rollup.provenTip(), 0, "the claimed prover is the payee while the claim is open");
    }

    // ------------------------------------------------------------------ given unproven blocks: prefix proofs

    function test_submitEpochProof_prefixOfClaimedEpochKeepsClaimOpen() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        _claim(BOND, FEE_BPS);
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 2, prover);

        vm.recordLogs();
        vm.expectEmit(address(rollup));
        emit IRollup.EpochProven(Epoch.wrap(EPOCH), 1, 2, prover, prover);
        _submit(prover, EPOCH, inputs, proofs);
        assertEq(
            _countLogs(vm.getRecordedLogs(), address(escrow), IProverEscrow.BondReleased.selector),
            0,
            "no release before the epoch is complete"
        );

        assertEq(rollup.provenTip(), 2, "prefix proven");
        assertEq(rollup.pendingTip(), 4, "rest pending");
        assertEq(uint8(rollup.claimOf(Epoch.wrap(EPOCH)).status), uint8(IRollup.ClaimStatus.Claimed), "open");
        assertEq(escrow.accountOf(prover).locked, BOND, "bond still locked");
        assertEq(
            pool.owed(prover), _proverCut(1, 2, FEE_BPS), "cut of the proven blocks, no submission reward"
        );
        for (uint256 i; i < sequencers.length; ++i) {
            assertEq(
                pool.owed(sequencers[i]), _sequencerShare(sequencers[i], 1, 2, FEE_BPS), "proven blocks paid"
            );
        }

        // The rest completes the epoch: bond released, the submission reward paid once.
        (inputs, proofs) = _epochProof(3, 4, prover);
        vm.expectEmit(address(rollup));
        emit IRollup.EpochProven(Epoch.wrap(EPOCH), 3, 4, prover, prover);
        vm.expectEmit(address(escrow));
        emit IProverEscrow.BondReleased(prover, BOND);
        _submit(prover, EPOCH, inputs, proofs);
        assertEq(rollup.provenTip(), 4, "complete");
        assertEq(uint8(rollup.claimOf(Epoch.wrap(EPOCH)).status), uint8(IRollup.ClaimStatus.Proven), "proven");
        assertEq(
            pool.owed(prover), PROOF_SUBMISSION_REWARD + _proverCut(1, 4, FEE_BPS), "paid as for one proof"
        );
    }

    /// @dev Attack (issue 10, finding 3): an open prover splits the epoch into one proof per block to collect
    ///      the submission reward once per submission. Only the proof that completes the epoch earns it.
    function test_submitEpochProof_prefixesCannotFarmTheSubmissionReward() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        address farmer = makeAddr("farmer");
        for (uint256 n = 1; n <= 3; ++n) {
            _proveBlocks(farmer, n);
            assertEq(
                pool.owed(farmer), _proverCut(1, n, OPEN_PROVING_BPS), "no submission reward for a prefix"
            );
        }
        _proveBlocks(farmer, 4);
        assertEq(
            pool.owed(farmer),
            PROOF_SUBMISSION_REWARD + _proverCut(1, 4, OPEN_PROVING_BPS),
            "four submissions, one submission reward"
        );
    }

    function test_submitEpochProof_prefixesByDifferentOpenProversPayEachItsBlocks() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        address first = makeAddr("first-prover");
        address second = makeAddr("second-prover");
        _proveBlocks(first, 1);
        _proveBlocks(second, 4);
        assertEq(pool.owed(first), _proverCut(1, 1, OPEN_PROVING_BPS), "first: block 1 only");
        assertEq(
            pool.owed(second),
            PROOF_SUBMISSION_REWARD + _proverCut(2, 4, OPEN_PROVING_BPS),
            "second: blocks 2..4 and the completion"
        );
    }

    function test_submitEpochProof_prefixRowMustMatchItsBlock() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        _proveBlocks(address(this), 1);
        // Rows of blocks 1..2 offered for blocks 2..3: block 2's commitment differs from block 1's row.
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 2, address(this));
        bytes32 expected = rollup.blockLog(2).publicInputsHash;
        bytes32 actual = keccak256(abi.encodePacked(inputsOf[1]));

        vm.expectRevert(
            abi.encodeWithSelector(Errors.Rollup__PublicInputsMismatch.selector, 2, expected, actual)
        );
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);
    }

    function testFuzz_submitEpochProof_anyPrefixSplitPaysExactlyOnce(uint8 cut1, uint8 cut2) public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        uint256 a = bound(cut1, 1, 4);
        uint256 b = bound(cut2, a, 4);
        address submitter = makeAddr("submitter");
        _proveBlocks(submitter, a);
        if (b > a) _proveBlocks(submitter, b);
        if (b < 4) _proveBlocks(submitter, 4);
        assertEq(rollup.provenTip(), 4, "complete");
        assertEq(
            pool.owed(submitter),
            PROOF_SUBMISSION_REWARD + _proverCut(1, 4, OPEN_PROVING_BPS),
            "same pay as one proof"
        );
    }

    function test_submitEpochProof_anyPrefixSplitPaysExactlyOnce_fixedCuts() public {
        testFuzz_submitEpochProof_anyPrefixSplitPaysExactlyOnce(2, 3);
        assertEq(rollup.provenTip(), 4, "three proofs completed the epoch");
    }

    // ------------------------------------------------------------------ given unproven blocks: epochs and slots

    function test_submitEpochProof_provesPartiallyFilledEpoch() public {
        _checkProvesSubsetOfSlots(0x5); // slots 8 and 10
    }

    function testFuzz_submitEpochProof_provesAnyNonEmptySubsetOfSlots(uint8 mask) public {
        _checkProvesSubsetOfSlots(bound(mask, 1, 15));
    }

    function _checkProvesSubsetOfSlots(uint256 mask) internal {
        uint256 blocks = _proposeInEpoch2(mask);
        IRollup.EpochLog memory log = rollup.epochLog(Epoch.wrap(EPOCH));
        assertEq(log.firstBlock, 1, "first block");
        assertEq(log.blockCount, blocks, "one block per filled slot");
        _warpToEpoch(EPOCH + 1);
        address submitter = makeAddr("submitter");
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, blocks, submitter);

        vm.expectEmit(address(rollup));
        emit IRollup.EpochProven(Epoch.wrap(EPOCH), 1, blocks, submitter, submitter);
        _submit(submitter, EPOCH, inputs, proofs);

        assertEq(rollup.provenTip(), blocks, "every block proven");
        assertEq(
            pool.owed(submitter),
            PROOF_SUBMISSION_REWARD + _proverCut(1, blocks, OPEN_PROVING_BPS),
            "paid per block"
        );
    }

    function test_proposeWithProof_revertsForASlotOfAnEndedEpoch() public {
        // Epoch 2 ends with an empty slot 11 and is proven in the first second of epoch 3. Slot 11's backup
        // window ends with the slot (proposalWindow + backupWindow <= slotDuration): an ended epoch takes no
        // more blocks.
        _proposeInEpoch2(0x7); // blocks 1..3 in slots 8..10
        _warpToEpoch(EPOCH + 1);
        _claim(BOND, FEE_BPS);
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 3, prover);
        _submit(prover, EPOCH, inputs, proofs);

        IRollup.ProposeArgs memory args = _proposeArgs("late backup");
        args.header.slot = Slot.wrap(11);
        address submitter = makeAddr("backup-submitter");
        bytes memory proof = _backupProof(args, submitter);
        uint256 opensAt = _slotStart(11) + PROPOSAL_WINDOW;
        uint256 epochEnd = _slotStart(12);
        vm.warp(epochEnd);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__BackupWindowClosed.selector, Slot.wrap(11), opensAt, epochEnd, epochEnd
            )
        );
        vm.prank(submitter);
        rollup.proposeWithProof(args, proof);
        assertEq(rollup.epochLog(Epoch.wrap(EPOCH)).blockCount, 3, "epoch 2 unchanged");
        assertEq(rollup.provenTip(), 3, "proven tip unchanged");
    }

    function test_submitEpochProof_provesOnlyTheOldestEpochThenTheNext() public {
        _proposeInEpoch2(0x3); // blocks 1, 2 in slots 8, 9
        _warpToSlot(12);
        _proposeTop(); // block 3 in epoch 3
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 2, address(this));

        vm.expectEmit(address(rollup));
        emit IRollup.EpochProven(Epoch.wrap(EPOCH), 1, 2, address(this), address(this));
        _submit(address(this), EPOCH, inputs, proofs);
        assertEq(rollup.provenTip(), 2, "epoch 2 proven");
        assertEq(rollup.pendingTip(), 3, "epoch 3 still pending");

        _warpToEpoch(EPOCH + 2);
        (inputs, proofs) = _epochProof(3, 3, address(this));
        vm.expectEmit(address(rollup));
        emit IRollup.EpochProven(Epoch.wrap(EPOCH + 1), 3, 3, address(this), address(this));
        _submit(address(this), EPOCH + 1, inputs, proofs);
        assertEq(rollup.provenTip(), 3, "epoch 3 proven");
    }
}
