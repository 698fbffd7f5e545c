//! Evaluation of `jsonpath` expressions (`jsonb_path_query` and friends, `@?`, `@@`), as
//! PostgreSQL 15's `jsonpath_exec.c` defines it.
//!
//! An expression yields a sequence of JSON items. In **lax** mode (the default) accessors
//! unwrap arrays one level (`$.a` on an array applies to each element), array accessors
//! wrap a non-array as a one-element array, and structural errors (a missing key, an
//! accessor of the wrong kind, a subscript out of range) give an empty sequence. In
//! **strict** mode those are errors. Errors raised while evaluating (structural ones,
//! non-numeric arithmetic, item methods on the wrong kind) are *soft*: the `silent` argument
//! turns them into an empty result (or NULL), while a missing variable is always an error.
//!
//! Predicates (filters, `exists`, `like_regex`, ...) are three-valued: a comparison of
//! items of different kinds, or an error inside a predicate, is *unknown* and a filter keeps
//! only items whose predicate is true. In lax mode a comparison is true as soon as one pair
//! of items satisfies it; in strict mode any error makes it unknown.
//!
//! `.datetime([template])` makes date/time items (PostgreSQL's `jbvDatetime`), which JSON
//! has no kind for: inside an evaluation such an item is a string no input can hold (it
//! starts with a NUL, which jsonb strings reject) naming an entry of the evaluation's table
//! of date/time values. Every operation that would see a string checks for it first (a
//! date/time is not a string: comparisons with strings are unknown, `like_regex` does not
//! apply); results show the value as PostgreSQL's JSON encoding of it
//! (`2017-03-10T12:34:56+03:00`). Comparing a date/time with one of another type that needs
//! a time zone (date or timestamp with timestamptz, time with timetz) is an error unless the
//! `_tz` functions supply the session's.

use std::cmp::Ordering;

use basalt_common::types::datetime::{
    DATE_INFINITY, DATE_NEG_INFINITY, TIMESTAMP_INFINITY, TIMESTAMP_NEG_INFINITY, TimeZone,
    USECS_PER_DAY, USECS_PER_SEC, format_date, format_time,
};
use basalt_common::types::error::codes;
use basalt_common::types::jsonpath::{BinOp, JsonPath, Method, PathExpr};
use basalt_common::types::{Jsonb, Numeric, TypeError, Value};

/// An evaluation error: soft ones are suppressed by `silent`.
pub enum PathError {
    /// Suppressed by `silent` (and turned into unknown inside predicates).
    Soft(TypeError),
    /// Always raised.
    Hard(TypeError),
}

type R<T> = Result<T, PathError>;

fn soft(code: &'static str, msg: impl Into<String>) -> PathError {
    PathError::Soft(TypeError::new(code, msg))
}

/// `2203A` and friends: SQL/JSON error codes.
mod sqljson {
    pub const MEMBER_NOT_FOUND: &str = "2203A";
    pub const OBJECT_NOT_FOUND: &str = "2203C";
    pub const ARRAY_NOT_FOUND: &str = "22039";
    pub const INVALID_SUBSCRIPT: &str = "22033";
    pub const SINGLETON_REQUIRED: &str = "22038";
    pub const NON_NUMERIC: &str = "2203B";
    pub const NON_NUMERIC_ITEM: &str = "22036";
    pub const DATETIME_FUNCTION: &str = "22031";
}

/// The start of a string item standing for a date/time value (see the module doc).
const DATETIME_MARK: &str = "\u{0}jsonpath datetime ";

/// A date/time item: a `date`, `time`, `timetz`, `timestamp` or `timestamptz` value, and
/// for `timestamptz` the offset it was read with (which its output shows).
struct DateTime {
    value: Value,
    east: Option<i32>,
}

#[derive(Clone, Copy, PartialEq)]
enum Truth {
    True,
    False,
    Unknown,
}

struct Cx<'a> {
    root: &'a Jsonb,
    vars: &'a Jsonb,
    strict: bool,
    /// The size of the innermost array being subscripted (`last`).
    last: Option<i64>,
    /// The date/time items made so far.
    datetimes: Vec<DateTime>,
    /// The session time zone, for the `_tz` functions' comparisons.
    tz: Option<TimeZone>,
    /// The session's current time (microseconds since 2000-01-01 UTC), for `time` to `timetz`.
    now: i64,
    /// With a soft error on its way up: the items the failing expression produced before
    /// it (see [`each`]).
    partial: Option<Vec<Jsonb>>,
}

impl Cx<'_> {
    /// The date/time value a string item stands for.
    fn datetime(&self, it: &Jsonb) -> Option<&DateTime> {
        let Jsonb::String(s) = it else { return None };
        let i: usize = s.strip_prefix(DATETIME_MARK)?.parse().ok()?;
        self.datetimes.get(i)
    }

    fn is_datetime(&self, it: &Jsonb) -> bool {
        self.datetime(it).is_some()
    }

    /// A result item: a date/time as PostgreSQL's JSON shows it.
    fn output(&self, it: Jsonb) -> Jsonb {
        match self.datetime(&it) {
            Some(d) => Jsonb::String(encode_datetime(d, self.tz.as_ref())),
            None => it,
        }
    }
}

