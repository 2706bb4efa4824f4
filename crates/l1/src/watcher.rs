//! The background watcher of one sent transaction: waits for its nonce to be mined, replacing the
//! transaction (same nonce, bumped fees) each time it stays unmined for `replace_after`.

use std::{borrow::Cow, time::Duration};

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256},
    providers::{DynProvider, Provider},
    rpc::types::{TransactionReceipt, TransactionRequest},
};
use tokio::{
    sync::watch,
    time::{Instant, Interval, MissedTickBehavior},
};
use tracing::{debug, warn};

use crate::{
    sender::{broadcast, MAX_REPLACEMENTS},
    Error, Fees, Head, Result,
};

/// How many polls a watcher waits for the receipt of a mined nonce before concluding that none of
/// its transactions took it.
const RECEIPT_POLLS: usize = 5;

/// One sent transaction and its replacements.
pub(crate) struct Watch {
    pub(crate) provider: DynProvider,
    pub(crate) wallet: EthereumWallet,
    pub(crate) address: Address,
    pub(crate) context: Cow<'static, str>,
    pub(crate) nonce: u64,
    /// The request last sent (nonce and fees set).
    pub(crate) request: TransactionRequest,
    /// Its fees.
    pub(crate) fees: Fees,
    /// Every transaction sent for the nonce, first one first.
    pub(crate) hashes: Vec<B256>,
    pub(crate) replace_after: Duration,
    pub(crate) fee_bump_percent: u64,
    pub(crate) poll_interval: Duration,
    /// New L1 heads: when set, the nonce is read once per new head (see `next_check`).
    pub(crate) heads: Option<watch::Receiver<Head>>,
}

impl Watch {
    /// Waits until the account's nonce passes the transaction's, and returns the receipt of
    /// whichever of its transactions was mined; replaces it meanwhile (up to
    /// [`MAX_REPLACEMENTS`] times, then gives up after one more `replace_after`).
    pub(crate) async fn run(mut self) -> Result<TransactionReceipt> {
        let mut ticks = tokio::time::interval(self.poll_interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last_sent = Instant::now();
        if let Some(heads) = &mut self.heads {
            // Only a head newer than the send can hold the transaction.
            heads.mark_unchanged();
        }
        loop {
            self.next_check(&mut ticks, last_sent).await;
            match self
                .provider
                .get_transaction_count(self.address)
                .latest()
                .await
            {
                Ok(mined) if mined > self.nonce => return self.mined_receipt().await,
                Ok(_) => {}
                Err(error) => {
                    warn!(context = %self.context, %error, "cannot read the account's nonce");
                    continue;
                }
            }
            if last_sent.elapsed() < self.replace_after {
                continue;
            }
            if self.hashes.len() > MAX_REPLACEMENTS {
                return Err(Error::NotMined {
                    context: self.context.clone(),
                    nonce: self.nonce,
                    sent: self.hashes.len(),
                    last: *self.hashes.last().expect("one transaction was sent"),
                });
            }
            self.replace().await;
            last_sent = Instant::now();
        }
    }

    /// Waits until the nonce is worth reading again: the next tick, or with a head subscription
    /// the next new head (or the time to replace the transaction, if no head comes first).
    async fn next_check(&mut self, ticks: &mut Interval, last_sent: Instant) {
        let Some(heads) = &mut self.heads else {
            ticks.tick().await;
            return;
        };
        let replace_at = (last_sent + self.replace_after).max(Instant::now() + self.poll_interval);
        tokio::select! {
            changed = heads.changed() => {
                if changed.is_err() {
                    // The head poller stopped: poll on the interval from now on.
                    self.heads = None;
                    ticks.tick().await;
                }
            }
            () = tokio::time::sleep_until(replace_at) => {}
        }
    }

    /// Sends the transaction again with the same nonce and bumped fees.
    async fn replace(&mut self) {
        let market = match self.provider.estimate_eip1559_fees().await {
            Ok(estimate) => estimate.into(),
            Err(error) => {
                warn!(context = %self.context, %error, "no fee estimate: bumping the last fees");
                self.fees
            }
        };
        self.fees = self.fees.bumped(self.fee_bump_percent, market);
        self.fees.apply(&mut self.request);
        match broadcast(
            &self.provider,
            &self.wallet,
            self.request.clone(),
            &self.context,
        )
        .await
        {
            Ok(tx_hash) => {
                warn!(
                    context = %self.context,
                    nonce = self.nonce,
                    %tx_hash,
                    replaced = %self.hashes.last().expect("one transaction was sent"),
                    max_fee_per_gas = self.fees.max_fee_per_gas,
                    max_priority_fee_per_gas = self.fees.max_priority_fee_per_gas,
                    "transaction stuck: replaced with bumped fees"
                );
                self.hashes.push(tx_hash);
            }
            // `nonce too low`: one of the transactions got mined meanwhile; the next poll sees it.
            Err(error) => warn!(context = %self.context, %error, "replacement not accepted"),
        }
    }

    /// The receipt of the transaction that took the nonce (latest sent first).
    async fn mined_receipt(&self) -> Result<TransactionReceipt> {
        let mut ticks = tokio::time::interval(self.poll_interval);
        for _ in 0..RECEIPT_POLLS {
            ticks.tick().await;
            for tx_hash in self.hashes.iter().rev() {
                match self.provider.get_transaction_receipt(*tx_hash).await {
                    Ok(Some(receipt)) => return Ok(receipt),
                    Ok(None) => {}
                    Err(error) => debug!(context = %self.context, %tx_hash, %error, "no receipt"),
                }
            }
        }
        Err(Error::NonceTaken {
            context: self.context.clone(),
            nonce: self.nonce,
        })
    }
}
