//! `basalt import`: CSV, JSON lines and SQLite files into a database.
//!
//! # Design
//!
//! A producer thread reads the source ([`csv`], [`jsonl`], [`sqlite`]) and hands [`Batch`]es
//! to the loader on this thread through a channel of depth one, so parsing overlaps loading
//! and at most three batches are in memory whatever the file's size. A batch holds its rows
//! already written in COPY's text format (one row per line: a row's COPY line number is its
//! index in the batch), each row's source line and raw text, and the records the reader
//! could not parse (invalid UTF-8, an unterminated quote, a wrong field count, bad JSON).
//!
//! Each batch is one transaction: `BEGIN; COPY t (cols) FROM STDIN; <progress record>;
//! COMMIT`, the COPY data coming from the batch through [`client::Output::copy_in`], so the
//! same path serves an embedded directory and a server. When the database refuses the batch
//! (a type input error, a constraint), it is loaded again in a new transaction piece by piece
//! under savepoints: an error naming its COPY line (`COPY t, line 7`) rejects that row, loads
//! the rows before it as one piece and goes on with the rest; an error naming no line splits
//! the piece in two. The good rows and the progress record commit together; the bad ones go
//! to the reject file (`line N: SQLSTATE: message` and the record's text) and count against
//! `--max-errors` (default 0: the first bad row stops the import, as COPY does). When the
//! count goes over the limit the current batch is rolled back: what was committed is exactly
//! the batches reported, and the error says where to resume.
//!
//! Resuming: the progress record is a row of `basalt_import_progress` keyed by the file's
//! absolute path and the target table, holding the byte offset and line after the last
//! committed batch and a CRC-32 of the file's bytes up to that offset. It commits in the
//! batch's own transaction, so a crash never leaves rows without their record or a record
//! without its rows. `--resume` checks the CRC of the file's prefix (the file may have been
//! fixed after that point, not before it), seeks there and goes on. A SQLite import keeps one
//! record per table, counting rows read in rowid (or primary key) order.

mod csv;
mod infer;
mod jsonl;
mod progress;
mod sqlite;

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, SyncSender};

use crate::client::{self, Client, Message, Outcome, Output, TxStatus};

pub use infer::Kind;
use progress::{Progress, Unit};

/// The import's arguments.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The database: a directory (created if missing) or a postgres:// URL.
    pub target: String,
    /// The file to import.
    pub file: PathBuf,
    /// The table to load (an SQL name: `sales`, `public.sales`, `"Sales 2024"`); required
    /// for CSV and JSON lines. For SQLite: the source tables to import, comma-separated
    /// [default: all].
    #[arg(long, short = 't')]
    pub table: Option<String>,
    /// The file's format [default: from its extension: .csv/.tsv/.txt, .jsonl/.ndjson,
    /// .sqlite/.sqlite3/.db].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// CSV: the first line names the columns (the default).
    #[arg(long, overrides_with = "no_header")]
    pub header: bool,
    /// CSV: there is no header line; fields go to the table's columns in order.
    #[arg(long, overrides_with = "header")]
    pub no_header: bool,
    /// CSV: the field separator [default: ',' (tab for .tsv)].
    #[arg(long)]
    pub delimiter: Option<char>,
    /// CSV: the quote character.
    #[arg(long, default_value = "\"")]
    pub quote: char,
    /// CSV: the text of a NULL (unquoted) field; a quoted field is never NULL.
    #[arg(long, default_value = "")]
    pub null: String,
    /// CSV, JSON lines: create the table if it does not exist, with column types inferred
    /// from the first --sample records.
    #[arg(long)]
    pub create: bool,
    /// With --create: column types to use instead of the inferred ones
    /// (`id=int,price=numeric(12,2)`; repeatable).
    #[arg(long)]
    pub types: Vec<String>,
    /// With --create: how many records to read for the inference.
    #[arg(long, default_value_t = 1000)]
    pub sample: usize,
    /// Rows per batch (one transaction each).
    #[arg(long, default_value_t = 50_000)]
    pub batch_size: usize,
    /// Where to write the rejected rows (with their line numbers and reasons).
    #[arg(long)]
    pub reject: Option<PathBuf>,
    /// Stop when more than this many rows are rejected (0: the first bad row stops).
    #[arg(long, default_value_t = 0)]
    pub max_errors: u64,
    /// Continue an interrupted import of this file into this table after its last
    /// committed batch.
    #[arg(long, conflicts_with = "restart")]
    pub resume: bool,
    /// Import the whole file again although an earlier import of it stopped part-way.
    #[arg(long)]
    pub restart: bool,
    /// Show no progress.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// An input format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma- (or otherwise) separated values.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// A SQLite database file.
    Sqlite,
}

