//! Choosing the quote to claim: every signed quote the node received (and, optionally, those of
//! an external quote provider), filtered to the ones the rollup would accept now, then a policy.

use alloy::primitives::{Address, U256};
use fernet_node::quote::SignedQuote;
use serde_json::json;

use crate::error::{Error, Result};

/// Picks the quote to claim among claimable ones.
pub trait QuotePolicy: Send + Sync {
    /// The quote to claim, if any.
    fn choose(&self, claimable: Vec<SignedQuote>) -> Option<SignedQuote>;
}

/// The default policy: the lowest fee; among equal fees the largest bond.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheapestQuote;

impl QuotePolicy for CheapestQuote {
    fn choose(&self, claimable: Vec<SignedQuote>) -> Option<SignedQuote> {
        claimable.into_iter().min_by(|a, b| {
            a.quote
                .basis_point_fee
                .cmp(&b.quote.basis_point_fee)
                .then(b.quote.bond_amount.cmp(&a.quote.bond_amount))
        })
    }
}

/// What the rollup checks of a quote at claim time that the sequencer can check before sending.
#[derive(Debug, Clone, Copy)]
pub struct ClaimContext {
    /// The rollup.
    pub rollup: Address,
    /// The epoch being claimed.
    pub epoch: u64,
    /// The current slot.
    pub slot: u64,
    /// `minimumProverBond`.
    pub minimum_bond: U256,
}

impl ClaimContext {
    /// Whether `quote` is for this epoch and rollup, still valid, and within the fee and bond
    /// rules. (The signature and the prover's free escrow are checked by the node and at claim.)
    pub fn accepts(&self, quote: &SignedQuote) -> bool {
        let q = &quote.quote;
        q.rollup_address == self.rollup
            && q.epoch_to_prove == self.epoch
            && q.valid_until_slot >= self.slot
            && q.basis_point_fee <= 10_000
            && q.bond_amount >= self.minimum_bond
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
