//! The local devnet: anvil with 1 s blocks, the suite deployed with `deployments/devnet.toml`,
//! funded accounts derived from anvil's well-known mnemonic, the circuit keys, and every
//! service (`fernet-broker`, `fernet-agent`, `fernet-node`, `fernet-sequencer`,
//! `fernet-prover-node`, `fernet traffic`) as a process with its log under the data directory.
//!
//! [`Devnet::start`] brings it up from [`DevnetOptions`], [`Devnet::stop`] (or drop) takes it
//! down. [`Monitor`] turns L1 events into one [`SlotReport`] per slot: the `devnet` binary prints
//! them as live lines, tests wait on them or on [`Devnet::wait_until`]. [`History`] keeps the
//! rollup's events of a whole run, for checks over it. [`ScaleRecorder`] measures a window of
//! whole epochs: who proposed against the off-chain ranking, latency, L1 calls, CPU and memory
//! per process ([`ScaleReport`]).

mod accounts;
mod devnet;
mod error;
mod gate;
pub mod history;
pub mod hosts;
pub mod l1;
pub mod monitor;
mod options;
pub mod process;
pub mod scale;
mod spread;

pub use accounts::{Account, Accounts, DEVNET_MNEMONIC};
pub use devnet::{
    Devnet, Urls, DEVNET_CHAIN_ID, PROVER_FUNDING_TOKENS, SEQUENCER_FUNDING_TOKENS,
    TRAFFIC_FUNDING_TOKENS,
};
pub use error::{Error, Result};
pub use gate::L1Gate;
pub use history::History;
pub use l1::{L1Event, L1Log, L1State, L1};
pub use monitor::{Monitor, SlotReport};
pub use options::{
    agent_name, broker_name, prover_name, sequencer_name, workspace_root, BrokerStore,
    DevnetOptions, Preset, Role, BACKUP_PROPOSER, DEVNET_DATABASE,
};
pub use scale::{run_scale_report, ScaleRecorder, ScaleReport};
pub use spread::RewardSpread;
