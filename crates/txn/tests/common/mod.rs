//! Helpers shared by the transaction-layer integration tests (`hermitage`, `model`, `stress`).
//!
//! - The databases every test runs against: [`LocalKv::memory`] and an on-disk [`LocalKv::open`]
//!   in a temporary directory (skipped when `BASALT_TEST_MEMORY_ONLY=1`). Each scenario gets a
//!   fresh database.
//! - A "test" table of rows `id -> value` stored as keys `b"test/<id>"` with decimal-text values,
//!   and SQL-like statements built from the [`Transaction`] calls the SQL layer will make
//!   (`UPDATE` locks the row and, under READ COMMITTED, re-reads its newest version, as
//!   PostgreSQL's EvalPlanQual does).
//! - [`spawn_step`]: runs a step that is expected to block on a row lock in another thread, so a
//!   test can check that it really blocks and what it returns once unblocked.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::fmt::Debug;
use std::ops::Deref;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use basalt_storage::{Direction, KeyRange};
use basalt_txn::{
    CommitInfo, IsolationLevel, LocalKv, LocalTxn, LockMode, LockWait, Options, Result,
    Transaction, TxnKv, TxnOptions,
};

/// The three isolation levels, weakest first.
pub const LEVELS: [IsolationLevel; 3] = [
    IsolationLevel::ReadCommitted,
    IsolationLevel::RepeatableRead,
    IsolationLevel::Serializable,
];

/// How long a step must stay blocked to count as blocked.
pub const BLOCK_CHECK: Duration = Duration::from_millis(50);

/// How long an unblocked step may take to return before the test gives up on it.
pub const UNBLOCK_LIMIT: Duration = Duration::from_secs(10);

/// A database under test. The temporary directory (if any) outlives the database.
pub struct TestDb {
    /// "memory" or "disk".
    pub name: &'static str,
    /// The database.
    pub kv: LocalKv,
    _dir: Option<tempfile::TempDir>,
}

impl Deref for TestDb {
    type Target = LocalKv;

    fn deref(&self) -> &LocalKv {
        &self.kv
    }
}

/// Whether only the in-memory database is to be used (`BASALT_TEST_MEMORY_ONLY=1`).
pub fn memory_only() -> bool {
    std::env::var("BASALT_TEST_MEMORY_ONLY").is_ok_and(|v| v == "1")
}

/// Options of the on-disk database: no background thread, quick deadlock re-checks.
pub fn disk_options() -> Options {
    Options {
        background: false,
        deadlock_timeout: Duration::from_millis(20),
        // Every commit becomes a run (until the store holds the most it keeps), so the tests
        // read through runs as well as through the memory table.
        run_min_writes: 1,
        // Every exclusive lock outside savepoints is implicit, so the tests exercise their
        // conversion when others ask (the in-memory database keeps table entries).
        implicit_locks_after: 0,
        ..Options::default()
    }
}

/// A fresh in-memory database.
pub fn memory_db() -> TestDb {
    TestDb {
        name: "memory",
        kv: LocalKv::memory(),
        _dir: None,
    }
}

/// A fresh on-disk database in a new temporary directory.
pub fn disk_db() -> TestDb {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let kv =
        LocalKv::open(dir.path().join("db"), disk_options()).expect("open an on-disk database");
    TestDb {
        name: "disk",
        kv,
        _dir: Some(dir),
    }
}

