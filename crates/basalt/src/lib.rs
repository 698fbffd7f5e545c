//! Basalt: an embedded, transactional, PostgreSQL-compatible database.
//!
//! # SQL
//!
//! Open a [`Database`] (a directory, or memory), [`connect`](Database::connect) to get a
//! [`Connection`], and run PostgreSQL's dialect with typed parameters (`$1`, `$2`, ...) and
//! typed rows:
//!
//! ```
//! use basalt::{Database, params};
//!
//! let db = Database::memory();
//! let mut conn = db.connect();
//! conn.execute("CREATE TABLE users (id int PRIMARY KEY, name text, karma float8)", ())?;
//!
//! let tx = conn.transaction()?;                       // rolls back if dropped
//! let insert = tx.prepare("INSERT INTO users VALUES ($1, $2, $3)")?;
//! insert.execute(params![1, "ada", 9.5])?;
//! insert.execute(params![2, None::<&str>, 1.0])?;    // NULL
//! drop(insert);
//! tx.commit()?;
//!
//! let row = conn.query_one("SELECT name, karma FROM users WHERE id = $1", [1])?;
//! let name: Option<String> = row.get("name")?;
//! let karma: f64 = row.get(1)?;
//! assert_eq!((name.as_deref(), karma), (Some("ada"), 9.5));
//! # Ok::<(), basalt::Error>(())
//! ```
//!
//! Parameters are anything implementing [`Params`]: `()`, arrays and slices of one
//! [`ToSql`] type, tuples, or the [`params!`] macro for mixed types. Values read with
//! [`Row::get`] convert through [`FromSql`] (`i16`/`i32`/`i64`, `f32`/`f64`, `bool`,
//! `String`/`&str`, `Vec<u8>`/`&[u8]`, [`Numeric`], [`Value`], and `Option<T>` for NULL).
//! Every failure is an [`Error`] with a PostgreSQL SQLSTATE ([`Error::code`]).
//!
//! [`Database::execute`] runs a script in a fresh session and returns text rows, and
//! [`Database::session`] gives the SQL engine's [`Session`] itself.
//!
//! # Key-value layer
//!
//! Underneath is Basalt's transactional key-value layer — ACID transactions with READ
//! COMMITTED, REPEATABLE READ and SERIALIZABLE isolation over a durable commit log:
//!
//! ```
//! use basalt::{Database, IsolationLevel, Transaction};
//!
//! let db = Database::memory();
//! let mut txn = db.begin(IsolationLevel::RepeatableRead)?;
//! txn.put(b"greeting".to_vec(), b"hello".to_vec())?;
//! txn.commit()?;
//!
//! let mut txn = db.begin(IsolationLevel::ReadCommitted)?;
//! assert_eq!(txn.get(b"greeting")?, Some(b"hello".to_vec()));
//! # Ok::<(), basalt::Error>(())
//! ```
//!
//! SQL tables live in the same key-value store; write to one layer or the other, not to the
//! SQL tables' keys directly.

#![forbid(unsafe_code)]

mod connection;
mod convert;
mod error;
mod rows;

use std::path::Path;

pub use connection::{Connection, Statement, TransactionGuard};
pub use convert::{FromSql, Params, ToSql};
pub use error::{Error, FromSqlError};
pub use rows::{Row, RowIndex, Rows};

pub use basalt_common::SqlState;
pub use basalt_common::types::{DataType, Numeric, Value};
pub use basalt_sql::{Session, SqlCode, SqlError, StatementResult, TransactionStatus};
pub use basalt_storage::{Direction, KeyRange};
pub use basalt_txn::{
    CommitInfo, GcStats, IsolationLevel, LocalKv, LocalTxn, LockMode, LockOutcome, LockWait,
    Options, SavepointId, Transaction, TxnError, TxnKv, TxnOptions,
};

/// A Basalt database: a directory on disk, or memory only.
///
/// `Database` is cheap to clone and can be shared between threads; every clone is the same
/// database. It closes when the last clone is dropped, after a final checkpoint.
#[derive(Clone)]
pub struct Database {
    kv: LocalKv,
    cluster: basalt_sql::cluster::Cluster<LocalKv>,
}

