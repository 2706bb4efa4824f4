//! The committee mode's gossip (seed 004): a proposer sends its block to the slot's committee
//! ([`SignoffRequest`]), members that re-executed it answer with their EIP-712 sign-off
//! ([`SignedSignoff`], what `CommitteeRollup.proposeWithSignoffs` recovers), and after the block
//! lands the members publish the chunk proofs assigned to them ([`ChunkProofMessage`]) for
//! anyone to assemble and submit.
//!
//! The gossip checks are cheap (signatures, slot, shape); whoever acts on a message checks it
//! against L1 and its own state: a member re-executes a requested block before it signs, and an
//! assembler checks a chunk proof with the chunk verifier before it submits it.

use alloy::{
    primitives::{keccak256, Address, Bytes, Signature, B256, U256},
    signers::{local::PrivateKeySigner, SignerSync},
    sol_types::SolValue,
};
use fernet_bindings::IRollup;
use fernet_primitives::signoff::signoff_digest;
use fernet_state::PROOF_BYTES;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// Domain separator of a sign-off request's digest.
const REQUEST_DOMAIN: &str = "fernet.signoff-request.v1";
/// Most chunks of one block (`Constants.MAX_CHUNKS_PER_BLOCK`).
const MAX_CHUNKS_PER_BLOCK: u32 = 256;
/// Messages a slow subscriber may fall behind by before it misses some.
const FEED_CAPACITY: usize = 1024;

/// A proposed block as `proposeWithSignoffs` takes it (`IRollup.ProposeArgs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BlockProposal {
    /// Height.
    pub block_number: u64,
    /// The slot it is proposed in.
    pub slot: u64,
    /// The parent's state root.
    pub prev_state_root: B256,
    /// The state root after the block.
    pub new_state_root: B256,
    /// Sum of its fees.
    pub total_fees: U256,
    /// The Poseidon hash of its data.
    pub data_hash: U256,
    /// Its data, in the canonical encoding.
    pub data: Bytes,
    /// The upgrade payload the proposer votes for.
    pub upgrade_payload: Address,
}

impl BlockProposal {
    /// The proposal of `args`.
    pub fn from_args(args: &IRollup::ProposeArgs) -> Self {
        Self {
            block_number: args.header.blockNumber.saturating_to(),
            slot: args.header.slot.saturating_to(),
            prev_state_root: args.header.prevStateRoot,
            new_state_root: args.header.newStateRoot,
            total_fees: args.header.totalFees,
            data_hash: args.header.dataHash,
            data: args.data.clone(),
            upgrade_payload: args.upgradePayload,
        }
    }

    /// The arguments of `proposeWithSignoffs`.
    pub fn to_args(&self) -> IRollup::ProposeArgs {
        IRollup::ProposeArgs {
            header: IRollup::BlockHeader {
                blockNumber: U256::from(self.block_number),
                slot: U256::from(self.slot),
                prevStateRoot: self.prev_state_root,
                newStateRoot: self.new_state_root,
                totalFees: self.total_fees,
                dataHash: self.data_hash,
            },
            data: self.data.clone(),
            upgradePayload: self.upgrade_payload,
        }
    }
}

/// A proposer's request that the slot's committee sign off its block, signed by the proposer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignoffRequest {
    /// The proposer (who signs the request).
    pub proposer: Address,
    /// The block.
    pub block: BlockProposal,
    /// `r ‖ s ‖ v` over [`SignoffRequest::digest`].
    pub signature: Bytes,
}

/// A member's sign-off: its EIP-712 signature over the block's commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignedSignoff {
    /// The block's height.
    pub block_number: u64,
    /// Its slot.
    pub slot: u64,
    /// `keccak256` of its six committed public inputs, as the member computed them.
    pub public_inputs_hash: B256,
    /// The member.
    pub signer: Address,
    /// `r ‖ s ‖ v` over the sign-off's EIP-712 digest, 65 bytes.
    pub signature: Bytes,
}

/// One chunk proof of a signed-off block, made by (and paying) one of its signers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChunkProofMessage {
    /// The block's height.
    pub block_number: u64,
    /// Its L1 commitment (`blockLog.publicInputsHash`): a replaced block's proofs never mix.
    pub commitment: B256,
    /// Which chunk, from 0.
    pub chunk: u32,
    /// How many chunks the block is proven in.
    pub chunks: u32,
    /// The state root before the chunk.
    pub from_root: B256,
    /// The state root after it.
    pub to_root: B256,
    /// The prover's index among the block's signers.
    pub prover_index: u32,
    /// The prover, the proof's payee.
    pub payee: Address,
    /// The 256-byte Groth16 proof.
    pub proof: Bytes,
}

/// What the committee topics carry, once the gossip checks passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitteeMessage {
    /// A proposer's block to sign off.
    Request(SignoffRequest),
    /// A member's sign-off.
    Signoff(SignedSignoff),
    /// A member's chunk proof.
    ChunkProof(ChunkProofMessage),
}

