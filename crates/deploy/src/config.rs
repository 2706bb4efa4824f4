//! Deployment parameters: a TOML file (`deployments/devnet.toml`), overridden by the environment.
//!
//! Keys are the Solidity parameter names of docs/protocol.md ("Parameters"), in camelCase, grouped
//! by contract. Every key can be overridden by an environment variable named after it in
//! SCREAMING_SNAKE_CASE (`slotDuration` -> `SLOT_DURATION`, `stateConfig` -> `STATE_CONFIG`).
//! Token amounts are integers in base units or strings: `"1000"` (base units) or `"100 tokens"`
//! (18 decimals, fractions allowed: `"0.5 tokens"`).

use std::path::Path;

use fernet_primitives::{
    block_data_capacity,
    params::{
        CommitteeParams, FeeInboxParams, ProverEscrowParams, ProvingMode, RollupParams,
        StakingParams, StatePreset,
    },
    TokenAmount, BASIS_POINTS,
};
use fernet_state::StateConfig;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Longest proof window, in epochs (`Constants.MAX_PROOF_WINDOW_EPOCHS`): the rollup refuses a
/// `proofWindowSlots` above this many epochs.
pub const MAX_PROOF_WINDOW_EPOCHS: u64 = 4;

/// How an environment override is read into TOML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// An integer (seconds, slots, counts, basis points).
    Integer,
    /// A token amount: base units or `"<n> tokens"`.
    Amount,
    /// Text (names, presets).
    Text,
}

/// Every overridable key as `(section, key, kind)`; the variable is the key in
/// SCREAMING_SNAKE_CASE. Top-level keys have the empty section.
pub const ENV_OVERRIDES: &[(&str, &str, ValueKind)] = &[
    ("", "stateConfig", ValueKind::Text),
    ("", "provingMode", ValueKind::Text),
    ("staking", "genesisTime", ValueKind::Integer),
    ("staking", "slotDuration", ValueKind::Integer),
    ("staking", "epochDuration", ValueKind::Integer),
    ("staking", "minimumStake", ValueKind::Amount),
    ("staking", "entryPeriod", ValueKind::Integer),
    ("staking", "exitDelay", ValueKind::Integer),
    ("staking", "exitChurnPerEpoch", ValueKind::Integer),
    ("staking", "snapshotLag", ValueKind::Integer),
    ("proverEscrow", "withdrawalDelay", ValueKind::Integer),
    ("feeInbox", "inclusionDelay", ValueKind::Integer),
    ("rollup", "proposalWindow", ValueKind::Integer),
    ("rollup", "backupWindow", ValueKind::Integer),
    ("rollup", "claimWindowSlots", ValueKind::Integer),
    ("rollup", "proofWindowSlots", ValueKind::Integer),
    ("rollup", "maxDataBytes", ValueKind::Integer),
    ("rollup", "blockReward", ValueKind::Amount),
    ("rollup", "proofSubmissionReward", ValueKind::Amount),
    ("rollup", "openProvingBasisPointFee", ValueKind::Integer),
    ("rollup", "maxProverFeeBps", ValueKind::Integer),
    ("rollup", "minimumProverBond", ValueKind::Amount),
    ("rollup", "unprovenBlockPenalty", ValueKind::Amount),
    ("rollup", "voteRoundSize", ValueKind::Integer),
    ("rollup", "voteQuorum", ValueKind::Integer),
    ("committee", "committeeSize", ValueKind::Integer),
    ("committee", "signoffQuorum", ValueKind::Integer),
    ("committee", "sequencerBaseBps", ValueKind::Integer),
    ("committee", "sequencerBonusBps", ValueKind::Integer),
    ("committee", "takeoverSlots", ValueKind::Integer),
    ("committee", "inactivityLimit", ValueKind::Integer),
    ("committee", "inactivityPenalty", ValueKind::Amount),
    ("devnetToken", "tokenName", ValueKind::Text),
    ("devnetToken", "tokenSymbol", ValueKind::Text),
    ("devnetToken", "deployerMint", ValueKind::Amount),
    ("devnetToken", "rewardPoolFunding", ValueKind::Amount),
];

