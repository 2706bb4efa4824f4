//! `fernet-sequencer`: an L2 node plus the duties of the stakers whose keys it holds (see
//! `--help`).

use std::{sync::Arc, time::Duration};

use clap::Parser;
use eyre::WrapErr;
use fernet_broker_api::BrokerClient;
use fernet_node::Node;
use fernet_sequencer::{
    backup::BackupProver,
    config::SequencerArgs,
    metrics::SequencerMetrics,
    quotes::{CheapestQuote, QuoteProviderClient},
    registration::register_all,
    Sequencer, SequencerConfig,
};
use tracing::info;

/// Keys registered at once at start-up.
const CONCURRENT_REGISTRATIONS: usize = 16;

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let args = SequencerArgs::parse();
    args.validate()?;
    fernet_primitives::logging::init()?;
    let keys = args.keys()?;
    let node = Arc::new(Node::start(args.node.clone().into_config("sequencer")).await?);
    // One node per process: its /metrics also serves the L1 client's and the duties' counts.
    node.metrics
        .install_global()
        .wrap_err("installing the metrics recorder")?;
    let config = SequencerConfig {
        upgrade_payload: args.upgrade_payload.unwrap_or_default(),
        step: args.rank_step(),
        inclusion_margin: args.inclusion_margin(),
        quote_provider: args
            .claim_quote_provider_url
            .clone()
            .map(QuoteProviderClient::new),
        backup: (!args.backup_broker.is_empty())
            .then(|| -> eyre::Result<_> {
                Ok(BackupProver::new(
                    BrokerClient::from_env(args.backup_broker_urls())?,
                    Duration::from_secs(args.backup_proof_timeout_secs),
                ))
            })
            .transpose()?,
        backup_only: args.backup_only,
        silent_members: args.silent_members.clone(),
        withholding_proposers: args.withholding_proposers.clone(),
    };
    // Slot time is L1 time, from the node's head poller (`NODE_POLLING_INTERVAL_MS`).
    let timeline = node.time.clone();
    let sequencer = Arc::new(
        Sequencer::new(
            node.clone(),
            keys,
            config,
            Box::new(CheapestQuote),
            Arc::new(timeline),
            SequencerMetrics::register(),
        )
        .await?,
    );
    let addresses = sequencer.addresses();
    if args.backup_only {
        info!(sequencer = %addresses[0], "backup-only sequencer ready: fills empty slots in backup mode");
    } else if args.skip_registration {
        info!(
            keys = addresses.len(),
            "sequencer ready (registration left to others)"
        );
    } else {
        let registered = register_all(
            sequencer.senders(),
            node.l1.deployment.staking.address,
            args.stake.map(|amount| amount.0),
            CONCURRENT_REGISTRATIONS,
        )
        .await
        .wrap_err("registering the stakers")?;
        info!(
            keys = addresses.len(),
            newly_registered = registered,
            "sequencer ready"
        );
    }
    tokio::select! {
        result = Arc::clone(&sequencer).run() => result?,
        signal = fernet_node::node::shutdown_signal() => {
            signal.wrap_err("listening for shutdown signals")?;
            info!("shutting down");
        }
    }
    drop(sequencer);
    if let Ok(node) = Arc::try_unwrap(node) {
        node.shutdown().await?;
    }
    Ok(())
}
