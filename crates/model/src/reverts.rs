//! Reverts as the contracts encode them: the model predicts the exact revert data (custom error
//! and arguments), so a rule broken for the wrong reason is a divergence too.

use std::fmt;

use alloy::{primitives::Bytes, sol_types::SolError};

/// The ABI-encoded revert data of one custom error.
#[derive(Clone, PartialEq, Eq)]
pub struct Revert(pub Bytes);

impl Revert {
    /// Encodes `error` as the contracts would revert with it.
    pub fn of<E: SolError>(error: E) -> Self {
        Self(error.abi_encode().into())
    }
}

impl fmt::Display for Revert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&fernet_bindings::decode_revert_data(&self.0), f)
    }
}

impl fmt::Debug for Revert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// What a model operation returns: the value, or the revert the contracts must produce.
pub type Outcome<T = ()> = std::result::Result<T, Revert>;
