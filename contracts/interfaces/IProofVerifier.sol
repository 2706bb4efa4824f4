// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IProofVerifier
/// @notice Verifies Groth16 proofs over BN254 for one circuit, whose verifying key is built into the
///         implementation. Implementations are generated from the verifying key by the Rust tooling
///         (`fernet-circuits` `verifier_gen`), never written by hand.
/// @dev A proof is 8 uint256 words (256 bytes): [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y].
///      G2 coordinates come imaginary part first, as the EIP-197 precompile wants; (0, 0) is the point
///      at infinity. A well-formed proof that fails the pairing check makes the functions return false;
///      malformed input (lengths, values outside their field, points off the curve) makes them revert
///      with one of the errors below.
interface IProofVerifier {
    /// @notice A single proof is not exactly 256 bytes.
    /// @param expected The required length in bytes.
    /// @param actual The length given.
    error ProofVerifier__InvalidProofLength(uint256 expected, uint256 actual);

    /// @notice A batch's proofs are not a whole number of 256-byte proofs.
    /// @param length The length of the concatenated proofs in bytes.
    error ProofVerifier__InvalidBatchLength(uint256 length);

    /// @notice The number of public inputs does not match the number of proofs.
    /// @param expected The required number of inputs (proofs times `numPublicInputs()`).
    /// @param actual The number given.
    error ProofVerifier__InvalidInputCount(uint256 expected, uint256 actual);

    /// @notice A public input is not below the BN254 scalar field modulus r.
    /// @param index The position of the input in `publicInputs`.
    /// @param value The offending input.
    error ProofVerifier__InputNotInField(uint256 index, uint256 value);

    /// @notice A proof coordinate is not below the BN254 base field modulus q.
    /// @param index The position of the 32-byte word in the proof bytes (across the whole batch).
    /// @param value The offending word.
    error ProofVerifier__CoordinateNotInField(uint256 index, uint256 value);

    /// @notice An elliptic-curve precompile rejected its input, typically a point that is not on the
    ///         curve or not in the prime-order subgroup.
    /// @param precompile The precompile's address: 6 (ecAdd), 7 (ecMul) or 8 (ecPairing).
    error ProofVerifier__PrecompileFailed(uint256 precompile);

    /// @notice A batch holds no proof.
    error ProofVerifier__EmptyBatch();

    /// @notice Verifies one proof.
    /// @param proof The proof as 8 words (256 bytes).
    /// @param publicInputs The circuit's public inputs; exactly `numPublicInputs()` of them, each below r.
    /// @return valid True when the pairing check accepts the proof, false when it rejects it.
    function verifyProof(bytes calldata proof, uint256[] calldata publicInputs)
        external
        view
        returns (bool valid);

    /// @notice Verifies N proofs of the same circuit with one pairing check (a random linear combination
    ///         whose coefficients are derived by Fiat-Shamir from all proofs and all inputs).
    /// @param proofs The N proofs concatenated (N * 256 bytes, N > 0).
    /// @param publicInputs N * K words, K = `numPublicInputs()`; proof i's inputs are at [i * K, (i + 1) * K).
    /// @return valid True when every proof is valid, false (except with negligible probability) otherwise.
    function verifyBatch(bytes calldata proofs, uint256[] calldata publicInputs)
        external
        view
        returns (bool valid);

    /// @notice The number of public inputs K of one proof.
    /// @return count K.
    function numPublicInputs() external pure returns (uint256 count);

    /// @notice The hash of the verifying key built into this verifier: keccak256 of its EVM words
    ///         [alpha (2), beta (4), gamma (4), delta (4), IC_0 .. IC_K (2 each)], G2 imaginary part first.
    /// @return hash The key hash, as computed by `fernet-circuits` `verifying_key_hash`.
    function verificationKeyHash() external pure returns (bytes32 hash);
}
