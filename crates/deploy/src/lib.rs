//! `deploy` puts the L1 suite on a chain: [`DeployConfig`] holds the parameters (a TOML file,
//! `deployments/devnet.toml` for the devnet, overridden by the environment), [`deploy`] sends the
//! transactions and writes `deployments/<chain-id>.json` (`fernet_primitives::Deployment`), and does nothing when
//! that file records a live suite with the same parameters.

pub mod chain;
pub mod config;
pub mod deploy;
mod error;
pub mod verifiers;

pub use config::DeployConfig;
pub use deploy::{deploy, DeployOptions, DeployOutcome, DeployStatus};
pub use error::{Error, Result};
