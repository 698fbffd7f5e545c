//! `basalt restore`: runs a dump script (from `basalt dump`, or pg_dump's plain format)
//! against a database, stopping at the first error.
//!
//! # Design
//!
//! The script runs through [`crate::script::run_script`], as `basalt sql -f` runs one: the
//! statements in order, `COPY ... FROM stdin` reading the lines after it up to `\.`, each
//! error printed with the script's name and line (`basalt:dump.sql:42: ERROR: ...`).
//!
//! A dump that was cut short (a full disk, a dropped connection while copying it) must not
//! restore as if whole. psql takes the end of the file as the end of a COPY block or of the
//! last statement; here a script that begins like a dump (`-- Basalt database dump` or
//! pg_dump's `-- PostgreSQL database dump`) must also end like one (`... dump complete`):
//! [`Guard`] reads the script for [`crate::script::run_script`] and turns an end of file
//! before that line into a read error. So a truncated COPY block fails as a whole (a COPY is
//! one statement) and the unfinished statement at the end never runs, and the error says
//! where the file ends. With `--single-transaction` the script runs between `BEGIN` and
//! `COMMIT`, so a failure anywhere leaves nothing of it behind.

use std::io::{self, BufRead, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::client::{self, Client, Message};
use crate::script::{self, OnError, State};

/// How to restore.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Run the whole script in one transaction: all of it or nothing.
    pub single_transaction: bool,
}

/// What a restore did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Statements run.
    pub statements: usize,
}

const HEADERS: [&str; 2] = ["-- Basalt database dump", "-- PostgreSQL database dump"];
const TRAILERS: [&str; 2] = [
    "-- Basalt database dump complete",
    "-- PostgreSQL database dump complete",
];

/// Reads a script and reports an end of file that comes before a dump's last line.
pub struct Guard<R> {
    inner: R,
    /// Lines read so far.
    line: usize,
    /// Whether the script began like a dump (so it must end like one).
    is_dump: Option<bool>,
    /// The last line was a dump's final one.
    complete: bool,
    /// Inside a `COPY ... FROM stdin` data block (for the message only).
    in_copy: bool,
    /// The current line, as far as it has been read.
    current: Vec<u8>,
}

impl<R: BufRead> Guard<R> {
    /// Guards `inner`.
    pub fn new(inner: R) -> Guard<R> {
        Guard {
            inner,
            line: 0,
            is_dump: None,
            complete: false,
            in_copy: false,
            current: Vec::new(),
        }
    }

    /// Takes note of the complete line `l` (without its newline).
    fn saw_line(&mut self, l: &[u8]) {
        self.line += 1;
        let l = String::from_utf8_lossy(l);
        let l = l.trim_end();
        if self.is_dump.is_none() && !l.is_empty() && l != "--" {
            self.is_dump = Some(HEADERS.contains(&l));
        }
        if self.in_copy {
            if l == "\\." {
                self.in_copy = false;
            }
        } else if l.starts_with("COPY ") && l.ends_with(" FROM stdin;") {
            self.in_copy = true;
        }
        if !l.is_empty() && l != "--" {
            self.complete = TRAILERS.contains(&l);
        }
    }

    /// The error for an end of file before the dump's last line.
    fn truncated(&self) -> io::Error {
        let where_ = if self.in_copy {
            "inside a COPY data block"
        } else if self.current.is_empty() {
            "before its last line (\"-- Basalt database dump complete\")"
        } else {
            "in the middle of a line"
        };
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "the dump is truncated: it ends at line {} {where_}",
                self.line + usize::from(!self.current.is_empty())
            ),
        )
    }
}

impl<R: BufRead> Read for Guard<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Guard<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let at_end = self.inner.fill_buf()?.is_empty();
        if at_end && self.is_dump == Some(true) {
            // The last line may lack its newline.
            let complete = if self.current.is_empty() {
                self.complete
            } else {
                let l = String::from_utf8_lossy(&self.current);
                TRAILERS.iter().any(|t| l.trim_end() == *t)
            };
            if !complete {
                return Err(self.truncated());
            }
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        // Follow the lines consumed (the caller reads what fill_buf gave).
        let mut done = Vec::new();
        if let Ok(buf) = self.inner.fill_buf() {
            let mut rest = &buf[..amt.min(buf.len())];
            while let Some(i) = rest.iter().position(|&b| b == b'\n') {
                self.current.extend_from_slice(&rest[..i]);
                done.push(std::mem::take(&mut self.current));
                rest = &rest[i + 1..];
            }
            self.current.extend_from_slice(rest);
        }
        for l in done {
            self.saw_line(&l);
        }
        self.inner.consume(amt);
    }
}

/// Restores the script `input` (named `source` in messages) into the database of `client`;
/// errors are printed to standard error (with the line) and the first one is returned.
pub fn restore(
    client: Box<dyn Client>,
    input: &mut dyn BufRead,
    source: &str,
    o: &Options,
) -> Result<Stats, Message> {
    // Results (the script's `SELECT setval(...)`) are of no interest; errors and notices
    // go to standard error.
    let printed = Arc::new(AtomicBool::new(false));
    let err = Flagged {
        inner: io::stderr(),
        printed: printed.clone(),
    };
    let mut state = State::with_output(client, Box::new(io::sink()), Box::new(err));
    state.quiet = true;
    state.source = Some(source.into());
    let r = restore_with(&mut state, input, o);
    if let Err(e) = &r
        && !printed.load(Ordering::Relaxed)
    {
        // An error the script runner returned without printing (reading the script).
        let line = state.line;
        let _ = write!(
            io::stderr(),
            "basalt:{source}:{line}: {}",
            crate::print::format_error(e, None)
        );
    }
    r
}

/// Standard error, noting whether an error was printed.
struct Flagged {
    inner: io::Stderr,
    printed: Arc<AtomicBool>,
}

impl Write for Flagged {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if b.windows(6).any(|w| w == b"ERROR:") {
            self.printed.store(true, Ordering::Relaxed);
        }
        self.inner.write(b)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// [`restore`] with a prepared [`State`] (tests give their own outputs).
pub fn restore_with(
    state: &mut State,
    input: &mut dyn BufRead,
    o: &Options,
) -> Result<Stats, Message> {
    if o.single_transaction {
        client::query(state.client.as_mut(), "BEGIN")?;
    }
    let mut guarded = Guard::new(input);
    let mut meta = |_: &mut State, cmd: &str| -> Result<(), Message> {
        Err(Message::client(
            "42601",
            format!("a restore runs SQL only: unsupported meta-command \\{cmd}"),
        ))
    };
    let r = script::run_script(state, &mut guarded, OnError::Stop, &mut meta);
    let r = match r {
        Ok(stats) if o.single_transaction => {
            client::query(state.client.as_mut(), "COMMIT").map(|_| stats)
        }
        Ok(stats) => Ok(stats),
        Err(e) => {
            if o.single_transaction {
                // The error is what matters; a failed ROLLBACK leaves the same state.
                let _ = client::query(state.client.as_mut(), "ROLLBACK");
            }
            Err(e)
        }
    };
    r.map(|s| Stats {
        statements: s.statements,
    })
}
