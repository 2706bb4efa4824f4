//! The PostgreSQL job store, through sqlx: the database is the source of truth, so any number
//! of brokers on one database serve the same agents. Tables in `postgres.sql`.
//!
//! Each operation is one transaction. A take locks the first queued job in take order with
//! `SELECT … FOR UPDATE SKIP LOCKED`: a job another broker is leasing at that moment is
//! skipped, never handed out twice. Changes of one job lock its row (`FOR UPDATE`), so they
//! happen one after the other; an enqueue relies on the primary key (`ON CONFLICT DO
//! NOTHING`). Lease deadlines are stored, so whichever broker passes a deadline first expires
//! the lease. Job counts are one row updated last in each transaction (one lock, always taken
//! last: no deadlock).
//!
//! sqlx is async and the broker's methods block (they run on blocking threads, like the redb
//! store's fsyncs): the store owns a one-thread tokio runtime that drives the connection pool,
//! and each method waits for its transaction on it.

use std::{future::Future, str::FromStr, time::Duration};

use fernet_broker_api::{JobId, JobKind};
use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions, PgRow},
    Connection, PgConnection, PgPool, Row,
};
use tokio::runtime::Runtime;

use super::{count_change, lease_deadline, Change, JobStore, Transition, Updated};
use crate::{
    broker::{Enqueued, TakenJob},
    error::{Error, Result},
    job::JobRecord,
};

/// The tables, indexes, sequence and counts row (idempotent).
const SCHEMA: &str = include_str!("postgres.sql");

/// Key of the advisory lock brokers take while creating the tables ("fernet" in ASCII).
const SCHEMA_LOCK: i64 = 0x6665_726e_6574;

/// Connections each broker keeps at most (the RPC server serves up to
/// [`crate::rpc::MAX_CONNECTIONS`] requests at once; the rest wait for a connection).
const MAX_CONNECTIONS: u32 = 16;

/// How long a request waits for a free connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Columns a job is read from.
const RECORD: &str = "id, record::text AS record";

/// The PostgreSQL job store.
pub(crate) struct PostgresStore {
    /// The pool and the runtime driving it; `None` only while dropping.
    inner: Option<(PgPool, Runtime)>,
    location: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        if let Some((pool, runtime)) = self.inner.take() {
            // Connections close on the store's runtime; dropping it must not block (the store
            // may be dropped inside an async task).
            {
                let _runtime = runtime.enter();
                drop(pool);
            }
            runtime.shutdown_background();
        }
    }
}

impl PostgresStore {
    /// Connects to the database at `url` and creates the tables if they are missing. Blocks:
    /// call it outside async code (or on a blocking thread).
    pub(crate) fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(postgres("parse the database URL"))?
            .application_name("fernet-broker");
        let location = format!(
            "PostgreSQL database {} on {}:{}",
            options.get_database().unwrap_or("(the user's)"),
            options.get_host(),
            options.get_port()
        );
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("broker-postgres")
            .enable_all()
            .build()
            .map_err(Error::StoreRuntime)?;
        let pool = runtime.block_on(async {
            // One connection first, for the schema: a refused connection fails at once with
            // its cause (a pool would retry until its timeout, then say only that).
            let mut connection = PgConnection::connect_with(&options)
                .await
                .map_err(postgres("connect"))?;
            let mut tx = connection.begin().await.map_err(postgres("begin"))?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(SCHEMA_LOCK)
                .execute(&mut *tx)
                .await
                .map_err(postgres("lock the schema"))?;
            sqlx::raw_sql(SCHEMA)
                .execute(&mut *tx)
                .await
                .map_err(postgres("create the tables"))?;
            tx.commit().await.map_err(postgres("create the tables"))?;
            connection.close().await.map_err(postgres("connect"))?;
            Ok(PgPoolOptions::new()
                .max_connections(MAX_CONNECTIONS)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_lazy_with(options))
        });
        match pool {
            Ok(pool) => Ok(Self {
                inner: Some((pool, runtime)),
                location,
            }),
            Err(error) => {
                runtime.shutdown_background();
                Err(error)
            }
        }
    }

    /// Runs `body` in one transaction and waits for it: committed if it returns `Ok`, rolled
    /// back before this returns otherwise. (A transaction only dropped is rolled back later, by
    /// a task of the pool: its row locks would outlive the call, and a take meanwhile would
    /// skip those jobs.)
    fn transaction<T>(&self, body: impl AsyncFnOnce(&mut PgConnection) -> Result<T>) -> Result<T> {
        self.run(|pool| async move {
            let mut tx = pool.begin().await.map_err(postgres("begin"))?;
            match body(&mut tx).await {
                Ok(value) => {
                    tx.commit().await.map_err(postgres("commit"))?;
                    Ok(value)
                }
                Err(error) => {
                    // The error that stopped the transaction is the one to report; a failed
                    // rollback means a broken connection, which the pool closes.
                    if let Err(rollback) = tx.rollback().await {
                        tracing::warn!(%rollback, "rollback failed");
                    }
                    Err(error)
                }
            }
        })
    }

    /// Runs `work` on the pool and waits for it.
    fn run<'a, T, F>(&'a self, work: impl FnOnce(&'a PgPool) -> F) -> Result<T>
    where
        F: Future<Output = Result<T>> + 'a,
    {
        let (pool, runtime) = self
            .inner
            .as_ref()
            .expect("the pool lives until the store is dropped");
        runtime.block_on(work(pool))
    }
}

