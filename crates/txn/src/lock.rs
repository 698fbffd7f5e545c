//! The row lock manager: shared and exclusive locks on keys, FIFO wait queues, deadlock
//! detection, lock timeouts, and waits a query cancel or statement timeout interrupts (the
//! waiter polls its [`Interrupt`] flag every few milliseconds and leaves the queue as on a
//! timeout).
//!
//! # Design
//! One table maps a key to its holders and its queue of waiters, behind a single mutex. A
//! request is granted at once when it is compatible with every other holder and nobody waits
//! ahead of it (FIFO, so a stream of shared lockers cannot starve an exclusive one). An upgrade
//! (shared holder asking for exclusive) goes to the front of the queue. Otherwise the requester
//! enqueues a waiter and sleeps on its own parker; whoever releases a lock grants waiters from the
//! front of the queue while they are compatible and wakes them.
//!
//! # Deadlocks
//! A transaction waits for the holders of its key whose mode conflicts with its request and for
//! the conflicting waiters queued ahead of it. On enqueueing, and again every
//! `deadlock_check_interval` while it sleeps, the waiter searches this waits-for graph from
//! itself; if it finds a cycle back to itself it leaves the queue and fails with 40P01 (like
//! PostgreSQL, the transaction that runs the check is the victim). Checking at every new wait
//! finds each cycle when it closes; the periodic re-check covers cycles formed when a lock passes
//! from one holder to the next waiter.
//!
//! # Keys are hashed
//! The table is keyed by a 64-bit hash of the row key (foldhash, seeded at random per lock
//! manager, so clients cannot choose colliding keys in advance), not by the key itself: a new
//! lock allocates nothing for its key, and a transaction remembers its locks as hashes. Two
//! keys whose hashes collide share one lock. That only ever serializes more (a writer may
//! wait for an unrelated transaction, or, rarer still, be chosen as a deadlock victim); with
//! n keys locked at once the chance of any collision is about n²/2⁶⁵ (10⁻⁸ for a million).
//! Callers must not infer from [`Acquired::AlreadyHeld`] that they locked that very key
//! before.
//!
//! The hash is that of all but the key's last eight bytes, plus those eight bytes read as a
//! big-endian integer. Keys that differ only in a trailing integer (integer primary keys and
//! row ids, which a bulk load writes in sequence) so get consecutive lock-table keys: such keys
//! never collide with each other, keys with different heads collide as rarely as before (the
//! head's hash is seeded at random), and a transaction's implicit locks (below) keep runs of
//! them as two numbers. The lock table itself places keys by a multiplicative mix of them:
//! placing consecutive keys in consecutive slots made a lookup of a key not in the table
//! (every implicit lock asks) probe through the dense block of slots its predecessors filled.
//!
//! # Implicit locks
//! A transaction that already holds many locks (a bulk load, a large UPDATE) takes its further
//! exclusive locks *implicitly*: [`LockManager::acquire_implicit`] records the key in the
//! transaction's own set instead of a table entry with holders and a queue (about 50 bytes,
//! and a lock-log entry in the transaction), when nobody holds or waits for it. The set keeps
//! runs of consecutive lock keys as their bounds (a bulk load's sequential keys: one run for a
//! million rows) and other keys at 8 bytes each (`KeySet`). Whoever next asks for such a key,
//! finding no entry, looks through the (few) implicit sets; finding it in another transaction's set, it first *converts* the lock into an
//! ordinary entry held by that transaction (InnoDB's implicit-to-explicit conversion), then
//! queues as usual. Both happen under the table mutex, so a key is never held implicitly by
//! one transaction and explicitly by another. A transaction's implicit set and the entries
//! converted from it go when it releases everything at its end ([`LockManager::release_all_keys`]).
//!
//! # Invariants
//! - A key's entry exists only while it has holders or waiters.
//! - A key in a transaction's implicit set has no entry, and is in no other implicit set.
//! - A waiter is either in its key's queue (not granted) or among the holders (granted), never
//!   both; the parker's flag says which, and is set under the table mutex.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use std::collections::hash_map::Entry as Entry_;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use smallvec::SmallVec;
use std::sync::Arc;
use std::time::{Duration, Instant};

use basalt_common::Interrupt;
use parking_lot::{Condvar, Mutex};

