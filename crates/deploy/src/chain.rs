//! Which chains `deploy` accepts, and the deployer key.

use alloy::signers::local::PrivateKeySigner;
use fernet_primitives::CircuitKeys;

use crate::{Error, Result};

/// Chain id of a local anvil.
pub const ANVIL_CHAIN_ID: u64 = 31_337;

/// Chains `deploy` knows, as `(chain id, name)`; others need `--allow-unknown-chain`.
pub const KNOWN_CHAINS: &[(u64, &str)] = &[
    (ANVIL_CHAIN_ID, "anvil"),
    (11_155_111, "sepolia"),
    (17_000, "holesky"),
];

/// Anvil's first well-known development key (public, funded on every anvil; never use elsewhere).
pub const ANVIL_DEFAULT_PRIVATE_KEY: &str =
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// Checks the RPC's `chain_id` against `L1_CHAIN_ID` (when set) and the known chains, and returns
/// the chain's name (`"unknown"` when allowed anyway).
pub fn check_chain(
    chain_id: u64,
    expected: Option<u64>,
    allow_unknown: bool,
) -> Result<&'static str> {
    if let Some(expected) = expected.filter(|expected| *expected != chain_id) {
        return Err(Error::ChainIdMismatch {
            expected,
            actual: chain_id,
        });
    }
    match KNOWN_CHAINS.iter().find(|(id, _)| *id == chain_id) {
        Some((_, name)) => Ok(name),
        None if allow_unknown => Ok("unknown"),
        None => Err(Error::UnknownChain { chain_id }),
    }
}

/// Refuses verifiers of the insecure devnet keys on any chain but anvil's, unless
/// `allow_insecure` (`--insecure-devnet-keys`, for a throwaway testnet).
pub fn check_circuit_keys(chain_id: u64, keys: &CircuitKeys, allow_insecure: bool) -> Result<()> {
    match keys {
        CircuitKeys::InsecureDevnet if chain_id != ANVIL_CHAIN_ID && !allow_insecure => {
            Err(Error::InsecureDevnetKeys { chain_id })
        }
        CircuitKeys::InsecureDevnet | CircuitKeys::Ceremony { .. } => Ok(()),
    }
}

/// The deployer's signer: `private_key` (from `DEPLOYER_PRIVATE_KEY`), or anvil's first key when
/// none is given and the chain is anvil.
pub fn deployer_signer(private_key: Option<&str>, chain_id: u64) -> Result<PrivateKeySigner> {
    let key = match private_key {
        Some(key) => key,
        None if chain_id == ANVIL_CHAIN_ID => ANVIL_DEFAULT_PRIVATE_KEY,
        None => return Err(Error::MissingPrivateKey { chain_id }),
    };
    key.trim().parse().map_err(Error::InvalidPrivateKey)
}

#[cfg(test)]
mod tests {
    use alloy::primitives::address;

    use super::*;

    #[test]
    fn accepts_known_chains() {
        assert_eq!(check_chain(31_337, None, false).unwrap(), "anvil");
        assert_eq!(
            check_chain(11_155_111, Some(11_155_111), false).unwrap(),
            "sepolia"
        );
        assert_eq!(check_chain(17_000, None, false).unwrap(), "holesky");
    }

    #[test]
    fn refuses_unknown_chains_unless_allowed() {
        assert!(matches!(
            check_chain(1, None, false),
            Err(Error::UnknownChain { chain_id: 1 })
        ));
        assert_eq!(check_chain(1, None, true).unwrap(), "unknown");
    }

    #[test]
    fn refuses_a_chain_other_than_l1_chain_id() {
        assert!(matches!(
            check_chain(31_337, Some(17_000), true),
            Err(Error::ChainIdMismatch {
                expected: 17_000,
                actual: 31_337
            })
        ));
    }

    #[test]
    fn insecure_devnet_keys_only_on_anvil_unless_allowed() {
        let insecure = CircuitKeys::InsecureDevnet;
        assert!(check_circuit_keys(ANVIL_CHAIN_ID, &insecure, false).is_ok());
        assert!(matches!(
            check_circuit_keys(11_155_111, &insecure, false),
            Err(Error::InsecureDevnetKeys {
                chain_id: 11_155_111
            })
        ));
        assert!(check_circuit_keys(11_155_111, &insecure, true).is_ok());
        let ceremony = CircuitKeys::Ceremony {
            transcript_hash: alloy::primitives::B256::repeat_byte(7),
        };
        assert!(check_circuit_keys(11_155_111, &ceremony, false).is_ok());
    }

    #[test]
    fn default_key_only_on_anvil() {
        let signer = deployer_signer(None, ANVIL_CHAIN_ID).unwrap();
        assert_eq!(
            signer.address(),
            address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        );
        assert!(matches!(
            deployer_signer(None, 11_155_111),
            Err(Error::MissingPrivateKey { .. })
        ));
        let key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
        assert_eq!(
            deployer_signer(Some(key), 11_155_111).unwrap().address(),
            address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
        );
        assert!(matches!(
            deployer_signer(Some("0x1234"), ANVIL_CHAIN_ID),
            Err(Error::InvalidPrivateKey(_))
        ));
    }
}
