//! Command snapshots within one statement: what each part of a statement reads.
//!
//! In PostgreSQL every command reads a snapshot that shows the writes of earlier commands of
//! its transaction and none of its own: a statement does not see the rows it has written so
//! far, the sub-statements of `WITH x AS (DELETE ...) SELECT ...` and the main query all read
//! the statement's start (they are one command), a STABLE or IMMUTABLE function's body reads
//! its caller's snapshot, and each statement of a VOLATILE function (or procedure) is a new
//! command that sees everything written before it, the calling statement's rows included.
//!
//! Basalt runs all of this in one key-value transaction whose reads see all its own writes, so
//! [`StatementSnapshot`] wraps that transaction for a statement and keeps a [`CommandLog`]:
//! commands are numbered as they start (the statement is 0, [`CommandLog::begin_command`] for
//! each statement of a volatile body), every write is tagged with the running command, and the
//! first write of a command to a key records the key's value before it. A read by command `c`
//! of a key that some command `>= c` wrote returns the value recorded by the first such write
//! (the value before any of them); other keys read through. So a command sees the writes of
//! the commands before it and nothing of its own or of later ones, as PostgreSQL's command
//! ids give. `get_latest` / `scan_latest` stay the newest state, as uniqueness checks, foreign
//! keys and row locks need. A row the running command already changed is skipped by UPDATE /
//! DELETE, and one a later command (a volatile function called by it) changed is 27000
//! ([`crate::dml::lock_for_write`]), as in PostgreSQL.
//!
//! The engine wraps a statement when it has data-modifying WITH queries or when the catalog
//! holds SQL functions (only they run commands inside a statement); recording a write costs
//! one read of the key, which other statements do not pay.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use basalt_storage::{Direction, KeyRange, KvPair};
use basalt_txn::{
    CommitInfo, IsolationLevel, LockMode, LockOutcome, LockWait, Result, SavepointId, Transaction,
    Ts, TxnScan,
};
use parking_lot::Mutex;
use smallvec::SmallVec;

/// The commands of one statement and what they wrote (see the module docs).
#[derive(Debug, Default)]
pub struct CommandLog {
    /// The command running now: its writes are tagged with it and it reads what the commands
    /// before it wrote.
    current: u32,
    /// The last command number handed out.
    last: u32,
    /// For each key written: (command, the key's value before that command's first write to
    /// it), in the order written.
    keys: BTreeMap<Vec<u8>, SmallVec<[Written; 1]>>,
}

/// A command's first write to a key: the command and the key's value before it.
type Written = (u32, Option<Vec<u8>>);

/// A statement's command log, shared by the execution contexts of its parts.
pub type Commands = Arc<Mutex<CommandLog>>;

impl CommandLog {
    /// Starts a new command (a statement of a volatile function's body); returns the one
    /// running before, for [`CommandLog::end_command`].
    pub fn begin_command(&mut self) -> u32 {
        let before = self.current;
        self.last += 1;
        self.current = self.last;
        before
    }

    /// Returns to the command that ran before [`CommandLog::begin_command`].
    pub fn end_command(&mut self, before: u32) {
        self.current = before;
    }

    /// The value the running command reads for `key`, when it differs from the newest one.
    fn visible(&self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        self.visible_of(self.keys.get(key)?)
    }

    fn visible_of(&self, entries: &[Written]) -> Option<Option<Vec<u8>>> {
        entries
            .iter()
            .find(|(c, _)| *c >= self.current)
            .map(|(_, v)| v.clone())
    }

    /// Whether `key` was written by the running command (`Equal`) or by a later one
    /// (`Greater`: a volatile function it called); `None` otherwise.
    pub fn written_by(&self, key: &[u8]) -> Option<Ordering> {
        let entries = self.keys.get(key)?;
        let current = self.current;
        if entries.iter().any(|(c, _)| *c > current) {
            Some(Ordering::Greater)
        } else if entries.iter().any(|(c, _)| *c == current) {
            Some(Ordering::Equal)
        } else {
            None
        }
    }

    /// Whether a write of `key` by the running command must record its old value.
    fn needs_record(&self, key: &[u8]) -> bool {
        self.keys
            .get(key)
            .and_then(|e| e.last())
            .is_none_or(|(c, _)| *c != self.current)
    }

    fn record(&mut self, key: &[u8], old: Option<Vec<u8>>) {
        let current = self.current;
        self.keys
            .entry(key.to_vec())
            .or_default()
            .push((current, old));
    }
}

/// A transaction seen by the running command of a statement (see the module docs).
pub struct StatementSnapshot<'a> {
    inner: &'a mut dyn Transaction,
    log: Commands,
}

impl<'a> StatementSnapshot<'a> {
    /// Wraps `inner`, recording writes in `log`.
    pub fn new(inner: &'a mut dyn Transaction, log: Commands) -> Self {
        StatementSnapshot { inner, log }
    }

    fn remember(&mut self, key: &[u8]) -> Result<()> {
        if !self.log.lock().needs_record(key) {
            return Ok(());
        }
        let old = self.inner.get(key)?;
        self.log.lock().record(key, old);
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
    // Only keys this transaction wrote read differently here, which the promise leaves out.
    fn snapshot_ts(&mut self) -> Option<Ts> {
        self.inner.snapshot_ts()
    }
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(v) = self.log.lock().visible(key) {
            return Ok(v);
        }
        self.inner.get(key)
    }
    fn get_latest(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.inner.get_latest(key)
    }
    fn scan(&mut self, range: KeyRange, direction: Direction) -> Result<TxnScan> {
        let forward = matches!(direction, Direction::Forward);
        let mut before: std::collections::VecDeque<_> = {
            let log = self.log.lock();
            log.keys
                .range::<[u8], _>(range.as_slices())
                .filter_map(|(k, e)| log.visible_of(e).map(|v| (k.clone(), v)))
                .collect()
        };
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
    // The statement's own writes are the transaction's: sizes count them already.
    fn approximate_size(&mut self, range: KeyRange) -> Result<u64> {
        self.inner.approximate_size(range)
    }
    fn namespace_size(&mut self, id: Option<u32>) -> Result<Option<u64>> {
        self.inner.namespace_size(id)
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
