//! `COPY`: rows between a table (or a query) and a stream of text, in PostgreSQL's text and
//! CSV formats.
//!
//! # Design
//!
//! `COPY t [(cols)] FROM {STDIN | 'file' | PROGRAM 'cmd'} [WITH (...)] [WHERE cond]` reads
//! the stream record by record and inserts through the INSERT path: the statement is bound
//! as `INSERT INTO t (cols) OVERRIDING SYSTEM VALUE DEFAULT VALUES` (so defaults, identity and
//! generated columns, CHECK, NOT NULL, domains, unique and foreign keys behave exactly as for
//! INSERT), and each batch of `BATCH` (4096) parsed rows goes to the INSERT executor as given rows.
//! Each field is read by its column type's input function (what a quoted literal cast to the
//! type does). Memory stays bounded by the batch, whatever the input's size.
//!
//! `COPY {t [(cols)] | (query)} TO {STDOUT | 'file' | PROGRAM 'cmd'}` runs the query (for a
//! table, `SELECT cols FROM t`) and writes each value with its type's output function.
//!
//! STDIN and STDOUT are the client's stream: [`crate::Session::copy_in`] and
//! [`crate::Session::copy_out`] pass one (the wire protocol's CopyData messages, a file the
//! shell opened, ...). A COPY run as plain text has no client stream and fails with 0A000.
//!
//! Options are checked in PostgreSQL's order with its messages (`ProcessCopyOptions`);
//! `FORMAT binary` is refused with 0A000. Input must be UTF-8 (`ENCODING 'UTF8'`, the
//! default) or Latin-1 (`ENCODING 'LATIN1'`, converted as it is read).
//!
//! # Formats
//!
//! - text: fields split by the delimiter (tab); `\N` is NULL; backslash escapes `\b \f \n \r
//!   \t \v`, octal `\123`, hex `\x4F`, any other character stands for itself; a line `\.`
//!   ends the data. Output escapes backslash, the delimiter and those control characters.
//! - CSV: fields split by the delimiter (`,`), optionally quoted (`"`), a doubled quote (or the
//!   escape character before it) inside quotes stands for one; quoted fields may span lines;
//!   an unquoted empty field is NULL (the NULL string), a quoted one is an empty string.
//!   Output quotes values holding the delimiter, quote, CR or LF, and values equal to the
//!   NULL string.

use std::io::{BufRead, BufReader, Read, Write};

use basalt_common::types::{CastContext, DataType, Value, format_text};
use basalt_txn::TxnKv;
use pg_query::protobuf::{self, node::Node};

use crate::error::SqlError;
use crate::expr::Expr;
use crate::session::{Session, StatementResult};

/// Rows inserted per call of the INSERT executor.
const BATCH: usize = 4096;

/// The client's side of a COPY: where `FROM STDIN` reads and `TO STDOUT` writes.
pub enum CopyStream<'a> {
    /// Data for `COPY ... FROM STDIN`.
    In(&'a mut dyn Read),
    /// Destination of `COPY ... TO STDOUT`.
    Out(&'a mut dyn Write),
    /// A protocol client: told when a COPY begins, and given each statement's result as it
    /// completes ([`crate::Session::run_for_client`]).
    Client(&'a mut dyn Client),
}

/// A client on the other end of a protocol (the wire server's connection): statements'
/// results are handed over one by one as they complete, and a `COPY ... FROM STDIN` /
/// `TO STDOUT` asks it for the data stream once the statement has been checked (the server
/// answers CopyInResponse / CopyOutResponse then).
pub trait Client {
    /// A statement of the query string completed with `result`.
    fn result(&mut self, result: StatementResult);
    /// `COPY ... FROM STDIN` of `columns` columns begins: the client's data. The reader
    /// returns end of file at the client's CopyDone and an error at its CopyFail.
    fn copy_in(&mut self, columns: usize) -> Result<&mut dyn Read, SqlError>;
    /// `COPY ... TO STDOUT` of `columns` columns begins: where its data goes. (Its end is
    /// the COPY statement's result, or an error.)
    fn copy_out(&mut self, columns: usize) -> Result<&mut dyn Write, SqlError>;
    /// Where a query's rows go as the executor produces them, when the client takes them
    /// so (the wire server encodes each into its output buffer); `None`, the default: they
    /// are collected into the statement's result. Asked once per statement that can stream
    /// (a plain SELECT, VALUES or TABLE); the statement's result then carries its tag and
    /// columns but no rows.
    fn rows(&mut self) -> Option<&mut dyn RowSink> {
        None
    }
}

/// The receiver of a query's rows as they are produced ([`Client::rows`]): memory stays
/// bounded whatever the number of rows, and the first row leaves before the last is
/// computed. An error returned (the client is gone, a value it cannot encode) stops the
/// statement with that error, as any execution error does.
pub trait RowSink {
    /// The rows begin (the statement is bound and planned, no row computed yet): their
    /// column names and types, and the notices the statement raised so far, to go first.
    fn begin(
        &mut self,
        columns: &[String],
        types: &[DataType],
        notices: Vec<crate::error::Notice>,
    ) -> Result<(), SqlError>;
    /// One row; `types` are `begin`'s, `ctx` the session's output settings (DateStyle,
    /// TimeZone, ...) for text formats.
    fn row(
        &mut self,
        row: &[Value],
        types: &[DataType],
        ctx: &basalt_common::types::TypeContext,
    ) -> Result<(), SqlError>;
}

/// A client that only takes rows ([`crate::Session::query_to`]): COPY with STDIN / STDOUT
/// is refused as without any client.
pub(crate) struct SinkClient<'s>(pub(crate) &'s mut dyn RowSink);

impl Client for SinkClient<'_> {
    fn result(&mut self, _: StatementResult) {}

    fn copy_in(&mut self, _: usize) -> Result<&mut dyn Read, SqlError> {
        Err(err(
            "0A000",
            "feature not supported: COPY FROM STDIN without a client data stream (use copy_in)",
        ))
    }

    fn copy_out(&mut self, _: usize) -> Result<&mut dyn Write, SqlError> {
        Err(err(
            "0A000",
            "feature not supported: COPY TO STDOUT without a client data stream (use copy_out)",
        ))
    }

    fn rows(&mut self) -> Option<&mut dyn RowSink> {
        Some(&mut *self.0)
    }
}

fn err(code: &'static str, message: impl Into<String>) -> SqlError {
    SqlError::new(code, message)
}

/// HEADER's three values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Header {
    No,
    Yes,
    Match,
}

/// FORCE_QUOTE's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ForceQuote {
    None,
    All,
    Columns(Vec<String>),
}

/// The options of one COPY, defaults filled in.
#[derive(Debug, Clone)]
struct CopyOptions {
    csv: bool,
    delimiter: u8,
    null: String,
    header: Header,
    quote: u8,
    escape: u8,
    force_quote: ForceQuote,
    force_not_null: Vec<String>,
    force_null: Vec<String>,
    latin1: bool,
}

