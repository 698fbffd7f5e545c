//! A transaction's private write buffer: its writes by key, in key order.
//!
//! Bulk loads write keys in ascending order (serial and time-ordered keys), so the buffer
//! keeps an append-only sorted vector for writes that arrive above every key so far — one
//! comparison to find the place and no tree search — and a B-tree for the others. A commit
//! takes the vector as it is when nothing went to the tree, which is what lets a large commit
//! move its writes into the version store without copying (see [`crate::mvcc::Run`]).
//!
//! The vector is a [`SortedWrites`]: the keys and values copied into an arena of byte chunks,
//! 16-byte entries saying where, the entries in fixed-size chunks. Growing it never copies
//! what it holds (a plain vector doubling to a million writes copies them about twice over
//! and touches twice the memory in fresh pages, which the kernel must zero), and a write
//! costs ~65 bytes instead of two vectors and their allocations (~110).
//!
//! Invariant: every key of `tree` is below the last key of `tail` (a key above it is always
//! appended to `tail`), and no key is in both.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::record::Write;

/// A buffered write: the new value, or `None` for a delete.
pub(crate) type BufferedWrite = Option<Vec<u8>>;

#[derive(Default)]
pub(crate) struct WriteBuffer {
    /// Writes in strictly ascending key order.
    tail: SortedWrites,
    /// Writes whose key was below `tail`'s last key when written.
    tree: BTreeMap<Vec<u8>, BufferedWrite>,
}

impl WriteBuffer {
    pub(crate) fn is_empty(&self) -> bool {
        self.tail.is_empty() && self.tree.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.tail.len() + self.tree.len()
    }

    /// Where `key` is in `tail`: `Ok(index)`, or `Err(true)` if it is above every key there.
    fn find_in_tail(&self, key: &[u8]) -> Result<usize, bool> {
        find_sorted(&self.tail, key)
    }

