//! One way to talk to a database, embedded or remote, for every subcommand that runs SQL
//! (the shell, `basalt sql`, import/export, dump/restore).
//!
//! # Design
//!
//! A [`Client`] runs query strings with the simple query protocol's meaning: statements run in
//! order, each one's result (or notice) is handed to an [`Output`] as it completes, and the
//! first error stops the string. `COPY ... FROM STDIN` reads from and `COPY ... TO STDOUT`
//! writes to streams the [`Output`] supplies, so a script's COPY data, a file given to `\copy`
//! or an import's batches flow the same way whether the database is a directory opened in
//! this process ([`embedded`]) or a server reached over the PostgreSQL protocol ([`remote`]).
//!
//! Values arrive as PostgreSQL's text output (what psql prints), with each column's type OID
//! so that a printer can align numbers right. Errors and notices keep every field the server
//! sends (SQLSTATE, detail, hint, position, context) for the shell's caret and messages.

pub mod embedded;
pub mod remote;

use std::io::{Read, Write};
use std::sync::Arc;

/// A result column: its name and the OID of its type (`0` when unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The column's name.
    pub name: String,
    /// The type OID (PostgreSQL's `pg_type.oid`).
    pub type_oid: u32,
}

/// What one statement returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The command tag (`SELECT 3`, `INSERT 0 1`, `CREATE TABLE`, ...).
    pub tag: String,
    /// The result columns; empty for a statement that returns no rows.
    pub columns: Vec<Column>,
    /// The rows in text form (`None` is NULL).
    pub rows: Vec<Vec<Option<String>>>,
}

/// An error or notice with PostgreSQL's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// `ERROR`, `FATAL`, `NOTICE`, `WARNING`, `INFO`...
    pub severity: String,
    /// The SQLSTATE.
    pub code: String,
    /// The primary message.
    pub message: String,
    /// The detail, if any.
    pub detail: Option<String>,
    /// The hint, if any.
    pub hint: Option<String>,
    /// The 1-based character position in the statement text, if any.
    pub position: Option<u32>,
    /// Where it happened (`COPY t, line 3`, a function...), if known.
    pub context: Option<String>,
}

impl Message {
    /// An error of the client itself (connection, I/O): `code` is its SQLSTATE
    /// (`08006` connection failure, `58030` I/O error...).
    pub fn client(code: &str, message: impl Into<String>) -> Message {
        Message {
            severity: "ERROR".into(),
            code: code.into(),
            message: message.into(),
            ..Message::default()
        }
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:  {}", self.severity, self.message)
    }
}

/// The transaction state after a query string, as ReadyForQuery reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxStatus {
    /// Not in a transaction block.
    Idle,
    /// In a transaction block.
    InTransaction,
    /// In a failed transaction block (statements are refused until it ends).
    Failed,
}

/// Where a [`Client`] delivers what a query string produces.
pub trait Output {
    /// A statement completed with `outcome`.
    fn result(&mut self, outcome: Outcome);
    /// The database sent a notice (or warning) while running a statement.
    fn notice(&mut self, notice: Message);
    /// `COPY ... FROM STDIN` begins: the data to send, read to its end (or up to a line `\.`
    /// in text format). An error fails the COPY with the error's text.
    fn copy_in(&mut self) -> std::io::Result<&mut dyn Read>;
    /// `COPY ... TO STDOUT` begins: where its data goes.
    fn copy_out(&mut self) -> std::io::Result<&mut dyn Write>;
}

/// Stops the statement a [`Client`] is running, from another thread (Ctrl-C in the shell).
pub type Canceller = Arc<dyn Fn() + Send + Sync>;

/// A connection to a database.
pub trait Client {
    /// Runs a query string: each statement's result and notices go to `out` in order; the
    /// first error stops the string and is returned (earlier results have been delivered).
    fn run(&mut self, sql: &str, out: &mut dyn Output) -> Result<(), Message>;
    /// The transaction state after the last [`Client::run`].
    fn status(&self) -> TxStatus;
    /// Something that cancels the running statement when called from another thread.
    fn canceller(&self) -> Canceller;
    /// The current database's name.
    fn database(&self) -> String;
    /// The user (role) the connection runs as.
    fn user(&self) -> String;
    /// A connection to another database of the same directory or server (`\c dbname`).
    fn connect_to(&self, database: &str) -> Result<Box<dyn Client>, Message>;
    /// A short description for the shell's banner (`embedded ./data`, `server 127.0.0.1:5433`).
    fn describe(&self) -> String;
}

/// Opens `target`: a `postgres://` / `postgresql://` URL or a libpq `keyword=value`
/// connection string (`host=... dbname=...`) connects to a server; `:memory:` is a new
/// in-memory database; anything else is a database directory, created if missing.
pub fn open(target: &str) -> Result<Box<dyn Client>, Message> {
    if remote::is_remote(target) {
        Ok(Box::new(remote::Remote::connect(target)?))
    } else {
        Ok(Box::new(embedded::Embedded::open(target)?))
    }
}

/// An [`Output`] that collects results and notices (for callers that want them all at once).
#[derive(Default)]
pub struct Collect {
    /// The results, in order.
    pub results: Vec<Outcome>,
    /// The notices, in order.
    pub notices: Vec<Message>,
}

impl Output for Collect {
    fn result(&mut self, outcome: Outcome) {
        self.results.push(outcome);
    }

    fn notice(&mut self, notice: Message) {
        self.notices.push(notice);
    }

    fn copy_in(&mut self) -> std::io::Result<&mut dyn Read> {
        Err(std::io::Error::other("COPY FROM STDIN has no data here"))
    }

    fn copy_out(&mut self) -> std::io::Result<&mut dyn Write> {
        Err(std::io::Error::other(
            "COPY TO STDOUT has no destination here",
        ))
    }
}

/// The rows of the last statement of `sql` (none if it returned no rows).
pub fn rows(client: &mut dyn Client, sql: &str) -> Result<Vec<Vec<Option<String>>>, Message> {
    Ok(query(client, sql)?
        .pop()
        .map(|o| o.rows)
        .unwrap_or_default())
}

/// Runs `sql` and returns its results (notices are dropped).
pub fn query(client: &mut dyn Client, sql: &str) -> Result<Vec<Outcome>, Message> {
    let mut c = Collect::default();
    client.run(sql, &mut c)?;
    Ok(c.results)
}
