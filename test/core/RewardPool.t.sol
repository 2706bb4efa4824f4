// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RewardPool} from "../../contracts/core/RewardPool.sol";
import {IRewardPool} from "../../contracts/interfaces/IRewardPool.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {Base} from "../Base.t.sol";

/// @notice Unit tests of the reward pool on a fresh, empty pool (the fixture's pool is pre-funded).
contract RewardPoolTest is Base {
    RewardPool internal emptyPool;
    address internal funder = makeAddr("funder");
    address internal alice = makeAddr("alice");
    address internal recipient = makeAddr("recipient");

    function setUp() public override {
        super.setUp();
        emptyPool = new RewardPool(token, address(rollup));
    }

    function _fundPool(uint256 amount) internal {
        _fund(funder, address(emptyPool), amount);
        vm.prank(funder);
        emptyPool.fund(amount);
    }

    function _credit(address account, uint256 amount) internal returns (uint256 credited) {
        vm.prank(address(rollup));
        credited = emptyPool.credit(account, amount, 0);
    }

    function _assertSolvent() internal view {
        assertEq(
            emptyPool.available() + emptyPool.totalOwed() + emptyPool.feeFunds(),
            token.balanceOf(address(emptyPool)),
            "available + owed + fee funds"
        );
    }

    /// @dev Released deposits arriving as the inbox sends them: a transfer, then the rollup books them.
    function _addFeeFunds(uint256 amount) internal {
        if (amount > 0) token.mint(address(emptyPool), amount);
        vm.prank(address(rollup));
        emptyPool.addFeeFunds(amount);
    }

    function _creditFees(address account, uint256 reward, uint256 fees) internal returns (uint256 credited) {
        vm.prank(address(rollup));
        credited = emptyPool.credit(account, reward, fees);
    }

    function test_constructor_storesConfig() public view {
        assertEq(address(emptyPool.token()), address(token), "token");
        assertEq(emptyPool.rollup(), address(rollup), "rollup");
        assertEq(emptyPool.available(), 0, "starts empty");
    }

    function test_fund_pullsTokensAndRaisesAvailable() public {
        _fund(funder, address(emptyPool), 40 ether);
        vm.expectEmit(address(emptyPool));
        emit IRewardPool.Funded(funder, 40 ether);
        vm.prank(funder);
        emptyPool.fund(40 ether);

        assertEq(token.balanceOf(address(emptyPool)), 40 ether, "pool balance");
        assertEq(token.balanceOf(funder), 0, "tokens pulled");
        assertEq(emptyPool.available(), 40 ether, "available");
    }

    function test_fund_revertsWhenAmountZero() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Amount__Zero.selector));
        vm.prank(funder);
        emptyPool.fund(0);
    }

    function test_credit_recordsOwedWithinAvailable() public {
        _fundPool(40 ether);
        vm.expectEmit(address(emptyPool));
        emit IRewardPool.RewardCredited(alice, 15 ether, 15 ether);
        assertEq(_credit(alice, 15 ether), 15 ether, "credited in full");

        assertEq(emptyPool.owed(alice), 15 ether, "owed");
        assertEq(emptyPool.totalOwed(), 15 ether, "totalOwed");
        assertEq(emptyPool.available(), 25 ether, "available = balance - totalOwed");
        _assertSolvent();
    }

    function test_credit_capsAtAvailable() public {
        _fundPool(40 ether);
        _credit(alice, 30 ether);
        vm.expectEmit(address(emptyPool));
        emit IRewardPool.RewardCredited(alice, 10 ether, 25 ether);
        assertEq(_credit(alice, 25 ether), 10 ether, "capped at available");

        assertEq(emptyPool.owed(alice), 40 ether, "owed");
        assertEq(emptyPool.available(), 0, "nothing left");
        _assertSolvent();
    }

    function test_credit_returnsZeroWithoutEventWhenNothingAvailable() public {
        vm.recordLogs();
        assertEq(_credit(alice, 5 ether), 0, "nothing credited");
        assertEq(vm.getRecordedLogs().length, 0, "no event");
        assertEq(emptyPool.owed(alice), 0, "owed");
    }

    function test_credit_revertsWhenCallerNotRollup() public {
        _fundPool(40 ether);
        vm.expectRevert(abi.encodeWithSelector(Errors.Auth__NotRollup.selector, address(rollup), alice));
        vm.prank(alice);
        emptyPool.credit(alice, 1 ether, 0);
    }

    function test_claim_sendsWholeCreditToRecipient() public {
        _fundPool(40 ether);
        _credit(alice, 15 ether);
        vm.expectEmit(address(emptyPool));
        emit IRewardPool.RewardClaimed(alice, recipient, 15 ether);
        vm.prank(alice);
        assertEq(emptyPool.claim(recipient), 15 ether, "claimed");

        assertEq(token.balanceOf(recipient), 15 ether, "recipient paid");
        assertEq(emptyPool.owed(alice), 0, "owed cleared");
        assertEq(emptyPool.totalOwed(), 0, "totalOwed");
        assertEq(emptyPool.available(), 25 ether, "available unchanged by the claim");
        _assertSolvent();
    }

    function test_claim_revertsWhenNothingToClaim() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.RewardPool__NothingToClaim.selector, alice));
        vm.prank(alice);
        emptyPool.claim(alice);
    }

    function test_available_risesWithPlainTransfers() public {
        _fundPool(10 ether);
        _credit(alice, 10 ether);
        assertEq(emptyPool.available(), 0, "fully committed");
        // Slashed stakes and bonds arrive as plain transfers.
        token.mint(address(emptyPool), 7 ether);
        assertEq(emptyPool.available(), 7 ether, "transfer raises available");
        assertEq(_credit(alice, 100 ether), 7 ether, "and can be credited");
    }

    /// @dev Funds the pool, credits three accounts and claims some, checking solvency after each step.
    function _creditAndClaim(uint256 funding, uint256[3] memory requests, uint256 claimMask) internal {
        _fundPool(funding);
        address[3] memory accounts = [alice, makeAddr("bob"), makeAddr("carol")];
        uint256 expectedOwed;
        for (uint256 i; i < 3; ++i) {
            uint256 free = emptyPool.available();
            uint256 expected = requests[i] < free ? requests[i] : free;
            assertEq(_credit(accounts[i], requests[i]), expected, "credited = min(requested, available)");
            expectedOwed += expected;
            _assertSolvent();
        }
        assertEq(emptyPool.totalOwed(), expectedOwed, "totalOwed");
        for (uint256 i; i < 3; ++i) {
            uint256 owed = emptyPool.owed(accounts[i]);
            if (owed == 0 || (claimMask >> i) & 1 == 0) continue;
            vm.prank(accounts[i]);
            emptyPool.claim(accounts[i]);
            assertEq(token.balanceOf(accounts[i]), owed, "claimed the credit");
            _assertSolvent();
        }
    }

    function testFuzz_creditAndClaim_neverExceedsBalance(
        uint256 funding,
        uint256[3] memory requests,
        uint256 mask
    ) public {
        funding = bound(funding, 1, 1e30);
        for (uint256 i; i < 3; ++i) {
            requests[i] = bound(requests[i], 0, 2e30);
        }
        _creditAndClaim(funding, requests, mask);
    }

    function test_creditAndClaim_neverExceedsBalance_fixed() public {
        _creditAndClaim(100 ether, [uint256(30 ether), 90 ether, 5 ether], 0x5);
        assertEq(emptyPool.owed(makeAddr("bob")), 70 ether, "second credit capped");
        assertEq(emptyPool.owed(makeAddr("carol")), 0, "third credit found nothing, then claimed nothing");
        assertEq(token.balanceOf(address(emptyPool)), 70 ether, "bob's credit still held");
    }

    // ------------------------------------------------------------------ fee ledger (issue 10, finding 4)

    function test_addFeeFunds_booksReleasedDepositsApartFromRewards() public {
        _fundPool(10 ether);
        token.mint(address(emptyPool), 4 ether);
        vm.expectEmit(address(emptyPool));
        emit IRewardPool.FeeFundsAdded(4 ether);
        vm.prank(address(rollup));
        emptyPool.addFeeFunds(4 ether);

        assertEq(emptyPool.feeFunds(), 4 ether, "fee funds");
        assertEq(emptyPool.available(), 10 ether, "available excludes fee funds");
        _assertSolvent();
    }

    function test_addFeeFunds_revertsWhenCallerNotRollup() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Auth__NotRollup.selector, address(rollup), alice));
        vm.prank(alice);
        emptyPool.addFeeFunds(1);
    }

    function test_credit_paysFeesFromFeeFundsAndRewardsFromRewardFunds() public {
        _fundPool(10 ether);
        _addFeeFunds(4 ether);
        vm.expectEmit(address(emptyPool));
        emit IRewardPool.RewardCredited(alice, 3 ether, 3 ether);
        vm.expectEmit(address(emptyPool));
        emit IRewardPool.FeesCredited(alice, 1 ether);
        assertEq(_creditFees(alice, 3 ether, 1 ether), 3 ether, "reward part credited");

        assertEq(emptyPool.owed(alice), 4 ether, "owed = reward + fees");
        assertEq(emptyPool.feeFunds(), 3 ether, "fees moved out of fee funds");
        assertEq(emptyPool.available(), 7 ether, "rewards moved out of reward funds");
        _assertSolvent();
    }

    /// @dev A pool without reward funds still pays fees; the fees are never capped, the reward is.
    function test_credit_paysFeesWithNoRewardFunds() public {
        _addFeeFunds(5 ether);
        vm.recordLogs();
        assertEq(_creditFees(alice, 10 ether, 5 ether), 0, "no reward funds: no reward");
        assertEq(vm.getRecordedLogs().length, 1, "only FeesCredited");
        assertEq(emptyPool.owed(alice), 5 ether, "the whole fee");
        assertEq(emptyPool.feeFunds(), 0, "fee funds used up");
        _assertSolvent();
    }

    /// @dev Reward credits never draw on fee funds, however large the request.
    function test_credit_rewardsNeverUseFeeFunds() public {
        _fundPool(1 ether);
        _addFeeFunds(50 ether);
        assertEq(_creditFees(alice, 100 ether, 0), 1 ether, "capped at reward funds");
        assertEq(emptyPool.feeFunds(), 50 ether, "fee funds untouched");
        assertEq(_creditFees(alice, 1 ether, 0), 0, "reward funds empty");
        _assertSolvent();
    }

    function test_credit_revertsWhenFeesExceedDeposits() public {
        _fundPool(100 ether);
        _addFeeFunds(2 ether);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.RewardPool__FeesExceedDeposits.selector, 2 ether, 2 ether + 1)
        );
        _creditFees(alice, 0, 2 ether + 1);
        // Exactly the fee funds is fine.
        _creditFees(alice, 0, 2 ether);
        vm.expectRevert(abi.encodeWithSelector(Errors.RewardPool__FeesExceedDeposits.selector, 0, 1));
        _creditFees(alice, 0, 1);
        assertEq(emptyPool.available(), 100 ether, "reward funds never pay fees");
    }

    /// @dev Fuzzed ledger: fee credits come out of fee funds exactly, reward credits out of available().
    function testFuzz_credit_keepsTheLedgersApart(
        uint256 funding,
        uint256 deposits,
        uint256 reward,
        uint256 fees
    ) public {
        funding = bound(funding, 0, 1e30);
        deposits = bound(deposits, 0, 1e30);
        reward = bound(reward, 0, 2e30);
        fees = bound(fees, 0, deposits);
        if (funding > 0) _fundPool(funding);
        _addFeeFunds(deposits);
        uint256 credited = _creditFees(alice, reward, fees);
        assertEq(credited, reward < funding ? reward : funding, "reward capped at reward funds");
        assertEq(emptyPool.owed(alice), credited + fees, "owed");
        assertEq(emptyPool.feeFunds(), deposits - fees, "fee funds");
        assertEq(emptyPool.available(), funding - credited, "reward funds");
        _assertSolvent();
    }

    function test_credit_keepsTheLedgersApart_concrete() public {
        testFuzz_credit_keepsTheLedgersApart(5 ether, 3 ether, 9 ether, 3 ether);
    }
}
