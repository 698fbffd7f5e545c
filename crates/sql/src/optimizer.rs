//! Rule-based plan rewrites and EXPLAIN output.
//!
//! Rules applied bottom-up:
//!
//! - **Filter into scan**: a `Filter` directly over a `Scan` becomes the scan's own filter
//!   (evaluated on each decoded row, before it leaves the scan).
//! - **Push-down through inner joins**: conjuncts of a filter above an inner join that read only
//!   one side move to that side.
//! - **Access path**: a scan whose filter fixes every primary-key column with `column =
//!   constant-or-parameter` becomes a primary-key lookup; otherwise equality on the leading
//!   columns of an index becomes an index lookup (the full filter is still applied, so the
//!   rewrite never changes results).
//! - **EXISTS to semi-join**: a WHERE conjunct `[NOT] EXISTS (SELECT ... FROM t WHERE ...)`
//!   or `x IN (SELECT ...)` correlated only through its WHERE becomes a semi- (anti-) join of the filtered rows with
//!   `t`, hashed on the `outer = inner` equalities, so `t` is read once instead of once per
//!   row (PostgreSQL's EXISTS pull-up).

use crate::binder::Query;
use crate::catalog::{Catalog, IndexKey};
use crate::expr::{CmpOp, Expr, SubqueryKind};
use crate::plan::{Access, JoinKind, Plan};

/// Optimizes a bound query.
pub fn optimize_query(q: Query, catalog: &Catalog) -> Query {
    let plan = optimize(q.plan, catalog);
    let all = vec![true; plan.width()];
    Query {
        plan: prune_outputs(plan, &all),
        names: q.names,
        types: q.types,
    }
}

/// Optimizes a subquery's plan (one inside an expression): as [`optimize_query`], so that
/// the columns of views and subqueries in its FROM that it does not read are not computed
/// either (`EXISTS (SELECT 1 FROM v)` evaluates none of `v`'s select list).
pub fn optimize_subquery(plan: Plan, catalog: &Catalog) -> Plan {
    let plan = optimize(plan, catalog);
    let all = vec![true; plan.width()];
    prune_outputs(plan, &all)
}

/// Marks in `need` the input columns `e` reads; false if that cannot be told (a subquery
/// may read the row through an outer reference), when every column counts as read.
fn mark_columns(e: &Expr, need: &mut [bool]) -> bool {
    if e.any(&|x| matches!(x, Expr::Subquery(_))) {
        return false;
    }
    let mut cols = Vec::new();
    e.columns(&mut cols);
    for c in cols {
        match need.get_mut(c) {
            Some(n) => *n = true,
            None => return false,
        }
    }
    true
}

/// `need` with the columns `exprs` read marked; every column when that cannot be told.
fn needed(mut need: Vec<bool>, exprs: &mut dyn Iterator<Item = &Expr>) -> Vec<bool> {
    for e in exprs {
        if !mark_columns(e, &mut need) {
            need.fill(true);
            break;
        }
    }
    need
}

/// Whether a condition is a constant false or NULL.
fn never_true(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Const(basalt_common::types::Value::Bool(false) | basalt_common::types::Value::Null)
    )
}

/// Whether an output expression nothing reads may be left uncomputed: no side effect (a
/// sequence, a volatile or SQL-language function) and nothing that changes the row count.
fn skippable(e: &Expr) -> bool {
    !volatile(e)
        && !e.any(&|x| {
            matches!(
                x,
                Expr::SqlFunc(_) | Expr::Srf(_) | Expr::Agg(_) | Expr::Window(_)
            )
        })
}

/// Leaves uncomputed (NULL) the output columns of subqueries and views that nothing above
/// reads, as PostgreSQL's planner removes unused subquery outputs: `SELECT count(*) FROM v`
/// does not evaluate `v`'s select list, nor fail on a division by zero in it. `req` says
/// which of `plan`'s output columns are read; widths never change, so no column is
/// renumbered. Inputs of nodes whose result depends on every column (DISTINCT, set
/// operations, aggregation, windows) keep all their columns.
fn prune_outputs(plan: Plan, req: &[bool]) -> Plan {
    let all = |p: &Plan| vec![true; p.width()];
    // The input columns `req` (the node's own outputs, which are its input's) and `exprs` read.
    let passing = |input: &Plan, exprs: &mut dyn Iterator<Item = &Expr>| {
        let mut need = req.to_vec();
        need.resize(input.width(), true);
        needed(need, exprs)
    };
    match plan {
        Plan::Project { input, exprs } => {
            let exprs: Vec<Expr> = exprs
                .into_iter()
                .enumerate()
                .map(|(i, e)| {
                    if req.get(i).copied().unwrap_or(true) || !skippable(&e) {
                        e
                    } else {
                        Expr::Const(basalt_common::types::Value::Null)
                    }
                })
                .collect();
            let need = needed(vec![false; input.width()], &mut exprs.iter());
            Plan::Project {
                input: Box::new(prune_outputs(*input, &need)),
                exprs,
            }
        }
        // A condition folded to false or NULL: no rows, and nothing below runs (PostgreSQL's
        // One-Time Filter: false), so nothing there can fail either.
        Plan::Filter { input, pred } if never_true(&pred) => Plan::Empty {
            width: input.width(),
        },
        Plan::Join {
            kind: kind @ (JoinKind::Inner | JoinKind::Semi),
            left,
            right,
            on: Some(on),
            ..
        } if never_true(&on) => Plan::Empty {
            width: match kind {
                JoinKind::Semi => left.width(),
                _ => left.width() + right.width(),
            },
        },
        Plan::Filter { input, pred } => {
            let need = passing(&input, &mut std::iter::once(&pred));
            Plan::Filter {
                input: Box::new(prune_outputs(*input, &need)),
                pred,
            }
        }
        Plan::Sort { input, keys } => {
            let need = passing(&input, &mut keys.iter().map(|k| &k.expr));
            Plan::Sort {
                input: Box::new(prune_outputs(*input, &need)),
                keys,
            }
        }
        Plan::Limit {
            input,
            limit,
            offset,
            ties,
        } => {
            let need = passing(&input, &mut ties.iter().map(|k| &k.expr));
            Plan::Limit {
                input: Box::new(prune_outputs(*input, &need)),
                limit,
                offset,
                ties,
            }
        }
        Plan::Join {
            kind,
            left,
            right,
            on,
            hash_keys,
            lateral,
        } => {
            let (lw, rw) = (left.width(), right.width());
            let mut need = vec![false; lw + rw];
            for (n, r) in need.iter_mut().zip(req) {
                *n = *r;
            }
            let mut known = on.as_ref().is_none_or(|e| mark_columns(e, &mut need));
            let (ln, rn) = need.split_at_mut(lw);
            for (l, r) in &hash_keys {
                known &= mark_columns(l, ln) && mark_columns(r, rn);
            }
            if !known {
                need.fill(true);
            }
            if lateral {
                // The right side reads the left row as its outer row.
                need[..lw].fill(true);
            }
            let (ln, rn) = need.split_at(lw);
            Plan::Join {
                kind,
                left: Box::new(prune_outputs(*left, ln)),
                right: Box::new(prune_outputs(*right, rn)),
                on,
                hash_keys,
                lateral,
            }
        }
        Plan::Aggregate {
            input,
            groups,
            aggs,
            sets,
            grouping,
        } => {
            // The input columns the groups and the calls read (`count(*)` reads none).
            let need = needed(
                vec![false; input.width()],
                &mut groups.iter().chain(aggs.iter().flat_map(|a| {
                    a.args
                        .iter()
                        .chain(&a.filter)
                        .chain(a.order_by.iter().map(|k| &k.expr))
                })),
            );
            Plan::Aggregate {
                input: Box::new(prune_outputs(*input, &need)),
                groups,
                aggs,
                sets,
                grouping,
            }
        }
        Plan::Window { input, calls } => {
            let need = all(&input);
            Plan::Window {
                input: Box::new(prune_outputs(*input, &need)),
                calls,
            }
        }
        Plan::Distinct { input, on } => {
            let need = all(&input);
            Plan::Distinct {
                input: Box::new(prune_outputs(*input, &need)),
                on,
            }
        }
        Plan::SetOp {
            op,
            all: is_all,
            left,
            right,
        } => {
            let (ln, rn) = (all(&left), all(&right));
            Plan::SetOp {
                op,
                all: is_all,
                left: Box::new(prune_outputs(*left, &ln)),
                right: Box::new(prune_outputs(*right, &rn)),
            }
        }
        Plan::ProjectSet { input, calls } => {
            let need = all(&input);
            Plan::ProjectSet {
                input: Box::new(prune_outputs(*input, &need)),
                calls,
            }
        }
        Plan::With { ctes, input } => {
            let need = passing(&input, &mut std::iter::empty());
            Plan::With {
                ctes,
                input: Box::new(prune_outputs(*input, &need)),
            }
        }
        other => other,
    }
}

