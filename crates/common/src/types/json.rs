//! `json` and `jsonb`: a JSON parser with PostgreSQL's error messages, and [`Jsonb`], the
//! canonical tree `jsonb` stores.
//!
//! - `json` keeps the input text verbatim; input only validates it (as PostgreSQL does,
//!   `\u0000` and lone surrogates are accepted there, since nothing is de-escaped).
//! - `jsonb` parses into [`Jsonb`]: numbers become [`Numeric`] (so `1.50` keeps its scale and
//!   `1e2` becomes `100`), strings are de-escaped (`\u0000` is rejected with 22P05), object
//!   keys are sorted by length then bytes and duplicate keys keep the last value. Output
//!   prints `{"a": 1, "b": [1, 2]}` with PostgreSQL's spacing and escaping.
//!
//! Order (for ORDER BY and index keys) follows PostgreSQL's jsonb b-tree rules: by kind,
//! `null < string < number < boolean < array < object`; arrays first by length, then element
//! by element; objects first by number of pairs, then key, value, key, value... taken in
//! stored key order (length first) but each key compared as a string. At the top level an
//! empty array sorts before every scalar, as in PostgreSQL.

use std::cmp::Ordering;

use super::error::{TypeError, TypeResult, codes};
use super::numeric::Numeric;

/// Deepest nesting accepted. PostgreSQL is bounded by `max_stack_depth` instead (about
/// 5000 levels with the default 2 MB); Basalt's limit keeps the recursive operations on
/// [`Jsonb`] (printing, comparison, hashing, dropping) within a thread's stack.
const MAX_DEPTH: usize = 1000;

/// A `jsonb` value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Jsonb {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, kept as PostgreSQL's `numeric`.
    Number(Numeric),
    /// A string (de-escaped).
    String(String),
    /// An array.
    Array(Vec<Jsonb>),
    /// An object; keys sorted by (length, bytes) and unique.
    Object(Vec<(String, Jsonb)>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    ObjStart,
    ObjEnd,
    ArrStart,
    ArrEnd,
    Comma,
    Colon,
    Str(Option<String>),
    Num(String),
    True,
    False,
    Null,
    End,
}

struct Lexer<'a> {
    s: &'a str,
    pos: usize,
    /// De-escape strings (jsonb) or only validate them (json).
    decode: bool,
    /// Text of the last token, for error messages.
    tok_text: String,
}

fn syntax(detail: impl Into<String>) -> TypeError {
    TypeError::new(
        codes::INVALID_TEXT_REPRESENTATION,
        "invalid input syntax for type json",
    )
    .with_detail(detail)
}

fn is_json_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

impl<'a> Lexer<'a> {
    fn invalid_token(&self, end: usize) -> TypeError {
        let mut e = end.min(self.s.len());
        while !self.s.is_char_boundary(e) {
            e += 1;
        }
        syntax(format!("Token \"{}\" is invalid.", &self.s[self.pos..e]))
    }

