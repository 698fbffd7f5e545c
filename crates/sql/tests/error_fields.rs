//! The schema, table, column, data type and constraint an error names (PostgreSQL's
//! ErrorResponse fields `s`, `t`, `c`, `d`, `n`). Every expectation was checked against
//! PostgreSQL 15 with psql's `\set VERBOSITY verbose` (its SCHEMA NAME, TABLE NAME, COLUMN NAME,
//! DATATYPE NAME and CONSTRAINT NAME lines), on the same statements in a schema `ef`.

use basalt_sql::{ErrorFields, Session, SqlError};
use basalt_txn::LocalKv;

fn session() -> Session<LocalKv> {
    let mut s = Session::new(LocalKv::memory());
    run(
        &mut s,
        "CREATE SCHEMA ef; SET search_path = ef;
         CREATE TABLE p (id int PRIMARY KEY, u int UNIQUE, v int NOT NULL,
                         w int CONSTRAINT w_pos CHECK (w > 0));
         CREATE UNIQUE INDEX p_v_idx ON p (v) WHERE v > 100;
         CREATE TABLE c (id int PRIMARY KEY, pid int CONSTRAINT c_pid_fk REFERENCES p);
         CREATE DOMAIN posint AS int CONSTRAINT posint_check CHECK (VALUE > 0);
         CREATE DOMAIN nnint AS int NOT NULL;
         CREATE TABLE d (x posint, y nnint, s varchar(3), n smallint);
         INSERT INTO p VALUES (1, 1, 1, 1);",
    );
    s
}

