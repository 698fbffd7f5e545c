//! ALTER TABLE and ALTER ... RENAME through the public API: data rewrites, re-keying, column
//! position shifts, dependent objects, renames inside stored expressions and view queries,
//! and transactional behaviour. Expected messages and codes were checked against PostgreSQL 15.

use basalt_sql::{Session, SqlError};
use basalt_txn::LocalKv;

fn session() -> Session<LocalKv> {
    Session::new(LocalKv::memory())
}

fn run(s: &mut Session<LocalKv>, sql: &str) {
    if let Err(e) = s.execute(sql) {
        panic!("{sql}: {e}");
    }
}

fn fail(s: &mut Session<LocalKv>, sql: &str) -> SqlError {
    match s.execute(sql) {
        Err(e) => e,
        Ok(r) => panic!("{sql} succeeded: {r:?}"),
    }
}

/// The rows of the last statement, NULL as "NULL", columns joined by '|'.
fn rows(s: &mut Session<LocalKv>, sql: &str) -> Vec<String> {
    let r = s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let last = r.last().expect("a result");
    last.rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| v.clone().unwrap_or_else(|| "NULL".into()))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

fn notices(s: &mut Session<LocalKv>, sql: &str) -> Vec<(String, String)> {
    let r = s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    r.into_iter()
        .flat_map(|r| r.notices)
        .map(|n| (n.code.code().to_string(), n.message))
        .collect()
}

#[test]
fn add_column_evaluates_volatile_default_per_row() {
    let mut s = session();
    run(&mut s, "CREATE TABLE t (a int)");
    run(&mut s, "INSERT INTO t VALUES (1), (2), (3)");
    run(&mut s, "CREATE SEQUENCE sq");
    run(
        &mut s,
        "ALTER TABLE t ADD COLUMN b bigint DEFAULT nextval('sq')",
    );
    assert_eq!(
        rows(&mut s, "SELECT count(DISTINCT b) FROM t"),
        vec!["3".to_string()]
    );
    // New rows use the default too.
    run(&mut s, "INSERT INTO t (a) VALUES (4)");
    assert_eq!(
        rows(&mut s, "SELECT b FROM t WHERE a = 4"),
        vec!["4".to_string()]
    );
}

#[test]
fn add_column_with_constraints() {
    let mut s = session();
    run(&mut s, "CREATE TABLE p (id int PRIMARY KEY)");
    run(&mut s, "INSERT INTO p VALUES (1)");
    run(&mut s, "CREATE TABLE t (a int)");
    run(&mut s, "INSERT INTO t VALUES (1), (2)");
    let e = fail(&mut s, "ALTER TABLE t ADD COLUMN u int DEFAULT 5 UNIQUE");
    assert_eq!(e.code().code(), "23505");
    assert_eq!(e.to_string(), "could not create unique index \"t_u_key\"");
    let e = fail(
        &mut s,
        "ALTER TABLE t ADD COLUMN c int DEFAULT 0 CHECK (c > 0)",
    );
    assert_eq!(e.code().code(), "23514");
    assert_eq!(
        e.to_string(),
        "check constraint \"t_c_check\" of relation \"t\" is violated by some row"
    );
    let e = fail(
        &mut s,
        "ALTER TABLE t ADD COLUMN r int DEFAULT 2 REFERENCES p",
    );
    assert_eq!(e.code().code(), "23503");
    run(
        &mut s,
        "ALTER TABLE t ADD COLUMN r int DEFAULT 1 REFERENCES p",
    );
    run(&mut s, "ALTER TABLE t ADD COLUMN u serial UNIQUE");
    assert_eq!(
        rows(&mut s, "SELECT a, r, u FROM t ORDER BY a"),
        vec!["1|1|1", "2|1|2"]
    );
    let e = fail(&mut s, "INSERT INTO t (a, r) VALUES (3, 9)");
    assert_eq!(e.code().code(), "23503");
}

