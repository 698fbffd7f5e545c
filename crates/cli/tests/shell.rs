//! `basalt shell` driven through a pseudo-terminal, as a person would: completion with Tab,
//! meta-commands, multi-line statements, errors with their caret, Ctrl-C cancelling a
//! running statement, history kept across runs, output formats; and piped standard input.
//!
//! Each step waits for output that only the step's result can produce (a row, a tag, a
//! message), then for the next prompt, so no step depends on timing; the timeouts are
//! generous for a loaded machine.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod common;

use expectrl::session::OsSession;
use expectrl::{ControlCode, Eof, Expect};

/// The prompt of a superuser in the default database, nothing pending.
const PROMPT: &str = "postgres=# ";

struct Shell {
    s: OsSession,
    prompt: String,
}

/// Starts `basalt shell ARGS` on a terminal 120 columns wide, history in `history`.
fn spawn(args: &[&str], history: &Path, env: &[(&str, &str)]) -> Shell {
    spawn_as(args, history, env, PROMPT)
}

/// As [`spawn`], for a shell whose prompt is `prompt`.
fn spawn_as(args: &[&str], history: &Path, env: &[(&str, &str)], prompt: &str) -> Shell {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_basalt"));
    cmd.arg("shell").args(args).env("BASALT_HISTORY", history);
    // Colours split the echoed input with escapes: most tests read it plain.
    cmd.env("NO_COLOR", "1").env("TERM", "xterm");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut s = OsSession::spawn(cmd).unwrap();
    s.get_process_mut().set_window_size(120, 40).unwrap();
    s.set_expect_timeout(Some(Duration::from_secs(30)));
    let mut sh = Shell {
        s,
        prompt: prompt.to_string(),
    };
    sh.expect("Type \\? for help");
    sh.prompt();
    sh
}

impl Shell {
    /// Waits for `text` in the output (everything before it is consumed).
    fn expect(&mut self, text: &str) -> String {
        match self.s.expect(text) {
            Ok(c) => String::from_utf8_lossy(c.before()).into_owned(),
            Err(e) => {
                // Show what did arrive.
                let seen = self
                    .s
                    .check(expectrl::Regex("(?s).+"))
                    .map(|c| String::from_utf8_lossy(c.as_bytes()).into_owned())
                    .unwrap_or_default();
                panic!("waiting for {text:?}: {e}; the terminal showed {seen:?}")
            }
        }
    }

    fn prompt(&mut self) {
        let p = self.prompt.clone();
        self.expect(&p);
    }

    /// Types `line` and Enter.
    fn line(&mut self, line: &str) {
        self.s.send_line(line).unwrap();
    }

    /// Types `line`, waits for `result`, then for the next prompt; returns the output up to
    /// `result`.
    fn run(&mut self, line: &str, result: &str) -> String {
        self.line(line);
        let before = self.expect(result);
        self.prompt();
        before
    }

    /// Waits until everything typed so far has run (for steps that print nothing).
    fn sync(&mut self) {
        self.line("\\echo synced");
        self.expect("synced\r\n");
        self.prompt();
    }

