//! Sequencer staking: registration with an entry period, the exit queue, withdrawal, slashing.

use std::collections::BTreeMap;

use alloy::primitives::{Address, U256};
use fernet_bindings::errors::Errors;

use super::token::Token;
use crate::{
    params::Params,
    reverts::{Outcome, Revert},
};

/// `exitEpoch` of a staker that is not exiting.
pub const NOT_EXITING: u32 = u32::MAX;

/// One staker's record, as `IStaking.StakerInfo`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Staker {
    /// Tokens at stake.
    pub stake: u128,
    /// First member epoch (0: never registered).
    pub activation_epoch: u32,
    /// First epoch no longer a member.
    pub exit_epoch: u32,
    /// Whether the exit started.
    pub exiting: bool,
    /// Whether the stake was withdrawn.
    pub withdrawn: bool,
    /// From when the stake can be withdrawn.
    pub withdrawable_at: u64,
}

/// The staking contract's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Staking {
    /// Every staker ever registered.
    pub stakers: BTreeMap<Address, Staker>,
    /// Registration order (what `membersAt` enumerates).
    pub order: Vec<Address>,
    /// The epoch the exit queue is filling.
    pub exit_queue_epoch: u32,
    /// Exits already queued in that epoch.
    pub exits_in_queue_epoch: u32,
    /// Tokens held for stakers.
    pub total_staked: u128,
    /// Tokens ever slashed.
    pub total_slashed: u128,
    /// Joins (activation epochs) and leaves (exit epochs) per epoch (`_memberChanges`).
    pub member_changes: BTreeMap<u64, MemberChanges>,
    /// The member count's cursor: the epoch `checkpointMemberCount` last moved it to.
    pub counted_epoch: u64,
    /// The member count of `counted_epoch`.
    pub counted_members: u64,
}

/// How many stakers join and leave the set in one epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemberChanges {
    /// Stakers whose activation epoch it is.
    pub joining: u64,
    /// Stakers whose exit epoch it is.
    pub leaving: u64,
}

impl Staking {
    /// The record of `staker` (all zero when unknown).
    pub fn info(&self, staker: Address) -> Staker {
        self.stakers.get(&staker).copied().unwrap_or_default()
    }

    /// Whether `staker` is in the member set of `epoch`.
    pub fn is_member(&self, staker: Address, epoch: u64) -> bool {
        let info = self.info(staker);
        info.activation_epoch != 0
            && u64::from(info.activation_epoch) <= epoch
            && epoch < u64::from(info.exit_epoch)
    }

    /// The members of `epoch`, counted by a scan of every staker (what `memberCount` must equal).
    pub fn members_scanned(&self, epoch: u64) -> u64 {
        self.order
            .iter()
            .filter(|staker| self.is_member(**staker, epoch))
            .count() as u64
    }

    /// `memberCount(epoch)`: the joins and leaves walked from the cursor, as the contract reads
    /// them.
    pub fn member_count(&self, epoch: u64) -> u64 {
        self.count_from(self.counted_epoch, self.counted_members, epoch)
    }

    /// `checkpointMemberCount()` at `now` (by anyone; the committee rollup's randomness
    /// checkpoint calls it): moves the cursor to the current epoch and returns its count.
    pub fn checkpoint_member_count(&mut self, p: &Params, now: u64) -> u64 {
        let current = p.epoch_at(now);
        if self.counted_epoch == current {
            return self.counted_members;
        }
        let members = self.member_count(current);
        self.counted_epoch = current;
        self.counted_members = members;
        members
    }

    fn count_from(&self, from: u64, mut members: u64, target: u64) -> u64 {
        let changes = |e: u64| self.member_changes.get(&e).copied().unwrap_or_default();
        for e in from + 1..=target {
            let c = changes(e);
            members = members + c.joining - c.leaving;
        }
        for e in (target + 1..=from).rev() {
            let c = changes(e);
            members = members + c.leaving - c.joining;
        }
        members
    }

    /// Whether `staker` may propose or claim in `epoch`.
    pub fn can_propose(&self, staker: Address, epoch: u64) -> bool {
        self.is_member(staker, epoch) && !self.info(staker).exiting
    }

    /// The members of `epoch` that can propose, in registration order.
    pub fn proposers_at(&self, epoch: u64) -> Vec<Address> {
        self.order
            .iter()
            .copied()
            .filter(|staker| self.can_propose(*staker, epoch))
            .collect()
    }

    /// One page of `membersAt` (or, with `proposers_only`, `proposersAt`): the matching stakers
    /// among registration indices `[start, min(start + limit, count))`, and that end index.
    pub fn page(
        &self,
        epoch: u64,
        start: usize,
        limit: usize,
        proposers_only: bool,
    ) -> (Vec<Address>, usize) {
        let end = start.saturating_add(limit).min(self.order.len());
        let selected = self.order[start.min(end)..end]
            .iter()
            .copied()
            .filter(|&staker| match proposers_only {
                true => self.can_propose(staker, epoch),
                false => self.is_member(staker, epoch),
            })
            .collect();
        (selected, end)
    }

