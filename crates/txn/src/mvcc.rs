//! Multi-version storage layout: how versions of keys live in the ordered key-value engine, how a
//! snapshot reads them, and how old versions are garbage-collected.
//!
//! # Layout
//! Every committed write of a user key `k` at commit timestamp `ts` is one engine entry:
//!
//! ```text
//! b'd' ++ escape(k) ++ (!ts as big-endian u64)  ->  0x00 (tombstone) | 0x01 ++ value
//! ```
//!
//! `escape` doubles as a terminator-based, prefix-free encoding (`0x00` becomes `0x00 0xFF`, and
//! `0x00 0x00` ends the key), so the versions of one key are contiguous and the order of user
//! keys is preserved. The timestamp is inverted so a forward scan meets the newest version of a
//! key first. Engine metadata (the last applied log position, the newest commit timestamp) lives
//! under `b'm'`.
//!
//! # Reading at a snapshot
//! A read at snapshot `s` of key `k` seeks to `b'd' ++ escape(k) ++ !s` and takes the first
//! entry still belonging to `k`: the newest version with `ts <= s`. A tombstone means "absent".
//! A range scan walks the versions in order and, per user key, keeps the newest version `<= s`.
//!
//! # Invariants
//! - Versions are immutable once written, and are written only after their commit record is in
//!   the log; they become visible when the visible timestamp passes their `ts`.
//! - Garbage collection with watermark `w` (no running snapshot is older than `w`) keeps, for
//!   each key, every version newer than `w` and the newest version `<= w` unless it is a
//!   tombstone; everything older is removed. Readers at `s >= w` therefore read exactly what
//!   they read before. Re-applying log records after a crash may bring back removed versions;
//!   they are garbage again and change no read.

use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use basalt_storage::{
    Direction, Engine, KeyRange, KvPair, MemoryEngine, ScanIter, WriteBatch, WriteOp,
};
use parking_lot::RwLock;

use crate::buffer::SortedWrites;
use crate::kv::Ts;
use crate::{Result, TxnError};

/// Prefix of version entries.
const DATA: u8 = b'd';
/// Prefix of metadata entries.
pub(crate) const META: u8 = b'm';
const TOMBSTONE: u8 = 0;
const VALUE: u8 = 1;

/// The metadata key holding the log position of the last applied commit record.
pub(crate) fn meta_key(name: &str) -> Vec<u8> {
    let mut k = vec![META];
    k.extend_from_slice(name.as_bytes());
    k
}

/// The length of `escape(key)`.
fn escaped_len(key: &[u8]) -> usize {
    key.len() + key.iter().filter(|b| **b == 0).count() + 2
}

/// `b'd' ++ escape(key)`: the prefix shared by every version of `key`, with room for the
/// timestamp. `escape` doubles each zero byte as `00 FF` and terminates with `00 00`.
pub(crate) fn key_prefix(key: &[u8]) -> Vec<u8> {
    // Sized once and filled by index: keys of big-endian integers are full of zero bytes, so
    // copying runs between them or pushing byte by byte both cost more.
    let len = 1 + escaped_len(key);
    let mut out = Vec::with_capacity(len + 8);
    out.resize(len, 0);
    out[0] = DATA;
    let dst = &mut out[1..];
    let mut j = 0;
    for &b in key {
        dst[j] = b;
        j += 1;
        if b == 0 {
            dst[j] = 0xFF;
            j += 1;
        }
    }
    // The two terminating zero bytes were written by `resize`.
    out
}

/// Fills `out` with the engine key of `key`'s version at `ts` (what [`version_key`] returns),
/// reusing its allocation.
pub(crate) fn version_key_into(out: &mut Vec<u8>, key: &[u8], ts: Ts) {
    out.clear();
    out.reserve(1 + escaped_len(key) + 8);
    out.push(DATA);
    let mut rest = key;
    // Runs between zero bytes are copied whole; each zero byte becomes `00 FF`.
    while let Some(z) = rest.iter().position(|b| *b == 0) {
        out.extend_from_slice(&rest[..z]);
        out.extend_from_slice(&[0, 0xFF]);
        rest = &rest[z + 1..];
    }
    out.extend_from_slice(rest);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&(!ts).to_be_bytes());
}

/// The engine key of `key`'s version at `ts`.
pub(crate) fn version_key(key: &[u8], ts: Ts) -> Vec<u8> {
    let mut out = key_prefix(key);
    out.extend_from_slice(&(!ts).to_be_bytes());
    out
}

/// The engine value of a version.
pub(crate) fn version_value(value: Option<&[u8]>) -> Vec<u8> {
    match value {
        None => vec![TOMBSTONE],
        Some(v) => {
            let mut out = Vec::with_capacity(v.len() + 1);
            out.push(VALUE);
            out.extend_from_slice(v);
            out
        }
    }
}

/// Splits an engine key into (user key, ts).
pub(crate) fn decode_version_key(raw: &[u8]) -> Result<(Vec<u8>, Ts)> {
    let bad = || TxnError::Corrupt(format!("malformed version key {raw:02x?}"));
    let rest = raw.strip_prefix(&[DATA]).ok_or_else(bad)?;
    let mut key = Vec::with_capacity(rest.len());
    let mut i = 0;
    loop {
        match (rest.get(i), rest.get(i + 1)) {
            (Some(0), Some(0)) => break,
            (Some(0), Some(0xFF)) => {
                key.push(0);
                i += 2;
            }
            (Some(&b), _) if b != 0 => {
                key.push(b);
                i += 1;
            }
            _ => return Err(bad()),
        }
    }
    let ts_bytes: [u8; 8] = rest
        .get(i + 2..)
        .and_then(|t| t.try_into().ok())
        .ok_or_else(bad)?;
    Ok((key, !u64::from_be_bytes(ts_bytes)))
}