/// An option's argument as text (PostgreSQL's `defGetString`).
fn def_string(d: &protobuf::DefElem) -> Result<String, SqlError> {
    match d.arg.as_deref().and_then(|n| n.node.as_ref()) {
        Some(Node::String(s)) => Ok(s.sval.clone()),
        Some(Node::Integer(i)) => Ok(i.ival.to_string()),
        Some(Node::Float(f)) => Ok(f.fval.clone()),
        Some(Node::Boolean(b)) => Ok(if b.boolval { "true" } else { "false" }.into()),
        Some(Node::AStar(_)) => Ok("*".into()),
        Some(Node::TypeName(t)) => Ok(t
            .names
            .iter()
            .filter_map(|n| match n.node.as_ref() {
                Some(Node::String(s)) => Some(s.sval.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(".")),
        _ => Err(err("42601", format!("{} requires a parameter", d.defname))),
    }
}

/// PostgreSQL's `defGetBoolean`, with `match` for HEADER in COPY FROM.
fn def_header(d: &protobuf::DefElem, from: bool) -> Result<Header, SqlError> {
    let text = match d.arg.as_deref().and_then(|n| n.node.as_ref()) {
        None => return Ok(Header::Yes),
        Some(Node::Integer(i)) => {
            return match i.ival {
                0 => Ok(Header::No),
                1 => Ok(Header::Yes),
                _ => Err(err(
                    "42601",
                    format!("{} requires a Boolean value or \"match\"", d.defname),
                )),
            };
        }
        Some(Node::Boolean(b)) => return Ok(if b.boolval { Header::Yes } else { Header::No }),
        Some(_) => def_string(d)?,
    };
    match text.to_ascii_lowercase().as_str() {
        "true" | "on" => Ok(Header::Yes),
        "false" | "off" => Ok(Header::No),
        "match" if from => Ok(Header::Match),
        "match" => Err(err(
            "42601",
            format!("cannot use \"{text}\" with HEADER in COPY TO"),
        )),
        _ => Err(err(
            "42601",
            format!("{} requires a Boolean value or \"match\"", d.defname),
        )),
    }
}

/// A list-of-columns option (`FORCE_NOT_NULL (a, b)`).
fn def_columns(d: &protobuf::DefElem) -> Result<Vec<String>, SqlError> {
    match d.arg.as_deref().and_then(|n| n.node.as_ref()) {
        Some(Node::List(l)) => Ok(l
            .items
            .iter()
            .filter_map(|n| match n.node.as_ref() {
                Some(Node::String(s)) => Some(s.sval.clone()),
                _ => None,
            })
            .collect()),
        _ => Err(err(
            "22023",
            format!(
                "argument to option \"{}\" must be a list of column names",
                d.defname
            ),
        )),
    }
}

/// Whether `name` is an encoding PostgreSQL knows (its spelling rules: case and
/// punctuation ignored), and which of them Basalt reads: `Some(true)` for Latin-1,
/// `Some(false)` for UTF-8 and SQL_ASCII.
fn encoding(name: &str) -> Result<bool, SqlError> {
    let clean: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match clean.as_str() {
        "utf8" | "unicode" | "sqlascii" => Ok(false),
        "latin1" | "iso88591" => Ok(true),
        "eucjp" | "euccn" | "euckr" | "euctw" | "eucjis2004" | "muleinternal" | "latin2"
        | "latin3" | "latin4" | "latin5" | "latin6" | "latin7" | "latin8" | "latin9"
        | "latin10" | "win1256" | "win1258" | "win866" | "win874" | "koi8r" | "koi8u"
        | "win1251" | "win1252" | "iso88595" | "iso88596" | "iso88597" | "iso88598" | "win1250"
        | "win1253" | "win1254" | "win1255" | "win1257" | "sjis" | "big5" | "gbk" | "uhc"
        | "gb18030" | "johab" | "shiftjis2004" | "alt" | "win" | "koi8" | "tcvn"
        | "windows1252" | "windows1251" | "windows1250" | "mskanji" | "shiftjis" => Err(err(
            "0A000",
            format!("feature not supported: COPY with ENCODING '{name}' (only UTF8 and LATIN1)"),
        )),
        _ => Err(err(
            "22023",
            "argument to option \"encoding\" must be a valid encoding name",
        )),
    }
}

/// PostgreSQL's `ProcessCopyOptions`: the options of `COPY ... FROM` (`from`) or `TO`,
/// checked in its order with its messages.
fn copy_options(list: &[protobuf::Node], from: bool) -> Result<CopyOptions, SqlError> {
    let conflicting = |d: &protobuf::DefElem| {
        err("42601", "conflicting or redundant options").at(crate::binder::pos(d.location))
    };
    let mut format: Option<String> = None;
    let mut freeze = false;
    let mut delimiter: Option<String> = None;
    let mut null: Option<String> = None;
    let mut header: Option<Header> = None;
    let mut quote: Option<String> = None;
    let mut escape: Option<String> = None;
    let mut force_quote: Option<ForceQuote> = None;
    let mut force_not_null: Option<Vec<String>> = None;
    let mut force_null: Option<Vec<String>> = None;
    let mut latin1: Option<bool> = None;
    for n in list {
        let Some(Node::DefElem(d)) = n.node.as_ref() else {
            continue;
        };
        match d.defname.as_str() {
            "format" => {
                if format.is_some() {
                    return Err(conflicting(d));
                }
                let f = def_string(d)?;
                if !matches!(f.as_str(), "text" | "csv" | "binary") {
                    return Err(err("22023", format!("COPY format \"{f}\" not recognized"))
                        .at(crate::binder::pos(d.location)));
                }
                format = Some(f);
            }
            "freeze" => {
                if freeze {
                    return Err(conflicting(d));
                }
                freeze = true;
                def_header(d, false)
                    .map_err(|_| err("42601", format!("{} requires a Boolean value", d.defname)))?;
            }
            "delimiter" => {
                if delimiter.is_some() {
                    return Err(conflicting(d));
                }
                delimiter = Some(def_string(d)?);
            }
            "null" => {
                if null.is_some() {
                    return Err(conflicting(d));
                }
                null = Some(def_string(d)?);
            }
            "header" => {
                if header.is_some() {
                    return Err(conflicting(d));
                }
                header = Some(def_header(d, from)?);
            }
            "quote" => {
                if quote.is_some() {
                    return Err(conflicting(d));
                }
                quote = Some(def_string(d)?);
            }
            "escape" => {
                if escape.is_some() {
                    return Err(conflicting(d));
                }
                escape = Some(def_string(d)?);
            }
            "force_quote" => {
                if force_quote.is_some() {
                    return Err(conflicting(d));
                }
                force_quote = Some(match d.arg.as_deref().and_then(|n| n.node.as_ref()) {
                    Some(Node::AStar(_)) => ForceQuote::All,
                    _ => ForceQuote::Columns(def_columns(d)?),
                });
            }
            "force_not_null" => {
                if force_not_null.is_some() {
                    return Err(conflicting(d));
                }
                force_not_null = Some(def_columns(d)?);
            }
            "force_null" => {
                if force_null.is_some() {
                    return Err(conflicting(d));
                }
                force_null = Some(def_columns(d)?);
            }
            "encoding" => {
                if latin1.is_some() {
                    return Err(conflicting(d));
                }
                latin1 = Some(encoding(&def_string(d)?)?);
            }
            other => {
                return Err(err("42601", format!("option \"{other}\" not recognized"))
                    .at(crate::binder::pos(d.location)));
            }
        }
    }
    let binary = format.as_deref() == Some("binary");
    let csv = format.as_deref() == Some("csv");
    if binary && delimiter.is_some() {
        return Err(err("42601", "cannot specify DELIMITER in BINARY mode"));
    }
    if binary && null.is_some() {
        return Err(err("42601", "cannot specify NULL in BINARY mode"));
    }
    let delimiter = delimiter.unwrap_or_else(|| if csv { "," } else { "\t" }.into());
    let null = null.unwrap_or_else(|| if csv { "" } else { "\\N" }.into());
    if delimiter.len() != 1 {
        return Err(err(
            "0A000",
            "COPY delimiter must be a single one-byte character",
        ));
    }
    let delim = delimiter.as_bytes()[0];
    if delim == b'\n' || delim == b'\r' {
        return Err(err(
            "22023",
            "COPY delimiter cannot be newline or carriage return",
        ));
    }
    if null.contains(['\r', '\n']) {
        return Err(err(
            "22023",
            "COPY null representation cannot use newline or carriage return",
        ));
    }
    if !csv && b"\\.abcdefghijklmnopqrstuvwxyz0123456789".contains(&delim) {
        return Err(err(
            "22023",
            format!("COPY delimiter cannot be \"{delimiter}\""),
        ));
    }
    if binary && header.is_some_and(|h| h != Header::No) {
        return Err(err("0A000", "cannot specify HEADER in BINARY mode"));
    }
    if !csv && quote.is_some() {
        return Err(err("0A000", "COPY quote available only in CSV mode"));
    }
    let quote = quote.unwrap_or_else(|| "\"".into());
    if csv && quote.len() != 1 {
        return Err(err(
            "0A000",
            "COPY quote must be a single one-byte character",
        ));
    }
    if csv && delim == quote.as_bytes()[0] {
        return Err(err("22023", "COPY delimiter and quote must be different"));
    }
    if !csv && escape.is_some() {
        return Err(err("0A000", "COPY escape available only in CSV mode"));
    }
    let escape = escape.unwrap_or_else(|| quote.clone());
    if csv && escape.len() != 1 {
        return Err(err(
            "0A000",
            "COPY escape must be a single one-byte character",
        ));
    }
    if !csv && force_quote.is_some() {
        return Err(err("0A000", "COPY force quote available only in CSV mode"));
    }
    if force_quote.is_some() && from {
        return Err(err(
            "0A000",
            "COPY force quote only available using COPY TO",
        ));
    }
    if !csv && force_not_null.is_some() {
        return Err(err(
            "0A000",
            "COPY force not null available only in CSV mode",
        ));
    }
    if force_not_null.is_some() && !from {
        return Err(err(
            "0A000",
            "COPY force not null only available using COPY FROM",
        ));
    }
    if !csv && force_null.is_some() {
        return Err(err("0A000", "COPY force null available only in CSV mode"));
    }
    if force_null.is_some() && !from {
        return Err(err(
            "0A000",
            "COPY force null only available using COPY FROM",
        ));
    }
    if null.as_bytes().contains(&delim) {
        return Err(err(
            "0A000",
            "COPY delimiter must not appear in the NULL specification",
        ));
    }
    if csv && null.as_bytes().contains(&quote.as_bytes()[0]) {
        return Err(err(
            "22023",
            "CSV quote character must not appear in the NULL specification",
        ));
    }
    if binary {
        return Err(err("0A000", "feature not supported: COPY in binary format"));
    }
    Ok(CopyOptions {
        csv,
        delimiter: delim,
        null,
        header: header.unwrap_or(Header::No),
        quote: quote.as_bytes().first().copied().unwrap_or(b'"'),
        escape: escape.as_bytes().first().copied().unwrap_or(b'"'),
        force_quote: force_quote.unwrap_or(ForceQuote::None),
        force_not_null: force_not_null.unwrap_or_default(),
        force_null: force_null.unwrap_or_default(),
        latin1: latin1.unwrap_or(false),
    })
}

/// One input record, split: the unescaped fields one after another in `text`, each field's
/// range in it (`None` for NULL), and the raw record for error context. Reused from record to
/// record, so reading allocates nothing once the buffers have grown.
#[derive(Default)]
struct Record {
    raw: String,
    text: String,
    spans: Vec<Option<(usize, usize)>>,
}

impl Record {
    /// Field `k`: `None` for NULL.
    fn field(&self, k: usize) -> Option<&str> {
        self.spans
            .get(k)
            .copied()
            .flatten()
            .map(|(a, b)| &self.text[a..b])
    }

    #[cfg(test)]
    fn fields(&self) -> Vec<Option<String>> {
        (0..self.spans.len())
            .map(|k| self.field(k).map(str::to_owned))
            .collect()
    }
}

/// Reads records (lines, or CSV records that may span lines) from the input.
struct RecordReader<'r> {
    input: Box<dyn BufRead + 'r>,
    opts: CopyOptions,
    /// The current record's first line number (1-based).
    line: u64,
    /// Lines read so far.
    lines_read: u64,
    rec: Record,
    /// The bytes of the line being read.
    buf: Vec<u8>,
    done: bool,
    /// Per copied column: FORCE_NOT_NULL and FORCE_NULL (CSV).
    force_not_null: Vec<bool>,
    force_null: Vec<bool>,
}

impl<'r> RecordReader<'r> {
    fn new(input: Box<dyn BufRead + 'r>, opts: CopyOptions) -> Self {
        RecordReader {
            input,
            opts,
            line: 0,
            lines_read: 0,
            rec: Record::default(),
            buf: Vec::new(),
            done: false,
            force_not_null: Vec::new(),
            force_null: Vec::new(),
        }
    }

    /// Appends the next physical line, without its line ending, to `rec.raw`; false at the
    /// end of input.
    fn next_line(&mut self) -> Result<bool, SqlError> {
        self.buf.clear();
        let n = self
            .input
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| err("58030", format!("could not read COPY data: {e}")))?;
        if n == 0 {
            return Ok(false);
        }
        self.lines_read += 1;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
        }
        if self.opts.latin1 {
            self.rec.raw.extend(self.buf.iter().map(|&b| char::from(b)));
            return Ok(true);
        }
        match std::str::from_utf8(&self.buf) {
            Ok(s) => self.rec.raw.push_str(s),
            Err(e) => {
                let at = e.valid_up_to();
                let bad: Vec<String> = self.buf[at..]
                    .iter()
                    .take(e.error_len().unwrap_or(1))
                    .map(|b| format!("0x{b:02x}"))
                    .collect();
                self.line = self.lines_read;
                return Err(err(
                    "22021",
                    format!(
                        "invalid byte sequence for encoding \"UTF8\": {}",
                        bad.join(" ")
                    ),
                ));
            }
        }
        Ok(true)
    }

    /// Reads and splits the next record into `self.rec`; false at the end of the data.
    fn next_record(&mut self) -> Result<bool, SqlError> {
        if self.done {
            return Ok(false);
        }
        self.rec.raw.clear();
        if !self.next_line()? {
            self.done = true;
            return Ok(false);
        }
        self.line = self.lines_read;
        if self.rec.raw == "\\." {
            self.done = true;
            return Ok(false);
        }
        if self.opts.csv {
            self.csv_record()?;
        } else {
            text_fields(
                &self.rec.raw,
                &self.opts,
                &mut self.rec.text,
                &mut self.rec.spans,
            );
        }
        Ok(true)
    }

    /// Splits a CSV record, reading more lines while a quoted field is open.
    fn csv_record(&mut self) -> Result<(), SqlError> {
        let (delim, quote, escape) = (self.opts.delimiter, self.opts.quote, self.opts.escape);
        self.rec.text.clear();
        self.rec.spans.clear();
        let mut start = 0usize;
        let mut quoted = false;
        let mut in_quotes = false;
        let mut pos = 0usize;
        loop {
            let raw = self.rec.raw.as_bytes();
            let text = &mut self.rec.text;
            let mut i = pos;
            let mut run = i;
            while i < raw.len() {
                let c = raw[i];
                if in_quotes {
                    // The escape before a quote or an escape stands for that character (with
                    // the default escape, the quote itself, a doubled quote is one).
                    if c == escape && raw.get(i + 1).is_some_and(|&n| n == quote || n == escape) {
                        text.push_str(&self.rec.raw[run..i]);
                        run = i + 1;
                        i += 2;
                        continue;
                    }
                    if c == quote {
                        text.push_str(&self.rec.raw[run..i]);
                        in_quotes = false;
                        i += 1;
                        run = i;
                        continue;
                    }
                } else if c == delim || c == quote {
                    text.push_str(&self.rec.raw[run..i]);
                    i += 1;
                    run = i;
                    if c == quote {
                        in_quotes = true;
                        quoted = true;
                        continue;
                    }
                    let k = self.rec.spans.len();
                    let span = csv_span(
                        &self.opts,
                        text,
                        start,
                        quoted,
                        self.force_not_null.get(k).copied().unwrap_or(false),
                        self.force_null.get(k).copied().unwrap_or(false),
                    );
                    self.rec.spans.push(span);
                    start = text.len();
                    quoted = false;
                    continue;
                }
                i += 1;
            }
            text.push_str(&self.rec.raw[run..]);
            if !in_quotes {
                break;
            }
            // A quoted field goes on past the line end: the newline is part of it.
            self.rec.raw.push('\n');
            self.rec.text.push('\n');
            pos = self.rec.raw.len();
            if !self.next_line()? {
                return Err(err("22P04", "unterminated CSV quoted field"));
            }
        }
        let k = self.rec.spans.len();
        let span = csv_span(
            &self.opts,
            &self.rec.text,
            start,
            quoted,
            self.force_not_null.get(k).copied().unwrap_or(false),
            self.force_null.get(k).copied().unwrap_or(false),
        );
        self.rec.spans.push(span);
        Ok(())
    }
}

