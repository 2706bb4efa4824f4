//! What the harness compares after every step: every value the contracts expose about the
//! cast and the recent chain, read through their views, against the same values in the model.

use std::{collections::BTreeMap, fmt::Display};

use alloy::{
    primitives::{Address, U256},
    sol_types::SolCall,
};
use fernet_bindings::{
    DevnetToken, FeeInbox, ICommitteeRollup, IRollup as Rollup, ProverEscrow, RewardPool, Staking,
};

use crate::{
    error::{Divergence, Error, Result},
    evm::Evm,
    model::{ClaimStatus, Model},
};

/// Epochs before the current one whose logs and claims are compared.
const EPOCH_WINDOW: u64 = 4;

/// Observed values by path (`staking.stakerInfo(0x..)`), each rendered as text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Value per path.
    pub values: BTreeMap<String, String>,
}

/// Upgrade payloads whose votes are compared (the harness's two).
const PAYLOADS: [Address; 2] = [Address::new([0xa1; 20]), Address::new([0xa2; 20])];

/// Pages of `membersAt` and `proposersAt` compared: (epochs after the current one, start,
/// limit). They cover pages that stop inside the list, run to its end, start past it, and a
/// limit that would overflow `start + limit`.
const PAGES: [(u64, usize, usize); 5] = [
    (0, 0, 2),
    (0, 2, 3),
    (0, 5, usize::MAX),
    (1, 1, 4),
    (1, 7, 1),
];

/// The views that enumerate stakers: `membersAt` and `proposersAt`.
const ENUMERATIONS: [(&str, bool); 2] = [("membersAt", false), ("proposersAt", true)];

fn page_path(name: &str, epoch: u64, start: usize, limit: usize) -> String {
    format!("staking.{name}({epoch}, {start}, {limit})")
}

fn page_line(stakers: &[Address], next: impl Display) -> String {
    let listed: Vec<String> = stakers.iter().map(Address::to_string).collect();
    format!("[{}] next {next}", listed.join(", "))
}

fn limit_word(limit: usize) -> U256 {
    match limit {
        usize::MAX => U256::MAX,
        limit => U256::from(limit),
    }
}

/// The block numbers compared: from just below the proven tip to the highest ever written.
fn block_range(model: &Model) -> std::ops::RangeInclusive<u64> {
    let highest = model.rollup.blocks.keys().next_back().copied().unwrap_or(0);
    model.rollup.proven_tip.saturating_sub(1)..=highest
}

/// The inbox message compared: the latest (messages never change once deposited, so comparing
/// each one after the step that made it covers them all).
fn latest_message(model: &Model) -> Option<u64> {
    model.inbox.count().checked_sub(1)
}

/// The committee mode's sign-off digest compared once: (block number, slot, public inputs hash).
const DIGEST_SAMPLE: (u64, u64, [u8; 32]) = (7, 42, [0x11; 32]);

/// The epochs whose `memberCount` the committee mode compares: from two before the current one
/// (behind the cursor the randomness checkpoints move) to the first epoch a registration now
/// could join and one past it.
fn member_count_range(model: &Model) -> std::ops::RangeInclusive<u64> {
    let current = model.current_epoch();
    current.saturating_sub(2)..=current + model.params.snapshot_lag + 2
}

fn epoch_range(model: &Model) -> std::ops::RangeInclusive<u64> {
    let current = model.current_epoch();
    current.saturating_sub(EPOCH_WINDOW)..=current + 1
}

fn status_code(status: ClaimStatus) -> u8 {
    match status {
        ClaimStatus::None => 0,
        ClaimStatus::Claimed => 1,
        ClaimStatus::Proven => 2,
        ClaimStatus::Slashed => 3,
        ClaimStatus::Cancelled => 4,
    }
}

impl Snapshot {
    fn put(&mut self, path: String, value: impl std::fmt::Display) {
        self.values.insert(path, value.to_string());
    }

