//! Writing rows: INSERT, UPDATE and DELETE with every constraint enforced.
//!
//! [`TableWriter`] holds what one statement needs to write a table: the bound CHECK
//! expressions, index key expressions and foreign keys. Each row write:
//!
//! 1. checks NOT NULL (23502), CHECK (23514) and outgoing foreign keys (23503);
//! 2. locks the row key and each unique-index key exclusively, then reads the newest
//!    committed value (`get_latest`): an existing entry of another row is a unique violation
//!    (23505); a concurrent uncommitted writer makes us wait on the lock, as PostgreSQL waits;
//! 3. writes the row and its index entries (a partial index has entries only for rows its
//!    predicate accepts).
//!
//! An insert into a table whose only unique index is its primary key does 2 and 3 for the row
//! in one `put_new` call (lock, read and write-buffer insert once each, the hot path of bulk
//! loads); with other unique indexes every check comes before the first write, so a conflict
//! reported to ON CONFLICT leaves nothing written.
//!
//! Deletes (and key-changing updates) first apply the ON DELETE / ON UPDATE actions of
//! foreign keys that reference the table: RESTRICT / NO ACTION fail with 23503, CASCADE
//! deletes (or updates) the referencing rows, SET NULL / SET DEFAULT update them.
//!
//! Index entry layout (see [`crate::row`]): a unique index entry without NULLs is keyed by
//! `i` + OID + values (so one key per value and the lock on it serializes inserters); other
//! entries append the row key's suffix. Every entry's value is the row's full key. `INCLUDE`
//! columns are not in the key: the entry points at the row, which holds their values.
//!
//! Deferrable unique constraints (`DEFERRABLE`, whether initially deferred or not) must hold
//! duplicates for a while: PostgreSQL checks them at the end of the statement, or at COMMIT /
//! `SET CONSTRAINTS ... IMMEDIATE` while deferred, so `UPDATE t SET id = id + 1` passes. Their
//! index (`Index::deferrable`) therefore always uses the suffixed layout, one entry per row,
//! and a table whose primary key is deferrable keys its rows by the hidden row id (its
//! `Table::primary_key` is `None`; the PRIMARY KEY index has entries like a UNIQUE one).
//! Writing an entry locks the key's bare form `i` + OID + values exclusively (a lock on a key
//! nothing is stored at: it serializes the writers of one key value across transactions, as
//! the entry key does for the other unique indexes), then scans that prefix at the newest
//! state (`scan_latest`): another row's entry queues a [`crate::deferred::PendingUnique`]
//! instead of failing. While the constraint is deferred, a lock held by another transaction
//! queues the check without waiting (PostgreSQL waits only at the check, which takes the
//! lock before its scan). The queue runs at the end of the statement for constraints that are
//! not deferred then, else at COMMIT or `SET CONSTRAINTS ... IMMEDIATE`: a key with two
//! entries or more is 23505. The duplicates are ordinary writes of the transaction, so a
//! rollback (or a failed commit, which rolls back) leaves nothing, and `ROLLBACK TO
//! SAVEPOINT` drops both the entries and the checks queued after it. ON CONFLICT refuses such
//! an index as arbiter (55000), and foreign keys cannot reference it (55000), as in
//! PostgreSQL, so no lookup by exact key ever needs it.

use basalt_common::types::{CastContext, DataType, Value, format_text};
use basalt_txn::{IsolationLevel, LockMode, LockWait};

use crate::catalog::{
    Catalog, Constraint, ConstraintKind, FkAction, ForeignKey, Index, IndexKey, Table,
};
use crate::error::SqlError;
use crate::exec::{Cx, table_range};
use crate::expr::{Expr, Row, eval, truth};
use crate::row::{
    decode_row, encode_row, encode_row_into, index_prefix, push_key_values, push_table_prefix,
    table_prefix,
};

thread_local! {
    /// The key and row buffers an INSERT encodes each row into before handing both to the
    /// transaction (which copies them): one pair per thread, reused, instead of two
    /// allocations a row.
    static SCRATCH: std::cell::RefCell<(Vec<u8>, Vec<u8>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// A bound index of the table being written.
pub struct BoundIndex {
    /// The index.
    pub index: Index,
    /// Key expressions over the table row.
    pub keys: Vec<Expr>,
    /// A partial index's predicate over the table row.
    pub pred: Option<Expr>,
}

impl BoundIndex {
    /// Whether `row` has an entry in the index (a partial index's predicate is true).
    pub fn covers(&self, row: &[Value], cx: &mut Cx<'_>) -> Result<bool, SqlError> {
        match &self.pred {
            None => Ok(true),
            Some(p) => Ok(truth(&eval(p, row, cx)?) == Some(true)),
        }
    }
}

/// A bound CHECK constraint.
pub struct BoundCheck {
    /// Name.
    pub name: String,
    /// Expression over the table row.
    pub expr: Expr,
}

/// The unique indexes whose conflicts an INSERT's ON CONFLICT handles, by name (`None`: every
/// unique index, as DO NOTHING without a conflict target).
#[derive(Debug, Clone, Copy)]
pub struct Arbiters<'a>(pub Option<&'a [String]>);

impl Arbiters<'_> {
    /// Whether a conflict on index `name` is handled.
    pub fn covers(&self, name: &str) -> bool {
        self.0.is_none_or(|names| names.iter().any(|n| n == name))
    }
}

