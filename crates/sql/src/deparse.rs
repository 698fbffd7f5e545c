//! Bound expressions printed back as SQL for EXPLAIN, in PostgreSQL's style: every operator
//! in parentheses (`(a = 1)`, `((a > 1) AND (b < 2))`), constants other than integers and
//! plain numerics as typed literals (`'x'::text`), parameters as `$n`.
//!
//! Column references are named from the names of the node's input columns when EXPLAIN
//! knows them (table columns, join inputs); otherwise they print as `$column<n>`. Binding
//! has already resolved functions and folded constants, so the text is what runs, not what
//! was written (as PostgreSQL's EXPLAIN shows the planned expression too). Expression kinds
//! without a textual form here print as `...`.

use basalt_common::types::{TypeContext, Value, format_text};

use crate::expr::Expr;

/// `e` as EXPLAIN prints it, with `cols` naming the input columns.
pub fn expr_text(e: &Expr, cols: &[String]) -> String {
    expr_text_outer(e, cols, &[])
}

/// [`expr_text`] where the enclosing row (the outer side of a nested loop) has the columns
/// `outer`.
pub fn expr_text_outer(e: &Expr, cols: &[String], outer: &[String]) -> String {
    let mut out = String::new();
    write_expr(&mut out, e, &Cols { inner: cols, outer });
    out
}

/// Column names: the input row's and the enclosing row's.
struct Cols<'a> {
    inner: &'a [String],
    outer: &'a [String],
}

use crate::binder::cmp_symbol;

fn arith_symbol(op: basalt_common::types::arith::ArithOp) -> &'static str {
    use basalt_common::types::arith::ArithOp as A;
    match op {
        A::Add => "+",
        A::Sub => "-",
        A::Mul => "*",
        A::Div => "/",
        A::Mod => "%",
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A constant as PostgreSQL's ruleutils prints it.
fn write_const(out: &mut String, v: &Value) {
    let ctx = TypeContext::default();
    match v {
        Value::Null => out.push_str("NULL"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int4(i) => {
            if *i < 0 {
                out.push_str(&format!("'{i}'::integer"));
            } else {
                out.push_str(&i.to_string());
            }
        }
        Value::Numeric(_) => {
            let t = format_text(v, &ctx).unwrap_or_default();
            if t.starts_with(|c: char| c.is_ascii_digit()) {
                out.push_str(&t);
            } else {
                out.push_str(&format!("'{t}'::numeric"));
            }
        }
        other => {
            let t = format_text(other, &ctx).unwrap_or_default();
            let ty = other
                .data_type()
                .map_or_else(|| "unknown".to_string(), |t| t.format_type());
            out.push_str(&quote(&t));
            out.push_str("::");
            out.push_str(&ty);
        }
    }
}

/// `SomeName` → `some_name` (function names from the registry's variant names).
fn snake(name: &str) -> String {
    let mut s = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                s.push('_');
            }
            s.push(c.to_ascii_lowercase());
        } else {
            s.push(c);
        }
    }
    s
}

fn func_name(f: &basalt_func::Func) -> String {
    // `String(Upper)` → `upper`.
    let dbg = format!("{f:?}");
    let inner = dbg
        .split_once('(')
        .map_or(dbg.as_str(), |(_, r)| r.trim_end_matches(')'));
    let inner = inner.split(['(', ' ', '{']).next().unwrap_or(inner);
    snake(inner)
}

fn write_list(out: &mut String, items: &[Expr], cols: &Cols<'_>) {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_expr(out, e, cols);
    }
}

/// A column as shown: quoted when needed; qualified (`t.a`) and expression names
/// (`count(*)`) are already as shown.
pub fn column_name(n: &str) -> String {
    if n.contains(['.', '(']) {
        n.to_string()
    } else {
        crate::parse::quote_identifier(n)
    }
}

/// `(a op b)`.
fn infix(out: &mut String, a: &Expr, op: &str, b: &Expr, cols: &Cols<'_>) {
    out.push('(');
    write_expr(out, a, cols);
    out.push(' ');
    out.push_str(op);
    out.push(' ');
    write_expr(out, b, cols);
    out.push(')');
}

/// `(a test)`.
fn postfix(out: &mut String, a: &Expr, test: &str, cols: &Cols<'_>) {
    out.push('(');
    write_expr(out, a, cols);
    out.push(' ');
    out.push_str(test);
    out.push(')');
}

