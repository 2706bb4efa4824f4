//! The node's embedded store (redb, `<data dir>/node.redb`).
//!
//! The rollup's event log is the source of truth for the chain: every event the follower reads
//! is stored with its L1 block (number and hash), and blocks, bodies, claims, proven and pruned
//! markers and the tx index are folded from it ([`crate::chain::ChainState`]). Next to it, a
//! [`Checkpoint`]: the world state at the proven tip and the log position it covers, so a restart
//! or a reorg (which deletes the events above the common ancestor, and the checkpoint if it
//! covered any of them) folds the log without applying any block below the checkpoint again.
//! Next to the log: the follower's cursor, the transaction pool, the dropped transactions and
//! the quote pool. Every follower step commits in one write transaction ([`StepWrite`]).

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use alloy::primitives::B256;
use redb::{Database, ReadableTable, TableDefinition};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use fernet_primitives::SignedQuote;

use crate::{chain::EventRecord, tx::Tx, Error, Result};

/// `(l1 block, log index)` → event JSON.
const EVENTS: TableDefinition<(u64, u64), &str> = TableDefinition::new("events");
/// L1 block number → its hash, for the L1 blocks with events (reorg ancestor search).
const L1_HASHES: TableDefinition<u64, &[u8]> = TableDefinition::new("l1_hashes");
/// Single values (`cursor`).
const META: TableDefinition<&str, &str> = TableDefinition::new("meta");
/// Tx hash → tx JSON.
const POOL: TableDefinition<&[u8], &str> = TableDefinition::new("pool");
/// Tx hash → why it was dropped.
const DROPPED: TableDefinition<&[u8], &str> = TableDefinition::new("dropped");
/// `epoch (8 bytes BE) ‖ digest` → signed quote JSON.
const QUOTES: TableDefinition<&[u8], &str> = TableDefinition::new("quotes");
/// `"state"` → the checkpoint's world state ([`fernet_state::WorldState::to_checkpoint`]); its
/// position and block are `checkpoint` in [`META`].
const CHECKPOINT: TableDefinition<&str, &[u8]> = TableDefinition::new("checkpoint");

/// The world state at the proven tip, persisted so that restarts and reorgs replay only the
/// blocks after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Checkpoint {
    /// `(l1 block, log index)` of the last event folded into it.
    pub position: (u64, u64),
    /// The block it is the state after (the proven tip at `position`).
    pub block: u64,
    /// The world state ([`fernet_state::WorldState::to_checkpoint`]; not in the JSON record).
    #[serde(skip)]
    pub state: Vec<u8>,
}

/// The last L1 block the follower processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cursor {
    /// Its number.
    pub number: u64,
    /// Its hash (zero before the first step: nothing to check).
    pub hash: B256,
}

/// Everything the node keeps, as read at start-up.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The follower's cursor (`None`: never synced).
    pub cursor: Option<Cursor>,
    /// The event log, in L1 order.
    pub events: Vec<EventRecord>,
    /// The pooled transactions.
    pub pool: Vec<Tx>,
    /// Dropped transactions and why.
    pub dropped: HashMap<B256, String>,
    /// The pooled quotes.
    pub quotes: Vec<SignedQuote>,
}

/// What one follower step (or one pool change) writes, atomically.
#[derive(Debug, Default)]
pub struct StepWrite {
    /// Delete every event and L1 hash above this L1 block first (a reorg).
    pub rollback_above: Option<u64>,
    /// New events.
    pub events: Vec<EventRecord>,
    /// L1 block hashes to remember.
    pub l1_hashes: Vec<(u64, B256)>,
    /// The new cursor.
    pub cursor: Option<Cursor>,
    /// Transactions entering the pool.
    pub pool_insert: Vec<(B256, Tx)>,
    /// Transactions leaving the pool.
    pub pool_remove: Vec<B256>,
    /// Transactions now dropped, with why.
    pub dropped_insert: Vec<(B256, String)>,
    /// Transactions no longer dropped.
    pub dropped_remove: Vec<B256>,
    /// Quotes entering the pool, keyed by `(epoch, digest)`.
    pub quote_insert: Vec<((u64, B256), SignedQuote)>,
    /// Quotes leaving the pool.
    pub quote_remove: Vec<(u64, B256)>,
    /// A new checkpoint (the proven tip advanced).
    pub checkpoint: Option<Checkpoint>,
}

