//! Mapping values to order-preserving index keys ([`KeyValue`]).
//!
//! The mapping is monotone: for two values `a`, `b` of one type, `a.cmp(b)` (the order of
//! [`Value`], which is PostgreSQL's b-tree order) equals the order of the encoded keys.
//!
//! | type | key |
//! |---|---|
//! | `boolean` | `Bool` |
//! | `smallint`, `integer`, `bigint` | `Int` |
//! | `real`, `double precision` | `Float` (`real` widened exactly) |
//! | `text`, `varchar` | `Text` |
//! | `char(n)` | `Text` without trailing spaces (they are insignificant) |
//! | `bytea` | `Bytes` |
//! | `uuid` | `Uuid` |
//! | `date`, `time`, `timestamp`, `timestamptz` | `Int` (the stored integer; infinities are its extremes) |
//! | `timetz` | `Bytes`: the UTC time (i64) then the offset west of UTC (i32), big-endian, sign bits flipped |
//! | `interval` | `Bytes`: the 128-bit span, big-endian, sign bit flipped |
//! | `numeric` | `Bytes`: the scheme below |
//! | `jsonb` | `Bytes`: kind byte, then a self-delimiting encoding per kind |
//! | arrays | `Bytes`: the elements' keycode encodings (ascending, NULLs last) concatenated, `0x00`, the number of dimensions (1 byte), their lengths (u32) and lower bounds (i32, sign bit flipped), big-endian |
//! | `oid`, `regclass` and the other OID aliases | `Int` (the OID, unsigned) |
//! | `"char"` | `Int` (the byte, unsigned) |
//! | `name` | `Text` |
//! | `int2vector` | as arrays |
//! | `oidvector` | `Bytes`: the number of elements (u32, big-endian), then as arrays (its order is by length first) |
//! | enums | `Float` (the label's sort order) |
//! | `json` | none: PostgreSQL has no b-tree order for `json` (42883) |
//!
//! # Numeric keys
//!
//! A class byte orders the kinds: `0x01` -Infinity, `0x02` negative, `0x03` zero, `0x04`
//! positive, `0x05` Infinity, `0x06` NaN. A non-zero finite value is written as its
//! significand's digits `d1 d2 d3 …` (no leading or trailing zeros) and the decimal exponent
//! `e` of `d1` (value = 0.d1d2d3… × 10^(e+1)). For a positive value the body is `e` as a
//! 4-byte big-endian integer with the sign bit flipped, then the digits in pairs, each pair
//! one byte `1 + 10·hi + lo` (a last lone digit is paired with 0), then a `0x00` terminator.
//! A larger exponent means a larger value; for equal exponents the digit strings compare
//! lexicographically, a shorter one first (it is a prefix padded with zeros), and the
//! terminator is smaller than every pair byte. For a negative value the body of its
//! magnitude is bitwise inverted, which reverses its order; the inverted terminator `0xFF`
//! then makes a shorter digit string sort *after* its extensions, as it must (-0.12 > -0.123).
//! Equal values (`1.0`, `1.00`) get equal keys, so the display scale is not kept.

use crate::keycode::{KeyValue, SortOrder, encode_int_into, encode_into, encode_text_into};

use super::error::{TypeError, TypeResult, codes};
use super::value::Value;

/// Appends `value` in key encoding, as `encode_into(buf, &to_key_value(value)?, order)` does,
/// without building the [`KeyValue`] (and copying the string) for integers and text: the
/// common primary-key columns, encoded once per inserted row.
///
/// # Errors
/// As [`to_key_value`].
pub fn encode_value_into(buf: &mut Vec<u8>, value: &Value, order: SortOrder) -> TypeResult<()> {
    match value {
        Value::Int2(v) => encode_int_into(buf, i64::from(*v), order),
        Value::Int4(v) => encode_int_into(buf, i64::from(*v), order),
        Value::Int8(v) => encode_int_into(buf, *v, order),
        Value::Text(s) => encode_text_into(buf, s, order),
        other => encode_into(buf, &to_key_value(other)?, order),
    }
    Ok(())
}

