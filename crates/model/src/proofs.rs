//! Where proofs come from: the commitment double's proofs, or the real Groth16 proofs of the
//! fixture chain in `test/fixtures/epoch.json`.

use std::path::Path;

use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use fernet_bindings::IRollup::{BlockHeader, ProposeArgs};
use fernet_state::PROOF_BYTES;
use serde_json::Value;

use crate::{
    artifacts::{BLOCK_DOMAIN, CHUNK_DOMAIN},
    error::{Error, Result},
    model::{verifier_row, Circuit, ProofOracle, FIELD_MODULUS, K, VERIFIER_INPUTS},
};

/// One block of the fixture chain with its real proof.
#[derive(Clone, Debug)]
pub struct FixtureBlock {
    /// The proposal (no upgrade vote).
    pub args: ProposeArgs,
    /// Its committed public inputs.
    pub inputs: [U256; K],
    /// Who its proof pays (the verifier's last input).
    pub payee: Address,
    /// Its Groth16 proof.
    pub proof: Bytes,
}

/// The fixture chain: a genesis root, the fee deposits made before its blocks, four blocks of
/// epoch 2 (slots 8 to 11) and one backup block (slot 13), proven for real under the devnet
/// keys, each proof for a named payee.
#[derive(Clone, Debug)]
pub struct FixtureChain {
    /// State root of block 0.
    pub genesis_state_root: B256,
    /// The fee inbox deposits (recipient, amount), in inbox order, made before the blocks (the
    /// JSON's top-level `deposits`; none when absent).
    pub deposits: Vec<(Address, u128)>,
    /// Every block, the backup block last.
    pub blocks: Vec<FixtureBlock>,
    /// The epoch's real chunk proofs (the JSON's `split`), each with its verifier inputs.
    pub chunks: Vec<FixtureChunk>,
}

/// One real chunk proof of the fixture's split epoch.
#[derive(Clone, Debug)]
pub struct FixtureChunk {
    /// Its [`VERIFIER_INPUTS`] inputs: its roots, the block's other committed words, the payee,
    /// the chunk word.
    pub inputs: Vec<U256>,
    /// Its Groth16 proof (of the chunk circuit).
    pub proof: Bytes,
}