    /// Reads the values fixed at deployment that the per-step snapshot leaves out: the fee
    /// inbox's parameters and the contracts it is wired to.
    pub fn observe_constants(evm: &mut Evm, model: &Model) -> Result<Self> {
        let a = model.addresses;
        let mut s = Self::default();
        macro_rules! call {
            ($to:expr, $call:expr) => {{
                let call = $call;
                let output = evm.view($to, call.abi_encode().into())?;
                decode(&call, &output)?
            }};
        }
        s.put(
            "inbox.inclusionDelay".into(),
            call!(a.inbox, FeeInbox::inclusionDelayCall {}),
        );
        s.put("inbox.token".into(), call!(a.inbox, FeeInbox::tokenCall {}));
        s.put(
            "inbox.rollup".into(),
            call!(a.inbox, FeeInbox::rollupCall {}),
        );
        s.put("inbox.pool".into(), call!(a.inbox, FeeInbox::poolCall {}));
        s.put("rollup.inbox".into(), call!(a.rollup, Rollup::inboxCall {}));
        if model.params.committee.is_some() {
            let c = call!(a.rollup, ICommitteeRollup::committeeConfigCall {});
            s.put(
                "rollup.committeeConfig".into(),
                committee_config_line([
                    &c.committeeSize,
                    &c.signoffQuorum,
                    &c.chunkTxs,
                    &c.sequencerBaseBps,
                    &c.sequencerBonusBps,
                    &c.takeoverSlots,
                    &c.inactivityLimit,
                    &c.inactivityPenalty,
                ]),
            );
            let (number, slot, hash) = DIGEST_SAMPLE;
            s.put(
                "rollup.signoffDigest(sample)".into(),
                call!(
                    a.rollup,
                    ICommitteeRollup::signoffDigestCall {
                        blockNumber: U256::from(number),
                        slot: U256::from(slot),
                        publicInputsHash: hash.into(),
                    }
                ),
            );
        }
        Ok(s)
    }

    /// The same constants, as the model has them.
    pub fn expect_constants(model: &Model) -> Self {
        let a = model.addresses;
        let mut s = Self::default();
        s.put("inbox.inclusionDelay".into(), model.params.inclusion_delay);
        s.put("inbox.token".into(), a.token);
        s.put("inbox.rollup".into(), a.rollup);
        s.put("inbox.pool".into(), a.pool);
        s.put("rollup.inbox".into(), a.inbox);
        if let Some(c) = &model.params.committee {
            s.put(
                "rollup.committeeConfig".into(),
                committee_config_line([
                    &c.committee_size,
                    &c.signoff_quorum,
                    &c.chunk_txs,
                    &c.sequencer_base_bps,
                    &c.sequencer_bonus_bps,
                    &c.takeover_slots,
                    &c.inactivity_limit,
                    &c.inactivity_penalty,
                ]),
            );
            let (number, slot, hash) = DIGEST_SAMPLE;
            s.put(
                "rollup.signoffDigest(sample)".into(),
                model.signoff_digest(number, slot, hash.into()),
            );
        }
        s
    }

