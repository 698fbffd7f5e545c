//! A SQL session: PostgreSQL's transaction state machine over any [`TxnKv`], and its settings.
//!
//! # Transaction states
//!
//! A session is *idle*, or runs a transaction block of one of three kinds:
//!
//! | kind | begins | ends |
//! | --- | --- | --- |
//! | single | any statement sent alone while idle (autocommit) | after that statement: commit, or rollback if it failed |
//! | implicit | the first statement of a query string holding several, while idle | at the end of the string (commit), or at the first error (rollback, the rest is skipped) |
//! | explicit | `BEGIN` / `START TRANSACTION` (an implicit or single block turns explicit) | `COMMIT` / `ROLLBACK` |
//!
//! An error inside an explicit block puts it in the *failed* state: every statement but
//! `COMMIT`, `ROLLBACK`, `ROLLBACK TO SAVEPOINT` (and `PREPARE TRANSACTION`) fails with 25P02
//! until then; `COMMIT` rolls back and reports `ROLLBACK`; `ROLLBACK TO` a savepoint set before
//! the error makes the block usable again. Misplaced commands behave as PostgreSQL's do:
//! `BEGIN` inside a block and `COMMIT`/`ROLLBACK` outside one are warnings, savepoint commands
//! outside an explicit block are errors (25P01).
//!
//! # Savepoints
//!
//! Savepoints form a stack. Names may repeat; `RELEASE` and `ROLLBACK TO` act on the newest
//! savepoint of that name. `RELEASE` drops it and every later one, keeping their changes;
//! `ROLLBACK TO` undoes everything after it, drops the later ones and keeps it.
//!
//! # When the key-value transaction begins
//!
//! `BEGIN` does not begin a [`Transaction`]: the first statement that reads or writes data does
//! (PostgreSQL's "first snapshot"), with the isolation level, read-only flag, `lock_timeout` and
//! `synchronous_commit` in force at that moment. So `BEGIN; SET TRANSACTION ISOLATION LEVEL
//! ...` works, and changing the level after that first statement fails with 25001 as in
//! PostgreSQL. Savepoints set before that moment are created in the key-value transaction when
//! it begins, which is equivalent since nothing happened in between.
//!
//! # Settings
//!
//! `SET` inside a transaction that rolls back (or back to a savepoint set before it) is undone;
//! `SET LOCAL` lasts until the transaction ends. See [`crate::settings`].

use std::sync::Arc;

use basalt_txn::{SavepointId, Transaction, TxnKv, TxnOptions};
use pg_query::protobuf::{
    self, DiscardMode, TransactionStmtKind, VariableSetKind, a_const, node::Node,
};

use crate::describe::is_transaction_exit;
use crate::error::{Notice, SqlCode, SqlError};
use crate::parse::{ParseCache, ParseOptions, Statement};
use crate::settings::{Isolation, Param, Scope, SetArg, Settings, Snapshot};

/// What one statement returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementResult {
    /// The command tag, as PostgreSQL's CommandComplete sends it (`BEGIN`, `SET`, `SHOW`, ...).
    pub tag: String,
    /// Column names; empty for statements that return no rows.
    pub columns: Vec<String>,
    /// Column types (same length as `columns`).
    pub types: Vec<basalt_common::types::DataType>,
    /// Rows as text (`None` is NULL).
    pub rows: Vec<Vec<Option<String>>>,
    /// Notices and warnings the statement raised, in order.
    pub notices: Vec<Notice>,
}

impl StatementResult {
    pub(crate) fn tag(tag: &str) -> Self {
        StatementResult {
            tag: tag.to_string(),
            columns: Vec::new(),
            types: Vec::new(),
            rows: Vec::new(),
            notices: Vec::new(),
        }
    }
}

/// What [`Session::query`] returned: rows as typed values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryResult {
    /// The command tag (`SELECT 3`, `INSERT 0 1`, ...).
    pub tag: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Column types.
    pub types: Vec<basalt_common::types::DataType>,
    /// Rows.
    pub rows: Vec<Vec<basalt_common::types::Value>>,
    /// Notices and warnings the statement raised, in order (filled by
    /// [`Session::query_prepared_for`]).
    pub notices: Vec<Notice>,
}

/// What [`Session::execute_prepared`] did.
#[derive(Debug)]
pub enum Executed {
    /// A one-row INSERT ran on the prepared fast path: this many rows (no result built).
    Inserted(u64),
    /// The statement ran the general way: its result.
    Result(QueryResult),
}

/// A statement that failed, with the notices it raised before its error (both go to a
/// protocol client, notices first).
#[derive(Debug)]
pub struct Failure {
    /// The error.
    pub error: SqlError,
    /// The notices raised before it.
    pub notices: Vec<Notice>,
}

/// What a query string returned: the results of the statements that ran, in order, and the
/// error that stopped it, if any (PostgreSQL skips the statements after an error).
#[derive(Debug)]
pub struct Batch {
    /// The results of the statements that completed.
    pub results: Vec<StatementResult>,
    /// The error, if a statement (or the parse) failed.
    pub error: Option<SqlError>,
    /// Notices the failing statement raised before its error.
    pub error_notices: Vec<Notice>,
}

impl Batch {
    /// The results, or the error if there was one.
    pub fn into_result(self) -> Result<Vec<StatementResult>, SqlError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.results),
        }
    }
}

/// The transaction status a client sees (PostgreSQL's ReadyForQuery indicator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionStatus {
    /// Not in a transaction block (`I`).
    Idle,
    /// In a transaction block (`T`).
    InTransaction,
    /// In a failed transaction block (`E`).
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    Single,
    Implicit,
    Explicit,
    /// The extended query protocol's implicit transaction: statements executed between two
    /// Syncs while idle share it, and [`Session::sync`] commits it. Otherwise it is treated
    /// as a single statement's block (PostgreSQL's `IsTransactionBlock()` is false in it).
    Pipeline,
}

struct Savepoint {
    name: String,
    /// The key-value savepoint; `None` until the key-value transaction begins.
    id: Option<SavepointId>,
    settings: Snapshot,
    /// `transaction_read_only` when the savepoint was set: as in PostgreSQL (whose
    /// subtransactions keep their own read-only state), RELEASE goes back to it.
    read_only: bool,
    deferred: crate::deferred::Mark,
    sequences: crate::engine::SeqMark,
    notify: crate::notify::NotifyMark,
}

pub(crate) struct Block<T> {
    kind: BlockKind,
    failed: bool,
    /// The key-value transaction, begun by the first data statement.
    pub(crate) kv: Option<T>,
    /// Whether this block changed the catalog (its catalog is then private until it ends).
    pub(crate) catalog_written: bool,
    /// When the block began (microseconds since 2000-01-01 UTC): `now()`.
    pub(crate) started_at: i64,
    savepoints: Vec<Savepoint>,
    /// Settings as they were when the block began, saved before its first change.
    settings_at_start: Option<Snapshot>,
    /// `SET CONSTRAINTS` modes and deferred foreign-key checks ([`crate::deferred`]).
    pub(crate) deferred: crate::deferred::Deferred,
}

impl<T> Block<T> {
    /// A block of `kind` starting at `started_at`, before its first data statement.
    fn new(kind: BlockKind, started_at: i64) -> Self {
        Block {
            kind,
            failed: false,
            kv: None,
            catalog_written: false,
            started_at,
            savepoints: Vec::new(),
            settings_at_start: None,
            deferred: Default::default(),
        }
    }

    /// Whether this is an explicit block (BEGIN ... COMMIT).
    pub(crate) fn kind_is_explicit(&self) -> bool {
        self.kind == BlockKind::Explicit
    }

    /// Whether this block is one statement sent alone (not a transaction block for
    /// PostgreSQL's `WarnNoTransactionBlock`).
    pub(crate) fn kind_is_single(&self) -> bool {
        matches!(self.kind, BlockKind::Single | BlockKind::Pipeline)
    }

    /// How many savepoints are open.
    pub(crate) fn savepoint_depth(&self) -> usize {
        self.savepoints.len()
    }
}

/// Transaction characteristics carried over by `COMMIT AND CHAIN` / `ROLLBACK AND CHAIN`.
#[derive(Debug, Clone, Copy)]
struct Characteristics {
    isolation: Isolation,
    read_only: bool,
    deferrable: bool,
}

