// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommitteeRollup} from "../../contracts/core/CommitteeRollup.sol";
import {RewardPool} from "../../contracts/core/RewardPool.sol";
import {Staking} from "../../contracts/core/Staking.sol";
import {ICommitteeRollup} from "../../contracts/interfaces/ICommitteeRollup.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {IStaking} from "../../contracts/interfaces/IStaking.sol";
import {Constants} from "../../contracts/libraries/Constants.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {CommitteeBase} from "../CommitteeBase.t.sol";
import {BlockDataBuilder} from "../helpers/BlockDataBuilder.sol";
import {CommitmentVerifier} from "../helpers/CommitmentVerifier.sol";
import {Vm} from "forge-std/Vm.sol";

/// @notice Drives the committee mode for the invariant suite with bounded actions: the clock, signed
///         proposals (a random eligible proposer, a random subset of at least the quorum of its slot's
///         committee, sometimes replacing the slot's block), backup blocks, committee epoch proofs of the
///         oldest epoch or a prefix (each signed block of 0 to 7 txs in the chunk count its sign-off fixed, a
///         backup block in 1 to 4 chunks; from the takeover slot sometimes paying non-assigned signers), prunes, inactivity slashes and new members. Every action returns early when
///         it cannot be valid; a valid action the rollup refuses is counted (`ghost_unexpectedReverts`),
///         never reverted. Sometimes an action first tries what the rules forbid (a sign-off by the proposer
///         or by a non-member of the committee; a slash for misses already slashed or forgiven, or for blocks
///         that are no misses; a proof padding a signed block with one more chunk); if the rollup accepts it, the ghosts record it as it happened, so the
///         invariants fail. Every fourth actor signs off only when a quorum needs it, so misses pile up
///         within a run.
/// @dev Inherits the committee fixture for its helpers (`_committeeOf`, `_signoffs`, `_chunkProofs`, ...) and
///      adopts the suite the invariant test deployed: it never runs the fixture's `setUp`. Its own
///      `inputsOf` and `signersOf` are the ghost record of every block of the chain.
contract CommitteeHandler is CommitteeBase {
    uint256 internal constant EXTRA_COUNT = 3;
    uint256 internal constant OUTSIDER_COUNT = 2;
    uint256 internal constant MAX_CHUNKS = 4;
    /// @dev Most txs in a signed block: MAX_CHUNKS chunks of CHUNK_TXS.
    uint256 internal constant MAX_TXS = MAX_CHUNKS * CHUNK_TXS - 1;

    /// @dev The registered members (the fixture's), then the members the run may register, then outsiders
    ///      (submitters and backup proposers only); every one has a signing key in `keyOf`.
    address[] internal _actors;
    address[] internal _extras;

    /// @dev The clock of the run: each action warps to it first, only actions move it forward.
    uint256 public currentTime;
    uint256 public immutable initialOwed;
    uint256 public immutable startEpoch;

    // ------------------------------------------------------------------ ghosts

    /// @dev Blocks proven and epochs completed, from the EpochProven events (and the epoch logs).
    uint256 public ghost_blocksProven;
    uint256 public ghost_epochsCompleted;
    /// @dev Every change of pool.totalOwed() over the handler's calls (nobody claims).
    uint256 public ghost_rewardsCredited;
    /// @dev totalOwed moves outside a proof, or decreases.
    uint256 public ghost_unexpectedCredits;
    /// @dev Proof credits (per account) that differ from the rules written out independently.
    uint256 public ghost_proofMiscredited;
    /// @dev EpochProven ranges that differ from what the handler submitted.
    uint256 public ghost_wrongProvenRange;
    /// @dev Valid actions (by the rules) the rollup refused.
    uint256 public ghost_unexpectedReverts;
    /// @dev Forbidden actions the rollup accepted.
    uint256 public ghost_forbiddenAccepted;

    /// @dev The latest slot each actor signed off (any accepted sign-off, pruned or replaced blocks
    ///      included).
    mapping(address member => uint256 slot) public ghost_lastSignoffSlot;
    /// @dev The slot of the last miss each actor was slashed for.
    mapping(address member => uint256 slot) public ghost_lastSlashedMissSlot;
    /// @dev Misses (proven blocks it was elected in, did not sign nor propose, after its settled slot) not
    ///      forgiven by a later sign-off: the ones slashed plus the open ones.
    mapping(address member => uint256 count) public ghost_missesOf;
    /// @dev CommitteeMemberSlashed events per staker.
    mapping(address member => uint256 count) public ghost_slashesOf;
    uint256 public ghost_inactivitySlashes;
    /// @dev Staking's Slashed events (inactivity slashes and prune penalties).
    uint256 public ghost_stakeSlashes;
    uint256 public ghost_blocksPruned;
    /// @dev Open misses (block numbers, ascending): the ones a report may name next.
    mapping(address member => uint256[]) internal _openMisses;
    /// @dev The misses of each actor's last slash, and the first `inactivityLimit` misses a sign-off forgave.
    mapping(address member => uint256[]) internal _lastReport;
    mapping(address member => uint256[]) internal _forgiven;

    /// @dev Successful calls per action and outcome.
    mapping(bytes32 action => uint256) public calls;

    constructor(
        CommitteeRollup committee_,
        Staking staking_,
        RewardPool pool_,
        CommitmentVerifier verifier_,
        CommitmentVerifier chunkVerifier_,
        uint256 genesisTime_
    ) {
        committee = committee_;
        rollup = committee_;
        staking = staking_;
        pool = pool_;
        verifier = verifier_;
        chunkVerifier = chunkVerifier_;
        genesisTime = genesisTime_;
        // The fixture's members: the same names, so the same addresses and keys.
        for (uint256 i; i < MEMBERS; ++i) {
            (address member, uint256 key) = makeAddrAndKey(string.concat("member-", vm.toString(i)));
            require(staking_.stakerInfo(member).activationEpoch != 0, "fixture member not registered");
            keyOf[member] = key;
            _actors.push(member);
        }
        for (uint256 i; i < EXTRA_COUNT; ++i) {
            (address extra, uint256 key) = makeAddrAndKey(string.concat("extra-member-", vm.toString(i)));
            keyOf[extra] = key;
            _actors.push(extra);
            _extras.push(extra);
        }
        for (uint256 i; i < OUTSIDER_COUNT; ++i) {
            (address outsider, uint256 key) = makeAddrAndKey(string.concat("outsider-", vm.toString(i)));
            keyOf[outsider] = key;
            _actors.push(outsider);
        }
        currentTime = block.timestamp;
        initialOwed = pool_.totalOwed();
        startEpoch = Epoch.unwrap(committee_.currentEpoch());
    }

    /// @dev Every action runs at the handler's clock and books the change of totalOwed it caused.
    modifier action(bool crediting) {
        _sync();
        uint256 owedBefore = pool.totalOwed();
        _;
        uint256 owedAfter = pool.totalOwed();
        if (owedAfter < owedBefore || (!crediting && owedAfter != owedBefore)) ghost_unexpectedCredits++;
        if (owedAfter > owedBefore) ghost_rewardsCredited += owedAfter - owedBefore;
    }

    // ------------------------------------------------------------------ views for the invariant suite

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    function extras() external view returns (address[] memory) {
        return _extras;
    }

    /// @notice The signers the handler recorded for block `blockNumber` (empty for a backup block).
    function signersOfBlock(uint256 blockNumber) external view returns (address[] memory) {
        return signersOf[blockNumber];
    }

    /// @notice The chunk count the handler computed for signed block `blockNumber` from its txs.
    function chunksOfBlock(uint256 blockNumber) external view returns (uint256) {
        return chunksOf[blockNumber];
    }

    function openMisses(address member) external view returns (uint256[] memory) {
        return _openMisses[member];
    }

    /// @notice `member`'s duty record in one call: its latest sign-off slot, the slot of its last slashed
    ///         miss, its unforgiven misses and its inactivity slashes.
    function dutyOf(address member)
        external
        view
        returns (uint256 lastSignoffSlot, uint256 lastSlashedMissSlot, uint256 misses, uint256 slashes)
    {
        return (
            ghost_lastSignoffSlot[member],
            ghost_lastSlashedMissSlot[member],
            ghost_missesOf[member],
            ghost_slashesOf[member]
        );
    }

    // ------------------------------------------------------------------ clock

    /// @notice Moves 1 to 3 slots forward (one time in eight, an epoch more) to a random point of the slot.
    function warp(uint256 seed) external action(false) {
        uint256 slots = _bound(seed >> 8, 1, 3);
        if (seed % 8 == 0) slots += EPOCH_DURATION;
        _advanceTo(_slotStart(_currentSlot() + slots) + (seed >> 16) % SLOT_DURATION);
        calls["warp"]++;
    }

    function _sync() internal {
        vm.warp(currentTime);
        vm.prevrandao(keccak256(abi.encode("randao", currentTime)));
    }

    function _advanceTo(uint256 time) internal {
        if (time <= currentTime) return;
        currentTime = time;
        _sync();
    }

    // ------------------------------------------------------------------ proposals

    /// @notice A random eligible proposer proposes in the current slot (the next one once its proposal window
    ///         closed, or when the slot has a block and this call does not replace it) with the sign-offs of
    ///         a random subset of at least the quorum of its committee; skipped when the committee is too
    ///         small. One call in two then proposes again (in the next slot, or replacing this block).
    function propose(uint256 proposerSeed, uint256 subsetSeed, uint256 dataSeed) external action(false) {
        _proposeInSlot(proposerSeed, subsetSeed, dataSeed);
        if (dataSeed % 2 == 1) _proposeInSlot(proposerSeed >> 8, subsetSeed >> 8, dataSeed >> 8);
    }

    function _proposeInSlot(uint256 proposerSeed, uint256 subsetSeed, uint256 dataSeed) internal {
        (uint256 slot, uint256 number, address proposer, bool replace) = _pickProposer(proposerSeed, dataSeed);
        if (proposer == address(0)) {
            calls["proposeNoProposer"]++;
            return;
        }
        address[] memory members = _committeeOf(slot, proposer);
        if (members.length < SIGNOFF_QUORUM) {
            calls["committeeTooSmall"]++;
            return;
        }
        address[] memory signers = _subset(members, subsetSeed);
        bytes memory data = BlockDataBuilder.build(
            _draw(dataSeed, "txs", MAX_TXS + 1), uint256(keccak256(abi.encode("block", slot, dataSeed)))
        );
        IRollup.ProposeArgs memory args = _proposeArgsWithData(number, data);

        bool tryForbidden = _draw(subsetSeed, "forbidden", 8) == 0;
        if (tryForbidden && _tryForbiddenSignoff(proposer, args, signers, dataSeed)) return;
        bytes[] memory signoffs = _signoffs(args, signers);
        vm.recordLogs();
        vm.prank(proposer);
        try committee.proposeWithSignoffs(args, signoffs) {}
        catch {
            ghost_unexpectedReverts++;
            return;
        }
        _processLogs();
        _recordSigned(args, signers);
        if (replace) calls["replace"]++;
        else calls["propose"]++;
    }

    /// @dev The slot to propose in (the current one, or the next one once the current proposal window closed
    ///      or when the slot has a block this call does not replace; the clock moves there), the block number
    ///      and a random eligible proposer (address(0) if none, or if the prune at the start of its call
    ///      would force it out); a replacement needs a proposer outscoring the slot's block.
    function _pickProposer(uint256 proposerSeed, uint256 dataSeed)
        internal
        returns (uint256 slot, uint256 number, address proposer, bool replace)
    {
        slot = _currentSlot();
        bool windowOpen = block.timestamp < _slotStart(slot) + PROPOSAL_WINDOW;
        uint256 tip = _tipAfterPrune();
        bool occupied = rollup.blockLog(tip).slot == slot;
        replace = occupied && windowOpen && _draw(dataSeed, "replace", 2) == 0;
        if (!windowOpen || (occupied && !replace)) {
            ++slot;
            _advanceTo(_slotStart(slot) + dataSeed % PROPOSAL_WINDOW);
            tip = _tipAfterPrune();
        }
        number = replace ? tip : tip + 1;

        (address[] memory ranked, uint256[] memory scores) = _ranking(slot);
        uint256 eligible = ranked.length;
        if (replace) {
            // Only a higher score replaces the slot's block: the ranking is by descending score.
            uint256 floor = rollup.scoreOf(Slot.wrap(slot), rollup.blockLog(tip).proposer);
            eligible = 0;
            while (eligible < ranked.length && scores[eligible] > floor) ++eligible;
        }
        if (eligible == 0) return (slot, number, address(0), replace);
        proposer = ranked[proposerSeed % eligible];
        if (_slashedOutByPrune(proposer)) proposer = address(0);
    }

    /// @dev A random subset of `members` (kept in order) with at least the quorum: each member signs five
    ///      times in eight, a silent one (`_oftenSilent`) only when the first ones left out must fill the
    ///      quorum.
    function _subset(address[] memory members, uint256 seed) internal view returns (address[] memory chosen) {
        uint256 n = members.length;
        bool[] memory picked = new bool[](n);
        uint256 count;
        for (uint256 i; i < n; ++i) {
            if (!_oftenSilent(members[i]) && _draw(seed, bytes32(i), 8) < 5) {
                picked[i] = true;
                ++count;
            }
        }
        for (uint256 i; i < n && count < SIGNOFF_QUORUM; ++i) {
            if (!picked[i]) {
                picked[i] = true;
                ++count;
            }
        }
        chosen = new address[](count);
        uint256 at;
        for (uint256 i; i < n; ++i) {
            if (picked[i]) chosen[at++] = members[i];
        }
    }

    /// @dev Tries `signers` plus one signer the rules forbid (the proposer, a member of the epoch outside the
    ///      slot's committee, or an outsider), inserted in score order; returns whether the rollup accepted
    ///      it (then recorded as it happened, for the invariants to catch).
    function _tryForbiddenSignoff(
        address proposer,
        IRollup.ProposeArgs memory args,
        address[] memory signers,
        uint256 seed
    ) internal returns (bool accepted) {
        Slot slot = args.header.slot;
        address intruder;
        uint256 kind = _draw(seed, "intruder", 3);
        if (kind == 0) {
            intruder = proposer;
        } else if (kind == 1) {
            // A member of the epoch that is not in this slot's committee (if any).
            bool[] memory elected = _electedActors(slot);
            Epoch epoch = rollup.epochAtSlot(slot);
            for (uint256 i; i < _actors.length && intruder == address(0); ++i) {
                uint256 j = (seed % _actors.length + i) % _actors.length;
                if (!elected[j] && _actors[j] != proposer && staking.isMember(_actors[j], epoch)) {
                    intruder = _actors[j];
                }
            }
        }
        if (intruder == address(0)) intruder = _actors[_actors.length - 1 - seed % OUTSIDER_COUNT];

        address[] memory withIntruder = new address[](signers.length + 1);
        uint256 intruderScore = rollup.scoreOf(slot, intruder);
        uint256 at;
        bool inserted;
        for (uint256 i; i < signers.length; ++i) {
            if (!inserted && rollup.scoreOf(slot, signers[i]) > intruderScore) {
                withIntruder[at++] = intruder;
                inserted = true;
            }
            withIntruder[at++] = signers[i];
        }
        if (!inserted) withIntruder[at] = intruder;

        bytes[] memory signoffs = _signoffs(args, withIntruder);
        vm.recordLogs();
        vm.prank(proposer);
        try committee.proposeWithSignoffs(args, signoffs) {}
        catch {
            calls["forbiddenSignoffRefused"]++;
            return false;
        }
        ghost_forbiddenAccepted++;
        _processLogs();
        _recordSigned(args, withIntruder);
        return true;
    }

    /// @dev Records an accepted signed block: its inputs, signers and chunk count, and each signer's sign-off,
    ///      which forgives its open misses.
    function _recordSigned(IRollup.ProposeArgs memory args, address[] memory signers) internal {
        uint256 number = args.header.blockNumber;
        (inputsOf[number],) = rollup.publicInputsOf(args);
        signersOf[number] = signers;
        chunksOf[number] = _chunkCount(args.data);
        uint256 slot = Slot.unwrap(args.header.slot);
        for (uint256 i; i < signers.length; ++i) {
            address signer = signers[i];
            ghost_lastSignoffSlot[signer] = slot;
            uint256[] storage open = _openMisses[signer];
            if (open.length >= INACTIVITY_LIMIT) {
                delete _forgiven[signer];
                for (uint256 j; j < INACTIVITY_LIMIT; ++j) {
                    _forgiven[signer].push(open[j]);
                }
            }
            ghost_missesOf[signer] -= open.length;
            delete _openMisses[signer];
        }
    }

    /// @notice Anyone proposes a block with its proof in the backup window of an empty slot (the current one,
    ///         or the next one if the current slot has a block), naming itself as payee.
    function backupPropose(uint256 submitterSeed, uint256 dataSeed) external action(false) {
        uint256 slot = _currentSlot();
        if (rollup.blockLog(_tipAfterPrune()).slot >= slot) ++slot;
        _advanceTo(_slotStart(slot) + PROPOSAL_WINDOW + dataSeed % BACKUP_WINDOW);
        uint256 number = _tipAfterPrune() + 1;
        IRollup.ProposeArgs memory args = _proposeArgsAt(number, abi.encode("backup", slot, dataSeed));
        address submitter = _actors[submitterSeed % _actors.length];
        bytes memory proof = _backupProof(args, submitter);
        vm.recordLogs();
        vm.prank(submitter);
        try rollup.proposeWithProof(args, proof) {}
        catch {
            ghost_unexpectedReverts++;
            return;
        }
        _processLogs();
        (inputsOf[number],) = rollup.publicInputsOf(args);
        delete signersOf[number];
        calls["backup"]++;
    }

    // ------------------------------------------------------------------ proofs

    /// @notice Anyone proves the oldest unproven epoch's remaining blocks, or a prefix, each signed block in
    ///         its chunk count and each backup block in 1 to 4 chunks, paying its assigned signers; one time in three from the takeover slot, where some
    ///         chunks pay other signers. Waits for the epoch to end (and for the takeover slot) first.
    function prove(uint256 submitterSeed, uint256 countSeed, uint256 chunkSeed, uint256 takeoverSeed)
        external
        action(true)
    {
        if (rollup.canPrune()) return;
        uint256 first = rollup.provenTip() + 1;
        if (first > rollup.pendingTip()) return;
        uint256 epoch = _epochOfBlock(first);
        (bool open, bool reassign) = _enterProofWindow(epoch, takeoverSeed);
        if (!open) return;
        _submitProof(epoch, first, countSeed, _actors[submitterSeed % _actors.length], chunkSeed, reassign);
    }

    /// @dev Moves to the proof window of `epoch` (its first slot, or one time in three its takeover slot, at
    ///      a random second); returns whether the window is open and whether the chunks may pay any signer.
    function _enterProofWindow(uint256 epoch, uint256 seed) internal returns (bool open, bool reassign) {
        uint256 nextEpochSlot = (epoch + 1) * EPOCH_DURATION;
        bool takeover = _draw(seed, "takeover", 3) == 0;
        uint256 targetSlot = takeover ? nextEpochSlot + TAKEOVER_SLOTS : nextEpochSlot;
        if (_currentSlot() < targetSlot) _advanceTo(_slotStart(targetSlot) + seed % SLOT_DURATION);
        open = _currentSlot() <= Slot.unwrap(rollup.proofDeadline(Epoch.wrap(epoch)));
        reassign = takeover && _currentSlot() >= nextEpochSlot + TAKEOVER_SLOTS;
    }

    /// @dev Submits the proof of the oldest epoch's remaining blocks from `first` (two times in three), or a
    ///      random prefix of them, as `submitter`, then checks every credit against the rules and records the
    ///      proven blocks' misses.
    function _submitProof(
        uint256 epoch,
        uint256 first,
        uint256 countSeed,
        address submitter,
        uint256 chunkSeed,
        bool reassign
    ) internal {
        IRollup.EpochLog memory log = rollup.epochLog(Epoch.wrap(epoch));
        uint256 remaining = uint256(log.firstBlock) + log.blockCount - first;
        uint256 count = _draw(countSeed, "complete", 3) != 0 ? remaining : 1 + (countSeed >> 8) % remaining;
        bool complete = count == remaining;
        if (_draw(chunkSeed, "pad", 8) == 0 && _tryPaddedProof(epoch, first, count, submitter, chunkSeed)) {
            return;
        }
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) =
            _buildProof(first, count, chunkSeed, reassign, submitter);
        if (_submitChecked(epoch, first, count, complete, submitter, inputs, proof)) {
            if (complete) calls["fullProof"]++;
            else calls["partialProof"]++;
            if (reassign) calls["takeoverProof"]++;
        }
    }

    /// @dev Submits `proof` and checks the credits, the proven range and the completion; returns whether the
    ///      rollup accepted it.
    function _submitChecked(
        uint256 epoch,
        uint256 first,
        uint256 count,
        bool complete,
        address submitter,
        uint256[] memory inputs,
        ICommitteeRollup.CommitteeProof memory proof
    ) internal returns (bool) {
        uint256[] memory expected = _expectedCredits(first, proof, submitter, complete);
        uint256[] memory owedBefore = _owedOfActors();
        uint256 provenBefore = ghost_blocksProven;
        uint256 completedBefore = ghost_epochsCompleted;
        vm.recordLogs();
        vm.prank(submitter);
        try committee.submitCommitteeEpochProof(Epoch.wrap(epoch), inputs, proof) {}
        catch {
            ghost_unexpectedReverts++;
            return false;
        }
        _processLogs();
        if (
            ghost_blocksProven - provenBefore != count || rollup.provenTip() != first + count - 1
                || ghost_epochsCompleted - completedBefore != (complete ? 1 : 0)
        ) ghost_wrongProvenRange++;
        uint256[] memory owedAfter = _owedOfActors();
        for (uint256 i; i < _actors.length; ++i) {
            if (owedAfter[i] - owedBefore[i] != expected[i]) ghost_proofMiscredited++;
        }
        for (uint256 n = first; n < first + count; ++n) {
            _recordMisses(n);
        }
        return true;
    }

    /// @dev Tries the proof of blocks `first..first + count - 1` with the first signed block padded by one more
    ///      chunk (paying its signer `count mod k`); returns whether the rollup accepted it (a forbidden action).
    function _tryPaddedProof(uint256 epoch, uint256 first, uint256 count, address submitter, uint256 seed)
        internal
        returns (bool accepted)
    {
        uint256 padded = type(uint256).max;
        for (uint256 b; b < count && padded == type(uint256).max; ++b) {
            if (signersOf[first + b].length != 0) padded = b;
        }
        if (padded == type(uint256).max) return false;
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) =
            _buildProofWithCounts(first, _chunkCounts(first, count, seed, padded), seed, false, submitter);
        vm.recordLogs();
        vm.prank(submitter);
        try committee.submitCommitteeEpochProof(Epoch.wrap(epoch), inputs, proof) {}
        catch {
            calls["paddedProofRefused"]++;
            return false;
        }
        ghost_forbiddenAccepted++;
        _processLogs();
        return true;
    }

    /// @dev The committee proof of blocks `first..first + count - 1`: each signed block in its chunk count and
    ///      each backup block in 1 to MAX_CHUNKS, chunk j of k signers paying signer j mod k, or (`reassign`)
    ///      one time in two a random signer.
    function _buildProof(uint256 first, uint256 count, uint256 seed, bool reassign, address submitter)
        internal
        view
        returns (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof)
    {
        return _buildProofWithCounts(
            first, _chunkCounts(first, count, seed, type(uint256).max), seed, reassign, submitter
        );
    }

    /// @dev The chunk counts of blocks `first..first + count - 1`: each signed block's own (block `first + padded`
    ///      one more), each backup block's 1 to MAX_CHUNKS.
    function _chunkCounts(uint256 first, uint256 count, uint256 seed, uint256 padded)
        internal
        view
        returns (uint256[] memory counts)
    {
        counts = new uint256[](count);
        for (uint256 b; b < count; ++b) {
            counts[b] = signersOf[first + b].length == 0
                ? 1 + _draw(seed, bytes32(b), MAX_CHUNKS)
                : chunksOf[first + b] + (b == padded ? 1 : 0);
        }
    }

    /// @dev The committed words of blocks `first..first + count - 1`, as the handler recorded them.
    function _committedInputs(uint256 first, uint256 count) internal view returns (uint256[] memory inputs) {
        inputs = new uint256[](count * Constants.COMMITTED_INPUTS_PER_BLOCK);
        for (uint256 b; b < count; ++b) {
            uint256[] storage row = inputsOf[first + b];
            for (uint256 w; w < Constants.COMMITTED_INPUTS_PER_BLOCK; ++w) {
                inputs[b * Constants.COMMITTED_INPUTS_PER_BLOCK + w] = row[w];
            }
        }
    }

    /// @dev `_buildProof` with block `first + b` in `counts[b]` chunks.
    function _buildProofWithCounts(
        uint256 first,
        uint256[] memory counts,
        uint256 seed,
        bool reassign,
        address submitter
    ) internal view returns (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) {
        inputs = _committedInputs(first, counts.length);
        proof.split.chunkCounts = counts;
        proof.signerCounts = new uint256[](counts.length);
        uint256 chunks;
        uint256 signerTotal;
        for (uint256 b; b < counts.length; ++b) {
            proof.signerCounts[b] = signersOf[first + b].length;
            chunks += counts[b];
            signerTotal += proof.signerCounts[b];
        }
        proof.split.intermediateRoots = new uint256[](chunks - counts.length);
        proof.signers = new address[](signerTotal);
        proof.provers = new uint256[](chunks);
        uint256 signerAt;
        uint256 chunkAt;
        for (uint256 b; b < counts.length; ++b) {
            address[] storage signers = signersOf[first + b];
            uint256 k = signers.length;
            for (uint256 i; i < k; ++i) {
                proof.signers[signerAt++] = signers[i];
            }
            for (uint256 j; j < proof.split.chunkCounts[b]; ++j) {
                uint256 draw = uint256(keccak256(abi.encode(seed, "prover", b, j)));
                if (k == 0) proof.provers[chunkAt] = 0;
                else if (reassign && draw % 2 == 0) proof.provers[chunkAt] = (draw >> 1) % k;
                else proof.provers[chunkAt] = j % k;
                ++chunkAt;
            }
        }
        proof.proofs = _chunkProofs(first, proof, submitter);
    }

    /// @dev What the proof pays each actor, from the rules: per block the proposer its base plus a bonus per
    ///      signer (at most the committee size) and the rounding dust, each chunk's payee (its signer, the
    ///      sender for a backup block) an equal part of the rest; the sender the submission reward on
    ///      completion.
    function _expectedCredits(
        uint256 first,
        ICommitteeRollup.CommitteeProof memory proof,
        address submitter,
        bool complete
    ) internal returns (uint256[] memory expected) {
        expected = new uint256[](_actors.length);
        // The cursors into the proof's signers and chunks.
        uint256[2] memory at;
        for (uint256 b; b < proof.split.chunkCounts.length; ++b) {
            _expectBlock(expected, proof, b, rollup.blockLog(first + b).proposer, submitter, at);
        }
        if (complete) _credit(expected, submitter, PROOF_SUBMISSION_REWARD);
    }

    /// @dev Adds block `b` of `proof`'s credits to `expected` and moves the cursors `at` past its signers and
    ///      chunks.
    function _expectBlock(
        uint256[] memory expected,
        ICommitteeRollup.CommitteeProof memory proof,
        uint256 b,
        address proposer,
        address submitter,
        uint256[2] memory at
    ) internal {
        uint256 k = proof.signerCounts[b];
        uint256 chunks = proof.split.chunkCounts[b];
        uint256 bps = SEQUENCER_BASE_BPS + SEQUENCER_BONUS_BPS * (k < COMMITTEE_SIZE ? k : COMMITTEE_SIZE);
        uint256 chunkReward = (BLOCK_REWARD - BLOCK_REWARD * bps / 10_000) / chunks;
        _credit(expected, proposer, BLOCK_REWARD - chunkReward * chunks);
        for (uint256 j; j < chunks; ++j) {
            _credit(
                expected, k == 0 ? submitter : proof.signers[at[0] + proof.provers[at[1] + j]], chunkReward
            );
        }
        at[0] += k;
        at[1] += chunks;
    }

    function _credit(uint256[] memory expected, address account, uint256 amount) internal {
        for (uint256 i; i < _actors.length; ++i) {
            if (_actors[i] == account) {
                expected[i] += amount;
                return;
            }
        }
        // An account outside the actors: the handler cannot check its credit.
        ghost_proofMiscredited++;
    }

    function _owedOfActors() internal view returns (uint256[] memory owed) {
        owed = new uint256[](_actors.length);
        for (uint256 i; i < _actors.length; ++i) {
            owed[i] = pool.owed(_actors[i]);
        }
    }

    /// @dev Records the misses of newly proven block `blockNumber`: every actor elected in its slot (computed
    ///      here from the scores and the staking set, not from the rollup's membership view) that neither
    ///      proposed nor signed it, if the block is after its settled slot; none for a backup block.
    function _recordMisses(uint256 blockNumber) internal {
        IRollup.BlockLog memory log = rollup.blockLog(blockNumber);
        if (log.backup) return;
        address[] memory signers = signersOf[blockNumber];
        bool[] memory elected = _electedActors(Slot.wrap(log.slot));
        for (uint256 i; i < _actors.length; ++i) {
            address a = _actors[i];
            if (!elected[i] || a == log.proposer || _contains(signers, a) || log.slot <= _settledSlot(a)) {
                continue;
            }
            _openMisses[a].push(blockNumber);
            ghost_missesOf[a]++;
        }
    }

    /// @dev Which actors are in `slot`'s committee, from the rules: members of the slot's epoch (Staking)
    ///      whose score is below 2^256 / setSize * committeeSize, the set counted by scanning Staking's
    ///      members (not the rollup's membership view nor its recorded set size).
    function _electedActors(Slot slot) internal view returns (bool[] memory elected) {
        Epoch epoch = rollup.epochAtSlot(slot);
        (address[] memory all,) = staking.membersAt(epoch, 0, type(uint256).max);
        uint256 threshold = all.length <= COMMITTEE_SIZE
            ? type(uint256).max
            : type(uint256).max / all.length * COMMITTEE_SIZE;
        elected = new bool[](_actors.length);
        for (uint256 i; i < _actors.length; ++i) {
            elected[i] = staking.isMember(_actors[i], epoch) && rollup.scoreOf(slot, _actors[i]) < threshold;
        }
    }

    function _settledSlot(address who) internal view returns (uint256) {
        uint256 signed = ghost_lastSignoffSlot[who];
        uint256 slashed = ghost_lastSlashedMissSlot[who];
        return signed > slashed ? signed : slashed;
    }

    // ------------------------------------------------------------------ prunes and slashes

    /// @notice Anyone prunes once the oldest unproven epoch missed its proof window.
    function prune() external action(false) {
        if (!rollup.canPrune()) return;
        vm.recordLogs();
        try rollup.prune() {}
        catch {
            ghost_unexpectedReverts++;
            return;
        }
        _processLogs();
    }

    /// @notice Anyone reports a member whose ghost record holds `inactivityLimit` open misses (the first
    ///         ones); one time in four it first tries a report the rules forbid (see `_tryBogusSlash`).
    function slashInactive(uint256 memberSeed, uint256 reporterSeed, uint256 bogusSeed)
        external
        action(false)
    {
        address reporter = _actors[reporterSeed % _actors.length];
        if (_draw(bogusSeed, "bogus", 4) == 0) _tryBogusSlash(memberSeed, reporter, bogusSeed);

        address member;
        for (uint256 i; i < _actors.length && member == address(0); ++i) {
            address a = _actors[(memberSeed % _actors.length + i) % _actors.length];
            if (_openMisses[a].length >= INACTIVITY_LIMIT) member = a;
        }
        if (member == address(0)) return;
        uint256[] storage open = _openMisses[member];
        uint256[] memory blockNumbers = new uint256[](INACTIVITY_LIMIT);
        for (uint256 i; i < INACTIVITY_LIMIT; ++i) {
            blockNumbers[i] = open[i];
        }
        vm.recordLogs();
        vm.prank(reporter);
        try committee.slashInactive(member, blockNumbers) {}
        catch {
            ghost_unexpectedReverts++;
            return;
        }
        _processLogs();
        // The reported misses are consumed; the later ones stay open.
        uint256 left = open.length - INACTIVITY_LIMIT;
        for (uint256 i; i < left; ++i) {
            open[i] = open[i + INACTIVITY_LIMIT];
        }
        for (uint256 i; i < INACTIVITY_LIMIT; ++i) {
            open.pop();
        }
        _lastReport[member] = blockNumbers;
        ghost_lastSlashedMissSlot[member] = rollup.blockLog(blockNumbers[INACTIVITY_LIMIT - 1]).slot;
        calls["slash"]++;
    }

    /// @dev Reports blocks that are not `inactivityLimit` misses of the first actor from `seed` that has such
    ///      a list: its last slashed misses, misses a later sign-off forgave, or (the default) its first
    ///      `inactivityLimit` proven blocks after its settled slot when one of them is no miss (a backup
    ///      block, its own block, a block it signed or was not elected in). The rollup must refuse.
    function _tryBogusSlash(uint256 seed, address reporter, uint256 kindSeed) internal {
        uint256 kind = _draw(kindSeed, "bogus kind", 3);
        for (uint256 i; i < _actors.length; ++i) {
            address a = _actors[(seed % _actors.length + i) % _actors.length];
            uint256[] memory blockNumbers =
                kind == 0 ? _lastReport[a] : kind == 1 ? _forgiven[a] : new uint256[](0);
            if (blockNumbers.length == 0) blockNumbers = _notAllMisses(a);
            if (blockNumbers.length == 0) continue;
            vm.recordLogs();
            vm.prank(reporter);
            try committee.slashInactive(a, blockNumbers) {}
            catch {
                calls["bogusSlashRefused"]++;
                return;
            }
            ghost_forbiddenAccepted++;
            _processLogs();
            return;
        }
    }

    /// @dev The first `inactivityLimit` proven blocks after `who`'s settled slot (ghost) if one of them is
    ///      not among its open misses; else none.
    function _notAllMisses(address who) internal view returns (uint256[] memory blockNumbers) {
        uint256 settled = _settledSlot(who);
        uint256 proven = rollup.provenTip();
        uint256[] memory picked = new uint256[](INACTIVITY_LIMIT);
        uint256 count;
        bool bogus;
        for (uint256 n = 1; n <= proven && count < INACTIVITY_LIMIT; ++n) {
            if (rollup.blockLog(n).slot <= settled) continue;
            picked[count] = n;
            if (!_isOpenMiss(who, n)) bogus = true;
            ++count;
        }
        if (count == INACTIVITY_LIMIT && bogus) blockNumbers = picked;
    }

    function _isOpenMiss(address who, uint256 blockNumber) internal view returns (bool) {
        uint256[] storage open = _openMisses[who];
        for (uint256 i; i < open.length; ++i) {
            if (open[i] == blockNumber) return true;
        }
        return false;
    }

    // ------------------------------------------------------------------ staking

    /// @notice One of the extra actors registers (once) with 1 to 3 times the minimum stake.
    function register(uint256 extraSeed, uint256 amountSeed) external action(false) {
        address who = _extras[extraSeed % _extras.length];
        if (staking.stakerInfo(who).activationEpoch != 0) return;
        vm.prank(who);
        try staking.register(_bound(amountSeed, MINIMUM_STAKE, 3 * MINIMUM_STAKE)) {}
        catch {
            ghost_unexpectedReverts++;
            return;
        }
        calls["register"]++;
    }

    // ------------------------------------------------------------------ internals

    /// @dev Whether `who` is one of the actors that sign off only to fill a quorum (every fourth: two fixture
    ///      members and the first extra member), so that misses pile up and inactivity slashes happen in a
    ///      run.
    function _oftenSilent(address who) internal view returns (bool) {
        for (uint256 i; i < _actors.length; i += 4) {
            if (_actors[i] == who) return true;
        }
        return false;
    }

    /// @dev The tip a write path builds on: the proven tip if it is about to prune.
    function _tipAfterPrune() internal view returns (uint256) {
        return rollup.canPrune() ? rollup.provenTip() : rollup.pendingTip();
    }

    /// @dev Whether the prune at the start of `who`'s proposal would slash it below the minimum stake,
    ///      forcing it out of the proposers within the same call (the proposal then reverts, prune included).
    function _slashedOutByPrune(address who) internal view returns (bool) {
        if (!rollup.canPrune()) return false;
        IRollup.BlockLog memory firstLost = rollup.blockLog(rollup.provenTip() + 1);
        if (firstLost.proposer != who || firstLost.backup) return false;
        return staking.stakerInfo(who).stake < MINIMUM_STAKE + UNPROVEN_BLOCK_PENALTY;
    }

    /// @dev A uniform draw in [0, outcomes) from `seed` and `purpose` (hashed, so the fuzzer's favourite
    ///      values do not always take the same branch).
    function _draw(uint256 seed, bytes32 purpose, uint256 outcomes) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, purpose))) % outcomes;
    }

    /// @dev Decodes the last call's events into the ghosts: proven ranges and completed epochs, prunes, the
    ///      inactivity slashes and the prune penalties.
    function _processLogs() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            bytes32 topic = log.topics[0];
            if (log.emitter == address(rollup)) {
                if (topic == IRollup.EpochProven.selector) {
                    Epoch epoch = Epoch.wrap(uint256(log.topics[1]));
                    (uint256 fromBlock, uint256 toBlock) = abi.decode(log.data, (uint256, uint256));
                    ghost_blocksProven += toBlock - fromBlock + 1;
                    IRollup.EpochLog memory epochLog = rollup.epochLog(epoch);
                    if (toBlock == uint256(epochLog.firstBlock) + epochLog.blockCount - 1) {
                        ghost_epochsCompleted++;
                    }
                } else if (topic == IRollup.BlocksPruned.selector) {
                    (uint256 fromBlock, uint256 toBlock) = abi.decode(log.data, (uint256, uint256));
                    ghost_blocksPruned += toBlock - fromBlock + 1;
                    calls["prune"]++;
                } else if (topic == ICommitteeRollup.CommitteeMemberSlashed.selector) {
                    ghost_slashesOf[address(uint160(uint256(log.topics[1])))]++;
                    ghost_inactivitySlashes++;
                }
            } else if (log.emitter == address(staking) && topic == IStaking.Slashed.selector) {
                ghost_stakeSlashes++;
            }
        }
    }
}
