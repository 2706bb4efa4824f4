// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRewardPool} from "../../contracts/interfaces/IRewardPool.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {SignedEpochProofQuote} from "../../contracts/libraries/QuoteLib.sol";
import {Epoch} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";

/// @notice Helpers shared by the reward suites: exact expected amounts from the recorded public inputs.
abstract contract RewardsBase is Base {
    /// @dev Epoch 2 (slots 8..11) is the first epoch with active sequencers.
    uint256 internal constant EPOCH = 2;

    address internal prover;
    uint256 internal proverKey;
    address internal submitter = makeAddr("submitter");

    function _setUpActors() internal {
        _registerAndActivate(4);
        assertEq(_currentEpoch(), EPOCH, "sequencers active from epoch 2");
        (prover, proverKey) = _prover("prover", 50 ether);
    }

    function _claim(uint256 bond, uint32 fee) internal {
        SignedEpochProofQuote memory signed = _sign(_quote(prover, _currentEpoch() - 1, bond, fee), proverKey);
        address claimant = _topProposer(_currentSlot());
        vm.prank(claimant);
        rollup.claimEpochProofRight(signed);
    }

    /// @dev The fees of a block, read back from its packed globals word (public input 2).
    function _fees(uint256 blockNumber) internal view returns (uint256) {
        return inputsOf[blockNumber][2] >> 128;
    }

    function _total(uint256 blockNumber) internal view returns (uint256) {
        return BLOCK_REWARD + _fees(blockNumber);
    }

    /// @dev The prover cut of a block: the reward and the fees are split separately (fees come from fee funds).
    function _cut(uint256 blockNumber, uint256 bps) internal view returns (uint256) {
        return BLOCK_REWARD * bps / 10_000 + _fees(blockNumber) * bps / 10_000;
    }

    /// @dev What the proposers of blocks `from..to` are owed for them, summed per address.
    function _sequencerShareOf(address who, uint256 from, uint256 to, uint256 bps)
        internal
        view
        returns (uint256 share)
    {
        for (uint256 n = from; n <= to; ++n) {
            if (rollup.blockLog(n).proposer == who) share += _total(n) - _cut(n, bps);
        }
    }
}

