//! Casts between the supported types, as PostgreSQL's `pg_cast` defines them.
//!
//! [`cast_context`] answers whether a cast exists and in which contexts it may be applied
//! (`pg_cast.castcontext`): **implicit** (anywhere, e.g. `int4 + int8`), **assignment**
//! (`INSERT`/`UPDATE` into a column, and explicitly) or **explicit** only (`CAST` / `::`).
//! Besides the catalog rows it applies PostgreSQL's automatic rules: a cast to the same type
//! with another modifier (length coercion) is implicit, every type converts to a string
//! type by its output function in assignment context, a string type converts to every type
//! by its input function explicitly, an `unknown` literal converts implicitly to anything,
//! and an array converts to another array type in the context of its element cast.
//!
//! [`cast`] performs the conversion with PostgreSQL's semantics: float to integer rounds half
//! to even (`rint`), numeric to integer rounds half away from zero, overflow raises 22003,
//! `varchar(n)`/`char(n)` truncate silently on an explicit cast but reject non-space excess
//! otherwise (22001), `bpchar` loses its trailing spaces when converted to another string
//! type, and `timestamptz` conversions use the session time zone.

use super::catalog::truncate_name;
use super::datatype::DataType;
use super::datetime::{
    DATE_INFINITY, DATE_NEG_INFINITY, END_TIMESTAMP, MIN_TIMESTAMP, TIMESTAMP_INFINITY,
    TIMESTAMP_NEG_INFINITY, TypeContext, USECS_PER_DAY, USECS_PER_SEC, adjust_timestamp,
    round_to_precision,
};
use super::error::{TypeError, TypeResult, codes};
use super::interval::Interval;
use super::json::{Jsonb, parse_jsonb};
use super::numeric::{Numeric, special_to_int_error};
use super::scalar::{LengthCheck, apply_bpchar, apply_varchar, bpchar_trim};
use super::text::{format_text, parse_text};
use super::value::Value;

/// Where a cast may be applied (`pg_cast.castcontext`), from most to least permissive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CastContext {
    /// `i`: in any expression.
    Implicit,
    /// `a`: when assigning to a column, or explicitly.
    Assignment,
    /// `e`: only in `CAST(x AS t)` / `x::t`.
    Explicit,
}

impl CastContext {
    /// Whether a cast registered with context `self` may be used where `requested` applies.
    pub fn allows(self, requested: CastContext) -> bool {
        self <= requested
    }
}

fn int_rank(t: &DataType) -> Option<u8> {
    match t {
        DataType::Int2 => Some(0),
        DataType::Int4 => Some(1),
        DataType::Int8 => Some(2),
        _ => None,
    }
}

/// The casts between two OID alias types (`regproc` and `regprocedure`, `regoper` and
/// `regoperator`).
fn reg_pair(a: super::datatype::RegKind, b: super::datatype::RegKind) -> bool {
    use super::datatype::RegKind as K;
    matches!((a, b), (K::Proc, K::Procedure) | (K::Procedure, K::Proc))
}

