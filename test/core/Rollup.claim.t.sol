// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FeeInbox} from "../../contracts/core/FeeInbox.sol";
import {ProverEscrow} from "../../contracts/core/ProverEscrow.sol";
import {RewardPool} from "../../contracts/core/RewardPool.sol";
import {Rollup} from "../../contracts/core/Rollup.sol";
import {Staking} from "../../contracts/core/Staking.sol";
import {IProverEscrow} from "../../contracts/interfaces/IProverEscrow.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {EpochProofQuote, SignedEpochProofQuote} from "../../contracts/libraries/QuoteLib.sol";
import {Epoch, Slot} from "../../contracts/libraries/TimeLib.sol";
import {Base} from "../Base.t.sol";

/// @notice claimEpochProofRight: a sequencer of epoch N+1 claims one prover's signed quote for epoch N.
///         Follows `Rollup.claim.tree`.
contract RollupClaimTest is Base {
    uint256 internal constant DEPOSIT = 50 ether;
    uint256 internal constant BOND = 20 ether;
    uint32 internal constant FEE = 1000;
    /// @dev MAX_PROVER_FEE_BPS as a quote fee.
    // forge-lint: disable-next-line(unsafe-typecast) -- 5000 fits in 32 bits
    uint32 internal constant MAX_FEE = uint32(MAX_PROVER_FEE_BPS);

    /// @dev The epoch filled with blocks in setUp, claimable in the next one.
    uint256 internal epoch;
    address internal prover;
    uint256 internal proverKey;
    address internal claimant;
    /// @dev State right after deployment (epoch 0, nobody registered).
    uint256 internal genesisSnapshot;

    function setUp() public override {
        super.setUp();
        genesisSnapshot = vm.snapshotState();
        _registerAndActivate(4);
        epoch = _currentEpoch();
        _fillEpoch();
        (prover, proverKey) = _prover("prover", DEPOSIT);
        _warpToEpoch(epoch + 1);
        claimant = sequencers[0];
    }

    // ------------------------------------------------------------------ helpers

    function _signed() internal view returns (SignedEpochProofQuote memory) {
        return _sign(_quote(prover, epoch, BOND, FEE), proverKey);
    }

    function _claimAs(address who, SignedEpochProofQuote memory signed) internal {
        vm.prank(who);
        rollup.claimEpochProofRight(signed);
    }

    function _expectClaimRevert(address who, SignedEpochProofQuote memory signed, bytes memory err) internal {
        vm.expectRevert(err);
        vm.prank(who);
        rollup.claimEpochProofRight(signed);
    }

    /// @dev The address a 65-byte (r, s, v) signature recovers to for `digest`.
    function _recover(bytes32 digest, bytes memory signature) internal pure returns (address) {
        (bytes32 r, bytes32 s) = abi.decode(signature, (bytes32, bytes32));
        return ecrecover(digest, uint8(signature[64]), r, s);
    }

    function _signDigest(bytes32 digest, uint256 key) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev A second, independent suite (its own staking, escrow and pool) on the same chain.
    function _deployOtherRollup() internal returns (Rollup other) {
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 4);
        Staking otherStaking = new Staking(token, predicted, _stakingConfig());
        ProverEscrow otherEscrow = new ProverEscrow(token, predicted, ESCROW_WITHDRAWAL_DELAY);
        RewardPool otherPool = new RewardPool(token, predicted);
        FeeInbox otherInbox = new FeeInbox(token, predicted, address(otherPool), INCLUSION_DELAY);
        other = new Rollup(
            otherStaking, otherEscrow, otherPool, verifier, chunkVerifier, _rollupConfig(), otherInbox
        );
    }

    function _assertUnclaimed() internal view {
        assertEq(uint8(rollup.claimOf(Epoch.wrap(epoch)).status), uint8(IRollup.ClaimStatus.None), "no claim");
        assertEq(escrow.accountOf(prover).locked, 0, "nothing locked");
    }

    // ------------------------------------------------------------------ happy paths

    function test_claim_locksBondAndStoresClaim() public {
        SignedEpochProofQuote memory signed = _signed();
        uint256 escrowTokens = token.balanceOf(address(escrow));

        vm.expectEmit(address(rollup));
        emit IRollup.EpochProofRightClaimed(Epoch.wrap(epoch), prover, claimant, BOND, FEE);
        vm.expectEmit(address(escrow));
        emit IProverEscrow.BondLocked(prover, BOND);
        _claimAs(claimant, signed);

        IProverEscrow.Account memory account = escrow.accountOf(prover);
        assertEq(account.locked, BOND, "bond locked");
        assertEq(account.free, DEPOSIT - BOND, "rest stays free");
        assertEq(token.balanceOf(address(escrow)), escrowTokens, "tokens stay in the escrow");
        IRollup.ProofClaim memory claim = rollup.claimOf(Epoch.wrap(epoch));
        assertEq(claim.prover, prover, "claim prover");
        assertEq(claim.bondAmount, BOND, "claim bond");
        assertEq(claim.claimant, claimant, "claim claimant");
        assertEq(claim.basisPointFee, FEE, "claim fee");
        assertEq(uint8(claim.status), uint8(IRollup.ClaimStatus.Claimed), "status Claimed");
    }

    function test_claim_succeedsWithoutProposingInTheEpoch() public {
        // Last slot of the claim window; nobody has proposed in the current epoch.
        uint256 lastClaimSlot = (epoch + 1) * EPOCH_DURATION + CLAIM_WINDOW_SLOTS - 1;
        _warpToSlot(lastClaimSlot);
        uint256 tip = rollup.pendingTip();
        address idle = sequencers[3];
        SignedEpochProofQuote memory signed = _signed();

        _claimAs(idle, signed);
        assertEq(
            rollup.claimOf(Epoch.wrap(epoch)).claimant, idle, "claimed by a sequencer that proposed nothing"
        );
        assertEq(rollup.pendingTip(), tip, "no block proposed");
        assertEq(rollup.epochLog(Epoch.wrap(epoch + 1)).blockCount, 0, "empty current epoch");
    }

    // ------------------------------------------------------------------ epoch and window

    function test_claim_revertsWhenQuoteIsNotForThePreviousEpoch() public {
        SignedEpochProofQuote memory current = _sign(_quote(prover, epoch + 1, BOND, FEE), proverKey);
        _expectClaimRevert(
            claimant,
            current,
            abi.encodeWithSelector(Errors.Rollup__InvalidEpochToProve.selector, epoch, epoch + 1)
        );
        SignedEpochProofQuote memory older = _sign(_quote(prover, epoch - 1, BOND, FEE), proverKey);
        _expectClaimRevert(
            claimant,
            older,
            abi.encodeWithSelector(Errors.Rollup__InvalidEpochToProve.selector, epoch, epoch - 1)
        );
        _assertUnclaimed();
    }

    function test_claim_revertsInEpochZero() public {
        vm.revertToState(genesisSnapshot);
        assertEq(_currentEpoch(), 0, "epoch 0");
        (address p, uint256 key) = _prover("early-prover", DEPOSIT);
        SignedEpochProofQuote memory signed = _sign(_quote(p, 0, BOND, FEE), key);
        _expectClaimRevert(
            makeAddr("anyone"),
            signed,
            abi.encodeWithSelector(Errors.Rollup__InvalidEpochToProve.selector, 0, 0)
        );
    }

    function test_claim_revertsAfterClaimWindow() public {
        uint256 lastClaimSlot = (epoch + 1) * EPOCH_DURATION + CLAIM_WINDOW_SLOTS - 1;
        assertEq(Slot.unwrap(rollup.claimDeadline(Epoch.wrap(epoch))), lastClaimSlot, "claim deadline");
        EpochProofQuote memory quote = _quote(prover, epoch, BOND, FEE);
        quote.validUntilSlot = type(uint256).max;
        SignedEpochProofQuote memory signed = _sign(quote, proverKey);
        _warpToSlot(lastClaimSlot + 1);
        _expectClaimRevert(
            claimant,
            signed,
            abi.encodeWithSelector(
                Errors.Rollup__ClaimWindowClosed.selector, epoch, lastClaimSlot, lastClaimSlot + 1
            )
        );
        _assertUnclaimed();
    }

    // ------------------------------------------------------------------ quote fields

    function test_claim_revertsWhenQuoteExpired() public {
        uint256 slot = _currentSlot();
        EpochProofQuote memory quote = _quote(prover, epoch, BOND, FEE);
        quote.validUntilSlot = slot;
        SignedEpochProofQuote memory signed = _sign(quote, proverKey);
        _warpToSlot(slot + 1);
        _expectClaimRevert(
            claimant, signed, abi.encodeWithSelector(Errors.Rollup__QuoteExpired.selector, slot, slot + 1)
        );
        _assertUnclaimed();
    }

    function test_claim_revertsWhenQuoteNamesAnotherRollup() public {
        address elsewhere = makeAddr("elsewhere");
        EpochProofQuote memory quote = _quote(prover, epoch, BOND, FEE);
        quote.rollupAddress = elsewhere;
        SignedEpochProofQuote memory signed = _sign(quote, proverKey);
        _expectClaimRevert(
            claimant,
            signed,
            abi.encodeWithSelector(Errors.Rollup__QuoteForOtherRollup.selector, address(rollup), elsewhere)
        );
    }

    /// @dev Attack (issue 10, finding 5): a sequencer colluding with its prover claims at a fee that diverts
    ///      (nearly) every other sequencer's block reward; the rollup caps quotes at maxProverFeeBps.
    function test_claim_revertsWhenFeeAboveMaxProverFee() public {
        SignedEpochProofQuote memory greedy = _sign(_quote(prover, epoch, BOND, MAX_FEE + 1), proverKey);
        _expectClaimRevert(
            claimant,
            greedy,
            abi.encodeWithSelector(
                Errors.Rollup__InvalidBasisPointFee.selector, MAX_PROVER_FEE_BPS, MAX_PROVER_FEE_BPS + 1
            )
        );
        SignedEpochProofQuote memory everything = _sign(_quote(prover, epoch, BOND, 10_000), proverKey);
        _expectClaimRevert(
            claimant,
            everything,
            abi.encodeWithSelector(Errors.Rollup__InvalidBasisPointFee.selector, MAX_PROVER_FEE_BPS, 10_000)
        );
        _assertUnclaimed();

        // The cap itself is accepted.
        _claimAs(claimant, _sign(_quote(prover, epoch, BOND, MAX_FEE), proverKey));
        assertEq(rollup.claimOf(Epoch.wrap(epoch)).basisPointFee, MAX_PROVER_FEE_BPS, "fee at the cap");
    }

    function test_claim_revertsWhenBondBelowMinimum() public {
        SignedEpochProofQuote memory signed =
            _sign(_quote(prover, epoch, MINIMUM_PROVER_BOND - 1, FEE), proverKey);
        _expectClaimRevert(
            claimant,
            signed,
            abi.encodeWithSelector(
                Errors.Rollup__BondTooSmall.selector, MINIMUM_PROVER_BOND, MINIMUM_PROVER_BOND - 1
            )
        );
    }

    // ------------------------------------------------------------------ claimant

    function test_claim_revertsWhenClaimantIsNotAStaker() public {
        address outsider = makeAddr("outsider");
        SignedEpochProofQuote memory signed = _signed();
        _expectClaimRevert(
            outsider,
            signed,
            abi.encodeWithSelector(Errors.Rollup__ClaimantNotEligible.selector, outsider, epoch + 1)
        );
        _assertUnclaimed();
    }

    function test_claim_revertsWhenClaimantIsExiting() public {
        vm.prank(claimant);
        staking.exit();
        SignedEpochProofQuote memory signed = _signed();
        _expectClaimRevert(
            claimant,
            signed,
            abi.encodeWithSelector(Errors.Rollup__ClaimantNotEligible.selector, claimant, epoch + 1)
        );
        _assertUnclaimed();
    }

    // ------------------------------------------------------------------ claim state

    function test_claim_cheaperQuoteReplacesClaim() public {
        _claimAs(claimant, _signed());
        (address rival, uint256 rivalKey) = _prover("rival", DEPOSIT);
        SignedEpochProofQuote memory cheaper = _sign(_quote(rival, epoch, BOND + 1, FEE - 1), rivalKey);
        address replacer = sequencers[1];

        vm.expectEmit(address(rollup));
        emit IRollup.EpochProofClaimReplaced(Epoch.wrap(epoch), prover, rival, FEE, FEE - 1);
        vm.expectEmit(address(rollup));
        emit IRollup.EpochProofRightClaimed(Epoch.wrap(epoch), rival, replacer, BOND + 1, FEE - 1);
        vm.expectEmit(address(escrow));
        emit IProverEscrow.BondReleased(prover, BOND);
        vm.expectEmit(address(escrow));
        emit IProverEscrow.BondLocked(rival, BOND + 1);
        _claimAs(replacer, cheaper);

        IRollup.ProofClaim memory claim = rollup.claimOf(Epoch.wrap(epoch));
        assertEq(claim.prover, rival, "new prover");
        assertEq(claim.bondAmount, BOND + 1, "new bond");
        assertEq(claim.claimant, replacer, "new claimant");
        assertEq(claim.basisPointFee, FEE - 1, "new fee");
        assertEq(uint8(claim.status), uint8(IRollup.ClaimStatus.Claimed), "still Claimed");
        assertEq(escrow.accountOf(prover).locked, 0, "replaced bond released");
        assertEq(escrow.accountOf(prover).free, DEPOSIT, "replaced prover's deposit free again");
        assertEq(escrow.accountOf(rival).locked, BOND + 1, "new bond locked");
    }

    function test_claim_revertsWhenQuoteIsNotCheaper() public {
        _claimAs(claimant, _signed());
        (address rival, uint256 rivalKey) = _prover("rival", DEPOSIT);
        SignedEpochProofQuote memory equal = _sign(_quote(rival, epoch, BOND, FEE), rivalKey);
        _expectClaimRevert(
            sequencers[1],
            equal,
            abi.encodeWithSelector(Errors.Rollup__QuoteNotCheaper.selector, epoch, FEE, FEE)
        );
        SignedEpochProofQuote memory dearer = _sign(_quote(rival, epoch, BOND, FEE + 1), rivalKey);
        _expectClaimRevert(
            sequencers[1],
            dearer,
            abi.encodeWithSelector(Errors.Rollup__QuoteNotCheaper.selector, epoch, FEE, FEE + 1)
        );
        assertEq(rollup.claimOf(Epoch.wrap(epoch)).prover, prover, "first claim kept");
        assertEq(escrow.accountOf(prover).locked, BOND, "first bond still locked");
        assertEq(escrow.accountOf(rival).locked, 0, "rival bond not locked");
    }

    function test_claim_revertsWhenSignedQuoteIsReplayed() public {
        SignedEpochProofQuote memory signed = _signed();
        _claimAs(claimant, signed);
        _expectClaimRevert(
            sequencers[1],
            signed,
            abi.encodeWithSelector(Errors.Rollup__QuoteNotCheaper.selector, epoch, FEE, FEE)
        );
        assertEq(escrow.accountOf(prover).locked, BOND, "bond locked once");
    }

    function test_claim_proverMayUndercutItselfWithTheReleasedBond() public {
        // 50 deposited, a 30 bond locked: 20 free. A 40 bond fits only because the old 30 is released first.
        _claimAs(claimant, _sign(_quote(prover, epoch, 30 ether, FEE), proverKey));
        assertEq(escrow.freeBalanceOf(prover), 20 ether, "20 free");

        vm.expectEmit(address(rollup));
        emit IRollup.EpochProofClaimReplaced(Epoch.wrap(epoch), prover, prover, FEE, FEE / 2);
        _claimAs(sequencers[1], _sign(_quote(prover, epoch, 40 ether, FEE / 2), proverKey));

        IProverEscrow.Account memory account = escrow.accountOf(prover);
        assertEq(account.locked, 40 ether, "only the new bond is locked");
        assertEq(account.free, 10 ether, "the rest is free");
        assertEq(rollup.claimOf(Epoch.wrap(epoch)).basisPointFee, FEE / 2, "cheaper fee");
    }

    function test_claim_replacementStillNeedsAFundedProver() public {
        _claimAs(claimant, _signed());
        (address broke, uint256 brokeKey) = _prover("broke", BOND - 1);
        _expectClaimRevert(
            sequencers[1],
            _sign(_quote(broke, epoch, BOND, FEE - 1), brokeKey),
            abi.encodeWithSelector(
                Errors.ProverEscrow__InsufficientFreeBalance.selector, broke, BOND - 1, BOND
            )
        );
        assertEq(rollup.claimOf(Epoch.wrap(epoch)).prover, prover, "claim kept");
        assertEq(escrow.accountOf(prover).locked, BOND, "the release is undone with the failed lock");
    }

    function test_claim_revertsWhenEpochHasNoBlocks() public {
        // Prove the filled epoch, then move on: the next epoch has no block at all.
        _proveOldestEpoch(makeAddr("submitter"));
        _warpToEpoch(epoch + 2);
        assertEq(rollup.epochLog(Epoch.wrap(epoch + 1)).blockCount, 0, "empty epoch");
        SignedEpochProofQuote memory signed = _sign(_quote(prover, epoch + 1, BOND, FEE), proverKey);
        _expectClaimRevert(
            claimant, signed, abi.encodeWithSelector(Errors.Rollup__NothingToProve.selector, epoch + 1)
        );
    }

    function test_claim_revertsWhenEpochAlreadyProvenByOpenProving() public {
        _proveOldestEpoch(makeAddr("open-prover"));
        assertEq(rollup.provenTip(), rollup.pendingTip(), "epoch proven");
        SignedEpochProofQuote memory signed = _signed();
        _expectClaimRevert(
            claimant, signed, abi.encodeWithSelector(Errors.Rollup__NothingToProve.selector, epoch)
        );
        _assertUnclaimed();
    }

    // ------------------------------------------------------------------ signatures

    function test_claim_revertsWhenSignedByAnotherKey() public {
        (address impostor, uint256 impostorKey) = makeAddrAndKey("impostor");
        SignedEpochProofQuote memory signed = _sign(_quote(prover, epoch, BOND, FEE), impostorKey);
        _expectClaimRevert(
            claimant,
            signed,
            abi.encodeWithSelector(Errors.Rollup__InvalidQuoteSignature.selector, prover, impostor)
        );
        _assertUnclaimed();
    }

    function test_claim_revertsWhenQuoteTamperedAfterSigning() public {
        SignedEpochProofQuote memory signed = _signed();
        signed.quote.basisPointFee = FEE * 5;
        address recovered = _recover(rollup.quoteDigest(signed.quote), signed.signature);
        assertTrue(recovered != prover, "tampered digest recovers someone else");
        _expectClaimRevert(
            claimant,
            signed,
            abi.encodeWithSelector(Errors.Rollup__InvalidQuoteSignature.selector, prover, recovered)
        );
        _assertUnclaimed();
    }

    function test_claim_revertsWhenSignatureIsMalformed() public {
        SignedEpochProofQuote memory signed = _signed();
        (, bytes32 r, bytes32 s) = vm.sign(proverKey, rollup.quoteDigest(signed.quote));
        signed.signature = abi.encodePacked(r, s);
        _expectClaimRevert(
            claimant,
            signed,
            abi.encodeWithSelector(Errors.Rollup__InvalidQuoteSignature.selector, prover, address(0))
        );
        _assertUnclaimed();
    }

    function test_claim_revertsWhenQuoteNamesAddressZeroWithoutValidSignature() public {
        // Anyone may deposit on behalf of address(0); a signature that recovers nobody must not match it.
        _fund(prover, address(escrow), BOND);
        vm.prank(prover);
        escrow.deposit(address(0), BOND);
        SignedEpochProofQuote memory signed =
            SignedEpochProofQuote({quote: _quote(address(0), epoch, BOND, FEE), signature: ""});
        _expectClaimRevert(
            claimant,
            signed,
            abi.encodeWithSelector(Errors.Rollup__InvalidQuoteSignature.selector, address(0), address(0))
        );
        _assertUnclaimed();
        assertEq(escrow.accountOf(address(0)).locked, 0, "address(0) bond not locked");
    }

    function test_claim_revertsWhenQuoteSignedForAnotherChain() public {
        uint256 chainId = block.chainid;
        EpochProofQuote memory quote = _quote(prover, epoch, BOND, FEE);
        vm.chainId(chainId + 1);
        SignedEpochProofQuote memory signed = _sign(quote, proverKey);
        vm.chainId(chainId);
        address recovered = _recover(rollup.quoteDigest(quote), signed.signature);
        assertTrue(recovered != prover, "other domain");
        _expectClaimRevert(
            claimant,
            signed,
            abi.encodeWithSelector(Errors.Rollup__InvalidQuoteSignature.selector, prover, recovered)
        );
        _assertUnclaimed();

        // The same signature is valid on the chain it was signed for.
        vm.chainId(chainId + 1);
        _claimAs(claimant, signed);
        assertEq(escrow.accountOf(prover).locked, BOND, "accepted on its own chain");
    }

    function test_claim_revertsWhenQuoteSignedForAnotherRollup() public {
        Rollup other = _deployOtherRollup();
        assertTrue(address(other) != address(rollup), "two rollups");

        // A quote made for the other rollup cannot be replayed here...
        EpochProofQuote memory theirs = _quote(prover, epoch, BOND, FEE);
        theirs.rollupAddress = address(other);
        SignedEpochProofQuote memory replay = SignedEpochProofQuote({
            quote: theirs, signature: _signDigest(other.quoteDigest(theirs), proverKey)
        });
        _expectClaimRevert(
            claimant,
            replay,
            abi.encodeWithSelector(
                Errors.Rollup__QuoteForOtherRollup.selector, address(rollup), address(other)
            )
        );

        // ...not even with its rollupAddress rewritten: the EIP-712 domain names the verifying rollup.
        EpochProofQuote memory ours = _quote(prover, epoch, BOND, FEE);
        bytes memory otherDomainSig = _signDigest(other.quoteDigest(ours), proverKey);
        address recovered = _recover(rollup.quoteDigest(ours), otherDomainSig);
        assertTrue(recovered != prover, "other domain");
        _expectClaimRevert(
            claimant,
            SignedEpochProofQuote({quote: ours, signature: otherDomainSig}),
            abi.encodeWithSelector(Errors.Rollup__InvalidQuoteSignature.selector, prover, recovered)
        );
        _assertUnclaimed();
    }

    // ------------------------------------------------------------------ escrow

    function test_claim_revertsWhenFreeEscrowBelowBond() public {
        // A pending withdrawal is not free: 50 deposited, 40 withdrawing, 10 free < 20 bond.
        vm.prank(prover);
        escrow.requestWithdrawal(40 ether);
        SignedEpochProofQuote memory signed = _signed();
        _expectClaimRevert(
            claimant,
            signed,
            abi.encodeWithSelector(
                Errors.ProverEscrow__InsufficientFreeBalance.selector, prover, 10 ether, BOND
            )
        );
        _assertUnclaimed();
    }

    // ------------------------------------------------------------------ fuzz

    /// @dev A quote with valid fields is accepted iff it is signed by its prover's key.
    function testFuzz_claim_acceptsSignatureIffSignerIsProver(
        uint256 proverKey_,
        uint256 signerKey,
        bool signedByProver,
        uint256 bond,
        uint32 fee,
        uint256 validUntilSlot
    ) public {
        proverKey_ = bound(proverKey_, 1, SECP256K1_ORDER - 1);
        signerKey = signedByProver ? proverKey_ : bound(signerKey, 1, SECP256K1_ORDER - 1);
        bond = bound(bond, MINIMUM_PROVER_BOND, 1_000_000 ether);
        fee = uint32(bound(fee, 0, MAX_PROVER_FEE_BPS));
        validUntilSlot = bound(validUntilSlot, _currentSlot(), type(uint256).max);
        address prover_ = vm.addr(proverKey_);
        address signer = vm.addr(signerKey);
        _fund(prover_, address(escrow), bond);
        vm.prank(prover_);
        escrow.deposit(prover_, bond);

        EpochProofQuote memory quote = EpochProofQuote({
            prover: prover_,
            epochToProve: epoch,
            validUntilSlot: validUntilSlot,
            bondAmount: bond,
            rollupAddress: address(rollup),
            basisPointFee: fee
        });
        SignedEpochProofQuote memory signed = _sign(quote, signerKey);
        bool valid = signer == prover_;
        if (valid) {
            vm.expectEmit(address(rollup));
            emit IRollup.EpochProofRightClaimed(Epoch.wrap(epoch), prover_, claimant, bond, fee);
        } else {
            vm.expectRevert(
                abi.encodeWithSelector(Errors.Rollup__InvalidQuoteSignature.selector, prover_, signer)
            );
        }
        _claimAs(claimant, signed);

        IRollup.ProofClaim memory claim = rollup.claimOf(Epoch.wrap(epoch));
        assertEq(
            uint8(claim.status),
            uint8(valid ? IRollup.ClaimStatus.Claimed : IRollup.ClaimStatus.None),
            "status"
        );
        assertEq(escrow.accountOf(prover_).locked, valid ? bond : 0, "locked iff valid");
        assertEq(claim.basisPointFee, valid ? fee : 0, "fee stored iff valid");
    }

    function test_claim_acceptsSignatureIffSignerIsProver_fixedKeys() public {
        uint256 snapshot = vm.snapshotState();
        testFuzz_claim_acceptsSignatureIffSignerIsProver(0xa11ce, 0, true, 25 ether, 250, 13);
        assertEq(rollup.claimOf(Epoch.wrap(epoch)).prover, vm.addr(0xa11ce), "self-signed quote claimed");
        vm.revertToState(snapshot);
        testFuzz_claim_acceptsSignatureIffSignerIsProver(0xa11ce, 0xb0b, false, 25 ether, 250, 13);
        assertEq(rollup.claimOf(Epoch.wrap(epoch)).prover, address(0), "foreign-signed quote rejected");
    }
}