impl JobStore for PostgresStore {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn job(&self, id: &JobId) -> Result<Option<JobRecord>> {
        self.run(|pool| async move {
            let row = sqlx::query(&format!("SELECT {RECORD} FROM jobs WHERE id = $1"))
                .bind(&id.0[..])
                .fetch_optional(pool)
                .await
                .map_err(postgres("read a job"))?;
            row.as_ref().map(record).transpose()
        })
    }

    fn input(&self, id: &JobId) -> Result<Option<Vec<u8>>> {
        self.run(|pool| async move {
            sqlx::query_scalar("SELECT input FROM job_inputs WHERE id = $1")
                .bind(&id.0[..])
                .fetch_optional(pool)
                .await
                .map_err(postgres("read an input"))
        })
    }

    fn insert(
        &self,
        id: &JobId,
        input: &[u8],
        new: &mut dyn FnMut(u64) -> JobRecord,
    ) -> Result<Enqueued> {
        // A known job is returned as it is. Twice at most: retention may delete the job
        // between the conflict and the read.
        for _ in 0..2 {
            let new = &mut *new;
            let created = self.transaction(async move |tx| {
                let seq: i64 = sqlx::query_scalar("SELECT nextval('job_seq')")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(postgres("number a job"))?;
                let job = new(u64::try_from(seq).unwrap_or_default());
                let inserted = sqlx::query(
                    "INSERT INTO jobs (id, kind, epoch, seq, status, lease_deadline_ms, \
                     finished_ms, record) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::json) \
                     ON CONFLICT (id) DO NOTHING",
                )
                .bind(&id.0[..])
                .bind(job.kind.as_str())
                .bind(sortable(job.epoch))
                .bind(seq)
                .bind(job.status.as_str())
                .bind(lease_deadline(&job).map(sortable))
                .bind(job.finished_ms.map(sortable))
                .bind(encode(&job)?)
                .execute(&mut *tx)
                .await
                .map_err(postgres("insert a job"))?
                .rows_affected();
                if inserted == 0 {
                    return Ok(None);
                }
                sqlx::query("INSERT INTO job_inputs (id, input) VALUES ($1, $2)")
                    .bind(&id.0[..])
                    .bind(input)
                    .execute(&mut *tx)
                    .await
                    .map_err(postgres("insert an input"))?;
                add_counts(&mut *tx, count_change(None, Some(&job))).await?;
                Ok(Some(job))
            })?;
            if let Some(job) = created {
                return Ok(Enqueued { job, created: true });
            }
            if let Some(job) = self.job(id)? {
                return Ok(Enqueued {
                    job,
                    created: false,
                });
            }
        }
        Err(Error::JobNotFound(*id))
    }

    fn update(&self, id: &JobId, change: Change<'_>) -> Result<Updated> {
        self.transaction(async move |tx| {
            let row = sqlx::query(&format!(
                "SELECT {RECORD} FROM jobs WHERE id = $1 FOR UPDATE"
            ))
            .bind(&id.0[..])
            .fetch_optional(&mut *tx)
            .await
            .map_err(postgres("lock a job"))?;
            let previous = record(&row.ok_or(Error::JobNotFound(*id))?)?;
            // An error rolls back.
            let job = change(&previous)?;
            if let Some(job) = &job {
                write(&mut *tx, &previous, job).await?;
                add_counts(&mut *tx, count_change(Some(&previous), Some(job))).await?;
            }
            Ok(Updated { previous, job })
        })
    }

    fn take(&self, kinds: &[JobKind], lease: Transition<'_>) -> Result<Option<TakenJob>> {
        let kinds: Vec<&str> = kinds.iter().map(|kind| kind.as_str()).collect();
        self.transaction(async move |tx| {
            let row = sqlx::query(&format!(
                "SELECT {RECORD} FROM jobs WHERE status = 'queued' AND kind = ANY($1) \
                 ORDER BY epoch, seq LIMIT 1 FOR UPDATE SKIP LOCKED"
            ))
            .bind(kinds)
            .fetch_optional(&mut *tx)
            .await
            .map_err(postgres("lock a queued job"))?;
            let Some(row) = row else {
                return Ok(None);
            };
            let previous = record(&row)?;
            let job = lease(&previous);
            write(&mut *tx, &previous, &job).await?;
            let input: Vec<u8> = sqlx::query_scalar("SELECT input FROM job_inputs WHERE id = $1")
                .bind(&job.id.0[..])
                .fetch_optional(&mut *tx)
                .await
                .map_err(postgres("read an input"))?
                .ok_or(Error::JobNotFound(job.id))?;
            add_counts(&mut *tx, count_change(Some(&previous), Some(&job))).await?;
            Ok(Some(TakenJob { job, input }))
        })
    }

