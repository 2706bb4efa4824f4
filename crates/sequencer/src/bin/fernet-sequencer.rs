//! `fernet-sequencer`: an L2 node plus the duties of one staker (see `--help`).

use std::{sync::Arc, time::Duration};

use alloy::signers::local::PrivateKeySigner;
use clap::Parser;
use eyre::WrapErr;
use fernet_broker_api::BrokerClient;
use fernet_node::Node;
use fernet_sequencer::{
    backup::BackupProver,
    config::SequencerArgs,
    quotes::{CheapestQuote, QuoteProviderClient},
    registration::ensure_registered,
    Sequencer, SequencerConfig,
};
use tracing::info;

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let args = SequencerArgs::parse();
    args.validate()?;
    fernet_primitives::logging::init()?;
    let signer: PrivateKeySigner = args
        .private_key
        .trim()
        .parse()
        .wrap_err("SEQ_PUBLISHER_PRIVATE_KEY is not a 32-byte hex private key")?;
    let address = signer.address();
    let node = Arc::new(Node::start(args.node.clone().into_config("sequencer")).await?);
    let provider = node.l1.signing_provider(signer.clone());
    if args.backup_only {
        info!(sequencer = %address, "backup-only sequencer ready: fills empty slots in backup mode");
    } else {
        let registration = ensure_registered(
            &provider,
            node.l1.deployment.staking.address,
            address,
            args.stake.map(|amount| amount.0),
        )
        .await?;
        info!(
            sequencer = %address,
            activation_epoch = registration.activation_epoch,
            "sequencer ready"
        );
    }
    let config = SequencerConfig {
        signer,
        upgrade_payload: args.upgrade_payload.unwrap_or_default(),
        step: args.rank_step(),
        inclusion_margin: args.inclusion_margin(),
        quote_provider: args
            .claim_quote_provider_url
            .clone()
            .map(QuoteProviderClient::new),
        backup: args.backup_broker.clone().map(|url| {
            BackupProver::new(
                BrokerClient::new(url.to_string()),
                Duration::from_secs(args.backup_proof_timeout_secs),
                address,
            )
        }),
        backup_only: args.backup_only,
    };
    let sequencer = Sequencer::new(node.clone(), provider, config, Box::new(CheapestQuote));
    tokio::select! {
        result = sequencer.run() => result?,
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
