//! The I/O of PostgreSQL's catalog-oriented types: `name`, `"char"`, `int2vector` and
//! `oidvector`.
//!
//! - `name` holds at most [`NAME_MAX_BYTES`] bytes: longer input is cut at the last whole
//!   character (`namein`'s `pg_mbcliplen`), never rejected.
//! - `"char"` is one byte: input keeps the first byte, or reads `\ooo` (exactly a backslash
//!   and three octal digits); output prints bytes of 128 and up as `\ooo` and 0 as the empty
//!   string (`charin` / `charout`).
//! - `int2vector` and `oidvector` read whitespace-separated numbers (`int2vectorin`,
//!   `oidvectorin`, with their error texts quoting the rest of the input) and print them
//!   separated by single spaces. Their values are arrays with lower bound 0
//!   ([`Value::vector`]), so subscripts, `unnest` and the array functions see PostgreSQL's
//!   0-based positions.

use super::datatype::DataType;
use super::error::{TypeError, TypeResult};
use super::value::{ArrayValue, Value};

/// PostgreSQL's `NAMEDATALEN - 1`.
pub const NAME_MAX_BYTES: usize = 63;

/// `namein`: `s` cut to at most 63 bytes at a character boundary.
pub fn truncate_name(s: &str) -> String {
    if s.len() <= NAME_MAX_BYTES {
        return s.to_owned();
    }
    let mut cut = NAME_MAX_BYTES;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s[..cut].to_owned()
}

/// `charin`.
pub fn parse_char(s: &str) -> u8 {
    let b = s.as_bytes();
    if b.len() == 4 && b[0] == b'\\' && b[1..].iter().all(|c| (b'0'..=b'7').contains(c)) {
        // Three octal digits may exceed a byte (`\777`); C's char conversion wraps.
        let v =
            (u32::from(b[1] - b'0') << 6) | (u32::from(b[2] - b'0') << 3) | u32::from(b[3] - b'0');
        return (v & 0xff) as u8;
    }
    b.first().copied().unwrap_or(0)
}

/// `charout`.
pub fn format_char(c: u8) -> String {
    match c {
        0 => String::new(),
        c if c >= 0x80 => format!("\\{:03o}", c),
        c => char::from(c).to_string(),
    }
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// The digits `strtol` would read at the start of `s` (after an optional sign): the value
/// (`None` on overflow of i128) and the bytes consumed; 0 consumed when there are none.
fn leading_integer(s: &[u8]) -> (Option<i128>, usize) {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let start = i;
    let mut v: Option<i128> = Some(0);
    while i < s.len() && s[i].is_ascii_digit() {
        v = v
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(i128::from(s[i] - b'0')));
        i += 1;
    }
    if i == start {
        return (None, 0);
    }
    (v.map(|v| if neg { -v } else { v }), i)
}

/// `int2vectorin`: numbers separated by spaces (leading whitespace of each is skipped).
pub fn parse_int2vector(input: &str) -> TypeResult<Value> {
    let out = parse_vector_elements(input, "smallint", true, |v, rest| {
        v.and_then(|v| i16::try_from(v).ok())
            .map(Value::Int2)
            .ok_or_else(|| TypeError::value_out_of_range("smallint", rest))
    })?;
    Ok(Value::vector(DataType::Int2, out))
}

/// `oidvectorin`: OIDs one after the other, as `strtoul` reads them (whitespace between
/// them is skipped; a negative number wraps to its unsigned 32-bit value, as `oidin`'s).
pub fn parse_oidvector(input: &str) -> TypeResult<Value> {
    let out = parse_vector_elements(input, "oid", false, |v, rest| {
        let oid = match v {
            Some(v) if (0..=i128::from(u32::MAX)).contains(&v) => v as u32,
            Some(v) if (i128::from(i32::MIN)..0).contains(&v) => (v as i32) as u32,
            _ => return Err(TypeError::value_out_of_range("oid", rest)),
        };
        Ok(Value::Oid(oid))
    })?;
    Ok(Value::vector(DataType::Oid, out))
}

