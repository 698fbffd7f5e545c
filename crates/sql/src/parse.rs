//! Parsing: SQL text → PostgreSQL's own parse trees, through `pg_query` (libpg_query, the
//! PostgreSQL 18 grammar, a superset of 15's).
//!
//! - [`parse`] parses a query string that may hold several statements into a [`Parsed`]: the
//!   protobuf statements (`pg_query::protobuf::RawStmt`) with each statement's byte range in the
//!   text. Later layers bind directly from these nodes; there is no second AST.
//! - [`ParseCache`] is a bounded LRU cache keyed by the exact text (and the parser options), so
//!   a statement sent again through the simple query protocol is not parsed again. Results are
//!   shared as `Arc<Parsed>`. Errors are not cached: the error path is rare and re-parsing keeps
//!   the cache free of junk.
//! - Syntax errors carry SQLSTATE 42601 (or the code PostgreSQL uses for the few parser messages
//!   with another one), PostgreSQL's message and the 1-based *character* position PostgreSQL
//!   reports.
//!
//! # Recovering the error position
//!
//! libpg_query knows the position (`cursorpos`) but the Rust wrapper drops it, and reading it
//! through our own FFI declaration would need `unsafe`, which the workspace forbids without
//! exception. The position is recovered from the message instead:
//!
//! - `... at end of input`: the position is one past the last character.
//! - `... at or near "X"`: the error is at a token whose source text is `X`. The candidates are
//!   the tokens of the text (from `pg_query::scan`) spelled `X`, or, when the text does not even
//!   scan (a lexer error such as an unterminated string), every occurrence of `X`. With one
//!   candidate the answer is immediate. With several, the parser's determinism decides: the
//!   prefix of the text ending at a candidate before the real error token parses, or fails only
//!   at end of input, while every prefix ending at or after it fails with exactly the original
//!   message. That predicate is monotone over the candidates, so a binary search finds the
//!   error token in O(log n) re-parses.
//!
//!   One subtlety: PostgreSQL's lexer filter looks one token ahead for `NOT`, `NULLS`, `WITH`,
//!   `WITHOUT`, `FORMAT` and Unicode literals (`NOT` before `IN` becomes `NOT_LA`, ...). A prefix
//!   ending at such a token would lose that follower, so when the follower is one that changes
//!   the token, the prefix includes it (its text differs from the error token's, so a failure
//!   there cannot be mistaken for the one searched).
//! - Any other message (errors raised by grammar actions, e.g. `LIMIT #,# syntax is not
//!   supported`) carries no token text; the position is then unknown and left out.
//!
//! Positions count characters, not bytes, as PostgreSQL does for a UTF-8 database.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use pg_query::ParserOptions;
use pg_query::protobuf::{self, KeywordKind, RawStmt};

use crate::error::{Notice, Severity, SqlCode, SqlError};

/// How the text is lexed: the settings of the session that change the lexer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParseOptions {
    /// `standard_conforming_strings`: whether backslashes in `'...'` are literal.
    pub standard_conforming_strings: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            standard_conforming_strings: true,
        }
    }
}

impl ParseOptions {
    fn parser_options(self) -> ParserOptions {
        if self.standard_conforming_strings {
            ParserOptions::DEFAULT
        } else {
            ParserOptions::DEFAULT | ParserOptions::DISABLE_STANDARD_CONFORMING_STRINGS
        }
    }
}

/// A parsed query string: zero or more statements (an empty string or `;` has none).
#[derive(Debug)]
pub struct Parsed {
    text: Arc<str>,
    /// The statements; for a text parsed from a template with a parameter form, made from
    /// the template when first asked for (the simple query path runs the parameter form
    /// and never needs them).
    stmts: std::sync::OnceLock<Vec<RawStmt>>,
    /// The template this text was parsed from and the text's literals, when the template
    /// has a parameter form ([`crate::shape::ParamForm`]).
    shaped: Option<(Arc<crate::shape::Template>, Vec<crate::shape::Lit>)>,
    /// Per statement: its highest parameter reference (`$n`) and that reference's byte
    /// offset, if it has one.
    max_params: Vec<Option<(u32, usize)>>,
    warnings: Vec<Notice>,
}

impl Parsed {
    /// The parse of `sql` made from a template of its shape ([`crate::shape`]): no
    /// parameters, no lexer warnings.
    fn from_template(sql: &str, stmts: Vec<RawStmt>) -> Parsed {
        Parsed {
            text: Arc::from(sql),
            max_params: vec![None; stmts.len()],
            stmts: stmts.into(),
            shaped: None,
            warnings: Vec::new(),
        }
    }

    /// The parse of `sql` from a template with a parameter form: the statements are made
    /// when first needed.
    fn from_param_template(
        sql: &str,
        template: Arc<crate::shape::Template>,
        lits: Vec<crate::shape::Lit>,
    ) -> Parsed {
        Parsed {
            text: Arc::from(sql),
            max_params: vec![None; template.len()],
            stmts: std::sync::OnceLock::new(),
            shaped: Some((template, lits)),
            warnings: Vec::new(),
        }
    }

    fn stmts(&self) -> &[RawStmt] {
        self.stmts.get_or_init(|| match &self.shaped {
            // Cannot fail: the text has the template's shape (so as many literals, of the
            // same kinds: integers that fit 32 bits), and the walk over the template's tree
            // succeeded when it was built.
            Some((t, lits)) => t.instantiate(&self.text, lits).unwrap_or_default(),
            None => Vec::new(),
        })
    }