#[test]
fn primary_key_added_and_dropped_rekeys_rows() {
    let mut s = session();
    run(&mut s, "CREATE TABLE t (a int, b text)");
    run(&mut s, "INSERT INTO t VALUES (2, 'x'), (1, 'y')");
    run(&mut s, "ALTER TABLE t ADD PRIMARY KEY (a)");
    // Lookups by key find the rows now keyed by the primary key.
    assert_eq!(rows(&mut s, "SELECT b FROM t WHERE a = 1"), vec!["y"]);
    let e = fail(&mut s, "INSERT INTO t VALUES (2, 'z')");
    assert_eq!(e.code().code(), "23505");
    run(&mut s, "ALTER TABLE t DROP CONSTRAINT t_pkey");
    run(&mut s, "INSERT INTO t VALUES (2, 'z')");
    assert_eq!(
        rows(&mut s, "SELECT a, b FROM t ORDER BY a, b"),
        vec!["1|y", "2|x", "2|z"]
    );
    let e = fail(&mut s, "ALTER TABLE t ADD PRIMARY KEY (a)");
    assert_eq!(e.code().code(), "23505");
    assert_eq!(e.detail(), Some("Key (a)=(2) is duplicated."));
    // Dropping the primary key keeps NOT NULL, as in PostgreSQL 15.
    let e = fail(&mut s, "INSERT INTO t VALUES (NULL, 'n')");
    assert_eq!(e.code().code(), "23502");
    run(&mut s, "ALTER TABLE t ALTER COLUMN a DROP NOT NULL");
    run(&mut s, "INSERT INTO t VALUES (NULL, 'n')");
    run(&mut s, "DELETE FROM t WHERE b = 'z'");
    let e = fail(&mut s, "ALTER TABLE t ADD PRIMARY KEY (a)");
    assert_eq!(e.code().code(), "23502");
    assert_eq!(
        e.to_string(),
        "column \"a\" of relation \"t\" contains null values"
    );
}

#[test]
fn drop_column_shifts_positions_everywhere() {
    let mut s = session();
    run(
        &mut s,
        "CREATE TABLE p (x int, id int PRIMARY KEY, k int UNIQUE)",
    );
    run(&mut s, "INSERT INTO p VALUES (0, 1, 10), (0, 2, 20)");
    run(
        &mut s,
        "CREATE TABLE c (junk int, pid int REFERENCES p (id), pk int REFERENCES p (k), v text)",
    );
    run(&mut s, "CREATE INDEX c_v_idx ON c (v)");
    run(&mut s, "COMMENT ON COLUMN c.v IS 'the v'");
    run(
        &mut s,
        "INSERT INTO c VALUES (9, 1, 20, 'a'), (9, 2, 10, 'b')",
    );
    run(&mut s, "ALTER TABLE p DROP COLUMN x");
    run(&mut s, "ALTER TABLE c DROP COLUMN junk");
    // Foreign keys still point at the right columns on both sides.
    let e = fail(&mut s, "INSERT INTO c VALUES (3, 10, 'c')");
    assert_eq!(e.code().code(), "23503");
    assert_eq!(
        e.detail(),
        Some("Key (pid)=(3) is not present in table \"p\".")
    );
    let e = fail(&mut s, "INSERT INTO c VALUES (1, 30, 'c')");
    assert_eq!(
        e.detail(),
        Some("Key (pk)=(30) is not present in table \"p\".")
    );
    let e = fail(&mut s, "DELETE FROM p WHERE id = 1");
    assert_eq!(e.code().code(), "23503");
    assert_eq!(
        rows(&mut s, "SELECT pid, pk, v FROM c WHERE v = 'b'"),
        vec!["2|10|b"]
    );
    assert_eq!(
        rows(&mut s, "SELECT col_description('c'::regclass, 3)"),
        vec!["the v"]
    );
}

