//! PostgreSQL's binary wire format of every supported type: the `typsend` and `typreceive`
//! functions, as the extended protocol uses them for result columns and parameters in
//! format 1, and `COPY ... (FORMAT binary)` for fields.
//!
//! [`encode`] appends the bytes PostgreSQL 15's send function gives for a value (without
//! the 4-byte length word in front of a field; a NULL field is the caller's `-1`).
//! [`decode`] is the receive function: it reads one whole field and checks it the way
//! PostgreSQL does, typmod included (`varchar(n)` lengths, `numeric(p,s)` rounding,
//! `timestamp(p)` precision). [`decode_param`] is the same for a bind parameter; only the
//! message about trailing bytes differs.
//!
//! # Formats (all integers big-endian)
//!
//! - `bool`, `"char"`: one byte; `int2`/`int4`/`int8`: two's complement; `float4`/`float8`:
//!   the IEEE 754 bits (NaN payloads and `-0` kept).
//! - `numeric`: `ndigits: u16, weight: i16, sign: u16, dscale: u16`, then `ndigits`
//!   base-10000 digits (`u16`, most significant first) without leading or trailing zero
//!   digits; the value is `Σ digit[i] × 10000^(weight - i)`. Sign `0x0000` positive,
//!   `0x4000` negative, `0xC000` NaN, `0xD000` Infinity, `0xF000` -Infinity. PostgreSQL
//!   sends the infinities with dscale 32 (what its short header's dscale bits read), and so
//!   do we. Built from and read into [`Numeric`] through its plain decimal text.
//! - `text`, `varchar`, `bpchar` (padded), `name`, `unknown`, enum labels, `json`: the UTF-8
//!   bytes; `bytea`: the bytes; `jsonb`, `jsonpath`: a version byte `1` and the canonical
//!   text (`jsonb_out`, `jsonpath_out`).
//! - `date`: `i32` days since 2000-01-01; `time`: `i64` µs; `timetz`: `i64` µs and the
//!   `i32` zone in seconds *west* of UTC; `timestamp[tz]`: `i64` µs since 2000-01-01
//!   (`i64::MAX`/`MIN` for ±infinity); `interval`: `i64` µs, `i32` days, `i32` months;
//!   `uuid`: 16 bytes; `reg*`: the `u32` OID.
//! - arrays (`array_send`): `ndim: i32`, `has_nulls: i32` (0/1), element type OID `u32`,
//!   per dimension `length: i32, lower bound: i32`, then per element its length (`-1` for
//!   NULL) and bytes. The empty array has `ndim = 0`. `int2vector` / `oidvector` are the
//!   same with one 0-based dimension and elements of `int2` / `oid` (4 bytes).
//! - records (`record_send`): `nfields: i32`, then per field its type OID `u32`, length
//!   (`-1` for NULL) and bytes.
//!
//! # Errors (PostgreSQL's)
//!
//! A field too short for what its type reads is `08P01` "insufficient data left in message"
//! ("no data left in message" for one-byte types), as `pq_getmsg*` raise it; bytes left
//! over are `22P03` "incorrect binary data format" (in a parameter: "... in bind parameter
//! N"). Inside arrays and records an element length past the end is `22P03`
//! "insufficient data left in message", leftovers "improper binary format in array element
//! N" / "in record column N". Malformed headers, numeric digits ≥ 10000, bad signs and
//! scales are `22P03` with PostgreSQL's texts; range checks (`date out of range`...) and
//! invalid UTF-8 (`22021`) are as in text input. Nothing here panics on any input (a
//! proptest feeds random bytes); sizes read from the input are checked against the bytes
//! actually left before anything is allocated.
//!
//! Text-like payloads go through the same input functions as [`super::parse_text`] (JSON
//! validation, enum labels, `varchar(n)` checks), so both formats accept the same values.

use std::sync::Arc;

use super::datatype::DataType;
use super::datetime::{
    DATE_INFINITY, DATE_NEG_INFINITY, END_DATE, END_TIMESTAMP, MIN_DATE, MIN_TIMESTAMP,
    USECS_PER_DAY, adjust_timestamp, round_to_precision,
};
use super::error::{TypeError, TypeResult, codes};
use super::interval::Interval;
use super::numeric::{NUMERIC_DSCALE_MAX, Numeric};
use super::record::RecordType;
use super::scalar::{LengthCheck, apply_bpchar, apply_varchar};
use super::value::{ArrayDim, ArrayValue, MAX_ARRAY_DIMS, Value};

/// `22P03` invalid_binary_representation.
pub const INVALID_BINARY_REPRESENTATION: &str = "22P03";
/// `08P01` protocol_violation: what `pq_getmsg*` raise when a field is too short.
pub const PROTOCOL_VIOLATION: &str = "08P01";
/// `22021` character_not_in_repertoire (invalid UTF-8).
const CHARACTER_NOT_IN_REPERTOIRE: &str = "22021";
/// `42622` name_too_long.
const NAME_TOO_LONG: &str = "42622";
/// `54000` program_limit_exceeded.
const PROGRAM_LIMIT_EXCEEDED: &str = "54000";
/// `XX000` internal_error.
const INTERNAL_ERROR: &str = "XX000";

/// PostgreSQL's `FirstGenbkiObjectId`: OIDs below it are built-in and stable, so a
/// mismatch between them is reported rather than ignored.
const FIRST_GENBKI_OBJECT_ID: u32 = 10_000;
/// PostgreSQL's `MaxArraySize` (`MaxAllocSize / sizeof(Datum)`).
const MAX_ARRAY_SIZE: i64 = 0x3FFF_FFFF / 8;
/// `NAMEDATALEN`: a `name` holds at most 63 bytes.
const NAMEDATALEN: usize = 64;
/// PostgreSQL's `TZDISP_LIMIT`: zone offsets lie strictly within ±16 hours.
const TZDISP_LIMIT: i32 = 16 * 3600;
/// The OID of `oid`, the element type `oidvector` sends.
const OID_OID: u32 = 26;

const NUMERIC_POS: u16 = 0x0000;
const NUMERIC_NEG: u16 = 0x4000;
const NUMERIC_NAN: u16 = 0xC000;
const NUMERIC_PINF: u16 = 0xD000;
const NUMERIC_NINF: u16 = 0xF000;
/// The dscale PostgreSQL sends with ±Infinity (bits of its special-value header).
const NUMERIC_INF_DSCALE: u16 = 32;
const NBASE: u16 = 10_000;

fn binary_error(message: impl Into<String>) -> TypeError {
    TypeError::new(INVALID_BINARY_REPRESENTATION, message)
}

fn internal(message: impl Into<String>) -> TypeError {
    TypeError::new(INTERNAL_ERROR, message)
}

// ---------------------------------------------------------------------------------------
// Output.

/// Appends the bytes PostgreSQL's send function of `ty` gives for `value` (no length word).
///
/// `value` must be a non-NULL value of `ty` (a polymorphic pseudo-type sends the value's
/// own type; `void` sends nothing); a value of another type is an internal error, never a
/// silently wrong encoding. On error `out` is left as it was.
pub fn encode(value: &Value, ty: &DataType, out: &mut Vec<u8>) -> TypeResult<()> {
    let start = out.len();
    send(value, ty, out).inspect_err(|_| out.truncate(start))
}

fn send(value: &Value, ty: &DataType, out: &mut Vec<u8>) -> TypeResult<()> {
    use DataType as T;
    match (value, ty) {
        (Value::Null, T::Pseudo(super::Pseudo::Void)) => {}
        (_, T::Pseudo(p)) if p.polymorphic() && !value.is_null() => {
            let own = value
                .data_type()
                .ok_or_else(|| internal("binary output of a NULL value"))?;
            return send(value, &own, out);
        }
        (Value::Bool(b), T::Bool) => out.push(u8::from(*b)),
        (Value::Int2(v), T::Int2) => out.extend_from_slice(&v.to_be_bytes()),
        (Value::Int4(v), T::Int4) => out.extend_from_slice(&v.to_be_bytes()),
        (Value::Int8(v), T::Int8) => out.extend_from_slice(&v.to_be_bytes()),
        (Value::Float4(v), T::Float4) => out.extend_from_slice(&v.to_bits().to_be_bytes()),
        (Value::Float8(v), T::Float8) => out.extend_from_slice(&v.to_bits().to_be_bytes()),
        (Value::Numeric(n), T::Numeric(_)) => encode_numeric(n, out)?,
        (
            Value::Text(s) | Value::Bpchar(s),
            T::Text | T::Varchar(_) | T::Bpchar(_) | T::Name | T::Unknown,
        )
        | (Value::Json(s), T::Json) => out.extend_from_slice(s.as_bytes()),
        (Value::Bytea(b), T::Bytea) => out.extend_from_slice(b),
        (Value::Char(c), T::Char) => out.push(*c),
        (Value::Date(d), T::Date) => out.extend_from_slice(&d.to_be_bytes()),
        (Value::Time(t), T::Time(_))
        | (Value::Timestamp(t), T::Timestamp(_))
        | (Value::Timestamptz(t), T::Timestamptz(_)) => out.extend_from_slice(&t.to_be_bytes()),
        (Value::TimeTz(t, east), T::TimeTz(_)) => {
            out.extend_from_slice(&t.to_be_bytes());
            // PostgreSQL stores and sends the zone west of UTC.
            out.extend_from_slice(&east.wrapping_neg().to_be_bytes());
        }
        (Value::Interval(iv), T::Interval) => {
            out.extend_from_slice(&iv.micros.to_be_bytes());
            out.extend_from_slice(&iv.days.to_be_bytes());
            out.extend_from_slice(&iv.months.to_be_bytes());
        }
        (Value::Uuid(u), T::Uuid) => out.extend_from_slice(u),
        (Value::Jsonb(j), T::Jsonb) => {
            out.push(1);
            out.extend_from_slice(j.to_text().as_bytes());
        }
        (Value::JsonPath(p), T::JsonPath) => {
            out.push(1);
            out.extend_from_slice(p.to_text().as_bytes());
        }
        (Value::Reg(_, oid, _), T::Reg(_)) | (Value::Oid(oid), T::Oid) => {
            out.extend_from_slice(&oid.to_be_bytes());
        }
        (Value::Enum(e), T::Enum(_)) => out.extend_from_slice(e.label.as_bytes()),
        (Value::Array(a), T::Array(elem)) => encode_array(a, elem, elem.oid(), out)?,
        (Value::Array(a), T::Int2Vector) => encode_array(a, &T::Int2, T::Int2.oid(), out)?,
        (Value::Array(a), T::OidVector) => encode_array(a, &T::Oid, OID_OID, out)?,
        (Value::Record(r), T::Record(rt)) => encode_record(&r.fields, rt, out)?,
        (v, t) => {
            return Err(internal(format!(
                "binary output: a {} value is not of type {}",
                v.data_type()
                    .map_or_else(|| "NULL".to_owned(), |d| d.format_type()),
                t.format_type()
            )));
        }
    }
    Ok(())
}

