// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EpochProofQuote, SignedEpochProofQuote} from "../libraries/QuoteLib.sol";
import {Epoch, Slot} from "../libraries/TimeLib.sol";
import {IClock} from "./IClock.sol";
import {IFeeInbox} from "./IFeeInbox.sol";
import {IProofVerifier} from "./IProofVerifier.sol";
import {IProverEscrow} from "./IProverEscrow.sol";
import {IRewardPool} from "./IRewardPool.sol";
import {IStaking} from "./IStaking.sol";

/// @title IRollup
/// @notice Fernet block production with Sidecar epoch proving.
///         Each slot, eligible sequencers may propose; a proposal's score is keccak(seed, slot, proposer)
///         and during the slot's proposal window a higher score replaces a lower one. A slot nobody
///         proposes in opens backup mode: anyone may submit a block with its proof. A sequencer of
///         epoch N+1 claims one prover's signed quote for epoch N, locking the prover's bond; the epoch
///         proof (one Groth16 proof per block, checked in one batched pairing) must land before the
///         proof window ends, or the unproven blocks are pruned and the bond is slashed, pro rata to the
///         blocks lost, to the sequencers whose blocks were lost. The claim window is an auction: a strictly
///         cheaper quote replaces the current claim. Unclaimed epochs are open: the first valid proof wins.
///         Epoch proofs may prove a prefix of the unproven blocks; every proof names its payee as its last
///         public input (the claimed prover, or the sender of an open proof), so a copied proof pays nobody
///         but the prover that made it. This is the quote mode (Rollup); the committee mode (ICommitteeRollup)
///         shares this surface but proves through a proving committee, and its quote entry points revert.
interface IRollup is IClock {
    /// @notice Rollup parameters (every duration and amount is configurable; see docs/protocol.md).
    /// @param proposalWindow Seconds from a slot's start during which proposals are accepted.
    /// @param backupWindow Seconds after the proposal window during which an empty slot accepts a backup block.
    /// @param claimWindowSlots Slots at the start of epoch N+1 during which epoch N can be claimed.
    /// @param proofWindowSlots Slots after the end of epoch N during which its proof is accepted.
    /// @param maxDataBytes Largest block data accepted (the circuit's capacity).
    /// @param blockReward Reward per proven block, paid from the reward pool.
    /// @param proofSubmissionReward Reward per proven epoch, paid once, to the payee of the proof that completes it.
    /// @param openProvingBasisPointFee The prover's share of an unclaimed epoch, in basis points
    ///        (at most `maxProverFeeBps`).
    /// @param maxProverFeeBps Highest `basisPointFee` a claimable quote may ask (at most 10,000): caps what a
    ///        sequencer colluding with a prover can divert from the other sequencers' blocks.
    /// @param minimumProverBond Smallest bond a claimable quote may offer.
    /// @param unprovenBlockPenalty Stake slashed from the proposer of the first unproven block of an unclaimed
    ///        epoch when it is pruned (never from the proposer of a proven block; backup blocks are exempt).
    /// @param voteRoundSize Slots per upgrade-signalling round.
    /// @param voteQuorum Votes within one round that signal a payload.
    /// @param genesisStateRoot State root of block 0.
    struct Config {
        uint256 proposalWindow;
        uint256 backupWindow;
        uint256 claimWindowSlots;
        uint256 proofWindowSlots;
        uint256 maxDataBytes;
        uint256 blockReward;
        uint256 proofSubmissionReward;
        uint256 openProvingBasisPointFee;
        uint256 maxProverFeeBps;
        uint256 minimumProverBond;
        uint256 unprovenBlockPenalty;
        uint256 voteRoundSize;
        uint256 voteQuorum;
        bytes32 genesisStateRoot;
    }