/// The integers of a vector's text, whitespace-separated; `elem` checks and converts each
/// (given the rest of the input for its messages). With `space_after`, a number must be
/// followed by a space or the end (`int2vectorin`'s rule).
fn parse_vector_elements(
    input: &str,
    type_name: &str,
    space_after: bool,
    elem: impl Fn(Option<i128>, &str) -> TypeResult<Value>,
) -> TypeResult<Vec<Value>> {
    let b = input.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    loop {
        while i < b.len() && is_c_space(b[i]) {
            i += 1;
        }
        if i == b.len() {
            return Ok(out);
        }
        let rest = &input[i..];
        let (v, used) = leading_integer(&b[i..]);
        if used == 0 {
            return Err(TypeError::invalid_syntax(type_name, rest));
        }
        let value = elem(v, rest)?;
        i += used;
        if space_after && i < b.len() && b[i] != b' ' {
            return Err(TypeError::invalid_syntax(type_name, rest));
        }
        out.push(value);
    }
}

/// `int2vectorout` / `oidvectorout`.
pub fn format_vector(a: &ArrayValue) -> String {
    let mut out = String::new();
    for (k, e) in a.elements.iter().enumerate() {
        if k > 0 {
            out.push(' ');
        }
        match e {
            Value::Int2(v) => out.push_str(&v.to_string()),
            Value::Int8(v) => out.push_str(&v.to_string()),
            Value::Oid(v) => out.push_str(&v.to_string()),
            _ => out.push('0'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::TypeContext;
    use crate::types::format_text;

    fn vec_text(v: TypeResult<Value>) -> String {
        match v {
            Ok(v) => format_text(&v, &TypeContext::default()).unwrap_or_default(),
            Err(e) => format!("{}: {}", e.code(), e.message()),
        }
    }

    #[test]
    fn vectors() {
        assert_eq!(vec_text(parse_int2vector("  1   2  ")), "1 2");
        assert_eq!(vec_text(parse_int2vector("")), "");
        assert_eq!(
            vec_text(parse_int2vector("1 x 3")),
            "22P02: invalid input syntax for type smallint: \"x 3\""
        );
        assert_eq!(
            vec_text(parse_int2vector("1,2")),
            "22P02: invalid input syntax for type smallint: \"1,2\""
        );
        assert_eq!(
            vec_text(parse_int2vector("1 70000 3")),
            "22003: value \"70000 3\" is out of range for type smallint"
        );
        assert_eq!(vec_text(parse_int2vector("+3 -4")), "3 -4");
        assert_eq!(vec_text(parse_oidvector("-1")), "4294967295");
        assert_eq!(
            vec_text(parse_oidvector("1,2")),
            "22P02: invalid input syntax for type oid: \",2\""
        );
        assert_eq!(
            vec_text(parse_oidvector("4294967296")),
            "22003: value \"4294967296\" is out of range for type oid"
        );
    }

    #[test]
    fn order_and_keys_agree() {
        use crate::keycode::{SortOrder, encode_into};
        let key = |v: &Value| {
            let mut out = Vec::new();
            encode_into(
                &mut out,
                &crate::types::to_key_value(v).unwrap(),
                SortOrder::ASC,
            );
            out
        };
        let ordered = [
            parse_oidvector("").unwrap(),
            parse_oidvector("9").unwrap(),
            parse_oidvector("1 1").unwrap(),
            parse_oidvector("1 2").unwrap(),
        ];
        for w in ordered.windows(2) {
            assert!(w[0] < w[1], "{w:?}");
            assert!(key(&w[0]) < key(&w[1]), "{w:?}");
        }
        let chars = [Value::Char(0), Value::Char(b'a'), Value::Char(0xc3)];
        for w in chars.windows(2) {
            assert!(w[0] < w[1] && key(&w[0]) < key(&w[1]), "{w:?}");
        }
    }

    #[test]
    fn names_and_chars() {
        assert_eq!(truncate_name(&"x".repeat(70)).len(), 63);
        assert_eq!(truncate_name(&"é".repeat(40)).len(), 62);
        assert_eq!(parse_char("abc"), b'a');
        assert_eq!(parse_char(""), 0);
        assert_eq!(parse_char("\\101"), b'A');
        assert_eq!(parse_char("é"), 0xc3);
        assert_eq!(format_char(0xc3), "\\303");
        assert_eq!(format_char(0), "");
    }
}
