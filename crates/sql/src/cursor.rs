//! SQL-level cursors: `DECLARE`, `FETCH`, `MOVE`, `CLOSE` and the `pg_cursors` view, with
//! PostgreSQL 15's observable behaviour.
//!
//! # Design: streamed where the snapshot allows, else materialized at DECLARE
//!
//! PostgreSQL runs a cursor's plan incrementally: `DECLARE` costs nothing and `FETCH n`
//! computes n rows. A [`Cursor`] does the same when it can keep its query's reads at the
//! snapshot of `DECLARE`: it owns its plan and the operator tree running it (`OpenPlan`, a
//! self-referential pair, as the tree borrows the plan), and the per-query state the execution
//! context carries between rows (computed WITH queries, the working table of a recursive one,
//! uncorrelated subqueries' rows: `exec::QueryState`). Each `FETCH` / `MOVE` is a statement
//! with a fresh context, into which that state is put back while it pulls as many rows as it
//! needs (`Session::with_cursor`). The tree goes with the cursor (`CLOSE`, the end of its
//! transaction, a rollback to a savepoint before it). Which plans stream (`streams`):
//!
//! - **Plans that read no table** (`VALUES`, table functions such as `generate_series`,
//!   recursive WITH queries over them, with no subquery over a table, no SQL-language
//!   function, which may read one, no parameter, no `set_config` / `pg_notify`): nothing
//!   they compute depends on the snapshot. `WITH RECURSIVE` over an unbounded recursion
//!   with `FETCH 3` computes three rows.
//! - **A pipeline over one table scan**: a sequential or primary-key range scan under
//!   filters, projections and LIMIT of such expressions. The transaction's scan iterator
//!   keeps the snapshot it started at (committed data at its timestamp, the transaction's
//!   own writes as they were), so the first row is produced at `DECLARE` to start it there:
//!   later rows come from DECLARE's snapshot even in READ COMMITTED, where later statements
//!   take new snapshots, and the transaction's later writes are not seen.
//! - **Everything else is materialized at DECLARE**: index scans and primary-key lookups
//!   (they read each row through the transaction when it is reached), joins (an inner side
//!   is scanned again for each outer row), sorts and aggregates over tables, subqueries
//!   over tables, SQL functions: these read through the transaction at the time they run,
//!   and the transaction layer reads only at its current snapshot with its current writes
//!   (`Transaction` has no read at an earlier snapshot), so run later they would see rows
//!   DECLARE did not. `FOR UPDATE` / `FOR SHARE` cursors too (they lock every row at
//!   DECLARE), and cursors a SQL function declares.
//!
//! Then:
//!
//! - **Snapshot**: the rows are those of the snapshot at `DECLARE` (the transaction's own
//!   earlier writes included, later ones not), as PostgreSQL's portal snapshot.
//! - **Memory**: a streamed `NO SCROLL` cursor keeps only its current row (for `WHERE
//!   CURRENT OF`); a scrollable one keeps the rows it produced, as it may move back over
//!   them (PostgreSQL's plan re-runs backwards; here they are kept, charged to the statement
//!   memory budget). A recursive WITH query keeps the rows it produced (its readers may be
//!   several).
//! - **Run-time errors**: an error raised while computing row *k* (`1/(a-3)`) is raised by
//!   the first `FETCH` / `MOVE` that needs row *k* (the rows before it are fetchable), or by
//!   `COMMIT` for a `WITH HOLD` cursor, which runs the rest of its query there (PostgreSQL's
//!   `PersistHoldablePortal`), exactly as PostgreSQL raises it when the executor reaches the
//!   row. A streamed query simply raises it when it runs there; a materialized one keeps
//!   the error met at `DECLARE` and raises it then. Errors that are about the transaction
//!   rather than the data (class 40, 53, 57, XX, lock timeouts, errors of the transaction
//!   layer) met at `DECLARE` are raised by `DECLARE` itself. Errors PostgreSQL raises while
//!   binding or planning (constant folding) are `DECLARE`'s too.
//! - **Position**: [`Cursor::fetch`] is a transcription of PostgreSQL's `DoPortalRunFetch` /
//!   `PortalRunSelect` / `DoPortalRewind` over the stored rows: the same `portalPos`,
//!   `atStart` and `atEnd` state, so every direction (`ABSOLUTE`, `RELATIVE`, counts of 0,
//!   negative counts, `ALL`) returns the same rows and the same `FETCH n` / `MOVE n` counts,
//!   including which motions a `NO SCROLL` cursor refuses (55000 `cursor can only scan
//!   forward`: any backward step, and a rewind once the cursor moved).
//! - **Scrollability**: with neither `SCROLL` nor `NO SCROLL`, PostgreSQL makes a cursor
//!   scrollable when its plan can run backwards (`ExecSupportsBackwardScan`) and it locks no
//!   rows. `supports_backward` applies that rule to the equivalent PostgreSQL plan shape:
//!   table scans, sorts, `VALUES` of several rows, functions in FROM, `UNION ALL` of such,
//!   and `LIMIT` over them can; joins, aggregates, `DISTINCT`, window functions, `UNION`, a
//!   FROM-less `SELECT` (a `Result` node) cannot.
//! - **Failure**: an error during `FETCH` / `MOVE` marks the cursor failed (PostgreSQL's
//!   `MarkPortalFailed`): if it survives the rollback (declared before the savepoint rolled
//!   back to, or held over from an earlier transaction) using it again is 55000 `portal "c"
//!   cannot be run`.
//!
//! # Lifetime ([`Cursors`])
//!
//! A cursor records the savepoint depth of the transaction that declared it. `COMMIT` drops
//! the cursors without `WITH HOLD` and keeps the others, which then belong to no transaction;
//! `ROLLBACK` drops every cursor declared by the transaction; `ROLLBACK TO SAVEPOINT` drops the
//! cursors declared after the savepoint; `RELEASE` hands them to the enclosing level. Cursor
//! positions are not transactional (as in PostgreSQL). `DECLARE` without `WITH HOLD` outside a
//! transaction block is 25P01.
//!
//! The state lives in [`Session`] so that the wire protocol's portals can reuse
//! [`Cursor::fetch`] (an Execute with a row limit is a forward fetch of that many rows).
//!
//! # `WHERE CURRENT OF`
//!
//! PostgreSQL's `execCurrentOf` finds the row through the cursor's plan: without FOR UPDATE
//! / FOR SHARE the plan must be a *simply updatable* scan of the target table (the scan,
//! under projections, filters and LIMIT only: not a sort, join or aggregate); with them, the
//! table must have exactly one locked reference in FROM, whose current row is used (joins
//! allowed). At `DECLARE` the plan is rewritten (`append_key`) so that each row carries
//! the row key of each such table as trailing columns, which are split off into
//! `Cursor::keys`; `Reach` records what the cursor can reach. `UPDATE` / `DELETE ...
//! WHERE CURRENT OF` bind their scan as [`Access::CurrentOf`] and, each time they run, set
//! it to the key of the cursor's current row ([`Access::RowKey`]); the row is read at the
//! statement's snapshot, so an updated row is found again (its key stays; PostgreSQL
//! follows the update chain) and a deleted one is not (no-op), as in PostgreSQL.
//!
//! # Not done
//!
//! Volatile functions in a materialized query (`nextval`, `clock_timestamp()`) run for
//! every row at `DECLARE`, not as rows are fetched (in a streamed one they run at the
//! fetch); `FOR UPDATE` cursors lock every row at `DECLARE`
//! (rows the transaction changes afterwards are skipped when reached, as PostgreSQL's
//! LockRows skips them, for the locked tables whose keys the plan carries);
//! `WHERE CURRENT OF` follows a row whose primary key an UPDATE changed no further (its row
//! key changed), and a join PostgreSQL's planner reduces to a scan (a one-row VALUES) is
//! not simply updatable here; dropping or altering a table a cursor reads is not refused
//! (PostgreSQL: 55006). `BINARY` is recorded (`pg_cursors.is_binary`, [`Cursor::binary`]) for
//! the wire protocol; the text API returns text.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use basalt_common::types::{DataType, Value};
use basalt_txn::TxnKv;
use pg_query::protobuf::{self, FetchDirection, LockClauseStrength, node::Node};

use crate::catalog::Catalog;
use crate::error::SqlError;
use crate::exec::{BoxNode, Cx, QueryState};
use crate::expr::{Expr, Row, SeqFunc, SubqueryKind};
use crate::plan::{Access, FrameBound, JoinKind, Plan, SetOpKind, SortKey};
use crate::session::{Session, StatementResult};

