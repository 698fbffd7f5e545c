//! Automatically updatable views (PostgreSQL's rules): INSERT, UPDATE and DELETE on a view
//! that reads one table (or one such view) without DISTINCT, GROUP BY, HAVING, set
//! operations, WITH, LIMIT/OFFSET, aggregates, window or set-returning functions.
//!
//! [`resolve`] turns the view into a [`ViewTarget`]: the base table, each view column as an
//! expression over the base row (with the base column when it is a plain column reference,
//! the only kind that can be written), and the view's WHERE over the base row. The engine
//! writes the base table: INSERT fills unnamed base columns with their defaults, UPDATE and
//! DELETE see only the rows the view shows. WITH [LOCAL | CASCADED] CHECK OPTION conditions
//! ([`ViewTarget::checks`]) are checked on each new row after the base table's constraints
//! (44000), as PostgreSQL does.

use basalt_common::types::DataType;
use pg_query::protobuf::node::Node;

use crate::binder::{Binder, Scope, ScopeCol, table_scope};
use crate::catalog::{CheckOption, Relation, Table};
use crate::error::SqlError;
use crate::expr::Expr;
use crate::plan::Plan;

/// The statement writing through a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewOp {
    /// INSERT
    Insert,
    /// UPDATE
    Update,
    /// DELETE
    Delete,
}

/// A column of an updatable view.
#[derive(Debug, Clone)]
pub struct ViewCol {
    /// Name.
    pub name: String,
    /// Type.
    pub ty: DataType,
    /// The value over the base table's row.
    pub expr: Expr,
    /// The base column it is, if it is a plain column reference (only those are writable).
    pub base: Option<usize>,
}

/// A view resolved to the table it writes.
#[derive(Debug, Clone)]
pub struct ViewTarget {
    /// The view's name.
    pub name: String,
    /// The base table.
    pub table: Table,
    /// The view's columns.
    pub cols: Vec<ViewCol>,
    /// The view's WHERE (and those of the views below it) over the base row.
    pub pred: Option<Expr>,
    /// The view's own column defaults (`ALTER VIEW ... SET DEFAULT`): (column, SQL text).
    pub defaults: Vec<(String, String)>,
    /// WITH CHECK OPTION conditions a new row must meet, innermost view first: (view name,
    /// condition over the base row).
    pub checks: Vec<(String, Expr)>,
}

impl ViewTarget {
    /// The scope of a statement on the view over `base row ++ view columns`: the base
    /// columns are unnamed and hidden, the view's columns carry `qualifier`.
    pub fn scope(&self, qualifier: &str) -> Scope {
        let mut cols: Vec<ScopeCol> = self
            .table
            .columns
            .iter()
            .map(|c| ScopeCol {
                table: None,
                name: String::new(),
                ty: c.ty.clone(),
                hidden: true,
                origin: None,
            })
            .collect();
        cols.extend(self.view_scope(qualifier).cols);
        Scope { cols }
    }

    /// The view's columns alone.
    pub fn view_scope(&self, qualifier: &str) -> Scope {
        Scope {
            cols: self
                .cols
                .iter()
                .map(|c| ScopeCol {
                    table: Some(qualifier.to_string()),
                    name: c.name.clone(),
                    ty: c.ty.clone(),
                    hidden: false,
                    origin: None,
                })
                .collect(),
        }
    }

    /// The view column `name` as a writable base column: 42703 if there is none, 0A000 if
    /// it is computed.
    pub fn base_column(&self, name: &str, op: ViewOp) -> Result<usize, SqlError> {
        let Some(c) = self.cols.iter().find(|c| c.name == name) else {
            return Err(SqlError::new(
                "42703",
                format!(
                    "column \"{name}\" of relation \"{}\" does not exist",
                    self.name
                ),
            ));
        };
        c.base.ok_or_else(|| {
            SqlError::new(
                "0A000",
                format!(
                    "cannot {} column \"{name}\" of view \"{}\"",
                    if op == ViewOp::Insert {
                        "insert into"
                    } else {
                        "update"
                    },
                    self.name
                ),
            )
            .with_detail(
                "View columns that are not columns of their base relation are not updatable.",
            )
        })
    }
}

fn not_updatable(op: ViewOp, view: &str, detail: &str) -> SqlError {
    let (verb, hint) = match op {
        ViewOp::Insert => (
            "cannot insert into view",
            "To enable inserting into the view, provide an INSTEAD OF INSERT trigger or an unconditional ON INSERT DO INSTEAD rule.",
        ),
        ViewOp::Update => (
            "cannot update view",
            "To enable updating the view, provide an INSTEAD OF UPDATE trigger or an unconditional ON UPDATE DO INSTEAD rule.",
        ),
        ViewOp::Delete => (
            "cannot delete from view",
            "To enable deleting from the view, provide an INSTEAD OF DELETE trigger or an unconditional ON DELETE DO INSTEAD rule.",
        ),
    };
    SqlError::new("55000", format!("{verb} \"{view}\""))
        .with_detail(detail)
        .with_hint(hint)
}

