//! Plan snapshots: the optimizer's choices for typical queries, as EXPLAIN prints them, and
//! the results of the same queries (an access path must never change an answer).
#![allow(clippy::unwrap_used)]

use basalt_sql::Session;
use basalt_txn::LocalKv;

fn session() -> Session<LocalKv> {
    let mut s = Session::new(LocalKv::memory());
    s.execute(
        "CREATE TABLE t (id int PRIMARY KEY, a int, b text);
         CREATE INDEX t_a ON t (a);
         CREATE UNIQUE INDEX t_b ON t (b);
         CREATE TABLE u (x int, y int, PRIMARY KEY (x, y));
         INSERT INTO t SELECT g, g % 10, 'b' || g FROM generate_series(1, 200) g;
         INSERT INTO u SELECT g % 5, g FROM generate_series(1, 50) g;",
    )
    .unwrap();
    s
}

fn plan(s: &mut Session<LocalKv>, sql: &str) -> String {
    let r = s.execute(&format!("EXPLAIN {sql}")).unwrap();
    // Estimates are checked separately; the shape is compared here.
    r[0].rows
        .iter()
        .map(|row| {
            let line = row[0].clone().unwrap_or_default();
            match line.find("  (rows=") {
                Some(i) => line[..i].to_string(),
                None => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn rows(s: &mut Session<LocalKv>, sql: &str) -> Vec<String> {
    let r = s.execute(sql).unwrap();
    r[0].rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| v.clone().unwrap_or_else(|| "NULL".into()))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn access_paths() {
    let mut s = session();
    let cases: &[(&str, &str)] = &[
        (
            "SELECT * FROM t WHERE id = 5",
            "Primary Key Lookup on t\n  Index Cond: (id = 5)",
        ),
        (
            "SELECT * FROM t WHERE b = 'b7'",
            "Index Scan using t_b on t (1 key column)\n  Index Cond: (b = 'b7'::text)",
        ),
        (
            "SELECT * FROM t WHERE a = 3",
            "Index Scan using t_a on t (1 key column)\n  Index Cond: (a = 3)",
        ),
        (
            "SELECT * FROM t WHERE id BETWEEN 10 AND 20",
            "Index Range Scan using primary key on t (0 equal key columns)\n  Index Cond: ((id >= 10) AND (id <= 20))",
        ),
        (
            "SELECT * FROM t WHERE a = 3 AND id > 100",
            "Index Scan using t_a on t (1 key column)\n  Index Cond: (a = 3)\n  Filter: (id > 100)",
        ),
        (
            "SELECT * FROM u WHERE x = 2 AND y < 20",
            "Index Range Scan using primary key on u (1 equal key column)\n  Index Cond: ((x = 2) AND (y < 20))",
        ),
        (
            "SELECT * FROM t WHERE a + 1 = 4",
            "Seq Scan on t\n  Filter: ((a + 1) = 4)",
        ),
        (
            "SELECT t.id FROM t JOIN t t2 ON t.id = t2.a AND t.b = t2.b",
            "Hash Join (Inner, 2 keys)\n  Hash Cond: ((t.id = t2.a) AND (t.b = t2.b))\n->  Seq Scan on t\n->  Seq Scan on t t2",
        ),
        (
            "SELECT * FROM t AS x WHERE x.id = 3",
            "Primary Key Lookup on t x\n  Index Cond: (id = 3)",
        ),
        (
            "SELECT t.id FROM t JOIN u ON t.id = u.y WHERE u.x = 1",
            "Hash Join (Inner, 1 key)\n  Hash Cond: (t.id = u.y)\n->  Seq Scan on t\n->  Index Range Scan using primary key on u (1 equal key column)\n        Index Cond: (u.x = 1)",
        ),
        (
            "SELECT a, count(*) FROM t GROUP BY a ORDER BY a",
            "Sort\n  Sort Key: a\n->  HashAggregate\n        Group Key: a\n      ->  Seq Scan on t",
        ),
    ];
    let mut failures = Vec::new();
    for (sql, expected) in cases {
        let got = plan(&mut s, sql);
        if got != *expected {
            failures.push(format!("{sql}\n--- expected\n{expected}\n--- got\n{got}\n"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn access_paths_do_not_change_answers() {
    let mut s = session();
    let checks: &[(&str, &str)] = &[
        (
            "SELECT id FROM t WHERE id = 5",
            "SELECT id FROM t WHERE id + 0 = 5",
        ),
        (
            "SELECT id FROM t WHERE id BETWEEN 10 AND 20 ORDER BY id",
            "SELECT id FROM t WHERE id + 0 BETWEEN 10 AND 20 ORDER BY id",
        ),
        (
            "SELECT id FROM t WHERE id > 195 ORDER BY id",
            "SELECT id FROM t WHERE id + 0 > 195 ORDER BY id",
        ),
        (
            "SELECT id FROM t WHERE id < 3 ORDER BY id",
            "SELECT id FROM t WHERE id + 0 < 3 ORDER BY id",
        ),
        (
            "SELECT y FROM u WHERE x = 2 AND y <= 22 ORDER BY y",
            "SELECT y FROM u WHERE x + 0 = 2 AND y + 0 <= 22 ORDER BY y",
        ),
        (
            "SELECT y FROM u WHERE x = 2 AND y > 40 AND y < 48 ORDER BY y",
            "SELECT y FROM u WHERE x + 0 = 2 AND y + 0 > 40 AND y + 0 < 48 ORDER BY y",
        ),
        (
            "SELECT id FROM t WHERE a = 3 ORDER BY id",
            "SELECT id FROM t WHERE a + 0 = 3 ORDER BY id",
        ),
        (
            "SELECT id FROM t WHERE b = 'b7'",
            "SELECT id FROM t WHERE b || '' = 'b7'",
        ),
        (
            "SELECT id FROM t WHERE id = NULL",
            "SELECT id FROM t WHERE false",
        ),
        (
            "SELECT id FROM t WHERE id > NULL",
            "SELECT id FROM t WHERE false",
        ),
    ];
    for (indexed, scanned) in checks {
        let a = rows(&mut s, indexed);
        let b = rows(&mut s, scanned);
        assert_eq!(a, b, "{indexed} vs {scanned}");
    }
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM t WHERE id BETWEEN 10 AND 20"),
        ["11"]
    );
}

#[test]
fn cached_plans_follow_ddl_and_settings() {
    let mut s = Session::new(LocalKv::memory());
    s.execute("CREATE TABLE c (a int); INSERT INTO c VALUES (1)")
        .unwrap();
    assert_eq!(rows(&mut s, "SELECT * FROM c"), ["1"]);
    assert_eq!(rows(&mut s, "SELECT * FROM c"), ["1"]);
    s.execute("DROP TABLE c; CREATE TABLE c (a int, b text); INSERT INTO c VALUES (2, 'x')")
        .unwrap();
    assert_eq!(rows(&mut s, "SELECT * FROM c"), ["2 x"]);
    // A plan bound with another search_path must not be reused.
    s.execute(
        "CREATE SCHEMA other; CREATE TABLE other.c (z text); INSERT INTO other.c VALUES ('o')",
    )
    .unwrap();
    s.execute("SET search_path = other, public").unwrap();
    assert_eq!(rows(&mut s, "SELECT * FROM c"), ["o"]);
    // Inside a transaction that changed the catalog, its own catalog is used.
    s.execute("BEGIN; DROP TABLE other.c").unwrap();
    assert_eq!(rows(&mut s, "SELECT * FROM c"), ["2 x"]);
    s.execute("ROLLBACK").unwrap();
    assert_eq!(rows(&mut s, "SELECT * FROM c"), ["o"]);
}

#[test]
fn explain_analyze_reports_estimates_and_actual_rows() {
    let mut s = session();
    s.execute("ANALYZE t").unwrap();
    let r = s
        .execute("EXPLAIN ANALYZE SELECT a, count(*) FROM t WHERE id <= 50 GROUP BY a")
        .unwrap();
    let lines: Vec<String> = r[0].rows.iter().map(|x| x[0].clone().unwrap()).collect();
    assert!(lines[0].starts_with("HashAggregate  (rows="), "{lines:?}");
    assert!(lines[0].contains("(actual rows=10 loops=1 "), "{lines:?}");
    let scan = lines
        .iter()
        .find(|l| l.contains("Index Range Scan"))
        .unwrap();
    // ANALYZE counted 200 rows; the range estimate is a third of them.
    assert!(scan.contains("(rows=67)"), "{scan}");
    assert!(scan.contains("(actual rows=50 loops=1 "), "{scan}");
    assert!(lines.last().unwrap().starts_with("Execution Time: "));
    // Without ANALYZE the table has the default estimate.
    let r = s.execute("EXPLAIN SELECT * FROM u").unwrap();
    assert_eq!(
        r[0].rows[0][0].as_deref(),
        Some("Seq Scan on u  (rows=1000)")
    );
}

#[test]
fn small_outer_side_uses_index_nested_loop() {
    let mut s = session();
    s.execute("ANALYZE").unwrap();
    let sql = "SELECT u.y, t.b FROM u JOIN t ON t.id = u.y WHERE u.x = 1 ORDER BY u.y";
    assert_eq!(
        plan(&mut s, sql),
        "Sort\n  Sort Key: u.y\n->  Nested Loop (Inner)\n        Join Filter: (t.id = u.y)\n      ->  Index Range Scan using primary key on u (1 equal key column)\n              Index Cond: (u.x = 1)\n      ->  Primary Key Lookup on t\n              Index Cond: (t.id = u.y)"
    );
    let hashed = "SELECT u.y, t.b FROM u JOIN t ON t.id + 0 = u.y WHERE u.x = 1 ORDER BY u.y";
    assert_eq!(rows(&mut s, sql), rows(&mut s, hashed));
    assert_eq!(rows(&mut s, sql).len(), 10);
    // LEFT JOIN keeps unmatched rows.
    s.execute("INSERT INTO u VALUES (1, 999)").unwrap();
    s.execute("ANALYZE").unwrap();
    let left = "SELECT u.y, t.b FROM u LEFT JOIN t ON t.id = u.y WHERE u.x = 1 ORDER BY u.y";
    let r = rows(&mut s, left);
    assert_eq!(r.len(), 11);
    assert_eq!(r.last().map(String::as_str), Some("999 NULL"));
}

#[test]
fn hash_indexes_serve_equality_only() {
    let mut s = session();
    s.execute("DROP INDEX t_a; CREATE INDEX t_a_hash ON t USING hash (a);")
        .unwrap();
    assert_eq!(
        plan(&mut s, "SELECT * FROM t WHERE a = 3"),
        "Index Scan using t_a_hash on t (1 key column)\n  Index Cond: (a = 3)"
    );
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM t WHERE a = 3"),
        vec!["20"]
    );
    // A range is not something a hash index can answer.
    let p = plan(&mut s, "SELECT * FROM t WHERE a > 7");
    assert!(!p.contains("t_a_hash"), "{p}");
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM t WHERE a > 7"),
        vec!["40"]
    );
}

#[test]
fn partial_index_only_when_the_query_implies_its_predicate() {
    let mut s = session();
    s.execute("CREATE INDEX t_a_small ON t (a) WHERE id < 50; DROP INDEX t_a;")
        .unwrap();
    // The predicate is one of the query's conjuncts: the partial index serves the query.
    assert_eq!(
        plan(&mut s, "SELECT * FROM t WHERE a = 3 AND id < 50"),
        "Index Scan using t_a_small on t (1 key column)\n  Index Cond: (a = 3)\n  Filter: (id < 50)"
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT id FROM t WHERE a = 3 AND id < 50 ORDER BY id"
        ),
        vec!["3", "13", "23", "33", "43"]
    );
    // Without it, rows outside the index would be missed: no index scan.
    let p = plan(&mut s, "SELECT * FROM t WHERE a = 3");
    assert!(!p.contains("t_a_small"), "{p}");
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM t WHERE a = 3"),
        vec!["20"]
    );
    let p = plan(&mut s, "SELECT * FROM t WHERE a = 3 AND id < 60");
    assert!(!p.contains("t_a_small"), "{p}");
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM t WHERE a = 3 AND id < 60"),
        vec!["6"]
    );
}

#[test]
fn explain_of_data_modifying_statements() {
    let mut s = session();
    let cases: &[(&str, &str)] = &[
        (
            "INSERT INTO t VALUES (1000, 1, 'new')",
            "Insert on t\n->  Result",
        ),
        (
            "INSERT INTO t VALUES (1001, 1, 'x'), (1002, 2, 'y') ON CONFLICT DO NOTHING",
            "Insert on t\n  Conflict Resolution: NOTHING\n->  Values Scan (2 rows)",
        ),
        (
            "INSERT INTO t SELECT id + 1000, a, b || 'c' FROM t WHERE a = 3",
            "Insert on t\n->  Index Scan using t_a on t (1 key column)\n        Index Cond: (a = 3)",
        ),
        (
            "UPDATE t SET a = 0 WHERE id = 5",
            "Update on t\n->  Primary Key Lookup on t\n        Index Cond: (id = 5)",
        ),
        (
            "DELETE FROM t WHERE a + 1 = 4",
            "Delete on t\n->  Seq Scan on t\n        Filter: ((a + 1) = 4)",
        ),
    ];
    for (sql, expected) in cases {
        assert_eq!(plan(&mut s, sql), *expected, "{sql}");
    }
    // Without ANALYZE nothing ran.
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), ["200"]);
    assert_eq!(rows(&mut s, "SELECT a FROM t WHERE id = 5"), ["5"]);
    // With ANALYZE the statement runs and the root reports its rows.
    let r = s
        .execute("EXPLAIN ANALYZE UPDATE t SET a = 0 WHERE a = 5")
        .unwrap();
    let first = r[0].rows[0][0].clone().unwrap_or_default();
    assert!(first.starts_with("Update on t (actual rows=20)"), "{first}");
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t WHERE a = 0"), ["40"]);
}