fn decode_version_value(raw: Vec<u8>) -> Result<Option<Vec<u8>>> {
    match raw.first() {
        Some(&TOMBSTONE) if raw.len() == 1 => Ok(None),
        Some(&VALUE) => {
            let mut v = raw;
            v.remove(0);
            Ok(Some(v))
        }
        _ => Err(TxnError::Corrupt("malformed version value".to_string())),
    }
}

/// Adds a committed write of `key` at `ts` to `batch`.
pub(crate) fn add_version(batch: &mut WriteBatch, key: &[u8], ts: Ts, value: Option<&[u8]>) {
    batch.put(version_key(key, ts), version_value(value));
}

/// The newest version of `key` with a timestamp `<= ts`: `Some((version_ts, value))`, where
/// `value` is `None` for a tombstone.
#[cfg(test)]
pub(crate) fn read_version(
    engine: &dyn Engine,
    key: &[u8],
    ts: Ts,
) -> Result<Option<(Ts, Option<Vec<u8>>)>> {
    read_version_in(engine, &VersionRange::new(key, ts))
}

/// The engine keys of one user key's versions with a timestamp `<= ts`, newest first: both
/// bounds in one buffer, on the stack for keys of usual length (a point read allocates
/// nothing for them).
struct VersionRange {
    buf: RangeBuf,
    /// Where the end bound starts in the buffer.
    split: usize,
}

/// [`VersionRange`]'s bytes: a stack array for keys up to 56 bytes (escaped), else a vector.
enum RangeBuf {
    Stack([u8; 128], usize),
    Heap(Vec<u8>),
}

impl RangeBuf {
    fn bytes(&self) -> &[u8] {
        match self {
            RangeBuf::Stack(a, n) => &a[..*n],
            RangeBuf::Heap(v) => v,
        }
    }
}

impl VersionRange {
    fn new(key: &[u8], ts: Ts) -> Self {
        // Filled by index into a buffer sized once (pushing byte by byte checks capacity
        // each time): prefix, inverted ts, prefix again, eight 0xFF.
        let prefix = 1 + escaped_len(key);
        let split = prefix + 8;
        let total = 2 * split;
        let fill = |buf: &mut [u8]| {
            buf[0] = DATA;
            let mut j = 1;
            for &b in key {
                buf[j] = b;
                j += 1;
                if b == 0 {
                    buf[j] = 0xFF;
                    j += 1;
                }
            }
            // The two terminating zero bytes.
            buf[j] = 0;
            buf[j + 1] = 0;
            buf[prefix..split].copy_from_slice(&(!ts).to_be_bytes());
            let (head, tail) = buf.split_at_mut(split);
            tail[..prefix].copy_from_slice(&head[..prefix]);
            tail[prefix..].fill(0xFF);
        };
        let buf = if total <= 128 {
            let mut a = [0u8; 128];
            fill(&mut a[..total]);
            RangeBuf::Stack(a, total)
        } else {
            let mut v = vec![0u8; total];
            fill(&mut v);
            RangeBuf::Heap(v)
        };
        VersionRange { buf, split }
    }

    fn start(&self) -> &[u8] {
        &self.buf.bytes()[..self.split]
    }

    fn bounds(&self) -> basalt_storage::Bounds<'_> {
        let (start, end) = self.buf.bytes().split_at(self.split);
        (Bound::Included(start), Bound::Included(end))
    }
}

/// [`read_version`] over one key's [`VersionRange`].
fn read_version_in(
    engine: &dyn Engine,
    range: &VersionRange,
) -> Result<Option<(Ts, Option<Vec<u8>>)>> {
    let Some((raw_key, raw_value)) = engine.first_in(range.bounds(), Direction::Forward)? else {
        return Ok(None);
    };
    // Every key in the range is a version of the range's key, whose timestamp is read
    // without decoding the user key.
    let version_ts = match own_version_ts(range, &raw_key) {
        Some(ts) => ts,
        None => decode_version_key(&raw_key)?.1,
    };
    Ok(Some((version_ts, decode_version_value(raw_value)?)))
}

/// The timestamp of `raw_key` if it is a version of `range`'s user key: that key's prefix
/// plus 8 timestamp bytes (escaped keys are prefix-free).
fn own_version_ts(range: &VersionRange, raw_key: &[u8]) -> Option<Ts> {
    let start = range.start();
    let prefix = &start[..start.len() - 8];
    if raw_key.len() != start.len() || !raw_key.starts_with(prefix) {
        return None;
    }
    let ts: [u8; 8] = raw_key[prefix.len()..].try_into().ok()?;
    Some(!u64::from_be_bytes(ts))
}

/// Maps a range of user keys to the range of engine keys holding their versions.
pub(crate) fn engine_range(range: &KeyRange) -> KeyRange {
    let start = match &range.start {
        Bound::Included(k) => Bound::Included(key_prefix(k)),
        Bound::Excluded(k) => {
            let mut s = key_prefix(k);
            s.extend_from_slice(&[0xFF; 8]);
            Bound::Excluded(s)
        }
        Bound::Unbounded => Bound::Included(vec![DATA]),
    };
    let end = match &range.end {
        Bound::Included(k) => {
            let mut e = key_prefix(k);
            e.extend_from_slice(&[0xFF; 8]);
            Bound::Included(e)
        }
        Bound::Excluded(k) => Bound::Excluded(key_prefix(k)),
        Bound::Unbounded => Bound::Excluded(vec![DATA + 1]),
    };
    KeyRange { start, end }
}

/// A decoded version: the value, or `None` for a tombstone.
type Version = Option<Vec<u8>>;

/// A scan of committed data at a snapshot: yields `(user key, value)` for each key whose newest
/// version `<= ts` is not a tombstone.
pub(crate) struct SnapshotScan {
    inner: ScanIter,
    ts: Ts,
    direction: Direction,
    /// Reverse scans: the key being collected and its best version so far.
    pending: Option<(Vec<u8>, Option<Version>)>,
    /// Forward scans: the key whose visible version was already decided.
    done_key: Option<Vec<u8>>,
    finished: bool,
}

