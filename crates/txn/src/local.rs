//! The local transaction engine: MVCC over an ordered key-value [`Engine`], with Basalt's own
//! commit log, group commit, row locks, serializable snapshot isolation, garbage collection,
//! checkpoints and crash recovery.
//!
//! # A transaction's life
//! 1. `begin` hands out a [`LocalTxn`] with no snapshot yet. Its first read or write takes one
//!    (the visible timestamp at that moment), as PostgreSQL takes its snapshot at the first
//!    statement; READ COMMITTED drops it at each [`Transaction::start_statement`].
//! 2. Reads go to the private write buffer first, then to the engine at the snapshot
//!    ([`crate::mvcc`]). SERIALIZABLE transactions record the keys and ranges they read.
//! 3. Writes take an exclusive row lock ([`crate::lock`]), check (REPEATABLE READ and
//!    SERIALIZABLE) that no version newer than the snapshot exists — else 40001 — and go to the
//!    write buffer, with an undo entry when savepoints are set.
//! 4. Commit: the write set is encoded as one log record. Under the commit mutex a SERIALIZABLE
//!    transaction is validated ([`crate::ssi`]), then the transaction gets the next commit
//!    timestamp and joins the commit queue, so queue order = timestamp order.
//! 5. Group commit (leader/follower): whoever finds no leader at work becomes the leader, takes the
//!    whole queue, appends all its records to the log with one write, makes them durable with one
//!    fsync if any of them asked for it (`synchronous_commit`), applies their versions to the
//!    engine in one batch together with the applied log position, advances the visible
//!    timestamp to the batch's last commit timestamp, and wakes the others. Commits that arrive
//!    meanwhile form the next batch, so one fsync serves many writers.
//! 6. Only then does the transaction release its row locks, so a waiter sees the new version.
//!
//! # Crash points (see docs/commit-protocol.md for the full analysis)
//! - Before the log write: nothing of the transaction exists anywhere; it was not acknowledged.
//! - After the write, before fsync: the record may or may not survive; recovery cuts a torn tail.
//!   Not acknowledged (unless `synchronous_commit = off`, which promises no more).
//! - After fsync, before the engine write: recovery replays the record from the log.
//! - After the engine write: the engine is a cache of the log; recovery replays from the last
//!   checkpointed position, which is idempotent (versions are keyed by their timestamp).
//!
//! # Checkpoints
//! A checkpoint syncs the log, then the engine, and then deletes log segments whose records are
//! all applied. Holding the log mutex across both syncs keeps the engine from ever being durable
//! ahead of the log (PostgreSQL's WAL-before-data rule).

use std::collections::BTreeMap;
use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::namespace::{self, Prefix};
use basalt_storage::io::{Io, OsIo};
use basalt_storage::redb_engine::RedbEngine;
use basalt_storage::{Direction, Engine, KeyRange, KvPair, MemoryEngine, WriteBatch};
use parking_lot::{Condvar, Mutex};

use crate::buffer::{BufferedWrite, WriteBuffer};
use crate::kv::{
    CommitInfo, IsolationLevel, LockMode, LockOutcome, LockWait, SavepointId, Transaction, Ts,
    TxnKv, TxnOptions, TxnScan,
};
use crate::lock::{Acquired, LockKey, LockManager};
use crate::mvcc::{self, GcStats, VersionStore};
use crate::record;
use crate::ssi::{RwSet, SsiState};
use crate::wal::{RecoveryReport, SyncJob, Wal, WalOptions};
use crate::{Result, SerializationReason, TxnError};

/// Versions a checkpoint hands to the engine per write (one redb transaction each: larger ones
/// hold more dirty pages in memory, smaller ones pay more commits).
const CHECKPOINT_PER_WRITE: usize = 64 * 1024;

/// Settings of a local database.
#[derive(Debug, Clone)]
pub struct Options {
    /// Whether commits wait for the log fsync by default (`synchronous_commit`).
    pub synchronous_commit: bool,
    /// Size of a log segment file.
    pub wal_segment_size: u64,
    /// A checkpoint runs after this many bytes of log records since the last one.
    pub checkpoint_wal_bytes: u64,
    /// A checkpoint runs when the versions committed since the last one take about this much
    /// memory (they are kept in memory until a checkpoint moves them to the data file).
    pub checkpoint_memory_bytes: u64,
    /// A checkpoint runs at least this often when anything was written.
    pub checkpoint_interval: Duration,
    /// Background garbage collection runs this often.
    pub gc_interval: Duration,
    /// Commits made with `synchronous_commit = off` reach disk within about this delay
    /// (PostgreSQL's `wal_writer_delay`).
    pub wal_writer_delay: Duration,
    /// While waiting for a lock, deadlock detection re-runs this often.
    pub deadlock_timeout: Duration,
    /// Default lock timeout; `None` waits for ever.
    pub lock_timeout: Option<Duration>,
    /// Whether to run the background thread (log flusher, checkpointer, garbage collector).
    pub background: bool,
    /// Commits with at least this many writes keep their write buffer as a sorted run until
    /// the next checkpoint instead of inserting it key by key into the memory table (cheaper
    /// for bulk loads; readers search each run, so at most a few are kept).
    pub run_min_writes: usize,
    /// A transaction holding this many locks takes its further exclusive locks implicitly
    /// (see [`crate::lock`]: a few bytes each instead of a lock-table entry).
    pub implicit_locks_after: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            synchronous_commit: true,
            wal_segment_size: 16 << 20,
            checkpoint_wal_bytes: 64 << 20,
            checkpoint_memory_bytes: 64 << 20,
            checkpoint_interval: Duration::from_secs(60),
            gc_interval: Duration::from_secs(10),
            wal_writer_delay: Duration::from_millis(200),
            deadlock_timeout: Duration::from_millis(100),
            lock_timeout: None,
            background: true,
            run_min_writes: 4096,
            implicit_locks_after: 4096,
        }
    }
}

/// Why a commit batch failed, shared by every commit of the batch.
#[derive(Debug, Clone)]
struct BatchError {
    message: String,
    sqlstate: basalt_common::SqlState,
}

impl From<BatchError> for TxnError {
    fn from(e: BatchError) -> Self {
        TxnError::CommitFailed {
            message: e.message,
            sqlstate: e.sqlstate,
        }
    }
}

/// Where a committing thread waits: for its outcome, or to be handed the leader's role.
#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
    cv: Condvar,
}

#[derive(Default)]
enum SlotState {
    #[default]
    Waiting,
    Lead,
    Done(std::result::Result<bool, BatchError>),
}

impl Slot {
    fn set(&self, state: SlotState) {
        *self.state.lock() = state;
        self.cv.notify_one();
    }
}

struct Pending {
    slot: Arc<Slot>,
    ts: Ts,
    record: Vec<u8>,
    writes: crate::buffer::SortedWrites,
    sync: bool,
}