/// Rows read from the source, ready for COPY.
#[derive(Default)]
pub struct Batch {
    /// The rows in COPY's text format, one per line.
    pub data: Vec<u8>,
    /// Each row's place.
    pub rows: Vec<Row>,
    /// The rows' source text, concatenated.
    pub raw: Vec<u8>,
    /// Records the reader refused, in order.
    pub bad: Vec<Reject>,
    /// The resume position after this batch (a byte offset, or rows for SQLite).
    pub offset: u64,
    /// The number of the next line after this batch.
    pub next_line: u64,
    /// CRC-32 of the file's bytes before `offset`.
    pub crc: u32,
    /// The progress position (bytes or rows).
    pub pos: u64,
    /// No batch follows.
    pub last: bool,
}

/// One row of a [`Batch`].
#[derive(Clone, Copy)]
pub struct Row {
    /// Its source line (or row number).
    pub line: u64,
    /// The end of its COPY line in [`Batch::data`].
    pub data_end: usize,
    /// The end of its text in [`Batch::raw`].
    pub raw_end: usize,
}

/// A rejected record.
pub struct Reject {
    /// Its source line.
    pub line: u64,
    /// Why.
    pub reason: String,
    /// Its text.
    pub raw: Vec<u8>,
}

impl Batch {
    fn clear(&mut self) {
        self.data.clear();
        self.rows.clear();
        self.raw.clear();
        self.bad.clear();
        self.last = false;
    }

    /// Ends the row just written into `data` and `raw`.
    pub fn push_row(&mut self, line: u64) {
        self.rows.push(Row {
            line,
            data_end: self.data.len(),
            raw_end: self.raw.len(),
        });
    }

    fn row_range(&self, i: usize) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let (d, r) = match i {
            0 => (0, 0),
            _ => (self.rows[i - 1].data_end, self.rows[i - 1].raw_end),
        };
        (d..self.rows[i].data_end, r..self.rows[i].raw_end)
    }
}

/// Writes one field in COPY's text format (`\N` for NULL; backslash, tab, LF, CR escaped).
pub fn encode_field(out: &mut Vec<u8>, v: Option<&[u8]>) {
    let Some(v) = v else {
        out.extend_from_slice(b"\\N");
        return;
    };
    if !v
        .iter()
        .any(|&b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
    {
        out.extend_from_slice(v);
        return;
    }
    for &b in v {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b => out.push(b),
        }
    }
}

/// A string as an SQL identifier.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A string as an SQL literal (the dump's quoting).
pub use crate::dump::literal as quote_literal;

/// What the batches carry on the channel (a reader's fatal error ends it).
pub type Produced = Result<Batch, String>;

/// The reader's end of the channel: batches go out, loaded ones come back for reuse (fresh
/// memory costs page faults and zeroing; recycled buffers have their pages already).
pub struct Pipe {
    tx: SyncSender<Produced>,
    back: Receiver<Batch>,
}

impl Pipe {
    /// An empty batch, reusing a loaded one's buffers when one came back.
    pub fn batch(&self) -> Batch {
        match self.back.try_recv() {
            Ok(mut b) => {
                b.clear();
                b
            }
            Err(_) => Batch::default(),
        }
    }

    /// Sends `r`; `false` when the loader has stopped.
    pub fn send(&self, r: Produced) -> bool {
        self.tx.send(r).is_ok()
    }
}

/// The loader's end of the channel.
pub struct Sink {
    rx: Receiver<Produced>,
    back: Sender<Batch>,
}

/// A channel of depth one between a reader thread and the loader.
pub fn pipe() -> (Pipe, Sink) {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let (back_tx, back) = std::sync::mpsc::channel();
    (Pipe { tx, back }, Sink { rx, back: back_tx })
}

/// Where an import starts.
#[derive(Clone, Copy, Default, Debug)]
pub struct Start {
    /// Byte offset (rows for SQLite).
    pub offset: u64,
    /// The line there.
    pub line: u64,
    /// CRC-32 of the bytes before `offset`.
    pub crc: u32,
    /// Rows imported and rejected before.
    pub rows: u64,
    /// Rows rejected before.
    pub rejected: u64,
}