/// Splits an AND tree into its conjuncts.
pub fn conjuncts(e: Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::And(a, b) => {
            conjuncts(*a, out);
            conjuncts(*b, out);
        }
        e => out.push(e),
    }
}

fn and_all(v: Vec<Expr>) -> Option<Expr> {
    v.into_iter()
        .reduce(|a, b| Expr::And(Box::new(a), Box::new(b)))
}

/// Whether an expression can be evaluated without a row (constants, parameters, outer refs).
fn row_free(e: &Expr) -> bool {
    !e.any(&|x| {
        matches!(
            x,
            Expr::Column(_)
                | Expr::Subquery(_)
                | Expr::Sequence(..)
                | Expr::Agg(_)
                | Expr::Grouping(..)
                | Expr::Window(_)
                | Expr::Srf(_)
        )
    })
}

fn reads_only(e: &Expr, lo: usize, hi: usize) -> bool {
    let mut cols = Vec::new();
    e.columns(&mut cols);
    !e.any(&|x| matches!(x, Expr::Subquery(_) | Expr::Sequence(..)))
        && cols.iter().all(|c| *c >= lo && *c < hi)
}

fn shift_down(e: Expr, by: usize) -> Expr {
    e.rewrite(&mut |x| {
        Ok(match x {
            Expr::Column(i) => Expr::Column(i - by),
            x => x,
        })
    })
    .unwrap_or(Expr::Const(basalt_common::types::Value::Null))
}

/// Optimizes a plan.
pub fn optimize(plan: Plan, catalog: &Catalog) -> Plan {
    match plan {
        Plan::Filter { input, pred } => {
            let (input, pred) = having_to_where(*input, pred);
            let Some(pred) = pred else {
                return optimize(input, catalog);
            };
            // Conditions that read no row are checked once, before the input runs (as
            // PostgreSQL's gating One-Time Filter), so a false one skips the input entirely.
            let mut parts = Vec::new();
            conjuncts(pred, &mut parts);
            let (gate, rest): (Vec<Expr>, Vec<Expr>) = parts.into_iter().partition(pseudo_constant);
            let lw = input.width();
            let mut semis = Vec::new();
            let rest: Vec<Expr> = rest
                .into_iter()
                .filter_map(|p| match semi_join_of(&p, lw) {
                    Some(s) => {
                        semis.push(s);
                        None
                    }
                    None => Some(p),
                })
                .collect();
            let mut inner = match and_all(rest) {
                Some(pred) if reorderable(&input) => reorder_joins(input, Some(pred), catalog),
                Some(pred) => push_filter(optimize(input, catalog), pred, catalog),
                None => optimize(input, catalog),
            };
            for s in semis {
                inner = Plan::Join {
                    kind: s.kind,
                    left: Box::new(inner),
                    right: Box::new(optimize(s.right, catalog)),
                    on: and_all(s.on),
                    hash_keys: s.keys,
                    lateral: false,
                };
            }
            match and_all(gate) {
                Some(pred) => Plan::Filter {
                    input: Box::new(inner),
                    pred,
                },
                None => inner,
            }
        }
        join @ Plan::Join { .. } if reorderable(&join) => reorder_joins(join, None, catalog),
        Plan::Project { input, exprs } => Plan::Project {
            input: Box::new(optimize(*input, catalog)),
            exprs,
        },
        Plan::Join {
            kind,
            left,
            right,
            on,
            hash_keys,
            lateral,
        } => index_nested_loop(
            Plan::Join {
                kind,
                left: Box::new(optimize(*left, catalog)),
                right: Box::new(optimize(*right, catalog)),
                on,
                hash_keys,
                lateral,
            },
            catalog,
        ),
        Plan::Aggregate {
            input,
            groups,
            aggs,
            sets,
            grouping,
        } => Plan::Aggregate {
            input: Box::new(optimize(*input, catalog)),
            groups,
            aggs,
            sets,
            grouping,
        },
        Plan::Window { input, calls } => Plan::Window {
            input: Box::new(optimize(*input, catalog)),
            calls,
        },
        Plan::ProjectSet { input, calls } => Plan::ProjectSet {
            input: Box::new(optimize(*input, catalog)),
            calls,
        },
        Plan::Sort { input, keys } => Plan::Sort {
            input: Box::new(optimize(*input, catalog)),
            keys,
        },
        Plan::Limit {
            input,
            limit,
            offset,
            ties,
        } => Plan::Limit {
            input: Box::new(optimize(*input, catalog)),
            limit,
            offset,
            ties,
        },
        Plan::Distinct { input, on } => Plan::Distinct {
            input: Box::new(optimize(*input, catalog)),
            on,
        },
        Plan::SetOp {
            op,
            all,
            left,
            right,
        } => Plan::SetOp {
            op,
            all,
            left: Box::new(optimize(*left, catalog)),
            right: Box::new(optimize(*right, catalog)),
        },
        Plan::With { ctes, input } => Plan::With {
            ctes: ctes
                .into_iter()
                .map(|mut c| {
                    c.plan = optimize(c.plan, catalog);
                    c.recursive = c.recursive.map(|(p, a)| (optimize(p, catalog), a));
                    c
                })
                .collect(),
            input: Box::new(optimize(*input, catalog)),
        },
        p => p,
    }
}

/// A WHERE conjunct `[NOT] EXISTS (subquery)` or `x IN (subquery)` as the right side of a semi- (anti-) join.
struct SemiJoin {
    kind: JoinKind,
    right: Plan,
    keys: Vec<(Expr, Expr)>,
    on: Vec<Expr>,
}

/// Recognizes `[NOT] EXISTS (SELECT ... FROM t WHERE ...)` or `x IN (SELECT ...)` over the
/// rows of width `lw` (`x = output` is then one more key), where
/// the subquery reads one table and the enclosing row only in its WHERE (at depth 1, no
/// volatile call, no nested subquery). Its `outer = inner` conjuncts become hash keys, other
/// correlated ones the join condition (over the outer row followed by `t`'s row), the rest a
/// filter on `t`. As a WHERE conjunct only truth matters, so the join keeps exactly the rows
/// the subquery test keeps (a NULL key matches nothing, as `=` with NULL is never true).
fn semi_join_of(p: &Expr, lw: usize) -> Option<SemiJoin> {
    let (sub, negated) = match p {
        Expr::Subquery(s) => (s, false),
        Expr::Not(e) => match &**e {
            Expr::Subquery(s) => (s, true),
            _ => return None,
        },
        _ => return None,
    };
    if !sub.correlated || sub.outer_map.is_some() {
        return None;
    }
    // `x IN (subquery)` is a semi-join on `x = output`; NOT IN is not (NULL semantics).
    let (kind, in_left) = match (&sub.kind, negated) {
        (SubqueryKind::Exists, false) => (JoinKind::Semi, None),
        (SubqueryKind::Exists, true) => (JoinKind::Anti, None),
        (
            SubqueryKind::Quantified {
                left,
                op: CmpOp::Eq,
                all: false,
            },
            false,
        ) => (JoinKind::Semi, Some(&**left)),
        _ => return None,
    };
    // The IN subquery's output column, followed down through its projections.
    let mut value = in_left.map(|_| Expr::Column(0));
    let mut plan = &sub.plan;
    while let Plan::Project { input, exprs } = plan {
        if let Some(v) = value.take() {
            let mut cols = Vec::new();
            v.columns(&mut cols);
            if cols.iter().any(|c| *c >= exprs.len()) {
                return None;
            }
            value = Some(
                v.rewrite(&mut |x| {
                    Ok(match x {
                        Expr::Column(k) => exprs[k].clone(),
                        x => x,
                    })
                })
                .ok()?,
            );
        }
        plan = input;
    }
    let mut parts = Vec::new();
    while let Plan::Filter { input, pred } = plan {
        conjuncts(pred.clone(), &mut parts);
        plan = input;
    }
    let Plan::Scan {
        table,
        name,
        alias,
        width,
        // Any access path keeps the whole filter, so the table's rows are the filtered ones.
        access: _,
        filter,
        emit_key: false,
        lock: None,
    } = plan
    else {
        return None;
    };
    if let Some(f) = filter {
        conjuncts(f.clone(), &mut parts);
    }
    let is_outer = |x: &Expr| matches!(x, Expr::Outer { .. });
    let unsupported = |e: &Expr| {
        volatile(e)
            || e.any(&|x| match x {
                Expr::Outer { depth, index } => *depth != 1 || *index >= lw,
                Expr::Subquery(_)
                | Expr::Agg(_)
                | Expr::Window(_)
                | Expr::Srf(_)
                | Expr::Grouping(..) => true,
                _ => false,
            })
    };
    let outer_only = |e: &Expr| {
        let mut cols = Vec::new();
        e.columns(&mut cols);
        cols.is_empty() && e.any(&is_outer)
    };
    let inner_only = |e: &Expr| !e.any(&is_outer) && !row_free(e);
    let to_joined = |e: Expr| {
        e.rewrite(&mut |x| {
            Ok(match x {
                Expr::Column(j) => Expr::Column(lw + j),
                Expr::Outer { index, .. } => Expr::Column(index),
                x => x,
            })
        })
        .ok()
    };
    let (mut filters, mut keys, mut on) = (Vec::new(), Vec::new(), Vec::new());
    if let (Some(left), Some(value)) = (in_left, value) {
        if unsupported(left) || left.any(&is_outer) || unsupported(&value) || value.any(&is_outer) {
            return None;
        }
        keys.push((left.clone(), value));
    }
    for p in parts {
        if unsupported(&p) {
            return None;
        }
        if !p.any(&is_outer) {
            filters.push(p);
            continue;
        }
        if let Expr::Cmp(CmpOp::Eq, a, b) = &p {
            let pair = if outer_only(a) && inner_only(b) {
                Some((a, b))
            } else if outer_only(b) && inner_only(a) {
                Some((b, a))
            } else {
                None
            };
            if let Some((o, i)) = pair {
                keys.push((to_joined((**o).clone())?, (**i).clone()));
                continue;
            }
        }
        on.push(to_joined(p)?);
    }
    let scan = Plan::Scan {
        table: *table,
        name: name.clone(),
        alias: alias.clone(),
        width: *width,
        access: Access::Full,
        filter: None,
        emit_key: false,
        lock: None,
    };
    let right = match and_all(filters) {
        Some(pred) => Plan::Filter {
            input: Box::new(scan),
            pred,
        },
        None => scan,
    };
    Some(SemiJoin {
        kind,
        right,
        keys,
        on,
    })
}