    fn quit(mut self) {
        self.line("\\q");
        self.s.expect(Eof).unwrap();
    }
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn db(dir: &Path) -> String {
    dir.join("db").to_str().unwrap().to_string()
}

fn hist(dir: &Path) -> PathBuf {
    dir.join("history")
}

#[test]
fn tab_completes_tables_and_columns_from_the_catalog() {
    let d = temp();
    let mut sh = spawn(&[&db(d.path())], &hist(d.path()), &[]);
    sh.run(
        "CREATE TABLE inventory (item_id int PRIMARY KEY, quantity int);",
        "CREATE TABLE\r\n",
    );
    sh.run("INSERT INTO inventory VALUES (7, 70);", "INSERT 0 1");
    // A table after FROM (created a moment ago: the names are reloaded after DDL).
    sh.s.send("SELECT item_id FROM inven").unwrap();
    sh.s.send("\t").unwrap();
    sh.expect("inventory");
    sh.run(";", "(1 row)");
    // A column after WHERE, of a table the statement names.
    sh.s.send("SELECT item_id FROM inventory WHERE quant")
        .unwrap();
    sh.s.send("\t").unwrap();
    sh.expect("quantity");
    let out = sh.run(" = 70;", "(1 row)");
    assert!(!out.contains("ERROR"), "{out}");
    // `table.` offers that table's columns.
    sh.s.send("SELECT inventory.qua").unwrap();
    sh.s.send("\t").unwrap();
    sh.expect("quantity");
    let out = sh.run(" FROM inventory;", "(1 row)");
    assert!(out.contains("70"), "{out}");
    // Meta-command names after a backslash.
    sh.s.send("\\tim").unwrap();
    sh.s.send("\t").unwrap();
    sh.expect("timing");
    sh.run(" on", "Timing is on.");
    sh.quit();
}

#[test]
fn meta_commands_describe_and_format() {
    let d = temp();
    let mut sh = spawn(&[&db(d.path())], &hist(d.path()), &[]);
    sh.run(
        "CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL DEFAULT 'x', price numeric(8,2) CHECK (price >= 0));",
        "CREATE TABLE\r\n",
    );
    sh.run(
        "CREATE TABLE o (id int PRIMARY KEY, t_id int REFERENCES t (id));",
        "CREATE TABLE\r\n",
    );
    sh.run("CREATE INDEX t_name ON t (name);", "CREATE INDEX\r\n");
    let out = sh.run("\\dt", "(2 rows)");
    assert!(out.contains("List of relations"), "{out}");
    assert!(out.contains(" public | t    | table |"), "{out}");
    let out = sh.run("\\d t", "Referenced by:");
    assert!(out.contains("Table \"public.t\""), "{out}");
    assert!(
        out.contains(" name   | text         |           | not null | 'x'::text"),
        "{out}"
    );
    assert!(out.contains("\"t_pkey\" PRIMARY KEY, btree (id)"), "{out}");
    assert!(out.contains("\"t_name\" btree (name)"), "{out}");
    assert!(out.contains("Check constraints:"), "{out}");
    let out = sh.run("\\di", "(3 rows)");
    assert!(out.contains("t_name"), "{out}");
    sh.run(
        "\\d nothing_here",
        "Did not find any relation named \"nothing_here\".",
    );
    sh.run("\\x", "Expanded display is on.");
    let out = sh.run("SELECT 1 AS a, 'two' AS b;", "b | two");
    assert!(out.contains("-[ RECORD 1 ]"), "{out}");
    sh.run("\\x off", "Expanded display is off.");
    sh.run("\\pset format csv", "Output format is csv.");
    sh.run("SELECT 1 AS a, 'two' AS b;", "a,b\r\n1,two");
    sh.run("\\pset format aligned", "Output format is aligned.");
    sh.run("\\pset null (null)", "Null display is \"(null)\".");
    sh.run("SELECT NULL AS n;", " (null)");
    sh.run("\\foo", "invalid command \\foo");
    sh.run("\\h create index", "Command:     CREATE INDEX");
    sh.run("\\?", "\\dt[S] [PATTERN]");
    sh.run("\\conninfo", "You are connected to database \"postgres\"");
    sh.quit();
}

#[test]
fn multi_line_statements_prompts_and_errors_with_a_caret() {
    let d = temp();
    let mut sh = spawn(&[&db(d.path())], &hist(d.path()), &[]);
    sh.line("SELECT 1 +");
    sh.expect("postgres-# ");
    sh.line("  2 AS three, 'a");
    sh.expect("postgres'# ");
    sh.line("b' AS s;");
    sh.expect("three");
    sh.expect("(1 row)");
    sh.prompt();
    sh.run("CREATE TABLE t (a int);", "CREATE TABLE\r\n");
    let out = sh.run("SELECT nope FROM t;", "^");
    assert!(
        out.contains("ERROR:  42703: column \"nope\" does not exist"),
        "{out}"
    );
    assert!(out.contains("LINE 1: SELECT nope FROM t;"), "{out}");
    // The transaction state shows in the prompt.
    sh.line("BEGIN;");
    sh.expect("BEGIN\r\n");
    sh.expect("postgres=*# ");
    sh.line("SELECT 1/0;");
    sh.expect("22012");
    sh.expect("postgres=!# ");
    sh.line("ROLLBACK;");
    sh.expect("ROLLBACK\r\n");
    sh.prompt();
    // Ctrl-C at the prompt forgets a half-typed statement.
    sh.line("SELECT 'forgotten'");
    sh.expect("postgres-# ");
    sh.s.send(ControlCode::EndOfText).unwrap();
    sh.prompt();
    let out = sh.run("SELECT 'kept' AS k;", "(1 row)");
    assert!(!out.contains("forgotten"), "{out}");
    sh.quit();
}

#[test]
fn ctrl_c_cancels_the_running_statement_and_the_shell_goes_on() {
    let d = temp();
    let mut sh = spawn(&[":memory:"], &hist(d.path()), &[]);
    sh.line("SELECT pg_sleep(30);");
    let start = Instant::now();
    // Ctrl-C reaches the statement once the line has been read; until then it would clear
    // the line, so send it until the cancel shows.
    sh.s.set_expect_timeout(Some(Duration::from_millis(300)));
    let mut cancelled = false;
    while start.elapsed() < Duration::from_secs(20) {
        sh.s.send(ControlCode::EndOfText).unwrap();
        if sh.s.expect("57014").is_ok() {
            cancelled = true;
            break;
        }
    }
    sh.s.set_expect_timeout(Some(Duration::from_secs(30)));
    assert!(cancelled, "no 57014 after {:?}", start.elapsed());
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    sh.expect("canceling statement due to user request");
    sh.prompt();
    sh.run("SELECT 40 + 2 AS answer;", "42");
    sh.quit();
}

#[test]
fn history_is_kept_across_runs() {
    let d = temp();
    let h = hist(d.path());
    let mut sh = spawn(&[":memory:"], &h, &[]);
    sh.line("SELECT 'from the first run'");
    sh.expect("postgres-# ");
    sh.run("AS x;", "(1 row)");
    sh.s.send(ControlCode::EndOfTransmission).unwrap();
    sh.s.expect(Eof).unwrap();
    let saved = std::fs::read_to_string(&h).unwrap();
    assert!(saved.contains("from the first run"), "{saved}");
    // The second run recalls the two-line statement with Up and runs it again.
    let mut sh = spawn(&[":memory:"], &h, &[]);
    sh.s.send("\x1b[A").unwrap();
    sh.expect("AS x;");
    sh.s.send("\r").unwrap();
    sh.expect("from the first run");
    sh.expect("(1 row)");
    sh.prompt();
    sh.quit();
}

#[test]
fn format_flags_include_output_file_and_editor() {
    let d = temp();
    let script = d.path().join("setup.sql");
    std::fs::write(
        &script,
        "CREATE TABLE k (id int, v text);\nINSERT INTO k VALUES (1, 'one'), (2, NULL);\n\\dt\n",
    )
    .unwrap();
    let editor = d.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\ngrep -q pending \"$1\" || printf 'SELECT count(*) AS edited\\nFROM k;\\n' > \"$1\"\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut sh = spawn(
        &[&db(d.path()), "--format", "csv", "--null", "NULL"],
        &hist(d.path()),
        &[("EDITOR", editor.to_str().unwrap()), ("VISUAL", "")],
    );
    sh.run(&format!("\\i {}", script.display()), "public,k,table");
    sh.run("SELECT * FROM k ORDER BY id;", "2,NULL");
    let out_file = d.path().join("out.txt");
    sh.line(&format!("\\o {}", out_file.display()));
    sh.sync();
    sh.line("SELECT v FROM k WHERE id = 1;");
    sh.sync();
    sh.line("\\o");
    sh.sync();
    sh.run("SELECT 'back' AS b;", "b\r\nback");
    let written = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(written, "v\none\n");
    // \e writes the query into the editor's file; a statement ending with ; runs.
    sh.run("\\e", "edited\r\n2");
    // \e FILE: an unterminated statement stays in the buffer and is shown.
    let pending = d.path().join("pending.sql");
    std::fs::write(&pending, "SELECT 'pending' AS p\n").unwrap();
    sh.line(&format!("\\e {}", pending.display()));
    sh.expect("SELECT 'pending' AS p\r\n");
    sh.expect("postgres-# ");
    sh.run(";", "p\r\npending");
    sh.quit();
}