#[derive(Default)]
struct CommitState {
    next_ts: Ts,
    queue: Vec<Pending>,
    leader: bool,
    /// Set after a log failure: the database refuses commits until reopened.
    failed: Option<String>,
    /// Sequence number of the next batch (batches are published in this order).
    next_batch: u64,
    /// Batches between taking the queue and the end of their fsync.
    syncs_in_flight: usize,
}

/// Stage 3 of group commit: whose turn it is to publish.
#[derive(Default)]
struct PublishState {
    turn: u64,
    /// A batch failed on a poisoned log: every later one fails too.
    log_failed: bool,
}

#[derive(Default)]
struct Clock {
    visible: Ts,
    /// Multiset of snapshots in use.
    active: BTreeMap<Ts, usize>,
}

impl Clock {
    /// No snapshot in use or to be taken is older than this.
    fn watermark(&self) -> Ts {
        self.active
            .keys()
            .next()
            .map_or(self.visible, |&a| a.min(self.visible))
    }
}

struct Shared {
    store: VersionStore,
    /// Serializes checkpoints.
    checkpoint_lock: Mutex<()>,
    /// The newest commit timestamp applied to the store.
    applied_ts: AtomicU64,
    wal: Option<Mutex<Wal>>,
    commit: Mutex<CommitState>,
    publish: Mutex<PublishState>,
    publish_cv: Condvar,
    /// Signalled when a batch's fsync ends.
    sync_done_cv: Condvar,
    clock: Mutex<Clock>,
    /// `clock.visible`, stored (under the clock's lock) each time it moves, so that a READ
    /// COMMITTED statement can see whether its transaction's snapshot is still the newest
    /// without taking the lock. A commit's store happens before the commit returns, so any
    /// statement that causally follows a commit sees it.
    visible_ts: AtomicU64,
    locks: LockManager,
    ssi: Mutex<SsiState>,
    next_txn_id: AtomicU64,
    applied_lsn: AtomicU64,
    wal_bytes_since_checkpoint: AtomicU64,
    options: Options,
    recovery: Option<RecoveryReport>,
    /// The background thread's stop flag and wake-up call (notified without setting the flag
    /// to have it look for work now).
    background_wake: Arc<(Mutex<bool>, Condvar)>,
    /// Signalled when a checkpoint ends (committers waiting for room for a run).
    checkpoint_done: (Mutex<()>, Condvar),
    _dir_lock: Option<File>,
}

/// A snapshot in use; unregistered when the last holder drops it.
struct SnapshotGuard {
    ts: Ts,
    shared: Arc<Shared>,
}

impl Drop for SnapshotGuard {
    fn drop(&mut self) {
        let mut clock = self.shared.clock.lock();
        if let Some(n) = clock.active.get_mut(&self.ts) {
            *n -= 1;
            if *n == 0 {
                clock.active.remove(&self.ts);
            }
        }
    }
}

/// A transactional key-value database on this machine: on disk ([`LocalKv::open`]) or in
/// memory ([`LocalKv::memory`]). Clones share the database; it closes (with a final checkpoint)
/// when the last clone is dropped.
#[derive(Clone)]
pub struct LocalKv {
    handle: Arc<Handle>,
    /// The namespace this view reads and writes ([`crate::namespace`]); `None`: the root.
    ns: Option<Prefix>,
}

struct Handle {
    shared: Arc<Shared>,
    stop: Arc<(Mutex<bool>, Condvar)>,
    background: Option<JoinHandle<()>>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        *self.stop.0.lock() = true;
        self.stop.1.notify_all();
        if let Some(h) = self.background.take() {
            let _ = h.join();
        }
        // A clean shutdown leaves nothing to replay; errors here only mean more replay later.
        let _ = self.shared.checkpoint();
    }
}

/// Group commit lets this many batches wait for their fsync at once. Measured on the 2-core CI
/// machine (see docs/performance.md): 1 gives the highest throughput at 16 writers (32k/s,
/// against 27k/s with 2 and 24k/s with 3), because overlapping fsyncs split the writers into
/// smaller batches and the machine is bound by context switches, not by the disk.
const MAX_SYNCS_IN_FLIGHT: usize = 1;

const MARKER: &str = "BASALT";
const MARKER_TEXT: &str = "basalt database directory, format 1\n";

