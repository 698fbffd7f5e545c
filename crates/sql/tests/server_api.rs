//! The session APIs the wire protocol's server uses: describing a prepared statement
//! without running it, cancel and `statement_timeout`, LISTEN / NOTIFY.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use basalt_common::types::{DataType, Value};
use basalt_sql::{Session, SqlError, TransactionStatus};
use basalt_txn::LocalKv;

fn session() -> Session<LocalKv> {
    Session::new(LocalKv::memory())
}

/// Two sessions of one database.
fn pair() -> (Session<LocalKv>, Session<LocalKv>) {
    let kv = LocalKv::memory();
    let shared = Arc::new(basalt_sql::engine::Shared::default());
    (
        Session::with_shared(kv.clone(), shared.clone()),
        Session::with_shared(kv, shared),
    )
}

fn ok(s: &mut Session<LocalKv>, sql: &str) -> Vec<Vec<Option<String>>> {
    match s.execute(sql) {
        Ok(mut r) => r.pop().map(|r| r.rows).unwrap_or_default(),
        Err(e) => panic!("{sql}: {e}"),
    }
}

fn code(e: &SqlError) -> String {
    e.code().code().to_string()
}

fn setup(s: &mut Session<LocalKv>) {
    ok(
        s,
        "CREATE TABLE t (id int PRIMARY KEY, v text, n numeric, b bigint, d date)",
    );
    ok(
        s,
        "INSERT INTO t VALUES (1, 'a', 1.5, 10, '2024-01-02'), (2, 'b', 2.5, 20, NULL)",
    );
    ok(
        s,
        "CREATE FUNCTION outp(IN a int, OUT x int, OUT y text) LANGUAGE sql AS $$ SELECT a, 'q' $$",
    );
    ok(
        s,
        "CREATE PROCEDURE pr(INOUT a int, OUT b text) LANGUAGE sql AS $$ SELECT a + 1, 'z' $$",
    );
}

/// A value of `t` for parameter `i` (the server parses the client's text into these).
fn value_of(t: &DataType, i: usize) -> Value {
    match t {
        DataType::Int4 => Value::Int4(i as i32 + 1),
        DataType::Int8 => Value::Int8(i as i64 + 1),
        DataType::Text => Value::Text(format!("p{i}")),
        DataType::Numeric(_) => Value::Numeric(basalt_common::types::Numeric::from_i64(1)),
        DataType::Bool => Value::Bool(true),
        other => panic!("no value for {other:?}"),
    }
}

