//! Choosing the quote to claim: every signed quote the node received (and, optionally, those of
//! an external quote provider), filtered to the ones the rollup would accept now (terms, fee cap,
//! signature, strictly cheaper than a standing claim, bond backed by the prover's free escrow),
//! then a policy. The claim window is an auction: a claim is replaced by a strictly cheaper quote.

use alloy::primitives::{Address, U256};
use fernet_primitives::quote::SignedQuote;
use serde_json::json;

use crate::error::{Error, Result};

/// Orders the claimable quotes: the sequencer claims the first whose claim succeeds in
/// simulation, and falls back to the next when a claim fails.
pub trait QuotePolicy: Send + Sync {
    /// `claimable`, best first; quotes the policy would never claim are left out.
    fn order(&self, claimable: Vec<SignedQuote>) -> Vec<SignedQuote>;
}

/// The default policy: the lowest fee first; among equal fees the largest bond.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheapestQuote;

impl QuotePolicy for CheapestQuote {
    fn order(&self, mut claimable: Vec<SignedQuote>) -> Vec<SignedQuote> {
        claimable.sort_by(|a, b| {
            a.quote
                .basis_point_fee
                .cmp(&b.quote.basis_point_fee)
                .then(b.quote.bond_amount.cmp(&a.quote.bond_amount))
        });
        claimable
    }
}

/// Claims with the first quote of `ordered` for which `claim` succeeds (the caller simulates
/// the claim, then sends it), trying the next one after each failure; returns the quote claimed
/// with what `claim` returned, and the failures on the way.
pub async fn claim_first<T, E, F, Fut>(
    ordered: Vec<SignedQuote>,
    mut claim: F,
) -> (Option<(SignedQuote, T)>, Vec<(SignedQuote, E)>)
where
    F: FnMut(SignedQuote) -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, E>>,
{
    let mut failures = Vec::new();
    for quote in ordered {
        match claim(quote.clone()).await {
            Ok(done) => return (Some((quote, done)), failures),
            Err(error) => failures.push((quote, error)),
        }
    }
    (None, failures)
}

/// The claim an epoch holds while its claim window is open: a new claim must be strictly cheaper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StandingClaim {
    /// Its prover.
    pub prover: Address,
    /// Its locked bond (released before a replacement's bond is locked).
    pub bond: U256,
    /// Its fee in basis points.
    pub basis_point_fee: u32,
}

/// What the rollup checks of a quote at claim time that the sequencer can check before sending,
/// so that it never sends a claim that can only revert.
#[derive(Debug, Clone, Copy)]
pub struct ClaimContext {
    /// The rollup.
    pub rollup: Address,
    /// The L1 chain id (the quote's EIP-712 domain).
    pub chain_id: u64,
    /// The epoch being claimed.
    pub epoch: u64,
    /// The current slot.
    pub slot: u64,
    /// `minimumProverBond`.
    pub minimum_bond: U256,
    /// `maxProverFeeBps`.
    pub max_fee: u64,
    /// The epoch's current claim, if it has one.
    pub standing: Option<StandingClaim>,
}

impl ClaimContext {
    /// Whether `quote` is for this epoch and rollup, still valid, signed by its prover, within
    /// the fee and bond rules, and strictly cheaper than the standing claim. (Whether the
    /// prover's escrow backs it is [`Self::backed`].)
    pub fn accepts(&self, quote: &SignedQuote) -> bool {
        let q = &quote.quote;
        q.rollup_address == self.rollup
            && q.epoch_to_prove == self.epoch
            && q.valid_until_slot >= self.slot
            && u64::from(q.basis_point_fee) <= self.max_fee
            && q.bond_amount >= self.minimum_bond
            && self
                .standing
                .is_none_or(|claim| q.basis_point_fee < claim.basis_point_fee)
            && quote.verify_signature(self.chain_id).is_ok()
    }

    /// Whether the prover of `quote`, with `free` tokens free in its escrow, can lock the
    /// quote's bond at claim time: a prover replacing its own claim gets that bond back first.
    pub fn backed(&self, quote: &SignedQuote, free: U256) -> bool {
        let q = &quote.quote;
        let released = self
            .standing
            .filter(|claim| claim.prover == q.prover)
            .map_or(U256::ZERO, |claim| claim.bond);
        free.saturating_add(released) >= q.bond_amount
    }
}

/// `EPOCH_CLAIM_QUOTE_PROVIDER_URL`: an HTTP endpoint that answers a POST of `{"epoch": n}` with
/// a JSON array of signed quotes (the JSON of docs/services.md).
#[derive(Debug, Clone)]
pub struct QuoteProviderClient {
    url: reqwest::Url,
    http: reqwest::Client,
}

impl QuoteProviderClient {
    /// A client of `url`.
    pub fn new(url: reqwest::Url) -> Self {
        Self {
            url,
            http: reqwest::Client::new(),
        }
    }

