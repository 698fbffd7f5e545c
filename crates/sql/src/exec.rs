//! The executor: pull-based operators built from a [`Plan`].
//!
//! [`open`] turns a plan into a tree of [`Node`]s; each `next` call returns one row. Scans,
//! filters, projections, limits and the probe side of joins stream; sorts, aggregations, set
//! operations, window functions and hash-join build sides materialize their input, charging
//! its size to the statement's memory budget ([`Cx::charge`]): a query that would exceed it
//! fails with 53200 instead of taking the machine down.
//!
//! Reads go through the statement's key-value transaction ([`Cx::txn`]) at its snapshot.
//! Correlated subqueries and LATERAL joins push the enclosing row onto [`Cx`]'s outer stack
//! while they run.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use basalt_common::types::{DataType, Value, cast::cast as cast_value};
use basalt_func::{EvalContext, call_table_function, new_accumulator};
use basalt_storage::{Direction, KeyRange};
use basalt_txn::{Transaction, TxnScan};

use crate::catalog::Catalog;
use crate::error::SqlError;
use crate::expr::{Expr, Row, SeqFunc, Subquery, eval, truth};
use crate::plan::{
    Access, AggCall, Cte, FrameBound, FrameExclude, JoinKind, Plan, SetOpKind, SortKey, SrfCall,
    UserAggCall, WindowCall, WindowFunc,
};
use crate::row::{decode_row, index_prefix, push_key_values, table_prefix};

/// A sequence's state, as `SELECT last_value, log_cnt, is_called FROM seq` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqState {
    /// The last value taken (or the next one, when not `called`).
    pub last: i64,
    /// Values written ahead to storage beyond `last`.
    pub log_cnt: i64,
    /// Whether `last` was taken.
    pub called: bool,
}

/// Sequence functions, implemented by the session (they write outside the transaction).
pub trait Sequences {
    /// Runs `nextval`/`currval`/`setval`/`lastval` and reads of a sequence's columns.
    fn call(&mut self, catalog: &Catalog, f: SeqFunc, args: &[Value]) -> Result<Value, SqlError>;
    /// The next hidden row id of a table without a primary key.
    fn row_id(&mut self, table: u32) -> Result<u64, SqlError>;
    /// The current state of a sequence.
    fn state(&mut self, seq: &crate::catalog::Sequence) -> Result<SeqState, SqlError>;
    /// ALTER SEQUENCE: drops the values written ahead, or restarts at a value; private to the
    /// transaction block until it commits, undone by a rollback.
    fn reset(
        &mut self,
        seq: &crate::catalog::Sequence,
        restart: Option<i64>,
    ) -> Result<(), SqlError>;
}

/// Everything a running statement needs.
pub struct Cx<'a> {
    /// The key-value transaction.
    pub txn: &'a mut dyn Transaction,
    /// The catalog in force.
    pub catalog: &'a Catalog,
    /// Statement parameters.
    pub params: &'a [Value],
    /// Function context (time zone, timestamps).
    pub func: EvalContext,
    /// Sequence access.
    pub sequences: &'a mut dyn Sequences,
    /// The statement's commands and what they wrote, when its reads go through a
    /// [`crate::snapshot::StatementSnapshot`] over that log (then [`Cx::txn`] is one).
    pub commands: Option<crate::snapshot::Commands>,
    /// The transaction block's deferred foreign-key checks; without it every check is
    /// immediate.
    pub deferred: Option<&'a mut crate::deferred::Deferred>,
    /// SQL-language function calls: search path, bound bodies, nesting depth.
    pub calls: crate::sqlfunc::CallState,
    outer: Vec<Row>,
    subquery_cache: IdMap<Arc<Vec<Row>>>,
    ctes: IdMap<Arc<Vec<Row>>>,
    /// Recursive WITH queries computed as their readers need rows (see [`LazyCte`]).
    lazy: IdMap<LazyCte>,
    memory: usize,
    memory_limit: usize,
    /// Calls of [`Cx::tick`] so far (the interrupt flag is read every
    /// [`INTERRUPT_EVERY`]th).
    ticks: u32,
}

/// How many rows a long-running loop handles between two reads of the interrupt flag.
pub const INTERRUPT_EVERY: u32 = 256;

/// Default memory budget of one statement's materialized rows.
pub const DEFAULT_MEMORY_LIMIT: usize = 4 << 30;

/// Maps keyed by plan-node ids: a fixed-seed hasher, as a context is made per statement and
/// std's random state costs a thread-local read for each map.
type IdMap<V> = HashMap<usize, V, foldhash::fast::FixedState>;

impl<'a> Cx<'a> {
    /// A context.
    pub fn new(
        txn: &'a mut dyn Transaction,
        catalog: &'a Catalog,
        params: &'a [Value],
        func: EvalContext,
        sequences: &'a mut dyn Sequences,
    ) -> Cx<'a> {
        Cx::with_calls(
            txn,
            catalog,
            params,
            func,
            sequences,
            crate::sqlfunc::CallState::default(),
        )
    }

    /// A context whose function calls start from `calls` (search path, read-only state).
    pub fn with_calls(
        txn: &'a mut dyn Transaction,
        catalog: &'a Catalog,
        params: &'a [Value],
        func: EvalContext,
        sequences: &'a mut dyn Sequences,
        calls: crate::sqlfunc::CallState,
    ) -> Cx<'a> {
        Cx {
            txn,
            catalog,
            params,
            func,
            sequences,
            commands: None,
            deferred: None,
            calls,
            outer: Vec::new(),
            subquery_cache: IdMap::default(),
            ctes: IdMap::default(),
            lazy: IdMap::default(),
            memory: 0,
            memory_limit: DEFAULT_MEMORY_LIMIT,
            ticks: 0,
        }
    }

    /// The value of an enclosing row's column.
    pub fn outer_value(&self, depth: usize, index: usize) -> Value {
        self.outer
            .len()
            .checked_sub(depth)
            .and_then(|i| self.outer.get(i))
            .and_then(|r| r.get(index))
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// Makes the rows of a WITH query computed outside this context visible to `CteScan`.
    pub fn set_cte(&mut self, id: usize, rows: Arc<Vec<Row>>) {
        self.ctes.insert(id, rows);
    }

    /// Runs a sequence function.
    pub fn sequence_call(&mut self, f: SeqFunc, args: &[Value]) -> Result<Value, SqlError> {
        if let SeqFunc::Size(size) = f {
            return crate::system::sizes::call(&mut *self.txn, self.catalog, size, args);
        }
        if f == SeqFunc::IndexCheck {
            return crate::system::check::call(self, args);
        }
        self.sequences.call(self.catalog, f, args)
    }

    /// Counts one row of a long-running loop (scan, join, aggregation input, insert, COPY,
    /// set-returning function, recursion) and, every [`INTERRUPT_EVERY`] rows, fails with
    /// 57014 if the statement was canceled or timed out.
    #[inline]
    pub fn tick(&mut self) -> Result<(), SqlError> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks.is_multiple_of(INTERRUPT_EVERY) {
            return self.check_interrupt();
        }
        Ok(())
    }

    /// Fails with 57014 if the statement was canceled or timed out.
    pub fn check_interrupt(&self) -> Result<(), SqlError> {
        match self
            .func
            .interrupt
            .as_ref()
            .and_then(basalt_common::Interrupt::raised)
        {
            Some(r) => Err(crate::interrupt::interrupted(r)),
            None => Ok(()),
        }
    }

    /// Charges materialized rows to the memory budget.
    pub fn charge(&mut self, row: &[Value]) -> Result<(), SqlError> {
        self.memory += 16 + row.iter().map(value_size).sum::<usize>();
        if self.memory > self.memory_limit {
            return Err(SqlError::new("53200", "out of memory").with_detail(format!(
                "The statement needs more than {} MB of working memory.",
                self.memory_limit >> 20
            )));
        }
        Ok(())
    }
}

/// What a query keeps in its context besides its operator tree: computed WITH queries, the
/// state of recursive ones, uncorrelated subqueries' rows and the memory charged. A cursor
/// that streams its query ([`crate::cursor`]) keeps its operator tree between statements, and
/// this with it: each `FETCH` runs in a fresh [`Cx`], into which it is put back.
#[derive(Default)]
pub(crate) struct QueryState {
    subquery_cache: IdMap<Arc<Vec<Row>>>,
    ctes: IdMap<Arc<Vec<Row>>>,
    lazy: IdMap<LazyCte>,
    memory: usize,
}

impl<'a> Cx<'a> {
    /// Takes the query's state out of the context (see [`QueryState`]).
    pub(crate) fn take_query_state(&mut self) -> QueryState {
        QueryState {
            subquery_cache: std::mem::take(&mut self.subquery_cache),
            ctes: std::mem::take(&mut self.ctes),
            lazy: std::mem::take(&mut self.lazy),
            memory: self.memory,
        }
    }

    /// Puts a query's state taken by [`Cx::take_query_state`] back, in a fresh context.
    pub(crate) fn restore_query_state(&mut self, s: QueryState) {
        self.subquery_cache = s.subquery_cache;
        self.ctes = s.ctes;
        self.lazy = s.lazy;
        self.memory = s.memory;
    }
}

fn value_size(v: &Value) -> usize {
    24 + match v {
        Value::Text(s) | Value::Bpchar(s) | Value::Json(s) => s.len(),
        Value::Bytea(b) => b.len(),
        Value::Array(a) => a.elements.iter().map(value_size).sum(),
        Value::Jsonb(_) => 64,
        _ => 0,
    }
}

/// An operator.
pub trait Node<'p> {
    /// The next row, or `None` at the end.
    fn next(&mut self, cx: &mut Cx<'_>) -> Result<Option<Row>, SqlError>;
}

/// A boxed operator. `Send`, as a cursor keeps its operator tree in the session between
/// statements ([`crate::cursor`]) and sessions move between threads.
pub(crate) type BoxNode<'p> = Box<dyn Node<'p> + Send + 'p>;

/// Runs a plan to completion.
pub fn collect(plan: &Plan, cx: &mut Cx<'_>) -> Result<Vec<Row>, SqlError> {
    let mut node = open(plan);
    let mut out = Vec::new();
    while let Some(r) = node.next(cx)? {
        cx.tick()?;
        cx.charge(&r)?;
        out.push(r);
    }
    Ok(out)
}