/// Whether an expression calls something volatile (so evaluating it twice may differ).
pub(crate) fn volatile(e: &Expr) -> bool {
    use basalt_func::Func;
    e.any(&|x| match x {
        Expr::Sequence(..) => true,
        Expr::Func { func, .. } => matches!(
            func,
            Func::Math(
                basalt_func::math::MathFunc::Random | basalt_func::math::MathFunc::GenRandomUuid
            ) | Func::DateTime(basalt_func::datetime::DateTimeFunc::ClockTimestamp)
        ),
        _ => false,
    })
}

/// HAVING conditions on a GROUP BY (without grouping sets) that read only group keys, with no
/// aggregate, subquery or volatile call, move below the aggregation as WHERE conditions on the
/// grouped expressions, as PostgreSQL's planner moves them: they then filter rows before
/// grouping. Returns the plan and the conditions left for HAVING.
fn having_to_where(input: Plan, pred: Expr) -> (Plan, Option<Expr>) {
    let Plan::Aggregate {
        input: rows,
        groups,
        aggs,
        sets,
        grouping,
    } = input
    else {
        return (input, Some(pred));
    };
    let mut parts = Vec::new();
    conjuncts(pred, &mut parts);
    let movable = |p: &Expr| {
        if !sets.is_empty() || groups.is_empty() {
            return false;
        }
        let mut cols = Vec::new();
        p.columns(&mut cols);
        cols.iter().all(|c| {
            groups
                .get(*c)
                .is_some_and(|g| !volatile(g) && !g.any(&|x| matches!(x, Expr::Subquery(_))))
        }) && !volatile(p)
            && !p.any(&|x| {
                matches!(
                    x,
                    Expr::Subquery(_)
                        | Expr::Agg(_)
                        | Expr::Window(_)
                        | Expr::Srf(_)
                        | Expr::Grouping(..)
                )
            })
    };
    let (moved, kept): (Vec<Expr>, Vec<Expr>) = parts.into_iter().partition(|p| movable(p));
    let moved: Vec<Expr> = moved
        .into_iter()
        .map(|p| {
            p.rewrite(&mut |x| {
                Ok(match x {
                    Expr::Column(i) => groups.get(i).cloned().unwrap_or(Expr::Column(i)),
                    x => x,
                })
            })
            .unwrap_or(Expr::Const(basalt_common::types::Value::Null))
        })
        .collect();
    let rows = match and_all(moved) {
        Some(pred) => Box::new(Plan::Filter { input: rows, pred }),
        None => rows,
    };
    (
        Plan::Aggregate {
            input: rows,
            groups,
            aggs,
            sets,
            grouping,
        },
        and_all(kept),
    )
}

/// Whether a condition reads nothing of the row it filters and gives the same value each time
/// (PostgreSQL's pseudoconstant quals): no columns, uncorrelated subqueries only, nothing
/// volatile.
pub fn pseudo_constant(e: &Expr) -> bool {
    use basalt_func::Func;
    !matches!(e, Expr::Const(_))
        && !e.any(&|x| match x {
            Expr::Column(_)
            | Expr::Sequence(..)
            | Expr::Agg(_)
            | Expr::Window(_)
            | Expr::Srf(_)
            | Expr::Grouping(..) => true,
            Expr::Subquery(s) => s.correlated,
            Expr::Func { func, .. } => matches!(
                func,
                Func::Math(
                    basalt_func::math::MathFunc::Random
                        | basalt_func::math::MathFunc::GenRandomUuid
                ) | Func::DateTime(basalt_func::datetime::DateTimeFunc::ClockTimestamp)
            ),
            _ => false,
        })
}

/// Inner joins of at least this many relations are put in a greedy join order.
const REORDER_MIN_RELATIONS: usize = 3;

/// The relations of a tree of plain inner joins (nested ones included), or 0 when `plan` is
/// not such a join.
fn inner_relations(plan: &Plan) -> usize {
    match plan {
        Plan::Join {
            kind: JoinKind::Inner,
            left,
            right,
            hash_keys,
            lateral: false,
            ..
        } if hash_keys.is_empty() => inner_relations(left).max(1) + inner_relations(right).max(1),
        _ => 0,
    }
}

/// Whether `plan` is an inner-join tree worth reordering: enough relations and no scan that
/// emits row keys or locks rows (UPDATE / DELETE / FOR UPDATE keep the order they were
/// written in).
fn reorderable(plan: &Plan) -> bool {
    fn plain_leaves(plan: &Plan) -> bool {
        match plan {
            Plan::Join {
                kind: JoinKind::Inner,
                left,
                right,
                lateral: false,
                ..
            } => plain_leaves(left) && plain_leaves(right),
            Plan::Scan { emit_key, lock, .. } => !emit_key && lock.is_none(),
            _ => true,
        }
    }
    inner_relations(plan) >= REORDER_MIN_RELATIONS && plain_leaves(plan)
}

/// Splits an inner-join tree into its relations (with the offset of their first column in the
/// tree's row) and the conjuncts of its ON conditions, over the tree's row.
fn flatten_inner(
    plan: Plan,
    offset: usize,
    leaves: &mut Vec<(usize, Plan)>,
    preds: &mut Vec<Expr>,
) {
    match plan {
        Plan::Join {
            kind: JoinKind::Inner,
            left,
            right,
            on,
            hash_keys,
            lateral: false,
        } if hash_keys.is_empty() => {
            let lw = left.width();
            flatten_inner(*left, offset, leaves, preds);
            flatten_inner(*right, offset + lw, leaves, preds);
            if let Some(on) = on {
                let mut parts = Vec::new();
                conjuncts(on, &mut parts);
                preds.extend(parts.into_iter().map(|p| map_columns(p, &|c| c + offset)));
            }
        }
        p => leaves.push((offset, p)),
    }
}

fn map_columns(e: Expr, f: &dyn Fn(usize) -> usize) -> Expr {
    e.rewrite(&mut |x| {
        Ok(match x {
            Expr::Column(i) => Expr::Column(f(i)),
            x => x,
        })
    })
    .unwrap_or(Expr::Const(basalt_common::types::Value::Null))
}