    fn next(&mut self) -> TypeResult<Tok> {
        let b = self.s.as_bytes();
        while self.pos < b.len() && matches!(b[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(&c) = b.get(start) else {
            self.tok_text.clear();
            return Ok(Tok::End);
        };
        let single = |t: Tok, l: &mut Lexer<'_>| {
            l.pos += 1;
            l.tok_text = (c as char).to_string();
            Ok(t)
        };
        match c {
            b'{' => single(Tok::ObjStart, self),
            b'}' => single(Tok::ObjEnd, self),
            b'[' => single(Tok::ArrStart, self),
            b']' => single(Tok::ArrEnd, self),
            b',' => single(Tok::Comma, self),
            b':' => single(Tok::Colon, self),
            b'"' => self.lex_string(),
            b'-' | b'0'..=b'9' => self.lex_number(),
            _ => {
                let mut p = start;
                while p < b.len() && is_json_alnum(b[p]) {
                    p += 1;
                }
                if p == start {
                    let len = self.s[start..].chars().next().map_or(1, char::len_utf8);
                    return Err(self.invalid_token(start + len));
                }
                let word = &self.s[start..p];
                let t = match word {
                    "true" => Tok::True,
                    "false" => Tok::False,
                    "null" => Tok::Null,
                    _ => return Err(self.invalid_token(p)),
                };
                self.tok_text = word.to_owned();
                self.pos = p;
                Ok(t)
            }
        }
    }

    fn lex_number(&mut self) -> TypeResult<Tok> {
        let b = self.s.as_bytes();
        let start = self.pos;
        let mut p = start;
        let mut error = false;
        if b.get(p) == Some(&b'-') {
            p += 1;
        }
        match b.get(p) {
            Some(b'0') => p += 1,
            Some(b'1'..=b'9') => {
                while b.get(p).is_some_and(u8::is_ascii_digit) {
                    p += 1;
                }
            }
            _ => error = true,
        }
        if b.get(p) == Some(&b'.') {
            p += 1;
            if !b.get(p).is_some_and(u8::is_ascii_digit) {
                error = true;
            }
            while b.get(p).is_some_and(u8::is_ascii_digit) {
                p += 1;
            }
        }
        if matches!(b.get(p), Some(b'e' | b'E')) {
            p += 1;
            if matches!(b.get(p), Some(b'+' | b'-')) {
                p += 1;
            }
            if !b.get(p).is_some_and(u8::is_ascii_digit) {
                error = true;
            }
            while b.get(p).is_some_and(u8::is_ascii_digit) {
                p += 1;
            }
        }
        while p < b.len() && is_json_alnum(b[p]) {
            p += 1;
            error = true;
        }
        if error {
            return Err(self.invalid_token(p));
        }
        let text = self.s[start..p].to_owned();
        self.tok_text = text.clone();
        self.pos = p;
        Ok(Tok::Num(text))
    }

    fn lex_string(&mut self) -> TypeResult<Tok> {
        let b = self.s.as_bytes();
        let start = self.pos;
        let mut p = start + 1;
        let mut out = String::new();
        let mut hi_surrogate: Option<u32> = None;
        let mut run_start = p;
        loop {
            let Some(&c) = b.get(p) else {
                return Err(self.invalid_token(b.len()));
            };
            if c == b'"' {
                break;
            }
            if c < 0x20 {
                return Err(syntax(format!(
                    "Character with value 0x{c:02x} must be escaped."
                )));
            }
            if c != b'\\' {
                if hi_surrogate.is_some() && self.decode {
                    return Err(syntax(
                        "Unicode low surrogate must follow a high surrogate.",
                    ));
                }
                p += 1;
                continue;
            }
            if self.decode {
                out.push_str(&self.s[run_start..p]);
            }
            p += 1;
            let Some(&e) = b.get(p) else {
                return Err(self.invalid_token(b.len()));
            };
            if e == b'u' {
                let hex = b
                    .get(p + 1..p + 5)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit));
                let Some(hex) = hex else {
                    return Err(syntax(
                        "\"\\u\" must be followed by four hexadecimal digits.",
                    ));
                };
                let code = hex.iter().fold(0u32, |acc, h| {
                    acc * 16 + (*h as char).to_digit(16).unwrap_or(0)
                });
                p += 5;
                if self.decode {
                    if (0xD800..0xDC00).contains(&code) {
                        if hi_surrogate.is_some() {
                            return Err(syntax(
                                "Unicode high surrogate must not follow a high surrogate.",
                            ));
                        }
                        hi_surrogate = Some(code);
                    } else if (0xDC00..0xE000).contains(&code) {
                        let Some(hi) = hi_surrogate.take() else {
                            return Err(syntax(
                                "Unicode low surrogate must follow a high surrogate.",
                            ));
                        };
                        let cp = 0x10000 + ((hi - 0xD800) << 10) + (code - 0xDC00);
                        out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                    } else {
                        if hi_surrogate.is_some() {
                            return Err(syntax(
                                "Unicode low surrogate must follow a high surrogate.",
                            ));
                        }
                        if code == 0 {
                            return Err(TypeError::new(
                                codes::UNTRANSLATABLE_CHARACTER,
                                "unsupported Unicode escape sequence",
                            )
                            .with_detail("\\u0000 cannot be converted to text."));
                        }
                        out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                    }
                }
            } else {
                if hi_surrogate.is_some() && self.decode {
                    return Err(syntax(
                        "Unicode low surrogate must follow a high surrogate.",
                    ));
                }
                let ch = match e {
                    b'"' => '"',
                    b'\\' => '\\',
                    b'/' => '/',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    _ => {
                        let shown = self.s[p..].chars().next().unwrap_or('?');
                        return Err(syntax(format!("Escape sequence \"\\{shown}\" is invalid.")));
                    }
                };
                out.push(ch);
                p += 1;
            }
            run_start = p;
        }
        if hi_surrogate.is_some() && self.decode {
            return Err(syntax(
                "Unicode low surrogate must follow a high surrogate.",
            ));
        }
        if self.decode {
            out.push_str(&self.s[run_start..p]);
        }
        self.tok_text = self.s[start..=p].to_owned();
        self.pos = p + 1;
        Ok(Tok::Str(self.decode.then_some(out)))
    }
}

