//! Text input and output of every supported type: the dispatch over PostgreSQL's
//! `typinput` / `typoutput` functions.
//!
//! [`parse_text`] behaves as the input function called with the column's typmod, as `COPY`
//! and the extended protocol's text parameters do: `varchar(n)` and `char(n)` reject
//! over-long values (unless the excess is spaces), `numeric(p,s)` rounds and checks the
//! precision, `timestamp(p)` rounds the fraction. A cast from an untyped literal
//! (`'abc'::varchar(2)`) instead truncates; that is [`super::cast::cast`]'s job.

use std::sync::Arc;

use super::array::{format_array, parse_array};
use super::datatype::DataType;
use super::datetime::{
    TypeContext, adjust_timestamp, format_date_styled, format_time, format_timestamp_styled,
    format_timestamptz_styled, format_timetz, parse_date, parse_time, parse_timestamp,
    parse_timetz, round_to_precision,
};
use super::error::TypeResult;
use super::interval::{format_interval_styled, parse_interval};
use super::json::{parse_json, parse_jsonb};
use super::numeric::Numeric;
use super::scalar::{
    LengthCheck, apply_bpchar, apply_varchar, format_bool, format_bytea, format_bytea_escape,
    format_float_g, format_float4, format_float8, format_uuid, parse_bool, parse_bytea,
    parse_float4, parse_float8, parse_int2, parse_int4, parse_int8, parse_uuid,
};
use super::value::Value;

/// Reads `input` as a value of type `ty` (PostgreSQL's input function with typmod).
pub fn parse_text(input: &str, ty: &DataType, ctx: &TypeContext) -> TypeResult<Value> {
    Ok(match ty {
        DataType::Bool => Value::Bool(parse_bool(input)?),
        DataType::Int2 => Value::Int2(parse_int2(input)?),
        DataType::Int4 => Value::Int4(parse_int4(input)?),
        DataType::Int8 => Value::Int8(parse_int8(input)?),
        DataType::Oid => Value::Oid(super::scalar::parse_oid(input)?),
        DataType::Float4 => Value::Float4(parse_float4(input)?),
        DataType::Float8 => Value::Float8(parse_float8(input)?),
        DataType::Numeric(typmod) => Value::Numeric(Numeric::parse(input)?.apply_typmod(*typmod)?),
        DataType::Text | DataType::Unknown => Value::Text(input.to_owned()),
        DataType::Varchar(n) => Value::Text(apply_varchar(input, *n, LengthCheck::Strict)?),
        DataType::Bpchar(n) => Value::Bpchar(apply_bpchar(input, *n, LengthCheck::Strict)?),
        DataType::Bytea => Value::Bytea(parse_bytea(input)?),
        DataType::Date => Value::Date(parse_date(input, ctx)?),
        DataType::Time(p) => Value::Time(round_to_precision(parse_time(input, ctx)?, *p)),
        DataType::TimeTz(p) => {
            let (t, east) = parse_timetz(input, ctx)?;
            Value::TimeTz(round_to_precision(t, *p), east)
        }
        DataType::Timestamp(p) => {
            Value::Timestamp(adjust_timestamp(parse_timestamp(input, false, ctx)?, *p)?)
        }
        DataType::Timestamptz(p) => {
            Value::Timestamptz(adjust_timestamp(parse_timestamp(input, true, ctx)?, *p)?)
        }
        DataType::Interval => Value::Interval(parse_interval(input)?),
        DataType::Uuid => Value::Uuid(parse_uuid(input)?),
        DataType::Json => Value::Json(parse_json(input)?),
        DataType::Jsonb => Value::Jsonb(parse_jsonb(input)?),
        DataType::JsonPath => Value::JsonPath(Arc::new(super::jsonpath::parse_jsonpath(input)?)),
        DataType::Array(elem) => parse_array(input, elem, ctx)?,
        DataType::Name => Value::Text(super::catalog::truncate_name(input)),
        DataType::Char => Value::Char(super::catalog::parse_char(input)),
        DataType::Int2Vector => super::catalog::parse_int2vector(input)?,
        DataType::OidVector => super::catalog::parse_oidvector(input)?,
        DataType::Enum(e) => Value::Enum(e.parse(input)?),
        DataType::Pseudo(p) => {
            return Err(super::error::TypeError::new(
                super::error::codes::FEATURE_NOT_SUPPORTED,
                format!("cannot accept a value of type {}", p.name()),
            ));
        }
        DataType::Record(r) => {
            if r.is_anonymous() && r.fields.is_empty() {
                return Err(super::error::TypeError::new(
                    super::error::codes::FEATURE_NOT_SUPPORTED,
                    "input of anonymous composite types is not implemented",
                ));
            }
            super::record::parse_record(input, r, ctx)?
        }
        // Names need the catalog: the SQL layer reads these before they get here. A bare
        // OID number is all that can be read without it.
        DataType::Reg(k) => match input.trim().parse::<u32>() {
            Ok(o) => Value::Reg(*k, o, Arc::from(o.to_string())),
            Err(_) => {
                return Err(super::error::TypeError::new(
                    super::error::codes::FEATURE_NOT_SUPPORTED,
                    format!(
                        "feature not supported: reading a {} name without a catalog",
                        k.name()
                    ),
                ));
            }
        },
    })
}

/// PostgreSQL's output function of the value's type; `None` for NULL.
pub fn format_text(value: &Value, ctx: &TypeContext) -> Option<String> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(v) => format_bool(*v).to_owned(),
        Value::Int2(v) => v.to_string(),
        Value::Int4(v) => v.to_string(),
        Value::Int8(v) => v.to_string(),
        Value::Oid(v) => v.to_string(),
        Value::Float4(v) if ctx.output.extra_float_digits <= 0 => {
            format_float_g(f64::from(*v), 6 + i32::from(ctx.output.extra_float_digits))
        }
        Value::Float8(v) if ctx.output.extra_float_digits <= 0 => {
            format_float_g(*v, 15 + i32::from(ctx.output.extra_float_digits))
        }
        Value::Float4(v) => format_float4(*v),
        Value::Float8(v) => format_float8(*v),
        Value::Numeric(v) => v.to_text(),
        Value::Text(v) | Value::Bpchar(v) | Value::Json(v) => v.clone(),
        Value::Bytea(v) if ctx.output.bytea_escape => format_bytea_escape(v),
        Value::Bytea(v) => format_bytea(v),
        Value::Date(v) => format_date_styled(*v, &ctx.output),
        Value::Time(v) => format_time(*v),
        Value::TimeTz(v, east) => format_timetz(*v, *east),
        Value::Timestamp(v) => format_timestamp_styled(*v, &ctx.output),
        Value::Timestamptz(v) => format_timestamptz_styled(*v, &ctx.time_zone, &ctx.output),
        Value::Interval(v) => format_interval_styled(v, ctx.output.interval_style),
        Value::Uuid(v) => format_uuid(v),
        Value::Jsonb(v) => v.to_text(),
        Value::Array(a) if a.vector => super::catalog::format_vector(a),
        Value::Array(a) => format_array(a, ctx),
        Value::Char(c) => super::catalog::format_char(*c),
        Value::Record(r) => super::record::format_record(r, ctx),
        Value::Reg(_, _, name) => name.to_string(),
        Value::JsonPath(p) => p.to_text(),
        Value::Enum(e) => e.label.to_string(),
    })
}
