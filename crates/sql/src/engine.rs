//! Statement execution inside a [`Session`]: loading the catalog of the transaction's
//! snapshot, binding, planning and running queries, DML and DDL, and sequences.
//!
//! # Sequences
//!
//! `nextval` is not transactional (PostgreSQL never gives a value back on rollback). A
//! sequence's state is PostgreSQL's (`last_value`, `log_cnt`, `is_called`, what
//! `SELECT * FROM seq` shows), kept in [`Shared`] for the sessions of the database and
//! advanced by PostgreSQL's algorithm: when the values written ahead run out, the value
//! [`SEQ_LOG_VALS`] past the new ones is written to the key `q` + OID by a short transaction
//! of its own (committed without waiting for the fsync: any transaction that uses a value
//! commits later in the log, so it cannot become durable without the write). After a restart
//! the state is read back from that key, so up to 32 values are skipped, as after a crash in
//! PostgreSQL. With CACHE n a session takes n values at a time and hands them out itself
//! (`last_value` shows the last value taken by any session, as in PostgreSQL). Before
//! writing ahead, the key is re-read under its lock: if another [`Shared`] over the same
//! store wrote it, the state continues after that value, so no value is handed out twice.
//!
//! ALTER SEQUENCE changes the catalog in the statement's transaction, but its effect on the
//! state (RESTART, dropping the values written ahead) is immediate and not undone by a
//! rollback, unlike PostgreSQL's.

use std::collections::HashMap;
use std::sync::Arc;

use basalt_common::types::{CastContext, DataType, TimeZone, TypeContext, Value, format_text};
use basalt_func::EvalContext;
use basalt_txn::{LockMode, LockWait, Transaction, TxnKv, TxnOptions};
use parking_lot::Mutex;
use pg_query::protobuf::{self, node::Node};

use crate::binder::{
    Binder, Query, Scope, ScopeCol, expr_start, names, node_location, output_locations, table_scope,
};
use crate::catalog::{
    CATALOG_KEY, Catalog, CatalogCache, ConstraintKind, Relation, Sequence, Table, VERSION_KEY,
};
use crate::error::{Notice, SqlError};
use crate::exec::{Cx, SeqState, Sequences, collect};
use crate::expr::{Expr, Row, SeqFunc, eval};
use crate::parse::{ParseCache, Statement};
use crate::plan::{Access, Plan};
use crate::session::{Block, Session, StatementResult};
use crate::views::{ViewOp, ViewTarget};

/// Plans a session keeps (the cache is emptied when full).
pub const PLAN_CACHE_SIZE: usize = 512;

/// Values written ahead to storage each time a sequence needs more, as PostgreSQL's
/// `SEQ_LOG_VALS`.
pub const SEQ_LOG_VALS: i64 = 32;

/// Row ids a session takes at once for a table without a primary key.
const ROW_ID_CACHE: i64 = 1024;

/// State shared by the sessions of one database.
pub struct Shared {
    /// Parse cache.
    pub parse_cache: Arc<ParseCache>,
    /// The last committed catalog decoded.
    pub catalog: CatalogCache,
    /// The current state of each sequence used since the database was opened.
    sequences: Mutex<HashMap<u32, SharedSeq>>,
    /// The sessions listening for notifications ([`crate::notify`]).
    pub notify: crate::notify::Hub,
    /// The database's OID ([`crate::cluster`]).
    pub database: u32,
    /// The sessions connected, by process id, with what ends each one (`DROP DATABASE ...
    /// WITH (FORCE)`; `None` for a session nothing can end from outside).
    sessions: Mutex<HashMap<u64, Option<Terminator>>>,
    next_session: std::sync::atomic::AtomicU64,
}

/// What ends a session from outside (the server closes its connection).
pub type Terminator = Arc<dyn Fn() + Send + Sync>;

impl Shared {
    /// Shared state around a parse cache, for the database of the root namespace.
    pub fn new(parse_cache: Arc<ParseCache>) -> Shared {
        Shared::for_database(parse_cache, crate::cluster::POSTGRES_OID)
    }

    /// Shared state of database `database`.
    pub fn for_database(parse_cache: Arc<ParseCache>, database: u32) -> Shared {
        Shared {
            parse_cache,
            catalog: CatalogCache::default(),
            sequences: Mutex::new(HashMap::new()),
            notify: Default::default(),
            database,
            sessions: Mutex::new(HashMap::new()),
            next_session: std::sync::atomic::AtomicU64::new(1),
        }
    }

    /// How many sessions are connected.
    pub fn session_count(&self) -> usize {
        self.sessions.lock().len()
    }

    /// Counts a new session; returns its key for [`Shared::leave`].
    pub(crate) fn join(&self) -> u64 {
        let key = self
            .next_session
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.sessions.lock().insert(key, None);
        key
    }

    /// Forgets a session that ended.
    pub(crate) fn leave(&self, key: u64) {
        self.sessions.lock().remove(&key);
    }

    /// Sets what ends session `key` from outside.
    pub(crate) fn set_terminator(&self, key: u64, t: Terminator) {
        if let Some(slot) = self.sessions.lock().get_mut(&key) {
            *slot = Some(t);
        }
    }

    /// Ends every session that can be ended from outside.
    pub(crate) fn terminate_all(&self) {
        let all: Vec<Terminator> = self.sessions.lock().values().flatten().cloned().collect();
        for t in all {
            t();
        }
    }
}

impl Default for Shared {
    fn default() -> Self {
        Shared::new(Arc::new(ParseCache::default()))
    }
}

/// A sequence's state and what this process last wrote to (or read from) its key.
#[derive(Debug, Clone, Copy)]
struct SharedSeq {
    state: SeqState,
    stored: Option<(i64, bool)>,
}

/// A session's sequence state: `currval`/`lastval` and the values it holds from sequences
/// with CACHE > 1.
#[derive(Debug, Default)]
pub struct SeqSession {
    currval: HashMap<u32, i64>,
    last: Option<(u32, i64)>,
    /// OID → (last value returned, last value held, increment).
    cached: HashMap<u32, (i64, i64, i64)>,
    /// `pg_notify(channel, payload)` calls of the running statement (queued by the session
    /// when it succeeds).
    pub(crate) notified: Vec<(String, String)>,
    /// `set_config(name, value, is_local)` calls of the running statement (applied by the
    /// session when it succeeds).
    pub(crate) set_configs: Vec<(String, Option<String>, bool)>,
    /// States set by the open transaction block (ALTER SEQUENCE, TRUNCATE ... RESTART
    /// IDENTITY): private to it, and what its `nextval` / `setval` move, until it commits
    /// (then they replace the shared state) or rolls back (then they are dropped), as
    /// PostgreSQL gives such a sequence a new relfilenode in the transaction.
    block: HashMap<u32, SeqState>,
}

/// The block-private sequence states at a savepoint ([`SeqSession::savepoint`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct SeqMark(HashMap<u32, SeqState>);

impl SeqSession {
    /// DISCARD SEQUENCES: forgets `currval`, `lastval` and held values.
    pub fn discard(&mut self) {
        let block = std::mem::take(&mut self.block);
        *self = SeqSession {
            block,
            ..SeqSession::default()
        };
    }

    /// The block-private states, to go back to at ROLLBACK TO SAVEPOINT.
    pub(crate) fn savepoint(&self) -> SeqMark {
        SeqMark(self.block.clone())
    }

    /// ROLLBACK TO SAVEPOINT: the block-private states as they were at `mark`; values this
    /// session holds from states that go are dropped.
    pub(crate) fn rollback_to(&mut self, mark: &SeqMark) {
        for oid in self.block.keys() {
            self.cached.remove(oid);
        }
        self.block = mark.0.clone();
    }

    /// The block rolled back: its private states go.
    pub(crate) fn at_rollback(&mut self) {
        for oid in std::mem::take(&mut self.block).keys() {
            self.cached.remove(oid);
        }
    }
}

/// Microseconds since 2000-01-01 UTC, now.
pub fn now_micros() -> i64 {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    unix - 946_684_800_000_000
}

pub(crate) fn seq_key(oid: u32) -> Vec<u8> {
    let mut k = vec![b'q'];
    k.extend_from_slice(&oid.to_be_bytes());
    k
}

fn err(code: &'static str, msg: impl Into<String>) -> SqlError {
    SqlError::new(code, msg)
}

/// Sequence access for one statement.
struct SeqAccess<'a, K: TxnKv> {
    kv: &'a K,
    shared: &'a Shared,
    session: &'a mut SeqSession,
    /// For names in `nextval('name')`: the search path is resolved only when a name is.
    settings: &'a crate::settings::Settings,
    temp_schema: Option<&'a str>,
}

impl<K: TxnKv> SeqAccess<'_, K> {
    /// 25006 for `nextval` / `setval` of a sequence that is not temporary in a read-only
    /// transaction.
    fn check_writable(&self, catalog: &Catalog, oid: u32, what: &str) -> Result<(), SqlError> {
        let temp = catalog
            .sequences
            .get(&oid)
            .is_some_and(|q| catalog.schema_name(q.schema).starts_with("pg_temp"));
        if !temp && self.settings.transaction_read_only() {
            return Err(err(
                "25006",
                format!("cannot execute {what} in a read-only transaction"),
            ));
        }
        Ok(())
    }
}

/// Where a sequence's values go next: PostgreSQL's algorithm for `nextval`, over the state
/// (`last_value`, `log_cnt`, `is_called`). Returns the first value, the state after taking up
/// to `cache` values, and the value to write ahead to storage if the pre-written values ran
/// out.
fn advance(seq: &Sequence, st: SeqState) -> Result<(i64, SeqState, Option<i64>), SqlError> {
    let cache = seq.cache.max(1);
    let mut fetch = cache;
    let mut log = st.log_cnt;
    let mut taken = 0;
    let mut next = st.last;
    let mut first = st.last;
    let mut last = st.last;
    if !st.called {
        // The current value itself is the first one.
        taken = 1;
        fetch -= 1;
    }
    let write_ahead = log < fetch || !st.called;
    if write_ahead {
        fetch += SEQ_LOG_VALS;
        log = fetch;
    }
    while fetch > 0 {
        let stepped = next.checked_add(seq.increment).filter(|v| {
            if seq.increment > 0 {
                *v <= seq.max
            } else {
                *v >= seq.min
            }
        });
        match stepped {
            Some(v) => next = v,
            // Values taken so far are returned; the bound is dealt with next time.
            None if taken > 0 => break,
            None if seq.cycle => next = if seq.increment > 0 { seq.min } else { seq.max },
            None => {
                let (which, bound) = if seq.increment > 0 {
                    ("maximum", seq.max)
                } else {
                    ("minimum", seq.min)
                };
                return Err(err(
                    "2200H",
                    format!(
                        "nextval: reached {which} value of sequence \"{}\" ({bound})",
                        seq.name
                    ),
                ));
            }
        }
        fetch -= 1;
        if taken < cache {
            log -= 1;
            taken += 1;
            last = next;
            if taken == 1 {
                first = next;
            }
        }
    }
    log -= fetch;
    let state = SeqState {
        last,
        log_cnt: log,
        called: true,
    };
    Ok((first, state, write_ahead.then_some(next)))
}

/// Decodes a sequence key's value: (value, called).
fn read_stored(bytes: Option<Vec<u8>>) -> Option<(i64, bool)> {
    let b = bytes?;
    let v: [u8; 8] = b.get(..8)?.try_into().ok()?;
    Some((i64::from_be_bytes(v), b.get(8) == Some(&1)))
}

fn stored_bytes(value: i64, called: bool) -> Vec<u8> {
    let mut val = value.to_be_bytes().to_vec();
    val.push(u8::from(called));
    val
}

/// The state a stored value stands for (nothing stored: the sequence's start).
fn from_stored(seq: &Sequence, stored: Option<(i64, bool)>) -> SeqState {
    match stored {
        Some((last, called)) => SeqState {
            last,
            log_cnt: 0,
            called,
        },
        None => SeqState {
            last: seq.start,
            log_cnt: 0,
            called: false,
        },
    }
}

impl<K: TxnKv> SeqAccess<'_, K> {
    fn resolve(&self, catalog: &Catalog, name: &str) -> Result<u32, SqlError> {
        // The name as SQL names are read (quotes, case folding); texts stored before
        // defaults quoted their names are read the old way, split at the first dot.
        let parsed = crate::system::split_name(name).and_then(|p| match p.as_slice() {
            [r] => Some((String::new(), r.clone())),
            [s, r] | [_, s, r] => Some((s.clone(), r.clone())),
            _ => None,
        });
        let lookup = |schema: &str, rel: &str| {
            if schema.is_empty() {
                search_path_oids(catalog, self.settings, self.temp_schema)
                    .iter()
                    .find_map(|s| catalog.relation_in(*s, rel))
            } else {
                catalog
                    .schema_oid(schema)
                    .and_then(|s| catalog.relation_in(s, rel))
            }
        };
        let (schema, rel) = match name.split_once('.') {
            Some((s, r)) => (s.trim_matches('"'), r.trim_matches('"')),
            None => ("", name.trim_matches('"')),
        };
        let found = parsed
            .and_then(|(s, r)| lookup(&s, &r))
            .or_else(|| lookup(schema, rel));
        match found {
            Some(Relation::Sequence(oid)) => Ok(oid),
            Some(_) => Err(err("42809", format!("\"{name}\" is not a sequence"))),
            None => Err(err("42P01", format!("relation \"{name}\" does not exist"))),
        }
    }

    /// The state of a sequence: the shared one, or the one in storage (what was written
    /// ahead, as after a crash in PostgreSQL), or the initial one.
    fn load(&self, map: &HashMap<u32, SharedSeq>, seq: &Sequence) -> Result<SharedSeq, SqlError> {
        if let Some(sh) = map.get(&seq.oid) {
            return Ok(*sh);
        }
        let mut txn = self.kv.begin(TxnOptions::default())?;
        let stored = read_stored(txn.get_latest(&seq_key(seq.oid))?);
        txn.rollback();
        Ok(SharedSeq {
            state: from_stored(seq, stored),
            stored,
        })
    }

    /// Writes `(value, called)` to storage in a short transaction of its own.
    fn store(&self, oid: u32, value: i64, called: bool) -> Result<(), SqlError> {
        let mut txn = self.kv.begin(TxnOptions {
            synchronous_commit: Some(false),
            ..Default::default()
        })?;
        let key = seq_key(oid);
        txn.lock(&key, LockMode::Exclusive, LockWait::Block)?;
        txn.put(key, stored_bytes(value, called))?;
        txn.commit()?;
        Ok(())
    }

    /// Allocates the next value of sequence `oid`.
    fn next(&mut self, catalog: &Catalog, oid: u32) -> Result<i64, SqlError> {
        let Some(seq) = catalog.sequences.get(&oid) else {
            return Err(err("42P01", "sequence does not exist"));
        };
        if let Some((cur, held, inc)) = self.session.cached.get_mut(&oid)
            && *cur != *held
        {
            *cur += *inc;
            return Ok(*cur);
        }
        let (first, last) = self.take(seq)?;
        if seq.cache > 1 {
            self.session
                .cached
                .insert(oid, (first, last, seq.increment));
        }
        Ok(first)
    }

    /// Takes up to `seq.cache` values: the first and the last one.
    fn take(&mut self, seq: &Sequence) -> Result<(i64, i64), SqlError> {
        // (Most blocks set no sequence state: no hashing then.)
        if !self.session.block.is_empty()
            && let Some(st) = self.session.block.get(&seq.oid)
        {
            let (first, new, _) = advance(seq, *st)?;
            self.session.block.insert(seq.oid, new);
            return Ok((first, new.last));
        }
        let mut map = self.shared.sequences.lock();
        let mut sh = self.load(&map, seq)?;
        let (mut first, mut new, ahead) = advance(seq, sh.state)?;
        if ahead.is_some() {
            let mut txn = self.kv.begin(TxnOptions {
                synchronous_commit: Some(false),
                ..Default::default()
            })?;
            let key = seq_key(seq.oid);
            txn.lock(&key, LockMode::Exclusive, LockWait::Block)?;
            let stored = read_stored(txn.get_latest(&key)?);
            let mut ahead = ahead;
            if stored != sh.stored {
                // Another process's sessions moved the sequence (a database opened twice):
                // continue after what they wrote, so no value is handed out twice.
                (first, new, ahead) = advance(seq, from_stored(seq, stored))?;
            }
            let v = ahead.unwrap_or(new.last);
            txn.put(key, stored_bytes(v, true))?;
            txn.commit()?;
            sh.stored = Some((v, true));
        }
        sh.state = new;
        map.insert(seq.oid, sh);
        Ok((first, new.last))
    }

    fn set(&mut self, catalog: &Catalog, oid: u32, v: i64, called: bool) -> Result<(), SqlError> {
        let Some(seq) = catalog.sequences.get(&oid) else {
            return Err(err("42P01", "sequence does not exist"));
        };
        if v < seq.min || v > seq.max {
            return Err(err(
                "22003",
                format!(
                    "setval: value {v} is out of bounds for sequence \"{}\" ({}..{})",
                    seq.name, seq.min, seq.max
                ),
            ));
        }
        self.put_state(
            seq,
            SeqState {
                last: v,
                log_cnt: 0,
                called,
            },
        )
    }

    /// Replaces the state (the block-private one if the block has one); this session's held
    /// values are dropped.
    fn put_state(&mut self, seq: &Sequence, st: SeqState) -> Result<(), SqlError> {
        if let Some(own) = self.session.block.get_mut(&seq.oid) {
            *own = st;
            self.session.cached.remove(&seq.oid);
            return Ok(());
        }
        self.put_shared(seq.oid, st)
    }

    /// Replaces the shared state of sequence `oid`, in memory and in storage.
    fn put_shared(&mut self, oid: u32, st: SeqState) -> Result<(), SqlError> {
        let mut map = self.shared.sequences.lock();
        self.store(oid, st.last, st.called)?;
        map.insert(
            oid,
            SharedSeq {
                state: st,
                stored: Some((st.last, st.called)),
            },
        );
        self.session.cached.remove(&oid);
        Ok(())
    }
}

impl<K: TxnKv> Sequences for SeqAccess<'_, K> {
    fn row_id(&mut self, table: u32) -> Result<u64, SqlError> {
        // Row ids need only be unique, so a session holds a block of them as a sequence with
        // CACHE does (a table's OID names its row-id counter; OIDs are never reused for a
        // sequence): one small transaction per block instead of one per `SEQ_LOG_VALS` rows.
        if let Some((cur, held, _)) = self.session.cached.get_mut(&table)
            && *cur != *held
        {
            *cur += 1;
            return Ok(*cur as u64);
        }
        let seq = Sequence {
            oid: table,
            schema: 0,
            name: String::new(),
            ty: DataType::Int8,
            start: 1,
            increment: 1,
            min: 1,
            max: i64::MAX,
            cycle: false,
            cache: ROW_ID_CACHE,
            owned_by: None,
        };
        let (first, last) = self.take(&seq)?;
        self.session.cached.insert(table, (first, last, 1));
        Ok(first as u64)
    }

    fn state(&mut self, seq: &Sequence) -> Result<SeqState, SqlError> {
        if let Some(st) = self.session.block.get(&seq.oid) {
            return Ok(*st);
        }
        let map = self.shared.sequences.lock();
        Ok(self.load(&map, seq)?.state)
    }

    fn reset(&mut self, seq: &Sequence, restart: Option<i64>) -> Result<(), SqlError> {
        let st = self.state(seq)?;
        let new = match restart {
            Some(v) => SeqState {
                last: v,
                log_cnt: 0,
                called: false,
            },
            None => SeqState { log_cnt: 0, ..st },
        };
        // Until the block commits (`Session::sequences_at_commit`).
        self.session.block.insert(seq.oid, new);
        self.session.cached.remove(&seq.oid);
        Ok(())
    }

    fn call(&mut self, catalog: &Catalog, f: SeqFunc, args: &[Value]) -> Result<Value, SqlError> {
        if f == SeqFunc::SetConfig {
            let Some(Value::Text(name)) = args.first() else {
                return Err(err("22004", "SET requires parameter name"));
            };
            let value = match args.get(1) {
                Some(Value::Text(v)) => Some(v.clone()),
                _ => None,
            };
            let local = matches!(args.get(2), Some(Value::Bool(true)));
            if matches!(
                name.to_ascii_lowercase().as_str(),
                "role"
                    | "session_authorization"
                    | "transaction_isolation"
                    | "transaction_read_only"
                    | "transaction_deferrable"
            ) {
                return Err(err(
                    "0A000",
                    format!("feature not supported: set_config() of \"{name}\" (use SET)"),
                ));
            }
            // Checked now on a copy (an invalid name or value fails the call); the session
            // applies it once the statement succeeds.
            let mut probe = self.settings.clone();
            for (n, v, l) in &self.session.set_configs {
                let scope = if *l {
                    crate::settings::Scope::Local
                } else {
                    crate::settings::Scope::Session
                };
                probe.set_str(n, v.as_deref(), scope)?;
            }
            let scope = if local {
                crate::settings::Scope::Local
            } else {
                crate::settings::Scope::Session
            };
            probe.set_str(name, value.as_deref(), scope)?;
            let shown = probe.show(name)?.1;
            self.session.set_configs.push((name.clone(), value, local));
            return Ok(Value::Text(shown));
        }
        if f == SeqFunc::Notify {
            let text = |v: Option<&Value>| match v {
                Some(Value::Text(s)) => s.clone(),
                _ => String::new(),
            };
            let (channel, payload) = (text(args.first()), text(args.get(1)));
            crate::notify::check(&channel, &payload)?;
            self.session.notified.push((channel, payload));
            // `void`: a non-null value shown empty, as PostgreSQL's C functions return.
            return Ok(Value::Text(String::new()));
        }
        if let SeqFunc::Read(col) = f {
            // A column of `SELECT ... FROM sequence`: the argument is the OID.
            let seq = match args.first() {
                Some(Value::Int8(o)) => u32::try_from(*o)
                    .ok()
                    .and_then(|o| catalog.sequences.get(&o)),
                _ => None,
            };
            let Some(seq) = seq else {
                return Err(err("42P01", "sequence does not exist"));
            };
            let st = self.state(seq)?;
            return Ok(match col {
                0 => Value::Int8(st.last),
                1 => Value::Int8(st.log_cnt),
                _ => Value::Bool(st.called),
            });
        }
        // The sequence: a name, or its OID (from a `'name'::regclass` literal).
        let name = match args.first() {
            Some(Value::Text(s)) => Some(s.clone()),
            Some(Value::Int8(oid)) => {
                let o = u32::try_from(*oid).unwrap_or(0);
                match catalog.sequences.get(&o) {
                    Some(q) => Some(format!(
                        "{}.{}",
                        crate::parse::quote_identifier(catalog.schema_name(q.schema)),
                        crate::parse::quote_identifier(&q.name)
                    )),
                    None => {
                        let other = catalog
                            .tables
                            .get(&o)
                            .map(|t| &t.name)
                            .or_else(|| catalog.views.get(&o).map(|v| &v.name))
                            .or_else(|| catalog.indexes.get(&o).map(|i| &i.name));
                        return Err(match other {
                            Some(n) => err("42809", format!("\"{n}\" is not a sequence")),
                            None => err("42P01", format!("could not open relation with OID {o}")),
                        });
                    }
                }
            }
            _ => None,
        };
        match f {
            SeqFunc::Nextval => {
                let Some(name) = name else {
                    return Ok(Value::Null);
                };
                let oid = self.resolve(catalog, &name)?;
                self.check_writable(catalog, oid, "nextval()")?;
                let v = self.next(catalog, oid)?;
                self.session.currval.insert(oid, v);
                self.session.last = Some((oid, v));
                Ok(Value::Int8(v))
            }
            SeqFunc::Currval => {
                let Some(name) = name else {
                    return Ok(Value::Null);
                };
                let oid = self.resolve(catalog, &name)?;
                match self.session.currval.get(&oid) {
                    Some(v) => Ok(Value::Int8(*v)),
                    None => Err(err(
                        "55000",
                        format!(
                            "currval of sequence \"{}\" is not yet defined in this session",
                            catalog
                                .sequences
                                .get(&oid)
                                .map_or(name.as_str(), |s| s.name.as_str())
                        ),
                    )),
                }
            }
            SeqFunc::Read(_)
            | SeqFunc::Notify
            | SeqFunc::SetConfig
            | SeqFunc::Size(_)
            | SeqFunc::IndexCheck => Err(err("XX000", "sequence read without a sequence")),
            // As in PostgreSQL, lastval of a sequence dropped since is undefined again.
            SeqFunc::Lastval => match self.session.last {
                Some((oid, v)) if catalog.sequences.contains_key(&oid) => Ok(Value::Int8(v)),
                _ => Err(err("55000", "lastval is not yet defined in this session")),
            },
            SeqFunc::Setval => {
                let Some(name) = name else {
                    return Ok(Value::Null);
                };
                let oid = self.resolve(catalog, &name)?;
                let Some(Value::Int8(v)) = args.get(1) else {
                    return Ok(Value::Null);
                };
                let called = !matches!(args.get(2), Some(Value::Bool(false)));
                self.check_writable(catalog, oid, "setval()")?;
                self.set(catalog, oid, *v, called)?;
                if called {
                    self.session.currval.insert(oid, *v);
                    self.session.last = Some((oid, *v));
                }
                Ok(Value::Int8(*v))
            }
        }
    }
}

/// A query's output: column names, types and rows.
type QueryRows = (Vec<String>, Vec<DataType>, Vec<Row>);

/// Ids of WITH queries computed by the engine (above any id a binder hands out).
pub(crate) const WITH_ENV_IDS: usize = 1 << 40;

/// The WITH queries of a statement with data-modifying ones, computed before its main part.
#[derive(Default)]
pub(crate) struct WithEnv {
    pub(crate) ctes: Vec<WithCte>,
    /// What the statement wrote so far, for its single snapshot.
    pub(crate) before: crate::snapshot::Commands,
}

/// One computed WITH query.
#[derive(Clone)]
pub(crate) struct WithCte {
    pub(crate) name: String,
    pub(crate) id: usize,
    pub(crate) names: Vec<String>,
    pub(crate) types: Vec<DataType>,
    pub(crate) rows: Arc<Vec<Row>>,
    /// False for a data-modifying query without RETURNING (which cannot be read).
    pub(crate) returning: bool,
}

/// PostgreSQL places "column does not exist" at the column; other errors about a view's
/// columns have no position.
fn at_if_undefined(e: SqlError, location: i32) -> SqlError {
    if e.code().code() == "42703" {
        e.at(crate::binder::pos(location))
    } else {
        e
    }
}

/// Whether a WITH clause holds a data-modifying query.
pub(crate) fn with_modifies(with: Option<&protobuf::WithClause>) -> bool {
    with.is_some_and(|w| {
        w.ctes.iter().any(|c| match c.node.as_ref() {
            Some(Node::CommonTableExpr(cte)) => !matches!(
                cte.ctequery.as_deref().and_then(|q| q.node.as_ref()),
                Some(Node::SelectStmt(_))
            ),
            _ => false,
        })
    })
}

/// Appends `n` in decimal (without the formatting machinery: plan keys and command tags are
/// built for every statement).
/// A command tag ending with a row count (`INSERT 0 5`), without the formatting machinery.
fn count_tag(prefix: &str, count: usize) -> String {
    let mut t = String::with_capacity(prefix.len() + 20);
    t.push_str(prefix);
    push_decimal(&mut t, count as u64);
    t
}

fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for d in &digits[i..] {
        out.push(char::from(*d));
    }
}

/// The elements of CREATE SCHEMA ... element ..., in the order PostgreSQL 15 runs them
/// (sequences, tables, views, indexes; grants are not supported), each created in the new
/// schema: naming another schema is 42P15, a temporary relation 42P16.
fn schema_elements(s: &protobuf::CreateSchemaStmt) -> Result<Vec<Node>, SqlError> {
    let schema = &s.schemaname;
    let place = |rv: Option<&mut protobuf::RangeVar>| -> Result<(), SqlError> {
        let Some(rv) = rv else { return Ok(()) };
        if !rv.schemaname.is_empty() && rv.schemaname != *schema {
            return Err(err(
                "42P15",
                format!(
                    "CREATE specifies a schema ({}) different from the one being created ({schema})",
                    rv.schemaname
                ),
            ));
        }
        if rv.relpersistence == "t" {
            return Err(err(
                "42P16",
                "cannot create temporary relation in non-temporary schema",
            )
            .at(crate::binder::pos(rv.location)));
        }
        rv.schemaname.clone_from(schema);
        Ok(())
    };
    let mut buckets: [Vec<Node>; 4] = Default::default();
    for e in &s.schema_elts {
        let Some(node) = e.node.clone() else { continue };
        let (slot, node) = match node {
            Node::CreateSeqStmt(mut n) => {
                place(n.sequence.as_mut())?;
                (0, Node::CreateSeqStmt(n))
            }
            Node::CreateStmt(mut n) => {
                place(n.relation.as_mut())?;
                (1, Node::CreateStmt(n))
            }
            Node::ViewStmt(mut n) => {
                place(n.view.as_mut())?;
                (2, Node::ViewStmt(n))
            }
            Node::IndexStmt(mut n) => {
                place(n.relation.as_mut())?;
                (3, Node::IndexStmt(n))
            }
            _ => {
                return Err(err(
                    "0A000",
                    "feature not supported: this CREATE SCHEMA element",
                ));
            }
        };
        buckets[slot].push(node);
    }
    Ok(buckets.into_iter().flatten().collect())
}

/// The schemas of `search_path` that exist, in order, with the session's temporary schema
/// where the path names `pg_temp`, else first (as PostgreSQL).
fn search_path_oids(
    catalog: &Catalog,
    settings: &crate::settings::Settings,
    temp_schema: Option<&str>,
) -> Vec<u32> {
    let mut out = Vec::new();
    let temp = temp_schema.and_then(|n| catalog.schema_oid(n));
    // The temporary schema comes first unless the path names `pg_temp` where it goes.
    let explicit = settings.search_path().iter().any(|s| s == "pg_temp");
    if let Some(oid) = temp.filter(|_| !explicit) {
        out.push(oid);
    }
    for s in settings.search_path() {
        let oid = match s.as_str() {
            "pg_temp" => temp,
            "$user" => catalog.schema_oid(&crate::roles::user_name(
                catalog,
                settings.identity().current_user(),
            )),
            name => catalog.schema_oid(name),
        };
        if let Some(oid) = oid
            && !out.contains(&oid)
        {
            out.push(oid);
        }
    }
    out
}

/// The debug text of a statement without its WITH clause (to find which WITH queries the
/// main part reads).
/// Empty without a WITH clause: formatting the statement costs more than running a simple one.
fn main_text<T: Clone + std::fmt::Debug>(s: &T, with: bool, strip: impl FnOnce(&mut T)) -> String {
    if !with {
        return String::new();
    }
    let mut m = s.clone();
    strip(&mut m);
    format!("{m:?}")
}

