//! The binder: from `pg_query` parse trees to [`Plan`]s and [`Expr`]s.
//!
//! Names are resolved against the catalog (tables through `search_path`), the FROM clause's
//! columns, and enclosing queries' columns (correlated subqueries); types are checked and
//! coerced with PostgreSQL's rules (untyped literals take the type the context wants,
//! numbers widen along `smallint < integer < bigint < numeric < real < double precision`);
//! functions, operators and aggregates are resolved through [`basalt_func`]. Constant
//! sub-expressions of immutable functions are folded here.
//!
//! A SELECT is planned in PostgreSQL's logical order: FROM (joins) → WHERE → GROUP BY /
//! aggregates → HAVING → window functions → set-returning functions of the select list
//! ([`Plan::ProjectSet`]) → select list (plus hidden ORDER BY columns) → DISTINCT → ORDER BY
//! → LIMIT/OFFSET → drop hidden columns. Aggregates, window functions and set-returning
//! functions are collected while the select list is bound and stand in it as placeholders
//! ([`Expr::Agg`], [`Expr::Window`], [`Expr::Srf`]) until their plan nodes exist.
//!
//! Errors carry PostgreSQL's position: an error raised while binding an expression node takes
//! that node's location unless it already has one ([`Binder::bind_expr`]); errors about a
//! whole expression (an argument's type, a column's value) point where it starts
//! ([`expr_start`]); statement-level errors take the location PostgreSQL uses (the extra
//! column, the second WITH item, the mismatched VALUES list, ...). Positions count bytes of
//! the query string here; the session turns them into characters. Constants that fail to
//! cast are left to fail when the statement runs, without a position, as PostgreSQL's
//! constant folding does.

use basalt_common::types::{
    ArithOp, CastContext, DataType, RecordType, TypeContext, Value, cast::cast_unknown_literal,
    cast_context,
};
use pg_query::protobuf::{self, node::Node};

use crate::catalog::{Catalog, Relation, Table};
use crate::error::SqlError;
use crate::expr::{BoolTest, CmpOp, Expr, SeqFunc, Subquery, SubqueryKind, const_context};
use crate::plan::{
    Access, AggCall, Cte, Frame, FrameBound, FrameExclude, JoinKind, Plan, SetOpKind, SortKey,
    SrfCall, WindowCall, WindowFunc,
};

mod rows;
pub(crate) mod sqlfunc;
mod useragg;

/// A column visible in a scope.
#[derive(Debug, Clone)]
pub struct ScopeCol {
    /// The qualifier (table name or alias).
    pub table: Option<String>,
    /// Column name.
    pub name: String,
    /// Type.
    pub ty: DataType,
    /// Hidden from `*` (e.g. a USING join's right copy).
    pub hidden: bool,
    /// The table column this is (table OID, position), for functional dependencies.
    pub origin: Option<(u32, usize)>,
}

/// A FULL JOIN without a merge or hash key, waiting to learn whether conditions above it
/// reduce it (see `Binder::full_joins`).
#[derive(Debug, Clone)]
struct FullJoinCheck {
    /// Table names of the left side's columns.
    left: Vec<Option<String>>,
    /// Table names of the right side's columns.
    right: Vec<Option<String>>,
    /// A strict condition above it reads one of its sides.
    reduced: bool,
    /// It is the whole FROM clause (a WHERE folded to FALSE then leaves nothing to plan).
    whole_from: bool,
}

/// A LEFT or RIGHT join's condition, which applies to its preserved side too once a strict
/// condition above reads its nullable side (the join is then an inner join).
#[derive(Debug, Clone)]
struct OuterJoinCond {
    /// The FULL JOIN checks (indexes into `full_joins`) on its preserved side.
    preserved: std::ops::Range<usize>,
    /// Table names its nullable side's columns have.
    nullable: Vec<Option<String>>,
    /// Table names its condition cannot see NULL in.
    strict: Vec<Option<String>>,
}

impl FullJoinCheck {
    /// Marks it reduced when one of `tables` (those a strict condition reads) is a side's.
    fn reduce_by(&mut self, tables: &[&Option<String>]) {
        if tables
            .iter()
            .any(|t| self.left.contains(t) || self.right.contains(t))
        {
            self.reduced = true;
        }
    }
}

/// Table names of the columns that a row satisfying `pred` cannot have NULL in.
fn strict_tables<'s>(pred: &Expr, scope: &'s Scope) -> Vec<&'s Option<String>> {
    nonnullable_tables(pred, scope, true, false)
}

/// The tables whose columns a row satisfying `e` (its negation when `neg`) cannot have NULL
/// in: PostgreSQL's `find_nonnullable_rels` after its constant folding pushed NOTs down.
/// Strict operators force their columns; an AND at the top level forces what any arm forces,
/// an OR (or an AND below the top) what every arm forces; IS NOT NULL, IS TRUE and IS FALSE
/// count at the top level only.
fn nonnullable_tables<'s>(
    e: &Expr,
    scope: &'s Scope,
    top: bool,
    neg: bool,
) -> Vec<&'s Option<String>> {
    let strict = |args: &[&Expr]| -> Vec<&'s Option<String>> {
        args.iter()
            .flat_map(|a| nonnullable_tables(a, scope, false, false))
            .collect()
    };
    match e {
        Expr::Column(i) => scope.cols.get(*i).map(|c| &c.table).into_iter().collect(),
        Expr::Cmp(_, a, b) | Expr::Arith(_, a, b) => strict(&[a, b]),
        Expr::Neg(a) | Expr::Cast(a, ..) | Expr::InList(a, ..) => strict(&[a]),
        Expr::Func {
            args, strict: true, ..
        } => strict(&args.iter().collect::<Vec<_>>()),
        Expr::Not(a) => nonnullable_tables(a, scope, top, !neg),
        Expr::And(a, b) | Expr::Or(a, b) => {
            let conjunction = matches!(e, Expr::And(..)) != neg;
            // Arms folding to the operator's identity disappear (`x OR FALSE` is x).
            let identity = Some(Some(conjunction != neg));
            let arms: Vec<&Expr> = [&**a, &**b]
                .into_iter()
                .filter(|x| const_condition(x) != identity)
                .collect();
            let sets: Vec<Vec<&'s Option<String>>> = arms
                .iter()
                .map(|x| nonnullable_tables(x, scope, top && conjunction, neg))
                .collect();
            if conjunction && top {
                sets.into_iter().flatten().collect()
            } else {
                let mut it = sets.into_iter();
                let first = it.next().unwrap_or_default();
                it.fold(first, |acc, s| {
                    acc.into_iter().filter(|t| s.contains(t)).collect()
                })
            }
        }
        Expr::IsNull(a, not_null) if top && (*not_null != neg) => strict(&[a]),
        Expr::BoolTest(a, t) if top => {
            let positive = matches!(t, BoolTest::IsTrue | BoolTest::IsFalse);
            let negative = matches!(t, BoolTest::IsNotTrue | BoolTest::IsNotFalse);
            if (positive && !neg) || (negative && neg) {
                strict(&[a])
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    }
}

/// The value of a boolean condition that PostgreSQL's constant folding reduces to a constant
/// (`TRUE OR x`, `NOT FALSE`, `(1 = 0) IS NOT TRUE`); `None` if it depends on the row.
fn const_condition(e: &Expr) -> Option<Option<bool>> {
    let row_free = !e.any(&|x| {
        matches!(
            x,
            Expr::Column(_)
                | Expr::Outer { .. }
                | Expr::Param(_)
                | Expr::Subquery(_)
                | Expr::Sequence(..)
                | Expr::Agg(_)
                | Expr::Window(_)
                | Expr::Grouping(..)
                | Expr::Srf(_)
        )
    });
    if row_free
        && !matches!(e, Expr::Const(_))
        && let Some(v) = crate::exec::eval_const(e, const_context(&TypeContext::default()))
    {
        return match v {
            Value::Bool(b) => Some(Some(b)),
            Value::Null => Some(None),
            _ => None,
        };
    }
    match e {
        Expr::Const(Value::Bool(b)) => Some(Some(*b)),
        Expr::Const(Value::Null) => Some(None),
        Expr::And(a, b) => match (const_condition(a), const_condition(b)) {
            (Some(Some(false)), _) | (_, Some(Some(false))) => Some(Some(false)),
            (Some(Some(true)), Some(x)) | (Some(x), Some(Some(true))) => Some(x),
            (Some(None), Some(None)) => Some(None),
            _ => None,
        },
        Expr::Or(a, b) => match (const_condition(a), const_condition(b)) {
            (Some(Some(true)), _) | (_, Some(Some(true))) => Some(Some(true)),
            (Some(Some(false)), Some(x)) | (Some(x), Some(Some(false))) => Some(x),
            (Some(None), Some(None)) => Some(None),
            _ => None,
        },
        Expr::Not(a) => const_condition(a).map(|x| x.map(|b| !b)),
        Expr::BoolTest(a, t) => const_condition(a).map(|x| Some(t.apply(x))),
        Expr::IsNull(a, not) => const_condition(a).map(|x| Some(x.is_none() != *not)),
        _ => None,
    }
}

/// The columns of a FROM clause, in row order.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Columns.
    pub cols: Vec<ScopeCol>,
}

/// A bound query: plan, output names and types.
#[derive(Debug, Clone)]
pub struct Query {
    /// The plan.
    pub plan: Plan,
    /// Output column names.
    pub names: Vec<String>,
    /// Output column types.
    pub types: Vec<DataType>,
}

struct CteDef {
    name: String,
    id: usize,
    names: Vec<String>,
    types: Vec<DataType>,
    /// Bound while binding its own recursive term.
    working: bool,
    /// A data-modifying WITH query without RETURNING (cannot be read).
    no_returning: bool,
    /// The subquery depth (`levels.len()`) where it is defined: one inside a subquery may
    /// read that subquery's outer row, so subqueries reading it are correlated too.
    level: usize,
}

/// Aggregation state while binding one SELECT's list.
#[derive(Default)]
struct AggCollect {
    aggs: Vec<AggCall>,
    windows: Vec<WindowCall>,
    /// Set-returning functions of the select list.
    srfs: Vec<SrfCall>,
    allowed: bool,
    windows_allowed: bool,
    /// Set-returning functions may appear (the select list, outside aggregate and window
    /// arguments).
    srfs_allowed: bool,
    context: &'static str,
    /// Where the first aggregate call is.
    first_agg: Option<i32>,
    /// The columns the direct arguments of each ordered-set aggregate read: (index in
    /// `aggs`, [(column, location)]), to check that they are grouped.
    direct_refs: Vec<(usize, Vec<(usize, i32)>)>,
    /// Where the arguments of GROUPING calls of subqueries are (index in `aggs`), for the
    /// error when one is not grouped.
    grouping_at: Vec<(usize, Vec<Option<u32>>)>,
}

/// Where a `*` of a select list was (its column reference's location) and the columns it
/// stood for (qualifier, name), recorded for CREATE VIEW ([`Binder::stars`]).
pub(crate) type StarExpansion = (usize, Vec<(Option<String>, String)>);

/// The binder for one statement.
pub struct Binder<'a> {
    /// The catalog.
    pub catalog: &'a Catalog,
    /// The schemas to search, in order.
    pub search_path: Vec<u32>,
    /// Type context (time zone).
    pub types: TypeContext,
    /// Parameter types ($1 = index 0); Unknown until inferred.
    pub params: Vec<DataType>,
    /// Scopes of the enclosing queries (innermost last) and whether a reference to them was
    /// made while binding at each level.
    levels: Vec<(Scope, bool)>,
    /// The row lock of the SELECT whose FROM clause is being bound.
    row_lock: Option<crate::plan::RowLock>,
    /// Materialized views not yet populated may be read (CREATE MATERIALIZED VIEW ... WITH
    /// NO DATA, which does not run its query).
    pub allow_unpopulated: bool,
    /// The WINDOW clause of the SELECT being bound.
    named_windows: Vec<protobuf::WindowDef>,
    /// The whole query string, to place errors about literals.
    pub source: Option<std::sync::Arc<str>>,
    /// The positions of the arguments of the function call being bound, for errors about
    /// one of them (a relation name given as `regclass` text is looked up at its literal).
    pub(crate) call_arg_positions: Vec<Option<u32>>,
    /// The session's settings, for `current_setting()`.
    pub settings: Option<&'a crate::settings::Settings>,
    /// The session's cursors, for `pg_cursors`.
    pub cursors: Option<&'a crate::cursor::Cursors>,
    /// The session's SQL prepared statements, for `pg_prepared_statements`.
    pub(crate) prepared: Option<&'a crate::system::Prepared>,
    /// The session's process id (`pg_backend_pid()`).
    pub process_id: i32,
    /// The channels the session listens on (`pg_listening_channels()`).
    pub listening: &'a [String],
    /// Where the parameter types this binder infers go as it infers them, for the binders
    /// made after it ([`crate::session::Session::describe_prepared`]).
    pub(crate) param_sink: Option<&'a std::cell::RefCell<Vec<DataType>>>,
    ctes: Vec<CteDef>,
    next_id: usize,
    agg: Option<AggCollect>,
    /// String literals bound so far, with their locations (see `literal_position`).
    literals: Vec<(String, i32)>,
    /// Set while an error without a position propagates out of a subquery, so that the
    /// expressions around it do not claim it.
    pub(crate) unplaced: bool,
    /// References to the current SELECT's FROM columns outside aggregate arguments: (scope
    /// column, location, clause item), to place "must appear in the GROUP BY clause" errors.
    col_refs: Vec<(usize, i32, usize)>,
    /// The clause item being bound (select-list index, `ORDER_ITEM + i`, `HAVING_ITEM`).
    ref_item: usize,
    /// Aggregate calls around the expression being bound (in this SELECT).
    agg_depth: usize,
    /// The SELECT about to be bound is a recursive query's recursive term.
    recursive_term: bool,
    /// Whether the last function in FROM bound reads the FROM items before it (then it is
    /// run again for each of their rows; else once, as PostgreSQL's function scan).
    function_lateral: bool,
    /// Names of WITH items not defined yet at this point (forward references).
    pending_ctes: Vec<String>,
    /// The FROM entries of each SELECT being bound (outermost first), visible from here or
    /// not: (name or alias, the relation's name when aliased).
    rtes: Vec<Vec<(String, Option<String>)>>,
    /// Names given by `JOIN ... USING (...) AS alias`: they qualify join columns, not a
    /// relation's, and PostgreSQL's column hints never suggest them.
    using_aliases: Vec<String>,
    /// While binding an ordered-set aggregate's direct arguments: the query level
    /// (`levels.len()`) and the columns of it they read, with their locations.
    direct_refs: Option<(usize, Vec<(usize, i32)>)>,
    /// The aggregate collections of the queries enclosing the subquery being bound
    /// (innermost last): an aggregate over outer columns only belongs to the outer query.
    /// Each entry is the index in `levels` of that query's FROM scope.
    outer_aggs: Vec<(usize, Option<AggCollect>)>,
    /// Levels pushed for a LATERAL subquery in FROM (its outer columns are the FROM
    /// clause's, where the enclosing query's aggregates may not be).
    lateral_levels: Vec<usize>,
    /// Outer references made while binding:
    /// (level index in `levels`, column, position of the reference).
    level_refs: Vec<(usize, usize, Option<u32>)>,
    /// The catalog snapshot of conversions to `regclass` and friends (made on first use).
    reg: Option<crate::system::RegMap>,
    /// Constant sub-expressions whose folding failed (`1/0`), with their errors, in binding
    /// order. PostgreSQL's planner folds constants and so raises these even when no row is
    /// read, except in branches it drops while folding (a CASE arm behind a constant FALSE
    /// condition, AND / OR / COALESCE arguments after a deciding constant): those are
    /// removed again when the branch is known dead. See [`Binder::take_const_error`].
    const_errors: Vec<(Expr, SqlError)>,
    /// When recording (CREATE VIEW): each `*` / `t.*` of a select list, by the location of
    /// its column reference, with the columns it stood for (qualifier, name).
    pub(crate) stars: Option<Vec<StarExpansion>>,
    /// FULL JOINs bound without an equality PostgreSQL could merge or hash on: the table
    /// names of their two sides. Unless the WHERE clause of their SELECT turns them into
    /// LEFT / RIGHT joins (a strict condition on one side), PostgreSQL's planner refuses
    /// them (0A000); see `check_full_joins`.
    full_joins: Vec<FullJoinCheck>,
    /// LEFT / RIGHT join conditions that reduce FULL JOINs if their join becomes inner.
    outer_conds: Vec<OuterJoinCond>,
    /// The JoinExpr that is a SELECT's whole FROM clause (by address), while binding it.
    whole_from: usize,
    /// Errors PostgreSQL raises while planning (after constant folding).
    plan_errors: Vec<SqlError>,
    /// The FULL JOIN checks of the SELECT being bound wait for its HAVING clause (PostgreSQL
    /// moves one without aggregates into WHERE): the `full_joins` mark and the WHERE clause.
    full_check: Option<(usize, Option<Expr>)>,
    /// Sub-expressions that constant folding removed (`x * NULL`, dead CASE arms) with the
    /// clause item they were in: PostgreSQL checks grouping before it folds, so an aggregated
    /// query still checks their columns.
    dropped: Vec<(Expr, usize)>,
    /// The `levels` depth of the EXISTS subqueries being bound: PostgreSQL never plans
    /// their select lists, so their folding failures do not count.
    /// Set while binding the body of a SQL function: its parameters, by name too.
    pub fn_params: Option<sqlfunc::FnParams>,
    exists_depths: Vec<usize>,
}

/// `Binder::ref_item` of the ORDER BY items (plus their index).
const ORDER_ITEM: usize = 1 << 20;
/// `Binder::ref_item` of HAVING.
const HAVING_ITEM: usize = 1 << 21;
/// `Binder::ref_item` of GROUP BY and other clauses.
const OTHER_ITEM: usize = 1 << 22;

/// Position of a node for errors (1-based), from a parse location.
pub fn pos(location: i32) -> Option<u32> {
    u32::try_from(location).ok().map(|l| l + 1)
}

fn err(code: &'static str, msg: impl Into<String>) -> SqlError {
    SqlError::new(code, msg)
}

/// The string of a `String` node.
pub fn node_str(n: &protobuf::Node) -> Option<&str> {
    match n.node.as_ref()? {
        Node::String(s) => Some(&s.sval),
        _ => None,
    }
}

/// The queries of a WITH clause, in order; a name given twice is 42712 (PostgreSQL checks
/// the names before analysing any query).
pub(crate) fn with_items(
    with: &protobuf::WithClause,
) -> Result<Vec<&protobuf::CommonTableExpr>, SqlError> {
    let items: Vec<&protobuf::CommonTableExpr> = with
        .ctes
        .iter()
        .filter_map(|c| match c.node.as_ref() {
            Some(Node::CommonTableExpr(cte)) => Some(&**cte),
            _ => None,
        })
        .collect();
    for (i, cte) in items.iter().enumerate() {
        if items[..i].iter().any(|o| o.ctename == cte.ctename) {
            return Err(err(
                "42712",
                format!(
                    "WITH query name \"{}\" specified more than once",
                    cte.ctename
                ),
            )
            .at(pos(cte.location)));
        }
    }
    Ok(items)
}

/// A WITH query's column names with its alias list applied (`WITH w (a, b) AS ...`); more
/// aliases than columns is 42P10 when the query returns rows.
pub(crate) fn apply_cte_aliases(
    cte: &protobuf::CommonTableExpr,
    cols: &mut [String],
    returning: bool,
) -> Result<(), SqlError> {
    let alias = names(&cte.aliascolnames);
    if alias.len() > cols.len() && returning {
        return Err(err(
            "42P10",
            format!(
                "WITH query \"{}\" has {} columns available but {} columns specified",
                cte.ctename,
                cols.len(),
                alias.len()
            ),
        )
        .at(pos(cte.location)));
    }
    for (c, a) in cols.iter_mut().zip(alias) {
        *c = a;
    }
    Ok(())
}

/// Whether the WITH query `cte` is read by the statement's main part (`main_text`, its
/// parse tree printed) or by a later WITH query (`later`): a data-modifying one that nothing
/// reads runs after the main part.
pub(crate) fn cte_read_later(
    cte: &protobuf::CommonTableExpr,
    main_text: &str,
    later: &[&protobuf::CommonTableExpr],
) -> bool {
    let needle = format!("relname: {:?}", cte.ctename);
    main_text.contains(&needle) || later.iter().any(|o| format!("{o:?}").contains(&needle))
}

/// A result column's type: `unknown` (an untyped literal) is reported as `text`.
pub(crate) fn text_for_unknown(t: DataType) -> DataType {
    if t == DataType::Unknown {
        DataType::Text
    } else {
        t
    }
}

/// The names of a list of `String` nodes.
pub fn names(nodes: &[protobuf::Node]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(|n| node_str(n).map(str::to_string))
        .collect()
}

/// The type a `TypeName` names (serial types map to their integer type).
pub fn type_name(t: &protobuf::TypeName) -> Result<DataType, SqlError> {
    let parts = names(&t.names);
    let name = match parts.as_slice() {
        [n] => n.clone(),
        [s, n] if s == "pg_catalog" => n.clone(),
        _ => parts.join("."),
    };
    let mut mods = Vec::new();
    for m in &t.typmods {
        match m.node.as_ref() {
            Some(Node::AConst(c)) => match &c.val {
                Some(protobuf::a_const::Val::Ival(i)) => mods.push(i.ival),
                _ => {
                    return Err(
                        err("42601", "type modifiers must be simple constants").at(pos(c.location))
                    );
                }
            },
            _ => return Err(err("42601", "type modifiers must be simple constants")),
        }
    }
    let name = match name.as_str() {
        // The grammar spells SQL's `char` `bpchar`: a bare `char` is the quoted `"char"`.
        "char" => "\"char\"".to_string(),
        // Transaction and command ids are bigint here.
        "xid" | "cid" => "int8".to_string(),
        "serial" | "serial4" => "int4".to_string(),
        "bigserial" | "serial8" => "int8".to_string(),
        "smallserial" | "serial2" => "int2".to_string(),
        // The grammar turns `interval` with fields into typmods; Basalt keeps plain interval.
        "interval" => {
            mods.clear();
            name
        }
        _ => name,
    };
    let base = DataType::from_name(&name, &mods).map_err(|e| {
        if e.code() == "42704" || e.message().contains("does not exist") {
            err("42704", format!("type \"{name}\" does not exist")).at(pos(t.location))
        } else {
            SqlError::from(e).at(pos(t.location))
        }
    })?;
    if !t.array_bounds.is_empty() && !matches!(base, DataType::Array(_)) {
        return Ok(DataType::Array(Box::new(base)));
    }
    Ok(base)
}

/// A type name, built-in or composite: a `CREATE TYPE` type or a table's row type (`t`,
/// `s.t`, `t[]`), looked up through `search_path`.
pub fn resolve_type_in(
    cat: &Catalog,
    search_path: &[u32],
    tn: &protobuf::TypeName,
) -> Result<DataType, SqlError> {
    let e = match type_name(tn) {
        Ok(t) => return Ok(t),
        Err(e) if e.code().code() == "42704" => e,
        Err(e) => return Err(e),
    };
    let parts = names(&tn.names);
    let (schema, name) = match parts.as_slice() {
        [n] => (None, n.as_str()),
        [s, n] => (Some(s.as_str()), n.as_str()),
        _ => return Err(e),
    };
    let schemas: Vec<u32> = match schema {
        Some(s) => cat.schema_oid(s).into_iter().collect(),
        None => search_path.to_vec(),
    };
    let t = if let Some(rt) = schemas.iter().find_map(|s| composite_in(cat, *s, name)) {
        DataType::Record(Box::new(rt))
    } else {
        match schemas.iter().find_map(|s| cat.user_type_in(*s, name)) {
            Some(crate::usertypes::UserType::Enum(oid)) => match cat.enum_type(oid) {
                Some(t) => DataType::Enum(t),
                None => return Err(e),
            },
            // A domain is its base type here; `domain_of` tells the caller it was one.
            Some(crate::usertypes::UserType::Domain(oid)) => match cat.domains.get(&oid) {
                Some(d) if tn.array_bounds.is_empty() => return Ok(d.base.clone()),
                // An array of a domain over a scalar: `domain_of` names its checks.
                Some(d) if !matches!(d.base, DataType::Array(_)) => {
                    return Ok(DataType::Array(Box::new(d.base.clone())));
                }
                // An array of a domain over an array: not a type here.
                Some(d) => {
                    return Err(err(
                        "0A000",
                        format!("feature not supported: arrays of domain {}", d.name),
                    )
                    .at(pos(tn.location)));
                }
                None => return Err(e),
            },
            _ => return Err(e),
        }
    };
    Ok(if tn.array_bounds.is_empty() {
        t
    } else {
        DataType::Array(Box::new(t))
    })
}

/// The domain a type name names, if any; for an array of a domain, the domain's array type
/// (whose checks apply to each element, see [`crate::usertypes::DomainChecks`]).
pub fn domain_of(cat: &Catalog, search_path: &[u32], tn: &protobuf::TypeName) -> Option<u32> {
    if type_name(tn).is_ok() {
        return None;
    }
    let parts = names(&tn.names);
    let (schema, name) = match parts.as_slice() {
        [n] => (None, n.as_str()),
        [s, n] => (Some(s.as_str()), n.as_str()),
        _ => return None,
    };
    let schemas: Vec<u32> = match schema {
        Some(s) => cat.schema_oid(s).into_iter().collect(),
        None => search_path.to_vec(),
    };
    schemas
        .iter()
        .find_map(|s| match cat.user_type_in(*s, name) {
            Some(crate::usertypes::UserType::Domain(oid)) if tn.array_bounds.is_empty() => {
                Some(oid)
            }
            Some(crate::usertypes::UserType::Domain(oid)) => {
                cat.domains.get(&oid).map(|d| d.array_oid)
            }
            _ => None,
        })
}

/// The composite type `name` of schema `schema`: a `CREATE TYPE` type or a table's row type.
pub fn composite_in(cat: &Catalog, schema: u32, name: &str) -> Option<RecordType> {
    if let Some(t) = cat
        .types
        .values()
        .find(|t| t.schema == schema && t.name == name)
    {
        return cat.composite(t.oid);
    }
    match cat.relation_in(schema, name)? {
        Relation::Table(oid) => cat.composite(crate::catalog::ROW_TYPE_OID_BASE + oid),
        _ => None,
    }
}

/// Where a column definition list starts.
fn first_coldef_location(list: &protobuf::Node) -> Option<u32> {
    let Some(Node::List(l)) = list.node.as_ref() else {
        return None;
    };
    match l.items.first().and_then(|n| n.node.as_ref()) {
        Some(Node::ColumnDef(cd)) => pos(cd.location),
        _ => None,
    }
}

/// A column's type: [`type_name`], refusing the OID alias types (a stored `regclass` would
/// keep the name it had when written).
pub fn column_type(t: &protobuf::TypeName) -> Result<DataType, SqlError> {
    let ty = type_name(t)?;
    check_column_type(&ty).map_err(|e| e.at(pos(t.location)))?;
    Ok(ty)
}

/// Refuses the types a table column cannot have here.
pub fn check_column_type(ty: &DataType) -> Result<(), SqlError> {
    if let DataType::Reg(k) = ty.element().unwrap_or(ty) {
        return Err(err(
            "0A000",
            format!("feature not supported: table columns of type {}", k.name()),
        ));
    }
    Ok(())
}

/// The rank of a numeric type in PostgreSQL's implicit widening order.
pub(crate) fn num_rank(t: &DataType) -> Option<u8> {
    Some(match t {
        DataType::Int2 => 1,
        DataType::Int4 => 2,
        DataType::Int8 => 3,
        DataType::Numeric(_) => 4,
        DataType::Float4 => 5,
        DataType::Float8 => 6,
        _ => return None,
    })
}

fn time_rank(t: &DataType) -> Option<u8> {
    Some(match t {
        DataType::Date => 1,
        DataType::Timestamp(_) => 2,
        DataType::Timestamptz(_) => 3,
        _ => return None,
    })
}

/// The common type of several (for CASE, UNION, COALESCE, IN, comparisons), or an error
/// naming `context`.
pub fn common_type(types: &[DataType], context: &str) -> Result<DataType, SqlError> {
    common_type_at(types, &[], context)
}

/// [`common_type`], with the positions of the expressions: an error points at the first one
/// whose type does not match those before it.
pub fn common_type_at(
    types: &[DataType],
    locations: &[Option<u32>],
    context: &str,
) -> Result<DataType, SqlError> {
    let known: Vec<(usize, &DataType)> = types
        .iter()
        .enumerate()
        .filter(|(_, t)| **t != DataType::Unknown)
        .collect();
    let Some((_, first)) = known.first() else {
        return Ok(DataType::Text);
    };
    let mut best = (*first).clone();
    for (i, t) in &known[1..] {
        if t.same_base(&best) {
            if *t != &best {
                best = best.without_typmod();
            }
            continue;
        }
        if let (Some(a), Some(b)) = (num_rank(&best), num_rank(t)) {
            if b > a {
                best = (*t).clone();
            }
            continue;
        }
        // time converts implicitly to timetz, not back.
        match (&best, *t) {
            (DataType::Time(_), DataType::TimeTz(_)) => {
                best = (*t).clone();
                continue;
            }
            (DataType::TimeTz(_), DataType::Time(_)) => continue,
            _ => {}
        }
        if let (Some(a), Some(b)) = (time_rank(&best), time_rank(t)) {
            if b > a {
                best = (*t).clone();
            }
            continue;
        }
        let string = |t: &DataType| t.is_string() || *t == DataType::Name;
        if string(&best) && string(t) {
            // PostgreSQL keeps the first of the string category unless it is not the
            // preferred `text` and converts implicitly to the new one but not back: text,
            // varchar and char convert both ways (`COALESCE(char_col, text_col)` is a char),
            // varchar and char become `name`, which becomes `text` only. No length is kept.
            if best != DataType::Text
                && cast_context(&best, t) == Some(CastContext::Implicit)
                && cast_context(t, &best) != Some(CastContext::Implicit)
            {
                best = (*t).clone();
            }
            best = best.without_typmod();
            continue;
        }
        // An integer converts implicitly to oid and the OID aliases, not the other way
        // round; an alias and oid convert both ways, and oid is the preferred type.
        let int = |t: &DataType| num_rank(t).is_some_and(|r| r <= 3);
        let oid_type = |t: &DataType| matches!(t, DataType::Reg(_) | DataType::Oid);
        // (`oid` and an alias: the first, as PostgreSQL keeps it unless the second is
        // preferred and not convertible back.)
        let oid_and_alias = |a: &DataType, b: &DataType| {
            (*a == DataType::Oid && matches!(b, DataType::Reg(_)))
                || (*b == DataType::Oid && matches!(a, DataType::Reg(_)))
        };
        if (oid_type(&best) && int(t)) || oid_and_alias(&best, t) {
            continue;
        }
        if oid_type(t) && int(&best) {
            best = (*t).clone();
            continue;
        }
        // Both of the numeric category, so PostgreSQL picks a type (the first here, as
        // neither converts to the other) and then fails to convert the other one.
        if (oid_type(&best) && num_rank(t).is_some()) || (oid_type(t) && num_rank(&best).is_some())
        {
            return Err(err(
                "42846",
                format!(
                    "{context} could not convert type {} to {}",
                    t.format_type(),
                    best.format_type()
                ),
            )
            .at(locations.get(*i).copied().flatten()));
        }
        return Err(err(
            "42804",
            format!(
                "{context} types {} and {} cannot be matched",
                best.format_type(),
                t.format_type()
            ),
        )
        .at(locations.get(*i).copied().flatten()));
    }
    // PostgreSQL keeps a length or precision only when every input has the same one; an
    // untyped literal has none.
    if known.len() < types.len() {
        best = best.without_typmod();
    }
    Ok(best)
}