    /// @notice How a split submission proves its blocks (see `submitSplitEpochProof`).
    /// @param chunkCounts Per block row: 0 for a block proven whole, else its number of chunks (at most
    ///        `Constants.MAX_CHUNKS_PER_BLOCK`).
    /// @param intermediateRoots For each split block in order, the state roots after each of its chunks but the
    ///        last (n - 1 roots for n chunks).
    struct EpochSplit {
        uint256[] chunkCounts;
        uint256[] intermediateRoots;
    }

    /// @notice The header of a proposed block. All roots and the data hash are BN254 field elements.
    /// @param blockNumber Height: the pending tip + 1, or the tip itself when replacing it in its slot.
    /// @param slot The current slot.
    /// @param prevStateRoot State root of the parent block.
    /// @param newStateRoot State root after the block.
    /// @param totalFees Sum of the block's transaction fees (< 2^120).
    /// @param dataHash The Poseidon hash `h` of the block data (see DataFingerprint).
    struct BlockHeader {
        uint256 blockNumber;
        Slot slot;
        bytes32 prevStateRoot;
        bytes32 newStateRoot;
        uint256 totalFees;
        uint256 dataHash;
    }

    /// @notice A proposal: header, block data (published in calldata) and an optional upgrade vote.
    /// @param header The block header.
    /// @param data The block's messages and transaction effects in the canonical version-2 encoding of
    ///        fernet-state (checked on L1, see BlockData): version, tx count, coinbase, message count, four
    ///        32-byte message slots, then 224 bytes per transaction.
    /// @param upgradePayload The upgrade the proposer signals for (address(0): no vote).
    struct ProposeArgs {
        BlockHeader header;
        bytes data;
        address upgradePayload;
    }

    /// @notice What the rollup keeps per block.
    /// @param stateRoot State root after the block.
    /// @param publicInputsHash keccak256 of the block's 6 committed public inputs (all but the payee), fixed
    ///        at proposal time.
    /// @param proposer Who proposed it (sequencer, or backup submitter).
    /// @param slot Its slot.
    /// @param backup Whether it came from backup mode (with its proof): exempt from the unproven-block penalty.
    /// @param inboxCursor FeeInbox messages consumed by the chain up to and including this block (genesis: 0):
    ///        the next block's messages start at this index.
    struct BlockLog {
        bytes32 stateRoot;
        bytes32 publicInputsHash;
        address proposer;
        uint64 slot;
        bool backup;
        uint64 inboxCursor;
    }

    /// @notice The pending blocks of one epoch.
    /// @param firstBlock Number of the epoch's first block.
    /// @param blockCount Number of blocks in the epoch (0: none).
    struct EpochLog {
        uint64 firstBlock;
        uint32 blockCount;
    }

    /// @notice Life of a claim: claimed (possibly replaced by cheaper quotes, each replaced bond released at
    ///         once), then exactly one of proven (the whole epoch; bond released), slashed (pro rata part of
    ///         the bond slashed, the rest released), cancelled (an earlier epoch was pruned; bond released).
    enum ClaimStatus {
        None,
        Claimed,
        Proven,
        Slashed,
        Cancelled
    }

    /// @notice An accepted quote.
    /// @param prover Who proves the epoch, and is paid for every proof of it while the claim is `Claimed`.
    /// @param bondAmount The bond locked in the prover's escrow.
    /// @param claimant The sequencer that claimed the quote.
    /// @param basisPointFee The prover's share of each proven block's reward and fees, in basis points.
    /// @param status Where the claim is in its life.
    struct ProofClaim {
        address prover;
        uint96 bondAmount;
        address claimant;
        uint32 basisPointFee;
        ClaimStatus status;
    }

