//! Integration tests of the ceremony: phase 1, snarkjs interop, phase 2, tampering, export.

mod phase1;
mod snarkjs;
