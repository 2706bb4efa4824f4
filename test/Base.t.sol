// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FeeInbox} from "../contracts/core/FeeInbox.sol";
import {ProverEscrow} from "../contracts/core/ProverEscrow.sol";
import {RewardPool} from "../contracts/core/RewardPool.sol";
import {Rollup} from "../contracts/core/Rollup.sol";
import {Staking} from "../contracts/core/Staking.sol";
import {IRollup} from "../contracts/interfaces/IRollup.sol";
import {Constants} from "../contracts/libraries/Constants.sol";
import {EpochProofQuote, SignedEpochProofQuote} from "../contracts/libraries/QuoteLib.sol";
import {Epoch, Slot} from "../contracts/libraries/TimeLib.sol";
import {DevnetToken} from "../contracts/token/DevnetToken.sol";
import {BlockDataBuilder} from "./helpers/BlockDataBuilder.sol";
import {CommitmentVerifier} from "./helpers/CommitmentVerifier.sol";
import {Ranking} from "./helpers/Ranking.sol";
import {Test} from "forge-std/Test.sol";

/// @notice Shared fixture: deploys the suite with small test parameters and offers helpers to register
///         sequencers, move the clock, build proposals, sign quotes and prove epochs.
abstract contract Base is Test {
    // Clock and staking.
    uint256 internal constant SLOT_DURATION = 12;
    uint256 internal constant EPOCH_DURATION = 4;
    uint256 internal constant MINIMUM_STAKE = 100 ether;
    uint256 internal constant ENTRY_PERIOD = 60;
    uint256 internal constant EXIT_DELAY = 120;
    uint256 internal constant EXIT_CHURN = 2;
    uint256 internal constant LAG = 1;
    // Prover escrow.
    uint256 internal constant ESCROW_WITHDRAWAL_DELAY = 100;
    // Rollup.
    uint256 internal constant PROPOSAL_WINDOW = 6;
    /// @dev proposalWindow + backupWindow <= slotDuration: a backup block never lands in the next slot's window.
    uint256 internal constant BACKUP_WINDOW = 6;
    uint256 internal constant CLAIM_WINDOW_SLOTS = 2;
    uint256 internal constant PROOF_WINDOW_SLOTS = 4;
    uint256 internal constant MAX_DATA_BYTES = 4096;
    uint256 internal constant BLOCK_REWARD = 10 ether;
    uint256 internal constant PROOF_SUBMISSION_REWARD = 1 ether;
    uint256 internal constant OPEN_PROVING_BPS = 2000;
    uint256 internal constant MAX_PROVER_FEE_BPS = 5000;
    uint256 internal constant MINIMUM_PROVER_BOND = 10 ether;
    uint256 internal constant UNPROVEN_BLOCK_PENALTY = 5 ether;
    uint256 internal constant VOTE_ROUND_SIZE = 8;
    uint256 internal constant VOTE_QUORUM = 3;
    bytes32 internal constant GENESIS_STATE_ROOT = bytes32(uint256(1));
    uint256 internal constant POOL_FUNDING = 1_000_000 ether;
    // Fee inbox: a deposit is due two slots after it was made (the devnet's delay).
    uint256 internal constant INCLUSION_DELAY = 2 * SLOT_DURATION;
    uint256 internal constant FIELD_MODULUS =
        21_888_242_871_839_275_222_246_405_745_257_275_088_548_364_400_416_034_343_698_204_186_575_808_495_617;

    DevnetToken internal token;
    Staking internal staking;
    ProverEscrow internal escrow;
    RewardPool internal pool;
    FeeInbox internal inbox;
    CommitmentVerifier internal verifier;
    CommitmentVerifier internal chunkVerifier;
    IRollup internal rollup;
    uint256 internal genesisTime;

    address[] internal sequencers;
    /// @dev The public inputs of every block proposed through `_propose`, by block number.
    mapping(uint256 blockNumber => uint256[]) internal inputsOf;

    function setUp() public virtual {
        vm.warp(1_000_000);
        vm.prevrandao(bytes32(uint256(0xfe120e7)));
        genesisTime = block.timestamp;
        token = new DevnetToken("Fernet Staking Token", "FST");
        verifier = new CommitmentVerifier("block");
        chunkVerifier = new CommitmentVerifier("chunk");
        _deploySuite();
        _fundRewardPool(POOL_FUNDING);
    }

    function _deploySuite() internal virtual {
        _deploySuiteWith(_stakingConfig(), _rollupConfig());
    }

    /// @dev Deploys a fresh suite (staking, escrow, pool, inbox, rollup) with the given parameters; the pool is
    ///      empty.
    function _deploySuiteWith(Staking.Config memory stakingConfig, IRollup.Config memory rollupConfig)
        internal
    {
        address predictedRollup = _deploySatellites(stakingConfig);
        rollup = new Rollup(staking, escrow, pool, verifier, chunkVerifier, rollupConfig, inbox);
        assertEq(address(rollup), predictedRollup, "rollup address prediction");
    }

    /// @dev Deploys the staking, escrow, pool and inbox of a fresh suite for the rollup this test deploys next;
    ///      returns that rollup's address.
    function _deploySatellites(Staking.Config memory stakingConfig)
        internal
        returns (address predictedRollup)
    {
        uint256 nonce = vm.getNonce(address(this));
        predictedRollup = vm.computeCreateAddress(address(this), nonce + 4);
        staking = new Staking(token, predictedRollup, stakingConfig);
        escrow = new ProverEscrow(token, predictedRollup, ESCROW_WITHDRAWAL_DELAY);
        pool = new RewardPool(token, predictedRollup);
        inbox = new FeeInbox(token, predictedRollup, address(pool), INCLUSION_DELAY);
    }

    /// @dev Mints `amount` to this test and adds it to the pool.
    function _fundRewardPool(uint256 amount) internal {
        token.mint(address(this), amount);
        token.approve(address(pool), amount);
        pool.fund(amount);
    }

    /// @dev The smallest staking exit delay the rollup accepts with `proofWindowSlots`:
    ///      (epochDuration + proofWindowSlots + 1) slots.
    function _minimumExitDelay(uint256 proofWindowSlots) internal pure returns (uint256) {
        return (EPOCH_DURATION + proofWindowSlots + 1) * SLOT_DURATION;
    }

    function _stakingConfig() internal view returns (Staking.Config memory) {
        return Staking.Config({
            genesisTime: genesisTime,
            slotDuration: SLOT_DURATION,
            epochDuration: EPOCH_DURATION,
            minimumStake: MINIMUM_STAKE,
            entryPeriod: ENTRY_PERIOD,
            exitDelay: EXIT_DELAY,
            exitChurnPerEpoch: EXIT_CHURN,
            snapshotLag: LAG
        });
    }

    function _rollupConfig() internal pure returns (IRollup.Config memory) {
        return IRollup.Config({
            proposalWindow: PROPOSAL_WINDOW,
            backupWindow: BACKUP_WINDOW,
            claimWindowSlots: CLAIM_WINDOW_SLOTS,
            proofWindowSlots: PROOF_WINDOW_SLOTS,
            maxDataBytes: MAX_DATA_BYTES,
            blockReward: BLOCK_REWARD,
            proofSubmissionReward: PROOF_SUBMISSION_REWARD,
            openProvingBasisPointFee: OPEN_PROVING_BPS,
            maxProverFeeBps: MAX_PROVER_FEE_BPS,
            minimumProverBond: MINIMUM_PROVER_BOND,
            unprovenBlockPenalty: UNPROVEN_BLOCK_PENALTY,
            voteRoundSize: VOTE_ROUND_SIZE,
            voteQuorum: VOTE_QUORUM,
            genesisStateRoot: GENESIS_STATE_ROOT
        });
    }

    // ------------------------------------------------------------------ actors

    /// @dev Mints `amount` to `who` and approves `spender`.
    function _fund(address who, address spender, uint256 amount) internal {
        token.mint(who, amount);
        vm.prank(who);
        token.approve(spender, amount);
    }

    /// @dev Registers a new sequencer named `name` with the minimum stake.
    function _registerSequencer(string memory name) internal returns (address sequencer) {
        sequencer = makeAddr(name);
        _fund(sequencer, address(staking), MINIMUM_STAKE);
        vm.prank(sequencer);
        staking.register(MINIMUM_STAKE);
        sequencers.push(sequencer);
    }

    /// @dev Registers `n` sequencers and warps to the first slot in which all of them are eligible.
    function _registerAndActivate(uint256 n) internal {
        for (uint256 i; i < n; ++i) {
            _registerSequencer(string.concat("sequencer-", vm.toString(i)));
        }
        uint256 activation = staking.stakerInfo(sequencers[n - 1]).activationEpoch;
        _warpToEpoch(activation);
    }

    /// @dev A prover with `deposit` in escrow, plus its signing key.
    function _prover(string memory name, uint256 deposit) internal returns (address prover, uint256 key) {
        (prover, key) = makeAddrAndKey(name);
        if (deposit > 0) {
            _fund(prover, address(escrow), deposit);
            vm.prank(prover);
            escrow.deposit(prover, deposit);
        }
    }

    // ------------------------------------------------------------------ clock

    function _slotStart(uint256 slot) internal view returns (uint256) {
        return genesisTime + slot * SLOT_DURATION;
    }

    function _warpToSlot(uint256 slot) internal {
        vm.warp(_slotStart(slot));
    }

    function _warpToEpoch(uint256 epoch) internal {
        _warpToSlot(epoch * EPOCH_DURATION);
    }

    function _currentSlot() internal view returns (uint256) {
        return Slot.unwrap(rollup.currentSlot());
    }

    function _currentEpoch() internal view returns (uint256) {
        return Epoch.unwrap(rollup.currentEpoch());
    }

    // ------------------------------------------------------------------ proposals

    /// @dev The sequencers that can propose in `slot`, by score, highest first (computed off chain, as the
    ///      Rust side does), and their scores.
    function _ranking(uint256 slot) internal view returns (address[] memory ranked, uint256[] memory scores) {
        return Ranking.forSlot(rollup, Slot.wrap(slot));
    }

    /// @dev The highest-ranked sequencer that can propose in `slot`.
    function _topProposer(uint256 slot) internal view returns (address) {
        (address[] memory ranked,) = _ranking(slot);
        require(ranked.length > 0, "no eligible proposer");
        return ranked[0];
    }

    /// @dev Proposal args extending the pending tip in the current slot, with one-transaction canonical data
    ///      derived from `tag` (distinct tags, distinct data).
    function _proposeArgs(bytes memory tag) internal view returns (IRollup.ProposeArgs memory args) {
        uint256 tip = rollup.pendingTip();
        return _proposeArgsAt(tip + 1, tag);
    }

    /// @dev Proposal args for block `blockNumber` (on top of block `blockNumber - 1`) in the current slot,
    ///      with one-transaction canonical data derived from `tag`.
    function _proposeArgsAt(uint256 blockNumber, bytes memory tag)
        internal
        view
        returns (IRollup.ProposeArgs memory args)
    {
        return _proposeArgsWithData(blockNumber, BlockDataBuilder.fromTag(tag));
    }

    /// @dev Proposal args for block `blockNumber` in the current slot with exactly `data` (raw bytes: may be
    ///      non-canonical, for the data checks).
    function _proposeArgsWithData(uint256 blockNumber, bytes memory data)
        internal
        view
        returns (IRollup.ProposeArgs memory args)
    {
        args.header = IRollup.BlockHeader({
            blockNumber: blockNumber,
            slot: rollup.currentSlot(),
            prevStateRoot: rollup.blockLog(blockNumber - 1).stateRoot,
            newStateRoot: keccak256(abi.encode("state", blockNumber, data))
            & bytes32(uint256(type(uint248).max)),
            totalFees: 0,
            dataHash: uint256(keccak256(abi.encode("h", data))) % FIELD_MODULUS
        });
        args.data = data;
    }

    /// @dev A fee deposit of `amount` for `recipient`, made by a fresh funded depositor; returns its word.
    function _deposit(address recipient, uint256 amount) internal returns (bytes32 word) {
        address depositor = makeAddr("depositor");
        _fund(depositor, address(inbox), amount);
        vm.prank(depositor);
        inbox.deposit(recipient, amount);
        return BlockDataBuilder.messageWord(recipient, amount);
    }

    /// @dev The words of inbox messages `from..from + count - 1`.
    function _messageWords(uint256 from, uint256 count) internal view returns (bytes32[] memory words) {
        words = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            FeeInbox.Message memory m = inbox.message(from + i);
            words[i] = BlockDataBuilder.messageWord(m.recipient, m.amount);
        }
    }

    /// @dev Proposal args for block `blockNumber` in the current slot consuming the next `messageCount` inbox
    ///      messages after its parent's cursor, with one transaction derived from `tag` and `totalFees` declared.
    function _proposeArgsWithMessages(
        uint256 blockNumber,
        uint256 messageCount,
        uint256 totalFees,
        bytes memory tag
    ) internal view returns (IRollup.ProposeArgs memory args) {
        bytes32[] memory words = _messageWords(rollup.blockLog(blockNumber - 1).inboxCursor, messageCount);
        args = _proposeArgsWithData(blockNumber, BlockDataBuilder.build(words, 1, uint256(keccak256(tag))));
        args.header.totalFees = totalFees;
    }

    /// @dev Proposes `args` as `proposer` and records its public inputs for later proving.
    function _proposeAs(address proposer, IRollup.ProposeArgs memory args) internal {
        vm.prank(proposer);
        rollup.propose(args);
        (uint256[] memory inputs,) = rollup.publicInputsOf(args);
        inputsOf[args.header.blockNumber] = inputs;
    }

    /// @dev The CommitmentVerifier proof of `args` as a backup block sent by `payee` (its 6 committed words
    ///      followed by `uint256(uint160(payee))`).
    function _backupProof(IRollup.ProposeArgs memory args, address payee)
        internal
        view
        returns (bytes memory)
    {
        (uint256[] memory committed,) = rollup.publicInputsOf(args);
        return _blockProof(committed, payee);
    }

    /// @dev The top-ranked sequencer proposes a block with some data in the current slot.
    function _proposeTop() internal returns (address proposer) {
        proposer = _topProposer(_currentSlot());
        _proposeAs(proposer, _proposeArgs(abi.encodePacked("tx-data-", vm.toString(_currentSlot()))));
    }

    /// @dev Proposes (top rank) in each slot of the current epoch, starting at the current slot.
    function _fillEpoch() internal {
        uint256 slot = _currentSlot();
        uint256 end = (slot / EPOCH_DURATION + 1) * EPOCH_DURATION;
        for (; slot < end; ++slot) {
            _warpToSlot(slot);
            _proposeTop();
        }
    }

    // ------------------------------------------------------------------ quotes and proofs

    function _quote(address prover, uint256 epoch, uint256 bond, uint32 fee)
        internal
        view
        returns (EpochProofQuote memory)
    {
        return EpochProofQuote({
            prover: prover,
            epochToProve: epoch,
            validUntilSlot: (epoch + 1) * EPOCH_DURATION + CLAIM_WINDOW_SLOTS - 1,
            bondAmount: bond,
            rollupAddress: address(rollup),
            basisPointFee: fee
        });
    }

    function _sign(EpochProofQuote memory quote, uint256 key)
        internal
        view
        returns (SignedEpochProofQuote memory)
    {
        bytes32 digest = rollup.quoteDigest(quote);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return SignedEpochProofQuote({quote: quote, signature: abi.encodePacked(r, s, v)});
    }

    /// @dev The epoch of pending block `blockNumber`.
    function _epochOfBlock(uint256 blockNumber) internal view returns (uint256) {
        return Epoch.unwrap(rollup.epochAtSlot(Slot.wrap(rollup.blockLog(blockNumber).slot)));
    }

    /// @dev The proof the CommitmentVerifier accepts for a block with `committed` inputs, paying `payee`.
    function _blockProof(uint256[] memory committed, address payee) internal view returns (bytes memory) {
        return verifier.proofForPayee(committed, payee);
    }

    /// @dev The payee of a proof of `epoch` sent by `submitter`: the claimed prover while the claim is open.
    function _payeeOf(uint256 epoch, address submitter) internal view returns (address) {
        IRollup.ProofClaim memory claim = rollup.claimOf(Epoch.wrap(epoch));
        return claim.status == IRollup.ClaimStatus.Claimed ? claim.prover : submitter;
    }

    /// @dev Public inputs (6 words per block, as recorded when proposed) and proofs naming `payee` for blocks
    ///      `from..to`.
    function _epochProof(uint256 from, uint256 to, address payee)
        internal
        view
        returns (uint256[] memory publicInputs, bytes memory proofs)
    {
        publicInputs = new uint256[]((to - from + 1) * 6);
        for (uint256 n = from; n <= to; ++n) {
            uint256[] storage row = inputsOf[n];
            for (uint256 j; j < 6; ++j) {
                publicInputs[(n - from) * 6 + j] = row[j];
            }
            proofs = bytes.concat(proofs, _blockProof(row, payee));
        }
    }

    /// @dev `_epochProof` for blocks `from..to` of a claimed epoch: the proofs name the claimed prover.
    function _epochProof(uint256 from, uint256 to)
        internal
        view
        returns (uint256[] memory publicInputs, bytes memory proofs)
    {
        uint256 epoch = _epochOfBlock(from);
        IRollup.ProofClaim memory claim = rollup.claimOf(Epoch.wrap(epoch));
        require(claim.status == IRollup.ClaimStatus.Claimed, "unclaimed epoch: name the payee");
        return _epochProof(from, to, claim.prover);
    }

    /// @dev Proves the oldest unproven epoch's remaining blocks as `submitter` (payee as the rollup picks it).
    function _proveOldestEpoch(address submitter) internal returns (uint256 epoch) {
        uint256 first = rollup.provenTip() + 1;
        epoch = _epochOfBlock(first);
        IRollup.EpochLog memory log = rollup.epochLog(Epoch.wrap(epoch));
        _proveBlocks(submitter, log.firstBlock + log.blockCount - 1);
    }

    /// @dev Proves blocks provenTip + 1 .. `to` (a prefix of the oldest unproven epoch) as `submitter`.
    function _proveBlocks(address submitter, uint256 to) internal {
        uint256 first = rollup.provenTip() + 1;
        uint256 epoch = _epochOfBlock(first);
        (uint256[] memory publicInputs, bytes memory proofs) =
            _epochProof(first, to, _payeeOf(epoch, submitter));
        vm.prank(submitter);
        rollup.submitEpochProof(Epoch.wrap(epoch), publicInputs, proofs);
    }
}