/// Writes a length word, then what `body` appends, then patches the length.
fn length_prefixed(
    out: &mut Vec<u8>,
    body: impl FnOnce(&mut Vec<u8>) -> TypeResult<()>,
) -> TypeResult<()> {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    body(out)?;
    let len = i32::try_from(out.len() - at - 4)
        .map_err(|_| TypeError::new(PROGRAM_LIMIT_EXCEEDED, "field too long for binary output"))?;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

fn encode_i32(n: usize, out: &mut Vec<u8>) -> TypeResult<()> {
    let n = i32::try_from(n).map_err(|_| internal("array dimension too large"))?;
    out.extend_from_slice(&n.to_be_bytes());
    Ok(())
}

/// `array_send` of elements of type `elem`, with `elem_oid` in the header.
fn encode_array(
    a: &ArrayValue,
    elem: &DataType,
    elem_oid: u32,
    out: &mut Vec<u8>,
) -> TypeResult<()> {
    encode_i32(a.dims.len(), out)?;
    let has_nulls = a.elements.iter().any(Value::is_null);
    out.extend_from_slice(&i32::from(has_nulls).to_be_bytes());
    out.extend_from_slice(&elem_oid.to_be_bytes());
    for d in &a.dims {
        encode_i32(d.len, out)?;
        out.extend_from_slice(&d.lower.to_be_bytes());
    }
    for e in &a.elements {
        if e.is_null() {
            out.extend_from_slice(&(-1i32).to_be_bytes());
            continue;
        }
        length_prefixed(out, |out| send(e, elem, out))?;
    }
    Ok(())
}

/// `record_send`: the field types come from the row type; an anonymous `record` whose
/// fields are unknown sends each value's own type (`unknown` for a NULL, as PostgreSQL's
/// `ROW(NULL)`).
fn encode_record(fields: &[Value], rt: &RecordType, out: &mut Vec<u8>) -> TypeResult<()> {
    let known = rt.fields.len() == fields.len();
    let generic = rt.is_anonymous() && rt.fields.is_empty();
    if !known && !generic {
        return Err(internal(format!(
            "binary output: a record of {} fields is not of type {}",
            fields.len(),
            rt.name.as_deref().unwrap_or("record")
        )));
    }
    encode_i32(fields.len(), out)?;
    for (i, v) in fields.iter().enumerate() {
        let ty = match rt.fields.get(i) {
            Some((_, t)) if known => t.clone(),
            _ => v.data_type().unwrap_or(DataType::Unknown),
        };
        out.extend_from_slice(&ty.oid().to_be_bytes());
        if v.is_null() {
            out.extend_from_slice(&(-1i32).to_be_bytes());
        } else {
            length_prefixed(out, |out| send(v, &ty, out))?;
        }
    }
    Ok(())
}

/// `numeric_send`, from the plain decimal text of the value.
fn encode_numeric(n: &Numeric, out: &mut Vec<u8>) -> TypeResult<()> {
    let put = |out: &mut Vec<u8>, ndigits: u16, weight: i16, sign: u16, dscale: u16| {
        out.extend_from_slice(&ndigits.to_be_bytes());
        out.extend_from_slice(&weight.to_be_bytes());
        out.extend_from_slice(&sign.to_be_bytes());
        out.extend_from_slice(&dscale.to_be_bytes());
    };
    if n.is_nan() {
        put(out, 0, 0, NUMERIC_NAN, 0);
        return Ok(());
    }
    if n.is_infinite() {
        let sign = if n.is_negative() {
            NUMERIC_NINF
        } else {
            NUMERIC_PINF
        };
        put(out, 0, 0, sign, NUMERIC_INF_DSCALE);
        return Ok(());
    }
    let text = n.to_text();
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text.as_str()),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let dscale = u16::try_from(frac.len()).map_err(|_| internal("numeric scale too large"))?;
    // Group the digits in fours aligned on the decimal point.
    let int_pad = (4 - int.len() % 4) % 4;
    let frac_pad = (4 - frac.len() % 4) % 4;
    let padded: Vec<u8> = std::iter::repeat_n(b'0', int_pad)
        .chain(int.bytes())
        .chain(frac.bytes())
        .chain(std::iter::repeat_n(b'0', frac_pad))
        .collect();
    let groups: Vec<u16> = padded
        .chunks(4)
        .map(|c| c.iter().fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0')))
        .collect();
    let int_groups = (int.len() + int_pad) / 4;
    let first = groups.iter().position(|&g| g != 0);
    let Some(first) = first else {
        put(out, 0, 0, NUMERIC_POS, dscale);
        return Ok(());
    };
    let last = groups.iter().rposition(|&g| g != 0).unwrap_or(first);
    let digits = &groups[first..=last];
    let weight = i16::try_from(int_groups as i64 - 1 - first as i64)
        .map_err(|_| internal("numeric weight out of range"))?;
    let ndigits = u16::try_from(digits.len()).map_err(|_| internal("numeric too long"))?;
    put(
        out,
        ndigits,
        weight,
        if neg { NUMERIC_NEG } else { NUMERIC_POS },
        dscale,
    );
    for d in digits {
        out.extend_from_slice(&d.to_be_bytes());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Input.

/// What a receive function reads from: the field's bytes and a cursor (PostgreSQL's
/// `StringInfo`). Every read is checked against what is left.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> TypeResult<&'a [u8]> {
        if n > self.buf.len() {
            return Err(TypeError::new(
                PROTOCOL_VIOLATION,
                "insufficient data left in message",
            ));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> TypeResult<[u8; N]> {
        let b = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(b);
        Ok(a)
    }

    /// `pq_getmsgbyte`, with its own message.
    fn byte(&mut self) -> TypeResult<u8> {
        match self.buf.split_first() {
            Some((b, rest)) => {
                self.buf = rest;
                Ok(*b)
            }
            None => Err(TypeError::new(
                PROTOCOL_VIOLATION,
                "no data left in message",
            )),
        }
    }

    fn u16(&mut self) -> TypeResult<u16> {
        self.array().map(u16::from_be_bytes)
    }

    fn i16(&mut self) -> TypeResult<i16> {
        self.array().map(i16::from_be_bytes)
    }

    fn i32(&mut self) -> TypeResult<i32> {
        self.array().map(i32::from_be_bytes)
    }

    fn u32(&mut self) -> TypeResult<u32> {
        self.array().map(u32::from_be_bytes)
    }

    fn i64(&mut self) -> TypeResult<i64> {
        self.array().map(i64::from_be_bytes)
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    /// `pq_getmsgtext` of the rest: UTF-8 without NUL bytes.
    fn text(&mut self) -> TypeResult<&'a str> {
        utf8(self.rest())
    }

    /// A length word and that many bytes (`None` for -1, NULL), as inside arrays and
    /// records.
    fn item(&mut self) -> TypeResult<Option<&'a [u8]>> {
        let len = self.i32()?;
        if len == -1 {
            return Ok(None);
        }
        match usize::try_from(len) {
            Ok(n) if n <= self.buf.len() => self.take(n).map(Some),
            _ => Err(binary_error("insufficient data left in message")),
        }
    }
}

/// Checks that `bytes` are UTF-8 without NUL, with PostgreSQL's message
/// (`invalid byte sequence for encoding "UTF8": 0xe6 0x97`) naming the bad character's bytes.
fn utf8(bytes: &[u8]) -> TypeResult<&str> {
    let bad = match std::str::from_utf8(bytes) {
        Ok(s) => match s.find('\0') {
            None => return Ok(s),
            Some(at) => at,
        },
        Err(e) => {
            let at = e.valid_up_to();
            bytes[..at].iter().position(|&b| b == 0).unwrap_or(at)
        }
    };
    let tail = bytes.get(bad..).unwrap_or_default();
    // `pg_utf_mblen`: the length the first byte announces.
    let len = match tail.first() {
        Some(b) if b & 0xe0 == 0xc0 => 2,
        Some(b) if b & 0xf0 == 0xe0 => 3,
        Some(b) if b & 0xf8 == 0xf0 => 4,
        _ => 1,
    };
    let shown: Vec<String> = tail
        .iter()
        .take(len)
        .map(|b| format!("0x{b:02x}"))
        .collect();
    Err(TypeError::new(
        CHARACTER_NOT_IN_REPERTOIRE,
        format!(
            "invalid byte sequence for encoding \"UTF8\": {}",
            shown.join(" ")
        ),
    ))
}

/// Reads one whole field of type `ty` (the receive function with the type's typmod).
/// Bytes left over are `22P03` "incorrect binary data format", as `COPY FROM` words it.
pub fn decode(bytes: &[u8], ty: &DataType) -> TypeResult<Value> {
    decode_whole(bytes, ty, "incorrect binary data format")
}

/// [`decode`] for bind parameter `number` (1-based): leftover bytes are "incorrect binary
/// data format in bind parameter N", as PostgreSQL's `Bind` reports them.
pub fn decode_param(bytes: &[u8], ty: &DataType, number: usize) -> TypeResult<Value> {
    decode_whole(
        bytes,
        ty,
        &format!("incorrect binary data format in bind parameter {number}"),
    )
}

fn decode_whole(bytes: &[u8], ty: &DataType, leftover: &str) -> TypeResult<Value> {
    let mut r = Reader { buf: bytes };
    let v = recv(&mut r, ty)?;
    if !r.buf.is_empty() {
        return Err(binary_error(leftover));
    }
    Ok(v)
}

/// One element or field read from its own bytes; leftovers are `improper`'s error.
fn recv_item(bytes: &[u8], ty: &DataType, improper: impl FnOnce() -> String) -> TypeResult<Value> {
    let mut r = Reader { buf: bytes };
    let v = recv(&mut r, ty)?;
    if !r.buf.is_empty() {
        return Err(binary_error(improper()));
    }
    Ok(v)
}

fn recv(r: &mut Reader<'_>, ty: &DataType) -> TypeResult<Value> {
    use DataType as T;
    Ok(match ty {
        T::Bool => Value::Bool(r.byte()? != 0),
        T::Int2 => Value::Int2(r.i16()?),
        T::Int4 => Value::Int4(r.i32()?),
        T::Int8 => Value::Int8(r.i64()?),
        T::Float4 => Value::Float4(f32::from_bits(r.u32()?)),
        T::Float8 => Value::Float8(f64::from_bits(r.array().map(u64::from_be_bytes)?)),
        T::Numeric(typmod) => Value::Numeric(recv_numeric(r)?.apply_typmod(*typmod)?),
        T::Text | T::Unknown => Value::Text(r.text()?.to_owned()),
        T::Varchar(n) => Value::Text(apply_varchar(r.text()?, *n, LengthCheck::Strict)?),
        T::Bpchar(n) => Value::Bpchar(apply_bpchar(r.text()?, *n, LengthCheck::Strict)?),
        T::Name => {
            let s = r.text()?;
            if s.len() >= NAMEDATALEN {
                return Err(TypeError::new(NAME_TOO_LONG, "identifier too long")
                    .with_detail("Identifier must be less than 64 characters."));
            }
            Value::Text(s.to_owned())
        }
        T::Bytea => Value::Bytea(r.rest().to_vec()),
        T::Char => Value::Char(r.byte()?),
        T::Date => {
            let d = r.i32()?;
            if d != DATE_INFINITY && d != DATE_NEG_INFINITY && !(MIN_DATE..END_DATE).contains(&d) {
                return Err(TypeError::new(
                    codes::DATETIME_FIELD_OVERFLOW,
                    "date out of range",
                ));
            }
            Value::Date(d)
        }
        T::Time(p) => Value::Time(round_to_precision(recv_time(r)?, *p)),
        T::TimeTz(p) => {
            let t = recv_time(r)?;
            let west = r.i32()?;
            if west <= -TZDISP_LIMIT || west >= TZDISP_LIMIT {
                return Err(TypeError::new(
                    codes::INVALID_TIME_ZONE_DISPLACEMENT_VALUE,
                    "time zone displacement out of range",
                ));
            }
            Value::TimeTz(round_to_precision(t, *p), -west)
        }
        T::Timestamp(p) => Value::Timestamp(recv_timestamp(r, *p)?),
        T::Timestamptz(p) => Value::Timestamptz(recv_timestamp(r, *p)?),
        T::Interval => {
            let micros = r.i64()?;
            let days = r.i32()?;
            let months = r.i32()?;
            Value::Interval(Interval::new(months, days, micros))
        }
        T::Uuid => Value::Uuid(r.array()?),
        T::Json => Value::Json(super::json::parse_json(r.text()?)?),
        T::Jsonb => {
            recv_version(r, "unsupported jsonb version number")?;
            Value::Jsonb(super::json::parse_jsonb(r.text()?)?)
        }
        T::JsonPath => {
            recv_version(r, "unsupported jsonpath version number:")?;
            Value::JsonPath(Arc::new(super::jsonpath::parse_jsonpath(r.text()?)?))
        }
        // The name needs the catalog; the SQL layer resolves it (as for a bare OID in text).
        T::Oid => Value::Oid(r.u32()?),
        T::Reg(k) => {
            let oid = r.u32()?;
            Value::Reg(*k, oid, Arc::from(oid.to_string()))
        }
        T::Enum(e) => Value::Enum(e.parse(r.text()?)?),
        T::Array(elem) => recv_array(r, elem, elem.oid())?,
        T::Int2Vector => recv_vector(r, &T::Int2, T::Int2.oid(), "int2vector")?,
        T::OidVector => recv_vector(r, &T::Oid, OID_OID, "oidvector")?,
        T::Record(rt) => recv_record(r, rt)?,
        T::Pseudo(super::Pseudo::Void) => Value::Null,
        T::Pseudo(p) => {
            return Err(TypeError::new(
                codes::FEATURE_NOT_SUPPORTED,
                format!("cannot accept a value of type {}", p.name()),
            ));
        }
    })
}

fn recv_time(r: &mut Reader<'_>) -> TypeResult<i64> {
    let t = r.i64()?;
    if !(0..=USECS_PER_DAY).contains(&t) {
        return Err(TypeError::new(
            codes::DATETIME_FIELD_OVERFLOW,
            "time out of range",
        ));
    }
    Ok(t)
}

fn recv_timestamp(r: &mut Reader<'_>, p: Option<u8>) -> TypeResult<i64> {
    let t = r.i64()?;
    if t != i64::MIN && t != i64::MAX && !(MIN_TIMESTAMP..END_TIMESTAMP).contains(&t) {
        return Err(TypeError::new(
            codes::DATETIME_FIELD_OVERFLOW,
            "timestamp out of range",
        ));
    }
    adjust_timestamp(t, p)
}

/// The version byte of `jsonb` / `jsonpath`; PostgreSQL raises an unknown one with `elog`
/// (`XX000`).
fn recv_version(r: &mut Reader<'_>, message: &str) -> TypeResult<()> {
    let version = r.take(1)?.first().copied().unwrap_or_default();
    if version != 1 {
        return Err(internal(format!("{message} {version}")));
    }
    Ok(())
}

/// `numeric_recv` (without the typmod): digits hidden by the dscale are cut off, as
/// PostgreSQL's `trunc_var` does.
fn recv_numeric(r: &mut Reader<'_>) -> TypeResult<Numeric> {
    let ndigits = r.u16()?;
    let weight = r.i16()?;
    let sign = r.u16()?;
    if !matches!(
        sign,
        NUMERIC_POS | NUMERIC_NEG | NUMERIC_NAN | NUMERIC_PINF | NUMERIC_NINF
    ) {
        return Err(binary_error("invalid sign in external \"numeric\" value"));
    }
    let dscale = r.u16()?;
    if u32::from(dscale) > NUMERIC_DSCALE_MAX {
        return Err(binary_error("invalid scale in external \"numeric\" value"));
    }
    let mut digits = Vec::with_capacity(usize::from(ndigits).min(r.buf.len() / 2));
    for _ in 0..ndigits {
        let d = r.u16()?;
        if d >= NBASE {
            return Err(binary_error("invalid digit in external \"numeric\" value"));
        }
        digits.push(d);
    }
    match sign {
        NUMERIC_NAN => return Ok(Numeric::NAN),
        NUMERIC_PINF => return Ok(Numeric::INFINITY),
        NUMERIC_NINF => return Ok(Numeric::NEG_INFINITY),
        _ => {}
    }
    // The plain decimal text: digit i stands for 10000^(weight - i).
    let digit_at = |group: i64, pos: i64| -> u8 {
        let g = usize::try_from(group)
            .ok()
            .and_then(|g| digits.get(g))
            .copied()
            .unwrap_or(0);
        let d = match pos {
            0 => g / 1000,
            1 => g / 100 % 10,
            2 => g / 10 % 10,
            _ => g % 10,
        };
        b'0' + d as u8
    };
    let weight = i64::from(weight);
    let mut text = Vec::new();
    if sign == NUMERIC_NEG {
        text.push(b'-');
    }
    if weight < 0 {
        text.push(b'0');
    }
    for group in 0..=weight {
        for pos in 0..4 {
            text.push(digit_at(group, pos));
        }
    }
    if dscale > 0 {
        text.push(b'.');
        for k in 0..i64::from(dscale) {
            text.push(digit_at(weight + 1 + k / 4, k % 4));
        }
    }
    let text = String::from_utf8(text).map_err(|_| internal("numeric digits"))?;
    Numeric::parse(&text)
}

/// `array_recv` of arrays whose elements are `elem` (sent with type OID `elem_oid`);
/// `oid` elements (an oidvector's) are read as bigint.
fn recv_array(r: &mut Reader<'_>, elem: &DataType, elem_oid: u32) -> TypeResult<Value> {
    let ndim = r.i32()?;
    if ndim < 0 {
        return Err(binary_error(format!(
            "invalid number of dimensions: {ndim}"
        )));
    }
    if ndim as usize > MAX_ARRAY_DIMS {
        return Err(TypeError::new(
            PROGRAM_LIMIT_EXCEEDED,
            format!(
                "number of array dimensions ({ndim}) exceeds the maximum allowed ({MAX_ARRAY_DIMS})"
            ),
        ));
    }
    let flags = r.i32()?;
    if flags != 0 && flags != 1 {
        return Err(binary_error("invalid array flags"));
    }
    let sent_oid = r.u32()?;
    if sent_oid != elem_oid
        && sent_oid < FIRST_GENBKI_OBJECT_ID
        && elem_oid < FIRST_GENBKI_OBJECT_ID
    {
        return Err(TypeError::new(
            codes::DATATYPE_MISMATCH,
            format!(
                "binary data has array element type {sent_oid} ({}) instead of expected {elem_oid} ({})",
                oid_type_name(sent_oid),
                oid_type_name(elem_oid)
            ),
        ));
    }
    let mut raw = Vec::with_capacity(ndim as usize);
    for _ in 0..ndim {
        let len = r.i32()?;
        let lower = r.i32()?;
        raw.push((len, lower));
    }
    // `ArrayGetNItems`, then `ArrayCheckBounds`.
    let too_big = || {
        TypeError::new(
            PROGRAM_LIMIT_EXCEEDED,
            format!("array size exceeds the maximum allowed ({MAX_ARRAY_SIZE})"),
        )
    };
    let mut nitems: i64 = 1;
    for &(len, _) in &raw {
        if len < 0 {
            return Err(too_big());
        }
        nitems *= i64::from(len);
        if nitems > i64::from(i32::MAX) {
            return Err(too_big());
        }
    }
    if nitems > MAX_ARRAY_SIZE {
        return Err(too_big());
    }
    for &(len, lower) in &raw {
        if len.checked_add(lower).is_none() {
            return Err(TypeError::new(
                PROGRAM_LIMIT_EXCEEDED,
                format!("array lower bound is too large: {lower}"),
            ));
        }
    }
    if ndim == 0 || nitems == 0 {
        return Ok(Value::array(elem.clone(), Vec::new()));
    }
    let nitems = nitems as usize;
    // Each element takes at least its 4-byte length word.
    let mut elements = Vec::with_capacity(nitems.min(r.buf.len() / 4));
    for i in 0..nitems {
        let v = match r.item()? {
            None => Value::Null,
            Some(bytes) => {
                let improper = || format!("improper binary format in array element {}", i + 1);
                recv_item(bytes, elem, improper)?
            }
        };
        elements.push(v);
    }
    let dims = raw
        .iter()
        .map(|&(len, lower)| ArrayDim {
            lower,
            len: len as usize,
        })
        .collect();
    Value::array_with_dims(elem.clone(), elements, dims)
        .ok_or_else(|| internal("array dimensions do not match its elements"))
}

/// `int2vectorrecv` / `oidvectorrecv`: an array of one 0-based dimension without NULLs.
fn recv_vector(r: &mut Reader<'_>, elem: &DataType, oid: u32, name: &str) -> TypeResult<Value> {
    let Value::Array(a) = recv_array(r, elem, oid)? else {
        return Err(internal("array expected"));
    };
    match a.dims.as_slice() {
        [d] if d.lower == 0 && !a.elements.iter().any(Value::is_null) => {
            Ok(Value::vector(elem.clone(), a.elements))
        }
        _ => Err(binary_error(format!("invalid {name} data"))),
    }
}

/// `record_recv` for a known row type.
fn recv_record(r: &mut Reader<'_>, rt: &RecordType) -> TypeResult<Value> {
    if rt.is_anonymous() && rt.fields.is_empty() {
        return Err(TypeError::new(
            codes::FEATURE_NOT_SUPPORTED,
            "input of anonymous composite types is not implemented",
        ));
    }
    let count = r.i32()?;
    if usize::try_from(count).ok() != Some(rt.fields.len()) {
        return Err(TypeError::new(
            codes::DATATYPE_MISMATCH,
            format!(
                "wrong number of columns: {count}, expected {}",
                rt.fields.len()
            ),
        ));
    }
    let mut fields = Vec::with_capacity(rt.fields.len());
    for (i, (_, ty)) in rt.fields.iter().enumerate() {
        let sent = r.u32()?;
        let expected = ty.oid();
        if sent != expected && sent < FIRST_GENBKI_OBJECT_ID && expected < FIRST_GENBKI_OBJECT_ID {
            return Err(TypeError::new(
                codes::DATATYPE_MISMATCH,
                format!(
                    "binary data has type {sent} ({}) instead of expected {expected} ({}) in record column {}",
                    oid_type_name(sent),
                    ty.error_name(),
                    i + 1
                ),
            ));
        }
        let v = match r.item()? {
            None => Value::Null,
            Some(bytes) => recv_item(bytes, ty, || {
                format!("improper binary format in record column {}", i + 1)
            })?,
        };
        fields.push(v);
    }
    Ok(Value::record(rt.names(), fields))
}

/// `format_type_extended(oid, -1, FORMAT_TYPE_ALLOW_INVALID)` for the built-in types.
fn oid_type_name(oid: u32) -> String {
    DataType::from_oid(oid).map_or_else(|| "???".into(), |t| t.error_name())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::types::datatype::NumericTypmod;
    use crate::types::enums::{EnumLabel, EnumType};
    use crate::types::{TypeContext, format_text, parse_text};
    use proptest::prelude::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    fn send(v: &Value, ty: &DataType) -> Vec<u8> {
        let mut out = Vec::new();
        encode(v, ty, &mut out).unwrap();
        out
    }

    /// The types created in the reference database for these vectors, with its OIDs.
    fn pair() -> RecordType {
        RecordType {
            oid: 16471,
            array_oid: 16470,
            name: Some("pair".into()),
            fields: vec![
                ("a".into(), DataType::Int4),
                ("b".into(), DataType::Text),
                (
                    "c".into(),
                    DataType::Numeric(Some(NumericTypmod {
                        precision: 5,
                        scale: 2,
                    })),
                ),
            ],
        }
    }

    fn ty(name: &str) -> DataType {
        let mood = || {
            let labels = ["sad", "ok", "happy 😀"]
                .iter()
                .enumerate()
                .map(|(i, l)| EnumLabel {
                    oid: 16477 + i as u32,
                    sort: i as f32 + 1.0,
                    label: (*l).into(),
                })
                .collect();
            DataType::Enum(Arc::new(EnumType {
                oid: 16476,
                array_oid: 16475,
                name: "mood".into(),
                labels,
            }))
        };
        let nest = || {
            DataType::Record(Box::new(RecordType {
                oid: 16474,
                array_oid: 16473,
                name: Some("nest".into()),
                fields: vec![
                    ("p".into(), DataType::Record(Box::new(pair()))),
                    ("arr".into(), DataType::Array(Box::new(DataType::Int4))),
                    ("t".into(), DataType::TimeTz(None)),
                ],
            }))
        };
        match name {
            "pair" => DataType::Record(Box::new(pair())),
            "pair[]" => DataType::Array(Box::new(DataType::Record(Box::new(pair())))),
            "nest" => nest(),
            "mood" => mood(),
            "mood[]" => DataType::Array(Box::new(mood())),
            "void" => DataType::Pseudo(crate::types::Pseudo::Void),
            "anyarray" => DataType::Pseudo(crate::types::Pseudo::AnyArray),
            other => DataType::parse(other).unwrap(),
        }
    }

    /// `(type, input text, PostgreSQL 15's send bytes)`, captured with binary result format
    /// from the reference server (`SELECT 'input'::type`).
    const GOLDEN: &[(&str, &str, &str)] = &[
        ("bool", "true", "01"),
        ("bool", "false", "00"),
        ("int2", "0", "0000"),
        ("int2", "-1", "ffff"),
        ("int2", "32767", "7fff"),
        ("int2", "-32768", "8000"),
        ("int4", "42", "0000002a"),
        ("int4", "-2147483648", "80000000"),
        ("int4", "2147483647", "7fffffff"),
        ("int8", "9223372036854775807", "7fffffffffffffff"),
        ("int8", "-9223372036854775808", "8000000000000000"),
        ("int8", "0", "0000000000000000"),
        ("oid", "4294967295", "ffffffff"),
        ("oid", "-2", "fffffffe"),
        (
            "oid[]",
            "{1,NULL,4294967295}",
            "00000001000000010000001a00000003000000010000000400000001ffffffff00000004ffffffff",
        ),
        ("float4", "1.5", "3fc00000"),
        ("float4", "-0", "80000000"),
        ("float4", "NaN", "7fc00000"),
        ("float4", "Infinity", "7f800000"),
        ("float4", "-Infinity", "ff800000"),
        ("float4", "3.4028235e38", "7f7fffff"),
        ("float4", "1e-45", "00000001"),
        ("float8", "0.1", "3fb999999999999a"),
        ("float8", "-0", "8000000000000000"),
        ("float8", "NaN", "7ff8000000000000"),
        ("float8", "-Infinity", "fff0000000000000"),
        ("float8", "1.7976931348623157e308", "7fefffffffffffff"),
        ("float8", "5e-324", "0000000000000001"),
        ("numeric", "0", "0000000000000000"),
        ("numeric", "0.00", "0000000000000002"),
        ("numeric", "1", "00010000000000000001"),
        ("numeric", "-1", "00010000400000000001"),
        ("numeric", "12345.6789", "0003000100000004000109291a85"),
        ("numeric", "0.0001", "0001ffff000000040001"),
        ("numeric", "0.00000000000000000001", "0001fffb000000140001"),
        ("numeric", "10000", "00010001000000000001"),
        ("numeric", "100000000", "00010002000000000001"),
        (
            "numeric",
            "-123456789012345678901234567890.123456789",
            "000b000740000009000c0d801ed204d2162e23340d801ed204d2162e2328",
        ),
        ("numeric", "NaN", "00000000c0000000"),
        ("numeric", "Infinity", "00000000d0000020"),
        ("numeric", "-Infinity", "00000000f0000020"),
        ("numeric", "1.10", "0002000000000002000103e8"),
        (
            "numeric",
            "99999999.99999999",
            "0004000100000008270f270f270f270f",
        ),
        ("numeric", "1e100", "00010019000000000001"),
        ("numeric", "0.000123", "0002ffff00000006000108fc"),
        ("numeric", "-0.5", "0001ffff400000011388"),
        ("numeric", "123.45e-10", "0002fffe0000000c00010929"),
        ("numeric(10,2)", "3.14159", "000200000000000200030578"),
        ("numeric(10,2)", "-0.005", "0001ffff400000020064"),
        ("numeric(3,-2)", "12345", "0002000100000000000108fc"),
        ("text", "", ""),
        ("text", "hello", "68656c6c6f"),
        (
            "text",
            "héllo 日本 🎉",
            "68c3a96c6c6f20e697a5e69cac20f09f8e89",
        ),
        ("text", "tab\there", "7461620968657265"),
        ("varchar(5)", "ab", "6162"),
        ("char(5)", "ab", "6162202020"),
        ("bpchar", "ab  ", "61622020"),
        ("name", "pg_class", "70675f636c617373"),
        ("name", "ñame", "c3b1616d65"),
        ("bytea", "\\x", ""),
        ("bytea", "\\x00ff10", "00ff10"),
        ("\"char\"", "a", "61"),
        ("\"char\"", "", "00"),
        ("\"char\"", "\\377", "ff"),
        ("date", "2000-01-01", "00000000"),
        ("date", "1999-12-31", "ffffffff"),
        ("date", "infinity", "7fffffff"),
        ("date", "-infinity", "80000000"),
        ("date", "4714-11-24 BC", "ffda97a7"),
        ("date", "5874897-12-31", "7fda970c"),
        ("time", "00:00", "0000000000000000"),
        ("time", "23:59:59.999999", "000000141dd75fff"),
        ("time", "24:00:00", "000000141dd76000"),
        ("time", "12:34:56.789", "0000000a8be62608"),
        ("time(2)", "12:34:56.789", "0000000a8be629f0"),
        ("timetz", "12:34:56+05:30", "0000000a8bda1c00ffffb2a8"),
        ("timetz", "00:00:00-15:59", "00000000000000000000e0c4"),
        ("timetz", "24:00:00+15:59", "000000141dd76000ffff1f3c"),
        ("timetz", "12:00:00.5-03", "0000000a0ef3512000002a30"),
        ("timestamp", "2000-01-01", "0000000000000000"),
        ("timestamp", "1970-01-01 00:00:00", "fffca2fec4c82000"),
        ("timestamp", "infinity", "7fffffffffffffff"),
        ("timestamp", "-infinity", "8000000000000000"),
        ("timestamp", "4714-11-24 00:00:00 BC", "fd0f7cc1411fa000"),
        (
            "timestamp",
            "294276-12-31 23:59:59.999999",
            "7fffff5bb3b29fff",
        ),
        (
            "timestamp",
            "2024-02-29 12:34:56.123456",
            "0002b58341685e40",
        ),
        ("timestamp(0)", "2024-02-29 12:34:56.5", "0002b5834175be40"),
        ("timestamptz", "2024-06-01 12:00:00+02", "0002bccfee8ea800"),
        ("timestamptz", "infinity", "7fffffffffffffff"),
        (
            "timestamptz",
            "1999-12-31 23:59:59.999999-01",
            "00000000d693a3ff",
        ),
        (
            "interval",
            "1 year 2 mons 3 days 04:05:06.789",
            "000000036c97ca88000000030000000e",
        ),
        (
            "interval",
            "-1 mons -2 days -00:00:01",
            "fffffffffff0bdc0fffffffeffffffff",
        ),
        ("interval", "0", "00000000000000000000000000000000"),
        (
            "interval",
            "178000000 years",
            "0000000000000000000000007f50c600",
        ),
        (
            "interval",
            "-178000000 years",
            "00000000000000000000000080af3a00",
        ),
        (
            "interval",
            "2147483647 days",
            "00000000000000007fffffff00000000",
        ),
        (
            "interval",
            "1 day -1 microsecond",
            "ffffffffffffffff0000000100000000",
        ),
        (
            "uuid",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11",
        ),
        (
            "uuid",
            "00000000-0000-0000-0000-000000000000",
            "00000000000000000000000000000000",
        ),
        (
            "json",
            "{\"a\": [1, 2.5, null], \"b\" : \"x\"}",
            "7b2261223a205b312c20322e352c206e756c6c5d2c20226222203a202278227d",
        ),
        ("json", "\"\\u00e9\"", "225c753030653922"),
        ("json", " [] ", "205b5d20"),
        (
            "jsonb",
            "{\"b\": 1, \"a\": [true, null, \"x\"]}",
            "017b2261223a205b747275652c206e756c6c2c202278225d2c202262223a20317d",
        ),
        ("jsonb", "1.50", "01312e3530"),
        ("jsonb", "\"é\"", "0122c3a922"),
        ("jsonb", "[]", "015b5d"),
        (
            "jsonb",
            "{\"a\": {\"b\": -0.0}}",
            "017b2261223a207b2262223a20302e307d7d",
        ),
        (
            "jsonpath",
            "$.a[*] ? (@ > 1)",
            "01242e2261225b2a5d3f2840203e203129",
        ),
        ("jsonpath", "strict $.x", "0173747269637420242e227822"),
        ("jsonpath", "$", "0124"),
        ("regclass", "1259", "000004eb"),
        ("regtype", "23", "00000017"),
        ("regproc", "1242", "000004da"),
        ("regprocedure", "1242", "000004da"),
        ("regoper", "96", "00000060"),
        ("regnamespace", "11", "0000000b"),
        ("regrole", "10", "0000000a"),
        (
            "int2vector",
            "1 2 -3",
            "000000010000000000000015000000030000000000000002000100000002000200000002fffd",
        ),
        ("int2vector", "", "0000000100000000000000150000000000000000"),
        (
            "oidvector",
            "23 25 4294967295",
            "00000001000000000000001a00000003000000000000000400000017000000040000001900000004ffffffff",
        ),
        ("oidvector", "", "00000001000000000000001a0000000000000000"),
        ("int4[]", "{}", "000000000000000000000017"),
        (
            "int4[]",
            "{1,2,3}",
            "0000000100000000000000170000000300000001000000040000000100000004000000020000000400000003",
        ),
        (
            "int4[]",
            "{1,NULL,3}",
            "00000001000000010000001700000003000000010000000400000001ffffffff0000000400000003",
        ),
        (
            "int4[]",
            "{{1,2},{3,4}}",
            "000000020000000000000017000000020000000100000002000000010000000400000001000000040000000200000004000000030000000400000004",
        ),
        (
            "int4[]",
            "[0:1]={7,8}",
            "000000010000000000000017000000020000000000000004000000070000000400000008",
        ),
        (
            "int4[]",
            "[-2:-1][3:5]={{1,2,3},{4,5,NULL}}",
            "00000002000000010000001700000002fffffffe000000030000000300000004000000010000000400000002000000040000000300000004000000040000000400000005ffffffff",
        ),
        (
            "int4[]",
            "{NULL}",
            "0000000100000001000000170000000100000001ffffffff",
        ),
        (
            "int8[]",
            "{1,-1}",
            "000000010000000000000014000000020000000100000008000000000000000100000008ffffffffffffffff",
        ),
        (
            "int2[]",
            "{1,-1}",
            "000000010000000000000015000000020000000100000002000100000002ffff",
        ),
        (
            "text[]",
            "{a,\"b c\",NULL,\"\"}",
            "0000000100000001000000190000000400000001000000016100000003622063ffffffff00000000",
        ),
        (
            "text[]",
            "{\"héllo\"}",
            "00000001000000000000001900000001000000010000000668c3a96c6c6f",
        ),
        (
            "numeric[]",
            "{1.5,NaN,-0.001}",
            "0000000100000000000006a400000003000000010000000c0002000000000001000113880000000800000000c00000000000000a0001ffff40000003000a",
        ),
        (
            "varchar(3)[]",
            "{ab,cd}",
            "0000000100000000000004130000000200000001000000026162000000026364",
        ),
        (
            "bool[]",
            "{{{t}},{{f}}}",
            "00000003000000000000001000000002000000010000000100000001000000010000000100000001010000000100",
        ),
        (
            "date[]",
            "{2000-01-01,infinity}",
            "00000001000000000000043a00000002000000010000000400000000000000047fffffff",
        ),
        (
            "timetz[]",
            "{12:00+01}",
            "0000000100000000000004f200000001000000010000000c0000000a0eebb000fffff1f0",
        ),
        (
            "interval[]",
            "{\"1 day\"}",
            "0000000100000000000004a200000001000000010000001000000000000000000000000100000000",
        ),
        (
            "uuid[]",
            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
            "000000010000000000000b86000000010000000100000010a0eebc999c0b4ef8bb6d6bb9bd380a11",
        ),
        (
            "jsonb[]",
            "{\"{\\\"a\\\": 1}\"}",
            "000000010000000000000eda000000010000000100000009017b2261223a20317d",
        ),
        (
            "json[]",
            "{\"[1]\"}",
            "0000000100000000000000720000000100000001000000035b315d",
        ),
        (
            "\"char\"[]",
            "{a,b}",
            "000000010000000000000012000000020000000100000001610000000162",
        ),
        (
            "name[]",
            "{a,b}",
            "000000010000000000000013000000020000000100000001610000000162",
        ),
        (
            "bytea[]",
            "{\"\\\\x0102\"}",
            "0000000100000000000000110000000100000001000000020102",
        ),
        (
            "float8[]",
            "{NaN,-0,1.5}",
            "0000000100000000000002bd0000000300000001000000087ff8000000000000000000088000000000000000000000083ff8000000000000",
        ),
        (
            "float4[]",
            "{1.5}",
            "0000000100000000000002bc0000000100000001000000043fc00000",
        ),
        (
            "timestamp[]",
            "{infinity}",
            "00000001000000000000045a0000000100000001000000087fffffffffffffff",
        ),
        (
            "timestamptz[]",
            "{\"2024-01-01 00:00:00+00\"}",
            "0000000100000000000004a00000000100000001000000080002b0d5d4e94000",
        ),
        (
            "time[]",
            "{01:02:03}",
            "00000001000000000000043b00000001000000010000000800000000dde878c0",
        ),
        (
            "char(2)[]",
            "{a}",
            "0000000100000000000004120000000100000001000000026120",
        ),
        (
            "regclass[]",
            "{1259}",
            "00000001000000000000089d000000010000000100000004000004eb",
        ),
        (
            "regtype[]",
            "{23}",
            "00000001000000000000089e00000001000000010000000400000017",
        ),
        (
            "jsonpath[]",
            "{\"$.a\"}",
            "000000010000000000000fe800000001000000010000000601242e226122",
        ),
        (
            "oidvector[]",
            "{\"1 2\",3}",
            "00000001000000000000001e00000002000000010000002400000001000000000000001a000000020000\
             0000000000040000000100000004000000020000001c00000001000000000000001a00000001000000000\
             000000400000003",
        ),
        (
            "int2vector[]",
            "{\"1 -2\",NULL}",
            "000000010000000100000016000000020000000100000020000000010000000000000015000000020000\
             000000000002000100000002fffeffffffff",
        ),
        (
            "pair",
            "(1,abc,3.14)",
            "000000030000001700000004000000010000001900000003616263000006a40000000c000200000000000200030578",
        ),
        (
            "pair",
            "(,,)",
            "0000000300000017ffffffff00000019ffffffff000006a4ffffffff",
        ),
        (
            "pair",
            "(-5,\"a,b\",-0.5)",
            "000000030000001700000004fffffffb0000001900000003612c62000006a40000000a0001ffff400000021388",
        ),
        (
            "nest",
            "(\"(1,x,)\",\"{1,2}\",12:00+01)",
            "00000003000040570000002100000003000000170000000400000001000000190000000178000006a4ffffffff000003ef00000024000000010000000000000017000000020000000100000004000000010000000400000002000004f20000000c0000000a0eebb000fffff1f0",
        ),
        (
            "nest",
            "(,,)",
            "0000000300004057ffffffff000003efffffffff000004f2ffffffff",
        ),
        (
            "pair[]",
            "{\"(1,a,1)\",NULL}",
            "00000001000000010000405700000002000000010000002b00000003000000170000000400000001000000190000000161000006a40000000a00010000000000020001ffffffff",
        ),
        ("mood", "ok", "6f6b"),
        ("mood", "happy 😀", "686170707920f09f9880"),
        (
            "mood[]",
            "{sad,NULL}",
            "00000001000000010000405c000000020000000100000003736164ffffffff",
        ),
    ];

    /// `(type, field bytes, PostgreSQL 15's answer)` for a binary bind parameter: `OK` and the
    /// bytes it sends back, or `ERROR`, the SQLSTATE and the message.
    const RECEIVE: &[(&str, &str, &str)] = &[
        (
            "int4",
            "000000",
            "ERROR 08P01 insufficient data left in message",
        ),
        (
            "int4",
            "0000002a00",
            "ERROR 22P03 incorrect binary data format in bind parameter 1",
        ),
        (
            "int2",
            "00",
            "ERROR 08P01 insufficient data left in message",
        ),
        (
            "int8",
            "00000000000000",
            "ERROR 08P01 insufficient data left in message",
        ),
        ("bool", "", "ERROR 08P01 no data left in message"),
        ("bool", "05", "OK 01"),
        (
            "bool",
            "0100",
            "ERROR 22P03 incorrect binary data format in bind parameter 1",
        ),
        ("\"char\"", "", "ERROR 08P01 no data left in message"),
        (
            "\"char\"",
            "8001",
            "ERROR 22P03 incorrect binary data format in bind parameter 1",
        ),
        (
            "float4",
            "000000",
            "ERROR 08P01 insufficient data left in message",
        ),
        ("float8", "7ff8000000000001", "OK 7ff8000000000001"),
        (
            "text",
            "41ff",
            "ERROR 22021 invalid byte sequence for encoding \"UTF8\": 0xff",
        ),
        (
            "text",
            "4100",
            "ERROR 22021 invalid byte sequence for encoding \"UTF8\": 0x00",
        ),
        (
            "text",
            "e697",
            "ERROR 22021 invalid byte sequence for encoding \"UTF8\": 0xe6 0x97",
        ),
        (
            "text",
            "41e69741",
            "ERROR 22021 invalid byte sequence for encoding \"UTF8\": 0xe6 0x97 0x41",
        ),
        (
            "text",
            "eda080",
            "ERROR 22021 invalid byte sequence for encoding \"UTF8\": 0xed 0xa0 0x80",
        ),
        (
            "text",
            "c0af",
            "ERROR 22021 invalid byte sequence for encoding \"UTF8\": 0xc0 0xaf",
        ),
        (
            "numeric",
            "0000000001000000",
            "ERROR 22P03 invalid sign in external \"numeric\" value",
        ),
        (
            "numeric",
            "0000000000004000",
            "ERROR 22P03 invalid scale in external \"numeric\" value",
        ),
        (
            "numeric",
            "00010000000000002710",
            "ERROR 22P03 invalid digit in external \"numeric\" value",
        ),
        (
            "numeric",
            "00020000000000000001",
            "ERROR 08P01 insufficient data left in message",
        ),
        (
            "numeric",
            "000200000000000100011388",
            "OK 000200000000000100011388",
        ),
        (
            "numeric",
            "000200000000000000011388",
            "OK 00010000000000000001",
        ),
        ("numeric", "000200004000000000000000", "OK 0000000000000000"),
        ("numeric", "00017fff00000000270f", "OK 00017fff00000000270f"),
        ("numeric", "0001800000003fff0001", "OK 0000000000003fff"),
        (
            "numeric",
            "0003000100000000000000010000",
            "OK 00010000000000000001",
        ),
        ("numeric", "00000000c0000005", "OK 00000000c0000000"),
        ("numeric", "00010000c00000000001", "OK 00000000c0000000"),
        (
            "numeric",
            "000000000000",
            "ERROR 08P01 insufficient data left in message",
        ),
        (
            "name",
            "41414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141",
            "ERROR 42622 identifier too long",
        ),
        (
            "name",
            "414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141",
            "OK 414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141",
        ),
        ("bpchar", "612020", "OK 612020"),
        (
            "json",
            "7b",
            "ERROR 22P02 invalid input syntax for type json",
        ),
        ("json", "7b7d20", "OK 7b7d20"),
        ("jsonb", "", "ERROR 08P01 insufficient data left in message"),
        (
            "jsonb",
            "027b7d",
            "ERROR XX000 unsupported jsonb version number 2",
        ),
        (
            "jsonb",
            "017b",
            "ERROR 22P02 invalid input syntax for type json",
        ),
        (
            "jsonb",
            "01",
            "ERROR 22P02 invalid input syntax for type json",
        ),
        ("jsonb", "015b315d", "OK 015b315d"),
        (
            "jsonpath",
            "0224",
            "ERROR XX000 unsupported jsonpath version number: 2",
        ),
        (
            "jsonpath",
            "",
            "ERROR 08P01 insufficient data left in message",
        ),
        (
            "jsonpath",
            "01242e",
            "ERROR 42601 syntax error at end of jsonpath input",
        ),
        ("date", "7ffffffe", "ERROR 22008 date out of range"),
        ("date", "ffda97a6", "ERROR 22008 date out of range"),
        ("date", "80000001", "ERROR 22008 date out of range"),
        ("time", "000000141dd76001", "ERROR 22008 time out of range"),
        ("time", "ffffffffffffffff", "ERROR 22008 time out of range"),
        (
            "timetz",
            "0000000000000000ffff1fc0",
            "OK 0000000000000000ffff1fc0",
        ),
        (
            "timetz",
            "00000000000000000000e040",
            "OK 00000000000000000000e040",
        ),
        (
            "timetz",
            "00000000000000000000e03f",
            "OK 00000000000000000000e03f",
        ),
        (
            "timestamp",
            "7ffffffffffffffe",
            "ERROR 22008 timestamp out of range",
        ),
        (
            "timestamptz",
            "fd0f7cc1411f9fff",
            "ERROR 22008 timestamp out of range",
        ),
        ("timestamp", "fd0f7cc1411fa000", "OK fd0f7cc1411fa000"),
        (
            "uuid",
            "00",
            "ERROR 08P01 insufficient data left in message",
        ),
        (
            "interval",
            "0000000000000000000000000000000000",
            "ERROR 22P03 incorrect binary data format in bind parameter 1",
        ),
        (
            "interval",
            "0000000000000000000000000000",
            "ERROR 08P01 insufficient data left in message",
        ),
        (
            "regclass",
            "000004eb00",
            "ERROR 22P03 incorrect binary data format in bind parameter 1",
        ),
        (
            "int4[]",
            "0000000100000000000000170000000100000001000000050000000100",
            "ERROR 22P03 improper binary format in array element 1",
        ),
        (
            "int4[]",
            "0000000100000000000000170000000100000001fffffffe",
            "ERROR 22P03 insufficient data left in message",
        ),
        (
            "int4[]",
            "00000001000000000000001700000001000000010000000800000001",
            "ERROR 22P03 insufficient data left in message",
        ),
        (
            "int4[]",
            "ffffffff0000000000000017",
            "ERROR 22P03 invalid number of dimensions: -1",
        ),
        (
            "int4[]",
            "000000070000000000000017",
            "ERROR 54000 number of array dimensions (7) exceeds the maximum allowed (6)",
        ),
        (
            "int4[]",
            "00000001000000020000001700000001000000010000000400000001",
            "ERROR 22P03 invalid array flags",
        ),
        (
            "int4[]",
            "0000000100000000000000150000000100000001000000020001",
            "ERROR 42804 binary data has array element type 21 (smallint) instead of expected 23 (integer)",
        ),
        (
            "int4[]",
            "0000000100000000000000ff00000001000000010000000400000001",
            "ERROR 42804 binary data has array element type 255 (???) instead of expected 23 (integer)",
        ),
        (
            "int4[]",
            "00000001000000000000400000000001000000010000000400000001",
            "OK 00000001000000000000001700000001000000010000000400000001",
        ),
        (
            "int4[]",
            "00000002000000000000001700000000000000010000000300000001",
            "OK 000000000000000000000017",
        ),
        (
            "int4[]",
            "000000010000000000000017ffffffff00000001",
            "ERROR 54000 array size exceeds the maximum allowed (134217727)",
        ),
        (
            "int4[]",
            "00000002000000000000001700010000000000010001000000000001",
            "ERROR 54000 array size exceeds the maximum allowed (134217727)",
        ),
        (
            "int4[]",
            "0000000100000000000000170000000a7ffffffe",
            "ERROR 54000 array lower bound is too large: 2147483646",
        ),
        (
            "int4[]",
            "00000001000000000000001700000002000000010000000400000001",
            "ERROR 08P01 insufficient data left in message",
        ),
        (
            "int4[]",
            "00000001000000010000001700000001000000010000000400000001",
            "OK 00000001000000000000001700000001000000010000000400000001",
        ),
        (
            "int4[]",
            "0000000100000000000000170000000100000001ffffffff",
            "OK 0000000100000001000000170000000100000001ffffffff",
        ),
        (
            "int4[]",
            "000000000000000000000017",
            "OK 000000000000000000000017",
        ),
        (
            "int4[]",
            "00000000000000000000001700",
            "ERROR 22P03 incorrect binary data format in bind parameter 1",
        ),
        (
            "int4[]",
            "",
            "ERROR 08P01 insufficient data left in message",
        ),
        (
            "int4[]",
            "0000000100000000",
            "ERROR 08P01 insufficient data left in message",
        ),
        (
            "int4[]",
            "00000001000000000000001700000001800000000000000400000001",
            "OK 00000001000000000000001700000001800000000000000400000001",
        ),
        (
            "text[]",
            "000000010000000000000019000000010000000100000001ff",
            "ERROR 22021 invalid byte sequence for encoding \"UTF8\": 0xff",
        ),
        (
            "text[]",
            "0000000100000000000003eb00000001000000010000000141",
            "ERROR 42804 binary data has array element type 1003 (name[]) instead of expected 25 (text)",
        ),
        (
            "text[]",
            "00000001000000000000041300000001000000010000000141",
            "ERROR 42804 binary data has array element type 1043 (character varying) instead of expected 25 (text)",
        ),
        (
            "int2vector",
            "0000000100000000000000150000000100000000000000020001",
            "OK 0000000100000000000000150000000100000000000000020001",
        ),
        (
            "int2vector",
            "0000000100000000000000150000000100000001000000020001",
            "ERROR 22P03 invalid int2vector data",
        ),
        (
            "int2vector",
            "0000000100000001000000150000000100000000ffffffff",
            "ERROR 22P03 invalid int2vector data",
        ),
        (
            "int2vector",
            "0000000100000000000000150000000000000000",
            "ERROR 22P03 invalid int2vector data",
        ),
        (
            "int2vector",
            "000000000000000000000015",
            "ERROR 22P03 invalid int2vector data",
        ),
        (
            "int2vector",
            "00000001000000000000001700000001000000000000000400000001",
            "ERROR 42804 binary data has array element type 23 (integer) instead of expected 21 (smallint)",
        ),
        (
            "oidvector",
            "00000001000000000000001a000000010000000000000004ffffffff",
            "OK 00000001000000000000001a000000010000000000000004ffffffff",
        ),
        (
            "oidvector",
            "000000010000000000000017000000010000000000000004ffffffff",
            "ERROR 42804 binary data has array element type 23 (integer) instead of expected 26 (oid)",
        ),
        (
            "oidvector",
            "00000001000000000000001a00000001000000010000000400000001",
            "ERROR 22P03 invalid oidvector data",
        ),
        (
            "record",
            "00000000",
            "ERROR 0A000 input of anonymous composite types is not implemented",
        ),
        ("void", "", "OK"),
        (
            "void",
            "00",
            "ERROR 22P03 incorrect binary data format in bind parameter 1",
        ),
        (
            "anyarray",
            "00",
            "ERROR 0A000 cannot accept a value of type anyarray",
        ),
        ("unknown", "41", "OK 41"),
        (
            "timetz",
            "00000000000000000000e100",
            "ERROR 22009 time zone displacement out of range",
        ),
        (
            "timetz",
            "00000000000000000000e0ff",
            "OK 00000000000000000000e0ff",
        ),
        (
            "timetz",
            "0000000000000000ffff1f00",
            "ERROR 22009 time zone displacement out of range",
        ),
        (
            "timetz",
            "0000000000000000ffff1f01",
            "OK 0000000000000000ffff1f01",
        ),
        (
            "mood",
            "6e6f7065",
            "ERROR 22P02 invalid input value for enum mood: \"nope\"",
        ),
        ("mood", "6f6b", "OK 6f6b"),
        (
            "pair",
            "00000002",
            "ERROR 42804 wrong number of columns: 2, expected 3",
        ),
        (
            "pair",
            "000000030000001900000001410000001900000000000006a4ffffffff",
            "ERROR 42804 binary data has type 25 (text) instead of expected 23 (integer) in record column 1",
        ),
        (
            "pair",
            "00000003000000170000000500000001000000001900000000000006a4ffffffff",
            "ERROR 22P03 improper binary format in record column 1",
        ),
        (
            "pair",
            "000000030000001700000008000000010000001900000000000006a4ffffffff",
            "ERROR 22P03 improper binary format in record column 1",
        ),
        (
            "pair",
            "000000030000001700000004000000010000001900000000000006a4fffffffe",
            "ERROR 22P03 insufficient data left in message",
        ),
        (
            "pair",
            "000000030000001700000004000000010000001900000000000006a40000000a00010003000000030004",
            "ERROR 22003 numeric field overflow",
        ),
        (
            "pair",
            "000000030000400000000004000000010000001900000000000006a4ffffffff",
            "OK 000000030000001700000004000000010000001900000000000006a4ffffffff",
        ),
        (
            "pair",
            "000000030000001700000004000000010000001300000000000006a4ffffffff",
            "ERROR 42804 binary data has type 19 (name) instead of expected 25 (text) in record column 2",
        ),
        (
            "pair",
            "000000030000001700000004000000010000001900000000000006a4",
            "ERROR 08P01 insufficient data left in message",
        ),
        (
            "nest",
            "00000003000000170000000400000001000003efffffffff000004f2ffffffff",
            "ERROR 42804 wrong number of columns: 1, expected 3",
        ),
        (
            "nest",
            "00000003000040570000000400000001000003efffffffff000004f2ffffffff",
            "ERROR 42804 wrong number of columns: 1, expected 3",
        ),
        (
            "nest",
            "0000000300004057ffffffff000003efffffffff000004f2ffffffff",
            "OK 0000000300004057ffffffff000003efffffffff000004f2ffffffff",
        ),
        (
            "mood[]",
            "00000001000000000000405c0000000100000001000000026f6b",
            "OK 00000001000000000000405c0000000100000001000000026f6b",
        ),
        (
            "mood[]",
            "0000000100000000000000190000000100000001000000026f6b",
            "OK 00000001000000000000405c0000000100000001000000026f6b",
        ),
    ];

    #[test]
    fn send_matches_postgres() {
        let ctx = TypeContext::default();
        for (t, input, expected) in GOLDEN {
            let ty = ty(t);
            let v = parse_text(input, &ty, &ctx)
                .unwrap_or_else(|e| panic!("{t} {input:?}: {}", e.message()));
            let bytes = send(&v, &ty);
            assert_eq!(hex(&bytes), *expected, "send of {input:?}::{t}");
            if matches!(ty, DataType::Int2Vector | DataType::OidVector) && input.is_empty() {
                // PostgreSQL sends an empty vector with one dimension of length 0, which its
                // receive function rejects (it reads as an array without dimensions).
                let e = decode(&bytes, &ty).unwrap_err();
                assert_eq!(e.code(), INVALID_BINARY_REPRESENTATION);
                continue;
            }
            let back = decode(&bytes, &ty)
                .unwrap_or_else(|e| panic!("receive of {input:?}::{t}: {}", e.message()));
            assert_eq!(send(&back, &ty), bytes, "round trip of {input:?}::{t}");
            assert_eq!(
                format_text(&back, &ctx),
                format_text(&v, &ctx),
                "{input:?}::{t}"
            );
        }
    }

    #[test]
    fn receive_matches_postgres() {
        for (t, field, expected) in RECEIVE {
            let ty = ty(t);
            let got = decode_param(&unhex(field), &ty, 1);
            match (expected.split_once(' '), got) {
                (Some(("OK", bytes)), Ok(v)) => {
                    assert_eq!(hex(&send(&v, &ty)), *bytes, "{t} {field}");
                }
                (None, Ok(v)) => {
                    assert_eq!(*expected, "OK", "{t} {field}");
                    assert!(send(&v, &ty).is_empty(), "{t} {field}");
                }
                (Some(("ERROR", rest)), Err(e)) => {
                    let (code, message) = rest.split_once(' ').unwrap();
                    assert_eq!((e.code(), e.message()), (code, message), "{t} {field}");
                    assert_eq!(e.sqlstate().code(), code, "{code} is a named SQLSTATE");
                }
                (_, got) => panic!("{t} {field}: expected {expected}, got {got:?}"),
            }
        }
        // Leftover bytes outside a bind parameter read as COPY words them.
        let e = decode(&unhex("0000002a00"), &DataType::Int4).unwrap_err();
        assert_eq!(
            (e.code(), e.message()),
            ("22P03", "incorrect binary data format")
        );
    }

    /// Anonymous rows (`SELECT ROW(...)`), captured from PostgreSQL as above.
    #[test]
    fn anonymous_records() {
        let anon = |types: Vec<DataType>| DataType::Record(Box::new(RecordType::anonymous(types)));
        let names = |n: usize| -> Arc<[String]> { (1..=n).map(|i| format!("f{i}")).collect() };
        let text = |s: &str| Value::Text(s.into());
        let inner = anon(vec![DataType::Int4, DataType::Text]);
        let cases = [
            (
                // row(1, 'x'::text, null::int4)
                anon(vec![DataType::Int4, DataType::Text, DataType::Int4]),
                Value::record(names(3), vec![Value::Int4(1), text("x"), Value::Null]),
                "0000000300000017000000040000000100000019000000017800000017ffffffff",
            ),
            (
                // row(1.5::numeric, row(2, 'y'::text), array[1,2])
                anon(vec![
                    DataType::Numeric(None),
                    inner.clone(),
                    DataType::Array(Box::new(DataType::Int4)),
                ]),
                Value::record(
                    names(3),
                    vec![
                        Value::Numeric(Numeric::parse("1.5").unwrap()),
                        Value::record(names(2), vec![Value::Int4(2), text("y")]),
                        Value::array(DataType::Int4, vec![Value::Int4(1), Value::Int4(2)]),
                    ],
                ),
                "00000003000006a40000000c000200000000000100011388000008c90000001900000002000000170000\
                 000400000002000000190000000179000003ef0000002400000001000000000000001700000002000000\
                 0100000004000000010000000400000002",
            ),
            // row()
            (anon(vec![]), Value::record(names(0), vec![]), "00000000"),
            // row(null): a field of unknown type
            (
                anon(vec![]),
                Value::record(names(1), vec![Value::Null]),
                "00000001000002c1ffffffff",
            ),
            // array[row(1, 'x'::text)]
            (
                DataType::Array(Box::new(inner)),
                Value::array(
                    anon(vec![DataType::Int4, DataType::Text]),
                    vec![Value::record(names(2), vec![Value::Int4(1), text("x")])],
                ),
                "0000000100000000000008c90000000100000001000000190000000200000017000000040000000100\
                 0000190000000178",
            ),
        ];
        for (ty, v, expected) in cases {
            let bytes = send(&v, &ty);
            assert_eq!(hex(&bytes), expected, "{v:?}");
            if ty.record().is_some_and(|r| r.fields.is_empty()) {
                // PostgreSQL cannot read an anonymous `record` without its fields either.
                assert_eq!(decode(&bytes, &ty).unwrap_err().code(), "0A000");
            } else {
                assert_eq!(send(&decode(&bytes, &ty).unwrap(), &ty), bytes);
            }
        }
    }

    /// `int2vector` / `oidvector` are not limited to 100 elements on input (PostgreSQL 15
    /// accepts 101).
    #[test]
    fn long_vectors() {
        for (ty, oid, width) in [
            (DataType::Int2Vector, 21u32, 2usize),
            (DataType::OidVector, 26, 4),
        ] {
            let mut b = Vec::new();
            for w in [1u32, 0, oid, 101, 0] {
                b.extend_from_slice(&w.to_be_bytes());
            }
            for _ in 0..101 {
                b.extend_from_slice(&(width as u32).to_be_bytes());
                b.extend(std::iter::repeat_n(0u8, width - 1));
                b.push(1);
            }
            let v = decode(&b, &ty).unwrap();
            assert_eq!(send(&v, &ty), b);
        }
    }

    #[test]
    fn mismatched_values_are_internal_errors() {
        let mut out = Vec::new();
        for (v, ty) in [
            (Value::Int4(1), DataType::Text),
            (Value::Int4(1), DataType::Int8),
            (Value::Null, DataType::Int4),
            (Value::Text("x".into()), DataType::Bytea),
        ] {
            assert_eq!(encode(&v, &ty, &mut out).unwrap_err().code(), "XX000");
        }
        // A bad element deep inside leaves nothing behind.
        let bad = Value::array(DataType::Int4, vec![Value::Int4(1), Value::Int8(2)]);
        let int4s = DataType::Array(Box::new(DataType::Int4));
        assert!(encode(&bad, &int4s, &mut out).is_err());
        assert!(out.is_empty());
        // A polymorphic type sends the value's own type; void sends nothing.
        encode(
            &Value::Int4(7),
            &DataType::Pseudo(crate::types::Pseudo::AnyElement),
            &mut out,
        )
        .unwrap();
        encode(
            &Value::Null,
            &DataType::Pseudo(crate::types::Pseudo::Void),
            &mut out,
        )
        .unwrap();
        assert_eq!(out, [0, 0, 0, 7]);
    }

    #[test]
    fn typmods_apply_on_receive() {
        let vc = DataType::parse("varchar(2)").unwrap();
        assert_eq!(decode(b"abc", &vc).unwrap_err().code(), "22001");
        assert_eq!(decode(b"ab ", &vc).unwrap(), Value::Text("ab".into()));
        let bp = DataType::parse("char(3)").unwrap();
        assert_eq!(decode(b"a", &bp).unwrap(), Value::Bpchar("a  ".into()));
        // numeric(5,2): 1.005 rounds to 1.01.
        let n = DataType::parse("numeric(5,2)").unwrap();
        let v = decode(&unhex("0002 0000 0000 0003 0001 0032"), &n).unwrap();
        assert_eq!(hex(&send(&v, &n)), "000200000000000200010064");
        // time(0): 0.5 s rounds up.
        let t = DataType::parse("time(0)").unwrap();
        assert_eq!(
            decode(&unhex("000000000007a120"), &t).unwrap(),
            Value::Time(1_000_000)
        );
    }

    fn receive_types() -> Vec<DataType> {
        let mut types: Vec<DataType> = [
            "bool",
            "int2",
            "int4",
            "int8",
            "float4",
            "float8",
            "numeric",
            "numeric(5,2)",
            "text",
            "varchar(3)",
            "char(2)",
            "name",
            "bytea",
            "\"char\"",
            "date",
            "time",
            "timetz",
            "timestamp(2)",
            "timestamptz",
            "interval",
            "uuid",
            "json",
            "jsonb",
            "jsonpath",
            "regclass",
            "int2vector",
            "oidvector",
            "int4[]",
            "text[]",
            "numeric[]",
            "jsonb[]",
            "pair",
            "nest",
            "pair[]",
            "mood",
            "mood[]",
            "void",
            "anyarray",
        ]
        .iter()
        .map(|t| ty(t))
        .collect();
        types.push(DataType::Array(Box::new(DataType::Array(Box::new(
            DataType::TimeTz(None),
        )))));
        types
    }

    proptest! {
        /// No input makes a receive function panic.
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            for ty in receive_types() {
                let _ = decode(&bytes, &ty);
            }
        }

        /// Random bytes after a valid array or record header reach the element functions.
        #[test]
        fn random_elements_never_panic(
            ndim in 0i32..3,
            dims in proptest::collection::vec((0i32..3, -2i32..2), 3),
            tail in proptest::collection::vec(any::<u8>(), 0..80),
        ) {
            for (t, oid) in [("numeric[]", 1700u32), ("text[]", 25), ("timetz[]", 1266)] {
                let mut b = Vec::new();
                b.extend_from_slice(&ndim.to_be_bytes());
                b.extend_from_slice(&0i32.to_be_bytes());
                b.extend_from_slice(&oid.to_be_bytes());
                for (len, lower) in dims.iter().take(ndim as usize) {
                    b.extend_from_slice(&len.to_be_bytes());
                    b.extend_from_slice(&lower.to_be_bytes());
                }
                b.extend_from_slice(&tail);
                let _ = decode(&b, &ty(t));
            }
            let mut b = 3i32.to_be_bytes().to_vec();
            b.extend_from_slice(&tail);
            let _ = decode(&b, &ty("pair"));
        }

        /// Numerics of any scale survive send and receive, and the digits are canonical
        /// (no leading or trailing zero digit).
        #[test]
        fn numeric_round_trip(unscaled in any::<i128>(), scale in 0u32..40) {
            let n = Numeric::from_parts(unscaled, scale);
            let ty = DataType::Numeric(None);
            let bytes = send(&Value::Numeric(n.clone()), &ty);
            let Value::Numeric(back) = decode(&bytes, &ty).unwrap() else { panic!() };
            prop_assert_eq!(back.to_text(), n.to_text());
            let ndigits = usize::from(u16::from_be_bytes([bytes[0], bytes[1]]));
            prop_assert_eq!(bytes.len(), 8 + 2 * ndigits);
            if ndigits > 0 {
                prop_assert!(bytes[8..10] != [0, 0] && bytes[bytes.len() - 2..] != [0, 0]);
            }
        }

        /// Arrays of any shape survive send and receive, lower bounds and NULLs included.
        #[test]
        fn array_round_trip(
            shape in proptest::collection::vec((1usize..3, -3i32..3), 1..4),
            seed in proptest::collection::vec(proptest::option::of(any::<i32>()), 27),
        ) {
            let count: usize = shape.iter().map(|s| s.0).product();
            let elements: Vec<Value> =
                seed.iter().take(count).map(|e| e.map_or(Value::Null, Value::Int4)).collect();
            let dims = shape.iter().map(|&(len, lower)| ArrayDim { lower, len }).collect();
            let v = Value::array_with_dims(DataType::Int4, elements, dims).unwrap();
            let ty = DataType::Array(Box::new(DataType::Int4));
            let bytes = send(&v, &ty);
            let back = decode(&bytes, &ty).unwrap();
            prop_assert_eq!(&back, &v);
            prop_assert_eq!(send(&back, &ty), bytes);
        }
    }
}
