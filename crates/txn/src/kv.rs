//! The transactional key-value interface the SQL layer sees.
//!
//! [`TxnKv`] and [`Transaction`] say nothing about how an engine stores data, orders commits or
//! detects conflicts, so that the local engine ([`crate::LocalKv`]) and, later, a distributed
//! transactional key-value store can both sit under the same SQL layer.
//!
//! Semantics every implementation keeps (they are PostgreSQL's):
//! - A transaction reads from a snapshot. Under `ReadCommitted` a new snapshot is taken for each
//!   statement ([`Transaction::start_statement`]); under `RepeatableRead` and `Serializable` one
//!   snapshot, taken at the transaction's first read or write, serves the whole transaction.
//! - Writes are private until commit and visible to the writer's own later reads.
//! - Writing or locking a key takes a row lock held to the end of the transaction. A second
//!   writer waits; under `RepeatableRead`/`Serializable`, if the first writer commits, the second
//!   fails with a serialization failure (40001), PostgreSQL's "first updater wins".
//! - `Serializable` transactions additionally fail (40001) instead of committing a result that no
//!   serial order of the committed serializable transactions could produce.
//! - A failed call leaves the transaction usable for [`Transaction::rollback`] or rolling back to
//!   a savepoint; the caller (the SQL session) decides whether the whole transaction is aborted.

use std::time::Duration;

use basalt_storage::{Direction, KeyRange, KvPair};

use crate::Result;

/// A commit timestamp or snapshot timestamp. Versions with a commit timestamp at or below a
/// snapshot's timestamp are visible to it.
pub type Ts = u64;

/// Transaction isolation levels, as PostgreSQL defines them (READ UNCOMMITTED behaves as READ
/// COMMITTED there and is mapped to it by the SQL layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum IsolationLevel {
    /// A new snapshot per statement; no serialization failures on concurrent updates.
    #[default]
    ReadCommitted,
    /// Snapshot isolation: one snapshot per transaction, first updater wins.
    RepeatableRead,
    /// Serializable snapshot isolation.
    Serializable,
}

/// How a transaction starts.
#[derive(Debug, Clone, Default)]
pub struct TxnOptions {
    /// Isolation level.
    pub isolation: IsolationLevel,
    /// Whether writes are refused (25006).
    pub read_only: bool,
    /// How long to wait for a row lock before failing with 55P03; `None` takes the database's
    /// default, which waits for ever unless set (PostgreSQL's `lock_timeout = 0`).
    pub lock_timeout: Option<Duration>,
    /// Whether commit waits for the log to be on disk (`synchronous_commit`); `None` takes the
    /// database's default.
    pub synchronous_commit: Option<bool>,
    /// A flag that stops a row-lock wait with 57014 when raised (the SQL session's query
    /// cancel and statement timeout).
    pub interrupt: Option<basalt_common::Interrupt>,
}

impl TxnOptions {
    /// Options with the given isolation level and defaults otherwise.
    pub fn isolation(isolation: IsolationLevel) -> Self {
        TxnOptions {
            isolation,
            ..Default::default()
        }
    }
}

/// Row lock strength: `FOR SHARE` or `FOR UPDATE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockMode {
    /// Compatible with other shared locks (`SELECT ... FOR SHARE`).
    Shared,
    /// Compatible with nothing (`SELECT ... FOR UPDATE`, and every write).
    Exclusive,
}

/// What to do when a row lock is held by someone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockWait {
    /// Wait (up to the lock timeout; deadlocks are detected).
    Block,
    /// Fail at once with 55P03 (`NOWAIT`).
    NoWait,
    /// Give up on this row and report [`LockOutcome::Skipped`] (`SKIP LOCKED`).
    SkipLocked,
}

/// The result of [`Transaction::lock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockOutcome {
    /// The lock is held until the transaction ends.
    Locked,
    /// The row was locked by another transaction and `SKIP LOCKED` was asked.
    Skipped,
}

/// A savepoint inside a transaction, from [`Transaction::savepoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavepointId(pub(crate) u64);

impl SavepointId {
    /// A savepoint id that names no savepoint (for transactions that keep none).
    pub const NONE: SavepointId = SavepointId(u64::MAX);
}

/// What a successful commit reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitInfo {
    /// The commit timestamp, or `None` for a transaction that wrote nothing.
    pub commit_ts: Option<Ts>,
    /// Whether the commit was on disk when `commit` returned.
    pub durable: bool,
}

/// An iterator over key-value pairs read by a transaction.
pub type TxnScan = Box<dyn Iterator<Item = Result<KvPair>> + Send>;

/// A transactional, ordered key-value store.
pub trait TxnKv: Send + Sync {
    /// The transaction type.
    type Txn: Transaction;
    /// Starts a transaction.
    fn begin(&self, options: TxnOptions) -> Result<Self::Txn>;
    /// A view of the same store whose keys live in namespace `id` (one SQL database each);
    /// keys beginning with 0x00 stay shared by all namespaces ([`crate::namespace`]).
    fn namespace(&self, id: u32) -> Self
    where
        Self: Sized;
    /// The view without a namespace (its keys are stored as they are).
    fn root(&self) -> Self
    where
        Self: Sized;
    /// Removes the row versions no running or future snapshot can see (SQL `VACUUM`);
    /// `None` for a store that keeps no old versions.
    fn vacuum(&self) -> Result<Option<crate::GcStats>> {
        Ok(None)
    }
}

