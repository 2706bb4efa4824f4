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
        // Five txs per block: three chunks of CHUNK_TXS = 2.
        txsPerBlock = 5;
        blocks = _fillEpochSigned();
        assertGe(blocks, 2, "the epoch has blocks");
        _warpToEpoch(epoch + 1);
    }

    function _proof()
        internal
        view
        returns (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof)
    {
        return _committeeProof(1, blocks, submitter);
    }

    function _expectSubmitRevert(
        uint256[] memory inputs,
        ICommitteeRollup.CommitteeProof memory proof,
        bytes memory err
    ) internal {
        vm.expectRevert(err);
        _submitCommittee(submitter, epoch, inputs, proof);
    }

    /// @dev What block `n`'s proposer and each of its chunks are paid, of `amount` (reward or fees).
    function _split(uint256 n, uint256 amount)
        internal
        view
        returns (uint256 proposerShare, uint256 chunkShare)
    {
        uint256 chunks = chunksOf[n];
        uint256 k = signersOf[n].length;
        uint256 bonused = k < COMMITTEE_SIZE ? k : COMMITTEE_SIZE;
        uint256 bps = SEQUENCER_BASE_BPS + SEQUENCER_BONUS_BPS * bonused;
        chunkShare = (amount - amount * bps / 10_000) / chunks;
        proposerShare = amount - chunkShare * chunks;
    }

    // ------------------------------------------------------------------ valid proofs

    function test_submitCommitteeEpochProof_provesTheEpochAndPaysEachChunkItsSigner() public {
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) = _proof();
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
            (uint256 proposerShare, uint256 chunkShare) = _split(n, BLOCK_REWARD);
            expected[_indexOf(paid, rollup.blockLog(n).proposer)] += proposerShare;
            address[] storage signers = signersOf[n];
            assertEq(chunksOf[n], 3, "five txs in chunks of two");
            for (uint256 j; j < 3; ++j) {
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
            _committeeProof(1, 1, submitter);
        _submitCommittee(submitter, epoch, inputs, proof);
        assertEq(rollup.provenTip(), 1, "a prefix");
        assertEq(pool.owed(submitter), 0, "no submission reward for a prefix");
        (inputs, proof) = _committeeProof(2, blocks, submitter);
        _submitCommittee(submitter, epoch, inputs, proof);
        assertEq(rollup.provenTip(), blocks, "the rest");
        assertEq(pool.owed(submitter), PROOF_SUBMISSION_REWARD, "once, for the proof completing the epoch");
    }

    function test_submitCommitteeEpochProof_anySignerMayProveAnyChunkFromTheTakeoverSlot() public {
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) = _proof();
        // Block 1's first chunk goes to its last signer instead of its first.
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
        _proveOldestCommittee(submitter);
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
        // A backup block's chunk count is the submitter's choice: its chunks all pay the sender.
        chunksOf[blocks + 2] = 2;
        _warpToEpoch(epoch + 2);

        uint256 before = pool.owed(submitter);
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) =
            _committeeProof(blocks + 1, blocks + 2, submitter);
        _submitCommittee(submitter, epoch + 1, inputs, proof);
        (uint256 proposerShare, uint256 chunkShare) = _split(blocks + 2, BLOCK_REWARD);
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
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) = _proof();
        proof.split.chunkCounts[1] = 0;
        _expectSubmitRevert(
            inputs, proof, abi.encodeWithSelector(Errors.Rollup__WholeBlockInCommitteeMode.selector, 2)
        );
    }

    /// @dev Regression: the submitter picked each block's chunk count, so it could pad a block with empty
    ///      chunks paying the signers of its choice. A block's count is fixed when it is signed off, by its txs.
    function test_submitCommitteeEpochProof_revertsForAChunkCountOtherThanTheBlocks() public {
        // Block 1 has five txs: three chunks. Padded with a fourth, empty chunk paying its signer 3 mod k, or
        // cut short (which its last chunk's proof could not satisfy anyway).
        uint256[2] memory wrongCounts = [uint256(4), 2];
        for (uint256 i; i < wrongCounts.length; ++i) {
            uint256[] memory counts = new uint256[](blocks);
            for (uint256 b; b < blocks; ++b) {
                counts[b] = chunksOf[b + 1];
            }
            counts[0] = wrongCounts[i];
            (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) =
                _committeeProofWithCounts(1, blocks, counts, submitter);
            _expectSubmitRevert(
                inputs,
                proof,
                abi.encodeWithSelector(
                    Errors.Rollup__SignersMismatch.selector,
                    1,
                    _signersHash(signersOf[1], 3),
                    _signersHash(signersOf[1], wrongCounts[i])
                )
            );
        }
    }

    function test_submitCommitteeEpochProof_revertsForACopiedChunkProof() public {
        // The submitter proves block 1's chunk itself but keeps the assigned signer's index: the proof names the
        // submitter while L1 builds the row for the signer.
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) = _proof();
        bytes memory own =
            chunkVerifier.proofFor(_chunkRow(1, inputsOf[1][0], _root(1, 0), submitter, 0, false));
        bytes memory proofs = proof.proofs;
        for (uint256 i; i < 256; ++i) {
            proofs[i] = own[i];
        }
        _expectSubmitRevert(
            inputs, proof, abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, blocks)
        );
    }

    function test_submitCommitteeEpochProof_revertsForOtherSigners() public {
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) = _proof();
        address[] storage signers = signersOf[1];
        bytes32 expected = _signersHash(signers, chunksOf[1]);
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
                Errors.Rollup__SignersMismatch.selector, 1, expected, _signersHash(swapped, chunksOf[1])
            )
        );
    }

    function test_submitCommitteeEpochProof_revertsForAProverIndexPastTheSigners() public {
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) = _proof();
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
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) = _proof();
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

        uint256 chunks = proof.provers.length;
        proof.provers = new uint256[](chunks - 1);
        _expectSubmitRevert(
            inputs,
            proof,
            abi.encodeWithSelector(Errors.Rollup__InvalidProversLength.selector, chunks, chunks - 1)
        );
    }

    function test_submitCommitteeEpochProof_revertsForTheWrongRows() public {
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) = _proof();
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

    /// @dev Blocks of any size (0 to 17 txs: 1 to 9 chunks) settle exactly every block's reward plus the
    ///      submission reward.
    function testFuzz_submitCommitteeEpochProof_paysExactlyTheRewards(uint256 txs) public {
        _assertPaysExactlyTheRewards(bound(txs, 0, 17));
    }

    function test_submitCommitteeEpochProof_paysExactlyTheRewardsInSevenChunks() public {
        _assertPaysExactlyTheRewards(13);
    }

    /// @dev Proves the set-up epoch, fills the next with blocks of `txs` txs and checks that their proof pays
    ///      exactly their rewards and the submission reward.
    function _assertPaysExactlyTheRewards(uint256 txs) internal {
        _proveOldestCommittee(submitter);
        txsPerBlock = txs;
        uint256 filled = _fillEpochSigned();
        _warpToEpoch(epoch + 2);
        uint256 before = pool.totalOwed();
        _proveOldestCommittee(submitter);
        assertEq(rollup.provenTip(), blocks + filled, "proven");
        assertEq(pool.totalOwed() - before, filled * BLOCK_REWARD + PROOF_SUBMISSION_REWARD, "conserved");
    }

    function _indexOf(address[] memory accounts, address account) internal pure returns (uint256) {
        for (uint256 i; i < accounts.length; ++i) {
            if (accounts[i] == account) return i;
        }
        revert("unknown account");
    }
}
