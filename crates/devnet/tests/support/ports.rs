//! Where the service binaries are and which ports are free: shared by the devnet test binaries.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
};

/// The cargo target directory the service binaries were built into.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    )
}

/// A base port with `count` free ports after it.
pub(crate) fn free_port_range(count: u16) -> eyre::Result<u16> {
    for _ in 0..50 {
        let base = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        if base > 60_000 {
            continue;
        }
        if (0..count).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return Ok(base);
        }
    }
    eyre::bail!("no range of {count} free ports")
}
