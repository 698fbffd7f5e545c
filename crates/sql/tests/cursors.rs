//! Cursors through the public API: the command tags of FETCH and MOVE (which the slt runner
//! does not compare), typed rows from `Session::query`, cursors in an implicit transaction
//! and the snapshot a cursor reads against another session's commits. The expected tags are
//! PostgreSQL 15's for the same statements.
#![allow(clippy::unwrap_used)]

use basalt_common::types::Value;
use basalt_sql::Session;
use basalt_txn::LocalKv;

fn tag(s: &mut Session<LocalKv>, sql: &str) -> String {
    let r = s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    r.last().unwrap().tag.clone()
}

fn setup() -> Session<LocalKv> {
    let mut s = Session::new(LocalKv::memory());
    s.execute("CREATE TABLE t (a int PRIMARY KEY, b text)")
        .unwrap();
    s.execute("INSERT INTO t SELECT g, 'r' || g FROM generate_series(1, 5) g")
        .unwrap();
    s
}

#[test]
fn fetch_and_move_tags_are_postgres() {
    let mut s = setup();
    tag(&mut s, "BEGIN");
    assert_eq!(
        tag(
            &mut s,
            "DECLARE c SCROLL CURSOR FOR SELECT a FROM t ORDER BY a"
        ),
        "DECLARE CURSOR"
    );
    let steps = [
        ("MOVE 2 c", "MOVE 2"),
        ("MOVE -1 c", "MOVE 1"),
        ("MOVE RELATIVE 0 c", "MOVE 1"),
        ("MOVE ABSOLUTE -1 c", "MOVE 1"),
        ("MOVE 0 c", "MOVE 1"),
        ("MOVE FORWARD ALL c", "MOVE 0"),
        ("MOVE BACKWARD 2 c", "MOVE 2"),
        ("FETCH BACKWARD ALL c", "FETCH 3"),
        ("FETCH 0 c", "FETCH 0"),
        ("MOVE ABSOLUTE 0 c", "MOVE 0"),
        ("MOVE 0 c", "MOVE 0"),
        ("FETCH ALL c", "FETCH 5"),
        ("MOVE BACKWARD ALL c", "MOVE 5"),
        ("MOVE ABSOLUTE 3 c", "MOVE 1"),
        ("MOVE BACKWARD ALL c", "MOVE 2"),
        ("FETCH RELATIVE 9 c", "FETCH 0"),
        ("MOVE ABSOLUTE -5 c", "MOVE 1"),
        ("MOVE ABSOLUTE -6 c", "MOVE 0"),
        ("FETCH FORWARD 3 c", "FETCH 3"),
        ("CLOSE c", "CLOSE CURSOR"),
        ("CLOSE ALL", "CLOSE CURSOR ALL"),
    ];
    for (sql, want) in steps {
        assert_eq!(tag(&mut s, sql), want, "{sql}");
    }
    tag(&mut s, "ROLLBACK");
}

#[test]
fn query_returns_typed_rows_and_columns() {
    let mut s = setup();
    s.execute("BEGIN").unwrap();
    s.execute("DECLARE c CURSOR FOR SELECT a, b FROM t ORDER BY a")
        .unwrap();
    let r = s.query("FETCH 2 FROM c", &[]).unwrap();
    assert_eq!(r.tag, "FETCH 2");
    assert_eq!(r.columns, ["a", "b"]);
    assert_eq!(
        r.rows,
        [
            [Value::Int4(1), Value::Text("r1".into())],
            [Value::Int4(2), Value::Text("r2".into())]
        ]
    );
    let r = s.query("FETCH ALL FROM c", &[]).unwrap();
    assert_eq!(r.rows.len(), 3);
    s.execute("COMMIT").unwrap();
}

#[test]
fn implicit_transaction_allows_a_cursor_for_the_rest_of_the_string() {
    let mut s = setup();
    let r = s
        .execute("DECLARE c CURSOR FOR SELECT a FROM t ORDER BY a; FETCH 2 c")
        .unwrap();
    assert_eq!(
        r[1].rows,
        [[Some("1".to_string())], [Some("2".to_string())]]
    );
    // The implicit transaction ended, and the cursor with it.
    assert_eq!(s.execute("FETCH c").unwrap_err().code().code(), "34000");
    assert_eq!(
        s.execute("DECLARE c CURSOR FOR SELECT 1")
            .unwrap_err()
            .code()
            .code(),
        "25P01"
    );
}

