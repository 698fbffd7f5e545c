//! `basalt sql` as a user runs it: the built binary, its exit codes, output formats, scripts
//! with COPY data, and errors with the caret on stderr.

// The shared server helper unwraps freely.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn basalt(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_basalt"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run basalt");
    if let Some(mut i) = child.stdin.take() {
        i.write_all(stdin.as_bytes()).expect("write stdin");
    }
    // A hang fails the test instead of stalling the suite (outputs here are small enough
    // not to fill a pipe).
    let start = std::time::Instant::now();
    while child.try_wait().expect("poll basalt").is_none() {
        if start.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("basalt {args:?} did not finish in 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.wait_with_output().expect("wait for basalt")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `basalt sql` and returns (exit code, stdout, stderr).
fn sql(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut all = vec!["sql"];
    all.extend_from_slice(args);
    let o = basalt(&all, stdin);
    (
        o.status.code().unwrap_or(-1),
        text(&o.stdout),
        text(&o.stderr),
    )
}

#[test]
fn commands_print_as_psql_and_errors_exit_3() {
    let (code, out, err) = sql(
        &[
            ":memory:",
            "-c",
            "select 1 as a, 'hello' as b, null::text as c",
        ],
        "",
    );
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        " a |   b   | c \n---+-------+---\n 1 | hello | \n(1 row)\n\n"
    );

    let (code, out, err) = sql(&[":memory:", "-c", "select 1", "-c", "select nope"], "");
    assert_eq!(code, 3);
    assert!(out.contains("(1 row)"), "{out}");
    assert_eq!(
        err,
        "ERROR:  42703: column \"nope\" does not exist\nLINE 1: select nope\n               ^\n"
    );
}

#[test]
fn a_script_with_copy_data_persists_in_a_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("db");
    let db = db.to_str().expect("utf-8 path");
    let script = dir.path().join("load.sql");
    std::fs::write(
        &script,
        "-- a schema and its data\n\
         create table t (id int primary key, v text);\n\
         copy t (id, v) from stdin;\n\
         1\tone\n\
         2\t\\N\n\
         3\tthree; not a statement\n\
         \\.\n\
         insert into t values (4, 'four') returning id;\n",
    )
    .expect("write script");
    let script = script.to_str().expect("utf-8 path");
    let (code, out, err) = sql(&[db, "-f", script], "");
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        "CREATE TABLE\nCOPY 3\n id \n----\n  4\n(1 row)\n\nINSERT 0 1\n"
    );
    // A second run sees the rows; csv output.
    let (code, out, _) = sql(
        &[db, "--format", "csv", "-c", "select * from t order by id"],
        "",
    );
    assert_eq!(code, 0);
    assert_eq!(out, "id,v\n1,one\n2,\n3,three; not a statement\n4,four\n");
    // COPY TO STDOUT prints the data without its tag.
    let (_, out, _) = sql(&[db, "-c", "copy t to stdout with (format csv)"], "");
    assert_eq!(out, "1,one\n2,\n3,three; not a statement\n4,four\n");
    // COPY FROM STDIN in -c reads stdin.
    let (code, out, err) = sql(&[db, "-c", "copy t from stdin"], "5\tfive\n\\.\n");
    assert_eq!((code, out.as_str(), err.as_str()), (0, "COPY 1\n", ""));
}

#[test]
fn on_error_stop_and_continue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("s.sql");
    std::fs::write(
        &script,
        "select 1 as one;\nselect 1,\n  nope;\nselect 2 as two;\n",
    )
    .expect("write script");
    let script = script.to_str().expect("utf-8 path");
    let (code, out, err) = sql(&[":memory:", "-f", script], "");
    assert_eq!(code, 3);
    assert!(out.contains("one") && !out.contains("two"), "{out}");
    assert_eq!(
        err,
        format!(
            "basalt:{script}:3: ERROR:  42703: column \"nope\" does not exist\nLINE 2:   nope;\n          ^\n"
        )
    );
    let (code, out, _) = sql(&[":memory:", "-f", script, "--on-error", "continue"], "");
    assert_eq!(code, 3);
    assert!(out.contains("one") && out.contains("two"), "{out}");
    // Without errors, continue exits 0.
    let (code, _, _) = sql(
        &[":memory:", "--on-error", "continue", "-c", "select 1"],
        "",
    );
    assert_eq!(code, 0);
}

