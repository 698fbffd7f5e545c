//! Injected write and fsync failures: the log is poisoned, and reopening recovers what was synced.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap too

mod wal_support;

use std::io::ErrorKind;
use std::path::Path;
use std::sync::Arc;

use basalt_common::SqlState;
use basalt_storage::io::{CrashMode, FaultyIo, Io, OsIo, SimIo};
use basalt_txn::wal::{Lsn, WalError};
use wal_support::*;

fn batch(first: u8, n: u8, len: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| vec![first.wrapping_add(i); len]).collect()
}

fn assert_poisoned(err: WalError, needle: &str) {
    match &err {
        WalError::Poisoned { cause, .. } => assert!(cause.contains(needle), "{cause}"),
        other => panic!("expected Poisoned, got {other}"),
    }
}

#[test]
fn failed_fsync_poisons_and_only_synced_data_is_guaranteed() {
    for seed in 0..40 {
        let sim = Arc::new(SimIo::new());
        let faulty = Arc::new(FaultyIo::new(sim.clone()));
        let plan = faulty.plan().clone();
        let dir = Path::new(DIR);
        let (mut wal, _) = open(faulty, dir, 1024);
        let a = batch(1, 4, 150);
        wal.append(&refs(&a)).unwrap();
        wal.sync().unwrap();
        let b = batch(100, 6, 150);
        wal.append(&refs(&b)).unwrap();

        plan.fail_nth_sync(1);
        let err = wal.sync().unwrap_err();
        assert!(matches!(err, WalError::Io { .. }), "{err}");
        assert_eq!(err.sqlstate(), SqlState::IO_ERROR);
        assert!(wal.is_poisoned());
        assert_eq!(
            wal.durable_lsn(),
            4,
            "a failed sync does not advance durable_lsn"
        );
        // Every later call fails too, naming the first failure, even once fsync works again.
        assert_poisoned(wal.append(&[b"more"]).unwrap_err(), "injected fault: fsync");
        assert_poisoned(wal.sync().unwrap_err(), "injected fault: fsync");
        assert_poisoned(wal.remove_segments_before(3).unwrap_err(), "injected fault");
        drop(wal);

        let mode = if seed == 0 {
            CrashMode::LoseUnsynced
        } else {
            CrashMode::TornWrites { seed }
        };
        sim.crash(mode);
        let (wal, _) = open(sim.clone(), dir, 1024);
        let got = payloads(&wal);
        let all: Vec<Vec<u8>> = a.iter().chain(&b).cloned().collect();
        assert!(got.len() >= a.len(), "seed {seed}: synced records lost");
        assert_eq!(got[..], all[..got.len()], "seed {seed}: not a clean prefix");
    }
}

#[test]
fn failed_fsync_on_the_real_disk_poisons() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wal");
    let faulty = Arc::new(FaultyIo::new(Arc::new(OsIo)));
    let plan = faulty.plan().clone();
    let (mut wal, _) = open(faulty, &dir, 4096);
    wal.append(&[b"one"]).unwrap();
    wal.sync().unwrap();
    wal.append(&[b"two"]).unwrap();
    plan.fail_all_syncs(true);
    assert!(wal.sync().is_err());
    plan.fail_all_syncs(false);
    assert_poisoned(wal.sync().unwrap_err(), "fsync");
    drop(wal);
    // Without a power failure the page cache still holds "two"; reopening keeps it and makes it
    // durable.
    let (wal, report) = open(Arc::new(OsIo), &dir, 4096);
    assert_eq!(report.cut, None);
    assert_eq!(payloads(&wal), vec![b"one".to_vec(), b"two".to_vec()]);
    assert_eq!(wal.durable_lsn(), 2);
}

#[test]
fn failed_write_poisons_and_the_torn_record_is_cut() {
    for prefix in [0, 10, 40, 200, 350] {
        let sim = Arc::new(SimIo::new());
        let faulty = Arc::new(FaultyIo::new(sim.clone()));
        let plan = faulty.plan().clone();
        let dir = Path::new(DIR);
        let (mut wal, _) = open(faulty, dir, 4096);
        let a = batch(1, 3, 100);
        wal.append(&refs(&a)).unwrap();
        wal.sync().unwrap();
        plan.fail_nth_write(1, prefix);
        let failed = batch(50, 3, 100);
        let err = wal.append(&refs(&failed)).unwrap_err();
        assert!(err.to_string().contains("injected fault: write"), "{err}");
        assert_eq!(wal.next_lsn(), 4, "the failed records got no LSNs");
        assert_poisoned(wal.append(&[b"x"]).unwrap_err(), "write");
        drop(wal);

        // A restart without power failure: the partial write is in the file.
        // Frames are 136 bytes; a prefix that covers one leaves a whole valid record, which is
        // kept (it was never promised durable, but it is intact and in sequence).
        let (mut wal, report) = open(sim.clone(), dir, 4096);
        let mut expected = a.clone();
        expected.extend(failed[..prefix / 136].iter().cloned());
        assert_eq!(
            payloads(&wal),
            expected,
            "prefix {prefix}: nothing torn is visible"
        );
        if prefix % 136 == 0 {
            assert_eq!(report.cut, None);
        } else {
            let cut = report.cut.as_ref().map(|c| c.lsn);
            assert_eq!(cut, Some(expected.len() as Lsn + 1), "prefix {prefix}");
        }
        // The log works again and the garbage does not come back.
        wal.append(&[b"after"]).unwrap();
        wal.sync().unwrap();
        drop(wal);
        sim.crash(CrashMode::LoseUnsynced);
        let (wal, report) = open(sim, dir, 4096);
        assert_eq!(report.cut, None);
        let got = payloads(&wal);
        assert_eq!(got.last().unwrap(), b"after");
        assert_eq!(got[..3], a[..]);
    }
}

