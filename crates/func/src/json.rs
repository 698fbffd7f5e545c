//! `json` and `jsonb` functions and operators, with PostgreSQL 15's names, types, results
//! and errors.
//!
//! # Design
//!
//! - `jsonb` values are [`Jsonb`] trees: operators work on the tree and the result prints
//!   canonically (`{"a": 1}`).
//! - `json` values are the text the user gave ([`Value::Json`]). PostgreSQL's `json`
//!   operators return *slices of that text* (`'{"a": [1,  2]}'::json -> 'a'` is `[1,  2]`),
//!   so they walk the text with a small scanner (the private `jtext` module) instead of parsing into a tree;
//!   the text was validated on input, so the scanner only has to find value boundaries.
//! - [`value_to_jsonb`] and [`value_to_json_text`] are `to_jsonb` / `to_json` for any
//!   value; the aggregates (`jsonb_agg`, `json_agg`) use them too.
//!
//! A top-level scalar behaves, for containment and existence, as PostgreSQL's "raw scalar"
//! (a one-element array that only contains, or is contained by, equal scalars).

use basalt_common::types::datetime::{
    TIMESTAMP_INFINITY, TIMESTAMP_NEG_INFINITY, format_date, format_time, format_timestamp,
};
use basalt_common::types::error::codes;
use basalt_common::types::json::{escape_json_string, parse_jsonb};
use basalt_common::types::{
    DataType, Jsonb, Numeric, RecordValue, TypeError, TypeResult, Value, format_text, parse_text,
};

use crate::datetime::overload;
use crate::{EvalContext, Func, Resolved};

/// A json/jsonb function or operator. `jsonb` says which of the two types the first argument
/// (and usually the result) has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonFunc {
    /// `->` / `->>` with a text key; `as_text` for `->>`.
    GetField {
        /// `jsonb` rather than `json`.
        jsonb: bool,
        /// `->>`: the result as text.
        as_text: bool,
    },
    /// `->` / `->>` with an integer index.
    GetIndex {
        /// `jsonb` rather than `json`.
        jsonb: bool,
        /// `->>`.
        as_text: bool,
    },
    /// `#>` / `#>>` and `json[b]_extract_path[_text]` (the path as a `text[]` or as the
    /// variadic arguments after the first).
    GetPath {
        /// `jsonb` rather than `json`.
        jsonb: bool,
        /// `#>>` / `_text`.
        as_text: bool,
        /// The path is given as separate arguments.
        variadic: bool,
    },
    /// `jsonb @> jsonb`.
    Contains,
    /// `jsonb <@ jsonb`.
    ContainedBy,
    /// `jsonb ? text`.
    Exists,
    /// `jsonb ?| text[]`.
    ExistsAny,
    /// `jsonb ?& text[]`.
    ExistsAll,
    /// `jsonb || jsonb`.
    Concat,
    /// `jsonb - text`.
    DeleteKey,
    /// `jsonb - int4`.
    DeleteIndex,
    /// `jsonb - text[]`.
    DeleteKeys,
    /// `jsonb #- text[]`.
    DeletePath,
    /// `json[b]_build_object(variadic "any")`.
    BuildObject {
        /// `jsonb` rather than `json`.
        jsonb: bool,
    },
    /// `json[b]_build_array(variadic "any")`.
    BuildArray {
        /// `jsonb` rather than `json`.
        jsonb: bool,
    },
    /// `row_to_json(record [, pretty])`.
    RowToJson,
    /// `json[b]_object(text[])` (pairs, or a two-column array) and
    /// `json[b]_object(keys text[], values text[])`.
    ObjectFromArrays {
        /// `jsonb` rather than `json`.
        jsonb: bool,
    },
    /// `array_to_json(anyarray [, pretty])`: `pretty` puts a line feed between the
    /// elements of the first dimension.
    ArrayToJson,
    /// `to_json[b](anyelement)`.
    ToJson {
        /// `jsonb` rather than `json`.
        jsonb: bool,
    },
    /// `json[b]_typeof`.
    Typeof {
        /// `jsonb` rather than `json`.
        jsonb: bool,
    },
    /// `json[b]_array_length`.
    ArrayLength {
        /// `jsonb` rather than `json`.
        jsonb: bool,
    },
    /// `jsonb_set(jsonb, text[], jsonb [, bool])`.
    Set,
    /// `jsonb_insert(jsonb, text[], jsonb [, bool])`.
    Insert,
    /// `json[b]_strip_nulls`.
    StripNulls {
        /// `jsonb` rather than `json`.
        jsonb: bool,
    },
    /// `jsonb_pretty`.
    Pretty,
    /// `jsonb_path_exists(target, path [, vars [, silent]])`; `@?` (`op`, always silent).
    /// `tz`: the `_tz` variant (date/time comparisons may use the session time zone).
    PathExists {
        /// The operator.
        op: bool,
        /// The `_tz` variant.
        tz: bool,
    },
    /// `jsonb_path_match(...)`; `@@` (`op`).
    PathMatch {
        /// The operator.
        op: bool,
        /// The `_tz` variant.
        tz: bool,
    },
    /// `jsonb_path_query_array(...)`.
    PathQueryArray {
        /// The `_tz` variant.
        tz: bool,
    },
    /// `jsonb_path_query_first(...)`.
    PathQueryFirst {
        /// The `_tz` variant.
        tz: bool,
    },
}

fn text_array() -> DataType {
    DataType::Array(Box::new(DataType::Text))
}

fn resolved(func: JsonFunc, arg_types: Vec<DataType>, ret: DataType, strict: bool) -> Resolved {
    Resolved {
        func: Func::Json(func),
        arg_types,
        ret,
        strict,
        immutable: true,
    }
}

fn pick(
    args: &[DataType],
    cands: Vec<(Vec<DataType>, DataType, JsonFunc)>,
    operator: bool,
) -> Option<Resolved> {
    let params: Vec<Vec<DataType>> = cands.iter().map(|c| c.0.clone()).collect();
    let i = if operator {
        overload::select_operator(args, &params)?
    } else {
        overload::select(args, &params)?
    };
    let (p, ret, f) = cands.into_iter().nth(i)?;
    Some(resolved(f, p, ret, true))
}

/// The argument types of a `variadic "any"` call: untyped literals become `text`.
fn any_args(args: &[DataType]) -> Vec<DataType> {
    args.iter()
        .map(|a| {
            if *a == DataType::Unknown {
                DataType::Text
            } else {
                a.clone()
            }
        })
        .collect()
}

