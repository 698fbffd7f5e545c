//! Hermitage-style isolation tests (after Martin Kleppmann's Hermitage suite), run at READ
//! COMMITTED, REPEATABLE READ and SERIALIZABLE against every test database, each asserting
//! what PostgreSQL 15 does at that level.
//!
//! Setup before every scenario (as in Hermitage):
//! `create table test (id int primary key, value int); insert into test values (1, 10), (2, 20);`
//! Rows are keys `test/<id>`; statements are built from `Transaction` calls in `common`
//! (`UPDATE` takes the row lock and, under READ COMMITTED, re-checks the newest version).
//!
//! A step that PostgreSQL blocks on a row lock runs in its own thread; the test checks that it
//! has not returned after 50 ms, then what it returns once the lock holder commits or aborts.
//! PostgreSQL reports some SERIALIZABLE failures at the statement and some at commit; Basalt
//! reports SSI failures at commit, so those checks accept either and require exactly one of the
//! transactions involved to fail with 40001.

#![allow(
    clippy::unwrap_used,
    reason = "test code: helpers outside #[test] functions unwrap too"
)]

mod common;

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use basalt_storage::Direction;
use basalt_txn::{
    IsolationLevel, LocalKv, LocalTxn, LockMode, LockOutcome, LockWait, Result, Transaction, TxnKv,
    TxnOptions,
};
use common::*;

use IsolationLevel::{ReadCommitted, Serializable};

fn setup(kv: &LocalKv) {
    insert_rows(kv, &[(1, 10), (2, 20)]);
}

// ---------------------------------------------------------------------------------------------
// G0: write cycles
// ---------------------------------------------------------------------------------------------

/// PostgreSQL prevents G0 at every level by locking updated rows: T2's update of row 1 blocks
/// until T1 ends. Under READ COMMITTED it then proceeds (final 1 => 12, 2 => 22); under
/// REPEATABLE READ and SERIALIZABLE it fails with 40001 ("could not serialize access due to
/// concurrent update") and T1's writes stand (1 => 11, 2 => 21).
#[test]
fn g0_write_cycles() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        let t2 = begin(kv, level);
        assert!(update_id(&mut t1, 1, |_| 11).unwrap());
        let step = spawn_step(t2, |t| update_id(t, 1, |_| 12));
        step.assert_blocked();
        assert!(update_id(&mut t1, 2, |_| 21).unwrap());
        t1.commit().unwrap();
        // T1's writes are visible; T2's pending one is not.
        assert_eq!(committed(kv), [(1, 11), (2, 21)]);
        let (mut t2, r) = step.finish();
        if level == ReadCommitted {
            assert!(r.unwrap());
            assert!(update_id(&mut t2, 2, |_| 22).unwrap());
            t2.commit().unwrap();
            assert_eq!(committed(kv), [(1, 12), (2, 22)]);
        } else {
            assert_code(r, "40001");
            t2.rollback();
            assert_eq!(committed(kv), [(1, 11), (2, 21)]);
        }
    });
}

/// A writer blocked on a row lock proceeds at every level when the holder aborts (nothing
/// changed after its snapshot, so no 40001 either).
#[test]
fn blocked_writer_proceeds_after_holder_aborts() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        let t2 = begin(kv, level);
        assert!(update_id(&mut t1, 1, |_| 11).unwrap());
        let step = spawn_step(t2, |t| update_id(t, 1, |v| v + 2));
        step.assert_blocked();
        t1.rollback();
        let (t2, r) = step.finish();
        assert!(r.unwrap());
        t2.commit().unwrap();
        assert_eq!(committed(kv), [(1, 12), (2, 20)]);
    });
}

// ---------------------------------------------------------------------------------------------
// G1a, G1b, G1c
// ---------------------------------------------------------------------------------------------

/// G1a (aborted reads): prevented at every level; T2 never sees T1's aborted 101.
#[test]
fn g1a_aborted_reads() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        let mut t2 = begin(kv, level);
        assert!(update_id(&mut t1, 1, |_| 101).unwrap());
        assert_eq!(select_all(&mut t2).unwrap(), [(1, 10), (2, 20)]);
        t1.rollback();
        assert_eq!(select_all(&mut t2).unwrap(), [(1, 10), (2, 20)]);
        t2.commit().unwrap();
        assert_eq!(committed(kv), [(1, 10), (2, 20)]);
    });
}