/// PostgreSQL's `FETCH_ALL` (`LONG_MAX`): `ALL` as a count.
pub const FETCH_ALL: i64 = i64::MAX;

// PostgreSQL's CURSOR_OPT_* bits, as the parser gives them in `DeclareCursorStmt::options`.
const OPT_BINARY: i32 = 0x1;
const OPT_SCROLL: i32 = 0x2;
const OPT_NO_SCROLL: i32 = 0x4;
const OPT_INSENSITIVE: i32 = 0x8;
const OPT_ASENSITIVE: i32 = 0x10;
const OPT_HOLD: i32 = 0x20;

/// A direction of `FETCH` / `MOVE` (PostgreSQL's `FetchDirection`; `NEXT`, `PRIOR`, `FIRST`,
/// `LAST`, `ALL` are these with a count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `FORWARD n` (`NEXT` is 1, `ALL` is [`FETCH_ALL`]).
    Forward,
    /// `BACKWARD n` (`PRIOR` is 1).
    Backward,
    /// `ABSOLUTE n` (`FIRST` is 1, `LAST` is -1).
    Absolute,
    /// `RELATIVE n`.
    Relative,
}

/// An open cursor: its query's rows and PostgreSQL's portal position.
#[derive(Debug)]
pub struct Cursor {
    /// The name.
    pub name: String,
    /// The query string that declared it (`pg_cursors.statement`).
    pub statement: Arc<str>,
    /// `WITH HOLD`.
    pub holdable: bool,
    /// `BINARY`: the wire protocol sends its rows in binary format.
    pub binary: bool,
    /// Whether backward motion is allowed (explicit `SCROLL`, or chosen from the plan).
    pub scrollable: bool,
    /// When it was declared (microseconds since 2000-01-01 UTC).
    pub created_at: i64,
    /// Column names.
    pub columns: Vec<String>,
    /// Column types.
    pub types: Vec<DataType>,
    /// The rows produced and kept: `rows[i]` is row number `base + i + 1`.
    rows: Vec<Row>,
    /// The rows produced before `rows[0]` and no longer kept (a streamed `NO SCROLL` cursor
    /// keeps its current row only).
    base: u64,
    /// The query still running: rows past `rows` come from it as fetches need them.
    source: Option<Box<Source>>,
    /// Whether the query streamed (rows are then dropped as a `NO SCROLL` cursor passes them).
    streamed: bool,
    /// The error the query raised after `rows`: raised when a fetch needs the next row.
    pending: Option<SqlError>,
    /// PostgreSQL's `portalPos`: the number of the current row (0 before the first).
    pos: u64,
    at_start: bool,
    at_end: bool,
    /// Savepoint depth of the transaction that declared it; `None` once held over a commit.
    depth: Option<usize>,
    failed: bool,
    /// What `WHERE CURRENT OF` reaches through the cursor.
    reach: Reach,
    /// Per row of `rows` (same indexes), the row keys `reach` names (empty when it names
    /// none).
    keys: Vec<RowKeys>,
    /// FOR UPDATE / FOR SHARE: per row, the stored bytes of its locked rows (by `keys`) at
    /// DECLARE. A row the transaction changes or deletes afterwards is skipped when the
    /// cursor reaches it, as PostgreSQL's LockRows skips a row updated by a later command.
    locked_versions: Vec<LockedVersions>,
}

/// A DECLARE CURSOR of a SQL function body, bound with the body.
#[derive(Debug)]
pub(crate) struct DeclareBody {
    pub(crate) name: String,
    options: i32,
    pub(crate) plan: Plan,
    columns: Vec<String>,
    types: Vec<DataType>,
    statement: String,
    scrollable: bool,
}

impl DeclareBody {
    pub(crate) fn new(
        d: &protobuf::DeclareCursorStmt,
        q: crate::binder::Query,
        statement: String,
    ) -> Self {
        let scrollable = if d.options & OPT_SCROLL != 0 {
            true
        } else if d.options & OPT_NO_SCROLL != 0 {
            false
        } else {
            supports_backward(&q.plan)
        };
        DeclareBody {
            name: d.portalname.clone(),
            options: d.options,
            plan: q.plan,
            columns: q.names,
            types: q
                .types
                .into_iter()
                .map(crate::binder::text_for_unknown)
                .collect(),
            statement,
            scrollable,
        }
    }

    /// The cursor its run declares, with the query's rows.
    pub(crate) fn run(&self, rows: Vec<Row>) -> Declared {
        Declared {
            name: self.name.clone(),
            options: self.options,
            columns: self.columns.clone(),
            types: self.types.clone(),
            statement: self.statement.clone(),
            scrollable: self.scrollable,
            rows,
        }
    }
}

/// A cursor a SQL function declared while a statement ran: the session opens it when the
/// statement ends (`Cursors::adopt`).
#[derive(Debug, Clone)]
pub struct Declared {
    name: String,
    options: i32,
    columns: Vec<String>,
    types: Vec<DataType>,
    statement: String,
    scrollable: bool,
    rows: Vec<Row>,
}

/// A cursor row's keys of the tables `WHERE CURRENT OF` reaches.
type RowKeys = Vec<Vec<u8>>;
/// A FOR UPDATE cursor row's locked rows as stored at DECLARE (by its keys).
type LockedVersions = Vec<Option<Vec<u8>>>;

/// A cursor's operator tree (it borrows its plan).
type OpenNode<'p> = BoxNode<'p>;

self_cell::self_cell!(
    /// A cursor's plan with the operator tree running it.
    struct OpenPlan {
        owner: Plan,
        #[not_covariant]
        dependent: OpenNode,
    }
);

/// The running query of a streamed cursor.
struct Source {
    plan: OpenPlan,
    /// The context state the query keeps between rows (recursive WITH queries, ...).
    state: QueryState,
    /// The catalog the query was bound in.
    catalog: Arc<Catalog>,
    /// How many row keys end each row (`WHERE CURRENT OF`).
    nkeys: usize,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("plan", self.plan.borrow_owner())
            .field("nkeys", &self.nkeys)
            .finish_non_exhaustive()
    }
}

/// Splits the `nkeys` row keys off the end of a row.
fn split_keys(row: &mut Row, nkeys: usize) -> RowKeys {
    let at = row.len().saturating_sub(nkeys);
    row.split_off(at)
        .into_iter()
        .map(|k| match k {
            Value::Bytea(k) => k,
            _ => Vec::new(),
        })
        .collect()
}

/// What `WHERE CURRENT OF` reaches through a cursor (PostgreSQL's `execCurrentOf`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reach {
    /// No FOR UPDATE / FOR SHARE: the table the plan simply scans (its rows come straight
    /// from that scan through projections, filters and LIMIT), whose key is the row's first.
    Scan(Option<u32>),
    /// FOR UPDATE / FOR SHARE: the locked tables.
    Locks(Vec<Locked>),
}

/// A table a FOR UPDATE / FOR SHARE cursor locks.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Locked {
    oid: u32,
    /// The FROM entries that name it.
    refs: usize,
    /// For a table named once, the position of its key among a row's keys; `None` when the
    /// plan's shape does not carry it up (see [`append_key`]).
    key: Option<usize>,
}

/// The outcome of one PostgreSQL `PortalRunSelect` step.
type Step = Result<u64, SqlError>;

impl Cursor {
    /// Moves the cursor as `FETCH` / `MOVE` with `direction` and `count` do and returns the
    /// number of rows the command reports; with `out`, the fetched rows are appended to it.
    /// An error leaves the cursor unusable ([`Cursor::failed`]).
    ///
    /// A streamed cursor whose query still has to run needs an execution context: the
    /// session's `FETCH` gives one (`Cursor::fetch_in`); without it such a fetch is XX000.
    pub fn fetch(
        &mut self,
        direction: Direction,
        count: i64,
        out: Option<&mut Vec<Row>>,
    ) -> Result<u64, SqlError> {
        self.fetch_in(direction, count, out, &mut None)
    }

    /// [`Cursor::fetch`], pulling rows from the running query in `cx` as needed.
    pub(crate) fn fetch_in(
        &mut self,
        direction: Direction,
        count: i64,
        out: Option<&mut Vec<Row>>,
        cx: &mut Option<&mut Cx<'_>>,
    ) -> Result<u64, SqlError> {
        if self.failed {
            return Err(SqlError::new(
                "55000",
                format!("portal \"{}\" cannot be run", self.name),
            ));
        }
        let fetching = out.is_some();
        let r = self.run_fetch(direction, count, fetching, out, cx);
        if r.is_err() {
            self.failed = true;
            self.source = None;
        }
        self.trim();
        r
    }

