//! Concurrency stress: many threads at every isolation level on a few hot rows.
//!
//! - Incrementers: read-modify-write `+1` on one or two of four hot counters (two in random
//!   order, so deadlocks happen), retrying on 40001 and 40P01. READ COMMITTED increments the
//!   way PostgreSQL's `UPDATE ... SET n = n + 1` does (lock the row, re-read its newest
//!   version), the snapshot levels read at their snapshot and rely on first-updater-wins.
//! - Transfers between eight accounts, which keep the total balance.
//! - Readers checking the total in one statement (every level) and, under REPEATABLE READ and
//!   SERIALIZABLE, again with one point read per account in later statements of the same
//!   transaction: the total never changes.
//! - A maintenance thread running `vacuum` and `checkpoint` meanwhile.
//!
//! Afterwards each counter equals the number of committed increments of it, the total is
//! intact, and no row lock or snapshot is left.
//!
//! A second test runs the "doctors on call" write skew concurrently: SERIALIZABLE transactions
//! each take one of two doctors of a pair off call if both are on, and put one back when only
//! one is; at no committed state may both be off.
//!
//! A watchdog fails a test instead of letting an engine deadlock hang it.

#![allow(
    clippy::unwrap_used,
    reason = "test code: helpers outside #[test] functions unwrap too"
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use basalt_storage::{Direction, KeyRange};
use basalt_txn::{
    IsolationLevel, LocalKv, LocalTxn, LockMode, LockWait, Result, Transaction, TxnError, TxnKv,
    TxnOptions,
};
use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use IsolationLevel::{ReadCommitted, RepeatableRead, Serializable};

const COUNTERS: usize = 4;
const ACCOUNTS: usize = 8;
const BALANCE: i64 = 100;
const TOTAL: i64 = ACCOUNTS as i64 * BALANCE;
/// How long the workers run against each database.
const RUN_FOR: Duration = Duration::from_millis(2500);
const WATCHDOG: Duration = Duration::from_secs(60);

fn counter(i: usize) -> Vec<u8> {
    format!("ctr/{i}").into_bytes()
}

fn account(i: usize) -> Vec<u8> {
    format!("acct/{i}").into_bytes()
}

#[derive(Default)]
struct Stats {
    increments: [AtomicU64; COUNTERS],
    transfers: AtomicU64,
    reads: AtomicU64,
    serialization_failures: AtomicU64,
    deadlocks: AtomicU64,
}

/// Runs `attempt` in new transactions at `level` until one commits, retrying on 40001 and
/// 40P01. Returns `false` if the deadline passed first.
fn retry(
    kv: &LocalKv,
    options: &TxnOptions,
    deadline: Instant,
    stats: &Stats,
    mut attempt: impl FnMut(&mut LocalTxn) -> Result<()>,
) -> bool {
    while Instant::now() < deadline {
        let mut t = kv.begin(options.clone()).unwrap();
        let error = match attempt(&mut t) {
            Ok(()) => match t.commit() {
                Ok(_) => return true,
                Err(e) => e,
            },
            Err(e) => {
                t.rollback();
                e
            }
        };
        match &error {
            TxnError::Serialization(_) => {
                assert_ne!(
                    options.isolation, ReadCommitted,
                    "READ COMMITTED never fails with 40001: {error}"
                );
                stats.serialization_failures.fetch_add(1, Ordering::Relaxed);
            }
            TxnError::Deadlock(_) => {
                stats.deadlocks.fetch_add(1, Ordering::Relaxed);
            }
            _ => panic!("unexpected error at {:?}: {error}", options.isolation),
        }
    }
    false
}

/// Reads the row for update: READ COMMITTED locks it and reads its newest version; the snapshot
/// levels read their snapshot (the write then fails with 40001 if it changed).
fn read_for_update(t: &mut LocalTxn, key: &[u8]) -> Result<i64> {
    let v = if t.isolation() == ReadCommitted {
        t.lock(key, LockMode::Exclusive, LockWait::Block)?;
        t.get_latest(key)?
    } else {
        t.get(key)?
    };
    Ok(num(&v.expect("row exists")))
}