/// G1b (intermediate reads): prevented at every level; T2 never sees T1's intermediate 101.
/// After T1 commits, READ COMMITTED sees the final 11; REPEATABLE READ and SERIALIZABLE keep
/// seeing 10.
#[test]
fn g1b_intermediate_reads() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        let mut t2 = begin(kv, level);
        assert!(update_id(&mut t1, 1, |_| 101).unwrap());
        assert_eq!(select_all(&mut t2).unwrap(), [(1, 10), (2, 20)]);
        assert!(update_id(&mut t1, 1, |_| 11).unwrap());
        t1.commit().unwrap();
        let expected = if level == ReadCommitted { 11 } else { 10 };
        assert_eq!(select_all(&mut t2).unwrap(), [(1, expected), (2, 20)]);
        t2.commit().unwrap();
    });
}

/// G1c (circular information flow): prevented at every level; each transaction reads the
/// other's row as it was before. READ COMMITTED and REPEATABLE READ commit both. Under
/// SERIALIZABLE the reads form an rw-antidependency cycle (T1 -rw-> T2 -rw-> T1), and
/// PostgreSQL fails the second committer with 40001.
#[test]
fn g1c_circular_information_flow() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        let mut t2 = begin(kv, level);
        assert!(update_id(&mut t1, 1, |_| 11).unwrap());
        assert!(update_id(&mut t2, 2, |_| 22).unwrap());
        assert_eq!(select_id(&mut t1, 2).unwrap(), Some(20));
        assert_eq!(select_id(&mut t2, 1).unwrap(), Some(10));
        let results = [t1.commit(), t2.commit()];
        if level == Serializable {
            let failed = assert_one_serialization_failure(&results);
            let expected = if failed == 0 {
                [(1, 10), (2, 22)]
            } else {
                [(1, 11), (2, 20)]
            };
            assert_eq!(committed(kv), expected);
        } else {
            assert!(results.iter().all(Result::is_ok), "{results:?}");
            assert_eq!(committed(kv), [(1, 11), (2, 22)]);
        }
    });
}

// ---------------------------------------------------------------------------------------------
// OTV
// ---------------------------------------------------------------------------------------------

/// OTV (observed transaction vanishes): prevented at every level. T3 reads T1's writes and
/// never loses them to a mix with T2's. Under READ COMMITTED T2's blocked update proceeds and T3
/// later sees T2's values (1 => 12, 2 => 18) as a whole; under REPEATABLE READ and SERIALIZABLE
/// T2 fails with 40001 and T3 keeps seeing T1's values.
#[test]
fn otv_observed_transaction_vanishes() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        let t2 = begin(kv, level);
        let mut t3 = begin(kv, level);
        assert!(update_id(&mut t1, 1, |_| 11).unwrap());
        assert!(update_id(&mut t1, 2, |_| 19).unwrap());
        let step = spawn_step(t2, |t| update_id(t, 1, |_| 12));
        step.assert_blocked();
        t1.commit().unwrap();
        let (mut t2, r) = step.finish();
        assert_eq!(select_id(&mut t3, 1).unwrap(), Some(11));
        if level == ReadCommitted {
            assert!(r.unwrap());
            assert!(update_id(&mut t2, 2, |_| 18).unwrap());
            assert_eq!(select_id(&mut t3, 2).unwrap(), Some(19));
            t2.commit().unwrap();
            assert_eq!(select_id(&mut t3, 2).unwrap(), Some(18));
            assert_eq!(select_id(&mut t3, 1).unwrap(), Some(12));
        } else {
            assert_code(r, "40001");
            t2.rollback();
            assert_eq!(select_id(&mut t3, 2).unwrap(), Some(19));
            assert_eq!(select_id(&mut t3, 2).unwrap(), Some(19));
            assert_eq!(select_id(&mut t3, 1).unwrap(), Some(11));
        }
        t3.commit().unwrap();
    });
}

// ---------------------------------------------------------------------------------------------
// PMP
// ---------------------------------------------------------------------------------------------

/// PMP (predicate-many-preceders), read predicates: READ COMMITTED allows it (T1's second
/// predicate read returns the row T2 inserted meanwhile); REPEATABLE READ and SERIALIZABLE
/// prevent it (still nothing).
#[test]
fn pmp_read_predicate() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        let mut t2 = begin(kv, level);
        assert_eq!(select(&mut t1, |_, v| v == 30).unwrap(), []);
        insert(&mut t2, 3, 30).unwrap();
        t2.commit().unwrap();
        let rows = select(&mut t1, |_, v| v % 3 == 0).unwrap();
        if level == ReadCommitted {
            assert_eq!(rows, [(3, 30)]);
        } else {
            assert_eq!(rows, []);
        }
        t1.commit().unwrap();
    });
}