#[test]
fn a_held_cursor_keeps_its_snapshot_after_other_sessions_commit() {
    let kv = LocalKv::memory();
    let mut s = Session::new(kv.clone());
    s.execute("CREATE TABLE t (a int PRIMARY KEY)").unwrap();
    s.execute("INSERT INTO t VALUES (1), (2)").unwrap();
    s.execute("DECLARE h CURSOR WITH HOLD FOR SELECT a FROM t ORDER BY a")
        .unwrap();
    let mut other = Session::new(kv);
    other.execute("INSERT INTO t VALUES (3)").unwrap();
    other.execute("DELETE FROM t WHERE a = 1").unwrap();
    let r = s.execute("FETCH ALL h").unwrap();
    assert_eq!(
        r[0].rows,
        [[Some("1".to_string())], [Some("2".to_string())]]
    );
    assert_eq!(s.cursors().iter().count(), 1);
}

fn rows(s: &mut Session<LocalKv>, sql: &str) -> Vec<Vec<Option<String>>> {
    let r = s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    r.last().unwrap().rows.clone()
}

fn texts(v: &[&str]) -> Vec<Vec<Option<String>>> {
    v.iter()
        .map(|r| r.split(' ').map(|x| Some(x.to_string())).collect())
        .collect()
}

/// In READ COMMITTED every statement takes a new snapshot, but a cursor reads the one of its
/// DECLARE (PostgreSQL's portal snapshot): another session's commit between two FETCHes is
/// not seen, whether the cursor streams its table scan or was materialized (a sort, a
/// subquery over the table).
#[test]
fn a_read_committed_cursor_keeps_its_snapshot_across_fetches() {
    let kv = LocalKv::memory();
    let mut s = Session::new(kv.clone());
    s.execute("CREATE TABLE t (a int PRIMARY KEY, b int)")
        .unwrap();
    s.execute("INSERT INTO t SELECT g, g * 10 FROM generate_series(1, 4) g")
        .unwrap();
    tag(&mut s, "BEGIN ISOLATION LEVEL READ COMMITTED");
    tag(&mut s, "DECLARE scan CURSOR FOR SELECT a, b FROM t");
    // Not fetched before the other session commits: its scan started at DECLARE all the same.
    tag(
        &mut s,
        "DECLARE late CURSOR FOR SELECT a, b FROM t WHERE a > 1",
    );
    tag(
        &mut s,
        "DECLARE sorted CURSOR FOR SELECT a, b FROM t ORDER BY b DESC",
    );
    tag(
        &mut s,
        "DECLARE sub CURSOR FOR SELECT g, (SELECT sum(b) FROM t) FROM generate_series(1, 2) g",
    );
    assert_eq!(rows(&mut s, "FETCH 1 FROM scan"), texts(&["1 10"]));
    assert_eq!(rows(&mut s, "FETCH 1 FROM sorted"), texts(&["4 40"]));

    let mut other = Session::new(kv);
    other.execute("INSERT INTO t VALUES (5, 500)").unwrap();
    other.execute("UPDATE t SET b = 0 WHERE a = 2").unwrap();
    other.execute("DELETE FROM t WHERE a = 3").unwrap();

    // The transaction's next statement sees the commit ...
    assert_eq!(
        rows(&mut s, "SELECT count(*), sum(b) FROM t"),
        texts(&["4 550"])
    );
    // ... its cursors do not.
    assert_eq!(
        rows(&mut s, "FETCH ALL FROM scan"),
        texts(&["2 20", "3 30", "4 40"])
    );
    assert_eq!(
        rows(&mut s, "FETCH ALL FROM late"),
        texts(&["2 20", "3 30", "4 40"])
    );
    assert_eq!(
        rows(&mut s, "FETCH ALL FROM sorted"),
        texts(&["3 30", "2 20", "1 10"])
    );
    assert_eq!(
        rows(&mut s, "FETCH ALL FROM sub"),
        texts(&["1 100", "2 100"])
    );
    tag(&mut s, "COMMIT");
}

/// A cursor over an unbounded recursion or a billion-row series computes what it fetches:
/// DECLARE and each FETCH return at once.
#[test]
fn a_cursor_computes_only_what_it_fetches() {
    let mut s = Session::new(LocalKv::memory());
    tag(&mut s, "BEGIN");
    let start = std::time::Instant::now();
    tag(
        &mut s,
        "DECLARE r CURSOR FOR WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) \
         SELECT n FROM t",
    );
    tag(
        &mut s,
        "DECLARE g CURSOR FOR SELECT x FROM generate_series(1, 1000000000) x",
    );
    assert_eq!(rows(&mut s, "FETCH 3 FROM r"), texts(&["1", "2", "3"]));
    assert_eq!(tag(&mut s, "MOVE 1000 FROM g"), "MOVE 1000");
    assert_eq!(rows(&mut s, "FETCH 2 FROM g"), texts(&["1001", "1002"]));
    // Materializing either would take minutes (the recursion runs to its iteration cap).
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
    tag(&mut s, "ROLLBACK");
}