impl<'a> Binder<'a> {
    /// A binder over `catalog`.
    pub fn new(catalog: &'a Catalog, search_path: Vec<u32>, types: TypeContext) -> Binder<'a> {
        Binder {
            catalog,
            search_path,
            types,
            params: Vec::new(),
            levels: Vec::new(),
            source: None,
            call_arg_positions: Vec::new(),
            settings: None,
            cursors: None,
            prepared: None,
            process_id: std::process::id() as i32,
            listening: &[],
            param_sink: None,
            named_windows: Vec::new(),
            row_lock: None,
            allow_unpopulated: false,
            ctes: Vec::new(),
            next_id: 0,
            agg: None,
            literals: Vec::new(),
            unplaced: false,
            col_refs: Vec::new(),
            ref_item: OTHER_ITEM,
            agg_depth: 0,
            recursive_term: false,
            function_lateral: false,
            pending_ctes: Vec::new(),
            rtes: Vec::new(),
            using_aliases: Vec::new(),
            direct_refs: None,
            outer_aggs: Vec::new(),
            lateral_levels: Vec::new(),
            level_refs: Vec::new(),
            reg: None,
            const_errors: Vec::new(),
            stars: None,
            full_joins: Vec::new(),
            outer_conds: Vec::new(),
            whole_from: 0,
            plan_errors: Vec::new(),
            full_check: None,
            dropped: Vec::new(),
            exists_depths: Vec::new(),
            fn_params: None,
        }
    }

    /// The session's listened channels as a `text[]` constant and its argument types.
    fn listening_array(&self) -> (Expr, Vec<DataType>) {
        let chans = self
            .listening
            .iter()
            .map(|c| Value::Text(c.clone()))
            .collect();
        (
            Expr::Const(Value::array(DataType::Text, chans)),
            vec![DataType::Array(Box::new(DataType::Text))],
        )
    }

    /// The catalog snapshot that converting to `regclass` and friends needs.
    pub fn reg_map(&mut self) -> crate::system::RegMap {
        if let Some(m) = &self.reg {
            return m.clone();
        }
        let c = crate::system::ctx(self);
        let m = crate::system::RegMap(std::sync::Arc::new(crate::system::RegCatalog::new(&c)));
        self.reg = Some(m.clone());
        m
    }

    /// Converts `e` (of type `from`) to the OID alias type `kind`: now for a constant,
    /// otherwise when the expression runs (names need the catalog snapshot).
    pub(crate) fn reg_cast(
        &mut self,
        e: Expr,
        from: &DataType,
        kind: basalt_common::types::RegKind,
        missing_ok: bool,
    ) -> Result<Expr, SqlError> {
        let cat = self.reg_map();
        match &e {
            Expr::Const(Value::Text(s)) if *from == DataType::Unknown => {
                let text = s.clone();
                let v = cat
                    .0
                    .convert(&Value::Text(text.clone()), kind, missing_ok)
                    .map_err(|e| e.at(self.literal_position(&text)))?;
                Ok(Expr::Const(v))
            }
            Expr::Const(Value::Null) => Ok(Expr::Const(Value::Null)),
            // Other constants convert when the statement runs: PostgreSQL's errors there
            // (constant folding) carry no position.
            _ => Ok(Expr::RegCast {
                arg: Box::new(e),
                kind,
                cat,
                missing_ok,
            }),
        }
    }

    /// After a SELECT's FROM and WHERE: the FULL JOINs registered since `mark` that the WHERE
    /// clause does not reduce to one-sided outer joins cannot be planned by PostgreSQL.
    fn check_full_joins(&mut self, mark: usize, scope: &Scope, preds: &[&Expr]) {
        if self.full_joins.len() <= mark {
            return;
        }
        let tables: Vec<&Option<String>> =
            preds.iter().flat_map(|p| strict_tables(p, scope)).collect();
        // A LEFT / RIGHT join whose nullable side the WHERE clause forces is an inner join:
        // its condition then reduces the FULL JOINs on its other side too.
        let conds: Vec<OuterJoinCond> = self
            .outer_conds
            .iter()
            .filter(|c| c.preserved.start >= mark)
            .cloned()
            .collect();
        for c in conds {
            if tables.iter().any(|t| c.nullable.contains(t)) {
                let strict: Vec<&Option<String>> = c.strict.iter().collect();
                for j in self
                    .full_joins
                    .get_mut(c.preserved.clone())
                    .into_iter()
                    .flatten()
                {
                    j.reduce_by(&strict);
                }
            }
        }
        // A WHERE clause folded to FALSE or NULL leaves nothing to join when the FULL JOIN
        // is the whole FROM clause.
        let empty = preds
            .iter()
            .any(|p| matches!(const_condition(p), Some(None | Some(false))));
        for mut j in self.full_joins.drain(mark..) {
            j.reduce_by(&tables);
            j.reduced |= empty && j.whole_from;
            if !j.reduced {
                self.plan_errors.push(err(
                    "0A000",
                    "FULL JOIN is only supported with merge-joinable or hash-joinable join conditions",
                ));
            }
        }
    }

    /// The error PostgreSQL's planner would raise folding a constant sub-expression of the
    /// statement just bound (`SELECT 1/0 FROM t WHERE false` fails there too), if any.
    /// Only for statements PostgreSQL plans (not CREATE VIEW, defaults, constraints).
    pub fn take_const_error(&mut self) -> Option<SqlError> {
        let first = std::mem::take(&mut self.const_errors).into_iter().next();
        let planning = std::mem::take(&mut self.plan_errors).into_iter().next();
        first.map(|(_, e)| e).or(planning)
    }

    /// Remembers a sub-expression folding removed, for the grouping check (`dropped`).
    fn record_dropped(&mut self, e: &Expr) {
        // Inside an aggregate's arguments any column may appear: nothing to check.
        if self.agg_depth == 0 && e.any(&|x| matches!(x, Expr::Column(_))) {
            self.dropped.push((e.clone(), self.ref_item));
        }
    }

    /// An AND (`and`) or OR of `args`, with constants folded as PostgreSQL's planner does:
    /// FALSE decides an AND and TRUE an OR (the other arguments are dropped, and the folding
    /// errors of those after it forgotten, as folding stops there), TRUE in an AND and FALSE
    /// in an OR disappear, and all-NULL arguments give NULL.
    fn fold_bool(&mut self, and: bool, args: Vec<Expr>) -> Expr {
        let decides = Value::Bool(!and);
        if let Some(k) = args.iter().position(|a| a.as_const() == Some(&decides)) {
            for dead in &args[k + 1..] {
                self.forget_const_errors(dead);
            }
        }
        let mut kept: Vec<Expr> = Vec::new();
        let mut decided = None;
        let mut nulls = 0;
        for a in args {
            if decided.is_some() {
                self.record_dropped(&a);
                continue;
            }
            match a.as_const() {
                Some(Value::Bool(v)) if *v != and => decided = Some(a),
                Some(Value::Bool(_)) => {}
                Some(Value::Null) => nulls += 1,
                _ => kept.push(a),
            }
        }
        // PostgreSQL keeps one NULL constant, after the other arguments.
        let all_null = kept.is_empty() && nulls > 0;
        if nulls > 0 && !kept.is_empty() {
            kept.push(Expr::Const(Value::Null));
        }
        if let Some(d) = decided {
            for k in &kept {
                self.record_dropped(k);
            }
            d
        } else if all_null {
            Expr::Const(Value::Null)
        } else if kept.is_empty() {
            Expr::Const(Value::Bool(and))
        } else {
            kept.into_iter()
                .reduce(|a, b| {
                    if and {
                        Expr::And(Box::new(a), Box::new(b))
                    } else {
                        Expr::Or(Box::new(a), Box::new(b))
                    }
                })
                .unwrap_or(Expr::Const(Value::Bool(and)))
        }
    }

    /// [`fold`], remembering a failure (see `const_errors`). A strict operator or function
    /// with a NULL constant argument is NULL, whatever the other arguments (PostgreSQL folds
    /// `(x / 0) * NULL` to NULL without evaluating x / 0).
    fn fold_rec(&mut self, e: Expr) -> Expr {
        let strict = matches!(
            e,
            Expr::Arith(..) | Expr::Cmp(..) | Expr::Neg(_) | Expr::Func { strict: true, .. }
        );
        if strict
            && e.children()
                .iter()
                .any(|c| matches!(c, Expr::Const(Value::Null)))
        {
            self.record_dropped(&e);
            return Expr::Const(Value::Null);
        }
        let (e, failure) = fold_checked(e, &self.types);
        if let Some(x) = failure
            && x.code().code() != "XX000"
        {
            self.const_errors.push((e.clone(), x));
        }
        e
    }

    /// Forgets the folding failures inside `dead`, a branch PostgreSQL's constant folding
    /// never reaches.
    fn forget_const_errors(&mut self, dead: &Expr) {
        if self.const_errors.is_empty() {
            return;
        }
        let mut stack = vec![dead];
        while let Some(x) = stack.pop() {
            if let Some(i) = self.const_errors.iter().rposition(|(f, _)| f == x) {
                self.const_errors.remove(i);
            }
            stack.extend(x.children());
        }
    }

    /// Where the string literal with this value was bound (the first one, if several have
    /// it): errors converting an untyped literal point at it, as PostgreSQL's do. Falls back
    /// to finding `'text'` in the query string. Like every position in the binder, it counts
    /// bytes until the session turns it into characters.
    fn literal_position(&self, text: &str) -> Option<u32> {
        if let Some((_, l)) = self.literals.iter().find(|(t, _)| t == text) {
            return pos(*l);
        }
        let src = self.source.as_deref()?;
        let quoted = format!("'{}'", text.replace('\'', "''"));
        let byte = src.find(&quoted)?;
        u32::try_from(byte + 1).ok()
    }

    fn fresh_id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    // -----------------------------------------------------------------------------------
    // Names.

    /// Finds a table (or view) by possibly qualified name.
    pub fn lookup_relation(&self, schema: &str, name: &str) -> Option<(u32, Relation)> {
        if !schema.is_empty() {
            let s = self.catalog.schema_in_path(&self.search_path, schema)?;
            return self.catalog.relation_in(s, name).map(|r| (s, r));
        }
        self.search_path
            .iter()
            .find_map(|s| self.catalog.relation_in(*s, name).map(|r| (*s, r)))
    }

    /// A type name, built-in or composite (`t`, `s.t`, `t[]`).
    pub fn resolve_type(&self, tn: &protobuf::TypeName) -> Result<DataType, SqlError> {
        resolve_type_in(self.catalog, &self.search_path, tn)
    }

    /// The table a RangeVar names, or 42P01.
    pub fn table(&self, rv: &protobuf::RangeVar) -> Result<&'a Table, SqlError> {
        match self.lookup_relation(&rv.schemaname, &rv.relname) {
            Some((_, Relation::Table(oid))) => self
                .catalog
                .tables
                .get(&oid)
                .ok_or_else(|| err("XX000", "catalog entry vanished")),
            Some(_) => Err(err("42809", format!("\"{}\" is not a table", rv.relname))),
            None => Err(self.undefined_table(rv)),
        }
    }

    // -----------------------------------------------------------------------------------
    // Queries.

    /// Binds a query statement (SELECT, VALUES, set operations).
    pub fn bind_query(&mut self, node: &protobuf::Node) -> Result<Query, SqlError> {
        match node.node.as_ref() {
            Some(Node::SelectStmt(s)) => self.bind_select(s),
            _ => Err(err("0A000", "feature not supported: this query form")),
        }
    }

    fn bind_with(&mut self, with: &protobuf::WithClause) -> Result<Vec<Cte>, SqlError> {
        let mut out = Vec::new();
        let ctes = with_items(with)?;
        let ctes = if with.recursive {
            recursive_with_order(ctes)?
        } else {
            ctes
        };
        let saved_pending = self.pending_ctes.len();
        let r = self.bind_with_items(with, &ctes, &mut out);
        self.pending_ctes.truncate(saved_pending);
        r.map(|()| out)
    }

    fn bind_with_items(
        &mut self,
        with: &protobuf::WithClause,
        ctes: &[&protobuf::CommonTableExpr],
        out: &mut Vec<Cte>,
    ) -> Result<(), SqlError> {
        let base_pending = self.pending_ctes.len();
        for (i, cte) in ctes.iter().enumerate() {
            // Items not yet defined: referring to them is a forward reference.
            self.pending_ctes.truncate(base_pending);
            if !with.recursive {
                self.pending_ctes
                    .extend(ctes[i..].iter().map(|c| c.ctename.clone()));
            }
            let Some(q) = cte.ctequery.as_deref() else {
                continue;
            };
            let Some(Node::SelectStmt(sel)) = q.node.as_ref() else {
                // Top-level data-modifying WITH queries are run by the engine before binding
                // ([`Binder::add_external_cte`]); anywhere else they are refused.
                return Err(err(
                    "0A000",
                    "WITH clause containing a data-modifying statement must be at the top level",
                )
                .at(pos(cte.location)));
            };
            let id = self.fresh_id();
            let alias = names(&cte.aliascolnames);
            if with.recursive && self.references_name(Some(sel), &cte.ctename) {
                if sel.op != protobuf::SetOperation::SetopUnion as i32 {
                    return Err(err(
                        "42P19",
                        format!(
                            "recursive query \"{}\" does not have the form non-recursive-term UNION [ALL] recursive-term",
                            cte.ctename
                        ),
                    )
                    .at(pos(cte.location)));
                }
                if self.references_name(sel.larg.as_deref(), &cte.ctename) {
                    return Err(err(
                        "42P19",
                        format!(
                            "recursive reference to query \"{}\" must not appear within its non-recursive term",
                            cte.ctename
                        ),
                    )
                    .at(reference_location(sel.larg.as_deref(), &cte.ctename)));
                }
                check_recursive_term(sel, &cte.ctename)?;
            }
            let recursive_parts = with.recursive
                && sel.op == protobuf::SetOperation::SetopUnion as i32
                && self.references_name(sel.rarg.as_deref(), &cte.ctename);
            if recursive_parts {
                let (Some(l), Some(r)) = (sel.larg.as_deref(), sel.rarg.as_deref()) else {
                    continue;
                };
                let base = self.bind_select(l)?;
                let mut names_ = base.names.clone();
                for (i, a) in alias.iter().enumerate() {
                    if let Some(n) = names_.get_mut(i) {
                        *n = a.clone();
                    }
                }
                self.ctes.push(CteDef {
                    name: cte.ctename.clone(),
                    id,
                    names: names_.clone(),
                    types: base.types.clone(),
                    working: true,
                    no_returning: false,
                    level: self.levels.len(),
                });
                self.recursive_term = true;
                let rec = self.bind_select(r);
                self.recursive_term = false;
                self.ctes.pop();
                let rec = rec?;
                if rec.types.len() != base.types.len() {
                    return Err(err(
                        "42601",
                        "each UNION query must have the same number of columns",
                    )
                    .at(output_locations(r).first().copied().flatten()));
                }
                let locations = output_locations(l);
                for (i, (bt, rt)) in base.types.iter().zip(&rec.types).enumerate() {
                    // PostgreSQL: the column's type is the UNION's (a typmod only when both
                    // terms have the same), and must be the non-recursive term's.
                    let overall = if bt == rt {
                        bt.clone()
                    } else if *rt == DataType::Unknown || bt.without_typmod() == rt.without_typmod()
                    {
                        bt.without_typmod()
                    } else {
                        let c = common_type(&[bt.clone(), rt.clone()], "UNION")?;
                        if c == *bt { c } else { c.without_typmod() }
                    };
                    if overall != *bt {
                        return Err(err(
                            "42804",
                            format!(
                                "recursive query \"{}\" column {} has type {} in non-recursive term but type {} overall",
                                cte.ctename,
                                i + 1,
                                bt.format_type(),
                                overall.format_type()
                            ),
                        )
                        .with_hint("Cast the output of the non-recursive term to the correct type.")
                        .at(locations.get(i).copied().flatten()));
                    }
                }
                let rec_plan = coerce_plan(rec.plan, &rec.types, &base.types, self)?;
                out.push(Cte {
                    id,
                    plan: base.plan,
                    recursive: Some((rec_plan, sel.all)),
                });
                self.ctes.push(CteDef {
                    name: cte.ctename.clone(),
                    id,
                    names: names_,
                    types: base.types,
                    working: false,
                    no_returning: false,
                    level: self.levels.len(),
                });
            } else {
                let q = self.bind_select(sel)?;
                if alias.len() > q.names.len() {
                    return Err(err(
                        "42P10",
                        format!(
                            "WITH query \"{}\" has {} columns available but {} columns specified",
                            cte.ctename,
                            q.names.len(),
                            alias.len()
                        ),
                    )
                    .at(pos(cte.location)));
                }
                let mut names_ = q.names.clone();
                for (i, a) in alias.iter().enumerate() {
                    if let Some(n) = names_.get_mut(i) {
                        *n = a.clone();
                    }
                }
                out.push(Cte {
                    id,
                    plan: q.plan,
                    recursive: None,
                });
                self.ctes.push(CteDef {
                    name: cte.ctename.clone(),
                    id,
                    names: names_,
                    types: q.types,
                    working: false,
                    no_returning: false,
                    level: self.levels.len(),
                });
            }
        }
        Ok(())
    }

    fn references_name(&self, sel: Option<&protobuf::SelectStmt>, name: &str) -> bool {
        let Some(sel) = sel else { return false };
        format!("{sel:?}").contains(&format!("relname: \"{name}\""))
    }

    /// Makes a WITH query whose rows the engine computed beforehand (a data-modifying one,
    /// or any WITH query of a statement that has one) visible by name; `CteScan { id }`
    /// reads its rows, which the executor is given with [`crate::exec::Cx::set_cte`].
    pub fn add_external_cte(
        &mut self,
        name: &str,
        id: usize,
        names: Vec<String>,
        types: Vec<DataType>,
        returning: bool,
    ) {
        self.ctes.push(CteDef {
            name: name.to_string(),
            id,
            names,
            types,
            working: false,
            no_returning: !returning,
            level: self.levels.len(),
        });
    }

    /// Binds a SELECT (or VALUES, or set operation).
    pub fn bind_select(&mut self, s: &protobuf::SelectStmt) -> Result<Query, SqlError> {
        let with_count = self.ctes.len();
        let ctes = match &s.with_clause {
            Some(w) => self.bind_with(w)?,
            None => Vec::new(),
        };
        let result = self.bind_select_body(s);
        self.ctes.truncate(with_count);
        let mut q = result?;
        if !ctes.is_empty() {
            q.plan = Plan::With {
                ctes,
                input: Box::new(q.plan),
            };
        }
        Ok(q)
    }

    fn bind_select_body(&mut self, s: &protobuf::SelectStmt) -> Result<Query, SqlError> {
        // Column references and aggregate nesting are per SELECT.
        let saved = (
            std::mem::take(&mut self.col_refs),
            std::mem::replace(&mut self.ref_item, OTHER_ITEM),
            std::mem::take(&mut self.agg_depth),
        );
        self.rtes.push(Vec::new());
        let r = self.bind_select_body_inner(s);
        self.rtes.pop();
        (self.col_refs, self.ref_item, self.agg_depth) = saved;
        r
    }

    fn bind_select_body_inner(&mut self, s: &protobuf::SelectStmt) -> Result<Query, SqlError> {
        let recursive_term = std::mem::take(&mut self.recursive_term);
        if let Some(into) = &s.into_clause {
            // A top-level SELECT INTO is CREATE TABLE AS before binding.
            return Err(err("42601", "SELECT ... INTO is not allowed here")
                .at(into.rel.as_ref().and_then(|r| pos(r.location))));
        }
        let row_lock = match s.locking_clause.first().and_then(|n| n.node.as_ref()) {
            Some(Node::LockingClause(lc)) => Some(crate::plan::RowLock {
                exclusive: lc.strength >= protobuf::LockClauseStrength::LcsFornokeyupdate as i32,
                nowait: lc.wait_policy == protobuf::LockWaitPolicy::LockWaitError as i32,
                skip_locked: lc.wait_policy == protobuf::LockWaitPolicy::LockWaitSkip as i32,
            }),
            _ => None,
        };
        if row_lock.is_some()
            && (!s.group_clause.is_empty() || !s.distinct_clause.is_empty() || s.op > 1)
        {
            let what = if !s.group_clause.is_empty() {
                "GROUP BY clause"
            } else if !s.distinct_clause.is_empty() {
                "DISTINCT clause"
            } else {
                "UNION/INTERSECT/EXCEPT"
            };
            let strength = crate::cursor::lock_strength_text(s).unwrap_or("FOR UPDATE");
            return Err(err(
                "0A000",
                format!("{strength} is not allowed with {what}"),
            ));
        }

        let op = s.op;
        if op != protobuf::SetOperation::SetopNone as i32 && op != 0 {
            return self.bind_set_op(s);
        }
        if !s.values_lists.is_empty() {
            let q = self.bind_values(&s.values_lists)?;
            return self.finish_order_limit(q, s, None);
        }
        // FROM
        self.row_lock = row_lock;
        let full_mark = self.full_joins.len();
        let dropped_mark = self.dropped.len();
        let conds_mark = self.outer_conds.len();
        let saved_whole = self.whole_from;
        self.whole_from = match s.from_clause.as_slice() {
            [item] => match item.node.as_ref() {
                Some(Node::JoinExpr(j)) => std::ptr::from_ref(&**j) as usize,
                _ => 0,
            },
            _ => 0,
        };
        let from = self.bind_from(&s.from_clause);
        self.whole_from = saved_whole;
        self.row_lock = None;
        let (mut plan, scope) = from?;
        // WHERE
        let mut where_pred = None;
        if let Some(w) = &s.where_clause {
            let pred = self.bind_condition(w, &scope, "WHERE")?;
            where_pred = Some(pred.clone());
            plan = Plan::Filter {
                input: Box::new(plan),
                pred,
            };
        }
        self.full_check = Some((full_mark, where_pred));
        // Select list (aggregates and windows collected).
        let saved_windows = std::mem::replace(
            &mut self.named_windows,
            s.window_clause
                .iter()
                .filter_map(|w| match w.node.as_ref() {
                    Some(Node::WindowDef(d)) => Some((**d).clone()),
                    _ => None,
                })
                .collect(),
        );
        self.recursive_term = recursive_term;
        let r = self.bind_select_list_onwards(s, plan, scope);
        self.full_joins.truncate(full_mark);
        self.outer_conds.truncate(conds_mark);
        self.dropped.truncate(dropped_mark);
        self.recursive_term = false;
        self.named_windows = saved_windows;
        r
    }

    fn bind_select_list_onwards(
        &mut self,
        s: &protobuf::SelectStmt,
        mut plan: Plan,
        scope: Scope,
    ) -> Result<Query, SqlError> {
        let recursive_term = std::mem::take(&mut self.recursive_term);
        let full_check = self.full_check.take();
        let dropped_mark = self.dropped.len();
        self.agg = Some(AggCollect {
            allowed: true,
            windows_allowed: true,
            srfs_allowed: true,
            context: "",
            ..Default::default()
        });
        let const_mark = self.const_errors.len();
        let targets = self.bind_targets(&s.target_list, &scope, !s.from_clause.is_empty());
        if self.exists_depths.last() == Some(&self.levels.len()) && s.op <= 1 {
            self.const_errors.truncate(const_mark);
        }
        let targets = match targets {
            Ok(t) => t,
            Err(e) => {
                self.agg = None;
                return Err(e);
            }
        };
        // GROUP BY
        let (mut groups, mut sets) =
            match self.bind_group_clause(&s.group_clause, s.group_distinct, &scope, &targets) {
                Ok(g) => g,
                Err(e) => {
                    self.agg = None;
                    return Err(e);
                }
            };
        self.ref_item = HAVING_ITEM;
        let having = self.bind_having(s.having_clause.as_deref(), &scope);
        self.ref_item = OTHER_ITEM;
        let having = match having {
            Some(h) => match h {
                Ok(e) => Some(e),
                Err(e) => {
                    self.agg = None;
                    return Err(e);
                }
            },
            None => None,
        };
        if let Some((mark, where_pred)) = &full_check {
            let mut preds: Vec<&Expr> = where_pred.iter().collect();
            let movable = having.as_ref().filter(|h| {
                sets.is_empty()
                    && !h.any(&|x| {
                        matches!(
                            x,
                            Expr::Agg(_) | Expr::Subquery(_) | Expr::Window(_) | Expr::Grouping(..)
                        )
                    })
            });
            preds.extend(movable);
            self.check_full_joins(*mark, &scope, &preds);
        }
        // ORDER BY keys (may add aggregates).
        let order = self.bind_sort_items(&s.sort_clause, &scope, &targets, &s.target_list);
        let mut collected = self.agg.take().unwrap_or_default();
        let mut srfs = std::mem::take(&mut collected.srfs);
        let order = order?;
        // PostgreSQL matches DISTINCT's sort keys to the select list while analysing the
        // query, before it checks grouping: that error comes first.
        let plain_distinct = s.distinct_clause.len() == 1 && s.distinct_clause[0].node.is_none();
        if plain_distinct {
            let mut ki = 0;
            for item in &s.sort_clause {
                let Some(Node::SortBy(sb)) = item.node.as_ref() else {
                    continue;
                };
                let Some(n) = sb.node.as_deref() else {
                    continue;
                };
                // PostgreSQL compares the expressions before folding them: a folded
                // constant matches only what is written the same way.
                let listed = |k: &SortKey| {
                    matches!(n.node.as_ref(), Some(Node::AConst(_)))
                        || (matches!(n.node.as_ref(), Some(Node::ColumnRef(c)) if c.fields.len() == 1)
                            && targets.iter().any(|t| t.expr == k.expr))
                        || (!matches!(k.expr, Expr::Const(_))
                            && targets.iter().any(|t| t.expr == k.expr))
                        || (target_list_matches(&s.target_list, targets.len(), n))
                };
                if let Some(k) = order.get(ki)
                    && !listed(k)
                {
                    return Err(err(
                        "42P10",
                        "for SELECT DISTINCT, ORDER BY expressions must appear in select list",
                    )
                    .at(expr_start(n)));
                }
                ki += 1;
            }
        }
        if recursive_term && let Some(at) = collected.first_agg {
            return Err(err(
                "42P19",
                "aggregate functions are not allowed in a recursive query's recursive term",
            )
            .at(pos(at)));
        }
        let mut target_exprs: Vec<Expr> = targets.iter().map(|t| t.expr.clone()).collect();
        let mut order_exprs: Vec<SortKey> = order;
        let mut having = having;
        let has_grouping = target_exprs
            .iter()
            .chain(order_exprs.iter().map(|k| &k.expr))
            .chain(having.iter())
            .any(|e| e.any(&|x| matches!(x, Expr::Grouping(..))));
        let aggregated = !groups.is_empty()
            || !sets.is_empty()
            || !collected.aggs.is_empty()
            || having.is_some()
            || has_grouping;
        // PostgreSQL's CheckSelectLocking, after GROUP BY and DISTINCT (checked first).
        if let Some(strength) = crate::cursor::lock_strength_text(s) {
            let what = if having.is_some() {
                Some("HAVING clause")
            } else if !collected.aggs.is_empty() {
                Some("aggregate functions")
            } else if !collected.windows.is_empty() {
                Some("window functions")
            } else if !srfs.is_empty() {
                Some("set-returning functions in the target list")
            } else {
                None
            };
            if let Some(what) = what {
                return Err(err(
                    "0A000",
                    format!("{strength} is not allowed with {what}"),
                ));
            }
        }
        let mut agg_groups: Option<Vec<Expr>> = None;
        if aggregated {
            // GROUPING calls of subqueries (see `Node::GroupingFunc`): their arguments become
            // the positions of the groups they name, which the executor reads.
            for (ci, call) in collected.aggs.iter_mut().enumerate() {
                if call.func.func != basalt_func::agg::AggFunc::Grouping {
                    continue;
                }
                let mut at = Vec::with_capacity(call.args.len());
                for (k, a) in call.args.iter().enumerate() {
                    let Some(i) = groups.iter().position(|g| g == a) else {
                        let loc = collected
                            .grouping_at
                            .iter()
                            .find(|(j, _)| *j == ci)
                            .and_then(|(_, l)| l.get(k).copied().flatten());
                        return Err(err(
                            "42803",
                            "arguments to GROUPING must be grouping expressions of the associated query level",
                        )
                        .at(loc));
                    };
                    at.push(Expr::Const(Value::Int4(
                        i32::try_from(i).unwrap_or(i32::MAX),
                    )));
                }
                call.args = at;
            }
            // The direct arguments of ordered-set aggregates are over the group's rows.
            let direct_args: Vec<(usize, &[Expr])> = collected
                .direct_refs
                .iter()
                .filter_map(|(i, _)| {
                    let call = collected.aggs.get(*i)?;
                    Some((*i, call.args.get(call.order_by.len()..)?))
                })
                .collect();
            let mut with_direct = target_exprs.clone();
            with_direct.extend(direct_args.iter().flat_map(|(_, a)| a.iter().cloned()));
            if sets.is_empty() {
                add_dependent_groups(
                    &mut groups,
                    &with_direct,
                    &order_exprs,
                    having.as_ref(),
                    &scope,
                    self.catalog,
                );
            } else {
                // With grouping sets, a primary key grouped in every set determines its
                // table's other columns (they join every set).
                let common: Vec<Expr> = (0..groups.len())
                    .filter(|g| sets.iter().all(|s| s.contains(g)))
                    .map(|g| groups[g].clone())
                    .collect();
                let mut extended = common.clone();
                add_dependent_groups(
                    &mut extended,
                    &with_direct,
                    &order_exprs,
                    having.as_ref(),
                    &scope,
                    self.catalog,
                );
                for e in extended.into_iter().skip(common.len()) {
                    if !groups.contains(&e) {
                        groups.push(e);
                        let gi = groups.len() - 1;
                        for set in &mut sets {
                            set.push(gi);
                        }
                    }
                }
            }
            let ngroups = groups.len();
            let naggs = collected.aggs.len();
            let gl = groups.clone();
            let sc = scope.clone();
            let refs = self.col_refs.clone();
            let mut grouping: Vec<Vec<usize>> = Vec::new();
            // PostgreSQL's rule: the direct arguments of an ordered-set aggregate use only
            // grouped columns (checked where a clause item calls the aggregate).
            let check_agg = |i: usize| -> Result<(), SqlError> {
                {
                    for (_, args) in direct_args.iter().filter(|(j, _)| *j == i) {
                        let locs = collected.direct_refs.iter().filter(|(j, _)| *j == i);
                        let locate = |col: usize| {
                            locs.clone()
                                .flat_map(|(_, r)| r.iter())
                                .find(|r| r.0 == col)
                                .and_then(|r| pos(r.1))
                        };
                        for a in args.iter() {
                            post_agg(a.clone(), &gl, ngroups, &sc, &locate).map_err(|e| {
                                e.with_detail(
                                    "Direct arguments of an ordered-set aggregate must use only grouped columns.",
                                )
                            })?;
                        }
                    }
                }
                Ok(())
            };
            // An ungrouped column is reported where the clause item refers to it.
            let mut rewrite = |e: Expr, item: usize| -> Result<Expr, SqlError> {
                let locate = |col: usize| {
                    refs.iter()
                        .find(|r| r.0 == col && r.2 == item)
                        .or_else(|| refs.iter().find(|r| r.0 == col))
                        .and_then(|r| pos(r.1))
                };
                // PostgreSQL reports the first offending reference of the expression: an
                // ungrouped column, or an aggregate whose direct arguments read one.
                if let Some(Some(i)) = first_ungrouped(&e, &gl, &|i| check_agg(i).is_err()) {
                    check_agg(i)?;
                }
                let e = extract_grouping(e, &gl, naggs, &mut grouping)?;
                post_agg(e, &gl, ngroups, &sc, &locate)
            };
            target_exprs = target_exprs
                .into_iter()
                .enumerate()
                .map(|(i, e)| rewrite(e, i))
                .collect::<Result<_, _>>()?;
            for (e, item) in self.dropped.split_off(dropped_mark.min(self.dropped.len())) {
                rewrite(e, item)?;
            }
            for (i, k) in order_exprs.iter_mut().enumerate() {
                k.expr = rewrite(
                    std::mem::replace(&mut k.expr, Expr::Const(Value::Null)),
                    ORDER_ITEM + i,
                )?;
            }
            having = having.map(|h| rewrite(h, HAVING_ITEM)).transpose()?;
            for call in &mut srfs {
                call.args = std::mem::take(&mut call.args)
                    .into_iter()
                    .map(|e| rewrite(e, OTHER_ITEM))
                    .collect::<Result<_, _>>()?;
            }
            agg_groups = Some(groups.clone());
            plan = Plan::Aggregate {
                input: Box::new(plan),
                groups,
                aggs: collected.aggs,
                sets,
                grouping,
            };
            if let Some(h) = having {
                plan = Plan::Filter {
                    input: Box::new(plan),
                    pred: h,
                };
            }
        }
        let mut windows = collected.windows;
        if !windows.is_empty() {
            let base = plan.width();
            let mut w = std::mem::take(&mut windows);
            if let Some(groups) = &agg_groups {
                // Window arguments were bound over the FROM row: move them onto the
                // aggregate's output, like the select list.
                let n = groups.len();
                let refs = std::mem::take(&mut self.col_refs);
                let locate = |col: usize| refs.iter().find(|r| r.0 == col).and_then(|r| pos(r.1));
                let r = |e: Expr| post_agg(e, groups, n, &scope, &locate);
                for call in &mut w {
                    call.args = std::mem::take(&mut call.args)
                        .into_iter()
                        .map(r)
                        .collect::<Result<_, _>>()?;
                    call.partition_by = std::mem::take(&mut call.partition_by)
                        .into_iter()
                        .map(r)
                        .collect::<Result<_, _>>()?;
                    for k in &mut call.order_by {
                        k.expr = r(std::mem::replace(&mut k.expr, Expr::Const(Value::Null)))?;
                    }
                    if let Some(f) = call.filter.take() {
                        call.filter = Some(r(f)?);
                    }
                }
            }
            let fix = |e: Expr| -> Result<Expr, SqlError> {
                e.rewrite(&mut |x| {
                    Ok(match x {
                        Expr::Window(i) => Expr::Column(base + i),
                        x => x,
                    })
                })
            };
            target_exprs = target_exprs
                .into_iter()
                .map(fix)
                .collect::<Result<_, _>>()?;
            for k in &mut order_exprs {
                k.expr = fix(std::mem::replace(&mut k.expr, Expr::Const(Value::Null)))?;
            }
            for call in &mut srfs {
                call.args = std::mem::take(&mut call.args)
                    .into_iter()
                    .map(fix)
                    .collect::<Result<_, _>>()?;
            }
            plan = Plan::Window {
                input: Box::new(plan),
                calls: w,
            };
        }
        // Set-returning functions of the select list run after aggregates and windows.
        if !srfs.is_empty() {
            let base = plan.width();
            let fix = |e: Expr| -> Result<Expr, SqlError> {
                e.rewrite(&mut |x| {
                    Ok(match x {
                        Expr::Srf(i) => Expr::Column(base + i),
                        x => x,
                    })
                })
            };
            target_exprs = target_exprs
                .into_iter()
                .map(fix)
                .collect::<Result<_, _>>()?;
            for k in &mut order_exprs {
                k.expr = fix(std::mem::replace(&mut k.expr, Expr::Const(Value::Null)))?;
            }
            plan = Plan::ProjectSet {
                input: Box::new(plan),
                calls: srfs,
            };
        }
        let names: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
        let mut types: Vec<DataType> = targets.iter().map(|t| t.ty.clone()).collect();
        let visible = target_exprs.len();
        // DISTINCT / DISTINCT ON
        let distinct_on = if s.distinct_clause.is_empty() {
            None
        } else if s.distinct_clause.len() == 1 && s.distinct_clause[0].node.is_none() {
            Some(None)
        } else {
            let mut on = Vec::new();
            for d in &s.distinct_clause {
                on.push(self.bind_output_ref(d, &scope, &targets, "DISTINCT ON")?);
            }
            Some(Some(on))
        };
        // Sort keys become hidden output columns.
        let mut sort_keys = Vec::new();
        let mut exprs = target_exprs;
        // DISTINCT needs an equality for every column: an untyped one becomes text
        // (PostgreSQL's addTargetToSortList), which a set operation then sees.
        if plain_distinct {
            for (e, t) in exprs.iter_mut().zip(types.iter_mut()) {
                if *t == DataType::Unknown {
                    let x = std::mem::replace(e, Expr::Const(Value::Null));
                    *e = self.coerce(
                        x,
                        &DataType::Unknown,
                        &DataType::Text,
                        CastContext::Implicit,
                    )?;
                    *t = DataType::Text;
                }
            }
        }
        let sort_locations: Vec<Option<u32>> = s
            .sort_clause
            .iter()
            .filter_map(|item| match item.node.as_ref() {
                Some(Node::SortBy(sb)) if sb.node.is_some() => {
                    Some(sb.node.as_deref().and_then(expr_start))
                }
                _ => None,
            })
            .collect();
        for (ki, k) in order_exprs.into_iter().enumerate() {
            let idx = match exprs.iter().position(|e| *e == k.expr) {
                Some(i) => i,
                None => {
                    if matches!(distinct_on, Some(None)) {
                        return Err(err(
                            "42P10",
                            "for SELECT DISTINCT, ORDER BY expressions must appear in select list",
                        )
                        .at(sort_locations.get(ki).copied().flatten()));
                    }
                    exprs.push(k.expr.clone());
                    exprs.len() - 1
                }
            };
            sort_keys.push(SortKey {
                expr: Expr::Column(idx),
                desc: k.desc,
                nulls_first: k.nulls_first,
            });
        }
        let mut on_cols = Vec::new();
        if let Some(Some(on)) = &distinct_on {
            for e in on {
                let idx = match exprs.iter().position(|x| x == e) {
                    Some(i) => i,
                    None => {
                        exprs.push(e.clone());
                        exprs.len() - 1
                    }
                };
                on_cols.push(Expr::Column(idx));
            }
        }
        // PostgreSQL computes volatile select-list items (nextval, random) after ORDER BY and
        // LIMIT when the sort does not need them (make_sort_input_target): they run for the
        // rows returned only, in output order. Such an item is replaced by NULL below the
        // sort, with the input columns it reads carried along, and computed above the limit.
        let mut postponed: Vec<(usize, Expr)> = Vec::new();
        if distinct_on.is_none() && !sort_keys.is_empty() {
            for (i, e) in exprs.iter().enumerate().take(visible) {
                let simple = !e.any(&|x| {
                    matches!(
                        x,
                        Expr::Outer { .. }
                            | Expr::Subquery(_)
                            | Expr::Agg(_)
                            | Expr::Window(_)
                            | Expr::Grouping(..)
                            | Expr::Srf(_)
                            | Expr::SqlFunc(_)
                            | Expr::TableRow(_)
                    )
                });
                let sorted_on = sort_keys
                    .iter()
                    .any(|k| k.expr.any(&|x| matches!(x, Expr::Column(c) if *c == i)));
                if simple && !sorted_on && crate::optimizer::volatile(e) {
                    postponed.push((i, e.clone()));
                }
            }
        }
        for (i, e) in &mut postponed {
            let original = std::mem::replace(e, Expr::Const(Value::Null));
            let mut carried: Vec<(usize, usize)> = Vec::new();
            *e = original.rewrite(&mut |x| {
                Ok(match x {
                    Expr::Column(c) => {
                        let at = match carried.iter().find(|(from, _)| *from == c) {
                            Some((_, at)) => *at,
                            None => {
                                exprs.push(Expr::Column(c));
                                carried.push((c, exprs.len() - 1));
                                exprs.len() - 1
                            }
                        };
                        Expr::Column(at)
                    }
                    x => x,
                })
            })?;
            exprs[*i] = Expr::Const(Value::Null);
        }
        let width = exprs.len();
        plan = Plan::Project {
            input: Box::new(plan),
            exprs,
        };
        match &distinct_on {
            Some(None) => {
                plan = Plan::Distinct {
                    input: Box::new(plan),
                    on: None,
                };
                if !sort_keys.is_empty() {
                    plan = Plan::Sort {
                        input: Box::new(plan),
                        keys: sort_keys,
                    };
                }
            }
            Some(Some(_)) => {
                // DISTINCT ON keeps the first row of each group in ORDER BY order, so the
                // ORDER BY must start with the DISTINCT ON expressions (PostgreSQL's check).
                let mismatch = |j: usize| {
                    err(
                        "42P10",
                        "SELECT DISTINCT ON expressions must match initial ORDER BY expressions",
                    )
                    .at(s.distinct_clause.get(j).and_then(expr_start))
                };
                let mut skipped = false;
                for k in &sort_keys {
                    match on_cols.iter().position(|e| *e == k.expr) {
                        Some(j) if skipped => return Err(mismatch(j)),
                        Some(_) => {}
                        None => skipped = true,
                    }
                }
                if skipped
                    && let Some(j) = on_cols
                        .iter()
                        .position(|e| !sort_keys.iter().any(|k| k.expr == *e))
                {
                    return Err(mismatch(j));
                }
                let mut keys = sort_keys;
                if keys.is_empty() {
                    keys = on_cols
                        .iter()
                        .map(|e| SortKey {
                            expr: e.clone(),
                            desc: false,
                            nulls_first: false,
                        })
                        .collect();
                }
                plan = Plan::Sort {
                    input: Box::new(plan),
                    keys,
                };
                plan = Plan::Distinct {
                    input: Box::new(plan),
                    on: Some(on_cols),
                };
            }
            None => {
                if !sort_keys.is_empty() {
                    plan = Plan::Sort {
                        input: Box::new(plan),
                        keys: sort_keys,
                    };
                }
            }
        }
        plan = self.bind_limit(plan, s, Some(&scope))?;
        if width != visible || !postponed.is_empty() {
            plan = Plan::Project {
                input: Box::new(plan),
                exprs: (0..visible)
                    .map(|j| match postponed.iter().find(|(i, _)| *i == j) {
                        Some((_, e)) => e.clone(),
                        None => Expr::Column(j),
                    })
                    .collect(),
            };
        }
        Ok(Query { plan, names, types })
    }