/// Runs `basalt import`.
pub fn run(a: ImportArgs) -> Result<(), String> {
    let format = match a.format {
        Some(f) => f,
        None => guess_format(&a.file)?,
    };
    if a.target == ":memory:" {
        return Err(
            "an import into :memory: would be lost when the command ends: \
                    give a database directory or a server's URL"
                .into(),
        );
    }
    let meta = std::fs::metadata(&a.file).map_err(|e| format!("{}: {e}", a.file.display()))?;
    if meta.is_dir() {
        return Err(format!("{}: is a directory", a.file.display()));
    }
    let mut client = client::open(&a.target).map_err(|e| render(&e))?;
    let c = &mut *client;
    let mut loader = Loader::new(c, &a, meta.len(), format)?;
    let r = match format {
        Format::Csv => import_csv(&mut loader, &a),
        Format::Jsonl => import_jsonl(&mut loader, &a),
        Format::Sqlite => sqlite::import(&mut loader, &a),
    };
    loader.progress.finish();
    if let Some(w) = loader.rejects.as_mut() {
        w.flush()
            .map_err(|e| format!("could not write the reject file: {e}"))?;
    }
    let secs = loader.progress.elapsed().as_secs_f64();
    let summary = format!(
        "{} {} rows, rejected {}, in {:.1} s ({:.0} rows/s)",
        if r.is_ok() {
            "imported"
        } else {
            "stopped: imported"
        },
        loader.imported,
        loader.rejected,
        secs,
        loader.imported as f64 / secs.max(1e-9)
    );
    #[allow(clippy::print_stdout)]
    {
        println!("{summary}");
    }
    r
}

fn guess_format(file: &Path) -> Result<Format, String> {
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    Ok(match ext.as_str() {
        "csv" | "tsv" | "txt" => Format::Csv,
        "jsonl" | "ndjson" | "json" => Format::Jsonl,
        "sqlite" | "sqlite3" | "db" | "db3" => Format::Sqlite,
        _ => {
            return Err(format!(
                "cannot tell the format of {} from its name: pass --format csv, jsonl or sqlite",
                file.display()
            ));
        }
    })
}

/// A database message as one line (`ERROR:  23505: ...`, detail after).
pub fn render(m: &Message) -> String {
    let mut s = format!("{}: {}", m.code, m.message);
    if let Some(d) = &m.detail {
        s.push_str(&format!(" (DETAIL: {d})"));
    }
    s
}

/// Runs SQL whose results are not needed.
fn exec(c: &mut dyn Client, sql: &str) -> Result<Vec<Outcome>, String> {
    client::query(c, sql).map_err(|e| render(&e))
}

/// Loads batches into a table, keeping the progress records, the reject file and the counts.
pub struct Loader<'c> {
    client: &'c mut dyn Client,
    rejects: Option<BufWriter<File>>,
    reject_path: Option<PathBuf>,
    max_errors: u64,
    /// Rows imported (this run and, on resume, before).
    pub imported: u64,
    /// Rows rejected.
    pub rejected: u64,
    progress: Progress,
    batch_size: usize,
    resume: bool,
    restart: bool,
    /// Batches committed by this run.
    committed: u64,
    /// The current batch's rejected rows.
    pending: Vec<Reject>,
    /// What a source position is called in messages (`line`, or `row` for SQLite).
    word: &'static str,
    /// A testing aid: end the process at once, running no destructors (as a kill would),
    /// after this many committed batches (an interruption at a known point, for the resume
    /// tests; `exit` rather than `abort` leaves no core file).
    abort_after: Option<u64>,
}

/// The table a batch stream goes into, and the key of its progress record.
pub struct Target {
    /// The table's SQL name.
    pub table: String,
    /// The COPY column list (`("a", "b")`) or empty for all columns.
    pub columns: String,
    /// The source's key (the file's absolute path).
    pub source: String,
    /// The target's key.
    pub key: String,
}

const PROGRESS_TABLE: &str = "basalt_import_progress";