/// @notice Exact reward amounts of a proven epoch, with a well-funded pool.
contract RollupRewardsTest is RewardsBase {
    function setUp() public override {
        super.setUp();
        _setUpActors();
    }

    function test_rewards_claimedEpochCreditsExactAmounts() public {
        uint32 fee = 1000;
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        _claim(20 ether, fee);
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 4);
        uint256 proverCut;
        uint256 totals;
        for (uint256 n = 1; n <= 4; ++n) {
            proverCut += _cut(n, fee);
            totals += _total(n);
        }
        uint256 available = pool.available();

        // Credits in order: the payee (the claimed prover: its cut and the submission reward in one credit),
        // then each block's proposer. The submitter is not the payee: it gets nothing.
        uint256 payeeAmount = PROOF_SUBMISSION_REWARD + proverCut;
        vm.expectEmit(address(pool));
        emit IRewardPool.RewardCredited(prover, payeeAmount, payeeAmount);
        for (uint256 n = 1; n <= 4; ++n) {
            uint256 share = _total(n) - _cut(n, fee);
            vm.expectEmit(address(pool));
            emit IRewardPool.RewardCredited(rollup.blockLog(n).proposer, share, share);
        }
        vm.prank(submitter);
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);

        assertEq(pool.owed(submitter), 0, "submitter");
        assertEq(pool.owed(prover), payeeAmount, "prover");
        for (uint256 i; i < sequencers.length; ++i) {
            assertEq(pool.owed(sequencers[i]), _sequencerShareOf(sequencers[i], 1, 4, fee), "sequencer share");
        }
        assertEq(pool.totalOwed(), PROOF_SUBMISSION_REWARD + totals, "every block pays reward + fees once");
        assertEq(pool.available(), available - PROOF_SUBMISSION_REWARD - totals, "drawn from the pool");
    }

    function test_rewards_openProvingPaysOpenFeeToSubmitter() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 4, submitter);
        uint256 proverCut;
        for (uint256 n = 1; n <= 4; ++n) {
            proverCut += _cut(n, OPEN_PROVING_BPS);
        }

        vm.prank(submitter);
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);

        assertEq(pool.owed(submitter), PROOF_SUBMISSION_REWARD + proverCut, "submitter is the prover");
        for (uint256 i; i < sequencers.length; ++i) {
            assertEq(
                pool.owed(sequencers[i]),
                _sequencerShareOf(sequencers[i], 1, 4, OPEN_PROVING_BPS),
                "sequencer share"
            );
        }
    }

    /// @dev Proposes the next block as the top proposer, consuming a fresh deposit of `fees` (+1, so a zero fee
    ///      still deposits) and declaring `fees`.
    function _proposeWithFees(uint256 fees, bytes memory tag) internal returns (address proposer) {
        _deposit(makeAddr("fee payer"), fees + 1);
        IRollup.ProposeArgs memory args = _proposeArgsWithMessages(rollup.pendingTip() + 1, 1, fees, tag);
        proposer = _topProposer(_currentSlot());
        _proposeAs(proposer, args);
    }

    function test_rewards_feesAreReadFromPackedGlobals() public {
        uint256 fees = 3 ether + 7;
        address proposer = _proposeWithFees(fees, "fee-paying block");
        uint256 globals = inputsOf[1][2];
        assertEq(globals & type(uint64).max, 1, "block number in bits 0..63");
        assertEq((globals >> 64) & type(uint64).max, _currentSlot(), "slot in bits 64..127");
        assertEq(globals >> 128, fees, "fees in bits 128..");

        _warpToEpoch(EPOCH + 1);
        uint32 fee = 3333;
        _claim(20 ether, fee);
        _proveOldestEpoch(submitter);

        uint256 rewardCut = BLOCK_REWARD * fee / 10_000;
        uint256 feeCut = fees * fee / 10_000;
        assertEq(pool.owed(prover), PROOF_SUBMISSION_REWARD + rewardCut + feeCut, "prover cuts round down");
        assertEq(
            pool.owed(proposer),
            BLOCK_REWARD - rewardCut + fees - feeCut,
            "sequencer gets the rest, rounding included"
        );
    }

    function test_rewards_splitMatchesBasisPoints() public {
        _checkSplit(2500, 1 ether);
    }

    function testFuzz_rewards_splitMatchesBasisPoints(uint256 bps, uint256 fees) public {
        _checkSplit(uint32(bound(bps, 0, MAX_PROVER_FEE_BPS)), bound(fees, 0, 1000 ether));
    }

    function _checkSplit(uint32 bps, uint256 fees) internal {
        address proposer = _proposeWithFees(fees, "one block");
        uint256 available = pool.available();
        _warpToEpoch(EPOCH + 1);
        _claim(20 ether, bps);
        _proveOldestEpoch(submitter);

        uint256 rewardCut = BLOCK_REWARD * bps / 10_000;
        uint256 feeCut = fees * bps / 10_000;
        assertEq(
            pool.owed(prover),
            PROOF_SUBMISSION_REWARD + rewardCut + feeCut,
            "prover cuts and submission reward"
        );
        assertEq(pool.owed(proposer), BLOCK_REWARD - rewardCut + fees - feeCut, "sequencer share");
        assertEq(pool.owed(submitter), 0, "a submitter that is not the payee earns nothing");
        assertEq(pool.totalOwed(), BLOCK_REWARD + fees + PROOF_SUBMISSION_REWARD, "nothing lost to rounding");
        assertEq(pool.feeFunds(), 1, "the consumed deposit minus the fees stays fee funds");
        assertEq(
            pool.available(),
            available - BLOCK_REWARD - PROOF_SUBMISSION_REWARD,
            "fees never drawn from rewards"
        );
    }

    function test_rewards_creditsAreClaimable() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        _claim(20 ether, 1000);
        _proveOldestEpoch(submitter);
        uint256 poolBalance = token.balanceOf(address(pool));
        uint256 owedTotal = pool.totalOwed();

        address[] memory accounts = new address[](sequencers.length + 2);
        accounts[0] = submitter;
        accounts[1] = prover;
        for (uint256 i; i < sequencers.length; ++i) {
            accounts[i + 2] = sequencers[i];
        }
        uint256 paid;
        for (uint256 i; i < accounts.length; ++i) {
            uint256 owed = pool.owed(accounts[i]);
            if (owed == 0) continue;
            uint256 balance = token.balanceOf(accounts[i]);
            vm.expectEmit(address(pool));
            emit IRewardPool.RewardClaimed(accounts[i], accounts[i], owed);
            vm.prank(accounts[i]);
            assertEq(pool.claim(accounts[i]), owed, "claimed amount");
            assertEq(token.balanceOf(accounts[i]), balance + owed, "tokens received");
            paid += owed;
        }
        assertEq(paid, owedTotal, "every credit paid");
        assertEq(pool.totalOwed(), 0, "nothing owed");
        assertEq(token.balanceOf(address(pool)), poolBalance - paid, "pool paid exactly the credits");

        vm.expectRevert(abi.encodeWithSelector(Errors.RewardPool__NothingToClaim.selector, submitter));
        vm.prank(submitter);
        pool.claim(submitter);
    }
}