struct Parser<'a> {
    lex: Lexer<'a>,
}

/// An open container while parsing (the parser keeps its own stack, so nesting depth is
/// bounded by [`MAX_DEPTH`] rather than by the thread's stack).
enum Frame {
    Array(Vec<Jsonb>),
    Object(Vec<(String, Jsonb)>, String),
}

fn starts_value(t: &Tok) -> bool {
    matches!(
        t,
        Tok::ObjStart
            | Tok::ArrStart
            | Tok::Str(_)
            | Tok::Num(_)
            | Tok::True
            | Tok::False
            | Tok::Null
    )
}

impl Parser<'_> {
    fn unexpected(&self, tok: &Tok, expected: &str) -> TypeError {
        if *tok == Tok::End {
            syntax("The input string ended unexpectedly.")
        } else {
            syntax(format!(
                "Expected {expected}, but found \"{}\".",
                self.lex.tok_text
            ))
        }
    }

    fn too_deep() -> TypeError {
        TypeError::new(codes::STATEMENT_TOO_COMPLEX, "stack depth limit exceeded")
    }

    /// Reads `"key" :` and the token after the colon, which must start a value.
    fn key_colon_value(&mut self, t: Tok, first: bool) -> TypeResult<(String, Tok)> {
        let Tok::Str(key) = t else {
            return Err(self.unexpected(&t, if first { "string or \"}\"" } else { "string" }));
        };
        let colon = self.lex.next()?;
        if colon != Tok::Colon {
            return Err(self.unexpected(&colon, "\":\""));
        }
        let vt = self.lex.next()?;
        if !starts_value(&vt) {
            return Err(self.unexpected(&vt, "JSON value"));
        }
        Ok((key.unwrap_or_default(), vt))
    }

    /// Parses one value starting with `tok`.
    fn value(&mut self, mut tok: Tok) -> TypeResult<Jsonb> {
        let mut stack: Vec<Frame> = Vec::new();
        let keep = self.lex.decode;
        loop {
            // `tok` starts a value: a scalar, or a container to open.
            let mut done = match tok {
                Tok::Null => Jsonb::Null,
                Tok::True => Jsonb::Bool(true),
                Tok::False => Jsonb::Bool(false),
                Tok::Num(t) => {
                    if keep {
                        Jsonb::Number(Numeric::parse(&t)?)
                    } else {
                        Jsonb::Null
                    }
                }
                Tok::Str(s) => Jsonb::String(s.unwrap_or_default()),
                Tok::ArrStart => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(Self::too_deep());
                    }
                    let t = self.lex.next()?;
                    if t == Tok::ArrEnd {
                        Jsonb::Array(Vec::new())
                    } else {
                        if !starts_value(&t) {
                            return Err(self.unexpected(&t, "array element or \"]\""));
                        }
                        stack.push(Frame::Array(Vec::new()));
                        tok = t;
                        continue;
                    }
                }
                Tok::ObjStart => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(Self::too_deep());
                    }
                    let t = self.lex.next()?;
                    if t == Tok::ObjEnd {
                        Jsonb::Object(Vec::new())
                    } else {
                        let (key, vt) = self.key_colon_value(t, true)?;
                        stack.push(Frame::Object(Vec::new(), key));
                        tok = vt;
                        continue;
                    }
                }
                other => return Err(self.unexpected(&other, "JSON value")),
            };
            // A value is complete: attach it to its container, closing containers as
            // their end tokens arrive.
            loop {
                match stack.last_mut() {
                    None => return Ok(done),
                    Some(Frame::Array(items)) => {
                        if keep {
                            items.push(done);
                        }
                        match self.lex.next()? {
                            Tok::Comma => {
                                let t = self.lex.next()?;
                                if !starts_value(&t) {
                                    return Err(self.unexpected(&t, "JSON value"));
                                }
                                tok = t;
                                break;
                            }
                            Tok::ArrEnd => {
                                let Some(Frame::Array(items)) = stack.pop() else {
                                    return Err(Self::too_deep());
                                };
                                done = Jsonb::Array(items);
                            }
                            other => return Err(self.unexpected(&other, "\",\" or \"]\"")),
                        }
                    }
                    Some(Frame::Object(pairs, key)) => {
                        if keep {
                            pairs.push((std::mem::take(key), done));
                        }
                        match self.lex.next()? {
                            Tok::Comma => {
                                let t = self.lex.next()?;
                                let (k, vt) = self.key_colon_value(t, false)?;
                                if let Some(Frame::Object(_, key)) = stack.last_mut() {
                                    *key = k;
                                }
                                tok = vt;
                                break;
                            }
                            Tok::ObjEnd => {
                                let Some(Frame::Object(pairs, _)) = stack.pop() else {
                                    return Err(Self::too_deep());
                                };
                                done = Jsonb::Object(canonical_object(pairs));
                            }
                            other => return Err(self.unexpected(&other, "\",\" or \"}\"")),
                        }
                    }
                }
            }
        }
    }
}

