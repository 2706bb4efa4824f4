//! `fernet-prover-node`: the prover node binary (configuration in `--help`; the work is in
//! [`fernet_prover_node::service::ProverNode`]).

use clap::Parser;
use fernet_prover_node::{config::ProverNodeArgs, service::ProverNode};
use tracing::info;

#[tokio::main]
async fn main() -> eyre::Result<()> {
    fernet_primitives::logging::init()?;
    let args = ProverNodeArgs::parse();
    let node = ProverNode::start(args).await?;
    fernet_node::node::shutdown_signal().await?;
    info!("shutdown requested");
    node.shutdown().await?;
    Ok(())
}
