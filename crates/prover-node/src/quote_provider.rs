//! Quote providers: what the prover asks for an epoch (seed 003's `QuoteProvider`).
//!
//! [`FixedQuoteProvider`] always answers the configured fee and bond
//! (`QUOTE_PROVIDER_BASIS_POINT_FEE`, `QUOTE_PROVIDER_BOND_AMOUNT`); [`HttpQuoteProvider`] POSTs
//! the epoch's [`QuoteRequest`] to `QUOTE_PROVIDER_URL` and reads `{basisPointFee, bondAmount}`.
//! A remote answer that lacks either field, has a wrong type, an HTTP error or a timeout means
//! **no quote** for that epoch (seed 003: "the Prover Node will not generate nor submit a quote").

use std::{future::Future, time::Duration};

use alloy::{primitives::U256, transports::http::reqwest::Url};
use serde::{Serialize, Serializer};
use serde_json::Value;
use tracing::warn;

use crate::Result;

/// What the prover knows about an epoch when it is asked to quote, sent to a remote provider as
/// camelCase JSON: `{epochNumber, fromBlock, toBlock, txCount, totalFees, validUntilSlot?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteRequest {
    /// The epoch to prove.
    pub epoch_number: u64,
    /// Its first block.
    pub from_block: u64,
    /// Its last block (inclusive).
    pub to_block: u64,
    /// Transactions in the epoch.
    pub tx_count: u64,
    /// Sum of the epoch's fees, as a decimal string (it can exceed 2^53).
    #[serde(serialize_with = "decimal")]
    pub total_fees: u128,
    /// Last slot in which the quote can be claimed (the epoch's claim deadline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until_slot: Option<u64>,
}

/// Serializes an amount as a decimal string.
fn decimal<S: Serializer>(value: &u128, serializer: S) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(&value.to_string())
}

/// The economic terms of a quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteTerms {
    /// The prover's share of the epoch's rewards and fees, in basis points.
    pub basis_point_fee: u32,
    /// The bond locked from the prover's escrow when the quote is claimed.
    pub bond_amount: U256,
}

/// Decides whether, and at which terms, to quote an epoch.
pub trait QuoteProvider: Send + Sync {
    /// The terms for `request`, or `None` to send no quote for this epoch.
    fn quote(
        &self,
        request: &QuoteRequest,
    ) -> impl Future<Output = Result<Option<QuoteTerms>>> + Send;
}

/// Always the same terms (seed 003's `SimpleQuoteProvider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedQuoteProvider {
    terms: QuoteTerms,
}

impl FixedQuoteProvider {
    /// A provider answering `terms` for every epoch.
    pub fn new(terms: QuoteTerms) -> Self {
        Self { terms }
    }
}

impl QuoteProvider for FixedQuoteProvider {
    async fn quote(&self, _request: &QuoteRequest) -> Result<Option<QuoteTerms>> {
        Ok(Some(self.terms))
    }
}

/// Asks a remote service: POST the request as JSON, answer `{basisPointFee, bondAmount}`.
#[derive(Debug, Clone)]
pub struct HttpQuoteProvider {
    client: reqwest::Client,
    url: Url,
}

impl HttpQuoteProvider {
    /// A provider POSTing to `url`, giving up after `timeout`.
    pub fn new(url: Url, timeout: Duration) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|source| crate::Error::Config {
                name: "QUOTE_PROVIDER_URL",
                reason: format!("cannot build an HTTP client: {source}"),
            })?;
        Ok(Self { client, url })
    }

    /// The answer's JSON, or why there is none.
    async fn ask(&self, request: &QuoteRequest) -> std::result::Result<Value, String> {
        let response = self
            .client
            .post(self.url.clone())
            .json(request)
            .send()
            .await
            .map_err(|error| {
                if error.is_timeout() {
                    "timed out".to_owned()
                } else {
                    format!("request failed: {error}")
                }
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("HTTP {status}"));
        }
        response
            .json::<Value>()
            .await
            .map_err(|error| format!("the answer is not JSON: {error}"))
    }
}