    /// Reads the contracts' values through their views.
    pub fn observe(evm: &mut Evm, model: &Model, accounts: &[Address]) -> Result<Self> {
        let a = model.addresses;
        let mut s = Self::default();
        let view = |evm: &mut Evm, to: Address, data: Vec<u8>| evm.view(to, data.into());
        macro_rules! call {
            ($to:expr, $call:expr) => {{
                let call = $call;
                let output = view(evm, $to, call.abi_encode())?;
                decode(&call, &output)?
            }};
        }
        s.put(
            "rollup.pendingTip".into(),
            call!(a.rollup, Rollup::pendingTipCall {}),
        );
        s.put(
            "rollup.provenTip".into(),
            call!(a.rollup, Rollup::provenTipCall {}),
        );
        s.put(
            "rollup.canPrune".into(),
            call!(a.rollup, Rollup::canPruneCall {}),
        );
        for n in block_range(model) {
            let log = call!(
                a.rollup,
                Rollup::blockLogCall {
                    blockNumber: U256::from(n)
                }
            );
            s.put(
                format!("rollup.blockLog({n})"),
                block_line(
                    log.stateRoot,
                    log.publicInputsHash,
                    log.proposer,
                    log.slot,
                    log.backup,
                    log.inboxCursor,
                ),
            );
        }
        for e in epoch_range(model) {
            let epoch = U256::from(e);
            let log = call!(a.rollup, Rollup::epochLogCall { epoch });
            s.put(
                format!("rollup.epochLog({e})"),
                epoch_line(log.firstBlock, log.blockCount),
            );
            let claim = call!(a.rollup, Rollup::claimOfCall { epoch });
            s.put(
                format!("rollup.claimOf({e})"),
                claim_line(
                    claim.prover,
                    claim.bondAmount,
                    claim.claimant,
                    claim.basisPointFee,
                    claim.status,
                ),
            );
        }
        let current = U256::from(model.current_epoch());
        s.put(
            "rollup.randomnessCheckpoint(current)".into(),
            call!(
                a.rollup,
                Rollup::randomnessCheckpointCall { epoch: current }
            ),
        );
        s.put(
            "rollup.seedOf(current)".into(),
            call!(a.rollup, Rollup::seedOfCall { epoch: current }),
        );
        let round = model.current_slot() / model.params.vote_round_size;
        for r in round.saturating_sub(1)..=round {
            s.put(
                format!("rollup.signalledPayload({r})"),
                call!(
                    a.rollup,
                    Rollup::signalledPayloadCall {
                        round: U256::from(r)
                    }
                ),
            );
            for payload in PAYLOADS {
                s.put(
                    format!("rollup.votesFor({r}, {payload})"),
                    call!(
                        a.rollup,
                        Rollup::votesForCall {
                            round: U256::from(r),
                            payload
                        }
                    ),
                );
            }
        }
        for (ahead, start, limit) in PAGES {
            let e = model.current_epoch() + ahead;
            let (epoch, first) = (U256::from(e), U256::from(start));
            for (name, proposers_only) in ENUMERATIONS {
                let line = if proposers_only {
                    let page = call!(
                        a.staking,
                        Staking::proposersAtCall {
                            epoch,
                            start: first,
                            limit: limit_word(limit)
                        }
                    );
                    page_line(&page.proposers, page.next)
                } else {
                    let page = call!(
                        a.staking,
                        Staking::membersAtCall {
                            epoch,
                            start: first,
                            limit: limit_word(limit)
                        }
                    );
                    page_line(&page.members, page.next)
                };
                s.put(page_path(name, e, start, limit), line);
            }
        }
        for &account in accounts {
            let info = call!(a.staking, Staking::stakerInfoCall { staker: account });
            s.put(
                format!("staking.stakerInfo({account})"),
                staker_line(
                    info.stake,
                    info.activationEpoch,
                    info.exitEpoch,
                    info.exiting,
                    info.withdrawn,
                    info.withdrawableAt,
                ),
            );
            s.put(
                format!("staking.canPropose({account}, current)"),
                call!(
                    a.staking,
                    Staking::canProposeCall {
                        staker: account,
                        epoch: current
                    }
                ),
            );
            let account_of = call!(a.escrow, ProverEscrow::accountOfCall { prover: account });
            s.put(
                format!("escrow.accountOf({account})"),
                account_line(
                    account_of.free,
                    account_of.locked,
                    account_of.pendingWithdrawal,
                    account_of.withdrawableAt,
                ),
            );
            s.put(
                format!("pool.owed({account})"),
                call!(a.pool, RewardPool::owedCall { account }),
            );
        }
        for holder in accounts
            .iter()
            .copied()
            .chain([a.staking, a.escrow, a.pool, a.inbox])
        {
            s.put(
                format!("token.balanceOf({holder})"),
                call!(a.token, DevnetToken::balanceOfCall { account: holder }),
            );
        }
        let count = call!(a.inbox, FeeInbox::messageCountCall {});
        s.put("inbox.messageCount".into(), count);
        s.put(
            "inbox.releasedCursor".into(),
            call!(a.inbox, FeeInbox::releasedCursorCall {}),
        );
        // Only a message the contract holds: a count that differs is reported as such.
        if let Some(i) = latest_message(model).filter(|i| U256::from(*i) < count) {
            let message = call!(
                a.inbox,
                FeeInbox::messageCall {
                    index: U256::from(i)
                }
            );
            s.put(
                format!("inbox.message({i})"),
                message_line(message.recipient, message.amount, message.includeBy),
            );
        }
        s.put(
            "pool.feeFunds".into(),
            call!(a.pool, RewardPool::feeFundsCall {}),
        );
        s.put(
            "pool.available".into(),
            call!(a.pool, RewardPool::availableCall {}),
        );
        s.put(
            "token.totalSupply".into(),
            call!(a.token, DevnetToken::totalSupplyCall {}),
        );
        s.put(
            "staking.totalStaked".into(),
            call!(a.staking, Staking::totalStakedCall {}),
        );
        s.put(
            "staking.totalSlashed".into(),
            call!(a.staking, Staking::totalSlashedCall {}),
        );
        s.put(
            "staking.stakerCount".into(),
            call!(a.staking, Staking::stakerCountCall {}),
        );
        s.put(
            "escrow.totalDeposits".into(),
            call!(a.escrow, ProverEscrow::totalDepositsCall {}),
        );
        s.put(
            "escrow.totalSlashed".into(),
            call!(a.escrow, ProverEscrow::totalSlashedCall {}),
        );
        s.put(
            "pool.totalOwed".into(),
            call!(a.pool, RewardPool::totalOwedCall {}),
        );
        if model.params.committee.is_some() {
            for e in member_count_range(model) {
                s.put(
                    format!("staking.memberCount({e})"),
                    call!(
                        a.staking,
                        Staking::memberCountCall {
                            epoch: U256::from(e)
                        }
                    ),
                );
            }
            for e in epoch_range(model) {
                s.put(
                    format!("rollup.committeeSetSize({e})"),
                    call!(
                        a.rollup,
                        ICommitteeRollup::committeeSetSizeCall {
                            epoch: U256::from(e)
                        }
                    ),
                );
            }
            s.put(
                "rollup.committeeThreshold(current)".into(),
                call!(
                    a.rollup,
                    ICommitteeRollup::committeeThresholdCall { epoch: current }
                ),
            );
            for n in block_range(model) {
                s.put(
                    format!("rollup.signersHashOf({n})"),
                    call!(
                        a.rollup,
                        ICommitteeRollup::signersHashOfCall {
                            blockNumber: U256::from(n)
                        }
                    ),
                );
            }
            let slot = U256::from(model.current_slot());
            for &account in accounts {
                s.put(
                    format!("rollup.isCommitteeMember(current, {account})"),
                    call!(
                        a.rollup,
                        ICommitteeRollup::isCommitteeMemberCall {
                            slot,
                            staker: account
                        }
                    ),
                );
                s.put(
                    format!("rollup.settledDutySlot({account})"),
                    call!(
                        a.rollup,
                        ICommitteeRollup::settledDutySlotCall { staker: account }
                    ),
                );
            }
        }
        Ok(s)
    }

