//! PostgreSQL SQLSTATE codes.
//!
//! Only codes that Basalt raises are named here; the list grows with the engine. The code strings
//! are PostgreSQL's (see its `errcodes.txt`), so clients that branch on them keep working.

use std::fmt;

/// A five-character SQLSTATE error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SqlState(&'static str);

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal;)*) => {
        impl SqlState {
            $($(#[$doc])* pub const $name: SqlState = SqlState($code);)*
        }
    };
}

codes! {
    /// `00000` successful_completion.
    SUCCESSFUL_COMPLETION = "00000";
    /// `08006` connection_failure.
    CONNECTION_FAILURE = "08006";
    /// `0A000` feature_not_supported.
    FEATURE_NOT_SUPPORTED = "0A000";
    /// `22000` data_exception.
    DATA_EXCEPTION = "22000";
    /// `25006` read_only_sql_transaction.
    READ_ONLY_SQL_TRANSACTION = "25006";
    /// `25P02` in_failed_sql_transaction.
    IN_FAILED_SQL_TRANSACTION = "25P02";
    /// `3B001` invalid_savepoint_specification.
    INVALID_SAVEPOINT_SPECIFICATION = "3B001";
    /// `40001` serialization_failure.
    SERIALIZATION_FAILURE = "40001";
    /// `40P01` deadlock_detected.
    DEADLOCK_DETECTED = "40P01";
    /// `53100` disk_full.
    DISK_FULL = "53100";
    /// `53200` out_of_memory.
    OUT_OF_MEMORY = "53200";
    /// `55000` object_not_in_prerequisite_state.
    OBJECT_NOT_IN_PREREQUISITE_STATE = "55000";
    /// `55006` object_in_use.
    OBJECT_IN_USE = "55006";
    /// `55P03` lock_not_available.
    LOCK_NOT_AVAILABLE = "55P03";
    /// `57014` query_canceled.
    QUERY_CANCELED = "57014";
    /// `58030` io_error.
    IO_ERROR = "58030";
    /// `XX000` internal_error.
    INTERNAL_ERROR = "XX000";
    /// `XX001` data_corrupted.
    DATA_CORRUPTED = "XX001";
}

impl SqlState {
    /// The five-character code, e.g. `"40001"`.
    pub fn code(self) -> &'static str {
        self.0
    }

    /// Whether a client may simply retry the whole transaction (serialization failures and
    /// deadlocks, as PostgreSQL documents for class 40).
    pub fn is_retryable(self) -> bool {
        self.0.starts_with("40")
    }
}

impl fmt::Display for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_five_characters_and_class_40_is_retryable() {
        assert_eq!(SqlState::SERIALIZATION_FAILURE.code(), "40001");
        assert!(SqlState::DEADLOCK_DETECTED.is_retryable());
        assert!(!SqlState::LOCK_NOT_AVAILABLE.is_retryable());
        assert_eq!(SqlState::DATA_CORRUPTED.to_string().len(), 5);
    }
}
