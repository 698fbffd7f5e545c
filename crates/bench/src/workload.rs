//! Basalt's storage access pattern, as data: MVCC version keys, row values, and the reads the
//! transaction layer issues.
//!
//! # Key layout
//! A version key is `escape(user key) ++ !commit_ts` (the commit timestamp inverted, 8 bytes
//! big-endian), where the user key of a row is a table prefix and the row id as 8 bytes
//! big-endian. Escaping writes every `0x00` as `0x00 0xFF` and ends the key with `0x00 0x00`, so
//! no escaped key is a prefix of another and byte order is preserved. Inverting the timestamp
//! puts the newest version of a row first, so "the newest version at or before `ts`" is one
//! seek: the first key at or after `escape(user key) ++ !ts` that still has the row's prefix.
//!
//! # Values
//! 100 to 200 bytes, determined by row and timestamp. About a quarter of the bytes are random
//! and the rest come from a fixed text, so values compress partly, as row data does; all-random
//! values would hide the benefit of compression and all-text ones would exaggerate it.

use basalt_storage::{Direction, Engine, KeyRange, KvPair, Result, WriteBatch, prefix_successor};

/// The table prefix used for every row in the bench (a table id as the SQL layer would encode
/// it).
pub const TABLE_PREFIX: &[u8] = b"t\x00\x00\x00\x2a";

/// Writes `bytes` escaped and terminated into `out` (see the module docs).
pub fn escape_into(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

/// The escaped user key of `row`: the prefix every version of the row starts with.
pub fn row_prefix(row: u64) -> Vec<u8> {
    let mut user = Vec::with_capacity(TABLE_PREFIX.len() + 8);
    user.extend_from_slice(TABLE_PREFIX);
    user.extend_from_slice(&row.to_be_bytes());
    let mut out = Vec::with_capacity(2 * user.len() + 10);
    escape_into(&mut out, &user);
    out
}

/// The key of the version of `row` committed at `ts`.
pub fn version_key(row: u64, ts: u64) -> Vec<u8> {
    let mut key = row_prefix(row);
    key.extend_from_slice(&(!ts).to_be_bytes());
    key
}

/// The commit timestamp stored in a version key, if the key is long enough to hold one.
pub fn version_ts(key: &[u8]) -> Option<u64> {
    let split = key.len().checked_sub(8)?;
    let bytes: [u8; 8] = key.get(split..)?.try_into().ok()?;
    Some(!u64::from_be_bytes(bytes))
}

/// A step of SplitMix64: a fast, well-mixed hash for deterministic data.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

const TEXT: &[u8] = b"alice bob carol dave erin frank grace heidi ivan judy mallory niaj olivia \
peggy rupert sybil trent victor walter 2024-01-01 active pending shipped ";

/// The value of the version of `row` committed at `ts`: 100 to 200 bytes (see module docs).
pub fn row_value(row: u64, ts: u64) -> Vec<u8> {
    let mut h = mix(row ^ mix(ts));
    let len = 100 + (h % 101) as usize;
    let mut v = Vec::with_capacity(len);
    v.extend_from_slice(&row.to_be_bytes());
    v.extend_from_slice(&ts.to_be_bytes());
    let start = (h % TEXT.len() as u64) as usize;
    for (i, &t) in TEXT
        .iter()
        .cycle()
        .skip(start)
        .take(len - v.len())
        .enumerate()
    {
        if i % 4 == 3 {
            h = mix(h);
            v.push(h as u8);
        } else {
            v.push(t);
        }
    }
    v
}

/// The newest version of `row` committed at or before `ts`: the point read of the MVCC layer.
pub fn read_row(engine: &dyn Engine, row: u64, ts: u64) -> Result<Option<KvPair>> {
    let prefix = row_prefix(row);
    let mut start = prefix.clone();
    start.extend_from_slice(&(!ts).to_be_bytes());
    let range = match prefix_successor(&prefix) {
        Some(end) => KeyRange::new(start, end),
        None => KeyRange {
            start: std::ops::Bound::Included(start),
            end: std::ops::Bound::Unbounded,
        },
    };
    engine.scan(range, Direction::Forward)?.next().transpose()
}

/// Reads rows `first .. first + count` as of `ts`, as an MVCC range scan does: one forward
/// scan over all their versions, keeping the newest version at or before `ts` of each row.
/// Returns the number of rows seen and the bytes of their values.
pub fn scan_rows(engine: &dyn Engine, first: u64, count: u64, ts: u64) -> Result<(u64, usize)> {
    let range = KeyRange::new(row_prefix(first), row_prefix(first + count));
    let mut rows = 0;
    let mut bytes = 0;
    let mut last_row: Option<Vec<u8>> = None;
    for item in engine.scan(range, Direction::Forward)? {
        let (key, value) = item?;
        let (Some(version), Some(user)) = (
            version_ts(&key),
            key.len().checked_sub(8).and_then(|n| key.get(..n)),
        ) else {
            continue;
        };
        if version > ts || last_row.as_deref() == Some(user) {
            continue;
        }
        last_row = Some(user.to_vec());
        rows += 1;
        bytes += value.len();
    }
    Ok((rows, bytes))
}

/// The state of a loaded data set: which version of each row is newest, which versions are
/// garbage, and the next timestamp and row id to use.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Rows `0..rows` exist (more may have been added by [`Dataset::applier_batch`]).
    pub rows: u64,
    /// The newest commit timestamp of each of the first `rows` rows.
    pub newest: Vec<u64>,
    /// Keys of versions that are no longer the newest of their row: what GC deletes.
    pub garbage: Vec<Vec<u8>>,
    /// The next commit timestamp.
    pub next_ts: u64,
    /// The next row id for inserted rows.
    pub next_row: u64,
    rng: u64,
}

