//! The sequencer's Prometheus metrics, served on its embedded node's `/metrics`.

use std::time::Duration;

use metrics::{describe_counter, describe_histogram, Counter, Histogram};

/// Counts of the slot loop and its proposals.
#[derive(Debug, Clone)]
pub struct SequencerMetrics {
    slots: Counter,
    ranked_slots: Counter,
    proposals: Counter,
    proposal_failures: Counter,
    proposal_latency: Histogram,
    claims: Counter,
}

impl SequencerMetrics {
    /// Registers the metrics with the current recorder (in `fernet-sequencer`, its node's,
    /// installed as the process's global recorder).
    pub fn register() -> Self {
        describe_counter!("fernet_sequencer_slots_total", "Slots the loop entered.");
        describe_counter!(
            "fernet_sequencer_ranked_slots_total",
            "Slots in which one of the process's keys was eligible to propose."
        );
        describe_counter!(
            "fernet_sequencer_proposals_total",
            "Blocks proposed (ranked or backup) with a successful receipt."
        );
        describe_counter!(
            "fernet_sequencer_proposal_failures_total",
            "Proposal attempts that failed (built, simulated or sent)."
        );
        describe_histogram!(
            "fernet_sequencer_proposal_latency_seconds",
            "From the slot's start to the proposal's receipt."
        );
        describe_counter!(
            "fernet_sequencer_claims_total",
            "Epoch proof rights claimed (first claims and cheaper replacements)."
        );
        Self {
            slots: metrics::counter!("fernet_sequencer_slots_total"),
            ranked_slots: metrics::counter!("fernet_sequencer_ranked_slots_total"),
            proposals: metrics::counter!("fernet_sequencer_proposals_total"),
            proposal_failures: metrics::counter!("fernet_sequencer_proposal_failures_total"),
            proposal_latency: metrics::histogram!("fernet_sequencer_proposal_latency_seconds"),
            claims: metrics::counter!("fernet_sequencer_claims_total"),
        }
    }

    /// The loop entered a slot.
    pub(crate) fn slot(&self, ranked: bool) {
        self.slots.increment(1);
        if ranked {
            self.ranked_slots.increment(1);
        }
    }

    /// A proposal landed `latency` after its slot started.
    pub(crate) fn proposed(&self, latency: Duration) {
        self.proposals.increment(1);
        self.proposal_latency.record(latency.as_secs_f64());
    }

    /// A proposal attempt failed.
    pub(crate) fn proposal_failed(&self) {
        self.proposal_failures.increment(1);
    }

    /// A claim landed.
    pub(crate) fn claimed(&self) {
        self.claims.increment(1);
    }
}
