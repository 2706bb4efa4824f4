//! [`L1Gate`]: a TCP forwarder between the services and anvil that can be closed and opened
//! again, for L1 RPC outages on demand.
//!
//! While open it forwards every connection to anvil byte for byte. Closing it drops every
//! forwarded connection at once and answers each new one by closing it straight away, so a
//! request in flight and every request after it fail fast (no hang) until the gate opens again.

use std::net::SocketAddr;

use alloy::transports::http::reqwest::Url;
use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
    task::JoinHandle,
};
use tracing::{debug, info};

use crate::{Error, Result};

/// An L1 RPC endpoint in front of anvil that the devnet can cut off (see the module docs).
/// Dropping it stops forwarding.
#[derive(Debug)]
pub struct L1Gate {
    url: Url,
    open: watch::Sender<bool>,
    accept: JoinHandle<()>,
}

impl L1Gate {
    /// Listens on a free local port and forwards to `target`; starts open.
    pub async fn start(target: SocketAddr) -> Result<Self> {
        let bind_error = |source| Error::Io {
            path: "127.0.0.1:0 (L1 gate)".into(),
            source,
        };
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(bind_error)?;
        let local = listener.local_addr().map_err(bind_error)?;
        let url = format!("http://{local}")
            .parse()
            .map_err(|_| Error::InvalidOption {
                option: "l1-gate",
                reason: format!("http://{local} is not a URL"),
            })?;
        let (open, state) = watch::channel(true);
        let accept = tokio::spawn(accept_loop(listener, target, state));
        info!(%url, %target, "L1 gate listening");
        Ok(Self { url, open, accept })
    }

    /// The URL to give the services instead of anvil's.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Whether connections go through.
    pub fn is_open(&self) -> bool {
        *self.open.borrow()
    }

    /// Cuts L1 off: drops every forwarded connection and closes new ones at once.
    pub fn close(&self) {
        self.open.send_replace(false);
        info!(url = %self.url, "L1 gate closed");
    }

    /// Lets connections through again.
    pub fn open(&self) {
        self.open.send_replace(true);
        info!(url = %self.url, "L1 gate open");
    }
}

impl Drop for L1Gate {
    fn drop(&mut self) {
        self.accept.abort();
        // Ends every forwarding task: they stop when the gate closes or goes away.
        self.open.send_replace(false);
    }
}

/// Accepts connections: forwards them while the gate is open, closes them while it is shut.
async fn accept_loop(listener: TcpListener, target: SocketAddr, state: watch::Receiver<bool>) {
    loop {
        let (inbound, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                debug!(%error, "L1 gate: accept failed");
                continue;
            }
        };
        if !*state.borrow() {
            debug!(%peer, "L1 gate closed: connection dropped");
            drop(inbound);
            continue;
        }
        tokio::spawn(forward(inbound, target, state.clone()));
    }
}

/// Copies bytes both ways between `inbound` and a new connection to `target` until either side
/// closes or the gate does.
async fn forward(mut inbound: TcpStream, target: SocketAddr, mut state: watch::Receiver<bool>) {
    let mut outbound = match TcpStream::connect(target).await {
        Ok(stream) => stream,
        Err(error) => {
            debug!(%error, %target, "L1 gate: cannot reach the target");
            return;
        }
    };
    tokio::select! {
        biased;
        _ = state.wait_for(|open| !*open) => {}
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// An echo server on a free port.
    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    while let Ok(n) = stream.read(&mut buf).await {
                        if n == 0 || stream.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        addr
    }

    /// Sends `text` over `stream` and reads the echo; `None` if the connection is gone.
    async fn echo(stream: &mut TcpStream, text: &[u8]) -> Option<Vec<u8>> {
        stream.write_all(text).await.ok()?;
        let mut buf = vec![0u8; text.len()];
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut buf))
            .await
            .expect("the gate answers or closes, it never hangs");
        read.ok().map(|_| buf)
    }

    async fn connect(gate: &L1Gate) -> TcpStream {
        let addr = format!(
            "{}:{}",
            gate.url().host_str().unwrap(),
            gate.url().port().unwrap()
        );
        TcpStream::connect(addr).await.unwrap()
    }

    #[tokio::test]
    async fn forwards_while_open_and_cuts_every_connection_while_closed() {
        let gate = L1Gate::start(echo_server().await).await.unwrap();
        assert!(gate.is_open());
        let mut before = connect(&gate).await;
        assert_eq!(
            echo(&mut before, b"ping").await.as_deref(),
            Some(&b"ping"[..])
        );

        gate.close();
        assert!(!gate.is_open());
        // The connection opened before the outage is dropped, and new ones are closed at once.
        assert_eq!(echo(&mut before, b"ping").await, None);
        let mut during = connect(&gate).await;
        assert_eq!(echo(&mut during, b"ping").await, None);

        gate.open();
        let mut after = connect(&gate).await;
        assert_eq!(
            echo(&mut after, b"pong").await.as_deref(),
            Some(&b"pong"[..])
        );
    }
}
