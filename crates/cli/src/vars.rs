//! psql's variables: `\set`, `\unset`, `:name` interpolation and the special variables.
//!
//! # Design
//!
//! [`Vars`] is a sorted map of names to strings (psql lists them sorted, `\set` alone).
//! Interpolation happens in two places, as in psql:
//!
//! - in SQL text, while the statement splitter ([`crate::split::Splitter`]) lexes it: outside
//!   quotes and comments, `:name` is replaced by the value (which is lexed in turn, so a value
//!   may hold a `;`, but is not interpolated again), `:'name'` by the value as a string literal
//!   ([`quote_literal`], libpq's `PQescapeLiteral`) and `:"name"` as an identifier
//!   ([`quote_ident`]); `::` is a cast, and a name that is not set stays as written;
//! - in meta-command arguments ([`interpolate_meta`]): outside `'…'` and `"…"` the same three
//!   forms become one argument's text (a value with spaces stays one argument, as psql's
//!   argument lexer appends it to the argument being read).
//!
//! The special variables psql gives a meaning to are checked when set (`ON_ERROR_STOP`,
//! `QUIET`, `AUTOCOMMIT` take booleans, `ECHO` one of `none|errors|queries|all`), with psql's
//! substitutions: `\set ON_ERROR_STOP` with no value means `on`, `\unset` means `off`.
//! [`crate::script::State`] applies their effect.

use std::collections::BTreeMap;

use crate::client::Message;

/// The variables of a session.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    map: BTreeMap<String, String>,
}

/// Whether `c` may be part of a variable name (psql's `variable_char`).
pub fn name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// Whether `name` is a valid variable name (psql refuses others in `\set` and `\gset`).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(name_char)
}

/// psql's `ParseVariableBool`: case-insensitive, unique prefixes of `true`, `false`, `yes`,
/// `no`, at least two letters of `on` / `off`, and `1` / `0`. `None`: not a boolean.
pub fn parse_bool(value: &str) -> Option<bool> {
    let v = value.to_ascii_lowercase();
    let n = v.len();
    let prefix = |word: &str, min: usize| n >= min && n <= word.len() && word.starts_with(&v);
    if n == 0 {
        None
    } else if prefix("true", 1) {
        Some(true)
    } else if prefix("false", 1) {
        Some(false)
    } else if prefix("yes", 1) {
        Some(true)
    } else if prefix("no", 1) {
        Some(false)
    } else if prefix("on", 2) {
        Some(true)
    } else if prefix("off", 2) {
        Some(false)
    } else if v == "1" {
        Some(true)
    } else if v == "0" {
        Some(false)
    } else {
        None
    }
}

/// The error psql gives for a value that is not a boolean.
pub fn not_bool(value: &str, what: &str) -> Message {
    Message::client(
        "22023",
        format!("unrecognized value \"{value}\" for \"{what}\": Boolean expected"),
    )
}

/// The variables that take a boolean.
const BOOL_VARS: &[&str] = &["ON_ERROR_STOP", "QUIET", "AUTOCOMMIT", "SINGLESTEP"];

/// The values `ECHO` takes.
const ECHO_VALUES: &[&str] = &["none", "errors", "queries", "all"];

impl Vars {
    /// The value of `name`, if it is set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// Whether the boolean variable `name` is on (unset or not a boolean: `default`).
    pub fn bool_or(&self, name: &str, default: bool) -> bool {
        self.get(name).and_then(parse_bool).unwrap_or(default)
    }

    /// Sets `name` to `value` without checking (the session's own variables).
    pub fn put(&mut self, name: &str, value: impl Into<String>) {
        self.map.insert(name.to_string(), value.into());
    }

    /// Sets a variable as `\set` does (`None`: `\unset`), with psql's checks and
    /// substitutions for the special variables. An error leaves the old value.
    pub fn set(&mut self, name: &str, value: Option<&str>) -> Result<(), Message> {
        if !valid_name(name) {
            return Err(Message::client(
                "42602",
                format!("invalid variable name: \"{name}\""),
            ));
        }
        let value: Option<String> = if BOOL_VARS.contains(&name) {
            // psql's bool_substitute_hook: unset is off, empty is on.
            let v = match value {
                None => "off",
                Some("") => "on",
                Some(v) => v,
            };
            if parse_bool(v).is_none() {
                return Err(not_bool(v, name));
            }
            Some(v.to_string())
        } else if name == "ECHO" {
            let v = value.unwrap_or("none");
            if !ECHO_VALUES.iter().any(|e| e.eq_ignore_ascii_case(v)) {
                return Err(Message::client(
                    "22023",
                    format!(
                        "unrecognized value \"{v}\" for \"ECHO\"\nAvailable values are: {}.",
                        ECHO_VALUES.join(", ")
                    ),
                ));
            }
            Some(v.to_string())
        } else {
            value.map(str::to_string)
        };
        match value {
            Some(v) => {
                self.map.insert(name.to_string(), v);
            }
            None => {
                self.map.remove(name);
            }
        }
        Ok(())
    }

    /// The variables in psql's `\set` listing: `NAME = 'value'` lines, sorted by name.
    pub fn listing(&self) -> String {
        self.map
            .iter()
            .map(|(k, v)| format!("{k} = '{v}'\n"))
            .collect()
    }

    /// What `:name` (`kind` `b' '`), `:'name'` (`b'\''`) or `:"name"` (`b'"'`) becomes, if
    /// the variable is set.
    pub fn interpolate(&self, name: &str, kind: u8) -> Option<String> {
        let v = self.get(name)?;
        Some(match kind {
            b'\'' => quote_literal(v),
            b'"' => quote_ident(v),
            _ => v.to_string(),
        })
    }
}

