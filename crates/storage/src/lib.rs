//! Ordered key-value storage, the bottom layer of Basalt.
//!
//! This crate knows nothing of transactions or SQL. It offers one trait, [`Engine`]: an ordered
//! map from byte strings to byte strings with point reads, ordered range scans in both
//! directions, atomic write batches, an explicit `sync`, and consistent read snapshots.
//!
//! Implementations:
//! - [`MemoryEngine`]: a persistent (structurally shared) ordered map, used by `:memory:`
//!   databases, by the transaction layer's in-memory table of recent commits, and by tests.
//!   Snapshots are O(1).
//! - [`redb_engine::RedbEngine`]: the on-disk engine, one redb file (a copy-on-write B+tree);
//!   chosen over fjall by the figures in `docs/storage-engine.md`.
//!
//! File IO for Basalt's own files (the commit log) goes through [`io::Io`], which has a real
//! implementation, a simulated disk that can crash and tear writes, and a fault injector.
//!
//! # Invariants every engine keeps
//! - A [`WriteBatch`] is applied atomically: a reader (or a snapshot) sees all of it or none.
//! - A [`Snapshot`] never changes, whatever is written after it was taken.
//! - After [`Engine::sync`] returns `Ok`, every batch written before the call survives a crash.
//!   Batches written after the last sync may or may not survive; the transaction layer never
//!   depends on them, because its commit log is the source of truth and the engine is a cache of
//!   the log that is made durable at checkpoints.
//! - Scans yield keys in strictly increasing (forward) or strictly decreasing (reverse) byte
//!   order, bounded by the [`KeyRange`].
//!
//! # Sizes
//! [`Engine::approximate_size`] says how many bytes of keys and values a key range holds
//! (what SQL's `pg_relation_size` and `pg_database_size` report). Neither engine keeps sizes
//! per range: redb's B-tree records no counts in its branch pages, and its whole-table
//! statistics walk every page. So both sum the lengths of the pairs in the range, the memory
//! engine over its map and redb over its leaves without copying a pair; the cost is a read of
//! the range (about 0.1 µs a pair), and the figure is exact for the state read.

#![forbid(unsafe_code)]

mod error;
pub mod io;
mod memory;
pub mod redb_engine;

use std::ops::Bound;

pub use error::{Result, StorageError};
pub use memory::MemoryEngine;

/// A key and its value, as returned by scans.
pub type KvPair = (Vec<u8>, Vec<u8>);

/// An iterator over a range of key-value pairs. It owns what it needs (no borrow of the engine),
/// so it can be kept across calls.
pub type ScanIter = Box<dyn Iterator<Item = Result<KvPair>> + Send>;

/// The order in which a scan yields keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Increasing byte order.
    Forward,
    /// Decreasing byte order.
    Reverse,
}

/// A range of keys: a lower and an upper bound, each inclusive, exclusive or unbounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRange {
    /// Lower bound.
    pub start: Bound<Vec<u8>>,
    /// Upper bound.
    pub end: Bound<Vec<u8>>,
}

impl KeyRange {
    /// Every key.
    pub fn all() -> Self {
        KeyRange {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
        }
    }

    /// `[start, end)`.
    pub fn new(start: impl Into<Vec<u8>>, end: impl Into<Vec<u8>>) -> Self {
        KeyRange {
            start: Bound::Included(start.into()),
            end: Bound::Excluded(end.into()),
        }
    }

    /// Every key that starts with `prefix`.
    pub fn prefix(prefix: &[u8]) -> Self {
        let start = Bound::Included(prefix.to_vec());
        let end = match prefix_successor(prefix) {
            Some(next) => Bound::Excluded(next),
            None => Bound::Unbounded,
        };
        KeyRange { start, end }
    }

    /// Whether `key` lies inside the range.
    pub fn contains(&self, key: &[u8]) -> bool {
        let above_start = match &self.start {
            Bound::Included(s) => key >= s.as_slice(),
            Bound::Excluded(s) => key > s.as_slice(),
            Bound::Unbounded => true,
        };
        let below_end = match &self.end {
            Bound::Included(e) => key <= e.as_slice(),
            Bound::Excluded(e) => key < e.as_slice(),
            Bound::Unbounded => true,
        };
        above_start && below_end
    }

