//! SQLSTATE codes, notices and command tags through the public API. Every expectation here was
//! checked against PostgreSQL 15 (codes and notices through the wire protocol).

use basalt_sql::{Session, Severity, SqlCode, SqlError, TransactionStatus};
use basalt_txn::LocalKv;

fn session() -> Session<LocalKv> {
    Session::new(LocalKv::memory())
}

fn code(s: &mut Session<LocalKv>, sql: &str) -> &'static str {
    match s.execute(sql) {
        Err(e) => e.code().code(),
        Ok(r) => panic!("{sql} succeeded: {r:?}"),
    }
}

fn tags(s: &mut Session<LocalKv>, sql: &str) -> Vec<String> {
    s.execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|r| r.tag)
        .collect()
}

/// The warnings of the only statement of `sql`, as (code, message).
fn warnings(s: &mut Session<LocalKv>, sql: &str) -> Vec<(&'static str, String)> {
    let results = s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    results
        .into_iter()
        .flat_map(|r| r.notices)
        .map(|n| {
            assert_eq!(n.severity, Severity::Warning);
            (n.code.code(), n.message)
        })
        .collect()
}

#[test]
fn error_codes() {
    let mut s = session();
    let cases: &[(&str, &str)] = &[
        ("SELEC 1", "42601"),
        ("SELECT 'abc", "42601"),
        ("SHOW nope", "42704"),
        ("SET nope = 1", "42704"),
        ("SET statement_timeout = 'x'", "22023"),
        ("SET statement_timeout = -1", "22023"),
        ("SET standard_conforming_strings = 'maybe'", "22023"),
        ("SET DateStyle = 'foo'", "22023"),
        ("SET TimeZone = 'Mars/Olympus'", "22023"),
        ("SET server_version = '16'", "55P02"),
        ("SET a..b = 1", "42601"),
        ("SAVEPOINT a", "25P01"),
        ("RELEASE SAVEPOINT a", "25P01"),
        ("ROLLBACK TO SAVEPOINT a", "25P01"),
        ("COMMIT AND CHAIN", "25P01"),
        ("SELECT 1 / 0", "22012"),
        ("SELECT 2147483647 + 1", "22003"),
        ("SELECT 'x'::int", "22P02"),
        ("SELECT nope", "42703"),
        ("SELECT * FROM nope", "42P01"),
        ("SELECT length(1, 2, 3)", "42883"),
        ("SELECT 1 + 'a'::text", "42883"),
        (
            "SELECT count(*) FROM (VALUES (1)) v(a) WHERE count(*) > 0",
            "42803",
        ),
        ("CREATE TABLE t (a no_such_type)", "42704"),
        ("INSERT INTO t VALUES (1)", "42P01"),
        ("SET ROLE no_such_role", "22023"),
        ("PREPARE TRANSACTION 'x'", "0A000"),
        ("SET TIME ZONE INTERVAL '1 day'", "22023"),
    ];
    for (sql, expected) in cases {
        assert_eq!(code(&mut s, sql), *expected, "{sql}");
        assert_eq!(s.transaction_status(), TransactionStatus::Idle, "{sql}");
    }
}