#[test]
fn piped_input_runs_as_a_script() {
    let d = temp();
    let out = Command::new(env!("CARGO_BIN_EXE_basalt"))
        .args(["shell", &db(d.path())])
        .env("BASALT_HISTORY", hist(d.path()))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(
                b"CREATE TABLE p (a int);\n\\d p\nSELECT 1 AS one;\nSELECT 5 AS five \\g\nSELECT nope;\nSELECT 2;\n",
            )?;
            c.wait_with_output()
        })
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert!(!stdout.contains("postgres=#"), "{stdout}");
    assert!(stdout.contains("Table \"public.p\""), "{stdout}");
    assert!(stdout.contains(" one \n-----\n   1\n(1 row)"), "{stdout}");
    assert!(
        stdout.contains(" five \n------\n    5\n(1 row)"),
        "{stdout}"
    );
    assert!(!stdout.contains("   2\n"), "{stdout}");
    assert!(stderr.contains("42703"), "{stderr}");
    assert!(!d.path().join("history").exists());
}

#[test]
fn the_line_is_highlighted_on_a_colour_terminal() {
    let d = temp();
    let mut sh = spawn(&[":memory:"], &hist(d.path()), &[("NO_COLOR", "")]);
    sh.s.send("select 'text', 42 -- note").unwrap();
    sh.expect("\x1b[1;34mselect\x1b[0m");
    sh.expect("\x1b[32m'text'\x1b[0m");
    sh.expect("\x1b[35m42\x1b[0m");
    sh.expect("\x1b[90m-- note\x1b[0m");
    sh.s.send("\r").unwrap();
    sh.expect("postgres-# ");
    sh.run(";", "(1 row)");
    sh.quit();
}