/// PMP for write predicates (the example from PostgreSQL's documentation): T1 adds 10 to every
/// row; T2's `DELETE ... WHERE value = 20` blocks on row 2. Under READ COMMITTED, once T1
/// commits, T2 re-checks the newest version of row 2 (30), finds the predicate false and
/// deletes nothing — and then sees row 1 with value 20 "despite ostensibly having been
/// deleted". Under REPEATABLE READ and SERIALIZABLE T2 fails with 40001.
#[test]
fn pmp_write_predicate() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        let t2 = begin(kv, level);
        assert_eq!(update_where(&mut t1, |_, _| true, |v| v + 10).unwrap(), 2);
        let step = spawn_step(t2, |t| delete_where(t, |_, v| v == 20));
        step.assert_blocked();
        t1.commit().unwrap();
        let (mut t2, r) = step.finish();
        if level == ReadCommitted {
            assert_eq!(r.unwrap(), 0);
            assert_eq!(select(&mut t2, |_, v| v == 20).unwrap(), [(1, 20)]);
            t2.commit().unwrap();
        } else {
            assert_code(r, "40001");
            t2.rollback();
        }
        assert_eq!(committed(kv), [(1, 20), (2, 30)]);
    });
}

// ---------------------------------------------------------------------------------------------
// P4: lost update
// ---------------------------------------------------------------------------------------------

/// P4 (lost update): both read row 1 (10) and write back what they read plus one. READ
/// COMMITTED allows the lost update (T2's blocked write proceeds: final 11 after two
/// increments); REPEATABLE READ and SERIALIZABLE fail T2 with 40001.
#[test]
fn p4_lost_update() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        let mut t2 = begin(kv, level);
        let v1 = select_id(&mut t1, 1).unwrap().unwrap();
        let v2 = select_id(&mut t2, 1).unwrap().unwrap();
        assert_eq!((v1, v2), (10, 10));
        assert!(update_id(&mut t1, 1, move |_| v1 + 1).unwrap());
        let step = spawn_step(t2, move |t| update_id(t, 1, move |_| v2 + 1));
        step.assert_blocked();
        t1.commit().unwrap();
        let (t2, r) = step.finish();
        if level == ReadCommitted {
            assert!(r.unwrap());
            t2.commit().unwrap();
        } else {
            assert_code(r, "40001");
            t2.rollback();
        }
        assert_eq!(committed(kv), [(1, 11), (2, 20)]);
    });
}

/// `UPDATE test SET value = value + 1 WHERE id = 1` in both: under READ COMMITTED the blocked
/// update re-reads the newest version after T1 commits (EvalPlanQual), so no increment is lost
/// (final 12); REPEATABLE READ and SERIALIZABLE fail T2 with 40001 (final 11).
#[test]
fn p4_in_place_increment() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        let mut t2 = begin(kv, level);
        // T2's snapshot is taken before T1's update.
        assert_eq!(select_id(&mut t2, 2).unwrap(), Some(20));
        assert!(update_id(&mut t1, 1, |v| v + 1).unwrap());
        let step = spawn_step(t2, |t| update_id(t, 1, |v| v + 1));
        step.assert_blocked();
        t1.commit().unwrap();
        let (t2, r) = step.finish();
        if level == ReadCommitted {
            assert!(r.unwrap());
            t2.commit().unwrap();
            assert_eq!(committed(kv), [(1, 12), (2, 20)]);
        } else {
            assert_code(r, "40001");
            t2.rollback();
            assert_eq!(committed(kv), [(1, 11), (2, 20)]);
        }
    });
}

// ---------------------------------------------------------------------------------------------
// G-single: read skew
// ---------------------------------------------------------------------------------------------

