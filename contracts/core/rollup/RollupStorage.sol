// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IFeeInbox} from "../../interfaces/IFeeInbox.sol";
import {IProofVerifier} from "../../interfaces/IProofVerifier.sol";
import {IProverEscrow} from "../../interfaces/IProverEscrow.sol";
import {IRewardPool} from "../../interfaces/IRewardPool.sol";
import {IRollup} from "../../interfaces/IRollup.sol";
import {IStaking} from "../../interfaces/IStaking.sol";
import {Constants} from "../../libraries/Constants.sol";
import {Clock} from "../Clock.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

/// @title RollupStorage
/// @notice The one storage layout of the Rollup: every state variable and immutable, declared once. The
///         concerns (Proposals, Randomness, UpgradeVotes, ProofClaims, EpochProofs, Prunes, Committee) are
///         abstract contracts over it; RollupBase joins the shared ones, Rollup and CommitteeRollup add a mode's.
///         Only Committee, the committee mode's concern, declares state of its own, after this layout.
/// @dev Aztec splits its Rollup into libraries over one storage struct at a fixed slot; abstract contracts
///      split it the same way but keep the parameters immutable (in the code): libraries would need the
///      config in storage, a cold SLOAD (2,100 gas) per parameter per transaction. The concerns declare no
///      state: the layout is this contract's, after Clock's (immutables only) and EIP712's two fallback
///      strings (slots 0 and 1), exactly as when Rollup was one contract.
abstract contract RollupStorage is IRollup, Clock, EIP712 {
    /// @dev Words per block that a proposal commits to and `submitEpochProof` callers pass.
    uint256 internal constant COMMITTED_ROW = Constants.COMMITTED_INPUTS_PER_BLOCK;
    /// @dev Words per block that the verifier takes: the committed words, then the payee.
    uint256 internal constant VERIFIER_ROW = Constants.PUBLIC_INPUTS_PER_BLOCK;

    IStaking internal immutable STAKING;
    IProverEscrow internal immutable ESCROW;
    IRewardPool internal immutable POOL;
    IProofVerifier internal immutable VERIFIER;
    IProofVerifier internal immutable CHUNK_VERIFIER;
    IFeeInbox internal immutable INBOX;
    uint256 internal immutable SEED_LAG;

    uint256 internal immutable PROPOSAL_WINDOW;
    uint256 internal immutable BACKUP_WINDOW;
    uint256 internal immutable CLAIM_WINDOW_SLOTS;
    uint256 internal immutable PROOF_WINDOW_SLOTS;
    uint256 internal immutable MAX_DATA_BYTES;
    uint256 internal immutable BLOCK_REWARD;
    uint256 internal immutable PROOF_SUBMISSION_REWARD;
    uint256 internal immutable OPEN_PROVING_BASIS_POINT_FEE;
    uint256 internal immutable MAX_PROVER_FEE_BPS;
    uint256 internal immutable MINIMUM_PROVER_BOND;
    uint256 internal immutable UNPROVEN_BLOCK_PENALTY;
    uint256 internal immutable VOTE_ROUND_SIZE;
    uint256 internal immutable VOTE_QUORUM;

    /// @dev IRollup.BlockLog as stored: proposer, slot, backup flag and inbox cursor share one word (the slot
    ///      and the cursor narrowed to 48 and 40 bits, far above any reachable value), so the cursor adds no
    ///      storage write per block; `blockLog` widens it back.
    struct StoredBlock {
        bytes32 stateRoot;
        bytes32 publicInputsHash;
        address proposer;
        uint48 slot;
        bool backup;
        uint40 inboxCursor;
    }

    mapping(uint256 blockNumber => StoredBlock) internal _blocks;
    /// @dev Tips are read together on every write path.
    uint128 internal _pendingTip;
    uint128 internal _provenTip;
    mapping(uint256 epoch => EpochLog) internal _epochs;
    mapping(uint256 epoch => ProofClaim) internal _claims;

    /// @dev Epochs that have a randomness checkpoint, ascending (epoch 0 is written at deployment).
    uint256[] internal _checkpointEpochs;
    mapping(uint256 epoch => uint256 randao) internal _randao;

    /// @dev The latest slot's vote, counted once a later slot gets a block (its proposal is then final).
    address internal _pendingVotePayload;
    uint64 internal _pendingVoteSlot;
    mapping(uint256 round => mapping(address payload => uint256)) internal _votes;
    mapping(uint256 round => address payload) internal _signalled;

    /// @dev Sets the clock from `staking_` and every immutable from the arguments; Rollup's constructor
    ///      checks them.
    constructor(
        IStaking staking_,
        IProverEscrow escrow_,
        IRewardPool pool_,
        IProofVerifier verifier_,
        IProofVerifier chunkVerifier_,
        Config memory config_,
        IFeeInbox inbox_
    )
        Clock(staking_.genesisTime(), staking_.slotDuration(), staking_.epochDuration())
        EIP712("FernetRollup", "1")
    {
        STAKING = staking_;
        ESCROW = escrow_;
        POOL = pool_;
        VERIFIER = verifier_;
        CHUNK_VERIFIER = chunkVerifier_;
        INBOX = inbox_;
        SEED_LAG = staking_.snapshotLag();

        PROPOSAL_WINDOW = config_.proposalWindow;
        BACKUP_WINDOW = config_.backupWindow;
        CLAIM_WINDOW_SLOTS = config_.claimWindowSlots;
        PROOF_WINDOW_SLOTS = config_.proofWindowSlots;
        MAX_DATA_BYTES = config_.maxDataBytes;
        BLOCK_REWARD = config_.blockReward;
        PROOF_SUBMISSION_REWARD = config_.proofSubmissionReward;
        OPEN_PROVING_BASIS_POINT_FEE = config_.openProvingBasisPointFee;
        MAX_PROVER_FEE_BPS = config_.maxProverFeeBps;
        MINIMUM_PROVER_BOND = config_.minimumProverBond;
        UNPROVEN_BLOCK_PENALTY = config_.unprovenBlockPenalty;
        VOTE_ROUND_SIZE = config_.voteRoundSize;
        VOTE_QUORUM = config_.voteQuorum;
    }
}