/// How often a waiting lock request with an interrupt flag looks at it.
const INTERRUPT_POLL: Duration = Duration::from_millis(10);

use crate::kv::{LockMode, LockWait};
use crate::{Result, TxnError};

/// Transaction identifier used as the lock owner.
pub type TxnId = u64;

fn compatible(a: LockMode, b: LockMode) -> bool {
    a == LockMode::Shared && b == LockMode::Shared
}

/// How a lock request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acquired {
    /// Newly taken: the caller must release it at the end of the transaction.
    New,
    /// A shared lock the caller held was upgraded to exclusive.
    Upgraded,
    /// The caller already held the lock in this or a stronger mode.
    AlreadyHeld,
    /// Newly taken as an implicit lock (see the module docs): released with every other lock
    /// of the transaction at its end, or by [`LockManager::release_key`].
    Implicit,
    /// Not taken (`SKIP LOCKED`).
    Skipped,
}

#[derive(Default)]
struct Parker {
    granted: Mutex<bool>,
    cv: Condvar,
}

struct Waiter {
    txn: TxnId,
    mode: LockMode,
    parker: Arc<Parker>,
}

#[derive(Default)]
struct Entry {
    /// Almost always one holder: kept inline, so a new lock allocates nothing.
    holders: SmallVec<[(TxnId, LockMode); 1]>,
    queue: Queue,
}

/// A key's waiters, FIFO. Almost always none: boxed, so an entry stays small (a bulk load
/// holds millions of entries, and the table's size decides its cache misses).
#[derive(Default)]
#[allow(
    clippy::box_collection,
    reason = "one pointer in the entry instead of a 32-byte VecDeque; the box exists only while someone waits"
)]
struct Queue(Option<Box<VecDeque<Waiter>>>);

