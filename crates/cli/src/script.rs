//! Running statements and scripts, and the `basalt sql` subcommand.
//!
//! # Design
//!
//! A [`State`] is what a shell or a script run carries between statements: the client, the
//! print settings, where results, errors and notices go, `\timing`, the statement splitter
//! (psql's query buffer, so a meta-command handler can take the pending text for `\g`).
//! [`run_sql`] runs one query string (psql's simple protocol: all its statements, stopping at
//! the first error) and prints each result as it arrives; [`run_script`] reads a script line
//! by line, splits it ([`crate::split`]), runs each statement and hands each backslash
//! command to a handler. `COPY ... FROM STDIN` in a script reads the script's following lines
//! up to `\.`, as psql does; when such a COPY fails before reading them, they are skipped
//! (psql would run them as SQL). [`meta_common`] implements the meta-commands that need no
//! terminal (`\echo`, `\pset`, `\x`, `\timing`, `\o`, `\i`, `\c`, `\g`, `\q`...): the shell
//! handles its own (`\d`, `\e`, ...) and passes the rest to it.
//!
//! Errors print as [`crate::print::format_error`] shows them, after `basalt:FILE:LINE: `
//! when they come from a script file (psql's `psql:FILE:LINE: `).

use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::client::{Client, Message, Outcome, Output};
use crate::print::{self, Expanded, Format, PrintOptions};
use crate::split::{Piece, Splitter};
use crate::vars::{self, Vars};

/// What to do when a statement of a script fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Stop at the first error (psql's `ON_ERROR_STOP`).
    #[default]
    Stop,
    /// Report it and run the rest.
    Continue,
}

/// What a script run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptStats {
    /// Statements (query strings) sent.
    pub statements: usize,
    /// Statements and meta-commands that failed.
    pub errors: usize,
}

/// What a shell or a script run carries between statements.
pub struct State {
    /// The connection.
    pub client: Box<dyn Client>,
    /// How results print.
    pub print: PrintOptions,
    /// Where results go (`\o` changes it).
    pub out: Box<dyn Write>,
    /// Where errors and notices go.
    pub err: Box<dyn Write>,
    /// Print `Time: ... ms` after each query string (`\timing`).
    pub timing: bool,
    /// No command tags or informational messages (psql's `-q`).
    pub quiet: bool,
    /// Print each query string before running it (psql's `-e`, `ECHO=queries`).
    pub echo: bool,
    /// Print each line of a script as it is read (`ECHO=all`).
    pub echo_all: bool,
    /// Print a failing query string after its error (`ECHO=errors`).
    pub echo_errors: bool,
    /// psql's variables (`\set`, `:name`).
    pub vars: Vars,
    /// The `\if` blocks open in the script (or the shell) being read, innermost last.
    pub cond: Vec<Branch>,
    /// What a failing script statement does (set by [`run_script`]; `\set ON_ERROR_STOP`).
    pub on_error: OnError,
    /// The query buffer: a meta-command handler takes the pending text from here (`\g`).
    pub splitter: Splitter,
    /// The last query string sent (`\g` with an empty buffer runs it again).
    pub last_query: Option<String>,
    /// Set by `\q`: stop reading.
    pub quit: bool,
    /// The script being read (for `basalt:FILE:LINE:` before messages, and `\ir`).
    pub source: Option<PathBuf>,
    /// The line of [`State::source`] being run.
    pub line: usize,
    /// The output `\o FILE` replaced, restored by `\o`.
    saved_out: Option<Box<dyn Write>>,
    /// The error [`run_sql`] printed last, so that a handler returning it is not printed twice.
    reported: Option<Message>,
    /// `\gset` is running its query: rows go to [`State::captured`], not the output.
    capturing: bool,
    /// The last result with columns of the query `\gset` ran.
    captured: Option<Outcome>,
}

/// Where an `\if` block is (psql's `ifState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfState {
    /// In a true branch: statements run.
    True,
    /// In a false branch, no branch taken yet: a later `\elif` or `\else` may be.
    False,
    /// A branch was taken already, or the whole block is inside an inactive one.
    Ignored,
    /// In an `\else` that runs.
    ElseTrue,
    /// In an `\else` that does not.
    ElseFalse,
}

/// One open `\if` block.
#[derive(Debug, Clone)]
pub struct Branch {
    /// Where the block is.
    pub state: IfState,
    /// The query buffer when the block went inactive: text typed in an inactive branch is
    /// dropped, as psql drops it, by putting this back.
    saved: Option<Splitter>,
}

impl State {
    /// A state printing results to stdout and messages to stderr, with psql's defaults.
    pub fn new(client: Box<dyn Client>) -> State {
        // Buffered: stdout alone is line-buffered, a write per row. It is flushed after each
        // query string and meta-command, and before anything goes to stderr.
        State::with_output(
            client,
            Box::new(io::BufWriter::new(io::stdout())),
            Box::new(io::stderr()),
        )
    }

    /// A state writing results to `out` and messages to `err`.
    pub fn with_output(client: Box<dyn Client>, out: Box<dyn Write>, err: Box<dyn Write>) -> State {
        State {
            client,
            print: PrintOptions::default(),
            out,
            err,
            timing: false,
            quiet: false,
            echo: false,
            echo_all: false,
            echo_errors: false,
            vars: Vars::default(),
            cond: Vec::new(),
            on_error: OnError::Stop,
            splitter: Splitter::new(),
            last_query: None,
            quit: false,
            source: None,
            line: 0,
            saved_out: None,
            reported: None,
            capturing: false,
            captured: None,
        }
        .with_default_vars()
    }

    /// psql's variables at start (those that mean something here).
    fn with_default_vars(mut self) -> State {
        for (k, v) in [
            ("AUTOCOMMIT", "on"),
            ("ENCODING", "UTF8"),
            ("ERROR", "false"),
            ("LAST_ERROR_MESSAGE", ""),
            ("LAST_ERROR_SQLSTATE", "00000"),
            ("VERBOSITY", "default"),
            ("VERSION_NAME", env!("CARGO_PKG_VERSION")),
        ] {
            self.vars.put(k, v);
        }
        self.vars
            .put("VERSION", format!("Basalt {}", env!("CARGO_PKG_VERSION")));
        self.sync_vars();
        self
    }

    /// Writes the variables that mirror settings (`ON_ERROR_STOP`, `QUIET`, `ECHO`,
    /// `DBNAME`, `USER`) from the settings: after the command line set them, or `\c`.
    pub fn sync_vars(&mut self) {
        let on = |b: bool| if b { "on" } else { "off" };
        self.vars
            .put("ON_ERROR_STOP", on(self.on_error == OnError::Stop));
        self.vars.put("QUIET", on(self.quiet));
        let echo = if self.echo_all {
            "all"
        } else if self.echo {
            "queries"
        } else if self.echo_errors {
            "errors"
        } else {
            "none"
        };
        self.vars.put("ECHO", echo);
        self.vars.put("DBNAME", self.client.database());
        self.vars.put("USER", self.client.user());
    }