    /// LIMIT and OFFSET, bound over the FROM scope so that a column reference is reported as
    /// PostgreSQL does (they may not use the row's columns).
    fn bind_limit_expr(
        &mut self,
        n: &protobuf::Node,
        scope: &Scope,
        clause: &'static str,
    ) -> Result<(Expr, DataType), SqlError> {
        let first = self.bind_scalar(n, &Scope::default(), clause);
        match first {
            Err(e) if e.code().code() == "42703" && !scope.cols.is_empty() => {
                // Would the name resolve among the row's columns?
                self.levels.push((scope.clone(), false));
                let again = self.bind_scalar(n, &Scope::default(), clause);
                let (_, used) = self.levels.pop().unwrap_or_default();
                if again.is_ok() && used {
                    return Err(err(
                        "42P10",
                        format!("argument of {clause} must not contain variables"),
                    )
                    .at(first_column_ref(n)));
                }
                Err(e)
            }
            r => r,
        }
    }

    fn bind_limit(
        &mut self,
        plan: Plan,
        s: &protobuf::SelectStmt,
        scope: Option<&Scope>,
    ) -> Result<Plan, SqlError> {
        let ties = if s.limit_option == protobuf::LimitOption::WithTies as i32 {
            match &plan {
                Plan::Sort { keys, .. } => keys.clone(),
                _ if s.sort_clause.is_empty() => {
                    return Err(err(
                        "42601",
                        "WITH TIES cannot be specified without ORDER BY clause",
                    ));
                }
                _ => {
                    return Err(err(
                        "0A000",
                        "feature not supported: FETCH ... WITH TIES here",
                    ));
                }
            }
        } else {
            Vec::new()
        };
        let empty = Scope::default();
        let scope = scope.unwrap_or(&empty);
        let limit = match &s.limit_count {
            Some(n) if !is_null_const(n) => {
                let (e, t) = self.bind_limit_expr(n, scope, "LIMIT")?;
                Some(self.coerce(e, &t, &DataType::Int8, CastContext::Assignment)?)
            }
            _ => None,
        };
        let offset = match &s.limit_offset {
            Some(n) => {
                let (e, t) = self.bind_limit_expr(n, scope, "OFFSET")?;
                Some(self.coerce(e, &t, &DataType::Int8, CastContext::Assignment)?)
            }
            None => None,
        };
        if limit.is_none() && offset.is_none() {
            return Ok(plan);
        }
        Ok(Plan::Limit {
            input: Box::new(plan),
            limit,
            offset,
            ties,
        })
    }

    /// ORDER BY and LIMIT for VALUES and set operations (keys refer to output columns).
    fn finish_order_limit(
        &mut self,
        q: Query,
        s: &protobuf::SelectStmt,
        _unused: Option<()>,
    ) -> Result<Query, SqlError> {
        let mut plan = q.plan;
        if !s.sort_clause.is_empty() {
            let scope = Scope {
                cols: q
                    .names
                    .iter()
                    .zip(&q.types)
                    .map(|(n, t)| ScopeCol {
                        table: None,
                        name: n.clone(),
                        ty: t.clone(),
                        hidden: false,
                        origin: None,
                    })
                    .collect(),
            };
            let mut keys = Vec::new();
            for item in &s.sort_clause {
                let Some(Node::SortBy(sb)) = item.node.as_ref() else {
                    continue;
                };
                let Some(n) = sb.node.as_deref() else {
                    continue;
                };
                let expr = if let Some(i) = position_ref(n, q.names.len())? {
                    Expr::Column(i)
                } else {
                    let (e, _) = self.bind_expr(n, &scope)?;
                    e
                };
                let (desc, nulls_first) = sort_dir(sb)?;
                keys.push(SortKey {
                    expr,
                    desc,
                    nulls_first,
                });
            }
            plan = Plan::Sort {
                input: Box::new(plan),
                keys,
            };
        }
        plan = self.bind_limit(plan, s, None)?;
        Ok(Query {
            plan,
            names: q.names,
            types: q.types,
        })
    }

    fn bind_set_op(&mut self, s: &protobuf::SelectStmt) -> Result<Query, SqlError> {
        let (Some(l), Some(r)) = (s.larg.as_deref(), s.rarg.as_deref()) else {
            return Err(err("42601", "set operation without operands"));
        };
        let mut right_leaf = r;
        while let Some(l) = right_leaf.larg.as_deref() {
            right_leaf = l;
        }
        if let Some(into) = &right_leaf.into_clause {
            return Err(err(
                "42601",
                "INTO is only allowed on first SELECT of UNION/INTERSECT/EXCEPT",
            )
            .at(into.rel.as_ref().and_then(|r| pos(r.location))));
        }
        let left = self.bind_select(l)?;
        let right = self.bind_select(r)?;
        let op = match protobuf::SetOperation::try_from(s.op) {
            Ok(protobuf::SetOperation::SetopUnion) => SetOpKind::Union,
            Ok(protobuf::SetOperation::SetopIntersect) => SetOpKind::Intersect,
            _ => SetOpKind::Except,
        };
        let opname = match op {
            SetOpKind::Union => "UNION",
            SetOpKind::Intersect => "INTERSECT",
            SetOpKind::Except => "EXCEPT",
        };
        let right_locations = output_locations(r);
        if left.types.len() != right.types.len() {
            return Err(err(
                "42601",
                format!("each {opname} query must have the same number of columns"),
            )
            .at(right_locations.first().copied().flatten()));
        }
        let mut types = Vec::new();
        for (i, (a, b)) in left.types.iter().zip(&right.types).enumerate() {
            let at = right_locations.get(i).copied().flatten();
            types.push(common_type_at(
                &[a.clone(), b.clone()],
                &[None, at],
                opname,
            )?);
        }
        let lp = coerce_plan(left.plan, &left.types, &types, self)?;
        let rp = coerce_plan(right.plan, &right.types, &types, self)?;
        let q = Query {
            plan: Plan::SetOp {
                op,
                all: s.all,
                left: Box::new(lp),
                right: Box::new(rp),
            },
            names: left.names,
            types,
        };
        self.finish_order_limit(q, s, None)
    }

    fn bind_values(&mut self, lists: &[protobuf::Node]) -> Result<Query, SqlError> {
        let empty = Scope::default();
        let mut rows: Vec<Vec<(Expr, DataType)>> = Vec::new();
        let mut locations: Vec<Vec<Option<u32>>> = Vec::new();
        for l in lists {
            let Some(Node::List(list)) = l.node.as_ref() else {
                continue;
            };
            if let Some(first) = rows.first()
                && first.len() != list.items.len()
            {
                return Err(err("42601", "VALUES lists must all be the same length")
                    .at(list.items.first().and_then(expr_start)));
            }
            let mut row = Vec::new();
            for item in &list.items {
                row.push(self.bind_scalar(item, &empty, "VALUES")?);
            }
            locations.push(list.items.iter().map(expr_start).collect());
            rows.push(row);
        }
        let width = rows.first().map_or(0, Vec::len);
        let mut types = Vec::new();
        for c in 0..width {
            let col: Vec<DataType> = rows.iter().map(|r| r[c].1.clone()).collect();
            let locs: Vec<Option<u32>> = locations.iter().map(|r| r[c]).collect();
            types.push(common_type_at(&col, &locs, "VALUES")?);
        }
        let mut out = Vec::new();
        for row in rows {
            let mut r = Vec::new();
            for (c, (e, t)) in row.into_iter().enumerate() {
                r.push(self.coerce(e, &t, &types[c], CastContext::Implicit)?);
            }
            out.push(r);
        }
        Ok(Query {
            plan: Plan::Values { rows: out, width },
            names: (1..=width).map(|i| format!("column{i}")).collect(),
            types,
        })
    }

    // -----------------------------------------------------------------------------------
    // FROM.

    /// Binds a FROM list (cross-joined).
    pub fn bind_from(&mut self, from: &[protobuf::Node]) -> Result<(Plan, Scope), SqlError> {
        let mut acc: Option<(Plan, Scope)> = None;
        for item in from {
            let (p, s) = self.bind_from_item(item, acc.as_ref().map(|a| &a.1))?;
            if let Some((_, ls)) = &acc {
                check_table_names(ls, &s)?;
            }
            acc = Some(match acc {
                None => (p, s),
                Some((lp, mut ls)) => {
                    let lateral = is_lateral(item) && self.reads_left(item);
                    ls.cols.extend(s.cols);
                    (
                        Plan::Join {
                            kind: JoinKind::Inner,
                            left: Box::new(lp),
                            right: Box::new(p),
                            on: None,
                            hash_keys: Vec::new(),
                            lateral,
                        },
                        ls,
                    )
                }
            });
        }
        Ok(acc.unwrap_or((Plan::Unit, Scope::default())))
    }

    fn bind_from_item(
        &mut self,
        item: &protobuf::Node,
        left: Option<&Scope>,
    ) -> Result<(Plan, Scope), SqlError> {
        let entry = match item.node.as_ref() {
            Some(Node::RangeVar(rv)) => Some(match &rv.alias {
                Some(a) => (a.aliasname.clone(), Some(rv.relname.clone())),
                None => (rv.relname.clone(), None),
            }),
            Some(Node::RangeSubselect(rs)) => {
                rs.alias.as_ref().map(|a| (a.aliasname.clone(), None))
            }
            Some(Node::RangeFunction(rf)) => rf.alias.as_ref().map(|a| (a.aliasname.clone(), None)),
            _ => None,
        };
        let r = self.bind_from_item_inner(item, left);
        if let (Some(e), Some(frame)) = (entry, self.rtes.last_mut()) {
            frame.push(e);
        }
        r
    }

    fn bind_from_item_inner(
        &mut self,
        item: &protobuf::Node,
        left: Option<&Scope>,
    ) -> Result<(Plan, Scope), SqlError> {
        match item.node.as_ref() {
            Some(Node::RangeVar(rv)) => self.bind_range_var(rv),
            Some(Node::JoinExpr(j)) => self.bind_join(j),
            Some(Node::RangeSubselect(rs)) => {
                let Some(q) = rs.subquery.as_deref() else {
                    return Err(err("42601", "subquery in FROM without a query"));
                };
                let pushed = rs.lateral && left.is_some();
                if pushed {
                    self.levels.push((left.cloned().unwrap_or_default(), false));
                    self.lateral_levels.push(self.levels.len() - 1);
                }
                let r = self.bind_query(q);
                if pushed {
                    self.lateral_levels.pop();
                    self.levels.pop();
                }
                let q = r?;
                let alias = rs.alias.as_ref();
                let Some(alias) = alias else {
                    let node = rs.subquery.as_deref();
                    let values = matches!(node.and_then(|n| n.node.as_ref()), Some(Node::SelectStmt(sel)) if !sel.values_lists.is_empty());
                    let (what, example) = if values {
                        ("VALUES", "VALUES ...")
                    } else {
                        ("subquery", "SELECT ...")
                    };
                    return Err(err("42601", format!("{what} in FROM must have an alias"))
                        .with_hint(format!("For example, FROM ({example}) [AS] foo."))
                        .at(node.and_then(|n| self.paren_before(n))));
                };
                let colnames = names(&alias.colnames);
                check_alias_columns(&alias.aliasname, q.names.len(), colnames.len())?;
                let scope = Scope {
                    cols: q
                        .names
                        .iter()
                        .zip(&q.types)
                        .enumerate()
                        .map(|(i, (n, t))| ScopeCol {
                            table: Some(alias.aliasname.clone()),
                            name: colnames.get(i).cloned().unwrap_or_else(|| n.clone()),
                            // An untyped literal in a subquery's output is text (PostgreSQL
                            // resolves unknown output columns of a subquery in FROM).
                            ty: if *t == DataType::Unknown {
                                DataType::Text
                            } else {
                                t.clone()
                            },
                            hidden: false,
                            origin: None,
                        })
                        .collect(),
                };
                Ok((q.plan, scope))
            }
            Some(Node::RangeFunction(rf)) => self.bind_range_function(rf, left),
            _ => Err(err("0A000", "feature not supported: this FROM item")),
        }
    }

    fn bind_range_function(
        &mut self,
        rf: &protobuf::RangeFunction,
        left: Option<&Scope>,
    ) -> Result<(Plan, Scope), SqlError> {
        let mut fcs = Vec::new();
        for f in &rf.functions {
            let Some(Node::List(l)) = f.node.as_ref() else {
                return Err(err("42601", "bad function in FROM"));
            };
            let Some(Node::FuncCall(fc)) = l.items.first().and_then(|n| n.node.as_ref()) else {
                return Err(err("0A000", "feature not supported: this function in FROM"));
            };
            let mut defs = match l.items.get(1) {
                Some(n) => self.column_definitions(n)?,
                None => None,
            };
            let mut def_at = l.items.get(1).and_then(first_coldef_location);
            // `f(...) AS x(a int, ...)` puts the list on the FROM item.
            if defs.is_none() && rf.functions.len() == 1 && !rf.coldeflist.is_empty() {
                let list = protobuf::Node {
                    node: Some(Node::List(protobuf::List {
                        items: rf.coldeflist.clone(),
                    })),
                };
                defs = self.column_definitions(&list)?;
                def_at = first_coldef_location(&list);
            }
            fcs.push((&**fc, defs, def_at));
        }
        let pushed = left.is_some();
        if pushed {
            self.levels.push((left.cloned().unwrap_or_default(), false));
        }
        let r = self.bind_from_functions(&fcs);
        self.function_lateral = pushed && self.levels.pop().is_some_and(|(_, used)| used);
        let (plan, mut cols, first_name, composites) = r?;
        // A built-in function returning a named composite type gives its fields as columns
        // (`unnest(composite[])`), as in PostgreSQL.
        let mut fields = None;
        if !composites.is_empty() {
            let mut exprs = Vec::new();
            let mut out = Vec::new();
            for (i, (n, t)) in cols.iter().enumerate() {
                match t {
                    DataType::Record(rt) if composites.contains(&i) => {
                        for (k, (fname, ft)) in rt.fields.iter().enumerate() {
                            exprs.push(Expr::Field(Box::new(Expr::Column(i)), k));
                            out.push((fname.clone(), ft.clone()));
                        }
                    }
                    _ => {
                        exprs.push(Expr::Column(i));
                        out.push((n.clone(), t.clone()));
                    }
                }
            }
            if rf.ordinality {
                exprs.push(Expr::Column(cols.len()));
            }
            cols = out;
            fields = Some(exprs);
        }
        let record_fn = matches!(&plan, Plan::TableFunction { calls, .. }
        if calls.iter().any(|c| match c.func.func {
            basalt_func::TableFunc::JsonToRecord { .. } => true,
            basalt_func::TableFunc::Sql { oid } => self
                .catalog
                .functions
                .get(&oid)
                .is_some_and(crate::sqlfunc::SqlFunction::anonymous_record),
            _ => false,
        }));
        let alias = rf.alias.as_ref();
        let table = alias.map_or(first_name, |a| a.aliasname.clone());
        let colnames = alias.map(|a| names(&a.colnames)).unwrap_or_default();
        let mut scope_cols: Vec<ScopeCol> = cols
            .iter()
            .enumerate()
            .map(|(i, (n, t))| ScopeCol {
                table: Some(table.clone()),
                name: colnames.get(i).cloned().unwrap_or_else(|| {
                    // A lone function's lone column takes the alias as its name (not a
                    // record function's).
                    if cols.len() == 1 && alias.is_some() && !record_fn {
                        table.clone()
                    } else {
                        n.clone()
                    }
                }),
                ty: t.clone(),
                hidden: false,
                origin: None,
            })
            .collect();
        if rf.ordinality {
            scope_cols.push(ScopeCol {
                table: Some(table.clone()),
                name: colnames
                    .get(cols.len())
                    .cloned()
                    .unwrap_or_else(|| "ordinality".into()),
                ty: DataType::Int8,
                hidden: false,
                origin: None,
            });
        }
        let plan = match plan {
            Plan::TableFunction { calls, .. } => Plan::TableFunction {
                calls,
                ordinality: rf.ordinality,
            },
            p if rf.ordinality => Plan::Project {
                input: Box::new(p),
                exprs: (0..cols.len())
                    .map(Expr::Column)
                    .chain([Expr::Const(Value::Int8(1))])
                    .collect(),
            },
            p => p,
        };
        let plan = match fields {
            Some(exprs) => Plan::Project {
                input: Box::new(plan),
                exprs,
            },
            None => plan,
        };
        Ok((plan, Scope { cols: scope_cols }))
    }

    /// The functions of a FROM item (`f(...)`, `ROWS FROM (...)`; `unnest(a, b, ...)` is
    /// `ROWS FROM (unnest(a), unnest(b), ...)`): the plan, its columns, the first
    /// function's name and the columns that are a built-in function's named composite
    /// result (to be expanded into its fields).
    #[allow(clippy::type_complexity)]
    fn bind_from_functions(
        &mut self,
        fcs: &[(
            &protobuf::FuncCall,
            Option<Vec<(String, DataType)>>,
            Option<u32>,
        )],
    ) -> Result<(Plan, Vec<(String, DataType)>, String, Vec<usize>), SqlError> {
        let empty = Scope::default();
        let mut calls = Vec::new();
        let mut cols = Vec::new();
        let mut composites = Vec::new();
        let mut first_name = None;
        for (fc, defs, def_at) in fcs {
            let fname = names(&fc.funcname);
            let short = fname.last().cloned().unwrap_or_default();
            first_name.get_or_insert_with(|| short.clone());
            if self.has_user_function(&fname)
                && let Some(r) = self.resolve_user_call(fc, &empty)?
            {
                let types = r.types();
                let f = r.f();
                self.not_a_function(f, fc, &empty)?;
                if f.anonymous_record() {
                    let Some(defs) = defs else {
                        return Err(err(
                            "42601",
                            "a column definition list is required for functions returning \"record\"",
                        )
                        .at(pos(fc.location)));
                    };
                    // The body must give the columns listed (PostgreSQL's check of the
                    // function's result against them).
                    let mut g = f.clone();
                    g.table_cols = defs
                        .iter()
                        .map(|(n, t)| crate::sqlfunc::FuncArg {
                            name: n.clone(),
                            ty: t.clone(),
                            default: None,
                            mode: 't',
                        })
                        .collect();
                    let sp = self.search_path.clone();
                    crate::binder::sqlfunc::bind_body(self.catalog, &sp, &self.types, &g)
                        .map_err(SqlError::without_position)?;
                    let mut call = self.user_srf_call(f, r.args.clone());
                    call.func.columns = defs.clone();
                    cols.extend(defs.iter().cloned());
                    calls.push(call);
                    continue;
                }
                if defs.is_some() {
                    let msg = if f.outputs().len() > 1 {
                        "a column definition list is redundant for a function with OUT parameters"
                    } else if f.composite() {
                        "a column definition list is redundant for a function returning a named composite type"
                    } else {
                        "a column definition list is only allowed for functions returning \"record\""
                    };
                    return Err(err("42601", msg).at(*def_at));
                }
                if f.retset || f.composite() {
                    // (A composite function's one row goes through `sqlfunc::shape_rows`.)
                    cols.extend(f.columns());
                    calls.push(self.user_srf_call(f, r.args.clone()));
                } else if fcs.len() == 1 {
                    // A scalar function in FROM yields one row (its fields for a composite).
                    let call = Expr::SqlFunc(Box::new(crate::expr::SqlCall {
                        oid: f.oid,
                        args: r.args.clone(),
                        name: f.name.clone(),
                        types,
                    }));
                    let fcols = f.columns();
                    let width = fcols.len();
                    let one = Plan::Values {
                        rows: vec![vec![call]],
                        width: 1,
                    };
                    // The record's fields from one call (a body may change data).
                    let plan = if f.composite() {
                        Plan::Project {
                            input: Box::new(one),
                            exprs: (0..width)
                                .map(|i| Expr::Field(Box::new(Expr::Column(0)), i))
                                .collect(),
                        }
                    } else {
                        one
                    };
                    return Ok((plan, fcols, short, Vec::new()));
                } else {
                    cols.extend(f.columns());
                    calls.push(self.user_srf_call(f, r.args.clone()));
                }
                continue;
            }
            if self.has_user_function(&fname)
                && fc
                    .args
                    .iter()
                    .any(|a| matches!(a.node.as_ref(), Some(Node::NamedArgExpr(_))))
            {
                let types = self.call_types(fc, &empty)?;
                return Err(err(
                    "42883",
                    format!("function {}({types}) does not exist", fname.join(".")),
                )
                .with_hint(
                    "No function matches the given name and argument types. You might need to add explicit type casts.",
                )
                .at(pos(fc.location)));
            }
            // information_schema's functions are known by their qualified name only.
            let name = match fname.as_slice() {
                [s, n] if s == "information_schema" => format!("{s}.{n}"),
                _ => short,
            };
            let mut args = Vec::new();
            let mut types = Vec::new();
            for a in &fc.args {
                let (e, t) = self.bind_expr(a, &empty)?;
                let (e, t) = self.devector(e, t)?;
                args.push(e);
                types.push(t);
            }
            if let Some((r, _)) =
                self.json_record_call(&name, &types, defs.clone(), true, fc.location)?
            {
                cols.extend(r.columns.iter().cloned());
                calls.push(self.srf_call(r, args, &types, false)?);
                continue;
            }
            if defs.is_some() {
                let redundant = basalt_func::resolve_table_function(&name, &types)
                    .is_some_and(|r| r.columns.len() > 1);
                let msg = if redundant {
                    "a column definition list is redundant for a function with OUT parameters"
                } else {
                    "a column definition list is only allowed for functions returning \"record\""
                };
                return Err(err("42601", msg).at(*def_at));
            }
            let split = name == "unnest"
                && args.len() > 1
                && types.iter().all(|t| matches!(t, DataType::Array(_)));
            let parts: Vec<(Vec<Expr>, Vec<DataType>)> = if split {
                args.into_iter()
                    .zip(types)
                    .map(|(e, t)| (vec![e], vec![t]))
                    .collect()
            } else {
                vec![(args, types)]
            };
            // `pg_listening_channels()` is `unnest` of the session's channels.
            let listening = name == "pg_listening_channels" && parts[0].0.is_empty();
            let (name, parts) = if listening {
                let (arg, types) = self.listening_array();
                ("unnest".to_string(), vec![(vec![arg], types)])
            } else {
                (name, parts)
            };
            for (args, types) in parts {
                if let Some(r) = basalt_func::resolve_table_function(&name, &types) {
                    let mut r = r;
                    if listening && let Some(c) = r.columns.first_mut() {
                        c.0 = "pg_listening_channels".into();
                    }
                    if let [(_, DataType::Record(rt))] = r.columns.as_slice()
                        && rt.oid != 2249
                    {
                        composites.push(cols.len());
                    }
                    cols.extend(r.columns.iter().cloned());
                    calls.push(self.srf_call(r, args, &types, false)?);
                } else if fcs.len() == 1 {
                    // A scalar function in FROM yields one row.
                    let (e, t) = self.bind_func_call(fc, &empty)?;
                    return Ok((
                        Plan::Values {
                            rows: vec![vec![e]],
                            width: 1,
                        },
                        vec![(name.clone(), t)],
                        name,
                        Vec::new(),
                    ));
                } else {
                    return Err(err(
                        "0A000",
                        "feature not supported: scalar functions in ROWS FROM",
                    )
                    .at(pos(fc.location)));
                }
            }
        }
        Ok((
            Plan::TableFunction {
                calls,
                ordinality: false,
            },
            cols,
            first_name.unwrap_or_default(),
            composites,
        ))
    }

    fn bind_range_var(&mut self, rv: &protobuf::RangeVar) -> Result<(Plan, Scope), SqlError> {
        let alias = rv
            .alias
            .as_ref()
            .map(|a| (a.aliasname.clone(), names(&a.colnames)));
        let qualifier = alias.as_ref().map_or(rv.relname.clone(), |a| a.0.clone());
        let colnames = alias.map(|a| a.1).unwrap_or_default();
        // CTE?
        if rv.schemaname.is_empty()
            && let Some(c) = self.ctes.iter().rev().find(|c| c.name == rv.relname)
        {
            if c.no_returning {
                return Err(err(
                    "0A000",
                    format!(
                        "WITH query \"{}\" does not have a RETURNING clause",
                        rv.relname
                    ),
                )
                .at(pos(rv.location)));
            }
            // A WITH query inside a subquery is computed again for each row of that
            // subquery's outer query: deeper subqueries reading it must not be cached.
            if c.level > 0 {
                let (from, to) = (c.level, self.levels.len());
                for lvl in from..to {
                    self.levels[lvl].1 = true;
                }
            }
            let plan = if c.working {
                Plan::WorkTable {
                    id: c.id,
                    width: c.names.len(),
                }
            } else {
                Plan::CteScan {
                    id: c.id,
                    width: c.names.len(),
                }
            };
            let scope = Scope {
                cols: c
                    .names
                    .iter()
                    .zip(&c.types)
                    .enumerate()
                    .map(|(i, (n, t))| ScopeCol {
                        table: Some(qualifier.clone()),
                        name: colnames.get(i).cloned().unwrap_or_else(|| n.clone()),
                        ty: t.clone(),
                        hidden: false,
                        origin: None,
                    })
                    .collect(),
            };
            return Ok((plan, scope));
        }
        if let Some(virt) = crate::system::virtual_table(self, rv)? {
            let (q, names_) = virt;
            let scope = Scope {
                cols: names_
                    .iter()
                    .zip(&q.types)
                    .enumerate()
                    .map(|(i, (n, t))| ScopeCol {
                        table: Some(qualifier.clone()),
                        name: colnames.get(i).cloned().unwrap_or_else(|| n.clone()),
                        ty: t.clone(),
                        hidden: false,
                        origin: None,
                    })
                    .collect(),
            };
            return Ok((q.plan, scope));
        }
        match self.lookup_relation(&rv.schemaname, &rv.relname) {
            Some((_, Relation::Table(oid))) => {
                let t = self
                    .catalog
                    .tables
                    .get(&oid)
                    .ok_or_else(|| err("XX000", "catalog entry vanished"))?;
                if let Some(m) = &t.matview {
                    if self.row_lock.is_some() {
                        return Err(err(
                            "42809",
                            format!("cannot lock rows in materialized view \"{}\"", t.name),
                        ));
                    }
                    if !m.populated && !self.allow_unpopulated {
                        return Err(err(
                            "55000",
                            format!("materialized view \"{}\" has not been populated", t.name),
                        )
                        .with_hint("Use the REFRESH MATERIALIZED VIEW command."));
                    }
                }
                check_alias_columns(&qualifier, t.columns.len(), colnames.len())?;
                let scope = Scope {
                    cols: t
                        .columns
                        .iter()
                        .enumerate()
                        .map(|(i, c)| ScopeCol {
                            table: Some(qualifier.clone()),
                            name: colnames.get(i).cloned().unwrap_or_else(|| c.name.clone()),
                            ty: c.ty.clone(),
                            hidden: false,
                            origin: Some((oid, i)),
                        })
                        .collect(),
                };
                Ok((
                    Plan::Scan {
                        table: oid,
                        name: t.name.clone(),
                        alias: (qualifier != t.name).then(|| qualifier.clone()),
                        width: t.columns.len(),
                        access: Access::Full,
                        filter: None,
                        emit_key: false,
                        lock: self.row_lock,
                    },
                    scope,
                ))
            }
            Some((_, Relation::View(oid))) => {
                let v = self
                    .catalog
                    .views
                    .get(&oid)
                    .ok_or_else(|| err("XX000", "catalog entry vanished"))?;
                let parsed = crate::parse::parse(&v.query, crate::parse::ParseOptions::default())?;
                let Some(stmt) = parsed.statements().next() else {
                    return Err(err("XX000", "empty view definition"));
                };
                let Some(Node::SelectStmt(sel)) = stmt.node() else {
                    return Err(err("XX000", "bad view definition"));
                };
                let saved = std::mem::take(&mut self.levels);
                let path = match &v.search_path {
                    Some(p) => std::mem::replace(&mut self.search_path, p.clone()),
                    None => self.search_path.clone(),
                };
                let q = self.bind_select(sel);
                self.levels = saved;
                self.search_path = path;
                let q = q?;
                let scope = Scope {
                    cols: v
                        .columns
                        .iter()
                        .zip(&q.types)
                        .enumerate()
                        .map(|(i, (n, t))| ScopeCol {
                            table: Some(qualifier.clone()),
                            name: colnames.get(i).cloned().unwrap_or_else(|| n.clone()),
                            ty: t.clone(),
                            hidden: false,
                            origin: None,
                        })
                        .collect(),
                };
                Ok((q.plan, scope))
            }
            Some((_, Relation::Sequence(oid))) => {
                // One row of the sequence's state, read when the statement runs.
                let cols = [
                    ("last_value", DataType::Int8),
                    ("log_cnt", DataType::Int8),
                    ("is_called", DataType::Bool),
                ];
                let row = (0..3u8)
                    .map(|i| {
                        Expr::Sequence(SeqFunc::Read(i), vec![Expr::Const(Value::Int8(oid.into()))])
                    })
                    .collect();
                let scope = Scope {
                    cols: cols
                        .iter()
                        .enumerate()
                        .map(|(i, (n, t))| ScopeCol {
                            table: Some(qualifier.clone()),
                            name: colnames.get(i).cloned().unwrap_or_else(|| n.to_string()),
                            ty: t.clone(),
                            hidden: false,
                            origin: None,
                        })
                        .collect(),
                };
                Ok((
                    Plan::Values {
                        rows: vec![row],
                        width: 3,
                    },
                    scope,
                ))
            }
            Some(_) => Err(err(
                "42809",
                format!("\"{}\" is not a table or view", rv.relname),
            )),
            None => Err(self.undefined_table(rv)),
        }
    }

    fn bind_join(&mut self, j: &protobuf::JoinExpr) -> Result<(Plan, Scope), SqlError> {
        let (Some(l), Some(r)) = (j.larg.as_deref(), j.rarg.as_deref()) else {
            return Err(err("42601", "join without operands"));
        };
        let full_mark = self.full_joins.len();
        let (lp, ls) = self.bind_from_item(l, None)?;
        let full_mid = self.full_joins.len();
        let (rp, rs) = self.bind_from_item(r, Some(&ls))?;
        let lateral = is_lateral(r) && self.reads_left(r);
        check_table_names(&ls, &rs)?;
        let kind = match protobuf::JoinType::try_from(j.jointype) {
            Ok(protobuf::JoinType::JoinLeft) => JoinKind::Left,
            Ok(protobuf::JoinType::JoinRight) => JoinKind::Right,
            Ok(protobuf::JoinType::JoinFull) => JoinKind::Full,
            _ => JoinKind::Inner,
        };
        let lw = ls.cols.len();
        let mut scope = Scope {
            cols: ls.cols.clone(),
        };
        scope.cols.extend(rs.cols.clone());
        let mut using: Vec<String> = names(&j.using_clause);
        if j.is_natural {
            using = ls
                .cols
                .iter()
                .filter(|c| !c.hidden && rs.cols.iter().any(|r| r.name == c.name && !r.hidden))
                .map(|c| c.name.clone())
                .collect();
        }
        let mut on = None;
        let mut hash_keys = Vec::new();
        let mut merged_cols: Vec<(String, DataType, Expr)> = Vec::new();
        if !using.is_empty() || j.is_natural {
            let mut conds: Vec<Expr> = Vec::new();
            let mut merged = Vec::new();
            for name in &using {
                let li = ls.cols.iter().position(|c| &c.name == name && !c.hidden);
                let ri = rs.cols.iter().position(|c| &c.name == name && !c.hidden);
                let (Some(li), Some(ri)) = (li, ri) else {
                    let side = if li.is_none() { "left" } else { "right" };
                    return Err(err(
                        "42703",
                        format!(
                            "column \"{name}\" specified in USING clause does not exist in {side} table"
                        ),
                    ));
                };
                let lt = ls.cols[li].ty.clone();
                let rt = rs.cols[ri].ty.clone();
                let ct = common_type(&[lt.clone(), rt.clone()], "JOIN/USING")?;
                let le = self.coerce(Expr::Column(li), &lt, &ct, CastContext::Implicit)?;
                let re = self.coerce(Expr::Column(lw + ri), &rt, &ct, CastContext::Implicit)?;
                hash_keys.push((le.clone(), shift(re.clone(), lw)));
                conds.push(Expr::Cmp(
                    CmpOp::Eq,
                    Box::new(le.clone()),
                    Box::new(re.clone()),
                ));
                merged.push((name.clone(), li, lw + ri, ct, le, re));
            }
            on = conds
                .into_iter()
                .reduce(|a, b| Expr::And(Box::new(a), Box::new(b)));
            // USING columns appear once, first: the left value (right for RIGHT JOIN,
            // COALESCE for FULL); the originals stay reachable qualified.
            for (_, li, ri, _, _, _) in &merged {
                scope.cols[*li].hidden = true;
                scope.cols[*ri].hidden = true;
            }
            merged_cols = merged
                .into_iter()
                .map(|(name, _, _, ct, le, re)| {
                    let e = match kind {
                        JoinKind::Right => re,
                        JoinKind::Full => Expr::Coalesce(vec![le, re]),
                        _ => le,
                    };
                    (name, ct, e)
                })
                .collect();
        } else if let Some(q) = &j.quals {
            let pred = self.bind_condition(q, &scope, "JOIN/ON")?;
            hash_keys = equi_keys(&pred, lw);
            if kind == JoinKind::Full && hash_keys.is_empty() && reads_columns(&pred) {
                let side = |s: &Scope| -> Vec<Option<String>> {
                    let mut t: Vec<Option<String>> = Vec::new();
                    for c in &s.cols {
                        if !t.contains(&c.table) {
                            t.push(c.table.clone());
                        }
                    }
                    t
                };
                let (mut l, mut r) = (side(&ls), side(&rs));
                if let Some(alias) = &j.alias {
                    // The sides' names are gone behind the alias: any strict condition on
                    // it counts for both.
                    l = vec![Some(alias.aliasname.clone())];
                    r = l.clone();
                }
                self.full_joins.push(FullJoinCheck {
                    left: l,
                    right: r,
                    reduced: false,
                    whole_from: std::ptr::from_ref(j) as usize == self.whole_from,
                });
            }
            // PostgreSQL's reduce_outer_joins: a strict condition of an inner join applies to
            // both sides; of a LEFT (RIGHT) join, to its nullable right (left) side only.
            let range = match kind {
                JoinKind::Inner => full_mark..full_mid.max(self.full_joins.len()),
                JoinKind::Left => full_mid..self.full_joins.len(),
                JoinKind::Right => full_mark..full_mid,
                _ => 0..0,
            };
            if !range.is_empty() && range.end <= self.full_joins.len() {
                let tables = strict_tables(&pred, &scope);
                for j in &mut self.full_joins[range] {
                    j.reduce_by(&tables);
                }
            }
            let (preserved, nullable) = match kind {
                JoinKind::Left => (full_mark..full_mid, &rs),
                JoinKind::Right => (full_mid..self.full_joins.len(), &ls),
                _ => (0..0, &rs),
            };
            if !preserved.is_empty() {
                let mut names: Vec<Option<String>> = Vec::new();
                for c in &nullable.cols {
                    if !names.contains(&c.table) {
                        names.push(c.table.clone());
                    }
                }
                let strict = strict_tables(&pred, &scope).into_iter().cloned().collect();
                self.outer_conds.push(OuterJoinCond {
                    preserved,
                    nullable: names,
                    strict,
                });
            }
            on = Some(pred);
        }
        let mut plan = Plan::Join {
            kind,
            left: Box::new(lp),
            right: Box::new(rp),
            on,
            hash_keys: if lateral { Vec::new() } else { hash_keys },
            lateral,
        };
        if !merged_cols.is_empty() {
            let width = scope.cols.len();
            let mut exprs: Vec<Expr> = merged_cols.iter().map(|m| m.2.clone()).collect();
            exprs.extend((0..width).map(Expr::Column));
            // `USING (...) AS alias` (PostgreSQL 14+) names the merged columns only; the
            // name must not repeat one of either side's.
            let using_alias = j.join_using_alias.as_ref().map(|a| a.aliasname.clone());
            if let Some(a) = &using_alias
                && scope.cols.iter().any(|c| c.table.as_deref() == Some(a))
            {
                return Err(err(
                    "42712",
                    format!("table name \"{a}\" specified more than once"),
                ));
            }
            if let Some(a) = &using_alias {
                self.using_aliases.push(a.clone());
            }
            let mut cols: Vec<ScopeCol> = merged_cols
                .into_iter()
                .map(|(name, ty, _)| ScopeCol {
                    table: using_alias.clone(),
                    name,
                    ty,
                    hidden: false,
                    origin: None,
                })
                .collect();
            cols.extend(scope.cols);
            scope = Scope { cols };
            plan = Plan::Project {
                input: Box::new(plan),
                exprs,
            };
        }
        if let Some(alias) = &j.alias {
            // The alias names the join's own columns; the sides' copies of USING columns
            // are no longer reachable.
            for c in &mut scope.cols {
                c.table = (!c.hidden).then(|| alias.aliasname.clone());
            }
        }
        Ok((plan, scope))
    }