/// Everything needed to write one table within a statement.
pub struct TableWriter {
    /// The table.
    pub table: Table,
    /// Indexes (primary key first).
    pub indexes: Vec<BoundIndex>,
    /// CHECK constraints.
    pub checks: Vec<BoundCheck>,
    /// Outgoing foreign keys: (constraint, fk).
    pub fks: Vec<(Constraint, ForeignKey)>,
    /// Generated columns: (position, expression over the row, cast to the column type).
    pub generated: Vec<(usize, Expr)>,
    /// Columns of a domain type: (position, the domain's constraints).
    pub domains: Vec<(usize, std::sync::Arc<crate::usertypes::DomainChecks>)>,
}

/// `Failing row contains (...)`: the DETAIL of constraint violations.
pub fn failing_row(row: &[Value], cx: &Cx<'_>) -> String {
    let parts: Vec<String> = row
        .iter()
        .map(|v| format_text(v, &cx.func.types).unwrap_or_else(|| "null".into()))
        .collect();
    format!("Failing row contains ({}).", parts.join(", "))
}

pub(crate) fn key_detail(names: &[String], vals: &[Value], cx: &Cx<'_>) -> String {
    let v: Vec<String> = vals
        .iter()
        .map(|v| format_text(v, &cx.func.types).unwrap_or_else(|| "null".into()))
        .collect();
    format!("Key ({})=({})", names.join(", "), v.join(", "))
}

impl TableWriter {
    fn index_names(&self, bi: &BoundIndex) -> Vec<String> {
        bi.index
            .keys
            .iter()
            .map(|k| match k {
                IndexKey::Column(c) => self.table.columns[*c].name.clone(),
                IndexKey::Expr(s) => s.clone(),
            })
            .collect()
    }

    /// The row's key (`t` + OID + suffix); `row_id` is used for tables without a primary key.
    pub fn row_key(&self, row: &[Value], row_id: Option<u64>) -> Result<Vec<u8>, SqlError> {
        let mut key = Vec::with_capacity(16);
        self.row_key_into(&mut key, row, row_id)?;
        Ok(key)
    }

    /// [`TableWriter::row_key`] appended to `key`.
    fn row_key_into(
        &self,
        key: &mut Vec<u8>,
        row: &[Value],
        row_id: Option<u64>,
    ) -> Result<(), SqlError> {
        push_table_prefix(key, self.table.oid);
        match &self.table.primary_key {
            Some(cols) => {
                let vals: smallvec::SmallVec<[&Value; 4]> = cols.iter().map(|c| &row[*c]).collect();
                push_key_values(key, &vals, &[])?;
            }
            None => key.extend_from_slice(&row_id.unwrap_or(0).to_be_bytes()),
        }
        Ok(())
    }

    /// The entry key of `row` in index `bi` (the key values, then the row key's suffix for
    /// a non-unique entry), whether it is a unique entry, and the key values.
    pub(crate) fn index_key(
        &self,
        bi: &BoundIndex,
        row: &[Value],
        row_key: &[u8],
        cx: &mut Cx<'_>,
    ) -> Result<(Vec<u8>, bool, Vec<Value>), SqlError> {
        let mut vals = Vec::with_capacity(bi.keys.len());
        for k in &bi.keys {
            vals.push(eval(k, row, cx)?);
        }
        let mut key = index_prefix(bi.index.oid);
        push_key_values(&mut key, &vals.iter().collect::<Vec<_>>(), &bi.index.desc)?;
        let unique =
            bi.index.unique && (bi.index.nulls_not_distinct || !vals.iter().any(Value::is_null));
        if !unique || bi.index.deferrable {
            key.extend_from_slice(&row_key[5..]);
        }
        Ok((key, unique, vals))
    }

    /// The constraint a unique index backs.
    fn index_constraint(&self, bi: &BoundIndex) -> Option<&Constraint> {
        self.table.constraints.iter().find(|c| {
            matches!(c.kind, ConstraintKind::PrimaryKey { index } | ConstraintKind::Unique { index } if index == bi.index.oid)
        })
    }

