// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";
import {ProtocolHandler} from "./ProtocolHandler.sol";
import {console} from "forge-std/console.sol";

/// @notice Protocol-wide invariants under random sequences of registrations, exits, withdrawals, clock moves,
///         proposals (top rank, random rank, replacements, backup blocks), claims, epoch proofs, prunes,
///         escrow deposits and withdrawals and reward claims (see ProtocolHandler). Runs start from an epoch
///         with a claimed epoch of blocks, so proofs, prunes and slashes are reachable within the depth.
contract ProtocolInvariantTest is Base {
    uint256 internal constant ACTOR_FUNDS = 1000 ether;

    ProtocolHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new ProtocolHandler(rollup, staking, escrow, pool, verifier, token);
        address[] memory actors = handler.actors();
        for (uint256 i; i < actors.length; ++i) {
            token.mint(actors[i], ACTOR_FUNDS);
            vm.startPrank(actors[i]);
            token.approve(address(staking), type(uint256).max);
            token.approve(address(escrow), type(uint256).max);
            vm.stopPrank();
        }

        // Bootstrap: four sequencers, two funded provers, three blocks in the first active epoch, and that
        // epoch claimed at the start of the next: every run can prove it, or prune it and slash the bond.
        for (uint256 i; i < 4; ++i) {
            handler.register(i, 0);
        }
        handler.proverDeposit(0, 60 ether);
        handler.proverDeposit(1, 60 ether);
        _warpToEpoch(staking.stakerInfo(actors[3]).activationEpoch);
        handler.syncTime();
        for (uint256 i; i < 3; ++i) {
            if (i > 0) handler.warpToNextSlot(0);
            handler.propose(0, true, i + 1);
        }
        assertEq(rollup.pendingTip(), 3, "bootstrap blocks");
        handler.warpToNextEpoch(0);
        handler.claim(0, 0, 0, 1000);
        assertEq(
            uint8(rollup.claimOf(Epoch.wrap(_currentEpoch() - 1)).status), uint8(IRollup.ClaimStatus.Claimed)
        );

        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](15);
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
        selectors[14] = ProtocolHandler.warpToNextEpoch.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    // ------------------------------------------------------------------ tokens

    function invariant_tokensConserved() public view {
        address[] memory actors = handler.actors();
        uint256 held = token.balanceOf(address(staking)) + token.balanceOf(address(escrow))
            + token.balanceOf(address(pool)) + token.balanceOf(address(this))
            + token.balanceOf(address(handler));
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
        assertGe(token.balanceOf(address(pool)), pool.totalOwed(), "pool solvent");
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

    function invariant_bondLockedOnceAndSettledOnce() public view {
        uint256[] memory epochs = handler.touchedEpochs();
        for (uint256 i; i < epochs.length; ++i) {
            uint256 locks = handler.ghost_bondLocks(epochs[i]);
            assertLe(locks, 1, "a bond is locked at most once per epoch");
            assertLe(
                handler.ghost_bondSettlements(epochs[i]), locks, "released, slashed or cancelled at most once"
            );
        }
        assertEq(
            handler.ghost_releaseEvents(), handler.ghost_expectedReleases(), "releases match proofs + cancels"
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

    function invariant_slashedBondsFullyRedistributed() public view {
        assertEq(
            handler.ghost_slashedBonds(),
            handler.ghost_slashCredited() + handler.ghost_slashDust(),
            "slashed = shares credited + dust"
        );
        assertEq(handler.ghost_slashMiscredited(), 0, "shares go to the lost blocks' proposers");
        assertEq(escrow.totalSlashed(), handler.ghost_slashedBonds(), "every escrow slash is a ProverSlashed");
    }

    // ------------------------------------------------------------------ staking

    function invariant_snapshottedMembershipNeverChanges() public view {
        assertEq(handler.ghost_membershipChanges(), 0, "member sets of current..current+lag are fixed");
    }

    /// @dev Shown with -vv: the successful actions of the last run.
    function afterInvariant() public view {
        string[13] memory names = [
            "register",
            "exit",
            "withdraw",
            "warp",
            "propose",
            "backupPropose",
            "claim",
            "submitProof",
            "prune",
            "proverDeposit",
            "proverRequestWithdrawal",
            "proverFinalizeWithdrawal",
            "claimRewards"
        ];
        for (uint256 i; i < names.length; ++i) {
            console.log(names[i], handler.calls(bytes32(bytes(names[i]))));
        }
        console.log("pendingTip", rollup.pendingTip(), "provenTip", rollup.provenTip());
    }
}