impl LocalKv {
    /// Opens (creating if needed) the database in directory `dir`, running crash recovery.
    ///
    /// Fails without changing anything if `dir` is a non-empty directory that is not a Basalt
    /// database, if another process has it open ("database is locked by process N"), or if its
    /// files are corrupt.
    pub fn open(dir: impl AsRef<Path>, options: Options) -> Result<LocalKv> {
        let dir = dir.as_ref();
        let open_err = |what: &str, e: std::io::Error| {
            TxnError::Open(format!(
                "cannot open database {}: {what}: {e}",
                dir.display()
            ))
        };
        if dir.exists() && !dir.is_dir() {
            return Err(TxnError::Open(format!(
                "cannot open database {}: not a directory (a Basalt database is a directory)",
                dir.display()
            )));
        }
        let marker = dir.join(MARKER);
        if dir.is_dir() && !marker.exists() {
            let non_empty = std::fs::read_dir(dir)
                .map_err(|e| open_err("cannot list directory", e))?
                .next()
                .is_some();
            if non_empty {
                return Err(TxnError::Open(format!(
                    "cannot open database {}: the directory is not empty and is not a Basalt \
                     database (no {MARKER} file)",
                    dir.display()
                )));
            }
        }
        std::fs::create_dir_all(dir).map_err(|e| open_err("cannot create directory", e))?;
        let lock = lock_directory(dir)?;
        if !marker.exists() {
            let mut f = File::create(&marker).map_err(|e| open_err("cannot write marker", e))?;
            f.write_all(MARKER_TEXT.as_bytes())
                .map_err(|e| open_err("cannot write marker", e))?;
            f.sync_all()
                .map_err(|e| open_err("cannot write marker", e))?;
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| open_err("cannot sync", e))?;
        } else {
            let mut text = String::new();
            File::open(&marker)
                .and_then(|mut f| f.read_to_string(&mut text))
                .map_err(|e| open_err("cannot read marker", e))?;
            if text != MARKER_TEXT {
                return Err(TxnError::Open(format!(
                    "cannot open database {}: unknown format in {MARKER}: {:?}",
                    dir.display(),
                    text.lines().next().unwrap_or("")
                )));
            }
        }
        let engine = RedbEngine::open(&dir.join("data.redb"))?;
        Self::open_parts(
            Arc::new(engine),
            Some((Arc::new(OsIo), dir.join("wal"))),
            options,
            Some(lock),
        )
    }

    /// An empty database held in memory: no log, nothing survives the process.
    pub fn memory() -> LocalKv {
        let options = Options {
            synchronous_commit: false,
            ..Options::default()
        };
        match Self::open_parts(Arc::new(MemoryEngine::new()), None, options, None) {
            Ok(kv) => kv,
            // An empty memory engine has no metadata to misread and no log to recover.
            Err(e) => unreachable!("opening an empty memory database failed: {e}"),
        }
    }

    /// Opens a database over the given engine and, if given, a log directory accessed through
    /// `io` (tests use a simulated disk). Runs recovery.
    pub fn open_parts(
        engine: Arc<dyn Engine>,
        wal: Option<(Arc<dyn Io>, PathBuf)>,
        options: Options,
        dir_lock: Option<File>,
    ) -> Result<LocalKv> {
        let mut applied = read_meta_u64(&*engine, "applied_lsn")?;
        let mut max_ts = read_meta_u64(&*engine, "last_ts")?;
        let store = VersionStore::new(engine);
        let mut recovery = None;
        let wal = match wal {
            None => None,
            Some((io, path)) => {
                let wal_options = WalOptions {
                    segment_size: options.wal_segment_size,
                    ..WalOptions::default()
                };
                let (wal, report) = Wal::open(io, &path, wal_options)?;
                recovery = Some(report);
                let (last, ts) = replay(&store, &wal, applied)?;
                applied = applied.max(last);
                max_ts = max_ts.max(ts);
                if wal.next_lsn() <= applied {
                    return Err(TxnError::Corrupt(format!(
                        "the data file has applied log position {applied} but the log ends at {}; \
                         the log is missing records",
                        wal.next_lsn().saturating_sub(1)
                    )));
                }
                Some(Mutex::new(wal))
            }
        };
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let shared = Arc::new(Shared {
            store,
            checkpoint_lock: Mutex::new(()),
            applied_ts: AtomicU64::new(max_ts),
            wal,
            publish: Mutex::new(PublishState::default()),
            publish_cv: Condvar::new(),
            sync_done_cv: Condvar::new(),
            commit: Mutex::new(CommitState {
                next_ts: max_ts + 1,
                ..CommitState::default()
            }),
            clock: Mutex::new(Clock {
                visible: max_ts,
                active: BTreeMap::new(),
            }),
            visible_ts: AtomicU64::new(max_ts),
            locks: LockManager::new(options.deadlock_timeout),
            ssi: Mutex::new(SsiState::default()),
            next_txn_id: AtomicU64::new(1),
            applied_lsn: AtomicU64::new(applied),
            wal_bytes_since_checkpoint: AtomicU64::new(0),
            options,
            recovery,
            background_wake: stop.clone(),
            checkpoint_done: (Mutex::new(()), Condvar::new()),
            _dir_lock: dir_lock,
        });
        let background = if shared.options.background {
            let weak = Arc::downgrade(&shared);
            let stop = stop.clone();
            Some(
                std::thread::Builder::new()
                    .name("basalt-background".into())
                    .spawn(move || background_loop(weak, stop))
                    .map_err(|e| TxnError::Open(format!("cannot start background thread: {e}")))?,
            )
        } else {
            None
        };
        Ok(LocalKv {
            handle: Arc::new(Handle {
                shared,
                stop,
                background,
            }),
            ns: None,
        })
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.handle.shared
    }

    /// What recovery found in the log when the database was opened (e.g. a torn tail it cut).
    pub fn recovery_report(&self) -> Option<&RecoveryReport> {
        self.shared().recovery.as_ref()
    }

    /// Makes everything applied so far durable in the engine and removes log segments that are
    /// no longer needed.
    pub fn checkpoint(&self) -> Result<()> {
        self.shared().checkpoint()
    }

    /// Removes versions no running or future snapshot can see (`VACUUM`). Runs a checkpoint
    /// first, so that recent versions held in memory are covered too.
    pub fn vacuum(&self) -> Result<GcStats> {
        self.shared().checkpoint()?;
        self.shared().vacuum()
    }

    /// The newest visible commit timestamp.
    pub fn visible_ts(&self) -> Ts {
        self.shared().clock.lock().visible
    }

    /// Number of keys with row-lock holders or waiters.
    pub fn locked_keys(&self) -> usize {
        self.shared().locks.locked_keys()
    }

    /// Number of snapshots in use.
    pub fn active_snapshots(&self) -> usize {
        self.shared().clock.lock().active.values().sum()
    }
}

fn lock_directory(dir: &Path) -> Result<File> {
    let path = dir.join("LOCK");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| TxnError::Open(format!("cannot open {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            let holder = text.trim();
            let holder = if holder.is_empty() {
                "another process".to_string()
            } else {
                format!("process {holder}")
            };
            return Err(TxnError::Open(format!(
                "database {} is locked by {holder}",
                dir.display()
            )));
        }
        Err(TryLockError::Error(e)) => {
            return Err(TxnError::Open(format!(
                "cannot lock {}: {e}",
                path.display()
            )));
        }
    }
    let pid = std::process::id().to_string();
    let written = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| file.write_all(pid.as_bytes()));
    written.map_err(|e| TxnError::Open(format!("cannot write {}: {e}", path.display())))?;
    Ok(file)
}

fn read_meta_u64(engine: &dyn Engine, name: &str) -> Result<u64> {
    match engine.get(&mvcc::meta_key(name))? {
        None => Ok(0),
        Some(v) => {
            let bytes: [u8; 8] = v.as_slice().try_into().map_err(|_| {
                TxnError::Corrupt(format!("metadata {name} has {} bytes, expected 8", v.len()))
            })?;
            Ok(u64::from_be_bytes(bytes))
        }
    }
}

fn put_meta(batch: &mut WriteBatch, applied_lsn: u64, last_ts: Ts) {
    batch.put(
        mvcc::meta_key("applied_lsn"),
        applied_lsn.to_be_bytes().to_vec(),
    );
    batch.put(mvcc::meta_key("last_ts"), last_ts.to_be_bytes().to_vec());
}

/// Re-applies log records after `applied` to the store's memory table; returns the last LSN
/// and the largest timestamp seen.
fn replay(store: &VersionStore, wal: &Wal, applied: u64) -> Result<(u64, Ts)> {
    const BATCH_RECORDS: usize = 512;
    let mut batch = WriteBatch::new();
    let mut in_batch = 0;
    let mut last_lsn = applied;
    let mut max_ts = 0;
    let mut expected = applied + 1;
    wal.replay(applied + 1, |lsn, payload| -> Result<()> {
        if lsn != expected {
            return Err(TxnError::Corrupt(format!(
                "the log is missing records {expected}..{} needed by recovery",
                lsn.saturating_sub(1)
            )));
        }
        expected += 1;
        let (ts, writes) = record::decode(payload)?;
        for (key, value) in &writes {
            mvcc::add_version(&mut batch, key, ts, value.as_deref());
        }
        last_lsn = lsn;
        max_ts = max_ts.max(ts);
        in_batch += 1;
        if in_batch >= BATCH_RECORDS {
            store.apply(std::mem::take(&mut batch), || {})?;
            in_batch = 0;
        }
        Ok(())
    })?;
    if in_batch > 0 {
        store.apply(batch, || {})?;
    }
    Ok((last_lsn, max_ts))
}

