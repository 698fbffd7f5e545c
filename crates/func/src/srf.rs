//! Set-returning functions: `generate_series`, `generate_subscripts`, `unnest`,
//! `information_schema._pg_expandarray`, `regexp_matches`,
//! `regexp_split_to_table` and the JSON expanders (`json[b]_array_elements[_text]`,
//! `json[b]_each[_text]`, `json[b]_object_keys`).
//!
//! # Design
//!
//! Resolution picks the overload as PostgreSQL does (see [`crate::datetime`]'s overload
//! rules): `generate_series(1, 3)` is the `int4` version, and an untyped step next to two
//! timestamps is an `interval`. A function returning a scalar has one column named after the
//! function (`generate_series`, `unnest`, `jsonb_object_keys`); the JSON expanders name
//! their columns `value`, or `key` and `value`.
//!
//! [`call_table_function`] produces every row at once. All functions are strict: a NULL
//! argument gives no rows.

use basalt_common::types::error::codes;
use basalt_common::types::{DataType, Interval, Jsonb, Numeric, TypeError, TypeResult, Value};

use crate::EvalContext;
use crate::datetime::{DateTimeFunc, overload};
use crate::json::{jsonb_as_text, jtext};

/// A set-returning function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableFunc {
    /// `generate_series(int4, int4 [, int4])`.
    SeriesInt4,
    /// `generate_series(int8, int8 [, int8])`.
    SeriesInt8,
    /// `generate_series(numeric, numeric [, numeric])`.
    SeriesNumeric,
    /// `generate_series(timestamp, timestamp, interval)`.
    SeriesTimestamp,
    /// `generate_series(timestamptz, timestamptz, interval)`.
    SeriesTimestamptz,
    /// `unnest(anyarray)`.
    Unnest,
    /// `generate_subscripts(anyarray, int4 [, reverse bool])`.
    GenerateSubscripts,
    /// `information_schema._pg_expandarray(anyarray)`: each element `x` with its position `n`
    /// (JDBC's primary-key query uses it).
    ExpandArray,
    /// `pg_partition_ancestors(regclass)`: no rows, since no relation is a partition
    /// (psql's `\d` asks for them).
    PartitionAncestors,
    /// `jsonb_array_elements` / `json_array_elements` (`as_text`: the `_text` versions).
    ArrayElements {
        /// `jsonb` rather than `json`.
        jsonb: bool,
        /// Values as text.
        as_text: bool,
    },
    /// `jsonb_each` / `json_each` (`as_text`: the `_text` versions).
    Each {
        /// `jsonb` rather than `json`.
        jsonb: bool,
        /// Values as text.
        as_text: bool,
    },
    /// `jsonb_object_keys` / `json_object_keys`.
    ObjectKeys {
        /// `jsonb` rather than `json`.
        jsonb: bool,
    },
    /// `regexp_matches(text, pattern [, flags])`: a `text[]` of captures per match.
    RegexpMatches,
    /// `regexp_split_to_table(text, pattern [, flags])`.
    RegexpSplitToTable,
    /// `string_to_table(text, delimiter [, null_string])`.
    StringToTable,
    /// `jsonb_path_query(target, path [, vars [, silent]])`.
    PathQuery {
        /// `jsonb_path_query_tz`: date/time comparisons may use the session time zone.
        tz: bool,
    },
    /// A set-returning SQL-language function of the catalog (run by the SQL engine).
    Sql {
        /// The function's OID.
        oid: u32,
    },
    /// `json[b]_to_record(set)(json)` with a column definition list, and
    /// `json[b]_populate_record(set)(base, json)` (`populate`): rows of the call's columns
    /// read from JSON objects. Resolved by the binder, which knows the columns.
    JsonToRecord {
        /// `jsonb` rather than `json`.
        jsonb: bool,
        /// The `..._recordset` version (an array of objects).
        set: bool,
        /// The `populate` version (first argument: the base record).
        populate: bool,
    },
}

impl TableFunc {
    /// The function's SQL name (for the JSON record functions).
    fn json_record_name(jsonb: bool, set: bool, populate: bool) -> String {
        format!(
            "{}_{}_{}",
            if jsonb { "jsonb" } else { "json" },
            if populate { "populate" } else { "to" },
            if set { "recordset" } else { "record" }
        )
    }
}