fn plan_has(plan: &Plan, f: &dyn Fn(&Plan) -> bool) -> bool {
    if f(plan) {
        return true;
    }
    match plan {
        Plan::Filter { input, .. }
        | Plan::Project { input, .. }
        | Plan::Aggregate { input, .. }
        | Plan::Window { input, .. }
        | Plan::Sort { input, .. }
        | Plan::Limit { input, .. }
        | Plan::Distinct { input, .. }
        | Plan::With { input, .. } => plan_has(input, f),
        Plan::Join { left, right, .. } | Plan::SetOp { left, right, .. } => {
            plan_has(left, f) || plan_has(right, f)
        }
        _ => false,
    }
}

/// Resolves view `oid` for `op`, or PostgreSQL's 55000 when it is not automatically
/// updatable.
pub fn resolve(b: &mut Binder<'_>, oid: u32, op: ViewOp) -> Result<ViewTarget, SqlError> {
    resolve_below(b, oid, op, false)
}

/// [`resolve`] for a view under one WITH CASCADED CHECK OPTION (`cascaded`), whose own
/// condition is then checked too. The view's names resolve through its creation search path.
fn resolve_below(
    b: &mut Binder<'_>,
    oid: u32,
    op: ViewOp,
    cascaded: bool,
) -> Result<ViewTarget, SqlError> {
    let path = b
        .catalog
        .views
        .get(&oid)
        .and_then(|v| v.search_path.clone());
    let Some(path) = path else {
        return resolve_view(b, oid, op, cascaded);
    };
    let saved = std::mem::replace(&mut b.search_path, path);
    let r = resolve_view(b, oid, op, cascaded);
    b.search_path = saved;
    r
}