    // -----------------------------------------------------------------------------------
    // Select list, GROUP BY, ORDER BY.

    fn bind_targets(
        &mut self,
        list: &[protobuf::Node],
        scope: &Scope,
        has_from: bool,
    ) -> Result<Vec<Target>, SqlError> {
        let mut out = Vec::new();
        for (ti, item) in list.iter().enumerate() {
            let Some(Node::ResTarget(rt)) = item.node.as_ref() else {
                continue;
            };
            let Some(val) = rt.val.as_deref() else {
                continue;
            };
            self.ref_item = ti;
            // `*` and `t.*`
            if let Some(Node::ColumnRef(cr)) = val.node.as_ref()
                && let Some(Node::AStar(_)) = cr.fields.last().and_then(|f| f.node.as_ref())
            {
                let qual = if cr.fields.len() >= 2 {
                    node_str(&cr.fields[cr.fields.len() - 2]).map(str::to_string)
                } else {
                    None
                };
                // (`*` of a table without columns is no columns)
                if qual.is_none() && !has_from {
                    return Err(
                        err("42601", "SELECT * with no tables specified is not valid")
                            .at(pos(cr.location)),
                    );
                }
                let mut found = false;
                let mut expansion = Vec::new();
                for (i, c) in scope.cols.iter().enumerate() {
                    if c.hidden && qual.is_none() {
                        continue;
                    }
                    if let Some(q) = &qual
                        && c.table.as_deref() != Some(q.as_str())
                    {
                        continue;
                    }
                    found = true;
                    if self.stars.is_some() {
                        expansion.push((c.table.clone(), c.name.clone()));
                    }
                    out.push(Target {
                        expr: Expr::Column(i),
                        name: c.name.clone(),
                        ty: c.ty.clone(),
                    });
                }
                if let Some(stars) = &mut self.stars {
                    stars.push((cr.location.max(0) as usize, expansion));
                }
                // (a FROM entry of this level without columns gives none)
                if let Some(q) = qual
                    && !found
                    && !self
                        .rtes
                        .last()
                        .is_some_and(|level| level.iter().any(|(name, _)| *name == q))
                {
                    return Err(self.missing_from_entry(&q).at(pos(cr.location)));
                }
                continue;
            }
            // `(e).*`: every field of a record.
            if let Some(Node::AIndirection(ind)) = val.node.as_ref()
                && let Some(arg) = ind.arg.as_deref()
                && let Some((last, rest)) = ind.indirection.split_last()
                && matches!(last.node.as_ref(), Some(Node::AStar(_)))
            {
                let (e, t) = self.bind_expr(arg, scope)?;
                let (e, t) = self.bind_indirection(e, t, arg, rest, scope)?;
                for (expr, name, ty) in self.expand_fields(e, &t, arg)? {
                    out.push(Target { expr, name, ty });
                }
                continue;
            }
            let (expr, ty) = self.bind_expr(val, scope)?;
            let name = if rt.name.is_empty() {
                column_name(val)
            } else {
                rt.name.clone()
            };
            // An untyped literal stays `unknown` here so that UNION and INSERT ... SELECT can
            // still give it a type; the statement's result reports it as text.
            out.push(Target { expr, name, ty });
        }
        self.ref_item = OTHER_ITEM;
        Ok(out)
    }

    /// Binds a GROUP BY clause: the distinct group expressions, and the grouping sets as indexes
    /// into them (empty when the clause has no ROLLUP / CUBE / GROUPING SETS). Items multiply
    /// out as in PostgreSQL: `GROUP BY a, ROLLUP (b, c)` is the sets (a, b, c), (a, b), (a).
    /// `GROUP BY DISTINCT` (`distinct`) keeps one of the sets that group by the same columns.
    fn bind_group_clause(
        &mut self,
        items: &[protobuf::Node],
        distinct: bool,
        scope: &Scope,
        targets: &[Target],
    ) -> Result<(Vec<Expr>, Vec<Vec<usize>>), SqlError> {
        // `GROUP BY (a, b)` (a row written without ROW) groups by a and b, as in PostgreSQL.
        let flat: Vec<protobuf::Node>;
        let items = if items.iter().any(|g| {
            matches!(g.node.as_ref(), Some(Node::RowExpr(r))
                if r.row_format == protobuf::CoercionForm::CoerceImplicitCast as i32)
        }) {
            flat = items
                .iter()
                .flat_map(|g| match g.node.as_ref() {
                    Some(Node::RowExpr(r))
                        if r.row_format == protobuf::CoercionForm::CoerceImplicitCast as i32 =>
                    {
                        r.args.clone()
                    }
                    _ => vec![g.clone()],
                })
                .collect();
            &flat[..]
        } else {
            items
        };
        let mut groups: Vec<Expr> = Vec::new();
        if !items
            .iter()
            .any(|g| matches!(g.node.as_ref(), Some(Node::GroupingSet(_))))
        {
            for g in items {
                groups.push(self.bind_group_item(g, scope, targets)?);
            }
            return Ok((groups, Vec::new()));
        }
        let mut product: Vec<Vec<Expr>> = vec![Vec::new()];
        for g in items {
            let item_sets = self.expand_grouping(g, scope, targets, true)?;
            let mut next = Vec::with_capacity(product.len() * item_sets.len());
            for p in &product {
                for s in &item_sets {
                    let mut v = p.clone();
                    v.extend(s.iter().cloned());
                    next.push(v);
                }
            }
            if next.len() > 4096 {
                return Err(err(
                    "54001",
                    "too many grouping sets present (maximum 4096)",
                ));
            }
            product = next;
        }
        let mut sets = Vec::with_capacity(product.len());
        for set in product {
            let mut idx = Vec::new();
            for e in set {
                let i = match groups.iter().position(|g| *g == e) {
                    Some(i) => i,
                    None => {
                        groups.push(e);
                        groups.len() - 1
                    }
                };
                if !idx.contains(&i) {
                    idx.push(i);
                }
            }
            if distinct {
                let mut key = idx.clone();
                key.sort_unstable();
                if sets.iter().any(|s: &Vec<usize>| {
                    let mut k = s.clone();
                    k.sort_unstable();
                    k == key
                }) {
                    continue;
                }
            }
            sets.push(idx);
        }
        Ok((groups, sets))
    }

    /// The grouping sets one GROUP BY item stands for.
    fn expand_grouping(
        &mut self,
        g: &protobuf::Node,
        scope: &Scope,
        targets: &[Target],
        top: bool,
    ) -> Result<Vec<Vec<Expr>>, SqlError> {
        use protobuf::GroupingSetKind as K;
        match g.node.as_ref() {
            Some(Node::GroupingSet(gs)) => {
                let kind = gs.kind;
                if kind == K::GroupingSetEmpty as i32 {
                    return Ok(vec![Vec::new()]);
                }
                if kind == K::GroupingSetSets as i32 {
                    let mut out = Vec::new();
                    for c in &gs.content {
                        out.extend(self.expand_grouping(c, scope, targets, false)?);
                    }
                    return Ok(out);
                }
                let mut elems = Vec::with_capacity(gs.content.len());
                for c in &gs.content {
                    elems.push(self.grouping_element(c, scope, targets)?);
                }
                if kind == K::GroupingSetRollup as i32 {
                    Ok((0..=elems.len())
                        .rev()
                        .map(|i| elems[..i].concat())
                        .collect())
                } else if kind == K::GroupingSetCube as i32 {
                    if elems.len() > 12 {
                        return Err(
                            err("54001", "CUBE is limited to 12 elements").at(pos(gs.location))
                        );
                    }
                    let n = elems.len();
                    Ok((0..1usize << n)
                        .rev()
                        .map(|mask| {
                            (0..n)
                                .filter(|j| mask & (1 << (n - 1 - j)) != 0)
                                .flat_map(|j| elems[j].iter().cloned())
                                .collect()
                        })
                        .collect())
                } else {
                    Ok(vec![elems.concat()])
                }
            }
            Some(Node::RowExpr(r))
                if !top && r.row_format == protobuf::CoercionForm::CoerceImplicitCast as i32 =>
            {
                let mut set = Vec::with_capacity(r.args.len());
                for a in &r.args {
                    set.push(self.bind_group_item(a, scope, targets)?);
                }
                Ok(vec![set])
            }
            _ => Ok(vec![vec![self.bind_group_item(g, scope, targets)?]]),
        }
    }

    /// One element of ROLLUP / CUBE: an expression, or a parenthesized list of them.
    fn grouping_element(
        &mut self,
        c: &protobuf::Node,
        scope: &Scope,
        targets: &[Target],
    ) -> Result<Vec<Expr>, SqlError> {
        match c.node.as_ref() {
            Some(Node::RowExpr(r))
                if r.row_format == protobuf::CoercionForm::CoerceImplicitCast as i32 =>
            {
                let mut set = Vec::with_capacity(r.args.len());
                for a in &r.args {
                    set.push(self.bind_group_item(a, scope, targets)?);
                }
                Ok(set)
            }
            _ => Ok(vec![self.bind_group_item(c, scope, targets)?]),
        }
    }

    fn bind_group_item(
        &mut self,
        g: &protobuf::Node,
        scope: &Scope,
        targets: &[Target],
    ) -> Result<Expr, SqlError> {
        if let Some(i) = position_ref_in(g, targets.len(), "GROUP BY")? {
            return Ok(targets[i].expr.clone());
        }
        // A bare name not in the FROM scope may be an output column alias.
        if let Some(Node::ColumnRef(cr)) = g.node.as_ref()
            && cr.fields.len() == 1
            && let Some(name) = node_str(&cr.fields[0])
            && !scope.cols.iter().any(|c| c.name == name)
            && let Some(t) = targets.iter().find(|t| t.name == name)
        {
            return Ok(t.expr.clone());
        }
        if let Some(Node::GroupingSet(gs)) = g.node.as_ref() {
            return Err(err(
                "42601",
                "nested grouping sets are not allowed in this position",
            )
            .at(pos(gs.location)));
        }
        let saved = self.agg.as_mut().map(|a| {
            let old = (a.allowed, a.windows_allowed, a.context);
            a.allowed = false;
            a.windows_allowed = false;
            a.context = "GROUP BY";
            old
        });
        let r = self.bind_expr(g, scope);
        if let (Some(a), Some((al, wa, ctx))) = (self.agg.as_mut(), saved) {
            a.allowed = al;
            a.windows_allowed = wa;
            a.context = ctx;
        }
        Ok(r?.0)
    }

    fn bind_having(
        &mut self,
        h: Option<&protobuf::Node>,
        scope: &Scope,
    ) -> Option<Result<Expr, SqlError>> {
        h.map(|h| self.bind_condition(h, scope, "HAVING"))
    }

    fn bind_output_ref(
        &mut self,
        n: &protobuf::Node,
        scope: &Scope,
        targets: &[Target],
        clause: &str,
    ) -> Result<Expr, SqlError> {
        if let Some(i) = position_ref_in(n, targets.len(), clause)? {
            return Ok(targets[i].expr.clone());
        }
        if let Some(Node::ColumnRef(cr)) = n.node.as_ref()
            && cr.fields.len() == 1
            && let Some(name) = node_str(&cr.fields[0])
            && let Some(t) = targets.iter().find(|t| t.name == name)
        {
            if targets.iter().any(|o| o.name == name && o.expr != t.expr) {
                return Err(
                    err("42702", format!("{clause} \"{name}\" is ambiguous")).at(pos(cr.location))
                );
            }
            return Ok(t.expr.clone());
        }
        Ok(self.bind_expr(n, scope)?.0)
    }

    fn bind_sort_items(
        &mut self,
        items: &[protobuf::Node],
        scope: &Scope,
        targets: &[Target],
        target_list: &[protobuf::Node],
    ) -> Result<Vec<SortKey>, SqlError> {
        let mut keys = Vec::new();
        for item in items {
            let Some(Node::SortBy(sb)) = item.node.as_ref() else {
                continue;
            };
            let Some(n) = sb.node.as_deref() else {
                continue;
            };
            self.ref_item = ORDER_ITEM + keys.len();
            let expr = self.bind_output_ref(n, scope, targets, "ORDER BY");
            self.ref_item = OTHER_ITEM;
            let mut expr = expr?;
            // A subquery bound twice differs (ids, positions), though PostgreSQL sees the
            // same expression as the select-list item: match on the written expression.
            if expr.any(&|x| matches!(x, Expr::Subquery(_)))
                && !targets.iter().any(|t| t.expr == expr)
                && target_list_matches(target_list, targets.len(), n)
                && let Some(i) = target_list.iter().position(|t| match t.node.as_ref() {
                    Some(Node::ResTarget(rt)) => rt.val.as_deref().is_some_and(|v| same_tree(v, n)),
                    _ => false,
                })
            {
                expr = targets[i].expr.clone();
            }
            let (desc, nulls_first) = sort_dir(sb)?;
            keys.push(SortKey {
                expr,
                desc,
                nulls_first,
            });
        }
        Ok(keys)
    }

    /// Binds a boolean condition (WHERE, HAVING, ON, CHECK).
    pub fn bind_condition(
        &mut self,
        n: &protobuf::Node,
        scope: &Scope,
        context: &'static str,
    ) -> Result<Expr, SqlError> {
        // A CASE condition is part of the enclosing expression: aggregates and window
        // functions are allowed there exactly when they are around it.
        let inherit = context == "CASE/WHEN";
        let had_agg = self.agg.is_some() || inherit;
        if !had_agg {
            self.agg = Some(AggCollect::default());
        }
        let saved = self.agg.as_mut().filter(|_| !inherit).map(|a| {
            let old = (a.allowed, a.windows_allowed, a.context);
            a.allowed = context == "HAVING";
            a.windows_allowed = false;
            a.context = context;
            old
        });
        let r = self.bind_expr(n, scope);
        if let (Some(a), Some((al, wa, ctx))) = (self.agg.as_mut(), saved) {
            a.allowed = al;
            a.windows_allowed = wa;
            a.context = ctx;
        }
        if !had_agg {
            self.agg = None;
        }
        let (e, t) = r?;
        if t != DataType::Bool && t != DataType::Unknown {
            return Err(err(
                "42804",
                format!(
                    "argument of {context} must be type boolean, not type {}",
                    t.format_type()
                ),
            )
            .at(expr_start(n)));
        }
        self.coerce(e, &t, &DataType::Bool, CastContext::Implicit)
    }

    // -----------------------------------------------------------------------------------
    // Expressions.

    /// Coerces an expression of type `from` to `to` in the given context.
    pub fn coerce(
        &mut self,
        e: Expr,
        from: &DataType,
        to: &DataType,
        context: CastContext,
    ) -> Result<Expr, SqlError> {
        if from == to {
            return Ok(e);
        }
        // An array of OID aliases: a literal is read as text[] first, then each element.
        if let DataType::Array(inner) = to
            && let DataType::Reg(k) = **inner
            && !matches!(e, Expr::Const(Value::Null))
            && !(matches!(e, Expr::Param(_)) && *from == DataType::Unknown)
            && !from.same_base(to)
            && (*from == DataType::Unknown
                || cast_context(from, to).is_some_and(|c| c.allows(context)))
        {
            let cat = self.reg_map();
            if let (Expr::Const(Value::Text(s)), DataType::Unknown) = (&e, from) {
                let text = s.clone();
                let at = self.literal_position(&text);
                let arr = cast_unknown_literal(
                    &text,
                    &DataType::Array(Box::new(DataType::Text)),
                    context,
                    &self.types,
                )
                .map_err(|e| SqlError::from(e).at(at))?;
                return Ok(Expr::Const(
                    cat.0.convert(&arr, k, false).map_err(|e| e.at(at))?,
                ));
            }
            return Ok(Expr::RegCast {
                arg: Box::new(e),
                kind: k,
                cat,
                missing_ok: false,
            });
        }
        if let DataType::Reg(k) = to
            && !matches!(e, Expr::Const(Value::Null))
            && !(matches!(e, Expr::Param(_)) && *from == DataType::Unknown)
            && !from.same_base(to)
            && (*from == DataType::Unknown
                || cast_context(from, to).is_some_and(|c| c.allows(context)))
        {
            return self.reg_cast(e, from, *k, false);
        }
        match (&e, from) {
            (Expr::Const(Value::Null), _) => return Ok(Expr::Const(Value::Null)),
            (Expr::Const(Value::Text(s)), DataType::Unknown) => {
                return match cast_unknown_literal(s, to, context, &self.types) {
                    Ok(v) => Ok(Expr::Const(v)),
                    Err(e) => Err(SqlError::from(e).at(self.literal_position(s))),
                };
            }
            (Expr::Param(i), DataType::Unknown) => {
                if let Some(p) = self.params.get_mut(*i)
                    && *p == DataType::Unknown
                {
                    *p = to.clone();
                    if let Some(sink) = self.param_sink {
                        let mut sink = sink.borrow_mut();
                        if sink.len() <= *i {
                            sink.resize(i + 1, DataType::Unknown);
                        }
                        if sink[*i] == DataType::Unknown {
                            sink[*i] = to.clone();
                        }
                    }
                    // A parameter of an OID alias type may arrive as its name or OID (text,
                    // an integer): every reference reads it through the catalog.
                    if let Some(k) = reg_kind(to) {
                        return Ok(Expr::RegCast {
                            arg: Box::new(e),
                            kind: k,
                            cat: self.reg_map(),
                            missing_ok: false,
                        });
                    }
                }
                return Ok(Expr::Cast(Box::new(e), to.clone(), CastContext::Explicit));
            }
            _ => {}
        }
        // An OID alias is an oid (binary-coercible).
        if matches!(from, DataType::Reg(_)) && *to == DataType::Oid {
            if let Expr::Const(Value::Reg(_, o, _)) = &e {
                return Ok(Expr::Const(Value::Oid(*o)));
            }
            return Ok(Expr::Cast(Box::new(e), to.clone(), CastContext::Explicit));
        }
        if *from == DataType::Unknown {
            return Ok(Expr::Cast(Box::new(e), to.clone(), CastContext::Explicit));
        }
        // A row constructor becomes a composite type field by field, checked now.
        if let (Expr::Row(..), DataType::Record(ft), DataType::Record(tt)) = (&e, from, to)
            && !tt.is_anonymous()
        {
            let Expr::Row(items, _) = e else {
                return Err(err("XX000", "row constructor expected"));
            };
            if items.len() != tt.fields.len() {
                return Err(err(
                    "42846",
                    format!("cannot cast type record to {}", to.format_type()),
                )
                .with_detail(if items.len() < tt.fields.len() {
                    "Input has too few columns."
                } else {
                    "Input has too many columns."
                }));
            }
            let mut out = Vec::with_capacity(items.len());
            for ((item, (_, it)), (_, ot)) in items.into_iter().zip(&ft.fields).zip(&tt.fields) {
                out.push(self.coerce(item, it, ot, context)?);
            }
            return Ok(Expr::Row(out, tt.names()));
        }
        if from.same_base(to) && matches!(to, DataType::Array(_)) {
            return Ok(Expr::Cast(Box::new(e), to.clone(), context));
        }
        if from.same_base(to) && to.typmod() < 0 {
            return Ok(e);
        }
        match cast_context(from, to) {
            Some(c) if c.allows(context) => {
                // A constant is cast now; if that fails, the cast fails when it runs, as
                // PostgreSQL's constant folding does (with no position in the text).
                if let Expr::Const(v) = &e {
                    match basalt_common::types::cast(v, to, context, &self.types) {
                        Ok(v) => return Ok(Expr::Const(v)),
                        Err(x) if immutable_cast(from, to) => {
                            let c = Expr::Cast(Box::new(e), to.clone(), context);
                            self.const_errors.push((c.clone(), SqlError::from(x)));
                            return Ok(c);
                        }
                        Err(_) => {}
                    }
                }
                Ok(Expr::Cast(Box::new(e), to.clone(), context))
            }
            _ => {
                if context == CastContext::Assignment {
                    Err(err(
                        "42804",
                        format!(
                            "column is of type {} but expression is of type {}",
                            to.format_type(),
                            from.format_type()
                        ),
                    )
                    .with_hint("You will need to rewrite or cast the expression."))
                } else if cast_context(from, to).is_some() {
                    Err(err(
                        "42804",
                        format!(
                            "{} cannot be cast automatically to type {}",
                            from.format_type(),
                            to.format_type()
                        ),
                    ))
                } else {
                    Err(err(
                        "42846",
                        format!(
                            "cannot cast type {} to {}",
                            from.format_type(),
                            to.format_type()
                        ),
                    ))
                }
            }
        }
    }

    fn resolve_column(
        &mut self,
        fields: &[String],
        scope: &Scope,
        location: i32,
    ) -> Result<(Expr, DataType), SqlError> {
        let (qual, name) = match fields {
            [n] => (None, n.as_str()),
            [q, n] => (Some(q.as_str()), n.as_str()),
            [_, q, n] => (Some(q.as_str()), n.as_str()),
            [_, _, _, _] => {
                return Err(err(
                    "0A000",
                    format!(
                        "cross-database references are not implemented: {}",
                        fields.join(".")
                    ),
                )
                .at(pos(location)));
            }
            _ => {
                return Err(err(
                    "42601",
                    format!(
                        "improper qualified name (too many dotted names): {}",
                        fields.join(".")
                    ),
                )
                .at(pos(location)));
            }
        };
        let find = |s: &Scope| -> Result<Option<usize>, SqlError> {
            let mut hit = None;
            for (i, c) in s.cols.iter().enumerate() {
                if c.name != name {
                    continue;
                }
                if let Some(q) = qual {
                    if c.table.as_deref() != Some(q) {
                        continue;
                    }
                } else if c.hidden {
                    continue;
                }
                if hit.is_some() {
                    return Err(
                        err("42702", format!("column reference \"{name}\" is ambiguous"))
                            .at(pos(location)),
                    );
                }
                hit = Some(i);
            }
            Ok(hit)
        };
        if let Some(i) = find(scope)? {
            if self.agg_depth == 0 {
                self.col_refs.push((i, location, self.ref_item));
            }
            if let Some((level, refs)) = &mut self.direct_refs
                && *level == self.levels.len()
            {
                refs.push((i, location));
            }
            return Ok((Expr::Column(i), scope.cols[i].ty.clone()));
        }
        let n = self.levels.len();
        for depth in 1..=n {
            let found = find(&self.levels[n - depth].0)?;
            if let Some(i) = found {
                let ty = self.levels[n - depth].0.cols[i].ty.clone();
                // Every subquery between the reference and the scope it names is correlated.
                for lvl in (n - depth)..n {
                    self.levels[lvl].1 = true;
                }
                self.level_refs.push((n - depth, i, pos(location)));
                return Ok((Expr::Outer { depth, index: i }, ty));
            }
        }
        // A SQL function's parameter names come after column names, as in PostgreSQL.
        if let Some(r) = self.fn_param(fields) {
            return Ok(r);
        }
        if qual.is_none()
            && let Some(r) = self.whole_row(name, scope, location)
        {
            return r;
        }
        if let Some(q) = qual {
            let known = scope.cols.iter().any(|c| c.table.as_deref() == Some(q))
                || self
                    .levels
                    .iter()
                    .any(|l| l.0.cols.iter().any(|c| c.table.as_deref() == Some(q)));
            if !known {
                return Err(self.missing_from_entry(q).at(pos(location)));
            }
            let e = err("42703", format!("column {q}.{name} does not exist")).at(pos(location));
            return Err(match self.closest_qualified(q, name, scope) {
                Some(hint) => e.with_hint(hint),
                None => e,
            });
        }
        let e = err("42703", format!("column \"{name}\" does not exist")).at(pos(location));
        Err(match closest_column(name, scope) {
            Some(hint) => e.with_hint(hint),
            None => e,
        })
    }

    /// Binds an expression over `scope`. An error raised while binding the node that has no
    /// position yet gets the node's location (errors coming out of a subquery keep theirs,
    /// or none, as PostgreSQL's do).
    pub fn bind_expr(
        &mut self,
        node: &protobuf::Node,
        scope: &Scope,
    ) -> Result<(Expr, DataType), SqlError> {
        self.unplaced = false;
        if let Some(Node::AConst(c)) = node.node.as_ref()
            && let Some(protobuf::a_const::Val::Sval(sv)) = &c.val
        {
            self.literals.push((sv.sval.clone(), c.location));
        }
        let r = self.bind_expr_node(node, scope);
        if self.unplaced || matches!(node.node.as_ref(), Some(Node::SubLink(_))) {
            return r;
        }
        r.map_err(|e| e.at(node_location(node)))
    }

    fn bind_expr_node(
        &mut self,
        node: &protobuf::Node,
        scope: &Scope,
    ) -> Result<(Expr, DataType), SqlError> {
        let Some(n) = node.node.as_ref() else {
            return Err(err("42601", "empty expression"));
        };
        match n {
            Node::AConst(c) => Ok(bind_const(c)?),
            Node::ColumnRef(cr) => {
                if let Some(Node::AStar(_)) = cr.fields.last().and_then(|f| f.node.as_ref()) {
                    let f = names(&cr.fields[..cr.fields.len() - 1]);
                    if let Some(q) = f.last() {
                        return match self.whole_row(q, scope, cr.location) {
                            Some(r) => r,
                            None => Err(self.missing_from_entry(q).at(pos(cr.location))),
                        };
                    }
                    return Err(err("0A000", "feature not supported: row expressions (*)")
                        .at(pos(cr.location)));
                }
                if self
                    .agg
                    .as_ref()
                    .is_some_and(|a| a.context == "DEFAULT expressions")
                {
                    return Err(
                        err("0A000", "cannot use column reference in DEFAULT expression")
                            .at(pos(cr.location)),
                    );
                }
                let f = names(&cr.fields);
                self.resolve_column(&f, scope, cr.location)
            }
            Node::ParamRef(p) => {
                let i = usize::try_from(p.number - 1)
                    .map_err(|_| err("42P02", format!("there is no parameter ${}", p.number)))?;
                if self.fn_params.is_some() && self.params.len() <= i {
                    return Err(err("42P02", format!("there is no parameter ${}", p.number))
                        .at(pos(p.location)));
                }
                if self.params.len() <= i {
                    self.params.resize(i + 1, DataType::Unknown);
                }
                let t = self.params[i].clone();
                // A parameter whose type an earlier reference decided is read as that type
                // at every reference, not only the first (the value given may be of another
                // type: `a = $1 OR b = $1` with a bigint for integer columns). See `coerce`:
                // an OID alias parameter is read through the catalog.
                if let Some(k) = reg_kind(&t) {
                    let cat = self.reg_map();
                    return Ok((
                        Expr::RegCast {
                            arg: Box::new(Expr::Param(i)),
                            kind: k,
                            cat,
                            missing_ok: false,
                        },
                        t,
                    ));
                }
                if t == DataType::Unknown {
                    return Ok((Expr::Param(i), t));
                }
                Ok((
                    Expr::Cast(Box::new(Expr::Param(i)), t.clone(), CastContext::Explicit),
                    t,
                ))
            }
            Node::TypeCast(tc) => {
                let Some(arg) = tc.arg.as_deref() else {
                    return Err(err("42601", "cast without argument"));
                };
                let Some(tn) = &tc.type_name else {
                    return Err(err("42601", "cast without type"));
                };
                let to = self.resolve_type(tn)?;
                if let Some(Node::AArrayExpr(a)) = arg.node.as_ref()
                    && a.elements.is_empty()
                {
                    // `ARRAY[]::t[]`: an empty array of the cast's type.
                    let DataType::Array(elem) = &to else {
                        return Err(err("42P18", "cannot determine type of empty array")
                            .with_hint("Explicitly cast to the desired type, for example ARRAY[]::integer[].")
                            .at(pos(a.location)));
                    };
                    return Ok((
                        Expr::Const(Value::array((**elem).clone(), Vec::new())),
                        to.clone(),
                    ));
                }
                let (mut e, t) = self.bind_expr(arg, scope)?;
                let (field, precision) = if to == DataType::Interval {
                    (interval_range_field(tn), interval_precision(tn))
                } else {
                    (None, None)
                };
                // `interval '1' day`: a bare number counts in the range's last field; with
                // two, the first is days (`interval '1 2' day to hour`).
                if let (Some(f), Expr::Const(Value::Text(s))) = (field, &mut e) {
                    let parts: Vec<&str> = s.split_whitespace().collect();
                    let num = |p: &str| p.parse::<f64>().is_ok();
                    const DAY_TO_HOUR: i32 = (1 << 3) | (1 << 10);
                    const MINUTE_TO_SECOND: i32 = (1 << 11) | (1 << 12);
                    let mask = interval_mask(tn);
                    match parts.as_slice() {
                        [a] if num(a) => *s = format!("{a} {}", f.unit()),
                        // `'1 2' DAY TO HOUR` is one day two hours (PostgreSQL).
                        [a, b]
                            if mask == Some(DAY_TO_HOUR)
                                && num(a)
                                && num(b)
                                && !a.contains('.')
                                && !b.contains('.') =>
                        {
                            *s = format!("{a} days {b} hours");
                        }
                        // `'1 2:03' MINUTE TO SECOND`: mm:ss.
                        [a, b]
                            if mask == Some(MINUTE_TO_SECOND)
                                && num(a)
                                && b.matches(':').count() == 1
                                && !b.contains('.') =>
                        {
                            let (sign, rest) = match b.strip_prefix(['+', '-']) {
                                Some(r) => (&b[..1], r),
                                None => ("", *b),
                            };
                            *s = format!("{a} {sign}00:{rest}");
                        }
                        _ => {}
                    }
                }
                let e = self
                    .coerce(e, &t, &to, CastContext::Explicit)
                    .map_err(|e| e.at(pos(tc.location)))?;
                if let Some(d) = domain_of(self.catalog, &self.search_path, tn) {
                    let checks =
                        crate::usertypes::DomainChecks::bind(self.catalog, d, &self.types)?;
                    return Ok((Expr::DomainCheck(Box::new(e), checks), to));
                }
                if field.is_none() && precision.is_none() {
                    return Ok((e, to));
                }
                let last = field.map_or(5, |f| f as u8);
                let e = match e {
                    Expr::Const(Value::Interval(iv)) => Expr::Const(Value::Interval(
                        basalt_common::types::interval::adjust_interval(iv, last, precision),
                    )),
                    Expr::Const(Value::Null) => Expr::Const(Value::Null),
                    // At run time: `col::interval day to minute`, `x::interval(2)`.
                    e => Expr::Func {
                        func: basalt_func::Func::DateTime(
                            basalt_func::datetime::DateTimeFunc::IntervalTypmod {
                                last,
                                precision: precision.unwrap_or(255),
                            },
                        ),
                        args: vec![e],
                        strict: true,
                    },
                };
                Ok((e, to))
            }
            Node::BoolExpr(b) => {
                let mut args = Vec::new();
                let opname = match b.boolop {
                    1 => "AND",
                    2 => "OR",
                    _ => "NOT",
                };
                for a in &b.args {
                    let (e, t) = self.bind_expr(a, scope)?;
                    if t != DataType::Bool && t != DataType::Unknown {
                        return Err(err(
                            "42804",
                            format!(
                                "argument of {opname} must be type boolean, not type {}",
                                t.format_type()
                            ),
                        )
                        .at(expr_start(a)));
                    }
                    args.push(self.coerce(e, &t, &DataType::Bool, CastContext::Implicit)?);
                }
                let e = match b.boolop {
                    1 | 2 => Some(self.fold_bool(b.boolop == 1, args)),
                    _ => args.into_iter().next().map(negate),
                };
                Ok((e.unwrap_or(Expr::Const(Value::Null)), DataType::Bool))
            }
            Node::NullTest(nt) => {
                let Some(a) = nt.arg.as_deref() else {
                    return Err(err("42601", "IS NULL without argument"));
                };
                let (e, _) = self.bind_expr(a, scope)?;
                Ok((
                    Expr::IsNull(Box::new(e), nt.nulltesttype == 2),
                    DataType::Bool,
                ))
            }
            Node::BooleanTest(bt) => {
                let Some(a) = bt.arg.as_deref() else {
                    return Err(err("42601", "IS TRUE without argument"));
                };
                let (e, t) = self.bind_expr(a, scope)?;
                if t != DataType::Bool && t != DataType::Unknown {
                    let what = match bt.booltesttype {
                        1 => "IS TRUE",
                        2 => "IS NOT TRUE",
                        3 => "IS FALSE",
                        4 => "IS NOT FALSE",
                        5 => "IS UNKNOWN",
                        _ => "IS NOT UNKNOWN",
                    };
                    return Err(err(
                        "42804",
                        format!(
                            "argument of {what} must be type boolean, not type {}",
                            t.format_type()
                        ),
                    )
                    .at(expr_start(a)));
                }
                let e = self.coerce(e, &t, &DataType::Bool, CastContext::Implicit)?;
                let test = match bt.booltesttype {
                    1 => BoolTest::IsTrue,
                    2 => BoolTest::IsNotTrue,
                    3 => BoolTest::IsFalse,
                    4 => BoolTest::IsNotFalse,
                    5 => BoolTest::IsUnknown,
                    _ => BoolTest::IsNotUnknown,
                };
                Ok((Expr::BoolTest(Box::new(e), test), DataType::Bool))
            }
            Node::AExpr(a) => self.bind_a_expr(a, scope),
            Node::FuncCall(fc) => self.bind_func_call(fc, scope),
            Node::CaseExpr(c) => self.bind_case(c, scope),
            Node::CoalesceExpr(c) => {
                let (args, t) = self.bind_common(&c.args, scope, "COALESCE")?;
                // Folding drops NULL constants and stops at the first other constant.
                let mut args = args;
                if let Some(k) = args
                    .iter()
                    .position(|a| a.as_const().is_some_and(|v| *v != Value::Null))
                {
                    for dead in &args[k + 1..] {
                        self.forget_const_errors(dead);
                    }
                    for dead in args.split_off(k + 1) {
                        self.record_dropped(&dead);
                    }
                }
                args.retain(|a| a.as_const() != Some(&Value::Null));
                match args.len() {
                    0 => Ok((Expr::Const(Value::Null), t)),
                    1 if args[0].as_const().is_some() => Ok((args.remove(0), t)),
                    _ => Ok((Expr::Coalesce(args), t)),
                }
            }
            Node::MinMaxExpr(m) => {
                let name = if m.op == 1 { "GREATEST" } else { "LEAST" };
                let (args, t) = self.bind_common(&m.args, scope, name)?;
                Ok((Expr::MinMax(args, m.op == 1), t))
            }
            Node::SubLink(sl) => self.bind_sublink(sl, scope),
            Node::AArrayExpr(a) => {
                if a.elements.is_empty() {
                    // Only a cast gives `ARRAY[]` a type (handled with the cast).
                    return Err(err("42P18", "cannot determine type of empty array")
                        .with_hint(
                            "Explicitly cast to the desired type, for example ARRAY[]::integer[].",
                        )
                        .at(pos(a.location)));
                }
                let (args, t) = self.bind_common(&a.elements, scope, "ARRAY")?;
                // Items that are arrays make a multidimensional array of their elements.
                let (items, elem) = match t {
                    DataType::Array(inner) => (DataType::Array(inner.clone()), *inner),
                    t => (t.clone(), t),
                };
                Ok((Expr::Array(args, items), DataType::Array(Box::new(elem))))
            }
            Node::AIndirection(ind) => {
                let Some(arg) = ind.arg.as_deref() else {
                    return Err(err("42601", "subscript without argument"));
                };
                let (e, t) = self.bind_expr(arg, scope)?;
                self.bind_indirection(e, t, arg, &ind.indirection, scope)
            }
            Node::SqlvalueFunction(f) => {
                let (name, args): (&str, Vec<Expr>) = match f.op {
                    1 => ("current_date", vec![]),
                    2 | 3 => ("current_time", vec![]),
                    4 | 5 => ("now", vec![]),
                    6 | 7 => ("localtime", vec![]),
                    8 | 9 => ("localtimestamp", vec![]),
                    // The role and database names and the schema are of type name.
                    10..=13 => {
                        let name = match f.op {
                            10 => "current_role",
                            11 => "current_user",
                            12 => "user",
                            _ => "session_user",
                        };
                        if let Some(r) = crate::system::bind_system_function(self, name, &[], &[])?
                        {
                            return Ok(r);
                        }
                        return Err(err("42883", format!("function {name}() does not exist")));
                    }
                    14 => return Ok((Expr::Const(Value::Text("basalt".into())), DataType::Name)),
                    _ => {
                        let s = self.current_schema();
                        return Ok((Expr::Const(s), DataType::Name));
                    }
                };
                let Some(r) = basalt_func::resolve_function(name, &[]) else {
                    return Err(err("42883", format!("function {name}() does not exist")));
                };
                let call = Expr::Func {
                    func: r.func,
                    args,
                    strict: r.strict,
                };
                // `localtime(p)`, `current_timestamp(p)`, ...: rounded to p fractional digits
                // (at most 6), as a cast to the type with that precision.
                let p = u8::try_from(f.typmod.clamp(0, 6)).unwrap_or(6);
                let to = match &r.ret {
                    _ if f.typmod < 0 => None,
                    DataType::Time(_) => Some(DataType::Time(Some(p))),
                    DataType::TimeTz(_) => Some(DataType::TimeTz(Some(p))),
                    DataType::Timestamp(_) => Some(DataType::Timestamp(Some(p))),
                    DataType::Timestamptz(_) => Some(DataType::Timestamptz(Some(p))),
                    _ => None,
                };
                match to {
                    Some(to) => {
                        let e = self.coerce(call, &r.ret, &to, CastContext::Assignment)?;
                        Ok((e, to))
                    }
                    None => Ok((call, r.ret)),
                }
            }
            Node::CollateClause(c) => {
                let Some(a) = c.arg.as_deref() else {
                    return Err(err("42601", "COLLATE without argument"));
                };
                let coll = names(&c.collname);
                let ok = matches!(
                    coll.last().map(String::as_str),
                    Some("C" | "POSIX" | "default" | "ucs_basic")
                );
                if !ok {
                    return Err(err(
                        "0A000",
                        format!("feature not supported: collation \"{}\"", coll.join(".")),
                    )
                    .at(pos(c.location)));
                }
                self.bind_expr(a, scope)
            }
            Node::SetToDefault(_) => Err(err("42601", "DEFAULT is not allowed in this context")),
            Node::RowExpr(r) => self.bind_row_expr(&r.args, scope),
            Node::GroupingFunc(gf) => {
                // GROUPING over the enclosing query's columns only belongs to that query
                // (as aggregates do): it becomes one of its aggregate outputs.
                if !self.levels.is_empty() && gf.args.len() <= 31 {
                    let refs_mark = self.level_refs.len();
                    let saved_agg = self.agg.take();
                    let mut args = Vec::with_capacity(gf.args.len());
                    let mut failed = None;
                    for a in &gf.args {
                        match self.bind_expr(a, scope) {
                            Ok((e, _)) => args.push(e),
                            Err(e) => {
                                failed = Some(e);
                                break;
                            }
                        }
                    }
                    self.agg = saved_agg;
                    if failed.is_none() {
                        let mut call = AggCall {
                            func: basalt_func::agg::ResolvedAggregate {
                                func: basalt_func::agg::AggFunc::Grouping,
                                arg_types: Vec::new(),
                                ret: DataType::Int4,
                            },
                            args,
                            distinct: false,
                            filter: None,
                            order_by: Vec::new(),
                            user: None,
                        };
                        if let Some(e) = self
                            .outer_level_aggregate(&mut call, &DataType::Int4, refs_mark)
                            .map_err(|e| e.at(pos(gf.location)))?
                        {
                            let width = self.levels.last().map_or(0, |l| l.0.cols.len());
                            if let (Expr::Outer { index, .. }, _) = &e
                                && let Some((_, Some(outer))) = self.outer_aggs.last_mut()
                            {
                                let at = gf.args.iter().map(node_location).collect();
                                outer.grouping_at.push((index - width, at));
                            }
                            return Ok(e);
                        }
                    }
                    self.level_refs.truncate(refs_mark);
                }
                match &self.agg {
                    Some(a) if a.allowed => {}
                    Some(a) if !a.context.is_empty() && a.context != "aggregate function calls" => {
                        return Err(err(
                            "42803",
                            format!("grouping operations are not allowed in {}", a.context),
                        )
                        .at(pos(gf.location)));
                    }
                    _ => {
                        return Err(err(
                            "42803",
                            "arguments to GROUPING must be grouping expressions of the associated query level",
                        )
                        .at(pos(gf.location)));
                    }
                }
                if gf.args.len() > 31 {
                    return Err(err("54023", "GROUPING must have fewer than 32 arguments")
                        .at(pos(gf.location)));
                }
                let mut args = Vec::with_capacity(gf.args.len());
                for a in &gf.args {
                    args.push(self.bind_expr(a, scope)?.0);
                }
                let at = gf.args.iter().map(node_location).collect();
                Ok((Expr::Grouping(args, at), DataType::Int4))
            }
            other => Err(err(
                "0A000",
                format!("feature not supported: expression {}", node_kind(other)),
            )),
        }
    }

