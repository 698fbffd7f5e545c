//! Helpers shared by the WAL integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use basalt_storage::io::{Io, OpenOptions};
use basalt_txn::wal::{Lsn, RecoveryReport, Wal, WalError, WalOptions};
use rand::Rng;

/// The directory tests put the log in on a simulated disk.
pub const DIR: &str = "/db/wal";

pub fn opts(segment_size: u64) -> WalOptions {
    WalOptions {
        segment_size,
        ..WalOptions::default()
    }
}

pub fn open(io: Arc<dyn Io>, dir: &Path, segment_size: u64) -> (Wal, RecoveryReport) {
    Wal::open(io, dir, opts(segment_size)).unwrap()
}

/// Every record from `from`, as (lsn, payload).
pub fn replay_from(wal: &Wal, from: Lsn) -> Vec<(Lsn, Vec<u8>)> {
    let mut out = Vec::new();
    wal.replay(from, |lsn, p| -> Result<(), WalError> {
        out.push((lsn, p.to_vec()));
        Ok(())
    })
    .unwrap();
    out
}

/// Every payload, checking that LSNs run 1, 2, 3, ...
pub fn payloads(wal: &Wal) -> Vec<Vec<u8>> {
    let records = replay_from(wal, 1);
    for (i, (lsn, _)) in records.iter().enumerate() {
        assert_eq!(*lsn, i as u64 + 1, "LSNs must be consecutive from 1");
    }
    records.into_iter().map(|(_, p)| p).collect()
}

/// A random payload whose content is tied to its LSN, so a record in the wrong place shows.
pub fn payload(rng: &mut impl Rng, lsn: Lsn, max_len: usize) -> Vec<u8> {
    let len = rng.random_range(0..=max_len);
    let mut p = vec![0u8; len];
    rng.fill(&mut p[..]);
    if len >= 8 {
        p[..8].copy_from_slice(&lsn.to_le_bytes());
    }
    p
}

pub fn refs(batch: &[Vec<u8>]) -> Vec<&[u8]> {
    batch.iter().map(|p| p.as_slice()).collect()
}

/// Every file under `dir` on the real disk, with its bytes.
pub fn os_snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        out.insert(path.clone(), std::fs::read(&path).unwrap());
    }
    out
}

/// Segment file names in `dir`, oldest first.
pub fn segment_names(io: &dyn Io, dir: &Path) -> Vec<String> {
    io.read_dir(dir)
        .unwrap()
        .into_iter()
        .map(|n| n.into_string().unwrap())
        .filter(|n| n.ends_with(".wal"))
        .collect()
}

/// XORs `mask` into the byte at `offset` of `path` and syncs it.
pub fn flip(io: &dyn Io, path: &Path, offset: u64, mask: u8) {
    let f = io.open(path, OpenOptions::read_write()).unwrap();
    let mut b = [0u8];
    f.read_exact_at(offset, &mut b).unwrap();
    f.write_at(offset, &[b[0] ^ mask]).unwrap();
    f.sync_data().unwrap();
}

/// Overwrites bytes at `offset` of `path` and syncs.
pub fn overwrite(io: &dyn Io, path: &Path, offset: u64, data: &[u8]) {
    let f = io.open(path, OpenOptions::read_write()).unwrap();
    f.write_at(offset, data).unwrap();
    f.sync_data().unwrap();
}

/// Offset of the frame of the `k`-th record (0-based) in a segment whose records all have
/// payloads of `payload_len` bytes.
pub fn frame_offset(k: u64, payload_len: u64) -> u64 {
    32 + k * (32 + payload_len).div_ceil(8) * 8
}