    /// Statement `i` in its parameter form with its parameter values, if this text was
    /// parsed from a template that has one. The statement's text is the one its plan is
    /// cached under (the shape's, [`crate::shape::ParamForm::keys`]): the statements a
    /// parameter form covers (SELECT, INSERT, UPDATE, DELETE) use their text for nothing
    /// else.
    pub(crate) fn param_statement(
        &self,
        i: usize,
    ) -> Option<(Statement<'_>, Vec<basalt_common::types::Value>)> {
        let (t, lits) = self.shaped.as_ref()?;
        let form = t.param_form()?;
        let statement = Statement {
            raw: form.stmts.get(i)?,
            text: form.keys.get(i)?,
            max_param: None,
        };
        Some((statement, t.param_values(&self.text, lits, i)?))
    }

    /// A 1-based byte position in statement parameter form's tree (which keeps the
    /// template's positions), as a position in this text.
    pub(crate) fn param_position(&self, p: u32) -> u32 {
        match &self.shaped {
            Some((t, lits)) => {
                let at = i32::try_from(p).unwrap_or(i32::MAX) - 1;
                u32::try_from(t.shift(lits, at) + 1).unwrap_or(p)
            }
            None => p,
        }
    }
    /// The query string.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The query string, shared.
    pub fn shared_text(&self) -> Arc<str> {
        self.text.clone()
    }

    /// Whether `text` is this statement text's shared copy (the same allocation).
    pub fn is_shared_text(&self, text: &Arc<str>) -> bool {
        Arc::ptr_eq(&self.text, text)
    }

    /// The number of statements.
    pub fn len(&self) -> usize {
        self.max_params.len()
    }

    /// Whether the string holds no statement at all.
    pub fn is_empty(&self) -> bool {
        self.max_params.is_empty()
    }

    /// The statements, in order.
    pub fn statements(&self) -> impl Iterator<Item = Statement<'_>> {
        self.stmts()
            .iter()
            .zip(&self.max_params)
            .map(|(raw, &max_param)| Statement {
                raw,
                text: statement_text(&self.text, raw),
                max_param,
            })
    }

    /// Statement `i`.
    pub(crate) fn statement(&self, i: usize) -> Option<Statement<'_>> {
        let raw = self.stmts().get(i)?;
        Some(Statement {
            raw,
            text: statement_text(&self.text, raw),
            max_param: *self.max_params.get(i)?,
        })
    }

    /// A one-statement parse of `stmt`, a statement nested in `text` (the body of `PREPARE`):
    /// its locations stay those of `text`, so errors point into it.
    pub fn nested(text: Arc<str>, stmt: protobuf::Node) -> Parsed {
        Parsed {
            text,
            stmts: vec![RawStmt {
                stmt: Some(Box::new(stmt)),
                stmt_location: 0,
                stmt_len: 0,
            }]
            .into(),
            shaped: None,
            max_params: vec![None],
            warnings: Vec::new(),
        }
    }

    /// Warnings the lexer raised (e.g. `nonstandard use of \\ in a string literal` when
    /// `standard_conforming_strings` is off).
    pub fn warnings(&self) -> &[Notice] {
        &self.warnings
    }
}

/// One statement of a [`Parsed`] query string.
#[derive(Debug, Clone, Copy)]
pub struct Statement<'a> {
    raw: &'a RawStmt,
    text: &'a str,
    max_param: Option<(u32, usize)>,
}

impl<'a> Statement<'a> {
    /// The statement's parse tree, `None` only if libpg_query returned an empty statement.
    pub fn node(&self) -> Option<&'a protobuf::node::Node> {
        self.raw.stmt.as_ref().and_then(|n| n.node.as_ref())
    }

    /// The statement's own text (without the separating `;`).
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The byte offset of the statement in the query string.
    pub fn location(&self) -> usize {
        usize::try_from(self.raw.stmt_location).unwrap_or(0)
    }

    /// The statement's highest parameter reference `$n` and that reference's byte offset in
    /// the query string. `PREPARE` bodies do not count: their parameters are the prepared
    /// statement's; nor do SQL-standard function bodies, whose are the function's.
    pub fn max_param(&self) -> Option<(u32, usize)> {
        self.max_param
    }
}

/// The highest `$n` of a statement and its byte offset (see [`Statement::max_param`]).
///
/// Read from the statement's tokens: pg_query's node walk skips some clauses (RETURNING
/// lists, the rows of a multi-row VALUES), and a `$n` token is a parameter reference
/// wherever it stands (inside string constants, dollar-quoted bodies included, it is no
/// token). The walk is the fallback should the scanner fail.
fn max_param(sql: &str, raw: &RawStmt) -> Option<(u32, usize)> {
    use pg_query::NodeRef;
    let node = raw.stmt.as_ref()?.node.as_ref()?;
    // A function body's `$n` are the function's arguments.
    if matches!(
        node,
        protobuf::node::Node::PrepareStmt(_) | protobuf::node::Node::CreateFunctionStmt(_)
    ) {
        return None;
    }
    let text = statement_text(sql, raw);
    if !text.contains('$') {
        return None;
    }
    let base = usize::try_from(raw.stmt_location).unwrap_or(0);
    let latest = |found: Option<(u32, usize)>, n: u32, at: usize| match found {
        Some((m, _)) if m >= n => found,
        _ => Some((n, at)),
    };
    if let Ok(scan) = pg_query::scan(text) {
        let mut found = None;
        for t in &scan.tokens {
            if t.token != protobuf::Token::Param as i32 {
                continue;
            }
            let (Ok(start), Ok(end)) = (usize::try_from(t.start), usize::try_from(t.end)) else {
                continue;
            };
            if let Some(n) = text.get(start + 1..end).and_then(|d| d.parse::<u32>().ok()) {
                found = latest(found, n, base + start);
            }
        }
        return found;
    }
    node.nodes()
        .into_iter()
        .filter_map(|(n, ..)| match n {
            NodeRef::ParamRef(p) => Some((
                u32::try_from(p.number).ok()?,
                usize::try_from(p.location).ok()?,
            )),
            _ => None,
        })
        .max_by_key(|&(n, at)| (n, std::cmp::Reverse(at)))
}

