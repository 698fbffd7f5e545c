//! A running statement's interrupt flag: query cancel and `statement_timeout`.
//!
//! Another thread (the server's cancel request) raises the flag, or a deadline set when the
//! statement started (`statement_timeout`) passes; the long-running loops of the layers (executor operators, set-returning
//! functions, COPY, row-lock waits) poll it and stop with 57014. Polling is one relaxed
//! atomic load, done every few hundred rows, so it costs nothing measurable on short
//! statements. The owner clears the flag when a statement starts and ends, so a cancel that
//! arrives while nothing runs is forgotten.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Why a statement was interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterruptReason {
    /// A cancel request from the client (`pg_cancel_backend`, the protocol's CancelRequest).
    Cancel,
    /// `statement_timeout` ran out.
    Timeout,
}

impl InterruptReason {
    /// PostgreSQL's message for the 57014 error.
    pub fn message(self) -> &'static str {
        match self {
            InterruptReason::Cancel => "canceling statement due to user request",
            InterruptReason::Timeout => "canceling statement due to statement timeout",
        }
    }
}

const NONE: u8 = 0;
const CANCEL: u8 = 1;
const TIMEOUT: u8 = 2;

/// A shared interrupt flag with an optional deadline (cheap to clone: all clones are the
/// same flag).
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    flag: AtomicU8,
    /// When the flag counts as raised for [`InterruptReason::Timeout`]: microseconds since
    /// [`epoch`] plus one; 0 for no deadline. (A deadline read by the poller, not a timer
    /// thread: a clock read every few hundred rows is cheap.)
    deadline: AtomicU64,
}

/// The process's reference instant for deadlines.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ticks() -> u64 {
    u64::try_from(epoch().elapsed().as_micros())
        .unwrap_or(u64::MAX - 1)
        .saturating_add(1)
}

impl Interrupt {
    /// Raises the flag (the first reason raised wins until cleared).
    pub fn raise(&self, reason: InterruptReason) {
        let v = match reason {
            InterruptReason::Cancel => CANCEL,
            InterruptReason::Timeout => TIMEOUT,
        };
        let _ = self
            .0
            .flag
            .compare_exchange(NONE, v, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Makes the flag count as raised for a timeout `after` from now (`None`: no deadline).
    pub fn set_deadline(&self, after: Option<Duration>) {
        let at = after.map_or(0, |d| {
            now_ticks().saturating_add(u64::try_from(d.as_micros()).unwrap_or(u64::MAX / 2))
        });
        self.0.deadline.store(at, Ordering::Relaxed);
    }

    /// Lowers the flag and drops the deadline.
    pub fn clear(&self) {
        self.0.flag.store(NONE, Ordering::Relaxed);
        self.0.deadline.store(0, Ordering::Relaxed);
    }

    /// The reason the flag is raised for, if it is (or its deadline passed).
    #[inline]
    pub fn raised(&self) -> Option<InterruptReason> {
        match self.0.flag.load(Ordering::Relaxed) {
            NONE => self.past_deadline(),
            CANCEL => Some(InterruptReason::Cancel),
            _ => Some(InterruptReason::Timeout),
        }
    }

    #[inline]
    fn past_deadline(&self) -> Option<InterruptReason> {
        let at = self.0.deadline.load(Ordering::Relaxed);
        (at != 0 && now_ticks() >= at).then_some(InterruptReason::Timeout)
    }

    /// Whether `self` and `other` are the same flag.
    pub fn same(&self, other: &Interrupt) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_reason_wins_until_cleared() {
        let i = Interrupt::default();
        assert_eq!(i.raised(), None);
        let j = i.clone();
        j.raise(InterruptReason::Timeout);
        i.raise(InterruptReason::Cancel);
        assert_eq!(i.raised(), Some(InterruptReason::Timeout));
        i.clear();
        assert_eq!(j.raised(), None);
        j.raise(InterruptReason::Cancel);
        assert_eq!(i.raised(), Some(InterruptReason::Cancel));
        assert!(i.same(&j));
        i.clear();
        i.set_deadline(Some(Duration::from_millis(30)));
        assert_eq!(i.raised(), None);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(j.raised(), Some(InterruptReason::Timeout));
        i.clear();
        assert_eq!(j.raised(), None);
    }
}
