// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProverEscrow} from "../../contracts/interfaces/IProverEscrow.sol";
import {IRewardPool} from "../../contracts/interfaces/IRewardPool.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {IStaking} from "../../contracts/interfaces/IStaking.sol";
import {EpochProofQuote, SignedEpochProofQuote} from "../../contracts/libraries/QuoteLib.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {DevnetToken} from "../../contracts/token/DevnetToken.sol";
import {CommitmentVerifier} from "../helpers/CommitmentVerifier.sol";
import {Test} from "forge-std/Test.sol";
import {Vm} from "forge-std/Vm.sol";

/// @notice Drives the whole protocol for the invariant suite with bounded actions over a fixed set of
///         actors: sequencers (register, exit, withdraw, propose, claim), provers (escrow deposit,
///         withdrawal request and finalization, quotes), and anyone (backup blocks, epoch proofs, prunes,
///         reward claims), plus the clock. Every action returns early when it cannot be valid, so most
///         calls change state. The rollup's events are decoded after each call into ghost variables that
///         the invariants compare with the contracts' own accounting.
contract ProtocolHandler is Test {
    uint256 internal constant K = 6;
    uint256 internal constant SEQUENCER_COUNT = 6;
    uint256 internal constant PROVER_COUNT = 3;
    uint256 internal constant FIELD_MODULUS =
        21_888_242_871_839_275_222_246_405_745_257_275_088_548_364_400_416_034_343_698_204_186_575_808_495_617;

    IRollup public immutable rollup;
    IStaking public immutable staking;
    IProverEscrow public immutable escrow;
    IRewardPool public immutable pool;
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

    /// @dev The clock of the run: each action warps to it first, the warp actions move it forward.
    uint256 public currentTime;
    /// @dev Public inputs of the latest proposal of each block number.
    mapping(uint256 blockNumber => uint256[]) internal _inputsOf;

    // ------------------------------------------------------------------ ghosts

    /// @dev Epochs that ever saw a claim event, a settlement or a slash (to iterate in invariants).
    uint256[] internal _touchedEpochs;
    mapping(uint256 epoch => bool) internal _touched;
    mapping(uint256 epoch => uint256) public ghost_bondLocks;
    /// @dev Releases on proof + slashes + cancellations.
    mapping(uint256 epoch => uint256) public ghost_bondSettlements;
    mapping(uint256 epoch => uint256) public ghost_bondOf;

    /// @dev Set by submitProof when the epoch it proves has an open claim (whose bond the proof releases).
    bool internal _openClaimProven;

    /// @dev Escrow amounts from its own events.
    uint256 public ghost_escrowLocked;
    uint256 public ghost_escrowReleased;
    uint256 public ghost_escrowSlashed;
    /// @dev Releases and slashes the rollup's events say should have happened.
    uint256 public ghost_expectedReleases;
    uint256 public ghost_releaseEvents;

    /// @dev ProverSlashed bonds, the shares credited for them and the dust left in the pool.
    uint256 public ghost_slashedBonds;
    uint256 public ghost_slashCredited;
    uint256 public ghost_slashDust;
    /// @dev Slash shares credited to someone other than a lost block's proposer, or for another amount.
    uint256 public ghost_slashMiscredited;

    /// @dev Snapshotted member sets: keccak of membersAt(e), recorded when first observed.
    mapping(uint256 epoch => bytes32) internal _membersHash;
    mapping(uint256 epoch => bool) internal _membersSeen;
    uint256 public ghost_membershipChanges;

    /// @dev Successful calls per action, for the run summary.
    mapping(bytes32 action => uint256) public calls;

    constructor(
        IRollup rollup_,
        IStaking staking_,
        IProverEscrow escrow_,
        IRewardPool pool_,
        CommitmentVerifier verifier_,
        DevnetToken token_
    ) {
        rollup = rollup_;
        staking = staking_;
        escrow = escrow_;
        pool = pool_;
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
        currentTime = block.timestamp;
    }

    // ------------------------------------------------------------------ views for the invariant suite

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    function provers() external view returns (address[] memory) {
        return _provers;
    }

    function touchedEpochs() external view returns (uint256[] memory) {
        return _touchedEpochs;
    }

    /// @notice Aligns the handler's clock with block.timestamp (setup only; not a fuzzed action).
    function syncTime() external {
        currentTime = block.timestamp;
        _observeMembers();
    }

    // ------------------------------------------------------------------ clock

    /// @notice Moves time forward by 1 second to 2 slots, or by a whole epoch one time in four.
    function warp(uint256 seed) external {
        uint256 step = seed % 4 == 0 ? EPOCH * SLOT : _bound(seed, 1, 2 * SLOT);
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

    function exit(uint256 actorSeed) external {
        _sync();
        address who = _sequencers[actorSeed % _sequencers.length];
        IStaking.StakerInfo memory info = staking.stakerInfo(who);
        if (info.activationEpoch == 0 || info.exiting) return;
        vm.prank(who);
        staking.exit();
        calls["exit"]++;
        _observeMembers();
    }

    function withdraw(uint256 actorSeed) external {
        _sync();
        address who = _sequencers[actorSeed % _sequencers.length];
        IStaking.StakerInfo memory info = staking.stakerInfo(who);
        if (!info.exiting || info.withdrawn || block.timestamp < info.withdrawableAt) return;
        vm.prank(who);
        staking.withdraw(who);
        calls["withdraw"]++;
        _observeMembers();
    }

    // ------------------------------------------------------------------ proposals

    /// @notice The top-ranked or a random eligible sequencer proposes random data in the current slot
    ///         (a replacement when the slot already has a block and the score is higher).
    function propose(uint256 actorSeed, bool top, uint256 dataSeed) public {
        _sync();
        Slot slot = rollup.currentSlot();
        if (block.timestamp >= rollup.slotStartTime(slot) + config.proposalWindow) return;
        (address[] memory ranked,) = rollup.rankingForSlot(slot);
        if (ranked.length == 0) return;
        address proposer = ranked[top ? 0 : actorSeed % ranked.length];
        if (_slashedOutByPrune(proposer)) return;

        uint256 tip = _tipAfterPrune();
        uint256 number = tip + 1;
        IRollup.BlockLog memory tipLog = rollup.blockLog(tip);
        if (tip != 0 && tipLog.slot == Slot.unwrap(slot)) {
            if (rollup.scoreOf(slot, proposer) <= rollup.scoreOf(slot, tipLog.proposer)) return;
            number = tip;
        }
        IRollup.ProposeArgs memory args = _args(number, slot, dataSeed);

        address[] memory lost = _lostProposers();
        vm.recordLogs();
        vm.prank(proposer);
        rollup.propose(args);
        _processLogs(lost);
        (_inputsOf[number],) = rollup.publicInputsOf(args);
        calls["propose"]++;
        _observeMembers();
    }

    /// @notice Anyone fills an empty slot whose backup window is open with a block and its proof.
    function backupPropose(uint256 actorSeed, uint256 dataSeed) external {
        _sync();
        uint256 current = Slot.unwrap(rollup.currentSlot());
        uint256 tip = _tipAfterPrune();
        uint256 tipSlot = rollup.blockLog(tip).slot;
        // The backup window of slot s runs from its proposal window's end for backupWindow seconds.
        for (uint256 back; back <= 1 && back <= current; ++back) {
            uint256 s = current - back;
            uint256 opensAt = rollup.slotStartTime(Slot.wrap(s)) + config.proposalWindow;
            if (block.timestamp < opensAt || block.timestamp >= opensAt + config.backupWindow || tipSlot >= s)
            {
                continue;
            }
            IRollup.ProposeArgs memory args = _args(tip + 1, Slot.wrap(s), dataSeed);
            (uint256[] memory inputs,) = rollup.publicInputsOf(args);
            bytes memory proof = verifier.proofFor(inputs);
            address submitter = _actors[actorSeed % _actors.length];

            address[] memory lost = _lostProposers();
            vm.recordLogs();
            vm.prank(submitter);
            rollup.proposeWithProof(args, proof);
            _processLogs(lost);
            _inputsOf[tip + 1] = inputs;
            calls["backupPropose"]++;
            _observeMembers();
            return;
        }
    }

    // ------------------------------------------------------------------ prover coordination

    /// @notice An eligible sequencer claims a funded prover's valid quote for the previous epoch.
    function claim(uint256 claimantSeed, uint256 proverSeed, uint256 bondSeed, uint256 feeSeed) external {
        _sync();
        uint256 current = Epoch.unwrap(rollup.currentEpoch());
        if (current == 0) return;
        Epoch target = Epoch.wrap(current - 1);
        if (rollup.currentSlot() > rollup.claimDeadline(target)) return;
        if (rollup.claimOf(target).status != IRollup.ClaimStatus.None) return;
        if (rollup.canPrune()) return; // the prune would leave nothing to claim in this epoch's window
        IRollup.EpochLog memory log = rollup.epochLog(target);
        if (log.blockCount == 0 || log.firstBlock + log.blockCount - 1 <= rollup.provenTip()) return;

        uint256 p = proverSeed % _provers.length;
        uint256 free = escrow.freeBalanceOf(_provers[p]);
        uint256 minimum = config.minimumProverBond;
        if (free < minimum) return;
        uint256 bond = _bound(bondSeed, minimum, free < 3 * minimum ? free : 3 * minimum);
        address[] memory eligible = staking.proposersAt(rollup.currentEpoch());
        if (eligible.length == 0) return;
        address claimant = eligible[claimantSeed % eligible.length];

        EpochProofQuote memory quote = EpochProofQuote({
            prover: _provers[p],
            epochToProve: current - 1,
            validUntilSlot: Slot.unwrap(rollup.claimDeadline(target)),
            bondAmount: bond,
            rollupAddress: address(rollup),
            basisPointFee: uint32(_bound(feeSeed, 0, 10_000))
        });
        bytes32 digest = rollup.quoteDigest(quote);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_proverKeys[p], digest);
        SignedEpochProofQuote memory signed =
            SignedEpochProofQuote({quote: quote, signature: abi.encodePacked(r, s, v)});

        vm.recordLogs();
        vm.prank(claimant);
        rollup.claimEpochProofRight(signed);
        _processLogs(new address[](0));
        calls["claim"]++;
        _observeMembers();
    }

    /// @notice Anyone submits the oldest unproven epoch's proof, built from the recorded public inputs.
    function submitProof(uint256 actorSeed) external {
        _sync();
        uint256 first = rollup.provenTip() + 1;
        if (first > rollup.pendingTip()) return;
        Epoch epoch = rollup.epochAtSlot(Slot.wrap(rollup.blockLog(first).slot));
        if (rollup.currentEpoch() <= epoch || rollup.currentSlot() > rollup.proofDeadline(epoch)) return;
        IRollup.EpochLog memory log = rollup.epochLog(epoch);
        uint256 last = log.firstBlock + log.blockCount - 1;

        uint256[] memory inputs = new uint256[]((last - first + 1) * K);
        bytes memory proofs;
        for (uint256 n = first; n <= last; ++n) {
            uint256[] memory row = _inputsOf[n];
            for (uint256 j; j < K; ++j) {
                inputs[(n - first) * K + j] = row[j];
            }
            proofs = bytes.concat(proofs, verifier.proofFor(row));
        }
        address submitter = _actors[actorSeed % _actors.length];
        // An epoch proven once can get a late backup block (its last slot's backup window runs into the
        // next epoch) and be proven again: only a proof of a still-open claim releases a bond.
        _openClaimProven = rollup.claimOf(epoch).status == IRollup.ClaimStatus.Claimed;

        vm.recordLogs();
        vm.prank(submitter);
        rollup.submitEpochProof(epoch, inputs, proofs);
        _processLogs(new address[](0));
        calls["submitProof"]++;
        _observeMembers();
    }

    /// @notice Anyone prunes once the oldest unproven epoch missed its proof window.
    function prune() external {
        _sync();
        if (!rollup.canPrune()) return;
        address[] memory lost = _lostProposers();
        vm.recordLogs();
        rollup.prune();
        _processLogs(lost);
        calls["prune"]++;
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

    function proverRequestWithdrawal(uint256 proverSeed, uint256 amountSeed) external {
        _sync();
        address prover = _provers[proverSeed % _provers.length];
        uint256 free = escrow.freeBalanceOf(prover);
        if (free == 0) return;
        vm.prank(prover);
        escrow.requestWithdrawal(_bound(amountSeed, 1, free));
        calls["proverRequestWithdrawal"]++;
        _observeMembers();
    }

    function proverFinalizeWithdrawal(uint256 proverSeed) external {
        _sync();
        address prover = _provers[proverSeed % _provers.length];
        IProverEscrow.Account memory account = escrow.accountOf(prover);
        if (account.pendingWithdrawal == 0 || block.timestamp < account.withdrawableAt) return;
        vm.prank(prover);
        escrow.finalizeWithdrawal(prover);
        calls["proverFinalizeWithdrawal"]++;
        _observeMembers();
    }

    // ------------------------------------------------------------------ rewards

    function claimRewards(uint256 actorSeed) external {
        _sync();
        address who = _actors[actorSeed % _actors.length];
        if (pool.owed(who) == 0) return;
        vm.prank(who);
        pool.claim(who);
        calls["claimRewards"]++;
        _observeMembers();
    }

    // ------------------------------------------------------------------ internals

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

    /// @dev Proposers of the blocks a prune would remove now (empty if nothing is prunable).
    function _lostProposers() internal view returns (address[] memory lost) {
        if (!rollup.canPrune()) return lost;
        uint256 proven = rollup.provenTip();
        uint256 pending = rollup.pendingTip();
        lost = new address[](pending - proven);
        for (uint256 n = proven + 1; n <= pending; ++n) {
            lost[n - proven - 1] = rollup.blockLog(n).proposer;
        }
    }

    function _args(uint256 number, Slot slot, uint256 dataSeed)
        internal
        view
        returns (IRollup.ProposeArgs memory args)
    {
        bytes memory data = _randomData(dataSeed);
        args.header = IRollup.BlockHeader({
            blockNumber: number,
            slot: slot,
            prevStateRoot: rollup.blockLog(number - 1).stateRoot,
            newStateRoot: keccak256(abi.encode("state", number, dataSeed))
            & bytes32(uint256(type(uint248).max)),
            totalFees: _bound(dataSeed >> 8, 0, 5 ether),
            dataHash: uint256(keccak256(abi.encode("h", data))) % FIELD_MODULUS
        });
        args.data = data;
    }

    function _randomData(uint256 seed) internal pure returns (bytes memory data) {
        uint256 length = seed % 200;
        if (length == 0) return "";
        for (uint256 i; i * 32 < length; ++i) {
            data = bytes.concat(data, keccak256(abi.encode(seed, i)));
        }
        assembly ("memory-safe") {
            mstore(data, length)
        }
    }

    function _touch(uint256 epoch) internal {
        if (_touched[epoch]) return;
        _touched[epoch] = true;
        _touchedEpochs.push(epoch);
    }

    /// @dev Decodes the call's events into the ghosts. `lost` are the proposers of the blocks a prune in
    ///      this call removes, in block order.
    function _processLogs(address[] memory lost) internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 prunedCount;
        uint256 pendingShares;
        uint256 share;
        uint256 shareIndex;
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            bytes32 topic = log.topics[0];
            if (log.emitter == address(rollup)) {
                if (topic == IRollup.EpochProofRightClaimed.selector) {
                    uint256 epoch = uint256(log.topics[1]);
                    (uint256 bond,) = abi.decode(log.data, (uint256, uint256));
                    _touch(epoch);
                    ghost_bondLocks[epoch]++;
                    ghost_bondOf[epoch] = bond;
                } else if (topic == IRollup.EpochProven.selector) {
                    uint256 epoch = uint256(log.topics[1]);
                    if (_openClaimProven) {
                        _touch(epoch);
                        ghost_bondSettlements[epoch]++;
                        ghost_expectedReleases++;
                        _openClaimProven = false;
                    }
                } else if (topic == IRollup.BlocksPruned.selector) {
                    (uint256 fromBlock, uint256 toBlock) = abi.decode(log.data, (uint256, uint256));
                    prunedCount = toBlock - fromBlock + 1;
                    if (prunedCount != lost.length) ghost_slashMiscredited++;
                } else if (topic == IRollup.ProverSlashed.selector) {
                    uint256 epoch = uint256(log.topics[1]);
                    (uint256 bond, uint256 perBlock) = abi.decode(log.data, (uint256, uint256));
                    _touch(epoch);
                    ghost_bondSettlements[epoch]++;
                    ghost_slashedBonds += bond;
                    ghost_slashDust += bond - perBlock * prunedCount;
                    share = perBlock;
                    pendingShares = perBlock == 0 ? 0 : prunedCount;
                    shareIndex = 0;
                } else if (topic == IRollup.ClaimCancelled.selector) {
                    uint256 epoch = uint256(log.topics[1]);
                    _touch(epoch);
                    ghost_bondSettlements[epoch]++;
                    ghost_expectedReleases++;
                }
            } else if (log.emitter == address(pool) && topic == IRewardPool.RewardCredited.selector) {
                if (pendingShares > 0) {
                    address account = address(uint160(uint256(log.topics[1])));
                    (uint256 credited,) = abi.decode(log.data, (uint256, uint256));
                    if (shareIndex >= lost.length || account != lost[shareIndex] || credited != share) {
                        ghost_slashMiscredited++;
                    }
                    ghost_slashCredited += credited;
                    ++shareIndex;
                    --pendingShares;
                }
            } else if (log.emitter == address(escrow)) {
                if (topic == IProverEscrow.BondLocked.selector) {
                    ghost_escrowLocked += abi.decode(log.data, (uint256));
                } else if (topic == IProverEscrow.BondReleased.selector) {
                    ghost_escrowReleased += abi.decode(log.data, (uint256));
                    ghost_releaseEvents++;
                } else if (topic == IProverEscrow.BondSlashed.selector) {
                    ghost_escrowSlashed += abi.decode(log.data, (uint256));
                }
            }
        }
        if (pendingShares > 0) ghost_slashMiscredited++;
    }

    /// @dev Records the member sets of the current epoch and the next `lag` (already snapshotted) the first
    ///      time they are seen, and counts any later difference.
    function _observeMembers() internal {
        uint256 current = Epoch.unwrap(rollup.currentEpoch());
        for (uint256 e = current; e <= current + LAG; ++e) {
            bytes32 h = keccak256(abi.encode(staking.membersAt(Epoch.wrap(e))));
            if (!_membersSeen[e]) {
                _membersSeen[e] = true;
                _membersHash[e] = h;
            } else if (_membersHash[e] != h) {
                ghost_membershipChanges++;
            }
        }
    }
}
