//! Invariants of the protocol, checked after every step on the model's state, which the step
//! has just found equal to every value the contracts expose: [`check`] on the state itself,
//! [`check_step`] on what the step changed (both with the committee mode's own ones when the
//! model runs it).

use std::collections::BTreeSet;

use alloy::primitives::{Address, B256, U256};

use crate::{
    error::Divergence,
    model::{signers_hash, ClaimStatus, Model},
};

/// What a step was, for the invariants of its transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// A successful epoch proof (any kind) sent by this submitter.
    Proof(Address),
    /// A successful inactivity slash of this staker.
    InactivitySlash(Address),
    /// Anything else.
    Other,
}

fn broken(name: &'static str, detail: String) -> Divergence {
    Divergence::Invariant { name, detail }
}

/// Checks every invariant.
pub fn check(m: &Model) -> Result<(), Divergence> {
    let a = m.addresses;
    let balance = |holder: Address| m.token.balance_of(holder);
    let held: u128 = m.token.balances.values().sum();
    if held != m.token.total_supply {
        return Err(broken(
            "tokens are conserved",
            format!("held {held}, minted {}", m.token.total_supply),
        ));
    }
    if balance(a.staking) != m.staking.total_staked {
        return Err(broken(
            "staking holds exactly the stakes",
            format!(
                "balance {}, totalStaked {}",
                balance(a.staking),
                m.staking.total_staked
            ),
        ));
    }
    let stakes: u128 = m.staking.stakers.values().map(|s| s.stake).sum();
    if stakes != m.staking.total_staked {
        return Err(broken(
            "totalStaked sums the stakes",
            format!("{stakes} vs {}", m.staking.total_staked),
        ));
    }
    if balance(a.escrow) != m.escrow.total_deposits {
        return Err(broken(
            "escrow holds exactly the deposits",
            format!(
                "balance {}, totalDeposits {}",
                balance(a.escrow),
                m.escrow.total_deposits
            ),
        ));
    }
    if balance(a.pool) < m.pool.total_owed + m.pool.fee_funds {
        return Err(broken(
            "the pool covers what it owes and its fee funds",
            format!(
                "balance {}, owed {}, fee funds {}",
                balance(a.pool),
                m.pool.total_owed,
                m.pool.fee_funds
            ),
        ));
    }
    check_fees(m)?;
    let r = &m.rollup;
    if r.proven_tip > r.pending_tip {
        return Err(broken(
            "proven tip <= pending tip",
            format!("{} > {}", r.proven_tip, r.pending_tip),
        ));
    }
    for n in 1..=r.pending_tip {
        let (previous, block) = (r.block(n - 1), r.block(n));
        if n > 1 && previous.slot >= block.slot {
            return Err(broken(
                "at most one block per slot, slots increasing",
                format!(
                    "block {} at slot {}, block {n} at slot {}",
                    n - 1,
                    previous.slot,
                    block.slot
                ),
            ));
        }
    }
    for n in r.proven_tip + 1..=r.pending_tip {
        let epoch = m.params.epoch_of(r.block(n).slot);
        let log = r.epoch_log(epoch);
        if n < log.first_block || n >= log.first_block + u64::from(log.block_count) {
            return Err(broken(
                "pending blocks are in their epoch's log",
                format!("block {n} (epoch {epoch}) outside {log:?}"),
            ));
        }
    }
    let mut locked = std::collections::BTreeMap::<Address, u128>::new();
    for claim in r
        .claims
        .values()
        .filter(|c| c.status == ClaimStatus::Claimed)
    {
        *locked.entry(claim.prover).or_default() += claim.bond_amount;
    }
    for (prover, account) in &m.escrow.accounts {
        let open = locked.get(prover).copied().unwrap_or(0);
        if account.locked != open {
            return Err(broken(
                "a prover's locked bond equals its open claims",
                format!("{prover}: locked {}, open claims {open}", account.locked),
            ));
        }
    }
    for (epoch, claim) in &r.claims {
        if claim.status != ClaimStatus::None && *epoch >= m.current_epoch() {
            return Err(broken(
                "only ended epochs are claimed",
                format!("epoch {epoch} claimed in epoch {}", m.current_epoch()),
            ));
        }
    }
    if m.params.committee.is_some() {
        check_committee(m)?;
    }
    Ok(())
}