/// A SQL session over the transactional key-value store `K`.
///
/// ```
/// use basalt_sql::Session;
/// use basalt_txn::LocalKv;
///
/// let mut session = Session::new(LocalKv::memory());
/// session.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")?;
/// let results = session.execute("SHOW transaction_isolation")?;
/// assert_eq!(results[0].rows, [[Some("serializable".to_string())]]);
/// session.execute("COMMIT")?;
/// # Ok::<(), basalt_sql::SqlError>(())
/// ```
pub struct Session<K: TxnKv> {
    /// The session's `random()` generator (`setseed()`).
    /// (Moved into each statement's context and back, so that a statement costs no
    /// reference-count change; `None` only while a statement runs.)
    pub(crate) prng: Option<Arc<parking_lot::Mutex<basalt_func::math::Prng>>>,
    pub(crate) kv: K,
    cache: Arc<ParseCache>,
    pub(crate) shared: Arc<crate::engine::Shared>,
    /// The databases of the store ([`crate::cluster`]).
    pub(crate) cluster: crate::cluster::Cluster<K>,
    /// This session's key in its database's session count ([`crate::engine::Shared::join`]).
    membership: u64,
    pub(crate) settings: Settings,
    pub(crate) block: Option<Block<K::Txn>>,
    /// `currval` / `lastval` state of this session.
    pub(crate) seq_session: crate::engine::SeqSession,
    /// Statements prepared with SQL `PREPARE`, by name (not transactional, as in PostgreSQL).
    pub(crate) prepared: std::collections::HashMap<String, Arc<crate::engine::SqlPrepared>>,
    /// Names of the wire protocol's named statements, which share SQL `PREPARE`'s namespace.
    pub(crate) protocol_statements: ProtocolStatements,
    /// Temporary tables with an ON COMMIT action.
    pub(crate) on_commit: Vec<crate::engine::OnCommit>,
    /// Bound and optimized SELECT plans by statement (see `engine`).
    pub(crate) plan_cache: hashbrown::HashMap<
        crate::engine::PlanKey,
        crate::engine::CachedPlan,
        foldhash::fast::RandomState,
    >,
    /// The query string being run (for error positions).
    pub(crate) current_sql: Option<Arc<str>>,
    /// The catalog last read and the snapshot timestamp it was read at
    /// ([`basalt_txn::Transaction::snapshot_ts`]).
    pub(crate) catalog_at: Option<(basalt_txn::Ts, Arc<crate::catalog::Catalog>)>,
    /// Parameter values of the statement being run by [`Session::query`].
    pub(crate) params: Vec<basalt_common::types::Value>,
    /// Typed rows of the last row-returning statement, when [`Session::query`] asks for them.
    pub(crate) capture: Option<Vec<Vec<basalt_common::types::Value>>>,
    /// Whether the current statement already called `start_statement`.
    pub(crate) statement_started: bool,
    /// When the current statement started (`statement_timestamp()`, microseconds since
    /// 2000-01-01 UTC): read from the clock when first asked (most statements never ask,
    /// and a clock read per statement is a measurable share of a bulk load inside one
    /// transaction), then the same for every part of the statement. Cleared by
    /// [`Session::begin_statement`].
    pub(crate) statement_time: std::cell::Cell<Option<i64>>,
    /// The schema holding this session's temporary tables (`pg_temp_<id>`), once one was
    /// created; searched first and dropped when the session ends.
    pub(crate) temp_schema: Option<String>,
    /// The search path's schema OIDs for an execution context, with what they were resolved
    /// from (catalog version, `search_path` text, temporary schema): every statement needs
    /// them, and resolving them parses the setting.
    pub(crate) search_path_cache: Option<SearchPathCache>,
    /// While a statement runs in its parameter form ([`crate::shape::ParamForm`]): the
    /// address of its text, its shape's plan key (binding it, a part of the statement with
    /// a text of its own is not the form).
    pub(crate) plan_text: Option<usize>,
    /// The plan slot of the prepared statement being run ([`Session::query_prepared`]):
    /// binding looks there before the session's plan cache.
    pub(crate) plan_slot: Option<Arc<crate::engine::PlanSlot>>,
    /// Open cursors ([`crate::cursor`]).
    pub(crate) cursors: crate::cursor::Cursors,
    /// The time zone and output style derived from the settings, with the settings epoch
    /// they were derived at ([`Settings::epoch`]): every statement's context needs them.
    pub(crate) style_cache: std::cell::Cell<Option<crate::engine::StyleCache>>,
    /// The prepared INSERT the fast path ran last and what it was checked against
    /// ([`crate::engine::FastMemo`]).
    pub(crate) fast_memo: Option<crate::engine::FastMemo>,
    /// The fast path's row, its allocation kept from row to row.
    pub(crate) fast_row: Vec<basalt_common::types::Value>,
    /// Parameter types the running statement declared (a typed prepared statement, or a SQL
    /// `PREPARE` with types run by `EXECUTE`): every binder of the statement starts from
    /// them. Empty for most statements.
    pub(crate) declared_params: Vec<basalt_common::types::DataType>,
    /// While [`Session::describe_prepared`] binds: the parameter types known so far, which
    /// every binder starts from and adds what it infers to.
    pub(crate) param_sink: Option<std::cell::RefCell<Vec<basalt_common::types::DataType>>>,
    /// The process id `pg_backend_pid()` returns and notifications carry.
    pub(crate) process_id: i32,
    /// Query cancel and statement timeout ([`crate::interrupt`]).
    pub(crate) interrupt: crate::interrupt::SessionInterrupt,
    /// The interrupt flag, lent to each statement's evaluation context (moved in and back,
    /// as `prng` is; a copy of `interrupt`'s).
    pub(crate) interrupt_flag: Option<basalt_common::Interrupt>,
    /// LISTEN / NOTIFY state ([`crate::notify`]).
    pub(crate) notify: crate::notify::SessionNotify,
}

/// A statement parsed once by [`Session::prepare`] and run any number of times by
/// [`Session::query_prepared`], each time with its own parameters.
///
/// It keeps the parsed statement and, once run, its bound plan with the catalog version and
/// settings the plan was bound under: a run under the same ones skips parsing and binding
/// (and the lookups by statement text that the plan cache needs); DDL or a changed setting
/// binds again. Not tied to a session: several sessions of one database may run one (in
/// another database it runs as text).
///
/// ```
/// use basalt_common::types::Value;
/// use basalt_sql::Session;
/// use basalt_txn::LocalKv;
///
/// let mut s = Session::new(LocalKv::memory());
/// s.execute("CREATE TABLE t (id int PRIMARY KEY, name text)")?;
/// let insert = s.prepare("INSERT INTO t VALUES ($1, $2)")?;
/// for i in 0..3 {
///     s.query_prepared(&insert, vec![Value::Int4(i), Value::Text(format!("n{i}"))])?;
/// }
/// let count = s.prepare("SELECT count(*) FROM t WHERE id >= $1")?;
/// assert_eq!(s.query_prepared(&count, vec![Value::Int4(1)])?.rows, [[Value::Int8(2)]]);
/// # Ok::<(), basalt_sql::SqlError>(())
/// ```
#[derive(Clone)]
pub struct PreparedStatement {
    parsed: Arc<crate::parse::Parsed>,
    /// `standard_conforming_strings` when parsed (the text parses differently without it).
    standard_conforming_strings: bool,
    slot: Arc<crate::engine::PlanSlot>,
    /// The database it was prepared in (its plan holds that database's catalog).
    shared: Arc<crate::engine::Shared>,
    /// Parameter types declared at prepare time ([`Session::prepare_typed`]; `Unknown` for
    /// one left to inference), empty when none were.
    pub(crate) declared: Arc<[basalt_common::types::DataType]>,
}

impl std::fmt::Debug for PreparedStatement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedStatement")
            .field("text", &self.parsed.text())
            .finish_non_exhaustive()
    }
}

impl PreparedStatement {
    /// The statement text.
    pub fn text(&self) -> &str {
        self.parsed.text()
    }

    /// The parsed statements.
    pub(crate) fn parsed(&self) -> &crate::parse::Parsed {
        &self.parsed
    }

    /// How many statements the text holds (0 for an empty query; the wire protocol's Parse
    /// accepts at most one).
    pub fn statement_count(&self) -> usize {
        self.parsed.len()
    }

    /// Whether the (single) statement may return rows when executed: a query, DML with
    /// RETURNING, SHOW, EXPLAIN, FETCH, EXECUTE of a query, CALL of a procedure with output
    /// parameters, or a VALUES list (decided from the statement's form, without binding it).
    pub fn returns_rows(&self) -> bool {
        self.parsed
            .statements()
            .next()
            .and_then(|s| s.node().map(crate::describe::returns_rows))
            .unwrap_or(false)
    }
}

/// The wire protocol's named statements as the session knows them: their names (kept by
/// the server, which holds the statements), and those SQL `DEALLOCATE` closed since the server
/// last asked.
#[derive(Debug, Default)]
pub(crate) struct ProtocolStatements {
    pub(crate) names: std::collections::HashSet<String>,
    pub(crate) closed: Vec<String>,
}

/// What [`Session::search_path_cache`] holds: catalog versions (own, shared), the settings epoch it was
/// last checked at, `search_path` text, temporary schema, and the schema OIDs they resolve
/// to.
pub(crate) type SearchPathCache = (
    (u64, u64),
    u64,
    String,
    Option<String>,
    smallvec::SmallVec<[u32; 4]>,
);

impl<K: TxnKv> Session<K> {
    /// A session with its own parse cache.
    pub fn new(kv: K) -> Self {
        Session::with_parse_cache(kv, Arc::new(ParseCache::default()))
    }

    /// A session sharing `cache` with other sessions of the same database.
    pub fn with_parse_cache(kv: K, cache: Arc<ParseCache>) -> Self {
        let shared = Arc::new(crate::engine::Shared::new(cache.clone()));
        Session::with_shared(kv, shared)
    }

    /// A session sharing parse cache, catalog cache and sequence caches with the other
    /// sessions of the same database (the root namespace's; [`crate::cluster::Cluster`]
    /// gives sessions of the others).
    pub fn with_shared(kv: K, shared: Arc<crate::engine::Shared>) -> Self {
        let cluster = crate::cluster::Cluster::new(kv.root());
        Session::in_cluster(kv, shared, cluster)
    }

    /// A session of the database `shared` belongs to, whose keys `kv` reads.
    pub(crate) fn in_cluster(
        kv: K,
        shared: Arc<crate::engine::Shared>,
        cluster: crate::cluster::Cluster<K>,
    ) -> Self {
        let membership = shared.join();
        Session {
            cluster,
            membership,
            kv,
            cache: shared.parse_cache.clone(),
            shared,
            seq_session: Default::default(),
            prepared: std::collections::HashMap::new(),
            protocol_statements: ProtocolStatements::default(),
            on_commit: Vec::new(),
            params: Vec::new(),
            capture: None,
            current_sql: None,
            catalog_at: None,
            plan_cache: hashbrown::HashMap::default(),
            settings: Settings::new(),
            prng: Some(Arc::default()),
            block: None,
            statement_started: false,
            statement_time: std::cell::Cell::new(None),
            temp_schema: None,
            search_path_cache: None,
            plan_slot: None,
            plan_text: None,
            cursors: Default::default(),
            style_cache: std::cell::Cell::new(None),
            fast_memo: None,
            fast_row: Vec::new(),
            declared_params: Vec::new(),
            param_sink: None,
            process_id: std::process::id() as i32,
            interrupt_flag: None,
            interrupt: Default::default(),
            notify: Default::default(),
        }
    }

    /// Sets what ends this session from outside (the server closes its connection), for
    /// `DROP DATABASE ... WITH (FORCE)`.
    pub fn set_terminator(&self, f: crate::engine::Terminator) {
        self.shared.set_terminator(self.membership, f);
    }

    /// The databases of this session's store.
    pub fn cluster(&self) -> &crate::cluster::Cluster<K> {
        &self.cluster
    }

    /// A handle that cancels the statement this session runs, usable from any thread
    /// ([`crate::interrupt`]).
    pub fn interrupt_handle(&self) -> crate::interrupt::InterruptHandle {
        self.interrupt.handle()
    }

    /// Sets the process id `pg_backend_pid()` returns and this session's notifications
    /// carry (by default the operating system's id of this process).
    pub fn set_process_id(&mut self, pid: i32) {
        self.process_id = pid;
        self.plan_cache.clear();
    }

    /// The process id ([`Session::set_process_id`]).
    pub fn process_id(&self) -> i32 {
        self.process_id
    }

    /// Fails with 57014 if the running statement was canceled or timed out (for loops
    /// outside the executor's context, such as COPY's reading).
    pub(crate) fn check_interrupt(&self) -> Result<(), SqlError> {
        self.interrupt
            .flag()
            .raised()
            .map_or(Ok(()), |r| Err(crate::interrupt::interrupted(r)))
    }

