//! Bound scalar expressions and their evaluation.
//!
//! The binder turns parse-tree expressions into [`Expr`]: names resolved to column positions in
//! the input row ([`Expr::Column`]) or in an enclosing query's row ([`Expr::Outer`], for
//! correlated subqueries), functions and operators resolved to [`basalt_func::Func`], implicit
//! casts made explicit, and untyped literals already converted (constant folding happens in the
//! binder). Evaluation follows SQL's three-valued logic: `AND`/`OR` with NULL as PostgreSQL,
//! comparisons with NULL give NULL, strict functions give NULL on a NULL argument.

use std::cmp::Ordering;
use std::sync::Arc;

use basalt_common::types::{
    ArithOp, CastContext, DataType, TypeContext, Value, arith, arith::negate, array, cast_owned,
};
use basalt_func::{EvalContext, Func};

use crate::error::SqlError;
use crate::exec::{Cx, run_subquery};
use crate::plan::Plan;

/// A row of values.
pub type Row = Vec<Value>;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// From the operator's symbol.
    pub fn from_symbol(s: &str) -> Option<CmpOp> {
        Some(match s {
            "=" => CmpOp::Eq,
            "<>" | "!=" => CmpOp::Ne,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Ge,
            _ => return None,
        })
    }

    /// The operator giving the opposite answer (`NOT a < b` is `a >= b`; NULL stays NULL).
    pub fn negate(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
            CmpOp::Lt => CmpOp::Ge,
            CmpOp::Le => CmpOp::Gt,
            CmpOp::Gt => CmpOp::Le,
            CmpOp::Ge => CmpOp::Lt,
        }
    }

    /// The operator with its operands swapped (`a < b` is `b > a`).
    pub fn swap(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            o => o,
        }
    }

    /// Applies the operator to an ordering.
    pub fn test(self, o: Ordering) -> bool {
        match self {
            CmpOp::Eq => o == Ordering::Equal,
            CmpOp::Ne => o != Ordering::Equal,
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
        }
    }
}

/// `IS [NOT] TRUE/FALSE/UNKNOWN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolTest {
    /// IS TRUE
    IsTrue,
    /// IS NOT TRUE
    IsNotTrue,
    /// IS FALSE
    IsFalse,
    /// IS NOT FALSE
    IsNotFalse,
    /// IS UNKNOWN
    IsUnknown,
    /// IS NOT UNKNOWN
    IsNotUnknown,
}

impl BoolTest {
    /// The test applied to a three-valued truth (never NULL itself).
    pub fn apply(self, v: Option<bool>) -> bool {
        match self {
            BoolTest::IsTrue => v == Some(true),
            BoolTest::IsNotTrue => v != Some(true),
            BoolTest::IsFalse => v == Some(false),
            BoolTest::IsNotFalse => v != Some(false),
            BoolTest::IsUnknown => v.is_none(),
            BoolTest::IsNotUnknown => v.is_some(),
        }
    }

    /// The SQL spelling after the operand (`IS NOT TRUE`).
    pub fn sql(self) -> &'static str {
        match self {
            BoolTest::IsTrue => "IS TRUE",
            BoolTest::IsNotTrue => "IS NOT TRUE",
            BoolTest::IsFalse => "IS FALSE",
            BoolTest::IsNotFalse => "IS NOT FALSE",
            BoolTest::IsUnknown => "IS UNKNOWN",
            BoolTest::IsNotUnknown => "IS NOT UNKNOWN",
        }
    }
}

/// What a subquery expression tests.
#[derive(Debug, Clone, PartialEq)]
pub enum SubqueryKind {
    /// A scalar subquery: its one value (NULL if no rows; error 21000 if several).
    Scalar,
    /// EXISTS.
    Exists,
    /// `left op ANY (subquery)` (IN is `= ANY`), or `op ALL` when `all`.
    Quantified {
        /// The left operand.
        left: Box<Expr>,
        /// The comparison.
        op: CmpOp,
        /// ALL instead of ANY.
        all: bool,
    },
    /// `ARRAY(subquery)`.
    Array(DataType),
    /// `(a, b) = ANY (subquery)` (IN) or `(a, b) <> ALL (subquery)` (NOT IN).
    RowQuantified {
        /// The left row.
        left: Vec<Expr>,
        /// `=` or `<>`.
        op: CmpOp,
        /// ALL instead of ANY.
        all: bool,
    },
    /// `(a, b) op (subquery)`: a row comparison with the subquery's single row (none gives
    /// NULL, several are an error).
    RowCompare {
        /// The left row.
        left: Vec<Expr>,
        /// The comparison.
        op: CmpOp,
    },
}