    /// Sets a variable as `\set NAME VALUE` does (`None`: `\unset`), applying the special
    /// ones' effect.
    pub fn set_var(&mut self, name: &str, value: Option<&str>) -> Result<(), Message> {
        self.vars.set(name, value)?;
        let v = self.vars.get(name).unwrap_or_default().to_ascii_lowercase();
        match name {
            "ON_ERROR_STOP" => {
                self.on_error = if vars::parse_bool(&v) == Some(true) {
                    OnError::Stop
                } else {
                    OnError::Continue
                }
            }
            "QUIET" => self.quiet = vars::parse_bool(&v) == Some(true),
            "ECHO" => {
                self.echo = v == "queries";
                self.echo_all = v == "all";
                self.echo_errors = v == "errors";
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether statements run: outside `\if` blocks, or in a true branch.
    pub fn active(&self) -> bool {
        matches!(
            self.cond.last().map(|b| b.state),
            None | Some(IfState::True | IfState::ElseTrue)
        )
    }

    /// Feeds a line to the query buffer, interpolating variables (but not in an inactive
    /// branch, as psql).
    pub fn push_line(&mut self, line: &str) -> Vec<Piece> {
        let vars = self.active().then_some(&self.vars);
        self.splitter.push_line_vars(line, vars)
    }

    /// `basalt:FILE:LINE: ` while a script file runs, else nothing.
    fn prefix(&self) -> String {
        match &self.source {
            Some(p) => format!("basalt:{}:{}: ", p.display(), self.line),
            None => String::new(),
        }
    }

    /// Prints an error (with the statement text the position counts in).
    pub fn report(&mut self, e: &Message, sql: Option<&str>) {
        let text = format!("{}{}", self.prefix(), print::format_error(e, sql));
        // Results first, so that the two streams interleave as they happened.
        let _ = self.out.flush();
        let _ = self.err.write_all(text.as_bytes());
        let _ = self.err.flush();
    }

    /// Whether `e` is the error [`run_sql`] printed last (a handler returning it, as `\\g`
    /// and `\\gset` do, need not print it again); forgets it.
    pub fn already_reported(&mut self, e: &Message) -> bool {
        self.reported.take().as_ref() == Some(e)
    }

    /// Prints a message that is no failure (psql goes on after it, `ON_ERROR_STOP` or not).
    pub fn report_plain(&mut self, e: &Message) {
        self.report(e, None);
    }

    /// Prints an informational line (`Timing is on.`) unless quiet.
    fn info(&mut self, text: &str) -> Result<(), Message> {
        if !self.quiet {
            writeln!(self.out, "{text}").map_err(io_error)?;
        }
        Ok(())
    }
}

fn io_error(e: io::Error) -> Message {
    Message::client("58030", format!("could not write the output: {e}"))
}

/// psql's `Time: 1.234 ms` (with `(mm:ss.fff)` past a second).
pub fn timing_text(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1000.0 {
        return format!("Time: {ms:.3} ms");
    }
    let mut seconds = ms / 1000.0;
    let mut minutes = (seconds / 60.0).floor();
    seconds -= 60.0 * minutes;
    if minutes < 60.0 {
        return format!("Time: {ms:.3} ms ({:02}:{seconds:06.3})", minutes as u64);
    }
    let mut hours = (minutes / 60.0).floor();
    minutes -= 60.0 * hours;
    if hours < 24.0 {
        return format!(
            "Time: {ms:.3} ms ({:02}:{:02}:{seconds:06.3})",
            hours as u64, minutes as u64
        );
    }
    let days = (hours / 24.0).floor();
    hours -= 24.0 * days;
    format!(
        "Time: {ms:.3} ms ({days:.0} d {:02}:{:02}:{seconds:06.3})",
        hours as u64, minutes as u64
    )
}

/// COPY data read from a script or stdin: lines up to `\.` (not included) or the end.
struct CopyLines<'a> {
    src: &'a mut dyn BufRead,
    buf: Vec<u8>,
    pos: usize,
    /// `\.` or the end was reached.
    done: bool,
    /// Lines consumed (for the script's line count).
    lines: usize,
}

impl<'a> CopyLines<'a> {
    fn new(src: &'a mut dyn BufRead) -> CopyLines<'a> {
        CopyLines {
            src,
            buf: Vec::new(),
            pos: 0,
            done: false,
            lines: 0,
        }
    }

    /// Reads and drops the rest of the data (after a COPY that failed part way).
    fn drain(&mut self) -> io::Result<()> {
        let mut sink = [0u8; 8192];
        while self.read(&mut sink)? > 0 {}
        Ok(())
    }
}

impl Read for CopyLines<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.buf.len() {
            if self.done {
                return Ok(0);
            }
            self.buf.clear();
            self.pos = 0;
            if self.src.read_until(b'\n', &mut self.buf)? == 0 {
                self.done = true;
                return Ok(0);
            }
            self.lines += 1;
            let line = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line == b"\\." {
                self.buf.clear();
                self.done = true;
                return Ok(0);
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Stdin read a line at a time, locking it only while reading: a script read from stdin and
/// the COPY data of a statement it runs (`\\g`) share it without holding its lock, and nothing
/// is read ahead past the line being used.
#[derive(Default)]
pub struct StdinLines {
    buf: Vec<u8>,
    pos: usize,
}

impl Read for StdinLines {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = out.len().min(avail.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for StdinLines {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            io::stdin().lock().read_until(b'\n', &mut self.buf)?;
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }
}

/// Where a query string's results go while it runs.
struct Sink<'a, 'b> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    print: &'a PrintOptions,
    quiet: bool,
    prefix: String,
    copy_src: Option<&'a mut CopyLines<'b>>,
    /// `\\copy`'s file: COPY FROM STDIN reads it instead.
    file_in: Option<&'a mut dyn Read>,
    /// `\\copy`'s file or stdout: COPY TO STDOUT writes it instead of the results' output.
    file_out: Option<&'a mut dyn Write>,
    copy_in_used: bool,
    /// A `COPY ... TO STDOUT` wrote to `out`: its tag is not printed (psql).
    copy_out_used: bool,
    io_error: Option<io::Error>,
    /// `\gset`: results with columns are kept here instead of printed.
    capture: Option<&'a mut Option<Outcome>>,
    /// The rows the last result counted (psql's `ROW_COUNT`).
    row_count: u64,
}

/// The count libpq's `PQcmdTuples` gives for a command tag (`INSERT 0 3`: 3), 0 for commands
/// that count nothing.
fn tag_count(tag: &str) -> Option<u64> {
    let first = tag.split_whitespace().next()?;
    if !matches!(
        first,
        "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "MOVE" | "FETCH" | "COPY"
    ) {
        return None;
    }
    tag.split_whitespace().last()?.parse().ok()
}

impl Sink<'_, '_> {
    fn keep(&mut self, r: io::Result<()>) {
        if let Err(e) = r {
            self.io_error.get_or_insert(e);
        }
    }
}

impl Output for Sink<'_, '_> {
    fn result(&mut self, o: Outcome) {
        self.row_count = tag_count(&o.tag).unwrap_or(if o.columns.is_empty() {
            0
        } else {
            o.rows.len() as u64
        });
        if let Some(c) = self.capture.as_deref_mut()
            && !o.columns.is_empty()
        {
            *c = Some(o);
            return;
        }
        if self.copy_out_used && o.tag.starts_with("COPY") && o.columns.is_empty() {
            self.copy_out_used = false;
            return;
        }
        if self.quiet && o.columns.is_empty() && !o.tag.starts_with("SELECT") {
            return;
        }
        let r = if self.quiet {
            print::print_rows(&o, self.print, self.out)
        } else {
            print::print_outcome(&o, self.print, self.out)
        };
        self.keep(r);
    }

    fn notice(&mut self, n: Message) {
        let _ = self.out.flush();
        let text = format!("{}{}", self.prefix, print::format_notice(&n));
        let r = self.err.write_all(text.as_bytes());
        self.keep(r);
    }

    fn copy_in(&mut self) -> io::Result<&mut dyn Read> {
        if let Some(f) = self.file_in.as_deref_mut() {
            return Ok(f);
        }
        match self.copy_src.as_deref_mut() {
            Some(r) => {
                self.copy_in_used = true;
                Ok(r)
            }
            None => Err(io::Error::other("COPY FROM STDIN has no input here")),
        }
    }

    fn copy_out(&mut self) -> io::Result<&mut dyn Write> {
        if let Some(f) = self.file_out.as_deref_mut() {
            return Ok(f);
        }
        self.copy_out_used = true;
        Ok(&mut *self.out)
    }
}

/// Whether `sql` is a `COPY ... FROM STDIN` (whose data follows in a script).
fn is_copy_from_stdin(sql: &str) -> bool {
    let words: Vec<String> = sql
        .split(|c: char| c.is_whitespace() || c == ';' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words.first().map(String::as_str) == Some("copy")
        && words.windows(2).any(|w| w[0] == "from" && w[1] == "stdin")
}

/// Runs one query string, printing its results, notices and error; COPY FROM STDIN reads
/// stdin (up to `\.`).
pub fn run_sql(state: &mut State, sql: &str) -> Result<(), Message> {
    let mut stdin = StdinLines::default();
    let mut lines = CopyLines::new(&mut stdin);
    run_with(state, sql, Some(&mut lines), None, None)
}

/// Runs one query string with COPY FROM STDIN reading from `copy`.
fn run_with(
    state: &mut State,
    sql: &str,
    copy: Option<&mut CopyLines<'_>>,
    file_in: Option<&mut dyn Read>,
    file_out: Option<&mut dyn Write>,
) -> Result<(), Message> {
    state.last_query = Some(sql.to_string());
    state.reported = None;
    if state.echo {
        writeln!(state.out, "{}", sql.trim_end()).map_err(io_error)?;
    }
    let start = Instant::now();
    let prefix = state.prefix();
    let mut sink = Sink {
        out: &mut *state.out,
        err: &mut *state.err,
        print: &state.print,
        quiet: state.quiet,
        prefix,
        copy_src: copy,
        // (Re-borrowed through a closure: a trait object's lifetime shortens there, not
        // inside an Option.)
        file_in: file_in.map(|r| -> &mut dyn Read { r }),
        file_out: file_out.map(|w| -> &mut dyn Write { w }),
        copy_in_used: false,
        copy_out_used: false,
        io_error: None,
        capture: if state.capturing {
            Some(&mut state.captured)
        } else {
            None
        },
        row_count: 0,
    };
    let r = match autocommit_begin(&mut *state.client, &state.vars, sql) {
        Ok(()) => state.client.run(sql, &mut sink),
        Err(e) => Err(e),
    };
    let elapsed = start.elapsed();
    let row_count = sink.row_count;
    let copy_in_used = sink.copy_in_used;
    let io_err = sink.io_error.take();
    if let Some(src) = sink.copy_src {
        // The rest of the COPY data is no SQL: skip it when the COPY stopped early or never
        // began reading (a failed COPY FROM STDIN).
        if (copy_in_used || (r.is_err() && is_copy_from_stdin(sql))) && !src.done {
            src.drain().map_err(|e| {
                Message::client("58030", format!("could not read the COPY data: {e}"))
            })?;
        }
        // Messages name the line after the data, as psql's do.
        state.line += src.lines;
    }
    if let Err(e) = &r {
        state.report(e, Some(sql));
        state.reported = Some(e.clone());
        if state.echo_errors {
            let t = format!("{}STATEMENT:  {}\n", state.prefix(), sql.trim_end());
            let _ = state.err.write_all(t.as_bytes());
            let _ = state.err.flush();
        }
    }
    set_result_vars(&mut state.vars, &r, row_count);
    if state.timing {
        writeln!(state.out, "{}", timing_text(elapsed)).map_err(io_error)?;
    }
    state.out.flush().map_err(io_error)?;
    if let Some(e) = io_err {
        return Err(io_error(e));
    }
    r
}

/// psql's result variables after a query string: `ERROR`, `SQLSTATE`, `ROW_COUNT`, and
/// after an error `LAST_ERROR_MESSAGE` and `LAST_ERROR_SQLSTATE`.
fn set_result_vars(v: &mut Vars, r: &Result<(), Message>, row_count: u64) {
    match r {
        Ok(()) => {
            v.put("ERROR", "false");
            v.put("SQLSTATE", "00000");
            v.put("ROW_COUNT", row_count.to_string());
        }
        Err(e) => {
            v.put("ERROR", "true");
            v.put("SQLSTATE", e.code.clone());
            v.put("ROW_COUNT", "0");
            v.put("LAST_ERROR_MESSAGE", e.message.clone());
            v.put("LAST_ERROR_SQLSTATE", e.code.clone());
        }
    }
}

/// With `AUTOCOMMIT` off, a statement outside a transaction block starts one first (psql
/// sends `BEGIN`), unless it is one that cannot run in a block or manages it.
fn autocommit_begin(client: &mut dyn Client, v: &Vars, sql: &str) -> Result<(), Message> {
    if v.bool_or("AUTOCOMMIT", true) || client.status() != crate::client::TxStatus::Idle {
        return Ok(());
    }
    let words: Vec<String> = sql
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .take(3)
        .map(str::to_ascii_uppercase)
        .collect();
    let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    // psql's command_no_begin.
    let no_begin = match w(0) {
        "" | "BEGIN" | "START" | "COMMIT" | "END" | "ROLLBACK" | "ABORT" | "VACUUM"
        | "CHECKPOINT" => true,
        "PREPARE" => w(1) == "TRANSACTION",
        "CREATE" | "DROP" => {
            matches!(w(1), "DATABASE" | "TABLESPACE") || (w(1) == "INDEX" && w(2) == "CONCURRENTLY")
        }
        "REINDEX" => matches!(w(1), "DATABASE" | "SYSTEM"),
        "DISCARD" => w(1) == "ALL",
        "ALTER" => w(1) == "SYSTEM",
        _ => false,
    };
    if no_begin {
        return Ok(());
    }
    client.run("BEGIN", &mut crate::client::Collect::default())
}

/// Reads a script from `input` and runs it: statements as they end, meta-commands through
/// `meta`, COPY FROM STDIN data from the following lines; the unterminated tail at the end
/// runs too (as psql). Stops at the first error with [`OnError::Stop`] (returning it, after
/// printing it); with [`OnError::Continue`] counts errors and runs on. `\q` stops reading.
pub fn run_script(
    state: &mut State,
    input: &mut dyn BufRead,
    on_error: OnError,
    meta: &mut dyn FnMut(&mut State, &str) -> Result<(), Message>,
) -> Result<ScriptStats, Message> {
    let saved = (
        std::mem::take(&mut state.splitter),
        state.on_error,
        state.line,
        // Each file has its own \if blocks, as in psql.
        std::mem::take(&mut state.cond),
    );
    let stop_var = state.vars.get("ON_ERROR_STOP").map(str::to_string);
    state.on_error = on_error;
    state.line = 0;
    let mut r = script_loop(state, input, meta);
    if r.is_ok() && !state.cond.is_empty() {
        let e = Message::client("42601", "reached EOF without finding closing \\endif(s)");
        state.report(&e, None);
        r = match state.on_error {
            OnError::Stop => Err(e),
            OnError::Continue => r.map(|mut st| {
                st.errors += 1;
                st
            }),
        };
    }
    state.splitter = saved.0;
    // `\set ON_ERROR_STOP` in the script holds after it (the variable is global).
    if state.vars.get("ON_ERROR_STOP") == stop_var.as_deref() {
        state.on_error = saved.1;
    }
    state.line = saved.2;
    state.cond = saved.3;
    r
}

/// Runs a meta-command as psql does: `\if`, `\elif`, `\else` and `\endif` always; others
/// only in an active branch, with variables interpolated into their arguments, through
/// `meta`.
pub fn dispatch_meta(
    state: &mut State,
    cmd: &str,
    meta: &mut dyn FnMut(&mut State, &str) -> Result<(), Message>,
) -> Result<(), Message> {
    if let Some(r) = conditional(state, cmd) {
        return r;
    }
    if !state.active() {
        return Ok(());
    }
    let cmd = vars::interpolate_meta(cmd, &state.vars);
    meta(state, &cmd)
}

/// Evaluates an `\if`/`\elif` expression: its arguments (interpolated), joined by spaces,
/// as a boolean; a value that is none is reported and counts as false (psql goes on).
fn condition(state: &mut State, cmd: &str, what: &str) -> bool {
    let line = vars::interpolate_meta(cmd, &state.vars);
    let rest = line
        .trim_start()
        .split_once(char::is_whitespace)
        .map_or("", |x| x.1);
    let expr = meta_args(rest).join(" ");
    match vars::parse_bool(&expr) {
        Some(b) => b,
        None => {
            let e = vars::not_bool(&expr, what);
            state.report_plain(&e);
            false
        }
    }
}

/// `\if`, `\elif`, `\else`, `\endif` (psql's rules); `None` for other commands.
fn conditional(state: &mut State, cmd: &str) -> Option<Result<(), Message>> {
    let name = cmd.split_whitespace().next()?;
    let misplaced = |m: &str| Err(Message::client("42601", m.to_string()));
    let top = state.cond.last().map(|b| b.state);
    let was_active = state.active();
    let r = match name {
        "\\if" => {
            let st = if !was_active {
                IfState::Ignored
            } else if condition(state, cmd, "\\if expression") {
                IfState::True
            } else {
                IfState::False
            };
            state.cond.push(Branch {
                state: st,
                saved: None,
            });
            Ok(())
        }
        "\\elif" => match top {
            None => misplaced("\\elif: no matching \\if"),
            Some(IfState::ElseTrue | IfState::ElseFalse) => {
                misplaced("\\elif: cannot occur after \\else")
            }
            Some(t) => {
                let st = match t {
                    IfState::False => {
                        if condition(state, cmd, "\\elif expression") {
                            IfState::True
                        } else {
                            IfState::False
                        }
                    }
                    _ => IfState::Ignored,
                };
                if let Some(b) = state.cond.last_mut() {
                    b.state = st;
                }
                Ok(())
            }
        },
        "\\else" => match top {
            None => misplaced("\\else: no matching \\if"),
            Some(IfState::ElseTrue | IfState::ElseFalse) => {
                misplaced("\\else: cannot occur after \\else")
            }
            Some(t) => {
                if let Some(b) = state.cond.last_mut() {
                    b.state = if t == IfState::False {
                        IfState::ElseTrue
                    } else {
                        IfState::ElseFalse
                    };
                }
                Ok(())
            }
        },
        "\\endif" => match state.cond.pop() {
            None => misplaced("\\endif: no matching \\if"),
            Some(b) => {
                // Text typed in an inactive branch is dropped.
                if let Some(sp) = b.saved {
                    state.splitter = sp;
                }
                return Some(Ok(()));
            }
        },
        _ => return None,
    };
    if r.is_ok() {
        let now_active = state.active();
        if let Some(b) = state.cond.last_mut() {
            if was_active && !now_active {
                b.saved = Some(state.splitter.clone());
            } else if !was_active
                && now_active
                && let Some(sp) = b.saved.take()
            {
                state.splitter = sp;
            }
        }
    }
    Some(r)
}

fn script_loop(
    state: &mut State,
    input: &mut dyn BufRead,
    meta: &mut dyn FnMut(&mut State, &str) -> Result<(), Message>,
) -> Result<ScriptStats, Message> {
    let mut stats = ScriptStats::default();
    let mut raw = Vec::new();
    loop {
        raw.clear();
        let n = input
            .read_until(b'\n', &mut raw)
            .map_err(|e| Message::client("58030", format!("could not read the script: {e}")))?;
        let pieces = if n == 0 {
            match state.splitter.finish() {
                Some(s) => vec![Piece::Statement(s)],
                None => break,
            }
        } else {
            state.line += 1;
            let line = std::str::from_utf8(&raw).map_err(|e| {
                let e = Message::client(
                    "22021",
                    format!(
                        "invalid byte sequence for encoding \"UTF8\" in line {} (byte {})",
                        state.line,
                        e.valid_up_to() + 1
                    ),
                );
                state.report(&e, None);
                e
            })?;
            if state.echo_all {
                let l = line.strip_suffix('\n').unwrap_or(line);
                writeln!(state.out, "{}", l.strip_suffix('\r').unwrap_or(l)).map_err(io_error)?;
                state.out.flush().map_err(io_error)?;
            }
            state.push_line(line)
        };
        for p in pieces {
            let r = match p {
                // An inactive \if branch: statements are read and dropped.
                Piece::Statement(_) if !state.active() => continue,
                Piece::Statement(sql) => {
                    stats.statements += 1;
                    let mut lines = CopyLines::new(&mut *input);
                    run_with(state, &sql, Some(&mut lines), None, None)
                }
                Piece::Meta(cmd) if state.active() && copy_from_script(&cmd) => {
                    stats.statements += 1;
                    let r = parse_copy(&cmd).and_then(|c| {
                        let mut lines = CopyLines::new(&mut *input);
                        run_with(state, &c.sql, Some(&mut lines), None, None)
                    });
                    if let Err(e) = &r
                        && state.reported.take().as_ref() != Some(e)
                    {
                        state.report(e, None);
                    }
                    r
                }
                Piece::Meta(cmd) => {
                    let r = dispatch_meta(state, &cmd, meta);
                    if let Err(e) = &r
                        && state.reported.take().as_ref() != Some(e)
                    {
                        state.report(e, None);
                    }
                    r
                }
            };
            if let Err(e) = r {
                stats.errors += 1;
                if state.on_error == OnError::Stop {
                    return Err(e);
                }
            }
            if state.quit {
                return Ok(stats);
            }
        }
        if n == 0 {
            break;
        }
    }
    Ok(stats)
}

/// Splits a meta-command's arguments as psql does for most commands: whitespace separates,
/// `'...'` quotes (with `''` and backslash escapes), `"..."` keeps its quotes.
pub fn meta_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut arg = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            match c {
                '\'' => {
                    while let Some(c) = chars.next() {
                        match c {
                            '\'' if chars.peek() == Some(&'\'') => {
                                chars.next();
                                arg.push('\'');
                            }
                            '\'' => break,
                            '\\' => match chars.next() {
                                Some('n') => arg.push('\n'),
                                Some('t') => arg.push('\t'),
                                Some('r') => arg.push('\r'),
                                Some(c) => arg.push(c),
                                None => {}
                            },
                            c => arg.push(c),
                        }
                    }
                }
                '"' => {
                    arg.push('"');
                    for c in chars.by_ref() {
                        arg.push(c);
                        if c == '"' {
                            break;
                        }
                    }
                }
                c => arg.push(c),
            }
        }
        out.push(arg);
    }
    out
}

fn on_off(arg: Option<&str>, current: bool, what: &str) -> Result<bool, Message> {
    match arg.map(str::to_ascii_lowercase).as_deref() {
        None => Ok(!current),
        Some("on" | "true" | "yes" | "1" | "t" | "y") => Ok(true),
        Some("off" | "false" | "no" | "0" | "f" | "n") => Ok(false),
        Some(v) => Err(Message::client(
            "22023",
            format!("unrecognized value \"{v}\" for \"{what}\": Boolean expected"),
        )),
    }
}

fn expanded_text(e: Expanded) -> &'static str {
    match e {
        Expanded::On => "Expanded display is on.",
        Expanded::Off => "Expanded display is off.",
        Expanded::Auto => "Expanded display is used automatically.",
    }
}

fn set_expanded(state: &mut State, arg: Option<&str>) -> Result<(), Message> {
    state.print.expanded = match arg.map(str::to_ascii_lowercase).as_deref() {
        Some("auto") => Expanded::Auto,
        a => {
            if on_off(a, state.print.expanded != Expanded::Off, "expanded")? {
                Expanded::On
            } else {
                Expanded::Off
            }
        }
    };
    state.info(expanded_text(state.print.expanded))
}

/// `\pset NAME [VALUE]`.
fn pset(state: &mut State, args: &[String]) -> Result<(), Message> {
    let Some(name) = args.first() else {
        let p = state.print.clone();
        let text = format!(
            "expanded                 {}\nfieldsep                 '{}'\nfooter                   {}\nformat                   {}\nnull                     '{}'\ntuples_only              {}",
            match p.expanded {
                Expanded::On => "on",
                Expanded::Off => "off",
                Expanded::Auto => "auto",
            },
            p.field_sep,
            if p.footer { "on" } else { "off" },
            p.format.name(),
            p.null,
            if p.tuples_only { "on" } else { "off" },
        );
        return state.info(&text);
    };
    let value = args.get(1).map(String::as_str);
    match name.as_str() {
        "format" => {
            if let Some(v) = value {
                state.print.format = Format::parse(v).ok_or_else(|| {
                    Message::client(
                        "22023",
                        format!("\\pset: allowed formats are aligned, unaligned, csv, json, markdown (not \"{v}\")"),
                    )
                })?;
            }
            let t = format!("Output format is {}.", state.print.format.name());
            state.info(&t)
        }
        "null" => {
            if let Some(v) = value {
                state.print.null = v.to_string();
            }
            let t = format!("Null display is \"{}\".", state.print.null);
            state.info(&t)
        }
        "expanded" | "x" => set_expanded(state, value),
        "tuples_only" | "t" => {
            state.print.tuples_only = on_off(value, state.print.tuples_only, name)?;
            let t = if state.print.tuples_only {
                "Tuples only is on."
            } else {
                "Tuples only is off."
            };
            state.info(t)
        }
        "footer" => {
            state.print.footer = on_off(value, state.print.footer, name)?;
            let t = if state.print.footer {
                "Default footer is on."
            } else {
                "Default footer is off."
            };
            state.info(t)
        }
        "fieldsep" => {
            if let Some(v) = value {
                state.print.field_sep = v.to_string();
            }
            let t = format!("Field separator is \"{}\".", state.print.field_sep);
            state.info(&t)
        }
        "recordsep" => {
            if let Some(v) = value {
                state.print.record_sep = v.to_string();
            }
            state.info("Record separator changed.")
        }
        "csv_fieldsep" => {
            if let Some(v) = value {
                let mut cs = v.chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) if c != '"' && c != '\n' && c != '\r' => {
                        state.print.csv_sep = c
                    }
                    _ => {
                        return Err(Message::client(
                            "22023",
                            "\\pset: csv_fieldsep must be a single one-byte character",
                        ));
                    }
                }
            }
            let t = format!("Field separator for CSV is \"{}\".", state.print.csv_sep);
            state.info(&t)
        }
        // Basalt prints no pager and only the ASCII border-1 style.
        "pager" | "border" | "linestyle" | "columns" => Ok(()),
        _ => Err(Message::client(
            "22023",
            format!("\\pset: unknown option: {name}"),
        )),
    }
}