/// `SELECT * FROM name` under `WITH [RECURSIVE] name AS (...)`: reads one WITH query.
pub(crate) fn cte_reader(cte: &protobuf::CommonTableExpr, recursive: bool) -> protobuf::SelectStmt {
    let star = protobuf::Node {
        node: Some(Node::ColumnRef(protobuf::ColumnRef {
            fields: vec![protobuf::Node {
                node: Some(Node::AStar(protobuf::AStar {})),
            }],
            location: -1,
        })),
    };
    protobuf::SelectStmt {
        target_list: vec![protobuf::Node {
            node: Some(Node::ResTarget(Box::new(protobuf::ResTarget {
                name: String::new(),
                indirection: vec![],
                val: Some(Box::new(star)),
                location: -1,
            }))),
        }],
        from_clause: vec![protobuf::Node {
            node: Some(Node::RangeVar(protobuf::RangeVar {
                relname: cte.ctename.clone(),
                inh: true,
                relpersistence: "p".into(),
                location: -1,
                ..Default::default()
            })),
        }],
        with_clause: Some(protobuf::WithClause {
            ctes: vec![protobuf::Node {
                node: Some(Node::CommonTableExpr(Box::new(cte.clone()))),
            }],
            recursive,
            location: -1,
        }),
        limit_option: protobuf::LimitOption::Default as i32,
        op: protobuf::SetOperation::SetopNone as i32,
        ..Default::default()
    }
}

/// RETURNING: output names, types and expressions.
type Returning = Option<(Vec<String>, Vec<DataType>, Vec<Expr>)>;
/// ON CONFLICT DO UPDATE: assignments and WHERE.
type ConflictUpdate = Option<(Vec<(usize, Expr)>, Option<Expr>)>;

/// Rows an INSERT writes: VALUES with DEFAULT markers, or a query.
enum InsertSource {
    Rows(Vec<Vec<Option<Expr>>>),
    Query(Box<Query>),
    DefaultValues,
}

/// An INSERT bound against one catalog version (cached by statement text like a SELECT plan).
pub(crate) struct BoundInsert {
    catalog: Arc<Catalog>,
    table: Table,
    view: Option<ViewTarget>,
    /// The view's column expressions over the base row (RETURNING through a view).
    view_exprs: Option<Vec<Expr>>,
    cols: Vec<usize>,
    /// Per target column: the source's value is ignored (OVERRIDING USER VALUE identity).
    ignored: Vec<bool>,
    source: InsertSource,
    defaults: Vec<Option<Expr>>,
    conflict_nothing: bool,
    conflict_update: ConflictUpdate,
    /// The unique indexes whose conflicts ON CONFLICT handles, by name; `None`: all of them
    /// (DO NOTHING without a conflict target). A conflict on another index is 23505.
    arbiters: Option<Vec<String>>,
    pub(crate) returning: Returning,
    writer: crate::dml::TableWriter,
}

/// An UPDATE bound against one catalog version (cached like [`BoundInsert`]).
pub(crate) struct BoundUpdate {
    catalog: Arc<Catalog>,
    view: Option<ViewTarget>,
    /// The view's column expressions over the base row (RETURNING through a view).
    view_exprs: Option<Vec<Expr>>,
    /// Rows to change: the table row, its key, then FROM's columns.
    plan: Plan,
    sets: Vec<(usize, Expr)>,
    pub(crate) returning: Returning,
    /// WHERE, re-checked on a row that changed under a READ COMMITTED wait.
    where_pred: Option<Expr>,
    width: usize,
    writer: crate::dml::TableWriter,
    /// `WHERE CURRENT OF` this cursor: the plan's scan of the table is [`Access::CurrentOf`].
    current_of: Option<String>,
}

/// A DELETE bound against one catalog version (cached like [`BoundInsert`]).
pub(crate) struct BoundDelete {
    catalog: Arc<Catalog>,
    /// Rows to delete: the table row, its key, then USING's columns.
    plan: Plan,
    pub(crate) returning: Returning,
    /// WHERE, re-checked on a row that changed under a READ COMMITTED wait.
    where_pred: Option<Expr>,
    width: usize,
    writer: crate::dml::TableWriter,
    /// `WHERE CURRENT OF` this cursor: the plan's scan of the table is [`Access::CurrentOf`].
    current_of: Option<String>,
}

/// A cached bound statement.
#[derive(Clone)]
pub(crate) enum CachedPlan {
    Select(Arc<Query>),
    Insert(Arc<BoundInsert>),
    Update(Arc<BoundUpdate>),
    Delete(Arc<BoundDelete>),
}

/// A bound statement kind the plan cache holds.
pub(crate) trait Cacheable: Sized {
    /// This kind's entry, if `p` is one.
    fn pick(p: &CachedPlan) -> Option<&Arc<Self>>;
    /// The cache entry for `b`.
    fn wrap(b: Arc<Self>) -> CachedPlan;
}

macro_rules! cacheable {
    ($($t:ty => $variant:ident),*) => {$(
        impl Cacheable for $t {
            fn pick(p: &CachedPlan) -> Option<&Arc<Self>> {
                match p {
                    CachedPlan::$variant(b) => Some(b),
                    _ => None,
                }
            }
            fn wrap(b: Arc<Self>) -> CachedPlan {
                CachedPlan::$variant(b)
            }
        }
    )*};
}

cacheable!(Query => Select, BoundInsert => Insert, BoundUpdate => Update, BoundDelete => Delete);

/// A plan-cache key: the catalog version and the settings binding depends on (search_path,
/// TimeZone, DateStyle, and the output settings constant folding prints values with), then
/// the statement text. DDL changes the version and so invalidates
/// every plan. Looked up through [`PlanKeyRef`], so a hit allocates nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PlanKey {
    /// The catalog's and the shared catalog's versions.
    version: (u64, u64),
    /// The session and current user (`current_user` binds to a constant).
    user: (u32, u32),
    time_zone: Box<str>,
    date_style: Box<str>,
    search_path: Box<str>,
    output: basalt_common::types::OutputStyle,
    text: Box<str>,
}

/// A borrowed [`PlanKey`] (same fields in the same order, so the same hash).
#[derive(Hash)]
struct PlanKeyRef<'a> {
    version: (u64, u64),
    user: (u32, u32),
    time_zone: &'a str,
    date_style: &'a str,
    search_path: &'a str,
    output: basalt_common::types::OutputStyle,
    text: &'a str,
}

impl PlanKeyRef<'_> {
    fn to_owned(&self) -> PlanKey {
        PlanKey {
            version: self.version,
            user: self.user,
            time_zone: self.time_zone.into(),
            date_style: self.date_style.into(),
            search_path: self.search_path.into(),
            output: self.output,
            text: self.text.into(),
        }
    }
}

impl hashbrown::Equivalent<PlanKey> for PlanKeyRef<'_> {
    fn equivalent(&self, key: &PlanKey) -> bool {
        self.version == key.version
            && self.user == key.user
            && self.text == &*key.text
            && self.time_zone == &*key.time_zone
            && self.date_style == &*key.date_style
            && self.search_path == &*key.search_path
            && self.output == key.output
    }
}

/// A prepared statement's own plan ([`crate::session::PreparedStatement`]): the last bound
/// form and its key, compared field by field (no hashing of the text) before the session's
/// plan cache is consulted.
#[derive(Default)]
pub struct PlanSlot(parking_lot::Mutex<Option<(PlanKey, CachedPlan)>>);

impl PlanSlot {
    /// The plan kept for `key`, if this is it.
    fn get<T: Cacheable>(&self, key: &PlanKeyRef<'_>) -> Option<Arc<T>> {
        match &*self.0.lock() {
            Some((k, plan)) if hashbrown::Equivalent::equivalent(key, k) => T::pick(plan).cloned(),
            _ => None,
        }
    }

    /// Keeps `plan` for `key`, unless the slot holds another statement's text (a part of the
    /// statement bound on its own, such as a function body): a slot is its statement's only.
    fn put(&self, key: &PlanKey, plan: CachedPlan) {
        let mut slot = self.0.lock();
        if slot.as_ref().is_none_or(|(k, _)| k.text == key.text) {
            *slot = Some((key.clone(), plan));
        }
    }
}

impl std::fmt::Debug for PlanSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlanSlot")
    }
}

/// What the prepared-INSERT fast path ([`Session::fast_insert`]) last checked a statement's
/// bound form against: while the same statement runs with the same catalog (the same `Arc`:
/// the catalog read at a snapshot is shared until a commit changes it) and settings epoch,
/// the next row skips the statement checks and the plan-key comparison. The slot is held,
/// so no other statement's slot can take its address.
pub(crate) struct FastMemo {
    slot: Arc<PlanSlot>,
    catalog: Arc<Catalog>,
    epoch: u64,
    bound: Arc<BoundInsert>,
    /// The highest parameter number the statement uses.
    max_param: usize,
    /// Where each value of the row comes from, by column.
    items: Vec<(usize, FastItem)>,
    /// The columns the statement sets (the others take their defaults).
    given: Given,
}

/// The source of one column's value in the fast path's row.
enum FastItem {
    /// A parameter, moved into the row.
    Param(usize),
    /// A parameter cast to a type: moved when its value already has the type (else the
    /// statement takes the general path, which casts).
    Cast(usize, DataType),
    /// A constant.
    Const(Value),
}

impl FastMemo {
    /// Checks that `parsed` (with `slot`'s bound form) is a prepared one-row INSERT the fast
    /// path can run, and what its row is made of; `None`: the general path runs it.
    fn new<K: TxnKv>(
        session: &Session<K>,
        slot: &Arc<PlanSlot>,
        catalog: Arc<Catalog>,
        epoch: u64,
        parsed: &crate::parse::Parsed,
        given_params: usize,
    ) -> Option<FastMemo> {
        let st = parsed.statements().next()?;
        let Some(Node::InsertStmt(s)) = st.node() else {
            return None;
        };
        let max_param = st.max_param().map_or(0, |(n, _)| n as usize);
        if s.with_clause.is_some() || !parsed.warnings().is_empty() || max_param > given_params {
            return None;
        }
        let bound: Arc<BoundInsert> = slot.get(&session.plan_key(&catalog, st.text()))?;
        let InsertSource::Rows(rows) = &bound.source else {
            return None;
        };
        if rows.len() != 1
            || bound.view.is_some()
            || bound.returning.is_some()
            || bound.conflict_update.is_some()
            || bound.conflict_nothing
        {
            return None;
        }
        let width = bound.table.columns.len();
        let mut items = Vec::new();
        let mut given: Given = smallvec::smallvec![false; width];
        let mut used = 0u64;
        for (item, &c) in rows[0].iter().zip(&bound.cols) {
            let item = match item {
                None => continue,
                Some(Expr::Const(v)) => FastItem::Const(v.clone()),
                Some(Expr::Param(i)) => FastItem::Param(*i),
                Some(Expr::Cast(a, t, _)) => match &**a {
                    Expr::Param(i) => FastItem::Cast(*i, t.clone()),
                    _ => return None,
                },
                Some(_) => return None,
            };
            // A parameter moves into the row once: one used twice takes the general path.
            if let FastItem::Param(i) | FastItem::Cast(i, _) = item {
                if i >= 64 || used & (1 << i) != 0 {
                    return None;
                }
                used |= 1 << i;
            }
            given[c] = true;
            items.push((c, item));
        }
        Some(FastMemo {
            slot: slot.clone(),
            catalog,
            epoch,
            bound,
            max_param,
            items,
            given,
        })
    }

    /// Places the row's values into `row` (cleared, one value per column), moving the
    /// parameters; `false` (nothing moved) when a parameter is missing or would need a cast.
    fn place(&self, params: &mut [Value], row: &mut Vec<Value>) -> bool {
        if self.max_param > params.len() {
            return false;
        }
        for (_, item) in &self.items {
            if let FastItem::Cast(i, t) = item
                && !params.get(*i).is_some_and(|v| same_type(v, t))
            {
                return false;
            }
        }
        row.clear();
        row.resize_with(self.given.len(), || Value::Null);
        for (c, item) in &self.items {
            let v = match item {
                FastItem::Param(i) | FastItem::Cast(i, _) => match params.get_mut(*i) {
                    Some(p) => std::mem::replace(p, Value::Null),
                    None => Value::Null,
                },
                FastItem::Const(v) => v.clone(),
            };
            if let Some(slot) = row.get_mut(*c) {
                // What it replaces is the initial NULL, which needs no drop call.
                let old = std::mem::replace(slot, v);
                if matches!(old, Value::Null) {
                    std::mem::forget(old);
                }
            }
        }
        true
    }
}

/// The session's time zone and output style, with the settings epoch they come from.
pub(crate) type StyleCache = (u64, TimeZone, basalt_common::types::OutputStyle);

/// A temporary table created with ON COMMIT DROP or ON COMMIT DELETE ROWS.
#[derive(Debug, Clone)]
pub(crate) struct OnCommit {
    schema: String,
    table: String,
    /// DROP (else DELETE ROWS).
    drop: bool,
    /// Created by the transaction still running (forgotten if it rolls back).
    pub(crate) pending: bool,
}

/// A statement prepared with SQL `PREPARE name [(types)] AS statement`.
#[derive(Debug, Clone)]
pub(crate) struct SqlPrepared {
    /// The statement, parsed (positions point into the `PREPARE` text).
    pub(crate) parsed: Arc<crate::parse::Parsed>,
    /// The declared parameter types, if any (`EXECUTE` casts its arguments to them).
    pub(crate) arg_types: Vec<protobuf::TypeName>,
    /// The parameter types `pg_prepared_statements` shows: the declared ones, or those a
    /// query's binding inferred.
    pub(crate) param_types: Vec<DataType>,
    /// The `PREPARE` statement's text.
    pub(crate) statement: Arc<str>,
    /// When it was prepared (microseconds since 2000-01-01 UTC).
    pub(crate) prepared_at: i64,
}

/// What a DML statement returns.
pub(crate) struct DmlOutput {
    pub(crate) count: usize,
    pub(crate) returning: Option<(Vec<String>, Vec<DataType>, Vec<Row>)>,
}

impl<K: TxnKv> Session<K> {
    /// The type context (time zone, transaction time, output style) of the current
    /// statement: what values are read from and written as text with
    /// ([`basalt_common::types::parse_text`], [`basalt_common::types::format_text`]).
    pub fn type_context(&self) -> TypeContext {
        let (tz, output) = self.styles();
        TypeContext {
            time_zone: tz,
            now: Some(
                self.block
                    .as_ref()
                    .map_or_else(|| self.statement_now(), |b| b.started_at),
            ),
            output,
        }
    }

    /// The session's time zone and output style, derived from the settings once per
    /// settings epoch.
    fn styles(&self) -> (TimeZone, basalt_common::types::OutputStyle) {
        let epoch = self.settings.epoch();
        if let Some((e, tz, style)) = self.style_cache.get()
            && e == epoch
        {
            return (tz, style);
        }
        let tz = TimeZone::from_name(self.settings.time_zone()).unwrap_or(TimeZone::Utc);
        let style = self.derive_output_style();
        self.style_cache.set(Some((epoch, tz, style)));
        (tz, style)
    }

    /// The output settings of the session (DateStyle, IntervalStyle, extra_float_digits,
    /// bytea_output).
    fn output_style(&self) -> basalt_common::types::OutputStyle {
        self.styles().1
    }

    fn derive_output_style(&self) -> basalt_common::types::OutputStyle {
        use basalt_common::types::IntervalStyle;
        let mut st = basalt_common::types::OutputStyle {
            extra_float_digits: i8::try_from(self.settings.extra_float_digits()).unwrap_or(1),
            bytea_escape: !self.settings.bytea_output_hex(),
            interval_style: match self.settings.interval_style_code() {
                1 => IntervalStyle::PostgresVerbose,
                2 => IntervalStyle::SqlStandard,
                3 => IntervalStyle::Iso8601,
                _ => IntervalStyle::Postgres,
            },
            ..Default::default()
        };
        st.set_date_style(self.settings.date_style());
        st
    }

    /// CREATE TEMPORARY TABLE: the table goes into the session's temporary schema (created
    /// on first use, with a name no other session uses) and is dropped with the session.
    fn temporary_table(
        &mut self,
        cat: &mut Catalog,
        s: &protobuf::CreateStmt,
    ) -> Result<protobuf::CreateStmt, SqlError> {
        use protobuf::OnCommitAction as A;
        let mut out = s.clone();
        let name = match out.relation.as_mut() {
            Some(rv) => self.place_temporary(cat, rv)?,
            None => return Ok(out),
        };
        let drop = s.oncommit == A::OncommitDrop as i32;
        if (drop || s.oncommit == A::OncommitDeleteRows as i32)
            && let Some(rv) = &out.relation
        {
            self.on_commit.push(OnCommit {
                schema: name,
                table: rv.relname.clone(),
                drop,
                pending: true,
            });
        }
        Ok(out)
    }

    /// Puts a temporary relation (table, sequence, view) in the session's temporary schema,
    /// created on first use; returns the schema's name.
    fn place_temporary(
        &mut self,
        cat: &mut Catalog,
        rv: &mut protobuf::RangeVar,
    ) -> Result<String, SqlError> {
        let current = self.temp_schema.clone();
        if !rv.schemaname.is_empty()
            && rv.schemaname != "pg_temp"
            && Some(&rv.schemaname) != current.as_ref()
        {
            return Err(err(
                "42P16",
                "cannot create temporary relation in non-temporary schema",
            )
            .at(crate::binder::pos(rv.location)));
        }
        let name = self.ensure_temp_schema(cat);
        rv.schemaname = name.clone();
        rv.relpersistence = "p".into();
        Ok(name)
    }

    /// The session's temporary schema, created in `cat` if needed; its name.
    pub(crate) fn ensure_temp_schema(&mut self, cat: &mut Catalog) -> String {
        let name = self.temp_schema_name(cat);
        if cat.schema_oid(&name).is_none() {
            let oid = cat.new_oid();
            cat.schemas.insert(
                oid,
                crate::catalog::Schema {
                    oid,
                    name: name.clone(),
                },
            );
        }
        self.temp_schema = Some(name.clone());
        name
    }

    /// The name of the session's temporary schema (chosen on first use).
    fn temp_schema_name(&self, cat: &Catalog) -> String {
        match &self.temp_schema {
            Some(n) => n.clone(),
            None => {
                static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                let mut id = now_micros() as u64;
                loop {
                    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let name = format!("pg_temp_{:x}", id.wrapping_add(n));
                    if cat.schema_oid(&name).is_none() {
                        break name;
                    }
                    id = id.wrapping_mul(31);
                }
            }
        }
    }

    /// Before a commit: ON COMMIT DROP tables are dropped, ON COMMIT DELETE ROWS tables
    /// emptied, inside the committing transaction (an error fails the commit).
    pub(crate) fn on_commit_actions(&mut self) -> Result<(), SqlError> {
        let catalog = self.load_catalog()?;
        // PostgreSQL's heap_truncate_check_FKs: a table emptied at commit may only be
        // referenced by tables emptied with it.
        let emptied: Vec<u32> = self
            .on_commit
            .iter()
            .filter(|e| !e.drop)
            .filter_map(|e| {
                let s = catalog.schema_oid(&e.schema)?;
                match catalog.relation_in(s, &e.table) {
                    Some(Relation::Table(oid)) => Some(oid),
                    _ => None,
                }
            })
            .collect();
        for oid in &emptied {
            for (child, _) in catalog.referencing(*oid) {
                if !emptied.contains(&child.oid) {
                    let name = catalog.tables.get(oid).map_or("", |t| t.name.as_str());
                    return Err(err(
                        "0A000",
                        "unsupported ON COMMIT and foreign key combination",
                    )
                    .with_detail(format!(
                        "Table \"{}\" references \"{name}\", but they do not have the same ON COMMIT setting.",
                        child.name
                    )));
                }
            }
        }
        let mut sql = Vec::new();
        self.on_commit.retain(|e| {
            let exists = catalog
                .schema_oid(&e.schema)
                .and_then(|s| catalog.relation_in(s, &e.table))
                .is_some();
            if !exists {
                // Dropped by the session meanwhile: nothing left to do.
                return false;
            }
            let name = format!(
                "{}.{}",
                crate::parse::quote_identifier(&e.schema),
                crate::parse::quote_identifier(&e.table)
            );
            if e.drop {
                sql.push(format!("DROP TABLE {name}"));
                false
            } else {
                sql.push(format!("DELETE FROM {name}"));
                true
            }
        });
        let mut notices = Vec::new();
        for text in sql {
            let parsed = crate::parse::parse(&text, crate::parse::ParseOptions::default())?;
            for stmt in parsed.statements() {
                self.statement_started = false;
                self.execute_statement(&stmt, &mut notices)?;
            }
        }
        Ok(())
    }

    pub(crate) fn search_path_oids(&self, catalog: &Catalog) -> Vec<u32> {
        search_path_oids(catalog, &self.settings, self.temp_schema.as_deref())
    }

    /// [`Self::search_path_oids`], cached while the catalog version, `search_path` and the
    /// temporary schema stay the same (not while this transaction writes the catalog: its
    /// version number is not unique then).
    fn search_path_inline(&mut self, catalog: &Catalog) -> smallvec::SmallVec<[u32; 4]> {
        let written = self.block.as_ref().is_some_and(|b| b.catalog_written);
        let epoch = self.settings.epoch();
        if !written
            && let Some((v, e, text, temp, oids)) = &mut self.search_path_cache
            && *v == (catalog.version, catalog.shared_version)
            && *temp == self.temp_schema
            // The same text resolves the same unless it names `$user` (the current user may
            // differ after a rollback undid a SET ROLE).
            && (*e == epoch
                || (text == self.settings.search_path_text() && !text.contains("$user")))
        {
            *e = epoch;
            return smallvec::SmallVec::from_slice(oids);
        }
        let oids: smallvec::SmallVec<[u32; 4]> = self.search_path_oids(catalog).into();
        if !written {
            self.search_path_cache = Some((
                (catalog.version, catalog.shared_version),
                epoch,
                self.settings.search_path_text().to_owned(),
                self.temp_schema.clone(),
                oids.clone(),
            ));
        }
        oids
    }

    /// The catalog of the current transaction's snapshot.
    pub(crate) fn load_catalog(&mut self) -> Result<Arc<Catalog>, SqlError> {
        let written = self.block.as_ref().is_some_and(|b| b.catalog_written);
        let txn = self.data_transaction()?;
        // The catalog read at the same snapshot timestamp as the last statement's is the
        // same: most statements (all of those between two commits) skip reading it.
        let ts = if written { None } else { txn.snapshot_ts() };
        if let (Some(ts), Some((at, c))) = (ts, &self.catalog_at)
            && *at == ts
        {
            return Ok(c.clone());
        }
        let shared = self.shared.clone();
        let catalog = Self::read_catalog(self.data_transaction()?, &shared, written)?;
        if let Some(ts) = ts {
            self.catalog_at = Some((ts, catalog.clone()));
        }
        Ok(catalog)
    }

    /// Whether `catalog` is the catalog [`Session::load_catalog`] would return now (the
    /// one read at the statement's snapshot), without reading or returning one.
    fn catalog_is(&mut self, catalog: &Arc<Catalog>) -> Result<bool, SqlError> {
        if self.block.as_ref().is_some_and(|b| b.catalog_written) {
            return Ok(false);
        }
        let ts = self.data_transaction()?.snapshot_ts();
        Ok(
            matches!((ts, &self.catalog_at), (Some(ts), Some((at, c))) if *at == ts && Arc::ptr_eq(c, catalog)),
        )
    }

    pub(crate) fn read_catalog(
        txn: &mut K::Txn,
        shared: &Shared,
        written: bool,
    ) -> Result<Arc<Catalog>, SqlError> {
        let version = crate::cluster::decode_version(txn.get(VERSION_KEY)?.as_deref());
        let shared_version =
            crate::cluster::decode_version(txn.get(crate::cluster::SHARED_VERSION_KEY)?.as_deref());
        if !written && let Some(c) = shared.catalog.get(version, shared_version) {
            return Ok(c);
        }
        let mut catalog = match txn.get(CATALOG_KEY)? {
            Some(b) => Catalog::decode(&b)?,
            None => Catalog::default(),
        };
        let (record, v) = crate::cluster::SharedCatalog::read(txn, false, Some(&catalog.roles))?;
        catalog.set_shared(record, v);
        catalog.database = shared.database;
        let catalog = Arc::new(catalog);
        if !written {
            shared.catalog.put(catalog.clone());
        }
        Ok(catalog)
    }

    /// The newest catalog, locked for a DDL change.
    pub(crate) fn catalog_for_update(&mut self) -> Result<Catalog, SqlError> {
        if self.settings.transaction_read_only() {
            return Err(read_only());
        }
        let database = self.shared.database;
        let txn = self.data_transaction()?;
        let latest = lock_version(txn, VERSION_KEY)?;
        let mut catalog = match txn.get_latest(CATALOG_KEY)? {
            Some(b) => Catalog::decode(&b)?,
            None => Catalog::default(),
        };
        let (record, sv) = crate::cluster::SharedCatalog::read(txn, true, Some(&catalog.roles))?;
        catalog.set_shared(record, sv);
        catalog.database = database;
        catalog.version = latest;
        Ok(catalog)
    }

    pub(crate) fn store_catalog(&mut self, mut catalog: Catalog) -> Result<(), SqlError> {
        // A directory written before databases existed keeps its roles in this record,
        // which no longer carries them: they move to the shared record first.
        if catalog.shared_version == 0 && !catalog.roles.is_empty() {
            let txn = self.data_transaction()?;
            txn.lock(
                crate::cluster::SHARED_VERSION_KEY,
                LockMode::Exclusive,
                LockWait::Block,
            )?;
            self.store_shared(&catalog)?;
        }
        catalog.version += 1;
        let bytes = catalog.encode()?;
        let version = catalog.version.to_be_bytes().to_vec();
        if let Some(b) = self.block.as_mut() {
            b.catalog_written = true;
        }
        let txn = self.data_transaction()?;
        txn.put(CATALOG_KEY.to_vec(), bytes)?;
        txn.put(VERSION_KEY.to_vec(), version)?;
        Ok(())
    }

    /// The block committed: the sequence states it set (ALTER SEQUENCE, TRUNCATE ... RESTART
    /// IDENTITY) replace the shared ones.
    pub(crate) fn sequences_at_commit(&mut self) -> Result<(), SqlError> {
        let block = std::mem::take(&mut self.seq_session.block);
        let mut seq = SeqAccess {
            kv: &self.kv,
            shared: &self.shared,
            session: &mut self.seq_session,
            settings: &self.settings,
            temp_schema: self.temp_schema.as_deref(),
        };
        for (oid, st) in block {
            seq.put_shared(oid, st)?;
        }
        Ok(())
    }

