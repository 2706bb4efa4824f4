//! Claiming the previous epoch's proof right: the quotes the rollup would accept now, whose
//! prover's free escrow backs the bond, in the policy's order; the first whose claim succeeds in
//! simulation and on chain wins, a failure moves on to the next.

use std::collections::HashMap;

use alloy::primitives::{Address, U256};
use fernet_bindings::{ContractResultExt, IProverEscrow};
use fernet_node::chain::ClaimStatus;
use fernet_primitives::SignedQuote;
use tracing::{debug, info, warn};

use crate::{
    error::Result,
    l1tx::send,
    quotes::{claim_first, ClaimContext, StandingClaim},
    sequencer::{Sequencer, SlotView},
};

/// `IRollup.ClaimStatus.Claimed`: the epoch has a claim whose proof is outstanding.
const CLAIM_STATUS_CLAIMED: u8 = 1;
/// `IRollup.ClaimStatus.None`: nobody claimed the epoch.
const CLAIM_STATUS_NONE: u8 = 0;

impl Sequencer {
    /// Claims the previous epoch's proof right with `key`, or replaces its claim with a strictly
    /// cheaper quote, if this slot is in its claim window. Failures are logged: another
    /// sequencer may have claimed first.
    pub(crate) async fn claim_duty(&self, view: &SlotView, key: usize) {
        // The committee mode has no quotes: the committee proves.
        if view.epoch == 0 || self.committee.is_some() {
            return;
        }
        if let Err(error) = self.try_claim(view, view.epoch - 1, key).await {
            warn!(slot = view.slot, epoch = view.epoch - 1, %error, "claim failed");
        }
    }

    async fn try_claim(&self, view: &SlotView, target: u64, key: usize) -> Result<()> {
        let mut quotes = self.node.pool.quotes(target);
        if !self.may_claim(target, &quotes) {
            return Ok(());
        }
        let Some(context) = self.claim_context(view, target).await? else {
            return Ok(());
        };
        if let Some(provider) = &self.config.quote_provider {
            match provider.fetch(target).await {
                Ok(extra) => quotes.extend(extra),
                Err(error) => warn!(%error, "quote provider failed"),
            }
        }
        let acceptable: Vec<SignedQuote> =
            quotes.into_iter().filter(|q| context.accepts(q)).collect();
        let claimable = self
            .policy
            .order(self.backed_quotes(&context, acceptable).await?);
        let offered = claimable.len();
        if offered == 0 {
            debug!(
                epoch = target,
                replacing = context.standing.is_some(),
                "no claimable quote"
            );
            return Ok(());
        }
        let rollup = self.rollup();
        let sender = self.sender(key);
        // `send` simulates each claim first: a quote whose claim would revert costs no
        // transaction, and the next one is tried.
        let (claimed, failures) = claim_first(claimable, |quote| {
            let claim = rollup.claimEpochProofRight(quote.to_sol());
            async move { send(sender, claim, "Rollup.claimEpochProofRight").await }
        })
        .await;
        for (quote, error) in &failures {
            warn!(epoch = target, prover = %quote.quote.prover, fee_bps = quote.quote.basis_point_fee, %error, "claim with this quote failed: trying the next");
        }
        let Some((chosen, receipt)) = claimed else {
            return Ok(());
        };
        self.metrics.claimed();
        match context.standing {
            None => info!(
                epoch = target,
                prover = %chosen.quote.prover,
                fee_bps = chosen.quote.basis_point_fee,
                bond = %chosen.quote.bond_amount,
                offered,
                failed = failures.len(),
                tx = %receipt.transaction_hash,
                "claimed epoch proof right"
            ),
            Some(replaced) => info!(
                epoch = target,
                prover = %chosen.quote.prover,
                fee_bps = chosen.quote.basis_point_fee,
                bond = %chosen.quote.bond_amount,
                replaced_prover = %replaced.prover,
                replaced_fee_bps = replaced.basis_point_fee,
                offered,
                failed = failures.len(),
                tx = %receipt.transaction_hash,
                "replaced the epoch's claim with a cheaper quote"
            ),
        }
        Ok(())
    }