#[test]
fn single_transaction_rolls_back_on_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("db");
    let db = db.to_str().expect("utf-8 path");
    let (code, _, _) = sql(
        &[
            db,
            "-1",
            "-c",
            "create table a (i int)",
            "-c",
            "select nope",
        ],
        "",
    );
    assert_eq!(code, 3);
    let (code, _, err) = sql(&[db, "-c", "select * from a"], "");
    assert_eq!(code, 3);
    assert!(err.contains("42P01"), "{err}");
    let (code, _, _) = sql(
        &[
            db,
            "--single-transaction",
            "-c",
            "create table a (i int)",
            "-c",
            "insert into a values (1)",
        ],
        "",
    );
    assert_eq!(code, 0);
    let (_, out, _) = sql(&[db, "-At", "-c", "select count(*) from a"], "");
    assert_eq!(out, "1\n");
}

#[test]
fn formats_and_flags() {
    let q = "select 1 as n, 'a|b' as s, null::int as z, true as t";
    let run = |args: &[&str]| {
        let mut a = vec![":memory:", "-c", q];
        a.extend_from_slice(args);
        let (code, out, err) = sql(&a, "");
        assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
        out
    };
    assert_eq!(
        run(&["--format", "unaligned"]),
        "n|s|z|t\n1|a|b||t\n(1 row)\n"
    );
    assert_eq!(run(&["-A", "-t"]), "1|a|b||t\n");
    assert_eq!(
        run(&["--format", "csv", "--null", "NULL"]),
        "n,s,z,t\n1,a|b,NULL,t\n"
    );
    assert_eq!(
        run(&["--format", "json"]),
        "[\n  {\"n\": 1, \"s\": \"a|b\", \"z\": null, \"t\": true}\n]\n"
    );
    assert_eq!(
        run(&["--format", "markdown"]),
        "| n   | s    | z   | t   |\n| --: | ---- | --: | --- |\n|   1 | a\\|b |     | t   |\n\n"
    );
    assert_eq!(
        run(&["-x", "--null", "(null)"]),
        "-[ RECORD 1 ]\nn | 1\ns | a|b\nz | (null)\nt | t\n\n"
    );
    assert_eq!(run(&["-t"]), " 1 | a|b |   | t\n\n");
    let (code, _, err) = sql(&[":memory:", "--format", "xml", "-c", "select 1"], "");
    assert_eq!(code, 2, "clap's usage error");
    assert!(err.contains("unknown format"), "{err}");
}

#[test]
fn meta_commands_in_scripts_from_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inc = dir.path().join("inc.sql");
    std::fs::write(&inc, "select 'included' as i;\n").expect("write include");
    let outfile = dir.path().join("o.txt");
    let script = format!(
        "\\pset format csv\n\
         select 1 as a;\n\
         \\echo 'hello  world'\n\
         \\o {}\n\
         select 2 as b;\n\
         \\echo to stdout\n\
         \\qecho to the file\n\
         \\o\n\
         \\i {}\n\
         \\timing on\n\
         select 3 as c \\g\n\
         \\q\n\
         select 4;\n",
        outfile.display(),
        inc.display()
    );
    let (code, out, err) = sql(&[":memory:", "-f", "-"], &script);
    assert_eq!((code, err.as_str()), (0, ""));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..8],
        [
            "Output format is csv.",
            "a",
            "1",
            "hello  world",
            "to stdout",
            "i",
            "included",
            "Timing is on."
        ]
    );
    assert_eq!(lines[8..10], ["c", "3"]);
    assert!(
        lines[10].starts_with("Time: ") && lines[10].ends_with(" ms"),
        "{out}"
    );
    assert_eq!(lines.len(), 11, "{out}");
    assert_eq!(
        std::fs::read_to_string(&outfile).expect("\\o file"),
        "b\n2\nto the file\n"
    );
    // The catalog commands work here too; one basalt sql cannot run (\e needs a terminal)
    // fails like a statement.
    let (code, out, _) = sql(&[":memory:"], "create table t (a int);\n\\dt\n");
    assert_eq!(code, 0);
    assert!(out.contains(" public | t    | table | basalt"), "{out}");
    let (code, _, err) = sql(&[":memory:"], "\\e\nselect 1;\n");
    assert_eq!(code, 3);
    assert!(err.contains("invalid command \\e"), "{err}");
}

