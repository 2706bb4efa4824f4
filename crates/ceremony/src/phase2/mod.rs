//! Phase 2, per circuit (Bowe-Gabizon-Miers): `new` builds a circuit's keys from the powers of
//! tau with δ = 1 ([`init`]), each participant multiplies δ by a secret and proves they know it
//! ([`contribute`]), and anyone checks the chain and the final params ([`verify`]). The keys
//! are kept as two files ([`params`]): the fixed part and the params contributions rewrite.

pub mod contribute;
pub mod init;
pub mod params;
#[allow(missing_docs)]
pub mod verify;
