//! psql's object-name patterns (`\dt sh*.it?ms`, `\d "MixedCase"`) as SQL conditions.
//!
//! The rules are psql's (`processSQLNamePattern`): an unquoted `.` separates the schema from
//! the name; unquoted letters fold to lower case; `*` matches any run and `?` one character;
//! double quotes keep case and make `*`, `?` and `.` literal; other regular-expression
//! characters pass through unquoted (psql documents `[0-9]`-style classes). Each part becomes
//! an anchored regular expression compared with `OPERATOR(pg_catalog.~)`, as psql sends it,
//! and a name without a schema is restricted to visible objects (the search path).

/// A pattern with more dotted parts than a name can have.
#[derive(Debug, PartialEq, Eq)]
pub struct TooManyDots(pub String);

/// The `AND ...` lines that restrict `name_col` (and `schema_col`) to `pattern`; `visible` is
/// the visibility test added when the pattern names no schema.
pub fn conditions(
    pattern: &str,
    schema_col: Option<&str>,
    name_col: &str,
    visible: Option<&str>,
) -> Result<String, TooManyDots> {
    let parts = split(pattern);
    let max = if schema_col.is_some() { 2 } else { 1 };
    if parts.len() > max {
        return Err(TooManyDots(pattern.to_string()));
    }
    let mut out = String::new();
    let (schema, name) = match parts.as_slice() {
        [n] => (None, n.as_str()),
        [s, n] => (Some(s.as_str()), n.as_str()),
        _ => (None, ".*"),
    };
    if name != ".*" {
        out.push_str(&format!(
            "  AND {name_col} OPERATOR(pg_catalog.~) {} COLLATE pg_catalog.default\n",
            literal(&format!("^({name})$"))
        ));
    }
    match (schema, schema_col) {
        (Some(s), Some(col)) => {
            if s != ".*" {
                out.push_str(&format!(
                    "  AND {col} OPERATOR(pg_catalog.~) {} COLLATE pg_catalog.default\n",
                    literal(&format!("^({s})$"))
                ));
            }
        }
        _ => {
            if let Some(v) = visible {
                out.push_str(&format!("  AND {v}\n"));
            }
        }
    }
    Ok(out)
}

/// The dotted parts of `pattern`, each turned into a regular expression.
fn split(pattern: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut in_quotes = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        let cur = parts.last_mut().expect("parts is never empty");
        if c == '"' {
            if in_quotes && chars.peek() == Some(&'"') {
                chars.next();
                cur.push('"');
            } else {
                in_quotes = !in_quotes;
            }
        } else if !in_quotes && c == '*' {
            cur.push_str(".*");
        } else if !in_quotes && c == '?' {
            cur.push('.');
        } else if !in_quotes && c == '.' {
            parts.push(String::new());
        } else if c == '$' {
            cur.push_str("\\$");
        } else if in_quotes && "|*+?()[]{}.^\\".contains(c) {
            cur.push('\\');
            cur.push(c);
        } else if in_quotes {
            cur.push(c);
        } else {
            cur.extend(c.to_lowercase());
        }
    }
    parts
}

/// `s` as a standard SQL string literal.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_pattern_rules() {
        let c = |p| conditions(p, Some("n.nspname"), "c.relname", Some("vis(c.oid)")).unwrap();
        assert_eq!(
            c("Items"),
            "  AND c.relname OPERATOR(pg_catalog.~) '^(items)$' COLLATE pg_catalog.default\n  AND vis(c.oid)\n"
        );
        assert_eq!(
            c("sh*.*"),
            "  AND n.nspname OPERATOR(pg_catalog.~) '^(sh.*)$' COLLATE pg_catalog.default\n"
        );
        assert_eq!(
            c("\"My.T*\"?"),
            "  AND c.relname OPERATOR(pg_catalog.~) '^(My\\.T\\*.)$' COLLATE pg_catalog.default\n  AND vis(c.oid)\n"
        );
        assert_eq!(c("*"), "  AND vis(c.oid)\n");
        assert!(conditions("a.b.c", Some("s"), "n", None).is_err());
        assert_eq!(
            c("o'x"),
            "  AND c.relname OPERATOR(pg_catalog.~) '^(o''x)$' COLLATE pg_catalog.default\n  AND vis(c.oid)\n"
        );
    }
}