#[test]
fn bad_inputs_exit_with_clear_messages() {
    let (code, _, err) = sql(&[":memory:", "-f", "/nonexistent/x.sql"], "");
    assert_eq!(code, 1);
    assert!(err.starts_with("basalt: /nonexistent/x.sql: "), "{err}");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("f");
    std::fs::write(&file, "x").expect("write");
    let not_a_dir = file.join("db");
    let (code, _, err) = sql(&[not_a_dir.to_str().expect("utf-8"), "-c", "select 1"], "");
    assert_eq!(code, 2);
    assert!(err.starts_with("basalt: ERROR:  "), "{err}");
    // Invalid UTF-8 in a script names its line.
    let bad = dir.path().join("bad.sql");
    std::fs::write(&bad, b"select 1;\nselect '\xff';\n").expect("write");
    let (code, out, err) = sql(&[":memory:", "-f", bad.to_str().expect("utf-8")], "");
    assert_eq!(code, 3);
    assert!(out.contains("(1 row)"), "{out}");
    assert!(
        err.contains("ERROR:  22021: invalid byte sequence for encoding \"UTF8\" in line 2"),
        "{err}"
    );
    // An unterminated quote at the end still runs (and fails) as psql does.
    let (code, _, err) = sql(&[":memory:"], "select 'abc\n");
    assert_eq!(code, 3);
    assert!(err.contains("ERROR:  42601"), "{err}");
}

/// A script of awkward values (NULLs, wide characters, newlines, tabs, numbers, RETURNING,
/// expanded, unaligned, csv, tuples only) whose output psql 15 and `basalt sql` must agree on.
const COMPARED: &str = "create table tt (id int primary key, name text, price numeric(10,2), f float8, b boolean, d date, note text);
insert into tt values (1, 'apple', 1.50, 0.1, true, '2024-01-02', null), (2, '日本', 10, -2.5e10, false, '1999-12-31', 'multi
line'), (3, 'tab	x', null, 1e-5, null, null, '');
select * from tt order by id;
select id, name from tt where id > 5;
select count(*), sum(price), avg(f) from tt;
update tt set note = 'x' where id = 3 returning id, note;
delete from tt where id = 3;
select name, length(name) from tt order by 1;
select nope from tt;
\\x
select * from tt order by id;
\\x
\\pset format unaligned
select * from tt order by id;
\\pset format csv
select * from tt order by id;
\\pset null NULL
\\pset format aligned
select * from tt order by id;
\\t
select * from tt order by id;
\\t
select from tt where false;
create table tt2 as select 1 as a;
drop table tt2;
drop table tt;
create temp table cc (i int);
copy cc from stdin;
1
x
\\.
select count(*) from cc;
";

fn url_host(dir: &Path) -> String {
    dir.to_str()
        .expect("utf-8 path")
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                char::from(b).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn a_server_prints_as_an_embedded_database() {
    let server = common::Server::start();
    let url = format!("postgres://basalt@127.0.0.1:{}/basalt", server.port);
    let remote = sql(&[&url, "--on-error", "continue", "-f", "-"], COMPARED);
    let embedded = sql(&[":memory:", "--on-error", "continue", "-f", "-"], COMPARED);
    assert_eq!(remote, embedded);
    assert_eq!(remote.0, 3, "one statement fails");
    assert!(
        remote.2.contains("ERROR:  42703: column \"nope\" does not exist\nLINE 1: select nope from tt;\n               ^\n"),
        "{}",
        remote.2
    );
    // Over a Unix-domain socket too, with COPY both ways.
    let sock = format!(
        "postgres://basalt@{}:{}/basalt",
        url_host(&server.data()),
        server.port
    );
    let (code, out, err) = sql(
        &[&sock, "-f", "-"],
        "create table c (i int, t text);\ncopy c from stdin;\n1\ta\n2\t\\N\n\\.\ncopy c to stdout;\n",
    );
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, "CREATE TABLE\nCOPY 2\n1\ta\n2\t\\N\n");
}

#[test]
fn output_matches_psql_against_the_reference_postgresql() {
    let Some(pg) = common::Pg::start() else {
        return;
    };
    let psql = pg
        .psql_socket()
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut psql) = psql else {
        eprintln!("skipped: no psql");
        return;
    };
    // Its own table name, so that a parallel run does not collide.
    let script = COMPARED.replace(" tt", " basalt_sql_cmp");
    psql.stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write");
    let p = psql.wait_with_output().expect("psql");
    let (_, out, err) = sql(&[":memory:", "--on-error", "continue", "-f", "-"], &script);
    assert_eq!(out, text(&p.stdout));
    // The messages are the same but for the program's name and the SQLSTATE.
    let psql_err = text(&p.stderr).replace("psql:<stdin>:", "basalt:<stdin>:");
    let without_code: String = err
        .lines()
        .map(|l| match l.find("ERROR:  ") {
            Some(i) if l.len() > i + 15 && &l[i + 13..i + 15] == ": " => {
                format!("{}{}\n", &l[..i + 8], &l[i + 15..])
            }
            _ => format!("{l}\n"),
        })
        .collect();
    assert_eq!(without_code, psql_err);
}

