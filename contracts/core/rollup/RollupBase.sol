// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IFeeInbox} from "../../interfaces/IFeeInbox.sol";
import {IProofVerifier} from "../../interfaces/IProofVerifier.sol";
import {IProverEscrow} from "../../interfaces/IProverEscrow.sol";
import {IRewardPool} from "../../interfaces/IRewardPool.sol";
import {IRollup} from "../../interfaces/IRollup.sol";
import {IStaking} from "../../interfaces/IStaking.sol";
import {Constants} from "../../libraries/Constants.sol";
import {Errors} from "../../libraries/Errors.sol";
import {EpochProofQuote, QuoteLib} from "../../libraries/QuoteLib.sol";
import {Epoch, Slot} from "../../libraries/TimeLib.sol";
import {EpochProofs} from "./EpochProofs.sol";
import {ProofClaims} from "./ProofClaims.sol";
import {Proposals} from "./Proposals.sol";
import {Prunes} from "./Prunes.sol";
import {Randomness} from "./Randomness.sol";
import {RollupStorage} from "./RollupStorage.sol";
import {UpgradeVotes} from "./UpgradeVotes.sol";

/// @title RollupBase
/// @notice What both proving modes share: Fernet proposals, RANDAO seeds, backup mode, prunes, rewards,
///         upgrade signalling and every view. Rollup adds the Sidecar quote mode's entry points, CommitteeRollup
///         the proving committee's (docs/protocol.md).
/// @dev The shared external surface and the checks that tie the concerns together. Each concern is an
///      abstract contract in this folder over the one storage layout of RollupStorage.
abstract contract RollupBase is Randomness, UpgradeVotes, Proposals, ProofClaims, EpochProofs, Prunes {
    /// @param staking_ The sequencer staking contract (its clock and lag become the rollup's).
    /// @param escrow_ The prover escrow.
    /// @param pool_ The reward pool.
    /// @param verifier_ The block proof verifier.
    /// @param chunkVerifier_ The chunk proof verifier.
    /// @param config_ The rollup parameters.
    /// @param inbox_ The fee inbox (deployed for this rollup and pool).
    constructor(
        IStaking staking_,
        IProverEscrow escrow_,
        IRewardPool pool_,
        IProofVerifier verifier_,
        IProofVerifier chunkVerifier_,
        Config memory config_,
        IFeeInbox inbox_
    ) RollupStorage(staking_, escrow_, pool_, verifier_, chunkVerifier_, config_, inbox_) {
        _checkSatellites(staking_, escrow_, pool_, inbox_);
        _checkConfig(config_, staking_.exitDelay());

        _blocks[0].stateRoot = config_.genesisStateRoot;
        _checkpointEpochs.push(0);
        _randao[0] = block.prevrandao;
        emit RandomnessCheckpointed(Epoch.wrap(0), block.prevrandao);
    }

    // ================================================================== proposals

    /// @dev The proposal path of `propose`: checks the slot, its window, the proposer's eligibility and, when
    ///      the slot has a block, that the proposer outscores it; appends (or replaces) the block and holds its
    ///      vote. Returns the block's number.
    function _propose(ProposeArgs calldata args) internal returns (uint256 blockNumber) {
        _checkpointRandomness();
        // Pruning calls the trusted satellites first (see docs/security.md, reentrancy).
        // slither-disable-next-line reentrancy-no-eth,reentrancy-benign,reentrancy-events
        _pruneIfExpired();

        Slot slot = _currentSlot();
        require(args.header.slot == slot, Errors.Rollup__InvalidSlot(slot, args.header.slot));
        uint256 windowEnd = _slotStart(slot) + PROPOSAL_WINDOW;
        require(
            block.timestamp < windowEnd, Errors.Rollup__ProposalWindowClosed(slot, windowEnd, block.timestamp)
        );
        Epoch epoch = _epochOf(slot);
        require(STAKING.canPropose(msg.sender, epoch), Errors.Rollup__ProposerNotEligible(msg.sender, epoch));

        uint256 tip = _pendingTip;
        StoredBlock storage tipLog = _blocks[tip];
        if (tip != 0 && Slot.wrap(tipLog.slot) == slot) {
            uint256 seed = _seed(epoch);
            uint256 currentScore = _score(seed, slot, tipLog.proposer);
            uint256 proposedScore = _score(seed, slot, msg.sender);
            require(
                proposedScore > currentScore, Errors.Rollup__ScoreTooLow(slot, currentScore, proposedScore)
            );
            emit BlockReplaced(tip, slot, tipLog.proposer, msg.sender);
            blockNumber = tip;
        } else {
            _settlePendingVote();
            blockNumber = tip + 1;
        }
        _appendBlock(args, blockNumber, false);
        _holdVote(args.upgradePayload, slot);
    }

    /// @inheritdoc IRollup
    function proposeWithProof(ProposeArgs calldata args, bytes calldata proof) external {
        _checkpointRandomness();
        // Pruning calls the trusted satellites first (see docs/security.md, reentrancy).
        // slither-disable-next-line reentrancy-no-eth,reentrancy-benign,reentrancy-events
        _pruneIfExpired();

        Slot slot = args.header.slot;
        uint256 opensAt = _slotStart(slot) + PROPOSAL_WINDOW;
        // proposalWindow + backupWindow <= slotDuration (constructor): the window ends inside the slot, so a
        // backup block never lands in the next slot's proposal window nor after its epoch ended.
        uint256 closesAt = opensAt + BACKUP_WINDOW;
        require(
            block.timestamp >= opensAt && block.timestamp < closesAt,
            Errors.Rollup__BackupWindowClosed(slot, opensAt, closesAt, block.timestamp)
        );
        uint256 tip = _pendingTip;
        Slot tipSlot = Slot.wrap(_blocks[tip].slot);
        require(tipSlot < slot, Errors.Rollup__SlotNotEmpty(slot, tipSlot));

        _settlePendingVote();
        uint256[] memory committed = _appendBlock(args, tip + 1, true);
        _verifyBackupProof(tip + 1, committed, proof);
    }

    // ================================================================== shared

    /// @inheritdoc IRollup
    function checkpointRandomness() external returns (bool written) {
        return _checkpointRandomness();
    }

    /// @inheritdoc IRollup
    function prune() external {
        _checkpointRandomness();
        require(_pruneIfExpired(), Errors.Rollup__NothingToPrune(_provenTip, _pendingTip));
    }

    // ================================================================== views

    /// @inheritdoc IRollup
    function staking() external view returns (IStaking) {
        return STAKING;
    }

    /// @inheritdoc IRollup
    function proverEscrow() external view returns (IProverEscrow) {
        return ESCROW;
    }

    /// @inheritdoc IRollup
    function rewardPool() external view returns (IRewardPool) {
        return POOL;
    }

    /// @inheritdoc IRollup
    function verifier() external view returns (IProofVerifier) {
        return VERIFIER;
    }

    /// @inheritdoc IRollup
    function chunkVerifier() external view returns (IProofVerifier) {
        return CHUNK_VERIFIER;
    }

    /// @inheritdoc IRollup
    function inbox() external view returns (IFeeInbox) {
        return INBOX;
    }

    /// @inheritdoc IRollup
    function config() external view returns (Config memory) {
        return Config({
            proposalWindow: PROPOSAL_WINDOW,
            backupWindow: BACKUP_WINDOW,
            claimWindowSlots: CLAIM_WINDOW_SLOTS,
            proofWindowSlots: PROOF_WINDOW_SLOTS,
            maxDataBytes: MAX_DATA_BYTES,
            blockReward: BLOCK_REWARD,
            proofSubmissionReward: PROOF_SUBMISSION_REWARD,
            openProvingBasisPointFee: OPEN_PROVING_BASIS_POINT_FEE,
            maxProverFeeBps: MAX_PROVER_FEE_BPS,
            minimumProverBond: MINIMUM_PROVER_BOND,
            unprovenBlockPenalty: UNPROVEN_BLOCK_PENALTY,
            voteRoundSize: VOTE_ROUND_SIZE,
            voteQuorum: VOTE_QUORUM,
            genesisStateRoot: _blocks[0].stateRoot
        });
    }

    /// @inheritdoc IRollup
    function pendingTip() external view returns (uint256) {
        return _pendingTip;
    }

    /// @inheritdoc IRollup
    function provenTip() external view returns (uint256) {
        return _provenTip;
    }

    /// @inheritdoc IRollup
    function blockLog(uint256 blockNumber) external view returns (BlockLog memory) {
        StoredBlock storage stored = _blocks[blockNumber];
        return BlockLog({
            stateRoot: stored.stateRoot,
            publicInputsHash: stored.publicInputsHash,
            proposer: stored.proposer,
            slot: stored.slot,
            backup: stored.backup,
            inboxCursor: stored.inboxCursor
        });
    }

    /// @inheritdoc IRollup
    function epochLog(Epoch epoch) external view returns (EpochLog memory) {
        return _epochs[Epoch.unwrap(epoch)];
    }

    /// @inheritdoc IRollup
    function claimOf(Epoch epoch) external view returns (ProofClaim memory) {
        return _claims[Epoch.unwrap(epoch)];
    }

    /// @inheritdoc IRollup
    function proofDeadline(Epoch epoch) external view returns (Slot) {
        return _proofDeadline(epoch);
    }

    /// @inheritdoc IRollup
    function claimDeadline(Epoch epoch) external view returns (Slot) {
        return _claimDeadline(epoch);
    }

    /// @inheritdoc IRollup
    function canPrune() external view returns (bool) {
        return _canPrune();
    }

    /// @inheritdoc IRollup
    function seedOf(Epoch epoch) external view returns (uint256) {
        return _seed(epoch);
    }

    /// @inheritdoc IRollup
    function scoreOf(Slot slot, address proposer) external view returns (uint256) {
        return _score(_seed(_epochOf(slot)), slot, proposer);
    }

    /// @inheritdoc IRollup
    function randomnessCheckpoint(Epoch epoch) external view returns (uint256) {
        return _randao[Epoch.unwrap(epoch)];
    }

    /// @inheritdoc IRollup
    function quoteDigest(EpochProofQuote calldata quote) external view returns (bytes32) {
        return _hashTypedDataV4(QuoteLib.structHash(quote));
    }

    /// @inheritdoc IRollup
    function publicInputsOf(ProposeArgs calldata args)
        external
        pure
        returns (uint256[] memory publicInputs, bytes32 commitment)
    {
        return _publicInputs(args);
    }

    /// @inheritdoc IRollup
    function votesFor(uint256 round, address payload) external view returns (uint256) {
        return _votes[round][payload];
    }

    /// @inheritdoc IRollup
    function signalledPayload(uint256 round) external view returns (address) {
        return _signalled[round];
    }

    // ================================================================== construction

    function _checkSatellites(IStaking staking_, IProverEscrow escrow_, IRewardPool pool_, IFeeInbox inbox_)
        private
        view
    {
        address self = address(this);
        require(
            staking_.rollup() == self,
            Errors.Rollup__SatelliteMismatch(address(staking_), self, staking_.rollup())
        );
        require(
            escrow_.rollup() == self,
            Errors.Rollup__SatelliteMismatch(address(escrow_), self, escrow_.rollup())
        );
        require(
            pool_.rollup() == self, Errors.Rollup__SatelliteMismatch(address(pool_), self, pool_.rollup())
        );
        address token = address(staking_.stakingToken());
        require(
            address(escrow_.token()) == token,
            Errors.Config__Invalid("escrowToken", uint160(address(escrow_.token())))
        );
        require(
            address(pool_.token()) == token,
            Errors.Config__Invalid("poolToken", uint160(address(pool_.token())))
        );
        require(
            inbox_.rollup() == self, Errors.Rollup__SatelliteMismatch(address(inbox_), self, inbox_.rollup())
        );
        require(inbox_.pool() == address(pool_), Errors.Config__Invalid("inboxPool", uint160(inbox_.pool())));
        require(
            address(inbox_.token()) == token,
            Errors.Config__Invalid("inboxToken", uint160(address(inbox_.token())))
        );
    }

    function _checkConfig(Config memory c, uint256 exitDelay) private view {
        require(
            c.proposalWindow > 0 && c.proposalWindow <= SLOT_DURATION,
            Errors.Config__Invalid("proposalWindow", c.proposalWindow)
        );
        // Both windows fit in the slot, so a backup block never lands in the next slot's proposal window.
        require(
            c.backupWindow <= SLOT_DURATION - c.proposalWindow,
            Errors.Config__Invalid("backupWindow", c.backupWindow)
        );
        require(
            c.claimWindowSlots > 0 && c.claimWindowSlots <= EPOCH_DURATION,
            Errors.Config__Invalid("claimWindowSlots", c.claimWindowSlots)
        );
        require(
            c.proofWindowSlots >= c.claimWindowSlots
                && c.proofWindowSlots <= Constants.MAX_PROOF_WINDOW_EPOCHS * EPOCH_DURATION,
            Errors.Config__Invalid("proofWindowSlots", c.proofWindowSlots)
        );
        // A proposer that exits right after proposing stays slashable until a prune of its block could run:
        // the end of its epoch plus the proof window, plus one slot.
        require(
            exitDelay >= (EPOCH_DURATION + c.proofWindowSlots + 1) * SLOT_DURATION,
            Errors.Config__Invalid("exitDelay", exitDelay)
        );
        require(c.maxDataBytes > 0, Errors.Config__Invalid("maxDataBytes", 0));
        require(
            c.maxProverFeeBps <= Constants.BASIS_POINTS,
            Errors.Config__Invalid("maxProverFeeBps", c.maxProverFeeBps)
        );
        require(
            c.openProvingBasisPointFee <= c.maxProverFeeBps,
            Errors.Config__Invalid("openProvingBasisPointFee", c.openProvingBasisPointFee)
        );
        require(c.voteRoundSize > 0, Errors.Config__Invalid("voteRoundSize", 0));
        require(
            c.voteQuorum > 0 && c.voteQuorum <= c.voteRoundSize,
            Errors.Config__Invalid("voteQuorum", c.voteQuorum)
        );
        require(
            uint256(c.genesisStateRoot) < Constants.FIELD_MODULUS,
            Errors.Config__Invalid("genesisStateRoot", uint256(c.genesisStateRoot))
        );
    }
}