fn statement_text<'a>(text: &'a str, raw: &RawStmt) -> &'a str {
    let start = usize::try_from(raw.stmt_location)
        .unwrap_or(0)
        .min(text.len());
    let end = match usize::try_from(raw.stmt_len) {
        // A length of 0 means "to the end of the string".
        Ok(0) | Err(_) => text.len(),
        Ok(len) => start.saturating_add(len).min(text.len()),
    };
    text.get(start..end).unwrap_or("")
}

/// Parses `sql` (one or more statements) without caching.
pub fn parse(sql: &str, options: ParseOptions) -> Result<Parsed, SqlError> {
    if let Some(at) = sql.find('\0') {
        // The wire protocol cannot carry NUL in a query; the embedded API can, and PostgreSQL
        // rejects the byte in text input with this error.
        return Err(SqlError::Syntax {
            code: SqlCode::CHARACTER_NOT_IN_REPERTOIRE,
            message: "invalid byte sequence for encoding \"UTF8\": 0x00".into(),
            detail: None,
            hint: None,
            position: Some(char_position(sql, at)),
        });
    }
    if let Some((message, at)) = pg15_lexer_junk(sql) {
        return Err(SqlError::Syntax {
            code: SqlCode::SYNTAX_ERROR,
            message,
            detail: None,
            hint: None,
            position: Some(char_position(sql, at)),
        });
    }
    match pg_parse(sql, options) {
        Ok(result) => Ok(Parsed {
            text: Arc::from(sql),
            max_params: result
                .protobuf
                .stmts
                .iter()
                .map(|raw| max_param(sql, raw))
                .collect(),
            stmts: result.protobuf.stmts.into(),
            shaped: None,
            warnings: result.warnings.iter().map(|w| lexer_warning(w)).collect(),
        }),
        Err(pg_query::Error::Parse(message)) => Err(syntax_error(sql, options, message)),
        // The protobuf decoder refuses trees nested more than 100 messages deep (about 45
        // chained binary operators); lifting that limit would need far more stack than a
        // session thread has, since each level of the generated decoder takes tens of KiB.
        Err(pg_query::Error::Decode(_)) => Err(SqlError::Syntax {
            code: SqlCode::STATEMENT_TOO_COMPLEX,
            message: "stack depth limit exceeded".into(),
            detail: Some(
                "The statement nests expressions too deeply for Basalt's parser (about 100 levels, \
                 or some 45 chained binary operators)."
                    .into(),
            ),
            hint: Some("Split long chains of operators or deeply nested subqueries.".into()),
            position: None,
        }),
        Err(e) => Err(SqlError::Syntax {
            code: SqlCode::INTERNAL_ERROR,
            message: e.to_string(),
            detail: None,
            hint: None,
            position: None,
        }),
    }
}

/// Stack the protobuf decoding of a parse tree may need: the decoder allows 100 nested
/// messages, and each level of its generated code takes up to about 30 KiB of stack.
const PARSE_STACK: usize = 6 << 20;
/// Stack of the helper thread used when the caller's thread has less than [`PARSE_STACK`] left.
const HELPER_STACK: usize = 16 << 20;

/// `pg_query::parse` with enough stack: on the calling thread when it has [`PARSE_STACK`] to
/// spare (a main thread usually does), otherwise on a short-lived helper thread, so that a
/// deeply nested statement fails with an error instead of overflowing the stack of a small
/// thread (2 MiB is the default for spawned threads and async runtimes' workers).
/// What PostgreSQL 15's lexer refuses that the parser's newer grammar reads: numeric
/// literals with underscores (`1_000`, PostgreSQL 16) and a parameter run into a name
/// (`$1a`). The message and byte offset of the first, if any. Texts without such a shape
/// skip the scan.
fn pg15_lexer_junk(sql: &str) -> Option<(String, usize)> {
    let b = sql.as_bytes();
    let suspicious = (0..b.len()).any(|i| match b[i] {
        b'_' => i > 0 && b[i - 1].is_ascii_digit(),
        b'$' => {
            let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            digits > 0
                && b.get(i + 1 + digits)
                    .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_' || *c >= 0x80)
        }
        _ => false,
    });
    if !suspicious {
        return None;
    }
    let scan = pg_query::scan(sql).ok()?;
    let text = |t: &pg_query::protobuf::ScanToken| -> Option<(usize, usize)> {
        Some((usize::try_from(t.start).ok()?, usize::try_from(t.end).ok()?))
    };
    for (i, t) in scan.tokens.iter().enumerate() {
        let Some((start, end)) = text(t) else {
            continue;
        };
        let Some(word) = sql.get(start..end) else {
            continue;
        };
        let first = word.as_bytes().first().copied().unwrap_or(0);
        if first.is_ascii_digit() && word.contains('_') {
            return Some((
                format!("trailing junk after numeric literal at or near \"{word}\""),
                start,
            ));
        }
        if first == b'$' && word[1..].bytes().all(|c| c.is_ascii_digit()) && word.len() > 1 {
            // A name right after it, with no space: PostgreSQL 15's {param_junk}.
            if let Some((s2, _)) = scan.tokens.get(i + 1).and_then(text)
                && s2 == end
                && sql[s2..]
                    .bytes()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c >= 0x80)
            {
                let junk_end = s2 + sql[s2..].chars().next().map_or(1, char::len_utf8);
                return Some((
                    format!(
                        "trailing junk after parameter at or near \"{}\"",
                        &sql[start..junk_end]
                    ),
                    start,
                ));
            }
        }
    }
    None
}