    fn current_schema(&self) -> Value {
        self.search_path
            .first()
            .map(|s| Value::Text(self.catalog.schema_name(*s).to_string()))
            .unwrap_or(Value::Null)
    }

    fn bind_common(
        &mut self,
        args: &[protobuf::Node],
        scope: &Scope,
        context: &str,
    ) -> Result<(Vec<Expr>, DataType), SqlError> {
        let mut bound = Vec::new();
        for a in args {
            bound.push(self.bind_expr(a, scope)?);
        }
        let types: Vec<DataType> = bound.iter().map(|b| b.1.clone()).collect();
        let locations: Vec<Option<u32>> = args.iter().map(expr_start).collect();
        let t = common_type_at(&types, &locations, context)?;
        let mut out = Vec::new();
        for (e, et) in bound {
            out.push(self.coerce(e, &et, &t, CastContext::Implicit)?);
        }
        Ok((out, t))
    }

    fn bind_case(
        &mut self,
        c: &protobuf::CaseExpr,
        scope: &Scope,
    ) -> Result<(Expr, DataType), SqlError> {
        let operand = match c.arg.as_deref() {
            // An untyped operand (`CASE NULL WHEN ...`) is text, as in PostgreSQL.
            Some(a) => Some(match self.bind_expr(a, scope)? {
                (e, DataType::Unknown) => (
                    self.coerce(
                        e,
                        &DataType::Unknown,
                        &DataType::Text,
                        CastContext::Implicit,
                    )?,
                    DataType::Text,
                ),
                other => other,
            }),
            None => None,
        };
        let mut conds = Vec::new();
        let mut results = Vec::new();
        for w in &c.args {
            let Some(Node::CaseWhen(cw)) = w.node.as_ref() else {
                continue;
            };
            let Some(cond) = cw.expr.as_deref() else {
                continue;
            };
            let cond = match &operand {
                Some((oe, ot)) => {
                    let (ve, vt) = self.bind_expr(cond, scope)?;
                    self.comparison(CmpOp::Eq, oe.clone(), ot.clone(), ve, vt)
                        .map_err(|e| e.at(pos(cw.location)))?
                }
                None => self.bind_condition(cond, scope, "CASE/WHEN")?,
            };
            conds.push(cond);
            let Some(r) = cw.result.as_deref() else {
                continue;
            };
            results.push(self.bind_expr(r, scope)?);
        }
        let otherwise = match c.defresult.as_deref() {
            Some(d) => Some(self.bind_expr(d, scope)?),
            None => None,
        };
        // PostgreSQL resolves the ELSE result first, then the THEN results in order.
        let mut types: Vec<DataType> = Vec::new();
        let mut locations: Vec<Option<u32>> = Vec::new();
        if let Some(o) = &otherwise {
            types.push(o.1.clone());
            locations.push(c.defresult.as_deref().and_then(expr_start));
        }
        for (r, w) in results
            .iter()
            .zip(c.args.iter().filter_map(|w| match w.node.as_ref() {
                Some(Node::CaseWhen(cw)) if cw.expr.is_some() && cw.result.is_some() => Some(cw),
                _ => None,
            }))
        {
            types.push(r.1.clone());
            locations.push(w.result.as_deref().and_then(expr_start));
        }
        let t = common_type_at(&types, &locations, "CASE")?;
        let mut whens = Vec::new();
        for (cond, (e, et)) in conds.into_iter().zip(results) {
            whens.push((cond, self.coerce(e, &et, &t, CastContext::Implicit)?));
        }
        let otherwise = match otherwise {
            Some((e, et)) => self.coerce(e, &et, &t, CastContext::Implicit)?,
            None => Expr::Const(Value::Null),
        };
        // Folding skips the result of an arm whose condition is a constant FALSE or NULL, and
        // everything after an arm whose condition is a constant TRUE.
        let mut decided = false;
        for (cond, result) in &whens {
            if decided {
                self.forget_const_errors(cond);
                self.forget_const_errors(result);
                continue;
            }
            match cond.as_const() {
                Some(Value::Bool(true)) => decided = true,
                Some(_) => self.forget_const_errors(result),
                None => {}
            }
        }
        if decided {
            self.forget_const_errors(&otherwise);
        }
        // Fold as PostgreSQL does: those arms go, and a constant TRUE arm is the result when
        // reached; a CASE of constants becomes a constant.
        let mut otherwise = otherwise;
        let mut kept = Vec::new();
        let mut arms = whens.into_iter();
        for (cond, result) in arms.by_ref() {
            match cond.as_const() {
                Some(Value::Bool(true)) => {
                    self.record_dropped(&otherwise);
                    otherwise = result;
                    break;
                }
                Some(_) => self.record_dropped(&result),
                None => kept.push((cond, result)),
            }
        }
        for (cond, result) in arms {
            self.record_dropped(&cond);
            self.record_dropped(&result);
        }
        if kept.is_empty() {
            return Ok((otherwise, t));
        }
        Ok((
            Expr::Case {
                whens: kept,
                otherwise: Box::new(otherwise),
            },
            t,
        ))
    }

    /// A comparison with PostgreSQL's operand coercion.
    pub fn comparison(
        &mut self,
        op: CmpOp,
        l: Expr,
        lt: DataType,
        r: Expr,
        rt: DataType,
    ) -> Result<Expr, SqlError> {
        if let Some(t) = self.record_operands(&lt, &rt, matches!(op, CmpOp::Eq | CmpOp::Ne))? {
            let l = self.coerce(l, &lt, &t, CastContext::Implicit)?;
            let r = self.coerce(r, &rt, &t, CastContext::Implicit)?;
            return Ok(Expr::Cmp(op, Box::new(l), Box::new(r)));
        }
        let t = self.operand_type(&lt, &rt, cmp_symbol(op))?;
        // date against timestamp[tz]: PostgreSQL's cross-type operators, which compare a
        // date out of the timestamp range instead of failing to convert it.
        // So do timestamp against timestamptz.
        let as_timestamp = |e: Expr, from: &DataType, other: &DataType| {
            use basalt_func::datetime::DateTimeFunc as F;
            let func = match (from, &t) {
                (DataType::Date, DataType::Timestamp(_) | DataType::Timestamptz(_))
                    if *other != DataType::Date =>
                {
                    F::DateForComparison(matches!(t, DataType::Timestamptz(_)))
                }
                (DataType::Timestamp(_), DataType::Timestamptz(_))
                    if matches!(other, DataType::Timestamptz(_)) =>
                {
                    F::TimestampForComparison
                }
                _ => return None,
            };
            Some(Expr::Func {
                func: basalt_func::Func::DateTime(func),
                args: vec![e],
                strict: true,
            })
        };
        let l = match as_timestamp(l.clone(), &lt, &rt) {
            Some(e) => e,
            None => self.coerce(l, &lt, &t, CastContext::Implicit)?,
        };
        let r = match as_timestamp(r.clone(), &rt, &lt) {
            Some(e) => e,
            None => self.coerce(r, &rt, &t, CastContext::Implicit)?,
        };
        if t == DataType::Json {
            return Err(err("42883", "operator does not exist: json = json"));
        }
        if t == DataType::JsonPath {
            return Err(err(
                "42883",
                format!("operator does not exist: jsonpath {} jsonpath", cmp_symbol(op)),
            )
            .with_hint("No operator matches the given name and argument types. You might need to add explicit type casts."));
        }
        Ok(self.fold_rec(Expr::Cmp(op, Box::new(l), Box::new(r))))
    }

    /// Operands of a record comparison: the type both sides are compared as (an untyped
    /// literal becomes an anonymous `record`, whose input PostgreSQL does not implement), or
    /// `None` when neither side is a record.
    fn record_operands(
        &mut self,
        lt: &DataType,
        rt: &DataType,
        equality: bool,
    ) -> Result<Option<DataType>, SqlError> {
        match (lt, rt) {
            (DataType::Record(a), DataType::Record(b)) => {
                self.check_record_comparison(a, b, equality)?;
                Ok(Some(if a.is_anonymous() {
                    rt.clone()
                } else {
                    lt.clone()
                }))
            }
            (DataType::Record(_), DataType::Unknown) | (DataType::Unknown, DataType::Record(_)) => {
                Ok(Some(DataType::Record(Box::new(RecordType::anonymous(
                    Vec::new(),
                )))))
            }
            _ => Ok(None),
        }
    }

    fn operand_type(&self, lt: &DataType, rt: &DataType, op: &str) -> Result<DataType, SqlError> {
        if *lt == DataType::Unknown && *rt == DataType::Unknown {
            return Ok(DataType::Text);
        }
        // The OID aliases have no operators of their own: with an untyped literal or
        // parameter they compare as oids (`regclass_expr = $1` makes `$1` an oid).
        if matches!(
            (lt, rt),
            (DataType::Reg(_), DataType::Unknown) | (DataType::Unknown, DataType::Reg(_))
        ) {
            return Ok(DataType::Oid);
        }
        // An untyped literal takes the other operand's type without its length or precision
        // (`char3_col = 'hello'` compares, it does not fail as a too-long char(3)).
        if *lt == DataType::Unknown {
            return Ok(rt.without_typmod());
        }
        if *rt == DataType::Unknown {
            return Ok(lt.without_typmod());
        }
        if lt.same_base(rt) {
            return Ok(lt.without_typmod());
        }
        // oid and the OID aliases compare with integers and with each other as oids.
        let oid_type = |t: &DataType| matches!(t, DataType::Reg(_) | DataType::Oid);
        let oidish = |t: &DataType| oid_type(t) || num_rank(t).is_some_and(|r| r <= 3);
        if (oid_type(lt) || oid_type(rt)) && oidish(lt) && oidish(rt) {
            return Ok(DataType::Oid);
        }
        // `name` and `"char"` with another string type: PostgreSQL's `name = text` operator,
        // or `text = text` through their implicit casts; nothing is cut to 63 bytes.
        let catalog_string = |t: &DataType| matches!(t, DataType::Name | DataType::Char);
        let stringish = |t: &DataType| t.is_string() || catalog_string(t);
        if (catalog_string(lt) || catalog_string(rt)) && stringish(lt) && stringish(rt) {
            return Ok(DataType::Text);
        }
        let ok = (num_rank(lt).is_some() && num_rank(rt).is_some())
            || (time_rank(lt).is_some() && time_rank(rt).is_some())
            || (lt.is_string() && rt.is_string());
        // No operator takes real with an integer or numeric: PostgreSQL's resolution picks
        // the double precision one (its preferred numeric type).
        let real_mixed = |a: &DataType, b: &DataType| {
            *a == DataType::Float4 && num_rank(b).is_some_and(|r| r <= 4)
        };
        if real_mixed(lt, rt) || real_mixed(rt, lt) {
            return Ok(DataType::Float8);
        }
        if ok {
            return common_type(&[lt.clone(), rt.clone()], op);
        }
        Err(err(
            "42883",
            format!(
                "operator does not exist: {} {op} {}",
                lt.format_type(),
                rt.format_type()
            ),
        )
        .with_hint(
            "No operator matches the given name and argument types. You might need to add explicit type casts.",
        ))
    }

    fn bind_a_expr(
        &mut self,
        a: &protobuf::AExpr,
        scope: &Scope,
    ) -> Result<(Expr, DataType), SqlError> {
        let opname = names(&a.name);
        let op = opname.last().cloned().unwrap_or_default();
        let kind = protobuf::AExprKind::try_from(a.kind).unwrap_or(protobuf::AExprKind::AexprOp);
        use protobuf::AExprKind as K;
        match kind {
            K::AexprOp => {
                let right = a
                    .rexpr
                    .as_deref()
                    .ok_or_else(|| err("42601", "operator without operand"))?;
                if let (Some(Node::RowExpr(l)), Some(Node::RowExpr(r))) = (
                    a.lexpr.as_deref().and_then(|n| n.node.as_ref()),
                    right.node.as_ref(),
                ) {
                    return self.row_comparison(&op, &l.args, &r.args, scope, a.location);
                }
                // `row op (SELECT ...)`: a row comparison with the subquery's one row, as
                // PostgreSQL's ROWCOMPARE sublink.
                if let (Some(left @ Node::RowExpr(_)), Some(Node::SubLink(sl))) = (
                    a.lexpr.as_deref().and_then(|n| n.node.as_ref()),
                    right.node.as_ref(),
                ) && sl.sub_link_type == protobuf::SubLinkType::ExprSublink as i32
                {
                    let mut sl = (**sl).clone();
                    sl.sub_link_type = protobuf::SubLinkType::RowcompareSublink as i32;
                    sl.testexpr = Some(Box::new(protobuf::Node {
                        node: Some(left.clone()),
                    }));
                    sl.oper_name = a.name.clone();
                    sl.location = a.location;
                    return self.bind_sublink(&sl, scope);
                }
                let (re, rt) = self.bind_expr(right, scope)?;
                let Some(left) = a.lexpr.as_deref() else {
                    return self.prefix_op(&op, re, rt, a.location);
                };
                let (le, lt) = self.bind_expr(left, scope)?;
                self.binary_op(&op, le, lt, re, rt, a.location)
            }
            K::AexprOpAny | K::AexprOpAll => {
                let all = kind == K::AexprOpAll;
                let (Some(l), Some(r)) = (a.lexpr.as_deref(), a.rexpr.as_deref()) else {
                    return Err(err("42601", "ANY/ALL without operands"));
                };
                let (le, lt) = self.bind_expr(l, scope)?;
                let (re, rt) = self.bind_expr(r, scope)?;
                let (re, rt) = self.devector(re, rt)?;
                let elem = match &rt {
                    DataType::Array(e) => (**e).clone(),
                    DataType::Unknown => lt.clone(),
                    _ => {
                        return Err(err(
                            "42809",
                            "op ANY/ALL (array) requires array on right side",
                        ));
                    }
                };
                let Some(cop) = CmpOp::from_symbol(&op) else {
                    return self.array_op(&op, (le, lt), (re, rt), elem, all, a.location);
                };
                let t = self.operand_type(&lt, &elem, &op)?;
                let le = self.coerce(le, &lt, &t, CastContext::Implicit)?;
                let at = DataType::Array(Box::new(t.clone()));
                let re = self.coerce(re, &rt, &at, CastContext::Implicit)?;
                Ok((
                    Expr::ArrayCmp {
                        left: Box::new(le),
                        op: cop,
                        right: Box::new(re),
                        all,
                    },
                    DataType::Bool,
                ))
            }
            K::AexprDistinct | K::AexprNotDistinct => {
                let (Some(l), Some(r)) = (a.lexpr.as_deref(), a.rexpr.as_deref()) else {
                    return Err(err("42601", "IS DISTINCT FROM without operands"));
                };
                if let (Some(Node::RowExpr(lrow)), Some(Node::RowExpr(rrow))) =
                    (l.node.as_ref(), r.node.as_ref())
                {
                    // Row constructors: distinct when any pair of fields is.
                    if lrow.args.len() != rrow.args.len() {
                        return Err(err("42601", "unequal number of entries in row expressions")
                            .at(pos(a.location)));
                    }
                    let mut any = None;
                    for (x, y) in lrow.args.iter().zip(&rrow.args) {
                        let (xe, xt) = self.bind_expr(x, scope)?;
                        let (ye, yt) = self.bind_expr(y, scope)?;
                        let t = self.operand_type(&xt, &yt, "=")?;
                        let xe = self.coerce(xe, &xt, &t, CastContext::Implicit)?;
                        let ye = self.coerce(ye, &yt, &t, CastContext::Implicit)?;
                        let d = Expr::Distinct(Box::new(xe), Box::new(ye), false);
                        any = Some(match any {
                            None => d,
                            Some(p) => Expr::Or(Box::new(p), Box::new(d)),
                        });
                    }
                    let any = any.unwrap_or(Expr::Const(Value::Bool(false)));
                    let e = if kind == K::AexprNotDistinct {
                        Expr::Not(Box::new(any))
                    } else {
                        any
                    };
                    return Ok((e, DataType::Bool));
                }
                let (le, lt) = self.bind_expr(l, scope)?;
                let (re, rt) = self.bind_expr(r, scope)?;
                let t = match self.record_operands(&lt, &rt, true)? {
                    Some(t) => t,
                    None => self.operand_type(&lt, &rt, "=")?,
                };
                let le = self.coerce(le, &lt, &t, CastContext::Implicit)?;
                let re = self.coerce(re, &rt, &t, CastContext::Implicit)?;
                Ok((
                    Expr::Distinct(Box::new(le), Box::new(re), kind == K::AexprNotDistinct),
                    DataType::Bool,
                ))
            }
            K::AexprNullif => {
                let (Some(l), Some(r)) = (a.lexpr.as_deref(), a.rexpr.as_deref()) else {
                    return Err(err("42601", "NULLIF without operands"));
                };
                let (le, lt) = self.bind_expr(l, scope)?;
                let (re, rt) = self.bind_expr(r, scope)?;
                let t = self.operand_type(&lt, &rt, "=")?;
                let le = self.coerce(le, &lt, &t, CastContext::Implicit)?;
                let re = self.coerce(re, &rt, &t, CastContext::Implicit)?;
                // Folded as PostgreSQL's planner does: a NULL operand can equal nothing, so
                // the result is the first operand; constant operands are evaluated.
                let null = |e: &Expr| matches!(e, Expr::Const(Value::Null));
                let e = if null(&le) || null(&re) {
                    self.record_dropped(&re);
                    le
                } else {
                    self.fold_rec(Expr::NullIf(Box::new(le), Box::new(re)))
                };
                // PostgreSQL has cross-type `=` within the integer and the float families, so
                // its NULLIF keeps the first operand's type there (`NULLIF(real, float8)` is a
                // real). The value compared was widened losslessly: cast it back.
                let same_family = |a: &DataType, b: &DataType| {
                    use DataType::{Float4, Float8, Int2, Int4, Int8};
                    matches!(
                        (a, b),
                        (Int2 | Int4 | Int8, Int2 | Int4 | Int8)
                            | (Float4 | Float8, Float4 | Float8)
                    )
                };
                if lt != t && same_family(&lt, &t) {
                    return Ok((
                        Expr::Cast(Box::new(e), lt.clone(), CastContext::Explicit),
                        lt,
                    ));
                }
                Ok((e, t))
            }
            K::AexprIn => {
                let (Some(l), Some(r)) = (a.lexpr.as_deref(), a.rexpr.as_deref()) else {
                    return Err(err("42601", "IN without operands"));
                };
                let Some(Node::List(list)) = r.node.as_ref() else {
                    return Err(err("42601", "IN without a list"));
                };
                if let Some(Node::RowExpr(lrow)) = l.node.as_ref() {
                    // (a, b) IN ((1, 2), (3, 4)): a disjunction of row equalities.
                    let mut terms = Vec::new();
                    for item in &list.items {
                        let Some(Node::RowExpr(rrow)) = item.node.as_ref() else {
                            return Err(err("42601", "IN list items must be rows here"));
                        };
                        terms.push(
                            self.row_comparison("=", &lrow.args, &rrow.args, scope, a.location)?
                                .0,
                        );
                    }
                    let any = terms
                        .into_iter()
                        .reduce(|x, y| Expr::Or(Box::new(x), Box::new(y)))
                        .unwrap_or(Expr::Const(Value::Bool(false)));
                    let e = if op == "<>" {
                        Expr::Not(Box::new(any))
                    } else {
                        any
                    };
                    return Ok((e, DataType::Bool));
                }
                let (le, lt) = self.bind_expr(l, scope)?;
                let mut items = Vec::new();
                let mut types = vec![lt.clone()];
                for i in &list.items {
                    let b = self.bind_expr(i, scope)?;
                    types.push(b.1.clone());
                    items.push(b);
                }
                if let DataType::Record(_) = lt {
                    // Records: each item compared as a record (`record_eq`).
                    let mut list_e = Vec::new();
                    for (e, et) in items {
                        let t = self.record_operands(&lt, &et, true)?.unwrap_or(lt.clone());
                        list_e.push(self.coerce(e, &et, &t, CastContext::Implicit)?);
                    }
                    return Ok((
                        Expr::InList(Box::new(le), list_e, op == "<>"),
                        DataType::Bool,
                    ));
                }
                let t = common_type(&types, "IN").map_err(|_| {
                    err(
                        "42883",
                        format!(
                            "operator does not exist: {} = {}",
                            lt.format_type(),
                            types
                                .iter()
                                .skip(1)
                                .find(|t| !t.same_base(&lt) && **t != DataType::Unknown)
                                .map(|t| t.format_type())
                                .unwrap_or_default()
                        ),
                    )
                    .with_hint(
                        "No operator matches the given name and argument types. You might need to add explicit type casts.",
                    )
                })?;
                let le = self.coerce(le, &lt, &t, CastContext::Implicit)?;
                let mut list_e = Vec::new();
                for (e, et) in items {
                    list_e.push(self.coerce(e, &et, &t, CastContext::Implicit)?);
                }
                let negated = op == "<>";
                // As PostgreSQL's parser: items reading this query's columns become separate
                // comparisons (ORed, or ANDed for NOT IN), which the planner can then place
                // and order one by one; the others stay one list test when there are several.
                let reads_row = |e: &Expr| e.any(&|x| matches!(x, Expr::Column(_)));
                if !list_e.iter().any(reads_row) {
                    return Ok((Expr::InList(Box::new(le), list_e, negated), DataType::Bool));
                }
                let constants = list_e.iter().filter(|e| !reads_row(e)).count();
                let mut terms = Vec::new();
                if constants > 1 {
                    let (rows, consts): (Vec<Expr>, Vec<Expr>) =
                        list_e.into_iter().partition(|e| reads_row(e));
                    terms.push(Expr::InList(Box::new(le.clone()), consts, negated));
                    list_e = rows;
                }
                let cmp = if negated { CmpOp::Ne } else { CmpOp::Eq };
                for item in list_e {
                    let c = Expr::Cmp(cmp, Box::new(le.clone()), Box::new(item));
                    terms.push(self.fold_rec(c));
                }
                Ok((self.fold_bool(negated, terms), DataType::Bool))
            }
            K::AexprLike | K::AexprIlike | K::AexprSimilar => {
                let (Some(l), Some(r)) = (a.lexpr.as_deref(), a.rexpr.as_deref()) else {
                    return Err(err("42601", "LIKE without operands"));
                };
                let (le, lt) = self.bind_expr(l, scope)?;
                let (re, rt) = self.bind_expr(r, scope)?;
                self.binary_op(&op, le, lt, re, rt, a.location)
            }
            K::AexprBetween | K::AexprNotBetween | K::AexprBetweenSym | K::AexprNotBetweenSym => {
                let (Some(l), Some(r)) = (a.lexpr.as_deref(), a.rexpr.as_deref()) else {
                    return Err(err("42601", "BETWEEN without operands"));
                };
                let Some(Node::List(list)) = r.node.as_ref() else {
                    return Err(err("42601", "BETWEEN without bounds"));
                };
                let (Some(lo), Some(hi)) = (list.items.first(), list.items.get(1)) else {
                    return Err(err("42601", "BETWEEN without bounds"));
                };
                let (xe, xt) = self.bind_expr(l, scope)?;
                let (loe, lot) = self.bind_expr(lo, scope)?;
                let (hie, hit) = self.bind_expr(hi, scope)?;
                // As PostgreSQL's parser rewrites them (`x < lo OR x > hi` for NOT BETWEEN),
                // then folds constant arms away.
                let not = matches!(kind, K::AexprNotBetween | K::AexprNotBetweenSym);
                let (lo_op, hi_op) = if not {
                    (CmpOp::Lt, CmpOp::Gt)
                } else {
                    (CmpOp::Ge, CmpOp::Le)
                };
                let ge =
                    self.comparison(lo_op, xe.clone(), xt.clone(), loe.clone(), lot.clone())?;
                let le =
                    self.comparison(hi_op, xe.clone(), xt.clone(), hie.clone(), hit.clone())?;
                let mut e = self.fold_bool(!not, vec![ge, le]);
                if matches!(kind, K::AexprBetweenSym | K::AexprNotBetweenSym) {
                    let ge2 = self.comparison(lo_op, xe.clone(), xt.clone(), hie, hit)?;
                    let le2 = self.comparison(hi_op, xe, xt, loe, lot)?;
                    let e2 = self.fold_bool(!not, vec![ge2, le2]);
                    e = self.fold_bool(not, vec![e, e2]);
                }
                Ok((e, DataType::Bool))
            }
            _ => Err(err("0A000", "feature not supported: this operator form")),
        }
    }

    /// `ROW(a, b) op ROW(c, d)` as PostgreSQL compares rows: `=` / `<>` pairwise, the
    /// ordering operators lexicographically (NULL where the first undecided pair has one).
    fn row_comparison(
        &mut self,
        op: &str,
        left: &[protobuf::Node],
        right: &[protobuf::Node],
        scope: &Scope,
        location: i32,
    ) -> Result<(Expr, DataType), SqlError> {
        if left.len() != right.len() {
            return Err(
                err("42601", "unequal number of entries in row expressions").at(pos(location))
            );
        }
        if left.is_empty() {
            return Err(err("0A000", "cannot compare rows of zero length").at(pos(location)));
        }
        let Some(cop) = CmpOp::from_symbol(op) else {
            return Err(err(
                "0A000",
                format!("feature not supported: row comparison with {op}"),
            ));
        };
        let mut pairs = Vec::new();
        for (l, r) in left.iter().zip(right) {
            let (le, lt) = self.bind_expr(l, scope)?;
            let (re, rt) = self.bind_expr(r, scope)?;
            let t = self.operand_type(&lt, &rt, op)?;
            let le = self.coerce(le, &lt, &t, CastContext::Implicit)?;
            let re = self.coerce(re, &rt, &t, CastContext::Implicit)?;
            pairs.push((le, re));
        }
        let cmp = |o: CmpOp, (a, b): &(Expr, Expr)| {
            Expr::Cmp(o, Box::new(a.clone()), Box::new(b.clone()))
        };
        let e = match cop {
            CmpOp::Eq => pairs
                .iter()
                .map(|p| cmp(CmpOp::Eq, p))
                .reduce(|x, y| Expr::And(Box::new(x), Box::new(y))),
            CmpOp::Ne => pairs
                .iter()
                .map(|p| cmp(CmpOp::Ne, p))
                .reduce(|x, y| Expr::Or(Box::new(x), Box::new(y))),
            _ => {
                // a1 < b1 OR (a1 = b1 AND (a2 < b2 OR ...)); the last pair uses op itself.
                let strict = match cop {
                    CmpOp::Le => CmpOp::Lt,
                    CmpOp::Ge => CmpOp::Gt,
                    o => o,
                };
                let mut acc: Option<Expr> = None;
                for (i, p) in pairs.iter().enumerate().rev() {
                    let last = i + 1 == pairs.len();
                    acc = Some(match acc {
                        None => cmp(if last { cop } else { strict }, p),
                        Some(rest) => Expr::Or(
                            Box::new(cmp(strict, p)),
                            Box::new(Expr::And(Box::new(cmp(CmpOp::Eq, p)), Box::new(rest))),
                        ),
                    });
                }
                acc
            }
        };
        Ok((e.unwrap_or(Expr::Const(Value::Bool(true))), DataType::Bool))
    }

    fn prefix_op(
        &mut self,
        op: &str,
        e: Expr,
        t: DataType,
        location: i32,
    ) -> Result<(Expr, DataType), SqlError> {
        if t == DataType::Unknown && (op == "-" || op == "+") {
            // Prefix `-` has numeric and interval candidates, so an untyped operand is
            // ambiguous; prefix `+` has only numeric ones and takes the preferred type,
            // double precision (PostgreSQL's operator resolution).
            if op == "-" {
                return Err(ambiguous_operator("- unknown").at(pos(location)));
            }
            let e = self.coerce(e, &t, &DataType::Float8, CastContext::Implicit)?;
            return Ok((e, DataType::Float8));
        }
        if op == "-" && num_rank(&t).is_some() {
            return Ok((self.fold_rec(Expr::Neg(Box::new(e))), t));
        }
        if op == "+" && num_rank(&t).is_some() {
            return Ok((e, t));
        }
        match basalt_func::resolve_operator(op, None, &t) {
            Some(r) => {
                let arg = self.coerce(e, &t, &r.arg_types[0], CastContext::Implicit)?;
                let e = Expr::Func {
                    func: r.func,
                    args: vec![arg],
                    strict: r.strict,
                };
                let e = if r.immutable { self.fold_rec(e) } else { e };
                Ok((e, r.ret))
            }
            None => Err(err(
                "42883",
                format!("operator does not exist: {op} {}", t.format_type()),
            )
            .with_hint("No operator matches the given name and argument type. You might need to add an explicit type cast.")
            .at(pos(location))),
        }
    }

    /// `x op ANY/ALL (array)` for an operator that is not a comparison.
    fn array_op(
        &mut self,
        op: &str,
        (le, lt): (Expr, DataType),
        (re, rt): (Expr, DataType),
        elem: DataType,
        all: bool,
        location: i32,
    ) -> Result<(Expr, DataType), SqlError> {
        let numeric = |t: &DataType| {
            matches!(
                t,
                DataType::Int2
                    | DataType::Int4
                    | DataType::Int8
                    | DataType::Float4
                    | DataType::Float8
                    | DataType::Numeric(_)
                    | DataType::Unknown
            )
        };
        // Arithmetic the SQL layer evaluates itself: it exists, but does not give a boolean.
        if matches!(op, "+" | "-" | "*" | "/" | "%") && numeric(&lt) && numeric(&elem) {
            return Err(err(
                "42809",
                "op ANY/ALL (array) requires operator to yield boolean",
            )
            .at(pos(location)));
        }
        let Some(r) = basalt_func::resolve_operator(op, Some(&lt), &elem) else {
            return Err(err(
                "42883",
                format!(
                    "operator does not exist: {} {op} {}",
                    lt.format_type(),
                    elem.format_type()
                ),
            )
            .with_hint("No operator matches the given name and argument types. You might need to add explicit type casts.")
            .at(pos(location)));
        };
        if r.ret != DataType::Bool {
            return Err(err(
                "42809",
                "op ANY/ALL (array) requires operator to yield boolean",
            )
            .at(pos(location)));
        }
        let l = self.coerce(le, &lt, &r.arg_types[0], CastContext::Implicit)?;
        let at = DataType::Array(Box::new(r.arg_types[1].clone()));
        let right = self.coerce(re, &rt, &at, CastContext::Implicit)?;
        Ok((
            Expr::ArrayOp {
                left: Box::new(l),
                func: r.func,
                strict: r.strict,
                right: Box::new(right),
                all,
            },
            DataType::Bool,
        ))
    }

