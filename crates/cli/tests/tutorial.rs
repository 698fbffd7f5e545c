//! Runs every command of docs/tutorial.md and compares its output with the one printed there,
//! so that the tutorial stays true.
//!
//! The ```console blocks hold commands (`$ ` lines, a trailing `\` continues a command on the
//! next line) each followed by its expected output (standard output and error together).
//! Commands run in order with `bash` in one temporary directory, with the `basalt` under test
//! and PostgreSQL's client programs first on `PATH`, `HOME` in the directory and no `PG*`
//! variables. A command ending in `&` starts in the background and the next one waits until
//! it listens on its port; `kill %N` stops the N-th of them (SIGTERM, a graceful shutdown).
//! Port 5433 in the text becomes a free port. Trailing spaces and trailing empty lines are
//! not compared.
//!
//! `BLESS_TUTORIAL=1 cargo test -p basalt-cli --test tutorial` writes the outputs into the
//! tutorial instead of comparing (then read the diff before committing it).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One command and the output the tutorial shows for it.
struct Step {
    command: String,
    expected: Vec<String>,
    /// Line range of the expected output in the file (to rewrite it when blessing).
    output_lines: (usize, usize),
}

fn tutorial_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/tutorial.md")
}

fn parse(text: &str) -> Vec<Step> {
    let lines: Vec<&str> = text.lines().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_end() != "```console" {
            i += 1;
            continue;
        }
        i += 1;
        while i < lines.len() && lines[i].trim_end() != "```" {
            let Some(first) = lines[i].strip_prefix("$ ") else {
                panic!("line {}: expected a `$ ` command in a console block", i + 1);
            };
            let mut command = first.to_string();
            while command.ends_with('\\') && i + 1 < lines.len() {
                command.pop();
                i += 1;
                command.push('\n');
                command.push_str(lines[i]);
            }
            i += 1;
            let start = i;
            while i < lines.len() && lines[i].trim_end() != "```" && !lines[i].starts_with("$ ") {
                i += 1;
            }
            steps.push(Step {
                command,
                expected: lines[start..i].iter().map(|l| l.to_string()).collect(),
                output_lines: (start, i),
            });
        }
        i += 1;
    }
    steps
}

fn normalize(lines: &[String]) -> Vec<String> {
    let mut v: Vec<String> = lines.iter().map(|l| l.trim_end().to_string()).collect();
    while v.last().is_some_and(String::is_empty) {
        v.pop();
    }
    v
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn pg_bindir() -> Option<PathBuf> {
    Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
}

fn bash(dir: &Path, path: &str, command: &str) -> Command {
    let mut c = Command::new("bash");
    c.arg("-c").arg(command).current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("PG") || k.starts_with("BASALT_") {
            c.env_remove(k);
        }
    }
    c.env("PATH", path)
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .env("TZ", "UTC");
    c
}

#[test]
fn every_command_of_the_tutorial_gives_the_output_shown() {
    let file = tutorial_path();
    let text = std::fs::read_to_string(&file).unwrap();
    let steps = parse(&text);
    assert!(steps.len() > 10, "the tutorial's commands were not found");

    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_basalt"), bin.join("basalt")).unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let mut path = bin.display().to_string();
    if let Some(pg) = pg_bindir() {
        path = format!("{path}:{}", pg.display());
    }
    path = format!("{path}:{}", std::env::var("PATH").unwrap_or_default());
    let port = free_port().to_string();

    let bless = std::env::var_os("BLESS_TUTORIAL").is_some();
    let mut background: Vec<Child> = Vec::new();
    let mut waiting_for_port = false;
    let mut failures = Vec::new();
    let mut actual_outputs = Vec::new();
    for step in &steps {
        let command = step.command.replace("5433", &port);
        if waiting_for_port {
            let deadline = Instant::now() + Duration::from_secs(60);
            while std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).is_err()
            {
                assert!(Instant::now() < deadline, "the server did not start");
                std::thread::sleep(Duration::from_millis(50));
            }
            waiting_for_port = false;
        }
        if let Some(bg) = command.trim_end().strip_suffix('&') {
            let log = std::fs::File::create(tmp.path().join(format!("bg{}.log", background.len())))
                .unwrap();
            // `env` takes the variable assignments and execs the program: its PID is the child's.
            let child = bash(&work, &path, &format!("exec env {bg}"))
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap();
            background.push(child);
            waiting_for_port = true;
            actual_outputs.push(Vec::new());
            continue;
        }
        if let Some(n) = command.trim().strip_prefix("kill %") {
            let n: usize = n.parse().unwrap();
            let child = &mut background[n - 1];
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(60);
            while child.try_wait().unwrap().is_none() {
                assert!(Instant::now() < deadline, "the server did not stop");
                std::thread::sleep(Duration::from_millis(50));
            }
            actual_outputs.push(Vec::new());
            continue;
        }
        let out = bash(&work, &path, &format!("{{ {command}\n}} 2>&1"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let actual: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.replace(&port, "5433"))
            .collect();
        if normalize(&actual) != normalize(&step.expected) {
            failures.push(format!(
                "$ {}\n--- expected\n{}\n--- actual\n{}",
                step.command,
                step.expected.join("\n"),
                actual.join("\n")
            ));
        }
        actual_outputs.push(actual);
    }
    for mut c in background {
        let _ = c.kill();
        let _ = c.wait();
    }
    if bless {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (step, actual) in steps.iter().zip(&actual_outputs).rev() {
            let (a, b) = step.output_lines;
            let mut new = normalize(actual);
            // psql and the printer end a table with an empty line: keep it.
            if actual.last().is_some_and(|l| l.trim().is_empty()) {
                new.push(String::new());
            }
            lines.splice(a..b, new);
        }
        std::fs::write(&file, lines.join("\n") + "\n").unwrap();
        return;
    }
    assert!(
        failures.is_empty(),
        "{} command(s) of docs/tutorial.md gave another output (BLESS_TUTORIAL=1 rewrites \
         them):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The README's first command, `cargo run --release`, runs `basalt` without a subcommand:
/// the shell on ./basalt-data, created holding the sample shop on first use only.
#[test]
fn the_readme_run_command_opens_the_sample_shop() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |input: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_basalt"))
            .current_dir(tmp.path())
            .env("HOME", tmp.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (out, err) = run("SELECT count(*) FROM products;\nDELETE FROM order_items;\n");
    assert!(err.contains("Created the database ./basalt-data"), "{err}");
    assert!(out.contains("    12\n(1 row)"), "{out}");
    assert!(tmp.path().join("basalt-data").is_dir());
    // The second run opens what the first left (its DELETE included), without a new sample.
    let (out, err) = run("SELECT count(*) FROM order_items;\n");
    assert!(!err.contains("Created"), "{err}");
    assert!(out.contains("     0\n(1 row)"), "{out}");
}