fn pg_parse(sql: &str, options: ParseOptions) -> pg_query::Result<pg_query::ParseResult> {
    let bits = options.parser_options();
    if stacker::remaining_stack().is_some_and(|left| left >= PARSE_STACK) {
        return pg_query::parse(sql, bits);
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("basalt-parse".into())
            .stack_size(HELPER_STACK)
            .spawn_scoped(scope, || pg_query::parse(sql, bits))
            .map_err(|e| pg_query::Error::Parse(format!("cannot start the parser thread: {e}")))?
            .join()
            .unwrap_or_else(|_| Err(pg_query::Error::Parse("the parser failed".into())))
    })
}

fn lexer_warning(line: &str) -> Notice {
    let message = line
        .strip_prefix("WARNING:")
        .unwrap_or(line)
        .trim()
        .to_string();
    let (code, hint) = if message.starts_with("nonstandard use of \\\\") {
        (
            SqlCode::NONSTANDARD_USE_OF_ESCAPE_CHARACTER,
            Some("Use the escape string syntax for backslashes, e.g., E'\\\\'."),
        )
    } else if message.starts_with("nonstandard use of \\'") {
        (
            SqlCode::NONSTANDARD_USE_OF_ESCAPE_CHARACTER,
            Some("Use '' to write quotes in strings, or use the escape string syntax (E'...')."),
        )
    } else if message.starts_with("nonstandard use of escape") {
        (
            SqlCode::NONSTANDARD_USE_OF_ESCAPE_CHARACTER,
            Some("Use the escape string syntax for escapes, e.g., E'\\r\\n'."),
        )
    } else {
        (SqlCode::WARNING, None)
    };
    Notice {
        severity: Severity::Warning,
        code,
        message,
        detail: None,
        hint: hint.map(String::from),
    }
}

/// Parser messages PostgreSQL raises with a code other than 42601, or with a hint or detail.
/// `%` stands for any text (PostgreSQL's `%s`/`%d`).
const MESSAGE_TABLE: &[(&str, SqlCode, Option<&str>, Option<&str>)] = &[
    (
        "CREATE SCHEMA IF NOT EXISTS cannot include schema elements",
        SqlCode::FEATURE_NOT_SUPPORTED,
        None,
        None,
    ),
    (
        "stack depth limit exceeded",
        SqlCode::STATEMENT_TOO_COMPLEX,
        None,
        None,
    ),
    (
        "parse tree is nested too deeply%",
        SqlCode::STATEMENT_TOO_COMPLEX,
        None,
        None,
    ),
    (
        "LIMIT #,# syntax is not supported",
        SqlCode::SYNTAX_ERROR,
        Some("Use separate LIMIT and OFFSET clauses."),
        None,
    ),
    (
        "missing argument",
        SqlCode::SYNTAX_ERROR,
        Some("Use NONE to denote the missing argument of a unary operator."),
        None,
    ),
    (
        "UNENCRYPTED PASSWORD is no longer supported",
        SqlCode::FEATURE_NOT_SUPPORTED,
        Some("Remove UNENCRYPTED to store the password in encrypted form instead."),
        None,
    ),
    (
        "unrecognized row security option \"%\"",
        SqlCode::SYNTAX_ERROR,
        Some("Only PERMISSIVE or RESTRICTIVE policies are supported currently."),
        None,
    ),
    (
        "unsafe use of string constant with Unicode escapes",
        SqlCode::FEATURE_NOT_SUPPORTED,
        None,
        Some(
            "String constants with Unicode escapes cannot be used when standard_conforming_strings is off.",
        ),
    ),
    (
        "unsafe use of \\' in a string literal",
        SqlCode::NONSTANDARD_USE_OF_ESCAPE_CHARACTER,
        Some("Use '' to write quotes in strings. \\' is insecure in client-only encodings."),
        None,
    ),
    (
        "% constraints cannot be marked %",
        SqlCode::FEATURE_NOT_SUPPORTED,
        None,
        None,
    ),
    (
        "% is not yet implemented",
        SqlCode::FEATURE_NOT_SUPPORTED,
        None,
        None,
    ),
    (
        "% not yet implemented",
        SqlCode::FEATURE_NOT_SUPPORTED,
        None,
        None,
    ),
    (
        "% is no longer supported",
        SqlCode::FEATURE_NOT_SUPPORTED,
        None,
        None,
    ),
    (
        "% is not supported",
        SqlCode::FEATURE_NOT_SUPPORTED,
        None,
        None,
    ),
    (
        "current database cannot be changed",
        SqlCode::FEATURE_NOT_SUPPORTED,
        None,
        None,
    ),
    (
        "WITH CHECK OPTION not supported on recursive views",
        SqlCode::FEATURE_NOT_SUPPORTED,
        None,
        None,
    ),
    (
        "aggregates cannot have output arguments",
        SqlCode::FEATURE_NOT_SUPPORTED,
        None,
        None,
    ),
    (
        "constraints cannot be altered to be NOT VALID",
        SqlCode::FEATURE_NOT_SUPPORTED,
        None,
        None,
    ),
    (
        "a column list with % is only supported for ON DELETE actions",
        SqlCode::FEATURE_NOT_SUPPORTED,
        None,
        None,
    ),
    (
        "precision for type float must be %",
        SqlCode::INVALID_PARAMETER_VALUE,
        None,
        None,
    ),
    (
        "unrecognized partitioning strategy \"%\"",
        SqlCode::INVALID_PARAMETER_VALUE,
        None,
        None,
    ),
    (
        "% for hash partition provided more than once",
        SqlCode::DUPLICATE_OBJECT,
        None,
        None,
    ),
    (
        "% cannot be used as a role name here",
        SqlCode::RESERVED_NAME,
        None,
        None,
    ),
    (
        "role name \"%\" is reserved",
        SqlCode::RESERVED_NAME,
        None,
        None,
    ),
    ("frame % UNBOUNDED %", SqlCode::WINDOWING_ERROR, None, None),
    (
        "frame starting from %",
        SqlCode::WINDOWING_ERROR,
        None,
        None,
    ),
];

