//! The embedded job store: one redb file in the data directory. Each change is one write
//! transaction, committed (fsynced) before the RPC answers, so a `kill -9` loses nothing that
//! was acknowledged. redb locks the file: one broker per store.
//!
//! Tables: `jobs` (id → JSON [`JobRecord`]), `inputs` (id → raw input bytes, apart because
//! they can be large), three indexes kept by [`StoreTx::put`]: `queue` ((epoch, seq) → id, the
//! queued jobs in take order), `leases` (id → lease deadline, the jobs being proven) and
//! `finished` ((finished ms, id), for retention), and `meta`: the next sequence number, the
//! job count per status and the schema version.

use std::path::{Path, PathBuf};

use fernet_broker_api::{JobId, JobKind, JobStatus};
use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction};

use super::{count_change, lease_deadline, Change, JobStore, Transition, Updated};
use crate::{
    broker::{system_now_ms, Enqueued, TakenJob},
    error::{Error, Result},
    job::JobRecord,
};

/// Name of the store file inside the data directory.
pub(crate) const STORE_FILE: &str = "broker.redb";

const JOBS: TableDefinition<'_, &[u8; 32], &[u8]> = TableDefinition::new("jobs");
const INPUTS: TableDefinition<'_, &[u8; 32], &[u8]> = TableDefinition::new("inputs");
const QUEUE: TableDefinition<'_, (u64, u64), &[u8; 32]> = TableDefinition::new("queue");
const LEASES: TableDefinition<'_, &[u8; 32], u64> = TableDefinition::new("leases");
const FINISHED: TableDefinition<'_, (u64, &[u8; 32]), ()> = TableDefinition::new("finished");
const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");
const NEXT_SEQ: &str = "next_seq";
/// `meta` key of the schema version: absent before the `finished` index and the counts.
const SCHEMA: &str = "schema";
const SCHEMA_VERSION: u64 = 1;
/// `meta` keys of the job counts, in [`JobStatus::ALL`] order.
const COUNTS: [&str; 4] = ["jobs_queued", "jobs_proving", "jobs_proven", "jobs_failed"];

/// The redb job store.
#[derive(Debug)]
pub(crate) struct EmbeddedStore {
    db: Database,
    path: PathBuf,
}

impl EmbeddedStore {
    /// Opens (or creates) the store in `dir`, creating the directory if needed, and brings a
    /// store of an older schema up to date.
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
            tx.tx.open_table(FINISHED)?;
            tx.tx.open_table(META)?;
            tx.migrate(system_now_ms())
        })?;
        Ok(store)
    }

    /// Runs `change` in one write transaction: committed if it returns `Ok`, rolled back
    /// (nothing written) if it returns `Err`.
    fn write<T>(&self, change: impl FnOnce(&StoreTx) -> Result<T>) -> Result<T> {
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
}

impl JobStore for EmbeddedStore {
    fn location(&self) -> String {
        format!("redb file {}", self.path.display())
    }