impl QuoteProvider for HttpQuoteProvider {
    async fn quote(&self, request: &QuoteRequest) -> Result<Option<QuoteTerms>> {
        let terms = self
            .ask(request)
            .await
            .and_then(|answer| parse_terms(&answer));
        match terms {
            Ok(terms) => Ok(Some(terms)),
            Err(reason) => {
                warn!(
                    epoch = request.epoch_number,
                    url = %self.url,
                    %reason,
                    "quote provider gave no usable answer: no quote"
                );
                Ok(None)
            }
        }
    }
}

/// The provider the configuration picks: remote when `QUOTE_PROVIDER_URL` is set, fixed otherwise.
#[derive(Debug, Clone)]
pub enum ConfiguredQuoteProvider {
    /// `QUOTE_PROVIDER_BASIS_POINT_FEE` and `QUOTE_PROVIDER_BOND_AMOUNT`.
    Fixed(FixedQuoteProvider),
    /// `QUOTE_PROVIDER_URL`.
    Http(HttpQuoteProvider),
}

impl QuoteProvider for ConfiguredQuoteProvider {
    async fn quote(&self, request: &QuoteRequest) -> Result<Option<QuoteTerms>> {
        match self {
            Self::Fixed(provider) => provider.quote(request).await,
            Self::Http(provider) => provider.quote(request).await,
        }
    }
}