/// Plans an inner join of several relations (a FROM list or a chain of inner JOINs) with the
/// WHERE conjuncts `pred`, in a greedy order: the relation with the fewest estimated rows
/// after its own filters first, then repeatedly the smallest relation tied to those already
/// joined by an equality (so each step is a hash or index join, never a cross product while a
/// connected relation is left), falling back to the smallest remaining one. Conditions then
/// sink to the lowest join that has their columns ([`push_filter`]); a projection restores
/// the column order the query was bound with, and conditions holding subqueries (which see
/// that order through outer references) are checked above it.
fn reorder_joins(tree: Plan, pred: Option<Expr>, catalog: &Catalog) -> Plan {
    let width = tree.width();
    let mut leaves = Vec::new();
    let mut preds = Vec::new();
    flatten_inner(tree, 0, &mut leaves, &mut preds);
    if let Some(p) = pred {
        conjuncts(p, &mut preds);
    }
    let spans: Vec<(usize, usize)> = leaves.iter().map(|(o, p)| (*o, p.width())).collect();
    let leaf_of = |c: usize| spans.iter().position(|(o, w)| c >= *o && c < o + w);
    let n = leaves.len();
    let mut local: Vec<Vec<Expr>> = vec![Vec::new(); n];
    let mut multi: Vec<(Expr, Vec<usize>)> = Vec::new();
    let mut above = Vec::new();
    for p in preds {
        if p.any(&|x| matches!(x, Expr::Subquery(_) | Expr::Sequence(..))) {
            above.push(p);
            continue;
        }
        let mut cols = Vec::new();
        p.columns(&mut cols);
        let mut rels: Vec<usize> = cols.into_iter().filter_map(leaf_of).collect();
        rels.sort_unstable();
        rels.dedup();
        if let [r] = rels[..] {
            let off = spans[r].0;
            local[r].push(map_columns(p, &|c| c - off));
        } else {
            multi.push((p, rels));
        }
    }
    let plans: Vec<Plan> = leaves
        .into_iter()
        .zip(local)
        .map(|((_, leaf), local)| {
            let leaf = optimize(leaf, catalog);
            match and_all(local) {
                Some(f) => push_filter(leaf, f, catalog),
                None => leaf,
            }
        })
        .collect();
    let est: Vec<f64> = plans.iter().map(|p| estimate(p, catalog)).collect();
    // Relation pairs tied by an equality between their columns.
    let equi: Vec<&Vec<usize>> = multi
        .iter()
        .filter(|(p, rels)| rels.len() == 2 && matches!(p, Expr::Cmp(CmpOp::Eq, ..)))
        .map(|(_, rels)| rels)
        .collect();
    let smallest = |cands: &mut dyn Iterator<Item = usize>| {
        cands.min_by(|a, b| est[*a].total_cmp(&est[*b]).then(a.cmp(b)))
    };
    let mut joined = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let connected = smallest(&mut (0..n).filter(|&j| {
            !joined[j]
                && equi
                    .iter()
                    .any(|r| r.contains(&j) && r.iter().any(|&k| k != j && joined[k]))
        }));
        let Some(next) = connected.or_else(|| smallest(&mut (0..n).filter(|&j| !joined[j]))) else {
            break;
        };
        joined[next] = true;
        order.push(next);
    }
    let mut new_offset = vec![0; n];
    let mut at = 0;
    for &j in &order {
        new_offset[j] = at;
        at += spans[j].1;
    }
    let remap = |c: usize| match leaf_of(c) {
        Some(j) => new_offset[j] + (c - spans[j].0),
        None => c,
    };
    let mut slots: Vec<Option<Plan>> = plans.into_iter().map(Some).collect();
    let mut tree: Option<Plan> = None;
    for &j in &order {
        let Some(leaf) = slots[j].take() else {
            continue;
        };
        tree = Some(match tree {
            None => leaf,
            Some(left) => Plan::Join {
                kind: JoinKind::Inner,
                left: Box::new(left),
                right: Box::new(leaf),
                on: None,
                hash_keys: Vec::new(),
                lateral: false,
            },
        });
    }
    let Some(mut tree) = tree else {
        return Plan::Unit;
    };
    let conds: Vec<Expr> = multi
        .into_iter()
        .map(|(p, _)| map_columns(p, &remap))
        .collect();
    if let Some(c) = and_all(conds) {
        tree = push_filter(tree, c, catalog);
    }
    let identity = order.iter().enumerate().all(|(i, &j)| i == j);
    if !identity {
        tree = Plan::Project {
            input: Box::new(tree),
            exprs: (0..width).map(|c| Expr::Column(remap(c))).collect(),
        };
    }
    match and_all(above) {
        Some(f) => push_filter(tree, f, catalog),
        None => tree,
    }
}

fn push_filter(input: Plan, pred: Expr, catalog: &Catalog) -> Plan {
    match input {
        Plan::Scan {
            table,
            name,
            alias,
            width,
            access,
            filter,
            emit_key,
            lock,
        } => {
            let mut all = Vec::new();
            if let Some(f) = filter {
                conjuncts(f, &mut all);
            }
            conjuncts(pred, &mut all);
            let access = match access {
                Access::Full => choose_access(table, &all, catalog),
                a => a,
            };
            Plan::Scan {
                table,
                name,
                alias,
                width,
                access,
                filter: cheapest_first(all),
                emit_key,
                lock,
            }
        }
        Plan::Join {
            kind: JoinKind::Inner,
            left,
            right,
            on,
            hash_keys,
            lateral,
        } if !lateral => {
            let lw = left.width();
            let rw = right.width();
            let mut parts = Vec::new();
            conjuncts(pred, &mut parts);
            let (mut lp, mut rp, mut rest) = (Vec::new(), Vec::new(), Vec::new());
            for p in parts {
                let mut cols = Vec::new();
                p.columns(&mut cols);
                if cols.is_empty() {
                    rest.push(p);
                } else if reads_only(&p, 0, lw) {
                    lp.push(p);
                } else if reads_only(&p, lw, lw + rw) {
                    rp.push(shift_down(p, lw));
                } else {
                    rest.push(p);
                }
            }
            let mut left = *left;
            if let Some(f) = and_all(lp) {
                left = push_filter(left, f, catalog);
            }
            let mut right = *right;
            if let Some(f) = and_all(rp) {
                right = push_filter(right, f, catalog);
            }
            // Remaining cross-side equalities become hash keys.
            let mut hash_keys = hash_keys;
            let mut on_parts = Vec::new();
            if let Some(o) = on {
                conjuncts(o, &mut on_parts);
            }
            for p in &rest {
                if let Expr::Cmp(CmpOp::Eq, a, b) = p {
                    if reads_only(a, 0, lw)
                        && reads_only(b, lw, lw + rw)
                        && !row_free(a)
                        && !row_free(b)
                    {
                        hash_keys.push(((**a).clone(), shift_down((**b).clone(), lw)));
                    } else if reads_only(b, 0, lw)
                        && reads_only(a, lw, lw + rw)
                        && !row_free(a)
                        && !row_free(b)
                    {
                        hash_keys.push(((**b).clone(), shift_down((**a).clone(), lw)));
                    }
                }
            }
            on_parts.extend(rest);
            index_nested_loop(
                Plan::Join {
                    kind: JoinKind::Inner,
                    left: Box::new(left),
                    right: Box::new(right),
                    on: cheapest_first(on_parts),
                    hash_keys,
                    lateral,
                },
                catalog,
            )
        }
        // A filter that cannot be true when one side's columns are NULL removes the rows an
        // outer join adds for that side: the join becomes a one-sided or inner join, whose
        // filter moves further down (PostgreSQL's reduce_outer_joins).
        Plan::Join {
            kind: kind @ (JoinKind::Left | JoinKind::Right | JoinKind::Full),
            left,
            right,
            on,
            hash_keys,
            lateral,
        } if !lateral => {
            let lw = left.width();
            let rw = right.width();
            let mut strict = Vec::new();
            strict_columns(&pred, &mut strict);
            let left_forced = strict.iter().any(|c| *c < lw);
            let right_forced = strict.iter().any(|c| (lw..lw + rw).contains(c));
            let reduced = match kind {
                JoinKind::Left if right_forced => Some(JoinKind::Inner),
                JoinKind::Right if left_forced => Some(JoinKind::Inner),
                JoinKind::Full if left_forced && right_forced => Some(JoinKind::Inner),
                JoinKind::Full if left_forced => Some(JoinKind::Left),
                JoinKind::Full if right_forced => Some(JoinKind::Right),
                _ => None,
            };
            let join = Plan::Join {
                kind: reduced.unwrap_or(kind),
                left,
                right,
                on,
                hash_keys,
                lateral,
            };
            match reduced {
                Some(_) => push_filter(join, pred, catalog),
                None => Plan::Filter {
                    input: Box::new(join),
                    pred,
                },
            }
        }
        other => {
            let mut parts = Vec::new();
            conjuncts(pred, &mut parts);
            match cheapest_first(parts) {
                Some(pred) => Plan::Filter {
                    input: Box::new(other),
                    pred,
                },
                None => other,
            }
        }
    }
}

