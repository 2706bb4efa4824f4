//! [`L1Options`]: how a bot talks to L1 (timeouts, retries, stuck transactions), flattened into
//! every bot's command line.

use std::time::Duration;

/// The smallest fee bump a replacement may carry: geth (and most mempools) refuse a transaction
/// with the nonce of a pending one unless both its fees are at least 10 % higher.
pub const MIN_FEE_BUMP_PERCENT: u64 = 10;

/// How a bot talks to L1; `#[command(flatten)]` it into the bot's arguments.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct L1Options {
    /// How long one L1 JSON-RPC request may take before it fails (and is retried).
    #[arg(
        long = "l1-request-timeout-ms",
        env = "L1_REQUEST_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub request_timeout_ms: u64,
    /// How many times a request that failed with a transient error (connection refused or reset,
    /// timeout, HTTP 429/502/503/504, JSON-RPC -32005) is retried.
    #[arg(long = "l1-max-retries", env = "L1_MAX_RETRIES", default_value_t = 5)]
    pub max_retries: u32,
    /// Pause before each retry of a request.
    #[arg(
        long = "l1-retry-backoff-ms",
        env = "L1_RETRY_BACKOFF_MS",
        default_value_t = 200
    )]
    pub retry_backoff_ms: u64,
    /// How long a sent transaction may stay unmined before it is replaced (same nonce, bumped
    /// fees); three 12 s L1 blocks by default.
    #[arg(
        long = "l1-tx-replace-after-ms",
        env = "L1_TX_REPLACE_AFTER_MS",
        default_value_t = 36_000
    )]
    pub tx_replace_after_ms: u64,
    /// By how many percent a replacement raises both EIP-1559 fees (at least 10).
    #[arg(
        long = "l1-tx-fee-bump-percent",
        env = "L1_TX_FEE_BUMP_PERCENT",
        default_value_t = 20,
        value_parser = clap::value_parser!(u64).range(MIN_FEE_BUMP_PERCENT..)
    )]
    pub tx_fee_bump_percent: u64,
}

impl Default for L1Options {
    fn default() -> Self {
        Self {
            request_timeout_ms: 10_000,
            max_retries: 5,
            retry_backoff_ms: 200,
            tx_replace_after_ms: 36_000,
            tx_fee_bump_percent: 20,
        }
    }
}

impl L1Options {
    /// How long one request may take.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    /// The pause before each retry.
    pub fn retry_backoff(&self) -> Duration {
        Duration::from_millis(self.retry_backoff_ms)
    }

    /// How long a transaction may stay unmined before it is replaced.
    pub fn tx_replace_after(&self) -> Duration {
        Duration::from_millis(self.tx_replace_after_ms)
    }

    /// Checks the rules clap cannot express for a value built in code: the fee bump is at least
    /// [`MIN_FEE_BUMP_PERCENT`], the timeout and the replacement delay are not zero.
    pub fn validate(&self) -> crate::Result<()> {
        let invalid =
            |name: &'static str, reason: String| Err(crate::Error::Option { name, reason });
        if self.tx_fee_bump_percent < MIN_FEE_BUMP_PERCENT {
            return invalid(
                "L1_TX_FEE_BUMP_PERCENT",
                format!(
                    "{} is below {MIN_FEE_BUMP_PERCENT}: a replacement with a smaller bump is \
                     refused by the mempool",
                    self.tx_fee_bump_percent
                ),
            );
        }
        if self.request_timeout_ms == 0 {
            return invalid("L1_REQUEST_TIMEOUT_MS", "must be above 0".into());
        }
        if self.tx_replace_after_ms == 0 {
            return invalid("L1_TX_REPLACE_AFTER_MS", "must be above 0".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        l1: L1Options,
    }

    #[test]
    fn defaults_match_the_spec_and_a_small_fee_bump_is_refused() {
        let cli = Cli::try_parse_from(["bot"]).unwrap();
        assert_eq!(cli.l1, L1Options::default());
        assert_eq!(cli.l1.request_timeout(), Duration::from_secs(10));
        assert_eq!(cli.l1.tx_replace_after(), Duration::from_secs(36));
        assert!(Cli::try_parse_from(["bot", "--l1-tx-fee-bump-percent", "9"]).is_err());
        let cli = Cli::try_parse_from(["bot", "--l1-tx-fee-bump-percent", "10"]).unwrap();
        assert_eq!(cli.l1.tx_fee_bump_percent, 10);
        let small = L1Options {
            tx_fee_bump_percent: 5,
            ..L1Options::default()
        };
        let error = small.validate().unwrap_err().to_string();
        assert!(error.contains("L1_TX_FEE_BUMP_PERCENT"), "{error}");
    }
}
