//! What the scenarios share: the devnet, the L1 history, the clients, and the polling loop that
//! checks every process and every required proof deadline while a scenario waits.

use std::{
    collections::{BTreeMap, HashMap},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy::primitives::{Address, U256};
use eyre::{bail, eyre};
use fernet_devnet::{
    history::{History, Proven},
    Devnet, L1,
};
use fernet_node::NodeClient;

use crate::broker::Broker;

/// How often the run polls L1, the logs and the services.
const POLL: Duration = Duration::from_millis(500);

/// The whole run must finish within this (about 80 s to the first block, then 7 to 8 epochs of
/// 40 s; the margin covers a slow machine).
const RUN_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The shared state of the run.
pub(crate) struct Run<'a> {
    pub(crate) devnet: &'a mut Devnet,
    pub(crate) l1: L1,
    pub(crate) node: NodeClient,
    pub(crate) http: reqwest::Client,
    pub(crate) broker: Broker,
    pub(crate) history: History,
    names: HashMap<Address, String>,
    started: Instant,
    /// Epochs that must be proven, with the last slot their proof is accepted in.
    required: BTreeMap<u64, u64>,
}

impl<'a> Run<'a> {
    /// A run over `devnet`.
    pub(crate) fn new(devnet: &'a mut Devnet) -> eyre::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            l1: devnet.l1().clone(),
            node: NodeClient::new(devnet.urls().node.parse()?),
            broker: Broker::of(devnet),
            names: devnet.account_names(),
            http,
            history: History::default(),
            started: Instant::now(),
            required: BTreeMap::new(),
            devnet,
        })
    }

    /// Prints `message` with the time since the run started.
    pub(crate) fn say(&self, message: impl std::fmt::Display) {
        eprintln!("[{:6.1} s] {message}", self.started.elapsed().as_secs_f64());
    }

    /// Time since the run started.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The devnet name of `address` (or the address).
    pub(crate) fn name(&self, address: Address) -> String {
        self.names
            .get(&address)
            .cloned()
            .unwrap_or_else(|| address.to_string())
    }

    /// Sleeps one poll period, then fails if a process exited unexpectedly, reads the new L1
    /// events, and fails past the run timeout or once a required epoch is past its proof
    /// deadline unproven. `waiting_for` names what the caller waits for, for the errors.
    pub(crate) async fn tick(&mut self, waiting_for: &str) -> eyre::Result<()> {
        tokio::time::sleep(POLL).await;
        self.devnet.check()?;
        self.history.update(&self.l1).await?;
        if self.started.elapsed() > RUN_TIMEOUT {
            bail!("the run took over {RUN_TIMEOUT:?} waiting for {waiting_for}");
        }
        let slot = self.slot().await?;
        for (&epoch, &deadline) in &self.required {
            if slot > deadline && self.history.proven(epoch).is_none() {
                bail!(
                    "epoch {epoch} was not proven by its deadline slot {deadline} (now slot {slot}, \
                     pruned: {}) while waiting for {waiting_for}",
                    self.history.pruned(epoch)
                );
            }
        }
        Ok(())
    }

    /// The slot of the latest L1 block.
    pub(crate) async fn slot(&self) -> eyre::Result<u64> {
        let (_, timestamp) = self.l1.latest().await?;
        Ok(self.l1.clock.slot_at(timestamp))
    }

    /// The latest L1 block number.
    pub(crate) async fn l1_block(&self) -> eyre::Result<u64> {
        Ok(self.l1.latest().await?.0)
    }

    /// Ticks until the wall clock (which anvil's timestamps follow) reaches UNIX time
    /// `seconds`.
    pub(crate) async fn wait_until_time(&mut self, seconds: f64, what: &str) -> eyre::Result<()> {
        while unix_now() < seconds {
            self.tick(what).await?;
        }
        Ok(())
    }

    /// Ticks until `slot` has started.
    pub(crate) async fn wait_for_slot(&mut self, slot: u64, what: &str) -> eyre::Result<()> {
        let start = self.l1.clock.slot_start(slot) as f64;
        self.wait_until_time(start, what).await
    }

    /// `Rollup.proofDeadline(epoch)`: the last slot its proof is accepted in.
    pub(crate) async fn proof_deadline(&self, epoch: u64) -> eyre::Result<u64> {
        Ok(self
            .l1
            .rollup()
            .proofDeadline(U256::from(epoch))
            .call()
            .await?
            .saturating_to())
    }

    /// From now on, fails the run as soon as `epoch` is past its proof deadline unproven.
    pub(crate) async fn require_proven(&mut self, epoch: u64) -> eyre::Result<()> {
        let deadline = self.proof_deadline(epoch).await?;
        self.required.insert(epoch, deadline);
        Ok(())
    }

    /// The proof of `epoch`, checked to have landed inside its proof window.
    pub(crate) async fn proven_in_window(&self, epoch: u64, label: &str) -> eyre::Result<Proven> {
        let proven = *self
            .history
            .proven(epoch)
            .ok_or_else(|| eyre!("{label} epoch {epoch} was not proven"))?;
        let deadline = self.proof_deadline(epoch).await?;
        let slot = self.l1.clock.slot_at(proven.timestamp);
        eyre::ensure!(
            slot <= deadline,
            "{label} epoch {epoch} proven in slot {slot}, after its deadline slot {deadline}"
        );
        Ok(proven)
    }

    /// Seconds from the end of `epoch` to the L1 time of its proof.
    pub(crate) fn proof_delay(&self, epoch: u64, proven: &Proven) -> u64 {
        let epoch_slots = self.l1.deployment().parameters.staking.epoch_duration;
        proven
            .timestamp
            .saturating_sub(self.l1.clock.slot_start((epoch + 1) * epoch_slots))
    }

    /// The first slot of `epoch`.
    pub(crate) fn first_slot(&self, epoch: u64) -> u64 {
        epoch * self.l1.deployment().parameters.staking.epoch_duration
    }
}

/// The wall clock as UNIX seconds.
pub(crate) fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}