/// A bound subquery expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Subquery {
    /// The kind.
    pub kind: SubqueryKind,
    /// The subquery's plan (its rows may refer to this query's row via [`Expr::Outer`]).
    pub plan: Plan,
    /// Whether it refers to enclosing rows (if not, it runs once per statement).
    pub correlated: bool,
    /// A statement-unique id for caching uncorrelated results.
    pub id: usize,
    /// Columns of the enclosing query's FROM row that the subquery reads; positions past that
    /// row's width are aggregates of the enclosing query computed for the subquery
    /// (`(SELECT max(outer.x))`), which it reads at `width + aggregate index`.
    pub outer_refs: Vec<usize>,
    /// Where each of `outer_refs` is first referenced (for errors).
    pub outer_positions: Vec<Option<u32>>,
    /// In an aggregated query: the row the subquery sees as its outer row, computed from the
    /// aggregate's output row (group keys and aggregates moved to where the subquery reads
    /// them).
    pub outer_map: Option<Vec<Expr>>,
}

/// A call of a SQL-language function ([`crate::sqlfunc`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SqlCall {
    /// The function's OID.
    pub oid: u32,
    /// Arguments (already cast to the parameter types).
    pub args: Vec<Expr>,
    /// The function's name (for EXPLAIN).
    pub name: String,
    /// A polymorphic function's actual argument types.
    pub types: Option<Vec<DataType>>,
}

/// A bound expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A constant.
    Const(Value),
    /// A column of the input row.
    Column(usize),
    /// A column of an enclosing query's row, `depth` levels out (1 = the nearest).
    Outer {
        /// Levels out.
        depth: usize,
        /// Column.
        index: usize,
    },
    /// A statement parameter `$n` (0-based here).
    Param(usize),
    /// AND
    And(Box<Expr>, Box<Expr>),
    /// OR
    Or(Box<Expr>, Box<Expr>),
    /// NOT
    Not(Box<Expr>),
    /// IS NULL (or IS NOT NULL when the flag is set).
    IsNull(Box<Expr>, bool),
    /// `IS [NOT] TRUE/FALSE/UNKNOWN`
    BoolTest(Box<Expr>, BoolTest),
    /// A comparison of two values of one type.
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    /// IS DISTINCT FROM (IS NOT DISTINCT FROM when the flag is set).
    Distinct(Box<Expr>, Box<Expr>, bool),
    /// Arithmetic on two values of one numeric type.
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    /// Unary minus.
    Neg(Box<Expr>),
    /// A cast.
    Cast(Box<Expr>, DataType, CastContext),
    /// A conversion to an object-identifier alias type (`x::regclass`), which needs the
    /// catalog snapshot it carries; with `missing_ok` a name nothing has gives NULL
    /// (`to_regclass`).
    RegCast {
        /// The value: an OID (integer or alias type) or a name.
        arg: Box<Expr>,
        /// The target type.
        kind: basalt_common::types::RegKind,
        /// The catalog snapshot.
        cat: crate::system::RegMap,
        /// NULL instead of an error for a missing object.
        missing_ok: bool,
    },
    /// A built-in function or operator.
    Func {
        /// The function.
        func: Func,
        /// Arguments (already cast).
        args: Vec<Expr>,
        /// NULL in, NULL out.
        strict: bool,
    },
    /// CASE WHEN ... (a simple CASE is bound as comparisons).
    Case {
        /// (condition, result) pairs.
        whens: Vec<(Expr, Expr)>,
        /// ELSE (NULL if absent).
        otherwise: Box<Expr>,
    },
    /// COALESCE
    Coalesce(Vec<Expr>),
    /// NULLIF(a, b)
    NullIf(Box<Expr>, Box<Expr>),
    /// GREATEST (true) / LEAST (false)
    MinMax(Vec<Expr>, bool),
    /// `x IN (list)` (`NOT IN` when the flag is set).
    InList(Box<Expr>, Vec<Expr>, bool),
    /// `x op ANY/ALL (array)`.
    ArrayCmp {
        /// Left operand.
        left: Box<Expr>,
        /// Comparison.
        op: CmpOp,
        /// The array.
        right: Box<Expr>,
        /// ALL.
        all: bool,
    },
    /// `x op ANY/ALL (array)` for an operator other than a comparison (`LIKE ANY`, `~ ALL`,
    /// `@> ANY`, ...): the operator's function applied to `x` and each element.
    ArrayOp {
        /// Left operand.
        left: Box<Expr>,
        /// The operator's function (returns boolean).
        func: Func,
        /// NULL in gives NULL out without calling the function.
        strict: bool,
        /// The array.
        right: Box<Expr>,
        /// ALL.
        all: bool,
    },
    /// ARRAY[...] of elements of the given type; when that type is itself an array type,
    /// the items are sub-arrays and the result has one more dimension.
    Array(Vec<Expr>, DataType),
    /// `a[i][j]` (one element) or, with `slice`, `a[l:u][...]` (a sub-array). Each
    /// subscript is (lower, upper); outside a slice only `upper` is set, and inside one a
    /// missing bound is the array's own.
    Subscript {
        /// The array.
        array: Box<Expr>,
        /// The subscripts, outermost dimension first.
        subs: Vec<(Option<Expr>, Option<Expr>)>,
        /// A slice.
        slice: bool,
    },
    /// A row constructor (`ROW(a, b)`, `(a, b)`, a whole-row reference `t`): a record with
    /// these field names.
    Row(Vec<Expr>, Arc<[String]>),
    /// Field selection from a record (`(r).f`): the field at this position; NULL from a
    /// NULL record.
    Field(Box<Expr>, usize),
    /// A function returning one composite value computed by a table function
    /// (`jsonb_populate_record(base, j)` in an expression): its one row as a record. When the
    /// JSON argument is NULL the result is the base record (`args[0]`).
    TableRow(Box<crate::plan::SrfCall>),
    /// A call of a SQL-language function with a scalar (or one composite) result.
    SqlFunc(Box<SqlCall>),
    /// A value converted to a domain: the domain's constraints checked on it (they read it
    /// as column 0 of their own row, so they are not children).
    DomainCheck(Box<Expr>, Arc<crate::usertypes::DomainChecks>),
    /// `enum_range(lo, hi)` (the labels of the type from `lo` to `hi`; NULL: from the first,
    /// to the last), or `enum_first` / `enum_last` (operands unused).
    EnumFn(
        crate::ddl_types::EnumFn,
        Box<Expr>,
        Box<Expr>,
        Arc<basalt_common::types::EnumType>,
    ),
    /// A subquery.
    Subquery(Box<Subquery>),
    /// `nextval`, `currval`, `setval` and friends that touch sequences: (function, args).
    Sequence(SeqFunc, Vec<Expr>),
    /// Placeholder for an aggregate during binding (index into the query's aggregates).
    Agg(usize),
    /// Placeholder for a window function during binding (index into the query's calls).
    Window(usize),
    /// Placeholder for `GROUPING(args)` during binding (with the arguments' positions in the
    /// statement, for errors); the aggregation computes it.
    Grouping(Vec<Expr>, Vec<Option<u32>>),
    /// Placeholder for a set-returning function of a select list during binding (index
    /// into the query's calls).
    Srf(usize),
}