    /// The notifications delivered to this session (it LISTENs on their channels) since
    /// the last call, oldest first. A server sends them when the session is not in a
    /// transaction block, as PostgreSQL does.
    pub fn take_notifications(&mut self) -> Vec<crate::notify::Notification> {
        self.notify.take()
    }

    /// Registers a named statement of the wire protocol (Parse): its name then clashes with
    /// SQL `PREPARE` (42P05), as in PostgreSQL, where both share one namespace. Fails if a
    /// statement of that name exists.
    pub fn add_protocol_statement(&mut self, name: &str) -> Result<(), SqlError> {
        if self.prepared.contains_key(name) || self.protocol_statements.names.contains(name) {
            return Err(SqlError::new(
                "42P05",
                format!("prepared statement \"{name}\" already exists"),
            ));
        }
        self.protocol_statements.names.insert(name.to_string());
        Ok(())
    }

    /// Forgets a named statement of the wire protocol (Close).
    pub fn remove_protocol_statement(&mut self, name: &str) {
        self.protocol_statements.names.remove(name);
    }

    /// The wire protocol's named statements that SQL `DEALLOCATE` closed since the last call:
    /// the server drops them.
    pub fn take_closed_protocol_statements(&mut self) -> Vec<String> {
        std::mem::take(&mut self.protocol_statements.closed)
    }

    /// Whether the session listens on any channel (committed `LISTEN`s): a server then
    /// watches for notifications while the session is idle.
    pub fn is_listening(&self) -> bool {
        !self.notify.channels().is_empty()
    }

    /// A handle another thread can wait on until a notification is delivered to this
    /// session (the server, while the session is idle).
    pub fn notification_waker(&self) -> crate::notify::NotificationWaker {
        self.notify.waker()
    }

    /// Ends the session's listening at once (a connection closing). Dropping the session
    /// does too, though delivery to it stops only when its mailbox's last
    /// [`crate::notify::NotificationWaker`] goes.
    pub fn unlisten_all(&mut self) {
        self.notify.close(&self.shared.notify);
    }

    /// The session's settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Sets a parameter's default for this session, as connection parameters do (`RESET`
    /// returns to it).
    pub fn set_default(&mut self, name: &str, value: &str) -> Result<(), SqlError> {
        self.settings.set_default(name, value)
    }

    /// The transaction status.
    pub fn transaction_status(&self) -> TransactionStatus {
        match &self.block {
            Some(b) if b.kind == BlockKind::Explicit && b.failed => TransactionStatus::Failed,
            Some(b) if b.kind == BlockKind::Explicit => TransactionStatus::InTransaction,
            _ => TransactionStatus::Idle,
        }
    }

    /// Runs a query string (one or more statements) and returns the results, or the first
    /// error. See [`Session::run`] to also get the results of the statements before an error.
    pub fn execute(&mut self, sql: &str) -> Result<Vec<StatementResult>, SqlError> {
        self.run(sql).into_result()
    }

    /// Runs one statement with parameter values for `$1`, `$2`, ... and returns its rows as
    /// typed values. Transaction rules are [`Session::execute`]'s.
    ///
    /// ```
    /// use basalt_common::types::Value;
    /// use basalt_sql::Session;
    /// use basalt_txn::LocalKv;
    ///
    /// let mut s = Session::new(LocalKv::memory());
    /// s.execute("CREATE TABLE t (id int PRIMARY KEY, name text)")?;
    /// s.query("INSERT INTO t VALUES ($1, $2)", &[Value::Int4(7), Value::Text("seven".into())])?;
    /// let r = s.query("SELECT name, id + 1 FROM t WHERE id = $1", &[Value::Int4(7)])?;
    /// assert_eq!(r.rows, [[Value::Text("seven".into()), Value::Int4(8)]]);
    /// # Ok::<(), basalt_sql::SqlError>(())
    /// ```
    pub fn query(
        &mut self,
        sql: &str,
        params: &[basalt_common::types::Value],
    ) -> Result<QueryResult, SqlError> {
        self.query_owned(sql, params.to_vec())
    }

    /// [`Session::query`] taking the parameters by value (saves copying them).
    pub fn query_owned(
        &mut self,
        sql: &str,
        params: Vec<basalt_common::types::Value>,
    ) -> Result<QueryResult, SqlError> {
        self.params = params;
        self.capture = Some(Vec::new());
        let batch = self.run(sql);
        self.query_result(batch)
    }

    /// [`Session::query_owned`] handing the rows of a plain SELECT (VALUES, TABLE) to `sink`
    /// as the executor produces them instead of collecting them: memory stays bounded
    /// whatever the result's size. The result carries the tag (`SELECT n`) and the columns;
    /// statements whose rows are not streamed (SHOW, `... RETURNING`) keep theirs in it. An
    /// error the sink returns stops the statement as an execution error does.
    ///
    /// ```
    /// use basalt_common::types::{DataType, TypeContext, Value};
    /// use basalt_sql::{Notice, RowSink, Session, SqlError};
    /// use basalt_txn::LocalKv;
    ///
    /// struct Sum(i64);
    /// impl RowSink for Sum {
    ///     fn begin(&mut self, _: &[String], _: &[DataType], _: Vec<Notice>) -> Result<(), SqlError> {
    ///         Ok(())
    ///     }
    ///     fn row(&mut self, row: &[Value], _: &[DataType], _: &TypeContext) -> Result<(), SqlError> {
    ///         if let [Value::Int4(v)] = row {
    ///             self.0 += i64::from(*v);
    ///         }
    ///         Ok(())
    ///     }
    /// }
    /// let mut s = Session::new(LocalKv::memory());
    /// let mut sum = Sum(0);
    /// let r = s.query_to("SELECT i FROM generate_series(1, $1) AS g(i)", vec![Value::Int4(1000)], &mut sum)?;
    /// assert_eq!((r.tag.as_str(), r.rows.len(), sum.0), ("SELECT 1000", 0, 500500));
    /// # Ok::<(), basalt_sql::SqlError>(())
    /// ```
    pub fn query_to(
        &mut self,
        sql: &str,
        params: Vec<basalt_common::types::Value>,
        sink: &mut dyn crate::copy::RowSink,
    ) -> Result<QueryResult, SqlError> {
        let parsed = self.parse_or_abort(sql)?;
        self.params = params;
        self.capture = Some(Vec::new());
        let mut client = crate::copy::SinkClient(sink);
        self.message_received();
        let batch = self.run_parsed_with(
            &parsed,
            Some(crate::copy::CopyStream::Client(&mut client)),
            false,
        );
        self.query_result(batch)
    }

    /// Parses `sql` (through the parse cache) for [`Session::query_prepared`]; a syntax error
    /// is reported here.
    pub fn prepare(&mut self, sql: &str) -> Result<PreparedStatement, SqlError> {
        let standard_conforming_strings = self.settings.standard_conforming_strings();
        let parsed = self.cache.parse(
            sql,
            ParseOptions {
                standard_conforming_strings,
            },
        )?;
        Ok(PreparedStatement {
            parsed,
            standard_conforming_strings,
            slot: Arc::default(),
            shared: self.shared.clone(),
            declared: Arc::new([]),
        })
    }

    /// [`Session::prepare`] with parameter types given for some parameters (the wire
    /// protocol's Parse message; `None` leaves a parameter's type to inference, as an OID of
    /// 0 does). Every run of the statement binds with them, so `SELECT $1` declared `int4`
    /// returns an `int4` column; [`Session::describe_prepared`] reports them.
    pub fn prepare_typed(
        &mut self,
        sql: &str,
        declared: &[Option<basalt_common::types::DataType>],
    ) -> Result<PreparedStatement, SqlError> {
        let mut stmt = self.prepare(sql)?;
        if declared.iter().any(Option::is_some) {
            stmt.declared = declared
                .iter()
                .map(|t| t.clone().unwrap_or(basalt_common::types::DataType::Unknown))
                .collect();
        }
        Ok(stmt)
    }

    /// Runs a prepared statement with `params` as [`Session::query_owned`] runs its text.
    pub fn query_prepared(
        &mut self,
        stmt: &PreparedStatement,
        params: Vec<basalt_common::types::Value>,
    ) -> Result<QueryResult, SqlError> {
        if stmt.standard_conforming_strings != self.settings.standard_conforming_strings()
            || !Arc::ptr_eq(&stmt.shared, &self.shared)
        {
            self.declared_params = stmt.declared.to_vec();
            let r = self.query_owned(stmt.parsed.text(), params);
            self.declared_params.clear();
            return r;
        }
        let mut params = params;
        if let Some(r) = self.fast_prepared(stmt, &mut params) {
            return r.map(|()| QueryResult {
                tag: "INSERT 0 1".into(),
                ..QueryResult::default()
            });
        }
        self.params = params;
        self.capture = Some(Vec::new());
        // Only a single statement binds through the slot (it keeps one plan).
        self.plan_slot = (stmt.parsed.len() == 1).then(|| stmt.slot.clone());
        if !stmt.declared.is_empty() {
            self.declared_params = stmt.declared.to_vec();
        }
        let batch = self.run_parsed(&stmt.parsed);
        self.declared_params.clear();
        self.plan_slot = None;
        self.query_result(batch)
    }

    /// [`Session::query_prepared`] for a caller that wants only the number of rows the
    /// statement affected or returned (an embedded `execute`): a one-row INSERT on the
    /// prepared fast path builds no result at all.
    pub fn execute_prepared(
        &mut self,
        stmt: &PreparedStatement,
        params: Vec<basalt_common::types::Value>,
    ) -> Result<Executed, SqlError> {
        let mut params = params;
        self.execute_prepared_in(stmt, &mut params)
    }

    /// [`Session::execute_prepared`] with the parameters in the caller's vector, which a
    /// prepared INSERT's fast path leaves in place (its values moved out) for the caller to
    /// reuse; the general path takes them.
    pub fn execute_prepared_in(
        &mut self,
        stmt: &PreparedStatement,
        params: &mut Vec<basalt_common::types::Value>,
    ) -> Result<Executed, SqlError> {
        if let Some(r) = self.fast_prepared(stmt, params) {
            return r.map(|()| Executed::Inserted(1));
        }
        self.query_prepared(stmt, std::mem::take(params))
            .map(Executed::Result)
    }

