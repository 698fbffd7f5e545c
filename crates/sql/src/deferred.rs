//! Deferred constraint checks: DEFERRABLE foreign keys and unique constraints, and `SET
//! CONSTRAINTS`.
//!
//! A transaction block keeps a [`Deferred`]: the `SET CONSTRAINTS` modes in force and the
//! queue of checks postponed by foreign keys that are deferred at the moment of the write.
//! Two kinds of write queue a check ([`Pending`]), both naming the constraint and the key
//! values:
//!
//! - a row of the referencing table written with a key (INSERT / UPDATE);
//! - a referenced key removed from the referenced table (DELETE / key-changing UPDATE of a
//!   NO ACTION foreign key; RESTRICT is never deferred, as in PostgreSQL).
//!
//! Both are the same condition when they run ([`fire`]): the key violates the constraint if a
//! referencing row still holds it and no referenced row has it. So a row inserted and later
//! deleted, or a referenced row deleted and inserted again, passes, as PostgreSQL's triggers
//! (which skip dead row versions) decide. They run at COMMIT (an error there rolls the
//! transaction back) and at `SET CONSTRAINTS ... IMMEDIATE` for the constraints made
//! immediate. A savepoint remembers the queue's length and the modes ([`Mark`]): rolling back
//! to it drops the checks queued since and restores the modes.
//!
//! Checks are grouped per constraint: one scan of the referencing table finds which queued
//! keys it still holds, then each such key is looked up in the referenced table.
//!
//! Deferrable UNIQUE / PRIMARY KEY constraints queue a [`PendingUnique`] when a row is
//! written with a key another row's entry holds (see `crate::dml` for the index layout that
//! lets both entries exist). Unlike foreign keys, such a check is queued whether or not the
//! constraint is deferred: [`fire_unique`] runs at the end of every statement for the
//! constraints not deferred then (PostgreSQL checks deferrable unique constraints after the
//! statement, not per row), and with the other checks at COMMIT and `SET CONSTRAINTS ...
//! IMMEDIATE`. A key still held by two entries is 23505.

use std::collections::{HashMap, HashSet};

use basalt_common::types::Value;

use crate::catalog::{Catalog, Constraint, ConstraintKind, Table};
use crate::error::SqlError;
use crate::exec::{Cx, table_range};
use crate::row::{decode_row, push_key_values};

/// One postponed check.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The foreign key constraint's OID.
    pub constraint: u32,
    /// Queued by a write of the referencing table (else of the referenced one).
    pub referencing: bool,
    /// The key values (never NULL).
    pub vals: Vec<Value>,
}

/// A postponed uniqueness check of a deferrable unique index: a row was written with a key
/// another row's entry held at that moment.
#[derive(Debug, Clone)]
pub struct PendingUnique {
    /// The UNIQUE / PRIMARY KEY constraint's OID.
    pub constraint: u32,
    /// The index OID.
    pub index: u32,
    /// The key's bare form (`i` + index OID + values): every entry of the key starts with it.
    pub key: Vec<u8>,
    /// The key values, for the error's detail.
    pub vals: Vec<Value>,
}

/// The deferred-constraint state of a transaction block.
#[derive(Debug, Default)]
pub struct Deferred {
    /// `SET CONSTRAINTS ALL`: deferred or not.
    all: Option<bool>,
    /// `SET CONSTRAINTS name`: by constraint OID.
    named: HashMap<u32, bool>,
    pending: Vec<Pending>,
    unique: Vec<PendingUnique>,
}

/// The state at a savepoint.
#[derive(Debug, Clone)]
pub struct Mark {
    len: usize,
    unique: usize,
    all: Option<bool>,
    named: HashMap<u32, bool>,
}

impl Deferred {
    /// Whether checks of `c` are deferred now.
    pub fn is_deferred(&self, c: &Constraint) -> bool {
        c.deferrable
            && self
                .named
                .get(&c.oid)
                .copied()
                .or(self.all)
                .unwrap_or(c.initially_deferred)
    }

    /// Queues a check.
    pub fn push(&mut self, p: Pending) {
        self.pending.push(p);
    }

