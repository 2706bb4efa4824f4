// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProverEscrow} from "../contracts/core/ProverEscrow.sol";
import {RewardPool} from "../contracts/core/RewardPool.sol";
import {Rollup} from "../contracts/core/Rollup.sol";
import {Staking} from "../contracts/core/Staking.sol";
import {IRollup} from "../contracts/interfaces/IRollup.sol";
import {EpochProofQuote, SignedEpochProofQuote} from "../contracts/libraries/QuoteLib.sol";
import {Epoch, Slot} from "../contracts/libraries/TimeLib.sol";
import {DevnetToken} from "../contracts/token/DevnetToken.sol";
import {CommitmentVerifier} from "./helpers/CommitmentVerifier.sol";
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
    uint256 internal constant BACKUP_WINDOW = 12;
    uint256 internal constant CLAIM_WINDOW_SLOTS = 2;
    uint256 internal constant PROOF_WINDOW_SLOTS = 4;
    uint256 internal constant MAX_DATA_BYTES = 4096;
    uint256 internal constant BLOCK_REWARD = 10 ether;
    uint256 internal constant PROOF_SUBMISSION_REWARD = 1 ether;
    uint256 internal constant OPEN_PROVING_BPS = 2000;
    uint256 internal constant MINIMUM_PROVER_BOND = 10 ether;
    uint256 internal constant UNPROVEN_BLOCK_PENALTY = 5 ether;
    uint256 internal constant VOTE_ROUND_SIZE = 8;
    uint256 internal constant VOTE_QUORUM = 3;
    bytes32 internal constant GENESIS_STATE_ROOT = bytes32(uint256(1));
    uint256 internal constant POOL_FUNDING = 1_000_000 ether;
    uint256 internal constant FIELD_MODULUS =
        21_888_242_871_839_275_222_246_405_745_257_275_088_548_364_400_416_034_343_698_204_186_575_808_495_617;

    DevnetToken internal token;
    Staking internal staking;
    ProverEscrow internal escrow;
    RewardPool internal pool;
    CommitmentVerifier internal verifier;
    Rollup internal rollup;
    uint256 internal genesisTime;

    address[] internal sequencers;
    /// @dev The public inputs of every block proposed through `_propose`, by block number.
    mapping(uint256 blockNumber => uint256[]) internal inputsOf;

    function setUp() public virtual {
        vm.warp(1_000_000);
        vm.prevrandao(bytes32(uint256(0xfe120e7)));
        genesisTime = block.timestamp;
        token = new DevnetToken("Fernet Staking Token", "FST");
        verifier = new CommitmentVerifier();
        _deploySuite();
        token.mint(address(this), POOL_FUNDING);
        token.approve(address(pool), POOL_FUNDING);
        pool.fund(POOL_FUNDING);
    }

    function _deploySuite() internal {
        uint256 nonce = vm.getNonce(address(this));
        address predictedRollup = vm.computeCreateAddress(address(this), nonce + 3);
        staking = new Staking(token, predictedRollup, _stakingConfig());
        escrow = new ProverEscrow(token, predictedRollup, ESCROW_WITHDRAWAL_DELAY);
        pool = new RewardPool(token, predictedRollup);
        rollup = new Rollup(staking, escrow, pool, verifier, _rollupConfig());
        assertEq(address(rollup), predictedRollup, "rollup address prediction");
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

    /// @dev The highest-ranked sequencer that can propose in `slot`.
    function _topProposer(uint256 slot) internal view returns (address) {
        (address[] memory ranked,) = rollup.rankingForSlot(Slot.wrap(slot));
        require(ranked.length > 0, "no eligible proposer");
        return ranked[0];
    }

    /// @dev Proposal args extending the pending tip in the current slot with `data`.
    function _proposeArgs(bytes memory data) internal view returns (IRollup.ProposeArgs memory args) {
        uint256 tip = rollup.pendingTip();
        return _proposeArgsAt(tip + 1, data);
    }

    /// @dev Proposal args for block `blockNumber` (on top of block `blockNumber - 1`) in the current slot.
    function _proposeArgsAt(uint256 blockNumber, bytes memory data)
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
            totalFees: data.length * 1 gwei,
            dataHash: uint256(keccak256(abi.encode("h", data))) % FIELD_MODULUS
        });
        args.data = data;
    }

    /// @dev Proposes `args` as `proposer` and records its public inputs for later proving.
    function _proposeAs(address proposer, IRollup.ProposeArgs memory args) internal {
        vm.prank(proposer);
        rollup.propose(args);
        (uint256[] memory inputs,) = rollup.publicInputsOf(args);
        inputsOf[args.header.blockNumber] = inputs;
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

    /// @dev Public inputs and proofs for blocks `from..to`, as recorded when they were proposed.
    function _epochProof(uint256 from, uint256 to)
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
            proofs = bytes.concat(proofs, verifier.proofFor(row));
        }
    }

    /// @dev Proves the oldest unproven epoch as `submitter`.
    function _proveOldestEpoch(address submitter) internal returns (uint256 epoch) {
        uint256 first = rollup.provenTip() + 1;
        epoch = rollup.blockLog(first).slot / EPOCH_DURATION;
        IRollup.EpochLog memory log = rollup.epochLog(Epoch.wrap(epoch));
        uint256 last = log.firstBlock + log.blockCount - 1;
        (uint256[] memory publicInputs, bytes memory proofs) = _epochProof(first, last);
        vm.prank(submitter);
        rollup.submitEpochProof(Epoch.wrap(epoch), publicInputs, proofs);
    }
}
