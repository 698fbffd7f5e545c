//! Basalt's transaction layer: the commit log, MVCC, row locks, serializable snapshot isolation,
//! garbage collection and recovery, exposed through the engine-neutral [`TxnKv`] interface.
//!
//! Modules, bottom up:
//! - [`wal`]: the segmented, checksummed commit log and its recovery scan.
//! - [`record`]: the commit record (a transaction's write set) stored in the log.
//! - [`mvcc`]: how versions are laid out in the ordered key-value engine, read at a snapshot,
//!   and garbage-collected.
//! - [`lock`]: row locks with wait queues, deadlock detection and timeouts.
//! - [`ssi`]: rw-dependency tracking for SERIALIZABLE.
//! - [`local`]: the local engine tying them together — group commit, checkpoints, recovery.
//! - [`namespace`]: several logical databases in one store (key prefixes).
//! - [`kv`]: the [`TxnKv`]/[`Transaction`] traits the SQL layer programs against.

#![forbid(unsafe_code)]

mod buffer;
mod error;
pub mod kv;
pub mod local;
pub mod lock;
pub mod mvcc;
pub mod namespace;
pub mod record;
pub mod ssi;
pub mod wal;

pub use error::{Result, SerializationReason, TxnError};
pub use kv::{
    CommitInfo, IsolationLevel, LockMode, LockOutcome, LockWait, SavepointId, Transaction, Ts,
    TxnKv, TxnOptions, TxnScan,
};
pub use local::{LocalKv, LocalTxn, Options};
pub use mvcc::GcStats;