    /// The prepared one-row INSERT fast path (`Session::fast_insert`), when the session is
    /// in a transaction block that can take it; `None`: run the statement the general way.
    fn fast_prepared(
        &mut self,
        stmt: &PreparedStatement,
        params: &mut [basalt_common::types::Value],
    ) -> Option<Result<(), SqlError>> {
        if stmt.standard_conforming_strings != self.settings.standard_conforming_strings()
            || !Arc::ptr_eq(&stmt.shared, &self.shared)
            || stmt.parsed.len() != 1
            || !self.block.as_ref().is_some_and(|b| {
                b.kind == BlockKind::Explicit
                    && !b.failed
                    && b.kv.is_some()
                    && !b.catalog_written
                    && !b.deferred.has_unique()
            })
        {
            return None;
        }
        self.fast_insert(&stmt.slot, &stmt.parsed, params)
    }

    /// The result of the last statement of `batch` run by [`Session::query_owned`], with the
    /// typed rows captured.
    fn query_result(&mut self, batch: Batch) -> Result<QueryResult, SqlError> {
        self.params.clear();
        let rows = self.capture.take().unwrap_or_default();
        let mut results = batch.into_result()?;
        let Some(last) = results.pop() else {
            return Ok(QueryResult::default());
        };
        // Statements answered by the session itself (SHOW, EXPLAIN) have text rows only.
        let rows = if rows.is_empty() && !last.rows.is_empty() {
            last.rows
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|v| {
                            v.clone().map_or(
                                basalt_common::types::Value::Null,
                                basalt_common::types::Value::Text,
                            )
                        })
                        .collect()
                })
                .collect()
        } else {
            rows
        };
        let types = if last.types.is_empty() && !last.columns.is_empty() {
            vec![basalt_common::types::DataType::Text; last.columns.len()]
        } else {
            last.types
        };
        Ok(QueryResult {
            tag: last.tag,
            columns: last.columns,
            types,
            rows,
            notices: Vec::new(),
        })
    }

    /// Runs a query string as PostgreSQL's simple query protocol does: statements run in order
    /// (several in one string share one implicit transaction unless they control transactions
    /// themselves) until the first error, which aborts the implicit transaction or puts an
    /// explicit one in the failed state.
    pub fn run(&mut self, sql: &str) -> Batch {
        match self.parse_or_abort(sql) {
            Ok(parsed) => self.run_parsed(&parsed),
            Err(e) => Batch {
                results: Vec::new(),
                error: Some(e),
                error_notices: Vec::new(),
            },
        }
    }

    /// Parses `sql` through the parse cache; a syntax error fails an open transaction block,
    /// as in PostgreSQL.
    pub(crate) fn parse_or_abort(
        &mut self,
        sql: &str,
    ) -> Result<Arc<crate::parse::Parsed>, SqlError> {
        let options = ParseOptions {
            standard_conforming_strings: self.settings.standard_conforming_strings(),
        };
        self.cache
            .parse(sql, options)
            .inspect_err(|_| self.abort_on_error())
    }

    /// [`Session::run`] of a parsed query string.
    fn run_parsed(&mut self, parsed: &crate::parse::Parsed) -> Batch {
        self.message_received();
        self.run_parsed_with(parsed, None, false)
    }

    /// Runs a query string for a protocol client (the wire server's simple query): each
    /// statement's result goes to `client` as it completes, and `COPY ... FROM STDIN` /
    /// `TO STDOUT` exchange their data with it. Returns the error that stopped the string,
    /// if any, with the notices its statement raised before it.
    pub fn run_for_client(
        &mut self,
        sql: &str,
        client: &mut dyn crate::copy::Client,
    ) -> Option<(SqlError, Vec<Notice>)> {
        let parsed = match self.parse_or_abort(sql) {
            Ok(p) => p,
            Err(e) => return Some((e, Vec::new())),
        };
        self.message_received();
        let batch =
            self.run_parsed_with(&parsed, Some(crate::copy::CopyStream::Client(client)), true);
        batch.error.map(|e| (e, batch.error_notices))
    }

    /// The extended query protocol's Sync: commits the implicit transaction that the
    /// statements executed since the last Sync ran in ([`Session::query_prepared_for`]),
    /// if there is one; a failed commit rolls it back and is returned.
    pub fn sync(&mut self) -> Result<(), SqlError> {
        if self
            .block
            .as_ref()
            .is_some_and(|b| b.kind == BlockKind::Pipeline)
        {
            return self.finish_block();
        }
        Ok(())
    }

    /// Runs a prepared statement for a protocol client (the wire server's Execute): as
    /// [`Session::query_prepared`], with its notices in the result, and a COPY exchanging
    /// its data with `client`. An error comes with the notices raised before it.
    pub fn query_prepared_for(
        &mut self,
        stmt: &PreparedStatement,
        params: Vec<basalt_common::types::Value>,
        client: &mut dyn crate::copy::Client,
    ) -> Result<QueryResult, Box<Failure>> {
        if stmt.standard_conforming_strings != self.settings.standard_conforming_strings()
            || !Arc::ptr_eq(&stmt.shared, &self.shared)
        {
            let parsed = match self.parse_or_abort(stmt.parsed.text()) {
                Ok(p) => p,
                Err(error) => {
                    return Err(Box::new(Failure {
                        error,
                        notices: Vec::new(),
                    }));
                }
            };
            self.declared_params = stmt.declared.to_vec();
            let r = self.query_parsed_for(&parsed, None, params, client);
            self.declared_params.clear();
            return r;
        }
        let slot = (stmt.parsed.len() == 1).then(|| stmt.slot.clone());
        if !stmt.declared.is_empty() {
            self.declared_params = stmt.declared.to_vec();
        }
        let r = self.query_parsed_for(&stmt.parsed, slot, params, client);
        self.declared_params.clear();
        r
    }

    fn query_parsed_for(
        &mut self,
        parsed: &crate::parse::Parsed,
        slot: Option<Arc<crate::engine::PlanSlot>>,
        params: Vec<basalt_common::types::Value>,
        client: &mut dyn crate::copy::Client,
    ) -> Result<QueryResult, Box<Failure>> {
        self.params = params;
        self.capture = Some(Vec::new());
        self.plan_slot = slot;
        self.message_received();
        if self.block.is_none() {
            self.start_block(BlockKind::Pipeline);
        }
        let mut batch =
            self.run_parsed_with(parsed, Some(crate::copy::CopyStream::Client(client)), false);
        self.plan_slot = None;
        if let Some(error) = batch.error.take() {
            self.params.clear();
            self.capture = None;
            return Err(Box::new(Failure {
                error,
                notices: batch.error_notices,
            }));
        }
        let notices = batch
            .results
            .last_mut()
            .map(|r| std::mem::take(&mut r.notices))
            .unwrap_or_default();
        match self.query_result(batch) {
            Ok(mut r) => {
                r.notices = notices;
                Ok(r)
            }
            Err(error) => Err(Box::new(Failure { error, notices })),
        }
    }

    /// [`Session::run_parsed`], with the client's data stream for `COPY ... FROM STDIN` /
    /// `TO STDOUT` when given.
    pub(crate) fn run_parsed_with(
        &mut self,
        parsed: &crate::parse::Parsed,
        mut copy: Option<crate::copy::CopyStream<'_>>,
        stream: bool,
    ) -> Batch {
        let mut batch = Batch {
            results: Vec::new(),
            error: None,
            error_notices: Vec::new(),
        };
        let sql = parsed.text();
        let multi = parsed.len() > 1;
        self.current_sql = Some(parsed.shared_text());
        let mut lexer_warnings: Vec<Notice> = parsed
            .warnings()
            .iter()
            .filter(|n| self.settings.sends(n.severity))
            .cloned()
            .collect();
        // A text parsed from a template with a parameter form runs that form with its
        // literals as parameters (`crate::shape::ParamForm`), unless the statement has
        // parameters of its own or a prepared statement's plan slot.
        let param_form = self.params.is_empty()
            && self.declared_params.is_empty()
            && self.plan_slot.is_none()
            && !self.settings.force_custom_plan();
        for i in 0..parsed.len() {
            let param = if param_form {
                parsed.param_statement(i)
            } else {
                None
            };
            let stmt = match &param {
                Some((s, ..)) => *s,
                None => match parsed.statement(i) {
                    Some(s) => s,
                    None => break,
                },
            };
            // (The statements of one message share its start time: see `message_received`.)
            self.statement_started = false;
            if self.block.is_none() {
                self.start_block(if multi {
                    BlockKind::Implicit
                } else {
                    BlockKind::Single
                });
            }
            self.interrupt.begin(self.settings.statement_timeout());
            let mut notices = std::mem::take(&mut lexer_warnings);
            // A `$n` beyond the parameters given: PostgreSQL's parse analysis refuses it.
            let outcome = match stmt.max_param() {
                Some((n, at)) if n as usize > self.params.len() => Err(SqlError::new(
                    "42P02",
                    format!("there is no parameter ${n}"),
                )
                .at(u32::try_from(at).ok().map(|a| a + 1))),
                _ => match (stmt.node(), copy.as_mut()) {
                    (Some(Node::CopyStmt(c)), Some(io))
                        if self.transaction_status() != TransactionStatus::Failed =>
                    {
                        self.copy_statement(c, Some(io))
                    }
                    _ => {
                        let formed = param.is_some();
                        if let Some((_, values)) = param {
                            self.params = values;
                            self.declared_params =
                                vec![basalt_common::types::DataType::Int4; self.params.len()];
                            self.plan_text = Some(stmt.text().as_ptr() as usize);
                        }
                        let r = match (stmt.node(), copy.as_mut()) {
                            // A query's rows go to a client that takes them as they come.
                            (
                                Some(Node::SelectStmt(s)),
                                Some(crate::copy::CopyStream::Client(c)),
                            ) if self.transaction_status() != TransactionStatus::Failed
                                && crate::engine::select_streams(s) =>
                            {
                                match c.rows() {
                                    Some(sink) => {
                                        self.select_to(s, stmt.text(), sink, &mut notices)
                                    }
                                    None => self.execute_statement(&stmt, &mut notices),
                                }
                            }
                            _ => self.execute_statement(&stmt, &mut notices),
                        };
                        if formed {
                            self.params.clear();
                            self.declared_params.clear();
                            self.plan_text = None;
                            // The form's tree keeps the template text's positions.
                            r.map_err(|e| e.map_byte_position(|p| parsed.param_position(p)))
                        } else {
                            r
                        }
                    }
                },
            };
            let outcome = outcome.and_then(|r| self.end_of_statement().map(|()| r));
            self.interrupt.end();
            // `pg_notify()` calls of the statement: queued if it succeeded.
            let notified = std::mem::take(&mut self.seq_session.notified);
            if outcome.is_ok() {
                for (c, p) in notified {
                    self.notify.queue(c, p);
                }
            }
            // `set_config()` calls: applied if it succeeded (checked when called).
            let set_configs = std::mem::take(&mut self.seq_session.set_configs);
            if outcome.is_ok() {
                for (name, value, local) in set_configs {
                    let scope = if local { Scope::Local } else { Scope::Session };
                    self.save_settings();
                    // Checked when called: applying it cannot fail; if it ever did, the
                    // statement's result stands and the setting stays as it was.
                    let _ = self.settings.set_str(&name, value.as_deref(), scope);
                }
            }
            match outcome {
                Ok(mut result) => {
                    result.notices = notices;
                    batch.results.push(result);
                    if self
                        .block
                        .as_ref()
                        .is_some_and(|b| b.kind == BlockKind::Single)
                        && let Err(e) = self.finish_block()
                    {
                        // The statement did not happen after all: its commit failed.
                        if let Some(result) = batch.results.pop() {
                            batch.error_notices = result.notices;
                        }
                        batch.error = Some(e);
                        return batch;
                    }
                    if stream
                        && let Some(crate::copy::CopyStream::Client(c)) = copy.as_mut()
                        && let Some(result) = batch.results.pop()
                    {
                        c.result(result);
                    }
                }
                Err(e) => {
                    self.abort_on_error();
                    batch.error = Some(e.byte_position_to_chars(sql));
                    batch.error_notices = notices;
                    return batch;
                }
            }
        }
        if self
            .block
            .as_ref()
            .is_some_and(|b| b.kind == BlockKind::Implicit)
            && let Err(e) = self.finish_block()
        {
            batch.error = Some(e);
        }
        batch
    }

    /// A transaction block starting with the current statement: as in PostgreSQL, its
    /// start (`now()`) is that statement's start (`BEGIN`'s, or the one statement's of an
    /// implicit transaction, whose `statement_timestamp()` is then `now()`).
    fn start_block(&mut self, kind: BlockKind) {
        self.settings.start_transaction();
        self.block = Some(Block::new(kind, self.statement_now()));
    }

    /// Marks the start of the next statement: its key-value statement and its start time
    /// are taken when first needed.
    pub(crate) fn begin_statement(&mut self) {
        self.statement_started = false;
        self.message_received();
    }

    /// A new message from the client (a query string, an Execute): as in PostgreSQL,
    /// `statement_timestamp()` is when the latest one arrived, shared by the statements of
    /// a query string. Called before the message's statements, so that a transaction
    /// block it starts starts at the same time.
    pub(crate) fn message_received(&self) {
        self.statement_time.set(None);
    }

    /// The current statement's start time (see [`Session::statement_time`]).
    pub(crate) fn statement_now(&self) -> i64 {
        match self.statement_time.get() {
            Some(t) => t,
            None => {
                let t = crate::engine::now_micros();
                self.statement_time.set(Some(t));
                t
            }
        }
    }

    /// Commits the current block (single or implicit, or an explicit one on COMMIT).
    fn finish_block(&mut self) -> Result<(), SqlError> {
        if self
            .block
            .as_ref()
            .is_some_and(|b| b.deferred.has_pending())
            && let Err(e) = self.fire_deferred(true)
        {
            self.rollback_block();
            return Err(e);
        }
        if !self.on_commit.is_empty()
            && self.block.is_some()
            && let Err(e) = self.on_commit_actions()
        {
            self.rollback_block();
            return Err(e);
        }
        if let Err(e) = self.cursors_pre_commit() {
            self.rollback_block();
            return Err(e);
        }
        let Some(block) = self.block.take() else {
            return Ok(());
        };
        let committed = match block.kv {
            Some(txn) => txn.commit().map(|_| ()),
            None => Ok(()),
        };
        match committed {
            Ok(()) => {
                for e in &mut self.on_commit {
                    e.pending = false;
                }
                self.notify.at_commit(&self.shared.notify, self.process_id);
                let seqs = self.sequences_at_commit();
                self.cursors.at_commit();
                self.settings.end_transaction();
                seqs?;
            }
            Err(e) => {
                self.cursors.at_rollback();
                self.seq_session.at_rollback();
                self.notify.at_rollback();
                // Nothing of the transaction happened: its SETs go too.
                if let Some(s) = block.settings_at_start {
                    self.settings.restore(s);
                }
                self.settings.end_transaction();
                return Err(e.into());
            }
        }
        Ok(())
    }

    /// Runs `f`, which only reads (binds a statement for [`Session::describe_prepared`]),
    /// in the block's key-value transaction when it has begun, otherwise in a key-value
    /// transaction of its own that is rolled back afterwards: the block's first snapshot,
    /// and so its isolation level, stay to be set by its first real statement.
    pub(crate) fn in_reading_transaction<R>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<R, SqlError>,
    ) -> Result<R, SqlError> {
        let started = std::mem::replace(&mut self.statement_started, false);
        let own = self.block.as_ref().is_none_or(|b| b.kv.is_none());
        let saved = if own {
            let saved = self.block.take();
            self.block = Some(Block::new(BlockKind::Single, self.statement_now()));
            saved
        } else {
            None
        };
        let r = f(self);
        if own {
            if let Some(txn) = self.block.take().and_then(|b| b.kv) {
                txn.rollback();
            }
            self.block = saved;
        }
        self.statement_started = started;
        r
    }

    /// Rolls the current block back entirely.
    fn rollback_block(&mut self) {
        // ON COMMIT actions of tables whose creation is undone go too.
        self.on_commit.retain(|e| !e.pending);
        self.cursors.at_rollback();
        self.seq_session.at_rollback();
        self.notify.at_rollback();
        if let Some(block) = self.block.take() {
            if let Some(txn) = block.kv {
                txn.rollback();
            }
            if let Some(s) = block.settings_at_start {
                self.settings.restore(s);
            }
            self.settings.end_transaction();
        }
    }

    /// After a failed statement: an explicit block fails, any other block rolls back. The wire
    /// server calls it for errors raised outside a statement's execution too (the extended
    /// protocol's Parse, Bind, Describe), which abort the transaction in PostgreSQL as well.
    pub fn abort_on_error(&mut self) {
        match &mut self.block {
            Some(b) if b.kind == BlockKind::Explicit => b.failed = true,
            Some(_) => self.rollback_block(),
            None => {}
        }
    }

    /// Saves the settings before the block's first change, so that a rollback restores them.
    fn save_settings(&mut self) {
        if let Some(b) = &mut self.block
            && b.settings_at_start.is_none()
        {
            b.settings_at_start = Some(self.settings.snapshot());
        }
    }

    fn in_subtransaction(&self) -> bool {
        self.block
            .as_ref()
            .is_some_and(|b| !b.savepoints.is_empty())
    }

    /// Whether the first data statement of the block ran (PostgreSQL's `FirstSnapshotSet`).
    fn snapshot_taken(&self) -> bool {
        self.block.as_ref().is_some_and(|b| b.kv.is_some())
    }

    /// The key-value transaction the current statement reads and writes in, begun on first use
    /// with the transaction characteristics and settings in force (see the module doc).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn data_transaction(&mut self) -> Result<&mut K::Txn, SqlError> {
        // Every statement asks, most often with its transaction begun and its statement
        // started: answered before reading any setting.
        if self.statement_started && self.block.as_ref().is_some_and(|b| b.kv.is_some()) {
            return self
                .block
                .as_mut()
                .and_then(|b| b.kv.as_mut())
                .ok_or_else(|| SqlError::Unsupported("no transaction".into()));
        }
        if self.block.is_none() {
            self.start_block(BlockKind::Single);
        }
        let options = TxnOptions {
            isolation: self.settings.transaction_isolation().level(),
            // READ ONLY is enforced statement by statement (`check_writable` and friends):
            // temporary tables stay writable in a read-only transaction, as in PostgreSQL.
            read_only: false,
            lock_timeout: self.settings.lock_timeout(),
            synchronous_commit: self.settings.synchronous_commit(),
            interrupt: Some(self.interrupt.flag().clone()),
        };
        let Some(block) = self.block.as_mut() else {
            return Err(SqlError::Unsupported("no transaction".into()));
        };
        if block.kv.is_none() {
            let mut txn = self.kv.begin(options)?;
            for sp in &mut block.savepoints {
                sp.id = Some(txn.savepoint());
            }
            block.kv = Some(txn);
            self.statement_started = true;
        }
        let Some(txn) = block.kv.as_mut() else {
            return Err(SqlError::Unsupported("no transaction".into()));
        };
        if !self.statement_started {
            txn.start_statement();
            self.statement_started = true;
        }
        Ok(txn)
    }

    pub(crate) fn execute_statement(
        &mut self,
        stmt: &Statement<'_>,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        let Some(node) = stmt.node() else {
            return Err(SqlError::Unsupported("empty statement".into()));
        };
        if self.transaction_status() == TransactionStatus::Failed && !is_transaction_exit(node) {
            return Err(SqlError::InFailedTransaction);
        }
        match node {
            Node::TransactionStmt(t) => self.transaction_statement(t, notices),
            Node::VariableSetStmt(s) => self.set_statement(s, notices),
            Node::VariableShowStmt(s) => self.show_statement(&s.name),
            Node::DiscardStmt(d) => self.discard_statement(d, stmt),
            other => self.data_statement(other, stmt, notices),
        }
    }

    pub(crate) fn warn(&self, notices: &mut Vec<Notice>, code: SqlCode, message: &str) {
        let notice = Notice::warning(code, message);
        if self.settings.sends(notice.severity) {
            notices.push(notice);
        }
    }

    fn block_kind(&self) -> Option<BlockKind> {
        self.block.as_ref().map(|b| b.kind)
    }

    fn characteristics(&self) -> Characteristics {
        Characteristics {
            isolation: self.settings.transaction_isolation(),
            read_only: self.settings.transaction_read_only(),
            deferrable: self.settings.transaction_deferrable(),
        }
    }

    fn transaction_statement(
        &mut self,
        t: &protobuf::TransactionStmt,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        use TransactionStmtKind as K;
        let kind = K::try_from(t.kind).unwrap_or(K::Undefined);
        match kind {
            K::TransStmtBegin | K::TransStmtStart => {
                if self.block_kind() == Some(BlockKind::Explicit) {
                    self.warn(
                        notices,
                        SqlCode::ACTIVE_SQL_TRANSACTION,
                        "there is already a transaction in progress",
                    );
                } else if let Some(b) = &mut self.block {
                    b.kind = BlockKind::Explicit;
                }
                self.apply_transaction_modes(&t.options, Scope::Local)?;
                Ok(StatementResult::tag(if kind == K::TransStmtBegin {
                    "BEGIN"
                } else {
                    "START TRANSACTION"
                }))
            }
            K::TransStmtCommit | K::TransStmtRollback => {
                let commit = kind == K::TransStmtCommit;
                let command = if commit { "COMMIT" } else { "ROLLBACK" };
                match self.block_kind() {
                    Some(BlockKind::Explicit) => {
                        let failed = self.block.as_ref().is_some_and(|b| b.failed);
                        let chain = t.chain.then(|| self.characteristics());
                        let tag = if commit && !failed {
                            self.finish_block()?;
                            "COMMIT"
                        } else {
                            self.rollback_block();
                            "ROLLBACK"
                        };
                        if let Some(c) = chain {
                            self.start_block(BlockKind::Explicit);
                            self.set_characteristics(c);
                        }
                        Ok(StatementResult::tag(tag))
                    }
                    other => {
                        if t.chain {
                            return Err(SqlError::NoTransactionBlock(if commit {
                                "COMMIT AND CHAIN"
                            } else {
                                "ROLLBACK AND CHAIN"
                            }));
                        }
                        self.warn(
                            notices,
                            SqlCode::NO_ACTIVE_SQL_TRANSACTION,
                            "there is no transaction in progress",
                        );
                        // In an implicit block the statements before this one commit or roll
                        // back now; a single block ends after the statement anyway.
                        if matches!(other, Some(BlockKind::Implicit | BlockKind::Pipeline)) {
                            if commit {
                                self.finish_block()?;
                            } else {
                                self.rollback_block();
                            }
                        }
                        Ok(StatementResult::tag(command))
                    }
                }
            }
            K::TransStmtSavepoint => {
                self.require_explicit("SAVEPOINT")?;
                let settings = self.settings.snapshot();
                let read_only = self.settings.transaction_read_only();
                if let Some(b) = &mut self.block {
                    let id = b.kv.as_mut().map(|txn| txn.savepoint());
                    b.savepoints.push(Savepoint {
                        name: t.savepoint_name.clone(),
                        id,
                        settings,
                        read_only,
                        deferred: b.deferred.mark(),
                        sequences: self.seq_session.savepoint(),
                        notify: self.notify.mark(),
                    });
                }
                Ok(StatementResult::tag("SAVEPOINT"))
            }
            K::TransStmtRelease => {
                self.require_explicit("RELEASE SAVEPOINT")?;
                let index = self.find_savepoint(&t.savepoint_name)?;
                let mut read_only = None;
                if let Some(b) = &mut self.block {
                    if let (Some(txn), Some(id)) = (b.kv.as_mut(), b.savepoints[index].id) {
                        txn.release_savepoint(id)?;
                    }
                    read_only = Some(b.savepoints[index].read_only);
                    b.savepoints.truncate(index);
                }
                if let Some(ro) = read_only
                    && ro != self.settings.transaction_read_only()
                {
                    self.settings.set_str(
                        "transaction_read_only",
                        Some(if ro { "on" } else { "off" }),
                        Scope::Local,
                    )?;
                }
                self.cursors.release(index);
                Ok(StatementResult::tag("RELEASE"))
            }
            K::TransStmtRollbackTo => {
                self.require_explicit("ROLLBACK TO SAVEPOINT")?;
                let index = self.find_savepoint(&t.savepoint_name)?;
                let mut restore = None;
                if let Some(b) = &mut self.block {
                    if let (Some(txn), Some(id)) = (b.kv.as_mut(), b.savepoints[index].id) {
                        txn.rollback_to_savepoint(id)?;
                    }
                    b.savepoints.truncate(index + 1);
                    restore = Some(b.savepoints[index].settings.clone());
                    b.deferred.restore(&b.savepoints[index].deferred);
                    self.seq_session.rollback_to(&b.savepoints[index].sequences);
                    self.notify.rollback_to(b.savepoints[index].notify);
                    b.failed = false;
                }
                if let Some(s) = restore {
                    self.settings.restore(s);
                }
                self.cursors.rollback_to(index);
                Ok(StatementResult::tag("ROLLBACK"))
            }
            K::TransStmtPrepare => Err(SqlError::Unsupported("PREPARE TRANSACTION".into())),
            K::TransStmtCommitPrepared => Err(SqlError::Unsupported("COMMIT PREPARED".into())),
            K::TransStmtRollbackPrepared => Err(SqlError::Unsupported("ROLLBACK PREPARED".into())),
            K::Undefined => Err(SqlError::Unsupported("transaction statement".into())),
        }
    }

    fn require_explicit(&self, command: &'static str) -> Result<(), SqlError> {
        if self.block_kind() == Some(BlockKind::Explicit) {
            Ok(())
        } else {
            Err(SqlError::NoTransactionBlock(command))
        }
    }

    /// The index of the newest savepoint called `name`.
    fn find_savepoint(&self, name: &str) -> Result<usize, SqlError> {
        self.block
            .as_ref()
            .and_then(|b| b.savepoints.iter().rposition(|s| s.name == name))
            .ok_or_else(|| SqlError::NoSuchSavepoint(name.to_string()))
    }

    fn set_characteristics(&mut self, c: Characteristics) {
        // A new block has no snapshot and no savepoint, so these cannot fail.
        let _ = self.set_transaction_param(
            Param::TRANSACTION_ISOLATION,
            Some(c.isolation.name()),
            Scope::Local,
        );
        let _ = self.set_transaction_param(
            Param::TRANSACTION_READ_ONLY,
            Some(if c.read_only { "on" } else { "off" }),
            Scope::Local,
        );
        let _ = self.set_transaction_param(
            Param::TRANSACTION_DEFERRABLE,
            Some(if c.deferrable { "on" } else { "off" }),
            Scope::Local,
        );
    }

    /// Applies `ISOLATION LEVEL ...`, `READ ONLY`/`READ WRITE`, `[NOT] DEFERRABLE` items.
    fn apply_transaction_modes(
        &mut self,
        items: &[protobuf::Node],
        scope: Scope,
    ) -> Result<(), SqlError> {
        for item in items {
            let Some(Node::DefElem(def)) = item.node.as_ref() else {
                continue;
            };
            let param = match def.defname.as_str() {
                "transaction_isolation" => Param::TRANSACTION_ISOLATION,
                "transaction_read_only" => Param::TRANSACTION_READ_ONLY,
                "transaction_deferrable" => Param::TRANSACTION_DEFERRABLE,
                other => return Err(SqlError::Unsupported(format!("transaction mode {other}"))),
            };
            let arg = def.arg.as_deref().map(set_arg).transpose()?;
            let value = match arg {
                Some(SetArg::Str(s)) => s,
                Some(SetArg::Int(i)) => i.to_string(),
                Some(SetArg::Float(f)) => f,
                None => continue,
            };
            self.set_transaction_param(param, Some(&value), scope)?;
        }
        Ok(())
    }

    /// Sets one of the transaction characteristics after PostgreSQL's checks (`check_XactIsoLevel`,
    /// `check_transaction_read_only`, `check_transaction_deferrable`).
    fn set_transaction_param(
        &mut self,
        param: Param,
        value: Option<&str>,
        scope: Scope,
    ) -> Result<(), SqlError> {
        let before = self.settings.clone();
        self.save_settings();
        self.settings.set_str(param.name(), value, scope)?;
        let check = if param == Param::TRANSACTION_ISOLATION {
            if self.settings.transaction_isolation() != before.transaction_isolation() {
                if self.snapshot_taken() {
                    Err("SET TRANSACTION ISOLATION LEVEL must be called before any query")
                } else if self.in_subtransaction() {
                    Err("SET TRANSACTION ISOLATION LEVEL must not be called in a subtransaction")
                } else {
                    Ok(())
                }
            } else {
                Ok(())
            }
        } else if param == Param::TRANSACTION_READ_ONLY {
            if before.transaction_read_only() && !self.settings.transaction_read_only() {
                if self.in_subtransaction() {
                    Err("cannot set transaction read-write mode inside a read-only transaction")
                } else if self.snapshot_taken() {
                    Err("transaction read-write mode must be set before any query")
                } else {
                    Ok(())
                }
            } else {
                Ok(())
            }
        } else if self.in_subtransaction() {
            Err("SET TRANSACTION [NOT] DEFERRABLE cannot be called within a subtransaction")
        } else if self.snapshot_taken() {
            Err("SET TRANSACTION [NOT] DEFERRABLE must be called before any query")
        } else {
            Ok(())
        };
        if let Err(message) = check {
            self.settings = before;
            return Err(SqlError::ActiveTransaction(message));
        }
        Ok(())
    }

    fn set_statement(
        &mut self,
        s: &protobuf::VariableSetStmt,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        use VariableSetKind as V;
        let kind = V::try_from(s.kind).unwrap_or(V::Undefined);
        let in_block = !matches!(
            self.block_kind(),
            Some(BlockKind::Single | BlockKind::Pipeline)
        );
        let scope = if s.is_local {
            Scope::Local
        } else {
            Scope::Session
        };
        let name = s.name.as_str();
        match kind {
            V::VarSetMulti => {
                match name {
                    "TRANSACTION" => {
                        if !in_block {
                            self.warn(
                                notices,
                                SqlCode::NO_ACTIVE_SQL_TRANSACTION,
                                "SET TRANSACTION can only be used in transaction blocks",
                            );
                        }
                        self.apply_transaction_modes(&s.args, Scope::Session)?;
                    }
                    "SESSION CHARACTERISTICS" => {
                        for item in &s.args {
                            let Some(Node::DefElem(def)) = item.node.as_ref() else {
                                continue;
                            };
                            let target = match def.defname.as_str() {
                                "transaction_isolation" => "default_transaction_isolation",
                                "transaction_read_only" => "default_transaction_read_only",
                                "transaction_deferrable" => "default_transaction_deferrable",
                                other => {
                                    return Err(SqlError::Unsupported(format!(
                                        "transaction mode {other}"
                                    )));
                                }
                            };
                            let args: Vec<SetArg> = def
                                .arg
                                .as_deref()
                                .map(set_arg)
                                .transpose()?
                                .into_iter()
                                .collect();
                            self.save_settings();
                            self.settings.set(target, Some(&args), scope)?;
                        }
                    }
                    "TRANSACTION SNAPSHOT" => {
                        return Err(SqlError::Unsupported("SET TRANSACTION SNAPSHOT".into()));
                    }
                    other => return Err(SqlError::Unsupported(format!("SET {other}"))),
                }
                Ok(StatementResult::tag("SET"))
            }
            V::VarSetValue | V::VarSetDefault | V::VarSetCurrent | V::VarReset => {
                if matches!(name, "role" | "session_authorization") {
                    let value = match kind {
                        V::VarSetValue => {
                            let args = s.args.iter().map(set_arg).collect::<Result<Vec<_>, _>>()?;
                            Some(Settings::flatten(name, &args)?)
                        }
                        V::VarSetCurrent => {
                            return Err(SqlError::Unsupported(format!("SET {name} FROM CURRENT")));
                        }
                        _ => None,
                    };
                    self.save_settings();
                    self.set_identity(name, value.as_deref(), scope)?;
                    return Ok(StatementResult::tag(if kind == V::VarReset {
                        "RESET"
                    } else {
                        "SET"
                    }));
                }
                if s.is_local && !in_block && kind != V::VarReset {
                    self.warn(
                        notices,
                        SqlCode::NO_ACTIVE_SQL_TRANSACTION,
                        "SET LOCAL can only be used in transaction blocks",
                    );
                }
                let value = match kind {
                    V::VarSetValue => {
                        let args = s.args.iter().map(set_arg).collect::<Result<Vec<_>, _>>()?;
                        Some(Settings::flatten(name, &args)?)
                    }
                    V::VarSetCurrent => Some(self.settings.show(name)?.1),
                    _ => None,
                };
                if let Some(param) = Param::lookup(name).filter(|p| {
                    matches!(
                        *p,
                        Param::TRANSACTION_ISOLATION
                            | Param::TRANSACTION_READ_ONLY
                            | Param::TRANSACTION_DEFERRABLE
                    )
                }) {
                    if kind == V::VarReset && param == Param::TRANSACTION_ISOLATION && !in_block {
                        self.warn(
                            notices,
                            SqlCode::NO_ACTIVE_SQL_TRANSACTION,
                            "RESET TRANSACTION can only be used in transaction blocks",
                        );
                    }
                    self.set_transaction_param(param, value.as_deref(), scope)?;
                } else {
                    self.save_settings();
                    self.settings.set_str(name, value.as_deref(), scope)?;
                }
                Ok(StatementResult::tag(if kind == V::VarReset {
                    "RESET"
                } else {
                    "SET"
                }))
            }
            V::VarResetAll => {
                self.save_settings();
                self.settings.reset_all();
                Ok(StatementResult::tag("RESET"))
            }
            V::Undefined => Err(SqlError::Unsupported("SET".into())),
        }
    }

    pub(crate) fn show_statement(&self, name: &str) -> Result<StatementResult, SqlError> {
        let mut result = StatementResult::tag("SHOW");
        if name.eq_ignore_ascii_case("all") {
            result.columns = vec!["name".into(), "setting".into(), "description".into()];
            result.types = vec![basalt_common::types::DataType::Text; 3];
            result.rows = self
                .settings
                .show_all()
                .into_iter()
                .map(|row| row.into_iter().map(Some).collect())
                .collect();
            return Ok(result);
        }
        if name.eq_ignore_ascii_case("is_superuser") {
            result.columns = vec!["is_superuser".into()];
            result.types = vec![basalt_common::types::DataType::Text];
            let on = self.is_superuser()?;
            result.rows = vec![vec![Some(if on { "on" } else { "off" }.into())]];
            return Ok(result);
        }
        let (column, value) = self.settings.show(name)?;
        result.columns = vec![if column.is_empty() {
            name.to_string()
        } else {
            column.to_string()
        }];
        result.types = vec![basalt_common::types::DataType::Text];
        result.rows = vec![vec![Some(value)]];
        Ok(result)
    }

    fn discard_statement(
        &mut self,
        d: &protobuf::DiscardStmt,
        stmt: &Statement<'_>,
    ) -> Result<StatementResult, SqlError> {
        match DiscardMode::try_from(d.target) {
            Ok(DiscardMode::DiscardAll) => {
                if !matches!(
                    self.block_kind(),
                    Some(BlockKind::Single | BlockKind::Pipeline)
                ) {
                    return Err(SqlError::ActiveTransaction(
                        "DISCARD ALL cannot run inside a transaction block",
                    ));
                }
                self.drop_temporary_objects(stmt)?;
                self.save_settings();
                // SET SESSION AUTHORIZATION DEFAULT (which also resets the role), RESET ALL.
                self.settings
                    .set_session_authorization(None, Scope::Session);
                self.search_path_cache = None;
                self.settings.reset_all();
                self.seq_session.discard();
                self.cursors.close_all();
                Ok(StatementResult::tag("DISCARD ALL"))
            }
            // Plans are keyed by catalog version and settings: nothing to forget.
            Ok(DiscardMode::DiscardPlans) => Ok(StatementResult::tag("DISCARD PLANS")),
            Ok(DiscardMode::DiscardSequences) => {
                self.seq_session.discard();
                Ok(StatementResult::tag("DISCARD SEQUENCES"))
            }
            Ok(DiscardMode::DiscardTemp) => {
                self.drop_temporary_objects(stmt)?;
                Ok(StatementResult::tag("DISCARD TEMP"))
            }
            _ => Err(SqlError::Unsupported("DISCARD".into())),
        }
    }

    /// DISCARD TEMP: the session's temporary schema and everything in it go, in the
    /// statement's transaction (the schema comes back with the next temporary object).
    fn drop_temporary_objects(&mut self, stmt: &Statement<'_>) -> Result<(), SqlError> {
        let Some(name) = self.temp_schema.clone() else {
            return Ok(());
        };
        let sql = format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            crate::system::tables::quote_ident(&name)
        );
        let parsed = crate::parse::parse(&sql, crate::parse::ParseOptions::default())?;
        let Some(node) = parsed.statements().next().and_then(|s| s.node().cloned()) else {
            return Err(SqlError::new("XX000", "DISCARD TEMP: no statement"));
        };
        // (the cascade's notices are PostgreSQL's to leave out: DISCARD reports none)
        self.data_statement(&node, stmt, &mut Vec::new())?;
        Ok(())
    }
}

