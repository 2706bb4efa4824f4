//! Proposing: a ranked block in a key's turn, or a backup block with its own proof when a slot
//! stayed empty; both built on the node's state and announced with a signed hint.

use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use fernet_bindings::{ContractResultExt, IRollup};
use fernet_node::{inbox::next_messages, Proposal};
use tracing::{debug, info, warn};

use crate::{
    backup::BackupProver,
    builder::{build_block, BuiltBlock},
    committee::commitment_of,
    error::{Error, Result},
    l1tx::send,
    schedule::RankedKey,
    sequencer::{Sequencer, SlotView},
};

impl Sequencer {
    /// Proposes for the slot with `key` unless the slot already holds a block from a better
    /// rank. Returns whether a block was proposed.
    pub(crate) async fn try_propose(&self, view: &SlotView, key: RankedKey) -> Result<bool> {
        let rollup = self.rollup();
        let (tip, tip_log) = self.pending_tip().await?;
        let prunes = rollup.canPrune().call().await.decoded("Rollup.canPrune")?;
        let parent = if prunes {
            // The proposal prunes first: build on the proven tip.
            rollup
                .provenTip()
                .call()
                .await
                .decoded("Rollup.provenTip")?
                .saturating_to::<u64>()
        } else if tip > 0 && tip_log.slot == view.slot {
            if view
                .rank_of(tip_log.proposer)
                .is_none_or(|holder| holder <= key.rank)
            {
                debug!(slot = view.slot, holder = %tip_log.proposer, "slot already has a block from a better rank");
                return Ok(false);
            }
            tip - 1
        } else {
            tip
        };
        let proposer = self.validators[key.key].signer.address();
        let built = self.build_on(parent, view.slot, proposer).await?;
        let number = built.block.number;
        let txs = built.tx_hashes.len();
        let args = built.propose_args(self.config.upgrade_payload);
        let state_root = args.header.newStateRoot;
        let receipt = match &self.committee {
            None => {
                send(
                    self.sender(key.key),
                    self.rollup().propose(args),
                    "Rollup.propose",
                )
                .await?
            }
            Some(mode) => {
                let commitment = commitment_of(&built.witness);
                let (args, signoffs) = self
                    .signed_proposal(mode, view, key.key, &args, commitment)
                    .await?;
                send(
                    self.sender(key.key),
                    self.committee_rollup().proposeWithSignoffs(args, signoffs),
                    "CommitteeRollup.proposeWithSignoffs",
                )
                .await?
            }
        };
        let latency = self.now().saturating_sub(Duration::from_secs(view.start));
        self.metrics.proposed(latency);
        self.announce(
            key.key,
            number,
            view.slot,
            receipt.transaction_hash,
            state_root,
        );
        info!(
            block = number,
            slot = view.slot,
            rank = key.rank,
            %proposer,
            txs,
            replaced = parent + 1 == tip,
            latency_ms = latency.as_millis() as u64,
            tx = %receipt.transaction_hash,
            gas = receipt.gas_used,
            "proposed"
        );
        Ok(true)
    }

    /// The slot of the node's pending tip (as of the last L1 head it followed), if it has one.
    pub(crate) fn local_tip_slot(&self) -> Option<u64> {
        let chain = self.node.chain.read();
        chain.block(chain.pending_tip()).map(|block| block.slot)
    }

    /// L1's pending tip and its block log.
    async fn pending_tip(&self) -> Result<(u64, IRollup::BlockLog)> {
        let rollup = self.rollup();
        let tip = rollup
            .pendingTip()
            .call()
            .await
            .decoded("Rollup.pendingTip")?
            .saturating_to::<u64>();
        let log = rollup
            .blockLog(U256::from(tip))
            .call()
            .await
            .decoded("Rollup.blockLog")?;
        Ok((tip, log))
    }

