//! The durable job store: one redb file in the data directory. Each state change of the broker
//! is one write transaction, committed (fsynced) before the RPC answers, so a `kill -9` loses
//! nothing that was acknowledged.
//!
//! Tables: `jobs` (id → JSON [`JobRecord`]), `inputs` (id → raw input bytes, apart because
//! they can be large), and two indexes kept by [`StoreTx::put`]: `queue` ((epoch, seq) → id,
//! the queued jobs in take order) and `leases` (id → lease deadline, the jobs being proven).

use std::path::{Path, PathBuf};

use fernet_broker_api::{JobId, JobStatus};
use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction};

use crate::{
    error::{Error, Result},
    job::JobRecord,
};

/// Name of the store file inside the data directory.
pub(crate) const STORE_FILE: &str = "broker.redb";

const JOBS: TableDefinition<'_, &[u8; 32], &[u8]> = TableDefinition::new("jobs");
const INPUTS: TableDefinition<'_, &[u8; 32], &[u8]> = TableDefinition::new("inputs");
const QUEUE: TableDefinition<'_, (u64, u64), &[u8; 32]> = TableDefinition::new("queue");
const LEASES: TableDefinition<'_, &[u8; 32], u64> = TableDefinition::new("leases");
const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");
const NEXT_SEQ: &str = "next_seq";

/// The job store.
#[derive(Debug)]
pub(crate) struct JobStore {
    db: Database,
    path: PathBuf,
}