    /// Runs `f` with an execution context over the current transaction.
    pub(crate) fn with_cx<R>(
        &mut self,
        catalog: &Catalog,
        params: &[Value],
        f: impl FnOnce(&mut Cx<'_>) -> Result<R, SqlError>,
    ) -> Result<R, SqlError> {
        self.with_cx_env(catalog, params, None, f)
    }

    /// [`Session::with_cx`] for a part of a statement with data-modifying WITH queries: reads
    /// see the statement's start ([`crate::snapshot`]) and the computed WITH queries' rows.
    fn with_cx_env<R>(
        &mut self,
        catalog: &Catalog,
        params: &[Value],
        env: Option<&WithEnv>,
        f: impl FnOnce(&mut Cx<'_>) -> Result<R, SqlError>,
    ) -> Result<R, SqlError> {
        let types = self.type_context();
        let search_path = self.search_path_inline(catalog);
        let read_only = self.settings.transaction_read_only();
        self.data_transaction()?;
        let func = EvalContext {
            transaction_start: types.now.unwrap_or(0),
            // Shared by every part of the statement: what an earlier part read, or read
            // by this one when first asked and kept below.
            statement_start: std::cell::Cell::new(self.statement_time.get()),
            types,
            // (A statement that failed midway may not have given it back: a fresh one.)
            prng: Some(self.prng.take().unwrap_or_default()),
            interrupt: Some(
                self.interrupt_flag
                    .take()
                    .unwrap_or_else(|| self.interrupt.flag().clone()),
            ),
        };
        let Session {
            kv,
            shared,
            block,
            seq_session,
            params: session_params,
            settings,
            temp_schema,
            ..
        } = self;
        let params: &[Value] = if params.is_empty() {
            session_params
        } else {
            params
        };
        let Some(Block {
            kv: Some(txn),
            deferred,
            ..
        }) = block.as_mut()
        else {
            return Err(err("XX000", "no transaction"));
        };
        let mut seq = SeqAccess {
            kv: &*kv,
            shared,
            session: seq_session,
            settings,
            temp_schema: temp_schema.as_deref(),
        };
        let calls = crate::sqlfunc::CallState {
            search_path,
            read_only,
            plans: Default::default(),
            depth: 0,
            declared: Vec::new(),
        };
        // A statement reads its own start (its commands, see `snapshot.rs`) when it has
        // data-modifying WITH queries or may call SQL functions.
        let log = match env {
            Some(env) => Some(env.before.clone()),
            None if !catalog.functions.is_empty() => Some(crate::snapshot::Commands::default()),
            None => None,
        };
        let (r, declared, prng, interrupt, statement_start) = match log {
            None => {
                let mut cx = Cx::with_calls(txn, catalog, params, func, &mut seq, calls);
                cx.deferred = Some(deferred);
                let r = f(&mut cx);
                (
                    r,
                    std::mem::take(&mut cx.calls.declared),
                    cx.func.prng.take(),
                    cx.func.interrupt.take(),
                    cx.func.statement_start.get(),
                )
            }
            Some(log) => {
                let mut snap = crate::snapshot::StatementSnapshot::new(txn, log.clone());
                let mut cx = Cx::with_calls(&mut snap, catalog, params, func, &mut seq, calls);
                cx.commands = Some(log);
                cx.deferred = Some(deferred);
                for c in env.iter().flat_map(|e| &e.ctes) {
                    cx.set_cte(c.id, c.rows.clone());
                }
                let r = f(&mut cx);
                (
                    r,
                    std::mem::take(&mut cx.calls.declared),
                    cx.func.prng.take(),
                    cx.func.interrupt.take(),
                    cx.func.statement_start.get(),
                )
            }
        };
        self.prng = prng;
        self.interrupt_flag = interrupt;
        self.statement_time.set(statement_start);
        let r = r?;
        // Cursors SQL functions declared open now, in the statement's transaction.
        for d in declared {
            let depth = self.block.as_ref().map_or(0, |b| b.savepoint_depth());
            self.cursors.adopt(d, depth)?;
        }
        Ok(r)
    }

    fn binder_env<'c>(&'c self, catalog: &'c Catalog, env: Option<&WithEnv>) -> Binder<'c> {
        let mut b = self.binder(catalog);
        for c in env.iter().flat_map(|e| &e.ctes) {
            b.add_external_cte(&c.name, c.id, c.names.clone(), c.types.clone(), c.returning);
        }
        b
    }

    /// A SELECT with data-modifying WITH queries.
    fn select_with(&mut self, s: &protobuf::SelectStmt) -> Result<StatementResult, SqlError> {
        let mut main = s.clone();
        main.with_clause = None;
        let text = format!("{main:?}");
        let (names_, types, rows) =
            self.run_with(s.with_clause.as_ref(), None, true, &text, |this, env| {
                this.query_rows(&main, env)
            })?;
        Ok(self.rows_result(&names_, &types, rows, Some("SELECT")))
    }

    /// Binds and runs a query with the WITH queries of `env`: names, types, rows.
    /// A SELECT bound and optimized against the current catalog (FOR UPDATE refused in a
    /// read-only transaction).
    fn bind_query(
        &mut self,
        s: &protobuf::SelectStmt,
        env: Option<&WithEnv>,
    ) -> Result<(Arc<Catalog>, Query), SqlError> {
        let catalog = self.load_catalog()?;
        let q = self.binder_env(&catalog, env).bind_select(s)?;
        let q = crate::optimizer::optimize_query(q, &catalog);
        if !s.locking_clause.is_empty() && self.settings.transaction_read_only() {
            return Err(err(
                "25006",
                "cannot execute SELECT FOR UPDATE in a read-only transaction",
            ));
        }
        Ok((catalog, q))
    }

    fn query_rows(
        &mut self,
        s: &protobuf::SelectStmt,
        env: Option<&WithEnv>,
    ) -> Result<QueryRows, SqlError> {
        let (catalog, q) = self.bind_query(s, env)?;
        let rows = self.with_cx_env(&catalog, &[], env, |cx| collect(&q.plan, cx))?;
        let types = q
            .types
            .into_iter()
            .map(crate::binder::text_for_unknown)
            .collect();
        Ok((q.names, types, rows))
    }

    /// Runs a statement's WITH queries, then `main` with their rows (PostgreSQL's semantics of
    /// data-modifying WITH: every part reads the statement's start, each data-modifying query
    /// runs once and to completion; one that nothing reads runs after the main part).
    /// `parent` holds the WITH queries of an enclosing statement; `top` is false inside a WITH
    /// query, where data-modifying ones are refused.
    fn run_with<R>(
        &mut self,
        with: Option<&protobuf::WithClause>,
        parent: Option<&WithEnv>,
        top: bool,
        main_text: &str,
        main: impl FnOnce(&mut Self, Option<&WithEnv>) -> Result<R, SqlError>,
    ) -> Result<R, SqlError> {
        let Some(with) = with else {
            return main(self, parent);
        };
        let mut env = WithEnv {
            ctes: parent.map(|p| p.ctes.clone()).unwrap_or_default(),
            before: parent.map(|p| p.before.clone()).unwrap_or_default(),
        };
        let items = crate::binder::with_items(with)?;
        let mut deferred = Vec::new();
        for (k, cte) in items.iter().enumerate() {
            let Some(q) = cte.ctequery.as_deref() else {
                continue;
            };
            let id = WITH_ENV_IDS + env.ctes.len();
            let modifying = !matches!(q.node.as_ref(), Some(Node::SelectStmt(_)));
            if modifying && !top {
                return Err(err(
                    "0A000",
                    "WITH clause containing a data-modifying statement must be at the top level",
                )
                .at(crate::binder::pos(cte.location)));
            }
            let (mut cols, types, rows, returning) = match q.node.as_ref() {
                Some(Node::SelectStmt(_)) => {
                    let sel = cte_reader(cte, with.recursive);
                    let (n, t, r) = self.query_rows(&sel, Some(&env))?;
                    (n, t, r, true)
                }
                Some(node) => {
                    // A data-modifying query nothing reads runs after the main part.
                    if !crate::binder::cte_read_later(cte, main_text, &items[k + 1..]) {
                        deferred.push(node);
                        continue;
                    }
                    let out = self.run_modifying(node, &env)?;
                    match out.returning {
                        Some((n, t, r)) => (n, t, r, true),
                        None => (Vec::new(), Vec::new(), Vec::new(), false),
                    }
                }
                None => continue,
            };
            crate::binder::apply_cte_aliases(cte, &mut cols, returning)?;
            env.ctes.push(WithCte {
                name: cte.ctename.clone(),
                id,
                names: cols,
                types,
                rows: Arc::new(rows),
                returning,
            });
        }
        let r = main(self, Some(&env))?;
        for node in deferred {
            self.run_modifying(node, &env)?;
        }
        Ok(r)
    }

    /// Runs a data-modifying WITH query.
    fn run_modifying(&mut self, node: &Node, env: &WithEnv) -> Result<DmlOutput, SqlError> {
        match node {
            Node::InsertStmt(s) => {
                self.run_with(s.with_clause.as_ref(), Some(env), false, "", |this, env| {
                    this.insert(s, env, "")
                })
            }
            Node::UpdateStmt(s) => {
                self.run_with(s.with_clause.as_ref(), Some(env), false, "", |this, env| {
                    this.update(s, env, "")
                })
            }
            Node::DeleteStmt(s) => {
                self.run_with(s.with_clause.as_ref(), Some(env), false, "", |this, env| {
                    this.delete(s, env, "")
                })
            }
            other => Err(SqlError::Unsupported(crate::describe::statement_name(
                other,
            ))),
        }
    }

    pub(crate) fn binder<'c>(&'c self, catalog: &'c Catalog) -> Binder<'c> {
        let mut b = Binder::new(catalog, self.search_path_oids(catalog), self.type_context());
        b.source = self.current_sql.clone();
        b.settings = Some(&self.settings);
        b.cursors = Some(&self.cursors);
        b.prepared = Some(&self.prepared);
        b.process_id = self.process_id;
        b.listening = self.notify.channels();
        if let Some(sink) = &self.param_sink {
            b.params = sink.borrow().clone();
            b.param_sink = Some(sink);
        } else if !self.declared_params.is_empty() {
            b.params = self.declared_params.clone();
        }
        b
    }

    /// Executes a statement that reads or writes data or the catalog.
    /// `PREPARE name [(types)] AS statement`: kept for `EXECUTE` until `DEALLOCATE` or the
    /// end of the session (rolling back does not forget it, as in PostgreSQL).
    fn prepare_sql(
        &mut self,
        p: &protobuf::PrepareStmt,
        stmt: &Statement<'_>,
    ) -> Result<StatementResult, SqlError> {
        if self.prepared.contains_key(&p.name) || self.protocol_statements.names.contains(&p.name) {
            return Err(err(
                "42P05",
                format!("prepared statement \"{}\" already exists", p.name),
            ));
        }
        let Some(query) = p.query.as_deref() else {
            return Err(err("42601", "PREPARE without a statement"));
        };
        let mut arg_types = Vec::new();
        let mut resolved: Vec<DataType> = Vec::new();
        let user_types = self.load_catalog()?;
        let sp = self.search_path_oids(&user_types);
        for t in &p.argtypes {
            match t.node.as_ref() {
                Some(Node::TypeName(tn)) => {
                    // Unknown type names fail here, as in PostgreSQL.
                    resolved.push(crate::binder::resolve_type_in(&user_types, &sp, tn)?);
                    arg_types.push(tn.clone());
                }
                _ => return Err(err("42601", "bad parameter type in PREPARE")),
            }
        }
        // A query is bound now, so that unknown names fail at PREPARE as in PostgreSQL
        // (other statements are checked when executed).
        if let Some(Node::SelectStmt(sel)) = query.node.as_ref()
            && sel.with_clause.is_none()
            && sel.into_clause.is_none()
        {
            let catalog = self.load_catalog()?;
            let mut b = self.binder(&catalog);
            b.params = resolved.clone();
            b.bind_select(sel)?;
            // Types the query gave its undeclared parameters.
            if b.params.len() >= resolved.len() {
                resolved = b
                    .params
                    .iter()
                    .cloned()
                    .map(crate::binder::text_for_unknown)
                    .collect();
            }
        }
        let parsed = crate::parse::Parsed::nested(stmt.text().into(), query.clone());
        self.prepared.insert(
            p.name.clone(),
            Arc::new(SqlPrepared {
                parsed: Arc::new(parsed),
                arg_types,
                param_types: resolved,
                statement: stmt.text().into(),
                prepared_at: now_micros(),
            }),
        );
        Ok(tag("PREPARE"))
    }

    /// `EXECUTE name [(arguments)]`: evaluates the arguments (cast to the declared types) and
    /// runs the prepared statement with them as its parameters.
    /// The prepared statement `EXECUTE` names and its arguments' values (checked and cast to
    /// the declared types).
    fn prepared_args(
        &mut self,
        e: &protobuf::ExecuteStmt,
    ) -> Result<(Arc<SqlPrepared>, Vec<Value>), SqlError> {
        let Some(prep) = self.prepared.get(&e.name).cloned() else {
            return Err(err(
                "26000",
                format!("prepared statement \"{}\" does not exist", e.name),
            ));
        };
        if !prep.arg_types.is_empty() && e.params.len() != prep.arg_types.len() {
            return Err(err(
                "42601",
                format!(
                    "wrong number of parameters for prepared statement \"{}\"",
                    e.name
                ),
            )
            .with_detail(format!(
                "Expected {} parameters but got {}.",
                prep.arg_types.len(),
                e.params.len()
            )));
        }
        // Each argument must coerce to its declared type by assignment, as in PostgreSQL.
        if !prep.arg_types.is_empty() {
            let catalog = self.load_catalog()?;
            let sp = self.search_path_oids(&catalog);
            let mut b = self.binder(&catalog);
            for (i, (a, tn)) in e.params.iter().zip(&prep.arg_types).enumerate() {
                let target = crate::binder::resolve_type_in(&catalog, &sp, tn)?;
                let (x, t) = b.bind_scalar(a, &Scope::default(), "EXECUTE parameter")?;
                if t != DataType::Unknown
                    && b.coerce(x, &t, &target, CastContext::Assignment).is_err()
                {
                    return Err(err(
                        "42804",
                        format!(
                            "parameter ${} of type {} cannot be coerced to the expected type {}",
                            i + 1,
                            t.format_type(),
                            target.format_type()
                        ),
                    )
                    .with_hint("You will need to rewrite or cast the expression.")
                    .at(expr_start(a)));
                }
            }
        }
        // The arguments are one row of constant expressions, evaluated like a SELECT list.
        let targets = e
            .params
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let val = match prep.arg_types.get(i) {
                    Some(tn) => protobuf::Node {
                        node: Some(Node::TypeCast(Box::new(protobuf::TypeCast {
                            arg: Some(Box::new(a.clone())),
                            type_name: Some(tn.clone()),
                            location: -1,
                        }))),
                    },
                    None => a.clone(),
                };
                protobuf::Node {
                    node: Some(Node::ResTarget(Box::new(protobuf::ResTarget {
                        val: Some(Box::new(val)),
                        ..Default::default()
                    }))),
                }
            })
            .collect();
        let args = protobuf::SelectStmt {
            target_list: targets,
            ..Default::default()
        };
        let params = if e.params.is_empty() {
            Vec::new()
        } else {
            let (_, _, rows) = self.query_rows(&args, None)?;
            rows.into_iter().next().unwrap_or_default()
        };
        Ok((prep, params))
    }

    fn execute_sql(
        &mut self,
        e: &protobuf::ExecuteStmt,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        let (prep, params) = self.prepared_args(e)?;
        let saved = std::mem::replace(&mut self.params, params);
        // Declared types are the parameters' types wherever the body reads them.
        let declared = if prep.arg_types.is_empty() {
            Vec::new()
        } else {
            prep.param_types.clone()
        };
        let saved_declared = std::mem::replace(&mut self.declared_params, declared);
        let result = prep
            .parsed
            .statements()
            .next()
            .map(|inner| self.execute_statement(&inner, notices));
        self.params = saved;
        self.declared_params = saved_declared;
        result.unwrap_or_else(|| Err(err("42601", "empty prepared statement")))
    }

    /// `DEALLOCATE [PREPARE] name | ALL`.
    fn deallocate_sql(
        &mut self,
        d: &protobuf::DeallocateStmt,
    ) -> Result<StatementResult, SqlError> {
        if d.isall || d.name.is_empty() {
            self.prepared.clear();
            let names = std::mem::take(&mut self.protocol_statements.names);
            self.protocol_statements.closed.extend(names);
            return Ok(tag("DEALLOCATE ALL"));
        }
        if self.protocol_statements.names.remove(&d.name) {
            self.protocol_statements.closed.push(d.name.clone());
            return Ok(tag("DEALLOCATE"));
        }
        if self.prepared.remove(&d.name).is_none() {
            return Err(err(
                "26000",
                format!("prepared statement \"{}\" does not exist", d.name),
            ));
        }
        Ok(tag("DEALLOCATE"))
    }

    pub(crate) fn data_statement(
        &mut self,
        node: &Node,
        stmt: &Statement<'_>,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        let _ = stmt;
        match node {
            Node::ListenStmt(l) => {
                self.notify.listen(&l.conditionname);
                Ok(tag("LISTEN"))
            }
            Node::UnlistenStmt(u) => {
                let channel = (!u.conditionname.is_empty()).then_some(u.conditionname.as_str());
                self.notify.unlisten(channel);
                Ok(tag("UNLISTEN"))
            }
            Node::NotifyStmt(n) => {
                crate::notify::check(&n.conditionname, &n.payload)?;
                self.notify
                    .queue(n.conditionname.clone(), n.payload.clone());
                Ok(tag("NOTIFY"))
            }
            Node::PrepareStmt(p) => self.prepare_sql(p, stmt),
            Node::ExecuteStmt(e) => self.execute_sql(e, notices),
            Node::DeallocateStmt(d) => self.deallocate_sql(d),
            Node::DeclareCursorStmt(d) => self.declare_cursor(d),
            Node::FetchStmt(f) => self.fetch_cursor(f),
            Node::ClosePortalStmt(c) => self.close_cursor(c),
            Node::SelectStmt(s) if select_into(s).is_some() => self.select_into(s, notices),
            Node::SelectStmt(s) if with_modifies(s.with_clause.as_ref()) => self.select_with(s),
            Node::SelectStmt(s) => self.select(s, stmt.text()),
            Node::InsertStmt(s) => {
                let text = main_text(
                    &**s,
                    s.with_clause.is_some(),
                    |m: &mut protobuf::InsertStmt| m.with_clause = None,
                );
                let out =
                    self.run_with(s.with_clause.as_ref(), None, true, &text, |this, env| {
                        this.insert(s, env, stmt.text())
                    })?;
                Ok(dml_result(count_tag("INSERT 0 ", out.count), out, self))
            }
            Node::UpdateStmt(s) => {
                let text = main_text(
                    &**s,
                    s.with_clause.is_some(),
                    |m: &mut protobuf::UpdateStmt| m.with_clause = None,
                );
                let out =
                    self.run_with(s.with_clause.as_ref(), None, true, &text, |this, env| {
                        this.update(s, env, stmt.text())
                    })?;
                Ok(dml_result(count_tag("UPDATE ", out.count), out, self))
            }
            Node::DeleteStmt(s) => {
                let text = main_text(
                    &**s,
                    s.with_clause.is_some(),
                    |m: &mut protobuf::DeleteStmt| m.with_clause = None,
                );
                let out =
                    self.run_with(s.with_clause.as_ref(), None, true, &text, |this, env| {
                        this.delete(s, env, stmt.text())
                    })?;
                Ok(dml_result(count_tag("DELETE ", out.count), out, self))
            }
            Node::ExplainStmt(e) => self.explain(e),
            Node::CopyStmt(c) => self.copy_statement(c, None),
            Node::ConstraintsSetStmt(s) => self.set_constraints(s, notices),
            Node::CreateStmt(s) => {
                let mut cat = self.catalog_for_update()?;
                let types = self.type_context();
                // A table created in pg_temp is temporary (PostgreSQL's
                // RangeVarAdjustRelationPersistence).
                let adjusted;
                let s = match s.relation.as_ref() {
                    Some(r) if r.schemaname == "pg_temp" && r.relpersistence != "t" => {
                        if r.relpersistence == "u" {
                            return Err(err(
                                "42P16",
                                "only temporary relations may be created in temporary schemas",
                            )
                            .at(crate::binder::pos(r.location)));
                        }
                        let mut n = s.clone();
                        if let Some(r) = n.relation.as_mut() {
                            r.relpersistence = "t".into();
                        }
                        adjusted = n;
                        &adjusted
                    }
                    _ => s,
                };
                let temp;
                let s = if s.relation.as_ref().is_some_and(|r| r.relpersistence == "t") {
                    temp = self.temporary_table(&mut cat, s)?;
                    &temp
                } else {
                    if s.oncommit != protobuf::OnCommitAction::OncommitNoop as i32 {
                        return Err(err(
                            "42P16",
                            "ON COMMIT can only be used on temporary tables",
                        ));
                    }
                    s
                };
                let sp = self.search_path_oids(&cat);
                crate::ddl::create_table(&mut cat, &sp, s, &types, notices)?;
                self.store_catalog(cat)?;
                Ok(tag("CREATE TABLE"))
            }
            Node::IndexStmt(s) => {
                if s.concurrent && self.block.as_ref().is_some_and(|b| b.kind_is_explicit()) {
                    return Err(err(
                        "25001",
                        "CREATE INDEX CONCURRENTLY cannot run inside a transaction block",
                    ));
                }
                let mut cat = self.catalog_for_update()?;
                let types = self.type_context();
                let sp = self.search_path_oids(&cat);
                let created = crate::ddl::create_index(&mut cat, &sp, s, &types, notices)?;
                if let Some(oid) = created {
                    self.with_cx(&cat, &[], |cx| crate::ddl::build_index(cx.catalog, oid, cx))?;
                }
                self.store_catalog(cat)?;
                Ok(tag("CREATE INDEX"))
            }
            Node::CreateSchemaStmt(s) => {
                let elements = schema_elements(s)?;
                let mut cat = self.catalog_for_update()?;
                crate::ddl::create_schema(&mut cat, s, notices)?;
                self.store_catalog(cat)?;
                if !elements.is_empty() {
                    // The elements run with the new schema first in the search path.
                    let saved = self.settings.snapshot();
                    let path = format!(
                        "\"{}\", {}",
                        s.schemaname.replace('"', "\"\""),
                        self.settings.search_path_text()
                    );
                    let r = self
                        .settings
                        .set_str("search_path", Some(&path), crate::settings::Scope::Local)
                        .and_then(|()| {
                            elements
                                .iter()
                                .try_for_each(|e| self.data_statement(e, stmt, notices).map(|_| ()))
                        });
                    self.settings.restore(saved);
                    r?;
                }
                Ok(tag("CREATE SCHEMA"))
            }
            Node::CreateSeqStmt(s) => {
                let mut cat = self.catalog_for_update()?;
                let temp;
                let s = match &s.sequence {
                    Some(rv) if rv.relpersistence == "t" => {
                        let mut n = s.clone();
                        if let Some(rv) = n.sequence.as_mut() {
                            self.place_temporary(&mut cat, rv)?;
                        }
                        temp = n;
                        &temp
                    }
                    _ => s,
                };
                let sp = self.search_path_oids(&cat);
                crate::ddl::create_sequence(&mut cat, &sp, s, notices)?;
                self.store_catalog(cat)?;
                Ok(tag("CREATE SEQUENCE"))
            }
            Node::ViewStmt(s) => {
                let mut cat = self.catalog_for_update()?;
                let types = self.type_context();
                let sp = self.search_path_oids(&cat);
                // A TEMP view, or one reading a temporary relation, goes to the session's
                // temporary schema.
                let explicit = s.view.as_ref().is_some_and(|v| v.relpersistence == "t");
                let implicit = !explicit
                    && match s.query.as_deref().and_then(|q| q.node.clone()) {
                        Some(q) => crate::ddl_alter::references_temporary(
                            &cat,
                            &sp,
                            &crate::ddl::deparse_stmt(q)?,
                        )?,
                        None => false,
                    };
                let temp;
                let s = if explicit || implicit {
                    let mut n = s.clone();
                    if let Some(rv) = n.view.as_mut() {
                        // PostgreSQL reports no position for a view.
                        self.place_temporary(&mut cat, rv)
                            .map_err(SqlError::without_position)?;
                        if implicit {
                            notices.push(crate::ddl::notice(format!(
                                "view \"{}\" will be a temporary view",
                                rv.relname
                            )));
                        }
                    }
                    temp = n;
                    &temp
                } else {
                    s
                };
                let sp = self.search_path_oids(&cat);
                crate::ddl::create_view(&mut cat, &sp, s, &types)?;
                self.store_catalog(cat)?;
                Ok(tag("CREATE VIEW"))
            }
            Node::CompositeTypeStmt(s) => {
                let mut cat = self.catalog_for_update()?;
                let sp = self.search_path_oids(&cat);
                crate::ddl::create_composite_type(&mut cat, &sp, s)?;
                self.store_catalog(cat)?;
                Ok(tag("CREATE TYPE"))
            }
            Node::CreateEnumStmt(s) => {
                let mut cat = self.catalog_for_update()?;
                let sp = self.search_path_oids(&cat);
                crate::ddl_types::create_enum(&mut cat, &sp, s)?;
                self.store_catalog(cat)?;
                Ok(tag("CREATE TYPE"))
            }
            Node::AlterEnumStmt(s) => self.alter_enum(s, notices),
            Node::CreateDomainStmt(s) => self.create_domain(s),
            Node::AlterDomainStmt(s) => self.alter_domain(s, notices),
            Node::RenameStmt(s)
                if s.rename_type == protobuf::ObjectType::ObjectType as i32
                    || s.rename_type == protobuf::ObjectType::ObjectDomain as i32 =>
            {
                self.rename_user_type(
                    s,
                    s.rename_type == protobuf::ObjectType::ObjectDomain as i32,
                )
            }
            Node::DropStmt(s) if s.remove_type == protobuf::ObjectType::ObjectDomain as i32 => {
                self.drop_user_types(s, notices)?;
                Ok(tag("DROP DOMAIN"))
            }
            Node::DropStmt(s) if s.remove_type == protobuf::ObjectType::ObjectType as i32 => {
                self.drop_user_types(s, notices)?;
                Ok(tag("DROP TYPE"))
            }
            Node::CreateFunctionStmt(s) => {
                let mut cat = self.catalog_for_update()?;
                let types = self.type_context();
                // CREATE FUNCTION pg_temp.f: in the session's temporary schema.
                let in_temp;
                let s = match s.funcname.as_slice() {
                    [sc, _] if matches!(sc.node.as_ref(), Some(Node::String(x)) if x.sval == "pg_temp") =>
                    {
                        let name = self.ensure_temp_schema(&mut cat);
                        let mut n = s.clone();
                        n.funcname[0] = protobuf::Node {
                            node: Some(Node::String(protobuf::String { sval: name })),
                        };
                        in_temp = n;
                        &in_temp
                    }
                    _ => s,
                };
                let sp = self.search_path_oids(&cat);
                let source = self.current_sql.clone();
                let check = self.settings.check_function_bodies();
                crate::sqlfunc::create_function(
                    &mut cat,
                    &sp,
                    &types,
                    s,
                    source.as_deref(),
                    check,
                )?;
                self.store_catalog(cat)?;
                Ok(tag(if s.is_procedure {
                    "CREATE PROCEDURE"
                } else {
                    "CREATE FUNCTION"
                }))
            }
            Node::DropStmt(s)
                if crate::sqlfunc::RoutineKind::of_object(s.remove_type).is_some() =>
            {
                let kind = crate::sqlfunc::RoutineKind::of_object(s.remove_type)
                    .unwrap_or(crate::sqlfunc::RoutineKind::Function);
                let mut cat = self.catalog_for_update()?;
                let sp = self.search_path_oids(&cat);
                if crate::sqlfunc::drop_functions(&mut cat, &sp, s, kind, notices)? {
                    self.store_catalog(cat)?;
                }
                Ok(tag(&format!("DROP {}", kind.tag())))
            }
            Node::DefineStmt(s)
                if protobuf::ObjectType::try_from(s.kind)
                    == Ok(protobuf::ObjectType::ObjectAggregate) =>
            {
                let mut cat = self.catalog_for_update()?;
                let sp = self.search_path_oids(&cat);
                crate::useragg::create_aggregate(
                    &mut cat,
                    &sp,
                    s,
                    &mut |cat, agg| {
                        let mut b = self.binder(cat);
                        // PostgreSQL names a missing function without a hint here.
                        let (steps, ret, trans_ty) = b.bind_aggregate_steps(agg).map_err(|e| {
                            if e.code().code() == "42883" {
                                SqlError::new("42883", e.message())
                            } else {
                                e
                            }
                        })?;
                        if trans_ty != agg.stype {
                            return Err(SqlError::new(
                                "42804",
                                format!(
                                    "return type of transition function {} is not {}",
                                    agg.sfunc.join("."),
                                    agg.stype.format_type()
                                ),
                            ));
                        }
                        Ok((steps.strict, ret))
                    },
                    notices,
                )?;
                self.store_catalog(cat)?;
                Ok(tag("CREATE AGGREGATE"))
            }
            Node::CallStmt(s) => self.call_procedure(s),
            Node::DropStmt(s) => self.drop(s, notices),
            Node::CreateTableAsStmt(s) => self.create_table_as(s, notices),
            Node::RefreshMatViewStmt(s) => self.refresh_matview(s),
            Node::VacuumStmt(s) => self.analyze(s),
            Node::ReindexStmt(s) => self.reindex(s),
            Node::TruncateStmt(s) => self.truncate(s),
            Node::CommentStmt(s) => self.comment(s),
            Node::AlterTableStmt(s) => self.alter_table(s, notices),
            Node::RenameStmt(s)
                if crate::sqlfunc::RoutineKind::of_object(s.rename_type).is_some() =>
            {
                let kind = crate::sqlfunc::RoutineKind::of_object(s.rename_type)
                    .unwrap_or(crate::sqlfunc::RoutineKind::Function);
                let Some(Node::ObjectWithArgs(owa)) =
                    s.object.as_deref().and_then(|o| o.node.as_ref())
                else {
                    return Err(err("42601", "ALTER FUNCTION without a function"));
                };
                let mut cat = self.catalog_for_update()?;
                let sp = self.search_path_oids(&cat);
                crate::sqlfunc::rename_function(&mut cat, &sp, owa, kind, &s.newname)?;
                self.store_catalog(cat)?;
                Ok(tag(&format!("ALTER {}", kind.tag())))
            }
            Node::RenameStmt(s) if s.rename_type == protobuf::ObjectType::ObjectRole as i32 => {
                let old = s.subname.clone();
                let mut cat = self.shared_for_update()?;
                crate::roles::rename_role(&mut cat, &self.settings, &old, &s.newname, notices)?;
                self.store_shared(&cat)?;
                Ok(tag("ALTER ROLE"))
            }
            Node::RenameStmt(s) if s.rename_type == protobuf::ObjectType::ObjectDatabase as i32 => {
                self.alter_database(crate::cluster::AlterDb::Rename(&s.subname, &s.newname))
            }
            Node::RenameStmt(s) => self.rename(s, notices),
            Node::CreateRoleStmt(s) => {
                let mut cat = self.shared_for_update()?;
                let types = self.type_context();
                crate::roles::create_role(&mut cat, &self.settings, &types, s, notices)?;
                self.store_shared(&cat)?;
                Ok(tag("CREATE ROLE"))
            }
            Node::AlterRoleStmt(s) => {
                let mut cat = self.shared_for_update()?;
                let types = self.type_context();
                crate::roles::alter_role(&mut cat, &self.settings, &types, s, notices)?;
                self.store_shared(&cat)?;
                Ok(tag("ALTER ROLE"))
            }
            Node::AlterRoleSetStmt(s) => {
                let mut cat = self.shared_for_update()?;
                crate::roles::alter_role_set(&mut cat, &self.settings, s, notices)?;
                self.store_shared(&cat)?;
                Ok(tag("ALTER ROLE"))
            }
            Node::DropRoleStmt(s) => {
                let mut cat = self.shared_for_update()?;
                crate::roles::drop_roles(&mut cat, &self.settings, s, notices)?;
                self.store_shared(&cat)?;
                Ok(tag("DROP ROLE"))
            }
            Node::CreatedbStmt(s) => self.create_database(s),
            Node::AlterOwnerStmt(s)
                if s.object_type == protobuf::ObjectType::ObjectDatabase as i32 =>
            {
                let name = match s.object.as_deref().and_then(|o| o.node.as_ref()) {
                    Some(Node::String(n)) => n.sval.clone(),
                    _ => return Err(err("42601", "ALTER DATABASE without a database")),
                };
                let Some(spec) = &s.newowner else {
                    return Err(err("42601", "ALTER DATABASE OWNER without a role"));
                };
                let id = self.settings.identity().clone();
                let role = match protobuf::RoleSpecType::try_from(spec.roletype) {
                    Ok(protobuf::RoleSpecType::RolespecCurrentUser)
                    | Ok(protobuf::RoleSpecType::RolespecCurrentRole) => {
                        let cat = self.load_catalog()?;
                        crate::roles::user_name(&cat, id.current_user())
                    }
                    Ok(protobuf::RoleSpecType::RolespecSessionUser) => {
                        let cat = self.load_catalog()?;
                        crate::roles::user_name(&cat, (id.session_user.0, &*id.session_user.1))
                    }
                    _ => spec.rolename.clone(),
                };
                self.alter_database(crate::cluster::AlterDb::Owner(&name, &role))
            }
            Node::DropdbStmt(s) => self.drop_database(s, notices),
            Node::AlterDatabaseStmt(s) => {
                self.alter_database(crate::cluster::AlterDb::Options(&s.dbname, &s.options))
            }
            Node::AlterDatabaseSetStmt(s) => {
                let mut cat = self.shared_for_update()?;
                crate::roles::alter_database_set(&mut cat, &self.settings, s, notices)?;
                self.store_shared(&cat)?;
                Ok(tag("ALTER DATABASE"))
            }
            Node::GrantRoleStmt(s) => {
                let mut cat = self.shared_for_update()?;
                crate::roles::grant_role(&mut cat, &self.settings, s, notices)?;
                self.store_shared(&cat)?;
                Ok(tag(if s.is_grant {
                    "GRANT ROLE"
                } else {
                    "REVOKE ROLE"
                }))
            }
            Node::AlterFunctionStmt(s) => {
                let mut cat = self.catalog_for_update()?;
                let sp = self.search_path_oids(&cat);
                let kind = crate::sqlfunc::alter_function(&mut cat, &sp, s)?;
                self.store_catalog(cat)?;
                Ok(tag(&format!("ALTER {}", kind.tag())))
            }
            Node::AlterSeqStmt(s) => self.alter_sequence(s, notices),
            Node::AlterObjectSchemaStmt(s)
                if s.object_type == protobuf::ObjectType::ObjectSequence as i32 =>
            {
                let mut cat = self.catalog_for_update()?;
                let sp = self.search_path_oids(&cat);
                let types = self.type_context();
                if crate::ddl::set_sequence_schema(&mut cat, &sp, &types, s, notices)? {
                    self.store_catalog(cat)?;
                }
                Ok(tag("ALTER SEQUENCE"))
            }
            other => Err(SqlError::Unsupported(crate::describe::statement_name(
                other,
            ))),
        }
    }