/// G-single (read skew), read-only T1: READ COMMITTED allows it (T1 sees row 1 before and row 2
/// after T2: 10 and 18); REPEATABLE READ and SERIALIZABLE prevent it (10 and 20).
#[test]
fn g_single_read_skew() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        let mut t2 = begin(kv, level);
        assert_eq!(select_id(&mut t1, 1).unwrap(), Some(10));
        assert_eq!(select_id(&mut t2, 1).unwrap(), Some(10));
        assert_eq!(select_id(&mut t2, 2).unwrap(), Some(20));
        assert!(update_id(&mut t2, 1, |_| 12).unwrap());
        assert!(update_id(&mut t2, 2, |_| 18).unwrap());
        t2.commit().unwrap();
        let expected = if level == ReadCommitted { 18 } else { 20 };
        assert_eq!(select_id(&mut t1, 2).unwrap(), Some(expected));
        t1.commit().unwrap();
    });
}

/// G-single with predicate reads: T1 reads `value % 5 = 0`, T2 changes 10 to 12 and commits,
/// T1 reads `value % 3 = 0`: READ COMMITTED returns (1, 12); REPEATABLE READ and SERIALIZABLE
/// return nothing.
#[test]
fn g_single_predicate_read_skew() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        let mut t2 = begin(kv, level);
        assert_eq!(
            select(&mut t1, |_, v| v % 5 == 0).unwrap(),
            [(1, 10), (2, 20)]
        );
        assert_eq!(update_where(&mut t2, |_, v| v == 10, |_| 12).unwrap(), 1);
        t2.commit().unwrap();
        let rows = select(&mut t1, |_, v| v % 3 == 0).unwrap();
        if level == ReadCommitted {
            assert_eq!(rows, [(1, 12)]);
        } else {
            assert_eq!(rows, []);
        }
        t1.commit().unwrap();
    });
}

/// G-single where T1 then writes: after T2 commits 1 => 12, 2 => 18, T1 runs `DELETE FROM test
/// WHERE value = 20`. READ COMMITTED takes a new snapshot and deletes nothing; REPEATABLE READ
/// and SERIALIZABLE still see 2 => 20 and fail with 40001 on the concurrent update.
#[test]
fn g_single_read_skew_then_write() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        let mut t2 = begin(kv, level);
        assert_eq!(select_id(&mut t1, 1).unwrap(), Some(10));
        assert_eq!(select_all(&mut t2).unwrap(), [(1, 10), (2, 20)]);
        assert!(update_id(&mut t2, 1, |_| 12).unwrap());
        assert!(update_id(&mut t2, 2, |_| 18).unwrap());
        t2.commit().unwrap();
        let r = delete_where(&mut t1, |_, v| v == 20);
        if level == ReadCommitted {
            assert_eq!(r.unwrap(), 0);
            t1.commit().unwrap();
        } else {
            assert_code(r, "40001");
            t1.rollback();
        }
        assert_eq!(committed(kv), [(1, 12), (2, 18)]);
    });
}

/// G-single, second write variant: T1 deletes row 2 (value 20) before T2 updates it; T2's
/// update blocks on T1's row lock, T1 aborts, and T2 proceeds at every level.
#[test]
fn g_single_write_then_abort() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        let mut t2 = begin(kv, level);
        assert_eq!(select_id(&mut t1, 1).unwrap(), Some(10));
        assert_eq!(select_all(&mut t2).unwrap(), [(1, 10), (2, 20)]);
        assert!(update_id(&mut t2, 1, |_| 12).unwrap());
        assert_eq!(delete_where(&mut t1, |_, v| v == 20).unwrap(), 1);
        let step = spawn_step(t2, |t| update_id(t, 2, |_| 18));
        step.assert_blocked();
        t1.rollback();
        let (t2, r) = step.finish();
        assert!(r.unwrap());
        t2.commit().unwrap();
        assert_eq!(committed(kv), [(1, 12), (2, 18)]);
    });
}

// ---------------------------------------------------------------------------------------------
// G2-item and G2: write skew, anti-dependency cycles
// ---------------------------------------------------------------------------------------------

/// G2-item (write skew): both read rows 1 and 2, T1 updates 1, T2 updates 2. READ COMMITTED and
/// REPEATABLE READ commit both; SERIALIZABLE fails one with 40001 ("could not serialize access
/// due to read/write dependencies among transactions").
#[test]
fn g2_item_write_skew() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        let mut t2 = begin(kv, level);
        for t in [&mut t1, &mut t2] {
            assert_eq!(select_id(t, 1).unwrap(), Some(10));
            assert_eq!(select_id(t, 2).unwrap(), Some(20));
        }
        assert!(update_id(&mut t1, 1, |_| 11).unwrap());
        assert!(update_id(&mut t2, 2, |_| 21).unwrap());
        let results = [t1.commit(), t2.commit()];
        if level == Serializable {
            let failed = assert_one_serialization_failure(&results);
            let expected = if failed == 0 {
                [(1, 10), (2, 21)]
            } else {
                [(1, 11), (2, 20)]
            };
            assert_eq!(committed(kv), expected);
        } else {
            assert!(results.iter().all(Result::is_ok), "{results:?}");
            assert_eq!(committed(kv), [(1, 11), (2, 21)]);
        }
    });
}