/// A resolved set-returning function call.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedTableFunction {
    /// The function.
    pub func: TableFunc,
    /// The type each argument must be cast to.
    pub arg_types: Vec<DataType>,
    /// Output columns (name, type); one column named after the function for scalar results
    /// (`generate_series`), `key`/`value` for `jsonb_each`, ...
    pub columns: Vec<(String, DataType)>,
    /// NULL in any argument gives no rows.
    pub strict: bool,
}

/// Resolves a set-returning function call.
pub fn resolve_table_function(name: &str, args: &[DataType]) -> Option<ResolvedTableFunction> {
    use DataType as T;
    use TableFunc as F;
    let one = |func: F, arg_types: Vec<DataType>, col: &str, ty: DataType| {
        Some(ResolvedTableFunction {
            func,
            arg_types,
            columns: vec![(col.to_owned(), ty)],
            strict: true,
        })
    };
    let j = |jsonb: bool| if jsonb { T::Jsonb } else { T::Json };
    match name {
        "generate_series" => {
            let num = T::Numeric(None);
            let ts = T::Timestamp(None);
            let tstz = T::Timestamptz(None);
            let cands: Vec<(Vec<DataType>, F, DataType)> = vec![
                (vec![T::Int4, T::Int4], F::SeriesInt4, T::Int4),
                (vec![T::Int4, T::Int4, T::Int4], F::SeriesInt4, T::Int4),
                (vec![T::Int8, T::Int8], F::SeriesInt8, T::Int8),
                (vec![T::Int8, T::Int8, T::Int8], F::SeriesInt8, T::Int8),
                (
                    vec![num.clone(), num.clone()],
                    F::SeriesNumeric,
                    num.clone(),
                ),
                (
                    vec![num.clone(), num.clone(), num.clone()],
                    F::SeriesNumeric,
                    num,
                ),
                (
                    vec![ts.clone(), ts.clone(), T::Interval],
                    F::SeriesTimestamp,
                    ts,
                ),
                (
                    vec![tstz.clone(), tstz.clone(), T::Interval],
                    F::SeriesTimestamptz,
                    tstz,
                ),
            ];
            let params: Vec<Vec<DataType>> = cands.iter().map(|c| c.0.clone()).collect();
            let i = overload::select(args, &params)?;
            let (p, f, ret) = cands.into_iter().nth(i)?;
            one(f, p, "generate_series", ret)
        }
        "unnest" => match args {
            [T::Array(elem)] => one(
                F::Unnest,
                vec![T::Array(elem.clone())],
                "unnest",
                (**elem).clone(),
            ),
            _ => None,
        },
        "generate_subscripts" => match args {
            [T::Array(elem), d] | [T::Array(elem), d, T::Bool]
                if overload::coercible(d, &T::Int4) =>
            {
                let mut arg_types = vec![T::Array(elem.clone()), T::Int4];
                if args.len() == 3 {
                    arg_types.push(T::Bool);
                }
                one(F::GenerateSubscripts, arg_types, name, T::Int4)
            }
            _ => None,
        },
        "pg_partition_ancestors" => match args {
            [a] if overload::coercible(a, &T::Reg(basalt_common::types::RegKind::Class)) => one(
                F::PartitionAncestors,
                vec![T::Reg(basalt_common::types::RegKind::Class)],
                "relid",
                T::Reg(basalt_common::types::RegKind::Class),
            ),
            _ => None,
        },
        // Not in pg_catalog: PostgreSQL knows it only by its qualified name.
        "information_schema._pg_expandarray" => match args {
            [T::Array(elem)] => Some(ResolvedTableFunction {
                func: F::ExpandArray,
                arg_types: vec![T::Array(elem.clone())],
                columns: vec![
                    ("x".to_owned(), (**elem).clone()),
                    ("n".to_owned(), T::Int4),
                ],
                strict: true,
            }),
            _ => None,
        },
        "jsonb_path_query" | "jsonb_path_query_tz" => {
            let sig = crate::json::path_signatures()
                .into_iter()
                .find(|p| p.len() == args.len())?;
            if !args
                .iter()
                .zip(&sig)
                .all(|(a, p)| overload::coercible(a, p))
            {
                return None;
            }
            one(
                F::PathQuery {
                    tz: name.ends_with("_tz"),
                },
                sig,
                name,
                T::Jsonb,
            )
        }
        "jsonb_array_elements"
        | "json_array_elements"
        | "jsonb_array_elements_text"
        | "json_array_elements_text" => {
            let jsonb = name.starts_with("jsonb");
            let as_text = name.ends_with("_text");
            let [a] = args else { return None };
            if !overload::coercible(a, &j(jsonb)) {
                return None;
            }
            let ty = if as_text { T::Text } else { j(jsonb) };
            one(
                F::ArrayElements { jsonb, as_text },
                vec![j(jsonb)],
                "value",
                ty,
            )
        }
        "jsonb_each" | "json_each" | "jsonb_each_text" | "json_each_text" => {
            let jsonb = name.starts_with("jsonb");
            let as_text = name.ends_with("_text");
            let [a] = args else { return None };
            if !overload::coercible(a, &j(jsonb)) {
                return None;
            }
            let ty = if as_text { T::Text } else { j(jsonb) };
            Some(ResolvedTableFunction {
                func: F::Each { jsonb, as_text },
                arg_types: vec![j(jsonb)],
                columns: vec![("key".to_owned(), T::Text), ("value".to_owned(), ty)],
                strict: true,
            })
        }
        "string_to_table" => {
            if !(2..=3).contains(&args.len())
                || !args.iter().all(|a| overload::coercible(a, &T::Text))
            {
                return None;
            }
            Some(ResolvedTableFunction {
                func: F::StringToTable,
                arg_types: vec![T::Text; args.len()],
                columns: vec![(name.to_owned(), T::Text)],
                strict: false,
            })
        }
        "regexp_matches" | "regexp_split_to_table" => {
            if !(2..=3).contains(&args.len())
                || !args.iter().all(|a| overload::coercible(a, &T::Text))
            {
                return None;
            }
            let (func, ty) = if name == "regexp_matches" {
                (F::RegexpMatches, T::Array(Box::new(T::Text)))
            } else {
                (F::RegexpSplitToTable, T::Text)
            };
            one(func, vec![T::Text; args.len()], name, ty)
        }
        "jsonb_object_keys" | "json_object_keys" => {
            let jsonb = name.starts_with("jsonb");
            let [a] = args else { return None };
            if !overload::coercible(a, &j(jsonb)) {
                return None;
            }
            one(F::ObjectKeys { jsonb }, vec![j(jsonb)], name, T::Text)
        }
        _ => None,
    }
}

