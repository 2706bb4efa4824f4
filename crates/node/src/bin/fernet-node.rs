//! `fernet-node`: follows the rollup on L1 and serves the L2 chain, pools and JSON-RPC
//! (docs/services.md) until Ctrl-C or SIGTERM.

use clap::Parser;
use eyre::WrapErr;
use fernet_node::{node::shutdown_signal, Node, NodeArgs};

/// The Fernet L2 node: L1 follower, world state, transaction and quote pools, JSON-RPC.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    node: NodeArgs,
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    fernet_primitives::logging::init()?;
    let args = Args::parse();
    let node = Node::start(args.node.into_config("fernet-node")).await?;
    node.metrics
        .install_global()
        .wrap_err("installing the metrics recorder")?;
    shutdown_signal().await?;
    node.shutdown().await?;
    Ok(())
}