#[test]
fn describe_infers_parameter_types_as_postgres() {
    let mut s = session();
    setup(&mut s);
    let cases: &[(&str, &[DataType])] = &[
        ("SELECT * FROM t WHERE id = $1", &[DataType::Int4]),
        ("SELECT $1 + 1", &[DataType::Int4]),
        ("SELECT $1", &[DataType::Text]),
        (
            "INSERT INTO t VALUES ($1, $2)",
            &[DataType::Int4, DataType::Text],
        ),
        (
            "INSERT INTO t SELECT $1, $2",
            &[DataType::Int4, DataType::Text],
        ),
        (
            "UPDATE t SET v = $1 WHERE id = $2 RETURNING n",
            &[DataType::Text, DataType::Int4],
        ),
        ("VALUES ($1, $2::int)", &[DataType::Text, DataType::Int4]),
        (
            "SELECT $1 UNION SELECT $2",
            &[DataType::Text, DataType::Text],
        ),
        ("SELECT * FROM (SELECT $1) s", &[DataType::Text]),
        ("SELECT 1 FROM t WHERE v LIKE $1", &[DataType::Text]),
        ("DELETE FROM t WHERE b > $1", &[DataType::Int8]),
        ("EXPLAIN SELECT * FROM t WHERE id = $1", &[DataType::Int4]),
        // PostgreSQL 15's inference (its pg_prepared_statements.parameter_types).
        ("SELECT coalesce($1, 1)", &[DataType::Int4]),
        ("SELECT $1 FROM t ORDER BY 1", &[DataType::Text]),
        ("SELECT $1 || 'x'", &[DataType::Text]),
        ("SELECT length($1)", &[DataType::Text]),
        (
            "UPDATE t SET d = $1 WHERE v = $2 RETURNING $3",
            &[DataType::Date, DataType::Text, DataType::Text],
        ),
        ("SELECT ARRAY[$1, 2]", &[DataType::Int4]),
        ("SELECT CASE WHEN $1 THEN 1 END", &[DataType::Bool]),
        ("SELECT $1 = ANY('{1,2}'::int[])", &[DataType::Int4]),
        ("VALUES ($1)", &[DataType::Text]),
        (
            "INSERT INTO t (id) VALUES ($1) RETURNING $2",
            &[DataType::Int4, DataType::Text],
        ),
        ("DELETE FROM t RETURNING $1", &[DataType::Text]),
        ("SELECT * FROM (VALUES ($1)) v", &[DataType::Text]),
        // oid (26) and oid[] (1028), as asyncpg's type introspection needs them.
        (
            "SELECT $1::oid[]",
            &[DataType::Array(Box::new(DataType::Oid))],
        ),
        (
            "SELECT typname FROM pg_type t WHERE t.oid = $1",
            &[DataType::Oid],
        ),
        ("SELECT 'pg_class'::regclass = $1", &[DataType::Oid]),
        (
            "SELECT typname FROM pg_type t WHERE t.oid = any($1::oid[])",
            &[DataType::Array(Box::new(DataType::Oid))],
        ),
    ];
    for (sql, want) in cases {
        let stmt = s.prepare(sql).unwrap();
        let d = s.describe_prepared(&stmt, &[]).unwrap();
        assert_eq!(d.params, *want, "{sql}");
    }
    // Declared types win; the rest is inferred.
    let stmt = s.prepare("SELECT $1, $2 + 1").unwrap();
    let d = s.describe_prepared(&stmt, &[Some(DataType::Int8)]).unwrap();
    assert_eq!(d.params, [DataType::Int8, DataType::Int4]);
    assert_eq!(
        d.columns
            .unwrap()
            .iter()
            .map(|c| c.1.clone())
            .collect::<Vec<_>>(),
        [DataType::Int8, DataType::Int4]
    );
    // Parameters nothing gives a type (PostgreSQL's 42P18).
    for (sql, n) in [
        ("SELECT 1 WHERE $1 IS NULL", 1),
        ("SELECT $2::int", 1),
        ("SELECT 1 FROM t WHERE $2 = v AND $1 IS NOT NULL", 1),
    ] {
        let stmt = s.prepare(sql).unwrap();
        let e = s.describe_prepared(&stmt, &[]).unwrap_err();
        assert_eq!(code(&e), "42P18", "{sql}");
        assert_eq!(
            e.to_string(),
            format!("could not determine data type of parameter ${n}"),
            "{sql}"
        );
    }
}

#[test]
fn describe_columns_equal_the_executed_ones() {
    let mut s = session();
    setup(&mut s);
    ok(
        &mut s,
        "PREPARE q(int) AS SELECT $1, v FROM t WHERE id = $1",
    );
    ok(&mut s, "BEGIN");
    ok(&mut s, "DECLARE c CURSOR FOR SELECT id, n, d FROM t");
    let statements = [
        "SELECT * FROM t WHERE id = $1",
        "SELECT $1",
        "SELECT $1::int",
        "SELECT 1.5",
        "SELECT 1, 'x', now()::date, 2::bigint, NULL",
        "SELECT count(*), sum(b), avg(id) FROM t",
        "VALUES (1, 'a'), (2, 'b')",
        "TABLE t",
        "SELECT v || $1 FROM t",
        "INSERT INTO t VALUES ($1, $2) RETURNING id, v, n * 2",
        "UPDATE t SET v = $1 WHERE id = $2 RETURNING *",
        "DELETE FROM t WHERE id = $1 RETURNING b",
        "INSERT INTO t VALUES ($1, $2)",
        "INSERT INTO t (id) VALUES ($1) RETURNING $2, id",
        "VALUES ($1)",
        "SHOW TimeZone",
        "SHOW datestyle",
        "SHOW ALL",
        "EXPLAIN SELECT * FROM t",
        "FETCH 1 FROM c",
        "EXECUTE q(1)",
        "SELECT * FROM outp(3)",
        "SELECT outp(3)",
        "CALL pr(1, NULL)",
        "SELECT * FROM generate_series(1, $1)",
        "SELECT id FROM t FOR UPDATE",
        "SET search_path = public",
        "CREATE TABLE u (a int)",
        "MOVE 1 IN c",
        "WITH x AS (INSERT INTO t VALUES ($1, $2) RETURNING id, v) SELECT id, v, 1.5 FROM x",
        "WITH s AS (SELECT 7 AS a) INSERT INTO t SELECT a, 'x' FROM s RETURNING id, v",
        "WITH d AS (DELETE FROM t WHERE id = $1 RETURNING *) SELECT count(*), max(n) FROM d",
        "WITH u AS (UPDATE t SET v = $1 WHERE id = 2 RETURNING id, d) SELECT * FROM u",
        "WITH a AS (SELECT 1 AS k), b AS (INSERT INTO t SELECT k + 10, 'z' FROM a RETURNING id) \
         DELETE FROM t WHERE id = (SELECT id FROM b) - 10 RETURNING v, b",
    ];
    for (i, sql) in statements.iter().enumerate() {
        ok(&mut s, &format!("SAVEPOINT s{i}"));
        let stmt = s.prepare(sql).unwrap();
        let d = s
            .describe_prepared(&stmt, &[])
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let params: Vec<Value> = d
            .params
            .iter()
            .enumerate()
            .map(|(k, t)| value_of(t, k + 100))
            .collect();
        let r = s
            .query_prepared(&stmt, params)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let executed: Vec<(String, DataType)> = r.columns.into_iter().zip(r.types).collect();
        match d.columns {
            Some(cols) => assert_eq!(cols, executed, "{sql}"),
            None => assert!(executed.is_empty(), "{sql}: {executed:?}"),
        }
        ok(&mut s, &format!("ROLLBACK TO s{i}"));
    }
    ok(&mut s, "COMMIT");
}