    /// A range owning copies of borrowed bounds.
    pub fn from_bounds(range: Bounds<'_>) -> KeyRange {
        let own = |b: Bound<&[u8]>| match b {
            Bound::Included(k) => Bound::Included(k.to_vec()),
            Bound::Excluded(k) => Bound::Excluded(k.to_vec()),
            Bound::Unbounded => Bound::Unbounded,
        };
        KeyRange {
            start: own(range.0),
            end: own(range.1),
        }
    }

    /// The bounds as borrowed slices, for APIs that take `(Bound<&[u8]>, Bound<&[u8]>)`.
    pub fn as_slices(&self) -> (Bound<&[u8]>, Bound<&[u8]>) {
        (bound_as_slice(&self.start), bound_as_slice(&self.end))
    }

    /// Whether the range is empty (its start lies after its end).
    pub fn is_empty(&self) -> bool {
        match (&self.start, &self.end) {
            (Bound::Included(s), Bound::Included(e)) => s > e,
            (Bound::Included(s), Bound::Excluded(e))
            | (Bound::Excluded(s), Bound::Included(e))
            | (Bound::Excluded(s), Bound::Excluded(e)) => s >= e,
            _ => false,
        }
    }
}

fn bound_as_slice(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// The smallest byte string greater than every string that starts with `prefix`, or `None` when
/// there is none (the prefix is empty or all `0xFF`).
pub use basalt_common::keycode::prefix_end as prefix_successor;

/// One change in a [`WriteBatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    /// Set `key` to `value`.
    Put(Vec<u8>, Vec<u8>),
    /// Remove `key` (no error if absent).
    Delete(Vec<u8>),
}

/// Changes applied atomically by [`Engine::write`], in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBatch {
    ops: Vec<WriteOp>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty batch with room for `n` changes.
    pub fn with_capacity(n: usize) -> Self {
        WriteBatch {
            ops: Vec::with_capacity(n),
        }
    }

    /// Adds a put.
    pub fn put(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push(WriteOp::Put(key.into(), value.into()));
    }

    /// Adds a delete.
    pub fn delete(&mut self, key: impl Into<Vec<u8>>) {
        self.ops.push(WriteOp::Delete(key.into()));
    }

    /// The changes, in order.
    pub fn ops(&self) -> &[WriteOp] {
        &self.ops
    }

    /// Takes the changes out.
    pub fn into_ops(self) -> Vec<WriteOp> {
        self.ops
    }

    /// Number of changes.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether the batch holds no change.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// Receives the changes of one [`Engine::write_with`] call.
pub trait WriteSink {
    /// Sets `key` to the concatenation of the `value` parts (a version's tag byte and its
    /// bytes, say, without joining them first).
    fn put(&mut self, key: &[u8], value: &[&[u8]]) -> Result<()>;
    /// Removes `key`.
    fn delete(&mut self, key: &[u8]) -> Result<()>;
}

