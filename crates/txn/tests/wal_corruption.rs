//! Damage that is not a torn tail: open refuses with a clear error and changes nothing on disk.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap too

mod wal_support;

use std::path::Path;
use std::sync::Arc;

use basalt_common::SqlState;
use basalt_storage::io::{Io, OpenOptions, OsIo, SimIo};
use basalt_txn::wal::{Wal, WalError};
use wal_support::*;

const SEG1: &str = "00000000000000000001.wal";
const PAYLOAD: usize = 40;

/// A log of two synced batches of 5 records (payloads of 40 bytes, frames of 72) in 4 KiB
/// segments; the second batch's records carry durable_lsn = 5.
fn two_batches(io: &Arc<dyn Io>, dir: &Path) {
    let (mut wal, _) = open(io.clone(), dir, 4096);
    for batch in 0..2u8 {
        let records: Vec<Vec<u8>> = (0..5).map(|i| vec![batch * 10 + i; PAYLOAD]).collect();
        wal.append(&refs(&records)).unwrap();
        wal.sync().unwrap();
    }
}

fn expect_corrupt(io: Arc<dyn Io>, dir: &Path, needles: &[&str]) -> WalError {
    let err = Wal::open(io, dir, opts(4096)).unwrap_err();
    assert!(
        matches!(err, WalError::Corrupt { .. }),
        "expected Corrupt, got {err}"
    );
    assert_eq!(err.sqlstate(), SqlState::DATA_CORRUPTED);
    let msg = err.to_string();
    for needle in needles {
        assert!(msg.contains(needle), "message {msg:?} lacks {needle:?}");
    }
    err
}

#[test]
fn flipped_byte_in_a_synced_record_with_later_proof_is_an_error_and_nothing_changes() {
    // Every byte of record 2's frame (header and payload), one at a time.
    for byte in 0..(32 + PAYLOAD as u64) {
        let sim = Arc::new(SimIo::new());
        let io: Arc<dyn Io> = sim.clone();
        let dir = Path::new(DIR);
        two_batches(&io, dir);
        let offset = frame_offset(1, PAYLOAD as u64);
        flip(&*io, &dir.join(SEG1), offset + byte, 0x40);
        let before = sim.files();
        let verified = basalt_txn::wal::verify(&io, dir);
        assert!(
            matches!(verified, Err(WalError::Corrupt { .. })),
            "{verified:?}"
        );
        let err = expect_corrupt(io.clone(), dir, &[SEG1, "expected record LSN 2"]);
        if let WalError::Corrupt { offset: at, .. } = err {
            assert_eq!(at, offset);
        }
        assert_eq!(sim.files(), before, "open must not change the files");
    }
}

#[test]
fn corruption_on_the_real_disk_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wal");
    let io: Arc<dyn Io> = Arc::new(OsIo);
    two_batches(&io, &dir);
    flip(
        &*io,
        &dir.join(SEG1),
        frame_offset(3, PAYLOAD as u64) + 35,
        0x01,
    );
    let before = os_snapshot(&dir);
    expect_corrupt(io, &dir, &["expected record LSN 4"]);
    assert_eq!(os_snapshot(&dir), before);
}

#[test]
fn zeroed_sector_in_the_middle_is_an_error() {
    let sim = Arc::new(SimIo::new());
    let io: Arc<dyn Io> = sim.clone();
    let dir = Path::new(DIR);
    two_batches(&io, dir);
    overwrite(
        &*io,
        &dir.join(SEG1),
        frame_offset(0, PAYLOAD as u64),
        &[0; 72],
    );
    let before = sim.files();
    expect_corrupt(io, dir, &["expected record LSN 1", "zeros"]);
    assert_eq!(sim.files(), before);
}

#[test]
fn proof_in_a_later_segment_counts() {
    // Small segments: the second batch lands in later segments.
    let sim = Arc::new(SimIo::new());
    let io: Arc<dyn Io> = sim.clone();
    let dir = Path::new(DIR);
    let (mut wal, _) = open(io.clone(), dir, 512);
    for batch in 0..4u8 {
        let records: Vec<Vec<u8>> = (0..4).map(|i| vec![batch * 10 + i; 100]).collect();
        wal.append(&refs(&records)).unwrap();
        wal.sync().unwrap();
    }
    drop(wal);
    let names = segment_names(&*io, dir);
    assert!(names.len() >= 3);
    // The last record of the first segment (3 frames of 136 bytes fit in 512).
    flip(&*io, &dir.join(&names[0]), frame_offset(2, 100) + 40, 0xFF);
    let before = sim.files();
    let err = Wal::open(io, dir, opts(512)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, WalError::Corrupt { .. }), "{msg}");
    assert!(
        msg.contains("expected record LSN 3") && msg.contains(&names[1]),
        "{msg}"
    );
    assert_eq!(sim.files(), before);
}

#[test]
fn missing_middle_segment_is_an_error() {
    let sim = Arc::new(SimIo::new());
    let io: Arc<dyn Io> = sim.clone();
    let dir = Path::new(DIR);
    let (mut wal, _) = open(io.clone(), dir, 512);
    for i in 0..20u8 {
        wal.append(&[&[i; 100]]).unwrap();
        wal.sync().unwrap();
    }
    drop(wal);
    let names = segment_names(&*io, dir);
    io.remove_file(&dir.join(&names[2])).unwrap();
    let before = sim.files();
    expect_corrupt(io, dir, &[&names[1], &names[3]]);
    assert_eq!(sim.files(), before);
}