/// The index key of a value; see the module doc.
pub fn to_key_value(value: &Value) -> TypeResult<KeyValue> {
    Ok(match value {
        Value::Null => KeyValue::Null,
        Value::Bool(b) => KeyValue::Bool(*b),
        Value::Int2(v) => KeyValue::Int(i64::from(*v)),
        Value::Int4(v) => KeyValue::Int(i64::from(*v)),
        Value::Int8(v) => KeyValue::Int(*v),
        Value::Float4(v) => KeyValue::Float(f64::from(*v)),
        Value::Float8(v) => KeyValue::Float(*v),
        Value::Numeric(n) => KeyValue::Bytes(n.key_bytes()),
        Value::Text(s) => KeyValue::Text(s.clone()),
        Value::Bpchar(s) => KeyValue::Text(s.trim_end_matches(' ').to_owned()),
        Value::Bytea(b) => KeyValue::Bytes(b.clone()),
        Value::Uuid(u) => KeyValue::Uuid(*u),
        Value::Date(d) => KeyValue::Int(i64::from(*d)),
        Value::Time(t) | Value::Timestamp(t) | Value::Timestamptz(t) => KeyValue::Int(*t),
        Value::TimeTz(t, east) => {
            let utc = t.saturating_sub(i64::from(*east) * 1_000_000);
            let mut out = ((utc as u64) ^ (1u64 << 63)).to_be_bytes().to_vec();
            out.extend_from_slice(&((east.wrapping_neg() as u32) ^ 0x8000_0000).to_be_bytes());
            KeyValue::Bytes(out)
        }
        Value::Interval(iv) => {
            let flipped = (iv.span() as u128) ^ (1u128 << 127);
            KeyValue::Bytes(flipped.to_be_bytes().to_vec())
        }
        Value::Jsonb(j) => {
            let mut out = Vec::new();
            j.key_bytes(&mut out);
            KeyValue::Bytes(out)
        }
        Value::Char(c) => KeyValue::Int(i64::from(*c)),
        Value::Array(a) => {
            let mut out = Vec::new();
            if a.vector && a.element_type == super::datatype::DataType::Oid {
                out.extend_from_slice(&(a.elements.len() as u32).to_be_bytes());
            }
            for e in &a.elements {
                encode_into(&mut out, &to_key_value(e)?, SortOrder::ASC);
            }
            // 0x00 is below every element's first byte, so a shorter array sorts first;
            // then the shape, in the order of Value's tie-breakers.
            out.push(0);
            out.push(a.dims.len() as u8);
            for d in &a.dims {
                out.extend_from_slice(&(d.len as u32).to_be_bytes());
            }
            for d in &a.dims {
                out.extend_from_slice(&((d.lower as u32) ^ 0x8000_0000).to_be_bytes());
            }
            KeyValue::Bytes(out)
        }
        Value::Record(r) => {
            let mut out = Vec::new();
            for f in &r.fields {
                encode_into(&mut out, &to_key_value(f)?, SortOrder::ASC);
            }
            // Below every field's first byte: a shorter record sorts first.
            out.push(0);
            KeyValue::Bytes(out)
        }
        Value::Reg(_, o, _) | Value::Oid(o) => KeyValue::Int(i64::from(*o)),
        Value::Enum(e) => KeyValue::Float(f64::from(e.sort)),
        Value::Json(_) => {
            return Err(TypeError::new(
                codes::UNDEFINED_FUNCTION,
                "could not identify a comparison function for type json",
            ));
        }
        Value::JsonPath(_) => {
            return Err(TypeError::new(
                codes::UNDEFINED_FUNCTION,
                "could not identify a comparison function for type jsonpath",
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct encoding is byte for byte the one through [`KeyValue`].
    #[test]
    fn direct_encoding_matches_the_key_value_one() {
        let values = [
            Value::Int2(-3),
            Value::Int4(i32::MIN),
            Value::Int8(i64::MAX),
            Value::Int8(0),
            Value::Text(String::new()),
            Value::Text("a\0b\u{ff}".into()),
            Value::Null,
            Value::Bool(true),
            Value::Float8(-0.5),
            Value::Bytea(vec![0, 255, 0]),
        ];
        for order in [SortOrder::ASC, SortOrder::DESC] {
            for v in &values {
                let mut direct = vec![7];
                encode_value_into(&mut direct, v, order).unwrap();
                let mut through = vec![7];
                encode_into(&mut through, &to_key_value(v).unwrap(), order);
                assert_eq!(direct, through, "{v:?} {order:?}");
            }
        }
    }
}
