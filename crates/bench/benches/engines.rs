//! The storage-engine decision bench: the memory engine, redb and fjall behind Basalt's
//! `Engine` trait, on Basalt's own access pattern (see `basalt_bench::workload`).
//!
//! Run with `cargo bench -p basalt-bench --bench engines`. Before the criterion groups it loads
//! each engine once to report load time and on-disk size (printed to stderr). Then each
//! workload is one criterion group with the engines as its members, so the figures sit side by
//! side:
//! - `point_read`: the newest version at or before a snapshot timestamp of a random row among
//!   100k (a bounded scan, first item), half at the latest timestamp and half at an older one.
//! - `range_scan_100`: an MVCC scan of 100 consecutive rows (all their versions, newest
//!   visible kept).
//! - `gc_delete_256`: a batch of 256 deletes of superseded versions (the garbage pool is
//!   refilled, untimed, by writing new versions when it runs low).
//! - `apply_batch16` / `apply_batch256`: the log applier writing 16 384 versioned keys (half new
//!   versions of existing rows, half new rows) in batches of 16 or 256 without syncing, then one
//!   sync, as a checkpoint would. One iteration is the whole checkpoint interval.
//! - `checkpoint_sync_10k`: the cost of the sync alone after 10 000 unsynced writes (written
//!   untimed). The memory engine's sync is a no-op and is left out.
//!
//! Sample counts and times are kept small so that the whole run takes a few minutes on a
//! 2-core machine; the figures are medians.

#![allow(
    clippy::unwrap_used,
    reason = "a bench: failures should stop it loudly"
)]

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use basalt_bench::FjallEngine;
use basalt_bench::workload::{Dataset, read_row, scan_rows};
use basalt_storage::redb_engine::RedbEngine;
use basalt_storage::{Engine, MemoryEngine, WriteBatch};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use tempfile::TempDir;

/// Rows loaded before the measurements.
const ROWS: u64 = 100_000;
/// Keys per batch while loading.
const LOAD_BATCH: usize = 256;
/// Keys written between two syncs in the applier workloads.
const CHECKPOINT_KEYS: usize = 16_384;
/// Deletes per GC batch.
const GC_BATCH: usize = 256;
/// Rows scanned by a range scan.
const SCAN_ROWS: u64 = 100;
/// Checkpoint intervals written in the size report's churn.
const CHURN_CHECKPOINTS: usize = 30;
/// Unsynced writes before the measured sync.
const SYNC_AFTER: usize = 10_000;
/// A snapshot timestamp newer than every commit.
const LATEST: u64 = u64::MAX >> 1;
/// An older snapshot timestamp: between the load's second and third versions.
const HISTORICAL: u64 = 25;

#[derive(Clone, Copy)]
enum Kind {
    Memory,
    Redb,
    Fjall,
}

const KINDS: [Kind; 3] = [Kind::Memory, Kind::Redb, Kind::Fjall];

enum Handle {
    Memory(MemoryEngine),
    Redb(RedbEngine),
    Fjall(FjallEngine),
}

/// An engine under test with its data set and directory.
struct Subject {
    handle: Handle,
    data: Dataset,
    dir: TempDir,
}

impl Subject {
    fn open(kind: Kind) -> Subject {
        let dir = tempfile::tempdir().unwrap();
        let handle = match kind {
            Kind::Memory => Handle::Memory(MemoryEngine::new()),
            Kind::Redb => Handle::Redb(RedbEngine::open(&dir.path().join("data.redb")).unwrap()),
            Kind::Fjall => Handle::Fjall(FjallEngine::open(&dir.path().join("fjall")).unwrap()),
        };
        Subject {
            handle,
            data: Dataset::new(ROWS),
            dir,
        }
    }

    /// Closes and reopens a durable engine; returns false for the memory engine.
    fn reopen(&mut self, kind: Kind) -> bool {
        let path = self.dir.path();
        match kind {
            Kind::Memory => return false,
            Kind::Redb => {
                // The old handle must be closed before the file can be opened again.
                self.handle = Handle::Memory(MemoryEngine::new());
                self.handle = Handle::Redb(RedbEngine::open(&path.join("data.redb")).unwrap());
            }
            Kind::Fjall => {
                self.handle = Handle::Memory(MemoryEngine::new());
                self.handle = Handle::Fjall(FjallEngine::open(&path.join("fjall")).unwrap());
            }
        }
        true
    }

