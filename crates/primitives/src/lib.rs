//! The types every Fernet service shares, and nothing heavier: the deployment record
//! ([`Deployment`], `deployments/<chain-id>.json`) with the suite's constructor parameters
//! ([`params`]), token amounts ([`TokenAmount`]), signed epoch proof quotes ([`SignedQuote`]),
//! the slot clock ([`Clock`]) and the logging set-up of the binaries ([`logging`]).
//!
//! It links alloy and the state sizes of `fernet-state`, but no proof system and no server.

pub mod amount;
pub mod clock;
pub mod deployment;
mod error;
pub mod logging;
pub mod params;
pub mod quote;
pub mod signoff;

pub use amount::TokenAmount;
pub use clock::Clock;
pub use deployment::{CircuitKeys, ContractRecord, Deployment, Parameters};
pub use error::{Error, Result};
pub use params::{
    block_data_capacity, CommitteeParams, FeeInboxParams, ProverEscrowParams, ProvingMode,
    RollupParams, StakingParams, StatePreset, BASIS_POINTS,
};
pub use quote::{Quote, QuoteError, SignedQuote};
