//! The session's cache of bound statements: a cached statement must behave exactly as a
//! freshly bound one after DDL, after settings binding depends on change, and for text whose
//! binding folds the transaction time.
#![allow(clippy::unwrap_used)]

use basalt_common::types::Value;
use basalt_sql::Session;
use basalt_txn::LocalKv;

fn rows(s: &mut Session<LocalKv>, sql: &str) -> Vec<Vec<Value>> {
    s.query(sql, &[]).unwrap().rows
}

#[test]
fn cached_insert_sees_ddl() {
    let mut s = Session::new(LocalKv::memory());
    s.execute("CREATE TABLE t (id int PRIMARY KEY, a text)")
        .unwrap();
    let ins = "INSERT INTO t VALUES ($1, $2)";
    s.query(ins, &[Value::Int4(1), Value::Text("x".into())])
        .unwrap();
    s.query(ins, &[Value::Int4(2), Value::Text("y".into())])
        .unwrap();
    // A new column with a default, a CHECK and a unique index: the same text binds anew.
    s.execute(
        "ALTER TABLE t ADD COLUMN b int DEFAULT 7 CHECK (b > 0); CREATE UNIQUE INDEX t_a ON t (a)",
    )
    .unwrap();
    s.query(ins, &[Value::Int4(3), Value::Text("z".into())])
        .unwrap();
    let e = s
        .query(ins, &[Value::Int4(4), Value::Text("z".into())])
        .unwrap_err();
    assert_eq!(e.code().code(), "23505");
    assert_eq!(
        rows(&mut s, "SELECT id, b FROM t ORDER BY id"),
        [
            [Value::Int4(1), Value::Int4(7)],
            [Value::Int4(2), Value::Int4(7)],
            [Value::Int4(3), Value::Int4(7)],
        ]
    );
    // Dropping and recreating the table under the same name.
    s.execute("DROP TABLE t; CREATE TABLE t (id int PRIMARY KEY, a text NOT NULL)")
        .unwrap();
    let e = s.query(ins, &[Value::Int4(1), Value::Null]).unwrap_err();
    assert_eq!(e.code().code(), "23502");
}

#[test]
fn cached_statements_follow_search_path() {
    let mut s = Session::new(LocalKv::memory());
    s.execute(
        "CREATE SCHEMA a; CREATE SCHEMA b; CREATE TABLE a.t (x int); CREATE TABLE b.t (x int)",
    )
    .unwrap();
    for (schema, x) in [("a", 1), ("b", 2), ("a", 3)] {
        s.execute(&format!("SET search_path = {schema}")).unwrap();
        s.query("INSERT INTO t VALUES ($1)", &[Value::Int4(x)])
            .unwrap();
    }
    s.execute("SET search_path = a").unwrap();
    assert_eq!(rows(&mut s, "SELECT sum(x) FROM t"), [[Value::Int8(4)]]);
    s.execute("SET search_path = b").unwrap();
    assert_eq!(rows(&mut s, "SELECT sum(x) FROM t"), [[Value::Int8(2)]]);
}