    /// Bytes on disk, apparent and allocated (none for the memory engine).
    fn disk_bytes(&self) -> Option<Size> {
        match self.handle {
            Handle::Memory(_) => None,
            Handle::Redb(_) | Handle::Fjall(_) => Some(dir_size(self.dir.path())),
        }
    }
}

/// A size on disk: the files' lengths, and the blocks allocated to them (what `du` shows;
/// smaller when files are sparse).
#[derive(Clone, Copy, Default)]
struct Size {
    apparent: u64,
    allocated: u64,
}

fn dir_size(path: &Path) -> Size {
    let mut total = Size::default();
    for entry in std::fs::read_dir(path).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            let sub = dir_size(&entry.path());
            total.apparent += sub.apparent;
            total.allocated += sub.allocated;
        } else {
            total.apparent += meta.len();
            total.allocated += allocated(&meta);
        }
    }
    total
}

#[cfg(unix)]
fn allocated(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.blocks() * 512
}

#[cfg(not(unix))]
fn allocated(meta: &std::fs::Metadata) -> u64 {
    meta.len()
}

fn show(size: Option<Size>) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    match size {
        Some(s) => format!(
            "{:.1} MiB allocated ({:.1} MiB apparent)",
            s.allocated as f64 / MIB,
            s.apparent as f64 / MIB
        ),
        None => "- (in memory)".into(),
    }
}

/// Bytes of keys and values of the newest version of every row: the live data.
fn live_bytes(engine: &dyn Engine, rows: u64) -> f64 {
    let bytes: usize = (0..rows)
        .map(|r| {
            read_row(engine, r, LATEST)
                .unwrap()
                .map_or(0, |(k, v)| k.len() + v.len())
        })
        .sum();
    bytes as f64 / (1024.0 * 1024.0)
}

/// Loads each engine once, then puts it through a fixed churn, and reports load time and
/// sizes on disk. These instances are then dropped, so the measured ones are not affected.
fn report_sizes() {
    eprintln!("== load: {ROWS} rows, 175k versioned keys in batches of {LOAD_BATCH}, then sync");
    for kind in KINDS {
        let mut s = Subject::open(kind);
        let engine = subject_engine(&s.handle);
        let start = Instant::now();
        let keys = s.data.load(engine, LOAD_BATCH).unwrap();
        let took = start.elapsed();
        eprintln!(
            "load  {:<6} {keys} keys in {:.2} s ({:.0} keys/s); live data {:.1} MiB; on disk: {}",
            engine.name(),
            took.as_secs_f64(),
            keys as f64 / took.as_secs_f64(),
            live_bytes(engine, ROWS),
            show(s.disk_bytes()),
        );
        if let Handle::Fjall(f) = &s.handle {
            f.flush().unwrap();
            eprintln!(
                "load  fjall  after memtable flush: {}",
                show(s.disk_bytes())
            );
        }

        // Churn: checkpoint intervals of applier batches, then GC of every superseded version,
        // then a sync.
        let start = Instant::now();
        for _ in 0..CHURN_CHECKPOINTS {
            for _ in 0..CHECKPOINT_KEYS / LOAD_BATCH {
                engine.write(s.data.applier_batch(LOAD_BATCH)).unwrap();
            }
            engine.sync().unwrap();
        }
        let garbage = s.data.garbage.len();
        while !s.data.garbage.is_empty() {
            engine.write(s.data.gc_batch(GC_BATCH)).unwrap();
        }
        engine.sync().unwrap();
        let rows = s.data.next_row;
        eprintln!(
            "churn {:<6} +{} keys, {garbage} GC deletes in {:.2} s; {rows} rows, live data {:.1} MiB; on disk: {}",
            engine.name(),
            CHURN_CHECKPOINTS * CHECKPOINT_KEYS,
            start.elapsed().as_secs_f64(),
            live_bytes(engine, rows),
            show(s.disk_bytes()),
        );
        if let Handle::Fjall(f) = &s.handle {
            f.flush().unwrap();
            f.compact().unwrap();
            eprintln!(
                "churn fjall  after flush and major compaction: {}",
                show(s.disk_bytes())
            );
        }
        // At rest: closed and reopened (fjall deletes obsolete tables then).
        if s.reopen(kind) {
            eprintln!(
                "churn {:<6} closed and reopened: {}",
                subject_engine(&s.handle).name(),
                show(s.disk_bytes())
            );
        }
    }
}

/// Engines loaded with the data set, synced, and (fjall) flushed to disk tables.
fn loaded_subjects() -> Vec<Subject> {
    KINDS
        .iter()
        .map(|&kind| {
            let mut s = Subject::open(kind);
            s.data.load(subject_engine(&s.handle), LOAD_BATCH).unwrap();
            if let Handle::Fjall(f) = &s.handle {
                f.flush().unwrap();
            }
            s
        })
        .collect()
}