/// Resolves a function call.
pub fn resolve_function(name: &str, args: &[DataType]) -> Option<Resolved> {
    use DataType as T;
    use JsonFunc as F;
    let j = |jsonb: bool| if jsonb { T::Jsonb } else { T::Json };
    match name {
        "jsonb_build_object" | "json_build_object" => {
            let jsonb = name.starts_with("jsonb");
            Some(resolved(
                F::BuildObject { jsonb },
                any_args(args),
                j(jsonb),
                false,
            ))
        }
        "jsonb_build_array" | "json_build_array" => {
            let jsonb = name.starts_with("jsonb");
            Some(resolved(
                F::BuildArray { jsonb },
                any_args(args),
                j(jsonb),
                false,
            ))
        }
        "row_to_json" => match args {
            [r @ T::Record(_)] => Some(resolved(F::RowToJson, vec![r.clone()], T::Json, true)),
            [r @ T::Record(_), T::Bool | T::Unknown] => Some(resolved(
                F::RowToJson,
                vec![r.clone(), T::Bool],
                T::Json,
                true,
            )),
            _ => None,
        },
        "json_object" | "jsonb_object" => {
            let jsonb = name == "jsonb_object";
            let ta = T::Array(Box::new(T::Text));
            pick(
                args,
                vec![
                    (vec![ta.clone()], j(jsonb), F::ObjectFromArrays { jsonb }),
                    (
                        vec![ta.clone(), ta],
                        j(jsonb),
                        F::ObjectFromArrays { jsonb },
                    ),
                ],
                false,
            )
        }
        "array_to_json" => match args {
            [a @ T::Array(_)] => Some(resolved(F::ArrayToJson, vec![a.clone()], T::Json, true)),
            [a @ T::Array(_), T::Bool | T::Unknown] => Some(resolved(
                F::ArrayToJson,
                vec![a.clone(), T::Bool],
                T::Json,
                true,
            )),
            _ => None,
        },
        "to_jsonb" | "to_json" => {
            let jsonb = name == "to_jsonb";
            match args {
                // PostgreSQL cannot infer anyelement from an untyped literal.
                [a] if *a != T::Unknown => Some(resolved(
                    F::ToJson { jsonb },
                    vec![a.clone()],
                    j(jsonb),
                    true,
                )),
                _ => None,
            }
        }
        "jsonb_typeof" | "json_typeof" => {
            let jsonb = name.starts_with("jsonb");
            pick(
                args,
                vec![(vec![j(jsonb)], T::Text, F::Typeof { jsonb })],
                false,
            )
        }
        "jsonb_array_length" | "json_array_length" => {
            let jsonb = name.starts_with("jsonb");
            pick(
                args,
                vec![(vec![j(jsonb)], T::Int4, F::ArrayLength { jsonb })],
                false,
            )
        }
        "jsonb_set" | "jsonb_insert" => {
            let f = if name == "jsonb_set" {
                F::Set
            } else {
                F::Insert
            };
            pick(
                args,
                vec![
                    (vec![T::Jsonb, text_array(), T::Jsonb], T::Jsonb, f),
                    (vec![T::Jsonb, text_array(), T::Jsonb, T::Bool], T::Jsonb, f),
                ],
                false,
            )
        }
        "jsonb_strip_nulls" | "json_strip_nulls" => {
            let jsonb = name.starts_with("jsonb");
            pick(
                args,
                vec![(vec![j(jsonb)], j(jsonb), F::StripNulls { jsonb })],
                false,
            )
        }
        "jsonb_pretty" => pick(args, vec![(vec![T::Jsonb], T::Text, F::Pretty)], false),
        "jsonb_extract_path"
        | "jsonb_extract_path_text"
        | "json_extract_path"
        | "json_extract_path_text" => {
            let jsonb = name.starts_with("jsonb");
            let as_text = name.ends_with("_text");
            let (first, rest) = args.split_first()?;
            if rest.is_empty() || !overload::coercible(first, &j(jsonb)) {
                return None;
            }
            let ret = if as_text { T::Text } else { j(jsonb) };
            // (A `VARIADIC array[...]` call needs the binder to say so; not supported.)
            if !rest.iter().all(|a| overload::coercible(a, &T::Text)) {
                return None;
            }
            let mut arg_types = vec![j(jsonb)];
            arg_types.extend(std::iter::repeat_n(T::Text, rest.len()));
            Some(resolved(
                F::GetPath {
                    jsonb,
                    as_text,
                    variadic: true,
                },
                arg_types,
                ret,
                true,
            ))
        }
        // The `_tz` versions differ only in datetime() comparisons.
        "jsonb_path_exists"
        | "jsonb_path_match"
        | "jsonb_path_query_array"
        | "jsonb_path_query_first"
        | "jsonb_path_exists_tz"
        | "jsonb_path_match_tz"
        | "jsonb_path_query_array_tz"
        | "jsonb_path_query_first_tz" => {
            let tz = name.ends_with("_tz");
            let (f, ret) = match name.trim_end_matches("_tz") {
                "jsonb_path_exists" => (F::PathExists { op: false, tz }, T::Bool),
                "jsonb_path_match" => (F::PathMatch { op: false, tz }, T::Bool),
                "jsonb_path_query_array" => (F::PathQueryArray { tz }, T::Jsonb),
                _ => (F::PathQueryFirst { tz }, T::Jsonb),
            };
            let cands = path_signatures()
                .into_iter()
                .map(|p| (p, ret.clone(), f))
                .collect();
            pick(args, cands, false)
        }
        _ => None,
    }
}

/// The overloads of `jsonb_path_*(target, path [, vars [, silent]])`.
pub(crate) fn path_signatures() -> Vec<Vec<DataType>> {
    use DataType as T;
    let full = [T::Jsonb, T::JsonPath, T::Jsonb, T::Bool];
    (2..=4).map(|n| full[..n].to_vec()).collect()
}

fn op_flag(f: JsonFunc) -> bool {
    matches!(
        f,
        JsonFunc::PathExists { op: true, .. } | JsonFunc::PathMatch { op: true, .. }
    )
}

/// Runs a jsonpath function on (target, path, vars, silent); operators are silent.
fn call_path(f: JsonFunc, op: bool, args: &[Value], ctx: &EvalContext) -> TypeResult<Value> {
    use JsonFunc as F;
    let (Some(Value::Jsonb(target)), Some(Value::JsonPath(path))) = (args.first(), args.get(1))
    else {
        return Ok(Value::Null);
    };
    let empty = Jsonb::Object(Vec::new());
    let vars = match args.get(2) {
        Some(Value::Jsonb(v)) => v,
        _ => &empty,
    };
    let tz = matches!(
        f,
        F::PathExists { tz: true, .. }
            | F::PathMatch { tz: true, .. }
            | F::PathQueryArray { tz: true }
            | F::PathQueryFirst { tz: true }
    );
    let opts = crate::jsonpath::PathOptions {
        silent: op || matches!(args.get(3), Some(Value::Bool(true))),
        tz: tz.then_some(ctx.types.time_zone),
        now: ctx.transaction_start,
        exists: matches!(f, F::PathExists { .. }),
    };
    let silent = opts.silent;
    let Some(items) = crate::jsonpath::query(target, path, vars, &opts)? else {
        return Ok(match f {
            F::PathQueryArray { .. } => Value::Jsonb(Jsonb::Array(Vec::new())),
            _ => Value::Null,
        });
    };
    Ok(match f {
        F::PathExists { .. } => Value::Bool(!items.is_empty()),
        F::PathMatch { .. } => match items.as_slice() {
            [Jsonb::Bool(b)] => Value::Bool(*b),
            [Jsonb::Null] => Value::Null,
            _ if silent => Value::Null,
            _ => {
                return Err(TypeError::new("22038", "single boolean result is expected"));
            }
        },
        F::PathQueryArray { .. } => Value::Jsonb(Jsonb::Array(items)),
        _ => items.into_iter().next().map_or(Value::Null, Value::Jsonb),
    })
}

/// The infix operator a function is called by, for showing it as written (EXPLAIN).
pub fn operator_symbol(f: JsonFunc) -> Option<&'static str> {
    use JsonFunc as F;
    Some(match f {
        F::GetField { as_text, .. } | F::GetIndex { as_text, .. } => {
            if as_text {
                "->>"
            } else {
                "->"
            }
        }
        F::GetPath {
            as_text,
            variadic: false,
            ..
        } => {
            if as_text {
                "#>>"
            } else {
                "#>"
            }
        }
        F::Contains => "@>",
        F::ContainedBy => "<@",
        F::Exists => "?",
        F::ExistsAny => "?|",
        F::ExistsAll => "?&",
        F::Concat => "||",
        F::DeleteKey | F::DeleteIndex | F::DeleteKeys => "-",
        F::DeletePath => "#-",
        _ => return None,
    })
}