/// Runs a script file (for `\i`, `\ir` and `basalt sql -f`), `-` being stdin.
pub fn run_file(
    state: &mut State,
    path: &Path,
    meta: &mut dyn FnMut(&mut State, &str) -> Result<(), Message>,
) -> Result<ScriptStats, Message> {
    let on_error = state.on_error;
    if path == Path::new("-") {
        // psql's name for it in messages.
        let saved = state.source.replace(PathBuf::from("<stdin>"));
        let r = run_script(state, &mut StdinLines::default(), on_error, meta);
        state.source = saved;
        return r;
    }
    let f = std::fs::File::open(path)
        .map_err(|e| Message::client("58P01", format!("{}: {e}", path.display())))?;
    let mut r = io::BufReader::new(f);
    let saved = state.source.replace(path.to_path_buf());
    let result = run_script(state, &mut r, on_error, meta);
    state.source = saved;
    result
}

/// Where `\\copy` reads or writes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Endpoint {
    /// A file (relative to the working directory).
    File(String),
    /// The script's input (`stdin`): lines up to `\\.`.
    Stdin,
    /// The results' output (`stdout`).
    Stdout,
    /// The process's stdin (`pstdin`).
    PStdin,
    /// The process's stdout (`pstdout`).
    PStdout,
}