/// Whether `message` matches `pattern`, where `%` in the pattern matches any text.
fn matches_pattern(message: &str, pattern: &str) -> bool {
    let mut parts = pattern.split('%');
    let Some(first) = parts.next() else {
        return message.is_empty();
    };
    let Some(mut rest) = message.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

fn syntax_error(sql: &str, options: ParseOptions, message: String) -> SqlError {
    let (code, hint, detail) = if message == "invalid Unicode escape" {
        // The same message for two errors: in U&'...' literals (42601) and in E'...' (22025).
        if sql.contains("U&") || sql.contains("u&") {
            (
                SqlCode::SYNTAX_ERROR,
                Some("Unicode escapes must be \\XXXX or \\+XXXXXX.".to_string()),
                None,
            )
        } else {
            (
                SqlCode::INVALID_ESCAPE_SEQUENCE,
                Some("Unicode escapes must be \\uXXXX or \\UXXXXXXXX.".to_string()),
                None,
            )
        }
    } else {
        MESSAGE_TABLE
            .iter()
            .find(|(pattern, ..)| matches_pattern(&message, pattern))
            .map(|(_, code, hint, detail)| {
                (*code, hint.map(String::from), detail.map(String::from))
            })
            .unwrap_or((SqlCode::SYNTAX_ERROR, None, None))
    };
    let position = error_offset(sql, options, &message).map(|at| char_position(sql, at));
    SqlError::Syntax {
        code,
        message,
        detail,
        hint,
        position,
    }
}

/// PostgreSQL's 1-based character position of byte offset `at`.
fn char_position(sql: &str, at: usize) -> u32 {
    let chars = sql.get(..at).map_or(0, |s| s.chars().count());
    u32::try_from(chars.saturating_add(1)).unwrap_or(u32::MAX)
}

/// The token text named by a message ending in `at or near "X"`.
fn near_token(message: &str) -> Option<&str> {
    const MARK: &str = " at or near \"";
    let start = message.find(MARK)? + MARK.len();
    message.get(start..)?.strip_suffix('"')
}

/// How many tokens after `token` the grammar reads to decide what `token` is, given the text
/// of the next one: PostgreSQL's lexer filter turns `NOT` before `IN` into `NOT_LA`, `WITH`
/// before `TIME` into `WITH_LA`, and so on, and merges `U&'...' UESCAPE '...'`.
fn lookahead(token: &str, next: &str) -> usize {
    let is = |w: &str| next.eq_ignore_ascii_case(w);
    let triggered = match token.to_ascii_lowercase().as_str() {
        "not" => is("between") || is("in") || is("like") || is("ilike") || is("similar"),
        "nulls" => is("first") || is("last"),
        "with" => is("time") || is("ordinality"),
        "without" => is("time"),
        "format" => is("json"),
        t if t.starts_with("u&") => return if is("uescape") { 2 } else { 0 },
        _ => false,
    };
    usize::from(triggered)
}

/// Where a window frame error of the grammar points: at the frame bound it is about (the
/// start bound for "frame start ...", the end bound otherwise), in the first frame of the
/// text that has the fault.
fn frame_error_offset(sql: &str, message: &str) -> Option<usize> {
    let scan = pg_query::scan(sql).ok()?;
    let toks: Vec<(usize, String)> = scan
        .tokens
        .iter()
        .filter_map(|t| {
            let (s, e) = (usize::try_from(t.start).ok()?, usize::try_from(t.end).ok()?);
            Some((s, sql.get(s..e)?.to_ascii_uppercase()))
        })
        .collect();
    // A bound runs to the next AND (of BETWEEN), EXCLUDE or closing parenthesis.
    let bound = |from: usize| -> (usize, usize) {
        let mut depth = 0i32;
        let mut i = from;
        while i < toks.len() {
            match toks[i].1.as_str() {
                "(" => depth += 1,
                ")" if depth == 0 => break,
                ")" => depth -= 1,
                "AND" | "EXCLUDE" if depth == 0 => break,
                _ => {}
            }
            i += 1;
        }
        (from, i)
    };
    let text = |(a, b): (usize, usize)| -> Vec<&str> {
        toks.get(a..b)
            .map_or(Vec::new(), |t| t.iter().map(|x| x.1.as_str()).collect())
    };
    for (i, (_, t)) in toks.iter().enumerate() {
        if !matches!(t.as_str(), "ROWS" | "RANGE" | "GROUPS") {
            continue;
        }
        let between = toks.get(i + 1).is_some_and(|x| x.1 == "BETWEEN");
        let start = bound(i + 1 + usize::from(between));
        let end = if between {
            Some(bound(start.1 + 1))
        } else {
            None
        };
        let s = text(start);
        let e = end.map(text).unwrap_or_default();
        let at = |r: (usize, usize)| toks.get(r.0).map(|x| x.0);
        let hit = match message {
            "frame start cannot be UNBOUNDED FOLLOWING" => {
                (s == ["UNBOUNDED", "FOLLOWING"]).then(|| at(start))
            }
            "frame end cannot be UNBOUNDED PRECEDING" => {
                (e == ["UNBOUNDED", "PRECEDING"]).then(|| end.and_then(at))
            }
            "frame starting from current row cannot have preceding rows" => {
                (s.first() == Some(&"CURRENT") && e.last() == Some(&"PRECEDING"))
                    .then(|| end.and_then(at))
            }
            "frame starting from following row cannot have preceding rows" if !between => {
                (s.last() == Some(&"FOLLOWING")).then(|| at(start))
            }
            "frame starting from following row cannot have preceding rows" => (s.last()
                == Some(&"FOLLOWING")
                && (e.last() == Some(&"PRECEDING") || e.first() == Some(&"CURRENT")))
            .then(|| end.and_then(at)),
            _ => return None,
        };
        if let Some(found) = hit {
            return found;
        }
    }
    None
}

/// The byte offset where the parse error of `sql` lies, if it can be told.
fn error_offset(sql: &str, options: ParseOptions, message: &str) -> Option<usize> {
    if message.ends_with(" at end of input") {
        return Some(sql.len());
    }
    if message.starts_with("frame ") {
        return frame_error_offset(sql, message);
    }
    let token = near_token(message)?;
    if token.is_empty() {
        return None;
    }
    // Each candidate: (start of the token, end of the prefix that tests it).
    let candidates: Vec<(usize, usize)> = match pg_query::scan(sql) {
        Ok(scan) => {
            let tokens: Vec<(usize, usize)> = scan
                .tokens
                .iter()
                .filter_map(|t| {
                    Some((usize::try_from(t.start).ok()?, usize::try_from(t.end).ok()?))
                })
                .collect();
            tokens
                .iter()
                .enumerate()
                .filter(|(_, (s, e))| sql.get(*s..*e) == Some(token))
                .map(|(i, (s, e))| {
                    let next = tokens.get(i + 1).and_then(|(ns, ne)| sql.get(*ns..*ne));
                    let extra = next.map_or(0, |n| lookahead(token, n));
                    let end = tokens.get(i + extra).map_or(*e, |t| t.1);
                    (*s, end)
                })
                .collect()
        }
        Err(_) => sql
            .match_indices(token)
            .map(|(at, t)| (at, at + t.len()))
            .collect(),
    };
    match candidates.as_slice() {
        [] => None,
        [(start, _)] => Some(*start),
        _ => {
            let fails_here = |end: usize| -> bool {
                let Some(prefix) = sql.get(..end) else {
                    return false;
                };
                matches!(
                    pg_parse(prefix, options),
                    Err(pg_query::Error::Parse(m)) if m == message
                )
            };
            // Binary search for the first candidate whose prefix fails with the message.
            let (mut lo, mut hi) = (0usize, candidates.len());
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if fails_here(candidates[mid].1) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            candidates.get(lo).map(|(start, _)| *start)
        }
    }
}

/// Whether `ident` can be written without double quotes: lower-case letters, digits and `_`,
/// not starting with a digit, and not a keyword other than an unreserved one (PostgreSQL's
/// `quote_identifier` rule).
pub fn is_safe_identifier(ident: &str) -> bool {
    let mut chars = ident.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !(first.is_ascii_lowercase() || first == '_') {
        return false;
    }
    if !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return false;
    }
    match pg_query::scan(ident) {
        Ok(scan) => match scan.tokens.as_slice() {
            [token] => matches!(
                KeywordKind::try_from(token.keyword_kind),
                Ok(KeywordKind::NoKeyword | KeywordKind::UnreservedKeyword)
            ),
            _ => false,
        },
        Err(_) => false,
    }
}