    /// The buffered write of `key`, if any: `Some(None)` for a delete.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        match self.find_in_tail(key) {
            Ok(i) => Some(self.tail.get(i).1),
            Err(true) => None,
            Err(false) => self.tree.get(key).map(Option::as_deref),
        }
    }

    pub(crate) fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Buffers a write of `key`; returns the write it replaces.
    pub(crate) fn insert(&mut self, key: Vec<u8>, value: BufferedWrite) -> Option<BufferedWrite> {
        match self.find_in_tail(&key) {
            Err(false) => self.tree.insert(key, value),
            at => self.insert_in_tail(at, &key, value.as_deref()),
        }
    }

    /// [`WriteBuffer::insert`] from borrowed bytes: copied into the arena when the key comes
    /// above every key so far (a bulk load's case), else owned copies go to the tree.
    pub(crate) fn insert_borrowed(
        &mut self,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Option<BufferedWrite> {
        match self.find_in_tail(key) {
            Err(false) => self.tree.insert(key.to_vec(), value.map(<[u8]>::to_vec)),
            at => self.insert_in_tail(at, key, value),
        }
    }

    /// The tail's part of an insert: `at` is `find_in_tail`'s answer, not `Err(false)`.
    fn insert_in_tail(
        &mut self,
        at: Result<usize, bool>,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Option<BufferedWrite> {
        match at {
            Ok(i) => Some(self.tail.set_value(i, value)),
            Err(_) => {
                self.tail.push(key, value);
                None
            }
        }
    }

    /// Whether `key` is above every buffered key (then [`WriteBuffer::push_above`] may
    /// buffer it).
    pub(crate) fn above_all(&self, key: &[u8]) -> bool {
        // Every tree key is below the tail's last key.
        self.tail.last_key().is_none_or(|last| key > last)
    }

    /// Buffers a write of a key [`WriteBuffer::above_all`] said is above every buffered key.
    pub(crate) fn push_above(&mut self, key: &[u8], value: Option<&[u8]>) {
        debug_assert!(self.above_all(key));
        self.tail.push(key, value);
    }

    /// Forgets the buffered write of `key` (undoing it).
    pub(crate) fn remove(&mut self, key: &[u8]) {
        match self.find_in_tail(key) {
            // Undo runs newest first, so this is usually the last key.
            Ok(i) => {
                self.tail.remove(i);
                if i == self.tail.len() && !self.tree.is_empty() {
                    // The last key went: tree keys above the new last one move to the tail,
                    // keeping the invariant.
                    let above = match self.tail.last_key() {
                        Some(last) => self.tree.split_off(last),
                        None => std::mem::take(&mut self.tree),
                    };
                    self.tail.extend(above);
                }
            }
            Err(true) => {}
            Err(false) => {
                self.tree.remove(key);
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.tail = SortedWrites::default();
        self.tree.clear();
    }

    /// Every write in key order, leaving the buffer empty.
    pub(crate) fn take_sorted(&mut self) -> SortedWrites {
        let tail = std::mem::take(&mut self.tail);
        if self.tree.is_empty() {
            return tail;
        }
        let tree = std::mem::take(&mut self.tree);
        let mut out = SortedWrites::default();
        let mut tail = tail.iter().peekable();
        for (k, v) in &tree {
            while let Some((tk, tv)) = tail.next_if(|(tk, _)| *tk < k.as_slice()) {
                out.push(tk, tv);
            }
            out.push(k, v.as_deref());
        }
        for (tk, tv) in tail {
            out.push(tk, tv);
        }
        out
    }

    /// The key and value bytes of the writes of keys within the bounds (a delete counts its
    /// key): what they will add to the store when committed.
    pub(crate) fn bytes_in(&self, start: Bound<&[u8]>, end: Bound<&[u8]>) -> u64 {
        let len = |k: &[u8], v: Option<&[u8]>| (k.len() + v.map_or(0, <[u8]>::len)) as u64;
        let tail: u64 = sorted_range(&self.tail, start, end)
            .map(|i| {
                let (k, v) = self.tail.get(i);
                len(k, v)
            })
            .sum();
        // An empty or inverted range would make the tree's `range` panic.
        if self.tree.is_empty() || basalt_storage::bounds_empty((start, end)) {
            return tail;
        }
        tail + self
            .tree
            .range::<[u8], _>((start, end))
            .map(|(k, v)| len(k, v.as_deref()))
            .sum::<u64>()
    }

    /// Copies of the writes of keys within the bounds, in key order.
    pub(crate) fn range_cloned(&self, start: Bound<&[u8]>, end: Bound<&[u8]>) -> Vec<Write> {
        let owned = |(k, v): (&[u8], Option<&[u8]>)| (k.to_vec(), v.map(<[u8]>::to_vec));
        let range = sorted_range(&self.tail, start, end);
        let mut tail = range.map(|i| self.tail.get(i)).peekable();
        // An empty or inverted range would make the tree's `range` panic.
        let valid = match (start, end) {
            (Bound::Included(s), Bound::Included(e)) => s <= e,
            (Bound::Included(s) | Bound::Excluded(s), Bound::Excluded(e))
            | (Bound::Excluded(s), Bound::Included(e)) => s < e,
            _ => true,
        };
        if !valid || self.tree.is_empty() {
            return tail.map(owned).collect();
        }
        let mut out = Vec::new();
        for (k, v) in self.tree.range::<[u8], _>((start, end)) {
            while let Some(t) = tail.next_if(|(tk, _)| *tk < k.as_slice()) {
                out.push(owned(t));
            }
            out.push((k.clone(), v.clone()));
        }
        out.extend(tail.map(owned));
        out
    }
}

/// Entries per chunk of a [`SortedWrites`] (64 kB of entries); tiny under test, so that
/// every test crosses chunk boundaries.
#[cfg(not(test))]
const CHUNK: usize = 4096;
#[cfg(test)]
const CHUNK: usize = 8;

/// Bytes per chunk of a [`SortedWrites`]' arena at most (a write larger than that gets a chunk
/// of its own). The first chunk is [`ARENA_FIRST`] bytes and each next one twice the last, so a
/// one-row transaction (most of OLTP, and every sequence or row-id block taken) does not ask
/// the allocator for a megabyte of fresh memory that the kernel must zero.
#[cfg(not(test))]
const ARENA_CHUNK: usize = 1 << 20;
#[cfg(test)]
const ARENA_CHUNK: usize = 64;
#[cfg(not(test))]
const ARENA_FIRST: usize = 256;
#[cfg(test)]
const ARENA_FIRST: usize = 16;

/// Where a write's bytes are: its key, then its value, in one arena chunk.
#[derive(Debug, Clone, Copy)]
struct Entry {
    chunk: u32,
    at: u32,
    key_len: u32,
    /// `u32::MAX` for a delete.
    value_len: u32,
}

const DELETE: u32 = u32::MAX;

/// Writes in strictly ascending key order. The keys and values are copied into an arena of
/// byte chunks and the entries say where (16 bytes a write, instead of two vectors and their
/// allocations: a million-row transaction holds ~65 MB rather than ~110); the entries are in
/// chunks of [`CHUNK`] (all full but the last), so appending never moves what is there and
/// position `i` is in chunk `i / CHUNK`.
#[derive(Default, Debug)]
pub(crate) struct SortedWrites {
    entries: Vec<Vec<Entry>>,
    bytes: Vec<Vec<u8>>,
    len: usize,
}

impl SortedWrites {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A bound of the bytes of all keys and values held: the arena's use (bytes of values
    /// replaced since are counted too).
    pub(crate) fn byte_bound(&self) -> usize {
        self.bytes.iter().map(Vec::len).sum()
    }

    fn entry(&self, i: usize) -> Entry {
        self.entries[i / CHUNK][i % CHUNK]
    }

    fn resolve(&self, e: Entry) -> (&[u8], Option<&[u8]>) {
        let chunk = &self.bytes[e.chunk as usize];
        let at = e.at as usize;
        let key_end = at + e.key_len as usize;
        let value =
            (e.value_len != DELETE).then(|| &chunk[key_end..key_end + e.value_len as usize]);
        (&chunk[at..key_end], value)
    }

    /// The write at `i` (which must be below `len`): key and value (`None`: a delete).
    pub(crate) fn get(&self, i: usize) -> (&[u8], Option<&[u8]>) {
        self.resolve(self.entry(i))
    }

    pub(crate) fn get_checked(&self, i: usize) -> Option<(&[u8], Option<&[u8]>)> {
        let e = *self.entries.get(i / CHUNK)?.get(i % CHUNK)?;
        Some(self.resolve(e))
    }

    pub(crate) fn last_key(&self) -> Option<&[u8]> {
        let e = *self.entries.last()?.last()?;
        Some(self.resolve(e).0)
    }

    /// Copies `key` and `value` into the arena.
    fn store(&mut self, key: &[u8], value: Option<&[u8]>) -> Entry {
        let need = key.len() + value.map_or(0, <[u8]>::len);
        let room = self
            .bytes
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= need);
        if !room {
            let size = self
                .bytes
                .last()
                .map_or(ARENA_FIRST, |c| (c.capacity() * 2).min(ARENA_CHUNK));
            self.bytes.push(Vec::with_capacity(need.max(size)));
        }
        let chunk_index = self.bytes.len() - 1;
        let chunk = &mut self.bytes[chunk_index];
        let at = chunk.len();
        chunk.extend_from_slice(key);
        if let Some(v) = value {
            chunk.extend_from_slice(v);
        }
        let len32 = |n: usize| u32::try_from(n).unwrap_or(DELETE - 1);
        Entry {
            chunk: len32(chunk_index),
            at: len32(at),
            key_len: len32(key.len()),
            value_len: value.map_or(DELETE, |v| len32(v.len())),
        }
    }

    /// Appends a write whose key is above every key here.
    pub(crate) fn push(&mut self, key: &[u8], value: Option<&[u8]>) {
        let e = self.store(key, value);
        match self.entries.last_mut() {
            Some(c) if c.len() < CHUNK => c.push(e),
            _ => {
                // The first chunk grows as a vector does (small transactions stay small); the
                // next ones are taken whole.
                let mut c = if self.entries.is_empty() {
                    Vec::new()
                } else {
                    Vec::with_capacity(CHUNK)
                };
                c.push(e);
                self.entries.push(c);
            }
        }
        self.len += 1;
    }

    /// Replaces the value of the write at `i`; returns the old value. A value no longer than
    /// the old one (a row updated again in the same transaction, usually the same size) and
    /// a delete take the old place; a longer one is stored anew (the old bytes stay in the
    /// arena until the transaction ends).
    fn set_value(&mut self, i: usize, value: Option<&[u8]>) -> Option<Vec<u8>> {
        let e = self.entry(i);
        let (key, old) = self.get(i);
        let old = old.map(<[u8]>::to_vec);
        let fits = match (value, &old) {
            (None, _) => true,
            (Some(v), Some(o)) => v.len() <= o.len(),
            (Some(_), None) => false,
        };
        let new = if fits {
            let mut e = e;
            match value {
                None => e.value_len = DELETE,
                Some(v) => {
                    let at = e.at as usize + e.key_len as usize;
                    self.bytes[e.chunk as usize][at..at + v.len()].copy_from_slice(v);
                    e.value_len = v.len() as u32;
                }
            }
            e
        } else {
            let key = key.to_vec();
            self.store(&key, value)
        };
        self.entries[i / CHUNK][i % CHUNK] = new;
        old
    }

    /// Removes the write at `i`, shifting the later ones down (cheap for the last; rare
    /// otherwise: a savepoint's rollback of an earlier key).
    fn remove(&mut self, i: usize) {
        let chunk = i / CHUNK;
        self.entries[chunk].remove(i % CHUNK);
        for j in chunk + 1..self.entries.len() {
            let first = self.entries[j].remove(0);
            self.entries[j - 1].push(first);
        }
        if self.entries.last().is_some_and(Vec::is_empty) {
            self.entries.pop();
        }
        self.len -= 1;
    }

    /// The number of leading writes whose key satisfies `pred` (it must hold for a prefix).
    pub(crate) fn partition_point(&self, pred: impl Fn(&[u8]) -> bool) -> usize {
        // The chunk holding the boundary first, then within it.
        let chunk = self
            .entries
            .partition_point(|c| c.last().is_some_and(|e| pred(self.resolve(*e).0)));
        match self.entries.get(chunk) {
            Some(c) => chunk * CHUNK + c.partition_point(|e| pred(self.resolve(*e).0)),
            None => self.len,
        }
    }

    /// The writes in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> + Clone {
        self.entries.iter().flatten().map(|e| self.resolve(*e))
    }

    /// Owned copies of the writes in key order.
    #[cfg(test)]
    pub(crate) fn to_writes(&self) -> Vec<Write> {
        self.iter()
            .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
            .collect()
    }
}

impl Extend<Write> for SortedWrites {
    fn extend<I: IntoIterator<Item = Write>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.push(&k, v.as_deref());
        }
    }
}