/// The rows of a plan that a statement writes as it reads them (UPDATE, DELETE, INSERT ...
/// SELECT). Streamed when the statement reads its own start ([`Cx::commands`], see
/// [`crate::snapshot`]), so that a volatile function evaluated for a row sees the rows written
/// before it, as in PostgreSQL; else collected first, as the reads would see the statement's
/// own writes.
pub enum WriteSource<'p> {
    /// Computed before the first write.
    Collected(std::vec::IntoIter<Row>),
    /// Pulled one at a time.
    Streamed(BoxNode<'p>),
}

impl<'p> WriteSource<'p> {
    /// The rows of `plan` for a statement running in `cx`.
    pub fn new(plan: &'p Plan, cx: &mut Cx<'_>) -> Result<Self, SqlError> {
        Ok(if cx.commands.is_some() {
            WriteSource::Streamed(open(plan))
        } else {
            WriteSource::Collected(collect(plan, cx)?.into_iter())
        })
    }

    /// The next row.
    pub fn next(&mut self, cx: &mut Cx<'_>) -> Result<Option<Row>, SqlError> {
        match self {
            WriteSource::Collected(rows) => Ok(rows.next()),
            WriteSource::Streamed(node) => node.next(cx),
        }
    }
}

/// Runs a subquery for the enclosing `row`.
pub fn run_subquery(
    s: &Subquery,
    row: &[Value],
    cx: &mut Cx<'_>,
) -> Result<Arc<Vec<Row>>, SqlError> {
    if !s.correlated
        && let Some(r) = cx.subquery_cache.get(&s.id)
    {
        return Ok(r.clone());
    }
    let outer = match &s.outer_map {
        Some(map) => {
            let mut r = Vec::with_capacity(map.len());
            for e in map {
                r.push(eval(e, row, cx)?);
            }
            r
        }
        None => row.to_vec(),
    };
    cx.outer.push(outer);
    let result = collect(&s.plan, cx);
    cx.outer.pop();
    let rows = Arc::new(result?);
    if !s.correlated {
        cx.subquery_cache.insert(s.id, rows.clone());
    }
    Ok(rows)
}

thread_local! {
    /// Per-node counters while EXPLAIN ANALYZE runs: plan node address → (rows, loops, time).
    static ANALYZE: std::cell::RefCell<Option<HashMap<usize, NodeStats>>> =
        const { std::cell::RefCell::new(None) };
}

/// What EXPLAIN ANALYZE measured for one plan node.
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeStats {
    /// Rows returned (over all loops).
    pub rows: u64,
    /// Times the node was started.
    pub loops: u64,
    /// Time spent in the node and its inputs.
    pub time: std::time::Duration,
}

/// Runs `f` with per-node counting on; returns its result and the counters.
pub fn with_analyze<R>(f: impl FnOnce() -> R) -> (R, HashMap<usize, NodeStats>) {
    ANALYZE.with(|a| *a.borrow_mut() = Some(HashMap::new()));
    let r = f();
    let stats = ANALYZE.with(|a| a.borrow_mut().take()).unwrap_or_default();
    (r, stats)
}

/// The key of a plan node in [`with_analyze`]'s counters.
pub fn node_id(plan: &Plan) -> usize {
    plan as *const Plan as usize
}

struct Counted<'p> {
    id: usize,
    inner: BoxNode<'p>,
}

impl<'p> Node<'p> for Counted<'p> {
    fn next(&mut self, cx: &mut Cx<'_>) -> Result<Option<Row>, SqlError> {
        let start = std::time::Instant::now();
        let r = self.inner.next(cx);
        let elapsed = start.elapsed();
        let produced = matches!(r, Ok(Some(_)));
        ANALYZE.with(|a| {
            if let Some(m) = a.borrow_mut().as_mut() {
                let e = m.entry(self.id).or_default();
                e.time += elapsed;
                e.rows += u64::from(produced);
            }
        });
        r
    }
}

/// Builds the operator tree of a plan.
pub fn open<'p>(plan: &'p Plan) -> BoxNode<'p> {
    let node = open_node(plan);
    let counting = ANALYZE.with(|a| {
        let mut a = a.borrow_mut();
        match a.as_mut() {
            Some(m) => {
                m.entry(node_id(plan)).or_default().loops += 1;
                true
            }
            None => false,
        }
    });
    if counting {
        Box::new(Counted {
            id: node_id(plan),
            inner: node,
        })
    } else {
        node
    }
}

fn open_node<'p>(plan: &'p Plan) -> BoxNode<'p> {
    match plan {
        Plan::Unit => Box::new(Rows::new(vec![Vec::new()])),
        Plan::Empty { .. } => Box::new(Rows::new(Vec::new())),
        Plan::Values { rows, .. } => Box::new(ValuesNode { rows, pos: 0 }),
        Plan::Scan {
            table,
            width,
            access,
            filter,
            emit_key,
            lock,
            ..
        } => Box::new(ScanNode {
            lock: *lock,
            table: *table,
            width: *width,
            access,
            filter: filter.as_ref(),
            emit_key: *emit_key,
            state: ScanState::Start,
        }),
        Plan::Filter { input, pred } => Box::new(FilterNode {
            input: open(input),
            pred,
            gate: crate::optimizer::pseudo_constant(pred).then_some(None),
        }),
        Plan::Project { input, exprs } => Box::new(ProjectNode {
            input: open(input),
            exprs,
        }),
        Plan::Limit {
            input,
            limit,
            offset,
            ties,
        } => Box::new(LimitNode {
            input: open(input),
            limit: limit.as_ref(),
            offset: offset.as_ref(),
            ties,
            last_key: None,
            state: None,
        }),
        Plan::Join {
            kind,
            left,
            right,
            on,
            hash_keys,
            lateral,
        } => {
            if hash_keys.is_empty() || *lateral {
                Box::new(NestedLoop {
                    kind: *kind,
                    left: open(left),
                    right_plan: right,
                    right_width: right.width(),
                    left_width: left.width(),
                    on: on.as_ref(),
                    lateral: *lateral,
                    right_rows: None,
                    right_matched: Vec::new(),
                    current: None,
                    pos: 0,
                    matched: false,
                    tail: None,
                })
            } else {
                Box::new(HashJoin {
                    kind: *kind,
                    left: open(left),
                    right_plan: right,
                    left_width: left.width(),
                    right_width: right.width(),
                    keys: hash_keys,
                    on: on.as_ref(),
                    table: None,
                    right_rows: Vec::new(),
                    right_matched: Vec::new(),
                    pending: Vec::new(),
                    tail: None,
                    first_left: None,
                })
            }
        }
        Plan::CteScan { id, .. } => Box::new(CteScanNode { id: *id, pos: 0 }),
        // `FROM generate_series(a, b)` over integers streams (the other table functions
        // compute their rows up front).
        Plan::TableFunction { calls, ordinality }
            if calls.len() == 1
                && calls
                    .first()
                    .is_some_and(|c| !c.record && basalt_func::IntSeries::applies(&c.func)) =>
        {
            Box::new(SeriesNode {
                call: calls.first(),
                ordinality: *ordinality,
                series: None,
                n: 0,
            })
        }
        Plan::With { ctes, input } => Box::new(WithNode {
            ctes,
            input_plan: input,
            input: None,
        }),
        _ => Box::new(Blocking { plan, rows: None }),
    }
}

/// Rows computed up front.
struct Rows {
    rows: std::vec::IntoIter<Row>,
}

impl Rows {
    fn new(rows: Vec<Row>) -> Rows {
        Rows {
            rows: rows.into_iter(),
        }
    }
}

impl<'p> Node<'p> for Rows {
    fn next(&mut self, _cx: &mut Cx<'_>) -> Result<Option<Row>, SqlError> {
        Ok(self.rows.next())
    }
}

/// `generate_series` over integers in FROM, a value at a time.
struct SeriesNode<'p> {
    call: Option<&'p SrfCall>,
    ordinality: bool,
    /// Started at the first row (the arguments are evaluated then).
    series: Option<basalt_func::IntSeries>,
    /// Rows so far (the ordinality column).
    n: i64,
}

impl<'p> Node<'p> for SeriesNode<'p> {
    fn next(&mut self, cx: &mut Cx<'_>) -> Result<Option<Row>, SqlError> {
        if self.series.is_none() {
            let Some(call) = self.call else {
                return Ok(None);
            };
            let mut vals = Vec::with_capacity(call.args.len());
            for a in &call.args {
                vals.push(eval(a, &[], cx)?);
            }
            match basalt_func::IntSeries::new(&call.func, &vals) {
                Some(s) => self.series = Some(s?),
                None => return Err(SqlError::new("XX000", "not an integer series")),
            }
        }
        let Some(v) = self.series.as_mut().and_then(Iterator::next) else {
            return Ok(None);
        };
        let v = v?;
        cx.tick()?;
        self.n += 1;
        Ok(Some(if self.ordinality {
            vec![v, Value::Int8(self.n)]
        } else {
            vec![v]
        }))
    }
}

struct ValuesNode<'p> {
    rows: &'p [Vec<Expr>],
    pos: usize,
}

impl<'p> Node<'p> for ValuesNode<'p> {
    fn next(&mut self, cx: &mut Cx<'_>) -> Result<Option<Row>, SqlError> {
        let Some(exprs) = self.rows.get(self.pos) else {
            return Ok(None);
        };
        self.pos += 1;
        let mut row = Vec::with_capacity(exprs.len());
        for e in exprs {
            row.push(eval(e, &[], cx)?);
        }
        Ok(Some(row))
    }
}

/// A range bound's key: `None` when the bound value is NULL (no rows), `Some(None)` when
/// there is no bound, else the encoded key and whether it is inclusive.
type BoundKey = Option<Option<(Vec<u8>, bool)>>;

enum ScanState {
    Start,
    Scanning(TxnScan),
    Keys(std::vec::IntoIter<Vec<u8>>),
    /// One row key (a primary-key lookup).
    Key(Vec<u8>),
    Done,
}

struct ScanNode<'p> {
    table: u32,
    width: usize,
    access: &'p Access,
    filter: Option<&'p Expr>,
    emit_key: bool,
    lock: Option<crate::plan::RowLock>,
    state: ScanState,
}

/// The key range of all rows of a table.
pub fn table_range(table: u32) -> KeyRange {
    KeyRange::prefix(&table_prefix(table))
}

