//! Invariants of the protocol, checked after every step on the model's state, which the step
//! has just found equal to every value the contracts expose: [`check`] on the state itself,
//! [`check_transition`] on what the step changed.

use std::collections::BTreeSet;

use alloy::primitives::Address;

use crate::{
    error::Divergence,
    model::{ClaimStatus, Model},
};

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
    if let Some(submitter) = submitter {
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
    for (staker, info) in &after.staking.stakers {
        let old = before.staking.info(*staker);
        if info.stake >= old.stake || info.withdrawn {
            continue;
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
