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

            /// Every code named here.
            pub const ALL: &'static [SqlState] = &[$(SqlState($code)),*];
        }
    };
}

codes! {
    /// `00000` successful_completion.
    SUCCESSFUL_COMPLETION = "00000";
    /// `01000` warning.
    WARNING = "01000";
    /// `08006` connection_failure.
    CONNECTION_FAILURE = "08006";
    /// `08P01` protocol_violation.
    PROTOCOL_VIOLATION = "08P01";
    /// `0A000` feature_not_supported.
    FEATURE_NOT_SUPPORTED = "0A000";
    /// `22000` data_exception.
    DATA_EXCEPTION = "22000";
    /// `22001` string_data_right_truncation.
    STRING_DATA_RIGHT_TRUNCATION = "22001";
    /// `22003` numeric_value_out_of_range.
    NUMERIC_VALUE_OUT_OF_RANGE = "22003";
    /// `22007` invalid_datetime_format.
    INVALID_DATETIME_FORMAT = "22007";
    /// `22008` datetime_field_overflow.
    DATETIME_FIELD_OVERFLOW = "22008";
    /// `22009` invalid_time_zone_displacement_value.
    INVALID_TIME_ZONE_DISPLACEMENT_VALUE = "22009";
    /// `22012` division_by_zero.
    DIVISION_BY_ZERO = "22012";
    /// `22015` interval_field_overflow.
    INTERVAL_FIELD_OVERFLOW = "22015";
    /// `22023` invalid_parameter_value.
    INVALID_PARAMETER_VALUE = "22023";
    /// `2202E` array_subscript_error.
    ARRAY_SUBSCRIPT_ERROR = "2202E";
    /// `22021` character_not_in_repertoire.
    CHARACTER_NOT_IN_REPERTOIRE = "22021";
    /// `22025` invalid_escape_sequence.
    INVALID_ESCAPE_SEQUENCE = "22025";
    /// `22P02` invalid_text_representation.
    INVALID_TEXT_REPRESENTATION = "22P02";
    /// `22P03` invalid_binary_representation.
    INVALID_BINARY_REPRESENTATION = "22P03";
    /// `22P05` untranslatable_character.
    UNTRANSLATABLE_CHARACTER = "22P05";
    /// `22P06` nonstandard_use_of_escape_character.
    NONSTANDARD_USE_OF_ESCAPE_CHARACTER = "22P06";
    /// `23505` unique_violation.
    UNIQUE_VIOLATION = "23505";
    /// `25001` active_sql_transaction.
    ACTIVE_SQL_TRANSACTION = "25001";
    /// `25006` read_only_sql_transaction.
    READ_ONLY_SQL_TRANSACTION = "25006";
    /// `25P02` in_failed_sql_transaction.
    IN_FAILED_SQL_TRANSACTION = "25P02";
    /// `3B001` invalid_savepoint_specification.
    INVALID_SAVEPOINT_SPECIFICATION = "3B001";
    /// `25P01` no_active_sql_transaction.
    NO_ACTIVE_SQL_TRANSACTION = "25P01";
    /// `42601` syntax_error.
    SYNTAX_ERROR = "42601";
    /// `42602` invalid_name.
    INVALID_NAME = "42602";
    /// `42622` name_too_long.
    NAME_TOO_LONG = "42622";
    /// `42704` undefined_object.
    UNDEFINED_OBJECT = "42704";
    /// `42710` duplicate_object.
    DUPLICATE_OBJECT = "42710";
    /// `42804` datatype_mismatch.
    DATATYPE_MISMATCH = "42804";
    /// `42846` cannot_coerce.
    CANNOT_COERCE = "42846";
    /// `42883` undefined_function.
    UNDEFINED_FUNCTION = "42883";
    /// `42939` reserved_name.
    RESERVED_NAME = "42939";
    /// `42P20` windowing_error.
    WINDOWING_ERROR = "42P20";
    /// `40001` serialization_failure.
    SERIALIZATION_FAILURE = "40001";
    /// `40P01` deadlock_detected.
    DEADLOCK_DETECTED = "40P01";
    /// `54000` program_limit_exceeded.
    PROGRAM_LIMIT_EXCEEDED = "54000";
    /// `54001` statement_too_complex.
    STATEMENT_TOO_COMPLEX = "54001";
    /// `53100` disk_full.
    DISK_FULL = "53100";
    /// `53200` out_of_memory.
    OUT_OF_MEMORY = "53200";
    /// `55000` object_not_in_prerequisite_state.
    OBJECT_NOT_IN_PREREQUISITE_STATE = "55000";
    /// `55006` object_in_use.
    OBJECT_IN_USE = "55006";
    /// `55P02` cant_change_runtime_param.
    CANT_CHANGE_RUNTIME_PARAM = "55P02";
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

    /// The named code with this five-character string, if Basalt knows it.
    pub fn from_code(code: &str) -> Option<SqlState> {
        SqlState::ALL.iter().copied().find(|s| s.0 == code)
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
        assert_eq!(
            SqlState::from_code("22P02"),
            Some(SqlState::INVALID_TEXT_REPRESENTATION)
        );
        assert_eq!(SqlState::from_code("99999"), None);
        for s in SqlState::ALL {
            assert_eq!(s.code().len(), 5, "{s}");
            assert_eq!(
                SqlState::ALL.iter().filter(|t| t == &s).count(),
                1,
                "duplicate {s}"
            );
        }
    }
}