    /// A plain SELECT's bound and optimized plan (through the plan cache), checked for
    /// the transaction's read-only mode, and its output types.
    fn select_plan(
        &mut self,
        s: &protobuf::SelectStmt,
        text: &str,
    ) -> Result<SelectPlan, SqlError> {
        // Plans are cached per statement text, catalog version and the settings binding
        // depends on (search_path, TimeZone): DDL changes the version and so invalidates them.
        let (catalog, q) = self.bound(text, |this, catalog| {
            let mut b = this.binder(catalog);
            let q = b.bind_select(s)?;
            if let Some(e) = b.take_const_error() {
                return Err(e);
            }
            Ok(crate::optimizer::optimize_query(q, catalog))
        })?;
        let locking = !s.locking_clause.is_empty();
        if locking && self.settings.transaction_read_only() {
            return Err(err(
                "25006",
                "cannot execute SELECT FOR UPDATE in a read-only transaction",
            ));
        }
        let types: Vec<DataType> = q
            .types
            .iter()
            .cloned()
            .map(crate::binder::text_for_unknown)
            .collect();
        Ok((catalog, q, types))
    }

    fn select(
        &mut self,
        s: &protobuf::SelectStmt,
        text: &str,
    ) -> Result<StatementResult, SqlError> {
        let (catalog, q, types) = self.select_plan(s, text)?;
        let rows = self.with_cx(&catalog, &[], |cx| collect(&q.plan, cx))?;
        Ok(self.rows_result(&q.names, &types, rows, Some("SELECT")))
    }

    /// A plain SELECT whose rows go to `sink` as the executor produces them (see
    /// [`crate::copy::RowSink`]): nothing is collected, so memory stays bounded however
    /// many rows there are. `notices` raised so far go to the sink before the rows. The
    /// result carries the tag (`SELECT n`) and the columns, no rows.
    pub(crate) fn select_to(
        &mut self,
        s: &protobuf::SelectStmt,
        text: &str,
        sink: &mut dyn crate::copy::RowSink,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        let (catalog, q, types) = self.select_plan(s, text)?;
        let ctx = self.type_context();
        sink.begin(&q.names, &types, std::mem::take(notices))?;
        let count = self.with_cx(&catalog, &[], |cx| {
            let mut node = crate::exec::open(&q.plan);
            let mut n = 0usize;
            while let Some(r) = node.next(cx)? {
                // Cancel and statement_timeout are seen between rows, as when collecting.
                cx.tick()?;
                sink.row(&r, &types, &ctx)?;
                n += 1;
            }
            Ok(n)
        })?;
        Ok(StatementResult {
            tag: count_tag("SELECT ", count),
            columns: q.names.clone(),
            types,
            rows: Vec::new(),
            notices: Vec::new(),
        })
    }

    /// EXPLAIN of INSERT, UPDATE or DELETE: the modifying node over the plan that finds
    /// or makes its rows. With ANALYZE the bound statement shown is the one that runs (as in
    /// PostgreSQL) and the root reports the rows it affected and the time.
    fn explain_dml(&mut self, node: &Node, o: ExplainOptions) -> Result<Vec<String>, SqlError> {
        let analyze = o.analyze;
        if dml_has_with(node) {
            return Err(err(
                "0A000",
                "feature not supported: EXPLAIN of INSERT, UPDATE or DELETE with WITH",
            ));
        }
        enum Bound {
            Insert(BoundInsert),
            Update(BoundUpdate),
            Delete(BoundDelete),
        }
        let bound = match node {
            Node::InsertStmt(s) => Bound::Insert(self.bind_insert(s, None)?),
            Node::UpdateStmt(s) => Bound::Update(self.bind_update(s, None)?),
            Node::DeleteStmt(s) => Bound::Delete(self.bind_delete(s, None)?),
            _ => return Err(err("0A000", "feature not supported: this EXPLAIN")),
        };
        let plan_lines = |plan: &Plan, catalog: &Catalog| {
            let mut lines = Vec::new();
            crate::optimizer::explain_analyzed(plan, catalog, None, o.show, &mut lines);
            lines
        };
        let mut out = Vec::new();
        let child = match &bound {
            Bound::Insert(b) => {
                out.push(format!("Insert on {}", b.table.name));
                if b.conflict_nothing {
                    out.push("  Conflict Resolution: NOTHING".to_string());
                } else if b.conflict_update.is_some() {
                    out.push("  Conflict Resolution: UPDATE".to_string());
                }
                match &b.source {
                    InsertSource::Query(q) => plan_lines(&q.plan, &b.catalog),
                    InsertSource::Rows(rows) if rows.len() > 1 => {
                        vec![format!("Values Scan ({} rows)", rows.len())]
                    }
                    _ => plan_lines(&Plan::Unit, &b.catalog),
                }
            }
            Bound::Update(b) => {
                out.push(format!("Update on {}", b.writer.table.name));
                plan_lines(&b.plan, &b.catalog)
            }
            Bound::Delete(b) => {
                out.push(format!("Delete on {}", b.writer.table.name));
                plan_lines(&b.plan, &b.catalog)
            }
        };
        for (i, l) in child.into_iter().enumerate() {
            out.push(if i == 0 {
                format!("->  {l}")
            } else {
                format!("      {l}")
            });
        }
        if analyze {
            self.check_writable()?;
            let start = std::time::Instant::now();
            let done = match &bound {
                Bound::Insert(b) => self.run_insert(b, None)?,
                Bound::Update(b) => self.run_update(b, None)?,
                Bound::Delete(b) => self.run_delete(b, None)?,
            };
            out[0].push_str(&format!(" (actual rows={})", done.count));
            if o.summary {
                out.push(format!(
                    "Execution Time: {:.3} ms",
                    start.elapsed().as_secs_f64() * 1000.0
                ));
            }
        }
        Ok(out)
    }

    /// The bound form of statement `text` from the session's plan cache, or `bind`'s, which
    /// goes into the cache when it may be reused: not while this transaction has written
    /// the catalog (its version number is not unique then), not for empty text (parts of a
    /// statement) and not for text whose binding folds the transaction time.
    fn bound<T: Cacheable>(
        &mut self,
        text: &str,
        bind: impl FnOnce(&mut Self, &Arc<Catalog>) -> Result<T, SqlError>,
    ) -> Result<(Arc<Catalog>, Arc<T>), SqlError> {
        let catalog = self.load_catalog()?;
        if text.is_empty() {
            let b = bind(self, &catalog)?;
            return Ok((catalog, Arc::new(b)));
        }
        let written = self.block.as_ref().is_some_and(|b| b.catalog_written);
        // A statement in its parameter form: `text` is its shape's plan key.
        let form = self.plan_text == Some(text.as_ptr() as usize);
        let key = self.plan_key(&catalog, text);
        // A prepared statement's own plan first (see `PlanSlot`).
        let slot = self.plan_slot.clone().filter(|_| !written);
        if let Some(b) = slot.as_ref().and_then(|s| s.get::<T>(&key)) {
            return Ok((catalog, b));
        }
        // Declared parameter types change the binding of the same text: such a plan stays in
        // its statement's slot only.
        // (A parameter form's types are those its shape's text says.)
        let shared = !written && (self.declared_params.is_empty() || form);
        if shared && let Some(b) = self.plan_cache.get(&key).and_then(T::pick) {
            let b = b.clone();
            if let Some(slot) = slot {
                slot.put(&key.to_owned(), T::wrap(b.clone()));
            }
            return Ok((catalog, b));
        }
        // Owned before binding (which needs `self`), and only when it will be stored.
        let key = (!written && plan_cacheable(text)).then(|| key.to_owned());
        self.cursors.take_listed();
        let b = Arc::new(bind(self, &catalog)?);
        // A plan holding `pg_cursors` rows (maybe through a view) is good once only.
        if let Some(key) = key.filter(|_| !self.cursors.take_listed()) {
            if let Some(slot) = slot {
                slot.put(&key, T::wrap(b.clone()));
            }
            if !shared {
                return Ok((catalog, b));
            }
            if self.plan_cache.len() >= PLAN_CACHE_SIZE {
                self.plan_cache.clear();
            }
            self.plan_cache.insert(key, T::wrap(b.clone()));
        }
        Ok((catalog, b))
    }

    pub(crate) fn rows_result(
        &mut self,
        names: &[String],
        types: &[DataType],
        rows: Vec<Row>,
        tag_word: Option<&str>,
    ) -> StatementResult {
        let ctx = self.type_context();
        let count = rows.len();
        let text = if let Some(capture) = self.capture.as_mut() {
            *capture = rows;
            Vec::new()
        } else {
            rows.into_iter()
                .map(|r| r.iter().map(|v| format_text(v, &ctx)).collect())
                .collect()
        };
        StatementResult {
            tag: tag_word.map_or_else(String::new, |w| {
                let mut t = String::with_capacity(w.len() + 21);
                t.push_str(w);
                t.push(' ');
                push_decimal(&mut t, count as u64);
                t
            }),
            columns: names.to_vec(),
            types: types.to_vec(),
            rows: text,
            notices: Vec::new(),
        }
    }

    fn explain(&mut self, e: &protobuf::ExplainStmt) -> Result<StatementResult, SqlError> {
        let Some(q) = e.query.as_deref() else {
            return Err(err("42601", "EXPLAIN without a statement"));
        };
        let o = ExplainOptions::parse(&e.options)?;
        let analyze = o.analyze;
        let catalog = self.load_catalog()?;
        let s = match q.node.as_ref() {
            Some(Node::SelectStmt(s)) if select_into(s).is_some() => {
                return Err(err(
                    "0A000",
                    "feature not supported: EXPLAIN of SELECT INTO",
                ));
            }
            Some(Node::SelectStmt(s)) => s,
            Some(node @ (Node::InsertStmt(_) | Node::UpdateStmt(_) | Node::DeleteStmt(_))) => {
                let lines = self.explain_dml(node, o)?;
                return Ok(StatementResult {
                    tag: "EXPLAIN".into(),
                    columns: vec!["QUERY PLAN".into()],
                    types: vec![DataType::Text],
                    rows: lines.into_iter().map(|l| vec![Some(l)]).collect(),
                    notices: Vec::new(),
                });
            }
            _ => {
                return Err(err(
                    "0A000",
                    "feature not supported: EXPLAIN of statements other than SELECT, INSERT, UPDATE and DELETE",
                ));
            }
        };
        let mut b = self.binder(&catalog);
        let q = b.bind_select(s)?;
        let q = crate::optimizer::optimize_query(q, &catalog);
        let mut lines = Vec::new();
        if analyze {
            let start = std::time::Instant::now();
            let plan = &q.plan;
            let (rows, stats) =
                crate::exec::with_analyze(|| self.with_cx(&catalog, &[], |cx| collect(plan, cx)));
            let rows = rows?;
            drop(rows);
            crate::optimizer::explain_analyzed(&q.plan, &catalog, Some(&stats), o.show, &mut lines);
            if o.summary {
                lines.push(format!(
                    "Execution Time: {:.3} ms",
                    start.elapsed().as_secs_f64() * 1000.0
                ));
            }
        } else {
            crate::optimizer::explain_analyzed(&q.plan, &catalog, None, o.show, &mut lines);
        }
        Ok(StatementResult {
            tag: "EXPLAIN".into(),
            columns: vec!["QUERY PLAN".into()],
            types: vec![DataType::Text],
            rows: lines.into_iter().map(|l| vec![Some(l)]).collect(),
            notices: Vec::new(),
        })
    }

    /// What a plan of statement `text` bound now against `catalog` is kept under: the
    /// catalog version and the settings binding depends on.
    fn plan_key<'a>(&'a self, catalog: &Catalog, text: &'a str) -> PlanKeyRef<'a> {
        let id = self.settings.identity();
        PlanKeyRef {
            version: (catalog.version, catalog.shared_version),
            user: (id.session_user.0, id.current_user().0),
            time_zone: self.settings.time_zone(),
            date_style: self.settings.date_style(),
            search_path: self.settings.search_path_text(),
            output: self.output_style(),
            text,
        }
    }

    /// A prepared one-row INSERT of parameters and constants inside a transaction block (a
    /// bulk load's statement), run without the general dispatch once its bound form is in
    /// the prepared statement's slot: the same checks and row path as
    /// [`Session::run_parsed`] → `insert` → `run_insert_with` take for it, minus building
    /// a batch, a statement result and the source-row list. `None` when the statement or
    /// the session's state is not that case (nothing was done then: the caller runs the
    /// statement the general way); `Some` with the outcome otherwise, the block failed on an
    /// error as the general path fails it. The caller has checked the block's state
    /// (`Session::fast_prepared`).
    pub(crate) fn fast_insert(
        &mut self,
        slot: &Arc<PlanSlot>,
        parsed: &crate::parse::Parsed,
        params: &mut [Value],
    ) -> Option<Result<(), SqlError>> {
        if self.settings.transaction_read_only() {
            return None;
        }
        // The statement starts here, so that the catalog is read at its snapshot.
        self.begin_statement();
        let epoch = self.settings.epoch();
        let memo = match self.fast_memo.take() {
            // The memo's catalog still the one in force, checked without taking a reference
            // to it (an atomic count change per row is measurable in a bulk load).
            Some(m)
                if Arc::ptr_eq(&m.slot, slot)
                    && m.epoch == epoch
                    && self.catalog_is(&m.catalog).ok()? =>
            {
                m
            }
            _ => {
                let catalog = self.load_catalog().ok()?;
                FastMemo::new(self, slot, catalog, epoch, parsed, params.len())?
            }
        };
        let r = self.fast_insert_row(&memo, parsed, params);
        self.fast_memo = Some(memo);
        r
    }

    /// One row of [`Session::fast_insert`], through a checked memo.
    fn fast_insert_row(
        &mut self,
        memo: &FastMemo,
        parsed: &crate::parse::Parsed,
        params: &mut [Value],
    ) -> Option<Result<(), SqlError>> {
        let mut row = std::mem::take(&mut self.fast_row);
        if !memo.place(params, &mut row) {
            self.fast_row = row;
            return None;
        }
        let bound = &memo.bound;
        if !self
            .current_sql
            .as_ref()
            .is_some_and(|t| parsed.is_shared_text(t))
        {
            self.current_sql = Some(parsed.shared_text());
        }
        // A row-lock wait of the insert (a unique key another transaction inserted) can be
        // canceled or time out like any statement.
        self.interrupt.begin(self.settings.statement_timeout());
        let r = self
            .with_cx_env(&bound.catalog, &[], None, |cx| {
                Self::insert_plain_row(bound, &mut row, &memo.given, cx)
            })
            .and_then(|()| self.end_of_statement());
        self.interrupt.end();
        row.clear();
        self.fast_row = row;
        Some(r.map_err(|e| {
            self.abort_on_error();
            match parsed.statements().next() {
                Some(st) => e.byte_position_to_chars(st.text()),
                None => e,
            }
        }))
    }

    pub(crate) fn check_writable(&self) -> Result<(), SqlError> {
        if self.settings.transaction_read_only() {
            return Err(read_only());
        }
        Ok(())
    }
}

/// What binding and running INSERT / UPDATE / DELETE needs from where the statement runs:
/// the session (a statement of its own) or a SQL function's body ([`crate::sqlfunc`]).
pub(crate) trait DmlHost: Sized {
    /// The catalog in force.
    fn load_catalog(&mut self) -> Result<Arc<Catalog>, SqlError>;
    /// A binder for the statement.
    fn binder<'c>(&'c self, catalog: &'c Catalog) -> Binder<'c>;
    /// A binder that also sees the computed WITH queries of `env`.
    fn binder_env<'c>(&'c self, catalog: &'c Catalog, env: Option<&WithEnv>) -> Binder<'c>;
    /// The type context (time zone, styles).
    fn type_context(&self) -> TypeContext;
    /// 25006 in a read-only transaction.
    fn check_writable(&self) -> Result<(), SqlError>;
    /// 25006 for a write to `table` in a read-only transaction; as in PostgreSQL, temporary
    /// tables stay writable (checked after binding, as PostgreSQL's executor does).
    fn check_writable_target(
        &self,
        catalog: &Catalog,
        table: &Table,
        what: &str,
    ) -> Result<(), SqlError> {
        if catalog.schema_name(table.schema).starts_with("pg_temp") {
            return Ok(());
        }
        self.check_writable().map_err(|_| {
            SqlError::new(
                "25006",
                format!("cannot execute {what} in a read-only transaction"),
            )
        })
    }
    /// The bound form of statement `text` (from a plan cache, or `bind`'s).
    fn bound<T: Cacheable>(
        &mut self,
        text: &str,
        bind: impl FnOnce(&mut Self, &Arc<Catalog>) -> Result<T, SqlError>,
    ) -> Result<(Arc<Catalog>, Arc<T>), SqlError>;
    /// Runs `f` with an execution context over the current transaction.
    fn with_cx_env<R>(
        &mut self,
        catalog: &Catalog,
        params: &[Value],
        env: Option<&WithEnv>,
        f: impl FnOnce(&mut Cx<'_>) -> Result<R, SqlError>,
    ) -> Result<R, SqlError>;
    /// The statement's parameters, when an INSERT may move their values into its row.
    fn movable_params(&mut self) -> Option<&mut [Value]>;
    /// A bound UPDATE / DELETE ... WHERE CURRENT OF `cursor` plan reading the row the cursor
    /// is on.
    fn current_of_plan(&self, plan: &Plan, cursor: &str, table: &Table) -> Result<Plan, SqlError>;

    /// The table a DML statement writes; for an automatically updatable view, its base
    /// table and the view resolved ([`crate::views`]).
    fn target_table(
        &mut self,
        rv: Option<&protobuf::RangeVar>,
        op: ViewOp,
    ) -> Result<(Arc<Catalog>, Table, Option<ViewTarget>), SqlError> {
        let Some(rv) = rv else {
            return Err(err("42601", "statement without a table"));
        };
        let catalog = self.load_catalog()?;
        let mut b = self.binder(&catalog);
        if let Some((_, crate::catalog::Relation::View(oid))) =
            b.lookup_relation(&rv.schemaname, &rv.relname)
        {
            let vt = crate::views::resolve(&mut b, oid, op)?;
            let t = vt.table.clone();
            not_matview(&t)?;
            return Ok((catalog.clone(), t, Some(vt)));
        }
        let t = b.table(rv)?.clone();
        not_matview(&t)?;
        Ok((catalog.clone(), t, None))
    }

    fn insert(
        &mut self,
        s: &protobuf::InsertStmt,
        env: Option<&WithEnv>,
        text: &str,
    ) -> Result<DmlOutput, SqlError> {
        // Outside WITH, a bound INSERT is cached like a SELECT plan (same key and rules).
        let text = if env.is_some() { "" } else { text };
        let (_, bound) = self.bound(text, |this, _| this.bind_insert(s, env))?;
        self.check_writable_target(&bound.catalog, &bound.writer.table, "INSERT")?;
        self.run_insert(&bound, env)
    }

    /// Binds an INSERT: target, source rows or query, defaults, ON CONFLICT, RETURNING and
    /// the table writer.
    fn bind_insert(
        &mut self,
        s: &protobuf::InsertStmt,
        env: Option<&WithEnv>,
    ) -> Result<BoundInsert, SqlError> {
        let (catalog, table, view) = self.target_table(s.relation.as_ref(), ViewOp::Insert)?;
        // Through a view: name the base table's columns instead of the view's.
        let rewritten;
        let s = match &view {
            None => s,
            Some(vt) => {
                if s.on_conflict_clause.is_some() {
                    return Err(err("0A000", "feature not supported: ON CONFLICT on a view"));
                }
                let mut n = s.clone();
                let targets: Vec<(String, i32)> = if s.cols.is_empty() {
                    let given = match s.select_stmt.as_deref().and_then(|n| n.node.as_ref()) {
                        Some(Node::SelectStmt(sel)) => match sel.values_lists.first() {
                            Some(l) => match l.node.as_ref() {
                                Some(Node::List(list)) => list.items.len(),
                                _ => 0,
                            },
                            // The query's width (stars expanded) names the leading columns.
                            None => self.binder_env(&catalog, env).bind_select(sel)?.types.len(),
                        },
                        _ => 0,
                    };
                    vt.cols
                        .iter()
                        .take(given)
                        .map(|c| (c.name.clone(), -1))
                        .collect()
                } else {
                    s.cols
                        .iter()
                        .filter_map(|c| match c.node.as_ref() {
                            Some(Node::ResTarget(rt)) => Some((rt.name.clone(), rt.location)),
                            _ => None,
                        })
                        .collect()
                };
                // The subscripts or fields a target sets (`b[1]`) stay with it.
                let indirections: Vec<Vec<protobuf::Node>> = s
                    .cols
                    .iter()
                    .filter_map(|c| match c.node.as_ref() {
                        Some(Node::ResTarget(rt)) => Some(rt.indirection.clone()),
                        _ => None,
                    })
                    .collect();
                let mut targets = targets;
                apply_view_defaults(&mut n, &mut targets, vt)?;
                n.cols = Vec::new();
                let mut assigned: Vec<usize> = Vec::new();
                for (i, (name, location)) in targets.into_iter().enumerate() {
                    let indirection = indirections.get(i).cloned().unwrap_or_default();
                    let base = vt
                        .base_column(&name, ViewOp::Insert)
                        .map_err(|e| at_if_undefined(e, location))?;
                    // Two view columns of one base column (PostgreSQL's rewriter); several
                    // elements of one array column are fine.
                    if indirection.is_empty() && assigned.contains(&base) {
                        return Err(err(
                            "42601",
                            format!(
                                "multiple assignments to same column \"{}\"",
                                table.columns[base].name
                            ),
                        ));
                    }
                    assigned.push(base);
                    n.cols.push(protobuf::Node {
                        node: Some(Node::ResTarget(Box::new(protobuf::ResTarget {
                            name: table.columns[base].name.clone(),
                            indirection,
                            val: None,
                            location,
                        }))),
                    });
                }
                rewritten = n;
                &rewritten
            }
        };
        let mut b = self.binder_env(&catalog, env);
        // Target columns.
        let mut cols: Vec<usize> = Vec::new();
        // Per target: the field of a composite column it sets (`INSERT INTO t (p.x, ...)`).
        let mut fields: Vec<Option<usize>> = Vec::new();
        // Per target: the array subscripts it sets (`INSERT INTO t (a[1], ...)`).
        let mut elems: Vec<Option<Vec<protobuf::Node>>> = Vec::new();
        let specified_twice = |rt: &protobuf::ResTarget| {
            err(
                "42701",
                format!("column \"{}\" specified more than once", rt.name),
            )
            .at(crate::binder::pos(rt.location))
        };
        if s.cols.is_empty() {
            cols = (0..table.columns.len()).collect();
        } else {
            for c in &s.cols {
                let Some(Node::ResTarget(rt)) = c.node.as_ref() else {
                    continue;
                };
                let i = table.column_index(&rt.name).ok_or_else(|| {
                    err(
                        "42703",
                        format!(
                            "column \"{}\" of relation \"{}\" does not exist",
                            rt.name, table.name
                        ),
                    )
                    .at(crate::binder::pos(rt.location))
                })?;
                if !rt.indirection.is_empty()
                    && rt
                        .indirection
                        .iter()
                        .all(|n| matches!(n.node.as_ref(), Some(Node::AIndices(_))))
                {
                    if cols
                        .iter()
                        .zip(&fields)
                        .zip(&elems)
                        .any(|((c, f), e)| *c == i && f.is_none() && e.is_none())
                    {
                        return Err(specified_twice(rt));
                    }
                    let ty = &table.columns[i].ty;
                    if !matches!(ty, DataType::Array(_)) {
                        return Err(err(
                            "42804",
                            format!(
                                "cannot subscript type {} because it does not support subscripting",
                                ty.format_type()
                            ),
                        )
                        .at(crate::binder::pos(rt.location)));
                    }
                    cols.push(i);
                    fields.resize(cols.len(), None);
                    elems.resize(cols.len() - 1, None);
                    elems.push(Some(rt.indirection.clone()));
                    continue;
                }
                if !rt.indirection.is_empty() {
                    let ty = &table.columns[i].ty;
                    let (Some(Node::String(f)), 1) =
                        (rt.indirection[0].node.as_ref(), rt.indirection.len())
                    else {
                        return Err(err(
                            "0A000",
                            "feature not supported: INSERT into array elements or nested subfields",
                        )
                        .at(crate::binder::pos(rt.location)));
                    };
                    let (_, k) = composite_field(ty, &rt.name, &f.sval)
                        .map_err(|e| e.at(crate::binder::pos(rt.location)))?;
                    // Fields may be set more than once (the last wins), but not besides
                    // the whole column.
                    if cols
                        .iter()
                        .zip(&fields)
                        .any(|(c, fk)| *c == i && fk.is_none())
                    {
                        return Err(specified_twice(rt));
                    }
                    cols.push(i);
                    fields.resize(cols.len() - 1, None);
                    fields.push(Some(k));
                    elems.resize(cols.len(), None);
                    continue;
                }
                if cols.contains(&i) {
                    return Err(specified_twice(rt));
                }
                cols.push(i);
                fields.resize(cols.len() - 1, None);
                fields.push(None);
                elems.resize(cols.len(), None);
            }
        }
        fields.resize(cols.len(), None);
        elems.resize(cols.len(), None);
        let subfields = fields.iter().any(Option::is_some) || elems.iter().any(Option::is_some);
        let overriding = s.r#override;
        let mut source = match s.select_stmt.as_deref().and_then(|n| n.node.as_ref()) {
            None => InsertSource::DefaultValues,
            Some(Node::SelectStmt(sel)) if !sel.values_lists.is_empty() && sel.op <= 1 => {
                let empty = Scope::default();
                let mut rows = Vec::new();
                let lens: Vec<usize> = sel
                    .values_lists
                    .iter()
                    .map(|l| match l.node.as_ref() {
                        Some(Node::List(list)) => list.items.len(),
                        _ => 0,
                    })
                    .collect();
                if let Some(bad) = sel
                    .values_lists
                    .iter()
                    .zip(&lens)
                    .find(|(_, n)| **n != lens[0])
                {
                    let at = match bad.0.node.as_ref() {
                        Some(Node::List(list)) => list.items.first().and_then(expr_start),
                        _ => None,
                    };
                    return Err(err("42601", "VALUES lists must all be the same length").at(at));
                }
                if s.cols.is_empty()
                    && let Some(n) = lens.first()
                    && *n < cols.len()
                {
                    // Without a column list, values fill the leading columns.
                    cols.truncate(*n);
                }
                for l in &sel.values_lists {
                    let Some(Node::List(list)) = l.node.as_ref() else {
                        continue;
                    };
                    if list.items.len() > cols.len() {
                        return Err(err(
                            "42601",
                            "INSERT has more expressions than target columns",
                        )
                        .at(list.items.get(cols.len()).and_then(expr_start)));
                    }
                    if list.items.len() < cols.len() {
                        return Err(err(
                            "42601",
                            "INSERT has more target columns than expressions",
                        )
                        .at(s.cols.get(list.items.len()).and_then(node_location)));
                    }
                    let mut row = Vec::new();
                    for (i, item) in list.items.iter().enumerate() {
                        if let Some(Node::SetToDefault(_)) = item.node.as_ref() {
                            if fields[i].is_some() || elems[i].is_some() {
                                return Err(err("0A000", "cannot set a subfield to DEFAULT"));
                            }
                            row.push(None);
                            continue;
                        }
                        let (e, t) = match b.bind_scalar(item, &empty, "VALUES") {
                            // One row of VALUES is a select list to PostgreSQL, where
                            // set-returning functions are allowed.
                            Err(e)
                                if sel.values_lists.len() == 1
                                    && e.code().code() == "0A000"
                                    && e.to_string().starts_with(
                                        "set-returning functions are not allowed in VALUES",
                                    ) =>
                            {
                                if let Some(s) = values_row_as_select(s) {
                                    return self.bind_insert(&s, env);
                                }
                                return Err(e);
                            }
                            r => r?,
                        };
                        let col = &table.columns[cols[i]];
                        let target_ty = target_type(&col.ty, fields[i], elems[i].as_deref());
                        let e = b
                            .coerce(e, &t, &target_ty, CastContext::Assignment)
                            .map_err(|e| {
                                if e.code().code() == "42804" {
                                    err(
                                    "42804",
                                    format!(
                                        "column \"{}\" is of type {} but expression is of type {}",
                                        col.name,
                                        col.ty.format_type(),
                                        t.format_type()
                                    ),
                                )
                                .with_hint("You will need to rewrite or cast the expression.")
                                } else {
                                    e
                                }
                            })
                            .map_err(|e| e.at(expr_start(item)))
                            // PostgreSQL converts a value for a domain column when the
                            // statement runs: its errors have no position.
                            .map_err(|e| {
                                if col.domain.is_some() && e.code().code() != "42804" {
                                    e.without_position()
                                } else {
                                    e
                                }
                            })?;
                        row.push(Some(e));
                    }
                    rows.push(row);
                }
                if subfields {
                    // Targets that set fields of one composite column become one row
                    // constructor for it, at the column's first target.
                    let targets = InsertTargets {
                        table: &table,
                        cols: &cols,
                        fields: &fields,
                        elems: &elems,
                    };
                    for row in &mut rows {
                        *row = targets.merge(&mut b, std::mem::take(row))?;
                    }
                    cols = targets.merged_cols();
                }
                InsertSource::Rows(rows)
            }
            Some(Node::SelectStmt(sel)) => {
                let q = b.bind_select(sel)?;
                if s.cols.is_empty() && q.types.len() < cols.len() {
                    cols.truncate(q.types.len());
                }
                if q.types.len() < cols.len() {
                    return Err(
                        err("42601", "INSERT has more target columns than expressions")
                            .at(s.cols.get(q.types.len()).and_then(node_location)),
                    );
                }
                if q.types.len() > cols.len() {
                    return Err(
                        err("42601", "INSERT has more expressions than target columns")
                            .at(output_locations(sel).get(cols.len()).copied().flatten()),
                    );
                }
                let target: Vec<DataType> = cols
                    .iter()
                    .zip(&fields)
                    .zip(&elems)
                    .take(q.types.len())
                    .map(|((c, f), el)| target_type(&table.columns[*c].ty, *f, el.as_deref()))
                    .collect();
                let mut exprs = Vec::new();
                let locations = output_locations(sel);
                let mut plan = q.plan;
                let mut types = q.types;
                crate::binder::coerce_literals(
                    &mut plan,
                    &mut types,
                    &target,
                    &mut b,
                    CastContext::Assignment,
                )?;
                for (i, (from, to)) in types.iter().zip(&target).enumerate() {
                    let col = &table.columns[cols[i]];
                    let e = b
                        .coerce(Expr::Column(i), from, to, CastContext::Assignment)
                        .map_err(|e| {
                            let e = if e.code().code() == "42804" {
                                err(
                                    "42804",
                                    format!(
                                        "column \"{}\" is of type {} but expression is of type {}",
                                        col.name,
                                        col.ty.format_type(),
                                        from.format_type()
                                    ),
                                )
                                .with_hint("You will need to rewrite or cast the expression.")
                            } else {
                                e
                            };
                            e.at(locations.get(i).copied().flatten())
                        })?;
                    exprs.push(e);
                }
                let mut target = target;
                if subfields {
                    // As for VALUES: field targets become one row constructor per column.
                    let targets = InsertTargets {
                        table: &table,
                        cols: &cols,
                        fields: &fields,
                        elems: &elems,
                    };
                    exprs = targets
                        .merge(&mut b, exprs.into_iter().map(Some).collect())?
                        .into_iter()
                        .map(|e| e.unwrap_or(Expr::Const(Value::Null)))
                        .collect();
                    let merged = targets.merged_cols();
                    target = merged
                        .iter()
                        .map(|c| table.columns[*c].ty.clone())
                        .collect();
                    cols = merged;
                }
                InsertSource::Query(Box::new(Query {
                    // Optimized like a SELECT's plan (index access, predicate push-down).
                    plan: crate::optimizer::optimize(
                        Plan::Project {
                            input: Box::new(plan),
                            exprs,
                        },
                        &catalog,
                    ),
                    names: q.names,
                    types: target,
                }))
            }
            Some(_) => return Err(err("0A000", "feature not supported: this INSERT source")),
        };
        // Defaults.
        let mut defaults: Vec<Option<Expr>> = Vec::new();
        for c in &table.columns {
            let d = match (catalog.column_default_text(c), &c.identity) {
                (_, Some((_, seq))) => {
                    let name = catalog
                        .sequences
                        .get(seq)
                        .map(|s| {
                            format!(
                                "{}.{}",
                                crate::parse::quote_identifier(catalog.schema_name(s.schema)),
                                crate::parse::quote_identifier(&s.name)
                            )
                        })
                        .unwrap_or_default();
                    Some(Expr::Cast(
                        Box::new(Expr::Sequence(
                            SeqFunc::Nextval,
                            vec![Expr::Const(Value::Text(name))],
                        )),
                        c.ty.clone(),
                        CastContext::Assignment,
                    ))
                }
                (Some(text), None) => {
                    let (e, t) = crate::dml::bind_text_expr(&mut b, text, &Scope::default())?;
                    Some(b.coerce(e, &t, &c.ty, CastContext::Assignment)?)
                }
                (None, None) => None,
            };
            defaults.push(d);
        }
        // OVERRIDING USER VALUE: identity columns take their default whatever the source
        // gives them (VALUES items become DEFAULT; a query's values are ignored).
        let user_value = overriding == protobuf::OverridingKind::OverridingUserValue as i32;
        let ignored: Vec<bool> = cols
            .iter()
            .map(|&c| user_value && table.columns[c].identity.is_some())
            .collect();
        if let InsertSource::Rows(rows) = &mut source {
            for row in rows {
                for (item, &skip) in row.iter_mut().zip(&ignored) {
                    if skip {
                        *item = None;
                    }
                }
            }
        }
        // Identity ALWAYS columns refuse explicit values unless OVERRIDING SYSTEM VALUE;
        // generated columns take only DEFAULT, even with OVERRIDING.
        for (pos, &c) in cols.iter().enumerate() {
            let col = &table.columns[c];
            let identity = matches!(col.identity, Some((true, _)))
                && overriding != protobuf::OverridingKind::OverridingSystemValue as i32
                && !user_value;
            if !identity && col.generated.is_none() {
                continue;
            }
            let explicit = match &source {
                InsertSource::Rows(rows) => {
                    rows.iter().any(|r| r.get(pos).is_some_and(Option::is_some))
                }
                InsertSource::Query(_) => true,
                InsertSource::DefaultValues => false,
            };
            if !explicit {
                continue;
            }
            let e = err(
                "428C9",
                format!(
                    "cannot insert a non-DEFAULT value into column \"{}\"",
                    col.name
                ),
            );
            return Err(if identity {
                e.with_detail(format!(
                    "Column \"{}\" is an identity column defined as GENERATED ALWAYS.",
                    col.name
                ))
                .with_hint("Use OVERRIDING SYSTEM VALUE to override.")
            } else {
                e.with_detail(format!("Column \"{}\" is a generated column.", col.name))
            });
        }
        // ON CONFLICT.
        let on_conflict = s.on_conflict_clause.as_deref();
        let target_alias = s
            .relation
            .as_ref()
            .and_then(|r| r.alias.as_ref())
            .map_or(table.name.clone(), |a| a.aliasname.clone());
        let scope = table_scope(&table, &target_alias);
        let mut conflict_update: ConflictUpdate = None;
        let mut conflict_nothing = false;
        let mut arbiters: Option<Vec<String>> = None;
        if let Some(oc) = on_conflict {
            match protobuf::OnConflictAction::try_from(oc.action) {
                Ok(protobuf::OnConflictAction::OnconflictNothing) => conflict_nothing = true,
                Ok(protobuf::OnConflictAction::OnconflictUpdate) => {
                    // Scope: the existing row, then EXCLUDED.
                    let mut sc = scope.clone();
                    for c in &table.columns {
                        sc.cols.push(ScopeCol {
                            table: Some("excluded".into()),
                            name: c.name.clone(),
                            ty: c.ty.clone(),
                            hidden: false,
                            origin: None,
                        });
                    }
                    let sets = self.bind_set_list(&mut b, &oc.target_list, &table, &sc)?;
                    let pred = match oc.where_clause.as_deref() {
                        Some(w) => Some(b.bind_condition(w, &sc, "WHERE")?),
                        None => None,
                    };
                    conflict_update = Some((sets, pred));
                }
                _ => {}
            }
            if let Some(infer) = oc.infer.as_deref() {
                let mut want: Vec<usize> = Vec::new();
                for e in &infer.index_elems {
                    if let Some(Node::IndexElem(ie)) = e.node.as_ref() {
                        match table.column_index(&ie.name) {
                            Some(c) => want.push(c),
                            None => {
                                return Err(err(
                                    "42703",
                                    format!("column \"{}\" does not exist", ie.name),
                                )
                                .at(crate::binder::pos(infer.location)));
                            }
                        }
                    }
                }
                want.sort_unstable();
                // The arbiter indexes, by name.
                let names: Vec<String> = if !infer.conname.is_empty() {
                    let exists = table.constraints.iter().any(|c| c.name == infer.conname);
                    if !exists {
                        return Err(err(
                            "42704",
                            format!(
                                "constraint \"{}\" for table \"{}\" does not exist",
                                infer.conname, table.name
                            ),
                        ));
                    }
                    // A unique or primary-key constraint's index has its name.
                    vec![infer.conname.clone()]
                } else {
                    // A partial unique index is inferred only when the inference WHERE
                    // implies its predicate (each of its conjuncts is one of WHERE's).
                    let infer_where = match infer.where_clause.as_deref() {
                        Some(w) => {
                            let e = b.bind_condition(w, &scope, "WHERE")?;
                            let mut v = Vec::new();
                            crate::optimizer::conjuncts(e, &mut v);
                            v
                        }
                        None => Vec::new(),
                    };
                    let implied = |i: &crate::catalog::Index, b: &mut Binder<'_>| -> bool {
                        let Some(p) = &i.predicate else { return true };
                        match crate::dml::bind_text_expr(b, p, &scope) {
                            Ok((e, _)) => {
                                let mut need = Vec::new();
                                crate::optimizer::conjuncts(e, &mut need);
                                need.iter().all(|n| infer_where.contains(n))
                            }
                            Err(_) => false,
                        }
                    };
                    // Every unique index the target matches is an arbiter, as in PostgreSQL.
                    catalog
                        .table_indexes(table.oid)
                        .iter()
                        .filter(|i| {
                            let mut cols: Vec<usize> = i
                                .keys
                                .iter()
                                .filter_map(|k| match k {
                                    crate::catalog::IndexKey::Column(c) => Some(*c),
                                    crate::catalog::IndexKey::Expr(_) => None,
                                })
                                .collect();
                            cols.sort_unstable();
                            i.unique
                                && cols.len() == i.keys.len()
                                && cols == want
                                && implied(i, &mut b)
                        })
                        .map(|i| i.name.clone())
                        .collect()
                };
                if names.is_empty() {
                    return Err(err(
                        "42P10",
                        "there is no unique or exclusion constraint matching the ON CONFLICT specification",
                    ));
                }
                arbiters = Some(names);
            }
            if conflict_update.is_some() && oc.infer.is_none() {
                return Err(err(
                    "42601",
                    "ON CONFLICT DO UPDATE requires inference specification or constraint name",
                )
                .with_hint("For example, ON CONFLICT (column_name).")
                .at(crate::binder::pos(oc.location)));
            }
        }
        b.add_target_entry(
            s.relation
                .as_ref()
                .and_then(|r| r.alias.as_ref())
                .map(|a| a.aliasname.as_str()),
            s.relation.as_ref().map_or("", |r| r.relname.as_str()),
        );
        let returning = match &view {
            Some(vt) => {
                let vs = vt.scope(&target_alias);
                self.bind_returning(&mut b, s.returning_clause.as_ref(), &vs)?
            }
            None => self.bind_returning(&mut b, s.returning_clause.as_ref(), &scope)?,
        };
        let view_exprs: Option<Vec<Expr>> = view
            .as_ref()
            .map(|vt| vt.cols.iter().map(|c| c.expr.clone()).collect());
        let writer = crate::dml::writer_for(&catalog, &table, &self.type_context())?;
        Ok(BoundInsert {
            catalog,
            table,
            view,
            view_exprs,
            cols,
            ignored,
            source,
            defaults,
            conflict_nothing,
            conflict_update,
            arbiters,
            returning,
            writer,
        })
    }