/// The context in which a cast from `from` to `to` is allowed, or `None` if there is no cast.
pub fn cast_context(from: &DataType, to: &DataType) -> Option<CastContext> {
    use CastContext::*;
    use DataType as T;
    if from.same_base(to) {
        return Some(Implicit);
    }
    if *from == T::Unknown {
        return Some(Implicit);
    }
    if let (T::Array(a), T::Array(b)) = (from, to) {
        return cast_context(a, b);
    }
    // A row converts to another row type field by field (PostgreSQL checks the fields when
    // it converts; an anonymous row goes to any composite type and back).
    if let (T::Record(_), T::Record(_)) = (from, to) {
        return Some(Implicit);
    }
    // int2vector and oidvector are arrays of their elements (PostgreSQL's array coercion);
    // nothing converts to them but their input function.
    if let Some(arr) = from.vector_array()
        && let T::Array(_) = to
    {
        return cast_context(&arr, to);
    }
    let catalog = match (from, to) {
        (T::Text | T::Varchar(_) | T::Bpchar(_), T::Name) | (T::Name, T::Text) => Some(Implicit),
        (T::Name, T::Varchar(_) | T::Bpchar(_)) => Some(Assignment),
        (T::Char, T::Text) => Some(Implicit),
        (T::Char, T::Varchar(_) | T::Bpchar(_)) => Some(Assignment),
        (T::Text | T::Varchar(_) | T::Bpchar(_), T::Char) => Some(Assignment),
        (T::Int4, T::Char) | (T::Char, T::Int4) => Some(Explicit),
        (a, b) if int_rank(a).is_some() && int_rank(b).is_some() => {
            if int_rank(a) < int_rank(b) {
                Some(Implicit)
            } else {
                Some(Assignment)
            }
        }
        (a, T::Float4 | T::Float8 | T::Numeric(_)) if int_rank(a).is_some() => Some(Implicit),
        (T::Float4, T::Float8) => Some(Implicit),
        (T::Float8, T::Float4) => Some(Assignment),
        (T::Float4 | T::Float8, b) if int_rank(b).is_some() => Some(Assignment),
        (T::Float4 | T::Float8, T::Numeric(_)) => Some(Assignment),
        (T::Numeric(_), T::Float4 | T::Float8) => Some(Implicit),
        (T::Numeric(_), b) if int_rank(b).is_some() => Some(Assignment),
        (T::Int4, T::Bool) | (T::Bool, T::Int4) => Some(Explicit),
        (a, b) if a.is_string() && b.is_string() => Some(Implicit),
        (T::Date, T::Timestamp(_) | T::Timestamptz(_)) => Some(Implicit),
        (T::Timestamp(_), T::Timestamptz(_)) => Some(Implicit),
        (T::Timestamp(_) | T::Timestamptz(_), T::Date | T::Time(_)) => Some(Assignment),
        (T::Timestamptz(_), T::Timestamp(_)) => Some(Assignment),
        (T::Time(_), T::Interval) => Some(Implicit),
        (T::Time(_), T::TimeTz(_)) => Some(Implicit),
        (T::Timestamptz(_), T::TimeTz(_)) | (T::TimeTz(_), T::Time(_)) => Some(Assignment),
        (T::Interval, T::Time(_)) => Some(Assignment),
        (T::Json, T::Jsonb) | (T::Jsonb, T::Json) => Some(Assignment),
        (a, T::Reg(_) | T::Oid) if int_rank(a).is_some() => Some(Implicit),
        (T::Reg(_) | T::Oid, T::Int4 | T::Int8) => Some(Assignment),
        (T::Oid, T::Reg(_)) | (T::Reg(_), T::Oid) => Some(Implicit),
        (T::Reg(a), T::Reg(b)) if reg_pair(*a, *b) => Some(Implicit),
        (T::Text | T::Varchar(_), T::Reg(super::datatype::RegKind::Class)) => Some(Implicit),
        (
            T::Jsonb,
            T::Bool | T::Int2 | T::Int4 | T::Int8 | T::Float4 | T::Float8 | T::Numeric(_),
        ) => Some(Explicit),
        _ => None,
    };
    if catalog.is_some() {
        return catalog;
    }
    // Automatic I/O conversion casts (to and from the string category, `name` included).
    if to.is_string() || *to == T::Name {
        return Some(Assignment);
    }
    if from.is_string() || *from == T::Name {
        return Some(Explicit);
    }
    None
}

fn cannot_cast(from: &DataType, to: &DataType) -> TypeError {
    TypeError::new(
        codes::CANNOT_COERCE,
        format!(
            "cannot cast type {} to {}",
            from.format_type(),
            to.format_type()
        ),
    )
}

/// Whether `value` is already of type `to` (a type without a modifier), so that casting it
/// changes nothing.
fn already(value: &Value, to: &DataType) -> bool {
    matches!(
        (value, to),
        (Value::Null, _)
            | (Value::Bool(_), DataType::Bool)
            | (Value::Int2(_), DataType::Int2)
            | (Value::Int4(_), DataType::Int4)
            | (Value::Int8(_), DataType::Int8)
            | (Value::Oid(_), DataType::Oid)
            | (Value::Float4(_), DataType::Float4)
            | (Value::Float8(_), DataType::Float8)
            | (Value::Text(_), DataType::Text)
            | (Value::Bytea(_), DataType::Bytea)
            | (Value::Date(_), DataType::Date)
            | (Value::Uuid(_), DataType::Uuid)
            | (Value::Jsonb(_), DataType::Jsonb)
            | (Value::Char(_), DataType::Char)
    )
}