    /// The provider's quotes for `epoch`.
    pub async fn fetch(&self, epoch: u64) -> Result<Vec<SignedQuote>> {
        let failed = |message: String| Error::QuoteProvider {
            url: self.url.to_string(),
            message,
        };
        let response = self
            .http
            .post(self.url.clone())
            .timeout(std::time::Duration::from_secs(2))
            .json(&json!({ "epoch": epoch }))
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        if !response.status().is_success() {
            return Err(failed(format!("HTTP {}", response.status())));
        }
        response
            .json::<Vec<SignedQuote>>()
            .await
            .map_err(|e| failed(format!("not a list of signed quotes: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use alloy::signers::local::PrivateKeySigner;
    use fernet_primitives::quote::Quote;

    use super::*;

    const CHAIN_ID: u64 = 31_337;

    fn rollup() -> Address {
        Address::repeat_byte(0xaa)
    }

    fn signed(key: &PrivateKeySigner, fee: u32, bond: u64) -> SignedQuote {
        Quote {
            prover: key.address(),
            epoch_to_prove: 4,
            valid_until_slot: 10,
            bond_amount: U256::from(bond),
            rollup_address: rollup(),
            basis_point_fee: fee,
        }
        .sign(key, CHAIN_ID)
        .unwrap()
    }

    fn context(standing: Option<StandingClaim>) -> ClaimContext {
        ClaimContext {
            rollup: rollup(),
            chain_id: CHAIN_ID,
            epoch: 4,
            slot: 10,
            minimum_bond: U256::from(100),
            max_fee: 5_000,
            standing,
        }
    }

    #[test]
    fn accepts_only_what_the_rollup_would_accept() {
        let key = PrivateKeySigner::random();
        let ctx = context(None);
        assert!(ctx.accepts(&signed(&key, 5_000, 100)));
        // Above maxProverFeeBps: Rollup__InvalidBasisPointFee.
        assert!(!ctx.accepts(&signed(&key, 5_001, 100)));
        // Below minimumProverBond.
        assert!(!ctx.accepts(&signed(&key, 100, 99)));
        // Expired, wrong epoch, wrong rollup.
        assert!(!context(None).accepts(&{
            let mut q = signed(&key, 100, 100);
            q.quote.valid_until_slot = 9;
            q
        }));
        assert!(!ctx.accepts(&{
            let mut q = signed(&key, 100, 100);
            q.quote.epoch_to_prove = 5;
            q
        }));
        // A quote whose signature no longer matches its terms.
        let mut tampered = signed(&key, 100, 100);
        tampered.quote.basis_point_fee = 50;
        assert!(!ctx.accepts(&tampered));
    }

    #[test]
    fn a_standing_claim_is_replaced_only_by_a_strictly_cheaper_quote() {
        let key = PrivateKeySigner::random();
        let ctx = context(Some(StandingClaim {
            prover: Address::repeat_byte(1),
            bond: U256::from(100),
            basis_point_fee: 500,
        }));
        assert!(ctx.accepts(&signed(&key, 499, 100)));
        // Rollup__QuoteNotCheaper for an equal or higher fee.
        assert!(!ctx.accepts(&signed(&key, 500, 100)));
        assert!(!ctx.accepts(&signed(&key, 501, 100)));
    }

    #[test]
    fn the_bond_must_be_backed_by_free_escrow() {
        let key = PrivateKeySigner::random();
        let quote = signed(&key, 100, 300);
        let fresh = context(None);
        assert!(fresh.backed(&quote, U256::from(300)));
        assert!(!fresh.backed(&quote, U256::from(299)));
        // Undercutting its own claim: the standing bond is released before the new one locks.
        let own = context(Some(StandingClaim {
            prover: key.address(),
            bond: U256::from(200),
            basis_point_fee: 500,
        }));
        assert!(own.backed(&quote, U256::from(100)));
        assert!(!own.backed(&quote, U256::from(99)));
        // Another prover's bond does not count.
        let other = context(Some(StandingClaim {
            prover: Address::repeat_byte(1),
            bond: U256::from(200),
            basis_point_fee: 500,
        }));
        assert!(!other.backed(&quote, U256::from(100)));
    }

    #[test]
    fn the_cheapest_quote_comes_first_then_the_largest_bond() {
        let (a, b, c) = (
            PrivateKeySigner::random(),
            PrivateKeySigner::random(),
            PrivateKeySigner::random(),
        );
        let ordered: Vec<Address> = CheapestQuote
            .order(vec![
                signed(&a, 300, 100),
                signed(&b, 200, 100),
                signed(&c, 200, 150),
            ])
            .iter()
            .map(|q| q.quote.prover)
            .collect();
        assert_eq!(ordered, vec![c.address(), b.address(), a.address()]);
        assert!(CheapestQuote.order(Vec::new()).is_empty());
    }

    /// Regression (issue 12, quotes): the cheapest quote's claim reverted (its prover's escrow
    /// could not lock the bond) and the sequencer gave up, so the epoch was never claimed. The
    /// claim now falls back to the next quote.
    #[tokio::test]
    async fn a_failing_claim_falls_back_to_the_next_quote() {
        let (broke, honest, dear) = (
            PrivateKeySigner::random(),
            PrivateKeySigner::random(),
            PrivateKeySigner::random(),
        );
        let ordered = CheapestQuote.order(vec![
            signed(&dear, 900, 100),
            signed(&broke, 100, 100),
            signed(&honest, 200, 100),
        ]);
        let mut tried = Vec::new();
        let (claimed, failures) = claim_first(ordered, |quote| {
            tried.push(quote.quote.prover);
            let reverts = quote.quote.prover == broke.address();
            async move {
                if reverts {
                    Err("ProverEscrow__InsufficientFreeBalance")
                } else {
                    Ok(quote.quote.basis_point_fee)
                }
            }
        })
        .await;
        let (quote, fee) = claimed.unwrap();
        assert_eq!((quote.quote.prover, fee), (honest.address(), 200));
        assert_eq!(tried, vec![broke.address(), honest.address()]);
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].0.quote.prover, broke.address());
        let (nothing, failures) = claim_first(vec![signed(&broke, 100, 100)], |_| async {
            Err::<(), _>("reverts")
        })
        .await;
        assert!(nothing.is_none());
        assert_eq!(failures.len(), 1);
    }
}
