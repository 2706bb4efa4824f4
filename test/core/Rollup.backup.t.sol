// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {Slot} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";
import {BlockDataBuilder} from "../helpers/BlockDataBuilder.sol";

/// @notice Backup mode: a slot nobody proposed in accepts a block with its proof from anyone, after the
///         slot's proposal window and for `backupWindow` seconds (inside the slot), as long as no block
///         exists at or after it. The proof names its sender as payee.
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

    /// @dev The proof of `args` made for `anyone`, the submitter of these tests.
    function _proofOf(IRollup.ProposeArgs memory args) internal view returns (bytes memory) {
        return _backupProof(args, anyone);
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
        bytes memory proof = _proofOf(args);
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
        // A proof over the 6 committed words alone (no payee) does not verify either.
        (uint256[] memory committed,) = rollup.publicInputsOf(args);
        _expectBackupRevert(
            args,
            verifier.proofFor(committed),
            abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, 1)
        );
        assertEq(rollup.pendingTip(), 0, "nothing appended");
    }

    /// Attack (issue 10, finding 2): B copies A's backup block and proof from the mempool and front-runs
    /// it, to be recorded as the block's proposer (and paid as such). The proof names A as its payee, so it
    /// does not verify for B; A's own transaction still lands.
    function test_proposeWithProof_attack_copiedProofFailsForAnotherSender() public {
        address alice = makeAddr("alice");
        address bob = makeAddr("bob");
        vm.warp(_slotStart(slot) + PROPOSAL_WINDOW);
        IRollup.ProposeArgs memory args = _backupArgs(slot, "alice's block");
        bytes memory aliceProof = _backupProof(args, alice);

        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, 1));
        vm.prank(bob);
        rollup.proposeWithProof(args, aliceProof);
        assertEq(rollup.pendingTip(), 0, "bob's copy rejected");

        vm.prank(alice);
        rollup.proposeWithProof(args, aliceProof);
        assertEq(rollup.blockLog(1).proposer, alice, "alice's block, alice as proposer");
        assertTrue(rollup.blockLog(1).backup, "backup block");
    }

    /// @dev Whoever the prover named and whoever sends: the proof verifies iff they are the same address.
    function testFuzz_proposeWithProof_verifiesIffSenderIsThePayee(address payee, address sender) public {
        vm.assume(sender != address(0));
        vm.warp(_slotStart(slot) + PROPOSAL_WINDOW);
        IRollup.ProposeArgs memory args = _backupArgs(slot, "backup data");
        bytes memory proof = _backupProof(args, payee);
        if (payee != sender) {
            vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, 1));
        }
        vm.prank(sender);
        rollup.proposeWithProof(args, proof);
        assertEq(rollup.pendingTip(), payee == sender ? 1 : 0, "appended iff the sender is the payee");
    }

    function test_proposeWithProof_verifiesIffSenderIsThePayee_concrete() public {
        testFuzz_proposeWithProof_verifiesIffSenderIsThePayee(makeAddr("a"), makeAddr("b"));
        testFuzz_proposeWithProof_verifiesIffSenderIsThePayee(makeAddr("a"), makeAddr("a"));
    }

    /// Attack (issue 10, finding 1): the backup path applies the same data rules as `propose`: data with
    /// trailing zero bytes appended is rejected even with a valid proof for exactly those bytes.
    function test_proposeWithProof_attack_nonCanonicalDataReverts() public {
        vm.warp(_slotStart(slot) + PROPOSAL_WINDOW);
        bytes memory data = bytes.concat(BlockDataBuilder.build(1, 3), new bytes(2));
        IRollup.ProposeArgs memory args = _proposeArgsWithData(1, data);
        args.header.slot = Slot.wrap(slot);
        _expectBackupRevert(
            args,
            _proofOf(args),
            abi.encodeWithSelector(Errors.Rollup__DataLengthMismatch.selector, data.length - 2, data.length)
        );
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
        bytes memory proof = _proofOf(args);
        vm.prank(anyone);
        rollup.proposeWithProof(args, proof);
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

    /// Attack (issue 10, finding 6): a backup submitter waits for the next slot's proposal window, so its
    /// block (for the empty slot) lands before the next slot's elected proposer and takes its parent. The
    /// backup window now ends inside its slot (proposalWindow + backupWindow <= slotDuration).
    function test_proposeWithProof_attack_cannotLandInTheNextSlotsProposalWindow() public {
        uint256 opensAt = _slotStart(slot) + PROPOSAL_WINDOW;
        uint256 closesAt = opensAt + BACKUP_WINDOW;
        assertLe(closesAt, _slotStart(slot + 1), "the backup window ends with its slot");
        IRollup.ProposeArgs memory args = _backupArgs(slot, "late backup");
        bytes memory proof = _proofOf(args);

        for (uint256 t = _slotStart(slot + 1); t < _slotStart(slot + 1) + PROPOSAL_WINDOW; ++t) {
            vm.warp(t);
            _expectBackupRevert(
                args,
                proof,
                abi.encodeWithSelector(Errors.Rollup__BackupWindowClosed.selector, slot, opensAt, closesAt, t)
            );
        }
        // The next slot's proposer builds on the parent it expects.
        _proposeTop();
        assertEq(rollup.blockLog(1).slot, slot + 1, "the elected proposer's block");
        assertFalse(rollup.blockLog(1).backup, "not a backup block");
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