    /// The same values, as the model has them.
    pub fn expect(model: &Model, accounts: &[Address]) -> Self {
        let a = model.addresses;
        let r = &model.rollup;
        let mut s = Self::default();
        s.put("rollup.pendingTip".into(), r.pending_tip);
        s.put("rollup.provenTip".into(), r.proven_tip);
        s.put("rollup.canPrune".into(), model.can_prune());
        for n in block_range(model) {
            let log = r.block(n);
            s.put(
                format!("rollup.blockLog({n})"),
                block_line(
                    log.state_root,
                    log.public_inputs_hash,
                    log.proposer,
                    log.slot,
                    log.backup,
                    log.inbox_cursor,
                ),
            );
        }
        for e in epoch_range(model) {
            let log = r.epoch_log(e);
            s.put(
                format!("rollup.epochLog({e})"),
                epoch_line(log.first_block, log.block_count),
            );
            let claim = r.claim(e);
            s.put(
                format!("rollup.claimOf({e})"),
                claim_line(
                    claim.prover,
                    claim.bond_amount,
                    claim.claimant,
                    claim.basis_point_fee,
                    status_code(claim.status),
                ),
            );
        }
        let current = model.current_epoch();
        s.put(
            "rollup.randomnessCheckpoint(current)".into(),
            r.randao.get(&current).copied().unwrap_or_default(),
        );
        s.put("rollup.seedOf(current)".into(), model.seed(current));
        let round = model.current_slot() / model.params.vote_round_size;
        for round in round.saturating_sub(1)..=round {
            s.put(
                format!("rollup.signalledPayload({round})"),
                r.signalled.get(&round).copied().unwrap_or_default(),
            );
            for payload in PAYLOADS {
                s.put(
                    format!("rollup.votesFor({round}, {payload})"),
                    r.votes.get(&(round, payload)).copied().unwrap_or(0),
                );
            }
        }
        for (ahead, start, limit) in PAGES {
            let e = model.current_epoch() + ahead;
            for (name, proposers_only) in ENUMERATIONS {
                let (stakers, next) = model.staking.page(e, start, limit, proposers_only);
                s.put(page_path(name, e, start, limit), page_line(&stakers, next));
            }
        }
        for &account in accounts {
            let info = model.staking.info(account);
            s.put(
                format!("staking.stakerInfo({account})"),
                staker_line(
                    info.stake,
                    info.activation_epoch,
                    info.exit_epoch,
                    info.exiting,
                    info.withdrawn,
                    info.withdrawable_at,
                ),
            );
            s.put(
                format!("staking.canPropose({account}, current)"),
                model.staking.can_propose(account, current),
            );
            let acc = model.escrow.account(account);
            s.put(
                format!("escrow.accountOf({account})"),
                account_line(
                    acc.free,
                    acc.locked,
                    acc.pending_withdrawal,
                    acc.withdrawable_at,
                ),
            );
            s.put(format!("pool.owed({account})"), model.pool.owed_to(account));
        }
        for holder in accounts
            .iter()
            .copied()
            .chain([a.staking, a.escrow, a.pool, a.inbox])
        {
            s.put(
                format!("token.balanceOf({holder})"),
                model.token.balance_of(holder),
            );
        }
        s.put("inbox.messageCount".into(), model.inbox.count());
        s.put("inbox.releasedCursor".into(), model.inbox.released_cursor);
        if let Some(i) = latest_message(model) {
            let message = model.inbox.messages[i as usize];
            s.put(
                format!("inbox.message({i})"),
                message_line(message.recipient, message.amount, message.include_by),
            );
        }
        s.put("pool.feeFunds".into(), model.pool.fee_funds);
        s.put(
            "pool.available".into(),
            model.pool.available(&model.token, a.pool),
        );
        s.put("token.totalSupply".into(), model.token.total_supply);
        s.put("staking.totalStaked".into(), model.staking.total_staked);
        s.put("staking.totalSlashed".into(), model.staking.total_slashed);
        s.put("staking.stakerCount".into(), model.staking.order.len());
        s.put("escrow.totalDeposits".into(), model.escrow.total_deposits);
        s.put("escrow.totalSlashed".into(), model.escrow.total_slashed);
        s.put("pool.totalOwed".into(), model.pool.total_owed);
        if model.params.committee.is_some() {
            for e in member_count_range(model) {
                s.put(
                    format!("staking.memberCount({e})"),
                    model.staking.member_count(e),
                );
            }
            for e in epoch_range(model) {
                s.put(
                    format!("rollup.committeeSetSize({e})"),
                    model.committee_set_size(e),
                );
            }
            s.put(
                "rollup.committeeThreshold(current)".into(),
                model.committee_threshold(current),
            );
            for n in block_range(model) {
                s.put(
                    format!("rollup.signersHashOf({n})"),
                    model.signers_hash_of(n),
                );
            }
            let slot = model.current_slot();
            for &account in accounts {
                s.put(
                    format!("rollup.isCommitteeMember(current, {account})"),
                    model.is_committee_member(slot, account),
                );
                s.put(
                    format!("rollup.settledDutySlot({account})"),
                    model.settled_duty_slot(account),
                );
            }
        }
        s
    }