/// G2 (anti-dependency cycles over predicates): both read `value % 3 = 0` (nothing), then each
/// inserts a row the other's predicate would have matched. READ COMMITTED and REPEATABLE READ
/// commit both; SERIALIZABLE fails one with 40001.
#[test]
fn g2_predicate_anti_dependency_cycle() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        let mut t2 = begin(kv, level);
        assert_eq!(select(&mut t1, |_, v| v % 3 == 0).unwrap(), []);
        assert_eq!(select(&mut t2, |_, v| v % 3 == 0).unwrap(), []);
        insert(&mut t1, 3, 30).unwrap();
        insert(&mut t2, 4, 42).unwrap();
        let results = [t1.commit(), t2.commit()];
        let mut check = begin(kv, ReadCommitted);
        let rows = select(&mut check, |_, v| v % 3 == 0).unwrap();
        check.commit().unwrap();
        if level == Serializable {
            let failed = assert_one_serialization_failure(&results);
            assert_eq!(rows, if failed == 0 { [(4, 42)] } else { [(3, 30)] });
        } else {
            assert!(results.iter().all(Result::is_ok), "{results:?}");
            assert_eq!(rows, [(3, 30), (4, 42)]);
        }
    });
}

/// G2 with two anti-dependency edges (Fekete et al.'s example in Hermitage): T1 reads the
/// table; T2 adds 5 to row 2 and commits; T3 reads the table (10, 25) and commits; T1 then
/// updates row 1. READ COMMITTED and REPEATABLE READ commit T1; SERIALIZABLE fails T1 with
/// 40001 (PostgreSQL at the update, Basalt at the latest at commit).
#[test]
fn g2_two_anti_dependency_edges() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        assert_eq!(select_all(&mut t1).unwrap(), [(1, 10), (2, 20)]);
        let mut t2 = begin(kv, level);
        assert!(update_id(&mut t2, 2, |v| v + 5).unwrap());
        t2.commit().unwrap();
        let mut t3 = begin(kv, level);
        assert_eq!(select_all(&mut t3).unwrap(), [(1, 10), (2, 25)]);
        t3.commit().unwrap();
        let r = update_id(&mut t1, 1, |_| 0).and_then(|_| t1.commit());
        if level == Serializable {
            assert_code(r, "40001");
            assert_eq!(committed(kv), [(1, 10), (2, 25)]);
        } else {
            r.unwrap();
            assert_eq!(committed(kv), [(1, 0), (2, 25)]);
        }
    });
}

/// Runs T1 ("withdraw 10 from checking, with a 1 overdraft penalty if checking + savings would
/// go negative") against T2 (deposit 20 into savings) and a read-only report T3, in the order
/// of Fekete, O'Neil and O'Neil's read-only anomaly. Rows: 1 = checking, 2 = savings, both 0.
/// Returns the results of the withdrawal (its update and commit) and of the report's commit.
fn fekete_read_only_anomaly(
    kv: &LocalKv,
    level: IsolationLevel,
    report_commits_last: bool,
) -> (Result<()>, Result<()>) {
    insert_rows(kv, &[(1, 0), (2, 0)]);
    let mut withdraw = begin(kv, level);
    let x = select_id(&mut withdraw, 1).unwrap().unwrap();
    let y = select_id(&mut withdraw, 2).unwrap().unwrap();
    assert_eq!((x, y), (0, 0));
    let mut deposit = begin(kv, level);
    assert_eq!(select_id(&mut deposit, 2).unwrap(), Some(0));
    assert!(update_id(&mut deposit, 2, |v| v + 20).unwrap());
    deposit.commit().unwrap();
    let mut report = begin_read_only(kv, level);
    assert_eq!(select_id(&mut report, 1).unwrap(), Some(0));
    assert_eq!(select_id(&mut report, 2).unwrap(), Some(20));
    let penalty = if x + y - 10 < 0 { 1 } else { 0 };
    let withdraw_result = |mut t: LocalTxn| -> Result<()> {
        update_id(&mut t, 1, |_| x - 10 - penalty)?;
        t.commit().map(|_| ())
    };
    if report_commits_last {
        let w = withdraw_result(withdraw);
        let r = report.commit().map(|_| ());
        (w, r)
    } else {
        let r = report.commit().map(|_| ());
        let w = withdraw_result(withdraw);
        (w, r)
    }
}