impl WriteSink for WriteBatch {
    fn put(&mut self, key: &[u8], value: &[&[u8]]) -> Result<()> {
        WriteBatch::put(self, key, value.concat());
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<()> {
        WriteBatch::delete(self, key);
        Ok(())
    }
}

/// A consistent, read-only view of an engine at one moment.
pub trait Snapshot: Send + Sync {
    /// The value of `key`, if present.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// The pairs inside `range`, in `direction` order.
    fn scan(&self, range: KeyRange, direction: Direction) -> Result<ScanIter>;
}

/// An ordered key-value store. See the crate docs for the invariants.
pub trait Engine: Send + Sync {
    /// A short name for diagnostics ("memory", "redb", ...).
    fn name(&self) -> &'static str;
    /// The value of `key`, if present.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// The pairs inside `range`, in `direction` order, read from one consistent snapshot.
    fn scan(&self, range: KeyRange, direction: Direction) -> Result<ScanIter>;
    /// Applies `batch` atomically. Not necessarily durable until [`Engine::sync`].
    fn write(&self, batch: WriteBatch) -> Result<()>;
    /// Applies the changes `fill` hands to its sink, atomically, as [`Engine::write`] applies
    /// a batch; if `fill` fails nothing of it is applied. For large writes (a checkpoint's
    /// millions of versions): the engine may take each change as it comes, borrowed, where a
    /// [`WriteBatch`] costs two allocations and copies per change. The default collects a
    /// batch.
    fn write_with(&self, fill: &mut dyn FnMut(&mut dyn WriteSink) -> Result<()>) -> Result<()> {
        let mut batch = WriteBatch::new();
        fill(&mut batch)?;
        self.write(batch)
    }
    /// Makes every batch written so far durable.
    fn sync(&self) -> Result<()>;
    /// A consistent read-only view of the current state.
    fn snapshot(&self) -> Result<Box<dyn Snapshot>>;
    /// The first pair inside `range` in `direction` order. Engines override this when a seek
    /// costs less than opening a scan (point reads of the transaction layer go through it).
    /// The bounds are borrowed, so a caller can build them without allocating.
    fn first_in(&self, range: Bounds<'_>, direction: Direction) -> Result<Option<KvPair>> {
        self.scan(KeyRange::from_bounds(range), direction)?
            .next()
            .transpose()
    }
    /// About how many bytes the pairs inside `range` occupy: the lengths of their keys and
    /// values, without the engine's own overhead (pages, indexing, free space). An engine whose
    /// structure records sizes (an LSM tree's table index, a B-tree with counts) answers from
    /// it without reading the pairs; the default sums the lengths over a scan, which is exact
    /// and costs a read of the range.
    fn approximate_size(&self, range: Bounds<'_>) -> Result<u64> {
        if bounds_empty(range) {
            return Ok(0);
        }
        let mut total = 0u64;
        for pair in self.scan(KeyRange::from_bounds(range), Direction::Forward)? {
            let (k, v) = pair?;
            total += (k.len() + v.len()) as u64;
        }
        Ok(total)
    }
}

/// The first pair inside `range` in `direction` order: the building block of "seek" reads.
pub fn first_in(
    engine: &dyn Engine,
    range: KeyRange,
    direction: Direction,
) -> Result<Option<KvPair>> {
    engine.first_in(range.as_slices(), direction)
}

/// A range of keys by borrowed bounds (see [`Engine::first_in`]).
pub type Bounds<'a> = (Bound<&'a [u8]>, Bound<&'a [u8]>);

/// Whether `key` lies within `range`.
pub fn bounds_contain(range: Bounds<'_>, key: &[u8]) -> bool {
    let above_start = match range.0 {
        Bound::Included(s) => key >= s,
        Bound::Excluded(s) => key > s,
        Bound::Unbounded => true,
    };
    let below_end = match range.1 {
        Bound::Included(e) => key <= e,
        Bound::Excluded(e) => key < e,
        Bound::Unbounded => true,
    };
    above_start && below_end
}

/// Whether `range` is empty (its start lies after its end).
pub fn bounds_empty(range: Bounds<'_>) -> bool {
    match range {
        (Bound::Included(s), Bound::Included(e)) => s > e,
        (Bound::Included(s), Bound::Excluded(e))
        | (Bound::Excluded(s), Bound::Included(e))
        | (Bound::Excluded(s), Bound::Excluded(e)) => s >= e,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges() {
        assert_eq!(prefix_successor(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_successor(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_successor(b"\xff\xff"), None);
        let r = KeyRange::prefix(b"ab");
        assert!(r.contains(b"ab"));
        assert!(r.contains(b"ab\xff\xff"));
        assert!(!r.contains(b"ac"));
        assert!(!r.contains(b"aa"));
        assert!(KeyRange::new("b", "a").is_empty());
        assert!(KeyRange::new("a", "a").is_empty());
        assert!(!KeyRange::new("a", "b").is_empty());
    }
}