#[test]
fn describing_a_data_modifying_with_runs_nothing() {
    let mut s = session();
    setup(&mut s);
    let stmt = s
        .prepare(
            "WITH x AS (INSERT INTO t VALUES ($1, $2) RETURNING id) SELECT id * 2 AS twice FROM x",
        )
        .unwrap();
    let d = s.describe_prepared(&stmt, &[]).unwrap();
    assert_eq!(d.params, [DataType::Int4, DataType::Text]);
    assert_eq!(d.columns, Some(vec![("twice".to_string(), DataType::Int4)]));
    assert_eq!(
        ok(&mut s, "SELECT count(*) FROM t"),
        [[Some("2".to_string())]]
    );
    // A data-modifying query nested in another's WITH: refused as when it runs.
    let nested = s
        .prepare("WITH a AS (INSERT INTO t WITH b AS (DELETE FROM t RETURNING *) SELECT * FROM b RETURNING id) SELECT 1")
        .unwrap();
    let e = s.describe_prepared(&nested, &[]).unwrap_err();
    assert_eq!(code(&e), "0A000");
    assert_eq!(
        ok(&mut s, "SELECT count(*) FROM t"),
        [[Some("2".to_string())]]
    );
}

#[test]
fn declared_types_bind_every_run() {
    let mut s = session();
    setup(&mut s);
    let stmt = s
        .prepare_typed("SELECT $1, $2", &[Some(DataType::Int4), None])
        .unwrap();
    let d = s.describe_prepared(&stmt, &[]).unwrap();
    assert_eq!(d.params, [DataType::Int4, DataType::Text]);
    for _ in 0..2 {
        let r = s
            .query_prepared(&stmt, vec![Value::Int4(7), Value::Text("x".into())])
            .unwrap();
        assert_eq!(r.types, [DataType::Int4, DataType::Text]);
        assert_eq!(r.rows, [[Value::Int4(7), Value::Text("x".into())]]);
    }
    // The same text untyped is bound on its own (the plan cache keeps the two apart).
    let plain = s.prepare("SELECT $1, $2").unwrap();
    let r = s
        .query_prepared(
            &plain,
            vec![Value::Text("7".into()), Value::Text("x".into())],
        )
        .unwrap();
    assert_eq!(r.types, [DataType::Text, DataType::Text]);
    // SQL PREPARE with types: EXECUTE returns the declared type.
    ok(&mut s, "PREPARE p(int) AS SELECT $1");
    let r = s.query("EXECUTE p(5)", &[]).unwrap();
    assert_eq!(r.types, [DataType::Int4]);
}

