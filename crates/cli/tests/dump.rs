//! `basalt dump` and `basalt restore` end to end: a rich schema with awkward data dumped and
//! restored into a fresh Basalt (contents and catalog compared), the same dump loaded into a
//! real PostgreSQL 15 by psql and read back, truncated dumps refused, options.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use basalt::Database;

const RICH: &str = include_str!("data/dump_rich.sql");

fn basalt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_basalt"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed ({}): {}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A database directory made by running `sql` in it.
fn make_db(dir: &Path, sql: &str) {
    let db = Database::open(dir).unwrap();
    db.execute(sql).unwrap();
}

fn rows(db: &Database, sql: &str) -> Vec<String> {
    let r = db.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    r.last()
        .unwrap()
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| v.clone().unwrap_or_else(|| "<NULL>".into()))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

const USER: &str =
    "(SELECT oid FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema')";

/// The user tables, qualified and quoted.
fn tables(db: &Database) -> Vec<String> {
    rows(
        db,
        &format!(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'r' AND c.relnamespace IN {USER} ORDER BY 1"
        ),
    )
}

/// Everything a dump should carry, by kind: the catalog's shape and each table's rows.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let db = Database::open(dir).unwrap();
    let mut s = BTreeMap::new();
    let q = |s: &mut BTreeMap<String, Vec<String>>, k: &str, sql: String| {
        s.insert(k.to_string(), rows(&db, &sql));
    };
    q(
        &mut s,
        "schemas",
        format!("SELECT nspname FROM pg_namespace WHERE oid IN {USER} ORDER BY 1"),
    );
    q(
        &mut s,
        "columns",
        format!(
            "SELECT c.relnamespace::regnamespace::text, c.relname, c.relkind, a.attnum, a.attname, \
             format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated, \
             pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE c.relkind IN ('r', 'v', 'c') AND c.relnamespace IN {USER} AND a.attnum > 0 \
             ORDER BY 1, 2, 4"
        ),
    );
    q(
        &mut s,
        "constraints",
        format!(
            "SELECT conrelid::regclass::text, contypid::regtype::text, conname, contype, \
             pg_get_constraintdef(oid), convalidated FROM pg_constraint \
             WHERE connamespace IN {USER} ORDER BY 1, 2, 3"
        ),
    );
    q(
        &mut s,
        "indexes",
        format!(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE c.relnamespace IN {USER} ORDER BY 1"
        ),
    );
    q(
        &mut s,
        "views",
        format!(
            "SELECT oid::regclass::text, pg_get_viewdef(oid) FROM pg_class \
             WHERE relkind = 'v' AND relnamespace IN {USER} ORDER BY 1"
        ),
    );
    q(
        &mut s,
        "sequences",
        "SELECT schemaname, sequencename, data_type, start_value, min_value, max_value, \
         increment_by, cycle, cache_size FROM pg_sequences ORDER BY 1, 2"
            .into(),
    );
    q(
        &mut s,
        "types",
        format!(
            "SELECT t.typnamespace::regnamespace::text, t.typname, t.typtype, \
             format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault FROM pg_type t \
             WHERE t.typnamespace IN {USER} AND t.typtype IN ('e', 'd', 'c') ORDER BY 1, 2"
        ),
    );
    q(
        &mut s,
        "enums",
        "SELECT enumtypid::regtype::text, enumsortorder, enumlabel FROM pg_enum ORDER BY 1, 2"
            .into(),
    );
    q(
        &mut s,
        "functions",
        format!(
            "SELECT pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace IN {USER} ORDER BY 1"
        ),
    );
    q(
        &mut s,
        "comments",
        "SELECT objsubid, description FROM pg_description ORDER BY 2, 1".into(),
    );
    for t in tables(&db) {
        let mut r = rows(&db, &format!("SELECT * FROM {t}"));
        r.sort();
        s.insert(format!("rows of {t}"), r);
    }
    s
}

fn assert_same(a: &BTreeMap<String, Vec<String>>, b: &BTreeMap<String, Vec<String>>) {
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "different tables"
    );
    for (k, v) in a {
        let w = &b[k];
        if v != w {
            let only_a: Vec<_> = v.iter().filter(|x| !w.contains(x)).take(5).collect();
            let only_b: Vec<_> = w.iter().filter(|x| !v.contains(x)).take(5).collect();
            panic!(
                "{k} differ ({} vs {} rows)\nonly in the original: {only_a:#?}\nonly in the restored: {only_b:#?}",
                v.len(),
                w.len()
            );
        }
    }
}

