// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EpochProofQuote, QuoteLib} from "../../contracts/libraries/QuoteLib.sol";
import {Test} from "forge-std/Test.sol";

/// @notice EIP-712 hashing of epoch proof quotes.
contract QuoteLibTest is Test {
    string internal constant TYPE_STRING =
        "EpochProofQuote(address prover,uint256 epochToProve,uint256 validUntilSlot,uint256 bondAmount,address rollupAddress,uint32 basisPointFee)";

    /// @dev The struct hash written out field by field, as EIP-712 specifies it.
    function _manualStructHash(EpochProofQuote memory q) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256(bytes(TYPE_STRING)),
                q.prover,
                q.epochToProve,
                q.validUntilSlot,
                q.bondAmount,
                q.rollupAddress,
                q.basisPointFee
            )
        );
    }

    function test_typehash_isKeccakOfTypeString() public pure {
        assertEq(QuoteLib.EPOCH_PROOF_QUOTE_TYPEHASH, keccak256(bytes(TYPE_STRING)));
    }

    function test_structHash_matchesManualEncoding() public pure {
        EpochProofQuote memory q = EpochProofQuote({
            prover: address(0xA11CE),
            epochToProve: 7,
            validUntilSlot: 33,
            bondAmount: 20 ether,
            rollupAddress: address(0xB0B),
            basisPointFee: 1000
        });
        bytes32 expected = keccak256(
            bytes.concat(
                keccak256(bytes(TYPE_STRING)),
                bytes32(uint256(0xA11CE)),
                bytes32(uint256(7)),
                bytes32(uint256(33)),
                bytes32(uint256(20 ether)),
                bytes32(uint256(0xB0B)),
                bytes32(uint256(1000))
            )
        );
        assertEq(QuoteLib.structHash(q), expected, "32-byte words in field order");
    }

    function testFuzz_structHash_matchesManualEncoding(EpochProofQuote memory q) public pure {
        assertEq(QuoteLib.structHash(q), _manualStructHash(q));
    }

    function testFuzz_structHash_changesWithEveryField(EpochProofQuote memory q, uint256 field) public pure {
        bytes32 before = QuoteLib.structHash(q);
        field = bound(field, 0, 5);
        if (field == 0) q.prover = address(uint160(q.prover) ^ 1);
        else if (field == 1) q.epochToProve ^= 1;
        else if (field == 2) q.validUntilSlot ^= 1;
        else if (field == 3) q.bondAmount ^= 1;
        else if (field == 4) q.rollupAddress = address(uint160(q.rollupAddress) ^ 1);
        else q.basisPointFee ^= 1;
        assertTrue(QuoteLib.structHash(q) != before, "every field is bound");
    }

    function test_structHash_changesWithBasisPointFee() public pure {
        EpochProofQuote memory q = EpochProofQuote(address(1), 1, 1, 1, address(2), 100);
        bytes32 before = QuoteLib.structHash(q);
        q.basisPointFee = 101;
        assertTrue(QuoteLib.structHash(q) != before, "fee is bound");
    }
}
