//! Logging set-up shared by the binaries: `LOG_LEVEL` filters, `LOG_JSON=true` switches to JSON.

use tracing_subscriber::EnvFilter;

use crate::{Error, Result};

/// Targets of the arkworks constraint libraries, whose hundreds of `#[instrument]`ed gadget
/// functions open an INFO span per call: with a subscriber listening, proving a block slows
/// down by orders of magnitude and its memory grows without bound. Off unless `LOG_LEVEL`
/// names them.
const CONSTRAINT_TARGETS: [&str; 2] = ["gr1cs", "r1cs"];

/// The `EnvFilter` directives for `level`: the constraint-library targets are switched off
/// unless `level` mentions them.
pub fn filter_directives(level: &str) -> String {
    let named: Vec<&str> = level
        .split(',')
        .map(|directive| {
            directive
                .split(['=', '['])
                .next()
                .unwrap_or_default()
                .trim()
        })
        .collect();
    let mut directives = level.to_owned();
    for target in CONSTRAINT_TARGETS {
        if !named.contains(&target) {
            directives.push_str(&format!(",{target}=off"));
        }
    }
    directives
}

/// Installs the global `tracing` subscriber, writing to stderr (stdout stays for the output).
/// `LOG_LEVEL` is an `EnvFilter` directive (default `info`; see [`filter_directives`]);
/// `LOG_JSON=true` logs one JSON object per line. Fails if `LOG_LEVEL` does not parse or a
/// subscriber is already set.
pub fn init() -> Result<()> {
    let level = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "info".into());
    let filter =
        EnvFilter::try_new(filter_directives(&level)).map_err(|source| Error::InvalidLogLevel {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_library_spans_are_off_unless_asked_for() {
        assert_eq!(filter_directives("info"), "info,gr1cs=off,r1cs=off");
        assert_eq!(
            filter_directives("debug,gr1cs=trace"),
            "debug,gr1cs=trace,r1cs=off"
        );
        assert!(EnvFilter::try_new(filter_directives("warn,fernet_node=debug")).is_ok());
    }
}