/// Sequence functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqFunc {
    /// nextval(regclass)
    Nextval,
    /// currval(regclass)
    Currval,
    /// setval(regclass, bigint[, bool])
    Setval,
    /// lastval()
    Lastval,
    /// A column of a sequence read as a relation (`last_value`, `log_cnt`, `is_called`);
    /// the argument is the sequence's OID.
    Read(u8),
    /// `pg_notify(channel, payload)`, which queues a notification in the session (a
    /// session-state function like the sequence ones, evaluated where they are).
    Notify,
    /// `set_config(name, value, is_local)`: checked against the session's settings when
    /// called, applied by the session when the statement succeeds (as `SET` would).
    SetConfig,
    /// `pg_relation_size` and the other object sizes, read from the statement's transaction
    /// ([`crate::system::sizes`]).
    Size(crate::system::sizes::SizeFunc),
    /// `bt_index_check(regclass[, boolean])`: an index checked against its table in the
    /// statement's transaction ([`crate::system::check`]).
    IndexCheck,
}

impl Expr {
    /// A boxed constant.
    pub fn constant(v: Value) -> Expr {
        Expr::Const(v)
    }

    /// Whether the expression is a constant.
    pub fn as_const(&self) -> Option<&Value> {
        match self {
            Expr::Const(v) => Some(v),
            _ => None,
        }
    }