/// Why a committee message is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitteeMessageError {
    /// The signature is not a valid 65-byte ECDSA signature.
    #[error("malformed signature: {0}")]
    MalformedSignature(String),
    /// The signature recovers to another address than the one the message names.
    #[error("signed by {recovered}, not by {claimed}")]
    BadSignature {
        /// The address the message names.
        claimed: Address,
        /// The recovered signer.
        recovered: Address,
    },
    /// The slot is more than one slot away from the receiver's current slot.
    #[error("message for slot {slot}, but the current slot is {current}")]
    WrongSlot {
        /// The message's slot.
        slot: u64,
        /// The receiver's current slot.
        current: u64,
    },
    /// A chunk proof's shape is wrong: its length, or its chunk index or count.
    #[error("malformed chunk proof of block {block}: {reason}")]
    MalformedChunkProof {
        /// The block.
        block: u64,
        /// What is wrong.
        reason: String,
    },
}

/// Checks that `slot` is within one slot of `current`.
fn check_slot(slot: u64, current: u64) -> Result<(), CommitteeMessageError> {
    if slot.abs_diff(current) > 1 {
        return Err(CommitteeMessageError::WrongSlot { slot, current });
    }
    Ok(())
}

/// The address `signature` recovers to over `digest`.
fn recover(signature: &[u8], digest: &B256) -> Result<Address, CommitteeMessageError> {
    let malformed = |e: alloy::primitives::SignatureError| {
        CommitteeMessageError::MalformedSignature(e.to_string())
    };
    Signature::try_from(signature)
        .map_err(malformed)?
        .recover_address_from_prehash(digest)
        .map_err(malformed)
}

/// Checks that `signature` over `digest` is `claimed`'s.
fn check_signer(
    signature: &[u8],
    digest: &B256,
    claimed: Address,
) -> Result<(), CommitteeMessageError> {
    let recovered = recover(signature, digest)?;
    if recovered != claimed {
        return Err(CommitteeMessageError::BadSignature { claimed, recovered });
    }
    Ok(())
}

impl SignoffRequest {
    /// The digest the proposer signs: the domain, the network and the whole proposal.
    pub fn digest(block: &BlockProposal, chain_id: u64, rollup: Address) -> B256 {
        keccak256(
            (
                REQUEST_DOMAIN.to_string(),
                chain_id,
                rollup,
                block.to_args().abi_encode(),
            )
                .abi_encode(),
        )
    }

    /// Signs `block` with the proposer's key.
    pub fn sign(
        block: BlockProposal,
        proposer: &PrivateKeySigner,
        chain_id: u64,
        rollup: Address,
    ) -> Result<Self, alloy::signers::Error> {
        let signature = proposer.sign_hash_sync(&Self::digest(&block, chain_id, rollup))?;
        Ok(Self {
            proposer: proposer.address(),
            block,
            signature: Bytes::from(signature.as_bytes().to_vec()),
        })
    }

    /// Checks the proposer's signature and that the slot is within one of `current_slot`.
    pub fn verify(
        &self,
        chain_id: u64,
        rollup: Address,
        current_slot: u64,
    ) -> Result<(), CommitteeMessageError> {
        check_slot(self.block.slot, current_slot)?;
        check_signer(
            &self.signature,
            &Self::digest(&self.block, chain_id, rollup),
            self.proposer,
        )
    }
}

impl SignedSignoff {
    /// Signs off block `block_number` of `slot` with commitment `public_inputs_hash` as `signer`.
    pub fn sign(
        signer: &PrivateKeySigner,
        chain_id: u64,
        rollup: Address,
        block_number: u64,
        slot: u64,
        public_inputs_hash: B256,
    ) -> Result<Self, alloy::signers::Error> {
        let digest = signoff_digest(chain_id, rollup, block_number, slot, public_inputs_hash);
        let signature = signer.sign_hash_sync(&digest)?;
        Ok(Self {
            block_number,
            slot,
            public_inputs_hash,
            signer: signer.address(),
            signature: Bytes::from(signature.as_bytes().to_vec()),
        })
    }

    /// Checks the signer's EIP-712 signature and that the slot is within one of `current_slot`.
    pub fn verify(
        &self,
        chain_id: u64,
        rollup: Address,
        current_slot: u64,
    ) -> Result<(), CommitteeMessageError> {
        check_slot(self.slot, current_slot)?;
        let digest = signoff_digest(
            chain_id,
            rollup,
            self.block_number,
            self.slot,
            self.public_inputs_hash,
        );
        check_signer(&self.signature, &digest, self.signer)
    }
}

impl ChunkProofMessage {
    /// Checks the shape: a 256-byte proof, and a chunk index below a count of at most 256.
    pub fn check_shape(&self) -> Result<(), CommitteeMessageError> {
        let reason = if self.proof.len() != PROOF_BYTES {
            format!("{} proof bytes, not {PROOF_BYTES}", self.proof.len())
        } else if self.chunks == 0 || self.chunks > MAX_CHUNKS_PER_BLOCK {
            format!("{} chunks, not 1..={MAX_CHUNKS_PER_BLOCK}", self.chunks)
        } else if self.chunk >= self.chunks {
            format!("chunk {} of {}", self.chunk, self.chunks)
        } else {
            return Ok(());
        };
        Err(CommitteeMessageError::MalformedChunkProof {
            block: self.block_number,
            reason,
        })
    }
}

