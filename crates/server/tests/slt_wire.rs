//! The SQL acceptance corpus (crates/sql/tests/slt/*.slt) over the wire: every file runs on a
//! fresh server, once with the simple query protocol and once with the extended one, and must
//! give the results the embedded runner (crates/sql/tests/slt.rs) checks.
//!
//! The client is a minimal blocking protocol client written here, so that both protocols
//! return values in text format exactly as sent:
//!
//! - simple: one Query message per record; the record's result is its last statement's;
//! - extended: the record is split into statements (Basalt's parser gives their extents), each
//!   sent as Parse, Describe statement, Bind (no parameters, text results), Describe portal,
//!   Execute, and one Sync at the end, so the statements share an implicit transaction as a
//!   simple query's do. The two descriptions must agree. An error's position is shifted by
//!   its statement's offset in the record, so it reads as the embedded runner's (relative to
//!   the whole string).
//!
//! Values and errors are rendered as the embedded runner renders them (NULL, `(empty)`,
//! `SQLSTATE: message` with DETAIL, HINT and POSITION lines). Set `SLT_FILTER=<substring>` to
//! run only matching files.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqllogictest::{DBOutput, DefaultColumnType, Record};

/// Files that cannot run over the wire, with the reason.
const SKIP_FILES: &[(&str, &str)] = &[];

/// Records that cannot run over the extended protocol (file, a substring of the record's
/// SQL, reason).
const SKIP_EXTENDED: &[(&str, &str, &str)] = &[(
    "prepare.slt",
    "SELECT 1 + $2",
    "the expected error is the simple protocol's (42P02 there is no parameter $2); a Parse \
     without parameter types fails with 42P18 could not determine data type of parameter $1 \
     in PostgreSQL, as in Basalt at Describe",
)];

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

impl SltError {
    fn client(text: impl Into<String>) -> SltError {
        SltError {
            code: "client".into(),
            text: text.into(),
        }
    }

