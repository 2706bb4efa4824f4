//! When a sequencer process acts inside a slot, for the keys it holds.
//!
//! Ranks come from the slot's scores, highest first, computed off chain over the epoch's proposers
//! ([`fernet_bindings::ranking`], the formula of `Rollup.scoreOf`). Rank 0 proposes as soon as the
//! slot starts; rank `r` waits `r` steps and proposes only if the slot is still empty, so a silent
//! top-ranked staker is replaced by the next live one late in the window, while a live top-ranked
//! one is never raced (a later, lower-scoring proposal would revert with `Rollup__ScoreTooLow`
//! anyway). A process that (re)starts mid-slot proposes at once if its turn has passed, and not
//! at all once the window cannot take its transaction any more. After the proposal window, the
//! same stagger orders the fallback duties (claiming a quote nobody claimed, backup blocks, the
//! epoch's randomness checkpoint), taken by the process's best-ranked key.
//!
//! A [`SlotPlan`] holds only turns inside the slot: a process never sleeps into the next slot on
//! a duty, so it enters every slot on time whatever its keys ranked in the one before.

use std::time::Duration;

/// The timing of duties within a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotSchedule {
    /// Length of a slot (`Rollup.slotDuration()`).
    pub slot_duration: Duration,
    /// Length of the proposal window (`Rollup.config().proposalWindow`).
    pub proposal_window: Duration,
    /// Delay between consecutive ranks.
    pub step: Duration,
    /// Time an L1 transaction needs to be included (one or two L1 blocks).
    pub inclusion_margin: Duration,
}

/// One of the process's keys, at its place in a slot's ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RankedKey {
    /// Its rank in the slot (0: the highest score).
    pub rank: usize,
    /// Its index among the process's keys.
    pub key: usize,
}

/// A duty's time in the slot and the key that does it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Turn {
    /// Offset from the slot's start.
    pub offset: Duration,
    /// The key that acts.
    pub key: RankedKey,
}

/// What a process does in one slot.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SlotPlan {
    /// Its keys' proposal turns, best rank (and earliest) first: the first key proposes; a later
    /// one only if every earlier turn failed to land a block.
    pub proposals: Vec<Turn>,
    /// When its best-ranked key takes the fallback duties; `None` when that turn falls after
    /// the slot (lower ranks leave those duties to better-ranked live stakers).
    pub fallback: Option<Turn>,
}

impl SlotSchedule {
    /// Offset from the slot's start at which `rank` proposes, for a process that looks at the
    /// slot `elapsed` into it: its turn, or at once when the turn has passed (a process that
    /// just started); `None` when that is too late for the transaction to land inside the
    /// proposal window.
    pub fn proposal_offset(&self, rank: usize, elapsed: Duration) -> Option<Duration> {
        let turn = self.step.checked_mul(u32::try_from(rank).ok()?)?;
        let offset = turn.max(elapsed);
        (offset + self.inclusion_margin < self.proposal_window).then_some(offset)
    }

    /// Offset from the slot's start at which `rank` takes over the fallback duties, after the
    /// proposal window and staggered by rank, or at once for a process that looks at the slot
    /// `elapsed` in, past that turn; `None` when the transaction could not land inside the slot.
    pub fn fallback_offset(&self, rank: usize, elapsed: Duration) -> Option<Duration> {
        let stagger = self.step.checked_mul(u32::try_from(rank).ok()?)?;
        let offset = (self.proposal_window + stagger).max(elapsed);
        (offset + self.inclusion_margin <= self.slot_duration).then_some(offset)
    }