/// Sorts keys by (length, bytes) and keeps the last value of a duplicated key.
/// An object's pairs in jsonb order: keys sorted, the last of equal keys kept.
pub fn canonical_object(pairs: Vec<(String, Jsonb)>) -> Vec<(String, Jsonb)> {
    let mut indexed: Vec<(usize, (String, Jsonb))> = pairs.into_iter().enumerate().collect();
    indexed.sort_by(|(ia, (ka, _)), (ib, (kb, _))| key_order(ka, kb).then(ib.cmp(ia)));
    let mut out: Vec<(String, Jsonb)> = Vec::with_capacity(indexed.len());
    for (_, (k, v)) in indexed {
        if out.last().is_some_and(|(last, _)| *last == k) {
            continue;
        }
        out.push((k, v));
    }
    out
}

fn key_order(a: &str, b: &str) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

fn parse(input: &str, decode: bool) -> TypeResult<Jsonb> {
    let mut p = Parser {
        lex: Lexer {
            s: input,
            pos: 0,
            decode,
            tok_text: String::new(),
        },
    };
    let t = p.lex.next()?;
    let v = p.value(t)?;
    let end = p.lex.next()?;
    if end != Tok::End {
        return Err(p.unexpected(&end, "end of input"));
    }
    Ok(v)
}

/// `json_in`: validates and returns the text unchanged.
pub fn parse_json(input: &str) -> TypeResult<String> {
    parse(input, false)?;
    Ok(input.to_owned())
}

/// `jsonb_in`.
pub fn parse_jsonb(input: &str) -> TypeResult<Jsonb> {
    parse(input, true)
}

/// PostgreSQL's `escape_json`.
pub fn escape_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Jsonb {
    /// `jsonb_out`.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    fn write(&self, out: &mut String) {
        match self {
            Jsonb::Null => out.push_str("null"),
            Jsonb::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Jsonb::Number(n) => out.push_str(&n.to_text()),
            Jsonb::String(s) => escape_json_string(out, s),
            Jsonb::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Jsonb::Object(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    escape_json_string(out, k);
                    out.push_str(": ");
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Jsonb::Null => 0,
            Jsonb::String(_) => 1,
            Jsonb::Number(_) => 2,
            Jsonb::Bool(_) => 3,
            Jsonb::Array(_) => 4,
            Jsonb::Object(_) => 5,
        }
    }

    /// Order-preserving, self-delimiting byte encoding (see the module doc for the order).
    pub(crate) fn key_bytes(&self, out: &mut Vec<u8>) {
        // The top-level empty array sorts before every scalar (see `Ord`).
        if matches!(self, Jsonb::Array(a) if a.is_empty()) {
            out.push(0x0F);
            return;
        }
        self.key_bytes_nested(out);
    }

    fn key_bytes_nested(&self, out: &mut Vec<u8>) {
        out.push(0x10 + self.rank());
        match self {
            Jsonb::Null => {}
            Jsonb::Bool(b) => out.push(u8::from(*b)),
            Jsonb::Number(n) => out.extend(n.key_bytes()),
            Jsonb::String(s) => push_escaped(out, s.as_bytes()),
            Jsonb::Array(items) => {
                out.extend((items.len() as u32).to_be_bytes());
                for v in items {
                    v.key_bytes_nested(out);
                }
            }
            Jsonb::Object(pairs) => {
                out.extend((pairs.len() as u32).to_be_bytes());
                for (k, v) in pairs {
                    push_escaped(out, k.as_bytes());
                    v.key_bytes_nested(out);
                }
            }
        }
    }
}

