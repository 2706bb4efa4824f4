// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICommitteeRollup} from "../../contracts/interfaces/ICommitteeRollup.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Constants} from "../../contracts/libraries/Constants.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {CommitteeBase} from "../CommitteeBase.t.sol";

/// @notice Committee epoch proofs: every block in chunks, each chunk paying its assigned signer (any signer
///         from the takeover slot), the signers checked against each block's sign-off hash, copied proofs
///         worthless, and the payments (proposer base plus a bonus per signer, provers the rest per chunk, the
///         submitter the submission reward once).
contract CommitteeRollupProveTest is CommitteeBase {
    uint256 internal epoch;
    uint256 internal blocks;
    address internal submitter = makeAddr("submitter");

    function setUp() public override {
        super.setUp();
        _registerMembers(MEMBERS);
        epoch = _currentEpoch();
        blocks = _fillEpochSigned();
        assertGe(blocks, 2, "the epoch has blocks");
        _warpToEpoch(epoch + 1);
    }

    function _proof(uint256 chunks)
        internal
        view
        returns (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof)
    {
        return _committeeProof(1, blocks, chunks, submitter);
    }

    function _expectSubmitRevert(
        uint256[] memory inputs,
        ICommitteeRollup.CommitteeProof memory proof,
        bytes memory err
    ) internal {
        vm.expectRevert(err);
        _submitCommittee(submitter, epoch, inputs, proof);
    }

    /// @dev What block `n`'s proposer and each of its chunks are paid, of `amount` (reward or fees), with
    ///      `chunks` chunks.
    function _split(uint256 n, uint256 amount, uint256 chunks)
        internal
        view
        returns (uint256 proposerShare, uint256 chunkShare)
    {
        uint256 k = signersOf[n].length;
        uint256 bonused = k < COMMITTEE_SIZE ? k : COMMITTEE_SIZE;
        uint256 bps = SEQUENCER_BASE_BPS + SEQUENCER_BONUS_BPS * bonused;
        chunkShare = (amount - amount * bps / 10_000) / chunks;
        proposerShare = amount - chunkShare * chunks;
    }

    // ------------------------------------------------------------------ valid proofs

    function test_submitCommitteeEpochProof_provesTheEpochAndPaysEachChunkItsSigner() public {
        uint256 chunks = 3;
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) = _proof(chunks);
        vm.expectEmit(address(rollup));
        emit IRollup.EpochProven(Epoch.wrap(epoch), 1, blocks, submitter, submitter);
        _submitCommittee(submitter, epoch, inputs, proof);
        assertEq(rollup.provenTip(), blocks, "every block proven");

        // The expected credits, from the rules written out independently.
        address[] memory paid = new address[](sequencers.length + 1);
        uint256[] memory expected = new uint256[](sequencers.length + 1);
        for (uint256 i; i < sequencers.length; ++i) {
            paid[i] = sequencers[i];
        }
        paid[sequencers.length] = submitter;
        expected[sequencers.length] = PROOF_SUBMISSION_REWARD;
        for (uint256 n = 1; n <= blocks; ++n) {
            (uint256 proposerShare, uint256 chunkShare) = _split(n, BLOCK_REWARD, chunks);
            expected[_indexOf(paid, rollup.blockLog(n).proposer)] += proposerShare;
            address[] storage signers = signersOf[n];
            for (uint256 j; j < chunks; ++j) {
                expected[_indexOf(paid, signers[j % signers.length])] += chunkShare;
            }
        }
        uint256 total;
        for (uint256 i; i < paid.length; ++i) {
            assertEq(pool.owed(paid[i]), expected[i], "credited as the rules say");
            total += expected[i];
        }
        assertEq(total, blocks * BLOCK_REWARD + PROOF_SUBMISSION_REWARD, "every block's reward, once");
    }

    function test_submitCommitteeEpochProof_aPrefixThenTheRestPaysTheSubmissionRewardOnce() public {
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) =
            _committeeProof(1, 1, 1, submitter);
        _submitCommittee(submitter, epoch, inputs, proof);
        assertEq(rollup.provenTip(), 1, "a prefix");
        assertEq(pool.owed(submitter), 0, "no submission reward for a prefix");
        (inputs, proof) = _committeeProof(2, blocks, 1, submitter);
        _submitCommittee(submitter, epoch, inputs, proof);
        assertEq(rollup.provenTip(), blocks, "the rest");
        assertEq(pool.owed(submitter), PROOF_SUBMISSION_REWARD, "once, for the proof completing the epoch");
    }

    function test_submitCommitteeEpochProof_anySignerMayProveAnyChunkFromTheTakeoverSlot() public {
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) = _proof(1);
        // Block 1's only chunk goes to its last signer instead of its first.
        uint256 last = signersOf[1].length - 1;
        proof.provers[0] = last;
        proof.proofs = _chunkProofs(1, proof, submitter);
        Slot takeover = Slot.wrap((epoch + 1) * EPOCH_DURATION + TAKEOVER_SLOTS);
        _expectSubmitRevert(
            inputs,
            proof,
            abi.encodeWithSelector(Errors.Rollup__ChunkNotAssigned.selector, 1, 0, last, 0, takeover)
        );
        _warpToSlot(Slot.unwrap(takeover));
        _submitCommittee(submitter, epoch, inputs, proof);
        assertEq(rollup.provenTip(), blocks, "proven after the takeover");
    }

    function test_submitCommitteeEpochProof_aBackupBlocksChunksPayTheSender() public {
        // Epoch epoch + 1: a signed block, then a backup block in the next slot.
        _proveOldestCommittee(submitter, 1);
        uint256 slot = _currentSlot();
        assertTrue(_proposeTopSignedWithout(address(0)), "a signed block");
        _warpToSlot(slot + 1);
        vm.warp(block.timestamp + PROPOSAL_WINDOW);
        IRollup.ProposeArgs memory args = _proposeArgs("backup");
        address backupProposer = makeAddr("backup proposer");
        bytes memory backupProof = _backupProof(args, backupProposer);
        vm.prank(backupProposer);
        rollup.proposeWithProof(args, backupProof);
        (uint256[] memory row,) = rollup.publicInputsOf(args);
        inputsOf[blocks + 2] = row;
        _warpToEpoch(epoch + 2);

        uint256 before = pool.owed(submitter);
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) =
            _committeeProof(blocks + 1, blocks + 2, 2, submitter);
        _submitCommittee(submitter, epoch + 1, inputs, proof);
        (uint256 proposerShare, uint256 chunkShare) = _split(blocks + 2, BLOCK_REWARD, 2);
        assertEq(proposerShare, BLOCK_REWARD * SEQUENCER_BASE_BPS / 10_000, "no bonus without signers");
        assertEq(pool.owed(backupProposer), proposerShare, "the backup proposer's base share");
        assertEq(
            pool.owed(submitter) - before,
            2 * chunkShare + PROOF_SUBMISSION_REWARD,
            "its chunks pay the sender"
        );
    }

    // ------------------------------------------------------------------ rejected proofs

    function test_submitCommitteeEpochProof_revertsForAWholeBlock() public {
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) = _proof(1);
        proof.split.chunkCounts[1] = 0;
        _expectSubmitRevert(
            inputs, proof, abi.encodeWithSelector(Errors.Rollup__WholeBlockInCommitteeMode.selector, 2)
        );
    }

    function test_submitCommitteeEpochProof_revertsForACopiedChunkProof() public {
        // The submitter proves block 1's chunk itself but keeps the assigned signer's index: the proof names the
        // submitter while L1 builds the row for the signer.
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) = _proof(1);
        bytes memory own =
            chunkVerifier.proofFor(_chunkRow(1, inputsOf[1][0], inputsOf[1][1], submitter, 0, true));
        bytes memory proofs = proof.proofs;
        for (uint256 i; i < 256; ++i) {
            proofs[i] = own[i];
        }
        _expectSubmitRevert(
            inputs, proof, abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, blocks)
        );
    }

    function test_submitCommitteeEpochProof_revertsForOtherSigners() public {
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) = _proof(1);
        address[] storage signers = signersOf[1];
        bytes32 expected = keccak256(abi.encodePacked(signers));
        // Block 1's signers in another order.
        (proof.signers[0], proof.signers[1]) = (proof.signers[1], proof.signers[0]);
        address[] memory swapped = new address[](signers.length);
        for (uint256 i; i < signers.length; ++i) {
            swapped[i] = proof.signers[i];
        }
        _expectSubmitRevert(
            inputs,
            proof,
            abi.encodeWithSelector(
                Errors.Rollup__SignersMismatch.selector, 1, expected, keccak256(abi.encodePacked(swapped))
            )
        );
    }

    function test_submitCommitteeEpochProof_revertsForAProverIndexPastTheSigners() public {
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) = _proof(1);
        uint256 k = signersOf[1].length;
        proof.provers[0] = k;
        _warpToSlot((epoch + 1) * EPOCH_DURATION + TAKEOVER_SLOTS);
        _expectSubmitRevert(
            inputs,
            proof,
            abi.encodeWithSelector(
                Errors.Rollup__ChunkNotAssigned.selector,
                1,
                0,
                k,
                0,
                Slot.wrap((epoch + 1) * EPOCH_DURATION + TAKEOVER_SLOTS)
            )
        );
    }

    function test_submitCommitteeEpochProof_revertsOnMismatchedLengths() public {
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) = _proof(2);
        uint256[] memory counts = proof.signerCounts;
        proof.signerCounts = new uint256[](blocks - 1);
        _expectSubmitRevert(
            inputs,
            proof,
            abi.encodeWithSelector(Errors.Rollup__InvalidSignerCountsLength.selector, blocks, blocks - 1)
        );
        proof.signerCounts = counts;

        address[] memory signers = proof.signers;
        proof.signers = new address[](signers.length + 1);
        _expectSubmitRevert(
            inputs,
            proof,
            abi.encodeWithSelector(
                Errors.Rollup__InvalidSignersLength.selector, signers.length, signers.length + 1
            )
        );
        proof.signers = signers;

        proof.provers = new uint256[](2 * blocks - 1);
        _expectSubmitRevert(
            inputs,
            proof,
            abi.encodeWithSelector(Errors.Rollup__InvalidProversLength.selector, 2 * blocks, 2 * blocks - 1)
        );
    }

    function test_submitCommitteeEpochProof_revertsForTheWrongRows() public {
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) = _proof(1);
        inputs[3] ^= 1;
        bytes32 expected = rollup.blockLog(1).publicInputsHash;
        uint256[] memory row = new uint256[](6);
        for (uint256 w; w < 6; ++w) {
            row[w] = inputs[w];
        }
        _expectSubmitRevert(
            inputs,
            proof,
            abi.encodeWithSelector(
                Errors.Rollup__PublicInputsMismatch.selector, 1, expected, keccak256(abi.encodePacked(row))
            )
        );
    }

    // ------------------------------------------------------------------ fuzz

    /// @dev Any chunk counts settle exactly every block's reward plus the submission reward.
    function testFuzz_submitCommitteeEpochProof_paysExactlyTheRewards(uint256 chunks) public {
        chunks = bound(chunks, 1, 9);
        _assertPaysExactlyTheRewards(chunks);
    }

    function test_submitCommitteeEpochProof_paysExactlyTheRewardsInSevenChunks() public {
        _assertPaysExactlyTheRewards(7);
    }

    function _assertPaysExactlyTheRewards(uint256 chunks) internal {
        uint256 before = pool.totalOwed();
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) = _proof(chunks);
        _submitCommittee(submitter, epoch, inputs, proof);
        assertEq(pool.totalOwed() - before, blocks * BLOCK_REWARD + PROOF_SUBMISSION_REWARD, "conserved");
    }

    function _indexOf(address[] memory accounts, address account) internal pure returns (uint256) {
        for (uint256 i; i < accounts.length; ++i) {
            if (accounts[i] == account) return i;
        }
        revert("unknown account");
    }
}