fn resolve_view(
    b: &mut Binder<'_>,
    oid: u32,
    op: ViewOp,
    cascaded: bool,
) -> Result<ViewTarget, SqlError> {
    let v = b
        .catalog
        .views
        .get(&oid)
        .ok_or_else(|| SqlError::new("XX000", "catalog entry vanished"))?
        .clone();
    let parsed = crate::parse::parse(&v.query, crate::parse::ParseOptions::default())?;
    let Some(Node::SelectStmt(sel)) = parsed.statements().next().and_then(|s| s.node()) else {
        return Err(SqlError::new("XX000", "bad view definition"));
    };
    let sel = sel.clone();
    let fail = |detail: &str| Err(not_updatable(op, &v.name, detail));
    if !sel.distinct_clause.is_empty() {
        return fail("Views containing DISTINCT are not automatically updatable.");
    }
    if !sel.group_clause.is_empty() {
        return fail("Views containing GROUP BY are not automatically updatable.");
    }
    if sel.having_clause.is_some() {
        return fail("Views containing HAVING are not automatically updatable.");
    }
    if sel.op > 1 || !sel.values_lists.is_empty() {
        return fail(
            "Views containing UNION, INTERSECT, or EXCEPT are not automatically updatable.",
        );
    }
    if sel.with_clause.is_some() {
        return fail("Views containing WITH are not automatically updatable.");
    }
    if sel.limit_count.is_some() || sel.limit_offset.is_some() {
        return fail("Views containing LIMIT or OFFSET are not automatically updatable.");
    }
    let q = b.bind_select(&sel)?;
    if plan_has(&q.plan, &|p| matches!(p, Plan::Aggregate { .. })) {
        return fail("Views that return aggregate functions are not automatically updatable.");
    }
    if plan_has(&q.plan, &|p| matches!(p, Plan::Window { .. })) {
        return fail("Views that return window functions are not automatically updatable.");
    }
    if plan_has(&q.plan, &|p| matches!(p, Plan::ProjectSet { .. })) {
        return fail("Views that return set-returning functions are not automatically updatable.");
    }
    let single = match sel.from_clause.as_slice() {
        [item] => match item.node.as_ref() {
            Some(Node::RangeVar(rv)) => Some(rv.clone()),
            _ => None,
        },
        _ => None,
    };
    if single.is_some() && plan_has(&q.plan, &|p| matches!(p, Plan::TableFunction { .. })) {
        return fail("Views that return set-returning functions are not automatically updatable.");
    }
    let Some(rv) = single else {
        return fail(
            "Views that do not select from a single table or view are not automatically updatable.",
        );
    };
    let qualifier = rv
        .alias
        .as_ref()
        .map_or(rv.relname.clone(), |a| a.aliasname.clone());
    // The scope the view's query reads, and how its columns map to the base table.
    let (table, scope, inner): (Table, Scope, Option<ViewTarget>) = match b
        .lookup_relation(&rv.schemaname, &rv.relname)
    {
        Some((_, Relation::Table(t))) => {
            let t = b
                .catalog
                .tables
                .get(&t)
                .ok_or_else(|| SqlError::new("XX000", "catalog entry vanished"))?
                .clone();
            let scope = table_scope(&t, &qualifier);
            (t, scope, None)
        }
        Some((_, Relation::View(inner_oid))) => {
            let inner = resolve_below(
                b,
                inner_oid,
                op,
                cascaded || v.check_option == Some(CheckOption::Cascaded),
            )?;
            let scope = inner.view_scope(&qualifier);
            (inner.table.clone(), scope, Some(inner))
        }
        _ => {
            return fail(
                "Views that do not select from a single table or view are not automatically updatable.",
            );
        }
    };
    let lower = |e: Expr| -> Result<Expr, SqlError> {
        match &inner {
            None => Ok(e),
            Some(inner) => e.rewrite(&mut |x| {
                Ok(match x {
                    Expr::Column(i) => inner.cols.get(i).map_or(x, |c| c.expr.clone()),
                    x => x,
                })
            }),
        }
    };
    let base_of = |i: usize| -> Option<usize> {
        match &inner {
            None => Some(i),
            Some(inner) => inner.cols.get(i).and_then(|c| c.base),
        }
    };
    let mut cols = Vec::new();
    for t in &sel.target_list {
        let Some(Node::ResTarget(rt)) = t.node.as_ref() else {
            continue;
        };
        let Some(val) = rt.val.as_deref() else {
            continue;
        };
        if let Some(Node::ColumnRef(cr)) = val.node.as_ref()
            && let Some(Node::AStar(_)) = cr.fields.last().and_then(|f| f.node.as_ref())
        {
            for (i, sc) in scope.cols.iter().enumerate() {
                if sc.hidden {
                    continue;
                }
                cols.push(ViewCol {
                    name: sc.name.clone(),
                    ty: sc.ty.clone(),
                    expr: lower(Expr::Column(i))?,
                    base: base_of(i),
                });
            }
            continue;
        }
        let (e, ty) = b.bind_scalar(val, &scope, "SELECT")?;
        let base = match (&e, val.node.as_ref()) {
            (Expr::Column(i), Some(Node::ColumnRef(_))) => base_of(*i),
            _ => None,
        };
        cols.push(ViewCol {
            name: String::new(),
            ty,
            expr: lower(e)?,
            base,
        });
    }
    // A star expands to the columns the view had when it was created.
    cols.truncate(v.columns.len());
    for (c, n) in cols.iter_mut().zip(&v.columns) {
        c.name = n.clone();
    }
    if !matches!(op, ViewOp::Delete) && cols.iter().all(|c| c.base.is_none()) {
        return fail("Views that have no updatable columns are not automatically updatable.");
    }
    let mut pred = match sel.where_clause.as_deref() {
        Some(w) => Some(lower(b.bind_condition(w, &scope, "WHERE")?)?),
        None => None,
    };
    let mut checks = inner.as_ref().map(|i| i.checks.clone()).unwrap_or_default();
    if (cascaded || v.check_option.is_some())
        && let Some(p) = &pred
    {
        checks.push((v.name.clone(), p.clone()));
    }
    if let Some(ip) = inner.and_then(|i| i.pred) {
        pred = Some(match pred {
            Some(p) => Expr::And(Box::new(ip), Box::new(p)),
            None => ip,
        });
    }
    Ok(ViewTarget {
        name: v.name.clone(),
        table,
        cols,
        pred,
        checks,
        defaults: v.defaults.clone(),
    })
}

impl ViewTarget {
    /// Fails with 44000 if a new base row breaks a WITH CHECK OPTION condition.
    pub fn check_row(
        &self,
        row: &[basalt_common::types::Value],
        cx: &mut crate::exec::Cx<'_>,
    ) -> Result<(), SqlError> {
        for (view, cond) in &self.checks {
            if crate::expr::truth(&crate::expr::eval(cond, row, cx)?) != Some(true) {
                return Err(SqlError::new(
                    "44000",
                    format!("new row violates check option for view \"{view}\""),
                )
                .with_detail(crate::dml::failing_row(row, cx)));
            }
        }
        Ok(())
    }
}
