//! The staker keys one sequencer process holds: `VALIDATOR_PRIVATE_KEYS` (comma-separated, as
//! Aztec's node takes them) or a keystore file with one key per line.
//!
//! Errors name the entry (its position and, for a file, its line), never the key itself.

use std::{collections::HashSet, path::Path};

use alloy::signers::local::PrivateKeySigner;

/// Why the keys could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The keystore file could not be read.
    #[error("reading the keystore {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An entry is not a 32-byte hex private key.
    #[error("{origin}: not a 32-byte hex private key")]
    Malformed {
        /// Where the entry is ("VALIDATOR_PRIVATE_KEYS entry 3", "keys.txt line 7").
        origin: String,
    },
    /// The same key is listed twice.
    #[error("{origin}: the key of {address} is listed twice")]
    Duplicate {
        /// Where the second copy is.
        origin: String,
        /// Its address.
        address: alloy::primitives::Address,
    },
    /// No key at all.
    #[error("{origin} holds no key")]
    Empty {
        /// The list or file.
        origin: String,
    },
}

/// Parses a comma-separated list of hex private keys (`VALIDATOR_PRIVATE_KEYS`); blanks around
/// entries are ignored, an empty entry is an error.
pub fn parse_key_list(list: &str) -> Result<Vec<PrivateKeySigner>, KeyError> {
    let entries = list
        .split(',')
        .enumerate()
        .map(|(i, entry)| (format!("VALIDATOR_PRIVATE_KEYS entry {}", i + 1), entry));
    collect(entries, "VALIDATOR_PRIVATE_KEYS")
}

/// Reads a keystore file: one hex private key per line; blank lines and `#` comments are
/// skipped.
pub fn read_keystore(path: &Path) -> Result<Vec<PrivateKeySigner>, KeyError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
        path: name.clone(),
        source,
    })?;
    let entries = text
        .lines()
        .enumerate()
        .map(|(i, line)| (format!("{name} line {}", i + 1), line))
        .filter(|(_, line)| {
            let line = line.trim();
            !line.is_empty() && !line.starts_with('#')
        });
    collect(entries, &name)
}

fn collect<'a>(
    entries: impl Iterator<Item = (String, &'a str)>,
    origin: &str,
) -> Result<Vec<PrivateKeySigner>, KeyError> {
    let mut seen = HashSet::new();
    let mut keys = Vec::new();
    for (origin, entry) in entries {
        let key: PrivateKeySigner = entry.trim().parse().map_err(|_| KeyError::Malformed {
            origin: origin.clone(),
        })?;
        if !seen.insert(key.address()) {
            return Err(KeyError::Duplicate {
                origin,
                address: key.address(),
            });
        }
        keys.push(key);
    }
    if keys.is_empty() {
        return Err(KeyError::Empty {
            origin: origin.to_owned(),
        });
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    // anvil's well-known devnet keys 1 and 2.
    const KEY_1: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    const KEY_2: &str = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";

    #[test]
    fn a_comma_separated_list_gives_every_key_in_order() {
        let keys = parse_key_list(&format!(" {KEY_1} ,{KEY_2}")).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(
            keys[0].address().to_string(),
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
        );
        assert_eq!(
            keys[1].address().to_string(),
            "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
        );
    }

    #[test]
    fn bad_entries_are_named_without_the_key() {
        let error = parse_key_list(&format!("{KEY_1},0x1234")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "VALIDATOR_PRIVATE_KEYS entry 2: not a 32-byte hex private key"
        );
        let error = parse_key_list(&format!("{KEY_1},,{KEY_2}")).unwrap_err();
        assert!(matches!(error, KeyError::Malformed { origin } if origin.ends_with("entry 2")));
        let error = parse_key_list(&format!("{KEY_1},{KEY_1}")).unwrap_err();
        assert!(!error.to_string().contains(&KEY_1[2..]));
        assert!(matches!(error, KeyError::Duplicate { .. }));
    }

    #[test]
    fn a_keystore_skips_comments_and_names_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.txt");
        std::fs::write(&path, format!("# stakers\n{KEY_1}\n\n{KEY_2}\n")).unwrap();
        assert_eq!(read_keystore(&path).unwrap().len(), 2);
        std::fs::write(&path, format!("{KEY_1}\nnot a key\n")).unwrap();
        let error = read_keystore(&path).unwrap_err();
        assert!(error
            .to_string()
            .ends_with("keys.txt line 2: not a 32-byte hex private key"));
        std::fs::write(&path, "# nothing\n").unwrap();
        assert!(matches!(read_keystore(&path), Err(KeyError::Empty { .. })));
        let missing = dir.path().join("missing.txt");
        assert!(matches!(
            read_keystore(&missing),
            Err(KeyError::Read { .. })
        ));
    }
}
