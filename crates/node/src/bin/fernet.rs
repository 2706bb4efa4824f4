//! `fernet`: the user CLI of the L2 node: deposit fee money on L1 and read the L2 fee balance,
//! send transactions, follow their confirmation stage, generate steady traffic for the devnet,
//! and show what the node knows.

use std::time::{Duration, Instant};

use alloy::{
    primitives::{Address, B256, U256},
    signers::local::PrivateKeySigner,
};
use clap::{Args, Parser, Subcommand};
use eyre::{bail, eyre, WrapErr};
use fernet_node::{
    deposit::{deposit, wait_for_balance},
    l1::signing_provider,
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

/// The L1 account that deposits fee money.
#[derive(Debug, Args)]
struct L1Account {
    /// The L1 JSON-RPC URL.
    #[arg(long, env = "ETHEREUM_HOST", default_value = "http://127.0.0.1:8545")]
    l1_url: reqwest::Url,
    /// The depositor's private key (it needs the fee asset, the staking token, and gas).
    #[arg(long, env = "FERNET_PRIVATE_KEY", hide_env_values = true)]
    private_key: PrivateKeySigner,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Deposit fee money on L1 (the staking token, into the fee inbox) for an L2 account, and
    /// wait until a block credits it.
    Deposit {
        #[command(flatten)]
        account: L1Account,
        /// The L2 account credited (default: the depositor's address).
        #[arg(long)]
        recipient: Option<Address>,
        /// Amount in the token's base units (at most 2^96 - 1).
        #[arg(long)]
        amount: U256,
        /// Seconds to wait for the credit on L2 (0: do not wait).
        #[arg(long, default_value_t = 300)]
        timeout_secs: u64,
    },
    /// Print an L2 account's fee balance at the pending tip.
    Balance {
        /// The account.
        account: Address,
    },
    /// Check a transaction against the node's state ("executed locally"), then send it.
    Send {
        /// The L2 account whose fee balance pays the fee.
        #[arg(long)]
        payer: Address,
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
    /// Send random valid transactions steadily (devnet traffic), paying their fees from the
    /// depositor's own L2 fee balance, topped up with a new deposit when it runs low.
    Traffic {
        #[command(flatten)]
        account: L1Account,
        /// Each top-up deposit, in base units (default: 1000 transactions' fees).
        #[arg(long)]
        deposit: Option<u64>,
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

fn random_tx(payer: Address, fee: u64) -> Tx {
    Tx {
        fee: Fee(fee),
        payer,
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
    let balance = client.fee_balance(tx.payer).await?;
    if balance < u128::from(tx.fee.0) {
        bail!(
            "payer {} has fee balance {balance}, below the fee {}: deposit first (`fernet deposit`)",
            tx.payer,
            tx.fee.0
        );
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

/// How long a deposit may take to reach L2 (a few slots) before traffic deposits again.
const DEPOSIT_WAIT: Duration = Duration::from_secs(180);

async fn deposit_command(
    client: &NodeClient,
    account: L1Account,
    recipient: Option<Address>,
    amount: U256,
    timeout: Duration,
) -> eyre::Result<()> {
    let depositor = account.private_key.address();
    let recipient = recipient.unwrap_or(depositor);
    let info = client.node_info().await?;
    let provider = signing_provider(&account.l1_url, account.private_key);
    let before = client.fee_balance(recipient).await?;
    let queued = deposit(&provider, depositor, info.fee_inbox, recipient, amount)
        .await
        .wrap_err("depositing into the fee inbox")?;
    println!(
        "deposit {} of {} for {} queued (l1 tx {}); blocks must include it from L1 time {}",
        queued.index, queued.amount, queued.recipient, queued.l1_tx, queued.include_by
    );
    if timeout.is_zero() {
        return Ok(());
    }
    let wanted = before.saturating_add(amount.saturating_to());
    let balance = wait_for_balance(client, recipient, wanted, timeout).await?;
    if balance < wanted {
        bail!(
            "deposit {} not credited after {}s: fee balance {balance}",
            queued.index,
            timeout.as_secs()
        );
    }
    println!("fee balance of {recipient}: {balance}");
    Ok(())
}

async fn traffic(
    client: &NodeClient,
    account: L1Account,
    top_up: Option<u64>,
    interval: Duration,
    count: Option<u64>,
    fee: Option<u64>,
) -> eyre::Result<()> {
    let fee = match fee {
        Some(fee) => fee,
        None => base_fee(client).await?,
    };
    let payer = account.private_key.address();
    let top_up = U256::from(top_up.unwrap_or(fee.saturating_mul(1000)).max(1));
    let inbox = client.node_info().await?.fee_inbox;
    let provider = signing_provider(&account.l1_url, account.private_key);
    let mut sent = 0u64;
    let mut deposited_at: Option<Instant> = None;
    let mut ticker = tokio::time::interval(interval);
    while count.is_none_or(|count| sent < count) {
        ticker.tick().await;
        // Top up when the balance cannot pay ten more fees and no deposit is on its way.
        let balance = client.fee_balance(payer).await?;
        let waiting = deposited_at.is_some_and(|at| at.elapsed() < DEPOSIT_WAIT);
        if balance < u128::from(fee) * 10 && !waiting {
            match deposit(&provider, payer, inbox, payer, top_up).await {
                Ok(queued) => {
                    info!(index = queued.index, amount = %queued.amount, balance, "fee deposit queued");
                    deposited_at = Some(Instant::now());
                }
                Err(error) => warn!(%error, "fee deposit failed"),
            }
        }
        if balance < u128::from(fee) {
            continue;
        }
        match client.send_transaction(&random_tx(payer, fee)).await {
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
    fernet_primitives::logging::init()?;
    let cli = Cli::parse();
    let client = NodeClient::new(cli.node_url);
    match cli.command {
        Command::Deposit {
            account,
            recipient,
            amount,
            timeout_secs,
        } => {
            deposit_command(
                &client,
                account,
                recipient,
                amount,
                Duration::from_secs(timeout_secs),
            )
            .await
        }
        Command::Balance { account } => {
            println!("{}", client.fee_balance(account).await?);
            Ok(())
        }
        Command::Send {
            payer,
            fee,
            nullifiers,
            notes,
            write,
        } => {
            let fee = match fee {
                Some(fee) => fee,
                None => base_fee(&client).await?,
            };
            let mut tx = random_tx(payer, fee);
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
            account,
            deposit,
            interval_ms,
            count,
            fee,
        } => {
            traffic(
                &client,
                account,
                deposit,
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