impl JobStore {
    /// Opens (or creates) the store in `dir`, creating the directory if needed.
    pub(crate) fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| Error::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(STORE_FILE);
        let db = Database::create(&path).map_err(|source| Error::OpenStore {
            path: path.clone(),
            source: Box::new(source),
        })?;
        let store = Self { db, path };
        // Create every table up front, so read transactions always find them.
        store.write(|tx| {
            tx.tx.open_table(JOBS)?;
            tx.tx.open_table(INPUTS)?;
            tx.tx.open_table(QUEUE)?;
            tx.tx.open_table(LEASES)?;
            tx.tx.open_table(META)?;
            Ok(())
        })?;
        Ok(store)
    }

    /// The redb file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `change` in one write transaction: committed if it returns `Ok`, rolled back
    /// (nothing written) if it returns `Err`.
    pub(crate) fn write<T>(&self, change: impl FnOnce(&StoreTx) -> Result<T>) -> Result<T> {
        let tx = StoreTx {
            tx: self.db.begin_write()?,
        };
        match change(&tx) {
            Ok(value) => {
                tx.tx.commit()?;
                Ok(value)
            }
            Err(error) => {
                tx.tx.abort()?;
                Err(error)
            }
        }
    }

    /// The job `id`, if known.
    pub(crate) fn job(&self, id: &JobId) -> Result<Option<JobRecord>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(JOBS)?;
        let record = table.get(&id.0)?;
        record.map(|bytes| decode(id, bytes.value())).transpose()
    }

    /// The input of job `id`, if known.
    pub(crate) fn input(&self, id: &JobId) -> Result<Option<Vec<u8>>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(INPUTS)?;
        let input = table.get(&id.0)?;
        Ok(input.map(|bytes| bytes.value().to_vec()))
    }

    /// Whether a job is queued or a lease ran out before `now_ms`: read-only, so idle polls
    /// and expiry passes skip the write transaction (and its fsync) when there is nothing to do.
    pub(crate) fn has_work(&self, now_ms: u64) -> Result<bool> {
        let tx = self.db.begin_read()?;
        if !tx.open_table(QUEUE)?.is_empty()? {
            return Ok(true);
        }
        for entry in tx.open_table(LEASES)?.iter()? {
            if entry?.1.value() < now_ms {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Number of jobs in each status, in [`JobStatus::ALL`] order.
    pub(crate) fn status_counts(&self) -> Result<[u64; 4]> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(JOBS)?;
        let mut counts = [0u64; 4];
        for entry in table.iter()? {
            let (key, value) = entry?;
            let record = decode(&JobId(*key.value()), value.value())?;
            counts[status_index(record.status)] += 1;
        }
        Ok(counts)
    }
}

/// Position of `status` in [`JobStatus::ALL`].
fn status_index(status: JobStatus) -> usize {
    match status {
        JobStatus::Queued => 0,
        JobStatus::Proving => 1,
        JobStatus::Proven => 2,
        JobStatus::Failed => 3,
    }
}

/// An open write transaction with the operations the broker's rules are built from.
pub(crate) struct StoreTx {
    tx: WriteTransaction,
}

impl StoreTx {
    /// The job `id`, if known.
    pub(crate) fn job(&self, id: &JobId) -> Result<Option<JobRecord>> {
        let table = self.tx.open_table(JOBS)?;
        let record = table.get(&id.0)?;
        record.map(|bytes| decode(id, bytes.value())).transpose()
    }

    /// Writes `job`, replacing `previous` (its record as read in this transaction, `None` for
    /// a new job), and moves it between the `queue` and `leases` indexes as its status says.
    pub(crate) fn put(&self, previous: Option<&JobRecord>, job: &JobRecord) -> Result<()> {
        let mut queue = self.tx.open_table(QUEUE)?;
        let mut leases = self.tx.open_table(LEASES)?;
        if let Some(previous) = previous {
            match previous.status {
                JobStatus::Queued => {
                    queue.remove((previous.epoch, previous.seq))?;
                }
                JobStatus::Proving => {
                    leases.remove(&previous.id.0)?;
                }
                JobStatus::Proven | JobStatus::Failed => {}
            }
        }
        match job.status {
            JobStatus::Queued => {
                queue.insert((job.epoch, job.seq), &job.id.0)?;
            }
            JobStatus::Proving => {
                // A proving job always has a lease; without one it would expire at once.
                let deadline = job.lease.as_ref().map_or(0, |lease| lease.deadline_ms);
                leases.insert(&job.id.0, deadline)?;
            }
            JobStatus::Proven | JobStatus::Failed => {}
        }
        let bytes = serde_json::to_vec(job)
            .map_err(|source| Error::CorruptRecord { id: job.id, source })?;
        self.tx
            .open_table(JOBS)?
            .insert(&job.id.0, bytes.as_slice())?;
        Ok(())
    }

    /// Stores the input of a new job.
    pub(crate) fn put_input(&self, id: &JobId, input: &[u8]) -> Result<()> {
        self.tx.open_table(INPUTS)?.insert(&id.0, input)?;
        Ok(())
    }

    /// The input of job `id`.
    pub(crate) fn input(&self, id: &JobId) -> Result<Vec<u8>> {
        let table = self.tx.open_table(INPUTS)?;
        let input = table.get(&id.0)?;
        input
            .map(|bytes| bytes.value().to_vec())
            .ok_or(Error::JobNotFound(*id))
    }

    /// A fresh creation sequence number.
    pub(crate) fn next_seq(&self) -> Result<u64> {
        let mut meta = self.tx.open_table(META)?;
        let seq = meta.get(NEXT_SEQ)?.map_or(0, |value| value.value());
        meta.insert(NEXT_SEQ, seq + 1)?;
        Ok(seq)
    }

    /// The first queued job, in take order (lowest epoch, then oldest), that `accept` takes.
    pub(crate) fn first_queued(
        &self,
        accept: impl Fn(&JobRecord) -> bool,
    ) -> Result<Option<JobRecord>> {
        let queue = self.tx.open_table(QUEUE)?;
        for entry in queue.iter()? {
            let (_, id) = entry?;
            let id = JobId(*id.value());
            let record = self.job(&id)?.ok_or(Error::JobNotFound(id))?;
            if accept(&record) {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    /// The jobs whose lease deadline is before `now_ms`.
    pub(crate) fn expired_leases(&self, now_ms: u64) -> Result<Vec<JobId>> {
        let leases = self.tx.open_table(LEASES)?;
        let mut expired = Vec::new();
        for entry in leases.iter()? {
            let (id, deadline) = entry?;
            if deadline.value() < now_ms {
                expired.push(JobId(*id.value()));
            }
        }
        Ok(expired)
    }
}

/// Decodes a stored record.
fn decode(id: &JobId, bytes: &[u8]) -> Result<JobRecord> {
    serde_json::from_slice(bytes).map_err(|source| Error::CorruptRecord { id: *id, source })
}
