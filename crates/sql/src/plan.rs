//! Query plans: the tree the binder builds and the optimizer rewrites, which the executor
//! ([`crate::exec`]) runs. Every node produces rows of a fixed width ([`Plan::width`]); column
//! references in a node's expressions are positions in its input's row (for joins: the left
//! row followed by the right row).

use basalt_common::types::Value;
use basalt_func::{ResolvedAggregate, ResolvedTableFunction};

use crate::expr::Expr;

/// Join kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// INNER / CROSS
    Inner,
    /// LEFT
    Left,
    /// RIGHT
    Right,
    /// FULL
    Full,
    /// Semi-join (rows of the left side with a match).
    Semi,
    /// Anti-join (rows of the left side without a match).
    Anti,
}

/// Set operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOpKind {
    /// UNION
    Union,
    /// INTERSECT
    Intersect,
    /// EXCEPT
    Except,
}

/// A sort key.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// The expression.
    pub expr: Expr,
    /// DESC.
    pub desc: bool,
    /// NULLS FIRST.
    pub nulls_first: bool,
}

/// An aggregate call.
#[derive(Debug, Clone, PartialEq)]
pub struct AggCall {
    /// The aggregate.
    pub func: ResolvedAggregate,
    /// Arguments.
    pub args: Vec<Expr>,
    /// DISTINCT.
    pub distinct: bool,
    /// FILTER (WHERE ...).
    pub filter: Option<Expr>,
    /// ORDER BY inside the call.
    pub order_by: Vec<SortKey>,
    /// A user-defined aggregate's transition and final steps (`func` is then
    /// [`basalt_func::agg::AggFunc::User`]).
    pub user: Option<Box<UserAggCall>>,
}

/// How the executor runs a user-defined aggregate (`crate::useragg`).
#[derive(Debug, Clone, PartialEq)]
pub struct UserAggCall {
    /// The transition call over a row of (state, arguments...), as columns 0, 1, ...
    pub trans: Expr,
    /// The transition function is STRICT: rows with a NULL argument are skipped, and with
    /// a NULL initial state the first row's argument becomes the state.
    pub strict: bool,
    /// The initial state (`INITCOND`, NULL without one).
    pub init: Value,
    /// The final call over a row of (state), if any.
    pub fin: Option<Expr>,
}

/// A window function.
#[derive(Debug, Clone, PartialEq)]
pub enum WindowFunc {
    /// row_number()
    RowNumber,
    /// rank()
    Rank,
    /// dense_rank()
    DenseRank,
    /// percent_rank()
    PercentRank,
    /// cume_dist()
    CumeDist,
    /// ntile(n)
    Ntile,
    /// lag(x [, offset [, default]])
    Lag,
    /// lead(x [, offset [, default]])
    Lead,
    /// first_value(x)
    FirstValue,
    /// last_value(x)
    LastValue,
    /// nth_value(x, n)
    NthValue,
    /// An aggregate over the frame.
    Agg(ResolvedAggregate),
    /// A user-defined aggregate over the frame.
    User(Box<UserAggCall>),
}

/// A frame bound.
#[derive(Debug, Clone, PartialEq)]
pub enum FrameBound {
    /// UNBOUNDED PRECEDING
    UnboundedPreceding,
    /// n PRECEDING
    Preceding(Expr),
    /// CURRENT ROW
    CurrentRow,
    /// n FOLLOWING
    Following(Expr),
    /// UNBOUNDED FOLLOWING
    UnboundedFollowing,
}

/// A window frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// ROWS (true) or RANGE / GROUPS (false: peers count together).
    pub rows: bool,
    /// GROUPS: offsets count peer groups.
    pub groups: bool,
    /// Start.
    pub start: FrameBound,
    /// End.
    pub end: FrameBound,
    /// EXCLUDE: rows of the frame left out.
    pub exclude: FrameExclude,
}

/// A frame's EXCLUDE clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FrameExclude {
    /// EXCLUDE NO OTHERS (the default).
    #[default]
    NoOthers,
    /// EXCLUDE CURRENT ROW.
    CurrentRow,
    /// EXCLUDE GROUP: the current row and its peers.
    Group,
    /// EXCLUDE TIES: the current row's peers, but not the row itself.
    Ties,
}

/// A window function call.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowCall {
    /// The function.
    pub func: WindowFunc,
    /// Arguments.
    pub args: Vec<Expr>,
    /// PARTITION BY.
    pub partition_by: Vec<Expr>,
    /// ORDER BY.
    pub order_by: Vec<SortKey>,
    /// The frame.
    pub frame: Frame,
    /// FILTER for aggregates.
    pub filter: Option<Expr>,
}

