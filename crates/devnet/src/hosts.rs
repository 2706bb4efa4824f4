//! Separate hosts on one machine: each host is a network namespace with one veth pair to a bridge
//! of the root namespace, on a /24 of its own (`10.213.<n>.0/24`). The root namespace (anvil,
//! PostgreSQL, the node, sequencers and prover nodes) is the bridge's address, `.1`; host `i` is
//! `.(i + 2)`. A host reaches the others and the root only through its veth, so taking the veth
//! down cuts the host off the network, as a pulled cable would.
//!
//! Needs root (`ip netns`). Everything is created with names holding the subnet's number and
//! deleted again on drop.

use std::{
    net::Ipv4Addr,
    process::Command,
    time::{Duration, Instant},
};

use tracing::{info, warn};

use crate::{Error, Result};

/// The first two octets of every devnet host network.
const NETWORK_PREFIX: [u8; 2] = [10, 213];

/// Subnet numbers tried (`10.213.<n>.0/24`), from one derived from the process id on.
const SUBNETS: u8 = 250;

/// The `ip` binary (iproute2).
const IP: &str = "ip";

/// How long [`Hosts::connect`] waits for a host's link to come up.
pub const LINK_UP_TIMEOUT: Duration = Duration::from_secs(5);

/// One host: its namespace, the root side of its veth pair, and its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// The devnet's name of the process it runs (`broker-1`, `agent-3`).
    pub name: String,
    /// Its network namespace (`fernet-<n>-<name>`).
    pub namespace: String,
    /// The root namespace's end of its veth pair (`fnv<n>-<i>`).
    link: String,
    /// Its address.
    pub address: Ipv4Addr,
}

/// The hosts of one devnet and the bridge joining them (deleted on drop).
#[derive(Debug)]
pub struct Hosts {
    subnet: u8,
    bridge: String,
    hosts: Vec<Host>,
}

impl Hosts {
    /// Creates a host for each of `names`: a namespace, a veth pair on a new bridge, addresses.
    /// Fails with [`Error::Netns`] (the command and its stderr) when `ip` refuses, e.g. when not
    /// run as root; whatever was created is removed again.
    pub fn create(names: &[String]) -> Result<Self> {
        let first = std::process::id();
        let subnet = (0..u32::from(SUBNETS))
            .map(|offset| subnet_number(first, offset))
            .find(|subnet| !link_exists(&bridge_name(*subnet)))
            .ok_or_else(|| Error::Netns {
                command: format!("{IP} link show"),
                stderr: format!("every bridge fnb-1 to fnb-{SUBNETS} exists already"),
            })?;
        let mut hosts = Self {
            subnet,
            bridge: bridge_name(subnet),
            hosts: Vec::new(),
        };
        hosts.create_bridge()?;
        for (index, name) in names.iter().enumerate() {
            hosts.add_host(index, name)?;
        }
        info!(
            network = %hosts.network(),
            hosts = names.len(),
            "network namespaces created"
        );
        Ok(hosts)
    }

    /// The root namespace's address on the hosts' network (the bridge's).
    pub fn gateway(&self) -> Ipv4Addr {
        self.ip(1)
    }

    /// The hosts' network (`10.213.<n>.0/24`).
    pub fn network(&self) -> String {
        format!("{}/24", self.ip(0))
    }

    /// The host named `name`.
    pub fn host(&self, name: &str) -> Result<&Host> {
        self.hosts
            .iter()
            .find(|host| host.name == name)
            .ok_or_else(|| Error::UnknownChild(name.to_owned()))
    }

    /// Cuts host `name` off the network (its veth goes down): its connections stall, new ones
    /// time out.
    pub fn disconnect(&self, name: &str) -> Result<()> {
        let host = self.host(name)?;
        run(&["link", "set", &host.link, "down"])?;
        info!(name, "host cut off the network");
        Ok(())
    }