/// Reads `{basisPointFee: number, bondAmount: decimal string or number}`; extra fields are
/// ignored, anything missing or mistyped is an error naming the field.
pub fn parse_terms(answer: &Value) -> std::result::Result<QuoteTerms, String> {
    let object = answer
        .as_object()
        .ok_or_else(|| format!("the answer is not a JSON object: {answer}"))?;
    let fee = object
        .get("basisPointFee")
        .ok_or("the answer has no basisPointFee")?;
    let basis_point_fee = fee
        .as_u64()
        .and_then(|fee| u32::try_from(fee).ok())
        .ok_or_else(|| format!("basisPointFee is not a 32-bit unsigned number: {fee}"))?;
    let bond = object
        .get("bondAmount")
        .ok_or("the answer has no bondAmount")?;
    let bond_amount = match bond {
        Value::String(text) if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) => {
            U256::from_str_radix(text, 10).ok()
        }
        Value::Number(number) => number.as_u64().map(U256::from),
        _ => None,
    }
    .ok_or_else(|| format!("bondAmount is not a decimal amount: {bond}"))?;
    Ok(QuoteTerms {
        basis_point_fee,
        bond_amount,
    })
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::{http::StatusCode, routing::post, Json, Router};
    use serde_json::json;
    use tokio::{net::TcpListener, sync::mpsc};

    use super::*;

    fn request() -> QuoteRequest {
        QuoteRequest {
            epoch_number: 3,
            from_block: 9,
            to_block: 12,
            tx_count: 10,
            total_fees: 123_456_789_012_345_678_901,
            valid_until_slot: Some(17),
        }
    }

    /// Serves `router` on a free local port.
    async fn serve(router: Router) -> Url {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        format!("http://{address}/quote").parse().unwrap()
    }

    /// A provider whose server answers `answer` (after `delay`), forwarding each body it got.
    async fn provider_answering(
        status: StatusCode,
        answer: Value,
        delay: Duration,
    ) -> (HttpQuoteProvider, mpsc::UnboundedReceiver<Value>) {
        let (sender, received) = mpsc::unbounded_channel();
        let router = Router::new().route(
            "/quote",
            post(move |Json(body): Json<Value>| {
                let answer = answer.clone();
                let sender = sender.clone();
                async move {
                    let _ = sender.send(body);
                    tokio::time::sleep(delay).await;
                    (status, Json(answer))
                }
            }),
        );
        let url = serve(router).await;
        let provider = HttpQuoteProvider::new(url, Duration::from_millis(300)).unwrap();
        (provider, received)
    }

    #[test]
    fn request_is_the_seed_003_json() {
        assert_eq!(
            serde_json::to_value(request()).unwrap(),
            json!({
                "epochNumber": 3,
                "fromBlock": 9,
                "toBlock": 12,
                "txCount": 10,
                "totalFees": "123456789012345678901",
                "validUntilSlot": 17
            })
        );
        let without = QuoteRequest {
            valid_until_slot: None,
            ..request()
        };
        assert!(serde_json::to_value(without)
            .unwrap()
            .get("validUntilSlot")
            .is_none());
    }

    #[tokio::test]
    async fn fixed_provider_always_answers_its_terms() {
        let terms = QuoteTerms {
            basis_point_fee: 100,
            bond_amount: U256::from(7),
        };
        let provider = FixedQuoteProvider::new(terms);
        assert_eq!(provider.quote(&request()).await.unwrap(), Some(terms));
    }

    #[tokio::test]
    async fn http_provider_reads_a_good_answer() {
        let answer = json!({ "basisPointFee": 250, "bondAmount": "10000000000000000000", "x": 1 });
        let (provider, mut received) =
            provider_answering(StatusCode::OK, answer, Duration::ZERO).await;
        let terms = provider.quote(&request()).await.unwrap();
        assert_eq!(
            terms,
            Some(QuoteTerms {
                basis_point_fee: 250,
                bond_amount: U256::from(10_000_000_000_000_000_000u128),
            })
        );
        assert_eq!(
            received.recv().await.unwrap(),
            serde_json::to_value(request()).unwrap()
        );

        let (provider, _) = provider_answering(
            StatusCode::OK,
            json!({ "basisPointFee": 0, "bondAmount": 42 }),
            Duration::ZERO,
        )
        .await;
        assert_eq!(
            provider.quote(&request()).await.unwrap(),
            Some(QuoteTerms {
                basis_point_fee: 0,
                bond_amount: U256::from(42),
            })
        );
    }

    #[tokio::test]
    async fn missing_fields_mean_no_quote() {
        for answer in [
            json!({ "basisPointFee": 250 }),
            json!({ "bondAmount": "10" }),
            json!({}),
            json!([250, "10"]),
        ] {
            let (provider, _) =
                provider_answering(StatusCode::OK, answer.clone(), Duration::ZERO).await;
            assert_eq!(provider.quote(&request()).await.unwrap(), None, "{answer}");
        }
    }

    #[tokio::test]
    async fn wrong_types_mean_no_quote() {
        for answer in [
            json!({ "basisPointFee": "250", "bondAmount": "10" }),
            json!({ "basisPointFee": -1, "bondAmount": "10" }),
            json!({ "basisPointFee": 2.5, "bondAmount": "10" }),
            json!({ "basisPointFee": 4294967296u64, "bondAmount": "10" }),
            json!({ "basisPointFee": 250, "bondAmount": "ten" }),
            json!({ "basisPointFee": 250, "bondAmount": "-10" }),
            json!({ "basisPointFee": 250, "bondAmount": 1.5 }),
            json!({ "basisPointFee": 250, "bondAmount": null }),
        ] {
            assert!(parse_terms(&answer).is_err(), "{answer}");
            let (provider, _) =
                provider_answering(StatusCode::OK, answer.clone(), Duration::ZERO).await;
            assert_eq!(provider.quote(&request()).await.unwrap(), None, "{answer}");
        }
    }

    #[tokio::test]
    async fn http_errors_mean_no_quote() {
        let answer = json!({ "basisPointFee": 250, "bondAmount": "10" });
        let (provider, _) =
            provider_answering(StatusCode::INTERNAL_SERVER_ERROR, answer, Duration::ZERO).await;
        assert_eq!(provider.quote(&request()).await.unwrap(), None);

        // Nothing listens here any more.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);
        let provider =
            HttpQuoteProvider::new(url.parse().unwrap(), Duration::from_secs(1)).unwrap();
        assert_eq!(provider.quote(&request()).await.unwrap(), None);

        // Not JSON.
        let router = Router::new().route("/quote", post(|| async { "a quote" }));
        let provider = HttpQuoteProvider::new(serve(router).await, Duration::from_secs(1)).unwrap();
        assert_eq!(provider.quote(&request()).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_slow_provider_times_out_into_no_quote() {
        let answer = json!({ "basisPointFee": 250, "bondAmount": "10" });
        let (provider, _) =
            provider_answering(StatusCode::OK, answer, Duration::from_secs(5)).await;
        let started = std::time::Instant::now();
        assert_eq!(provider.quote(&request()).await.unwrap(), None);
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