/// The lines of a script that are not sequence values (Basalt skips the values a sequence
/// wrote ahead when a database reopens, as PostgreSQL after a crash).
fn without_sequence_values(s: &str) -> String {
    s.lines()
        .filter(|l| !l.starts_with("SELECT pg_catalog.setval("))
        .collect::<Vec<_>>()
        .join("\n")
}

fn rich_dump(dir: &Path) -> (PathBuf, PathBuf) {
    let src = dir.join("src");
    make_db(&src, RICH);
    let file = dir.join("dump.sql");
    ok(&basalt(&["dump", p(&src), "-o", p(&file)]));
    (src, file)
}

#[test]
fn rich_schema_round_trips_through_basalt() {
    let dir = tempfile::tempdir().unwrap();
    let (src, file) = rich_dump(dir.path());
    let script = std::fs::read_to_string(&file).unwrap();
    // FKs and NOT VALID checks come after the data, the COPY blocks end with \.
    let copy = script.find("COPY app.child (").unwrap();
    assert!(script.find("FOREIGN KEY").unwrap() > copy, "{script}");
    assert!(script.find("price_cap").unwrap() > copy);
    assert!(script.contains("\n\\.\n"));

    let dst = dir.path().join("dst");
    ok(&basalt(&["restore", p(&dst), "-f", p(&file)]));
    let (a, b) = (snapshot(&src), snapshot(&dst));
    assert!(a["rows of app.child"].len() > 2000);
    assert_same(&a, &b);

    // The restored database dumps to the same script, and its sequences go on where the
    // original's were (at or past their values).
    let again = dir.path().join("again.sql");
    ok(&basalt(&["dump", p(&dst), "-o", p(&again)]));
    let again = std::fs::read_to_string(&again).unwrap();
    assert_eq!(
        without_sequence_values(&script),
        without_sequence_values(&again)
    );
    let seq = "SELECT schemaname, sequencename, last_value FROM pg_sequences ORDER BY 1, 2";
    let (sa, sb) = (
        rows(&Database::open(&src).unwrap(), seq),
        rows(&Database::open(&dst).unwrap(), seq),
    );
    assert_eq!(sa.len(), sb.len());
    for (x, y) in sa.iter().zip(&sb) {
        let n = |s: &str| s.rsplit('|').next().unwrap().parse::<i64>().unwrap_or(0);
        assert!(n(y).abs() >= n(x).abs(), "{x} -> {y}");
    }
    // Identity and serial columns keep numbering after the restored rows.
    let db = Database::open(&dst).unwrap();
    db.execute("INSERT INTO app.parent (name) VALUES ('new'); INSERT INTO app.child (parent_id, qty, e) VALUES (1, 1, 'a@b')")
        .unwrap();
}