/// A named way to make a fresh test database.
pub type Constructor = (&'static str, fn() -> TestDb);

/// The database constructors every test runs against.
pub fn constructors() -> Vec<Constructor> {
    let mut list: Vec<Constructor> = vec![("memory", memory_db)];
    if !memory_only() {
        list.push(("disk", disk_db));
    }
    list
}

/// Runs `f` once against a fresh database of each kind.
pub fn for_each_db(mut f: impl FnMut(&TestDb)) {
    for (name, make) in constructors() {
        eprintln!("-- database: {name}");
        let db = make();
        f(&db);
    }
}

/// Runs `f` against a fresh database of each kind, once per isolation level.
pub fn for_each_db_and_level(mut f: impl FnMut(&LocalKv, IsolationLevel)) {
    for (name, make) in constructors() {
        for level in LEVELS {
            eprintln!("-- database: {name}, isolation: {level:?}");
            let db = make();
            f(&db.kv, level);
            assert_eq!(
                db.locked_keys(),
                0,
                "row locks left behind ({name}, {level:?})"
            );
            assert_eq!(
                db.active_snapshots(),
                0,
                "snapshots left behind ({name}, {level:?})"
            );
        }
    }
}

/// The key of row `id` of the "test" table.
pub fn key(id: u32) -> Vec<u8> {
    format!("test/{id}").into_bytes()
}

/// The row id of a "test" table key.
pub fn id_of(key: &[u8]) -> u32 {
    let text = std::str::from_utf8(key).expect("utf-8 key");
    text.strip_prefix("test/")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a row key: {text}"))
}

/// A value as stored: decimal text.
pub fn val(n: i64) -> Vec<u8> {
    n.to_string().into_bytes()
}

/// Decodes a stored value.
pub fn num(v: &[u8]) -> i64 {
    let text = std::str::from_utf8(v).expect("utf-8 value");
    text.parse()
        .unwrap_or_else(|_| panic!("not a number: {text}"))
}

/// Every key of the "test" table.
pub fn table() -> KeyRange {
    KeyRange::prefix(b"test/")
}

/// Starts a transaction at `level`.
pub fn begin(kv: &LocalKv, level: IsolationLevel) -> LocalTxn {
    kv.begin(TxnOptions::isolation(level)).expect("begin")
}

/// Starts a read-only transaction at `level`.
pub fn begin_read_only(kv: &LocalKv, level: IsolationLevel) -> LocalTxn {
    kv.begin(TxnOptions {
        isolation: level,
        read_only: true,
        ..TxnOptions::default()
    })
    .expect("begin")
}

/// Commits `rows` in one transaction (the test's setup).
pub fn insert_rows(kv: &LocalKv, rows: &[(u32, i64)]) {
    let mut t = begin(kv, IsolationLevel::ReadCommitted);
    for &(id, v) in rows {
        t.put(key(id), val(v)).expect("setup insert");
    }
    t.commit().expect("setup commit");
}

/// The committed contents of the "test" table, read by a new transaction.
pub fn committed(kv: &LocalKv) -> Vec<(u32, i64)> {
    let mut t = begin(kv, IsolationLevel::ReadCommitted);
    let rows = select_all(&mut t).expect("read committed rows");
    t.commit().expect("commit reader");
    rows
}

/// `SELECT * FROM test WHERE pred(id, value)`, as one statement.
pub fn select(t: &mut LocalTxn, pred: impl Fn(u32, i64) -> bool) -> Result<Vec<(u32, i64)>> {
    t.start_statement();
    let mut rows = Vec::new();
    for pair in t.scan(table(), Direction::Forward)? {
        let (k, v) = pair?;
        let (id, v) = (id_of(&k), num(&v));
        if pred(id, v) {
            rows.push((id, v));
        }
    }
    Ok(rows)
}

/// `SELECT * FROM test`.
pub fn select_all(t: &mut LocalTxn) -> Result<Vec<(u32, i64)>> {
    select(t, |_, _| true)
}

/// `SELECT value FROM test WHERE id = $1` (a point read, as through the primary key).
pub fn select_id(t: &mut LocalTxn, id: u32) -> Result<Option<i64>> {
    t.start_statement();
    Ok(t.get(&key(id))?.map(|v| num(&v)))
}

/// `INSERT INTO test VALUES (id, value)`.
pub fn insert(t: &mut LocalTxn, id: u32, value: i64) -> Result<()> {
    t.start_statement();
    t.put(key(id), val(value))
}

/// Locks a row found at the statement's snapshot with `value`, the way PostgreSQL's UPDATE and
/// DELETE do: the row lock is taken (waiting for a concurrent writer); under REPEATABLE READ and
/// SERIALIZABLE a change after the snapshot fails with 40001; under READ COMMITTED the newest
/// version is re-read and the predicate re-checked (EvalPlanQual). Returns the value to work
/// on, or `None` if the row no longer qualifies.
fn lock_for_write(
    t: &mut LocalTxn,
    id: u32,
    value: i64,
    pred: &impl Fn(u32, i64) -> bool,
) -> Result<Option<i64>> {
    t.lock(&key(id), LockMode::Exclusive, LockWait::Block)?;
    if t.isolation() != IsolationLevel::ReadCommitted {
        return Ok(Some(value));
    }
    Ok(t.get_latest(&key(id))?
        .map(|v| num(&v))
        .filter(|&v| pred(id, v)))
}

/// `UPDATE test SET value = f(value) WHERE id = $1`; returns whether a row was updated.
pub fn update_id(t: &mut LocalTxn, id: u32, f: impl Fn(i64) -> i64) -> Result<bool> {
    t.start_statement();
    let Some(v) = t.get(&key(id))?.map(|v| num(&v)) else {
        return Ok(false);
    };
    match lock_for_write(t, id, v, &|i, _| i == id)? {
        Some(v) => {
            t.put(key(id), val(f(v)))?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// `UPDATE test SET value = f(value) WHERE pred(id, value)` (a scan of the table); returns the
/// number of rows updated.
pub fn update_where(
    t: &mut LocalTxn,
    pred: impl Fn(u32, i64) -> bool,
    f: impl Fn(i64) -> i64,
) -> Result<usize> {
    let mut n = 0;
    for (id, v) in select(t, &pred)? {
        if let Some(v) = lock_for_write(t, id, v, &pred)? {
            t.put(key(id), val(f(v)))?;
            n += 1;
        }
    }
    Ok(n)
}

/// `DELETE FROM test WHERE pred(id, value)` (a scan of the table); returns the number of rows
/// deleted.
pub fn delete_where(t: &mut LocalTxn, pred: impl Fn(u32, i64) -> bool) -> Result<usize> {
    let mut n = 0;
    for (id, v) in select(t, &pred)? {
        if lock_for_write(t, id, v, &pred)?.is_some() {
            t.delete(key(id))?;
            n += 1;
        }
    }
    Ok(n)
}

/// The SQLSTATE of a failed result, or `None` on success.
pub fn code_of<T>(r: &Result<T>) -> Option<&'static str> {
    r.as_ref().err().map(|e| e.sqlstate().code())
}

/// Asserts that `r` failed with SQLSTATE `code`.
#[track_caller]
pub fn assert_code<T: Debug>(r: Result<T>, code: &str) {
    match r {
        Ok(v) => panic!("expected SQLSTATE {code}, got Ok({v:?})"),
        Err(e) => assert_eq!(e.sqlstate().code(), code, "unexpected error: {e}"),
    }
}

/// Asserts that exactly one of `results` failed, with 40001, and returns its index.
#[track_caller]
pub fn assert_one_serialization_failure(results: &[Result<CommitInfo>]) -> usize {
    let failed: Vec<usize> = (0..results.len())
        .filter(|&i| results[i].is_err())
        .collect();
    assert_eq!(failed.len(), 1, "expected exactly one failure: {results:?}");
    assert_eq!(code_of(&results[failed[0]]), Some("40001"), "{results:?}");
    failed[0]
}

/// A step running in its own thread; see [`spawn_step`].
pub struct Step<T> {
    rx: mpsc::Receiver<T>,
    handle: Option<thread::JoinHandle<()>>,
}

/// Runs `f(&mut txn)` in a new thread; the transaction comes back with the result from
/// [`Step::finish`].
pub fn spawn_step<X, R>(mut txn: X, f: impl FnOnce(&mut X) -> R + Send + 'static) -> Step<(X, R)>
where
    X: Send + 'static,
    R: Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    let handle = thread::spawn(move || {
        let r = f(&mut txn);
        // The receiver is gone only if the test already failed.
        let _ = tx.send((txn, r));
    });
    Step {
        rx,
        handle: Some(handle),
    }
}

impl<T> Step<T> {
    /// Asserts that the step has not returned after [`BLOCK_CHECK`].
    #[track_caller]
    pub fn assert_blocked(&self) {
        match self.rx.recv_timeout(BLOCK_CHECK) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(_) => panic!("the step returned at once; it should block on a row lock"),
            Err(RecvTimeoutError::Disconnected) => panic!("the step's thread panicked"),
        }
    }

    /// Waits (at most [`UNBLOCK_LIMIT`]) for the step to return.
    #[track_caller]
    pub fn finish(mut self) -> T {
        match self.rx.recv_timeout(UNBLOCK_LIMIT) {
            Ok(v) => {
                if let Some(h) = self.handle.take() {
                    let _ = h.join();
                }
                v
            }
            Err(RecvTimeoutError::Timeout) => {
                panic!("the step still blocks after {UNBLOCK_LIMIT:?}")
            }
            Err(RecvTimeoutError::Disconnected) => {
                match self.handle.take().map(thread::JoinHandle::join) {
                    Some(Err(payload)) => std::panic::resume_unwind(payload),
                    _ => panic!("the step's thread ended without a result"),
                }
            }
        }
    }
}

/// Runs `f` in another thread and fails the test if it has not finished within `limit` (an
/// engine deadlock would otherwise hang the test run).
pub fn with_watchdog<R: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> R + Send + 'static,
) -> R {
    let (tx, rx) = mpsc::channel();
    let handle = thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(r) => {
            let _ = handle.join();
            r
        }
        Err(RecvTimeoutError::Timeout) => {
            panic!("watchdog: the test did not finish within {limit:?}")
        }
        Err(RecvTimeoutError::Disconnected) => match handle.join() {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(()) => panic!("the test thread ended without a result"),
        },
    }
}
