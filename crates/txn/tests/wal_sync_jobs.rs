//! Syncs run outside the log lock (`begin_sync` / `SyncJob::run` / `finish_sync`): each job
//! covers everything appended before it began, whatever order jobs finish in, and a failed job
//! poisons the log.

#![allow(clippy::unwrap_used)]

mod wal_support;

use std::path::Path;
use std::sync::Arc;

use basalt_storage::io::{CrashMode, FaultyIo, SimIo};
use wal_support::*;

#[test]
fn jobs_cover_earlier_appends_in_any_completion_order() {
    let sim = Arc::new(SimIo::new());
    let dir = Path::new(DIR);
    // Small segments, so that the two jobs cover different segment files.
    let (mut wal, _) = open(sim.clone(), dir, 1024);
    let a: Vec<Vec<u8>> = (0..6).map(|i| vec![i; 200]).collect();
    let last_a = wal.append(&refs(&a)).unwrap();
    let job_a = wal.begin_sync().unwrap().unwrap();
    let b: Vec<Vec<u8>> = (10..16).map(|i| vec![i; 200]).collect();
    let last_b = wal.append(&refs(&b)).unwrap();
    let job_b = wal.begin_sync().unwrap().unwrap();
    assert_eq!((job_a.upto(), job_b.upto()), (last_a, last_b));
    // The later job finishes first: it alone must make everything up to its LSN durable.
    let result = job_b.run();
    wal.finish_sync(job_b, result).unwrap();
    assert_eq!(wal.durable_lsn(), last_b);
    sim.crash(CrashMode::LoseUnsynced);
    drop(job_a);
    drop(wal);
    let (wal, _) = open(sim.clone(), dir, 1024);
    let mut expected = a.clone();
    expected.extend(b.clone());
    assert_eq!(payloads(&wal), expected);
}

#[test]
fn nothing_to_sync_gives_no_job_and_a_failed_job_poisons() {
    let sim = Arc::new(SimIo::new());
    let faulty = Arc::new(FaultyIo::new(sim.clone()));
    let plan = faulty.plan().clone();
    let (mut wal, _) = open(faulty, Path::new(DIR), 4096);
    assert!(wal.begin_sync().unwrap().is_none());
    wal.append(&[b"x".as_slice()]).unwrap();
    let job = wal.begin_sync().unwrap().unwrap();
    plan.fail_nth_sync(1);
    let result = job.run();
    assert!(result.is_err());
    assert!(wal.finish_sync(job, result).is_err());
    assert!(wal.is_poisoned());
    assert!(wal.append(&[b"y".as_slice()]).is_err());
    assert!(wal.begin_sync().is_err());
}