fn background_loop(shared: Weak<Shared>, stop: Arc<(Mutex<bool>, Condvar)>) {
    let mut last_flush = Instant::now();
    let mut last_checkpoint = Instant::now();
    let mut last_gc = Instant::now();
    let mut checkpoint_ok = true;
    loop {
        let (tick, runs_waiting) = {
            let Some(s) = shared.upgrade() else { return };
            (
                s.options.wal_writer_delay.min(Duration::from_millis(100)),
                s.store.run_count() > 0,
            )
        };
        {
            let mut stopped = stop.0.lock();
            // Runs waiting (a bulk load) are written out back to back, not one tick apart.
            let busy = checkpoint_ok && runs_waiting;
            if !*stopped && !busy {
                stop.1.wait_for(&mut stopped, tick);
            }
            if *stopped {
                return;
            }
        }
        let Some(s) = shared.upgrade() else { return };
        // Errors in background work surface to the next commit through the log's poisoned
        // state; here there is nobody to report them to.
        if last_flush.elapsed() >= s.options.wal_writer_delay {
            last_flush = Instant::now();
            let _ = s.flush_log();
        }
        let wal_bytes = s.wal_bytes_since_checkpoint.load(Ordering::Relaxed);
        if wal_bytes >= s.options.checkpoint_wal_bytes
            || s.store.active_bytes() >= s.options.checkpoint_memory_bytes
            // Runs cost readers a search each: written out at the next tick.
            || s.store.run_count() > 0
            || (wal_bytes > 0 && last_checkpoint.elapsed() >= s.options.checkpoint_interval)
        {
            last_checkpoint = Instant::now();
            checkpoint_ok = s.checkpoint().is_ok();
        }
        if last_gc.elapsed() >= s.options.gc_interval {
            last_gc = Instant::now();
            let _ = s.vacuum();
        }
    }
}

impl Shared {
    fn take_snapshot(self: &Arc<Self>) -> Arc<SnapshotGuard> {
        let mut clock = self.clock.lock();
        let ts = clock.visible;
        *clock.active.entry(ts).or_insert(0) += 1;
        Arc::new(SnapshotGuard {
            ts,
            shared: self.clone(),
        })
    }

    fn watermark(&self) -> Ts {
        self.clock.lock().watermark()
    }

    /// The SSI check of a SERIALIZABLE transaction committing at `ts` (caller holds the commit
    /// mutex, so no other commit is validated meanwhile).
    fn ssi_commit(&self, snapshot: Ts, ts: Ts, rw: RwSet) -> Result<()> {
        let watermark = self.watermark();
        if self
            .ssi
            .lock()
            .try_commit(snapshot, ts, rw, Some(watermark))
        {
            Ok(())
        } else {
            Err(TxnError::Serialization(
                SerializationReason::ReadWriteDependencies,
            ))
        }
    }

    fn checkpoint(&self) -> Result<()> {
        let _one_at_a_time = self.checkpoint_lock.lock();
        let bytes = self.wal_bytes_since_checkpoint.swap(0, Ordering::Relaxed);
        let result = self.checkpoint_inner();
        if result.is_err() {
            self.wal_bytes_since_checkpoint
                .fetch_add(bytes, Ordering::Relaxed);
        }
        let _g = self.checkpoint_done.0.lock();
        self.checkpoint_done.1.notify_all();
        result
    }