    /// From an ErrorResponse's fields; `shift` is added to the position.
    fn from_fields(body: &[u8], shift: usize) -> SltError {
        let mut code = String::new();
        let (mut message, mut detail, mut hint, mut position) = (None, None, None, None);
        for field in body.split(|b| *b == 0).filter(|f| !f.is_empty()) {
            let value = String::from_utf8_lossy(&field[1..]).into_owned();
            match field[0] {
                b'C' => code = value,
                b'M' => message = Some(value),
                b'D' => detail = Some(value),
                b'H' => hint = Some(value),
                b'P' => position = value.parse::<usize>().ok(),
                _ => {}
            }
        }
        let mut text = format!("{code}: {}", message.unwrap_or_default());
        if let Some(d) = detail {
            text.push_str(&format!("\nDETAIL: {d}"));
        }
        if let Some(h) = hint {
            text.push_str(&format!("\nHINT: {h}"));
        }
        if let Some(p) = position {
            text.push_str(&format!("\nPOSITION: {}", p + shift));
        }
        SltError { code, text }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Protocol {
    Simple,
    Extended,
}

/// One statement's result: its descriptions' column counts (RowDescription; NoData is 0) and
/// text rows. The extended protocol describes the statement, then the portal.
#[derive(Default, Debug)]
struct Result1 {
    descriptions: Vec<usize>,
    rows: Vec<Vec<String>>,
}

/// A blocking protocol connection.
struct Wire {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    out: Vec<u8>,
    protocol: Protocol,
}

impl Wire {
    fn connect(port: u16, protocol: Protocol) -> Result<Wire, SltError> {
        let s = TcpStream::connect(("127.0.0.1", port))
            .map_err(|e| SltError::client(format!("connect: {e}")))?;
        s.set_nodelay(true).ok();
        // A statement that hangs fails the run instead of blocking it.
        s.set_read_timeout(Some(Duration::from_secs(120))).ok();
        let writer = s.try_clone().map_err(|e| SltError::client(e.to_string()))?;
        let mut w = Wire {
            reader: BufReader::new(s),
            writer,
            out: Vec::new(),
            protocol,
        };
        let mut body = 196_608i32.to_be_bytes().to_vec();
        for (k, v) in [("user", "basalt"), ("database", "basalt")] {
            body.extend_from_slice(k.as_bytes());
            body.push(0);
            body.extend_from_slice(v.as_bytes());
            body.push(0);
        }
        body.push(0);
        w.out
            .extend_from_slice(&i32::try_from(body.len() + 4).unwrap().to_be_bytes());
        w.out.extend_from_slice(&body);
        w.flush()?;
        loop {
            let (t, body) = w.read()?;
            match t {
                b'E' => return Err(SltError::from_fields(&body, 0)),
                b'R' if body[..4] != [0, 0, 0, 0] => {
                    return Err(SltError::client("authentication requested"));
                }
                b'Z' => return Ok(w),
                _ => {}
            }
        }
    }

    fn msg(&mut self, t: u8, body: &[u8]) {
        self.out.push(t);
        self.out
            .extend_from_slice(&i32::try_from(body.len() + 4).unwrap().to_be_bytes());
        self.out.extend_from_slice(body);
    }

    fn flush(&mut self) -> Result<(), SltError> {
        let r = self.writer.write_all(&self.out);
        self.out.clear();
        r.map_err(|e| SltError::client(format!("write: {e}")))
    }

    fn read(&mut self) -> Result<(u8, Vec<u8>), SltError> {
        let mut head = [0u8; 5];
        self.reader
            .read_exact(&mut head)
            .map_err(|e| SltError::client(format!("read: {e}")))?;
        let len = usize::try_from(i32::from_be_bytes([head[1], head[2], head[3], head[4]]))
            .unwrap_or(0)
            .saturating_sub(4);
        let mut body = vec![0u8; len];
        self.reader
            .read_exact(&mut body)
            .map_err(|e| SltError::client(format!("read: {e}")))?;
        Ok((head[0], body))
    }

    /// Reads through ReadyForQuery: the statements' results, or the first error (its
    /// position shifted by `shifts[i]` for the `i`-th statement).
    fn collect(&mut self, shifts: &[usize]) -> Result<Vec<Result1>, SltError> {
        let mut results = Vec::new();
        let mut current = Result1::default();
        let mut error = None;
        loop {
            let (t, body) = self.read()?;
            match t {
                b'T' => current
                    .descriptions
                    .push(usize::from(u16::from_be_bytes([body[0], body[1]]))),
                b'n' => current.descriptions.push(0),
                b'D' => current.rows.push(data_row(&body)),
                b'C' | b'I' | b's' => {
                    if let [statement, portal] = current.descriptions[..]
                        && statement != portal
                        && error.is_none()
                    {
                        error = Some(SltError::client(format!(
                            "Describe of the statement gave {statement} columns, of its portal \
                             {portal}"
                        )));
                    }
                    results.push(std::mem::take(&mut current));
                }
                b'E' => {
                    if error.is_none() {
                        let shift = shifts.get(results.len()).copied().unwrap_or(0);
                        error = Some(SltError::from_fields(&body, shift));
                    }
                    current = Result1::default();
                }
                // COPY FROM STDIN has no data in a corpus file.
                b'G' => {
                    self.msg(b'f', b"no COPY data in the corpus\0");
                    self.flush()?;
                }
                b'Z' => break,
                // ParseComplete, BindComplete, NoData, ParameterStatus, notices,
                // notifications, CopyOutResponse / CopyData / CopyDone.
                _ => {}
            }
        }
        match error {
            Some(e) => Err(e),
            None => Ok(results),
        }
    }

    fn simple(&mut self, sql: &str) -> Result<Vec<Result1>, SltError> {
        let mut b = sql.as_bytes().to_vec();
        b.push(0);
        self.msg(b'Q', &b);
        self.flush()?;
        self.collect(&[])
    }

    fn extended(&mut self, sql: &str) -> Result<Vec<Result1>, SltError> {
        self.pipeline(&split(sql))
    }

    /// Sends each statement (with its position shift) as Parse, Bind, Describe, Execute,
    /// then one Sync.
    fn pipeline(&mut self, statements: &[(&str, usize)]) -> Result<Vec<Result1>, SltError> {
        let mut shifts = Vec::new();
        for (text, shift) in statements {
            let mut parse = vec![0u8];
            parse.extend_from_slice(text.as_bytes());
            parse.extend_from_slice(&[0, 0, 0]);
            self.msg(b'P', &parse);
            // The statement's description (as JDBC and sqlx ask for it) must agree with the
            // portal's (as libpq asks for it).
            self.msg(b'D', b"S\0");
            // Portal "", statement "", no parameter formats, no parameters, no result
            // formats (all text).
            self.msg(b'B', &[0, 0, 0, 0, 0, 0, 0, 0]);
            self.msg(b'D', b"P\0");
            self.msg(b'E', &[0, 0, 0, 0, 0]);
            shifts.push(*shift);
        }
        self.msg(b'S', &[]);
        self.flush()?;
        self.collect(&shifts)
    }
}

/// The statements of `sql` with each one's character offset; the whole string when it does
/// not parse (the server reports the error) or holds at most one statement.
fn split(sql: &str) -> Vec<(&str, usize)> {
    let Ok(parsed) = basalt_sql::parse::parse(sql, basalt_sql::parse::ParseOptions::default())
    else {
        return vec![(sql, 0)];
    };
    if parsed.len() <= 1 {
        return vec![(sql, 0)];
    }
    parsed
        .statements()
        .map(|s| {
            let at = s.location().min(sql.len());
            let offset = sql.get(..at).map_or(0, |p| p.chars().count());
            // `text()` borrows from `parsed`; take the same extent from `sql`.
            let len = s.text().len();
            (sql.get(at..at + len).unwrap_or(""), offset)
        })
        .collect()
}

fn data_row(body: &[u8]) -> Vec<String> {
    let n = usize::from(u16::from_be_bytes([body[0], body[1]]));
    let mut at = 2;
    let mut row = Vec::with_capacity(n);
    for _ in 0..n {
        let len = i32::from_be_bytes([body[at], body[at + 1], body[at + 2], body[at + 3]]);
        at += 4;
        match usize::try_from(len) {
            Err(_) => row.push("NULL".to_string()),
            Ok(0) => row.push("(empty)".to_string()),
            Ok(len) => {
                row.push(String::from_utf8_lossy(&body[at..at + len]).into_owned());
                at += len;
            }
        }
    }
    row
}

impl sqllogictest::DB for Wire {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let results = match self.protocol {
            Protocol::Simple => self.simple(sql)?,
            Protocol::Extended => self.extended(sql)?,
        };
        match results.into_iter().last() {
            Some(Result1 { descriptions, rows }) if descriptions.last().is_some_and(|n| *n > 0) => {
                let n = descriptions.last().copied().unwrap_or(0);
                Ok(DBOutput::Rows {
                    types: vec![DefaultColumnType::Text; n],
                    rows,
                })
            }
            _ => Ok(DBOutput::StatementComplete(0)),
        }
    }

    fn shutdown(&mut self) {
        self.msg(b'X', &[]);
        let _ = self.flush();
    }

    fn engine_name(&self) -> &str {
        "basalt"
    }

    fn error_sql_state(err: &SltError) -> Option<String> {
        Some(err.code.clone())
    }
}

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sql/tests/slt");
    let filter = std::env::var("SLT_FILTER").unwrap_or_default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .filter(|p| p.to_string_lossy().contains(&filter))
        .collect();
    files.sort();
    files
}

