//! Revert data decoded into the suite's custom errors, and the error type that carries it.

use std::fmt;

use alloy::{
    dyn_abi::{DynSolType, DynSolValue},
    primitives::{hex, Bytes},
    sol_types::{Panic, Revert, SolError, SolInterface},
};

use crate::{
    devnet_token::DevnetToken, errors::Errors, fee_inbox::FeeInbox,
    i_proof_verifier::IProofVerifier, prover_escrow::ProverEscrow, reward_pool::RewardPool,
    rollup::Rollup, staking::Staking,
};

/// A revert decoded into the custom error it carries: `Name(arg, ...)` when the selector is one
/// of the suite's errors (or `Error(string)` / `Panic(uint256)`), the raw data otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedRevert {
    /// The error's name (`Rollup__NothingToPrune`), `None` when the selector is unknown.
    pub name: Option<String>,
    /// The error's arguments, rendered: decimals, checksummed addresses, `0x` words, and
    /// `"text"` for a `bytes32` holding a short string (`Config__Invalid("proposalWindow", 0)`).
    pub args: Vec<String>,
    /// The raw revert data (selector and ABI-encoded arguments).
    pub data: Bytes,
}

impl DecodedRevert {
    /// Decodes the data as one error of `E` (for example [`Errors::ErrorsErrors`]), so a caller
    /// can match on the rule that was broken.
    pub fn decode<E: SolInterface>(&self) -> Option<E> {
        E::abi_decode(&self.data).ok()
    }
}

impl fmt::Display for DecodedRevert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name}({})", self.args.join(", ")),
            None => write!(f, "unknown error 0x{}", hex::encode(&self.data)),
        }
    }
}

/// A failed contract call or transaction, with its revert decoded when there is one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The call reverted; `revert` names the custom error and its arguments.
    #[error("{context} reverted: {revert}")]
    Reverted {
        /// What was being done (`deploy Rollup`, `call prune()`).
        context: String,
        /// The decoded revert.
        revert: DecodedRevert,
        /// The underlying alloy error.
        #[source]
        source: Box<alloy::contract::Error>,
    },
    /// The call failed without revert data (transport, encoding, no code at the address, ...).
    #[error("{context} failed")]
    Contract {
        /// What was being done.
        context: String,
        /// The underlying alloy error.
        #[source]
        source: Box<alloy::contract::Error>,
    },
}

impl Error {
    /// Wraps an alloy contract error, decoding its revert data if it has any.
    pub fn from_contract(context: impl Into<String>, source: alloy::contract::Error) -> Self {
        let context = context.into();
        let revert = decode_revert(&source);
        let source = Box::new(source);
        match revert {
            Some(revert) => Self::Reverted {
                context,
                revert,
                source,
            },
            None => Self::Contract { context, source },
        }
    }

    /// The decoded revert, if the call reverted with data.
    pub fn revert(&self) -> Option<&DecodedRevert> {
        match self {
            Self::Reverted { revert, .. } => Some(revert),
            Self::Contract { .. } => None,
        }
    }
}

/// Result of a contract interaction whose revert was decoded.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds [`Error::from_contract`] to the results of alloy contract calls.
pub trait ContractResultExt<T> {
    /// Maps the error into an [`Error`] that names `context` and the decoded revert.
    fn decoded(self, context: impl Into<String>) -> Result<T>;
}

impl<T> ContractResultExt<T> for std::result::Result<T, alloy::contract::Error> {
    fn decoded(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|source| Error::from_contract(context, source))
    }
}

/// Decodes the revert data of an alloy contract error; `None` when it carries none.
pub fn decode_revert(error: &alloy::contract::Error) -> Option<DecodedRevert> {
    error.as_revert_data().map(|data| decode_revert_data(&data))
}