/// A parsed `\\copy`: the server-side COPY to run and where its data goes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CopySpec {
    sql: String,
    from: bool,
    endpoint: Endpoint,
}

/// Splits `\\copy`'s arguments into words at depth 0 outside quotes: (start, end) spans.
fn copy_words(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    let mut depth = 0u32;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        if c.is_whitespace() && depth == 0 {
            if let Some(st) = start.take() {
                out.push((st, i));
            }
            continue;
        }
        if start.is_none() {
            start = Some(i);
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if let Some(st) = start {
        out.push((st, s.len()));
    }
    out
}

/// Parses `\\copy {table [(cols)] | (query)} {from | to} {'file' | stdin | stdout | pstdin |
/// pstdout} [options]` (psql's syntax; `program` is not supported).
fn parse_copy(cmd: &str) -> Result<CopySpec, Message> {
    let bad = |m: &str| Message::client("42601", format!("\\copy: {m}"));
    let body = cmd.trim_start().strip_prefix("\\copy").unwrap_or(cmd);
    let words = copy_words(body);
    let dir = words
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, (a, b))| {
            let w = &body[*a..*b];
            w.eq_ignore_ascii_case("from") || w.eq_ignore_ascii_case("to")
        })
        .map(|(i, _)| i)
        .ok_or_else(|| bad("parse error: expected FROM or TO"))?;
    let from = body[words[dir].0..words[dir].1].eq_ignore_ascii_case("from");
    let head = body[words[0].0..words[dir - 1].1].trim();
    let &(ta, tb) = words
        .get(dir + 1)
        .ok_or_else(|| bad("parse error at end of line"))?;
    let target = &body[ta..tb];
    let rest = body[tb..].trim();
    let endpoint = match target.to_ascii_lowercase().as_str() {
        "stdin" if from => Endpoint::Stdin,
        "stdout" if !from => Endpoint::Stdout,
        "pstdin" if from => Endpoint::PStdin,
        "pstdout" if !from => Endpoint::PStdout,
        "program" => return Err(bad("program is not supported")),
        "stdin" | "stdout" | "pstdin" | "pstdout" => {
            return Err(bad(&format!(
                "cannot copy {} {target}",
                if from { "from" } else { "to" }
            )));
        }
        _ => {
            let name = match target.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
                Some(q) => q.replace("''", "'"),
                None => target.to_string(),
            };
            Endpoint::File(name)
        }
    };
    let sql = format!(
        "COPY {head} {} {rest}",
        if from { "FROM STDIN" } else { "TO STDOUT" }
    );
    Ok(CopySpec {
        sql: sql.trim_end().to_string(),
        from,
        endpoint,
    })
}