/// [`cast`] of a value the caller no longer needs: one already of the target type is
/// returned as it is, without a copy.
pub fn cast_owned(
    value: Value,
    to: &DataType,
    kind: CastContext,
    ctx: &TypeContext,
) -> TypeResult<Value> {
    if already(&value, to) {
        return Ok(value);
    }
    cast(&value, to, kind, ctx)
}

/// Converts `value` to type `to`, as a cast applied in context `kind` (an explicit `CAST`,
/// an assignment, or an implicit coercion). NULL casts to NULL. Fails with 42846 when there
/// is no such cast and 42804 when the cast exists only in a more explicit context.
pub fn cast(
    value: &Value,
    to: &DataType,
    kind: CastContext,
    ctx: &TypeContext,
) -> TypeResult<Value> {
    // A value already of the target type (one without a modifier): every statement
    // parameter goes through here.
    if already(value, to) {
        return Ok(value.clone());
    }
    let Some(from) = value.data_type() else {
        return Ok(Value::Null);
    };
    let from = match value {
        // A `Value::Text` may be an untyped literal; treat it as `text` for the catalog
        // except that string sources always have an I/O cast.
        Value::Text(_) => DataType::Text,
        _ => from,
    };
    match cast_context(&from, to) {
        None => return Err(cannot_cast(&from, to)),
        Some(c) if !c.allows(kind) => {
            return Err(TypeError::new(
                codes::DATATYPE_MISMATCH,
                format!(
                    "{} cannot be cast automatically to type {}",
                    from.format_type(),
                    to.format_type()
                ),
            ));
        }
        Some(_) => {}
    }
    convert(value, &from, to, kind, ctx)
}

/// Converts an untyped literal (`'...'` of type `unknown`) to `to`: the input function of
/// the type, then its modifier applied as a cast of context `kind`.
pub fn cast_unknown_literal(
    text: &str,
    to: &DataType,
    kind: CastContext,
    ctx: &TypeContext,
) -> TypeResult<Value> {
    let v = parse_text(text, &to.without_typmod(), ctx)?;
    apply_typmod(v, to, kind)
}

/// Applies the modifier of `to` to a value already of its base type (length coercion).
pub fn apply_typmod(value: Value, to: &DataType, kind: CastContext) -> TypeResult<Value> {
    let check = if kind == CastContext::Explicit {
        LengthCheck::Truncate
    } else {
        LengthCheck::Strict
    };
    Ok(match (value, to) {
        (Value::Null, _) => Value::Null,
        (Value::Numeric(n), DataType::Numeric(m)) => Value::Numeric(n.apply_typmod(*m)?),
        (Value::Text(s), DataType::Varchar(n)) => Value::Text(apply_varchar(&s, *n, check)?),
        (Value::Bpchar(s), DataType::Bpchar(n)) | (Value::Text(s), DataType::Bpchar(n)) => {
            Value::Bpchar(apply_bpchar(&s, *n, check)?)
        }
        (Value::Time(t), DataType::Time(p)) => Value::Time(round_to_precision(t, *p)),
        (Value::TimeTz(t, z), DataType::TimeTz(p)) => Value::TimeTz(round_to_precision(t, *p), z),
        (Value::Timestamp(t), DataType::Timestamp(p)) => Value::Timestamp(adjust_timestamp(t, *p)?),
        (Value::Timestamptz(t), DataType::Timestamptz(p)) => {
            Value::Timestamptz(adjust_timestamp(t, *p)?)
        }
        (Value::Record(mut r), DataType::Record(t)) if r.fields.len() == t.fields.len() => {
            let fields = std::mem::take(&mut r.fields);
            r.fields = fields
                .into_iter()
                .zip(&t.fields)
                .map(|(f, (_, ft))| apply_typmod(f, ft, kind))
                .collect::<TypeResult<_>>()?;
            Value::Record(r)
        }
        (Value::Array(mut a), DataType::Array(elem)) => {
            let elems = std::mem::take(&mut a.elements);
            a.elements = elems
                .into_iter()
                .map(|e| apply_typmod(e, elem, kind))
                .collect::<TypeResult<_>>()?;
            Value::Array(a)
        }
        (v, _) => v,
    })
}

