//! Errors and notices of the SQL layer, shaped like PostgreSQL's: a SQLSTATE, a message, and an
//! optional detail, hint and (for syntax errors) a 1-based character position in the statement
//! text.
//!
//! Constraint violations also name the objects involved, as PostgreSQL's `errtable`,
//! `errtablecol`, `errtableconstraint`, `errdatatype` and `errdomainconstraint` do: the schema,
//! table, column, data type and constraint ([`ErrorFields`], the ErrorResponse fields `s`, `t`,
//! `c`, `d` and `n`). Drivers hand them to applications (tokio-postgres'
//! `DbError::constraint`, psycopg's `diag.constraint_name`, JDBC's
//! `ServerErrorMessage.getConstraint`), and ORMs map errors by them, so each raising site sets
//! exactly the fields PostgreSQL sets for the same error. They live in a box so that the
//! error stays small on the paths that never set them.
//!
//! [`basalt_common::SqlState`] names only the codes the lower layers raise and cannot be extended
//! from outside its crate, so this crate keeps its own code type, [`SqlCode`], with the
//! constants it needs; every [`SqlState`] converts into it unchanged. [`SqlError::sqlstate`]
//! maps back to the nearest named [`SqlState`] for callers that need that type; the exact code is
//! always [`SqlError::code`].

use std::fmt;

use basalt_common::SqlState;
use basalt_txn::TxnError;

/// A five-character SQLSTATE code, as PostgreSQL reports it (see its `errcodes.txt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SqlCode(&'static str);

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal;)*) => {
        impl SqlCode {
            $($(#[$doc])* pub const $name: SqlCode = SqlCode($code);)*

            /// Every code this crate names.
            pub const ALL: &'static [SqlCode] = &[$(SqlCode($code)),*];
        }
    };
}

codes! {
    /// `01000` warning.
    WARNING = "01000";
    /// `0A000` feature_not_supported.
    FEATURE_NOT_SUPPORTED = "0A000";
    /// `22021` character_not_in_repertoire.
    CHARACTER_NOT_IN_REPERTOIRE = "22021";
    /// `22023` invalid_parameter_value.
    INVALID_PARAMETER_VALUE = "22023";
    /// `22025` invalid_escape_sequence.
    INVALID_ESCAPE_SEQUENCE = "22025";
    /// `22P06` nonstandard_use_of_escape_character.
    NONSTANDARD_USE_OF_ESCAPE_CHARACTER = "22P06";
    /// `25001` active_sql_transaction.
    ACTIVE_SQL_TRANSACTION = "25001";
    /// `25006` read_only_sql_transaction.
    READ_ONLY_SQL_TRANSACTION = "25006";
    /// `25P01` no_active_sql_transaction.
    NO_ACTIVE_SQL_TRANSACTION = "25P01";
    /// `25P02` in_failed_sql_transaction.
    IN_FAILED_SQL_TRANSACTION = "25P02";
    /// `3B001` invalid_savepoint_specification.
    INVALID_SAVEPOINT_SPECIFICATION = "3B001";
    /// `42601` syntax_error.
    SYNTAX_ERROR = "42601";
    /// `42602` invalid_name.
    INVALID_NAME = "42602";
    /// `42704` undefined_object.
    UNDEFINED_OBJECT = "42704";
    /// `42710` duplicate_object.
    DUPLICATE_OBJECT = "42710";
    /// `42939` reserved_name.
    RESERVED_NAME = "42939";
    /// `42P20` windowing_error.
    WINDOWING_ERROR = "42P20";
    /// `54001` statement_too_complex.
    STATEMENT_TOO_COMPLEX = "54001";
    /// `55P02` cant_change_runtime_param.
    CANT_CHANGE_RUNTIME_PARAM = "55P02";
    /// `XX000` internal_error.
    INTERNAL_ERROR = "XX000";
}

impl SqlCode {
    /// A code from its five characters (callers pass PostgreSQL's codes).
    pub const fn new(code: &'static str) -> SqlCode {
        SqlCode(code)
    }

    /// The five-character code, e.g. `"42601"`.
    pub fn code(self) -> &'static str {
        self.0
    }

    /// The [`SqlState`] with this code (`XX000` for a code `SqlState` does not name; every code
    /// this crate raises is named there).
    pub fn to_sqlstate(self) -> SqlState {
        SqlState::from_code(self.0).unwrap_or(SqlState::INTERNAL_ERROR)
    }
}