impl<'p> ScanNode<'p> {
    fn start(&mut self, cx: &mut Cx<'_>) -> Result<(), SqlError> {
        self.state = match self.access {
            Access::Full => {
                ScanState::Scanning(cx.txn.scan(table_range(self.table), Direction::Forward)?)
            }
            Access::RowKey(key) if !key.is_empty() => ScanState::Key(key.clone()),
            Access::RowKey(_) => ScanState::Done,
            Access::CurrentOf => {
                return Err(SqlError::new(
                    "XX000",
                    "WHERE CURRENT OF was not resolved to the cursor's row",
                ));
            }
            Access::PrimaryKey(exprs) => {
                // Each key column is encoded as it is evaluated (a point lookup is the
                // hottest path: no intermediate vectors).
                let mut key = table_prefix(self.table);
                for e in exprs {
                    let v = eval(e, &[], cx)?;
                    if v.is_null() {
                        self.state = ScanState::Done;
                        return Ok(());
                    }
                    push_key_values(&mut key, &[&v], &[])?;
                }
                ScanState::Key(key)
            }
            Access::Range {
                index,
                eq,
                lower,
                upper,
            } => {
                let mut prefix = match index {
                    None => table_prefix(self.table),
                    Some(i) => index_prefix(*i),
                };
                let mut vals = Vec::with_capacity(eq.len());
                for e in eq {
                    let v = eval(e, &[], cx)?;
                    if v.is_null() {
                        self.state = ScanState::Done;
                        return Ok(());
                    }
                    vals.push(v);
                }
                push_key_values(&mut prefix, &vals.iter().collect::<Vec<_>>(), &[])?;
                let bound =
                    |b: &Option<(Expr, bool)>, cx: &mut Cx<'_>| -> Result<BoundKey, SqlError> {
                        let Some((e, inclusive)) = b else {
                            return Ok(Some(None));
                        };
                        let v = eval(e, &[], cx)?;
                        if v.is_null() {
                            return Ok(None);
                        }
                        let mut k = prefix.clone();
                        push_key_values(&mut k, &[&v], &[])?;
                        Ok(Some(Some((k, *inclusive))))
                    };
                let (Some(lo), Some(hi)) = (bound(lower, cx)?, bound(upper, cx)?) else {
                    self.state = ScanState::Done;
                    return Ok(());
                };
                use std::ops::Bound;
                let start = match lo {
                    None => Bound::Included(prefix.clone()),
                    Some((k, true)) => Bound::Included(k),
                    Some((k, false)) => match basalt_common::keycode::prefix_end(&k) {
                        Some(e) => Bound::Included(e),
                        None => Bound::Unbounded,
                    },
                };
                let end = match hi {
                    None => basalt_common::keycode::prefix_end(&prefix)
                        .map_or(Bound::Unbounded, Bound::Excluded),
                    Some((k, true)) => basalt_common::keycode::prefix_end(&k)
                        .map_or(Bound::Unbounded, Bound::Excluded),
                    Some((k, false)) => Bound::Excluded(k),
                };
                let range = KeyRange { start, end };
                let scan = cx.txn.scan(range, Direction::Forward)?;
                match index {
                    None => ScanState::Scanning(scan),
                    Some(_) => {
                        let mut keys = Vec::new();
                        for item in scan {
                            let (_, row_key) = item?;
                            keys.push(row_key);
                        }
                        ScanState::Keys(keys.into_iter())
                    }
                }
            }
            Access::Index { index, eq } => {
                let mut vals = Vec::with_capacity(eq.len());
                for e in eq {
                    let v = eval(e, &[], cx)?;
                    if v.is_null() {
                        self.state = ScanState::Done;
                        return Ok(());
                    }
                    vals.push(v);
                }
                let desc = cx
                    .catalog
                    .indexes
                    .get(index)
                    .map(|i| i.desc.clone())
                    .unwrap_or_default();
                let mut prefix = index_prefix(*index);
                push_key_values(&mut prefix, &vals.iter().collect::<Vec<_>>(), &desc)?;
                let mut keys = Vec::new();
                let scan = cx.txn.scan(KeyRange::prefix(&prefix), Direction::Forward)?;
                for item in scan {
                    let (_, row_key) = item?;
                    keys.push(row_key);
                }
                ScanState::Keys(keys.into_iter())
            }
        };
        Ok(())
    }
}

impl<'p> Node<'p> for ScanNode<'p> {
    fn next(&mut self, cx: &mut Cx<'_>) -> Result<Option<Row>, SqlError> {
        if matches!(self.state, ScanState::Start) {
            self.start(cx)?;
        }
        loop {
            let (key, bytes) = match &mut self.state {
                ScanState::Scanning(it) => match it.next() {
                    Some(item) => item?,
                    None => {
                        self.state = ScanState::Done;
                        return Ok(None);
                    }
                },
                ScanState::Keys(keys) => match keys.next() {
                    Some(k) => match cx.txn.get(&k)? {
                        Some(v) => (k, v),
                        None => continue,
                    },
                    None => {
                        self.state = ScanState::Done;
                        return Ok(None);
                    }
                },
                ScanState::Key(_) => {
                    let ScanState::Key(k) = std::mem::replace(&mut self.state, ScanState::Done)
                    else {
                        return Ok(None);
                    };
                    match cx.txn.get(&k)? {
                        Some(v) => (k, v),
                        None => return Ok(None),
                    }
                }
                ScanState::Start | ScanState::Done => return Ok(None),
            };
            cx.tick()?;
            let mut row = decode_row(&bytes)?;
            row.resize(self.width, Value::Null);
            if let Some(f) = self.filter
                && !crate::expr::qual(f, &row, cx)?
            {
                continue;
            }
            if let Some(lock) = self.lock {
                // FOR UPDATE / FOR SHARE: lock, then re-read the newest version (READ
                // COMMITTED re-checks it; the other levels fail if it changed).
                let mode = if lock.exclusive {
                    basalt_txn::LockMode::Exclusive
                } else {
                    basalt_txn::LockMode::Shared
                };
                let wait = if lock.skip_locked {
                    basalt_txn::LockWait::SkipLocked
                } else if lock.nowait {
                    basalt_txn::LockWait::NoWait
                } else {
                    basalt_txn::LockWait::Block
                };
                if cx.txn.lock(&key, mode, wait)? == basalt_txn::LockOutcome::Skipped {
                    continue;
                }
                let Some(latest) = cx.txn.get_latest(&key)? else {
                    if cx.txn.isolation() != basalt_txn::IsolationLevel::ReadCommitted {
                        return Err(SqlError::from(basalt_txn::TxnError::Serialization(
                            basalt_txn::SerializationReason::ConcurrentUpdate,
                        )));
                    }
                    continue;
                };
                if latest != bytes {
                    if cx.txn.isolation() != basalt_txn::IsolationLevel::ReadCommitted {
                        return Err(SqlError::from(basalt_txn::TxnError::Serialization(
                            basalt_txn::SerializationReason::ConcurrentUpdate,
                        )));
                    }
                    row = decode_row(&latest)?;
                    row.resize(self.width, Value::Null);
                    if let Some(f) = self.filter
                        && !crate::expr::qual(f, &row, cx)?
                    {
                        continue;
                    }
                }
            }
            if self.emit_key {
                row.push(Value::Bytea(key));
            }
            return Ok(Some(row));
        }
    }
}

struct FilterNode<'p> {
    input: BoxNode<'p>,
    pred: &'p Expr,
    /// For a predicate that reads no row (PostgreSQL's gating "One-Time Filter"): `Some`
    /// once evaluated, before the input is read at all, with whether rows may pass.
    gate: Option<Option<bool>>,
}

impl<'p> Node<'p> for FilterNode<'p> {
    fn next(&mut self, cx: &mut Cx<'_>) -> Result<Option<Row>, SqlError> {
        if let Some(gate) = &mut self.gate {
            let open = match gate {
                Some(open) => *open,
                None => {
                    let open = truth(&eval(self.pred, &[], cx)?) == Some(true);
                    *gate = Some(open);
                    open
                }
            };
            return if open { self.input.next(cx) } else { Ok(None) };
        }
        while let Some(row) = self.input.next(cx)? {
            if crate::expr::qual(self.pred, &row, cx)? {
                return Ok(Some(row));
            }
        }
        Ok(None)
    }
}

struct ProjectNode<'p> {
    input: BoxNode<'p>,
    exprs: &'p [Expr],
}

impl<'p> Node<'p> for ProjectNode<'p> {
    fn next(&mut self, cx: &mut Cx<'_>) -> Result<Option<Row>, SqlError> {
        let Some(row) = self.input.next(cx)? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(self.exprs.len());
        for e in self.exprs {
            out.push(eval(e, &row, cx)?);
        }
        Ok(Some(out))
    }
}

struct LimitNode<'p> {
    input: BoxNode<'p>,
    limit: Option<&'p Expr>,
    offset: Option<&'p Expr>,
    /// WITH TIES keys (empty without).
    ties: &'p [SortKey],
    /// WITH TIES: the keys of the last row returned.
    last_key: Option<Row>,
    /// (rows left to return, rows left to skip)
    state: Option<(Option<i64>, i64)>,
}

fn limit_value(e: Option<&Expr>, cx: &mut Cx<'_>, what: &str) -> Result<Option<i64>, SqlError> {
    let Some(e) = e else { return Ok(None) };
    let v = eval(e, &[], cx)?;
    let v = cast_value(
        &v,
        &basalt_common::types::DataType::Int8,
        basalt_common::types::CastContext::Implicit,
        &cx.func.types,
    )?;
    match v {
        Value::Null => Ok(None),
        Value::Int8(n) if n < 0 => Err(SqlError::new(
            if what == "OFFSET" { "2201X" } else { "2201W" },
            format!("{what} must not be negative"),
        )),
        Value::Int8(n) => Ok(Some(n)),
        _ => Ok(None),
    }
}