impl SnapshotScan {
    /// A scan at `ts` over `inner`, a stream of version entries in `direction` order.
    pub(crate) fn over(inner: ScanIter, direction: Direction, ts: Ts) -> Self {
        SnapshotScan {
            inner,
            ts,
            direction,
            pending: None,
            done_key: None,
            finished: false,
        }
    }

    fn next_forward(&mut self) -> Result<Option<KvPair>> {
        for item in self.inner.by_ref() {
            let (raw_key, raw_value) = item?;
            let (key, ts) = decode_version_key(&raw_key)?;
            if ts > self.ts || self.done_key.as_deref() == Some(key.as_slice()) {
                continue;
            }
            let value = decode_version_value(raw_value)?;
            self.done_key = Some(key.clone());
            if let Some(v) = value {
                return Ok(Some((key, v)));
            }
        }
        Ok(None)
    }

    fn next_reverse(&mut self) -> Result<Option<KvPair>> {
        // Versions of a key arrive oldest first; the last one <= ts wins.
        loop {
            let Some(item) = self.inner.next() else {
                return Ok(self
                    .pending
                    .take()
                    .and_then(|(k, v)| v.flatten().map(|v| (k, v))));
            };
            let (raw_key, raw_value) = item?;
            let (key, ts) = decode_version_key(&raw_key)?;
            let mut emitted = None;
            if self.pending.as_ref().is_some_and(|(k, _)| *k != key) {
                emitted = self
                    .pending
                    .take()
                    .and_then(|(k, v)| v.flatten().map(|v| (k, v)));
            }
            let entry = self.pending.get_or_insert((key, None));
            if ts <= self.ts {
                entry.1 = Some(decode_version_value(raw_value)?);
            }
            if emitted.is_some() {
                return Ok(emitted);
            }
        }
    }
}

impl Iterator for SnapshotScan {
    type Item = Result<KvPair>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let r = match self.direction {
            Direction::Forward => self.next_forward(),
            Direction::Reverse => self.next_reverse(),
        };
        match r {
            Ok(Some(pair)) => Some(Ok(pair)),
            Ok(None) => {
                self.finished = true;
                None
            }
            Err(e) => {
                self.finished = true;
                Some(Err(e))
            }
        }
    }
}

/// One transaction's committed writes kept as they were buffered: sorted by user key, each key
/// once, all at one timestamp.
///
/// A large commit becomes a run instead of being inserted version by version into the memory
/// table: its commit then moves the write buffer (no version keys built, no tree insertions),
/// and a checkpoint writes it to the engine like the memory table. Readers binary-search runs,
/// so their number is bounded ([`MAX_RUNS`]); small commits go to the memory table (the size
/// is [`crate::Options::run_min_writes`]).
pub(crate) struct Run {
    ts: Ts,
    writes: SortedWrites,
}

/// At most this many runs wait for a checkpoint; later large commits go to the memory table.
pub(crate) const MAX_RUNS: usize = 16;

impl Run {
    /// A run of `writes`, which must be sorted by key without duplicates (a write buffer's
    /// order).
    pub(crate) fn new(ts: Ts, writes: SortedWrites) -> Self {
        debug_assert!(
            writes
                .iter()
                .zip(writes.iter().skip(1))
                .all(|(a, b)| a.0 < b.0)
        );
        Run { ts, writes }
    }

    /// Approximate bytes held, counted like the memory table's.
    fn bytes(&self) -> usize {
        self.writes
            .iter()
            .map(|(k, v)| k.len() + v.map_or(0, <[u8]>::len) + 16)
            .sum()
    }

    /// This run's write of `key`, if any.
    fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        crate::buffer::find_sorted(&self.writes, key)
            .ok()
            .map(|i| self.writes.get(i).1)
    }

    /// The version entries (engine encoding) of the user keys in `range`, in `direction` order.
    fn scan(self: &Arc<Self>, range: &KeyRange, direction: Direction) -> ScanIter {
        let (start, end) = range.as_slices();
        let std::ops::Range { start: lo, end: hi } =
            crate::buffer::sorted_range(&self.writes, start, end);
        let run = self.clone();
        let entry = move |i: usize| {
            let (k, v) = run.writes.get(i);
            Ok((version_key(k, run.ts), version_value(v)))
        };
        match direction {
            Direction::Forward => Box::new((lo..hi).map(entry)),
            Direction::Reverse => Box::new((lo..hi).rev().map(entry)),
        }
    }

    /// Writes this run's versions to `engine`, at most `n` per engine write (for a
    /// checkpoint): each version's key is built in one reused buffer and its value handed over
    /// in two parts, so nothing is allocated per version.
    pub(crate) fn write_to(&self, engine: &dyn Engine, n: usize) -> Result<()> {
        let n = n.max(1);
        let mut key = Vec::new();
        let mut at = 0;
        while at < self.writes.len() {
            let end = (at + n).min(self.writes.len());
            engine.write_with(&mut |sink| {
                for i in at..end {
                    let (k, v) = self.writes.get(i);
                    version_key_into(&mut key, k, self.ts);
                    match v {
                        Some(v) => sink.put(&key, &[&[VALUE], v])?,
                        None => sink.put(&key, &[&[TOMBSTONE]])?,
                    }
                }
                Ok(())
            })?;
            at = end;
        }
        Ok(())
    }
}

/// The newest version `<= ts` of `key` in `runs` (oldest first).
fn read_runs(runs: &[Arc<Run>], key: &[u8], ts: Ts) -> Option<(Ts, Option<Vec<u8>>)> {
    runs.iter()
        .rev()
        .filter(|r| r.ts <= ts)
        .find_map(|r| r.get(key).map(|v| (r.ts, v.map(<[u8]>::to_vec))))
}