    fn binary_op(
        &mut self,
        op: &str,
        le: Expr,
        lt: DataType,
        re: Expr,
        rt: DataType,
        location: i32,
    ) -> Result<(Expr, DataType), SqlError> {
        if let Some(c) = CmpOp::from_symbol(op) {
            let array =
                |t: &DataType| matches!(t, DataType::Array(_)) || t.vector_array().is_some();
            let operands_ok =
                !(array(&lt) != array(&rt) && lt != DataType::Unknown && rt != DataType::Unknown);
            // `int2vector = int2vector` compares them as arrays; the vectors meet nothing
            // else (`int2vector = smallint[]` does not exist in PostgreSQL either).
            if operands_ok {
                let r = self.comparison(c, le, lt, re, rt);
                if self.unplaced {
                    return r.map(|e| (e, DataType::Bool));
                }
                return r
                    .map(|e| (e, DataType::Bool))
                    .map_err(|e| e.at(pos(location)));
            }
        }
        // Other operators take the vectors as arrays (`indkey || 3`, `@>`).
        let (le, lt) = self.devector(le, lt)?;
        let (re, rt) = self.devector(re, rt)?;
        // `"char"` converts implicitly to text but is not of the string category, so
        // `textcat` and `anytextcat` tie for it, as in PostgreSQL.
        let textish = |t: &DataType| {
            t.is_string() || matches!(t, DataType::Name | DataType::Char | DataType::Unknown)
        };
        if op == "||"
            && (lt == DataType::Char || rt == DataType::Char)
            && textish(&lt)
            && textish(&rt)
        {
            return Err(ambiguous_operator(&format!(
                "{} || {}",
                lt.format_type(),
                rt.format_type()
            ))
            .at(pos(location)));
        }
        let arith = match op {
            "+" => Some(ArithOp::Add),
            "-" => Some(ArithOp::Sub),
            "*" => Some(ArithOp::Mul),
            "/" => Some(ArithOp::Div),
            "%" => Some(ArithOp::Mod),
            _ => None,
        };
        if let Some(aop) = arith {
            let l_num = num_rank(&lt).is_some() || lt == DataType::Unknown;
            let r_num = num_rank(&rt).is_some() || rt == DataType::Unknown;
            let both_unknown = lt == DataType::Unknown && rt == DataType::Unknown;
            if both_unknown {
                // `NULL + NULL`: candidates of several type categories (numbers, dates,
                // intervals...) and nothing to choose between them.
                return Err(ambiguous_operator(&format!("unknown {op} unknown")).at(pos(location)));
            }
            if l_num && r_num && !both_unknown {
                let t = self.operand_type(&lt, &rt, op)?;
                let t = if aop == ArithOp::Mod && matches!(t, DataType::Float4 | DataType::Float8) {
                    return Err(err(
                        "42883",
                        format!(
                            "operator does not exist: {} % {}",
                            lt.format_type(),
                            rt.format_type()
                        ),
                    )
                    .at(pos(location)));
                } else {
                    t.without_typmod()
                };
                let l = self.coerce(le, &lt, &t, CastContext::Implicit)?;
                let r = self.coerce(re, &rt, &t, CastContext::Implicit)?;
                let e = self.fold_rec(Expr::Arith(aop, Box::new(l), Box::new(r)));
                return Ok((e, t));
            }
        }
        match basalt_func::resolve_operator(op, Some(&lt), &rt) {
            Some(r) => {
                let l = self.coerce(le, &lt, &r.arg_types[0], CastContext::Implicit)?;
                let rr = self.coerce(re, &rt, &r.arg_types[1], CastContext::Implicit)?;
                let e = Expr::Func {
                    func: r.func,
                    args: vec![l, rr],
                    strict: r.strict,
                };
                let e = if r.immutable { self.fold_rec(e) } else { e };
                Ok((e, r.ret))
            }
            None => Err(err(
                "42883",
                format!(
                    "operator does not exist: {} {op} {}",
                    lt.format_type(),
                    rt.format_type()
                ),
            )
            .with_hint("No operator matches the given name and argument types. You might need to add explicit type casts.")
            .at(pos(location))),
        }
    }

    fn bind_sublink(
        &mut self,
        sl: &protobuf::SubLink,
        scope: &Scope,
    ) -> Result<(Expr, DataType), SqlError> {
        let Some(sub) = sl.subselect.as_deref() else {
            return Err(err("42601", "subquery missing"));
        };
        let forbidden = match self.agg.as_ref().map(|a| a.context) {
            Some("DEFAULT expressions") => Some("DEFAULT expression"),
            Some("check constraints") => Some("check constraint"),
            Some("index expressions") => Some("index expression"),
            Some("index predicates") => Some("index predicate"),
            Some("CALL arguments") => Some("CALL argument"),
            Some("column generation expressions") => Some("column generation expression"),
            _ => None,
        };
        if let Some(what) = forbidden {
            return Err(err("0A000", format!("cannot use subquery in {what}")).at(pos(sl.location)));
        }
        self.levels.push((scope.clone(), false));
        let level = self.levels.len() - 1;
        let refs_mark = self.level_refs.len();
        let saved_agg = self.agg.take();
        self.outer_aggs.push((level, saved_agg));
        if sl.sub_link_type == 1 {
            self.exists_depths.push(self.levels.len());
        }
        let q = self.bind_query(sub);
        if sl.sub_link_type == 1 {
            self.exists_depths.pop();
        }
        let q = q.map(|mut q| {
            if sl.sub_link_type == 1 {
                drop_select_list(&mut q.plan);
            }
            // The enclosing query's optimization does not look inside expressions: a
            // subquery's plan is optimized here (index lookups on correlated keys, join order).
            q.plan = crate::optimizer::optimize_subquery(q.plan, self.catalog);
            q
        });
        self.agg = self.outer_aggs.pop().and_then(|(_, a)| a);
        let (_, correlated) = self.levels.pop().unwrap_or_default();
        // References to this level are this subquery's; those to outer levels stay for the
        // subqueries enclosing it.
        let mut outer_refs = Vec::new();
        let mut kept = Vec::new();
        let mut outer_positions = Vec::new();
        for (lvl, c, at) in self.level_refs.drain(refs_mark..) {
            if lvl == level {
                if !outer_refs.contains(&c) {
                    outer_refs.push(c);
                    outer_positions.push(at);
                }
            } else {
                kept.push((lvl, c, at));
            }
        }
        self.level_refs.extend(kept);
        let q = match q {
            Ok(q) => q,
            Err(e) => {
                self.unplaced = e.position().is_none();
                return Err(e);
            }
        };
        // A subquery's untyped literal columns are text, as in PostgreSQL.
        let mut q = q;
        if q.types.contains(&DataType::Unknown) {
            let to: Vec<DataType> = q
                .types
                .iter()
                .map(|t| match t {
                    DataType::Unknown => DataType::Text,
                    t => t.clone(),
                })
                .collect();
            let mut types = q.types.clone();
            coerce_literals(&mut q.plan, &mut types, &to, self, CastContext::Implicit)?;
            q.types = types;
        }
        let id = self.fresh_id();
        let kind_i = sl.sub_link_type;
        // Each kind with its result type and the subquery's plan (coerced to the types its
        // columns are compared as).
        let (kind, ty, plan) = match kind_i {
            1 => (SubqueryKind::Exists, DataType::Bool, q.plan),
            2 | 3 => {
                let Some(t) = sl.testexpr.as_deref() else {
                    return Err(err("42601", "ANY/ALL without left operand"));
                };
                if let Some(Node::RowExpr(row)) = t.node.as_ref() {
                    let opname = names(&sl.oper_name);
                    let op = opname.last().map(String::as_str).unwrap_or("=");
                    let cop = match op {
                        "=" => CmpOp::Eq,
                        "<>" => CmpOp::Ne,
                        _ => {
                            return Err(err(
                                "0A000",
                                format!("feature not supported: row {op} ANY/ALL (subquery)"),
                            ));
                        }
                    };
                    let (left, types) =
                        self.bind_row_operands(&row.args, &q.types, op, sl.location, scope)?;
                    let plan = coerce_plan(q.plan, &q.types, &types, self)?;
                    let kind = SubqueryKind::RowQuantified {
                        left,
                        op: cop,
                        all: kind_i == 2,
                    };
                    (kind, DataType::Bool, plan)
                } else {
                    let (le, lt) = self.bind_expr(t, scope)?;
                    let opname = names(&sl.oper_name);
                    let op = opname.last().map(String::as_str).unwrap_or("=");
                    let cop = CmpOp::from_symbol(op)
                        .ok_or_else(|| err("0A000", format!("feature not supported: {op} ANY")))?;
                    if q.types.len() != 1 {
                        return Err(err(
                            "42601",
                            if q.types.len() > 1 {
                                "subquery has too many columns"
                            } else {
                                "subquery has too few columns"
                            },
                        )
                        .at(pos(sl.location)));
                    }
                    let rt = q.types[0].clone();
                    let t = self
                        .operand_type(&lt, &rt, op)
                        .map_err(|e| e.at(pos(sl.location)))?;
                    let le = self.coerce(le, &lt, &t, CastContext::Implicit)?;
                    let plan = coerce_plan(q.plan, &q.types, &[t], self)?;
                    let kind = SubqueryKind::Quantified {
                        left: Box::new(le),
                        op: cop,
                        all: kind_i == 2,
                    };
                    (kind, DataType::Bool, plan)
                }
            }
            4 => {
                let Some(Node::RowExpr(row)) = sl.testexpr.as_deref().and_then(|t| t.node.as_ref())
                else {
                    return Err(err("42601", "row comparison without a left row"));
                };
                let opname = names(&sl.oper_name);
                let op = opname.last().map(String::as_str).unwrap_or("=");
                let Some(cop) = CmpOp::from_symbol(op) else {
                    return Err(err(
                        "0A000",
                        format!("feature not supported: row comparison with {op}"),
                    ));
                };
                let (left, types) =
                    self.bind_row_operands(&row.args, &q.types, op, sl.location, scope)?;
                let plan = coerce_plan(q.plan, &q.types, &types, self)?;
                (
                    SubqueryKind::RowCompare { left, op: cop },
                    DataType::Bool,
                    plan,
                )
            }
            5 => {
                if q.types.len() != 1 {
                    return Err(
                        err("42601", "subquery must return only one column").at(pos(sl.location))
                    );
                }
                (SubqueryKind::Scalar, q.types[0].clone(), q.plan)
            }
            7 => {
                if q.types.len() != 1 {
                    return Err(
                        err("42601", "subquery must return only one column").at(pos(sl.location))
                    );
                }
                let elem = q.types[0].clone();
                // ARRAY(subquery) of arrays has one more dimension.
                let ty = match &elem {
                    DataType::Array(_) => elem.clone(),
                    e => DataType::Array(Box::new(e.clone())),
                };
                (SubqueryKind::Array(elem), ty, q.plan)
            }
            _ => return Err(err("0A000", "feature not supported: this kind of subquery")),
        };
        Ok((
            Expr::Subquery(Box::new(Subquery {
                kind,
                plan,
                correlated,
                id,
                outer_refs,
                outer_positions,
                outer_map: None,
            })),
            ty,
        ))
    }

    /// The left row of a row-valued subquery comparison, each field coerced to the type it
    /// compares with the subquery's column as: the fields and those types.
    fn bind_row_operands(
        &mut self,
        args: &[protobuf::Node],
        sub_types: &[DataType],
        op: &str,
        location: i32,
        scope: &Scope,
    ) -> Result<(Vec<Expr>, Vec<DataType>), SqlError> {
        if sub_types.len() != args.len() {
            return Err(err(
                "42601",
                if sub_types.len() > args.len() {
                    "subquery has too many columns"
                } else {
                    "subquery has too few columns"
                },
            )
            .at(pos(location)));
        }
        let mut left = Vec::new();
        let mut types = Vec::new();
        for (arg, rt) in args.iter().zip(sub_types) {
            let (le, lt) = self.bind_expr(arg, scope)?;
            let t = self
                .operand_type(&lt, rt, op)
                .map_err(|e| e.at(pos(location)))?;
            left.push(self.coerce(le, &lt, &t, CastContext::Implicit)?);
            types.push(t);
        }
        Ok((left, types))
    }

    /// `base[...][...]`: consecutive subscripts form one element access, or one slice when
    /// any of them has a colon.
    pub fn bind_subscripts(
        &mut self,
        base: Expr,
        ty: DataType,
        indirection: &[protobuf::Node],
        scope: &Scope,
        location: Option<u32>,
    ) -> Result<(Expr, DataType), SqlError> {
        let mut indices = Vec::new();
        for i in indirection {
            match i.node.as_ref() {
                Some(Node::AIndices(ix)) => indices.push(ix),
                _ => {
                    return Err(err(
                        "0A000",
                        "feature not supported: this kind of indirection",
                    ));
                }
            }
        }
        let (base, ty) = self.devector(base, ty)?;
        let DataType::Array(elem) = ty.clone() else {
            return Err(err(
                "42804",
                format!(
                    "cannot subscript type {} because it does not support subscripting",
                    ty.format_type()
                ),
            )
            .at(location));
        };
        let slice = indices.iter().any(|ix| ix.is_slice);
        let mut subs = Vec::new();
        for ix in indices {
            let mut bound = |n: Option<&protobuf::Node>| -> Result<Option<Expr>, SqlError> {
                let Some(n) = n else { return Ok(None) };
                let (e, t) = self.bind_expr(n, scope)?;
                if !matches!(
                    t,
                    DataType::Int2
                        | DataType::Int4
                        | DataType::Int8
                        | DataType::Numeric(_)
                        | DataType::Float4
                        | DataType::Float8
                        | DataType::Unknown
                ) {
                    return Err(
                        err("42804", "array subscript must have type integer").at(node_location(n))
                    );
                }
                Ok(Some(self.coerce(
                    e,
                    &t,
                    &DataType::Int4,
                    CastContext::Assignment,
                )?))
            };
            let upper = bound(ix.uidx.as_deref())?;
            let lower = if slice && !ix.is_slice {
                // A plain subscript among slices means 1:n.
                Some(Expr::Const(Value::Int4(1)))
            } else {
                bound(ix.lidx.as_deref())?
            };
            subs.push((lower, upper));
        }
        let out_ty = if slice { ty } else { *elem };
        Ok((
            Expr::Subscript {
                array: Box::new(base),
                subs,
                slice,
            },
            out_ty,
        ))
    }

    /// An `int2vector` / `oidvector` expression as the array it is (lower bound 0), for
    /// subscripts, `ANY` and functions taking arrays; other expressions unchanged.
    fn devector(&mut self, e: Expr, t: DataType) -> Result<(Expr, DataType), SqlError> {
        match t.vector_array() {
            Some(at) => Ok((self.coerce(e, &t, &at, CastContext::Implicit)?, at)),
            None => Ok((e, t)),
        }
    }

    /// [`Binder::devector`] of each argument.
    fn devector_all(
        &mut self,
        args: Vec<Expr>,
        types: Vec<DataType>,
    ) -> Result<(Vec<Expr>, Vec<DataType>), SqlError> {
        let mut es = Vec::with_capacity(args.len());
        let mut ts = Vec::with_capacity(types.len());
        for (e, t) in args.into_iter().zip(types) {
            let (e, t) = self.devector(e, t)?;
            es.push(e);
            ts.push(t);
        }
        Ok((es, ts))
    }

    fn bind_args(
        &mut self,
        args: &[protobuf::Node],
        scope: &Scope,
    ) -> Result<(Vec<Expr>, Vec<DataType>), SqlError> {
        let mut es = Vec::new();
        let mut ts = Vec::new();
        for a in args {
            if let Some(Node::NamedArgExpr(_)) = a.node.as_ref() {
                return Err(err("0A000", "feature not supported: named arguments"));
            }
            let (e, t) = self.bind_expr(a, scope)?;
            es.push(e);
            ts.push(t);
        }
        Ok((es, ts))
    }

    /// Binds a call's arguments split into the positional ones and the named ones (`b => 1`
    /// or `b := 1`), with PostgreSQL's errors for a repeated name or a positional argument
    /// after a named one.
    pub(crate) fn bind_positional_and_named(
        &mut self,
        args: &[protobuf::Node],
        scope: &Scope,
    ) -> Result<CallArgs, SqlError> {
        let mut positional = Vec::new();
        let mut named: Vec<NamedArg> = Vec::new();
        for a in args {
            match a.node.as_ref() {
                Some(Node::NamedArgExpr(na)) => {
                    let Some(arg) = na.arg.as_deref() else {
                        return Err(err("42601", "named argument without a value"));
                    };
                    if named.iter().any(|(n, _, _)| *n == na.name) {
                        return Err(err(
                            "42601",
                            format!("argument name \"{}\" used more than once", na.name),
                        )
                        .at(pos(na.location)));
                    }
                    let (e, t) = self.bind_expr(arg, scope)?;
                    named.push((na.name.clone(), e, t));
                }
                _ => {
                    if !named.is_empty() {
                        return Err(err(
                            "42601",
                            "positional argument cannot follow named argument",
                        )
                        .at(expr_start(a)));
                    }
                    positional.push(self.bind_expr(a, scope)?);
                }
            }
        }
        Ok((positional, named))
    }

    /// Binds the arguments of a call that may name some (`f(a, b => 1)`, or the older
    /// `b := 1`): named ones go to their parameter's position and parameters left out take
    /// their defaults, as PostgreSQL's parameter names and defaults of the function say
    /// ([`crate::system::named_params`]).
    fn bind_call_args(
        &mut self,
        name: &str,
        args: &[protobuf::Node],
        location: i32,
        scope: &Scope,
    ) -> Result<(Vec<Expr>, Vec<DataType>), SqlError> {
        if !args
            .iter()
            .any(|a| matches!(a.node.as_ref(), Some(Node::NamedArgExpr(_))))
        {
            return self.bind_args(args, scope);
        }
        let (positional, named) = self.bind_positional_and_named(args, scope)?;
        for sig in crate::system::named_params(name) {
            if positional.len() > sig.len() {
                continue;
            }
            let mut slots: Vec<Option<(Expr, DataType)>> = vec![None; sig.len()];
            for (i, p) in positional.iter().enumerate() {
                slots[i] = Some(p.clone());
            }
            let mut fits = true;
            for (n, e, t) in &named {
                match sig.iter().position(|(pn, _)| pn == n) {
                    Some(i) if slots[i].is_none() => slots[i] = Some((e.clone(), t.clone())),
                    _ => fits = false,
                }
            }
            let mut es = Vec::new();
            let mut ts = Vec::new();
            for (slot, (_, default)) in slots.into_iter().zip(sig.iter()) {
                match (slot, default) {
                    (Some((e, t)), _) => {
                        es.push(e);
                        ts.push(t);
                    }
                    (None, Some(v)) => {
                        ts.push(v.data_type().unwrap_or(DataType::Unknown));
                        es.push(Expr::Const(v.clone()));
                    }
                    (None, None) => fits = false,
                }
            }
            if fits {
                return Ok((es, ts));
            }
        }
        let mut shown: Vec<String> = positional.iter().map(|(_, t)| t.format_type()).collect();
        shown.extend(
            named
                .iter()
                .map(|(n, _, t)| format!("{n} => {}", t.format_type())),
        );
        Err(err(
            "42883",
            format!("function {name}({}) does not exist", shown.join(", ")),
        )
        .with_hint(
            "No function matches the given name and argument types. You might need to add explicit type casts.",
        )
        .at(pos(location)))
    }

    fn bind_func_call(
        &mut self,
        fc: &protobuf::FuncCall,
        scope: &Scope,
    ) -> Result<(Expr, DataType), SqlError> {
        let fname = names(&fc.funcname);
        let name = match fname.as_slice() {
            [n] => n.clone(),
            [s, n] if s == "pg_catalog" => n.clone(),
            _ => fname.join("."),
        };
        let location = fc.location;
        let user_aggs = self.user_aggregates(&fname);
        if !user_aggs.is_empty() {
            if let Some(over) = &fc.over {
                return self.bind_window_call(fc, &name, over, scope, &user_aggs);
            }
            return self.bind_agg_call(fc, &name, scope, &user_aggs);
        }
        if let Some(over) = &fc.over {
            if fc.agg_within_group && basalt_func::is_ordered_set(&name) {
                return Err(err(
                    "0A000",
                    format!("OVER is not supported for ordered-set aggregate {name}"),
                )
                .at(pos(location)));
            }
            return self.bind_window_call(fc, &name, over, scope, &[]);
        }
        if self.has_user_function(&fname) {
            if let Some(r) = self.bind_user_call(fc, scope)? {
                return Ok(r);
            }
            // Named arguments no user function takes (and no built-in one).
            if fc
                .args
                .iter()
                .any(|a| matches!(a.node.as_ref(), Some(Node::NamedArgExpr(_))))
                && crate::system::named_params(&name).is_empty()
            {
                let types = self.call_types(fc, scope)?;
                return Err(err(
                    "42883",
                    format!("function {}({types}) does not exist", fname.join(".")),
                )
                .with_hint(
                    "No function matches the given name and argument types. You might need to add explicit type casts.",
                )
                .at(pos(location)));
            }
        }
        // With arguments, only the hypothetical-set aggregate matches (the window function
        // takes none).
        if basalt_func::is_hypothetical_set(&name) && !fc.agg_within_group && !fc.args.is_empty() {
            return Err(err(
                "42809",
                format!("WITHIN GROUP is required for ordered-set aggregate {name}"),
            )
            .at(pos(fc.location)));
        }
        if !fc.agg_within_group
            && matches!(
                name.as_str(),
                "row_number"
                    | "rank"
                    | "dense_rank"
                    | "percent_rank"
                    | "cume_dist"
                    | "ntile"
                    | "lag"
                    | "lead"
                    | "first_value"
                    | "last_value"
                    | "nth_value"
            )
        {
            return Err(err(
                "42809",
                format!("window function {name} requires an OVER clause"),
            )
            .at(pos(fc.location)));
        }
        // Aggregates.
        let is_agg = fc.agg_star
            || basalt_func::resolve_aggregate(&name, &[DataType::Unknown]).is_some()
            || basalt_func::resolve_aggregate(&name, &[]).is_some()
            || basalt_func::resolve_aggregate(&name, &[DataType::Unknown, DataType::Unknown])
                .is_some()
            || matches!(
                name.as_str(),
                "count" | "sum" | "avg" | "min" | "max" | "bit_and" | "bit_or" | "bit_xor"
            );
        if is_agg {
            return self.bind_agg_call(fc, &name, scope, &[]);
        }
        // Aggregate decorations on a plain function: PostgreSQL first looks the function up
        // (so a missing one is reported as such), then names the decoration.
        let decoration = if fc.agg_distinct {
            Some("DISTINCT")
        } else if !fc.agg_order.is_empty() {
            Some("ORDER BY")
        } else if fc.agg_filter.is_some() {
            Some("FILTER")
        } else {
            None
        };
        let (args, types) = self.bind_call_args(&name, &fc.args, location, scope)?;
        if let Some(what) = decoration
            && basalt_func::resolve_function(&name, &types).is_some()
        {
            return Err(err(
                "42809",
                format!("{what} specified, but {name} is not an aggregate function"),
            )
            .at(pos(location)));
        }
        if name == "current_setting"
            && let Some(Expr::Const(Value::Text(param))) = args.first()
        {
            let missing_ok = matches!(args.get(1), Some(Expr::Const(Value::Bool(true))));
            let value = match self.settings.map(|st| st.show(param)) {
                Some(Ok((_, v))) => Value::Text(v),
                Some(Err(e)) if !missing_ok => return Err(e),
                _ => Value::Null,
            };
            return Ok((Expr::Const(value), DataType::Text));
        }
        self.call_arg_positions.clear();
        self.call_arg_positions
            .extend(fc.args.iter().map(node_location));
        if let Some(r) = crate::system::bind_system_function(self, &name, &args, &types)? {
            return Ok(r);
        }
        match name.as_str() {
            "nextval" | "currval" | "setval" | "lastval" => {
                let f = match name.as_str() {
                    "nextval" => SeqFunc::Nextval,
                    "currval" => SeqFunc::Currval,
                    "setval" => SeqFunc::Setval,
                    _ => SeqFunc::Lastval,
                };
                // A name literal is a regclass constant, resolved now (PostgreSQL fails
                // while parsing, pointing at the literal).
                if let (Some(Expr::Const(Value::Text(text))), Some(DataType::Unknown)) =
                    (args.first(), types.first())
                {
                    crate::system::reg_literal(self, "regclass", text)
                        .map_err(|e| e.at(self.literal_position(text)))?;
                }
                let mut cargs = Vec::new();
                for (i, (e, t)) in args.into_iter().zip(types).enumerate() {
                    // A literal name is a regclass constant, resolved now as PostgreSQL does.
                    if i == 0
                        && t == DataType::Unknown
                        && let Expr::Const(Value::Text(text)) = &e
                    {
                        let oid = crate::system::reg_literal(self, "regclass", text)
                            .map_err(|e| e.at(self.literal_position(text)))?;
                        cargs.push(Expr::Const(Value::Int8(oid)));
                        continue;
                    }
                    let to = if i == 0
                        && matches!(t, DataType::Int8 | DataType::Oid | DataType::Reg(_))
                    {
                        DataType::Int8
                    } else if i == 0 {
                        DataType::Text
                    } else if i == 1 {
                        DataType::Int8
                    } else {
                        DataType::Bool
                    };
                    // The sequence is read by its OID, a bigint here (regclass's binary
                    // value, so no assignment-only cast is involved).
                    let context = if i == 0 && matches!(t, DataType::Oid | DataType::Reg(_)) {
                        CastContext::Explicit
                    } else {
                        CastContext::Implicit
                    };
                    cargs.push(self.coerce(e, &t, &to, context)?);
                }
                return Ok((Expr::Sequence(f, cargs), DataType::Int8));
            }
            "pg_listening_channels" if args.is_empty() => {
                let (arg, types) = self.listening_array();
                if let Some(r) = basalt_func::resolve_table_function("unnest", &types) {
                    return self.srf_in_expression(r, vec![arg], &types, location, None);
                }
            }
            "set_config" if args.len() == 3 => {
                // set_config(text, text, boolean) returns text.
                let want = [DataType::Text, DataType::Text, DataType::Bool];
                if types.iter().zip(&want).any(|(t, w)| {
                    t != w
                        && basalt_common::types::cast::cast_context(t, w)
                            != Some(CastContext::Implicit)
                }) {
                    return Err(missing_function(&name, &types, location));
                }
                let mut cargs = Vec::new();
                for ((e, t), w) in args.into_iter().zip(types).zip(&want) {
                    cargs.push(self.coerce(e, &t, w, CastContext::Implicit)?);
                }
                return Ok((Expr::Sequence(SeqFunc::SetConfig, cargs), DataType::Text));
            }
            "pg_notify" if args.len() == 2 => {
                // pg_notify(text, text): other argument types find no function, as in
                // PostgreSQL's resolution.
                if types.iter().any(|t| {
                    basalt_common::types::cast::cast_context(t, &DataType::Text)
                        != Some(CastContext::Implicit)
                }) {
                    return Err(missing_function(&name, &types, location));
                }
                let mut cargs = Vec::new();
                for (e, t) in args.into_iter().zip(types) {
                    cargs.push(self.coerce(e, &t, &DataType::Text, CastContext::Implicit)?);
                }
                return Ok((
                    Expr::Sequence(SeqFunc::Notify, cargs),
                    DataType::Pseudo(basalt_common::types::Pseudo::Void),
                ));
            }
            "coalesce" | "greatest" | "least" => {}
            _ => {}
        }
        // int2vector / oidvector arguments are arrays to the functions taking arrays.
        let (args, types) = if types.iter().any(|t| t.vector_array().is_some())
            && basalt_func::resolve_function(&name, &types).is_none()
        {
            self.devector_all(args, types)?
        } else {
            (args, types)
        };
        if let Some((r, row_type)) = self.json_record_call(&name, &types, None, false, location)? {
            let set = matches!(
                r.func,
                basalt_func::TableFunc::JsonToRecord { set: true, .. }
            );
            if set {
                return self.srf_in_expression(r, args, &types, location, Some(row_type));
            }
            let call = self.srf_call(r, args, &types, true)?;
            return Ok((Expr::TableRow(Box::new(call)), row_type));
        }
        let resolved = if fc.func_variadic
            && matches!(name.as_str(), "concat" | "concat_ws" | "format")
        {
            // An explicit VARIADIC argument: its elements are the variadic arguments.
            if let (Some(t), Some(a)) = (types.last(), fc.args.last())
                && !matches!(t, DataType::Array(_))
            {
                return Err(err("42804", "VARIADIC argument must be an array").at(expr_start(a)));
            }
            basalt_func::resolve_variadic(&name, &types)
        } else {
            basalt_func::resolve_function(&name, &types)
        };
        match resolved {
            Some(r) => {
                let mut cargs = Vec::new();
                for (i, (e, t)) in args.into_iter().zip(types.iter()).enumerate() {
                    let to = r.arg_types.get(i).cloned().unwrap_or_else(|| t.clone());
                    let to = if to == DataType::Unknown {
                        DataType::Text
                    } else {
                        to
                    };
                    cargs.push(self.coerce(e, t, &to, CastContext::Implicit)?);
                }
                let e = Expr::Func {
                    func: r.func,
                    args: cargs,
                    strict: r.strict,
                };
                let e = if r.immutable { self.fold_rec(e) } else { e };
                Ok((e, r.ret))
            }
            None if let Some(r) = basalt_func::resolve_table_function(&name, &types) => {
                self.srf_in_expression(r, args, &types, location, None)
            }
            // `float8(x)`, `int4(x)`, `text(x)`, `date(x)`: a type's name called with one
            // argument is a cast (PostgreSQL's function-style casts).
            None if args.len() == 1
                && matches!(
                    name.as_str(),
                    "float8"
                        | "float4"
                        | "int2"
                        | "int4"
                        | "int8"
                        | "numeric"
                        | "text"
                        | "bool"
                        | "date"
                        | "time"
                        | "timestamp"
                        | "timestamptz"
                        | "interval"
                        | "varchar"
                        | "bpchar"
                        | "bytea"
                        | "uuid"
                        | "json"
                        | "jsonb"
                ) =>
            {
                let tn = protobuf::TypeName {
                    names: fc.funcname.clone(),
                    typemod: -1,
                    location,
                    ..Default::default()
                };
                let to = self.resolve_type(&tn)?;
                let (Some(e), Some(t)) = (args.into_iter().next(), types.first()) else {
                    return Err(err("42601", "function-style cast without argument"));
                };
                // As in PostgreSQL, a row goes to a string only with cast syntax: too easy
                // to call by accident (`text(t)` of a table row).
                if matches!(t, DataType::Record(_))
                    && matches!(name.as_str(), "text" | "varchar" | "bpchar")
                {
                    return Err(missing_function(&name, &types, location));
                }
                match self.coerce(e, t, &to, CastContext::Explicit) {
                    Ok(e) => Ok((e, to)),
                    Err(e) if e.code().code() == "42846" => {
                        Err(missing_function(&name, &types, location))
                    }
                    Err(e) => Err(e.at(pos(location))),
                }
            }
            None => Err(missing_function(&name, &types, location)),
        }
    }

    /// A call of a resolved set-returning function, its arguments cast to its parameter
    /// types.
    fn srf_call(
        &mut self,
        r: basalt_func::ResolvedTableFunction,
        args: Vec<Expr>,
        types: &[DataType],
        record: bool,
    ) -> Result<SrfCall, SqlError> {
        let mut cargs = Vec::new();
        for ((e, t), to) in args.into_iter().zip(types).zip(&r.arg_types) {
            cargs.push(self.coerce(e, t, to, CastContext::Implicit)?);
        }
        Ok(SrfCall {
            func: r,
            args: cargs,
            record,
        })
    }

    /// A set-returning function inside an expression: allowed in the select list, where it
    /// becomes a column of a [`Plan::ProjectSet`] below the projection.
    fn srf_in_expression(
        &mut self,
        r: basalt_func::ResolvedTableFunction,
        args: Vec<Expr>,
        types: &[DataType],
        location: i32,
        row_type: Option<DataType>,
    ) -> Result<(Expr, DataType), SqlError> {
        let hint = "You might be able to move the set-returning function into a LATERAL FROM item.";
        let allowed = self.agg.as_ref().is_some_and(|a| {
            a.srfs_allowed && a.allowed && a.windows_allowed && a.context.is_empty()
        });
        if !allowed {
            let msg = match &self.agg {
                Some(a) if a.context == "aggregate function calls" => {
                    "aggregate function calls cannot contain set-returning function calls".into()
                }
                Some(a) if a.context == "JOIN/ON" => {
                    "set-returning functions are not allowed in JOIN conditions".into()
                }
                Some(a) if !a.context.is_empty() => {
                    format!("set-returning functions are not allowed in {}", a.context)
                }
                Some(a) if a.srfs_allowed && !a.windows_allowed => {
                    "window function calls cannot contain set-returning function calls".into()
                }
                _ => "set-returning functions are not allowed here".into(),
            };
            let e = err("0A000", msg.clone()).at(pos(location));
            // PostgreSQL hints at LATERAL only for calls nested in other calls.
            return Err(if msg.contains("cannot contain") {
                e.with_hint(hint)
            } else {
                e
            });
        }
        // Several columns (or a composite result) make one record value per row.
        let record = row_type.is_some() || r.columns.len() != 1;
        let ty = match (row_type, r.columns.as_slice()) {
            (Some(t), _) => t,
            (None, [(_, ty)]) => ty.clone(),
            (None, cols) => DataType::Record(Box::new(RecordType::named_fields(cols.to_vec()))),
        };
        let call = self.srf_call(r, args, types, record)?;
        let Some(a) = self.agg.as_mut() else {
            return Err(err("0A000", "set-returning functions are not allowed here"));
        };
        a.srfs.push(call);
        Ok((Expr::Srf(a.srfs.len() - 1), ty))
    }

    fn bind_agg_call(
        &mut self,
        fc: &protobuf::FuncCall,
        name: &str,
        scope: &Scope,
        user: &[&crate::useragg::UserAggregate],
    ) -> Result<(Expr, DataType), SqlError> {
        let location = fc.location;
        // Not allowed here: unless its arguments make it the enclosing query's aggregate
        // (decided once they are bound, as PostgreSQL decides), this is the error.
        let mut not_here = None;
        match &self.agg {
            Some(a) if a.allowed => {}
            Some(a) if !self.outer_aggs.is_empty() => {
                not_here = Some(aggregate_not_allowed(a.context).at(pos(location)));
            }
            Some(a) => {
                return Err(aggregate_not_allowed(a.context).at(pos(location)));
            }
            None => {
                return Err(
                    err("42803", "aggregate functions are not allowed here").at(pos(location))
                );
            }
        }
        let ordered_set = basalt_func::is_ordered_set(name);
        // Arguments are bound with aggregates and window functions forbidden (no nesting).
        let saved = self.agg.as_mut().map(|a| {
            let old = (a.allowed, a.windows_allowed, a.context);
            a.allowed = false;
            a.windows_allowed = false;
            a.context = "aggregate function calls";
            old
        });
        self.agg_depth += 1;
        let refs_mark = self.level_refs.len();
        let mut direct = Vec::new();
        let r = (|| -> Result<_, SqlError> {
            let (mut args, mut types) = if fc.agg_star {
                (Vec::new(), Vec::new())
            } else if fc.agg_within_group {
                // Direct arguments: note the columns they read.
                let outer = self.direct_refs.replace((self.levels.len(), Vec::new()));
                let r = self.bind_call_args(name, &fc.args, fc.location, scope);
                let refs = std::mem::replace(&mut self.direct_refs, outer);
                direct = refs.map(|r| r.1).unwrap_or_default();
                r?
            } else {
                self.bind_call_args(name, &fc.args, fc.location, scope)?
            };
            // array_agg of a vector accumulates it as the array it is (anyarray).
            if name == "array_agg" {
                (args, types) = self.devector_all(args, types)?;
            }
            let filter = match fc.agg_filter.as_deref() {
                Some(f) => Some(self.bind_condition(f, scope, "FILTER")?),
                None => None,
            };
            let mut order = Vec::new();
            for item in &fc.agg_order {
                let Some(Node::SortBy(sb)) = item.node.as_ref() else {
                    continue;
                };
                let Some(n) = sb.node.as_deref() else {
                    continue;
                };
                let (e, t) = self.bind_expr(n, scope)?;
                let (desc, nulls_first) = sort_dir(sb)?;
                if fc.agg_within_group {
                    // The sorted values are the ordered-set aggregate's first arguments.
                    args.insert(order.len(), e.clone());
                    types.insert(order.len(), t);
                }
                order.push(SortKey {
                    expr: e,
                    desc,
                    nulls_first,
                });
            }
            Ok((args, types, filter, order))
        })();
        self.agg_depth -= 1;
        if let (Some(a), Some((al, wa, ctx))) = (self.agg.as_mut(), saved) {
            a.allowed = al;
            a.windows_allowed = wa;
            a.context = ctx;
        }
        let (args, types, filter, order) = r?;
        if fc.agg_distinct
            && let Some(k) = order.iter().position(|k| !args.contains(&k.expr))
        {
            let at = fc.agg_order.get(k).and_then(|n| match n.node.as_ref() {
                Some(Node::SortBy(sb)) => sb.node.as_deref().and_then(expr_start),
                _ => None,
            });
            return Err(err(
                "42P10",
                "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list",
            )
            .at(at));
        }
        // An ordered-set aggregate without WITHIN GROUP, or another one with it, has no
        // signature that matches (PostgreSQL names direct arguments first in the message).
        // These aggregates have several numeric (or array) signatures and no preferred one
        // for an untyped argument: PostgreSQL cannot choose (`sum(NULL)`).
        if types.len() == 1
            && types[0] == DataType::Unknown
            && !fc.agg_within_group
            && matches!(
                name,
                "sum" | "avg" | "bit_and" | "bit_or" | "bit_xor" | "array_agg"
            )
        {
            return Err(err(
                "42725",
                format!("function {name}(unknown) is not unique"),
            )
            .with_hint("Could not choose a best candidate function. You might need to add explicit type casts.")
            .at(pos(location)));
        }
        let hypothetical = fc.agg_within_group && basalt_func::is_hypothetical_set(name);
        // The types the aggregate is resolved for (its arguments are cast to them).
        let mut wanted = types.clone();
        if hypothetical {
            let keys = order.len();
            let direct = types.len() - keys;
            if direct != keys {
                let mut shown = types.clone();
                shown.rotate_left(keys);
                return Err(err(
                    "42883",
                    format!(
                        "function {name}({}) does not exist",
                        crate::sqlfunc::type_list(&shown)
                    ),
                )
                .with_hint(format!(
                    "To use the hypothetical-set aggregate {name}, the number of hypothetical direct arguments (here {direct}) must match the number of ordering columns (here {keys})."
                ))
                .at(pos(location)));
            }
            // Each direct argument and its sort key take their common type.
            for i in 0..keys {
                let direct_at = fc.args.get(i).and_then(expr_start);
                let t = common_type_at(
                    &[types[i].clone(), types[keys + i].clone()],
                    &[None, direct_at],
                    "WITHIN GROUP",
                )?;
                wanted[i] = t.clone();
                wanted[keys + i] = t;
            }
        }
        let mut user_call = None;
        let resolved = if !user.is_empty() {
            if fc.agg_within_group {
                None
            } else {
                let (r, u) = self.resolve_user_aggregate(user, name, &types, location)?;
                user_call = Some(Box::new(u));
                Some(r)
            }
        } else if ordered_set != fc.agg_within_group {
            None
        } else {
            basalt_func::resolve_aggregate(name, &wanted)
        };
        let Some(resolved) = resolved else {
            let mut shown = types.clone();
            if fc.agg_within_group && !shown.is_empty() {
                shown.rotate_left(1);
            }
            return Err(missing_function(name, &shown, location));
        };
        let mut cargs = Vec::new();
        for (i, (e, t)) in args.into_iter().zip(types.iter()).enumerate() {
            let to = resolved
                .arg_types
                .get(i)
                .cloned()
                .unwrap_or_else(|| t.clone());
            cargs.push(self.coerce(e, t, &to, CastContext::Implicit)?);
        }
        let ret = resolved.ret.clone();
        // PostgreSQL implements DISTINCT by sorting the arguments, so an order-sensitive
        // aggregate (string_agg, array_agg, ...) sees them ascending.
        let order = if fc.agg_distinct && order.is_empty() {
            cargs
                .iter()
                .map(|e| SortKey {
                    expr: e.clone(),
                    desc: false,
                    nulls_first: false,
                })
                .collect()
        } else {
            order
        };
        let mut resolved = resolved;
        if let basalt_func::AggFunc::Hypothetical {
            desc, nulls_first, ..
        } = &mut resolved.func
        {
            for (i, k) in order.iter().enumerate() {
                *desc |= u32::from(k.desc) << i;
                *nulls_first |= u32::from(k.nulls_first) << i;
            }
        }
        let mut call = AggCall {
            func: resolved,
            args: cargs,
            distinct: fc.agg_distinct,
            filter,
            order_by: order,
            user: user_call,
        };
        // PostgreSQL's rule: an aggregate belongs to the query level of the variables in
        // its arguments. One that reads only the enclosing query's columns is that query's
        // aggregate, and a constant for this subquery.
        if let Some(e) = self
            .outer_level_aggregate(&mut call, &ret, refs_mark)
            .map_err(|e| e.at(pos(location)))?
        {
            return Ok(e);
        }
        if let Some(e) = not_here {
            return Err(e);
        }
        let Some(a) = self.agg.as_mut() else {
            return Err(err("42803", "aggregate functions are not allowed here"));
        };
        a.first_agg.get_or_insert(location);
        let idx = match a.aggs.iter().position(|x| *x == call) {
            Some(i) => i,
            None => {
                a.aggs.push(call);
                a.aggs.len() - 1
            }
        };
        if !direct.is_empty() {
            a.direct_refs.push((idx, direct));
        }
        Ok((Expr::Agg(idx), ret))
    }

