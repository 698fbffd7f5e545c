//! Deterministic crash and fault tests of the whole transaction layer on a simulated disk: torn
//! writes at power loss, failed fsyncs and a full disk, each followed by recovery and a check
//! that every acknowledged commit is present and no transaction is partly visible.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use basalt_storage::io::{CrashMode, FaultPlan, FaultyIo, Io, SimIo};
use basalt_storage::{Direction, Engine, KeyRange, MemoryEngine};
use basalt_txn::{IsolationLevel, LocalKv, Options, Transaction, TxnError, TxnKv, TxnOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const PARTS: u64 = 3;

fn options() -> Options {
    Options {
        background: false,
        wal_segment_size: 16 << 10,
        ..Options::default()
    }
}

fn open(engine: &Arc<MemoryEngine>, io: Arc<dyn Io>) -> Result<LocalKv, TxnError> {
    let engine: Arc<dyn Engine> = engine.clone();
    LocalKv::open_parts(
        engine,
        Some((io, PathBuf::from("/db/wal"))),
        options(),
        None,
    )
}

/// Transaction `n` writes `PARTS` rows tagged `n` and sets `last` to `n`.
fn commit_txn(kv: &LocalKv, n: u64, sync: bool) -> Result<bool, TxnError> {
    let mut txn = kv.begin(TxnOptions {
        isolation: IsolationLevel::RepeatableRead,
        synchronous_commit: Some(sync),
        ..TxnOptions::default()
    })?;
    for part in 0..PARTS {
        txn.put(
            format!("row/{n:08}/{part}").into_bytes(),
            n.to_be_bytes().to_vec(),
        )?;
    }
    txn.put(b"last".to_vec(), n.to_be_bytes().to_vec())?;
    Ok(txn.commit()?.durable)
}

/// Checks the state: transactions 1..=last are all whole, nothing after `last` exists, and
/// `last >= min_last`. Returns `last`.
fn verify(kv: &LocalKv, min_last: u64) -> u64 {
    let mut txn = kv
        .begin(TxnOptions::isolation(IsolationLevel::RepeatableRead))
        .unwrap();
    let last = txn
        .get(b"last")
        .unwrap()
        .map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
    assert!(
        last >= min_last,
        "acknowledged commit {min_last} lost; state ends at {last}"
    );
    let rows: Vec<_> = txn
        .scan(KeyRange::prefix(b"row/"), Direction::Forward)
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        rows.len() as u64,
        last * PARTS,
        "partial or extra transactions"
    );
    for (i, (key, value)) in rows.iter().enumerate() {
        let n = i as u64 / PARTS + 1;
        assert_eq!(
            key,
            &format!("row/{n:08}/{}", i as u64 % PARTS).into_bytes()
        );
        assert_eq!(value, &n.to_be_bytes().to_vec());
    }
    last
}

#[test]
fn torn_writes_at_power_loss_never_lose_acknowledged_commits() {
    for seed in 0..150u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let sim = Arc::new(SimIo::new());
        let engine = Arc::new(MemoryEngine::new());
        let mut durable_acked = 0;
        let mut next = 1;
        for round in 0..3 {
            let kv = open(&engine, sim.clone()).unwrap();
            let last = verify(&kv, durable_acked);
            next = last + 1;
            for _ in 0..rng.random_range(5..60) {
                let sync = rng.random_bool(0.7);
                if commit_txn(&kv, next, sync).unwrap() {
                    durable_acked = next;
                }
                next += 1;
                if rng.random_bool(0.05) {
                    kv.checkpoint().unwrap();
                }
            }
            let mode = if round % 2 == 0 {
                CrashMode::TornWrites { seed }
            } else {
                CrashMode::LoseUnsynced
            };
            sim.crash(mode);
            engine.simulate_crash();
            std::mem::forget(kv); // power loss: no shutdown work
        }
        let kv = open(&engine, sim.clone()).unwrap();
        verify(&kv, durable_acked);
        assert!(next > 1);
    }
}

#[test]
fn failed_fsync_fails_the_commit_and_refuses_more_until_recovery() {
    let sim = Arc::new(SimIo::new());
    let plan = Arc::new(FaultPlan::new());
    let faulty: Arc<dyn Io> = Arc::new(FaultyIo::with_plan(sim.clone(), plan.clone()));
    let engine = Arc::new(MemoryEngine::new());
    let kv = open(&engine, faulty.clone()).unwrap();
    for n in 1..=5 {
        assert!(commit_txn(&kv, n, true).unwrap());
    }
    plan.fail_nth_sync(1);
    let err = commit_txn(&kv, 6, true).unwrap_err();
    assert_eq!(err.sqlstate().code(), "58030", "{err}");
    // The failed commit is invisible here, and the database refuses further commits.
    assert_eq!(verify(&kv, 5), 5);
    let err = commit_txn(&kv, 6, true).unwrap_err();
    assert!(matches!(err, TxnError::Failed(_)), "{err}");
    // Power loss, then recovery on a healthy disk: 1..=5 are there; 6 is whole or absent.
    plan.clear_faults();
    sim.crash(CrashMode::TornWrites { seed: 7 });
    engine.simulate_crash();
    std::mem::forget(kv);
    let kv = open(&engine, faulty).unwrap();
    let last = verify(&kv, 5);
    assert!(last == 5 || last == 6);
    assert!(commit_txn(&kv, last + 1, true).unwrap());
    verify(&kv, last + 1);
}

#[test]
fn full_disk_fails_commits_cleanly_and_recovers_when_space_returns() {
    let sim = Arc::new(SimIo::new());
    let plan = Arc::new(FaultPlan::new());
    let faulty: Arc<dyn Io> = Arc::new(FaultyIo::with_plan(sim.clone(), plan.clone()));
    let engine = Arc::new(MemoryEngine::new());
    let kv = open(&engine, faulty.clone()).unwrap();
    plan.set_space_budget(Some(0));
    let mut n = 1;
    // Commits succeed while the current segment has room, then fail with disk full.
    let err = loop {
        match commit_txn(&kv, n, true) {
            Ok(_) => n += 1,
            Err(e) => break e,
        }
        assert!(n < 10_000, "the space budget never bit");
    };
    assert_eq!(err.sqlstate().code(), "53100", "{err}");
    assert_eq!(verify(&kv, n - 1), n - 1);
    plan.set_space_budget(None);
    assert!(
        commit_txn(&kv, n, true).unwrap(),
        "commits work again once there is space"
    );
    verify(&kv, n);
    sim.crash(CrashMode::LoseUnsynced);
    engine.simulate_crash();
    std::mem::forget(kv);
    let kv = open(&engine, faulty).unwrap();
    verify(&kv, n);
}

#[test]
fn recovery_after_checkpoint_replays_only_the_tail() {
    let sim = Arc::new(SimIo::new());
    let engine = Arc::new(MemoryEngine::new());
    let kv = open(&engine, sim.clone()).unwrap();
    for n in 1..=200 {
        commit_txn(&kv, n, true).unwrap();
    }
    kv.checkpoint().unwrap();
    for n in 201..=230 {
        commit_txn(&kv, n, true).unwrap();
    }
    sim.crash(CrashMode::LoseUnsynced);
    engine.simulate_crash();
    std::mem::forget(kv);
    let kv = open(&engine, sim.clone()).unwrap();
    verify(&kv, 230);
    let report = kv.recovery_report().unwrap();
    assert!(report.cut.is_none(), "{report:?}");
    // Segments before the checkpoint were removed: the log starts after record 1.
    assert!(report.first_lsn > 1, "{report:?}");
}