    fn job(&self, id: &JobId) -> Result<Option<JobRecord>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(JOBS)?;
        let record = table.get(&id.0)?;
        record.map(|bytes| decode(id, bytes.value())).transpose()
    }

    fn input(&self, id: &JobId) -> Result<Option<Vec<u8>>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(INPUTS)?;
        let input = table.get(&id.0)?;
        Ok(input.map(|bytes| bytes.value().to_vec()))
    }

    fn insert(
        &self,
        id: &JobId,
        input: &[u8],
        new: &mut dyn FnMut(u64) -> JobRecord,
    ) -> Result<Enqueued> {
        self.write(|tx| {
            if let Some(job) = tx.job(id)? {
                return Ok(Enqueued {
                    job,
                    created: false,
                });
            }
            let job = new(tx.next_seq()?);
            tx.tx.open_table(INPUTS)?.insert(&id.0, input)?;
            tx.put(None, &job)?;
            Ok(Enqueued { job, created: true })
        })
    }

    fn update(&self, id: &JobId, change: Change<'_>) -> Result<Updated> {
        self.write(|tx| {
            let previous = tx.job(id)?.ok_or(Error::JobNotFound(*id))?;
            let job = change(&previous)?;
            if let Some(job) = &job {
                tx.put(Some(&previous), job)?;
            }
            Ok(Updated { previous, job })
        })
    }

    fn take(&self, kinds: &[JobKind], lease: Transition<'_>) -> Result<Option<TakenJob>> {
        // Read-only first: an idle poll skips the write transaction and its fsync.
        if self.db.begin_read()?.open_table(QUEUE)?.is_empty()? {
            return Ok(None);
        }
        self.write(|tx| {
            let Some(previous) = tx.first_queued(kinds)? else {
                return Ok(None);
            };
            let job = lease(&previous);
            tx.put(Some(&previous), &job)?;
            let input = tx
                .tx
                .open_table(INPUTS)?
                .get(&job.id.0)?
                .map(|bytes| bytes.value().to_vec())
                .ok_or(Error::JobNotFound(job.id))?;
            Ok(Some(TakenJob { job, input }))
        })
    }

    fn expire(&self, now_ms: u64, expire: Transition<'_>) -> Result<Vec<JobRecord>> {
        if expired_leases(&self.db.begin_read()?.open_table(LEASES)?, now_ms)?.is_empty() {
            return Ok(Vec::new());
        }
        self.write(|tx| {
            let overdue = expired_leases(&tx.tx.open_table(LEASES)?, now_ms)?;
            let mut expired = Vec::with_capacity(overdue.len());
            for id in overdue {
                let previous = tx.job(&id)?.ok_or(Error::JobNotFound(id))?;
                let job = expire(&previous);
                tx.put(Some(&previous), &job)?;
                expired.push(job);
            }
            Ok(expired)
        })
    }

    fn purge(&self, before_ms: u64, limit: u64) -> Result<u64> {
        let finished = self.db.begin_read()?.open_table(FINISHED)?;
        if finished_before(&finished, before_ms, limit)?.is_empty() {
            return Ok(0);
        }
        self.write(|tx| {
            let ids = finished_before(&tx.tx.open_table(FINISHED)?, before_ms, limit)?;
            for id in &ids {
                tx.delete(id)?;
            }
            Ok(ids.len() as u64)
        })
    }

    fn status_counts(&self) -> Result<[u64; 4]> {
        let tx = self.db.begin_read()?;
        let meta = tx.open_table(META)?;
        let mut counts = [0; 4];
        for (count, key) in counts.iter_mut().zip(COUNTS) {
            *count = meta.get(key)?.map_or(0, |value| value.value());
        }
        Ok(counts)
    }
}

