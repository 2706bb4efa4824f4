//! `fernet`: the user CLI of the L2 node: send transactions, follow their confirmation stage,
//! generate steady traffic for the devnet, and show what the node knows.

use std::time::{Duration, Instant};

use alloy::primitives::B256;
use clap::{Parser, Subcommand};
use eyre::{bail, eyre, WrapErr};
use fernet_node::{
    tx::{DataWrite, Fee, FieldElement},
    NodeClient, Stage, Tx,
};
use fernet_state::Fr;
use rand::Rng;
use reqwest::Url;
use tracing::{info, warn};

/// Talk to a Fernet L2 node: send transactions and follow them to L1 finality.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// The node's JSON-RPC URL.
    #[arg(
        long,
        env = "AZTEC_NODE_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    node_url: Url,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a transaction against the node's state ("executed locally"), then send it.
    Send {
        /// Fee (default: the node's base fee).
        #[arg(long)]
        fee: Option<u64>,
        /// A nullifier (up to 2; default: one random fresh nullifier).
        #[arg(long = "nullifier")]
        nullifiers: Vec<FieldElement>,
        /// A note hash (up to 2; default: one random note hash).
        #[arg(long = "note")]
        notes: Vec<FieldElement>,
        /// A public data write, `KEY=VALUE` (field elements).
        #[arg(long, value_parser = parse_write)]
        write: Option<DataWrite>,
    },
    /// Print a transaction's confirmation stage, optionally waiting for one.
    Status {
        /// The transaction hash.
        hash: B256,
        /// Wait until the transaction reaches this stage.
        #[arg(long, value_enum)]
        wait: Option<Stage>,
        /// Give up waiting after this many seconds.
        #[arg(long, default_value_t = 300)]
        timeout_secs: u64,
    },
    /// Send random valid transactions steadily (devnet traffic).
    Traffic {
        /// Milliseconds between transactions.
        #[arg(long, default_value_t = 2000)]
        interval_ms: u64,
        /// Stop after this many transactions (default: run until interrupted).
        #[arg(long)]
        count: Option<u64>,
        /// Fee of each transaction (default: the node's base fee).
        #[arg(long)]
        fee: Option<u64>,
    },
    /// Show the node's chain, rollup and tips.
    Info,
}

fn parse_write(s: &str) -> Result<DataWrite, String> {
    let (key, value) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not KEY=VALUE"))?;
    Ok(DataWrite {
        key: key.parse()?,
        value: value.parse()?,
    })
}

/// A random field element (31 random bytes: always canonical, almost surely fresh).
fn random_element() -> FieldElement {
    let mut word = [0u8; 32];
    rand::thread_rng().fill(&mut word[1..]);
    FieldElement::from_b256(B256::from(word)).unwrap_or(FieldElement(Fr::from(1u64)))
}

async fn base_fee(client: &NodeClient) -> eyre::Result<u64> {
    let info = client.node_info().await?;
    info.l2_base_fee
        .parse()
        .wrap_err_with(|| format!("node base fee {:?}", info.l2_base_fee))
}

fn random_tx(fee: u64) -> Tx {
    Tx {
        fee: Fee(fee),
        nullifiers: vec![random_element()],
        note_hashes: vec![random_element()],
        public_data_write: None,
    }
}

async fn send(client: &NodeClient, tx: Tx) -> eyre::Result<()> {
    tx.effect().wrap_err("the transaction is malformed")?;
    for nullifier in &tx.nullifiers {
        if client.is_nullifier_spent(*nullifier).await? {
            bail!("nullifier {nullifier} is already spent on L2");
        }
    }
    println!("executed locally: ok");
    let hash = client.send_transaction(&tx).await?;
    let status = client.transaction_status(hash).await?;
    println!("tx {hash}");
    println!("stage: {}", status.stage);
    Ok(())
}

async fn status(
    client: &NodeClient,
    hash: B256,
    wait: Option<Stage>,
    timeout: Duration,
) -> eyre::Result<()> {
    let started = Instant::now();
    let mut last = None;
    loop {
        let status = client.transaction_status(hash).await?;
        if last != Some(status.stage) {
            let mut line = format!("stage: {}", status.stage);
            if let (Some(block), Some(slot), Some(epoch)) =
                (status.block_number, status.slot, status.epoch)
            {
                line.push_str(&format!(" (block {block}, slot {slot}, epoch {epoch})"));
            }
            if let Some(l1_tx) = status.l1_tx_hash {
                line.push_str(&format!(" l1 tx {l1_tx}"));
            }
            if let Some(reason) = &status.reason {
                line.push_str(&format!(": {reason}"));
            }
            println!("{line}");
            last = Some(status.stage);
        }
        let Some(target) = wait else { return Ok(()) };
        if status.stage.reached(target) {
            return Ok(());
        }
        if status.stage == Stage::Dropped {
            bail!("transaction {hash} was dropped before reaching {target}");
        }
        if started.elapsed() >= timeout {
            bail!(
                "timed out after {}s waiting for {target} (stage {})",
                timeout.as_secs(),
                status.stage
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn traffic(
    client: &NodeClient,
    interval: Duration,
    count: Option<u64>,
    fee: Option<u64>,
) -> eyre::Result<()> {
    let fee = match fee {
        Some(fee) => fee,
        None => base_fee(client).await?,
    };
    let mut sent = 0u64;
    let mut ticker = tokio::time::interval(interval);
    while count.is_none_or(|count| sent < count) {
        ticker.tick().await;
        match client.send_transaction(&random_tx(fee)).await {
            Ok(hash) => {
                sent += 1;
                info!(%hash, sent, fee, "tx sent");
            }
            Err(error) => warn!(%error, "tx not sent"),
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    fernet_cli::logging::init()?;
    let cli = Cli::parse();
    let client = NodeClient::new(cli.node_url);
    match cli.command {
        Command::Send {
            fee,
            nullifiers,
            notes,
            write,
        } => {
            let fee = match fee {
                Some(fee) => fee,
                None => base_fee(&client).await?,
            };
            let mut tx = random_tx(fee);
            if !nullifiers.is_empty() {
                tx.nullifiers = nullifiers;
            }
            if !notes.is_empty() {
                tx.note_hashes = notes;
            }
            tx.public_data_write = write;
            send(&client, tx).await
        }
        Command::Status {
            hash,
            wait,
            timeout_secs,
        } => status(&client, hash, wait, Duration::from_secs(timeout_secs)).await,
        Command::Traffic {
            interval_ms,
            count,
            fee,
        } => {
            traffic(
                &client,
                Duration::from_millis(interval_ms.max(1)),
                count,
                fee,
            )
            .await
        }
        Command::Info => {
            let info = client.node_info().await?;
            let numbers = client.block_number().await?;
            let root = client.state_root().await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "node": client.url().as_str(),
                    "info": info,
                    "blocks": numbers,
                    "stateRoot": root,
                }))
                .map_err(|e| eyre!(e))?
            );
            Ok(())
        }
    }
}