impl FixtureChain {
    /// Reads `test/fixtures/epoch.json`.
    pub fn load(path: &Path) -> Result<Self> {
        let bad = |reason: String| Error::Artifact {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let json: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let mut blocks = Vec::new();
        let listed = json["blocks"].as_array().cloned().unwrap_or_default();
        for block in listed.iter().chain(std::iter::once(&json["backupBlock"])) {
            blocks.push(parse_block(block).map_err(bad)?);
        }
        let genesis_state_root = word(&json["genesisStateRoot"]).map_err(bad)?;
        let deposits = match &json["deposits"] {
            Value::Null => Vec::new(),
            listed => parse_deposits(listed).map_err(bad)?,
        };
        let chunks = parse_chunks(&json["split"]).map_err(bad)?;
        Ok(Self {
            genesis_state_root: B256::from(genesis_state_root),
            deposits,
            blocks,
            chunks,
        })
    }

    /// The payees the fixture's proofs were made for, without repetition.
    pub fn payees(&self) -> Vec<Address> {
        let mut payees: Vec<Address> = Vec::new();
        for block in &self.blocks {
            if !payees.contains(&block.payee) {
                payees.push(block.payee);
            }
        }
        payees
    }
}

fn word(value: &Value) -> std::result::Result<U256, String> {
    match value {
        Value::String(text) => text.parse().map_err(|e| format!("{text}: {e}")),
        Value::Number(number) => number
            .as_u64()
            .map(U256::from)
            .ok_or_else(|| format!("{number} is not a u64")),
        other => Err(format!("{other} is not a word")),
    }
}

/// `[{recipient, amount}]`, in inbox order.
fn parse_deposits(listed: &Value) -> std::result::Result<Vec<(Address, u128)>, String> {
    let listed = listed.as_array().ok_or("deposits is not a list")?;
    listed
        .iter()
        .enumerate()
        .map(|(i, deposit)| {
            let recipient = deposit["recipient"]
                .as_str()
                .ok_or_else(|| format!("deposit {i}: recipient is not a string"))?
                .parse::<Address>()
                .map_err(|e| format!("deposit {i}: recipient: {e}"))?;
            let amount =
                word(&deposit["amount"]).map_err(|e| format!("deposit {i}: amount: {e}"))?;
            let amount = u128::try_from(amount)
                .map_err(|_| format!("deposit {i}: amount {amount} does not fit 128 bits"))?;
            Ok((recipient, amount))
        })
        .collect()
}

fn parse_block(block: &Value) -> std::result::Result<FixtureBlock, String> {
    let field = |name: &str| word(&block[name]).map_err(|e| format!("{name}: {e}"));
    let args = ProposeArgs {
        header: BlockHeader {
            blockNumber: field("blockNumber")?,
            slot: field("slot")?,
            prevStateRoot: B256::from(field("prevStateRoot")?),
            newStateRoot: B256::from(field("newStateRoot")?),
            totalFees: field("totalFees")?,
            dataHash: field("dataHash")?,
        },
        data: bytes(&block["data"])?,
        upgradePayload: Address::ZERO,
    };
    let listed = block["verifierInputs"]
        .as_array()
        .ok_or("verifierInputs is not a list")?;
    if listed.len() != VERIFIER_INPUTS {
        return Err(format!(
            "{} public inputs, expected {VERIFIER_INPUTS} (the committed {K}, the payee and the \
             chunk word): a fixture from before the chunk word must be regenerated",
            listed.len()
        ));
    }
    let mut inputs = [U256::ZERO; K];
    for (slot, value) in inputs.iter_mut().zip(listed) {
        *slot = word(value)?;
    }
    let payee = word(&listed[K])?;
    if payee >> 160usize != U256::ZERO {
        return Err(format!("payee input {payee} is not an address"));
    }
    Ok(FixtureBlock {
        args,
        inputs,
        payee: Address::from_word(payee.into()),
        proof: bytes(&block["proof"])?,
    })
}

/// The chunk proofs of the split epoch: the proofs after the whole blocks', paired with their
/// inputs, 8 words each.
fn parse_chunks(split: &Value) -> std::result::Result<Vec<FixtureChunk>, String> {
    let words = split["chunkVerifierInputs"]
        .as_array()
        .ok_or("split.chunkVerifierInputs is not a list")?
        .iter()
        .map(word)
        .collect::<std::result::Result<Vec<U256>, String>>()?;
    let whole = split["chunkCounts"]
        .as_array()
        .ok_or("split.chunkCounts is not a list")?
        .iter()
        .filter(|count| count.as_u64() == Some(0))
        .count();
    let proofs = bytes(&split["proofs"])?;
    let chunk_proofs = proofs
        .get(whole * PROOF_BYTES..)
        .ok_or("split.proofs is shorter than its whole blocks' proofs")?;
    if chunk_proofs.len() / PROOF_BYTES * VERIFIER_INPUTS != words.len() {
        return Err("split.proofs and split.chunkVerifierInputs disagree".into());
    }
    Ok(chunk_proofs
        .chunks(PROOF_BYTES)
        .zip(words.chunks(VERIFIER_INPUTS))
        .map(|(proof, inputs)| FixtureChunk {
            inputs: inputs.to_vec(),
            proof: Bytes::copy_from_slice(proof),
        })
        .collect())
}

fn bytes(value: &Value) -> std::result::Result<Bytes, String> {
    value
        .as_str()
        .ok_or_else(|| format!("{value} is not hex"))?
        .parse()
        .map_err(|e| format!("{e}"))
}

/// The proofs a schedule can submit.
#[derive(Clone, Debug)]
pub enum Proofs {
    /// Commitment proofs: the first word is keccak256 of the inputs.
    Commitment,
    /// The fixture chain's real Groth16 proofs.
    Fixture(FixtureChain),
}

impl Proofs {
    /// The proof of the block with committed inputs `inputs` made for `payee`. The fixture holds
    /// one proof per block: for a block it does not hold, or another payee, it gives the closest
    /// real proof it has (the same block's, else another block's), which the verifier rejects.
    pub fn proof_for(&self, inputs: &[U256], payee: Address) -> Bytes {
        match self {
            Self::Commitment => commitment_proof(BLOCK_DOMAIN, &verifier_row(inputs, payee)),
            Self::Fixture(chain) => chain
                .blocks
                .iter()
                .find(|b| b.inputs == inputs && b.payee == payee)
                .or_else(|| chain.blocks.iter().find(|b| b.inputs == inputs))
                .unwrap_or(&chain.blocks[0])
                .proof
                .clone(),
        }
    }

    /// A well-formed proof the verifier rejects for `inputs` and `payee`.
    pub fn wrong_proof_for(&self, inputs: &[U256], payee: Address) -> Bytes {
        match self {
            Self::Commitment => {
                let mut proof =
                    commitment_proof(BLOCK_DOMAIN, &verifier_row(inputs, payee)).to_vec();
                proof[31] ^= 1;
                proof.into()
            }
            Self::Fixture(chain) => chain
                .blocks
                .iter()
                .find(|b| b.inputs != inputs)
                .expect("the fixture has several blocks")
                .proof
                .clone(),
        }
    }