/// A script using psql's variables, `\gset`, `\if` and the special variables: compared
/// byte for byte with psql's output.
const VARS_COMPARED: &str = r#"\set a 1
\set b 'x y' z
\echo :a :b :'b' :"b" ':a' ":a" pre:a :nope :'nope' :"nope"
select :a + 1 as n, :'b' as s, ':a' as q, 1::int as c, $$:a$$ as d /* :a */ ; -- :a
select :'nope' as x;
\set q 'it''s \\ x'
\echo :'q' :"q"
select :'q' as lit, length(:'q') as len;
create temp table vv (id int, :"b" text);
insert into vv values (:a, :'b'), (2, 'two');
\echo :ROW_COUNT
select * from vv order by id;
\echo :ROW_COUNT :ERROR :SQLSTATE
select 5 as x, 'w' as y \gset p_
\echo :p_x :p_y
select 1 as v, null as w \gset
\echo :v :w
select id from vv where id > 5 \gset
select id from vv \gset
select 1/0;
\echo :ERROR :SQLSTATE :ROW_COUNT :LAST_ERROR_MESSAGE :LAST_ERROR_SQLSTATE
select 1 union select 2 order by 1;
\echo :ERROR :SQLSTATE :ROW_COUNT :LAST_ERROR_MESSAGE :LAST_ERROR_SQLSTATE
\if yes
\echo in-if
\elif true
\echo no
\else
\echo no2
\endif
\if off
select nope;
\echo skipped :a
  \if true
  \echo nested-skipped
  \endif
\elif :a
\echo elif-taken
\else
\echo no
\endif
\set t f
\if :t
\echo no
\else
\echo else-taken
\endif
select 1 as pending
\if false
, 2 as dropped
\endif
;
\set x 'select 3 as three;'
:x
\set y id, :'b'
select :y from vv order by 1;
\unset a
\echo :a
\set QUIET on
create temp table qq (i int);
\set QUIET off
drop table qq;
\set ECHO queries
select 2 as two;
\set ECHO none
\set AUTOCOMMIT off
create temp table ac (i int);
rollback;
select count(*) from pg_class where relname = 'ac';
\set AUTOCOMMIT on
\set ON_ERROR_STOP
\echo :ON_ERROR_STOP
\unset ON_ERROR_STOP
\echo :ON_ERROR_STOP
"#;

/// Runs `script` through psql on `pg` with `args`: (exit code, stdout, stderr).
fn psql_run(pg: &common::Pg, args: &[&str], script: &str) -> Option<(i32, String, String)> {
    let mut psql = pg
        .psql_socket()
        .args(args)
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    psql.stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write");
    let p = psql.wait_with_output().expect("psql");
    Some((
        p.status.code().unwrap_or(-1),
        text(&p.stdout),
        text(&p.stderr),
    ))
}

