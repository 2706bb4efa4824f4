// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {Constants} from "../../contracts/libraries/Constants.sol";
import {BlockProofVerifier} from "../../contracts/verifier/BlockProofVerifier.sol";
import {Test} from "forge-std/Test.sol";

/// @notice The generated verifier against real block proofs of the devnet circuit
///         (test/fixtures/epoch.json, written by `cargo run --release -p fernet-circuits --bin gen-fixtures`).
contract BlockProofVerifierTest is Test {
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;
    uint256 internal constant Q = 0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47;
    uint256 internal constant BLOCKS = 4;
    /// @dev Public inputs per proof: the 6 committed words, the payee and the chunk word.
    uint256 internal constant K = Constants.PUBLIC_INPUTS_PER_BLOCK;

    BlockProofVerifier internal verifier;
    string internal json;

    function setUp() public {
        verifier = new BlockProofVerifier();
        json = vm.readFile(string.concat(vm.projectRoot(), "/test/fixtures/epoch.json"));
    }

    function _block(uint256 i) internal pure returns (string memory) {
        return string.concat(".blocks[", vm.toString(i), "]");
    }

    function _proof(uint256 i) internal view returns (bytes memory) {
        return vm.parseJsonBytes(json, string.concat(_block(i), ".proof"));
    }

    function _inputs(uint256 i) internal view returns (uint256[] memory) {
        return vm.parseJsonUintArray(json, string.concat(_block(i), ".verifierInputs"));
    }

    function _batchProofs() internal view returns (bytes memory) {
        return vm.parseJsonBytes(json, ".verifier.batchProofs");
    }

    function _batchInputs() internal view returns (uint256[] memory) {
        return vm.parseJsonUintArray(json, ".verifier.batchPublicInputs");
    }

    function test_keyHash_matchesFixture() public view {
        assertEq(verifier.verificationKeyHash(), vm.parseJsonBytes32(json, ".verifier.verificationKeyHash"));
        assertEq(verifier.numPublicInputs(), K);
    }

    function test_verifyProof_acceptsEveryFixtureBlock() public view {
        for (uint256 i; i < BLOCKS; ++i) {
            assertTrue(verifier.verifyProof(_proof(i), _inputs(i)), vm.toString(i));
        }
        bytes memory backupProof = vm.parseJsonBytes(json, ".backupBlock.proof");
        assertTrue(
            verifier.verifyProof(backupProof, vm.parseJsonUintArray(json, ".backupBlock.verifierInputs"))
        );
    }

    function test_verifyBatch_acceptsTheEpoch() public view {
        assertTrue(verifier.verifyBatch(_batchProofs(), _batchInputs()));
    }

    function test_verifyProof_rejectsBitFlippedProof() public view {
        bytes memory proof = _proof(0);
        // Flip the lowest bit of C.y: C leaves the curve, unless the flip lands on it (then false).
        proof[255] = proof[255] ^ 0x01;
        try verifier.verifyProof(proof, _inputs(0)) returns (bool valid) {
            assertFalse(valid);
        } catch (bytes memory reason) {
            assertEq(
                reason, abi.encodeWithSelector(IProofVerifier.ProofVerifier__PrecompileFailed.selector, 8)
            );
        }
    }

    function test_verifyProof_rejectsOtherBlocksProof() public view {
        assertFalse(verifier.verifyProof(_proof(1), _inputs(0)));
    }

    /// @dev Every input is bound, the payee (index 6) and the chunk word (index 7) included: a proof does not
    ///      verify for another payee or as a chunk of its block.
    function test_verifyProof_rejectsWrongPublicInput() public view {
        for (uint256 j; j < K; ++j) {
            uint256[] memory inputs = _inputs(2);
            inputs[j] = addmod(inputs[j], 1, R);
            assertFalse(verifier.verifyProof(_proof(2), inputs), vm.toString(j));
        }
    }

    function test_verifyBatch_rejectsWrongPublicInput() public view {
        uint256[] memory inputs = _batchInputs();
        inputs[3 * K + 2] += 1; // block 4's globals: another fee total
        assertFalse(verifier.verifyBatch(_batchProofs(), inputs));
    }

    function test_verifyBatch_rejectsSwappedProofs() public view {
        bytes memory proofs = bytes.concat(_proof(1), _proof(0), _proof(2), _proof(3));
        assertFalse(verifier.verifyBatch(proofs, _batchInputs()));
    }

    function test_verifyProof_revertsOnPointNotOnCurve() public {
        bytes memory proof = _proof(0);
        // A = (1, 3) is not on y^2 = x^3 + 3.
        assembly {
            mstore(add(proof, 0x20), 1)
            mstore(add(proof, 0x40), 3)
        }
        vm.expectRevert(abi.encodeWithSelector(IProofVerifier.ProofVerifier__PrecompileFailed.selector, 8));
        verifier.verifyProof(proof, _inputs(0));
    }

    function test_verifyBatch_revertsOnPointNotOnCurve() public {
        bytes memory proofs = _batchProofs();
        // C of proof 1 = (1, 3): its ecMul by the batch coefficient fails.
        assembly {
            mstore(add(proofs, add(0x20, 0x1c0)), 1)
            mstore(add(proofs, add(0x20, 0x1e0)), 3)
        }
        vm.expectRevert(abi.encodeWithSelector(IProofVerifier.ProofVerifier__PrecompileFailed.selector, 7));
        verifier.verifyBatch(proofs, _batchInputs());
    }

    function test_verifyProof_revertsOnInputNotInField() public {
        uint256[] memory inputs = _inputs(0);
        inputs[4] = R;
        vm.expectRevert(abi.encodeWithSelector(IProofVerifier.ProofVerifier__InputNotInField.selector, 4, R));
        verifier.verifyProof(_proof(0), inputs);
    }

    function test_verifyBatch_revertsOnInputNotInField() public {
        uint256[] memory inputs = _batchInputs();
        inputs[13] = R + 1;
        vm.expectRevert(
            abi.encodeWithSelector(IProofVerifier.ProofVerifier__InputNotInField.selector, 13, R + 1)
        );
        verifier.verifyBatch(_batchProofs(), inputs);
    }

    function test_verifyProof_revertsOnCoordinateNotInField() public {
        bytes memory proof = _proof(0);
        assembly {
            mstore(add(proof, 0x20), Q)
        }
        vm.expectRevert(
            abi.encodeWithSelector(IProofVerifier.ProofVerifier__CoordinateNotInField.selector, 0, Q)
        );
        verifier.verifyProof(proof, _inputs(0));
    }

    function test_verifyProof_revertsOnWrongInputCount() public {
        uint256[] memory inputs = new uint256[](5);
        vm.expectRevert(
            abi.encodeWithSelector(IProofVerifier.ProofVerifier__InvalidInputCount.selector, K, 5)
        );
        verifier.verifyProof(_proof(0), inputs);
    }

    function test_verifyProof_revertsOnWrongProofLength() public {
        bytes memory proof = bytes.concat(_proof(0), hex"00");
        vm.expectRevert(
            abi.encodeWithSelector(IProofVerifier.ProofVerifier__InvalidProofLength.selector, 256, 257)
        );
        verifier.verifyProof(proof, _inputs(0));
    }

    function test_verifyBatch_revertsOnWrongNumberOfProofs() public {
        // Three proofs for four blocks' inputs.
        bytes memory proofs = bytes.concat(_proof(0), _proof(1), _proof(2));
        vm.expectRevert(
            abi.encodeWithSelector(IProofVerifier.ProofVerifier__InvalidInputCount.selector, 3 * K, 4 * K)
        );
        verifier.verifyBatch(proofs, _batchInputs());
    }

    function test_verifyBatch_revertsOnPartialProof() public {
        bytes memory proofs = bytes.concat(_batchProofs(), hex"01");
        vm.expectRevert(
            abi.encodeWithSelector(IProofVerifier.ProofVerifier__InvalidBatchLength.selector, 1025)
        );
        verifier.verifyBatch(proofs, _batchInputs());
    }

    function test_verifyBatch_revertsOnEmptyBatch() public {
        vm.expectRevert(abi.encodeWithSelector(IProofVerifier.ProofVerifier__EmptyBatch.selector));
        verifier.verifyBatch("", new uint256[](0));
    }

    /// @dev Gas of `verifyProof` measured around the call (calldata encoding included). The
    ///      precompile floor with 8 inputs is 8 ecMul + 8 ecAdd + a 4-pair pairing
    ///      = 48_000 + 1_200 + 181_000 gas; docs/proving.md compares it with the target.
    function test_gas_verifyProof() public {
        bytes memory proof = _proof(0);
        uint256[] memory inputs = _inputs(0);
        uint256 before = gasleft();
        bool valid = verifier.verifyProof(proof, inputs);
        uint256 used = before - gasleft();
        assertTrue(valid);
        emit log_named_uint("verifyProof gas, 1 proof", used);
        assertLt(used, 250_000);
    }

    /// @dev Gas of `verifyBatch` for 1, 4, 8 and 32 proofs (the epoch's 4 proofs repeated: the
    ///      random coefficients make a repeated proof cost as much as a new one).
    function test_gas_verifyBatch() public {
        uint256[4] memory sizes = [uint256(1), 4, 8, 32];
        for (uint256 s; s < sizes.length; ++s) {
            uint256 n = sizes[s];
            bytes memory proofs;
            uint256[] memory inputs = new uint256[](K * n);
            for (uint256 i; i < n; ++i) {
                proofs = bytes.concat(proofs, _proof(i % BLOCKS));
                uint256[] memory row = _inputs(i % BLOCKS);
                for (uint256 j; j < K; ++j) {
                    inputs[K * i + j] = row[j];
                }
            }
            uint256 before = gasleft();
            bool valid = verifier.verifyBatch(proofs, inputs);
            uint256 used = before - gasleft();
            assertTrue(valid);
            emit log_named_uint(string.concat("verifyBatch gas, proofs: ", vm.toString(n)), used);
        }
    }
}
