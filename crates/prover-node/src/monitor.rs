//! The epoch monitor (seed 003's `EpochMonitor`): the prover node's main loop.
//!
//! Every `PROVER_NODE_POLLING_INTERVAL_MS` it reads a snapshot of the unproven chain from L1 and,
//! per unproven epoch:
//!
//! - **claims**: a claim naming this prover makes the epoch ours; another prover's claim makes
//!   the monitor drop the epoch, also when it replaced ours with a cheaper quote during the claim
//!   window (the claim auction: our bond is free again, and proofs made for us as payee could not
//!   be submitted for that claim); an epoch whose claim window passed unclaimed is proven when
//!   `PROVER_OPEN_PROVING` is on (the first valid proof wins); the queued jobs of a dropped
//!   epoch (claimed by another, proven, pruned) are withdrawn from the broker at the end of the
//!   tick (`broker_cancelJob`), so agents spend no proof on them;
//! - **proving** starts speculatively, as soon as a block can no longer be replaced (its slot's
//!   proposal window closed), for every epoch the prover might prove: one job per block on the
//!   broker, through the [`Orchestrator`];
//! - **quotes**: for the last ended epoch, unclaimed and inside its claim window, once every block
//!   checked out against its L1 commitment (data available, data hash and state root valid): ask
//!   the quote provider, top the escrow up, sign, and pool and publish over p2p, once;
//! - **submission**: once every block of an ended epoch we may prove is proven and it is the
//!   oldest unproven epoch, `submitEpochProof` before its deadline (never twice: the submitter
//!   checks the proven tip first). The proof covers every unproven block of the epoch: when
//!   someone proved a prefix of it (`EpochProven` up to a block inside the epoch), the epoch's
//!   remaining blocks are what the snapshot holds, and what is submitted.
//!
//! The per-epoch state is in memory only; everything it decides on is re-read from L1 each tick,
//! and jobs are idempotent on the broker, so a restart loses nothing but a little time.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use alloy::primitives::{Address, U256};
use tokio::sync::watch;
use tracing::{debug, error, info, warn};

use crate::{
    bond::{BondManager, BondOutcome},
    delivery::QuoteDelivery,
    l1::{Claim, RollupView, Snapshot},
    metrics::Metrics,
    orchestrator::{EpochStatus, Orchestrator, ProvableBlock, ProvingBroker, WitnessSource},
    quote::QuoteSigner,
    quote_provider::{QuoteProvider, QuoteRequest, QuoteTerms},
    submit::{ProofSubmitter, SubmitOutcome},
    Error, Result,
};

/// How the monitor behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorSettings {
    /// This prover.
    pub prover: Address,
    /// The bond checked at start-up (the fixed quote bond).
    pub startup_bond: U256,
    /// Whether unclaimed epochs are proven once their claim window has passed.
    pub open_proving: bool,
    /// Tick period.
    pub polling_interval: Duration,
}

/// Everything the monitor drives.
#[derive(Debug)]
pub struct MonitorParts<Q, W, B> {
    /// Reads the rollup.
    pub view: RollupView,
    /// Decides the quote terms.
    pub quotes: Q,
    /// Signs quotes.
    pub signer: QuoteSigner,
    /// Pools and publishes quotes.
    pub delivery: QuoteDelivery,
    /// Keeps the escrow topped up.
    pub bonds: BondManager,
    /// Sends epoch proofs.
    pub submitter: ProofSubmitter,
    /// Runs the proving jobs.
    pub orchestrator: Orchestrator<W, B>,
    /// Behaviour.
    pub settings: MonitorSettings,
    /// Counters.
    pub metrics: Arc<Metrics>,
}

/// Whether the quote of an epoch was sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum QuoteState {
    /// Not yet (or the last attempt failed and is retried).
    #[default]
    NotSent,
    /// Delivered to at least one node.
    Sent,
    /// No quote for this epoch (declined, or no node to send it to).
    Declined,
}

/// What the monitor remembers of one epoch, so that it decides and logs each thing once.
#[derive(Debug, Clone, Default)]
struct EpochProgress {
    quote: QuoteState,
    /// The claim's prover when last seen (logged when it changes).
    claimed_by: Option<Address>,
    open_logged: bool,
    reported: Option<(usize, usize, usize)>,
    problems: usize,
    submitted: bool,
}