/// A `SET` argument node as PostgreSQL's `flatten_set_variable_args` reads it.
pub(crate) fn set_arg(node: &protobuf::Node) -> Result<SetArg, SqlError> {
    match node.node.as_ref() {
        Some(Node::AConst(c)) => match &c.val {
            Some(a_const::Val::Ival(i)) => Ok(SetArg::Int(i64::from(i.ival))),
            Some(a_const::Val::Fval(f)) => Ok(SetArg::Float(f.fval.clone())),
            Some(a_const::Val::Sval(s)) => Ok(SetArg::Str(s.sval.clone())),
            Some(a_const::Val::Boolval(b)) => {
                Ok(SetArg::Str(if b.boolval { "true" } else { "false" }.into()))
            }
            Some(a_const::Val::Bsval(b)) => Ok(SetArg::Str(b.bsval.clone())),
            // PostgreSQL's A_Const for integer 0 has no value in the protobuf form.
            None if !c.isnull => Ok(SetArg::Int(0)),
            None => Err(SqlError::Unsupported("SET to NULL".into())),
        },
        // SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE: an offset east of UTC, in hours.
        Some(Node::TypeCast(tc)) => {
            let is_interval = tc.type_name.as_ref().is_some_and(|t| {
                crate::binder::names(&t.names).last().map(String::as_str) == Some("interval")
            });
            let text = match tc.arg.as_deref().and_then(|a| a.node.as_ref()) {
                Some(Node::AConst(protobuf::AConst {
                    val: Some(a_const::Val::Sval(s)),
                    ..
                })) if is_interval => s.sval.clone(),
                _ => return Err(SqlError::Unsupported("this SET value".into())),
            };
            let iv = basalt_common::types::interval::parse_interval(&text)?;
            if iv.months != 0 || iv.days != 0 {
                let what = if iv.months != 0 { "months" } else { "days" };
                return Err(SqlError::new(
                    "22023",
                    format!("invalid value for parameter \"TimeZone\": \"INTERVAL '{text}'\""),
                )
                .with_detail(format!("Cannot specify {what} in time zone interval.")));
            }
            Ok(SetArg::Float(format!(
                "{}",
                iv.micros as f64 / 3_600_000_000.0
            )))
        }
        _ => Err(SqlError::Unsupported("this SET value".into())),
    }
}