    /// Checks the key of a deferrable unique index before `row_key`'s entry `ikey` is
    /// written: under an exclusive lock on the key's bare form (which serializes writers of
    /// one key value, as the entry itself does for other unique indexes), an entry of another
    /// row at the newest state queues a check (see [`crate::deferred`]) for the end of the
    /// statement, or for COMMIT while the constraint is deferred (then a lock held by another
    /// transaction queues the check at once instead of waiting). `other_key` is a second key
    /// of the same row (an update's old key) that does not count as a duplicate.
    fn check_deferrable(
        &self,
        bi: &BoundIndex,
        ikey: &[u8],
        row_key: &[u8],
        other_key: &[u8],
        vals: Vec<Value>,
        cx: &mut Cx<'_>,
    ) -> Result<(), SqlError> {
        let bare = &ikey[..ikey.len() - (row_key.len() - 5)];
        let con = self.index_constraint(bi);
        let deferred = cx
            .deferred
            .as_deref()
            .zip(con)
            .is_some_and(|(d, c)| d.is_deferred(c));
        // While deferred, a concurrent writer of the key does not make us wait (PostgreSQL
        // waits at the check): the check is queued, and takes the lock when it runs.
        let wait = if deferred {
            LockWait::SkipLocked
        } else {
            LockWait::Block
        };
        let mut duplicate =
            cx.txn.lock(bare, LockMode::Exclusive, wait)? == basalt_txn::LockOutcome::Skipped;
        if !duplicate {
            for item in cx.txn.scan_latest(basalt_storage::KeyRange::prefix(bare))? {
                let (_, v) = item?;
                if v != row_key && v != other_key {
                    duplicate = true;
                    break;
                }
            }
        }
        if !duplicate {
            return Ok(());
        }
        let constraint = con.map_or(0, |c| c.oid);
        match cx.deferred.as_deref_mut() {
            Some(d) => {
                d.push_unique(crate::deferred::PendingUnique {
                    constraint,
                    index: bi.index.oid,
                    key: bare.to_vec(),
                    vals,
                });
                Ok(())
            }
            None => Err(unique_violation(
                &self.table,
                &bi.index.name,
                &self.index_names(bi),
                &vals,
                cx,
            )),
        }
    }

    /// ON CONFLICT cannot use a deferrable unique index as arbiter (PostgreSQL's 55000; here
    /// every unique index covering the row is one).
    fn refuse_deferrable_arbiter(
        &self,
        row: &[Value],
        arbiters: Arbiters<'_>,
        cx: &mut Cx<'_>,
    ) -> Result<(), SqlError> {
        for bi in &self.indexes {
            if bi.index.unique
                && bi.index.deferrable
                && arbiters.covers(&bi.index.name)
                && bi.covers(row, cx)?
            {
                return Err(SqlError::new(
                    "55000",
                    "ON CONFLICT does not support deferrable unique constraints/exclusion constraints as arbiters",
                ));
            }
        }
        Ok(())
    }

    /// Computes the generated columns of a new row version (before it is checked).
    pub fn fill_generated(&self, row: &mut [Value], cx: &mut Cx<'_>) -> Result<(), SqlError> {
        for (c, e) in &self.generated {
            row[*c] = eval(e, row, cx)?;
        }
        Ok(())
    }