    /// Runs a bound INSERT.
    fn run_insert(
        &mut self,
        bound: &BoundInsert,
        env: Option<&WithEnv>,
    ) -> Result<DmlOutput, SqlError> {
        self.run_insert_with(bound, env, None, None)
    }

    fn run_insert_with(
        &mut self,
        bound: &BoundInsert,
        env: Option<&WithEnv>,
        given_rows: Option<Vec<(Vec<Value>, Given)>>,
        filter: Option<&Expr>,
    ) -> Result<DmlOutput, SqlError> {
        let BoundInsert {
            catalog,
            table,
            view,
            view_exprs,
            cols,
            ignored,
            source,
            defaults,
            conflict_nothing,
            conflict_update,
            arbiters,
            returning,
            writer,
        } = bound;
        let conflict_nothing = *conflict_nothing;
        let has_rowid = table.primary_key.is_none();
        let rowid_seq = table.oid;
        let table_c = table;
        let cols_c = cols;
        let ret_exprs = returning.as_ref().map(|r| &r.2);
        let width = table.columns.len();
        // One VALUES row of parameters and constants (a prepared INSERT's usual shape): its
        // parameter values move into the row rather than being copied.
        let direct = match source {
            _ if given_rows.is_some() => given_rows,
            // Nothing else of the statement reads the parameters then.
            InsertSource::Rows(rows)
                if rows.len() == 1
                    && returning.is_none()
                    && conflict_update.is_none()
                    && env.is_none() =>
            {
                self.movable_params().and_then(|p| {
                    let mut row = Vec::new();
                    direct_row(&rows[0], cols, width, p, &mut row).map(|g| vec![(row, g)])
                })
            }
            _ => None,
        };
        let out = self.with_cx_env(catalog, &[], env, move |cx| {
            // Source rows, each placed at its target columns; `given` marks the columns set.
            let mut source_rows: Vec<(Vec<Value>, Given)> = Vec::new();
            let place = |src: &mut dyn Iterator<Item = Option<Value>>| {
                let mut row = vec![Value::Null; width];
                let mut given: Given = smallvec::smallvec![false; width];
                for (i, v) in src.enumerate() {
                    if let Some(v) = v
                        && !ignored[i]
                    {
                        row[cols_c[i]] = v;
                        given[cols_c[i]] = true;
                    }
                }
                (row, given)
            };
            // VALUES rows and a query's rows come one at a time when the statement reads its
            // own start (see `exec::WriteSource`).
            let stream = cx.commands.is_some();
            let mut values = None;
            let mut query = None;
            let eval_values = |r: &[Option<Expr>], cx: &mut Cx<'_>| {
                let mut vals = smallvec::SmallVec::<[Option<Value>; 16]>::new();
                for e in r {
                    vals.push(match e {
                        Some(e) => Some(eval(e, &[], cx)?),
                        None => None,
                    });
                }
                Ok::<_, SqlError>(place(&mut vals.into_iter()))
            };
            match &source {
                _ if direct.is_some() => source_rows = direct.unwrap_or_default(),
                InsertSource::Rows(rows) if stream => values = Some(rows.iter()),
                InsertSource::Rows(rows) => {
                    source_rows.reserve(rows.len());
                    for r in rows {
                        source_rows.push(eval_values(r, cx)?);
                    }
                }
                InsertSource::Query(q) => query = Some(crate::exec::WriteSource::new(&q.plan, cx)?),
                InsertSource::DefaultValues => source_rows.push(place(&mut std::iter::empty())),
            }
            let mut count = 0;
            let mut ret_rows = Vec::new();
            let mut touched: std::collections::HashSet<Vec<u8>> = std::collections::HashSet::new();
            let mut source_rows = source_rows.into_iter();
            loop {
                cx.tick()?;
                let (mut row, given) = if let Some(r) = source_rows.next() {
                    r
                } else if let Some(rows) = values.as_mut() {
                    match rows.next() {
                        Some(r) => eval_values(r, cx)?,
                        None => break,
                    }
                } else if let Some(q) = query.as_mut() {
                    match q.next(cx)? {
                        Some(r) => place(&mut r.into_iter().map(Some)),
                        None => break,
                    }
                } else {
                    break;
                };
                fill_defaults(defaults, &mut row, &given, cx)?;
                if let Some(f) = filter
                    && crate::expr::truth(&eval(f, &row, cx)?) != Some(true)
                {
                    continue;
                }
                writer.fill_generated(&mut row, cx)?;
                writer.check_row(&row, cx)?;
                let row_id = if has_rowid {
                    Some(rowid_next(cx, rowid_seq)?)
                } else {
                    None
                };
                let conflict = writer.insert(
                    &row,
                    row_id,
                    cx,
                    (conflict_nothing || conflict_update.is_some())
                        .then_some(crate::dml::Arbiters(arbiters.as_deref())),
                )?;
                let final_row = match conflict {
                    None => {
                        if let Some(vt) = &view {
                            vt.check_row(&row, cx)?;
                        }
                        // A later row of this command conflicting with this one must not
                        // update it (21000), as in PostgreSQL.
                        if conflict_update.is_some() {
                            touched.insert(writer.row_key(&row, row_id)?);
                        }
                        Some(row)
                    }
                    Some(existing_key) => match &conflict_update {
                        None => None,
                        Some((sets, pred)) => {
                            if !touched.insert(existing_key.clone()) {
                                return Err(err(
                                    "21000",
                                    "ON CONFLICT DO UPDATE command cannot affect row a second time",
                                )
                                .with_hint("Ensure that no rows proposed for insertion within the same command have duplicate constrained values."));
                            }
                            let Some(bytes) = cx.txn.get_latest(&existing_key)? else {
                                continue;
                            };
                            let mut old = crate::row::decode_row(&bytes)?;
                            old.resize(table_c.columns.len(), Value::Null);
                            let mut both = old.clone();
                            both.extend(row.iter().cloned());
                            if let Some(p) = pred
                                && crate::expr::truth(&eval(p, &both, cx)?) != Some(true)
                            {
                                continue;
                            }
                            let mut new = old.clone();
                            for (c, e) in sets {
                                new[*c] = eval(e, &both, cx)?;
                            }
                            writer.fill_generated(&mut new, cx)?;
                            writer.check_row(&new, cx)?;
                            writer.update(&existing_key, &old, &new, cx)?;
                            touched.insert(if has_rowid {
                                existing_key.clone()
                            } else {
                                writer.row_key(&new, None)?
                            });
                            Some(new)
                        }
                    },
                };
                if let Some(mut r) = final_row {
                    count += 1;
                    if let Some(exprs) = &ret_exprs {
                        if let Some(ve) = &view_exprs {
                            let base = r.clone();
                            for e in ve {
                                r.push(eval(e, &base, cx)?);
                            }
                        }
                        let mut out = Vec::with_capacity(exprs.len());
                        for e in exprs.iter() {
                            out.push(eval(e, &r, cx)?);
                        }
                        ret_rows.push(out);
                    }
                }
            }
            Ok((count, ret_rows))
        })?;
        Ok(DmlOutput {
            count: out.0,
            returning: returning
                .as_ref()
                .map(|(n, t, _)| (n.clone(), t.clone(), out.1)),
        })
    }

    /// Inserts `row` (placed at its columns, `given` marking those set) through `bound` as
    /// a plain INSERT does: defaults, generated columns, constraints, row id, indexes.
    fn insert_plain_row(
        bound: &BoundInsert,
        row: &mut [Value],
        given: &Given,
        cx: &mut Cx<'_>,
    ) -> Result<(), SqlError> {
        fill_defaults(&bound.defaults, row, given, cx)?;
        bound.writer.fill_generated(row, cx)?;
        bound.writer.check_row(row, cx)?;
        let row_id = match bound.table.primary_key {
            None => Some(rowid_next(cx, bound.table.oid)?),
            Some(_) => None,
        };
        bound.writer.insert(row, row_id, cx, None)?;
        Ok(())
    }

    fn bind_set_list(
        &self,
        b: &mut Binder<'_>,
        list: &[protobuf::Node],
        table: &Table,
        scope: &Scope,
    ) -> Result<Vec<(usize, Expr)>, SqlError> {
        let mut sets = Vec::new();
        let mut i = 0;
        while i < list.len() {
            let Some(Node::ResTarget(rt)) = list[i].node.as_ref() else {
                i += 1;
                continue;
            };
            let col = table.column_index(&rt.name).ok_or_else(|| {
                err(
                    "42703",
                    format!(
                        "column \"{}\" of relation \"{}\" does not exist",
                        rt.name, table.name
                    ),
                )
                .at(crate::binder::pos(rt.location))
            })?;
            let Some(val) = rt.val.as_deref() else {
                i += 1;
                continue;
            };
            // SET (a, b) = (x, y) / = (SELECT x, y): one assignment per column.
            let multi;
            let val = if let Some(Node::MultiAssignRef(m)) = val.node.as_ref() {
                let k = usize::try_from(m.colno - 1).unwrap_or(0);
                let Some(src) = m.source.as_deref().and_then(|n| n.node.as_ref()) else {
                    return Err(err("42601", "bad multiple-column assignment"));
                };
                let src_at = m.source.as_deref().and_then(expr_start);
                multi = match src {
                    Node::RowExpr(r) => {
                        if r.args.len() != usize::try_from(m.ncolumns).unwrap_or(0) {
                            return Err(err(
                                "42601",
                                "number of columns does not match number of values",
                            )
                            .at(src_at));
                        }
                        r.args.get(k).cloned()
                    }
                    Node::SubLink(sl) => {
                        let mut sl = (**sl).clone();
                        sl.sub_link_type = protobuf::SubLinkType::ExprSublink as i32;
                        if let Some(Node::SelectStmt(sel)) =
                            sl.subselect.as_deref_mut().and_then(|n| n.node.as_mut())
                        {
                            if sel.target_list.len() != usize::try_from(m.ncolumns).unwrap_or(0) {
                                return Err(err(
                                    "42601",
                                    "number of columns does not match number of values",
                                )
                                .at(src_at));
                            }
                            let t = sel.target_list.get(k).cloned();
                            sel.target_list = t.into_iter().collect();
                        }
                        Some(protobuf::Node {
                            node: Some(Node::SubLink(Box::new(sl))),
                        })
                    }
                    _ => {
                        return Err(err(
                            "0A000",
                            "source for a multiple-column UPDATE item must be a sub-SELECT or ROW() expression",
                        )
                        .at(src_at));
                    }
                };
                match multi.as_ref() {
                    Some(n) => n,
                    None => return Err(err("42601", "bad multiple-column assignment")),
                }
            } else {
                val
            };
            let is_default = matches!(val.node.as_ref(), Some(Node::SetToDefault(_)));
            if table.columns[col].generated.is_some() && !is_default {
                return Err(err(
                    "428C9",
                    format!("column \"{}\" can only be updated to DEFAULT", rt.name),
                )
                .with_detail(format!("Column \"{}\" is a generated column.", rt.name)));
            }
            if let Some((always, seq)) = table.columns[col].identity {
                if always && !is_default {
                    return Err(err(
                        "428C9",
                        format!("column \"{}\" can only be updated to DEFAULT", rt.name),
                    )
                    .with_detail(format!(
                        "Column \"{}\" is an identity column defined as GENERATED ALWAYS.",
                        rt.name
                    )));
                }
                if is_default {
                    let name = b
                        .catalog
                        .sequences
                        .get(&seq)
                        .map(|q| format!("{}.{}", b.catalog.schema_name(q.schema), q.name))
                        .unwrap_or_default();
                    sets.push((
                        col,
                        Expr::Cast(
                            Box::new(Expr::Sequence(
                                SeqFunc::Nextval,
                                vec![Expr::Const(Value::Text(name))],
                            )),
                            table.columns[col].ty.clone(),
                            CastContext::Assignment,
                        ),
                    ));
                    i += 1;
                    continue;
                }
            }
            if !rt.indirection.is_empty() {
                // SET p.f = v: the composite with one field replaced (a NULL composite
                // becomes a row of NULLs first, as in PostgreSQL); several such assignments
                // to one column apply in turn.
                if let Some(Node::String(field)) = rt.indirection[0].node.as_ref() {
                    let (rec, k) = composite_field(&table.columns[col].ty, &rt.name, &field.sval)
                        .map_err(|e| e.at(crate::binder::pos(rt.location)))?;
                    if rt.indirection.len() > 1 {
                        return Err(err(
                            "0A000",
                            "feature not supported: assignment to a subfield of a field or an element of one",
                        )
                        .at(crate::binder::pos(rt.location)));
                    }
                    let field_ty = rec.fields[k].1.clone();
                    let value = if is_default {
                        return Err(err("0A000", "cannot set a subfield to DEFAULT")
                            .at(crate::binder::pos(rt.location)));
                    } else {
                        let (e, t) = b.bind_scalar(val, scope, "UPDATE")?;
                        b.coerce(e, &t, &field_ty, CastContext::Assignment)?
                    };
                    let base = match sets.iter().position(|(x, _)| *x == col) {
                        Some(j) => sets.remove(j).1,
                        None => Expr::Column(col),
                    };
                    sets.push((col, record_with_field(base, rec, k, value)));
                    i += 1;
                    continue;
                }
                // SET a[i][j] = v: the array with one element (or a one-dimension slice)
                // replaced; several such assignments to one column apply in turn.
                let c = &table.columns[col];
                let DataType::Array(elem) = &c.ty else {
                    return Err(err(
                        "42804",
                        format!(
                            "cannot subscript type {} because it does not support subscripting",
                            c.ty.format_type()
                        ),
                    )
                    .at(crate::binder::pos(rt.location)));
                };
                let base = match sets.iter().position(|(x, _)| *x == col) {
                    Some(k) => sets.remove(k).1,
                    None => Expr::Column(col),
                };
                let value = if is_default {
                    Expr::Const(Value::Null)
                } else {
                    let (e, t) = b.bind_scalar(val, scope, "UPDATE")?;
                    let to = if array_slice_target(&rt.indirection) {
                        &c.ty
                    } else {
                        &**elem
                    };
                    b.coerce(e, &t, to, CastContext::Assignment)?
                };
                let e = array_assign(b, base, elem, &rt.indirection, value, scope, "UPDATE")?;
                sets.push((col, e));
                i += 1;
                continue;
            }
            let e = if is_default {
                match b.catalog.column_default_text(&table.columns[col]) {
                    Some(text) => {
                        let (e, t) = crate::dml::bind_text_expr(b, text, &Scope::default())?;
                        b.coerce(e, &t, &table.columns[col].ty, CastContext::Assignment)?
                    }
                    None => Expr::Const(Value::Null),
                }
            } else {
                let (e, t) = b.bind_scalar(val, scope, "UPDATE")?;
                let c = &table.columns[col];
                b.coerce(e, &t, &c.ty, CastContext::Assignment)
                    .map_err(|e| {
                        if e.code().code() == "42804" {
                            err(
                                "42804",
                                format!(
                                    "column \"{}\" is of type {} but expression is of type {}",
                                    c.name,
                                    c.ty.format_type(),
                                    t.format_type()
                                ),
                            )
                            .with_hint("You will need to rewrite or cast the expression.")
                        } else {
                            e
                        }
                    })
                    .map_err(|e| e.at(expr_start(val)))?
            };
            if sets.iter().any(|(c, _)| *c == col) {
                return Err(err(
                    "42601",
                    format!("multiple assignments to same column \"{}\"", rt.name),
                ));
            }
            sets.push((col, e));
            i += 1;
        }
        Ok(sets)
    }

    fn bind_returning(
        &self,
        b: &mut Binder<'_>,
        rc: Option<&protobuf::ReturningClause>,
        scope: &Scope,
    ) -> Result<Returning, SqlError> {
        let Some(rc) = rc else { return Ok(None) };
        if rc.exprs.is_empty() {
            return Ok(None);
        }
        let sel = protobuf::SelectStmt {
            target_list: rc.exprs.clone(),
            ..Default::default()
        };
        let _ = sel;
        let mut names_ = Vec::new();
        let mut types = Vec::new();
        let mut exprs = Vec::new();
        for item in &rc.exprs {
            let Some(Node::ResTarget(rt)) = item.node.as_ref() else {
                continue;
            };
            let Some(val) = rt.val.as_deref() else {
                continue;
            };
            if let Some(Node::ColumnRef(cr)) = val.node.as_ref()
                && let Some(Node::AStar(_)) = cr.fields.last().and_then(|f| f.node.as_ref())
            {
                // `t.*` is the columns of one FROM item (the target, or a FROM / USING item).
                let qual = match cr.fields.len() {
                    n if n >= 2 => crate::binder::node_str(&cr.fields[n - 2]),
                    _ => None,
                };
                let mut found = false;
                for (i, c) in scope.cols.iter().enumerate() {
                    if c.table.as_deref() == Some("excluded") || c.hidden {
                        continue;
                    }
                    if qual.is_some_and(|q| c.table.as_deref() != Some(q)) {
                        continue;
                    }
                    found = true;
                    names_.push(c.name.clone());
                    types.push(c.ty.clone());
                    exprs.push(Expr::Column(i));
                }
                if let Some(q) = qual
                    && !found
                {
                    return Err(b.missing_from_entry(q).at(crate::binder::pos(cr.location)));
                }
                continue;
            }
            let (e, t) = b.bind_scalar(val, scope, "RETURNING")?;
            names_.push(if rt.name.is_empty() {
                crate::binder::column_name(val)
            } else {
                rt.name.clone()
            });
            types.push(if t == DataType::Unknown {
                DataType::Text
            } else {
                t
            });
            exprs.push(e);
        }
        Ok(Some((names_, types, exprs)))
    }

    /// The rows an UPDATE or DELETE targets: the table scanned with its keys, joined with
    /// FROM/USING items, filtered by WHERE.
    fn dml_source(
        &self,
        b: &mut Binder<'_>,
        table: &Table,
        alias: Option<&protobuf::Alias>,
        from: &[protobuf::Node],
        where_: Option<&protobuf::Node>,
        view: Option<&ViewTarget>,
    ) -> Result<(Plan, Scope), SqlError> {
        let key_col = ScopeCol {
            table: None,
            name: String::new(),
            ty: DataType::Bytea,
            hidden: true,
            origin: None,
        };
        let current_of = current_of_cursor(where_)?;
        if current_of.is_some() && view.is_some() {
            return Err(SqlError::new(
                "0A000",
                "WHERE CURRENT OF on a view is not implemented",
            ));
        }
        let mut plan = Plan::Scan {
            table: table.oid,
            name: table.name.clone(),
            alias: None,
            width: table.columns.len(),
            access: if current_of.is_some() {
                Access::CurrentOf
            } else {
                Access::Full
            },
            filter: None,
            emit_key: true,
            lock: None,
        };
        let mut scope;
        b.add_target_entry(alias.map(|a| a.aliasname.as_str()), &table.name);
        match view {
            None => {
                let qualifier = alias.map_or(table.name.clone(), |a| a.aliasname.clone());
                scope = table_scope(table, &qualifier);
                scope.cols.push(key_col);
            }
            Some(vt) => {
                // Rows: the base row, its key, then the view's columns (what the statement
                // names), only those the view shows.
                let qualifier = alias.map_or(vt.name.clone(), |a| a.aliasname.clone());
                let width = table.columns.len();
                let full = vt.scope(&qualifier);
                scope = Scope {
                    cols: full.cols[..width].to_vec(),
                };
                scope.cols.push(key_col);
                scope.cols.extend(full.cols[width..].iter().cloned());
                if let Some(p) = &vt.pred {
                    plan = Plan::Filter {
                        input: Box::new(plan),
                        pred: p.clone(),
                    };
                }
                let mut exprs: Vec<Expr> = (0..=width).map(Expr::Column).collect();
                exprs.extend(vt.cols.iter().map(|c| c.expr.clone()));
                plan = Plan::Project {
                    input: Box::new(plan),
                    exprs,
                };
            }
        }
        if !from.is_empty() {
            let (fp, fs) = b.bind_from(from)?;
            scope.cols.extend(fs.cols);
            plan = Plan::Join {
                kind: crate::plan::JoinKind::Inner,
                left: Box::new(plan),
                right: Box::new(fp),
                on: None,
                hash_keys: Vec::new(),
                lateral: false,
            };
        }
        if let Some(w) = where_.filter(|_| current_of.is_none()) {
            let pred = b.bind_condition(w, &scope, "WHERE")?;
            plan = Plan::Filter {
                input: Box::new(plan),
                pred,
            };
        }
        let plan = crate::optimizer::optimize(plan, b.catalog);
        Ok((plan, scope))
    }

    fn update(
        &mut self,
        s: &protobuf::UpdateStmt,
        env: Option<&WithEnv>,
        text: &str,
    ) -> Result<DmlOutput, SqlError> {
        // Outside WITH, a bound UPDATE is cached like a SELECT plan (same key and rules).
        let text = if env.is_some() { "" } else { text };
        let (_, bound) = self.bound(text, |this, _| this.bind_update(s, env))?;
        self.check_writable_target(&bound.catalog, &bound.writer.table, "UPDATE")?;
        self.run_update(&bound, env)
    }

    /// Binds an UPDATE: target, the plan finding its rows, SET list, RETURNING and the
    /// table writer.
    fn bind_update(
        &mut self,
        s: &protobuf::UpdateStmt,
        env: Option<&WithEnv>,
    ) -> Result<BoundUpdate, SqlError> {
        let (catalog, table, view) = self.target_table(s.relation.as_ref(), ViewOp::Update)?;
        // Through a view: SET names the base table's columns.
        let rewritten;
        let s = match &view {
            None => s,
            Some(vt) => {
                let mut n = s.clone();
                for t in &mut n.target_list {
                    if let Some(Node::ResTarget(rt)) = t.node.as_mut() {
                        let base = vt
                            .base_column(&rt.name, ViewOp::Update)
                            .map_err(|e| at_if_undefined(e, rt.location))?;
                        rt.name = table.columns[base].name.clone();
                    }
                }
                rewritten = n;
                &rewritten
            }
        };
        let mut b = self.binder_env(&catalog, env);
        let alias = s.relation.as_ref().and_then(|r| r.alias.as_ref());
        let (plan, scope) = self.dml_source(
            &mut b,
            &table,
            alias,
            &s.from_clause,
            s.where_clause.as_deref(),
            view.as_ref(),
        )?;
        let view_exprs: Option<Vec<Expr>> = view
            .as_ref()
            .map(|vt| vt.cols.iter().map(|c| c.expr.clone()).collect());
        let sets = self.bind_set_list(&mut b, &s.target_list, &table, &scope)?;
        let returning = self.bind_returning(&mut b, s.returning_clause.as_ref(), &scope)?;
        if let Some(e) = b.take_const_error() {
            return Err(e);
        }
        let width = table.columns.len();
        let where_pred = match &plan {
            Plan::Filter { pred, .. } if s.from_clause.is_empty() => Some(pred.clone()),
            _ => None,
        };
        let writer = crate::dml::writer_for(&catalog, &table, &self.type_context())?;
        Ok(BoundUpdate {
            catalog,
            view,
            view_exprs,
            plan,
            sets,
            returning,
            where_pred,
            width,
            writer,
            current_of: current_of_cursor(s.where_clause.as_deref())?,
        })
    }

    /// Runs a bound UPDATE.
    fn run_update(
        &mut self,
        bound: &BoundUpdate,
        env: Option<&WithEnv>,
    ) -> Result<DmlOutput, SqlError> {
        let BoundUpdate {
            catalog,
            view,
            view_exprs,
            plan,
            sets,
            returning,
            where_pred,
            width,
            writer,
            current_of,
        } = bound;
        let width = *width;
        let resolved;
        let plan = match current_of {
            Some(cursor) => {
                resolved = self.current_of_plan(plan, cursor, &writer.table)?;
                &resolved
            }
            None => plan,
        };
        let ret_exprs = returning.as_ref().map(|r| &r.2);
        let out = self.with_cx_env(catalog, &[], env, move |cx| {
            let mut rows = crate::exec::WriteSource::new(plan, cx)?;
            let mut seen = std::collections::HashSet::new();
            let mut count = 0;
            let mut ret = Vec::new();
            while let Some(r) = rows.next(cx)? {
                let Some(Value::Bytea(key)) = r.get(width).cloned() else {
                    continue;
                };
                if !seen.insert(key.clone()) {
                    continue;
                }
                let Some(current) =
                    crate::dml::lock_for_write(&key, &r[..width], width, "updated", cx)?
                else {
                    continue;
                };
                let mut full = r.clone();
                if current[..] != r[..width] {
                    // Re-check the WHERE clause on the newest version (READ COMMITTED).
                    full[..width].clone_from_slice(&current);
                    if let Some(p) = &where_pred
                        && crate::expr::truth(&eval(p, &full, cx)?) != Some(true)
                    {
                        continue;
                    }
                }
                let mut new = current.clone();
                for (c, e) in sets {
                    new[*c] = eval(e, &full, cx)?;
                }
                // A function called by SET may have changed the row.
                crate::dml::not_modified_later(&key, "updated", cx)?;
                writer.fill_generated(&mut new, cx)?;
                writer.check_row(&new, cx)?;
                writer.update(&key, &current, &new, cx)?;
                if let Some(vt) = &view {
                    vt.check_row(&new, cx)?;
                }
                count += 1;
                if let Some(exprs) = &ret_exprs {
                    let mut nf = full.clone();
                    nf[..width].clone_from_slice(&new);
                    // The view's columns of the new row.
                    for (i, e) in view_exprs.iter().flatten().enumerate() {
                        nf[width + 1 + i] = eval(e, &new, cx)?;
                    }
                    let mut o = Vec::new();
                    for e in exprs.iter() {
                        o.push(eval(e, &nf, cx)?);
                    }
                    ret.push(o);
                }
            }
            Ok((count, ret))
        })?;
        Ok(DmlOutput {
            count: out.0,
            returning: returning
                .as_ref()
                .map(|(n, t, _)| (n.clone(), t.clone(), out.1)),
        })
    }

    fn delete(
        &mut self,
        s: &protobuf::DeleteStmt,
        env: Option<&WithEnv>,
        text: &str,
    ) -> Result<DmlOutput, SqlError> {
        // Outside WITH, a bound DELETE is cached like a SELECT plan (same key and rules).
        let text = if env.is_some() { "" } else { text };
        let (_, bound) = self.bound(text, |this, _| this.bind_delete(s, env))?;
        self.check_writable_target(&bound.catalog, &bound.writer.table, "DELETE")?;
        self.run_delete(&bound, env)
    }

    /// Binds a DELETE: target, the plan finding its rows, RETURNING and the table writer.
    fn bind_delete(
        &mut self,
        s: &protobuf::DeleteStmt,
        env: Option<&WithEnv>,
    ) -> Result<BoundDelete, SqlError> {
        let (catalog, table, view) = self.target_table(s.relation.as_ref(), ViewOp::Delete)?;
        let mut b = self.binder_env(&catalog, env);
        let alias = s.relation.as_ref().and_then(|r| r.alias.as_ref());
        let (plan, scope) = self.dml_source(
            &mut b,
            &table,
            alias,
            &s.using_clause,
            s.where_clause.as_deref(),
            view.as_ref(),
        )?;
        let returning = self.bind_returning(&mut b, s.returning_clause.as_ref(), &scope)?;
        if let Some(e) = b.take_const_error() {
            return Err(e);
        }
        let width = table.columns.len();
        let where_pred = match &plan {
            Plan::Filter { pred, .. } if s.using_clause.is_empty() => Some(pred.clone()),
            _ => None,
        };
        let _ = view;
        let writer = crate::dml::writer_for(&catalog, &table, &self.type_context())?;
        Ok(BoundDelete {
            catalog,
            plan,
            returning,
            where_pred,
            width,
            writer,
            current_of: current_of_cursor(s.where_clause.as_deref())?,
        })
    }

    /// Runs a bound DELETE.
    fn run_delete(
        &mut self,
        bound: &BoundDelete,
        env: Option<&WithEnv>,
    ) -> Result<DmlOutput, SqlError> {
        let BoundDelete {
            catalog,
            plan,
            returning,
            where_pred,
            width,
            writer,
            current_of,
        } = bound;
        let width = *width;
        let resolved;
        let plan = match current_of {
            Some(cursor) => {
                resolved = self.current_of_plan(plan, cursor, &writer.table)?;
                &resolved
            }
            None => plan,
        };
        let ret_exprs = returning.as_ref().map(|r| &r.2);
        let out = self.with_cx_env(catalog, &[], env, move |cx| {
            let mut rows = crate::exec::WriteSource::new(plan, cx)?;
            let mut seen = std::collections::HashSet::new();
            let mut count = 0;
            let mut ret = Vec::new();
            while let Some(r) = rows.next(cx)? {
                let Some(Value::Bytea(key)) = r.get(width).cloned() else {
                    continue;
                };
                if !seen.insert(key.clone()) {
                    continue;
                }
                let Some(current) =
                    crate::dml::lock_for_write(&key, &r[..width], width, "deleted", cx)?
                else {
                    continue;
                };
                let mut full = r.clone();
                if current[..] != r[..width] {
                    full[..width].clone_from_slice(&current);
                    if let Some(p) = &where_pred
                        && crate::expr::truth(&eval(p, &full, cx)?) != Some(true)
                    {
                        continue;
                    }
                }
                writer.delete(&key, &current, cx)?;
                count += 1;
                if let Some(exprs) = &ret_exprs {
                    let mut o = Vec::new();
                    for e in exprs.iter() {
                        o.push(eval(e, &full, cx)?);
                    }
                    ret.push(o);
                }
            }
            Ok((count, ret))
        })?;
        Ok(DmlOutput {
            count: out.0,
            returning: returning
                .as_ref()
                .map(|(n, t, _)| (n.clone(), t.clone(), out.1)),
        })
    }
}

