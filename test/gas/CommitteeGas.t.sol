// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICommitteeRollup} from "../../contracts/interfaces/ICommitteeRollup.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Epoch} from "../../contracts/libraries/TimeLib.sol";
import {CommitteeBase} from "../CommitteeBase.t.sol";
import {CoolCheatcode} from "./Gas.t.sol";

/// @notice Gas of the committee mode's write paths, recorded in `.gas-snapshot` with the quote mode's
///         (`forge snapshot --match-path 'test/gas/*'`). As in GasTest, metering is paused while the state is
///         built and each test asserts a budget of about 1.3x the measured call. Each sign-off is a signer's
///         first (its settled slot written from zero: the worst case). The
///         state is measured as GasTest measures the quote mode's (the inbox cooled), so the two compare. Proofs are
///         checked by the CommitmentVerifier test double: the figures are the rollup's own cost.
contract CommitteeGasTest is CommitteeBase {
    uint256 internal measured;

    function setUp() public override {
        super.setUp();
        _registerMembers(MEMBERS);
    }

    function _startMeasure() internal {
        CoolCheatcode(address(vm)).cool(address(inbox));
        vm.resumeGasMetering();
        measured = gasleft();
    }

    function _stopMeasure(uint256 budget) internal {
        measured -= gasleft();
        vm.pauseGasMetering();
        assertLt(measured, budget, "gas budget");
    }

    /// @dev Proposes a parent block, then the measured block with the first `signers` of the committee of the
    ///      next slot that has that many.
    function _measureSignoffs(uint256 signers, uint256 budget) internal {
        vm.pauseGasMetering();
        // Steady state: a parent block in an earlier slot of the epoch.
        uint256 slot = _currentSlot();
        while (!_proposeTopSignedWithout(address(0))) _warpToSlot(++slot);
        ++slot;
        while (_committeeOf(slot, _topProposer(slot)).length < signers) ++slot;
        _warpToSlot(slot);
        rollup.checkpointRandomness();
        address proposer = _topProposer(slot);
        address[] memory committeeMembers = _committeeOf(slot, proposer);
        address[] memory chosen = new address[](signers);
        for (uint256 i; i < signers; ++i) {
            chosen[i] = committeeMembers[i];
        }
        IRollup.ProposeArgs memory args = _proposeArgs("measured block");
        bytes[] memory signoffs = _signoffs(args, chosen);
        vm.prank(proposer);
        _startMeasure();
        committee.proposeWithSignoffs(args, signoffs);
        _stopMeasure(budget);
        assertEq(committee.signersHashOf(args.header.blockNumber), _signersHash(chosen, 1), "signed");
    }

    function test_gas_proposeWithSignoffs_twoSigners() public {
        _measureSignoffs(2, 230_000);
    }

    function test_gas_proposeWithSignoffs_fourSigners() public {
        _measureSignoffs(4, 300_000);
    }

    function test_gas_submitCommitteeEpochProof_twoChunksPerBlock() public {
        vm.pauseGasMetering();
        txsPerBlock = 2 * CHUNK_TXS;
        uint256 epoch = _currentEpoch();
        uint256 blocks = _fillEpochSigned();
        assertGt(blocks, 1, "blocks to prove");
        _warpToEpoch(epoch + 1);
        rollup.checkpointRandomness();
        address submitter = makeAddr("submitter");
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) =
            _committeeProof(1, blocks, submitter);
        vm.prank(submitter);
        _startMeasure();
        committee.submitCommitteeEpochProof(Epoch.wrap(epoch), inputs, proof);
        _stopMeasure(100_000 + blocks * 110_000);
        assertEq(rollup.provenTip(), blocks, "proven");
    }
}
