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

use basalt_common::types::error::codes;
use basalt_common::types::jsonpath::{BinOp, JsonPath, Method, PathExpr};
use basalt_common::types::{Jsonb, Numeric, TypeError};

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
}

/// Evaluates `path` on `target`; `Ok(None)` when a soft error was suppressed by `silent`.
pub fn query(
    target: &Jsonb,
    path: &JsonPath,
    vars: &Jsonb,
    silent: bool,
) -> Result<Option<Vec<Jsonb>>, TypeError> {
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
    };
    match eval(&path.expr, target, &mut cx) {
        Ok(v) => Ok(Some(v)),
        Err(PathError::Soft(e)) => {
            if silent {
                Ok(None)
            } else {
                Err(e)
            }
        }
        Err(PathError::Hard(e)) => Err(e),
    }
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
            let mut out = Vec::new();
            for it in unwrap_items(eval(base, cur, cx)?, lax) {
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
            }
            out
        }
        PathExpr::AnyKey(base) => {
            let mut out = Vec::new();
            for it in unwrap_items(eval(base, cur, cx)?, lax) {
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
            }
            out
        }
        PathExpr::AnyIndex(base) => {
            let mut out = Vec::new();
            for it in eval(base, cur, cx)? {
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
            }
            out
        }
        PathExpr::Index(base, subs) => {
            let mut out = Vec::new();
            for it in eval(base, cur, cx)? {
                let arr = match it {
                    Jsonb::Array(a) => a,
                    other if lax => vec![other],
                    _ if tolerant => continue,
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
                r?;
            }
            out
        }
        PathExpr::AnyPath(base, lo, hi) => {
            let mut out = Vec::new();
            for it in eval(base, cur, cx)? {
                any_path(&it, 0, *lo, *hi, &mut out);
            }
            out
        }
        PathExpr::Filter(base, pred) => {
            let mut out = Vec::new();
            for it in unwrap_items(eval(base, cur, cx)?, lax) {
                if predicate(pred, &it, cx)? == Truth::True {
                    out.push(it);
                }
            }
            out
        }
        PathExpr::Method(base, m, _) => {
            let items = eval(base, cur, cx)?;
            let items = if matches!(m, Method::Type | Method::Size) {
                items
            } else {
                unwrap_items(items, lax)
            };
            let mut out = Vec::new();
            for it in items {
                match (m, method(*m, it, cx)?) {
                    // keyvalue() yields one object per key.
                    (Method::KeyValue, Jsonb::Array(rows)) => out.extend(rows),
                    (_, v) => out.push(v),
                }
            }
            out
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
            let a = single(eval(l, cur, cx)?, "left")?;
            let b = single(eval(r, cur, cx)?, "right")?;
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
            let mut out = Vec::new();
            for it in unwrap_items(eval(inner, cur, cx)?, lax) {
                match it {
                    Jsonb::Number(n) => out.push(Jsonb::Number(if *neg { n.neg() } else { n })),
                    _ => {
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
    if level >= lo && level <= hi {
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

fn method(m: Method, it: Jsonb, cx: &Cx<'_>) -> R<Jsonb> {
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
            return Err(PathError::Hard(TypeError::new(
                codes::FEATURE_NOT_SUPPORTED,
                "feature not supported: jsonpath item method .datetime()",
            )));
        }
    })
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

fn compare(op: BinOp, a: &Jsonb, b: &Jsonb) -> Truth {
    use std::cmp::Ordering;
    let ord = match (a, b) {
        (Jsonb::Null, Jsonb::Null) => Ordering::Equal,
        (Jsonb::Null, _) | (_, Jsonb::Null) => {
            return match op {
                BinOp::Ne => Truth::True,
                _ => Truth::False,
            };
        }
        (Jsonb::Bool(x), Jsonb::Bool(y)) => x.cmp(y),
        (Jsonb::Number(x), Jsonb::Number(y)) => x.cmp(y),
        (Jsonb::String(x), Jsonb::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => return Truth::Unknown,
    };
    let r = match op {
        BinOp::Eq => ord == Ordering::Equal,
        BinOp::Ne => ord != Ordering::Equal,
        BinOp::Lt => ord == Ordering::Less,
        BinOp::Le => ord != Ordering::Greater,
        BinOp::Gt => ord == Ordering::Greater,
        _ => ord != Ordering::Less,
    };
    if r { Truth::True } else { Truth::False }
}

/// Operand sequences of a predicate: a soft error makes the predicate unknown.
fn operand(e: &PathExpr, cur: &Jsonb, cx: &mut Cx<'_>) -> R<Option<Vec<Jsonb>>> {
    match eval(e, cur, cx) {
        Ok(v) => Ok(Some(unwrap_items(v, !cx.strict))),
        Err(PathError::Soft(_)) => Ok(None),
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
            let pairs = a
                .iter()
                .flat_map(|x| b.iter().map(move |y| compare(*op, x, y)))
                .collect::<Vec<_>>();
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
            Err(PathError::Soft(_)) => Truth::Unknown,
            Err(h) => return Err(h),
        },
        PathExpr::LikeRegex(x, pat, flags) => {
            let Some(items) = operand(x, cur, cx)? else {
                return Ok(Truth::Unknown);
            };
            let mut builder_pat = if flags.contains('q') {
                regex::escape(pat)
            } else {
                pat.clone()
            };
            let mut prefix = String::new();
            for (f, c) in [('i', 'i'), ('s', 's'), ('m', 'm'), ('x', 'x')] {
                if flags.contains(f) {
                    prefix.push(c);
                }
            }
            if !prefix.is_empty() {
                builder_pat = format!("(?{prefix}){builder_pat}");
            }
            let re = regex::Regex::new(&builder_pat).map_err(|e| {
                PathError::Hard(TypeError::new(
                    "2201B",
                    format!("invalid regular expression: {e}"),
                ))
            })?;
            any_of(
                items.iter().map(|it| match it {
                    Jsonb::String(s) => {
                        if re.is_match(s) {
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
        PathExpr::StartsWith(x, p) => {
            let (Some(items), Some(prefix)) = (operand(x, cur, cx)?, operand(p, cur, cx)?) else {
                return Ok(Truth::Unknown);
            };
            let [Jsonb::String(prefix)] = prefix.as_slice() else {
                return Ok(Truth::Unknown);
            };
            any_of(
                items.iter().map(|it| match it {
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
            Err(PathError::Soft(_)) => Truth::Unknown,
            Err(h) => return Err(h),
        },
    })
}
