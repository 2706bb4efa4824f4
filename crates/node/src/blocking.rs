//! Blocking work (store writes, replays, state folding: Poseidon hashing) runs on tokio's
//! blocking pool through [`run`], never on a runtime worker, so the RPC server, the p2p network
//! and the follower's L1 reads keep answering while it runs. [`may_block`] is what the store
//! checks (in debug builds) before it writes.

use std::cell::Cell;

use crate::{Error, Result};

thread_local! {
    /// Set while a closure of [`run`] runs on this thread.
    static IN_BLOCKING_TASK: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work` on the blocking pool and waits for it; `task` names it if it panics.
pub(crate) async fn run<T, F>(task: &'static str, work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        IN_BLOCKING_TASK.set(true);
        let result = work();
        IN_BLOCKING_TASK.set(false);
        result
    })
    .await
    .map_err(|join| Error::Task {
        task,
        message: join.to_string(),
    })?
}

/// Whether the current thread may block: it is outside any tokio runtime (a plain thread, a
/// synchronous test) or runs a closure of [`run`] (or a `blocking` JSON-RPC method, which
/// jsonrpsee runs on the blocking pool: see [`mark_blocking`]).
pub(crate) fn may_block() -> bool {
    IN_BLOCKING_TASK.get() || tokio::runtime::Handle::try_current().is_err()
}

/// Marks the current thread as running blocking work until `work` returns: for code that is
/// already on the blocking pool without going through [`run`] (jsonrpsee's `blocking` methods).
pub(crate) fn mark_blocking<T>(work: impl FnOnce() -> T) -> T {
    let was = IN_BLOCKING_TASK.replace(true);
    let result = work();
    IN_BLOCKING_TASK.set(was);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn only_closures_of_run_may_block_inside_the_runtime() {
        assert!(!may_block(), "a runtime worker must not block");
        assert!(run("test", || Ok(may_block())).await.unwrap());
        assert!(!may_block());
        assert!(std::thread::spawn(may_block).join().unwrap());
    }
}
