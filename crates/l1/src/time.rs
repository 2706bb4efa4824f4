//! [`L1Time`]: the time of L1, from its block timestamps, for slot timing.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use alloy::{
    eips::BlockNumberOrTag,
    primitives::B256,
    providers::{DynProvider, Provider},
};
use tokio::{sync::watch, time::MissedTickBehavior};
use tracing::{debug, warn};

use crate::{Error, Result};

/// How often [`L1Time::start`]'s callers usually poll the L1 head.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// An L1 head as the poller saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// Block timestamp (seconds).
    pub timestamp: u64,
    /// When this process first saw the block.
    pub seen_at: Instant,
}

/// L1's clock: one background task polls the latest block every `poll_interval`; clones share it,
/// and it stops when the last clone (and subscriber) is dropped.
#[derive(Debug, Clone)]
pub struct L1Time {
    heads: watch::Receiver<Head>,
    latest_now: Arc<AtomicU64>,
}

impl L1Time {
    /// Reads the latest L1 block, then polls for newer ones every `poll_interval`
    /// ([`DEFAULT_POLL_INTERVAL`] is the usual choice).
    pub async fn start(provider: DynProvider, poll_interval: Duration) -> Result<Self> {
        let first = latest_head(&provider).await?;
        let (sender, heads) = watch::channel(first);
        tokio::spawn(poll(provider, sender, poll_interval));
        Ok(Self {
            heads,
            latest_now: Arc::new(AtomicU64::new(first.timestamp)),
        })
    }

    /// The latest head's number and timestamp.
    pub fn head(&self) -> (u64, u64) {
        let head = self.heads.borrow();
        (head.number, head.timestamp)
    }

    /// L1 time now: the latest head's timestamp plus the local time elapsed since it was first
    /// seen, in seconds. Never behind the latest head, and never lower than a value it returned
    /// before (on any clone).
    pub fn now(&self) -> u64 {
        let head = *self.heads.borrow();
        let now = head
            .timestamp
            .saturating_add(head.seen_at.elapsed().as_secs());
        self.latest_now.fetch_max(now, Ordering::SeqCst).max(now)
    }

    /// New heads as they are seen (`changed().await` wakes on each).
    pub fn subscribe(&self) -> watch::Receiver<Head> {
        self.heads.clone()
    }
}

/// Polls the latest block until every receiver is gone; publishes each new one.
async fn poll(provider: DynProvider, sender: watch::Sender<Head>, poll_interval: Duration) {
    let mut ticks = tokio::time::interval(poll_interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = sender.closed() => return,
            _ = ticks.tick() => {}
        }
        match latest_head(&provider).await {
            Ok(head) => {
                sender.send_if_modified(|current| {
                    let new = (head.number, head.hash) != (current.number, current.hash);
                    if new {
                        debug!(
                            number = head.number,
                            timestamp = head.timestamp,
                            "new L1 head"
                        );
                        *current = head;
                    }
                    new
                });
            }
            Err(error) => warn!(%error, "cannot read the L1 head"),
        }
    }
}

/// The latest block's head, seen now.
async fn latest_head(provider: &DynProvider) -> Result<Head> {
    const CONTEXT: &str = "eth_getBlockByNumber(latest)";
    let block = provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await
        .map_err(Error::rpc(CONTEXT))?
        .ok_or_else(|| Error::Rpc {
            context: CONTEXT.into(),
            source: alloy::transports::TransportErrorKind::custom_str("no latest block"),
        })?;
    Ok(Head {
        number: block.header.number,
        hash: block.header.hash,
        timestamp: block.header.timestamp,
        seen_at: Instant::now(),
    })
}
