//! Runs every sqllogictest file in `tests/slt/` against an embedded, in-memory Basalt.
//!
//! Each file gets a fresh database; `connection` records open further sessions on it. Errors
//! are rendered as `SQLSTATE: message` followed by `DETAIL:`, `HINT:` and `POSITION:` lines, so
//! `statement error <regex>` checks the message and a multi-line expected error checks
//! everything. `scripts/pg-check-slt.sh` runs the same files against PostgreSQL 15 with the same
//! rendering. Set `SLT_FILTER=<substring>` to run only matching files.

use std::path::PathBuf;

use basalt_sql::{Session, SqlError};
use basalt_txn::LocalKv;
use sqllogictest::{DBOutput, DefaultColumnType};

/// An error as the slt files see it.
#[derive(Debug)]
struct SltError {
    code: String,
    text: String,
}

impl std::fmt::Display for SltError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for SltError {}

impl From<SqlError> for SltError {
    fn from(e: SqlError) -> Self {
        let code = e.code().code().to_string();
        let mut text = format!("{code}: {e}");
        if let Some(detail) = e.detail() {
            text.push_str(&format!("\nDETAIL: {detail}"));
        }
        if let Some(hint) = e.hint() {
            text.push_str(&format!("\nHINT: {hint}"));
        }
        if let Some(position) = e.position() {
            text.push_str(&format!("\nPOSITION: {position}"));
        }
        SltError { code, text }
    }
}

struct Db {
    session: Session<LocalKv>,
}

impl sqllogictest::DB for Db {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let results = self.session.execute(sql)?;
        let Some(last) = results.last() else {
            return Ok(DBOutput::StatementComplete(0));
        };
        if last.columns.is_empty() {
            return Ok(DBOutput::StatementComplete(0));
        }
        let rows = last
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|v| match v.as_deref() {
                        None => "NULL".to_string(),
                        Some("") => "(empty)".to_string(),
                        Some(s) => s.to_string(),
                    })
                    .collect()
            })
            .collect();
        Ok(DBOutput::Rows {
            types: vec![DefaultColumnType::Text; last.columns.len()],
            rows,
        })
    }

    fn engine_name(&self) -> &str {
        "basalt"
    }

    fn error_sql_state(err: &SltError) -> Option<String> {
        Some(err.code.clone())
    }
}

fn slt_files(dir: &std::path::Path, filter: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "slt"))
            .filter(|p| p.to_string_lossy().contains(filter))
            .collect(),
        Err(e) => {
            eprintln!("cannot read {}: {e}", dir.display());
            Vec::new()
        }
    };
    files.sort();
    files
}

/// Runs one file on a fresh database; `Err` carries the runner's report.
fn run_file(file: &std::path::Path) -> Result<(), String> {
    let kv = LocalKv::memory();
    let mut runner = sqllogictest::Runner::new(move || {
        let session = Session::new(kv.clone());
        async move { Ok::<_, SltError>(Db { session }) }
    });
    runner.run_file(file).map_err(|e| e.to_string())
}

/// Runs every record of a file, continuing after failures: (records passed, total, failures).
fn run_records(file: &std::path::Path) -> (usize, usize, Vec<String>) {
    let records = match sqllogictest::parse_file::<DefaultColumnType>(file) {
        Ok(r) => r,
        Err(e) => return (0, 0, vec![e.to_string()]),
    };
    let kv = LocalKv::memory();
    let mut runner = sqllogictest::Runner::new(move || {
        let session = Session::new(kv.clone());
        async move { Ok::<_, SltError>(Db { session }) }
    });
    let (mut ok, mut total, mut failures) = (0, 0, Vec::new());
    for record in records {
        let counts = matches!(
            record,
            sqllogictest::Record::Statement { .. } | sqllogictest::Record::Query { .. }
        );
        let result = runner.run(record);
        if counts {
            total += 1;
            match result {
                Ok(_) => ok += 1,
                Err(e) => failures.push(e.to_string()),
            }
        }
    }
    (ok, total, failures)
}

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let filter = std::env::var("SLT_FILTER").unwrap_or_default();
    let files = slt_files(&dir, &filter);
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match run_file(file) {
            Ok(()) => {
                passed += 1;
                eprintln!("slt {name} ... ok");
            }
            Err(e) => {
                failed += 1;
                eprintln!("slt {name} ... FAILED\n{e}\n");
            }
        }
    }
    if files.is_empty() && filter.is_empty() {
        eprintln!("no .slt files in {}", dir.display());
        std::process::exit(1);
    }
    // The PostgreSQL-verified corpus the engine is growing into (tests/slt/pending): reported,
    // not required. A file that passes completely should be promoted to tests/slt/.
    let pending = slt_files(&dir.join("pending"), &filter);
    let mut pending_passed = Vec::new();
    for file in &pending {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (ok, total, failures) = run_records(file);
        if failures.is_empty() {
            pending_passed.push(name);
            continue;
        }
        eprintln!("slt pending/{name} ... {ok} of {total} records pass");
        if std::env::var("SLT_PENDING_VERBOSE").is_ok() {
            for f in &failures {
                eprintln!("{f}\n");
            }
        }
    }
    for name in &pending_passed {
        eprintln!("slt pending/{name} ... passes: promote it to tests/slt/");
    }
    eprintln!(
        "slt: {passed} passed, {failed} failed; pending corpus: {} of {} files pass",
        pending_passed.len(),
        pending.len()
    );
    if failed > 0 {
        std::process::exit(1);
    }
}
