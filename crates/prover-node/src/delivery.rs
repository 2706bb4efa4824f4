//! Quote delivery: the signed quote enters the embedded node's pool, which publishes it on the
//! p2p quotes topic; every node validates it before forwarding it to the sequencers.

use fernet_node::{Network, PoolHandle};
use fernet_primitives::SignedQuote;
use tracing::debug;

use crate::{Error, Result};

/// Where signed quotes go: the embedded node's pool and the p2p network.
#[derive(Debug)]
pub struct QuoteDelivery {
    target: Option<(PoolHandle, Network)>,
}

impl QuoteDelivery {
    /// Delivery through `pool` (which checks the quote as any node would) and `network`.
    pub fn new(pool: PoolHandle, network: Network) -> Self {
        Self {
            target: Some((pool, network)),
        }
    }

    /// No delivery: the prover does not quote (open proving only).
    pub fn none() -> Self {
        Self { target: None }
    }

    /// Whether quotes go nowhere.
    pub fn is_empty(&self) -> bool {
        self.target.is_none()
    }

    /// Pools `quote` and publishes it when it is new; an already pooled quote is not
    /// published again.
    pub async fn deliver(&self, quote: &SignedQuote) -> Result<()> {
        let epoch = quote.quote.epoch_to_prove;
        let Some((pool, network)) = &self.target else {
            return Err(Error::NoQuoteDelivery { epoch });
        };
        let new = pool
            .submit_quote(quote.clone())
            .await
            .map_err(|source| Error::QuoteRefused {
                epoch,
                source: Box::new(source),
            })?;
        if new {
            network.quote(quote.quote.digest(pool.rules().chain_id), quote);
        } else {
            debug!(epoch, "quote already pooled");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{address, U256};

    use super::*;
    use crate::{quote::QuoteSigner, quote_provider::QuoteTerms};

    fn quote() -> SignedQuote {
        let key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
        let rollup = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");
        let terms = QuoteTerms {
            basis_point_fee: 100,
            bond_amount: U256::from(10),
        };
        QuoteSigner::new(key.parse().unwrap(), 31_337, rollup)
            .sign(3, 9, &terms)
            .unwrap()
    }

    #[tokio::test]
    async fn without_a_target_nothing_is_delivered() {
        let none = QuoteDelivery::none();
        assert!(none.is_empty());
        let error = none.deliver(&quote()).await.unwrap_err().to_string();
        assert!(error.contains("epoch 3"), "{error}");
        assert!(error.contains("P2P_ENABLED"), "{error}");
    }
}