/// Fekete's read-only anomaly: the report sees the deposit but not the withdrawal, while the
/// withdrawal charged a penalty as if it ran before the deposit — no serial order explains it.
/// READ COMMITTED and REPEATABLE READ let all three commit. SERIALIZABLE fails exactly one with
/// 40001. PostgreSQL fails the withdrawal (the pivot) at its UPDATE in both orders, since the
/// report had already read the row. Basalt checks at commit: when the report commits first the
/// withdrawal fails at its commit; when the report commits last, the withdrawal has committed
/// and the report is refused instead — either way the committed transactions are serializable.
#[test]
fn fekete_read_only_transaction_anomaly() {
    for report_commits_last in [false, true] {
        for_each_db_and_level(|kv, level| {
            let (w, r) = fekete_read_only_anomaly(kv, level, report_commits_last);
            if level == Serializable {
                let results = [w, r];
                let failed: Vec<usize> = (0..2).filter(|&i| results[i].is_err()).collect();
                assert_eq!(failed.len(), 1, "exactly one must fail: {results:?}");
                assert_eq!(code_of(&results[failed[0]]), Some("40001"), "{results:?}");
                if !report_commits_last {
                    assert_eq!(failed[0], 0, "the report committed first: {results:?}");
                }
                let checking = if failed[0] == 0 { 0 } else { -11 };
                assert_eq!(committed(kv), [(1, checking), (2, 20)]);
            } else {
                w.unwrap();
                r.unwrap();
                assert_eq!(committed(kv), [(1, -11), (2, 20)]);
            }
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Locks: deadlocks, timeouts, NOWAIT, SKIP LOCKED
// ---------------------------------------------------------------------------------------------

/// Runs `UPDATE test SET value = value + 100 WHERE id = targets[i]` in `txns[i]`, each in its
/// own thread, started in order 50 ms apart; a transaction whose update fails rolls back at
/// once (as the SQL session does), one whose update succeeds commits. Returns each update's
/// result, or its commit's error.
fn run_deadlock(txns: Vec<LocalTxn>, targets: Vec<u32>) -> Vec<Result<bool>> {
    let (tx, rx) = mpsc::channel();
    let mut handles = Vec::new();
    for (i, (mut t, target)) in txns.into_iter().zip(targets).enumerate() {
        let tx = tx.clone();
        handles.push(thread::spawn(move || {
            let r = update_id(&mut t, target, |v| v + 100);
            let r = match r {
                Ok(done) => t.commit().map(|_| done),
                Err(e) => {
                    t.rollback();
                    Err(e)
                }
            };
            let _ = tx.send((i, r));
        }));
        thread::sleep(BLOCK_CHECK);
    }
    drop(tx);
    let mut results: Vec<Option<Result<bool>>> = (0..handles.len()).map(|_| None).collect();
    for _ in 0..handles.len() {
        let (i, r) = rx
            .recv_timeout(UNBLOCK_LIMIT)
            .expect("a deadlock was not resolved");
        results[i] = Some(r);
    }
    for h in handles {
        h.join().unwrap();
    }
    results.into_iter().map(|r| r.unwrap()).collect()
}

/// Two transactions update rows 1 and 2 in opposite orders: PostgreSQL detects the deadlock,
/// fails exactly one with 40P01, and the other proceeds once the victim rolls back.
#[test]
fn deadlock_between_two_transactions() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        let mut t2 = begin(kv, level);
        assert!(update_id(&mut t1, 1, |_| 11).unwrap());
        assert!(update_id(&mut t2, 2, |_| 21).unwrap());
        let results = run_deadlock(vec![t1, t2], vec![2, 1]);
        let victims: Vec<usize> = (0..2).filter(|&i| results[i].is_err()).collect();
        assert_eq!(victims.len(), 1, "{results:?}");
        assert_eq!(code_of(&results[victims[0]]), Some("40P01"), "{results:?}");
        let expected = if victims[0] == 0 {
            [(1, 110), (2, 21)]
        } else {
            [(1, 11), (2, 120)]
        };
        assert_eq!(committed(kv), expected);
    });
}

/// A three-transaction cycle (1 waits for 2, 2 for 3, 3 for 1): exactly one victim (40P01);
/// the other two complete.
#[test]
fn deadlock_among_three_transactions() {
    for_each_db_and_level(|kv, level| {
        insert_rows(kv, &[(1, 10), (2, 20), (3, 30)]);
        let mut txns = Vec::new();
        for id in 1..=3 {
            let mut t = begin(kv, level);
            assert!(update_id(&mut t, id, |v| v + 1).unwrap());
            txns.push(t);
        }
        let results = run_deadlock(txns, vec![2, 3, 1]);
        let codes: Vec<Option<&str>> = results.iter().map(code_of).collect();
        assert_eq!(
            codes.iter().filter(|c| **c == Some("40P01")).count(),
            1,
            "{results:?}"
        );
        if level == ReadCommitted {
            assert_eq!(
                codes.iter().filter(|c| c.is_none()).count(),
                2,
                "{results:?}"
            );
            // The survivors' increments all land (EvalPlanQual re-reads the newest versions).
            let rows = committed(kv);
            let total: i64 = rows.iter().map(|r| r.1).sum();
            assert_eq!(total, 60 + 2 * 101, "{rows:?}");
        } else {
            // A survivor whose target row was committed by another survivor after its snapshot
            // fails with 40001 (first updater wins).
            assert!(
                codes
                    .iter()
                    .all(|c| matches!(c, None | Some("40P01") | Some("40001"))),
                "{results:?}"
            );
        }
    });
}

/// `lock_timeout`: a writer that cannot get the row lock in time fails with 55P03 and can
/// still roll back cleanly; the holder is unaffected.
#[test]
fn lock_timeout_fails_with_55p03() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        assert!(update_id(&mut t1, 1, |_| 11).unwrap());
        let options = TxnOptions {
            isolation: level,
            lock_timeout: Some(Duration::from_millis(50)),
            ..TxnOptions::default()
        };
        let mut t2 = kv.begin(options).unwrap();
        let start = Instant::now();
        let r = update_id(&mut t2, 1, |_| 12);
        let waited = start.elapsed();
        assert_code(r, "55P03");
        assert!(
            waited >= Duration::from_millis(50),
            "gave up after {waited:?}"
        );
        assert!(waited < Duration::from_secs(5), "waited {waited:?}");
        t2.rollback();
        t1.commit().unwrap();
        assert_eq!(committed(kv), [(1, 11), (2, 20)]);
    });
}

