//! Input and output functions of the simple scalar types: `boolean`, the integers, the
//! floats, `bytea`, `uuid` and the character types' length rules.
//!
//! Each `parse_*` function behaves as PostgreSQL 15's input function (`boolin`, `int4in`,
//! `float8in`, `byteain`, `uuid_in`, `varcharin`, `bpcharin`) including its error text, and
//! each `format_*` as the output function with the default settings
//! (`extra_float_digits = 1`, `bytea_output = hex`).

use super::error::{TypeError, TypeResult, codes};
use super::numeric::{Numeric, is_pg_space};

/// `boolin`: `t`/`f`, prefixes of `true`/`false`/`yes`/`no`, `on`/`off` (at least two
/// letters) and `1`/`0`, in any case, surrounded by optional whitespace.
pub fn parse_bool(input: &str) -> TypeResult<bool> {
    let s = input.trim_matches(is_pg_space).to_ascii_lowercase();
    let is_prefix = |word: &str, min: usize| s.len() >= min && word.starts_with(s.as_str());
    if is_prefix("true", 1) || is_prefix("yes", 1) || is_prefix("on", 2) || s == "1" {
        Ok(true)
    } else if is_prefix("false", 1) || is_prefix("no", 1) || is_prefix("off", 2) || s == "0" {
        Ok(false)
    } else {
        Err(TypeError::invalid_syntax("boolean", input))
    }
}

/// `boolout`: `t` or `f`.
pub fn format_bool(v: bool) -> &'static str {
    if v { "t" } else { "f" }
}

/// PostgreSQL 15's `pg_strtointNN`: optional whitespace, an optional sign, decimal digits,
/// optional whitespace. `type_name` is `smallint`, `integer` or `bigint`.
fn parse_int(input: &str, type_name: &str, min: i128, max: i128) -> TypeResult<i128> {
    // Plain digits too few to overflow an i64 (most input): no trimming, no wide arithmetic.
    let b = input.as_bytes();
    if !b.is_empty() && b.len() <= 18 && b.iter().all(u8::is_ascii_digit) {
        let v = i128::from(b.iter().fold(0i64, |v, d| v * 10 + i64::from(d - b'0')));
        if v > max {
            return Err(TypeError::value_out_of_range(type_name, input));
        }
        return Ok(v);
    }
    let s = input.trim_matches(is_pg_space);
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TypeError::invalid_syntax(type_name, input));
    }
    let mut v: i128 = 0;
    for b in digits.bytes() {
        v = v * 10 + i128::from(b - b'0');
        if v > max + 1 {
            return Err(TypeError::value_out_of_range(type_name, input));
        }
    }
    let v = if neg { -v } else { v };
    if v < min || v > max {
        return Err(TypeError::value_out_of_range(type_name, input));
    }
    Ok(v)
}

/// `int2in`.
pub fn parse_int2(input: &str) -> TypeResult<i16> {
    parse_int(input, "smallint", i16::MIN.into(), i16::MAX.into()).map(|v| v as i16)
}

/// `int4in`.
pub fn parse_int4(input: &str) -> TypeResult<i32> {
    parse_int(input, "integer", i32::MIN.into(), i32::MAX.into()).map(|v| v as i32)
}

/// `int8in`.
pub fn parse_int8(input: &str) -> TypeResult<i64> {
    parse_int(input, "bigint", i64::MIN.into(), i64::MAX.into()).map(|v| v as i64)
}

/// `oidin`: `strtoul` in base 10 (optional whitespace and sign, digits, optional
/// whitespace). A negative number down to -2147483648 wraps to its unsigned value, as the
/// 32-bit `int` an OID was once read as: `-1` is 4294967295.
pub fn parse_oid(input: &str) -> TypeResult<u32> {
    let s = input.trim_matches(is_pg_space);
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TypeError::invalid_syntax("oid", input));
    }
    let mut v: u64 = 0;
    for b in digits.bytes() {
        v = v * 10 + u64::from(b - b'0');
        if v > u64::from(u32::MAX) {
            return Err(TypeError::value_out_of_range("oid", input));
        }
    }
    if !neg {
        return Ok(v as u32);
    }
    if v > 1 << 31 {
        return Err(TypeError::value_out_of_range("oid", input));
    }
    Ok((v as u32).wrapping_neg())
}