#[test]
fn drop_column_dependencies() {
    let mut s = session();
    run(&mut s, "CREATE TABLE p (id int PRIMARY KEY, k int)");
    run(&mut s, "CREATE TABLE c (x int REFERENCES p (id))");
    let e = fail(&mut s, "ALTER TABLE p DROP COLUMN id");
    assert_eq!(e.code().code(), "2BP01");
    assert_eq!(
        e.to_string(),
        "cannot drop column id of table p because other objects depend on it"
    );
    assert_eq!(
        e.detail(),
        Some("constraint c_x_fkey on table c depends on column id of table p")
    );
    let n = notices(&mut s, "ALTER TABLE p DROP COLUMN id CASCADE");
    assert_eq!(
        n,
        vec![(
            "00000".to_string(),
            "drop cascades to constraint c_x_fkey on table c".to_string()
        )]
    );
    run(&mut s, "INSERT INTO c VALUES (42)");
    // A multi-column primary key, UNIQUE and CHECK using the column go with it.
    run(
        &mut s,
        "CREATE TABLE t (a int, b int, c int, PRIMARY KEY (a, b), UNIQUE (b, c), CHECK (a > b), CHECK (c > 0))",
    );
    run(&mut s, "INSERT INTO t VALUES (2, 1, 1)");
    run(&mut s, "ALTER TABLE t DROP COLUMN b");
    run(&mut s, "INSERT INTO t VALUES (2, 1)");
    let e = fail(&mut s, "INSERT INTO t VALUES (3, 0)");
    assert_eq!(e.code().code(), "23514");
    let e = fail(&mut s, "INSERT INTO t VALUES (NULL, 5)");
    assert_eq!(e.code().code(), "23502");
    let n = notices(&mut s, "ALTER TABLE t DROP COLUMN IF EXISTS zz");
    assert_eq!(
        n[0].1,
        "column \"zz\" of relation \"t\" does not exist, skipping"
    );
    // Views.
    run(&mut s, "CREATE VIEW v AS SELECT a FROM t");
    let e = fail(&mut s, "ALTER TABLE t DROP COLUMN a");
    assert_eq!(e.detail(), Some("view v depends on column a of table t"));
    run(&mut s, "ALTER TABLE t DROP COLUMN c");
    run(&mut s, "ALTER TABLE t DROP COLUMN a CASCADE");
    assert_eq!(fail(&mut s, "SELECT * FROM v").code().code(), "42P01");
}

#[test]
fn rename_column_rewrites_expressions_and_views() {
    let mut s = session();
    run(&mut s, "CREATE TABLE t (a int CHECK (a > 0), b text)");
    run(&mut s, "CREATE INDEX t_expr ON t ((a * 2))");
    run(&mut s, "CREATE VIEW v AS SELECT a, b FROM t WHERE a < 100");
    run(&mut s, "INSERT INTO t VALUES (1, 'x')");
    run(&mut s, "ALTER TABLE t RENAME COLUMN a TO n");
    let e = fail(&mut s, "INSERT INTO t VALUES (-1, 'y')");
    assert_eq!(
        e.to_string(),
        "new row for relation \"t\" violates check constraint \"t_a_check\""
    );
    run(&mut s, "INSERT INTO t VALUES (2, 'y')");
    // The view keeps its column names.
    assert_eq!(
        rows(&mut s, "SELECT a, b FROM v ORDER BY a"),
        vec!["1|x", "2|y"]
    );
    run(&mut s, "ALTER TABLE t RENAME TO t2");
    assert_eq!(rows(&mut s, "SELECT count(*) FROM v"), vec!["2"]);
    run(&mut s, "ALTER VIEW v RENAME TO w");
    run(&mut s, "ALTER VIEW w RENAME COLUMN a TO k");
    assert_eq!(rows(&mut s, "SELECT k FROM w ORDER BY k"), vec!["1", "2"]);
    run(&mut s, "ALTER INDEX t_expr RENAME TO t_expr2");
    assert_eq!(
        fail(&mut s, "ALTER SEQUENCE t_expr2 RENAME TO z").to_string(),
        "\"t_expr2\" is not a sequence"
    );
}