fn int_out_of_range(to: &DataType) -> TypeError {
    TypeError::out_of_range(match to {
        DataType::Int2 => "smallint out of range",
        DataType::Int4 => "integer out of range",
        _ => "bigint out of range",
    })
}

fn int_from_i128(v: i128, to: &DataType) -> TypeResult<Value> {
    let err = || int_out_of_range(to);
    Ok(match to {
        DataType::Int2 => Value::Int2(i16::try_from(v).map_err(|_| err())?),
        DataType::Int4 => Value::Int4(i32::try_from(v).map_err(|_| err())?),
        _ => Value::Int8(i64::try_from(v).map_err(|_| err())?),
    })
}

/// Float to integer: `rint`, then PostgreSQL's range check.
fn int_from_f64(v: f64, to: &DataType) -> TypeResult<Value> {
    let r = v.round_ties_even();
    let (lo, hi) = match to {
        DataType::Int2 => (f64::from(i16::MIN), -f64::from(i16::MIN)),
        DataType::Int4 => (f64::from(i32::MIN), -f64::from(i32::MIN)),
        _ => (i64::MIN as f64, -(i64::MIN as f64)),
    };
    if r.is_nan() || r < lo || r >= hi {
        return Err(int_out_of_range(to));
    }
    int_from_i128(r as i128, to)
}

fn numeric_to_float_error(n: &Numeric, type_name: &str) -> TypeError {
    TypeError::out_of_range(format!(
        "\"{}\" is out of range for type {type_name}",
        n.to_text()
    ))
}

/// `float8` to `float4` with PostgreSQL's overflow and underflow checks.
pub fn f64_to_f32(v: f64) -> TypeResult<f32> {
    let r = v as f32;
    if r.is_infinite() && !v.is_infinite() {
        return Err(TypeError::out_of_range("value out of range: overflow"));
    }
    if r == 0.0 && v != 0.0 {
        return Err(TypeError::out_of_range("value out of range: underflow"));
    }
    Ok(r)
}

fn date_to_timestamp(d: i32) -> TypeResult<i64> {
    match d {
        DATE_INFINITY => Ok(TIMESTAMP_INFINITY),
        DATE_NEG_INFINITY => Ok(TIMESTAMP_NEG_INFINITY),
        _ => {
            let ts = i64::from(d).checked_mul(USECS_PER_DAY).unwrap_or(i64::MAX);
            if !(MIN_TIMESTAMP..END_TIMESTAMP).contains(&ts) {
                return Err(TypeError::new(
                    codes::DATETIME_FIELD_OVERFLOW,
                    "date out of range for timestamp",
                ));
            }
            Ok(ts)
        }
    }
}

fn is_infinite_ts(ts: i64) -> bool {
    ts == TIMESTAMP_INFINITY || ts == TIMESTAMP_NEG_INFINITY
}

fn timestamp_to_date(ts: i64) -> i32 {
    match ts {
        TIMESTAMP_INFINITY => DATE_INFINITY,
        TIMESTAMP_NEG_INFINITY => DATE_NEG_INFINITY,
        _ => ts.div_euclid(USECS_PER_DAY) as i32,
    }
}

fn shift(ts: i64, secs: i32) -> TypeResult<i64> {
    if ts == TIMESTAMP_INFINITY || ts == TIMESTAMP_NEG_INFINITY {
        return Ok(ts);
    }
    let v = ts + i64::from(secs) * USECS_PER_SEC;
    if !(MIN_TIMESTAMP..END_TIMESTAMP).contains(&v) {
        return Err(TypeError::new(
            codes::DATETIME_FIELD_OVERFLOW,
            "timestamp out of range",
        ));
    }
    Ok(v)
}