    /// The first value that differs, as a divergence.
    pub fn diff(&self, expected: &Self) -> Result<(), Divergence> {
        for (path, value) in &self.values {
            let model = expected
                .values
                .get(path)
                .map_or("<missing>", String::as_str);
            if model != value {
                return Err(Divergence::State {
                    path: path.clone(),
                    contracts: value.clone(),
                    model: model.into(),
                });
            }
        }
        Ok(())
    }
}

fn decode<C: SolCall>(_call: &C, output: &[u8]) -> Result<C::Return> {
    C::abi_decode_returns(output).map_err(|e| Error::Decode {
        what: C::SIGNATURE,
        reason: e.to_string(),
    })
}

fn block_line(
    root: impl Display,
    inputs: impl Display,
    proposer: Address,
    slot: impl Display,
    backup: bool,
    cursor: impl Display,
) -> String {
    format!(
        "root {root} inputs {inputs} proposer {proposer} slot {slot} backup {backup} \
         inboxCursor {cursor}"
    )
}

fn message_line(recipient: Address, amount: impl Display, include_by: impl Display) -> String {
    format!("recipient {recipient} amount {amount} includeBy {include_by}")
}

fn epoch_line(first: impl Display, count: impl Display) -> String {
    format!("first {first} count {count}")
}

fn claim_line(
    prover: Address,
    bond: impl Display,
    claimant: Address,
    fee: impl Display,
    status: impl Display,
) -> String {
    format!("prover {prover} bond {bond} claimant {claimant} fee {fee} status {status}")
}

fn staker_line(
    stake: impl Display,
    activation: impl Display,
    exit: impl Display,
    exiting: bool,
    withdrawn: bool,
    withdrawable_at: impl Display,
) -> String {
    format!(
        "stake {stake} activation {activation} exit {exit} exiting {exiting} withdrawn {withdrawn} \
         withdrawableAt {withdrawable_at}"
    )
}

/// `CommitteeConfig`'s fields in declaration order, as one line.
fn committee_config_line(fields: [&dyn Display; 8]) -> String {
    let [size, quorum, chunk_txs, base, bonus, takeover, limit, penalty] = fields;
    format!(
        "size {size} quorum {quorum} chunkTxs {chunk_txs} base {base} bonus {bonus} takeover \
         {takeover} limit {limit} penalty {penalty}"
    )
}

fn account_line(
    free: impl Display,
    locked: impl Display,
    pending: impl Display,
    withdrawable_at: impl Display,
) -> String {
    format!("free {free} locked {locked} pending {pending} withdrawableAt {withdrawable_at}")
}