/// `(a)::type`.
fn cast(out: &mut String, a: &Expr, ty: &str, cols: &Cols<'_>) {
    out.push('(');
    write_expr(out, a, cols);
    out.push_str(")::");
    out.push_str(ty);
}

fn write_expr(out: &mut String, e: &Expr, cols: &Cols<'_>) {
    match e {
        Expr::Const(v) => write_const(out, v),
        Expr::Outer { depth: 1, index } if *index < cols.outer.len() => {
            out.push_str(&cols.outer[*index]);
        }
        Expr::Column(i) => match cols.inner.get(*i) {
            Some(n) => out.push_str(&column_name(n)),
            None => out.push_str(&format!("$column{}", i + 1)),
        },
        Expr::Param(i) => out.push_str(&format!("${}", i + 1)),
        Expr::And(a, b) => infix(out, a, "AND", b, cols),
        Expr::Or(a, b) => infix(out, a, "OR", b, cols),
        Expr::Not(a) => {
            out.push_str("(NOT ");
            write_expr(out, a, cols);
            out.push(')');
        }
        Expr::IsNull(a, negated) => {
            postfix(
                out,
                a,
                if *negated { "IS NOT NULL" } else { "IS NULL" },
                cols,
            );
        }
        Expr::BoolTest(a, t) => postfix(out, a, t.sql(), cols),
        Expr::Cmp(op, a, b) => infix(out, a, cmp_symbol(*op), b, cols),
        Expr::Distinct(a, b, not) => {
            let op = if *not {
                "IS NOT DISTINCT FROM"
            } else {
                "IS DISTINCT FROM"
            };
            infix(out, a, op, b, cols);
        }
        Expr::Arith(op, a, b) => infix(out, a, arith_symbol(*op), b, cols),
        Expr::Neg(a) => {
            out.push_str("(- ");
            write_expr(out, a, cols);
            out.push(')');
        }
        Expr::Cast(a, ty, _) => cast(out, a, &ty.format_type(), cols),
        Expr::RegCast { arg, kind, .. } => cast(out, arg, kind.name(), cols),
        // The cross-type comparison's operand is shown as written (PostgreSQL compares
        // with a cross-type operator, no conversion in the plan).
        Expr::Func {
            func:
                basalt_func::Func::DateTime(
                    basalt_func::datetime::DateTimeFunc::DateForComparison(_)
                    | basalt_func::datetime::DateTimeFunc::TimestampForComparison,
                ),
            args,
            ..
        } if args.len() == 1 => write_expr(out, &args[0], cols),
        Expr::Func { func, args, .. }
            if args.len() == 2
                && let Some(op) = basalt_func::operator_symbol(*func) =>
        {
            infix(out, &args[0], op, &args[1], cols);
        }
        Expr::Func { func, args, .. } => {
            out.push_str(&func_name(func));
            out.push('(');
            write_list(out, args, cols);
            out.push(')');
        }
        Expr::Case { whens, otherwise } => {
            out.push_str("CASE");
            for (w, t) in whens {
                out.push_str(" WHEN ");
                write_expr(out, w, cols);
                out.push_str(" THEN ");
                write_expr(out, t, cols);
            }
            if !matches!(**otherwise, Expr::Const(Value::Null)) {
                out.push_str(" ELSE ");
                write_expr(out, otherwise, cols);
            }
            out.push_str(" END");
        }
        Expr::Coalesce(items) => {
            out.push_str("COALESCE(");
            write_list(out, items, cols);
            out.push(')');
        }
        Expr::NullIf(a, b) => {
            out.push_str("NULLIF(");
            write_expr(out, a, cols);
            out.push_str(", ");
            write_expr(out, b, cols);
            out.push(')');
        }
        Expr::MinMax(items, greatest) => {
            out.push_str(if *greatest { "GREATEST(" } else { "LEAST(" });
            write_list(out, items, cols);
            out.push(')');
        }
        Expr::InList(a, items, negated) => {
            // PostgreSQL prints IN lists as `= ANY ('{...}')`; the list form reads better
            // and names the same rows.
            out.push('(');
            write_expr(out, a, cols);
            out.push_str(if *negated { " NOT IN (" } else { " IN (" });
            write_list(out, items, cols);
            out.push_str("))");
        }
        Expr::ArrayCmp {
            left,
            op,
            right,
            all,
        } => {
            out.push('(');
            write_expr(out, left, cols);
            out.push(' ');
            out.push_str(cmp_symbol(*op));
            out.push_str(if *all { " ALL (" } else { " ANY (" });
            write_expr(out, right, cols);
            out.push_str("))");
        }
        Expr::Array(items, _) => {
            out.push_str("ARRAY[");
            write_list(out, items, cols);
            out.push(']');
        }
        Expr::Subquery(_) => out.push_str("(SubPlan)"),
        _ => out.push_str("..."),
    }
}