/// The committee mode's state invariants.
///
/// - The member counts are exact: every recorded set size, and `memberCount` around the current
///   epoch, equal a scan of `isMember`.
/// - Every pending block but a backup block carries a nonzero signers hash of at least the quorum
///   of distinct signers, none its proposer, each in its slot's committee (now, as when it signed:
///   the committee of a past slot never changes), in strictly ascending score.
/// - No duty is settled past the current slot, and nobody is a member of an epoch with no
///   recorded or counted members.
fn check_committee(m: &Model) -> Result<(), Divergence> {
    let c = m.params.committee.as_ref().expect("the committee mode");
    for (&epoch, &recorded) in &m.committee.set_sizes {
        let scanned = m.staking.members_scanned(epoch);
        if recorded != scanned {
            return Err(broken(
                "a recorded set size is the epoch's member count",
                format!("epoch {epoch}: recorded {recorded}, {scanned} members"),
            ));
        }
    }
    let current = m.current_epoch();
    for epoch in current.saturating_sub(3)..=current + m.params.snapshot_lag + 2 {
        let (counted, scanned) = (
            m.staking.member_count(epoch),
            m.staking.members_scanned(epoch),
        );
        if counted != scanned || m.committee_set_size(epoch) != scanned {
            return Err(broken(
                "memberCount counts exactly the members",
                format!(
                    "epoch {epoch}: memberCount {counted}, committeeSetSize {}, {scanned} members",
                    m.committee_set_size(epoch)
                ),
            ));
        }
    }
    let r = &m.rollup;
    for n in 1..=r.pending_tip {
        let block = r.block(n);
        if block.backup {
            continue;
        }
        let signers = m.committee.signers.get(&n).cloned().unwrap_or_default();
        let chunks = m
            .committee
            .chunk_counts
            .get(&n)
            .copied()
            .unwrap_or_default();
        let hash = m.signers_hash_of(n);
        let mut previous = None;
        for signer in &signers {
            let score = m.score_of(block.slot, *signer);
            let ascending = previous.is_none_or(|p| score > p);
            if *signer == block.proposer
                || !ascending
                || !m.is_committee_member(block.slot, *signer)
            {
                return Err(broken(
                    "a signed block's signers are its slot's committee, ascending, not its \
                     proposer",
                    format!("block {n} at slot {}: signer {signer}", block.slot),
                ));
            }
            previous = Some(score);
        }
        if (signers.len() as u64) < c.signoff_quorum
            || hash == B256::ZERO
            || hash != signers_hash(&signers, U256::from(chunks))
        {
            return Err(broken(
                "a pending block that is not a backup block has a nonzero signers hash of a \
                 quorum",
                format!("block {n}: {} signers, hash {hash}", signers.len()),
            ));
        }
    }
    for (staker, slot) in &m.committee.settled {
        if *slot > m.current_slot() {
            return Err(broken(
                "no duty is settled past the current slot",
                format!(
                    "{staker} settled to slot {slot} in slot {}",
                    m.current_slot()
                ),
            ));
        }
    }
    Ok(())
}

/// The fee invariants: fees are paid only out of released deposits, deposits are released
/// exactly as far as the proven chain consumed them, and the inbox holds the rest.
fn check_fees(m: &Model) -> Result<(), Divergence> {
    let inbox = &m.inbox;
    if m.pool.fees_credited > inbox.released_total {
        return Err(broken(
            "fees credited never exceed the deposits released",
            format!(
                "fees credited {}, deposits released {}",
                m.pool.fees_credited, inbox.released_total
            ),
        ));
    }
    let proven_cursor = m.rollup.block(m.rollup.proven_tip).inbox_cursor;
    let consumed = inbox.deposited_before(proven_cursor.min(inbox.count()));
    if inbox.released_total != consumed || inbox.released_cursor != proven_cursor {
        return Err(broken(
            "the deposits released are those the proven chain consumed",
            format!(
                "released {} (cursor {}), proven tip {} consumed {consumed} (cursor \
                 {proven_cursor})",
                inbox.released_total, inbox.released_cursor, m.rollup.proven_tip
            ),
        ));
    }
    let held = m.token.balance_of(m.addresses.inbox);
    if inbox.total_deposited.checked_sub(inbox.released_total) != Some(held) {
        return Err(broken(
            "the inbox holds the deposits not released",
            format!(
                "balance {held}, deposited {}, released {}",
                inbox.total_deposited, inbox.released_total
            ),
        ));
    }
    Ok(())
}

/// Checks the invariants of one transaction, from the state before it to the state after it;
/// `submitter` is the sender of a successful `submitEpochProof`, if that was the transaction.
///
/// - A proof pays only its payee: every reward credited by a proof submission goes to its payee
///   (the claimed prover of a claimed epoch, else the submitter) or to the proposer of a block
///   it proved.
/// - No stake penalty falls on a proposer whose block was proven: a slashed stake belongs to
///   the proposer of the first unproven block, which was not proven and not a backup block.
pub fn check_transition(
    before: &Model,
    after: &Model,
    submitter: Option<Address>,
) -> Result<(), Divergence> {
    check_step(
        before,
        after,
        submitter.map_or(Transition::Other, Transition::Proof),
    )
}

