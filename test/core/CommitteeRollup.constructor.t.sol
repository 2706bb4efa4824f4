// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICommitteeRollup} from "../../contracts/interfaces/ICommitteeRollup.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Constants} from "../../contracts/libraries/Constants.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {CommitteeBase} from "../CommitteeBase.t.sol";

/// @notice The committee mode's constructor: every parameter is kept, and each out-of-range one is refused
///         with its name and value.
contract CommitteeRollupConstructorTest is CommitteeBase {
    function _deployWith(ICommitteeRollup.CommitteeConfig memory config) internal {
        _deployCommitteeSuiteWith(_stakingConfig(), _rollupConfig(), config);
    }

    function _expectInvalid(ICommitteeRollup.CommitteeConfig memory config, bytes32 name, uint256 value)
        internal
    {
        vm.expectRevert(abi.encodeWithSelector(Errors.Config__Invalid.selector, name, value));
        this.deployWith(config);
    }

    /// @dev External, so a constructor revert is the call's revert.
    function deployWith(ICommitteeRollup.CommitteeConfig memory config) external {
        _deployWith(config);
    }

    function test_constructor_keepsEveryCommitteeParameter() public view {
        ICommitteeRollup.CommitteeConfig memory config = committee.committeeConfig();
        assertEq(config.committeeSize, COMMITTEE_SIZE, "committeeSize");
        assertEq(config.signoffQuorum, SIGNOFF_QUORUM, "signoffQuorum");
        assertEq(config.chunkTxs, CHUNK_TXS, "chunkTxs");
        assertEq(config.sequencerBaseBps, SEQUENCER_BASE_BPS, "sequencerBaseBps");
        assertEq(config.sequencerBonusBps, SEQUENCER_BONUS_BPS, "sequencerBonusBps");
        assertEq(config.takeoverSlots, TAKEOVER_SLOTS, "takeoverSlots");
        assertEq(config.inactivityLimit, INACTIVITY_LIMIT, "inactivityLimit");
        assertEq(config.inactivityPenalty, INACTIVITY_PENALTY, "inactivityPenalty");
        assertEq(address(committee.chunkVerifier()), address(chunkVerifier), "chunk verifier");
    }

    function test_constructor_revertsForAnEmptyCommittee() public {
        ICommitteeRollup.CommitteeConfig memory config = _committeeConfig();
        config.committeeSize = 0;
        config.signoffQuorum = 0;
        _expectInvalid(config, "committeeSize", 0);
    }

    function test_constructor_revertsForAQuorumOutsideTheCommittee() public {
        ICommitteeRollup.CommitteeConfig memory config = _committeeConfig();
        config.signoffQuorum = 0;
        _expectInvalid(config, "signoffQuorum", 0);
        config.signoffQuorum = COMMITTEE_SIZE + 1;
        _expectInvalid(config, "signoffQuorum", COMMITTEE_SIZE + 1);
    }

    function test_constructor_revertsWhenTheProposerCouldEarnMoreThanTheBlock() public {
        ICommitteeRollup.CommitteeConfig memory config = _committeeConfig();
        config.sequencerBonusBps = (10_000 - SEQUENCER_BASE_BPS) / COMMITTEE_SIZE + 1;
        _expectInvalid(config, "sequencerBonusBps", config.sequencerBonusBps);
        config.sequencerBonusBps = (10_000 - SEQUENCER_BASE_BPS) / COMMITTEE_SIZE;
        this.deployWith(config);
        assertEq(committee.committeeConfig().sequencerBonusBps, config.sequencerBonusBps, "the largest bonus");
    }

    function test_constructor_revertsForATakeoverOutsideTheProofWindow() public {
        ICommitteeRollup.CommitteeConfig memory config = _committeeConfig();
        config.takeoverSlots = PROOF_WINDOW_SLOTS;
        _expectInvalid(config, "takeoverSlots", PROOF_WINDOW_SLOTS);
    }

    function test_constructor_revertsForChunksTooSmallForTheLargestBlock() public {
        ICommitteeRollup.CommitteeConfig memory config = _committeeConfig();
        config.chunkTxs = 0;
        _expectInvalid(config, "chunkTxs", 0);
        // The largest block of MAX_DATA_BYTES holds 17 txs: one-tx chunks make 17, within the 256 allowed.
        config.chunkTxs = 1;
        this.deployWith(config);
        assertEq(committee.committeeConfig().chunkTxs, 1, "one tx per chunk");
        // With 4,000 txs per block, one-tx chunks would be more than MAX_CHUNKS_PER_BLOCK.
        IRollup.Config memory rollupConfig = _rollupConfig();
        rollupConfig.maxDataBytes = Constants.DATA_HEADER_BYTES + 4000 * Constants.TX_EFFECT_BYTES;
        bytes32 name = "chunkTxs";
        vm.expectRevert(abi.encodeWithSelector(Errors.Config__Invalid.selector, name, 1));
        this.deployWithRollup(rollupConfig, config);
        config.chunkTxs = 16;
        this.deployWithRollup(rollupConfig, config);
        assertEq(committee.committeeConfig().chunkTxs, 16, "250 chunks of 16 txs");
    }

    /// @dev External, so a constructor revert is the call's revert.
    function deployWithRollup(
        IRollup.Config memory rollupConfig,
        ICommitteeRollup.CommitteeConfig memory config
    ) external {
        _deployCommitteeSuiteWith(_stakingConfig(), rollupConfig, config);
    }

    function test_constructor_revertsForAZeroInactivityLimit() public {
        ICommitteeRollup.CommitteeConfig memory config = _committeeConfig();
        config.inactivityLimit = 0;
        _expectInvalid(config, "inactivityLimit", 0);
    }
}
