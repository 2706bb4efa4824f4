// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {Slot} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";

/// @notice Backup mode: a slot nobody proposed in accepts a block with its proof from anyone, after the
///         slot's proposal window and for `backupWindow` seconds, as long as no block exists at or after it.
contract RollupBackupTest is Base {
    /// @dev The slot left empty in every test (first slot of epoch 2, when the sequencers are active).
    uint256 internal slot;
    address internal anyone = makeAddr("anyone");

    function setUp() public override {
        super.setUp();
        _registerAndActivate(4);
        slot = _currentSlot();
    }

    /// @dev Args for a backup block in `slot_` on top of the pending tip.
    function _backupArgs(uint256 slot_, bytes memory data)
        internal
        view
        returns (IRollup.ProposeArgs memory args)
    {
        args = _proposeArgs(data);
        args.header.slot = Slot.wrap(slot_);
    }

    function _proofOf(IRollup.ProposeArgs memory args) internal view returns (bytes memory) {
        (uint256[] memory inputs,) = rollup.publicInputsOf(args);
        return verifier.proofFor(inputs);
    }

    function _expectBackupRevert(IRollup.ProposeArgs memory args, bytes memory proof, bytes memory err)
        internal
    {
        vm.expectRevert(err);
        vm.prank(anyone);
        rollup.proposeWithProof(args, proof);
    }

    function test_proposeWithProof_anyoneFillsAnEmptySlot() public {
        vm.warp(_slotStart(slot) + PROPOSAL_WINDOW);
        IRollup.ProposeArgs memory args = _backupArgs(slot, "backup data");
        (uint256[] memory inputs, bytes32 commitment) = rollup.publicInputsOf(args);
        bytes memory proof = verifier.proofFor(inputs);
        assertEq(staking.stakerInfo(anyone).activationEpoch, 0, "submitter is not a staker");

        vm.expectEmit(address(rollup));
        emit IRollup.BlockProposed(
            1,
            Slot.wrap(slot),
            anyone,
            args.header.newStateRoot,
            args.header.dataHash,
            inputs[4],
            inputs[5],
            true
        );
        vm.prank(anyone);
        rollup.proposeWithProof(args, proof);

        assertEq(rollup.pendingTip(), 1, "pending tip");
        IRollup.BlockLog memory log = rollup.blockLog(1);
        assertEq(log.proposer, anyone, "submitter recorded");
        assertEq(log.slot, slot, "slot");
        assertEq(log.stateRoot, args.header.newStateRoot, "state root");
        assertEq(log.publicInputsHash, commitment, "commitment");
        assertTrue(log.backup, "flagged as a backup block");
        assertEq(rollup.epochLog(rollup.currentEpoch()).blockCount, 1, "epoch log");
    }

    function test_proposeWithProof_revertsWhenProofIsWrong() public {
        vm.warp(_slotStart(slot) + PROPOSAL_WINDOW);
        IRollup.ProposeArgs memory args = _backupArgs(slot, "backup data");
        // A valid proof of other data does not verify for this block.
        bytes memory otherProof = _proofOf(_backupArgs(slot, "other data"));
        _expectBackupRevert(
            args, otherProof, abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, 1)
        );
        _expectBackupRevert(
            args, new bytes(256), abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, 1)
        );
        assertEq(rollup.pendingTip(), 0, "nothing appended");
    }

    function test_proposeWithProof_revertsDuringProposalWindow() public {
        uint256 opensAt = _slotStart(slot) + PROPOSAL_WINDOW;
        vm.warp(opensAt - 1);
        IRollup.ProposeArgs memory args = _backupArgs(slot, "early");
        _expectBackupRevert(
            args,
            _proofOf(args),
            abi.encodeWithSelector(
                Errors.Rollup__BackupWindowClosed.selector,
                slot,
                opensAt,
                opensAt + BACKUP_WINDOW,
                opensAt - 1
            )
        );
    }

    function test_proposeWithProof_revertsAfterBackupWindow() public {
        uint256 opensAt = _slotStart(slot) + PROPOSAL_WINDOW;
        uint256 closesAt = opensAt + BACKUP_WINDOW;
        vm.warp(closesAt);
        IRollup.ProposeArgs memory args = _backupArgs(slot, "late");
        _expectBackupRevert(
            args,
            _proofOf(args),
            abi.encodeWithSelector(
                Errors.Rollup__BackupWindowClosed.selector, slot, opensAt, closesAt, closesAt
            )
        );

        // The window's last second still accepts it.
        vm.warp(closesAt - 1);
        vm.prank(anyone);
        rollup.proposeWithProof(args, _proofOf(args));
        assertEq(rollup.blockLog(1).slot, slot, "accepted in the last second");
    }

    function test_proposeWithProof_revertsWhenSlotAlreadyHasABlock() public {
        _proposeTop();
        vm.warp(_slotStart(slot) + PROPOSAL_WINDOW);
        IRollup.ProposeArgs memory args = _backupArgs(slot, "backup");
        _expectBackupRevert(
            args, _proofOf(args), abi.encodeWithSelector(Errors.Rollup__SlotNotEmpty.selector, slot, slot)
        );
    }

    function test_proposeWithProof_revertsWhenALaterSlotHasABlock() public {
        // Slot stays empty; the next slot gets a block while the slot's backup window is still open.
        _warpToSlot(slot + 1);
        _proposeTop();
        IRollup.ProposeArgs memory args = _backupArgs(slot, "backup");
        vm.warp(_slotStart(slot + 1) + 1);
        assertLt(block.timestamp, _slotStart(slot) + PROPOSAL_WINDOW + BACKUP_WINDOW, "backup window open");
        _expectBackupRevert(
            args, _proofOf(args), abi.encodeWithSelector(Errors.Rollup__SlotNotEmpty.selector, slot, slot + 1)
        );
    }

    function test_proposeWithProof_nextSlotBuildsOnTheBackupBlock() public {
        vm.warp(_slotStart(slot) + PROPOSAL_WINDOW);
        IRollup.ProposeArgs memory backup = _backupArgs(slot, "backup");
        bytes memory proof = _proofOf(backup);
        vm.prank(anyone);
        rollup.proposeWithProof(backup, proof);

        _warpToSlot(slot + 1);
        address proposer = _topProposer(slot + 1);
        IRollup.ProposeArgs memory onGenesis = _proposeArgsAt(1, "next");
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidBlockNumber.selector, 2, 1));
        vm.prank(proposer);
        rollup.propose(onGenesis);

        IRollup.ProposeArgs memory args = _proposeArgs("next");
        assertEq(args.header.prevStateRoot, backup.header.newStateRoot, "parent is the backup block");
        _proposeAs(proposer, args);
        assertEq(rollup.pendingTip(), 2, "block 2");
        assertEq(rollup.blockLog(2).proposer, proposer, "sequencer block on top");
        assertEq(rollup.epochLog(rollup.currentEpoch()).blockCount, 2, "both blocks in the epoch");
    }
}
