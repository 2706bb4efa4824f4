//! The library behind the rollup's command-line tools (binaries in `src/bin/` stay thin).
//!
//! `deploy` puts the L1 suite on a chain: [`DeployConfig`] holds the parameters (a TOML file,
//! `deployments/devnet.toml` for the devnet, overridden by the environment), [`deploy`] sends the
//! transactions and writes `deployments/<chain-id>.json` ([`Deployment`]), and does nothing when
//! that file records a live suite with the same parameters.

pub mod chain;
pub mod config;
pub mod deploy;
pub mod deployment;
mod error;
pub mod logging;

pub use config::DeployConfig;
pub use deploy::{deploy, DeployOptions, DeployOutcome, DeployStatus};
pub use deployment::Deployment;
pub use error::{Error, Result};