    fn first_unsnapshotted_epoch(p: &Params, now: u64) -> u64 {
        p.epoch_at(now) + p.snapshot_lag + 1
    }

    /// `register(amount)` by `staker`.
    pub fn register(
        &mut self,
        token: &mut Token,
        p: &Params,
        now: u64,
        staker: Address,
        amount: u128,
        this: Address,
    ) -> Outcome {
        if self.info(staker).activation_epoch != 0 {
            return Err(Revert::of(Errors::Staking__AlreadyRegistered { staker }));
        }
        if amount < p.minimum_stake {
            return Err(Revert::of(Errors::Staking__InsufficientStake {
                minimum: U256::from(p.minimum_stake),
                provided: U256::from(amount),
            }));
        }
        let after_entry = p.epoch_at(now + p.entry_period) + 1;
        let activation = after_entry.max(Self::first_unsnapshotted_epoch(p, now));
        self.stakers.insert(
            staker,
            Staker {
                stake: amount,
                activation_epoch: u32::try_from(activation).expect("small epochs"),
                exit_epoch: NOT_EXITING,
                ..Staker::default()
            },
        );
        self.order.push(staker);
        self.member_changes.entry(activation).or_default().joining += 1;
        self.total_staked += amount;
        token.transfer(staker, this, amount)
    }

    /// `exit()` by `staker`.
    pub fn exit(&mut self, p: &Params, now: u64, staker: Address) -> Outcome {
        let info = self.info(staker);
        if info.activation_epoch == 0 {
            return Err(Revert::of(Errors::Staking__NotRegistered { staker }));
        }
        if info.exiting {
            return Err(Revert::of(Errors::Staking__AlreadyExiting {
                staker,
                exitEpoch: U256::from(info.exit_epoch),
            }));
        }
        self.start_exit(p, now, staker);
        Ok(())
    }

    /// `withdraw(recipient)` by `staker`.
    pub fn withdraw(
        &mut self,
        token: &mut Token,
        now: u64,
        staker: Address,
        recipient: Address,
        this: Address,
    ) -> Outcome {
        let info = self.info(staker);
        if info.activation_epoch == 0 {
            return Err(Revert::of(Errors::Staking__NotRegistered { staker }));
        }
        if info.withdrawn {
            return Err(Revert::of(Errors::Staking__AlreadyWithdrawn { staker }));
        }
        if !info.exiting {
            return Err(Revert::of(Errors::Staking__NotExiting { staker }));
        }
        if now < info.withdrawable_at {
            return Err(Revert::of(Errors::Staking__WithdrawalNotReady {
                staker,
                readyAt: U256::from(info.withdrawable_at),
                now_: U256::from(now),
            }));
        }
        let record = self.stakers.get_mut(&staker).expect("registered");
        let amount = record.stake;
        record.stake = 0;
        record.withdrawn = true;
        self.total_staked -= amount;
        token.transfer(this, recipient, amount)
    }

    /// `slash(staker, amount, recipient)` called by the rollup; returns what was taken.
    #[allow(clippy::too_many_arguments)]
    pub fn slash(
        &mut self,
        token: &mut Token,
        p: &Params,
        now: u64,
        staker: Address,
        amount: u128,
        recipient: Address,
        this: Address,
    ) -> Outcome<u128> {
        let info = self.info(staker);
        let slashed = amount.min(info.stake);
        if slashed == 0 {
            return Ok(0);
        }
        let record = self.stakers.get_mut(&staker).expect("a staker with stake");
        record.stake -= slashed;
        self.total_staked -= slashed;
        self.total_slashed += slashed;
        let record = *record;
        if record.stake < p.minimum_stake && !record.exiting && !record.withdrawn {
            self.start_exit(p, now, staker);
        }
        token.transfer(this, recipient, slashed)?;
        Ok(slashed)
    }

    fn start_exit(&mut self, p: &Params, now: u64, staker: Address) {
        let earliest = Self::first_unsnapshotted_epoch(p, now);
        let info = self.info(staker);
        let queue_epoch = if u64::from(info.activation_epoch) >= earliest {
            u64::from(info.activation_epoch)
        } else {
            let mut queue_epoch = u64::from(self.exit_queue_epoch);
            let mut in_queue = self.exits_in_queue_epoch;
            if queue_epoch < earliest {
                queue_epoch = earliest;
                in_queue = 0;
            } else if in_queue == p.exit_churn_per_epoch {
                queue_epoch += 1;
                in_queue = 0;
            }
            self.exit_queue_epoch = u32::try_from(queue_epoch).expect("small epochs");
            self.exits_in_queue_epoch = in_queue + 1;
            queue_epoch
        };
        // A staker leaving before its activation leaves at its activation epoch: they cancel.
        self.member_changes.entry(queue_epoch).or_default().leaving += 1;
        let record = self.stakers.get_mut(&staker).expect("registered");
        record.exiting = true;
        record.exit_epoch = u32::try_from(queue_epoch).expect("small epochs");
        record.withdrawable_at = p.epoch_start(queue_epoch) + p.exit_delay;
    }
}