/// Runs every record of `file` (but the skipped ones) on a fresh server; the failures.
fn run_file(rt: &tokio::runtime::Runtime, file: &Path, protocol: Protocol) -> Vec<String> {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let records = match sqllogictest::parse_file::<DefaultColumnType>(file) {
        Ok(r) => r,
        Err(e) => return vec![e.to_string()],
    };
    let server = rt.block_on(common::start("trust", "unused"));
    let port = server.port;
    let mut runner =
        sqllogictest::Runner::new(move || async move { Wire::connect(port, protocol) });
    let mut failures = Vec::new();
    for record in records {
        let sql = match &record {
            Record::Statement { sql, .. } | Record::Query { sql, .. } => sql.as_str(),
            _ => "",
        };
        if protocol == Protocol::Extended
            && SKIP_EXTENDED
                .iter()
                .any(|(f, part, _)| *f == name && sql.contains(part))
        {
            continue;
        }
        if let Err(e) = runner.run(record) {
            failures.push(e.to_string());
        }
    }
    drop(runner);
    rt.block_on(server.stop());
    failures
}

fn run_corpus(protocol: Protocol) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut report = String::new();
    let mut failed = 0;
    for file in corpus() {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if SKIP_FILES.iter().any(|(f, _)| *f == name) {
            continue;
        }
        let started = std::time::Instant::now();
        let failures = run_file(&rt, &file, protocol);
        eprintln!(
            "slt over the wire ({protocol:?}) {name}: {} in {:?}",
            if failures.is_empty() { "ok" } else { "FAILED" },
            started.elapsed()
        );
        if !failures.is_empty() {
            failed += 1;
            report.push_str(&format!("==== {name} ({protocol:?})\n"));
            for f in failures {
                report.push_str(&f);
                report.push_str("\n\n");
            }
        }
    }
    assert!(failed == 0, "{failed} files failed:\n{report}");
}

