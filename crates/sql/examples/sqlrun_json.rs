//! A machine-friendly SQL runner for differential testing (`scripts/difftest.py`).
//!
//! Reads one JSON string per line from standard input (a SQL query string, which may hold
//! several statements), runs it on one session over a fresh in-memory database, and writes one
//! JSON object per input line:
//!
//! ```text
//! {"results":[{"tag":"SELECT 1","columns":["x"],"types":[23],"rows":[["1"]]}],
//!  "error":{"code":"22012","message":"division by zero"}}
//! ```
//!
//! An input line may also be an object: `{"sql": "COPY t FROM STDIN", "copy_in": "1\tx\n"}`
//! runs a COPY FROM STDIN with that input, `{"sql": "COPY t TO STDOUT", "copy_out": true}` a
//! COPY TO STDOUT whose whole output comes back as the one row of its result.
//!
//! `error` is `null` when the query string succeeded. A panic inside the engine is reported as
//! `{"panic":"..."}`, after which the process exits with status 101 (the session may be broken;
//! the driver restarts the runner and replays its setup).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{BufRead, Write};
use std::panic::AssertUnwindSafe;

use basalt_sql::Session;
use basalt_txn::LocalKv;
use serde_json::{Value, json};

fn main() {
    std::panic::set_hook(Box::new(|_| {}));
    let mut session = Session::new(LocalKv::memory());
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let input: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("bad input line: {e}");
                std::process::exit(2);
            }
        };
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| match &input {
            Value::Object(o) => {
                let sql = o.get("sql").and_then(Value::as_str).unwrap_or_default();
                match o.get("copy_in").and_then(Value::as_str) {
                    Some(data) => copy_in(&mut session, sql, data),
                    None => copy_out(&mut session, sql),
                }
            }
            other => run(&mut session, other.as_str().unwrap_or_default()),
        }));
        match outcome {
            Ok(value) => {
                let _ = writeln!(out, "{value}");
                let _ = out.flush();
            }
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".to_string());
                let _ = writeln!(out, "{}", json!({ "panic": message }));
                let _ = out.flush();
                std::process::exit(101);
            }
        }
    }
}

fn run(session: &mut Session<LocalKv>, sql: &str) -> Value {
    let batch = session.run(sql);
    let results: Vec<Value> = batch
        .results
        .iter()
        .map(|r| {
            json!({
                "tag": r.tag,
                "columns": r.columns,
                "types": r.types.iter().map(|t| t.oid()).collect::<Vec<_>>(),
                "rows": r.rows,
            })
        })
        .collect();
    let error = batch.error.map(|e| {
        json!({
            "code": e.code().code(),
            "message": e.message(),
            "position": e.position(),
        })
    });
    json!({ "results": results, "error": error })
}

fn copy_result(outcome: Result<(u64, Option<String>), basalt_sql::SqlError>) -> Value {
    match outcome {
        Ok((n, out)) => {
            let rows: Vec<Vec<String>> = out.into_iter().map(|o| vec![o]).collect();
            json!({
                "results": [{"tag": format!("COPY {n}"), "columns": [], "types": [], "rows": rows}],
                "error": null,
            })
        }
        Err(e) => json!({
            "results": [],
            "error": {"code": e.code().code(), "message": e.message(), "position": e.position()},
        }),
    }
}

fn copy_in(session: &mut Session<LocalKv>, sql: &str, data: &str) -> Value {
    copy_result(
        session
            .copy_in(sql, &mut data.as_bytes())
            .map(|n| (n, None)),
    )
}

fn copy_out(session: &mut Session<LocalKv>, sql: &str) -> Value {
    let mut out = Vec::new();
    let n = session.copy_out(sql, &mut out);
    copy_result(n.map(|n| (n, Some(String::from_utf8_lossy(&out).into_owned()))))
}
