//! Where the broker keeps its jobs: the [`JobStore`] operations its rules are built from, and
//! the two backends that implement them, each change atomic and durable before it returns.
//!
//! - [`embedded`]: one redb file in the data directory (the default): one broker per store.
//! - [`postgres`]: a PostgreSQL database through sqlx (`BROKER_DATABASE_URL`): any number of
//!   broker replicas share it, and the database decides which of them leases a job.
//!
//! The backends store and index; the rules live in [`crate::broker`], passed in as closures that
//! turn a job's stored record into its next one, run inside the backend's transaction.

use std::path::PathBuf;

use fernet_broker_api::{JobId, JobKind, JobStatus};

use crate::{
    broker::{Enqueued, TakenJob},
    error::Result,
    job::JobRecord,
};

pub(crate) mod embedded;
pub(crate) mod postgres;

/// Which backend keeps the jobs.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// The embedded redb store, `broker.redb` in this directory (created if needed).
    Embedded {
        /// The data directory (`DATA_DIRECTORY`).
        data_dir: PathBuf,
    },
    /// A PostgreSQL database (`BROKER_DATABASE_URL`, `postgres://user:password@host:port/db`);
    /// its tables are created at start-up if missing.
    Postgres {
        /// The connection URL.
        url: String,
    },
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Embedded { data_dir } => f
                .debug_struct("Embedded")
                .field("data_dir", data_dir)
                .finish(),
            Self::Postgres { url } => f
                .debug_struct("Postgres")
                .field("url", &without_password(url))
                .finish(),
        }
    }
}

/// `url` with its password, if any, replaced by `***` (for logs).
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((user_info, host)) if user_info.contains(':') => {
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

/// A change of one job computed by the broker's rules from its stored record: the new record,
/// `None` to leave it as it is, or an error to refuse (nothing is written).
pub(crate) type Change<'a> = &'a mut dyn FnMut(&JobRecord) -> Result<Option<JobRecord>>;

/// A transition the rules always make (a lease handed out, a lease expired).
pub(crate) type Transition<'a> = &'a dyn Fn(&JobRecord) -> JobRecord;

/// The outcome of [`JobStore::update`].
#[derive(Debug)]
pub(crate) struct Updated {
    /// The record as it was.
    pub(crate) previous: JobRecord,
    /// The record written, if the change made one.
    pub(crate) job: Option<JobRecord>,
}

/// The operations of a job store. Every method is atomic: what it writes is committed before
/// it returns, or nothing is.
pub(crate) trait JobStore: Send + Sync {
    /// Where the jobs are, for logs (no secrets).
    fn location(&self) -> String;

    /// The job `id`, if known.
    fn job(&self, id: &JobId) -> Result<Option<JobRecord>>;

    /// The input of job `id`, if known.
    fn input(&self, id: &JobId) -> Result<Option<Vec<u8>>>;

    /// Stores the job `new(seq)` (with a fresh creation sequence number) and its `input`,
    /// unless job `id` is known: then it is returned as it is.
    fn insert(
        &self,
        id: &JobId,
        input: &[u8],
        new: &mut dyn FnMut(u64) -> JobRecord,
    ) -> Result<Enqueued>;

    /// Applies `change` to job `id` ([`crate::Error::JobNotFound`] if unknown); no other change
    /// of the job comes in between.
    fn update(&self, id: &JobId, change: Change<'_>) -> Result<Updated>;

    /// Hands the first queued job of one of `kinds` in take order (lowest epoch, then lowest
    /// sequence number) to `lease`, and returns it with its input. Never hands one job out
    /// twice, whatever other brokers on the same store do meanwhile.
    fn take(&self, kinds: &[JobKind], lease: Transition<'_>) -> Result<Option<TakenJob>>;

    /// Applies `expire` to every `proving` job whose lease deadline is before `now_ms`; returns
    /// the new records.
    fn expire(&self, now_ms: u64, expire: Transition<'_>) -> Result<Vec<JobRecord>>;

    /// Deletes at most `limit` jobs (and their inputs) finished before `before_ms`, oldest
    /// first; returns how many.
    fn purge(&self, before_ms: u64, limit: u64) -> Result<u64>;

    /// Number of jobs in each status, in [`JobStatus::ALL`] order, from counters kept with
    /// every change (not a scan).
    fn status_counts(&self) -> Result<[u64; 4]>;
}

/// Opens the store `config` names.
pub(crate) fn open(config: &StoreConfig) -> Result<Box<dyn JobStore>> {
    Ok(match config {
        StoreConfig::Embedded { data_dir } => Box::new(embedded::EmbeddedStore::open(data_dir)?),
        StoreConfig::Postgres { url } => Box::new(postgres::PostgresStore::connect(url)?),
    })
}

/// Position of `status` in [`JobStatus::ALL`] (and in the status counts).
pub(crate) fn status_index(status: JobStatus) -> usize {
    match status {
        JobStatus::Queued => 0,
        JobStatus::Proving => 1,
        JobStatus::Proven => 2,
        JobStatus::Failed => 3,
    }
}

/// How the counts change when `previous` (`None`: a new job) becomes `job` (`None`: deleted).
pub(crate) fn count_change(previous: Option<&JobRecord>, job: Option<&JobRecord>) -> [i64; 4] {
    let mut change = [0; 4];
    if let Some(previous) = previous {
        change[status_index(previous.status)] -= 1;
    }
    if let Some(job) = job {
        change[status_index(job.status)] += 1;
    }
    change
}

/// The lease deadline a `proving` job is indexed by (a proving job always has a lease; without
/// one it expires at once).
pub(crate) fn lease_deadline(job: &JobRecord) -> Option<u64> {
    (job.status == JobStatus::Proving)
        .then(|| job.lease.as_ref().map_or(0, |lease| lease.deadline_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_is_logged_without_its_password() {
        let config = StoreConfig::Postgres {
            url: "postgres://broker:s3cr@t@db:5432/jobs".into(),
        };
        assert_eq!(
            format!("{config:?}"),
            "Postgres { url: \"postgres://broker:***@db:5432/jobs\" }"
        );
        for url in ["postgres://broker@db/jobs", "postgres://db/jobs"] {
            assert_eq!(without_password(url), url);
        }
    }
}