/// Whether `cmd` is a `\\copy ... from stdin`, whose data the script holds.
fn copy_from_script(cmd: &str) -> bool {
    cmd.starts_with("\\copy ") && parse_copy(cmd).is_ok_and(|c| c.endpoint == Endpoint::Stdin)
}

/// `\\copy`: COPY with the data in a file, stdin or stdout of this process.
fn slash_copy(state: &mut State, cmd: &str) -> Result<(), Message> {
    let c = parse_copy(cmd)?;
    let open_err = |f: &str, e: io::Error| Message::client("58030", format!("{f}: {e}"));
    match (&c.endpoint, c.from) {
        (Endpoint::File(f), true) => {
            let file = std::fs::File::open(f).map_err(|e| open_err(f, e))?;
            let mut r = io::BufReader::new(file);
            run_with(state, &c.sql, None, Some(&mut r), None)
        }
        (Endpoint::File(f), false) => {
            let file = std::fs::File::create(f).map_err(|e| open_err(f, e))?;
            let mut w = io::BufWriter::new(file);
            let r = run_with(state, &c.sql, None, None, Some(&mut w));
            w.flush().map_err(|e| open_err(f, e))?;
            r
        }
        (Endpoint::PStdout, _) => {
            let mut w = io::stdout();
            run_with(state, &c.sql, None, None, Some(&mut w))
        }
        (Endpoint::Stdout, _) => run_with(state, &c.sql, None, None, None),
        // Outside a script (or -c), stdin is the process's.
        (Endpoint::Stdin | Endpoint::PStdin, _) => {
            let mut stdin = StdinLines::default();
            let mut lines = CopyLines::new(&mut stdin);
            run_with(state, &c.sql, Some(&mut lines), None, None)
        }
    }
}

