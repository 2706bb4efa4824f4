// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IProofVerifier
/// @notice Groth16 (BN254) verifier of block proofs. A proof is 8 words
///         [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y] (256 bytes).
interface IProofVerifier {
    /// @notice The proof bytes do not have the expected length.
    error ProofVerifier__InvalidProofLength(uint256 expected, uint256 actual);
    /// @notice The number of public inputs does not match.
    error ProofVerifier__InvalidInputCount(uint256 expected, uint256 actual);
    /// @notice A public input is not below the scalar field modulus.
    error ProofVerifier__InputNotInField(uint256 index, uint256 value);
    /// @notice A precompile call failed (e.g. a point not on the curve).
    error ProofVerifier__PrecompileFailed(uint256 precompile);
    /// @notice A batch must contain at least one proof.
    error ProofVerifier__EmptyBatch();

    /// @notice Verifies one proof. Returns false on a failed pairing check; reverts on malformed input.
    /// @param proof 256 bytes.
    /// @param publicInputs `numPublicInputs()` field elements.
    function verifyProof(bytes calldata proof, uint256[] calldata publicInputs) external view returns (bool);

    /// @notice Verifies N proofs with one pairing call (random linear combination, Fiat-Shamir challenges).
    /// @param proofs N proofs concatenated (N * 256 bytes).
    /// @param publicInputs N * `numPublicInputs()` words; proof i's inputs at [i*K, (i+1)*K).
    function verifyBatch(bytes calldata proofs, uint256[] calldata publicInputs) external view returns (bool);

    /// @notice Public inputs per proof.
    function numPublicInputs() external pure returns (uint256);

    /// @notice keccak256 of the EVM-encoded verifying key.
    function verificationKeyHash() external pure returns (bytes32);
}