/// `NOWAIT` fails at once with 55P03; `SKIP LOCKED` reports the row as skipped; `FOR SHARE`
/// locks coexist and exclude `FOR UPDATE`.
#[test]
fn nowait_and_skip_locked() {
    for_each_db_and_level(|kv, level| {
        insert_rows(kv, &[(1, 10), (2, 20), (3, 30)]);
        let mut t1 = begin(kv, level);
        let mut t2 = begin(kv, level);
        let mut t3 = begin(kv, level);
        assert!(update_id(&mut t1, 1, |_| 11).unwrap());
        let start = Instant::now();
        assert_code(
            t2.lock(&key(1), LockMode::Exclusive, LockWait::NoWait),
            "55P03",
        );
        assert_code(
            t2.lock(&key(1), LockMode::Shared, LockWait::NoWait),
            "55P03",
        );
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "NOWAIT waited {:?}",
            start.elapsed()
        );
        assert_eq!(
            t2.lock(&key(1), LockMode::Exclusive, LockWait::SkipLocked)
                .unwrap(),
            LockOutcome::Skipped
        );
        assert_eq!(
            t2.lock(&key(2), LockMode::Exclusive, LockWait::SkipLocked)
                .unwrap(),
            LockOutcome::Locked
        );
        // FOR SHARE + FOR SHARE coexist; FOR UPDATE waits for both.
        assert_eq!(
            t1.lock(&key(3), LockMode::Shared, LockWait::NoWait)
                .unwrap(),
            LockOutcome::Locked
        );
        assert_eq!(
            t2.lock(&key(3), LockMode::Shared, LockWait::NoWait)
                .unwrap(),
            LockOutcome::Locked
        );
        assert_code(
            t3.lock(&key(3), LockMode::Exclusive, LockWait::NoWait),
            "55P03",
        );
        assert_eq!(
            t3.lock(&key(3), LockMode::Exclusive, LockWait::SkipLocked)
                .unwrap(),
            LockOutcome::Skipped
        );
        t1.commit().unwrap();
        t2.commit().unwrap();
        t3.rollback();
        // Everything is free again.
        let mut t4 = begin(kv, level);
        for id in 1..=3 {
            assert_eq!(
                t4.lock(&key(id), LockMode::Exclusive, LockWait::NoWait)
                    .unwrap(),
                LockOutcome::Locked,
                "row {id}"
            );
        }
        t4.commit().unwrap();
    });
}

