//! [`Error`]: every failure of the embedded API in one enum.
//!
//! Each variant has a SQLSTATE ([`Error::code`]) so callers can branch on PostgreSQL's codes
//! whatever layer failed: SQL errors keep the engine's code, key-value errors the code the
//! transaction layer gives them, and the API's own errors (a column that does not exist, a
//! value that does not convert, a query that returned no row) use the code PostgreSQL's
//! drivers and PL/pgSQL use for the same situation.

use basalt_common::types::DataType;
use basalt_sql::SqlError;
use basalt_txn::TxnError;

/// Why a SQL value did not convert into the Rust type asked for (see [`crate::FromSql`]).
///
/// ```
/// use basalt::{FromSql, FromSqlError, Value};
/// let err = i16::from_sql(&Value::Int4(70_000)).unwrap_err();
/// assert!(matches!(err, FromSqlError::OutOfRange { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FromSqlError {
    /// The value is NULL and the Rust type has no NULL (use `Option<T>`); SQLSTATE 22004.
    #[error("unexpected NULL (read it as an Option)")]
    UnexpectedNull,
    /// The value's SQL type does not convert into the Rust type; SQLSTATE 42804.
    #[error("cannot read a value of type {found} as {expected}")]
    InvalidType {
        /// The Rust type asked for.
        expected: &'static str,
        /// The SQL type of the value (PostgreSQL's name for it).
        found: String,
    },
    /// The value does not fit the Rust type; SQLSTATE 22003.
    #[error("value {value} is out of range for {expected}")]
    OutOfRange {
        /// The Rust type asked for.
        expected: &'static str,
        /// The value, as text.
        value: String,
    },
}

impl FromSqlError {
    /// An [`FromSqlError::InvalidType`] for a value of type `found`.
    ///
    /// ```
    /// use basalt::{DataType, FromSqlError};
    /// let e = FromSqlError::invalid_type("bool", Some(DataType::Int4));
    /// assert_eq!(e.to_string(), "cannot read a value of type integer as bool");
    /// ```
    pub fn invalid_type(expected: &'static str, found: Option<DataType>) -> FromSqlError {
        FromSqlError::InvalidType {
            expected,
            found: found.map_or_else(|| "unknown".to_string(), |t| t.format_type()),
        }
    }

    /// The SQLSTATE of this error.
    ///
    /// ```
    /// assert_eq!(basalt::FromSqlError::UnexpectedNull.code(), "22004");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            FromSqlError::UnexpectedNull => "22004",
            FromSqlError::InvalidType { .. } => "42804",
            FromSqlError::OutOfRange { .. } => "22003",
        }
    }
}