/// The conjunction of `parts`, cheapest first (stable), as PostgreSQL's planner orders a
/// node's conditions; filters stop at the first one that is not true.
fn cheapest_first(mut parts: Vec<Expr>) -> Option<Expr> {
    parts.sort_by(|a, b| crate::expr::qual_cost(a).total_cmp(&crate::expr::qual_cost(b)));
    and_all(parts)
}

/// Columns a row passing `pred` cannot have NULL in: those read through strict operators,
/// any arm of an AND, every arm of an OR, IS NOT NULL, IS TRUE / FALSE, IN lists, casts.
fn strict_columns(pred: &Expr, out: &mut Vec<usize>) {
    fn through(e: &Expr, out: &mut Vec<usize>) {
        match e {
            Expr::Column(i) => out.push(*i),
            Expr::Cmp(_, a, b) | Expr::Arith(_, a, b) => {
                through(a, out);
                through(b, out);
            }
            Expr::Neg(a) | Expr::Cast(a, ..) => through(a, out),
            Expr::Func {
                args, strict: true, ..
            } => {
                for a in args {
                    through(a, out);
                }
            }
            _ => {}
        }
    }
    // Both arms must hold (`neg`: both must fail), unless one is the constant that decides
    // nothing (TRUE in an AND, FALSE in an OR): only the other counts then.
    fn either(a: &Expr, b: &Expr, neg: bool, out: &mut Vec<usize>) {
        let inert = Expr::Const(basalt_common::types::Value::Bool(neg));
        let (mut l, mut r) = (Vec::new(), Vec::new());
        let arm = |e: &Expr, v: &mut Vec<usize>| {
            if neg {
                negated(e, v)
            } else {
                strict_columns(e, v)
            }
        };
        match (*a == inert, *b == inert) {
            (true, _) => arm(b, out),
            (_, true) => arm(a, out),
            _ => {
                arm(a, &mut l);
                arm(b, &mut r);
                out.extend(l.into_iter().filter(|c| r.contains(c)));
            }
        }
    }
    // Columns a row failing `e` (NOT e is true) cannot have NULL in.
    fn negated(e: &Expr, out: &mut Vec<usize>) {
        match e {
            Expr::Cmp(..) => through(e, out),
            Expr::And(a, b) => either(a, b, true, out),
            Expr::Or(a, b) => {
                negated(a, out);
                negated(b, out);
            }
            Expr::Not(a) => strict_columns(a, out),
            Expr::IsNull(a, false) => through(a, out),
            _ => {}
        }
    }
    match pred {
        Expr::And(a, b) => {
            strict_columns(a, out);
            strict_columns(b, out);
        }
        Expr::Or(a, b) => either(a, b, false, out),
        Expr::Not(a) => negated(a, out),
        Expr::IsNull(a, true) => through(a, out),
        Expr::BoolTest(a, crate::expr::BoolTest::IsTrue) => strict_columns(a, out),
        Expr::BoolTest(a, crate::expr::BoolTest::IsFalse) if matches!(**a, Expr::Cmp(..)) => {
            through(a, out)
        }
        Expr::InList(a, ..) => through(a, out),
        Expr::Column(_) | Expr::Cmp(..) | Expr::Func { strict: true, .. } => through(pred, out),
        _ => {}
    }
}

/// Turns a hash join whose right side is a table read by a key the left side supplies into an
/// index nested-loop join (the right side looks rows up per left row), when the estimates
/// say the left side is small next to the right.
fn index_nested_loop(plan: Plan, catalog: &Catalog) -> Plan {
    let Plan::Join {
        kind,
        left,
        right,
        on,
        hash_keys,
        lateral: false,
    } = plan
    else {
        return plan;
    };
    let rebuild = |left, right, on, hash_keys| Plan::Join {
        kind,
        left,
        right,
        on,
        hash_keys,
        lateral: false,
    };
    if !matches!(kind, JoinKind::Inner | JoinKind::Left) || hash_keys.len() != 1 {
        return rebuild(left, right, on, hash_keys);
    }
    let Plan::Scan {
        table,
        access: Access::Full,
        filter,
        emit_key: false,
        lock,
        name,
        alias,
        width,
    } = right.as_ref()
    else {
        return rebuild(left, right, on, hash_keys);
    };
    let (lkey, rkey) = &hash_keys[0];
    let Expr::Column(rc) = rkey else {
        return rebuild(left, right, on, hash_keys);
    };
    let outer_free = |e: &Expr| !e.any(&|x| matches!(x, Expr::Outer { .. }));
    if filter.as_ref().is_some_and(|f| !outer_free(f)) || !outer_free(lkey) {
        return rebuild(left, right, on, hash_keys);
    }
    let l_est = estimate(&left, catalog);
    let r_est = estimate(&right, catalog);
    if l_est * 4.0 >= r_est {
        return rebuild(left, right, on, hash_keys);
    }
    // The left key, evaluated against the left row the nested loop provides.
    let probe = lkey
        .clone()
        .rewrite(&mut |x| {
            Ok(match x {
                Expr::Column(i) => Expr::Outer { depth: 1, index: i },
                x => x,
            })
        })
        .unwrap_or(Expr::Const(basalt_common::types::Value::Null));
    let Some(t) = catalog.tables.get(table) else {
        return rebuild(left, right, on, hash_keys);
    };
    let access = if t.primary_key.as_deref() == Some(&[*rc][..]) {
        Some(Access::PrimaryKey(vec![probe]))
    } else {
        let mut preds = Vec::new();
        if let Some(f) = filter {
            conjuncts(f.clone(), &mut preds);
        }
        usable_indexes(*table, &preds, catalog)
            .into_iter()
            .find(|i| {
                !i.is_row_key() && matches!(i.keys.first(), Some(IndexKey::Column(c)) if c == rc)
            })
            .map(|i| Access::Index {
                index: i.oid,
                eq: vec![probe],
            })
    };
    let Some(access) = access else {
        return rebuild(left, right, on, hash_keys);
    };
    Plan::Join {
        kind,
        right: Box::new(Plan::Scan {
            table: *table,
            name: name.clone(),
            alias: alias.clone(),
            width: *width,
            access,
            filter: filter.clone(),
            emit_key: false,
            lock: *lock,
        }),
        left,
        on,
        hash_keys: Vec::new(),
        lateral: true,
    }
}

/// The indexes of `table` an access path may use given the scan's conjuncts `preds`: a
/// partial index only when each conjunct of its predicate is one of `preds` (so every row
/// the query wants has an entry; conservative, never a wrong answer).
fn usable_indexes<'c>(
    table: u32,
    preds: &[Expr],
    catalog: &'c Catalog,
) -> Vec<&'c crate::catalog::Index> {
    let mut out = catalog.table_indexes(table);
    out.retain(|i| match &i.predicate {
        None => true,
        Some(text) => {
            let Some(t) = catalog.tables.get(&table) else {
                return false;
            };
            let scope = crate::binder::table_scope(t, &t.name);
            let mut b = crate::binder::Binder::new(
                catalog,
                vec![t.schema],
                basalt_common::types::TypeContext::default(),
            );
            match crate::dml::bind_text_expr(&mut b, text, &scope) {
                Ok((e, _)) => {
                    let mut need = Vec::new();
                    conjuncts(e, &mut need);
                    need.iter().all(|n| preds.contains(n))
                }
                Err(_) => false,
            }
        }
    });
    out
}

/// `column = value` conjuncts: (column, value expression).
fn equalities(preds: &[Expr]) -> Vec<(usize, Expr)> {
    let mut out = Vec::new();
    for p in preds {
        if let Expr::Cmp(CmpOp::Eq, a, b) = p {
            match (a.as_ref(), b.as_ref()) {
                (Expr::Column(c), v) | (v, Expr::Column(c)) if row_free(v) => {
                    out.push((*c, v.clone()));
                }
                _ => {}
            }
        }
    }
    out
}

