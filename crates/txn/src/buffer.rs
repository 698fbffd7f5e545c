//! A transaction's private write buffer: its writes by key, in key order.
//!
//! Bulk loads write keys in ascending order (serial and time-ordered keys), so the buffer
//! keeps an append-only sorted vector for writes that arrive above every key so far — one
//! comparison to find the place and no tree search — and a B-tree for the others. A commit
//! takes the vector as it is when nothing went to the tree, which is what lets a large commit
//! move its writes into the version store without copying (see [`crate::mvcc::Run`]).
//!
//! The vector is a [`SortedWrites`]: fixed-size chunks, so that growing it never copies what
//! it holds. A plain vector doubling to a million writes copies them about twice over and
//! touches twice the memory in fresh pages, which the kernel must zero: a fifth of a
//! million-row load's time went there.
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

    /// The buffered write of `key`, if any.
    pub(crate) fn get(&self, key: &[u8]) -> Option<&BufferedWrite> {
        match self.find_in_tail(key) {
            Ok(i) => Some(&self.tail.get(i).1),
            Err(true) => None,
            Err(false) => self.tree.get(key),
        }
    }

    pub(crate) fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Buffers a write of `key`; returns the write it replaces.
    pub(crate) fn insert(&mut self, key: Vec<u8>, value: BufferedWrite) -> Option<BufferedWrite> {
        match self.find_in_tail(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.tail.get_mut(i).1, value)),
            Err(true) => {
                self.tail.push((key, value));
                None
            }
            Err(false) => self.tree.insert(key, value),
        }
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
                    let above = match self.tail.last() {
                        Some((last, _)) => self.tree.split_off(last.as_slice()),
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
        let mut tail = tail.into_iter().peekable();
        for (k, v) in tree {
            while let Some(t) = tail.next_if(|(tk, _)| *tk < k) {
                out.push(t);
            }
            out.push((k, v));
        }
        out.extend(tail);
        out
    }

    /// Copies of the writes of keys within the bounds, in key order.
    pub(crate) fn range_cloned(&self, start: Bound<&[u8]>, end: Bound<&[u8]>) -> Vec<Write> {
        let range = sorted_range(&self.tail, start, end);
        let tail: Vec<&Write> = range.map(|i| self.tail.get(i)).collect();
        // An empty or inverted range would make the tree's `range` panic.
        let valid = match (start, end) {
            (Bound::Included(s), Bound::Included(e)) => s <= e,
            (Bound::Included(s) | Bound::Excluded(s), Bound::Excluded(e))
            | (Bound::Excluded(s), Bound::Included(e)) => s < e,
            _ => true,
        };
        if !valid || self.tree.is_empty() {
            return tail.into_iter().cloned().collect();
        }
        let mut out = Vec::with_capacity(tail.len());
        let mut tail = tail.into_iter().peekable();
        for (k, v) in self.tree.range::<[u8], _>((start, end)) {
            while let Some(t) = tail.next_if(|(tk, _)| tk < k) {
                out.push(t.clone());
            }
            out.push((k.clone(), v.clone()));
        }
        out.extend(tail.cloned());
        out
    }
}

/// Entries per chunk of a [`SortedWrites`] (about 200 kB of entries); tiny under test, so
/// that every test crosses chunk boundaries.
#[cfg(not(test))]
const CHUNK: usize = 4096;
#[cfg(test)]
const CHUNK: usize = 8;

/// Writes in strictly ascending key order, in chunks of [`CHUNK`] entries (all full but the
/// last): appending never moves what is there, and position `i` is in chunk `i / CHUNK`.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub(crate) struct SortedWrites {
    chunks: Vec<Vec<Write>>,
    len: usize,
}

impl SortedWrites {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The write at `i` (which must be below `len`).
    pub(crate) fn get(&self, i: usize) -> &Write {
        &self.chunks[i / CHUNK][i % CHUNK]
    }

    pub(crate) fn get_checked(&self, i: usize) -> Option<&Write> {
        self.chunks.get(i / CHUNK).and_then(|c| c.get(i % CHUNK))
    }

    fn get_mut(&mut self, i: usize) -> &mut Write {
        &mut self.chunks[i / CHUNK][i % CHUNK]
    }

    pub(crate) fn last(&self) -> Option<&Write> {
        self.chunks.last().and_then(|c| c.last())
    }

    /// Appends a write whose key is above every key here.
    pub(crate) fn push(&mut self, w: Write) {
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => c.push(w),
            _ => {
                let mut c = Vec::with_capacity(CHUNK);
                c.push(w);
                self.chunks.push(c);
            }
        }
        self.len += 1;
    }

    /// Removes the write at `i`, shifting the later ones down (cheap for the last; rare
    /// otherwise: a savepoint's rollback of an earlier key).
    fn remove(&mut self, i: usize) -> Write {
        let chunk = i / CHUNK;
        let w = self.chunks[chunk].remove(i % CHUNK);
        for j in chunk + 1..self.chunks.len() {
            let first = self.chunks[j].remove(0);
            self.chunks[j - 1].push(first);
        }
        if self.chunks.last().is_some_and(Vec::is_empty) {
            self.chunks.pop();
        }
        self.len -= 1;
        w
    }

    /// The number of leading writes for which `pred` holds (it must hold for a prefix).
    pub(crate) fn partition_point(&self, pred: impl Fn(&Write) -> bool) -> usize {
        // The chunk holding the boundary first, then within it.
        let chunk = self.chunks.partition_point(|c| c.last().is_some_and(&pred));
        match self.chunks.get(chunk) {
            Some(c) => chunk * CHUNK + c.partition_point(&pred),
            None => self.len,
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Write> + Clone {
        self.chunks.iter().flatten()
    }
}

impl IntoIterator for SortedWrites {
    type Item = Write;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<Write>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.chunks.into_iter().flatten()
    }
}

impl Extend<Write> for SortedWrites {
    fn extend<I: IntoIterator<Item = Write>>(&mut self, iter: I) {
        for w in iter {
            self.push(w);
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
    match writes.last() {
        None => Err(true),
        Some((last, _)) if key > last.as_slice() => Err(true),
        Some(_) => {
            let i = writes.partition_point(|(k, _)| k.as_slice() < key);
            match writes.get_checked(i) {
                Some((k, _)) if k.as_slice() == key => Ok(i),
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
        Bound::Included(s) => writes.partition_point(|(k, _)| k.as_slice() < s),
        Bound::Excluded(s) => writes.partition_point(|(k, _)| k.as_slice() <= s),
        Bound::Unbounded => 0,
    };
    let hi = match end {
        Bound::Included(e) => writes.partition_point(|(k, _)| k.as_slice() <= e),
        Bound::Excluded(e) => writes.partition_point(|(k, _)| k.as_slice() < e),
        Bound::Unbounded => writes.len(),
    };
    lo..hi.max(lo)
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert_eq!(buf.get(&key), model.get(&key[..]));
            assert_eq!(buf.contains_key(&key), model.contains_key(&key[..]));
        }
        let all: Vec<Write> = model.into_iter().collect();
        assert_eq!(buf.take_sorted().into_iter().collect::<Vec<_>>(), all);
        assert!(buf.is_empty());
    }
}