impl<'p> Node<'p> for LimitNode<'p> {
    fn next(&mut self, cx: &mut Cx<'_>) -> Result<Option<Row>, SqlError> {
        if self.state.is_none() {
            let limit = limit_value(self.limit, cx, "LIMIT")?;
            let offset = limit_value(self.offset, cx, "OFFSET")?.unwrap_or(0);
            self.state = Some((limit, offset));
        }
        let Some((left, skip)) = self.state.as_mut() else {
            return Ok(None);
        };
        if *left == Some(0) {
            // WITH TIES: go on while rows equal the last one under the ORDER BY keys.
            let Some(last) = self.last_key.take() else {
                return Ok(None);
            };
            let Some(row) = self.input.next(cx)? else {
                return Ok(None);
            };
            let mut key = Vec::with_capacity(self.ties.len());
            for k in self.ties {
                key.push(eval(&k.expr, &row, cx)?);
            }
            if cmp_keys(&key, &last, self.ties) != std::cmp::Ordering::Equal {
                return Ok(None);
            }
            self.last_key = Some(key);
            return Ok(Some(row));
        }
        while *skip > 0 {
            if self.input.next(cx)?.is_none() {
                return Ok(None);
            }
            *skip -= 1;
        }
        let row = self.input.next(cx)?;
        if let Some(r) = &row
            && let Some(n) = left
        {
            *n -= 1;
            if *n == 0 && !self.ties.is_empty() {
                let mut key = Vec::with_capacity(self.ties.len());
                for k in self.ties {
                    key.push(eval(&k.expr, r, cx)?);
                }
                self.last_key = Some(key);
            }
        }
        Ok(row)
    }
}

fn null_row(width: usize) -> Row {
    vec![Value::Null; width]
}

fn joined(left: &[Value], right: &[Value]) -> Row {
    let mut r = Vec::with_capacity(left.len() + right.len());
    r.extend_from_slice(left);
    r.extend_from_slice(right);
    r
}

struct NestedLoop<'p> {
    kind: JoinKind,
    left: BoxNode<'p>,
    right_plan: &'p Plan,
    left_width: usize,
    right_width: usize,
    on: Option<&'p Expr>,
    lateral: bool,
    right_rows: Option<Arc<Vec<Row>>>,
    right_matched: Vec<bool>,
    current: Option<Row>,
    pos: usize,
    matched: bool,
    tail: Option<usize>,
}

impl NestedLoop<'_> {
    fn materialize(&mut self, cx: &mut Cx<'_>) -> Result<(), SqlError> {
        if !self.lateral && self.right_rows.is_none() {
            let rows = collect(self.right_plan, cx)?;
            self.right_matched = vec![false; rows.len()];
            self.right_rows = Some(Arc::new(rows));
        }
        Ok(())
    }

    /// The inner side of a lateral RIGHT / FULL join, once: it cannot read the outer side
    /// (PostgreSQL refuses that), only queries further out, so its rows are the same for
    /// every outer row and unmatched ones come out at the end. `outer` keeps the inner
    /// side's outer references at their depth.
    fn materialize_outer_join(&mut self, outer: Row, cx: &mut Cx<'_>) -> Result<(), SqlError> {
        if self.right_rows.is_none() {
            cx.outer.push(outer);
            let r = collect(self.right_plan, cx);
            cx.outer.pop();
            let rows = r?;
            self.right_matched = vec![false; rows.len()];
            self.right_rows = Some(Arc::new(rows));
        }
        Ok(())
    }
}

impl<'p> Node<'p> for NestedLoop<'p> {
    fn next(&mut self, cx: &mut Cx<'_>) -> Result<Option<Row>, SqlError> {
        loop {
            if let Some(i) = self.tail.as_mut() {
                // Unmatched right rows of RIGHT/FULL joins.
                let rows = self.right_rows.clone().unwrap_or_default();
                while *i < rows.len() {
                    let k = *i;
                    *i += 1;
                    if !self.right_matched.get(k).copied().unwrap_or(true) {
                        return Ok(Some(joined(&null_row(self.left_width), &rows[k])));
                    }
                }
                return Ok(None);
            }
            if self.current.is_none() {
                match self.left.next(cx)? {
                    Some(l) => {
                        if self.lateral && matches!(self.kind, JoinKind::Right | JoinKind::Full) {
                            self.materialize_outer_join(l.clone(), cx)?;
                        } else if self.lateral {
                            cx.outer.push(l.clone());
                            let r = collect(self.right_plan, cx);
                            cx.outer.pop();
                            self.right_rows = Some(Arc::new(r?));
                        }
                        self.current = Some(l);
                        self.pos = 0;
                        self.matched = false;
                    }
                    None => {
                        if matches!(self.kind, JoinKind::Right | JoinKind::Full) {
                            if self.lateral {
                                self.materialize_outer_join(null_row(self.left_width), cx)?;
                            }
                            self.materialize(cx)?;
                            self.tail = Some(0);
                            continue;
                        }
                        return Ok(None);
                    }
                }
            }
            // The inner side runs once the first outer row exists (as in PostgreSQL, an empty
            // outer side never runs it).
            self.materialize(cx)?;
            let rows = self.right_rows.clone().unwrap_or_default();
            let Some(left) = self.current.clone() else {
                continue;
            };
            while self.pos < rows.len() {
                cx.tick()?;
                let k = self.pos;
                self.pos += 1;
                let row = joined(&left, &rows[k]);
                let ok = match self.on {
                    Some(on) => crate::expr::qual(on, &row, cx)?,
                    None => true,
                };
                if ok {
                    self.matched = true;
                    if let Some(m) = self.right_matched.get_mut(k) {
                        *m = true;
                    }
                    match self.kind {
                        JoinKind::Semi => {
                            self.current = None;
                            return Ok(Some(left));
                        }
                        JoinKind::Anti => {
                            self.pos = rows.len();
                            break;
                        }
                        _ => return Ok(Some(row)),
                    }
                }
            }
            self.current = None;
            match self.kind {
                JoinKind::Left | JoinKind::Full if !self.matched => {
                    return Ok(Some(joined(&left, &null_row(self.right_width))));
                }
                JoinKind::Anti if !self.matched => return Ok(Some(left)),
                _ => {}
            }
        }
    }
}

struct HashJoin<'p> {
    kind: JoinKind,
    left: BoxNode<'p>,
    right_plan: &'p Plan,
    left_width: usize,
    right_width: usize,
    keys: &'p [(Expr, Expr)],
    on: Option<&'p Expr>,
    table: Option<HashMap<Vec<Value>, Vec<usize>>>,
    right_rows: Vec<Row>,
    right_matched: Vec<bool>,
    pending: Vec<Row>,
    tail: Option<usize>,
    /// The first outer row, read before the hash table is built.
    first_left: Option<Row>,
}

impl<'p> Node<'p> for HashJoin<'p> {
    fn next(&mut self, cx: &mut Cx<'_>) -> Result<Option<Row>, SqlError> {
        if self.table.is_none() {
            // Unless inner rows must be kept, an empty outer side means nothing to build (as
            // PostgreSQL's hash join reads its first outer row before the hash table).
            if !matches!(self.kind, JoinKind::Right | JoinKind::Full) {
                match self.left.next(cx)? {
                    Some(row) => self.first_left = Some(row),
                    None => {
                        self.table = Some(HashMap::new());
                        self.tail = Some(0);
                        return Ok(None);
                    }
                }
            }
            let rows = collect(self.right_plan, cx)?;
            let mut table: HashMap<Vec<Value>, Vec<usize>> = HashMap::new();
            for (i, r) in rows.iter().enumerate() {
                let mut key = Vec::with_capacity(self.keys.len());
                let mut has_null = false;
                for (_, re) in self.keys {
                    let v = eval(re, r, cx)?;
                    has_null |= v.is_null();
                    key.push(v);
                }
                if !has_null {
                    table.entry(key).or_default().push(i);
                }
            }
            // Nothing to match and no outer row to keep: the outer side is never read (as
            // PostgreSQL's hash join skips its outer scan when the hash table is empty).
            let done = table.is_empty()
                && matches!(
                    self.kind,
                    JoinKind::Inner | JoinKind::Semi | JoinKind::Right
                );
            self.right_matched = vec![false; rows.len()];
            self.right_rows = rows;
            self.table = Some(table);
            if done {
                // A RIGHT join still returns every inner row (none can match: an empty table
                // with inner rows means all their keys are NULL); the others return nothing.
                self.tail = Some(if self.kind == JoinKind::Right {
                    0
                } else {
                    self.right_rows.len()
                });
            }
        }
        loop {
            if let Some(r) = self.pending.pop() {
                return Ok(Some(r));
            }
            if let Some(i) = self.tail.as_mut() {
                while *i < self.right_rows.len() {
                    let k = *i;
                    *i += 1;
                    if !self.right_matched[k] {
                        return Ok(Some(joined(
                            &null_row(self.left_width),
                            &self.right_rows[k],
                        )));
                    }
                }
                return Ok(None);
            }
            let next = match self.first_left.take() {
                Some(row) => Some(row),
                None => self.left.next(cx)?,
            };
            let Some(left) = next else {
                if matches!(self.kind, JoinKind::Right | JoinKind::Full) {
                    self.tail = Some(0);
                    continue;
                }
                return Ok(None);
            };
            let mut key = Vec::with_capacity(self.keys.len());
            let mut has_null = false;
            for (le, _) in self.keys {
                let v = eval(le, &left, cx)?;
                has_null |= v.is_null();
                key.push(v);
            }
            let mut matched = false;
            let candidates = if has_null {
                Vec::new()
            } else {
                self.table
                    .as_ref()
                    .and_then(|t| t.get(&key))
                    .cloned()
                    .unwrap_or_default()
            };
            let mut out = Vec::new();
            for k in candidates {
                cx.tick()?;
                let row = joined(&left, &self.right_rows[k]);
                let ok = match self.on {
                    Some(on) => crate::expr::qual(on, &row, cx)?,
                    None => true,
                };
                if ok {
                    matched = true;
                    self.right_matched[k] = true;
                    if matches!(self.kind, JoinKind::Semi | JoinKind::Anti) {
                        break;
                    }
                    out.push(row);
                }
            }
            match self.kind {
                JoinKind::Semi if matched => return Ok(Some(left)),
                JoinKind::Anti if !matched => return Ok(Some(left)),
                JoinKind::Semi | JoinKind::Anti => continue,
                JoinKind::Left | JoinKind::Full if !matched => {
                    return Ok(Some(joined(&left, &null_row(self.right_width))));
                }
                _ => {
                    out.reverse();
                    self.pending = out;
                }
            }
        }
    }
}

/// Nodes that compute all their rows on the first call.
struct Blocking<'p> {
    plan: &'p Plan,
    rows: Option<std::vec::IntoIter<Row>>,
}

impl<'p> Node<'p> for Blocking<'p> {
    fn next(&mut self, cx: &mut Cx<'_>) -> Result<Option<Row>, SqlError> {
        if self.rows.is_none() {
            self.rows = Some(run_blocking(self.plan, cx)?.into_iter());
        }
        Ok(self.rows.as_mut().and_then(Iterator::next))
    }
}

