// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {SignedEpochProofQuote} from "../../contracts/libraries/QuoteLib.sol";
import {Epoch} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";

/// @notice End-to-end lifecycle on the contracts: register, propose a full epoch, claim, prove, get paid.
contract RollupLifecycleTest is Base {
    function setUp() public override {
        super.setUp();
        _registerAndActivate(4);
    }

    function test_lifecycle_claimedEpochIsProvenAndPaid() public {
        uint256 epoch = _currentEpoch();
        _fillEpoch();
        assertEq(rollup.pendingTip(), EPOCH_DURATION, "one block per slot");

        (address prover, uint256 key) = _prover("prover", 50 ether);
        _warpToEpoch(epoch + 1);
        address claimant = _topProposer(_currentSlot());
        SignedEpochProofQuote memory signed = _sign(_quote(prover, epoch, 20 ether, 1000), key);
        vm.prank(claimant);
        rollup.claimEpochProofRight(signed);
        assertEq(escrow.accountOf(prover).locked, 20 ether, "bond locked");

        // Anyone may relay the prover's proofs; they name the claimed prover as payee, who is paid everything.
        address submitter = makeAddr("submitter");
        _proveOldestEpoch(submitter);
        assertEq(rollup.provenTip(), EPOCH_DURATION, "epoch proven");
        assertEq(escrow.accountOf(prover).locked, 0, "bond released");
        uint256 proverShare;
        for (uint256 n = 1; n <= EPOCH_DURATION; ++n) {
            uint256 total = BLOCK_REWARD + (inputsOf[n][2] >> 128);
            proverShare += total * 1000 / 10_000;
            assertGt(pool.owed(rollup.blockLog(n).proposer), 0, "sequencer paid");
        }
        assertEq(
            pool.owed(prover), proverShare + PROOF_SUBMISSION_REWARD, "prover share and submission reward"
        );
        assertEq(pool.owed(submitter), 0, "the relayer earns nothing");
        assertEq(uint8(rollup.claimOf(Epoch.wrap(epoch)).status), uint8(IRollup.ClaimStatus.Proven));
    }
}