fn run(s: &mut Session<LocalKv>, sql: &str) {
    s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn fail(s: &mut Session<LocalKv>, sql: &str) -> SqlError {
    match s.execute(sql) {
        Err(e) => e,
        Ok(r) => panic!("{sql} succeeded: {r:?}"),
    }
}

/// The fields of the error of `sql`, checking its SQLSTATE.
fn fields(s: &mut Session<LocalKv>, sql: &str, code: &str) -> ErrorFields {
    let e = fail(s, sql);
    assert_eq!(e.code().code(), code, "{sql}: {e}");
    e.fields().cloned().unwrap_or_default()
}

/// Fields from (schema, table, column, datatype, constraint).
fn f(
    schema: &str,
    table: Option<&str>,
    column: Option<&str>,
    datatype: Option<&str>,
    constraint: Option<&str>,
) -> ErrorFields {
    ErrorFields {
        schema: Some(schema.to_string()),
        table: table.map(str::to_string),
        column: column.map(str::to_string),
        datatype: datatype.map(str::to_string),
        constraint: constraint.map(str::to_string),
    }
}

fn table_constraint(table: &str, constraint: &str) -> ErrorFields {
    f("ef", Some(table), None, None, Some(constraint))
}

#[test]
fn unique_violations_name_the_table_and_index() {
    let mut s = session();
    // PG 15: SCHEMA NAME ef, TABLE NAME p, CONSTRAINT NAME p_pkey / p_u_key / p_v_idx.
    for (sql, index) in [
        ("INSERT INTO p VALUES (1, 2, 2, 2)", "p_pkey"),
        ("INSERT INTO p VALUES (2, 1, 2, 2)", "p_u_key"),
    ] {
        assert_eq!(
            fields(&mut s, sql, "23505"),
            table_constraint("p", index),
            "{sql}"
        );
    }
    // ON CONFLICT DO UPDATE whose update conflicts on another index: CONSTRAINT NAME p_u_key.
    run(&mut s, "INSERT INTO p VALUES (12, 12, 12, 12)");
    assert_eq!(
        fields(
            &mut s,
            "INSERT INTO p VALUES (1, 5, 5, 5) ON CONFLICT (id) DO UPDATE SET u = 12",
            "23505"
        ),
        table_constraint("p", "p_u_key")
    );
    // COPY: PG 15 adds `CONTEXT: COPY p, line 1` and the same fields.
    let e = s
        .copy_in("COPY p FROM STDIN", &mut &b"1\t50\t50\t50\n"[..])
        .unwrap_err();
    assert_eq!(e.code().code(), "23505");
    assert_eq!(e.fields(), Some(&table_constraint("p", "p_pkey")));
    let e = s
        .copy_in("COPY p FROM STDIN", &mut &b"7\t7\t\\N\t7\n"[..])
        .unwrap_err();
    assert_eq!(e.code().code(), "23502");
    assert_eq!(e.fields(), Some(&f("ef", Some("p"), Some("v"), None, None)));
    run(&mut s, "INSERT INTO p VALUES (2, 2, 200, 2)");
    // A unique index without a constraint: the index is named as the constraint.
    assert_eq!(
        fields(&mut s, "INSERT INTO p VALUES (3, 3, 200, 2)", "23505"),
        table_constraint("p", "p_v_idx")
    );
    // Updates, of the row key and of another unique index.
    assert_eq!(
        fields(&mut s, "UPDATE p SET id = 1 WHERE id = 2", "23505"),
        table_constraint("p", "p_pkey")
    );
    assert_eq!(
        fields(&mut s, "UPDATE p SET u = 1 WHERE id = 2", "23505"),
        table_constraint("p", "p_u_key")
    );
}

#[test]
fn not_null_and_check_violations() {
    let mut s = session();
    // PG 15: SCHEMA NAME ef, TABLE NAME p, COLUMN NAME v.
    assert_eq!(
        fields(&mut s, "INSERT INTO p VALUES (4, 4, NULL, 1)", "23502"),
        f("ef", Some("p"), Some("v"), None, None)
    );
    // PG 15: SCHEMA NAME ef, TABLE NAME p, CONSTRAINT NAME w_pos.
    assert_eq!(
        fields(&mut s, "INSERT INTO p VALUES (4, 4, 4, -1)", "23514"),
        table_constraint("p", "w_pos")
    );
    assert_eq!(
        fields(&mut s, "UPDATE p SET w = 0", "23514"),
        table_constraint("p", "w_pos")
    );
    // Names are sent as they are, unquoted: TABLE NAME `Q T`, COLUMN NAME `C 1`.
    run(&mut s, "CREATE TABLE \"Q T\" (\"C 1\" int NOT NULL)");
    assert_eq!(
        fields(&mut s, "INSERT INTO \"Q T\" VALUES (NULL)", "23502"),
        f("ef", Some("Q T"), Some("C 1"), None, None)
    );
    // A CHECK on a generated column: TABLE NAME g, CONSTRAINT NAME g_b_check.
    run(
        &mut s,
        "CREATE TABLE g (a int, b int GENERATED ALWAYS AS (a * 2) STORED CHECK (b < 10))",
    );
    assert_eq!(
        fields(&mut s, "INSERT INTO g VALUES (100)", "23514"),
        table_constraint("g", "g_b_check")
    );
}

#[test]
fn foreign_key_violations_name_the_referencing_table() {
    let mut s = session();
    // PG 15, missing referent: SCHEMA NAME ef, TABLE NAME c, CONSTRAINT NAME c_pid_fk.
    assert_eq!(
        fields(&mut s, "INSERT INTO c VALUES (1, 99)", "23503"),
        table_constraint("c", "c_pid_fk")
    );
    run(&mut s, "INSERT INTO c VALUES (1, 1)");
    // PG 15, referenced row deleted or its key updated ("update or delete on table p"): still
    // TABLE NAME c, the table of the foreign key.
    for sql in [
        "DELETE FROM p WHERE id = 1",
        "UPDATE p SET id = 10 WHERE id = 1",
    ] {
        assert_eq!(
            fields(&mut s, sql, "23503"),
            table_constraint("c", "c_pid_fk"),
            "{sql}"
        );
    }
    // PG 15, MATCH FULL with a NULL: TABLE NAME cf, CONSTRAINT NAME cf_fk.
    run(
        &mut s,
        "ALTER TABLE p ADD CONSTRAINT p_id_u UNIQUE (id, u);
         CREATE TABLE cf (a int, b int,
                          CONSTRAINT cf_fk FOREIGN KEY (a, b) REFERENCES p (id, u) MATCH FULL)",
    );
    assert_eq!(
        fields(&mut s, "INSERT INTO cf VALUES (1, NULL)", "23503"),
        table_constraint("cf", "cf_fk")
    );
}

#[test]
fn deferred_checks_name_their_objects() {
    let mut s = session();
    run(
        &mut s,
        "CREATE TABLE dp (id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED);
         CREATE TABLE dc (pid int CONSTRAINT dc_fk REFERENCES p DEFERRABLE INITIALLY DEFERRED);
         CREATE TABLE di (id int PRIMARY KEY DEFERRABLE)",
    );
    // PG 15 at COMMIT: TABLE NAME dp, CONSTRAINT NAME dp_pkey.
    run(&mut s, "BEGIN; INSERT INTO dp VALUES (1), (1)");
    assert_eq!(
        fields(&mut s, "COMMIT", "23505"),
        table_constraint("dp", "dp_pkey")
    );
    // PG 15 at the end of the statement: TABLE NAME di, CONSTRAINT NAME di_pkey.
    assert_eq!(
        fields(&mut s, "INSERT INTO di VALUES (1), (1)", "23505"),
        table_constraint("di", "di_pkey")
    );
    // PG 15 at COMMIT, both directions: TABLE NAME dc, CONSTRAINT NAME dc_fk.
    run(&mut s, "BEGIN; INSERT INTO dc VALUES (77)");
    assert_eq!(
        fields(&mut s, "COMMIT", "23503"),
        table_constraint("dc", "dc_fk")
    );
    run(
        &mut s,
        "INSERT INTO dc VALUES (1); BEGIN; DELETE FROM p WHERE id = 1",
    );
    assert_eq!(
        fields(&mut s, "COMMIT", "23503"),
        table_constraint("dc", "dc_fk")
    );
}

#[test]
fn alter_table_validation() {
    let mut s = session();
    run(
        &mut s,
        "CREATE TABLE a (x int, y int); INSERT INTO a VALUES (1, NULL), (1, -1);
         CREATE TABLE a2 (pid int); INSERT INTO a2 VALUES (55)",
    );
    // PG 15: `column "y" of relation "a" contains null values`, COLUMN NAME y.
    assert_eq!(
        fields(&mut s, "ALTER TABLE a ALTER COLUMN y SET NOT NULL", "23502"),
        f("ef", Some("a"), Some("y"), None, None)
    );
    // PG 15: `check constraint "a_y_pos" of relation "a" is violated by some row`.
    assert_eq!(
        fields(
            &mut s,
            "ALTER TABLE a ADD CONSTRAINT a_y_pos CHECK (y > 0)",
            "23514"
        ),
        table_constraint("a", "a_y_pos")
    );
    // PG 15: `could not create unique index "..."`, CONSTRAINT NAME the index.
    for (sql, index) in [
        ("ALTER TABLE a ADD PRIMARY KEY (x)", "a_pkey"),
        ("ALTER TABLE a ADD CONSTRAINT a_x_key UNIQUE (x)", "a_x_key"),
        ("CREATE UNIQUE INDEX a_x_idx ON a (x)", "a_x_idx"),
    ] {
        assert_eq!(
            fields(&mut s, sql, "23505"),
            table_constraint("a", index),
            "{sql}"
        );
    }
    // PG 15: TABLE NAME a2, CONSTRAINT NAME a2_fk.
    assert_eq!(
        fields(
            &mut s,
            "ALTER TABLE a2 ADD CONSTRAINT a2_fk FOREIGN KEY (pid) REFERENCES p",
            "23503"
        ),
        table_constraint("a2", "a2_fk")
    );
}

#[test]
fn domain_violations_name_the_domain() {
    let mut s = session();
    // PG 15: SCHEMA NAME ef, DATATYPE NAME posint, CONSTRAINT NAME posint_check; no table,
    // even for a value bound for a table's column.
    let posint = f("ef", None, None, Some("posint"), Some("posint_check"));
    for sql in [
        "INSERT INTO d (x, y) VALUES (-1, 1)",
        "SELECT (-1)::ef.posint",
        "SELECT ARRAY[-1]::posint[]",
    ] {
        assert_eq!(fields(&mut s, sql, "23514"), posint, "{sql}");
    }
    // PG 15: SCHEMA NAME ef, DATATYPE NAME nnint, no constraint.
    let nnint = f("ef", None, None, Some("nnint"), None);
    for sql in [
        "INSERT INTO d (x, y) VALUES (1, NULL)",
        "SELECT NULL::ef.nnint",
    ] {
        assert_eq!(fields(&mut s, sql, "23502"), nnint, "{sql}");
    }
    // A domain over a domain: PG 15 names the outer domain as the data type and the
    // constraint that failed, the inner one's too.
    run(
        &mut s,
        "CREATE DOMAIN posint2 AS posint CHECK (VALUE < 100);
         CREATE DOMAIN \"Big D\" AS text CHECK (length(VALUE) < 2)",
    );
    assert_eq!(
        fields(&mut s, "SELECT (-1)::posint2", "23514"),
        f("ef", None, None, Some("posint2"), Some("posint_check"))
    );
    assert_eq!(
        fields(&mut s, "SELECT 200::posint2", "23514"),
        f("ef", None, None, Some("posint2"), Some("posint2_check"))
    );
    // Unquoted: DATATYPE NAME `Big D`, CONSTRAINT NAME `Big D_check`.
    assert_eq!(
        fields(&mut s, "SELECT 'abc'::\"Big D\"", "23514"),
        f("ef", None, None, Some("Big D"), Some("Big D_check"))
    );
    // ALTER DOMAIN over existing values: PG 15 names the table and column, no data type.
    run(
        &mut s,
        "CREATE DOMAIN dd AS int; CREATE TABLE ad (z dd); INSERT INTO ad VALUES (NULL), (-5)",
    );
    let ad = f("ef", Some("ad"), Some("z"), None, None);
    assert_eq!(fields(&mut s, "ALTER DOMAIN dd SET NOT NULL", "23502"), ad);
    assert_eq!(
        fields(
            &mut s,
            "ALTER DOMAIN dd ADD CONSTRAINT dd_pos CHECK (VALUE > 0)",
            "23514"
        ),
        ad
    );
}

#[test]
fn other_errors_name_nothing() {
    let mut s = session();
    // PG 15 sends no object fields for these (value too long, out of range, syntax).
    for (sql, code) in [
        ("INSERT INTO d (x, y, s) VALUES (1, 1, 'abcd')", "22001"),
        ("INSERT INTO d (x, y, n) VALUES (1, 1, 100000)", "22003"),
        ("SELECT 1/0", "22012"),
        ("SELEC 1", "42601"),
    ] {
        let e = fail(&mut s, sql);
        assert_eq!(e.code().code(), code, "{sql}");
        assert!(e.fields().is_none(), "{sql}: {:?}", e.fields());
    }
}

#[test]
fn catalog_and_temporary_tables() {
    let mut s = session();
    // PG 15: SCHEMA NAME pg_catalog, TABLE NAME pg_enum, CONSTRAINT NAME
    // pg_enum_typid_label_index.
    assert_eq!(
        fields(&mut s, "CREATE TYPE ee AS ENUM ('a', 'a')", "23505"),
        f(
            "pg_catalog",
            Some("pg_enum"),
            None,
            None,
            Some("pg_enum_typid_label_index")
        )
    );
    // PG 15: SCHEMA NAME pg_temp_3 (the session's temporary schema), TABLE NAME tt.
    run(&mut s, "CREATE TEMP TABLE tt (id int PRIMARY KEY)");
    let e = fail(&mut s, "INSERT INTO tt VALUES (1), (1)");
    assert!(
        e.schema().is_some_and(|n| n.starts_with("pg_temp_")),
        "{e:?}"
    );
    assert_eq!((e.table(), e.constraint()), (Some("tt"), Some("tt_pkey")));
}
