//! Transaction-layer errors, each with its SQLSTATE.

use basalt_common::SqlState;
use basalt_storage::StorageError;

use crate::wal::WalError;

/// Result alias for this crate.
pub type Result<T, E = TxnError> = std::result::Result<T, E>;

/// What can go wrong in the transaction layer.
#[derive(Debug, thiserror::Error)]
pub enum TxnError {
    /// Another transaction changed data this one depends on; retry the transaction (40001).
    #[error("could not serialize access due to {0}")]
    Serialization(SerializationReason),
    /// This transaction was chosen as the victim of a deadlock (40P01).
    #[error("deadlock detected: {0}")]
    Deadlock(String),
    /// A lock could not be had in time (`lock_timeout`) or at once (`NOWAIT`) (55P03).
    #[error("{0}")]
    LockNotAvailable(String),
    /// A lock wait was interrupted by a query cancel or statement timeout (57014).
    #[error("{}", .0.message())]
    Interrupted(basalt_common::InterruptReason),
    /// A write in a read-only transaction (25006).
    #[error("cannot execute {0} in a read-only transaction")]
    ReadOnly(&'static str),
    /// The transaction was already committed or rolled back, or failed earlier.
    #[error("transaction is no longer active")]
    NotActive,
    /// A savepoint that does not exist (3B001).
    #[error("savepoint does not exist")]
    NoSuchSavepoint,
    /// The storage engine failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The commit log failed; the commit involved did not happen.
    #[error(transparent)]
    Wal(#[from] WalError),
    /// Data read back from storage or the log does not decode.
    #[error("data corrupted: {0}")]
    Corrupt(String),
    /// The commit did not happen because writing the commit log failed (for example a full
    /// disk); `sqlstate` tells which failure.
    #[error("{message}")]
    CommitFailed {
        /// What failed.
        message: String,
        /// The SQLSTATE of the underlying failure.
        sqlstate: SqlState,
    },
    /// The database stopped accepting commits after an IO failure; it must be reopened, which runs
    /// recovery (PostgreSQL restarts in the same situation).
    #[error("database needs recovery after an earlier failure: {0}")]
    Failed(String),
    /// The database directory is locked by another process or is not a Basalt database.
    #[error("{0}")]
    Open(String),
}

/// Why a transaction hit a serialization failure; the text follows PostgreSQL's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerializationReason {
    /// A row it updates or locks was changed by a transaction that committed after its snapshot.
    ConcurrentUpdate,
    /// Serializable snapshot isolation found a dangerous structure of rw-dependencies.
    ReadWriteDependencies,
}

impl std::fmt::Display for SerializationReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SerializationReason::ConcurrentUpdate => "concurrent update",
            SerializationReason::ReadWriteDependencies => {
                "read/write dependencies among transactions"
            }
        })
    }
}

impl TxnError {
    /// The SQLSTATE a client sees for this error.
    pub fn sqlstate(&self) -> SqlState {
        match self {
            TxnError::Serialization(_) => SqlState::SERIALIZATION_FAILURE,
            TxnError::Deadlock(_) => SqlState::DEADLOCK_DETECTED,
            TxnError::LockNotAvailable(_) => SqlState::LOCK_NOT_AVAILABLE,
            TxnError::Interrupted(_) => SqlState::QUERY_CANCELED,
            TxnError::ReadOnly(_) => SqlState::READ_ONLY_SQL_TRANSACTION,
            TxnError::NotActive => SqlState::IN_FAILED_SQL_TRANSACTION,
            TxnError::NoSuchSavepoint => SqlState::INVALID_SAVEPOINT_SPECIFICATION,
            TxnError::Storage(e) => e.sqlstate(),
            TxnError::Wal(e) => e.sqlstate(),
            TxnError::Corrupt(_) => SqlState::DATA_CORRUPTED,
            TxnError::CommitFailed { sqlstate, .. } => *sqlstate,
            TxnError::Failed(_) => SqlState::IO_ERROR,
            TxnError::Open(_) => SqlState::OBJECT_IN_USE,
        }
    }

    /// Whether retrying the whole transaction may succeed (serialization failure or deadlock).
    pub fn is_retryable(&self) -> bool {
        self.sqlstate().is_retryable()
    }
}