#[test]
fn transaction_error_codes() {
    let mut s = session();
    s.execute("BEGIN").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(code(&mut s, "RELEASE nope"), "3B001");
    assert_eq!(s.transaction_status(), TransactionStatus::Failed);
    for sql in [
        "SHOW search_path",
        "SAVEPOINT a",
        "BEGIN",
        "RELEASE a",
        "SET a.b = 1",
    ] {
        assert_eq!(code(&mut s, sql), "25P02", "{sql}");
    }
    assert_eq!(code(&mut s, "ROLLBACK TO nope"), "3B001");
    assert_eq!(tags(&mut s, "COMMIT"), ["ROLLBACK"]);

    s.execute("BEGIN; SAVEPOINT s")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        code(&mut s, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"),
        "25001"
    );
    assert_eq!(tags(&mut s, "ROLLBACK TO s"), ["ROLLBACK"]);
    assert_eq!(code(&mut s, "SET TRANSACTION DEFERRABLE"), "25001");
    s.execute("ROLLBACK").unwrap_or_else(|e| panic!("{e}"));
    s.execute("BEGIN").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(code(&mut s, "DISCARD ALL"), "25001");
    s.execute("ROLLBACK").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn error_fields() {
    let mut s = session();
    let e = s
        .execute("SHOW a b")
        .err()
        .unwrap_or_else(|| panic!("no error"));
    assert!(matches!(e, SqlError::Syntax { .. }));
    assert_eq!(e.code(), SqlCode::SYNTAX_ERROR);
    assert_eq!(e.message(), "syntax error at or near \"b\"");
    assert_eq!(e.position(), Some(8));
    let e = s
        .execute("SET synchronous_commit = maybe")
        .err()
        .unwrap_or_else(|| panic!("no error"));
    assert_eq!(
        e.hint(),
        Some("Available values: local, remote_write, remote_apply, on, off.")
    );
    let e = s
        .execute("SET DateStyle = 'ISO, SQL'")
        .err()
        .unwrap_or_else(|| panic!("no error"));
    assert_eq!(
        e.detail(),
        Some("Conflicting \"datestyle\" specifications.")
    );
}

#[test]
fn warnings_and_tags() {
    let mut s = session();
    assert_eq!(
        warnings(&mut s, "COMMIT"),
        [("25P01", "there is no transaction in progress".to_string())]
    );
    assert_eq!(
        warnings(&mut s, "ROLLBACK"),
        [("25P01", "there is no transaction in progress".to_string())]
    );
    assert_eq!(
        warnings(&mut s, "SET TRANSACTION READ ONLY"),
        [(
            "25P01",
            "SET TRANSACTION can only be used in transaction blocks".to_string()
        )]
    );
    assert_eq!(
        warnings(&mut s, "SET LOCAL search_path = x"),
        [(
            "25P01",
            "SET LOCAL can only be used in transaction blocks".to_string()
        )]
    );
    assert_eq!(
        warnings(&mut s, "RESET transaction_isolation"),
        [(
            "25P01",
            "RESET TRANSACTION can only be used in transaction blocks".to_string()
        )]
    );
    assert_eq!(tags(&mut s, "BEGIN"), ["BEGIN"]);
    assert_eq!(
        warnings(&mut s, "START TRANSACTION"),
        [(
            "25001",
            "there is already a transaction in progress".to_string()
        )]
    );
    assert!(warnings(&mut s, "SET LOCAL search_path = x").is_empty());
    assert_eq!(tags(&mut s, "END"), ["COMMIT"]);
    assert_eq!(
        tags(
            &mut s,
            "START TRANSACTION; SAVEPOINT a; RELEASE a; SAVEPOINT b; ROLLBACK TO b; ABORT"
        ),
        [
            "START TRANSACTION",
            "SAVEPOINT",
            "RELEASE",
            "SAVEPOINT",
            "ROLLBACK",
            "ROLLBACK"
        ]
    );
    assert_eq!(
        tags(&mut s, "SET a.b = 1; SHOW a.b; RESET a.b; RESET ALL"),
        ["SET", "SHOW", "RESET", "RESET"]
    );
    assert_eq!(tags(&mut s, "DISCARD ALL"), ["DISCARD ALL"]);
    // An empty query string runs nothing.
    assert!(tags(&mut s, " ; -- nothing").is_empty());
}

#[test]
fn show_columns_use_canonical_names() {
    let mut s = session();
    for (sql, column) in [
        ("SHOW timezone", "TimeZone"),
        ("SHOW TIME ZONE", "TimeZone"),
        ("SHOW datestyle", "DateStyle"),
        ("SHOW TRANSACTION ISOLATION LEVEL", "transaction_isolation"),
        ("SHOW Search_Path", "search_path"),
    ] {
        let r = s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(r[0].columns, [column], "{sql}");
    }
}

#[test]
fn startup_defaults_are_what_reset_returns_to() {
    let mut s = session();
    s.set_default("application_name", "psql")
        .unwrap_or_else(|e| panic!("{e}"));
    s.set_default("DateStyle", "SQL, DMY")
        .unwrap_or_else(|e| panic!("{e}"));
    s.execute("SET application_name = 'x'; SET DateStyle = ISO")
        .unwrap_or_else(|e| panic!("{e}"));
    s.execute("RESET ALL").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.settings().application_name(), "psql");
    assert_eq!(s.settings().date_style(), "SQL, DMY");
    assert!(s.set_default("TimeZone", "Nowhere/Special").is_err());
}