/// `SELECT ... FOR UPDATE` of a row changed after the snapshot: READ COMMITTED locks it (and
/// re-reads the newest version); REPEATABLE READ and SERIALIZABLE fail with 40001.
#[test]
fn select_for_update_of_a_concurrently_updated_row() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        assert_eq!(select_id(&mut t1, 1).unwrap(), Some(10));
        let mut t2 = begin(kv, level);
        assert!(update_id(&mut t2, 1, |_| 11).unwrap());
        t2.commit().unwrap();
        let r = t1.lock(&key(1), LockMode::Exclusive, LockWait::NoWait);
        if level == ReadCommitted {
            assert_eq!(r.unwrap(), LockOutcome::Locked);
            assert_eq!(t1.get_latest(&key(1)).unwrap(), Some(val(11)));
            t1.commit().unwrap();
        } else {
            assert_code(r, "40001");
            t1.rollback();
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Savepoints and read-only transactions
// ---------------------------------------------------------------------------------------------

/// `ROLLBACK TO SAVEPOINT` undoes the writes made after it and releases the row locks taken
/// after it: a writer blocked on such a row proceeds while T1 is still running; locks taken
/// before the savepoint are kept.
#[test]
fn savepoint_rollback_releases_row_locks() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t1 = begin(kv, level);
        assert!(update_id(&mut t1, 1, |_| 11).unwrap());
        let sp = t1.savepoint();
        assert!(update_id(&mut t1, 2, |_| 21).unwrap());
        let t2 = begin(kv, level);
        let step = spawn_step(t2, |t| update_id(t, 2, |_| 22));
        step.assert_blocked();
        t1.rollback_to_savepoint(sp).unwrap();
        let (t2, r) = step.finish();
        assert!(
            r.unwrap(),
            "the blocked writer proceeds once the savepoint is rolled back"
        );
        assert_eq!(select_id(&mut t1, 2).unwrap(), Some(20));
        assert_eq!(select_id(&mut t1, 1).unwrap(), Some(11));
        // Row 1, written before the savepoint, is still locked by T1.
        let mut t3 = begin(kv, level);
        assert_code(
            t3.lock(&key(1), LockMode::Exclusive, LockWait::NoWait),
            "55P03",
        );
        t3.rollback();
        t2.commit().unwrap();
        t1.commit().unwrap();
        assert_eq!(committed(kv), [(1, 11), (2, 22)]);
    });
}

/// A read-only transaction refuses writes and `FOR UPDATE` with 25006 and can still read and
/// commit.
#[test]
fn read_only_transaction_refuses_writes() {
    for_each_db_and_level(|kv, level| {
        setup(kv);
        let mut t = begin_read_only(kv, level);
        assert_eq!(select_all(&mut t).unwrap(), [(1, 10), (2, 20)]);
        assert_code(t.put(key(1), val(11)), "25006");
        assert_code(t.put(key(3), val(30)), "25006");
        assert_code(t.delete(key(2)), "25006");
        assert_code(
            t.lock(&key(1), LockMode::Exclusive, LockWait::Block),
            "25006",
        );
        assert_eq!(t.scan(table(), Direction::Reverse).unwrap().count(), 2);
        let info = t.commit().unwrap();
        assert_eq!(info.commit_ts, None);
        assert_eq!(committed(kv), [(1, 10), (2, 20)]);
        // Nothing was locked by the refused writes.
        let mut w = begin(kv, level);
        assert_eq!(
            w.lock(&key(1), LockMode::Exclusive, LockWait::NoWait)
                .unwrap(),
            LockOutcome::Locked
        );
        w.commit().unwrap();
    });
}