/// What `strtod` would read from `s` (already trimmed): decimal or hexadecimal floats,
/// `inf`/`infinity`/`nan` in any case, with an optional sign; `None` if anything is left over.
fn strtod(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let v = if let Some(hex) = lower.strip_prefix("0x") {
        parse_hex_float(hex)?
    } else {
        // Rust's parser accepts the same decimal syntax as strtod ("1.", ".5", "1e5",
        // "inf", "infinity", "nan"), but no sign here since it was taken off above.
        if body.starts_with(['+', '-']) || body.is_empty() {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// The part of a C hexadecimal float after `0x`: hex digits, optional `.` and fraction,
/// optional binary exponent `p[+-]digits`.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = match s.split_once('p') {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

/// Whether the decimal text denotes a non-zero number (for underflow detection).
fn mantissa_nonzero(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let mant = if lower.contains("0x") {
        lower.split('p').next().unwrap_or("").replace("0x", "")
    } else {
        lower.split('e').next().unwrap_or("").to_owned()
    };
    mant.bytes().any(|b| b.is_ascii_alphanumeric() && b != b'0')
}

/// `float8in`.
pub fn parse_float8(input: &str) -> TypeResult<f64> {
    let s = input.trim_matches(is_pg_space);
    let v = strtod(s).ok_or_else(|| TypeError::invalid_syntax("double precision", input))?;
    let literal_inf = s.to_ascii_lowercase().contains("inf");
    if (v.is_infinite() && !literal_inf) || (v == 0.0 && mantissa_nonzero(s)) {
        return Err(TypeError::out_of_range(format!(
            "\"{input}\" is out of range for type double precision"
        )));
    }
    Ok(v)
}

/// `float4in`: read as `strtof` would (correctly rounded to `f32`), with the same range
/// checks as `float8in`.
pub fn parse_float4(input: &str) -> TypeResult<f32> {
    let s = input.trim_matches(is_pg_space);
    let invalid = || TypeError::invalid_syntax("real", input);
    let lower = s.to_ascii_lowercase();
    let v: f32 = if lower.contains("0x") {
        strtod(s).ok_or_else(invalid)? as f32
    } else {
        let (neg, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        if body.starts_with(['+', '-']) || body.is_empty() {
            return Err(invalid());
        }
        let v = body.parse::<f32>().map_err(|_| invalid())?;
        if neg { -v } else { v }
    };
    let literal_inf = lower.contains("inf");
    if (v.is_infinite() && !literal_inf) || (v == 0.0 && mantissa_nonzero(s)) {
        return Err(TypeError::out_of_range(format!(
            "\"{input}\" is out of range for type real"
        )));
    }
    Ok(v)
}

/// Shortest round-trip digits and decimal exponent from Rust's `{:e}` formatting, laid out
/// as PostgreSQL's Ryu-based output does: plain notation when `-4 <= exp < max_plain_exp`,
/// otherwise `d.ddde+XX`.
fn format_shortest(
    sci: &str,
    max_plain_exp: i32,
    exact: impl Fn() -> Option<Numeric>,
    round_trips: impl Fn(&str) -> bool,
) -> String {
    let (neg, sci) = match sci.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, sci),
    };
    let (mant, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let digits = break_tie_to_even(digits, exp, exact, round_trips);
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if exp < -4 || exp >= max_plain_exp {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
    } else if exp < 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
        out.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', int_len - digits.len()));
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

/// Rust's shortest formatting rounds a tie between two equally close shortest digit strings
/// up; Ryu (PostgreSQL) picks the even one. When the string one unit lower in the last digit
/// also reads back to the same float, compare both with the float's exact value.
fn break_tie_to_even(
    digits: String,
    exp: i32,
    exact: impl Fn() -> Option<Numeric>,
    round_trips: impl Fn(&str) -> bool,
) -> String {
    let Some(last) = digits.bytes().last() else {
        return digits;
    };
    if !(b'2'..=b'9').contains(&last) || last % 2 == 0 {
        return digits;
    }
    let mut lower = digits.clone();
    lower.pop();
    lower.push((last - 1) as char);
    let sci = |d: &str| format!("{}.{}e{}", &d[..1], &d[1..], exp);
    if !round_trips(&sci(&lower)) {
        return digits;
    }
    let (Some(x), Ok(hi), Ok(lo)) = (
        exact(),
        Numeric::parse(&sci(&digits)),
        Numeric::parse(&sci(&lower)),
    ) else {
        return digits;
    };
    match (hi.sub(&x), x.sub(&lo)) {
        (Ok(dh), Ok(dl)) if dl <= dh => lower,
        _ => digits,
    }
}

/// The exact decimal value of `mantissa · 2^exp2`.
fn exact_binary(mantissa: u64, exp2: i32) -> Option<Numeric> {
    let m = Numeric::from_i64(i64::try_from(mantissa).ok()?);
    if exp2 >= 0 {
        let mut v = m;
        for _ in 0..exp2 {
            v = v.mul(&Numeric::from_i64(2)).ok()?;
        }
        Some(v)
    } else {
        // m / 2^k = m · 5^k / 10^k
        let k = exp2.unsigned_abs();
        let mut v = m;
        for _ in 0..k {
            v = v.mul(&Numeric::from_i64(5)).ok()?;
        }
        Numeric::parse(&format!("{}e-{k}", v.to_text())).ok()
    }
}

/// `float8out` with `extra_float_digits = 1`: the shortest text that reads back exactly.
pub fn format_float8(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else if v == 0.0 {
        if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        }
    } else {
        let a = v.abs();
        format_shortest(
            &format!("{v:e}"),
            15,
            || {
                let bits = a.to_bits();
                let e = ((bits >> 52) & 0x7FF) as i32;
                let frac = bits & ((1u64 << 52) - 1);
                if e == 0 {
                    exact_binary(frac, -1074)
                } else {
                    exact_binary(frac | (1 << 52), e - 1075)
                }
            },
            |s| s.parse::<f64>().ok() == Some(a),
        )
    }
}

/// `float4out` with `extra_float_digits = 1`.
pub fn format_float4(v: f32) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else if v == 0.0 {
        if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        }
    } else {
        let a = v.abs();
        format_shortest(
            &format!("{v:e}"),
            6,
            || {
                let bits = a.to_bits();
                let e = ((bits >> 23) & 0xFF) as i32;
                let frac = u64::from(bits & ((1u32 << 23) - 1));
                if e == 0 {
                    exact_binary(frac, -149)
                } else {
                    exact_binary(frac | (1 << 23), e - 150)
                }
            },
            |s| s.parse::<f32>().ok() == Some(a),
        )
    }
}

/// `byteain`: `\x` followed by hex pairs (whitespace allowed between pairs), or the escape
/// format (`\\` and `\ooo` octal escapes, every other byte as it is).
pub fn parse_bytea(input: &str) -> TypeResult<Vec<u8>> {
    let b = input.as_bytes();
    if b.len() >= 2 && b[0] == b'\\' && b[1] == b'x' {
        let mut out = Vec::with_capacity((b.len() - 2) / 2);
        let mut i = 2;
        // The digit at byte `pos` (always a character boundary: everything before it is ASCII).
        let hex = |pos: usize| -> TypeResult<u8> {
            (b[pos] as char)
                .to_digit(16)
                .map(|d| d as u8)
                .ok_or_else(|| {
                    let shown = input
                        .get(pos..)
                        .and_then(|r| r.chars().next())
                        .unwrap_or('?');
                    TypeError::new(
                        codes::INVALID_PARAMETER_VALUE,
                        format!("invalid hexadecimal digit: \"{shown}\""),
                    )
                })
        };
        while i < b.len() {
            let c = b[i];
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                i += 1;
                continue;
            }
            let hi = hex(i)?;
            if i + 1 >= b.len() {
                return Err(TypeError::new(
                    codes::INVALID_PARAMETER_VALUE,
                    "invalid hexadecimal data: odd number of digits",
                ));
            };
            let lo = hex(i + 1)?;
            out.push(hi << 4 | lo);
            i += 2;
        }
        return Ok(out);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
        } else if b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if i + 3 < b.len()
            && matches!(b[i + 1], b'0'..=b'3')
            && matches!(b[i + 2], b'0'..=b'7')
            && matches!(b[i + 3], b'0'..=b'7')
        {
            out.push(((b[i + 1] - b'0') << 6) | ((b[i + 2] - b'0') << 3) | (b[i + 3] - b'0'));
            i += 4;
        } else {
            return Err(TypeError::new(
                codes::INVALID_TEXT_REPRESENTATION,
                "invalid input syntax for type bytea",
            ));
        }
    }
    Ok(out)
}