#[test]
fn transaction_time_literals_are_not_frozen() {
    let mut s = Session::new(LocalKv::memory());
    s.execute("CREATE TABLE t (n int, ts timestamptz)").unwrap();
    for n in 1..=2 {
        s.execute("BEGIN").unwrap();
        s.query("INSERT INTO t VALUES ($1, 'now')", &[Value::Int4(n)])
            .unwrap();
        s.query("INSERT INTO t VALUES ($1 + 10, now())", &[Value::Int4(n)])
            .unwrap();
        s.execute("COMMIT").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    // Each transaction stores its own start time, for the literal and for now() alike.
    assert_eq!(
        rows(&mut s, "SELECT count(DISTINCT ts) FROM t WHERE n < 10"),
        [[Value::Int8(2)]]
    );
    assert_eq!(
        rows(&mut s, "SELECT count(DISTINCT ts) FROM t"),
        [[Value::Int8(2)]]
    );
    // And a SELECT of the literal is not frozen either.
    let a = rows(&mut s, "SELECT 'now'::timestamptz");
    std::thread::sleep(std::time::Duration::from_millis(2));
    let b = rows(&mut s, "SELECT 'now'::timestamptz");
    assert_ne!(a, b);
}

#[test]
fn cache_is_not_used_after_ddl_in_the_same_transaction() {
    let mut s = Session::new(LocalKv::memory());
    s.execute("CREATE TABLE t (id int PRIMARY KEY)").unwrap();
    s.query("INSERT INTO t VALUES ($1)", &[Value::Int4(1)])
        .unwrap();
    s.execute("BEGIN; ALTER TABLE t ADD COLUMN c int DEFAULT 5")
        .unwrap();
    s.query("INSERT INTO t VALUES ($1)", &[Value::Int4(2)])
        .unwrap();
    s.execute("ROLLBACK").unwrap();
    s.query("INSERT INTO t VALUES ($1)", &[Value::Int4(3)])
        .unwrap();
    assert_eq!(
        rows(&mut s, "SELECT * FROM t ORDER BY id"),
        [[Value::Int4(1)], [Value::Int4(3)]]
    );
}

#[test]
fn catalog_reused_only_at_the_same_snapshot() {
    // Two sessions over one store, each with its own caches: a DDL commit by one must be
    // seen by the other's next statement, and not by its REPEATABLE READ snapshot.
    let kv = LocalKv::memory();
    let mut a = Session::new(kv.clone());
    let mut b = Session::new(kv);
    a.execute("CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
        .unwrap();
    assert_eq!(rows(&mut a, "SELECT * FROM t"), [[Value::Int4(1)]]);
    assert_eq!(rows(&mut a, "SELECT * FROM t"), [[Value::Int4(1)]]);
    a.execute("BEGIN ISOLATION LEVEL REPEATABLE READ").unwrap();
    assert_eq!(rows(&mut a, "SELECT * FROM t"), [[Value::Int4(1)]]);
    b.execute("ALTER TABLE t ADD COLUMN y int DEFAULT 2")
        .unwrap();
    assert_eq!(rows(&mut a, "SELECT * FROM t"), [[Value::Int4(1)]]);
    a.execute("COMMIT").unwrap();
    assert_eq!(
        rows(&mut a, "SELECT * FROM t"),
        [[Value::Int4(1), Value::Int4(2)]]
    );
    b.execute("DROP TABLE t").unwrap();
    let e = a.query("SELECT * FROM t", &[]).unwrap_err();
    assert_eq!(e.code().code(), "42P01");
}

#[test]
fn cached_update_sees_ddl_and_new_rows() {
    let mut s = Session::new(LocalKv::memory());
    s.execute("CREATE TABLE t (id int PRIMARY KEY, a int); INSERT INTO t VALUES (1, 1), (2, 2)")
        .unwrap();
    let upd = "UPDATE t SET a = a + $2 WHERE id = $1";
    for _ in 0..3 {
        s.query(upd, &[Value::Int4(1), Value::Int4(10)]).unwrap();
    }
    // Rows inserted after the plan was cached are found by it.
    s.execute("INSERT INTO t VALUES (3, 3)").unwrap();
    s.query(upd, &[Value::Int4(3), Value::Int4(1)]).unwrap();
    // A CHECK added later is enforced by the same text.
    s.execute("ALTER TABLE t ADD CONSTRAINT small CHECK (a < 100)")
        .unwrap();
    let e = s
        .query(upd, &[Value::Int4(2), Value::Int4(500)])
        .unwrap_err();
    assert_eq!(e.code().code(), "23514");
    assert_eq!(
        rows(&mut s, "SELECT id, a FROM t ORDER BY id"),
        [
            [Value::Int4(1), Value::Int4(31)],
            [Value::Int4(2), Value::Int4(2)],
            [Value::Int4(3), Value::Int4(4)],
        ]
    );
    // A recreated table of the same name binds anew.
    s.execute(
        "DROP TABLE t; CREATE TABLE t (a int, id int PRIMARY KEY); INSERT INTO t VALUES (5, 1)",
    )
    .unwrap();
    s.query(upd, &[Value::Int4(1), Value::Int4(1)]).unwrap();
    assert_eq!(
        rows(&mut s, "SELECT a, id FROM t"),
        [[Value::Int4(6), Value::Int4(1)]]
    );
}

#[test]
fn cached_delete_sees_ddl_and_new_rows() {
    let mut s = Session::new(LocalKv::memory());
    s.execute(
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, p int);
         INSERT INTO p SELECT generate_series(1, 5)",
    )
    .unwrap();
    let del = "DELETE FROM p WHERE id = $1";
    s.query(del, &[Value::Int4(1)]).unwrap();
    s.query(del, &[Value::Int4(2)]).unwrap();
    // A foreign key added after caching is enforced by the same text.
    s.execute("ALTER TABLE c ADD FOREIGN KEY (p) REFERENCES p; INSERT INTO c VALUES (1, 3)")
        .unwrap();
    let e = s.query(del, &[Value::Int4(3)]).unwrap_err();
    assert_eq!(e.code().code(), "23503");
    s.execute("INSERT INTO p VALUES (9)").unwrap();
    let r = s.query(del, &[Value::Int4(9)]).unwrap();
    assert_eq!(r.tag, "DELETE 1");
    assert_eq!(
        rows(&mut s, "SELECT id FROM p ORDER BY id"),
        [[Value::Int4(3)], [Value::Int4(4)], [Value::Int4(5)]]
    );
}
