//! A prepared one-row INSERT repeated inside a transaction block (a bulk load's statement)
//! runs without the general statement dispatch once its plan is kept; these tests hold it to
//! everything the general path does: defaults, sequences, row ids, generated columns, every
//! constraint, the failed-block state after an error, plan invalidation by DDL and settings,
//! and deferrable uniqueness checked at the end of each statement.

#![allow(clippy::unwrap_used, missing_docs)]

use basalt::{Database, TransactionStatus, params};

fn count(conn: &basalt::Connection, sql: &str) -> i64 {
    conn.query_row(sql, (), |r| r.get(0)).unwrap()
}

#[test]
fn defaults_sequences_generated_columns_and_row_ids() {
    let db = Database::memory();
    let mut conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE t (id serial PRIMARY KEY, a int NOT NULL, b text DEFAULT 'dflt',
                         c int GENERATED ALWAYS AS (a * 2) STORED,
                         d timestamptz DEFAULT statement_timestamp());
         CREATE TABLE nopk (a int, b text DEFAULT 'x')",
    )
    .unwrap();
    let tx = conn.transaction().unwrap();
    let ins = tx.prepare("INSERT INTO t (a) VALUES ($1)").unwrap();
    let ins2 = tx.prepare("INSERT INTO nopk VALUES ($1)").unwrap();
    for i in 0..50 {
        assert_eq!(ins.execute(params![i]).unwrap(), 1);
        assert_eq!(ins2.execute(params![i]).unwrap(), 1);
    }
    drop(ins);
    drop(ins2);
    tx.commit().unwrap();
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM t WHERE b = 'dflt' AND c = a * 2 AND d IS NOT NULL"
        ),
        50
    );
    assert_eq!(count(&conn, "SELECT max(id) FROM t"), 50);
    assert_eq!(count(&conn, "SELECT sum(a) FROM t WHERE id = a + 1"), 1225);
    assert_eq!(count(&conn, "SELECT count(*) FROM nopk WHERE b = 'x'"), 50);
}

#[test]
fn constraint_errors_fail_the_block_and_change_nothing() {
    let db = Database::memory();
    let mut conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE p (id int PRIMARY KEY);
         INSERT INTO p VALUES (1), (2);
         CREATE TABLE t (id int PRIMARY KEY, v int CHECK (v > 0), p int REFERENCES p,
                         u text UNIQUE)",
    )
    .unwrap();
    // Each case: rows that succeed first (so the plan is kept), then the failing one.
    let cases = [
        ("23505", 1, 5, 1, "dup-key"),
        ("23514", 90, -1, 1, "check"),
        ("23503", 91, 5, 3, "fk"),
        ("23505", 92, 5, 1, "u1"),
    ];
    for (code, id, v, p, u) in cases {
        let tx = conn.transaction().unwrap();
        let ins = tx
            .prepare("INSERT INTO t VALUES ($1, $2, $3, nullif($4, ''))")
            .unwrap();
        for i in 1..=3 {
            ins.execute(params![i, i, 1, format!("u{i}")]).unwrap();
        }
        let e = ins.execute(params![id, v, p, u]).unwrap_err();
        assert_eq!(e.code(), code, "{e}");
        assert_eq!(tx.transaction_status(), TransactionStatus::Failed);
        // The block refuses everything until it ends, the prepared INSERT included.
        let again = ins.execute(params![50, 1, 1, "z"]).unwrap_err();
        assert_eq!(again.code(), "25P02", "{again}");
        drop(ins);
        drop(tx);
        assert_eq!(count(&conn, "SELECT count(*) FROM t"), 0, "{code}");
    }
    // NOT NULL through a parameter, on the kept plan.
    let tx = conn.transaction().unwrap();
    let ins = tx.prepare("INSERT INTO t (id, v) VALUES ($1, $2)").unwrap();
    ins.execute(params![1, 1]).unwrap();
    let e = ins.execute(params![None::<i32>, 1]).unwrap_err();
    assert_eq!(e.code(), "23502", "{e}");
    drop(ins);
    drop(tx);
    assert_eq!(count(&conn, "SELECT count(*) FROM t"), 0);
}