#[test]
fn schema_only_data_only_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    // Without the NOT VALID check a row breaks: a data-only load into the schema checks it.
    let rich = RICH.replace(
        "ALTER TABLE app.parent ADD CONSTRAINT price_cap CHECK (price < 1000000) NOT VALID;",
        "",
    );
    make_db(&src, &rich);
    let schema = ok(&basalt(&["dump", p(&src), "--schema-only"]));
    assert!(!schema.contains("FROM stdin;") && !schema.contains("setval"));
    assert!(schema.contains("CREATE TABLE app.child ("));
    let data = ok(&basalt(&["dump", p(&src), "--data-only"]));
    assert!(!data.contains("CREATE ") && data.contains("COPY app.child ("));
    assert!(data.contains("setval"));
    // Schema, then data, restored separately: the same database.
    let dst = dir.path().join("dst");
    let (fs, fd) = (dir.path().join("s.sql"), dir.path().join("d.sql"));
    std::fs::write(&fs, &schema).unwrap();
    std::fs::write(&fd, &data).unwrap();
    ok(&basalt(&["restore", p(&dst), "-f", p(&fs)]));
    // The data goes in before the constraints' checks: disable nothing, FKs are there
    // already, so the tables load in creation order (referenced tables first here).
    ok(&basalt(&["restore", p(&dst), "-f", p(&fd)]));
    assert_same(&snapshot(&src), &snapshot(&dst));

    // -t: the table, its sequences, indexes and constraints; no schemas, types, functions.
    let t = ok(&basalt(&["dump", p(&src), "-t", "app.parent"]));
    assert!(t.contains("CREATE TABLE app.parent ("), "{t}");
    assert!(t.contains("CREATE SEQUENCE app.parent_id_seq"));
    assert!(t.contains("COPY app.parent ("));
    assert!(!t.contains("CREATE TABLE app.child") && !t.contains("CREATE SCHEMA"));
    assert!(!t.contains("COPY app.child"));
    // A foreign key to a table left out is left out.
    let t = ok(&basalt(&["dump", p(&src), "-t", "app.child"]));
    assert!(!t.contains("child_parent_id_fkey"), "{t}");
    // Patterns: quoted names keep their case, * matches any run.
    let t = ok(&basalt(&[
        "dump",
        p(&src),
        "-t",
        "\"Odd \"\"Schema\"\"\".\"Mixed\"*",
    ]));
    assert!(
        t.contains("COPY \"Odd \"\"Schema\"\"\".\"Mixed Case\""),
        "{t}"
    );
    let n = ok(&basalt(&["dump", p(&src), "-n", "public", "--schema-only"]));
    assert!(
        n.contains("CREATE TABLE public.multi") && !n.contains("app."),
        "{n}"
    );
    let e = basalt(&["dump", p(&src), "-t", "nope"]);
    assert!(!e.status.success());
    assert!(String::from_utf8_lossy(&e.stderr).contains("no matching tables"));
}

/// A script `basalt restore` must refuse, and what the database holds afterwards.
fn restore_cut(dir: &Path, script: &str, cut: usize, single: bool) -> (String, Vec<String>) {
    let f = dir.join(format!("cut{cut}{single}.sql"));
    std::fs::write(&f, &script[..cut]).unwrap();
    let db = dir.join(format!("db{cut}{single}"));
    let mut args = vec!["restore", p(&db), "-f", p(&f)];
    if single {
        args.push("--single-transaction");
    }
    let o = basalt(&args);
    assert!(!o.status.success(), "a cut dump restored");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let t = tables(&Database::open(&db).unwrap());
    (err, t)
}

#[test]
fn truncated_dump_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_, file) = rich_dump(dir.path());
    let script = std::fs::read_to_string(&file).unwrap();
    let copy = script.find("COPY app.child (").unwrap();
    // In the middle of a COPY block (three lines in), of a statement, between statements.
    let mid_copy = copy + script[copy..].match_indices('\n').nth(3).unwrap().0 + 1;
    let mid_stmt = script.find("CREATE TABLE app.child (").unwrap() + 30;
    let between = script.find("-- Basalt database dump complete").unwrap();
    for (cut, what) in [
        (mid_copy, "inside a COPY data block"),
        (mid_stmt, "the dump is truncated"),
        (between, "the dump is truncated"),
    ] {
        let (err, t) = restore_cut(dir.path(), &script, cut, false);
        assert!(err.contains(what), "{err}");
        let line = script[..cut].lines().count();
        assert!(err.contains(&format!("line {line}")), "line {line}: {err}");
        if cut == mid_copy {
            // The COPY failed as a whole: none of its rows stayed.
            let db = Database::open(dir.path().join(format!("db{cut}false"))).unwrap();
            assert_eq!(rows(&db, "SELECT count(*) FROM app.child"), ["0"]);
        }
        let _ = t;
        // With --single-transaction nothing stays.
        let (err, t) = restore_cut(dir.path(), &script, cut, true);
        assert!(err.contains(what), "{err}");
        assert!(t.is_empty(), "{t:?}");
    }
    // A failing statement stops the restore and names its line.
    let bad = script.replacen(
        "CREATE TABLE app.child (",
        "CREATE TABLE app.child (nope nope,",
        1,
    );
    let f = dir.path().join("bad.sql");
    std::fs::write(&f, &bad).unwrap();
    let o = basalt(&["restore", p(&dir.path().join("bad")), "-f", p(&f)]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    // The line where the statement ends, as psql counts.
    let start = bad.find("CREATE TABLE app.child (").unwrap();
    let end = start + bad[start..].find(");\n").unwrap();
    let line = bad[..=end].lines().count();
    assert!(
        err.contains(&format!(":{line}: ERROR:")),
        "line {line}: {err}"
    );
}