/// The meta-commands that need no terminal, for `basalt sql` and the shell: `None` when
/// `cmd` is none of them. `cmd` is the whole command from its backslash.
pub fn meta_common(state: &mut State, cmd: &str) -> Option<Result<(), Message>> {
    let body = cmd.strip_prefix('\\').unwrap_or(cmd);
    let (name, rest) = match body.find(char::is_whitespace) {
        Some(i) => (&body[..i], &body[i..]),
        None => (body, ""),
    };
    let args = meta_args(rest);
    let arg = args.first().map(String::as_str);
    let r = match name {
        "g" | "gx" | ";" => {
            let pending = state.splitter.take_pending();
            let sql = if pending.trim().is_empty() {
                match state.last_query.clone() {
                    Some(q) => q,
                    None => return Some(Ok(())),
                }
            } else {
                pending
            };
            let saved = state.print.expanded;
            if name == "gx" {
                state.print.expanded = Expanded::On;
            }
            let r = run_sql(state, &sql);
            state.print.expanded = saved;
            r
        }
        "echo" | "qecho" | "warn" => {
            let (newline, words) = match args.first().map(String::as_str) {
                Some("-n") => (false, &args[1..]),
                _ => (true, &args[..]),
            };
            let text = format!("{}{}", words.join(" "), if newline { "\n" } else { "" });
            // \echo writes to the output \o replaced (psql's stdout), \qecho to \o's file.
            let w: &mut dyn Write = match (name, state.saved_out.as_mut()) {
                ("warn", _) => &mut *state.err,
                ("echo", Some(stdout)) => &mut **stdout,
                _ => &mut *state.out,
            };
            w.write_all(text.as_bytes()).map_err(io_error)
        }
        "pset" => pset(state, &args),
        "x" => set_expanded(state, arg),
        "a" => {
            state.print.format = if state.print.format == Format::Aligned {
                Format::Unaligned
            } else {
                Format::Aligned
            };
            let t = format!("Output format is {}.", state.print.format.name());
            state.info(&t)
        }
        "t" => pset(
            state,
            &[
                "tuples_only".to_string(),
                arg.unwrap_or_default().to_string(),
            ][..if arg.is_some() { 2 } else { 1 }],
        ),
        "f" => pset(
            state,
            &["fieldsep".to_string(), arg.unwrap_or_default().to_string()]
                [..if arg.is_some() { 2 } else { 1 }],
        ),
        "timing" => on_off(arg, state.timing, "timing").and_then(|on| {
            state.timing = on;
            state.info(if on {
                "Timing is on."
            } else {
                "Timing is off."
            })
        }),
        "o" | "out" => match arg {
            None => {
                let _ = state.out.flush();
                if let Some(o) = state.saved_out.take() {
                    state.out = o;
                }
                Ok(())
            }
            Some(p) if p.starts_with('|') => {
                Err(Message::client("0A000", "\\o |command is not supported"))
            }
            Some(p) => match std::fs::File::create(p) {
                Ok(f) => {
                    let _ = state.out.flush();
                    let old = std::mem::replace(&mut state.out, Box::new(io::BufWriter::new(f)));
                    if state.saved_out.is_none() {
                        state.saved_out = Some(old);
                    }
                    Ok(())
                }
                Err(e) => Err(Message::client("58030", format!("{p}: {e}"))),
            },
        },
        "i" | "include" | "ir" | "include_relative" => match arg {
            None => Err(Message::client(
                "42601",
                format!("\\{name}: missing required argument"),
            )),
            Some(p) => {
                let mut path = PathBuf::from(p);
                if (name == "ir" || name == "include_relative")
                    && path.is_relative()
                    && let Some(dir) = state.source.as_ref().and_then(|s| s.parent())
                {
                    path = dir.join(path);
                }
                run_file(state, &path, &mut |s, c| basic_meta(s, c)).map(|_| ())
            }
        },
        "c" | "connect" => {
            let db = match arg {
                None | Some("-") => state.client.database(),
                Some(d) => d.trim_matches('"').to_string(),
            };
            match state.client.connect_to(&db) {
                Ok(c) => {
                    state.client = c;
                    state.vars.put("DBNAME", state.client.database());
                    state.vars.put("USER", state.client.user());
                    let t = format!(
                        "You are now connected to database \"{}\" as user \"{}\".",
                        state.client.database(),
                        state.client.user()
                    );
                    state.info(&t)
                }
                Err(e) => Err(e),
            }
        }
        "conninfo" => {
            let t = format!(
                "You are connected to database \"{}\" as user \"{}\" ({}).",
                state.client.database(),
                state.client.user(),
                state.client.describe()
            );
            writeln!(state.out, "{t}").map_err(io_error)
        }
        "q" | "quit" => {
            state.quit = true;
            Ok(())
        }
        "r" | "reset" => {
            state.splitter.clear();
            state.info("Query buffer reset (cleared).")
        }
        "p" | "print" => {
            let p = state.splitter.pending().trim_end().to_string();
            let t = if p.is_empty() {
                let last = state.last_query.as_deref().unwrap_or_default();
                last.trim_end().to_string()
            } else {
                p
            };
            writeln!(
                state.out,
                "{}",
                if t.is_empty() {
                    "Query buffer is empty."
                } else {
                    &t
                }
            )
            .map_err(io_error)
        }
        // \set alone lists the variables; with a name, the other arguments joined make its
        // value (psql concatenates them without spaces).
        "set" => match arg {
            None => {
                let t = state.vars.listing();
                state.out.write_all(t.as_bytes()).map_err(io_error)
            }
            Some(n) => state.set_var(n, Some(&args[1..].concat())),
        },
        "unset" => match arg {
            None => Err(Message::client(
                "42601",
                "\\unset: missing required argument",
            )),
            Some(n) => state.set_var(n, None),
        },
        "gset" => gset(state, arg.unwrap_or_default()),
        "encoding" => match arg {
            None => writeln!(state.out, "UTF8").map_err(io_error),
            Some(e) if e.eq_ignore_ascii_case("utf8") || e.eq_ignore_ascii_case("utf-8") => Ok(()),
            Some(e) => Err(Message::client(
                "22023",
                format!("{e}: invalid encoding name"),
            )),
        },
        "copy" => slash_copy(state, cmd),
        // pg_dump 15.14 and later guard their scripts with these; nothing to do here.
        "restrict" | "unrestrict" => Ok(()),
        _ => return None,
    };
    if let Err(e) = state.out.flush() {
        return Some(Err(io_error(e)));
    }
    Some(r)
}

/// `\gset [PREFIX]`: runs the query buffer (or the last query again) and stores the
/// columns of its one row in variables named PREFIX + column name (NULL unsets), as psql.
fn gset(state: &mut State, prefix: &str) -> Result<(), Message> {
    let pending = state.splitter.take_pending();
    let sql = if pending.trim().is_empty() {
        match state.last_query.clone() {
            Some(q) => q,
            None => return Ok(()),
        }
    } else {
        pending
    };
    state.capturing = true;
    state.captured = None;
    let r = run_sql(state, &sql);
    state.capturing = false;
    let captured = state.captured.take();
    r?;
    // A query without rows (CREATE ...) printed its tag: nothing to store.
    let Some(o) = captured else {
        return Ok(());
    };
    match o.rows.len() {
        0 => {
            return Err(Message::client("42601", "no rows returned for \\gset"));
        }
        1 => {}
        _ => {
            return Err(Message::client(
                "42601",
                "more than one row returned for \\gset",
            ));
        }
    }
    for (c, v) in o.columns.iter().zip(&o.rows[0]) {
        let name = format!("{prefix}{}", c.name);
        state.set_var(&name, v.as_deref())?;
    }
    Ok(())
}

/// The meta-commands of `basalt sql`: [`meta_common`], and an error for the others.
pub fn basic_meta(state: &mut State, cmd: &str) -> Result<(), Message> {
    meta_common(state, cmd)
        .or_else(|| crate::shell::meta::catalog_meta(state, cmd))
        .unwrap_or_else(|| {
        let name = cmd.split_whitespace().next().unwrap_or(cmd);
        Err(Message::client(
            "42601",
            format!("invalid command {name} (basalt sql runs the commands that need no terminal; try basalt shell)"),
        ))
    })
}

/// The `basalt sql` subcommand's arguments.
#[derive(clap::Args, Debug)]
pub struct SqlArgs {
    /// The database: a directory (created if missing), `:memory:`, or a
    /// postgres://user@host:port/db URL.
    pub target: String,
    /// Run this query string (repeatable; a string starting with \ is a meta-command).
    #[arg(short = 'c', long = "command", value_name = "SQL")]
    pub command: Vec<String>,
    /// Run this script file, `-` for stdin (repeatable).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Vec<String>,
    /// What a failing statement does: stop (exit 3 at once) or continue (run the rest,
    /// exit 3 at the end).
    #[arg(long, value_name = "WHAT", default_value = "stop", value_parser = ["stop", "continue"])]
    pub on_error: String,
    /// Output format: aligned, unaligned, csv, json or markdown.
    #[arg(long, value_name = "FORMAT", default_value = "aligned", value_parser = parse_format)]
    pub format: Format,
    /// Expanded output (one line per column).
    #[arg(short = 'x', long)]
    pub expanded: bool,
    /// What NULL prints as.
    #[arg(long, value_name = "STR")]
    pub null: Option<String>,
    /// Rows only: no header and no row count.
    #[arg(short = 't', long = "tuples-only")]
    pub tuples_only: bool,
    /// Unaligned output (as --format unaligned).
    #[arg(short = 'A', long = "no-align")]
    pub no_align: bool,
    /// The unaligned format's field separator.
    #[arg(short = 'F', long = "field-separator", value_name = "SEP")]
    pub field_separator: Option<String>,
    /// No command tags or informational messages.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Print each query string before running it.
    #[arg(short = 'e', long = "echo-queries")]
    pub echo: bool,
    /// Run everything in one transaction: BEGIN first, COMMIT at the end (ROLLBACK when a
    /// statement failed with --on-error stop).
    #[arg(short = '1', long = "single-transaction")]
    pub single_transaction: bool,
    #[command(flatten)]
    pub vars: SetArgs,
}