/// The newer of two found versions.
fn newer(
    a: Option<(Ts, Option<Vec<u8>>)>,
    b: Option<(Ts, Option<Vec<u8>>)>,
) -> Option<(Ts, Option<Vec<u8>>)> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if a.0 >= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// The layers holding committed versions: an in-memory table of recent commits (`active`) and
/// the runs of recent large commits, the table and runs being written to the engine by a
/// checkpoint (`flushing`), and the engine.
///
/// Commits go to `active` or become runs, so a commit costs an insertion into a persistent
/// in-memory map (or a move) rather than an engine transaction; a checkpoint moves them to the
/// engine in bulk. Every version in memory is newer than every version of the same key in the
/// engine (a checkpoint moves all of `active` and the runs at once), and every version of the
/// active layer is newer than every one of the flushing layer, so a point read can stop at the
/// first layer that has a version `<= ts` (within a layer, the table and the runs interleave in
/// time: the newest of them wins). Versions are immutable, so a version present in two layers
/// while a flush runs is the same in both.
pub(crate) struct VersionStore {
    engine: Arc<dyn Engine>,
    tables: RwLock<Tables>,
    /// Approximate bytes in `active` and the active runs.
    active_bytes: AtomicU64,
    /// Bumped by every apply, before its `after` (see [`VersionStore::applied`]).
    applied: AtomicU64,
}

/// What [`VersionStore::seek_newest`] found.
pub(crate) enum Seek {
    /// The key's newest version: its timestamp and value (`None`: a tombstone).
    Found((Ts, Option<Vec<u8>>)),
    /// The key has no version; `next` is the smallest greater user key that has one.
    Absent { next: Option<Vec<u8>> },
}

/// What a flushing table covers: the last log position and the newest commit timestamp applied
/// to it.
pub(crate) type FlushMark = (u64, Ts);

/// The memory layer being written to the engine by a checkpoint.
#[derive(Clone)]
pub(crate) struct Flushing {
    pub(crate) table: Arc<MemoryEngine>,
    pub(crate) runs: Vec<Arc<Run>>,
    pub(crate) mark: FlushMark,
}

#[derive(Default)]
struct Tables {
    active: Arc<MemoryEngine>,
    /// Runs of large commits, oldest first.
    runs: Vec<Arc<Run>>,
    flushing: Option<Flushing>,
}

impl VersionStore {
    pub(crate) fn new(engine: Arc<dyn Engine>) -> Self {
        VersionStore {
            engine,
            tables: RwLock::new(Tables::default()),
            active_bytes: AtomicU64::new(0),
            applied: AtomicU64::new(0),
        }
    }

    /// The engine underneath.
    pub(crate) fn engine(&self) -> &Arc<dyn Engine> {
        &self.engine
    }

    /// Adds committed versions to the active memory table. `after` runs under the same lock, so
    /// that a checkpoint switching tables sees it done for every version it moves.
    pub(crate) fn apply(&self, batch: WriteBatch, after: impl FnOnce()) -> Result<()> {
        self.apply_with_runs(batch, Vec::new(), after)
    }

    /// [`VersionStore::apply`] that also adds `runs` (newer than everything applied before,
    /// in commit order). The caller keeps the number of runs under [`MAX_RUNS`].
    pub(crate) fn apply_with_runs(
        &self,
        batch: WriteBatch,
        runs: Vec<Run>,
        after: impl FnOnce(),
    ) -> Result<()> {
        let mut bytes: usize = batch
            .ops()
            .iter()
            .map(|op| match op {
                WriteOp::Put(k, v) => k.len() + v.len() + 32,
                WriteOp::Delete(k) => k.len() + 32,
            })
            .sum();
        if runs.is_empty() {
            let tables = self.tables.read();
            tables.active.write(batch)?;
            self.active_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
            self.applied.fetch_add(1, Ordering::Release);
            after();
            return Ok(());
        }
        bytes += runs.iter().map(Run::bytes).sum::<usize>();
        let mut tables = self.tables.write();
        if !batch.is_empty() {
            tables.active.write(batch)?;
        }
        tables.runs.extend(runs.into_iter().map(Arc::new));
        self.active_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        self.applied.fetch_add(1, Ordering::Release);
        after();
        Ok(())
    }

    /// Bytes of versions waiting in memory for the next checkpoint.
    pub(crate) fn active_bytes(&self) -> u64 {
        self.active_bytes.load(Ordering::Relaxed)
    }

    /// Runs waiting for the next checkpoint.
    pub(crate) fn run_count(&self) -> usize {
        self.tables.read().runs.len()
    }

    /// The newest version of `key` with a timestamp `<= ts`.
    pub(crate) fn read_version(&self, key: &[u8], ts: Ts) -> Result<Option<(Ts, Option<Vec<u8>>)>> {
        let range = VersionRange::new(key, ts);
        self.first_layer(|table, runs| {
            Ok(newer(
                read_version_in(table, &range)?,
                read_runs(runs, key, ts),
            ))
        })
    }

    /// The first answer of `layer` asked of each layer newest first — the active memory table
    /// with its runs, the flushing ones, the engine (with no runs) — as a point read stops at
    /// the first layer holding a version (see the type's docs). The memory tables are read
    /// under the lock (a point read is short), which saves cloning their handles.
    fn first_layer<T>(
        &self,
        mut layer: impl FnMut(&dyn Engine, &[Arc<Run>]) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        {
            let t = self.tables.read();
            if let Some(v) = layer(&*t.active, &t.runs)? {
                return Ok(Some(v));
            }
            if let Some(f) = &t.flushing
                && let Some(v) = layer(&*f.table, &f.runs)?
            {
                return Ok(Some(v));
            }
        }
        layer(&*self.engine, &[])
    }

