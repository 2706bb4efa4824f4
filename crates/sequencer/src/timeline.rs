//! Where the sequencer reads the time from. Slots are L1 time: a sequencer whose wall clock is
//! off must act when L1 says the slot started, so the process reads the time from the L1 head
//! ([`fernet_l1::L1Time`]); [`SystemTimeline`] is the wall clock, for tools and tests.

use std::time::Duration;

/// A source of UNIX time.
pub trait Timeline: Send + Sync + 'static {
    /// The current UNIX time.
    fn now(&self) -> Duration;
}

/// The local wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemTimeline;

impl Timeline for SystemTimeline {
    fn now(&self) -> Duration {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
    }
}

/// L1 time: the latest L1 head's timestamp plus the local time elapsed since this process saw
/// it (sub-second, unlike [`fernet_l1::L1Time::now`], so turns a fraction of a second apart stay
/// apart).
impl Timeline for fernet_l1::L1Time {
    fn now(&self) -> Duration {
        let head = *self.subscribe().borrow();
        Duration::from_secs(head.timestamp) + head.seen_at.elapsed()
    }
}

/// Sleeps until the UNIX time `target` on `timeline` (returns at once if it has passed).
pub async fn sleep_until(timeline: &dyn Timeline, target: Duration) {
    if let Some(wait) = target.checked_sub(timeline.now()) {
        tokio::time::sleep(wait).await;
    }
}