/// Resolves an operator.
pub fn resolve_operator(op: &str, left: Option<&DataType>, right: &DataType) -> Option<Resolved> {
    use DataType as T;
    use JsonFunc as F;
    let left = left?;
    let cands: Vec<(Vec<DataType>, DataType, JsonFunc)> = match op {
        "->" | "->>" => {
            let as_text = op == "->>";
            let mut v = Vec::new();
            for jsonb in [true, false] {
                let jt = if jsonb { T::Jsonb } else { T::Json };
                let ret = if as_text { T::Text } else { jt.clone() };
                v.push((
                    vec![jt.clone(), T::Text],
                    ret.clone(),
                    F::GetField { jsonb, as_text },
                ));
                v.push((vec![jt, T::Int4], ret, F::GetIndex { jsonb, as_text }));
            }
            v
        }
        "#>" | "#>>" => {
            let as_text = op == "#>>";
            [true, false]
                .into_iter()
                .map(|jsonb| {
                    let jt = if jsonb { T::Jsonb } else { T::Json };
                    let ret = if as_text { T::Text } else { jt.clone() };
                    (
                        vec![jt, text_array()],
                        ret,
                        F::GetPath {
                            jsonb,
                            as_text,
                            variadic: false,
                        },
                    )
                })
                .collect()
        }
        "@>" => vec![(vec![T::Jsonb, T::Jsonb], T::Bool, F::Contains)],
        "<@" => vec![(vec![T::Jsonb, T::Jsonb], T::Bool, F::ContainedBy)],
        "?" => vec![(vec![T::Jsonb, T::Text], T::Bool, F::Exists)],
        "?|" => vec![(vec![T::Jsonb, text_array()], T::Bool, F::ExistsAny)],
        "?&" => vec![(vec![T::Jsonb, text_array()], T::Bool, F::ExistsAll)],
        "||" => vec![(vec![T::Jsonb, T::Jsonb], T::Jsonb, F::Concat)],
        "-" => vec![
            (vec![T::Jsonb, T::Text], T::Jsonb, F::DeleteKey),
            (vec![T::Jsonb, T::Int4], T::Jsonb, F::DeleteIndex),
            (vec![T::Jsonb, text_array()], T::Jsonb, F::DeleteKeys),
        ],
        "#-" => vec![(vec![T::Jsonb, text_array()], T::Jsonb, F::DeletePath)],
        "@?" => vec![(
            vec![T::Jsonb, T::JsonPath],
            T::Bool,
            F::PathExists {
                op: true,
                tz: false,
            },
        )],
        "@@" => vec![(
            vec![T::Jsonb, T::JsonPath],
            T::Bool,
            F::PathMatch {
                op: true,
                tz: false,
            },
        )],
        _ => return None,
    };
    // Only claim operators with a json or jsonb operand: `text || text` and the array
    // operators belong to other modules.
    let is_json = |t: &DataType| matches!(t, T::Json | T::Jsonb);
    // `@?` exists only for jsonb and jsonpath, so untyped literals resolve to it (`@@` of
    // two untyped literals is PostgreSQL's text search match, which Basalt lacks).
    let path_op = op == "@?" || (op == "@@" && (*left == T::JsonPath || *right == T::JsonPath));
    if !is_json(left) && !is_json(right) && !path_op {
        return None;
    }
    pick(&[left.clone(), right.clone()], cands, true)
}

// ---------------------------------------------------------------------------------------
// Calling.

fn bad_args() -> TypeError {
    TypeError::new("XX000", "wrong argument types for a json function")
}

fn param_error(msg: impl Into<String>) -> TypeError {
    TypeError::new(codes::INVALID_PARAMETER_VALUE, msg)
}

fn arg_jsonb(args: &[Value], i: usize) -> TypeResult<&Jsonb> {
    match args.get(i) {
        Some(Value::Jsonb(j)) => Ok(j),
        _ => Err(bad_args()),
    }
}

fn arg_json(args: &[Value], i: usize) -> TypeResult<&str> {
    match args.get(i) {
        Some(Value::Json(s)) => Ok(s),
        _ => Err(bad_args()),
    }
}

fn arg_text(args: &[Value], i: usize) -> TypeResult<&str> {
    match args.get(i) {
        Some(Value::Text(s) | Value::Bpchar(s)) => Ok(s),
        _ => Err(bad_args()),
    }
}

/// A `text[]` argument: its elements, NULL elements as `None`.
fn arg_text_array(args: &[Value], i: usize) -> TypeResult<Vec<Option<String>>> {
    match args.get(i) {
        Some(Value::Array(a)) => a
            .elements
            .iter()
            .map(|e| match e {
                Value::Null => Ok(None),
                Value::Text(s) | Value::Bpchar(s) => Ok(Some(s.clone())),
                _ => Err(bad_args()),
            })
            .collect(),
        _ => Err(bad_args()),
    }
}

fn arg_bool(args: &[Value], i: usize, default: bool) -> TypeResult<bool> {
    match args.get(i) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        _ => Err(bad_args()),
    }
}

/// The elements of an array (in storage order) nested by its dimensions' lengths: a
/// multidimensional array is an array of arrays in JSON.
fn nest_dims<T>(items: Vec<T>, lens: &[usize], wrap: impl Fn(Vec<T>) -> T + Copy) -> T {
    match lens {
        [] | [_] => wrap(items),
        [_, inner @ ..] => {
            let per: usize = inner.iter().product::<usize>().max(1);
            let mut out = Vec::new();
            let mut it = items.into_iter().peekable();
            while it.peek().is_some() {
                let chunk: Vec<T> = it.by_ref().take(per).collect();
                out.push(nest_dims(chunk, inner, wrap));
            }
            wrap(out)
        }
    }
}