    /// The newest version of `key` (as [`VersionStore::read_version`] at `Ts::MAX`), or, when
    /// `key` has none, the smallest user key above it that has a version in any layer (`None`:
    /// no key above it has one). Every user key in between has no version at all, which lets a
    /// writer skip the uniqueness read of keys arriving in that gap (see
    /// `LocalTxn::lock_row`). Costs about what a point read of a missing key costs.
    pub(crate) fn seek_newest(&self, key: &[u8]) -> Result<Seek> {
        let range = VersionRange::new(key, Ts::MAX);
        let bounds = (
            Bound::Included(range.start()),
            Bound::Excluded(&[DATA + 1][..]),
        );
        let mut next: Option<Vec<u8>> = None;
        fn consider(k: &[u8], next: &mut Option<Vec<u8>>) {
            if next.as_deref().is_none_or(|n| k < n) {
                *next = Some(k.to_vec());
            }
        }
        // A table's first entry at or above the key: a version of the key itself (the newest,
        // timestamps being inverted) or the first version of a greater key.
        let in_table = |engine: &dyn Engine, next: &mut Option<Vec<u8>>| -> Result<_> {
            let Some((raw_key, raw_value)) = engine.first_in(bounds, Direction::Forward)? else {
                return Ok(None);
            };
            if let Some(ts) = own_version_ts(&range, &raw_key) {
                return Ok(Some((ts, decode_version_value(raw_value)?)));
            }
            let (user, _) = decode_version_key(&raw_key)?;
            consider(&user, next);
            Ok(None)
        };
        let in_runs = |runs: &[Arc<Run>], next: &mut Option<Vec<u8>>| {
            // Newest run first: the first one holding the key has its newest version.
            for r in runs.iter().rev() {
                let i = r.writes.partition_point(|k| k < key);
                match r.writes.get_checked(i) {
                    Some((k, v)) if k == key => return Some((r.ts, v.map(<[u8]>::to_vec))),
                    Some((k, _)) => consider(k, next),
                    None => {}
                }
            }
            None
        };
        let found = self.first_layer(|table, runs| {
            Ok(newer(in_table(table, &mut next)?, in_runs(runs, &mut next)))
        })?;
        Ok(match found {
            Some(v) => Seek::Found(v),
            None => Seek::Absent { next },
        })
    }

    /// How many times committed versions were added; a reader that saw no change since an
    /// earlier read knows no key gained a version in between.
    pub(crate) fn applied(&self) -> u64 {
        self.applied.load(Ordering::Acquire)
    }

    /// The version entries of the user keys in `range`, from every layer, in `direction` order.
    pub(crate) fn scan(&self, range: &KeyRange, direction: Direction) -> Result<ScanIter> {
        let engine_range = engine_range(range);
        let (active, runs, flushing) = {
            let t = self.tables.read();
            (t.active.clone(), t.runs.clone(), t.flushing.clone())
        };
        let mut sources = vec![active.scan(engine_range.clone(), direction)?];
        sources.extend(runs.iter().map(|r| r.scan(range, direction)));
        if let Some(f) = flushing {
            sources.push(f.table.scan(engine_range.clone(), direction)?);
            sources.extend(f.runs.iter().map(|r| r.scan(range, direction)));
        }
        sources.push(self.engine.scan(engine_range, direction)?);
        Ok(Box::new(MergeScan::new(sources, direction)))
    }

    /// About how many bytes the versions of the user keys in `range` take: every version in
    /// every layer (old ones that garbage collection has not removed yet too), in their
    /// engine encoding. While a checkpoint runs, a version of the flushing layer counts only
    /// if the engine does not hold it yet; one the checkpoint writes during the call may be
    /// missed.
    pub(crate) fn approximate_size(&self, range: &KeyRange) -> Result<u64> {
        if range.is_empty() {
            return Ok(0);
        }
        let engine_range = engine_range(range);
        let bounds = engine_range.as_slices();
        let (active, runs, flushing) = {
            let t = self.tables.read();
            (t.active.clone(), t.runs.clone(), t.flushing.clone())
        };
        let (start, end) = range.as_slices();
        let in_runs = |runs: &[Arc<Run>]| -> u64 {
            runs.iter()
                .map(|r| {
                    crate::buffer::sorted_range(&r.writes, start, end)
                        .map(|i| {
                            let (k, v) = r.writes.get(i);
                            // b'd' ++ escape(k) ++ ts -> tag ++ value
                            (1 + escaped_len(k) + 8 + 1 + v.map_or(0, <[u8]>::len)) as u64
                        })
                        .sum::<u64>()
                })
                .sum()
        };
        let mut total = active.approximate_size(bounds)? + in_runs(&runs);
        total += self.engine.approximate_size(bounds)?;
        if let Some(f) = flushing {
            // The checkpoint copies these into the engine batch by batch: count what has not
            // arrived (versions are immutable, so one found there is the same bytes).
            let missing = |k: &[u8], len: usize| -> Result<u64> {
                Ok(match self.engine.get(k)? {
                    Some(_) => 0,
                    None => len as u64,
                })
            };
            for item in f.table.scan(engine_range.clone(), Direction::Forward)? {
                let (k, v) = item?;
                total += missing(&k, k.len() + v.len())?;
            }
            for r in &f.runs {
                for i in crate::buffer::sorted_range(&r.writes, start, end) {
                    let (k, v) = r.writes.get(i);
                    let key = version_key(k, r.ts);
                    total += missing(&key, key.len() + 1 + v.map_or(0, <[u8]>::len))?;
                }
            }
        }
        Ok(total)
    }

    /// Starts a checkpoint: the active table and runs become the flushing ones (unless an
    /// earlier flush did not finish, which is retried first). `mark` runs while no commit can
    /// apply and says what they cover. Returns what to write to the engine.
    pub(crate) fn begin_flush(&self, mark: impl FnOnce() -> FlushMark) -> Flushing {
        let mut t = self.tables.write();
        if let Some(pending) = &t.flushing {
            return pending.clone();
        }
        let full = Flushing {
            table: std::mem::take(&mut t.active),
            runs: std::mem::take(&mut t.runs),
            mark: mark(),
        };
        self.active_bytes.store(0, Ordering::Relaxed);
        t.flushing = Some(full.clone());
        full
    }

    /// Ends a checkpoint whose table is now durable in the engine.
    pub(crate) fn finish_flush(&self) {
        self.tables.write().flushing = None;
    }
}