fn bad_args() -> TypeError {
    TypeError::new("XX000", "wrong argument types for a set-returning function")
}

fn param_error(msg: impl Into<String>) -> TypeError {
    TypeError::new(codes::INVALID_PARAMETER_VALUE, msg)
}

/// The rows of the JSON record functions: one per object (`set`), or one.
fn json_record_rows(
    f: &ResolvedTableFunction,
    args: &[Value],
    jsonb: bool,
    set: bool,
    populate: bool,
    ctx: &EvalContext,
) -> TypeResult<Vec<Vec<Value>>> {
    let (base, json) = if populate {
        (args.first(), args.get(1))
    } else {
        (None, args.first())
    };
    let base = match base {
        Some(Value::Record(r)) => Some(&**r),
        _ => None,
    };
    if let Some(Value::Json(text)) = json {
        return json_text_record_rows(f, text, base, set, &name_of(jsonb, set, populate), ctx);
    }
    let j = match json {
        None | Some(Value::Null) => {
            // A NULL document: no rows from a set; the base record (or NULLs) otherwise.
            if set {
                return Ok(Vec::new());
            }
            return Ok(vec![match base {
                Some(b) => b.fields.clone(),
                None => vec![Value::Null; f.columns.len()],
            }]);
        }
        Some(Value::Jsonb(j)) => j.clone(),
        Some(Value::Json(t)) => basalt_common::types::json::parse_jsonb(t)?,
        Some(_) => return Err(bad_args()),
    };
    let name = TableFunc::json_record_name(jsonb, set, populate);
    if !set {
        return Ok(vec![crate::json::json_to_record_fields(
            &j, base, &f.columns, ctx,
        )?]);
    }
    let Jsonb::Array(items) = &j else {
        return Err(param_error(format!("cannot call {name} on a non-array")));
    };
    items
        .iter()
        .map(|item| {
            if !matches!(item, Jsonb::Object(_)) {
                return Err(param_error(format!(
                    "argument of {name} must be an array of objects"
                )));
            }
            crate::json::json_to_record_fields(item, base, &f.columns, ctx)
        })
        .collect()
}