#[test]
fn renamed_segment_is_an_error() {
    let sim = Arc::new(SimIo::new());
    let io: Arc<dyn Io> = sim.clone();
    let dir = Path::new(DIR);
    two_batches(&io, dir);
    io.rename(&dir.join(SEG1), &dir.join("00000000000000000007.wal"))
        .unwrap();
    let before = sim.files();
    expect_corrupt(io, dir, &["header says the segment starts at LSN 1"]);
    assert_eq!(sim.files(), before);
}

#[test]
fn damaged_segment_header_is_an_error() {
    let sim = Arc::new(SimIo::new());
    let io: Arc<dyn Io> = sim.clone();
    let dir = Path::new(DIR);
    two_batches(&io, dir);
    flip(&*io, &dir.join(SEG1), 17, 0x01);
    let before = sim.files();
    expect_corrupt(io, dir, &["checksum"]);
    assert_eq!(sim.files(), before);
}

fn expect_foreign(sim: &Arc<SimIo>, dir: &Path, needle: &str) {
    let before = sim.files();
    let err = Wal::open(sim.clone(), dir, opts(4096)).unwrap_err();
    assert!(
        matches!(err, WalError::Foreign(_)),
        "expected Foreign, got {err}"
    );
    assert_eq!(err.sqlstate(), SqlState::DATA_CORRUPTED);
    assert!(err.to_string().contains(needle), "{err} lacks {needle:?}");
    assert_eq!(sim.files(), before, "open must not change the files");
}

#[test]
fn foreign_file_in_the_directory_is_an_error() {
    let sim = Arc::new(SimIo::new());
    let io: Arc<dyn Io> = sim.clone();
    let dir = Path::new(DIR);
    two_batches(&io, dir);
    io.open(&dir.join("notes.txt"), OpenOptions::create())
        .unwrap()
        .write_at(0, b"hi")
        .unwrap();
    expect_foreign(&sim, dir, "notes.txt");

    // Also in a directory that holds no log yet: nothing is created.
    let sim = Arc::new(SimIo::new());
    sim.create_dir_all(Path::new("/other")).unwrap();
    sim.open(Path::new("/other/data.db"), OpenOptions::create())
        .unwrap();
    expect_foreign(&sim, Path::new("/other"), "data.db");
}

#[test]
fn wrong_magic_is_foreign() {
    let sim = Arc::new(SimIo::new());
    let io: Arc<dyn Io> = sim.clone();
    let dir = Path::new(DIR);
    two_batches(&io, dir);
    overwrite(&*io, &dir.join(SEG1), 0, b"SQLite f");
    expect_foreign(&sim, dir, "magic");
}

#[test]
fn unknown_version_is_foreign() {
    let sim = Arc::new(SimIo::new());
    let io: Arc<dyn Io> = sim.clone();
    let dir = Path::new(DIR);
    two_batches(&io, dir);
    // Version 2 with a correct header checksum: a newer format, not damage.
    let path = dir.join(SEG1);
    let f = io.open(&path, OpenOptions::read_write()).unwrap();
    let mut h = [0u8; 32];
    f.read_exact_at(0, &mut h).unwrap();
    h[8] = 2;
    let crc = crc32fast::hash(&h[..28]);
    h[28..].copy_from_slice(&crc.to_le_bytes());
    f.write_at(0, &h).unwrap();
    expect_foreign(&sim, dir, "version 2");
}

#[test]
fn damaged_last_batch_without_later_proof_is_cut() {
    // A record of the last synced batch that is damaged looks exactly like a torn write: no later
    // record proves it was synced. Recovery cuts it (the documented limit of the scheme).
    let sim = Arc::new(SimIo::new());
    let io: Arc<dyn Io> = sim.clone();
    let dir = Path::new(DIR);
    two_batches(&io, dir);
    flip(
        &*io,
        &dir.join(SEG1),
        frame_offset(7, PAYLOAD as u64) + 33,
        0x01,
    );
    let (wal, report) = open(io, dir, 4096);
    let cut = report.cut.unwrap();
    assert_eq!(cut.lsn, 8);
    assert!(cut.reason.contains("torn or corrupt"), "{}", cut.reason);
    assert_eq!(payloads(&wal).len(), 7);
}

#[test]
fn leftover_temporary_segment_is_removed() {
    let sim = Arc::new(SimIo::new());
    let io: Arc<dyn Io> = sim.clone();
    let dir = Path::new(DIR);
    two_batches(&io, dir);
    let tmp = dir.join("00000000000000000011.wal.tmp");
    io.open(&tmp, OpenOptions::create())
        .unwrap()
        .write_at(0, &[0; 100])
        .unwrap();
    let (wal, report) = open(io.clone(), dir, 4096);
    assert_eq!(
        report.removed_temp_files,
        vec!["00000000000000000011.wal.tmp".to_string()]
    );
    assert!(!io.exists(&tmp).unwrap());
    assert_eq!(payloads(&wal).len(), 10);
}