/// An integer column under a cast that only widens it (`int2` to `int4` or `int8`, `int4` to
/// `int8`): the column's position. The binder writes `int4_col = $1::bigint` (sysbench binds
/// its integers as `int8`) as `int4_col::bigint = $1`.
fn widened_column(e: &Expr, t: &crate::catalog::Table) -> Option<usize> {
    use basalt_common::types::DataType;
    let rank = |ty: &DataType| match ty {
        DataType::Int2 => Some(2),
        DataType::Int4 => Some(4),
        DataType::Int8 => Some(8),
        _ => None,
    };
    let Expr::Cast(inner, to, _) = e else {
        return None;
    };
    let Expr::Column(c) = inner.as_ref() else {
        return None;
    };
    let from = rank(&t.columns.get(*c)?.ty)?;
    (rank(to)? >= from).then_some(*c)
}

/// The conjuncts with `column::wider op value` read as `column op value`, for choosing the
/// access only (the filter keeps the comparison as written); `None` when there is none.
///
/// Sound because integers of every width share one key encoding (the i64 form of
/// `encode_value_into`): the wider value probes the column's keys as they are, and a value
/// outside the column's range finds no key, as PostgreSQL's cross-type btree operators
/// (`int48eq` and the rest of `integer_ops`) find no row.
fn widening_casts_stripped(t: &crate::catalog::Table, preds: &[Expr]) -> Option<Vec<Expr>> {
    let strip = |p: &Expr| -> Option<Expr> {
        let Expr::Cmp(op, a, b) = p else {
            return None;
        };
        match (widened_column(a, t), widened_column(b, t)) {
            (Some(c), None) => Some(Expr::Cmp(*op, Box::new(Expr::Column(c)), b.clone())),
            (None, Some(c)) => Some(Expr::Cmp(*op, a.clone(), Box::new(Expr::Column(c)))),
            _ => None,
        }
    };
    if !preds.iter().any(|p| strip(p).is_some()) {
        return None;
    }
    Some(
        preds
            .iter()
            .map(|p| strip(p).unwrap_or_else(|| p.clone()))
            .collect(),
    )
}

fn choose_access(table: u32, preds: &[Expr], catalog: &Catalog) -> Access {
    let Some(t) = catalog.tables.get(&table) else {
        return Access::Full;
    };
    let stripped = widening_casts_stripped(t, preds);
    let preds = stripped.as_deref().unwrap_or(preds);
    let eqs = equalities(preds);
    if let Some(pk) = &t.primary_key {
        let vals: Option<Vec<Expr>> = pk
            .iter()
            .map(|c| eqs.iter().find(|(x, _)| x == c).map(|(_, v)| v.clone()))
            .collect();
        if let Some(vals) = vals {
            return Access::PrimaryKey(vals);
        }
    }
    let range = choose_range(t, preds, catalog);
    let mut best: Option<(usize, bool, u32, Vec<Expr>)> = None;
    for i in usable_indexes(table, preds, catalog) {
        if i.is_row_key() {
            continue;
        }
        let mut vals = Vec::new();
        for k in &i.keys {
            let IndexKey::Column(c) = k else { break };
            match eqs.iter().find(|(x, _)| x == c) {
                Some((_, v)) => vals.push(v.clone()),
                None => break,
            }
        }
        if vals.is_empty() {
            continue;
        }
        let full_unique = i.unique && vals.len() == i.keys.len();
        let better = match &best {
            None => true,
            Some((n, u, _, _)) => (full_unique && !u) || (full_unique == *u && vals.len() > *n),
        };
        if better {
            best = Some((vals.len(), full_unique, i.oid, vals));
        }
    }
    let range_eq = match &range {
        Some(Access::Range { eq, .. }) => Some(eq.len()),
        _ => None,
    };
    match (best, range) {
        (Some((n, unique, index, eq)), range) => {
            if !unique && range_eq.is_some_and(|r| r >= n) {
                range.unwrap_or(Access::Index { index, eq })
            } else {
                Access::Index { index, eq }
            }
        }
        (None, Some(r)) => r,
        (None, None) => Access::Full,
    }
}

/// Bounds `column op value` from the conjuncts: (column, lower, upper).
type Bounds = (Option<(Expr, bool)>, Option<(Expr, bool)>);

fn bounds_for(col: usize, preds: &[Expr]) -> Bounds {
    let mut lower = None;
    let mut upper = None;
    for p in preds {
        let Expr::Cmp(op, a, b) = p else { continue };
        let (op, v) = match (a.as_ref(), b.as_ref()) {
            (Expr::Column(c), v) if *c == col && row_free(v) => (*op, v),
            (v, Expr::Column(c)) if *c == col && row_free(v) => (op.swap(), v),
            _ => continue,
        };
        match op {
            CmpOp::Gt => lower = Some((v.clone(), false)),
            CmpOp::Ge => lower = Some((v.clone(), true)),
            CmpOp::Lt => upper = Some((v.clone(), false)),
            CmpOp::Le => upper = Some((v.clone(), true)),
            _ => {}
        }
    }
    (lower, upper)
}

/// A range scan on the primary key or an ascending index: equality on a key prefix and
/// bounds on the next column. Chosen only when it narrows more than equality alone.
fn choose_range(t: &crate::catalog::Table, preds: &[Expr], catalog: &Catalog) -> Option<Access> {
    let eqs = equalities(preds);
    let mut candidates: Vec<(Option<u32>, Vec<usize>)> = Vec::new();
    if let Some(pk) = &t.primary_key {
        candidates.push((None, pk.clone()));
    }
    for i in usable_indexes(t.oid, preds, catalog)
        .into_iter()
        // A hash index answers equality only.
        .filter(|i| i.method == crate::catalog::IndexMethod::Btree)
    {
        if i.is_row_key() || i.desc.iter().any(|d| *d) {
            continue;
        }
        let cols: Option<Vec<usize>> = i
            .keys
            .iter()
            .map(|k| match k {
                IndexKey::Column(c) => Some(*c),
                IndexKey::Expr(_) => None,
            })
            .collect();
        if let Some(cols) = cols {
            candidates.push((Some(i.oid), cols));
        }
    }
    let mut best: Option<(usize, Access)> = None;
    for (index, cols) in candidates {
        let mut eq = Vec::new();
        for c in &cols {
            match eqs.iter().find(|(x, _)| x == c) {
                Some((_, v)) => eq.push(v.clone()),
                None => break,
            }
        }
        let (lower, upper) = match cols.get(eq.len()) {
            Some(next) => bounds_for(*next, preds),
            None => (None, None),
        };
        // A key prefix fixed by equality is a range too (the rest of the key is free).
        if lower.is_none() && upper.is_none() && (eq.is_empty() || index.is_some()) {
            continue;
        }
        let score = eq.len() * 2
            + usize::from(lower.is_some() || upper.is_some())
            + usize::from(lower.is_some() && upper.is_some());
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((
                score,
                Access::Range {
                    index,
                    eq,
                    lower,
                    upper,
                },
            ));
        }
    }
    best.map(|(_, a)| a)
}

