// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Epoch, Slot} from "../libraries/TimeLib.sol";
import {IRollup} from "./IRollup.sol";

/// @title ICommitteeRollup
/// @notice The cooperative proving committee of seed 004, the rollup's second proving mode (chosen at
///         deployment). The stakers prove: each slot's committee is the members of the slot's epoch whose score
///         keccak(seed, slot, staker), the score that elects the sequencer from the top, falls below the epoch's
///         threshold `2^256 / setSize * committeeSize` (an expected `committeeSize` members, checked in O(1)).
///         A block is appended only with the sign-offs of at least `signoffQuorum` committee members, sorted by
///         ascending score: a proposer that withholds its data gets none, and its slot goes to backup mode.
///         Every block is proven in chunks, as many as its txs fill (`max(1, ceil(txCount / chunkTxs))`,
///         fixed when it is signed off, so a submitter cannot pad a block with chunks paying the signers of its
///         choice); chunk j of a block with k signers is assigned to signer j mod k
///         (the signers sorted by their VRF score, seed 004's option 2), and from `takeoverSlots` into the
///         proof window to any of its signers. Each chunk proof names its prover as payee, so a copied proof
///         pays the prover that made it. Anyone assembles the chunk proofs and submits them. Each block's reward
///         and fees are split: the proposer `sequencerBaseBps` plus `sequencerBonusBps` per signer (at most
///         `committeeSize`), the rest in equal parts to the block's chunk proofs' payees; the submitter of the
///         proof completing an epoch earns `proofSubmissionReward`. A member elected but silent for
///         `inactivityLimit` proven blocks after its last sign-off loses `inactivityPenalty` of its stake.
///         The quote mode's entry points (`propose`, `claimEpochProofRight`, `submitEpochProof`,
///         `submitSplitEpochProof`) revert; its views stay (no claim ever exists).
interface ICommitteeRollup is IRollup {
    /// @notice The committee mode's parameters.
    /// @param committeeSize Expected committee members per slot (n >= 1); every member is in the committee
    ///        while the set has at most n members.
    /// @param signoffQuorum Sign-offs a proposal needs (1 <= M <= n).
    /// @param chunkTxs Tx slots per chunk proof: the chunk circuit's size, the one the chunk verifier was
    ///        generated for (>= 1). A signed block of t txs is proven as `max(1, ceil(t / chunkTxs))` chunks.
    /// @param sequencerBaseBps The proposer's share of its block's reward and fees, in basis points.
    /// @param sequencerBonusBps What each signer adds to the proposer's share, for at most n signers
    ///        (base + n * bonus <= 10,000).
    /// @param takeoverSlots Slots into an epoch's proof window from which any signer of a block may prove any
    ///        of its chunks (less than `proofWindowSlots`), so one silent signer cannot stall the epoch.
    /// @param inactivityLimit Misses (proven blocks it was elected in and did not sign off) that make a member
    ///        slashable.
    /// @param inactivityPenalty Stake slashed, to the reward pool, for `inactivityLimit` misses.
    struct CommitteeConfig {
        uint256 committeeSize;
        uint256 signoffQuorum;
        uint256 chunkTxs;
        uint256 sequencerBaseBps;
        uint256 sequencerBonusBps;
        uint256 takeoverSlots;
        uint256 inactivityLimit;
        uint256 inactivityPenalty;
    }

    /// @notice A committee epoch proof: every block in chunks, with the sign-off lists that assign them.
    /// @param split Each block's chunk count and the roots between its chunks, as for `submitSplitEpochProof`:
    ///        a signed block's count as fixed at its sign-off (`BlockSignedOff`), a backup block's at least 1.
    /// @param signers Each block's signers in its sign-off order (ascending score), concatenated in block
    ///        order; none for a backup block.
    /// @param signerCounts Per block, how many of `signers` are its own.
    /// @param provers Per chunk, in block and chunk order, the index among its block's signers of the prover
    ///        it pays (ignored for a backup block's chunks, which pay the sender).
    /// @param proofs Every chunk proof in block and chunk order, 256 bytes each, each made for its payee.
    struct CommitteeProof {
        EpochSplit split;
        address[] signers;
        uint256[] signerCounts;
        uint256[] provers;
        bytes proofs;
    }