    /// @notice Emitted when the first call of `epoch` stores `randao` as that epoch's checkpoint.
    event RandomnessCheckpointed(Epoch indexed epoch, uint256 randao);
    /// @notice Emitted when a block is appended (or replaces the tip in its slot).
    event BlockProposed(
        uint256 indexed blockNumber,
        Slot indexed slot,
        address indexed proposer,
        bytes32 stateRoot,
        uint256 dataHash,
        uint256 challenge,
        uint256 evaluation,
        bool backup
    );
    /// @notice Emitted when a higher-scoring proposal replaces the tip of its slot.
    event BlockReplaced(
        uint256 indexed blockNumber, Slot indexed slot, address replaced, address replacement
    );
    /// @notice Emitted when an upgrade vote is counted (`votes` is the payload's total in `round`).
    event UpgradeVoteCast(uint256 indexed round, address indexed payload, Slot slot, uint256 votes);
    /// @notice Emitted once per round when a payload reaches the quorum.
    event UpgradeSignalled(uint256 indexed round, address indexed payload);
    /// @notice Emitted when `claimant` claims `prover`'s quote for `epoch` (first claim or replacement).
    event EpochProofRightClaimed(
        Epoch indexed epoch,
        address indexed prover,
        address indexed claimant,
        uint256 bondAmount,
        uint256 basisPointFee
    );
    /// @notice Emitted when a strictly cheaper quote of `prover` replaces `replacedProver`'s claim of `epoch`
    ///         (the replaced bond is released at once; `EpochProofRightClaimed` follows for the new claim).
    event EpochProofClaimReplaced(
        Epoch indexed epoch,
        address indexed replacedProver,
        address indexed prover,
        uint256 replacedFee,
        uint256 basisPointFee
    );
    /// @notice Emitted when blocks `fromBlock..toBlock` of `epoch` are proven (`toBlock` may stop before the
    ///         epoch's last block). `prover` is the payee the proofs name; `submitter` sent them.
    event EpochProven(
        Epoch indexed epoch,
        uint256 fromBlock,
        uint256 toBlock,
        address indexed prover,
        address indexed submitter
    );
    /// @notice Emitted when unproven blocks `fromBlock..toBlock` are pruned after `epoch` missed its proof window.
    event BlocksPruned(Epoch indexed epoch, uint256 fromBlock, uint256 toBlock);
    /// @notice Emitted when a claimed prover's bond is slashed: `bondAmount` is the slashed part,
    ///         ceil(bond * unproven blocks of `epoch` / blocks of `epoch`) (the rest is released), and
    ///         `perBlockShare` = bondAmount / pruned blocks went to each pruned block's proposer.
    event ProverSlashed(
        Epoch indexed epoch, address indexed prover, uint256 bondAmount, uint256 perBlockShare
    );
    /// @notice Emitted when a claim is dropped, its bond returned, because earlier blocks were pruned.
    event ClaimCancelled(Epoch indexed epoch, address indexed prover);

    /// @notice Proposes a block for the current slot. The caller must be able to propose in this epoch,
    ///         and, if the slot already has a block, score strictly higher than its proposer. `args.data`
    ///         must be the canonical version-2 encoding, at most `maxDataBytes` long (its length is bound
    ///         by this check, not by the fingerprint). Its message slots must be the FeeInbox messages that
    ///         follow the parent's `inboxCursor`, in order, and a block with a free slot must include the next
    ///         message once it is due (see IFeeInbox.checkMessages).
    /// @dev Prunes first if the oldest unproven epoch missed its proof window.
    function propose(ProposeArgs calldata args) external;

    /// @notice Backup mode: submits a block for `args.header.slot`, a slot in which nobody proposed,
    ///         together with its proof. Open to anyone from the end of that slot's proposal window for
    ///         `backupWindow` seconds (which ends inside the slot: `proposalWindow + backupWindow <=
    ///         slotDuration`), as long as no block exists for that slot or a later one. The data rules are
    ///         those of `propose`. `args.upgradePayload` is ignored: the submitter was not elected, so it has
    ///         no vote (the previous slot's pending vote is counted, as by any later block).
    /// @dev The proof is verified against the 6 committed public inputs followed by the payee,
    ///      `uint256(uint160(msg.sender))`: the sender becomes the block's proposer, so a proof copied from
    ///      the mempool and sent by another address fails with `Rollup__InvalidProof`.
    /// @param proof The block's Groth16 proof (256 bytes), made for the sender as payee.
    function proposeWithProof(ProposeArgs calldata args, bytes calldata proof) external;

