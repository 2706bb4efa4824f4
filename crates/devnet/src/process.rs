//! Child processes: spawned in their own process group with their output in a log file, stopped
//! with SIGTERM to the group, then SIGKILL after a grace period.

use std::{
    fs::{File, OpenOptions},
    io::{Read, Seek, SeekFrom},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use tracing::{debug, warn};

use crate::{hosts::in_namespace, Error, Result};

/// How long a process may take to exit after SIGTERM before it gets SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// How a process is started, kept so it can be restarted the same way.
#[derive(Debug, Clone)]
pub struct ProcessSpec {
    /// The devnet's name for it (`sequencer-2`); also its log's name.
    pub name: String,
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Environment variables set (after `env_remove`).
    pub env: Vec<(String, String)>,
    /// Environment variables removed from the inherited environment.
    pub env_remove: Vec<String>,
    /// Where its stdout and stderr go (appended).
    pub log: PathBuf,
    /// Its JSON-RPC URL, if it serves one (`GET /health` is polled there).
    pub url: Option<String>,
    /// The network namespace it runs in (`ip netns exec`), `None` for the root namespace.
    pub namespace: Option<String>,
}

/// A running (or exited) child of the devnet.
#[derive(Debug)]
pub struct ChildProcess {
    spec: ProcessSpec,
    child: Child,
    /// Stopped on purpose: its exit is not a failure.
    stopped: bool,
}

impl ChildProcess {
    /// Spawns `spec` in a new process group, appending its output to its log.
    pub fn spawn(spec: ProcessSpec) -> Result<Self> {
        if !spec.program.is_file() {
            return Err(Error::MissingBinary {
                name: spec.name.clone(),
                path: spec.program.clone(),
            });
        }
        let io_error = |source| Error::Io {
            path: spec.log.clone(),
            source,
        };
        if let Some(dir) = spec.log.parent() {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                path: dir.to_owned(),
                source,
            })?;
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&spec.log)
            .map_err(io_error)?;
        let stderr = log.try_clone().map_err(io_error)?;
        let mut command = match &spec.namespace {
            Some(namespace) => in_namespace(namespace, &spec.program),
            None => Command::new(&spec.program),
        };
        command
            .args(&spec.args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .process_group(0);
        for name in &spec.env_remove {
            command.env_remove(name);
        }
        command.envs(spec.env.iter().map(|(k, v)| (k, v)));
        let child = command.spawn().map_err(|source| Error::Spawn {
            name: spec.name.clone(),
            program: spec.program.clone(),
            source,
        })?;
        debug!(name = %spec.name, pid = child.id(), log = %spec.log.display(), "spawned");
        Ok(Self {
            spec,
            child,
            stopped: false,
        })
    }

    /// The devnet's name for it.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// How it was started.
    pub fn spec(&self) -> &ProcessSpec {
        &self.spec
    }

    /// Its process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it was stopped on purpose.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Its exit status if it has exited, without waiting.
    pub fn try_exit_status(&mut self) -> Result<Option<ExitStatus>> {
        self.child.try_wait().map_err(|source| Error::Io {
            path: self.spec.program.clone(),
            source,
        })
    }

    /// [`Error::ChildExited`] with the last lines of its log, if it exited without being
    /// stopped; `Ok` while it runs.
    pub fn check(&mut self) -> Result<()> {
        if self.stopped {
            return Ok(());
        }
        match self.try_exit_status()? {
            None => Ok(()),
            Some(status) => Err(self.exited(status)),
        }
    }

    /// The error describing its exit with `status`.
    pub fn exited(&self, status: ExitStatus) -> Error {
        Error::ChildExited {
            name: self.spec.name.clone(),
            status,
            log: self.spec.log.clone(),
            tail: log_tail(&self.spec.log, 20),
        }
    }

    /// Marks it as stopped on purpose (its exit is then not reported).
    pub fn mark_stopped(&mut self) {
        self.stopped = true;
    }

    /// Sends `signal` (`TERM`, `KILL`) to its whole process group.
    pub fn signal_group(&self, signal: &str) {
        send_signal(self.pid(), signal);
    }

    /// Stops it: SIGTERM to its group, up to [`STOP_GRACE`] to exit, then SIGKILL. Returns how
    /// it exited.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        stop_all(std::slice::from_mut(self));
        self.child.try_wait().ok().flatten()
    }
}