impl StepWrite {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.rollback_above.is_none()
            && self.events.is_empty()
            && self.l1_hashes.is_empty()
            && self.cursor.is_none()
            && self.pool_insert.is_empty()
            && self.pool_remove.is_empty()
            && self.dropped_insert.is_empty()
            && self.dropped_remove.is_empty()
            && self.quote_insert.is_empty()
            && self.quote_remove.is_empty()
            && self.checkpoint.is_none()
    }
}

/// The node's database.
#[derive(Debug)]
pub struct Store {
    db: Database,
    path: PathBuf,
}

fn quote_key(epoch: u64, digest: &B256) -> Vec<u8> {
    [&epoch.to_be_bytes()[..], &digest[..]].concat()
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("store records serialize")
}

fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|source| Error::Corrupt {
        what: what.to_owned(),
        source,
    })
}

impl Store {
    /// Opens (or creates) `<dir>/node.redb`, creating `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| Error::DataDir {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join("node.redb");
        let db = Database::create(&path).map_err(|e| store_error(&path, e))?;
        let store = Self { db, path };
        store.write(|txn| {
            txn.open_table(EVENTS)?;
            txn.open_table(L1_HASHES)?;
            txn.open_table(META)?;
            txn.open_table(POOL)?;
            txn.open_table(DROPPED)?;
            txn.open_table(QUOTES)?;
            txn.open_table(CHECKPOINT)?;
            Ok(())
        })?;
        Ok(store)
    }

    fn error(&self, error: impl Into<redb::Error>) -> Error {
        store_error(&self.path, error)
    }

    fn write(
        &self,
        f: impl FnOnce(&redb::WriteTransaction) -> std::result::Result<(), Failure>,
    ) -> Result<()> {
        debug_assert!(
            crate::blocking::may_block(),
            "store write on a tokio runtime worker: run it on the blocking pool"
        );
        let txn = self.db.begin_write().map_err(|e| self.error(e))?;
        f(&txn).map_err(|Failure(e)| self.error(*e))?;
        txn.commit().map_err(|e| self.error(e))
    }

    /// Reads everything.
    pub fn load(&self) -> Result<Loaded> {
        let txn = self.db.begin_read().map_err(|e| self.error(e))?;
        let mut loaded = Loaded::default();
        let meta = txn.open_table(META).map_err(|e| self.error(e))?;
        if let Some(cursor) = meta.get("cursor").map_err(|e| self.error(e))? {
            loaded.cursor = Some(from_json("cursor", cursor.value())?);
        }
        let events = txn.open_table(EVENTS).map_err(|e| self.error(e))?;
        for item in events.iter().map_err(|e| self.error(e))? {
            let (key, value) = item.map_err(|e| self.error(e))?;
            loaded.events.push(from_json(
                &format!("event {:?}", key.value()),
                value.value(),
            )?);
        }
        let pool = txn.open_table(POOL).map_err(|e| self.error(e))?;
        for item in pool.iter().map_err(|e| self.error(e))? {
            let (_, value) = item.map_err(|e| self.error(e))?;
            loaded.pool.push(from_json("pooled tx", value.value())?);
        }
        let dropped = txn.open_table(DROPPED).map_err(|e| self.error(e))?;
        for item in dropped.iter().map_err(|e| self.error(e))? {
            let (key, value) = item.map_err(|e| self.error(e))?;
            loaded
                .dropped
                .insert(B256::from_slice(key.value()), value.value().to_owned());
        }
        let quotes = txn.open_table(QUOTES).map_err(|e| self.error(e))?;
        for item in quotes.iter().map_err(|e| self.error(e))? {
            let (_, value) = item.map_err(|e| self.error(e))?;
            loaded.quotes.push(from_json("quote", value.value())?);
        }
        Ok(loaded)
    }

    /// The persisted checkpoint, if there is one.
    pub fn checkpoint(&self) -> Result<Option<Checkpoint>> {
        let txn = self.db.begin_read().map_err(|e| self.error(e))?;
        let meta = txn.open_table(META).map_err(|e| self.error(e))?;
        let Some(record) = meta.get("checkpoint").map_err(|e| self.error(e))? else {
            return Ok(None);
        };
        let mut checkpoint: Checkpoint = from_json("checkpoint", record.value())?;
        let table = txn.open_table(CHECKPOINT).map_err(|e| self.error(e))?;
        let Some(state) = table.get("state").map_err(|e| self.error(e))? else {
            return Ok(None);
        };
        checkpoint.state = state.value().to_vec();
        Ok(Some(checkpoint))
    }

    /// The remembered L1 block hashes, highest first.
    pub fn l1_hashes_desc(&self) -> Result<Vec<(u64, B256)>> {
        let txn = self.db.begin_read().map_err(|e| self.error(e))?;
        let table = txn.open_table(L1_HASHES).map_err(|e| self.error(e))?;
        let mut hashes = Vec::new();
        for item in table.iter().map_err(|e| self.error(e))?.rev() {
            let (key, value) = item.map_err(|e| self.error(e))?;
            hashes.push((key.value(), B256::from_slice(value.value())));
        }
        Ok(hashes)
    }

    /// The events up to L1 block `last` (inclusive), in order.
    pub fn events_up_to(&self, last: u64) -> Result<Vec<EventRecord>> {
        let txn = self.db.begin_read().map_err(|e| self.error(e))?;
        let table = txn.open_table(EVENTS).map_err(|e| self.error(e))?;
        let mut events = Vec::new();
        for item in table
            .range(..=(last, u64::MAX))
            .map_err(|e| self.error(e))?
        {
            let (key, value) = item.map_err(|e| self.error(e))?;
            events.push(from_json(
                &format!("event {:?}", key.value()),
                value.value(),
            )?);
        }
        Ok(events)
    }

    /// Writes one step atomically.
    pub fn commit(&self, step: &StepWrite) -> Result<()> {
        if step.is_empty() {
            return Ok(());
        }
        self.write(|txn| {
            let mut events = txn.open_table(EVENTS)?;
            let mut hashes = txn.open_table(L1_HASHES)?;
            if let Some(above) = step.rollback_above {
                let first = above.saturating_add(1);
                events.retain_in((first, 0)..=(u64::MAX, u64::MAX), |_, _| false)?;
                hashes.retain_in(first.., |_, _| false)?;
                // A checkpoint that folded a vanished event is gone with it.
                let mut meta = txn.open_table(META)?;
                let stale = match meta.get("checkpoint")? {
                    Some(record) => serde_json::from_str::<Checkpoint>(record.value())
                        .map_or(true, |checkpoint| checkpoint.position.0 > above),
                    None => false,
                };
                if stale {
                    meta.remove("checkpoint")?;
                    txn.open_table(CHECKPOINT)?.remove("state")?;
                }
            }
            for record in &step.events {
                events.insert(
                    (record.l1_block, record.log_index),
                    to_json(record).as_str(),
                )?;
            }
            for (number, hash) in &step.l1_hashes {
                hashes.insert(number, hash.as_slice())?;
            }
            if let Some(checkpoint) = &step.checkpoint {
                txn.open_table(META)?
                    .insert("checkpoint", to_json(checkpoint).as_str())?;
                txn.open_table(CHECKPOINT)?
                    .insert("state", checkpoint.state.as_slice())?;
            }
            if let Some(cursor) = &step.cursor {
                txn.open_table(META)?
                    .insert("cursor", to_json(cursor).as_str())?;
            }
            let mut pool = txn.open_table(POOL)?;
            for hash in &step.pool_remove {
                pool.remove(hash.as_slice())?;
            }
            for (hash, tx) in &step.pool_insert {
                pool.insert(hash.as_slice(), to_json(tx).as_str())?;
            }
            let mut dropped = txn.open_table(DROPPED)?;
            for hash in &step.dropped_remove {
                dropped.remove(hash.as_slice())?;
            }
            for (hash, reason) in &step.dropped_insert {
                dropped.insert(hash.as_slice(), reason.as_str())?;
            }
            let mut quotes = txn.open_table(QUOTES)?;
            for (epoch, digest) in &step.quote_remove {
                quotes.remove(quote_key(*epoch, digest).as_slice())?;
            }
            for ((epoch, digest), quote) in &step.quote_insert {
                quotes.insert(
                    quote_key(*epoch, digest).as_slice(),
                    to_json(quote).as_str(),
                )?;
            }
            Ok(())
        })
    }
}