/// Decodes raw revert data against every error of the suite: the `Errors` library, the proof
/// verifier, then each contract's own list (token, OpenZeppelin), then `Error(string)` and
/// `Panic(uint256)`.
pub fn decode_revert_data(data: &[u8]) -> DecodedRevert {
    let signature =
        signature_of::<Errors::ErrorsErrors>(data, Errors::ErrorsErrors::signature_by_selector)
            .or_else(|| {
                signature_of::<IProofVerifier::IProofVerifierErrors>(
                    data,
                    IProofVerifier::IProofVerifierErrors::signature_by_selector,
                )
            })
            .or_else(|| {
                signature_of::<DevnetToken::DevnetTokenErrors>(
                    data,
                    DevnetToken::DevnetTokenErrors::signature_by_selector,
                )
            })
            .or_else(|| {
                signature_of::<Rollup::RollupErrors>(
                    data,
                    Rollup::RollupErrors::signature_by_selector,
                )
            })
            .or_else(|| {
                signature_of::<Staking::StakingErrors>(
                    data,
                    Staking::StakingErrors::signature_by_selector,
                )
            })
            .or_else(|| {
                signature_of::<ProverEscrow::ProverEscrowErrors>(
                    data,
                    ProverEscrow::ProverEscrowErrors::signature_by_selector,
                )
            })
            .or_else(|| {
                signature_of::<RewardPool::RewardPoolErrors>(
                    data,
                    RewardPool::RewardPoolErrors::signature_by_selector,
                )
            })
            .or_else(|| {
                signature_of::<FeeInbox::FeeInboxErrors>(
                    data,
                    FeeInbox::FeeInboxErrors::signature_by_selector,
                )
            });
    if let Some(signature) = signature {
        if let Some(decoded) = render(signature, data) {
            return decoded;
        }
    }
    if let Ok(revert) = Revert::abi_decode(data) {
        return DecodedRevert {
            name: Some("Error".into()),
            args: vec![format!("{:?}", revert.reason())],
            data: Bytes::copy_from_slice(data),
        };
    }
    if let Ok(panic) = Panic::abi_decode(data) {
        let code = match panic.kind() {
            Some(kind) => format!("{:#x}: {kind}", panic.code),
            None => format!("{:#x}", panic.code),
        };
        return DecodedRevert {
            name: Some("Panic".into()),
            args: vec![code],
            data: Bytes::copy_from_slice(data),
        };
    }
    DecodedRevert {
        name: None,
        args: Vec::new(),
        data: Bytes::copy_from_slice(data),
    }
}

/// The signature (`Name(type,...)`) of the error of `E` that `data` decodes into, if any.
fn signature_of<E: SolInterface>(
    data: &[u8],
    signature_by_selector: fn([u8; 4]) -> Option<&'static str>,
) -> Option<&'static str> {
    let decoded = E::abi_decode(data).ok()?;
    signature_by_selector(decoded.selector())
}

/// Splits a signature into name and argument types and renders the decoded arguments.
fn render(signature: &str, data: &[u8]) -> Option<DecodedRevert> {
    let open = signature.find('(')?;
    let types = DynSolType::parse(&signature[open..]).ok()?;
    let args = match types.abi_decode_sequence(data.get(4..)?).ok()? {
        DynSolValue::Tuple(values) => values.iter().map(render_value).collect(),
        value => vec![render_value(&value)],
    };
    Some(DecodedRevert {
        name: Some(signature[..open].to_owned()),
        args,
        data: Bytes::copy_from_slice(data),
    })
}

/// Renders one decoded argument for a human.
fn render_value(value: &DynSolValue) -> String {
    match value {
        DynSolValue::Bool(value) => value.to_string(),
        DynSolValue::Int(value, _) => value.to_string(),
        DynSolValue::Uint(value, _) => value.to_string(),
        DynSolValue::Address(address) => address.to_checksum(None),
        DynSolValue::FixedBytes(word, size) => {
            let bytes = &word[..*size];
            match short_string(bytes) {
                Some(text) => format!("{text:?}"),
                None => format!("0x{}", hex::encode(bytes)),
            }
        }
        DynSolValue::Bytes(bytes) => format!("0x{}", hex::encode(bytes)),
        DynSolValue::String(text) => format!("{text:?}"),
        DynSolValue::Array(values) | DynSolValue::FixedArray(values) => {
            let items: Vec<String> = values.iter().map(render_value).collect();
            format!("[{}]", items.join(", "))
        }
        DynSolValue::Tuple(values) => {
            let items: Vec<String> = values.iter().map(render_value).collect();
            format!("({})", items.join(", "))
        }
        other => format!("{other:?}"),
    }
}

