//! Enum types and domains survive closing and reopening a database, with their stored
//! values, indexes and later changes (ADD VALUE, RENAME VALUE, ALTER DOMAIN).
#![allow(clippy::unwrap_used)]

use basalt::Database;

fn texts(conn: &basalt::Connection, sql: &str) -> Vec<String> {
    conn.query(sql, ())
        .unwrap()
        .iter()
        .map(|r| r.get::<String>(0).unwrap())
        .collect()
}

#[test]
fn enum_types_and_domains_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let db = Database::open(&path).unwrap();
        let conn = db.connect();
        for sql in [
            "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
            "CREATE DOMAIN posint AS int CHECK (VALUE > 0)",
            "CREATE TABLE t (m mood PRIMARY KEY, ms mood[], n posint)",
            "CREATE INDEX t_n ON t (n)",
            "INSERT INTO t VALUES ('happy', '{ok,sad}', 1), ('sad', NULL, 2)",
            "ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'",
            "INSERT INTO t VALUES ('meh', '{meh}', 3)",
        ] {
            conn.execute(sql, ()).unwrap();
        }
    }
    let db = Database::open(&path).unwrap();
    let conn = db.connect();
    assert_eq!(
        texts(&conn, "SELECT m FROM t ORDER BY m"),
        ["sad", "meh", "happy"]
    );
    assert_eq!(
        texts(&conn, "SELECT ms::text FROM t WHERE m = 'happy'"),
        ["{ok,sad}"]
    );
    assert_eq!(
        texts(&conn, "SELECT enum_range(NULL::mood)::text"),
        ["{sad,meh,ok,happy}"]
    );
    let e = conn
        .execute("INSERT INTO t VALUES ('ok', NULL, 0)", ())
        .unwrap_err();
    assert_eq!(e.code(), "23514");
    let e = conn
        .execute("INSERT INTO t VALUES ('nope', NULL, 5)", ())
        .unwrap_err();
    assert_eq!(e.code(), "22P02");
    conn.execute("ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'", ())
        .unwrap();
    drop(conn);
    drop(db);
    let db = Database::open(&path).unwrap();
    let conn = db.connect();
    assert_eq!(
        texts(&conn, "SELECT m FROM t WHERE m < 'happy' ORDER BY m"),
        ["blue", "meh"]
    );
    assert_eq!(texts(&conn, "SELECT m FROM t WHERE n = 2"), ["blue"]);
    let label: String = conn
        .query_row("SELECT m FROM t WHERE m = 'blue'", (), |r| {
            r.get::<&str>(0).map(str::to_string)
        })
        .unwrap();
    assert_eq!(label, "blue");
}