/// An integer column's value when `text` is plain decimal digits with an optional minus
/// sign (what COPY data almost always holds) that fits `t`; `None` for anything else
/// (spaces, a plus sign, out of range, not a number), which the type's input function then
/// reads, with its errors.
fn plain_integer(text: &str, t: &DataType) -> Option<Value> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits
        .bytes()
        .fold(0i64, |n, b| n * 10 + i64::from(b - b'0'));
    let n = if digits.len() == text.len() {
        magnitude
    } else {
        -magnitude
    };
    match t {
        DataType::Int8 => Some(Value::Int8(n)),
        DataType::Int4 => i32::try_from(n).ok().map(Value::Int4),
        DataType::Int2 => i16::try_from(n).ok().map(Value::Int2),
        _ => None,
    }
}

/// A CSV field's span (`text[start..]`): NULL when unquoted and equal to the NULL string
/// (unless FORCE_NOT_NULL), or quoted and equal to it under FORCE_NULL.
fn csv_span(
    opts: &CopyOptions,
    text: &str,
    start: usize,
    quoted: bool,
    force_not_null: bool,
    force_null: bool,
) -> Option<(usize, usize)> {
    let value = &text[start..];
    if value == opts.null && ((!quoted && !force_not_null) || (quoted && force_null)) {
        return None;
    }
    Some((start, text.len()))
}