#[test]
fn ddl_and_settings_between_executions_rebind() {
    let db = Database::memory();
    let mut conn = db.connect();
    conn.execute_batch(
        "CREATE SCHEMA s2;
         CREATE TABLE t (id int PRIMARY KEY, a text);
         CREATE TABLE s2.t (id int PRIMARY KEY, a text, z text DEFAULT 'in s2')",
    )
    .unwrap();
    let tx = conn.transaction().unwrap();
    let ins = tx.prepare("INSERT INTO t (id, a) VALUES ($1, $2)").unwrap();
    ins.execute(params![1, "a"]).unwrap();
    ins.execute(params![2, "b"]).unwrap();
    // A changed search_path binds the statement again: it now names s2.t.
    tx.execute("SET search_path = s2, public", ()).unwrap();
    ins.execute(params![3, "c"]).unwrap();
    ins.execute(params![4, "d"]).unwrap();
    // DDL in the block: the new default applies to the next rows.
    tx.execute("ALTER TABLE s2.t ALTER COLUMN z SET DEFAULT 'changed'", ())
        .unwrap();
    ins.execute(params![5, "e"]).unwrap();
    ins.execute(params![6, "f"]).unwrap();
    drop(ins);
    tx.commit().unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM public.t"), 2);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM s2.t WHERE z = 'in s2'"),
        2
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM s2.t WHERE z = 'changed'"),
        2
    );
}

/// Values a default renders through the session's time zone follow a `SET TimeZone`
/// between two executions in the block.
#[test]
fn time_zone_changes_between_executions_apply() {
    let db = Database::memory();
    let mut conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE t (id int PRIMARY KEY,
                         shown text DEFAULT (timestamptz '2020-01-01 00:00:00+00')::text)",
    )
    .unwrap();
    let tx = conn.transaction().unwrap();
    let ins = tx.prepare("INSERT INTO t (id) VALUES ($1)").unwrap();
    ins.execute(params![1]).unwrap();
    ins.execute(params![2]).unwrap();
    tx.execute("SET TimeZone = 'Asia/Kolkata'", ()).unwrap();
    ins.execute(params![3]).unwrap();
    tx.execute("SET LOCAL TimeZone = 'America/Sao_Paulo'", ())
        .unwrap();
    ins.execute(params![4]).unwrap();
    drop(ins);
    tx.commit().unwrap();
    let rows: Vec<String> = conn
        .query("SELECT shown FROM t ORDER BY id", ())
        .unwrap()
        .iter()
        .map(|r| r.get(0).unwrap())
        .collect();
    assert_eq!(
        rows,
        [
            "2020-01-01 00:00:00+00",
            "2020-01-01 00:00:00+00",
            "2020-01-01 05:30:00+05:30",
            "2019-12-31 21:00:00-03",
        ]
    );
}

#[test]
fn deferrable_unique_is_checked_at_each_statement_end() {
    let db = Database::memory();
    let mut conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE t (id int, CONSTRAINT u UNIQUE (id) DEFERRABLE INITIALLY IMMEDIATE)",
    )
    .unwrap();
    let tx = conn.transaction().unwrap();
    let ins = tx.prepare("INSERT INTO t VALUES ($1)").unwrap();
    for i in 0..5 {
        ins.execute(params![i]).unwrap();
    }
    let e = ins.execute(params![3]).unwrap_err();
    assert_eq!(e.code(), "23505", "{e}");
    drop(ins);
    drop(tx);
    // Deferred: the duplicate waits for COMMIT.
    let tx = conn.transaction().unwrap();
    tx.execute("SET CONSTRAINTS u DEFERRED", ()).unwrap();
    let ins = tx.prepare("INSERT INTO t VALUES ($1)").unwrap();
    for i in [1, 2, 1] {
        ins.execute(params![i]).unwrap();
    }
    drop(ins);
    let e = tx.commit().unwrap_err();
    assert_eq!(e.code(), "23505", "{e}");
    assert_eq!(count(&conn, "SELECT count(*) FROM t"), 0);
}
