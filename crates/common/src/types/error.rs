//! The error type of the type system: a SQLSTATE code, PostgreSQL's message text and an
//! optional detail line.
//!
//! The code is carried as a string rather than a [`crate::SqlState`] because several of the
//! data-exception codes raised here are not (yet) named in [`crate::sqlstate`]; [`codes`] names
//! them locally so nothing blocks on that list.

use std::fmt;

/// SQLSTATE codes raised by the type system (PostgreSQL's `errcodes.txt` names).
pub mod codes {
    /// `22P02` invalid_text_representation.
    pub const INVALID_TEXT_REPRESENTATION: &str = "22P02";
    /// `22003` numeric_value_out_of_range.
    pub const NUMERIC_VALUE_OUT_OF_RANGE: &str = "22003";
    /// `22012` division_by_zero.
    pub const DIVISION_BY_ZERO: &str = "22012";
    /// `22008` datetime_field_overflow.
    pub const DATETIME_FIELD_OVERFLOW: &str = "22008";
    /// `22007` invalid_datetime_format.
    pub const INVALID_DATETIME_FORMAT: &str = "22007";
    /// `22009` invalid_time_zone_displacement_value.
    pub const INVALID_TIME_ZONE_DISPLACEMENT_VALUE: &str = "22009";
    /// `22015` interval_field_overflow.
    pub const INTERVAL_FIELD_OVERFLOW: &str = "22015";
    /// `22001` string_data_right_truncation.
    pub const STRING_DATA_RIGHT_TRUNCATION: &str = "22001";
    /// `22023` invalid_parameter_value.
    pub const INVALID_PARAMETER_VALUE: &str = "22023";
    /// `22P05` untranslatable_character.
    pub const UNTRANSLATABLE_CHARACTER: &str = "22P05";
    /// `2202E` array_subscript_error.
    pub const ARRAY_SUBSCRIPT_ERROR: &str = "2202E";
    /// `42804` datatype_mismatch.
    pub const DATATYPE_MISMATCH: &str = "42804";
    /// `42846` cannot_coerce.
    pub const CANNOT_COERCE: &str = "42846";
    /// `42704` undefined_object (an unknown type name).
    pub const UNDEFINED_OBJECT: &str = "42704";
    /// `42601` syntax_error (a malformed type modifier).
    pub const SYNTAX_ERROR: &str = "42601";
    /// `42883` undefined_function (no comparison or key encoding for a type).
    pub const UNDEFINED_FUNCTION: &str = "42883";
    /// `0A000` feature_not_supported.
    pub const FEATURE_NOT_SUPPORTED: &str = "0A000";
    /// `54001` statement_too_complex (nesting deeper than the parser allows).
    pub const STATEMENT_TOO_COMPLEX: &str = "54001";
}

/// What went wrong, one variant per SQLSTATE the type system raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypeErrorKind {
    /// `22P02`: malformed input text.
    InvalidTextRepresentation,
    /// `22003`: a value outside its type's range.
    NumericValueOutOfRange,
    /// `22012`.
    DivisionByZero,
    /// `22008`: a date/time field or result out of range.
    DatetimeFieldOverflow,
    /// `22007`: malformed date/time input.
    InvalidDatetimeFormat,
    /// `22009`: a time zone offset out of range.
    InvalidTimeZoneDisplacementValue,
    /// `22015`.
    IntervalFieldOverflow,
    /// `22001`: a string longer than its `varchar(n)`/`char(n)`.
    StringDataRightTruncation,
    /// `22023`.
    InvalidParameterValue,
    /// `22P05`: `\u0000` in `jsonb`.
    UntranslatableCharacter,
    /// `2202E`.
    ArraySubscriptError,
    /// `42804`: a cast exists only in a more explicit context.
    DatatypeMismatch,
    /// `42846`: no cast between the types.
    CannotCoerce,
    /// `42704`: unknown type name.
    UndefinedObject,
    /// `42601`: malformed type modifier.
    SyntaxError,
    /// `42883`: no operator, comparison or key encoding for the type.
    UndefinedFunction,
    /// `0A000`.
    FeatureNotSupported,
    /// `54001`: nesting too deep.
    StatementTooComplex,
    /// Any other code.
    Other,
}

/// An error raised by an input function, a cast, an operator or the key mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeError {
    code: &'static str,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
}