fn name_of(jsonb: bool, set: bool, populate: bool) -> String {
    TableFunc::json_record_name(jsonb, set, populate)
}

/// [`json_record_rows`] for `json` text, which keeps nested values as written.
fn json_text_record_rows(
    f: &ResolvedTableFunction,
    text: &str,
    base: Option<&basalt_common::types::RecordValue>,
    set: bool,
    name: &str,
    ctx: &EvalContext,
) -> TypeResult<Vec<Vec<Value>>> {
    use crate::json::json_text_to_record_fields;
    if !set {
        return Ok(vec![json_text_to_record_fields(
            text, base, &f.columns, ctx,
        )?]);
    }
    match jtext::kind(text) {
        jtext::Kind::Array => {}
        jtext::Kind::Object => {
            return Err(param_error(format!("cannot call {name} on an object")));
        }
        _ => return Err(param_error(format!("cannot call {name} on a scalar"))),
    }
    jtext::elements(text)
        .into_iter()
        .map(|item| {
            if jtext::kind(item) != jtext::Kind::Object {
                return Err(param_error(format!(
                    "argument of {name} must be an array of objects"
                )));
            }
            json_text_to_record_fields(item, base, &f.columns, ctx)
        })
        .collect()
}

fn zero_step() -> TypeError {
    param_error("step size cannot equal zero")
}

/// `generate_series` over `int4` or `int8`, one value at a time: the executor streams it
/// in FROM, so a series of millions of rows is never held whole.
#[derive(Debug, Clone)]
pub struct IntSeries {
    cur: i64,
    stop: i64,
    step: i64,
    int4: bool,
    done: bool,
}

impl IntSeries {
    /// The series of `f` called with `args` when `f` is the integer `generate_series`;
    /// `None` for any other function.
    pub fn new(f: &ResolvedTableFunction, args: &[Value]) -> Option<TypeResult<IntSeries>> {
        let int4 = match f.func {
            TableFunc::SeriesInt4 => true,
            TableFunc::SeriesInt8 => false,
            _ => return None,
        };
        if f.strict && args.iter().any(Value::is_null) {
            return Some(Ok(IntSeries {
                cur: 0,
                stop: 0,
                step: 1,
                int4,
                done: true,
            }));
        }
        Some(IntSeries::of(int4, args))
    }

    /// Whether `f` is the integer `generate_series` ([`IntSeries::new`] gives its values).
    pub fn applies(f: &ResolvedTableFunction) -> bool {
        matches!(f.func, TableFunc::SeriesInt4 | TableFunc::SeriesInt8)
    }

    fn of(int4: bool, args: &[Value]) -> TypeResult<IntSeries> {
        let get = |i: usize, default: i64| -> TypeResult<i64> {
            match args.get(i) {
                None => Ok(default),
                Some(Value::Int4(v)) => Ok(i64::from(*v)),
                Some(Value::Int8(v)) => Ok(*v),
                Some(Value::Int2(v)) => Ok(i64::from(*v)),
                Some(_) => Err(bad_args()),
            }
        };
        let (cur, stop, step) = (get(0, 0)?, get(1, 0)?, get(2, 1)?);
        if step == 0 {
            return Err(zero_step());
        }
        Ok(IntSeries {
            cur,
            stop,
            step,
            int4,
            done: false,
        })
    }
}

impl Iterator for IntSeries {
    type Item = TypeResult<Value>;