    /// Puts host `name` back on the network, and returns once both ends of its veth report
    /// the link up (the kernel applies a carrier change asynchronously, later under load; until
    /// then the host's packets are dropped); [`Error::Netns`] if that takes over
    /// [`LINK_UP_TIMEOUT`].
    pub fn connect(&self, name: &str) -> Result<()> {
        let host = self.host(name)?;
        run(&["link", "set", &host.link, "up"])?;
        let started = Instant::now();
        loop {
            let root_end = link_state(&[], &host.link)?;
            let host_end = link_state(&["-n", &host.namespace], "eth0")?;
            if root_end == "UP" && host_end == "UP" {
                break;
            }
            if started.elapsed() > LINK_UP_TIMEOUT {
                return Err(Error::Netns {
                    command: format!("{IP} link set {} up", host.link),
                    stderr: format!(
                        "after {LINK_UP_TIMEOUT:?} the root end is {root_end} and host {name}'s \
                         end is {host_end}"
                    ),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        info!(name, "host back on the network");
        Ok(())
    }

    /// `10.213.<subnet>.<last>`.
    fn ip(&self, last: u8) -> Ipv4Addr {
        let [a, b] = NETWORK_PREFIX;
        Ipv4Addr::new(a, b, self.subnet, last)
    }

    fn create_bridge(&self) -> Result<()> {
        run(&["link", "add", &self.bridge, "type", "bridge"])?;
        run(&[
            "addr",
            "add",
            &format!("{}/24", self.gateway()),
            "dev",
            &self.bridge,
        ])?;
        run(&["link", "set", &self.bridge, "up"])
    }

    fn add_host(&mut self, index: usize, name: &str) -> Result<()> {
        let last = u8::try_from(index + 2)
            .ok()
            .filter(|last| *last < 255)
            .ok_or_else(|| Error::InvalidOption {
                option: "netns",
                reason: format!("{} hosts do not fit in one /24", index + 1),
            })?;
        let host = Host {
            name: name.to_owned(),
            namespace: format!("fernet-{}-{name}", self.subnet),
            link: format!("fnv{}-{index}", self.subnet),
            address: self.ip(last),
        };
        let peer = format!("fnp{}-{index}", self.subnet);
        run(&["netns", "add", &host.namespace])?;
        // Recorded at once, so that drop removes it even if a later step fails.
        self.hosts.push(host.clone());
        run(&[
            "link", "add", &host.link, "type", "veth", "peer", "name", &peer,
        ])?;
        run(&["link", "set", &peer, "netns", &host.namespace])?;
        run(&["link", "set", &host.link, "master", &self.bridge, "up"])?;
        let inside = |args: &[&str]| {
            let mut full = vec!["-n", host.namespace.as_str()];
            full.extend_from_slice(args);
            run(&full)
        };
        inside(&["link", "set", "lo", "up"])?;
        inside(&["link", "set", &peer, "name", "eth0"])?;
        inside(&[
            "addr",
            "add",
            &format!("{}/24", host.address),
            "dev",
            "eth0",
        ])?;
        inside(&["link", "set", "eth0", "up"])
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        // Deleting a namespace deletes its end of the veth pair, and with it the root's end.
        for host in &self.hosts {
            if let Err(error) = run(&["netns", "delete", &host.namespace]) {
                warn!(%error, namespace = %host.namespace, "cannot delete the network namespace");
            }
        }
        if let Err(error) = run(&["link", "delete", &self.bridge]) {
            warn!(%error, bridge = %self.bridge, "cannot delete the bridge");
        }
    }
}

/// The `offset`-th subnet number tried from `start` (a process id): 1 to [`SUBNETS`], wrapping.
fn subnet_number(start: u32, offset: u32) -> u8 {
    let number = (start % u32::from(SUBNETS) + offset) % u32::from(SUBNETS) + 1;
    u8::try_from(number).unwrap_or(SUBNETS)
}

/// The bridge of subnet `n`.
fn bridge_name(subnet: u8) -> String {
    format!("fnb-{subnet}")
}

/// Whether the network interface `name` exists in the root namespace.
fn link_exists(name: &str) -> bool {
    Command::new(IP)
        .args(["link", "show", name])
        .output()
        .is_ok_and(|output| output.status.success())
}

/// Runs `ip <args>`, failing with its stderr.
fn run(args: &[&str]) -> Result<()> {
    output(args).map(drop)
}

/// The operational state `ip` reports for link `name` (`UP`, `DOWN`, `LOWERLAYERDOWN`...),
/// in the namespace `namespace_args` names (`["-n", <namespace>]`, or none for the root).
fn link_state(namespace_args: &[&str], name: &str) -> Result<String> {
    let mut args = namespace_args.to_vec();
    args.extend_from_slice(&["-o", "link", "show", name]);
    let shown = output(&args)?;
    let mut words = shown.split_whitespace();
    Ok(words
        .by_ref()
        .find(|word| *word == "state")
        .and_then(|_| words.next())
        .unwrap_or("UNKNOWN")
        .to_owned())
}

/// Runs `ip <args>` and returns its standard output, failing with its stderr.
fn output(args: &[&str]) -> Result<String> {
    let command = format!("{IP} {}", args.join(" "));
    let output = Command::new(IP)
        .args(args)
        .output()
        .map_err(|source| Error::Netns {
            command: command.clone(),
            stderr: source.to_string(),
        })?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(Error::Netns {
            command,
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }
}

/// The command that runs `program` inside `namespace`: `ip netns exec <namespace> <program>`
/// (`ip` execs the program, so it keeps the process id and group of the spawned child).
pub(crate) fn in_namespace(namespace: &str, program: &std::path::Path) -> Command {
    let mut command = Command::new(IP);
    command.args(["netns", "exec", namespace]).arg(program);
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a TCP connection from `host` to `to` opens within 2 s (bash's `/dev/tcp`).
    fn connects(host: &Host, to: std::net::SocketAddr) -> bool {
        Command::new(IP)
            .args([
                "netns",
                "exec",
                &host.namespace,
                "timeout",
                "2",
                "bash",
                "-c",
            ])
            .arg(format!("exec 3<>/dev/tcp/{}/{}", to.ip(), to.port()))
            .output()
            .unwrap()
            .status
            .success()
    }

    #[test]
    fn subnet_numbers_wrap_within_the_range_from_any_process_id() {
        for start in [0, 1, 249, 250, 4_194_303, u32::MAX] {
            let numbers: Vec<u8> = (0..u32::from(SUBNETS))
                .map(|offset| subnet_number(start, offset))
                .collect();
            assert!(numbers.iter().all(|n| (1..=SUBNETS).contains(n)), "{start}");
            let mut distinct = numbers.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(
                distinct.len(),
                usize::from(SUBNETS),
                "{start}: each tried once"
            );
        }
    }

    #[test]
    fn hosts_reach_the_root_namespace_until_cut_off() {
        let hosts = Hosts::create(&["a".to_owned(), "b".to_owned()]).expect("run as root");
        let a = hosts.host("a").unwrap().clone();
        let b = hosts.host("b").unwrap().clone();
        assert_eq!(a.address.octets()[3], 2);
        assert_eq!(b.address.octets()[3], 3);
        assert_eq!(hosts.gateway().octets()[3], 1);
        assert_eq!(
            hosts.network(),
            format!("{}/24", Ipv4Addr::from(u32::from(a.address) - 2))
        );
        assert!(matches!(hosts.host("c"), Err(Error::UnknownChild(name)) if name == "c"));
        let listener = std::net::TcpListener::bind((hosts.gateway(), 0)).unwrap();
        let root = listener.local_addr().unwrap();
        assert!(connects(&a, root), "a reaches the root namespace");
        assert!(connects(&b, root), "b reaches the root namespace");
        hosts.disconnect("b").unwrap();
        assert!(!connects(&b, root), "b is cut off");
        assert!(connects(&a, root), "a still reaches the root");
        hosts.connect("b").unwrap();
        assert_eq!(link_state(&["-n", &b.namespace], "eth0").unwrap(), "UP");
        assert!(connects(&b, root), "b is back");
        // A devnet process placed on a host runs in its namespace: cut off, it cannot connect.
        let dir = tempfile::tempdir().unwrap();
        let on = |host: &Host| {
            let mut child = crate::process::ChildProcess::spawn(crate::process::ProcessSpec {
                name: format!("on-{}", host.name),
                program: "/usr/bin/timeout".into(),
                args: vec![
                    "2".into(),
                    "bash".into(),
                    "-c".into(),
                    format!("exec 3<>/dev/tcp/{}/{}", root.ip(), root.port()),
                ],
                env: Vec::new(),
                env_remove: Vec::new(),
                log: dir.path().join(format!("on-{}.log", host.name)),
                url: None,
                namespace: Some(host.namespace.clone()),
            })
            .unwrap();
            loop {
                if let Some(status) = child.try_exit_status().unwrap() {
                    break status.success();
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        };
        hosts.disconnect("b").unwrap();
        assert!(on(&a), "a process on a reaches the root");
        assert!(
            !on(&b),
            "a process on b runs in b's namespace, which is cut off"
        );
        hosts.connect("b").unwrap();
        let namespace = a.namespace.clone();
        drop(hosts);
        let listed = Command::new(IP).args(["netns", "list"]).output().unwrap();
        assert!(
            !String::from_utf8_lossy(&listed.stdout).contains(&namespace),
            "the namespaces are deleted on drop"
        );
    }
}