/// Estimated rows of a plan, from ANALYZE statistics where there are some (1000 rows per
/// table otherwise) and fixed selectivities for filters.
pub fn estimate(plan: &Plan, catalog: &Catalog) -> f64 {
    match plan {
        Plan::Unit => 1.0,
        Plan::Empty { .. } => 0.0,
        Plan::Values { rows, .. } => rows.len() as f64,
        Plan::Scan {
            table,
            access,
            filter,
            ..
        } => {
            let t = catalog.tables.get(table);
            let rows = t
                .and_then(|t| t.stats.as_ref())
                .map_or(1000.0, |s| s.rows as f64);
            let distinct = |c: usize| -> f64 {
                t.and_then(|t| t.stats.as_ref())
                    .and_then(|s| s.distinct.get(c).copied())
                    .map_or(10.0, |d| d.max(1) as f64)
            };
            let base = match access {
                Access::Full => rows,
                Access::PrimaryKey(_) | Access::CurrentOf | Access::RowKey(_) => 1.0_f64.min(rows),
                Access::Index { index, eq } => {
                    let i = catalog.indexes.get(index);
                    match i {
                        Some(i) if i.unique && eq.len() == i.keys.len() => 1.0_f64.min(rows),
                        Some(i) => match i.keys.first() {
                            Some(IndexKey::Column(c)) => rows / distinct(*c),
                            _ => rows / 10.0,
                        },
                        None => rows / 10.0,
                    }
                }
                Access::Range { eq, .. } => rows / 3.0 / (10.0_f64.powi(eq.len() as i32)),
            };
            if filter.is_some() && matches!(access, Access::Full) {
                (base / 3.0).max(1.0)
            } else {
                base.max(if rows > 0.0 { 1.0 } else { 0.0 })
            }
        }
        Plan::Filter { input, .. } => (estimate(input, catalog) / 3.0).max(1.0),
        Plan::Project { input, .. }
        | Plan::Sort { input, .. }
        | Plan::Window { input, .. }
        | Plan::With { input, .. } => estimate(input, catalog),
        Plan::ProjectSet { input, .. } => estimate(input, catalog) * 10.0,
        Plan::Limit { input, limit, .. } => {
            let n = estimate(input, catalog);
            match limit.as_ref().and_then(Expr::as_const) {
                Some(basalt_common::types::Value::Int8(l)) => n.min(*l as f64),
                _ => n,
            }
        }
        Plan::Distinct { input, .. } => (estimate(input, catalog) / 2.0).max(1.0),
        Plan::Join {
            kind,
            left,
            right,
            hash_keys,
            on,
            ..
        } => {
            let l = estimate(left, catalog);
            let r = estimate(right, catalog);
            match kind {
                JoinKind::Semi | JoinKind::Anti => l,
                _ if !hash_keys.is_empty() => l.max(r),
                _ if on.is_some() => (l * r / 3.0).max(1.0),
                _ => l * r,
            }
        }
        Plan::Aggregate { input, groups, .. } => {
            if groups.is_empty() {
                1.0
            } else {
                (estimate(input, catalog) / 10.0).max(1.0)
            }
        }
        Plan::SetOp { left, right, .. } => estimate(left, catalog) + estimate(right, catalog),
        Plan::TableFunction { .. } => 1000.0,
        Plan::CteScan { .. } | Plan::WorkTable { .. } => 100.0,
    }
}

/// Appends EXPLAIN lines for a plan, with estimated rows and, after EXPLAIN ANALYZE, what
/// each node did.
pub fn explain_analyzed(
    plan: &Plan,
    catalog: &Catalog,
    stats: Option<&std::collections::HashMap<usize, crate::exec::NodeStats>>,
    show: ExplainShow,
    out: &mut Vec<String>,
) {
    let mut lines = Vec::new();
    explain(plan, catalog, 0, &mut lines);
    // Pair lines with nodes in the same walk order.
    let mut nodes = Vec::new();
    walk_shown(plan, &mut nodes);
    let mut ni = 0;
    for l in lines {
        // Node lines are the root's (unindented) and those starting with `->`; the rest
        // are details (conditions, keys) of the node above.
        let is_detail = l.starts_with(' ') && !l.trim_start().starts_with("->");
        if is_detail || ni >= nodes.len() {
            out.push(l);
            continue;
        }
        let node = nodes[ni];
        ni += 1;
        let mut text = if show.costs {
            format!("{l}  (rows={:.0})", estimate(node, catalog))
        } else {
            l
        };
        if let Some(st) = stats {
            match st.get(&crate::exec::node_id(node)) {
                Some(s) if show.timing => text.push_str(&format!(
                    " (actual rows={} loops={} time={:.3} ms)",
                    s.rows,
                    s.loops,
                    s.time.as_secs_f64() * 1000.0
                )),
                Some(s) => text.push_str(&format!(" (actual rows={} loops={})", s.rows, s.loops)),
                None => text.push_str(" (never executed)"),
            }
        }
        out.push(text);
    }
}

/// What EXPLAIN shows beside each node (its `COSTS` and `TIMING` options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExplainShow {
    /// The planner's row estimate, `(rows=N)`.
    pub costs: bool,
    /// With ANALYZE, each node's time.
    pub timing: bool,
}

impl Default for ExplainShow {
    fn default() -> Self {
        ExplainShow {
            costs: true,
            timing: true,
        }
    }
}

/// The nodes EXPLAIN prints, in its order.
pub(crate) fn walk_shown<'p>(plan: &'p Plan, out: &mut Vec<&'p Plan>) {
    match plan {
        Plan::Project { input, .. } => walk_shown(input, out),
        Plan::With { ctes, input } => {
            for c in ctes {
                out.push(plan);
                walk_shown(&c.plan, out);
                if let Some((r, _)) = &c.recursive {
                    walk_shown(r, out);
                }
            }
            walk_shown(input, out);
        }
        Plan::Filter { input, .. }
        | Plan::Sort { input, .. }
        | Plan::Limit { input, .. }
        | Plan::Distinct { input, .. }
        | Plan::Aggregate { input, .. }
        | Plan::Window { input, .. }
        | Plan::ProjectSet { input, .. } => {
            out.push(plan);
            walk_shown(input, out);
        }
        Plan::Join { left, right, .. } | Plan::SetOp { left, right, .. } => {
            out.push(plan);
            walk_shown(left, out);
            walk_shown(right, out);
        }
        p => out.push(p),
    }
}

/// The `Index Cond` of a keyed table access (each key column compared with its value), and
/// its conjuncts.
fn key_condition(
    catalog: &Catalog,
    table: u32,
    access: &Access,
    cols: &[String],
    outer: &[String],
) -> Option<(String, Vec<String>)> {
    let key_cols: Vec<String> = match access {
        Access::Full | Access::CurrentOf | Access::RowKey(_) => return None,
        Access::PrimaryKey(_) | Access::Range { index: None, .. } => catalog
            .tables
            .get(&table)?
            .primary_key
            .as_ref()?
            .iter()
            .map(|c| cols.get(*c).cloned().unwrap_or_default())
            .collect(),
        Access::Index { index, .. }
        | Access::Range {
            index: Some(index), ..
        } => catalog
            .indexes
            .get(index)?
            .keys
            .iter()
            .map(|k| match k {
                crate::catalog::IndexKey::Column(c) => cols.get(*c).cloned().unwrap_or_default(),
                crate::catalog::IndexKey::Expr(e) => format!("({e})"),
            })
            .collect(),
    };
    let name = |i: usize| {
        key_cols
            .get(i)
            .map_or_else(String::new, |n| crate::deparse::column_name(n))
    };
    let cond = |k: &str, op: &str, e: &Expr| {
        format!(
            "({k} {op} {})",
            crate::deparse::expr_text_outer(e, &[], outer)
        )
    };
    let (eq, bounds) = match access {
        Access::PrimaryKey(eq) | Access::Index { eq, .. } => (eq, None),
        Access::Range {
            eq, lower, upper, ..
        } => (eq, Some((lower, upper))),
        Access::Full | Access::CurrentOf | Access::RowKey(_) => return None,
    };
    let mut conds: Vec<String> = eq
        .iter()
        .enumerate()
        .map(|(i, e)| cond(&name(i), "=", e))
        .collect();
    if let Some((lower, upper)) = bounds {
        let k = name(eq.len());
        if let Some((e, inclusive)) = lower {
            conds.push(cond(&k, if *inclusive { ">=" } else { ">" }, e));
        }
        if let Some((e, inclusive)) = upper {
            conds.push(cond(&k, if *inclusive { "<=" } else { "<" }, e));
        }
    }
    crate::deparse::conjunction(&conds).map(|c| (c, conds))
}

/// Appends EXPLAIN lines for a plan.
pub fn explain(plan: &Plan, catalog: &Catalog, depth: usize, out: &mut Vec<String>) {
    explain_q(plan, catalog, depth, out, crate::deparse::joins(plan), &[]);
}