/// The committee messages this process received (after the gossip checks) or published itself,
/// for the services that act on them.
#[derive(Debug, Clone)]
pub struct CommitteeFeed {
    sender: broadcast::Sender<CommitteeMessage>,
}

impl Default for CommitteeFeed {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(FEED_CAPACITY).0,
        }
    }
}

impl CommitteeFeed {
    /// Every message from now on (a subscriber that falls behind by more than 1,024 misses the
    /// oldest).
    pub fn subscribe(&self) -> broadcast::Receiver<CommitteeMessage> {
        self.sender.subscribe()
    }

    /// Hands `message` to the subscribers (none: dropped).
    pub(crate) fn deliver(&self, message: CommitteeMessage) {
        let _ = self.sender.send(message);
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::address;

    use super::*;

    const ROLLUP: Address = address!("0x00000000000000000000000000000000000000aa");

    fn block() -> BlockProposal {
        BlockProposal {
            block_number: 7,
            slot: 40,
            prev_state_root: B256::repeat_byte(1),
            new_state_root: B256::repeat_byte(2),
            total_fees: U256::from(30),
            data_hash: U256::from(99),
            data: Bytes::from_static(&[2, 0, 0, 0, 0]),
            upgrade_payload: Address::ZERO,
        }
    }

    #[test]
    fn a_block_proposal_round_trips_through_the_propose_args() {
        let block = block();
        assert_eq!(BlockProposal::from_args(&block.to_args()), block);
        let json = serde_json::to_vec(&block).unwrap();
        assert_eq!(
            serde_json::from_slice::<BlockProposal>(&json).unwrap(),
            block
        );
    }

    /// Attack: a peer forges a request in another proposer's name, alters a signed block, or
    /// replays a request of another network or slot.
    #[test]
    fn requests_verify_only_as_signed() {
        let proposer = PrivateKeySigner::random();
        let request = SignoffRequest::sign(block(), &proposer, 31337, ROLLUP).unwrap();
        request.verify(31337, ROLLUP, 41).unwrap();
        assert!(matches!(
            request.verify(31337, ROLLUP, 42),
            Err(CommitteeMessageError::WrongSlot {
                slot: 40,
                current: 42
            })
        ));
        assert!(request.verify(1, ROLLUP, 40).is_err(), "another chain");
        let mut altered = request.clone();
        altered.block.new_state_root = B256::repeat_byte(3);
        assert!(matches!(
            altered.verify(31337, ROLLUP, 40),
            Err(CommitteeMessageError::BadSignature { .. })
        ));
        let mut forged = request;
        forged.proposer = Address::repeat_byte(9);
        assert!(matches!(
            forged.verify(31337, ROLLUP, 40),
            Err(CommitteeMessageError::BadSignature { .. })
        ));
    }

    #[test]
    fn signoffs_recover_to_their_signer_over_the_rollup_digest() {
        let member = PrivateKeySigner::random();
        let hash = B256::repeat_byte(5);
        let signoff = SignedSignoff::sign(&member, 31337, ROLLUP, 7, 40, hash).unwrap();
        signoff.verify(31337, ROLLUP, 40).unwrap();
        let digest = signoff_digest(31337, ROLLUP, 7, 40, hash);
        assert_eq!(
            recover(&signoff.signature, &digest).unwrap(),
            member.address()
        );
        let mut other = signoff.clone();
        other.public_inputs_hash = B256::repeat_byte(6);
        assert!(matches!(
            other.verify(31337, ROLLUP, 40),
            Err(CommitteeMessageError::BadSignature { .. })
        ));
        let json = serde_json::to_vec(&signoff).unwrap();
        assert_eq!(
            serde_json::from_slice::<SignedSignoff>(&json).unwrap(),
            signoff
        );
    }

    #[test]
    fn chunk_proofs_must_have_their_shape() {
        let good = ChunkProofMessage {
            block_number: 7,
            commitment: B256::repeat_byte(4),
            chunk: 1,
            chunks: 2,
            from_root: B256::repeat_byte(1),
            to_root: B256::repeat_byte(2),
            prover_index: 0,
            payee: Address::repeat_byte(8),
            proof: Bytes::from(vec![0; PROOF_BYTES]),
        };
        good.check_shape().unwrap();
        for broken in [
            ChunkProofMessage {
                proof: Bytes::from(vec![0; 255]),
                ..good.clone()
            },
            ChunkProofMessage {
                chunk: 2,
                ..good.clone()
            },
            ChunkProofMessage {
                chunks: 0,
                chunk: 0,
                ..good.clone()
            },
            ChunkProofMessage {
                chunks: 257,
                ..good.clone()
            },
        ] {
            assert!(matches!(
                broken.check_shape(),
                Err(CommitteeMessageError::MalformedChunkProof { block: 7, .. })
            ));
        }
    }
}
