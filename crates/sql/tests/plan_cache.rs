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

/// Texts that differ only in integer literals share one plan (their shape's parameter
/// form): each must give what the same text planned with its own values gives
/// (`plan_cache_mode = force_custom_plan`), rows, errors and error positions alike.
#[test]
fn texts_of_one_shape_match_custom_plans() {
    let setup = "CREATE TABLE t (id int PRIMARY KEY, a int, b bigint, c smallint, s text, \
                 v varchar(10));
                 INSERT INTO t SELECT i, i % 7, i::bigint * 1000000000, i % 3, 'x' || i, 'v' || i \
                 FROM generate_series(1, 50) i;
                 CREATE INDEX t_a ON t (a)";
    let mut generic = Session::new(LocalKv::memory());
    let mut custom = Session::new(LocalKv::memory());
    generic.execute(setup).unwrap();
    custom.execute(setup).unwrap();
    custom
        .execute("SET plan_cache_mode = force_custom_plan")
        .unwrap();
    let shapes: &[fn(i32) -> String] = &[
        |n| format!("SELECT a, b FROM t WHERE id = {n}"),
        |n| format!("SELECT id FROM t WHERE a = {n} AND id > {n} ORDER BY id"),
        |n| format!("SELECT count(*), sum(b) FROM t WHERE c = {n}"),
        |n| format!("SELECT id + {n}, a * -{n}, {n} FROM t WHERE id < 3 ORDER BY 1"),
        |n| format!("SELECT id FROM t ORDER BY id LIMIT {n} OFFSET 2"),
        |n| format!("SELECT a, count(*) FROM t GROUP BY 1 HAVING count(*) > {n} ORDER BY 1"),
        |n| format!("SELECT id FROM t WHERE id IN ({n}, 3, {n} + 1) ORDER BY id"),
        |n| format!("SELECT CASE WHEN id > {n} THEN 1 ELSE 2.5 END FROM t WHERE id < 4"),
        |n| format!("SELECT 2147483640 + {n}"),
        |n| format!("SELECT 100 / ({n} - 3)"),
        |n| format!("SELECT v::varchar({n}) FROM t WHERE id = 12"),
        |n| format!("SELECT id, {n} FROM t WHERE id < 3 ORDER BY {n}"),
        |n| format!("SELECT ARRAY[{n}, 2][1], substr(s, {n}) FROM t WHERE id = 10"),
        |n| format!("SELECT {n}::text || s, {n}::bigint * b FROM t WHERE id = 2"),
        |n| format!("SELECT id FROM t WHERE b > {n} AND c = {n} % 3 ORDER BY id LIMIT 3"),
        |n| format!("UPDATE t SET a = a + {n} WHERE id = {n}"),
        |n| format!("UPDATE t SET c = {n} WHERE id = 5"),
        |n| format!("INSERT INTO t (id, c) VALUES (200, {n}) ON CONFLICT DO NOTHING"),
        |n| format!("DELETE FROM t WHERE id = {n} + 40"),
        |n| format!("INSERT INTO t (id, a, c) VALUES ({n} + 100, {n}, {n})"),
        |n| format!("SELECT nosuch + {n} FROM t"),
    ];
    for shape in shapes {
        for n in [1, 3, 2, 12345, 0, -7, 40000, 3] {
            let sql = shape(n);
            let g = generic.query(&sql, &[]);
            let c = custom.query(&sql, &[]);
            match (g, c) {
                (Ok(g), Ok(c)) => {
                    assert_eq!(g.rows, c.rows, "{sql}");
                    assert_eq!(g.types, c.types, "{sql}");
                    assert_eq!(g.columns, c.columns, "{sql}");
                    assert_eq!(g.tag, c.tag, "{sql}");
                }
                (Err(g), Err(c)) => {
                    assert_eq!(g.code(), c.code(), "{sql}");
                    assert_eq!(g.message(), c.message(), "{sql}");
                    assert_eq!(g.position(), c.position(), "{sql}");
                }
                (g, c) => panic!("{sql}: {:?} / {:?}", g.err(), c.err()),
            }
        }
    }
    let all = "SELECT * FROM t ORDER BY id";
    assert_eq!(rows(&mut generic, all), rows(&mut custom, all));
}

/// A statement whose shape's plan must be bound again (the table is gone) reports the
/// error at this text's position, not at the position in the text the shape was first
/// seen in.
#[test]
fn parameter_form_errors_point_into_their_own_text() {
    let mut s = Session::new(LocalKv::memory());
    s.execute("CREATE TABLE t (a int)").unwrap();
    s.query("SELECT a + 1 FROM t WHERE a = 2", &[]).unwrap();
    s.query("SELECT a + 12 FROM t WHERE a = 3", &[]).unwrap();
    s.execute("DROP TABLE t").unwrap();
    let sql = "SELECT a + 123456 FROM t WHERE a = 4";
    let e = s.query(sql, &[]).unwrap_err();
    assert_eq!(e.code().code(), "42P01");
    assert_eq!(e.position(), Some(sql.find(" t ").unwrap() as u32 + 2));
}
