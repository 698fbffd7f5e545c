//! `basalt export`: a table or a query's rows to CSV or JSON lines.
//!
//! Both formats stream through `COPY ... TO STDOUT`, so memory stays bounded whatever the
//! result's size and the same path serves an embedded directory and a server. CSV is COPY's
//! own CSV output (PostgreSQL's quoting, the given delimiter and NULL string). JSON lines are
//! `COPY (SELECT row_to_json(q) FROM (query) q) TO STDOUT`: the database writes each row as
//! a JSON object with its types' JSON forms (numbers and booleans bare, json/jsonb embedded,
//! everything else a string), and [`Unescape`] undoes COPY's text-format escaping of it.

use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;

use crate::client::{self, Message, Outcome, Output};
use crate::import::{quote_literal, render};

/// The export's arguments.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// The database: a directory or a postgres:// URL.
    pub target: String,
    /// The table to export (an SQL name).
    #[arg(
        long,
        short = 't',
        required_unless_present = "query",
        conflicts_with = "query"
    )]
    pub table: Option<String>,
    /// A query whose rows to export.
    #[arg(long, short = 'c')]
    pub query: Option<String>,
    /// The file to write [default: standard output].
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// The format [default: from the output's extension (.jsonl, .ndjson: JSON lines),
    /// else CSV].
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
    /// CSV: write a header line with the column names (the default).
    #[arg(long, overrides_with = "no_header")]
    pub header: bool,
    /// CSV: no header line.
    #[arg(long, overrides_with = "header")]
    pub no_header: bool,
    /// CSV: the field separator.
    #[arg(long, default_value = ",")]
    pub delimiter: char,
    /// CSV: the text written for NULL (an empty string is written quoted to differ).
    #[arg(long, default_value = "")]
    pub null: String,
}

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Comma- (or otherwise) separated values.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// Undoes COPY's text-format escapes (`\\`, `\n`, `\t`, `\r`, `\b`, `\f`, `\v`) on its way
/// to `inner`; a backslash ending one write carries over to the next.
pub struct Unescape<W: Write> {
    inner: W,
    pending: bool,
    buf: Vec<u8>,
}

impl<W: Write> Unescape<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Unescape<W> {
        Unescape {
            inner,
            pending: false,
            buf: Vec::new(),
        }
    }
}

impl<W: Write> Write for Unescape<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.clear();
        for &b in data {
            if self.pending {
                self.pending = false;
                self.buf.push(match b {
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    b'b' => 8,
                    b'f' => 12,
                    b'v' => 11,
                    b => b,
                });
            } else if b == b'\\' {
                self.pending = true;
            } else {
                self.buf.push(b);
            }
        }
        self.inner.write_all(&self.buf)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

struct Sink<'a> {
    out: &'a mut dyn Write,
    rows: Option<u64>,
}

impl Output for Sink<'_> {
    fn result(&mut self, o: Outcome) {
        if let Some(n) = o.tag.strip_prefix("COPY ") {
            self.rows = n.parse().ok();
        }
    }
    fn notice(&mut self, n: Message) {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("{}:  {}", n.severity, n.message);
        }
    }
    fn copy_in(&mut self) -> std::io::Result<&mut dyn Read> {
        Err(std::io::Error::other("an export reads no COPY input"))
    }
    fn copy_out(&mut self) -> std::io::Result<&mut dyn Write> {
        Ok(&mut *self.out)
    }
}

/// Runs `basalt export`.
pub fn run(a: ExportArgs) -> Result<(), String> {
    let format = a.format.unwrap_or_else(|| {
        match a
            .output
            .as_ref()
            .and_then(|p| p.extension())
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("jsonl" | "ndjson" | "json") => ExportFormat::Jsonl,
            _ => ExportFormat::Csv,
        }
    });
    let query = match (&a.table, &a.query) {
        (Some(t), _) => format!("SELECT * FROM {t}"),
        (None, Some(q)) => q.trim().trim_end_matches(';').trim().to_string(),
        (None, None) => return Err("pass --table or --query".into()),
    };
    let sql = match format {
        ExportFormat::Csv => {
            if !a.delimiter.is_ascii() || matches!(a.delimiter, '\n' | '\r' | '"') {
                return Err(
                    "--delimiter must be one ASCII character other than a line end or a quote"
                        .into(),
                );
            }
            // The query form serves views too (COPY view TO is refused).
            format!(
                "COPY ({query}) TO STDOUT (FORMAT csv, HEADER {}, DELIMITER {}, NULL {})",
                !a.no_header,
                quote_literal(&a.delimiter.to_string()),
                quote_literal(&a.null)
            )
        }
        ExportFormat::Jsonl => format!(
            "COPY (SELECT row_to_json(basalt_export_row) FROM ({query}) basalt_export_row) TO STDOUT"
        ),
    };
    let mut client = client::open(&a.target).map_err(|e| render(&e))?;
    let mut file: Box<dyn Write> = match &a.output {
        Some(p) => Box::new(BufWriter::with_capacity(
            1 << 16,
            std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()))?,
        )),
        None => Box::new(BufWriter::with_capacity(1 << 16, std::io::stdout().lock())),
    };
    let rows = {
        let mut unescape;
        let out: &mut dyn Write = match format {
            ExportFormat::Csv => &mut file,
            ExportFormat::Jsonl => {
                unescape = Unescape::new(&mut file);
                &mut unescape
            }
        };
        let mut sink = Sink { out, rows: None };
        client.run(&sql, &mut sink).map_err(|e| render(&e))?;
        sink.rows
    };
    file.flush().map_err(|e| format!("could not write: {e}"))?;
    if let Some(p) = &a.output {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("exported {} rows to {}", rows.unwrap_or(0), p.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_across_writes() -> std::io::Result<()> {
        let mut out = Vec::new();
        {
            let mut u = Unescape::new(&mut out);
            u.write_all(b"{\"a\":\"x\\\\")?;
            u.write_all(b"ny\"}\\tz\n")?;
        }
        assert_eq!(out, b"{\"a\":\"x\\ny\"}\tz\n");
        Ok(())
    }
}
