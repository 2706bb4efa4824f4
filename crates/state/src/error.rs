//! Errors of the state crate.

use crate::{block::Address, field::Fr};

/// Result alias of the state crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while building, updating or encoding the L2 state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The Poseidon parameter set has no permutation of this width (circomlib: 2..=13 here).
    #[error("unsupported Poseidon width {width} (supported: 2..=13)")]
    UnsupportedPoseidonWidth {
        /// The requested state width `t` (number of inputs plus one).
        width: usize,
    },
    /// A tree depth is zero or so large that leaf indices do not fit in a `u64`.
    #[error("{tree} depth {depth} is out of range 1..={max}")]
    InvalidTreeDepth {
        /// Which tree of the configuration.
        tree: &'static str,
        /// The configured depth.
        depth: usize,
        /// The largest supported depth.
        max: usize,
    },
    /// A tree depth is odd: the trees have 4 children per node, so a depth (in bits, `2^depth`
    /// leaves) must be a multiple of 2.
    #[error("{tree} depth {depth} is odd: arity-4 trees need an even depth")]
    OddTreeDepth {
        /// Which tree of the configuration.
        tree: &'static str,
        /// The configured depth.
        depth: usize,
    },
    /// A node height (in bits) that is no level of an arity-4 tree (an odd one).
    #[error("height {height} is no level of an arity-4 tree (odd)")]
    OddNodeHeight {
        /// The offending height.
        height: usize,
    },
    /// A block must be able to hold at least one transaction.
    #[error("max_txs_per_block must be at least 1")]
    ZeroMaxTxs,
    /// The per-block note subtree (`2 * max_txs_per_block` rounded up to a power of four) is
    /// deeper than the note-hash tree.
    #[error("note subtree height {subtree_height} exceeds note tree depth {depth}")]
    NoteSubtreeTooHigh {
        /// Height of the per-block note subtree.
        subtree_height: usize,
        /// Configured note-hash tree depth.
        depth: usize,
    },
    /// A per-block batch subtree of an indexed tree (its slots rounded up to a power of four)
    /// does not leave room for a batch after the genesis leaf.
    #[error("{tree} batch height {batch_height} needs a tree deeper than {depth}")]
    BatchTooHigh {
        /// Which tree depth of the configuration.
        tree: &'static str,
        /// Height of the per-block nullifier subtree.
        batch_height: usize,
        /// Configured nullifier tree depth.
        depth: usize,
    },
    /// `max_data_chunks` cannot hold the encoding of a full block.
    #[error("max_data_chunks {max_data_chunks} is below the {required} chunks of a full block")]
    TooFewDataChunks {
        /// Configured chunk budget.
        max_data_chunks: usize,
        /// Chunks of a block with `max_txs_per_block` transactions.
        required: usize,
    },
    /// A leaf or subtree index lies outside the tree.
    #[error("index {index} at height {height} is outside a tree of depth {depth}")]
    IndexOutOfRange {
        /// The offending index (counted at `height`).
        index: u64,
        /// Level of the node (0 = leaves).
        height: usize,
        /// Depth of the tree.
        depth: usize,
    },
    /// A subtree update was given the wrong number of leaves.
    #[error("a subtree of height {height} takes {expected} leaves, got {actual}")]
    SubtreeSize {
        /// Height of the subtree.
        height: usize,
        /// `2^height`.
        expected: usize,
        /// Leaves supplied.
        actual: usize,
    },
    /// A chunk index does not fit the chunk word.
    #[error("chunk index {index} does not fit the chunk word's {bits} bits")]
    ChunkIndexTooLarge {
        /// The index.
        index: usize,
        /// Bits of the index in the chunk word.
        bits: usize,
    },
    /// A block cannot be split into chunks of this many tx slots.
    #[error("chunks of {txs} txs do not split blocks of {max_txs}: a chunk size divides the block and takes 4^k tree slots (2, 8 or 32 txs)")]
    InvalidChunkSize {
        /// The requested tx slots per chunk.
        txs: usize,
        /// The block's tx slots.
        max_txs: usize,
    },
    /// A batch subtree was placed before the tree's next index or off its alignment.
    #[error(
        "{tree}: a batch of 2^{height} slots cannot start at {start} (next index {next_index})"
    )]
    BatchPosition {
        /// Which tree.
        tree: &'static str,
        /// The requested first slot.
        start: u64,
        /// First free leaf index.
        next_index: u64,
        /// Height of the batch subtree.
        height: usize,
    },
    /// An append would write past the last leaf.
    #[error("{tree} is full: {needed} more leaves do not fit after index {next_index} (capacity {capacity})")]
    TreeFull {
        /// Which tree.
        tree: &'static str,
        /// First free leaf index.
        next_index: u64,
        /// Leaves the operation needs.
        needed: u64,
        /// `2^depth`.
        capacity: u64,
    },
    /// Key 0 is the indexed trees' genesis sentinel and can never be inserted.
    #[error("{tree} key 0 is reserved for the genesis leaf")]
    ReservedKey {
        /// Which tree.
        tree: &'static str,
    },
    /// The key already has a leaf in the indexed tree.
    #[error("{tree} already holds key {key}")]
    KeyExists {
        /// Which tree.
        tree: &'static str,
        /// The key.
        key: Fr,
    },
    /// The nullifier is already in the nullifier tree: a double spend.
    #[error("nullifier {nullifier} already exists")]
    NullifierExists {
        /// The nullifier.
        nullifier: Fr,
    },
    /// The same nullifier appears twice in one block.
    #[error("nullifier {nullifier} appears in tx {first_tx} and again in tx {second_tx}")]
    DuplicateNullifier {
        /// The nullifier.
        nullifier: Fr,
        /// Index of the first transaction that emits it.
        first_tx: usize,
        /// Index of the transaction that emits it again (may equal `first_tx`).
        second_tx: usize,
    },
    /// A transaction effect is malformed.
    #[error("tx {index} is invalid: {source}")]
    InvalidTx {
        /// Position of the transaction in the block.
        index: usize,
        /// What is wrong with it.
        source: TxError,
    },
    /// The block does not extend the state's chain by exactly one.
    #[error("expected block number {expected}, got {actual}")]
    UnexpectedBlockNumber {
        /// Number the next block must have.
        expected: u64,
        /// Number the block has.
        actual: u64,
    },
    /// The block's slot is not after the slot of the previous block.
    #[error("block slot {actual} is not after the previous block's slot {previous}")]
    SlotNotIncreasing {
        /// Slot of the last applied block.
        previous: u64,
        /// Slot of the block.
        actual: u64,
    },
    /// The block carries more transactions than the configuration allows.
    #[error("block has {count} txs, at most {max} allowed")]
    TooManyTxs {
        /// Transactions in the block.
        count: usize,
        /// `max_txs_per_block`.
        max: usize,
    },
    /// `Some(0x00..00)` is not a coinbase: the encoding uses the zero address for "none".
    #[error("coinbase must not be the zero address (use None)")]
    ZeroCoinbase,
    /// The block's fees do not fit the 120 bits the packed globals reserve for them.
    #[error("total fees {total} do not fit in {bits} bits")]
    TotalFeesTooLarge {
        /// Sum of the fees.
        total: u128,
        /// Bits available.
        bits: u32,
    },
    /// Block data is shorter than its header or than its declared transactions.
    #[error("block data has {actual} bytes, expected {expected}")]
    DataLength {
        /// Length the header implies.
        expected: usize,
        /// Length supplied.
        actual: usize,
    },
    /// Block data starts with a version this code does not know.
    #[error("block data version {found} is not supported (expected {expected})")]
    UnsupportedDataVersion {
        /// Version byte found.
        found: u8,
        /// Version this code writes.
        expected: u8,
    },
    /// A 32-byte word of the block data is not a canonical field element (it is `>= r`).
    #[error("word at byte offset {offset} is not a canonical field element")]
    NonCanonicalFieldElement {
        /// Byte offset of the word in the data.
        offset: usize,
    },
    /// Word 0 of a tx (payer and fee) has a non-zero byte in its top 4 bytes (it must be
    /// `< 2^224`).
    #[error("payer and fee word of tx {tx} at byte offset {offset} has non-zero top bytes")]
    FeeWordOutOfRange {
        /// Position of the transaction.
        tx: usize,
        /// Byte offset of the word.
        offset: usize,
    },
    /// The block consumes more L1 messages than its message slots hold.
    #[error("block consumes {count} messages, at most {max} allowed")]
    TooManyMessages {
        /// Messages in the block (or the message count byte of the data).
        count: usize,
        /// `MESSAGES_PER_BLOCK`.
        max: usize,
    },
    /// A consumed L1 message is malformed.
    #[error("message {index} is invalid: {source}")]
    InvalidMessage {
        /// Position of the message in the block.
        index: usize,
        /// What is wrong with it.
        source: MessageError,
    },
    /// A message slot past the message count holds a non-zero byte in the block data.
    #[error("unused message slot {slot} at byte offset {offset} is not zero")]
    NonZeroMessageSlot {
        /// The slot (`>= message count`).
        slot: usize,
        /// Byte offset of the slot in the data.
        offset: usize,
    },
    /// A transaction's fee exceeds its payer's fee balance at that point of the block.
    #[error(
        "tx {tx} pays a fee of {fee} but its payer 0x{} holds {balance}",
        hex::encode(payer)
    )]
    InsufficientFeeBalance {
        /// Position of the transaction.
        tx: usize,
        /// The payer.
        payer: Address,
        /// The payer's balance before the debit (after the block's credits and earlier debits).
        balance: u128,
        /// The fee.
        fee: u64,
    },
    /// A credit would take a fee balance to `2^128` or beyond.
    #[error(
        "crediting {amount} to 0x{} overflows its fee balance {balance}",
        hex::encode(recipient)
    )]
    FeeBalanceOverflow {
        /// The recipient.
        recipient: Address,
        /// Its balance before the credit.
        balance: u128,
        /// The amount credited.
        amount: u128,
    },
    /// The data needs more 31-byte chunks than the fixed budget of the data hash.
    #[error("data needs {chunks} chunks, the data hash covers at most {max_chunks}")]
    DataTooLarge {
        /// Chunks of the data.
        chunks: usize,
        /// Configured `max_data_chunks`.
        max_chunks: usize,
    },
    /// Bytes handed over as a block witness ([`crate::BlockWitness::from_bytes`]) do not
    /// decode into one.
    #[error("block witness of {len} bytes does not decode: {reason}")]
    WitnessDecoding {
        /// Length of the bytes given.
        len: usize,
        /// What failed: the ark-serialize error, or trailing bytes.
        reason: String,
    },
    /// A world-state checkpoint does not decode, or does not fit the configuration.
    #[error("bad world-state checkpoint: {reason}")]
    BadCheckpoint {
        /// What is wrong with it.
        reason: String,
    },
}

