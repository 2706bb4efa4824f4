// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "../interfaces/IProofVerifier.sol";
import {IProverEscrow} from "../interfaces/IProverEscrow.sol";
import {IRewardPool} from "../interfaces/IRewardPool.sol";
import {IRollup} from "../interfaces/IRollup.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {Constants} from "../libraries/Constants.sol";
import {DataFingerprint} from "../libraries/DataFingerprint.sol";
import {Errors} from "../libraries/Errors.sol";
import {EpochProofQuote, QuoteLib, SignedEpochProofQuote} from "../libraries/QuoteLib.sol";
import {Epoch, Slot, TimeLib} from "../libraries/TimeLib.sol";
import {Clock} from "./Clock.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title Rollup
/// @notice Fernet proposals, RANDAO seeds, Sidecar epoch proof claims, epoch proofs, prunes, rewards and
///         upgrade signalling. See IRollup and docs/protocol.md.
contract Rollup is IRollup, Clock, EIP712 {
    using SafeCast for uint256;
    using TimeLib for Slot;
    using TimeLib for Epoch;

    uint256 private constant K = Constants.PUBLIC_INPUTS_PER_BLOCK;

    IStaking private immutable STAKING;
    IProverEscrow private immutable ESCROW;
    IRewardPool private immutable POOL;
    IProofVerifier private immutable VERIFIER;
    uint256 private immutable SEED_LAG;

    uint256 private immutable PROPOSAL_WINDOW;
    uint256 private immutable BACKUP_WINDOW;
    uint256 private immutable CLAIM_WINDOW_SLOTS;
    uint256 private immutable PROOF_WINDOW_SLOTS;
    uint256 private immutable MAX_DATA_BYTES;
    uint256 private immutable BLOCK_REWARD;
    uint256 private immutable PROOF_SUBMISSION_REWARD;
    uint256 private immutable OPEN_PROVING_BASIS_POINT_FEE;
    uint256 private immutable MINIMUM_PROVER_BOND;
    uint256 private immutable UNPROVEN_BLOCK_PENALTY;
    uint256 private immutable VOTE_ROUND_SIZE;
    uint256 private immutable VOTE_QUORUM;

    mapping(uint256 blockNumber => BlockLog) private _blocks;
    /// @dev Tips are read together on every write path.
    uint128 private _pendingTip;
    uint128 private _provenTip;
    mapping(uint256 epoch => EpochLog) private _epochs;
    mapping(uint256 epoch => ProofClaim) private _claims;

    /// @dev Epochs that have a randomness checkpoint, ascending (epoch 0 is written at deployment).
    uint256[] private _checkpointEpochs;
    mapping(uint256 epoch => uint256 randao) private _randao;

    /// @dev The latest slot's vote, counted once a later slot gets a block (its proposal is then final).
    address private _pendingVotePayload;
    uint64 private _pendingVoteSlot;
    mapping(uint256 round => mapping(address payload => uint256)) private _votes;
    mapping(uint256 round => address payload) private _signalled;

    /// @param staking_ The sequencer staking contract (its clock and lag become the rollup's).
    /// @param escrow_ The prover escrow.
    /// @param pool_ The reward pool.
    /// @param verifier_ The block proof verifier.
    /// @param config_ The rollup parameters.
    constructor(
        IStaking staking_,
        IProverEscrow escrow_,
        IRewardPool pool_,
        IProofVerifier verifier_,
        Config memory config_
    )
        Clock(staking_.genesisTime(), staking_.slotDuration(), staking_.epochDuration())
        EIP712("FernetRollup", "1")
    {
        _checkSatellites(staking_, escrow_, pool_);
        _checkConfig(config_);
        STAKING = staking_;
        ESCROW = escrow_;
        POOL = pool_;
        VERIFIER = verifier_;
        SEED_LAG = staking_.snapshotLag();

        PROPOSAL_WINDOW = config_.proposalWindow;
        BACKUP_WINDOW = config_.backupWindow;
        CLAIM_WINDOW_SLOTS = config_.claimWindowSlots;
        PROOF_WINDOW_SLOTS = config_.proofWindowSlots;
        MAX_DATA_BYTES = config_.maxDataBytes;
        BLOCK_REWARD = config_.blockReward;
        PROOF_SUBMISSION_REWARD = config_.proofSubmissionReward;
        OPEN_PROVING_BASIS_POINT_FEE = config_.openProvingBasisPointFee;
        MINIMUM_PROVER_BOND = config_.minimumProverBond;
        UNPROVEN_BLOCK_PENALTY = config_.unprovenBlockPenalty;
        VOTE_ROUND_SIZE = config_.voteRoundSize;
        VOTE_QUORUM = config_.voteQuorum;

        _blocks[0].stateRoot = config_.genesisStateRoot;
        _checkpointEpochs.push(0);
        _randao[0] = block.prevrandao;
        emit RandomnessCheckpointed(Epoch.wrap(0), block.prevrandao);
    }

    // ================================================================== proposals

    /// @inheritdoc IRollup
    function propose(ProposeArgs calldata args) external {
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
        BlockLog storage tipLog = _blocks[tip];
        if (tip != 0 && Slot.wrap(tipLog.slot) == slot) {
            uint256 seed = _seed(epoch);
            uint256 currentScore = _score(seed, slot, tipLog.proposer);
            uint256 proposedScore = _score(seed, slot, msg.sender);
            require(
                proposedScore > currentScore, Errors.Rollup__ScoreTooLow(slot, currentScore, proposedScore)
            );
            emit BlockReplaced(tip, slot, tipLog.proposer, msg.sender);
            _appendBlock(args, tip, false);
        } else {
            _settlePendingVote();
            _appendBlock(args, tip + 1, false);
        }
        _pendingVotePayload = args.upgradePayload;
        _pendingVoteSlot = uint64(Slot.unwrap(slot));
    }

    /// @inheritdoc IRollup
    function proposeWithProof(ProposeArgs calldata args, bytes calldata proof) external {
        _checkpointRandomness();
        // Pruning calls the trusted satellites first (see docs/security.md, reentrancy).
        // slither-disable-next-line reentrancy-no-eth,reentrancy-benign,reentrancy-events
        _pruneIfExpired();

        Slot slot = args.header.slot;
        uint256 opensAt = _slotStart(slot) + PROPOSAL_WINDOW;
        // An epoch's blocks are final once it ends (it may be proven at once), so the window stops there.
        uint256 epochEnd = _epochStart(_epochOf(slot).plus(1));
        uint256 closesAt = opensAt + BACKUP_WINDOW < epochEnd ? opensAt + BACKUP_WINDOW : epochEnd;
        require(
            block.timestamp >= opensAt && block.timestamp < closesAt,
            Errors.Rollup__BackupWindowClosed(slot, opensAt, closesAt, block.timestamp)
        );
        uint256 tip = _pendingTip;
        Slot tipSlot = Slot.wrap(_blocks[tip].slot);
        require(tipSlot < slot, Errors.Rollup__SlotNotEmpty(slot, tipSlot));

        _settlePendingVote();
        uint256[] memory publicInputs = _appendBlock(args, tip + 1, true);
        require(VERIFIER.verifyProof(proof, publicInputs), Errors.Rollup__InvalidProof(tip + 1, tip + 1));
    }

    // ================================================================== prover coordination

    /// @inheritdoc IRollup
    function claimEpochProofRight(SignedEpochProofQuote calldata signedQuote) external {
        _checkpointRandomness();
        // Pruning calls the trusted satellites first (see docs/security.md, reentrancy).
        // slither-disable-next-line reentrancy-no-eth,reentrancy-events
        _pruneIfExpired();

        EpochProofQuote calldata quote = signedQuote.quote;
        Slot slot = _currentSlot();
        Epoch current = _epochOf(slot);
        // slither-disable-next-line incorrect-equality -- an epoch number, not a balance
        Epoch target = Epoch.wrap(Epoch.unwrap(current) == 0 ? 0 : Epoch.unwrap(current) - 1);
        Epoch quoted = Epoch.wrap(quote.epochToProve);
        require(
            Epoch.unwrap(current) > 0 && quoted == target, Errors.Rollup__InvalidEpochToProve(target, quoted)
        );
        Slot lastClaimSlot = _claimDeadline(target);
        require(slot <= lastClaimSlot, Errors.Rollup__ClaimWindowClosed(target, lastClaimSlot, slot));
        require(
            Slot.unwrap(slot) <= quote.validUntilSlot,
            Errors.Rollup__QuoteExpired(Slot.wrap(quote.validUntilSlot), slot)
        );
        require(
            quote.rollupAddress == address(this),
            Errors.Rollup__QuoteForOtherRollup(address(this), quote.rollupAddress)
        );
        require(
            quote.basisPointFee <= Constants.BASIS_POINTS,
            Errors.Rollup__InvalidBasisPointFee(Constants.BASIS_POINTS, quote.basisPointFee)
        );
        require(
            quote.bondAmount >= MINIMUM_PROVER_BOND,
            Errors.Rollup__BondTooSmall(MINIMUM_PROVER_BOND, quote.bondAmount)
        );
        require(
            STAKING.canPropose(msg.sender, current), Errors.Rollup__ClaimantNotEligible(msg.sender, current)
        );
        ProofClaim storage claim = _claims[Epoch.unwrap(target)];
        require(claim.status == ClaimStatus.None, Errors.Rollup__EpochAlreadyClaimed(target, claim.prover));
        require(_hasUnprovenBlocks(target), Errors.Rollup__NothingToProve(target));

        // tryRecover yields address(0) exactly when the signature recovers nobody (its error values say why):
        // that must not match a quote naming address(0) as its prover.
        // slither-disable-next-line unused-return -- the error values only say why signer is address(0)
        (address signer,,) =
            ECDSA.tryRecover(_hashTypedDataV4(QuoteLib.structHash(quote)), signedQuote.signature);
        require(
            signer == quote.prover && signer != address(0),
            Errors.Rollup__InvalidQuoteSignature(quote.prover, signer)
        );

        claim.prover = quote.prover;
        claim.bondAmount = quote.bondAmount.toUint96();
        claim.claimant = msg.sender;
        claim.basisPointFee = quote.basisPointFee;
        claim.status = ClaimStatus.Claimed;
        emit EpochProofRightClaimed(target, quote.prover, msg.sender, quote.bondAmount, quote.basisPointFee);

        ESCROW.lockBond(quote.prover, quote.bondAmount);
    }

    /// @inheritdoc IRollup
    function submitEpochProof(Epoch epoch, uint256[] calldata publicInputs, bytes calldata proofs) external {
        _checkpointRandomness();
        (uint256 first, uint256 last) = _checkEpochInputs(epoch, publicInputs);
        require(VERIFIER.verifyBatch(proofs, publicInputs), Errors.Rollup__InvalidProof(first, last));

        // forge-lint: disable-next-line(unsafe-typecast) -- block numbers grow by one per slot, far below 2^128
        _provenTip = uint128(last);
        // slither-disable-next-line reentrancy-events -- releases the bond in the trusted escrow
        address prover = _settleClaim(epoch);
        emit EpochProven(epoch, first, last, prover, msg.sender);
        _payEpoch(epoch, first, publicInputs, prover);
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
        return _blocks[blockNumber];
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
        uint256 proven = _provenTip;
        if (_pendingTip == proven) return false;
        return _currentSlot() > _proofDeadline(_epochOf(Slot.wrap(_blocks[proven + 1].slot)));
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
    function rankingForSlot(Slot slot)
        external
        view
        returns (address[] memory proposers, uint256[] memory scores)
    {
        Epoch epoch = _epochOf(slot);
        proposers = STAKING.proposersAt(epoch);
        uint256 seed = _seed(epoch);
        uint256 n = proposers.length;
        scores = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            scores[i] = _score(seed, slot, proposers[i]);
        }
        // Insertion sort, highest score first: a view over a small set.
        for (uint256 i = 1; i < n; ++i) {
            (address p, uint256 s) = (proposers[i], scores[i]);
            uint256 j = i;
            while (j > 0 && scores[j - 1] < s) {
                (proposers[j], scores[j]) = (proposers[j - 1], scores[j - 1]);
                --j;
            }
            (proposers[j], scores[j]) = (p, s);
        }
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

    // ================================================================== internals: chain

    /// @dev Validates `args` as block `blockNumber` on top of block `blockNumber - 1` and stores it.
    function _appendBlock(ProposeArgs calldata args, uint256 blockNumber, bool backup)
        private
        returns (uint256[] memory publicInputs)
    {
        BlockHeader calldata header = args.header;
        require(
            header.blockNumber == blockNumber,
            Errors.Rollup__InvalidBlockNumber(blockNumber, header.blockNumber)
        );
        bytes32 parentRoot = _blocks[blockNumber - 1].stateRoot;
        require(
            header.prevStateRoot == parentRoot, Errors.Rollup__InvalidParent(parentRoot, header.prevStateRoot)
        );
        require(
            uint256(header.newStateRoot) < Constants.FIELD_MODULUS,
            Errors.Rollup__NotAFieldElement(uint256(header.newStateRoot))
        );
        require(header.dataHash < Constants.FIELD_MODULUS, Errors.Rollup__NotAFieldElement(header.dataHash));
        require(
            header.totalFees <= Constants.MAX_FEES,
            Errors.Rollup__FeesTooLarge(Constants.MAX_FEES, header.totalFees)
        );
        require(
            args.data.length <= MAX_DATA_BYTES, Errors.Rollup__DataTooLarge(MAX_DATA_BYTES, args.data.length)
        );

        bytes32 commitment;
        (publicInputs, commitment) = _publicInputs(args);
        BlockLog storage log = _blocks[blockNumber];
        log.stateRoot = header.newStateRoot;
        log.publicInputsHash = commitment;
        log.proposer = msg.sender;
        // forge-lint: disable-next-line(unsafe-typecast) -- the slot is at most the current slot, far below 2^64
        log.slot = uint64(Slot.unwrap(header.slot));
        log.backup = backup;

        if (blockNumber > _pendingTip) {
            // forge-lint: disable-next-line(unsafe-typecast) -- block numbers grow by one per slot, far below 2^128
            _pendingTip = uint128(blockNumber);
            EpochLog storage epochLog_ = _epochs[Epoch.unwrap(_epochOf(header.slot))];
            if (epochLog_.blockCount == 0) {
                // forge-lint: disable-next-line(unsafe-typecast) -- block numbers grow by one per slot
                epochLog_.firstBlock = uint64(blockNumber);
            }
            epochLog_.blockCount += 1;
        }
        emit BlockProposed(
            blockNumber,
            header.slot,
            msg.sender,
            header.newStateRoot,
            header.dataHash,
            publicInputs[4],
            publicInputs[5],
            backup
        );
    }

    /// @dev Prunes every unproven block if the oldest unproven epoch is past its proof deadline.
    function _pruneIfExpired() private returns (bool pruned) {
        uint256 proven = _provenTip;
        uint256 pending = _pendingTip;
        if (pending == proven) return false;
        Epoch epoch = _epochOf(Slot.wrap(_blocks[proven + 1].slot));
        if (_currentSlot() <= _proofDeadline(epoch)) return false;

        // forge-lint: disable-next-line(unsafe-typecast) -- block numbers grow by one per slot, far below 2^128
        _pendingTip = uint128(proven);
        emit BlocksPruned(epoch, proven + 1, pending);
        // The escrow, pool and staking are trusted (see docs/security.md, reentrancy).
        // slither-disable-next-line reentrancy-no-eth,reentrancy-events
        _punishMissedProof(epoch, proven + 1, pending);

        Epoch lastEpoch = _epochOf(Slot.wrap(_blocks[pending].slot));
        for (uint256 e = Epoch.unwrap(epoch); e <= Epoch.unwrap(lastEpoch); ++e) {
            delete _epochs[e];
            ProofClaim storage claim = _claims[e];
            if (e != Epoch.unwrap(epoch) && claim.status == ClaimStatus.Claimed) {
                claim.status = ClaimStatus.Cancelled;
                emit ClaimCancelled(Epoch.wrap(e), claim.prover);
                // slither-disable-next-line calls-loop -- the trusted escrow; bounded by the pruned epochs
                ESCROW.releaseBond(claim.prover, claim.bondAmount);
            }
        }
        return true;
    }

    /// @dev A claimed epoch slashes the prover's bond to the proposers of the lost blocks (one equal share
    ///      per block, rounding dust stays in the pool); an unclaimed one slashes the stake of the proposer
    ///      of its first block, whose data nobody would prove (backup blocks came with a proof: exempt).
    function _punishMissedProof(Epoch epoch, uint256 fromBlock, uint256 toBlock) private {
        ProofClaim storage claim = _claims[Epoch.unwrap(epoch)];
        if (claim.status == ClaimStatus.Claimed) {
            claim.status = ClaimStatus.Slashed;
            uint256 bond = claim.bondAmount;
            uint256 share = bond / (toBlock - fromBlock + 1);
            emit ProverSlashed(epoch, claim.prover, bond, share);
            ESCROW.slashBond(claim.prover, bond, address(POOL));
            if (share == 0) return;
            for (uint256 n = fromBlock; n <= toBlock; ++n) {
                // slither-disable-next-line calls-loop,unused-return -- capped by the pool's funds by design
                POOL.credit(_blocks[n].proposer, share);
            }
        } else if (UNPROVEN_BLOCK_PENALTY > 0 && !_blocks[fromBlock].backup) {
            // slither-disable-next-line unused-return -- capped by the stake; Staking emits the amount
            STAKING.slash(_blocks[fromBlock].proposer, UNPROVEN_BLOCK_PENALTY, address(POOL));
        }
    }

    /// @dev Marks the epoch's claim proven and releases its bond; returns who earns the prover share.
    function _settleClaim(Epoch epoch) private returns (address prover) {
        ProofClaim storage claim = _claims[Epoch.unwrap(epoch)];
        if (claim.status != ClaimStatus.Claimed) return msg.sender;
        claim.status = ClaimStatus.Proven;
        ESCROW.releaseBond(claim.prover, claim.bondAmount);
        return claim.prover;
    }

    /// @dev Credits the submitter's reward, the prover's share and each block's sequencer share.
    function _payEpoch(Epoch epoch, uint256 first, uint256[] calldata publicInputs, address prover) private {
        uint256 count = publicInputs.length / K;
        ProofClaim storage claim = _claims[Epoch.unwrap(epoch)];
        uint256 basisPointFee =
            claim.status == ClaimStatus.Proven ? claim.basisPointFee : OPEN_PROVING_BASIS_POINT_FEE;
        // slither-disable-next-line unused-return -- credits are capped by the pool's funds by design
        POOL.credit(msg.sender, PROOF_SUBMISSION_REWARD);

        uint256[] memory sequencerShares = new uint256[](count);
        // slither-disable-next-line uninitialized-local -- starts at zero, as Solidity initializes it
        uint256 proverShare;
        for (uint256 i; i < count; ++i) {
            uint256 fees = publicInputs[i * K + 2] >> Constants.GLOBALS_FEES_SHIFT;
            uint256 total = BLOCK_REWARD + fees;
            uint256 cut = total * basisPointFee / Constants.BASIS_POINTS;
            proverShare += cut;
            sequencerShares[i] = total - cut;
        }
        // slither-disable-next-line unused-return -- credits are capped by the pool's funds by design
        POOL.credit(prover, proverShare);
        for (uint256 i; i < count; ++i) {
            // slither-disable-next-line calls-loop,unused-return -- the trusted pool; one call per block
            POOL.credit(_blocks[first + i].proposer, sequencerShares[i]);
        }
    }

    /// @dev Checks that `epoch` is the oldest unproven epoch, has ended, is inside its proof window, and
    ///      that `publicInputs` are exactly the rows its proposals committed to; returns its block range.
    function _checkEpochInputs(Epoch epoch, uint256[] calldata publicInputs)
        private
        view
        returns (uint256 first, uint256 last)
    {
        first = uint256(_provenTip) + 1;
        require(first <= _pendingTip, Errors.Rollup__NothingToProve(epoch));
        Epoch oldest = _epochOf(Slot.wrap(_blocks[first].slot));
        require(oldest == epoch, Errors.Rollup__InvalidEpochToProve(oldest, epoch));
        Epoch current = _currentEpoch();
        require(current > epoch, Errors.Rollup__EpochNotEnded(epoch, current));
        Slot deadline = _proofDeadline(epoch);
        Slot slot = _currentSlot();
        require(slot <= deadline, Errors.Rollup__ProofWindowClosed(epoch, deadline, slot));

        EpochLog memory log = _epochs[Epoch.unwrap(epoch)];
        last = uint256(log.firstBlock) + log.blockCount - 1;
        uint256 expectedLength = (last - first + 1) * K;
        require(
            publicInputs.length == expectedLength,
            Errors.Rollup__InvalidPublicInputsLength(expectedLength, publicInputs.length)
        );
        for (uint256 n = first; n <= last; ++n) {
            uint256 row = (n - first) * K;
            bytes32 expected = _blocks[n].publicInputsHash;
            bytes32 actual = _hashWords(publicInputs[row:row + K]);
            require(actual == expected, Errors.Rollup__PublicInputsMismatch(n, expected, actual));
        }
    }

    function _hasUnprovenBlocks(Epoch epoch) private view returns (bool) {
        EpochLog storage log = _epochs[Epoch.unwrap(epoch)];
        return log.blockCount > 0 && uint256(log.firstBlock) + log.blockCount - 1 > _provenTip;
    }

    function _proofDeadline(Epoch epoch) private view returns (Slot) {
        return _firstSlot(epoch.plus(1)).plus(PROOF_WINDOW_SLOTS - 1);
    }

    function _claimDeadline(Epoch epoch) private view returns (Slot) {
        return _firstSlot(epoch.plus(1)).plus(CLAIM_WINDOW_SLOTS - 1);
    }

    // ================================================================== internals: public inputs

    /// @dev [prevStateRoot, newStateRoot, blockNumber | slot << 64 | fees << 128, h, z, y] and its hash.
    function _publicInputs(ProposeArgs calldata args)
        private
        pure
        returns (uint256[] memory publicInputs, bytes32 commitment)
    {
        BlockHeader calldata header = args.header;
        (uint256 challenge, uint256 evaluation) = DataFingerprint.evaluate(header.dataHash, args.data);
        publicInputs = new uint256[](K);
        publicInputs[0] = uint256(header.prevStateRoot);
        publicInputs[1] = uint256(header.newStateRoot);
        publicInputs[2] = header.blockNumber | (Slot.unwrap(header.slot) << Constants.GLOBALS_SLOT_SHIFT)
            | (header.totalFees << Constants.GLOBALS_FEES_SHIFT);
        publicInputs[3] = header.dataHash;
        publicInputs[4] = challenge;
        publicInputs[5] = evaluation;
        // slither-disable-next-line assembly -- hashes the words in place, without an abi.encodePacked copy
        assembly ("memory-safe") {
            commitment := keccak256(add(publicInputs, 0x20), shl(5, mload(publicInputs)))
        }
    }

    function _hashWords(uint256[] calldata words) private pure returns (bytes32 digest) {
        // slither-disable-next-line assembly -- hashes a calldata slice without an abi.encodePacked copy
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            let size := mul(words.length, 0x20)
            calldatacopy(ptr, words.offset, size)
            digest := keccak256(ptr, size)
        }
    }

    // ================================================================== internals: randomness

    /// @dev The first call of each epoch stores that block's prevrandao as the epoch's checkpoint.
    function _checkpointRandomness() private {
        uint256 epoch = Epoch.unwrap(_currentEpoch());
        if (_checkpointEpochs[_checkpointEpochs.length - 1] < epoch) {
            _checkpointEpochs.push(epoch);
            _randao[epoch] = block.prevrandao;
            emit RandomnessCheckpointed(Epoch.wrap(epoch), block.prevrandao);
        }
    }

    /// @dev Seed of `epoch`: the latest checkpoint written no later than epoch - lag, mixed with the epoch.
    ///      For the current epoch (and the next `lag - 1`) it can no longer change.
    function _seed(Epoch epoch) private view returns (uint256) {
        uint256 e = Epoch.unwrap(epoch);
        uint256 target = e > SEED_LAG ? e - SEED_LAG : 0;
        return uint256(keccak256(abi.encode(_randao[_latestCheckpointAtOrBefore(target)], e)));
    }

    function _latestCheckpointAtOrBefore(uint256 target) private view returns (uint256) {
        uint256 high = _checkpointEpochs.length;
        // Recent epochs are the common case: look at the last few entries before a binary search.
        for (uint256 k; k < 3 && high > 0; ++k) {
            uint256 candidate = _checkpointEpochs[high - 1];
            if (candidate <= target) return candidate;
            --high;
        }
        uint256 low;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            if (_checkpointEpochs[mid] <= target) low = mid + 1;
            else high = mid;
        }
        // _checkpointEpochs[0] == 0 <= target, so low >= 1.
        return _checkpointEpochs[low - 1];
    }

    function _score(uint256 seed, Slot slot, address proposer) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, slot, proposer)));
    }

    // ================================================================== internals: upgrade signalling

    /// @dev Counts the previous slot's vote: its proposal window is over, so it can no longer be replaced.
    function _settlePendingVote() private {
        address payload = _pendingVotePayload;
        if (payload == address(0)) return;
        uint256 slot = _pendingVoteSlot;
        delete _pendingVotePayload;
        uint256 round = slot / VOTE_ROUND_SIZE;
        uint256 votes = ++_votes[round][payload];
        emit UpgradeVoteCast(round, payload, Slot.wrap(slot), votes);
        if (votes == VOTE_QUORUM && _signalled[round] == address(0)) {
            _signalled[round] = payload;
            emit UpgradeSignalled(round, payload);
        }
    }

    // ================================================================== internals: construction

    function _checkSatellites(IStaking staking_, IProverEscrow escrow_, IRewardPool pool_) private view {
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
    }

    function _checkConfig(Config memory c) private view {
        require(
            c.proposalWindow > 0 && c.proposalWindow <= SLOT_DURATION,
            Errors.Config__Invalid("proposalWindow", c.proposalWindow)
        );
        require(
            c.claimWindowSlots > 0 && c.claimWindowSlots <= EPOCH_DURATION,
            Errors.Config__Invalid("claimWindowSlots", c.claimWindowSlots)
        );
        require(
            c.proofWindowSlots >= c.claimWindowSlots,
            Errors.Config__Invalid("proofWindowSlots", c.proofWindowSlots)
        );
        require(c.maxDataBytes > 0, Errors.Config__Invalid("maxDataBytes", 0));
        require(
            c.openProvingBasisPointFee <= Constants.BASIS_POINTS,
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