/// Untimed: writes new versions of random rows so that GC has garbage to delete, and syncs.
fn refill_garbage(engine: &dyn Engine, data: &mut Dataset) {
    let mut b = WriteBatch::new();
    for _ in 0..CHECKPOINT_KEYS {
        let row = data.random_row();
        let ts = data.next_ts;
        data.next_ts += 1;
        data.put_version(&mut b, row, ts);
        if b.len() == LOAD_BATCH {
            engine.write(std::mem::take(&mut b)).unwrap();
        }
    }
    engine.write(b).unwrap();
    engine.sync().unwrap();
}

fn engines(c: &mut Criterion) {
    report_sizes();
    let mut subjects = loaded_subjects();

    let mut g = c.benchmark_group("point_read");
    g.throughput(Throughput::Elements(1));
    for s in &mut subjects {
        let Subject { handle, data, .. } = s;
        let engine = subject_engine(handle);
        g.bench_function(engine.name(), |b| {
            b.iter(|| {
                let row = data.random_row();
                let ts = if row % 2 == 0 { LATEST } else { HISTORICAL };
                black_box(read_row(engine, row, ts).unwrap())
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("range_scan_100");
    g.throughput(Throughput::Elements(SCAN_ROWS));
    for s in &mut subjects {
        let Subject { handle, data, .. } = s;
        let engine = subject_engine(handle);
        g.bench_function(engine.name(), |b| {
            b.iter(|| {
                let first = data.random_row() % (ROWS - SCAN_ROWS);
                let (rows, _) = scan_rows(engine, first, SCAN_ROWS, LATEST).unwrap();
                assert_eq!(rows, SCAN_ROWS);
                black_box(rows)
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("gc_delete_256");
    g.throughput(Throughput::Elements(GC_BATCH as u64));
    g.sampling_mode(SamplingMode::Flat);
    g.measurement_time(Duration::from_millis(800));
    for s in &mut subjects {
        let Subject { handle, data, .. } = s;
        let engine = subject_engine(handle);
        g.bench_function(engine.name(), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    if data.garbage.len() < GC_BATCH {
                        refill_garbage(engine, data);
                    }
                    let batch = data.gc_batch(GC_BATCH);
                    let start = Instant::now();
                    engine.write(batch).unwrap();
                    total += start.elapsed();
                }
                total
            })
        });
    }
    g.finish();

    for size in [16usize, 256] {
        let mut g = c.benchmark_group(format!("apply_batch{size}"));
        g.throughput(Throughput::Elements(CHECKPOINT_KEYS as u64));
        g.sampling_mode(SamplingMode::Flat);
        for s in &mut subjects {
            let Subject { handle, data, .. } = s;
            let engine = subject_engine(handle);
            g.bench_function(engine.name(), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let batches: Vec<WriteBatch> = (0..CHECKPOINT_KEYS / size)
                            .map(|_| data.applier_batch(size))
                            .collect();
                        let start = Instant::now();
                        for batch in batches {
                            engine.write(batch).unwrap();
                        }
                        engine.sync().unwrap();
                        total += start.elapsed();
                    }
                    total
                })
            });
        }
        g.finish();
    }

    let mut g = c.benchmark_group("checkpoint_sync_10k");
    g.throughput(Throughput::Elements(1));
    g.sampling_mode(SamplingMode::Flat);
    // One sync per sample: each needs 10k untimed writes first, so keep the count small.
    g.sample_size(20);
    g.warm_up_time(Duration::from_millis(1));
    g.measurement_time(Duration::from_millis(20));
    for s in &mut subjects {
        let Subject { handle, data, .. } = s;
        let engine = subject_engine(handle);
        if matches!(handle, Handle::Memory(_)) {
            continue; // A no-op sync: nothing to measure.
        }
        g.bench_function(engine.name(), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    for _ in 0..SYNC_AFTER / 250 {
                        engine.write(data.applier_batch(250)).unwrap();
                    }
                    let start = Instant::now();
                    engine.sync().unwrap();
                    total += start.elapsed();
                }
                total
            })
        });
    }
    g.finish();
}

fn subject_engine(handle: &Handle) -> &dyn Engine {
    match handle {
        Handle::Memory(e) => e,
        Handle::Redb(e) => e,
        Handle::Fjall(e) => e,
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1500))
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = engines
}
criterion_main!(benches);