fn run_blocking(plan: &Plan, cx: &mut Cx<'_>) -> Result<Vec<Row>, SqlError> {
    match plan {
        Plan::Sort { input, keys } => {
            let rows = collect(input, cx)?;
            sort_rows(rows, keys, cx)
        }
        Plan::Aggregate {
            input,
            groups,
            aggs,
            sets,
            grouping,
        } => aggregate(input, groups, aggs, sets, grouping, cx),
        Plan::Distinct { input, on } => {
            let rows = collect(input, cx)?;
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for r in rows {
                let key = match on {
                    None => r.clone(),
                    Some(exprs) => {
                        let mut k = Vec::with_capacity(exprs.len());
                        for e in exprs {
                            k.push(eval(e, &r, cx)?);
                        }
                        k
                    }
                };
                if seen.insert(key) {
                    out.push(r);
                }
            }
            Ok(out)
        }
        Plan::SetOp {
            op,
            all,
            left,
            right,
        } => {
            let l = collect(left, cx)?;
            let r = collect(right, cx)?;
            Ok(set_op(*op, *all, l, r))
        }
        Plan::TableFunction { calls, ordinality } => {
            let mut rows = srf_rows(calls, &[], cx)?;
            if *ordinality {
                for (i, r) in rows.iter_mut().enumerate() {
                    r.push(Value::Int8(i as i64 + 1));
                }
            }
            Ok(rows)
        }
        Plan::CteScan { id, .. } => {
            let mut out = Vec::new();
            while let Some(r) = cte_row(cx, *id, out.len())? {
                out.push(r);
            }
            Ok(out)
        }
        Plan::WorkTable { id, .. } => Ok(cx
            .ctes
            .get(id)
            .map(|r| r.as_ref().clone())
            .unwrap_or_default()),
        Plan::With { ctes, input } => {
            for cte in ctes {
                run_cte(cte, cx)?;
            }
            collect(input, cx)
        }
        Plan::Window { input, calls } => {
            let rows = collect(input, cx)?;
            window(rows, calls, cx)
        }
        Plan::ProjectSet { input, calls } => {
            let mut out = Vec::new();
            for row in collect(input, cx)? {
                for extra in srf_rows(calls, &row, cx)? {
                    let mut r = row.clone();
                    r.extend(extra);
                    out.push(r);
                }
            }
            Ok(out)
        }
        other => collect(other, cx),
    }
}

/// The rows of set-returning calls run side by side over `row`: each call's columns in
/// turn, a call that ran out padded with NULLs.
fn srf_rows(calls: &[SrfCall], row: &[Value], cx: &mut Cx<'_>) -> Result<Vec<Row>, SqlError> {
    let mut results = Vec::with_capacity(calls.len());
    for call in calls {
        let mut vals = Vec::with_capacity(call.args.len());
        let mut null = false;
        for a in &call.args {
            let v = eval(a, row, cx)?;
            null |= v.is_null();
            vals.push(v);
        }
        let mut rows = if null && call.func.strict {
            Vec::new()
        } else if let basalt_func::TableFunc::Sql { oid } = call.func.func {
            let rows = crate::sqlfunc::call(cx, oid, vals, Some(&call.func.arg_types))?;
            crate::sqlfunc::shape_rows(cx, oid, rows, &call.func.columns)?
        } else {
            call_table_function(&call.func, &vals, &cx.func)?
        };
        if call.record {
            let names: std::sync::Arc<[String]> =
                call.func.columns.iter().map(|(n, _)| n.clone()).collect();
            rows = rows
                .into_iter()
                .map(|r| vec![Value::record(names.clone(), r)])
                .collect();
        }
        results.push(rows);
    }
    if let [only] = results.as_mut_slice() {
        return Ok(std::mem::take(only));
    }
    let n = results.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut r = Vec::new();
        for (call, rows) in calls.iter().zip(&mut results) {
            match rows.get_mut(i) {
                Some(x) => r.append(x),
                None if call.record => r.push(Value::Null),
                None => r.extend(std::iter::repeat_n(Value::Null, call.func.columns.len())),
            }
        }
        out.push(r);
    }
    Ok(out)
}

/// A recursive WITH query evaluated as its readers need rows, as PostgreSQL's
/// RecursiveUnion under a CTE scan is: the rows so far and the working table of the next
/// iteration. A reader that stops early (`LIMIT`) stops the iteration, so a query over an
/// unbounded recursion ends; one that reads everything runs it to the end.
struct LazyCte {
    /// The recursive term (a copy; boxed so that EXPLAIN ANALYZE's per-node counters,
    /// keyed by address, stay put while the state moves).
    recursive: Box<Plan>,
    union_all: bool,
    /// Every row produced so far, in order.
    rows: Vec<Row>,
    /// The rows of the last iteration: the next one's working table.
    work: Vec<Row>,
    /// For UNION: the rows already produced.
    seen: HashSet<Row>,
    done: bool,
    rounds: usize,
}

fn run_cte(cte: &Cte, cx: &mut Cx<'_>) -> Result<(), SqlError> {
    let mut rows = collect(&cte.plan, cx)?;
    if let Some((recursive, union_all)) = &cte.recursive {
        let mut seen: HashSet<Row> = HashSet::new();
        if !union_all {
            rows.retain(|r| seen.insert(r.clone()));
        }
        cx.ctes.remove(&cte.id);
        cx.lazy.insert(
            cte.id,
            LazyCte {
                recursive: Box::new(recursive.clone()),
                union_all: *union_all,
                done: rows.is_empty(),
                work: rows.clone(),
                rows,
                seen,
                rounds: 0,
            },
        );
        return Ok(());
    }
    cx.ctes.insert(cte.id, Arc::new(rows));
    Ok(())
}

/// Row `i` of a WITH query, running more iterations of a recursive one as needed.
fn cte_row(cx: &mut Cx<'_>, id: usize, i: usize) -> Result<Option<Row>, SqlError> {
    loop {
        let Some(st) = cx.lazy.get(&id) else {
            return Ok(cx.ctes.get(&id).and_then(|r| r.get(i).cloned()));
        };
        if let Some(r) = st.rows.get(i) {
            return Ok(Some(r.clone()));
        }
        if st.done {
            return Ok(None);
        }
        let Some(mut st) = cx.lazy.remove(&id) else {
            return Ok(None);
        };
        st.rounds += 1;
        if st.rounds > 10_000_000 {
            return Err(SqlError::new("54001", "recursive query did not terminate"));
        }
        // The recursive term reads the working table under the query's id.
        cx.ctes.insert(id, Arc::new(std::mem::take(&mut st.work)));
        let mut next = collect(&st.recursive, cx)?;
        cx.ctes.remove(&id);
        if !st.union_all {
            next.retain(|r| st.seen.insert(r.clone()));
        }
        for r in &next {
            cx.charge(r)?;
        }
        st.rows.extend(next.iter().cloned());
        st.done = next.is_empty();
        st.work = next;
        cx.lazy.insert(id, st);
    }
}

/// Reads a WITH query's rows one at a time.
struct CteScanNode {
    id: usize,
    pos: usize,
}

impl<'p> Node<'p> for CteScanNode {
    fn next(&mut self, cx: &mut Cx<'_>) -> Result<Option<Row>, SqlError> {
        let r = cte_row(cx, self.id, self.pos)?;
        if r.is_some() {
            self.pos += 1;
        }
        Ok(r)
    }
}

/// A statement-level WITH: computes its (non-recursive) WITH queries when first pulled,
/// then streams the main query.
struct WithNode<'p> {
    ctes: &'p [Cte],
    input_plan: &'p Plan,
    input: Option<BoxNode<'p>>,
}

impl<'p> Node<'p> for WithNode<'p> {
    fn next(&mut self, cx: &mut Cx<'_>) -> Result<Option<Row>, SqlError> {
        let input = match &mut self.input {
            Some(i) => i,
            None => {
                for cte in self.ctes {
                    run_cte(cte, cx)?;
                }
                self.input.insert(open(self.input_plan))
            }
        };
        let r = input.next(cx)?;
        if r.is_none() {
            // EXPLAIN ANALYZE counted the recursive terms' copies: move their counts to
            // the plan's own nodes.
            for cte in self.ctes {
                if let (Some((plan, _)), Some(st)) = (&cte.recursive, cx.lazy.get(&cte.id)) {
                    let (mut from, mut to) = (Vec::new(), Vec::new());
                    crate::optimizer::walk_shown(&st.recursive, &mut from);
                    crate::optimizer::walk_shown(plan, &mut to);
                    ANALYZE.with(|a| {
                        if let Some(m) = a.borrow_mut().as_mut() {
                            for (f, t) in from.iter().zip(&to) {
                                if let Some(s) = m.remove(&node_id(f)) {
                                    m.insert(node_id(t), s);
                                }
                            }
                        }
                    });
                }
            }
        }
        Ok(r)
    }
}

