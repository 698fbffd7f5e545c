//! `basalt import` and `basalt export` as a user runs them: round trips with awkward data
//! (CSV, JSON lines, SQLite), bad inputs with their reject files, `--max-errors`, and
//! resuming after a stop and after a crash.

#![allow(clippy::unwrap_used)] // the shared server helper unwraps

mod common;

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

type R = Result<(), Box<dyn Error>>;
type Rows = Vec<Vec<Option<String>>>;

fn basalt(args: &[&str]) -> Result<Output, Box<dyn Error>> {
    Ok(Command::new(env!("CARGO_BIN_EXE_basalt"))
        .args(args)
        .output()?)
}

fn ok(args: &[&str]) -> Result<Output, Box<dyn Error>> {
    let o = basalt(args)?;
    if !o.status.success() {
        return Err(format!(
            "basalt {args:?} failed: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
        .into());
    }
    Ok(o)
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

/// Runs SQL in the database directory (opened and closed again, so the command can open it).
fn sql(db: &Path, q: &str) -> Result<Rows, Box<dyn Error>> {
    let d = basalt::Database::open(db)?;
    let r = d.execute(q)?;
    Ok(r.into_iter().last().map(|r| r.rows).unwrap_or_default())
}

fn one(db: &Path, q: &str) -> Result<String, Box<dyn Error>> {
    Ok(sql(db, q)?
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .unwrap_or_default())
}

/// Asserts equal rows, printing only the first difference (values may be megabytes).
fn same(got: &Rows, want: &Rows) {
    assert_eq!(got.len(), want.len(), "row counts differ");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        for (j, (a, b)) in g.iter().zip(w).enumerate() {
            let short =
                |v: &Option<String>| v.as_ref().map(|v| v.chars().take(80).collect::<String>());
            assert!(
                a == b,
                "row {i} column {j}: {:?} != {:?}",
                short(a),
                short(b)
            );
        }
        assert_eq!(g.len(), w.len(), "row {i}: column counts differ");
    }
}

fn s(db: &Path) -> &str {
    db.to_str().unwrap_or_default()
}

struct Dirs {
    _tmp: tempfile::TempDir,
    db: PathBuf,
    dir: PathBuf,
}

fn dirs() -> Result<Dirs, Box<dyn Error>> {
    let tmp = tempfile::tempdir()?;
    Ok(Dirs {
        db: tmp.path().join("db"),
        dir: tmp.path().to_path_buf(),
        _tmp: tmp,
    })
}

const AWKWARD: &str = "CREATE TABLE src (id int PRIMARY KEY, t text, n numeric, j jsonb, \
    ts timestamptz, b boolean, f double precision); \
    INSERT INTO src VALUES \
    (1, 'plain', 1.5, '{\"a\": [1, 2]}', '2024-01-02 03:04:05+00', true, 1e300), \
    (2, 'quote \" and comma , and semicolon ;', -0.001, '\"str\"', NULL, false, -2.5), \
    (3, E'new\\nline and\\r\\ncrlf and \\ttab and back\\\\slash', NULL, '0', '1999-12-31 23:59:59.5+00', NULL, NULL), \
    (4, '', 0, '[]', NULL, NULL, 0), \
    (5, NULL, NULL, NULL, NULL, NULL, NULL), \
    (6, 'NULL', 7, '{}', NULL, true, 3), \
    (7, 'ünïcødé ✓ 日本語 🎉', 12345678901234567890.123, '{\"k\": \"ü\"}', NULL, NULL, 0.1), \
    (8, repeat(E'ab,\"\\n;x', 750000), 1, NULL, NULL, NULL, NULL)";

const SAME: &str = "(id int PRIMARY KEY, t text, n numeric, j jsonb, ts timestamptz, \
    b boolean, f double precision)";

#[test]
fn csv_round_trip_with_awkward_data() -> R {
    let d = dirs()?;
    sql(&d.db, AWKWARD)?;
    assert!(one(&d.db, "SELECT length(t) FROM src WHERE id = 8")?.parse::<usize>()? >= 5_000_000);
    sql(
        &d.db,
        &format!("CREATE TABLE dst {SAME}; CREATE TABLE dst2 {SAME}"),
    )?;
    let csv = d.dir.join("out.csv");
    let csv_s = csv.to_str().unwrap_or_default();
    ok(&["export", s(&d.db), "--table", "src", "-o", csv_s])?;
    let head = std::fs::read_to_string(&csv)?;
    assert!(head.starts_with("id,t,n,j,ts,b,f\n"), "{}", &head[..40]);
    ok(&[
        "import",
        s(&d.db),
        "--table",
        "dst",
        csv_s,
        "--batch-size",
        "3",
    ])?;
    // Another dialect: semicolons, a NULL string that also occurs as a value, no header.
    let csv2 = d.dir.join("out2.txt");
    let csv2_s = csv2.to_str().unwrap_or_default();
    ok(&[
        "export",
        s(&d.db),
        "--query",
        "SELECT * FROM src ORDER BY id;",
        "-o",
        csv2_s,
        "--delimiter",
        ";",
        "--null",
        "NULL",
        "--no-header",
    ])?;
    ok(&[
        "import",
        s(&d.db),
        "-t",
        "dst2",
        csv2_s,
        "--format",
        "csv",
        "--delimiter",
        ";",
        "--null",
        "NULL",
        "--no-header",
    ])?;
    let want = sql(&d.db, "SELECT * FROM src ORDER BY id")?;
    assert_eq!(want.len(), 8);
    same(&sql(&d.db, "SELECT * FROM dst ORDER BY id")?, &want);
    same(&sql(&d.db, "SELECT * FROM dst2 ORDER BY id")?, &want);
    // NULL and the empty string stayed apart.
    assert_eq!(
        sql(&d.db, "SELECT id FROM dst2 WHERE t IS NULL")?,
        vec![vec![Some("5".to_string())]]
    );
    assert_eq!(one(&d.db, "SELECT t FROM dst2 WHERE id = 6")?, "NULL");
    Ok(())
}

#[test]
fn jsonl_round_trip_and_create() -> R {
    let d = dirs()?;
    sql(&d.db, AWKWARD)?;
    sql(&d.db, &format!("CREATE TABLE dst {SAME}"))?;
    let f = d.dir.join("out.jsonl");
    let f_s = f.to_str().unwrap_or_default();
    ok(&["export", s(&d.db), "-t", "src", "-o", f_s])?;
    let first = std::fs::read_to_string(&f)?
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    // Numbers and booleans bare, jsonb embedded.
    assert!(
        first.starts_with("{\"id\":1,\"t\":\"plain\",\"n\":1.5,\"j\":{\"a\": [1, 2]}"),
        "{first}"
    );
    ok(&["import", s(&d.db), "-t", "dst", f_s])?;
    same(
        &sql(&d.db, "SELECT * FROM dst ORDER BY id")?,
        &sql(&d.db, "SELECT * FROM src ORDER BY id")?,
    );
    // --create infers the types from the objects.
    ok(&["import", s(&d.db), "-t", "made", "--create", f_s])?;
    let types = sql(
        &d.db,
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute \
         WHERE attrelid = 'made'::regclass AND attnum > 0 ORDER BY attnum",
    )?;
    let types: Vec<(String, String)> = types
        .into_iter()
        .map(|r| {
            (
                r[0].clone().unwrap_or_default(),
                r[1].clone().unwrap_or_default(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("id", "bigint"),
        ("t", "text"),
        ("n", "numeric"),
        ("j", "jsonb"),
        ("ts", "timestamp with time zone"),
        ("b", "boolean"),
        ("f", "double precision"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(types, want);
    same(
        &sql(&d.db, "SELECT id, t, n, j, ts, b FROM made ORDER BY id")?,
        &sql(&d.db, "SELECT id, t, n, j, ts, b FROM src ORDER BY id")?,
    );
    Ok(())
}

#[test]
fn csv_create_infers_types_and_takes_overrides() -> R {
    let d = dirs()?;
    let f = d.dir.join("x.csv");
    std::fs::write(
        &f,
        "a,b,c,d,e,g,h\n1,2.5,2024-01-01,2024-01-01 10:00:00,true,\"{\"\"x\"\":1}\",hello\n\
         2,3,2024-02-01,2024-01-01,f,[],\n,,,,,,\n",
    )?;
    ok(&[
        "import",
        s(&d.db),
        "-t",
        "x",
        "--create",
        "--types",
        "b=numeric(10,2),h=varchar(10)",
        f.to_str().unwrap_or_default(),
    ])?;
    let t = sql(
        &d.db,
        "SELECT string_agg(format_type(atttypid, atttypmod), ',' ORDER BY attnum) \
         FROM pg_attribute WHERE attrelid = 'x'::regclass AND attnum > 0",
    )?;
    assert_eq!(
        t[0][0].as_deref(),
        Some(
            "bigint,numeric(10,2),date,timestamp without time zone,boolean,jsonb,character varying(10)"
        )
    );
    assert_eq!(
        one(
            &d.db,
            "SELECT count(*) FROM x WHERE a IS NULL AND h IS NULL"
        )?,
        "1"
    );
    Ok(())
}

#[test]
fn sqlite_round_trip_with_keys_and_indexes() -> R {
    let d = dirs()?;
    let f = d.dir.join("app.sqlite");
    {
        let c = rusqlite::Connection::open(&f)?;
        c.execute_batch(
            "CREATE TABLE Users (id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL, \
               name VARCHAR(40), score REAL, active BOOLEAN, born DATE, seen DATETIME, \
               avatar BLOB, balance DECIMAL(10,2));
             CREATE TABLE orders (user_id INTEGER, item TEXT, qty INTEGER, note, \
               PRIMARY KEY (user_id, item)) WITHOUT ROWID;
             CREATE INDEX orders_item_qty ON orders (item, qty DESC);
             CREATE UNIQUE INDEX users_name_born ON users (name, born);
             CREATE TABLE empty (x INT);
             INSERT INTO users VALUES (1, 'a@x', 'Ann', 1.25, 1, '1990-05-01', \
               '2024-01-01 10:00:00', x'00ff10', 10.5);
             INSERT INTO users VALUES (2, 'b@x', NULL, NULL, 0, NULL, NULL, NULL, 3);
             INSERT INTO users VALUES (3, 'c@x', 'Cé ✓', -1e-5, NULL, '2000-02-29', NULL, \
               x'', NULL);
             INSERT INTO orders VALUES (1, 'pen', 3, 'n'), (1, 'ink', 1, NULL), \
               (2, 'pen', 5, 42);",
        )?;
    }
    let out = ok(&["import", s(&d.db), f.to_str().unwrap_or_default()])?;
    assert!(
        text(&out.stdout).contains("imported 6 rows"),
        "{}",
        text(&out.stdout)
    );
    let types = sql(
        &d.db,
        "SELECT attrelid::regclass::text || '.' || attname || ' ' || \
         format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' not null' ELSE '' END \
         FROM pg_attribute WHERE attrelid IN ('users'::regclass, 'orders'::regclass) \
         AND attnum > 0 ORDER BY attrelid::regclass::text, attnum",
    )?;
    let types: Vec<String> = types.into_iter().filter_map(|r| r[0].clone()).collect();
    assert_eq!(
        types,
        [
            "orders.user_id bigint not null",
            "orders.item text not null",
            "orders.qty bigint",
            "orders.note text",
            "users.id bigint not null",
            "users.email text not null",
            "users.name text",
            "users.score double precision",
            "users.active boolean",
            "users.born date",
            "users.seen timestamp without time zone",
            "users.avatar bytea",
            "users.balance numeric",
        ]
    );
    assert_eq!(
        sql(
            &d.db,
            "SELECT id, email, name, score, active, born, seen, encode(avatar, 'hex'), balance \
             FROM users ORDER BY id"
        )?,
        vec![
            vec![
                Some("1".into()),
                Some("a@x".into()),
                Some("Ann".into()),
                Some("1.25".into()),
                Some("t".into()),
                Some("1990-05-01".into()),
                Some("2024-01-01 10:00:00".into()),
                Some("00ff10".into()),
                Some("10.5".into()),
            ],
            vec![
                Some("2".into()),
                Some("b@x".into()),
                None,
                None,
                Some("f".into()),
                None,
                None,
                None,
                Some("3".into()),
            ],
            vec![
                Some("3".into()),
                Some("c@x".into()),
                Some("Cé ✓".into()),
                Some("-1e-05".into()),
                None,
                Some("2000-02-29".into()),
                None,
                Some("".into()),
                None,
            ],
        ]
    );
    assert_eq!(
        sql(
            &d.db,
            "SELECT user_id, item, qty, note FROM orders ORDER BY 1, 2"
        )?,
        vec![
            vec![Some("1".into()), Some("ink".into()), Some("1".into()), None],
            vec![
                Some("1".into()),
                Some("pen".into()),
                Some("3".into()),
                Some("n".into())
            ],
            vec![
                Some("2".into()),
                Some("pen".into()),
                Some("5".into()),
                Some("42".into())
            ],
        ]
    );
    let idx = sql(
        &d.db,
        "SELECT indexdef FROM pg_indexes WHERE tablename IN ('users', 'orders') ORDER BY indexname",
    )?;
    let idx: Vec<String> = idx.into_iter().filter_map(|r| r[0].clone()).collect();
    for want in [
        "CREATE INDEX orders_item_qty ON public.orders USING btree (item, qty DESC)",
        "CREATE UNIQUE INDEX users_email_key ON public.users USING btree (email)",
        "CREATE UNIQUE INDEX users_name_born ON public.users USING btree (name, born)",
    ] {
        assert!(idx.iter().any(|i| i == want), "{want} not in {idx:?}");
    }
    assert!(
        idx.iter().filter(|i| i.contains("_pkey")).count() == 2,
        "{idx:?}"
    );
    // The keys are enforced.
    let dup = basalt::Database::open(&d.db)?
        .execute("INSERT INTO users (id, email) VALUES (9, 'a@x')")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(dup.contains("duplicate key"), "{dup}");
    assert_eq!(one(&d.db, "SELECT count(*) FROM empty")?, "0");
    // Picking one table; and a file that is not a database.
    ok(&[
        "import",
        s(&d.db.with_extension("2")),
        "--table",
        "ORDERS",
        f.to_str().unwrap_or_default(),
    ])?;
    assert_eq!(
        one(&d.db.with_extension("2"), "SELECT count(*) FROM orders")?,
        "3"
    );
    assert_eq!(
        one(
            &d.db.with_extension("2"),
            "SELECT to_regclass('users') IS NULL"
        )?,
        "t"
    );
    let junk = d.dir.join("junk.db");
    std::fs::write(
        &junk,
        "this is not a database, just some text\n".repeat(200),
    )?;
    let o = basalt(&["import", s(&d.db), junk.to_str().unwrap_or_default()])?;
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("junk.db is not a SQLite database"),
        "{}",
        text(&o.stderr)
    );
    Ok(())
}

#[test]
fn bad_csv_rows_go_to_the_reject_file() -> R {
    let d = dirs()?;
    sql(
        &d.db,
        "CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL)",
    )?;
    let f = d.dir.join("bad.csv");
    let mut bytes = b"id,v\n1,one\n2,two,extra\n3,\"th\xffree\"\n4,four\n4,dup\nx,notint\n5,\n6,\"six\nlines\"\n7,\"unterminated\n8,eight\n".to_vec();
    let f_s = f.to_str().unwrap_or_default();
    std::fs::write(&f, &bytes)?;
    // The default (--max-errors 0) stops at the first bad row, naming its line; nothing of
    // that batch is committed.
    let o = basalt(&["import", s(&d.db), "-t", "t", f_s])?;
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(err.contains("line 3: expected 2 fields, found 3"), "{err}");
    assert_eq!(one(&d.db, "SELECT count(*) FROM t")?, "0");
    let rej = d.dir.join("rej.txt");
    let out = ok(&[
        "import",
        s(&d.db),
        "-t",
        "t",
        f_s,
        "--reject",
        rej.to_str().unwrap_or_default(),
        "--max-errors",
        "10",
        "--restart",
    ])?;
    assert!(
        text(&out.stdout).contains("imported 3 rows, rejected 6"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        sql(&d.db, "SELECT id, v FROM t ORDER BY id")?,
        vec![
            vec![Some("1".into()), Some("one".into())],
            vec![Some("4".into()), Some("four".into())],
            vec![Some("6".into()), Some("six\nlines".into())],
        ]
    );
    let r = std::fs::read_to_string(&rej)?;
    let want = "line 3: expected 2 fields, found 3\n> 2,two,extra\n\
        line 4: invalid byte sequence for encoding \"UTF8\": 0xff (line 4)\n> 3,\"th\u{fffd}ree\"\n\
        line 6: 23505: duplicate key value violates unique constraint \"t_pkey\" (DETAIL: Key (id)=(4) already exists.)\n> 4,dup\n\
        line 7: 22P02: invalid input syntax for type integer: \"x\" (column id: \"x\")\n> x,notint\n\
        line 8: 23502: null value in column \"v\" of relation \"t\" violates not-null constraint (DETAIL: Failing row contains (5, null).)\n> 5,\n\
        line 11: unterminated quoted field (the quote opened on line 11 is never closed)\n> 7,\"unterminated\n> 8,eight\n";
    assert_eq!(r, want);
    // Invalid UTF-8 further down stops a default import with its line number.
    bytes = b"id,v\n10,a\n11,b\n12,\"multi\nline \xc3\x28\"\n".to_vec();
    std::fs::write(&f, &bytes)?;
    let o = basalt(&["import", s(&d.db), "-t", "t", f_s, "--restart"])?;
    let err = text(&o.stderr);
    assert!(
        err.contains("line 4: invalid byte sequence for encoding \"UTF8\": 0xc3 (line 5)"),
        "{err}"
    );
    Ok(())
}

#[test]
fn bad_json_lines_and_max_errors() -> R {
    let d = dirs()?;
    sql(&d.db, "CREATE TABLE j (id int, doc jsonb, tags text)")?;
    let f = d.dir.join("in.jsonl");
    std::fs::write(
        &f,
        b"{\"id\": 1, \"doc\": {\"a\": [1, {\"b\": null}]}, \"tags\": \"x\"}\n\
          {\"id\": 2, \"doc\": \n\
          [1, 2]\n\
          \n\
          {\"id\": 3, \"nope\": 1}\n\
          {\"id\": \"three\"}\n\
          {\"id\": 4, \"tags\": \"\xfe\"}\n\
          {\"id\": 5, \"doc\": [], \"tags\": null}\n",
    )?;
    let f_s = f.to_str().unwrap_or_default();
    let rej = d.dir.join("rej.txt");
    let rej_s = rej.to_str().unwrap_or_default();
    // Five bad lines: four allowed is too few.
    let o = basalt(&[
        "import",
        s(&d.db),
        "-t",
        "j",
        f_s,
        "--reject",
        rej_s,
        "--max-errors",
        "4",
    ])?;
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("more than 4 rejected row(s)"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(one(&d.db, "SELECT count(*) FROM j")?, "0");
    ok(&[
        "import",
        s(&d.db),
        "-t",
        "j",
        f_s,
        "--reject",
        rej_s,
        "--max-errors",
        "5",
        "--restart",
    ])?;
    assert_eq!(
        sql(&d.db, "SELECT id, doc::text, tags FROM j ORDER BY id")?,
        vec![
            vec![
                Some("1".into()),
                Some("{\"a\": [1, {\"b\": null}]}".into()),
                Some("x".into())
            ],
            vec![Some("5".into()), Some("[]".into()), None],
        ]
    );
    let r = std::fs::read_to_string(&rej)?;
    let lines: Vec<&str> = r.lines().filter(|l| !l.starts_with("> ")).collect();
    assert_eq!(lines.len(), 5, "{r}");
    assert!(
        lines[0].starts_with("line 2: invalid JSON: EOF while parsing"),
        "{r}"
    );
    assert_eq!(lines[1], "line 3: not a JSON object");
    assert_eq!(
        lines[2],
        "line 5: key \"nope\" names no column of the table"
    );
    assert!(
        lines[3].starts_with("line 6: 22P02: invalid input syntax for type integer: \"three\""),
        "{r}"
    );
    assert_eq!(
        lines[4],
        "line 7: invalid byte sequence for encoding \"UTF8\": 0xfe"
    );
    Ok(())
}

fn numbered(n: usize, bad: Option<usize>) -> String {
    let mut s = String::from("id,v\n");
    for i in 1..=n {
        if Some(i) == bad {
            s.push_str("oops,bad\n");
        } else {
            s.push_str(&format!("{i},value {i}\n"));
        }
    }
    s
}

#[test]
fn resume_after_a_stop_imports_each_row_once() -> R {
    let d = dirs()?;
    sql(&d.db, "CREATE TABLE t (id int, v text)")?; // no key: a double import would show
    let f = d.dir.join("n.csv");
    let f_s = f.to_str().unwrap_or_default();
    std::fs::write(&f, numbered(1000, Some(349)))?;
    let o = basalt(&["import", s(&d.db), "-t", "t", f_s, "--batch-size", "100"])?;
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(err.contains("line 350: 22P02"), "{err}");
    assert!(
        err.contains("the batch from line 302 was rolled back; 300 rows were committed"),
        "{err}"
    );
    assert_eq!(one(&d.db, "SELECT count(*) FROM t")?, "300");
    // Without --resume an unfinished import is not started again by mistake.
    let o = basalt(&["import", s(&d.db), "-t", "t", f_s, "--batch-size", "100"])?;
    assert!(
        text(&o.stderr).contains("pass --resume"),
        "{}",
        text(&o.stderr)
    );
    // A change before the committed point is refused; the fix after it is taken.
    std::fs::write(
        &f,
        numbered(1000, Some(349)).replacen("1,value 1", "1,value X", 1),
    )?;
    let o = basalt(&["import", s(&d.db), "-t", "t", f_s, "--resume"])?;
    assert!(
        text(&o.stderr).contains("changed before line 302"),
        "{}",
        text(&o.stderr)
    );
    std::fs::write(&f, numbered(1000, None))?;
    let o = ok(&[
        "import",
        s(&d.db),
        "-t",
        "t",
        f_s,
        "--resume",
        "--batch-size",
        "100",
    ])?;
    assert!(
        text(&o.stdout).contains("imported 1000 rows"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(
        sql(
            &d.db,
            "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM t"
        )?,
        vec![vec![
            Some("1000".into()),
            Some("1000".into()),
            Some("1".into()),
            Some("1000".into())
        ]]
    );
    // Done: resuming again adds nothing.
    ok(&["import", s(&d.db), "-t", "t", f_s, "--resume"])?;
    assert_eq!(one(&d.db, "SELECT count(*) FROM t")?, "1000");
    Ok(())
}

#[test]
fn resume_after_a_crash_imports_each_row_once() -> R {
    let d = dirs()?;
    let f = d.dir.join("n.jsonl");
    let f_s = f.to_str().unwrap_or_default();
    let mut s_ = String::new();
    for i in 1..=1000 {
        s_.push_str(&format!("{{\"id\": {i}, \"v\": \"value {i}\"}}\n"));
    }
    std::fs::write(&f, s_)?;
    // The process ends right after its third commit, running no destructors.
    let o = Command::new(env!("CARGO_BIN_EXE_basalt"))
        .args([
            "import",
            s(&d.db),
            "-t",
            "t",
            "--create",
            f_s,
            "--batch-size",
            "100",
        ])
        .env("BASALT_IMPORT_ABORT_AFTER_BATCHES", "3")
        .output()?;
    assert_eq!(o.status.code(), Some(86), "{}", text(&o.stderr));
    assert_eq!(one(&d.db, "SELECT count(*) FROM t")?, "300");
    ok(&[
        "import",
        s(&d.db),
        "-t",
        "t",
        f_s,
        "--resume",
        "--batch-size",
        "100",
    ])?;
    assert_eq!(
        sql(&d.db, "SELECT count(*), count(DISTINCT id) FROM t")?,
        vec![vec![Some("1000".into()), Some("1000".into())]]
    );
    Ok(())
}

#[test]
fn help_has_examples_and_format_is_guessed() -> R {
    let o = ok(&["import", "--help"])?;
    assert!(text(&o.stdout).contains("basalt import ./db --table sales sales.csv"));
    let o = ok(&["export", "--help"])?;
    assert!(text(&o.stdout).contains("basalt export ./db --table sales -o sales.csv"));
    let d = dirs()?;
    let f = d.dir.join("x.parquet");
    std::fs::write(&f, "x")?;
    let o = basalt(&[
        "import",
        s(&d.db),
        "-t",
        "t",
        f.to_str().unwrap_or_default(),
    ])?;
    assert!(
        text(&o.stderr).contains("cannot tell the format"),
        "{}",
        text(&o.stderr)
    );
    Ok(())
}

#[test]
fn a_wrong_statement_rejects_no_rows() -> R {
    let d = dirs()?;
    sql(&d.db, "CREATE TABLE t (id int)")?;
    let f = d.dir.join("x.csv");
    std::fs::write(&f, "id,nope\n1,2\n3,4\n")?;
    let rej = d.dir.join("rej.txt");
    let o = basalt(&[
        "import",
        s(&d.db),
        "-t",
        "t",
        f.to_str().unwrap_or_default(),
        "--max-errors",
        "100",
        "--reject",
        rej.to_str().unwrap_or_default(),
    ])?;
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(
        err.contains("42703: column \"nope\" of relation \"t\" does not exist"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&rej)?, "");
    // A view exports like a table.
    sql(
        &d.db,
        "INSERT INTO t VALUES (1), (2); CREATE VIEW v AS SELECT id * 10 AS x FROM t",
    )?;
    let o = ok(&["export", s(&d.db), "-t", "v"])?;
    assert_eq!(text(&o.stdout), "x\n10\n20\n");
    Ok(())
}

/// `dir` as a URL's host (percent-encoded).
fn url_host(dir: &Path) -> String {
    dir.to_str()
        .unwrap_or_default()
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                char::from(b).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// Import and export through a server at `url`, checking with `run` (psql there): the
/// refused rows are found by the server's own `COPY t, line N` context.
fn over_a_server(url: &str, run: &dyn Fn(&str) -> String) -> R {
    let d = dirs()?;
    run("CREATE TABLE imp (id int PRIMARY KEY, v text)");
    let f = d.dir.join("x.csv");
    let mut text_ = String::from("id,v\n");
    for i in 1..=300 {
        match i {
            120 => text_.push_str("oops,bad\n"),
            250 => text_.push_str("7,dup\n"),
            _ => text_.push_str(&format!("{i},\"v, {i}\"\n")),
        }
    }
    std::fs::write(&f, text_)?;
    let rej = d.dir.join("rej.txt");
    let out = ok(&[
        "import",
        url,
        "-t",
        "imp",
        f.to_str().unwrap_or_default(),
        "--batch-size",
        "100",
        "--max-errors",
        "5",
        "--reject",
        rej.to_str().unwrap_or_default(),
    ])?;
    assert!(
        text(&out.stdout).contains("imported 298 rows, rejected 2"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(run("SELECT count(*), sum(id) FROM imp").trim(), "298|44780");
    let r = std::fs::read_to_string(&rej)?;
    assert!(
        r.starts_with("line 121: 22P02: invalid input syntax for type integer: \"oops\""),
        "{r}"
    );
    assert!(r.contains("line 251: 23505: duplicate key value"), "{r}");
    let out = ok(&[
        "export",
        url,
        "--query",
        "SELECT * FROM imp WHERE id < 3 ORDER BY id",
    ])?;
    assert_eq!(text(&out.stdout), "id,v\n1,\"v, 1\"\n2,\"v, 2\"\n");
    let out = ok(&[
        "export",
        url,
        "--query",
        "SELECT * FROM imp WHERE id = 1",
        "--format",
        "jsonl",
    ])?;
    assert_eq!(text(&out.stdout), "{\"id\":1,\"v\":\"v, 1\"}\n");
    Ok(())
}

#[test]
fn import_and_export_through_basalt_serve() -> R {
    let s = common::Server::start();
    let url = format!("postgres://basalt@127.0.0.1:{}/basalt", s.port);
    over_a_server(&url, &|q| s.sql(q))
}

#[test]
fn import_and_export_through_postgresql() -> R {
    let Some(pg) = common::Pg::start() else {
        return Ok(());
    };
    let db = "basalt_import_test";
    let psql = |db: &str, q: &str| -> String {
        let o = pg
            .psql_socket()
            .args(["-d", db, "-v", "ON_ERROR_STOP=1", "-Atc", q])
            .output();
        o.map(|o| text(&o.stdout) + &text(&o.stderr))
            .unwrap_or_default()
    };
    psql("postgres", &format!("CREATE DATABASE {db}"));
    let url = format!(
        "postgres://postgres@{}:{}/{db}",
        url_host(pg.socket_dir()),
        pg.port
    );
    over_a_server(&url, &|q| psql(db, q))
}