#[test]
fn corpus_over_the_simple_query_protocol() {
    run_corpus(Protocol::Simple);
}

#[test]
fn corpus_over_the_extended_query_protocol() {
    run_corpus(Protocol::Extended);
}

/// An error outside a statement's execution (a Parse with a syntax error, a Bind or Describe
/// error) aborts the transaction as an error in Execute does: the implicit transaction of the
/// statements since the last Sync rolls back, an explicit block fails. PostgreSQL 15 answers
/// the same.
#[test]
fn extended_protocol_errors_before_execution_abort_the_transaction() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(common::start("trust", "unused"));
    let mut w = Wire::connect(server.port, Protocol::Extended).unwrap();
    let count = |w: &mut Wire| -> String {
        let r = w.simple("SELECT count(*) FROM t").unwrap();
        r[0].rows[0][0].clone()
    };
    w.simple("CREATE TABLE t (a int)").unwrap();
    // A syntax error at Parse after an INSERT executed in the same implicit transaction.
    let e = w
        .pipeline(&[("INSERT INTO t VALUES (1)", 0), ("SELEC", 0)])
        .unwrap_err();
    assert_eq!(e.code, "42601");
    assert_eq!(count(&mut w), "0");
    // A binding error (at Describe of the statement's portal: Basalt binds at Parse lazily).
    let e = w
        .pipeline(&[("INSERT INTO t VALUES (2)", 0), ("SELECT nope FROM t", 0)])
        .unwrap_err();
    assert_eq!(e.code, "42703");
    assert_eq!(count(&mut w), "0");
    // A portal that does not exist.
    w.msg(b'P', b"\0INSERT INTO t VALUES (3)\0\0\0");
    w.msg(b'B', &[0, 0, 0, 0, 0, 0, 0, 0]);
    w.msg(b'E', &[0, 0, 0, 0, 0]);
    w.msg(b'E', b"nope\0\0\0\0\0");
    w.msg(b'S', &[]);
    w.flush().unwrap();
    assert_eq!(w.collect(&[]).unwrap_err().code, "34000");
    assert_eq!(count(&mut w), "0");
    // In an explicit block, a syntax error at Parse fails the block.
    w.simple("BEGIN").unwrap();
    w.simple("INSERT INTO t VALUES (4)").unwrap();
    assert_eq!(w.pipeline(&[("SELEC", 0)]).unwrap_err().code, "42601");
    assert_eq!(w.simple("SELECT 1").unwrap_err().code, "25P02");
    w.simple("COMMIT").unwrap();
    assert_eq!(count(&mut w), "0");
    // Without an error the pipeline commits at Sync.
    w.pipeline(&[
        ("INSERT INTO t VALUES (5)", 0),
        ("INSERT INTO t VALUES (6)", 0),
    ])
    .unwrap();
    assert_eq!(count(&mut w), "2");
    sqllogictest::DB::shutdown(&mut w);
    rt.block_on(server.stop());
}