    /// A streamed `NO SCROLL` cursor drops the rows before its current one (it never goes
    /// back; the current row stays for `WHERE CURRENT OF`).
    fn trim(&mut self) {
        if !self.streamed || self.scrollable {
            return;
        }
        let keep_from = self.pos.saturating_sub(1);
        let drop = usize::try_from(keep_from.saturating_sub(self.base))
            .unwrap_or(usize::MAX)
            .min(self.rows.len());
        if drop > 0 {
            self.rows.drain(..drop);
            self.keys.drain(..drop.min(self.keys.len()));
            self.base += drop as u64;
        }
    }

    /// Runs the query until `upto` rows (counted from the first) were produced or it ends.
    /// With `discard` (a `MOVE` of a `NO SCROLL` cursor) only the last row produced is kept.
    /// An error of the query is the fetch's.
    fn produce(
        &mut self,
        upto: u64,
        discard: bool,
        cx: &mut Option<&mut Cx<'_>>,
    ) -> Result<(), SqlError> {
        while self.base + (self.rows.len() as u64) < upto {
            let Some(src) = self.source.as_mut() else {
                return Ok(());
            };
            let Some(cx) = cx.as_deref_mut() else {
                return Err(SqlError::new(
                    "XX000",
                    "cursor fetch without an execution context",
                ));
            };
            let r = src
                .plan
                .with_dependent_mut(|_, node| node.next(cx))
                .and_then(|r| match r {
                    // A scrollable cursor keeps what it fetched: charged to its budget.
                    Some(r) if self.scrollable => cx.charge(&r).map(|()| Some(r)),
                    r => Ok(r),
                });
            match r {
                Ok(Some(mut row)) => {
                    let keys = split_keys(&mut row, src.nkeys);
                    if discard {
                        self.base += self.rows.len() as u64;
                        self.rows.clear();
                        self.keys.clear();
                    }
                    self.rows.push(row);
                    if src.nkeys > 0 {
                        self.keys.push(keys);
                    }
                }
                Ok(None) => self.source = None,
                Err(e) => {
                    self.source = None;
                    return Err(e.without_position());
                }
            }
        }
        Ok(())
    }

    /// Whether an error during a fetch made the cursor unusable.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// PostgreSQL's `DoPortalRunFetch`.
    fn run_fetch(
        &mut self,
        direction: Direction,
        count: i64,
        fetching: bool,
        out: Option<&mut Vec<Row>>,
        cx: &mut Option<&mut Cx<'_>>,
    ) -> Step {
        let (forward, mut count) = match direction {
            Direction::Forward if count < 0 => (false, -count),
            Direction::Forward => (true, count),
            Direction::Backward if count < 0 => (true, -count),
            Direction::Backward => (false, count),
            Direction::Absolute => {
                if count > 0 {
                    // Rewind and go forward, or move from where the cursor is when that is
                    // nearer; the target row is always fetched going forwards.
                    if (count - 1) as u64 <= self.pos / 2 {
                        self.rewind()?;
                        if count > 1 {
                            self.run_select(true, count - 1, None, cx)?;
                        }
                    } else {
                        let mut pos = self.pos as i64;
                        if self.at_end {
                            pos += 1;
                        }
                        if count <= pos {
                            self.run_select(false, pos - count + 1, None, cx)?;
                        } else if count > pos + 1 {
                            self.run_select(true, count - pos - 1, None, cx)?;
                        }
                    }
                    return self.run_select(true, 1, out, cx);
                } else if count < 0 {
                    self.run_select(true, FETCH_ALL, None, cx)?;
                    if count < -1 {
                        self.run_select(false, -count - 1, None, cx)?;
                    }
                    return self.run_select(false, 1, out, cx);
                }
                self.rewind()?;
                return self.run_select(true, 0, out, cx);
            }
            Direction::Relative => {
                if count > 0 {
                    if count > 1 {
                        self.run_select(true, count - 1, None, cx)?;
                    }
                    return self.run_select(true, 1, out, cx);
                } else if count < 0 {
                    if count < -1 {
                        self.run_select(false, -count - 1, None, cx)?;
                    }
                    return self.run_select(false, 1, out, cx);
                }
                (true, 0)
            }
        };
        let mut forward = forward;
        if count == 0 {
            // Zero re-fetches the current row, if any.
            let on_row = !self.at_start && !self.at_end;
            if !fetching {
                return Ok(u64::from(on_row));
            }
            if on_row {
                self.run_select(false, 1, None, cx)?;
                count = 1;
                forward = true;
            }
        }
        if !forward && count == FETCH_ALL && !fetching {
            // MOVE BACKWARD ALL is a rewind.
            let mut moved = self.pos;
            if moved > 0 && !self.at_end {
                moved -= 1;
            }
            self.rewind()?;
            return Ok(moved);
        }
        self.run_select(forward, count, out, cx)
    }

    /// PostgreSQL's `PortalRunSelect` over the rows, running the query for those not yet
    /// produced.
    fn run_select(
        &mut self,
        forward: bool,
        count: i64,
        out: Option<&mut Vec<Row>>,
        cx: &mut Option<&mut Cx<'_>>,
    ) -> Step {
        if forward {
            if self.at_end || count <= 0 {
                return Ok(0);
            }
            let all = count == FETCH_ALL;
            let wanted = if all { u64::MAX } else { count as u64 };
            if self.source.is_some() {
                let discard = out.is_none() && self.streamed && !self.scrollable;
                self.produce(self.pos.saturating_add(wanted), discard, cx)?;
            }
            let len = self.base + self.rows.len() as u64;
            // The next row is `pos + 1` (1-based), i.e. index `pos - base`.
            let available = len.saturating_sub(self.pos);
            if wanted > available
                && let Some(e) = self.pending.take()
            {
                return Err(e);
            }
            let n = wanted.min(available);
            if let Some(out) = out {
                let from = usize::try_from(self.pos - self.base).unwrap_or(usize::MAX);
                let to = from.saturating_add(n as usize).min(self.rows.len());
                out.extend(self.rows.get(from..to).unwrap_or_default().iter().cloned());
            }
            if n > 0 {
                self.at_start = false;
            }
            if all || n < wanted {
                self.at_end = true;
            }
            self.pos += n;
            Ok(n)
        } else {
            if !self.scrollable {
                return Err(scan_forward_error());
            }
            if self.at_start || count <= 0 {
                return Ok(0);
            }
            let all = count == FETCH_ALL;
            let wanted = if all { u64::MAX } else { count as u64 };
            // Going back from past the end starts at the last row, otherwise before the
            // current one.
            let next = if self.at_end { self.pos + 1 } else { self.pos };
            let len = self.base + self.rows.len() as u64;
            let available = next.saturating_sub(1).min(len);
            let n = wanted.min(available);
            if let Some(out) = out {
                // Only a scrollable cursor gets here: it keeps every row (`base` is 0).
                let top =
                    usize::try_from(available - self.base.min(available)).unwrap_or(usize::MAX);
                let from = top.saturating_sub(n as usize);
                out.extend(
                    self.rows
                        .get(from..top)
                        .unwrap_or_default()
                        .iter()
                        .rev()
                        .cloned(),
                );
            }
            if n > 0 && self.at_end {
                self.at_end = false;
                self.pos += 1;
            }
            if all || n < wanted {
                self.at_start = true;
                self.pos = 0;
            } else {
                self.pos -= n;
            }
            Ok(n)
        }
    }

    /// PostgreSQL's `DoPortalRewind`.
    fn rewind(&mut self) -> Result<(), SqlError> {
        if self.at_start && !self.at_end {
            return Ok(());
        }
        if !self.scrollable {
            return Err(scan_forward_error());
        }
        self.at_start = true;
        self.at_end = false;
        self.pos = 0;
        Ok(())
    }
}