/// Compares two rows by sort keys (values already computed).
fn cmp_keys(a: &[Value], b: &[Value], keys: &[SortKey]) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    for (i, k) in keys.iter().enumerate() {
        let (x, y) = (&a[i], &b[i]);
        let o = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if k.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if k.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            _ => {
                let o = x.cmp(y);
                if k.desc { o.reverse() } else { o }
            }
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Sorts rows by keys (stable).
pub fn sort_rows(rows: Vec<Row>, keys: &[SortKey], cx: &mut Cx<'_>) -> Result<Vec<Row>, SqlError> {
    let mut keyed = Vec::with_capacity(rows.len());
    for r in rows {
        let mut k = Vec::with_capacity(keys.len());
        for key in keys {
            k.push(eval(&key.expr, &r, cx)?);
        }
        keyed.push((k, r));
    }
    keyed.sort_by(|a, b| cmp_keys(&a.0, &b.0, keys));
    Ok(keyed.into_iter().map(|(_, r)| r).collect())
}

fn set_op(op: SetOpKind, all: bool, left: Vec<Row>, right: Vec<Row>) -> Vec<Row> {
    match (op, all) {
        (SetOpKind::Union, true) => {
            let mut l = left;
            l.extend(right);
            l
        }
        (SetOpKind::Union, false) => {
            let mut seen = HashSet::new();
            left.into_iter()
                .chain(right)
                .filter(|r| seen.insert(r.clone()))
                .collect()
        }
        (SetOpKind::Intersect | SetOpKind::Except, _) => {
            let mut counts: HashMap<Row, usize> = HashMap::new();
            for r in right {
                *counts.entry(r).or_default() += 1;
            }
            let mut out = Vec::new();
            let mut emitted: HashSet<Row> = HashSet::new();
            for r in left {
                let c = counts.get_mut(&r);
                let in_right = c.as_ref().is_some_and(|c| **c > 0);
                match op {
                    SetOpKind::Intersect => {
                        if in_right {
                            if all {
                                if let Some(c) = c {
                                    *c -= 1;
                                }
                                out.push(r);
                            } else if emitted.insert(r.clone()) {
                                out.push(r);
                            }
                        }
                    }
                    _ => {
                        if all {
                            if in_right {
                                if let Some(c) = c {
                                    *c -= 1;
                                }
                            } else {
                                out.push(r);
                            }
                        } else if c.is_none() && emitted.insert(r.clone()) {
                            out.push(r);
                        }
                    }
                }
            }
            out
        }
    }
}

struct AggState {
    accs: Vec<Box<dyn basalt_func::Accumulator>>,
    distinct: Vec<Option<HashSet<Row>>>,
    /// Per aggregate with ORDER BY: the buffered (sort key, args).
    ordered: Vec<Option<Vec<(Row, Row)>>>,
    /// Per user-defined aggregate: its state and whether it has one yet (a STRICT
    /// transition function without an initial state takes the first input).
    user: Vec<Option<(Value, bool)>>,
}

fn new_state(aggs: &[AggCall]) -> AggState {
    AggState {
        accs: aggs.iter().map(|a| new_accumulator(&a.func)).collect(),
        distinct: aggs.iter().map(|a| a.distinct.then(HashSet::new)).collect(),
        ordered: aggs
            .iter()
            .map(|a| (!a.order_by.is_empty()).then(Vec::new))
            .collect(),
        user: aggs
            .iter()
            .map(|a| a.user.as_ref().map(|u| (u.init.clone(), !u.init.is_null())))
            .collect(),
    }
}

/// Adds one row's arguments to aggregate `i` of `st`.
fn advance(
    st: &mut AggState,
    i: usize,
    a: &AggCall,
    args: Row,
    cx: &mut Cx<'_>,
) -> Result<(), SqlError> {
    match (&a.user, st.user.get_mut(i)) {
        (Some(u), Some(Some((state, started)))) => user_advance(u, state, started, args, cx),
        _ => Ok(st.accs[i].update(&args)?),
    }
}

/// One step of a user-defined aggregate: PostgreSQL's advance_transition_function.
fn user_advance(
    u: &UserAggCall,
    state: &mut Value,
    started: &mut bool,
    args: Row,
    cx: &mut Cx<'_>,
) -> Result<(), SqlError> {
    if u.strict {
        if args.iter().any(Value::is_null) {
            return Ok(());
        }
        if !*started {
            *state = args.into_iter().next().unwrap_or(Value::Null);
            *started = true;
            return Ok(());
        }
        if state.is_null() {
            return Ok(());
        }
    }
    let mut row = Vec::with_capacity(args.len() + 1);
    row.push(std::mem::replace(state, Value::Null));
    row.extend(args);
    *state = eval(&u.trans, &row, cx)?;
    Ok(())
}

/// A user-defined aggregate's result from its state (`nargs` NULLs follow the state for a
/// FINALFUNC_EXTRA final function).
fn user_finish(
    u: &UserAggCall,
    state: &Value,
    nargs: usize,
    cx: &mut Cx<'_>,
) -> Result<Value, SqlError> {
    match &u.fin {
        Some(f) => {
            let mut row = vec![state.clone()];
            row.resize(nargs + 1, Value::Null);
            eval(f, &row, cx)
        }
        None => Ok(state.clone()),
    }
}

/// Where the direct arguments of an ordered-set aggregate start among its arguments (after
/// the aggregated ones, which are as many as its sort keys).
fn direct_args_from(a: &AggCall) -> Option<usize> {
    use basalt_func::agg::AggFunc as F;
    matches!(
        a.func.func,
        F::PercentileCont { .. } | F::PercentileDisc { .. } | F::Hypothetical { .. }
    )
    .then_some(a.order_by.len())
}

/// Adds `row` to the aggregates' states; `direct_row` is the row the direct arguments of
/// ordered-set aggregates read (the grouping set's row: its groups outside the set NULL).
fn update_state(
    st: &mut AggState,
    aggs: &[AggCall],
    row: &[Value],
    direct_row: &[Value],
    cx: &mut Cx<'_>,
) -> Result<(), SqlError> {
    for (i, a) in aggs.iter().enumerate() {
        if let Some(f) = &a.filter
            && truth(&eval(f, row, cx)?) != Some(true)
        {
            continue;
        }
        let direct_from = direct_args_from(a).unwrap_or(usize::MAX);
        let mut args = Vec::with_capacity(a.args.len());
        for (k, e) in a.args.iter().enumerate() {
            args.push(eval(
                e,
                if k >= direct_from { direct_row } else { row },
                cx,
            )?);
        }
        if let Some(seen) = &mut st.distinct[i]
            && !seen.insert(args.clone())
        {
            continue;
        }
        if let Some(buf) = &mut st.ordered[i] {
            let mut k = Vec::with_capacity(a.order_by.len());
            for s in &a.order_by {
                k.push(eval(&s.expr, row, cx)?);
            }
            buf.push((k, args));
            continue;
        }
        advance(st, i, a, args, cx)?;
    }
    Ok(())
}

fn finish_state(st: &mut AggState, aggs: &[AggCall], cx: &mut Cx<'_>) -> Result<Row, SqlError> {
    let mut out = Vec::with_capacity(aggs.len());
    for (i, a) in aggs.iter().enumerate() {
        if let Some(buf) = st.ordered[i].take() {
            let mut buf = buf;
            buf.sort_by(|x, y| cmp_keys(&x.0, &y.0, &a.order_by));
            for (_, args) in buf {
                advance(st, i, a, args, cx)?;
            }
        }
        if let (Some(u), Some(Some((state, _)))) = (&a.user, st.user.get(i)) {
            out.push(user_finish(u, state, a.args.len(), cx)?);
            continue;
        }
        out.push(st.accs[i].finish()?);
    }
    Ok(out)
}

fn aggregate(
    input: &Plan,
    groups: &[Expr],
    aggs: &[AggCall],
    sets: &[Vec<usize>],
    grouping: &[Vec<usize>],
    cx: &mut Cx<'_>,
) -> Result<Vec<Row>, SqlError> {
    let plain = [(0..groups.len()).collect::<Vec<_>>()];
    let sets: &[Vec<usize>] = if sets.is_empty() { &plain } else { sets };
    let mut node = open(input);
    let has_direct = aggs
        .iter()
        .any(|a| direct_args_from(a).is_some_and(|d| d < a.args.len()));
    // Keyed by (grouping set, group values with NULL for groups outside the set).
    let mut index: HashMap<(usize, Row), usize> = HashMap::new();
    let mut states: Vec<(usize, Row, AggState)> = Vec::new();
    for (si, set) in sets.iter().enumerate() {
        // A set without groups (a grand total) yields a row even over no input.
        if set.is_empty() {
            let key = vec![Value::Null; groups.len()];
            index.insert((si, key.clone()), states.len());
            states.push((si, key, new_state(aggs)));
        }
    }
    while let Some(row) = node.next(cx)? {
        let mut full = Vec::with_capacity(groups.len());
        for g in groups {
            full.push(eval(g, &row, cx)?);
        }
        for (si, set) in sets.iter().enumerate() {
            let key: Row = if set.len() == groups.len() {
                if si + 1 == sets.len() {
                    std::mem::take(&mut full)
                } else {
                    full.clone()
                }
            } else {
                (0..groups.len())
                    .map(|g| {
                        if set.contains(&g) {
                            full[g].clone()
                        } else {
                            Value::Null
                        }
                    })
                    .collect()
            };
            let probe = (si, key);
            let i = match index.get(&probe) {
                Some(i) => *i,
                None => {
                    cx.charge(&probe.1)?;
                    states.push((si, probe.1.clone(), new_state(aggs)));
                    index.insert(probe, states.len() - 1);
                    states.len() - 1
                }
            };
            // A grouped column outside the set reads as NULL in direct arguments.
            let nulled;
            let direct_row: &[Value] = if has_direct && set.len() < groups.len() {
                let mut r = row.clone();
                for (g, e) in groups.iter().enumerate() {
                    if let Expr::Column(c) = e
                        && !set.contains(&g)
                        && let Some(v) = r.get_mut(*c)
                    {
                        *v = Value::Null;
                    }
                }
                nulled = r;
                &nulled
            } else {
                &row
            };
            update_state(&mut states[i].2, aggs, &row, direct_row, cx)?;
        }
    }
    let mut out = Vec::with_capacity(states.len());
    for (si, key, mut st) in states {
        let mut row = key;
        row.extend(finish_state(&mut st, aggs, cx)?);
        // GROUPING of this query inside a subquery: its arguments are group positions.
        for (i, a) in aggs.iter().enumerate() {
            if a.func.func == basalt_func::agg::AggFunc::Grouping {
                let bits = a.args.iter().fold(0i32, |v, g| {
                    let in_set = matches!(g, Expr::Const(Value::Int4(p))
                        if usize::try_from(*p).is_ok_and(|p| sets[si].contains(&p)));
                    (v << 1) | i32::from(!in_set)
                });
                row[groups.len() + i] = Value::Int4(bits);
            }
        }
        for call in grouping {
            let bits = call
                .iter()
                .fold(0i32, |v, g| (v << 1) | i32::from(!sets[si].contains(g)));
            row.push(Value::Int4(bits));
        }
        out.push(row);
    }
    Ok(out)
}

fn window(rows: Vec<Row>, calls: &[WindowCall], cx: &mut Cx<'_>) -> Result<Vec<Row>, SqlError> {
    let n = rows.len();
    let mut results: Vec<Vec<Value>> = vec![vec![Value::Null; calls.len()]; n];
    // Windows run in PostgreSQL's order, each over the rows in the order the one before left
    // them (re-sorted only when its keys are not a prefix of that order), so that peers, the
    // frames of windows without ORDER BY and the output order are PostgreSQL's.
    let order = pg_window_order(calls);
    let mut current: Vec<usize> = (0..n).collect();
    let mut current_keys: Vec<(&Expr, bool, bool)> = Vec::new();
    for ci in order {
        let call = &calls[ci];
        let mut keys: Vec<Option<(Vec<Value>, Vec<Value>)>> = Vec::with_capacity(n);
        for r in &rows {
            let mut p = Vec::with_capacity(call.partition_by.len());
            for e in &call.partition_by {
                p.push(eval(e, r, cx)?);
            }
            let mut o = Vec::with_capacity(call.order_by.len());
            for s in &call.order_by {
                o.push(eval(&s.expr, r, cx)?);
            }
            keys.push(Some((p, o)));
        }
        let wanted = window_sort_keys(call);
        if !current_keys.starts_with(&wanted) {
            let cmp = |a: &usize, b: &usize| match (&keys[*a], &keys[*b]) {
                (Some(x), Some(y)) => {
                    x.0.cmp(&y.0)
                        .then_with(|| cmp_keys(&x.1, &y.1, &call.order_by))
                }
                _ => std::cmp::Ordering::Equal,
            };
            current.sort_by(cmp);
            current_keys = wanted;
        }
        let keyed: Vec<(Vec<Value>, Vec<Value>, usize)> = current
            .iter()
            .map(|&i| {
                let (p, o) = keys[i].take().unwrap_or_default();
                (p, o, i)
            })
            .collect();
        let mut start = 0;
        while start < n {
            let mut end = start + 1;
            while end < n && keyed[end].0 == keyed[start].0 {
                end += 1;
            }
            let part = &keyed[start..end];
            let vals = window_partition(call, part, &rows, cx)?;
            for (j, v) in vals.into_iter().enumerate() {
                results[part[j].2][ci] = v;
            }
            start = end;
        }
    }
    let mut slots: Vec<Option<Row>> = rows
        .into_iter()
        .zip(results)
        .map(|(mut r, extra)| {
            r.extend(extra);
            Some(r)
        })
        .collect();
    Ok(current
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect())
}

/// A window's sort: its PARTITION BY keys (ascending), then its ORDER BY keys.
fn window_sort_keys(c: &WindowCall) -> Vec<(&Expr, bool, bool)> {
    c.partition_by
        .iter()
        .map(|e| (e, false, false))
        .chain(c.order_by.iter().map(|k| (&k.expr, k.desc, k.nulls_first)))
        .collect()
}

/// The order PostgreSQL's planner evaluates windows in (`select_active_windows` sorting by
/// `common_prefix_cmp`): key by key, the key first referenced later comes first (its sort
/// group reference is higher), descending before ascending, NULLS FIRST before LAST; a window
/// whose keys extend another's comes before it. The last window's sort is the output order.
fn pg_window_order(calls: &[WindowCall]) -> Vec<usize> {
    let mut refs: Vec<&Expr> = Vec::new();
    for c in calls {
        for (e, _, _) in window_sort_keys(c) {
            if !refs.contains(&e) {
                refs.push(e);
            }
        }
    }
    let sig = |c: &WindowCall| -> Vec<(usize, bool, bool)> {
        window_sort_keys(c)
            .into_iter()
            .map(|(e, d, nf)| (refs.iter().position(|r| *r == e).unwrap_or(0), d, nf))
            .collect()
    };
    let sigs: Vec<Vec<(usize, bool, bool)>> = calls.iter().map(sig).collect();
    let mut order: Vec<usize> = (0..calls.len()).collect();
    order.sort_by(|&a, &b| {
        use std::cmp::Ordering;
        for (x, y) in sigs[a].iter().zip(&sigs[b]) {
            let o =
                y.0.cmp(&x.0)
                    .then_with(|| y.1.cmp(&x.1))
                    .then_with(|| y.2.cmp(&x.2));
            if o != Ordering::Equal {
                return o;
            }
        }
        sigs[b].len().cmp(&sigs[a].len())
    });
    order
}

/// A RANGE key converted to the type its offset is added in (see `frame_bounds`); borrowed
/// when it already has that type.
fn range_widen<'a>(
    x: &'a Value,
    wide: Option<&DataType>,
    types: &basalt_common::types::TypeContext,
) -> Result<std::borrow::Cow<'a, Value>, SqlError> {
    Ok(match wide {
        Some(t) if x.data_type().as_ref() != Some(t) => std::borrow::Cow::Owned(cast_value(
            x,
            t,
            basalt_common::types::CastContext::Explicit,
            types,
        )?),
        _ => std::borrow::Cow::Borrowed(x),
    })
}