/// The environment variable that overrides `key` (`slotDuration` -> `SLOT_DURATION`).
pub fn env_name(key: &str) -> String {
    let mut name = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

/// The devnet token, deployed only when no `--token` is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DevnetTokenParams {
    /// ERC-20 name ("Fernet Staking Token").
    pub token_name: String,
    /// ERC-20 symbol ("FST").
    pub token_symbol: String,
    /// Minted to the deployer (devnet 10 000 000 tokens); must cover `rewardPoolFunding`.
    pub deployer_mint: TokenAmount,
    /// Moved from the deployer into the reward pool (devnet 1 000 000 tokens; 0 skips it).
    pub reward_pool_funding: TokenAmount,
}

/// Everything `deploy` needs besides the chain: one section per contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeployConfig {
    /// State sizes of the circuit: `devnet` (default) or `production`.
    #[serde(default)]
    pub state_config: StatePreset,
    /// `Staking` parameters.
    pub staking: StakingParams,
    /// `ProverEscrow` parameters.
    pub prover_escrow: ProverEscrowParams,
    /// `FeeInbox` parameters.
    pub fee_inbox: FeeInboxParams,
    /// `Rollup` parameters.
    pub rollup: RollupParams,
    /// How epochs are proven: `quote` (default, `Rollup`) or `committee` (`CommitteeRollup`).
    #[serde(default)]
    pub proving_mode: ProvingMode,
    /// The committee parameters, used in the committee mode (default: the devnet values).
    #[serde(default)]
    pub committee: CommitteeParams,
    /// The devnet token and the reward pool's funding.
    pub devnet_token: DevnetTokenParams,
}

impl Default for DeployConfig {
    /// The devnet values of docs/protocol.md (the content of `deployments/devnet.toml`).
    fn default() -> Self {
        Self::devnet()
    }
}

impl DeployConfig {
    /// The devnet column of docs/protocol.md's parameter table.
    pub fn devnet() -> Self {
        Self {
            state_config: StatePreset::Devnet,
            staking: StakingParams {
                genesis_time: 0,
                slot_duration: 30,
                epoch_duration: 2,
                minimum_stake: TokenAmount::tokens(100),
                entry_period: 0,
                exit_delay: 150,
                exit_churn_per_epoch: 4,
                snapshot_lag: 1,
            },
            prover_escrow: ProverEscrowParams {
                withdrawal_delay: 60,
            },
            fee_inbox: FeeInboxParams {
                inclusion_delay: 60,
            },
            rollup: RollupParams {
                proposal_window: 8,
                backup_window: 22,
                claim_window_slots: 1,
                proof_window_slots: 2,
                max_data_bytes: None,
                block_reward: TokenAmount::tokens(10),
                proof_submission_reward: TokenAmount::tokens(1),
                open_proving_basis_point_fee: 2000,
                max_prover_fee_bps: 5000,
                minimum_prover_bond: TokenAmount::tokens(10),
                unproven_block_penalty: TokenAmount::tokens(5),
                vote_round_size: 16,
                vote_quorum: 9,
            },
            proving_mode: ProvingMode::Quote,
            committee: CommitteeParams::devnet(),
            devnet_token: DevnetTokenParams {
                token_name: "Fernet Staking Token".into(),
                token_symbol: "FST".into(),
                deployer_mint: TokenAmount::tokens(10_000_000),
                reward_pool_funding: TokenAmount::tokens(1_000_000),
            },
        }
    }