/// Bytes with `0x00` escaped as `0x00 0xFF` and a `0x00 0x00` terminator: order-preserving
/// and prefix-free.
pub(crate) fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend([0, 0]);
}

impl PartialOrd for Jsonb {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Jsonb {
    /// The order of two `jsonb` documents. At the top level an empty array sorts before
    /// every scalar (PostgreSQL stores a top-level scalar as a one-element array and
    /// compares element counts first); below the top level the kind order applies.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Jsonb::Array(a), b) if a.is_empty() && b.is_scalar() => Ordering::Less,
            (a, Jsonb::Array(b)) if b.is_empty() && a.is_scalar() => Ordering::Greater,
            _ => self.cmp_nested(other),
        }
    }
}

impl Jsonb {
    fn is_scalar(&self) -> bool {
        !matches!(self, Jsonb::Array(_) | Jsonb::Object(_))
    }

    fn cmp_nested(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Jsonb::Bool(a), Jsonb::Bool(b)) => a.cmp(b),
            (Jsonb::Number(a), Jsonb::Number(b)) => a.cmp(b),
            (Jsonb::String(a), Jsonb::String(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Jsonb::Array(a), Jsonb::Array(b)) => a.len().cmp(&b.len()).then_with(|| {
                for (x, y) in a.iter().zip(b) {
                    let o = x.cmp_nested(y);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                Ordering::Equal
            }),
            (Jsonb::Object(a), Jsonb::Object(b)) => a.len().cmp(&b.len()).then_with(|| {
                for ((ka, va), (kb, vb)) in a.iter().zip(b) {
                    // Keys compare as strings here (not length first), as PostgreSQL's
                    // compareJsonbContainers does, in stored (length-first) order.
                    let o = ka
                        .as_bytes()
                        .cmp(kb.as_bytes())
                        .then_with(|| va.cmp_nested(vb));
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                Ordering::Equal
            }),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_output() {
        let v = parse_jsonb(r#"{"b":1,"a":[1,2.50,{"x":null}],"aa":true,"b":2}"#).unwrap();
        assert_eq!(
            v.to_text(),
            r#"{"a": [1, 2.50, {"x": null}], "b": 2, "aa": true}"#
        );
        assert_eq!(parse_jsonb("1e2").unwrap().to_text(), "100");
        assert_eq!(
            parse_jsonb(r#""\ud83d\ude00 \n \u001f /""#)
                .unwrap()
                .to_text(),
            "\"😀 \\n \\u001f /\""
        );
    }

    #[test]
    fn errors() {
        let d = |s: &str| {
            parse_jsonb(s)
                .unwrap_err()
                .detail()
                .unwrap_or("")
                .to_owned()
        };
        assert_eq!(d("01"), "Token \"01\" is invalid.");
        assert_eq!(d("{\"a\" 1}"), "Expected \":\", but found \"1\".");
        assert_eq!(d("[1,2"), "The input string ended unexpectedly.");
        assert_eq!(d("[1,]"), "Expected JSON value, but found \"]\".");
        assert_eq!(d("[1 2]"), "Expected \",\" or \"]\", but found \"2\".");
        assert_eq!(d("{1:2}"), "Expected string or \"}\", but found \"1\".");
        assert_eq!(d("{\"a\":1,}"), "Expected string, but found \"}\".");
        assert_eq!(d("\"abc"), "Token \"\"abc\" is invalid.");
        assert_eq!(d("[1] x"), "Token \"x\" is invalid.");
        assert_eq!(d(".5"), "Token \".\" is invalid.");
        assert_eq!(parse_jsonb("\"\\u0000\"").unwrap_err().code(), "22P05");
        assert!(parse_json("\"\\u0000\"").is_ok());
        assert!(parse_json("\"\\ud83d\"").is_ok());
        // 1000 levels work, including the recursive operations on the tree.
        let ok = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        let v = parse_jsonb(&ok).unwrap();
        assert_eq!(v.to_text(), ok.replace("][", "], ["));
        let mut key = Vec::new();
        v.key_bytes(&mut key);
        assert_eq!(v.cmp(&v.clone()), Ordering::Equal);
        let obj = format!("{}1{}", "{\"a\":".repeat(1000), "}".repeat(1000));
        assert!(parse_jsonb(&obj).is_ok());
        let deep = "[".repeat(100_000);
        assert_eq!(parse_jsonb(&deep).unwrap_err().code(), "54001");
        assert_eq!(parse_json(&deep).unwrap_err().code(), "54001");
    }
}