    /// Moves `call` to the enclosing query when its arguments read only that query's
    /// columns; answers the reference the subquery makes to it.
    fn outer_level_aggregate(
        &mut self,
        call: &mut AggCall,
        ret: &DataType,
        refs_mark: usize,
    ) -> Result<Option<(Expr, DataType)>, SqlError> {
        let mut exprs: Vec<&Expr> = call.args.iter().collect();
        exprs.extend(call.filter.iter());
        exprs.extend(call.order_by.iter().map(|k| &k.expr));
        let local = exprs
            .iter()
            .any(|e| e.any(&|x| matches!(x, Expr::Column(_) | Expr::Agg(_) | Expr::Window(_))));
        let min_depth = exprs
            .iter()
            .map(|e| min_outer_depth(e))
            .min()
            .unwrap_or(usize::MAX);
        if local || min_depth != 1 {
            return Ok(None);
        }
        let Some(level) = self.levels.len().checked_sub(1) else {
            return Ok(None);
        };
        if self.lateral_levels.last() == Some(&level) {
            return Err(err(
                "42803",
                "aggregate functions are not allowed in FROM clause of their own query level",
            ));
        }
        let width = self.levels[level].0.cols.len();
        let Some((outer_level, Some(outer))) = self.outer_aggs.last_mut() else {
            return Ok(None);
        };
        if *outer_level != level {
            return Ok(None);
        }
        if !outer.allowed {
            // The aggregate belongs to the enclosing query, whose clause forbids it
            // (`WHERE x > (SELECT sum(outer.y) FROM t)`).
            return Err(aggregate_not_allowed(outer.context));
        }
        let lift = |e: Expr| -> Result<Expr, SqlError> {
            e.rewrite(&mut |x| {
                Ok(match x {
                    Expr::Outer { depth: 1, index } => Expr::Column(index),
                    Expr::Outer { depth, index } => Expr::Outer {
                        depth: depth - 1,
                        index,
                    },
                    x => x,
                })
            })
        };
        call.args = std::mem::take(&mut call.args)
            .into_iter()
            .map(lift)
            .collect::<Result<_, _>>()?;
        if let Some(f) = call.filter.take() {
            call.filter = Some(lift(f)?);
        }
        for k in &mut call.order_by {
            k.expr = lift(std::mem::replace(&mut k.expr, Expr::Const(Value::Null)))?;
        }
        let idx = match outer.aggs.iter().position(|x| x == call) {
            Some(i) => i,
            None => {
                outer.aggs.push(call.clone());
                outer.aggs.len() - 1
            }
        };
        // The arguments' references to the enclosing row are now that query's own columns.
        let mut k = refs_mark;
        while k < self.level_refs.len() {
            if self.level_refs[k].0 == level {
                self.level_refs.remove(k);
            } else {
                k += 1;
            }
        }
        self.levels[level].1 = true;
        self.level_refs.push((level, width + idx, None));
        Ok(Some((
            Expr::Outer {
                depth: 1,
                index: width + idx,
            },
            ret.clone(),
        )))
    }

    fn bind_window_call(
        &mut self,
        fc: &protobuf::FuncCall,
        name: &str,
        over: &protobuf::WindowDef,
        scope: &Scope,
        user: &[&crate::useragg::UserAggregate],
    ) -> Result<(Expr, DataType), SqlError> {
        if !self.agg.as_ref().is_some_and(|a| a.windows_allowed) {
            let ctx = self.agg.as_ref().map_or("this context", |a| a.context);
            let ctx = if ctx.is_empty() { "this context" } else { ctx };
            let e = match ctx {
                "aggregate function calls" => err(
                    "42803",
                    "aggregate function calls cannot contain window function calls",
                ),
                "window function calls" => err("42P20", "window function calls cannot be nested"),
                "JOIN/ON" => err(
                    "42P20",
                    "window functions are not allowed in JOIN conditions",
                ),
                _ => err(
                    "42P20",
                    format!("window functions are not allowed in {ctx}"),
                ),
            };
            return Err(e.at(pos(fc.location)));
        }
        if fc.agg_distinct {
            return Err(
                err("0A000", "DISTINCT is not implemented for window functions")
                    .at(pos(fc.location)),
            );
        }
        let merged;
        let over = if !over.name.is_empty() || !over.refname.is_empty() {
            let wanted = if over.name.is_empty() {
                &over.refname
            } else {
                &over.name
            };
            let Some(base) = self.named_windows.iter().find(|w| &w.name == wanted) else {
                return Err(err("42704", format!("window \"{wanted}\" does not exist"))
                    .at(pos(over.location)));
            };
            let mut m = base.clone();
            if over.name.is_empty() {
                if !over.order_clause.is_empty() {
                    m.order_clause = over.order_clause.clone();
                }
                m.frame_options = over.frame_options;
                m.start_offset = over.start_offset.clone();
                m.end_offset = over.end_offset.clone();
            }
            merged = m;
            &merged
        } else {
            over
        };
        let saved = self.agg.as_mut().map(|a| {
            let old = (a.allowed, a.windows_allowed, a.context);
            a.windows_allowed = false;
            a.context = "window function calls";
            old
        });
        let r = (|| -> Result<_, SqlError> {
            let (args, types) = if fc.agg_star {
                (Vec::new(), Vec::new())
            } else {
                self.bind_call_args(name, &fc.args, fc.location, scope)?
            };
            if let Some(a) = self.agg.as_mut() {
                a.context = "window definitions";
            }
            let mut order_types = Vec::new();
            let mut partition = Vec::new();
            for p in &over.partition_clause {
                partition.push(self.bind_expr(p, scope)?.0);
            }
            let mut order = Vec::new();
            for item in &over.order_clause {
                let Some(Node::SortBy(sb)) = item.node.as_ref() else {
                    continue;
                };
                let Some(n) = sb.node.as_deref() else {
                    continue;
                };
                let (e, t) = self.bind_expr(n, scope)?;
                let (desc, nulls_first) = sort_dir(sb)?;
                order.push(SortKey {
                    expr: e,
                    desc,
                    nulls_first,
                });
                order_types.push(t);
            }
            check_frame(over, &order_types)?;
            let filter = match fc.agg_filter.as_deref() {
                Some(f) => Some(self.bind_condition(f, scope, "FILTER")?),
                None => None,
            };
            // RANGE offsets take the offset type of the column type's in_range function.
            let range_key = (over.frame_options & 0x2 != 0)
                .then(|| order_types.first().cloned())
                .flatten();
            let offset = |this: &mut Self, n: Option<&protobuf::Node>| match n {
                Some(n) => {
                    let (e, t) = this.bind_expr(n, &Scope::default())?;
                    match &range_key {
                        Some(key) => this.range_offset(e, &t, key, n).map(Some),
                        None => Ok(Some(e)),
                    }
                }
                None => Ok(None),
            };
            let start = offset(self, over.start_offset.as_deref())?;
            let end = offset(self, over.end_offset.as_deref())?;
            Ok((args, types, partition, order, filter, start, end))
        })();
        if let (Some(a), Some((al, wa, ctx))) = (self.agg.as_mut(), saved) {
            a.allowed = al;
            a.windows_allowed = wa;
            a.context = ctx;
        }
        let (args, types, partition, order, filter, start, end) = r?;
        let (func, ret, cargs) = match name {
            "row_number" => (WindowFunc::RowNumber, DataType::Int8, args),
            "rank" => (WindowFunc::Rank, DataType::Int8, args),
            "dense_rank" => (WindowFunc::DenseRank, DataType::Int8, args),
            "percent_rank" => (WindowFunc::PercentRank, DataType::Float8, args),
            "cume_dist" => (WindowFunc::CumeDist, DataType::Float8, args),
            "ntile" => {
                let mut a = args;
                if let (Some(e), Some(t)) = (a.pop(), types.first()) {
                    a.push(self.coerce(e, t, &DataType::Int4, CastContext::Implicit)?);
                }
                (WindowFunc::Ntile, DataType::Int4, a)
            }
            "lag" | "lead" | "first_value" | "last_value" | "nth_value" => {
                let t = types.first().cloned().unwrap_or(DataType::Unknown);
                let t = if t == DataType::Unknown {
                    DataType::Text
                } else {
                    t
                };
                let mut out = Vec::new();
                for (i, (e, et)) in args.into_iter().zip(types.iter()).enumerate() {
                    let to = if i == 1 { DataType::Int4 } else { t.clone() };
                    out.push(self.coerce(e, et, &to, CastContext::Implicit)?);
                }
                let f = match name {
                    "lag" => WindowFunc::Lag,
                    "lead" => WindowFunc::Lead,
                    "first_value" => WindowFunc::FirstValue,
                    "last_value" => WindowFunc::LastValue,
                    _ => WindowFunc::NthValue,
                };
                (f, t, out)
            }
            _ if !user.is_empty() => {
                let (r, u) = self.resolve_user_aggregate(user, name, &types, fc.location)?;
                let mut out = Vec::new();
                for ((e, et), to) in args.into_iter().zip(types.iter()).zip(&r.arg_types) {
                    out.push(self.coerce(e, et, to, CastContext::Implicit)?);
                }
                (WindowFunc::User(Box::new(u)), r.ret, out)
            }
            _ => {
                let Some(r) = basalt_func::resolve_aggregate(name, &types) else {
                    return Err(err("42883", format!("function {name} does not exist"))
                        .at(pos(fc.location)));
                };
                let mut out = Vec::new();
                for (i, (e, et)) in args.into_iter().zip(types.iter()).enumerate() {
                    let to = r.arg_types.get(i).cloned().unwrap_or_else(|| et.clone());
                    out.push(self.coerce(e, et, &to, CastContext::Implicit)?);
                }
                let ret = r.ret.clone();
                (WindowFunc::Agg(r), ret, out)
            }
        };
        let frame = frame_from_options(over.frame_options, start, end, !order.is_empty());
        let call = WindowCall {
            func,
            args: cargs,
            partition_by: partition,
            order_by: order,
            frame,
            filter,
        };
        let Some(a) = self.agg.as_mut() else {
            return Err(err("42P20", "window functions are not allowed here"));
        };
        a.windows.push(call);
        Ok((Expr::Window(a.windows.len() - 1), ret))
    }

    /// A RANGE frame offset coerced to the offset type of PostgreSQL's in_range support
    /// function for the ORDER BY column's type (int2/int4 keys take any integer width).
    fn range_offset(
        &mut self,
        e: Expr,
        t: &DataType,
        key: &DataType,
        n: &protobuf::Node,
    ) -> Result<Expr, SqlError> {
        let to = match key {
            DataType::Int2 | DataType::Int4
                if matches!(t, DataType::Int2 | DataType::Int4 | DataType::Int8) =>
            {
                return Ok(e);
            }
            DataType::Int2 | DataType::Int4 | DataType::Int8 => DataType::Int8,
            DataType::Float4 | DataType::Float8 => DataType::Float8,
            DataType::Numeric(_) => DataType::Numeric(None),
            _ => DataType::Interval,
        };
        let implicit = *t == DataType::Unknown
            || *t == to
            || matches!((t, &to), (DataType::Numeric(_), DataType::Numeric(_)))
            || basalt_common::types::cast::cast_context(t, &to) == Some(CastContext::Implicit);
        if !implicit {
            return Err(err(
                "0A000",
                format!(
                    "RANGE with offset PRECEDING/FOLLOWING is not supported for column type {} and offset type {}",
                    key.format_type(),
                    t.format_type()
                ),
            )
            .with_hint("Cast the offset value to an appropriate type.")
            .at(expr_start(n)));
        }
        self.coerce(e, t, &to, CastContext::Implicit)
    }

    /// Binds an expression that must not contain aggregates, windows or subqueries' outer
    /// references (defaults, CHECK, index expressions).
    pub fn bind_scalar(
        &mut self,
        node: &protobuf::Node,
        scope: &Scope,
        context: &'static str,
    ) -> Result<(Expr, DataType), SqlError> {
        let saved = self.agg.replace(AggCollect {
            allowed: false,
            windows_allowed: false,
            context,
            ..Default::default()
        });
        let r = self.bind_expr(node, scope);
        self.agg = saved;
        r
    }
}

/// One select-list item.
#[derive(Debug, Clone)]
pub struct Target {
    /// The expression over the FROM row (aggregates as placeholders).
    pub expr: Expr,
    /// The output name.
    pub name: String,
    /// The type.
    pub ty: DataType,
}

/// PostgreSQL's checks of a frame against the window's ORDER BY (`transformFrameOffset`).
fn check_frame(over: &protobuf::WindowDef, order_types: &[DataType]) -> Result<(), SqlError> {
    // FRAMEOPTION_* bits: NONDEFAULT, RANGE, GROUPS, and the four offset bounds.
    let opts = over.frame_options;
    if opts & 0x1 == 0 {
        return Ok(());
    }
    let offsets = 0x800 | 0x1000 | 0x2000 | 0x4000;
    if opts & 0x2 != 0 && opts & offsets != 0 {
        if order_types.len() != 1 {
            return Err(err(
                "42P20",
                "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column",
            )
            .at(pos(over.location)));
        }
        let t = &order_types[0];
        let ok = num_rank(t).is_some()
            || time_rank(t).is_some()
            || matches!(
                t,
                DataType::Interval | DataType::Time(_) | DataType::TimeTz(_)
            );
        if !ok {
            let at = over
                .start_offset
                .as_deref()
                .or(over.end_offset.as_deref())
                .and_then(expr_start);
            return Err(err(
                "0A000",
                format!(
                    "RANGE with offset PRECEDING/FOLLOWING is not supported for column type {}",
                    t.format_type()
                ),
            )
            .at(at));
        }
    }
    if opts & 0x8 != 0 && order_types.is_empty() {
        return Err(err("42P20", "GROUPS mode requires an ORDER BY clause").at(pos(over.location)));
    }
    Ok(())
}

fn frame_from_options(opts: i32, start: Option<Expr>, end: Option<Expr>, ordered: bool) -> Frame {
    // PostgreSQL's FRAMEOPTION_* bits.
    const NONDEFAULT: i32 = 0x1;
    const ROWS: i32 = 0x4;
    const START_UNBOUNDED_PRECEDING: i32 = 0x20;
    const END_UNBOUNDED_FOLLOWING: i32 = 0x100;
    const START_CURRENT_ROW: i32 = 0x200;
    const END_CURRENT_ROW: i32 = 0x400;
    const START_OFFSET_PRECEDING: i32 = 0x800;
    const END_OFFSET_PRECEDING: i32 = 0x1000;
    const START_OFFSET_FOLLOWING: i32 = 0x2000;
    const END_OFFSET_FOLLOWING: i32 = 0x4000;
    const EXCLUDE_CURRENT_ROW: i32 = 0x8000;
    const EXCLUDE_GROUP: i32 = 0x10000;
    const EXCLUDE_TIES: i32 = 0x20000;
    if opts & NONDEFAULT == 0 {
        return Frame {
            rows: false,
            groups: false,
            start: FrameBound::UnboundedPreceding,
            end: if ordered {
                FrameBound::CurrentRow
            } else {
                FrameBound::UnboundedFollowing
            },
            exclude: FrameExclude::NoOthers,
        };
    }
    let exclude = if opts & EXCLUDE_CURRENT_ROW != 0 {
        FrameExclude::CurrentRow
    } else if opts & EXCLUDE_GROUP != 0 {
        FrameExclude::Group
    } else if opts & EXCLUDE_TIES != 0 {
        FrameExclude::Ties
    } else {
        FrameExclude::NoOthers
    };
    let zero = || Expr::Const(Value::Int8(0));
    let start_b = if opts & START_UNBOUNDED_PRECEDING != 0 {
        FrameBound::UnboundedPreceding
    } else if opts & START_CURRENT_ROW != 0 {
        FrameBound::CurrentRow
    } else if opts & START_OFFSET_PRECEDING != 0 {
        FrameBound::Preceding(start.clone().unwrap_or_else(zero))
    } else if opts & START_OFFSET_FOLLOWING != 0 {
        FrameBound::Following(start.clone().unwrap_or_else(zero))
    } else {
        FrameBound::UnboundedPreceding
    };
    let end_b = if opts & END_UNBOUNDED_FOLLOWING != 0 {
        FrameBound::UnboundedFollowing
    } else if opts & END_CURRENT_ROW != 0 {
        FrameBound::CurrentRow
    } else if opts & END_OFFSET_PRECEDING != 0 {
        FrameBound::Preceding(end.unwrap_or_else(zero))
    } else if opts & END_OFFSET_FOLLOWING != 0 {
        FrameBound::Following(end.unwrap_or_else(zero))
    } else {
        FrameBound::CurrentRow
    };
    Frame {
        rows: opts & ROWS != 0,
        groups: opts & 0x8 != 0,
        start: start_b,
        end: end_b,
        exclude,
    }
}

/// Levenshtein distance (unit costs).
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// PostgreSQL's "Perhaps you meant to reference the column ..." hint: the closest column
/// name within 3 edits and no more than half the name's length.
fn closest_column(name: &str, scope: &Scope) -> Option<String> {
    let limit = 3.min(name.chars().count() / 2);
    let mut best: Option<(usize, Vec<String>)> = None;
    for c in &scope.cols {
        if c.hidden || c.name.is_empty() {
            continue;
        }
        let d = levenshtein(name, &c.name);
        if d == 0 || d > limit {
            continue;
        }
        let full = match &c.table {
            Some(t) => format!("{t}.{}", c.name),
            None => c.name.clone(),
        };
        match &mut best {
            Some((bd, v)) if *bd == d => {
                if !v.contains(&full) {
                    v.push(full);
                }
            }
            Some((bd, _)) if *bd < d => {}
            _ => best = Some((d, vec![full])),
        }
    }
    match best?.1.as_slice() {
        [one] => Some(format!(
            "Perhaps you meant to reference the column \"{one}\"."
        )),
        [a, b] => Some(format!(
            "Perhaps you meant to reference the column \"{a}\" or the column \"{b}\"."
        )),
        _ => None,
    }
}

impl Binder<'_> {
    /// PostgreSQL's hint for a qualified column that does not exist (errorMissingColumn):
    /// every relation column of this query and the enclosing ones is scored by the edits
    /// from the qualifier to its table name (at most 4) plus those from the name to the
    /// column's (no more than half the name's length); the one best, or two equally good,
    /// below 4 are suggested, three or more equally good ones none.
    fn closest_qualified(&self, q: &str, name: &str, scope: &Scope) -> Option<String> {
        const MAX: usize = 4;
        let mut distance = MAX;
        let mut found: Vec<String> = Vec::new();
        let scopes = std::iter::once(scope).chain(self.levels.iter().rev().map(|l| &l.0));
        for s in scopes {
            for c in &s.cols {
                let Some(t) = c.table.as_deref() else {
                    continue;
                };
                if c.name.is_empty() || self.using_aliases.iter().any(|a| a == t) {
                    continue;
                }
                let penalty = levenshtein(q, t).min(MAX);
                if penalty > distance {
                    continue;
                }
                let d = levenshtein(name, &c.name);
                if d > name.len() / 2 {
                    continue;
                }
                let d = d + penalty;
                if d < distance {
                    distance = d;
                    found = vec![format!("{t}.{}", c.name)];
                } else if d == distance && !found.is_empty() {
                    if found.len() == 2 {
                        found.clear();
                    } else {
                        found.push(format!("{t}.{}", c.name));
                    }
                }
            }
        }
        match found.as_slice() {
            [one] => Some(format!(
                "Perhaps you meant to reference the column \"{one}\"."
            )),
            [a, b] => Some(format!(
                "Perhaps you meant to reference the column \"{a}\" or the column \"{b}\"."
            )),
            _ => None,
        }
    }

    /// The position of the opening parenthesis (the outermost of several) of a parenthesized
    /// subquery, found from its first located token in the query string.
    fn paren_before(&self, q: &protobuf::Node) -> Option<u32> {
        let src = self.source.as_deref()?;
        let text = format!("{q:?}");
        let first = text
            .match_indices("location: ")
            .filter_map(|(at, m)| {
                let digits: String = text[at + m.len()..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                digits.parse::<usize>().ok()
            })
            .min()?;
        let scan = pg_query::scan(src.get(..first)?).ok()?;
        let mut found = None;
        for t in scan.tokens.iter().rev() {
            let tok = src.get(usize::try_from(t.start).ok()?..usize::try_from(t.end).ok()?)?;
            if tok == "(" {
                found = Some(t.start);
                continue;
            }
            // Keywords that may come between the parentheses and the first located node.
            let keyword = matches!(
                tok.to_ascii_uppercase().as_str(),
                "SELECT" | "DISTINCT" | "ON" | "ALL" | "VALUES" | "WITH" | "RECURSIVE" | "TABLE"
            );
            if !keyword {
                break;
            }
        }
        pos(found?)
    }

    /// 42P01 for a qualifier that names no visible FROM entry, with PostgreSQL's hints when
    /// it names one that cannot be referenced from here, or a table that has an alias.
    /// Records a data-modifying statement's target (and its alias) as a FROM entry, so that
    /// a reference by the table's name when it has an alias gets PostgreSQL's message.
    pub(crate) fn add_target_entry(&mut self, alias: Option<&str>, relname: &str) {
        let e = match alias {
            Some(a) => (a.to_string(), Some(relname.to_string())),
            None => (relname.to_string(), None),
        };
        match self.rtes.last_mut() {
            Some(frame) => frame.push(e),
            None => self.rtes.push(vec![e]),
        }
    }

    pub(crate) fn missing_from_entry(&self, q: &str) -> SqlError {
        let entries = || self.rtes.iter().rev().flatten();
        let invalid = || {
            err(
                "42P01",
                format!("invalid reference to FROM-clause entry for table \"{q}\""),
            )
        };
        if entries().any(|(name, _)| name == q) {
            return invalid().with_hint(format!(
                "There is an entry for table \"{q}\", but it cannot be referenced from this part of the query."
            ));
        }
        if let Some((alias, _)) = entries().find(|(_, rel)| rel.as_deref() == Some(q)) {
            return invalid().with_hint(format!(
                "Perhaps you meant to reference the table alias \"{alias}\"."
            ));
        }
        err(
            "42P01",
            format!("missing FROM-clause entry for table \"{q}\""),
        )
    }

    /// 42P01 for a relation name; a WITH item that cannot be referenced from here is named in
    /// the detail, as PostgreSQL does.
    fn undefined_table(&self, rv: &protobuf::RangeVar) -> SqlError {
        let e = undefined_table(rv);
        if rv.schemaname.is_empty() && self.pending_ctes.contains(&rv.relname) {
            return e
                .with_detail(format!(
                    "There is a WITH item named \"{}\", but it cannot be referenced from this part of the query.",
                    rv.relname
                ))
                .with_hint("Use WITH RECURSIVE, or re-order the WITH items to remove forward references.");
        }
        e
    }
}

fn undefined_table(rv: &protobuf::RangeVar) -> SqlError {
    let name = if rv.schemaname.is_empty() {
        rv.relname.clone()
    } else {
        format!("{}.{}", rv.schemaname, rv.relname)
    };
    err("42P01", format!("relation \"{name}\" does not exist")).at(pos(rv.location))
}

impl Binder<'_> {
    /// Whether a FROM item just bound reads the items before it: a function only when its
    /// arguments do.
    fn reads_left(&self, n: &protobuf::Node) -> bool {
        match n.node.as_ref() {
            Some(Node::RangeFunction(_)) => self.function_lateral,
            _ => true,
        }
    }
}

fn is_lateral(n: &protobuf::Node) -> bool {
    match n.node.as_ref() {
        Some(Node::RangeSubselect(r)) => r.lateral,
        Some(Node::RangeFunction(_)) => true,
        _ => false,
    }
}

fn is_null_const(n: &protobuf::Node) -> bool {
    matches!(n.node.as_ref(), Some(Node::AConst(c)) if c.isnull)
}

/// The direction and null placement of an ORDER BY item. `USING <` is ASC and `USING >` is
/// DESC (NULLS FIRST by default, as DESC): the `<`/`>` btree members of every sortable type;
/// any other operator is refused as PostgreSQL refuses it (42809).
fn sort_dir(sb: &protobuf::SortBy) -> Result<(bool, bool), SqlError> {
    let desc = if sb.sortby_dir == protobuf::SortByDir::SortbyUsing as i32 {
        let parts: Vec<&str> = sb.use_op.iter().filter_map(node_str).collect();
        let (schema, op) = match parts.as_slice() {
            [op] => (None, *op),
            [schema, op] => (Some(*schema), *op),
            _ => (Some(""), ""),
        };
        match (schema, op) {
            (None | Some("pg_catalog"), "<") => false,
            (None | Some("pg_catalog"), ">") => true,
            _ => {
                return Err(err(
                    "42809",
                    format!("operator {op} is not a valid ordering operator"),
                )
                .with_hint(
                    "Ordering operators must be \"<\" or \">\" members of btree operator families.",
                )
                .at(pos(sb.location)));
            }
        }
    } else {
        sb.sortby_dir == protobuf::SortByDir::SortbyDesc as i32
    };
    let nulls_first = match sb.sortby_nulls {
        2 => true,
        3 => false,
        _ => desc,
    };
    Ok((desc, nulls_first))
}

/// An alias may not name more columns than its FROM item has (42P10).
fn check_alias_columns(alias: &str, available: usize, specified: usize) -> Result<(), SqlError> {
    if specified > available {
        return Err(err(
            "42P10",
            format!(
                "table \"{alias}\" has {available} columns available but {specified} columns specified"
            ),
        ));
    }
    Ok(())
}

/// Two FROM items may not have the same name (42712).
fn check_table_names(left: &Scope, right: &Scope) -> Result<(), SqlError> {
    let mut seen: Vec<&str> = Vec::new();
    for c in &right.cols {
        let Some(t) = c.table.as_deref() else {
            continue;
        };
        if seen.contains(&t) {
            continue;
        }
        seen.push(t);
        if left.cols.iter().any(|l| l.table.as_deref() == Some(t)) {
            return Err(err(
                "42712",
                format!("table name \"{t}\" specified more than once"),
            ));
        }
    }
    Ok(())
}

/// Where an expression's first column reference is (searched in its parse tree's text form).
fn first_column_ref(n: &protobuf::Node) -> Option<u32> {
    let text = format!("{n:?}");
    let at = text.find("ColumnRef(")?;
    let rest = &text[at..];
    let l = rest.find("location: ")? + "location: ".len();
    let digits: String = rest[l..].chars().take_while(char::is_ascii_digit).collect();
    pos(digits.parse().ok()?)
}

/// Where a query first names the relation `name` (searched in its parse tree's text form).
/// The items of a WITH RECURSIVE list in an order where each comes after the items it
/// refers to (PostgreSQL's TopologicalSort: the first item whose references are all placed
/// goes next); a cycle through several items is PostgreSQL's 0A000.
fn recursive_with_order(
    mut items: Vec<&protobuf::CommonTableExpr>,
) -> Result<Vec<&protobuf::CommonTableExpr>, SqlError> {
    let refers = |a: &protobuf::CommonTableExpr, b: &protobuf::CommonTableExpr| {
        a.ctename != b.ctename
            && format!("{:?}", a.ctequery).contains(&format!("relname: \"{}\"", b.ctename))
    };
    for i in 0..items.len() {
        let ready = (i..items.len()).find(|&j| {
            !items[i..]
                .iter()
                .enumerate()
                .any(|(k, other)| i + k != j && refers(items[j], other))
        });
        let Some(j) = ready else {
            return Err(err(
                "0A000",
                "mutual recursion between WITH items is not implemented",
            )
            .at(pos(items[i].location)));
        };
        items.swap(i, j);
    }
    Ok(items)
}

/// Where a recursive reference may not be (PostgreSQL's `RecursionContext`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum RecursionContext {
    Ok,
    Sublink,
    OuterJoin,
    Intersect,
    Except,
}

/// PostgreSQL's checkWellFormedRecursion for `name = nonrecursive UNION [ALL] recursive`:
/// the recursive term refers to the query exactly once, not inside a subquery expression, on
/// the nullable side of an outer join, or under INTERSECT ALL / EXCEPT; and the UNION carries
/// no ORDER BY, OFFSET, LIMIT or FOR UPDATE. Walks the statement in PostgreSQL's order so the
/// same reference is reported.
fn check_recursive_term(sel: &protobuf::SelectStmt, name: &str) -> Result<(), SqlError> {
    let mut seen = false;
    if let Some(r) = sel.rarg.as_deref() {
        recursion_walk_select(r, name, RecursionContext::Ok, &mut seen)?;
    }
    let feature = |what: &str, at: Option<u32>| {
        Err(err(
            "0A000",
            format!("{what} in a recursive query is not implemented"),
        )
        .at(at))
    };
    if let Some(Node::SortBy(sb)) = sel.sort_clause.first().and_then(|n| n.node.as_ref()) {
        return feature("ORDER BY", sb.node.as_deref().and_then(expr_start));
    }
    if let Some(n) = sel.limit_offset.as_deref() {
        return feature("OFFSET", expr_start(n));
    }
    if let Some(n) = sel.limit_count.as_deref() {
        return feature("LIMIT", expr_start(n));
    }
    if !sel.locking_clause.is_empty() {
        return feature("FOR UPDATE/SHARE", None);
    }
    Ok(())
}

fn recursion_found(
    name: &str,
    ctx: RecursionContext,
    seen: &mut bool,
    at: Option<u32>,
) -> Result<(), SqlError> {
    let place = match ctx {
        RecursionContext::Ok if !*seen => {
            *seen = true;
            return Ok(());
        }
        RecursionContext::Ok => "more than once",
        RecursionContext::Sublink => "within a subquery",
        RecursionContext::OuterJoin => "within an outer join",
        RecursionContext::Intersect => "within INTERSECT",
        RecursionContext::Except => "within EXCEPT",
    };
    Err(err(
        "42P19",
        format!("recursive reference to query \"{name}\" must not appear {place}"),
    )
    .at(at))
}

