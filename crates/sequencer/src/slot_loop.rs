//! The loop that enters every slot on time: each slot's duties are spawned as a task of their
//! own, so a slow duty (a receipt, a backup proof, a turn late in the slot) never delays the
//! next slot.

use std::{future::Future, sync::Arc, time::Duration};

use fernet_primitives::Clock;
use tokio::task::JoinSet;
use tracing::warn;

use crate::timeline::{sleep_until, Timeline};

/// Runs `on_slot(slot)` as a task at the start of every slot, from the current one on, forever
/// (until the future is dropped, which aborts the duties still running). A slot the loop could
/// not enter in time (the process stalled) is skipped with a warning, never run late.
pub async fn run_slots<F, Fut>(clock: Clock, timeline: Arc<dyn Timeline>, mut on_slot: F)
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut slot = clock.slot_at(timeline.now().as_secs());
    let mut duties = JoinSet::new();
    loop {
        while let Some(finished) = duties.try_join_next() {
            if let Err(error) = finished {
                warn!(%error, "a slot's duties panicked");
            }
        }
        duties.spawn(on_slot(slot));
        let next = slot + 1;
        sleep_until(
            timeline.as_ref(),
            Duration::from_secs(clock.slot_start(next)),
        )
        .await;
        let current = clock.slot_at(timeline.now().as_secs());
        if current > next {
            warn!(
                missed = current - next,
                "fell behind: skipping to the current slot"
            );
        }
        slot = current.max(next);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio::time::Instant;

    use super::*;

    /// UNIX time that runs on tokio's (paused) clock, starting at `origin`.
    struct TestTimeline {
        origin: Duration,
        started: Instant,
    }

    impl Timeline for TestTimeline {
        fn now(&self) -> Duration {
            self.origin + self.started.elapsed()
        }
    }

    /// Regression (issue 12, slot loop): the old loop awaited a slot's duties before it slept
    /// until the next slot, so a process whose turn came late in one slot (or whose receipt
    /// was slow) entered the next slot late. Here every slot's duties take 2.5 slots, and the
    /// loop still enters each slot at its start.
    #[tokio::test(start_paused = true)]
    async fn slow_duties_never_delay_the_next_slot() {
        let clock = Clock {
            genesis_time: 1_000,
            slot_duration: 20,
            epoch_duration: 4,
        };
        // Start 5 s into slot 3.
        let timeline = Arc::new(TestTimeline {
            origin: Duration::from_secs(1_065),
            started: Instant::now(),
        });
        let entered = Arc::new(Mutex::new(Vec::new()));
        let finished = Arc::new(Mutex::new(0u32));
        let looping = run_slots(clock, timeline.clone(), |slot| {
            entered.lock().unwrap().push((slot, timeline.now()));
            let finished = finished.clone();
            async move {
                tokio::time::sleep(Duration::from_secs(50)).await;
                *finished.lock().unwrap() += 1;
            }
        });
        // 5 s into slot 3 until 1 s into slot 9.
        let _ = tokio::time::timeout(Duration::from_secs(116), looping).await;
        let entered = entered.lock().unwrap().clone();
        let slots: Vec<u64> = entered.iter().map(|(slot, _)| *slot).collect();
        assert_eq!(slots, vec![3, 4, 5, 6, 7, 8, 9]);
        for (slot, at) in &entered[1..] {
            let lateness = *at - Duration::from_secs(clock.slot_start(*slot));
            assert!(
                lateness < Duration::from_millis(10),
                "slot {slot} entered {lateness:?} late"
            );
        }
        // The duties ran concurrently: those of slots 3 to 6 finished (50 s each) while the
        // loop went on.
        assert_eq!(*finished.lock().unwrap(), 4);
    }
}