/// The names of a table's columns.
pub fn table_columns(catalog: &crate::catalog::Catalog, table: u32) -> Vec<String> {
    catalog
        .tables
        .get(&table)
        .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default()
}

/// The names of a plan node's output columns, where EXPLAIN can tell them.
/// With `qualify`, table columns are named `table.column` (in plans that read several
/// tables, as PostgreSQL does).
pub fn plan_columns(
    plan: &crate::plan::Plan,
    catalog: &crate::catalog::Catalog,
    qualify: bool,
) -> Vec<String> {
    use crate::plan::{JoinKind, Plan};
    match plan {
        Plan::Scan {
            table, name, alias, ..
        } => {
            let cols = table_columns(catalog, *table);
            if qualify {
                let q = alias.as_deref().unwrap_or(name);
                cols.into_iter().map(|c| format!("{q}.{c}")).collect()
            } else {
                cols
            }
        }
        Plan::Join {
            kind, left, right, ..
        } => {
            let mut l = plan_columns(left, catalog, qualify);
            if !matches!(kind, JoinKind::Semi | JoinKind::Anti) {
                l.extend(plan_columns(right, catalog, qualify));
            }
            l
        }
        Plan::Filter { input, .. }
        | Plan::Sort { input, .. }
        | Plan::Limit { input, .. }
        | Plan::Distinct { input, .. } => plan_columns(input, catalog, qualify),
        Plan::Project { input, exprs } => {
            let names = plan_columns(input, catalog, qualify);
            exprs
                .iter()
                .map(|e| match e {
                    Expr::Column(i) => names.get(*i).cloned().unwrap_or_default(),
                    other => expr_text(other, &names),
                })
                .collect()
        }
        Plan::Aggregate {
            input,
            groups,
            aggs,
            ..
        } => {
            let names = plan_columns(input, catalog, qualify);
            let mut out: Vec<String> = groups.iter().map(|g| expr_text(g, &names)).collect();
            for a in aggs {
                let mut t = snake(&format!("{:?}", a.func.func));
                t = t
                    .split(['(', ' ', '{'])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                if t == "count_star" {
                    t = "count".into();
                }
                t.push('(');
                if a.args.is_empty() {
                    t.push('*');
                } else {
                    if a.distinct {
                        t.push_str("DISTINCT ");
                    }
                    let mut s = String::new();
                    let c = Cols {
                        inner: &names,
                        outer: &[],
                    };
                    write_list(&mut s, &a.args, &c);
                    t.push_str(&s);
                }
                t.push(')');
                out.push(t);
            }
            out
        }
        _ => Vec::new(),
    }
}

/// Whether a plan reads more than one relation (its columns are then shown qualified).
pub fn joins(plan: &crate::plan::Plan) -> bool {
    use crate::plan::Plan;
    match plan {
        Plan::Join { .. } => true,
        Plan::Filter { input, .. }
        | Plan::Sort { input, .. }
        | Plan::Limit { input, .. }
        | Plan::Distinct { input, .. }
        | Plan::Project { input, .. }
        | Plan::Aggregate { input, .. }
        | Plan::Window { input, .. }
        | Plan::ProjectSet { input, .. } => joins(input),
        _ => false,
    }
}

/// The conjuncts of `e` not among `shown` (already printed as a key or hash condition), as
/// one condition: `None` when nothing is left.
pub fn residual(e: &Expr, cols: &[String], shown: &[String]) -> Option<String> {
    let mut parts = Vec::new();
    crate::optimizer::conjuncts(e.clone(), &mut parts);
    let rest: Vec<String> = parts
        .iter()
        .map(|p| expr_text(p, cols))
        .filter(|t| !shown.contains(t))
        .collect();
    conjunction(&rest)
}

/// Conditions joined with AND as one (parenthesized when several); `None` for none.
pub fn conjunction(conds: &[String]) -> Option<String> {
    match conds {
        [] => None,
        [one] => Some(one.clone()),
        _ => Some(format!("({})", conds.join(" AND "))),
    }
}