impl Cursor {
    /// The row key of `table` (called `name`) in the cursor's current row, for `WHERE
    /// CURRENT OF`, with PostgreSQL's errors in its order: a cursor held over a commit, the
    /// reference to the table (a FOR UPDATE / FOR SHARE one, else a simply updatable scan),
    /// then the position. `None`: the table did not produce the row (nothing to change).
    pub(crate) fn current_key(&self, table: u32, name: &str) -> Result<Vec<u8>, SqlError> {
        let state = |msg: String| SqlError::new("24000", msg);
        let cursor = &self.name;
        if self.depth.is_none() {
            return Err(state(format!(
                "cursor \"{cursor}\" is held from a previous transaction"
            )));
        }
        let at = match &self.reach {
            Reach::Locks(tables) => {
                let Some(t) = tables.iter().find(|t| t.oid == table) else {
                    return Err(state(format!(
                        "cursor \"{cursor}\" does not have a FOR UPDATE/SHARE reference to table \"{name}\""
                    )));
                };
                if t.refs > 1 {
                    return Err(state(format!(
                        "cursor \"{cursor}\" has multiple FOR UPDATE/SHARE references to table \"{name}\""
                    )));
                }
                t.key
            }
            Reach::Scan(Some(oid)) if *oid == table => Some(0),
            Reach::Scan(_) => {
                return Err(state(format!(
                    "cursor \"{cursor}\" is not a simply updatable scan of table \"{name}\""
                )));
            }
        };
        if self.at_start || self.at_end {
            return Err(state(format!(
                "cursor \"{cursor}\" is not positioned on a row"
            )));
        }
        let Some(at) = at else {
            return Err(SqlError::new(
                "0A000",
                format!(
                    "WHERE CURRENT OF is not supported for this cursor's query on table \"{name}\""
                ),
            ));
        };
        // `pos` is the current row's number, 1-based.
        let row =
            usize::try_from(self.pos.wrapping_sub(1).wrapping_sub(self.base)).unwrap_or(usize::MAX);
        self.keys
            .get(row)
            .and_then(|k| k.get(at))
            .cloned()
            .ok_or_else(|| SqlError::new("XX000", "cursor row without its key"))
    }
}

/// The table a plan simply scans: the scan its rows come from unchanged in identity through
/// projections, filters and LIMIT (PostgreSQL's `search_plan_tree`, which descends through
/// Result, Limit and SubqueryScan nodes only).
fn simple_scan(plan: &Plan) -> Option<(u32, String)> {
    match plan {
        Plan::Scan {
            table, name, alias, ..
        } => Some((*table, alias.clone().unwrap_or_else(|| name.clone()))),
        Plan::Filter { input, .. } | Plan::Project { input, .. } | Plan::Limit { input, .. } => {
            simple_scan(input)
        }
        _ => None,
    }
}

/// Every table scan of a query level (not of its subquery expressions): (OID, the name
/// FROM knows it by).
fn level_scans(plan: &Plan, out: &mut Vec<(u32, String)>) {
    match plan {
        Plan::Scan {
            table, name, alias, ..
        } => out.push((*table, alias.clone().unwrap_or_else(|| name.clone()))),
        Plan::Filter { input, .. }
        | Plan::Project { input, .. }
        | Plan::Aggregate { input, .. }
        | Plan::Window { input, .. }
        | Plan::Sort { input, .. }
        | Plan::Limit { input, .. }
        | Plan::Distinct { input, .. }
        | Plan::ProjectSet { input, .. }
        | Plan::With { input, .. } => level_scans(input, out),
        Plan::Join { left, right, .. } | Plan::SetOp { left, right, .. } => {
            level_scans(left, out);
            level_scans(right, out);
        }
        _ => {}
    }
}

/// Rewrites `plan` so that its rows end with one more column: the row key of the row the
/// scan of `table` known as `refname` contributed. Descends through projections, filters,
/// LIMIT, sorts and inner / outer / semi joins; `None` (with `plan` in an unspecified
/// state) for any other shape.
fn append_key(plan: &mut Plan, table: u32, refname: &str) -> Option<()> {
    match plan {
        Plan::Scan {
            table: t,
            name,
            alias,
            emit_key,
            ..
        } if *t == table && !*emit_key && alias.as_deref().unwrap_or(name) == refname => {
            *emit_key = true;
            Some(())
        }
        Plan::Filter { input, .. } | Plan::Limit { input, .. } | Plan::Sort { input, .. } => {
            append_key(input, table, refname)
        }
        Plan::Project { input, exprs } => {
            let w = input.width();
            append_key(input, table, refname)?;
            exprs.push(Expr::Column(w));
            Some(())
        }
        Plan::Join {
            kind,
            left,
            right,
            on,
            lateral,
            ..
        } => {
            let semi = matches!(kind, JoinKind::Semi | JoinKind::Anti);
            let (lw, rw) = (left.width(), right.width());
            let mut r = (**right).clone();
            if !semi && append_key(&mut r, table, refname).is_some() {
                // Its key comes last already.
                **right = r;
                return Some(());
            }
            if *lateral
                || on
                    .as_ref()
                    .is_some_and(|e| e.any(&|x| matches!(x, Expr::Subquery(_))))
            {
                return None;
            }
            append_key(left, table, refname)?;
            // The join row is now the left row, its key, the right row: the condition's
            // references to the right row move one column on.
            if let Some(e) = on.take() {
                *on = Some(
                    e.rewrite(&mut |x| {
                        Ok(match x {
                            Expr::Column(c) if c >= lw => Expr::Column(c + 1),
                            x => x,
                        })
                    })
                    .ok()?,
                );
            }
            if semi {
                return Some(());
            }
            let join = std::mem::replace(plan, Plan::Unit);
            let exprs = (0..lw)
                .chain(lw + 1..lw + 1 + rw)
                .chain([lw])
                .map(Expr::Column)
                .collect();
            *plan = Plan::Project {
                input: Box::new(join),
                exprs,
            };
            Some(())
        }
        _ => None,
    }
}

/// Prepares a cursor's plan for `WHERE CURRENT OF`: what it reaches, and the plan with the
/// row keys that needs appended to its rows (the number appended is the second value).
fn prepare_reach(plan: Plan, s: &protobuf::SelectStmt, locks: bool) -> (Plan, Reach, usize) {
    if !locks {
        if let Some((oid, refname)) = simple_scan(&plan) {
            let mut p = plan.clone();
            if append_key(&mut p, oid, &refname).is_some() {
                return (p, Reach::Scan(Some(oid)), 1);
            }
        }
        return (plan, Reach::Scan(None), 0);
    }
    // PostgreSQL's rowmarks: every FROM entry, or those the OF lists name.
    let mut named: Option<Vec<String>> = Some(Vec::new());
    for lc in &s.locking_clause {
        let Some(Node::LockingClause(l)) = lc.node.as_ref() else {
            continue;
        };
        if l.locked_rels.is_empty() {
            named = None;
        } else if let Some(n) = &mut named {
            n.extend(l.locked_rels.iter().filter_map(|r| match r.node.as_ref() {
                Some(Node::RangeVar(rv)) => Some(rv.relname.clone()),
                _ => None,
            }));
        }
    }
    let mut scans = Vec::new();
    level_scans(&plan, &mut scans);
    scans.retain(|(_, r)| named.as_ref().is_none_or(|n| n.contains(r)));
    let mut tables: Vec<Locked> = Vec::new();
    let mut refnames: Vec<Option<String>> = Vec::new();
    for (oid, r) in scans {
        match tables.iter().position(|t| t.oid == oid) {
            Some(i) => {
                tables[i].refs += 1;
                refnames[i] = None;
            }
            None => {
                tables.push(Locked {
                    oid,
                    refs: 1,
                    key: None,
                });
                refnames.push(Some(r));
            }
        }
    }
    let mut plan = plan;
    let mut n = 0;
    for (t, r) in tables.iter_mut().zip(&refnames) {
        let Some(r) = r else {
            continue;
        };
        let mut p = plan.clone();
        if append_key(&mut p, t.oid, r).is_some() {
            plan = p;
            t.key = Some(n);
            n += 1;
        }
    }
    (plan, Reach::Locks(tables), n)
}

fn scan_forward_error() -> SqlError {
    SqlError::new("55000", "cursor can only scan forward")
        .with_hint("Declare it with SCROLL option to enable backward scan.")
}

fn no_cursor(name: &str) -> SqlError {
    SqlError::new("34000", format!("cursor \"{name}\" does not exist"))
}

/// The cursors of a session, in the order they were declared.
#[derive(Debug, Default)]
pub struct Cursors {
    list: Vec<Cursor>,
    /// Set when `pg_cursors` listed them: the plan being bound must not be cached.
    listed: AtomicBool,
}

impl Cursors {
    /// Marks that a statement read session state no plan may keep (`pg_cursors`,
    /// `pg_prepared_statements`).
    pub(crate) fn mark_listed(&self) {
        self.listed.store(true, Ordering::Relaxed);
    }

    /// Whether `pg_cursors` listed the cursors since the last call.
    pub(crate) fn take_listed(&self) -> bool {
        self.listed.swap(false, Ordering::Relaxed)
    }

