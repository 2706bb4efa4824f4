//! Command-line and environment configuration of `fernet-sequencer`.

use std::time::Duration;

use alloy::primitives::Address;
use clap::Parser;
use fernet_cli::config::TokenAmount;
use fernet_node::NodeArgs;

/// Runs an L2 node and the sequencer duties of one staker: registers its stake, proposes when
/// it is the highest-ranked live sequencer of a slot, claims the cheapest epoch proof quote,
/// votes for an upgrade payload, and submits backup blocks (with a proof from a broker) when a
/// slot stays empty.
#[derive(Debug, Parser)]
#[command(name = "fernet-sequencer", version)]
pub struct SequencerArgs {
    /// The embedded node.
    #[command(flatten)]
    pub node: NodeArgs,
    /// The sequencer's L1 key (prefer the environment: a flag shows in `ps`).
    #[arg(long, env = "SEQ_PUBLISHER_PRIVATE_KEY", hide_env_values = true)]
    pub private_key: String,
    /// Stake to register with ("100 tokens" or base units); default: the contract's minimum.
    #[arg(long, env = "SEQ_STAKE_AMOUNT")]
    pub stake: Option<TokenAmount>,
    /// Upgrade payload to vote for in every proposal.
    #[arg(long, env = "GOVERNANCE_PROPOSER_PAYLOAD_ADDRESS")]
    pub upgrade_payload: Option<Address>,
    /// Extra quotes: POST `{"epoch": n}` here, answer a JSON list of signed quotes.
    #[arg(long, env = "EPOCH_CLAIM_QUOTE_PROVIDER_URL")]
    pub claim_quote_provider_url: Option<reqwest::Url>,
    /// Delay between ranks stepping in when higher ranks stay silent, in milliseconds.
    #[arg(long, env = "SEQ_RANK_STEP_MS", default_value_t = 2000)]
    pub rank_step_ms: u64,
    /// Time an L1 transaction needs to land, in milliseconds (anvil with 1 s blocks: 1500).
    #[arg(long, env = "SEQ_INCLUSION_MARGIN_MS", default_value_t = 1500)]
    pub inclusion_margin_ms: u64,
    /// Broker that proves backup blocks; without it the sequencer never uses backup mode.
    #[arg(long, env = "SEQ_BACKUP_BROKER_HOST")]
    pub backup_broker: Option<reqwest::Url>,
    /// How long a backup proof may take, in seconds.
    #[arg(long, env = "SEQ_BACKUP_PROOF_TIMEOUT_SECS", default_value_t = 30)]
    pub backup_proof_timeout_secs: u64,
}

impl SequencerArgs {
    /// Delay between ranks.
    pub fn rank_step(&self) -> Duration {
        Duration::from_millis(self.rank_step_ms)
    }

    /// Time an L1 transaction needs to land.
    pub fn inclusion_margin(&self) -> Duration {
        Duration::from_millis(self.inclusion_margin_ms)
    }
}