/// The prover node's main loop.
#[derive(Debug)]
pub struct EpochMonitor<Q, W, B> {
    parts: MonitorParts<Q, W, B>,
    epochs: BTreeMap<u64, EpochProgress>,
}

impl<Q, W, B> EpochMonitor<Q, W, B>
where
    Q: QuoteProvider,
    W: WitnessSource,
    B: ProvingBroker,
{
    /// A monitor over `parts`.
    pub fn new(parts: MonitorParts<Q, W, B>) -> Self {
        Self {
            parts,
            epochs: BTreeMap::new(),
        }
    }

    /// Checks the escrow, then ticks every polling interval until `shutdown` turns true.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let bond = self.parts.settings.startup_bond;
        match self.parts.bonds.ensure_bond(bond).await {
            Ok(BondOutcome::Sufficient { free }) => info!(%free, "escrow balance sufficient"),
            Ok(BondOutcome::ToppedUp { deposited, free }) => {
                info!(%deposited, %free, "escrow topped up at start-up")
            }
            Err(error) => {
                self.parts.metrics.failures.increment(1);
                error!(%error, "cannot top the escrow up: quotes will retry before sending");
            }
        }
        let mut interval = tokio::time::interval(self.parts.settings.polling_interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !*shutdown.borrow() {
            tokio::select! {
                _ = interval.tick() => {
                    if let Err(error) = self.tick().await {
                        warn!(%error, "epoch monitor tick failed");
                    }
                }
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        info!("epoch monitor stopped");
    }

    /// One pass over every unproven epoch.
    pub async fn tick(&mut self) -> Result<()> {
        let snapshot = self.parts.view.snapshot().await?;
        let mut by_epoch: BTreeMap<u64, Vec<ProvableBlock>> = BTreeMap::new();
        let clock = self.parts.view.windows().clock;
        for block in &snapshot.unproven {
            by_epoch
                .entry(clock.epoch_of(block.slot))
                .or_default()
                .push(*block);
        }
        self.parts
            .orchestrator
            .retain(|epoch| by_epoch.contains_key(&epoch));
        self.epochs.retain(|epoch, _| by_epoch.contains_key(epoch));
        let oldest = by_epoch.keys().next().copied();
        for (epoch, blocks) in &by_epoch {
            let mut progress = self.epochs.remove(epoch).unwrap_or_default();
            let result = self
                .handle_epoch(
                    &snapshot,
                    *epoch,
                    blocks,
                    Some(*epoch) == oldest,
                    &mut progress,
                )
                .await;
            self.epochs.insert(*epoch, progress);
            if let Err(error) = result {
                warn!(epoch, %error, "epoch step failed");
            }
        }
        let withdrawn = self.parts.orchestrator.cancel_abandoned().await;
        if withdrawn > 0 {
            info!(
                jobs = withdrawn,
                "queued jobs of dropped epochs withdrawn from the broker"
            );
        }
        Ok(())
    }

    /// Claim watching, proving, quoting and submitting for one epoch.
    async fn handle_epoch(
        &mut self,
        snapshot: &Snapshot,
        epoch: u64,
        blocks: &[ProvableBlock],
        oldest: bool,
        progress: &mut EpochProgress,
    ) -> Result<()> {
        let windows = *self.parts.view.windows();
        let settings = self.parts.settings.clone();
        let ended = epoch < snapshot.epoch;
        let in_claim_window = snapshot.slot <= windows.claim_deadline(epoch);
        let claim = self.parts.view.claim(epoch).await?;
        let ours = match claim {
            Claim::Claimed {
                prover,
                bond_amount,
                basis_point_fee,
            } if prover == settings.prover => {
                if progress.claimed_by != Some(prover) {
                    progress.claimed_by = Some(prover);
                    self.parts.metrics.epochs_claimed.increment(1);
                    info!(epoch, bond = %bond_amount, basis_point_fee, "epoch claimed with our quote: proving it");
                }
                true
            }
            Claim::Claimed {
                prover,
                basis_point_fee,
                ..
            } => {
                let before = progress.claimed_by.replace(prover);
                if before == Some(settings.prover) {
                    self.parts.metrics.claims_replaced.increment(1);
                    warn!(epoch, %prover, basis_point_fee, "our claim was replaced by a cheaper quote: stopped proving the epoch");
                } else if before != Some(prover) {
                    info!(epoch, %prover, "epoch claimed by another prover: not proving it");
                }
                self.parts.orchestrator.forget(epoch);
                return Ok(());
            }
            Claim::Settled => {
                self.parts.orchestrator.forget(epoch);
                return Ok(());
            }
            Claim::Unclaimed => false,
        };
        let open = !ours && !in_claim_window && settings.open_proving;
        if open && !progress.open_logged {
            progress.open_logged = true;
            info!(epoch, "claim window passed unclaimed: open proving");
        }
        let may_quote = !ours && in_claim_window && progress.quote != QuoteState::Declined;
        let wanted = ours || open || may_quote || (in_claim_window && settings.open_proving);
        if !wanted {
            self.parts.orchestrator.forget(epoch);
            return Ok(());
        }

        let final_blocks: Vec<ProvableBlock> = blocks
            .iter()
            .filter(|block| windows.is_final(block.slot, snapshot.timestamp))
            .copied()
            .collect();
        let status = self
            .parts
            .orchestrator
            .advance(epoch, &final_blocks)
            .await?;
        self.report(epoch, &status, progress);

        let complete = ended && final_blocks.len() == blocks.len();
        if complete && may_quote && progress.quote == QuoteState::NotSent {
            if let Some(summary) = self.parts.orchestrator.summary(epoch, blocks) {
                let request = QuoteRequest {
                    epoch_number: epoch,
                    from_block: blocks.first().map_or(0, |block| block.number),
                    to_block: blocks.last().map_or(0, |block| block.number),
                    tx_count: summary.tx_count,
                    total_fees: summary.total_fees,
                    valid_until_slot: None,
                };
                progress.quote = self.send_quote(request).await;
            }
        }

        let may_submit = complete && oldest && (ours || open);
        if may_submit && !progress.submitted {
            if let Some(proof) = self.parts.orchestrator.epoch_proof(epoch, blocks) {
                info!(
                    epoch,
                    blocks = blocks.len(),
                    first = proof.first_block,
                    last = proof.last_block,
                    "epoch proof ready: submitting"
                );
                match self.parts.submitter.submit(&proof).await {
                    Ok(SubmitOutcome::Submitted {
                        tx_hash,
                        gas_used,
                        l1_block,
                    }) => {
                        progress.submitted = true;
                        self.parts.metrics.proofs_submitted.increment(1);
                        info!(epoch, tx = %tx_hash, gas = gas_used, l1_block, "epoch proof submitted");
                    }
                    Ok(SubmitOutcome::AlreadyProven { proven_tip }) => {
                        progress.submitted = true;
                        info!(
                            epoch,
                            proven_tip, "epoch already proven by another submitter"
                        );
                    }
                    Ok(SubmitOutcome::PastDeadline { deadline, slot }) => {
                        progress.submitted = true;
                        self.parts.metrics.failures.increment(1);
                        warn!(
                            epoch,
                            deadline, slot, "epoch proof ready after its deadline: not submitted"
                        );
                    }
                    Err(error) => {
                        self.parts.metrics.failures.increment(1);
                        warn!(epoch, %error, "epoch proof submission failed: retrying next tick");
                    }
                }
            }
        }
        Ok(())
    }

    /// Logs proving progress when it changes, and new problems; counts jobs and proofs.
    fn report(&self, epoch: u64, status: &EpochStatus, progress: &mut EpochProgress) {
        let metrics = &self.parts.metrics;
        metrics
            .jobs_enqueued
            .increment(status.newly_enqueued as u64);
        metrics
            .block_proofs_received
            .increment(status.newly_proven as u64);
        if status.newly_enqueued > 0 {
            info!(
                epoch,
                enqueued = status.newly_enqueued,
                jobs = status.enqueued,
                "proving jobs enqueued"
            );
        }
        let counts = (status.enqueued, status.proven, status.failed);
        if progress.reported != Some(counts) && status.newly_proven > 0 {
            info!(
                epoch,
                proven = status.proven,
                jobs = status.enqueued,
                "block proofs received"
            );
        }
        progress.reported = Some(counts);
        for problem in &status.problems {
            let retried = matches!(problem, Error::JobFailed { .. });
            let terminal = matches!(
                problem,
                Error::WrongPublicInputs { .. } | Error::WrongProofLength { .. }
            );
            if retried {
                metrics.failures.increment(1);
                warn!(epoch, error = %problem, "proving job used up its attempts: retried with a new generation");
            } else if terminal {
                metrics.failures.increment(1);
                error!(epoch, error = %problem, "block cannot be proven");
            } else if status.problems.len() != progress.problems {
                warn!(epoch, error = %problem, "block not ready to prove");
            } else {
                debug!(epoch, error = %problem, "block not ready to prove");
            }
        }
        progress.problems = status.problems.len();
    }

    /// Asks for terms, tops the escrow up, signs and delivers the quote of `request`'s epoch.
    async fn send_quote(&self, mut request: QuoteRequest) -> QuoteState {
        let epoch = request.epoch_number;
        if self.parts.delivery.is_empty() {
            info!(epoch, "P2P_ENABLED=false: not quoting");
            return QuoteState::Declined;
        }
        let valid_until = match self.parts.view.claim_deadline(epoch).await {
            Ok(slot) => slot,
            Err(error) => {
                warn!(epoch, %error, "cannot read the claim deadline: quote retried next tick");
                return QuoteState::NotSent;
            }
        };
        request.valid_until_slot = Some(valid_until);
        let terms = match self.parts.quotes.quote(&request).await {
            Ok(Some(terms)) => terms,
            Ok(None) => {
                info!(epoch, "quote provider declined: no quote");
                return QuoteState::Declined;
            }
            Err(error) => {
                warn!(epoch, %error, "quote provider failed: no quote");
                return QuoteState::Declined;
            }
        };
        if let Err(reason) = self.check_terms(&terms) {
            warn!(epoch, %reason, "quote terms break a rollup rule: no quote");
            return QuoteState::Declined;
        }
        if let Err(error) = self.parts.bonds.ensure_bond(terms.bond_amount).await {
            self.parts.metrics.failures.increment(1);
            error!(epoch, %error, "cannot back the quote's bond: quote retried next tick");
            return QuoteState::NotSent;
        }
        let signed = match self.parts.signer.sign(epoch, valid_until, &terms) {
            Ok(signed) => signed,
            Err(error) => {
                self.parts.metrics.failures.increment(1);
                error!(epoch, %error, "cannot sign the quote");
                return QuoteState::NotSent;
            }
        };
        match self.parts.delivery.deliver(&signed).await {
            Ok(()) => {
                self.parts.metrics.quotes_sent.increment(1);
                info!(
                    epoch,
                    basis_point_fee = terms.basis_point_fee,
                    bond = %terms.bond_amount,
                    valid_until_slot = valid_until,
                    txs = request.tx_count,
                    "quote sent"
                );
                QuoteState::Sent
            }
            Err(error) => {
                self.parts.metrics.failures.increment(1);
                warn!(epoch, %error, "quote not delivered: retried next tick");
                QuoteState::NotSent
            }
        }
    }

    /// The rollup's rules for a claimable quote.
    fn check_terms(&self, terms: &QuoteTerms) -> std::result::Result<(), String> {
        let windows = self.parts.view.windows();
        let (minimum, maximum_fee) = (windows.minimum_prover_bond, windows.max_prover_fee_bps);
        if u64::from(terms.basis_point_fee) > maximum_fee {
            return Err(format!(
                "basisPointFee {} is above maxProverFeeBps {maximum_fee}",
                terms.basis_point_fee
            ));
        }
        if terms.bond_amount < minimum {
            return Err(format!(
                "bondAmount {} is below minimumProverBond {minimum}",
                terms.bond_amount
            ));
        }
        Ok(())
    }
}
