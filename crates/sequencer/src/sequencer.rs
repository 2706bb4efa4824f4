//! The sequencer's slot loop. One process holds the keys of many stakers; in every slot it ranks
//! them off chain, plans the turns of the keys that have one ([`crate::schedule`]), and runs that
//! slot's duties as a task of their own: proposing in the best key's turn (a lower key of the
//! process steps in only when that failed), claiming the previous epoch's proof right (or
//! replacing its claim with a cheaper quote), backup blocks for an empty slot, and the epoch's
//! randomness checkpoint when nobody wrote it. The loop itself never waits on a duty: it enters
//! every slot when L1 time says the slot started.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use alloy::{
    eips::BlockId,
    primitives::{Address, U256},
    providers::DynProvider,
    signers::local::PrivateKeySigner,
};
use fernet_bindings::{Committees, ContractResultExt, IFeeInbox, IRollup, Rankings};
use fernet_l1::TxSender;
use fernet_node::Node;
use fernet_primitives::ProvingMode;
use tracing::{debug, info, warn};

use crate::{
    backup::BackupProver,
    committee::CommitteeMode,
    error::Result,
    l1tx::send,
    metrics::SequencerMetrics,
    quotes::{QuotePolicy, QuoteProviderClient},
    schedule::{RankedKey, SlotPlan, SlotSchedule, Turn},
    slot_loop::run_slots,
    timeline::{sleep_until, Timeline},
};

/// What a sequencer needs besides its node and keys.
pub struct SequencerConfig {
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
    /// Only fill empty slots in backup mode, with the first key (an unstaked sequencer: no
    /// ranked proposals, no claims).
    pub backup_only: bool,
    /// Committee mode fault injection: these keys never sign off (they are slashed for
    /// inactivity).
    pub silent_members: Vec<Address>,
    /// Committee mode fault injection: these keys never send their proposals to the committee
    /// (they get no sign-off; the slot goes to the next rank or to backup mode).
    pub withholding_proposers: Vec<Address>,
}

/// One staker key of the process and the sender of its transactions.
pub(crate) struct Validator {
    /// The key: it signs the proposal hints the staker publishes.
    pub(crate) signer: PrivateKeySigner,
    /// Sends the staker's transactions (owns the key's nonce, replaces stuck ones).
    pub(crate) sender: TxSender,
}

/// The rollup's fixed parameters the duties use (immutable in the contract: read once).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RollupRules {
    /// `minimumProverBond`.
    pub(crate) minimum_bond: U256,
    /// `maxProverFeeBps`.
    pub(crate) max_fee: u64,
}

/// A running sequencer.
pub struct Sequencer {
    pub(crate) node: Arc<Node>,
    pub(crate) validators: Vec<Validator>,
    by_address: HashMap<Address, usize>,
    pub(crate) config: SequencerConfig,
    pub(crate) policy: Box<dyn QuotePolicy>,
    rankings: Rankings<DynProvider>,
    timeline: Arc<dyn Timeline>,
    schedule: SlotSchedule,
    pub(crate) rules: RollupRules,
    pub(crate) metrics: SequencerMetrics,
    /// One past the highest epoch whose randomness checkpoint is known written (0: none).
    checkpointed_epoch: AtomicU64,
    /// The committee mode's settings, when the rollup runs it.
    pub(crate) committee: Option<CommitteeMode>,
}

/// The L1 view of one slot that the duties act on.
pub(crate) struct SlotView {
    pub(crate) slot: u64,
    pub(crate) epoch: u64,
    /// The slot's start, UNIX seconds.
    pub(crate) start: u64,
    /// The slot's ranking (empty for a backup-only process).
    pub(crate) ranking: Vec<Address>,
}

impl SlotView {
    /// The rank of `proposer` in the slot.
    pub(crate) fn rank_of(&self, proposer: Address) -> Option<usize> {
        self.ranking.iter().position(|p| *p == proposer)
    }
}

