//! The sequencer's slot loop: for every slot, rank, propose when it is this sequencer's turn,
//! claim the previous epoch's proof right (or replace its claim with a cheaper quote), fall back
//! to backup mode when a slot stays empty, and write the epoch's randomness checkpoint when
//! nobody has.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy::{
    primitives::{Address, B256, U256},
    providers::DynProvider,
    signers::local::PrivateKeySigner,
};
use fernet_bindings::{ContractResultExt, IFeeInbox, IProverEscrow, IRollup, Rankings, Staking};
use fernet_node::{inbox::next_messages, Node, Proposal};
use fernet_primitives::SignedQuote;
use tracing::{debug, info, warn};

use crate::{
    backup::BackupProver,
    builder::{build_block, BuiltBlock},
    error::{Error, Result},
    l1tx::confirmed,
    quotes::{ClaimContext, QuotePolicy, QuoteProviderClient, StandingClaim},
    schedule::SlotSchedule,
};

/// `IRollup.ClaimStatus.Claimed`: the epoch has a claim whose proof is outstanding.
const CLAIM_STATUS_CLAIMED: u8 = 1;
/// `IRollup.ClaimStatus.None`: nobody claimed the epoch.
const CLAIM_STATUS_NONE: u8 = 0;

/// What a sequencer needs besides its node.
pub struct SequencerConfig {
    /// The sequencer's key: it signs `provider`'s transactions and the proposal hints it
    /// publishes on the p2p network.
    pub signer: PrivateKeySigner,
    /// The upgrade payload it votes for in every proposal (`Address::ZERO`: no vote).
    pub upgrade_payload: Address,
    /// Delay between ranks stepping in.
    pub step: Duration,
    /// Time an L1 transaction needs to land.
    pub inclusion_margin: Duration,
    /// Optional extra source of quotes.
    pub quote_provider: Option<QuoteProviderClient>,
    /// Optional prover for backup blocks (through a broker).
    pub backup: Option<BackupProver>,
    /// Only fill empty slots in backup mode (an unstaked sequencer: no ranked proposals, no
    /// claims).
    pub backup_only: bool,
}

/// A running sequencer.
pub struct Sequencer {
    node: Arc<Node>,
    provider: DynProvider,
    config: SequencerConfig,
    policy: Box<dyn QuotePolicy>,
    rankings: Rankings<DynProvider>,
}

/// The L1 view of one slot that the duties act on.
struct SlotView {
    slot: u64,
    epoch: u64,
    start: u64,
    rank: usize,
    ranking: Vec<Address>,
}

impl Sequencer {
    /// A sequencer on `node`, sending transactions with `provider` (which signs for
    /// `config.signer`) and claiming with `policy`.
    pub fn new(
        node: Arc<Node>,
        provider: DynProvider,
        config: SequencerConfig,
        policy: Box<dyn QuotePolicy>,
    ) -> Self {
        let l1 = &node.l1;
        let rankings = Rankings::new(
            l1.provider.clone(),
            l1.deployment.rollup.address,
            l1.deployment.staking.address,
            l1.clock.epoch_duration,
        );
        Self {
            node,
            provider,
            config,
            policy,
            rankings,
        }
    }

    fn rollup(&self) -> IRollup::IRollupInstance<DynProvider> {
        IRollup::new(
            self.node.l1.deployment.rollup.address,
            self.provider.clone(),
        )
    }

    fn inbox(&self) -> IFeeInbox::IFeeInboxInstance<DynProvider> {
        IFeeInbox::new(
            self.node.l1.deployment.fee_inbox.address,
            self.provider.clone(),
        )
    }

    /// Runs the slot loop forever (until the task is dropped). Errors of one slot are logged and
    /// the loop goes on with the next.
    pub async fn run(&self) -> Result<()> {
        let clock = self.node.l1.clock;
        let mut slot = clock.slot_at(now_secs());
        loop {
            if let Err(error) = self.on_slot(slot).await {
                warn!(slot, %error, "slot duty failed");
            }
            // Wait for the next slot (never run a slot twice, never skip one silently).
            let next = slot + 1;
            sleep_until(clock.slot_start(next)).await;
            let current = clock.slot_at(now_secs());
            if current > next {
                warn!(
                    missed = current - next,
                    "fell behind: skipping to the current slot"
                );
            }
            slot = current.max(next);
        }
    }

