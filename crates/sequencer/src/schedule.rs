//! When a sequencer of a given rank acts inside a slot.
//!
//! Ranks come from the slot's scores, highest first, computed off chain over the epoch's proposers
//! ([`fernet_bindings::ranking`], the formula of `Rollup.scoreOf`). Rank 0 proposes
//! as soon as the slot starts; rank `r` waits `r` steps and proposes only if the slot is still
//! empty, so a silent top-ranked sequencer is replaced by the next live one late in the window,
//! while a live top-ranked one is never raced (a later, lower-scoring proposal would revert with
//! `Rollup__ScoreTooLow` anyway). A sequencer that (re)starts mid-slot proposes at once if its
//! turn has passed, and not at all once the window cannot take its transaction any more. After
//! the proposal window, the same stagger orders the fallback duties: claiming a quote nobody
//! claimed (or a cheaper one), backup blocks and the epoch's randomness checkpoint.

use std::time::Duration;

/// The timing of one sequencer's duties within a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotSchedule {
    /// Length of the proposal window (`Rollup.config().proposalWindow`).
    pub proposal_window: Duration,
    /// Delay between consecutive ranks.
    pub step: Duration,
    /// Time an L1 transaction needs to be included (anvil: one block).
    pub inclusion_margin: Duration,
}

impl SlotSchedule {
    /// Offset from the slot's start at which `rank` proposes, for a sequencer that looks at the
    /// slot `elapsed` into it: its turn, or at once when the turn has passed (a sequencer that
    /// just started); `None` when that is too late for the transaction to land inside the
    /// proposal window.
    pub fn proposal_offset(&self, rank: usize, elapsed: Duration) -> Option<Duration> {
        let turn = self.step.checked_mul(u32::try_from(rank).ok()?)?;
        let offset = turn.max(elapsed);
        (offset + self.inclusion_margin < self.proposal_window).then_some(offset)
    }

    /// Offset from the slot's start at which `rank` takes over the fallback duties (claiming an
    /// unclaimed epoch or replacing its claim, backup mode, the randomness checkpoint): after the
    /// proposal window, staggered by rank.
    pub fn fallback_offset(&self, rank: usize) -> Duration {
        let rank = u32::try_from(rank).unwrap_or(u32::MAX);
        self.proposal_window + self.step.saturating_mul(rank)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> SlotSchedule {
        SlotSchedule {
            proposal_window: Duration::from_secs(8),
            step: Duration::from_secs(2),
            inclusion_margin: Duration::from_millis(1500),
        }
    }

    #[test]
    fn ranks_step_in_one_after_another_while_the_window_lasts() {
        let s = schedule();
        let start = Duration::ZERO;
        assert_eq!(s.proposal_offset(0, start), Some(Duration::ZERO));
        assert_eq!(s.proposal_offset(1, start), Some(Duration::from_secs(2)));
        assert_eq!(s.proposal_offset(3, start), Some(Duration::from_secs(6)));
        // 8 s + 1.5 s margin is past the window: rank 4 never proposes.
        assert_eq!(s.proposal_offset(4, start), None);
        assert_eq!(s.proposal_offset(usize::MAX, start), None);
    }

    #[test]
    fn a_sequencer_joining_mid_slot_proposes_at_once_or_not_at_all() {
        let s = schedule();
        // Its turn (2 s) has passed 3 s in: it proposes now, with time left to land.
        assert_eq!(
            s.proposal_offset(1, Duration::from_secs(3)),
            Some(Duration::from_secs(3))
        );
        // A turn still ahead is kept.
        assert_eq!(
            s.proposal_offset(3, Duration::from_secs(3)),
            Some(Duration::from_secs(6))
        );
        // 7 s in, 7 s + 1.5 s is past the 8 s window: no proposal that would revert.
        assert_eq!(s.proposal_offset(0, Duration::from_secs(7)), None);
        assert_eq!(s.proposal_offset(0, Duration::from_secs(30)), None);
    }

    #[test]
    fn fallback_duties_start_after_the_window() {
        let s = schedule();
        assert_eq!(s.fallback_offset(0), Duration::from_secs(8));
        assert_eq!(s.fallback_offset(2), Duration::from_secs(12));
    }
}
