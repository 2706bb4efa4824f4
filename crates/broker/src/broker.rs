//! The broker's rules over the [`JobStore`]: idempotent enqueue, priorities, leases,
//! heartbeats, completion and retries. Every method is one store transaction.
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
//! * `proven` is final; `failed` is final until a retry.

use std::{path::Path, sync::Arc, time::Duration};

use fernet_broker_api::{JobId, JobKind, JobStatus};
use serde_json::Value;

use crate::{
    block_job,
    error::{Error, Result},
    job::{JobRecord, Lease},
    keys::VerifyingKeys,
    metrics::{Event, Metrics},
    store::{JobStore, StoreTx},
};

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
}

impl Default for JobPolicy {
    fn default() -> Self {
        Self {
            job_timeout: Duration::from_millis(60_000),
            max_attempts: 3,
            max_input_bytes: 8 << 20,
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

/// The proving broker: rules over a durable job store, plus its metrics.
pub struct Broker {
    store: JobStore,
    policy: JobPolicy,
    keys: Arc<dyn VerifyingKeys>,
    clock: Clock,
    metrics: Metrics,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("store", &self.store.path())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Broker {
    /// Opens the broker on the store in `data_dir` (created if needed), checking results
    /// against `keys`.
    pub fn open(data_dir: &Path, policy: JobPolicy, keys: Arc<dyn VerifyingKeys>) -> Result<Self> {
        Self::with_clock(data_dir, policy, keys, Arc::new(system_now_ms))
    }

    /// As [`Broker::open`], with another clock (tests move time by hand).
    fn with_clock(
        data_dir: &Path,
        mut policy: JobPolicy,
        keys: Arc<dyn VerifyingKeys>,
        clock: Clock,
    ) -> Result<Self> {
        policy.max_attempts = policy.max_attempts.max(1);
        Ok(Self {
            store: JobStore::open(data_dir)?,
            policy,
            keys,
            clock,
            metrics: Metrics::default(),
        })
    }

    /// The policy in force.
    pub fn policy(&self) -> &JobPolicy {
        &self.policy
    }

    /// The store file.
    pub fn store_path(&self) -> &Path {
        self.store.path()
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
        let enqueued = self.store.write(|tx| {
            // Checked again inside the transaction: another request may have stored it.
            if let Some(job) = tx.job(&id)? {
                return Ok(Enqueued {
                    job,
                    created: false,
                });
            }
            let job = JobRecord {
                id,
                kind,
                epoch,
                seq: tx.next_seq()?,
                status: JobStatus::Queued,
                attempts: 0,
                generation: 0,
                lease: None,
                last_lease: None,
                result: None,
                error: None,
                created_ms: now,
            };
            tx.put_input(&id, input)?;
            tx.put(None, &job)?;
            Ok(Enqueued { job, created: true })
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
        if !self.store.has_work(now)? {
            return Ok(None);
        }
        let (taken, expired) = self.store.write(|tx| {
            let expired = self.expire_in(tx, now)?;
            let Some(previous) = tx.first_queued(|job| kinds.contains(&job.kind))? else {
                return Ok((None, expired));
            };
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
            tx.put(Some(&previous), &job)?;
            let input = tx.input(&job.id)?;
            Ok((Some(TakenJob { job, input }), expired))
        })?;
        self.record_expired(&expired);
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
        self.store.write(|tx| {
            let previous = tx.job(id)?.ok_or(Error::JobNotFound(*id))?;
            let lease = held_lease(&previous, agent_id)?;
            if lease.deadline_ms < now {
                return Err(lease_lost(
                    &previous,
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
            job.last_lease = Some(lease.clone());
            tx.put(Some(&previous), &job)?;
            Ok(lease)
        })
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
        let proving_ms = self.store.write(|tx| {
            let previous = tx.job(id)?.ok_or(Error::JobNotFound(*id))?;
            let taken_ms = match previous.status {
                JobStatus::Proven if previous.result.as_ref() == Some(&result) => return Ok(None),
                JobStatus::Proven => return Err(Error::AlreadyProven(*id)),
                JobStatus::Failed => {
                    return Err(Error::JobFinal {
                        id: *id,
                        status: JobStatus::Failed,
                    })
                }
                JobStatus::Proving => held_lease(&previous, agent_id)?.taken_ms,
                JobStatus::Queued => match &previous.last_lease {
                    Some(lease) if lease.agent_id == agent_id => lease.taken_ms,
                    _ => {
                        return Err(lease_lost(
                            &previous,
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
            tx.put(Some(&previous), &job)?;
            Ok(Some(now.saturating_sub(taken_ms)))
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
        let job = self.store.write(|tx| {
            let previous = tx.job(id)?.ok_or(Error::JobNotFound(*id))?;
            held_lease(&previous, agent_id)?;
            let job = self.fail_attempt(&previous, format!("agent {agent_id}: {error}"));
            tx.put(Some(&previous), &job)?;
            Ok(job)
        })?;
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
        let requeued = self.store.write(|tx| {
            let previous = tx.job(id)?.ok_or(Error::JobNotFound(*id))?;
            if held_lease(&previous, agent_id).is_err() {
                return Ok(false);
            }
            let mut job = previous.clone();
            job.status = JobStatus::Queued;
            job.lease = None;
            job.attempts = job.attempts.saturating_sub(1);
            job.error = Some(format!("agent {agent_id}: {refused}"));
            tx.put(Some(&previous), &job)?;
            Ok(true)
        })?;
        self.metrics.record(Event::ResultRejected);
        tracing::warn!(id = %id, agent = agent_id, requeued, error = %refused, "result rejected");
        Ok(())
    }

    /// Queues the `failed` job `id` again with a new generation of attempts (see the module
    /// docs); any other job is returned as it is.
    pub fn retry(&self, id: &JobId) -> Result<JobRecord> {
        let (job, retried) = self.store.write(|tx| {
            let previous = tx.job(id)?.ok_or(Error::JobNotFound(*id))?;
            if previous.status != JobStatus::Failed {
                return Ok((previous, false));
            }
            let mut job = previous.clone();
            job.status = JobStatus::Queued;
            job.attempts = 0;
            job.generation += 1;
            job.lease = None;
            tx.put(Some(&previous), &job)?;
            Ok((job, true))
        })?;
        if retried {
            self.metrics.record(Event::Retried);
            tracing::info!(id = %id, generation = job.generation, "failed job queued again");
        }
        Ok(job)
    }

    /// Sends every job whose lease ran out back to the queue (or to `failed`); returns them.
    pub fn expire_leases(&self) -> Result<Vec<JobRecord>> {
        let now = self.now();
        if !self.store.has_work(now)? {
            return Ok(Vec::new());
        }
        let expired = self.store.write(|tx| self.expire_in(tx, now))?;
        self.record_expired(&expired);
        Ok(expired)
    }

    /// The metrics in Prometheus text format.
    pub fn render_metrics(&self) -> Result<String> {
        let counts = self.store.status_counts()?;
        let timeout = self.policy.job_timeout_ms();
        Ok(self.metrics.render(counts, self.now(), timeout))
    }

    /// Expires the overdue leases inside `tx`.
    fn expire_in(&self, tx: &StoreTx, now: u64) -> Result<Vec<JobRecord>> {
        let mut expired = Vec::new();
        for id in tx.expired_leases(now)? {
            let previous = tx.job(&id)?.ok_or(Error::JobNotFound(id))?;
            let reason = match &previous.lease {
                Some(lease) => format!(
                    "lease of agent {} expired at {} ms without a heartbeat",
                    lease.agent_id, lease.deadline_ms
                ),
                None => "proving without a lease".to_owned(),
            };
            let job = self.fail_attempt(&previous, reason);
            tx.put(Some(&previous), &job)?;
            expired.push(job);
        }
        Ok(expired)
    }

    /// Counts and logs expired leases.
    fn record_expired(&self, expired: &[JobRecord]) {
        for job in expired {
            self.metrics.record(Event::AttemptFailed {
                expired: true,
                final_: job.status == JobStatus::Failed,
            });
            tracing::warn!(id = %job.id, attempts = job.attempts, status = %job.status, "lease expired");
        }
    }

    /// `job` after a failed attempt: queued again, or failed when out of attempts.
    fn fail_attempt(&self, job: &JobRecord, reason: String) -> JobRecord {
        let mut job = job.clone();
        job.status = if job.attempts >= self.policy.max_attempts {
            JobStatus::Failed
        } else {
            JobStatus::Queued
        };
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
    use crate::testing::{fake_result, witness_bytes, TestKeys};

    const TIMEOUT_MS: u64 = 1_000;

    /// A broker on a fresh store whose clock the test moves, checking results against
    /// [`TestKeys`].
    struct Fixture {
        dir: tempfile::TempDir,
        now: Arc<AtomicU64>,
        keys: Arc<TestKeys>,
        broker: Broker,
    }

    impl Fixture {
        fn new(max_attempts: u32) -> Self {
            let dir = tempfile::tempdir().unwrap();
            let now = Arc::new(AtomicU64::new(1_000_000));
            let keys = Arc::new(TestKeys::new());
            let broker = open(dir.path(), max_attempts, &now, &keys);
            Self {
                dir,
                now,
                keys,
                broker,
            }
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

    fn open(dir: &Path, max_attempts: u32, now: &Arc<AtomicU64>, keys: &Arc<TestKeys>) -> Broker {
        let policy = JobPolicy {
            job_timeout: Duration::from_millis(TIMEOUT_MS),
            max_attempts,
            ..JobPolicy::default()
        };
        let now = Arc::clone(now);
        let keys: Arc<dyn VerifyingKeys> = keys.clone();
        Broker::with_clock(
            dir,
            policy,
            keys,
            Arc::new(move || now.load(Ordering::SeqCst)),
        )
        .unwrap()
    }

    #[test]
    fn enqueue_is_idempotent_and_never_resets_a_job() {
        let f = Fixture::new(3);
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

    #[test]
    fn enqueue_rejects_bad_and_oversized_inputs() {
        let f = Fixture::new(3);
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

    #[test]
    fn a_job_names_its_payee_and_each_payee_is_its_own_job() {
        let f = Fixture::new(3);
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

    #[test]
    fn takes_lowest_epoch_first_then_oldest() {
        let f = Fixture::new(3);
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

    #[test]
    fn a_requeued_job_keeps_its_place() {
        let f = Fixture::new(3);
        let old = f.enqueue(1, 1);
        let young = f.enqueue(1, 2);
        assert_eq!(f.take("a").unwrap().id, old.id);
        f.broker.fail("a", &old.id, "out of memory").unwrap();
        assert_eq!(f.take("a").unwrap().id, old.id, "older than `young`");
        assert_eq!(f.take("a").unwrap().id, young.id);
    }

    #[test]
    fn expired_lease_requeues_and_counts_the_attempt() {
        let f = Fixture::new(3);
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

    #[test]
    fn a_late_result_is_refused_once_another_agent_took_the_job() {
        let f = Fixture::new(3);
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

    #[test]
    fn max_attempts_then_failed_for_good() {
        let f = Fixture::new(2);
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

    #[test]
    fn a_proven_result_is_never_replaced() {
        let f = Fixture::new(3);
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

    #[test]
    fn results_must_prove_the_jobs_statement() {
        let f = Fixture::new(3);
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
    #[test]
    fn a_forged_proof_is_refused_and_spends_no_attempt() {
        let f = Fixture::new(1);
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
    #[test]
    fn a_failed_job_is_retried_with_a_new_generation() {
        let f = Fixture::new(1);
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

    #[test]
    fn reopening_the_store_keeps_every_job_and_lease() {
        let f = Fixture::new(3);
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
            dir,
            now,
            keys,
            broker,
        } = f;
        drop(broker);

        let broker = open(dir.path(), 3, &now, &keys);
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
}
