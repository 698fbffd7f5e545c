//! SQL-language functions persist with the catalog: they are there, callable, after the
//! database is closed and opened again; a rolled-back CREATE FUNCTION leaves nothing.
#![allow(clippy::unwrap_used, missing_docs)]

use basalt::Database;

fn text(conn: &basalt::Connection, sql: &str) -> String {
    conn.query_row(sql, (), |r| r.get::<String>(0)).unwrap()
}

#[test]
fn functions_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let db = Database::open(&path).unwrap();
        let mut conn = db.connect();
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, name text)", ())
            .unwrap();
        conn.execute("INSERT INTO t VALUES (1, 'one'), (2, 'two')", ())
            .unwrap();
        conn.execute(
            "CREATE FUNCTION name_of(i int) RETURNS text LANGUAGE sql STABLE \
             AS $$ SELECT name FROM t WHERE id = i $$",
            (),
        )
        .unwrap();
        conn.execute(
            "CREATE FUNCTION ids() RETURNS SETOF int LANGUAGE sql RETURN 7",
            (),
        )
        .unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute(
            "CREATE FUNCTION gone() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            (),
        )
        .unwrap();
        drop(tx);
    }
    let db = Database::open(&path).unwrap();
    let conn = db.connect();
    assert_eq!(text(&conn, "SELECT name_of(2)"), "two");
    assert_eq!(
        text(&conn, "SELECT string_agg(x::text, ',') FROM ids() x"),
        "7"
    );
    assert_eq!(
        text(
            &conn,
            "SELECT string_agg(proname::text, ',' ORDER BY proname) FROM pg_proc WHERE prolang = 14"
        ),
        "ids,name_of"
    );
    let e = conn.query_row("SELECT gone()", (), |r| r.get::<i32>(0));
    assert_eq!(e.unwrap_err().code(), "42883");
}

#[test]
fn endless_recursion_fails_on_a_small_thread() {
    // Spawned threads get 2 MiB of stack by default: the depth check must fire first.
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let db = Database::memory();
            let conn = db.connect();
            conn.execute(
                "CREATE FUNCTION forever(n int) RETURNS int LANGUAGE sql AS 'SELECT forever(n + 1)'",
                (),
            )
            .unwrap();
            let e = conn.query_row("SELECT forever(1)", (), |r| r.get::<i32>(0));
            assert_eq!(e.unwrap_err().code(), "54001");
        })
        .unwrap()
        .join()
        .unwrap();
}