impl TypeError {
    /// An error with a code and PostgreSQL's primary message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        TypeError {
            code,
            message: message.into(),
            detail: None,
            hint: None,
        }
    }

    /// Adds PostgreSQL's `HINT` line.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// PostgreSQL's `HINT` line, if any.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// Adds PostgreSQL's `DETAIL` line.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The five-character SQLSTATE, e.g. `"22P02"`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The typed kind of this error (from its SQLSTATE).
    pub fn kind(&self) -> TypeErrorKind {
        use TypeErrorKind::*;
        match self.code {
            codes::INVALID_TEXT_REPRESENTATION => InvalidTextRepresentation,
            codes::NUMERIC_VALUE_OUT_OF_RANGE => NumericValueOutOfRange,
            codes::DIVISION_BY_ZERO => DivisionByZero,
            codes::DATETIME_FIELD_OVERFLOW => DatetimeFieldOverflow,
            codes::INVALID_DATETIME_FORMAT => InvalidDatetimeFormat,
            codes::INVALID_TIME_ZONE_DISPLACEMENT_VALUE => InvalidTimeZoneDisplacementValue,
            codes::INTERVAL_FIELD_OVERFLOW => IntervalFieldOverflow,
            codes::STRING_DATA_RIGHT_TRUNCATION => StringDataRightTruncation,
            codes::INVALID_PARAMETER_VALUE => InvalidParameterValue,
            codes::UNTRANSLATABLE_CHARACTER => UntranslatableCharacter,
            codes::ARRAY_SUBSCRIPT_ERROR => ArraySubscriptError,
            codes::DATATYPE_MISMATCH => DatatypeMismatch,
            codes::CANNOT_COERCE => CannotCoerce,
            codes::UNDEFINED_OBJECT => UndefinedObject,
            codes::SYNTAX_ERROR => SyntaxError,
            codes::UNDEFINED_FUNCTION => UndefinedFunction,
            codes::FEATURE_NOT_SUPPORTED => FeatureNotSupported,
            codes::STATEMENT_TOO_COMPLEX => StatementTooComplex,
            _ => Other,
        }
    }

    /// The code as a [`crate::SqlState`] (every code this module raises is named there; a test
    /// checks it).
    pub fn sqlstate(&self) -> crate::SqlState {
        crate::SqlState::from_code(self.code).unwrap_or(crate::SqlState::INTERNAL_ERROR)
    }

    /// The primary message, as PostgreSQL words it.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `DETAIL` line, if PostgreSQL gives one.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// `invalid input syntax for type T: "input"` (22P02).
    pub fn invalid_syntax(type_name: &str, input: &str) -> Self {
        TypeError::new(
            codes::INVALID_TEXT_REPRESENTATION,
            format!("invalid input syntax for type {type_name}: \"{input}\""),
        )
    }

    /// `value "input" is out of range for type T` (22003).
    pub fn value_out_of_range(type_name: &str, input: &str) -> Self {
        TypeError::new(
            codes::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("value \"{input}\" is out of range for type {type_name}"),
        )
    }

    /// A 22003 error with a fixed message such as `integer out of range`.
    pub fn out_of_range(message: impl Into<String>) -> Self {
        TypeError::new(codes::NUMERIC_VALUE_OUT_OF_RANGE, message)
    }

    /// `division by zero` (22012).
    pub fn division_by_zero() -> Self {
        TypeError::new(codes::DIVISION_BY_ZERO, "division by zero")
    }
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TypeError {}

/// Result alias of this module.
pub type TypeResult<T> = Result<T, TypeError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_codes() {
        assert_eq!(
            TypeError::division_by_zero().kind(),
            TypeErrorKind::DivisionByZero
        );
        assert_eq!(
            TypeError::invalid_syntax("integer", "x").kind(),
            TypeErrorKind::InvalidTextRepresentation
        );
        assert_eq!(TypeError::new("XX999", "?").kind(), TypeErrorKind::Other);
        assert_eq!(
            TypeError::new(codes::FEATURE_NOT_SUPPORTED, "no").sqlstate(),
            crate::SqlState::FEATURE_NOT_SUPPORTED
        );
        for code in [
            codes::INVALID_TEXT_REPRESENTATION,
            codes::NUMERIC_VALUE_OUT_OF_RANGE,
            codes::DIVISION_BY_ZERO,
            codes::DATETIME_FIELD_OVERFLOW,
            codes::INVALID_DATETIME_FORMAT,
            codes::INVALID_TIME_ZONE_DISPLACEMENT_VALUE,
            codes::INTERVAL_FIELD_OVERFLOW,
            codes::STRING_DATA_RIGHT_TRUNCATION,
            codes::INVALID_PARAMETER_VALUE,
            codes::UNTRANSLATABLE_CHARACTER,
            codes::ARRAY_SUBSCRIPT_ERROR,
            codes::DATATYPE_MISMATCH,
            codes::CANNOT_COERCE,
            codes::UNDEFINED_OBJECT,
            codes::SYNTAX_ERROR,
            codes::UNDEFINED_FUNCTION,
            codes::FEATURE_NOT_SUPPORTED,
            codes::STATEMENT_TOO_COMPLEX,
        ] {
            assert_eq!(TypeError::new(code, "x").sqlstate().code(), code);
        }
    }
}
