//! Several databases in one data directory, as a PostgreSQL cluster holds them: the list of
//! databases (`pg_database`), the roles every database shares, and `CREATE` / `DROP` /
//! `ALTER DATABASE`.
//!
//! # Layout
//!
//! One store (one commit log, one group commit, one cache) holds every database; each
//! database reads and writes it through a key namespace of its own
//! ([`basalt_txn::namespace`]), so the SQL layer's keys (`c`, `t<oid>...`) are the same in
//! every database and a session can only reach its own. The first database, `postgres`
//! (OID 5), uses the root namespace: a directory that holds one database stores it as it
//! always did, at no cost per key. The others (`template1`, `template0` and those `CREATE
//! DATABASE` makes) each have the namespace numbered by their OID.
//!
//! What PostgreSQL keeps cluster-wide lives under shared keys, which read the same from every
//! namespace: the [`SharedCatalog`] (roles, memberships, per-role and per-database settings,
//! and the databases) under [`SHARED_CATALOG_KEY`], its version under
//! [`SHARED_VERSION_KEY`]. A statement reads both with the database's own catalog and sees
//! them at its snapshot ([`crate::catalog::Catalog::roles`], `databases`); a statement that
//! changes them locks the version key first, so such changes are serialized across databases.
//!
//! # Creating and dropping
//!
//! `CREATE DATABASE` copies its template's keys into the new namespace in batches of
//! transactions, from one consistent snapshot, and only then commits the new entry: until
//! that commit nothing can reach the copied keys. `DROP DATABASE` commits the entry's removal
//! first, then deletes the namespace's keys in batches. A crash in between leaves keys that
//! no entry names; [`Cluster::sweep`] (run when a directory is opened) deletes them. Both
//! refuse to run inside a transaction block and while other sessions use the database
//! involved (55006), as PostgreSQL does.
//!
//! # Sessions
//!
//! A [`Cluster`] keeps one [`Shared`] (catalog, plan and sequence caches, notification hub)
//! per open database and counts the sessions connected to each, which `DROP DATABASE`,
//! `ALTER DATABASE ... RENAME` and the connection limit check.

use std::collections::HashMap;
use std::sync::Arc;

use basalt_storage::{Direction, KeyRange};
use basalt_txn::{IsolationLevel, LockMode, LockWait, Transaction, TxnKv, TxnOptions};
use parking_lot::Mutex;
use pg_query::protobuf::{self, node::Node};
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::engine::{Shared, tag};
use crate::error::{Notice, SqlError};
use crate::parse::ParseCache;
use crate::roles::{BOOTSTRAP_OID, Roles};
use crate::session::{Session, StatementResult};

/// The key of the [`SharedCatalog`].
pub const SHARED_CATALOG_KEY: &[u8] = b"\0g";
/// The key of the shared catalog's version (a big-endian u64, bumped by every change).
pub const SHARED_VERSION_KEY: &[u8] = b"\0gv";

/// OID of `postgres`, the database of the root namespace.
pub const POSTGRES_OID: u32 = 5;
/// OID of `template1`.
pub const TEMPLATE1_OID: u32 = 1;
/// OID of `template0`.
pub const TEMPLATE0_OID: u32 = 4;
/// First OID given to databases and roles made later.
const FIRST_SHARED_OID: u32 = 16_384;
/// Keys copied or deleted per transaction when a database is created or dropped.
const BATCH: usize = 20_000;

fn err(code: &'static str, msg: impl Into<String>) -> SqlError {
    SqlError::new(code, msg)
}

/// One database (a row of `pg_database`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseEntry {
    /// OID.
    pub oid: u32,
    /// Name.
    pub name: String,
    /// Owner (a role OID).
    pub owner: u32,
    /// `datistemplate`: any role with CREATEDB may copy it.
    pub is_template: bool,
    /// `datallowconn`.
    pub allow_connections: bool,
    /// `datconnlimit` (-1: no limit).
    pub connection_limit: i32,
    /// The key namespace holding its data (`None`: the root namespace).
    pub namespace: Option<u32>,
}