/// `-v NAME=VALUE` / `--set`, shared by `basalt sql` and `basalt shell`.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct SetArgs {
    /// Set a variable, as \set NAME VALUE (NAME alone unsets it); repeatable.
    #[arg(
        short = 'v',
        long = "set",
        visible_alias = "variable",
        value_name = "NAME=VALUE"
    )]
    pub set: Vec<String>,
}

/// Applies `-v NAME=VALUE` / `--set` options (after the other options, so that
/// `-v ON_ERROR_STOP=1` wins over `--on-error`); `Err` is the message to print.
pub fn apply_set_options(state: &mut State, sets: &[String]) -> Result<(), String> {
    state.sync_vars();
    for s in sets {
        let (name, value) = match s.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (s.as_str(), None),
        };
        state
            .set_var(name, value)
            .map_err(|e| format!("could not set variable \"{name}\": {}", e.message))?;
    }
    Ok(())
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::parse(s)
        .ok_or_else(|| format!("unknown format {s:?} (aligned, unaligned, csv, json, markdown)"))
}

/// What `basalt sql` runs, in command-line order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Command(String),
    File(String),
    /// No -c or -f: the script comes from stdin, and messages name no file (as psql).
    Stdin,
}

/// The `-c` and `-f` values in the order they were given (clap keeps each list's order, not
/// their interleaving): found again in the raw arguments, else commands first.
fn actions(a: &SqlArgs, raw: &[String]) -> Vec<Action> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let s = raw[i].as_str();
        let next = raw.get(i + 1).cloned();
        let (kind, value, skip) = match s {
            "-c" | "--command" => ('c', next, 2),
            "-f" | "--file" => ('f', next, 2),
            "--" => break,
            _ if s.starts_with("--command=") => ('c', Some(s["--command=".len()..].into()), 1),
            _ if s.starts_with("--file=") => ('f', Some(s["--file=".len()..].into()), 1),
            _ if s.starts_with("-c") && s.len() > 2 => ('c', Some(s[2..].into()), 1),
            _ if s.starts_with("-f") && s.len() > 2 => ('f', Some(s[2..].into()), 1),
            _ => (' ', None, 1),
        };
        match (kind, value) {
            ('c', Some(v)) => found.push(Action::Command(v)),
            ('f', Some(v)) => found.push(Action::File(v)),
            _ => {}
        }
        i += skip;
    }
    let commands: Vec<&String> = found
        .iter()
        .filter_map(|x| match x {
            Action::Command(c) => Some(c),
            _ => None,
        })
        .collect();
    let files: Vec<&String> = found
        .iter()
        .filter_map(|x| match x {
            Action::File(f) => Some(f),
            _ => None,
        })
        .collect();
    if commands.iter().copied().eq(a.command.iter()) && files.iter().copied().eq(a.file.iter()) {
        return found;
    }
    a.command
        .iter()
        .cloned()
        .map(Action::Command)
        .chain(a.file.iter().cloned().map(Action::File))
        .collect()
}

/// Exit status of `basalt sql`: a statement failed (psql's `ON_ERROR_STOP` status).
pub const EXIT_SQL_ERROR: u8 = 3;
/// Exit status of `basalt sql`: the database could not be opened (psql's connection status).
pub const EXIT_CONNECT: u8 = 2;
/// Exit status of `basalt sql`: a file could not be read.
pub const EXIT_FAILURE: u8 = 1;

