//! Errors of the commit log.

use std::io;

use basalt_common::SqlState;

/// What can go wrong in the commit log.
#[derive(Debug, thiserror::Error)]
pub enum WalError {
    /// An IO call failed. If it was a write or an fsync of the log, the log is now poisoned.
    #[error("commit log IO error while {context}: {source}")]
    Io {
        /// What the log was doing, with the file involved.
        context: String,
        /// The operating system's (or an injected) error.
        #[source]
        source: io::Error,
    },
    /// The log holds a bad record that later records prove had been made durable, a gap between
    /// segments, or a damaged segment header. Open changed nothing on disk.
    #[error("commit log corrupted: segment {segment} at offset {offset}: {detail}")]
    Corrupt {
        /// The segment file name.
        segment: String,
        /// Byte offset within the segment.
        offset: u64,
        /// What is wrong, including the LSN expected there.
        detail: String,
    },
    /// The directory holds something that is not a Basalt log segment of a version this build
    /// reads. Open changed nothing on disk.
    #[error("not a Basalt commit log: {0}")]
    Foreign(String),
    /// An earlier write or fsync failed; the state of the file on disk is unknown, so the log
    /// refuses every further append and sync until it is reopened (which runs recovery).
    #[error("commit log unusable after an earlier failure (reopen to recover): {cause}")]
    Poisoned {
        /// The first failure.
        cause: String,
        /// Its IO error kind (e.g. `StorageFull`).
        kind: io::ErrorKind,
    },
    /// A payload larger than [`WalOptions::max_record_size`](super::WalOptions::max_record_size).
    #[error("commit log record of {size} bytes exceeds the maximum of {max} bytes")]
    RecordTooLarge {
        /// The payload's size.
        size: usize,
        /// The configured maximum.
        max: u32,
    },
    /// Bad [`WalOptions`](super::WalOptions).
    #[error("invalid commit log options: {0}")]
    InvalidOptions(String),
}

impl WalError {
    /// The SQLSTATE a client sees for this error.
    pub fn sqlstate(&self) -> SqlState {
        match self {
            WalError::Io { source, .. } if source.kind() == io::ErrorKind::StorageFull => {
                SqlState::DISK_FULL
            }
            WalError::Poisoned { kind, .. } if *kind == io::ErrorKind::StorageFull => {
                SqlState::DISK_FULL
            }
            WalError::Io { .. } | WalError::Poisoned { .. } => SqlState::IO_ERROR,
            WalError::Corrupt { .. } | WalError::Foreign(_) => SqlState::DATA_CORRUPTED,
            // PostgreSQL would say 54000 program_limit_exceeded, which common does not name yet.
            WalError::RecordTooLarge { .. } => SqlState::DATA_EXCEPTION,
            WalError::InvalidOptions(_) => SqlState::INTERNAL_ERROR,
        }
    }

    /// The IO error kind behind this error, if there is one.
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        match self {
            WalError::Io { source, .. } => Some(source.kind()),
            WalError::Poisoned { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        WalError::Io {
            context: context.into(),
            source,
        }
    }
}
