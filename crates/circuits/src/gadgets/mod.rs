//! In-circuit gadgets that mirror `fernet-state` exactly: Poseidon with the same circomlib
//! parameters, Merkle paths, indexed-tree writes, and integer helpers (bit decompositions,
//! comparisons of field elements as integers).
//!
//! Every gadget works over BN254 `Fr` and keeps intermediate values as linear combinations
//! where it can, so constraints are spent only on multiplications and bit checks.

pub mod indexed;
pub mod linear;
pub mod merkle;
pub mod num;
pub mod poseidon;
