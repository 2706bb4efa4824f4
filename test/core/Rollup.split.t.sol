// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Constants} from "../../contracts/libraries/Constants.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {Epoch} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";

/// @notice submitSplitEpochProof with the CommitmentVerifier doubles: the rows L1 builds for whole blocks and
///         for chunks, the split's shape checks, and that a split proof settles exactly as a whole one. The real
///         chunk proofs are in test/verifier/RollupRealProofs.t.sol. Sequencers are active from epoch 2 (slots
///         8..11), proven in epoch 3.
contract RollupSplitTest is Base {
    uint256 internal constant EPOCH = 2;
    uint256 internal constant BLOCKS = 4;
    uint256 internal constant LAST_FLAG = 1 << 8;

    function setUp() public override {
        super.setUp();
        _registerAndActivate(4);
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
    }

    // ------------------------------------------------------------------ helpers

    /// @dev A stand-in intermediate root: chunk `j` of block `blockNumber`.
    function _root(uint256 blockNumber, uint256 j) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode("root", blockNumber, j))) % Constants.FIELD_MODULUS;
    }

    /// @dev The verifier row of one proof: the block's committed words with the given roots, then the payee and
    ///      the chunk word; written out word by word, independently of the rollup's assembly.
    function _row(uint256 blockNumber, uint256 fromRoot, uint256 toRoot, address payee, uint256 chunkWord)
        internal
        view
        returns (uint256[] memory row)
    {
        uint256[] storage committed = inputsOf[blockNumber];
        row = new uint256[](8);
        row[0] = fromRoot;
        row[1] = toRoot;
        for (uint256 w = 2; w < 6; ++w) {
            row[w] = committed[w];
        }
        row[6] = uint256(uint160(payee));
        row[7] = chunkWord;
    }

    /// @dev The submission of blocks 1..4 split by `counts`, every proof made for `payee`.
    function _split(uint256[BLOCKS] memory counts, address payee)
        internal
        view
        returns (uint256[] memory inputs, IRollup.EpochSplit memory split, bytes memory proofs)
    {
        (inputs,) = _epochProof(1, BLOCKS, payee);
        split.chunkCounts = new uint256[](BLOCKS);
        uint256 rootCount;
        for (uint256 b; b < BLOCKS; ++b) {
            split.chunkCounts[b] = counts[b];
            if (counts[b] > 0) rootCount += counts[b] - 1;
        }
        split.intermediateRoots = new uint256[](rootCount);
        bytes memory chunkProofs;
        uint256 at;
        for (uint256 b; b < BLOCKS; ++b) {
            if (counts[b] == 0) {
                proofs = bytes.concat(proofs, _blockProof(inputsOf[b + 1], payee));
            } else {
                chunkProofs = bytes.concat(chunkProofs, _chunkProofs(b + 1, counts[b], payee, split, at));
                at += counts[b] - 1;
            }
        }
        proofs = bytes.concat(proofs, chunkProofs);
    }

    /// @dev The `count` chunk proofs of block `n` for `payee`; writes its roots into the split from `at`.
    function _chunkProofs(
        uint256 n,
        uint256 count,
        address payee,
        IRollup.EpochSplit memory split,
        uint256 at
    ) internal view returns (bytes memory proofs) {
        uint256 from = inputsOf[n][0];
        for (uint256 j; j < count; ++j) {
            bool last = j == count - 1;
            uint256 to = last ? inputsOf[n][1] : _root(n, j);
            if (!last) split.intermediateRoots[at + j] = to;
            uint256 word = j | (last ? LAST_FLAG : 0);
            proofs = bytes.concat(proofs, chunkVerifier.proofFor(_row(n, from, to, payee, word)));
            from = to;
        }
    }

    function _submitSplit(uint256[] memory inputs, IRollup.EpochSplit memory split, bytes memory proofs)
        internal
    {
        rollup.submitSplitEpochProof(Epoch.wrap(EPOCH), inputs, split, proofs);
    }

    /// @dev What the payee and each proposer are owed once the epoch is proven.
    function _owedAfterProof() internal view returns (uint256[] memory owed) {
        owed = new uint256[](BLOCKS + 1);
        owed[0] = pool.owed(address(this));
        for (uint256 n = 1; n <= BLOCKS; ++n) {
            owed[n] = pool.owed(rollup.blockLog(n).proposer);
        }
    }

    // ------------------------------------------------------------------ valid splits

    function test_submitSplitEpochProof_mixOfWholeAndChunkedBlocksSettlesAsAWholeProof() public {
        uint256 snapshot = vm.snapshotState();
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, BLOCKS, address(this));
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);
        uint256[] memory wholeOwed = _owedAfterProof();
        vm.revertToState(snapshot);

        (uint256[] memory splitInputs, IRollup.EpochSplit memory split, bytes memory splitProofs) =
            _split([uint256(0), 2, 1, 3], address(this));
        assertEq(split.intermediateRoots.length, 1 + 0 + 2, "n - 1 roots per split block");
        assertEq(splitProofs.length, (1 + 2 + 1 + 3) * 256, "one proof per whole block and per chunk");
        vm.expectEmit(address(rollup));
        emit IRollup.EpochProven(Epoch.wrap(EPOCH), 1, BLOCKS, address(this), address(this));
        _submitSplit(splitInputs, split, splitProofs);

        assertEq(rollup.provenTip(), BLOCKS, "all blocks proven");
        uint256[] memory splitOwed = _owedAfterProof();
        for (uint256 i; i <= BLOCKS; ++i) {
            assertEq(splitOwed[i], wholeOwed[i], "same payments as the whole-block proof");
        }
        assertGt(splitOwed[0], 0, "the payee is paid");
    }

    function test_submitSplitEpochProof_allBlocksWholeIsSubmitEpochProof() public {
        (uint256[] memory inputs, IRollup.EpochSplit memory split, bytes memory proofs) =
            _split([uint256(0), 0, 0, 0], address(this));
        _submitSplit(inputs, split, proofs);
        assertEq(rollup.provenTip(), BLOCKS);
    }

    function test_submitSplitEpochProof_allBlocksChunkedNeedsOnlyTheChunkVerifier() public {
        (uint256[] memory inputs, IRollup.EpochSplit memory split, bytes memory proofs) =
            _split([uint256(2), 2, 2, 2], address(this));
        _submitSplit(inputs, split, proofs);
        assertEq(rollup.provenTip(), BLOCKS);
    }

    function testFuzz_submitSplitEpochProof_acceptsAnySplit(uint256 seed) public {
        uint256[BLOCKS] memory counts;
        for (uint256 b; b < BLOCKS; ++b) {
            counts[b] = uint256(keccak256(abi.encode(seed, b))) % 6;
        }
        (uint256[] memory inputs, IRollup.EpochSplit memory split, bytes memory proofs) =
            _split(counts, address(this));
        _submitSplit(inputs, split, proofs);
        assertEq(rollup.provenTip(), BLOCKS);
    }

    function test_submitSplitEpochProof_provesAPrefixOfTheEpoch() public {
        (uint256[] memory inputs,) = _epochProof(1, 2, address(this));
        IRollup.EpochSplit memory split;
        split.chunkCounts = new uint256[](2);
        split.chunkCounts[1] = 1;
        bytes memory chunk =
            chunkVerifier.proofFor(_row(2, inputsOf[2][0], inputsOf[2][1], address(this), LAST_FLAG));
        bytes memory proofs = bytes.concat(_blockProof(inputsOf[1], address(this)), chunk);
        _submitSplit(inputs, split, proofs);
        assertEq(rollup.provenTip(), 2, "a one-chunk block is a whole block under the chunk key");
    }

    // ------------------------------------------------------------------ the split's shape

    function test_submitSplitEpochProof_revertsWhenACountIsMissing() public {
        (uint256[] memory inputs, IRollup.EpochSplit memory split, bytes memory proofs) =
            _split([uint256(0), 2, 1, 3], address(this));
        uint256[] memory three = new uint256[](3);
        split.chunkCounts = three;
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidChunkCountsLength.selector, 4, 3));
        _submitSplit(inputs, split, proofs);
    }

    function test_submitSplitEpochProof_revertsWhenABlockHasTooManyChunks() public {
        (uint256[] memory inputs, IRollup.EpochSplit memory split, bytes memory proofs) =
            _split([uint256(0), 2, 1, 3], address(this));
        split.chunkCounts[2] = Constants.MAX_CHUNKS_PER_BLOCK + 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__TooManyChunks.selector, 3, Constants.MAX_CHUNKS_PER_BLOCK + 1, 256
            )
        );
        _submitSplit(inputs, split, proofs);
    }

    function test_submitSplitEpochProof_revertsWhenARootIsMissingOrExtra() public {
        (uint256[] memory inputs, IRollup.EpochSplit memory split, bytes memory proofs) =
            _split([uint256(0), 2, 1, 3], address(this));
        split.intermediateRoots = new uint256[](2);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidIntermediateRootsLength.selector, 3, 2));
        _submitSplit(inputs, split, proofs);
        split.intermediateRoots = new uint256[](4);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidIntermediateRootsLength.selector, 3, 4));
        _submitSplit(inputs, split, proofs);
    }

    function test_submitSplitEpochProof_revertsWhenAProofIsMissing() public {
        (uint256[] memory inputs, IRollup.EpochSplit memory split, bytes memory proofs) =
            _split([uint256(0), 2, 1, 3], address(this));
        bytes memory short = new bytes(proofs.length - 256);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Rollup__InvalidProofsLength.selector, 7 * 256, short.length)
        );
        _submitSplit(inputs, split, short);
    }

    function test_submitSplitEpochProof_stillChecksTheCommitments() public {
        (uint256[] memory inputs, IRollup.EpochSplit memory split, bytes memory proofs) =
            _split([uint256(0), 2, 1, 3], address(this));
        inputs[6 + 3] ^= 1; // block 2's data hash
        vm.expectPartialRevert(Errors.Rollup__PublicInputsMismatch.selector);
        _submitSplit(inputs, split, proofs);
    }

    // ------------------------------------------------------------------ rows the verifiers must reject

    function test_submitSplitEpochProof_revertsWhenAnIntermediateRootDiffersFromItsChunkProofs() public {
        (uint256[] memory inputs, IRollup.EpochSplit memory split, bytes memory proofs) =
            _split([uint256(0), 2, 1, 3], address(this));
        split.intermediateRoots[1] ^= 1;
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, BLOCKS));
        _submitSplit(inputs, split, proofs);
    }

    function test_submitSplitEpochProof_revertsWhenChunkProofsAreReordered() public {
        (uint256[] memory inputs, IRollup.EpochSplit memory split, bytes memory proofs) =
            _split([uint256(0), 2, 0, 0], address(this));
        // Whole blocks 1, 3, 4 first, then block 2's two chunks: swap the chunks.
        for (uint256 i; i < 256; ++i) {
            (proofs[3 * 256 + i], proofs[4 * 256 + i]) = (proofs[4 * 256 + i], proofs[3 * 256 + i]);
        }
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, BLOCKS));
        _submitSplit(inputs, split, proofs);
    }

    function test_submitSplitEpochProof_revertsWhenAChunkClaimsToBeTheLastTooEarly() public {
        (uint256[] memory inputs, IRollup.EpochSplit memory split, bytes memory proofs) =
            _split([uint256(0), 0, 0, 2], address(this));
        // A first chunk proven as the last one, ending at the block's root: the rollup builds it as chunk 0 of 2.
        bytes memory early = chunkVerifier.proofFor(
            _row(4, inputsOf[4][0], split.intermediateRoots[0], address(this), LAST_FLAG)
        );
        for (uint256 i; i < 256; ++i) {
            proofs[3 * 256 + i] = early[i];
        }
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, BLOCKS));
        _submitSplit(inputs, split, proofs);
    }

    function test_submitSplitEpochProof_revertsWhenAWholeBlockProofStandsForOneChunk() public {
        (uint256[] memory inputs, IRollup.EpochSplit memory split, bytes memory proofs) =
            _split([uint256(0), 0, 0, 0], address(this));
        // Same row (chunk word 1 << 8), other circuit: the chunk verifier rejects the block proof.
        split.chunkCounts[3] = 1;
        (, bytes memory wholeProofs) = _epochProof(1, BLOCKS, address(this));
        assertEq(keccak256(proofs), keccak256(wholeProofs));
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, BLOCKS));
        _submitSplit(inputs, split, proofs);
    }

    function test_submitSplitEpochProof_copiedProofsRevertForTheCopier() public {
        (uint256[] memory inputs, IRollup.EpochSplit memory split, bytes memory proofs) =
            _split([uint256(0), 2, 1, 3], address(this));
        vm.prank(makeAddr("copier"));
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, BLOCKS));
        _submitSplit(inputs, split, proofs);
    }
}