    /// Checks NOT NULL, CHECK and outgoing foreign keys of a new row version.
    pub fn check_row(&self, row: &[Value], cx: &mut Cx<'_>) -> Result<(), SqlError> {
        // PostgreSQL checks a domain when the value is converted, before the row's checks.
        for (i, d) in &self.domains {
            d.check(row.get(*i).unwrap_or(&Value::Null), cx)?;
        }
        for (i, c) in self.table.columns.iter().enumerate() {
            if c.not_null && row[i].is_null() {
                return Err(SqlError::new(
                    "23502",
                    format!(
                        "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
                        c.name, self.table.name
                    ),
                )
                .with_detail(failing_row(row, cx))
                .in_table(cx.catalog, &self.table)
                .with_column(&c.name));
            }
        }
        for ch in &self.checks {
            if truth(&eval(&ch.expr, row, cx)?) == Some(false) {
                return Err(SqlError::new(
                    "23514",
                    format!(
                        "new row for relation \"{}\" violates check constraint \"{}\"",
                        self.table.name, ch.name
                    ),
                )
                .with_detail(failing_row(row, cx))
                .in_table(cx.catalog, &self.table)
                .with_constraint(&ch.name));
            }
        }
        for (con, fk) in &self.fks {
            let name = &con.name;
            let vals: Vec<Value> = fk.columns.iter().map(|c| row[*c].clone()).collect();
            if vals.iter().any(Value::is_null) {
                if fk.match_full && !vals.iter().all(Value::is_null) {
                    return Err(SqlError::new(
                        "23503",
                        format!(
                            "insert or update on table \"{}\" violates foreign key constraint \"{name}\"",
                            self.table.name
                        ),
                    )
                    .with_detail("MATCH FULL does not allow mixing of null and nonnull key values.")
                    .in_table(cx.catalog, &self.table)
                    .with_constraint(name));
                }
                continue;
            }
            if let Some(d) = cx.deferred.as_deref_mut()
                && d.is_deferred(con)
            {
                d.push(crate::deferred::Pending {
                    constraint: con.oid,
                    referencing: true,
                    vals,
                });
                continue;
            }
            if !referenced_exists(cx, fk, &vals)? {
                let ref_name = cx
                    .catalog
                    .tables
                    .get(&fk.ref_table)
                    .map_or(String::new(), |t| t.name.clone());
                let names: Vec<String> = fk
                    .columns
                    .iter()
                    .map(|c| self.table.columns[*c].name.clone())
                    .collect();
                return Err(SqlError::new(
                    "23503",
                    format!(
                        "insert or update on table \"{}\" violates foreign key constraint \"{name}\"",
                        self.table.name
                    ),
                )
                .with_detail(format!(
                    "{} is not present in table \"{ref_name}\".",
                    key_detail(&names, &vals, cx)
                ))
                .in_table(cx.catalog, &self.table)
                .with_constraint(name));
            }
        }
        Ok(())
    }

    /// Inserts a checked row. With `arbiters` (ON CONFLICT), a conflict on one of the
    /// arbiter indexes returns `Ok(Some(existing row key))` instead of failing.
    pub fn insert(
        &self,
        row: &[Value],
        row_id: Option<u64>,
        cx: &mut Cx<'_>,
        arbiters: Option<Arbiters<'_>>,
    ) -> Result<Option<Vec<u8>>, SqlError> {
        // As PostgreSQL's speculative insertion: the arbiter indexes are checked first (a
        // conflict there is ON CONFLICT's), then the row is inserted, any other conflict
        // being a unique violation.
        if let Some(a) = arbiters {
            self.refuse_deferrable_arbiter(row, a, cx)?;
            if let Some(existing) = self.arbiter_conflict(row, row_id, a, cx)? {
                return Ok(Some(existing));
            }
        }
        let has_pk = self.table.primary_key.is_some();
        // Without other unique indexes, the row is written by the same call that checks its
        // key (nothing later can refuse it); else every check comes before the first write.
        if has_pk
            && !self
                .indexes
                .iter()
                .any(|b| b.index.unique && !b.index.is_row_key())
        {
            // Key and row are encoded into buffers reused from row to row (the write buffer
            // copies them); the key is copied out only when something else needs it.
            let secondary = self.indexes.iter().any(|bi| !bi.index.is_row_key());
            let (existing, key) = SCRATCH.with_borrow_mut(|(k, v)| {
                k.clear();
                self.row_key_into(k, row, row_id)?;
                v.clear();
                encode_row_into(v, row);
                let existing = cx.txn.put_new(k, v)?;
                let key = (existing.is_some() || secondary).then(|| k.clone());
                Ok::<_, SqlError>((existing, key))
            })?;
            let Some(key) = key else {
                return Ok(None);
            };
            if existing.is_some() {
                return Err(self.pk_conflict(row, cx));
            }
            for bi in &self.indexes {
                if bi.index.is_row_key() || !bi.covers(row, cx)? {
                    continue;
                }
                let (ikey, _, _) = self.index_key(bi, row, &key, cx)?;
                cx.txn.put(ikey, key.clone())?;
            }
            return Ok(None);
        }
        let key = self.row_key(row, row_id)?;
        if has_pk {
            cx.txn.lock(&key, LockMode::Exclusive, LockWait::Block)?;
            if cx.txn.get_latest(&key)?.is_some() {
                return Err(self.pk_conflict(row, cx));
            }
        }
        let mut entries = Vec::with_capacity(self.indexes.len());
        for bi in &self.indexes {
            if bi.index.is_row_key() || !bi.covers(row, cx)? {
                continue;
            }
            let (ikey, unique, vals) = self.index_key(bi, row, &key, cx)?;
            if unique && bi.index.deferrable {
                self.check_deferrable(bi, &ikey, &key, &key, vals, cx)?;
            } else if unique {
                cx.txn.lock(&ikey, LockMode::Exclusive, LockWait::Block)?;
                if let Some(existing) = cx.txn.get_latest(&ikey)?
                    && existing != key
                {
                    return Err(unique_violation(
                        &self.table,
                        &bi.index.name,
                        &self.index_names(bi),
                        &vals,
                        cx,
                    ));
                }
            }
            entries.push(ikey);
        }
        cx.txn.put(key.clone(), encode_row(row))?;
        for e in entries {
            cx.txn.put(e, key.clone())?;
        }
        Ok(None)
    }