/// INSERT through a view with column defaults: the view's default stands for each view
/// column the statement leaves out or sets to DEFAULT (the base table's defaults only for
/// the others), as PostgreSQL's rewriter does. `targets` are the view columns named (or
/// implied), in order; the defaulted ones are added to it and to each row of the source.
fn apply_view_defaults(
    n: &mut protobuf::InsertStmt,
    targets: &mut Vec<(String, i32)>,
    vt: &crate::views::ViewTarget,
) -> Result<(), SqlError> {
    if vt.defaults.is_empty() {
        return Ok(());
    }
    let given = targets.len();
    let defaults: Vec<(usize, protobuf::Node)> = vt
        .defaults
        .iter()
        .filter(|(c, _)| vt.cols.iter().any(|vc| vc.name == *c))
        .map(|(c, text)| Ok((0, c.clone(), crate::dml::parse_text_expr(text)?)))
        .collect::<Result<Vec<(usize, String, protobuf::Node)>, SqlError>>()?
        .into_iter()
        .map(|(_, c, e)| {
            let at = match targets.iter().position(|(t, _)| *t == c) {
                Some(i) => i,
                None => {
                    targets.push((c, -1));
                    targets.len() - 1
                }
            };
            (at, e)
        })
        .collect();
    let fill = |items: &mut Vec<protobuf::Node>| {
        for (at, e) in &defaults {
            if *at < items.len() {
                if matches!(items[*at].node, Some(Node::SetToDefault(_))) {
                    items[*at] = e.clone();
                }
            } else if *at == items.len() {
                items.push(e.clone());
            }
        }
    };
    match n.select_stmt.as_deref_mut().and_then(|s| s.node.as_mut()) {
        None => {
            // DEFAULT VALUES: a row of the view's defaults.
            let mut row: Vec<protobuf::Node> = Vec::new();
            targets.clear();
            for (c, text) in &vt.defaults {
                targets.push((c.clone(), -1));
                row.push(crate::dml::parse_text_expr(text)?);
            }
            n.select_stmt = Some(Box::new(protobuf::Node {
                node: Some(Node::SelectStmt(Box::new(protobuf::SelectStmt {
                    values_lists: vec![protobuf::Node {
                        node: Some(Node::List(protobuf::List { items: row })),
                    }],
                    op: protobuf::SetOperation::SetopNone as i32,
                    ..Default::default()
                }))),
            }));
        }
        Some(Node::SelectStmt(sel)) if !sel.values_lists.is_empty() => {
            let len = |l: &protobuf::Node| match l.node.as_ref() {
                Some(Node::List(list)) => list.items.len(),
                _ => 0,
            };
            if sel.values_lists.iter().any(|l| len(l) != given) {
                // (lists of different lengths: the binder's error, unchanged)
                return Ok(());
            }
            for l in &mut sel.values_lists {
                if let Some(Node::List(list)) = l.node.as_mut() {
                    fill(&mut list.items);
                }
            }
        }
        Some(Node::SelectStmt(sel)) if sel.op <= 1 => {
            // INSERT ... SELECT: the defaults of the columns it leaves out become more
            // select-list items, after those it gives.
            for (at, e) in &defaults {
                if *at >= given {
                    sel.target_list.push(protobuf::Node {
                        node: Some(Node::ResTarget(Box::new(protobuf::ResTarget {
                            val: Some(Box::new(e.clone())),
                            location: -1,
                            ..Default::default()
                        }))),
                    });
                }
            }
        }
        _ => {
            return Err(SqlError::Unsupported(
                "INSERT ... SELECT with set operations through a view with column defaults".into(),
            ));
        }
    }
    Ok(())
}

/// `INSERT ... VALUES (row)` as `INSERT ... SELECT row`, when the row has no DEFAULT.
fn values_row_as_select(s: &protobuf::InsertStmt) -> Option<protobuf::InsertStmt> {
    let Some(Node::SelectStmt(sel)) = s.select_stmt.as_deref().and_then(|n| n.node.as_ref()) else {
        return None;
    };
    let [row] = sel.values_lists.as_slice() else {
        return None;
    };
    let Some(Node::List(list)) = row.node.as_ref() else {
        return None;
    };
    if list
        .items
        .iter()
        .any(|i| matches!(i.node, Some(Node::SetToDefault(_))))
    {
        return None;
    }
    let target_list = list
        .items
        .iter()
        .map(|item| protobuf::Node {
            node: Some(Node::ResTarget(Box::new(protobuf::ResTarget {
                val: Some(Box::new(item.clone())),
                location: -1,
                ..Default::default()
            }))),
        })
        .collect();
    let mut out = s.clone();
    out.select_stmt = Some(Box::new(protobuf::Node {
        node: Some(Node::SelectStmt(Box::new(protobuf::SelectStmt {
            target_list,
            op: protobuf::SetOperation::SetopNone as i32,
            ..Default::default()
        }))),
    }));
    Some(out)
}

/// INSERT, UPDATE, DELETE and MERGE refuse a materialized view (only REFRESH writes it).
fn not_matview(t: &Table) -> Result<(), SqlError> {
    if t.matview.is_some() {
        return Err(SqlError::new(
            "42809",
            format!("cannot change materialized view \"{}\"", t.name),
        ));
    }
    Ok(())
}

/// The cursor of `WHERE CURRENT OF cursor`, when that is the WHERE clause.
fn current_of_cursor(where_: Option<&protobuf::Node>) -> Result<Option<String>, SqlError> {
    match where_.and_then(|w| w.node.as_ref()) {
        Some(Node::CurrentOfExpr(c)) if c.cursor_name.is_empty() => Err(SqlError::new(
            "0A000",
            "feature not supported: WHERE CURRENT OF a cursor parameter",
        )),
        Some(Node::CurrentOfExpr(c)) => Ok(Some(c.cursor_name.clone())),
        _ => Ok(None),
    }
}

impl<K: TxnKv> DmlHost for Session<K> {
    fn load_catalog(&mut self) -> Result<Arc<Catalog>, SqlError> {
        Session::load_catalog(self)
    }

    fn binder<'c>(&'c self, catalog: &'c Catalog) -> Binder<'c> {
        Session::binder(self, catalog)
    }

    fn binder_env<'c>(&'c self, catalog: &'c Catalog, env: Option<&WithEnv>) -> Binder<'c> {
        Session::binder_env(self, catalog, env)
    }

    fn type_context(&self) -> TypeContext {
        Session::type_context(self)
    }

    fn check_writable(&self) -> Result<(), SqlError> {
        Session::check_writable(self)
    }

    fn bound<T: Cacheable>(
        &mut self,
        text: &str,
        bind: impl FnOnce(&mut Self, &Arc<Catalog>) -> Result<T, SqlError>,
    ) -> Result<(Arc<Catalog>, Arc<T>), SqlError> {
        Session::bound(self, text, bind)
    }

    fn with_cx_env<R>(
        &mut self,
        catalog: &Catalog,
        params: &[Value],
        env: Option<&WithEnv>,
        f: impl FnOnce(&mut Cx<'_>) -> Result<R, SqlError>,
    ) -> Result<R, SqlError> {
        Session::with_cx_env(self, catalog, params, env, f)
    }

    fn movable_params(&mut self) -> Option<&mut [Value]> {
        Some(&mut self.params)
    }

    fn current_of_plan(&self, plan: &Plan, cursor: &str, table: &Table) -> Result<Plan, SqlError> {
        self.cursor_row_plan(plan, cursor, table)
    }
}

impl<K: TxnKv> Session<K> {
    /// Binds `INSERT INTO t (cols) OVERRIDING SYSTEM VALUE DEFAULT VALUES` for COPY FROM.
    pub(crate) fn bind_insert_for_copy(
        &mut self,
        s: &protobuf::InsertStmt,
    ) -> Result<BoundInsert, SqlError> {
        self.bind_insert(s, None)
    }

    /// Inserts `rows` (placed at their columns, `given` marking those set; each row one
    /// value per column) through `bound`, skipping those `filter` (over the row with its
    /// defaults) does not accept; returns how many were inserted. COPY FROM's batches: the
    /// rows stay the caller's, which reuses their allocations for the next batch (the
    /// defaults and generated values written into them included).
    /// On an error, `at` is the index of the row that failed (`usize::MAX`: not known).
    pub(crate) fn run_insert_rows(
        &mut self,
        bound: &BoundInsert,
        rows: &mut [Vec<Value>],
        given: &Given,
        filter: Option<&Expr>,
        at: &mut usize,
    ) -> Result<u64, SqlError> {
        *at = usize::MAX;
        if bound.view.is_some()
            || bound.returning.is_some()
            || bound.conflict_update.is_some()
            || bound.conflict_nothing
        {
            // Not a COPY's statement: the general path, with copies of the rows.
            let rows = rows.iter().map(|r| (r.clone(), given.clone())).collect();
            return Ok(self.run_insert_with(bound, None, Some(rows), filter)?.count as u64);
        }
        self.with_cx_env(&bound.catalog, &[], None, |cx| {
            let mut count = 0;
            for (i, row) in rows.iter_mut().enumerate() {
                *at = i;
                fill_defaults(&bound.defaults, row, given, cx)?;
                if let Some(f) = filter
                    && crate::expr::truth(&eval(f, row, cx)?) != Some(true)
                {
                    continue;
                }
                bound.writer.fill_generated(row, cx)?;
                bound.writer.check_row(row, cx)?;
                let row_id = match bound.table.primary_key {
                    None => Some(rowid_next(cx, bound.table.oid)?),
                    Some(_) => None,
                };
                bound.writer.insert(row, row_id, cx, None)?;
                count += 1;
            }
            Ok(count)
        })
    }

    /// Binds COPY FROM's WHERE condition over the table's row.
    pub(crate) fn bind_copy_where(
        &mut self,
        table: &Table,
        w: &protobuf::Node,
    ) -> Result<Expr, SqlError> {
        if format!("{w:?}").contains("SubLink(") {
            return Err(
                err("0A000", "cannot use subquery in COPY FROM WHERE condition").at(expr_start(w)),
            );
        }
        let catalog = self.load_catalog()?;
        let scope = crate::binder::table_scope(table, &table.name);
        let mut b = self.binder(&catalog);
        b.bind_condition(w, &scope, "COPY FROM WHERE")
    }