/// At most `limit` jobs of the `finished` index finished before `before_ms`, oldest first.
fn finished_before(
    finished: &impl ReadableTable<(u64, &'static [u8; 32]), ()>,
    before_ms: u64,
    limit: u64,
) -> Result<Vec<JobId>> {
    let mut ids = Vec::new();
    for entry in finished.range((0, &[0; 32])..(before_ms, &[0; 32]))? {
        if ids.len() as u64 >= limit {
            break;
        }
        let (key, _) = entry?;
        ids.push(JobId(*key.value().1));
    }
    Ok(ids)
}

/// The jobs whose lease deadline is before `now_ms`.
fn expired_leases(
    leases: &impl ReadableTable<&'static [u8; 32], u64>,
    now_ms: u64,
) -> Result<Vec<JobId>> {
    let mut expired = Vec::new();
    for entry in leases.iter()? {
        let (id, deadline) = entry?;
        if deadline.value() < now_ms {
            expired.push(JobId(*id.value()));
        }
    }
    Ok(expired)
}

/// An open write transaction with the operations the store is built from.
struct StoreTx {
    tx: WriteTransaction,
}

impl StoreTx {
    /// The job `id`, if known.
    fn job(&self, id: &JobId) -> Result<Option<JobRecord>> {
        let table = self.tx.open_table(JOBS)?;
        let record = table.get(&id.0)?;
        record.map(|bytes| decode(id, bytes.value())).transpose()
    }

    /// Writes `job`, replacing `previous` (its record as read in this transaction, `None` for
    /// a new job): moves it between the indexes as its status says and updates the counts.
    fn put(&self, previous: Option<&JobRecord>, job: &JobRecord) -> Result<()> {
        if let Some(previous) = previous {
            self.unindex(previous)?;
        }
        if job.status == JobStatus::Queued {
            self.tx
                .open_table(QUEUE)?
                .insert((job.epoch, job.seq), &job.id.0)?;
        }
        if let Some(deadline) = lease_deadline(job) {
            self.tx.open_table(LEASES)?.insert(&job.id.0, deadline)?;
        }
        if let Some(finished_ms) = job.finished_ms {
            self.tx
                .open_table(FINISHED)?
                .insert((finished_ms, &job.id.0), ())?;
        }
        let bytes = serde_json::to_vec(job)
            .map_err(|source| Error::CorruptRecord { id: job.id, source })?;
        self.tx
            .open_table(JOBS)?
            .insert(&job.id.0, bytes.as_slice())?;
        self.add_counts(count_change(previous, Some(job)))
    }

    /// Deletes job `id`, its input and its index entries.
    fn delete(&self, id: &JobId) -> Result<()> {
        let previous = self.job(id)?.ok_or(Error::JobNotFound(*id))?;
        self.unindex(&previous)?;
        self.tx.open_table(JOBS)?.remove(&id.0)?;
        self.tx.open_table(INPUTS)?.remove(&id.0)?;
        self.add_counts(count_change(Some(&previous), None))
    }

    /// Removes `job`'s index entries.
    fn unindex(&self, job: &JobRecord) -> Result<()> {
        if job.status == JobStatus::Queued {
            self.tx.open_table(QUEUE)?.remove((job.epoch, job.seq))?;
        }
        if lease_deadline(job).is_some() {
            self.tx.open_table(LEASES)?.remove(&job.id.0)?;
        }
        if let Some(finished_ms) = job.finished_ms {
            self.tx
                .open_table(FINISHED)?
                .remove((finished_ms, &job.id.0))?;
        }
        Ok(())
    }

    /// Adds `change` to the job counts.
    fn add_counts(&self, change: [i64; 4]) -> Result<()> {
        let mut meta = self.tx.open_table(META)?;
        for (key, change) in COUNTS.into_iter().zip(change) {
            if change != 0 {
                let count = meta.get(key)?.map_or(0, |value| value.value());
                meta.insert(key, count.saturating_add_signed(change))?;
            }
        }
        Ok(())
    }

    /// A fresh creation sequence number.
    fn next_seq(&self) -> Result<u64> {
        let mut meta = self.tx.open_table(META)?;
        let seq = meta.get(NEXT_SEQ)?.map_or(0, |value| value.value());
        meta.insert(NEXT_SEQ, seq + 1)?;
        Ok(seq)
    }

    /// The first queued job of one of `kinds`, in take order (lowest epoch, then oldest).
    fn first_queued(&self, kinds: &[JobKind]) -> Result<Option<JobRecord>> {
        let queue = self.tx.open_table(QUEUE)?;
        for entry in queue.iter()? {
            let (_, id) = entry?;
            let id = JobId(*id.value());
            let record = self.job(&id)?.ok_or(Error::JobNotFound(id))?;
            if kinds.contains(&record.kind) {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    /// Brings a store written before schema version 1 up to date: finished jobs get a finish
    /// time (`now_ms`: retention starts at the upgrade) and the `finished` index, and the
    /// counts are computed once. A store at the current version is left as it is.
    fn migrate(&self, now_ms: u64) -> Result<()> {
        if self.tx.open_table(META)?.get(SCHEMA)?.is_some() {
            return Ok(());
        }
        let mut records = Vec::new();
        for entry in self.tx.open_table(JOBS)?.iter()? {
            let (key, value) = entry?;
            records.push(decode(&JobId(*key.value()), value.value())?);
        }
        let mut counts = [0u64; 4];
        for mut job in records {
            counts[super::status_index(job.status)] += 1;
            if matches!(job.status, JobStatus::Proven | JobStatus::Failed)
                && job.finished_ms.is_none()
            {
                job.finished_ms = Some(now_ms);
                let bytes = serde_json::to_vec(&job)
                    .map_err(|source| Error::CorruptRecord { id: job.id, source })?;
                self.tx
                    .open_table(JOBS)?
                    .insert(&job.id.0, bytes.as_slice())?;
                self.tx
                    .open_table(FINISHED)?
                    .insert((now_ms, &job.id.0), ())?;
            }
        }
        let mut meta = self.tx.open_table(META)?;
        for (key, count) in COUNTS.into_iter().zip(counts) {
            meta.insert(key, count)?;
        }
        meta.insert(SCHEMA, SCHEMA_VERSION)?;
        Ok(())
    }
}

/// Decodes a stored record.
fn decode(id: &JobId, bytes: &[u8]) -> Result<JobRecord> {
    serde_json::from_slice(bytes).map_err(|source| Error::CorruptRecord { id: *id, source })
}

#[cfg(test)]
mod tests {
    use fernet_broker_api::JobKind;

    use super::*;

    fn record(seed: u8, status: JobStatus) -> JobRecord {
        JobRecord {
            id: JobId([seed; 32]),
            kind: JobKind::Block,
            epoch: 1,
            seq: u64::from(seed),
            status,
            attempts: 1,
            generation: 0,
            lease: None,
            last_lease: None,
            result: None,
            error: None,
            created_ms: 1_000,
            finished_ms: None,
        }
    }

    /// A store written before retention (no schema version, counts or `finished` index; records
    /// without a finish time) is brought up to date once, when opened.
    #[test]
    fn an_old_store_gets_counts_and_finish_times_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let proven = record(1, JobStatus::Proven);
        let queued = record(2, JobStatus::Queued);
        {
            let db = Database::create(dir.path().join(STORE_FILE)).unwrap();
            let tx = db.begin_write().unwrap();
            {
                let mut jobs = tx.open_table(JOBS).unwrap();
                let mut inputs = tx.open_table(INPUTS).unwrap();
                for job in [&proven, &queued] {
                    let mut old = serde_json::to_value(job).unwrap();
                    old.as_object_mut().unwrap().remove("finishedMs");
                    let bytes = serde_json::to_vec(&old).unwrap();
                    jobs.insert(&job.id.0, bytes.as_slice()).unwrap();
                    inputs.insert(&job.id.0, &[7u8][..]).unwrap();
                }
                let mut queue = tx.open_table(QUEUE).unwrap();
                queue
                    .insert((queued.epoch, queued.seq), &queued.id.0)
                    .unwrap();
            }
            tx.commit().unwrap();
        }

        let opened_ms = system_now_ms();
        let store = EmbeddedStore::open(dir.path()).unwrap();
        assert_eq!(store.status_counts().unwrap(), [1, 0, 1, 0]);
        let finished = store.job(&proven.id).unwrap().unwrap().finished_ms.unwrap();
        assert!(finished >= opened_ms, "retention starts at the upgrade");
        assert_eq!(store.job(&queued.id).unwrap().unwrap().finished_ms, None);
        assert_eq!(store.purge(finished, 10).unwrap(), 0);
        assert_eq!(store.purge(finished + 1, 10).unwrap(), 1);
        assert_eq!(store.input(&proven.id).unwrap(), None);
        assert_eq!(store.status_counts().unwrap(), [1, 0, 0, 0]);
        drop(store);

        // Up to date: opening it again changes nothing.
        let store = EmbeddedStore::open(dir.path()).unwrap();
        assert_eq!(store.status_counts().unwrap(), [1, 0, 0, 0]);
        assert_eq!(
            store.job(&queued.id).unwrap().unwrap().status,
            JobStatus::Queued
        );
    }
}