    /// Calls `f` on each direct child.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Const(_)
            | Expr::Column(_)
            | Expr::Outer { .. }
            | Expr::Param(_)
            | Expr::Agg(_)
            | Expr::Window(_)
            | Expr::Srf(_) => vec![],
            Expr::And(a, b)
            | Expr::Or(a, b)
            | Expr::Cmp(_, a, b)
            | Expr::Distinct(a, b, _)
            | Expr::EnumFn(_, a, b, _)
            | Expr::Arith(_, a, b)
            | Expr::NullIf(a, b) => vec![a, b],
            Expr::Subscript { array, subs, .. } => {
                let mut v = vec![array.as_ref()];
                for (l, u) in subs {
                    v.extend(l.iter());
                    v.extend(u.iter());
                }
                v
            }
            Expr::ArrayCmp { left, right, .. } | Expr::ArrayOp { left, right, .. } => {
                vec![left, right]
            }
            Expr::Not(a)
            | Expr::IsNull(a, _)
            | Expr::BoolTest(a, _)
            | Expr::Neg(a)
            | Expr::Field(a, _)
            | Expr::Cast(a, _, _)
            | Expr::DomainCheck(a, _)
            | Expr::RegCast { arg: a, .. } => vec![a],
            Expr::TableRow(c) => c.args.iter().collect(),
            Expr::SqlFunc(c) => c.args.iter().collect(),
            Expr::Func { args, .. }
            | Expr::Row(args, _)
            | Expr::Coalesce(args)
            | Expr::MinMax(args, _)
            | Expr::Array(args, _)
            | Expr::Sequence(_, args)
            | Expr::Grouping(args, _) => args.iter().collect(),
            Expr::Case { whens, otherwise } => {
                let mut v: Vec<&Expr> = whens.iter().flat_map(|(a, b)| [a, b]).collect();
                v.push(otherwise);
                v
            }
            Expr::InList(a, list, _) => {
                let mut v = vec![a.as_ref()];
                v.extend(list.iter());
                v
            }
            Expr::Subquery(s) => match &s.kind {
                SubqueryKind::Quantified { left, .. } => vec![left],
                SubqueryKind::RowQuantified { left, .. }
                | SubqueryKind::RowCompare { left, .. } => left.iter().collect(),
                _ => vec![],
            },
        }
    }

    /// Whether any node satisfies `pred`.
    pub fn any(&self, pred: &dyn Fn(&Expr) -> bool) -> bool {
        pred(self) || self.children().into_iter().any(|c| c.any(pred))
    }

    /// The columns of the input row this expression reads.
    pub fn columns(&self, out: &mut Vec<usize>) {
        if let Expr::Column(i) = self {
            out.push(*i);
        }
        for c in self.children() {
            c.columns(out);
        }
    }

    /// Rewrites the expression bottom-up with `f` (which may replace a node).
    pub fn rewrite(
        self,
        f: &mut dyn FnMut(Expr) -> Result<Expr, SqlError>,
    ) -> Result<Expr, SqlError> {
        let e = match self {
            Expr::And(a, b) => Expr::And(bx(a.rewrite(f)?), bx(b.rewrite(f)?)),
            Expr::Or(a, b) => Expr::Or(bx(a.rewrite(f)?), bx(b.rewrite(f)?)),
            Expr::Cmp(o, a, b) => Expr::Cmp(o, bx(a.rewrite(f)?), bx(b.rewrite(f)?)),
            Expr::Distinct(a, b, n) => Expr::Distinct(bx(a.rewrite(f)?), bx(b.rewrite(f)?), n),
            Expr::Arith(o, a, b) => Expr::Arith(o, bx(a.rewrite(f)?), bx(b.rewrite(f)?)),
            Expr::NullIf(a, b) => Expr::NullIf(bx(a.rewrite(f)?), bx(b.rewrite(f)?)),
            Expr::Subscript { array, subs, slice } => Expr::Subscript {
                array: bx(array.rewrite(f)?),
                subs: subs
                    .into_iter()
                    .map(|(l, u)| {
                        Ok((
                            l.map(|e| e.rewrite(f)).transpose()?,
                            u.map(|e| e.rewrite(f)).transpose()?,
                        ))
                    })
                    .collect::<Result<_, SqlError>>()?,
                slice,
            },
            Expr::ArrayCmp {
                left,
                op,
                right,
                all,
            } => Expr::ArrayCmp {
                left: bx(left.rewrite(f)?),
                op,
                right: bx(right.rewrite(f)?),
                all,
            },
            Expr::ArrayOp {
                left,
                func,
                strict,
                right,
                all,
            } => Expr::ArrayOp {
                left: bx(left.rewrite(f)?),
                func,
                strict,
                right: bx(right.rewrite(f)?),
                all,
            },
            Expr::Not(a) => Expr::Not(bx(a.rewrite(f)?)),
            Expr::IsNull(a, n) => Expr::IsNull(bx(a.rewrite(f)?), n),
            Expr::BoolTest(a, t) => Expr::BoolTest(bx(a.rewrite(f)?), t),
            Expr::Neg(a) => Expr::Neg(bx(a.rewrite(f)?)),
            Expr::Field(a, i) => Expr::Field(bx(a.rewrite(f)?), i),
            Expr::Row(a, n) => Expr::Row(rewrite_all(a, f)?, n),
            Expr::TableRow(mut c) => {
                c.args = rewrite_all(std::mem::take(&mut c.args), f)?;
                Expr::TableRow(c)
            }
            Expr::SqlFunc(mut c) => {
                c.args = rewrite_all(std::mem::take(&mut c.args), f)?;
                Expr::SqlFunc(c)
            }
            Expr::Cast(a, t, k) => Expr::Cast(bx(a.rewrite(f)?), t, k),
            Expr::EnumFn(k, a, b, t) => Expr::EnumFn(k, bx(a.rewrite(f)?), bx(b.rewrite(f)?), t),
            Expr::DomainCheck(a, d) => Expr::DomainCheck(bx(a.rewrite(f)?), d),
            Expr::RegCast {
                arg,
                kind,
                cat,
                missing_ok,
            } => Expr::RegCast {
                arg: bx(arg.rewrite(f)?),
                kind,
                cat,
                missing_ok,
            },
            Expr::Func { func, args, strict } => Expr::Func {
                func,
                args: rewrite_all(args, f)?,
                strict,
            },
            Expr::Coalesce(a) => Expr::Coalesce(rewrite_all(a, f)?),
            Expr::MinMax(a, g) => Expr::MinMax(rewrite_all(a, f)?, g),
            Expr::Array(a, t) => Expr::Array(rewrite_all(a, f)?, t),
            Expr::Sequence(s, a) => Expr::Sequence(s, rewrite_all(a, f)?),
            Expr::Grouping(a, l) => Expr::Grouping(rewrite_all(a, f)?, l),
            Expr::Case { whens, otherwise } => Expr::Case {
                whens: whens
                    .into_iter()
                    .map(|(a, b)| Ok((a.rewrite(f)?, b.rewrite(f)?)))
                    .collect::<Result<_, SqlError>>()?,
                otherwise: bx(otherwise.rewrite(f)?),
            },
            Expr::InList(a, l, n) => Expr::InList(bx(a.rewrite(f)?), rewrite_all(l, f)?, n),
            Expr::Subquery(mut s) => {
                if let SubqueryKind::Quantified { left, .. } = &mut s.kind {
                    let l = std::mem::replace(left.as_mut(), Expr::Const(Value::Null));
                    **left = l.rewrite(f)?;
                }
                if let SubqueryKind::RowQuantified { left, .. }
                | SubqueryKind::RowCompare { left, .. } = &mut s.kind
                {
                    let l = std::mem::take(left);
                    *left = rewrite_all(l, f)?;
                }
                Expr::Subquery(s)
            }
            e => e,
        };
        f(e)
    }
}

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