/// @notice A pool that cannot cover an epoch: credits are capped at available(), proving never blocks,
///         and tokens are conserved.
contract RollupRewardsShortfallTest is RewardsBase {
    uint256 internal constant SHORT_FUNDING = 15 ether;

    function setUp() public override {
        super.setUp();
        // A fresh suite whose pool holds only SHORT_FUNDING (the first one keeps its POOL_FUNDING).
        _deploySuite();
        _fundRewardPool(SHORT_FUNDING);
        _setUpActors();
    }

    function _capped(uint256 requested, uint256 available) internal pure returns (uint256) {
        return requested < available ? requested : available;
    }

    function test_rewards_creditsAreCappedAtAvailable() public {
        // Two blocks request 1 + 2 * (10 ether + fees): more than the 15 ether in the pool.
        _warpToSlot(8);
        _proposeTop();
        _warpToSlot(9);
        _proposeTop();
        _warpToEpoch(EPOCH + 1);
        (uint256[] memory inputs, bytes memory proofs) = _epochProof(1, 2, submitter);
        uint256 cut = _cut(1, OPEN_PROVING_BPS) + _cut(2, OPEN_PROVING_BPS);
        uint256 share1 = _total(1) - _cut(1, OPEN_PROVING_BPS);
        uint256 share2 = _total(2) - _cut(2, OPEN_PROVING_BPS);
        assertGt(PROOF_SUBMISSION_REWARD + cut + share1 + share2, SHORT_FUNDING, "shortfall");

        uint256 left = SHORT_FUNDING;
        uint256 toPayee = _capped(PROOF_SUBMISSION_REWARD + cut, left);
        left -= toPayee;
        uint256 toFirst = _capped(share1, left);
        left -= toFirst;
        uint256 toSecond = _capped(share2, left);
        assertLt(toSecond, share2, "the last credit is capped");
        assertGt(toSecond, 0, "but not empty");

        vm.expectEmit(address(pool));
        emit IRewardPool.RewardCredited(submitter, toPayee, PROOF_SUBMISSION_REWARD + cut);
        vm.expectEmit(address(pool));
        emit IRewardPool.RewardCredited(rollup.blockLog(1).proposer, toFirst, share1);
        vm.expectEmit(address(pool));
        emit IRewardPool.RewardCredited(rollup.blockLog(2).proposer, toSecond, share2);
        vm.prank(submitter);
        rollup.submitEpochProof(Epoch.wrap(EPOCH), inputs, proofs);

        assertEq(rollup.provenTip(), 2, "a short pool does not block proving");
        assertEq(pool.available(), 0, "pool fully committed");
        assertEq(pool.totalOwed(), SHORT_FUNDING, "never owes more than it holds");
        assertEq(token.balanceOf(address(pool)), pool.totalOwed(), "balance covers the credits");
    }

    function test_rewards_emptyPoolCreditsNothingAndTokensAreConserved() public {
        _fillEpoch();
        _warpToEpoch(EPOCH + 1);
        _proveOldestEpoch(submitter); // commits the whole pool
        assertEq(pool.available(), 0, "pool empty");
        uint256 supply = token.totalSupply();

        _fillEpoch();
        _warpToEpoch(EPOCH + 2);
        uint256 owedBefore = pool.totalOwed();
        _proveOldestEpoch(submitter);
        assertEq(rollup.provenTip(), 8, "second epoch proven");
        assertEq(pool.totalOwed(), owedBefore, "nothing credited from an empty pool");

        // Everyone claims: exactly the funding leaves the pool, no token is created or lost.
        address[] memory accounts = new address[](sequencers.length + 1);
        accounts[0] = submitter;
        for (uint256 i; i < sequencers.length; ++i) {
            accounts[i + 1] = sequencers[i];
        }
        uint256 paid;
        for (uint256 i; i < accounts.length; ++i) {
            uint256 owed = pool.owed(accounts[i]);
            if (owed == 0) continue;
            vm.prank(accounts[i]);
            paid += pool.claim(accounts[i]);
        }
        assertEq(paid, SHORT_FUNDING, "paid out exactly the funding");
        assertEq(token.balanceOf(address(pool)), 0, "pool drained, never overdrawn");
        assertEq(token.totalSupply(), supply, "supply unchanged");
    }
}
