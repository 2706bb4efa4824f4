// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProverEscrow} from "../../contracts/core/ProverEscrow.sol";
import {RewardPool} from "../../contracts/core/RewardPool.sol";
import {Rollup} from "../../contracts/core/Rollup.sol";
import {Staking} from "../../contracts/core/Staking.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {BlockProofVerifier} from "../../contracts/verifier/BlockProofVerifier.sol";
import {Base} from "../Base.t.sol";

/// @notice The rollup with the real generated verifier and the real devnet chain of
///         test/fixtures/epoch.json: blocks 1-4 at slots 8-11 (epoch 2), proven in epoch 3 with
///         their Groth16 proofs, and block 5 for slot 13 in backup mode.
contract RollupRealProofsTest is Base {
    uint256 internal constant BLOCKS = 4;
    uint256 internal constant FIXTURE_EPOCH = 2;

    BlockProofVerifier internal realVerifier;
    string internal json;

    function setUp() public override {
        super.setUp();
        json = vm.readFile(string.concat(vm.projectRoot(), "/test/fixtures/epoch.json"));
        realVerifier = new BlockProofVerifier();
        // The suite again, with the real verifier and the fixture's genesis state root.
        uint256 nonce = vm.getNonce(address(this));
        address predictedRollup = vm.computeCreateAddress(address(this), nonce + 3);
        staking = new Staking(token, predictedRollup, _stakingConfig());
        escrow = new ProverEscrow(token, predictedRollup, ESCROW_WITHDRAWAL_DELAY);
        pool = new RewardPool(token, predictedRollup);
        IRollup.Config memory config = _rollupConfig();
        config.genesisStateRoot = vm.parseJsonBytes32(json, ".genesisStateRoot");
        rollup = new Rollup(staking, escrow, pool, realVerifier, config);
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

    /// @dev Proposes the four epoch blocks at their slots, each by an eligible sequencer, and
    ///      checks the L1 public inputs (fingerprint z, y included) against the Rust ones.
    function _proposeFixtureEpoch() internal {
        for (uint256 i; i < BLOCKS; ++i) {
            string memory key = _blockKey(i);
            IRollup.ProposeArgs memory args = _args(key);
            _warpToSlot(Slot.unwrap(args.header.slot));
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

    function test_submitEpochProof_provesTheEpochWithRealProofs() public {
        _proposeFixtureEpoch();
        _warpToEpoch(FIXTURE_EPOCH + 1);
        uint256[] memory inputs = vm.parseJsonUintArray(json, ".verifier.batchPublicInputs");
        bytes memory proofs = vm.parseJsonBytes(json, ".verifier.batchProofs");
        rollup.submitEpochProof(Epoch.wrap(FIXTURE_EPOCH), inputs, proofs);
        assertEq(rollup.provenTip(), BLOCKS);
    }

    function test_submitEpochProof_revertsWhenOneProofIsSwapped() public {
        _proposeFixtureEpoch();
        _warpToEpoch(FIXTURE_EPOCH + 1);
        uint256[] memory inputs = vm.parseJsonUintArray(json, ".verifier.batchPublicInputs");
        bytes memory proofs;
        // Block 3's proof in block 2's place: every proof is real, one is for the wrong block.
        uint256[4] memory order = [uint256(0), 2, 2, 3];
        for (uint256 i; i < BLOCKS; ++i) {
            proofs = bytes.concat(proofs, vm.parseJsonBytes(json, _path(_blockKey(order[i]), "proof")));
        }
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, BLOCKS));
        rollup.submitEpochProof(Epoch.wrap(FIXTURE_EPOCH), inputs, proofs);
        assertEq(rollup.provenTip(), 0);
    }

    function test_proposeWithProof_fillsAnEmptySlotWithARealProof() public {
        _proposeFixtureEpoch();
        IRollup.ProposeArgs memory args = _args(".backupBlock");
        uint256 slot = Slot.unwrap(args.header.slot);
        // Nobody proposed in the slot: its proposal window closes, backup mode opens.
        vm.warp(_slotStart(slot) + PROPOSAL_WINDOW);
        bytes memory proof = vm.parseJsonBytes(json, ".backupBlock.proof");

        bytes memory wrongProof = vm.parseJsonBytes(json, _path(_blockKey(3), "proof"));
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, BLOCKS + 1, BLOCKS + 1));
        rollup.proposeWithProof(args, wrongProof);

        rollup.proposeWithProof(args, proof);
        assertEq(rollup.pendingTip(), BLOCKS + 1);
        assertTrue(rollup.blockLog(BLOCKS + 1).backup);
        (uint256[] memory inputs,) = rollup.publicInputsOf(args);
        assertEq(inputs, vm.parseJsonUintArray(json, ".backupBlock.publicInputs"));
    }
}
