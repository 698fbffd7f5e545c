//! Concurrency through SQL: row locks (FOR UPDATE / NOWAIT / SKIP LOCKED), READ COMMITTED
//! re-checks of updated rows, REPEATABLE READ first-updater-wins, uniqueness between
//! concurrent inserts, and SERIALIZABLE write skew. Each scenario uses two sessions on one
//! database, as PostgreSQL's isolation tests do.
#![allow(clippy::unwrap_used)]

use std::thread;
use std::time::Duration;

use basalt_sql::{Session, SqlError};
use basalt_txn::LocalKv;

fn ok(s: &mut Session<LocalKv>, sql: &str) -> Vec<Vec<Option<String>>> {
    match s.execute(sql) {
        Ok(mut r) => r.pop().map(|r| r.rows).unwrap_or_default(),
        Err(e) => panic!("{sql}: {e}"),
    }
}

fn code(s: &mut Session<LocalKv>, sql: &str) -> String {
    match s.execute(sql) {
        Ok(r) => panic!("{sql} succeeded: {r:?}"),
        Err(e) => e.code().code().to_string(),
    }
}

/// Runs `sql` in `session` on another thread, and checks it is still waiting (for a lock
/// or a commit) 200 ms later; the outcome is the error's SQLSTATE.
fn blocked(
    mut session: Session<LocalKv>,
    sql: &'static str,
    what: &str,
) -> thread::JoinHandle<Result<Vec<basalt_sql::StatementResult>, String>> {
    let handle = thread::spawn(move || {
        session
            .execute(sql)
            .map_err(|e: SqlError| e.code().code().to_string())
    });
    thread::sleep(Duration::from_millis(200));
    assert!(!handle.is_finished(), "{what}");
    handle
}

fn setup() -> LocalKv {
    let kv = LocalKv::memory();
    let mut s = Session::new(kv.clone());
    ok(
        &mut s,
        "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)",
    );
    ok(&mut s, "INSERT INTO t VALUES (1, 0), (2, 0)");
    kv
}

fn one(v: &str) -> Vec<Vec<Option<String>>> {
    vec![vec![Some(v.to_string())]]
}

#[test]
fn for_update_nowait_and_skip_locked() {
    let kv = setup();
    let mut a = Session::new(kv.clone());
    let mut b = Session::new(kv);
    ok(&mut a, "BEGIN");
    assert_eq!(
        ok(&mut a, "SELECT v FROM t WHERE id = 1 FOR UPDATE"),
        one("0")
    );
    assert_eq!(
        code(&mut b, "SELECT v FROM t WHERE id = 1 FOR UPDATE NOWAIT"),
        "55P03"
    );
    assert_eq!(
        ok(
            &mut b,
            "SELECT id FROM t ORDER BY id FOR UPDATE SKIP LOCKED"
        ),
        one("2")
    );
    // Plain reads are not blocked.
    assert_eq!(ok(&mut b, "SELECT v FROM t WHERE id = 1"), one("0"));
    ok(&mut a, "COMMIT");
    assert_eq!(
        ok(&mut b, "SELECT v FROM t WHERE id = 1 FOR UPDATE NOWAIT"),
        one("0")
    );
}

#[test]
fn read_committed_update_waits_and_sees_the_committed_row() {
    let kv = setup();
    let mut a = Session::new(kv.clone());
    ok(&mut a, "BEGIN");
    ok(&mut a, "UPDATE t SET v = v + 1 WHERE id = 1");
    let kv2 = kv.clone();
    let waiter = thread::spawn(move || {
        let mut b = Session::new(kv2);
        // Blocks on the row lock, then re-reads the committed row: no lost update.
        b.execute("UPDATE t SET v = v + 10 WHERE id = 1")
            .map(|r| r[0].tag.clone())
    });
    thread::sleep(Duration::from_millis(200));
    assert!(!waiter.is_finished(), "the second update must wait");
    ok(&mut a, "COMMIT");
    assert_eq!(waiter.join().unwrap().unwrap(), "UPDATE 1");
    let mut c = Session::new(kv);
    assert_eq!(ok(&mut c, "SELECT v FROM t WHERE id = 1"), one("11"));
}