/// `ident` as PostgreSQL's `quote_identifier` writes it: unchanged when safe, otherwise in
/// double quotes with inner quotes doubled.
pub fn quote_identifier(ident: &str) -> String {
    if is_safe_identifier(ident) {
        ident.to_string()
    } else {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }
}

/// Statements longer than this are parsed every time rather than cached: they are typically
/// bulk loads that would only push useful entries out.
const MAX_CACHED_TEXT: usize = 64 * 1024;

/// A cached parse and its last-use tick.
type CacheSlot = Option<(Arc<Parsed>, u64)>;

/// A bounded LRU cache of parse results keyed by the exact query text.
///
/// Thread-safe: sessions of one database share one cache.
#[derive(Debug)]
pub struct ParseCache {
    capacity: usize,
    inner: Mutex<CacheInner>,
    /// Trees of texts by shape, to parse texts that differ only in literals.
    templates: crate::shape::Templates,
}

#[derive(Debug, Default)]
struct CacheInner {
    /// Text → parse and last-use tick, one slot per [`ParseOptions`] (looked up by `&str`,
    /// so a hit allocates nothing).
    entries: HashMap<Arc<str>, [CacheSlot; 2], foldhash::fast::RandomState>,
    /// The parses held by last-use tick (the first is the least recently used): text and
    /// slot.
    order: std::collections::BTreeMap<u64, (Arc<str>, usize)>,
    /// The number of parses held.
    held: usize,
    tick: u64,
    hits: u64,
    misses: u64,
}

impl ParseCache {
    /// A cache holding at most `capacity` query strings (0 disables caching).
    pub fn new(capacity: usize) -> Self {
        ParseCache {
            capacity,
            inner: Mutex::new(CacheInner::default()),
            templates: Default::default(),
        }
    }