/// Why a single transaction effect is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// Every transaction emits at least one nullifier, so it is unique and never padding.
    #[error("the first nullifier is zero")]
    MissingNullifier,
    /// More items than the fixed per-tx slots.
    #[error("{count} {kind} exceed the {max} slots of a tx")]
    TooMany {
        /// Which list.
        kind: &'static str,
        /// Items supplied.
        count: usize,
        /// Slots available.
        max: usize,
    },
    /// A zero (absent) entry is followed by a non-zero one; padding goes last.
    #[error("{kind} has a non-zero entry after a zero (padding must be trailing)")]
    NonCanonicalPadding {
        /// Which list.
        kind: &'static str,
    },
    /// The same nullifier twice in one transaction.
    #[error("the tx emits the same nullifier twice")]
    DuplicateNullifier,
    /// A public data write with key 0 (meaning "no write") must also have value 0.
    #[error("public data write without key has a non-zero value")]
    ValueWithoutKey,
    /// A tx with the zero payer has no balance to pay from, so its fee must be zero.
    #[error("the tx pays a fee but names no payer")]
    FeeWithoutPayer,
    /// App public data keys are below `2^252`; the keys above hold fee balances.
    #[error("the public data key is at or above 2^252 (reserved for fee balances)")]
    ReservedPublicDataKey,
}

/// Why a consumed L1 message is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// The zero recipient only marks an unused message slot.
    #[error("the recipient is the zero address")]
    ZeroRecipient,
    /// A deposit of nothing is refused by the L1 inbox.
    #[error("the amount is zero")]
    ZeroAmount,
    /// Deposits are at most `2^96 - 1`.
    #[error("the amount {amount} does not fit in 96 bits")]
    AmountTooLarge {
        /// The amount.
        amount: u128,
    },
}