    /// @notice Emitted when block `blockNumber` of `slot` is appended with the sign-offs of `signers`, to be
    ///         proven as `chunkCount` chunks.
    event BlockSignedOff(
        uint256 indexed blockNumber, Slot indexed slot, address[] signers, uint256 chunkCount
    );
    /// @notice Emitted when `staker` is slashed `amount` for missing blocks `fromBlock..toBlock` (the
    ///         `inactivityLimit` misses named, first and last).
    event CommitteeMemberSlashed(address indexed staker, uint256 fromBlock, uint256 toBlock, uint256 amount);

    /// @notice `propose` with the committee's sign-offs: the same checks, then at least `signoffQuorum`
    ///         EIP-712 signatures (`signoffDigest`) of distinct members of this slot's committee over the block,
    ///         sorted by ascending score, none by the proposer. The block records the hash of its signers and its
    ///         chunk count (`signersHashOf`).
    /// @param args The proposal.
    /// @param signoffs 65-byte ECDSA signatures, sorted by their signers' ascending scores.
    function proposeWithSignoffs(ProposeArgs calldata args, bytes[] calldata signoffs) external;

    /// @notice Proves a prefix of the unproven blocks of `epoch` (the rules of `submitEpochProof`) with the
    ///         committee's chunk proofs: each chunk's row names its prover among the block's signers (chunk j
    ///         of k signers: signer j mod k, or any signer from the takeover slot); a backup block's chunks
    ///         pay the sender. Pays each block's proposer and chunk provers, and the sender the submission
    ///         reward when the proof completes the epoch.
    /// @param epoch The epoch being proven.
    /// @param publicInputs 6 committed words per block, as for `submitEpochProof`.
    /// @param proof The split, signers, prover indices and chunk proofs.
    function submitCommitteeEpochProof(
        Epoch epoch,
        uint256[] calldata publicInputs,
        CommitteeProof calldata proof
    ) external;

    /// @notice Slashes `staker` `inactivityPenalty` (to the reward pool) for `inactivityLimit` proven blocks
    ///         in which it was in the committee but did not sign off, all after its latest sign-off or slashed
    ///         miss: backup blocks and its own blocks do not count. Anyone may call it.
    /// @param staker The silent member.
    /// @param blockNumbers Exactly `inactivityLimit` proven block numbers, ascending.
    function slashInactive(address staker, uint256[] calldata blockNumbers) external;

    /// @notice The committee mode's parameters.
    function committeeConfig() external view returns (CommitteeConfig memory);

    /// @notice The members of `epoch`'s set, as counted when the epoch's randomness was checkpointed.
    function committeeSetSize(Epoch epoch) external view returns (uint256);

    /// @notice The score below which a member of `epoch` is in a slot's committee:
    ///         `type(uint256).max / setSize * committeeSize`, everyone while setSize <= committeeSize.
    function committeeThreshold(Epoch epoch) external view returns (uint256);

    /// @notice Whether `staker` is in `slot`'s committee: a member of its epoch scoring below the threshold.
    function isCommitteeMember(Slot slot, address staker) external view returns (bool);

    /// @notice The EIP-712 digest a committee member signs to sign off block `blockNumber` of `slot`.
    function signoffDigest(uint256 blockNumber, Slot slot, bytes32 publicInputsHash)
        external
        view
        returns (bytes32);

    /// @notice keccak256 of block `blockNumber`'s signers as 32-byte words followed by its chunk count
    ///         (`abi.encodePacked(signers, chunkCount)`; 0 for a backup block).
    function signersHashOf(uint256 blockNumber) external view returns (bytes32);

    /// @notice The latest slot up to which `staker`'s committee duty is settled: its latest sign-off, or the
    ///         last miss it was slashed for. Only later blocks count as misses.
    function settledDutySlot(address staker) external view returns (Slot);
}
