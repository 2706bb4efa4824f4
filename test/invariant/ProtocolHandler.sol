// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IFeeInbox} from "../../contracts/interfaces/IFeeInbox.sol";
import {IProverEscrow} from "../../contracts/interfaces/IProverEscrow.sol";
import {IRewardPool} from "../../contracts/interfaces/IRewardPool.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {IStaking} from "../../contracts/interfaces/IStaking.sol";
import {Constants} from "../../contracts/libraries/Constants.sol";
import {EpochProofQuote, SignedEpochProofQuote} from "../../contracts/libraries/QuoteLib.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {DevnetToken} from "../../contracts/token/DevnetToken.sol";
import {BlockDataBuilder} from "../helpers/BlockDataBuilder.sol";
import {CommitmentVerifier} from "../helpers/CommitmentVerifier.sol";
import {Ranking} from "../helpers/Ranking.sol";
import {Test} from "forge-std/Test.sol";
import {Vm} from "forge-std/Vm.sol";

/// @notice Drives the whole protocol for the invariant suite with bounded actions over a fixed set of
///         actors: sequencers (register, exit, withdraw, propose, claim and replace claims), provers (escrow
///         deposit, withdrawal request and finalization, quotes), and anyone (fee deposits into the inbox,
///         backup blocks, full and prefix epoch proofs, prunes, reward claims), plus the clock. Blocks consume
///         the inbox in order (due messages first) and declare fees only up to what their payers' L2 fee
///         balances (tracked per block from the consumed deposits) can afford. Every action returns early when it cannot be
///         valid, so most calls change state.
///         Before each rollup call the handler computes, from the protocol rules alone, what the call must pay
///         and slash (the payee and every credit of a proof; the slashed part of a bond, its per-block share,
///         its dust and the staker penalised by a prune); after the call it compares the emitted events with
///         that expectation and counts every difference in a ghost the invariants require to stay zero.
contract ProtocolHandler is Test {
    uint256 internal constant K = Constants.COMMITTED_INPUTS_PER_BLOCK;
    uint256 internal constant SEQUENCER_COUNT = 10;
    uint256 internal constant PROVER_COUNT = 3;
    /// @dev L2 accounts that receive fee deposits and pay the blocks' transaction fees.
    uint256 internal constant PAYER_COUNT = 3;
    /// @dev Largest single fee deposit the handler makes.
    uint256 internal constant MAX_HANDLER_DEPOSIT = 5 ether;

    IRollup public immutable rollup;
    IStaking public immutable staking;
    IProverEscrow public immutable escrow;
    IRewardPool public immutable pool;
    IFeeInbox public immutable inbox;
    CommitmentVerifier public immutable verifier;
    DevnetToken public immutable token;

    uint256 internal immutable SLOT;
    uint256 internal immutable EPOCH;
    uint256 internal immutable LAG;
    IRollup.Config internal config;

    address[] internal _sequencers;
    address[] internal _provers;
    uint256[] internal _proverKeys;
    address[] internal _actors;
    address[] internal _payers;

    /// @dev The clock of the run: each action warps to it first, the warp actions move it forward.
    uint256 public currentTime;
    /// @dev The 6 committed public inputs of the latest proposal of each block number.
    mapping(uint256 blockNumber => uint256[]) internal _inputsOf;
    /// @dev The payers' L2 fee balances after each block of the pending chain (its latest proposal): credits of
    ///      the consumed deposits minus the fees of its transactions, on top of the parent's.
    mapping(uint256 blockNumber => uint256[PAYER_COUNT]) internal _balancesAfter;
    /// @dev Prefix sums of the inbox deposits: `_depositPrefix[i]` is the sum of messages 0..i - 1.
    uint256[] internal _depositPrefix;

    // ------------------------------------------------------------------ expectations of one call

    /// @dev A credit the pool must emit: RewardCredited(account, credited, requested) when `credited > 0`, then
    ///      FeesCredited(account, fees) when `fees > 0`.
    struct Credit {
        address account;
        uint256 credited;
        uint256 requested;
        uint256 fees;
    }

    /// @dev What a prune inside the next call must do, computed from the rules before the call.
    struct PruneExpectation {
        bool active;
        uint256 epoch;
        uint256 fromBlock;
        uint256 toBlock;
        bool claimed;
        address prover;
        uint256 bond;
        /// @dev ceil(bond * unproven blocks of the epoch / its blocks).
        uint256 slashed;
        uint256 share;
        /// @dev The staker an unclaimed epoch's prune penalises (address(0): nobody, backup block).
        address victim;
        /// @dev Bonds the prune releases: the unslashed rest plus the cancelled later claims.
        uint256 released;
        uint256 cancels;
    }

    PruneExpectation internal _prune;
    /// @dev Deposits the proof in the next call must release.
    uint256 internal _expectedRelease;
    /// @dev Credits expected from the proof in the next call, in order.
    Credit[] internal _expectedProofCredits;
    bool internal _proofExpected;
    /// @dev Proposers of the pruned blocks, in block order.
    address[] internal _lost;
    /// @dev Proposers of the proven blocks of the oldest unproven epoch (for the penalty invariant).
    mapping(address proposer => uint256) internal _provenBlocksInEpoch;
    address[] internal _provenProposersSeen;

    // ------------------------------------------------------------------ ghosts

    /// @dev Epochs that ever saw a claim event, a settlement or a slash (to iterate in invariants).
    uint256[] internal _touchedEpochs;
    mapping(uint256 epoch => bool) internal _touched;
    /// @dev Bonds locked for each epoch (first claim and replacements) and settled (replaced, released on
    ///      completion, slashed, cancelled).
    mapping(uint256 epoch => uint256) public ghost_bondLocks;
    mapping(uint256 epoch => uint256) public ghost_bondSettlements;

    /// @dev Escrow amounts from its own events.
    uint256 public ghost_escrowLocked;
    uint256 public ghost_escrowReleased;
    uint256 public ghost_escrowSlashed;
    /// @dev Releases the rules call for, computed before each call (replacements, completions, the unslashed
    ///      part of slashed bonds, cancellations).
    uint256 public ghost_expectedReleased;

    /// @dev Slashed bond parts computed independently (bond, pruned block count, pro rata), the shares
    ///      credited for them (from the pool's events) and the dust computed independently.
    uint256 public ghost_slashedBonds;
    uint256 public ghost_slashCredited;
    uint256 public ghost_slashDust;
    /// @dev Prune events or slash shares that differ from the expectation.
    uint256 public ghost_slashMiscredited;

    /// @dev Proof credits that differ from the expectation (an account other than the payee or the proven
    ///      blocks' proposers, another amount, a submission reward for a prefix, or one missing).
    uint256 public ghost_proofMiscredited;
    /// @dev EpochProven events whose prover is not the expected payee.
    uint256 public ghost_wrongPayee;
    /// @dev Submission rewards credited per epoch.
    mapping(uint256 epoch => uint256) public ghost_submissionRewards;
    uint256 public ghost_maxSubmissionRewardsPerEpoch;

    /// @dev Stake penalties on someone other than the first unproven block's proposer, or on a proposer whose
    ///      only blocks of the epoch were proven.
    uint256 public ghost_wrongPenalty;
    uint256 public ghost_penaltyOnProvenProposer;

    /// @dev Credits the pool capped below the requested amount (the pool's cap binds).
    uint256 public ghost_cappedCredits;

    /// @dev Fee ledger, from the events: deposits the inbox released (DepositsReleased, FeeFundsAdded) and fees
    ///      the pool credited (FeesCredited); releases that differ from the deposits the proof consumed.
    uint256 public ghost_depositsReleased;
    uint256 public ghost_feeFundsAdded;
    uint256 public ghost_feesCredited;
    uint256 public ghost_releaseMismatches;
    /// @dev Proofs the rollup refused although the handler built them by the rules (e.g. fees the pool could not
    ///      pay from fee funds): must stay zero.
    uint256 public ghost_proofReverts;

    /// @dev Snapshotted member sets: keccak of membersAt(e), recorded when first observed.
    mapping(uint256 epoch => bytes32) internal _membersHash;
    mapping(uint256 epoch => bool) internal _membersSeen;
    uint256 public ghost_membershipChanges;

    /// @dev State-changing calls per action (and per outcome: claim replacements, prefix and full proofs,
    ///      prunes by any path).
    mapping(bytes32 action => uint256) public calls;

    constructor(
        IRollup rollup_,
        IStaking staking_,
        IProverEscrow escrow_,
        IRewardPool pool_,
        IFeeInbox inbox_,
        CommitmentVerifier verifier_,
        DevnetToken token_
    ) {
        rollup = rollup_;
        staking = staking_;
        escrow = escrow_;
        pool = pool_;
        inbox = inbox_;
        verifier = verifier_;
        token = token_;
        SLOT = rollup_.slotDuration();
        EPOCH = rollup_.epochDuration();
        LAG = staking_.snapshotLag();
        config = rollup_.config();
        for (uint256 i; i < SEQUENCER_COUNT; ++i) {
            address sequencer = makeAddr(string.concat("inv-sequencer-", vm.toString(i)));
            _sequencers.push(sequencer);
            _actors.push(sequencer);
        }
        for (uint256 i; i < PROVER_COUNT; ++i) {
            (address prover, uint256 key) = makeAddrAndKey(string.concat("inv-prover-", vm.toString(i)));
            _provers.push(prover);
            _proverKeys.push(key);
            _actors.push(prover);
        }
        _actors.push(makeAddr("inv-bystander"));
        for (uint256 i; i < PAYER_COUNT; ++i) {
            _payers.push(makeAddr(string.concat("inv-payer-", vm.toString(i))));
        }
        _depositPrefix.push(0);
        currentTime = block.timestamp;
    }

    // ------------------------------------------------------------------ views for the invariant suite

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    function provers() external view returns (address[] memory) {
        return _provers;
    }

    function sequencers() external view returns (address[] memory) {
        return _sequencers;
    }

    function touchedEpochs() external view returns (uint256[] memory) {
        return _touchedEpochs;
    }

    /// @notice Sum of every fee deposit made.
    function totalDeposited() external view returns (uint256) {
        return _depositPrefix[_depositPrefix.length - 1];
    }

    /// @notice Sum of the deposits the proven chain consumed (messages below the proven tip's cursor).
    function depositsConsumedByProvenChain() external view returns (uint256) {
        return _depositPrefix[rollup.blockLog(rollup.provenTip()).inboxCursor];
    }

    /// @notice Aligns the handler's clock with block.timestamp (setup only; not a fuzzed action).
    function syncTime() external {
        currentTime = block.timestamp;
        _observeMembers();
    }

    // ------------------------------------------------------------------ clock

    /// @notice Moves time forward by 1 second to 1 slot, or by a whole epoch one time in eight.
    function warp(uint256 seed) external {
        uint256 step = seed % 8 == 0 ? EPOCH * SLOT : _bound(seed, 1, SLOT);
        _advance(step, seed);
    }

    /// @notice Moves to a random point of the next slot's proposal window.
    function warpToNextSlot(uint256 seed) external {
        uint256 next = Slot.unwrap(rollup.currentSlot()) + 1;
        uint256 target = rollup.slotStartTime(Slot.wrap(next)) + _bound(seed, 0, config.proposalWindow - 1);
        _advance(target - currentTime, seed);
    }

    /// @notice Jumps to a random point of the next epoch's claim window.
    function warpToNextEpoch(uint256 seed) external {
        uint256 next = Epoch.unwrap(rollup.currentEpoch()) + 1;
        uint256 start = rollup.slotStartTime(Slot.wrap(next * EPOCH));
        _advance(start + _bound(seed, 0, config.claimWindowSlots * SLOT - 1) - currentTime, seed);
    }

    /// @notice Jumps to the moment a pending staker or escrow withdrawal becomes final (so both are reached
    ///         within a run's depth).
    function warpToWithdrawal(uint256 seed) external {
        uint256 target;
        if (seed % 2 == 0) {
            IStaking.StakerInfo memory info = staking.stakerInfo(_sequencers[seed % _sequencers.length]);
            if (!info.exiting || info.withdrawn) return;
            target = info.withdrawableAt;
        } else {
            IProverEscrow.Account memory account = escrow.accountOf(_provers[seed % _provers.length]);
            if (account.pendingWithdrawal == 0) return;
            target = account.withdrawableAt;
        }
        if (target <= currentTime) return;
        _advance(target - currentTime, seed);
    }

    function _advance(uint256 step, uint256 seed) internal {
        currentTime += step;
        vm.warp(currentTime);
        vm.prevrandao(keccak256(abi.encode("randao", seed, currentTime)));
        calls["warp"]++;
        _observeMembers();
    }

    // ------------------------------------------------------------------ staking

    function register(uint256 actorSeed, uint256 amountSeed) public {
        _sync();
        address who = _sequencers[actorSeed % _sequencers.length];
        if (staking.stakerInfo(who).activationEpoch != 0) return;
        uint256 minimum = staking.minimumStake();
        uint256 amount = _bound(amountSeed, minimum, 3 * minimum);
        if (token.balanceOf(who) < amount) return;
        vm.prank(who);
        staking.register(amount);
        calls["register"]++;
        _observeMembers();
    }

    /// @notice A sequencer exits, unless that would leave fewer than three (the chain must stay alive for the
    ///         rest of the run: an address registers once).
    function exit(uint256 actorSeed) public {
        _sync();
        address who = _sequencers[actorSeed % _sequencers.length];
        IStaking.StakerInfo memory info = staking.stakerInfo(who);
        if (info.activationEpoch == 0 || info.exiting) return;
        uint256 staying;
        for (uint256 i; i < _sequencers.length; ++i) {
            IStaking.StakerInfo memory other = staking.stakerInfo(_sequencers[i]);
            if (other.activationEpoch != 0 && !other.exiting) ++staying;
        }
        if (staying <= 3) return;
        vm.prank(who);
        staking.exit();
        calls["exit"]++;
        _observeMembers();
    }

    /// @notice The first sequencer from `actorSeed` on whose stake can be withdrawn withdraws it.
    function withdraw(uint256 actorSeed) external {
        _sync();
        address who;
        for (uint256 i; i < _sequencers.length && who == address(0); ++i) {
            address candidate = _sequencers[(actorSeed % _sequencers.length + i) % _sequencers.length];
            IStaking.StakerInfo memory info = staking.stakerInfo(candidate);
            if (info.exiting && !info.withdrawn && block.timestamp >= info.withdrawableAt) who = candidate;
        }
        if (who == address(0)) return;
        vm.prank(who);
        staking.withdraw(who);
        calls["withdraw"]++;
        _observeMembers();
    }

    // ------------------------------------------------------------------ fee deposits

    /// @notice An actor deposits 1 wei to MAX_HANDLER_DEPOSIT into the fee inbox for one of the payers.
    function deposit(uint256 actorSeed, uint256 payerSeed, uint256 amountSeed) public {
        _sync();
        address from = _actors[actorSeed % _actors.length];
        uint256 balance = token.balanceOf(from);
        if (balance == 0) return;
        uint256 amount = _bound(amountSeed, 1, balance < MAX_HANDLER_DEPOSIT ? balance : MAX_HANDLER_DEPOSIT);
        vm.prank(from);
        inbox.deposit(_payers[payerSeed % _payers.length], amount);
        _depositPrefix.push(_depositPrefix[_depositPrefix.length - 1] + amount);
        calls["deposit"]++;
        _observeMembers();
    }

    // ------------------------------------------------------------------ proposals

    /// @notice The top-ranked or a random eligible sequencer proposes random data in the current slot, or in
    ///         the next one if the current slot's proposal window is over or the slot's block outscores it (a
    ///         replacement when the slot already has a block and the score is higher).
    function propose(uint256 actorSeed, bool top, uint256 dataSeed) public {
        _sync();
        _propose(actorSeed, top, dataSeed);
        // One call in two also fills the next slot, so epochs hold several blocks (prefix proofs need them).
        if (dataSeed % 2 == 1) _propose(actorSeed >> 8, true, dataSeed >> 8);
    }

    function _propose(uint256 actorSeed, bool top, uint256 dataSeed) internal {
        Slot slot = rollup.currentSlot();
        if (block.timestamp >= rollup.slotStartTime(slot) + config.proposalWindow) {
            slot = _nextSlot(dataSeed);
        }
        address proposer = _proposer(slot, top, actorSeed);
        if (proposer == address(0)) return;

        uint256 tip = _tipAfterPrune();
        uint256 number = tip + 1;
        IRollup.BlockLog memory tipLog = rollup.blockLog(tip);
        if (tip != 0 && tipLog.slot == Slot.unwrap(slot)) {
            if (rollup.scoreOf(slot, proposer) > rollup.scoreOf(slot, tipLog.proposer)) {
                number = tip;
            } else {
                // Outscored in this slot: propose in the next one instead.
                slot = _nextSlot(dataSeed);
                proposer = _proposer(slot, top, actorSeed);
                if (proposer == address(0)) return;
                tip = _tipAfterPrune();
                number = tip + 1;
            }
        }
        (IRollup.ProposeArgs memory args, uint256[PAYER_COUNT] memory balances) =
            _args(number, slot, dataSeed);

        _expectPrune();
        vm.recordLogs();
        vm.prank(proposer);
        rollup.propose(args);
        _processLogs();
        (_inputsOf[number],) = rollup.publicInputsOf(args);
        _balancesAfter[number] = balances;
        calls["propose"]++;
        _observeMembers();
    }

    /// @dev Moves to a random point of the next slot's proposal window; returns that slot.
    function _nextSlot(uint256 seed) internal returns (Slot slot) {
        slot = Slot.wrap(Slot.unwrap(rollup.currentSlot()) + 1);
        _advance(rollup.slotStartTime(slot) + seed % config.proposalWindow - currentTime, seed);
    }

    /// @dev The top-ranked or a random eligible sequencer of `slot` (address(0) if none, or if the prune at the
    ///      start of its call would force it out).
    function _proposer(Slot slot, bool top, uint256 seed) internal view returns (address proposer) {
        (address[] memory ranked,) = Ranking.forSlot(rollup, slot);
        if (ranked.length == 0) return address(0);
        proposer = ranked[top ? 0 : seed % ranked.length];
        if (_slashedOutByPrune(proposer)) return address(0);
    }

    /// @notice Anyone fills an empty slot whose backup window is open with a block and its proof (naming the
    ///         submitter as payee).
    function backupPropose(uint256 actorSeed, uint256 dataSeed) external {
        _sync();
        uint256 current = Slot.unwrap(rollup.currentSlot());
        uint256 tip = _tipAfterPrune();
        uint256 tipSlot = rollup.blockLog(tip).slot;
        uint256 opensAt = rollup.slotStartTime(Slot.wrap(current)) + config.proposalWindow;
        // proposalWindow + backupWindow <= slotDuration: only the current slot's backup window can be open.
        if (
            block.timestamp < opensAt || block.timestamp >= opensAt + config.backupWindow
                || tipSlot >= current
        ) {
            return;
        }
        (IRollup.ProposeArgs memory args, uint256[PAYER_COUNT] memory balances) =
            _args(tip + 1, Slot.wrap(current), dataSeed);
        (uint256[] memory inputs,) = rollup.publicInputsOf(args);
        address submitter = _actors[actorSeed % _actors.length];
        bytes memory proof = verifier.proofForPayee(inputs, submitter);

        _expectPrune();
        vm.recordLogs();
        vm.prank(submitter);
        rollup.proposeWithProof(args, proof);
        _processLogs();
        _inputsOf[tip + 1] = inputs;
        _balancesAfter[tip + 1] = balances;
        calls["backupPropose"]++;
        _observeMembers();
    }

    // ------------------------------------------------------------------ prover coordination

    /// @notice An eligible sequencer claims a funded prover's valid quote for the previous epoch, or replaces
    ///         the current claim with a strictly cheaper one; outside a claim window, it first moves to the
    ///         next one (the current epoch becomes claimable).
    function claim(uint256 claimantSeed, uint256 proverSeed, uint256 bondSeed, uint256 feeSeed) public {
        _sync();
        uint256 current = Epoch.unwrap(rollup.currentEpoch());
        // Past the previous epoch's claim window, or nothing to claim there while this epoch holds blocks: move
        // to the next epoch's claim window and claim this one.
        if (
            current == 0 || rollup.currentSlot() > rollup.claimDeadline(Epoch.wrap(current - 1))
                || (!_claimable(Epoch.wrap(current - 1))
                    && rollup.epochLog(Epoch.wrap(current)).blockCount > 0)
        ) {
            ++current;
            uint256 start = rollup.slotStartTime(Slot.wrap(current * EPOCH));
            _advance(start + feeSeed % (config.claimWindowSlots * SLOT) - currentTime, feeSeed);
        }
        if (!_claimable(Epoch.wrap(current - 1))) return;
        IRollup.ProofClaim memory existing = rollup.claimOf(Epoch.wrap(current - 1));
        bool replacing = existing.status == IRollup.ClaimStatus.Claimed;
        if (replacing && existing.basisPointFee == 0) return;

        uint256 p = proverSeed % _provers.length;
        uint256 free = escrow.freeBalanceOf(_provers[p]);
        // The replaced bond is released before the new one is locked.
        if (replacing && existing.prover == _provers[p]) free += existing.bondAmount;
        uint256 minimum = config.minimumProverBond;
        if (free < minimum) return;
        address claimant = _claimant(current, claimantSeed);
        if (claimant == address(0)) return;
        SignedEpochProofQuote memory signed = _signedQuote(
            p,
            current - 1,
            _bound(bondSeed, minimum, free < 3 * minimum ? free : 3 * minimum),
            _quoteFee(feeSeed, replacing ? existing.basisPointFee - 1 : config.maxProverFeeBps)
        );
        _claimWith(claimant, signed, replacing ? existing.bondAmount : 0);
        if (replacing) {
            calls["claimReplace"]++;
        } else {
            calls["claim"]++;
            // Three first claims in four are outbid at once by another prover's cheaper quote (the auction).
            if (_draw(bondSeed, "outbid", 4) != 0) {
                _outbid(claimant, (p + 1) % _provers.length, signed.quote, feeSeed >> 16);
            }
        }
    }

    /// @dev A uniform draw in [0, outcomes) from `seed`: hashing first keeps the fuzzer's favourite values (0, 1,
    ///      the maximum) from always taking the same branch, which would starve a key action in some runs.
    function _draw(uint256 seed, string memory purpose, uint256 outcomes) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, purpose))) % outcomes;
    }

    /// @dev A fee in [0, cap]: zero (which nobody can undercut) one time in sixteen, else at least 1.
    function _quoteFee(uint256 seed, uint256 cap) internal pure returns (uint256) {
        return _draw(seed, "zero fee", 16) == 0 || cap == 0 ? 0 : _bound(seed, 1, cap);
    }

    /// @dev Prover `rival` replaces the claim of `quote` with a strictly cheaper quote, if it can.
    function _outbid(address claimant, uint256 rival, EpochProofQuote memory quote, uint256 feeSeed)
        internal
    {
        uint256 minimum = config.minimumProverBond;
        if (quote.basisPointFee == 0 || escrow.freeBalanceOf(_provers[rival]) < minimum) return;
        _claimWith(
            claimant,
            _signedQuote(rival, quote.epochToProve, minimum, _bound(feeSeed, 0, quote.basisPointFee - 1)),
            quote.bondAmount
        );
        calls["claimReplace"]++;
    }

    /// @dev A sequencer that can propose in `epoch` (address(0) if none).
    function _claimant(uint256 epoch, uint256 seed) internal view returns (address) {
        (address[] memory eligible,) = staking.proposersAt(Epoch.wrap(epoch), 0, staking.stakerCount());
        return eligible.length == 0 ? address(0) : eligible[seed % eligible.length];
    }

    /// @dev `claimant` claims `signed`; `replacedBond` (0 for a first claim) is expected back at once.
    function _claimWith(address claimant, SignedEpochProofQuote memory signed, uint256 replacedBond)
        internal
    {
        _prune.active = false;
        ghost_expectedReleased += replacedBond;
        vm.recordLogs();
        vm.prank(claimant);
        rollup.claimEpochProofRight(signed);
        _processLogs();
        _observeMembers();
    }

    /// @dev Whether `target` can be claimed now: inside its claim window, not about to be pruned, and with
    ///      unproven blocks.
    function _claimable(Epoch target) internal view returns (bool) {
        if (rollup.currentSlot() > rollup.claimDeadline(target)) return false;
        if (rollup.canPrune()) return false; // the prune would leave nothing to claim in this epoch's window
        IRollup.EpochLog memory log = rollup.epochLog(target);
        return log.blockCount > 0 && log.firstBlock + log.blockCount - 1 > rollup.provenTip();
    }

    /// @dev Prover `p`'s quote for `epoch`, valid until the claim deadline, signed with its key.
    function _signedQuote(uint256 p, uint256 epoch, uint256 bond, uint256 fee)
        internal
        view
        returns (SignedEpochProofQuote memory)
    {
        EpochProofQuote memory quote = EpochProofQuote({
            prover: _provers[p],
            epochToProve: epoch,
            validUntilSlot: Slot.unwrap(rollup.claimDeadline(Epoch.wrap(epoch))),
            bondAmount: bond,
            rollupAddress: address(rollup),
            // forge-lint: disable-next-line(unsafe-typecast) -- fee <= maxProverFeeBps <= 10,000
            basisPointFee: uint32(fee)
        });
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_proverKeys[p], rollup.quoteDigest(quote));
        return SignedEpochProofQuote({quote: quote, signature: abi.encodePacked(r, s, v)});
    }

    /// @notice Anyone submits a proof of a prefix (1 to all) of the oldest unproven epoch's remaining blocks,
    ///         built from the recorded public inputs and naming the payee the rules name (first waiting for
    ///         the epoch to end if it has not).
    function submitProof(uint256 actorSeed, uint256 countSeed) public {
        _sync();
        uint256 first = rollup.provenTip() + 1;
        if (first > rollup.pendingTip()) return;
        Epoch epoch = rollup.epochAtSlot(Slot.wrap(rollup.blockLog(first).slot));
        if (rollup.currentEpoch() <= epoch) {
            // Wait for the epoch to end: move to a random point of the next epoch's first slot.
            uint256 start = rollup.slotStartTime(Slot.wrap((Epoch.unwrap(epoch) + 1) * EPOCH));
            _advance(start + countSeed % SLOT - currentTime, countSeed);
        }
        if (rollup.currentSlot() > rollup.proofDeadline(epoch)) return;
        IRollup.EpochLog memory log = rollup.epochLog(epoch);
        uint256 remaining = log.firstBlock + log.blockCount - first;
        // One proof in four completes the epoch, the others prove a random strict prefix when there is one.
        uint256 count = _draw(countSeed, "complete", 4) == 0 || remaining == 1
            ? remaining
            : 1 + (countSeed >> 2) % (remaining - 1);
        bool complete = count == remaining;

        address submitter = _actors[actorSeed % _actors.length];
        IRollup.ProofClaim memory claim_ = rollup.claimOf(epoch);
        bool claimed = claim_.status == IRollup.ClaimStatus.Claimed;
        address payee = claimed ? claim_.prover : submitter;
        (uint256[] memory inputs, bytes memory proofs) = _proofOf(first, count, payee);
        _expectProofCredits(
            first,
            first + count - 1,
            payee,
            claimed ? claim_.basisPointFee : config.openProvingBasisPointFee,
            complete
        );
        if (complete && claimed) ghost_expectedReleased += claim_.bondAmount;

        _expectRelease(first + count - 1);

        _prune.active = false;
        vm.recordLogs();
        vm.prank(submitter);
        try rollup.submitEpochProof(epoch, inputs, proofs) {}
        catch {
            ghost_proofReverts++;
            return;
        }
        _checkProofLogs(Epoch.unwrap(epoch), payee, complete);
        if (complete) calls["fullProof"]++;
        else calls["partialProof"]++;
        _observeMembers();
    }

    /// @dev The 6-word rows of blocks `first..first + count - 1` and their proofs naming `payee`.
    function _proofOf(uint256 first, uint256 count, address payee)
        internal
        view
        returns (uint256[] memory inputs, bytes memory proofs)
    {
        inputs = new uint256[](count * K);
        for (uint256 i; i < count; ++i) {
            uint256[] memory row = _inputsOf[first + i];
            for (uint256 j; j < K; ++j) {
                inputs[i * K + j] = row[j];
            }
            proofs = bytes.concat(proofs, verifier.proofForPayee(row, payee));
        }
    }

    /// @notice Anyone prunes once the oldest unproven epoch missed its proof window.
    function prune() external {
        _sync();
        if (!rollup.canPrune()) return;
        _expectPrune();
        vm.recordLogs();
        rollup.prune();
        _processLogs();
        _observeMembers();
    }

    // ------------------------------------------------------------------ prover escrow

    function proverDeposit(uint256 proverSeed, uint256 amountSeed) public {
        _sync();
        address prover = _provers[proverSeed % _provers.length];
        uint256 balance = token.balanceOf(prover);
        if (balance == 0) return;
        uint256 amount = _bound(amountSeed, 1, balance < 100 ether ? balance : 100 ether);
        vm.prank(prover);
        escrow.deposit(prover, amount);
        calls["proverDeposit"]++;
        _observeMembers();
    }

    function proverRequestWithdrawal(uint256 proverSeed, uint256 amountSeed) public {
        _sync();
        address prover = _provers[proverSeed % _provers.length];
        uint256 free = escrow.freeBalanceOf(prover);
        if (free == 0) return;
        vm.prank(prover);
        escrow.requestWithdrawal(_bound(amountSeed, 1, free));
        calls["proverRequestWithdrawal"]++;
        _observeMembers();
    }

    /// @notice The first prover from `proverSeed` on whose pending withdrawal is ready finalizes it.
    function proverFinalizeWithdrawal(uint256 proverSeed) external {
        _sync();
        address prover;
        for (uint256 i; i < _provers.length && prover == address(0); ++i) {
            address candidate = _provers[(proverSeed % _provers.length + i) % _provers.length];
            IProverEscrow.Account memory account = escrow.accountOf(candidate);
            if (account.pendingWithdrawal > 0 && block.timestamp >= account.withdrawableAt) {
                prover = candidate;
            }
        }
        if (prover == address(0)) return;
        vm.prank(prover);
        escrow.finalizeWithdrawal(prover);
        calls["proverFinalizeWithdrawal"]++;
        _observeMembers();
    }

    // ------------------------------------------------------------------ rewards

    /// @notice The first actor from `actorSeed` on with a credit claims it.
    function claimRewards(uint256 actorSeed) external {
        _sync();
        address who;
        for (uint256 i; i < _actors.length && who == address(0); ++i) {
            address candidate = _actors[(actorSeed % _actors.length + i) % _actors.length];
            if (pool.owed(candidate) > 0) who = candidate;
        }
        if (who == address(0)) return;
        vm.prank(who);
        pool.claim(who);
        calls["claimRewards"]++;
        _observeMembers();
    }

    // ------------------------------------------------------------------ internals: expectations

    function _sync() internal {
        vm.warp(currentTime);
    }

    /// @dev The tip a write path builds on: the proven tip if it is about to prune.
    function _tipAfterPrune() internal view returns (uint256) {
        return rollup.canPrune() ? rollup.provenTip() : rollup.pendingTip();
    }

    /// @dev Whether the prune at the start of this call would slash `who` below the minimum stake, forcing
    ///      it out of the proposer set within the same call (its proposal then reverts, prune included).
    function _slashedOutByPrune(address who) internal view returns (bool) {
        if (!rollup.canPrune()) return false;
        IRollup.BlockLog memory first = rollup.blockLog(rollup.provenTip() + 1);
        if (first.proposer != who || first.backup) return false;
        Epoch epoch = rollup.epochAtSlot(Slot.wrap(first.slot));
        if (rollup.claimOf(epoch).status == IRollup.ClaimStatus.Claimed) return false;
        return staking.stakerInfo(who).stake < staking.minimumStake() + config.unprovenBlockPenalty;
    }

    /// @dev What a prune in the next call must do, from the rules: a claimed oldest epoch loses
    ///      ceil(bond * unproven / blocks) of its bond, shared equally among the pruned blocks' proposers; an
    ///      unclaimed one costs the first unproven block's proposer its penalty (not for a backup block);
    ///      later claims are cancelled and released.
    function _expectPrune() internal {
        delete _prune;
        delete _lost;
        for (uint256 i; i < _provenProposersSeen.length; ++i) {
            delete _provenBlocksInEpoch[_provenProposersSeen[i]];
        }
        delete _provenProposersSeen;
        if (!rollup.canPrune()) return;
        uint256 proven = rollup.provenTip();
        uint256 pending = rollup.pendingTip();
        PruneExpectation storage e = _prune;
        e.active = true;
        e.fromBlock = proven + 1;
        e.toBlock = pending;
        IRollup.BlockLog memory firstLost = rollup.blockLog(proven + 1);
        e.epoch = Epoch.unwrap(rollup.epochAtSlot(Slot.wrap(firstLost.slot)));
        for (uint256 n = proven + 1; n <= pending; ++n) {
            _lost.push(rollup.blockLog(n).proposer);
        }
        IRollup.EpochLog memory log = rollup.epochLog(Epoch.wrap(e.epoch));
        for (uint256 n = log.firstBlock; n <= proven; ++n) {
            address p = rollup.blockLog(n).proposer;
            if (_provenBlocksInEpoch[p] == 0) _provenProposersSeen.push(p);
            _provenBlocksInEpoch[p]++;
        }
        IRollup.ProofClaim memory c = rollup.claimOf(Epoch.wrap(e.epoch));
        if (c.status == IRollup.ClaimStatus.Claimed) {
            e.claimed = true;
            e.prover = c.prover;
            e.bond = c.bondAmount;
            uint256 unproven = uint256(log.firstBlock) + log.blockCount - (proven + 1);
            e.slashed = (e.bond * unproven + log.blockCount - 1) / log.blockCount;
            e.share = e.slashed / (pending - proven);
            e.released = e.bond - e.slashed;
        } else if (config.unprovenBlockPenalty > 0 && !firstLost.backup) {
            e.victim = firstLost.proposer;
        }
        uint256 lastEpoch = Epoch.unwrap(rollup.epochAtSlot(Slot.wrap(rollup.blockLog(pending).slot)));
        for (uint256 ep = e.epoch + 1; ep <= lastEpoch; ++ep) {
            IRollup.ProofClaim memory later = rollup.claimOf(Epoch.wrap(ep));
            if (later.status == IRollup.ClaimStatus.Claimed) {
                e.released += later.bondAmount;
                e.cancels++;
            }
        }
        ghost_expectedReleased += e.released;
        if (e.claimed) {
            ghost_slashedBonds += e.slashed;
            ghost_slashDust += e.slashed - e.share * (pending - proven);
        }
    }

    /// @dev The credits a proof of blocks `first..last` must make, in order, given the pool's reward funds now:
    ///      the payee its cut of every block's reward and fees (split separately) plus the submission reward iff
    ///      the proof completes the epoch (one credit), then each block's proposer the rest; the reward parts
    ///      each capped at what the pool still has, the fee parts never.
    function _expectProofCredits(uint256 first, uint256 last, address payee, uint256 bps, bool complete)
        internal
    {
        delete _expectedProofCredits;
        _proofExpected = true;
        uint256 left = pool.available();
        uint256 rewardCut = config.blockReward * bps / Constants.BASIS_POINTS;
        uint256 payeeReward = complete ? config.proofSubmissionReward : 0;
        uint256 payeeFees;
        for (uint256 n = first; n <= last; ++n) {
            payeeReward += rewardCut;
            payeeFees += _blockFees(n) * bps / Constants.BASIS_POINTS;
        }
        left = _pushCredit(payee, payeeReward, payeeFees, left);
        for (uint256 n = first; n <= last; ++n) {
            uint256 fees = _blockFees(n);
            left = _pushCredit(
                rollup.blockLog(n).proposer,
                config.blockReward - rewardCut,
                fees - fees * bps / Constants.BASIS_POINTS,
                left
            );
        }
    }

    function _blockFees(uint256 blockNumber) internal view returns (uint256) {
        return _inputsOf[blockNumber][2] >> Constants.GLOBALS_FEES_SHIFT;
    }

    function _pushCredit(address account, uint256 requested, uint256 fees, uint256 left)
        internal
        returns (uint256)
    {
        uint256 credited = requested < left ? requested : left;
        // The pool emits nothing for a zero credit.
        if (credited > 0 || fees > 0) _expectedProofCredits.push(Credit(account, credited, requested, fees));
        return left - credited;
    }

    /// @dev The deposits a proof ending at block `last` releases: messages from the inbox's released cursor up
    ///      to the block's cursor.
    function _expectRelease(uint256 last) internal {
        uint256 from = inbox.releasedCursor();
        uint256 to = rollup.blockLog(last).inboxCursor;
        _expectedRelease = to > from ? _depositPrefix[to] - _depositPrefix[from] : 0;
    }

    function _touch(uint256 epoch) internal {
        if (_touched[epoch]) return;
        _touched[epoch] = true;
        _touchedEpochs.push(epoch);
    }

    // ------------------------------------------------------------------ internals: logs

    /// @dev Checks a proof's events against the expectation: EpochProven names the payee, and the pool's
    ///      credits are exactly the expected ones, in order.
    function _checkProofLogs(uint256 epoch, address payee, bool complete) internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 next;
        // Within one expected credit: whether its RewardCredited was seen.
        bool rewardSeen;
        uint256 feesPaid;
        uint256 released;
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            bytes32 topic = log.topics[0];
            if (log.emitter == address(rollup) && topic == IRollup.EpochProven.selector) {
                if (address(uint160(uint256(log.topics[2]))) != payee) ghost_wrongPayee++;
            } else if (log.emitter == address(inbox) && topic == IFeeInbox.DepositsReleased.selector) {
                (,, uint256 amount) = abi.decode(log.data, (uint256, uint256, uint256));
                released += amount;
            } else if (log.emitter == address(pool) && topic == IRewardPool.FeeFundsAdded.selector) {
                ghost_feeFundsAdded += abi.decode(log.data, (uint256));
            } else if (log.emitter == address(pool) && topic == IRewardPool.RewardCredited.selector) {
                address account = address(uint160(uint256(log.topics[1])));
                (uint256 credited, uint256 requested) = abi.decode(log.data, (uint256, uint256));
                if (credited < requested) ghost_cappedCredits++;
                if (next >= _expectedProofCredits.length) {
                    ghost_proofMiscredited++;
                    continue;
                }
                Credit memory expected = _expectedProofCredits[next];
                if (
                    rewardSeen || account != expected.account || credited != expected.credited
                        || requested != expected.requested
                ) ghost_proofMiscredited++;
                rewardSeen = true;
                if (expected.fees == 0) {
                    ++next;
                    rewardSeen = false;
                }
            } else if (log.emitter == address(pool) && topic == IRewardPool.FeesCredited.selector) {
                address account = address(uint160(uint256(log.topics[1])));
                uint256 fees = abi.decode(log.data, (uint256));
                ghost_feesCredited += fees;
                feesPaid += fees;
                if (next >= _expectedProofCredits.length) {
                    ghost_proofMiscredited++;
                    continue;
                }
                Credit memory expected = _expectedProofCredits[next++];
                if (
                    account != expected.account || fees != expected.fees
                        || rewardSeen != (expected.credited > 0)
                ) ghost_proofMiscredited++;
                rewardSeen = false;
            }
            _processEscrowLog(log);
        }
        ghost_depositsReleased += released;
        if (released != _expectedRelease) ghost_releaseMismatches++;
        if (feesPaid > 0) calls["feePaid"]++;
        if (next != _expectedProofCredits.length) ghost_proofMiscredited++;
        if (complete) {
            _touch(epoch);
            uint256 rewards = ++ghost_submissionRewards[epoch];
            if (rewards > ghost_maxSubmissionRewardsPerEpoch) ghost_maxSubmissionRewardsPerEpoch = rewards;
            IRollup.ProofClaim memory c = rollup.claimOf(Epoch.wrap(epoch));
            if (c.status == IRollup.ClaimStatus.Proven) ghost_bondSettlements[epoch]++;
        }
        _proofExpected = false;
    }

    /// @dev Decodes a propose, claim or prune call's events into the ghosts and checks the prune (if any)
    ///      against `_prune`.
    function _processLogs() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bool pruned;
        uint256 shareIndex;
        bool inShares;
        uint256 cancels;
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            bytes32 topic = log.topics[0];
            if (log.emitter == address(rollup)) {
                if (topic == IRollup.EpochProofRightClaimed.selector) {
                    uint256 epoch = uint256(log.topics[1]);
                    _touch(epoch);
                    ghost_bondLocks[epoch]++;
                } else if (topic == IRollup.EpochProofClaimReplaced.selector) {
                    ghost_bondSettlements[uint256(log.topics[1])]++;
                } else if (topic == IRollup.BlocksPruned.selector) {
                    pruned = true;
                    calls["prune"]++;
                    (uint256 fromBlock, uint256 toBlock) = abi.decode(log.data, (uint256, uint256));
                    if (
                        !_prune.active || fromBlock != _prune.fromBlock || toBlock != _prune.toBlock
                            || uint256(log.topics[1]) != _prune.epoch
                    ) ghost_slashMiscredited++;
                } else if (topic == IRollup.ProverSlashed.selector) {
                    uint256 epoch = uint256(log.topics[1]);
                    (uint256 slashed, uint256 perBlock) = abi.decode(log.data, (uint256, uint256));
                    _touch(epoch);
                    ghost_bondSettlements[epoch]++;
                    if (
                        !_prune.claimed || epoch != _prune.epoch || slashed != _prune.slashed
                            || perBlock != _prune.share
                            || address(uint160(uint256(log.topics[2]))) != _prune.prover
                    ) ghost_slashMiscredited++;
                    inShares = perBlock > 0;
                    shareIndex = 0;
                } else if (topic == IRollup.ClaimCancelled.selector) {
                    uint256 epoch = uint256(log.topics[1]);
                    _touch(epoch);
                    ghost_bondSettlements[epoch]++;
                    cancels++;
                }
            } else if (log.emitter == address(pool) && topic == IRewardPool.RewardCredited.selector) {
                (uint256 credited, uint256 requested) = abi.decode(log.data, (uint256, uint256));
                if (credited < requested) ghost_cappedCredits++;
                if (inShares) {
                    address account = address(uint160(uint256(log.topics[1])));
                    if (
                        shareIndex >= _lost.length || account != _lost[shareIndex] || credited != _prune.share
                    ) {
                        ghost_slashMiscredited++;
                    }
                    ghost_slashCredited += credited;
                    if (++shareIndex == _lost.length) inShares = false;
                }
            } else if (log.emitter == address(staking) && topic == IStaking.Slashed.selector) {
                address staker = address(uint160(uint256(log.topics[1])));
                if (staker != _prune.victim) ghost_wrongPenalty++;
                if (_provenBlocksInEpoch[staker] > 0 && !_proposedUnproven(staker)) {
                    ghost_penaltyOnProvenProposer++;
                }
            }
            _processEscrowLog(log);
        }
        if (inShares) ghost_slashMiscredited++;
        if (_prune.active && !pruned) ghost_slashMiscredited++;
        if (pruned && cancels != _prune.cancels) ghost_slashMiscredited++;
        _prune.active = false;
    }

    function _proposedUnproven(address who) internal view returns (bool) {
        for (uint256 i; i < _lost.length; ++i) {
            if (_lost[i] == who) return true;
        }
        return false;
    }

    function _processEscrowLog(Vm.Log memory log) internal {
        if (log.emitter != address(escrow)) return;
        bytes32 topic = log.topics[0];
        if (topic == IProverEscrow.BondLocked.selector) {
            ghost_escrowLocked += abi.decode(log.data, (uint256));
        } else if (topic == IProverEscrow.BondReleased.selector) {
            ghost_escrowReleased += abi.decode(log.data, (uint256));
        } else if (topic == IProverEscrow.BondSlashed.selector) {
            ghost_escrowSlashed += abi.decode(log.data, (uint256));
        }
    }

    /// @dev Proposal args for block `number` in `slot`: it consumes the inbox messages after its parent's cursor
    ///      (a random number of them, but every due one while a slot is free), credits them to the payers' fee
    ///      balances, and pays 0 to 3 transactions whose fees stay within the payer's balance. Returns the payers'
    ///      balances after the block.
    function _args(uint256 number, Slot slot, uint256 dataSeed)
        internal
        view
        returns (IRollup.ProposeArgs memory args, uint256[PAYER_COUNT] memory balances)
    {
        balances = _balancesAfter[number - 1];
        bytes32[] memory words = _consumedMessages(number, dataSeed, balances);
        uint256 txCount = dataSeed % 4;
        bytes memory data = BlockDataBuilder.build(words, txCount, dataSeed);
        uint256 totalFees;
        for (uint256 t; t < txCount; ++t) {
            uint256 txSeed = uint256(keccak256(abi.encode(dataSeed, "tx", t)));
            uint256 p = txSeed % PAYER_COUNT;
            // One tx in four pays no fee (no payer); the others up to the payer's whole balance.
            uint256 fee;
            address payer;
            if (_draw(txSeed, "payer", 4) != 0) {
                payer = _payers[p];
                uint256 cap = balances[p] < type(uint64).max ? balances[p] : type(uint64).max;
                fee = _bound(txSeed >> 8, 0, cap);
                balances[p] -= fee;
                totalFees += fee;
            }
            // forge-lint: disable-next-line(unsafe-typecast) -- fee <= type(uint64).max (bounded above)
            uint64 fee64 = uint64(fee);
            BlockDataBuilder.setWord(
                data, BlockDataBuilder.txWordOffset(t, 0), BlockDataBuilder.feeWord(payer, fee64)
            );
        }
        args.header = IRollup.BlockHeader({
            blockNumber: number,
            slot: slot,
            prevStateRoot: rollup.blockLog(number - 1).stateRoot,
            newStateRoot: keccak256(abi.encode("state", number, dataSeed))
            & bytes32(uint256(type(uint248).max)),
            totalFees: totalFees,
            dataHash: uint256(keccak256(abi.encode("h", data))) % Constants.FIELD_MODULUS
        });
        args.data = data;
    }

    /// @dev The message words block `number` consumes from its parent's cursor: a random count up to the slots
    ///      and the messages available, raised until the first message left out is not yet due (must-include);
    ///      credits them to `balances`.
    function _consumedMessages(uint256 number, uint256 seed, uint256[PAYER_COUNT] memory balances)
        internal
        view
        returns (bytes32[] memory words)
    {
        uint256 cursor = rollup.blockLog(number - 1).inboxCursor;
        uint256 available = inbox.messageCount() - cursor;
        uint256 most = available < Constants.MESSAGES_PER_BLOCK ? available : Constants.MESSAGES_PER_BLOCK;
        uint256 m = _draw(seed, "messages", most + 1);
        while (m < most && inbox.message(cursor + m).includeBy <= block.timestamp) {
            ++m;
        }
        words = new bytes32[](m);
        for (uint256 i; i < m; ++i) {
            IFeeInbox.Message memory message = inbox.message(cursor + i);
            words[i] = BlockDataBuilder.messageWord(message.recipient, message.amount);
            for (uint256 p; p < PAYER_COUNT; ++p) {
                if (_payers[p] == message.recipient) balances[p] += message.amount;
            }
        }
    }

    /// @dev Records the member sets of the current epoch and the next `lag` (already snapshotted) the first
    ///      time they are seen, and counts any later difference.
    function _observeMembers() internal {
        uint256 current = Epoch.unwrap(rollup.currentEpoch());
        uint256 stakers = staking.stakerCount();
        for (uint256 e = current; e <= current + LAG; ++e) {
            (address[] memory members,) = staking.membersAt(Epoch.wrap(e), 0, stakers);
            bytes32 h = keccak256(abi.encode(members));
            if (!_membersSeen[e]) {
                _membersSeen[e] = true;
                _membersHash[e] = h;
            } else if (_membersHash[e] != h) {
                ghost_membershipChanges++;
            }
        }
    }
}
