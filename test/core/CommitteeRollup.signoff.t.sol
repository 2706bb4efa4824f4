// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICommitteeRollup} from "../../contracts/interfaces/ICommitteeRollup.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {EpochProofQuote, SignedEpochProofQuote} from "../../contracts/libraries/QuoteLib.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {CommitteeBase} from "../CommitteeBase.t.sol";
import {BlockDataBuilder} from "../helpers/BlockDataBuilder.sol";

/// @notice The committee mode's proposals: who is in a slot's committee (an O(1) check against the epoch's
///         threshold), the sign-offs a block needs (quorum, signatures, ascending scores, no proposer), what a
///         block records, the backup slot of a proposer without sign-offs, and the quote mode's entry points.
contract CommitteeRollupSignoffTest is CommitteeBase {
    uint256 internal slot;
    address internal proposer;
    address[] internal members;
    IRollup.ProposeArgs internal args;

    function setUp() public override {
        super.setUp();
        _registerMembers(MEMBERS);
        // The first slot of the members' first epoch whose committee reaches the quorum.
        slot = _currentSlot();
        while (_committeeOf(slot, _topProposer(slot)).length < SIGNOFF_QUORUM + 1) ++slot;
        _warpToSlot(slot);
        proposer = _topProposer(slot);
        members = _committeeOf(slot, proposer);
        args = _proposeArgs("signed block");
    }

    function _propose(bytes[] memory signoffs) internal {
        vm.prank(proposer);
        committee.proposeWithSignoffs(args, signoffs);
    }

    // ------------------------------------------------------------------ committee membership

    function test_committeeThreshold_isTheSetShareOfTheCommitteeSize() public view {
        Epoch epoch = rollup.currentEpoch();
        assertEq(committee.committeeSetSize(epoch), MEMBERS, "every registered member");
        assertEq(
            committee.committeeThreshold(epoch), type(uint256).max / MEMBERS * COMMITTEE_SIZE, "threshold"
        );
        assertEq(committee.committeeSetSize(Epoch.wrap(0)), 0, "nobody at genesis");
        assertEq(committee.committeeThreshold(Epoch.wrap(0)), 0, "an empty set has no committee");
    }

    function test_isCommitteeMember_isTheScoreBelowTheThreshold() public {
        uint256 threshold = committee.committeeThreshold(rollup.currentEpoch());
        uint256 inCommittee;
        for (uint256 i; i < sequencers.length; ++i) {
            bool below = rollup.scoreOf(Slot.wrap(slot), sequencers[i]) < threshold;
            assertEq(
                committee.isCommitteeMember(Slot.wrap(slot), sequencers[i]), below, "score below threshold"
            );
            if (below) ++inCommittee;
        }
        assertEq(inCommittee, _committeeOf(slot, address(0)).length, "the off-chain scan agrees");
        assertFalse(committee.isCommitteeMember(Slot.wrap(slot), makeAddr("outsider")), "not a member");
    }

    function test_committeeThreshold_isEveryMemberWhileTheSetIsNoLargerThanTheCommittee() public {
        // A fresh suite with as many members as the committee size.
        sequencers = new address[](0);
        _deploySuite();
        _registerMembers(COMMITTEE_SIZE);
        assertEq(committee.committeeThreshold(rollup.currentEpoch()), type(uint256).max, "everyone");
        uint256 current = _currentSlot();
        for (uint256 i; i < COMMITTEE_SIZE; ++i) {
            assertTrue(committee.isCommitteeMember(Slot.wrap(current), sequencers[i]), "member");
        }
    }

    // ------------------------------------------------------------------ valid sign-offs

    function test_proposeWithSignoffs_appendsTheBlockAndRecordsItsSigners() public {
        bytes[] memory signoffs = _signoffs(args, members);
        vm.expectEmit(address(rollup));
        emit ICommitteeRollup.BlockSignedOff(1, Slot.wrap(slot), members, 1);
        _propose(signoffs);

        assertEq(rollup.pendingTip(), 1, "appended");
        assertEq(rollup.blockLog(1).proposer, proposer, "proposer");
        assertEq(committee.signersHashOf(1), _signersHash(members, 1), "signers recorded");
        for (uint256 i; i < members.length; ++i) {
            assertEq(Slot.unwrap(committee.settledDutySlot(members[i])), slot, "duty settled by the sign-off");
        }
        assertEq(Slot.unwrap(committee.settledDutySlot(proposer)), 0, "the proposer signed nothing");
    }

    function test_proposeWithSignoffs_acceptsExactlyTheQuorum() public {
        address[] memory quorum = new address[](SIGNOFF_QUORUM);
        for (uint256 i; i < SIGNOFF_QUORUM; ++i) {
            quorum[i] = members[i];
        }
        _propose(_signoffs(args, quorum));
        assertEq(committee.signersHashOf(1), _signersHash(quorum, 1), "quorum recorded");
    }

    function test_proposeWithSignoffs_aHigherScoreReplacesTheBlockAndItsSigners() public {
        (address[] memory ranked,) = _ranking(slot);
        address low = ranked[ranked.length - 1];
        // The lowest-ranked proposer goes first, with signers that exclude the top proposer.
        address[] memory lowSigners = _without(_committeeOf(slot, low), proposer);
        assertGe(lowSigners.length, SIGNOFF_QUORUM, "the low proposer reaches the quorum");
        _proposeSigned(low, _proposeArgs("low"), lowSigners);
        _proposeSigned(proposer, _proposeArgsAt(1, "high"), members);
        assertEq(rollup.blockLog(1).proposer, proposer, "replaced");
        assertEq(committee.signersHashOf(1), _signersHash(members, 1), "the new signers");
    }

    function test_proposeWithSignoffs_fixesTheChunkCountByTheBlocksTxs() public {
        // Tx counts and the chunks of CHUNK_TXS = 2 they make: at least one, for an empty block too.
        uint256[6] memory txCounts = [uint256(0), 1, 2, 3, 4, 17];
        uint256[6] memory chunks = [uint256(1), 1, 1, 2, 2, 9];
        for (uint256 i; i < txCounts.length; ++i) {
            uint256 snapshot = vm.snapshotState();
            IRollup.ProposeArgs memory proposal =
                _proposeArgsWithData(1, BlockDataBuilder.build(txCounts[i], i));
            vm.expectEmit(address(rollup));
            emit ICommitteeRollup.BlockSignedOff(1, Slot.wrap(slot), members, chunks[i]);
            _proposeSigned(proposer, proposal, members);
            assertEq(committee.signersHashOf(1), _signersHash(members, chunks[i]), "signers and chunk count");
            vm.revertToState(snapshot);
        }
    }

    // ------------------------------------------------------------------ rejected sign-offs

    function test_proposeWithSignoffs_revertsBelowTheQuorum() public {
        address[] memory one = new address[](1);
        one[0] = members[0];
        bytes[] memory signoffs = _signoffs(args, one);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__TooFewSignoffs.selector, 1, SIGNOFF_QUORUM, 1));
        _propose(signoffs);
    }

    function test_proposeWithSignoffs_revertsWithoutAnySignoff() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__TooFewSignoffs.selector, 1, SIGNOFF_QUORUM, 0));
        _propose(new bytes[](0));
    }

    function test_proposeWithSignoffs_revertsOnAMalformedSignature() public {
        bytes[] memory signoffs = _signoffs(args, members);
        signoffs[1] = hex"1234";
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidSignoff.selector, 1, 1));
        _propose(signoffs);
    }

    function test_proposeWithSignoffs_revertsWhenScoresDescend() public {
        address[] memory reversed = new address[](2);
        reversed[0] = members[1];
        reversed[1] = members[0];
        bytes[] memory signoffs = _signoffs(args, reversed);
        uint256 first = rollup.scoreOf(Slot.wrap(slot), members[1]);
        uint256 second = rollup.scoreOf(Slot.wrap(slot), members[0]);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Rollup__SignoffsNotAscending.selector, 1, 1, first, second)
        );
        _propose(signoffs);
    }

    function test_proposeWithSignoffs_revertsOnASignerCountedTwice() public {
        address[] memory twice = new address[](2);
        twice[0] = members[0];
        twice[1] = members[0];
        bytes[] memory signoffs = _signoffs(args, twice);
        uint256 score = rollup.scoreOf(Slot.wrap(slot), members[0]);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Rollup__SignoffsNotAscending.selector, 1, 1, score, score)
        );
        _propose(signoffs);
    }

    function test_proposeWithSignoffs_revertsWhenTheProposerSignsOff() public {
        address[] memory withProposer = new address[](1);
        withProposer[0] = proposer;
        bytes[] memory signoffs = new bytes[](2);
        signoffs[0] = _signoffs(args, withProposer)[0];
        signoffs[1] = _signoffs(args, members)[0];
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__ProposerSignedOff.selector, 1, proposer));
        _propose(signoffs);
    }

    function test_proposeWithSignoffs_revertsForAMemberOutsideTheCommittee() public {
        uint256 threshold = committee.committeeThreshold(rollup.currentEpoch());
        address outside;
        for (uint256 i; i < sequencers.length; ++i) {
            if (sequencers[i] != proposer && !_contains(members, sequencers[i])) outside = sequencers[i];
        }
        assertTrue(outside != address(0), "a member outside the committee");
        address[] memory signers = new address[](2);
        (signers[0], signers[1]) = (members[0], outside);
        bytes[] memory signoffs = _signoffs(args, signers);
        uint256 score = rollup.scoreOf(Slot.wrap(slot), outside);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__NotInCommittee.selector, Slot.wrap(slot), outside, score, threshold
            )
        );
        _propose(signoffs);
    }

    function test_proposeWithSignoffs_revertsForAKeyThatIsNoMember() public {
        (address stranger, uint256 key) = makeAddrAndKey("stranger");
        keyOf[stranger] = key;
        uint256 score = rollup.scoreOf(Slot.wrap(slot), stranger);
        uint256 threshold = committee.committeeThreshold(rollup.currentEpoch());
        // Even with a score below the threshold, a non-member is not in the committee.
        address[] memory signers = new address[](2);
        (signers[0], signers[1]) = score < rollup.scoreOf(Slot.wrap(slot), members[0])
            ? (stranger, members[0])
            : (members[0], stranger);
        bytes[] memory signoffs = _signoffs(args, signers);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__NotInCommittee.selector, Slot.wrap(slot), stranger, score, threshold
            )
        );
        _propose(signoffs);
    }

    function test_proposeWithSignoffs_revertsForASignoffOfOtherData() public {
        // Signed over another block's commitment: it recovers to some other address, outside the committee.
        IRollup.ProposeArgs memory other = _proposeArgs("other data");
        bytes[] memory signoffs = _signoffs(other, members);
        (, bytes32 commitment) = rollup.publicInputsOf(other);
        bytes32 digest = committee.signoffDigest(1, Slot.wrap(slot), commitment);
        (, bytes32 actualCommitment) = rollup.publicInputsOf(args);
        bytes32 actualDigest = committee.signoffDigest(1, Slot.wrap(slot), actualCommitment);
        assertTrue(digest != actualDigest, "different digests");
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(keyOf[members[0]], digest);
        address recovered = ecrecover(actualDigest, v, r, s);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__NotInCommittee.selector,
                Slot.wrap(slot),
                recovered,
                rollup.scoreOf(Slot.wrap(slot), recovered),
                committee.committeeThreshold(rollup.currentEpoch())
            )
        );
        _propose(signoffs);
    }

    // ------------------------------------------------------------------ withholding and backup mode

    function test_aProposerWithoutSignoffsLeavesItsSlotToBackupMode() public {
        // Nobody signs off a proposer that withholds its data: the proposal cannot land, the slot stays empty.
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__TooFewSignoffs.selector, 1, SIGNOFF_QUORUM, 0));
        _propose(new bytes[](0));
        // After the proposal window, anyone proposes the slot's block with its proof.
        vm.warp(_slotStart(slot) + PROPOSAL_WINDOW);
        address anyone = makeAddr("anyone");
        bytes memory proof = _backupProof(args, anyone);
        vm.prank(anyone);
        rollup.proposeWithProof(args, proof);
        assertTrue(rollup.blockLog(1).backup, "a backup block");
        assertEq(committee.signersHashOf(1), bytes32(0), "no signers");
    }

    // ------------------------------------------------------------------ the quote mode's entry points

    function test_propose_revertsInTheCommitteeMode() public {
        vm.expectRevert(Errors.Rollup__SignoffsRequired.selector);
        vm.prank(proposer);
        rollup.propose(args);
    }

    function test_quoteModeEntryPoints_revertInTheCommitteeMode() public {
        SignedEpochProofQuote memory signed;
        vm.expectRevert(Errors.Rollup__QuoteModeOnly.selector);
        rollup.claimEpochProofRight(signed);
        vm.expectRevert(Errors.Rollup__QuoteModeOnly.selector);
        rollup.submitEpochProof(Epoch.wrap(0), new uint256[](0), "");
        IRollup.EpochSplit memory split;
        vm.expectRevert(Errors.Rollup__QuoteModeOnly.selector);
        rollup.submitSplitEpochProof(Epoch.wrap(0), new uint256[](0), split, "");
        EpochProofQuote memory quote;
        assertEq(uint8(rollup.claimOf(Epoch.wrap(quote.epochToProve)).status), 0, "no claim ever exists");
    }
}
