//! One snapshot for all parts of a statement with data-modifying WITH queries.
//!
//! In PostgreSQL the sub-statements of `WITH x AS (DELETE ...) SELECT ...` and the main query
//! all read the snapshot taken at the statement's start: none sees another's changes to the
//! tables (only the rows they pass through RETURNING). Basalt runs them one after the other
//! in the same key-value transaction, so [`StatementSnapshot`] wraps that transaction for the
//! statement: the first write to a key records the key's value as it was (its *before
//! image*); reads (`get`, `scan`) see before-images for keys the statement has written, so
//! they see the statement's start. `get_latest` stays the newest state, as uniqueness checks,
//! foreign keys and row locks need. Rows a sub-statement finds already changed by another are
//! skipped ([`crate::dml::lock_for_write`]), as PostgreSQL skips rows modified by the same
//! command.

use std::collections::BTreeMap;
use std::sync::Arc;

use basalt_storage::{Direction, KeyRange, KvPair};
use basalt_txn::{
    CommitInfo, IsolationLevel, LockMode, LockOutcome, LockWait, Result, SavepointId, Transaction,
    TxnScan,
};
use parking_lot::Mutex;

/// Keys written by the statement, with their values at the statement's start.
pub type BeforeImages = Arc<Mutex<BTreeMap<Vec<u8>, Option<Vec<u8>>>>>;

/// A transaction seen at the statement's start (see the module docs).
pub struct StatementSnapshot<'a> {
    inner: &'a mut dyn Transaction,
    before: BeforeImages,
}

impl<'a> StatementSnapshot<'a> {
    /// Wraps `inner`, recording before-images in `before`.
    pub fn new(inner: &'a mut dyn Transaction, before: BeforeImages) -> Self {
        StatementSnapshot { inner, before }
    }

    fn remember(&mut self, key: &[u8]) -> Result<()> {
        if self.before.lock().contains_key(key) {
            return Ok(());
        }
        let old = self.inner.get(key)?;
        self.before.lock().insert(key.to_vec(), old);
        Ok(())
    }
}

/// A scan of the transaction merged with the before-images in its range.
struct Merged {
    inner: std::iter::Peekable<TxnScan>,
    /// Before-images in the range, in scan order.
    before: std::collections::VecDeque<(Vec<u8>, Option<Vec<u8>>)>,
    forward: bool,
}

impl Iterator for Merged {
    type Item = Result<KvPair>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let ord = match (self.inner.peek(), self.before.front()) {
                (None, None) => return None,
                (Some(Err(_)), _) | (Some(_), None) => return self.inner.next(),
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(Ok((ik, _))), Some((bk, _))) => {
                    let o = ik.as_slice().cmp(bk.as_slice());
                    if self.forward { o } else { o.reverse() }
                }
            };
            match ord {
                std::cmp::Ordering::Less => return self.inner.next(),
                std::cmp::Ordering::Equal => {
                    self.inner.next();
                    if let Some((k, Some(v))) = self.before.pop_front() {
                        return Some(Ok((k, v)));
                    }
                }
                std::cmp::Ordering::Greater => {
                    if let Some((k, Some(v))) = self.before.pop_front() {
                        return Some(Ok((k, v)));
                    }
                }
            }
        }
    }
}

impl Transaction for StatementSnapshot<'_> {
    fn id(&self) -> u64 {
        self.inner.id()
    }
    fn isolation(&self) -> IsolationLevel {
        self.inner.isolation()
    }
    fn start_statement(&mut self) {
        self.inner.start_statement();
    }
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(v) = self.before.lock().get(key) {
            return Ok(v.clone());
        }
        self.inner.get(key)
    }
    fn get_latest(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.inner.get_latest(key)
    }
    fn scan(&mut self, range: KeyRange, direction: Direction) -> Result<TxnScan> {
        let forward = matches!(direction, Direction::Forward);
        let mut before: std::collections::VecDeque<_> = self
            .before
            .lock()
            .range::<[u8], _>(range.as_slices())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let inner = self.inner.scan(range, direction)?;
        if before.is_empty() {
            return Ok(inner);
        }
        if !forward {
            before = before.into_iter().rev().collect();
        }
        Ok(Box::new(Merged {
            inner: inner.peekable(),
            before,
            forward,
        }))
    }
    fn scan_latest(&mut self, range: KeyRange) -> Result<TxnScan> {
        self.inner.scan_latest(range)
    }
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<()> {
        self.remember(&key)?;
        self.inner.put(key, value)
    }
    fn delete(&mut self, key: Vec<u8>) -> Result<()> {
        self.remember(&key)?;
        self.inner.delete(key)
    }
    fn lock(&mut self, key: &[u8], mode: LockMode, wait: LockWait) -> Result<LockOutcome> {
        self.inner.lock(key, mode, wait)
    }
    fn savepoint(&mut self) -> SavepointId {
        self.inner.savepoint()
    }
    fn rollback_to_savepoint(&mut self, savepoint: SavepointId) -> Result<()> {
        self.inner.rollback_to_savepoint(savepoint)
    }
    fn release_savepoint(&mut self, savepoint: SavepointId) -> Result<()> {
        self.inner.release_savepoint(savepoint)
    }
    fn commit(self) -> Result<CommitInfo> {
        // The statement never ends the transaction it wraps.
        Err(basalt_txn::TxnError::Failed(
            "a statement snapshot cannot commit".into(),
        ))
    }
    fn rollback(self) {}
}
