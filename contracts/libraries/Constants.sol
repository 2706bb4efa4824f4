// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Constants
/// @notice Values shared with the Rust side (fernet-state): field modulus and the public-input layout.
library Constants {
    /// @notice The BN254 scalar field modulus r: every public input is an element of [0, r).
    uint256 internal constant FIELD_MODULUS =
        21_888_242_871_839_275_222_246_405_745_257_275_088_548_364_400_416_034_343_698_204_186_575_808_495_617;

    /// @notice Public inputs per block proof, as the verifier takes them:
    ///         [prevStateRoot, newStateRoot, globals, dataHash, challenge, evaluation, payee, chunk].
    uint256 internal constant PUBLIC_INPUTS_PER_BLOCK = 8;
    /// @notice Public inputs a proposal commits to (the first 6, known at proposal time) and callers pass
    ///         per block to `submitEpochProof`; L1 appends the payee itself.
    uint256 internal constant COMMITTED_INPUTS_PER_BLOCK = 6;
    /// @notice Index of the payee input, `uint256(uint160(address))` of whoever is paid for the proof: a
    ///         proof copied by another sender fails verification.
    uint256 internal constant PAYEE_INPUT_INDEX = 6;
    /// @notice Index of the chunk word, `index | isLast << 8`: which chunk of its block a proof covers.
    uint256 internal constant CHUNK_INPUT_INDEX = 7;
    /// @notice The chunk word of a proof of a whole block: chunk 0, the last.
    uint256 internal constant WHOLE_BLOCK_CHUNK_WORD = 1 << 8;
    /// @notice Bit offset of the last-chunk flag in the chunk word; the chunk index takes the bits below it.
    uint256 internal constant CHUNK_LAST_SHIFT = 8;
    /// @notice Most chunks one block may be split into: the chunk index has `CHUNK_LAST_SHIFT` bits.
    uint256 internal constant MAX_CHUNKS_PER_BLOCK = 1 << 8;
    /// @notice Bytes of one Groth16 proof as the verifiers take it (8 words).
    uint256 internal constant PROOF_BYTES = 256;

    /// @notice `globals = blockNumber | slot << 64 | totalFees << 128`.
    uint256 internal constant GLOBALS_SLOT_SHIFT = 64;
    /// @notice Bit offset of the fees in `globals`.
    uint256 internal constant GLOBALS_FEES_SHIFT = 128;
    /// @notice Block numbers and slots must fit in 64 bits.
    uint256 internal constant MAX_UINT64 = type(uint64).max;
    /// @notice Total fees of a block must fit in 120 bits, so `globals` stays below r.
    uint256 internal constant MAX_FEES = (1 << 120) - 1;

    /// @notice Bytes of block data per field element of the fingerprint evaluation.
    uint256 internal constant DATA_CHUNK_BYTES = 31;

    /// @notice Version byte (byte 0) of the only block data encoding L1 accepts.
    uint256 internal constant DATA_VERSION = 2;
    /// @notice L1-to-L2 message slots per block (each a fee deposit consumed from the FeeInbox).
    uint256 internal constant MESSAGES_PER_BLOCK = 4;
    /// @notice Bytes of one message slot: recipient (20 bytes) | amount (12 bytes, uint96 big-endian).
    uint256 internal constant MESSAGE_BYTES = 32;
    /// @notice Offset of the message count byte m (0..MESSAGES_PER_BLOCK) in the block data header.
    uint256 internal constant MESSAGE_COUNT_OFFSET = 25;
    /// @notice Block data header: version (byte 0), big-endian uint32 tx count (bytes 1..5), coinbase (5..25),
    ///         message count (byte 25), then MESSAGES_PER_BLOCK message slots (26..154; slots >= m are zero).
    /// @dev Written as a literal (= MESSAGE_COUNT_OFFSET + 1 + MESSAGES_PER_BLOCK * MESSAGE_BYTES, which
    ///      test/libraries/BlockData.t.sol checks): the legacy code generator does not fold a constant built from
    ///      other constants, and the expression cost about 700 gas per encoding check.
    uint256 internal constant DATA_HEADER_BYTES = 154;
    /// @notice Bytes per transaction effect: 7 words of 32 bytes, the first one `payer (20 bytes) | fee (8 bytes)`
    ///         behind 4 zero bytes.
    uint256 internal constant TX_EFFECT_BYTES = 224;
    /// @notice Largest first word of a transaction effect: `payer << 64 | fee`, below 2^224.
    uint256 internal constant MAX_FEE_WORD = type(uint224).max;
    /// @notice Largest single FeeInbox deposit (the message slot's 96-bit amount).
    uint256 internal constant MAX_DEPOSIT = 2 ** 96 - 1;

    /// @notice Upper bound of the proof window, in epochs: a proposer's stake must stay slashable (exit
    ///         delay) until a prune can run, so the window cannot grow without bound.
    uint256 internal constant MAX_PROOF_WINDOW_EPOCHS = 4;

    /// @notice 100 % in basis points.
    uint256 internal constant BASIS_POINTS = 10_000;
}