    /// Reads `path` and applies the process environment's overrides.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ReadConfig {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, |name| std::env::var(name).ok()).map_err(|error| match error {
            Error::ParseConfig { source, .. } => Error::ParseConfig {
                path: Some(path.to_owned()),
                source,
            },
            other => other,
        })
    }

    /// Parses TOML text, then applies the overrides `env` returns for the names of
    /// [`ENV_OVERRIDES`].
    pub fn from_toml(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let parse_error = |source| Error::ParseConfig { path: None, source };
        let mut table: toml::Table = toml::from_str(text).map_err(parse_error)?;
        for (section, key, kind) in ENV_OVERRIDES {
            let Some(value) = env(&env_name(key)) else {
                continue;
            };
            // A malformed integer stays a string, so the parse error names the key.
            let value = match (kind, value.trim().parse::<i64>()) {
                (ValueKind::Integer, Ok(number)) => toml::Value::Integer(number),
                _ => toml::Value::String(value),
            };
            let target = if section.is_empty() {
                &mut table
            } else {
                table
                    .entry(*section)
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                    .as_table_mut()
                    .ok_or_else(|| Error::InvalidParameter {
                        parameter: section,
                        reason: "must be a table".into(),
                    })?
            };
            target.insert((*key).to_owned(), value);
        }
        table.try_into().map_err(parse_error)
    }

    /// The state sizes of [`Self::state_config`].
    pub fn state(&self) -> StateConfig {
        self.state_config.state_config()
    }

    /// `maxDataBytes`: the configured value, or the circuit's capacity.
    pub fn max_data_bytes(&self) -> u64 {
        self.rollup
            .max_data_bytes
            .unwrap_or_else(|| block_data_capacity(&self.state()))
    }

    /// Checks every rule the constructors enforce (so a bad value fails before any gas is
    /// spent), plus the block capacity and the token amounts.
    pub fn validate(&self) -> Result<()> {
        let s = &self.staking;
        let r = &self.rollup;
        let capacity = block_data_capacity(&self.state());
        let max_data_bytes = self.max_data_bytes();
        let min_exit_delay = s
            .epoch_duration
            .saturating_add(r.proof_window_slots)
            .saturating_add(1)
            .saturating_mul(s.slot_duration);
        let rules: [(&'static str, bool, String); 17] = [
            ("slotDuration", s.slot_duration > 0, "must be positive".into()),
            ("epochDuration", s.epoch_duration > 0, "must be positive".into()),
            ("minimumStake", !s.minimum_stake.is_zero(), "must be positive".into()),
            ("exitChurnPerEpoch", s.exit_churn_per_epoch > 0, "must be positive".into()),
            ("snapshotLag", s.snapshot_lag > 0, "must be at least 1 epoch".into()),
            (
                "proposalWindow",
                r.proposal_window > 0 && r.proposal_window <= s.slot_duration,
                format!("must be in 1..={} (slotDuration)", s.slot_duration),
            ),
            (
                "backupWindow",
                r.proposal_window.saturating_add(r.backup_window) <= s.slot_duration,
                format!(
                    "must be at most {} (slotDuration - proposalWindow): a backup block must land inside its slot",
                    s.slot_duration.saturating_sub(r.proposal_window)
                ),
            ),
            (
                "claimWindowSlots",
                r.claim_window_slots > 0 && r.claim_window_slots <= s.epoch_duration,
                format!("must be in 1..={} (epochDuration)", s.epoch_duration),
            ),
            (
                "proofWindowSlots",
                r.proof_window_slots >= r.claim_window_slots
                    && r.proof_window_slots
                        <= MAX_PROOF_WINDOW_EPOCHS.saturating_mul(s.epoch_duration),
                format!(
                    "must be in {}..={} (claimWindowSlots..={MAX_PROOF_WINDOW_EPOCHS} epochs)",
                    r.claim_window_slots,
                    MAX_PROOF_WINDOW_EPOCHS.saturating_mul(s.epoch_duration)
                ),
            ),
            (
                "exitDelay",
                s.exit_delay >= min_exit_delay,
                format!(
                    "must be at least {min_exit_delay} s ((epochDuration + proofWindowSlots + 1) * \
                     slotDuration): an exiting proposer must stay slashable until its blocks can be pruned"
                ),
            ),
            (
                "maxDataBytes",
                max_data_bytes > 0 && max_data_bytes <= capacity,
                format!(
                    "must be in 1..={capacity}: larger blocks could never be proven by the {} circuit",
                    self.state_config
                ),
            ),
            (
                "maxProverFeeBps",
                r.max_prover_fee_bps <= BASIS_POINTS,
                format!("must be at most {BASIS_POINTS} (100 %)"),
            ),
            (
                "openProvingBasisPointFee",
                r.open_proving_basis_point_fee <= r.max_prover_fee_bps,
                format!("must be at most maxProverFeeBps ({})", r.max_prover_fee_bps),
            ),
            ("voteRoundSize", r.vote_round_size > 0, "must be positive".into()),
            (
                "voteQuorum",
                r.vote_quorum > 0 && r.vote_quorum <= r.vote_round_size,
                format!("must be in 1..={} (voteRoundSize)", r.vote_round_size),
            ),
            (
                "deployerMint",
                self.devnet_token.deployer_mint >= self.devnet_token.reward_pool_funding,
                "must cover rewardPoolFunding".into(),
            ),
            (
                "tokenSymbol",
                !self.devnet_token.token_symbol.is_empty(),
                "must not be empty".into(),
            ),
        ];
        let committee_rules = match self.proving_mode {
            ProvingMode::Quote => Vec::new(),
            ProvingMode::Committee => self.committee_rules(),
        };
        match rules
            .into_iter()
            .chain(committee_rules)
            .find(|(_, ok, _)| !ok)
        {
            Some((parameter, _, reason)) => Err(Error::InvalidParameter { parameter, reason }),
            None => Ok(()),
        }
    }

    /// The rules `CommitteeRollup`'s constructor enforces on the committee parameters.
    fn committee_rules(&self) -> Vec<(&'static str, bool, String)> {
        let c = &self.committee;
        let proposer_max = c
            .sequencer_bonus_bps
            .saturating_mul(c.committee_size)
            .saturating_add(c.sequencer_base_bps);
        vec![
            ("committeeSize", c.committee_size > 0, "must be positive".into()),
            (
                "signoffQuorum",
                c.signoff_quorum > 0 && c.signoff_quorum <= c.committee_size,
                format!("must be in 1..={} (committeeSize)", c.committee_size),
            ),
            (
                "sequencerBonusBps",
                proposer_max <= BASIS_POINTS,
                format!(
                    "sequencerBaseBps + committeeSize * sequencerBonusBps is {proposer_max}: must be at most {BASIS_POINTS}"
                ),
            ),
            (
                "takeoverSlots",
                c.takeover_slots < self.rollup.proof_window_slots,
                format!(
                    "must be below {} (proofWindowSlots): a silent signer must not stall the epoch past its window",
                    self.rollup.proof_window_slots
                ),
            ),
            ("inactivityLimit", c.inactivity_limit > 0, "must be positive".into()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn committed_devnet_toml() -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deployments/devnet.toml");
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn committed_devnet_file_holds_the_devnet_values() {
        let config = DeployConfig::from_toml(&committed_devnet_toml(), no_env).unwrap();
        assert_eq!(config, DeployConfig::devnet());
        config.validate().unwrap();
        assert_eq!(config.max_data_bytes(), 154 + 224 * 4);
    }

    /// The testnet preset (`script/devnet.sh --preset testnet`) is valid and has the sizes and
    /// pace its documentation promises.
    #[test]
    fn committed_testnet_file_holds_the_production_circuit_at_mainnet_pace() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deployments/testnet.toml");
        let config =
            DeployConfig::from_toml(&std::fs::read_to_string(path).unwrap(), no_env).unwrap();
        config.validate().unwrap();
        assert_eq!(config.state_config, StatePreset::Production);
        assert_eq!(config.state(), StateConfig::production());
        assert_eq!(config.max_data_bytes(), 154 + 224 * 32);
        assert_eq!(
            (config.staking.slot_duration, config.staking.epoch_duration),
            (36, 8)
        );
    }

    #[test]
    fn defaults_round_trip_through_toml() {
        let text = toml::to_string(&DeployConfig::devnet()).unwrap();
        assert_eq!(
            DeployConfig::from_toml(&text, no_env).unwrap(),
            DeployConfig::devnet()
        );
    }

    #[test]
    fn environment_overrides_the_file() {
        let env: HashMap<&str, &str> = [
            ("SLOT_DURATION", "12"),
            ("BACKUP_WINDOW", "4"),
            ("MINIMUM_STAKE", "250 tokens"),
            ("MAX_DATA_BYTES", "500"),
            ("STATE_CONFIG", "production"),
            ("TOKEN_SYMBOL", "TST"),
        ]
        .into();
        let config = DeployConfig::from_toml(&committed_devnet_toml(), |name| {
            env.get(name).map(|v| v.to_string())
        })
        .unwrap();
        assert_eq!(config.staking.slot_duration, 12);
        assert_eq!(config.rollup.backup_window, 4);
        assert_eq!(config.staking.minimum_stake, TokenAmount::tokens(250));
        assert_eq!(config.rollup.max_data_bytes, Some(500));
        assert_eq!(config.state_config, StatePreset::Production);
        assert_eq!(config.devnet_token.token_symbol, "TST");
        config.validate().unwrap();
    }

    #[test]
    fn every_override_names_a_distinct_known_key() {
        let names: HashSet<String> = ENV_OVERRIDES
            .iter()
            .map(|(_, key, _)| env_name(key))
            .collect();
        assert_eq!(names.len(), ENV_OVERRIDES.len());
        assert_eq!(
            env_name("openProvingBasisPointFee"),
            "OPEN_PROVING_BASIS_POINT_FEE"
        );
        // Each key is accepted where the table says it lives (unknown keys are rejected).
        for (section, key, _) in ENV_OVERRIDES {
            let value = match *key {
                "stateConfig" => "devnet",
                "provingMode" => "committee",
                _ => "1",
            };
            let result = DeployConfig::from_toml(&committed_devnet_toml(), |name| {
                (name == env_name(key)).then(|| value.to_owned())
            });
            assert!(result.is_ok(), "{section}.{key}: {result:?}");
        }
    }

    #[test]
    fn rejects_unknown_keys_and_bad_values() {
        let text = format!("{}\n[extra]\nfoo = 1\n", committed_devnet_toml());
        assert!(matches!(
            DeployConfig::from_toml(&text, no_env),
            Err(Error::ParseConfig { .. })
        ));
        let bad_number = DeployConfig::from_toml(&committed_devnet_toml(), |name| {
            (name == "SLOT_DURATION").then(|| "eight".to_owned())
        });
        assert!(matches!(bad_number, Err(Error::ParseConfig { .. })));
        let bad_preset = DeployConfig::from_toml(&committed_devnet_toml(), |name| {
            (name == "STATE_CONFIG").then(|| "huge".to_owned())
        });
        assert!(matches!(bad_preset, Err(Error::ParseConfig { .. })));
    }

    #[test]
    fn validation_mirrors_the_constructor_rules() {
        type Breaker = fn(&mut DeployConfig);
        let cases: [(&str, Breaker); 14] = [
            ("slotDuration", |c| c.staking.slot_duration = 0),
            ("snapshotLag", |c| c.staking.snapshot_lag = 0),
            ("proposalWindow", |c| c.rollup.proposal_window = 31),
            // 8 s + 23 s is past the 30 s slot.
            ("backupWindow", |c| c.rollup.backup_window = 23),
            ("claimWindowSlots", |c| c.rollup.claim_window_slots = 3),
            ("proofWindowSlots", |c| c.rollup.proof_window_slots = 0),
            // 4 epochs of 2 slots at most; the exit delay grown so that only this rule breaks.
            ("proofWindowSlots", |c| {
                c.rollup.proof_window_slots = 9;
                c.staking.exit_delay = 1_000;
            }),
            // (2 + 2 + 1) * 30 s = 150 s.
            ("exitDelay", |c| c.staking.exit_delay = 149),
            ("exitDelay", |c| c.staking.slot_duration = 31),
            ("maxDataBytes", |c| c.rollup.max_data_bytes = Some(1051)),
            ("maxProverFeeBps", |c| c.rollup.max_prover_fee_bps = 10_001),
            ("openProvingBasisPointFee", |c| {
                c.rollup.open_proving_basis_point_fee = 5_001
            }),
            ("voteQuorum", |c| c.rollup.vote_quorum = 17),
            ("deployerMint", |c| {
                c.devnet_token.deployer_mint = TokenAmount::tokens(1)
            }),
        ];
        for (parameter, break_it) in cases {
            let mut config = DeployConfig::devnet();
            break_it(&mut config);
            match config.validate() {
                Err(Error::InvalidParameter { parameter: got, .. }) => assert_eq!(got, parameter),
                other => panic!("{parameter}: expected InvalidParameter, got {other:?}"),
            }
        }
    }

    #[test]
    fn committee_rules_apply_in_the_committee_mode_only() {
        type Breaker = fn(&mut CommitteeParams);
        let cases: [(&str, Breaker); 6] = [
            ("committeeSize", |c| {
                c.committee_size = 0;
                c.signoff_quorum = 0;
            }),
            ("signoffQuorum", |c| c.signoff_quorum = 0),
            ("signoffQuorum", |c| c.signoff_quorum = 5),
            // 4000 + 4 * 1501 > 10 000.
            ("sequencerBonusBps", |c| c.sequencer_bonus_bps = 1501),
            // The devnet proof window is 2 slots.
            ("takeoverSlots", |c| c.takeover_slots = 2),
            ("inactivityLimit", |c| c.inactivity_limit = 0),
        ];
        for (parameter, break_it) in cases {
            let mut config = DeployConfig::devnet();
            break_it(&mut config.committee);
            config
                .validate()
                .expect("the quote mode ignores the committee section");
            config.proving_mode = ProvingMode::Committee;
            match config.validate() {
                Err(Error::InvalidParameter { parameter: got, .. }) => assert_eq!(got, parameter),
                other => panic!("{parameter}: expected InvalidParameter, got {other:?}"),
            }
        }
        let mut config = DeployConfig::devnet();
        config.proving_mode = ProvingMode::Committee;
        config.committee.sequencer_bonus_bps = 1500;
        config
            .validate()
            .expect("4000 + 4 * 1500 = 10 000 is allowed");
    }

    #[test]
    fn the_proving_mode_comes_from_the_file_or_the_environment() {
        let text = committed_devnet_toml()
            .replace("provingMode = \"quote\"", "provingMode = \"committee\"");
        let config = DeployConfig::from_toml(&text, no_env).unwrap();
        assert_eq!(config.proving_mode, ProvingMode::Committee);
        let env = |name: &str| match name {
            "PROVING_MODE" => Some("committee".to_owned()),
            "COMMITTEE_SIZE" => Some("6".to_owned()),
            _ => None,
        };
        let config = DeployConfig::from_toml(&committed_devnet_toml(), env).unwrap();
        assert_eq!(config.proving_mode, ProvingMode::Committee);
        assert_eq!(config.committee.committee_size, 6);
        assert_eq!(config.committee.signoff_quorum, 2, "the file's value");
        let bad = |name: &str| (name == "PROVING_MODE").then(|| "quotes".to_owned());
        assert!(matches!(
            DeployConfig::from_toml(&committed_devnet_toml(), bad),
            Err(Error::ParseConfig { .. })
        ));
    }

    #[test]
    fn capacity_follows_the_state_preset() {
        let mut config = DeployConfig::devnet();
        assert_eq!(config.max_data_bytes(), 1050);
        config.state_config = StatePreset::Production;
        assert_eq!(config.max_data_bytes(), 154 + 224 * 32);
        assert_eq!(
            "production".parse::<StatePreset>().unwrap(),
            StatePreset::Production
        );
        assert!("mainnet".parse::<StatePreset>().is_err());
    }
}
