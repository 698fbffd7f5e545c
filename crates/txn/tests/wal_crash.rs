//! Power failures on the simulated disk: whatever was synced survives intact, what survives is
//! a prefix of what was appended, and recovery's cut is final.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap too

mod wal_support;

use std::path::Path;
use std::sync::Arc;

use basalt_storage::io::{CrashMode, FaultyIo, Io, SimIo};
use basalt_txn::wal::{Lsn, Wal};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wal_support::*;

/// Appends random batches, syncing some; returns (everything appended, how many were synced).
fn workload(wal: &mut Wal, rng: &mut StdRng, rounds: usize, all: &mut Vec<Vec<u8>>) -> usize {
    let mut synced = all.len();
    for _ in 0..rounds {
        let n = rng.random_range(1..=5);
        let max = if rng.random_bool(0.1) { 1500 } else { 400 };
        let batch: Vec<Vec<u8>> = (0..n)
            .map(|i| payload(rng, all.len() as Lsn + 1 + i, max))
            .collect();
        wal.append(&refs(&batch)).unwrap();
        all.extend(batch);
        if rng.random_bool(0.4) {
            wal.sync().unwrap();
            synced = all.len();
        }
    }
    synced
}

/// Checks that the log holds a prefix of `all` at least `synced` long; returns its length.
fn check_prefix(wal: &Wal, all: &[Vec<u8>], synced: usize, seed: u64) -> usize {
    let got = payloads(wal);
    assert!(
        got.len() >= synced,
        "seed {seed}: {} records survived, {synced} were synced",
        got.len()
    );
    assert!(
        got.len() <= all.len(),
        "seed {seed}: more records than appended"
    );
    for (i, p) in got.iter().enumerate() {
        assert_eq!(p, &all[i], "seed {seed}: record {} differs", i + 1);
    }
    assert_eq!(wal.next_lsn(), got.len() as Lsn + 1, "seed {seed}");
    assert_eq!(
        wal.durable_lsn(),
        got.len() as Lsn,
        "seed {seed}: open makes what it keeps durable"
    );
    got.len()
}

/// Returns whether recovery cut a tail, and whether that removed segments.
fn crash_once(seed: u64) -> (bool, bool) {
    let mut rng = StdRng::seed_from_u64(seed);
    let sim = Arc::new(SimIo::new());
    let io: Arc<dyn Io> = sim.clone();
    let dir = Path::new(DIR);
    let segment_size = [512, 1024, 4096][rng.random_range(0..3)];
    let (mut wal, _) = open(io.clone(), dir, segment_size);
    let mut all = Vec::new();
    let rounds = rng.random_range(1..12);
    let synced = workload(&mut wal, &mut rng, rounds, &mut all);
    drop(wal);

    let mode = if seed.is_multiple_of(4) {
        CrashMode::LoseUnsynced
    } else {
        CrashMode::TornWrites { seed }
    };
    sim.crash(mode);
    let (mut wal, report) = Wal::open(io.clone(), dir, opts(segment_size))
        .unwrap_or_else(|e| panic!("seed {seed}: recovery failed: {e}"));
    let kept = check_prefix(&wal, &all, synced, seed);
    if let Some(cut) = &report.cut {
        assert_eq!(cut.lsn, kept as Lsn + 1, "seed {seed}");
    }
    let stats = (
        report.cut.is_some(),
        report
            .cut
            .as_ref()
            .is_some_and(|c| !c.removed_segments.is_empty()),
    );

    // Appending after recovery, then crashing again: the cut tail never comes back.
    all.truncate(kept);
    let more = workload(&mut wal, &mut rng, 3, &mut all);
    wal.sync().unwrap();
    let synced = all.len();
    assert!(more <= synced);
    drop(wal);
    sim.crash(CrashMode::TornWrites {
        seed: seed ^ 0xABCD,
    });
    let (wal, report) = Wal::open(io, dir, opts(segment_size))
        .unwrap_or_else(|e| panic!("seed {seed}: second recovery failed: {e}"));
    assert_eq!(
        check_prefix(&wal, &all, synced, seed),
        synced,
        "seed {seed}"
    );
    assert_eq!(
        report.cut, None,
        "seed {seed}: everything was synced, nothing to cut"
    );
    stats
}

#[test]
fn crashes_keep_synced_records_and_a_clean_prefix() {
    let (mut cuts, mut removals) = (0, 0);
    for seed in 0..600 {
        let (cut, removed) = crash_once(seed);
        cuts += usize::from(cut);
        removals += usize::from(removed);
    }
    // The workload must actually exercise torn tails, including ones spanning segments.
    assert!(
        cuts > 100 && removals > 20,
        "cuts {cuts}, removals {removals}"
    );
}

