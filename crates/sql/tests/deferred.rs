//! Deferred constraints through the public API: what Basalt refuses rather than answer
//! differently from PostgreSQL (deferred unique checks), the warning of SET CONSTRAINTS
//! outside a transaction block, and a deferred check failing at COMMIT leaving the session idle.

#![allow(clippy::unwrap_used)]

use basalt_sql::session::TransactionStatus;
use basalt_sql::{Session, SqlError};
use basalt_txn::LocalKv;

fn fail(s: &mut Session<LocalKv>, sql: &str) -> SqlError {
    match s.execute(sql) {
        Err(e) => e,
        Ok(r) => panic!("{sql} succeeded: {r:?}"),
    }
}

#[test]
fn deferred_unique_constraints_are_refused() {
    let mut s = Session::new(LocalKv::memory());
    for sql in [
        "CREATE TABLE u1 (a int UNIQUE DEFERRABLE INITIALLY DEFERRED)",
        "CREATE TABLE u2 (a int PRIMARY KEY INITIALLY DEFERRED)",
        "CREATE TABLE u3 (a int, UNIQUE (a) DEFERRABLE INITIALLY DEFERRED)",
    ] {
        let e = fail(&mut s, sql);
        assert_eq!(e.code().code(), "0A000", "{sql}");
        assert_eq!(
            e.to_string(),
            "feature not supported: deferrable unique constraints"
        );
    }
    s.execute("CREATE TABLE u (a int UNIQUE DEFERRABLE, b int)")
        .unwrap();
    let e = fail(
        &mut s,
        "ALTER TABLE u ADD UNIQUE (b) DEFERRABLE INITIALLY DEFERRED",
    );
    assert_eq!(e.code().code(), "0A000");
    s.execute("BEGIN").unwrap();
    // Naming it or ALL while one exists would defer a check that is not deferred.
    let e = fail(&mut s, "SET CONSTRAINTS u_a_key DEFERRED");
    assert_eq!(e.code().code(), "0A000");
    s.execute("ROLLBACK").unwrap();
    s.execute("BEGIN").unwrap();
    let e = fail(&mut s, "SET CONSTRAINTS ALL DEFERRED");
    assert_eq!(e.code().code(), "0A000");
    s.execute("ROLLBACK").unwrap();
    // IMMEDIATE is what they are anyway.
    s.execute("BEGIN; SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS u_a_key IMMEDIATE; COMMIT")
        .unwrap();
}

#[test]
fn set_constraints_outside_a_block_warns() {
    let mut s = Session::new(LocalKv::memory());
    let r = s.execute("SET CONSTRAINTS ALL DEFERRED").unwrap();
    assert_eq!(r[0].tag, "SET CONSTRAINTS");
    let n = &r[0].notices;
    assert_eq!(n.len(), 1);
    assert_eq!(
        n[0].message,
        "SET CONSTRAINTS can only be used in transaction blocks"
    );
}

#[test]
fn failed_deferred_check_at_commit_rolls_back() {
    let mut s = Session::new(LocalKv::memory());
    s.execute("CREATE TABLE p (id int PRIMARY KEY)").unwrap();
    s.execute("CREATE TABLE c (pid int REFERENCES p DEFERRABLE INITIALLY DEFERRED)")
        .unwrap();
    s.execute("BEGIN").unwrap();
    s.execute("INSERT INTO p VALUES (1)").unwrap();
    s.execute("INSERT INTO c VALUES (2)").unwrap();
    let e = fail(&mut s, "COMMIT");
    assert_eq!(e.code().code(), "23503");
    assert_eq!(s.transaction_status(), TransactionStatus::Idle);
    let r = s.execute("SELECT count(*) FROM p").unwrap();
    assert_eq!(r[0].rows, [[Some("0".to_string())]]);
}