    /// The parse of `sql`, from the cache or parsed now (and then cached).
    pub fn parse(&self, sql: &str, options: ParseOptions) -> Result<Arc<Parsed>, SqlError> {
        if self.capacity == 0 || sql.len() > MAX_CACHED_TEXT {
            return parse(sql, options).map(Arc::new);
        }
        let slot = usize::from(options.standard_conforming_strings);
        {
            let mut inner = self.inner.lock();
            inner.tick += 1;
            let tick = inner.tick;
            let hit = inner
                .entries
                .get_mut(sql)
                .and_then(|slots| slots[slot].as_mut())
                .map(|(parsed, used)| {
                    let old = std::mem::replace(used, tick);
                    (Arc::clone(parsed), old)
                });
            if let Some((parsed, old)) = hit {
                if let Some(entry) = inner.order.remove(&old) {
                    inner.order.insert(tick, entry);
                }
                inner.hits += 1;
                return Ok(parsed);
            }
            inner.misses += 1;
        }
        // Parse outside the lock so that sessions do not wait on each other's parses.
        let parsed = Arc::new(self.parse_shaped(sql, options)?);
        // Evicted parses are dropped after the lock is released (freeing a tree is not free).
        let mut evicted: Vec<Arc<Parsed>> = Vec::new();
        let mut inner = self.inner.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let text = parsed.shared_text();
        let slots = inner.entries.entry(text.clone()).or_default();
        match slots[slot].replace((Arc::clone(&parsed), tick)) {
            Some((old, used)) => {
                evicted.push(old);
                inner.order.remove(&used);
            }
            None => inner.held += 1,
        }
        inner.order.insert(tick, (text, slot));
        // Evict the least recently used parses: the first entries of the use order.
        while inner.held > self.capacity {
            let Some((_, (oldest, i))) = inner.order.pop_first() else {
                break;
            };
            if let Some(slots) = inner.entries.get_mut(&oldest) {
                if let Some((p, _)) = slots[i].take() {
                    evicted.push(p);
                }
                if slots.iter().all(Option::is_none) {
                    inner.entries.remove(&oldest);
                }
            }
            inner.held -= 1;
        }
        drop(inner);
        drop(evicted);
        Ok(parsed)
    }

    /// [`parse`], or a copy of the tree of a text of the same shape with this text's
    /// literals ([`crate::shape`]).
    fn parse_shaped(&self, sql: &str, options: ParseOptions) -> Result<Parsed, SqlError> {
        if !options.standard_conforming_strings {
            return parse(sql, options);
        }
        let Some(shape) = crate::shape::shape(sql) else {
            return parse(sql, options);
        };
        match self.templates.get(&shape) {
            Some(Some(t)) if t.param_form().is_some() => {
                return Ok(Parsed::from_param_template(sql, t, shape.lits));
            }
            Some(Some(t)) => {
                if let Some(stmts) = t.instantiate(sql, &shape.lits) {
                    return Ok(Parsed::from_template(sql, stmts));
                }
            }
            // A shape that makes no template: parsed as it always was.
            Some(None) => return parse(sql, options),
            None => {}
        }
        let parsed = parse(sql, options)?;
        let t = crate::shape::Template::build(sql, &shape, parsed.stmts());
        self.templates.put(shape, t);
        Ok(parsed)
    }