impl<'c> Loader<'c> {
    fn new(
        client: &'c mut dyn Client,
        a: &ImportArgs,
        size: u64,
        format: Format,
    ) -> Result<Loader<'c>, String> {
        let rejects = match &a.reject {
            Some(p) => Some(BufWriter::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .write(true)
                    .append(a.resume)
                    .truncate(!a.resume)
                    .open(p)
                    .map_err(|e| format!("{}: {e}", p.display()))?,
            )),
            None => None,
        };
        // A SQLite import counts rows (its total is known once its tables are listed).
        let (unit, total) = match format {
            Format::Sqlite => (Unit::Rows, 0),
            _ => (Unit::Bytes, size),
        };
        exec(
            client,
            &format!(
                "CREATE TABLE IF NOT EXISTS {PROGRESS_TABLE} (source text, target text, \
                 byte_offset bigint, next_line bigint, crc bigint, rows_imported bigint, \
                 rows_rejected bigint, done boolean, PRIMARY KEY (source, target))"
            ),
        )?;
        Ok(Loader {
            client,
            rejects,
            reject_path: a.reject.clone(),
            max_errors: a.max_errors,
            imported: 0,
            rejected: 0,
            progress: Progress::new(unit, total, a.quiet),
            batch_size: a.batch_size.max(1),
            resume: a.resume,
            restart: a.restart,
            committed: 0,
            word: "line",
            pending: Vec::new(),
            abort_after: std::env::var("BASALT_IMPORT_ABORT_AFTER_BATCHES")
                .ok()
                .and_then(|v| v.parse().ok()),
        })
    }

    /// Sets the progress total (rows of a SQLite source).
    fn set_total(&mut self, unit: Unit, total: u64, quiet: bool) {
        self.progress = Progress::new(unit, total, quiet);
    }

    /// Where an import of `t` starts: the beginning, or (with --resume) after the last
    /// committed batch. `None`: it is complete already.
    fn start(&mut self, t: &Target) -> Result<Option<Start>, String> {
        let r = exec(
            self.client,
            &format!(
                "SELECT byte_offset, next_line, crc, rows_imported, rows_rejected, done \
                 FROM {PROGRESS_TABLE} WHERE source = {} AND target = {}",
                quote_literal(&t.source),
                quote_literal(&t.key)
            ),
        )?;
        let row = r.last().and_then(|o| o.rows.first()).cloned();
        let Some(row) = row else {
            return Ok(Some(Start {
                line: 1,
                ..Start::default()
            }));
        };
        let num = |i: usize| -> u64 {
            row.get(i)
                .and_then(|v| v.as_deref())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let done = row.get(5).and_then(|v| v.as_deref()) == Some("t");
        if self.resume {
            if done {
                return Ok(None);
            }
            let s = Start {
                offset: num(0),
                line: num(1).max(1),
                crc: num(2) as u32,
                rows: num(3),
                rejected: num(4),
            };
            self.imported = s.rows;
            self.rejected = s.rejected;
            return Ok(Some(s));
        }
        if !done && !self.restart {
            return Err(format!(
                "an earlier import of {} into {} stopped after line {} ({} rows committed): \
                 pass --resume to continue it, or --restart to import the whole file again",
                t.source,
                t.key,
                num(1).saturating_sub(1),
                num(3)
            ));
        }
        Ok(Some(Start {
            line: 1,
            ..Start::default()
        }))
    }

    fn progress_sql(&self, t: &Target, b: &Batch, imported: u64, rejected: u64) -> String {
        format!(
            "INSERT INTO {PROGRESS_TABLE} VALUES ({}, {}, {}, {}, {}, {}, {}, {}) \
             ON CONFLICT (source, target) DO UPDATE SET byte_offset = excluded.byte_offset, \
             next_line = excluded.next_line, crc = excluded.crc, \
             rows_imported = excluded.rows_imported, rows_rejected = excluded.rows_rejected, \
             done = excluded.done",
            quote_literal(&t.source),
            quote_literal(&t.key),
            b.offset,
            b.next_line,
            b.crc,
            imported,
            rejected,
            b.last
        )
    }

    /// Loads every batch of `rx` into `t`.
    fn load(&mut self, t: &Target, sink: Sink) -> Result<(), String> {
        for b in sink.rx {
            let b = b?;
            self.load_batch(t, &b)?;
            // Back to the reader for its next batch: the buffers keep their memory.
            let pos = b.pos;
            let _ = sink.back.send(b);
            self.committed += 1;
            self.progress.update(self.imported, pos);
            if self.abort_after == Some(self.committed) {
                self.progress.finish();
                std::process::exit(86);
            }
        }
        Ok(())
    }

    /// Rejects `r` (written to the reject file with the batch's others, in line order); an
    /// error when that makes too many.
    fn reject(&mut self, r: Reject) -> Result<(), String> {
        self.rejected += 1;
        let (line, reason) = (r.line, r.reason.clone());
        self.pending.push(r);
        if self.rejected > self.max_errors {
            let saw = match &self.reject_path {
                Some(p) => format!("; rejected rows are in {}", p.display()),
                None => String::new(),
            };
            return Err(format!(
                "{} {line}: {reason}\nstopped: more than {} rejected row(s) (--max-errors {}){saw}",
                self.word, self.max_errors, self.max_errors
            ));
        }
        Ok(())
    }

    /// Writes the batch's rejected rows to the reject file, in line order.
    fn write_rejects(&mut self) -> Result<(), String> {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_by_key(|r| r.line);
        let Some(w) = self.rejects.as_mut() else {
            return Ok(());
        };
        for r in pending {
            let mut text = format!("{} {}: {}\n", self.word, r.line, r.reason);
            let raw = String::from_utf8_lossy(&r.raw);
            for l in raw.trim_end_matches(['\n', '\r']).split('\n') {
                text.push_str("> ");
                text.push_str(l.trim_end_matches('\r'));
                text.push('\n');
            }
            w.write_all(text.as_bytes())
                .map_err(|e| format!("could not write the reject file: {e}"))?;
        }
        Ok(())
    }

    fn load_batch(&mut self, t: &Target, b: &Batch) -> Result<(), String> {
        let before = (self.imported, self.rejected);
        let r = self.try_batch(t, b);
        self.write_rejects()?;
        if r.is_err() {
            // Nothing of this batch is committed; the counts go back to the last commit.
            if self.client.status() != TxStatus::Idle {
                let _ = client::query(self.client, "ROLLBACK");
            }
            let (imported, _) = before;
            self.imported = imported;
            let at = b.rows.first().map(|r| r.line);
            let bad = b.bad.first().map(|r| r.line);
            let from = match (at, bad) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => a.or(b).unwrap_or(0),
            };
            return r.map_err(|e| {
                format!(
                    "{e}\nthe batch from {} {from} was rolled back; {} rows were committed \
                     before it (fix the file after that point and run again with --resume)",
                    self.word, self.imported
                )
            });
        }
        r
    }

    fn try_batch(&mut self, t: &Target, b: &Batch) -> Result<(), String> {
        let mut bad: Vec<Reject> = Vec::new();
        for r in &b.bad {
            bad.push(Reject {
                line: r.line,
                reason: r.reason.clone(),
                raw: r.raw.clone(),
            });
        }
        // Rows the reader refused count first: too many stop before anything is sent.
        for r in bad {
            self.reject(r)?;
        }
        let copy = format!("COPY {}{} FROM STDIN", t.table, t.columns);
        if b.rows.is_empty() {
            let sql = self.progress_sql(t, b, self.imported, self.rejected);
            exec(self.client, &sql)?;
            return Ok(());
        }
        let sql = format!(
            "BEGIN; {copy}; {}; COMMIT",
            self.progress_sql(t, b, self.imported + b.rows.len() as u64, self.rejected)
        );
        let mut feed = Feed::new(&b.data);
        match self.client.run(&sql, &mut feed) {
            Ok(()) => {
                self.imported += feed.copied.unwrap_or(0);
                return Ok(());
            }
            Err(e) if self.client.status() == TxStatus::Idle && feed.copied.is_some() => {
                // The COMMIT itself failed (a deferred constraint): report it.
                return Err(render(&e));
            }
            Err(e) if !row_error(&e) => {
                // The statement itself is wrong (no such column, no privilege...): no row
                // is to blame, so none is rejected.
                return Err(render(&e));
            }
            Err(_) => {}
        }
        if self.client.status() != TxStatus::Idle {
            exec(self.client, "ROLLBACK")?;
        }
        // Load it again piece by piece to find the rows the database refuses.
        exec(self.client, "BEGIN")?;
        let mut imported = 0u64;
        let mut stack: Vec<Vec<usize>> = vec![(0..b.rows.len()).collect()];
        let mut data = Vec::new();
        while let Some(set) = stack.pop() {
            if set.is_empty() {
                continue;
            }
            data.clear();
            for &i in &set {
                data.extend_from_slice(&b.data[b.row_range(i).0]);
            }
            let mut feed = Feed::new(&data);
            match self
                .client
                .run(&format!("SAVEPOINT basalt_import; {copy}"), &mut feed)
            {
                Ok(()) => {
                    imported += feed.copied.unwrap_or(0);
                    exec(self.client, "RELEASE SAVEPOINT basalt_import")?;
                }
                Err(e) => {
                    if feed.savepoint_failed() {
                        return Err(render(&e));
                    }
                    if !row_error(&e) {
                        return Err(render(&e));
                    }
                    exec(self.client, "ROLLBACK TO SAVEPOINT basalt_import")?;
                    let line = copy_line(&e).filter(|&l| l >= 1 && l <= set.len());
                    match line {
                        Some(l) => {
                            self.reject_row(b, set[l - 1], &e)?;
                            stack.push(set[l..].to_vec());
                            stack.push(set[..l - 1].to_vec());
                        }
                        None if set.len() == 1 => self.reject_row(b, set[0], &e)?,
                        None => {
                            let mid = set.len() / 2;
                            stack.push(set[mid..].to_vec());
                            stack.push(set[..mid].to_vec());
                        }
                    }
                }
            }
        }
        let sql = format!(
            "{}; COMMIT",
            self.progress_sql(t, b, self.imported + imported, self.rejected)
        );
        exec(self.client, &sql)?;
        self.imported += imported;
        Ok(())
    }

    fn reject_row(&mut self, b: &Batch, i: usize, e: &Message) -> Result<(), String> {
        let mut reason = render(e);
        if let Some(col) = e
            .context
            .as_deref()
            .and_then(|c| c.split_once(", column "))
            .map(|(_, col)| col)
        {
            reason.push_str(&format!(" (column {col})"));
        }
        self.reject(Reject {
            line: b.rows[i].line,
            reason,
            raw: b.raw[b.row_range(i).1].to_vec(),
        })
    }
}