/// A string literal as libpq's `PQescapeLiteral` writes it: quotes doubled, and when the
/// value holds a backslash, backslashes doubled and ` E'…'` (with its leading space).
pub fn quote_literal(v: &str) -> String {
    let backslash = v.contains('\\');
    let mut s = String::with_capacity(v.len() + 4);
    if backslash {
        s.push_str(" E");
    }
    s.push('\'');
    for c in v.chars() {
        match c {
            '\'' => s.push_str("''"),
            '\\' => s.push_str("\\\\"),
            c => s.push(c),
        }
    }
    s.push('\'');
    s
}

/// An identifier as libpq's `PQescapeIdentifier` writes it: always quoted, quotes doubled.
pub fn quote_ident(v: &str) -> String {
    format!("\"{}\"", v.replace('"', "\"\""))
}

/// Finds a variable reference at `b[i]` (a `:`): its kind (`b' '`, `b'\''`, `b'"'`), name
/// and end. `None`: no reference starts here (`::` is not one; the caller skips it).
pub fn reference_at(s: &str, i: usize) -> Option<(u8, &str, usize)> {
    let b = s.as_bytes();
    match b.get(i + 1) {
        Some(&q @ (b'\'' | b'"')) => {
            let start = i + 2;
            let mut j = start;
            while b.get(j).is_some_and(|&c| name_char(c)) {
                j += 1;
            }
            (j > start && b.get(j) == Some(&q)).then(|| (q, &s[start..j], j + 1))
        }
        Some(&c) if name_char(c) => {
            let start = i + 1;
            let mut j = start;
            while b.get(j).is_some_and(|&c| name_char(c)) {
                j += 1;
            }
            Some((b' ', &s[start..j], j))
        }
        _ => None,
    }
}

/// Quotes `v` as one single-quoted meta-command argument (see [`crate::script::meta_args`]).
fn meta_quote(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "''"))
}

/// Interpolates variables into a meta-command line (`\echo :x`): outside `'…'` and `"…"`,
/// `:name`, `:'name'` and `:"name"` of set variables become their text, quoted so that the
/// argument splitter keeps it whole. `\copy`, `\!`, `\h` and `\sf` take their line as it
/// is, as psql's do.
pub fn interpolate_meta(cmd: &str, vars: &Vars) -> String {
    let name = cmd.split_whitespace().next().unwrap_or("");
    if matches!(
        name,
        "\\copy" | "\\!" | "\\h" | "\\help" | "\\sf" | "\\sf+" | "\\sv" | "\\sv+"
    ) || !cmd.contains(':')
    {
        return cmd.to_string();
    }
    let b = cmd.as_bytes();
    let mut out = String::with_capacity(cmd.len());
    // The command's name is not interpolated.
    let mut i = name.len() + cmd.find(name).unwrap_or(0);
    out.push_str(&cmd[..i]);
    let mut last = i;
    while i < b.len() {
        match b[i] {
            b'\'' => {
                // To the closing quote; `''` and backslash escapes stay inside.
                i += 1;
                while i < b.len() {
                    match b[i] {
                        b'\\' => i += 2,
                        b'\'' if b.get(i + 1) == Some(&b'\'') => i += 2,
                        b'\'' => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += 1;
                }
                i += 1;
            }
            b':' => match reference_at(cmd, i) {
                Some((kind, var, end)) => {
                    // A variable that is not set stays as written (quoted, so that its
                    // `'` is no quote to the argument splitter).
                    let v = vars
                        .interpolate(var, kind)
                        .unwrap_or_else(|| cmd[i..end].to_string());
                    out.push_str(&cmd[last..i]);
                    out.push_str(&meta_quote(&v));
                    last = end;
                    i = end;
                }
                None => i += 1,
            },
            _ => i += 1,
        }
    }
    out.push_str(&cmd[last.min(cmd.len())..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_as_psql() {
        for t in ["on", "ON", "t", "tr", "true", "y", "yes", "1"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["off", "of", "f", "false", "n", "no", "0"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        for x in ["", "o", "maybe", "2", "truex", "onn"] {
            assert_eq!(parse_bool(x), None, "{x}");
        }
    }

    #[test]
    fn special_variables_are_checked() {
        let mut v = Vars::default();
        v.set("ON_ERROR_STOP", Some("")).expect("empty is on");
        assert_eq!(v.get("ON_ERROR_STOP"), Some("on"));
        assert!(v.set("ON_ERROR_STOP", Some("bogus")).is_err());
        assert_eq!(v.get("ON_ERROR_STOP"), Some("on"));
        v.set("ON_ERROR_STOP", None).expect("unset is off");
        assert_eq!(v.get("ON_ERROR_STOP"), Some("off"));
        let e = v.set("ECHO", Some("loud")).expect_err("not an ECHO value");
        assert!(e.message.ends_with("none, errors, queries, all."));
        assert!(v.set("a b", Some("x")).is_err());
        v.set("x", Some("1")).expect("set");
        v.set("x", None).expect("unset");
        assert_eq!(v.get("x"), None);
    }

    #[test]
    fn quoting_as_libpq() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b"), " E'a\\\\b'");
        assert_eq!(quote_ident("x\"y"), "\"x\"\"y\"");
    }

    #[test]
    fn meta_lines_are_interpolated_outside_quotes() {
        let mut v = Vars::default();
        v.put("a", "1");
        v.put("b", "x y");
        assert_eq!(
            interpolate_meta("\\echo :a :b :'b' :\"b\" ':a' \":a\" pre:a :nope", &v),
            "\\echo '1' 'x y' '''x y''' '\"x y\"' ':a' \":a\" pre'1' ':nope'"
        );
        assert_eq!(interpolate_meta("\\copy t to ':a'", &v), "\\copy t to ':a'");
    }
}