    fn expire(&self, now_ms: u64, expire: Transition<'_>) -> Result<Vec<JobRecord>> {
        self.transaction(async move |tx| {
            let rows = sqlx::query(&format!(
                "SELECT {RECORD} FROM jobs WHERE status = 'proving' AND lease_deadline_ms < $1 \
                 FOR UPDATE SKIP LOCKED"
            ))
            .bind(sortable(now_ms))
            .fetch_all(&mut *tx)
            .await
            .map_err(postgres("lock expired leases"))?;
            if rows.is_empty() {
                return Ok(Vec::new());
            }
            let mut expired = Vec::with_capacity(rows.len());
            let mut counts = [0; 4];
            for row in &rows {
                let previous = record(row)?;
                let job = expire(&previous);
                write(&mut *tx, &previous, &job).await?;
                let change = count_change(Some(&previous), Some(&job));
                counts.iter_mut().zip(change).for_each(|(sum, c)| *sum += c);
                expired.push(job);
            }
            add_counts(&mut *tx, counts).await?;
            Ok(expired)
        })
    }

    fn purge(&self, before_ms: u64, limit: u64) -> Result<u64> {
        self.transaction(async move |tx| {
            // Inputs go with their jobs (ON DELETE CASCADE).
            let rows = sqlx::query(&format!(
                "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE finished_ms < $1 \
                 ORDER BY finished_ms LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING {RECORD}"
            ))
            .bind(sortable(before_ms))
            .bind(sortable(limit))
            .fetch_all(&mut *tx)
            .await
            .map_err(postgres("delete finished jobs"))?;
            if rows.is_empty() {
                return Ok(0);
            }
            let mut counts = [0; 4];
            for row in &rows {
                let change = count_change(Some(&record(row)?), None);
                counts.iter_mut().zip(change).for_each(|(sum, c)| *sum += c);
            }
            add_counts(&mut *tx, counts).await?;
            Ok(rows.len() as u64)
        })
    }

    fn status_counts(&self) -> Result<[u64; 4]> {
        self.run(|pool| async move {
            let row = sqlx::query("SELECT queued, proving, proven, failed FROM job_counts")
                .fetch_one(pool)
                .await
                .map_err(postgres("read the job counts"))?;
            let mut counts = [0; 4];
            for (index, count) in counts.iter_mut().enumerate() {
                let value: i64 = row
                    .try_get(index)
                    .map_err(postgres("read the job counts"))?;
                *count = u64::try_from(value).unwrap_or_default();
            }
            Ok(counts)
        })
    }
}

/// Writes `job` over `previous` (same id; kind, epoch and seq never change).
async fn write(tx: &mut PgConnection, previous: &JobRecord, job: &JobRecord) -> Result<()> {
    sqlx::query(
        "UPDATE jobs SET status = $2, lease_deadline_ms = $3, finished_ms = $4, \
         record = $5::json WHERE id = $1",
    )
    .bind(&previous.id.0[..])
    .bind(job.status.as_str())
    .bind(lease_deadline(job).map(sortable))
    .bind(job.finished_ms.map(sortable))
    .bind(encode(job)?)
    .execute(tx)
    .await
    .map_err(postgres("write a job"))?;
    Ok(())
}

/// Adds `change` to the counts row; the last statement of a transaction.
async fn add_counts(tx: &mut PgConnection, change: [i64; 4]) -> Result<()> {
    if change == [0; 4] {
        return Ok(());
    }
    sqlx::query(
        "UPDATE job_counts SET queued = queued + $1, proving = proving + $2, \
         proven = proven + $3, failed = failed + $4",
    )
    .bind(change[0])
    .bind(change[1])
    .bind(change[2])
    .bind(change[3])
    .execute(tx)
    .await
    .map_err(postgres("update the job counts"))?;
    Ok(())
}

/// The job of a row of [`RECORD`] columns.
fn record(row: &PgRow) -> Result<JobRecord> {
    let id: Vec<u8> = row.try_get("id").map_err(postgres("read a job id"))?;
    let text: String = row
        .try_get("record")
        .map_err(postgres("read a job record"))?;
    serde_json::from_str(&text).map_err(|source| Error::CorruptRecord {
        id: JobId(<[u8; 32]>::try_from(id.as_slice()).unwrap_or_default()),
        source,
    })
}

/// `job` as stored in the `record` column.
fn encode(job: &JobRecord) -> Result<String> {
    serde_json::to_string(job).map_err(|source| Error::CorruptRecord { id: job.id, source })
}

/// `value` as a `bigint` that sorts like it: values past `i64::MAX` (no real epoch, time or
/// limit) sort as `i64::MAX`. The record keeps the exact value.
fn sortable(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Wraps a sqlx error with what the store was doing.
fn postgres(action: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |source| Error::Postgres { action, source }
}