    /// Backpressure for large commits: while [`mvcc::MAX_RUNS`] runs wait for a checkpoint, a
    /// commit that would make another waits for one to end (waking the background thread)
    /// instead of inserting its writes into the memory table one by one, which costs the
    /// loader more than the wait and holds them in memory twice over. Bounded: if checkpoints
    /// keep failing (a full disk), the commit goes on after a while and takes the slow path.
    fn wait_for_run_room(&self) {
        if !self.options.background || self.store.run_count() < mvcc::MAX_RUNS {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut g = self.checkpoint_done.0.lock();
        while self.store.run_count() >= mvcc::MAX_RUNS && Instant::now() < deadline {
            self.background_wake.1.notify_one();
            self.checkpoint_done
                .1
                .wait_for(&mut g, Duration::from_millis(50));
        }
    }

    fn checkpoint_inner(&self) -> Result<()> {
        let mark = || {
            (
                self.applied_lsn.load(Ordering::Acquire),
                self.applied_ts.load(Ordering::Acquire),
            )
        };
        // WAL before data: every record in the table being flushed is durable in the log first.
        // Holding the log lock while switching tables keeps records appended after the sync out
        // of that table (a leader appends under this lock and applies after releasing it).
        let flushing = match &self.wal {
            Some(wal) => {
                let mut wal = wal.lock();
                wal.sync()?;
                self.store.begin_flush(mark)
            }
            None => self.store.begin_flush(mark),
        };
        let (upto, last_ts) = flushing.mark;
        let engine = self.store.engine();
        // The memory table's versions, in engine writes of at most `PER_WRITE` each.
        let mut versions = flushing.table.scan(KeyRange::all(), Direction::Forward)?;
        let mut more = true;
        while more {
            engine.write_with(&mut |sink| {
                for _ in 0..CHECKPOINT_PER_WRITE {
                    let Some(item) = versions.next() else {
                        more = false;
                        break;
                    };
                    let (k, v) = item?;
                    sink.put(&k, &[&v])?;
                }
                Ok(())
            })?;
        }
        for run in &flushing.runs {
            run.write_to(&**engine, CHECKPOINT_PER_WRITE)?;
        }
        let mut batch = WriteBatch::new();
        put_meta(&mut batch, upto, last_ts);
        engine.write(batch)?;
        engine.sync()?;
        self.store.finish_flush();
        if let Some(wal) = &self.wal {
            wal.lock().remove_segments_before(upto + 1)?;
        }
        Ok(())
    }

    fn flush_log(&self) -> Result<()> {
        if let Some(wal) = &self.wal {
            let mut wal = wal.lock();
            if wal.durable_lsn() + 1 < wal.next_lsn() {
                wal.sync()?;
            }
        }
        Ok(())
    }

    fn vacuum(&self) -> Result<GcStats> {
        let watermark = self.watermark();
        self.ssi.lock().prune(Some(watermark));
        mvcc::collect_garbage(&**self.store.engine(), watermark)
    }

    /// Waits until the commit in `slot` was processed. If `lead` (nobody was leading when it
    /// joined the queue), or when the previous leader hands the role over, this thread leads a
    /// batch through the three stages of group commit:
    ///
    /// 1. under the log lock, take the whole queue and append it to the log (one write), and
    ///    start an fsync job if any commit of the batch asked for durability;
    /// 2. hand the leader's role to the first commit queued meanwhile — so the next batch is
    ///    appended and its fsync started while this one's fsync is still running — and wait for
    ///    the fsync;
    /// 3. publish in batch order: apply the versions to the memory table, advance the visible
    ///    timestamp, and give every member its outcome (each woken alone).
    fn wait_or_lead(&self, slot: &Arc<Slot>, mut lead: bool) -> Result<bool> {
        loop {
            if lead {
                let (mut batch, seq) = {
                    let mut st = self.commit.lock();
                    // Wait for a free fsync slot; meanwhile the queue grows into a bigger batch.
                    while st.syncs_in_flight >= MAX_SYNCS_IN_FLIGHT {
                        self.sync_done_cv.wait(&mut st);
                    }
                    st.syncs_in_flight += 1;
                    let seq = st.next_batch;
                    st.next_batch += 1;
                    (std::mem::take(&mut st.queue), seq)
                };
                let staged = self.stage_batch(&batch);
                {
                    let mut st = self.commit.lock();
                    match st.queue.first() {
                        Some(next) => next.slot.set(SlotState::Lead),
                        None => st.leader = false,
                    }
                }
                let logged = staged.and_then(|(lsn, job)| self.wait_durable(lsn, job));
                self.commit.lock().syncs_in_flight -= 1;
                self.sync_done_cv.notify_one();
                let outcome = self.publish(seq, &mut batch, logged);
                for p in &batch {
                    if !Arc::ptr_eq(&p.slot, slot) {
                        p.slot.set(SlotState::Done(outcome.clone()));
                    }
                }
                // This thread's own commit was in the batch: it joined the queue before it led.
                return outcome.map_err(TxnError::from);
            }
            let mut state = slot.state.lock();
            loop {
                match std::mem::take(&mut *state) {
                    SlotState::Waiting => slot.cv.wait(&mut state),
                    SlotState::Lead => {
                        lead = true;
                        break;
                    }
                    SlotState::Done(outcome) => return outcome.map_err(TxnError::from),
                }
            }
        }
    }

    /// Stage 1: appends the batch to the log; returns its last LSN and the fsync to wait for.
    fn stage_batch(
        &self,
        batch: &[Pending],
    ) -> std::result::Result<(u64, Option<SyncJob>), BatchError> {
        let Some(wal) = &self.wal else {
            return Ok((0, None));
        };
        let mut wal = wal.lock();
        let payloads: Vec<&[u8]> = batch.iter().map(|p| p.record.as_slice()).collect();
        let lsn = wal.append(&payloads).map_err(|e| BatchError {
            message: format!("commit log write failed: {e}"),
            sqlstate: e.sqlstate(),
        })?;
        let bytes: usize = payloads.iter().map(|p| p.len()).sum();
        self.wal_bytes_since_checkpoint
            .fetch_add(bytes as u64, Ordering::Relaxed);
        let job = if batch.iter().any(|p| p.sync) {
            wal.begin_sync().map_err(|e| BatchError {
                message: format!("commit log fsync failed: {e}"),
                sqlstate: e.sqlstate(),
            })?
        } else {
            None
        };
        Ok((lsn, job))
    }

    /// Stage 2: runs the fsync job (outside the log lock); returns the LSN and whether it is
    /// durable.
    fn wait_durable(
        &self,
        lsn: u64,
        job: Option<SyncJob>,
    ) -> std::result::Result<(u64, bool), BatchError> {
        let Some(wal) = &self.wal else {
            return Ok((lsn, false));
        };
        if let Some(job) = job {
            let result = job.run();
            wal.lock()
                .finish_sync(job, result)
                .map_err(|e| BatchError {
                    message: format!("commit log fsync failed: {e}"),
                    sqlstate: e.sqlstate(),
                })?;
        }
        Ok((lsn, wal.lock().durable_lsn() >= lsn))
    }

    /// Stage 3: publishes batches strictly in the order they were appended.
    fn publish(
        &self,
        seq: u64,
        batch: &mut [Pending],
        logged: std::result::Result<(u64, bool), BatchError>,
    ) -> std::result::Result<bool, BatchError> {
        let mut p = self.publish.lock();
        while p.turn != seq {
            self.publish_cv.wait(&mut p);
        }
        let outcome = match logged {
            Err(e) => Err(e),
            // After a failed fsync, a later one proves nothing about earlier records
            // (PostgreSQL's "fsyncgate"); no later batch may commit either.
            Ok(_) if p.log_failed => Err(BatchError {
                message: "commit log failed earlier; the database needs recovery".to_string(),
                sqlstate: basalt_common::SqlState::IO_ERROR,
            }),
            Ok((lsn, durable)) => self.apply_batch(batch, lsn).map(|()| durable),
        };
        if let Err(e) = &outcome
            && self.wal_poisoned()
        {
            p.log_failed = true;
            self.commit
                .lock()
                .failed
                .get_or_insert_with(|| e.message.clone());
        }
        p.turn += 1;
        self.publish_cv.notify_all();
        outcome
    }

    fn wal_poisoned(&self) -> bool {
        self.wal.as_ref().is_some_and(|w| w.lock().is_poisoned())
    }

    /// Applies a logged batch to the memory table and makes it visible. Large commits become
    /// runs: their write buffers move into the store as they are.
    fn apply_batch(&self, batch: &mut [Pending], lsn: u64) -> std::result::Result<(), BatchError> {
        let mut writes = WriteBatch::new();
        let mut runs = Vec::new();
        let mut room = mvcc::MAX_RUNS.saturating_sub(self.store.run_count());
        let mut last_ts = 0;
        for p in batch.iter_mut() {
            if p.writes.len() >= self.options.run_min_writes && room > 0 {
                room -= 1;
                runs.push(mvcc::Run::new(p.ts, std::mem::take(&mut p.writes)));
            } else {
                for (key, value) in p.writes.iter() {
                    mvcc::add_version(&mut writes, key, p.ts, value);
                }
            }
            last_ts = p.ts;
        }
        let applied = self.store.apply_with_runs(writes, runs, || {
            self.applied_lsn.store(lsn, Ordering::Release);
            self.applied_ts.store(last_ts, Ordering::Release);
        });
        if let Err(e) = applied {
            // The log has the commits and recovery will apply them, but this process can no
            // longer show a consistent state: stop accepting commits.
            let message = format!("applying committed writes failed: {e}");
            self.commit
                .lock()
                .failed
                .get_or_insert_with(|| message.clone());
            return Err(BatchError {
                message,
                sqlstate: e.sqlstate(),
            });
        }
        let mut clock = self.clock.lock();
        clock.visible = last_ts;
        self.visible_ts.store(last_ts, Ordering::Release);
        drop(clock);
        Ok(())
    }
}

impl TxnKv for LocalKv {
    type Txn = LocalTxn;

    fn namespace(&self, id: u32) -> LocalKv {
        LocalKv {
            handle: self.handle.clone(),
            ns: Some(namespace::prefix(id)),
        }
    }

    fn root(&self) -> LocalKv {
        LocalKv {
            handle: self.handle.clone(),
            ns: None,
        }
    }