impl Queue {
    fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|q| q.is_empty())
    }

    fn front(&self) -> Option<&Waiter> {
        self.0.as_ref().and_then(|q| q.front())
    }

    fn pop_front(&mut self) -> Option<Waiter> {
        self.0.as_mut().and_then(|q| q.pop_front())
    }

    fn push_front(&mut self, w: Waiter) {
        self.0.get_or_insert_default().push_front(w);
    }

    fn push_back(&mut self, w: Waiter) {
        self.0.get_or_insert_default().push_back(w);
    }

    fn retain(&mut self, keep: impl FnMut(&Waiter) -> bool) {
        if let Some(q) = &mut self.0 {
            q.retain(keep);
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Waiter> {
        self.0.iter().flat_map(|q| q.iter())
    }
}

/// A row key's lock-table key: its 64-bit hash (see the module docs).
pub type LockKey = u64;

/// Lock keys are already hashes; the table's hasher spreads them by one multiplication (an
/// odd constant: consecutive keys land far apart, and the top bits that the table compares
/// as a tag depend on the whole key).
#[derive(Default, Clone, Copy)]
struct Spread(u64);

impl Hasher for Spread {
    fn finish(&self) -> u64 {
        let h = self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^ (h >> 32)
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used (the keys are u64); fold anything else in for totality.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type ById = BuildHasherDefault<Spread>;

#[derive(Default)]
struct Table {
    entries: HashMap<LockKey, Entry, ById>,
    /// What each waiting transaction waits for: its key and requested mode.
    waiting: HashMap<TxnId, (LockKey, LockMode)>,
    /// Transactions holding implicit locks (see the module docs); rarely more than a few.
    implicit: Vec<Implicit>,
}

/// One transaction's implicit exclusive locks, and the keys converted from them to entries it
/// holds (released with it).
struct Implicit {
    txn: TxnId,
    keys: KeySet,
    converted: Vec<LockKey>,
}

/// A set of lock keys: runs of consecutive keys as their bounds, and the other keys one by
/// one. Keys are added only when not in the set, so the parts never overlap.
#[derive(Default)]
struct KeySet {
    /// The run keys are being appended to, `[start, end)`.
    open: Option<(LockKey, LockKey)>,
    /// Closed runs of at least [`KeySet::MIN_RUN`] keys: start -> end (exclusive).
    runs: BTreeMap<LockKey, LockKey>,
    singles: HashSet<LockKey, ById>,
    len: usize,
}

impl KeySet {
    /// Shorter runs are kept as single keys when closed.
    const MIN_RUN: u64 = 8;

    fn len(&self) -> usize {
        self.len
    }

    fn contains(&self, key: LockKey) -> bool {
        if self.open.is_some_and(|(s, e)| s <= key && key < e) {
            return true;
        }
        if !self.singles.is_empty() && self.singles.contains(&key) {
            return true;
        }
        !self.runs.is_empty()
            && self
                .runs
                .range(..=key)
                .next_back()
                .is_some_and(|(_, &e)| key < e)
    }

    /// Adds `key`, which is not in the set.
    fn insert(&mut self, key: LockKey) {
        self.len += 1;
        if let Some((s, e)) = self.open
            && key == e
            && let Some(next) = e.checked_add(1)
        {
            self.open = Some((s, next));
            return;
        }
        if let Some((s, e)) = self.open.take() {
            self.add_closed(s, e);
        }
        match key.checked_add(1) {
            Some(next) => self.open = Some((key, next)),
            None => {
                self.singles.insert(key);
            }
        }
    }

    /// Removes `key`; whether it was there.
    fn remove(&mut self, key: LockKey) -> bool {
        let found = if let Some((s, e)) = self.open
            && s <= key
            && key < e
        {
            self.open = (key + 1 < e).then_some((key + 1, e));
            self.add_closed(s, key);
            true
        } else if let Some((&s, &e)) = self.runs.range(..=key).next_back()
            && key < e
        {
            self.runs.remove(&s);
            self.add_closed(s, key);
            self.add_closed(key + 1, e);
            true
        } else {
            self.singles.remove(&key)
        };
        if found {
            self.len -= 1;
        }
        found
    }

    fn add_closed(&mut self, start: LockKey, end: LockKey) {
        if end.saturating_sub(start) >= Self::MIN_RUN {
            self.runs.insert(start, end);
        } else {
            self.singles.extend(start..end);
        }
    }
}

/// The lock manager. Cheap to share behind an `Arc`.
pub struct LockManager {
    table: Mutex<Table>,
    hasher: foldhash::fast::RandomState,
    deadlock_check_interval: Duration,
}

impl LockManager {
    /// A lock manager that re-checks for deadlocks every `deadlock_check_interval` while a
    /// transaction waits.
    pub fn new(deadlock_check_interval: Duration) -> Self {
        LockManager {
            table: Mutex::new(Table::default()),
            hasher: foldhash::fast::RandomState::default(),
            deadlock_check_interval,
        }
    }

    /// The lock-table key of `key`: the hash of all but its last eight bytes plus those
    /// bytes read as a big-endian integer (see the module docs).
    pub fn key_of(&self, key: &[u8]) -> LockKey {
        match key.len().checked_sub(8) {
            Some(at) => {
                let (head, tail) = key.split_at(at);
                let mut n = [0u8; 8];
                n.copy_from_slice(tail);
                self.hasher
                    .hash_one(head)
                    .wrapping_add(u64::from_be_bytes(n))
            }
            None => self.hasher.hash_one(key),
        }
    }

    /// Takes `mode` on `key` for `txn`.
    pub fn acquire(
        &self,
        txn: TxnId,
        key: &[u8],
        mode: LockMode,
        wait: LockWait,
        timeout: Option<Duration>,
    ) -> Result<Acquired> {
        self.acquire_key(txn, self.key_of(key), mode, wait, timeout)
    }

    /// An exclusive lock on `key` for `txn`, taken implicitly when nobody else holds or waits
    /// for it (see the module docs); otherwise as [`LockManager::acquire_key`] takes it.
    pub fn acquire_implicit(
        &self,
        txn: TxnId,
        key: LockKey,
        wait: LockWait,
        timeout: Option<Duration>,
    ) -> Result<Acquired> {
        self.acquire_implicit_with(txn, key, wait, timeout, None)
    }

    /// [`LockManager::acquire_implicit`], a wait stopping when `interrupt` is raised.
    pub fn acquire_implicit_with(
        &self,
        txn: TxnId,
        key: LockKey,
        wait: LockWait,
        timeout: Option<Duration>,
        interrupt: Option<&Interrupt>,
    ) -> Result<Acquired> {
        {
            let mut table = self.table.lock();
            if !table.entries.contains_key(&key) {
                let mut own = None;
                let mut taken = false;
                for (i, im) in table.implicit.iter().enumerate() {
                    if im.txn == txn {
                        if im.keys.contains(key) {
                            return Ok(Acquired::AlreadyHeld);
                        }
                        own = Some(i);
                    } else if im.keys.contains(key) {
                        taken = true;
                    }
                }
                if !taken {
                    let i = own.unwrap_or_else(|| {
                        table.implicit.push(Implicit {
                            txn,
                            keys: KeySet::default(),
                            converted: Vec::new(),
                        });
                        table.implicit.len() - 1
                    });
                    table.implicit[i].keys.insert(key);
                    return Ok(Acquired::Implicit);
                }
            }
        }
        // Held or awaited by someone: the ordinary way (which converts another's implicit
        // lock first).
        self.acquire_key_with(txn, key, LockMode::Exclusive, wait, timeout, interrupt)
    }

    /// Makes another transaction's implicit lock on `key` an entry it holds, so that `txn` can
    /// queue behind it; `true` if `txn` itself holds `key` implicitly.
    fn convert_implicit(table: &mut Table, txn: TxnId, key: LockKey) -> bool {
        if table.implicit.is_empty() || table.entries.contains_key(&key) {
            return false;
        }
        let Some(im) = table.implicit.iter_mut().find(|im| im.keys.contains(key)) else {
            return false;
        };
        if im.txn == txn {
            return true;
        }
        im.keys.remove(key);
        im.converted.push(key);
        let owner = im.txn;
        table.entries.insert(
            key,
            Entry {
                holders: smallvec::smallvec![(owner, LockMode::Exclusive)],
                queue: Queue::default(),
            },
        );
        false
    }

    /// [`LockManager::acquire`] by lock-table key.
    pub fn acquire_key(
        &self,
        txn: TxnId,
        key: LockKey,
        mode: LockMode,
        wait: LockWait,
        timeout: Option<Duration>,
    ) -> Result<Acquired> {
        self.acquire_key_with(txn, key, mode, wait, timeout, None)
    }

    /// [`LockManager::acquire_key`], a wait stopping with [`TxnError::Interrupted`] when
    /// `interrupt` is raised (query cancel, statement timeout): the request leaves the queue
    /// as a timed-out one does.
    pub fn acquire_key_with(
        &self,
        txn: TxnId,
        key: LockKey,
        mode: LockMode,
        wait: LockWait,
        timeout: Option<Duration>,
        interrupt: Option<&Interrupt>,
    ) -> Result<Acquired> {
        let (parker, upgrade) = {
            let mut table = self.table.lock();
            if Self::convert_implicit(&mut table, txn, key) {
                return Ok(Acquired::AlreadyHeld);
            }
            let entry = match table.entries.entry(key) {
                Entry_::Occupied(e) => e.into_mut(),
                Entry_::Vacant(e) => {
                    e.insert(Entry {
                        holders: smallvec::smallvec![(txn, mode)],
                        queue: Queue::default(),
                    });
                    return Ok(Acquired::New);
                }
            };
            let held = entry.holders.iter().position(|&(t, _)| t == txn);
            if let Some(i) = held
                && entry.holders[i].1 >= mode
            {
                return Ok(Acquired::AlreadyHeld);
            }
            let others_ok = entry
                .holders
                .iter()
                .all(|&(t, m)| t == txn || compatible(m, mode));
            let is_upgrade = held.is_some();
            if others_ok && (entry.queue.is_empty() || is_upgrade) {
                return Ok(match held {
                    Some(i) => {
                        entry.holders[i].1 = mode;
                        Acquired::Upgraded
                    }
                    None => {
                        entry.holders.push((txn, mode));
                        Acquired::New
                    }
                });
            }
            match wait {
                LockWait::NoWait => {
                    Self::forget_if_unused(&mut table, key);
                    return Err(TxnError::LockNotAvailable(
                        "could not obtain lock on row".to_string(),
                    ));
                }
                LockWait::SkipLocked => {
                    Self::forget_if_unused(&mut table, key);
                    return Ok(Acquired::Skipped);
                }
                LockWait::Block => {}
            }
            let parker = Arc::new(Parker::default());
            let waiter = Waiter {
                txn,
                mode,
                parker: parker.clone(),
            };
            if is_upgrade {
                entry.queue.push_front(waiter);
            } else {
                entry.queue.push_back(waiter);
            }
            table.waiting.insert(txn, (key, mode));
            if Self::in_cycle(&table, txn) {
                Self::leave_queue(&mut table, txn, key);
                return Err(deadlock_error());
            }
            (parker, is_upgrade)
        };
        let kind = if upgrade {
            Acquired::Upgraded
        } else {
            Acquired::New
        };
        self.wait(txn, key, &parker, timeout, interrupt)
            .map(|()| kind)
    }

    fn wait(
        &self,
        txn: TxnId,
        key: LockKey,
        parker: &Parker,
        timeout: Option<Duration>,
        interrupt: Option<&Interrupt>,
    ) -> Result<()> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let mut slice = self.deadlock_check_interval;
            if let Some(d) = deadline {
                slice = slice.min(d.saturating_duration_since(Instant::now()));
            }
            // Nothing wakes the parker on an interrupt: it is polled this often.
            if interrupt.is_some() {
                slice = slice.min(INTERRUPT_POLL);
            }
            {
                let mut granted = parker.granted.lock();
                if !*granted {
                    parker.cv.wait_for(&mut granted, slice);
                }
                if *granted {
                    return Ok(());
                }
            }
            let mut table = self.table.lock();
            if *parker.granted.lock() {
                return Ok(());
            }
            if let Some(reason) = interrupt.and_then(Interrupt::raised) {
                Self::leave_queue(&mut table, txn, key);
                return Err(TxnError::Interrupted(reason));
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                Self::leave_queue(&mut table, txn, key);
                return Err(TxnError::LockNotAvailable(
                    "canceling statement due to lock timeout".to_string(),
                ));
            }
            if Self::in_cycle(&table, txn) {
                Self::leave_queue(&mut table, txn, key);
                return Err(deadlock_error());
            }
        }
    }

    /// Releases every lock `txn` holds on `keys` and grants waiters that can now proceed.
    pub fn release_all<'a>(&self, txn: TxnId, keys: impl IntoIterator<Item = &'a [u8]>) {
        self.release_all_keys(txn, keys.into_iter().map(|k| self.key_of(k)));
    }

    /// [`LockManager::release_all`] by lock-table keys; also releases `txn`'s implicit locks
    /// and the entries converted from them (called at every transaction's end).
    pub fn release_all_keys(&self, txn: TxnId, keys: impl IntoIterator<Item = LockKey>) {
        let mut table = self.table.lock();
        for key in keys {
            Self::release_locked(&mut table, txn, key);
        }
        if let Some(i) = table.implicit.iter().position(|im| im.txn == txn) {
            let im = table.implicit.swap_remove(i);
            for key in im.converted {
                Self::release_locked(&mut table, txn, key);
            }
        }
    }

    /// Releases `txn`'s lock on `key`.
    pub fn release(&self, txn: TxnId, key: &[u8]) {
        self.release_key(txn, self.key_of(key));
    }

    /// [`LockManager::release`] by lock-table key (an implicit lock too).
    pub fn release_key(&self, txn: TxnId, key: LockKey) {
        let mut table = self.table.lock();
        if !table.entries.contains_key(&key)
            && let Some(im) = table.implicit.iter_mut().find(|im| im.txn == txn)
            && im.keys.remove(key)
        {
            return;
        }
        Self::release_locked(&mut table, txn, key);
    }

    /// Downgrades `txn`'s lock on `key` back to shared (undoing an upgrade at a savepoint
    /// rollback).
    pub fn downgrade(&self, txn: TxnId, key: &[u8]) {
        self.downgrade_key(txn, self.key_of(key));
    }

    /// [`LockManager::downgrade`] by lock-table key.
    pub fn downgrade_key(&self, txn: TxnId, key: LockKey) {
        let mut table = self.table.lock();
        if let Some(entry) = table.entries.get_mut(&key) {
            for h in entry.holders.iter_mut().filter(|(t, _)| *t == txn) {
                h.1 = LockMode::Shared;
            }
        }
        Self::grant_waiters(&mut table, key);
    }

    /// Number of keys with holders or waiters, implicit locks included (for tests and
    /// monitoring).
    pub fn locked_keys(&self) -> usize {
        let table = self.table.lock();
        table.entries.len() + table.implicit.iter().map(|im| im.keys.len()).sum::<usize>()
    }

    fn release_locked(table: &mut Table, txn: TxnId, key: LockKey) {
        if let Entry_::Occupied(mut e) = table.entries.entry(key) {
            let entry = e.get_mut();
            entry.holders.retain(|h| h.0 != txn);
            if entry.queue.is_empty() {
                // Nobody to wake (the common case): one lookup.
                if entry.holders.is_empty() {
                    e.remove();
                }
                return;
            }
        }
        Self::grant_waiters(table, key);
    }

    fn grant_waiters(table: &mut Table, key: LockKey) {
        let Some(entry) = table.entries.get_mut(&key) else {
            return;
        };
        let mut granted = Vec::new();
        while let Some(front) = entry.queue.front() {
            let ok = entry
                .holders
                .iter()
                .all(|&(t, m)| t == front.txn || compatible(m, front.mode));
            if !ok {
                break;
            }
            let Some(w) = entry.queue.pop_front() else {
                break;
            };
            match entry.holders.iter_mut().find(|(t, _)| *t == w.txn) {
                Some(h) => h.1 = w.mode,
                None => entry.holders.push((w.txn, w.mode)),
            }
            granted.push(w);
        }
        if entry.holders.is_empty() && entry.queue.is_empty() {
            table.entries.remove(&key);
        }
        for w in granted {
            table.waiting.remove(&w.txn);
            *w.parker.granted.lock() = true;
            w.parker.cv.notify_one();
        }
    }

    fn leave_queue(table: &mut Table, txn: TxnId, key: LockKey) {
        table.waiting.remove(&txn);
        if let Some(entry) = table.entries.get_mut(&key) {
            entry.queue.retain(|w| w.txn != txn);
        }
        // Leaving may unblock waiters queued behind us.
        Self::grant_waiters(table, key);
    }

    fn forget_if_unused(table: &mut Table, key: LockKey) {
        if table
            .entries
            .get(&key)
            .is_some_and(|e| e.holders.is_empty() && e.queue.is_empty())
        {
            table.entries.remove(&key);
        }
    }

    /// The transactions `txn` waits for.
    fn blockers(table: &Table, txn: TxnId) -> Vec<TxnId> {
        let Some((key, mode)) = table.waiting.get(&txn) else {
            return Vec::new();
        };
        let Some(entry) = table.entries.get(key) else {
            return Vec::new();
        };
        let mut out: Vec<TxnId> = entry
            .holders
            .iter()
            .filter(|&&(t, m)| t != txn && !compatible(m, *mode))
            .map(|&(t, _)| t)
            .collect();
        for w in entry.queue.iter() {
            if w.txn == txn {
                break;
            }
            if !compatible(w.mode, *mode) {
                out.push(w.txn);
            }
        }
        out
    }

    fn in_cycle(table: &Table, start: TxnId) -> bool {
        let mut seen = HashSet::new();
        let mut stack = Self::blockers(table, start);
        while let Some(t) = stack.pop() {
            if t == start {
                return true;
            }
            if seen.insert(t) {
                stack.extend(Self::blockers(table, t));
            }
        }
        false
    }
}

