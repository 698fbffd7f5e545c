//! Composite (row) types and values: PostgreSQL's `record` and the row type of each table.
//!
//! A [`RecordType`] names its fields and their types; an anonymous row (`ROW(1, 'a')`) is
//! PostgreSQL's `record` (OID 2249) with fields `f1`, `f2`, ... A [`RecordValue`] carries its
//! field names next to its values (shared, not copied per row) so that `to_json` and friends
//! can name the keys without the catalog; equality, order and hashing look at the values only.
//!
//! Text I/O follows PostgreSQL's `record_out` / `record_in`: `(1,a)`, an empty field for NULL,
//! a field in double quotes when it is empty or holds a quote, backslash, parenthesis, comma
//! or white space (quotes and backslashes doubled inside).

use std::sync::Arc;

use super::datatype::DataType;
use super::datetime::TypeContext;
use super::error::{TypeError, TypeResult, codes};
use super::value::Value;

/// The OID of the pseudo-type `record`.
pub const RECORD_OID: u32 = 2249;
/// The OID of `record[]`.
pub const RECORD_ARRAY_OID: u32 = 2287;

/// A composite type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordType {
    /// The OID in `pg_type` ([`RECORD_OID`] for an anonymous row).
    pub oid: u32,
    /// The OID of its array type.
    pub array_oid: u32,
    /// The name `format_type` prints (`None` for `record`).
    pub name: Option<String>,
    /// The fields, in order.
    pub fields: Vec<(String, DataType)>,
}

impl RecordType {
    /// An anonymous row of these field types, named `f1`, `f2`, ... as PostgreSQL does.
    pub fn anonymous(types: Vec<DataType>) -> RecordType {
        RecordType {
            oid: RECORD_OID,
            array_oid: RECORD_ARRAY_OID,
            name: None,
            fields: types
                .into_iter()
                .enumerate()
                .map(|(i, t)| (format!("f{}", i + 1), t))
                .collect(),
        }
    }

    /// An anonymous row with named fields (a subquery's whole row, a function's columns).
    pub fn named_fields(fields: Vec<(String, DataType)>) -> RecordType {
        RecordType {
            oid: RECORD_OID,
            array_oid: RECORD_ARRAY_OID,
            name: None,
            fields,
        }
    }

    /// Whether this is the anonymous `record` type.
    pub fn is_anonymous(&self) -> bool {
        self.oid == RECORD_OID
    }

    /// The field names, shared by the values of this type.
    pub fn names(&self) -> Arc<[String]> {
        self.fields.iter().map(|(n, _)| n.clone()).collect()
    }
}

/// A composite value: field values with their names.
#[derive(Debug, Clone)]
pub struct RecordValue {
    /// Field names (same length as `fields`).
    pub names: Arc<[String]>,
    /// Field values; NULL fields are [`Value::Null`].
    pub fields: Vec<Value>,
}

impl Value {
    /// A record value.
    pub fn record(names: Arc<[String]>, fields: Vec<Value>) -> Value {
        Value::Record(Box::new(RecordValue { names, fields }))
    }
}

fn malformed(input: &str, detail: &str) -> TypeError {
    TypeError::new(
        codes::INVALID_TEXT_REPRESENTATION,
        format!("malformed record literal: \"{input}\""),
    )
    .with_detail(detail)
}

/// PostgreSQL's `record_in` for a known row type.
pub fn parse_record(input: &str, ty: &RecordType, ctx: &TypeContext) -> TypeResult<Value> {
    let mut chars = input.chars().peekable();
    while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
        chars.next();
    }
    if chars.next() != Some('(') {
        return Err(malformed(input, "Missing left parenthesis."));
    }
    let mut fields = Vec::with_capacity(ty.fields.len());
    for (i, (_, ft)) in ty.fields.iter().enumerate() {
        if i > 0 {
            if chars.peek() == Some(&',') {
                chars.next();
            } else {
                return Err(malformed(input, "Too few columns."));
            }
        }
        if matches!(chars.peek(), Some(',' | ')')) {
            fields.push(Value::Null);
            continue;
        }
        let mut buf = String::new();
        let mut inquote = false;
        loop {
            let Some(&c) = chars.peek() else {
                return Err(malformed(input, "Unexpected end of input."));
            };
            if !inquote && (c == ',' || c == ')') {
                break;
            }
            chars.next();
            match c {
                '\\' => match chars.next() {
                    Some(n) => buf.push(n),
                    None => return Err(malformed(input, "Unexpected end of input.")),
                },
                '"' if !inquote => inquote = true,
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    buf.push('"');
                }
                '"' => inquote = false,
                c => buf.push(c),
            }
        }
        fields.push(super::text::parse_text(&buf, ft, ctx)?);
    }
    if chars.next() != Some(')') {
        return Err(malformed(input, "Too many columns."));
    }
    while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
        chars.next();
    }
    if chars.next().is_some() {
        return Err(malformed(input, "Junk after right parenthesis."));
    }
    Ok(Value::record(ty.names(), fields))
}

/// PostgreSQL's `record_out`.
pub fn format_record(r: &RecordValue, ctx: &TypeContext) -> String {
    let mut out = String::from("(");
    for (i, f) in r.fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let Some(s) = super::text::format_text(f, ctx) else {
            continue;
        };
        let quote = s.is_empty()
            || s.chars()
                .any(|c| matches!(c, '"' | '\\' | '(' | ')' | ',') || c.is_ascii_whitespace());
        if !quote {
            out.push_str(&s);
            continue;
        }
        out.push('"');
        for c in s.chars() {
            if c == '"' || c == '\\' {
                out.push(c);
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push(')');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_text_round_trip() {
        let ctx = TypeContext::default();
        let ty = RecordType::anonymous(vec![DataType::Int4, DataType::Text]);
        for s in [
            "(1,a)",
            "(2,)",
            "(,)",
            "(3,\"a b\")",
            "(4,\"\")",
            "(5,\"q\"\"u\\\\\")",
        ] {
            let v = parse_record(s, &ty, &ctx).unwrap();
            let Value::Record(r) = &v else { panic!() };
            assert_eq!(format_record(r, &ctx), s);
        }
        for (s, d) in [
            ("1,a)", "Missing left parenthesis."),
            ("(1", "Unexpected end of input."),
            ("(1)", "Too few columns."),
            ("(1,a,b)", "Too many columns."),
            ("(1,a) x", "Junk after right parenthesis."),
        ] {
            let e = parse_record(s, &ty, &ctx).unwrap_err();
            assert_eq!(e.detail(), Some(d), "{s}");
        }
    }
}
