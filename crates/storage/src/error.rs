//! Storage errors.

use basalt_common::SqlState;

/// Result alias for this crate.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// What can go wrong below the transaction layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// An operating-system IO error (including injected faults in tests).
    #[error("IO error: {0}")]
    Io(#[from] std::io::Error),
    /// Data on disk failed a check (checksum, framing, magic number).
    #[error("data corrupted: {0}")]
    Corrupt(String),
    /// The file is not a Basalt database file, or one of a version this build cannot read.
    #[error("not a Basalt database: {0}")]
    Foreign(String),
    /// Another process holds the database directory.
    #[error("database is locked by {holder}")]
    Locked {
        /// Who holds it, e.g. "process 1234".
        holder: String,
    },
    /// An error reported by the underlying engine library.
    #[error("storage engine error: {0}")]
    Engine(String),
}

impl StorageError {
    /// The SQLSTATE a client sees for this error.
    pub fn sqlstate(&self) -> SqlState {
        match self {
            StorageError::Io(e) if e.kind() == std::io::ErrorKind::StorageFull => {
                SqlState::DISK_FULL
            }
            StorageError::Io(_) => SqlState::IO_ERROR,
            StorageError::Corrupt(_) | StorageError::Foreign(_) => SqlState::DATA_CORRUPTED,
            StorageError::Locked { .. } => SqlState::OBJECT_IN_USE,
            StorageError::Engine(_) => SqlState::INTERNAL_ERROR,
        }
    }
}
