//! `basalt check`: a healthy directory passes (every database's indexes checked), a damaged
//! log fails without the directory being opened or changed, a directory a server holds is
//! refused and checked through the server instead.

#![allow(clippy::unwrap_used)] // the shared server helper unwraps

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn basalt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_basalt"))
        .args(args)
        .output()
        .expect("run basalt")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn fill(dir: &Path) {
    let d = dir.to_str().expect("utf-8 path");
    let o = basalt(&[
        "sql",
        d,
        "-c",
        "CREATE TABLE t (id int PRIMARY KEY, a int, b text UNIQUE); \
         CREATE TABLE bare (x int, y text); INSERT INTO bare VALUES (1, 'a'), (2, NULL); \
         CREATE INDEX t_a ON t (a) WHERE a > 2; \
         INSERT INTO t SELECT g, g % 5, 'b' || g FROM generate_series(1, 500) g; \
         CREATE DATABASE app",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = basalt(&[
        "sql",
        d,
        "-c",
        "\\c app",
        "-c",
        "CREATE TABLE u (k text PRIMARY KEY, v int); CREATE INDEX u_v ON u (v); \
         INSERT INTO u SELECT 'k' || g, g FROM generate_series(1, 100) g",
    ]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn a_healthy_directory_passes_with_every_database_checked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("db");
    fill(&dir);
    let o = basalt(&["check", dir.to_str().expect("utf-8"), "--verbose"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("record(s) intact"), "{out}");
    for line in [
        "ok: postgres: public.t_a on t",
        "ok: postgres: public.t_b_key on t",
        "ok: postgres: public.t_pkey on t",
        "ok: app: public.u_v on u",
        "ok: app: public.u_pkey on u",
        "ok: postgres: table public.bare (no index) read whole",
    ] {
        assert!(out.contains(line), "{line} missing from:\n{out}");
    }
    assert!(out.contains("0 problem(s)"), "{out}");
    // --database narrows it.
    let o = basalt(&["check", dir.to_str().expect("utf-8"), "-d", "app"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        text(&o).contains("1 database(s), 2 index(es) and 0 unindexed table(s) checked"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_damaged_log_fails_and_nothing_is_opened_or_changed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("db");
    fill(&dir);
    let stray = dir.join("wal").join("notes.txt");
    std::fs::write(&stray, "not a segment").expect("write");
    let listing = |d: &Path| {
        let mut v: Vec<_> = std::fs::read_dir(d)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        v.sort();
        v
    };
    let before = (listing(&dir), listing(&dir.join("wal")));
    let o = basalt(&["check", dir.to_str().expect("utf-8")]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("ERROR: log:") && out.contains("notes.txt"),
        "{out}"
    );
    assert!(out.contains("FAILED"), "{out}");
    assert_eq!((listing(&dir), listing(&dir.join("wal"))), before);
}

#[test]
fn a_served_directory_is_checked_through_the_server() {
    let server = common::Server::start_with(common::TRUST_ALL, &[]);
    let data = server.data();
    let o = basalt(&["check", data.to_str().expect("utf-8")]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("locked"), "{out}");
    let url = format!("postgres://basalt@127.0.0.1:{}/postgres", server.port);
    let o = basalt(&[
        "sql",
        &url,
        "-c",
        "CREATE TABLE s (x int PRIMARY KEY, y int UNIQUE)",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = basalt(&["check", &url]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("0 problem(s)"), "{out}");
}