    fn begin(&self, options: TxnOptions) -> Result<LocalTxn> {
        let shared = self.shared().clone();
        let id = shared.next_txn_id.fetch_add(1, Ordering::Relaxed);
        let rw = (options.isolation == IsolationLevel::Serializable).then(RwSet::default);
        Ok(LocalTxn {
            shared,
            ns: self.ns,
            id,
            options,
            snapshot: None,
            stale: false,
            writes: WriteBuffer::default(),
            undo: Vec::new(),
            lock_log: Vec::new(),
            holds_implicit: false,
            savepoints: Vec::new(),
            next_savepoint: 0,
            rw,
            gaps: Gaps::default(),
            active: true,
        })
    }

    fn vacuum(&self) -> Result<Option<GcStats>> {
        LocalKv::vacuum(self).map(Some)
    }
}

/// A transaction of a [`LocalKv`] database.
pub struct LocalTxn {
    shared: Arc<Shared>,
    /// The namespace of the [`LocalKv`] view that began it.
    ns: Option<Prefix>,
    id: u64,
    options: TxnOptions,
    snapshot: Option<Arc<SnapshotGuard>>,
    /// READ COMMITTED after `start_statement`: the next read refreshes the snapshot, keeping
    /// it when nothing committed since (which saves unregistering and registering it).
    stale: bool,
    /// Private writes: `None` deletes.
    writes: WriteBuffer,
    /// Previous write-buffer state of keys written after the first savepoint.
    undo: Vec<(Vec<u8>, Option<BufferedWrite>)>,
    /// Row locks taken, in order: the lock-table key and whether it was new or an upgrade.
    lock_log: Vec<(LockKey, Acquired)>,
    /// Whether the lock manager holds implicit locks of this transaction (released at its
    /// end with the logged ones).
    holds_implicit: bool,
    /// Savepoints set, oldest first: their id and the lengths of `undo` and `lock_log` when
    /// they were set.
    savepoints: Vec<(u64, usize, usize)>,
    /// Id of the next savepoint (ids are never reused within a transaction).
    next_savepoint: u64,
    /// Read and write sets (SERIALIZABLE only).
    rw: Option<RwSet>,
    /// Key ranges known to hold no version of any key (see [`LocalTxn::newest_version`]).
    gaps: Gaps,
    active: bool,
}

/// Up to [`Gaps::MAX`] ranges of user keys `[from, to)` (`to` = `None`: unbounded) in which
/// no key had any version when the version store's apply count was the one recorded: while
/// that count is unchanged, no key there can have gained one. A bulk load appending keys
/// learns the gap above its first key with one seek and then skips the uniqueness read of
/// every following key (one per table or unique index being loaded).
#[derive(Default)]
struct Gaps {
    ranges: Vec<(u64, Vec<u8>, Option<Vec<u8>>)>,
    /// Which entry the next gap replaces once full.
    next: usize,
}

impl Gaps {
    const MAX: usize = 4;

    fn contains(&self, applied: u64, key: &[u8]) -> bool {
        self.ranges.iter().any(|(at, from, to)| {
            *at == applied && from.as_slice() <= key && to.as_deref().is_none_or(|t| key < t)
        })
    }

    fn remember(&mut self, applied: u64, from: &[u8], to: Option<Vec<u8>>) {
        let gap = (applied, from.to_vec(), to);
        if let Some(stale) = self.ranges.iter_mut().find(|g| g.0 != applied) {
            *stale = gap;
        } else if self.ranges.len() < Self::MAX {
            self.ranges.push(gap);
        } else {
            self.ranges[self.next] = gap;
            self.next = (self.next + 1) % Self::MAX;
        }
    }
}

impl LocalTxn {
    fn check_active(&self) -> Result<()> {
        if self.active {
            Ok(())
        } else {
            Err(TxnError::NotActive)
        }
    }

    fn snapshot(&mut self) -> Arc<SnapshotGuard> {
        self.current_snapshot().clone()
    }

    /// The transaction's snapshot, taken (again, for a READ COMMITTED statement after a
    /// commit became visible) if needed.
    fn current_snapshot(&mut self) -> &Arc<SnapshotGuard> {
        if self.stale {
            self.stale = false;
            if self
                .snapshot
                .as_ref()
                .is_some_and(|s| self.shared.visible_ts.load(Ordering::Acquire) != s.ts)
            {
                self.snapshot = None;
            }
        }
        self.snapshot
            .get_or_insert_with(|| self.shared.take_snapshot())
    }

    fn record_read(&mut self, key: &[u8]) {
        if let Some(rw) = &mut self.rw
            && !rw.reads.contains(key)
        {
            rw.reads.insert(key.to_vec());
        }
    }

    /// Takes a row lock and, under snapshot isolation levels, checks that the row did not change
    /// after the snapshot. Returns `None` if skipped; else, when `latest` is asked, the newest
    /// committed value (read once for the check and the caller), and `Some(None)` otherwise.
    fn lock_row(
        &mut self,
        key: &[u8],
        mode: LockMode,
        wait: LockWait,
        latest: bool,
    ) -> Result<Option<Option<Vec<u8>>>> {
        let timeout = self
            .options
            .lock_timeout
            .or(self.shared.options.lock_timeout);
        let lk = self.shared.locks.key_of(key);
        // Implicit locks last until the transaction ends, so not under a savepoint (whose
        // rollback releases the locks taken after it, as PostgreSQL's does).
        let acquired = if mode == LockMode::Exclusive
            && self.savepoints.is_empty()
            && self.lock_log.len() >= self.shared.options.implicit_locks_after
        {
            self.shared.locks.acquire_implicit_with(
                self.id,
                lk,
                wait,
                timeout,
                self.options.interrupt.as_ref(),
            )?
        } else {
            self.shared.locks.acquire_key_with(
                self.id,
                lk,
                mode,
                wait,
                timeout,
                self.options.interrupt.as_ref(),
            )?
        };
        // Checked even when the lock was already held: a lock-table key is a hash, so "held"
        // may mean another key's lock (see `lock`); re-checking a key locked earlier finds the
        // same answer, since nobody could commit it meanwhile.
        let check = match acquired {
            Acquired::Skipped => return Ok(None),
            Acquired::AlreadyHeld | Acquired::New | Acquired::Upgraded | Acquired::Implicit => {
                self.options.isolation != IsolationLevel::ReadCommitted
            }
        };
        // Implicit locks are not logged: they go with the transaction (see `crate::lock`).
        let logged = matches!(acquired, Acquired::New | Acquired::Upgraded);
        self.holds_implicit |= acquired == Acquired::Implicit;
        if !check && !latest {
            if logged {
                self.lock_log.push((lk, acquired));
            }
            return Ok(Some(None));
        }
        // Holding the lock, the newest applied version is the newest visible one: a writer
        // releases its locks only after its commit became visible.
        let newest = match self.newest_version(key) {
            Ok(v) => v,
            Err(e) => {
                if acquired != Acquired::AlreadyHeld {
                    self.undo_lock(lk, acquired);
                }
                return Err(e);
            }
        };
        if check {
            let snapshot = self.current_snapshot().ts;
            if newest.as_ref().is_some_and(|(ts, _)| *ts > snapshot) {
                // Give a new lock back so that a retry of the same write checks again.
                if acquired != Acquired::AlreadyHeld {
                    self.undo_lock(lk, acquired);
                }
                return Err(TxnError::Serialization(
                    SerializationReason::ConcurrentUpdate,
                ));
            }
        }
        if logged {
            self.lock_log.push((lk, acquired));
        }
        Ok(Some(newest.and_then(|(_, v)| v)))
    }

