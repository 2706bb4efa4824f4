// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {Constants} from "../../contracts/libraries/Constants.sol";

/// @title CommitmentVerifier
/// @notice Test double for rollup unit tests, never deployed outside tests: a "proof" is valid when its
///         first word is keccak256 of the verifier's domain and exactly the public inputs it is checked
///         against, so the rollup's public-input layout and batching are exercised without proving. Two
///         domains stand for the two circuits: a block "proof" does not pass the chunk verifier. The real
///         Groth16 verifiers have their own tests with real proofs.
contract CommitmentVerifier is IProofVerifier {
    uint256 private constant PROOF_BYTES = Constants.PROOF_BYTES;
    uint256 private constant K = Constants.PUBLIC_INPUTS_PER_BLOCK;

    /// @notice Which circuit this double stands for, hashed into every proof.
    bytes32 public immutable DOMAIN;

    /// @param domain The circuit's name, e.g. "block" or "chunk".
    constructor(string memory domain) {
        DOMAIN = keccak256(bytes(domain));
    }

    /// @inheritdoc IProofVerifier
    function verifyProof(bytes calldata proof, uint256[] calldata publicInputs) external view returns (bool) {
        require(proof.length == PROOF_BYTES, ProofVerifier__InvalidProofLength(PROOF_BYTES, proof.length));
        require(publicInputs.length == K, ProofVerifier__InvalidInputCount(K, publicInputs.length));
        return _check(proof, publicInputs);
    }

    /// @inheritdoc IProofVerifier
    function verifyBatch(bytes calldata proofs, uint256[] calldata publicInputs)
        external
        view
        returns (bool)
    {
        require(proofs.length > 0, ProofVerifier__EmptyBatch());
        require(
            proofs.length % PROOF_BYTES == 0, ProofVerifier__InvalidProofLength(PROOF_BYTES, proofs.length)
        );
        uint256 n = proofs.length / PROOF_BYTES;
        require(publicInputs.length == n * K, ProofVerifier__InvalidInputCount(n * K, publicInputs.length));
        for (uint256 i; i < n; ++i) {
            if (!_check(proofs[i * PROOF_BYTES:(i + 1) * PROOF_BYTES], publicInputs[i * K:(i + 1) * K])) {
                return false;
            }
        }
        return true;
    }

    /// @inheritdoc IProofVerifier
    function numPublicInputs() external pure returns (uint256) {
        return K;
    }

    /// @inheritdoc IProofVerifier
    function verificationKeyHash() external pure returns (bytes32) {
        return keccak256("CommitmentVerifier");
    }

    /// @notice The proof this verifier accepts for `publicInputs`.
    function proofFor(uint256[] memory publicInputs) public view returns (bytes memory) {
        return
            abi.encodePacked(keccak256(abi.encodePacked(DOMAIN, publicInputs)), new bytes(PROOF_BYTES - 32));
    }

    /// @notice The proof this verifier accepts for a block with `committed` inputs made for `payee`: its
    ///         row is the committed words followed by the payee and the whole-block chunk word, as the rollup
    ///         builds it.
    function proofForPayee(uint256[] memory committed, address payee) external view returns (bytes memory) {
        uint256[] memory row = new uint256[](K);
        for (uint256 j; j < committed.length; ++j) {
            row[j] = committed[j];
        }
        row[Constants.PAYEE_INPUT_INDEX] = uint256(uint160(payee));
        row[Constants.CHUNK_INPUT_INDEX] = Constants.WHOLE_BLOCK_CHUNK_WORD;
        return proofFor(row);
    }

    function _check(bytes calldata proof, uint256[] calldata inputs) private view returns (bool) {
        for (uint256 i; i < inputs.length; ++i) {
            require(inputs[i] < Constants.FIELD_MODULUS, ProofVerifier__InputNotInField(i, inputs[i]));
        }
        return bytes32(proof[:32]) == keccak256(abi.encodePacked(DOMAIN, inputs));
    }
}
