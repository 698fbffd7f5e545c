//! Temporary tables: private to their session (another session sees its own table of the same
//! name, or none), found before permanent tables of the same name, and gone with the session.
#![allow(clippy::unwrap_used)]

use basalt_common::types::Value;
use basalt_sql::Session;
use basalt_txn::LocalKv;

fn rows(s: &mut Session<LocalKv>, sql: &str) -> Vec<Vec<Value>> {
    s.query(sql, &[]).unwrap().rows
}

fn temp_schemas(s: &mut Session<LocalKv>) -> i64 {
    match rows(
        s,
        "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pg\\_temp\\_%'",
    )[0][0]
    {
        Value::Int8(n) => n,
        ref other => panic!("count is {other:?}"),
    }
}

#[test]
fn temporary_tables_are_private_and_die_with_the_session() {
    let kv = LocalKv::memory();
    let mut a = Session::new(kv.clone());
    let mut b = Session::new(kv.clone());
    a.execute("CREATE TABLE t (v text)").unwrap();
    a.execute("INSERT INTO t VALUES ('permanent')").unwrap();
    a.execute("CREATE TEMP TABLE t (v text)").unwrap();
    a.execute("INSERT INTO t VALUES ('a''s temporary')")
        .unwrap();
    b.execute("CREATE TEMPORARY TABLE only_b (x int)").unwrap();

    // Each session finds its own temporary table first, and not the other's.
    assert_eq!(
        rows(&mut a, "SELECT v FROM t"),
        vec![vec![Value::Text("a's temporary".into())]]
    );
    assert_eq!(
        rows(&mut b, "SELECT v FROM t"),
        vec![vec![Value::Text("permanent".into())]]
    );
    let e = a.execute("SELECT * FROM only_b").unwrap_err();
    assert_eq!(e.code().code(), "42P01");
    assert_eq!(temp_schemas(&mut a), 2);

    // A temporary table in a named permanent schema is refused.
    let e = a.execute("CREATE TEMP TABLE public.x (a int)").unwrap_err();
    assert_eq!(e.code().code(), "42P16");

    // Ending a session (even inside a transaction) drops its temporary tables.
    a.execute("BEGIN").unwrap();
    a.execute("INSERT INTO t VALUES ('uncommitted')").unwrap();
    drop(a);
    assert_eq!(temp_schemas(&mut b), 1);
    drop(b);
    let mut c = Session::new(kv);
    assert_eq!(temp_schemas(&mut c), 0);
    assert_eq!(
        rows(&mut c, "SELECT v FROM t"),
        vec![vec![Value::Text("permanent".into())]]
    );
}