    /// The cursor called `name`.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Cursor> {
        self.list.iter_mut().find(|c| c.name == name)
    }

    /// Every open cursor.
    pub fn iter(&self) -> impl Iterator<Item = &Cursor> {
        self.list.iter()
    }

    /// Opens a cursor a SQL function declared (42P03 if the name is taken). Its rows are
    /// those the function's query gave; `WHERE CURRENT OF` does not reach through it.
    pub(crate) fn adopt(&mut self, d: Declared, depth: usize) -> Result<(), SqlError> {
        if self.list.iter().any(|c| c.name == d.name) {
            return Err(SqlError::new(
                "42P03",
                format!("cursor \"{}\" already exists", d.name),
            ));
        }
        self.list.push(Cursor {
            name: d.name,
            statement: Arc::from(d.statement.as_str()),
            holdable: d.options & OPT_HOLD != 0,
            binary: d.options & OPT_BINARY != 0,
            scrollable: d.scrollable,
            created_at: crate::engine::now_micros(),
            columns: d.columns,
            types: d.types,
            rows: d.rows,
            base: 0,
            source: None,
            streamed: false,
            pending: None,
            pos: 0,
            at_start: true,
            at_end: false,
            depth: Some(depth),
            failed: false,
            reach: Reach::Scan(None),
            keys: Vec::new(),
            locked_versions: Vec::new(),
        });
        Ok(())
    }

    /// Closes every cursor (`CLOSE ALL`, `DISCARD ALL`).
    pub fn close_all(&mut self) {
        self.list.clear();
    }

    /// Before the transaction commits: a `WITH HOLD` cursor it declared is completed now, so
    /// the error its query still had to raise fails the commit.
    pub(crate) fn pre_commit(&mut self) -> Result<(), SqlError> {
        for c in &mut self.list {
            if c.holdable
                && c.depth.is_some()
                && !c.failed
                && let Some(e) = c.pending.take()
            {
                return Err(e);
            }
        }
        Ok(())
    }

    /// The transaction committed: its cursors go, except `WITH HOLD` ones, which stay.
    pub(crate) fn at_commit(&mut self) {
        self.list.retain(|c| c.depth.is_none() || c.holdable);
        for c in &mut self.list {
            c.depth = None;
        }
    }

    /// The transaction rolled back: the cursors it declared go.
    pub(crate) fn at_rollback(&mut self) {
        self.list.retain(|c| c.depth.is_none());
    }

    /// `ROLLBACK TO` the savepoint at `index` of the stack: the cursors declared after it go.
    pub(crate) fn rollback_to(&mut self, index: usize) {
        self.list.retain(|c| c.depth.is_none_or(|d| d <= index));
    }

    /// `RELEASE` of the savepoint at `index`: its cursors belong to the level around it.
    pub(crate) fn release(&mut self, index: usize) {
        for c in &mut self.list {
            if let Some(d) = &mut c.depth {
                *d = (*d).min(index);
            }
        }
    }
}

/// How a cursor's query runs (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    /// To the end at DECLARE.
    No,
    /// As fetches need rows: the query reads no table.
    Pure,
    /// As fetches need rows, its one table scan started at DECLARE.
    Scan,
}

/// How a cursor's plan runs: streamed when every read it makes after DECLARE sees DECLARE's
/// snapshot, i.e. it reads no table, or its only table read is one scan that a pipeline of
/// filters, projections and LIMIT passes through (which reads through an iterator that keeps
/// the snapshot it started at).
fn streams(plan: &Plan) -> Stream {
    if pure_plan(plan) {
        Stream::Pure
    } else if scan_pipeline(plan) {
        Stream::Scan
    } else {
        Stream::No
    }
}

/// Whether a plan is a pipeline over one sequential (or primary-key range) scan that reads
/// the table through one iterator: a filter, projection or LIMIT of pure expressions over it.
fn scan_pipeline(plan: &Plan) -> bool {
    match plan {
        Plan::Scan {
            access,
            filter,
            lock: None,
            ..
        } => {
            matches!(access, Access::Full | Access::Range { index: None, .. })
                && filter.as_ref().is_none_or(pure_expr)
                && match access {
                    Access::Range {
                        eq, lower, upper, ..
                    } => {
                        eq.iter().all(pure_expr)
                            && lower.iter().chain(upper).all(|(e, _)| pure_expr(e))
                    }
                    _ => true,
                }
        }
        Plan::Filter { input, pred } => pure_expr(pred) && scan_pipeline(input),
        Plan::Project { input, exprs } => exprs.iter().all(pure_expr) && scan_pipeline(input),
        Plan::Limit {
            input,
            limit,
            offset,
            ties,
        } => limit.iter().chain(offset).all(pure_expr) && pure_keys(ties) && scan_pipeline(input),
        _ => false,
    }
}

fn pure_keys(keys: &[SortKey]) -> bool {
    keys.iter().all(|k| pure_expr(&k.expr))
}

fn pure_agg(a: &crate::plan::UserAggCall) -> bool {
    pure_expr(&a.trans) && a.fin.as_ref().is_none_or(pure_expr)
}

/// Whether a plan reads no table and its expressions are pure ([`pure_expr`]).
fn pure_plan(plan: &Plan) -> bool {
    let all = |es: &[Expr]| es.iter().all(pure_expr);
    match plan {
        Plan::Unit | Plan::Empty { .. } | Plan::CteScan { .. } | Plan::WorkTable { .. } => true,
        Plan::Scan { .. } => false,
        Plan::Values { rows, .. } => rows.iter().all(|r| all(r)),
        Plan::Filter { input, pred } => pure_expr(pred) && pure_plan(input),
        Plan::Project { input, exprs } => all(exprs) && pure_plan(input),
        Plan::Join {
            left,
            right,
            on,
            hash_keys,
            ..
        } => {
            pure_plan(left)
                && pure_plan(right)
                && on.as_ref().is_none_or(pure_expr)
                && hash_keys.iter().all(|(a, b)| pure_expr(a) && pure_expr(b))
        }
        Plan::Aggregate {
            input,
            groups,
            aggs,
            ..
        } => {
            pure_plan(input)
                && all(groups)
                && aggs.iter().all(|a| {
                    all(&a.args)
                        && a.filter.as_ref().is_none_or(pure_expr)
                        && pure_keys(&a.order_by)
                        && a.user.as_deref().is_none_or(pure_agg)
                })
        }
        Plan::Window { input, calls } => {
            let bound = |b: &FrameBound| match b {
                FrameBound::Preceding(e) | FrameBound::Following(e) => pure_expr(e),
                _ => true,
            };
            pure_plan(input)
                && calls.iter().all(|c| {
                    all(&c.args)
                        && all(&c.partition_by)
                        && pure_keys(&c.order_by)
                        && c.filter.as_ref().is_none_or(pure_expr)
                        && bound(&c.frame.start)
                        && bound(&c.frame.end)
                        && match &c.func {
                            crate::plan::WindowFunc::User(u) => pure_agg(u),
                            _ => true,
                        }
                })
        }
        Plan::Sort { input, keys } => pure_keys(keys) && pure_plan(input),
        Plan::Limit {
            input,
            limit,
            offset,
            ties,
        } => limit.iter().chain(offset).all(pure_expr) && pure_keys(ties) && pure_plan(input),
        Plan::Distinct { input, on } => on.as_deref().is_none_or(all) && pure_plan(input),
        Plan::SetOp { left, right, .. } => pure_plan(left) && pure_plan(right),
        Plan::TableFunction { calls, .. } => calls.iter().all(|c| all(&c.args)),
        Plan::ProjectSet { input, calls } => calls.iter().all(|c| all(&c.args)) && pure_plan(input),
        Plan::With { ctes, input } => {
            ctes.iter().all(|c| {
                pure_plan(&c.plan) && c.recursive.as_ref().is_none_or(|(p, _)| pure_plan(p))
            }) && pure_plan(input)
        }
    }
}

/// Whether an expression reads nothing whose value a later statement of the transaction
/// could change: no table (subqueries over tables, SQL functions, whose bodies may read
/// them, domain checks, which may call them, object sizes, index checks), no statement
/// parameter (a `FETCH` has its own) and no session setting it sets (`set_config`,
/// `pg_notify`, applied when the statement that ran them ends).
fn pure_expr(e: &Expr) -> bool {
    !e.any(&|x| match x {
        Expr::Subquery(s) => !pure_plan(&s.plan),
        Expr::SqlFunc(_) | Expr::Param(_) | Expr::DomainCheck(..) => true,
        Expr::Sequence(f, _) => matches!(
            f,
            SeqFunc::Size(_) | SeqFunc::IndexCheck | SeqFunc::SetConfig | SeqFunc::Notify
        ),
        _ => false,
    })
}

