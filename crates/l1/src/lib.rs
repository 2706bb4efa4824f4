//! The L1 client every bot uses.
//!
//! - [`connect`]: a read provider whose requests time out, are retried with backoff on transient
//!   errors, and are counted in [`REQUESTS_TOTAL`] (`fernet_l1_requests_total{method}`); built
//!   from alloy's layers ([`RetryBackoffLayer`](alloy::transports::layers::RetryBackoffLayer)
//!   with the [`TransientErrors`] policy, over [`RequestLayer`]).
//! - [`TxSender`]: one per signing key; owns the key's nonce, simulates contract calls first
//!   ([`TxSender::send_call`], reverts decoded), and hands each sent transaction to a background
//!   watcher that replaces it (same nonce, fees bumped) while it stays unmined; [`PendingTx`]
//!   resolves with whichever transaction of the nonce lands.
//! - [`L1Time`]: slot time taken from L1 block timestamps.
//! - [`L1Options`]: the command-line options of all of the above.

mod error;
mod fees;
mod options;
mod retry;
mod sender;
mod time;
mod transport;
mod watcher;

pub use error::{Error, Result};
pub use fees::Fees;
pub use options::{L1Options, MIN_FEE_BUMP_PERCENT};
pub use retry::{is_transient, TransientErrors};
pub use sender::{PendingTx, TxSender, DEFAULT_RECEIPT_POLL_INTERVAL, MAX_REPLACEMENTS};
pub use time::{register_metrics, Head, L1Time, DEFAULT_POLL_INTERVAL, HEAD_POLL_ERRORS_TOTAL};
pub use transport::{
    client, connect, RequestLayer, RequestService, RequestTimeout, REQUESTS_TOTAL,
};