/// Splits a text-format line into `text` / `spans` (see [`Record`]), undoing backslash
/// escapes; a field whose raw text is the NULL string is NULL.
fn text_fields(
    line: &str,
    opts: &CopyOptions,
    text: &mut String,
    spans: &mut Vec<Option<(usize, usize)>>,
) {
    text.clear();
    spans.clear();
    let raw = line.as_bytes();
    let delim = opts.delimiter;
    let mut field_start = 0usize; // in `line`
    let mut start = 0usize; // in `text`
    let mut run = 0usize;
    let mut i = 0usize;
    let mut bytes = Vec::new();
    while i < raw.len() {
        let c = raw[i];
        if c == delim {
            flush_bytes(text, &mut bytes);
            text.push_str(&line[run..i]);
            spans.push((line[field_start..i] != *opts.null).then_some((start, text.len())));
            i += 1;
            run = i;
            field_start = i;
            start = text.len();
            continue;
        }
        if c != b'\\' {
            i += 1;
            continue;
        }
        if run < i {
            flush_bytes(text, &mut bytes);
            text.push_str(&line[run..i]);
        }
        let Some(&e) = raw.get(i + 1) else {
            flush_bytes(text, &mut bytes);
            // A lone backslash at the end of the line stands for itself.
            text.push('\\');
            i += 1;
            run = i;
            break;
        };
        i += 2;
        if !matches!(e, b'0'..=b'7' | b'x') {
            flush_bytes(text, &mut bytes);
        }
        match e {
            b'b' => text.push('\u{8}'),
            b'f' => text.push('\u{c}'),
            b'n' => text.push('\n'),
            b'r' => text.push('\r'),
            b't' => text.push('\t'),
            b'v' => text.push('\u{b}'),
            b'0'..=b'7' => {
                let mut n = u32::from(e - b'0');
                for _ in 0..2 {
                    match raw.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            n = n * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                bytes.push((n & 0xFF) as u8);
            }
            b'x' if raw.get(i).is_some_and(u8::is_ascii_hexdigit) => {
                let mut n = 0u32;
                for _ in 0..2 {
                    match raw.get(i).and_then(|d| char::from(*d).to_digit(16)) {
                        Some(d) => {
                            n = n * 16 + d;
                            i += 1;
                        }
                        None => break,
                    }
                }
                bytes.push((n & 0xFF) as u8);
            }
            b'x' => {
                flush_bytes(text, &mut bytes);
                text.push('x');
            }
            _ => {
                // Any other character stands for itself (a multi-byte one whole).
                let at = i - 1;
                let len = line[at..].chars().next().map_or(1, char::len_utf8);
                text.push_str(&line[at..at + len]);
                i = at + len;
            }
        }
        run = i;
    }
    // Bytes from octal/hex escapes join into UTF-8 where they form it (PostgreSQL checks
    // the result's encoding); a lone high byte is read as Latin-1.
    flush_bytes(text, &mut bytes);
    text.push_str(&line[run.min(line.len())..]);
    spans.push((line[field_start..] != *opts.null).then_some((start, text.len())));
}

/// Appends the bytes of escapes: as UTF-8 if they are, else each as a Latin-1 character.
fn flush_bytes(text: &mut String, bytes: &mut Vec<u8>) {
    if bytes.is_empty() {
        return;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => text.push_str(s),
        Err(_) => text.extend(bytes.iter().map(|&b| char::from(b))),
    }
    bytes.clear();
}

/// Writes `s` as a text-format field.
fn put_text(out: &mut String, s: &str, delim: u8) {
    let delim = char::from(delim);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            // PostgreSQL writes a tab as `\t` whatever the delimiter
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if c == delim => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
}

/// Writes `s` as a CSV field, quoted when it must be (or when `force`).
fn put_csv(out: &mut String, s: &str, force: bool, single: bool, opts: &CopyOptions) {
    let (delim, quote, escape) = (
        char::from(opts.delimiter),
        char::from(opts.quote),
        char::from(opts.escape),
    );
    let must = force
        || s == opts.null
        || (single && s == "\\.")
        || s.chars()
            .any(|c| c == delim || c == quote || c == '\n' || c == '\r');
    if !must {
        out.push_str(s);
        return;
    }
    out.push(quote);
    for c in s.chars() {
        if c == quote || c == escape {
            out.push(escape);
        }
        out.push(c);
    }
    out.push(quote);
}

/// Column names of a relation named in COPY (`cols`, or every column that is not
/// generated), as positions; PostgreSQL's errors for unknown and repeated names.
fn column_positions(
    table: &crate::catalog::Table,
    cols: &[protobuf::Node],
) -> Result<Vec<usize>, SqlError> {
    if cols.is_empty() {
        return Ok((0..table.columns.len())
            .filter(|&i| table.columns[i].generated.is_none())
            .collect());
    }
    let mut out = Vec::new();
    for c in cols {
        let Some(Node::String(s)) = c.node.as_ref() else {
            continue;
        };
        let i = table.column_index(&s.sval).ok_or_else(|| {
            err(
                "42703",
                format!(
                    "column \"{}\" of relation \"{}\" does not exist",
                    s.sval, table.name
                ),
            )
        })?;
        if table.columns[i].generated.is_some() {
            return Err(err(
                "42P10",
                format!("column \"{}\" is a generated column", s.sval),
            )
            .with_detail("Generated columns cannot be used in COPY."));
        }
        if out.contains(&i) {
            return Err(err(
                "42701",
                format!("column \"{}\" specified more than once", s.sval),
            ));
        }
        out.push(i);
    }
    Ok(out)
}

/// Positions (within the copied columns) of a FORCE_* option's columns.
fn force_positions(
    names: &[String],
    option: &str,
    table: &crate::catalog::Table,
    cols: &[usize],
) -> Result<Vec<bool>, SqlError> {
    let mut out = vec![false; cols.len()];
    for name in names {
        let i = table.column_index(name).ok_or_else(|| {
            err(
                "42703",
                format!(
                    "column \"{name}\" of relation \"{}\" does not exist",
                    table.name
                ),
            )
        })?;
        let Some(k) = cols.iter().position(|c| *c == i) else {
            return Err(err(
                "42P10",
                format!("{option} column \"{name}\" not referenced by COPY"),
            ));
        };
        out[k] = true;
    }
    Ok(out)
}

/// Where a COPY reads or writes: the client, a file, or a program.
enum Target {
    Client,
    File(String),
    Program(String),
}

impl<K: TxnKv> Session<K> {
    /// Runs `sql` (one or more statements) with `data` as the input of its
    /// `COPY ... FROM STDIN`, and returns the number of rows the last statement reports
    /// (`COPY n`).
    ///
    /// ```
    /// use basalt_sql::Session;
    /// use basalt_txn::LocalKv;
    ///
    /// let mut s = Session::new(LocalKv::memory());
    /// s.execute("CREATE TABLE t (id int PRIMARY KEY, name text)")?;
    /// let n = s.copy_in("COPY t FROM STDIN (FORMAT csv)", &mut "1,one\n2,\n".as_bytes())?;
    /// assert_eq!(n, 2);
    /// let mut out = Vec::new();
    /// s.copy_out("COPY t TO STDOUT", &mut out)?;
    /// assert_eq!(out, b"1\tone\n2\t\\N\n");
    /// # Ok::<(), basalt_sql::SqlError>(())
    /// ```
    pub fn copy_in(&mut self, sql: &str, data: &mut dyn Read) -> Result<u64, SqlError> {
        self.run_copy(sql, CopyStream::In(data))
    }

    /// Runs `sql` with `out` as the destination of its `COPY ... TO STDOUT`, and returns
    /// the number of rows written (see [`Session::copy_in`]).
    pub fn copy_out(&mut self, sql: &str, out: &mut dyn Write) -> Result<u64, SqlError> {
        self.run_copy(sql, CopyStream::Out(out))
    }

    fn run_copy(&mut self, sql: &str, stream: CopyStream<'_>) -> Result<u64, SqlError> {
        let parsed = self.parse_or_abort(sql)?;
        self.message_received();
        let batch = self.run_parsed_with(&parsed, Some(stream), false);
        let results = batch.into_result()?;
        Ok(results.last().map_or(0, |r| {
            r.tag
                .strip_prefix("COPY ")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        }))
    }

    /// Runs a COPY statement; `io` is the client's stream, if it has one.
    pub(crate) fn copy_statement(
        &mut self,
        s: &protobuf::CopyStmt,
        io: Option<&mut CopyStream<'_>>,
    ) -> Result<StatementResult, SqlError> {
        let opts = copy_options(&s.options, s.is_from)?;
        let target = if s.is_program {
            Target::Program(s.filename.clone())
        } else if s.filename.is_empty() {
            Target::Client
        } else {
            if !s.is_from && !std::path::Path::new(&s.filename).is_absolute() {
                return Err(err("42602", "relative path not allowed for COPY to file"));
            }
            Target::File(s.filename.clone())
        };
        let n = if s.is_from {
            self.check_writable_copy()?;
            self.copy_from(s, &opts, target, io)?
        } else {
            self.copy_to(s, &opts, target, io)?
        };
        Ok(StatementResult::tag(&format!("COPY {n}")))
    }

    fn check_writable_copy(&self) -> Result<(), SqlError> {
        if self.settings.transaction_read_only() {
            return Err(err(
                "25006",
                "cannot execute COPY FROM in a read-only transaction",
            ));
        }
        Ok(())
    }

    /// The table COPY reads (`from`: COPY FROM writes it) named by `rel`; views and
    /// sequences are refused with PostgreSQL's errors.
    fn copy_table(
        &mut self,
        rel: &protobuf::RangeVar,
        from: bool,
    ) -> Result<crate::catalog::Table, SqlError> {
        let catalog = self.load_catalog()?;
        let b = self.binder(&catalog);
        let (dir, hint) = if from {
            (
                "to",
                "To enable copying to a view, provide an INSTEAD OF INSERT trigger.",
            )
        } else {
            ("from", "Try the COPY (SELECT ...) TO variant.")
        };
        match b.lookup_relation(&rel.schemaname, &rel.relname) {
            Some((_, crate::catalog::Relation::View(_))) => {
                return Err(err(
                    "42809",
                    format!("cannot copy {dir} view \"{}\"", rel.relname),
                )
                .with_hint(hint));
            }
            Some((_, crate::catalog::Relation::Sequence(_))) => {
                let e = err(
                    "42809",
                    format!("cannot copy {dir} sequence \"{}\"", rel.relname),
                );
                return Err(if from { e } else { e.with_hint(hint) });
            }
            _ => {}
        }
        Ok(b.table(rel).map_err(SqlError::without_position)?.clone())
    }

    /// `COPY ... FROM`: reads records and inserts them in batches.
    fn copy_from(
        &mut self,
        s: &protobuf::CopyStmt,
        opts: &CopyOptions,
        target: Target,
        io: Option<&mut CopyStream<'_>>,
    ) -> Result<u64, SqlError> {
        let Some(rel) = s.relation.as_ref() else {
            return Err(err("42601", "COPY FROM requires a table"));
        };
        let table = self.copy_table(rel, true)?;
        let positions = column_positions(&table, &s.attlist)?;
        let force_not_null =
            force_positions(&opts.force_not_null, "FORCE_NOT_NULL", &table, &positions)?;
        let force_null = force_positions(&opts.force_null, "FORCE_NULL", &table, &positions)?;
        let insert = protobuf::InsertStmt {
            relation: Some(rel.clone()),
            cols: positions
                .iter()
                .map(|&i| protobuf::Node {
                    node: Some(Node::ResTarget(Box::new(protobuf::ResTarget {
                        name: table.columns[i].name.clone(),
                        indirection: vec![],
                        val: None,
                        location: -1,
                    }))),
                })
                .collect(),
            r#override: protobuf::OverridingKind::OverridingSystemValue as i32,
            ..Default::default()
        };
        let bound = self.bind_insert_for_copy(&insert)?;
        let filter: Option<Expr> = match s.where_clause.as_deref() {
            Some(w) => Some(self.bind_copy_where(&table, w)?),
            None => None,
        };
        let types = self.type_context();
        let col_types: Vec<DataType> = positions
            .iter()
            .map(|&i| table.columns[i].ty.clone())
            .collect();
        let names: Vec<&str> = positions
            .iter()
            .map(|&i| table.columns[i].name.as_str())
            .collect();

        // The input: the client's stream, a file, or a program's output.
        let mut child = None;
        let input: Box<dyn BufRead + '_> = match target {
            Target::Client => match io {
                Some(CopyStream::In(r)) => Box::new(BufReader::with_capacity(1 << 16, &mut **r)),
                Some(CopyStream::Client(c)) => {
                    let r = c.copy_in(positions.len())?;
                    Box::new(BufReader::with_capacity(1 << 16, r))
                }
                _ => {
                    return Err(err(
                        "0A000",
                        "feature not supported: COPY FROM STDIN without a client data stream (use copy_in)",
                    ));
                }
            },
            Target::File(path) => {
                let p = std::path::Path::new(&path);
                if p.is_dir() {
                    return Err(err("42809", format!("\"{path}\" is a directory")));
                }
                let f = std::fs::File::open(p).map_err(|e| {
                    let hint = matches!(
                        e.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                    );
                    let e = err(
                        io_code(&e),
                        format!("could not open file \"{path}\" for reading: {}", io_text(&e)),
                    );
                    if hint {
                        e.with_hint("COPY FROM instructs the PostgreSQL server process to read a file. You may want a client-side facility such as psql's \\copy.")
                    } else {
                        e
                    }
                })?;
                Box::new(BufReader::with_capacity(1 << 16, f))
            }
            Target::Program(cmd) => {
                let mut c = spawn_program(&cmd, false)?;
                let out = c
                    .stdout
                    .take()
                    .ok_or_else(|| err("58030", "could not read from COPY program"))?;
                child = Some((c, cmd));
                Box::new(BufReader::with_capacity(1 << 16, out))
            }
        };
        let mut reader = RecordReader::new(input, opts.clone());
        reader.force_not_null = force_not_null;
        reader.force_null = force_null;
        let relname = table.name.clone();
        let context = |reader: &RecordReader<'_>, col: Option<(&str, Option<&str>)>| -> String {
            match col {
                Some((c, Some(v))) => {
                    format!("COPY {relname}, line {}, column {c}: \"{v}\"", reader.line)
                }
                Some((c, None)) => {
                    format!(
                        "COPY {relname}, line {}, column {c}: null input",
                        reader.line
                    )
                }
                None => format!(
                    "COPY {relname}, line {}: \"{}\"",
                    reader.line, reader.rec.raw
                ),
            }
        };
        if opts.header != Header::No && reader.next_record()? && opts.header == Header::Match {
            let fields: Vec<Option<&str>> = (0..reader.rec.spans.len())
                .map(|k| reader.rec.field(k))
                .collect();
            if fields.len() != names.len() {
                return Err(err(
                    "22P04",
                    format!(
                        "wrong number of fields in header line: got {}, expected {}",
                        fields.len(),
                        names.len()
                    ),
                )
                .with_context(context(&reader, None)));
            }
            for (k, (f, name)) in fields.iter().zip(&names).enumerate() {
                match f {
                    None => {
                        return Err(err(
                            "22P04",
                            format!(
                                "column name mismatch in header line field {}: got null value (\"{}\"), expected \"{name}\"",
                                k + 1,
                                opts.null
                            ),
                        )
                        .with_context(context(&reader, None)));
                    }
                    Some(f) if f != name => {
                        return Err(err(
                            "22P04",
                            format!(
                                "column name mismatch in header line field {}: got \"{f}\", expected \"{name}\"",
                                k + 1
                            ),
                        )
                        .with_context(context(&reader, None)));
                    }
                    _ => {}
                }
            }
        }
        let width = table.columns.len();
        let mut count = 0u64;
        // The columns the data sets; the others take their defaults.
        let mut given: crate::engine::Given = smallvec::smallvec![false; width];
        for &c in &positions {
            given[c] = true;
        }
        // Rows of the batch, kept from batch to batch with their allocations (a text
        // column's string is refilled in place); `filled` of them hold this batch's rows.
        let mut batch: Vec<Vec<Value>> = Vec::with_capacity(BATCH);
        let mut filled = 0usize;
        // Per row of the batch: its line number and its text (in one buffer kept from batch
        // to batch), for the context of an error found when the batch is written.
        let mut lines: Vec<(u64, usize, usize)> = Vec::with_capacity(BATCH);
        let mut raws = String::new();
        let mut at = usize::MAX;
        while reader.next_record()? {
            let nfields = reader.rec.spans.len();
            if nfields > names.len() {
                return Err(err("22P04", "extra data after last expected column")
                    .with_context(context(&reader, None)));
            }
            if filled == batch.len() {
                // Filled without cloning a NULL per column (`vec![Value::Null; width]` clones).
                let mut row = Vec::with_capacity(width);
                row.resize_with(width, || Value::Null);
                batch.push(row);
            }
            let row = &mut batch[filled];
            // The columns the data does not set hold the last batch's defaults.
            for (c, v) in row.iter_mut().enumerate() {
                if !given[c] {
                    *v = Value::Null;
                }
            }
            for (k, &c) in positions.iter().enumerate() {
                // Fields convert in order, so a bad value before a missing one is the error
                // (an empty line fails on its first column's input), as in PostgreSQL.
                if k >= nfields {
                    return Err(
                        err("22P04", format!("missing data for column \"{}\"", names[k]))
                            .with_context(context(&reader, None)),
                    );
                }
                let Some(text) = reader.rec.field(k) else {
                    row[c] = Value::Null;
                    continue;
                };
                let v = match &col_types[k] {
                    // The common types read directly (the input functions, without the
                    // general cast's dispatch).
                    DataType::Text => {
                        if let Value::Text(s) = &mut row[c] {
                            s.clear();
                            s.push_str(text);
                            continue;
                        }
                        Ok(Value::Text(text.to_owned()))
                    }
                    t if let Some(v) = plain_integer(text, t) => Ok(v),
                    t => basalt_common::types::cast::cast_unknown_literal(
                        text,
                        t,
                        CastContext::Assignment,
                        &types,
                    ),
                };
                row[c] = v.map_err(|e| {
                    SqlError::from(e).with_context(context(&reader, Some((names[k], Some(text)))))
                })?;
            }
            if filled == 0 {
                lines.clear();
                raws.clear();
            }
            let start = raws.len();
            raws.push_str(&reader.rec.raw);
            lines.push((reader.line, start, raws.len()));
            filled += 1;
            if filled == BATCH {
                self.check_interrupt()?;
                count += self
                    .run_insert_rows(
                        &bound,
                        &mut batch[..filled],
                        &given,
                        filter.as_ref(),
                        &mut at,
                    )
                    .map_err(|e| batch_row_context(e, &relname, &lines, &raws, at))?;
                filled = 0;
            }
        }
        if filled > 0 {
            count += self
                .run_insert_rows(
                    &bound,
                    &mut batch[..filled],
                    &given,
                    filter.as_ref(),
                    &mut at,
                )
                .map_err(|e| batch_row_context(e, &relname, &lines, &raws, at))?;
        }
        drop(reader);
        if let Some((c, cmd)) = child {
            wait_program(c, &cmd)?;
        }
        Ok(count)
    }

    /// `COPY ... TO`: runs the query and writes its rows.
    fn copy_to(
        &mut self,
        s: &protobuf::CopyStmt,
        opts: &CopyOptions,
        target: Target,
        io: Option<&mut CopyStream<'_>>,
    ) -> Result<u64, SqlError> {
        // The query: `SELECT cols FROM t` for a table.
        let (select, force_cols): (
            protobuf::SelectStmt,
            Option<(crate::catalog::Table, Vec<usize>)>,
        ) = match (
            &s.relation,
            s.query.as_deref().and_then(|n| n.node.as_ref()),
        ) {
            (Some(rel), _) => {
                let table = self.copy_table(rel, false)?;
                let positions = column_positions(&table, &s.attlist)?;
                let column = |name: &str| protobuf::Node {
                    node: Some(Node::ResTarget(Box::new(protobuf::ResTarget {
                        name: String::new(),
                        indirection: vec![],
                        val: Some(Box::new(protobuf::Node {
                            node: Some(Node::ColumnRef(protobuf::ColumnRef {
                                fields: vec![protobuf::Node {
                                    node: Some(Node::String(protobuf::String {
                                        sval: name.to_owned(),
                                    })),
                                }],
                                location: -1,
                            })),
                        })),
                        location: -1,
                    }))),
                };
                let sel = protobuf::SelectStmt {
                    target_list: positions
                        .iter()
                        .map(|&i| column(&table.columns[i].name))
                        .collect(),
                    from_clause: vec![protobuf::Node {
                        node: Some(Node::RangeVar(rel.clone())),
                    }],
                    limit_option: protobuf::LimitOption::Default as i32,
                    op: protobuf::SetOperation::SetopNone as i32,
                    ..Default::default()
                };
                (sel, Some((table, positions)))
            }
            (None, Some(Node::SelectStmt(sel))) => ((**sel).clone(), None),
            (None, Some(_)) => {
                return Err(err(
                    "0A000",
                    "feature not supported: COPY (INSERT/UPDATE/DELETE ... RETURNING) TO",
                ));
            }
            (None, None) => return Err(err("42601", "COPY TO requires a table or a query")),
        };
        // The destination, opened before the query runs (PostgreSQL opens it first too).
        let mut sink = match target {
            Target::Client => match io {
                Some(CopyStream::Out(w)) => Sink::Client(&mut **w),
                Some(CopyStream::Client(c)) => Sink::Pending(&mut **c),
                _ => {
                    return Err(err(
                        "0A000",
                        "feature not supported: COPY TO STDOUT without a client data stream (use copy_out)",
                    ));
                }
            },
            Target::File(path) => {
                let f = std::fs::File::create(&path).map_err(|e| {
                    err(
                        io_code(&e),
                        format!(
                            "could not open file \"{path}\" for writing: {}",
                            io_text(&e)
                        ),
                    )
                })?;
                Sink::File(std::io::BufWriter::with_capacity(1 << 16, f), path)
            }
            Target::Program(cmd) => {
                let mut c = spawn_program(&cmd, true)?;
                let stdin = c
                    .stdin
                    .take()
                    .ok_or_else(|| err("58030", "could not write to COPY program"))?;
                Sink::Program(c, stdin, cmd)
            }
        };
        let types = self.type_context();
        let mut text = String::new();
        let mut force: Vec<bool> = Vec::new();
        let mut single = false;
        let count = self.copy_query_stream(&select, |out| match out {
            Output::Names(names) => {
                if let Sink::Pending(_) = sink
                    && let Sink::Pending(c) = std::mem::replace(&mut sink, Sink::Gone)
                {
                    sink = Sink::Client(c.copy_out(names.len())?);
                }
                force = match (&opts.force_quote, &force_cols) {
                    (ForceQuote::All, _) => vec![true; names.len()],
                    (ForceQuote::Columns(cols), Some((table, positions))) => {
                        force_positions(cols, "FORCE_QUOTE", table, positions)?
                    }
                    (ForceQuote::Columns(cols), None) => {
                        let mut out = vec![false; names.len()];
                        for c in cols {
                            let Some(k) = names.iter().position(|n| n == c) else {
                                return Err(err(
                                    "42P10",
                                    format!("FORCE_QUOTE column \"{c}\" not referenced by COPY"),
                                ));
                            };
                            out[k] = true;
                        }
                        out
                    }
                    (ForceQuote::None, _) => vec![false; names.len()],
                };
                single = names.len() == 1;
                if opts.header != Header::No {
                    for (k, n) in names.iter().enumerate() {
                        if k > 0 {
                            text.push(char::from(opts.delimiter));
                        }
                        if opts.csv {
                            put_csv(&mut text, n, false, single, opts);
                        } else {
                            put_text(&mut text, n, opts.delimiter);
                        }
                    }
                    text.push('\n');
                }
                Ok(())
            }
            Output::Row(row) => {
                for (k, v) in row.iter().enumerate() {
                    if k > 0 {
                        text.push(char::from(opts.delimiter));
                    }
                    match format_text(v, &types) {
                        None => text.push_str(&opts.null),
                        Some(s) if opts.csv => {
                            put_csv(
                                &mut text,
                                &s,
                                force.get(k).copied().unwrap_or(false),
                                single,
                                opts,
                            );
                        }
                        Some(s) => put_text(&mut text, &s, opts.delimiter),
                    }
                }
                text.push('\n');
                // Written out in pieces: memory stays bounded however many rows there are.
                if text.len() >= 1 << 16 {
                    sink.write(&text, opts.latin1)?;
                    text.clear();
                }
                Ok(())
            }
        });
        let written = count.and_then(|n| sink.write(&text, opts.latin1).map(|()| n));
        // Closed (a program waited for) whatever happened; the first error wins.
        let finished = sink.finish();
        let n = written?;
        finished.map(|()| n)
    }
}

