//! The broker's Prometheus metrics: counters, gauges and a summary of the `metrics` crate,
//! registered with a recorder of this broker's own (several brokers can run in one process)
//! and rendered by `metrics-exporter-prometheus`.

use std::{collections::HashMap, sync::Mutex, time::Duration};

use metrics::{describe_counter, describe_gauge, describe_histogram, Counter, Gauge, Histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use metrics_util::MetricKindMask;

use fernet_broker_api::JobStatus;

/// Most agents remembered for `prover_broker_agent_last_seen_seconds` (the oldest is dropped).
const MAX_AGENTS: usize = 1024;

/// `prover_broker_agent_last_seen_seconds`, one series per agent.
const AGENT_LAST_SEEN: &str = "prover_broker_agent_last_seen_seconds";

/// Counters since the broker started, and when each agent was last heard from.
///
/// Every gauge is set when rendering, and a gauge not set since the previous rendering is
/// dropped: so the agents' series are exactly the remembered agents.
pub(crate) struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    enqueued: Counter,
    taken: Counter,
    completed: Counter,
    failed: Counter,
    attempts_failed: Counter,
    expired: Counter,
    rejected: Counter,
    retried: Counter,
    cancelled: Counter,
    purged: Counter,
    proving_seconds: Histogram,
    jobs: [Gauge; 4],
    agents_active: Gauge,
    agents: Mutex<HashMap<String, u64>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let recorder = PrometheusBuilder::new()
            .idle_timeout(MetricKindMask::GAUGE, Some(Duration::ZERO))
            .build_recorder();
        let handle = recorder.handle();
        let (counters, proving_seconds, jobs, agents_active) = metrics::with_local_recorder(
            &recorder,
            || {
                let counter = |name: &'static str, help: &'static str| {
                    describe_counter!(name, format!("{help} Since start."));
                    metrics::counter!(name)
                };
                let counters = [
                    counter("prover_broker_jobs_enqueued_total", "New jobs stored."),
                    counter("prover_broker_jobs_taken_total", "Leases handed to agents."),
                    counter("prover_broker_jobs_completed_total", "Jobs proven."),
                    counter(
                        "prover_broker_jobs_failed_total",
                        "Jobs that used up their attempts.",
                    ),
                    counter(
                        "prover_broker_job_attempts_failed_total",
                        "Attempts that failed (reported or expired).",
                    ),
                    counter(
                        "prover_broker_leases_expired_total",
                        "Leases that ran out without a heartbeat.",
                    ),
                    counter(
                        "prover_broker_results_rejected_total",
                        "Results refused (malformed, other inputs, or a proof that does not verify).",
                    ),
                    counter(
                        "prover_broker_jobs_retried_total",
                        "Failed jobs queued again with a new generation of attempts.",
                    ),
                    counter(
                        "prover_broker_jobs_cancelled_total",
                        "Queued jobs withdrawn by their enqueuer.",
                    ),
                    counter(
                        "prover_broker_jobs_purged_total",
                        "Finished jobs deleted with their inputs after the retention period.",
                    ),
                ];
                describe_histogram!(
                    "prover_broker_job_proving_seconds",
                    metrics::Unit::Seconds,
                    "From take to completion of proven jobs, since start."
                );
                describe_gauge!(
                    "prover_broker_jobs",
                    "Jobs in the store by status (from counters the store keeps)."
                );
                describe_gauge!(
                    "prover_broker_agents_active",
                    "Agents heard from within one job timeout."
                );
                describe_gauge!(
                    AGENT_LAST_SEEN,
                    "When each agent last took a job or sent a heartbeat (UNIX time)."
                );
                (
                    counters,
                    metrics::histogram!("prover_broker_job_proving_seconds"),
                    JobStatus::ALL.map(|status| {
                        metrics::gauge!("prover_broker_jobs", "status" => status.to_string())
                    }),
                    metrics::gauge!("prover_broker_agents_active"),
                )
            },
        );
        let [enqueued, taken, completed, failed, attempts_failed, expired, rejected, retried, cancelled, purged] =
            counters;
        Self {
            recorder,
            handle,
            enqueued,
            taken,
            completed,
            failed,
            attempts_failed,
            expired,
            rejected,
            retried,
            cancelled,
            purged,
            proving_seconds,
            jobs,
            agents_active,
            agents: Mutex::default(),
        }
    }
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
    /// A delivered result was refused.
    ResultRejected,
    /// A failed job was queued again.
    Retried,
    /// A queued job was withdrawn by its enqueuer.
    Cancelled,
    /// Finished jobs were deleted after the retention period.
    Purged {
        /// How many.
        jobs: u64,
    },
}

impl Metrics {
    /// Counts `event`.
    pub(crate) fn record(&self, event: Event) {
        match event {
            Event::Enqueued => self.enqueued.increment(1),
            Event::Taken => self.taken.increment(1),
            Event::Completed { proving_ms } => {
                self.completed.increment(1);
                self.proving_seconds.record(proving_ms as f64 / 1000.0);
            }
            Event::AttemptFailed { expired, final_ } => {
                self.attempts_failed.increment(1);
                if expired {
                    self.expired.increment(1);
                }
                if final_ {
                    self.failed.increment(1);
                }
            }
            Event::ResultRejected => self.rejected.increment(1),
            Event::Retried => self.retried.increment(1),
            Event::Cancelled => self.cancelled.increment(1),
            Event::Purged { jobs } => self.purged.increment(jobs),
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
        for (gauge, count) in self.jobs.iter().zip(counts) {
            gauge.set(count as f64);
        }
        {
            let agents = self
                .agents
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            let active = agents
                .values()
                .filter(|seen| now_ms.saturating_sub(**seen) <= active_ms)
                .count();
            self.agents_active.set(active as f64);
            metrics::with_local_recorder(&self.recorder, || {
                for (agent, seen) in agents.iter() {
                    metrics::gauge!(AGENT_LAST_SEEN, "agent" => agent.clone())
                        .set(*seen as f64 / 1000.0);
                }
            });
        }
        self.handle.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_durations_and_agents() {
        let metrics = Metrics::default();
        metrics.record(Event::Enqueued);
        metrics.record(Event::Purged { jobs: 3 });
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
            "prover_broker_jobs_purged_total 3",
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

    #[test]
    fn a_forgotten_agent_leaves_the_text() {
        let metrics = Metrics::default();
        metrics.agent_seen("first", 1_000);
        let text = metrics.render([0; 4], 1_000, 1_000);
        assert!(text.contains("agent=\"first\""), "{text}");
        for n in 0..MAX_AGENTS as u64 {
            metrics.agent_seen(&format!("agent-{n}"), 2_000 + n);
        }
        let text = metrics.render([0; 4], 2_000, 1_000);
        assert!(!text.contains("agent=\"first\""), "{text}");
        let series = text
            .lines()
            .filter(|line| line.starts_with(&format!("{AGENT_LAST_SEEN}{{")))
            .count();
        assert_eq!(series, MAX_AGENTS);
        assert!(
            text.contains("prover_broker_jobs{status=\"queued\"} 0"),
            "{text}"
        );
    }
}
