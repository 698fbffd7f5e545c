//! Basalt embedded against SQLite (rusqlite, bundled, WAL), interleaved on the same workloads:
//!
//! ```text
//! embedded_compare [--quick] [--pairs N] [--rows N] [--only a,b] [--dir DIR] --json OUT.json
//! ```
//!
//! Runs each workload (`--only` takes the ids of `basalt_bench::embedded::compare::WORKLOADS`:
//! point, range_index, range_pk, insert, insert16, insert_relaxed, bulk_copy, bulk_insert,
//! ycsb1, ycsb8, join) as SQLite, Basalt, SQLite, Basalt, ... — one warm-up pair, then
//! `--pairs` measured pairs (default 5) — and writes a JSON array of rows in the comparison
//! harness's common schema to `--json`, and a Markdown table to stdout (progress goes to
//! stderr). `--rows` sets the bulk loads' rows (default 1 000 000). `--quick`: tiny sizes, one
//! pair and no warm-up, a smoke test. The databases live in a temporary directory (or under
//! `--dir`), deleted at the end.
//!
//! Exit status: 0; 1 if any run of any workload failed (the JSON and the table are written
//! first, with the errors counted); 2 for bad arguments or a failed setup.

#![allow(
    clippy::print_stdout,
    reason = "the table on stdout is the binary's output"
)]

use std::path::PathBuf;
use std::process::ExitCode;

use basalt_bench::embedded::compare::{self, Options};

const USAGE: &str = "usage: embedded_compare [--quick] [--pairs N] [--rows N] [--only a,b] [--dir DIR] --json OUT.json";

struct Args {
    opts: Options,
    json: PathBuf,
    dir: Option<PathBuf>,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let args: Vec<String> = args.collect();
    let quick = args.iter().any(|a| a == "--quick");
    let mut opts = if quick {
        Options::quick()
    } else {
        Options::full()
    };
    let (mut json, mut dir) = (None, None);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--quick" => {}
            "--pairs" => {
                opts.pairs = value("--pairs")?
                    .parse()
                    .map_err(|e| format!("--pairs: {e}"))?;
                if opts.pairs == 0 {
                    return Err("--pairs must be at least 1".into());
                }
            }
            "--rows" => {
                opts.bulk_rows = value("--rows")?
                    .parse()
                    .map_err(|e| format!("--rows: {e}"))?;
                if opts.bulk_rows < 1 {
                    return Err("--rows must be at least 1".into());
                }
            }
            "--only" => {
                opts.only = Some(
                    value("--only")?
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect(),
                );
            }
            "--json" => json = Some(PathBuf::from(value("--json")?)),
            "--dir" => dir = Some(PathBuf::from(value("--dir")?)),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let json = json.ok_or("--json OUT.json is required")?;
    Ok(Args { opts, json, dir })
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("embedded_compare: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let tmp = match &args.dir {
        Some(d) => std::fs::create_dir_all(d).and_then(|()| tempfile::tempdir_in(d)),
        None => tempfile::tempdir(),
    };
    let tmp = match tmp {
        Ok(t) => t,
        Err(e) => {
            eprintln!("embedded_compare: temporary directory: {e}");
            return ExitCode::from(2);
        }
    };
    let mut progress = |line: &str| eprintln!("embedded_compare: {line}");
    let rows = match compare::run(&args.opts, tmp.path(), &mut progress) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("embedded_compare: {e}");
            return ExitCode::from(2);
        }
    };
    let json = serde_json::Value::Array(rows.iter().map(compare::Row::to_json).collect());
    let text = match serde_json::to_string_pretty(&json) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("embedded_compare: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = std::fs::write(&args.json, text + "\n") {
        eprintln!("embedded_compare: writing {}: {e}", args.json.display());
        return ExitCode::from(2);
    }
    print!("{}", compare::markdown(&rows));
    let errors: u64 = rows.iter().map(compare::Row::error_count).sum();
    if errors > 0 {
        eprintln!("embedded_compare: {errors} failed run(s); see the rows' errors and notes");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