#[test]
fn variables_gset_and_if_match_psql() {
    let Some(pg) = common::Pg::start() else {
        return;
    };
    let Some((_, p_out, p_err)) = psql_run(&pg, &[], VARS_COMPARED) else {
        eprintln!("skipped: no psql");
        return;
    };
    let (code, out, err) = sql(
        &[":memory:", "-v", "ON_ERROR_STOP=0", "-f", "-"],
        VARS_COMPARED,
    );
    assert_eq!(out, p_out);
    // psql goes on (exit 0); basalt too, but says that something failed.
    assert_eq!(code, 3, "{err}");
    // The same messages, in the same places: SQL errors as psql's (without the SQLSTATE),
    // psql's own ("error: no rows returned for \gset") as basalt's client errors.
    let lines = |s: &str, program: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.starts_with(program))
            .map(|l| {
                l.split(": ")
                    .next()
                    .unwrap_or("")
                    .replace("psql:", "basalt:")
            })
            .collect()
    };
    assert_eq!(
        lines(&err, "basalt:"),
        lines(&p_err, "psql:"),
        "{err}\n----\n{p_err}"
    );
    assert!(err.contains("no rows returned for \\gset"), "{err}");
    assert!(
        err.contains("more than one row returned for \\gset"),
        "{err}"
    );
}

#[test]
fn on_error_stop_and_echo_errors_match_psql() {
    let Some(pg) = common::Pg::start() else {
        return;
    };
    let script = "\\set ECHO errors\nselect 1 as one;\nselect nope;\n\\set ECHO all\nselect 2 as two;\n\\echo hi\n\\set ON_ERROR_STOP on\nselect 1/0;\nselect 3 as never;\n";
    let Some((p_code, p_out, p_err)) = psql_run(&pg, &[], script) else {
        return;
    };
    let (code, out, err) = sql(&[":memory:", "--on-error", "continue", "-f", "-"], script);
    assert_eq!((code, out.as_str()), (p_code, p_out.as_str()));
    let strip = |s: &str| s.replace("psql:", "basalt:");
    let err: String = err
        .replace("ERROR:  42703: ", "ERROR:  ")
        .replace("ERROR:  22012: ", "ERROR:  ");
    assert_eq!(err, strip(&p_err));
    // -v ON_ERROR_STOP=1 on the command line wins over --on-error continue, as psql's -v.
    let script = "select 1 as one;\nselect nope;\nselect 2 as two;\n";
    let Some((p_code, p_out, _)) = psql_run(&pg, &["-v", "ON_ERROR_STOP=1"], script) else {
        return;
    };
    let (code, out, _) = sql(
        &[
            ":memory:",
            "--on-error",
            "continue",
            "--set",
            "ON_ERROR_STOP=1",
            "-f",
            "-",
        ],
        script,
    );
    assert_eq!((code, out), (p_code, p_out));
}

#[test]
fn variables_without_a_reference_server() {
    // \set alone lists them; -v sets them; errors for bad values and misplaced \else.
    let (code, out, err) = sql(
        &[
            ":memory:",
            "-v",
            "greeting=hello world",
            "-v",
            "n=2",
            "-f",
            "-",
        ],
        "\\echo :greeting :n\n\\set z 'a' b\n\\set\n\\set ON_ERROR_STOP maybe\n\\else\n\\if nope\n\\echo hidden\n\\endif\n\\if true\n",
    );
    assert_eq!(code, 3);
    assert!(out.starts_with("hello world 2\n"), "{out}");
    for line in [
        "AUTOCOMMIT = 'on'\n",
        "ON_ERROR_STOP = 'on'\n",
        "greeting = 'hello world'\n",
        "n = '2'\n",
        "z = 'ab'\n",
    ] {
        assert!(out.contains(line), "{line} in {out}");
    }
    assert!(!out.contains("hidden"), "{out}");
    assert!(
        err.contains("unrecognized value \"maybe\" for \"ON_ERROR_STOP\": Boolean expected"),
        "{err}"
    );
    // With ON_ERROR_STOP on (basalt's default), the first failing meta-command stops.
    assert!(!err.contains("\\else: no matching \\if"), "{err}");
    let (_, _, err) = sql(
        &[":memory:", "-v", "ON_ERROR_STOP=off", "-f", "-"],
        "\\else\n\\if nope\n\\endif\n\\if true\n",
    );
    assert!(err.contains("\\else: no matching \\if"), "{err}");
    assert!(
        err.contains("unrecognized value \"nope\" for \"\\if expression\": Boolean expected"),
        "{err}"
    );
    assert!(
        err.contains("reached EOF without finding closing \\endif(s)"),
        "{err}"
    );
    // A bad -v name.
    let (code, _, err) = sql(&[":memory:", "-v", "a b=1", "-c", "select 1"], "");
    assert_eq!(code, 1);
    assert!(err.contains("could not set variable \"a b\""), "{err}");
}