impl Sequencer {
    /// A sequencer on `node` for `keys` (each sends its own transactions), claiming with
    /// `policy`, reading the time from `timeline`. Reads the rollup's fixed parameters once.
    pub async fn new(
        node: Arc<Node>,
        keys: Vec<PrivateKeySigner>,
        config: SequencerConfig,
        policy: Box<dyn QuotePolicy>,
        timeline: Arc<dyn Timeline>,
        metrics: SequencerMetrics,
    ) -> Result<Self> {
        let l1 = &node.l1;
        let rankings = Rankings::new(
            l1.provider.clone(),
            l1.deployment.rollup.address,
            l1.deployment.staking.address,
            l1.clock.epoch_duration,
        );
        let rollup_config = l1.rollup().config().call().await.decoded("Rollup.config")?;
        let schedule = SlotSchedule {
            slot_duration: Duration::from_secs(l1.clock.slot_duration),
            proposal_window: Duration::from_secs(rollup_config.proposalWindow.saturating_to()),
            step: config.step,
            inclusion_margin: config.inclusion_margin,
        };
        let rules = RollupRules {
            minimum_bond: rollup_config.minimumProverBond,
            max_fee: rollup_config.maxProverFeeBps.saturating_to(),
        };
        let validators = keys
            .into_iter()
            .map(|signer| {
                Ok(Validator {
                    sender: TxSender::new(l1.provider.clone(), signer.clone(), &l1.options)?
                        .with_heads(node.time.subscribe()),
                    signer,
                })
            })
            .collect::<Result<Vec<Validator>>>()?;
        let by_address = validators
            .iter()
            .enumerate()
            .map(|(i, v)| (v.signer.address(), i))
            .collect();
        let committee = match (
            l1.deployment.parameters.proving_mode,
            &l1.deployment.parameters.committee,
        ) {
            (ProvingMode::Committee, Some(params)) => Some(CommitteeMode {
                committees: Committees::new(
                    l1.provider.clone(),
                    l1.deployment.rollup.address,
                    l1.deployment.staking.address,
                    l1.clock.epoch_duration,
                ),
                quorum: usize::try_from(params.signoff_quorum).unwrap_or(usize::MAX),
            }),
            _ => None,
        };
        Ok(Self {
            node,
            validators,
            by_address,
            config,
            policy,
            rankings,
            timeline,
            schedule,
            rules,
            metrics,
            checkpointed_epoch: AtomicU64::new(0),
            committee,
        })
    }

    /// The addresses of the process's keys.
    pub fn addresses(&self) -> Vec<Address> {
        self.validators.iter().map(|v| v.signer.address()).collect()
    }

    /// The senders of the process's keys.
    pub fn senders(&self) -> Vec<TxSender> {
        self.validators.iter().map(|v| v.sender.clone()).collect()
    }

    /// The sender of key `key`.
    pub(crate) fn sender(&self, key: usize) -> &TxSender {
        &self.validators[key].sender
    }

    /// The rollup on the read provider.
    pub(crate) fn rollup(&self) -> IRollup::IRollupInstance<DynProvider> {
        self.node.l1.rollup()
    }

    /// The fee inbox on the read provider.
    pub(crate) fn inbox(&self) -> IFeeInbox::IFeeInboxInstance<DynProvider> {
        IFeeInbox::new(
            self.node.l1.deployment.fee_inbox.address,
            self.node.l1.provider.clone(),
        )
    }

    /// The current UNIX time, from the timeline (L1's).
    pub(crate) fn now(&self) -> Duration {
        self.timeline.now()
    }

    /// The timeline the duties read the time from.
    pub(crate) fn timeline(&self) -> &dyn Timeline {
        self.timeline.as_ref()
    }

    /// The rollup's proposal window.
    pub(crate) fn proposal_window(&self) -> Duration {
        self.schedule.proposal_window
    }

    /// Sleeps until `offset` after the slot that started at UNIX second `start`.
    pub(crate) async fn sleep_until_offset(&self, start: u64, offset: Duration) {
        sleep_until(self.timeline.as_ref(), Duration::from_secs(start) + offset).await;
    }

    /// Runs the slot loop forever (until the future is dropped): each slot's duties run as a
    /// task of their own ([`run_slots`]); their errors are logged. In the committee mode the
    /// process's keys also sign off the blocks they are asked to.
    pub async fn run(self: Arc<Self>) -> Result<()> {
        let clock = self.node.l1.clock;
        let timeline = Arc::clone(&self.timeline);
        let slots = run_slots(clock, timeline, |slot| Arc::clone(&self).on_slot(slot));
        match &self.committee {
            Some(mode) => {
                tokio::join!(slots, self.run_member(mode));
            }
            None => slots.await,
        }
        Ok(())
    }