impl<K: TxnKv> Drop for Session<K> {
    /// Temporary tables go with their session, as in PostgreSQL.
    fn drop(&mut self) {
        if let Some(name) = self.temp_schema.take() {
            let _ = self.run("ROLLBACK");
            let _ = self.run(&format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                crate::system::tables::quote_ident(&name)
            ));
        }
        self.shared.leave(self.membership);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use basalt_txn::{IsolationLevel, LocalKv, LocalTxn, Transaction, TxnKv, TxnOptions};
    use parking_lot::Mutex;

    use super::*;

    /// Records the options of every transaction begun.
    #[derive(Clone)]
    struct Recording {
        inner: LocalKv,
        begun: Arc<Mutex<Vec<TxnOptions>>>,
    }

    impl TxnKv for Recording {
        type Txn = LocalTxn;
        fn begin(&self, options: TxnOptions) -> basalt_txn::Result<LocalTxn> {
            self.begun.lock().push(options.clone());
            self.inner.begin(options)
        }
        fn namespace(&self, id: u32) -> Self {
            Recording {
                inner: self.inner.namespace(id),
                begun: self.begun.clone(),
            }
        }
        fn root(&self) -> Self {
            Recording {
                inner: self.inner.root(),
                begun: self.begun.clone(),
            }
        }
    }