/// @notice The claim window as an auction on a rollup that allows any fee (maxProverFeeBps = 10,000).
contract RollupClaimAuctionTest is Base {
    uint256 internal constant DEPOSIT = 50 ether;
    uint256 internal constant BOND = 20 ether;

    uint256 internal epoch;

    function setUp() public override {
        super.setUp();
        IRollup.Config memory config = _rollupConfig();
        config.maxProverFeeBps = 10_000;
        _deploySuiteWith(_stakingConfig(), config);
        _fundRewardPool(POOL_FUNDING);
        _registerAndActivate(4);
        epoch = _currentEpoch();
        _fillEpoch();
        _warpToEpoch(epoch + 1);
    }

    function _claimAs(address who, SignedEpochProofQuote memory signed) internal {
        vm.prank(who);
        rollup.claimEpochProofRight(signed);
    }

    /// @dev Attack (issue 10, finding 5): a sequencer claims its accomplice's 10,000 bps quote, which would
    ///      take every block's whole reward and fees from the other sequencers. Any sequencer holding a
    ///      cheaper quote replaces it in the claim window: the accomplice's bond is free again at once and the
    ///      epoch pays the cheaper fee.
    function test_claim_colludingFullFeeClaimIsReplacedByCheaperQuote() public {
        (address accomplice, uint256 accompliceKey) = _prover("accomplice", DEPOSIT);
        (address honest, uint256 honestKey) = _prover("honest", DEPOSIT);
        address colluder = sequencers[0];
        address competitor = sequencers[1];
        _claimAs(colluder, _sign(_quote(accomplice, epoch, BOND, 10_000), accompliceKey));
        assertEq(escrow.accountOf(accomplice).locked, BOND, "accomplice bond locked");

        vm.expectEmit(address(rollup));
        emit IRollup.EpochProofClaimReplaced(Epoch.wrap(epoch), accomplice, honest, 10_000, 1000);
        vm.expectEmit(address(rollup));
        emit IRollup.EpochProofRightClaimed(Epoch.wrap(epoch), honest, competitor, BOND, 1000);
        vm.expectEmit(address(escrow));
        emit IProverEscrow.BondReleased(accomplice, BOND);
        vm.expectEmit(address(escrow));
        emit IProverEscrow.BondLocked(honest, BOND);
        _claimAs(competitor, _sign(_quote(honest, epoch, BOND, 1000), honestKey));

        IProverEscrow.Account memory old = escrow.accountOf(accomplice);
        assertEq(old.locked, 0, "old bond no longer locked");
        assertEq(old.free, DEPOSIT, "old bond free again");
        IRollup.ProofClaim memory claim = rollup.claimOf(Epoch.wrap(epoch));
        assertEq(claim.prover, honest, "honest prover holds the claim");
        assertEq(claim.basisPointFee, 1000, "cheaper fee");

        // The colluder cannot win it back with the same fee, and the accomplice's proof no longer pays it.
        SignedEpochProofQuote memory again = _sign(_quote(accomplice, epoch, BOND, 1000), accompliceKey);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__QuoteNotCheaper.selector, epoch, 1000, 1000));
        _claimAs(colluder, again);
        (uint256[] memory inputs, bytes memory accompliceProofs) = _epochProof(1, 4, accomplice);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidProof.selector, 1, 4));
        vm.prank(accomplice);
        rollup.submitEpochProof(Epoch.wrap(epoch), inputs, accompliceProofs);

        // Proven at the cheaper fee: each sequencer keeps 90 % of its block.
        _proveOldestEpoch(honest);
        for (uint256 n = 1; n <= 4; ++n) {
            assertGt(pool.owed(rollup.blockLog(n).proposer), 0, "sequencers paid");
        }
        uint256 cut;
        for (uint256 n = 1; n <= 4; ++n) {
            cut += (BLOCK_REWARD + (inputsOf[n][2] >> 128)) * 1000 / 10_000;
        }
        assertEq(pool.owed(honest), PROOF_SUBMISSION_REWARD + cut, "honest prover paid at 10 %");
        assertEq(pool.owed(accomplice), 0, "accomplice paid nothing");
    }
}