    async fn on_slot(&self, slot: u64) -> Result<()> {
        let clock = self.node.l1.clock;
        let epoch = clock.epoch_of(slot);
        let start = clock.slot_start(slot);
        let schedule = self.schedule().await?;
        // Backup mode (and the checkpoint duty) opens when the proposal window closes: a staker
        // takes it in its rank's fallback turn, a backup-only sequencer (no rank) at once.
        let mut fallback = schedule.fallback_offset(0);
        let mut ranked = false;
        if !self.config.backup_only {
            if let Some(view) = self.ranked_view(slot, epoch, start).await? {
                ranked = true;
                fallback = schedule.fallback_offset(view.rank);
                self.staker_duties(&view, &schedule).await;
            }
        }
        sleep_until_offset(start, fallback).await;
        if let Some(backup) = &self.config.backup {
            if let Err(error) = self.backup_duty(slot, epoch, backup).await {
                warn!(slot, %error, "backup block failed");
            }
        }
        // A staker not ranked yet (entry period, snapshot lag) leaves it to the others.
        if ranked || self.config.backup_only {
            if let Err(error) = self.checkpoint_duty(slot, epoch).await {
                warn!(slot, epoch, %error, "randomness checkpoint failed");
            }
        }
        Ok(())
    }

    /// Writes the current epoch's randomness checkpoint when no transaction of the epoch did yet
    /// (every proposal, claim, proof and prune writes it first, so this sends only in an epoch
    /// whose slots so far stayed empty). It runs after the slot's proposal window and backup
    /// block, staggered by rank, so the first live sequencer writes it and the others find it
    /// written: later seeds then never fall back to an older checkpoint.
    async fn checkpoint_duty(&self, slot: u64, epoch: u64) -> Result<()> {
        let rollup = self.rollup();
        // Simulated first: `written` is false when the checkpoint exists (no transaction then).
        let would_write = rollup
            .checkpointRandomness()
            .call()
            .await
            .decoded("Rollup.checkpointRandomness (simulated)")?;
        if !would_write {
            return Ok(());
        }
        let receipt = confirmed(
            rollup.checkpointRandomness().send().await,
            "Rollup.checkpointRandomness",
        )
        .await?;
        info!(
            slot,
            epoch,
            tx = %receipt.transaction_hash,
            gas = receipt.gas_used,
            "randomness checkpoint written (nobody had in this epoch)"
        );
        Ok(())
    }

    /// When in a slot the duties happen, from the rollup's proposal window and this
    /// sequencer's step and margin.
    async fn schedule(&self) -> Result<SlotSchedule> {
        let config = self
            .rollup()
            .config()
            .call()
            .await
            .decoded("Rollup.config")?;
        Ok(SlotSchedule {
            proposal_window: Duration::from_secs(config.proposalWindow.saturating_to()),
            step: self.config.step,
            inclusion_margin: self.config.inclusion_margin,
        })
    }

    /// This sequencer's place in the slot's ranking, `None` when it may not propose in the
    /// slot's epoch or is not ranked.
    async fn ranked_view(&self, slot: u64, epoch: u64, start: u64) -> Result<Option<SlotView>> {
        let staking = Staking::new(
            self.node.l1.deployment.staking.address,
            self.provider.clone(),
        );
        let me = self.config.signer.address();
        if !staking
            .canPropose(me, U256::from(epoch))
            .call()
            .await
            .decoded("Staking.canPropose")?
        {
            debug!(slot, epoch, "not eligible to propose in this epoch");
            return Ok(None);
        }
        let ranking = self.rankings.ranking(slot).await?;
        Ok(ranking.iter().position(|p| *p == me).map(|rank| SlotView {
            slot,
            epoch,
            start,
            rank,
            ranking,
        }))
    }

    /// A ranked staker's duties in its slot: propose in its rank's turn, then claim the
    /// previous epoch's proof right (right after its own proposal, and again in its fallback
    /// turn for a claim nobody made).
    async fn staker_duties(&self, view: &SlotView, schedule: &SlotSchedule) {
        let mut proposed = false;
        if let Some(offset) = schedule.proposal_offset(view.rank, elapsed_since(view.start)) {
            sleep_until_offset(view.start, offset).await;
            match self.try_propose(view).await {
                Ok(done) => proposed = done,
                Err(error) => warn!(slot = view.slot, rank = view.rank, %error, "proposal failed"),
            }
        }
        if proposed {
            self.claim_duty(view).await;
        }
        sleep_until_offset(view.start, schedule.fallback_offset(view.rank)).await;
        self.claim_duty(view).await;
    }