    /// @notice Claims the right to prove the previous epoch with `signedQuote`, locking its bond.
    ///         Callable by any sequencer that can propose in the current epoch, during the claim window; it
    ///         does not require proposing a block. The quote's fee must be at most `maxProverFeeBps`. If the
    ///         epoch is already claimed, the quote must ask a strictly lower fee: it replaces the claim (the old
    ///         bond is released before the new one is locked, so a prover may undercut itself).
    function claimEpochProofRight(SignedEpochProofQuote calldata signedQuote) external;

    /// @notice Proves a prefix of the unproven blocks of `epoch` (the epoch of the oldest unproven block, which
    ///         must have ended and still be inside its proof window): blocks provenTip + 1 onwards, one per row.
    ///         The verifier checks each proof against the block's 6 committed words followed by the payee
    ///         (`uint160` address): the claimed prover while the epoch's claim is `Claimed`, else the sender.
    ///         The proof first releases the FeeInbox deposits consumed up to its last block into the pool's fee
    ///         funds. The payee earns the prover cut of every block proven (the claim's fee, else
    ///         `openProvingBasisPointFee`, applied to the block reward and to the fees separately) and, if the
    ///         proof completes the epoch, the submission reward; each block's proposer earns the rest. Rewards
    ///         come from reward funds (capped by them), fees only from fee funds. Completing a claimed epoch
    ///         releases the bond.
    /// @param epoch The epoch being proven.
    /// @param publicInputs 6 words per block, in block order, for 1 to all of the epoch's unproven blocks
    ///        (each row must match its proposal's commitment).
    /// @param proofs One 256-byte proof per block, concatenated.
    function submitEpochProof(Epoch epoch, uint256[] calldata publicInputs, bytes calldata proofs) external;

    /// @notice `submitEpochProof` for blocks proven whole or split into chunks, any mix: same blocks, checks,
    ///         payee and payments. A block with chunk count n > 0 is proven by n chunk proofs, checked by the
    ///         chunk verifier; chunk j's row is
    ///         `[root_j, root_(j+1), globals, dataHash, challenge, evaluation, payee, j | (j == n - 1) << 8]`
    ///         where root_0 and root_n are the block's committed state roots and the n - 1 roots between them
    ///         come from `split.intermediateRoots`. L1 builds every row from the block's committed words, so each
    ///         chunk is bound to the whole block's data and globals, and the chunks chain root to root by
    ///         construction. The whole-block proofs are verified in one batched pairing check, the chunk proofs
    ///         in another.
    /// @param epoch The epoch being proven.
    /// @param publicInputs 6 committed words per block, as for `submitEpochProof`.
    /// @param split Each block's chunk count and the roots between the chunks.
    /// @param proofs The whole blocks' proofs in block order, then every chunk proof in block and chunk order;
    ///        256 bytes each.
    function submitSplitEpochProof(
        Epoch epoch,
        uint256[] calldata publicInputs,
        EpochSplit calldata split,
        bytes calldata proofs
    ) external;

    /// @notice Prunes the unproven blocks once the oldest unproven epoch's proof window has passed. If that
    ///         epoch is claimed, the bond is slashed pro rata to its unproven blocks and shared among the pruned
    ///         blocks' proposers; if not, the proposer of the first unproven block loses
    ///         `unprovenBlockPenalty` of its stake (unless it is a backup block). Later epochs' claims are
    ///         cancelled, their bonds released.
    /// @dev Residual risk of prefix proofs: a lazy open prover may prove a prefix that stops before an honest
    ///      block, whose proposer is then penalised unless someone (itself included) proves that block before
    ///      the deadline. Bounded by `unprovenBlockPenalty`, once per epoch.
    function prune() external;

