//! A fixed commit workload for profilers (`perf record`, `valgrind --tool=callgrind`):
//! `cargo run --release -p basalt-bench --example commit_profile -- [commits] [writers] [sync]`.

#![allow(clippy::print_stdout, clippy::unwrap_used, missing_docs)]

use std::time::Instant;

use basalt_txn::{IsolationLevel, LocalKv, Options, Transaction, TxnKv, TxnOptions};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let commits: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let writers: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let sync = args.get(3).is_some_and(|s| s == "sync");
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        synchronous_commit: sync,
        ..Options::default()
    };
    let kv = LocalKv::open(dir.path().join("db"), options).unwrap();
    let start = Instant::now();
    std::thread::scope(|s| {
        for w in 0..writers {
            let kv = kv.clone();
            s.spawn(move || {
                for i in 0..commits / writers {
                    let mut txn = kv
                        .begin(TxnOptions::isolation(IsolationLevel::ReadCommitted))
                        .unwrap();
                    txn.put(
                        format!("w{w:03}/{:08}", i % 4096).into_bytes(),
                        vec![7u8; 100],
                    )
                    .unwrap();
                    txn.commit().unwrap();
                }
            });
        }
    });
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{commits} commits by {writers} writers (sync: {sync}) in {secs:.2} s: {:.0}/s",
        commits as f64 / secs
    );
}
