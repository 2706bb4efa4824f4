// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Staking} from "../../contracts/core/Staking.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";
import {ProtocolHandler} from "./ProtocolHandler.sol";
import {console} from "forge-std/console.sol";

/// @notice The invariant suites' fixture: the protocol with a proof window longer than an epoch (6 slots,
///         4-slot epochs, within MAX_PROOF_WINDOW_EPOCHS and with the exit delay it requires), so a later epoch
///         can be claimed before an earlier one is pruned and the prune cancels that claim; and a small reward
///         pool, so its cap binds. Runs start from an epoch of three blocks claimed at the start of the next,
///         with one sequencer exiting and one prover withdrawing, so proofs (whole and prefix), claim
///         replacements, prunes, slashes and both withdrawals are reachable within a run.
abstract contract ProtocolInvariantBase is Base {
    uint256 internal constant ACTOR_FUNDS = 1000 ether;
    /// @dev proofWindowSlots > epochDuration (at most MAX_PROOF_WINDOW_EPOCHS epochs).
    uint256 internal constant INVARIANT_PROOF_WINDOW_SLOTS = 6;
    /// @dev Less than one block's reward: the cap binds on the first proof; slashes refill the pool.
    uint256 internal constant INVARIANT_POOL_FUNDING = 5 ether;

    ProtocolHandler internal handler;
    /// @dev The pool of the fixture's first suite (replaced in setUp), which keeps its funding.
    address internal retiredPool;
    /// @dev The key actions a run must reach, and their counts after the bootstrap.
    string[11] internal keyActions = [
        "propose",
        "deposit",
        "feePaid",
        "claim",
        "claimReplace",
        "partialProof",
        "fullProof",
        "prune",
        "proverFinalizeWithdrawal",
        "withdraw",
        "claimRewards"
    ];
    mapping(bytes32 action => uint256) internal bootstrapCalls;

    function setUp() public override {
        super.setUp();
        retiredPool = address(pool);
        Staking.Config memory stakingConfig = _stakingConfig();
        stakingConfig.exitDelay = _minimumExitDelay(INVARIANT_PROOF_WINDOW_SLOTS);
        IRollup.Config memory rollupConfig = _rollupConfig();
        rollupConfig.proofWindowSlots = INVARIANT_PROOF_WINDOW_SLOTS;
        _deploySuiteWith(stakingConfig, rollupConfig);
        _fundRewardPool(INVARIANT_POOL_FUNDING);

        handler = new ProtocolHandler(rollup, staking, escrow, pool, inbox, verifier, token);
        address[] memory actors = handler.actors();
        for (uint256 i; i < actors.length; ++i) {
            token.mint(actors[i], ACTOR_FUNDS);
            vm.startPrank(actors[i]);
            token.approve(address(staking), type(uint256).max);
            token.approve(address(escrow), type(uint256).max);
            token.approve(address(inbox), type(uint256).max);
            vm.stopPrank();
        }

        // Bootstrap: five sequencers, two funded provers and a third withdrawing, three blocks in the first
        // active epoch, and that epoch claimed at the start of the next: every run can prove it (whole or in
        // part), replace the claim, or prune it and slash the bond. The fifth sequencer exits at once.
        for (uint256 i; i < 5; ++i) {
            handler.register(i, 0);
        }
        handler.proverDeposit(0, 60 ether);
        handler.proverDeposit(1, 60 ether);
        handler.proverDeposit(2, 30 ether);
        handler.proverRequestWithdrawal(2, 10 ether);
        _warpToEpoch(staking.stakerInfo(actors[4]).activationEpoch);
        handler.syncTime();
        handler.exit(4);
        for (uint256 i; i < 3; ++i) {
            if (i > 0) handler.warpToNextSlot(0);
            handler.propose(0, true, 2 * (i + 1)); // an even seed: one block
        }
        assertEq(rollup.pendingTip(), 3, "bootstrap blocks");
        handler.warpToNextEpoch(0);
        handler.claim(0, 0, 0, 1000);
        assertEq(
            uint8(rollup.claimOf(Epoch.wrap(_currentEpoch() - 1)).status), uint8(IRollup.ClaimStatus.Claimed)
        );

        for (uint256 i; i < keyActions.length; ++i) {
            bytes32 action = bytes32(bytes(keyActions[i]));
            bootstrapCalls[action] = handler.calls(action);
        }

        targetContract(address(handler));
        // warpToNextEpoch is left out: claims and proofs move to the window they need themselves, and more
        // epoch jumps would leave too few blocks per epoch for prefix proofs.
        bytes4[] memory selectors = new bytes4[](16);
        selectors[0] = ProtocolHandler.register.selector;
        selectors[1] = ProtocolHandler.exit.selector;
        selectors[2] = ProtocolHandler.withdraw.selector;
        selectors[3] = ProtocolHandler.warp.selector;
        selectors[4] = ProtocolHandler.warpToNextSlot.selector;
        selectors[5] = ProtocolHandler.propose.selector;
        selectors[6] = ProtocolHandler.backupPropose.selector;
        selectors[7] = ProtocolHandler.claim.selector;
        selectors[8] = ProtocolHandler.submitProof.selector;
        selectors[9] = ProtocolHandler.prune.selector;
        selectors[10] = ProtocolHandler.proverDeposit.selector;
        selectors[11] = ProtocolHandler.proverRequestWithdrawal.selector;
        selectors[12] = ProtocolHandler.proverFinalizeWithdrawal.selector;
        selectors[13] = ProtocolHandler.claimRewards.selector;
        selectors[14] = ProtocolHandler.warpToWithdrawal.selector;
        selectors[15] = ProtocolHandler.deposit.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @dev Logs every action's count (shown with -vv).
    function _logCalls() internal view {
        string[17] memory names = [
            "register",
            "exit",
            "withdraw",
            "warp",
            "propose",
            "backupPropose",
            "claim",
            "claimReplace",
            "partialProof",
            "fullProof",
            "prune",
            "proverDeposit",
            "proverRequestWithdrawal",
            "proverFinalizeWithdrawal",
            "claimRewards",
            "deposit",
            "feePaid"
        ];
        for (uint256 i; i < names.length; ++i) {
            console.log(names[i], handler.calls(bytes32(bytes(names[i]))));
        }
        console.log("cappedCredits", handler.ghost_cappedCredits());
        console.log(
            "feesCredited", handler.ghost_feesCredited(), "depositsReleased", handler.ghost_depositsReleased()
        );
        console.log("pendingTip", rollup.pendingTip(), "provenTip", rollup.provenTip());
    }
}

/// @notice Protocol-wide invariants under random sequences of registrations, exits, withdrawals, clock moves,
///         fee deposits, proposals (top rank, random rank, replacements, backup blocks; each consuming the fee
///         inbox in order and paying fees its payers can afford), claims and cheaper-quote replacements, full
///         and prefix epoch proofs, prunes, escrow deposits and withdrawals and reward claims (see
///         ProtocolHandler and ProtocolInvariantBase).
contract ProtocolInvariantTest is ProtocolInvariantBase {
    // ------------------------------------------------------------------ tokens

    function invariant_tokensConserved() public view {
        address[] memory actors = handler.actors();
        uint256 held = token.balanceOf(address(staking)) + token.balanceOf(address(escrow))
            + token.balanceOf(address(pool)) + token.balanceOf(retiredPool) + token.balanceOf(address(inbox))
            + token.balanceOf(address(this)) + token.balanceOf(address(handler));
        for (uint256 i; i < actors.length; ++i) {
            held += token.balanceOf(actors[i]);
        }
        assertEq(token.totalSupply(), held, "every token is accounted for");
    }

    function invariant_stakingHoldsTotalStaked() public view {
        assertEq(token.balanceOf(address(staking)), staking.totalStaked(), "staking balance");
    }

    function invariant_escrowHoldsTotalDeposits() public view {
        assertEq(token.balanceOf(address(escrow)), escrow.totalDeposits(), "escrow balance");
    }

    function invariant_poolCoversWhatItOwes() public view {
        assertGe(
            token.balanceOf(address(pool)),
            pool.totalOwed() + pool.feeFunds(),
            "pool solvent, fee funds included"
        );
    }

    function invariant_inboxHoldsUnreleasedDeposits() public view {
        assertEq(
            token.balanceOf(address(inbox)),
            handler.totalDeposited() - handler.ghost_depositsReleased(),
            "inbox balance = deposits - released"
        );
    }

    // ------------------------------------------------------------------ fees (issue 10, finding 4)

    /// @dev Fees are real money: every fee credited was released from a deposit, and only deposits the proven
    ///      chain consumed are released (exactly those, up to the proven tip's cursor).
    function invariant_feesBackedByConsumedDeposits() public view {
        uint256 credited = handler.ghost_feesCredited();
        uint256 released = handler.ghost_depositsReleased();
        assertLe(credited, released, "fees credited <= deposits released");
        assertLe(
            released, handler.depositsConsumedByProvenChain(), "released <= consumed by the proven chain"
        );
        assertEq(
            inbox.releasedCursor(),
            rollup.blockLog(rollup.provenTip()).inboxCursor,
            "released up to the proven tip's cursor"
        );
        assertEq(handler.ghost_releaseMismatches(), 0, "each proof releases exactly what its blocks consumed");
        assertEq(handler.ghost_feeFundsAdded(), released, "every release booked as fee funds");
        assertEq(handler.ghost_proofReverts(), 0, "proofs of affordable fees always pay");
    }

    /// @dev Reward credits never draw on fee funds: the fee funds are exactly what was released minus the fees.
    function invariant_rewardCreditsNeverUseFeeFunds() public view {
        assertEq(
            pool.feeFunds(),
            handler.ghost_depositsReleased() - handler.ghost_feesCredited(),
            "fee funds = released - fees credited"
        );
    }

    // ------------------------------------------------------------------ chain

    function invariant_atMostOneBlockPerSlot() public view {
        uint256 pending = rollup.pendingTip();
        uint256 previous = rollup.blockLog(0).slot;
        for (uint256 n = 1; n <= pending; ++n) {
            uint256 slot = rollup.blockLog(n).slot;
            assertGt(slot, previous, "block slots strictly increase");
            previous = slot;
        }
    }

    function invariant_provenTipNotAfterPendingTip() public view {
        assertLe(rollup.provenTip(), rollup.pendingTip(), "proven <= pending");
    }

    function invariant_pendingBlocksAreInTheirEpochLogs() public view {
        uint256 pending = rollup.pendingTip();
        for (uint256 n = rollup.provenTip() + 1; n <= pending; ++n) {
            Epoch epoch = rollup.epochAtSlot(Slot.wrap(rollup.blockLog(n).slot));
            IRollup.EpochLog memory log = rollup.epochLog(epoch);
            assertLe(log.firstBlock, n, "epoch log starts at or before the block");
            assertLt(n, uint256(log.firstBlock) + log.blockCount, "epoch log covers the block");
        }
    }

    // ------------------------------------------------------------------ bonds

    /// @dev Per epoch, every lock (first claim or replacement) is settled at most once (replaced, released on
    ///      completion, slashed or cancelled), at most one bond is open, and it is open iff the claim is.
    function invariant_bondLockedAndSettledOnce() public view {
        uint256[] memory epochs = handler.touchedEpochs();
        for (uint256 i; i < epochs.length; ++i) {
            uint256 locks = handler.ghost_bondLocks(epochs[i]);
            uint256 settlements = handler.ghost_bondSettlements(epochs[i]);
            assertLe(settlements, locks, "a bond is settled at most once");
            bool open = rollup.claimOf(Epoch.wrap(epochs[i])).status == IRollup.ClaimStatus.Claimed;
            assertEq(locks - settlements, open ? 1 : 0, "one open bond iff the claim is open");
        }
        assertEq(
            handler.ghost_escrowReleased(),
            handler.ghost_expectedReleased(),
            "released = replaced + completed + unslashed rest + cancelled bonds"
        );
    }

    function invariant_escrowLockedMatchesOpenClaims() public view {
        address[] memory provers = handler.provers();
        uint256 locked;
        for (uint256 i; i < provers.length; ++i) {
            locked += escrow.accountOf(provers[i]).locked;
        }
        assertEq(
            locked,
            handler.ghost_escrowLocked() - handler.ghost_escrowReleased() - handler.ghost_escrowSlashed(),
            "locked = locks - releases - slashes"
        );
        uint256[] memory epochs = handler.touchedEpochs();
        uint256 open;
        for (uint256 i; i < epochs.length; ++i) {
            IRollup.ProofClaim memory claim = rollup.claimOf(Epoch.wrap(epochs[i]));
            if (claim.status == IRollup.ClaimStatus.Claimed) open += claim.bondAmount;
        }
        assertEq(locked, open, "locked = bonds of open claims");
    }

    /// @dev The slashed parts and their dust are computed by the handler from the bond, the epoch's unproven
    ///      and pruned block counts (pro rata, rounded up), never read from the rollup's event.
    function invariant_slashedBondsFullyRedistributed() public view {
        assertEq(
            handler.ghost_slashedBonds(),
            handler.ghost_slashCredited() + handler.ghost_slashDust(),
            "slashed = shares credited + dust"
        );
        assertEq(handler.ghost_slashMiscredited(), 0, "prunes slash and share exactly as the rules say");
        assertEq(escrow.totalSlashed(), handler.ghost_slashedBonds(), "the escrow slashed the pro rata parts");
        assertEq(handler.ghost_escrowSlashed(), handler.ghost_slashedBonds(), "BondSlashed amounts");
    }

    // ------------------------------------------------------------------ proofs and penalties

    /// @dev Attack surface of finding 2: a proof credits its payee (the claimed prover, else the sender) and the
    ///      proven blocks' proposers, nobody else, and the submission reward at most once per epoch.
    function invariant_proofPaysOnlyItsPayee() public view {
        assertEq(handler.ghost_proofMiscredited(), 0, "proof credits = payee + proposers, exact amounts");
        assertEq(handler.ghost_wrongPayee(), 0, "EpochProven names the payee");
        assertLe(handler.ghost_maxSubmissionRewardsPerEpoch(), 1, "one submission reward per epoch");
    }

    /// @dev Finding 3: a prune penalises the first unproven block's proposer, never one whose blocks were proven.
    function invariant_noPenaltyOnProvenProposer() public view {
        assertEq(handler.ghost_wrongPenalty(), 0, "only the first unproven block's proposer is penalised");
        assertEq(handler.ghost_penaltyOnProvenProposer(), 0, "no penalty on a proven block's proposer");
    }

    // ------------------------------------------------------------------ staking

    function invariant_snapshottedMembershipNeverChanges() public view {
        assertEq(handler.ghost_membershipChanges(), 0, "member sets of current..current+lag are fixed");
    }

    /// @dev Shown with -vv: the successful actions of the last run.
    function afterInvariant() public view {
        _logCalls();
    }
}

/// @notice Long runs that must reach every key action of the protocol: a run that never makes a proposal, a
///         fee deposit, a proof that pays fees, a first claim, a claim replacement, a prefix proof, a full proof, a prune, an escrow withdrawal, a
///         staker withdrawal or a reward claim fails in `afterInvariant`, so the handler cannot silently stop
///         exercising a path (the invariants above would then hold vacuously). One cheap invariant, deep runs.
///         Few, long runs: at 1,024 calls the rarest key action (a claim replacement, a prefix proof) happened at
///         least twice in each of 400 runs, where at 512 calls about one run in 200 missed one (measured with the
///         per-run counts `_logCalls` prints).
/// forge-config: default.invariant.runs = 4
/// forge-config: default.invariant.depth = 1024
/// forge-config: ci.invariant.runs = 16
/// forge-config: ci.invariant.depth = 1024
contract ProtocolReachabilityTest is ProtocolInvariantBase {
    /// @dev Every expectation the handler checks on the way held (the full invariants run in the suite above).
    function invariant_handlerExpectationsHold() public view {
        assertEq(handler.ghost_proofMiscredited(), 0, "proof credits");
        assertEq(handler.ghost_wrongPayee(), 0, "payee");
        assertEq(handler.ghost_slashMiscredited(), 0, "prune slashes");
        assertEq(handler.ghost_wrongPenalty(), 0, "penalty");
        assertEq(handler.ghost_penaltyOnProvenProposer(), 0, "penalty on a proven proposer");
        assertEq(handler.ghost_releaseMismatches(), 0, "deposit releases");
        assertEq(handler.ghost_proofReverts(), 0, "proof reverts");
        assertLe(handler.ghost_feesCredited(), handler.ghost_depositsReleased(), "fees backed by deposits");
    }

    /// @dev Fails a run that never reaches a key action.
    function afterInvariant() public view {
        _logCalls();
        for (uint256 i; i < keyActions.length; ++i) {
            bytes32 action = bytes32(bytes(keyActions[i]));
            assertGt(
                handler.calls(action), bootstrapCalls[action], string.concat("never reached: ", keyActions[i])
            );
        }
        assertGt(handler.ghost_cappedCredits(), 0, "never reached: a credit capped by the pool");
    }
}