/// Merges sorted streams of version entries; on equal keys the earlier source wins and the
/// others are skipped (they hold the same immutable version).
struct MergeScan {
    sources: Vec<ScanIter>,
    /// The next item of each source, read ahead.
    heads: Vec<Option<basalt_storage::Result<KvPair>>>,
    direction: Direction,
}

impl MergeScan {
    fn new(mut sources: Vec<ScanIter>, direction: Direction) -> Self {
        let heads = sources.iter_mut().map(Iterator::next).collect();
        MergeScan {
            sources,
            heads,
            direction,
        }
    }

    fn head_key(&self, i: usize) -> Option<&[u8]> {
        match &self.heads[i] {
            Some(Ok((k, _))) => Some(k),
            _ => None,
        }
    }

    fn advance(&mut self, i: usize) -> Option<basalt_storage::Result<KvPair>> {
        let next = self.sources[i].next();
        std::mem::replace(&mut self.heads[i], next)
    }
}

impl Iterator for MergeScan {
    type Item = basalt_storage::Result<KvPair>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(i) = self.heads.iter().position(|h| matches!(h, Some(Err(_)))) {
            return self.advance(i);
        }
        let mut best: Option<usize> = None;
        for i in 0..self.heads.len() {
            let Some(key) = self.head_key(i) else {
                continue;
            };
            let better = match best.and_then(|b| self.head_key(b)) {
                None => true,
                Some(best_key) => match self.direction {
                    Direction::Forward => key < best_key,
                    Direction::Reverse => key > best_key,
                },
            };
            if better {
                best = Some(i);
            }
        }
        let b = best?;
        let item = self.advance(b);
        if let Some(Ok((key, _))) = &item {
            for i in 0..self.heads.len() {
                if i != b && self.head_key(i) == Some(key.as_slice()) {
                    self.advance(i);
                }
            }
        }
        item
    }
}

/// What a garbage-collection pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GcStats {
    /// Versions examined.
    pub versions_seen: u64,
    /// Versions removed.
    pub versions_removed: u64,
    /// The watermark used.
    pub watermark: Ts,
}