/// Calls a function.
pub fn call(f: JsonFunc, args: &[Value], ctx: &EvalContext) -> TypeResult<Value> {
    use JsonFunc as F;
    match f {
        F::PathExists { .. }
        | F::PathMatch { .. }
        | F::PathQueryArray { .. }
        | F::PathQueryFirst { .. } => {
            return call_path(f, op_flag(f), args, ctx);
        }
        F::BuildObject { jsonb } => return build_object(args, jsonb, ctx),
        F::BuildArray { jsonb } => {
            return Ok(if jsonb {
                Value::Jsonb(Jsonb::Array(
                    args.iter()
                        .map(|v| value_to_jsonb(v, ctx))
                        .collect::<TypeResult<_>>()?,
                ))
            } else {
                let parts: Vec<String> = args
                    .iter()
                    .map(|v| value_to_json_text(v, ctx))
                    .collect::<TypeResult<_>>()?;
                Value::Json(format!("[{}]", parts.join(", ")))
            });
        }
        _ => {}
    }
    if args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    Ok(match f {
        F::BuildObject { .. }
        | F::BuildArray { .. }
        | F::PathExists { .. }
        | F::PathMatch { .. }
        | F::PathQueryArray { .. }
        | F::PathQueryFirst { .. } => Value::Null,
        F::GetField { jsonb, as_text } => {
            let key = arg_text(args, 1)?;
            if jsonb {
                let j = arg_jsonb(args, 0)?;
                jsonb_result(object_get(j, key), as_text)
            } else {
                let t = arg_json(args, 0)?;
                json_result(jtext::field(t, key), as_text)?
            }
        }
        F::GetIndex { jsonb, as_text } => {
            let idx = match args.get(1) {
                Some(Value::Int4(i)) => i64::from(*i),
                _ => return Err(bad_args()),
            };
            if jsonb {
                jsonb_result(array_get(arg_jsonb(args, 0)?, idx), as_text)
            } else {
                json_result(jtext::index(arg_json(args, 0)?, idx), as_text)?
            }
        }
        F::GetPath {
            jsonb,
            as_text,
            variadic,
        } => {
            let path: Vec<Option<String>> = if variadic {
                args.get(1..)
                    .unwrap_or_default()
                    .iter()
                    .map(|v| match v {
                        Value::Text(s) | Value::Bpchar(s) => Ok(Some(s.clone())),
                        _ => Err(bad_args()),
                    })
                    .collect::<TypeResult<_>>()?
            } else {
                arg_text_array(args, 1)?
            };
            if jsonb {
                let mut cur = Some(arg_jsonb(args, 0)?);
                for p in &path {
                    cur = match (cur, p) {
                        (Some(j), Some(k)) => path_step(j, k),
                        _ => None,
                    };
                }
                jsonb_result(cur, as_text)
            } else {
                let mut cur = Some(arg_json(args, 0)?.trim_matches(jtext::is_ws));
                for p in &path {
                    cur = match (cur, p) {
                        (Some(t), Some(k)) => match jtext::kind(t) {
                            jtext::Kind::Object => jtext::field(t, k),
                            jtext::Kind::Array => k
                                .trim()
                                .parse::<i64>()
                                .ok()
                                .and_then(|i| jtext::index(t, i)),
                            _ => None,
                        },
                        _ => None,
                    };
                }
                json_result(cur, as_text)?
            }
        }
        F::Contains => Value::Bool(contains_top(arg_jsonb(args, 0)?, arg_jsonb(args, 1)?)),
        F::ContainedBy => Value::Bool(contains_top(arg_jsonb(args, 1)?, arg_jsonb(args, 0)?)),
        F::Exists => Value::Bool(key_exists(arg_jsonb(args, 0)?, arg_text(args, 1)?)),
        F::ExistsAny | F::ExistsAll => {
            let j = arg_jsonb(args, 0)?;
            let keys = arg_text_array(args, 1)?;
            let mut present = keys.iter().flatten().map(|k| key_exists(j, k));
            Value::Bool(if f == F::ExistsAny {
                present.any(|b| b)
            } else {
                present.all(|b| b)
            })
        }
        F::Concat => Value::Jsonb(concat(arg_jsonb(args, 0)?, arg_jsonb(args, 1)?)),
        F::DeleteKey => Value::Jsonb(delete_keys(
            arg_jsonb(args, 0)?,
            &[Some(arg_text(args, 1)?.to_owned())],
        )?),
        F::DeleteKeys => Value::Jsonb(delete_keys(arg_jsonb(args, 0)?, &arg_text_array(args, 1)?)?),
        F::DeleteIndex => {
            let idx = match args.get(1) {
                Some(Value::Int4(i)) => i64::from(*i),
                _ => return Err(bad_args()),
            };
            Value::Jsonb(delete_index(arg_jsonb(args, 0)?, idx)?)
        }
        F::DeletePath => {
            let j = arg_jsonb(args, 0)?;
            let path = arg_text_array(args, 1)?;
            if !matches!(j, Jsonb::Array(_) | Jsonb::Object(_)) {
                return Err(param_error("cannot delete path in scalar"));
            }
            let mut out = j.clone();
            if !path.is_empty() {
                delete_path(&mut out, &path, 0)?;
            }
            Value::Jsonb(out)
        }
        F::RowToJson => {
            let Some(Value::Record(r)) = args.first() else {
                return Err(bad_args());
            };
            let pretty = arg_bool(args, 1, false)?;
            Value::Json(record_to_json_text(r, pretty, ctx)?)
        }
        F::ObjectFromArrays { jsonb } => {
            let sub_err = |m: &str| TypeError::new("2202E", m);
            let arr = |i: usize| match args.get(i) {
                Some(Value::Array(a)) => Ok(a),
                _ => Err(bad_args()),
            };
            let text = |v: &Value| match v {
                Value::Text(t) => Some(t.clone()),
                _ => None,
            };
            let mut pairs: Vec<(String, Option<String>)> = Vec::new();
            let key = |v: &Value| {
                text(v)
                    .ok_or_else(|| TypeError::new("22004", "null value not allowed for object key"))
            };
            if args.len() == 1 {
                let a = arr(0)?;
                match a.dims.len() {
                    0 => {}
                    1 => {
                        if a.elements.len() % 2 != 0 {
                            return Err(sub_err("array must have even number of elements"));
                        }
                        for kv in a.elements.chunks(2) {
                            pairs.push((key(&kv[0])?, text(&kv[1])));
                        }
                    }
                    2 => {
                        if a.dims[1].len != 2 {
                            return Err(sub_err("array must have two columns"));
                        }
                        for kv in a.elements.chunks(2) {
                            pairs.push((key(&kv[0])?, text(&kv[1])));
                        }
                    }
                    _ => return Err(sub_err("wrong number of array subscripts")),
                }
            } else {
                let (k, v) = (arr(0)?, arr(1)?);
                if k.dims.len() > 1 || v.dims.len() > 1 {
                    return Err(sub_err("wrong number of array subscripts"));
                }
                if k.elements.len() != v.elements.len() {
                    return Err(sub_err("mismatched array dimensions"));
                }
                for (kk, vv) in k.elements.iter().zip(&v.elements) {
                    pairs.push((key(kk)?, text(vv)));
                }
            }
            if jsonb {
                let pairs = pairs
                    .into_iter()
                    .map(|(k, v)| (k, v.map_or(Jsonb::Null, Jsonb::String)))
                    .collect();
                Value::Jsonb(Jsonb::Object(basalt_common::types::json::canonical_object(
                    pairs,
                )))
            } else {
                let mut out = String::from("{");
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    basalt_common::types::json::escape_json_string(&mut out, k);
                    out.push_str(" : ");
                    match v {
                        Some(v) => basalt_common::types::json::escape_json_string(&mut out, v),
                        None => out.push_str("null"),
                    }
                }
                out.push('}');
                Value::Json(out)
            }
        }
        F::ArrayToJson => {
            let Some(Value::Array(a)) = args.first() else {
                return Err(bad_args());
            };
            if !arg_bool(args, 1, false)? || a.dims.is_empty() {
                return Ok(Value::Json(value_to_json_text(&args[0], ctx)?));
            }
            // The first dimension's items: elements, or sub-arrays of the inner dimensions.
            let inner = &a.dims[1..];
            let per: usize = inner.iter().map(|d| d.len).product();
            let mut parts = Vec::with_capacity(a.dims[0].len);
            for chunk in a.elements.chunks(per.max(1)) {
                let item = if inner.is_empty() {
                    chunk[0].clone()
                } else {
                    Value::array_with_dims(
                        a.element_type.clone(),
                        chunk.to_vec(),
                        inner
                            .iter()
                            .map(|d| basalt_common::types::ArrayDim {
                                lower: 1,
                                len: d.len,
                            })
                            .collect(),
                    )
                    .ok_or_else(bad_args)?
                };
                parts.push(value_to_json_text(&item, ctx)?);
            }
            Value::Json(format!("[{}]", parts.join(",\n ")))
        }
        F::ToJson { jsonb } => {
            let v = args.first().ok_or_else(bad_args)?;
            if jsonb {
                Value::Jsonb(value_to_jsonb(v, ctx)?)
            } else {
                Value::Json(value_to_json_text(v, ctx)?)
            }
        }
        F::Typeof { jsonb } => Value::Text(
            if jsonb {
                jsonb_kind(arg_jsonb(args, 0)?)
            } else {
                match jtext::kind(arg_json(args, 0)?) {
                    jtext::Kind::Object => "object",
                    jtext::Kind::Array => "array",
                    jtext::Kind::String => "string",
                    jtext::Kind::Number => "number",
                    jtext::Kind::Bool => "boolean",
                    jtext::Kind::Null => "null",
                }
            }
            .to_owned(),
        ),
        F::ArrayLength { jsonb } => {
            let len = if jsonb {
                match arg_jsonb(args, 0)? {
                    Jsonb::Array(a) => a.len(),
                    Jsonb::Object(_) => {
                        return Err(param_error("cannot get array length of a non-array"));
                    }
                    _ => return Err(param_error("cannot get array length of a scalar")),
                }
            } else {
                let t = arg_json(args, 0)?;
                match jtext::kind(t) {
                    jtext::Kind::Array => jtext::elements(t).len(),
                    jtext::Kind::Object => {
                        return Err(param_error("cannot get array length of a non-array"));
                    }
                    _ => return Err(param_error("cannot get array length of a scalar")),
                }
            };
            Value::Int4(i32::try_from(len).unwrap_or(i32::MAX))
        }
        F::Set | F::Insert => {
            let target = arg_jsonb(args, 0)?;
            let path = arg_text_array(args, 1)?;
            let new = arg_jsonb(args, 2)?;
            let flag = arg_bool(args, 3, f == F::Set)?;
            if !matches!(target, Jsonb::Array(_) | Jsonb::Object(_)) {
                return Err(param_error("cannot set path in scalar"));
            }
            let mut out = target.clone();
            if !path.is_empty() {
                let mode = if f == F::Set {
                    SetMode::Set { create: flag }
                } else {
                    SetMode::Insert { after: flag }
                };
                set_path(&mut out, &path, 0, new, mode)?;
            }
            Value::Jsonb(out)
        }
        F::StripNulls { jsonb } => {
            if jsonb {
                Value::Jsonb(strip_nulls(arg_jsonb(args, 0)?))
            } else {
                let mut out = String::new();
                jtext::strip_nulls(arg_json(args, 0)?.trim_matches(jtext::is_ws), &mut out);
                Value::Json(out)
            }
        }
        F::Pretty => {
            let mut out = String::new();
            pretty(arg_jsonb(args, 0)?, 0, &mut out);
            Value::Text(out)
        }
    })
}

