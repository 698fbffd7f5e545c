//! The log gives back what was appended: across segments, after reopening, from any LSN, and
//! after old segments are removed.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap too

mod wal_support;

use std::path::Path;
use std::sync::Arc;

use basalt_storage::io::{Io, OsIo, SimIo};
use basalt_txn::wal::{Lsn, WalError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wal_support::*;

/// Appends `batches` random batches (some records larger than a segment), syncing now and then.
fn fill(wal: &mut basalt_txn::wal::Wal, rng: &mut StdRng, batches: usize, all: &mut Vec<Vec<u8>>) {
    for _ in 0..batches {
        let n = rng.random_range(1..=6);
        let max = if rng.random_bool(0.05) { 3000 } else { 300 };
        let batch: Vec<Vec<u8>> = (0..n)
            .map(|i| payload(rng, all.len() as Lsn + 1 + i, max))
            .collect();
        let last = wal.append(&refs(&batch)).unwrap();
        all.extend(batch);
        assert_eq!(last, all.len() as Lsn);
        if rng.random_bool(0.3) {
            wal.sync().unwrap();
            assert_eq!(wal.durable_lsn(), last);
        }
    }
}

fn round_trip(io: Arc<dyn Io>, dir: &Path, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut all = Vec::new();
    let (mut wal, report) = open(io.clone(), dir, 1024);
    assert!(report.created);
    fill(&mut wal, &mut rng, 150, &mut all);
    wal.sync().unwrap();
    assert!(
        wal.segment_count() > 10,
        "the test should span many segments"
    );
    assert_eq!(payloads(&wal), all, "replay before reopening");
    let segments = wal.segment_count();
    drop(wal);

    let (mut wal, report) = open(io.clone(), dir, 1024);
    assert!(!report.created);
    assert_eq!(report.cut, None);
    assert_eq!(report.segments, segments);
    assert_eq!(
        (report.first_lsn, report.next_lsn),
        (1, all.len() as Lsn + 1)
    );
    assert_eq!(wal.durable_lsn(), all.len() as Lsn);
    assert_eq!(payloads(&wal), all);

    // Replay from the middle, from the last record, and past the end.
    for from in [
        2,
        all.len() as Lsn / 2,
        all.len() as Lsn - 1,
        all.len() as Lsn,
        all.len() as Lsn + 5,
    ] {
        let got = replay_from(&wal, from);
        let want: Vec<(Lsn, Vec<u8>)> = all
            .iter()
            .enumerate()
            .map(|(i, p)| (i as Lsn + 1, p.clone()))
            .filter(|(lsn, _)| *lsn >= from)
            .collect();
        assert_eq!(got, want, "replay from {from}");
    }

    // Appending continues the sequence, and a second reopen sees both parts.
    fill(&mut wal, &mut rng, 20, &mut all);
    wal.sync().unwrap();
    drop(wal);
    let (wal, report) = open(io, dir, 1024);
    assert_eq!(report.cut, None);
    assert_eq!(payloads(&wal), all);
}

#[test]
fn round_trip_on_the_real_disk() {
    let tmp = tempfile::tempdir().unwrap();
    round_trip(Arc::new(OsIo), &tmp.path().join("wal"), 1);
}

#[test]
fn round_trip_on_the_simulated_disk() {
    for seed in 0..3 {
        let sim = Arc::new(SimIo::new());
        round_trip(sim, Path::new(DIR), seed);
    }
}

#[test]
fn empty_and_zero_length_records() {
    let sim: Arc<dyn Io> = Arc::new(SimIo::new());
    let (mut wal, _) = open(sim.clone(), Path::new(DIR), 512);
    assert_eq!(wal.append(&[]).unwrap(), 0);
    assert_eq!(wal.append(&[b"", b"x", b""]).unwrap(), 3);
    wal.sync().unwrap();
    drop(wal);
    let (wal, _) = open(sim, Path::new(DIR), 512);
    assert_eq!(
        payloads(&wal),
        vec![b"".to_vec(), b"x".to_vec(), b"".to_vec()]
    );
}

#[test]
fn replay_stops_at_the_first_callback_error() {
    #[derive(Debug)]
    enum MyError {
        Wal(#[allow(dead_code)] WalError),
        Stop(Lsn),
    }
    impl From<WalError> for MyError {
        fn from(e: WalError) -> Self {
            MyError::Wal(e)
        }
    }
    let sim: Arc<dyn Io> = Arc::new(SimIo::new());
    let (mut wal, _) = open(sim, Path::new(DIR), 512);
    for i in 0..20u8 {
        wal.append(&[&[i; 50]]).unwrap();
    }
    let mut seen = Vec::new();
    let result = wal.replay(3, |lsn, _| {
        seen.push(lsn);
        if lsn == 7 {
            Err(MyError::Stop(lsn))
        } else {
            Ok(())
        }
    });
    assert!(matches!(result, Err(MyError::Stop(7))));
    assert_eq!(seen, vec![3, 4, 5, 6, 7]);
}

#[test]
fn remove_segments_before_keeps_everything_from_the_lsn() {
    let sim = Arc::new(SimIo::new());
    let io: Arc<dyn Io> = sim.clone();
    let dir = Path::new(DIR);
    let mut rng = StdRng::seed_from_u64(9);
    let (mut wal, _) = open(io.clone(), dir, 512);
    let mut all = Vec::new();
    for _ in 0..60 {
        let batch: Vec<Vec<u8>> = (0..3)
            .map(|i| payload(&mut rng, all.len() as Lsn + 1 + i, 120))
            .collect();
        wal.append(&refs(&batch)).unwrap();
        all.extend(batch);
    }
    wal.sync().unwrap();
    let total = all.len() as Lsn;
    let before = wal.segment_count();
    assert!(before > 5);

    assert_eq!(wal.remove_segments_before(1).unwrap(), 0);
    let cut = total / 2;
    let removed = wal.remove_segments_before(cut).unwrap();
    assert!(removed > 0);
    assert_eq!(wal.segment_count(), before - removed);
    assert_eq!(segment_names(&*io, dir).len(), wal.segment_count());
    let first = wal.first_lsn();
    assert!(
        first <= cut && first > 1,
        "first LSN {first} after truncating before {cut}"
    );

    let check = |wal: &basalt_txn::wal::Wal| {
        let got = replay_from(wal, cut);
        assert_eq!(got.len() as Lsn, total - cut + 1);
        for (lsn, p) in got {
            assert_eq!(p, all[lsn as usize - 1]);
        }
        // Replaying from 1 starts at the oldest record kept.
        assert_eq!(
            replay_from(wal, 1).first().map(|r| r.0),
            Some(wal.first_lsn())
        );
    };
    check(&wal);
    drop(wal);

    // The truncation is durable and a reopened log starts at the oldest kept segment.
    sim.crash(basalt_storage::io::CrashMode::LoseUnsynced);
    let (mut wal, report) = open(io.clone(), dir, 512);
    assert_eq!(report.cut, None);
    assert_eq!(report.first_lsn, first);
    check(&wal);

    // The current segment is never removed.
    wal.remove_segments_before(Lsn::MAX).unwrap();
    assert_eq!(wal.segment_count(), 1);
    let last = replay_from(&wal, 1);
    assert_eq!(last.last().map(|r| r.0), Some(total));
    wal.append(&[b"after"]).unwrap();
    wal.sync().unwrap();
    drop(wal);
    let (wal, _) = open(io, dir, 512);
    assert_eq!(
        replay_from(&wal, total + 1),
        vec![(total + 1, b"after".to_vec())]
    );
}

/// Large payloads (written in place after their header, not through the write buffer) mixed
/// with small ones in one batch, unaligned lengths included, read back before and after a
/// reopen, with records appended after them.
#[test]
fn large_records_between_small_ones() {
    let dir = tempfile::tempdir().unwrap();
    let io: Arc<dyn Io> = Arc::new(OsIo);
    let mut rng = StdRng::seed_from_u64(7);
    let (mut wal, _) = open(io.clone(), dir.path(), 16 << 20);
    let mut all: Vec<Vec<u8>> = Vec::new();
    for lens in [
        vec![10, 100_000, 3, 70_003, 0, 65_536],
        vec![200_001],
        vec![64 * 1024 - 1, 64 * 1024 + 1],
    ] {
        let batch: Vec<Vec<u8>> = lens
            .iter()
            .map(|&n| {
                let mut p = vec![0u8; n];
                rng.fill(&mut p[..]);
                p
            })
            .collect();
        wal.append(&refs(&batch)).unwrap();
        all.extend(batch);
    }
    wal.sync().unwrap();
    assert_eq!(payloads(&wal), all);
    drop(wal);
    let (mut wal, report) = open(io.clone(), dir.path(), 16 << 20);
    assert_eq!(report.cut, None);
    assert_eq!(payloads(&wal), all);
    wal.append(&[b"after".as_slice()]).unwrap();
    wal.sync().unwrap();
    all.push(b"after".to_vec());
    assert_eq!(payloads(&wal), all);
}