/// A `bytes32` that holds a short identifier (printable ASCII, then zero padding), as the
/// `parameter` of `Config__Invalid` does.
fn short_string(bytes: &[u8]) -> Option<&str> {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let (text, padding) = bytes.split_at(end);
    let printable = !text.is_empty() && text.iter().all(|b| b.is_ascii_graphic() || *b == b' ');
    if printable && padding.iter().all(|&b| b == 0) {
        std::str::from_utf8(text).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use alloy::{
        primitives::{address, Address, FixedBytes, U256},
        sol_types::SolError,
    };

    use super::*;

    #[test]
    fn decodes_a_protocol_error_with_its_arguments() {
        let data = Errors::Rollup__NothingToPrune {
            provenTip: U256::from(3),
            pendingTip: U256::from(7),
        }
        .abi_encode();
        let revert = decode_revert_data(&data);
        assert_eq!(revert.to_string(), "Rollup__NothingToPrune(3, 7)");
        assert!(matches!(
            revert.decode::<Errors::ErrorsErrors>(),
            Some(Errors::ErrorsErrors::Rollup__NothingToPrune(_))
        ));
    }

    #[test]
    fn renders_addresses_checksummed_and_short_strings_as_text() {
        let rollup = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");
        let data = Errors::Auth__NotRollup {
            rollup,
            caller: Address::ZERO,
        }
        .abi_encode();
        assert_eq!(
            decode_revert_data(&data).to_string(),
            format!("Auth__NotRollup({rollup}, {})", Address::ZERO)
        );

        let mut parameter = [0u8; 32];
        parameter[..14].copy_from_slice(b"proposalWindow");
        let data = Errors::Config__Invalid {
            parameter: FixedBytes(parameter),
            value: U256::ZERO,
        }
        .abi_encode();
        assert_eq!(
            decode_revert_data(&data).to_string(),
            "Config__Invalid(\"proposalWindow\", 0)"
        );
    }

    #[test]
    fn decodes_verifier_token_and_library_errors() {
        let data = IProofVerifier::ProofVerifier__InvalidProofLength {
            expected: U256::from(256),
            actual: U256::from(3),
        }
        .abi_encode();
        assert_eq!(
            decode_revert_data(&data).to_string(),
            "ProofVerifier__InvalidProofLength(256, 3)"
        );

        let data = DevnetToken::ERC20InsufficientBalance {
            sender: Address::ZERO,
            balance: U256::from(1),
            needed: U256::from(2),
        }
        .abi_encode();
        assert_eq!(
            decode_revert_data(&data).to_string(),
            format!("ERC20InsufficientBalance({}, 1, 2)", Address::ZERO)
        );

        let data = Rollup::SafeCastOverflowedUintDowncast {
            bits: 96,
            value: U256::MAX,
        }
        .abi_encode();
        assert_eq!(
            decode_revert_data(&data).to_string(),
            format!("SafeCastOverflowedUintDowncast(96, {})", U256::MAX)
        );
    }

    #[test]
    fn decodes_string_reverts_panics_and_unknown_data() {
        let data = Revert::from("nope").abi_encode();
        assert_eq!(decode_revert_data(&data).to_string(), "Error(\"nope\")");

        let data = Panic::from(0x11).abi_encode();
        let rendered = decode_revert_data(&data).to_string();
        assert!(rendered.starts_with("Panic(0x11: "), "{rendered}");

        let revert = decode_revert_data(&[0xde, 0xad, 0xbe, 0xef, 1]);
        assert_eq!(revert.name, None);
        assert_eq!(revert.to_string(), "unknown error 0xdeadbeef01");
    }
}
