//! The in-memory engine: a persistent ordered map behind a lock.
//!
//! `imbl::OrdMap` shares structure between versions, so a snapshot is an O(1) clone and a write
//! batch copies only the paths it touches. Writers take the lock briefly to swap in the new map;
//! readers clone the current map and then read without any lock. Scans walk their snapshot in
//! chunks, re-seeking after the last key returned, so an iterator owns its data and borrows
//! nothing.

use std::ops::Bound;
use std::sync::Arc;

use imbl::OrdMap;
use parking_lot::RwLock;

use crate::{
    Bounds, Direction, Engine, KeyRange, KvPair, Result, ScanIter, Snapshot, WriteBatch, WriteOp,
    bounds_contain, bounds_empty,
};

type Map = OrdMap<Vec<u8>, Vec<u8>>;

/// An ordered key-value engine held in memory. Nothing survives the process.
///
/// For crash tests it can also model a disk: `sync` then records the current state as the
/// durable one, and [`MemoryEngine::simulate_crash`] throws away everything written after the
/// last sync, as a crash would.
#[derive(Default)]
pub struct MemoryEngine {
    map: RwLock<Map>,
    durable: RwLock<Map>,
}

impl MemoryEngine {
    /// An empty engine.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the engine to its state at the last `sync`, as after a crash.
    pub fn simulate_crash(&self) {
        let durable = self.durable.read().clone();
        *self.map.write() = durable;
    }

    fn current(&self) -> Map {
        self.map.read().clone()
    }
}

impl Engine for MemoryEngine {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.map.read().get(key).cloned())
    }

    fn scan(&self, range: KeyRange, direction: Direction) -> Result<ScanIter> {
        Ok(Box::new(MemoryScan::new(
            Arc::new(self.current()),
            range,
            direction,
        )))
    }

    fn write(&self, batch: WriteBatch) -> Result<()> {
        let mut map = self.map.write();
        for op in batch.into_ops() {
            match op {
                WriteOp::Put(k, v) => {
                    map.insert(k, v);
                }
                WriteOp::Delete(k) => {
                    map.remove(&k);
                }
            }
        }
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        let current = self.current();
        *self.durable.write() = current;
        Ok(())
    }

    fn snapshot(&self) -> Result<Box<dyn Snapshot>> {
        Ok(Box::new(MemorySnapshot(Arc::new(self.current()))))
    }

    fn first_in(&self, range: Bounds<'_>, direction: Direction) -> Result<Option<KvPair>> {
        if bounds_empty(range) {
            return Ok(None);
        }
        // One seek under the read lock, cloning only the pair found (a scan would copy the
        // map handle and read ahead a chunk). The far bound is checked afterwards: a range
        // bounded on both sides costs imbl a second seek.
        let map = self.map.read();
        let (start, end) = range;
        // A range past the last key (an insert appending new keys) needs no seek.
        let past_end = match (start, map.get_max()) {
            (_, None) => true,
            (Bound::Included(s), Some((max, _))) => s > max.as_slice(),
            (Bound::Excluded(s), Some((max, _))) => s >= max.as_slice(),
            (Bound::Unbounded, Some(_)) => false,
        };
        if past_end {
            return Ok(None);
        }
        let found = match direction {
            Direction::Forward => map.range::<_, [u8]>((start, Bound::Unbounded)).next(),
            Direction::Reverse => map.range::<_, [u8]>((Bound::Unbounded, end)).next_back(),
        };
        Ok(found
            .filter(|(k, _)| bounds_contain(range, k))
            .map(|(k, v)| (k.clone(), v.clone())))
    }

    fn approximate_size(&self, range: Bounds<'_>) -> Result<u64> {
        if bounds_empty(range) {
            return Ok(0);
        }
        // Exact: the map is walked in place on a snapshot handle, nothing copied.
        let map = self.current();
        Ok(map
            .range::<_, [u8]>(range)
            .map(|(k, v)| (k.len() + v.len()) as u64)
            .sum())
    }
}

struct MemorySnapshot(Arc<Map>);

impl Snapshot for MemorySnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.0.get(key).cloned())
    }

    fn scan(&self, range: KeyRange, direction: Direction) -> Result<ScanIter> {
        Ok(Box::new(MemoryScan::new(self.0.clone(), range, direction)))
    }
}

