//! Deferred constraints through the public API: a deferred unique check failing at COMMIT
//! leaving nothing behind, the warning of SET CONSTRAINTS outside a transaction block, and a
//! deferred check failing at COMMIT leaving the session idle.

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
fn deferred_unique_check_at_commit_leaves_nothing() {
    let mut s = Session::new(LocalKv::memory());
    s.execute("CREATE TABLE u (a int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED, b int)")
        .unwrap();
    s.execute("INSERT INTO u VALUES (1, 0)").unwrap();
    s.execute("BEGIN").unwrap();
    s.execute("INSERT INTO u VALUES (1, 1), (2, 2)").unwrap();
    let r = s.execute("SELECT count(*) FROM u WHERE a = 1").unwrap();
    assert_eq!(r[0].rows, [[Some("2".to_string())]]);
    let e = fail(&mut s, "COMMIT");
    assert_eq!(e.code().code(), "23505");
    assert_eq!(
        e.to_string(),
        "duplicate key value violates unique constraint \"u_pkey\""
    );
    assert_eq!(s.transaction_status(), TransactionStatus::Idle);
    // Neither the duplicate row nor its index entry remain: the key is free again.
    let r = s.execute("SELECT a, b FROM u ORDER BY a").unwrap();
    assert_eq!(r[0].rows, [[Some("1".to_string()), Some("0".to_string())]]);
    s.execute("INSERT INTO u VALUES (2, 3)").unwrap();
    let r = s.execute("SELECT b FROM u WHERE a = 2").unwrap();
    assert_eq!(r[0].rows, [[Some("3".to_string())]]);
    // An implicit multi-statement block checks at its end.
    assert_eq!(
        fail(
            &mut s,
            "INSERT INTO u VALUES (3, 1); INSERT INTO u VALUES (3, 2)"
        )
        .code()
        .code(),
        "23505"
    );
    let r = s.execute("SELECT count(*) FROM u").unwrap();
    assert_eq!(r[0].rows, [[Some("2".to_string())]]);
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