    /// Proposes for the slot unless it already holds a block from a higher rank. Returns whether
    /// a block was proposed.
    async fn try_propose(&self, view: &SlotView) -> Result<bool> {
        let rollup = self.rollup();
        let tip = rollup
            .pendingTip()
            .call()
            .await
            .decoded("Rollup.pendingTip")?
            .saturating_to::<u64>();
        let tip_log = rollup
            .blockLog(U256::from(tip))
            .call()
            .await
            .decoded("Rollup.blockLog")?;
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
            let holder_rank = view.ranking.iter().position(|p| *p == tip_log.proposer);
            if holder_rank.is_none_or(|r| r <= view.rank) {
                debug!(slot = view.slot, holder = %tip_log.proposer, "slot already has a block from a higher rank");
                return Ok(false);
            }
            tip - 1
        } else {
            tip
        };
        let built = self.build_on(parent, view.slot).await?;
        let number = built.block.number;
        let txs = built.tx_hashes.len();
        let args = built.propose_args(self.config.upgrade_payload);
        let state_root = args.header.newStateRoot;
        let receipt = confirmed(rollup.propose(args).send().await, "Rollup.propose").await?;
        self.announce(number, view.slot, receipt.transaction_hash, state_root);
        info!(
            block = number,
            slot = view.slot,
            rank = view.rank,
            txs,
            replaced = parent + 1 == tip,
            tx = %receipt.transaction_hash,
            gas = receipt.gas_used,
            "proposed"
        );
        Ok(true)
    }

    /// Publishes a signed hint that block `number` was proposed, so that nodes poll L1 at once.
    fn announce(&self, number: u64, slot: u64, l1_tx_hash: B256, state_root: B256) {
        let l1 = &self.node.l1;
        let proposal = Proposal {
            block_number: number,
            slot,
            l1_tx_hash,
            state_root,
            proposer: self.config.signer.address(),
        };
        match proposal.sign(
            &self.config.signer,
            l1.chain_id,
            l1.deployment.rollup.address,
        ) {
            Ok(hint) => self.node.network.proposal(&hint),
            Err(error) => warn!(block = number, %error, "cannot sign the proposal hint"),
        }
    }

    /// Builds block `parent + 1` for `slot` on the node's state after `parent`, checking that
    /// state against the root L1 holds for `parent`.
    async fn build_on(&self, parent: u64, slot: u64) -> Result<BuiltBlock> {
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
        build_block(
            &state,
            parent + 1,
            slot,
            self.config.signer.address(),
            messages,
            candidates,
        )
    }

    /// Claims the previous epoch's proof right with the best claimable quote, if this slot is in
    /// its claim window, or replaces its claim with a strictly cheaper quote. Failures are logged:
    /// another sequencer may have claimed first.
    async fn claim_duty(&self, view: &SlotView) {
        if view.epoch == 0 {
            return;
        }
        if let Err(error) = self.try_claim(view, view.epoch - 1).await {
            warn!(slot = view.slot, epoch = view.epoch - 1, %error, "claim failed");
        }
    }

    async fn try_claim(&self, view: &SlotView, target: u64) -> Result<()> {
        let rollup = self.rollup();
        let deadline = rollup
            .claimDeadline(U256::from(target))
            .call()
            .await
            .decoded("Rollup.claimDeadline")?
            .saturating_to::<u64>();
        if view.slot > deadline {
            return Ok(());
        }
        let claim = rollup
            .claimOf(U256::from(target))
            .call()
            .await
            .decoded("Rollup.claimOf")?;
        let standing = match claim.status {
            CLAIM_STATUS_NONE => None,
            CLAIM_STATUS_CLAIMED => Some(StandingClaim {
                prover: claim.prover,
                bond: U256::from(claim.bondAmount),
                basis_point_fee: claim.basisPointFee,
            }),
            // Proven, slashed or cancelled: nothing left to claim.
            _ => return Ok(()),
        };
        if standing.is_some_and(|claim| claim.basis_point_fee == 0) {
            // A zero fee cannot be undercut.
            return Ok(());
        }
        let epoch_log = rollup
            .epochLog(U256::from(target))
            .call()
            .await
            .decoded("Rollup.epochLog")?;
        let proven = rollup
            .provenTip()
            .call()
            .await
            .decoded("Rollup.provenTip")?
            .saturating_to::<u64>();
        if epoch_log.blockCount == 0 {
            return Ok(());
        }
        let last = epoch_log.firstBlock + u64::from(epoch_log.blockCount) - 1;
        if last <= proven {
            return Ok(());
        }
        let config = rollup.config().call().await.decoded("Rollup.config")?;
        let context = ClaimContext {
            rollup: self.node.l1.deployment.rollup.address,
            chain_id: self.node.l1.chain_id,
            epoch: target,
            slot: view.slot,
            minimum_bond: config.minimumProverBond,
            max_fee: config.maxProverFeeBps.saturating_to(),
            standing,
        };
        let mut quotes = self.node.pool.quotes(target);
        if let Some(provider) = &self.config.quote_provider {
            match provider.fetch(target).await {
                Ok(extra) => quotes.extend(extra),
                Err(error) => warn!(%error, "quote provider failed"),
            }
        }
        let acceptable: Vec<SignedQuote> =
            quotes.into_iter().filter(|q| context.accepts(q)).collect();
        let claimable = self.backed_quotes(&context, acceptable).await?;
        let offered = claimable.len();
        let Some(chosen) = self.policy.choose(claimable) else {
            debug!(
                epoch = target,
                replacing = standing.is_some(),
                "no claimable quote"
            );
            return Ok(());
        };
        let receipt = confirmed(
            rollup.claimEpochProofRight(chosen.to_sol()).send().await,
            "Rollup.claimEpochProofRight",
        )
        .await?;
        match standing {
            None => info!(
                epoch = target,
                prover = %chosen.quote.prover,
                fee_bps = chosen.quote.basis_point_fee,
                bond = %chosen.quote.bond_amount,
                offered,
                tx = %receipt.transaction_hash,
                "claimed epoch proof right"
            ),
            Some(replaced) => info!(
                epoch = target,
                prover = %chosen.quote.prover,
                fee_bps = chosen.quote.basis_point_fee,
                bond = %chosen.quote.bond_amount,
                replaced_prover = %replaced.prover,
                replaced_fee_bps = replaced.basis_point_fee,
                offered,
                tx = %receipt.transaction_hash,
                "replaced the epoch's claim with a cheaper quote"
            ),
        }
        Ok(())
    }

    /// The quotes among `quotes` whose prover's free escrow (`freeBalanceOf`, read once per
    /// prover) can lock their bond at claim time.
    async fn backed_quotes(
        &self,
        context: &ClaimContext,
        quotes: Vec<SignedQuote>,
    ) -> Result<Vec<SignedQuote>> {
        let escrow = IProverEscrow::new(
            self.node.l1.deployment.prover_escrow.address,
            self.node.l1.provider.clone(),
        );
        let mut free: HashMap<Address, U256> = HashMap::new();
        let mut backed = Vec::with_capacity(quotes.len());
        for quote in quotes {
            let prover = quote.quote.prover;
            let balance = match free.get(&prover) {
                Some(balance) => *balance,
                None => {
                    let balance = escrow
                        .freeBalanceOf(prover)
                        .call()
                        .await
                        .decoded("ProverEscrow.freeBalanceOf")?;
                    free.insert(prover, balance);
                    balance
                }
            };
            if context.backed(&quote, balance) {
                backed.push(quote);
            } else {
                debug!(epoch = context.epoch, %prover, free = %balance, bond = %quote.quote.bond_amount, "quote not backed by the prover's free escrow");
            }
        }
        Ok(backed)
    }

    /// Backup mode: after the proposal window of an empty slot, builds a block, gets its proof
    /// from the broker and submits it with `proposeWithProof` while the backup window is open.
    async fn backup_duty(&self, slot: u64, epoch: u64, backup: &BackupProver) -> Result<()> {
        let rollup = self.rollup();
        let tip = rollup
            .pendingTip()
            .call()
            .await
            .decoded("Rollup.pendingTip")?
            .saturating_to::<u64>();
        let tip_log = rollup
            .blockLog(U256::from(tip))
            .call()
            .await
            .decoded("Rollup.blockLog")?;
        if tip_log.slot >= slot || self.node.pool.pending(1).is_empty() {
            return Ok(());
        }
        if rollup.canPrune().call().await.decoded("Rollup.canPrune")? {
            return Ok(());
        }
        let built = self.build_on(tip, slot).await?;
        let number = built.block.number;
        info!(
            block = number,
            slot = slot,
            "slot left empty: proving a backup block"
        );
        let proof = backup.prove(epoch, &built.witness).await?;
        let args = built.propose_args(Address::ZERO);
        let state_root = args.header.newStateRoot;
        let receipt = confirmed(
            rollup.proposeWithProof(args, proof.into()).send().await,
            "Rollup.proposeWithProof",
        )
        .await?;
        self.announce(number, slot, receipt.transaction_hash, state_root);
        info!(
            block = number,
            slot = slot,
            tx = %receipt.transaction_hash,
            gas = receipt.gas_used,
            "backup block proposed with its proof"
        );
        Ok(())
    }
}

/// Seconds since the UNIX epoch.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Time since the UNIX time `start` (zero before it).
fn elapsed_since(start: u64) -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH + Duration::from_secs(start))
        .unwrap_or_default()
}

/// Sleeps until the UNIX time `timestamp` (returns at once if it has passed).
async fn sleep_until(timestamp: u64) {
    sleep_until_offset(timestamp, Duration::ZERO).await;
}

/// Sleeps until `offset` after the UNIX time `start`.
async fn sleep_until_offset(start: u64, offset: Duration) {
    let target = UNIX_EPOCH + Duration::from_secs(start) + offset;
    if let Ok(wait) = target.duration_since(SystemTime::now()) {
        tokio::time::sleep(wait).await;
    }
}
