//! Integration tests of `fernet-bindings`, built as one binary.

mod forge;