fn rewrite_all(
    v: Vec<Expr>,
    f: &mut dyn FnMut(Expr) -> Result<Expr, SqlError>,
) -> Result<Vec<Expr>, SqlError> {
    v.into_iter().map(|e| e.rewrite(f)).collect()
}

/// Evaluates a condition as a filter does: the conjuncts of an AND in order, stopping at the
/// first that is not true (FALSE and NULL both reject the row, as PostgreSQL's ExecQual).
pub fn qual(e: &Expr, row: &[Value], cx: &mut Cx<'_>) -> Result<bool, SqlError> {
    match e {
        Expr::And(a, b) => Ok(qual(a, row, cx)? && qual(b, row, cx)?),
        e => Ok(truth(&eval(e, row, cx)?) == Some(true)),
    }
}

/// A condition's cost per row in PostgreSQL's terms (one unit per operator or function call;
/// an uncorrelated subquery runs once, a correlated one per row and costs most), to check a
/// filter's conjuncts cheapest first as its planner does (`order_qual_clauses`).
pub fn qual_cost(e: &Expr) -> f64 {
    let own = match e {
        Expr::Cmp(..)
        | Expr::Arith(..)
        | Expr::Neg(_)
        | Expr::Func { .. }
        | Expr::NullIf(..)
        | Expr::Distinct(..)
        | Expr::Cast(..) => 1.0,
        Expr::InList(_, items, _) => items.len() as f64 * 0.5,
        Expr::Subquery(s) if s.correlated => 1000.0,
        Expr::Subquery(s) if matches!(s.kind, SubqueryKind::Quantified { .. }) => 1.0,
        _ => 0.0,
    };
    own + e.children().into_iter().map(qual_cost).sum::<f64>()
}

/// Three-valued truth of a value: `Some(bool)` or `None` for NULL.
pub fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

fn cmp_values(op: CmpOp, a: &Value, b: &Value) -> Value {
    if a.is_null() || b.is_null() {
        return Value::Null;
    }
    Value::Bool(op.test(a.cmp(b)))
}

