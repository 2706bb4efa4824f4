//! Command-line and environment configuration of `fernet-sequencer`.

use std::time::Duration;

use alloy::primitives::Address;
use clap::Parser;
use fernet_node::NodeArgs;
use fernet_primitives::TokenAmount;

/// Runs an L2 node and the sequencer duties of one staker: registers its stake, proposes when
/// it is the highest-ranked live sequencer of a slot, claims the cheapest epoch proof quote,
/// votes for an upgrade payload, and submits backup blocks (with a proof from a broker) when a
/// slot stays empty. With `--backup-only` it does the last alone, without a stake.
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
    /// Neither stake nor propose in ranked turns: only fill slots that stay empty, in backup
    /// mode (open to anyone). Needs `SEQ_BACKUP_BROKER_HOST`; the key needs only gas.
    #[arg(long, env = "SEQ_BACKUP_ONLY", default_value_t = false, action = clap::ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub backup_only: bool,
}

impl SequencerArgs {
    /// Checks the combinations clap cannot: backup-only mode needs a broker.
    pub fn validate(&self) -> crate::Result<()> {
        if self.backup_only && self.backup_broker.is_none() {
            return Err(crate::Error::BackupOnlyWithoutBroker);
        }
        Ok(())
    }

    /// Delay between ranks.
    pub fn rank_step(&self) -> Duration {
        Duration::from_millis(self.rank_step_ms)
    }

    /// Time an L1 transaction needs to land.
    pub fn inclusion_margin(&self) -> Duration {
        Duration::from_millis(self.inclusion_margin_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

    fn parse(extra: &[&str]) -> Result<SequencerArgs, clap::Error> {
        let args = ["fernet-sequencer", "--private-key", KEY];
        SequencerArgs::try_parse_from(args.iter().chain(extra))
    }

    #[test]
    fn stakes_and_proposes_by_default() {
        let args = parse(&[]).unwrap();
        assert!(!args.backup_only);
        assert!(args.backup_broker.is_none());
    }

    #[test]
    fn backup_only_needs_a_broker_to_prove_with() {
        let args = parse(&["--backup-only"]).unwrap();
        assert!(matches!(
            args.validate(),
            Err(crate::Error::BackupOnlyWithoutBroker)
        ));
        let args = parse(&["--backup-only", "--backup-broker", "http://127.0.0.1:8090"]).unwrap();
        assert!(args.backup_only);
        args.validate().unwrap();
        let args = parse(&["--backup-only=false"]).unwrap();
        assert!(!args.backup_only);
        args.validate().unwrap();
    }
}
