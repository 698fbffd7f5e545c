//! Array input and output (`array_in` / `array_out`) for one-dimensional arrays.
//!
//! Input: `{1,2,NULL}`, whitespace around elements ignored, double-quoted elements with
//! backslash escapes, backslash escapes in unquoted elements, unquoted `NULL` (any case) as a
//! NULL element, `{}` for the empty array, and an optional `[1:n]=` dimension decoration.
//! Output quotes an element when it is empty, is `NULL` in any case, or contains `{ } , " \`
//! or whitespace, escaping `"` and `\` inside the quotes.
//!
//! **Not supported yet:** multidimensional arrays and lower bounds other than 1 (rejected
//! with 0A000).

use super::datatype::DataType;
use super::datetime::TypeContext;
use super::error::{TypeError, TypeResult, codes};
use super::text::{format_text, parse_text};
use super::value::Value;

fn is_array_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0B' | b'\x0C')
}

fn malformed(input: &str, detail: &str) -> TypeError {
    TypeError::new(
        codes::INVALID_TEXT_REPRESENTATION,
        format!("malformed array literal: \"{input}\""),
    )
    .with_detail(detail)
}

/// One element as read: its text, or `None` for an unquoted NULL.
fn split_elements(input: &str) -> TypeResult<Vec<Option<String>>> {
    let b = input.as_bytes();
    let mut i = 0;
    while i < b.len() && is_array_space(b[i]) {
        i += 1;
    }
    let mut declared: Option<usize> = None;
    if b.get(i) == Some(&b'[') {
        // [lb:ub]= decoration
        let close = input[i..]
            .find(']')
            .map(|p| p + i)
            .ok_or_else(|| malformed(input, "Missing \"]\" after array dimensions."))?;
        let dims = &input[i + 1..close];
        let (lb, ub) = match dims.split_once(':') {
            Some((l, u)) => (l.trim().parse::<i64>(), u.trim().parse::<i64>()),
            None => (Ok(1), dims.trim().parse::<i64>()),
        };
        let (Ok(lb), Ok(ub)) = (lb, ub) else {
            return Err(malformed(
                input,
                "\"[\" must introduce explicitly-specified array dimensions.",
            ));
        };
        if ub < lb {
            return Err(TypeError::new(
                codes::ARRAY_SUBSCRIPT_ERROR,
                "upper bound cannot be less than lower bound",
            ));
        }
        if lb != 1 {
            return Err(TypeError::new(
                codes::FEATURE_NOT_SUPPORTED,
                "arrays with a lower bound other than 1 are not supported",
            ));
        }
        i = close + 1;
        if b.get(i) == Some(&b'[') {
            return Err(TypeError::new(
                codes::FEATURE_NOT_SUPPORTED,
                "multidimensional arrays are not supported",
            ));
        }
        while i < b.len() && is_array_space(b[i]) {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            return Err(malformed(input, "Missing \"=\" after array dimensions."));
        }
        i += 1;
        while i < b.len() && is_array_space(b[i]) {
            i += 1;
        }
        declared = Some((ub - lb + 1) as usize);
    }
    if b.get(i) != Some(&b'{') {
        return Err(malformed(
            input,
            "Array value must start with \"{\" or dimension information.",
        ));
    }
    i += 1;
    let mut out = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && is_array_space(b[*i]) {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            skip_ws(&mut i);
            let Some(&c) = b.get(i) else {
                return Err(malformed(input, "Unexpected end of input."));
            };
            let mut text: Vec<u8> = Vec::new();
            let mut is_null_candidate = true;
            match c {
                b'"' => {
                    is_null_candidate = false;
                    i += 1;
                    loop {
                        match b.get(i) {
                            None => return Err(malformed(input, "Unexpected end of input.")),
                            Some(b'"') => {
                                i += 1;
                                break;
                            }
                            Some(b'\\') => {
                                let Some(&n) = b.get(i + 1) else {
                                    return Err(malformed(input, "Unexpected end of input."));
                                };
                                text.push(n);
                                i += 2;
                            }
                            Some(&o) => {
                                text.push(o);
                                i += 1;
                            }
                        }
                    }
                    skip_ws(&mut i);
                }
                b'{' => {
                    return Err(TypeError::new(
                        codes::FEATURE_NOT_SUPPORTED,
                        "multidimensional arrays are not supported",
                    ));
                }
                b',' => return Err(malformed(input, "Unexpected \",\" character.")),
                b'}' => return Err(malformed(input, "Unexpected \"}\" character.")),
                _ => {
                    // Unquoted: up to an unescaped ',' or '}', trailing unescaped spaces dropped.
                    let mut keep = 0; // length of text up to the last escaped or non-space byte
                    loop {
                        match b.get(i) {
                            None => return Err(malformed(input, "Unexpected end of input.")),
                            Some(b',' | b'}') => break,
                            Some(b'"') => {
                                return Err(malformed(input, "Unexpected array element."));
                            }
                            Some(b'{') => {
                                return Err(malformed(input, "Unexpected \"{\" character."));
                            }
                            Some(b'\\') => {
                                let Some(&n) = b.get(i + 1) else {
                                    return Err(malformed(input, "Unexpected end of input."));
                                };
                                is_null_candidate = false;
                                text.push(n);
                                keep = text.len();
                                i += 2;
                            }
                            Some(&o) => {
                                text.push(o);
                                if !is_array_space(o) {
                                    keep = text.len();
                                }
                                i += 1;
                            }
                        }
                    }
                    text.truncate(keep);
                }
            }
            let s = String::from_utf8(text)
                .map_err(|_| malformed(input, "Unexpected array element."))?;
            if is_null_candidate && s.eq_ignore_ascii_case("NULL") {
                out.push(None);
            } else {
                out.push(Some(s));
            }
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => {
                    i += 1;
                    break;
                }
                None => return Err(malformed(input, "Unexpected end of input.")),
                Some(_) => return Err(malformed(input, "Unexpected array element.")),
            }
        }
    }
    skip_ws(&mut i);
    if i != b.len() {
        return Err(malformed(input, "Junk after closing right brace."));
    }
    if let Some(n) = declared
        && n != out.len()
    {
        return Err(malformed(
            input,
            "Specified array dimensions do not match array contents.",
        ));
    }
    Ok(out)
}

/// `array_in` for an array of `element`.
pub fn parse_array(input: &str, element: &DataType, ctx: &TypeContext) -> TypeResult<Value> {
    let parts = split_elements(input)?;
    let mut elements = Vec::with_capacity(parts.len());
    for p in parts {
        elements.push(match p {
            None => Value::Null,
            Some(s) => parse_text(&s, element, ctx)?,
        });
    }
    Ok(Value::array(element.without_typmod(), elements))
}

/// `array_out`.
pub fn format_array(elements: &[Value], ctx: &TypeContext) -> String {
    let mut out = String::from("{");
    for (i, e) in elements.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match format_text(e, ctx) {
            None => out.push_str("NULL"),
            Some(s) => {
                let needs_quotes = s.is_empty()
                    || s.eq_ignore_ascii_case("NULL")
                    || s.bytes().any(|c| {
                        matches!(c, b'{' | b'}' | b',' | b'"' | b'\\') || is_array_space(c)
                    });
                if needs_quotes {
                    out.push('"');
                    for c in s.chars() {
                        if c == '"' || c == '\\' {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    out.push('"');
                } else {
                    out.push_str(&s);
                }
            }
        }
    }
    out.push('}');
    out
}
