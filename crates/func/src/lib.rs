//! Basalt's built-in functions, operators and aggregates, with PostgreSQL 15's names,
//! argument types, result types, NULL handling and errors.
//!
//! # How the SQL layer uses this crate
//!
//! The binder resolves a call by name and argument types once, at bind time:
//! [`resolve_function`], [`resolve_operator`], [`resolve_aggregate`] and
//! [`resolve_table_function`] answer a [`Resolved`] (what to call, which type each argument
//! must be cast to first, the result type) or `None` when nothing matches (the binder then
//! reports 42883 `function ... does not exist` / `operator does not exist`). Argument types are
//! the types of the bound expressions; an untyped string literal or bare NULL has type
//! [`DataType::Unknown`] and resolution picks its type as PostgreSQL does (usually `text`).
//!
//! At run time the executor casts the arguments to [`Resolved::arg_types`] and calls
//! [`call`]. If [`Resolved::strict`] is set and any argument is NULL, the executor returns
//! NULL without calling (PostgreSQL's STRICT functions); non-strict functions such as
//! `concat` or `coalesce`-like helpers receive the NULLs.
//!
//! Comparison operators (`=`, `<>`, `<`, `<=`, `>`, `>=`), `AND`/`OR`/`NOT`, `IS [NOT] NULL`
//! and arithmetic between numbers of one type (`+ - * / %` on int2/int4/int8/float4/float8/
//! numeric) are evaluated by the SQL layer itself with [`mod@basalt_common::types::arith`]; every
//! other operator (`||`, `~~` (LIKE), `~`, `->`, `@>`, date/time arithmetic, ...) is resolved
//! here.
//!
//! # Modules
//!
//! - [`string`]: string functions and operators, LIKE/ILIKE/SIMILAR TO, POSIX regular
//!   expressions.
//! - [`math`]: mathematical functions.
//! - [`datetime`]: date/time functions and operators.
//! - [`json`]: json/jsonb functions and operators.
//! - [`srf`]: set-returning functions (`generate_series`, `unnest`, `jsonb_array_elements`,
//!   `jsonb_each`, ...).
//! - [`agg`]: aggregate functions as accumulators.

pub mod agg;
pub mod datetime;
pub mod json;
pub mod jsonpath;
pub mod math;
pub mod srf;
pub mod string;

use basalt_common::types::{DataType, TypeContext, TypeResult, Value};

/// A resolved scalar function or operator.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// What to call.
    pub func: Func,
    /// The type each argument must be cast to before the call (same length as the call's
    /// arguments; for variadic functions, one per actual argument).
    pub arg_types: Vec<DataType>,
    /// The result type.
    pub ret: DataType,
    /// NULL in any argument gives NULL without calling.
    pub strict: bool,
    /// The result depends only on the arguments (constant folding may call it at bind time).
    pub immutable: bool,
}

/// A built-in scalar function or operator, by module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Func {
    /// A string function or operator.
    String(string::StringFunc),
    /// A mathematical function.
    Math(math::MathFunc),
    /// A date/time function or operator.
    DateTime(datetime::DateTimeFunc),
    /// A json/jsonb function or operator.
    Json(json::JsonFunc),
}

/// What a function may need from the session and transaction.
#[derive(Debug, Clone)]
pub struct EvalContext {
    /// Time zone (and `now`) for date/time input and output.
    pub types: TypeContext,
    /// Start of the current transaction (microseconds since 2000-01-01 UTC): `now()`,
    /// `current_timestamp`, `transaction_timestamp()`.
    pub transaction_start: i64,
    /// Start of the current statement: `statement_timestamp()`. `None` until first asked
    /// for ([`EvalContext::statement_start`] then reads the clock once): most statements never
    /// ask, and a clock read per statement was a measurable share of a bulk load. Every
    /// other reading of the clock within the statement (`clock_timestamp()`) fixes it first,
    /// so it is never later than one of them, as PostgreSQL's statement start is not.
    pub statement_start: std::cell::Cell<Option<i64>>,
    /// The session's `random()` generator (`setseed()` sets it); `None` uses one shared by
    /// the process.
    pub prng: Option<std::sync::Arc<parking_lot::Mutex<math::Prng>>>,
    /// The running statement's interrupt flag (query cancel, statement timeout), polled by
    /// functions that loop long (`generate_series`); `None` never interrupts.
    pub interrupt: Option<basalt_common::Interrupt>,
}

impl EvalContext {
    /// Fails with 57014 if the statement was canceled or timed out.
    pub fn check_interrupt(&self) -> TypeResult<()> {
        match self
            .interrupt
            .as_ref()
            .and_then(basalt_common::Interrupt::raised)
        {
            Some(r) => Err(basalt_common::types::TypeError::new("57014", r.message())),
            None => Ok(()),
        }
    }

