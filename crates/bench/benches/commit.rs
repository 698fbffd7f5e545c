//! Durable commit throughput and latency of the transaction layer (group commit).
//!
//! Criterion groups:
//! - `fsync`: one 128-byte write plus `fdatasync` into a preallocated file on the same disk, the
//!   reference a durable commit is measured against;
//! - `durable_commit/{1,4,16,64}`: single-key transactions committed with
//!   `synchronous_commit = on` by that many concurrent writers; the reported time is wall time
//!   per commit at aggregate throughput (so commits/s = 1 / time);
//! - `async_commit/1`: the same with `synchronous_commit = off`;
//! - `point_get` and `range_scan_100`: reads through the transaction layer (redb engine).
//!
//! After the criterion groups, an interleaved comparison (fsync, 1 writer, 16 writers, repeated)
//! prints the medians of the pair ratios the targets are stated in, because fsync
//! latency on shared machines drifts several-fold within minutes.

#![allow(clippy::print_stdout, missing_docs, clippy::unwrap_used)]

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use basalt_storage::{Direction, KeyRange};
use basalt_txn::{IsolationLevel, LocalKv, Options, Transaction, TxnKv, TxnOptions};
use criterion::{BenchmarkId, Criterion, Throughput};

fn open(dir: &Path, sync: bool) -> LocalKv {
    let options = Options {
        synchronous_commit: sync,
        ..Options::default()
    };
    LocalKv::open(dir, options).unwrap()
}

/// Runs `total` single-key commits spread over `writers` threads; returns the wall time.
fn run_commits(kv: &LocalKv, writers: usize, total: u64) -> Duration {
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    std::thread::scope(|s| {
        for w in 0..writers {
            let kv = kv.clone();
            let next = next.clone();
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        break;
                    }
                    let mut txn = kv
                        .begin(TxnOptions::isolation(IsolationLevel::ReadCommitted))
                        .unwrap();
                    let key = format!("w{w:03}/{:08}", i % 4096).into_bytes();
                    txn.put(key, vec![7u8; 100]).unwrap();
                    txn.commit().unwrap();
                }
            });
        }
    });
    start.elapsed()
}

struct FsyncProbe {
    file: std::fs::File,
    offset: u64,
}

impl FsyncProbe {
    fn new(dir: &Path) -> Self {
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(dir.join("probe"))
            .unwrap();
        file.write_all(&vec![0u8; 16 << 20]).unwrap();
        file.sync_all().unwrap();
        FsyncProbe { file, offset: 0 }
    }

    fn once(&mut self) {
        self.file.write_all_at(&[1u8; 128], self.offset).unwrap();
        self.file.sync_data().unwrap();
        self.offset = (self.offset + 128) % (16 << 20);
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut probe = FsyncProbe::new(dir.path());
    let mut g = c.benchmark_group("fsync");
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    g.bench_function("write_128B_fdatasync", |b| b.iter(|| probe.once()));
    g.finish();

    let kv = open(&dir.path().join("durable"), true);
    let mut g = c.benchmark_group("durable_commit");
    g.sample_size(10).measurement_time(Duration::from_secs(4));
    g.throughput(Throughput::Elements(1));
    for writers in [1usize, 4, 16, 64] {
        g.bench_with_input(BenchmarkId::from_parameter(writers), &writers, |b, &w| {
            b.iter_custom(|iters| run_commits(&kv, w, iters))
        });
    }
    g.finish();
    drop(kv);

    let kv = open(&dir.path().join("async"), false);
    let mut g = c.benchmark_group("async_commit");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    g.bench_function("1", |b| b.iter_custom(|iters| run_commits(&kv, 1, iters)));
    g.finish();

    // Reads: 100k rows loaded in large transactions.
    let n = 100_000u64;
    for chunk in 0..(n / 10_000) {
        let mut txn = kv.begin(TxnOptions::default()).unwrap();
        for i in chunk * 10_000..(chunk + 1) * 10_000 {
            txn.put(format!("row/{i:08}").into_bytes(), vec![1u8; 100])
                .unwrap();
        }
        txn.commit().unwrap();
    }
    kv.checkpoint().unwrap();
    let mut g = c.benchmark_group("read");
    g.sample_size(20).measurement_time(Duration::from_secs(3));
    let mut i = 0u64;
    g.bench_function("point_get", |b| {
        let mut txn = kv
            .begin(TxnOptions::isolation(IsolationLevel::RepeatableRead))
            .unwrap();
        b.iter(|| {
            i = (i + 7919) % n;
            txn.get(format!("row/{i:08}").as_bytes()).unwrap().unwrap()
        })
    });
    g.bench_function("range_scan_100", |b| {
        let mut txn = kv
            .begin(TxnOptions::isolation(IsolationLevel::RepeatableRead))
            .unwrap();
        b.iter(|| {
            i = (i + 7919) % (n - 100);
            let start = format!("row/{i:08}").into_bytes();
            let end = format!("row/{:08}", i + 100).into_bytes();
            let count = txn
                .scan(KeyRange::new(start, end), Direction::Forward)
                .unwrap()
                .count();
            assert_eq!(count, 100);
        })
    });
    g.finish();
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Interleaved pairs: fsync latency, 1-writer commit latency, 16-writer throughput.
fn interleaved_summary() {
    let dir = tempfile::tempdir().unwrap();
    let mut probe = FsyncProbe::new(dir.path());
    let kv = open(&dir.path().join("db"), true);
    let mut latency_ratio = Vec::new();
    let mut scaling = Vec::new();
    let mut rows = Vec::new();
    run_commits(&kv, 16, 2000); // warm-up
    for _ in 0..5 {
        let n = 300;
        let t = Instant::now();
        for _ in 0..n {
            probe.once();
        }
        let fsync = t.elapsed().as_secs_f64() / n as f64;
        let one = run_commits(&kv, 1, n).as_secs_f64() / n as f64;
        let sixteen = run_commits(&kv, 16, 16 * n).as_secs_f64() / (16 * n) as f64;
        latency_ratio.push(one / fsync);
        scaling.push(one / sixteen);
        rows.push((fsync, one, sixteen));
    }
    println!("\ninterleaved summary (5 rounds: fsync, 1 writer, 16 writers)");
    for (f, o, s) in &rows {
        println!(
            "  fsync {:7.1} us | 1 writer {:7.1} us/commit ({:6.0}/s) | 16 writers {:6.0} commits/s",
            f * 1e6,
            o * 1e6,
            1.0 / o,
            1.0 / s
        );
    }
    println!(
        "  median 1-writer commit / fsync       = {:.2}x  (target <= 1.5x)",
        median(latency_ratio)
    );
    println!(
        "  median 16-writer / 1-writer commits/s = {:.1}x  (target >= 8x)",
        median(scaling)
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
    if std::env::args().all(|a| a != "--list") {
        interleaved_summary();
    }
}