#[test]
fn a_server_through_its_url_with_cancel_and_reconnect() {
    let server = common::Server::start();
    let d = temp();
    let url = format!("postgres://basalt@127.0.0.1:{}/basalt", server.port);
    let mut sh = spawn_as(&[&url], &hist(d.path()), &[], "basalt=# ");
    sh.run(
        "CREATE TABLE remote_t (id int PRIMARY KEY, label text);",
        "CREATE TABLE\r\n",
    );
    sh.s.send("INSERT INTO remote_").unwrap();
    sh.s.send("\t").unwrap();
    sh.expect("remote_t");
    sh.run(" VALUES (1, 'over the wire');", "INSERT 0 1");
    let out = sh.run("\\d remote_t", "PRIMARY KEY, btree (id)");
    assert!(out.contains("Table \"public.remote_t\""), "{out}");
    sh.run("SELECT label FROM remote_t;", "over the wire");
    // Ctrl-C sends a cancel request to the server.
    sh.line("SELECT pg_sleep(30);");
    let start = Instant::now();
    sh.s.set_expect_timeout(Some(Duration::from_millis(300)));
    let mut cancelled = false;
    while start.elapsed() < Duration::from_secs(20) {
        sh.s.send(ControlCode::EndOfText).unwrap();
        if sh.s.expect("57014").is_ok() {
            cancelled = true;
            break;
        }
    }
    sh.s.set_expect_timeout(Some(Duration::from_secs(30)));
    assert!(cancelled && start.elapsed() < Duration::from_secs(10));
    sh.prompt();
    sh.run("SELECT 6 * 7 AS n;", "42");
    // \c switches database: the prompt follows.
    sh.prompt = "postgres=# ".into();
    sh.run(
        "\\c postgres",
        "You are now connected to database \"postgres\"",
    );
    sh.quit();
}

#[test]
fn ctrl_c_ends_a_piped_script_waiting_for_input() {
    let d = temp();
    let mut child = Command::new(env!("CARGO_BIN_EXE_basalt"))
        .args(["shell", ":memory:"])
        .env("BASALT_HISTORY", hist(d.path()))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The script has sent one statement and waits for more.
    let mut stdin = child.stdin.take().unwrap();
    {
        use std::io::{BufRead, Write};
        stdin.write_all(b"SELECT 'ran' AS r;\n").unwrap();
        stdin.flush().unwrap();
        let mut out = std::io::BufReader::new(child.stdout.as_mut().unwrap());
        let mut line = String::new();
        while !line.contains("ran") {
            line.clear();
            assert!(out.read_line(&mut line).unwrap() > 0, "no output");
        }
    }
    let start = Instant::now();
    // The shell's builtin kill: no procps needed.
    let kill = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -INT {}", child.id()))
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    drop(stdin);
}

#[test]
fn variables_interpolate_and_if_blocks_show_in_the_prompt() {
    let d = temp();
    let mut sh = spawn(&[&db(d.path()), "-v", "tbl=pets"], &hist(d.path()), &[]);
    sh.run("\\set kind 'cat'", "");
    sh.run("CREATE TABLE :tbl (name text, kind text);", "CREATE TABLE");
    sh.run(
        "INSERT INTO :\"tbl\" VALUES ('Tom', :'kind'), ('Rex', 'dog');",
        "INSERT 0 2",
    );
    sh.run("\\echo :ROW_COUNT rows into :tbl", "2 rows into pets");
    sh.run("SELECT name FROM :tbl WHERE kind = :'kind' \\gset pet_", "");
    sh.run("\\echo :pet_name", "Tom");
    // A failing \gset query: its error once, as psql.
    sh.line("SELECT nope \\gset");
    let shown = sh.expect(PROMPT);
    assert_eq!(shown.matches("does not exist").count(), 1, "{shown}");
    sh.run(
        "SELECT 1 AS a WHERE false \\gset",
        "no rows returned for \\gset",
    );
    // An inactive branch: the prompt says so (`@`) and statements are skipped.
    sh.line("\\if false");
    sh.expect("postgres@# ");
    sh.line("SELECT 'skipped' AS never;");
    sh.expect("postgres@# ");
    sh.line("\\else");
    sh.prompt();
    sh.run("SELECT 'taken' AS branch;", "taken");
    sh.run("\\endif", "");
    sh.run("\\set", "tbl = 'pets'");
    sh.sync();
    sh.quit();
}