/// A boxed redb error, so the closures of [`Store::write`] stay small.
struct Failure(Box<redb::Error>);

impl<E: Into<redb::Error>> From<E> for Failure {
    fn from(error: E) -> Self {
        Self(Box::new(error.into()))
    }
}

fn store_error(path: &Path, error: impl Into<redb::Error>) -> Error {
    Error::Store {
        path: path.to_owned(),
        source: Box::new(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainEvent;

    fn record(l1_block: u64, log_index: u64) -> EventRecord {
        EventRecord {
            l1_block,
            l1_block_hash: B256::with_last_byte(l1_block as u8),
            log_index,
            l1_tx: B256::ZERO,
            event: ChainEvent::ClaimCancelled { epoch: l1_block },
        }
    }

    #[test]
    fn a_checkpoint_persists_until_a_rollback_removes_an_event_it_folded() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.checkpoint().unwrap(), None);
        let checkpoint = Checkpoint {
            position: (7, 0),
            block: 3,
            state: vec![1, 2, 3],
        };
        store
            .commit(&StepWrite {
                events: vec![record(5, 0), record(7, 0)],
                checkpoint: Some(checkpoint.clone()),
                ..StepWrite::default()
            })
            .unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.checkpoint().unwrap(), Some(checkpoint.clone()));
        // A rollback above the checkpoint's position keeps it; one below removes it.
        let rollback = |above| StepWrite {
            rollback_above: Some(above),
            ..StepWrite::default()
        };
        store.commit(&rollback(7)).unwrap();
        assert_eq!(store.checkpoint().unwrap(), Some(checkpoint));
        store.commit(&rollback(6)).unwrap();
        assert_eq!(store.checkpoint().unwrap(), None);
    }

    #[test]
    fn steps_persist_and_rollback_truncates_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let tx: Tx = serde_json::from_str(r#"{"fee":"3","payer":"0x00000000000000000000000000000000000000aa","nullifiers":["0x1"]}"#).unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            store
                .commit(&StepWrite {
                    events: vec![record(5, 0), record(5, 1), record(7, 0), record(9, 2)],
                    l1_hashes: vec![(5, B256::with_last_byte(5)), (7, B256::with_last_byte(7))],
                    cursor: Some(Cursor {
                        number: 10,
                        hash: B256::with_last_byte(10),
                    }),
                    pool_insert: vec![(B256::with_last_byte(1), tx.clone())],
                    dropped_insert: vec![(B256::with_last_byte(2), "spent".into())],
                    ..StepWrite::default()
                })
                .unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let loaded = store.load().unwrap();
        assert_eq!(loaded.events.len(), 4);
        assert_eq!(loaded.cursor.unwrap().number, 10);
        assert_eq!(loaded.pool, vec![tx]);
        assert_eq!(loaded.dropped[&B256::with_last_byte(2)], "spent");
        assert_eq!(
            store
                .l1_hashes_desc()
                .unwrap()
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>(),
            vec![7, 5]
        );
        assert_eq!(store.events_up_to(7).unwrap().len(), 3);

        store
            .commit(&StepWrite {
                rollback_above: Some(5),
                cursor: Some(Cursor {
                    number: 5,
                    hash: B256::with_last_byte(5),
                }),
                pool_remove: vec![B256::with_last_byte(1)],
                ..StepWrite::default()
            })
            .unwrap();
        let loaded = store.load().unwrap();
        assert_eq!(loaded.events, vec![record(5, 0), record(5, 1)]);
        assert_eq!(loaded.cursor.unwrap().number, 5);
        assert!(loaded.pool.is_empty());
        assert_eq!(
            store.l1_hashes_desc().unwrap(),
            vec![(5, B256::with_last_byte(5))]
        );
    }
}