/// An expression can only mention a table inside a subquery (a sublink).
fn recursion_walk_expr<T: std::fmt::Debug>(
    x: &T,
    name: &str,
    seen: &mut bool,
) -> Result<(), SqlError> {
    let text = format!("{x:?}");
    let Some(at) = text.find(&format!("relname: \"{name}\"")) else {
        return Ok(());
    };
    let rest = &text[at..];
    let loc = rest.find("location: ").and_then(|l| {
        let digits: String = rest[l + "location: ".len()..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        digits.parse::<i32>().ok()
    });
    recursion_found(name, RecursionContext::Sublink, seen, loc.and_then(pos))
}

fn recursion_walk_select(
    sel: &protobuf::SelectStmt,
    name: &str,
    ctx: RecursionContext,
    seen: &mut bool,
) -> Result<(), SqlError> {
    use protobuf::SetOperation as Op;
    let (l, r) = (sel.larg.as_deref(), sel.rarg.as_deref());
    let op = Op::try_from(sel.op).unwrap_or(Op::SetopNone);
    if matches!(op, Op::SetopUnion | Op::SetopIntersect | Op::SetopExcept) {
        let (lc, rc) = match op {
            Op::SetopIntersect if sel.all => {
                (RecursionContext::Intersect, RecursionContext::Intersect)
            }
            Op::SetopExcept if sel.all => (RecursionContext::Except, RecursionContext::Except),
            Op::SetopExcept => (ctx, RecursionContext::Except),
            _ => (ctx, ctx),
        };
        if let Some(l) = l {
            recursion_walk_select(l, name, lc, seen)?;
        }
        if let Some(r) = r {
            recursion_walk_select(r, name, rc, seen)?;
        }
        return Ok(());
    }
    recursion_walk_expr(&sel.target_list, name, seen)?;
    for f in &sel.from_clause {
        recursion_walk_from(f, name, ctx, seen)?;
    }
    recursion_walk_expr(&sel.where_clause, name, seen)?;
    recursion_walk_expr(&sel.group_clause, name, seen)?;
    recursion_walk_expr(&sel.having_clause, name, seen)?;
    recursion_walk_expr(&sel.window_clause, name, seen)?;
    recursion_walk_expr(&sel.values_lists, name, seen)?;
    recursion_walk_expr(&sel.sort_clause, name, seen)?;
    recursion_walk_expr(&sel.limit_offset, name, seen)?;
    recursion_walk_expr(&sel.limit_count, name, seen)?;
    if let Some(w) = &sel.with_clause {
        for c in &w.ctes {
            if let Some(Node::CommonTableExpr(c)) = c.node.as_ref()
                && let Some(Node::SelectStmt(q)) =
                    c.ctequery.as_deref().and_then(|q| q.node.as_ref())
            {
                recursion_walk_select(q, name, ctx, seen)?;
            }
        }
    }
    Ok(())
}

fn recursion_walk_from(
    n: &protobuf::Node,
    name: &str,
    ctx: RecursionContext,
    seen: &mut bool,
) -> Result<(), SqlError> {
    use protobuf::JoinType as J;
    match n.node.as_ref() {
        Some(Node::RangeVar(rv)) => {
            if rv.schemaname.is_empty() && rv.relname == name {
                recursion_found(name, ctx, seen, pos(rv.location))?;
            }
            Ok(())
        }
        Some(Node::JoinExpr(j)) => {
            let outer = RecursionContext::OuterJoin;
            let (lc, rc) = match J::try_from(j.jointype) {
                Ok(J::JoinLeft) => (ctx, outer),
                Ok(J::JoinRight) => (outer, ctx),
                Ok(J::JoinFull) => (outer, outer),
                _ => (ctx, ctx),
            };
            if let Some(l) = j.larg.as_deref() {
                recursion_walk_from(l, name, lc, seen)?;
            }
            if let Some(r) = j.rarg.as_deref() {
                recursion_walk_from(r, name, rc, seen)?;
            }
            recursion_walk_expr(&j.quals, name, seen)
        }
        Some(Node::RangeSubselect(rs)) => {
            match rs.subquery.as_deref().and_then(|q| q.node.as_ref()) {
                Some(Node::SelectStmt(q)) => recursion_walk_select(q, name, ctx, seen),
                _ => Ok(()),
            }
        }
        _ => recursion_walk_expr(n, name, seen),
    }
}

fn reference_location(sel: Option<&protobuf::SelectStmt>, name: &str) -> Option<u32> {
    let text = format!("{:?}", sel?);
    let at = text.find(&format!("relname: \"{name}\""))?;
    let rest = &text[at..];
    let l = rest.find("location: ")? + "location: ".len();
    let digits: String = rest[l..].chars().take_while(char::is_ascii_digit).collect();
    pos(digits.parse().ok()?)
}

/// Where each output column of a query is written (its first SELECT's targets, or its first
/// VALUES row), for errors about the columns of set operations.
pub fn output_locations(sel: &protobuf::SelectStmt) -> Vec<Option<u32>> {
    if sel.op > 1 {
        return sel
            .larg
            .as_deref()
            .map(output_locations)
            .unwrap_or_default();
    }
    if let Some(Node::List(l)) = sel.values_lists.first().and_then(|n| n.node.as_ref()) {
        // PostgreSQL's VALUES columns have no location.
        return vec![None; l.items.len()];
    }
    sel.target_list.iter().map(expr_start).collect()
}

/// EXISTS only asks whether a row comes out: like PostgreSQL (`simplify_EXISTS_query`), the
/// select list of a plain query is not computed (`EXISTS (SELECT 1/0 FROM t)` is true when t
/// has rows). Aggregated, windowed and set-returning select lists stay, and so does anything
/// under an OFFSET (DISTINCT over the blanked columns could change how many rows it skips).
fn drop_select_list(plan: &mut Plan) {
    match plan {
        Plan::Sort { input, .. } | Plan::Distinct { input, .. } => drop_select_list(input),
        Plan::Limit {
            input,
            offset: None,
            ..
        } => drop_select_list(input),
        Plan::Project { input, exprs } if !computes_per_group(input) => {
            for e in exprs.iter_mut() {
                *e = Expr::Const(Value::Null);
            }
        }
        _ => {}
    }
}

/// Whether a projection over this plan reads aggregates, window or set-returning functions.
fn computes_per_group(plan: &Plan) -> bool {
    match plan {
        Plan::Filter { input, .. } => computes_per_group(input),
        Plan::Aggregate { .. } | Plan::Window { .. } | Plan::ProjectSet { .. } => true,
        _ => false,
    }
}

/// The error for an aggregate call where the clause `context` forbids it.
fn aggregate_not_allowed(context: &str) -> SqlError {
    let msg = match context {
        "" => "aggregate functions are not allowed in this context".to_string(),
        "aggregate function calls" => "aggregate function calls cannot be nested".to_string(),
        "JOIN/ON" => "aggregate functions are not allowed in JOIN conditions".to_string(),
        ctx => format!("aggregate functions are not allowed in {ctx}"),
    };
    err("42803", msg)
}

/// Whether `n` is written as one of the select list's items (`count` bound targets; a
/// list with `*` in it does not count).
fn target_list_matches(list: &[protobuf::Node], count: usize, n: &protobuf::Node) -> bool {
    list.len() == count
        && list.iter().any(|t| match t.node.as_ref() {
            Some(Node::ResTarget(rt)) => rt.val.as_deref().is_some_and(|v| same_tree(v, n)),
            _ => false,
        })
}

/// Whether two parse trees are the same but for their locations.
fn same_tree(a: &protobuf::Node, b: &protobuf::Node) -> bool {
    // Drops every `name: number` field that is a place in the text (`location`,
    // `rexpr_list_start`, ...) from the Debug rendering.
    fn strip(n: &protobuf::Node) -> String {
        let text: Vec<char> = format!("{n:?}").chars().collect();
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < text.len() {
            if ident(text[i]) && (i == 0 || !ident(text[i - 1])) {
                let mut j = i;
                while j < text.len() && ident(text[j]) {
                    j += 1;
                }
                let name: String = text[i..j].iter().collect();
                let place =
                    name.contains("location") || name.ends_with("_start") || name.ends_with("_end");
                if place && text.get(j) == Some(&':') && text.get(j + 1) == Some(&' ') {
                    let mut k = j + 2;
                    if text.get(k) == Some(&'-') {
                        k += 1;
                    }
                    let digits = k;
                    while k < text.len() && text[k].is_ascii_digit() {
                        k += 1;
                    }
                    if k > digits {
                        i = k;
                        continue;
                    }
                }
                out.push_str(&name);
                i = j;
                continue;
            }
            out.push(text[i]);
            i += 1;
        }
        out
    }
    strip(a) == strip(b)
}

/// The OID alias kind of `regclass`-like types and their arrays.
fn reg_kind(t: &DataType) -> Option<basalt_common::types::RegKind> {
    match t.element().unwrap_or(t) {
        DataType::Reg(k) => Some(*k),
        _ => None,
    }
}

/// PostgreSQL's error when operator resolution finds several equally good candidates.
fn ambiguous_operator(sig: &str) -> SqlError {
    err("42725", format!("operator is not unique: {sig}")).with_hint(
        "Could not choose a best candidate operator. You might need to add explicit type casts.",
    )
}

/// `ORDER BY 2` / `GROUP BY 1`: an integer constant is a position in the select list.
fn position_ref(n: &protobuf::Node, count: usize) -> Result<Option<usize>, SqlError> {
    position_ref_in(n, count, "ORDER BY")
}

fn position_ref_in(
    n: &protobuf::Node,
    count: usize,
    clause: &str,
) -> Result<Option<usize>, SqlError> {
    if let Some(Node::AConst(c)) = n.node.as_ref()
        && let Some(protobuf::a_const::Val::Ival(i)) = &c.val
    {
        let p = i.ival;
        if p < 1 || p as usize > count {
            return Err(err(
                "42P10",
                format!("{clause} position {p} is not in select list"),
            )
            .at(pos(c.location)));
        }
        return Ok(Some(p as usize - 1));
    }
    // Any other constant (a string, a float, NULL) is not a position, and sorting or grouping
    // by a constant means nothing: PostgreSQL refuses it.
    if let Some(Node::AConst(c)) = n.node.as_ref() {
        return Err(err("42601", format!("non-integer constant in {clause}")).at(pos(c.location)));
    }
    Ok(None)
}

/// The location of a node itself (an operator's, a function name's), as a position.
pub fn node_location(n: &protobuf::Node) -> Option<u32> {
    pos(raw_location(n)?)
}

fn raw_location(n: &protobuf::Node) -> Option<i32> {
    let l = match n.node.as_ref()? {
        Node::ColumnRef(c) => c.location,
        Node::AConst(c) => c.location,
        Node::AExpr(a) => a.location,
        Node::FuncCall(f) => f.location,
        Node::TypeCast(t) => t.location,
        Node::BoolExpr(b) => b.location,
        Node::CaseExpr(c) => c.location,
        Node::CoalesceExpr(c) => c.location,
        Node::MinMaxExpr(m) => m.location,
        Node::NullTest(t) => t.location,
        Node::BooleanTest(t) => t.location,
        Node::AArrayExpr(a) => a.location,
        Node::RowExpr(r) => r.location,
        Node::CollateClause(c) => c.location,
        Node::SqlvalueFunction(f) => f.location,
        Node::ParamRef(p) => p.location,
        Node::SubLink(s) => s.location,
        Node::NamedArgExpr(a) => a.location,
        Node::ResTarget(r) => r.location,
        Node::SetToDefault(d) => d.location,
        Node::AIndirection(i) => return i.arg.as_deref().and_then(raw_location),
        _ => return None,
    };
    (l >= 0).then_some(l)
}

/// Where an expression starts (its leftmost token), as PostgreSQL's `exprLocation` reports
/// it for errors about a whole expression (an argument's type, a value for a column).
pub fn expr_start(n: &protobuf::Node) -> Option<u32> {
    pos(raw_start(n)?)
}

fn raw_start(n: &protobuf::Node) -> Option<i32> {
    let own = raw_location(n);
    let first = match n.node.as_ref()? {
        Node::AExpr(a) => a.lexpr.as_deref(),
        Node::TypeCast(t) => t.arg.as_deref(),
        Node::BoolExpr(b) => b.args.first(),
        Node::NullTest(t) => t.arg.as_deref(),
        Node::BooleanTest(t) => t.arg.as_deref(),
        Node::CollateClause(c) => c.arg.as_deref(),
        Node::SubLink(s) => s.testexpr.as_deref(),
        Node::ResTarget(r) => r.val.as_deref(),
        _ => None,
    };
    match (own, first.and_then(raw_start)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn node_kind(n: &Node) -> String {
    let s = format!("{n:?}");
    s.split('(').next().unwrap_or("expression").to_string()
}

/// The SQL spelling of a comparison.
pub(crate) fn cmp_symbol(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}

/// A literal.
pub fn bind_const(c: &protobuf::AConst) -> Result<(Expr, DataType), SqlError> {
    if c.isnull {
        return Ok((Expr::Const(Value::Null), DataType::Unknown));
    }
    use protobuf::a_const::Val;
    Ok(match &c.val {
        Some(Val::Ival(i)) => (Expr::Const(Value::Int4(i.ival)), DataType::Int4),
        Some(Val::Fval(f)) => {
            let s = f.fval.as_str();
            let is_int = !s.contains(['.', 'e', 'E']);
            if is_int && let Ok(v) = s.parse::<i64>() {
                if let Ok(v32) = i32::try_from(v) {
                    (Expr::Const(Value::Int4(v32)), DataType::Int4)
                } else {
                    (Expr::Const(Value::Int8(v)), DataType::Int8)
                }
            } else {
                let n = basalt_common::types::Numeric::parse(s)?;
                (Expr::Const(Value::Numeric(n)), DataType::Numeric(None))
            }
        }
        Some(Val::Boolval(b)) => (Expr::Const(Value::Bool(b.boolval)), DataType::Bool),
        Some(Val::Sval(s)) => (Expr::Const(Value::Text(s.sval.clone())), DataType::Unknown),
        Some(Val::Bsval(_)) => {
            return Err(err("0A000", "feature not supported: bit string literals"));
        }
        None => (Expr::Const(Value::Null), DataType::Unknown),
    })
}

/// PostgreSQL's output column name for an expression.
pub fn column_name(n: &protobuf::Node) -> String {
    column_name_strength(n).map_or_else(|| "?column?".into(), |(name, _)| name)
}

/// The name (and strength) of a SELECT's first output column, as a scalar subquery's
/// column is named.
fn first_output_name(sel: &protobuf::SelectStmt) -> Option<(String, u8)> {
    if !sel.values_lists.is_empty() {
        return Some(("column1".into(), 2));
    }
    if sel.op > 1 {
        return sel.larg.as_deref().and_then(first_output_name);
    }
    sel.target_list.first().and_then(|t| match t.node.as_ref() {
        Some(Node::ResTarget(rt)) if !rt.name.is_empty() => Some((rt.name.clone(), 2)),
        Some(Node::ResTarget(rt)) => rt.val.as_deref().and_then(column_name_strength),
        _ => None,
    })
}

/// The name PostgreSQL would give an output column and how strong the choice is (its
/// `FigureColname`): 2 for real names (columns, functions), 1 for fallbacks (a cast's type
/// name, `case`) that an enclosing cast or CASE may override.
fn column_name_strength(n: &protobuf::Node) -> Option<(String, u8)> {
    let strong = |s: &str| Some((s.to_string(), 2));
    match n.node.as_ref() {
        Some(Node::ColumnRef(c)) => c.fields.last().and_then(node_str).and_then(strong),
        Some(Node::FuncCall(f)) => names(&f.funcname).last().and_then(|s| strong(s)),
        Some(Node::TypeCast(t)) => match t.arg.as_deref().and_then(column_name_strength) {
            Some((s, 2)) => Some((s, 2)),
            inner => t
                .type_name
                .as_ref()
                .and_then(|tn| names(&tn.names).last().cloned())
                .map(|s| (s, 1))
                .or(inner),
        },
        Some(Node::CaseExpr(c)) => match c.defresult.as_deref().and_then(column_name_strength) {
            Some((s, 2)) => Some((s, 2)),
            _ => Some(("case".into(), 1)),
        },
        Some(Node::CoalesceExpr(_)) => strong("coalesce"),
        Some(Node::MinMaxExpr(m)) => strong(if m.op == 1 { "greatest" } else { "least" }),
        Some(Node::AExpr(a)) if a.kind == protobuf::AExprKind::AexprNullif as i32 => {
            strong("nullif")
        }
        Some(Node::GroupingFunc(_)) => strong("grouping"),
        Some(Node::RowExpr(_)) => strong("row"),
        Some(Node::SubLink(s)) => match s.sub_link_type {
            1 => strong("exists"),
            7 => strong("array"),
            // The subquery's first output column's name (PostgreSQL reads it from the
            // analyzed query: `column1` for VALUES, the left-most arm's of a set operation).
            5 => s.subselect.as_deref().and_then(|q| match q.node.as_ref() {
                Some(Node::SelectStmt(sel)) => first_output_name(sel),
                _ => None,
            }),
            _ => None,
        },
        Some(Node::AArrayExpr(_)) => strong("array"),
        Some(Node::SqlvalueFunction(f)) => strong(match f.op {
            1 => "current_date",
            2 | 3 => "current_time",
            4 | 5 => "current_timestamp",
            6 | 7 => "localtime",
            8 | 9 => "localtimestamp",
            10 => "current_role",
            11 => "current_user",
            12 => "user",
            13 => "session_user",
            14 => "current_catalog",
            _ => "current_schema",
        }),
        Some(Node::AIndirection(i)) => match i.indirection.last().and_then(node_str) {
            Some(field) => strong(field),
            None => i.arg.as_deref().and_then(column_name_strength),
        },
        Some(Node::CollateClause(c)) => c.arg.as_deref().and_then(column_name_strength),
        Some(Node::AConst(c)) if matches!(c.val, Some(protobuf::a_const::Val::Boolval(_))) => {
            Some(("bool".into(), 1))
        }
        _ => None,
    }
}

/// Shifts column references by `-by` (for the right side of a join's hash keys).
fn shift(e: Expr, by: usize) -> Expr {
    e.rewrite(&mut |x| {
        Ok(match x {
            Expr::Column(i) if i >= by => Expr::Column(i - by),
            x => x,
        })
    })
    .unwrap_or(Expr::Const(Value::Null))
}

/// Equality conjuncts `left_expr = right_expr` of a join condition, as hash keys.
/// Whether a join condition reads columns of the join (a condition that reads none, such as
/// `ON TRUE`, needs no join key).
fn reads_columns(e: &Expr) -> bool {
    if const_condition(e).is_some() {
        return false;
    }
    if let Expr::And(a, b) = e {
        return reads_columns(a) || reads_columns(b);
    }
    // A subquery is a join condition to PostgreSQL even when it is not correlated.
    e.any(&|x| matches!(x, Expr::Column(_) | Expr::Subquery(_)))
}

fn equi_keys(pred: &Expr, lw: usize) -> Vec<(Expr, Expr)> {
    let mut conj = Vec::new();
    fn flatten<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
        if let Expr::And(a, b) = e {
            flatten(a, out);
            flatten(b, out);
        } else {
            out.push(e);
        }
    }
    flatten(pred, &mut conj);
    let side = |e: &Expr| -> Option<bool> {
        let mut cols = Vec::new();
        e.columns(&mut cols);
        if e.any(&|x| {
            matches!(
                x,
                Expr::Subquery(_) | Expr::Outer { .. } | Expr::Sequence(..)
            )
        }) {
            return None;
        }
        if cols.is_empty() {
            return None;
        }
        if cols.iter().all(|c| *c < lw) {
            Some(true)
        } else if cols.iter().all(|c| *c >= lw) {
            Some(false)
        } else {
            None
        }
    };
    let mut keys = Vec::new();
    for c in conj {
        if let Expr::Cmp(CmpOp::Eq, a, b) = c {
            match (side(a), side(b)) {
                (Some(true), Some(false)) => keys.push(((**a).clone(), shift((**b).clone(), lw))),
                (Some(false), Some(true)) => keys.push(((**b).clone(), shift((**a).clone(), lw))),
                _ => {}
            }
        }
    }
    keys
}

/// The first reference of `e` (in PostgreSQL's walk order) that is not grouped: `Some(None)`
/// for a column, `Some(Some(i))` for aggregate `i` when `bad(i)` (its direct arguments read
/// one); a grouping expression is grouped as a whole.
fn first_ungrouped(
    e: &Expr,
    groups: &[Expr],
    bad: &dyn Fn(usize) -> bool,
) -> Option<Option<usize>> {
    if groups.contains(e) {
        return None;
    }
    match e {
        Expr::Agg(i) => bad(*i).then_some(Some(*i)),
        Expr::Column(_) => Some(None),
        _ => e
            .children()
            .into_iter()
            .find_map(|c| first_ungrouped(c, groups, bad)),
    }
}

/// The smallest depth of the outer references in `e` (`usize::MAX` without any).
fn min_outer_depth(e: &Expr) -> usize {
    let own = match e {
        Expr::Outer { depth, .. } => *depth,
        _ => usize::MAX,
    };
    e.children()
        .into_iter()
        .map(min_outer_depth)
        .fold(own, usize::min)
}

/// Rewrites an expression over the FROM row into one over the aggregate's output row.
fn post_agg(
    e: Expr,
    groups: &[Expr],
    ngroups: usize,
    scope: &Scope,
    locate: &dyn Fn(usize) -> Option<u32>,
) -> Result<Expr, SqlError> {
    if let Some(i) = groups.iter().position(|g| *g == e) {
        return Ok(Expr::Column(i));
    }
    match e {
        Expr::Agg(i) => Ok(Expr::Column(ngroups + i)),
        Expr::Window(i) => Ok(Expr::Window(i)),
        Expr::Srf(i) => Ok(Expr::Srf(i)),
        Expr::Column(c) => {
            let name = scope
                .cols
                .get(c)
                .map_or(String::new(), |col| match &col.table {
                    Some(t) => format!("{t}.{}", col.name),
                    None => col.name.clone(),
                });
            Err(err(
                "42803",
                format!(
                    "column \"{name}\" must appear in the GROUP BY clause or be used in an aggregate function"
                ),
            )
            .at(locate(c)))
        }
        Expr::Const(_) | Expr::Param(_) | Expr::Outer { .. } => Ok(e),
        Expr::Subquery(mut s) => {
            // The subquery's own operands are over this query's row too.
            match &mut s.kind {
                SubqueryKind::Quantified { left, .. } => {
                    let l = std::mem::replace(left.as_mut(), Expr::Const(Value::Null));
                    **left = post_agg(l, groups, ngroups, scope, locate)?;
                }
                SubqueryKind::RowQuantified { left, .. }
                | SubqueryKind::RowCompare { left, .. } => {
                    *left = std::mem::take(left)
                        .into_iter()
                        .map(|l| post_agg(l, groups, ngroups, scope, locate))
                        .collect::<Result<_, _>>()?;
                }
                _ => {}
            }
            // What it reads of this query's row: group keys, or this query's aggregates.
            if !s.outer_refs.is_empty() {
                let width = scope.cols.len();
                let len = s.outer_refs.iter().max().map_or(0, |m| m + 1).max(width);
                let mut map = vec![Expr::Const(Value::Null); len];
                for (k, &c) in s.outer_refs.iter().enumerate() {
                    map[c] = if c >= width {
                        Expr::Column(ngroups + (c - width))
                    } else if let Some(g) = groups.iter().position(|g| *g == Expr::Column(c)) {
                        Expr::Column(g)
                    } else {
                        let name =
                            scope
                                .cols
                                .get(c)
                                .map_or(String::new(), |col| match &col.table {
                                    Some(t) => format!("{t}.{}", col.name),
                                    None => col.name.clone(),
                                });
                        return Err(err(
                            "42803",
                            format!("subquery uses ungrouped column \"{name}\" from outer query"),
                        )
                        .at(s.outer_positions.get(k).copied().flatten()));
                    };
                }
                s.outer_map = Some(map);
            }
            Ok(Expr::Subquery(s))
        }
        other => {
            // Recurse one level: rebuild children through post_agg.
            try_rebuild_children(other, &mut |c| post_agg(c, groups, ngroups, scope, locate))
        }
    }
}

/// Columns functionally dependent on grouped primary keys (PostgreSQL allows selecting any
/// column of a table whose primary key is grouped) become extra group keys.
fn add_dependent_groups(
    groups: &mut Vec<Expr>,
    targets: &[Expr],
    order: &[SortKey],
    having: Option<&Expr>,
    scope: &Scope,
    catalog: &Catalog,
) {
    if groups.is_empty() {
        return;
    }
    // A table is grouped by its primary key per FROM entry: `a` grouped by `a.pk` says
    // nothing of `b.x` when b is the same table under another alias.
    let mut entries: Vec<(u32, &Option<String>)> = Vec::new();
    for c in &scope.cols {
        if let Some((t, _)) = c.origin
            && !entries.contains(&(t, &c.table))
        {
            entries.push((t, &c.table));
        }
    }
    let grouped_tables: Vec<(u32, &Option<String>)> = entries
        .into_iter()
        .filter(|(oid, q)| {
            catalog.tables.values().any(|t| {
                t.oid == *oid
                    && t.primary_key.as_ref().is_some_and(|pk| {
                        pk.iter().all(|pc| {
                            groups.iter().any(|g| {
                                matches!(g, Expr::Column(i)
                                if scope.cols.get(*i).is_some_and(|c| {
                                    c.origin == Some((t.oid, *pc)) && c.table == **q
                                }))
                            })
                        })
                    })
            })
        })
        .collect();
    if grouped_tables.is_empty() {
        return;
    }
    let mut cols = Vec::new();
    let mut visit = |e: &Expr| {
        let mut v = Vec::new();
        collect_non_agg_columns(e, &mut v);
        cols.extend(v);
    };
    for t in targets {
        visit(t);
    }
    for k in order {
        visit(&k.expr);
    }
    if let Some(h) = having {
        visit(h);
    }
    for c in cols {
        let Some(col) = scope.cols.get(c) else {
            continue;
        };
        let Some((t, _)) = col.origin else {
            continue;
        };
        if grouped_tables.contains(&(t, &col.table)) && !groups.contains(&Expr::Column(c)) {
            groups.push(Expr::Column(c));
        }
    }
}

/// Replaces `GROUPING(...)` placeholders by references to the aggregation's grouping columns
/// (numbered after the aggregates, so `post_agg` maps them like aggregates).
fn extract_grouping(
    e: Expr,
    groups: &[Expr],
    naggs: usize,
    calls: &mut Vec<Vec<usize>>,
) -> Result<Expr, SqlError> {
    match e {
        Expr::Grouping(args, at) => {
            let mut bits = Vec::with_capacity(args.len());
            for (k, a) in args.iter().enumerate() {
                match groups.iter().position(|g| g == a) {
                    Some(i) => bits.push(i),
                    None => {
                        return Err(err(
                            "42803",
                            "arguments to GROUPING must be grouping expressions of the associated query level",
                        )
                        .at(at.get(k).copied().flatten()));
                    }
                }
            }
            let k = match calls.iter().position(|c| *c == bits) {
                Some(k) => k,
                None => {
                    calls.push(bits);
                    calls.len() - 1
                }
            };
            Ok(Expr::Agg(naggs + k))
        }
        Expr::Subquery(_) | Expr::Agg(_) => Ok(e),
        other => {
            if !other.any(&|x| matches!(x, Expr::Grouping(..))) {
                return Ok(other);
            }
            try_rebuild_children(other, &mut |c| extract_grouping(c, groups, naggs, calls))
        }
    }
}

fn collect_non_agg_columns(e: &Expr, out: &mut Vec<usize>) {
    match e {
        Expr::Column(i) => out.push(*i),
        Expr::Subquery(s) => out.extend(&s.outer_refs),
        Expr::Agg(_) | Expr::Grouping(..) => {}
        e => {
            for c in e.children() {
                collect_non_agg_columns(c, out);
            }
        }
    }
}

/// Applies `f` to each direct child of `e`.
/// [`rebuild_children`] with a fallible `f`: the first error is returned (the children after
/// it are left as they are).
fn try_rebuild_children(
    e: Expr,
    f: &mut dyn FnMut(Expr) -> Result<Expr, SqlError>,
) -> Result<Expr, SqlError> {
    let mut failed = None;
    let rebuilt = rebuild_children(e, &mut |c| {
        if failed.is_some() {
            return c;
        }
        match f(c) {
            Ok(x) => x,
            Err(e) => {
                failed = Some(e);
                Expr::Const(Value::Null)
            }
        }
    });
    match failed {
        Some(e) => Err(e),
        None => Ok(rebuilt),
    }
}

fn rebuild_children(e: Expr, f: &mut dyn FnMut(Expr) -> Expr) -> Expr {
    let b = |x: Box<Expr>, f: &mut dyn FnMut(Expr) -> Expr| Box::new(f(*x));
    match e {
        Expr::And(a, c) => {
            let a = b(a, f);
            Expr::And(a, b(c, f))
        }
        Expr::Or(a, c) => {
            let a = b(a, f);
            Expr::Or(a, b(c, f))
        }
        Expr::Cmp(o, a, c) => {
            let a = b(a, f);
            Expr::Cmp(o, a, b(c, f))
        }
        Expr::Distinct(a, c, n) => {
            let a = b(a, f);
            Expr::Distinct(a, b(c, f), n)
        }
        Expr::Arith(o, a, c) => {
            let a = b(a, f);
            Expr::Arith(o, a, b(c, f))
        }
        Expr::NullIf(a, c) => {
            let a = b(a, f);
            Expr::NullIf(a, b(c, f))
        }
        Expr::Subscript { array, subs, slice } => {
            let array = b(array, f);
            Expr::Subscript {
                array,
                subs: subs
                    .into_iter()
                    .map(|(l, u)| (l.map(&mut *f), u.map(&mut *f)))
                    .collect(),
                slice,
            }
        }
        Expr::ArrayCmp {
            left,
            op,
            right,
            all,
        } => {
            let left = b(left, f);
            Expr::ArrayCmp {
                left,
                op,
                right: b(right, f),
                all,
            }
        }
        Expr::ArrayOp {
            left,
            func,
            strict,
            right,
            all,
        } => {
            let left = b(left, f);
            Expr::ArrayOp {
                left,
                func,
                strict,
                right: b(right, f),
                all,
            }
        }
        Expr::Not(a) => Expr::Not(b(a, f)),
        Expr::IsNull(a, n) => Expr::IsNull(b(a, f), n),
        Expr::BoolTest(a, t) => Expr::BoolTest(b(a, f), t),
        Expr::Neg(a) => Expr::Neg(b(a, f)),
        Expr::Cast(a, t, k) => Expr::Cast(b(a, f), t, k),
        Expr::RegCast {
            arg,
            kind,
            cat,
            missing_ok,
        } => Expr::RegCast {
            arg: b(arg, f),
            kind,
            cat,
            missing_ok,
        },
        Expr::Func { func, args, strict } => Expr::Func {
            func,
            args: args.into_iter().map(&mut *f).collect(),
            strict,
        },
        Expr::Coalesce(a) => Expr::Coalesce(a.into_iter().map(&mut *f).collect()),
        Expr::MinMax(a, g) => Expr::MinMax(a.into_iter().map(&mut *f).collect(), g),
        Expr::Array(a, t) => Expr::Array(a.into_iter().map(&mut *f).collect(), t),
        Expr::Sequence(s, a) => Expr::Sequence(s, a.into_iter().map(&mut *f).collect()),
        Expr::Grouping(a, l) => Expr::Grouping(a.into_iter().map(&mut *f).collect(), l),
        Expr::Case { whens, otherwise } => Expr::Case {
            whens: whens.into_iter().map(|(a, c)| (f(a), f(c))).collect(),
            otherwise: b(otherwise, f),
        },
        Expr::InList(a, l, n) => {
            let a = b(a, f);
            Expr::InList(a, l.into_iter().map(&mut *f).collect(), n)
        }
        e => e,
    }
}

/// NOT of a bound condition, pushed down as PostgreSQL's planner does (`negate_clause`): NOT of
/// AND / OR by De Morgan, of a comparison as the opposite comparison, of `[NOT] IN` as the other
/// one, of NOT as its argument, of a constant as a constant. (IS NULL stays under NOT: on a
/// row, NOT IS NULL is not IS NOT NULL.)
pub fn negate(e: Expr) -> Expr {
    match e {
        Expr::Const(Value::Bool(v)) => Expr::Const(Value::Bool(!v)),
        Expr::Const(Value::Null) => Expr::Const(Value::Null),
        Expr::Not(a) => *a,
        Expr::And(a, b) => Expr::Or(Box::new(negate(*a)), Box::new(negate(*b))),
        Expr::Or(a, b) => Expr::And(Box::new(negate(*a)), Box::new(negate(*b))),
        Expr::Cmp(op, a, b) => Expr::Cmp(op.negate(), a, b),
        Expr::InList(a, l, not) => Expr::InList(a, l, !not),
        e => Expr::Not(Box::new(e)),
    }
}

/// Folds an expression whose operands are all constants.
pub fn fold(e: Expr, types: &TypeContext) -> Expr {
    fold_checked(e, types).0
}

/// Whether PostgreSQL's cast between these types is immutable, so that its planner runs it on
/// a constant (casts from or to the date/time types depend on settings: only stable).
fn immutable_cast(from: &DataType, to: &DataType) -> bool {
    let plain = |t: &DataType| {
        matches!(
            t,
            DataType::Bool
                | DataType::Int2
                | DataType::Int4
                | DataType::Int8
                | DataType::Float4
                | DataType::Float8
                | DataType::Numeric(_)
                | DataType::Text
                | DataType::Varchar(_)
                | DataType::Bpchar(_)
        )
    };
    plain(from) && plain(to)
}

/// [`fold`], also returning the error when evaluating an all-constant expression failed
/// (the expression is then returned unchanged, to fail when it runs).
pub fn fold_checked(e: Expr, types: &TypeContext) -> (Expr, Option<SqlError>) {
    let all_const = e.children().iter().all(|c| matches!(c, Expr::Const(_)));
    if !all_const
        || matches!(
            e,
            Expr::Subquery(_) | Expr::Sequence(..) | Expr::Param(_) | Expr::Grouping(..)
        )
    {
        return (e, None);
    }
    if e.children().is_empty() {
        return (e, None);
    }
    let ctx = const_context(types);
    // Evaluate without a transaction: only pure expressions reach here.
    match crate::exec::eval_const_result(&e, ctx) {
        Ok(v) => (Expr::Const(v), None),
        Err(x) => (e, Some(x)),
    }
}

/// Wraps a plan in a projection that casts its columns from `from` to `to` types.
pub fn coerce_plan(
    plan: Plan,
    from: &[DataType],
    to: &[DataType],
    b: &mut Binder<'_>,
) -> Result<Plan, SqlError> {
    if from == to {
        return Ok(plan);
    }
    let mut plan = plan;
    let mut from = from.to_vec();
    coerce_literals(&mut plan, &mut from, to, b, CastContext::Implicit)?;
    let from = from.as_slice();
    if from == to {
        return Ok(plan);
    }
    let mut exprs = Vec::new();
    let mut changed = false;
    for (i, (f, t)) in from.iter().zip(to).enumerate() {
        let e = b.coerce(Expr::Column(i), f, t, CastContext::Implicit)?;
        changed |= e != Expr::Column(i);
        exprs.push(e);
    }
    if !changed {
        return Ok(plan);
    }
    Ok(Plan::Project {
        input: Box::new(plan),
        exprs,
    })
}

/// Converts the untyped literals among a plan's output columns (a projection's or VALUES
/// rows') to the types wanted, as PostgreSQL does while parsing (so a bad one fails even if
/// no row would reach it, and the error points at it); `from` then says the new types.
pub fn coerce_literals(
    plan: &mut Plan,
    from: &mut [DataType],
    to: &[DataType],
    b: &mut Binder<'_>,
    context: CastContext,
) -> Result<(), SqlError> {
    let literal_rows: Vec<&mut Vec<Expr>> = match plan {
        // ORDER BY, LIMIT and DISTINCT pass the projected columns through unchanged.
        Plan::Limit { input, .. } | Plan::Sort { input, .. } | Plan::Distinct { input, .. } => {
            return coerce_literals(input, from, to, b, context);
        }
        Plan::Project { exprs, .. } => vec![exprs],
        Plan::Values { rows, .. } => rows.iter_mut().collect(),
        _ => Vec::new(),
    };
    let mut converted = vec![true; from.len()];
    let mut any_row = false;
    for row in literal_rows {
        any_row = true;
        for (i, (f, t)) in from.iter().zip(to).enumerate() {
            if *f != DataType::Unknown || f == t {
                converted[i] = false;
                continue;
            }
            match row.get_mut(i) {
                // An untyped parameter takes the target's type, as PostgreSQL's
                // `INSERT ... SELECT $1` gives `$1` the column's.
                Some(e @ (Expr::Const(_) | Expr::Param(_))) => {
                    let c = std::mem::replace(e, Expr::Const(Value::Null));
                    *e = b.coerce(c, f, t, context)?;
                }
                _ => converted[i] = false,
            }
        }
    }
    for (i, ok) in converted.into_iter().enumerate() {
        if ok
            && any_row
            && let Some(t) = to.get(i)
        {
            from[i] = t.clone();
        }
    }
    Ok(())
}

/// A map of names to use for a table's columns (for DML scopes).
pub fn table_scope(t: &Table, qualifier: &str) -> Scope {
    Scope {
        cols: t
            .columns
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

/// The last field of an interval type's range (`INTERVAL DAY`, `INTERVAL HOUR TO MINUTE`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IntervalField {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
}

impl IntervalField {
    fn unit(self) -> &'static str {
        match self {
            IntervalField::Year => "years",
            IntervalField::Month => "months",
            IntervalField::Day => "days",
            IntervalField::Hour => "hours",
            IntervalField::Minute => "minutes",
            IntervalField::Second => "seconds",
        }
    }
}

/// A named call argument: the name, its bound expression and its type.
pub(crate) type NamedArg = (String, Expr, DataType);

/// A call's bound arguments: the positional ones, then the named ones.
pub(crate) type CallArgs = (Vec<(Expr, DataType)>, Vec<NamedArg>);

/// 42883 `function name(types) does not exist`.
fn missing_function(name: &str, types: &[DataType], location: i32) -> SqlError {
    let sig = crate::sqlfunc::type_list(types);
    err("42883", format!("function {name}({sig}) does not exist"))
        .with_hint("No function matches the given name and argument types. You might need to add explicit type casts.")
        .at(pos(location))
}

/// The field bit mask of `INTERVAL <fields>` (PostgreSQL's `INTERVAL_MASK` bits).
fn interval_mask(tn: &protobuf::TypeName) -> Option<i32> {
    match tn.typmods.first()?.node.as_ref()? {
        Node::AConst(c) => match c.val.as_ref()? {
            protobuf::a_const::Val::Ival(i) => Some(i.ival),
            _ => None,
        },
        _ => None,
    }
}

/// The fractional-second precision of `INTERVAL(p)` / `INTERVAL ... SECOND(p)` (the
/// type's second modifier).
fn interval_precision(tn: &protobuf::TypeName) -> Option<u8> {
    match tn.typmods.get(1)?.node.as_ref()? {
        Node::AConst(c) => match c.val.as_ref()? {
            protobuf::a_const::Val::Ival(i) => u8::try_from(i.ival).ok().map(|p| p.min(6)),
            _ => None,
        },
        _ => None,
    }
}

/// The range of `INTERVAL <fields>` from the type's modifier (PostgreSQL's field bit mask),
/// `None` for a plain interval.
fn interval_range_field(tn: &protobuf::TypeName) -> Option<IntervalField> {
    let mask = match tn.typmods.first()?.node.as_ref()? {
        Node::AConst(c) => match c.val.as_ref()? {
            protobuf::a_const::Val::Ival(i) => i.ival,
            _ => return None,
        },
        _ => return None,
    };
    const FULL_RANGE: i32 = 0x7FFF;
    if mask == FULL_RANGE {
        return None;
    }
    let bit = |b: i32| mask & (1 << b) != 0;
    Some(if bit(12) {
        IntervalField::Second
    } else if bit(11) {
        IntervalField::Minute
    } else if bit(10) {
        IntervalField::Hour
    } else if bit(3) {
        IntervalField::Day
    } else if bit(1) {
        IntervalField::Month
    } else if bit(2) {
        IntervalField::Year
    } else {
        return None;
    })
}
