//! Query cancel and `statement_timeout` for a session.
//!
//! A session owns one [`basalt_common::Interrupt`] flag. [`InterruptHandle::cancel`] (from
//! any thread: the server's cancel-request handler) raises it while a statement runs; when
//! each statement of a query string starts, the session lowers it and sets its deadline
//! from `statement_timeout` (PostgreSQL 13+: the timeout applies to each statement of a
//! simple query separately), and when the statement ends it lowers it again, so a cancel
//! arriving between statements is not carried to the next one.
//!
//! Who polls the flag: the executor's long-running loops through [`crate::exec::Cx::tick`]
//! (a counter, and one relaxed atomic load every [`crate::exec::INTERRUPT_EVERY`] rows:
//! table scans, joins, the input of sorts and aggregates, inserts, COPY rows, SQL-function
//! calls), set-returning functions (`generate_series`) through the evaluation context, and
//! row-lock waits in the transaction layer ([`basalt_txn::TxnOptions::interrupt`]). The
//! statement then fails with 57014 like any error: a transaction block becomes failed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use basalt_common::{Interrupt, InterruptReason};

use crate::error::SqlError;

/// The shared state behind a session's interrupt flag.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) flag: Interrupt,
    /// Whether a statement runs (a cancel is ignored otherwise).
    running: AtomicBool,
}

/// A handle that cancels the statement its session is running, from any thread.
///
/// ```
/// use basalt_sql::Session;
/// use basalt_txn::LocalKv;
///
/// let mut s = Session::new(LocalKv::memory());
/// let handle = s.interrupt_handle();
/// let canceller = std::thread::spawn(move || {
///     std::thread::sleep(std::time::Duration::from_millis(100));
///     handle.cancel();
/// });
/// let e = s
///     .execute("SELECT count(*) FROM generate_series(1, 1000000000)")
///     .unwrap_err();
/// assert_eq!(e.code().code(), "57014");
/// canceller.join().unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct InterruptHandle(Arc<State>);

impl InterruptHandle {
    /// Cancels the running statement (57014 "canceling statement due to user request");
    /// does nothing when no statement runs.
    pub fn cancel(&self) {
        // Acquire pairs with `begin`'s release: the flag's clearing by the statement's start
        // comes before this raise.
        if self.0.running.load(Ordering::Acquire) {
            self.0.flag.raise(InterruptReason::Cancel);
        }
    }

    /// The 57014 error the running statement is to stop with (a cancel, or its
    /// `statement_timeout` passed), if any: for a caller that waits outside the
    /// executor's loops (the server reading COPY data from its client).
    pub fn pending(&self) -> Option<SqlError> {
        if !self.0.running.load(Ordering::Acquire) {
            return None;
        }
        self.0.flag.raised().map(interrupted)
    }
}

/// The error a statement stops with when interrupted for `reason` (57014, PostgreSQL's
/// `query_canceled`, for a cancel and for `statement_timeout` alike).
pub(crate) fn interrupted(reason: InterruptReason) -> SqlError {
    SqlError::new("57014", reason.message())
}

/// A session's interrupt state.
#[derive(Debug, Default)]
pub(crate) struct SessionInterrupt(Arc<State>);

impl SessionInterrupt {
    pub(crate) fn handle(&self) -> InterruptHandle {
        InterruptHandle(self.0.clone())
    }

    /// The flag the statement's loops poll.
    pub(crate) fn flag(&self) -> &Interrupt {
        &self.0.flag
    }

    /// A statement starts, with `timeout` (`statement_timeout`) if set.
    pub(crate) fn begin(&self, timeout: Option<Duration>) {
        self.0.flag.clear();
        self.0.flag.set_deadline(timeout);
        // Release (a plain store on x86, where a SeqCst one is a fence): a cancel that
        // sees `running` sees the flag cleared.
        self.0.running.store(true, Ordering::Release);
    }

    /// The statement ended.
    pub(crate) fn end(&self) {
        self.0.running.store(false, Ordering::Release);
        self.0.flag.clear();
    }
}
