//! The devnet's accounts: derived from anvil's well-known mnemonic, so every run has the same.

use alloy::{
    primitives::{Address, B256},
    signers::local::{MnemonicBuilder, PrivateKeySigner},
};

use crate::{options::BACKUP_PROPOSER, Error, Result};

/// anvil's default mnemonic: its accounts are public knowledge, never use them outside a devnet.
pub const DEVNET_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// One devnet account: its address and its (public, well-known) key.
#[derive(Debug, Clone)]
pub struct Account {
    /// The derivation index under `m/44'/60'/0'/0/`.
    pub index: u32,
    /// The address.
    pub address: Address,
    /// The signer, for transactions from tests.
    pub signer: PrivateKeySigner,
}

impl Account {
    /// Derives account `index` of [`DEVNET_MNEMONIC`].
    pub fn derive(index: u32) -> Result<Self> {
        let signer = MnemonicBuilder::try_from_phrase_nth(DEVNET_MNEMONIC, index)
            .map_err(|source| Error::Mnemonic { index, source })?;
        Ok(Self {
            index,
            address: signer.address(),
            signer,
        })
    }

    /// The private key as `0x` hex, as the services take it in their environment.
    pub fn private_key_hex(&self) -> String {
        B256::from(self.signer.to_bytes()).to_string()
    }
}

/// Every account the devnet uses, by role: index 0 deploys, then the sequencers (online first,
/// then offline), the provers, the traffic account, the backup proposer and the L2 user.
#[derive(Debug, Clone)]
pub struct Accounts {
    /// Deployed the suite and holds the minted tokens (index 0).
    pub deployer: Account,
    /// Sequencers started as processes.
    pub sequencers: Vec<Account>,
    /// Sequencers registered by the devnet but never started.
    pub offline_sequencers: Vec<Account>,
    /// Prover nodes.
    pub provers: Vec<Account>,
    /// A funded account with no process, for L1 transactions from tests and tools.
    pub traffic: Account,
    /// The unstaked backup-only sequencer (gas only: backup mode needs no stake).
    pub backup_proposer: Account,
    /// The L2 user of the traffic process: it deposits fee money on L1 and pays its
    /// transactions' fees from it.
    pub user: Account,
}

impl Accounts {
    /// Derives the accounts for `sequencers` online and `offline` offline sequencers and
    /// `provers` prover nodes.
    pub fn derive(sequencers: usize, offline: usize, provers: usize) -> Result<Self> {
        let mut next = 0u32;
        let mut take = |count: usize| -> Result<Vec<Account>> {
            (0..count)
                .map(|_| {
                    let account = Account::derive(next);
                    next += 1;
                    account
                })
                .collect()
        };
        let deployer = take(1)?.remove(0);
        let sequencers = take(sequencers)?;
        let offline_sequencers = take(offline)?;
        let provers = take(provers)?;
        let traffic = take(1)?.remove(0);
        let backup_proposer = take(1)?.remove(0);
        let user = take(1)?.remove(0);
        Ok(Self {
            deployer,
            sequencers,
            offline_sequencers,
            provers,
            traffic,
            backup_proposer,
            user,
        })
    }

    /// How many anvil must fund (the highest index + 1).
    pub fn count(&self) -> u32 {
        self.user.index + 1
    }

    /// `(name, account)` for every account, with the devnet's process names
    /// (`sequencer-1`, `offline-sequencer-1`, `prover-1`), for labels and docs.
    pub fn named(&self) -> Vec<(String, &Account)> {
        let mut named = vec![("deployer".to_owned(), &self.deployer)];
        named.extend(
            self.sequencers
                .iter()
                .enumerate()
                .map(|(i, a)| (crate::options::sequencer_name(i), a)),
        );
        named.extend(
            self.offline_sequencers
                .iter()
                .enumerate()
                .map(|(i, a)| (format!("offline-sequencer-{}", i + 1), a)),
        );
        named.extend(
            self.provers
                .iter()
                .enumerate()
                .map(|(i, a)| (crate::options::prover_name(i), a)),
        );
        named.push(("traffic".to_owned(), &self.traffic));
        named.push((BACKUP_PROPOSER.to_owned(), &self.backup_proposer));
        named.push(("user".to_owned(), &self.user));
        named
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::address;

    use super::*;

    #[test]
    fn derives_anvils_well_known_accounts_in_role_order() {
        let accounts = Accounts::derive(2, 1, 1).unwrap();
        assert_eq!(
            accounts.deployer.address,
            address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        );
        assert_eq!(
            accounts.deployer.private_key_hex(),
            fernet_deploy::chain::ANVIL_DEFAULT_PRIVATE_KEY
        );
        assert_eq!(
            accounts.sequencers[0].address,
            address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
        );
        assert_eq!(accounts.offline_sequencers[0].index, 3);
        assert_eq!(accounts.provers[0].index, 4);
        assert_eq!(accounts.traffic.index, 5);
        assert_eq!(accounts.backup_proposer.index, 6);
        assert_eq!(accounts.user.index, 7);
        assert_eq!(accounts.count(), 8);
        let names: Vec<String> = accounts.named().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "deployer",
                "sequencer-1",
                "sequencer-2",
                "offline-sequencer-1",
                "prover-1",
                "traffic",
                "backup-proposer",
                "user"
            ]
        );
    }
}