/// Evaluation settings of the `jsonb_path_*` functions.
pub struct PathOptions {
    /// Soft errors give no result instead of failing.
    pub silent: bool,
    /// The `_tz` variants: the session time zone, for comparisons of date/time values that
    /// need one.
    pub tz: Option<TimeZone>,
    /// The current time (microseconds since 2000-01-01 UTC).
    pub now: i64,
    /// `jsonb_path_exists` / `@?`: only whether an item is found matters, so an error after
    /// the first item is never reached.
    pub exists: bool,
}

/// Evaluates `path` on `target`; `Ok(None)` when a soft error was suppressed by `silent`.
pub fn query(
    target: &Jsonb,
    path: &JsonPath,
    vars: &Jsonb,
    opts: &PathOptions,
) -> Result<Option<Vec<Jsonb>>, TypeError> {
    let silent = opts.silent;
    if !matches!(vars, Jsonb::Object(_)) {
        return Err(TypeError::new(
            codes::INVALID_PARAMETER_VALUE,
            "\"vars\" argument is not an object",
        )
        .with_detail(
            "Jsonpath parameters should be encoded as key-value pairs of \"vars\" object.",
        ));
    }
    let mut cx = Cx {
        root: target,
        vars,
        strict: path.strict,
        last: None,
        datetimes: Vec::new(),
        tz: opts.tz,
        now: opts.now,
        partial: None,
    };
    // PostgreSQL's lax `exists` of a top-level unary `-`/`+` skips the operands that are
    // not numbers instead of failing on them (it needs no result items).
    if opts.exists
        && !path.strict
        && let PathExpr::Unary(_, inner) = &path.expr
    {
        return match eval(inner, target, &mut cx) {
            Ok(v) => Ok(Some(
                v.into_iter()
                    .flat_map(|it| match it {
                        Jsonb::Array(a) => a,
                        other => vec![other],
                    })
                    .filter(|it| matches!(it, Jsonb::Number(_)))
                    .take(1)
                    .collect(),
            )),
            Err(PathError::Soft(e)) => {
                if silent {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
            Err(PathError::Hard(e)) => Err(e),
        };
    }
    match eval(&path.expr, target, &mut cx) {
        Ok(v) => Ok(Some(v.into_iter().map(|it| cx.output(it)).collect())),
        // In strict mode `exists` evaluates the whole path (an error anywhere is an error).
        Err(PathError::Soft(e)) if opts.exists && path.strict => {
            if silent {
                Ok(None)
            } else {
                Err(e)
            }
        }
        Err(PathError::Soft(e)) => {
            // What was found before the error stays found (PostgreSQL evaluates depth
            // first); `exists` stops at the first item, before any later error.
            let found: Vec<Jsonb> = cx.partial.take().unwrap_or_default();
            if !found.is_empty() && (silent || opts.exists) {
                Ok(Some(found.into_iter().map(|it| cx.output(it)).collect()))
            } else if silent {
                Ok(None)
            } else {
                Err(e)
            }
        }
        Err(PathError::Hard(e)) => Err(e),
    }
}

/// Applies `f` to each item of `base` (unwrapped first when `unwrap`), collecting what it
/// produces. PostgreSQL evaluates depth first, so when an error stops the evaluation the
/// items produced before it are already found (silent mode returns them): an error of
/// `base` comes with its partial items in `cx.partial`, which go through `f` first, and
/// an error of `f` leaves what the earlier items produced there.
fn each(
    base: R<Vec<Jsonb>>,
    unwrap: bool,
    cx: &mut Cx<'_>,
    mut f: impl FnMut(Jsonb, &mut Cx<'_>, &mut Vec<Jsonb>) -> R<()>,
) -> R<Vec<Jsonb>> {
    let (items, pending) = match base {
        Ok(v) => (v, None),
        Err(PathError::Soft(e)) => (cx.partial.take().unwrap_or_default(), Some(e)),
        Err(h) => return Err(h),
    };
    let mut out = Vec::new();
    for it in unwrap_items(items, unwrap) {
        if let Err(e) = f(it, cx, &mut out) {
            cx.partial = Some(out);
            return Err(e);
        }
    }
    match pending {
        Some(e) => {
            cx.partial = Some(out);
            Err(PathError::Soft(e))
        }
        None => Ok(out),
    }
}

/// Drops the partial items of an error that does not propagate.
fn absorbed<T>(cx: &mut Cx<'_>, v: T) -> T {
    cx.partial = None;
    v
}

/// Lax mode's automatic unwrapping: an array's elements, anything else itself.
fn unwrap_items(items: Vec<Jsonb>, lax: bool) -> Vec<Jsonb> {
    if !lax {
        return items;
    }
    let mut out = Vec::new();
    for it in items {
        match it {
            Jsonb::Array(a) => out.extend(a),
            other => out.push(other),
        }
    }
    out
}

fn bool_item(t: Truth) -> Jsonb {
    match t {
        Truth::True => Jsonb::Bool(true),
        Truth::False => Jsonb::Bool(false),
        Truth::Unknown => Jsonb::Null,
    }
}

fn is_predicate(e: &PathExpr) -> bool {
    matches!(
        e,
        PathExpr::Binary(
            BinOp::Or
                | BinOp::And
                | BinOp::Eq
                | BinOp::Ne
                | BinOp::Lt
                | BinOp::Le
                | BinOp::Gt
                | BinOp::Ge,
            _,
            _
        ) | PathExpr::Not(_)
            | PathExpr::Exists(_)
            | PathExpr::IsUnknown(_)
            | PathExpr::LikeRegex(..)
            | PathExpr::StartsWith(..)
    )
}

/// Whether `e` is an accessor applied after a `.**` (in its chain of accessors): there,
/// as in PostgreSQL, structural errors are ignored even in strict mode.
fn after_any_path(e: &PathExpr) -> bool {
    match e {
        PathExpr::AnyPath(..) => true,
        PathExpr::Key(b, _)
        | PathExpr::AnyKey(b)
        | PathExpr::AnyIndex(b)
        | PathExpr::Index(b, _)
        | PathExpr::Filter(b, _)
        | PathExpr::Method(b, _, _) => after_any_path(b),
        _ => false,
    }
}

fn eval(e: &PathExpr, cur: &Jsonb, cx: &mut Cx<'_>) -> R<Vec<Jsonb>> {
    let lax = !cx.strict;
    // Structural errors are ignored in lax mode and after `.**`.
    let tolerant = lax
        || match e {
            PathExpr::Key(b, _)
            | PathExpr::AnyKey(b)
            | PathExpr::AnyIndex(b)
            | PathExpr::Index(b, _)
            | PathExpr::Method(b, _, _) => after_any_path(b),
            _ => false,
        };
    Ok(match e {
        PathExpr::Root => vec![cx.root.clone()],
        PathExpr::Current => vec![cur.clone()],
        PathExpr::Var(name) => {
            let Jsonb::Object(kv) = cx.vars else {
                return Ok(Vec::new());
            };
            match kv.iter().find(|(k, _)| k == name) {
                Some((_, v)) => vec![v.clone()],
                None => {
                    return Err(PathError::Hard(TypeError::new(
                        codes::UNDEFINED_OBJECT,
                        format!("could not find jsonpath variable \"{name}\""),
                    )));
                }
            }
        }
        PathExpr::Last => match cx.last {
            Some(n) => vec![Jsonb::Number(Numeric::from_i64(n - 1))],
            None => {
                return Err(PathError::Hard(TypeError::new(
                    codes::SYNTAX_ERROR,
                    "evaluating jsonpath LAST outside of array subscript",
                )));
            }
        },
        PathExpr::Null => vec![Jsonb::Null],
        PathExpr::Bool(b) => vec![Jsonb::Bool(*b)],
        PathExpr::Number(n) => vec![Jsonb::Number(n.clone())],
        PathExpr::String(s) => vec![Jsonb::String(s.clone())],
        PathExpr::Key(base, key) => {
            let base = eval(base, cur, cx);
            each(base, lax, cx, |it, _, out| {
                match &it {
                    Jsonb::Object(kv) => match kv.iter().find(|(k, _)| k == key) {
                        Some((_, v)) => out.push(v.clone()),
                        None if tolerant => {}
                        None => {
                            return Err(soft(
                                sqljson::MEMBER_NOT_FOUND,
                                format!("JSON object does not contain key \"{key}\""),
                            ));
                        }
                    },
                    _ if tolerant => {}
                    _ => {
                        return Err(soft(
                            sqljson::MEMBER_NOT_FOUND,
                            "jsonpath member accessor can only be applied to an object",
                        ));
                    }
                }
                Ok(())
            })?
        }
        PathExpr::AnyKey(base) => {
            let base = eval(base, cur, cx);
            each(base, lax, cx, |it, _, out| {
                match it {
                    Jsonb::Object(kv) => out.extend(kv.into_iter().map(|(_, v)| v)),
                    _ if tolerant => {}
                    _ => {
                        return Err(soft(
                            sqljson::OBJECT_NOT_FOUND,
                            "jsonpath wildcard member accessor can only be applied to an object",
                        ));
                    }
                }
                Ok(())
            })?
        }
        PathExpr::AnyIndex(base) => {
            let base = eval(base, cur, cx);
            each(base, false, cx, |it, _, out| {
                match it {
                    Jsonb::Array(a) => out.extend(a),
                    other if lax => out.push(other),
                    _ if tolerant => {}
                    _ => {
                        return Err(soft(
                            sqljson::ARRAY_NOT_FOUND,
                            "jsonpath wildcard array accessor can only be applied to an array",
                        ));
                    }
                }
                Ok(())
            })?
        }
        PathExpr::Index(base, subs) => {
            let base = eval(base, cur, cx);
            each(base, false, cx, |it, cx, out| {
                let arr = match it {
                    Jsonb::Array(a) => a,
                    other if lax => vec![other],
                    _ if tolerant => return Ok(()),
                    _ => {
                        return Err(soft(
                            sqljson::ARRAY_NOT_FOUND,
                            "jsonpath array accessor can only be applied to an array",
                        ));
                    }
                };
                let size = arr.len() as i64;
                let saved = cx.last.replace(size);
                let r = (|| -> R<()> {
                    for (from, to) in subs {
                        let a = subscript(from, cur, cx)?;
                        let b = match to {
                            Some(t) => subscript(t, cur, cx)?,
                            None => a,
                        };
                        let out_of_range = a < 0 || a > b || b >= size;
                        if out_of_range && !tolerant {
                            return Err(soft(
                                sqljson::INVALID_SUBSCRIPT,
                                "jsonpath array subscript is out of bounds",
                            ));
                        }
                        let (a, b) = (a.max(0), b.min(size - 1));
                        let mut i = a;
                        while i <= b {
                            out.push(arr[i as usize].clone());
                            i += 1;
                        }
                    }
                    Ok(())
                })();
                cx.last = saved;
                r
            })?
        }
        PathExpr::AnyPath(base, lo, hi) => {
            let base = eval(base, cur, cx);
            each(base, false, cx, |it, _, out| {
                any_path(&it, 0, *lo, *hi, out);
                Ok(())
            })?
        }
        PathExpr::Filter(base, pred) => {
            let base = eval(base, cur, cx);
            each(base, lax, cx, |it, cx, out| {
                if predicate(pred, &it, cx)? == Truth::True {
                    out.push(it);
                }
                Ok(())
            })?
        }
        PathExpr::Method(base, m, _) => {
            let base = eval(base, cur, cx);
            let unwrap = lax && !matches!(m, Method::Type | Method::Size);
            each(base, unwrap, cx, |it, cx, out| {
                match (m, method(*m, it, e, cx)?) {
                    // keyvalue() yields one object per key.
                    (Method::KeyValue, Jsonb::Array(rows)) => out.extend(rows),
                    (_, v) => out.push(v),
                }
                Ok(())
            })?
        }
        PathExpr::Binary(op, l, r) if !is_predicate(e) => {
            let single = |items: Vec<Jsonb>, which: &str| -> R<Numeric> {
                match unwrap_items(items, lax).as_slice() {
                    [Jsonb::Number(n)] => Ok(n.clone()),
                    _ => Err(soft(
                        sqljson::SINGLETON_REQUIRED,
                        format!(
                            "{which} operand of jsonpath operator {} is not a single numeric value",
                            op.symbol()
                        ),
                    )),
                }
            };
            // An operand's error leaves nothing found.
            let a = eval(l, cur, cx).map_err(|e| absorbed(cx, e))?;
            let a = single(a, "left")?;
            let b = eval(r, cur, cx).map_err(|e| absorbed(cx, e))?;
            let b = single(b, "right")?;
            let res = match op {
                BinOp::Add => a.add(&b),
                BinOp::Sub => a.sub(&b),
                BinOp::Mul => a.mul(&b),
                BinOp::Div => a.div(&b),
                _ => a.rem(&b),
            };
            vec![Jsonb::Number(res.map_err(PathError::Soft)?)]
        }
        PathExpr::Unary(neg, inner) => {
            let items = eval(inner, cur, cx).map_err(|e| absorbed(cx, e))?;
            let mut out = Vec::new();
            for it in unwrap_items(items, lax) {
                match it {
                    Jsonb::Number(n) => out.push(Jsonb::Number(if *neg { n.neg() } else { n })),
                    _ => {
                        cx.partial = Some(out);
                        return Err(soft(
                            sqljson::NON_NUMERIC,
                            format!(
                                "operand of unary jsonpath operator {} is not a numeric value",
                                if *neg { "-" } else { "+" }
                            ),
                        ));
                    }
                }
            }
            out
        }
        // A predicate at the top of an expression yields its truth value.
        _ => vec![bool_item(predicate(e, cur, cx)?)],
    })
}

fn subscript(e: &PathExpr, cur: &Jsonb, cx: &mut Cx<'_>) -> R<i64> {
    match eval(e, cur, cx)?.as_slice() {
        [Jsonb::Number(n)] => {
            let t = n.trunc(0);
            t.to_i64_rounded()
                .filter(|v| i32::try_from(*v).is_ok())
                .ok_or_else(|| {
                    soft(
                        sqljson::INVALID_SUBSCRIPT,
                        "jsonpath array subscript is out of integer range",
                    )
                })
        }
        _ => Err(soft(
            sqljson::INVALID_SUBSCRIPT,
            "jsonpath array subscript is not a single numeric value",
        )),
    }
}

fn any_path(it: &Jsonb, level: u32, lo: u32, hi: u32, out: &mut Vec<Jsonb>) {
    // `.**{last}` is PostgreSQL's "leaves only": the scalars below the item, at any depth
    let leaves = lo == u32::MAX
        && hi == u32::MAX
        && level > 0
        && !matches!(it, Jsonb::Array(_) | Jsonb::Object(_));
    if (level >= lo && level <= hi) || leaves {
        out.push(it.clone());
    }
    if level >= hi {
        return;
    }
    match it {
        Jsonb::Array(a) => {
            for x in a {
                any_path(x, level + 1, lo, hi, out);
            }
        }
        Jsonb::Object(kv) => {
            for (_, x) in kv {
                any_path(x, level + 1, lo, hi, out);
            }
        }
        _ => {}
    }
}

fn method(m: Method, it: Jsonb, e: &PathExpr, cx: &mut Cx<'_>) -> R<Jsonb> {
    let lax = !cx.strict;
    let wrong = |what: &str| {
        soft(
            sqljson::NON_NUMERIC_ITEM,
            format!(
                "jsonpath item method .{}() can only be applied to {what}",
                m.name()
            ),
        )
    };
    if let Some(d) = cx.datetime(&it) {
        match m {
            Method::Type => {
                let t = d
                    .value
                    .data_type()
                    .map(|t| t.format_type())
                    .unwrap_or_default();
                return Ok(Jsonb::String(t));
            }
            Method::Double => return Err(wrong("a string or numeric value")),
            Method::Datetime => {
                return Err(soft(
                    sqljson::DATETIME_FUNCTION,
                    "jsonpath item method .datetime() can only be applied to a string",
                ));
            }
            _ => {}
        }
    }
    Ok(match m {
        Method::Type => Jsonb::String(crate::json::jsonb_kind(&it).to_string()),
        Method::Size => match it {
            Jsonb::Array(a) => Jsonb::Number(Numeric::from_i64(a.len() as i64)),
            _ if lax => Jsonb::Number(Numeric::from_i64(1)),
            _ => {
                return Err(soft(
                    sqljson::ARRAY_NOT_FOUND,
                    "jsonpath item method .size() can only be applied to an array",
                ));
            }
        },
        Method::Double => {
            let f = match &it {
                Jsonb::Number(n) => n.to_f64(),
                Jsonb::String(s) => s.trim().parse::<f64>().map_err(|_| {
                    soft(
                        sqljson::NON_NUMERIC_ITEM,
                        "string argument of jsonpath item method .double() is not a valid representation of a double precision number",
                    )
                })?,
                _ => return Err(wrong("a string or numeric value")),
            };
            if !f.is_finite() {
                return Err(soft(
                    sqljson::NON_NUMERIC_ITEM,
                    "numeric argument of jsonpath item method .double() is out of range for type double precision",
                ));
            }
            Jsonb::Number(Numeric::from_f64(f).map_err(PathError::Soft)?)
        }
        Method::Ceiling | Method::Floor | Method::Abs => match it {
            Jsonb::Number(n) => Jsonb::Number(
                match m {
                    Method::Ceiling => step(&n, true),
                    Method::Floor => step(&n, false),
                    _ => Ok(n.abs()),
                }
                .map_err(PathError::Soft)?,
            ),
            _ => return Err(wrong("a numeric value")),
        },
        Method::KeyValue => match &it {
            // The "id" PostgreSQL reports is the object's offset in its binary document;
            // only the document root (offset 0) has one Basalt can give.
            Jsonb::Object(kv) if &it == cx.root => {
                let rows = kv
                    .iter()
                    .map(|(k, v)| {
                        Jsonb::Object(vec![
                            ("id".to_string(), Jsonb::Number(Numeric::from_i64(0))),
                            ("key".to_string(), Jsonb::String(k.clone())),
                            ("value".to_string(), v.clone()),
                        ])
                    })
                    .collect();
                Jsonb::Array(rows)
            }
            Jsonb::Object(_) => {
                return Err(PathError::Hard(TypeError::new(
                    codes::FEATURE_NOT_SUPPORTED,
                    "feature not supported: jsonpath .keyvalue() of a nested object",
                )));
            }
            _ => {
                return Err(soft(
                    sqljson::OBJECT_NOT_FOUND,
                    "jsonpath item method .keyvalue() can only be applied to an object",
                ));
            }
        },
        Method::Datetime => {
            let Jsonb::String(text) = &it else {
                return Err(soft(
                    sqljson::DATETIME_FUNCTION,
                    "jsonpath item method .datetime() can only be applied to a string",
                ));
            };
            let template = match e {
                PathExpr::Method(_, _, t) => t.as_deref(),
                _ => None,
            };
            let (value, east) = match template {
                Some(t) => crate::datetime::parse_datetime_std(text, t).map_err(PathError::Soft)?,
                None => ISO_FORMATS
                    .iter()
                    .find_map(|f| crate::datetime::parse_datetime_std(text, f).ok())
                    .ok_or_else(|| {
                        PathError::Soft(
                            TypeError::new(
                                sqljson::DATETIME_FUNCTION,
                                format!("datetime format is not recognized: \"{text}\""),
                            )
                            .with_hint(
                                "Use a datetime template argument to specify the input data format.",
                            ),
                        )
                    })?,
            };
            cx.datetimes.push(DateTime { value, east });
            Jsonb::String(format!("{DATETIME_MARK}{}", cx.datetimes.len() - 1))
        }
    })
}

/// The formats `.datetime()` tries without a template, in PostgreSQL's order.
const ISO_FORMATS: [&str; 19] = [
    "yyyy-mm-dd",
    "HH24:MI:SS.USTZH:TZM",
    "HH24:MI:SS.USTZH",
    "HH24:MI:SSTZH:TZM",
    "HH24:MI:SSTZH",
    "HH24:MI:SS.US",
    "HH24:MI:SS",
    "yyyy-mm-dd HH24:MI:SS.USTZH:TZM",
    "yyyy-mm-dd HH24:MI:SS.USTZH",
    "yyyy-mm-dd HH24:MI:SSTZH:TZM",
    "yyyy-mm-dd HH24:MI:SSTZH",
    "yyyy-mm-dd\"T\"HH24:MI:SS.USTZH:TZM",
    "yyyy-mm-dd\"T\"HH24:MI:SS.USTZH",
    "yyyy-mm-dd\"T\"HH24:MI:SSTZH:TZM",
    "yyyy-mm-dd\"T\"HH24:MI:SSTZH",
    "yyyy-mm-dd HH24:MI:SS.US",
    "yyyy-mm-dd HH24:MI:SS",
    "yyyy-mm-dd\"T\"HH24:MI:SS.US",
    "yyyy-mm-dd\"T\"HH24:MI:SS",
];

/// `+HH:MM[:SS]`, as JSON shows offsets.
fn push_xsd_offset(out: &mut String, east: i32) {
    let sign = if east < 0 { '-' } else { '+' };
    let a = east.unsigned_abs();
    out.push_str(&format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60));
    if !a.is_multiple_of(60) {
        out.push_str(&format!(":{:02}", a % 60));
    }
}

/// PostgreSQL's `JsonEncodeDateTime`: ISO 8601 with a `T` and `+HH:MM` offsets.
fn encode_datetime(d: &DateTime, tz: Option<&TimeZone>) -> String {
    let stamp = |micros: i64, east: Option<i32>| {
        match micros {
            TIMESTAMP_INFINITY => return "infinity".to_owned(),
            TIMESTAMP_NEG_INFINITY => return "-infinity".to_owned(),
            _ => {}
        }
        let local = micros + i64::from(east.unwrap_or(0)) * USECS_PER_SEC;
        let days = local.div_euclid(USECS_PER_DAY);
        let mut s = format_date(i32::try_from(days).unwrap_or(DATE_INFINITY));
        let bc = s.ends_with(" BC");
        if bc {
            s.truncate(s.len() - 3);
        }
        s.push('T');
        s.push_str(&format_time(local.rem_euclid(USECS_PER_DAY)));
        if let Some(e) = east {
            push_xsd_offset(&mut s, e);
        }
        if bc {
            s.push_str(" BC");
        }
        s
    };
    match &d.value {
        Value::Date(v) => format_date(*v),
        Value::Time(t) => format_time(*t),
        Value::TimeTz(t, east) => {
            let mut s = format_time(*t);
            push_xsd_offset(&mut s, *east);
            s
        }
        Value::Timestamp(v) => stamp(*v, None),
        Value::Timestamptz(v) => {
            let east = d
                .east
                .unwrap_or_else(|| tz.map_or(0, |z| z.offset_secs(*v)));
            stamp(*v, Some(east))
        }
        _ => String::new(),
    }
}

/// Orders two date/time values (`compareDatetime`): `None` when their types do not compare;
/// a conversion that needs the time zone fails without one.
fn compare_datetimes(a: &Value, b: &Value, cx: &Cx<'_>) -> R<Option<Ordering>> {
    let need = |from: &str, to: &str| -> R<TimeZone> {
        cx.tz.ok_or_else(|| {
            PathError::Hard(
                TypeError::new(
                    codes::FEATURE_NOT_SUPPORTED,
                    format!("cannot convert value from {from} to {to} without time zone usage"),
                )
                .with_hint("Use *_tz() function for time zone support."),
            )
        })
    };
    // Mixed comparisons are made in 128 bits: a date beyond the timestamp range is greater
    // (less) than every finite timestamp and less (greater) than infinity, as PostgreSQL's
    // `date_cmp_timestamp_internal` has it.
    let ts = |v: i64| match v {
        TIMESTAMP_INFINITY => i128::MAX,
        TIMESTAMP_NEG_INFINITY => i128::MIN,
        v => i128::from(v),
    };
    let date_ts = |d: i32| match d {
        DATE_INFINITY => i128::MAX,
        DATE_NEG_INFINITY => i128::MIN,
        d => i128::from(d) * i128::from(USECS_PER_DAY),
    };
    let local_to_utc = |local: i128, z: &TimeZone| {
        if local == i128::MAX || local == i128::MIN {
            return local;
        }
        let clamped = i64::try_from(local).unwrap_or(if local < 0 { i64::MIN } else { i64::MAX });
        local - i128::from(z.offset_for_local(clamped)) * i128::from(USECS_PER_SEC)
    };
    let time_tz = |t: i64, z: &TimeZone| {
        let today = cx
            .now
            .saturating_add(i64::from(z.offset_secs(cx.now)) * USECS_PER_SEC)
            .div_euclid(USECS_PER_DAY);
        Value::TimeTz(t, z.offset_for_local(today * USECS_PER_DAY + t))
    };
    use Value as V;
    Ok(Some(match (a, b) {
        (V::Date(x), V::Date(y)) => x.cmp(y),
        (V::Time(x), V::Time(y)) | (V::Timestamp(x), V::Timestamp(y)) => x.cmp(y),
        (V::Timestamptz(x), V::Timestamptz(y)) => x.cmp(y),
        (V::TimeTz(..), V::TimeTz(..)) => a.cmp(b),
        (V::Date(x), V::Timestamp(y)) => date_ts(*x).cmp(&ts(*y)),
        (V::Timestamp(x), V::Date(y)) => ts(*x).cmp(&date_ts(*y)),
        (V::Date(x), V::Timestamptz(y)) => {
            let z = need("date", "timestamptz")?;
            local_to_utc(date_ts(*x), &z).cmp(&ts(*y))
        }
        (V::Timestamptz(x), V::Date(y)) => {
            let z = need("date", "timestamptz")?;
            ts(*x).cmp(&local_to_utc(date_ts(*y), &z))
        }
        (V::Timestamp(x), V::Timestamptz(y)) => {
            let z = need("timestamp", "timestamptz")?;
            local_to_utc(ts(*x), &z).cmp(&ts(*y))
        }
        (V::Timestamptz(x), V::Timestamp(y)) => {
            let z = need("timestamp", "timestamptz")?;
            ts(*x).cmp(&local_to_utc(ts(*y), &z))
        }
        (V::Time(x), V::TimeTz(..)) => {
            let z = need("time", "timetz")?;
            time_tz(*x, &z).cmp(b)
        }
        (V::TimeTz(..), V::Time(y)) => {
            let z = need("time", "timetz")?;
            a.cmp(&time_tz(*y, &z))
        }
        _ => return Ok(None),
    }))
}

/// `ceil` (`up`) or `floor` of a numeric.
fn step(n: &Numeric, up: bool) -> basalt_common::types::TypeResult<Numeric> {
    if !n.is_finite() {
        return Ok(n.clone());
    }
    let t = n.trunc(0);
    if t == *n {
        return Ok(t);
    }
    let one = Numeric::from_i64(1);
    if up && !n.is_negative() {
        t.add(&one)
    } else if !up && n.is_negative() {
        t.sub(&one)
    } else {
        Ok(t)
    }
}

fn compare(op: BinOp, a: &Jsonb, b: &Jsonb, cx: &Cx<'_>) -> R<Truth> {
    let ord = match (a, b) {
        (Jsonb::Null, Jsonb::Null) => Ordering::Equal,
        (Jsonb::Null, _) | (_, Jsonb::Null) => {
            return Ok(match op {
                BinOp::Ne => Truth::True,
                _ => Truth::False,
            });
        }
        _ if cx.is_datetime(a) || cx.is_datetime(b) => {
            let (Some(x), Some(y)) = (cx.datetime(a), cx.datetime(b)) else {
                return Ok(Truth::Unknown);
            };
            match compare_datetimes(&x.value, &y.value, cx)? {
                Some(o) => o,
                None => return Ok(Truth::Unknown),
            }
        }
        (Jsonb::Bool(x), Jsonb::Bool(y)) => x.cmp(y),
        (Jsonb::Number(x), Jsonb::Number(y)) => x.cmp(y),
        (Jsonb::String(x), Jsonb::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => return Ok(Truth::Unknown),
    };
    let r = match op {
        BinOp::Eq => ord == Ordering::Equal,
        BinOp::Ne => ord != Ordering::Equal,
        BinOp::Lt => ord == Ordering::Less,
        BinOp::Le => ord != Ordering::Greater,
        BinOp::Gt => ord == Ordering::Greater,
        _ => ord != Ordering::Less,
    };
    Ok(if r { Truth::True } else { Truth::False })
}

/// Operand sequences of a predicate: a soft error makes the predicate unknown.
fn operand(e: &PathExpr, cur: &Jsonb, cx: &mut Cx<'_>) -> R<Option<Vec<Jsonb>>> {
    match eval(e, cur, cx) {
        Ok(v) => Ok(Some(unwrap_items(v, !cx.strict))),
        Err(PathError::Soft(_)) => Ok(absorbed(cx, None)),
        Err(h) => Err(h),
    }
}

/// Lax: true as soon as one item satisfies; strict: unknown as soon as one is unknown.
fn any_of(items: impl Iterator<Item = Truth>, strict: bool) -> Truth {
    let (mut found, mut error) = (false, false);
    for t in items {
        match t {
            Truth::Unknown => {
                if strict {
                    return Truth::Unknown;
                }
                error = true;
            }
            Truth::True => {
                if !strict {
                    return Truth::True;
                }
                found = true;
            }
            Truth::False => {}
        }
    }
    if found {
        Truth::True
    } else if error {
        Truth::Unknown
    } else {
        Truth::False
    }
}

fn predicate(e: &PathExpr, cur: &Jsonb, cx: &mut Cx<'_>) -> R<Truth> {
    let strict = cx.strict;
    Ok(match e {
        PathExpr::Binary(BinOp::And, l, r) => {
            let a = predicate(l, cur, cx)?;
            if a == Truth::False {
                return Ok(Truth::False);
            }
            let b = predicate(r, cur, cx)?;
            match (a, b) {
                (_, Truth::False) => Truth::False,
                (Truth::True, Truth::True) => Truth::True,
                _ => Truth::Unknown,
            }
        }
        PathExpr::Binary(BinOp::Or, l, r) => {
            let a = predicate(l, cur, cx)?;
            if a == Truth::True {
                return Ok(Truth::True);
            }
            let b = predicate(r, cur, cx)?;
            match (a, b) {
                (_, Truth::True) => Truth::True,
                (Truth::False, Truth::False) => Truth::False,
                _ => Truth::Unknown,
            }
        }
        PathExpr::Binary(op, l, r) if is_predicate(e) => {
            let (Some(a), Some(b)) = (operand(l, cur, cx)?, operand(r, cur, cx)?) else {
                return Ok(Truth::Unknown);
            };
            let mut pairs = Vec::with_capacity(a.len() * b.len());
            for x in &a {
                for y in &b {
                    pairs.push(compare(*op, x, y, cx)?);
                }
            }
            any_of(pairs.into_iter(), strict)
        }
        PathExpr::Not(p) => match predicate(p, cur, cx)? {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        },
        PathExpr::IsUnknown(p) => {
            if predicate(p, cur, cx)? == Truth::Unknown {
                Truth::True
            } else {
                Truth::False
            }
        }
        PathExpr::Exists(p) => match eval(p, cur, cx) {
            Ok(v) if v.is_empty() => Truth::False,
            Ok(_) => Truth::True,
            Err(PathError::Soft(_)) => absorbed(cx, Truth::Unknown),
            Err(h) => return Err(h),
        },
        PathExpr::LikeRegex(x, pat, flags) => {
            let Some(items) = operand(x, cur, cx)? else {
                return Ok(Truth::Unknown);
            };
            // Compiled (and its errors raised) even when no item is a string.
            let matches =
                |s: &str| crate::string::xquery_regex_match(s, pat, flags).map_err(PathError::Hard);
            matches("")?;
            any_of(
                items.iter().map(|it| match it {
                    Jsonb::String(_) if cx.is_datetime(it) => Truth::Unknown,
                    Jsonb::String(s) => match matches(s) {
                        Ok(true) => Truth::True,
                        Ok(false) => Truth::False,
                        Err(_) => Truth::Unknown,
                    },
                    _ => Truth::Unknown,
                }),
                strict,
            )
        }
        PathExpr::StartsWith(x, p) => {
            let (Some(items), Some(prefix)) = (operand(x, cur, cx)?, operand(p, cur, cx)?) else {
                return Ok(Truth::Unknown);
            };
            let [Jsonb::String(prefix)] = prefix.as_slice() else {
                return Ok(Truth::Unknown);
            };
            if cx.is_datetime(&Jsonb::String(prefix.clone())) {
                return Ok(Truth::Unknown);
            }
            any_of(
                items.iter().map(|it| match it {
                    Jsonb::String(_) if cx.is_datetime(it) => Truth::Unknown,
                    Jsonb::String(s) => {
                        if s.starts_with(prefix.as_str()) {
                            Truth::True
                        } else {
                            Truth::False
                        }
                    }
                    _ => Truth::Unknown,
                }),
                strict,
            )
        }
        // Anything else used as a predicate: PostgreSQL's grammar allows only predicates
        // in filters, so a plain expression here is a singleton boolean check.
        other => match eval(other, cur, cx) {
            Ok(v) => match v.as_slice() {
                [Jsonb::Bool(true)] => Truth::True,
                [Jsonb::Bool(false)] => Truth::False,
                _ => Truth::Unknown,
            },
            Err(PathError::Soft(_)) => absorbed(cx, Truth::Unknown),
            Err(h) => return Err(h),
        },
    })
}