/// Each table's rows in COPY text form, sorted.
fn copy_rows_basalt(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let db = Database::open(dir).unwrap();
    let conn = db.connect();
    let mut m = BTreeMap::new();
    conn.execute("SET DateStyle = ISO", ()).unwrap();
    for t in tables(&db) {
        let mut out = Vec::new();
        conn.copy_out(&format!("COPY (SELECT * FROM {t}) TO STDOUT"), &mut out)
            .unwrap();
        let mut lines: Vec<String> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        lines.sort();
        m.insert(t, lines);
    }
    m
}

#[test]
fn dump_loads_into_postgresql() {
    let Some(pg) = common::Pg::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (src, file) = rich_dump(dir.path());
    ok(&pg.psql("postgres", &["-c", "CREATE DATABASE rich"]));
    let o = pg.psql("rich", &["-f", p(&file)]);
    ok(&o);
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("ERROR"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // PostgreSQL holds the same rows, in the same text form.
    let want = copy_rows_basalt(&src);
    for (t, lines) in &want {
        let got = ok(&pg.psql(
            "rich",
            &["-c", &format!("COPY (SELECT * FROM {t}) TO STDOUT")],
        ));
        let mut got: Vec<String> = got.lines().map(str::to_string).collect();
        got.sort();
        assert_eq!(&got, lines, "rows of {t}");
    }
    // And back: PostgreSQL's database dumped by basalt dump over the protocol, restored into
    // a fresh Basalt, holds the original's rows and shape.
    let back_sql = dir.path().join("back.sql");
    let url = format!("postgres://postgres@127.0.0.1:{}/rich", pg.port);
    ok(&basalt(&["dump", &url, "-o", p(&back_sql)]));
    let back = dir.path().join("back");
    ok(&basalt(&[
        "restore",
        p(&back),
        "-f",
        p(&back_sql),
        "--single-transaction",
    ]));
    assert_eq!(copy_rows_basalt(&back), want);
    let (a, b) = (snapshot(&src), snapshot(&back));
    // Expressions come back in PostgreSQL's spelling ((qty)::integer * 2): compare the rest.
    for k in ["schemas", "sequences", "enums"] {
        assert_eq!(a[k], b[k], "{k}");
    }
    let shape = |dir: &Path| {
        rows(
            &Database::open(dir).unwrap(),
            &format!(
                "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                 a.attidentity, a.attgenerated, (SELECT string_agg(conname || ':' || contype::text, ',' ORDER BY conname) \
                 FROM pg_constraint k WHERE k.conrelid = c.oid), (SELECT string_agg(x.relname, ',' ORDER BY x.relname) \
                 FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid WHERE i.indrelid = c.oid) \
                 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
                 WHERE c.relkind IN ('r', 'v') AND c.relnamespace IN {USER} AND a.attnum > 0 ORDER BY 1, 2"
            ),
        )
    };
    assert_eq!(shape(&src), shape(&back));

    let n = ok(&pg.psql(
        "rich",
        &[
            "-At",
            "-c",
            "SELECT count(*) FROM pg_constraint WHERE connamespace = 'app'::regnamespace",
        ],
    ));
    let b = rows(
        &Database::open(&src).unwrap(),
        "SELECT count(*) FROM pg_constraint WHERE connamespace = 'app'::regnamespace",
    );
    assert_eq!(n.trim(), b[0]);
}

/// The rows of `table` in a script's COPY block.
fn copy_block(script: &str, table: &str) -> Vec<String> {
    let start = format!("COPY {table} ");
    let mut lines = script.lines().skip_while(|l| !l.starts_with(&start));
    lines.next();
    lines
        .take_while(|l| *l != "\\.")
        .map(str::to_string)
        .collect()
}

#[test]
fn dump_of_a_busy_server_is_one_point_in_time() {
    let server = common::Server::start();
    server.sql(
        "CREATE SEQUENCE s; CREATE TABLE a (id bigint, v text); CREATE TABLE b (a_id bigint); \
         CREATE TABLE c (n int); INSERT INTO c VALUES (0); \
         INSERT INTO a SELECT nextval('s'), 'x' FROM generate_series(1, 200); INSERT INTO b SELECT id FROM a",
    );
    let dir = tempfile::tempdir().unwrap();
    // Writers: each transaction adds a row to a and b and counts it in c.
    let script = dir.path().join("writer.sql");
    std::fs::write(
        &script,
        "BEGIN;\nINSERT INTO a VALUES (nextval('s'), 'y');\nINSERT INTO b VALUES (currval('s'));\n\
         UPDATE c SET n = n + 1;\nCOMMIT;\n",
    )
    .unwrap();
    let writers = Command::new(common::pg_bin("pgbench"))
        .args([
            "-n",
            "-h",
            "127.0.0.1",
            "-p",
            &server.port.to_string(),
            "-U",
            "basalt",
        ])
        .args(["-c", "2", "-T", "6", "-f", p(&script), "basalt"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let count = || {
        server
            .sql("SELECT count(*) FROM a")
            .trim()
            .parse::<usize>()
            .unwrap()
    };
    let start = std::time::Instant::now();
    while count() < 250 {
        assert!(start.elapsed().as_secs() < 30, "the writers did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let url = format!("postgres://basalt@127.0.0.1:{}/basalt", server.port);
    let dump = ok(&basalt(&["dump", &url]));
    let after_dump = count();
    let w = writers.wait_with_output().unwrap();
    assert!(w.status.success(), "{}", String::from_utf8_lossy(&w.stderr));
    let a = copy_block(&dump, "public.a");
    let b = copy_block(&dump, "public.b");
    let c = copy_block(&dump, "public.c");
    // One point in time: the same transactions in a and b, counted in c.
    let ids = |v: &[String]| {
        let mut i: Vec<String> = v
            .iter()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect();
        i.sort();
        i
    };
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(c, [(a.len() - 200).to_string()]);
    // The writers went on while the snapshot was open: not blocked by it.
    assert!(a.len() >= 250, "{}", a.len());
    assert!(
        after_dump > a.len(),
        "{after_dump} rows after the dump, {} in it",
        a.len()
    );
    // The dump restores.
    let f = dir.path().join("busy.sql");
    std::fs::write(&f, &dump).unwrap();
    let restored = dir.path().join("restored");
    ok(&basalt(&["restore", p(&restored), "-f", p(&f)]));
    let db = Database::open(&restored).unwrap();
    assert_eq!(rows(&db, "SELECT count(*) FROM a"), [a.len().to_string()]);
}

#[test]
fn restore_reads_standard_input_and_reports_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_basalt"))
        .args(["restore", p(&db), "--single-transaction"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut i = child.stdin.take().unwrap();
        i.write_all(
            b"CREATE TABLE t (a int, b text);\nCOPY t (a, b) FROM stdin;\n1\tx\n2\t\\N\n\\.\nSELECT 1;\n",
        )
        .unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let d = Database::open(&db).unwrap();
    assert_eq!(
        rows(&d, "SELECT a, b FROM t ORDER BY a"),
        ["1|x", "2|<NULL>"]
    );
    drop(d);
    // Invalid UTF-8 and a script that is not there: errors, no panic.
    let f = dir.path().join("bad.sql");
    std::fs::write(&f, b"-- Basalt database dump\nSELECT '\xff';\n").unwrap();
    let o = basalt(&["restore", p(&db), "-f", p(&f)]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 2"), "{err}");
    let o = basalt(&["restore", p(&db), "-f", p(&dir.path().join("nope.sql"))]);
    assert!(!o.status.success());
    // A failed dump leaves an earlier file as it was, and no partial one.
    let earlier = dir.path().join("earlier.sql");
    std::fs::write(&earlier, "-- earlier\n").unwrap();
    let o = basalt(&["dump", p(&db), "-t", "nope", "-o", p(&earlier)]);
    assert!(!o.status.success());
    assert_eq!(std::fs::read_to_string(&earlier).unwrap(), "-- earlier\n");
    assert!(!dir.path().join(".earlier.sql.partial").exists());
    // A dump to a file that cannot be written fails.
    let o = basalt(&["dump", p(&db), "-o", p(&dir.path().join("no/such/dir.sql"))]);
    assert!(!o.status.success());
}
