//! `Session::query`: parameters and typed rows, including statements the session answers
//! itself (SHOW, EXPLAIN), which come back as text.
#![allow(clippy::unwrap_used)]

use basalt_common::types::{DataType, Value};
use basalt_sql::Session;
use basalt_txn::LocalKv;

#[test]
fn typed_rows_parameters_and_session_statements() {
    let mut s = Session::new(LocalKv::memory());
    s.execute("CREATE TABLE t (id int PRIMARY KEY, name text)")
        .unwrap();
    let r = s
        .query(
            "INSERT INTO t VALUES ($1, $2), ($3, $4)",
            &[
                Value::Int8(1),
                Value::Text("one".into()),
                Value::Int4(2),
                Value::Null,
            ],
        )
        .unwrap();
    assert_eq!(r.tag, "INSERT 0 2");
    let r = s
        .query(
            "SELECT id, name FROM t WHERE id >= $1 ORDER BY id",
            &[Value::Int4(1)],
        )
        .unwrap();
    assert_eq!(r.types, [DataType::Int4, DataType::Text]);
    assert_eq!(
        r.rows,
        [
            vec![Value::Int4(1), Value::Text("one".into())],
            vec![Value::Int4(2), Value::Null],
        ]
    );
    let r = s.query("SHOW TimeZone", &[]).unwrap();
    assert_eq!(r.columns, ["TimeZone"]);
    assert_eq!(r.types, [DataType::Text]);
    assert_eq!(r.rows, [[Value::Text("UTC".into())]]);
    let r = s
        .query("EXPLAIN SELECT * FROM t WHERE id = 1", &[])
        .unwrap();
    assert_eq!(r.rows.len(), 2);
    // A wrong parameter value is an error of the cast, not a panic.
    let e = s
        .query("SELECT * FROM t WHERE id = $1", &[Value::Text("x".into())])
        .unwrap_err();
    assert_eq!(e.code().code(), "22P02");
}

/// OID alias types read from parameters, as drivers send them (SQLAlchemy's
/// `CAST($1 AS REGCLASS)`): the parameter is text and converts when the statement runs.
#[test]
fn regclass_parameters() {
    let mut s = Session::new(LocalKv::memory());
    s.execute("CREATE TABLE t (id serial PRIMARY KEY)").unwrap();
    let r = s
        .query(
            "SELECT count(*) FROM pg_class WHERE oid = CAST($1 AS REGCLASS)",
            &[Value::Text("t".into())],
        )
        .unwrap();
    assert_eq!(r.rows, [[Value::Int8(1)]]);
    let r = s
        .query(
            "SELECT $1::regclass::text",
            &[Value::Text("pg_class".into())],
        )
        .unwrap();
    assert_eq!(r.rows, [[Value::Text("pg_class".into())]]);
    let r = s
        .query(
            "SELECT CAST(CAST(pg_get_serial_sequence(CAST(CAST(a.attrelid AS REGCLASS) AS TEXT), \
             a.attname) AS REGCLASS) AS OID) > 0 FROM pg_attribute a \
             WHERE a.attrelid = $1::regclass AND a.attname = 'id'",
            &[Value::Text("t".into())],
        )
        .unwrap();
    assert_eq!(r.rows, [[Value::Bool(true)]]);
    let e = s
        .query("SELECT $1::regclass", &[Value::Text("nosuch".into())])
        .unwrap_err();
    assert_eq!(e.code().code(), "42P01");
}

/// PostgreSQL's command tags for CREATE TABLE AS: `SELECT n`, but `CREATE TABLE AS` for
/// WITH NO DATA (pgregress select_into.sql).
#[test]
fn create_table_as_tags() {
    let mut s = Session::new(LocalKv::memory());
    s.execute("CREATE TABLE b (i int)").unwrap();
    s.execute("INSERT INTO b VALUES (1), (2)").unwrap();
    let r = s.query("CREATE TABLE c1 AS SELECT * FROM b", &[]).unwrap();
    assert_eq!(r.tag, "SELECT 2");
    let r = s
        .query("CREATE TABLE c2 (x) AS SELECT * FROM b WITH NO DATA", &[])
        .unwrap();
    assert_eq!(r.tag, "CREATE TABLE AS");
    let r = s.query("SELECT * INTO c3 FROM b WHERE i > 1", &[]).unwrap();
    assert_eq!(r.tag, "SELECT 1");
}

/// A `$n` only in a RETURNING list or a later VALUES row still counts: one missing is
/// 42P02, as PostgreSQL's parse analysis reports.
#[test]
fn parameters_in_returning_and_values_rows_count() {
    let mut s = Session::new(LocalKv::memory());
    s.execute("CREATE TABLE t (id int PRIMARY KEY)").unwrap();
    for sql in [
        "INSERT INTO t VALUES ($1) RETURNING $2::int",
        "INSERT INTO t VALUES ($1), ($2)",
        "DELETE FROM t WHERE id = $1 RETURNING id + $2",
    ] {
        let e = s.query(sql, &[Value::Int4(1)]).unwrap_err();
        assert_eq!(e.code().code(), "42P02", "{sql}: {e}");
        assert_eq!(e.to_string(), "there is no parameter $2", "{sql}");
    }
    let r = s
        .query(
            "INSERT INTO t VALUES ($1) RETURNING $2::int",
            &[Value::Int4(1), Value::Int4(5)],
        )
        .unwrap();
    assert_eq!(r.rows, [vec![Value::Int4(5)]]);
}
