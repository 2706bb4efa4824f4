//! The broker's Prometheus metrics, rendered by hand in the text exposition format.

use std::{
    collections::HashMap,
    fmt::Write as _,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
};

use crate::job::JobStatus;

/// Most agents remembered for `prover_broker_agent_last_seen_seconds` (the oldest is dropped).
const MAX_AGENTS: usize = 1024;

/// Counters since the broker started, and when each agent was last heard from.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    enqueued: AtomicU64,
    taken: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
    attempts_failed: AtomicU64,
    expired: AtomicU64,
    proving_ms_sum: AtomicU64,
    proving_count: AtomicU64,
    agents: Mutex<HashMap<String, u64>>,
}

/// One counted event.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    /// A new job was stored.
    Enqueued,
    /// A job was leased to an agent.
    Taken,
    /// A job was proven after `proving_ms` of its last lease.
    Completed {
        /// Milliseconds from take to completion.
        proving_ms: u64,
    },
    /// An attempt failed (reported by the agent, or its lease expired); `final_` when it was
    /// the last one and the job is now `failed`.
    AttemptFailed {
        /// The lease expired (rather than the agent reporting a failure).
        expired: bool,
        /// The job is now `failed`.
        final_: bool,
    },
}

impl Metrics {
    /// Counts `event`.
    pub(crate) fn record(&self, event: Event) {
        let add = |counter: &AtomicU64, n: u64| {
            counter.fetch_add(n, Ordering::Relaxed);
        };
        match event {
            Event::Enqueued => add(&self.enqueued, 1),
            Event::Taken => add(&self.taken, 1),
            Event::Completed { proving_ms } => {
                add(&self.completed, 1);
                add(&self.proving_ms_sum, proving_ms);
                add(&self.proving_count, 1);
            }
            Event::AttemptFailed { expired, final_ } => {
                add(&self.attempts_failed, 1);
                if expired {
                    add(&self.expired, 1);
                }
                if final_ {
                    add(&self.failed, 1);
                }
            }
        }
    }

    /// Notes that `agent_id` talked to the broker at `now_ms`.
    pub(crate) fn agent_seen(&self, agent_id: &str, now_ms: u64) {
        let mut agents = self
            .agents
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if !agents.contains_key(agent_id) && agents.len() >= MAX_AGENTS {
            let oldest = agents
                .iter()
                .min_by_key(|(_, seen)| **seen)
                .map(|(agent, _)| agent.clone());
            if let Some(oldest) = oldest {
                agents.remove(&oldest);
            }
        }
        agents.insert(agent_id.to_owned(), now_ms);
    }

    /// The metrics in Prometheus text format; `counts` are the jobs by status in
    /// [`JobStatus::ALL`] order, agents seen within `active_ms` of `now_ms` count as active.
    pub(crate) fn render(&self, counts: [u64; 4], now_ms: u64, active_ms: u64) -> String {
        let mut out = String::new();
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        out.push_str("# HELP prover_broker_jobs Jobs in the store by status.\n");
        out.push_str("# TYPE prover_broker_jobs gauge\n");
        for (status, count) in JobStatus::ALL.iter().zip(counts) {
            let _ = writeln!(out, "prover_broker_jobs{{status=\"{status}\"}} {count}");
        }
        for (name, help, value) in [
            (
                "jobs_enqueued_total",
                "New jobs stored.",
                get(&self.enqueued),
            ),
            (
                "jobs_taken_total",
                "Leases handed to agents.",
                get(&self.taken),
            ),
            ("jobs_completed_total", "Jobs proven.", get(&self.completed)),
            (
                "jobs_failed_total",
                "Jobs that used up their attempts.",
                get(&self.failed),
            ),
            (
                "job_attempts_failed_total",
                "Attempts that failed (reported or expired).",
                get(&self.attempts_failed),
            ),
            (
                "leases_expired_total",
                "Leases that ran out without a heartbeat.",
                get(&self.expired),
            ),
        ] {
            let _ = writeln!(out, "# HELP prover_broker_{name} {help} Since start.");
            let _ = writeln!(out, "# TYPE prover_broker_{name} counter");
            let _ = writeln!(out, "prover_broker_{name} {value}");
        }
        let seconds = get(&self.proving_ms_sum) as f64 / 1000.0;
        out.push_str("# HELP prover_broker_job_proving_seconds From take to completion of proven jobs, since start.\n");
        out.push_str("# TYPE prover_broker_job_proving_seconds summary\n");
        let _ = writeln!(out, "prover_broker_job_proving_seconds_sum {seconds}");
        let _ = writeln!(
            out,
            "prover_broker_job_proving_seconds_count {}",
            get(&self.proving_count)
        );
        let agents = self
            .agents
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let active = agents
            .values()
            .filter(|seen| now_ms.saturating_sub(**seen) <= active_ms)
            .count();
        out.push_str(
            "# HELP prover_broker_agents_active Agents heard from within one job timeout.\n",
        );
        out.push_str("# TYPE prover_broker_agents_active gauge\n");
        let _ = writeln!(out, "prover_broker_agents_active {active}");
        out.push_str("# HELP prover_broker_agent_last_seen_seconds When each agent last took a job or sent a heartbeat (UNIX time).\n");
        out.push_str("# TYPE prover_broker_agent_last_seen_seconds gauge\n");
        let mut sorted: Vec<_> = agents.iter().collect();
        sorted.sort();
        for (agent, seen) in sorted {
            let _ = writeln!(
                out,
                "prover_broker_agent_last_seen_seconds{{agent=\"{}\"}} {}",
                escape_label(agent),
                *seen as f64 / 1000.0
            );
        }
        out
    }
}

/// Escapes a label value: backslash, double quote and newline.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_durations_and_agents() {
        let metrics = Metrics::default();
        metrics.record(Event::Enqueued);
        metrics.record(Event::Completed { proving_ms: 1500 });
        metrics.record(Event::AttemptFailed {
            expired: true,
            final_: false,
        });
        metrics.agent_seen("a\"1", 10_000);
        metrics.agent_seen("old", 1_000);
        let text = metrics.render([1, 2, 3, 4], 10_500, 1_000);
        for line in [
            "prover_broker_jobs{status=\"proving\"} 2",
            "prover_broker_jobs_enqueued_total 1",
            "prover_broker_jobs_completed_total 1",
            "prover_broker_leases_expired_total 1",
            "prover_broker_jobs_failed_total 0",
            "prover_broker_job_proving_seconds_sum 1.5",
            "prover_broker_job_proving_seconds_count 1",
            "prover_broker_agents_active 1",
            "prover_broker_agent_last_seen_seconds{agent=\"a\\\"1\"} 10",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
        }
    }
}