#[test]
fn rename_sequence_keeps_serial_defaults_working() {
    let mut s = session();
    run(&mut s, "CREATE TABLE t (id serial, v text)");
    run(&mut s, "INSERT INTO t (v) VALUES ('a')");
    run(&mut s, "ALTER SEQUENCE t_id_seq RENAME TO ids");
    run(&mut s, "INSERT INTO t (v) VALUES ('b')");
    assert_eq!(rows(&mut s, "SELECT id FROM t ORDER BY id"), vec!["1", "2"]);
}

#[test]
fn alter_type_converts_and_rechecks() {
    let mut s = session();
    run(
        &mut s,
        "CREATE TABLE t (id int PRIMARY KEY, w text DEFAULT '5', CHECK (length(w) < 4))",
    );
    run(&mut s, "CREATE UNIQUE INDEX t_w ON t (w)");
    run(&mut s, "INSERT INTO t VALUES (1, '10'), (2, '200')");
    // The key column's type changes: rows are re-keyed.
    run(&mut s, "ALTER TABLE t ALTER COLUMN id TYPE bigint");
    assert_eq!(rows(&mut s, "SELECT w FROM t WHERE id = 2"), vec!["200"]);
    let e = fail(&mut s, "ALTER TABLE t ALTER COLUMN w TYPE int");
    assert_eq!(e.code().code(), "42804");
    assert_eq!(
        e.hint(),
        Some("You might need to specify \"USING w::integer\".")
    );
    // The CHECK no longer binds against an integer column: the change is refused.
    let e = fail(&mut s, "ALTER TABLE t ALTER COLUMN w TYPE int USING w::int");
    assert_eq!(e.code().code(), "42883");
    run(&mut s, "ALTER TABLE t ALTER COLUMN w TYPE varchar(3)");
    let e = fail(&mut s, "INSERT INTO t VALUES (3, '200')");
    assert_eq!(e.code().code(), "23505");
    let e = fail(&mut s, "ALTER TABLE t ALTER COLUMN w TYPE varchar(2)");
    assert_eq!(e.code().code(), "22001");
}

#[test]
fn not_null_and_defaults() {
    let mut s = session();
    run(&mut s, "CREATE TABLE t (a int PRIMARY KEY, b int)");
    let e = fail(&mut s, "ALTER TABLE t ALTER COLUMN a DROP NOT NULL");
    assert_eq!(e.code().code(), "42P16");
    assert_eq!(e.to_string(), "column \"a\" is in a primary key");
    let e = fail(&mut s, "ALTER TABLE t ALTER COLUMN b SET DEFAULT 'x'");
    assert_eq!(e.code().code(), "22P02");
    run(&mut s, "INSERT INTO t VALUES (1, NULL)");
    assert_eq!(
        fail(&mut s, "ALTER TABLE t ALTER COLUMN b SET NOT NULL")
            .code()
            .code(),
        "23502"
    );
    let n = notices(&mut s, "ALTER TABLE t ADD COLUMN IF NOT EXISTS b int");
    assert_eq!(
        n,
        vec![(
            "42701".to_string(),
            "column \"b\" of relation \"t\" already exists, skipping".to_string()
        )]
    );
}