/// Evaluates `e` over `row`.
pub fn eval(e: &Expr, row: &[Value], cx: &mut Cx<'_>) -> Result<Value, SqlError> {
    Ok(match e {
        Expr::Const(v) => v.clone(),
        Expr::Column(i) => row.get(*i).cloned().unwrap_or(Value::Null),
        Expr::Outer { depth, index } => cx.outer_value(*depth, *index),
        Expr::Param(i) => cx.params.get(*i).cloned().unwrap_or(Value::Null),
        Expr::And(a, b) => {
            let x = truth(&eval(a, row, cx)?);
            if x == Some(false) {
                return Ok(Value::Bool(false));
            }
            let y = truth(&eval(b, row, cx)?);
            match (x, y) {
                (_, Some(false)) => Value::Bool(false),
                (Some(true), Some(true)) => Value::Bool(true),
                _ => Value::Null,
            }
        }
        Expr::Or(a, b) => {
            let x = truth(&eval(a, row, cx)?);
            if x == Some(true) {
                return Ok(Value::Bool(true));
            }
            let y = truth(&eval(b, row, cx)?);
            match (x, y) {
                (_, Some(true)) => Value::Bool(true),
                (Some(false), Some(false)) => Value::Bool(false),
                _ => Value::Null,
            }
        }
        Expr::Not(a) => match truth(&eval(a, row, cx)?) {
            Some(b) => Value::Bool(!b),
            None => Value::Null,
        },
        Expr::IsNull(a, not) => Value::Bool(match eval(a, row, cx)? {
            // A row is NULL when all its fields are, NOT NULL when none is.
            Value::Record(r) if *not => !r.fields.iter().any(Value::is_null),
            Value::Record(r) => r.fields.iter().all(Value::is_null),
            v => v.is_null() != *not,
        }),
        Expr::BoolTest(a, t) => Value::Bool(t.apply(truth(&eval(a, row, cx)?))),
        Expr::Cmp(op, a, b) => {
            let x = eval(a, row, cx)?;
            let y = eval(b, row, cx)?;
            cmp_values(*op, &x, &y)
        }
        Expr::Distinct(a, b, not) => {
            let x = eval(a, row, cx)?;
            let y = eval(b, row, cx)?;
            let distinct = match (x.is_null(), y.is_null()) {
                (true, true) => false,
                (true, false) | (false, true) => true,
                _ => x != y,
            };
            Value::Bool(distinct != *not)
        }
        Expr::Arith(op, a, b) => {
            let x = eval(a, row, cx)?;
            let y = eval(b, row, cx)?;
            arith(*op, &x, &y)?
        }
        Expr::Neg(a) => negate(&eval(a, row, cx)?)?,
        Expr::Cast(a, to, kind) => {
            let v = eval(a, row, cx)?;
            cast_owned(v, to, *kind, &cx.func.types)?
        }
        Expr::RegCast {
            arg,
            kind,
            cat,
            missing_ok,
        } => {
            let v = eval(arg, row, cx)?;
            cat.0.convert(&v, *kind, *missing_ok)?
        }
        Expr::Func { func, args, strict } => {
            let mut vals = Vec::with_capacity(args.len());
            for a in args {
                let v = eval(a, row, cx)?;
                if *strict && v.is_null() {
                    return Ok(Value::Null);
                }
                vals.push(v);
            }
            basalt_func::call(*func, &vals, &cx.func)?
        }
        Expr::Case { whens, otherwise } => {
            for (cond, result) in whens {
                if truth(&eval(cond, row, cx)?) == Some(true) {
                    return eval(result, row, cx);
                }
            }
            eval(otherwise, row, cx)?
        }
        Expr::Coalesce(args) => {
            for a in args {
                let v = eval(a, row, cx)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            Value::Null
        }
        Expr::NullIf(a, b) => {
            let x = eval(a, row, cx)?;
            let y = eval(b, row, cx)?;
            if !x.is_null() && !y.is_null() && x == y {
                Value::Null
            } else {
                x
            }
        }
        Expr::MinMax(args, greatest) => {
            let mut best = Value::Null;
            for a in args {
                let v = eval(a, row, cx)?;
                if v.is_null() {
                    continue;
                }
                let better = best.is_null() || if *greatest { v > best } else { v < best };
                if better {
                    best = v;
                }
            }
            best
        }
        Expr::InList(a, list, not) => {
            let x = eval(a, row, cx)?;
            if x.is_null() {
                return Ok(Value::Null);
            }
            let mut saw_null = false;
            for item in list {
                let y = eval(item, row, cx)?;
                if y.is_null() {
                    saw_null = true;
                } else if x == y {
                    return Ok(Value::Bool(!*not));
                }
            }
            if saw_null {
                Value::Null
            } else {
                Value::Bool(*not)
            }
        }
        Expr::ArrayCmp {
            left,
            op,
            right,
            all,
        } => {
            let x = eval(left, row, cx)?;
            let arr = eval(right, row, cx)?;
            let Value::Array(arr) = arr else {
                return Ok(Value::Null);
            };
            quantified(*op, *all, &x, arr.elements.iter())
        }
        Expr::ArrayOp {
            left,
            func,
            strict,
            right,
            all,
        } => {
            let x = eval(left, row, cx)?;
            let Value::Array(arr) = eval(right, row, cx)? else {
                return Ok(Value::Null);
            };
            // ANY: true if one is true, else NULL if one is NULL; ALL the other way round.
            let mut saw_null = false;
            for e in &arr.elements {
                let r = if *strict && (x.is_null() || e.is_null()) {
                    Value::Null
                } else {
                    basalt_func::call(*func, &[x.clone(), e.clone()], &cx.func)?
                };
                match truth(&r) {
                    Some(b) if b != *all => return Ok(Value::Bool(b)),
                    None => saw_null = true,
                    _ => {}
                }
            }
            if saw_null {
                Value::Null
            } else {
                Value::Bool(*all)
            }
        }
        Expr::Array(items, elem) => {
            let mut vals = Vec::with_capacity(items.len());
            for i in items {
                vals.push(eval(i, row, cx)?);
            }
            match elem {
                DataType::Array(inner) => array::array_of_arrays((**inner).clone(), vals)?,
                _ => Value::array(elem.clone(), vals),
            }
        }
        Expr::Subscript { array, subs, slice } => {
            let arr = eval(array, row, cx)?;
            let mut bounds = Vec::with_capacity(subs.len());
            for (l, u) in subs {
                let bound =
                    |e: &Option<Expr>, cx: &mut Cx<'_>| -> Result<Option<Option<i32>>, SqlError> {
                        Ok(match e {
                            None => Some(None),
                            Some(e) => match eval(e, row, cx)? {
                                Value::Int4(i) => Some(Some(i)),
                                _ => None,
                            },
                        })
                    };
                let (Some(l), Some(u)) = (bound(l, cx)?, bound(u, cx)?) else {
                    // A NULL subscript gives NULL.
                    return Ok(Value::Null);
                };
                bounds.push((l, u));
            }
            let Value::Array(arr) = arr else {
                return Ok(Value::Null);
            };
            if *slice {
                array::array_slice(&arr, &bounds)
            } else {
                let idx: Vec<i32> = bounds.iter().map(|(_, u)| u.unwrap_or(0)).collect();
                array::array_element(&arr, &idx)
            }
        }
        Expr::Row(items, names) => {
            let mut vals = Vec::with_capacity(items.len());
            for i in items {
                vals.push(eval(i, row, cx)?);
            }
            Value::record(names.clone(), vals)
        }
        Expr::Field(a, i) => match eval(a, row, cx)? {
            Value::Record(r) => r.fields.get(*i).cloned().unwrap_or(Value::Null),
            _ => Value::Null,
        },
        Expr::SqlFunc(c) => {
            let mut vals = Vec::with_capacity(c.args.len());
            for a in &c.args {
                vals.push(eval(a, row, cx)?);
            }
            crate::sqlfunc::scalar(cx, c.oid, vals, c.types.as_deref())?
        }
        Expr::EnumFn(k, a, b, t) => {
            let lo = eval(a, row, cx)?;
            let hi = eval(b, row, cx)?;
            crate::ddl_types::eval_enum_fn(*k, t, &lo, &hi)?
        }
        Expr::DomainCheck(a, d) => {
            let v = eval(a, row, cx)?;
            d.check(&v, cx)?;
            v
        }
        Expr::TableRow(c) => {
            let mut vals = Vec::with_capacity(c.args.len());
            for a in &c.args {
                vals.push(eval(a, row, cx)?);
            }
            if vals.last().is_some_and(Value::is_null) {
                return Ok(vals.first().cloned().unwrap_or(Value::Null));
            }
            let names: Arc<[String]> = c.func.columns.iter().map(|(n, _)| n.clone()).collect();
            basalt_func::call_table_function(&c.func, &vals, &cx.func)?
                .into_iter()
                .next()
                .map_or(Value::Null, |r| Value::record(names, r))
        }
        Expr::Subquery(s) => eval_subquery(s, row, cx)?,
        Expr::Sequence(f, args) => {
            let mut vals = Vec::with_capacity(args.len());
            for a in args {
                vals.push(eval(a, row, cx)?);
            }
            cx.sequence_call(*f, &vals)?
        }
        Expr::Agg(_) | Expr::Window(_) | Expr::Grouping(..) | Expr::Srf(_) => {
            return Err(SqlError::new(
                "XX000",
                "aggregate evaluated outside an aggregation",
            ));
        }
    })
}