    /// The duties of one slot.
    async fn on_slot(self: Arc<Self>, slot: u64) {
        let clock = self.node.l1.clock;
        let start = clock.slot_start(slot);
        let elapsed = self.now().saturating_sub(Duration::from_secs(start));
        let mut view = SlotView {
            slot,
            epoch: clock.epoch_of(slot),
            start,
            ranking: Vec::new(),
        };
        let plan = if self.config.backup_only {
            self.schedule.backup_only_plan(elapsed)
        } else {
            match self.rankings.ranking(slot).await {
                Ok(ranking) => {
                    view.ranking = ranking;
                    self.plan(&view, elapsed)
                }
                Err(error) => {
                    warn!(slot, %error, "cannot rank the slot");
                    return;
                }
            }
        };
        self.metrics
            .slot(!plan.proposals.is_empty() || plan.fallback.is_some());
        tokio::join!(
            self.proposal_duty(&view, &plan.proposals),
            self.fallback_duty(&view, plan.fallback)
        );
    }

    /// The plan of this process's keys for the slot of `view`.
    fn plan(&self, view: &SlotView, elapsed: Duration) -> SlotPlan {
        let ranked: Vec<RankedKey> = view
            .ranking
            .iter()
            .enumerate()
            .filter_map(|(rank, address)| {
                self.by_address
                    .get(address)
                    .map(|key| RankedKey { rank, key: *key })
            })
            .collect();
        if ranked.is_empty() {
            debug!(
                slot = view.slot,
                "none of the keys may propose in this epoch"
            );
        }
        self.schedule.plan(&ranked, elapsed)
    }

    /// Proposes in the turn of the process's best-ranked key; a later key steps in only when
    /// the earlier ones failed to land a block. After its proposal, the key claims the previous
    /// epoch's proof right.
    async fn proposal_duty(&self, view: &SlotView, turns: &[Turn]) {
        for turn in turns {
            self.sleep_until_offset(view.start, turn.offset).await;
            match self.try_propose(view, turn.key).await {
                Ok(true) => {
                    self.claim_duty(view, turn.key.key).await;
                    return;
                }
                // A better-ranked proposal holds the slot: the later keys rank lower still.
                Ok(false) => return,
                Err(error) => {
                    self.metrics.proposal_failed();
                    warn!(slot = view.slot, rank = turn.key.rank, %error, "proposal failed");
                }
            }
        }
    }

    /// After the proposal window, in the turn of the process's best-ranked key: a backup block
    /// for an empty slot, a claim nobody made, and the epoch's randomness checkpoint.
    async fn fallback_duty(&self, view: &SlotView, turn: Option<Turn>) {
        let Some(turn) = turn else { return };
        self.sleep_until_offset(view.start, turn.offset).await;
        let key = turn.key.key;
        if let Some(backup) = &self.config.backup {
            if let Err(error) = self.backup_duty(view, backup, key).await {
                warn!(slot = view.slot, %error, "backup block failed");
            }
        }
        if !self.config.backup_only {
            self.claim_duty(view, key).await;
        }
        if let Err(error) = self.checkpoint_duty(view, key).await {
            warn!(slot = view.slot, epoch = view.epoch, %error, "randomness checkpoint failed");
        }
    }

    /// Writes the current epoch's randomness checkpoint when no transaction of the epoch did yet
    /// (every proposal, claim, proof and prune writes it first, so this sends only in an epoch
    /// whose slots so far stayed empty). It runs after the slot's proposal window and backup
    /// block, staggered by rank, so the first live sequencer writes it and the others find it
    /// written: later seeds then never fall back to an older checkpoint.
    async fn checkpoint_duty(&self, view: &SlotView, key: usize) -> Result<()> {
        // Known written without asking L1: a block of the epoch wrote it, or an earlier slot
        // found it written.
        let tip_epoch = self
            .local_tip_slot()
            .map(|slot| self.node.l1.clock.epoch_of(slot));
        if tip_epoch == Some(view.epoch)
            || self.checkpointed_epoch.load(Ordering::Relaxed) == view.epoch + 1
        {
            return Ok(());
        }
        let rollup = self.rollup();
        // Simulated first: `written` is false when the checkpoint exists (no transaction then).
        let would_write = rollup
            .checkpointRandomness()
            .from(self.sender(key).address())
            // In the block a transaction would land in: `latest` may still be in the previous
            // epoch, whose checkpoint is written.
            .block(BlockId::pending())
            .call()
            .await
            .decoded("Rollup.checkpointRandomness (simulated)")?;
        if !would_write {
            self.checkpointed_epoch
                .fetch_max(view.epoch + 1, Ordering::Relaxed);
            return Ok(());
        }
        let receipt = send(
            self.sender(key),
            rollup.checkpointRandomness(),
            "Rollup.checkpointRandomness",
        )
        .await?;
        info!(
            slot = view.slot,
            epoch = view.epoch,
            tx = %receipt.transaction_hash,
            gas = receipt.gas_used,
            "randomness checkpoint written (nobody had in this epoch)"
        );
        Ok(())
    }
}
