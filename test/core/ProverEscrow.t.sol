// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProverEscrow} from "../../contracts/interfaces/IProverEscrow.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {Base} from "../Base.t.sol";

/// @notice Unit tests of the prover escrow: deposits, delayed withdrawals and rollup-only bond moves.
contract ProverEscrowTest is Base {
    address internal prover = makeAddr("prover");
    address internal funder = makeAddr("funder");
    address internal recipient = makeAddr("recipient");

    // ------------------------------------------------------------------ helpers

    function _deposit(address from, address to, uint256 amount) internal {
        _fund(from, address(escrow), amount);
        vm.prank(from);
        escrow.deposit(to, amount);
    }

    function _requestWithdrawal(uint256 amount) internal {
        vm.prank(prover);
        escrow.requestWithdrawal(amount);
    }

    function _lock(uint256 amount) internal {
        vm.prank(address(rollup));
        escrow.lockBond(prover, amount);
    }

    function _assertAccount(uint256 free, uint256 locked, uint256 pending) internal view {
        IProverEscrow.Account memory account = escrow.accountOf(prover);
        assertEq(account.free, free, "free");
        assertEq(account.locked, locked, "locked");
        assertEq(account.pendingWithdrawal, pending, "pending");
        assertEq(escrow.freeBalanceOf(prover), free, "freeBalanceOf");
    }

    function _assertSolvent() internal view {
        assertEq(escrow.totalDeposits(), token.balanceOf(address(escrow)), "totalDeposits == balance");
    }

    // ------------------------------------------------------------------ deposit

    function test_constructor_storesConfig() public view {
        assertEq(address(escrow.token()), address(token), "token");
        assertEq(escrow.rollup(), address(rollup), "rollup");
        assertEq(escrow.withdrawalDelay(), ESCROW_WITHDRAWAL_DELAY, "delay");
    }

    function test_deposit_creditsCallerOwnFreeBalance() public {
        _fund(prover, address(escrow), 50 ether);
        vm.expectEmit(address(escrow));
        emit IProverEscrow.Deposited(prover, prover, 50 ether);
        vm.prank(prover);
        escrow.deposit(prover, 50 ether);

        _assertAccount(50 ether, 0, 0);
        assertEq(token.balanceOf(prover), 0, "tokens pulled");
        assertEq(escrow.totalDeposits(), 50 ether, "totalDeposits");
        _assertSolvent();
    }

    function test_deposit_creditsAnotherProver() public {
        _fund(funder, address(escrow), 30 ether);
        vm.expectEmit(address(escrow));
        emit IProverEscrow.Deposited(prover, funder, 30 ether);
        vm.prank(funder);
        escrow.deposit(prover, 30 ether);

        _assertAccount(30 ether, 0, 0);
        assertEq(escrow.freeBalanceOf(funder), 0, "funder gets no balance");
        assertEq(token.balanceOf(funder), 0, "tokens pulled from the funder");
        _assertSolvent();
    }

    function test_deposit_revertsWhenAmountZero() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Amount__Zero.selector));
        vm.prank(prover);
        escrow.deposit(prover, 0);
    }

    // ------------------------------------------------------------------ withdrawals

    function test_requestWithdrawal_movesFreeToPending() public {
        _deposit(prover, prover, 50 ether);
        uint256 readyAt = block.timestamp + ESCROW_WITHDRAWAL_DELAY;
        vm.expectEmit(address(escrow));
        emit IProverEscrow.WithdrawalRequested(prover, 20 ether, 20 ether, readyAt);
        _requestWithdrawal(20 ether);

        _assertAccount(30 ether, 0, 20 ether);
        assertEq(escrow.accountOf(prover).withdrawableAt, readyAt, "withdrawableAt");
        assertEq(escrow.totalDeposits(), 50 ether, "still owed until finalized");
        _assertSolvent();
    }

    function test_requestWithdrawal_secondRequestAddsUpAndRestartsDelay() public {
        _deposit(prover, prover, 50 ether);
        _requestWithdrawal(20 ether);
        vm.warp(block.timestamp + 60);
        uint256 readyAt = block.timestamp + ESCROW_WITHDRAWAL_DELAY;
        vm.expectEmit(address(escrow));
        emit IProverEscrow.WithdrawalRequested(prover, 10 ether, 30 ether, readyAt);
        _requestWithdrawal(10 ether);

        _assertAccount(20 ether, 0, 30 ether);
        assertEq(escrow.accountOf(prover).withdrawableAt, readyAt, "delay restarted");
    }

    function test_requestWithdrawal_revertsWhenFreeBalanceInsufficient() public {
        _deposit(prover, prover, 50 ether);
        _lock(40 ether);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.ProverEscrow__InsufficientFreeBalance.selector, prover, 10 ether, 11 ether
            )
        );
        _requestWithdrawal(11 ether);
    }

    function test_requestWithdrawal_revertsWhenAmountZero() public {
        _deposit(prover, prover, 50 ether);
        vm.expectRevert(abi.encodeWithSelector(Errors.Amount__Zero.selector));
        _requestWithdrawal(0);
    }

    function test_finalizeWithdrawal_revertsBeforeDelay() public {
        _deposit(prover, prover, 50 ether);
        _requestWithdrawal(20 ether);
        uint256 readyAt = block.timestamp + ESCROW_WITHDRAWAL_DELAY;
        vm.warp(readyAt - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.ProverEscrow__WithdrawalNotReady.selector, prover, readyAt, readyAt - 1
            )
        );
        vm.prank(prover);
        escrow.finalizeWithdrawal(recipient);
    }

    function test_finalizeWithdrawal_revertsWhenDelayRestartedByNewRequest() public {
        _deposit(prover, prover, 50 ether);
        _requestWithdrawal(20 ether);
        uint256 firstReadyAt = block.timestamp + ESCROW_WITHDRAWAL_DELAY;
        vm.warp(firstReadyAt - 1);
        _requestWithdrawal(5 ether);
        vm.warp(firstReadyAt);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.ProverEscrow__WithdrawalNotReady.selector,
                prover,
                firstReadyAt - 1 + ESCROW_WITHDRAWAL_DELAY,
                firstReadyAt
            )
        );
        vm.prank(prover);
        escrow.finalizeWithdrawal(recipient);
    }

    function test_finalizeWithdrawal_sendsPendingToRecipient() public {
        _deposit(prover, prover, 50 ether);
        _requestWithdrawal(20 ether);
        vm.warp(block.timestamp + ESCROW_WITHDRAWAL_DELAY);

        vm.expectEmit(address(escrow));
        emit IProverEscrow.WithdrawalFinalized(prover, recipient, 20 ether);
        vm.prank(prover);
        escrow.finalizeWithdrawal(recipient);

        _assertAccount(30 ether, 0, 0);
        assertEq(escrow.accountOf(prover).withdrawableAt, 0, "withdrawableAt cleared");
        assertEq(token.balanceOf(recipient), 20 ether, "recipient paid");
        assertEq(escrow.totalDeposits(), 30 ether, "totalDeposits");
        _assertSolvent();
    }

    function test_finalizeWithdrawal_revertsWhenNothingPending() public {
        _deposit(prover, prover, 50 ether);
        vm.expectRevert(abi.encodeWithSelector(Errors.ProverEscrow__NoPendingWithdrawal.selector, prover));
        vm.prank(prover);
        escrow.finalizeWithdrawal(recipient);
    }

    // ------------------------------------------------------------------ bonds

    function test_bonds_revertWhenCallerNotRollup() public {
        _deposit(prover, prover, 50 ether);
        bytes memory notRollup =
            abi.encodeWithSelector(Errors.Auth__NotRollup.selector, address(rollup), prover);
        vm.startPrank(prover);
        vm.expectRevert(notRollup);
        escrow.lockBond(prover, 10 ether);
        vm.expectRevert(notRollup);
        escrow.releaseBond(prover, 0);
        vm.expectRevert(notRollup);
        escrow.slashBond(prover, 0, prover);
        vm.stopPrank();
    }

    function test_lockBond_movesFreeToLocked() public {
        _deposit(prover, prover, 50 ether);
        vm.expectEmit(address(escrow));
        emit IProverEscrow.BondLocked(prover, 20 ether);
        _lock(20 ether);

        _assertAccount(30 ether, 20 ether, 0);
        assertEq(escrow.totalDeposits(), 50 ether, "locked is still owed");
        _assertSolvent();
    }

    function test_lockBond_revertsWhenFreeBalanceInsufficient() public {
        _deposit(prover, prover, 50 ether);
        _requestWithdrawal(45 ether);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.ProverEscrow__InsufficientFreeBalance.selector, prover, 5 ether, 10 ether
            )
        );
        _lock(10 ether);
    }

    function test_releaseBond_returnsLockedToFree() public {
        _deposit(prover, prover, 50 ether);
        _lock(20 ether);
        vm.expectEmit(address(escrow));
        emit IProverEscrow.BondReleased(prover, 20 ether);
        vm.prank(address(rollup));
        escrow.releaseBond(prover, 20 ether);

        _assertAccount(50 ether, 0, 0);
        _assertSolvent();
    }

    function test_releaseBond_revertsWhenLockedInsufficient() public {
        _deposit(prover, prover, 50 ether);
        _lock(20 ether);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.ProverEscrow__InsufficientLockedBalance.selector, prover, 20 ether, 20 ether + 1
            )
        );
        vm.prank(address(rollup));
        escrow.releaseBond(prover, 20 ether + 1);
    }

    function test_slashBond_sendsLockedToRecipient() public {
        _deposit(prover, prover, 50 ether);
        _lock(20 ether);
        vm.expectEmit(address(escrow));
        emit IProverEscrow.BondSlashed(prover, 15 ether, recipient);
        vm.prank(address(rollup));
        escrow.slashBond(prover, 15 ether, recipient);

        _assertAccount(30 ether, 5 ether, 0);
        assertEq(token.balanceOf(recipient), 15 ether, "recipient got the bond");
        assertEq(escrow.totalDeposits(), 35 ether, "totalDeposits");
        assertEq(escrow.totalSlashed(), 15 ether, "totalSlashed");
        _assertSolvent();
    }

    function test_slashBond_revertsWhenLockedInsufficient() public {
        _deposit(prover, prover, 50 ether);
        _lock(20 ether);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.ProverEscrow__InsufficientLockedBalance.selector, prover, 20 ether, 30 ether
            )
        );
        vm.prank(address(rollup));
        escrow.slashBond(prover, 30 ether, recipient);
    }

    // ------------------------------------------------------------------ accounting fuzz

    /// @dev Runs `steps` pseudo-random operations, each with an amount the state allows, and checks after
    ///      every step that free + locked + pending matches totalDeposits and the token balance.
    function _runSequence(uint256 seed, uint256 steps) internal returns (uint256 slashed) {
        for (uint256 i; i < steps; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint256 amount = (r >> 8) % 100 ether + 1;
            IProverEscrow.Account memory account = escrow.accountOf(prover);
            uint256 op = r % 6;
            if (op == 0) {
                _deposit(funder, prover, amount);
            } else if (op == 1 && account.free > 0) {
                _requestWithdrawal(amount % account.free + 1);
            } else if (op == 2 && account.free > 0) {
                _lock(amount % account.free + 1);
            } else if (op == 3 && account.locked > 0) {
                vm.prank(address(rollup));
                escrow.releaseBond(prover, amount % account.locked + 1);
            } else if (op == 4 && account.locked > 0) {
                uint256 cut = amount % account.locked + 1;
                vm.prank(address(rollup));
                escrow.slashBond(prover, cut, recipient);
                slashed += cut;
            } else if (op == 5 && account.pendingWithdrawal > 0) {
                vm.warp(account.withdrawableAt);
                vm.prank(prover);
                escrow.finalizeWithdrawal(recipient);
            }
            account = escrow.accountOf(prover);
            assertEq(
                uint256(account.free) + account.locked + account.pendingWithdrawal,
                escrow.totalDeposits(),
                "balances add up"
            );
            _assertSolvent();
        }
        assertEq(escrow.totalSlashed(), slashed, "totalSlashed");
    }

    function testFuzz_sequence_totalDepositsEqualsBalance(uint256 seed) public {
        _runSequence(seed, 24);
    }

    function test_sequence_totalDepositsEqualsBalance_fixedSeed() public {
        _deposit(prover, prover, 100 ether);
        assertGt(_runSequence(3, 40), 0, "the sequence slashed something");
    }
}