/// Whether PostgreSQL's plan for the query can run backwards (`ExecSupportsBackwardScan`),
/// judged on the shape PostgreSQL gives it.
pub(crate) fn supports_backward(plan: &Plan) -> bool {
    match plan {
        Plan::Scan {
            filter: Some(f), ..
        } => !replaces_scan(f),
        Plan::Filter { pred, .. } if replaces_scan(pred) => false,
        // Scans, sorts and materialized inputs can; so can what only passes rows through.
        Plan::Scan { .. }
        | Plan::Sort { .. }
        | Plan::TableFunction { .. }
        | Plan::CteScan { .. } => true,
        // One row of VALUES is a `Result` node in PostgreSQL, several a `Values Scan`.
        Plan::Values { rows, .. } => rows.len() > 1,
        Plan::Filter { input, .. }
        | Plan::Project { input, .. }
        | Plan::Limit { input, .. }
        | Plan::With { input, .. } => supports_backward(input),
        Plan::SetOp {
            op: SetOpKind::Union,
            all: true,
            left,
            right,
        } => supports_backward(left) && supports_backward(right),
        // `Result` without input, joins, aggregates, windows, DISTINCT, UNION / INTERSECT /
        // EXCEPT, select-list set-returning functions.
        _ => false,
    }
}

/// Whether PostgreSQL's planner turns a scan with this filter into something that cannot run
/// backwards: a constant false or NULL conjunct (a `Result` node), or an `EXISTS` / `NOT
/// EXISTS` / uncorrelated `IN` conjunct (pulled up into a semi- or anti-join).
fn replaces_scan(e: &Expr) -> bool {
    match e {
        Expr::Const(Value::Bool(false) | Value::Null) => true,
        Expr::And(a, b) => replaces_scan(a) || replaces_scan(b),
        Expr::Not(a) => matches!(&**a, Expr::Subquery(s) if s.kind == SubqueryKind::Exists),
        Expr::Subquery(s) => match &s.kind {
            SubqueryKind::Exists => true,
            SubqueryKind::Quantified { all, .. } | SubqueryKind::RowQuantified { all, .. } => {
                !all && !s.correlated
            }
            _ => false,
        },
        _ => false,
    }
}

/// Whether an error raised while running a cursor's query concerns its data (and so waits
/// for the fetch that reaches it) rather than the transaction.
fn deferrable(e: &SqlError) -> bool {
    matches!(e, SqlError::Exec { .. })
        && !["40", "53", "57", "XX"]
            .iter()
            .any(|class| e.code().code().starts_with(class))
        && e.code().code() != "55P03"
}

/// The name of a SELECT's first locking clause (`FOR UPDATE`, `FOR SHARE`, ...).
pub(crate) fn lock_strength_text(s: &protobuf::SelectStmt) -> Option<&'static str> {
    let first = s.locking_clause.first()?;
    let Some(Node::LockingClause(l)) = first.node.as_ref() else {
        return None;
    };
    Some(
        match LockClauseStrength::try_from(l.strength).unwrap_or(LockClauseStrength::LcsForupdate) {
            LockClauseStrength::LcsForkeyshare => "FOR KEY SHARE",
            LockClauseStrength::LcsForshare => "FOR SHARE",
            LockClauseStrength::LcsFornokeyupdate => "FOR NO KEY UPDATE",
            _ => "FOR UPDATE",
        },
    )
}

impl<K: TxnKv> Session<K> {
    /// The session's cursors.
    pub fn cursors(&self) -> &Cursors {
        &self.cursors
    }