    /// Whether a claim of `target` could succeed as far as the node knows, without asking L1:
    /// there is a quote (or a quote provider to ask), and the epoch is either unclaimed or
    /// claimed at a fee some pooled quote undercuts. L1 has the last word
    /// ([`Self::claim_context`]); this only spares its requests in the slots where nothing can
    /// be claimed.
    fn may_claim(&self, target: u64, quotes: &[SignedQuote]) -> bool {
        if self.config.quote_provider.is_some() {
            return true;
        }
        let Some(cheapest) = quotes.iter().map(|q| q.quote.basis_point_fee).min() else {
            return false;
        };
        match self.node.chain.claim(target) {
            None => true,
            Some(claim) => claim.status == ClaimStatus::Claimed && cheapest < claim.basis_point_fee,
        }
    }

    /// What a claim of `target` in this slot must satisfy; `None` when there is nothing to
    /// claim (window closed, already proven, or a claim at zero fee that cannot be undercut).
    async fn claim_context(&self, view: &SlotView, target: u64) -> Result<Option<ClaimContext>> {
        let rollup = self.rollup();
        let deadline = rollup
            .claimDeadline(U256::from(target))
            .call()
            .await
            .decoded("Rollup.claimDeadline")?
            .saturating_to::<u64>();
        if view.slot > deadline {
            return Ok(None);
        }
        let claim = rollup
            .claimOf(U256::from(target))
            .call()
            .await
            .decoded("Rollup.claimOf")?;
        let standing = match claim.status {
            CLAIM_STATUS_NONE => None,
            CLAIM_STATUS_CLAIMED => Some(StandingClaim {
                prover: claim.prover,
                bond: U256::from(claim.bondAmount),
                basis_point_fee: claim.basisPointFee,
            }),
            // Proven, slashed or cancelled: nothing left to claim.
            _ => return Ok(None),
        };
        if standing.is_some_and(|claim| claim.basis_point_fee == 0) {
            return Ok(None);
        }
        let epoch_log = rollup
            .epochLog(U256::from(target))
            .call()
            .await
            .decoded("Rollup.epochLog")?;
        if epoch_log.blockCount == 0 {
            return Ok(None);
        }
        let proven = self.node.chain.proven_tip();
        let last = epoch_log.firstBlock + u64::from(epoch_log.blockCount) - 1;
        if last <= proven {
            return Ok(None);
        }
        Ok(Some(ClaimContext {
            rollup: self.node.l1.deployment.rollup.address,
            chain_id: self.node.l1.chain_id,
            epoch: target,
            slot: view.slot,
            minimum_bond: self.rules.minimum_bond,
            max_fee: self.rules.max_fee,
            standing,
        }))
    }

    /// The quotes among `quotes` whose prover's free escrow (`freeBalanceOf`, read once per
    /// prover) can lock their bond at claim time.
    async fn backed_quotes(
        &self,
        context: &ClaimContext,
        quotes: Vec<SignedQuote>,
    ) -> Result<Vec<SignedQuote>> {
        let escrow = IProverEscrow::new(
            self.node.l1.deployment.prover_escrow.address,
            self.node.l1.provider.clone(),
        );
        let mut free: HashMap<Address, U256> = HashMap::new();
        let mut backed = Vec::with_capacity(quotes.len());
        for quote in quotes {
            let prover = quote.quote.prover;
            let balance = match free.get(&prover) {
                Some(balance) => *balance,
                None => {
                    let balance = escrow
                        .freeBalanceOf(prover)
                        .call()
                        .await
                        .decoded("ProverEscrow.freeBalanceOf")?;
                    free.insert(prover, balance);
                    balance
                }
            };
            if context.backed(&quote, balance) {
                backed.push(quote);
            } else {
                debug!(epoch = context.epoch, %prover, free = %balance, bond = %quote.quote.bond_amount, "quote not backed by the prover's free escrow");
            }
        }
        Ok(backed)
    }
}