/// A row lock taken by a scan (`SELECT ... FOR UPDATE / FOR SHARE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowLock {
    /// Exclusive (FOR UPDATE / FOR NO KEY UPDATE) or shared (FOR SHARE / FOR KEY SHARE).
    pub exclusive: bool,
    /// NOWAIT.
    pub nowait: bool,
    /// SKIP LOCKED.
    pub skip_locked: bool,
}

/// How a table is read.
#[derive(Debug, Clone, PartialEq)]
pub enum Access {
    /// Every row.
    Full,
    /// The rows whose primary key equals these values.
    PrimaryKey(Vec<Expr>),
    /// Rows found by an index: equality on the first `eq.len()` keys.
    Index {
        /// The index OID.
        index: u32,
        /// Values of the leading key columns.
        eq: Vec<Expr>,
    },
    /// A key range of the primary key (`index: None`) or of an index: equality on the
    /// first `eq.len()` key columns, then bounds on the next one.
    Range {
        /// The index OID, or `None` for the primary key.
        index: Option<u32>,
        /// Values of the leading key columns.
        eq: Vec<Expr>,
        /// Lower bound on the next key column, and whether it is inclusive.
        lower: Option<(Expr, bool)>,
        /// Upper bound on the next key column, and whether it is inclusive.
        upper: Option<(Expr, bool)>,
    },
    /// `WHERE CURRENT OF cursor`: the row the cursor is on, whose key is only known when the
    /// statement runs ([`Access::RowKey`] replaces this then).
    CurrentOf,
    /// The row with this row key (the `t` + OID + key bytes), if it exists; an empty key
    /// finds nothing.
    RowKey(Vec<u8>),
}

/// A plan node.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// One row with no columns.
    Unit,
    /// No rows.
    Empty {
        /// Width.
        width: usize,
    },
    /// VALUES lists.
    Values {
        /// Rows of expressions.
        rows: Vec<Vec<Expr>>,
        /// Width.
        width: usize,
    },
    /// A table read.
    Scan {
        /// Table OID.
        table: u32,
        /// Table name (for EXPLAIN).
        name: String,
        /// The FROM entry's alias when it differs from the table name (for EXPLAIN, which
        /// shows it after the name and qualifies columns with it, as PostgreSQL does).
        alias: Option<String>,
        /// Number of columns.
        width: usize,
        /// How rows are found.
        access: Access,
        /// Filter applied to each row.
        filter: Option<Expr>,
        /// Append the row's key as a trailing `bytea` column (for UPDATE/DELETE).
        emit_key: bool,
        /// SELECT ... FOR UPDATE / FOR SHARE: lock each row returned.
        lock: Option<RowLock>,
    },
    /// WHERE / HAVING.
    Filter {
        /// Input.
        input: Box<Plan>,
        /// Predicate.
        pred: Expr,
    },
    /// Computes output columns.
    Project {
        /// Input.
        input: Box<Plan>,
        /// One expression per output column.
        exprs: Vec<Expr>,
    },
    /// A join. With `lateral`, the right side is re-run for each left row, which it sees as
    /// its nearest enclosing row ([`Expr::Outer`] depth 1).
    Join {
        /// Kind.
        kind: JoinKind,
        /// Left input.
        left: Box<Plan>,
        /// Right input.
        right: Box<Plan>,
        /// Join condition over left ++ right.
        on: Option<Expr>,
        /// Equality keys (left expression, right expression) for a hash join; empty means
        /// nested loop.
        hash_keys: Vec<(Expr, Expr)>,
        /// LATERAL right side.
        lateral: bool,
    },
    /// GROUP BY / aggregates: output is the group values followed by the aggregates, then one
    /// column per `GROUPING(...)` call.
    Aggregate {
        /// Input.
        input: Box<Plan>,
        /// Group expressions (with grouping sets: every expression any set uses).
        groups: Vec<Expr>,
        /// Aggregates.
        aggs: Vec<AggCall>,
        /// Grouping sets as indexes into `groups`; empty for a plain GROUP BY (one set of all
        /// groups). A group absent from the set that produced a row is NULL in that row.
        sets: Vec<Vec<usize>>,
        /// `GROUPING(...)` calls as indexes into `groups`: bit set (first argument most
        /// significant) when that group is absent from the row's set.
        grouping: Vec<Vec<usize>>,
    },
    /// Window functions: output is the input row followed by one column per call.
    Window {
        /// Input.
        input: Box<Plan>,
        /// Calls.
        calls: Vec<WindowCall>,
    },
    /// ORDER BY.
    Sort {
        /// Input.
        input: Box<Plan>,
        /// Keys.
        keys: Vec<SortKey>,
    },
    /// LIMIT / OFFSET.
    Limit {
        /// Input.
        input: Box<Plan>,
        /// LIMIT.
        limit: Option<Expr>,
        /// OFFSET.
        offset: Option<Expr>,
        /// FETCH ... WITH TIES: the ORDER BY keys; rows equal to the last one returned under
        /// them are returned too.
        ties: Vec<SortKey>,
    },
    /// DISTINCT (all columns) or DISTINCT ON (the given expressions; input sorted by them).
    Distinct {
        /// Input.
        input: Box<Plan>,
        /// DISTINCT ON expressions.
        on: Option<Vec<Expr>>,
    },
    /// UNION / INTERSECT / EXCEPT.
    SetOp {
        /// Operation.
        op: SetOpKind,
        /// ALL.
        all: bool,
        /// Left.
        left: Box<Plan>,
        /// Right.
        right: Box<Plan>,
    },
    /// Set-returning functions in FROM (`f(...)`, `ROWS FROM (f(...), g(...))`,
    /// `unnest(a, b)`): run side by side, each function's rows padded with NULLs to the
    /// longest.
    TableFunction {
        /// The calls; their columns follow each other.
        calls: Vec<SrfCall>,
        /// Add an ordinality column.
        ordinality: bool,
    },
    /// Set-returning functions of a select list: for each input row, the input row
    /// followed by one column per call, as many rows as the longest call returns (shorter
    /// ones padded with NULL; no row when every call returns none).
    ProjectSet {
        /// Input.
        input: Box<Plan>,
        /// The calls (each returns one column).
        calls: Vec<SrfCall>,
    },
    /// Rows of a WITH query, computed once per statement.
    CteScan {
        /// The CTE's id in the statement.
        id: usize,
        /// Width.
        width: usize,
    },
    /// A statement-level WITH: computes the CTEs, then runs `input`.
    With {
        /// (id, plan, recursive part) of each CTE, in order.
        ctes: Vec<Cte>,
        /// The main query.
        input: Box<Plan>,
    },
    /// The working table of a recursive CTE while its recursive part runs.
    WorkTable {
        /// The CTE id.
        id: usize,
        /// Width.
        width: usize,
    },
}