    /// The newest applied version of `key` (the caller holds its lock). Keys in a gap known
    /// to be empty are answered without a read; otherwise a seek answers and, when the key has
    /// no version, also tells how far the empty gap above it reaches. Correct because whoever
    /// adds a version of `key` holds its lock until the version is applied, and every apply
    /// changes the count a gap was recorded with: a version added since would have been
    /// applied before this transaction got the lock, so the count read now differs.
    fn newest_version(&mut self, key: &[u8]) -> Result<Option<(Ts, Option<Vec<u8>>)>> {
        let store = &self.shared.store;
        let applied = store.applied();
        if self.gaps.contains(applied, key) {
            return Ok(None);
        }
        match store.seek_newest(key)? {
            mvcc::Seek::Found(v) => Ok(Some(v)),
            mvcc::Seek::Absent { next } => {
                self.gaps.remember(applied, key, next);
                Ok(None)
            }
        }
    }

    fn undo_lock(&self, key: LockKey, acquired: Acquired) {
        match acquired {
            Acquired::Upgraded => self.shared.locks.downgrade_key(self.id, key),
            _ => self.shared.locks.release_key(self.id, key),
        }
    }

    fn write(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) -> Result<()> {
        self.check_active()?;
        if self.options.read_only {
            return Err(TxnError::ReadOnly(if value.is_some() {
                "a write"
            } else {
                "a delete"
            }));
        }
        if !self.writes.contains_key(&key) {
            self.lock_row(&key, LockMode::Exclusive, LockWait::Block, false)?;
        }
        if self.savepoints.is_empty() {
            self.writes.insert(key, value);
        } else {
            let previous = self.writes.insert(key.clone(), value);
            self.undo.push((key, previous));
        }
        Ok(())
    }

    fn savepoint_index(&self, savepoint: SavepointId) -> Result<usize> {
        self.savepoints
            .iter()
            .position(|&(id, _, _)| id == savepoint.0)
            .ok_or(TxnError::NoSuchSavepoint)
    }

    fn finish(&mut self) {
        self.active = false;
        // A reader that locked nothing does not touch the lock manager.
        if !self.lock_log.is_empty() || self.holds_implicit {
            let keys = self
                .lock_log
                .iter()
                .filter(|(_, a)| *a == Acquired::New)
                .map(|(k, _)| *k);
            self.shared.locks.release_all_keys(self.id, keys);
            self.holds_implicit = false;
        }
        self.lock_log.clear();
        self.snapshot = None;
        self.writes.clear();
        self.undo.clear();
    }

    fn commit_inner(&mut self) -> Result<CommitInfo> {
        self.check_active()?;
        if self.writes.is_empty() {
            if let (Some(rw), Some(snap)) = (self.rw.take(), &self.snapshot) {
                let snapshot = snap.ts;
                let mut st = self.shared.commit.lock();
                let ts = st.next_ts;
                st.next_ts += 1;
                self.shared.ssi_commit(snapshot, ts, rw)?;
            }
            return Ok(CommitInfo {
                commit_ts: None,
                durable: true,
            });
        }
        let writes = self.writes.take_sorted();
        if writes.len() >= self.shared.options.run_min_writes {
            self.shared.wait_for_run_room();
        }
        let mut rec = record::encode_bounded(writes.len(), writes.byte_bound(), writes.iter());
        let sync = self
            .options
            .synchronous_commit
            .unwrap_or(self.shared.options.synchronous_commit);
        let (ts, slot, lead) = {
            let mut st = self.shared.commit.lock();
            if let Some(msg) = &st.failed {
                return Err(TxnError::Failed(msg.clone()));
            }
            let ts = st.next_ts;
            if let Some(mut rw) = self.rw.take() {
                rw.writes = writes.iter().map(|(k, _)| k.to_vec()).collect();
                let snapshot = self.snapshot.as_ref().map_or(ts - 1, |s| s.ts);
                self.shared.ssi_commit(snapshot, ts, rw)?;
            }
            st.next_ts += 1;
            record::set_ts(&mut rec, ts);
            let slot = Arc::new(Slot::default());
            st.queue.push(Pending {
                slot: slot.clone(),
                ts,
                record: rec,
                writes,
                sync,
            });
            let lead = !st.leader;
            st.leader = true;
            (ts, slot, lead)
        };
        let durable = self.shared.wait_or_lead(&slot, lead)?;
        Ok(CommitInfo {
            commit_ts: Some(ts),
            durable,
        })
    }
}

impl Drop for LocalTxn {
    fn drop(&mut self) {
        if self.active {
            self.finish();
        }
    }
}

impl LocalTxn {
    /// The bytes of the stored keys in `range`: the versions in the store's layers (read
    /// from their structure, not at a snapshot) and this transaction's own writes.
    fn stored_size(&mut self, range: &KeyRange) -> Result<u64> {
        self.check_active()?;
        let (start, end) = range.as_slices();
        let own = self.writes.bytes_in(start, end);
        Ok(self.shared.store.approximate_size(range)? + own)
    }

    /// [`Transaction::scan`] at the snapshot, or at the newest visible state (`latest`).
    fn scan_at(&mut self, range: KeyRange, direction: Direction, latest: bool) -> Result<TxnScan> {
        self.check_active()?;
        let (range, strip) = namespace::stored_range(self.ns.as_ref(), range);
        // The first statement takes the snapshot even when its range is empty.
        let snapshot = self.snapshot();
        if range.is_empty() {
            return Ok(Box::new(std::iter::empty()));
        }
        if let Some(rw) = &mut self.rw {
            rw.ranges.push(range.clone());
        }
        // The snapshot stays held by the scan: versions at the newer visible timestamp are
        // never collected (they are the newest).
        let ts = if latest {
            self.shared.clock.lock().visible
        } else {
            snapshot.ts
        };
        let versions = self.shared.store.scan(&range, direction)?;
        let committed = mvcc::SnapshotScan::over(versions, direction, ts);
        let (start, end) = range.as_slices();
        let mut own = self.writes.range_cloned(start, end);
        if direction == Direction::Reverse {
            own.reverse();
        }
        let scan = MergeScan {
            committed: committed.peekable(),
            own: own.into_iter().peekable(),
            direction,
            _snapshot: snapshot,
        };
        if strip == 0 {
            return Ok(Box::new(scan));
        }
        Ok(Box::new(scan.map(move |r| {
            r.map(|(mut k, v)| {
                k.drain(..strip);
                (k, v)
            })
        })))
    }
}

impl Transaction for LocalTxn {
    fn id(&self) -> u64 {
        self.id
    }

