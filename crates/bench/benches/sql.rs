//! The embedded SQL API against SQLite (rusqlite, bundled) on the same workloads, as criterion
//! groups. The setup and workloads are `basalt_bench::embedded`'s, shared with the interleaved
//! comparison (`cargo run --release -p basalt-bench --bin embedded_compare -- --json OUT`),
//! which is where ratios come from; this bench gives criterion's per-workload distributions.
//!
//! Both databases are on disk in the same temporary directory. SQLite runs in WAL mode with
//! `synchronous = FULL` for the durable workloads (an fsync per commit, as Basalt's default
//! `synchronous_commit = on`) and `synchronous = OFF` for the relaxed one (Basalt: `SET
//! synchronous_commit = off`).
//!
//! Criterion groups, each with a `basalt` and a `sqlite` function:
//! - `point_select`: `SELECT name, price FROM items WHERE id = $1` on a 10k-row table;
//! - `insert_durable`: one-row INSERT committed per row, fsync per commit;
//! - `insert_relaxed`: the same without waiting for the fsync;
//! - `bulk_insert`: `BASALT_BENCH_ROWS` rows (default 100 000; the target is 1M, set
//!   `BASALT_BENCH_ROWS=1000000` for it) inserted with a prepared statement in one transaction
//!   into a fresh database, timed until the commit (durable) returns;
//! - `bulk_load`: the same rows loaded the fastest way each engine has: Basalt's `COPY ...
//!   FROM STDIN` (CSV text held in memory, built before the clock starts) against SQLite's
//!   prepared INSERT in one transaction (SQLite has no bulk path beyond it);
//! - `range_scan_index`: 100 rows through a secondary index (`cat >= $1 AND cat < $1 + 100`);
//! - `range_scan_pk`: 100 rows through the primary key;
//! - `join3_agg`: orders ⋈ customers ⋈ items with GROUP BY and sum (10k orders).
//!
//! The bench binary uses the system allocator, what an application embedding Basalt gets by
//! default; `--features mimalloc` measures with mimalloc instead (docs/performance.md).

#![allow(clippy::print_stdout, missing_docs, clippy::unwrap_used)]

use basalt_bench::embedded::{
    BasaltSide, Keys, Sizes, SqliteSide, basalt_bulk_fresh, basalt_plans, sqlite_bulk_fresh,
};
use criterion::{Criterion, SamplingMode, Throughput};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bulk_rows() -> i64 {
    std::env::var("BASALT_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn bench(c: &mut Criterion, b: &mut BasaltSide, s: &mut SqliteSide, dir: &std::path::Path) {
    let mut g = c.benchmark_group("point_select");
    g.throughput(Throughput::Elements(1));
    let mut k = Keys(7);
    g.bench_function("basalt", |x| {
        x.iter_custom(|n| b.point_selects(&mut k, n).unwrap())
    });
    g.bench_function("sqlite", |x| {
        x.iter_custom(|n| s.point_selects(&mut k, n).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("insert_durable");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(1));
    g.bench_function("basalt", |x| x.iter_custom(|n| b.inserts(n, true).unwrap()));
    g.bench_function("sqlite", |x| x.iter_custom(|n| s.inserts(n, true).unwrap()));
    g.finish();

    let mut g = c.benchmark_group("insert_relaxed");
    g.throughput(Throughput::Elements(1));
    g.bench_function("basalt", |x| {
        x.iter_custom(|n| b.inserts(n, false).unwrap())
    });
    g.bench_function("sqlite", |x| {
        x.iter_custom(|n| s.inserts(n, false).unwrap())
    });
    g.finish();

    let rows = bulk_rows();
    let fresh = std::cell::Cell::new(0u32);
    let path = || {
        fresh.set(fresh.get() + 1);
        dir.join(format!("bulk-{}", fresh.get()))
    };
    for (group, copy) in [("bulk_insert", false), ("bulk_load", true)] {
        let mut g = c.benchmark_group(group);
        g.sample_size(10).sampling_mode(SamplingMode::Flat);
        g.throughput(Throughput::Elements(rows as u64));
        g.bench_function("basalt", |x| {
            x.iter_custom(|n| {
                (0..n)
                    .map(|_| basalt_bulk_fresh(&path(), rows, copy).unwrap().elapsed)
                    .sum()
            })
        });
        g.bench_function("sqlite", |x| {
            x.iter_custom(|n| {
                (0..n)
                    .map(|_| sqlite_bulk_fresh(&path(), rows).unwrap().elapsed)
                    .sum()
            })
        });
        g.finish();
    }

    for (group, by_index) in [("range_scan_index", true), ("range_scan_pk", false)] {
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Elements(1));
        g.bench_function("basalt", |x| {
            x.iter_custom(|n| b.range_scans(&mut k, n, by_index).unwrap())
        });
        g.bench_function("sqlite", |x| {
            x.iter_custom(|n| s.range_scans(&mut k, n, by_index).unwrap())
        });
        g.finish();
    }

    let mut g = c.benchmark_group("join3_agg");
    g.sample_size(10);
    g.bench_function("basalt", |x| x.iter_custom(|n| b.joins(n).unwrap()));
    g.bench_function("sqlite", |x| x.iter_custom(|n| s.joins(n).unwrap()));
    g.finish();
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = BasaltSide::open(dir.path(), Sizes::full()).unwrap();
    let mut s = SqliteSide::open(dir.path(), Sizes::full()).unwrap();
    if !std::env::args().any(|a| a == "--list") {
        // The plans Basalt chose, so a slow figure can be told from a missing index path.
        for (sql, lines) in basalt_plans(&b).unwrap() {
            println!("basalt plan for {sql}");
            for l in lines {
                println!("    {l}");
            }
        }
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &mut b, &mut s, dir.path());
    c.final_summary();
}