/// `jsonb_typeof`'s name of a value's kind (also jsonpath's `.type()`).
pub(crate) fn jsonb_kind(j: &Jsonb) -> &'static str {
    match j {
        Jsonb::Null => "null",
        Jsonb::Bool(_) => "boolean",
        Jsonb::Number(_) => "number",
        Jsonb::String(_) => "string",
        Jsonb::Array(_) => "array",
        Jsonb::Object(_) => "object",
    }
}

/// The result of `->`/`->>` on jsonb: the element, or its text (`null` is SQL NULL).
fn jsonb_result(j: Option<&Jsonb>, as_text: bool) -> Value {
    match (j, as_text) {
        (None, _) => Value::Null,
        (Some(j), false) => Value::Jsonb(j.clone()),
        (Some(j), true) => jsonb_as_text(j).map_or(Value::Null, Value::Text),
    }
}

/// A jsonb value as `->>` shows it: strings unquoted, `null` as NULL.
pub fn jsonb_as_text(j: &Jsonb) -> Option<String> {
    match j {
        Jsonb::Null => None,
        Jsonb::String(s) => Some(s.clone()),
        other => Some(other.to_text()),
    }
}

fn json_result(t: Option<&str>, as_text: bool) -> TypeResult<Value> {
    let Some(t) = t else { return Ok(Value::Null) };
    if !as_text {
        return Ok(Value::Json(t.to_owned()));
    }
    Ok(match jtext::kind(t) {
        jtext::Kind::Null => Value::Null,
        jtext::Kind::String => Value::Text(jtext::unescape(t)?),
        _ => Value::Text(t.to_owned()),
    })
}

fn object_get<'a>(j: &'a Jsonb, key: &str) -> Option<&'a Jsonb> {
    match j {
        Jsonb::Object(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

fn resolve_index(idx: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let i = if idx < 0 { len + idx } else { idx };
    if (0..len).contains(&i) {
        usize::try_from(i).ok()
    } else {
        None
    }
}

fn array_get(j: &Jsonb, idx: i64) -> Option<&Jsonb> {
    match j {
        Jsonb::Array(items) => resolve_index(idx, items.len()).and_then(|i| items.get(i)),
        _ => None,
    }
}

/// One step of a `#>` path: a key for objects, an integer (negative from the end) for arrays.
fn path_step<'a>(j: &'a Jsonb, key: &str) -> Option<&'a Jsonb> {
    match j {
        Jsonb::Object(_) => object_get(j, key),
        Jsonb::Array(_) => key.trim().parse::<i64>().ok().and_then(|i| array_get(j, i)),
        _ => None,
    }
}

fn is_container(j: &Jsonb) -> bool {
    matches!(j, Jsonb::Array(_) | Jsonb::Object(_))
}

/// `a @> b` at the top level: a scalar is a "raw scalar" array of one element.
fn contains_top(a: &Jsonb, b: &Jsonb) -> bool {
    match (a, b) {
        (Jsonb::Object(_), Jsonb::Object(_)) => contains(a, b),
        (Jsonb::Object(_), _) | (_, Jsonb::Object(_)) => false,
        (Jsonb::Array(_), Jsonb::Array(_)) => contains(a, b),
        (Jsonb::Array(items), scalar) => items.iter().any(|x| x == scalar),
        // A raw scalar contains only the same raw scalar.
        (_, Jsonb::Array(_)) => false,
        (x, y) => x == y,
    }
}

fn contains(a: &Jsonb, b: &Jsonb) -> bool {
    match (a, b) {
        (Jsonb::Object(pa), Jsonb::Object(pb)) => pb.iter().all(|(k, vb)| {
            pa.iter()
                .find(|(ka, _)| ka == k)
                .is_some_and(|(_, va)| match (va, vb) {
                    (Jsonb::Object(_), Jsonb::Object(_)) | (Jsonb::Array(_), Jsonb::Array(_)) => {
                        contains(va, vb)
                    }
                    (x, y) if !is_container(x) && !is_container(y) => x == y,
                    _ => false,
                })
        }),
        (Jsonb::Array(ea), Jsonb::Array(eb)) => eb.iter().all(|x| {
            if is_container(x) {
                ea.iter().any(|y| {
                    matches!(
                        (y, x),
                        (Jsonb::Object(_), Jsonb::Object(_)) | (Jsonb::Array(_), Jsonb::Array(_))
                    ) && contains(y, x)
                })
            } else {
                ea.iter().any(|y| !is_container(y) && y == x)
            }
        }),
        _ => false,
    }
}

/// `?`: an object key, a string array element, or the scalar string itself.
fn key_exists(j: &Jsonb, key: &str) -> bool {
    match j {
        Jsonb::Object(pairs) => pairs.iter().any(|(k, _)| k == key),
        Jsonb::Array(items) => items
            .iter()
            .any(|x| matches!(x, Jsonb::String(s) if s == key)),
        Jsonb::String(s) => s == key,
        _ => false,
    }
}

/// Sorts keys as jsonb stores them (length, then bytes); later duplicates win.
fn canonical(pairs: Vec<(String, Jsonb)>) -> Jsonb {
    let mut out: Vec<(String, Jsonb)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        if let Some(slot) = out.iter_mut().find(|(ok, _)| *ok == k) {
            slot.1 = v;
        } else {
            out.push((k, v));
        }
    }
    out.sort_by(|(a, _), (b, _)| {
        a.len()
            .cmp(&b.len())
            .then_with(|| a.as_bytes().cmp(b.as_bytes()))
    });
    Jsonb::Object(out)
}

fn concat(a: &Jsonb, b: &Jsonb) -> Jsonb {
    match (a, b) {
        (Jsonb::Object(pa), Jsonb::Object(pb)) => {
            canonical(pa.iter().chain(pb.iter()).cloned().collect())
        }
        _ => {
            let as_items = |j: &Jsonb| match j {
                Jsonb::Array(items) => items.clone(),
                other => vec![other.clone()],
            };
            let mut items = as_items(a);
            items.extend(as_items(b));
            Jsonb::Array(items)
        }
    }
}

fn delete_keys(j: &Jsonb, keys: &[Option<String>]) -> TypeResult<Jsonb> {
    let hit = |k: &str| keys.iter().flatten().any(|x| x == k);
    Ok(match j {
        Jsonb::Object(pairs) => {
            Jsonb::Object(pairs.iter().filter(|(k, _)| !hit(k)).cloned().collect())
        }
        Jsonb::Array(items) => Jsonb::Array(
            items
                .iter()
                .filter(|x| !matches!(x, Jsonb::String(s) if hit(s)))
                .cloned()
                .collect(),
        ),
        _ => return Err(param_error("cannot delete from scalar")),
    })
}