/// What COPY TO's query gives, in order: its column names, then each row.
pub(crate) enum Output<'a> {
    Names(&'a [String]),
    Row(&'a [Value]),
}

/// Where COPY TO writes.
enum Sink<'w> {
    Client(&'w mut dyn Write),
    /// A protocol client not yet told that the COPY begins (it needs the column count).
    Pending(&'w mut dyn Client),
    /// Only while `Pending` turns into `Client`.
    Gone,
    File(std::io::BufWriter<std::fs::File>, String),
    Program(std::process::Child, std::process::ChildStdin, String),
}

impl Sink<'_> {
    /// Writes `text` (converted to Latin-1 when asked).
    fn write(&mut self, text: &str, latin1: bool) -> Result<(), SqlError> {
        let converted;
        let bytes: &[u8] = if latin1 {
            let mut out = Vec::with_capacity(text.len());
            for c in text.chars() {
                let Ok(b) = u8::try_from(u32::from(c)) else {
                    return Err(err(
                        "22P05",
                        format!(
                            "character with byte sequence {} in encoding \"UTF8\" has no equivalent in encoding \"LATIN1\"",
                            c.to_string()
                                .bytes()
                                .map(|b| format!("0x{b:02x}"))
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                    ));
                };
                out.push(b);
            }
            converted = out;
            &converted
        } else {
            text.as_bytes()
        };
        let r = match self {
            Sink::Pending(_) | Sink::Gone => Ok(()),
            Sink::Client(w) => w.write_all(bytes),
            Sink::File(f, _) => f.write_all(bytes),
            Sink::Program(_, stdin, _) => stdin.write_all(bytes),
        };
        r.map_err(|e| match self {
            Sink::Client(_) | Sink::Pending(_) | Sink::Gone => {
                err("08006", format!("could not send COPY data: {e}"))
            }
            Sink::File(_, path) => err(
                io_code(&e),
                format!("could not write to file \"{path}\": {}", io_text(&e)),
            ),
            Sink::Program(..) => err("58030", format!("could not write to COPY program: {e}")),
        })
    }

    /// Flushes and closes; a program must exit successfully.
    fn finish(self) -> Result<(), SqlError> {
        match self {
            Sink::Pending(_) | Sink::Gone => Ok(()),
            Sink::Client(w) => w
                .flush()
                .map_err(|e| err("08006", format!("could not send COPY data: {e}"))),
            Sink::File(mut f, path) => f.flush().map_err(|e| {
                err(
                    io_code(&e),
                    format!("could not write to file \"{path}\": {}", io_text(&e)),
                )
            }),
            Sink::Program(c, stdin, cmd) => {
                drop(stdin);
                wait_program(c, &cmd)
            }
        }
    }
}

/// Starts `cmd` under `/bin/sh -c` with a pipe to its stdin (`writing`) or from its stdout.
fn spawn_program(cmd: &str, writing: bool) -> Result<std::process::Child, SqlError> {
    let mut c = std::process::Command::new("/bin/sh");
    c.arg("-c").arg(cmd);
    if writing {
        c.stdin(std::process::Stdio::piped());
    } else {
        c.stdout(std::process::Stdio::piped());
    }
    c.spawn().map_err(|e| {
        err(
            "58030",
            format!("could not execute command \"{cmd}\": {}", io_text(&e)),
        )
    })
}

/// Waits for a COPY program, which must exit successfully.
fn wait_program(mut c: std::process::Child, cmd: &str) -> Result<(), SqlError> {
    let status = c
        .wait()
        .map_err(|e| err("58030", format!("could not close pipe: {e}")))?;
    if status.success() {
        return Ok(());
    }
    Err(
        err("38000", format!("program \"{cmd}\" failed")).with_detail(format!(
            "child process exited with exit code {}",
            status.code().unwrap_or(-1)
        )),
    )
}

/// The SQLSTATE of a file error (PostgreSQL's `errcode_for_file_access`).
fn io_code(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "58P01",
        std::io::ErrorKind::PermissionDenied => "42501",
        std::io::ErrorKind::AlreadyExists => "58P02",
        _ => "58030",
    }
}

/// The OS message of a file error, without Rust's "(os error n)" suffix.
fn io_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(at) => s[..at].to_owned(),
        None => s,
    }
}