fn frame_offset(e: &Expr, cx: &mut Cx<'_>) -> Result<usize, SqlError> {
    match eval(e, &[], cx)? {
        Value::Int2(v) if v >= 0 => Ok(v as usize),
        Value::Int4(v) if v >= 0 => Ok(v as usize),
        Value::Int8(v) if v >= 0 => Ok(v as usize),
        _ => Err(SqlError::new(
            "22013",
            "frame starting offset must not be negative",
        )),
    }
}

/// The frame of row `j` as `[start, end)` indexes into the partition.
fn frame_bounds(
    call: &WindowCall,
    part: &[(Row, Row, usize)],
    j: usize,
    n: usize,
    peers_start: &dyn Fn(usize) -> usize,
    peers_end: &dyn Fn(usize) -> usize,
    cx: &mut Cx<'_>,
) -> Result<(usize, usize), SqlError> {
    let frame = &call.frame;
    // GROUPS: peer-group numbers.
    let group_of = |i: usize| -> usize { (1..=i).filter(|&x| part[x].1 != part[x - 1].1).count() };
    let group_start = |g: usize| -> usize {
        let mut cur = 0;
        for i in 0..n {
            if i > 0 && part[i].1 != part[i - 1].1 {
                cur += 1;
            }
            if cur == g {
                return i;
            }
        }
        n
    };
    // RANGE offset: rows whose first sort key is within the offset of this row's.
    let range_edge =
        |e: &Expr, preceding: bool, start: bool, cx: &mut Cx<'_>| -> Result<usize, SqlError> {
            let Some(key) = call.order_by.first() else {
                return Ok(if start { 0 } else { n });
            };
            let v = part[j].1.first().cloned().unwrap_or(Value::Null);
            if v.is_null() {
                return Ok(if start { peers_start(j) } else { peers_end(j) });
            }
            let off = eval(e, &[], cx)?;
            if off.is_null() {
                return Err(SqlError::new(
                    "22004",
                    if start {
                        "frame starting offset must not be null"
                    } else {
                        "frame ending offset must not be null"
                    },
                ));
            }
            let negative = match &off {
                Value::Interval(_) => {
                    off < Value::Interval(basalt_common::types::interval::Interval::new(0, 0, 0))
                }
                other => matches!(
                    other.partial_cmp(&cast_value(
                        &Value::Int4(0),
                        &other.data_type().unwrap_or(DataType::Int4),
                        basalt_common::types::CastContext::Explicit,
                        &cx.func.types,
                    )?),
                    Some(std::cmp::Ordering::Less)
                ),
            };
            if negative {
                return Err(SqlError::new(
                    "22013",
                    "invalid preceding or following size in window function",
                ));
            }
            // PostgreSQL's in_range support functions compare in a type wide enough for both
            // the key and the (binder-coerced) offset: integers without overflow, real as
            // double, a date as a timestamp.
            let wide = match v.data_type() {
                Some(DataType::Int2 | DataType::Int4 | DataType::Int8) => {
                    Some(DataType::Numeric(None))
                }
                Some(DataType::Float4) => Some(DataType::Float8),
                Some(DataType::Date) => Some(DataType::Timestamp(None)),
                t => t,
            };
            let types = &cx.func.types;
            let off = match &wide {
                Some(t @ (DataType::Numeric(_) | DataType::Float8)) => {
                    cast_value(&off, t, basalt_common::types::CastContext::Implicit, types)?
                }
                _ => off,
            };
            let sub = preceding != key.desc;
            let base = range_widen(&v, wide.as_ref(), types)?;
            let bound = if let (Value::TimeTz(t, z), Value::Interval(iv)) = (&v, &off) {
                // in_range_timetz_interval: the interval's time part, without wrapping
                // around midnight.
                let t = if sub {
                    t.saturating_sub(iv.micros)
                } else {
                    t.saturating_add(iv.micros)
                };
                Value::TimeTz(t, *z)
            } else if matches!(off, Value::Interval(_)) && !matches!(v, Value::Interval(_)) {
                let lt = base.data_type().unwrap_or(DataType::Interval);
                let Some(r) = basalt_func::resolve_operator(
                    if sub { "-" } else { "+" },
                    Some(&lt),
                    &DataType::Interval,
                ) else {
                    return Err(SqlError::new(
                        "42883",
                        format!("operator does not exist: {} + interval", lt.format_type()),
                    ));
                };
                basalt_func::call(r.func, &[base.into_owned(), off], &cx.func)?
            } else {
                basalt_common::types::arith(
                    if sub {
                        basalt_common::types::ArithOp::Sub
                    } else {
                        basalt_common::types::ArithOp::Add
                    },
                    base.as_ref(),
                    &off,
                )?
            };
            // In sort order: start = first row not before the bound, end = first row after it.
            let before = |x: &Value| if key.desc { x > &bound } else { x < &bound };
            let after = |x: &Value| if key.desc { x < &bound } else { x > &bound };
            // NULL keys sort together at one end (NULLS FIRST or LAST): skip them.
            let mut i = 0;
            while i < n && part[i].1.first().is_none_or(Value::is_null) {
                i += 1;
            }
            while i < n {
                let inside = match part[i].1.first() {
                    Some(x) if !x.is_null() => {
                        let x = range_widen(x, wide.as_ref(), types)?;
                        if start { before(&x) } else { !after(&x) }
                    }
                    _ => false,
                };
                if !inside {
                    break;
                }
                i += 1;
            }
            Ok(i)
        };
    let fs = match &frame.start {
        FrameBound::UnboundedPreceding => 0,
        FrameBound::CurrentRow => {
            if frame.rows {
                j
            } else {
                peers_start(j)
            }
        }
        FrameBound::Preceding(e) => {
            if frame.rows {
                j.saturating_sub(frame_offset(e, cx)?)
            } else if frame.groups {
                group_start(group_of(j).saturating_sub(frame_offset(e, cx)?))
            } else {
                range_edge(e, true, true, cx)?
            }
        }
        FrameBound::Following(e) => {
            if frame.rows {
                (j + frame_offset(e, cx)?).min(n)
            } else if frame.groups {
                group_start(group_of(j) + frame_offset(e, cx)?)
            } else {
                range_edge(e, false, true, cx)?
            }
        }
        FrameBound::UnboundedFollowing => n,
    };
    let fe = match &frame.end {
        FrameBound::UnboundedPreceding => 0,
        FrameBound::CurrentRow => {
            if frame.rows {
                j + 1
            } else {
                peers_end(j)
            }
        }
        FrameBound::Preceding(e) => {
            if frame.rows {
                (j + 1).saturating_sub(frame_offset(e, cx)?)
            } else if frame.groups {
                let g = group_of(j);
                let k = frame_offset(e, cx)?;
                if k > g { 0 } else { group_start(g - k + 1) }
            } else {
                range_edge(e, true, false, cx)?
            }
        }
        FrameBound::Following(e) => {
            if frame.rows {
                (j + 1 + frame_offset(e, cx)?).min(n)
            } else if frame.groups {
                group_start(group_of(j) + frame_offset(e, cx)? + 1)
            } else {
                range_edge(e, false, false, cx)?
            }
        }
        FrameBound::UnboundedFollowing => n,
    };
    Ok((fs, fe.max(fs)))
}

