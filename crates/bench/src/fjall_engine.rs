//! A [fjall](https://docs.rs/fjall) (LSM-tree) implementation of [`Engine`], for the engine
//! decision bench.
//!
//! One fjall database directory with one keyspace. The configuration is the one Basalt would
//! use, and the one that makes it comparable with the redb engine:
//! - [`Engine::write`] commits one fjall write batch (atomic, applied to the memtable and
//!   appended to fjall's journal) **without** persisting the journal: the database is opened with
//!   `manual_journal_persist`, and batches carry no persist mode, so a batch costs no `write(2)`
//!   or `fsync`. This matches the redb engine's non-durable commits: Basalt's own commit log
//!   makes batches durable.
//! - [`Engine::sync`] is `persist(PersistMode::SyncAll)`: the journal is flushed and fsynced, so
//!   every batch written before it survives a crash; fjall replays its journal on open.
//! - Everything else is fjall's default (LZ4 block compression, 32 MiB block cache, background
//!   flush and compaction workers).
//!
//! # What a crash leaves
//! fjall recovers the journal up to its last intact record and drops a torn tail. Because the
//! journal is only fsynced by [`Engine::sync`], the state after a crash contains every batch up
//! to the last sync and possibly some later ones (those the operating system happened to write
//! out), each batch whole or not at all. That satisfies the engine contract, which promises
//! nothing about batches after the last sync.
//!
//! Scans and snapshots read through fjall snapshots (a sequence number held open): fjall's plain
//! keyspace iterators read whatever is newest as they advance, which would break the engine's
//! rule that a scan reads one consistent state. fjall's iterators own their data, so they
//! borrow nothing from the engine.

use std::path::{Path, PathBuf};

use basalt_storage::{
    Direction, Engine, KeyRange, KvPair, Result, ScanIter, Snapshot, StorageError, WriteBatch,
    WriteOp,
};
use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode, Readable};

const KEYSPACE: &str = "basalt_kv";

/// An ordered key-value engine stored in one fjall database directory.
pub struct FjallEngine {
    db: Database,
    keyspace: Keyspace,
    path: PathBuf,
}

impl std::fmt::Debug for FjallEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FjallEngine")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl FjallEngine {
    /// Opens (or creates) the fjall database in directory `dir`.
    pub fn open(dir: &Path) -> Result<FjallEngine> {
        let db = Database::builder(dir)
            .manual_journal_persist(true)
            .open()
            .map_err(from_fjall)?;
        let keyspace = db
            .keyspace(KEYSPACE, KeyspaceCreateOptions::default)
            .map_err(from_fjall)?;
        Ok(FjallEngine {
            db,
            keyspace,
            path: dir.to_path_buf(),
        })
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the memtable out as a table and waits for it, so that reads go to disk tables
    /// rather than the in-memory skiplist (the steady state of a large database).
    pub fn flush(&self) -> Result<()> {
        self.keyspace.rotate_memtable_and_wait().map_err(from_fjall)
    }

    /// Compacts every table into the last level (where fjall compresses), and waits.
    pub fn compact(&self) -> Result<()> {
        self.keyspace.major_compact().map_err(from_fjall)
    }

    /// Bytes on disk: journals plus tables, as fjall counts them.
    pub fn disk_space(&self) -> Result<u64> {
        self.db.disk_space().map_err(from_fjall)
    }
}

/// Maps a fjall error into a [`StorageError`].
fn from_fjall(e: fjall::Error) -> StorageError {
    use fjall::LsmError;
    match e {
        fjall::Error::Io(e) | fjall::Error::Storage(LsmError::Io(e)) => StorageError::Io(e),
        fjall::Error::Locked => StorageError::Locked {
            holder: "another fjall handle".into(),
        },
        fjall::Error::Storage(
            e @ (LsmError::ChecksumMismatch { .. }
            | LsmError::Decompress(_)
            | LsmError::InvalidTag(_)
            | LsmError::InvalidTrailer
            | LsmError::InvalidHeader(_)
            | LsmError::Unrecoverable),
        ) => StorageError::Corrupt(e.to_string()),
        e @ (fjall::Error::JournalRecovery(_)
        | fjall::Error::Decompress(_)
        | fjall::Error::InvalidTrailer
        | fjall::Error::InvalidTag(_)
        | fjall::Error::Unrecoverable) => StorageError::Corrupt(e.to_string()),
        e @ fjall::Error::InvalidVersion(_) => StorageError::Foreign(e.to_string()),
        other => StorageError::Engine(other.to_string()),
    }
}

fn pair(guard: fjall::Guard) -> Result<KvPair> {
    let (k, v) = guard.into_inner().map_err(from_fjall)?;
    Ok((k.to_vec(), v.to_vec()))
}

/// Turns a fjall iterator into a [`ScanIter`] in `direction` order.
fn scan_iter(iter: fjall::Iter, direction: Direction) -> ScanIter {
    match direction {
        Direction::Forward => Box::new(iter.map(pair)),
        Direction::Reverse => Box::new(iter.rev().map(pair)),
    }
}

impl Engine for FjallEngine {
    fn name(&self) -> &'static str {
        "fjall"
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self
            .keyspace
            .get(key)
            .map_err(from_fjall)?
            .map(|v| v.to_vec()))
    }

    fn scan(&self, range: KeyRange, direction: Direction) -> Result<ScanIter> {
        if range.is_empty() {
            return Ok(Box::new(std::iter::empty()));
        }
        // Through a snapshot: a plain keyspace iterator reads at the newest sequence number as
        // it goes, so it would see batches written while it is open (found by the smoke test).
        Ok(scan_iter(
            self.db
                .snapshot()
                .range::<Vec<u8>, _>(&self.keyspace, (range.start, range.end)),
            direction,
        ))
    }

    fn write(&self, batch: WriteBatch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut b = self.db.batch().durability(None);
        for op in batch.into_ops() {
            match op {
                WriteOp::Put(k, v) => b.insert(&self.keyspace, k, v),
                WriteOp::Delete(k) => b.remove(&self.keyspace, k),
            }
        }
        b.commit().map_err(from_fjall)
    }

    fn sync(&self) -> Result<()> {
        self.db.persist(PersistMode::SyncAll).map_err(from_fjall)
    }

    fn snapshot(&self) -> Result<Box<dyn Snapshot>> {
        Ok(Box::new(FjallSnapshot {
            snapshot: self.db.snapshot(),
            keyspace: self.keyspace.clone(),
        }))
    }
}

/// A fjall snapshot (a sequence number held open) of the keyspace.
struct FjallSnapshot {
    snapshot: fjall::Snapshot,
    keyspace: Keyspace,
}

impl Snapshot for FjallSnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self
            .snapshot
            .get(&self.keyspace, key)
            .map_err(from_fjall)?
            .map(|v| v.to_vec()))
    }

    fn scan(&self, range: KeyRange, direction: Direction) -> Result<ScanIter> {
        if range.is_empty() {
            return Ok(Box::new(std::iter::empty()));
        }
        Ok(scan_iter(
            self.snapshot
                .range::<Vec<u8>, _>(&self.keyspace, (range.start, range.end)),
            direction,
        ))
    }
}