/// Stops every child at once: SIGTERM to each group, up to [`STOP_GRACE`] for all to exit, then
/// SIGKILL to the rest; finally SIGKILL to every group, for grandchildren left behind.
pub fn stop_all(children: &mut [ChildProcess]) {
    let mut running = Vec::new();
    for (index, child) in children.iter_mut().enumerate() {
        child.stopped = true;
        if matches!(child.child.try_wait(), Ok(None)) {
            child.signal_group("TERM");
            running.push(index);
        }
    }
    let deadline = Instant::now() + STOP_GRACE;
    while !running.is_empty() && Instant::now() < deadline {
        running.retain(|index| matches!(children[*index].child.try_wait(), Ok(None)));
        std::thread::sleep(Duration::from_millis(50));
    }
    for index in running {
        let child = &mut children[index];
        warn!(name = %child.spec.name, "did not exit within {STOP_GRACE:?} of SIGTERM: SIGKILL");
        child.signal_group("KILL");
        let _ = child.child.wait();
    }
    for child in children.iter() {
        child.signal_group("KILL");
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            self.stop();
        }
    }
}

/// `kill -<signal> -- -<pgid>`: the workspace forbids `unsafe`, so no direct `kill(2)`.
fn send_signal(pgid: u32, signal: &str) {
    let result = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .arg(format!("-{pgid}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if let Err(error) = result {
        warn!(pgid, signal, %error, "cannot run kill");
    }
}

/// The last `lines` lines of the file at `path` (at most its last 64 KiB) before a closing
/// `Stack backtrace:` (a binary that failed prints its error, then the backtrace: the error is
/// what explains the exit), or a note saying why there are none.
pub fn log_tail(path: &Path, lines: usize) -> String {
    const MAX_BYTES: u64 = 64 * 1024;
    let read = || -> std::io::Result<String> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(MAX_BYTES)))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    match read() {
        Ok(text) if text.trim().is_empty() => "  (the log is empty)".to_owned(),
        Ok(text) => {
            let mut all: Vec<&str> = text.lines().collect();
            if let Some(start) = all
                .iter()
                .rposition(|line| line.trim() == "Stack backtrace:")
            {
                all.truncate(start);
            }
            all[all.len().saturating_sub(lines)..]
                .iter()
                .map(|line| format!("  {line}"))
                .collect::<Vec<_>>()
                .join("\n")
        }
        Err(error) => format!("  (cannot read the log: {error})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(dir: &Path, script: &str) -> ProcessSpec {
        ProcessSpec {
            name: "test".into(),
            program: PathBuf::from("/bin/sh"),
            args: vec!["-c".into(), script.into()],
            env: vec![("DEVNET_TEST_VALUE".into(), "42".into())],
            env_remove: vec![],
            log: dir.join("logs/test.log"),
            url: None,
            namespace: None,
        }
    }

    #[test]
    fn reports_an_exit_with_the_log_tail() {
        let dir = tempfile::tempdir().unwrap();
        let mut child =
            ChildProcess::spawn(spec(dir.path(), "echo value $DEVNET_TEST_VALUE; exit 3")).unwrap();
        let status = loop {
            if let Some(status) = child.try_exit_status().unwrap() {
                break status;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(status.code(), Some(3));
        let message = child.check().unwrap_err().to_string();
        assert!(
            message.starts_with("test exited (exit status: 3)"),
            "{message}"
        );
        assert!(message.ends_with("  value 42"), "{message}");
    }

    #[test]
    fn stop_terminates_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        // The shell starts a grandchild that would outlive a plain kill of the shell.
        let mut child =
            ChildProcess::spawn(spec(dir.path(), "sleep 30 & echo started; wait")).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        let status = child.stop().expect("exited");
        assert!(!status.success());
        assert!(started.elapsed() < STOP_GRACE);
        assert!(child.check().is_ok(), "a stopped child is not a failure");
        assert_eq!(log_tail(&dir.path().join("logs/test.log"), 5), "  started");
        assert_eq!(
            log_tail(&dir.path().join("missing.log"), 5).trim_start(),
            "(cannot read the log: No such file or directory (os error 2))"
        );
    }

    /// A service that fails at start-up ends its log with the error, then a long backtrace: the
    /// tail shows the error, not the backtrace (an e2e failure once printed only backtrace).
    #[test]
    fn the_tail_leaves_out_a_closing_backtrace() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("service.log");
        let backtrace: String = (0..40)
            .map(|i| format!("  {i}: frame\n      at src/lib.rs:{i}\n"))
            .collect();
        let text = format!(
            "INFO starting\nError: cannot bind 127.0.0.1:9000\n\nLocation:\n    src/main.rs:1\n\nStack backtrace:\n{backtrace}"
        );
        std::fs::write(&log, text).unwrap();
        let tail = log_tail(&log, 5);
        assert!(tail.contains("Error: cannot bind 127.0.0.1:9000"), "{tail}");
        assert!(!tail.contains("frame"), "{tail}");
    }
}
