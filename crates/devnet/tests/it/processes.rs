//! Supervision against stand-in services: shell scripts that print their arguments and
//! environment, then serve `GET /health` (python's http.server) or sleep.

use std::{
    collections::BTreeMap,
    os::unix::fs::PermissionsExt,
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use fernet_devnet::{Devnet, DevnetOptions, Error, Role};

use super::free_port;

const STAND_IN: &str = r#"#!/bin/sh
echo "args: $*"
env | grep -E '^(ETHEREUM_HOST|L1_CHAIN_ID|DEPLOYMENT_FILE|DATA_DIRECTORY|AZTEC_PORT|P2P_[A-Z_]*|BOOTSTRAP_NODES|VALIDATOR_[A-Z_]*|SEQ_SKIP_REGISTRATION|SEQ_BACKUP_[A-Z_]*|PROVER_[A-Z_]*|BROKER_AUTH_TOKEN|QUOTE_PROVIDER_URL|AZTEC_NODE_URL|EXTRA)=' | sort
port="${AZTEC_PORT:-$PROVER_BROKER_PORT}"
if [ -n "$port" ]; then
  mkdir -p "$DATA_DIRECTORY" && touch "$DATA_DIRECTORY/health"
  exec python3 -m http.server "$port" --bind 127.0.0.1 --directory "$DATA_DIRECTORY"
fi
exec sleep 600
"#;

fn write_stand_ins(dir: &Path) -> eyre::Result<()> {
    std::fs::create_dir_all(dir)?;
    for name in [
        "fernet-broker",
        "fernet-node",
        "fernet-sequencer",
        "fernet-prover-node",
        "fernet",
    ] {
        let path = dir.join(name);
        std::fs::write(&path, STAND_IN)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

/// The log of `name` once it contains `needle` (processes without a health check may lag).
async fn log_with(devnet: &Devnet, name: &str, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = std::fs::read_to_string(devnet.log_path(name)).unwrap_or_default();
        if log.contains(needle) || Instant::now() > deadline {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn spawns_wires_kills_restarts_and_stops_the_services() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let bin_dir = dir.path().join("bin");
    write_stand_ins(&bin_dir)?;
    let mut extra_env = BTreeMap::new();
    extra_env.insert(Role::Prover, vec![("EXTRA".to_owned(), "1".to_owned())]);
    let options = DevnetOptions {
        // Five staker keys, one (20 %) offline, the other four spread over two processes.
        sequencers: 2,
        stakers: Some(5),
        offline_percent: 20.0,
        provers: 1,
        agents: 0,
        node_port: free_port(),
        broker_port: free_port(),
        sequencer_base_port: free_port(),
        prover_base_port: free_port(),
        backup_proposer: true,
        backup_proposer_port: free_port(),
        p2p_base_port: free_port(),
        traffic_interval: Duration::from_secs(1),
        bin_dir: Some(bin_dir),
        quote_provider_url: Some("http://127.0.0.1:1/quote".into()),
        extra_env,
        l1_only: false,
        ..DevnetOptions::l1_only(dir.path().join("devnet"), free_port())
    };
    let mut devnet = Devnet::start(options).await?;
    assert_eq!(
        devnet.process_names(),
        [
            "broker",
            "node",
            "sequencer-1",
            "sequencer-2",
            "backup-proposer",
            "prover-1",
            "traffic"
        ]
    );
    let urls = devnet.urls().clone();
    let accounts = devnet.accounts().clone();

    // Every service that embeds a node listens on its own p2p port and joins through the
    // user-facing node; nobody is given a list of peers.
    let p2p_base = devnet.options().p2p_base_port;
    let bootnode = format!("BOOTSTRAP_NODES=/ip4/127.0.0.1/tcp/{p2p_base}\n");
    let sequencer = log_with(&devnet, "sequencer-2", "BOOTSTRAP_NODES").await;
    assert!(sequencer.contains(&bootnode), "{sequencer}");
    assert!(
        sequencer.contains(&format!("P2P_TCP_LISTEN_ADDR=127.0.0.1:{}\n", p2p_base + 2)),
        "{sequencer}"
    );
    // Each sequencer process holds its keys in a keystore (key j in process j mod 2), every key
    // registered by the devnet already, the offline one too.
    let keystore = devnet.keystore_path(1);
    assert!(
        sequencer.contains(&format!("VALIDATOR_KEYSTORE={}\n", keystore.display())),
        "{sequencer}"
    );
    assert_eq!(
        std::fs::read_to_string(&keystore)?
            .lines()
            .filter(|line| !line.starts_with('#'))
            .collect::<Vec<_>>(),
        [
            accounts.sequencers[1].private_key_hex(),
            accounts.sequencers[3].private_key_hex()
        ]
    );
    assert_eq!(
        (accounts.sequencers.len(), accounts.offline_sequencers.len()),
        (4, 1)
    );
    assert_eq!(devnet.sequencer_keys(0).len(), 2);
    assert!(
        sequencer.contains("SEQ_SKIP_REGISTRATION=true\n"),
        "{sequencer}"
    );
    let token = devnet.broker_auth_token().to_owned();
    assert_eq!(token.len(), 64);
    assert_eq!(
        std::fs::read_to_string(devnet.data_dir().join("broker-auth-token"))?,
        token
    );
    assert!(
        sequencer.contains(&format!("BROKER_AUTH_TOKEN={token}\n")),
        "{sequencer}"
    );
    assert!(sequencer.contains("L1_CHAIN_ID=31337\n"), "{sequencer}");
    let staking = devnet.l1().staking();
    for account in accounts
        .sequencers
        .iter()
        .chain(&accounts.offline_sequencers)
    {
        let info = staking.stakerInfo(account.address).call().await?;
        assert!(
            info.activationEpoch > 0,
            "{} is registered",
            account.address
        );
    }
    let backup_url = urls
        .backup_proposer
        .clone()
        .ok_or_else(|| eyre::eyre!("no backup proposer URL"))?;
    let node = log_with(&devnet, "node", "P2P_TCP_LISTEN_ADDR").await;
    assert!(
        node.contains(&format!("P2P_TCP_LISTEN_ADDR=127.0.0.1:{p2p_base}\n")),
        "{node}"
    );
    assert!(!node.contains("BOOTSTRAP_NODES"), "{node}");
    assert!(!node.contains(&backup_url), "{node}");
    let backup = log_with(&devnet, "backup-proposer", "SEQ_BACKUP_ONLY").await;
    for expected in [
        "SEQ_BACKUP_ONLY=true".to_owned(),
        format!("SEQ_BACKUP_BROKER_HOST={}", urls.broker_hosts()),
        format!(
            "VALIDATOR_PRIVATE_KEYS={}",
            accounts.backup_proposer.private_key_hex()
        ),
        format!("BROKER_AUTH_TOKEN={token}"),
        bootnode.trim_end().to_owned(),
        format!("P2P_TCP_LISTEN_ADDR=127.0.0.1:{}", p2p_base + 3),
    ] {
        assert!(
            backup.contains(&format!("{expected}\n")),
            "{expected} in {backup}"
        );
    }
    let prover = log_with(&devnet, "prover-1", "BOOTSTRAP_NODES").await;
    for expected in [
        bootnode.trim_end().to_owned(),
        format!("P2P_TCP_LISTEN_ADDR=127.0.0.1:{}", p2p_base + 4),
        format!("PROVER_BROKER_HOST={}", urls.broker_hosts()),
        format!("BROKER_AUTH_TOKEN={token}"),
        "QUOTE_PROVIDER_URL=http://127.0.0.1:1/quote".to_owned(),
        "EXTRA=1".to_owned(),
    ] {
        assert!(
            prover.contains(&format!("{expected}\n")),
            "{expected} in {prover}"
        );
    }
    let traffic = log_with(&devnet, "traffic", "AZTEC_NODE_URL").await;
    assert!(
        traffic.contains("args: traffic --interval-ms 1000"),
        "{traffic}"
    );
    assert!(traffic.contains(&format!("AZTEC_NODE_URL={}", urls.node)));

    // Killing on purpose is not a failure; a restart brings it back healthy.
    devnet.kill("sequencer-1")?;
    devnet.check()?;
    devnet.restart("sequencer-1").await?;
    devnet.check()?;

    // A crash is reported once, naming the process and showing its log.
    let pid = devnet.pid("prover-1")?;
    Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()?;
    match devnet
        .wait_until("never", Duration::from_secs(10), |_| false)
        .await
    {
        Err(Error::ChildExited { name, tail, .. }) => {
            assert_eq!(name, "prover-1");
            assert!(tail.contains("EXTRA=1"), "{tail}");
        }
        other => panic!("expected ChildExited, got {other:?}"),
    }
    devnet.check()?;
    assert!(matches!(
        devnet.kill("miner"),
        Err(Error::UnknownChild(name)) if name == "miner"
    ));

    devnet.stop();
    for port in [
        devnet.options().node_port,
        devnet.options().broker_port,
        devnet.options().anvil_port,
    ] {
        assert!(
            std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
            "port {port} is free after stop"
        );
    }
    Ok(())
}

/// A missing binary is reported as such whatever else runs on the machine: CI once got
/// `PortInUse` here, a devnet port being held by the devnet test running alongside (the port
/// is held on purpose below).
#[tokio::test]
async fn refuses_to_start_without_the_service_binaries() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let held = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    let options = DevnetOptions {
        bin_dir: Some(dir.path().to_owned()),
        l1_only: false,
        provers: 1,
        ..DevnetOptions::l1_only(dir.path().join("devnet"), held.local_addr()?.port())
    };
    match Devnet::start(options).await {
        Err(Error::MissingBinary { name, path }) => {
            assert_eq!(name, "fernet-broker");
            assert_eq!(path, dir.path().join("fernet-broker"));
        }
        other => panic!("expected MissingBinary, got {other:?}"),
    }
    Ok(())
}