    /// Queues a uniqueness check.
    pub fn push_unique(&mut self, p: PendingUnique) {
        self.unique.push(p);
    }

    /// Whether checks are queued.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty() || !self.unique.is_empty()
    }

    /// Whether uniqueness checks are queued (the end of each statement runs those of
    /// constraints that are not deferred).
    pub fn has_unique(&self) -> bool {
        !self.unique.is_empty()
    }

    /// `SET CONSTRAINTS ALL`.
    pub fn set_all(&mut self, deferred: bool) {
        self.all = Some(deferred);
        self.named.clear();
    }

    /// `SET CONSTRAINTS name`.
    pub fn set_one(&mut self, oid: u32, deferred: bool) {
        self.named.insert(oid, deferred);
    }

    /// The state to return to at `ROLLBACK TO SAVEPOINT`.
    pub fn mark(&self) -> Mark {
        Mark {
            len: self.pending.len(),
            unique: self.unique.len(),
            all: self.all,
            named: self.named.clone(),
        }
    }

    /// Returns to a savepoint's state.
    pub fn restore(&mut self, m: &Mark) {
        self.pending.truncate(m.len);
        self.unique.truncate(m.unique);
        self.all = m.all;
        self.named.clone_from(&m.named);
    }
}

fn encode(vals: &[Value]) -> Result<Vec<u8>, SqlError> {
    let mut k = Vec::new();
    push_key_values(&mut k, &vals.iter().collect::<Vec<_>>(), &[])?;
    Ok(k)
}

/// Runs the queued uniqueness checks (all of them with `all`, else those of constraints not
/// deferred now) and removes them from the queue: a key still held by two entries or more at
/// the newest state is the error (23505, as PostgreSQL's recheck reports it).
pub fn fire_unique(cx: &mut Cx<'_>, d: &mut Deferred, all: bool) -> Result<(), SqlError> {
    if d.unique.is_empty() {
        return Ok(());
    }
    let catalog: &Catalog = cx.catalog;
    let mut by_oid: HashMap<u32, (&Table, &Constraint)> = HashMap::new();
    for t in catalog.tables.values() {
        for c in &t.constraints {
            if matches!(
                c.kind,
                ConstraintKind::PrimaryKey { .. } | ConstraintKind::Unique { .. }
            ) {
                by_oid.insert(c.oid, (t, c));
            }
        }
    }
    let (run, keep): (Vec<PendingUnique>, Vec<PendingUnique>) =
        std::mem::take(&mut d.unique).into_iter().partition(|p| {
            all || by_oid
                .get(&p.constraint)
                .is_none_or(|(_, c)| !d.is_deferred(c))
        });
    d.unique = keep;
    let mut done: HashSet<Vec<u8>> = HashSet::new();
    for p in run {
        // A dropped index or constraint (in this transaction) checks nothing.
        let (Some((t, _)), Some(ix)) = (by_oid.get(&p.constraint), catalog.indexes.get(&p.index))
        else {
            continue;
        };
        if !done.insert(p.key.clone()) {
            continue;
        }
        // Writers of the key in other transactions finish first (a deferred write may not
        // hold the lock yet).
        cx.txn.lock(
            &p.key,
            basalt_txn::LockMode::Exclusive,
            basalt_txn::LockWait::Block,
        )?;
        let mut entries = 0;
        for item in cx
            .txn
            .scan_latest(basalt_storage::KeyRange::prefix(&p.key))?
        {
            item?;
            entries += 1;
            if entries > 1 {
                break;
            }
        }
        if entries > 1 {
            let names: Vec<String> = ix
                .keys
                .iter()
                .map(|k| match k {
                    crate::catalog::IndexKey::Column(c) => t.columns[*c].name.clone(),
                    crate::catalog::IndexKey::Expr(s) => s.clone(),
                })
                .collect();
            return Err(crate::dml::unique_violation(
                t, &ix.name, &names, &p.vals, cx,
            ));
        }
    }
    Ok(())
}

