//! The broker's rules over a job store ([`StoreConfig`]: the embedded redb store or PostgreSQL):
//! idempotent enqueue, priorities, leases, heartbeats, completion, retries and retention. Each
//! change is one store transaction; the rules are the closures that compute a job's next
//! record, the same for both stores.
//!
//! # Rules
//!
//! * **Enqueue** is idempotent: the id is `keccak256(kind || input)`, and enqueueing a known
//!   job returns it as it is (its epoch, status and result are not reset).
//! * **Take** hands out the queued job of the lowest epoch, oldest first, among the kinds the
//!   agent takes, with a lease of `job_timeout`; it counts one attempt.
//! * **Heartbeat** extends the lease to `now + job_timeout`, only for the lease holder and only
//!   before its deadline.
//! * **Lease expiry**: a `proving` job whose deadline passed goes back to `queued` (after a
//!   restart too, as deadlines are stored); like a reported failure, this uses up the attempt.
//!   When the job has had `max_attempts` attempts it becomes `failed`.
//! * **Complete**: a job is proven at most once and its result never replaced. Accepted from
//!   the agent holding the lease (even past its deadline, as long as the lease has not expired
//!   and passed on), and from the agent whose lease expired if the job is still `queued`
//!   (nobody else took it: the late result saves a whole proof). Refused once another agent
//!   took the job: that agent's result is the one awaited. A repeated completion with the same
//!   result is answered `Ok` (an agent retrying after a lost answer); another result is refused.
//! * **Results are verified** before anything else: well formed, the witness's public inputs,
//!   and a proof that verifies natively against the block circuit's verifying key. A refused
//!   result changes nothing, except that a lease holder's job goes back to the queue at once
//!   with its attempt given back (a forged result never spends an attempt of the job).
//! * **Fail** is accepted from the lease holder and uses up the attempt.
//! * **Retry** queues a `failed` job again with a new generation of `max_attempts` attempts,
//!   so the epoch it belongs to never dead-ends; other jobs are left as they are.
//! * **Cancel** withdraws a `queued` job its enqueuer no longer needs (another prover's claim,
//!   a proven or pruned epoch): it becomes `failed` with the error [`CANCELLED`], so a stale
//!   epoch's jobs never hold up a live one's; a retry queues it again. A job being proven or
//!   finished is left as it is.
//! * `proven` is final; `failed` is final until a retry.
//! * **Retention**: a job `proven` or `failed` longer than `retention` ago is deleted with its
//!   input; enqueueing its input again makes a new job.

use std::{sync::Arc, time::Duration};

use fernet_broker_api::{JobId, JobKind, JobStatus, CANCELLED};
use serde_json::Value;

use crate::{
    block_job,
    error::{Error, Result},
    job::{JobRecord, Lease},
    keys::VerifyingKeys,
    metrics::{Event, Metrics},
    store::{self, JobStore, StoreConfig},
};

/// Most finished jobs deleted in one store transaction by [`Broker::purge_finished`].
const PURGE_BATCH: u64 = 1_000;

/// Default of [`JobPolicy::retention`]: 7 days.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// How the broker treats jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobPolicy {
    /// Lease length: a job without a heartbeat for this long goes back to the queue
    /// (`PROVER_BROKER_JOB_TIMEOUT_MS`, default 60 s).
    pub job_timeout: Duration,
    /// Attempts before a job is `failed` (`PROVER_BROKER_JOB_MAX_RETRIES`, default 3, at
    /// least 1).
    pub max_attempts: u32,
    /// Largest job input accepted, in bytes (default 8 MiB; a production block witness is a
    /// few hundred KiB).
    pub max_input_bytes: usize,
    /// How long a `proven` or `failed` job (and its input) is kept after it finished
    /// (`PROVER_BROKER_RETENTION_SECS`, default 7 days: far longer than a prover node polls
    /// for a result).
    pub retention: Duration,
}

impl Default for JobPolicy {
    fn default() -> Self {
        Self {
            job_timeout: Duration::from_millis(60_000),
            max_attempts: 3,
            max_input_bytes: 8 << 20,
            retention: DEFAULT_RETENTION,
        }
    }
}

impl JobPolicy {
    /// The lease length in milliseconds.
    pub fn job_timeout_ms(&self) -> u64 {
        u64::try_from(self.job_timeout.as_millis()).unwrap_or(u64::MAX)
    }
}

/// A source of "now" in milliseconds since the UNIX epoch.
type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// Milliseconds since the UNIX epoch.
pub(crate) fn system_now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

/// The result of [`Broker::enqueue`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueued {
    /// The job as stored (the first one, if it was already known).
    pub job: JobRecord,
    /// Whether this call created it.
    pub created: bool,
}

/// A job handed to an agent by [`Broker::take`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenJob {
    /// The job, now `proving` under the agent's lease.
    pub job: JobRecord,
    /// Its input.
    pub input: Vec<u8>,
}