impl DatabaseEntry {
    fn new(oid: u32, name: &str, namespace: Option<u32>) -> DatabaseEntry {
        DatabaseEntry {
            oid,
            name: name.to_string(),
            owner: BOOTSTRAP_OID,
            is_template: false,
            allow_connections: true,
            connection_limit: -1,
            namespace,
        }
    }
}

/// What every database of a directory shares (see the module doc).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SharedCatalog {
    /// Roles, memberships and per-role / per-database settings.
    #[serde(default)]
    pub roles: Roles,
    /// The databases.
    pub databases: Vec<DatabaseEntry>,
    /// The next OID for a database or a role.
    pub next_oid: u32,
}

impl SharedCatalog {
    /// The shared catalog of a new directory (`roles`: those a directory written before
    /// databases existed kept in its only catalog).
    pub fn initial(roles: Roles) -> SharedCatalog {
        let mut template1 = DatabaseEntry::new(TEMPLATE1_OID, "template1", Some(TEMPLATE1_OID));
        template1.is_template = true;
        let mut template0 = DatabaseEntry::new(TEMPLATE0_OID, "template0", Some(TEMPLATE0_OID));
        template0.is_template = true;
        template0.allow_connections = false;
        let next_oid = roles
            .iter()
            .map(|r| r.oid + 1)
            .max()
            .unwrap_or(0)
            .max(FIRST_SHARED_OID);
        SharedCatalog {
            roles,
            databases: vec![
                DatabaseEntry::new(POSTGRES_OID, "postgres", None),
                template1,
                template0,
            ],
            next_oid,
        }
    }

    /// Decodes the stored record.
    pub fn decode(bytes: &[u8]) -> Result<SharedCatalog, SqlError> {
        serde_json::from_slice(bytes)
            .map_err(|e| err("XX001", format!("shared catalog record is damaged: {e}")))
    }

    /// Encodes for storage.
    pub fn encode(&self) -> Result<Vec<u8>, SqlError> {
        serde_json::to_vec(self)
            .map_err(|e| err("XX000", format!("cannot encode the shared catalog: {e}")))
    }

    /// Reads it in `txn` (`latest`: the newest committed state), or the initial one. A
    /// directory written before databases existed kept its roles in the catalog record:
    /// `legacy_roles` are those (`None`: read them from that record, only when needed).
    pub(crate) fn read<T: Transaction>(
        txn: &mut T,
        latest: bool,
        legacy_roles: Option<&Roles>,
    ) -> Result<(SharedCatalog, u64), SqlError> {
        let (bytes, version) = if latest {
            (
                txn.get_latest(SHARED_CATALOG_KEY)?,
                txn.get_latest(SHARED_VERSION_KEY)?,
            )
        } else {
            (txn.get(SHARED_CATALOG_KEY)?, txn.get(SHARED_VERSION_KEY)?)
        };
        let version = decode_version(version.as_deref());
        let Some(b) = bytes else {
            let roles = match legacy_roles {
                Some(r) => r.clone(),
                None => {
                    let record = if latest {
                        txn.get_latest(crate::catalog::CATALOG_KEY)?
                    } else {
                        txn.get(crate::catalog::CATALOG_KEY)?
                    };
                    match record {
                        Some(b) => Catalog::decode(&b)?.roles,
                        None => Roles::default(),
                    }
                }
            };
            return Ok((SharedCatalog::initial(roles), version));
        };
        Ok((SharedCatalog::decode(&b)?, version))
    }

    /// A database by name.
    pub fn database(&self, name: &str) -> Option<&DatabaseEntry> {
        self.databases.iter().find(|d| d.name == name)
    }
}

/// A stored big-endian u64 version (0 when absent or malformed).
pub(crate) fn decode_version(b: Option<&[u8]>) -> u64 {
    match b {
        Some(b) if b.len() == 8 => {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            u64::from_be_bytes(a)
        }
        _ => 0,
    }
}

/// The databases of one store (see the module doc). Clones share everything.
pub struct Cluster<K: TxnKv> {
    inner: Arc<Inner<K>>,
}