    /// The existing row `row` conflicts with in one of the arbiter indexes (its key is
    /// locked then, as the insert would lock it).
    fn arbiter_conflict(
        &self,
        row: &[Value],
        row_id: Option<u64>,
        arbiters: Arbiters<'_>,
        cx: &mut Cx<'_>,
    ) -> Result<Option<Vec<u8>>, SqlError> {
        let key = self.row_key(row, row_id)?;
        let pk_arbiter = self.table.primary_key.is_some()
            && self
                .indexes
                .iter()
                .find(|b| b.index.primary)
                .is_none_or(|b| arbiters.covers(&b.index.name));
        if pk_arbiter {
            cx.txn.lock(&key, LockMode::Exclusive, LockWait::Block)?;
            if cx.txn.get_latest(&key)?.is_some() {
                return Ok(Some(key));
            }
        }
        for bi in &self.indexes {
            if bi.index.is_row_key()
                || !bi.index.unique
                || bi.index.deferrable
                || !arbiters.covers(&bi.index.name)
                || !bi.covers(row, cx)?
            {
                continue;
            }
            let (ikey, unique, _) = self.index_key(bi, row, &key, cx)?;
            if !unique {
                continue;
            }
            cx.txn.lock(&ikey, LockMode::Exclusive, LockWait::Block)?;
            if let Some(existing) = cx.txn.get_latest(&ikey)?
                && existing != key
            {
                return Ok(Some(existing));
            }
        }
        Ok(None)
    }

    /// The 23505 error of a primary-key conflict on writing `row`.
    fn pk_conflict(&self, row: &[Value], cx: &mut Cx<'_>) -> SqlError {
        let bi = self.indexes.iter().find(|b| b.index.primary);
        let (iname, names) = match bi {
            Some(b) => (b.index.name.clone(), self.index_names(b)),
            None => (format!("{}_pkey", self.table.name), vec![]),
        };
        let vals: Vec<Value> = self
            .table
            .primary_key
            .iter()
            .flatten()
            .map(|c| row[*c].clone())
            .collect();
        unique_violation(&self.table, &iname, &names, &vals, cx)
    }

    /// Deletes a row (its index entries too), applying referencing foreign keys' actions.
    pub fn delete(&self, key: &[u8], row: &[Value], cx: &mut Cx<'_>) -> Result<(), SqlError> {
        self.referenced_actions(row, None, cx)?;
        for bi in &self.indexes {
            if bi.index.is_row_key() || !bi.covers(row, cx)? {
                continue;
            }
            let (ikey, _, _) = self.index_key(bi, row, key, cx)?;
            cx.txn.delete(ikey)?;
        }
        cx.txn.delete(key.to_vec())?;
        Ok(())
    }

    /// Replaces `old` (at `key`) with `new` (checked).
    pub fn update(
        &self,
        key: &[u8],
        old: &[Value],
        new: &[Value],
        cx: &mut Cx<'_>,
    ) -> Result<(), SqlError> {
        let new_key = match &self.table.primary_key {
            Some(_) => self.row_key(new, None)?,
            None => key.to_vec(),
        };
        let key_changed = new_key != key;
        if key_changed {
            cx.txn
                .lock(&new_key, LockMode::Exclusive, LockWait::Block)?;
            if cx.txn.get_latest(&new_key)?.is_some() {
                return Err(self.pk_conflict(new, cx));
            }
            cx.txn.delete(key.to_vec())?;
        }
        for bi in &self.indexes {
            if bi.index.is_row_key() {
                continue;
            }
            let (old_in, new_in) = (bi.covers(old, cx)?, bi.covers(new, cx)?);
            let (okey, _, _) = self.index_key(bi, old, key, cx)?;
            let (nkey, unique, vals) = self.index_key(bi, new, &new_key, cx)?;
            if okey == nkey && !key_changed && old_in == new_in {
                continue;
            }
            if old_in {
                cx.txn.delete(okey)?;
            }
            if !new_in {
                continue;
            }
            if unique && bi.index.deferrable {
                self.check_deferrable(bi, &nkey, &new_key, key, vals, cx)?;
            } else if unique {
                cx.txn.lock(&nkey, LockMode::Exclusive, LockWait::Block)?;
                if let Some(existing) = cx.txn.get_latest(&nkey)?
                    && existing != key
                    && existing != new_key
                {
                    return Err(unique_violation(
                        &self.table,
                        &bi.index.name,
                        &self.index_names(bi),
                        &vals,
                        cx,
                    ));
                }
            }
            cx.txn.put(nkey, new_key.clone())?;
        }
        cx.txn.put(new_key, encode_row(new))?;
        // Referencing rows follow (ON UPDATE actions run after the row changed, as
        // PostgreSQL's RI triggers do).
        self.referenced_actions(old, Some(new), cx)?;
        Ok(())
    }