#[test]
fn describe_runs_nothing_and_keeps_the_block() {
    let mut s = session();
    setup(&mut s);
    // Outside a block: nothing is left open.
    let stmt = s
        .prepare("DELETE FROM t WHERE id = $1 RETURNING v")
        .unwrap();
    s.describe_prepared(&stmt, &[]).unwrap();
    assert_eq!(s.transaction_status(), TransactionStatus::Idle);
    assert_eq!(ok(&mut s, "SELECT count(*) FROM t"), [[Some("2".into())]]);
    // In a block before its first statement: the isolation level can still be set.
    ok(&mut s, "BEGIN");
    s.describe_prepared(&stmt, &[]).unwrap();
    ok(&mut s, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
    assert_eq!(
        ok(&mut s, "SHOW transaction_isolation"),
        [[Some("serializable".into())]]
    );
    // It sees the block's own uncommitted DDL.
    ok(&mut s, "CREATE TABLE w (x bigint)");
    let w = s.prepare("SELECT x FROM w WHERE x = $1").unwrap();
    assert_eq!(
        s.describe_prepared(&w, &[]).unwrap().params,
        [DataType::Int8]
    );
    ok(&mut s, "ROLLBACK");
    assert_eq!(code(&s.describe_prepared(&w, &[]).unwrap_err()), "42P01");
    // A failed block: only COMMIT / ROLLBACK can be described (25P02 otherwise).
    ok(&mut s, "BEGIN");
    assert!(s.execute("SELECT 1/0").is_err());
    assert_eq!(code(&s.describe_prepared(&stmt, &[]).unwrap_err()), "25P02");
    let rb = s.prepare("ROLLBACK").unwrap();
    assert_eq!(s.describe_prepared(&rb, &[]).unwrap().columns, None);
    ok(&mut s, "ROLLBACK");
    // Row locks: describing SELECT ... FOR UPDATE takes none (another session updates).
    let (mut a, mut b) = pair();
    setup(&mut a);
    ok(&mut a, "BEGIN");
    let fu = a
        .prepare("SELECT * FROM t WHERE id = 1 FOR UPDATE")
        .unwrap();
    a.describe_prepared(&fu, &[]).unwrap();
    ok(&mut b, "SET lock_timeout = '100ms'");
    ok(&mut b, "UPDATE t SET v = 'z' WHERE id = 1");
    ok(&mut a, "COMMIT");
    // Several statements cannot be prepared.
    let two = s.prepare("SELECT 1; SELECT 2").unwrap();
    assert_eq!(code(&s.describe_prepared(&two, &[]).unwrap_err()), "42601");
}

/// Runs `sql` on another thread and gives back the session and the outcome.
fn spawn(
    mut s: Session<LocalKv>,
    sql: &'static str,
) -> thread::JoinHandle<(Session<LocalKv>, Result<(), SqlError>, Duration)> {
    thread::spawn(move || {
        let start = Instant::now();
        let r = s.execute(sql).map(|_| ());
        (s, r, start.elapsed())
    })
}

#[test]
fn cancel_stops_a_long_query() {
    let mut s = session();
    ok(&mut s, "BEGIN");
    let handle = s.interrupt_handle();
    // A cancel while idle is ignored, and not carried to the next statement.
    handle.cancel();
    assert_eq!(ok(&mut s, "SELECT 1"), [[Some("1".into())]]);
    let job = spawn(s, "SELECT count(*) FROM generate_series(1, 1e9)");
    thread::sleep(Duration::from_millis(200));
    handle.cancel();
    let (mut s, r, took) = job.join().unwrap();
    let e = r.unwrap_err();
    assert_eq!(code(&e), "57014");
    assert_eq!(e.to_string(), "canceling statement due to user request");
    assert!(took < Duration::from_secs(5), "{took:?}");
    // The block is failed, as in PostgreSQL.
    assert_eq!(s.transaction_status(), TransactionStatus::Failed);
    assert_eq!(code(&s.execute("SELECT 1").unwrap_err()), "25P02");
    ok(&mut s, "ROLLBACK");
    // Other long loops: a scan with a join, and an INSERT of many rows.
    ok(
        &mut s,
        "CREATE TABLE big AS SELECT g AS x FROM generate_series(1, 3000) g",
    );
    for sql in [
        "SELECT count(*) FROM big a, big b, big c",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
        "SELECT pg_sleep(60)",
    ] {
        let handle = s.interrupt_handle();
        let job = thread::spawn(move || {
            let r = s.execute(sql).map(|_| ());
            (s, r)
        });
        thread::sleep(Duration::from_millis(200));
        handle.cancel();
        let (back, r) = job.join().unwrap();
        s = back;
        assert_eq!(code(&r.unwrap_err()), "57014", "{sql}");
    }
}

#[test]
fn cancel_and_timeout_stop_a_lock_wait() {
    let (mut a, mut b) = pair();
    ok(&mut a, "CREATE TABLE t (id int PRIMARY KEY, v int)");
    ok(&mut a, "INSERT INTO t VALUES (1, 0)");
    ok(&mut a, "BEGIN");
    ok(&mut a, "UPDATE t SET v = 1 WHERE id = 1");
    ok(&mut b, "BEGIN");
    let handle = b.interrupt_handle();
    let job = spawn(b, "UPDATE t SET v = 2 WHERE id = 1");
    thread::sleep(Duration::from_millis(200));
    assert!(!job.is_finished(), "must wait for the row lock");
    handle.cancel();
    let (mut b, r, _) = job.join().unwrap();
    let e = r.unwrap_err();
    assert_eq!(code(&e), "57014");
    assert_eq!(e.to_string(), "canceling statement due to user request");
    assert_eq!(b.transaction_status(), TransactionStatus::Failed);
    ok(&mut b, "ROLLBACK");
    // statement_timeout covers the wait too.
    ok(&mut b, "SET statement_timeout = '150ms'");
    let start = Instant::now();
    let e = b.execute("UPDATE t SET v = 3 WHERE id = 1").unwrap_err();
    assert_eq!(code(&e), "57014");
    assert_eq!(
        e.to_string(),
        "canceling statement due to statement timeout"
    );
    assert!(start.elapsed() >= Duration::from_millis(150));
    ok(&mut a, "COMMIT");
    assert_eq!(ok(&mut b, "SELECT v FROM t"), [[Some("1".into())]]);
}

#[test]
fn cancel_and_timeout_stop_a_lock_wait_of_a_prepared_insert() {
    let (mut a, mut b) = pair();
    ok(&mut a, "CREATE TABLE t (id int PRIMARY KEY, v int)");
    ok(&mut a, "BEGIN");
    ok(&mut a, "INSERT INTO t VALUES (1, 0)");
    ok(&mut b, "BEGIN");
    let ins = Arc::new(b.prepare("INSERT INTO t VALUES ($1, $2)").unwrap());
    // The second run takes the prepared-INSERT fast path.
    for k in [10, 11] {
        b.query_prepared(&ins, vec![Value::Int4(k), Value::Int4(0)])
            .unwrap();
    }
    let handle = b.interrupt_handle();
    let stmt = ins.clone();
    let job = thread::spawn(move || {
        let r = b
            .query_prepared(&stmt, vec![Value::Int4(1), Value::Int4(2)])
            .map(|_| ());
        (b, r)
    });
    thread::sleep(Duration::from_millis(200));
    assert!(!job.is_finished(), "must wait for the row lock");
    handle.cancel();
    let (mut b, r) = job.join().unwrap();
    let e = r.unwrap_err();
    assert_eq!(code(&e), "57014");
    assert_eq!(e.to_string(), "canceling statement due to user request");
    assert_eq!(b.transaction_status(), TransactionStatus::Failed);
    ok(&mut b, "ROLLBACK");
    // statement_timeout, on the fast path too.
    ok(&mut b, "SET statement_timeout = '150ms'");
    ok(&mut b, "BEGIN");
    for k in [10, 11] {
        b.query_prepared(&ins, vec![Value::Int4(k), Value::Int4(0)])
            .unwrap();
    }
    let start = Instant::now();
    let e = b
        .query_prepared(&ins, vec![Value::Int4(1), Value::Int4(2)])
        .unwrap_err();
    assert_eq!(
        (code(&e).as_str(), e.to_string().as_str()),
        ("57014", "canceling statement due to statement timeout")
    );
    assert!(start.elapsed() >= Duration::from_millis(150));
    ok(&mut b, "ROLLBACK");
    ok(&mut a, "COMMIT");
}

/// A protocol client that keeps nothing (no COPY).
struct NoClient;

impl basalt_sql::Client for NoClient {
    fn result(&mut self, _: basalt_sql::StatementResult) {}
    fn copy_in(&mut self, _: usize) -> Result<&mut dyn std::io::Read, SqlError> {
        Err(SqlError::new("08P01", "no COPY here"))
    }
    fn copy_out(&mut self, _: usize) -> Result<&mut dyn std::io::Write, SqlError> {
        Err(SqlError::new("08P01", "no COPY here"))
    }
}

#[test]
fn extended_protocol_path_uses_declared_types_and_delivers_at_sync() {
    let (mut a, mut b) = pair();
    b.set_process_id(7);
    ok(&mut a, "LISTEN ch");
    let stmt = b
        .prepare_typed(
            "SELECT $1, pg_notify('ch', $2)",
            &[Some(DataType::Int8), None],
        )
        .unwrap();
    let d = b.describe_prepared(&stmt, &[]).unwrap();
    assert_eq!(d.params, [DataType::Int8, DataType::Text]);
    let r = b
        .query_prepared_for(
            &stmt,
            vec![Value::Int8(5), Value::Text("p".into())],
            &mut NoClient,
        )
        .unwrap();
    assert_eq!(r.types[0], DataType::Int8);
    assert_eq!(r.rows[0][0], Value::Int8(5));
    // The pipeline's implicit transaction commits at Sync: delivered then.
    assert!(a.take_notifications().is_empty());
    b.sync().unwrap();
    assert_eq!(
        a.take_notifications(),
        [basalt_sql::Notification {
            channel: "ch".into(),
            payload: "p".into(),
            sender_pid: 7
        }]
    );
}

#[test]
fn statement_timeout_applies_to_each_statement() {
    let mut s = session();
    ok(&mut s, "SET statement_timeout = '100ms'");
    let start = Instant::now();
    let e = s
        .execute("SELECT count(*) FROM generate_series(1, 1e9)")
        .unwrap_err();
    assert_eq!(code(&e), "57014");
    assert_eq!(
        e.to_string(),
        "canceling statement due to statement timeout"
    );
    assert!(start.elapsed() < Duration::from_secs(5));
    // Each statement of a query string has its own 100 ms: three of ~60 ms pass.
    ok(
        &mut s,
        "CREATE TABLE n AS SELECT g FROM generate_series(1, 1) g",
    );
    ok(&mut s, "SET statement_timeout = 0");
    let start = Instant::now();
    ok(&mut s, "SELECT count(*) FROM generate_series(1, 300000)");
    let one = start.elapsed();
    if one < Duration::from_millis(60) {
        ok(&mut s, "SET statement_timeout = '300ms'");
        let r = s.execute(
            "SELECT count(*) FROM generate_series(1, 300000); \
             SELECT count(*) FROM generate_series(1, 300000); \
             SELECT count(*) FROM generate_series(1, 300000); \
             SELECT count(*) FROM generate_series(1, 300000); \
             SELECT count(*) FROM generate_series(1, 300000); \
             SELECT count(*) FROM generate_series(1, 300000)",
        );
        assert!(r.is_ok(), "{r:?} (one statement took {one:?})");
    }
    // A timeout within a block fails it.
    ok(&mut s, "SET statement_timeout = '50ms'");
    ok(&mut s, "BEGIN");
    assert_eq!(
        code(
            &s.execute("SELECT count(*) FROM generate_series(1, 1e9)")
                .unwrap_err()
        ),
        "57014"
    );
    assert_eq!(s.transaction_status(), TransactionStatus::Failed);
    ok(&mut s, "ROLLBACK");
}

#[test]
fn notify_reaches_listeners_at_commit() {
    let (mut a, mut b) = pair();
    a.set_process_id(101);
    b.set_process_id(202);
    assert_eq!(
        ok(&mut a, "SELECT pg_backend_pid()"),
        [[Some("101".into())]]
    );
    assert_eq!(
        ok(&mut b, "SELECT pg_backend_pid()"),
        [[Some("202".into())]]
    );
    ok(&mut a, "LISTEN ch");
    ok(&mut b, "LISTEN ch");
    ok(&mut b, "LISTEN other");
    assert_eq!(
        ok(&mut b, "SELECT * FROM pg_listening_channels()"),
        [[Some("ch".into())], [Some("other".into())]]
    );
    let waker = a.notification_waker();
    let waiter = thread::spawn(move || waker.wait(Duration::from_secs(10)));
    // Queued in the transaction, delivered at commit, duplicates folded.
    ok(&mut b, "BEGIN");
    ok(&mut b, "NOTIFY ch, 'x'");
    ok(&mut b, "NOTIFY ch, 'x'");
    ok(&mut b, "SELECT pg_notify('ch', 'y')");
    ok(&mut b, "NOTIFY nobody");
    assert!(a.take_notifications().is_empty());
    ok(&mut b, "COMMIT");
    assert!(waiter.join().unwrap());
    let n = |c: &str, p: &str| basalt_sql::Notification {
        channel: c.into(),
        payload: p.into(),
        sender_pid: 202,
    };
    assert_eq!(a.take_notifications(), [n("ch", "x"), n("ch", "y")]);
    // The sender gets its own.
    assert_eq!(b.take_notifications(), [n("ch", "x"), n("ch", "y")]);
    // Rolled back: nothing; rolled back to a savepoint: what came after it is dropped.
    ok(&mut b, "BEGIN; NOTIFY ch, 'gone'; ROLLBACK");
    ok(
        &mut b,
        "BEGIN; NOTIFY ch, 'kept'; SAVEPOINT s; NOTIFY ch, 'dropped'; ROLLBACK TO s; COMMIT",
    );
    assert_eq!(a.take_notifications(), [n("ch", "kept")]);
    // LISTEN takes effect at commit.
    ok(&mut a, "BEGIN");
    ok(&mut a, "LISTEN late");
    assert!(ok(&mut a, "SELECT pg_listening_channels()") == [[Some("ch".into())]]);
    ok(&mut b, "NOTIFY late");
    ok(&mut a, "COMMIT");
    assert!(a.take_notifications().is_empty());
    ok(&mut b, "NOTIFY late, 'now'");
    assert_eq!(a.take_notifications(), [n("late", "now")]);
    // UNLISTEN, UNLISTEN *.
    ok(&mut a, "UNLISTEN ch");
    ok(&mut b, "NOTIFY ch");
    assert!(a.take_notifications().is_empty());
    ok(&mut a, "UNLISTEN *");
    assert!(ok(&mut a, "SELECT pg_listening_channels()").is_empty());
    ok(&mut b, "NOTIFY late");
    assert!(a.take_notifications().is_empty());
    // A delivery hook (a server waking its idle connection) runs at each delivery.
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let h = hits.clone();
    a.notification_waker().on_delivery(move || {
        h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    ok(&mut a, "LISTEN hooked");
    ok(&mut b, "NOTIFY hooked, '1'");
    ok(&mut b, "NOTIFY nobody");
    ok(
        &mut b,
        "BEGIN; NOTIFY hooked, '2'; NOTIFY hooked, '3'; COMMIT",
    );
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(a.take_notifications().len(), 3);
    ok(&mut a, "UNLISTEN *");
    // The listener's own LISTEN and NOTIFY in one transaction reach it.
    ok(&mut a, "BEGIN; LISTEN self; NOTIFY self, 'me'; COMMIT");
    assert_eq!(
        a.take_notifications(),
        [basalt_sql::Notification {
            channel: "self".into(),
            payload: "me".into(),
            sender_pid: 101
        }]
    );
}

#[test]
fn notify_errors() {
    let mut s = session();
    for (sql, msg) in [
        ("SELECT pg_notify('', 'x')", "channel name cannot be empty"),
        (
            "SELECT pg_notify(NULL, 'x')",
            "channel name cannot be empty",
        ),
        (
            "SELECT pg_notify(repeat('a', 64), 'x')",
            "channel name too long",
        ),
        (
            "SELECT pg_notify('a', repeat('x', 8000))",
            "payload string too long",
        ),
    ] {
        let e = s.execute(sql).unwrap_err();
        assert_eq!(
            (code(&e).as_str(), e.to_string().as_str()),
            ("22023", msg),
            "{sql}"
        );
    }
    ok(&mut s, "SELECT pg_notify('a', repeat('x', 7999))");
    ok(&mut s, "SELECT pg_notify('a', NULL)");
    // A failed statement's pg_notify calls are not queued.
    ok(&mut s, "LISTEN a");
    assert!(s.execute("SELECT pg_notify('a', 'no'), 1/0").is_err());
    assert!(s.take_notifications().is_empty());
}