    /// Publishes a signed hint that block `number` was proposed, so that nodes poll L1 at once.
    fn announce(&self, key: usize, number: u64, slot: u64, l1_tx_hash: B256, state_root: B256) {
        let l1 = &self.node.l1;
        let signer = &self.validators[key].signer;
        let proposal = Proposal {
            block_number: number,
            slot,
            l1_tx_hash,
            state_root,
            proposer: signer.address(),
        };
        match proposal.sign(signer, l1.chain_id, l1.deployment.rollup.address) {
            Ok(hint) => self.node.network.proposal(&hint),
            Err(error) => warn!(block = number, %error, "cannot sign the proposal hint"),
        }
    }

    /// Builds block `parent + 1` for `slot`, proposed by `proposer`, on the node's state after
    /// `parent`, checking that state against the root L1 holds for `parent`.
    async fn build_on(&self, parent: u64, slot: u64, proposer: Address) -> Result<BuiltBlock> {
        let chain = &self.node.chain;
        let mut state = chain.state_after(parent);
        for _ in 0..20 {
            if state.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            state = chain.state_after(parent);
        }
        let state = state.ok_or(Error::ParentNotSynced {
            parent,
            synced: chain.pending_tip(),
        })?;
        let parent_log = self
            .rollup()
            .blockLog(U256::from(parent))
            .call()
            .await
            .decoded("Rollup.blockLog")?;
        let l1_root = parent_log.stateRoot;
        let local = B256::from(fernet_state::fr_to_be_bytes(&state.state_root()));
        if local != l1_root {
            return Err(Error::ParentMismatch {
                parent,
                local,
                l1: l1_root,
            });
        }
        let capacity = state.config().max_txs_per_block;
        let candidates = self
            .node
            .pool
            .pending(4 * capacity)
            .into_iter()
            .map(|pooled| (pooled.hash, pooled.effect));
        let messages = next_messages(&self.inbox(), parent_log.inboxCursor).await?;
        build_block(&state, parent + 1, slot, proposer, messages, candidates)
    }

    /// Backup mode: after the proposal window of an empty slot, builds a block, gets its proof
    /// from the broker and submits it with `proposeWithProof`, sent by `key` (the proof's
    /// payee), while the backup window is open.
    pub(crate) async fn backup_duty(
        &self,
        view: &SlotView,
        backup: &BackupProver,
        key: usize,
    ) -> Result<()> {
        // What the node already knows costs no L1 request: nothing to include, or a block in
        // the slot (L1 is asked only when the slot looks empty).
        if self.node.pool.pending(1).is_empty()
            || self.local_tip_slot().is_some_and(|slot| slot >= view.slot)
        {
            return Ok(());
        }
        let rollup = self.rollup();
        let (tip, tip_log) = self.pending_tip().await?;
        if tip_log.slot >= view.slot {
            return Ok(());
        }
        if rollup.canPrune().call().await.decoded("Rollup.canPrune")? {
            return Ok(());
        }
        let sender = self.validators[key].signer.address();
        let built = self.build_on(tip, view.slot, sender).await?;
        let number = built.block.number;
        info!(
            block = number,
            slot = view.slot,
            "slot left empty: proving a backup block"
        );
        let proof = backup.prove(view.epoch, &built.witness, sender).await?;
        let args = built.propose_args(Address::ZERO);
        let state_root = args.header.newStateRoot;
        let receipt = send(
            self.sender(key),
            self.rollup().proposeWithProof(args, proof.into()),
            "Rollup.proposeWithProof",
        )
        .await?;
        let latency = self.now().saturating_sub(Duration::from_secs(view.start));
        self.metrics.proposed(latency);
        self.announce(key, number, view.slot, receipt.transaction_hash, state_root);
        info!(
            block = number,
            slot = view.slot,
            tx = %receipt.transaction_hash,
            gas = receipt.gas_used,
            "backup block proposed with its proof"
        );
        Ok(())
    }
}