/// [`explain`], naming columns `table.column` when `qualify`.
fn explain_q(
    plan: &Plan,
    catalog: &Catalog,
    depth: usize,
    out: &mut Vec<String>,
    qualify: bool,
    outer: &[String],
) {
    let pad = if depth == 0 {
        String::new()
    } else {
        format!("{}->  ", "      ".repeat(depth - 1))
    };
    let detail_pad = "      ".repeat(depth);
    let line = |out: &mut Vec<String>, s: String| out.push(format!("{pad}{s}"));
    match plan {
        Plan::Unit => line(out, "Result".into()),
        Plan::Empty { .. } => line(out, "Result (no rows)".into()),
        Plan::Values { rows, .. } => line(out, format!("Values Scan ({} rows)", rows.len())),
        Plan::Scan {
            table,
            name,
            alias,
            access,
            filter,
            ..
        } => {
            let cols = crate::deparse::plan_columns(plan, catalog, qualify);
            // `t` or `t alias`, as PostgreSQL names a scanned relation.
            let name = match alias {
                Some(a) => format!("{name} {a}"),
                None => name.clone(),
            };
            match access {
                Access::Full => line(out, format!("Seq Scan on {name}")),
                Access::PrimaryKey(_) => line(out, format!("Primary Key Lookup on {name}")),
                Access::CurrentOf | Access::RowKey(_) => {
                    line(out, format!("Tid Scan on {name} (CURRENT OF)"));
                }
                Access::Range { index, eq, .. } => {
                    let iname = match index {
                        None => "primary key".to_string(),
                        Some(i) => catalog
                            .indexes
                            .get(i)
                            .map_or("?".to_string(), |x| x.name.clone()),
                    };
                    line(
                        out,
                        format!(
                            "Index Range Scan using {iname} on {name} ({} equal key column{})",
                            eq.len(),
                            if eq.len() == 1 { "" } else { "s" }
                        ),
                    );
                }
                Access::Index { index, eq } => {
                    let iname = catalog
                        .indexes
                        .get(index)
                        .map_or("?".to_string(), |i| i.name.clone());
                    line(
                        out,
                        format!(
                            "Index Scan using {iname} on {name} ({} key column{})",
                            eq.len(),
                            if eq.len() == 1 { "" } else { "s" }
                        ),
                    );
                }
            }
            let cond = key_condition(catalog, *table, access, &cols, outer);
            if let Some((cond, _)) = &cond {
                out.push(format!("{detail_pad}  Index Cond: {cond}"));
            }
            if let Some(f) = filter {
                // Conditions the key lookup answers are not repeated (they are re-checked).
                let used = cond.map(|c| c.1).unwrap_or_default();
                if let Some(rest) = crate::deparse::residual(f, &cols, &used) {
                    out.push(format!("{detail_pad}  Filter: {rest}"));
                }
            }
        }
        Plan::Filter { input, pred } => {
            // A condition reading no row is checked once, as PostgreSQL's gating Result.
            let (node, label) = if pseudo_constant(pred) {
                ("Result", "One-Time Filter")
            } else {
                ("Filter", "Filter")
            };
            line(out, node.into());
            let cols = crate::deparse::plan_columns(input, catalog, qualify);
            out.push(format!(
                "{detail_pad}  {label}: {}",
                crate::deparse::expr_text(pred, &cols)
            ));
            explain_q(input, catalog, depth + 1, out, qualify, outer);
        }
        Plan::Project { input, .. } => {
            // Projections are not shown, as in PostgreSQL.
            explain_q(input, catalog, depth, out, qualify, outer);
        }
        Plan::Join {
            kind,
            left,
            right,
            hash_keys,
            lateral,
            on,
        } => {
            let k = match kind {
                JoinKind::Inner => "Inner",
                JoinKind::Left => "Left",
                JoinKind::Right => "Right",
                JoinKind::Full => "Full",
                JoinKind::Semi => "Semi",
                JoinKind::Anti => "Anti",
            };
            if hash_keys.is_empty() || *lateral {
                line(out, format!("Nested Loop ({k})"));
            } else {
                line(
                    out,
                    format!(
                        "Hash Join ({k}, {} key{})",
                        hash_keys.len(),
                        if hash_keys.len() == 1 { "" } else { "s" }
                    ),
                );
            }
            let lcols = crate::deparse::plan_columns(left, catalog, qualify);
            let rcols = crate::deparse::plan_columns(right, catalog, qualify);
            if !hash_keys.is_empty() && !*lateral {
                let conds: Vec<String> = hash_keys
                    .iter()
                    .map(|(l, r)| {
                        format!(
                            "({} = {})",
                            crate::deparse::expr_text(l, &lcols),
                            crate::deparse::expr_text(r, &rcols)
                        )
                    })
                    .collect();
                // Several conditions are one AND expression, parenthesized as PostgreSQL
                // prints it: `((a.x = b.x) AND (a.y = b.y))`.
                let cond = if conds.len() == 1 {
                    conds.concat()
                } else {
                    format!("({})", conds.join(" AND "))
                };
                out.push(format!("{detail_pad}  Hash Cond: {cond}"));
            }
            if let Some(on) = on {
                let mut both = lcols.clone();
                both.extend(rcols.iter().cloned());
                // The hash condition is shown once, not again in the join filter.
                let hashed: Vec<String> = if hash_keys.is_empty() || *lateral {
                    Vec::new()
                } else {
                    hash_keys
                        .iter()
                        .flat_map(|(l, r)| {
                            let (l, r) = (
                                crate::deparse::expr_text(l, &lcols),
                                crate::deparse::expr_text(r, &rcols),
                            );
                            [format!("({l} = {r})"), format!("({r} = {l})")]
                        })
                        .collect()
                };
                if let Some(rest) = crate::deparse::residual(on, &both, &hashed) {
                    out.push(format!("{detail_pad}  Join Filter: {rest}"));
                }
            }
            // A nested loop's right side sees the left row as its enclosing row.
            let right_outer = if hash_keys.is_empty() || *lateral {
                lcols.clone()
            } else {
                outer.to_vec()
            };
            explain_q(left, catalog, depth + 1, out, qualify, outer);
            explain_q(right, catalog, depth + 1, out, qualify, &right_outer);
        }
        Plan::Aggregate { input, groups, .. } => {
            line(
                out,
                if groups.is_empty() {
                    "Aggregate".into()
                } else {
                    "HashAggregate".into()
                },
            );
            if !groups.is_empty() {
                let cols = crate::deparse::plan_columns(input, catalog, qualify);
                let keys: Vec<String> = groups
                    .iter()
                    .map(|g| crate::deparse::expr_text(g, &cols))
                    .collect();
                out.push(format!("{detail_pad}  Group Key: {}", keys.join(", ")));
            }
            explain_q(input, catalog, depth + 1, out, qualify, outer);
        }
        Plan::Window { input, .. } => {
            line(out, "WindowAgg".into());
            explain_q(input, catalog, depth + 1, out, qualify, outer);
        }
        Plan::Sort { input, keys } => {
            line(out, "Sort".into());
            let cols = crate::deparse::plan_columns(input, catalog, qualify);
            let keys: Vec<String> = keys
                .iter()
                .map(|k| {
                    let mut t = crate::deparse::expr_text(&k.expr, &cols);
                    if k.desc {
                        t.push_str(" DESC");
                    }
                    if k.nulls_first != k.desc {
                        t.push_str(if k.nulls_first {
                            " NULLS FIRST"
                        } else {
                            " NULLS LAST"
                        });
                    }
                    t
                })
                .collect();
            out.push(format!("{detail_pad}  Sort Key: {}", keys.join(", ")));
            explain_q(input, catalog, depth + 1, out, qualify, outer);
        }
        Plan::Limit { input, .. } => {
            line(out, "Limit".into());
            explain_q(input, catalog, depth + 1, out, qualify, outer);
        }
        Plan::Distinct { input, on } => {
            line(
                out,
                if on.is_some() {
                    "Unique (DISTINCT ON)".into()
                } else {
                    "HashAggregate (DISTINCT)".into()
                },
            );
            explain_q(input, catalog, depth + 1, out, qualify, outer);
        }
        Plan::SetOp {
            op,
            all,
            left,
            right,
        } => {
            line(out, format!("{op:?}{}", if *all { " All" } else { "" }));
            explain_q(left, catalog, depth + 1, out, qualify, outer);
            explain_q(right, catalog, depth + 1, out, qualify, outer);
        }
        Plan::TableFunction { calls, .. } => {
            let names: Vec<String> = calls.iter().map(|c| format!("{:?}", c.func.func)).collect();
            line(out, format!("Function Scan ({})", names.join(", ")))
        }
        Plan::ProjectSet { input, .. } => {
            line(out, "ProjectSet".into());
            explain_q(input, catalog, depth + 1, out, qualify, outer);
        }
        Plan::CteScan { id, .. } => line(out, format!("CTE Scan (cte {id})")),
        Plan::WorkTable { id, .. } => line(out, format!("WorkTable Scan (cte {id})")),
        Plan::With { ctes, input } => {
            for c in ctes {
                line(out, format!("CTE {}", c.id));
                explain_q(&c.plan, catalog, depth + 1, out, qualify, outer);
                if let Some((r, _)) = &c.recursive {
                    explain_q(r, catalog, depth + 1, out, qualify, outer);
                }
            }
            explain_q(input, catalog, depth, out, qualify, outer);
        }
    }
}