    /// `DECLARE name [BINARY] [ASENSITIVE | INSENSITIVE] [[NO] SCROLL] CURSOR [WITH[OUT] HOLD]
    /// FOR query`, with PostgreSQL's checks in its order: options, parse analysis, transaction
    /// block, planning, name.
    pub(crate) fn declare_cursor(
        &mut self,
        d: &protobuf::DeclareCursorStmt,
    ) -> Result<StatementResult, SqlError> {
        let opt = |bit: i32| d.options & bit != 0;
        for (a, b, an, bn) in [
            (OPT_SCROLL, OPT_NO_SCROLL, "SCROLL", "NO SCROLL"),
            (OPT_ASENSITIVE, OPT_INSENSITIVE, "ASENSITIVE", "INSENSITIVE"),
        ] {
            if opt(a) && opt(b) {
                return Err(SqlError::new(
                    "42P11",
                    format!("cannot specify both {an} and {bn}"),
                ));
            }
        }
        let Some(Node::SelectStmt(s)) = d.query.as_deref().and_then(|q| q.node.as_ref()) else {
            return Err(SqlError::new("42601", "DECLARE CURSOR without a query"));
        };
        if let Some(into) = crate::engine::select_into(s) {
            let at = into
                .rel
                .as_ref()
                .and_then(|r| u32::try_from(r.location).ok())
                .map(|l| l + 1);
            return Err(SqlError::new("42601", "SELECT ... INTO is not allowed here").at(at));
        }
        if crate::engine::with_modifies(s.with_clause.as_ref()) {
            return Err(SqlError::new(
                "0A000",
                "DECLARE CURSOR must not contain data-modifying statements in WITH",
            ));
        }
        let catalog = self.load_catalog()?;
        let (q, const_error) = {
            let mut b = self.binder(&catalog);
            let q = b.bind_select(s)?;
            (q, b.take_const_error())
        };
        // PostgreSQL's rowMarks: a locking clause over something to lock.
        let locks = if s.from_clause.is_empty() {
            None
        } else {
            lock_strength_text(s)
        };
        if let Some(strength) = locks {
            if opt(OPT_HOLD) {
                return Err(SqlError::new(
                    "0A000",
                    format!("DECLARE CURSOR WITH HOLD ... {strength} is not supported"),
                )
                .with_detail("Holdable cursors must be READ ONLY."));
            }
            if opt(OPT_SCROLL) {
                return Err(SqlError::new(
                    "0A000",
                    format!("DECLARE SCROLL CURSOR ... {strength} is not supported"),
                )
                .with_detail("Scrollable cursors must be READ ONLY."));
            }
            if opt(OPT_INSENSITIVE) {
                return Err(SqlError::new(
                    "42P11",
                    format!("DECLARE INSENSITIVE CURSOR ... {strength} is not valid"),
                )
                .with_detail("Insensitive cursors must be READ ONLY."));
            }
        }
        if !opt(OPT_HOLD) && self.block.as_ref().is_none_or(|b| b.kind_is_single()) {
            return Err(SqlError::NoTransactionBlock("DECLARE CURSOR"));
        }
        if let Some(e) = const_error {
            return Err(e);
        }
        if !s.locking_clause.is_empty() && self.settings.transaction_read_only() {
            return Err(SqlError::new(
                "25006",
                "cannot execute SELECT FOR UPDATE in a read-only transaction",
            ));
        }
        if self.cursors.list.iter().any(|c| c.name == d.portalname) {
            return Err(SqlError::new(
                "42P03",
                format!("cursor \"{}\" already exists", d.portalname),
            ));
        }
        let q = crate::optimizer::optimize_query(q, &catalog);
        let scrollable = if opt(OPT_SCROLL) {
            true
        } else if opt(OPT_NO_SCROLL) {
            false
        } else {
            locks.is_none() && supports_backward(&q.plan)
        };
        let (plan, reach, nkeys) = prepare_reach(q.plan, s, locks.is_some());
        let types = q
            .types
            .into_iter()
            .map(crate::binder::text_for_unknown)
            .collect();
        let depth = self.block.as_ref().map_or(0, |b| b.savepoint_depth());
        let mut cursor = Cursor {
            name: d.portalname.clone(),
            statement: self.current_sql.clone().unwrap_or_else(|| Arc::from("")),
            holdable: opt(OPT_HOLD),
            binary: opt(OPT_BINARY),
            scrollable,
            created_at: crate::engine::now_micros(),
            columns: q.names,
            types,
            rows: Vec::new(),
            base: 0,
            source: None,
            streamed: false,
            pending: None,
            pos: 0,
            at_start: true,
            at_end: false,
            depth: Some(depth),
            failed: false,
            reach,
            keys: Vec::new(),
            locked_versions: Vec::new(),
        };
        let stream = match locks {
            Some(_) => Stream::No,
            None => streams(&plan),
        };
        if stream != Stream::No {
            cursor.streamed = true;
            cursor.source = Some(Box::new(Source {
                plan: OpenPlan::new(plan, |p| crate::exec::open(p)),
                state: QueryState::default(),
                catalog: catalog.clone(),
                nkeys,
            }));
            if stream == Stream::Scan {
                // The table scan starts now, so that it reads DECLARE's snapshot: the first
                // row is produced here. An error is the first FETCH's, as it would be there.
                let at = self.cursors.list.len();
                self.cursors.list.push(cursor);
                let r = self.with_cursor(at, |c, cx| c.produce(1, false, cx));
                if let Err(e) = r {
                    let Some(c) = self.cursors.list.get_mut(at) else {
                        return Err(e);
                    };
                    if !deferrable(&e) {
                        self.cursors.list.remove(at);
                        return Err(e);
                    }
                    c.pending = Some(e);
                }
                return Ok(StatementResult::tag("DECLARE CURSOR"));
            }
            self.cursors.list.push(cursor);
            return Ok(StatementResult::tag("DECLARE CURSOR"));
        }
        let (mut rows, pending) = self.with_cx(&catalog, &[], |cx| {
            let mut node = crate::exec::open(&plan);
            let mut rows = Vec::new();
            loop {
                let r = node.next(cx).and_then(|r| match r {
                    Some(r) => cx.charge(&r).map(|()| Some(r)),
                    None => Ok(None),
                });
                match r {
                    Ok(Some(r)) => rows.push(r),
                    Ok(None) => return Ok((rows, None)),
                    Err(e) if deferrable(&e) => return Ok((rows, Some(e.without_position()))),
                    Err(e) => return Err(e),
                }
            }
        })?;
        // The row keys appended for WHERE CURRENT OF come off the rows.
        let keys = rows.iter_mut().map(|r| split_keys(r, nkeys)).collect();
        let locked_versions = if matches!(cursor.reach, Reach::Locks(_)) && nkeys > 0 {
            let keys: &Vec<Vec<Vec<u8>>> = &keys;
            self.with_cx(&catalog, &[], |cx| {
                keys.iter()
                    .map(|ks| {
                        ks.iter()
                            .map(|k| cx.txn.get(k).map_err(SqlError::from))
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .collect::<Result<Vec<_>, _>>()
            })?
        } else {
            Vec::new()
        };
        cursor.rows = rows;
        cursor.pending = pending;
        cursor.keys = keys;
        cursor.locked_versions = locked_versions;
        self.cursors.list.push(cursor);
        Ok(StatementResult::tag("DECLARE CURSOR"))
    }

    /// A bound UPDATE / DELETE ... WHERE CURRENT OF `cursor` plan with the scan of `table`
    /// set to the row the cursor is on (errors as PostgreSQL's `execCurrentOf`).
    pub(crate) fn cursor_row_plan(
        &self,
        plan: &Plan,
        cursor: &str,
        table: &crate::catalog::Table,
    ) -> Result<Plan, SqlError> {
        let Some(c) = self.cursors.list.iter().find(|c| c.name == cursor) else {
            return Err(no_cursor(cursor));
        };
        let key = c.current_key(table.oid, &table.name)?;
        let mut plan = plan.clone();
        if !set_row_key(&mut plan, &key) {
            return Err(SqlError::new("XX000", "WHERE CURRENT OF without its scan"));
        }
        Ok(plan)
    }

    /// `FETCH` / `MOVE`: the rows fetched (`FETCH n`) or the count moved (`MOVE n`).
    pub(crate) fn fetch_cursor(
        &mut self,
        f: &protobuf::FetchStmt,
    ) -> Result<StatementResult, SqlError> {
        let direction = match FetchDirection::try_from(f.direction) {
            Ok(FetchDirection::FetchBackward) => Direction::Backward,
            Ok(FetchDirection::FetchAbsolute) => Direction::Absolute,
            Ok(FetchDirection::FetchRelative) => Direction::Relative,
            _ => Direction::Forward,
        };
        if self
            .cursors
            .get_mut(&f.portalname)
            .is_some_and(|c| !c.locked_versions.is_empty())
        {
            self.skip_changed_locked_rows(&f.portalname, direction, f.how_many)?;
        }
        let Some(at) = self
            .cursors
            .list
            .iter()
            .position(|c| c.name == f.portalname)
        else {
            return Err(no_cursor(&f.portalname));
        };
        if f.ismove {
            let n = self.with_cursor(at, |c, cx| c.fetch_in(direction, f.how_many, None, cx))?;
            return Ok(StatementResult::tag(&format!("MOVE {n}")));
        }
        let (rows, columns, types) = self.with_cursor(at, |c, cx| {
            let mut rows = Vec::new();
            c.fetch_in(direction, f.how_many, Some(&mut rows), cx)?;
            Ok((rows, c.columns.clone(), c.types.clone()))
        })?;
        Ok(self.rows_result(&columns, &types, rows, Some("FETCH")))
    }

    /// Runs `f` on the cursor at `at` of the list with an execution context for its running
    /// query (none when it has none), the query's context state restored into it.
    fn with_cursor<R>(
        &mut self,
        at: usize,
        f: impl FnOnce(&mut Cursor, &mut Option<&mut Cx<'_>>) -> Result<R, SqlError>,
    ) -> Result<R, SqlError> {
        let Some(catalog) = self
            .cursors
            .list
            .get(at)
            .and_then(|c| c.source.as_ref())
            .map(|s| s.catalog.clone())
        else {
            let Some(c) = self.cursors.list.get_mut(at) else {
                return Err(SqlError::new("XX000", "cursor vanished"));
            };
            return f(c, &mut None);
        };
        // The cursor leaves the list while its query runs (the context borrows the session).
        let mut c = self.cursors.list.remove(at);
        let r = self.with_cx(&catalog, &[], |cx| {
            if let Some(s) = c.source.as_mut() {
                cx.restore_query_state(std::mem::take(&mut s.state));
            }
            let r = f(&mut c, &mut Some(&mut *cx));
            if let Some(s) = c.source.as_mut() {
                s.state = cx.take_query_state();
            }
            r
        });
        self.cursors.list.insert(at, c);
        r
    }

    /// Before the transaction commits: the `WITH HOLD` cursors it declared whose query still
    /// runs are run to the end (PostgreSQL's `PersistHoldablePortal`), so that an error of
    /// theirs fails the commit, as a pending one does.
    pub(crate) fn cursors_pre_commit(&mut self) -> Result<(), SqlError> {
        for at in 0..self.cursors.list.len() {
            let held = self.cursors.list.get(at).is_some_and(|c| {
                c.holdable && c.depth.is_some() && !c.failed && c.source.is_some()
            });
            if held {
                self.with_cursor(at, |c, cx| c.produce(u64::MAX, false, cx))?;
            }
        }
        self.cursors.pre_commit()
    }

    /// Before a forward motion of a FOR UPDATE / FOR SHARE cursor: the rows it is about to
    /// reach whose locked rows the transaction has changed or deleted since DECLARE go (as
    /// PostgreSQL skips them), so that the motion counts only the others.
    fn skip_changed_locked_rows(
        &mut self,
        name: &str,
        direction: Direction,
        count: i64,
    ) -> Result<(), SqlError> {
        let catalog = self.load_catalog()?;
        loop {
            let Some(c) = self.cursors.get_mut(name) else {
                return Ok(());
            };
            if c.at_end {
                return Ok(());
            }
            // The next row's index, and how many rows the motion reaches from there.
            let next = usize::try_from(c.pos).unwrap_or(usize::MAX);
            let reach = match direction {
                Direction::Forward if count == FETCH_ALL => usize::MAX,
                Direction::Forward if count > 0 => usize::try_from(count).unwrap_or(usize::MAX),
                Direction::Absolute if count > 0 => usize::try_from(count)
                    .unwrap_or(usize::MAX)
                    .saturating_sub(next),
                Direction::Relative if count > 0 => usize::try_from(count).unwrap_or(usize::MAX),
                _ => return Ok(()),
            };
            let end = next.saturating_add(reach).min(c.rows.len());
            if next >= end {
                return Ok(());
            }
            let window: Vec<(RowKeys, LockedVersions)> = (next..end)
                .map(|i| {
                    (
                        c.keys.get(i).cloned().unwrap_or_default(),
                        c.locked_versions.get(i).cloned().unwrap_or_default(),
                    )
                })
                .collect();
            let changed: Vec<bool> = self.with_cx(&catalog, &[], |cx| {
                window
                    .iter()
                    .map(|(keys, versions)| {
                        for (k, v) in keys.iter().zip(versions) {
                            if cx.txn.get(k)? != *v {
                                return Ok(true);
                            }
                        }
                        Ok(false)
                    })
                    .collect::<Result<Vec<_>, SqlError>>()
            })?;
            let Some(c) = self.cursors.get_mut(name) else {
                return Ok(());
            };
            if !changed.contains(&true) {
                return Ok(());
            }
            // Drop them (back to front, indexes stay valid) and look again past them.
            for (j, gone) in changed.iter().enumerate().rev() {
                if *gone {
                    let i = next + j;
                    c.rows.remove(i);
                    c.keys.remove(i);
                    c.locked_versions.remove(i);
                }
            }
        }
    }

    /// `CLOSE name` / `CLOSE ALL`.
    pub(crate) fn close_cursor(
        &mut self,
        c: &protobuf::ClosePortalStmt,
    ) -> Result<StatementResult, SqlError> {
        if c.portalname.is_empty() {
            self.cursors.close_all();
            return Ok(StatementResult::tag("CLOSE CURSOR ALL"));
        }
        let Some(at) = self
            .cursors
            .list
            .iter()
            .position(|x| x.name == c.portalname)
        else {
            return Err(no_cursor(&c.portalname));
        };
        self.cursors.list.remove(at);
        Ok(StatementResult::tag("CLOSE CURSOR"))
    }
}

/// Sets the `WHERE CURRENT OF` scan of a bound UPDATE / DELETE to the row `key`.
fn set_row_key(plan: &mut Plan, key: &[u8]) -> bool {
    match plan {
        Plan::Scan { access, .. } if *access == Access::CurrentOf => {
            *access = Access::RowKey(key.to_vec());
            true
        }
        Plan::Filter { input, .. }
        | Plan::Project { input, .. }
        | Plan::Sort { input, .. }
        | Plan::Limit { input, .. } => set_row_key(input, key),
        Plan::Join { left, right, .. } => set_row_key(left, key) || set_row_key(right, key),
        _ => false,
    }
}

/// The rows of `pg_cursors`: name, statement, is_holdable, is_binary, is_scrollable,
/// creation_time.
pub(crate) fn pg_cursors_rows(cursors: Option<&Cursors>) -> Vec<Vec<Value>> {
    cursors
        .into_iter()
        .flat_map(|c| {
            c.listed.store(true, Ordering::Relaxed);
            c.iter()
        })
        .map(|c| {
            vec![
                Value::Text(c.name.clone()),
                Value::Text(c.statement.to_string()),
                Value::Bool(c.holdable),
                Value::Bool(c.binary),
                Value::Bool(c.scrollable),
                Value::Timestamptz(c.created_at),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(n: i64, scrollable: bool) -> Cursor {
        Cursor {
            name: "c".into(),
            statement: Arc::from(""),
            holdable: false,
            binary: false,
            scrollable,
            created_at: 0,
            columns: vec!["a".into()],
            types: vec![DataType::Int8],
            rows: (1..=n).map(|i| vec![Value::Int8(i)]).collect(),
            base: 0,
            source: None,
            streamed: false,
            pending: None,
            pos: 0,
            at_start: true,
            at_end: false,
            depth: Some(0),
            failed: false,
            reach: Reach::Scan(None),
            keys: Vec::new(),
            locked_versions: Vec::new(),
        }
    }

    fn fetch(c: &mut Cursor, d: Direction, n: i64) -> Vec<i64> {
        let mut out = Vec::new();
        c.fetch(d, n, Some(&mut out)).unwrap();
        out.iter()
            .map(|r| match r[0] {
                Value::Int8(i) => i,
                _ => 0,
            })
            .collect()
    }

    #[test]
    fn directions_follow_postgres() {
        // The sequence of PostgreSQL 15 results over five rows (see tests/slt/cursors.slt).
        let mut c = cursor(5, true);
        assert_eq!(fetch(&mut c, Direction::Absolute, -1), [5]);
        assert_eq!(fetch(&mut c, Direction::Absolute, -2), [4]);
        assert_eq!(fetch(&mut c, Direction::Relative, 0), [4]);
        assert_eq!(c.fetch(Direction::Forward, 0, None).unwrap(), 1);
        assert_eq!(fetch(&mut c, Direction::Absolute, -1), [5]);
        assert_eq!(fetch(&mut c, Direction::Forward, 1), Vec::<i64>::new());
        assert_eq!(c.fetch(Direction::Forward, 0, None).unwrap(), 0);
        assert_eq!(fetch(&mut c, Direction::Relative, -1), [5]);
        assert_eq!(fetch(&mut c, Direction::Backward, FETCH_ALL), [4, 3, 2, 1]);
        assert_eq!(c.fetch(Direction::Absolute, 3, None).unwrap(), 1);
        assert_eq!(c.fetch(Direction::Backward, FETCH_ALL, None).unwrap(), 2);
        assert_eq!(c.fetch(Direction::Forward, FETCH_ALL, None).unwrap(), 5);
        assert_eq!(c.fetch(Direction::Backward, FETCH_ALL, None).unwrap(), 5);
        assert_eq!(c.fetch(Direction::Relative, 7, None).unwrap(), 0);
        assert_eq!(c.fetch(Direction::Absolute, 2, None).unwrap(), 1);
        assert_eq!(fetch(&mut c, Direction::Backward, 5), [1]);
    }

    #[test]
    fn no_scroll_refuses_backward_motion_and_then_fails() {
        let mut c = cursor(5, false);
        assert_eq!(c.fetch(Direction::Backward, FETCH_ALL, None).unwrap(), 0);
        assert_eq!(fetch(&mut c, Direction::Forward, 2), [1, 2]);
        assert_eq!(fetch(&mut c, Direction::Absolute, 4), [4]);
        let e = c.fetch(Direction::Backward, 1, None).unwrap_err();
        assert_eq!(e.code().code(), "55000");
        let e = c.fetch(Direction::Forward, 1, None).unwrap_err();
        assert_eq!(e.to_string(), "portal \"c\" cannot be run");
    }

    #[test]
    fn pending_error_waits_for_its_row() {
        let mut c = cursor(2, true);
        c.pending = Some(SqlError::new("22012", "division by zero"));
        assert_eq!(fetch(&mut c, Direction::Forward, 2), [1, 2]);
        assert_eq!(fetch(&mut c, Direction::Backward, 1), [1]);
        let e = c.fetch(Direction::Forward, FETCH_ALL, None).unwrap_err();
        assert_eq!(e.code().code(), "22012");
        assert!(c.failed());
    }

    #[test]
    fn streamed_cursors_keep_only_what_scrolling_needs() {
        let mut s = Session::new(basalt_txn::LocalKv::memory());
        for sql in [
            "BEGIN",
            "DECLARE n NO SCROLL CURSOR FOR SELECT g FROM generate_series(1, 1000000000) g",
            "DECLARE s SCROLL CURSOR FOR SELECT g FROM generate_series(1, 1000000000) g",
            "FETCH 100 FROM n",
            "MOVE 500 FROM n",
            "FETCH 100 FROM s",
            "MOVE 50 FROM s",
        ] {
            s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let kept = |name: &str| {
            let c = s.cursors().iter().find(|c| c.name == name).map(|c| {
                assert!(c.source.is_some(), "{name} still streams");
                (c.base, c.rows.len(), c.pos)
            });
            c.unwrap_or_default()
        };
        // NO SCROLL: its current row only; SCROLL: every row produced.
        assert_eq!(kept("n"), (599, 1, 600));
        assert_eq!(kept("s"), (0, 150, 150));
        s.execute("COMMIT").unwrap();
        assert_eq!(s.cursors().iter().count(), 0);
    }

    #[test]
    fn lifetime_follows_transactions_and_savepoints() {
        let mut cs = Cursors::default();
        let mut held = cursor(1, true);
        held.name = "held".into();
        held.holdable = true;
        cs.list.push(held);
        cs.list.push(cursor(1, true));
        cs.at_commit();
        assert_eq!(
            cs.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["held"]
        );
        let mut inner = cursor(1, true);
        inner.depth = Some(2);
        cs.list.push(inner);
        cs.release(1);
        cs.rollback_to(1);
        assert_eq!(cs.iter().count(), 2);
        cs.rollback_to(0);
        assert_eq!(cs.iter().count(), 1);
        cs.at_rollback();
        assert_eq!(cs.iter().count(), 1);
    }
}