    fn next(&mut self) -> Option<TypeResult<Value>> {
        let (cur, step) = (self.cur, self.step);
        if self.done || (step > 0 && cur > self.stop) || (step < 0 && cur < self.stop) {
            return None;
        }
        let v = if self.int4 {
            match i32::try_from(cur) {
                Ok(v) => Value::Int4(v),
                Err(_) => {
                    self.done = true;
                    return Some(Err(bad_args()));
                }
            }
        } else {
            Value::Int8(cur)
        };
        // Stop rather than overflow, as PostgreSQL does.
        match cur.checked_add(step) {
            Some(n) if !self.int4 || i32::try_from(n).is_ok() => self.cur = n,
            _ => self.done = true,
        }
        Some(Ok(v))
    }
}

/// Produces all rows of a set-returning function call.
pub fn call_table_function(
    f: &ResolvedTableFunction,
    args: &[Value],
    ctx: &EvalContext,
) -> TypeResult<Vec<Vec<Value>>> {
    if f.strict && args.iter().any(Value::is_null) {
        return Ok(Vec::new());
    }

    use TableFunc as F;
    let single = |vals: Vec<Value>| vals.into_iter().map(|v| vec![v]).collect::<Vec<_>>();
    Ok(match f.func {
        F::SeriesInt4 | F::SeriesInt8 => {
            let mut out = Vec::new();
            for v in IntSeries::of(f.func == F::SeriesInt4, args)? {
                if out.len() % 4096 == 0 {
                    ctx.check_interrupt()?;
                }
                out.push(vec![v?]);
            }
            out
        }
        F::SeriesNumeric => {
            let get = |i: usize| -> TypeResult<Option<&Numeric>> {
                match args.get(i) {
                    None => Ok(None),
                    Some(Value::Numeric(n)) => Ok(Some(n)),
                    Some(_) => Err(bad_args()),
                }
            };
            let start = get(0)?.ok_or_else(bad_args)?;
            let stop = get(1)?.ok_or_else(bad_args)?;
            let one = Numeric::from_i64(1);
            let step = get(2)?.unwrap_or(&one);
            for (n, what) in [
                (start, "start value"),
                (stop, "stop value"),
                (step, "step size"),
            ] {
                if n.is_nan() {
                    return Err(param_error(format!("{what} cannot be NaN")));
                }
                if n.is_infinite() {
                    return Err(param_error(format!("{what} cannot be infinity")));
                }
            }
            if step.is_zero() {
                return Err(zero_step());
            }
            let up = !step.is_negative();
            let mut out = Vec::new();
            let mut cur = start.clone();
            while (up && cur <= *stop) || (!up && cur >= *stop) {
                if out.len() % 4096 == 0 {
                    ctx.check_interrupt()?;
                }
                out.push(Value::Numeric(cur.clone()));
                cur = cur.add(step)?;
            }
            single(out)
        }
        F::SeriesTimestamp | F::SeriesTimestamptz => {
            let get = |i: usize| -> TypeResult<i64> {
                match args.get(i) {
                    Some(Value::Timestamp(v) | Value::Timestamptz(v)) => Ok(*v),
                    _ => Err(bad_args()),
                }
            };
            let (start, stop) = (get(0)?, get(1)?);
            let step = match args.get(2) {
                Some(Value::Interval(iv)) => *iv,
                _ => return Err(bad_args()),
            };
            let zero = Interval::default();
            if step == zero {
                return Err(zero_step());
            }
            let up = step > zero;
            let add = if f.func == F::SeriesTimestamp {
                DateTimeFunc::TsPlusInterval
            } else {
                DateTimeFunc::TstzPlusInterval
            };
            let wrap = |v: i64| {
                if f.func == F::SeriesTimestamp {
                    Value::Timestamp(v)
                } else {
                    Value::Timestamptz(v)
                }
            };
            let mut out = Vec::new();
            let mut cur = start;
            while (up && cur <= stop) || (!up && cur >= stop) {
                if out.len() % 4096 == 0 {
                    ctx.check_interrupt()?;
                }
                out.push(wrap(cur));
                let next = crate::datetime::call(add, &[wrap(cur), Value::Interval(step)], ctx)?;
                match next {
                    Value::Timestamp(n) | Value::Timestamptz(n) if n != cur => cur = n,
                    _ => break,
                }
            }
            single(out)
        }
        F::PathQuery { tz } => {
            let (Some(Value::Jsonb(target)), Some(Value::JsonPath(path))) =
                (args.first(), args.get(1))
            else {
                return Err(bad_args());
            };
            let empty = Jsonb::Object(Vec::new());
            let vars = match args.get(2) {
                Some(Value::Jsonb(v)) => v,
                _ => &empty,
            };
            let opts = crate::jsonpath::PathOptions {
                silent: matches!(args.get(3), Some(Value::Bool(true))),
                tz: tz.then_some(ctx.types.time_zone),
                now: ctx.transaction_start,
                exists: false,
            };
            let items = crate::jsonpath::query(target, path, vars, &opts)?.unwrap_or_default();
            single(items.into_iter().map(Value::Jsonb).collect())
        }
        F::GenerateSubscripts => {
            let (Some(Value::Array(a)), Some(Value::Int4(d))) = (args.first(), args.get(1)) else {
                return Err(bad_args());
            };
            let reverse = matches!(args.get(2), Some(Value::Bool(true)));
            let Some(dim) = usize::try_from(*d)
                .ok()
                .and_then(|d| d.checked_sub(1))
                .and_then(|d| a.dims.get(d))
            else {
                return Ok(Vec::new());
            };
            let len = i32::try_from(dim.len).map_err(|_| bad_args())?;
            let subs = (dim.lower..dim.lower.saturating_add(len)).map(Value::Int4);
            single(if reverse {
                subs.rev().collect()
            } else {
                subs.collect()
            })
        }
        F::PartitionAncestors => Vec::new(),
        F::ExpandArray => {
            let Some(Value::Array(a)) = args.first() else {
                return Err(bad_args());
            };
            // `$1[s]` over the first dimension's subscripts: a single subscript of a
            // multidimensional array is NULL, as in PostgreSQL's SQL definition.
            let Some(first) = a.dims.first() else {
                return Ok(Vec::new());
            };
            let flat = a.dims.len() == 1;
            (0..first.len)
                .map(|i| {
                    let x = if flat {
                        a.elements.get(i).cloned().unwrap_or(Value::Null)
                    } else {
                        Value::Null
                    };
                    let n = i32::try_from(i + 1).map_err(|_| bad_args())?;
                    Ok(vec![x, Value::Int4(n)])
                })
                .collect::<TypeResult<Vec<_>>>()?
        }
        F::Unnest => match args.first() {
            Some(Value::Array(a)) => single(a.elements.clone()),
            _ => return Err(bad_args()),
        },
        F::ArrayElements { jsonb, as_text } => {
            let name = if jsonb {
                "jsonb_array_elements"
            } else {
                "json_array_elements"
            };
            let name = if as_text {
                format!("{name}_text")
            } else {
                name.to_owned()
            };
            if jsonb {
                let items = match args.first() {
                    Some(Value::Jsonb(Jsonb::Array(items))) => items,
                    Some(Value::Jsonb(Jsonb::Object(_))) => {
                        return Err(param_error("cannot extract elements from an object"));
                    }
                    Some(Value::Jsonb(_)) => {
                        return Err(param_error("cannot extract elements from a scalar"));
                    }
                    _ => return Err(bad_args()),
                };
                single(
                    items
                        .iter()
                        .map(|j| {
                            if as_text {
                                jsonb_as_text(j).map_or(Value::Null, Value::Text)
                            } else {
                                Value::Jsonb(j.clone())
                            }
                        })
                        .collect(),
                )
            } else {
                let t = json_arg(args)?;
                match jtext::kind(t) {
                    jtext::Kind::Array => {}
                    jtext::Kind::Object => {
                        return Err(param_error(format!("cannot call {name} on a non-array")));
                    }
                    _ => return Err(param_error(format!("cannot call {name} on a scalar"))),
                }
                let mut out = Vec::new();
                for e in jtext::elements(t) {
                    out.push(json_value(e, as_text)?);
                }
                single(out)
            }
        }
        F::Each { jsonb, as_text } => {
            if jsonb {
                let pairs = match args.first() {
                    Some(Value::Jsonb(Jsonb::Object(pairs))) => pairs,
                    Some(Value::Jsonb(_)) => {
                        let name = if as_text {
                            "jsonb_each_text"
                        } else {
                            "jsonb_each"
                        };
                        return Err(param_error(format!("cannot call {name} on a non-object")));
                    }
                    _ => return Err(bad_args()),
                };
                pairs
                    .iter()
                    .map(|(k, v)| {
                        let v = if as_text {
                            jsonb_as_text(v).map_or(Value::Null, Value::Text)
                        } else {
                            Value::Jsonb(v.clone())
                        };
                        vec![Value::Text(k.clone()), v]
                    })
                    .collect()
            } else {
                let t = json_arg(args)?;
                match jtext::kind(t) {
                    jtext::Kind::Object => {}
                    jtext::Kind::Array => {
                        return Err(param_error("cannot deconstruct an array as an object"));
                    }
                    _ => return Err(param_error("cannot deconstruct a scalar")),
                }
                let mut out = Vec::new();
                for (k, v) in jtext::fields(t) {
                    out.push(vec![Value::Text(k), json_value(v, as_text)?]);
                }
                out
            }
        }
        // Run by the SQL engine, which has the catalog; never reaches here.
        F::Sql { .. } => return Err(bad_args()),
        F::JsonToRecord {
            jsonb,
            set,
            populate,
        } => json_record_rows(f, args, jsonb, set, populate, ctx)?,
        F::StringToTable => {
            let text = |i: usize| match args.get(i) {
                Some(Value::Text(t)) => Some(t.as_str()),
                _ => None,
            };
            let Some(s) = text(0) else {
                return Ok(Vec::new());
            };
            single(crate::string::string_to_array(s, text(1), text(2)))
        }
        F::RegexpMatches | F::RegexpSplitToTable => {
            let text = |i: usize| match args.get(i) {
                Some(Value::Text(t)) => Ok(t.as_str()),
                None => Ok(""),
                Some(_) => Err(bad_args()),
            };
            let (s, p, flags) = (text(0)?, text(1)?, text(2)?);
            single(if f.func == F::RegexpMatches {
                crate::string::regexp_matches(s, p, flags)?
            } else {
                crate::string::regexp_split(s, p, flags, "regexp_split_to_table")?
            })
        }
        F::ObjectKeys { jsonb } => {
            if jsonb {
                match args.first() {
                    Some(Value::Jsonb(Jsonb::Object(pairs))) => {
                        single(pairs.iter().map(|(k, _)| Value::Text(k.clone())).collect())
                    }
                    Some(Value::Jsonb(Jsonb::Array(_))) => {
                        return Err(param_error("cannot call jsonb_object_keys on an array"));
                    }
                    Some(Value::Jsonb(_)) => {
                        return Err(param_error("cannot call jsonb_object_keys on a scalar"));
                    }
                    _ => return Err(bad_args()),
                }
            } else {
                let t = json_arg(args)?;
                match jtext::kind(t) {
                    jtext::Kind::Object => {}
                    jtext::Kind::Array => {
                        return Err(param_error("cannot call json_object_keys on an array"));
                    }
                    _ => return Err(param_error("cannot call json_object_keys on a scalar")),
                }
                single(
                    jtext::fields(t)
                        .into_iter()
                        .map(|(k, _)| Value::Text(k))
                        .collect(),
                )
            }
        }
    })
}

fn json_arg(args: &[Value]) -> TypeResult<&str> {
    match args.first() {
        Some(Value::Json(t)) => Ok(t.trim_matches(jtext::is_ws)),
        _ => Err(bad_args()),
    }
}

/// One `json` element as a `json` value, or as text for the `_text` functions.
fn json_value(t: &str, as_text: bool) -> TypeResult<Value> {
    if !as_text {
        return Ok(Value::Json(t.to_owned()));
    }
    Ok(match jtext::kind(t) {
        jtext::Kind::Null => Value::Null,
        jtext::Kind::String => Value::Text(jtext::unescape(t)?),
        _ => Value::Text(t.to_owned()),
    })
}