impl From<SqlState> for SqlCode {
    fn from(state: SqlState) -> Self {
        SqlCode(state.code())
    }
}

impl fmt::Display for SqlCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// What can go wrong in the SQL layer. Every variant has a SQLSTATE ([`SqlError::code`]) and
/// PostgreSQL's message text (its `Display`).
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// The parser rejected the statement text (mostly 42601).
    #[error("{message}")]
    Syntax {
        /// The SQLSTATE; 42601 unless the parser's message is one PostgreSQL raises with
        /// another code.
        code: SqlCode,
        /// PostgreSQL's message, e.g. `syntax error at or near "SELEC"`.
        message: String,
        /// PostgreSQL's detail line, where it gives one.
        detail: Option<String>,
        /// PostgreSQL's hint, where it gives one.
        hint: Option<String>,
        /// The 1-based character position of the error in the whole query string.
        position: Option<u32>,
    },
    /// A statement or option that PostgreSQL accepts but Basalt does not (0A000).
    #[error("feature not supported: {0}")]
    Unsupported(String),
    /// A statement other than COMMIT/ROLLBACK in a transaction that failed (25P02).
    #[error("current transaction is aborted, commands ignored until end of transaction block")]
    InFailedTransaction,
    /// A transaction-block-only command outside a transaction block (25P01); the text names
    /// the command, e.g. `SAVEPOINT`.
    #[error("{0} can only be used in transaction blocks")]
    NoTransactionBlock(&'static str),
    /// A transaction characteristic changed too late (25001), with PostgreSQL's message.
    #[error("{0}")]
    ActiveTransaction(&'static str),
    /// `RELEASE` or `ROLLBACK TO` names no savepoint (3B001).
    #[error("savepoint \"{0}\" does not exist")]
    NoSuchSavepoint(String),
    /// `SET`/`SHOW`/`RESET` of a parameter that does not exist (42704).
    #[error("unrecognized configuration parameter \"{0}\"")]
    UnknownParameter(String),
    /// An attempt to change a read-only parameter such as `server_version` (55P02).
    #[error("parameter \"{0}\" cannot be changed")]
    ReadOnlyParameter(String),
    /// A value a parameter does not accept (22023 unless `code` says otherwise).
    #[error("{message}")]
    InvalidValue {
        /// The SQLSTATE.
        code: SqlCode,
        /// PostgreSQL's message.
        message: String,
        /// PostgreSQL's detail line.
        detail: Option<String>,
        /// PostgreSQL's hint.
        hint: Option<String>,
    },
    /// The transaction layer failed; its SQLSTATE is kept.
    #[error(transparent)]
    Txn(#[from] TxnError),
    /// An error raised while binding or executing a statement, with PostgreSQL's SQLSTATE,
    /// message, detail, hint and (for errors tied to a place in the text) position. While the
    /// statement runs the position counts bytes (parse-tree locations are byte offsets);
    /// [`crate::Session::run`] turns it into characters before the error leaves.
    #[error("{message}")]
    Exec {
        /// The SQLSTATE.
        code: SqlCode,
        /// PostgreSQL's message.
        message: String,
        /// PostgreSQL's detail line.
        detail: Option<String>,
        /// PostgreSQL's hint.
        hint: Option<String>,
        /// 1-based character position in the query string (bytes until
        /// [`SqlError::byte_position_to_chars`]).
        position: Option<u32>,
        /// Where it happened, PostgreSQL's context line (`COPY t, line 2, column a: "x"`).
        /// A boxed `str` (no spare capacity) keeps the error within clippy's size for `Err`
        /// types, with `fields` beside it.
        context: Option<Box<str>>,
        /// The objects the error is about (constraint violations), if any.
        fields: Option<Box<ErrorFields>>,
    },
}

/// The objects an error is about: PostgreSQL's ErrorResponse fields `s` (schema), `t`
/// (table), `c` (column), `d` (data type) and `n` (constraint), set by the errors PostgreSQL
/// sets them for (unique, foreign key, not-null and check violations, domain constraints).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorFields {
    /// The schema of the table or data type.
    pub schema: Option<String>,
    /// The table.
    pub table: Option<String>,
    /// The column (with a table).
    pub column: Option<String>,
    /// The data type (a domain).
    pub datatype: Option<String>,
    /// The constraint; for a unique violation, the name of the index.
    pub constraint: Option<String>,
}

impl From<basalt_common::types::TypeError> for SqlError {
    fn from(e: basalt_common::types::TypeError) -> Self {
        SqlError::Exec {
            code: SqlCode(e.code()),
            message: e.message().to_string(),
            detail: e.detail().map(str::to_string),
            hint: e.hint().map(str::to_string),
            position: None,
            context: None,
            fields: None,
        }
    }
}

impl SqlError {
    /// An [`SqlError::Exec`] error with the given SQLSTATE and message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        SqlError::Exec {
            code: SqlCode(code),
            message: message.into(),
            detail: None,
            hint: None,
            position: None,
            context: None,
            fields: None,
        }
    }

    /// Adds a context line (only [`SqlError::Exec`] keeps it).
    pub fn with_context(mut self, text: impl Into<String>) -> Self {
        if let SqlError::Exec { context, .. } = &mut self {
            *context = Some(text.into().into_boxed_str());
        }
        self
    }

    /// [`SqlError::with_context`] unless the error has a context already.
    pub fn with_context_if_none(self, text: impl Into<String>) -> Self {
        if self.context().is_some() {
            return self;
        }
        self.with_context(text)
    }

    /// The context (PostgreSQL's `W` field): where the error happened.
    pub fn context(&self) -> Option<&str> {
        match self {
            SqlError::Exec { context, .. } => context.as_deref(),
            _ => None,
        }
    }

    /// The [`ErrorFields`] of an [`SqlError::Exec`], created empty if needed (other variants
    /// keep none).
    fn fields_mut(&mut self) -> Option<&mut ErrorFields> {
        match self {
            SqlError::Exec { fields, .. } => Some(fields.get_or_insert_with(Box::default)),
            _ => None,
        }
    }

    /// Names the table the error is about and its schema (PostgreSQL's `errtable`).
    pub fn with_table(mut self, schema: impl Into<String>, table: impl Into<String>) -> Self {
        if let Some(f) = self.fields_mut() {
            f.schema = Some(schema.into());
            f.table = Some(table.into());
        }
        self
    }

    /// Names the column the error is about (with [`SqlError::with_table`]: PostgreSQL's
    /// `errtablecol`).
    pub fn with_column(mut self, column: impl Into<String>) -> Self {
        if let Some(f) = self.fields_mut() {
            f.column = Some(column.into());
        }
        self
    }

    /// Names the constraint the error is about (with [`SqlError::with_table`]: PostgreSQL's
    /// `errtableconstraint`; with [`SqlError::with_datatype`]: its `errdomainconstraint`).
    pub fn with_constraint(mut self, constraint: impl Into<String>) -> Self {
        if let Some(f) = self.fields_mut() {
            f.constraint = Some(constraint.into());
        }
        self
    }

    /// Names the data type the error is about and its schema (PostgreSQL's `errdatatype`).
    pub fn with_datatype(mut self, schema: impl Into<String>, datatype: impl Into<String>) -> Self {
        if let Some(f) = self.fields_mut() {
            f.schema = Some(schema.into());
            f.datatype = Some(datatype.into());
        }
        self
    }

    /// [`SqlError::with_table`] for a table of `catalog`.
    pub(crate) fn in_table(
        self,
        catalog: &crate::catalog::Catalog,
        table: &crate::catalog::Table,
    ) -> Self {
        self.with_table(catalog.schema_name(table.schema), &table.name)
    }

    /// The objects the error is about, if it names any.
    pub fn fields(&self) -> Option<&ErrorFields> {
        match self {
            SqlError::Exec { fields, .. } => fields.as_deref(),
            _ => None,
        }
    }

    /// The schema of the table or data type the error is about (PostgreSQL's `s` field).
    pub fn schema(&self) -> Option<&str> {
        self.fields()?.schema.as_deref()
    }

    /// The table the error is about (PostgreSQL's `t` field).
    pub fn table(&self) -> Option<&str> {
        self.fields()?.table.as_deref()
    }

    /// The column the error is about (PostgreSQL's `c` field).
    pub fn column(&self) -> Option<&str> {
        self.fields()?.column.as_deref()
    }

    /// The data type the error is about (PostgreSQL's `d` field).
    pub fn datatype(&self) -> Option<&str> {
        self.fields()?.datatype.as_deref()
    }

    /// The constraint the error is about (PostgreSQL's `n` field).
    pub fn constraint(&self) -> Option<&str> {
        self.fields()?.constraint.as_deref()
    }

    /// Adds a detail line (only [`SqlError::Exec`] and [`SqlError::InvalidValue`] keep it).
    pub fn with_detail(mut self, text: impl Into<String>) -> Self {
        if let SqlError::Exec { detail, .. } | SqlError::InvalidValue { detail, .. } = &mut self {
            *detail = Some(text.into());
        }
        self
    }

    /// Adds a hint (only [`SqlError::Exec`] and [`SqlError::InvalidValue`] keep it).
    pub fn with_hint(mut self, text: impl Into<String>) -> Self {
        if let SqlError::Exec { hint, .. } | SqlError::InvalidValue { hint, .. } = &mut self {
            *hint = Some(text.into());
        }
        self
    }

    /// Sets the position if the error has none yet (only [`SqlError::Exec`] keeps it).
    pub fn at(mut self, pos: Option<u32>) -> Self {
        if let SqlError::Exec { position, .. } = &mut self
            && position.is_none()
        {
            *position = pos;
        }
        self
    }

    /// Drops the position (errors about stored expression text, whose positions would point
    /// into that text rather than the statement).
    pub fn without_position(mut self) -> Self {
        if let SqlError::Exec { position, .. } | SqlError::Syntax { position, .. } = &mut self {
            *position = None;
        }
        self
    }

    /// Maps a position counted in bytes (before [`SqlError::byte_position_to_chars`]).
    pub fn map_byte_position(mut self, f: impl FnOnce(u32) -> u32) -> Self {
        if let SqlError::Exec {
            position: Some(p), ..
        }
        | SqlError::Syntax {
            position: Some(p), ..
        } = &mut self
        {
            *p = f(*p);
        }
        self
    }

    /// Turns a position counted in bytes (parse-tree locations + 1) into PostgreSQL's
    /// character position in `sql`, the query string the locations refer to.
    pub fn byte_position_to_chars(mut self, sql: &str) -> Self {
        if let SqlError::Exec {
            position: Some(p), ..
        } = &mut self
        {
            let byte = (*p as usize).saturating_sub(1).min(sql.len());
            let mut at = byte;
            while !sql.is_char_boundary(at) {
                at -= 1;
            }
            let chars = sql[..at].chars().count();
            *p = u32::try_from(chars + 1).unwrap_or(*p);
        }
        self
    }

    /// An [`SqlError::InvalidValue`] with code 22023 and no detail or hint.
    pub fn invalid_value(message: impl Into<String>) -> Self {
        SqlError::InvalidValue {
            code: SqlCode::INVALID_PARAMETER_VALUE,
            message: message.into(),
            detail: None,
            hint: None,
        }
    }

    /// The SQLSTATE of this error.
    pub fn code(&self) -> SqlCode {
        match self {
            SqlError::Syntax { code, .. }
            | SqlError::InvalidValue { code, .. }
            | SqlError::Exec { code, .. } => *code,
            SqlError::Unsupported(_) => SqlCode::FEATURE_NOT_SUPPORTED,
            SqlError::InFailedTransaction => SqlCode::IN_FAILED_SQL_TRANSACTION,
            SqlError::NoTransactionBlock(_) => SqlCode::NO_ACTIVE_SQL_TRANSACTION,
            SqlError::ActiveTransaction(_) => SqlCode::ACTIVE_SQL_TRANSACTION,
            SqlError::NoSuchSavepoint(_) => SqlCode::INVALID_SAVEPOINT_SPECIFICATION,
            SqlError::UnknownParameter(_) => SqlCode::UNDEFINED_OBJECT,
            SqlError::ReadOnlyParameter(_) => SqlCode::CANT_CHANGE_RUNTIME_PARAM,
            SqlError::Txn(e) => e.sqlstate().into(),
        }
    }

    /// The nearest [`SqlState`] (exact for every code `SqlState` names; see
    /// [`SqlCode::to_sqlstate`]).
    pub fn sqlstate(&self) -> SqlState {
        self.code().to_sqlstate()
    }

    /// The primary message (PostgreSQL's `M` field).
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The detail (PostgreSQL's `D` field).
    pub fn detail(&self) -> Option<&str> {
        match self {
            SqlError::Syntax { detail, .. }
            | SqlError::InvalidValue { detail, .. }
            | SqlError::Exec { detail, .. } => detail.as_deref(),
            _ => None,
        }
    }

    /// The hint (PostgreSQL's `H` field).
    pub fn hint(&self) -> Option<&str> {
        match self {
            SqlError::Syntax { hint, .. }
            | SqlError::InvalidValue { hint, .. }
            | SqlError::Exec { hint, .. } => hint.as_deref(),
            _ => None,
        }
    }

    /// The 1-based character position in the query string (PostgreSQL's `P` field).
    pub fn position(&self) -> Option<u32> {
        match self {
            SqlError::Syntax { position, .. } | SqlError::Exec { position, .. } => *position,
            _ => None,
        }
    }

    /// Whether retrying the whole transaction may succeed (class 40).
    pub fn is_retryable(&self) -> bool {
        self.code().code().starts_with("40")
    }
}