/// `\dT`, `\sf` and `\d+` on a sample schema, as psql 15 prints them (the commands that
/// show no owner or size, which differ between the two by nature).
const DESCRIBED: &str = r#"create type mood as enum ('sad', 'ok');
create domain posint as int check (value > 0);
create table t (id int primary key, name text not null default 'x', price numeric(10,2), m mood);
comment on column t.name is 'a name';
create index t_name on t (name);
create function add1(a int, b int default 1) returns int language sql immutable as $$ select a + b $$;
create function f2() returns int language sql begin atomic select 1; end;
\dT
\dT public.m*
\sf add1
\sf+ add1
\sf+ f2
\sf add1(int,int)
\d+ t
\d+ t_name
"#;

#[test]
fn describe_commands_match_psql() {
    let Some(pg) = common::Pg::start() else {
        return;
    };
    let Some((_, p_out, p_err)) = psql_run(&pg, &["-v", "ON_ERROR_STOP=1"], DESCRIBED) else {
        return;
    };
    assert_eq!(p_err, "");
    let (code, out, err) = sql(&[":memory:", "-f", "-"], DESCRIBED);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, p_out);
}

#[test]
fn verbose_lists_show_persistence_size_and_description() {
    let (code, out, err) = sql(
        &[":memory:", "-f", "-"],
        "create table t (id int primary key);\ncomment on table t is 'the t';\n\
         create view v as select id from t;\n\\dt+\n\\di+\n\\dv+\n\\d+ v\n\\dn+\n\\sf nope\n",
    );
    assert_eq!(code, 3, "{err}");
    for part in [
        " Schema | Name | Type  | Owner  | Persistence | Access method |  Size   | Description \n",
        " public | t    | table | basalt | permanent   | heap          | 0 bytes | the t\n",
        " public | t_pkey | index | basalt | t     | permanent   | btree         |",
        " public | v    | view | basalt | permanent   | 0 bytes | \n",
        " Column |  Type   | Collation | Nullable | Default | Storage | Description \n",
        "View definition:\n",
        "  Name  | Owner  | Access privileges | Description \n",
    ] {
        assert!(out.contains(part), "{part:?} in\n{out}");
    }
    assert!(err.contains("function \"nope\" does not exist"), "{err}");
}

#[test]
fn variables_over_a_server_as_embedded() {
    let server = common::Server::start();
    let url = format!("postgres://basalt@127.0.0.1:{}/basalt", server.port);
    let args = |t: &str| {
        vec![
            t.to_string(),
            "-v".into(),
            "ON_ERROR_STOP=0".into(),
            "-f".into(),
            "-".into(),
        ]
    };
    let r: Vec<String> = args(&url);
    let e: Vec<String> = args(":memory:");
    let remote = sql(
        &r.iter().map(String::as_str).collect::<Vec<_>>(),
        VARS_COMPARED,
    );
    let embedded = sql(
        &e.iter().map(String::as_str).collect::<Vec<_>>(),
        VARS_COMPARED,
    );
    assert_eq!(remote.1, embedded.1);
    assert!(
        remote.1.contains("true 22012 0 division by zero 22012\n"),
        "{}",
        remote.1
    );
}