/// Checks the invariants of one transaction, from the state before it to the state after it
/// (see [`check_transition`]), and in the committee mode its own:
///
/// - A committee proof pays only the sender, the proven blocks' proposers and their signers.
/// - A committee proof pays every proven block's reward once, and the submission reward when it
///   completes the epoch: the rewards it credits plus those the pool could not cover are
///   exactly `blocks * blockReward (+ proofSubmissionReward)`.
/// - Settled duty slots never move back.
/// - A stake falls only by the unproven-block penalty of [`check_transition`] or by the
///   inactivity slash of the staker it names, by at most the penalty.
pub fn check_step(before: &Model, after: &Model, step: Transition) -> Result<(), Divergence> {
    let committee = after.params.committee.as_ref();
    if let (Transition::Proof(submitter), Some(_)) = (step, committee) {
        check_rewards_conserved(before, after)?;
        let first = before.rollup.proven_tip + 1;
        let mut paid = BTreeSet::from([submitter]);
        for n in first..=after.rollup.proven_tip {
            let block = after.rollup.block(n);
            paid.insert(block.proposer);
            if !block.backup {
                paid.extend(after.committee.signers.get(&n).into_iter().flatten());
            }
        }
        for (account, owed) in &after.pool.owed {
            if *owed > before.pool.owed_to(*account) && !paid.contains(account) {
                return Err(broken(
                    "a committee proof pays only the sender, the proposers and the signers",
                    format!(
                        "{account} credited by a proof of blocks {first}..={}",
                        after.rollup.proven_tip
                    ),
                ));
            }
        }
    } else if let Transition::Proof(submitter) = step {
        let first = before.rollup.proven_tip + 1;
        let epoch = before.params.epoch_of(before.rollup.block(first).slot);
        let claim = before.rollup.claim(epoch);
        let payee = match claim.status {
            ClaimStatus::Claimed => claim.prover,
            _ => submitter,
        };
        let mut paid: BTreeSet<Address> = (first..=after.rollup.proven_tip)
            .map(|n| after.rollup.block(n).proposer)
            .collect();
        paid.insert(payee);
        for (account, owed) in &after.pool.owed {
            if *owed > before.pool.owed_to(*account) && !paid.contains(account) {
                return Err(broken(
                    "a proof pays only its payee",
                    format!(
                        "{account} credited by a proof of blocks {first}..={} paying {payee}",
                        after.rollup.proven_tip
                    ),
                ));
            }
        }
    }
    for (staker, slot) in &before.committee.settled {
        if after.settled_duty_slot(*staker) < *slot {
            return Err(broken(
                "settled duty slots never move back",
                format!(
                    "{staker}: from slot {slot} to slot {}",
                    after.settled_duty_slot(*staker)
                ),
            ));
        }
    }
    for (staker, info) in &after.staking.stakers {
        let old = before.staking.info(*staker);
        if info.stake >= old.stake || info.withdrawn {
            continue;
        }
        if let (Transition::InactivitySlash(slashed), Some(c)) = (step, committee) {
            if slashed == *staker && old.stake - info.stake <= c.inactivity_penalty {
                continue;
            }
        }
        let first = before.rollup.proven_tip + 1;
        let block = before.rollup.block(first);
        let unproven = first <= before.rollup.pending_tip && after.rollup.proven_tip < first;
        if block.proposer != *staker || !unproven || block.backup {
            return Err(broken(
                "no stake penalty falls on a proposer whose block was proven",
                format!(
                    "{staker} slashed {}; first unproven block {first} ({block:?}), proven tip {}",
                    old.stake - info.stake,
                    after.rollup.proven_tip
                ),
            ));
        }
    }
    Ok(())
}

/// A proof's rewards: what it credited beyond fees, plus what the pool could not cover, is one
/// block reward per proven block and the submission reward if it completed its epoch.
fn check_rewards_conserved(before: &Model, after: &Model) -> Result<(), Divergence> {
    let first = before.rollup.proven_tip + 1;
    let to = after.rollup.proven_tip;
    let epoch = before.params.epoch_of(before.rollup.block(first).slot);
    let log = before.rollup.epoch_log(epoch);
    let complete = to + 1 == log.first_block + u64::from(log.block_count);
    let p = &after.params;
    let submission = if complete {
        p.proof_submission_reward
    } else {
        0
    };
    let expected = u128::from(to + 1 - first) * p.block_reward + submission;
    let credited = (after.pool.total_owed - before.pool.total_owed)
        - (after.pool.fees_credited - before.pool.fees_credited);
    let unpaid = after.pool.unpaid - before.pool.unpaid;
    if credited + unpaid != expected {
        return Err(broken(
            "a proof pays each proven block's reward once, and the submission reward once",
            format!(
                "blocks {first}..={to} (epoch complete: {complete}): credited {credited} + \
                 unpaid {unpaid}, expected {expected}"
            ),
        ));
    }
    Ok(())
}