fn jsonb_kind(j: &Jsonb) -> &'static str {
    match j {
        Jsonb::Null => "null",
        Jsonb::Bool(_) => "boolean",
        Jsonb::Number(_) => "numeric",
        Jsonb::String(_) => "string",
        Jsonb::Array(_) => "array",
        Jsonb::Object(_) => "object",
    }
}

fn convert(
    value: &Value,
    from: &DataType,
    to: &DataType,
    kind: CastContext,
    ctx: &TypeContext,
) -> TypeResult<Value> {
    use DataType as T;
    let base = to.without_typmod();
    let out = match (value, &base) {
        // Same base type: only the modifier changes.
        (v, _) if from.same_base(to) => v.clone(),
        // Object identifiers: binary to oid (bigint here) and integer; to a string by name.
        (Value::Reg(_, o, _), T::Int8) => Value::Int8(i64::from(*o)),
        (Value::Reg(_, o, _) | Value::Oid(o), T::Int4) => Value::Int4(*o as i32),
        (Value::Oid(o), T::Int8) => Value::Int8(i64::from(*o)),
        (Value::Reg(_, o, _), T::Oid) => Value::Oid(*o),
        // `int4(smallint)` then binary (`-1` is 4294967295); `oid(bigint)` checks the range.
        (Value::Int2(v), T::Oid) => Value::Oid(i32::from(*v) as u32),
        (Value::Int4(v), T::Oid) => Value::Oid(*v as u32),
        (Value::Int8(v), T::Oid) => {
            Value::Oid(u32::try_from(*v).map_err(|_| TypeError::out_of_range("OID out of range"))?)
        }
        (Value::Reg(_, _, name), t) if t.is_string() => {
            if matches!(t, T::Bpchar(_)) {
                Value::Bpchar(name.to_string())
            } else {
                Value::Text(name.to_string())
            }
        }
        // Reading a name or an OID needs the catalog, which the SQL layer has.
        (_, T::Reg(k)) => {
            return Err(TypeError::new(
                codes::FEATURE_NOT_SUPPORTED,
                format!(
                    "feature not supported: conversion to {} without a catalog",
                    k.name()
                ),
            ));
        }
        // Integers.
        (Value::Int2(v), t) if int_rank(t).is_some() => int_from_i128(i128::from(*v), t)?,
        (Value::Int4(v), t) if int_rank(t).is_some() => int_from_i128(i128::from(*v), t)?,
        (Value::Int8(v), t) if int_rank(t).is_some() => int_from_i128(i128::from(*v), t)?,
        (Value::Int2(v), T::Float4) => Value::Float4(f32::from(*v)),
        (Value::Int4(v), T::Float4) => Value::Float4(*v as f32),
        (Value::Int8(v), T::Float4) => Value::Float4(*v as f32),
        (Value::Int2(v), T::Float8) => Value::Float8(f64::from(*v)),
        (Value::Int4(v), T::Float8) => Value::Float8(f64::from(*v)),
        (Value::Int8(v), T::Float8) => Value::Float8(*v as f64),
        (Value::Int2(v), T::Numeric(_)) => Value::Numeric(Numeric::from_i64(i64::from(*v))),
        (Value::Int4(v), T::Numeric(_)) => Value::Numeric(Numeric::from_i64(i64::from(*v))),
        (Value::Int8(v), T::Numeric(_)) => Value::Numeric(Numeric::from_i64(*v)),
        (Value::Int4(v), T::Bool) => Value::Bool(*v != 0),
        (Value::Bool(v), T::Int4) => Value::Int4(i32::from(*v)),
        // Floats.
        (Value::Float4(v), T::Float8) => Value::Float8(f64::from(*v)),
        (Value::Float8(v), T::Float4) => Value::Float4(f64_to_f32(*v)?),
        (Value::Float4(v), t) if int_rank(t).is_some() => int_from_f64(f64::from(*v), t)?,
        (Value::Float8(v), t) if int_rank(t).is_some() => int_from_f64(*v, t)?,
        (Value::Float4(v), T::Numeric(_)) => Value::Numeric(Numeric::from_f32(*v)?),
        (Value::Float8(v), T::Numeric(_)) => Value::Numeric(Numeric::from_f64(*v)?),
        // Numeric.
        (Value::Numeric(n), t) if int_rank(t).is_some() => {
            if let Some(e) = special_to_int_error(n, &t.format_type()) {
                return Err(e);
            }
            let r = n.round(0)?;
            let v = r
                .to_parts()
                .map(|(v, _)| v)
                .ok_or_else(|| int_out_of_range(t))?;
            int_from_i128(v, t)?
        }
        (Value::Numeric(n), T::Float8) => {
            let f = n.to_f64();
            if n.is_finite() && (f.is_infinite() || (f == 0.0 && !n.is_zero())) {
                return Err(numeric_to_float_error(n, "double precision"));
            }
            Value::Float8(f)
        }
        (Value::Numeric(n), T::Float4) => {
            let f = n.to_f32();
            if n.is_finite() && (f.is_infinite() || (f == 0.0 && !n.is_zero())) {
                return Err(numeric_to_float_error(n, "real"));
            }
            Value::Float4(f)
        }
        // `name`: cut to 63 bytes (`bpchar` loses its trailing spaces first).
        (Value::Text(s), T::Name) => Value::Text(truncate_name(s)),
        (Value::Bpchar(s), T::Name) => Value::Text(truncate_name(bpchar_trim(s))),
        // `"char"` and integer: the byte as a signed value (`i4tochar`, `chartoi4`).
        (Value::Int4(v), T::Char) => match i8::try_from(*v) {
            Ok(c) => Value::Char(c as u8),
            Err(_) => return Err(TypeError::out_of_range("\"char\" out of range")),
        },
        (Value::Char(c), T::Int4) => Value::Int4(i32::from(*c as i8)),
        // Strings to strings.
        (Value::Bpchar(s), T::Text | T::Varchar(_)) => Value::Text(bpchar_trim(s).to_owned()),
        (Value::Text(s), T::Text | T::Varchar(_)) => Value::Text(s.clone()),
        (Value::Text(s) | Value::Bpchar(s), T::Bpchar(_)) => Value::Bpchar(s.clone()),
        // bool to string uses `booltext` ("true"/"false"), not the output function.
        (Value::Bool(b), t) if t.is_string() => {
            let s = if *b { "true" } else { "false" }.to_owned();
            if matches!(t, T::Bpchar(_)) {
                Value::Bpchar(s)
            } else {
                Value::Text(s)
            }
        }
        // Date and time.
        (Value::Date(d), T::Timestamp(_)) => Value::Timestamp(date_to_timestamp(*d)?),
        (Value::Date(d), T::Timestamptz(_)) => {
            let local = date_to_timestamp(*d)?;
            // (the zone moving it out of range is the date's overflow, as PostgreSQL words it)
            let utc = shift(local, -ctx.time_zone.offset_for_local(local)).map_err(|_| {
                TypeError::new(
                    codes::DATETIME_FIELD_OVERFLOW,
                    "date out of range for timestamp",
                )
            })?;
            Value::Timestamptz(utc)
        }
        (Value::Timestamp(ts), T::Date) => Value::Date(timestamp_to_date(*ts)),
        // An infinite timestamp has no time of day: PostgreSQL returns NULL.
        (Value::Timestamp(ts), T::Time(_)) if is_infinite_ts(*ts) => Value::Null,
        (Value::Timestamptz(ts), T::Time(_)) if is_infinite_ts(*ts) => Value::Null,
        (Value::Timestamp(ts), T::Time(_)) => Value::Time(ts.rem_euclid(USECS_PER_DAY)),
        (Value::Timestamp(ts), T::Timestamptz(_)) => {
            Value::Timestamptz(shift(*ts, -ctx.time_zone.offset_for_local(*ts))?)
        }
        (Value::Timestamptz(ts), T::Timestamp(_)) => {
            Value::Timestamp(shift(*ts, ctx.time_zone.offset_secs(*ts))?)
        }
        (Value::Timestamptz(ts), T::Date) => Value::Date(timestamp_to_date(shift(
            *ts,
            ctx.time_zone.offset_secs(*ts),
        )?)),
        (Value::Timestamptz(ts), T::Time(_)) => {
            Value::Time(shift(*ts, ctx.time_zone.offset_secs(*ts))?.rem_euclid(USECS_PER_DAY))
        }
        (Value::Time(t), T::Interval) => Value::Interval(Interval::new(0, 0, *t)),
        // `time_timetz`: the session zone's offset today at that time.
        (Value::Time(t), T::TimeTz(_)) => {
            let now = ctx.now.unwrap_or_else(super::datetime::now_micros);
            let today = shift(now, ctx.time_zone.offset_secs(now))?.div_euclid(USECS_PER_DAY);
            let local = today * USECS_PER_DAY + *t;
            Value::TimeTz(*t, ctx.time_zone.offset_for_local(local))
        }
        (Value::TimeTz(t, _), T::Time(_)) => Value::Time(*t),
        (Value::Timestamptz(ts), T::TimeTz(_)) if is_infinite_ts(*ts) => Value::Null,
        (Value::Timestamptz(ts), T::TimeTz(_)) => {
            let east = ctx.time_zone.offset_secs(*ts);
            Value::TimeTz(shift(*ts, east)?.rem_euclid(USECS_PER_DAY), east)
        }
        (Value::Interval(iv), T::Time(_)) => Value::Time(iv.micros.rem_euclid(USECS_PER_DAY)),
        // JSON.
        (Value::Json(s), T::Jsonb) => Value::Jsonb(parse_jsonb(s)?),
        (Value::Jsonb(j), T::Json) => Value::Json(j.to_text()),
        (Value::Jsonb(j), t)
            if matches!(
                t,
                T::Bool | T::Int2 | T::Int4 | T::Int8 | T::Float4 | T::Float8 | T::Numeric(_)
            ) =>
        {
            let wrong = || {
                TypeError::new(
                    codes::INVALID_PARAMETER_VALUE,
                    format!(
                        "cannot cast jsonb {} to type {}",
                        jsonb_kind(j),
                        t.format_type()
                    ),
                )
            };
            match (j, t) {
                (Jsonb::Bool(b), T::Bool) => Value::Bool(*b),
                (Jsonb::Number(n), _) if *t != T::Bool => {
                    convert(&Value::Numeric(n.clone()), &T::Numeric(None), to, kind, ctx)?
                }
                _ => return Err(wrong()),
            }
        }
        // Rows: field by field, taking the target's field names.
        (Value::Record(r), T::Record(t)) => {
            if r.fields.len() != t.fields.len() && !(t.is_anonymous() && t.fields.is_empty()) {
                return Err(TypeError::new(
                    codes::CANNOT_COERCE,
                    format!(
                        "cannot cast type {} to {}",
                        from.format_type(),
                        to.format_type()
                    ),
                )
                .with_detail(if r.fields.len() < t.fields.len() {
                    "Input has too few columns."
                } else {
                    "Input has too many columns."
                }));
            }
            if t.is_anonymous() && t.fields.is_empty() {
                return Ok(value.clone());
            }
            let fields = r
                .fields
                .iter()
                .zip(&t.fields)
                .map(|(f, (_, ft))| match (f, f.data_type()) {
                    (Value::Null, _) | (_, None) => Ok(Value::Null),
                    (f, Some(ff)) => {
                        let ff = if let Value::Text(_) = f { T::Text } else { ff };
                        convert(f, &ff, ft, kind, ctx)
                    }
                })
                .collect::<TypeResult<Vec<_>>>()?;
            Value::record(t.names(), fields)
        }
        // Arrays: element by element.
        (Value::Array(a), T::Array(_)) => {
            let T::Array(elem_to) = to else {
                return Err(cannot_cast(from, to));
            };
            let elements = a
                .elements
                .iter()
                .map(|e| match e {
                    Value::Null => Ok(Value::Null),
                    e => convert(e, &a.element_type, elem_to, kind, ctx),
                })
                .collect::<TypeResult<Vec<_>>>()?;
            Value::Array(Box::new(super::value::ArrayValue {
                element_type: elem_to.without_typmod(),
                elements,
                dims: a.dims.clone(),
                vector: false,
            }))
        }
        // I/O conversion: to a string type through the output function...
        (v, T::Name) => Value::Text(truncate_name(&format_text(v, ctx).unwrap_or_default())),
        (v, t) if t.is_string() => {
            let s = format_text(v, ctx).unwrap_or_default();
            if matches!(t, T::Bpchar(_)) {
                Value::Bpchar(s)
            } else {
                Value::Text(s)
            }
        }
        // ...and from a string type through the input function.
        (Value::Text(s), t) => parse_text(s, t, ctx)?,
        (Value::Bpchar(s), t) => parse_text(bpchar_trim(s), t, ctx)?,
        _ => return Err(cannot_cast(from, to)),
    };
    apply_typmod(out, to, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(v: Value, to: &str, kind: CastContext) -> Result<String, String> {
        let ctx = TypeContext::default();
        cast(&v, &DataType::parse(to).unwrap(), kind, &ctx)
            .map(|v| format_text(&v, &ctx).unwrap_or_else(|| "NULL".into()))
            .map_err(|e| format!("{}: {}", e.code(), e.message()))
    }

    #[test]
    fn numeric_casts() {
        use CastContext::*;
        assert_eq!(c(Value::Float8(2.5), "int", Explicit), Ok("2".into()));
        assert_eq!(c(Value::Float8(3.5), "int", Explicit), Ok("4".into()));
        assert_eq!(
            c(
                Value::Numeric(Numeric::parse("2.5").unwrap()),
                "int",
                Explicit
            ),
            Ok("3".into())
        );
        assert_eq!(
            c(
                Value::Numeric(Numeric::parse("-2.5").unwrap()),
                "int",
                Explicit
            ),
            Ok("-3".into())
        );
        assert_eq!(
            c(Value::Float8(2147483647.5), "int", Explicit),
            Err("22003: integer out of range".into())
        );
        assert_eq!(
            c(Value::Float4(-32768.5), "int2", Explicit),
            Ok("-32768".into())
        );
        assert_eq!(
            c(Value::Numeric(Numeric::NAN), "int", Explicit),
            Err("0A000: cannot convert NaN to integer".into())
        );
        assert_eq!(
            c(Value::Float8(1e-50), "float4", Explicit),
            Err("22003: value out of range: underflow".into())
        );
        assert_eq!(
            c(Value::Int8(99_999_999_999), "int", Assignment),
            Err("22003: integer out of range".into())
        );
        assert_eq!(
            c(Value::Int8(1), "int", Implicit).unwrap_err()[..5],
            *"42804"
        );
        assert_eq!(
            c(Value::Int2(1), "bool", Explicit).unwrap_err(),
            "42846: cannot cast type smallint to boolean"
        );
    }

    #[test]
    fn string_casts() {
        use CastContext::*;
        assert_eq!(
            c(Value::Text("abc".into()), "varchar(2)", Explicit),
            Ok("ab".into())
        );
        assert_eq!(
            c(Value::Text("abc".into()), "varchar(2)", Assignment),
            Err("22001: value too long for type character varying(2)".into())
        );
        assert_eq!(
            c(Value::Text("ab   ".into()), "varchar(2)", Assignment),
            Ok("ab".into())
        );
        assert_eq!(
            c(Value::Bool(true), "char(10)", Assignment),
            Ok("true      ".into())
        );
        assert_eq!(c(Value::Int4(12345), "char(3)", Explicit), Ok("123".into()));
        assert_eq!(
            c(Value::Bpchar("a  ".into()), "text", Implicit),
            Ok("a".into())
        );
        assert_eq!(
            c(Value::Text("12".into()), "int", Explicit),
            Ok("12".into())
        );
        assert_eq!(
            cast_context(&DataType::Text, &DataType::Int4),
            Some(Explicit)
        );
        assert_eq!(
            cast_context(&DataType::Int4, &DataType::Text),
            Some(Assignment)
        );
    }
}