impl FromIterator<Write> for SortedWrites {
    fn from_iter<I: IntoIterator<Item = Write>>(iter: I) -> Self {
        let mut out = SortedWrites::default();
        out.extend(iter);
        out
    }
}

/// Where `key` is in `writes` (sorted by key, each key once): `Ok(index)`, or `Err(true)` if
/// it is above every key there (answered without a search: bulk loads append such keys),
/// `Err(false)` otherwise.
pub(crate) fn find_sorted(writes: &SortedWrites, key: &[u8]) -> Result<usize, bool> {
    match writes.last_key() {
        None => Err(true),
        Some(last) if key > last => Err(true),
        Some(_) => {
            let i = writes.partition_point(|k| k < key);
            match writes.get_checked(i) {
                Some((k, _)) if k == key => Ok(i),
                _ => Err(false),
            }
        }
    }
}

/// The positions of `writes` (sorted by key, each key once) whose keys lie within the bounds.
pub(crate) fn sorted_range(
    writes: &SortedWrites,
    start: Bound<&[u8]>,
    end: Bound<&[u8]>,
) -> std::ops::Range<usize> {
    let lo = match start {
        Bound::Included(s) => writes.partition_point(|k| k < s),
        Bound::Excluded(s) => writes.partition_point(|k| k <= s),
        Bound::Unbounded => 0,
    };
    let hi = match end {
        Bound::Included(e) => writes.partition_point(|k| k <= e),
        Bound::Excluded(e) => writes.partition_point(|k| k < e),
        Bound::Unbounded => writes.len(),
    };
    lo..hi.max(lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The arena-backed list against a vector of owned writes: appends, value
    /// replacements (growing and shrinking, deletes), removals anywhere, searches, and
    /// writes larger than an arena chunk.
    #[test]
    fn sorted_writes_match_a_vector() {
        let mut w = SortedWrites::default();
        let mut model: Vec<Write> = Vec::new();
        let mut x: u64 = 3;
        for step in 0..600u64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let len = (x >> 58) as usize * if step % 50 == 0 { 40 } else { 1 };
            let value = (!x.is_multiple_of(5)).then(|| vec![step as u8; len]);
            match (x >> 40) % 6 {
                0 if !model.is_empty() => {
                    let i = (x as usize >> 8) % model.len();
                    let old = w.set_value(i, value.as_deref());
                    assert_eq!(old, std::mem::replace(&mut model[i].1, value));
                }
                1 if !model.is_empty() => {
                    let i = (x as usize >> 8) % model.len();
                    w.remove(i);
                    model.remove(i);
                }
                _ => {
                    let key = (step * 7).to_be_bytes().to_vec();
                    w.push(&key, value.as_deref());
                    model.push((key, value));
                }
            }
            assert_eq!(w.len(), model.len());
            assert_eq!(w.to_writes(), model);
            assert_eq!(w.last_key(), model.last().map(|(k, _)| k.as_slice()));
            let probe = ((x >> 20) % (step * 7 + 8)).to_be_bytes();
            let expected = model.partition_point(|(k, _)| k.as_slice() < &probe[..]);
            assert_eq!(w.partition_point(|k| k < &probe[..]), expected);
            assert_eq!(
                find_sorted(&w, &probe).ok(),
                model
                    .binary_search_by(|(k, _)| k.as_slice().cmp(&probe[..]))
                    .ok()
            );
            assert!(w.get_checked(model.len()).is_none());
        }
    }

    /// The buffer against a plain ordered map, for keys arriving in and out of order.
    #[test]
    fn matches_an_ordered_map() {
        let mut buf = WriteBuffer::default();
        let mut model: BTreeMap<Vec<u8>, BufferedWrite> = BTreeMap::new();
        // A fixed pseudo-random sequence with ascending runs and revisits.
        let mut x: u32 = 7;
        for step in 0..2000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let k = if step % 3 == 0 {
                (x >> 16) % 300
            } else {
                step / 2
            };
            let key = k.to_be_bytes().to_vec();
            let value = (step % 5 != 0).then(|| step.to_le_bytes().to_vec());
            match x % 7 {
                0 => {
                    buf.remove(&key);
                    model.remove(&key);
                }
                _ => assert_eq!(
                    buf.insert(key.clone(), value.clone()),
                    model.insert(key, value)
                ),
            }
            if step % 97 == 0 {
                let lo = ((x >> 8) % 400).to_be_bytes().to_vec();
                let hi = ((x >> 4) % 1200).to_be_bytes().to_vec();
                for (s, e) in [
                    (Bound::Included(&lo[..]), Bound::Excluded(&hi[..])),
                    (Bound::Excluded(&lo[..]), Bound::Included(&hi[..])),
                    (Bound::Unbounded, Bound::Included(&lo[..])),
                    (Bound::Included(&hi[..]), Bound::Unbounded),
                ] {
                    let expected: Vec<Write> = if match (s, e) {
                        (Bound::Included(a), Bound::Excluded(b))
                        | (Bound::Excluded(a), Bound::Included(b)) => a >= b,
                        _ => false,
                    } {
                        Vec::new()
                    } else {
                        model
                            .range::<[u8], _>((s, e))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect()
                    };
                    assert_eq!(buf.range_cloned(s, e), expected);
                }
            }
        }
        assert_eq!(buf.len(), model.len());
        for k in 0..1200u32 {
            let key = k.to_be_bytes();
            assert_eq!(buf.get(&key), model.get(&key[..]).map(Option::as_deref));
            assert_eq!(buf.contains_key(&key), model.contains_key(&key[..]));
        }
        let all: Vec<Write> = model.into_iter().collect();
        assert_eq!(buf.take_sorted().to_writes(), all);
        assert!(buf.is_empty());
    }
}