fn deadlock_error() -> TxnError {
    TxnError::Deadlock("a cycle of transactions waits for row locks held by each other".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The run-compressed key set against a plain set, for runs, gaps, revisits and removals
    /// (conversions split runs).
    #[test]
    fn key_set_matches_a_hash_set() {
        let mut set = KeySet::default();
        let mut model = std::collections::HashSet::new();
        let mut x: u64 = 11;
        let mut next = 1000u64;
        for step in 0..5000u64 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let key = match x >> 61 {
                // Mostly appends, as a bulk load's keys.
                0..=4 => {
                    next += 1;
                    next
                }
                5 => (x >> 20) % 2000,
                6 => u64::MAX - (x >> 62),
                _ => 900 + (x >> 30) % 200,
            };
            if step % 5 == 4 {
                assert_eq!(set.remove(key), model.remove(&key), "remove {key}");
            } else if !model.contains(&key) {
                set.insert(key);
                model.insert(key);
            }
            assert_eq!(set.len(), model.len());
            if step % 50 == 0 {
                for probe in (0..4500).chain([u64::MAX, u64::MAX - 1, u64::MAX - 2]) {
                    assert_eq!(
                        set.contains(probe),
                        model.contains(&probe),
                        "contains {probe}"
                    );
                }
            }
        }
    }
    use std::sync::mpsc;
    use std::thread;

    fn mgr() -> Arc<LockManager> {
        Arc::new(LockManager::new(Duration::from_millis(20)))
    }

    #[test]
    fn shared_locks_coexist_exclusive_waits() {
        let m = mgr();
        assert_eq!(
            m.acquire(1, b"k", LockMode::Shared, LockWait::Block, None)
                .unwrap(),
            Acquired::New
        );
        assert_eq!(
            m.acquire(2, b"k", LockMode::Shared, LockWait::Block, None)
                .unwrap(),
            Acquired::New
        );
        assert!(matches!(
            m.acquire(3, b"k", LockMode::Exclusive, LockWait::NoWait, None),
            Err(TxnError::LockNotAvailable(_))
        ));
        assert_eq!(
            m.acquire(3, b"k", LockMode::Exclusive, LockWait::SkipLocked, None)
                .unwrap(),
            Acquired::Skipped
        );
        let (tx, rx) = mpsc::channel();
        let m2 = m.clone();
        let h = thread::spawn(move || {
            let r = m2.acquire(3, b"k", LockMode::Exclusive, LockWait::Block, None);
            tx.send(()).unwrap();
            r
        });
        thread::sleep(Duration::from_millis(50));
        assert!(
            rx.try_recv().is_err(),
            "exclusive must wait for shared holders"
        );
        m.release(1, b"k");
        thread::sleep(Duration::from_millis(30));
        assert!(rx.try_recv().is_err());
        m.release(2, b"k");
        assert_eq!(h.join().unwrap().unwrap(), Acquired::New);
        m.release(3, b"k");
        assert_eq!(m.locked_keys(), 0);
    }

    #[test]
    fn implicit_locks_convert_when_someone_asks() {
        let m = mgr();
        let (a, b) = (m.key_of(b"a"), m.key_of(b"b"));
        assert_eq!(
            m.acquire_implicit(1, a, LockWait::Block, None).unwrap(),
            Acquired::Implicit
        );
        assert_eq!(
            m.acquire_implicit(1, b, LockWait::Block, None).unwrap(),
            Acquired::Implicit
        );
        // The holder asking again, in any mode, holds it already.
        assert_eq!(
            m.acquire_key(1, a, LockMode::Shared, LockWait::Block, None)
                .unwrap(),
            Acquired::AlreadyHeld
        );
        assert_eq!(
            m.acquire_implicit(1, a, LockWait::Block, None).unwrap(),
            Acquired::AlreadyHeld
        );
        assert_eq!(m.locked_keys(), 2);
        // Another transaction finds it held (converted to an entry), whichever way it asks.
        assert!(matches!(
            m.acquire_implicit(2, a, LockWait::NoWait, None),
            Err(TxnError::LockNotAvailable(_))
        ));
        assert_eq!(
            m.acquire_key(2, b, LockMode::Shared, LockWait::SkipLocked, None)
                .unwrap(),
            Acquired::Skipped
        );
        let (tx, rx) = mpsc::channel();
        let m2 = m.clone();
        let h = thread::spawn(move || {
            let r = m2.acquire_key(2, a, LockMode::Exclusive, LockWait::Block, None);
            tx.send(()).unwrap();
            r
        });
        thread::sleep(Duration::from_millis(50));
        assert!(rx.try_recv().is_err(), "must wait for the implicit holder");
        // A third key released on its own, then everything at the end.
        let c = m.key_of(b"c");
        m.acquire_implicit(1, c, LockWait::Block, None).unwrap();
        m.release_key(1, c);
        m.release_all_keys(1, std::iter::empty());
        assert_eq!(h.join().unwrap().unwrap(), Acquired::New);
        assert_eq!(m.locked_keys(), 1);
        m.release_all_keys(2, [a]);
        assert_eq!(m.locked_keys(), 0);
    }

    #[test]
    fn deadlock_through_implicit_locks_is_found() {
        let m = mgr();
        let (a, b) = (m.key_of(b"a"), m.key_of(b"b"));
        m.acquire_implicit(1, a, LockWait::Block, None).unwrap();
        m.acquire_implicit(2, b, LockWait::Block, None).unwrap();
        let m2 = m.clone();
        let h =
            thread::spawn(move || m2.acquire_key(1, b, LockMode::Exclusive, LockWait::Block, None));
        thread::sleep(Duration::from_millis(50));
        let r = m.acquire_key(2, a, LockMode::Exclusive, LockWait::Block, None);
        assert!(matches!(r, Err(TxnError::Deadlock(_))), "{r:?}");
        m.release_all_keys(2, std::iter::empty());
        assert_eq!(h.join().unwrap().unwrap(), Acquired::New);
        m.release_all_keys(1, [b]);
        assert_eq!(m.locked_keys(), 0);
    }

    #[test]
    fn lock_timeout_fails_with_55p03_and_leaves_no_trace() {
        let m = mgr();
        m.acquire(1, b"k", LockMode::Exclusive, LockWait::Block, None)
            .unwrap();
        let start = Instant::now();
        let err = m
            .acquire(
                2,
                b"k",
                LockMode::Exclusive,
                LockWait::Block,
                Some(Duration::from_millis(60)),
            )
            .unwrap_err();
        assert!(start.elapsed() >= Duration::from_millis(60));
        assert_eq!(err.sqlstate().code(), "55P03");
        m.release(1, b"k");
        assert_eq!(m.locked_keys(), 0);
    }

    #[test]
    fn two_way_deadlock_is_detected_and_one_victim_aborts() {
        let m = mgr();
        m.acquire(1, b"a", LockMode::Exclusive, LockWait::Block, None)
            .unwrap();
        m.acquire(2, b"b", LockMode::Exclusive, LockWait::Block, None)
            .unwrap();
        let m2 = m.clone();
        let h = thread::spawn(move || {
            let r = m2.acquire(1, b"b", LockMode::Exclusive, LockWait::Block, None);
            if r.is_ok() {
                m2.release_all(1, [&b"a"[..], &b"b"[..]]);
            }
            r
        });
        thread::sleep(Duration::from_millis(50));
        let r2 = m.acquire(2, b"a", LockMode::Exclusive, LockWait::Block, None);
        assert_eq!(r2.unwrap_err().sqlstate().code(), "40P01");
        m.release_all(2, [&b"a"[..], &b"b"[..]]);
        assert_eq!(h.join().unwrap().unwrap(), Acquired::New);
        assert_eq!(m.locked_keys(), 0);
    }

    #[test]
    fn upgrade_deadlock_between_two_shared_holders() {
        let m = mgr();
        m.acquire(1, b"k", LockMode::Shared, LockWait::Block, None)
            .unwrap();
        m.acquire(2, b"k", LockMode::Shared, LockWait::Block, None)
            .unwrap();
        let m2 = m.clone();
        let h =
            thread::spawn(move || m2.acquire(1, b"k", LockMode::Exclusive, LockWait::Block, None));
        thread::sleep(Duration::from_millis(50));
        let r = m.acquire(2, b"k", LockMode::Exclusive, LockWait::Block, None);
        assert_eq!(r.unwrap_err().sqlstate().code(), "40P01");
        m.release(2, b"k");
        assert_eq!(h.join().unwrap().unwrap(), Acquired::Upgraded);
        m.release(1, b"k");
        assert_eq!(m.locked_keys(), 0);
    }

    #[test]
    fn three_way_deadlock_is_detected() {
        let m = mgr();
        for (t, k) in [(1, b"a"), (2, b"b"), (3, b"c")] {
            m.acquire(t, k, LockMode::Exclusive, LockWait::Block, None)
                .unwrap();
        }
        let spawn = |t: TxnId, k: &'static [u8; 1], own: &'static [u8; 1]| {
            let m = m.clone();
            thread::spawn(move || {
                let r = m.acquire(t, k, LockMode::Exclusive, LockWait::Block, None);
                m.release_all(t, [&own[..], &k[..]]);
                r
            })
        };
        let h1 = spawn(1, b"b", b"a");
        thread::sleep(Duration::from_millis(30));
        let h2 = spawn(2, b"c", b"b");
        thread::sleep(Duration::from_millis(30));
        let h3 = spawn(3, b"a", b"c");
        let results = [h1.join().unwrap(), h2.join().unwrap(), h3.join().unwrap()];
        let deadlocks = results.iter().filter(|r| r.is_err()).count();
        assert_eq!(deadlocks, 1, "exactly one victim: {results:?}");
        assert_eq!(m.locked_keys(), 0);
    }
}