impl Database {
    /// Opens the database in directory `path`, creating it if needed, and recovers from a crash
    /// if the last process did not close it.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let db = basalt::Database::open(dir.path().join("app.basalt"))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Database, Error> {
        Self::open_with(path, Options::default())
    }

    /// Opens with explicit [`Options`] (commit durability, checkpoint and GC intervals, ...).
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let options = basalt::Options { synchronous_commit: false, ..Default::default() };
    /// let db = basalt::Database::open_with(dir.path().join("app.basalt"), options)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_with(path: impl AsRef<Path>, options: Options) -> Result<Database, Error> {
        let kv = LocalKv::open(path, options).map_err(Error::Kv)?;
        let cluster = basalt_sql::cluster::Cluster::new(kv.clone());
        // Keys a crash left while a database was being created or dropped.
        cluster.sweep()?;
        Ok(Database { kv, cluster })
    }

    /// A new, empty database held in memory (`:memory:`).
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// ```
    pub fn memory() -> Database {
        let kv = LocalKv::memory();
        Database {
            cluster: basalt_sql::cluster::Cluster::new(kv.clone()),
            kv,
        }
    }

    /// Starts a transaction at `isolation`.
    ///
    /// ```
    /// use basalt::{IsolationLevel, Transaction};
    /// let db = basalt::Database::memory();
    /// let txn = db.begin(IsolationLevel::Serializable)?;
    /// txn.commit()?;
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn begin(&self, isolation: IsolationLevel) -> Result<LocalTxn, Error> {
        Ok(self.kv.begin(TxnOptions::isolation(isolation))?)
    }

    /// Starts a transaction with full [`TxnOptions`].
    ///
    /// ```
    /// use basalt::{IsolationLevel, Transaction, TxnOptions};
    /// let db = basalt::Database::memory();
    /// let mut txn = db.begin_with(TxnOptions { read_only: true, ..Default::default() })?;
    /// assert!(txn.put(b"k".to_vec(), b"v".to_vec()).is_err());
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn begin_with(&self, options: TxnOptions) -> Result<LocalTxn, Error> {
        Ok(self.kv.begin(options)?)
    }

    /// Makes everything committed so far durable in the data file and trims the commit log.
    ///
    /// ```
    /// basalt::Database::memory().checkpoint()?;
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn checkpoint(&self) -> Result<(), Error> {
        Ok(self.kv.checkpoint()?)
    }

    /// Removes row versions that no transaction can see any more (`VACUUM`).
    ///
    /// ```
    /// let stats = basalt::Database::memory().vacuum()?;
    /// assert_eq!(stats.versions_removed, 0);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn vacuum(&self) -> Result<GcStats, Error> {
        Ok(self.kv.vacuum()?)
    }

    /// A [`Connection`]: a SQL session with typed parameters and rows. Connections of one
    /// database share its parse and catalog caches; use one per thread.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let conn = db.connect();
    /// let two: i32 = conn.query_row("SELECT 1 + $1", [1], |r| r.get(0))?;
    /// assert_eq!(two, 2);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn connect(&self) -> Connection {
        Connection::new(self.session())
    }

    /// The SQL engine's own session: its own transaction state and settings, text results
    /// and notices, sharing caches with the other sessions of this database. Use one per
    /// thread. [`Database::connect`] wraps one in a typed API.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let mut s = db.session();
    /// s.execute("BEGIN")?;
    /// s.execute("CREATE TABLE t (x int)")?;
    /// s.execute("INSERT INTO t VALUES (1)")?;
    /// s.execute("COMMIT")?;
    /// assert_eq!(db.execute("SELECT count(*) FROM t")?[0].rows, [[Some("1".to_string())]]);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn session(&self) -> Session<LocalKv> {
        let mut s = self.cluster.session();
        // The settings stored by ALTER DATABASE / ROLE ... SET, as a login applies them; a
        // catalog that cannot be read fails the session's first statement the same way.
        let _ = s.apply_login_settings();
        s
    }

    /// A session of the database named `name` in this directory (`CREATE DATABASE` makes
    /// them; [`Database::session`] gives one of `postgres`, the first). 3D000 if there is
    /// no such database, 55000 if it does not allow connections.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// db.execute("CREATE DATABASE app")?;
    /// let mut s = db.session_in("app")?;
    /// assert_eq!(s.execute("SELECT current_database()")?[0].rows, [[Some("app".to_string())]]);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn session_in(&self, name: &str) -> Result<Session<LocalKv>, Error> {
        let mut s = self.cluster.connect(name, true)?;
        s.apply_login_settings()?;
        Ok(s)
    }

    /// A [`Connection`] to the database named `name` (see [`Database::session_in`]).
    pub fn connect_to(&self, name: &str) -> Result<Connection, Error> {
        Ok(Connection::new(self.session_in(name)?))
    }

    /// The databases of this directory ([`basalt_sql::cluster`]).
    pub fn cluster(&self) -> &basalt_sql::cluster::Cluster<LocalKv> {
        &self.cluster
    }

    /// Runs one or more SQL statements in a fresh session (each statement in its own
    /// transaction unless the text opens a block) and returns their results.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let r = db.execute("SELECT 1 + 1 AS two")?;
    /// assert_eq!(r[0].columns, ["two"]);
    /// assert_eq!(r[0].rows, [[Some("2".to_string())]]);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn execute(&self, sql: &str) -> Result<Vec<StatementResult>, Error> {
        Ok(self.session().execute(sql)?)
    }

    /// The transactional key-value interface underneath, for layers built on it.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let _kv = db.kv();
    /// ```
    pub fn kv(&self) -> &LocalKv {
        &self.kv
    }
}

/// The README's examples, compiled and run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

/// The tutorial's Rust examples (docs/tutorial.md; its commands are run by the `basalt-cli`
/// crate's tutorial test), compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/tutorial.md")]
struct TutorialDoctests;