/// An error of the embedded API.
///
/// ```
/// let db = basalt::Database::memory();
/// let conn = db.connect();
/// let err = conn.execute("SELECT * FROM missing", ()).unwrap_err();
/// assert_eq!(err.code(), "42P01");
/// assert!(matches!(err, basalt::Error::Sql(_)));
/// assert_eq!(err.message(), "relation \"missing\" does not exist");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The SQL engine failed (syntax, binding, constraints, execution, or the transaction layer
    /// underneath a SQL statement).
    #[error(transparent)]
    Sql(#[from] SqlError),
    /// The key-value layer failed (opening the database, [`crate::Database::begin`], ...).
    #[error(transparent)]
    Kv(#[from] TxnError),
    /// A column's value did not convert into the Rust type asked for.
    #[error("column {column} ({name}): {source}")]
    FromSql {
        /// The 0-based column index.
        column: usize,
        /// The column name.
        name: String,
        /// What went wrong.
        source: FromSqlError,
    },
    /// [`crate::Row::get`] named a column the result does not have (SQLSTATE 42703).
    #[error("column {0} does not exist in the result")]
    NoSuchColumn(String),
    /// A query expected to return a row returned none (SQLSTATE P0002).
    #[error("query returned no rows")]
    NoRows,
    /// A query expected to return at most one row returned more (SQLSTATE P0003).
    #[error("query returned more than one row")]
    TooManyRows,
    /// [`crate::Connection::transaction`] inside a transaction block (SQLSTATE 25001).
    #[error("there is already a transaction in progress")]
    TransactionInProgress,
    /// `COMMIT` found the transaction failed by an earlier error and rolled it back
    /// (SQLSTATE 25P02; PostgreSQL's COMMIT answers `ROLLBACK` in this case).
    #[error("the transaction was aborted by an earlier error and has been rolled back")]
    TransactionAborted,
}

impl Error {
    /// The five-character SQLSTATE, e.g. `"23505"` for a unique violation.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// db.execute("CREATE TABLE t (id int PRIMARY KEY)")?;
    /// db.execute("INSERT INTO t VALUES (1)")?;
    /// let err = db.execute("INSERT INTO t VALUES (1)").unwrap_err();
    /// assert_eq!(err.code(), "23505");
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Error::Sql(e) => e.code().code(),
            Error::Kv(e) => e.sqlstate().code(),
            Error::FromSql { source, .. } => source.code(),
            Error::NoSuchColumn(_) => "42703",
            Error::NoRows => "P0002",
            Error::TooManyRows => "P0003",
            Error::TransactionInProgress => "25001",
            Error::TransactionAborted => "25P02",
        }
    }

    /// The primary message (PostgreSQL's `M` field for SQL errors).
    ///
    /// ```
    /// assert_eq!(basalt::Error::NoRows.message(), "query returned no rows");
    /// ```
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The detail line, where the SQL engine gave one.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// db.execute("CREATE TABLE t (id int PRIMARY KEY)")?;
    /// db.execute("INSERT INTO t VALUES (1)")?;
    /// let err = db.execute("INSERT INTO t VALUES (1)").unwrap_err();
    /// assert_eq!(err.detail(), Some("Key (id)=(1) already exists."));
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn detail(&self) -> Option<&str> {
        match self {
            Error::Sql(e) => e.detail(),
            _ => None,
        }
    }

    /// The hint, where the SQL engine gave one.
    ///
    /// ```
    /// assert_eq!(basalt::Error::NoRows.hint(), None);
    /// ```
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Sql(e) => e.hint(),
            _ => None,
        }
    }

    /// The 1-based character position of the error in the SQL text, where known.
    ///
    /// ```
    /// let err = basalt::Database::memory().execute("SELEC 1").unwrap_err();
    /// assert_eq!(err.code(), "42601");
    /// assert_eq!(err.position(), Some(1));
    /// ```
    pub fn position(&self) -> Option<u32> {
        match self {
            Error::Sql(e) => e.position(),
            _ => None,
        }
    }

    /// The constraint a violation is about (PostgreSQL's `n` field): the constraint's name,
    /// or for a unique violation the unique index's.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// db.execute("CREATE TABLE t (id int PRIMARY KEY, n int CONSTRAINT n_pos CHECK (n > 0))")?;
    /// let err = db.execute("INSERT INTO t VALUES (1, -1)").unwrap_err();
    /// assert_eq!(err.code(), "23514");
    /// assert_eq!(err.constraint(), Some("n_pos"));
    /// assert_eq!((err.schema(), err.table()), (Some("public"), Some("t")));
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn constraint(&self) -> Option<&str> {
        match self {
            Error::Sql(e) => e.constraint(),
            _ => None,
        }
    }

    /// The schema of the table or data type an error is about (PostgreSQL's `s` field).
    pub fn schema(&self) -> Option<&str> {
        match self {
            Error::Sql(e) => e.schema(),
            _ => None,
        }
    }

    /// The table a constraint violation is about (PostgreSQL's `t` field; for a foreign key,
    /// the referencing table, whichever side was written).
    pub fn table(&self) -> Option<&str> {
        match self {
            Error::Sql(e) => e.table(),
            _ => None,
        }
    }

    /// The column a NOT NULL violation is about (PostgreSQL's `c` field).
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// db.execute("CREATE TABLE t (id int NOT NULL)")?;
    /// let err = db.execute("INSERT INTO t VALUES (NULL)").unwrap_err();
    /// assert_eq!((err.table(), err.column()), (Some("t"), Some("id")));
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn column(&self) -> Option<&str> {
        match self {
            Error::Sql(e) => e.column(),
            _ => None,
        }
    }

    /// The domain a domain constraint violation is about (PostgreSQL's `d` field).
    pub fn datatype(&self) -> Option<&str> {
        match self {
            Error::Sql(e) => e.datatype(),
            _ => None,
        }
    }

    /// Whether retrying the whole transaction may succeed (SQLSTATE class 40: serialization
    /// failure, deadlock).
    ///
    /// ```
    /// assert!(!basalt::Error::NoRows.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        self.code().starts_with("40")
    }
}