    /// @notice Writes the current epoch's randomness checkpoint (this block's prevrandao) if no call of
    ///         this epoch wrote it yet. Anyone may call it; every other write path does the same first.
    ///         Bots call it at the start of each epoch when nobody has, so seeds do not depend on whether
    ///         someone happened to propose, claim or prove in an epoch.
    /// @return written Whether this call wrote the checkpoint (false: it was already written).
    function checkpointRandomness() external returns (bool written);

    /// @notice The staking contract (sequencer set).
    function staking() external view returns (IStaking);

    /// @notice The prover escrow.
    function proverEscrow() external view returns (IProverEscrow);

    /// @notice The reward pool.
    function rewardPool() external view returns (IRewardPool);

    /// @notice The block proof verifier.
    function verifier() external view returns (IProofVerifier);

    /// @notice The chunk proof verifier: the key of the block circuit cut to one chunk of the deployment's
    ///         chunk size.
    function chunkVerifier() external view returns (IProofVerifier);

    /// @notice The fee inbox whose messages blocks consume and whose deposits proofs release to the pool.
    function inbox() external view returns (IFeeInbox);

    /// @notice The rollup parameters.
    function config() external view returns (Config memory);

    /// @notice Height of the latest pending block.
    function pendingTip() external view returns (uint256);

    /// @notice Height of the latest proven block.
    function provenTip() external view returns (uint256);

    /// @notice What the rollup keeps of block `blockNumber`.
    function blockLog(uint256 blockNumber) external view returns (BlockLog memory);

    /// @notice The pending blocks of `epoch`.
    function epochLog(Epoch epoch) external view returns (EpochLog memory);

    /// @notice The claim for `epoch`.
    function claimOf(Epoch epoch) external view returns (ProofClaim memory);

    /// @notice Last slot in which a proof of `epoch` is accepted.
    function proofDeadline(Epoch epoch) external view returns (Slot);

    /// @notice Last slot in which `epoch` can be claimed.
    function claimDeadline(Epoch epoch) external view returns (Slot);

    /// @notice Whether `prune()` would prune now.
    function canPrune() external view returns (bool);

    /// @notice The randomness seed of `epoch`, fixed by a checkpoint at least `snapshotLag` epochs old.
    function seedOf(Epoch epoch) external view returns (uint256);

    /// @notice The score of `proposer` in `slot`: keccak256(abi.encode(seedOf(epoch of slot), slot, proposer)).
    ///         A slot's ranking (highest score first, over `staking().proposersAt` of its epoch) is computed
    ///         off chain from this formula.
    function scoreOf(Slot slot, address proposer) external view returns (uint256);

    /// @notice The randomness checkpoint written in `epoch` (0 if none).
    function randomnessCheckpoint(Epoch epoch) external view returns (uint256);

    /// @notice The EIP-712 digest a prover signs for `quote`.
    function quoteDigest(EpochProofQuote calldata quote) external view returns (bytes32);

    /// @notice The 6 committed public inputs of a proposal and their commitment hash. Its proof takes these
    ///         words followed by the payee, `uint256(uint160(payee))` (see `Constants.PAYEE_INPUT_INDEX`), and
    ///         the chunk word (`Constants.WHOLE_BLOCK_CHUNK_WORD` for a whole block).
    function publicInputsOf(ProposeArgs calldata args)
        external
        pure
        returns (uint256[] memory publicInputs, bytes32 commitment);

    /// @notice Votes `payload` has in signalling `round`.
    function votesFor(uint256 round, address payload) external view returns (uint256);

    /// @notice The payload that reached the quorum in `round` (address(0) if none).
    function signalledPayload(uint256 round) external view returns (address);
}