    fn isolation(&self) -> IsolationLevel {
        self.options.isolation
    }

    fn start_statement(&mut self) {
        if self.options.isolation == IsolationLevel::ReadCommitted {
            self.stale = true;
        }
    }

    fn snapshot_ts(&mut self) -> Option<Ts> {
        // Snapshots are taken at the visible timestamp, below which every commit is applied
        // and above which every later commit lands: reads at one timestamp are repeatable.
        Some(self.current_snapshot().ts)
    }

    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check_active()?;
        let key = &*namespace::stored_key(self.ns.as_ref(), key);
        if let Some(v) = self.writes.get(key) {
            return Ok(v.map(<[u8]>::to_vec));
        }
        let ts = self.current_snapshot().ts;
        self.record_read(key);
        Ok(self
            .shared
            .store
            .read_version(key, ts)?
            .and_then(|(_, v)| v))
    }

    fn get_latest(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check_active()?;
        let key = &*namespace::stored_key(self.ns.as_ref(), key);
        if let Some(v) = self.writes.get(key) {
            return Ok(v.map(<[u8]>::to_vec));
        }
        self.record_read(key);
        let ts = self.shared.clock.lock().visible;
        Ok(self
            .shared
            .store
            .read_version(key, ts)?
            .and_then(|(_, v)| v))
    }

    fn scan(&mut self, range: KeyRange, direction: Direction) -> Result<TxnScan> {
        self.scan_at(range, direction, false)
    }

    fn scan_latest(&mut self, range: KeyRange) -> Result<TxnScan> {
        self.scan_at(range, Direction::Forward, true)
    }

    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<()> {
        let key = namespace::stored_key_owned(self.ns.as_ref(), key);
        self.write(key, Some(value))
    }

    fn approximate_size(&mut self, range: KeyRange) -> Result<u64> {
        let (range, _) = namespace::stored_range(self.ns.as_ref(), range);
        self.stored_size(&range)
    }

    fn namespace_size(&mut self, id: Option<u32>) -> Result<Option<u64>> {
        self.stored_size(&namespace::own_range(id)).map(Some)
    }

    fn put_new(&mut self, key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check_active()?;
        let stored = namespace::stored_key(self.ns.as_ref(), key);
        let key = &*stored;
        if self.options.read_only {
            return Err(TxnError::ReadOnly("a write"));
        }
        // The uniqueness check reads the key (SERIALIZABLE records it like any read).
        self.record_read(key);
        // Keys arriving in ascending order (bulk loads) cost one comparison: above every
        // buffered key, the key has no buffered write and is appended (see `WriteBuffer`).
        let above = self.writes.above_all(key);
        match if above { None } else { self.writes.get(key) } {
            Some(Some(own)) => return Ok(Some(own.to_vec())),
            // Deleted by this transaction, which holds the lock.
            Some(None) => {}
            None => {
                if let Some(Some(existing)) =
                    self.lock_row(key, LockMode::Exclusive, LockWait::Block, true)?
                {
                    return Ok(Some(existing));
                }
            }
        }
        let previous = if above {
            self.writes.push_above(key, Some(value));
            None
        } else {
            self.writes.insert_borrowed(key, Some(value))
        };
        if !self.savepoints.is_empty() {
            self.undo.push((key.to_vec(), previous));
        }
        Ok(None)
    }

    fn delete(&mut self, key: Vec<u8>) -> Result<()> {
        let key = namespace::stored_key_owned(self.ns.as_ref(), key);
        self.write(key, None)
    }

    fn lock(&mut self, key: &[u8], mode: LockMode, wait: LockWait) -> Result<LockOutcome> {
        self.check_active()?;
        let stored = namespace::stored_key(self.ns.as_ref(), key);
        let key = &*stored;
        if self.options.read_only {
            return Err(TxnError::ReadOnly(match mode {
                LockMode::Exclusive => "SELECT FOR UPDATE",
                LockMode::Shared => "SELECT FOR SHARE",
            }));
        }
        self.record_read(key);
        Ok(if self.lock_row(key, mode, wait, false)?.is_some() {
            LockOutcome::Locked
        } else {
            LockOutcome::Skipped
        })
    }

    fn savepoint(&mut self) -> SavepointId {
        let id = self.next_savepoint;
        self.next_savepoint += 1;
        self.savepoints
            .push((id, self.undo.len(), self.lock_log.len()));
        SavepointId(id)
    }

    fn rollback_to_savepoint(&mut self, savepoint: SavepointId) -> Result<()> {
        self.check_active()?;
        let index = self.savepoint_index(savepoint)?;
        let (_, undo_len, lock_len) = self.savepoints[index];
        for (key, previous) in self.undo.drain(undo_len..).rev() {
            match previous {
                Some(v) => {
                    self.writes.insert(key, v);
                }
                None => self.writes.remove(&key),
            }
        }
        for (key, acquired) in self.lock_log.drain(lock_len..).rev() {
            match acquired {
                Acquired::Upgraded => self.shared.locks.downgrade_key(self.id, key),
                _ => self.shared.locks.release_key(self.id, key),
            }
        }
        self.savepoints.truncate(index + 1);
        Ok(())
    }

    fn release_savepoint(&mut self, savepoint: SavepointId) -> Result<()> {
        self.check_active()?;
        let index = self.savepoint_index(savepoint)?;
        self.savepoints.truncate(index);
        if self.savepoints.is_empty() {
            self.undo.clear();
        }
        Ok(())
    }

    fn commit(mut self) -> Result<CommitInfo> {
        let result = self.commit_inner();
        self.finish();
        result
    }

    fn rollback(mut self) {
        self.finish();
    }
}

/// Merges committed data at a snapshot with the transaction's own writes.
struct MergeScan {
    committed: std::iter::Peekable<mvcc::SnapshotScan>,
    own: std::iter::Peekable<std::vec::IntoIter<(Vec<u8>, BufferedWrite)>>,
    direction: Direction,
    _snapshot: Arc<SnapshotGuard>,
}

impl Iterator for MergeScan {
    type Item = Result<KvPair>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let take_own = match (self.committed.peek(), self.own.peek()) {
                (None, None) => return None,
                (Some(Err(_)), _) => return self.committed.next(),
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some(Ok((ck, _))), Some((ok, _))) => {
                    let ord = ck.cmp(ok);
                    if ord == std::cmp::Ordering::Equal {
                        self.committed.next(); // shadowed by our own write
                        true
                    } else {
                        (ord == std::cmp::Ordering::Greater)
                            == (self.direction == Direction::Forward)
                    }
                }
            };
            if !take_own {
                return self.committed.next();
            }
            match self.own.next() {
                Some((k, Some(v))) => return Some(Ok((k, v))),
                Some((_, None)) => continue,
                None => return None,
            }
        }
    }
}