#[test]
fn repeatable_read_first_updater_wins() {
    let kv = setup();
    let mut a = Session::new(kv.clone());
    let mut b = Session::new(kv);
    ok(&mut a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    assert_eq!(ok(&mut a, "SELECT v FROM t WHERE id = 1"), one("0"));
    ok(&mut b, "UPDATE t SET v = 5 WHERE id = 1");
    // The snapshot still shows the old value...
    assert_eq!(ok(&mut a, "SELECT v FROM t WHERE id = 1"), one("0"));
    // ...and updating the changed row fails.
    assert_eq!(code(&mut a, "UPDATE t SET v = v + 1 WHERE id = 1"), "40001");
    ok(&mut a, "ROLLBACK");
}

#[test]
fn concurrent_writers_of_a_deferrable_unique_key() {
    let kv = setup();
    let mut a = Session::new(kv.clone());
    ok(
        &mut a,
        "CREATE TABLE d (k int UNIQUE DEFERRABLE, j int UNIQUE DEFERRABLE INITIALLY DEFERRED)",
    );
    // Immediate: the second writer waits for the first, then fails at its statement's end.
    ok(&mut a, "BEGIN");
    ok(&mut a, "INSERT INTO d VALUES (1, 1)");
    let waiter = blocked(
        Session::new(kv.clone()),
        "INSERT INTO d VALUES (1, 2)",
        "the second insert must wait",
    );
    ok(&mut a, "COMMIT");
    assert_eq!(waiter.join().unwrap().unwrap_err(), "23505");

    // Deferred: the second writer goes on, and its COMMIT waits for the first.
    ok(&mut a, "BEGIN");
    ok(&mut a, "INSERT INTO d VALUES (2, 5)");
    let mut b = Session::new(kv.clone());
    ok(&mut b, "BEGIN");
    ok(&mut b, "INSERT INTO d VALUES (3, 5)");
    let committer = blocked(b, "COMMIT", "the second commit must wait");
    ok(&mut a, "COMMIT");
    assert_eq!(committer.join().unwrap().unwrap_err(), "23505");
    let mut c = Session::new(kv);
    assert_eq!(ok(&mut c, "SELECT count(*) FROM d WHERE j = 5"), one("1"));
}

#[test]
fn concurrent_inserts_of_one_key() {
    let kv = setup();
    let mut a = Session::new(kv.clone());
    ok(&mut a, "BEGIN");
    ok(&mut a, "INSERT INTO t VALUES (5, 1)");
    let waiter = blocked(
        Session::new(kv.clone()),
        "INSERT INTO t VALUES (5, 2)",
        "the second insert must wait",
    );
    ok(&mut a, "COMMIT");
    assert_eq!(waiter.join().unwrap().unwrap_err(), "23505");

    // If the first inserter rolls back, the second succeeds.
    ok(&mut a, "BEGIN");
    ok(&mut a, "INSERT INTO t VALUES (6, 1)");
    let kv3 = kv.clone();
    let waiter = thread::spawn(move || {
        let mut b = Session::new(kv3);
        b.execute("INSERT INTO t VALUES (6, 2)").map(|_| ())
    });
    thread::sleep(Duration::from_millis(200));
    ok(&mut a, "ROLLBACK");
    assert!(waiter.join().unwrap().is_ok());
    let mut c = Session::new(kv);
    assert_eq!(ok(&mut c, "SELECT v FROM t WHERE id = 6"), one("2"));
}

#[test]
fn serializable_rejects_write_skew() {
    let kv = setup();
    let mut a = Session::new(kv.clone());
    let mut b = Session::new(kv);
    ok(&mut a, "BEGIN ISOLATION LEVEL SERIALIZABLE");
    ok(&mut b, "BEGIN ISOLATION LEVEL SERIALIZABLE");
    assert_eq!(ok(&mut a, "SELECT sum(v) FROM t"), one("0"));
    assert_eq!(ok(&mut b, "SELECT sum(v) FROM t"), one("0"));
    ok(&mut a, "UPDATE t SET v = 1 WHERE id = 1");
    ok(&mut b, "UPDATE t SET v = 1 WHERE id = 2");
    ok(&mut a, "COMMIT");
    let e = b.execute("COMMIT").unwrap_err();
    assert_eq!(e.code().code(), "40001");
}