/// Chunk sizes grow from small (point lookups read one pair) to large (long scans).
const FIRST_CHUNK: usize = 2;
const MAX_CHUNK: usize = 256;

/// A scan over a snapshot that fetches a growing chunk of pairs at a time.
struct MemoryScan {
    map: Arc<Map>,
    range: KeyRange,
    direction: Direction,
    buffer: std::vec::IntoIter<KvPair>,
    chunk: usize,
    done: bool,
}

impl MemoryScan {
    fn new(map: Arc<Map>, range: KeyRange, direction: Direction) -> Self {
        let done = range.is_empty();
        MemoryScan {
            map,
            range,
            direction,
            buffer: Vec::new().into_iter(),
            chunk: FIRST_CHUNK,
            done,
        }
    }

    fn refill(&mut self) {
        let size = self.chunk;
        self.chunk = (self.chunk * 4).min(MAX_CHUNK);
        let chunk: Vec<KvPair> = {
            let bounds = (self.range.start.clone(), self.range.end.clone());
            let iter = self.map.range::<_, Vec<u8>>(bounds);
            match self.direction {
                Direction::Forward => iter
                    .take(size)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                Direction::Reverse => iter
                    .rev()
                    .take(size)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            }
        };
        if chunk.len() < size {
            self.done = true;
        } else if let Some((last, _)) = chunk.last() {
            // Continue strictly after the last key handed out.
            match self.direction {
                Direction::Forward => self.range.start = Bound::Excluded(last.clone()),
                Direction::Reverse => self.range.end = Bound::Excluded(last.clone()),
            }
        }
        self.buffer = chunk.into_iter();
    }
}

impl Iterator for MemoryScan {
    type Item = Result<KvPair>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(pair) = self.buffer.next() {
                return Some(Ok(pair));
            }
            if self.done {
                return None;
            }
            self.refill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::first_in;

    fn key(i: u32) -> Vec<u8> {
        i.to_be_bytes().to_vec()
    }

    #[test]
    fn scans_cross_chunk_boundaries_in_both_directions() {
        let e = MemoryEngine::new();
        let mut b = WriteBatch::new();
        for i in 0..1000u32 {
            b.put(key(i), key(i * 2));
        }
        e.write(b).unwrap();
        let fwd: Vec<_> = e
            .scan(KeyRange::new(key(10), key(900)), Direction::Forward)
            .unwrap()
            .map(|r| r.unwrap().0)
            .collect();
        assert_eq!(fwd, (10..900).map(key).collect::<Vec<_>>());
        let rev: Vec<_> = e
            .scan(KeyRange::new(key(10), key(900)), Direction::Reverse)
            .unwrap()
            .map(|r| r.unwrap().0)
            .collect();
        assert_eq!(rev, (10..900).rev().map(key).collect::<Vec<_>>());
        assert_eq!(
            first_in(&e, KeyRange::all(), Direction::Reverse)
                .unwrap()
                .unwrap()
                .0,
            key(999)
        );
    }

    #[test]
    fn simulated_crash_keeps_only_synced_state() {
        let e = MemoryEngine::new();
        let mut b = WriteBatch::new();
        b.put("a", "1");
        e.write(b).unwrap();
        e.sync().unwrap();
        let mut b = WriteBatch::new();
        b.put("b", "2");
        b.delete("a");
        e.write(b).unwrap();
        e.simulate_crash();
        assert_eq!(e.get(b"a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(e.get(b"b").unwrap(), None);
    }

    #[test]
    fn snapshots_and_open_scans_do_not_see_later_writes() {
        let e = MemoryEngine::new();
        let mut b = WriteBatch::new();
        b.put("a", "1");
        b.put("b", "2");
        e.write(b).unwrap();
        let snap = e.snapshot().unwrap();
        let mut scan = e.scan(KeyRange::all(), Direction::Forward).unwrap();
        let mut b = WriteBatch::new();
        b.delete("a");
        b.put("c", "3");
        e.write(b).unwrap();
        assert_eq!(snap.get(b"a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(snap.get(b"c").unwrap(), None);
        assert_eq!(scan.next().unwrap().unwrap().0, b"a".to_vec());
        assert_eq!(scan.next().unwrap().unwrap().0, b"b".to_vec());
        assert!(scan.next().is_none());
        assert_eq!(e.get(b"a").unwrap(), None);
        assert_eq!(e.get(b"c").unwrap(), Some(b"3".to_vec()));
    }
}
