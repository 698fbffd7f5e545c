//! Basalt's SQL engine: PostgreSQL's dialect over the transactional key-value layer.
//!
//! # A statement's path
//!
//! Each step is marked **(now)** when it exists in this crate and **(next)** when it is still to
//! be built.
//!
//! 1. **(now) Entry.** A client hands a query string to [`Session::run`] (the embedded API and,
//!    later, the wire protocol's simple query message) — one string may hold several
//!    statements.
//! 2. **(now) Parse.** [`parse::ParseCache`] returns the parse of the exact text if it has seen
//!    it, otherwise [`parse::parse`] runs PostgreSQL's own grammar (libpg_query through
//!    `pg_query`) and caches the result. A syntax error stops everything here with SQLSTATE
//!    42601, PostgreSQL's message and the character position ([`SqlError::position`]).
//! 3. **(now) Session state.** [`Session`] walks the statements in order. If idle, it opens a
//!    transaction block: a *single* one (autocommit) for a lone statement, an *implicit* one
//!    shared by all statements of a multi-statement string. In a *failed* explicit block, any
//!    statement but COMMIT/ROLLBACK/ROLLBACK TO fails at once with 25P02.
//! 4. **(now) Utility statements.** Transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT,
//!    RELEASE, ROLLBACK TO, SET TRANSACTION, AND CHAIN), `SET`/`SET LOCAL`/`RESET`/`SHOW` over
//!    [`settings::Settings`], and `DISCARD` run directly in the session. Every other statement
//!    kind fails with 0A000 `feature not supported: <kind>`.
//! 5. **(next) Bind.** Resolve names against the catalog (`search_path`), types and
//!    privileges, from the `pg_query` protobuf nodes directly (no second AST).
//! 6. **(next) Plan and optimise.** Logical plan, rule- then cost-based rewrites, physical plan.
//! 7. **(next) Execute.** Pull-based operators read and write through the block's key-value
//!    transaction, begun lazily by the first data statement with the isolation level,
//!    read-only flag, `lock_timeout` and `synchronous_commit` in force (the session's
//!    `data_transaction` hook exists now).
//! 8. **(now) End of statement.** A single block commits (or rolls back on error); an implicit
//!    block commits after the last statement or rolls back at the first error, skipping the
//!    rest; an explicit block stays open, or becomes failed on error. The results, notices
//!    (e.g. `there is no transaction in progress`) and the error come back as a [`Batch`].
//!
//! # Modules
//!
//! - [`parse`]: parsing, the parse cache, error positions.
//! - [`session`]: the transaction state machine and statement dispatch.
//! - [`settings`]: run-time parameters with PostgreSQL's normalisation and errors.
//! - [`error`]: [`SqlError`] with SQLSTATE, message, detail, hint and position; [`Notice`].

#![forbid(unsafe_code)]

pub mod auth;
pub mod binder;
pub mod catalog;
pub mod cluster;
pub mod copy;
pub mod cursor;
pub mod ddl;
mod ddl_alter;
mod ddl_types;
pub mod deferred;
mod deparse;
mod describe;
pub mod describe_stmt;
pub mod dml;
pub mod engine;
pub mod error;
pub mod exec;
pub mod expr;
mod generated;
pub mod interrupt;
pub mod notify;
pub mod optimizer;
pub mod parse;
pub mod plan;
mod procedure;
pub mod roles;
pub mod row;
pub mod session;
pub mod settings;
mod shape;
pub mod snapshot;
pub mod sqlfunc;
pub mod system;
mod timezone;
pub mod useragg;
pub mod usertypes;
pub mod views;

pub use copy::{Client, RowSink};
pub use describe_stmt::Description;
pub use error::{ErrorFields, Notice, Severity, SqlCode, SqlError};
pub use interrupt::InterruptHandle;
pub use notify::{Notification, NotificationWaker};
pub use parse::{ParseCache, ParseOptions, Parsed};
pub use session::{
    Batch, Executed, Failure, PreparedStatement, QueryResult, Session, StatementResult,
    TransactionStatus,
};
pub use settings::{Isolation, Settings};

/// The parse-tree types statements are bound from (re-exported from `pg_query`).
pub use pg_query::protobuf;
