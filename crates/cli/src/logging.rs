//! Logging set-up shared by the binaries: `LOG_LEVEL` filters, `LOG_JSON=true` switches to JSON.

use tracing_subscriber::EnvFilter;

use crate::{Error, Result};

/// Installs the global `tracing` subscriber, writing to stderr (stdout stays for the output).
/// `LOG_LEVEL` is an `EnvFilter` directive (default `info`); `LOG_JSON=true` logs one JSON object
/// per line. Fails if `LOG_LEVEL` does not parse or a subscriber is already set.
pub fn init() -> Result<()> {
    let level = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "info".into());
    let filter = EnvFilter::try_new(&level).map_err(|source| Error::InvalidLogLevel {
        level: level.clone(),
        source,
    })?;
    let json = std::env::var("LOG_JSON").is_ok_and(|value| value.eq_ignore_ascii_case("true"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    installed.map_err(Error::Logging)
}