/// `x op ANY/ALL (values)` with SQL's NULL rules.
pub fn quantified<'v>(
    op: CmpOp,
    all: bool,
    x: &Value,
    values: impl Iterator<Item = &'v Value>,
) -> Value {
    let mut saw_null = false;
    for y in values {
        match truth(&cmp_values(op, x, y)) {
            None => saw_null = true,
            Some(true) if !all => return Value::Bool(true),
            Some(false) if all => return Value::Bool(false),
            _ => {}
        }
    }
    if saw_null {
        Value::Null
    } else {
        Value::Bool(all)
    }
}

fn eval_subquery(s: &Subquery, row: &[Value], cx: &mut Cx<'_>) -> Result<Value, SqlError> {
    // The subquery runs first and its left operand is evaluated only if it returned rows: an
    // empty subquery decides `x IN (...)` alone, as in PostgreSQL (`1/0 IN (SELECT ... no
    // rows)` is false, not an error).
    if let SubqueryKind::RowQuantified { left, op, all } = &s.kind {
        let rows = run_subquery(s, row, cx)?;
        if rows.is_empty() {
            return Ok(Value::Bool(*all));
        }
        let mut xs = Vec::with_capacity(left.len());
        for e in left {
            xs.push(eval(e, row, cx)?);
        }
        let mut saw_null = false;
        for r in rows.iter() {
            // Row equality: false if a pair differs, NULL if undecided, true otherwise.
            let mut eq = Some(true);
            for (x, y) in xs.iter().zip(r) {
                if x.is_null() || y.is_null() {
                    eq = eq.and(None);
                } else if x != y {
                    eq = Some(false);
                    break;
                }
            }
            let t = match op {
                CmpOp::Ne => eq.map(|b| !b),
                _ => eq,
            };
            match t {
                None => saw_null = true,
                Some(true) if !all => return Ok(Value::Bool(true)),
                Some(false) if *all => return Ok(Value::Bool(false)),
                _ => {}
            }
        }
        return Ok(if saw_null {
            Value::Null
        } else {
            Value::Bool(*all)
        });
    }
    if let SubqueryKind::RowCompare { left, op } = &s.kind {
        let rows = run_subquery(s, row, cx)?;
        if rows.len() > 1 {
            return Err(SqlError::new(
                "21000",
                "more than one row returned by a subquery used as an expression",
            ));
        }
        let Some(r) = rows.first() else {
            return Ok(Value::Null);
        };
        let mut xs = Vec::with_capacity(left.len());
        for e in left {
            xs.push(eval(e, row, cx)?);
        }
        return Ok(row_compare(*op, &xs, r));
    }
    if let SubqueryKind::Quantified { left, op, all } = &s.kind {
        let rows = run_subquery(s, row, cx)?;
        if rows.is_empty() {
            return Ok(Value::Bool(*all));
        }
        let x = eval(left, row, cx)?;
        return Ok(quantified(
            *op,
            *all,
            &x,
            rows.iter().map(|r| r.first().unwrap_or(&Value::Null)),
        ));
    }
    let rows = run_subquery(s, row, cx)?;
    Ok(match &s.kind {
        SubqueryKind::Exists => Value::Bool(!rows.is_empty()),
        SubqueryKind::Scalar => {
            if rows.len() > 1 {
                return Err(SqlError::new(
                    "21000",
                    "more than one row returned by a subquery used as an expression",
                ));
            }
            rows.first()
                .and_then(|r| r.first().cloned())
                .unwrap_or(Value::Null)
        }
        SubqueryKind::Array(elem) => {
            let items = rows
                .iter()
                .map(|r| r.first().cloned().unwrap_or(Value::Null))
                .collect();
            match elem {
                DataType::Array(inner) => array::array_of_arrays((**inner).clone(), items)?,
                _ => Value::array(elem.clone(), items),
            }
        }
        SubqueryKind::Quantified { .. }
        | SubqueryKind::RowQuantified { .. }
        | SubqueryKind::RowCompare { .. } => Value::Null,
    })
}

