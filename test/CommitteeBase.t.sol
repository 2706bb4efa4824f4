// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommitteeRollup} from "../contracts/core/CommitteeRollup.sol";
import {Staking} from "../contracts/core/Staking.sol";
import {ICommitteeRollup} from "../contracts/interfaces/ICommitteeRollup.sol";
import {IRollup} from "../contracts/interfaces/IRollup.sol";
import {Constants} from "../contracts/libraries/Constants.sol";
import {Epoch, Slot} from "../contracts/libraries/TimeLib.sol";
import {Base} from "./Base.t.sol";
import {BlockDataBuilder} from "./helpers/BlockDataBuilder.sol";

/// @notice Shared fixture of the committee mode: deploys the suite with a CommitteeRollup, registers members
///         with signing keys, computes committees off chain (as the Rust side does), signs off proposals and
///         builds committee epoch proofs from CommitmentVerifier chunk proofs.
abstract contract CommitteeBase is Base {
    uint256 internal constant MEMBERS = 8;
    uint256 internal constant COMMITTEE_SIZE = 4;
    uint256 internal constant SIGNOFF_QUORUM = 2;
    uint256 internal constant CHUNK_TXS = 2;
    uint256 internal constant SEQUENCER_BASE_BPS = 4000;
    uint256 internal constant SEQUENCER_BONUS_BPS = 1000;
    uint256 internal constant TAKEOVER_SLOTS = 2;
    uint256 internal constant INACTIVITY_LIMIT = 3;
    uint256 internal constant INACTIVITY_PENALTY = 7 ether;
    uint256 internal constant LAST_FLAG = 1 << 8;

    CommitteeRollup internal committee;
    mapping(address member => uint256 key) internal keyOf;
    /// @dev The signers of every block proposed through `_proposeSigned`, by block number.
    mapping(uint256 blockNumber => address[]) internal signersOf;
    /// @dev The chunk count of every block proposed through `_proposeSigned` (or set by a test for a backup
    ///      block), by block number.
    mapping(uint256 blockNumber => uint256) internal chunksOf;
    /// @dev The txs of each block `_proposeTopSignedWithout` proposes.
    uint256 internal txsPerBlock = 1;

    function _deploySuite() internal virtual override {
        _deployCommitteeSuiteWith(_stakingConfig(), _rollupConfig(), _committeeConfig());
    }

    /// @dev Deploys a fresh suite around a CommitteeRollup with the given parameters; the pool is empty.
    function _deployCommitteeSuiteWith(
        Staking.Config memory stakingConfig,
        IRollup.Config memory rollupConfig,
        ICommitteeRollup.CommitteeConfig memory committeeConfig
    ) internal {
        address predictedRollup = _deploySatellites(stakingConfig);
        committee = new CommitteeRollup(
            staking, escrow, pool, verifier, chunkVerifier, rollupConfig, inbox, committeeConfig
        );
        rollup = committee;
        assertEq(address(committee), predictedRollup, "rollup address prediction");
    }

    function _committeeConfig() internal pure returns (ICommitteeRollup.CommitteeConfig memory) {
        return ICommitteeRollup.CommitteeConfig({
            committeeSize: COMMITTEE_SIZE,
            signoffQuorum: SIGNOFF_QUORUM,
            chunkTxs: CHUNK_TXS,
            sequencerBaseBps: SEQUENCER_BASE_BPS,
            sequencerBonusBps: SEQUENCER_BONUS_BPS,
            takeoverSlots: TAKEOVER_SLOTS,
            inactivityLimit: INACTIVITY_LIMIT,
            inactivityPenalty: INACTIVITY_PENALTY
        });
    }

    /// @dev Registers `n` members (with their signing keys) and warps to the first slot all are members in.
    function _registerMembers(uint256 n) internal {
        for (uint256 i; i < n; ++i) {
            string memory name = string.concat("member-", vm.toString(i));
            (address member, uint256 key) = makeAddrAndKey(name);
            _registerSequencer(name);
            keyOf[member] = key;
        }
        _warpToEpoch(staking.stakerInfo(sequencers[n - 1]).activationEpoch);
    }

    // ------------------------------------------------------------------ committees and sign-offs

    /// @dev `slot`'s committee without `proposer`, by ascending score: the members of the slot's epoch scoring
    ///      below the threshold (a scan, as off chain).
    function _committeeOf(uint256 slot, address proposer) internal view returns (address[] memory members) {
        Epoch epoch = rollup.epochAtSlot(Slot.wrap(slot));
        (address[] memory all,) = staking.membersAt(epoch, 0, type(uint256).max);
        uint256 threshold = committee.committeeThreshold(epoch);
        members = new address[](all.length);
        uint256[] memory scores = new uint256[](all.length);
        uint256 count;
        for (uint256 i; i < all.length; ++i) {
            uint256 score = rollup.scoreOf(Slot.wrap(slot), all[i]);
            if (score >= threshold || all[i] == proposer) continue;
            // Insertion by ascending score.
            uint256 j = count++;
            while (j > 0 && scores[j - 1] > score) {
                (members[j], scores[j]) = (members[j - 1], scores[j - 1]);
                --j;
            }
            (members[j], scores[j]) = (all[i], score);
        }
        assembly ("memory-safe") {
            mstore(members, count)
        }
    }

    /// @dev `members` without `left`.
    function _without(address[] memory members, address left) internal pure returns (address[] memory rest) {
        rest = new address[](members.length);
        uint256 count;
        for (uint256 i; i < members.length; ++i) {
            if (members[i] != left) rest[count++] = members[i];
        }
        assembly ("memory-safe") {
            mstore(rest, count)
        }
    }

    /// @dev Whether `member` is in `members`.
    function _contains(address[] memory members, address member) internal pure returns (bool) {
        for (uint256 i; i < members.length; ++i) {
            if (members[i] == member) return true;
        }
        return false;
    }

    /// @dev The signature of `signer` (a registered member's key) over a sign-off.
    function _signoff(address signer, uint256 blockNumber, uint256 slot, bytes32 commitment)
        internal
        view
        returns (bytes memory)
    {
        bytes32 digest = committee.signoffDigest(blockNumber, Slot.wrap(slot), commitment);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(keyOf[signer], digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev The sign-offs of `signers` on `args`, in their order.
    function _signoffs(IRollup.ProposeArgs memory args, address[] memory signers)
        internal
        view
        returns (bytes[] memory signoffs)
    {
        (, bytes32 commitment) = rollup.publicInputsOf(args);
        signoffs = new bytes[](signers.length);
        for (uint256 i; i < signers.length; ++i) {
            signoffs[i] =
                _signoff(signers[i], args.header.blockNumber, Slot.unwrap(args.header.slot), commitment);
        }
    }

    /// @dev Proposes `args` as `proposer` with the sign-offs of `signers`; records its inputs, signers and chunk
    ///      count.
    function _proposeSigned(address proposer, IRollup.ProposeArgs memory args, address[] memory signers)
        internal
    {
        bytes[] memory signoffs = _signoffs(args, signers);
        vm.prank(proposer);
        committee.proposeWithSignoffs(args, signoffs);
        (uint256[] memory inputs,) = rollup.publicInputsOf(args);
        inputsOf[args.header.blockNumber] = inputs;
        signersOf[args.header.blockNumber] = signers;
        chunksOf[args.header.blockNumber] = _chunkCount(args.data);
    }

    /// @dev The chunks a block of `data` is proven in: `max(1, ceil(txCount / CHUNK_TXS))`.
    function _chunkCount(bytes memory data) internal pure returns (uint256) {
        uint256 txCount = (data.length - Constants.DATA_HEADER_BYTES) / Constants.TX_EFFECT_BYTES;
        return txCount == 0 ? 1 : (txCount + CHUNK_TXS - 1) / CHUNK_TXS;
    }

    /// @dev The sign-off hash the rollup records for `signers` and `chunkCount`.
    function _signersHash(address[] memory signers, uint256 chunkCount) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(signers, chunkCount));
    }

    /// @dev The top proposer proposes in the current slot with its whole committee's sign-offs but `silent`'s
    ///      (address(0): everyone signs); returns false, proposing nothing, when fewer than the quorum remain.
    function _proposeTopSignedWithout(address silent) internal returns (bool proposed) {
        uint256 slot = _currentSlot();
        address proposer = _topProposer(slot);
        address[] memory signers = _without(_committeeOf(slot, proposer), silent);
        if (signers.length < SIGNOFF_QUORUM) return false;
        bytes memory data = BlockDataBuilder.build(
            txsPerBlock, uint256(keccak256(abi.encodePacked("tx-data-", vm.toString(slot))))
        );
        _proposeSigned(proposer, _proposeArgsWithData(rollup.pendingTip() + 1, data), signers);
        return true;
    }

    /// @dev `_proposeTopSignedWithout(address(0))` in each slot of the current epoch from the current slot;
    ///      returns how many blocks were proposed.
    function _fillEpochSigned() internal returns (uint256 blocks) {
        return _fillEpochSignedWithout(address(0));
    }

    /// @dev `_proposeTopSignedWithout(silent)` in each slot of the current epoch from the current slot.
    function _fillEpochSignedWithout(address silent) internal returns (uint256 blocks) {
        uint256 slot = _currentSlot();
        uint256 end = (slot / EPOCH_DURATION + 1) * EPOCH_DURATION;
        for (; slot < end; ++slot) {
            _warpToSlot(slot);
            if (_proposeTopSignedWithout(silent)) ++blocks;
        }
    }

    // ------------------------------------------------------------------ committee proofs

    /// @dev A stand-in intermediate root: after chunk `j` of block `blockNumber`.
    function _root(uint256 blockNumber, uint256 j) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode("root", blockNumber, j))) % Constants.FIELD_MODULUS;
    }

    /// @dev The committee proof of blocks `from..to`, each in its recorded chunk count (`chunksOf`), every chunk
    ///      proven by its assigned signer (a backup block's by `submitter`).
    function _committeeProof(uint256 from, uint256 to, address submitter)
        internal
        view
        returns (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof)
    {
        uint256[] memory counts = new uint256[](to - from + 1);
        for (uint256 b; b < counts.length; ++b) {
            counts[b] = chunksOf[from + b];
        }
        return _committeeProofWithCounts(from, to, counts, submitter);
    }

    /// @dev The committee proof of blocks `from..to`, block `from + b` in `counts[b]` chunks, every chunk proven
    ///      by its assigned signer (a backup block's by `submitter`).
    function _committeeProofWithCounts(uint256 from, uint256 to, uint256[] memory counts, address submitter)
        internal
        view
        returns (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof)
    {
        (inputs,) = _epochProof(from, to, submitter);
        uint256 blocks = to - from + 1;
        proof.split.chunkCounts = counts;
        proof.signerCounts = new uint256[](blocks);
        uint256 signerTotal;
        uint256 chunkTotal;
        for (uint256 b; b < blocks; ++b) {
            proof.signerCounts[b] = signersOf[from + b].length;
            signerTotal += proof.signerCounts[b];
            chunkTotal += counts[b];
        }
        proof.split.intermediateRoots = new uint256[](chunkTotal - blocks);
        proof.provers = new uint256[](chunkTotal);
        proof.signers = new address[](signerTotal);
        uint256 at;
        uint256 chunkAt;
        for (uint256 b; b < blocks; ++b) {
            address[] storage signers = signersOf[from + b];
            for (uint256 i; i < signers.length; ++i) {
                proof.signers[at++] = signers[i];
            }
            for (uint256 j; j < counts[b]; ++j) {
                proof.provers[chunkAt++] = signers.length == 0 ? 0 : j % signers.length;
            }
        }
        proof.proofs = _chunkProofs(from, proof, submitter);
    }

    /// @dev The chunk proofs of `proof`'s blocks (from `from`) for its roots and prover indices, each made for
    ///      its payee: the indexed signer, or `submitter` for a block without signers.
    function _chunkProofs(uint256 from, ICommitteeRollup.CommitteeProof memory proof, address submitter)
        internal
        view
        returns (bytes memory proofs)
    {
        uint256 chunkAt;
        uint256 rootAt;
        for (uint256 b; b < proof.split.chunkCounts.length; ++b) {
            uint256 n = from + b;
            uint256 count = proof.split.chunkCounts[b];
            address[] storage signers = signersOf[n];
            uint256 fromRoot = inputsOf[n][0];
            for (uint256 j; j < count; ++j) {
                bool last = j == count - 1;
                uint256 toRoot = last ? inputsOf[n][1] : _root(n, j);
                if (!last) proof.split.intermediateRoots[rootAt++] = toRoot;
                address payee = signers.length == 0 ? submitter : signers[proof.provers[chunkAt]];
                proofs = bytes.concat(
                    proofs, chunkVerifier.proofFor(_chunkRow(n, fromRoot, toRoot, payee, j, last))
                );
                fromRoot = toRoot;
                ++chunkAt;
            }
        }
    }

    /// @dev The verifier row of chunk `j` of block `n`.
    function _chunkRow(uint256 n, uint256 fromRoot, uint256 toRoot, address payee, uint256 j, bool last)
        internal
        view
        returns (uint256[] memory row)
    {
        row = new uint256[](8);
        row[0] = fromRoot;
        row[1] = toRoot;
        for (uint256 w = 2; w < 6; ++w) {
            row[w] = inputsOf[n][w];
        }
        row[6] = uint256(uint160(payee));
        row[7] = j | (last ? LAST_FLAG : 0);
    }

    /// @dev Submits `proof` of `epoch` as `submitter`.
    function _submitCommittee(
        address submitter,
        uint256 epoch,
        uint256[] memory inputs,
        ICommitteeRollup.CommitteeProof memory proof
    ) internal {
        vm.prank(submitter);
        committee.submitCommitteeEpochProof(Epoch.wrap(epoch), inputs, proof);
    }

    /// @dev Proves the oldest unproven epoch's remaining blocks, each in its chunk count, as `submitter`.
    function _proveOldestCommittee(address submitter) internal returns (uint256 epoch) {
        uint256 first = rollup.provenTip() + 1;
        epoch = _epochOfBlock(first);
        IRollup.EpochLog memory log = rollup.epochLog(Epoch.wrap(epoch));
        (uint256[] memory inputs, ICommitteeRollup.CommitteeProof memory proof) =
            _committeeProof(first, log.firstBlock + log.blockCount - 1, submitter);
        _submitCommittee(submitter, epoch, inputs, proof);
    }
}