/// Removes every version no snapshot at or after `watermark` can see.
pub(crate) fn collect_garbage(engine: &dyn Engine, watermark: Ts) -> Result<GcStats> {
    const BATCH: usize = 1024;
    let mut stats = GcStats {
        watermark,
        ..GcStats::default()
    };
    let mut batch = WriteBatch::new();
    let mut current: Option<Vec<u8>> = None;
    // Whether the newest version <= watermark of the current key was already seen.
    let mut kept_visible = false;
    for item in engine.scan(engine_range(&KeyRange::all()), Direction::Forward)? {
        let (raw_key, raw_value) = item?;
        let (key, ts) = decode_version_key(&raw_key)?;
        stats.versions_seen += 1;
        if current.as_deref() != Some(key.as_slice()) {
            // Flush only between keys: a tombstone and the versions it hides go in one atomic
            // batch, or a reader could see a deleted row again in between.
            if batch.len() >= BATCH {
                stats.versions_removed += batch.len() as u64;
                engine.write(std::mem::take(&mut batch))?;
            }
            current = Some(key);
            kept_visible = false;
        }
        if ts > watermark {
            continue;
        }
        if kept_visible {
            batch.delete(raw_key);
        } else {
            kept_visible = true;
            if raw_value.first() == Some(&TOMBSTONE) {
                batch.delete(raw_key);
            }
        }
    }
    stats.versions_removed += batch.len() as u64;
    if !batch.is_empty() {
        engine.write(batch)?;
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use basalt_storage::MemoryEngine;

    fn put(e: &MemoryEngine, key: &[u8], ts: Ts, value: Option<&[u8]>) {
        let mut b = WriteBatch::new();
        add_version(&mut b, key, ts, value);
        e.write(b).unwrap();
    }

    #[test]
    fn version_keys_round_trip_and_order() {
        for key in [&b""[..], b"a", b"a\x00", b"\x00\x00", b"\xff"] {
            for ts in [0, 1, 77, u64::MAX] {
                assert_eq!(
                    decode_version_key(&version_key(key, ts)).unwrap(),
                    (key.to_vec(), ts)
                );
            }
        }
        // User-key order is kept and versions of a key are newest first.
        assert!(version_key(b"a", 1) < version_key(b"a\x00", 9));
        assert!(version_key(b"a\x00", 1) < version_key(b"a\x01", 9));
        assert!(version_key(b"a", 9) < version_key(b"a", 1));
        assert!(decode_version_key(b"d\x01\x00").is_err());
        assert!(decode_version_key(b"x").is_err());
    }

    #[test]
    fn snapshot_reads_pick_the_newest_visible_version() {
        let e = MemoryEngine::new();
        put(&e, b"k", 5, Some(b"v5"));
        put(&e, b"k", 9, None);
        put(&e, b"k", 12, Some(b"v12"));
        put(&e, b"k\x00", 3, Some(b"other"));
        assert_eq!(read_version(&e, b"k", 4).unwrap(), None);
        assert_eq!(
            read_version(&e, b"k", 5).unwrap(),
            Some((5, Some(b"v5".to_vec())))
        );
        assert_eq!(read_version(&e, b"k", 10).unwrap(), Some((9, None)));
        assert_eq!(
            read_version(&e, b"k", 99).unwrap(),
            Some((12, Some(b"v12".to_vec())))
        );
        let scan = |ts, dir| {
            let inner = e.scan(engine_range(&KeyRange::all()), dir).unwrap();
            SnapshotScan::over(inner, dir, ts)
                .map(|r| r.unwrap())
                .collect::<Vec<_>>()
        };
        let at10 = vec![(b"k\x00".to_vec(), b"other".to_vec())];
        assert_eq!(scan(10, Direction::Forward), at10);
        assert_eq!(scan(10, Direction::Reverse), at10);
        let at12 = vec![
            (b"k".to_vec(), b"v12".to_vec()),
            (b"k\x00".to_vec(), b"other".to_vec()),
        ];
        assert_eq!(scan(12, Direction::Forward), at12);
        assert_eq!(
            scan(12, Direction::Reverse),
            at12.into_iter().rev().collect::<Vec<_>>()
        );
    }

    /// Applies one committed version to `store`'s memory table.
    fn apply_one(store: &VersionStore, key: &[u8], ts: Ts, value: Option<&[u8]>) {
        let mut b = WriteBatch::new();
        add_version(&mut b, key, ts, value);
        store.apply(b, || {}).unwrap();
    }

    #[test]
    fn version_store_reads_across_memory_tables_and_engine() {
        let engine = Arc::new(MemoryEngine::new());
        let store = VersionStore::new(engine.clone());
        let apply = |key: &[u8], ts: Ts, value: Option<&[u8]>| apply_one(&store, key, ts, value);
        apply(b"a", 1, Some(b"a1"));
        apply(b"c", 2, Some(b"c2"));
        // Move them to "flushing", and copy one of them to the engine as a checkpoint would.
        let table = store.begin_flush(|| (0, 2)).table;
        put(&engine, b"a", 1, Some(b"a1"));
        apply(b"a", 3, None);
        apply(b"b", 4, Some(b"b4"));
        let scan = |ts, dir| {
            SnapshotScan::over(store.scan(&KeyRange::all(), dir).unwrap(), dir, ts)
                .map(|r| r.unwrap())
                .collect::<Vec<_>>()
        };
        let at2 = vec![
            (b"a".to_vec(), b"a1".to_vec()),
            (b"c".to_vec(), b"c2".to_vec()),
        ];
        assert_eq!(scan(2, Direction::Forward), at2);
        assert_eq!(
            scan(2, Direction::Reverse),
            at2.iter().rev().cloned().collect::<Vec<_>>()
        );
        let at9 = vec![
            (b"b".to_vec(), b"b4".to_vec()),
            (b"c".to_vec(), b"c2".to_vec()),
        ];
        assert_eq!(scan(9, Direction::Forward), at9);
        assert_eq!(
            scan(9, Direction::Reverse),
            at9.iter().rev().cloned().collect::<Vec<_>>()
        );
        assert_eq!(
            store.read_version(b"a", 2).unwrap(),
            Some((1, Some(b"a1".to_vec())))
        );
        assert_eq!(store.read_version(b"a", 9).unwrap(), Some((3, None)));
        // The merged stream holds each version once.
        assert_eq!(
            store
                .scan(&KeyRange::all(), Direction::Forward)
                .unwrap()
                .count(),
            4
        );
        drop(table);
        store.finish_flush();
        assert_eq!(
            store.read_version(b"c", 9).unwrap(),
            None,
            "c2 was only in the flushed table"
        );
    }

    #[test]
    fn seek_finds_the_newest_version_or_the_next_key_in_any_layer() {
        let engine = Arc::new(MemoryEngine::new());
        let store = VersionStore::new(engine.clone());
        let apply = |key: &[u8], ts: Ts, value: Option<&[u8]>| apply_one(&store, key, ts, value);
        let seek = |key: &[u8]| match store.seek_newest(key).unwrap() {
            Seek::Found(v) => Ok(v),
            Seek::Absent { next } => Err(next),
        };
        assert_eq!(seek(b"a"), Err(None));
        put(&engine, b"m", 1, Some(b"m1"));
        put(&engine, b"m\x00", 1, Some(b"m01"));
        assert_eq!(seek(b"a"), Err(Some(b"m".to_vec())));
        assert_eq!(seek(b"m"), Ok((1, Some(b"m1".to_vec()))));
        // The zero byte escapes: "m\0" sorts after "m" and before "m\x01".
        assert_eq!(seek(b"m\x00"), Ok((1, Some(b"m01".to_vec()))));
        assert_eq!(seek(b"m\x00\x00"), Err(None));
        let before = store.applied();
        apply(b"g", 2, None);
        assert_ne!(store.applied(), before, "an apply changes the count");
        // A tombstone is a version: the gap stops there.
        assert_eq!(seek(b"a"), Err(Some(b"g".to_vec())));
        assert_eq!(seek(b"g"), Ok((2, None)));
        // A run between them, then the memory layer moved to flushing.
        store
            .apply_with_runs(
                WriteBatch::new(),
                vec![Run::new(
                    3,
                    [(b"c".to_vec(), Some(b"c3".to_vec())), (b"h".to_vec(), None)]
                        .into_iter()
                        .collect(),
                )],
                || {},
            )
            .unwrap();
        assert_eq!(seek(b"a"), Err(Some(b"c".to_vec())));
        assert_eq!(seek(b"d"), Err(Some(b"g".to_vec())));
        assert_eq!(seek(b"gg"), Err(Some(b"h".to_vec())));
        let _flushing = store.begin_flush(|| (0, 3));
        apply(b"c", 4, Some(b"c4"));
        assert_eq!(seek(b"c"), Ok((4, Some(b"c4".to_vec()))));
        assert_eq!(seek(b"h"), Ok((3, None)));
        assert_eq!(seek(b"b"), Err(Some(b"c".to_vec())));
        assert_eq!(seek(b"i"), Err(Some(b"m".to_vec())));
    }

    #[test]
    fn runs_interleave_with_the_memory_table_and_flush() {
        let engine = Arc::new(MemoryEngine::new());
        let store = VersionStore::new(engine.clone());
        let apply = |key: &[u8], ts: Ts, value: Option<&[u8]>| apply_one(&store, key, ts, value);
        let run = |ts: Ts, writes: &[(&[u8], Option<&[u8]>)]| {
            let writes = writes
                .iter()
                .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
                .collect();
            store
                .apply_with_runs(WriteBatch::new(), vec![Run::new(ts, writes)], || {})
                .unwrap();
        };
        apply(b"b", 1, Some(b"b1"));
        run(2, &[(b"a", Some(b"a2")), (b"b", Some(b"b2")), (b"d", None)]);
        apply(b"a", 3, None);
        run(4, &[(b"c", Some(b"c4")), (b"d", Some(b"d4"))]);
        apply(b"b", 5, Some(b"b5"));
        assert_eq!(store.run_count(), 2);
        let read = |key: &[u8], ts| store.read_version(key, ts).unwrap();
        // The newest version <= ts, whether it sits in the table or in a run.
        assert_eq!(read(b"a", 2), Some((2, Some(b"a2".to_vec()))));
        assert_eq!(read(b"a", 9), Some((3, None)));
        assert_eq!(read(b"b", 1), Some((1, Some(b"b1".to_vec()))));
        assert_eq!(read(b"b", 4), Some((2, Some(b"b2".to_vec()))));
        assert_eq!(read(b"b", 9), Some((5, Some(b"b5".to_vec()))));
        assert_eq!(read(b"d", 3), Some((2, None)));
        assert_eq!(read(b"e", 9), None);
        let scan = |range: KeyRange, ts, dir| {
            SnapshotScan::over(store.scan(&range, dir).unwrap(), dir, ts)
                .map(|r| r.unwrap())
                .collect::<Vec<_>>()
        };
        let kv = |k: &[u8], v: &[u8]| (k.to_vec(), v.to_vec());
        let at4 = vec![kv(b"b", b"b2"), kv(b"c", b"c4"), kv(b"d", b"d4")];
        assert_eq!(scan(KeyRange::all(), 4, Direction::Forward), at4);
        assert_eq!(
            scan(KeyRange::all(), 4, Direction::Reverse),
            at4.iter().rev().cloned().collect::<Vec<_>>()
        );
        let middle = KeyRange {
            start: Bound::Excluded(b"a".to_vec()),
            end: Bound::Excluded(b"d".to_vec()),
        };
        assert_eq!(
            scan(middle.clone(), 9, Direction::Forward),
            vec![kv(b"b", b"b5"), kv(b"c", b"c4")]
        );
        assert_eq!(scan(middle, 2, Direction::Reverse), vec![kv(b"b", b"b2")]);
        // Sizes count the versions of every layer in their engine encoding, runs included.
        let sizes = || {
            let exact: usize = store
                .scan(&KeyRange::all(), Direction::Forward)
                .unwrap()
                .map(|r| r.map(|(k, v)| k.len() + v.len()).unwrap())
                .sum();
            (
                store.approximate_size(&KeyRange::all()).unwrap(),
                exact as u64,
            )
        };
        let (size, exact) = sizes();
        assert_eq!(size, exact);
        let b_only = KeyRange::new(b"b".to_vec(), b"c".to_vec());
        assert_eq!(
            store.approximate_size(&b_only).unwrap(),
            3 * (1 + 3 + 8 + 1 + 2)
        );
        // A checkpoint takes the runs along; written to the engine, nothing changes.
        let flushing = store.begin_flush(|| (0, 5));
        assert_eq!(store.approximate_size(&KeyRange::all()).unwrap(), size);
        assert_eq!(flushing.runs.len(), 2);
        assert_eq!(store.run_count(), 0);
        assert_eq!(read(b"b", 4), Some((2, Some(b"b2".to_vec()))));
        run(6, &[(b"c", None)]);
        assert_eq!(read(b"c", 5), Some((4, Some(b"c4".to_vec()))));
        assert_eq!(read(b"c", 6), Some((6, None)));
        let mut batches = 0;
        for item in flushing
            .table
            .scan(KeyRange::all(), Direction::Forward)
            .unwrap()
        {
            let (k, v) = item.unwrap();
            let mut b = WriteBatch::new();
            b.put(k, v);
            engine.write(b).unwrap();
        }
        for r in &flushing.runs {
            batches += r.writes.len();
            r.write_to(&*engine, 1).unwrap();
        }
        assert_eq!(batches, 5, "one batch per write");
        // Written but not yet finished: each version counted once (and the run of ts 6).
        let during = store.approximate_size(&KeyRange::all()).unwrap();
        assert_eq!(during, size + (1 + 3 + 8 + 1));
        drop(flushing);
        store.finish_flush();
        let (size, exact) = sizes();
        assert_eq!(size, exact);
        assert_eq!(read(b"b", 4), Some((2, Some(b"b2".to_vec()))));
        assert_eq!(read(b"d", 9), Some((4, Some(b"d4".to_vec()))));
        assert_eq!(
            scan(KeyRange::all(), 9, Direction::Forward),
            vec![kv(b"b", b"b5"), kv(b"d", b"d4")]
        );
    }

    #[test]
    fn version_key_into_matches_version_key() {
        let mut buf = b"left over".to_vec();
        for key in [
            &b""[..],
            b"\0",
            b"\0\0",
            b"a\0b",
            b"t\0\0\0\x01\0\0\0\0\0\0\0\x07",
            b"plain",
            b"\xff\0",
        ] {
            for ts in [0, 1, 77, u64::MAX] {
                version_key_into(&mut buf, key, ts);
                assert_eq!(buf, version_key(key, ts), "{key:?} {ts}");
            }
        }
    }

    #[test]
    fn gc_keeps_what_snapshots_at_the_watermark_see() {
        let e = MemoryEngine::new();
        put(&e, b"a", 1, Some(b"1"));
        put(&e, b"a", 3, Some(b"3"));
        put(&e, b"a", 7, Some(b"7"));
        put(&e, b"b", 2, Some(b"2"));
        put(&e, b"b", 4, None);
        put(&e, b"c", 6, None);
        let stats = collect_garbage(&e, 5).unwrap();
        assert_eq!(stats.versions_seen, 6);
        // a@1 (shadowed by a@3), b@2 and the tombstone b@4.
        assert_eq!(stats.versions_removed, 3);
        for ts in [5, 6, 7, 8] {
            assert_eq!(
                read_version(&e, b"a", ts).unwrap().map(|v| v.0),
                Some(if ts >= 7 { 7 } else { 3 })
            );
            assert!(read_version(&e, b"b", ts).unwrap().is_none());
        }
        assert_eq!(read_version(&e, b"c", 6).unwrap(), Some((6, None)));
    }
}