impl Dataset {
    /// An empty data set of `rows` rows, none written yet.
    pub fn new(rows: u64) -> Self {
        Dataset {
            rows,
            newest: vec![0; rows as usize],
            garbage: Vec::new(),
            next_ts: 10,
            next_row: rows,
            rng: 0x5EED,
        }
    }

    fn random(&mut self) -> u64 {
        self.rng = mix(self.rng);
        self.rng
    }

    /// Writes one version of every row, then a second version of every other row and a third
    /// of every fourth, in batches of `batch` keys, and syncs. Returns the number of keys
    /// written.
    pub fn load(&mut self, engine: &dyn Engine, batch: usize) -> Result<u64> {
        let mut written = 0;
        for every in [1, 2, 4] {
            let ts = self.next_ts;
            self.next_ts += 10;
            let mut b = WriteBatch::new();
            for row in (0..self.rows).step_by(every) {
                self.put_version(&mut b, row, ts);
                written += 1;
                if b.len() == batch {
                    engine.write(std::mem::take(&mut b))?;
                }
            }
            engine.write(b)?;
        }
        engine.sync()?;
        Ok(written)
    }

    /// Adds a new version of existing `row` at `ts` to `b`, recording the replaced version as
    /// garbage. `ts` must be newer than the row's newest version; rows outside `0..rows` are
    /// ignored.
    pub fn put_version(&mut self, b: &mut WriteBatch, row: u64, ts: u64) {
        let Some(slot) = self.newest.get_mut(row as usize) else {
            return;
        };
        if *slot != 0 {
            self.garbage.push(version_key(row, *slot));
        }
        *slot = ts;
        b.put(version_key(row, ts), row_value(row, ts));
    }

    /// One batch of the log applier: `size` keys committed at one new timestamp, half of them
    /// new versions of random existing rows and half new rows.
    pub fn applier_batch(&mut self, size: usize) -> WriteBatch {
        let ts = self.next_ts;
        self.next_ts += 1;
        let mut b = WriteBatch::new();
        for i in 0..size {
            if i % 2 == 0 {
                let row = self.random() % self.rows;
                self.put_version(&mut b, row, ts);
            } else {
                let row = self.next_row;
                self.next_row += 1;
                b.put(version_key(row, ts), row_value(row, ts));
            }
        }
        b
    }

    /// A GC batch: deletes of up to `size` garbage versions, oldest recorded first.
    pub fn gc_batch(&mut self, size: usize) -> WriteBatch {
        let take = size.min(self.garbage.len());
        let mut b = WriteBatch::new();
        for key in self.garbage.drain(..take) {
            b.delete(key);
        }
        b
    }

    /// A random existing row.
    pub fn random_row(&mut self) -> u64 {
        self.random() % self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use basalt_storage::MemoryEngine;

    #[test]
    fn keys_order_by_row_then_newest_version_first() {
        assert!(version_key(1, 50) < version_key(1, 40));
        assert!(version_key(1, 10) < version_key(2, 99));
        assert!(version_key(255, 1) < version_key(256, 1));
        assert!(version_key(0, u64::MAX) > row_prefix(0));
        assert_eq!(version_ts(&version_key(7, 1234)), Some(1234));
        // Escaping keeps one row's versions out of another row's prefix range.
        assert!(!version_key(256, 1).starts_with(&row_prefix(1)));
        for row in [0, 1, 99_999] {
            for ts in [1, 10, 1 << 40] {
                let v = row_value(row, ts);
                assert!((100..=200).contains(&v.len()), "{}", v.len());
                assert_eq!(v, row_value(row, ts));
            }
        }
    }

    #[test]
    fn reads_see_the_newest_version_at_or_before_ts() {
        let e = MemoryEngine::new();
        let mut d = Dataset::new(100);
        assert_eq!(d.load(&e, 16).unwrap(), 100 + 50 + 25);
        // Row 4 has versions at 10, 20, 30; row 1 only at 10.
        let (k, _) = read_row(&e, 4, 25).unwrap().unwrap();
        assert_eq!(k, version_key(4, 20));
        assert_eq!(
            read_row(&e, 4, u64::MAX).unwrap().unwrap().0,
            version_key(4, 30)
        );
        assert_eq!(read_row(&e, 1, 29).unwrap().unwrap().0, version_key(1, 10));
        assert_eq!(read_row(&e, 1, 9).unwrap(), None);
        assert_eq!(read_row(&e, 100, u64::MAX).unwrap(), None);
        assert_eq!(scan_rows(&e, 10, 20, u64::MAX).unwrap().0, 20);
        assert_eq!(scan_rows(&e, 95, 20, u64::MAX).unwrap().0, 5);
        assert_eq!(d.garbage.len(), 75);

        // GC removes only superseded versions: every row still reads the same.
        let before: Vec<_> = (0..100)
            .map(|r| read_row(&e, r, u64::MAX).unwrap())
            .collect();
        let gc = d.gc_batch(1000);
        assert_eq!(gc.len(), 75);
        e.write(gc).unwrap();
        let after: Vec<_> = (0..100)
            .map(|r| read_row(&e, r, u64::MAX).unwrap())
            .collect();
        assert_eq!(before, after);
        assert_eq!(read_row(&e, 4, 25).unwrap(), None);

        let b = d.applier_batch(16);
        assert_eq!(b.len(), 16);
        e.write(b).unwrap();
        assert_eq!(scan_rows(&e, 100, 8, u64::MAX).unwrap().0, 8);
    }
}