    /// Runs a SELECT for COPY TO, passing its column names and then each row to `each` as it
    /// comes (nothing is collected); returns the number of rows.
    pub(crate) fn copy_query_stream(
        &mut self,
        s: &protobuf::SelectStmt,
        mut each: impl FnMut(crate::copy::Output<'_>) -> Result<(), SqlError>,
    ) -> Result<u64, SqlError> {
        let (catalog, q) = self.bind_query(s, None)?;
        each(crate::copy::Output::Names(&q.names))?;
        self.with_cx_env(&catalog, &[], None, |cx| {
            let mut node = crate::exec::open(&q.plan);
            let mut n = 0u64;
            while let Some(r) = node.next(cx)? {
                each(crate::copy::Output::Row(&r))?;
                n += 1;
            }
            Ok(n)
        })
    }

    fn alter_sequence(
        &mut self,
        s: &protobuf::AlterSeqStmt,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        let Some(rv) = &s.sequence else {
            return Err(err("42601", "ALTER SEQUENCE without a name"));
        };
        let mut cat = self.catalog_for_update()?;
        let sp = self.search_path_oids(&cat);
        let found = if rv.schemaname.is_empty() {
            sp.iter().find_map(|o| cat.relation_in(*o, &rv.relname))
        } else {
            cat.schema_oid(&rv.schemaname)
                .and_then(|o| cat.relation_in(o, &rv.relname))
        };
        let oid = match found {
            Some(Relation::Sequence(oid)) => oid,
            Some(_) => {
                return Err(err(
                    "42809",
                    format!("\"{}\" is not a sequence", rv.relname),
                ));
            }
            None if s.missing_ok => {
                notices.push(crate::ddl::notice(format!(
                    "relation \"{}\" does not exist, skipping",
                    rv.relname
                )));
                return Ok(tag("ALTER SEQUENCE"));
            }
            None => {
                return Err(err(
                    "42P01",
                    format!("relation \"{}\" does not exist", rv.relname),
                ));
            }
        };
        let Some(mut seq) = cat.sequences.get(&oid).cloned() else {
            return Err(err("XX000", "catalog entry vanished"));
        };
        let current = self.with_cx(&cat, &[], |cx| cx.sequences.state(&seq))?;
        let opts = crate::ddl::apply_seq_options(&mut seq, &s.options, false, current.last)?;
        if let Some(owned) = &opts.owned_by {
            crate::ddl::set_owned_by(&cat, &sp, &mut seq, owned)?;
        }
        cat.sequences.insert(oid, seq.clone());
        let restart = match opts.state {
            crate::ddl::SeqStateChange::Keep => None,
            crate::ddl::SeqStateChange::Rewrite => Some(None),
            crate::ddl::SeqStateChange::Restart(v) => Some(Some(v)),
        };
        if let Some(restart) = restart {
            self.with_cx(&cat, &[], |cx| cx.sequences.reset(&seq, restart))?;
        }
        self.store_catalog(cat)?;
        Ok(tag("ALTER SEQUENCE"))
    }

    fn drop(
        &mut self,
        s: &protobuf::DropStmt,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        let kind = protobuf::ObjectType::try_from(s.remove_type)
            .unwrap_or(protobuf::ObjectType::Undefined);
        use protobuf::ObjectType as O;
        match kind {
            O::ObjectRule | O::ObjectTrigger => {
                return self.drop_rule_or_trigger(s, kind == O::ObjectRule, notices);
            }
            O::ObjectAggregate | O::ObjectOperator => {
                if kind == O::ObjectAggregate {
                    let cat = self.load_catalog()?;
                    let sp = self.search_path_oids(&cat);
                    if crate::useragg::names_user_aggregate(&cat, &sp, s) {
                        let mut cat = self.catalog_for_update()?;
                        if crate::useragg::drop_aggregates(&mut cat, &sp, s, notices)? {
                            self.store_catalog(cat)?;
                        }
                        return Ok(tag("DROP AGGREGATE"));
                    }
                }
                return self.drop_builtin_routine(s, kind == O::ObjectAggregate, notices);
            }
            O::ObjectConversion
            | O::ObjectTsparser
            | O::ObjectTsdictionary
            | O::ObjectTstemplate
            | O::ObjectTsconfiguration
            | O::ObjectExtension
            | O::ObjectLanguage
            | O::ObjectCast
            | O::ObjectFdw
            | O::ObjectForeignServer
            | O::ObjectOpclass
            | O::ObjectOpfamily => return self.drop_absent_objects(s, kind, notices),
            _ => {}
        }
        let (word, tagname) = match kind {
            O::ObjectTable => ("table", "DROP TABLE"),
            O::ObjectIndex => ("index", "DROP INDEX"),
            O::ObjectView => ("view", "DROP VIEW"),
            O::ObjectMatview => ("materialized view", "DROP MATERIALIZED VIEW"),
            O::ObjectSequence => ("sequence", "DROP SEQUENCE"),
            O::ObjectSchema => ("schema", "DROP SCHEMA"),
            _ => {
                return Err(SqlError::Unsupported(format!(
                    "DROP {}",
                    format!("{kind:?}")
                        .trim_start_matches("Object")
                        .to_uppercase()
                )));
            }
        };
        if kind == O::ObjectIndex && s.concurrent {
            if self.block.as_ref().is_some_and(|b| b.kind_is_explicit()) {
                return Err(err(
                    "25001",
                    "DROP INDEX CONCURRENTLY cannot run inside a transaction block",
                ));
            }
            if s.objects.len() != 1 {
                return Err(err(
                    "0A000",
                    "DROP INDEX CONCURRENTLY does not support dropping multiple objects",
                ));
            }
        }
        let cascade = s.behavior == protobuf::DropBehavior::DropCascade as i32;
        let mut cat = self.catalog_for_update()?;
        let sp = self.search_path_oids(&cat);
        let mut drop_data: Vec<(u32, bool)> = Vec::new();
        // The tables this statement drops (a table's row type may be used by another of
        // them, which then goes too).
        let batch: Vec<u32> = if kind == O::ObjectTable {
            s.objects
                .iter()
                .filter_map(|obj| {
                    let parts: Vec<String> = match obj.node.as_ref() {
                        Some(Node::List(l)) => names(&l.items),
                        Some(Node::String(st)) => vec![st.sval.clone()],
                        _ => return None,
                    };
                    let found = match parts.as_slice() {
                        [n] => sp.iter().find_map(|sc| cat.relation_in(*sc, n)),
                        [sc, n] => cat.schema_oid(sc).and_then(|sc| cat.relation_in(sc, n)),
                        _ => None,
                    };
                    match found {
                        Some(Relation::Table(t)) => Some(t),
                        _ => None,
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        for obj in &s.objects {
            let parts: Vec<String> = match obj.node.as_ref() {
                Some(Node::List(l)) => names(&l.items),
                Some(Node::String(st)) => vec![st.sval.clone()],
                _ => continue,
            };
            if kind == O::ObjectSchema {
                let name = parts.last().cloned().unwrap_or_default();
                let Some(oid) = cat.schema_oid(&name) else {
                    if s.missing_ok {
                        notices.push(crate::ddl::notice(format!(
                            "schema \"{name}\" does not exist, skipping"
                        )));
                        continue;
                    }
                    return Err(err("3F000", format!("schema \"{name}\" does not exist")));
                };
                let tables: Vec<u32> = cat
                    .tables
                    .values()
                    .filter(|t| t.schema == oid)
                    .map(|t| t.oid)
                    .collect();
                let schema_types: Vec<(u32, String)> = cat
                    .types
                    .values()
                    .map(|t| (t.oid, t.schema, t.name.clone()))
                    .chain(
                        cat.enum_and_domain_types()
                            .into_iter()
                            .map(|(o, sc, n, _)| (o, sc, n)),
                    )
                    .filter(|(_, sc, _)| *sc == oid)
                    .map(|(o, _, n)| (o, n))
                    .collect();
                let nonempty = !tables.is_empty()
                    || !schema_types.is_empty()
                    || cat.views.values().any(|v| v.schema == oid)
                    || cat.sequences.values().any(|q| q.schema == oid);
                if nonempty && !cascade {
                    let what = cat
                        .tables
                        .values()
                        .find(|t| t.schema == oid)
                        .map(|t| format!("table {}.{}", name, t.name))
                        .or_else(|| {
                            cat.views
                                .values()
                                .find(|v| v.schema == oid)
                                .map(|v| format!("view {}.{}", name, v.name))
                        })
                        .or_else(|| {
                            cat.sequences
                                .values()
                                .find(|q| q.schema == oid)
                                .map(|q| format!("sequence {}.{}", name, q.name))
                        })
                        .or_else(|| {
                            schema_types
                                .first()
                                .map(|(_, n)| format!("type {name}.{n}"))
                        })
                        .unwrap_or_default();
                    return Err(err(
                        "2BP01",
                        format!("cannot drop schema {name} because other objects depend on it"),
                    )
                    .with_detail(format!("{what} depends on schema {name}"))
                    .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
                }
                for &t in &tables {
                    let more = crate::ddl::drop_table(&mut cat, t, true, &tables)?;
                    drop_data.push((t, true));
                    drop_data.extend(more);
                }
                cat.views.retain(|_, v| v.schema != oid);
                cat.sequences.retain(|_, q| q.schema != oid);
                cat.aggregates.retain(|_, a| a.schema != oid);
                for (t, tname) in &schema_types {
                    let used = !cat.columns_using_type(*t).is_empty()
                        || cat
                            .domains
                            .values()
                            .any(|d| d.schema != oid && crate::usertypes::type_uses(&d.base, *t));
                    if used {
                        return Err(err(
                            "0A000",
                            format!(
                                "feature not supported: DROP SCHEMA ... CASCADE of type {name}.{tname} used outside the schema"
                            ),
                        ));
                    }
                    cat.types.remove(t);
                    cat.enums.remove(t);
                    cat.domains.remove(t);
                }
                cat.schemas.remove(&oid);
                continue;
            }
            let (schema_name, name) = match parts.as_slice() {
                [n] => (String::new(), n.clone()),
                [s, n] => (s.clone(), n.clone()),
                _ => continue,
            };
            let found = if schema_name.is_empty() {
                sp.iter().find_map(|s| cat.relation_in(*s, &name))
            } else {
                cat.schema_oid(&schema_name)
                    .and_then(|s| cat.relation_in(s, &name))
            };
            let display = if schema_name.is_empty() {
                name.clone()
            } else {
                format!("{schema_name}.{name}")
            };
            let is_matview = |o: &u32| cat.tables.get(o).is_some_and(|t| t.matview.is_some());
            let matches_kind = match (kind, found) {
                (O::ObjectTable, Some(Relation::Table(o))) => !is_matview(&o),
                (O::ObjectMatview, Some(Relation::Table(o))) => is_matview(&o),
                (O::ObjectIndex, Some(Relation::Index(_)))
                | (O::ObjectView, Some(Relation::View(_)))
                | (O::ObjectSequence, Some(Relation::Sequence(_))) => true,
                _ => false,
            };
            if !matches_kind {
                if let Some(f) = found {
                    let article = if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
                        "an"
                    } else {
                        "a"
                    };
                    let (command, what) = match f {
                        Relation::Table(o) if is_matview(&o) => {
                            ("MATERIALIZED VIEW", "a materialized view")
                        }
                        Relation::Table(_) => ("TABLE", "a table"),
                        Relation::Index(_) => ("INDEX", "an index"),
                        Relation::View(_) => ("VIEW", "a view"),
                        Relation::Sequence(_) => ("SEQUENCE", "a sequence"),
                    };
                    return Err(err("42809", format!("\"{name}\" is not {article} {word}"))
                        .with_hint(format!("Use DROP {command} to remove {what}.")));
                }
                if s.missing_ok {
                    notices.push(crate::ddl::notice(format!(
                        "{word} \"{display}\" does not exist, skipping"
                    )));
                    continue;
                }
                // PostgreSQL reports a missing index as an undefined object.
                let code = if kind == O::ObjectIndex {
                    "42704"
                } else {
                    "42P01"
                };
                return Err(err(code, format!("{word} \"{display}\" does not exist")));
            }
            match found {
                Some(Relation::Table(oid)) => {
                    let more = crate::ddl::drop_table(&mut cat, oid, cascade, &batch)?;
                    drop_data.push((oid, true));
                    drop_data.extend(more);
                }
                Some(Relation::Index(oid)) => {
                    let owned = cat.tables.values().any(|t| {
                        t.constraints.iter().any(|c| {
                            matches!(c.kind, ConstraintKind::PrimaryKey { index } | ConstraintKind::Unique { index } if index == oid)
                        })
                    });
                    if owned {
                        let t = cat
                            .indexes
                            .get(&oid)
                            .and_then(|i| cat.tables.get(&i.table))
                            .map_or(String::new(), |t| t.name.clone());
                        return Err(err(
                            "2BP01",
                            format!(
                                "cannot drop index {name} because constraint {name} on table {t} requires it"
                            ),
                        )
                        .with_hint(format!(
                            "You can drop constraint {name} on table {t} instead."
                        )));
                    }
                    cat.indexes.remove(&oid);
                    drop_data.push((oid, false));
                }
                Some(Relation::View(oid)) => {
                    let deps: Vec<String> = crate::ddl::views_mentioning(&cat, &name)
                        .into_iter()
                        .filter(|v| *v != name)
                        .collect();
                    if !deps.is_empty() && !cascade {
                        return Err(err(
                            "2BP01",
                            format!("cannot drop view {name} because other objects depend on it"),
                        )
                        .with_detail(format!("view {} depends on view {name}", deps[0]))
                        .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
                    }
                    let all = crate::ddl::views_depending(&cat, &name);
                    cat.views.retain(|_, v| !all.contains(&v.name));
                    cat.views.remove(&oid);
                    drop_data.extend(crate::ddl::drop_matviews(&mut cat, &all, &batch)?);
                }
                Some(Relation::Sequence(oid)) => {
                    drop_sequence(&mut cat, &sp, oid, cascade, notices)?;
                }
                None => {}
            }
        }
        // Delete the data of dropped tables and indexes.
        let cat_ref = cat.clone();
        self.with_cx(&cat_ref, &[], |cx| {
            for (oid, is_table) in &drop_data {
                let prefix = if *is_table {
                    crate::row::table_prefix(*oid)
                } else {
                    crate::row::index_prefix(*oid)
                };
                crate::ddl::delete_prefix(&prefix, cx)?;
            }
            Ok(())
        })?;
        self.store_catalog(cat)?;
        Ok(tag(tagname))
    }

    /// `DROP RULE` / `DROP TRIGGER name ON table`: Basalt has neither rules nor triggers,
    /// so the relation is checked (42P01) and the rule or trigger does not exist (42704, or
    /// a notice with IF EXISTS).
    fn drop_rule_or_trigger(
        &mut self,
        s: &protobuf::DropStmt,
        rule: bool,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        let tagname = if rule { "DROP RULE" } else { "DROP TRIGGER" };
        let cat = self.load_catalog()?;
        let sp = self.search_path_oids(&cat);
        for obj in &s.objects {
            let parts: Vec<String> = match obj.node.as_ref() {
                Some(Node::List(l)) => names(&l.items),
                _ => continue,
            };
            let Some((name, rel)) = parts.split_last() else {
                continue;
            };
            let relname = rel.last().cloned().unwrap_or_default();
            let found = match rel {
                [n] => sp.iter().find_map(|sc| cat.relation_in(*sc, n)),
                [sc, n] => cat.schema_oid(sc).and_then(|sc| cat.relation_in(sc, n)),
                _ => None,
            };
            let shown = rel.join(".");
            if found.is_none() {
                if s.missing_ok {
                    notices.push(crate::ddl::notice(format!(
                        "relation \"{shown}\" does not exist, skipping"
                    )));
                    continue;
                }
                return Err(err("42P01", format!("relation \"{shown}\" does not exist")));
            }
            let what = if rule { "rule" } else { "trigger" };
            if s.missing_ok {
                notices.push(crate::ddl::notice(format!(
                    "{what} \"{name}\" for relation \"{relname}\" does not exist, skipping"
                )));
                continue;
            }
            let of = if rule { "relation" } else { "table" };
            return Err(err(
                "42704",
                format!("{what} \"{name}\" for {of} \"{relname}\" does not exist"),
            ));
        }
        Ok(tag(tagname))
    }

    /// DROP of the object kinds Basalt does not have (conversions, text search objects,
    /// extensions, languages, casts, foreign-data wrappers and servers, operator classes
    /// and families): a name is checked as PostgreSQL checks it and does not exist (42704,
    /// or IF EXISTS' notice). What PostgreSQL has built in is refused as it refuses it
    /// (languages, casts: 2BP01) or left unsupported (0A000) where Basalt cannot tell.
    fn drop_absent_objects(
        &mut self,
        s: &protobuf::DropStmt,
        kind: protobuf::ObjectType,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        use protobuf::ObjectType as O;
        const TS_LANGUAGES: &[&str] = &[
            "simple",
            "arabic",
            "armenian",
            "basque",
            "catalan",
            "danish",
            "dutch",
            "english",
            "finnish",
            "french",
            "german",
            "greek",
            "hindi",
            "hungarian",
            "indonesian",
            "irish",
            "italian",
            "lithuanian",
            "nepali",
            "norwegian",
            "portuguese",
            "romanian",
            "russian",
            "serbian",
            "spanish",
            "swedish",
            "tamil",
            "turkish",
            "yiddish",
        ];
        let (word, tagname) = match kind {
            O::ObjectConversion => ("conversion", "DROP CONVERSION"),
            O::ObjectTsparser => ("text search parser", "DROP TEXT SEARCH PARSER"),
            O::ObjectTsdictionary => ("text search dictionary", "DROP TEXT SEARCH DICTIONARY"),
            O::ObjectTstemplate => ("text search template", "DROP TEXT SEARCH TEMPLATE"),
            O::ObjectTsconfiguration => (
                "text search configuration",
                "DROP TEXT SEARCH CONFIGURATION",
            ),
            O::ObjectExtension => ("extension", "DROP EXTENSION"),
            O::ObjectLanguage => ("language", "DROP LANGUAGE"),
            O::ObjectCast => ("cast", "DROP CAST"),
            O::ObjectFdw => ("foreign-data wrapper", "DROP FOREIGN DATA WRAPPER"),
            O::ObjectForeignServer => ("server", "DROP SERVER"),
            O::ObjectOpclass => ("operator class", "DROP OPERATOR CLASS"),
            _ => ("operator family", "DROP OPERATOR FAMILY"),
        };
        let cat = self.load_catalog()?;
        let unsupported = || SqlError::Unsupported(format!("{tagname} of a built-in object"));
        for obj in &s.objects {
            let (missing, builtin_error) = match (kind, obj.node.as_ref()) {
                (O::ObjectCast, Some(Node::List(l))) => {
                    let b = self.binder(&cat);
                    let mut types = Vec::new();
                    for t in &l.items {
                        if let Some(Node::TypeName(tn)) = t.node.as_ref() {
                            types.push(b.resolve_type(tn)?);
                        }
                    }
                    let [from, to] = types.as_slice() else {
                        return Err(err("42601", "DROP CAST needs two types"));
                    };
                    let (from, to) = (from.format_type(), to.format_type());
                    let exists = from != to
                        && basalt_common::types::cast_context(&types[0], &types[1]).is_some();
                    (
                        format!("cast from type {from} to type {to} does not exist"),
                        exists.then(|| {
                            err(
                                "2BP01",
                                format!(
                                    "cannot drop cast from {from} to {to} because it is required by the database system"
                                ),
                            )
                        }),
                    )
                }
                (O::ObjectOpclass | O::ObjectOpfamily, Some(Node::List(l))) => {
                    let parts = names(&l.items);
                    let Some((am, name)) = parts.split_first() else {
                        continue;
                    };
                    if !["btree", "hash", "gist", "gin", "spgist", "brin"].contains(&am.as_str()) {
                        return Err(err(
                            "42704",
                            format!("access method \"{am}\" does not exist"),
                        ));
                    }
                    let name = name.join(".");
                    if name.ends_with("_ops") {
                        return Err(unsupported());
                    }
                    (
                        format!("{word} \"{name}\" does not exist for access method \"{am}\""),
                        None,
                    )
                }
                (_, Some(Node::List(l))) => {
                    let parts = names(&l.items);
                    if let [schema, _] = parts.as_slice()
                        && cat.schema_oid(schema).is_none()
                    {
                        if s.missing_ok {
                            notices.push(crate::ddl::notice(format!(
                                "schema \"{schema}\" does not exist, skipping"
                            )));
                            continue;
                        }
                        return Err(err("3F000", format!("schema \"{schema}\" does not exist")));
                    }
                    let name = parts.last().cloned().unwrap_or_default();
                    let builtin = match kind {
                        O::ObjectConversion => name.contains("_to_"),
                        O::ObjectTsparser => name == "default",
                        O::ObjectTstemplate => {
                            ["simple", "synonym", "thesaurus", "ispell", "snowball"]
                                .contains(&name.as_str())
                        }
                        O::ObjectTsconfiguration => TS_LANGUAGES.contains(&name.as_str()),
                        _ => {
                            TS_LANGUAGES.contains(&name.as_str())
                                || name
                                    .strip_suffix("_stem")
                                    .is_some_and(|l| TS_LANGUAGES.contains(&l))
                        }
                    };
                    if builtin {
                        return Err(unsupported());
                    }
                    (
                        format!("{word} \"{}\" does not exist", parts.join(".")),
                        None,
                    )
                }
                (_, Some(Node::String(n))) => {
                    let name = n.sval.as_str();
                    let builtin = match (kind, name) {
                        (O::ObjectLanguage, "internal" | "c" | "sql") => Some(err(
                            "2BP01",
                            format!(
                                "cannot drop language {name} because it is required by the database system"
                            ),
                        )),
                        (O::ObjectLanguage, "plpgsql") => Some(
                            err(
                                "2BP01",
                                "cannot drop language plpgsql because extension plpgsql requires it",
                            )
                            .with_hint("You can drop extension plpgsql instead."),
                        ),
                        (O::ObjectExtension, "plpgsql") => Some(unsupported()),
                        _ => None,
                    };
                    (format!("{word} \"{name}\" does not exist"), builtin)
                }
                _ => continue,
            };
            if let Some(e) = builtin_error {
                return Err(e);
            }
            if s.missing_ok {
                notices.push(crate::ddl::notice(format!("{missing}, skipping")));
                continue;
            }
            return Err(err("42704", missing));
        }
        Ok(tag(tagname))
    }

    /// `DROP AGGREGATE name(types)` / `DROP OPERATOR op(left, right)`: Basalt has only the
    /// built-in ones, which PostgreSQL refuses to drop (2BP01); any other does not exist
    /// (42883, or a notice with IF EXISTS). Unknown argument types are 42704 first.
    fn drop_builtin_routine(
        &mut self,
        s: &protobuf::DropStmt,
        aggregate: bool,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        let tagname = if aggregate {
            "DROP AGGREGATE"
        } else {
            "DROP OPERATOR"
        };
        let cat = self.load_catalog()?;
        for obj in &s.objects {
            let Some(Node::ObjectWithArgs(owa)) = obj.node.as_ref() else {
                continue;
            };
            let name = names(&owa.objname).last().cloned().unwrap_or_default();
            let mut types: Vec<Option<DataType>> = Vec::new();
            {
                let b = self.binder(&cat);
                for a in &owa.objargs {
                    match a.node.as_ref() {
                        Some(Node::TypeName(tn)) => types.push(Some(b.resolve_type(tn)?)),
                        // (NONE: a prefix operator's missing left argument)
                        _ => types.push(None),
                    }
                }
            }
            let shown: Vec<String> = types
                .iter()
                .map(|t| t.as_ref().map_or("NONE".to_string(), DataType::format_type))
                .collect();
            let exists = if aggregate {
                let args: Vec<DataType> = types.iter().flatten().cloned().collect();
                basalt_func::agg::resolve_aggregate(&name, &args)
                    .is_some_and(|r| r.arg_types == args)
            } else {
                match types.as_slice() {
                    [left, Some(right)] => {
                        let comparison = ["=", "<>", "<", ">", "<=", ">="].contains(&name.as_str());
                        (comparison && left.as_ref() == Some(right))
                            || basalt_func::resolve_operator(&name, left.as_ref(), right)
                                .is_some_and(|r| {
                                    r.arg_types
                                        == left.iter().chain([right]).cloned().collect::<Vec<_>>()
                                })
                    }
                    _ => false,
                }
            };
            if exists {
                let what = if aggregate {
                    format!("function {name}({})", shown.join(", "))
                } else {
                    format!("operator {name}({})", shown.join(","))
                };
                return Err(err(
                    "2BP01",
                    format!("cannot drop {what} because it is required by the database system"),
                ));
            }
            if s.missing_ok {
                notices.push(crate::ddl::notice(if aggregate {
                    format!(
                        "aggregate {name}({}) does not exist, skipping",
                        shown.join(", ")
                    )
                } else {
                    format!("operator {name} does not exist, skipping")
                }));
                continue;
            }
            return Err(if aggregate {
                let args = if owa.objargs.is_empty() && !owa.args_unspecified {
                    "*".to_string()
                } else {
                    shown.join(", ")
                };
                err("42883", format!("aggregate {name}({args}) does not exist"))
            } else {
                let text = match types.as_slice() {
                    [None, Some(r)] => format!("{name} {}", r.format_type()),
                    [Some(l), Some(r)] => format!("{} {name} {}", l.format_type(), r.format_type()),
                    _ => name.clone(),
                };
                err("42883", format!("operator does not exist: {text}"))
            });
        }
        Ok(tag(tagname))
    }

    /// `REFRESH MATERIALIZED VIEW [CONCURRENTLY] name [WITH [NO] DATA]`: the rows replaced by
    /// those its query gives now (none, and not populated, WITH NO DATA). CONCURRENTLY needs
    /// a populated view with a unique index on plain columns and no predicate, and refuses
    /// new data with two equal rows without NULLs (21000), as PostgreSQL; the swap itself is
    /// the same as without it (the statement's transaction makes it atomic).
    fn refresh_matview(
        &mut self,
        s: &protobuf::RefreshMatViewStmt,
    ) -> Result<StatementResult, SqlError> {
        if s.concurrent && s.skip_data {
            return Err(err(
                "42601",
                "CONCURRENTLY and WITH NO DATA options cannot be used together",
            ));
        }
        let Some(rv) = &s.relation else {
            return Err(err("42601", "REFRESH MATERIALIZED VIEW without a name"));
        };
        let mut cat = self.catalog_for_update()?;
        let sp = self.search_path_oids(&cat);
        let found = if rv.schemaname.is_empty() {
            sp.iter().find_map(|sc| cat.relation_in(*sc, &rv.relname))
        } else {
            cat.schema_oid(&rv.schemaname)
                .and_then(|sc| cat.relation_in(sc, &rv.relname))
        };
        let (table, mv) = match found {
            Some(Relation::Table(oid)) => {
                let t = cat.tables.get(&oid).cloned();
                match t.as_ref().and_then(|t| t.matview.clone()) {
                    Some(mv) => (t.unwrap_or_else(|| unreachable!()), mv),
                    None => {
                        return Err(err(
                            "0A000",
                            format!("\"{}\" is not a materialized view", rv.relname),
                        ));
                    }
                }
            }
            Some(_) => {
                return Err(err(
                    "0A000",
                    format!("\"{}\" is not a materialized view", rv.relname),
                ));
            }
            None => {
                let display = if rv.schemaname.is_empty() {
                    rv.relname.clone()
                } else {
                    format!("{}.{}", rv.schemaname, rv.relname)
                };
                return Err(err(
                    "42P01",
                    format!("relation \"{display}\" does not exist"),
                ));
            }
        };
        let oid = table.oid;
        if s.concurrent {
            if !mv.populated {
                return Err(err(
                    "0A000",
                    "CONCURRENTLY cannot be used when the materialized view is not populated",
                ));
            }
            let usable = cat.indexes.values().any(|i| {
                i.table == oid
                    && i.unique
                    && i.predicate.is_none()
                    && i.keys
                        .iter()
                        .all(|k| matches!(k, crate::catalog::IndexKey::Column(_)))
            });
            if !usable {
                return Err(err(
                    "55000",
                    format!(
                        "cannot refresh materialized view \"{}.{}\" concurrently",
                        cat.schema_name(table.schema),
                        table.name
                    ),
                )
                .with_hint(
                    "Create a unique index with no WHERE clause on one or more columns of the materialized view.",
                ));
            }
        }
        let plan = if s.skip_data {
            None
        } else {
            let parsed = crate::parse::parse(&mv.query, crate::parse::ParseOptions::default())?;
            let Some(node) = parsed.statements().next().and_then(|st| st.node().cloned()) else {
                return Err(err("XX000", "empty materialized view query"));
            };
            let mut b = self.binder(&cat);
            b.search_path = mv.search_path.clone();
            let q = b.bind_query(&protobuf::Node { node: Some(node) })?;
            if let Some(e) = b.take_const_error() {
                return Err(e);
            }
            Some(crate::optimizer::optimize_query(q, &cat).plan)
        };
        if let Some(t) = cat.tables.get_mut(&oid)
            && let Some(m) = &mut t.matview
        {
            m.populated = !s.skip_data;
        }
        let indexes: Vec<u32> = cat
            .indexes
            .values()
            .filter(|i| i.table == oid)
            .map(|i| i.oid)
            .collect();
        let width = table.columns.len();
        let name = table.name.clone();
        self.with_cx(&cat, &[], |cx| {
            let rows = match &plan {
                Some(p) => collect(p, cx)?,
                None => Vec::new(),
            };
            if s.concurrent {
                let mut seen = std::collections::HashSet::new();
                for r in &rows {
                    if r.iter().any(Value::is_null) {
                        continue;
                    }
                    let text: Vec<String> = r
                        .iter()
                        .map(|v| format_text(v, &cx.func.types).unwrap_or_default())
                        .collect();
                    if !seen.insert(text.clone()) {
                        return Err(err(
                            "21000",
                            format!(
                                "new data for materialized view \"{name}\" contains duplicate rows without any null columns"
                            ),
                        )
                        .with_detail(format!("Row: ({})", text.join(","))));
                    }
                }
            }
            crate::ddl::delete_prefix(&crate::row::table_prefix(oid), cx)?;
            for i in &indexes {
                crate::ddl::delete_prefix(&crate::row::index_prefix(*i), cx)?;
            }
            let writer = crate::dml::writer_for(cx.catalog, &table, &cx.func.types)?;
            for mut r in rows {
                r.resize(width, Value::Null);
                let id = cx.sequences.row_id(oid)?;
                writer.insert(&r, Some(id), cx, None)?;
            }
            Ok(())
        })?;
        self.store_catalog(cat)?;
        Ok(tag("REFRESH MATERIALIZED VIEW"))
    }

    fn create_table_as(
        &mut self,
        s: &protobuf::CreateTableAsStmt,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        let matview = s.objtype == protobuf::ObjectType::ObjectMatview as i32;
        if s.objtype != protobuf::ObjectType::ObjectTable as i32 && !matview {
            return Err(SqlError::Unsupported(
                "CREATE TABLE AS of this object type".into(),
            ));
        }
        let (Some(into), Some(q)) = (s.into.as_deref(), s.query.as_deref()) else {
            return Err(err("42601", "CREATE TABLE AS without a query"));
        };
        // CREATE TABLE ... AS EXECUTE: the prepared query, run with the arguments.
        if let Some(Node::ExecuteStmt(e)) = q.node.as_ref() {
            let (prep, params) = self.prepared_args(e)?;
            let inner = prep
                .parsed
                .statements()
                .next()
                .and_then(|st| st.node().cloned());
            let Some(inner @ Node::SelectStmt(_)) = inner else {
                return Err(err("42809", "prepared statement is not a SELECT"));
            };
            let mut direct = s.clone();
            direct.query = Some(Box::new(protobuf::Node { node: Some(inner) }));
            let saved = std::mem::replace(&mut self.params, params);
            let skipped_before = notices.len();
            let result = self.create_table_as(&direct, notices);
            self.params = saved;
            // (WITH NO DATA reports `SELECT 0` here, as PostgreSQL does; IF NOT EXISTS
            // skipping an existing table, with its notice, stays CREATE TABLE AS)
            let skipped = notices.len() > skipped_before;
            return result.map(|mut r| {
                if r.tag == "CREATE TABLE AS" && !skipped {
                    r.tag = "SELECT 0".into();
                }
                r
            });
        }
        let Some(rv) = &into.rel else {
            return Err(err("42601", "CREATE TABLE AS without a name"));
        };
        if rv.relpersistence != "t"
            && into.on_commit != protobuf::OnCommitAction::OncommitNoop as i32
        {
            return Err(err(
                "42P16",
                "ON COMMIT can only be used on temporary tables",
            ));
        }
        crate::ddl::check_table_options(&into.options)?;
        let mut cat = self.catalog_for_update()?;
        // TEMP: created in the session's temporary schema, as CREATE TEMP TABLE.
        let temp_rv;
        let rv = if rv.relpersistence == "t" {
            let stmt = protobuf::CreateStmt {
                relation: Some(rv.clone()),
                oncommit: into.on_commit,
                ..Default::default()
            };
            temp_rv = self.temporary_table(&mut cat, &stmt)?.relation;
            temp_rv.as_ref().unwrap_or(rv)
        } else {
            rv
        };
        let sp = self.search_path_oids(&cat);
        let schema = crate::ddl::creation_schema(&cat, &sp, &rv.schemaname)?;
        if cat.relation_in(schema, &rv.relname).is_some() {
            if s.if_not_exists {
                notices.push(crate::ddl::notice(format!(
                    "relation \"{}\" already exists, skipping",
                    rv.relname
                )));
                return Ok(tag(if matview {
                    "CREATE MATERIALIZED VIEW"
                } else {
                    "CREATE TABLE AS"
                }));
            }
            return Err(err(
                "42P07",
                format!("relation \"{}\" already exists", rv.relname),
            ));
        }
        let query = {
            let mut b = self.binder(&cat);
            b.allow_unpopulated = into.skip_data;
            let q = b.bind_query(q)?;
            crate::optimizer::optimize_query(q, &cat)
        };
        let colnames = names(&into.col_names);
        if colnames.len() > query.names.len() {
            return Err(err("42601", "too many column names were specified"));
        }
        for (i, (n, t)) in query.names.iter().zip(&query.types).enumerate() {
            crate::ddl::check_column_type(colnames.get(i).unwrap_or(n), t)?;
        }
        let oid = cat.new_oid();
        for t in &query.types {
            crate::binder::check_column_type(t)?;
        }
        let table = Table {
            oid,
            schema,
            name: rv.relname.clone(),
            columns: query
                .names
                .iter()
                .zip(&query.types)
                .enumerate()
                .map(|(i, (n, t))| crate::catalog::Column {
                    name: colnames.get(i).cloned().unwrap_or_else(|| n.clone()),
                    ty: if *t == DataType::Unknown {
                        DataType::Text
                    } else {
                        t.clone()
                    },
                    not_null: false,
                    default: None,
                    identity: None,
                    generated: None,
                    domain: None,
                })
                .collect(),
            primary_key: None,
            constraints: Vec::new(),
            stats: None,
            matview: if matview {
                let Some(n) = q.node.clone() else {
                    return Err(err("42601", "empty materialized view query"));
                };
                Some(crate::catalog::MatView {
                    query: crate::ddl::deparse_stmt(n)?,
                    search_path: sp.clone(),
                    populated: !into.skip_data,
                })
            } else {
                None
            },
            unlogged: rv.relpersistence == "u",
        };
        cat.tables.insert(oid, table.clone());
        let skip = into.skip_data;
        let count = self.with_cx(&cat, &[], |cx| {
            if skip {
                return Ok(0);
            }
            let rows = collect(&query.plan, cx)?;
            let writer = crate::dml::writer_for(cx.catalog, &table, &cx.func.types)?;
            let n = rows.len();
            for r in rows {
                let id = cx.sequences.row_id(oid)?;
                writer.insert(&r, Some(id), cx, None)?;
            }
            Ok(n)
        })?;
        self.store_catalog(cat)?;
        // PostgreSQL reports WITH NO DATA as CREATE TABLE AS, not as SELECT 0.
        if skip {
            return Ok(tag(if matview {
                "CREATE MATERIALIZED VIEW"
            } else {
                "CREATE TABLE AS"
            }));
        }
        Ok(tag(&format!("SELECT {count}")))
    }

    /// `SELECT ... INTO table`: PostgreSQL's CREATE TABLE AS, with the INTO clause of the
    /// leftmost SELECT of a set operation.
    fn select_into(
        &mut self,
        s: &protobuf::SelectStmt,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        if self.settings.transaction_read_only() {
            return Err(err(
                "25006",
                "cannot execute SELECT INTO in a read-only transaction",
            ));
        }
        let mut query = s.clone();
        let mut leaf = &mut query;
        while leaf.op != protobuf::SetOperation::SetopNone as i32 {
            match leaf.larg.as_deref_mut() {
                Some(l) => leaf = l,
                None => break,
            }
        }
        let into = leaf.into_clause.take();
        let ctas = protobuf::CreateTableAsStmt {
            query: Some(Box::new(protobuf::Node {
                node: Some(Node::SelectStmt(Box::new(query))),
            })),
            into,
            objtype: protobuf::ObjectType::ObjectTable as i32,
            is_select_into: true,
            if_not_exists: false,
        };
        self.create_table_as(&ctas, notices)
    }

    /// REINDEX: index entries are written with their rows in the same transaction and are
    /// never left behind, so there is nothing to rebuild; the target is checked as in
    /// PostgreSQL.
    fn reindex(&mut self, s: &protobuf::ReindexStmt) -> Result<StatementResult, SqlError> {
        use protobuf::ReindexObjectType as K;
        let kind = K::try_from(s.kind).unwrap_or(K::Undefined);
        let in_block = self.block.as_ref().is_some_and(|b| b.kind_is_explicit());
        let concurrently = s.params.iter().any(
            |p| matches!(p.node.as_ref(), Some(Node::DefElem(d)) if d.defname == "concurrently"),
        );
        if concurrently && in_block {
            return Err(err(
                "25001",
                "REINDEX CONCURRENTLY cannot run inside a transaction block",
            ));
        }
        match kind {
            K::ReindexObjectIndex | K::ReindexObjectTable => {
                let Some(rv) = &s.relation else {
                    return Err(err("42601", "REINDEX needs a relation"));
                };
                let cat = self.load_catalog()?;
                let b = self.binder(&cat);
                let found = b.lookup_relation(&rv.schemaname, &rv.relname);
                let name = &rv.relname;
                let system = (rv.schemaname.is_empty() || rv.schemaname == "pg_catalog")
                    && crate::system::tables::find(crate::catalog::PG_CATALOG_OID, name).is_some();
                match (kind, found) {
                    // A system catalog: nothing to rebuild (it is computed), but not
                    // concurrently, as in PostgreSQL.
                    (K::ReindexObjectTable, None) if system => {
                        if concurrently {
                            Err(err("0A000", "cannot reindex system catalogs concurrently"))
                        } else {
                            Ok(tag("REINDEX"))
                        }
                    }
                    (_, None) => Err(err("42P01", format!("relation \"{name}\" does not exist"))),
                    (K::ReindexObjectIndex, Some((_, crate::catalog::Relation::Index(_))))
                    | (K::ReindexObjectTable, Some((_, crate::catalog::Relation::Table(_)))) => {
                        Ok(tag("REINDEX"))
                    }
                    (K::ReindexObjectIndex, Some(_)) => {
                        Err(err("42809", format!("\"{name}\" is not an index")))
                    }
                    _ => Err(err(
                        "42809",
                        format!("\"{name}\" is not a table or materialized view"),
                    )),
                }
            }
            K::ReindexObjectSchema => {
                if in_block {
                    return Err(err(
                        "25001",
                        "REINDEX SCHEMA cannot run inside a transaction block",
                    ));
                }
                let cat = self.load_catalog()?;
                if cat.schema_oid(&s.name).is_none() {
                    return Err(err(
                        "3F000",
                        format!("schema \"{}\" does not exist", s.name),
                    ));
                }
                Ok(tag("REINDEX"))
            }
            K::ReindexObjectSystem | K::ReindexObjectDatabase => {
                let what = if kind == K::ReindexObjectSystem {
                    "SYSTEM"
                } else {
                    "DATABASE"
                };
                if in_block {
                    return Err(err(
                        "25001",
                        format!("REINDEX {what} cannot run inside a transaction block"),
                    ));
                }
                if concurrently && kind == K::ReindexObjectSystem {
                    return Err(err("0A000", "cannot reindex system catalogs concurrently"));
                }
                Ok(tag("REINDEX"))
            }
            K::Undefined => Err(err("42601", "REINDEX of an unknown kind of object")),
        }
    }

    /// VACUUM [ANALYZE] [table, ...] and ANALYZE [table, ...]. VACUUM removes the row versions
    /// no snapshot can see any more (the store's garbage collection, which covers every table
    /// at once: versions are kept per key, not per table); ANALYZE counts rows and distinct
    /// values per column for the optimizer.
    fn analyze(&mut self, s: &protobuf::VacuumStmt) -> Result<StatementResult, SqlError> {
        let analyze = !s.is_vacuumcmd
            || s.options.iter().any(
                |o| matches!(o.node.as_ref(), Some(Node::DefElem(d)) if d.defname == "analyze"),
            );
        let tagname = if s.is_vacuumcmd { "VACUUM" } else { "ANALYZE" };
        if s.is_vacuumcmd && self.block.as_ref().is_some_and(|b| b.kind_is_explicit()) {
            return Err(err("25001", "VACUUM cannot run inside a transaction block"));
        }
        // Plain VACUUM writes no catalog: it need not lock it against DDL.
        let mut cat = if analyze {
            self.catalog_for_update()?
        } else {
            (*self.load_catalog()?).clone()
        };
        let sp = self.search_path_oids(&cat);
        let mut targets = Vec::new();
        for r in &s.rels {
            if let Some(Node::VacuumRelation(vr)) = r.node.as_ref()
                && let Some(rv) = &vr.relation
            {
                let oid = crate::ddl::lookup_table(&cat, &sp, rv)?;
                // A column list names columns of the table (statistics are per table here).
                if let Some(t) = cat.tables.get(&oid) {
                    for c in &vr.va_cols {
                        if let Some(Node::String(name)) = c.node.as_ref()
                            && t.column_index(&name.sval).is_none()
                        {
                            return Err(err(
                                "42703",
                                format!(
                                    "column \"{}\" of relation \"{}\" does not exist",
                                    name.sval, t.name
                                ),
                            ));
                        }
                    }
                }
                targets.push(oid);
            }
        }
        if s.is_vacuumcmd {
            self.kv.vacuum()?;
        }
        if !analyze {
            return Ok(tag(tagname));
        }
        if targets.is_empty() {
            targets = cat.tables.keys().copied().collect();
        }
        let snapshot = cat.clone();
        let stats = self.with_cx(&snapshot, &[], |cx| {
            let mut out = Vec::new();
            for oid in &targets {
                let Some(t) = cx.catalog.tables.get(oid) else {
                    continue;
                };
                let width = t.columns.len();
                let mut distinct: Vec<std::collections::HashSet<Value>> =
                    vec![std::collections::HashSet::new(); width];
                let mut rows = 0u64;
                let scan = cx.txn.scan(
                    crate::exec::table_range(*oid),
                    basalt_storage::Direction::Forward,
                )?;
                for item in scan {
                    let (_, v) = item?;
                    let row = crate::row::decode_row(&v)?;
                    rows += 1;
                    for (i, val) in row.into_iter().enumerate().take(width) {
                        if !val.is_null() && distinct[i].len() < 100_000 {
                            distinct[i].insert(val);
                        }
                    }
                }
                out.push((
                    *oid,
                    crate::catalog::TableStats {
                        rows,
                        distinct: distinct.iter().map(|d| d.len() as u64).collect(),
                    },
                ));
            }
            Ok(out)
        })?;
        for (oid, st) in stats {
            if let Some(t) = cat.tables.get_mut(&oid) {
                t.stats = Some(st);
            }
        }
        self.store_catalog(cat)?;
        Ok(tag(tagname))
    }

    fn truncate(&mut self, s: &protobuf::TruncateStmt) -> Result<StatementResult, SqlError> {
        self.check_writable()?;
        let catalog = self.load_catalog()?;
        let b = self.binder(&catalog);
        let mut targets = Vec::new();
        for r in &s.relations {
            let Some(Node::RangeVar(rv)) = r.node.as_ref() else {
                continue;
            };
            let t = b.table(rv).map_err(SqlError::without_position)?;
            if t.matview.is_some() {
                return Err(err("42809", format!("\"{}\" is not a table", t.name)));
            }
            targets.push(t.clone());
        }
        let cascade = s.behavior == protobuf::DropBehavior::DropCascade as i32;
        let mut notices = Vec::new();
        if cascade {
            // CASCADE truncates every table that references one truncated, transitively.
            let mut i = 0;
            while i < targets.len() {
                let referencing: Vec<Table> = catalog
                    .referencing(targets[i].oid)
                    .into_iter()
                    .map(|(child, _)| child.clone())
                    .collect();
                for child in referencing {
                    if !targets.iter().any(|t| t.oid == child.oid) {
                        notices.push(crate::ddl::notice(format!(
                            "truncate cascades to table \"{}\"",
                            child.name
                        )));
                        targets.push(child);
                    }
                }
                i += 1;
            }
        }
        let oids: Vec<u32> = targets.iter().map(|t| t.oid).collect();
        for t in &targets {
            for (child, c) in catalog.referencing(t.oid) {
                if !oids.contains(&child.oid) {
                    return Err(err(
                        "0A000",
                        "cannot truncate a table referenced in a foreign key constraint",
                    )
                    .with_detail(format!(
                        "Table \"{}\" references \"{}\".",
                        child.name, t.name
                    ))
                    .with_hint(
                        "Truncate table \"".to_string()
                            + &child.name
                            + "\" at the same time, or use TRUNCATE ... CASCADE.",
                    ));
                }
                let _ = c;
            }
        }
        // RESTART IDENTITY: the sequences the truncated tables own (serial and identity
        // columns, OWNED BY) start over. Like ALTER SEQUENCE RESTART here, a rollback does
        // not undo it.
        let restart: Vec<crate::catalog::Sequence> = if s.restart_seqs {
            catalog
                .sequences
                .values()
                .filter(|q| q.owned_by.is_some_and(|(t, _)| oids.contains(&t)))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        self.with_cx(&catalog, &[], |cx| {
            for t in &targets {
                crate::ddl::delete_prefix(&crate::row::table_prefix(t.oid), cx)?;
                for i in cx.catalog.table_indexes(t.oid) {
                    crate::ddl::delete_prefix(&crate::row::index_prefix(i.oid), cx)?;
                }
            }
            for q in &restart {
                cx.sequences.reset(q, Some(q.start))?;
            }
            Ok(())
        })?;
        let mut r = tag("TRUNCATE TABLE");
        r.notices = notices;
        Ok(r)
    }

    fn comment(&mut self, s: &protobuf::CommentStmt) -> Result<StatementResult, SqlError> {
        let mut cat = self.catalog_for_update()?;
        let sp = self.search_path_oids(&cat);
        let parts: Vec<String> = match s.object.as_deref().and_then(|o| o.node.as_ref()) {
            Some(Node::List(l)) => names(&l.items),
            Some(Node::String(st)) => vec![st.sval.clone()],
            _ => Vec::new(),
        };
        let kind =
            protobuf::ObjectType::try_from(s.objtype).unwrap_or(protobuf::ObjectType::Undefined);
        let find = |cat: &Catalog, schema: &str, name: &str| -> Option<Relation> {
            if schema.is_empty() {
                sp.iter().find_map(|s| cat.relation_in(*s, name))
            } else {
                cat.schema_oid(schema)
                    .and_then(|s| cat.relation_in(s, name))
            }
        };
        let rel_oid = |r: Relation| match r {
            Relation::Table(o) | Relation::Index(o) | Relation::View(o) | Relation::Sequence(o) => {
                o
            }
        };
        let key = match kind {
            protobuf::ObjectType::ObjectColumn => {
                let (schema, table, col) = match parts.as_slice() {
                    [t, c] => (String::new(), t.clone(), c.clone()),
                    [s, t, c] => (s.clone(), t.clone(), c.clone()),
                    _ => return Err(err("42601", "bad column name")),
                };
                let Some(Relation::Table(oid)) = find(&cat, &schema, &table) else {
                    return Err(err("42P01", format!("relation \"{table}\" does not exist")));
                };
                let idx = cat
                    .tables
                    .get(&oid)
                    .and_then(|t| t.column_index(&col))
                    .ok_or_else(|| {
                        err(
                            "42703",
                            format!("column \"{col}\" of relation \"{table}\" does not exist"),
                        )
                    })?;
                (oid, idx as u32 + 1)
            }
            protobuf::ObjectType::ObjectSchema => {
                let name = parts.last().cloned().unwrap_or_default();
                let oid = cat
                    .schema_oid(&name)
                    .ok_or_else(|| err("3F000", format!("schema \"{name}\" does not exist")))?;
                (oid, 0)
            }
            // COMMENT ON CONSTRAINT name ON table: keyed by the constraint's OID.
            protobuf::ObjectType::ObjectTabconstraint => {
                let (schema, table, con) = match parts.as_slice() {
                    [t, c] => (String::new(), t.clone(), c.clone()),
                    [s, t, c] => (s.clone(), t.clone(), c.clone()),
                    _ => return Err(err("42601", "bad constraint name")),
                };
                let t = match find(&cat, &schema, &table) {
                    Some(Relation::Table(oid)) => cat.tables.get(&oid),
                    Some(_) => None,
                    None => {
                        return Err(err("42P01", format!("relation \"{table}\" does not exist")));
                    }
                };
                let oid = t
                    .and_then(|t| t.constraints.iter().find(|c| c.name == con))
                    .map(|c| c.oid)
                    .ok_or_else(|| {
                        err(
                            "42704",
                            format!("constraint \"{con}\" for table \"{table}\" does not exist"),
                        )
                    })?;
                (oid, 0)
            }
            // COMMENT ON CONSTRAINT name ON DOMAIN d.
            protobuf::ObjectType::ObjectDomconstraint => {
                let items: Vec<protobuf::Node> =
                    match s.object.as_deref().and_then(|o| o.node.as_ref()) {
                        Some(Node::List(l)) => l.items.clone(),
                        _ => Vec::new(),
                    };
                let (dparts, con) = match items.as_slice() {
                    [d, c] => (
                        match d.node.as_ref() {
                            Some(Node::TypeName(tn)) => names(&tn.names),
                            _ => Vec::new(),
                        },
                        crate::binder::node_str(c).unwrap_or_default().to_string(),
                    ),
                    _ => return Err(err("42601", "bad constraint name")),
                };
                let shown = dparts.join(".");
                use crate::usertypes::UserType;
                let Some(UserType::Domain(d)) =
                    crate::ddl_types::find_user_type(&cat, &sp, &dparts)?
                else {
                    return Err(err("42704", format!("type \"{shown}\" does not exist")));
                };
                let oid = cat
                    .domains
                    .get(&d)
                    .and_then(|d| d.checks.iter().find(|c| c.name == con))
                    .map(|c| c.oid)
                    .ok_or_else(|| {
                        err(
                            "42704",
                            format!("constraint \"{con}\" for domain {shown} does not exist"),
                        )
                    })?;
                (oid, 0)
            }
            // COMMENT ON TYPE / DOMAIN: an enum type, domain or composite type.
            protobuf::ObjectType::ObjectType | protobuf::ObjectType::ObjectDomain => {
                let parts: Vec<String> = match s.object.as_deref().and_then(|o| o.node.as_ref()) {
                    Some(Node::TypeName(tn)) => names(&tn.names),
                    _ => parts,
                };
                let shown = parts.join(".");
                use crate::usertypes::UserType;
                match crate::ddl_types::find_user_type(&cat, &sp, &parts)? {
                    Some(UserType::Domain(o)) => (o, 0),
                    Some(UserType::Enum(o) | UserType::Composite(o))
                        if kind == protobuf::ObjectType::ObjectType =>
                    {
                        (o, 0)
                    }
                    Some(_) => {
                        return Err(err("42809", format!("\"{shown}\" is not a domain")));
                    }
                    None => {
                        return Err(err("42704", format!("type \"{shown}\" does not exist")));
                    }
                }
            }
            _ => {
                let (schema, name) = match parts.as_slice() {
                    [n] => (String::new(), n.clone()),
                    [s, n] => (s.clone(), n.clone()),
                    _ => return Err(err("42601", "bad object name")),
                };
                let r = find(&cat, &schema, &name)
                    .ok_or_else(|| err("42P01", format!("relation \"{name}\" does not exist")))?;
                (rel_oid(r), 0)
            }
        };
        if s.comment.is_empty() {
            cat.comments.remove(&key);
        } else {
            cat.comments.insert(key, s.comment.clone());
        }
        self.store_catalog(cat)?;
        Ok(tag("COMMENT"))
    }
}

/// The next hidden row id of a table without a primary key (a per-table counter under
/// `q` + table OID, allocated like sequence values).
fn rowid_next(cx: &mut Cx<'_>, table: u32) -> Result<u64, SqlError> {
    cx.sequences.row_id(table)
}

/// What [`Session::select_plan`] gives: the catalog the plan was bound against, the
/// optimized query and its output types.
type SelectPlan = (Arc<Catalog>, Arc<crate::binder::Query>, Vec<DataType>);

/// Whether a SELECT's rows can stream to a client ([`crate::copy::RowSink`]): a plain
/// query (VALUES and TABLE too), not SELECT INTO nor one with data-modifying WITH queries
/// (their rows come after the writes, through the general path).
pub(crate) fn select_streams(s: &protobuf::SelectStmt) -> bool {
    select_into(s).is_none() && !with_modifies(s.with_clause.as_ref())
}

/// The INTO clause of a `SELECT ... INTO` (on the leftmost SELECT of a set operation).
pub(crate) fn select_into(s: &protobuf::SelectStmt) -> Option<&protobuf::IntoClause> {
    let mut leaf = s;
    while leaf.op != protobuf::SetOperation::SetopNone as i32 {
        leaf = leaf.larg.as_deref()?;
    }
    leaf.into_clause.as_deref()
}

/// Locks a catalog version key (DDL of that catalog is serialized by it) and returns its
/// newest value. Under REPEATABLE READ and SERIALIZABLE, a version newer than the snapshot's
/// is a serialization failure (40001): the statement would change a catalog it did not see.
pub(crate) fn lock_version<T: Transaction>(txn: &mut T, key: &[u8]) -> Result<u64, SqlError> {
    txn.lock(key, LockMode::Exclusive, LockWait::Block)?;
    let latest = txn.get_latest(key)?;
    if txn.isolation() != basalt_txn::IsolationLevel::ReadCommitted && latest != txn.get(key)? {
        return Err(SqlError::from(basalt_txn::TxnError::Serialization(
            basalt_txn::SerializationReason::ConcurrentUpdate,
        )));
    }
    Ok(crate::cluster::decode_version(latest.as_deref()))
}

pub(crate) fn read_only() -> SqlError {
    err(
        "25006",
        "cannot execute this statement in a read-only transaction",
    )
}

pub(crate) fn tag(t: &str) -> StatementResult {
    StatementResult {
        tag: t.to_string(),
        columns: Vec::new(),
        types: Vec::new(),
        rows: Vec::new(),
        notices: Vec::new(),
    }
}

/// Whether an INSERT, UPDATE or DELETE has a WITH clause.
pub(crate) fn dml_has_with(node: &Node) -> bool {
    match node {
        Node::InsertStmt(s) => s.with_clause.is_some(),
        Node::UpdateStmt(s) => s.with_clause.is_some(),
        Node::DeleteStmt(s) => s.with_clause.is_some(),
        _ => false,
    }
}

/// Which columns of an INSERT's source row were given.
pub(crate) type Given = smallvec::SmallVec<[bool; 16]>;

/// The row of a VALUES list whose items are all constants, DEFAULT, or parameters used once
/// whose values already have the column's type (bare or under a cast to that type): placed at
/// its target columns, the parameters moved out of `params` (left NULL). `None` for any other
/// row, which is evaluated.
fn direct_row(
    items: &[Option<Expr>],
    cols: &[usize],
    width: usize,
    params: &mut [Value],
    row: &mut Vec<Value>,
) -> Option<Given> {
    /// The parameter an item moves, if it is one that may.
    fn moved(e: &Expr, params: &[Value]) -> Option<usize> {
        match e {
            Expr::Param(i) => Some(*i),
            Expr::Cast(a, t, _) => match &**a {
                Expr::Param(i) if params.get(*i).is_some_and(|v| same_type(v, t)) => Some(*i),
                _ => None,
            },
            _ => None,
        }
    }
    // First every item checked (nothing moved yet), then the values placed: a parameter
    // moves at most once, and only when no cast could change it.
    let mut used = 0u64;
    for item in items {
        if let Some(e) = item
            && !matches!(e, Expr::Const(_))
        {
            let i = moved(e, params)?;
            if i >= 64 || used & (1 << i) != 0 || i >= params.len() {
                return None;
            }
            used |= 1 << i;
        }
    }
    // Filled without cloning a NULL per column (`vec![Value::Null; width]` clones).
    row.clear();
    row.resize_with(width, || Value::Null);
    let mut given: Given = smallvec::smallvec![false; width];
    for (item, &c) in items.iter().zip(cols) {
        let v = match item {
            None => continue,
            Some(Expr::Const(v)) => v.clone(),
            Some(Expr::Param(i)) => std::mem::replace(&mut params[*i], Value::Null),
            Some(Expr::Cast(a, ..)) => match &**a {
                Expr::Param(i) => std::mem::replace(&mut params[*i], Value::Null),
                _ => Value::Null,
            },
            Some(_) => Value::Null,
        };
        // What it replaces is usually the initial NULL, which needs no drop call.
        let old = std::mem::replace(&mut row[c], v);
        if matches!(old, Value::Null) {
            std::mem::forget(old);
        }
        given[c] = true;
    }
    Some(given)
}

/// Evaluates the defaults of the columns a source row did not set.
fn fill_defaults(
    defaults: &[Option<Expr>],
    row: &mut [Value],
    given: &Given,
    cx: &mut Cx<'_>,
) -> Result<(), SqlError> {
    for (i, d) in defaults.iter().enumerate() {
        if !given[i]
            && let Some(d) = d
        {
            row[i] = eval(d, &[], cx)?;
        }
    }
    Ok(())
}

/// Whether `v` is a value of type `t` as it stands (no cast could change it): the scalar
/// types without modifiers.
fn same_type(v: &Value, t: &DataType) -> bool {
    use DataType as T;
    matches!(
        (v, t),
        (Value::Null, _)
            | (Value::Bool(_), T::Bool)
            | (Value::Int2(_), T::Int2)
            | (Value::Int4(_), T::Int4)
            | (Value::Int8(_), T::Int8)
            | (Value::Float4(_), T::Float4)
            | (Value::Float8(_), T::Float8)
            | (Value::Text(_), T::Text)
            | (Value::Bytea(_), T::Bytea)
            | (Value::Date(_), T::Date)
            | (Value::Timestamp(_), T::Timestamp(None))
            | (Value::Timestamptz(_), T::Timestamptz(None))
            | (Value::Uuid(_), T::Uuid)
            | (Value::Jsonb(_), T::Jsonb)
    )
}

fn dml_result<K: TxnKv>(tag_text: String, out: DmlOutput, s: &mut Session<K>) -> StatementResult {
    match out.returning {
        Some((names, types, rows)) => {
            let mut r = s.rows_result(&names, &types, rows, None);
            r.tag = tag_text;
            r
        }
        None => StatementResult {
            tag: tag_text,
            columns: Vec::new(),
            types: Vec::new(),
            rows: Vec::new(),
            notices: Vec::new(),
        },
    }
}

/// DROP SEQUENCE: the column defaults using it block the drop (or go with it under CASCADE);
/// an identity column's sequence goes only with its column.
fn drop_sequence(
    cat: &mut Catalog,
    search_path: &[u32],
    oid: u32,
    cascade: bool,
    notices: &mut Vec<Notice>,
) -> Result<(), SqlError> {
    let Some(seq) = cat.sequences.get(&oid).cloned() else {
        return Ok(());
    };
    if let Some((t, c)) = crate::ddl::identity_owner(cat, oid) {
        let col = t.columns.get(c).map_or("", |c| c.name.as_str());
        return Err(err(
            "2BP01",
            format!(
                "cannot drop sequence {} because column {col} of table {} requires it",
                seq.name, t.name
            ),
        )
        .with_hint(format!(
            "You can drop column {col} of table {} instead.",
            t.name
        )));
    }
    let users = sequence_users(cat, search_path, oid);
    if !users.is_empty() {
        let lines: Vec<String> = users
            .iter()
            .filter_map(|(t, c)| {
                let t = cat.tables.get(t)?;
                Some(format!(
                    "default value for column {} of table {}",
                    t.columns.get(*c)?.name,
                    t.name
                ))
            })
            .collect();
        if !cascade {
            let detail: Vec<String> = lines
                .iter()
                .map(|l| format!("{l} depends on sequence {}", seq.name))
                .collect();
            return Err(err(
                "2BP01",
                format!(
                    "cannot drop sequence {} because other objects depend on it",
                    seq.name
                ),
            )
            .with_detail(detail.join("\n"))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        notices.push(if lines.len() == 1 {
            crate::ddl::notice(format!("drop cascades to {}", lines[0]))
        } else {
            let mut n =
                crate::ddl::notice(format!("drop cascades to {} other objects", lines.len()));
            let detail: Vec<String> = lines
                .iter()
                .map(|l| format!("drop cascades to {l}"))
                .collect();
            n.detail = Some(detail.join("\n"));
            n
        });
        for (t, c) in users {
            if let Some(col) = cat.tables.get_mut(&t).and_then(|t| t.columns.get_mut(c)) {
                col.default = None;
            }
        }
    }
    let views = crate::ddl::views_depending(cat, &seq.name);
    if !views.is_empty() {
        if !cascade {
            return Err(err(
                "2BP01",
                format!(
                    "cannot drop sequence {} because other objects depend on it",
                    seq.name
                ),
            )
            .with_detail(format!(
                "view {} depends on sequence {}",
                views[0], seq.name
            ))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        cat.views.retain(|_, v| !views.contains(&v.name));
    }
    cat.sequences.remove(&oid);
    cat.comments.retain(|(o, _), _| *o != oid);
    Ok(())
}

/// The columns whose defaults name sequence `oid` by a literal (`nextval('s')`).
fn sequence_users(cat: &Catalog, search_path: &[u32], oid: u32) -> Vec<(u32, usize)> {
    let b = Binder::new(cat, search_path.to_vec(), TypeContext::default());
    let mut out = Vec::new();
    for t in cat.tables.values() {
        for (i, c) in t.columns.iter().enumerate() {
            let Some(d) = &c.default else { continue };
            let uses = crate::ddl::regclass_literals(d).iter().any(|name| {
                crate::system::reg_literal(&b, "regclass", name).ok() == Some(i64::from(oid))
            });
            if uses {
                out.push((t.oid, i));
            }
        }
    }
    out
}

/// Whether a statement's bound plan may be reused: binding folds the transaction time of
/// `'now'`-like literals and the value of `current_setting()` into constants.
fn plan_cacheable(text: &str) -> bool {
    let text = text.as_bytes();
    ![
        "now",
        "today",
        "tomorrow",
        "yesterday",
        "current_setting",
        "backend_pid",
        "listening_channels",
    ]
    .iter()
    .any(|w| {
        text.windows(w.len())
            .any(|x| x.eq_ignore_ascii_case(w.as_bytes()))
    })
}

/// The type an INSERT target takes its value as: a composite column's field, an array
/// column's element (or the array, for a slice), or the column.
fn target_type(ty: &DataType, field: Option<usize>, elem: Option<&[protobuf::Node]>) -> DataType {
    match (field, ty.record(), elem, ty) {
        (Some(k), Some(rec), _, _) => rec.fields[k].1.clone(),
        (_, _, Some(ind), DataType::Array(e)) if !array_slice_target(ind) => (**e).clone(),
        _ => ty.clone(),
    }
}

/// INSERT targets some of which set a field of a composite column or an element of an array
/// column (`INSERT INTO t (p.x, a[1], ...)`): those of one column become one expression.
struct InsertTargets<'t> {
    table: &'t crate::catalog::Table,
    cols: &'t [usize],
    fields: &'t [Option<usize>],
    elems: &'t [Option<Vec<protobuf::Node>>],
}

impl InsertTargets<'_> {
    /// The columns set, each once, in the order of their first target.
    fn merged_cols(&self) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for c in self.cols {
            if !out.contains(c) {
                out.push(*c);
            }
        }
        out
    }

    /// One row's values per target (`None`: DEFAULT) as values per merged column: a field
    /// or element target builds on the column's value so far (NULL at first).
    fn merge(
        &self,
        b: &mut Binder<'_>,
        items: Vec<Option<Expr>>,
    ) -> Result<Vec<Option<Expr>>, SqlError> {
        let merged = self.merged_cols();
        let mut out: Vec<Option<Expr>> = vec![None; merged.len()];
        for (i, e) in items.into_iter().enumerate() {
            let at = merged.iter().position(|c| *c == self.cols[i]).unwrap_or(0);
            let col_ty = &self.table.columns[self.cols[i]].ty;
            out[at] = match (self.fields[i], col_ty.record(), &self.elems[i], col_ty, e) {
                (Some(k), Some(rec), _, _, Some(v)) => {
                    let base = out[at].take().unwrap_or(Expr::Const(Value::Null));
                    Some(record_with_field(base, rec, k, v))
                }
                (_, _, Some(ind), DataType::Array(elem), Some(v)) => {
                    let base = out[at].take().unwrap_or(Expr::Const(Value::Null));
                    Some(array_assign(
                        b,
                        base,
                        elem,
                        ind,
                        v,
                        &Scope::default(),
                        "INSERT",
                    )?)
                }
                (_, _, _, _, e) => e,
            };
        }
        Ok(out)
    }
}

/// Whether subscripts assign a slice (`a[l:u] = array`, one dimension) rather than an
/// element.
fn array_slice_target(indirection: &[protobuf::Node]) -> bool {
    matches!(indirection, [ind] if matches!(ind.node.as_ref(), Some(Node::AIndices(ix)) if ix.is_slice))
}

/// `base` (an array of `elem`) with the element or one-dimension slice that `indirection`
/// names replaced by `value` (already of `elem`, or of the array type for a slice).
fn array_assign(
    b: &mut Binder<'_>,
    base: Expr,
    elem: &DataType,
    indirection: &[protobuf::Node],
    value: Expr,
    scope: &Scope,
    context: &'static str,
) -> Result<Expr, SqlError> {
    let mut args = vec![base, value];
    if array_slice_target(indirection) {
        if let [ind] = indirection
            && let Some(Node::AIndices(ix)) = ind.node.as_ref()
        {
            for bound in [ix.lidx.as_deref(), ix.uidx.as_deref()] {
                args.push(match bound {
                    Some(u) => {
                        let (e, t) = b.bind_scalar(u, scope, context)?;
                        b.coerce(e, &t, &DataType::Int4, CastContext::Assignment)?
                    }
                    None => Expr::Const(Value::Null),
                });
            }
        }
        return Ok(Expr::Func {
            func: basalt_func::Func::String(basalt_func::string::StringFunc::ArraySliceAssign(
                elem.oid(),
            )),
            args,
            strict: false,
        });
    }
    for ind in indirection {
        match ind.node.as_ref() {
            Some(Node::AIndices(ix)) if !ix.is_slice => {
                let Some(u) = ix.uidx.as_deref() else {
                    return Err(err("42601", "bad subscript"));
                };
                let (e, t) = b.bind_scalar(u, scope, context)?;
                args.push(b.coerce(e, &t, &DataType::Int4, CastContext::Assignment)?);
            }
            _ => {
                return Err(err(
                    "0A000",
                    "feature not supported: assignment to array slices or fields",
                ));
            }
        }
    }
    Ok(Expr::Func {
        func: basalt_func::Func::String(basalt_func::string::StringFunc::ArrayAssign(elem.oid())),
        args,
        strict: false,
    })
}

/// The composite type of a column of type `ty` and the index of its field `field`, for an
/// assignment to `column.field` (PostgreSQL's errors otherwise).
fn composite_field<'t>(
    ty: &'t DataType,
    column: &str,
    field: &str,
) -> Result<(&'t basalt_common::types::RecordType, usize), SqlError> {
    let Some(rec) = ty.record() else {
        return Err(err(
            "42804",
            format!(
                "cannot assign to field \"{field}\" of column \"{column}\" because its type {} is not a composite type",
                ty.format_type()
            ),
        ));
    };
    let Some(k) = rec.fields.iter().position(|(n, _)| n == field) else {
        return Err(err(
            "42703",
            format!(
                "cannot assign to field \"{field}\" of column \"{column}\" because there is no such column in data type {}",
                ty.format_type()
            ),
        ));
    };
    Ok((rec, k))
}

/// `base` (a composite of type `rec`) with field `k` replaced by `value`: a row constructor
/// of `base`'s other fields, so a NULL `base` gives a row of NULLs but that field.
pub(crate) fn record_with_field(
    base: Expr,
    rec: &basalt_common::types::RecordType,
    k: usize,
    value: Expr,
) -> Expr {
    let mut value = Some(value);
    let items = (0..rec.fields.len())
        .map(|i| {
            if i == k {
                value.take().unwrap_or(Expr::Const(Value::Null))
            } else {
                Expr::Field(Box::new(base.clone()), i)
            }
        })
        .collect();
    Expr::Row(items, rec.names())
}

/// EXPLAIN's options, checked as PostgreSQL 15's `ExplainQuery` checks them.
#[derive(Debug, Clone, Copy)]
struct ExplainOptions {
    analyze: bool,
    /// `SUMMARY`: the execution time line (on by default with ANALYZE).
    summary: bool,
    show: crate::optimizer::ExplainShow,
}

impl ExplainOptions {
    fn parse(options: &[protobuf::Node]) -> Result<ExplainOptions, SqlError> {
        let mut analyze = false;
        let (mut summary, mut timing, mut wal) = (None, None, false);
        let mut show = crate::optimizer::ExplainShow::default();
        for n in options {
            let Some(Node::DefElem(d)) = n.node.as_ref() else {
                continue;
            };
            let boolean = || crate::useragg::def_bool(d);
            match d.defname.as_str() {
                "analyze" => analyze = boolean()?,
                "costs" => show.costs = boolean()?,
                "timing" => timing = Some(boolean()?),
                "summary" => summary = Some(boolean()?),
                "wal" => wal = boolean()?,
                // Shown only by PostgreSQL's buffer manager and settings machinery: accepted,
                // nothing to add.
                "verbose" | "buffers" | "settings" => {
                    boolean()?;
                }
                "format" => {
                    let value = match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
                        Some(Node::String(s)) => s.sval.to_ascii_lowercase(),
                        Some(Node::AConst(c)) => match &c.val {
                            Some(protobuf::a_const::Val::Sval(s)) => s.sval.to_ascii_lowercase(),
                            _ => String::new(),
                        },
                        _ => String::new(),
                    };
                    match value.as_str() {
                        "text" => {}
                        "json" | "xml" | "yaml" => {
                            return Err(err(
                                "0A000",
                                format!("feature not supported: EXPLAIN (FORMAT {value})"),
                            ));
                        }
                        _ => {
                            return Err(err(
                                "22023",
                                format!(
                                    "unrecognized value for EXPLAIN option \"format\": \"{value}\""
                                ),
                            )
                            .at(crate::binder::pos(d.location)));
                        }
                    }
                }
                other => {
                    return Err(
                        err("42601", format!("unrecognized EXPLAIN option \"{other}\""))
                            .at(crate::binder::pos(d.location)),
                    );
                }
            }
        }
        if wal && !analyze {
            return Err(err("22023", "EXPLAIN option WAL requires ANALYZE"));
        }
        if timing == Some(true) && !analyze {
            return Err(err("22023", "EXPLAIN option TIMING requires ANALYZE"));
        }
        show.timing = timing.unwrap_or(analyze);
        Ok(ExplainOptions {
            analyze,
            summary: summary.unwrap_or(analyze),
            show,
        })
    }
}