/// `basalt sql`: runs the `-c` strings and `-f` files (stdin when neither is given) in
/// order. Exits 0 when all succeeded, 3 when a statement failed, 2 when the database could
/// not be opened, 1 when a file could not be read.
pub fn sql_command(a: &SqlArgs) -> u8 {
    let raw: Vec<String> = std::env::args().collect();
    let mut todo = actions(a, &raw);
    if todo.is_empty() {
        todo.push(Action::Stdin);
    }
    let mut err = io::stderr();
    let client = match crate::client::open(&a.target) {
        Ok(c) => c,
        Err(e) => {
            let _ = write!(err, "basalt: {}", print::format_error(&e, None));
            return EXIT_CONNECT;
        }
    };
    let mut state = State::new(client);
    state.print.format = if a.no_align {
        Format::Unaligned
    } else {
        a.format
    };
    if a.expanded {
        state.print.expanded = Expanded::On;
    }
    if let Some(n) = &a.null {
        state.print.null = n.clone();
    }
    if let Some(f) = &a.field_separator {
        state.print.field_sep = f.clone();
    }
    state.print.tuples_only = a.tuples_only;
    state.quiet = a.quiet;
    state.echo = a.echo;
    state.on_error = if a.on_error == "continue" {
        OnError::Continue
    } else {
        OnError::Stop
    };
    // \x auto fits the terminal when the output is one (psql reads its size; COLUMNS here).
    if io::stdout().is_terminal() {
        state.print.width = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok());
    }
    if let Err(m) = apply_set_options(&mut state, &a.vars.set) {
        let _ = writeln!(err, "basalt: {m}");
        return EXIT_FAILURE;
    }
    let mut failed = false;
    if a.single_transaction
        && let Err(e) = state
            .client
            .run("BEGIN", &mut crate::client::Collect::default())
    {
        state.report(&e, None);
        return EXIT_SQL_ERROR;
    }
    for action in todo {
        let r = match action {
            Action::Command(c) if c.trim_start().starts_with('\\') => {
                let on_error = state.on_error;
                run_script(&mut state, &mut c.as_bytes(), on_error, &mut |s, m| {
                    basic_meta(s, m)
                })
                .map(|st| st.errors)
            }
            Action::Command(c) => run_sql(&mut state, &c).map(|_| 0),
            Action::Stdin => {
                let on_error = state.on_error;
                run_script(
                    &mut state,
                    &mut StdinLines::default(),
                    on_error,
                    &mut |s, m| basic_meta(s, m),
                )
                .map(|st| st.errors)
            }
            Action::File(f) => {
                if f != "-"
                    && let Err(e) = std::fs::File::open(&f)
                {
                    let _ = writeln!(err, "basalt: {f}: {e}");
                    return EXIT_FAILURE;
                }
                let r = run_file(&mut state, Path::new(&f), &mut |s, m| basic_meta(s, m));
                r.map(|st| st.errors)
            }
        };
        match r {
            Ok(0) => {}
            Ok(_) => failed = true,
            Err(_) => {
                failed = true;
                if state.on_error == OnError::Stop {
                    break;
                }
            }
        }
        if state.quit {
            break;
        }
    }
    if a.single_transaction {
        let end = if failed && state.on_error == OnError::Stop {
            "ROLLBACK"
        } else {
            "COMMIT"
        };
        if let Err(e) = state
            .client
            .run(end, &mut crate::client::Collect::default())
        {
            state.report(&e, None);
            failed = true;
        }
    }
    let _ = state.out.flush();
    if failed { EXIT_SQL_ERROR } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer whose bytes a test reads afterwards.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            let v = self.0.lock().map(|v| v.clone()).unwrap_or_default();
            String::from_utf8_lossy(&v).into_owned()
        }
    }

    fn state() -> (State, Shared, Shared) {
        let out = Shared::default();
        let err = Shared::default();
        let client = crate::client::open(":memory:").expect("in-memory database");
        let s = State::with_output(client, Box::new(out.clone()), Box::new(err.clone()));
        (s, out, err)
    }

    fn script(s: &mut State, text: &str, on_error: OnError) -> Result<ScriptStats, Message> {
        run_script(s, &mut text.as_bytes(), on_error, &mut |s, m| {
            basic_meta(s, m)
        })
    }

    #[test]
    fn runs_a_script_with_copy_data_and_meta_commands() {
        let (mut s, out, err) = state();
        let r = script(
            &mut s,
            "create table t (id int, v text);\n\
             copy t from stdin;\n1\tone\n2\t\\N\n\\.\n\
             select * from t order by id;\n\
             \\pset null (null)\n\
             select v from t where id = 2; \\x\n\
             select id from t where id = 1 \\g\n\
             copy t to stdout;\n\
             \\echo done 'a  b'\n\
             select 'tail'",
            OnError::Stop,
        );
        assert_eq!(
            r,
            Ok(ScriptStats {
                statements: 6,
                errors: 0
            })
        );
        assert_eq!(
            out.text(),
            "CREATE TABLE\nCOPY 2\n id |  v  \n----+-----\n  1 | one\n  2 | \n(2 rows)\n\n\
             Null display is \"(null)\".\n   v    \n--------\n (null)\n(1 row)\n\n\
             Expanded display is on.\n-[ RECORD 1 ]\nid | 1\n\n\
             1\tone\n2\t\\N\n\
             done a  b\n\
             -[ RECORD 1 ]--\n?column? | tail\n\n"
        );
        assert_eq!(err.text(), "");
    }

    #[test]
    fn stops_or_continues_at_errors_with_the_caret() {
        let (mut s, out, err) = state();
        s.source = Some(PathBuf::from("x.sql"));
        let text = "select 1;\nselect\n  nope;\nselect 2;\n";
        let r = script(&mut s, text, OnError::Stop);
        assert_eq!(r.map_err(|e| e.code), Err("42703".to_string()));
        assert_eq!(
            err.text(),
            "basalt:x.sql:3: ERROR:  42703: column \"nope\" does not exist\nLINE 2:   nope;\n          ^\n"
        );
        assert!(!out.text().contains("2\n(1 row)"), "{}", out.text());
        let r = script(&mut s, text, OnError::Continue);
        assert_eq!(
            r,
            Ok(ScriptStats {
                statements: 3,
                errors: 1
            })
        );
        assert!(
            out.text().ends_with("        2\n(1 row)\n\n"),
            "{}",
            out.text()
        );
    }

    #[test]
    fn a_failed_copy_skips_its_data() {
        let (mut s, out, err) = state();
        let r = script(
            &mut s,
            "copy nope from stdin;\n1\tx\nselect 'not sql\n\\.\nselect 3;\n",
            OnError::Continue,
        );
        assert_eq!(
            r,
            Ok(ScriptStats {
                statements: 2,
                errors: 1
            })
        );
        assert!(err.text().starts_with("ERROR:  42P01:"), "{}", err.text());
        assert!(out.text().contains("        3\n"), "{}", out.text());
        // A COPY that fails part way (a bad row) skips the rest of its data too.
        let r = script(
            &mut s,
            "create table n (i int);\ncopy n from stdin;\n1\nx\n2\n\\.\nselect count(*) from n;\n",
            OnError::Continue,
        );
        assert_eq!(
            r,
            Ok(ScriptStats {
                statements: 3,
                errors: 1
            })
        );
        assert!(
            out.text().ends_with("     0\n(1 row)\n\n"),
            "{}",
            out.text()
        );
    }

    #[test]
    fn meta_command_errors_and_quit() {
        let (mut s, out, err) = state();
        let r = script(&mut s, "\\nope\nselect 1;\n", OnError::Stop);
        assert!(r.is_err());
        assert!(
            err.text()
                .starts_with("ERROR:  42601: invalid command \\nope"),
            "{}",
            err.text()
        );
        let r = script(&mut s, "select 1;\n\\q\nselect 2;\n", OnError::Stop);
        assert_eq!(
            r,
            Ok(ScriptStats {
                statements: 1,
                errors: 0
            })
        );
        assert!(!out.text().contains('2'));
        // A statement error that \g ran is printed once.
        let (mut s, _, err) = state();
        let _ = script(&mut s, "select nope \\g\n", OnError::Continue);
        assert_eq!(err.text().matches("ERROR").count(), 1, "{}", err.text());
    }

    #[test]
    fn slash_copy_parses_as_psql() {
        let c = parse_copy("\\copy t (a, b) from 'my ''f''.csv' with (format csv, header)")
            .expect("parses");
        assert_eq!(
            c,
            CopySpec {
                sql: "COPY t (a, b) FROM STDIN with (format csv, header)".into(),
                from: true,
                endpoint: Endpoint::File("my 'f'.csv".into())
            }
        );
        let c = parse_copy("\\copy (select 'a to b' from x) TO pstdout csv").expect("parses");
        assert_eq!(c.sql, "COPY (select 'a to b' from x) TO STDOUT csv");
        assert_eq!(c.endpoint, Endpoint::PStdout);
        assert!(parse_copy("\\copy t").is_err());
        assert!(parse_copy("\\copy t from program 'ls'").is_err());
        assert!(parse_copy("\\copy t to stdin").is_err());
    }

    #[test]
    fn slash_copy_files_and_script_data() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("t.csv");
        let (mut s, out, err) = state();
        let text = format!(
            "create table t (i int, v text);\n\
             \\copy t from stdin\n1\tx\n\\.\n\
             \\copy t to '{f}' with (format csv)\n\
             \\copy t from '{f}' csv\n\
             select count(*) from t;\n",
            f = file.display()
        );
        let r = script(&mut s, &text, OnError::Stop);
        assert_eq!(
            r,
            Ok(ScriptStats {
                statements: 3,
                errors: 0
            }),
            "{}",
            err.text()
        );
        assert_eq!(
            std::fs::read_to_string(&file).ok().as_deref(),
            Some("1,x\n")
        );
        assert_eq!(
            out.text(),
            "CREATE TABLE\nCOPY 1\nCOPY 1\nCOPY 1\n count \n-------\n     2\n(1 row)\n\n"
        );
    }

    #[test]
    fn include_relative_and_connect() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        std::fs::write(dir.path().join("sub/inner.sql"), "select 'inner' as w;\n").expect("write");
        std::fs::write(
            dir.path().join("sub/outer.sql"),
            "\\ir inner.sql\n\\c postgres\nselect nope;\n",
        )
        .expect("write");
        let (mut s, out, err) = state();
        let r = run_file(&mut s, &dir.path().join("sub/outer.sql"), &mut |s, m| {
            basic_meta(s, m)
        });
        assert!(r.is_err());
        assert_eq!(
            out.text(),
            "   w   \n-------\n inner\n(1 row)\n\n\
             You are now connected to database \"postgres\" as user \"basalt\".\n"
        );
        // The message names the file and line it came from.
        let outer = dir.path().join("sub/outer.sql");
        assert!(
            err.text()
                .starts_with(&format!("basalt:{}:3: ERROR:  42703", outer.display())),
            "{}",
            err.text()
        );
        assert_eq!(s.source, None, "restored after the file");
    }

    #[test]
    fn timing_text_as_psql() {
        assert_eq!(timing_text(Duration::from_micros(1234)), "Time: 1.234 ms");
        assert_eq!(
            timing_text(Duration::from_millis(61_500)),
            "Time: 61500.000 ms (01:01.500)"
        );
        assert_eq!(
            timing_text(Duration::from_secs(3 * 3600 + 2 * 60 + 1)),
            "Time: 10921000.000 ms (03:02:01.000)"
        );
    }

    #[test]
    fn meta_arguments() {
        assert_eq!(
            meta_args(" a 'b c' 'it''s\\n' \"Q x\" "),
            ["a", "b c", "it's\n", "\"Q x\""]
        );
    }

    #[test]
    fn command_line_order() {
        let a = SqlArgs {
            target: ":memory:".into(),
            command: vec!["select 1".into(), "select 2".into()],
            file: vec!["x.sql".into()],
            on_error: "stop".into(),
            format: Format::Aligned,
            expanded: false,
            null: None,
            tuples_only: false,
            no_align: false,
            field_separator: None,
            quiet: false,
            echo: false,
            single_transaction: false,
            vars: Default::default(),
        };
        let raw: Vec<String> = [
            "basalt",
            "sql",
            ":memory:",
            "-c",
            "select 1",
            "--file=x.sql",
            "-cselect 2",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            actions(&a, &raw),
            [
                Action::Command("select 1".into()),
                Action::File("x.sql".into()),
                Action::Command("select 2".into())
            ]
        );
    }
}