/// The severity of a [`Notice`], PostgreSQL's levels that reach a client below ERROR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// `DEBUG`.
    Debug,
    /// `LOG`.
    Log,
    /// `INFO` (always sent to the client).
    Info,
    /// `NOTICE`.
    Notice,
    /// `WARNING`.
    Warning,
}

impl Severity {
    /// The name PostgreSQL puts in the `S`/`V` fields.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Debug => "DEBUG",
            Severity::Log => "LOG",
            Severity::Info => "INFO",
            Severity::Notice => "NOTICE",
            Severity::Warning => "WARNING",
        }
    }
}

/// A message that does not fail the statement (PostgreSQL's NoticeResponse), e.g. the warning
/// `there is no transaction in progress`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The level.
    pub severity: Severity,
    /// The SQLSTATE.
    pub code: SqlCode,
    /// The message.
    pub message: String,
    /// The detail, if any.
    pub detail: Option<String>,
    /// The hint, if any.
    pub hint: Option<String>,
}

impl Notice {
    /// A `WARNING` with the given code and message.
    pub fn warning(code: SqlCode, message: impl Into<String>) -> Self {
        Notice {
            severity: Severity::Warning,
            code,
            message: message.into(),
            detail: None,
            hint: None,
        }
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:  {}", self.severity.as_str(), self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use basalt_txn::SerializationReason;

    #[test]
    fn codes_and_messages() {
        let e = SqlError::UnknownParameter("foo".into());
        assert_eq!(e.code().code(), "42704");
        assert_eq!(
            e.to_string(),
            "unrecognized configuration parameter \"foo\""
        );
        assert_eq!(
            SqlError::InFailedTransaction.sqlstate(),
            SqlState::IN_FAILED_SQL_TRANSACTION
        );
        assert_eq!(
            SqlError::Unsupported("SELECT".into()).to_string(),
            "feature not supported: SELECT"
        );
    }

    #[test]
    fn txn_errors_keep_their_sqlstate() {
        let e: SqlError = TxnError::Serialization(SerializationReason::ConcurrentUpdate).into();
        assert_eq!(e.code().code(), "40001");
        assert_eq!(e.sqlstate(), SqlState::SERIALIZATION_FAILURE);
        assert!(e.is_retryable());
        assert_eq!(
            e.to_string(),
            "could not serialize access due to concurrent update"
        );
        let e: SqlError = TxnError::LockNotAvailable("canceling statement".into()).into();
        assert_eq!(e.code().code(), "55P03");
    }

    #[test]
    fn object_fields() {
        let e = SqlError::new("23502", "null value").with_detail("Failing row contains (null).");
        assert_eq!(e.fields(), None);
        let e = e.with_table("public", "t").with_column("a");
        assert_eq!(
            (e.schema(), e.table(), e.column()),
            (Some("public"), Some("t"), Some("a"))
        );
        assert_eq!((e.datatype(), e.constraint()), (None, None));
        assert_eq!(e.detail(), Some("Failing row contains (null)."));
        let e = SqlError::new(
            "23514",
            "value for domain d violates check constraint \"c\"",
        )
        .with_datatype("s", "d")
        .with_constraint("c");
        assert_eq!(
            e.fields(),
            Some(&ErrorFields {
                schema: Some("s".into()),
                table: None,
                column: None,
                datatype: Some("d".into()),
                constraint: Some("c".into()),
            })
        );
        // Variants without the fields ignore them.
        let e = SqlError::UnknownParameter("x".into()).with_constraint("c");
        assert_eq!(e.constraint(), None);
    }

    #[test]
    fn every_code_is_a_named_sqlstate() {
        for &code in SqlCode::ALL {
            assert_eq!(code.to_sqlstate().code(), code.code());
        }
        assert_eq!(SqlCode::from(SqlState::DEADLOCK_DETECTED).code(), "40P01");
    }
}