/// A set-returning function call.
#[derive(Debug, Clone, PartialEq)]
pub struct SrfCall {
    /// The function.
    pub func: ResolvedTableFunction,
    /// Arguments (over the input row for [`Plan::ProjectSet`]).
    pub args: Vec<Expr>,
    /// In a select list: the call's columns make one record value (`jsonb_each(j)` is
    /// `(key,value)`), named after the columns.
    pub record: bool,
}

/// A WITH query.
#[derive(Debug, Clone, PartialEq)]
pub struct Cte {
    /// Id.
    pub id: usize,
    /// The (non-recursive part of the) query.
    pub plan: Plan,
    /// For WITH RECURSIVE: the recursive term and whether it is UNION ALL.
    pub recursive: Option<(Plan, bool)>,
}

impl Plan {
    /// Number of output columns.
    pub fn width(&self) -> usize {
        match self {
            Plan::Unit => 0,
            Plan::Scan {
                width, emit_key, ..
            } => width + usize::from(*emit_key),
            Plan::Empty { width }
            | Plan::Values { width, .. }
            | Plan::CteScan { width, .. }
            | Plan::WorkTable { width, .. } => *width,
            Plan::Filter { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::Distinct { input, .. }
            | Plan::With { input, .. } => input.width(),
            Plan::Project { exprs, .. } => exprs.len(),
            Plan::Join {
                kind, left, right, ..
            } => match kind {
                JoinKind::Semi | JoinKind::Anti => left.width(),
                _ => left.width() + right.width(),
            },
            Plan::Aggregate {
                groups,
                aggs,
                grouping,
                ..
            } => groups.len() + aggs.len() + grouping.len(),
            Plan::Window { input, calls } => input.width() + calls.len(),
            Plan::SetOp { left, .. } => left.width(),
            Plan::TableFunction { calls, ordinality } => {
                calls.iter().map(|c| c.func.columns.len()).sum::<usize>() + usize::from(*ordinality)
            }
            Plan::ProjectSet { input, calls } => input.width() + calls.len(),
        }
    }
}