    /// The plan of a process whose keys hold `ranked` places in the slot, looking at it
    /// `elapsed` into it.
    pub fn plan(&self, ranked: &[RankedKey], elapsed: Duration) -> SlotPlan {
        let mut ranked = ranked.to_vec();
        ranked.sort();
        let proposals = ranked
            .iter()
            .filter_map(|key| {
                self.proposal_offset(key.rank, elapsed)
                    .map(|offset| Turn { offset, key: *key })
            })
            .collect();
        let fallback = ranked.first().and_then(|best| {
            self.fallback_offset(best.rank, elapsed)
                .map(|offset| Turn { offset, key: *best })
        });
        SlotPlan {
            proposals,
            fallback,
        }
    }

    /// The plan of a backup-only process (no stake, no rank): the fallback duties with its
    /// first key, as soon as the proposal window closes.
    pub fn backup_only_plan(&self, elapsed: Duration) -> SlotPlan {
        let key = RankedKey { rank: 0, key: 0 };
        SlotPlan {
            proposals: Vec::new(),
            fallback: self
                .fallback_offset(0, elapsed)
                .map(|offset| Turn { offset, key }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The devnet's timing: 20 s slots, an 8 s proposal window, 2 s steps.
    fn schedule() -> SlotSchedule {
        SlotSchedule {
            slot_duration: Duration::from_secs(20),
            proposal_window: Duration::from_secs(8),
            step: Duration::from_secs(2),
            inclusion_margin: Duration::from_millis(1500),
        }
    }

    fn key(rank: usize, key: usize) -> RankedKey {
        RankedKey { rank, key }
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
    fn a_process_joining_mid_slot_proposes_at_once_or_not_at_all() {
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

    /// Regression (issue 12, slot loop): the old schedule put rank `r`'s fallback turn at
    /// `8 s + 2 s × r` whatever the slot length, and the loop slept until it: with 10 stakers,
    /// rank 9 slept 26 s into a 20 s slot and entered the next slot 6 s late, after a lower rank
    /// had already proposed there. Every turn of a plan now lies inside its slot.
    #[test]
    fn no_turn_falls_after_the_slot() {
        let s = schedule();
        for rank in 0..1_000 {
            let plan = s.plan(&[key(rank, 0)], Duration::ZERO);
            for turn in plan.proposals.iter().chain(&plan.fallback) {
                assert!(
                    turn.offset + s.inclusion_margin <= s.slot_duration,
                    "rank {rank}: turn at {:?}",
                    turn.offset
                );
            }
        }
        assert_eq!(
            s.fallback_offset(2, Duration::ZERO),
            Some(Duration::from_secs(12))
        );
        // 8 s + 2 s × 6 = 20 s: nothing could land in the slot any more.
        assert_eq!(s.fallback_offset(6, Duration::ZERO), None);
        assert_eq!(s.fallback_offset(9, Duration::ZERO), None);
    }

    #[test]
    fn a_process_with_many_keys_proposes_with_its_best_and_falls_back_in_order() {
        let s = schedule();
        let plan = s.plan(&[key(7, 0), key(2, 5), key(0, 3)], Duration::ZERO);
        let turns: Vec<(usize, u64)> = plan
            .proposals
            .iter()
            .map(|turn| (turn.key.key, turn.offset.as_secs()))
            .collect();
        // Rank 7 has no proposal turn inside the window.
        assert_eq!(turns, vec![(3, 0), (5, 4)]);
        assert_eq!(
            plan.fallback,
            Some(Turn {
                offset: Duration::from_secs(8),
                key: key(0, 3)
            })
        );
        assert_eq!(s.plan(&[], Duration::ZERO), SlotPlan::default());
    }

    #[test]
    fn backup_only_acts_when_the_window_closes_and_never_past_the_slot() {
        let s = schedule();
        let plan = s.backup_only_plan(Duration::ZERO);
        assert!(plan.proposals.is_empty());
        assert_eq!(plan.fallback.unwrap().offset, Duration::from_secs(8));
        let late = s.backup_only_plan(Duration::from_secs(12));
        assert_eq!(late.fallback.unwrap().offset, Duration::from_secs(12));
        assert_eq!(s.backup_only_plan(Duration::from_secs(19)).fallback, None);
    }
}
