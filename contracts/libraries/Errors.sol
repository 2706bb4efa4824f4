// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Epoch, Slot} from "./TimeLib.sol";

/// @title Errors
/// @notice Every custom error of the rollup suite, named `Contract__What`, each carrying the values a
///         caller needs to see which rule it broke and by how much.
library Errors {
    // ------------------------------------------------------------------ shared
    /// @notice Only the rollup may call this function.
    error Auth__NotRollup(address rollup, address caller);
    /// @notice A constructor parameter is out of its allowed range.
    error Config__Invalid(bytes32 parameter, uint256 value);
    /// @notice An amount of zero where a positive amount is required.
    error Amount__Zero();

    // ------------------------------------------------------------------ staking
    /// @notice The address already has a staking record (active, exiting or withdrawn).
    error Staking__AlreadyRegistered(address staker);
    /// @notice The deposited stake is below the minimum.
    error Staking__InsufficientStake(uint256 minimum, uint256 provided);
    /// @notice The address has no staking record.
    error Staking__NotRegistered(address staker);
    /// @notice `exit()` was already called (or forced by a slash).
    error Staking__AlreadyExiting(address staker, Epoch exitEpoch);
    /// @notice Withdrawal requires a prior `exit()`.
    error Staking__NotExiting(address staker);
    /// @notice The exit delay has not passed yet.
    error Staking__WithdrawalNotReady(address staker, uint256 readyAt, uint256 now_);
    /// @notice The stake was already withdrawn.
    error Staking__AlreadyWithdrawn(address staker);

    // ------------------------------------------------------------------ prover escrow
    /// @notice The prover's free (unlocked, not withdrawing) balance is too small.
    error ProverEscrow__InsufficientFreeBalance(address prover, uint256 free, uint256 requested);
    /// @notice Releasing or slashing more than is locked for the prover.
    error ProverEscrow__InsufficientLockedBalance(address prover, uint256 locked, uint256 requested);
    /// @notice No withdrawal is pending for the prover.
    error ProverEscrow__NoPendingWithdrawal(address prover);
    /// @notice The withdrawal delay has not passed yet.
    error ProverEscrow__WithdrawalNotReady(address prover, uint256 readyAt, uint256 now_);

    // ------------------------------------------------------------------ reward pool
    /// @notice The caller has no rewards to claim.
    error RewardPool__NothingToClaim(address account);
    /// @notice A credit asks for more fees than the pool holds from consumed deposits (`feeFunds`): fees are
    ///         paid only out of released FeeInbox deposits, never out of reward funds.
    error RewardPool__FeesExceedDeposits(uint256 feeFunds, uint256 fees);

    // ------------------------------------------------------------------ fee inbox
    /// @notice A deposit for the zero address (no L2 account can spend it).
    error Inbox__ZeroRecipient();
    /// @notice A deposit above the 96-bit amount of a message slot.
    error Inbox__DepositTooLarge(uint256 maximum, uint256 amount);
    /// @notice Message `index` does not exist: the inbox holds `count` messages.
    error Inbox__UnknownMessage(uint256 index, uint256 count);
    /// @notice A block's message word differs from inbox message `index`.
    error Inbox__MessageMismatch(uint256 index, bytes32 expected, bytes32 actual);
    /// @notice A block with a free message slot left out message `index`, due since `includeBy`.
    error Inbox__MessageNotIncluded(uint256 index, uint256 includeBy);

    // ------------------------------------------------------------------ rollup: clock and config
    /// @notice A satellite contract was deployed for another rollup or token.
    error Rollup__SatelliteMismatch(address satellite, address expectedRollup, address actualRollup);

    // ------------------------------------------------------------------ rollup: proposals
    /// @notice A proposal must be for the current slot.
    error Rollup__InvalidSlot(Slot expected, Slot actual);
    /// @notice The slot's proposal window has closed.
    error Rollup__ProposalWindowClosed(Slot slot, uint256 windowEnd, uint256 now_);
    /// @notice The proposer is not an eligible sequencer in this epoch (not in the snapshot, or exiting).
    error Rollup__ProposerNotEligible(address proposer, Epoch epoch);
    /// @notice A replacement proposal must score strictly higher than the current one.
    error Rollup__ScoreTooLow(Slot slot, uint256 currentScore, uint256 proposedScore);
    /// @notice The header's block number does not extend the pending chain.
    error Rollup__InvalidBlockNumber(uint256 expected, uint256 actual);
    /// @notice The header's previous state root is not the parent's state root.
    error Rollup__InvalidParent(bytes32 expected, bytes32 actual);
    /// @notice A value that must be a BN254 scalar field element is not.
    error Rollup__NotAFieldElement(uint256 value);
    /// @notice The block's total fees exceed the 120 bits reserved for them in the public inputs.
    error Rollup__FeesTooLarge(uint256 maximum, uint256 actual);
    /// @notice The block data exceeds the maximum the circuit accepts.
    error Rollup__DataTooLarge(uint256 maximum, uint256 actual);
    /// @notice The block data is not as long as its header says (or shorter than the header itself).
    error Rollup__DataLengthMismatch(uint256 expected, uint256 actual);
    /// @notice The block data's version byte is not the one encoding L1 accepts.
    error Rollup__UnsupportedDataVersion(uint256 expected, uint256 actual);
    /// @notice A word of the block data is not canonical: a transaction word that is not a field element, a
    ///         first transaction word (payer and fee) >= 2^224, or a non-zero unused message slot. `offset` is the
    ///         word's byte offset in the data.
    error Rollup__NonCanonicalDataWord(uint256 offset, uint256 word);
    /// @notice The block data's message count byte exceeds the message slots of a block.
    error Rollup__TooManyMessages(uint256 maximum, uint256 count);
    /// @notice Backup mode for `slot` is not open at this time.
    error Rollup__BackupWindowClosed(Slot slot, uint256 opensAt, uint256 closesAt, uint256 now_);
    /// @notice Backup mode only fills a slot with no block (and none after it).
    error Rollup__SlotNotEmpty(Slot slot, Slot pendingTipSlot);

    // ------------------------------------------------------------------ rollup: quotes and claims
    /// @notice The quote is for another epoch than the one claimable now.
    error Rollup__InvalidEpochToProve(Epoch expected, Epoch actual);
    /// @notice The claim window of the epoch has closed.
    error Rollup__ClaimWindowClosed(Epoch epoch, Slot lastClaimSlot, Slot currentSlot);
    /// @notice The quote expired.
    error Rollup__QuoteExpired(Slot validUntilSlot, Slot currentSlot);
    /// @notice The quote names another rollup.
    error Rollup__QuoteForOtherRollup(address expected, address actual);
    /// @notice The quote's fee is above the rollup's `maxProverFeeBps`.
    error Rollup__InvalidBasisPointFee(uint256 maximum, uint256 actual);
    /// @notice The quote's bond is below the protocol minimum.
    error Rollup__BondTooSmall(uint256 minimum, uint256 actual);
    /// @notice The quote's signature does not recover to its prover.
    error Rollup__InvalidQuoteSignature(address prover, address recovered);
    /// @notice Only an eligible sequencer of the current epoch may claim.
    error Rollup__ClaimantNotEligible(address claimant, Epoch epoch);
    /// @notice The epoch already has a claim whose fee the quote does not strictly undercut (the claim window
    ///         is an auction: only a cheaper quote replaces the current claim).
    error Rollup__QuoteNotCheaper(Epoch epoch, uint256 currentFee, uint256 offeredFee);
    /// @notice The epoch has no unproven block.
    error Rollup__NothingToProve(Epoch epoch);

    // ------------------------------------------------------------------ rollup: proofs and prunes
    /// @notice The epoch has not ended, so its blocks are not final.
    error Rollup__EpochNotEnded(Epoch epoch, Epoch currentEpoch);
    /// @notice The epoch's proof window has closed; it can only be pruned.
    error Rollup__ProofWindowClosed(Epoch epoch, Slot deadlineSlot, Slot currentSlot);
    /// @notice The public inputs are not 1 to `maxRows` rows of `rowWords` words (`maxRows`: the epoch's blocks
    ///         from the oldest unproven one on).
    error Rollup__InvalidPublicInputsLength(uint256 rowWords, uint256 maxRows, uint256 actualWords);
    /// @notice A split submission does not give one chunk count per block row.
    error Rollup__InvalidChunkCountsLength(uint256 expected, uint256 actual);
    /// @notice A block is split into more chunks than the chunk word can index.
    error Rollup__TooManyChunks(uint256 blockNumber, uint256 chunks, uint256 maxChunks);
    /// @notice A split submission does not give exactly `chunks - 1` intermediate roots per split block.
    error Rollup__InvalidIntermediateRootsLength(uint256 expected, uint256 actual);
    /// @notice The proofs are not one 256-byte proof per whole block and per chunk.
    error Rollup__InvalidProofsLength(uint256 expected, uint256 actual);
    /// @notice A block's public inputs differ from what its proposal committed to.
    error Rollup__PublicInputsMismatch(uint256 blockNumber, bytes32 expected, bytes32 actual);
    /// @notice The verifier rejected the proof.
    error Rollup__InvalidProof(uint256 fromBlock, uint256 toBlock);
    /// @notice Nothing can be pruned now.
    error Rollup__NothingToPrune(uint256 provenTip, uint256 pendingTip);

    // ------------------------------------------------------------------ committee mode
    /// @notice The entry point belongs to the quote mode; this rollup runs the committee mode.
    error Rollup__QuoteModeOnly();
    /// @notice In the committee mode a proposal needs its committee's sign-offs: `proposeWithSignoffs`.
    error Rollup__SignoffsRequired();
    /// @notice A proposal came with fewer sign-offs than the quorum.
    error Rollup__TooFewSignoffs(uint256 blockNumber, uint256 quorum, uint256 signoffs);
    /// @notice Sign-off `index` is not a valid ECDSA signature.
    error Rollup__InvalidSignoff(uint256 blockNumber, uint256 index);
    /// @notice Sign-off `index`'s signer does not score strictly above the previous signer's: the list must be
    ///         sorted by ascending score (which also rules out a signer counted twice).
    error Rollup__SignoffsNotAscending(
        uint256 blockNumber, uint256 index, uint256 previousScore, uint256 score
    );
    /// @notice `staker` is not in `slot`'s committee: not a member of the slot's epoch, or its score is not
    ///         below the epoch's committee threshold.
    error Rollup__NotInCommittee(Slot slot, address staker, uint256 score, uint256 threshold);
    /// @notice The proposer signed off its own block: the two roles never overlap in one slot.
    error Rollup__ProposerSignedOff(uint256 blockNumber, address proposer);
    /// @notice A committee proof proves a block whole; the committee mode proves every block in chunks.
    error Rollup__WholeBlockInCommitteeMode(uint256 blockNumber);
    /// @notice The committee proof has a signer count per block row.
    error Rollup__InvalidSignerCountsLength(uint256 expected, uint256 actual);
    /// @notice The committee proof's signers do not add up to the signer counts.
    error Rollup__InvalidSignersLength(uint256 expected, uint256 actual);
    /// @notice The committee proof has one prover index per chunk.
    error Rollup__InvalidProversLength(uint256 expected, uint256 actual);
    /// @notice A block's signers or chunk count differ from those fixed at its sign-off (hashes of
    ///         `abi.encodePacked(signers, chunkCount)`; a backup block has none: 0).
    error Rollup__SignersMismatch(uint256 blockNumber, bytes32 expected, bytes32 actual);
    /// @notice Chunk `chunk` of the block is assigned to signer `assigned` (and to any signer only from slot
    ///         `takeoverSlot`), not to signer `prover`.
    error Rollup__ChunkNotAssigned(
        uint256 blockNumber, uint256 chunk, uint256 prover, uint256 assigned, Slot takeoverSlot
    );
    /// @notice An inactivity slash must name exactly `limit` missed blocks.
    error Rollup__InvalidMissCount(uint256 limit, uint256 count);
    /// @notice Missed blocks must be proven and strictly ascending: `blockNumber` follows `previous`, and the
    ///         proven tip is `provenTip`.
    error Rollup__InvalidMissedBlock(uint256 blockNumber, uint256 previous, uint256 provenTip);
    /// @notice Block `blockNumber` is not a miss of `staker`: a backup block, its own block, a slot it was not
    ///         elected in, or one at or before `settledSlot` (its latest sign-off or slashed miss).
    error Rollup__NotAMiss(address staker, uint256 blockNumber, Slot settledSlot);
}
