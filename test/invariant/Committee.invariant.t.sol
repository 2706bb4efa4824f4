// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {CommitteeBase} from "../CommitteeBase.t.sol";
import {CommitteeHandler} from "./CommitteeHandler.sol";
import {console} from "forge-std/console.sol";

/// @notice Committee-mode invariants under random sequences of clock moves, signed proposals and replacements
///         (random proposers, random sign-off subsets of at least the quorum, sometimes with a forbidden
///         signer first), backup blocks, committee proofs of the oldest epoch or a prefix in 1 to 4 chunks
///         per block (from the takeover slot also paying non-assigned signers), prunes, inactivity slashes
///         (and replayed or forgiven reports) and new members (see CommitteeHandler). The suite: the
///         fixture's MEMBERS members with the minimum stake (a slash forces an exit), committees of
///         COMMITTEE_SIZE expected members, a quorum of SIGNOFF_QUORUM. Runs of 64 calls: an inactivity slash
///         needs three proven misses of one member, which runs of 32 calls rarely reach (at 64, about two
///         runs in three slash). Few runs keep the cost down: each invariant is its own campaign of 1 to 2 ms
///         a call: 16 runs take about 8 s of CPU time, CI's 32 about 15 s.
/// forge-config: default.invariant.runs = 16
/// forge-config: default.invariant.depth = 64
/// forge-config: ci.invariant.runs = 32
/// forge-config: ci.invariant.depth = 64
contract CommitteeInvariantTest is CommitteeBase {
    CommitteeHandler internal handler;

    function setUp() public override {
        super.setUp();
        _registerMembers(MEMBERS);
        handler = new CommitteeHandler(committee, staking, pool, verifier, chunkVerifier, genesisTime);
        address[] memory extras = handler.extras();
        for (uint256 i; i < extras.length; ++i) {
            _fund(extras[i], address(staking), 3 * MINIMUM_STAKE);
        }

        targetContract(address(handler));
        // Weighted by repetition: signed proposals and proofs make the blocks, misses and credits the
        // invariants are about.
        bytes4[] memory selectors = new bytes4[](12);
        selectors[0] = CommitteeHandler.warp.selector;
        selectors[1] = CommitteeHandler.propose.selector;
        selectors[2] = CommitteeHandler.propose.selector;
        selectors[3] = CommitteeHandler.propose.selector;
        selectors[4] = CommitteeHandler.backupPropose.selector;
        selectors[5] = CommitteeHandler.prove.selector;
        selectors[6] = CommitteeHandler.prove.selector;
        selectors[7] = CommitteeHandler.prune.selector;
        selectors[8] = CommitteeHandler.slashInactive.selector;
        selectors[9] = CommitteeHandler.slashInactive.selector;
        selectors[10] = CommitteeHandler.register.selector;
        selectors[11] = CommitteeHandler.prove.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    // ------------------------------------------------------------------ 1. chain

    /// @dev The proven tip never passes the pending tip, and every proven block but a backup block was signed
    ///      off.
    function invariant_provenBlocksWereSignedOff() public view {
        uint256 proven = rollup.provenTip();
        assertLe(proven, rollup.pendingTip(), "proven <= pending");
        for (uint256 n = 1; n <= proven; ++n) {
            if (rollup.blockLog(n).backup) continue;
            assertNotEq(committee.signersHashOf(n), bytes32(0), "a proven signed block has signers");
        }
    }

    // ------------------------------------------------------------------ 2. rewards

    /// @dev The pool owes exactly a block reward per proven block plus a submission reward per completed
    ///      epoch (nobody claims, no fees, the pool never caps): each proof credits exactly what it proves.
    function invariant_rewardsConserved() public view {
        uint256 expected = handler.ghost_blocksProven() * BLOCK_REWARD + handler.ghost_epochsCompleted()
            * PROOF_SUBMISSION_REWARD;
        assertEq(
            pool.totalOwed() - handler.initialOwed(), expected, "owed = blocks * reward + epochs * bonus"
        );
        assertEq(handler.ghost_rewardsCredited(), expected, "credited over the run");
        assertEq(handler.ghost_unexpectedCredits(), 0, "only proofs credit, and never take back");
        assertEq(handler.ghost_proofMiscredited(), 0, "each account credited its share by the rules");
        assertEq(handler.ghost_wrongProvenRange(), 0, "EpochProven names the blocks proven");
    }

    // ------------------------------------------------------------------ 3. sign-offs

    /// @dev Every block of the chain records the hash of the signers the handler saw it accept and of its chunk
    ///      count (`max(1, ceil(txs / chunkTxs))`), each signer
    ///      in the committee of the block's slot and none its proposer; a backup block has none.
    function invariant_signersAreCommitteeMembers() public view {
        uint256 pending = rollup.pendingTip();
        for (uint256 n = 1; n <= pending; ++n) {
            IRollup.BlockLog memory log = rollup.blockLog(n);
            address[] memory signers = handler.signersOfBlock(n);
            if (log.backup) {
                assertEq(signers.length, 0, "no signers recorded for a backup block");
                assertEq(committee.signersHashOf(n), bytes32(0), "a backup block has no signers");
                continue;
            }
            assertEq(
                committee.signersHashOf(n),
                keccak256(abi.encodePacked(signers, handler.chunksOfBlock(n))),
                "signers and chunk count hash"
            );
            for (uint256 i; i < signers.length; ++i) {
                assertTrue(
                    committee.isCommitteeMember(Slot.wrap(log.slot), signers[i]), "signer in committee"
                );
                assertNotEq(signers[i], log.proposer, "signer is not the proposer");
            }
        }
    }

    // ------------------------------------------------------------------ 4. duty and inactivity

    /// @dev Each member's duty is settled exactly up to its latest sign-off or slashed miss (never before its
    ///      latest sign-off), and its inactivity slashes never outnumber its unforgiven misses / the limit.
    function invariant_dutySettledAndSlashesBacked() public view {
        address[] memory actors = handler.actors();
        for (uint256 i; i < actors.length; ++i) {
            uint256 settled = Slot.unwrap(committee.settledDutySlot(actors[i]));
            (uint256 signed, uint256 slashed, uint256 misses, uint256 slashes) = handler.dutyOf(actors[i]);
            assertGe(settled, signed, "settled no earlier than the latest sign-off");
            assertEq(settled, signed > slashed ? signed : slashed, "settled at a sign-off or slashed miss");
            assertGe(misses, slashes * INACTIVITY_LIMIT, "a slash per inactivityLimit misses");
        }
    }

    // ------------------------------------------------------------------ 5. staking

    /// @dev Staking's member count equals its member scan around the current epoch, and the rollup's set size
    ///      of the current epoch (recorded with its checkpoint) equals both.
    function invariant_memberCountMatchesTheSet() public {
        vm.warp(handler.currentTime());
        uint256 current = _currentEpoch();
        uint256 from = current > handler.startEpoch() + 2 ? current - 2 : handler.startEpoch();
        for (uint256 e = from; e <= current + LAG + 1; ++e) {
            (address[] memory members,) = staking.membersAt(Epoch.wrap(e), 0, type(uint256).max);
            assertEq(staking.memberCount(Epoch.wrap(e)), members.length, "memberCount = membersAt");
            if (e <= current) {
                assertEq(committee.committeeSetSize(Epoch.wrap(e)), members.length, "committee set size");
            }
        }
    }

    // ------------------------------------------------------------------ handler expectations

    /// @dev Every action the rules allow went through, and every one they forbid was refused.
    function invariant_handlerExpectationsHold() public view {
        assertEq(handler.ghost_unexpectedReverts(), 0, "valid actions accepted");
        assertEq(handler.ghost_forbiddenAccepted(), 0, "forbidden actions refused");
    }

    /// @dev Shown with -vv: the successful actions of the last run.
    function afterInvariant() public view {
        string[14] memory names = [
            "warp",
            "propose",
            "replace",
            "proposeNoProposer",
            "committeeTooSmall",
            "forbiddenSignoffRefused",
            "backup",
            "partialProof",
            "fullProof",
            "takeoverProof",
            "prune",
            "slash",
            "bogusSlashRefused",
            "register"
        ];
        for (uint256 i; i < names.length; ++i) {
            console.log(names[i], handler.calls(bytes32(bytes(names[i]))));
        }
        console.log("pendingTip", rollup.pendingTip(), "provenTip", rollup.provenTip());
        console.log(
            "blocksProven", handler.ghost_blocksProven(), "epochsCompleted", handler.ghost_epochsCompleted()
        );
        console.log(
            "inactivitySlashes",
            handler.ghost_inactivitySlashes(),
            "stakeSlashes",
            handler.ghost_stakeSlashes()
        );
        console.log("blocksPruned", handler.ghost_blocksPruned());
    }
}