/// Runs the queued checks (all of them with `all`, else those of constraints no longer
/// deferred) and removes them from the queue; the first violation is the error.
pub fn fire(cx: &mut Cx<'_>, d: &mut Deferred, all: bool) -> Result<(), SqlError> {
    fire_unique(cx, d, all)?;
    let catalog: &Catalog = cx.catalog;
    let mut by_oid: HashMap<u32, (&Table, &Constraint)> = HashMap::new();
    for t in catalog.tables.values() {
        for c in &t.constraints {
            if matches!(c.kind, ConstraintKind::ForeignKey(_)) {
                by_oid.insert(c.oid, (t, c));
            }
        }
    }
    let (run, keep): (Vec<Pending>, Vec<Pending>) =
        std::mem::take(&mut d.pending).into_iter().partition(|p| {
            all || by_oid
                .get(&p.constraint)
                .is_none_or(|(_, c)| !d.is_deferred(c))
        });
    d.pending = keep;
    // The queued keys each referencing table still holds, per constraint.
    let mut wanted: HashMap<u32, HashSet<Vec<u8>>> = HashMap::new();
    for p in &run {
        if by_oid.contains_key(&p.constraint) {
            wanted
                .entry(p.constraint)
                .or_default()
                .insert(encode(&p.vals)?);
        }
    }
    let mut held: HashMap<u32, HashSet<Vec<u8>>> = HashMap::new();
    for (oid, keys) in &wanted {
        let Some((child, c)) = by_oid.get(oid) else {
            continue;
        };
        let ConstraintKind::ForeignKey(fk) = &c.kind else {
            continue;
        };
        let mut found = HashSet::new();
        let scan = cx
            .txn
            .scan(table_range(child.oid), basalt_storage::Direction::Forward)?;
        for item in scan {
            let (_, v) = item?;
            let mut row = decode_row(&v)?;
            row.resize(child.columns.len(), Value::Null);
            let vals: Vec<Value> = fk.columns.iter().map(|c| row[*c].clone()).collect();
            if vals.iter().any(Value::is_null) {
                continue;
            }
            let k = encode(&vals)?;
            if keys.contains(&k) {
                found.insert(k);
            }
        }
        held.insert(*oid, found);
    }
    let mut done: HashSet<(u32, Vec<u8>)> = HashSet::new();
    for p in run {
        let Some((child, c)) = by_oid.get(&p.constraint).copied() else {
            continue;
        };
        let ConstraintKind::ForeignKey(fk) = &c.kind else {
            continue;
        };
        let k = encode(&p.vals)?;
        if !held.get(&p.constraint).is_some_and(|h| h.contains(&k))
            || !done.insert((p.constraint, k))
        {
            continue;
        }
        if crate::dml::referenced_exists(cx, fk, &p.vals)? {
            continue;
        }
        let parent = cx.catalog.tables.get(&fk.ref_table);
        let parent_name = parent.map_or(String::new(), |t| t.name.clone());
        return Err(if p.referencing {
            let names: Vec<String> = fk
                .columns
                .iter()
                .map(|c| child.columns[*c].name.clone())
                .collect();
            SqlError::new(
                "23503",
                format!(
                    "insert or update on table \"{}\" violates foreign key constraint \"{}\"",
                    child.name, c.name
                ),
            )
            .with_detail(format!(
                "{} is not present in table \"{parent_name}\".",
                crate::dml::key_detail(&names, &p.vals, cx)
            ))
        } else {
            let names: Vec<String> = fk
                .ref_columns
                .iter()
                .map(|c| parent.map_or(String::new(), |t| t.columns[*c].name.clone()))
                .collect();
            SqlError::new(
                "23503",
                format!(
                    "update or delete on table \"{parent_name}\" violates foreign key constraint \"{}\" on table \"{}\"",
                    c.name, child.name
                ),
            )
            .with_detail(format!(
                "{} is still referenced from table \"{}\".",
                crate::dml::key_detail(&names, &p.vals, cx),
                child.name
            ))
        }
        // Both directions name the referencing table, as PostgreSQL does.
        .in_table(catalog, child)
        .with_constraint(&c.name));
    }
    Ok(())
}