    /// The chunk proof for the verifier row `row` (8 words). The fixture gives its proof of that
    /// row, else some other chunk proof, which the chunk verifier rejects.
    pub fn chunk_proof_for(&self, row: &[U256]) -> Bytes {
        match self {
            Self::Commitment => commitment_proof(CHUNK_DOMAIN, row),
            Self::Fixture(chain) => chain
                .chunks
                .iter()
                .find(|c| c.inputs == row)
                .unwrap_or(&chain.chunks[0])
                .proof
                .clone(),
        }
    }

    /// The state root after chunk `index` (not the last) of the block with committed inputs
    /// `block`: the fixture's real one when the fixture has that chunk (same block words, the
    /// chunk word of a non-last chunk is its index), else a stand-in below r.
    pub fn intermediate_root(&self, block: &[U256], index: u64) -> U256 {
        let real = match self {
            Self::Commitment => None,
            Self::Fixture(chain) => chain
                .chunks
                .iter()
                .find(|c| {
                    c.inputs[2..K] == block[2..K]
                        && c.inputs[VERIFIER_INPUTS - 1] == U256::from(index)
                })
                .map(|c| c.inputs[1]),
        };
        real.unwrap_or_else(|| {
            let seed = keccak256(
                [
                    block[0].to_be_bytes::<32>(),
                    U256::from(index).to_be_bytes(),
                ]
                .concat(),
            );
            U256::from_be_bytes(seed.0) % FIELD_MODULUS
        })
    }

    /// The payees the proofs were made for when they are fixed (the fixture's), else none.
    pub fn fixed_payees(&self) -> Vec<Address> {
        match self {
            Self::Commitment => Vec::new(),
            Self::Fixture(chain) => chain.payees(),
        }
    }

    /// The fee deposits to make before the first block (the fixture's), else none.
    pub fn fixture_deposits(&self) -> &[(Address, u128)] {
        match self {
            Self::Commitment => &[],
            Self::Fixture(chain) => &chain.deposits,
        }
    }

    /// The fixture's block `number` at `slot` on `parent`, if the proofs are the fixture's.
    pub fn fixture_block(&self, number: u64, slot: u64, parent: B256) -> Option<&FixtureBlock> {
        match self {
            Self::Commitment => None,
            Self::Fixture(chain) => chain.blocks.iter().find(|b| {
                b.args.header.blockNumber == U256::from(number)
                    && b.args.header.slot == U256::from(slot)
                    && b.args.header.prevStateRoot == parent
            }),
        }
    }
}

impl ProofOracle for Proofs {
    fn accepts(&self, circuit: Circuit, proof: &[u8], inputs: &[U256]) -> bool {
        match (self, circuit) {
            (Self::Commitment, Circuit::Block) => {
                proof.len() == PROOF_BYTES
                    && proof[..32] == commitment_proof(BLOCK_DOMAIN, inputs)[..32]
            }
            (Self::Commitment, Circuit::Chunk) => {
                proof.len() == PROOF_BYTES
                    && proof[..32] == commitment_proof(CHUNK_DOMAIN, inputs)[..32]
            }
            (Self::Fixture(chain), Circuit::Block) => chain.blocks.iter().any(|b| {
                inputs.len() == VERIFIER_INPUTS
                    && b.inputs == inputs[..K]
                    && inputs[K] == U256::from_be_slice(b.payee.as_slice())
                    && inputs[K + 1] == U256::from(fernet_state::WHOLE_BLOCK_CHUNK_WORD)
                    && b.proof.as_ref() == proof
            }),
            (Self::Fixture(chain), Circuit::Chunk) => chain
                .chunks
                .iter()
                .any(|c| c.inputs == inputs && c.proof.as_ref() == proof),
        }
    }
}

/// What `CommitmentVerifier.proofFor(inputs)` returns for a double of `domain`:
/// `keccak256(keccak256(domain), inputs)` and zeros.
fn commitment_proof(domain: &str, inputs: &[U256]) -> Bytes {
    let mut packed = Vec::with_capacity(32 + inputs.len() * 32);
    packed.extend_from_slice(keccak256(domain.as_bytes()).as_slice());
    for input in inputs {
        packed.extend_from_slice(&input.to_be_bytes::<32>());
    }
    let mut proof = vec![0u8; PROOF_BYTES];
    proof[..32].copy_from_slice(keccak256(packed).as_slice());
    proof.into()
}