#[test]
fn constraints_drop_and_rename() {
    let mut s = session();
    run(&mut s, "CREATE TABLE p (id int PRIMARY KEY)");
    run(
        &mut s,
        "CREATE TABLE c (x int REFERENCES p (id), y int CHECK (y > 0))",
    );
    let e = fail(&mut s, "ALTER TABLE p DROP CONSTRAINT p_pkey");
    assert_eq!(e.code().code(), "2BP01");
    assert_eq!(
        e.detail(),
        Some("constraint c_x_fkey on table c depends on index p_pkey")
    );
    let e = fail(
        &mut s,
        "ALTER TABLE c RENAME CONSTRAINT c_y_check TO c_x_fkey",
    );
    assert_eq!(e.code().code(), "42710");
    let e = fail(&mut s, "ALTER TABLE p RENAME CONSTRAINT p_pkey TO c");
    assert_eq!(e.code().code(), "42P07");
    let e = fail(&mut s, "ALTER TABLE c RENAME CONSTRAINT nope TO z");
    assert_eq!(
        e.to_string(),
        "constraint \"nope\" for table \"c\" does not exist"
    );
    run(&mut s, "ALTER TABLE p RENAME CONSTRAINT p_pkey TO p_key");
    run(&mut s, "INSERT INTO p VALUES (1)");
    let e = fail(&mut s, "INSERT INTO p VALUES (1)");
    assert_eq!(
        e.to_string(),
        "duplicate key value violates unique constraint \"p_key\""
    );
    run(&mut s, "ALTER TABLE p DROP CONSTRAINT p_key CASCADE");
    run(&mut s, "INSERT INTO c VALUES (7, 1)");
}

#[test]
fn failed_alter_in_a_transaction_leaves_nothing() {
    let mut s = session();
    run(&mut s, "CREATE TABLE t (a int)");
    run(&mut s, "INSERT INTO t VALUES (1)");
    run(&mut s, "BEGIN");
    run(&mut s, "ALTER TABLE t ADD COLUMN b int DEFAULT 7");
    assert_eq!(rows(&mut s, "SELECT b FROM t"), vec!["7"]);
    run(&mut s, "ROLLBACK");
    assert_eq!(rows(&mut s, "SELECT * FROM t"), vec!["1"]);
    let e = fail(
        &mut s,
        "ALTER TABLE t ADD COLUMN b int DEFAULT 1, ADD COLUMN c int NOT NULL",
    );
    assert_eq!(e.code().code(), "23502");
    assert_eq!(fail(&mut s, "SELECT b FROM t").code().code(), "42703");
}

#[test]
fn identity_columns() {
    let mut s = session();
    run(
        &mut s,
        "CREATE TABLE t (id int GENERATED BY DEFAULT AS IDENTITY, v int NOT NULL, w int)",
    );
    run(&mut s, "INSERT INTO t (v) VALUES (1)");
    run(&mut s, "ALTER TABLE t ALTER COLUMN id SET GENERATED ALWAYS");
    assert_eq!(
        fail(&mut s, "INSERT INTO t (id, v) VALUES (5, 1)")
            .code()
            .code(),
        "428C9"
    );
    run(&mut s, "ALTER TABLE t ALTER COLUMN id RESTART WITH 100");
    run(&mut s, "INSERT INTO t (v) VALUES (2)");
    assert_eq!(rows(&mut s, "SELECT id FROM t WHERE v = 2"), vec!["100"]);
    let e = fail(
        &mut s,
        "ALTER TABLE t ALTER COLUMN w ADD GENERATED ALWAYS AS IDENTITY",
    );
    assert_eq!(
        e.to_string(),
        "column \"w\" of relation \"t\" must be declared NOT NULL before identity can be added"
    );
    let e = fail(&mut s, "ALTER TABLE t ALTER COLUMN w SET GENERATED ALWAYS");
    assert_eq!(e.code().code(), "55000");
    run(&mut s, "DELETE FROM t");
    run(
        &mut s,
        "ALTER TABLE t ALTER COLUMN v ADD GENERATED BY DEFAULT AS IDENTITY",
    );
    run(&mut s, "INSERT INTO t DEFAULT VALUES");
    assert_eq!(rows(&mut s, "SELECT v FROM t"), vec!["1"]);
}