    fn recording() -> (Session<Recording>, Arc<Mutex<Vec<TxnOptions>>>) {
        let begun = Arc::new(Mutex::new(Vec::new()));
        let kv = Recording {
            inner: LocalKv::memory(),
            begun: Arc::clone(&begun),
        };
        (Session::new(kv), begun)
    }

    fn ok<K: TxnKv>(s: &mut Session<K>, sql: &str) -> Vec<StatementResult> {
        s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn err<K: TxnKv>(s: &mut Session<K>, sql: &str) -> SqlError {
        match s.execute(sql) {
            Err(e) => e,
            Ok(r) => panic!("{sql} succeeded: {r:?}"),
        }
    }

    fn put<K: TxnKv>(s: &mut Session<K>, key: &[u8], value: &[u8]) {
        let txn = s.data_transaction().unwrap_or_else(|e| panic!("{e}"));
        txn.put(key.to_vec(), value.to_vec())
            .unwrap_or_else(|e| panic!("{e}"));
    }

    fn get<K: TxnKv>(s: &mut Session<K>, key: &[u8]) -> Option<Vec<u8>> {
        let txn = s.data_transaction().unwrap_or_else(|e| panic!("{e}"));
        txn.get(key).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn transaction_begins_at_first_data_statement_with_current_settings() {
        let (mut s, begun) = recording();
        ok(&mut s, "SET lock_timeout = '250ms'");
        ok(&mut s, "SET synchronous_commit = off");
        ok(&mut s, "BEGIN");
        ok(
            &mut s,
            "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY",
        );
        assert!(begun.lock().is_empty(), "BEGIN begins nothing");
        get(&mut s, b"k");
        let options = begun
            .lock()
            .last()
            .cloned()
            .unwrap_or_else(|| panic!("not begun"));
        assert_eq!(options.isolation, IsolationLevel::Serializable);
        // READ ONLY is the SQL layer's (temporary tables stay writable).
        assert!(!options.read_only);
        assert_eq!(options.lock_timeout, Some(Duration::from_millis(250)));
        assert_eq!(options.synchronous_commit, Some(false));
        ok(&mut s, "ROLLBACK");
        // Defaults: the database decides lock timeout and durability.
        let (mut s, begun) = recording();
        ok(
            &mut s,
            "SET default_transaction_isolation = 'repeatable read'",
        );
        ok(&mut s, "BEGIN");
        put(&mut s, b"k", b"v");
        let options = begun
            .lock()
            .last()
            .cloned()
            .unwrap_or_else(|| panic!("not begun"));
        assert_eq!(options.isolation, IsolationLevel::RepeatableRead);
        assert_eq!(options.lock_timeout, None);
        assert_eq!(options.synchronous_commit, None);
    }

    #[test]
    fn isolation_cannot_change_after_the_first_query() {
        let (mut s, _) = recording();
        ok(&mut s, "BEGIN");
        get(&mut s, b"k");
        let e = err(&mut s, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
        assert_eq!(e.code(), SqlCode::ACTIVE_SQL_TRANSACTION);
        assert_eq!(
            e.to_string(),
            "SET TRANSACTION ISOLATION LEVEL must be called before any query"
        );
        assert_eq!(s.transaction_status(), TransactionStatus::Failed);
        ok(&mut s, "ROLLBACK");
        // The same level is accepted; going read-only is accepted, read-write again is not.
        ok(&mut s, "BEGIN");
        get(&mut s, b"k");
        ok(&mut s, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
        ok(&mut s, "SET TRANSACTION READ ONLY");
        let e = err(&mut s, "SET TRANSACTION READ WRITE");
        assert_eq!(
            e.to_string(),
            "transaction read-write mode must be set before any query"
        );
        ok(&mut s, "ROLLBACK");
    }

    #[test]
    fn savepoints_undo_writes_including_savepoints_set_before_the_transaction_began() {
        let (mut s, _) = recording();
        ok(&mut s, "BEGIN");
        ok(&mut s, "SAVEPOINT a");
        put(&mut s, b"x", b"1");
        ok(&mut s, "SAVEPOINT b");
        put(&mut s, b"y", b"2");
        ok(&mut s, "ROLLBACK TO b");
        assert_eq!(get(&mut s, b"y"), None);
        assert_eq!(get(&mut s, b"x"), Some(b"1".to_vec()));
        ok(&mut s, "ROLLBACK TO a");
        assert_eq!(get(&mut s, b"x"), None);
        put(&mut s, b"z", b"3");
        ok(&mut s, "RELEASE a");
        ok(&mut s, "COMMIT");
        ok(&mut s, "BEGIN");
        assert_eq!(get(&mut s, b"z"), Some(b"3".to_vec()));
        assert_eq!(get(&mut s, b"x"), None);
        ok(&mut s, "COMMIT");
    }

    #[test]
    fn failed_statement_in_savepoint_is_undone_by_rollback_to() {
        let (mut s, _) = recording();
        ok(&mut s, "BEGIN");
        put(&mut s, b"a", b"1");
        ok(&mut s, "SAVEPOINT s");
        put(&mut s, b"b", b"2");
        err(&mut s, "SELEC");
        assert_eq!(
            err(&mut s, "SHOW search_path").code(),
            SqlCode::IN_FAILED_SQL_TRANSACTION
        );
        ok(&mut s, "ROLLBACK TO SAVEPOINT s");
        assert_eq!(s.transaction_status(), TransactionStatus::InTransaction);
        assert_eq!(get(&mut s, b"b"), None);
        ok(&mut s, "COMMIT");
        ok(&mut s, "BEGIN");
        assert_eq!(get(&mut s, b"a"), Some(b"1".to_vec()));
        ok(&mut s, "COMMIT");
    }

    #[test]
    fn commit_of_failed_transaction_rolls_back() {
        let (mut s, _) = recording();
        ok(&mut s, "BEGIN");
        put(&mut s, b"a", b"1");
        err(&mut s, "SELECT 1 / 0");
        let r = ok(&mut s, "COMMIT");
        assert_eq!(r[0].tag, "ROLLBACK");
        assert_eq!(s.transaction_status(), TransactionStatus::Idle);
        ok(&mut s, "BEGIN");
        assert_eq!(get(&mut s, b"a"), None);
        ok(&mut s, "ROLLBACK");
    }

    #[test]
    fn lock_timeout_reaches_the_transaction_layer() {
        let kv = LocalKv::memory();
        let mut holder = Session::new(kv.clone());
        let mut waiter = Session::new(kv);
        ok(&mut holder, "BEGIN");
        put(&mut holder, b"row", b"1");
        ok(&mut waiter, "SET lock_timeout = 50");
        ok(&mut waiter, "BEGIN");
        let started = Instant::now();
        let txn = waiter.data_transaction().unwrap_or_else(|e| panic!("{e}"));
        let e = txn.put(b"row".to_vec(), b"2".to_vec()).err();
        let e = SqlError::from(e.unwrap_or_else(|| panic!("no lock conflict")));
        assert_eq!(e.code().code(), "55P03");
        assert!(started.elapsed() < Duration::from_secs(5));
        ok(&mut holder, "COMMIT");
        ok(&mut waiter, "ROLLBACK");
    }

    #[test]
    fn autocommit_commits_after_the_statement() {
        let kv = LocalKv::memory();
        let mut s = Session::new(kv.clone());
        // A data statement outside a block runs in a single-statement transaction that ends
        // with the statement.
        put(&mut s, b"k", b"v");
        ok(&mut s, "SHOW search_path");
        assert_eq!(s.transaction_status(), TransactionStatus::Idle);
        let mut other = Session::new(kv);
        ok(&mut other, "BEGIN");
        assert_eq!(get(&mut other, b"k"), Some(b"v".to_vec()));
        ok(&mut other, "COMMIT");
    }

    #[test]
    fn multi_statement_strings_share_an_implicit_transaction() {
        let (mut s, _) = recording();
        // ROLLBACK in an implicit block rolls back the statements before it.
        let r = ok(
            &mut s,
            "SET statement_timeout = 7; ROLLBACK; SHOW statement_timeout",
        );
        assert_eq!(r[1].notices.len(), 1);
        assert_eq!(r[2].rows, [[Some("0".to_string())]]);
        // COMMIT commits them.
        let r = ok(
            &mut s,
            "SET statement_timeout = 9; COMMIT; SHOW statement_timeout",
        );
        assert_eq!(
            r[1].notices[0].message,
            "there is no transaction in progress"
        );
        assert_eq!(r[2].rows, [[Some("9ms".to_string())]]);
        // An error rolls back the whole string and skips the rest.
        let batch = s.run("SET statement_timeout = 8; SELECT 1 / 0; SET statement_timeout = 10");
        assert_eq!(batch.results.len(), 1);
        assert!(batch.error.is_some());
        assert_eq!(
            ok(&mut s, "SHOW statement_timeout")[0].rows,
            [[Some("9ms".to_string())]]
        );
        // SET LOCAL in an implicit block warns not, and lasts until its end.
        let r = ok(
            &mut s,
            "SET LOCAL statement_timeout = 5; SHOW statement_timeout",
        );
        assert!(r[0].notices.is_empty());
        assert_eq!(r[1].rows, [[Some("5ms".to_string())]]);
        assert_eq!(
            ok(&mut s, "SHOW statement_timeout")[0].rows,
            [[Some("9ms".to_string())]]
        );
        // BEGIN in the middle turns the block explicit; an error then leaves it failed.
        let batch =
            s.run("SET statement_timeout = 10; BEGIN; SELECT 1 / 0; SHOW statement_timeout");
        assert_eq!(batch.results.len(), 2);
        assert_eq!(s.transaction_status(), TransactionStatus::Failed);
        ok(&mut s, "ROLLBACK");
        assert_eq!(
            ok(&mut s, "SHOW statement_timeout")[0].rows,
            [[Some("9ms".to_string())]]
        );
        // Savepoints need an explicit block.
        let e = err(&mut s, "SAVEPOINT a; SHOW statement_timeout");
        assert_eq!(e.code(), SqlCode::NO_ACTIVE_SQL_TRANSACTION);
        // A parse error anywhere runs nothing.
        let batch = s.run("SET statement_timeout = 11; SELEC");
        assert!(batch.results.is_empty());
        assert_eq!(batch.error.and_then(|e| e.position()), Some(29));
    }

    #[test]
    fn chain_keeps_characteristics() {
        let (mut s, _) = recording();
        ok(&mut s, "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY");
        ok(&mut s, "COMMIT AND CHAIN");
        let r = ok(
            &mut s,
            "SHOW transaction_isolation; SHOW transaction_read_only",
        );
        assert_eq!(r[0].rows, [[Some("serializable".to_string())]]);
        assert_eq!(r[1].rows, [[Some("on".to_string())]]);
        err(&mut s, "SELEC");
        assert_eq!(ok(&mut s, "ROLLBACK AND CHAIN")[0].tag, "ROLLBACK");
        assert_eq!(s.transaction_status(), TransactionStatus::InTransaction);
        ok(&mut s, "ROLLBACK");
        assert_eq!(
            ok(&mut s, "SHOW transaction_isolation")[0].rows,
            [[Some("read committed".to_string())]]
        );
    }

    #[test]
    fn client_min_messages_filters_warnings() {
        let (mut s, _) = recording();
        ok(&mut s, "SET client_min_messages = error");
        let r = ok(&mut s, "COMMIT");
        assert!(r[0].notices.is_empty());
        ok(&mut s, "RESET client_min_messages");
        let r = ok(&mut s, "COMMIT");
        assert_eq!(r[0].notices.len(), 1);
    }
}