/// Whether an error can be blamed on the rows sent: one naming its COPY line, a data
/// exception (22...), an integrity constraint (23...) or a trigger's RAISE (P0...).
fn row_error(e: &Message) -> bool {
    copy_line(e).is_some() || ["22", "23", "P0"].iter().any(|c| e.code.starts_with(c))
}

/// The COPY line an error names (`COPY t, line 7...`).
fn copy_line(e: &Message) -> Option<usize> {
    let c = e.context.as_deref()?;
    let rest = &c[c.find(", line ")? + 7..];
    let end = rest
        .find(|ch: char| !ch.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Supplies a batch's data to COPY and notes the rows it copied.
struct Feed<'a> {
    data: &'a [u8],
    copied: Option<u64>,
    results: usize,
}

impl<'a> Feed<'a> {
    fn new(data: &'a [u8]) -> Feed<'a> {
        Feed {
            data,
            copied: None,
            results: 0,
        }
    }

    /// Whether the statement before the COPY (the SAVEPOINT) failed.
    fn savepoint_failed(&self) -> bool {
        self.results == 0
    }
}

impl Output for Feed<'_> {
    fn result(&mut self, o: Outcome) {
        self.results += 1;
        if let Some(n) = o.tag.strip_prefix("COPY ") {
            self.copied = n.parse().ok();
        }
    }
    fn notice(&mut self, _n: Message) {}
    fn copy_in(&mut self) -> std::io::Result<&mut dyn Read> {
        Ok(&mut self.data)
    }
    fn copy_out(&mut self) -> std::io::Result<&mut dyn Write> {
        Err(std::io::Error::other("an import writes no COPY output"))
    }
}

/// The table's columns in order (generated ones left out): names and SQL types.
fn table_columns(c: &mut dyn Client, table: &str) -> Result<Vec<(String, String)>, String> {
    let r = exec(
        c,
        &format!(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
             WHERE a.attrelid = {}::regclass AND a.attnum > 0 AND NOT a.attisdropped \
             AND a.attgenerated = '' ORDER BY a.attnum",
            quote_literal(table)
        ),
    )?;
    Ok(r.last()
        .map(|o| {
            o.rows
                .iter()
                .filter_map(|r| match r.as_slice() {
                    [Some(n), Some(t)] => Some((n.clone(), t.clone())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default())
}

fn table_exists(c: &mut dyn Client, table: &str) -> Result<bool, String> {
    let r = exec(
        c,
        &format!("SELECT to_regclass({}) IS NOT NULL", quote_literal(table)),
    )?;
    Ok(r.last()
        .and_then(|o| o.rows.first())
        .and_then(|r| r.first().cloned().flatten())
        .as_deref()
        == Some("t"))
}

/// Creates `table` with the inferred (or given) column types.
fn create_table(
    c: &mut dyn Client,
    a: &ImportArgs,
    table: &str,
    columns: &[(String, Kind)],
) -> Result<(), String> {
    let mut overrides = std::collections::HashMap::new();
    for t in a.types.iter().flat_map(|t| split_types(t)) {
        let (col, ty) = t
            .split_once('=')
            .ok_or_else(|| format!("--types {t}: expected column=type"))?;
        overrides.insert(col.trim().to_string(), ty.trim().to_string());
    }
    for col in overrides.keys() {
        if !columns.iter().any(|(n, _)| n == col) {
            return Err(format!("--types: the file has no column \"{col}\""));
        }
    }
    let cols: Vec<String> = columns
        .iter()
        .map(|(n, k)| {
            let ty = overrides.get(n).map(String::as_str).unwrap_or(k.sql());
            format!("{} {ty}", quote_ident(n))
        })
        .collect();
    exec(
        c,
        &format!("CREATE TABLE IF NOT EXISTS {table} ({})", cols.join(", ")),
    )?;
    Ok(())
}

/// Splits `--types` at the commas outside parentheses (`numeric(12,2)` is one type).
fn split_types(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth <= 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter().filter(|t| !t.trim().is_empty()).collect()
}

fn require_table(a: &ImportArgs) -> Result<String, String> {
    a.table
        .clone()
        .ok_or_else(|| "--table is required for CSV and JSON lines".to_string())
}

fn source_key(path: &Path) -> Result<String, String> {
    std::fs::canonicalize(path)
        .map(|p| p.to_string_lossy().into_owned())
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn import_csv(loader: &mut Loader<'_>, a: &ImportArgs) -> Result<(), String> {
    let table = require_table(a)?;
    let tsv = a
        .file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
    let delimiter = a.delimiter.unwrap_or(if tsv { '\t' } else { ',' });
    let ascii = |c: char, what: &str| -> Result<u8, String> {
        if c.is_ascii() && c != '\n' && c != '\r' {
            Ok(c as u8)
        } else {
            Err(format!(
                "--{what} must be one ASCII character other than a line end"
            ))
        }
    };
    let dialect = csv::Dialect {
        delimiter: ascii(delimiter, "delimiter")?,
        quote: ascii(a.quote, "quote")?,
        null: a.null.as_bytes().to_vec(),
    };
    if dialect.delimiter == dialect.quote {
        return Err("--delimiter and --quote must differ".into());
    }
    let header = !a.no_header;
    let names = csv_sample(&a.file, &dialect, header, 0)?.0;
    let exists = table_exists(loader.client, &table)?;
    if !exists {
        if !a.create {
            return Err(format!(
                "table {table} does not exist (pass --create to create it from the file)"
            ));
        }
        let (names, kinds) = csv_sample(&a.file, &dialect, header, a.sample)?;
        let cols: Vec<(String, Kind)> = names.into_iter().zip(kinds).collect();
        create_table(loader.client, a, &table, &cols)?;
    }
    let columns = if header {
        let q: Vec<String> = names.iter().map(|n| quote_ident(n)).collect();
        format!(" ({})", q.join(", "))
    } else {
        String::new()
    };
    let target = Target {
        table: table.clone(),
        columns,
        source: source_key(&a.file)?,
        key: table,
    };
    let Some(start) = loader.start(&target)? else {
        return already_done(&target);
    };
    let (tx, rx) = pipe();
    let path = a.file.clone();
    let batch_size = loader.batch_size;
    let fields = names.len();
    let producer = std::thread::spawn(move || {
        produce_csv(&path, dialect, header, fields, start, batch_size, &tx);
    });
    let r = loader.load(&target, rx);
    drop(producer);
    r
}

fn already_done(t: &Target) -> Result<(), String> {
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "import: {} was imported into {} completely already",
            t.source, t.key
        );
    }
    Ok(())
}

/// The header's names (or `column1`...) and, with `sample > 0`, the kinds of the first
/// `sample` records' fields.
fn csv_sample(
    path: &Path,
    dialect: &csv::Dialect,
    header: bool,
    sample: usize,
) -> Result<(Vec<String>, Vec<Kind>), String> {
    let f = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut r = csv::Reader::new(
        std::io::BufReader::with_capacity(1 << 16, f),
        dialect.clone(),
        1,
    );
    let mut rec = csv::Record::default();
    let io = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut names = Vec::new();
    if header {
        if !r.read(&mut rec).map_err(io)? {
            return Err(format!(
                "{}: the file is empty (no header line)",
                path.display()
            ));
        }
        if let Some(e) = &rec.error {
            return Err(format!("{}: the header: {e}", path.display()));
        }
        for v in rec.values() {
            let n = String::from_utf8_lossy(v.unwrap_or_default())
                .trim()
                .to_string();
            if n.is_empty() {
                return Err(format!(
                    "{}: the header names an empty column (column {})",
                    path.display(),
                    names.len() + 1
                ));
            }
            names.push(n);
        }
    }
    let mut kinds: Vec<Kind> = vec![Kind::Unknown; names.len()];
    let mut seen = 0;
    while (seen < sample || (!header && names.is_empty())) && r.read(&mut rec).map_err(io)? {
        if rec.error.is_some() {
            continue;
        }
        if !header && names.is_empty() {
            names = (1..=rec.fields.len())
                .map(|i| format!("column{i}"))
                .collect();
            kinds = vec![Kind::Unknown; names.len()];
        }
        seen += 1;
        for (i, v) in rec.values().enumerate() {
            if let (Some(v), Some(k)) = (v, kinds.get_mut(i))
                && let Ok(s) = std::str::from_utf8(v)
            {
                *k = k.join(Kind::of_text(s));
            }
        }
    }
    Ok((names, kinds))
}

/// Hashes and skips the file's first `offset` bytes; an error if they changed.
fn skip_prefix(
    input: &mut impl std::io::BufRead,
    hasher: &mut crc32fast::Hasher,
    mut left: u64,
    start: &Start,
    path: &Path,
) -> Result<(), String> {
    while left > 0 {
        let buf = input
            .fill_buf()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if buf.is_empty() {
            break;
        }
        let n = buf.len().min(left as usize);
        hasher.update(&buf[..n]);
        input.consume(n);
        left -= n as u64;
    }
    if left > 0 || hasher.clone().finalize() != start.crc {
        return Err(format!(
            "{} changed before line {} since the interrupted import: cannot resume \
             (pass --restart to import it all again)",
            path.display(),
            start.line
        ));
    }
    Ok(())
}

/// Reads the CSV file and sends its batches.
fn produce_csv(
    path: &Path,
    dialect: csv::Dialect,
    header: bool,
    fields: usize,
    start: Start,
    batch_size: usize,
    tx: &Pipe,
) {
    let r = (|| -> Result<(), String> {
        let io = |e: std::io::Error| format!("{}: {e}", path.display());
        let f = File::open(path).map_err(io)?;
        let mut hasher = crc32fast::Hasher::new();
        let mut offset = 0u64;
        let mut r = csv::Reader::new(
            std::io::BufReader::with_capacity(1 << 18, f),
            dialect.clone(),
            1,
        );
        let mut rec = csv::Record::default();
        let mut fields = fields;
        if header && r.read(&mut rec).map_err(io)? {
            hasher.update(&rec.raw);
            offset += rec.raw.len() as u64;
        }
        if start.offset > 0 {
            let mut input = r.into_inner();
            let left = start.offset.checked_sub(offset).unwrap_or(u64::MAX);
            skip_prefix(&mut input, &mut hasher, left, &start, path)?;
            offset = start.offset;
            r = csv::Reader::new(input, dialect, start.line);
        }
        loop {
            let mut b = tx.batch();
            while b.rows.len() < batch_size && b.data.len() < MAX_BATCH_BYTES {
                if !r.read(&mut rec).map_err(io)? {
                    b.last = true;
                    break;
                }
                hasher.update(&rec.raw);
                offset += rec.raw.len() as u64;
                if fields == 0 {
                    fields = rec.fields.len();
                }
                let err = rec.error.clone().or_else(|| {
                    (rec.fields.len() != fields)
                        .then(|| format!("expected {fields} fields, found {}", rec.fields.len()))
                });
                if let Some(reason) = err {
                    b.bad.push(Reject {
                        line: rec.line,
                        reason,
                        raw: rec.raw.clone(),
                    });
                    continue;
                }
                for (i, v) in rec.values().enumerate() {
                    if i > 0 {
                        b.data.push(b'\t');
                    }
                    encode_field(&mut b.data, v);
                }
                b.data.push(b'\n');
                b.raw.extend_from_slice(&rec.raw);
                b.push_row(rec.line);
            }
            b.offset = offset;
            b.pos = offset;
            b.next_line = r.line();
            b.crc = hasher.clone().finalize();
            let last = b.last;
            if !tx.send(Ok(b)) || last {
                return Ok(());
            }
        }
    })();
    if let Err(e) = r {
        tx.send(Err(e));
    }
}

/// A batch also ends when its COPY data passes this size (huge values).
pub const MAX_BATCH_BYTES: usize = 32 << 20;

fn import_jsonl(loader: &mut Loader<'_>, a: &ImportArgs) -> Result<(), String> {
    let table = require_table(a)?;
    let exists = table_exists(loader.client, &table)?;
    if !exists {
        if !a.create {
            return Err(format!(
                "table {table} does not exist (pass --create to create it from the file)"
            ));
        }
        let cols = jsonl::sample(&a.file, a.sample)?;
        if cols.is_empty() {
            return Err(format!(
                "{}: no JSON object in the first {} lines to create the table from",
                a.file.display(),
                a.sample
            ));
        }
        create_table(loader.client, a, &table, &cols)?;
    }
    let cols = table_columns(loader.client, &table)?;
    let q: Vec<String> = cols.iter().map(|(n, _)| quote_ident(n)).collect();
    // A json/jsonb column takes every value as JSON text, strings too.
    let names: Vec<(String, bool)> = cols
        .into_iter()
        .map(|(n, t)| (n, t == "json" || t == "jsonb"))
        .collect();
    let target = Target {
        table: table.clone(),
        columns: format!(" ({})", q.join(", ")),
        source: source_key(&a.file)?,
        key: table,
    };
    let Some(start) = loader.start(&target)? else {
        return already_done(&target);
    };
    let (tx, rx) = pipe();
    let path = a.file.clone();
    let batch_size = loader.batch_size;
    std::thread::spawn(move || {
        jsonl::produce(&path, &names, start, batch_size, &tx);
    });
    loader.load(&target, rx)
}