    /// ON DELETE / ON UPDATE actions of foreign keys referencing this table. `new` is the
    /// new row of an update (`None` for a delete).
    fn referenced_actions(
        &self,
        old: &[Value],
        new: Option<&[Value]>,
        cx: &mut Cx<'_>,
    ) -> Result<(), SqlError> {
        let catalog: &Catalog = cx.catalog;
        let refs: Vec<(Table, Constraint, ForeignKey)> = catalog
            .referencing(self.table.oid)
            .into_iter()
            .filter_map(|(t, c)| match &c.kind {
                ConstraintKind::ForeignKey(fk) => Some((t.clone(), c.clone(), fk.clone())),
                _ => None,
            })
            .collect();
        for (child, con, fk) in refs {
            let cname = &con.name;
            let old_vals: Vec<Value> = fk.ref_columns.iter().map(|c| old[*c].clone()).collect();
            if old_vals.iter().any(Value::is_null) {
                continue;
            }
            if let Some(new) = new {
                let new_vals: Vec<Value> = fk.ref_columns.iter().map(|c| new[*c].clone()).collect();
                if new_vals == old_vals {
                    continue;
                }
            }
            let action = if new.is_some() {
                fk.on_update
            } else {
                fk.on_delete
            };
            if action == FkAction::NoAction
                && let Some(d) = cx.deferred.as_deref_mut()
                && d.is_deferred(&con)
            {
                d.push(crate::deferred::Pending {
                    constraint: con.oid,
                    referencing: false,
                    vals: old_vals,
                });
                continue;
            }
            // Find referencing rows (a scan of the child table).
            let mut hits = Vec::new();
            let scan = cx
                .txn
                .scan(table_range(child.oid), basalt_storage::Direction::Forward)?;
            for item in scan {
                let (k, v) = item?;
                let mut row = decode_row(&v)?;
                row.resize(child.columns.len(), Value::Null);
                let vals: Vec<&Value> = fk.columns.iter().map(|c| &row[*c]).collect();
                if vals.iter().zip(&old_vals).all(|(a, b)| *a == b) {
                    hits.push((k, row));
                }
            }
            if hits.is_empty() {
                continue;
            }
            let child_writer = writer_for(cx.catalog, &child, &cx.func.types)?;
            match action {
                FkAction::NoAction | FkAction::Restrict => {
                    let names: Vec<String> = fk
                        .ref_columns
                        .iter()
                        .map(|c| self.table.columns[*c].name.clone())
                        .collect();
                    return Err(SqlError::new(
                        "23503",
                        format!(
                            "update or delete on table \"{}\" violates foreign key constraint \"{cname}\" on table \"{}\"",
                            self.table.name, child.name
                        ),
                    )
                    .with_detail(format!(
                        "{} is still referenced from table \"{}\".",
                        key_detail(&names, &old_vals, cx),
                        child.name
                    ))
                    // PostgreSQL names the referencing table here too (`errtableconstraint`
                    // of the foreign key's own table).
                    .in_table(cx.catalog, &child)
                    .with_constraint(cname));
                }
                FkAction::Cascade => {
                    for (k, row) in hits {
                        match new {
                            None => child_writer.delete(&k, &row, cx)?,
                            Some(new) => {
                                let mut nr = row.clone();
                                for (c, rc) in fk.columns.iter().zip(&fk.ref_columns) {
                                    nr[*c] = new[*rc].clone();
                                }
                                child_writer.fill_generated(&mut nr, cx)?;
                                child_writer.check_row(&nr, cx)?;
                                child_writer.update(&k, &row, &nr, cx)?;
                            }
                        }
                    }
                }
                FkAction::SetNull | FkAction::SetDefault => {
                    for (k, row) in hits {
                        let mut nr = row.clone();
                        for c in &fk.columns {
                            nr[*c] = if action == FkAction::SetNull {
                                Value::Null
                            } else {
                                column_default(cx.catalog, &child, *c, cx)?
                            };
                        }
                        child_writer.fill_generated(&mut nr, cx)?;
                        child_writer.check_row(&nr, cx)?;
                        child_writer.update(&k, &row, &nr, cx)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A 23505 on `table`'s unique index `index`: PostgreSQL names the index as the constraint,
/// whether or not a constraint backs it.
pub(crate) fn unique_violation(
    table: &Table,
    index: &str,
    names: &[String],
    vals: &[Value],
    cx: &Cx<'_>,
) -> SqlError {
    SqlError::new(
        "23505",
        format!("duplicate key value violates unique constraint \"{index}\""),
    )
    .with_detail(format!("{} already exists.", key_detail(names, vals, cx)))
    .in_table(cx.catalog, table)
    .with_constraint(index)
}

/// Whether the referenced table has a row with these values in the referenced columns.
pub(crate) fn referenced_exists(
    cx: &mut Cx<'_>,
    fk: &ForeignKey,
    vals: &[Value],
) -> Result<bool, SqlError> {
    let Some(parent) = cx.catalog.tables.get(&fk.ref_table).cloned() else {
        return Ok(false);
    };
    // Through the primary key when the FK references it.
    if parent.primary_key.as_deref() == Some(&fk.ref_columns[..]) {
        let mut key = table_prefix(parent.oid);
        push_key_values(&mut key, &vals.iter().collect::<Vec<_>>(), &[])?;
        cx.txn.lock(&key, LockMode::Shared, LockWait::Block)?;
        return Ok(cx.txn.get_latest(&key)?.is_some());
    }
    // Through a unique index on exactly these columns.
    let idx = cx
        .catalog
        .table_indexes(parent.oid)
        .into_iter()
        .find(|i| {
            i.unique
                && i.keys.len() == fk.ref_columns.len()
                && i.keys
                    .iter()
                    .zip(&fk.ref_columns)
                    .all(|(k, c)| matches!(k, IndexKey::Column(x) if x == c))
        })
        .cloned();
    if let Some(i) = idx {
        let mut key = index_prefix(i.oid);
        push_key_values(&mut key, &vals.iter().collect::<Vec<_>>(), &i.desc)?;
        cx.txn.lock(&key, LockMode::Shared, LockWait::Block)?;
        return Ok(cx.txn.get_latest(&key)?.is_some());
    }
    let scan = cx
        .txn
        .scan(table_range(parent.oid), basalt_storage::Direction::Forward)?;
    for item in scan {
        let (_, v) = item?;
        let row = decode_row(&v)?;
        if fk
            .ref_columns
            .iter()
            .zip(vals)
            .all(|(c, v)| row.get(*c) == Some(v))
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Binds the writer of `table` (CHECKs, index expressions, foreign keys).
pub fn writer_for(
    catalog: &Catalog,
    table: &Table,
    types: &basalt_common::types::TypeContext,
) -> Result<TableWriter, SqlError> {
    let scope = crate::binder::table_scope(table, &table.name);
    let mut b = crate::binder::Binder::new(catalog, vec![table.schema], *types);
    let mut indexes = Vec::new();
    for i in catalog.table_indexes(table.oid) {
        let mut keys = Vec::new();
        for k in &i.keys {
            keys.push(match k {
                IndexKey::Column(c) => Expr::Column(*c),
                IndexKey::Expr(s) => bind_text_expr(&mut b, s, &scope)?.0,
            });
        }
        let pred = match &i.predicate {
            Some(p) => Some(bind_text_expr(&mut b, p, &scope)?.0),
            None => None,
        };
        indexes.push(BoundIndex {
            index: i.clone(),
            keys,
            pred,
        });
    }
    let mut checks = Vec::new();
    let mut fks = Vec::new();
    for c in &table.constraints {
        match &c.kind {
            ConstraintKind::Check { expr } => {
                let (e, _) = bind_text_expr(&mut b, expr, &scope)?;
                checks.push(BoundCheck {
                    name: c.name.clone(),
                    expr: e,
                });
            }
            ConstraintKind::ForeignKey(fk) => fks.push((c.clone(), fk.clone())),
            _ => {}
        }
    }
    // PostgreSQL checks CHECK constraints in name order, which decides the one reported.
    checks.sort_by(|a, b| a.name.cmp(&b.name));
    let mut generated = Vec::new();
    for (i, c) in table.columns.iter().enumerate() {
        if let Some(text) = &c.generated {
            let (e, t) = bind_text_expr(&mut b, text, &scope)?;
            generated.push((i, b.coerce(e, &t, &c.ty, CastContext::Assignment)?));
        }
    }
    let mut domains = Vec::new();
    for (i, c) in table.columns.iter().enumerate() {
        if let Some(d) = c.domain {
            domains.push((i, crate::usertypes::DomainChecks::bind(catalog, d, types)?));
        }
    }
    Ok(TableWriter {
        table: table.clone(),
        indexes,
        checks,
        fks,
        generated,
        domains,
    })
}

/// Parses an expression stored as SQL text.
pub fn parse_text_expr(text: &str) -> Result<pg_query::protobuf::Node, SqlError> {
    let sql = format!("SELECT {text}");
    let parsed = crate::parse::parse(&sql, crate::parse::ParseOptions::default())?;
    parsed
        .statements()
        .next()
        .and_then(|s| match s.node() {
            Some(pg_query::protobuf::node::Node::SelectStmt(sel)) => {
                sel.target_list.first().and_then(|t| match t.node.as_ref() {
                    Some(pg_query::protobuf::node::Node::ResTarget(rt)) => {
                        rt.val.as_deref().cloned()
                    }
                    _ => None,
                })
            }
            _ => None,
        })
        .ok_or_else(|| SqlError::new("XX000", format!("bad stored expression: {text}")))
}

/// Parses and binds an expression stored as SQL text.
pub fn bind_text_expr(
    b: &mut crate::binder::Binder<'_>,
    text: &str,
    scope: &crate::binder::Scope,
) -> Result<(Expr, DataType), SqlError> {
    let node = parse_text_expr(text)?;
    // Positions would point into the stored text, not the statement: PostgreSQL gives none.
    b.bind_scalar(&node, scope, "this context")
        .map_err(SqlError::without_position)
}

/// The value of a column's DEFAULT (NULL without one), cast to the column type.
pub fn column_default(
    catalog: &Catalog,
    table: &Table,
    col: usize,
    cx: &mut Cx<'_>,
) -> Result<Value, SqlError> {
    let c = &table.columns[col];
    let Some(text) = catalog.column_default_text(c) else {
        return Ok(Value::Null);
    };
    let mut b = crate::binder::Binder::new(catalog, vec![table.schema], cx.func.types);
    let (e, t) = bind_text_expr(&mut b, text, &crate::binder::Scope::default())?;
    let e = b.coerce(e, &t, &c.ty, CastContext::Assignment)?;
    eval(&e, &[], cx)
}

/// Re-reads a row for UPDATE/DELETE after locking it (PostgreSQL's EvalPlanQual):
/// `Ok(None)` if it was deleted meanwhile, the newest version under READ COMMITTED, and
/// 40001 under REPEATABLE READ / SERIALIZABLE if it changed after the snapshot. `what` is
/// "updated" or "deleted", for the error about a row a called function changed.
pub fn lock_for_write(
    key: &[u8],
    seen: &[Value],
    width: usize,
    what: &str,
    cx: &mut Cx<'_>,
) -> Result<Option<Row>, SqlError> {
    // A row the running command already changed (another part of the same statement) is
    // skipped, as PostgreSQL skips rows modified by the same command.
    if written_by(key, cx) == Some(std::cmp::Ordering::Equal) {
        return Ok(None);
    }
    not_modified_later(key, what, cx)?;
    cx.txn.lock(key, LockMode::Exclusive, LockWait::Block)?;
    let latest = cx.txn.get_latest(key)?;
    let Some(bytes) = latest else {
        if cx.txn.isolation() != IsolationLevel::ReadCommitted {
            return Err(serialization_failure());
        }
        return Ok(None);
    };
    let mut row = decode_row(&bytes)?;
    row.resize(width, Value::Null);
    if row != seen && cx.txn.isolation() != IsolationLevel::ReadCommitted {
        return Err(serialization_failure());
    }
    Ok(Some(row))
}

/// Which command of the running statement wrote `key` ([`crate::snapshot::CommandLog::written_by`]).
fn written_by(key: &[u8], cx: &Cx<'_>) -> Option<std::cmp::Ordering> {
    cx.commands.as_ref().and_then(|c| c.lock().written_by(key))
}

/// 27000 when a later command than the running one (a volatile function it called) changed
/// the row at `key`, which the running command is about to change: PostgreSQL's
/// `TM_SelfModified` error (neither change could be kept safely).
pub fn not_modified_later(key: &[u8], what: &str, cx: &Cx<'_>) -> Result<(), SqlError> {
    if written_by(key, cx) == Some(std::cmp::Ordering::Greater) {
        return Err(SqlError::new(
            "27000",
            format!(
                "tuple to be {what} was already modified by an operation triggered by the current command"
            ),
        )
        .with_hint(
            "Consider using an AFTER trigger instead of a BEFORE trigger to propagate changes to other rows.",
        ));
    }
    Ok(())
}

fn serialization_failure() -> SqlError {
    SqlError::from(basalt_txn::TxnError::Serialization(
        basalt_txn::SerializationReason::ConcurrentUpdate,
    ))
}