fn delete_index(j: &Jsonb, idx: i64) -> TypeResult<Jsonb> {
    match j {
        Jsonb::Array(items) => {
            let mut items = items.clone();
            if let Some(i) = resolve_index(idx, items.len()) {
                items.remove(i);
            }
            Ok(Jsonb::Array(items))
        }
        Jsonb::Object(_) => Err(param_error("cannot delete from object using integer index")),
        _ => Err(param_error("cannot delete from scalar")),
    }
}

fn null_path_element(pos: usize) -> TypeError {
    TypeError::new(
        "22004",
        format!("path element at position {} is null", pos + 1),
    )
}

fn path_index(key: &str, pos: usize) -> TypeResult<i64> {
    key.trim().parse::<i64>().map_err(|_| {
        TypeError::new(
            codes::INVALID_TEXT_REPRESENTATION,
            format!(
                "path element at position {} is not an integer: \"{key}\"",
                pos + 1
            ),
        )
    })
}

fn delete_path(j: &mut Jsonb, path: &[Option<String>], level: usize) -> TypeResult<()> {
    let Some(elem) = path.get(level) else {
        return Ok(());
    };
    // PostgreSQL rejects a NULL element as soon as the walk reaches its level.
    let Some(key) = elem else {
        return Err(null_path_element(level));
    };
    let last = level + 1 == path.len();
    match j {
        Jsonb::Object(pairs) => {
            if let Some(i) = pairs.iter().position(|(k, _)| k == key) {
                if last {
                    pairs.remove(i);
                } else {
                    delete_path(&mut pairs[i].1, path, level + 1)?;
                }
            }
        }
        Jsonb::Array(items) => {
            let idx = path_index(key, level)?;
            if let Some(i) = resolve_index(idx, items.len()) {
                if last {
                    items.remove(i);
                } else {
                    delete_path(&mut items[i], path, level + 1)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
enum SetMode {
    Set { create: bool },
    Insert { after: bool },
}

fn set_path(
    j: &mut Jsonb,
    path: &[Option<String>],
    level: usize,
    new: &Jsonb,
    mode: SetMode,
) -> TypeResult<()> {
    let Some(elem) = path.get(level) else {
        return Ok(());
    };
    // PostgreSQL rejects a NULL element as soon as the walk reaches its level.
    let Some(key) = elem else {
        return Err(null_path_element(level));
    };
    let last = level + 1 == path.len();
    match j {
        Jsonb::Object(pairs) => match pairs.iter().position(|(k, _)| k == key) {
            Some(i) if last => match mode {
                SetMode::Set { .. } => pairs[i].1 = new.clone(),
                SetMode::Insert { .. } => {
                    return Err(param_error("cannot replace existing key")
                        .with_detail("Try using the function jsonb_set to replace key value."));
                }
            },
            Some(i) => set_path(&mut pairs[i].1, path, level + 1, new, mode)?,
            None => {
                let create = match mode {
                    SetMode::Set { create } => create,
                    SetMode::Insert { .. } => true,
                };
                if last && create {
                    let mut v = std::mem::take(pairs);
                    v.push((key.clone(), new.clone()));
                    *j = canonical(v);
                }
            }
        },
        Jsonb::Array(items) => {
            let idx = path_index(key, level)?;
            let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
            let resolved = resolve_index(idx, items.len());
            match (resolved, last) {
                (Some(i), false) => set_path(&mut items[i], path, level + 1, new, mode)?,
                (Some(i), true) => match mode {
                    SetMode::Set { .. } => items[i] = new.clone(),
                    SetMode::Insert { after } => {
                        items.insert(if after { i + 1 } else { i }, new.clone());
                    }
                },
                (None, true) => {
                    let create = match mode {
                        SetMode::Set { create } => create,
                        SetMode::Insert { .. } => true,
                    };
                    if create {
                        if idx < 0 && idx + len < 0 {
                            items.insert(0, new.clone());
                        } else {
                            items.push(new.clone());
                        }
                    }
                }
                (None, false) => {}
            }
        }
        _ => {}
    }
    Ok(())
}

fn strip_nulls(j: &Jsonb) -> Jsonb {
    match j {
        Jsonb::Object(pairs) => Jsonb::Object(
            pairs
                .iter()
                .filter(|(_, v)| !matches!(v, Jsonb::Null))
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Jsonb::Array(items) => Jsonb::Array(items.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

fn pretty(j: &Jsonb, depth: usize, out: &mut String) {
    let indent = |out: &mut String, d: usize| {
        for _ in 0..d {
            out.push_str("    ");
        }
    };
    match j {
        Jsonb::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('\n');
                indent(out, depth + 1);
                pretty(v, depth + 1, out);
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        }
        Jsonb::Object(pairs) => {
            out.push('{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('\n');
                indent(out, depth + 1);
                escape_json_string(out, k);
                out.push_str(": ");
                pretty(v, depth + 1, out);
            }
            out.push('\n');
            indent(out, depth);
            out.push('}');
        }
        other => out.push_str(&other.to_text()),
    }
}

fn build_object(args: &[Value], jsonb: bool, ctx: &EvalContext) -> TypeResult<Value> {
    if !args.len().is_multiple_of(2) {
        let name = if jsonb {
            "jsonb_build_object"
        } else {
            "json_build_object"
        };
        return Err(
            param_error("argument list must have even number of elements").with_detail(format!(
                "The arguments of {name}() must consist of alternating keys and values."
            )),
        );
    }
    let mut pairs = Vec::with_capacity(args.len() / 2);
    for (i, kv) in args.chunks(2).enumerate() {
        let (k, v) = (&kv[0], &kv[1]);
        let key = match k {
            Value::Null => {
                return Err(param_error(format!(
                    "argument {}: key must not be null",
                    2 * i + 1
                )));
            }
            Value::Array(_) | Value::Json(_) | Value::Jsonb(_) => {
                return Err(param_error(
                    "key value must be scalar, not array, composite, or json",
                ));
            }
            // Keys are converted as JSON converts the value (dates in ISO 8601 form).
            other => scalar_json_string(other, ctx),
        };
        pairs.push((key, v));
    }
    if jsonb {
        let mut out = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            out.push((k, value_to_jsonb(v, ctx)?));
        }
        Ok(Value::Jsonb(canonical(out)))
    } else {
        let mut s = String::from("{");
        for (i, (k, v)) in pairs.into_iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            escape_json_string(&mut s, &k);
            s.push_str(" : ");
            s.push_str(&value_to_json_text(v, ctx)?);
        }
        s.push('}');
        Ok(Value::Json(s))
    }
}

// ---------------------------------------------------------------------------------------
// Conversion of SQL values to JSON.

/// `YYYY-MM-DDTHH:MI:SS[.ffffff]`, JSON's (XSD) form of a timestamp, with `+HH:MM` for
/// `timestamptz`.
fn json_timestamp(v: i64, offset_east: Option<i32>) -> String {
    if v == TIMESTAMP_INFINITY {
        return "infinity".into();
    }
    if v == TIMESTAMP_NEG_INFINITY {
        return "-infinity".into();
    }
    let local = v.saturating_add(i64::from(offset_east.unwrap_or(0)) * 1_000_000);
    let text = format_timestamp(local);
    // "YYYY-MM-DD HH:MI:SS[.f][ BC]"
    let (body, bc) = match text.strip_suffix(" BC") {
        Some(b) => (b, " BC"),
        None => (text.as_str(), ""),
    };
    let mut s = body.replacen(' ', "T", 1);
    if let Some(east) = offset_east {
        let sign = if east < 0 { '-' } else { '+' };
        let a = east.unsigned_abs();
        s.push_str(&format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60));
        if a % 60 != 0 {
            s.push_str(&format!(":{:02}", a % 60));
        }
    }
    s.push_str(bc);
    s
}

/// `to_jsonb(v)`: numbers stay numbers (non-finite ones become strings), booleans and NULL
/// map to their JSON forms, arrays to arrays, `json`/`jsonb` are embedded, date/time values
/// use JSON's ISO 8601 forms and anything else becomes a string of its text output.
pub fn value_to_jsonb(v: &Value, ctx: &EvalContext) -> TypeResult<Jsonb> {
    Ok(match v {
        Value::Null => Jsonb::Null,
        Value::Bool(b) => Jsonb::Bool(*b),
        Value::Int2(i) => Jsonb::Number(Numeric::from_i64(i64::from(*i))),
        Value::Int4(i) => Jsonb::Number(Numeric::from_i64(i64::from(*i))),
        Value::Int8(i) => Jsonb::Number(Numeric::from_i64(*i)),
        Value::Float4(_) | Value::Float8(_) => {
            let text = format_text(v, &ctx.types).unwrap_or_default();
            match Numeric::parse(&text) {
                Ok(n) if n.is_finite() => Jsonb::Number(n),
                _ => Jsonb::String(text),
            }
        }
        Value::Numeric(n) if n.is_finite() => Jsonb::Number(n.clone()),
        Value::Json(t) => parse_jsonb(t)?,
        Value::Jsonb(j) => j.clone(),
        Value::Array(a) => {
            let items = a
                .elements
                .iter()
                .map(|e| value_to_jsonb(e, ctx))
                .collect::<TypeResult<Vec<_>>>()?;
            let lens: Vec<usize> = a.dims.iter().map(|d| d.len).collect();
            nest_dims(items, &lens, Jsonb::Array)
        }
        Value::Record(r) => canonical(
            r.names
                .iter()
                .zip(&r.fields)
                .map(|(n, f)| Ok((n.clone(), value_to_jsonb(f, ctx)?)))
                .collect::<TypeResult<_>>()?,
        ),
        other => Jsonb::String(scalar_json_string(other, ctx)),
    })
}

/// The string form of a value that JSON shows as a string.
fn scalar_json_string(v: &Value, ctx: &EvalContext) -> String {
    match v {
        Value::Text(s) | Value::Bpchar(s) => s.clone(),
        Value::Date(d) => format_date(*d),
        Value::Time(t) => format_time(*t),
        Value::Timestamp(t) => json_timestamp(*t, None),
        Value::Timestamptz(t) => json_timestamp(*t, Some(ctx.types.time_zone.offset_secs(*t))),
        other => format_text(other, &ctx.types).unwrap_or_default(),
    }
}

/// `to_json(v)` as text: like [`value_to_jsonb`], but `json` input is embedded verbatim and
/// arrays print without spaces (`[1,2,3]`), as PostgreSQL's `to_json` does.
pub fn value_to_json_text(v: &Value, ctx: &EvalContext) -> TypeResult<String> {
    Ok(match v {
        Value::Null => "null".into(),
        Value::Bool(b) => if *b { "true" } else { "false" }.into(),
        Value::Int2(_) | Value::Int4(_) | Value::Int8(_) => {
            format_text(v, &ctx.types).unwrap_or_default()
        }
        Value::Float4(_) | Value::Float8(_) => {
            let text = format_text(v, &ctx.types).unwrap_or_default();
            let finite = match v {
                Value::Float4(f) => f.is_finite(),
                Value::Float8(f) => f.is_finite(),
                _ => false,
            };
            if finite {
                text
            } else {
                let mut s = String::new();
                escape_json_string(&mut s, &text);
                s
            }
        }
        Value::Numeric(n) if n.is_finite() => n.to_text(),
        Value::Json(t) => t.clone(),
        Value::Jsonb(j) => j.to_text(),
        Value::Array(a) => {
            let parts: Vec<String> = a
                .elements
                .iter()
                .map(|e| value_to_json_text(e, ctx))
                .collect::<TypeResult<_>>()?;
            let lens: Vec<usize> = a.dims.iter().map(|d| d.len).collect();
            nest_dims(parts, &lens, |p| format!("[{}]", p.join(",")))
        }
        Value::Record(r) => record_to_json_text(r, false, ctx)?,
        other => {
            let mut s = String::new();
            escape_json_string(&mut s, &scalar_json_string(other, ctx));
            s
        }
    })
}

/// `row_to_json`: `{"a":1,"b":"x"}`, or with `pretty` one field per line.
fn record_to_json_text(r: &RecordValue, pretty: bool, ctx: &EvalContext) -> TypeResult<String> {
    let mut s = String::from("{");
    for (i, (n, f)) in r.names.iter().zip(&r.fields).enumerate() {
        if i > 0 {
            s.push_str(if pretty { ",\n " } else { "," });
        }
        escape_json_string(&mut s, n);
        s.push(':');
        s.push_str(&value_to_json_text(f, ctx)?);
    }
    s.push('}');
    Ok(s)
}

/// `json[b]_populate_record(set)` / `json[b]_to_record(set)`: the values of `fields` read from
/// one JSON value, which must be an object (`what` names the function for the error about a
/// set's elements). Fields the object lacks keep `base`'s values (or are NULL).
pub fn json_to_record_fields(
    j: &Jsonb,
    base: Option<&RecordValue>,
    fields: &[(String, DataType)],
    ctx: &EvalContext,
) -> TypeResult<Vec<Value>> {
    let Jsonb::Object(pairs) = j else {
        return Err(TypeError::new(
            codes::INVALID_PARAMETER_VALUE,
            format!("cannot call populate_composite on {}", json_kind_article(j)),
        ));
    };
    fields
        .iter()
        .enumerate()
        .map(
            |(i, (name, ty))| match pairs.iter().rev().find(|(k, _)| k == name) {
                Some((_, v)) => json_to_field(v, ty, ctx),
                None => Ok(base
                    .and_then(|b| b.fields.get(i).cloned())
                    .unwrap_or(Value::Null)),
            },
        )
        .collect()
}

/// [`json_to_record_fields`] for `json` text: values keep their text as written (a nested
/// object read into a `text` or `json` field is the original text, as PostgreSQL's
/// `json_populate_record`).
pub fn json_text_to_record_fields(
    text: &str,
    base: Option<&RecordValue>,
    fields: &[(String, DataType)],
    ctx: &EvalContext,
) -> TypeResult<Vec<Value>> {
    use jtext::Kind;
    match jtext::kind(text) {
        Kind::Object => {}
        k => {
            return Err(TypeError::new(
                codes::INVALID_PARAMETER_VALUE,
                format!(
                    "cannot call populate_composite on {}",
                    if k == Kind::Array {
                        "an array"
                    } else {
                        "a scalar"
                    }
                ),
            ));
        }
    }
    let pairs = jtext::fields(text);
    fields
        .iter()
        .enumerate()
        .map(
            |(i, (name, ty))| match pairs.iter().rev().find(|(k, _)| k == name) {
                Some((_, raw)) => {
                    let raw = raw.trim_matches(jtext::is_ws);
                    match (jtext::kind(raw), ty) {
                        (Kind::Null, _) => Ok(Value::Null),
                        (_, DataType::Json) => Ok(Value::Json(raw.to_owned())),
                        (Kind::String, _) => parse_text(&jtext::unescape(raw)?, ty, &ctx.types),
                        (Kind::Array | Kind::Object, DataType::Array(_) | DataType::Record(_))
                        | (_, DataType::Jsonb) => json_to_field(&parse_jsonb(raw)?, ty, ctx),
                        _ => parse_text(raw, ty, &ctx.types),
                    }
                }
                None => Ok(base
                    .and_then(|b| b.fields.get(i).cloned())
                    .unwrap_or(Value::Null)),
            },
        )
        .collect()
}

fn json_kind_article(j: &Jsonb) -> &'static str {
    match j {
        Jsonb::Array(_) => "an array",
        Jsonb::Object(_) => "an object",
        _ => "a scalar",
    }
}

/// One JSON value as a field of type `ty` (PostgreSQL's `populate_record_field`).
fn json_to_field(j: &Jsonb, ty: &DataType, ctx: &EvalContext) -> TypeResult<Value> {
    match (j, ty) {
        (Jsonb::Null, _) => Ok(Value::Null),
        (_, DataType::Jsonb) => Ok(Value::Jsonb(j.clone())),
        (_, DataType::Json) => Ok(Value::Json(j.to_text())),
        (Jsonb::Array(items), DataType::Array(elem)) => {
            if items.iter().any(|i| matches!(i, Jsonb::Array(_))) {
                // Nested arrays: go through the array's text form.
                return parse_text(&jsonb_array_text(j), ty, &ctx.types);
            }
            let vals = items
                .iter()
                .map(|i| json_to_field(i, elem, ctx))
                .collect::<TypeResult<Vec<_>>>()?;
            Ok(Value::array((**elem).clone(), vals))
        }
        (Jsonb::Object(_), DataType::Record(rt)) => {
            let vals = json_to_record_fields(j, None, &rt.fields, ctx)?;
            Ok(Value::record(rt.names(), vals))
        }
        (Jsonb::String(s), _) => parse_text(s, ty, &ctx.types),
        (other, _) => parse_text(&other.to_text(), ty, &ctx.types),
    }
}

/// A JSON array of arrays as PostgreSQL's array text (`[[1,2],[3,4]]` → `{{1,2},{3,4}}`).
fn jsonb_array_text(j: &Jsonb) -> String {
    match j {
        Jsonb::Array(items) => format!(
            "{{{}}}",
            items
                .iter()
                .map(jsonb_array_text)
                .collect::<Vec<_>>()
                .join(",")
        ),
        Jsonb::Null => "NULL".into(),
        Jsonb::String(s) => {
            let mut out = String::from('"');
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
            out
        }
        other => other.to_text(),
    }
}

/// A scanner over valid `json` text: value boundaries, object fields and array elements as
/// slices of the original text.
pub(crate) mod jtext {
    use basalt_common::types::json::parse_jsonb;
    use basalt_common::types::{Jsonb, TypeResult};

    /// JSON whitespace.
    pub(crate) fn is_ws(c: char) -> bool {
        matches!(c, ' ' | '\t' | '\n' | '\r')
    }

    /// The kind of a JSON value (by its first character).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Kind {
        Object,
        Array,
        String,
        Number,
        Bool,
        Null,
    }

    pub(crate) fn kind(t: &str) -> Kind {
        match t.trim_start_matches(is_ws).as_bytes().first() {
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            Some(b'"') => Kind::String,
            Some(b't' | b'f') => Kind::Bool,
            Some(b'n') => Kind::Null,
            _ => Kind::Number,
        }
    }

    fn skip_ws(b: &[u8], mut i: usize) -> usize {
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        }
        i
    }

    /// End (exclusive) of the string token starting at `i` (a `"`).
    fn string_end(b: &[u8], mut i: usize) -> usize {
        i += 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => return i + 1,
                _ => i += 1,
            }
        }
        b.len()
    }

    /// End (exclusive) of the value starting at `i`.
    fn value_end(b: &[u8], i: usize) -> usize {
        match b.get(i) {
            Some(b'"') => string_end(b, i),
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                let mut j = i;
                while j < b.len() {
                    match b[j] {
                        b'"' => {
                            j = string_end(b, j);
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                return j + 1;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                b.len()
            }
            _ => {
                let mut j = i;
                while j < b.len()
                    && !matches!(b[j], b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r')
                {
                    j += 1;
                }
                j
            }
        }
    }

    /// The fields of an object: (de-escaped key, value slice), in order (duplicates kept).
    pub(crate) fn fields(t: &str) -> Vec<(String, &str)> {
        let b = t.as_bytes();
        let mut out = Vec::new();
        let mut i = skip_ws(b, 0);
        if b.get(i) != Some(&b'{') {
            return out;
        }
        i = skip_ws(b, i + 1);
        while i < b.len() && b[i] == b'"' {
            let kend = string_end(b, i);
            let key = unescape(&t[i..kend]).unwrap_or_else(|_| {
                t.get(i + 1..kend.saturating_sub(1))
                    .unwrap_or("")
                    .to_owned()
            });
            i = skip_ws(b, kend);
            if b.get(i) == Some(&b':') {
                i = skip_ws(b, i + 1);
            }
            let vend = value_end(b, i);
            out.push((key, &t[i..vend]));
            i = skip_ws(b, vend);
            if b.get(i) == Some(&b',') {
                i = skip_ws(b, i + 1);
            } else {
                break;
            }
        }
        out
    }

    /// The elements of an array as slices.
    pub(crate) fn elements(t: &str) -> Vec<&str> {
        let b = t.as_bytes();
        let mut out = Vec::new();
        let mut i = skip_ws(b, 0);
        if b.get(i) != Some(&b'[') {
            return out;
        }
        i = skip_ws(b, i + 1);
        if b.get(i) == Some(&b']') {
            return out;
        }
        while i < b.len() {
            let vend = value_end(b, i);
            out.push(&t[i..vend]);
            i = skip_ws(b, vend);
            if b.get(i) == Some(&b',') {
                i = skip_ws(b, i + 1);
            } else {
                break;
            }
        }
        out
    }

    /// `json -> 'key'`: the last field with that key, as PostgreSQL returns.
    pub(crate) fn field<'a>(t: &'a str, key: &str) -> Option<&'a str> {
        if kind(t) != Kind::Object {
            return None;
        }
        fields(t)
            .into_iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// `json -> n` (negative from the end).
    pub(crate) fn index(t: &str, idx: i64) -> Option<&str> {
        if kind(t) != Kind::Array {
            return None;
        }
        let items = elements(t);
        let len = i64::try_from(items.len()).ok()?;
        let i = if idx < 0 { len + idx } else { idx };
        if (0..len).contains(&i) {
            items.get(usize::try_from(i).ok()?).copied()
        } else {
            None
        }
    }

    /// The de-escaped content of a string token (with its quotes).
    pub(crate) fn unescape(tok: &str) -> TypeResult<String> {
        match parse_jsonb(tok)? {
            Jsonb::String(s) => Ok(s),
            other => Ok(other.to_text()),
        }
    }

    /// `json_strip_nulls`: the value without object fields whose value is `null`, printed
    /// without whitespace between tokens.
    pub(crate) fn strip_nulls(t: &str, out: &mut String) {
        match kind(t) {
            Kind::Object => {
                out.push('{');
                let b = t.as_bytes();
                let mut first = true;
                // Re-scan to keep the keys' original escaping.
                let mut i = skip_ws(b, 0) + 1;
                i = skip_ws(b, i);
                while i < b.len() && b[i] == b'"' {
                    let kend = string_end(b, i);
                    let key = &t[i..kend];
                    i = skip_ws(b, kend);
                    if b.get(i) == Some(&b':') {
                        i = skip_ws(b, i + 1);
                    }
                    let vend = value_end(b, i);
                    let v = &t[i..vend];
                    if kind(v) != Kind::Null {
                        if !first {
                            out.push(',');
                        }
                        first = false;
                        out.push_str(key);
                        out.push(':');
                        strip_nulls(v, out);
                    }
                    i = skip_ws(b, vend);
                    if b.get(i) == Some(&b',') {
                        i = skip_ws(b, i + 1);
                    } else {
                        break;
                    }
                }
                out.push('}');
            }
            Kind::Array => {
                out.push('[');
                for (n, e) in elements(t).into_iter().enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    strip_nulls(e, out);
                }
                out.push(']');
            }
            _ => out.push_str(t.trim_matches(is_ws)),
        }
    }
}