impl<K: basalt_txn::TxnKv> crate::session::Session<K> {
    /// Runs the block's deferred checks ([`fire`]): all of them, or those of constraints that
    /// are immediate now.
    pub(crate) fn fire_deferred(&mut self, all: bool) -> Result<(), SqlError> {
        let Some(b) = self.block.as_mut() else {
            return Ok(());
        };
        if !b.deferred.has_pending() {
            return Ok(());
        }
        let mut d = std::mem::take(&mut b.deferred);
        let catalog = self.load_catalog();
        let r = catalog.and_then(|c| self.with_cx(&c, &[], |cx| fire(cx, &mut d, all)));
        if let Some(b) = self.block.as_mut() {
            b.deferred = d;
        }
        r
    }

    /// The end of a statement: runs the uniqueness checks of deferrable constraints that are
    /// not deferred (PostgreSQL checks those after the statement, not per row).
    pub(crate) fn end_of_statement(&mut self) -> Result<(), SqlError> {
        if !self.block.as_ref().is_some_and(|b| b.deferred.has_unique()) {
            return Ok(());
        }
        let Some(b) = self.block.as_mut() else {
            return Ok(());
        };
        let mut d = std::mem::take(&mut b.deferred);
        let catalog = self.load_catalog();
        let r = catalog.and_then(|c| self.with_cx(&c, &[], |cx| fire_unique(cx, &mut d, false)));
        if let Some(b) = self.block.as_mut() {
            b.deferred = d;
        }
        r
    }

    /// `SET CONSTRAINTS { ALL | name [, ...] } { DEFERRED | IMMEDIATE }`.
    pub(crate) fn set_constraints(
        &mut self,
        s: &pg_query::protobuf::ConstraintsSetStmt,
        notices: &mut Vec<crate::error::Notice>,
    ) -> Result<crate::session::StatementResult, SqlError> {
        let done = crate::session::StatementResult {
            tag: "SET CONSTRAINTS".into(),
            columns: Vec::new(),
            types: Vec::new(),
            rows: Vec::new(),
            notices: Vec::new(),
        };
        if self.block.as_ref().is_none_or(|b| b.kind_is_single()) {
            // Outside a transaction block it would last only for itself.
            self.warn(
                notices,
                crate::error::SqlCode::NO_ACTIVE_SQL_TRANSACTION,
                "SET CONSTRAINTS can only be used in transaction blocks",
            );
        }
        let catalog = self.load_catalog()?;
        let mut named = Vec::new();
        for n in &s.constraints {
            let Some(pg_query::protobuf::node::Node::RangeVar(rv)) = n.node.as_ref() else {
                continue;
            };
            let schemas: Vec<u32> = if rv.schemaname.is_empty() {
                self.search_path_oids(&catalog)
            } else {
                match catalog.schema_oid(&rv.schemaname) {
                    Some(o) => vec![o],
                    None => {
                        return Err(SqlError::new(
                            "3F000",
                            format!("schema \"{}\" does not exist", rv.schemaname),
                        ));
                    }
                }
            };
            // The first schema of the path holding constraints of that name.
            let mut found = Vec::new();
            for schema in schemas {
                let mut tables: Vec<&Table> = catalog
                    .tables
                    .values()
                    .filter(|t| t.schema == schema)
                    .collect();
                tables.sort_by_key(|t| t.oid);
                for t in tables {
                    found.extend(t.constraints.iter().filter(|c| c.name == rv.relname));
                }
                if !found.is_empty() {
                    break;
                }
            }
            if found.is_empty() {
                return Err(SqlError::new(
                    "42704",
                    format!("constraint \"{}\" does not exist", rv.relname),
                ));
            }
            for c in found {
                // Making a constraint immediate is always allowed, as in PostgreSQL.
                if s.deferred && !c.deferrable {
                    return Err(SqlError::new(
                        "42809",
                        format!("constraint \"{}\" is not deferrable", c.name),
                    ));
                }
                named.push(c.oid);
            }
        }
        let Some(b) = self.block.as_mut() else {
            return Ok(done);
        };
        if s.constraints.is_empty() {
            b.deferred.set_all(s.deferred);
        } else {
            for oid in named {
                b.deferred.set_one(oid, s.deferred);
            }
        }
        if !s.deferred {
            self.fire_deferred(false)?;
        }
        Ok(done)
    }
}