/// One transaction. Dropping it without committing rolls it back.
pub trait Transaction: Send {
    /// A number identifying the transaction among those running.
    fn id(&self) -> u64;
    /// The isolation level.
    fn isolation(&self) -> IsolationLevel;
    /// Marks the start of a new SQL statement: under READ COMMITTED the next read takes a fresh
    /// snapshot.
    fn start_statement(&mut self);
    /// The timestamp of the snapshot the next read uses (taking the snapshot if there is
    /// none yet). Two reads of a key this transaction has not written, at the same snapshot
    /// timestamp, see the same committed value, so a caller may reuse what it decoded from a
    /// read at that timestamp. `None` when the engine cannot promise that.
    fn snapshot_ts(&mut self) -> Option<Ts> {
        None
    }
    /// The value of `key` in this transaction's snapshot, with its own writes applied.
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// The newest committed value of `key` whatever the snapshot, with its own writes applied:
    /// what READ COMMITTED re-checks after locking a row that changed (PostgreSQL's
    /// EvalPlanQual), and what uniqueness checks need.
    fn get_latest(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// The pairs in `range` in this transaction's snapshot, with its own writes (made before
    /// this call) applied. The iterator does not see writes made after it was created.
    fn scan(&mut self, range: KeyRange, direction: Direction) -> Result<TxnScan>;
    /// The pairs in `range` (forward) as [`get_latest`] sees keys: the newest committed
    /// versions whatever the snapshot, with this transaction's own writes applied. What a
    /// uniqueness check over several keys needs (entries of a deferrable unique index).
    ///
    /// [`get_latest`]: Transaction::get_latest
    fn scan_latest(&mut self, range: KeyRange) -> Result<TxnScan>;
    /// About how many bytes the keys in `range` and their values take in the store, with
    /// this transaction's own writes in the range added. What SQL's `pg_relation_size`
    /// reports, so it need not be exact, but it must grow with the data. The local engine
    /// counts every stored version (those garbage collection has not removed yet too, as
    /// PostgreSQL's sizes count dead rows) from its storage layers, without reading at a
    /// snapshot. This default, for stores that cannot do better, sums the key and value
    /// lengths of a scan at the snapshot: exact for what the snapshot sees, at the cost of
    /// reading the range.
    fn approximate_size(&mut self, range: KeyRange) -> Result<u64> {
        let mut total = 0u64;
        for pair in self.scan(range, Direction::Forward)? {
            let (k, v) = pair?;
            total += (k.len() + v.len()) as u64;
        }
        Ok(total)
    }
    /// [`Transaction::approximate_size`] of every key namespace `id` owns (`None`: the root
    /// namespace's own keys; see [`crate::namespace`]), whichever namespace this transaction
    /// is in: the size of one SQL database. `None` when the store cannot tell (the default).
    fn namespace_size(&mut self, id: Option<u32>) -> Result<Option<u64>> {
        let _ = id;
        Ok(None)
    }
    /// Sets `key` to `value` (takes the row lock).
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<()>;
    /// Writes `value` at `key` unless the key holds a live value (the newest committed one, or
    /// this transaction's own write): then writes nothing and returns that value. Takes the
    /// exclusive row lock either way, so a concurrent inserter of the same key waits for this
    /// transaction to end, as a unique index makes PostgreSQL's inserters wait. Under REPEATABLE
    /// READ and SERIALIZABLE a version newer than the snapshot fails with 40001, as [`lock`]
    /// does. One lock, one read and one write-buffer lookup, which is what inserts need.
    ///
    /// [`lock`]: Transaction::lock
    ///
    /// Key and value are borrowed: the write buffer copies them (into its arena), so a
    /// caller can encode every row into the same buffers.
    fn put_new(&mut self, key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>> {
        self.lock(key, LockMode::Exclusive, LockWait::Block)?;
        if let Some(existing) = self.get_latest(key)? {
            return Ok(Some(existing));
        }
        self.put(key.to_vec(), value.to_vec())?;
        Ok(None)
    }
    /// Removes `key` (takes the row lock).
    fn delete(&mut self, key: Vec<u8>) -> Result<()>;
    /// Takes a row lock on `key` without writing (`SELECT ... FOR UPDATE/SHARE`). Under
    /// REPEATABLE READ and SERIALIZABLE, fails with 40001 if the row changed after the snapshot
    /// (and then does not keep the lock, so a retry checks again). Refused (25006) in a
    /// read-only transaction, as in PostgreSQL.
    fn lock(&mut self, key: &[u8], mode: LockMode, wait: LockWait) -> Result<LockOutcome>;
    /// Sets a savepoint.
    fn savepoint(&mut self) -> SavepointId;
    /// Undoes everything done after `savepoint` (which stays set), releasing the row locks taken
    /// after it.
    fn rollback_to_savepoint(&mut self, savepoint: SavepointId) -> Result<()>;
    /// Forgets `savepoint` and every savepoint set after it, keeping their changes.
    fn release_savepoint(&mut self, savepoint: SavepointId) -> Result<()>;
    /// Commits. On error nothing of the transaction is visible, now or after a restart, unless
    /// the error is [`crate::TxnError::Failed`] raised after the commit record was written, in
    /// which case recovery decides (as PostgreSQL after a crash during commit).
    fn commit(self) -> Result<CommitInfo>
    where
        Self: Sized;
    /// Rolls back.
    fn rollback(self)
    where
        Self: Sized;
}