fn incrementer(
    kv: LocalKv,
    level: IsolationLevel,
    seed: u64,
    deadline: Instant,
    stats: Arc<Stats>,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let options = TxnOptions::isolation(level);
    while Instant::now() < deadline {
        let a = rng.random_range(0..COUNTERS);
        let mut targets = vec![a];
        if rng.random_bool(0.3) {
            targets.push((a + rng.random_range(1..COUNTERS)) % COUNTERS);
        }
        let committed = retry(&kv, &options, deadline, &stats, |t| {
            for &c in &targets {
                t.start_statement();
                let v = read_for_update(t, &counter(c))?;
                t.put(counter(c), val(v + 1))?;
            }
            Ok(())
        });
        if committed {
            for &c in &targets {
                stats.increments[c].fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn transferrer(
    kv: LocalKv,
    level: IsolationLevel,
    seed: u64,
    deadline: Instant,
    stats: Arc<Stats>,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let options = TxnOptions::isolation(level);
    while Instant::now() < deadline {
        let from = rng.random_range(0..ACCOUNTS);
        let to = (from + rng.random_range(1..ACCOUNTS)) % ACCOUNTS;
        let amount = rng.random_range(1..=20);
        let committed = retry(&kv, &options, deadline, &stats, |t| {
            t.start_statement();
            let a = read_for_update(t, &account(from))?;
            t.put(account(from), val(a - amount))?;
            t.start_statement();
            let b = read_for_update(t, &account(to))?;
            t.put(account(to), val(b + amount))?;
            Ok(())
        });
        if committed {
            stats.transfers.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn reader(kv: LocalKv, level: IsolationLevel, deadline: Instant, stats: Arc<Stats>) {
    let options = TxnOptions {
        isolation: level,
        read_only: true,
        ..TxnOptions::default()
    };
    while Instant::now() < deadline {
        let mut t = kv.begin(options.clone()).unwrap();
        t.start_statement();
        let rows: Vec<(Vec<u8>, Vec<u8>)> = t
            .scan(KeyRange::prefix(b"acct/"), Direction::Forward)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(rows.len(), ACCOUNTS);
        let total: i64 = rows.iter().map(|(_, v)| num(v)).sum();
        assert_eq!(
            total, TOTAL,
            "{level:?} reader saw a partial transfer: {rows:?}"
        );
        if level != ReadCommitted {
            // Later statements of the same transaction see the same snapshot.
            let mut again = 0;
            for (i, (k, v)) in rows.iter().enumerate() {
                t.start_statement();
                let got = t.get(&account(i)).unwrap().expect("account exists");
                assert_eq!((&account(i), &got), (k, v), "{level:?} snapshot changed");
                again += num(&got);
            }
            assert_eq!(again, TOTAL);
        }
        // A read-only SERIALIZABLE transaction may still be refused at commit.
        match t.commit() {
            Ok(_) => {}
            Err(e) => assert_eq!(e.sqlstate().code(), "40001", "{e}"),
        }
        stats.reads.fetch_add(1, Ordering::Relaxed);
    }
}

fn maintenance(kv: LocalKv, deadline: Instant) {
    let mut n = 0u32;
    while Instant::now() < deadline {
        kv.vacuum().unwrap();
        if n.is_multiple_of(10) {
            kv.checkpoint().unwrap();
        }
        n += 1;
        thread::sleep(Duration::from_millis(20));
    }
}

fn run_stress(db: &TestDb) {
    let kv = db.kv.clone();
    let mut setup = begin(&kv, ReadCommitted);
    for c in 0..COUNTERS {
        setup.put(counter(c), val(0)).unwrap();
    }
    for a in 0..ACCOUNTS {
        setup.put(account(a), val(BALANCE)).unwrap();
    }
    setup.commit().unwrap();

    let stats = Arc::new(Stats::default());
    let deadline = Instant::now() + RUN_FOR;
    let mut handles = Vec::new();
    let mut seed = 0;
    for level in [ReadCommitted, RepeatableRead, Serializable] {
        for _ in 0..2 {
            let (kv, stats) = (kv.clone(), stats.clone());
            seed += 1;
            handles.push(thread::spawn(move || {
                incrementer(kv, level, seed, deadline, stats)
            }));
        }
    }
    for level in [ReadCommitted, RepeatableRead, Serializable, Serializable] {
        let (kv, stats) = (kv.clone(), stats.clone());
        seed += 1;
        handles.push(thread::spawn(move || {
            transferrer(kv, level, seed, deadline, stats)
        }));
    }
    for level in [ReadCommitted, RepeatableRead, Serializable] {
        let (kv, stats) = (kv.clone(), stats.clone());
        handles.push(thread::spawn(move || reader(kv, level, deadline, stats)));
    }
    {
        let kv = kv.clone();
        handles.push(thread::spawn(move || maintenance(kv, deadline)));
    }
    // Join all before failing, so a panic in one worker is reported as that worker's.
    let outcomes: Vec<_> = handles.into_iter().map(thread::JoinHandle::join).collect();
    for outcome in outcomes {
        if let Err(payload) = outcome {
            std::panic::resume_unwind(payload);
        }
    }

    let increments: Vec<u64> = stats
        .increments
        .iter()
        .map(|n| n.load(Ordering::Relaxed))
        .collect();
    eprintln!(
        "{}: increments {increments:?}, transfers {}, reads {}, 40001 {}, 40P01 {}",
        db.name,
        stats.transfers.load(Ordering::Relaxed),
        stats.reads.load(Ordering::Relaxed),
        stats.serialization_failures.load(Ordering::Relaxed),
        stats.deadlocks.load(Ordering::Relaxed),
    );
    let mut t = begin(&kv, RepeatableRead);
    for (c, &n) in increments.iter().enumerate() {
        let v = num(&t.get(&counter(c)).unwrap().unwrap());
        assert_eq!(
            v,
            i64::try_from(n).unwrap(),
            "counter {c}: value vs committed increments"
        );
    }
    let total: i64 = (0..ACCOUNTS)
        .map(|a| num(&t.get(&account(a)).unwrap().unwrap()))
        .sum();
    assert_eq!(total, TOTAL);
    t.commit().unwrap();
    assert!(increments.iter().sum::<u64>() > 0, "no increment committed");
    assert!(
        stats.transfers.load(Ordering::Relaxed) > 0,
        "no transfer committed"
    );
    assert!(
        stats.reads.load(Ordering::Relaxed) > 0,
        "no reader finished"
    );
    assert_eq!(kv.locked_keys(), 0, "row locks left behind");
    assert_eq!(kv.active_snapshots(), 0, "snapshots left behind");
}

#[test]
fn hot_counters_transfers_and_readers() {
    for (name, make) in constructors() {
        eprintln!("-- database: {name}");
        with_watchdog(WATCHDOG, move || run_stress(&make()));
    }
}

const PAIRS: usize = 3;
const ON_CALL_RUN_FOR: Duration = Duration::from_millis(1500);

fn doctor(pair: usize, which: usize) -> Vec<u8> {
    format!("doc/{pair}/{which}").into_bytes()
}

fn run_on_call(db: &TestDb) {
    let kv = db.kv.clone();
    let mut setup = begin(&kv, ReadCommitted);
    for p in 0..PAIRS {
        for d in 0..2 {
            setup.put(doctor(p, d), val(1)).unwrap();
        }
    }
    setup.commit().unwrap();
    let stats = Arc::new(Stats::default());
    let deadline = Instant::now() + ON_CALL_RUN_FOR;
    let mut handles = Vec::new();
    for seed in 0..6 {
        let (kv, stats) = (kv.clone(), stats.clone());
        handles.push(thread::spawn(move || {
            let mut rng = StdRng::seed_from_u64(100 + seed);
            let options = TxnOptions::isolation(Serializable);
            while Instant::now() < deadline {
                let p = rng.random_range(0..PAIRS);
                let pick = rng.random_range(0..2);
                let committed = retry(&kv, &options, deadline, &stats, |t| {
                    t.start_statement();
                    let on: Vec<i64> = (0..2)
                        .map(|d| t.get(&doctor(p, d)).map(|v| num(&v.expect("row exists"))))
                        .collect::<Result<_>>()?;
                    t.start_statement();
                    match on.iter().sum::<i64>() {
                        // Both on call: one may leave.
                        2 => t.put(doctor(p, pick), val(0)),
                        // One on call: the other comes back.
                        1 => t.put(doctor(p, if on[0] == 0 { 0 } else { 1 }), val(1)),
                        _ => panic!("pair {p}: nobody on call: {on:?}"),
                    }
                });
                if committed {
                    stats.transfers.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for level in [RepeatableRead, Serializable] {
        let (kv, stats) = (kv.clone(), stats.clone());
        handles.push(thread::spawn(move || {
            let options = TxnOptions {
                isolation: level,
                read_only: true,
                ..TxnOptions::default()
            };
            while Instant::now() < deadline {
                let mut t = kv.begin(options.clone()).unwrap();
                let rows: Vec<(Vec<u8>, Vec<u8>)> = t
                    .scan(KeyRange::prefix(b"doc/"), Direction::Forward)
                    .unwrap()
                    .map(|r| r.unwrap())
                    .collect();
                assert_eq!(rows.len(), 2 * PAIRS);
                for pair in rows.chunks(2) {
                    let on = num(&pair[0].1) + num(&pair[1].1);
                    assert!(on >= 1, "a committed state has nobody on call: {rows:?}");
                }
                let _ = t.commit();
                stats.reads.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let outcomes: Vec<_> = handles.into_iter().map(thread::JoinHandle::join).collect();
    for outcome in outcomes {
        if let Err(payload) = outcome {
            std::panic::resume_unwind(payload);
        }
    }
    eprintln!(
        "{}: on-call changes {}, reads {}, 40001 {}, 40P01 {}",
        db.name,
        stats.transfers.load(Ordering::Relaxed),
        stats.reads.load(Ordering::Relaxed),
        stats.serialization_failures.load(Ordering::Relaxed),
        stats.deadlocks.load(Ordering::Relaxed),
    );
    assert!(
        stats.transfers.load(Ordering::Relaxed) > 0,
        "no change committed"
    );
    assert_eq!(kv.locked_keys(), 0, "row locks left behind");
    assert_eq!(kv.active_snapshots(), 0, "snapshots left behind");
}

#[test]
fn serializable_prevents_write_skew_under_concurrency() {
    for (name, make) in constructors() {
        eprintln!("-- database: {name}");
        with_watchdog(WATCHDOG, move || run_on_call(&make()));
    }
}

/// Rows deleted in one transaction, while `vacuum` removes their versions.
const GC_KEYS: usize = 512 * 16;

fn gc_key(i: usize) -> Vec<u8> {
    format!("g/{i:05}").into_bytes()
}

/// Vacuum removes a deleted row's tombstone and its older versions, but in several engine
/// batches; readers at snapshots at or after the watermark must keep reading "absent" for
/// every deleted row while it runs (mvcc's invariant: GC does not change what such a snapshot
/// reads). The data are laid out so the removal batches (1024 removals each) split a tombstone
/// from the older version it hides: one extra removable version sorts first, so every batch
/// ends right after a tombstone.
fn run_vacuum_with_readers(db: &TestDb) -> usize {
    let kv = db.kv.clone();
    let mut t = begin(&kv, ReadCommitted);
    t.put(b"a".to_vec(), val(1)).unwrap();
    t.commit().unwrap();
    let mut t = begin(&kv, ReadCommitted);
    t.put(b"a".to_vec(), val(2)).unwrap();
    for i in 0..GC_KEYS {
        t.put(gc_key(i), val(i as i64)).unwrap();
    }
    t.commit().unwrap();
    let mut t = begin(&kv, ReadCommitted);
    for i in 0..GC_KEYS {
        t.delete(gc_key(i)).unwrap();
    }
    t.commit().unwrap();
    // The rows whose tombstone ends a removal batch (removal number 1024 * k is the tombstone of
    // row 512 * k - 1), plus some others.
    let watched: Vec<usize> = (1..=GC_KEYS / 512)
        .map(|k| 512 * k - 1)
        .chain([0, 1, 700])
        .collect();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..2 {
        let (kv, done, watched) = (kv.clone(), done.clone(), watched.clone());
        readers.push(thread::spawn(move || {
            let mut seen = Vec::new();
            while !done.load(Ordering::Acquire) {
                let mut t = begin(&kv, ReadCommitted);
                for &i in &watched {
                    t.start_statement();
                    if let Some(v) = t.get(&gc_key(i)).unwrap() {
                        seen.push((i, num(&v)));
                    }
                }
                t.commit().unwrap();
            }
            seen
        }));
    }
    thread::sleep(Duration::from_millis(20));
    let stats = kv.vacuum().unwrap();
    done.store(true, Ordering::Release);
    let mut resurrected = Vec::new();
    for r in readers {
        resurrected.extend(r.join().unwrap());
    }
    // Two versions of every deleted row, and the older version of "a".
    assert_eq!(stats.versions_removed, 2 * GC_KEYS as u64 + 1, "{stats:?}");
    assert!(
        resurrected.is_empty(),
        "{}: deleted rows were readable again while vacuum ran (row, value): {:?}",
        db.name,
        &resurrected[..resurrected.len().min(10)]
    );
    let mut t = begin(&kv, ReadCommitted);
    assert_eq!(
        t.scan(KeyRange::prefix(b"g/"), Direction::Forward)
            .unwrap()
            .count(),
        0
    );
    t.commit().unwrap();
    watched.len()
}

#[test]
fn vacuum_never_resurrects_deleted_rows() {
    for (name, make) in constructors() {
        eprintln!("-- database: {name}");
        with_watchdog(WATCHDOG, move || {
            for _ in 0..3 {
                run_vacuum_with_readers(&make());
            }
        });
    }
}