    /// The number of cached query strings.
    pub fn len(&self) -> usize {
        self.inner.lock().held
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lookups answered from the cache and lookups that had to parse, since creation.
    pub fn stats(&self) -> (u64, u64) {
        let inner = self.inner.lock();
        (inner.hits, inner.misses)
    }
}

impl Default for ParseCache {
    /// A cache of 256 query strings.
    fn default() -> Self {
        ParseCache::new(256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(sql: &str) -> (String, String, Option<u32>) {
        match parse(sql, ParseOptions::default()) {
            Err(e) => (e.code().code().to_string(), e.to_string(), e.position()),
            Ok(_) => panic!("{sql:?} parsed"),
        }
    }

    #[test]
    fn parses_several_statements_with_their_text() {
        let parsed = parse("BEGIN; SELECT 1 ;; SHOW x", ParseOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let texts: Vec<&str> = parsed.statements().map(|s| s.text()).collect();
        assert_eq!(texts, ["BEGIN", "SELECT 1 ", "SHOW x"]);
        assert!(parse(" ; ", ParseOptions::default()).is_ok_and(|p| p.is_empty()));
    }

    /// Positions checked against PostgreSQL 15.
    #[test]
    fn syntax_error_positions() {
        let cases: &[(&str, &str, u32)] = &[
            ("SELEC 1", "syntax error at or near \"SELEC\"", 1),
            ("SELECT 1 +", "syntax error at end of input", 11),
            ("SELECT 1 1 1", "syntax error at or near \"1\"", 10),
            (
                "SELECT 'abc",
                "unterminated quoted string at or near \"'abc\"",
                8,
            ),
            ("SELECT 1; SELEC 2", "syntax error at or near \"SELEC\"", 11),
            ("SELECT 1 + -- c", "syntax error at end of input", 16),
            ("SELECT é + +", "syntax error at end of input", 13),
            (
                "select 123abc",
                "trailing junk after numeric literal at or near \"123abc\"",
                8,
            ),
        ];
        for (sql, message, position) in cases {
            let (code, m, p) = error(sql);
            assert_eq!(code, "42601", "{sql}");
            assert_eq!(&m, message, "{sql}");
            assert_eq!(p, Some(*position), "{sql}");
        }
    }

    #[test]
    fn messages_with_other_codes_and_hints() {
        let e = parse("select 1 limit 1,2", ParseOptions::default()).err();
        let e = e.unwrap_or_else(|| panic!("parsed"));
        assert_eq!(e.code(), SqlCode::SYNTAX_ERROR);
        assert_eq!(e.hint(), Some("Use separate LIMIT and OFFSET clauses."));
        assert_eq!(e.position(), None);
    }

    /// Codes and hints checked against PostgreSQL 15.
    #[test]
    fn unicode_escape_errors_and_deep_nesting() {
        let e = parse("SELECT E'\\u00'", ParseOptions::default()).err();
        assert_eq!(
            e.as_ref().map(|e| e.code()),
            Some(SqlCode::INVALID_ESCAPE_SEQUENCE)
        );
        assert_eq!(
            e.as_ref().and_then(|e| e.hint()),
            Some("Unicode escapes must be \\uXXXX or \\UXXXXXXXX.")
        );
        let e = parse("SELECT U&'\\00'", ParseOptions::default()).err();
        assert_eq!(e.as_ref().map(|e| e.code()), Some(SqlCode::SYNTAX_ERROR));
        let e = parse(
            "SELECT U&'a'",
            ParseOptions {
                standard_conforming_strings: false,
            },
        )
        .err();
        assert_eq!(e.map(|e| e.code()), Some(SqlCode::FEATURE_NOT_SUPPORTED));
        // Deep trees fail cleanly (54001), never by overflowing the stack.
        let sql = format!("SELECT 1{}", "+1".repeat(200));
        let e = parse(&sql, ParseOptions::default()).err();
        assert_eq!(e.map(|e| e.code()), Some(SqlCode::STATEMENT_TOO_COMPLEX));
        let sql = format!("SELECT 1{}", "+1".repeat(40));
        assert!(parse(&sql, ParseOptions::default()).is_ok());
        let sql = format!("SELECT {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&sql, ParseOptions::default()).is_err());
    }

    #[test]
    fn deep_statements_are_safe_on_small_and_large_stacks() {
        for stack in [256 << 10, 32 << 20] {
            let code = std::thread::Builder::new()
                .stack_size(stack)
                .spawn(|| {
                    let sql = format!("SELECT 1{}", "+1".repeat(60));
                    parse(&sql, ParseOptions::default()).err().map(|e| e.code())
                })
                .map(|h| h.join().ok().flatten())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(code, Some(SqlCode::STATEMENT_TOO_COMPLEX), "stack {stack}");
        }
    }

    #[test]
    fn pattern_matching() {
        assert!(matches_pattern("a x b", "a % b"));
        assert!(matches_pattern(
            "UNIQUE constraints cannot be marked NOT VALID",
            "% constraints cannot be marked %"
        ));
        assert!(!matches_pattern("a x c", "a % b"));
        assert!(matches_pattern("abc", "abc"));
        assert!(!matches_pattern("abcd", "abc"));
    }

    #[test]
    fn nul_byte_is_rejected() {
        let e = parse("SELECT '\0'", ParseOptions::default()).err();
        assert_eq!(
            e.map(|e| e.code()),
            Some(SqlCode::CHARACTER_NOT_IN_REPERTOIRE)
        );
    }

    #[test]
    fn quoting_identifiers() {
        assert_eq!(quote_identifier("public"), "public");
        assert_eq!(quote_identifier("Bar"), "\"Bar\"");
        assert_eq!(quote_identifier("$user"), "\"$user\"");
        assert_eq!(quote_identifier("select"), "\"select\"");
        assert_eq!(quote_identifier("abort"), "abort");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_identifier(""), "\"\"");
    }

    #[test]
    fn texts_of_one_shape_get_their_own_literals_and_statement_texts() {
        let cache = ParseCache::new(8);
        let opts = ParseOptions::default();
        let a = cache.parse("SELECT 1 + 2; SELECT 'x'", opts).unwrap();
        let b = cache
            .parse("SELECT 100 + 2000; SELECT 'it''s'", opts)
            .unwrap();
        let texts: Vec<&str> = b.statements().map(|s| s.text()).collect();
        assert_eq!(texts, ["SELECT 100 + 2000", "SELECT 'it''s'"]);
        let direct = parse("SELECT 100 + 2000; SELECT 'it''s'", opts).unwrap();
        assert_eq!(b.stmts(), direct.stmts());
        assert_ne!(a.stmts(), b.stmts());
    }

    #[test]
    fn cache_shares_results_and_evicts_least_recently_used() {
        let cache = ParseCache::new(2);
        let opts = ParseOptions::default();
        let a1 = cache
            .parse("SELECT 1", opts)
            .unwrap_or_else(|e| panic!("{e}"));
        let a2 = cache
            .parse("SELECT 1", opts)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(Arc::ptr_eq(&a1, &a2));
        assert_eq!(cache.stats(), (1, 1));
        cache
            .parse("SELECT 2", opts)
            .unwrap_or_else(|e| panic!("{e}"));
        // Touch "SELECT 1" so that "SELECT 2" is the least recently used.
        cache
            .parse("SELECT 1", opts)
            .unwrap_or_else(|e| panic!("{e}"));
        cache
            .parse("SELECT 3", opts)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cache.len(), 2);
        let a3 = cache
            .parse("SELECT 1", opts)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(Arc::ptr_eq(&a1, &a3));
        let (hits, _) = cache.stats();
        cache
            .parse("SELECT 2", opts)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cache.stats().0, hits, "SELECT 2 was evicted");
        // Different lexer options are different entries.
        let other = ParseOptions {
            standard_conforming_strings: false,
        };
        let b = cache
            .parse("SELECT 1", other)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!Arc::ptr_eq(&a1, &b));
        assert!(cache.parse("SELEC", opts).is_err());
    }
}
