// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FeeInbox} from "../../contracts/core/FeeInbox.sol";
import {ProverEscrow} from "../../contracts/core/ProverEscrow.sol";
import {RewardPool} from "../../contracts/core/RewardPool.sol";
import {Rollup} from "../../contracts/core/Rollup.sol";
import {Staking} from "../../contracts/core/Staking.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Constants} from "../../contracts/libraries/Constants.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {BlockProofVerifier} from "../../contracts/verifier/BlockProofVerifier.sol";
import {ChunkProofVerifier} from "../../contracts/verifier/ChunkProofVerifier.sol";
import {Base} from "../Base.t.sol";
import {BlockDataBuilder} from "../helpers/BlockDataBuilder.sol";

/// @notice The rollup with the real generated verifier and the real devnet chain of
///         test/fixtures/epoch.json: blocks 1-4 at slots 8-11 (epoch 2), proven in epoch 3 with
///         their Groth16 proofs (made for the fixture's `epochPayee`), and block 5 for slot 13 in
///         backup mode (its proof made for `backupBlock.payee`). The attacks of issue 10 that involve
///         a proof are replayed here with the real proofs.
contract RollupRealProofsTest is Base {
    uint256 internal constant BLOCKS = 4;
    uint256 internal constant FIXTURE_EPOCH = 2;

    BlockProofVerifier internal realVerifier;
    ChunkProofVerifier internal realChunkVerifier;
    string internal json;

    function setUp() public override {
        super.setUp();
        json = vm.readFile(string.concat(vm.projectRoot(), "/test/fixtures/epoch.json"));
        realVerifier = new BlockProofVerifier();
        realChunkVerifier = new ChunkProofVerifier();
        // The suite again, with the real verifier and the fixture's genesis state root.
        uint256 nonce = vm.getNonce(address(this));
        address predictedRollup = vm.computeCreateAddress(address(this), nonce + 4);
        staking = new Staking(token, predictedRollup, _stakingConfig());
        escrow = new ProverEscrow(token, predictedRollup, ESCROW_WITHDRAWAL_DELAY);
        pool = new RewardPool(token, predictedRollup);
        inbox = new FeeInbox(token, predictedRollup, address(pool), INCLUSION_DELAY);
        IRollup.Config memory config = _rollupConfig();
        config.genesisStateRoot = vm.parseJsonBytes32(json, ".genesisStateRoot");
        rollup = new Rollup(staking, escrow, pool, realVerifier, realChunkVerifier, config, inbox);
        assertEq(address(rollup), predictedRollup, "rollup address prediction");
        token.mint(address(this), POOL_FUNDING);
        token.approve(address(pool), POOL_FUNDING);
        pool.fund(POOL_FUNDING);
        // Registered at genesis: active from epoch 2 (entry period 60 s, lag 1).
        _registerAndActivate(3);
        assertEq(_currentEpoch(), FIXTURE_EPOCH);
    }

    function _path(string memory blockKey, string memory field) internal pure returns (string memory) {
        return string.concat(blockKey, ".", field);
    }

    function _blockKey(uint256 i) internal pure returns (string memory) {
        return string.concat(".blocks[", vm.toString(i), "]");
    }

    /// @dev The proposal of a fixture block, its header from the fixture.
    function _args(string memory key) internal view returns (IRollup.ProposeArgs memory args) {
        args.header = IRollup.BlockHeader({
            blockNumber: vm.parseJsonUint(json, _path(key, "blockNumber")),
            slot: Slot.wrap(vm.parseJsonUint(json, _path(key, "slot"))),
            prevStateRoot: vm.parseJsonBytes32(json, _path(key, "prevStateRoot")),
            newStateRoot: vm.parseJsonBytes32(json, _path(key, "newStateRoot")),
            totalFees: vm.parseJsonUint(json, _path(key, "totalFees")),
            dataHash: vm.parseJsonUint(json, _path(key, "dataHash"))
        });
        args.data = vm.parseJsonBytes(json, _path(key, "data"));
    }

    /// @dev Deposits the fee messages that `args` consumes and the inbox does not hold yet (version-2 data), so
    ///      the fixture's blocks find their messages on L1 and its fees have consumed deposits behind them.
    function _depositMessagesOf(IRollup.ProposeArgs memory args) internal {
        bytes memory data = args.data;
        if (data.length < Constants.DATA_HEADER_BYTES || uint8(data[0]) != Constants.DATA_VERSION) return;
        uint256 count = uint8(data[Constants.MESSAGE_COUNT_OFFSET]);
        uint256 cursor = rollup.blockLog(args.header.blockNumber - 1).inboxCursor;
        for (uint256 i; i < count; ++i) {
            if (cursor + i < inbox.messageCount()) continue;
            uint256 offset = BlockDataBuilder.messageOffset(i);
            uint256 word;
            assembly ("memory-safe") {
                word := mload(add(add(data, 0x20), offset))
            }
            // forge-lint: disable-next-line(unsafe-typecast) -- the low 96 bits: the amount
            _deposit(address(uint160(word >> 96)), uint96(word));
        }
    }

    /// @dev Proposes the four epoch blocks at their slots, each by an eligible sequencer, and
    ///      checks the L1 public inputs (fingerprint z, y included) against the Rust ones.
    function _proposeFixtureEpoch() internal {
        for (uint256 i; i < BLOCKS; ++i) {
            string memory key = _blockKey(i);
            IRollup.ProposeArgs memory args = _args(key);
            _warpToSlot(Slot.unwrap(args.header.slot));
            _depositMessagesOf(args);
            address proposer = _topProposer(_currentSlot());
            vm.prank(proposer);
            rollup.propose(args);
            (uint256[] memory inputs,) = rollup.publicInputsOf(args);
            assertEq(inputs, vm.parseJsonUintArray(json, _path(key, "publicInputs")), key);
        }
        assertEq(rollup.pendingTip(), BLOCKS);
    }

    function test_publicInputsOf_matchesRustForEveryBlock() public {
        _proposeFixtureEpoch();
        assertEq(
            rollup.blockLog(BLOCKS).stateRoot, vm.parseJsonBytes32(json, _path(_blockKey(3), "newStateRoot"))
        );
    }

    function _epochPayee() internal view returns (address) {
        return vm.parseJsonAddress(json, ".epochPayee");
    }

    function _epochInputs() internal view returns (uint256[] memory) {
        return vm.parseJsonUintArray(json, ".epochPublicInputs");
    }

    function test_submitEpochProof_provesTheEpochWithRealProofs() public {
        _proposeFixtureEpoch();
        _warpToEpoch(FIXTURE_EPOCH + 1);
        bytes memory proofs = vm.parseJsonBytes(json, ".verifier.batchProofs");
        // Open proving: the sender is the payee the proofs were made for.
        vm.prank(_epochPayee());
        rollup.submitEpochProof(Epoch.wrap(FIXTURE_EPOCH), _epochInputs(), proofs);
        assertEq(rollup.provenTip(), BLOCKS);
        assertGt(pool.owed(_epochPayee()), 0, "the payee earned the prover share");
    }

    /// @dev Attack (issue 10, finding 2): the open-proving epoch proof is copied from the mempool and
    ///      sent first by another address. L1 verifies it with the copier as payee: it fails.
    function test_submitEpochProof_attack_copiedRealProofRevertsForTheCopier() public {
        _proposeFixtureEpoch();
        _warpToEpoch(FIXTURE_EPOCH + 1);
        bytes memory proofs = vm.parseJsonBytes(json, ".verifier.batchProofs");
        address copier = makeAddr("copier");
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, BLOCKS));
        vm.prank(copier);
        rollup.submitEpochProof(Epoch.wrap(FIXTURE_EPOCH), _epochInputs(), proofs);
        assertEq(rollup.provenTip(), 0);
        assertEq(pool.owed(copier), 0);
    }

    /// @dev Finding 3 with real proofs: the epoch is proven as a prefix of two blocks, then the rest;
    ///      each part is one batched pairing over its own proofs.
    function test_submitEpochProof_provesTheEpochInTwoRealPrefixes() public {
        _proposeFixtureEpoch();
        _warpToEpoch(FIXTURE_EPOCH + 1);
        uint256[] memory all = _epochInputs();
        uint256 rowWords = all.length / BLOCKS;
        uint256[] memory head = new uint256[](2 * rowWords);
        uint256[] memory tail = new uint256[](2 * rowWords);
        for (uint256 i; i < head.length; ++i) {
            head[i] = all[i];
            tail[i] = all[head.length + i];
        }
        bytes memory headProofs = bytes.concat(
            vm.parseJsonBytes(json, _path(_blockKey(0), "proof")),
            vm.parseJsonBytes(json, _path(_blockKey(1), "proof"))
        );
        bytes memory tailProofs = bytes.concat(
            vm.parseJsonBytes(json, _path(_blockKey(2), "proof")),
            vm.parseJsonBytes(json, _path(_blockKey(3), "proof"))
        );
        vm.startPrank(_epochPayee());
        rollup.submitEpochProof(Epoch.wrap(FIXTURE_EPOCH), head, headProofs);
        assertEq(rollup.provenTip(), 2);
        // The second half's proofs cannot stand in for the first half's blocks.
        uint256[] memory firstRow = new uint256[](rowWords);
        for (uint256 i; i < rowWords; ++i) {
            firstRow[i] = head[i];
        }
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__PublicInputsMismatch.selector,
                3,
                rollup.blockLog(3).publicInputsHash,
                keccak256(abi.encodePacked(firstRow))
            )
        );
        rollup.submitEpochProof(Epoch.wrap(FIXTURE_EPOCH), head, headProofs);
        rollup.submitEpochProof(Epoch.wrap(FIXTURE_EPOCH), tail, tailProofs);
        vm.stopPrank();
        assertEq(rollup.provenTip(), BLOCKS);
    }

    /// @dev The fixture's split submission: block 1 whole, block 2 in two chunks, block 3 in one, block 4 in
    ///      two, every chunk a real proof of the chunk circuit.
    function _split() internal view returns (IRollup.EpochSplit memory split, bytes memory proofs) {
        split.chunkCounts = vm.parseJsonUintArray(json, ".split.chunkCounts");
        split.intermediateRoots = vm.parseJsonUintArray(json, ".split.intermediateRoots");
        proofs = vm.parseJsonBytes(json, ".split.proofs");
    }

    function test_chunkVerifier_isTheFixturesChunkKey() public view {
        assertEq(
            realChunkVerifier.verificationKeyHash(),
            vm.parseJsonBytes32(json, ".split.chunkVerificationKeyHash")
        );
        assertTrue(realChunkVerifier.verificationKeyHash() != realVerifier.verificationKeyHash());
    }

    function test_submitSplitEpochProof_provesTheEpochWithRealChunkProofs() public {
        _proposeFixtureEpoch();
        _warpToEpoch(FIXTURE_EPOCH + 1);
        (IRollup.EpochSplit memory split, bytes memory proofs) = _split();
        assertEq(split.chunkCounts, _counts([uint256(0), 2, 1, 2]));
        vm.prank(_epochPayee());
        rollup.submitSplitEpochProof(Epoch.wrap(FIXTURE_EPOCH), _epochInputs(), split, proofs);
        assertEq(rollup.provenTip(), BLOCKS);
        assertGt(pool.owed(_epochPayee()), 0, "the payee earned the prover share");
    }

    /// @dev The rows L1 builds for the chunks are exactly the inputs the Rust prover proved them with.
    function test_submitSplitEpochProof_chunkRowsAreTheProversInputs() public view {
        (IRollup.EpochSplit memory split, bytes memory proofs) = _split();
        uint256[] memory rows = vm.parseJsonUintArray(json, ".split.chunkVerifierInputs");
        bytes memory chunkProofs = new bytes(proofs.length - 256);
        for (uint256 i; i < chunkProofs.length; ++i) {
            chunkProofs[i] = proofs[256 + i];
        }
        assertTrue(realChunkVerifier.verifyBatch(chunkProofs, rows), "the chunk proofs verify as a batch");
        // Chunk 0 of block 2 starts at block 2's committed root and ends at the first intermediate root.
        uint256[] memory inputs = _epochInputs();
        assertEq(rows[0], inputs[6], "block 2's previous root");
        assertEq(rows[1], split.intermediateRoots[0], "chunk 0's root");
        assertEq(rows[7], 0, "chunk 0, not the last");
        assertEq(rows[8 + 7], 1 | 1 << 8, "chunk 1, the last");
        assertEq(rows[8 + 1], inputs[6 + 1], "the last chunk ends at block 2's root");
    }

    function test_submitSplitEpochProof_attack_copiedRealChunkProofsRevertForTheCopier() public {
        _proposeFixtureEpoch();
        _warpToEpoch(FIXTURE_EPOCH + 1);
        (IRollup.EpochSplit memory split, bytes memory proofs) = _split();
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, BLOCKS));
        vm.prank(makeAddr("copier"));
        rollup.submitSplitEpochProof(Epoch.wrap(FIXTURE_EPOCH), _epochInputs(), split, proofs);
    }

    /// @dev A prover who claims another intermediate root (say, one skipping a chunk's writes) fails: the
    ///      chunk proofs on both sides of it were made for the real root.
    function test_submitSplitEpochProof_attack_forgedIntermediateRootReverts() public {
        _proposeFixtureEpoch();
        _warpToEpoch(FIXTURE_EPOCH + 1);
        (IRollup.EpochSplit memory split, bytes memory proofs) = _split();
        split.intermediateRoots[1] = split.intermediateRoots[0];
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, BLOCKS));
        vm.prank(_epochPayee());
        rollup.submitSplitEpochProof(Epoch.wrap(FIXTURE_EPOCH), _epochInputs(), split, proofs);
    }

    /// @dev Block 4's first chunk alone cannot pass as the whole block: the count says 1 chunk, so L1 asks a
    ///      proof of chunk 0 as the last one, ending at the block's root.
    function test_submitSplitEpochProof_attack_droppingTheLastChunkReverts() public {
        _proposeFixtureEpoch();
        _warpToEpoch(FIXTURE_EPOCH + 1);
        (IRollup.EpochSplit memory split, bytes memory proofs) = _split();
        split.chunkCounts[3] = 1;
        uint256[] memory roots = new uint256[](1);
        roots[0] = split.intermediateRoots[0];
        split.intermediateRoots = roots;
        bytes memory shorter = new bytes(proofs.length - 256);
        for (uint256 i; i < shorter.length; ++i) {
            shorter[i] = proofs[i];
        }
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, BLOCKS));
        vm.prank(_epochPayee());
        rollup.submitSplitEpochProof(Epoch.wrap(FIXTURE_EPOCH), _epochInputs(), split, shorter);
    }

    /// @dev L1 cost of the fixture epoch with the real verifiers: four whole-block proofs in one batch, against
    ///      the split (block 1 whole, blocks 2-4 as five chunks: two batches, six proofs). Execution gas of
    ///      the call, reported for docs/proving.md; both must prove the epoch.
    function test_gas_submitEpochProof_wholeVersusSplit() public {
        _proposeFixtureEpoch();
        _warpToEpoch(FIXTURE_EPOCH + 1);
        uint256 snapshot = vm.snapshotState();
        bytes memory proofs = vm.parseJsonBytes(json, ".verifier.batchProofs");
        vm.prank(_epochPayee());
        uint256 before = gasleft();
        rollup.submitEpochProof(Epoch.wrap(FIXTURE_EPOCH), _epochInputs(), proofs);
        uint256 whole = before - gasleft();
        assertEq(rollup.provenTip(), BLOCKS);
        vm.revertToState(snapshot);

        (IRollup.EpochSplit memory split, bytes memory splitProofs) = _split();
        vm.prank(_epochPayee());
        before = gasleft();
        rollup.submitSplitEpochProof(Epoch.wrap(FIXTURE_EPOCH), _epochInputs(), split, splitProofs);
        uint256 chunked = before - gasleft();
        assertEq(rollup.provenTip(), BLOCKS);
        emit log_named_uint("submitEpochProof gas, 4 whole blocks", whole);
        emit log_named_uint("submitSplitEpochProof gas, 1 whole block + 5 chunks", chunked);
    }

    function _counts(uint256[4] memory counts) internal pure returns (uint256[] memory out) {
        out = new uint256[](4);
        for (uint256 i; i < 4; ++i) {
            out[i] = counts[i];
        }
    }

    function test_submitEpochProof_revertsWhenOneProofIsSwapped() public {
        _proposeFixtureEpoch();
        _warpToEpoch(FIXTURE_EPOCH + 1);
        uint256[] memory inputs = _epochInputs();
        bytes memory proofs;
        // Block 3's proof in block 2's place: every proof is real, one is for the wrong block.
        uint256[4] memory order = [uint256(0), 2, 2, 3];
        for (uint256 i; i < BLOCKS; ++i) {
            proofs = bytes.concat(proofs, vm.parseJsonBytes(json, _path(_blockKey(order[i]), "proof")));
        }
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, BLOCKS));
        vm.prank(_epochPayee());
        rollup.submitEpochProof(Epoch.wrap(FIXTURE_EPOCH), inputs, proofs);
        assertEq(rollup.provenTip(), 0);
    }

    function test_proposeWithProof_fillsAnEmptySlotWithARealProof() public {
        _proposeFixtureEpoch();
        IRollup.ProposeArgs memory args = _args(".backupBlock");
        _depositMessagesOf(args);
        uint256 slot = Slot.unwrap(args.header.slot);
        // Nobody proposed in the slot: its proposal window closes, backup mode opens.
        vm.warp(_slotStart(slot) + PROPOSAL_WINDOW);
        bytes memory proof = vm.parseJsonBytes(json, ".backupBlock.proof");

        address payee = vm.parseJsonAddress(json, ".backupBlock.payee");

        bytes memory wrongProof = vm.parseJsonBytes(json, _path(_blockKey(3), "proof"));
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, BLOCKS + 1, BLOCKS + 1));
        vm.prank(payee);
        rollup.proposeWithProof(args, wrongProof);

        vm.prank(payee);
        rollup.proposeWithProof(args, proof);
        assertEq(rollup.pendingTip(), BLOCKS + 1);
        assertTrue(rollup.blockLog(BLOCKS + 1).backup);
        assertEq(rollup.blockLog(BLOCKS + 1).proposer, payee);
        (uint256[] memory inputs,) = rollup.publicInputsOf(args);
        assertEq(inputs, vm.parseJsonUintArray(json, ".backupBlock.publicInputs"));
    }

    /// @dev Attack (issue 10, finding 2): the backup block and its real proof are copied from the
    ///      mempool and sent first by another address, to become the block's proposer. The proof was
    ///      made for the original sender: L1 verifies it with the copier as payee, and it fails.
    function test_proposeWithProof_attack_copiedRealProofRevertsForTheCopier() public {
        _proposeFixtureEpoch();
        IRollup.ProposeArgs memory args = _args(".backupBlock");
        _depositMessagesOf(args);
        vm.warp(_slotStart(Slot.unwrap(args.header.slot)) + PROPOSAL_WINDOW);
        bytes memory proof = vm.parseJsonBytes(json, ".backupBlock.proof");
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, BLOCKS + 1, BLOCKS + 1));
        vm.prank(makeAddr("copier"));
        rollup.proposeWithProof(args, proof);
        assertEq(rollup.pendingTip(), BLOCKS);
    }

    /// @dev Attack (issue 10, finding 1): the real block 1 with trailing zero bytes appended. Its chunks
    ///      and `h` are unchanged and only `z` moves, which the circuit accepts for any value, so before
    ///      the encoding check this was a provable block that no node can decode. Now L1 refuses it.
    function test_propose_attack_realBlockWithAppendedZerosReverts() public {
        IRollup.ProposeArgs memory args = _args(_blockKey(0));
        uint256 length = args.data.length;
        args.data = bytes.concat(args.data, new bytes(31));
        _warpToSlot(Slot.unwrap(args.header.slot));
        address proposer = _topProposer(_currentSlot());
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Rollup__DataLengthMismatch.selector, length, length + 31)
        );
        vm.prank(proposer);
        rollup.propose(args);
    }
}