/// `byteaout` with `bytea_output = escape`: printable ASCII as is, a backslash doubled,
/// every other byte as a backslash and three octal digits.
pub fn format_bytea_escape(v: &[u8]) -> String {
    let mut s = String::with_capacity(v.len());
    for &b in v {
        match b {
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(char::from(b)),
            _ => s.push_str(&format!("\\{b:03o}")),
        }
    }
    s
}

/// `float8out` / `float4out` with `extra_float_digits <= 0`: C's `%.{digits}g` (at least 1
/// significant digit).
pub fn format_float_g(v: f64, digits: i32) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let p = digits.max(1) as usize;
    let sci = format!("{:.*e}", p - 1, v);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let x: i32 = exp.parse().unwrap_or(0);
    let trim = |t: &str| -> String {
        if t.contains('.') {
            t.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            t.to_owned()
        }
    };
    if x < -4 || x >= p as i32 {
        let sign = if x < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mant), x.unsigned_abs())
    } else {
        let decimals = (p as i32 - 1 - x).max(0) as usize;
        trim(&format!("{v:.decimals$}"))
    }
}

/// `byteaout` with `bytea_output = hex`.
pub fn format_bytea(v: &[u8]) -> String {
    let mut s = String::with_capacity(2 + v.len() * 2);
    s.push_str("\\x");
    for b in v {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// `uuid_in`: 32 hex digits, optionally in braces, with an optional hyphen after any group
/// of four digits.
pub fn parse_uuid(input: &str) -> TypeResult<[u8; 16]> {
    let invalid = || TypeError::invalid_syntax("uuid", input);
    let b = input.as_bytes();
    let mut i = 0;
    let braces = b.first() == Some(&b'{');
    if braces {
        i += 1;
    }
    let mut out = [0u8; 16];
    for (k, slot) in out.iter_mut().enumerate() {
        let hi = b
            .get(i)
            .and_then(|c| (*c as char).to_digit(16))
            .ok_or_else(invalid)?;
        let lo = b
            .get(i + 1)
            .and_then(|c| (*c as char).to_digit(16))
            .ok_or_else(invalid)?;
        *slot = (hi << 4 | lo) as u8;
        i += 2;
        if k % 2 == 1 && k < 15 && b.get(i) == Some(&b'-') {
            i += 1;
        }
    }
    if braces {
        if b.get(i) != Some(&b'}') {
            return Err(invalid());
        }
        i += 1;
    }
    if i != b.len() {
        return Err(invalid());
    }
    Ok(out)
}

/// `uuid_out`: lowercase, hyphenated 8-4-4-4-12.
pub fn format_uuid(v: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    for (k, b) in v.iter().enumerate() {
        if matches!(k, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// How a character-type length limit is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthCheck {
    /// Input functions and assignment casts: excess characters must all be spaces (they are
    /// dropped), otherwise `value too long` (22001).
    Strict,
    /// Explicit casts: silently truncate.
    Truncate,
}

/// Applies `varchar(n)`: truncates to `n` characters (see [`LengthCheck`]).
pub fn apply_varchar(s: &str, n: Option<u32>, check: LengthCheck) -> TypeResult<String> {
    let Some(n) = n else { return Ok(s.to_owned()) };
    truncate_chars(s, n, check, || format!("character varying({n})"))
}

/// Applies `char(n)`: truncates as [`apply_varchar`] does, then pads with spaces to `n`
/// characters. Without a length the value is kept as it is.
pub fn apply_bpchar(s: &str, n: Option<u32>, check: LengthCheck) -> TypeResult<String> {
    let Some(n) = n else { return Ok(s.to_owned()) };
    let mut out = truncate_chars(s, n, check, || format!("character({n})"))?;
    let len = out.chars().count();
    out.extend(std::iter::repeat_n(' ', (n as usize).saturating_sub(len)));
    Ok(out)
}

fn truncate_chars(
    s: &str,
    n: u32,
    check: LengthCheck,
    name: impl Fn() -> String,
) -> TypeResult<String> {
    match s.char_indices().nth(n as usize) {
        None => Ok(s.to_owned()),
        Some((cut, _)) => {
            if check == LengthCheck::Strict && !s[cut..].bytes().all(|b| b == b' ') {
                return Err(TypeError::new(
                    codes::STRING_DATA_RIGHT_TRUNCATION,
                    format!("value too long for type {}", name()),
                ));
            }
            Ok(s[..cut].to_owned())
        }
    }
}

/// `bpchar` to `text`/`varchar`: trailing spaces are not significant and are dropped.
pub fn bpchar_trim(s: &str) -> &str {
    s.trim_end_matches(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_postgres() {
        assert_eq!(format_float8(1e20), "1e+20");
        assert_eq!(format_float8(1e15), "1e+15");
        assert_eq!(format_float8(1e14), "100000000000000");
        assert_eq!(
            format_float8(123456789012345678.0),
            "1.2345678901234568e+17"
        );
        assert_eq!(format_float8(1.5e-5), "1.5e-05");
        assert_eq!(format_float8(0.0001), "0.0001");
        assert_eq!(format_float4(1234567.0), "1.234567e+06");
        assert_eq!(format_float4(123456.7), "123456.7");
        assert_eq!(format_float4(1.0 / 3.0), "0.33333334");
        // A tie between two shortest strings goes to the even digit, as Ryu does.
        assert_eq!(format_float8(145796666527734.12), "145796666527734.12");
    }

    #[test]
    fn float_input_ranges() {
        assert_eq!(parse_float8(" 1.5 ").unwrap(), 1.5);
        assert_eq!(parse_float8("0x1.8").unwrap(), 1.5);
        assert_eq!(parse_float8("1e400").unwrap_err().code(), "22003");
        assert_eq!(parse_float8("1e-400").unwrap_err().code(), "22003");
        assert!(parse_float8("1e-320").is_ok());
        assert_eq!(parse_float4("1e39").unwrap_err().code(), "22003");
        assert_eq!(parse_float8("1.5e").unwrap_err().code(), "22P02");
        assert_eq!(parse_float8("-INF").unwrap(), f64::NEG_INFINITY);
    }

    #[test]
    fn oid_input_wraps_negatives_as_postgres() {
        assert_eq!(parse_oid(" 4294967295 ").unwrap(), u32::MAX);
        assert_eq!(parse_oid("-1").unwrap(), u32::MAX);
        assert_eq!(parse_oid("-2147483648").unwrap(), 2_147_483_648);
        assert_eq!(parse_oid("+010").unwrap(), 10);
        assert_eq!(parse_oid("-0").unwrap(), 0);
        for bad in ["4294967296", "-2147483649", "99999999999999999999999"] {
            let e = parse_oid(bad).unwrap_err();
            assert_eq!(e.code(), "22003");
            assert_eq!(
                e.message(),
                format!("value \"{bad}\" is out of range for type oid")
            );
        }
        for bad in ["", " ", "-", "0x10", "1 2", "12x", " - 1"] {
            assert_eq!(parse_oid(bad).unwrap_err().code(), "22P02", "{bad:?}");
        }
    }

    #[test]
    fn bytea_and_uuid() {
        assert_eq!(parse_bytea("\\x 41 42").unwrap(), b"AB");
        assert_eq!(parse_bytea("abc\\\\d").unwrap(), b"abc\\d");
        assert_eq!(parse_bytea("\\101").unwrap(), b"A");
        assert_eq!(parse_bytea("\\x4").unwrap_err().code(), "22023");
        assert_eq!(
            parse_bytea("\\xZZ").unwrap_err().message(),
            "invalid hexadecimal digit: \"Z\""
        );
        let u = parse_uuid("{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}").unwrap();
        assert_eq!(format_uuid(&u), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        assert!(parse_uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 ").is_err());
    }

    #[test]
    fn ints_and_bools() {
        assert_eq!(parse_int4(" +12 ").unwrap(), 12);
        assert_eq!(
            parse_int4("99999999999").unwrap_err().message(),
            "value \"99999999999\" is out of range for type integer"
        );
        assert_eq!(parse_int2("1.0").unwrap_err().code(), "22P02");
        assert_eq!(parse_int8("-9223372036854775808").unwrap(), i64::MIN);
        assert!(parse_bool(" tRuE ").unwrap());
        assert!(!parse_bool("of").unwrap());
        assert!(parse_bool("o").is_err());
    }
}