#[test]
fn failed_write_of_a_whole_record_prefix_keeps_the_complete_records() {
    let sim = Arc::new(SimIo::new());
    let faulty = Arc::new(FaultyIo::new(sim.clone()));
    let plan = faulty.plan().clone();
    let dir = Path::new(DIR);
    let (mut wal, _) = open(faulty, dir, 4096);
    plan.fail_nth_write(1, 136 + 20);
    assert!(wal.append(&refs(&batch(1, 3, 100))).is_err());
    drop(wal);
    let (wal, report) = open(sim, dir, 4096);
    assert_eq!(payloads(&wal), batch(1, 1, 100));
    assert_eq!(report.cut.unwrap().lsn, 2);
}

#[test]
fn no_space_for_a_new_segment_fails_the_append_but_not_the_log() {
    let sim = Arc::new(SimIo::new());
    let faulty = Arc::new(FaultyIo::new(sim.clone()));
    let plan = faulty.plan().clone();
    let dir = Path::new(DIR);
    let (mut wal, _) = open(faulty.clone(), dir, 1024);
    // 7 frames of 136 bytes fill the first 1024-byte segment (32 + 7 * 136 = 984).
    let first = batch(1, 7, 100);
    wal.append(&refs(&first)).unwrap();
    wal.sync().unwrap();
    assert_eq!(wal.segment_count(), 1);

    plan.set_space_budget(Some(500));
    let next = batch(20, 2, 100);
    let err = wal.append(&refs(&next)).unwrap_err();
    assert_eq!(err.sqlstate(), SqlState::DISK_FULL, "{err}");
    assert_eq!(err.io_kind(), Some(ErrorKind::StorageFull));
    assert!(!wal.is_poisoned());
    assert_eq!((wal.next_lsn(), wal.segment_count()), (8, 1));
    // No half-made segment is left behind.
    assert_eq!(sim.read_dir(Path::new(DIR)).unwrap().len(), 1);
    // Syncing still works, and a retry succeeds once there is space.
    wal.sync().unwrap();
    assert!(wal.append(&refs(&next)).is_err());
    plan.set_space_budget(None);
    assert_eq!(wal.append(&refs(&next)).unwrap(), 9);
    wal.sync().unwrap();
    assert_eq!(wal.segment_count(), 2);
    drop(wal);

    sim.crash(CrashMode::LoseUnsynced);
    let (wal, report) = open(sim, dir, 1024);
    assert_eq!(report.cut, None);
    let all: Vec<Vec<u8>> = first.into_iter().chain(next).collect();
    assert_eq!(payloads(&wal), all);
}

#[test]
fn no_space_on_a_batch_spanning_segments_writes_nothing() {
    let sim = Arc::new(SimIo::new());
    let faulty = Arc::new(FaultyIo::new(sim.clone()));
    let plan = faulty.plan().clone();
    let dir = Path::new(DIR);
    let (mut wal, _) = open(faulty, dir, 512);
    wal.append(&[b"first"]).unwrap();
    wal.sync().unwrap();
    // Room for one new 512-byte segment but not two: the first is created, then removed again.
    plan.set_space_budget(Some(700));
    let big = batch(1, 9, 100);
    let writes = plan.writes();
    assert_eq!(
        wal.append(&refs(&big)).unwrap_err().sqlstate(),
        SqlState::DISK_FULL
    );
    assert_eq!(
        plan.writes() - writes,
        2,
        "two preallocations tried, no record written"
    );
    assert_eq!(segment_names(&*sim, dir).len(), 1);
    assert!(!wal.is_poisoned());
    plan.set_space_budget(None);
    assert_eq!(wal.append(&refs(&big)).unwrap(), 10);
    wal.sync().unwrap();
    drop(wal);
    let (wal, _) = open(sim, dir, 512);
    assert_eq!(payloads(&wal).len(), 10);
}

#[test]
fn failed_directory_fsync_after_creating_a_segment_poisons() {
    let sim = Arc::new(SimIo::new());
    let faulty = Arc::new(FaultyIo::new(sim.clone()));
    let plan = faulty.plan().clone();
    let dir = Path::new(DIR);
    let (mut wal, _) = open(faulty, dir, 512);
    let a = batch(1, 3, 100);
    wal.append(&refs(&a)).unwrap();
    wal.sync().unwrap();
    plan.fail_dir_syncs(true);
    assert!(wal.append(&refs(&batch(9, 2, 100))).is_err());
    assert!(wal.is_poisoned());
    plan.fail_dir_syncs(false);
    assert_poisoned(wal.sync().unwrap_err(), "directory");
    drop(wal);
    sim.crash(CrashMode::LoseUnsynced);
    let (wal, _) = open(sim, dir, 512);
    assert_eq!(payloads(&wal), a);
    assert_eq!(wal.next_lsn(), a.len() as Lsn + 1);
}

#[test]
fn poisoned_log_can_still_be_replayed() {
    let sim = Arc::new(SimIo::new());
    let faulty = Arc::new(FaultyIo::new(sim.clone()));
    let (mut wal, _) = open(faulty.clone(), Path::new(DIR), 4096);
    wal.append(&[b"a", b"b"]).unwrap();
    faulty.plan().fail_nth_sync(1);
    assert!(wal.sync().is_err());
    assert_eq!(replay_from(&wal, 1).len(), 2);
}