    /// The statement's start time (microseconds since 2000-01-01 UTC), fixed at first use.
    pub fn statement_start(&self) -> i64 {
        match self.statement_start.get() {
            Some(t) => t,
            None => {
                let t = datetime::clock_now();
                self.statement_start.set(Some(t));
                t
            }
        }
    }
}

/// Resolves a scalar function call `name(args...)`; `name` is lower-case and unqualified
/// (`pg_catalog.` already stripped).
pub fn resolve_function(name: &str, args: &[DataType]) -> Option<Resolved> {
    string::resolve_function(name, args)
        .or_else(|| math::resolve_function(name, args))
        .or_else(|| datetime::resolve_function(name, args))
        .or_else(|| json::resolve_function(name, args))
        .or_else(|| operator_function(name, args))
}

/// PostgreSQL's functions behind the arithmetic operators of one type (`int4pl`,
/// `float8mi`, `numeric_add`, ...), called by name: transition functions of aggregates are
/// often these. They take two arguments of their type (the caller casts implicitly).
fn operator_function(name: &str, args: &[DataType]) -> Option<Resolved> {
    use DataType as T;
    if args.len() != 2 {
        return None;
    }
    let (ty, suffix) = [
        ("int2", T::Int2),
        ("int4", T::Int4),
        ("int8", T::Int8),
        ("float4", T::Float4),
        ("float8", T::Float8),
    ]
    .into_iter()
    .find_map(|(p, t)| name.strip_prefix(p).map(|rest| (t, rest)))
    .map(|(t, rest)| {
        let op = match rest {
            "pl" => "+",
            "mi" => "-",
            "mul" => "*",
            "div" => "/",
            _ => "",
        };
        (t, op)
    })
    .or_else(|| {
        let op = match name.strip_prefix("numeric_")? {
            "add" => "+",
            "sub" => "-",
            "mul" => "*",
            "div" => "/",
            _ => "",
        };
        Some((T::Numeric(None), op))
    })?;
    let fits = |a: &DataType| {
        *a == ty
            || *a == T::Unknown
            || basalt_common::types::cast_context(a, &ty)
                == Some(basalt_common::types::CastContext::Implicit)
    };
    if suffix.is_empty() || !args.iter().all(fits) {
        return None;
    }
    let op = match suffix {
        "+" => basalt_common::types::ArithOp::Add,
        "-" => basalt_common::types::ArithOp::Sub,
        "*" => basalt_common::types::ArithOp::Mul,
        _ => basalt_common::types::ArithOp::Div,
    };
    Some(Resolved {
        func: Func::Math(math::MathFunc::Arith(op)),
        arg_types: vec![ty.clone(), ty.clone()],
        ret: ty,
        strict: true,
        immutable: true,
    })
}

/// Resolves `name(..., VARIADIC array)` (PostgreSQL's explicit VARIADIC argument) for the
/// functions that take `VARIADIC "any"`: `concat`, `concat_ws`, `format`.
pub fn resolve_variadic(name: &str, args: &[DataType]) -> Option<Resolved> {
    string::resolve_variadic(name, args)
}

/// Resolves an operator: `left` is `None` for a prefix operator. `op` is the operator's
/// symbol as PostgreSQL spells it (`||`, `~~`, `!~~*`, `->>`, `@>`, `+`, ...).
pub fn resolve_operator(op: &str, left: Option<&DataType>, right: &DataType) -> Option<Resolved> {
    string::resolve_operator(op, left, right)
        .or_else(|| math::resolve_operator(op, left, right))
        .or_else(|| datetime::resolve_operator(op, left, right))
        .or_else(|| json::resolve_operator(op, left, right))
}

/// The infix operator `func` is called by (`||`, `~~`, `->>`, `@>`, ...), if it is one of
/// the string, array or JSON operators: EXPLAIN shows the call as written.
pub fn operator_symbol(func: Func) -> Option<&'static str> {
    match func {
        Func::String(f) => string::operator_symbol(f),
        Func::Json(f) => json::operator_symbol(f),
        Func::Math(_) | Func::DateTime(_) => None,
    }
}

/// Calls a resolved function with arguments already cast to [`Resolved::arg_types`].
pub fn call(func: Func, args: &[Value], ctx: &EvalContext) -> TypeResult<Value> {
    match func {
        Func::String(f) => string::call(f, args, ctx),
        Func::Math(f) => math::call(f, args, ctx),
        Func::DateTime(f) => datetime::call(f, args, ctx),
        Func::Json(f) => json::call(f, args, ctx),
    }
}

pub use agg::{
    Accumulator, AggFunc, HypoKind, RegrKind, ResolvedAggregate, is_hypothetical_set,
    is_ordered_set, new_accumulator, resolve_aggregate,
};
pub use srf::{
    IntSeries, ResolvedTableFunction, TableFunc, call_table_function, resolve_table_function,
};
