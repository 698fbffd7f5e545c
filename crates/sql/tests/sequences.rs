//! Sequences shared by sessions: values are never handed out twice, CACHE gives each session
//! its own run of values, and a reopened database continues after the values written ahead.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::Arc;

use basalt_sql::Session;
use basalt_sql::engine::Shared;
use basalt_txn::LocalKv;

fn one(s: &mut Session<LocalKv>, sql: &str) -> String {
    match s.execute(sql) {
        Ok(mut r) => r
            .pop()
            .and_then(|r| r.rows.into_iter().next())
            .map(|row| {
                row.into_iter()
                    .map(|v| v.unwrap_or_else(|| "NULL".into()))
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .unwrap_or_default(),
        Err(e) => panic!("{sql}: {e}"),
    }
}

fn next(s: &mut Session<LocalKv>, seq: &str) -> i64 {
    one(s, &format!("SELECT nextval('{seq}')")).parse().unwrap()
}

#[test]
fn sessions_share_the_sequence_state() {
    let kv = LocalKv::memory();
    let shared = Arc::new(Shared::default());
    let mut a = Session::with_shared(kv.clone(), shared.clone());
    let mut b = Session::with_shared(kv, shared);
    one(&mut a, "CREATE SEQUENCE s");
    assert_eq!(next(&mut a, "s"), 1);
    assert_eq!(next(&mut b, "s"), 2);
    assert_eq!(next(&mut a, "s"), 3);
    // Both see the last value handed out to any session.
    assert_eq!(one(&mut b, "SELECT * FROM s"), "3|30|t");
    assert_eq!(one(&mut a, "SELECT * FROM s"), "3|30|t");
    // currval is per session.
    assert_eq!(one(&mut b, "SELECT currval('s')"), "2");
}

#[test]
fn cache_gives_each_session_its_own_run() {
    let kv = LocalKv::memory();
    let shared = Arc::new(Shared::default());
    let mut a = Session::with_shared(kv.clone(), shared.clone());
    let mut b = Session::with_shared(kv, shared);
    one(&mut a, "CREATE SEQUENCE c CACHE 10");
    assert_eq!(next(&mut a, "c"), 1);
    assert_eq!(next(&mut b, "c"), 11);
    assert_eq!(next(&mut a, "c"), 2);
    assert_eq!(next(&mut b, "c"), 12);
    assert_eq!(one(&mut a, "SELECT last_value, log_cnt FROM c"), "20|22");
    // setval drops only the calling session's run, as in PostgreSQL.
    one(&mut a, "SELECT setval('c', 100)");
    assert_eq!(next(&mut a, "c"), 101);
    assert_eq!(next(&mut b, "c"), 13);
}

#[test]
fn separate_shared_states_never_hand_out_a_value_twice() {
    // Two `Shared` over one store (as if the database were opened twice).
    let kv = LocalKv::memory();
    let mut a = Session::new(kv.clone());
    let mut b = Session::new(kv);
    one(&mut a, "CREATE SEQUENCE s");
    let mut seen = HashSet::new();
    for round in 0..6 {
        let (s, n) = if round % 2 == 0 {
            (&mut a, 25)
        } else {
            (&mut b, 40)
        };
        for _ in 0..n {
            let v = next(s, "s");
            assert!(seen.insert(v), "{v} handed out twice");
        }
    }
}

#[test]
fn a_reopened_database_continues_after_the_values_written_ahead() {
    let kv = LocalKv::memory();
    let mut a = Session::new(kv.clone());
    one(&mut a, "CREATE SEQUENCE s");
    one(&mut a, "CREATE TABLE t (id serial, v int)");
    assert_eq!(next(&mut a, "s"), 1);
    assert_eq!(next(&mut a, "s"), 2);
    one(&mut a, "INSERT INTO t (v) VALUES (1)");
    // A fresh `Shared` reads the state back from storage, as after a crash in PostgreSQL.
    let mut b = Session::new(kv);
    assert_eq!(one(&mut b, "SELECT * FROM s"), "33|0|t");
    assert_eq!(next(&mut b, "s"), 34);
    assert_eq!(one(&mut b, "SELECT * FROM s"), "34|32|t");
    one(&mut b, "INSERT INTO t (v) VALUES (2)");
    assert_eq!(one(&mut b, "SELECT max(id) FROM t"), "34");
    // ALTER SEQUENCE ... RESTART is seen by the other state once its values run out.
    one(&mut b, "ALTER SEQUENCE s RESTART WITH 500");
    assert_eq!(next(&mut b, "s"), 500);
}