impl<K: TxnKv> Clone for Cluster<K> {
    fn clone(&self) -> Self {
        Cluster {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<K: TxnKv> {
    /// The store, seen without a namespace.
    root: K,
    parse_cache: Arc<ParseCache>,
    /// The state of each database opened since the store was (by OID).
    open: Mutex<HashMap<u32, Arc<Shared>>>,
}

impl<K: TxnKv> Cluster<K> {
    /// The databases of `kv`'s store.
    pub fn new(kv: K) -> Cluster<K> {
        Cluster {
            inner: Arc::new(Inner {
                root: kv.root(),
                parse_cache: Arc::new(ParseCache::default()),
                open: Mutex::new(HashMap::new()),
            }),
        }
    }

    fn kv_of(&self, namespace: Option<u32>) -> K {
        match namespace {
            Some(id) => self.inner.root.namespace(id),
            None => self.inner.root.root(),
        }
    }

    fn shared_of(&self, oid: u32) -> Arc<Shared> {
        self.inner
            .open
            .lock()
            .entry(oid)
            .or_insert_with(|| Arc::new(Shared::for_database(self.inner.parse_cache.clone(), oid)))
            .clone()
    }

    /// How many sessions are connected to database `oid`.
    pub fn sessions_of(&self, oid: u32) -> usize {
        self.inner
            .open
            .lock()
            .get(&oid)
            .map_or(0, |s| s.session_count())
    }

    /// A session of the root namespace's database (`postgres` unless renamed): the one an
    /// embedded database's connections use.
    pub fn session(&self) -> Session<K> {
        let shared = self.shared_of(POSTGRES_OID);
        Session::in_cluster(self.kv_of(None), shared, self.clone())
    }

    /// The shared catalog as committed now.
    pub fn shared_catalog(&self) -> Result<SharedCatalog, SqlError> {
        let mut txn = self.inner.root.begin(TxnOptions::default())?;
        Ok(SharedCatalog::read(&mut txn, false, None)?.0)
    }

    /// A session of database `name`, as a connection opens one: 3D000 if there is no such
    /// database, 55000 if it does not accept connections, 53300 past its connection limit
    /// (which `superuser`s pass, as in PostgreSQL).
    pub fn connect(&self, name: &str, superuser: bool) -> Result<Session<K>, SqlError> {
        let cat = self.shared_catalog()?;
        let Some(db) = cat.database(name) else {
            return Err(err("3D000", format!("database \"{name}\" does not exist")));
        };
        if !db.allow_connections {
            return Err(err(
                "55000",
                format!("database \"{name}\" is not currently accepting connections"),
            ));
        }
        let shared = self.shared_of(db.oid);
        if !superuser
            && db.connection_limit >= 0
            && shared.session_count() >= db.connection_limit as usize
        {
            return Err(err(
                "53300",
                format!("too many connections for database \"{name}\""),
            ));
        }
        Ok(Session::in_cluster(
            self.kv_of(db.namespace),
            shared,
            self.clone(),
        ))
    }

    /// Deletes the keys of namespaces that no database names (left by a crash while a
    /// database was created or dropped). Returns how many namespaces it cleared.
    pub fn sweep(&self) -> Result<usize, SqlError> {
        let known: Vec<u32> = self
            .shared_catalog()?
            .databases
            .iter()
            .filter_map(|d| d.namespace)
            .collect();
        let mut cleared = 0;
        let mut from = basalt_txn::namespace::prefix(0).to_vec();
        loop {
            let mut txn = self.inner.root.begin(TxnOptions::default())?;
            let next = txn
                .scan(
                    KeyRange {
                        start: std::ops::Bound::Included(from.clone()),
                        end: std::ops::Bound::Excluded(basalt_txn::namespace::ROOT_START.to_vec()),
                    },
                    Direction::Forward,
                )?
                .next()
                .transpose()?;
            txn.rollback();
            let Some((key, _)) = next else {
                return Ok(cleared);
            };
            let Some(id) = basalt_txn::namespace::namespace_of(&key) else {
                return Ok(cleared);
            };
            if !known.contains(&id) {
                self.clear_namespace(Some(id))?;
                cleared += 1;
            }
            match id.checked_add(1) {
                Some(n) => from = basalt_txn::namespace::prefix(n).to_vec(),
                None => return Ok(cleared),
            }
        }
    }

    /// Deletes every key of a namespace, in batches of transactions.
    fn clear_namespace(&self, namespace: Option<u32>) -> Result<(), SqlError> {
        let kv = self.kv_of(namespace);
        loop {
            let mut txn = kv.begin(TxnOptions::default())?;
            let keys: Vec<Vec<u8>> = txn
                .scan(basalt_txn::namespace::own_range(None), Direction::Forward)?
                .take(BATCH)
                .map(|r| r.map(|(k, _)| k))
                .collect::<Result<_, _>>()?;
            if keys.is_empty() {
                txn.rollback();
                return Ok(());
            }
            for k in keys {
                txn.delete(k)?;
            }
            txn.commit()?;
        }
    }

    /// Copies every key of namespace `from` into namespace `to` (which is empty), from one
    /// snapshot, in batches of transactions.
    fn copy_namespace(&self, from: Option<u32>, to: u32) -> Result<(), SqlError> {
        let mut source = self
            .kv_of(from)
            .begin(TxnOptions::isolation(IsolationLevel::RepeatableRead))?;
        let target = self.kv_of(Some(to));
        let mut scan = source.scan(basalt_txn::namespace::own_range(None), Direction::Forward)?;
        loop {
            let batch: Vec<(Vec<u8>, Vec<u8>)> =
                scan.by_ref().take(BATCH).collect::<Result<_, _>>()?;
            if batch.is_empty() {
                return Ok(());
            }
            let mut txn = target.begin(TxnOptions::default())?;
            for (k, v) in batch {
                txn.put(k, v)?;
            }
            txn.commit()?;
        }
    }

    /// Ends the sessions connected to database `oid` (`DROP DATABASE ... WITH (FORCE)`), as
    /// `pg_terminate_backend` does, and waits up to 5 seconds for them to go.
    fn terminate_sessions(&self, oid: u32) {
        let Some(shared) = self.inner.open.lock().get(&oid).cloned() else {
            return;
        };
        shared.terminate_all();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while shared.session_count() > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// Forgets the state of a database that was dropped or renamed.
    fn close(&self, oid: u32) {
        self.inner.open.lock().remove(&oid);
    }
}

/// `DefElem` options of the database statements, by name.
fn options(list: &[protobuf::Node]) -> Result<Vec<(String, Option<Node>)>, SqlError> {
    let mut out: Vec<(String, Option<Node>)> = Vec::new();
    for n in list {
        let Some(Node::DefElem(d)) = &n.node else {
            continue;
        };
        if out.iter().any(|(name, _)| *name == d.defname) {
            return Err(
                err("42601", "conflicting or redundant options").at(crate::binder::pos(d.location))
            );
        }
        out.push((
            d.defname.clone(),
            d.arg.as_ref().and_then(|a| a.node.clone()),
        ));
    }
    Ok(out)
}

fn option_text(name: &str, v: &Option<Node>) -> Result<String, SqlError> {
    match v {
        Some(Node::String(s)) => Ok(s.sval.clone()),
        Some(Node::Integer(i)) => Ok(i.ival.to_string()),
        Some(Node::Boolean(b)) => Ok(b.boolval.to_string()),
        Some(Node::Float(f)) => Ok(f.fval.clone()),
        Some(Node::TypeName(t)) => Ok(t
            .names
            .iter()
            .filter_map(|n| match &n.node {
                Some(Node::String(s)) => Some(s.sval.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(".")),
        Some(Node::RoleSpec(r)) => Ok(r.rolename.clone()),
        _ => Err(err("42601", format!("{name} requires a value"))),
    }
}

fn option_bool(name: &str, v: &Option<Node>) -> Result<bool, SqlError> {
    if v.is_none() {
        return Ok(true);
    }
    let t = option_text(name, v)?.to_ascii_lowercase();
    match t.as_str() {
        "true" | "on" | "1" | "yes" => Ok(true),
        "false" | "off" | "0" | "no" => Ok(false),
        _ => Err(err("22023", format!("{name} requires a Boolean value"))),
    }
}

fn option_int(name: &str, v: &Option<Node>) -> Result<i32, SqlError> {
    let t = option_text(name, v)?;
    t.parse::<i32>().map_err(|_| {
        err(
            "22023",
            format!("invalid value for option \"{name}\": \"{t}\""),
        )
    })
}

/// Locales Basalt's text comparison implements (code-point order, as `C.UTF-8`).
fn check_locale(what: &str, value: &str) -> Result<(), SqlError> {
    match value.to_ascii_lowercase().as_str() {
        "c" | "posix" | "c.utf-8" | "c.utf8" => Ok(()),
        _ => Err(SqlError::Unsupported(format!(
            "{what} \"{value}\" (Basalt compares text by code point, as the C.UTF-8 locale)"
        ))),
    }
}

/// 55006 for a database `others` sessions use (`what`: `database "x"` or `source database
/// "x"`), with PostgreSQL's detail; `Ok` when none does.
fn not_in_use(what: &str, others: usize) -> Result<(), SqlError> {
    if others == 0 {
        return Ok(());
    }
    let detail = if others == 1 {
        "There is 1 other session using the database.".to_string()
    } else {
        format!("There are {others} other sessions using the database.")
    };
    Err(err("55006", format!("{what} is being accessed by other users")).with_detail(detail))
}

impl<K: TxnKv> Session<K> {
    /// The shared catalog, locked for a change (its version key), newest committed state.
    pub(crate) fn shared_for_update(&mut self) -> Result<Catalog, SqlError> {
        if self.settings.transaction_read_only() {
            return Err(crate::engine::read_only());
        }
        let mut cat = (*self.load_catalog()?).clone();
        let txn = self.data_transaction()?;
        crate::engine::lock_version(txn, SHARED_VERSION_KEY)?;
        let (shared, version) = SharedCatalog::read(txn, true, Some(&cat.roles))?;
        cat.set_shared(shared, version);
        Ok(cat)
    }

    /// Writes the shared part of `cat` (read with [`Session::shared_for_update`]).
    pub(crate) fn store_shared(&mut self, cat: &Catalog) -> Result<(), SqlError> {
        let bytes = cat.shared_record().encode()?;
        let version = (cat.shared_version + 1).to_be_bytes().to_vec();
        if let Some(b) = self.block.as_mut() {
            b.catalog_written = true;
        }
        let txn = self.data_transaction()?;
        txn.put(SHARED_CATALOG_KEY.to_vec(), bytes)?;
        txn.put(SHARED_VERSION_KEY.to_vec(), version)?;
        Ok(())
    }

    fn outside_block(&self, what: &str) -> Result<(), SqlError> {
        if self.block.as_ref().is_some_and(|b| b.kind_is_explicit()) {
            return Err(err(
                "25001",
                format!("{what} cannot run inside a transaction block"),
            ));
        }
        Ok(())
    }

    /// Commits a change of the shared catalog made by `f` in a transaction of its own (the
    /// database statements run outside transaction blocks).
    fn change_shared(
        &self,
        f: impl FnOnce(&mut SharedCatalog) -> Result<(), SqlError>,
    ) -> Result<(), SqlError> {
        let root = &self.cluster.inner.root;
        let mut txn = root.begin(TxnOptions::default())?;
        txn.lock(SHARED_VERSION_KEY, LockMode::Exclusive, LockWait::Block)?;
        let (mut shared, version) = SharedCatalog::read(&mut txn, true, None)?;
        f(&mut shared)?;
        txn.put(SHARED_CATALOG_KEY.to_vec(), shared.encode()?)?;
        txn.put(
            SHARED_VERSION_KEY.to_vec(),
            (version + 1).to_be_bytes().to_vec(),
        )?;
        txn.commit()?;
        Ok(())
    }

    fn current_user_can_createdb(&self, cat: &SharedCatalog) -> bool {
        let user = self.settings.identity().current_user().0;
        cat.roles
            .by_oid(user)
            .is_some_and(|r| r.superuser || r.createdb)
    }

    fn is_owner_or_super(&self, cat: &SharedCatalog, db: &DatabaseEntry) -> bool {
        let user = self.settings.identity().current_user().0;
        cat.roles.by_oid(user).is_some_and(|r| r.superuser)
            || cat.roles.is_member_of(user, db.owner)
    }

    /// `CREATE DATABASE`.
    pub(crate) fn create_database(
        &mut self,
        s: &protobuf::CreatedbStmt,
    ) -> Result<StatementResult, SqlError> {
        self.outside_block("CREATE DATABASE")?;
        let cat = self.cluster.shared_catalog()?;
        if !self.current_user_can_createdb(&cat) {
            return Err(err("42501", "permission denied to create database"));
        }
        let mut owner = self.settings.identity().current_user().0;
        let mut template = "template1".to_string();
        let mut entry = DatabaseEntry::new(0, &s.dbname, None);
        let mut is_template = false;
        for (name, v) in options(&s.options)? {
            match name.as_str() {
                "owner" => {
                    let n = option_text(&name, &v)?;
                    owner = match cat.roles.by_name(&n) {
                        Some(r) => r.oid,
                        None => {
                            return Err(err("42704", format!("role \"{n}\" does not exist")));
                        }
                    };
                }
                "template" => template = option_text(&name, &v)?,
                "encoding" => {
                    let e = option_text(&name, &v)?;
                    let norm = e.to_ascii_uppercase().replace(['-', '_'], "");
                    if !matches!(norm.as_str(), "UTF8" | "UNICODE" | "6") {
                        return Err(SqlError::Unsupported(format!(
                            "encoding \"{e}\" (Basalt stores text as UTF-8)"
                        )));
                    }
                }
                "locale" | "lc_collate" | "lc_ctype" => {
                    check_locale(&name, &option_text(&name, &v)?)?;
                }
                "locale_provider" => {
                    let p = option_text(&name, &v)?;
                    if !p.eq_ignore_ascii_case("libc") {
                        return Err(SqlError::Unsupported(format!("locale provider \"{p}\"")));
                    }
                }
                "icu_locale" | "collation_version" => {
                    return Err(SqlError::Unsupported(format!("option \"{name}\"")));
                }
                "tablespace" => {
                    let t = option_text(&name, &v)?;
                    if t != "pg_default" {
                        return Err(err("42704", format!("tablespace \"{t}\" does not exist")));
                    }
                }
                "strategy" => {
                    let t = option_text(&name, &v)?.to_ascii_lowercase();
                    if t != "wal_log" && t != "file_copy" {
                        return Err(err(
                            "22023",
                            format!("invalid create database strategy \"{t}\""),
                        )
                        .with_hint("Valid strategies are \"wal_log\" and \"file_copy\"."));
                    }
                }
                "allow_connections" => entry.allow_connections = option_bool(&name, &v)?,
                "connection_limit" => {
                    let n = option_int(&name, &v)?;
                    if n < -1 {
                        return Err(err("22023", format!("invalid connection limit: {n}")));
                    }
                    entry.connection_limit = n;
                }
                "is_template" => is_template = option_bool(&name, &v)?,
                "oid" => {
                    return Err(SqlError::Unsupported("CREATE DATABASE ... OID".into()));
                }
                other => {
                    return Err(err("42601", format!("option \"{other}\" not recognized")));
                }
            }
        }
        if owner != self.settings.identity().current_user().0 {
            let user = self.settings.identity().current_user().0;
            let is_super = cat.roles.by_oid(user).is_some_and(|r| r.superuser);
            if !is_super && !cat.roles.is_member_of(user, owner) {
                return Err(err(
                    "42501",
                    format!("must be able to SET ROLE \"{}\"", cat.roles.name_of(owner)),
                ));
            }
        }
        entry.owner = owner;
        entry.is_template = is_template;
        let Some(source) = cat.database(&template).cloned() else {
            return Err(err(
                "3D000",
                format!("template database \"{template}\" does not exist"),
            ));
        };
        if !source.is_template && !self.is_owner_or_super(&cat, &source) {
            return Err(err(
                "42501",
                format!("permission denied to copy database \"{template}\""),
            ));
        }
        if cat.database(&s.dbname).is_some() {
            return Err(err(
                "42P04",
                format!("database \"{}\" already exists", s.dbname),
            ));
        }
        not_in_use(
            &format!("source database \"{template}\""),
            self.cluster.sessions_of(source.oid),
        )?;
        // Reserve the OID (and so the namespace) first: the copy goes into keys nothing names.
        let mut oid = 0;
        self.change_shared(|c| {
            oid = c.next_oid;
            c.next_oid += 1;
            Ok(())
        })?;
        entry.oid = oid;
        entry.namespace = Some(oid);
        self.cluster.copy_namespace(source.namespace, oid)?;
        let name = s.dbname.clone();
        let result = self.change_shared(|c| {
            if c.database(&name).is_some() {
                return Err(err("42P04", format!("database \"{name}\" already exists")));
            }
            c.databases.push(entry);
            Ok(())
        });
        if result.is_err() {
            let _ = self.cluster.clear_namespace(Some(oid));
        }
        result?;
        Ok(tag("CREATE DATABASE"))
    }

    /// `DROP DATABASE [IF EXISTS] name [WITH (FORCE)]`.
    pub(crate) fn drop_database(
        &mut self,
        s: &protobuf::DropdbStmt,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        self.outside_block("DROP DATABASE")?;
        let mut force = false;
        for (name, _) in options(&s.options)? {
            match name.as_str() {
                "force" => force = true,
                other => {
                    return Err(err(
                        "42601",
                        format!("unrecognized DROP DATABASE option \"{other}\""),
                    ));
                }
            }
        }
        let cat = self.cluster.shared_catalog()?;
        let Some(db) = cat.database(&s.dbname).cloned() else {
            if s.missing_ok {
                notices.push(crate::ddl::notice(format!(
                    "database \"{}\" does not exist, skipping",
                    s.dbname
                )));
                return Ok(tag("DROP DATABASE"));
            }
            return Err(err(
                "3D000",
                format!("database \"{}\" does not exist", s.dbname),
            ));
        };
        if !self.is_owner_or_super(&cat, &db) {
            return Err(err(
                "42501",
                format!("must be owner of database {}", s.dbname),
            ));
        }
        if db.is_template {
            return Err(err("42809", "cannot drop a template database"));
        }
        if db.oid == self.shared.database {
            return Err(err("55006", "cannot drop the currently open database"));
        }
        if db.namespace.is_none() {
            return Err(SqlError::Unsupported(format!(
                "dropping database \"{}\": it holds the data directory's root namespace",
                s.dbname
            )));
        }
        if force {
            self.cluster.terminate_sessions(db.oid);
        }
        not_in_use(
            &format!("database \"{}\"", s.dbname),
            self.cluster.sessions_of(db.oid),
        )?;
        let oid = db.oid;
        self.change_shared(|c| {
            c.databases.retain(|d| d.oid != oid);
            c.roles.forget_database(oid);
            Ok(())
        })?;
        self.cluster.close(oid);
        self.cluster.clear_namespace(db.namespace)?;
        Ok(tag("DROP DATABASE"))
    }

    /// `ALTER DATABASE name RENAME TO`, `OWNER TO`, `WITH options`.
    pub(crate) fn alter_database(
        &mut self,
        stmt: AlterDb<'_>,
    ) -> Result<StatementResult, SqlError> {
        let cat = self.cluster.shared_catalog()?;
        let name = match &stmt {
            AlterDb::Rename(old, _) | AlterDb::Owner(old, _) | AlterDb::Options(old, _) => *old,
        };
        let Some(db) = cat.database(name).cloned() else {
            return Err(err("3D000", format!("database \"{name}\" does not exist")));
        };
        let user = self.settings.identity().current_user().0;
        let is_super = cat.roles.by_oid(user).is_some_and(|r| r.superuser);
        let owner_check = || {
            if is_super || cat.roles.is_member_of(user, db.owner) {
                Ok(())
            } else {
                Err(err("42501", format!("must be owner of database {name}")))
            }
        };
        match stmt {
            AlterDb::Rename(_, new) => {
                owner_check()?;
                if !self.current_user_can_createdb(&cat) {
                    return Err(err("42501", "permission denied to rename database"));
                }
                if cat.database(new).is_some() {
                    return Err(err("42P04", format!("database \"{new}\" already exists")));
                }
                if db.oid == self.shared.database {
                    return Err(err("0A000", "current database cannot be renamed"));
                }
                not_in_use(
                    &format!("database \"{name}\""),
                    self.cluster.sessions_of(db.oid),
                )?;
                let (oid, new) = (db.oid, new.to_string());
                self.change_shared(|c| {
                    if let Some(d) = c.databases.iter_mut().find(|d| d.oid == oid) {
                        d.name = new;
                    }
                    Ok(())
                })?;
                self.cluster.close(oid);
            }
            AlterDb::Owner(_, role) => {
                let Some(r) = cat.roles.by_name(role) else {
                    return Err(err("42704", format!("role \"{role}\" does not exist")));
                };
                if r.oid != db.owner {
                    owner_check()?;
                    if !is_super {
                        if !cat.roles.is_member_of(user, r.oid) {
                            return Err(err(
                                "42501",
                                format!("must be able to SET ROLE \"{role}\""),
                            ));
                        }
                        if !self.current_user_can_createdb(&cat) {
                            return Err(err(
                                "42501",
                                "permission denied to change owner of database",
                            ));
                        }
                    }
                }
                let (oid, owner) = (db.oid, r.oid);
                self.change_shared(|c| {
                    if let Some(d) = c.databases.iter_mut().find(|d| d.oid == oid) {
                        d.owner = owner;
                    }
                    Ok(())
                })?;
            }
            AlterDb::Options(_, list) => {
                owner_check()?;
                let mut changes: Vec<(String, Option<Node>)> = Vec::new();
                for (n, v) in options(list)? {
                    match n.as_str() {
                        "allow_connections" | "connection_limit" | "is_template" => {
                            changes.push((n, v))
                        }
                        "tablespace" => {
                            let t = option_text(&n, &v)?;
                            if t != "pg_default" {
                                return Err(err(
                                    "42704",
                                    format!("tablespace \"{t}\" does not exist"),
                                ));
                            }
                        }
                        other => {
                            return Err(err("42601", format!("option \"{other}\" not recognized")));
                        }
                    }
                }
                let mut new = db.clone();
                for (n, v) in &changes {
                    match n.as_str() {
                        "allow_connections" => {
                            new.allow_connections = option_bool(n, v)?;
                            if !new.allow_connections && db.oid == self.shared.database {
                                return Err(err(
                                    "22023",
                                    "cannot disallow connections for current database",
                                ));
                            }
                        }
                        "connection_limit" => {
                            let c = option_int(n, v)?;
                            if c < -1 {
                                return Err(err("22023", format!("invalid connection limit: {c}")));
                            }
                            new.connection_limit = c;
                        }
                        _ => {
                            new.is_template = option_bool(n, v)?;
                        }
                    }
                }
                if !is_super && new.is_template != db.is_template {
                    return Err(err("42501", "must be superuser to change is_template"));
                }
                let oid = db.oid;
                self.change_shared(|c| {
                    if let Some(d) = c.databases.iter_mut().find(|d| d.oid == oid) {
                        d.allow_connections = new.allow_connections;
                        d.connection_limit = new.connection_limit;
                        d.is_template = new.is_template;
                    }
                    Ok(())
                })?;
            }
        }
        Ok(tag("ALTER DATABASE"))
    }
}

/// The forms of `ALTER DATABASE` handled by [`Session::alter_database`] (`SET` goes through
/// the roles' settings).
pub(crate) enum AlterDb<'a> {
    /// `RENAME TO`.
    Rename(&'a str, &'a str),
    /// `OWNER TO`.
    Owner(&'a str, &'a str),
    /// `WITH options`.
    Options(&'a str, &'a [protobuf::Node]),
}
