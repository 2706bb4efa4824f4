//! [`L1Time`]: the L1 head, polled by one task per process and shared by everything that follows
//! L1 (the node's follower, the slot clock, transaction watchers), and the time of L1 taken from
//! its block timestamps.
//!
//! **Polling cost.** A poll is one `eth_getBlockByNumber(latest)`. After a new head, the poller
//! stays quiet for the shortest interval it has seen between two consecutive blocks, less one
//! poll interval, and then polls every `poll_interval` until the next block shows up: against
//! 12 s blocks and a 1 s interval that is about two requests per block instead of twelve, and
//! against blocks at irregular times (an anvil mined on demand) the shortest interval is short,
//! so nothing waits. [`L1Time::poll_now`] asks for a poll at once (a peer announced a proposal).

use std::{
    collections::VecDeque,
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
use tokio::sync::{watch, Notify};
use tracing::{debug, warn};

use crate::{Error, Result};

/// How often [`L1Time::start`]'s callers usually poll the L1 head.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Counter of head polls that failed (the L1 endpoint unreachable, timing out or erroring after
/// its retries).
pub const HEAD_POLL_ERRORS_TOTAL: &str = "fernet_l1_head_poll_errors_total";

/// Describes the head poller's metrics to the current recorder and exports them at 0, so a
/// scrape before the first failure finds them. [`L1Time::start`] calls it; a process that
/// installs its recorder later (a node's own) calls it again on that recorder.
pub fn register_metrics() {
    metrics::describe_counter!(
        HEAD_POLL_ERRORS_TOTAL,
        "L1 head polls that failed after their retries"
    );
    metrics::counter!(HEAD_POLL_ERRORS_TOTAL).increment(0);
}

/// How many intervals between consecutive blocks the poller remembers to find the shortest.
const OBSERVED_INTERVALS: usize = 8;

/// An L1 head as the poller saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// The parent block's hash.
    pub parent_hash: B256,
    /// Block timestamp (seconds).
    pub timestamp: u64,
    /// When this process first saw the block.
    pub seen_at: Instant,
}

/// L1's head and clock: one background task polls the latest block (see the module docs); clones
/// share it, and it stops when the last clone (and subscriber) is dropped.
#[derive(Debug, Clone)]
pub struct L1Time {
    heads: watch::Receiver<Head>,
    latest_now: Arc<AtomicU64>,
    poll_now: Arc<Notify>,
}

impl L1Time {
    /// Reads the latest L1 block, then follows new ones, polling every `poll_interval` while one
    /// is due ([`DEFAULT_POLL_INTERVAL`] is the usual choice).
    pub async fn start(provider: DynProvider, poll_interval: Duration) -> Result<Self> {
        register_metrics();
        let first = latest_head(&provider).await?;
        let (sender, heads) = watch::channel(first);
        let poll_now = Arc::new(Notify::new());
        let poller = Poller {
            provider,
            sender,
            poll_interval,
            poll_now: poll_now.clone(),
            intervals: VecDeque::with_capacity(OBSERVED_INTERVALS),
        };
        tokio::spawn(poller.run());
        Ok(Self {
            heads,
            latest_now: Arc::new(AtomicU64::new(first.timestamp)),
            poll_now,
        })
    }

    /// The latest head's number and timestamp.
    pub fn head(&self) -> (u64, u64) {
        let head = self.heads.borrow();
        (head.number, head.timestamp)
    }

    /// The latest head.
    pub fn latest(&self) -> Head {
        *self.heads.borrow()
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

    /// Asks the poller to read the head at once instead of waiting for its next poll.
    pub fn poll_now(&self) {
        self.poll_now.notify_one();
    }
}

/// The task behind [`L1Time`].
struct Poller {
    provider: DynProvider,
    sender: watch::Sender<Head>,
    poll_interval: Duration,
    poll_now: Arc<Notify>,
    /// The latest intervals between two consecutive blocks, as seen here.
    intervals: VecDeque<Duration>,
}

impl Poller {
    /// Polls until every receiver is gone; publishes each new head.
    async fn run(mut self) {
        let mut last_poll = Instant::now();
        loop {
            // Once the quiet time after the latest head has passed, every `poll_interval`.
            let due = (self.sender.borrow().seen_at + self.quiet_time())
                .max(last_poll + self.poll_interval);
            tokio::select! {
                () = self.sender.closed() => return,
                () = tokio::time::sleep_until(due.into()) => {}
                () = self.poll_now.notified() => {}
            }
            last_poll = Instant::now();
            match latest_head(&self.provider).await {
                Ok(head) => self.publish(head),
                Err(error) => {
                    metrics::counter!(HEAD_POLL_ERRORS_TOTAL).increment(1);
                    warn!(%error, "cannot read the L1 head");
                }
            }
        }
    }

    /// How long after a new head no block is expected: the shortest recent interval between two
    /// consecutive blocks, less one poll interval (zero until two have been seen).
    fn quiet_time(&self) -> Duration {
        self.intervals
            .iter()
            .min()
            .map_or(Duration::ZERO, |shortest| {
                shortest.saturating_sub(self.poll_interval)
            })
    }

    /// Publishes `head` if it is new, and learns the interval from the previous one.
    fn publish(&mut self, head: Head) {
        let previous = *self.sender.borrow();
        if (head.number, head.hash) == (previous.number, previous.hash) {
            return;
        }
        if head.number == previous.number + 1 {
            if self.intervals.len() == OBSERVED_INTERVALS {
                self.intervals.pop_front();
            }
            self.intervals
                .push_back(head.seen_at.saturating_duration_since(previous.seen_at));
        }
        debug!(
            number = head.number,
            timestamp = head.timestamp,
            "new L1 head"
        );
        self.sender.send_replace(head);
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
        parent_hash: block.header.parent_hash,
        timestamp: block.header.timestamp,
        seen_at: Instant::now(),
    })
}