/// The context of an error found when COPY FROM writes a batch, for the batch's row `at`
/// (`lines`: line number and text range in `raws` per row), as PostgreSQL gives it: a unique
/// violation (found when its multi-insert buffer is flushed) names the line only; a foreign
/// key violation (found by an after trigger at the end) no line; any other error the line
/// and its text.
fn batch_row_context(
    e: SqlError,
    relname: &str,
    lines: &[(u64, usize, usize)],
    raws: &str,
    at: usize,
) -> SqlError {
    let Some(&(line, start, end)) = lines.get(at) else {
        return e;
    };
    match e.code().code() {
        "23505" => e.with_context_if_none(format!("COPY {relname}, line {line}")),
        "23503" => e,
        _ => e.with_context_if_none(format!(
            "COPY {relname}, line {line}: \"{}\"",
            raws.get(start..end).unwrap_or("")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_integers_read_directly_and_the_rest_falls_through() {
        assert_eq!(plain_integer("42", &DataType::Int4), Some(Value::Int4(42)));
        assert_eq!(
            plain_integer("-007", &DataType::Int8),
            Some(Value::Int8(-7))
        );
        assert_eq!(
            plain_integer("-32768", &DataType::Int2),
            Some(Value::Int2(-32768))
        );
        assert_eq!(
            plain_integer("-999999999999999999", &DataType::Int8),
            Some(Value::Int8(-999_999_999_999_999_999))
        );
        // Out of range, too long, signs, spaces, empty: the input function decides.
        for (text, t) in [
            ("32768", DataType::Int2),
            ("2147483648", DataType::Int4),
            ("9223372036854775807", DataType::Int8),
            ("+1", DataType::Int4),
            (" 1", DataType::Int4),
            ("1 ", DataType::Int4),
            ("-", DataType::Int4),
            ("", DataType::Int4),
            ("1.5", DataType::Int4),
            ("12", DataType::Text),
        ] {
            assert_eq!(plain_integer(text, &t), None, "{text:?} as {t:?}");
        }
    }

    fn opts(csv: bool) -> CopyOptions {
        CopyOptions {
            csv,
            delimiter: if csv { b',' } else { b'\t' },
            null: if csv { String::new() } else { "\\N".into() },
            header: Header::No,
            quote: b'"',
            escape: b'"',
            force_quote: ForceQuote::None,
            force_not_null: vec![],
            force_null: vec![],
            latin1: false,
        }
    }

    fn split(line: &str, o: &CopyOptions) -> Vec<Option<String>> {
        let mut r = Record::default();
        text_fields(line, o, &mut r.text, &mut r.spans);
        r.fields()
    }

    #[test]
    fn text_fields_unescape() {
        let o = opts(false);
        assert_eq!(
            split("a\\tb\t\\N\t\\\\N\t\\101\\x41\\q\t\\303\\251", &o),
            vec![
                Some("a\tb".into()),
                None,
                Some("\\N".into()),
                Some("AAq".into()),
                Some("é".into())
            ]
        );
        assert_eq!(split("", &o), vec![Some(String::new())]);
        assert_eq!(split("x\\", &o), vec![Some("x\\".into())]);
    }

    #[test]
    fn text_output_round_trips() {
        let o = opts(false);
        for s in [
            "plain",
            "tab\there",
            "back\\slash",
            "new\nline",
            "\\N",
            "é\\ü",
        ] {
            let mut out = String::new();
            put_text(&mut out, s, o.delimiter);
            assert_eq!(split(&out, &o), vec![Some(s.to_owned())], "{s:?}");
        }
    }

    #[test]
    fn csv_records() {
        let o = opts(true);
        let data = "1,\"a,b\",\"\"\n2,,\"multi\nline\"\n3,\"say \"\"hi\"\"\",x\n";
        let mut r = RecordReader::new(Box::new(data.as_bytes()), o.clone());
        assert!(r.next_record().unwrap());
        assert_eq!(
            r.rec.fields(),
            vec![Some("1".into()), Some("a,b".into()), Some(String::new())]
        );
        assert!(r.next_record().unwrap());
        assert_eq!(
            r.rec.fields(),
            vec![Some("2".into()), None, Some("multi\nline".into())]
        );
        assert_eq!(r.line, 2);
        assert!(r.next_record().unwrap());
        assert_eq!(
            r.rec.fields(),
            vec![
                Some("3".into()),
                Some("say \"hi\"".into()),
                Some("x".into())
            ]
        );
        assert!(!r.next_record().unwrap());
        let mut out = String::new();
        put_csv(&mut out, "say \"hi\"", false, false, &o);
        assert_eq!(out, "\"say \"\"hi\"\"\"");
        let mut bad = RecordReader::new(Box::new("1,\"open\n".as_bytes()), o.clone());
        assert_eq!(bad.next_record().unwrap_err().code().code(), "22P04");
        // Another escape character.
        let mut e = o;
        e.escape = b'\\';
        let mut r = RecordReader::new(Box::new("\"a\\\"b\\\\c\"\"d\"\n".as_bytes()), e);
        assert!(r.next_record().unwrap());
        assert_eq!(r.rec.fields(), vec![Some("a\"b\\cd".into())]);
    }
}