#[test]
fn torn_tail_is_reported_and_zeroed() {
    // Find a seed whose crash tears the tail, and check what the report says.
    let mut seen_cut = 0;
    for seed in 0..50 {
        let sim = Arc::new(SimIo::new());
        let io: Arc<dyn Io> = sim.clone();
        let dir = Path::new(DIR);
        let (mut wal, _) = open(io.clone(), dir, 4096);
        wal.append(&[&[1u8; 100][..], &[2u8; 100][..]]).unwrap();
        wal.sync().unwrap();
        wal.append(&[&[3u8; 1000][..], &[4u8; 1000][..]]).unwrap();
        drop(wal);
        sim.crash(CrashMode::TornWrites { seed });
        // A read-only check first: it sees what open will cut, and changes nothing.
        let before = sim.files();
        let verified = basalt_txn::wal::verify(&io, dir).unwrap();
        assert_eq!(sim.files(), before, "verify must not change the files");
        let (wal, report) = open(io.clone(), dir, 4096);
        assert_eq!(verified.next_lsn, report.next_lsn);
        assert_eq!(
            verified.torn_tail.as_ref().map(|t| (t.0, t.2)),
            report.cut.as_ref().map(|c| (c.lsn, c.offset))
        );
        assert_eq!(verified.records, report.next_lsn - 1);
        let kept = payloads(&wal).len();
        assert!(kept >= 2);
        if let Some(cut) = report.cut {
            seen_cut += 1;
            assert_eq!(cut.lsn, kept as Lsn + 1);
            assert_eq!(cut.segment, "00000000000000000001.wal");
            assert_eq!(
                cut.offset,
                frame_offset(2, 100) + if kept == 3 { 1032 } else { 0 }
            );
            assert_eq!(cut.zeroed_bytes, 4096 - cut.offset);
            assert!(cut.removed_segments.is_empty());
            let files = sim.durable_files();
            let seg = &files[&dir.join("00000000000000000001.wal")];
            assert!(
                seg[cut.offset as usize..].iter().all(|&b| b == 0),
                "tail zeroed durably"
            );
        }
    }
    assert!(
        seen_cut > 5,
        "torn crashes should leave garbage to cut ({seen_cut})"
    );
}

#[test]
fn crash_during_recovery_repair_is_recovered_again() {
    for seed in 0..60u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let sim = Arc::new(SimIo::new());
        let dir = Path::new(DIR);
        let (mut wal, _) = open(sim.clone(), dir, 512);
        let mut all = Vec::new();
        let synced = workload(&mut wal, &mut rng, 8, &mut all);
        drop(wal);
        sim.crash(CrashMode::TornWrites { seed });

        // Recovery itself fails at some write or fsync (if it has any to do), then power fails.
        let faulty = Arc::new(FaultyIo::new(sim.clone()));
        match seed % 3 {
            0 => faulty.plan().fail_nth_write(1, rng.random_range(0..600)),
            1 => faulty.plan().fail_nth_sync(rng.random_range(1..4)),
            _ => faulty.plan().fail_dir_syncs(true),
        }
        let _ = Wal::open(faulty, dir, opts(512));
        sim.crash(CrashMode::TornWrites { seed: seed + 1000 });

        let (wal, _) = Wal::open(sim.clone(), dir, opts(512))
            .unwrap_or_else(|e| panic!("seed {seed}: recovery after interrupted recovery: {e}"));
        check_prefix(&wal, &all, synced, seed);
    }
}

#[test]
fn records_found_at_open_are_made_durable() {
    // A process restart (no power failure) finds unsynced records in the page cache. Open must
    // fsync them before new records claim them as durable, or a later power failure would lose
    // them while keeping the proof that they had been synced.
    for seed in 0..20 {
        let sim = Arc::new(SimIo::new());
        let dir = Path::new(DIR);
        let (mut wal, _) = open(sim.clone(), dir, 512);
        let first = (0..12u8).map(|i| vec![i; 100]).collect::<Vec<_>>();
        wal.append(&refs(&first)).unwrap();
        drop(wal); // never synced

        let (mut wal, _) = open(sim.clone(), dir, 512);
        assert_eq!(wal.durable_lsn(), 12);
        wal.append(&[b"later"]).unwrap();
        wal.sync().unwrap();
        drop(wal);
        sim.crash(CrashMode::TornWrites { seed });
        let (wal, _) =
            Wal::open(sim.clone(), dir, opts(512)).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let got = payloads(&wal);
        assert_eq!(got.len(), 13, "seed {seed}");
        assert_eq!(got[..12], first[..]);
    }
}