/// `xs op ys` for rows, as PostgreSQL compares row constructors: `=` is true when every pair
/// is equal, false when one pair differs, else NULL (`<>` the opposite); the ordering
/// operators decide by the first pair that is not equal, NULL if a NULL comes first.
fn row_compare(op: CmpOp, xs: &[Value], ys: &[Value]) -> Value {
    match op {
        CmpOp::Eq | CmpOp::Ne => {
            let mut eq = Some(true);
            for (x, y) in xs.iter().zip(ys) {
                match truth(&cmp_values(CmpOp::Eq, x, y)) {
                    None => eq = eq.and(None),
                    Some(false) => {
                        eq = Some(false);
                        break;
                    }
                    Some(true) => {}
                }
            }
            match (op, eq) {
                (_, None) => Value::Null,
                (CmpOp::Ne, Some(b)) => Value::Bool(!b),
                (_, Some(b)) => Value::Bool(b),
            }
        }
        _ => {
            for (x, y) in xs.iter().zip(ys) {
                match truth(&cmp_values(CmpOp::Eq, x, y)) {
                    None => return Value::Null,
                    Some(true) => {}
                    Some(false) => return cmp_values(op, x, y),
                }
            }
            Value::Bool(matches!(op, CmpOp::Le | CmpOp::Ge))
        }
    }
}

/// A context for evaluating constant expressions at bind time.
pub fn const_context(types: &TypeContext) -> EvalContext {
    EvalContext {
        types: *types,
        transaction_start: types.now.unwrap_or(0),
        statement_start: std::cell::Cell::new(Some(types.now.unwrap_or(0))),
        prng: None,
        interrupt: None,
    }
}
