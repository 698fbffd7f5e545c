//! Deferred foreign-key checks: DEFERRABLE constraints and `SET CONSTRAINTS`.
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

/// The deferred-constraint state of a transaction block.
#[derive(Debug, Default)]
pub struct Deferred {
    /// `SET CONSTRAINTS ALL`: deferred or not.
    all: Option<bool>,
    /// `SET CONSTRAINTS name`: by constraint OID.
    named: HashMap<u32, bool>,
    pending: Vec<Pending>,
}

/// The state at a savepoint.
#[derive(Debug, Clone)]
pub struct Mark {
    len: usize,
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

    /// Whether checks are queued.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
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
            all: self.all,
            named: self.named.clone(),
        }
    }

    /// Returns to a savepoint's state.
    pub fn restore(&mut self, m: &Mark) {
        self.pending.truncate(m.len);
        self.all = m.all;
        self.named.clone_from(&m.named);
    }
}

fn encode(vals: &[Value]) -> Result<Vec<u8>, SqlError> {
    let mut k = Vec::new();
    push_key_values(&mut k, &vals.iter().collect::<Vec<_>>(), &[])?;
    Ok(k)
}

/// Runs the queued checks (all of them with `all`, else those of constraints no longer
/// deferred) and removes them from the queue; the first violation is the error.
pub fn fire(cx: &mut Cx<'_>, d: &mut Deferred, all: bool) -> Result<(), SqlError> {
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
        });
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
        let unsupported = || {
            SqlError::new(
                "0A000",
                "feature not supported: deferrable unique constraints",
            )
        };
        let is_index = |c: &Constraint| {
            matches!(
                c.kind,
                ConstraintKind::PrimaryKey { .. } | ConstraintKind::Unique { .. }
            )
        };
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
                if s.deferred && is_index(c) {
                    return Err(unsupported());
                }
                named.push(c.oid);
            }
        }
        if s.constraints.is_empty()
            && s.deferred
            && catalog
                .tables
                .values()
                .any(|t| t.constraints.iter().any(|c| c.deferrable && is_index(c)))
        {
            return Err(unsupported());
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
