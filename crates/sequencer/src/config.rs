//! Command-line and environment configuration of `fernet-sequencer`.

use std::{path::PathBuf, time::Duration};

use alloy::{primitives::Address, signers::local::PrivateKeySigner};
use clap::{ArgGroup, Parser};
use fernet_node::NodeArgs;
use fernet_primitives::TokenAmount;

/// Runs an L2 node and the sequencer duties of the stakers whose keys it holds: registers their
/// stakes, proposes when one of them is the highest-ranked live staker of a slot, claims the
/// cheapest epoch proof quote, votes for an upgrade payload, and submits backup blocks (with a
/// proof from a broker) when a slot stays empty. With `--backup-only` it does the last alone,
/// without a stake.
#[derive(Debug, Parser)]
#[command(name = "fernet-sequencer", version)]
#[command(group(ArgGroup::new("keys").required(true).args(["validator_private_keys", "validator_keystore"])))]
pub struct SequencerArgs {
    /// The embedded node.
    #[command(flatten)]
    pub node: NodeArgs,
    /// The stakers' L1 keys, comma-separated hex (prefer the environment: a flag shows in `ps`).
    #[arg(long, env = "VALIDATOR_PRIVATE_KEYS", hide_env_values = true)]
    pub validator_private_keys: Option<String>,
    /// A file with the stakers' L1 keys, one hex key per line (`#` starts a comment).
    #[arg(long, env = "VALIDATOR_KEYSTORE")]
    pub validator_keystore: Option<PathBuf>,
    /// Do not register keys that are not staked yet (someone else registers them).
    #[arg(long, env = "SEQ_SKIP_REGISTRATION", default_value_t = false, action = clap::ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub skip_registration: bool,
    /// Stake to register each key with ("100 tokens" or base units); default: the contract's
    /// minimum.
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
    /// Broker that proves backup blocks: its URL, or the URLs of its replicas on one database
    /// separated by commas (a call that a replica does not answer goes to the next one); without
    /// it the sequencer never uses backup mode.
    #[arg(long, env = "SEQ_BACKUP_BROKER_HOST", value_delimiter = ',')]
    pub backup_broker: Vec<reqwest::Url>,
    /// How long a backup proof may take, in seconds.
    #[arg(long, env = "SEQ_BACKUP_PROOF_TIMEOUT_SECS", default_value_t = 30)]
    pub backup_proof_timeout_secs: u64,
    /// Neither stake nor propose in ranked turns: only fill slots that stay empty, in backup
    /// mode (open to anyone). Needs `SEQ_BACKUP_BROKER_HOST`; the key needs only gas.
    #[arg(long, env = "SEQ_BACKUP_ONLY", default_value_t = false, action = clap::ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub backup_only: bool,
    /// Committee mode fault injection: these keys (addresses, comma-separated) never sign off
    /// (they get slashed for inactivity). Keys the process does not hold are ignored.
    #[arg(long, env = "SEQ_SILENT_MEMBERS", value_delimiter = ',')]
    pub silent_members: Vec<Address>,
    /// Committee mode fault injection: these keys never send their proposals to the committee
    /// (no sign-offs: the slot goes to the next rank or to backup mode).
    #[arg(long, env = "SEQ_WITHHOLDING_PROPOSERS", value_delimiter = ',')]
    pub withholding_proposers: Vec<Address>,
}

impl SequencerArgs {
    /// The stakers' keys, from the list or the keystore.
    pub fn keys(&self) -> Result<Vec<PrivateKeySigner>, crate::keys::KeyError> {
        match (&self.validator_private_keys, &self.validator_keystore) {
            (Some(list), _) => crate::keys::parse_key_list(list),
            (None, Some(path)) => crate::keys::read_keystore(path),
            (None, None) => Err(crate::keys::KeyError::Empty {
                origin: "VALIDATOR_PRIVATE_KEYS / VALIDATOR_KEYSTORE".to_owned(),
            }),
        }
    }

    /// Checks the combinations clap cannot: backup-only mode needs a broker.
    pub fn validate(&self) -> crate::Result<()> {
        if self.backup_only && self.backup_broker.is_empty() {
            return Err(crate::Error::BackupOnlyWithoutBroker);
        }
        Ok(())
    }

    /// The backup broker's replicas as one comma-separated list, as `BrokerClient::from_env`
    /// takes them.
    pub fn backup_broker_urls(&self) -> String {
        let urls: Vec<&str> = self.backup_broker.iter().map(|url| url.as_str()).collect();
        urls.join(",")
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
        let args = ["fernet-sequencer", "--validator-private-keys", KEY];
        SequencerArgs::try_parse_from(args.iter().chain(extra))
    }

    #[test]
    fn keys_come_from_a_list_or_a_keystore_and_one_is_required() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.keys().unwrap().len(), 1);
        assert!(!args.skip_registration);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.txt");
        std::fs::write(&path, format!("{KEY}\n")).unwrap();
        let args = SequencerArgs::try_parse_from([
            "fernet-sequencer",
            "--validator-keystore",
            path.to_str().unwrap(),
            "--skip-registration",
        ])
        .unwrap();
        assert_eq!(args.keys().unwrap().len(), 1);
        assert!(args.skip_registration);
        let missing = SequencerArgs::try_parse_from(["fernet-sequencer"]).unwrap_err();
        assert_eq!(
            missing.kind(),
            clap::error::ErrorKind::MissingRequiredArgument
        );
    }

    #[test]
    fn stakes_and_proposes_by_default() {
        let args = parse(&[]).unwrap();
        assert!(!args.backup_only);
        assert!(args.backup_broker.is_empty());
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
        let args = parse(&[
            "--backup-only",
            "--backup-broker",
            "http://10.0.0.2:8090, http://10.0.0.3:8090",
        ])
        .unwrap();
        assert_eq!(
            args.backup_broker_urls(),
            "http://10.0.0.2:8090/,http://10.0.0.3:8090/"
        );
        args.validate().unwrap();
        assert!(parse(&["--backup-broker", "http://10.0.0.2:8090,"]).is_err());
        let args = parse(&["--backup-only=false"]).unwrap();
        assert!(!args.backup_only);
        args.validate().unwrap();
    }
}