fn window_partition(
    call: &WindowCall,
    part: &[(Row, Row, usize)],
    rows: &[Row],
    cx: &mut Cx<'_>,
) -> Result<Vec<Value>, SqlError> {
    let n = part.len();
    let peers_end = |j: usize| {
        let mut e = j + 1;
        while e < n && part[e].1 == part[j].1 {
            e += 1;
        }
        e
    };
    let peers_start = |j: usize| {
        let mut s = j;
        while s > 0 && part[s - 1].1 == part[j].1 {
            s -= 1;
        }
        s
    };
    let mut out = Vec::with_capacity(n);
    let arg = |k: usize, j: usize, cx: &mut Cx<'_>| -> Result<Value, SqlError> {
        match call.args.get(k) {
            Some(e) => eval(e, &rows[part[j].2], cx),
            None => Ok(Value::Null),
        }
    };
    let mut rank = 0usize;
    let mut dense = 0usize;
    for j in 0..n {
        let first_peer = j == 0 || part[j].1 != part[j - 1].1;
        if first_peer {
            rank = j + 1;
            dense += 1;
        }
        // Frame bounds [fs, fe).
        let (fs, fe) = frame_bounds(call, part, j, n, &peers_start, &peers_end, cx)?;
        // The frame's rows, less those EXCLUDE leaves out.
        let frame: Vec<usize> = match call.frame.exclude {
            FrameExclude::NoOthers => (fs..fe).collect(),
            FrameExclude::CurrentRow => (fs..fe).filter(|&f| f != j).collect(),
            FrameExclude::Group => {
                let (ps, pe) = (peers_start(j), peers_end(j));
                (fs..fe).filter(|&f| f < ps || f >= pe).collect()
            }
            FrameExclude::Ties => {
                let (ps, pe) = (peers_start(j), peers_end(j));
                (fs..fe).filter(|&f| f == j || f < ps || f >= pe).collect()
            }
        };
        let v = match &call.func {
            WindowFunc::RowNumber => Value::Int8(j as i64 + 1),
            WindowFunc::Rank => Value::Int8(rank as i64),
            WindowFunc::DenseRank => Value::Int8(dense as i64),
            WindowFunc::PercentRank => Value::Float8(if n > 1 {
                (rank - 1) as f64 / (n - 1) as f64
            } else {
                0.0
            }),
            WindowFunc::CumeDist => Value::Float8(peers_end(j) as f64 / n as f64),
            WindowFunc::Ntile => {
                let buckets = match arg(0, j, cx)? {
                    Value::Int4(b) if b > 0 => b as usize,
                    Value::Null => {
                        out.push(Value::Null);
                        continue;
                    }
                    _ => {
                        return Err(SqlError::new(
                            "22014",
                            "argument of ntile must be greater than zero",
                        ));
                    }
                };
                let per = n / buckets;
                let extra = n % buckets;
                let big = extra * (per + 1);
                let b = if j < big {
                    j / (per + 1)
                } else {
                    extra + (j - big) / per.max(1)
                };
                Value::Int4(b as i32 + 1)
            }
            WindowFunc::Lag | WindowFunc::Lead => {
                let off = match call.args.get(1) {
                    Some(_) => match arg(1, j, cx)? {
                        Value::Int4(o) => i64::from(o),
                        Value::Null => {
                            out.push(Value::Null);
                            continue;
                        }
                        _ => 1,
                    },
                    None => 1,
                };
                let target = if matches!(call.func, WindowFunc::Lag) {
                    j as i64 - off
                } else {
                    j as i64 + off
                };
                if target >= 0 && (target as usize) < n {
                    arg(0, target as usize, cx)?
                } else {
                    arg(2, j, cx)?
                }
            }
            WindowFunc::FirstValue => match frame.first() {
                Some(&f) => arg(0, f, cx)?,
                None => Value::Null,
            },
            WindowFunc::LastValue => match frame.last() {
                Some(&f) => arg(0, f, cx)?,
                None => Value::Null,
            },
            WindowFunc::NthValue => {
                let k = match arg(1, j, cx)? {
                    Value::Int4(k) if k > 0 => k as usize,
                    _ => {
                        return Err(SqlError::new(
                            "22016",
                            "argument of nth_value must be greater than zero",
                        ));
                    }
                };
                match frame.get(k - 1) {
                    Some(&f) => arg(0, f, cx)?,
                    None => Value::Null,
                }
            }
            WindowFunc::Agg(agg) => {
                let mut acc = new_accumulator(agg);
                for &f in &frame {
                    if let Some(args) = frame_args(call, &rows[part[f].2], cx)? {
                        acc.update(&args)?;
                    }
                }
                acc.finish()?
            }
            WindowFunc::User(u) => {
                let (mut state, mut started) = (u.init.clone(), !u.init.is_null());
                for &f in &frame {
                    let Some(args) = frame_args(call, &rows[part[f].2], cx)? else {
                        continue;
                    };
                    user_advance(u, &mut state, &mut started, args, cx)?;
                }
                user_finish(u, &state, call.args.len(), cx)?
            }
        };
        out.push(v);
    }
    Ok(out)
}

/// A window aggregate's arguments over one frame row; `None` when its FILTER rejects the row.
fn frame_args(
    call: &WindowCall,
    row: &[Value],
    cx: &mut Cx<'_>,
) -> Result<Option<Vec<Value>>, SqlError> {
    if let Some(flt) = &call.filter
        && truth(&eval(flt, row, cx)?) != Some(true)
    {
        return Ok(None);
    }
    let mut args = Vec::with_capacity(call.args.len());
    for e in &call.args {
        args.push(eval(e, row, cx)?);
    }
    Ok(Some(args))
}

/// A transaction that holds nothing: constant folding evaluates expressions that never read.
struct NoTxn;

fn no_data() -> basalt_txn::TxnError {
    basalt_txn::TxnError::Failed("no data access while folding constants".into())
}

impl Transaction for NoTxn {
    fn id(&self) -> u64 {
        0
    }
    fn isolation(&self) -> basalt_txn::IsolationLevel {
        basalt_txn::IsolationLevel::ReadCommitted
    }
    fn start_statement(&mut self) {}
    fn get(&mut self, _key: &[u8]) -> basalt_txn::Result<Option<Vec<u8>>> {
        Err(no_data())
    }
    fn get_latest(&mut self, _key: &[u8]) -> basalt_txn::Result<Option<Vec<u8>>> {
        Err(no_data())
    }
    fn scan(&mut self, _range: KeyRange, _direction: Direction) -> basalt_txn::Result<TxnScan> {
        Err(no_data())
    }
    fn scan_latest(&mut self, _range: KeyRange) -> basalt_txn::Result<TxnScan> {
        Err(no_data())
    }
    fn put(&mut self, _key: Vec<u8>, _value: Vec<u8>) -> basalt_txn::Result<()> {
        Err(no_data())
    }
    fn delete(&mut self, _key: Vec<u8>) -> basalt_txn::Result<()> {
        Err(no_data())
    }
    fn lock(
        &mut self,
        _key: &[u8],
        _mode: basalt_txn::LockMode,
        _wait: basalt_txn::LockWait,
    ) -> basalt_txn::Result<basalt_txn::LockOutcome> {
        Err(no_data())
    }
    fn savepoint(&mut self) -> basalt_txn::SavepointId {
        basalt_txn::SavepointId::NONE
    }
    fn rollback_to_savepoint(&mut self, _sp: basalt_txn::SavepointId) -> basalt_txn::Result<()> {
        Ok(())
    }
    fn release_savepoint(&mut self, _sp: basalt_txn::SavepointId) -> basalt_txn::Result<()> {
        Ok(())
    }
    fn commit(self) -> basalt_txn::Result<basalt_txn::CommitInfo> {
        Err(no_data())
    }
    fn rollback(self) {}
}

struct NoSequences;

impl Sequences for NoSequences {
    fn call(&mut self, _c: &Catalog, _f: SeqFunc, _a: &[Value]) -> Result<Value, SqlError> {
        Err(SqlError::new(
            "XX000",
            "sequence access while folding constants",
        ))
    }
    fn row_id(&mut self, _table: u32) -> Result<u64, SqlError> {
        Err(SqlError::new(
            "XX000",
            "row id allocation while folding constants",
        ))
    }
    fn state(&mut self, _s: &crate::catalog::Sequence) -> Result<SeqState, SqlError> {
        Err(SqlError::new(
            "XX000",
            "sequence access while folding constants",
        ))
    }
    fn reset(&mut self, _s: &crate::catalog::Sequence, _r: Option<i64>) -> Result<(), SqlError> {
        Err(SqlError::new(
            "XX000",
            "sequence access while folding constants",
        ))
    }
}

/// Evaluates an expression of constants; `None` if it fails (the binder keeps the expression,
/// and reports the failure where PostgreSQL's planner would: `Binder::take_const_error`).
pub fn eval_const(e: &Expr, func: EvalContext) -> Option<Value> {
    eval_const_result(e, func).ok()
}

/// [`eval_const`] with the error.
pub fn eval_const_result(e: &Expr, func: EvalContext) -> Result<Value, SqlError> {
    let catalog = Catalog::default();
    let mut txn = NoTxn;
    let mut seq = NoSequences;
    let mut cx = Cx::new(&mut txn, &catalog, &[], func, &mut seq);
    eval(e, &[], &mut cx)
}