/// The proving broker: rules over a durable job store, plus its metrics. Its methods block
/// on the store (a disk sync, or a database round trip): call them from blocking threads (the
/// PostgreSQL store waits on a runtime of its own, which panics inside async code).
pub struct Broker {
    store: Box<dyn JobStore>,
    policy: JobPolicy,
    keys: Arc<dyn VerifyingKeys>,
    clock: Clock,
    metrics: Metrics,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("store", &self.store.location())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Broker {
    /// Opens the broker on the store `store` names (created if needed), checking results
    /// against `keys`.
    pub fn open(
        store: &StoreConfig,
        policy: JobPolicy,
        keys: Arc<dyn VerifyingKeys>,
    ) -> Result<Self> {
        Ok(Self::with_clock(
            store::open(store)?,
            policy,
            keys,
            Arc::new(system_now_ms),
        ))
    }

    /// As [`Broker::open`], on an open store and with another clock (tests move time by hand).
    fn with_clock(
        store: Box<dyn JobStore>,
        mut policy: JobPolicy,
        keys: Arc<dyn VerifyingKeys>,
        clock: Clock,
    ) -> Self {
        policy.max_attempts = policy.max_attempts.max(1);
        Self {
            store,
            policy,
            keys,
            clock,
            metrics: Metrics::default(),
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &JobPolicy {
        &self.policy
    }

    /// Where the jobs are (the redb file, or the database), for logs.
    pub fn store_location(&self) -> String {
        self.store.location()
    }

    /// Stores a new job (see the module docs: idempotent); checks the input decodes.
    pub fn enqueue(&self, kind: JobKind, epoch: u64, input: &[u8]) -> Result<Enqueued> {
        if input.len() > self.policy.max_input_bytes {
            return Err(Error::InputTooLarge {
                len: input.len(),
                max: self.policy.max_input_bytes,
            });
        }
        let id = JobId::compute(kind, input);
        if let Some(job) = self.store.job(&id)? {
            return Ok(Enqueued {
                job,
                created: false,
            });
        }
        // Who the proof will pay: a block job's payee, logged so an operator can tell apart the jobs
        // of provers sharing this broker (their proofs of one block are different statements).
        let payee = match kind {
            JobKind::Block => block_job::decode_input(input)?.public_inputs.payee(),
        };
        let now = self.now();
        // The store checks again: another request (or broker) may have stored it meanwhile.
        let enqueued = self.store.insert(&id, input, &mut |seq| JobRecord {
            id,
            kind,
            epoch,
            seq,
            status: JobStatus::Queued,
            attempts: 0,
            generation: 0,
            lease: None,
            last_lease: None,
            result: None,
            error: None,
            created_ms: now,
            finished_ms: None,
        })?;
        if enqueued.created {
            self.metrics.record(Event::Enqueued);
            tracing::info!(
                id = %id,
                %kind,
                epoch,
                payee = %format_args!("0x{}", hex::encode(payee)),
                bytes = input.len(),
                "job enqueued"
            );
        }
        Ok(enqueued)
    }

    /// The job `id`, if known.
    pub fn job(&self, id: &JobId) -> Result<Option<JobRecord>> {
        self.store.job(id)
    }

    /// Leases the next job of one of `kinds` to `agent_id` (see the module docs), after
    /// expiring overdue leases; `None` when nothing is queued for those kinds.
    pub fn take(&self, agent_id: &str, kinds: &[JobKind]) -> Result<Option<TakenJob>> {
        let now = self.now();
        self.metrics.agent_seen(agent_id, now);
        self.expire_at(now)?;
        if kinds.is_empty() {
            return Ok(None);
        }
        let taken = self.store.take(kinds, &|previous| {
            let mut job = previous.clone();
            job.status = JobStatus::Proving;
            job.attempts += 1;
            let lease = Lease {
                agent_id: agent_id.to_owned(),
                taken_ms: now,
                deadline_ms: now.saturating_add(self.policy.job_timeout_ms()),
            };
            job.lease = Some(lease.clone());
            job.last_lease = Some(lease);
            job
        })?;
        if let Some(taken) = &taken {
            self.metrics.record(Event::Taken);
            tracing::info!(id = %taken.job.id, agent = agent_id, attempt = taken.job.attempts, "job taken");
        }
        Ok(taken)
    }

    /// Extends `agent_id`'s lease on job `id`; returns the new lease.
    pub fn heartbeat(&self, agent_id: &str, id: &JobId) -> Result<Lease> {
        let now = self.now();
        self.metrics.agent_seen(agent_id, now);
        let updated = self.store.update(id, &mut |previous| {
            let lease = held_lease(previous, agent_id)?;
            if lease.deadline_ms < now {
                return Err(lease_lost(
                    previous,
                    agent_id,
                    format!("the lease expired at {} ms", lease.deadline_ms),
                ));
            }
            let mut job = previous.clone();
            let lease = Lease {
                deadline_ms: now.saturating_add(self.policy.job_timeout_ms()),
                ..lease.clone()
            };
            job.lease = Some(lease.clone());
            job.last_lease = Some(lease);
            Ok(Some(job))
        })?;
        updated
            .job
            .and_then(|job| job.lease)
            .ok_or(Error::JobNotFound(*id))
    }

    /// Records `result` for job `id` from `agent_id` (see the module docs for who may), once it
    /// verified; a refused result is [`Error::InvalidResult`] or [`Error::InvalidProof`].
    pub fn complete(&self, agent_id: &str, id: &JobId, result: Value) -> Result<()> {
        let input = self.store.input(id)?.ok_or(Error::JobNotFound(*id))?;
        let now = self.now();
        self.metrics.agent_seen(agent_id, now);
        let checked = match self.job(id)?.map(|job| job.kind) {
            Some(JobKind::Block) => {
                block_job::check_result(*id, &input, &result, self.keys.as_ref())
            }
            None => return Err(Error::JobNotFound(*id)),
        };
        if let Err(refused) = checked {
            if matches!(
                refused,
                Error::InvalidResult { .. } | Error::InvalidProof { .. }
            ) {
                self.reject_result(agent_id, id, &refused)?;
            }
            return Err(refused);
        }
        let mut proving_ms = None;
        self.store.update(id, &mut |previous| {
            let taken_ms = match previous.status {
                JobStatus::Proven if previous.result.as_ref() == Some(&result) => return Ok(None),
                JobStatus::Proven => return Err(Error::AlreadyProven(*id)),
                JobStatus::Failed => {
                    return Err(Error::JobFinal {
                        id: *id,
                        status: JobStatus::Failed,
                    })
                }
                JobStatus::Proving => held_lease(previous, agent_id)?.taken_ms,
                JobStatus::Queued => match &previous.last_lease {
                    Some(lease) if lease.agent_id == agent_id => lease.taken_ms,
                    _ => {
                        return Err(lease_lost(
                            previous,
                            agent_id,
                            "the job is queued and its last lease was not this agent's".into(),
                        ))
                    }
                },
            };
            let mut job = previous.clone();
            job.status = JobStatus::Proven;
            job.lease = None;
            job.result = Some(result.clone());
            job.finished_ms = Some(now);
            proving_ms = Some(now.saturating_sub(taken_ms));
            Ok(Some(job))
        })?;
        if let Some(proving_ms) = proving_ms {
            self.metrics.record(Event::Completed { proving_ms });
            tracing::info!(id = %id, agent = agent_id, proving_ms, "job proven");
        }
        Ok(())
    }

    /// Records that `agent_id` failed job `id` with `error`; returns the job, `queued` again
    /// or `failed` if that was its last attempt.
    pub fn fail(&self, agent_id: &str, id: &JobId, error: &str) -> Result<JobRecord> {
        let now = self.now();
        self.metrics.agent_seen(agent_id, now);
        let updated = self.store.update(id, &mut |previous| {
            held_lease(previous, agent_id)?;
            let reason = format!("agent {agent_id}: {error}");
            Ok(Some(self.fail_attempt(previous, reason, now)))
        })?;
        let job = updated.job.ok_or(Error::JobNotFound(*id))?;
        self.metrics.record(Event::AttemptFailed {
            expired: false,
            final_: job.status == JobStatus::Failed,
        });
        tracing::warn!(id = %id, agent = agent_id, attempts = job.attempts, status = %job.status, error, "job attempt failed");
        Ok(job)
    }

    /// After a refused result: when `agent_id` holds the job's lease, the job goes back to the
    /// queue at once and the attempt is given back, so a forged result never spends one.
    fn reject_result(&self, agent_id: &str, id: &JobId, refused: &Error) -> Result<()> {
        let requeued = self
            .store
            .update(id, &mut |previous| {
                if held_lease(previous, agent_id).is_err() {
                    return Ok(None);
                }
                let mut job = previous.clone();
                job.status = JobStatus::Queued;
                job.lease = None;
                job.attempts = job.attempts.saturating_sub(1);
                job.error = Some(format!("agent {agent_id}: {refused}"));
                Ok(Some(job))
            })?
            .job
            .is_some();
        self.metrics.record(Event::ResultRejected);
        tracing::warn!(id = %id, agent = agent_id, requeued, error = %refused, "result rejected");
        Ok(())
    }

    /// Queues the `failed` job `id` again with a new generation of attempts (see the module
    /// docs); any other job is returned as it is.
    pub fn retry(&self, id: &JobId) -> Result<JobRecord> {
        let updated = self.store.update(id, &mut |previous| {
            if previous.status != JobStatus::Failed {
                return Ok(None);
            }
            let mut job = previous.clone();
            job.status = JobStatus::Queued;
            job.attempts = 0;
            job.generation += 1;
            job.lease = None;
            job.finished_ms = None;
            Ok(Some(job))
        })?;
        let retried = updated.job.is_some();
        let job = updated.job.unwrap_or(updated.previous);
        if retried {
            self.metrics.record(Event::Retried);
            tracing::info!(id = %id, generation = job.generation, "failed job queued again");
        }
        Ok(job)
    }

    /// Withdraws the `queued` job `id`, which its enqueuer no longer needs (its epoch was
    /// claimed by another prover, proven, or pruned): it becomes `failed` with the error
    /// [`CANCELLED`] and is never handed out; retention deletes it like any finished job, and
    /// [`Self::retry`] queues it again should it be wanted after all. A job being proven or
    /// finished is returned as it is (its agent is not interrupted); `None` for an unknown id.
    pub fn cancel(&self, id: &JobId) -> Result<Option<JobRecord>> {
        let now = self.now();
        let updated = match self.store.update(id, &mut |previous| {
            if previous.status != JobStatus::Queued {
                return Ok(None);
            }
            let mut job = previous.clone();
            job.status = JobStatus::Failed;
            job.error = Some(CANCELLED.to_owned());
            job.finished_ms = Some(now);
            Ok(Some(job))
        }) {
            Ok(updated) => updated,
            Err(Error::JobNotFound(_)) => return Ok(None),
            Err(error) => return Err(error),
        };
        let cancelled = updated.job.is_some();
        let job = updated.job.unwrap_or(updated.previous);
        if cancelled {
            self.metrics.record(Event::Cancelled);
            tracing::info!(id = %id, epoch = job.epoch, "queued job cancelled");
        }
        Ok(Some(job))
    }

    /// Sends every job whose lease ran out back to the queue (or to `failed`); returns them.
    pub fn expire_leases(&self) -> Result<Vec<JobRecord>> {
        self.expire_at(self.now())
    }

    /// Deletes the jobs (and inputs) that finished more than `retention` ago; returns how
    /// many.
    pub fn purge_finished(&self) -> Result<u64> {
        let retention = u64::try_from(self.policy.retention.as_millis()).unwrap_or(u64::MAX);
        let before = self.now().saturating_sub(retention);
        let mut purged = 0;
        loop {
            let batch = self.store.purge(before, PURGE_BATCH)?;
            purged += batch;
            if batch < PURGE_BATCH {
                break;
            }
        }
        if purged > 0 {
            self.metrics.record(Event::Purged { jobs: purged });
            tracing::info!(jobs = purged, "finished jobs deleted");
        }
        Ok(purged)
    }

    /// The metrics in Prometheus text format.
    pub fn render_metrics(&self) -> Result<String> {
        let counts = self.store.status_counts()?;
        let timeout = self.policy.job_timeout_ms();
        Ok(self.metrics.render(counts, self.now(), timeout))
    }

    /// Expires the leases overdue at `now`, then counts and logs them.
    fn expire_at(&self, now: u64) -> Result<Vec<JobRecord>> {
        let expired = self.store.expire(now, &|previous| {
            let reason = match &previous.lease {
                Some(lease) => format!(
                    "lease of agent {} expired at {} ms without a heartbeat",
                    lease.agent_id, lease.deadline_ms
                ),
                None => "proving without a lease".to_owned(),
            };
            self.fail_attempt(previous, reason, now)
        })?;
        for job in &expired {
            self.metrics.record(Event::AttemptFailed {
                expired: true,
                final_: job.status == JobStatus::Failed,
            });
            tracing::warn!(id = %job.id, attempts = job.attempts, status = %job.status, "lease expired");
        }
        Ok(expired)
    }

    /// `job` after a failed attempt at `now`: queued again, or failed (finished) when out of
    /// attempts.
    fn fail_attempt(&self, job: &JobRecord, reason: String, now: u64) -> JobRecord {
        let mut job = job.clone();
        if job.attempts >= self.policy.max_attempts {
            job.status = JobStatus::Failed;
            job.finished_ms = Some(now);
        } else {
            job.status = JobStatus::Queued;
        }
        job.lease = None;
        job.error = Some(reason);
        job
    }

    fn now(&self) -> u64 {
        (self.clock)()
    }
}

/// The lease of `job` if `agent_id` holds it (deadline not checked).
fn held_lease<'a>(job: &'a JobRecord, agent_id: &str) -> Result<&'a Lease> {
    match (&job.status, &job.lease) {
        (JobStatus::Proving, Some(lease)) if lease.agent_id == agent_id => Ok(lease),
        (JobStatus::Proving, Some(lease)) => Err(lease_lost(
            job,
            agent_id,
            format!("the job is leased to agent {}", lease.agent_id),
        )),
        (status, _) => Err(lease_lost(job, agent_id, format!("the job is {status}"))),
    }
}

fn lease_lost(job: &JobRecord, agent_id: &str, reason: String) -> Error {
    Error::LeaseLost {
        id: job.id,
        agent_id: agent_id.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;
    use crate::testing::{fake_result, postgres::TestDatabase, witness_bytes, TestKeys};

    const TIMEOUT_MS: u64 = 1_000;
    const RETENTION_MS: u64 = 10_000;

    /// Runs each named test (a function of a [`Backend`]) against both stores, as
    /// `embedded::<name>` and `postgres::<name>`.
    macro_rules! both_stores {
        ($($name:ident),* $(,)?) => {
            mod embedded {
                $(#[test]
                fn $name() {
                    super::$name(super::Backend::Embedded);
                })*
            }
            mod postgres {
                $(#[test]
                fn $name() {
                    super::$name(super::Backend::Postgres);
                })*
            }
        };
    }

    both_stores!(
        enqueue_is_idempotent_and_never_resets_a_job,
        enqueue_rejects_bad_and_oversized_inputs,
        a_job_names_its_payee_and_each_payee_is_its_own_job,
        takes_lowest_epoch_first_then_oldest,
        a_requeued_job_keeps_its_place,
        expired_lease_requeues_and_counts_the_attempt,
        a_late_result_is_refused_once_another_agent_took_the_job,
        max_attempts_then_failed_for_good,
        a_proven_result_is_never_replaced,
        results_must_prove_the_jobs_statement,
        a_forged_proof_is_refused_and_spends_no_attempt,
        a_failed_job_is_retried_with_a_new_generation,
        a_cancelled_job_is_never_handed_out_and_a_retry_revives_it,
        reopening_the_store_keeps_every_job_and_lease,
        finished_jobs_are_deleted_after_the_retention_period,
        the_status_counts_follow_every_change,
    );

    /// Which store a test runs on.
    #[derive(Debug, Clone, Copy)]
    enum Backend {
        Embedded,
        Postgres,
    }

    /// A store of a test, kept while the test runs (and across a reopening).
    enum Backing {
        Embedded(tempfile::TempDir),
        Postgres(TestDatabase),
    }

    impl Backing {
        fn new(backend: Backend) -> Self {
            match backend {
                Backend::Embedded => Self::Embedded(tempfile::tempdir().unwrap()),
                Backend::Postgres => Self::Postgres(TestDatabase::create()),
            }
        }

        fn config(&self) -> StoreConfig {
            match self {
                Self::Embedded(dir) => StoreConfig::Embedded {
                    data_dir: dir.path().to_path_buf(),
                },
                Self::Postgres(database) => StoreConfig::Postgres {
                    url: database.url().to_owned(),
                },
            }
        }
    }

    /// A broker on a fresh store whose clock the test moves, checking results against
    /// [`TestKeys`].
    struct Fixture {
        broker: Broker,
        backing: Backing,
        now: Arc<AtomicU64>,
        keys: Arc<TestKeys>,
    }

    impl Fixture {
        fn new(backend: Backend, max_attempts: u32) -> Self {
            let backing = Backing::new(backend);
            let now = Arc::new(AtomicU64::new(1_000_000));
            let keys = Arc::new(TestKeys::new());
            let broker = open(&backing, max_attempts, &now, &keys);
            Self {
                backing,
                now,
                keys,
                broker,
            }
        }

        /// Another broker on the same store (and clock).
        fn open_again(&self, max_attempts: u32) -> Broker {
            open(&self.backing, max_attempts, &self.now, &self.keys)
        }

        fn set_time(&self, ms: u64) {
            self.now.store(1_000_000 + ms, Ordering::SeqCst);
        }

        fn enqueue(&self, epoch: u64, seed: u64) -> JobRecord {
            let input = witness_bytes(seed);
            self.broker
                .enqueue(JobKind::Block, epoch, &input)
                .unwrap()
                .job
        }

        fn take(&self, agent: &str) -> Option<JobRecord> {
            self.broker
                .take(agent, &JobKind::ALL)
                .unwrap()
                .map(|taken| taken.job)
        }

        /// A valid result for job `id` (`seed` changes the proof).
        fn result(&self, id: &JobId, seed: u64) -> Value {
            self.keys
                .result(&self.broker.store.input(id).unwrap().unwrap(), seed)
        }

        /// A forged result for job `id`: its public inputs, a proof that does not verify.
        fn forged(&self, id: &JobId, k: u64) -> Value {
            fake_result(&self.broker.store.input(id).unwrap().unwrap(), k)
        }

        fn job(&self, id: &JobId) -> JobRecord {
            self.broker.job(id).unwrap().unwrap()
        }
    }

    fn open(
        backing: &Backing,
        max_attempts: u32,
        now: &Arc<AtomicU64>,
        keys: &Arc<TestKeys>,
    ) -> Broker {
        let policy = JobPolicy {
            job_timeout: Duration::from_millis(TIMEOUT_MS),
            max_attempts,
            retention: Duration::from_millis(RETENTION_MS),
            ..JobPolicy::default()
        };
        let now = Arc::clone(now);
        let keys: Arc<dyn VerifyingKeys> = keys.clone();
        Broker::with_clock(
            store::open(&backing.config()).unwrap(),
            policy,
            keys,
            Arc::new(move || now.load(Ordering::SeqCst)),
        )
    }

    fn enqueue_is_idempotent_and_never_resets_a_job(backend: Backend) {
        let f = Fixture::new(backend, 3);
        let input = witness_bytes(1);
        let first = f.broker.enqueue(JobKind::Block, 5, &input).unwrap();
        assert!(first.created);
        assert_eq!(first.job.id, JobId::compute(JobKind::Block, &input));
        assert_eq!(first.job.status, JobStatus::Queued);
        let again = f.broker.enqueue(JobKind::Block, 9, &input).unwrap();
        assert!(!again.created);
        assert_eq!(
            again.job, first.job,
            "the first enqueue wins, epoch included"
        );

        f.take("a").unwrap();
        let while_proving = f.broker.enqueue(JobKind::Block, 5, &input).unwrap();
        assert_eq!(while_proving.job.status, JobStatus::Proving);
        assert_eq!(while_proving.job.attempts, 1);
        assert!(
            f.take("b").is_none(),
            "re-enqueueing does not queue it twice"
        );
    }

    fn enqueue_rejects_bad_and_oversized_inputs(backend: Backend) {
        let f = Fixture::new(backend, 3);
        assert!(matches!(
            f.broker.enqueue(JobKind::Block, 1, &[1, 2, 3]),
            Err(Error::InvalidInput { kind: "block", .. })
        ));
        let big = vec![0u8; JobPolicy::default().max_input_bytes + 1];
        assert!(matches!(
            f.broker.enqueue(JobKind::Block, 1, &big),
            Err(Error::InputTooLarge { len, .. }) if len == big.len()
        ));
        assert_eq!(f.broker.store.status_counts().unwrap(), [0; 4]);
    }

    fn a_job_names_its_payee_and_each_payee_is_its_own_job(backend: Backend) {
        let f = Fixture::new(backend, 3);
        let witness = block_job::decode_input(&witness_bytes(1)).unwrap();
        let mine = witness.clone().with_payee([0xaa; 20]).to_bytes();
        let theirs = witness.clone().with_payee([0xbb; 20]).to_bytes();
        let first = f.broker.enqueue(JobKind::Block, 1, &mine).unwrap();
        let second = f.broker.enqueue(JobKind::Block, 1, &theirs).unwrap();
        assert!(first.created && second.created);
        assert_ne!(first.job.id, second.job.id, "the payee is part of the id");
        // A result proving the other payee's statement does not complete the job.
        f.take("a").unwrap();
        let error = f
            .broker
            .complete("a", &first.job.id, fake_result(&theirs, 1))
            .unwrap_err();
        assert!(
            matches!(&error, Error::InvalidResult { id, .. } if *id == first.job.id),
            "{error}"
        );
        assert!(matches!(
            f.broker
                .enqueue(JobKind::Block, 1, &witness.with_payee([0; 20]).to_bytes()),
            Err(Error::InvalidInput { kind: "block", reason }) if reason.contains("no payee")
        ));
    }

    fn takes_lowest_epoch_first_then_oldest(backend: Backend) {
        let f = Fixture::new(backend, 3);
        let late = f.enqueue(2, 1);
        let first_of_1 = f.enqueue(1, 2);
        let second_of_1 = f.enqueue(1, 3);
        let earliest = f.enqueue(0, 4);
        assert!(
            f.broker.take("a", &[]).unwrap().is_none(),
            "no kinds, no job"
        );
        let order: Vec<JobId> = (0..4).map(|_| f.take("a").unwrap().id).collect();
        assert_eq!(order, [earliest.id, first_of_1.id, second_of_1.id, late.id]);
        assert!(f.take("a").is_none());
        let taken = f.job(&late.id);
        assert_eq!(taken.status, JobStatus::Proving);
        let lease = taken.lease.unwrap();
        assert_eq!(
            (lease.agent_id.as_str(), lease.deadline_ms - lease.taken_ms),
            ("a", TIMEOUT_MS)
        );
    }

    fn a_requeued_job_keeps_its_place(backend: Backend) {
        let f = Fixture::new(backend, 3);
        let old = f.enqueue(1, 1);
        let young = f.enqueue(1, 2);
        assert_eq!(f.take("a").unwrap().id, old.id);
        f.broker.fail("a", &old.id, "out of memory").unwrap();
        assert_eq!(f.take("a").unwrap().id, old.id, "older than `young`");
        assert_eq!(f.take("a").unwrap().id, young.id);
    }

    fn expired_lease_requeues_and_counts_the_attempt(backend: Backend) {
        let f = Fixture::new(backend, 3);
        let job = f.enqueue(1, 1);
        f.take("a").unwrap();
        f.set_time(900);
        let lease = f.broker.heartbeat("a", &job.id).unwrap();
        assert_eq!(lease.deadline_ms, 1_000_000 + 900 + TIMEOUT_MS);
        assert!(matches!(
            f.broker.heartbeat("b", &job.id),
            Err(Error::LeaseLost { reason, .. }) if reason.contains("leased to agent a")
        ));
        f.set_time(1_800);
        assert!(f.broker.expire_leases().unwrap().is_empty(), "extended");
        f.set_time(1_901);
        assert!(matches!(
            f.broker.heartbeat("a", &job.id),
            Err(Error::LeaseLost { reason, .. }) if reason.contains("expired")
        ));
        let expired = f.broker.expire_leases().unwrap();
        assert_eq!(expired.len(), 1);
        let job = f.job(&job.id);
        assert_eq!(
            (job.status, job.attempts, job.lease),
            (JobStatus::Queued, 1, None)
        );
        assert!(job.error.unwrap().contains("lease of agent a expired"));

        // Nobody took it since: agent a's late result is accepted.
        let result = f.result(&job.id, 1);
        f.broker.complete("a", &job.id, result.clone()).unwrap();
        let job = f.job(&job.id);
        assert_eq!((job.status, job.result), (JobStatus::Proven, Some(result)));
        assert!(f.take("b").is_none());
    }

    fn a_late_result_is_refused_once_another_agent_took_the_job(backend: Backend) {
        let f = Fixture::new(backend, 3);
        let job = f.enqueue(1, 1);
        f.take("a").unwrap();
        f.set_time(TIMEOUT_MS + 1);
        assert_eq!(
            f.take("b").unwrap().id,
            job.id,
            "take expires the lease first"
        );
        let result = f.result(&job.id, 1);
        assert!(matches!(
            f.broker.complete("a", &job.id, result.clone()),
            Err(Error::LeaseLost { reason, .. }) if reason.contains("leased to agent b")
        ));
        assert!(matches!(
            f.broker.fail("a", &job.id, "x"),
            Err(Error::LeaseLost { .. })
        ));
        f.broker.complete("b", &job.id, result).unwrap();
        let job = f.job(&job.id);
        assert_eq!((job.status, job.attempts), (JobStatus::Proven, 2));
    }

    fn max_attempts_then_failed_for_good(backend: Backend) {
        let f = Fixture::new(backend, 2);
        let job = f.enqueue(1, 1);
        f.take("a").unwrap();
        let after_fail = f.broker.fail("a", &job.id, "prover crashed").unwrap();
        assert_eq!(
            (after_fail.status, after_fail.attempts),
            (JobStatus::Queued, 1)
        );
        assert_eq!(after_fail.error.as_deref(), Some("agent a: prover crashed"));
        f.take("b").unwrap();
        f.set_time(TIMEOUT_MS + 1);
        f.broker.expire_leases().unwrap();
        let job = f.job(&job.id);
        assert_eq!((job.status, job.attempts), (JobStatus::Failed, 2));
        assert!(f.take("c").is_none());
        let result = f.result(&job.id, 1);
        assert!(matches!(
            f.broker.complete("b", &job.id, result),
            Err(Error::JobFinal {
                status: JobStatus::Failed,
                ..
            })
        ));
        assert!(matches!(
            f.broker.heartbeat("b", &job.id),
            Err(Error::LeaseLost { .. })
        ));
    }

    fn a_proven_result_is_never_replaced(backend: Backend) {
        let f = Fixture::new(backend, 3);
        let job = f.enqueue(1, 1);
        f.take("a").unwrap();
        let first = f.result(&job.id, 1);
        assert!(matches!(
            f.broker.complete("b", &job.id, first.clone()),
            Err(Error::LeaseLost { .. })
        ));
        f.broker.complete("a", &job.id, first.clone()).unwrap();
        f.broker.complete("a", &job.id, first.clone()).unwrap(); // a retry: same answer
        let other = f.result(&job.id, 2);
        assert!(matches!(
            f.broker.complete("a", &job.id, other),
            Err(Error::AlreadyProven(id)) if id == job.id
        ));
        assert!(matches!(
            f.broker.fail("a", &job.id, "late"),
            Err(Error::LeaseLost { .. })
        ));
        f.enqueue(1, 1);
        let job = f.job(&job.id);
        assert_eq!((job.status, job.result), (JobStatus::Proven, Some(first)));
    }

    fn results_must_prove_the_jobs_statement(backend: Backend) {
        let f = Fixture::new(backend, 3);
        let job = f.enqueue(1, 1);
        let other = f.enqueue(1, 2);
        f.take("a").unwrap();
        let wrong_statement = f.result(&other.id, 1);
        assert!(matches!(
            f.broker.complete("a", &job.id, wrong_statement),
            Err(Error::InvalidResult { reason, .. }) if reason.contains("do not match")
        ));
        let mut short = f.result(&job.id, 1);
        short["proof"] = Value::String("0x1234".into());
        // The first refusal already sent the job back to the queue, its attempt given back.
        let requeued = f.job(&job.id);
        assert_eq!(
            (requeued.status, requeued.attempts, requeued.lease),
            (JobStatus::Queued, 0, None)
        );
        assert!(matches!(
            f.broker.complete("a", &job.id, short),
            Err(Error::InvalidResult { reason, .. }) if reason == "result.proof: expected 256 bytes, got 2"
        ));
        assert_eq!(f.job(&job.id).status, JobStatus::Queued);
    }

    /// Attack (issue 12, proof integrity): an agent holding the lease completes its job with a
    /// forged proof (the job's public inputs, curve points that prove nothing). It used to be
    /// stored as the job's result, and the prover node submitted it and lost its bond. Now the
    /// proof is verified first: refused with an error naming the job, and the job goes back to
    /// the queue without spending an attempt, for an honest agent to prove.
    fn a_forged_proof_is_refused_and_spends_no_attempt(backend: Backend) {
        let f = Fixture::new(backend, 1);
        let job = f.enqueue(1, 1);
        f.take("forger").unwrap();
        let forged = f.forged(&job.id, 3);
        let error = f.broker.complete("forger", &job.id, forged).unwrap_err();
        assert!(
            matches!(&error, Error::InvalidProof { id, .. } if *id == job.id),
            "{error}"
        );
        assert!(
            error.to_string().starts_with(&format!(
                "result for job {} rejected: the proof does not verify",
                job.id
            )),
            "{error}"
        );
        let after = f.job(&job.id);
        assert_eq!(
            (after.status, after.attempts, after.result),
            (JobStatus::Queued, 0, None),
            "max attempts is 1: had the forgery spent it, the job would be failed"
        );
        assert!(after.error.unwrap().contains("does not verify"));
        // A valid proof of another job's statement is refused too.
        let other = f.enqueue(1, 2);
        assert_eq!(f.take("forger").unwrap().id, job.id, "it kept its place");
        let wrong = f.result(&other.id, 1);
        assert!(matches!(
            f.broker.complete("forger", &job.id, wrong),
            Err(Error::InvalidResult { id, .. }) if id == job.id
        ));
        assert_eq!(f.job(&job.id).attempts, 0);

        // An honest agent takes it and its real proof is accepted.
        assert_eq!(f.take("honest").unwrap().id, job.id);
        let valid = f.result(&job.id, 1);
        f.broker.complete("honest", &job.id, valid.clone()).unwrap();
        let proven = f.job(&job.id);
        assert_eq!(
            (proven.status, proven.attempts, proven.result),
            (JobStatus::Proven, 1, Some(valid))
        );
        // Too late for a forgery to replace it.
        assert!(matches!(
            f.broker.complete("honest", &job.id, f.forged(&job.id, 1)),
            Err(Error::InvalidProof { .. })
        ));
    }

    /// Attack (issue 12, proof integrity): a job failed for good could never be retried, so
    /// its epoch became unprovable. `retry` starts a new generation of attempts.
    /// The CI failure of issue 15's run: a prover node stopped wanting an epoch (another
    /// prover's claim) but its queued jobs stayed in the queue, and being of a lower epoch,
    /// were handed out before the live epoch's, so a lone agent fell behind for good.
    fn a_cancelled_job_is_never_handed_out_and_a_retry_revives_it(backend: Backend) {
        let f = Fixture::new(backend, 3);
        let running = f.enqueue(1, 1);
        let stale = f.enqueue(1, 2);
        let live = f.enqueue(2, 3);
        assert_eq!(f.take("a").unwrap().id, running.id);

        let cancelled = f.broker.cancel(&stale.id).unwrap().unwrap();
        assert_eq!(
            (cancelled.status, cancelled.error.as_deref()),
            (JobStatus::Failed, Some(CANCELLED))
        );
        assert_eq!(f.job(&stale.id), cancelled);
        assert_eq!(
            f.broker.cancel(&running.id).unwrap().unwrap(),
            f.job(&running.id),
            "a job being proven is left as it is"
        );
        assert_eq!(f.job(&running.id).status, JobStatus::Proving);
        assert_eq!(
            f.take("b").unwrap().id,
            live.id,
            "the cancelled job is skipped"
        );
        assert!(f.take("b").is_none());
        f.broker
            .complete("a", &running.id, f.result(&running.id, 1))
            .unwrap();
        assert_eq!(f.job(&running.id).status, JobStatus::Proven);
        assert_eq!(
            f.broker.cancel(&running.id).unwrap().unwrap().status,
            JobStatus::Proven,
            "a proven job stays proven"
        );
        assert_eq!(f.broker.cancel(&JobId([9; 32])).unwrap(), None);
        assert_eq!(f.broker.store.status_counts().unwrap(), [0, 1, 1, 1]);

        let revived = f.broker.retry(&stale.id).unwrap();
        assert_eq!((revived.status, revived.generation), (JobStatus::Queued, 1));
        assert_eq!(f.take("c").unwrap().id, stale.id);
    }

    fn a_failed_job_is_retried_with_a_new_generation(backend: Backend) {
        let f = Fixture::new(backend, 1);
        let job = f.enqueue(1, 1);
        assert_eq!(
            f.broker.retry(&job.id).unwrap(),
            f.job(&job.id),
            "queued: left as is"
        );
        f.take("a").unwrap();
        f.broker.fail("a", &job.id, "out of memory").unwrap();
        assert_eq!(f.job(&job.id).status, JobStatus::Failed);
        assert!(f.take("a").is_none());

        let retried = f.broker.retry(&job.id).unwrap();
        assert_eq!(
            (retried.status, retried.attempts, retried.generation),
            (JobStatus::Queued, 0, 1)
        );
        assert_eq!(f.broker.retry(&job.id).unwrap().generation, 1, "idempotent");
        assert_eq!(f.take("b").unwrap().id, job.id);
        f.broker
            .complete("b", &job.id, f.result(&job.id, 1))
            .unwrap();
        assert_eq!(f.job(&job.id).status, JobStatus::Proven);
        assert_eq!(f.broker.retry(&job.id).unwrap().status, JobStatus::Proven);
        assert!(matches!(
            f.broker.retry(&JobId([9; 32])),
            Err(Error::JobNotFound(_))
        ));
    }

    fn reopening_the_store_keeps_every_job_and_lease(backend: Backend) {
        let f = Fixture::new(backend, 3);
        let queued = f.enqueue(3, 1);
        let proving = f.enqueue(1, 2);
        let proven = f.enqueue(2, 3);
        f.take("a").unwrap();
        f.take("a").unwrap();
        let result = f.result(&proven.id, 1);
        f.broker.complete("a", &proven.id, result.clone()).unwrap();
        let before: Vec<JobRecord> = [queued.id, proving.id, proven.id]
            .iter()
            .map(|id| f.job(id))
            .collect();
        let Fixture {
            backing,
            now,
            keys,
            broker,
        } = f;
        drop(broker);

        let broker = open(&backing, 3, &now, &keys);
        for job in &before {
            assert_eq!(&broker.job(&job.id).unwrap().unwrap(), job);
        }
        assert_eq!(broker.store.status_counts().unwrap(), [1, 1, 1, 0]);
        broker.heartbeat("a", &proving.id).unwrap();
        now.fetch_add(TIMEOUT_MS + 1, Ordering::SeqCst);
        // The lease ran out while the broker was down: the job is queued again, and its
        // epoch 1 goes before the queued job of epoch 3.
        assert_eq!(
            broker.take("b", &JobKind::ALL).unwrap().unwrap().job.id,
            proving.id
        );
        assert_eq!(
            broker.take("b", &JobKind::ALL).unwrap().unwrap().job.id,
            queued.id
        );
        assert_eq!(
            broker.job(&proven.id).unwrap().unwrap().result,
            Some(result)
        );
    }

    fn finished_jobs_are_deleted_after_the_retention_period(backend: Backend) {
        let f = Fixture::new(backend, 1);
        let proven = f.enqueue(1, 1);
        let failed = f.enqueue(1, 2);
        let retried = f.enqueue(1, 3);
        let proving = f.enqueue(1, 4);
        let queued = f.enqueue(2, 5);
        assert_eq!(f.take("a").unwrap().id, proven.id);
        let result = f.result(&proven.id, 1);
        f.broker.complete("a", &proven.id, result).unwrap();
        f.set_time(100);
        for id in [failed.id, retried.id] {
            assert_eq!(f.take("a").unwrap().id, id);
            f.broker.fail("a", &id, "out of memory").unwrap();
        }
        assert_eq!(f.take("a").unwrap().id, proving.id);
        f.broker.retry(&retried.id).unwrap();

        f.set_time(RETENTION_MS);
        assert_eq!(
            f.broker.purge_finished().unwrap(),
            0,
            "kept for the whole period"
        );
        f.set_time(RETENTION_MS + 1);
        assert_eq!(f.broker.purge_finished().unwrap(), 1);
        assert_eq!(f.broker.job(&proven.id).unwrap(), None);
        assert_eq!(f.broker.store.input(&proven.id).unwrap(), None, "input too");
        assert_eq!(
            f.job(&failed.id).status,
            JobStatus::Failed,
            "finished later"
        );
        f.set_time(RETENTION_MS + 101);
        assert_eq!(f.broker.purge_finished().unwrap(), 1);
        assert_eq!(f.broker.job(&failed.id).unwrap(), None);

        // Unfinished jobs stay however old, a retried one included.
        f.set_time(100 * RETENTION_MS);
        assert_eq!(f.broker.purge_finished().unwrap(), 0);
        for id in [retried.id, proving.id, queued.id] {
            assert!(f.broker.job(&id).unwrap().is_some());
        }
        assert_eq!(f.broker.store.status_counts().unwrap(), [2, 1, 0, 0]);
        let metrics = f.broker.render_metrics().unwrap();
        assert!(
            metrics
                .lines()
                .any(|line| line == "prover_broker_jobs_purged_total 2"),
            "{metrics}"
        );
        // A deleted job is forgotten: its input makes a new job.
        let again = f
            .broker
            .enqueue(JobKind::Block, 1, &witness_bytes(1))
            .unwrap();
        assert!(again.created);
        assert_eq!(
            (again.job.id, again.job.status),
            (proven.id, JobStatus::Queued)
        );
    }

    fn the_status_counts_follow_every_change(backend: Backend) {
        let f = Fixture::new(backend, 2);
        let ids: Vec<JobId> = (0..6).map(|seed| f.enqueue(seed % 3, seed).id).collect();
        // The counters against the jobs themselves.
        let check = |f: &Fixture| {
            let mut expected = [0; 4];
            for id in &ids {
                if let Some(job) = f.broker.job(id).unwrap() {
                    expected[store::status_index(job.status)] += 1;
                }
            }
            let counts = f.broker.store.status_counts().unwrap();
            assert_eq!(counts, expected);
            counts
        };
        assert_eq!(check(&f), [6, 0, 0, 0]);
        let [a, b, c] = [0, 1, 2].map(|_| f.take("a").unwrap().id);
        assert_eq!(check(&f), [3, 3, 0, 0]);
        f.broker.complete("a", &a, f.result(&a, 1)).unwrap();
        f.broker.fail("a", &b, "crashed").unwrap();
        assert_eq!(check(&f), [4, 1, 1, 0]);
        f.set_time(TIMEOUT_MS + 1);
        assert_eq!(f.broker.expire_leases().unwrap()[0].id, c);
        assert_eq!(check(&f), [5, 0, 1, 0]);
        assert_eq!(f.take("a").unwrap().id, b, "the only queued job of epoch 0");
        f.broker.fail("a", &b, "crashed again").unwrap();
        assert_eq!(check(&f), [4, 0, 1, 1]);
        f.broker.retry(&b).unwrap();
        assert_eq!(check(&f), [5, 0, 1, 0]);
        f.set_time(TIMEOUT_MS + RETENTION_MS + 2);
        assert_eq!(f.broker.purge_finished().unwrap(), 1);
        assert_eq!(check(&f), [5, 0, 0, 0]);
        let metrics = f.broker.render_metrics().unwrap();
        assert!(
            metrics
                .lines()
                .any(|line| line == "prover_broker_jobs{status=\"queued\"} 5"),
            "{metrics}"
        );
    }

    /// Two brokers on one database: a job enqueued on one is known to the other, leased by only
    /// one of them, and its lease expires on the other (deadlines are in the database).
    #[test]
    fn two_brokers_on_one_database_share_jobs_and_leases() {
        let f = Fixture::new(Backend::Postgres, 3);
        let other = f.open_again(3);
        let job = f.enqueue(1, 1);
        let again = other.enqueue(JobKind::Block, 1, &witness_bytes(1)).unwrap();
        assert!(!again.created, "enqueued once for both");
        // A call that changes nothing, or is refused, leaves no row locked behind it: the
        // other broker's take does not skip the job.
        assert_eq!(f.broker.retry(&job.id).unwrap().status, JobStatus::Queued);
        assert!(matches!(
            f.broker.heartbeat("a", &job.id),
            Err(Error::LeaseLost { .. })
        ));
        let taken = other.take("b", &JobKind::ALL).unwrap().unwrap();
        assert_eq!(taken.job.id, job.id);
        assert!(f.take("a").is_none(), "leased through the other broker");

        f.set_time(TIMEOUT_MS + 1);
        assert_eq!(f.broker.expire_leases().unwrap().len(), 1);
        assert!(matches!(
            other.heartbeat("b", &job.id),
            Err(Error::LeaseLost { .. })
        ));
        assert_eq!(f.take("a").unwrap().id, job.id);
        let result = f.result(&job.id, 1);
        f.broker.complete("a", &job.id, result.clone()).unwrap();
        assert!(matches!(
            other.complete("b", &job.id, f.result(&job.id, 2)),
            Err(Error::AlreadyProven(id)) if id == job.id
        ));
        let proven = other.job(&job.id).unwrap().unwrap();
        assert_eq!(
            (proven.status, proven.result),
            (JobStatus::Proven, Some(result))
        );
        assert_eq!(other.store.status_counts().unwrap(), [0, 0, 1, 0]);
    }
}
