//! Integration tests of `fernet-devnet`: the L1 side against a real anvil (accounts, funding,
//! offline registrations, the monitor's line for a real proposal), and the process supervision
//! against stand-in services (shell scripts), so no other binary of the workspace is needed.

mod l1_side;
mod processes;

use std::net::TcpListener;

/// A port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}
