//! The embedded SQL API against SQLite (rusqlite, bundled) on the same workloads, in one run.
//!
//! Both databases are on disk in the same temporary directory. SQLite runs in WAL mode with
//! `synchronous = FULL` for the durable workloads (an fsync per commit, as Basalt's default
//! `synchronous_commit = on`) and `synchronous = OFF` for the relaxed one (Basalt: `SET
//! synchronous_commit = off`). Both use prepared statements (Basalt's `prepare` keeps the text
//! and hits the parse cache; binding and planning still run per execution).
//!
//! Criterion groups, each with a `basalt` and a `sqlite` function:
//! - `point_select`: `SELECT name, price FROM items WHERE id = $1` on a 10k-row table;
//! - `insert_durable`: one-row INSERT committed per row, fsync per commit;
//! - `insert_relaxed`: the same without waiting for the fsync;
//! - `bulk_insert`: `BASALT_BENCH_ROWS` rows (default 100 000; the target is 1M, set
//!   `BASALT_BENCH_ROWS=1000000` for it) inserted with a prepared statement in one transaction
//!   into an empty table;
//! - `bulk_load`: the same rows loaded the fastest way each engine has: Basalt's `COPY ...
//!   FROM STDIN` (CSV text held in memory, built before the clock starts, as a file in the page
//!   cache would be) against SQLite's prepared INSERT in one transaction (SQLite has no bulk
//!   path beyond it);
//! - `range_scan_index`: 100 rows through a secondary index (`cat >= $1 AND cat < $1 + 100`);
//! - `join3_agg`: orders ⋈ customers ⋈ items with GROUP BY and sum (10k orders).
//!
//! After each bulk load Basalt's table is dropped and a checkpoint run outside the timing, so
//! that the background writing of a load's rows to the data file does not spill into the next
//! measurement. That work is deferred, as PostgreSQL's checkpointer defers it; SQLite's WAL
//! auto-checkpoint (every 1000 pages) runs inside its commits and so inside its timing.
//!
//! The bench binary uses the system allocator, what an application embedding Basalt gets by
//! default; `--features mimalloc` measures with mimalloc instead (fewer instructions per
//! allocation, but on this machine slower bulk loads: its arenas ask for transparent huge
//! pages, which the kernel zeroes on first touch; docs/performance.md). SQLite allocates
//! through its own `malloc` calls either way.
//!
//! After criterion, an interleaved summary runs each workload as Basalt, SQLite, Basalt,
//! SQLite, ... (5 pairs; shared machines drift) and prints the median Basalt/SQLite time ratio
//! with its min–max; above 1 means Basalt is slower.

#![allow(clippy::print_stdout, missing_docs, clippy::unwrap_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use basalt::{Database, params};
use criterion::{Criterion, SamplingMode, Throughput};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ITEMS: i64 = 10_000;
const CUSTOMERS: i64 = 100;
const ORDERS: i64 = 10_000;
const PAIRS: usize = 5;

fn bulk_rows() -> i64 {
    std::env::var("BASALT_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// `cat` of item `id`: a permutation of 0..ITEMS, so a range of 100 cats is 100 rows spread
/// over the table.
fn cat(id: i64) -> i64 {
    (id * 7919) % ITEMS
}

fn price(id: i64) -> f64 {
    (id % 997) as f64 / 10.0
}

/// A tiny deterministic generator (xorshift) for keys, the same for both databases.
struct Keys(u64);

impl Keys {
    fn next(&mut self, n: i64) -> i64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as i64
    }
}

const JOIN_SQL: &str = "SELECT c.region, count(*), sum(o.qty * i.price) \
     FROM orders o JOIN customers c ON c.id = o.customer_id JOIN items i ON i.id = o.item_id \
     GROUP BY c.region ORDER BY c.region";

// ---------------------------------------------------------------------------------------------
// Basalt side.

struct BasaltSide {
    db: Database,
    conn: basalt::Connection,
    next_id: i64,
    bulk_table: u32,
}

impl BasaltSide {
    fn open(dir: &Path) -> BasaltSide {
        let db = Database::open(dir.join("basalt")).unwrap();
        let mut conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, cat int NOT NULL, price float8 NOT NULL);
             CREATE INDEX items_cat ON items (cat);
             CREATE TABLE customers (id int PRIMARY KEY, region text NOT NULL);
             CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, item_id int NOT NULL, qty int NOT NULL);
             CREATE TABLE log (id bigint PRIMARY KEY, payload text NOT NULL)",
        )
        .unwrap();
        let tx = conn.transaction().unwrap();
        let ins = tx
            .prepare("INSERT INTO items VALUES ($1, $2, $3, $4)")
            .unwrap();
        for id in 0..ITEMS {
            ins.execute(params![
                id as i32,
                format!("item {id}"),
                cat(id) as i32,
                price(id)
            ])
            .unwrap();
        }
        let ins = tx.prepare("INSERT INTO customers VALUES ($1, $2)").unwrap();
        for id in 0..CUSTOMERS {
            ins.execute(params![id as i32, format!("region {}", id % 10)])
                .unwrap();
        }
        let ins = tx
            .prepare("INSERT INTO orders VALUES ($1, $2, $3, $4)")
            .unwrap();
        let mut k = Keys(42);
        for id in 0..ORDERS {
            let (c, i) = (k.next(CUSTOMERS), k.next(ITEMS));
            ins.execute([id as i32, c as i32, i as i32, (id % 5 + 1) as i32])
                .unwrap();
        }
        drop(ins);
        tx.commit().unwrap();
        conn.execute("ANALYZE", ()).ok();
        // The setup's rows written out to the data file, where the workloads read them.
        db.checkpoint().unwrap();
        BasaltSide {
            db,
            conn,
            next_id: 0,
            bulk_table: 0,
        }
    }

    fn point_selects(&self, keys: &mut Keys, n: u64) -> Duration {
        let stmt = self
            .conn
            .prepare("SELECT name, price FROM items WHERE id = $1")
            .unwrap();
        let t = Instant::now();
        for _ in 0..n {
            let id = keys.next(ITEMS) as i32;
            let row = stmt.query_one([id]).unwrap();
            let p: f64 = row.get(1).unwrap();
            std::hint::black_box(p);
        }
        t.elapsed()
    }

    fn inserts(&mut self, n: u64, durable: bool) -> Duration {
        self.conn
            .execute(
                if durable {
                    "SET synchronous_commit = on"
                } else {
                    "SET synchronous_commit = off"
                },
                (),
            )
            .unwrap();
        let stmt = self
            .conn
            .prepare("INSERT INTO log VALUES ($1, $2)")
            .unwrap();
        let t = Instant::now();
        for _ in 0..n {
            self.next_id += 1;
            stmt.execute(params![
                self.next_id,
                "a log line of about forty bytes......"
            ])
            .unwrap();
        }
        let elapsed = t.elapsed();
        drop(stmt);
        self.conn
            .execute("SET synchronous_commit = on", ())
            .unwrap();
        elapsed
    }

    /// Drops a bulk load's table and waits for the checkpoint that writes out what the load
    /// left in memory and for the collection of the dropped rows' versions (outside the
    /// timing; SQLite frees a dropped table's pages inside its DROP), so that no background
    /// work spills into the next measurement.
    fn drop_bulk_table(&mut self, table: &str) {
        self.conn
            .execute(&format!("DROP TABLE {table}"), ())
            .unwrap();
        self.db.checkpoint().unwrap();
        self.db.vacuum().unwrap();
        self.db.checkpoint().unwrap();
    }

    /// Creates the next empty table for a bulk load; returns its name.
    fn new_bulk_table(&mut self) -> String {
        self.bulk_table += 1;
        let table = format!("bulk_{}", self.bulk_table);
        self.conn
            .execute(
                &format!(
                    "CREATE TABLE {table} (id bigint PRIMARY KEY, a int NOT NULL, b text NOT NULL)"
                ),
                (),
            )
            .unwrap();
        table
    }

    /// Loads `rows` rows with `COPY ... FROM STDIN` into a new, empty table (the CSV text is
    /// built before the clock starts); drops it afterwards.
    fn bulk_copy(&mut self, rows: i64) -> Duration {
        let table = self.new_bulk_table();
        let mut data = String::with_capacity(rows as usize * 32);
        for id in 0..rows {
            data.push_str(&format!("{id},{},bulk payload text\n", id % 1000));
        }
        let t = Instant::now();
        let n = self
            .conn
            .copy_in(
                &format!("COPY {table} FROM STDIN (FORMAT csv)"),
                data.as_bytes(),
            )
            .unwrap();
        let elapsed = t.elapsed();
        assert_eq!(n, rows as u64);
        self.drop_bulk_table(&table);
        elapsed
    }

    /// Inserts `rows` rows in one transaction into a new, empty table; drops it afterwards.
    fn bulk(&mut self, rows: i64) -> Duration {
        let table = self.new_bulk_table();
        let t = Instant::now();
        let tx = self.conn.transaction().unwrap();
        let stmt = tx
            .prepare(&format!("INSERT INTO {table} VALUES ($1, $2, $3)"))
            .unwrap();
        for id in 0..rows {
            stmt.execute(params![id, (id % 1000) as i32, "bulk payload text"])
                .unwrap();
        }
        drop(stmt);
        tx.commit().unwrap();
        let elapsed = t.elapsed();
        self.drop_bulk_table(&table);
        elapsed
    }

    fn range_scans(&self, keys: &mut Keys, n: u64) -> Duration {
        let stmt = self
            .conn
            .prepare("SELECT id, price FROM items WHERE cat >= $1 AND cat < $1 + 100")
            .unwrap();
        let t = Instant::now();
        for _ in 0..n {
            let lo = keys.next(ITEMS - 100) as i32;
            let rows = stmt.query([lo]).unwrap();
            assert_eq!(rows.len(), 100);
        }
        t.elapsed()
    }

    fn joins(&self, n: u64) -> Duration {
        let stmt = self.conn.prepare(JOIN_SQL).unwrap();
        let t = Instant::now();
        for _ in 0..n {
            let rows = stmt.query(()).unwrap();
            assert_eq!(rows.len(), 10);
        }
        t.elapsed()
    }
}

// ---------------------------------------------------------------------------------------------
// SQLite side.

struct SqliteSide {
    conn: rusqlite::Connection,
    next_id: i64,
    bulk_table: u32,
}

impl SqliteSide {
    fn open(dir: &Path) -> SqliteSide {
        let conn = rusqlite::Connection::open(dir.join("sqlite.db")).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.pragma_update(None, "synchronous", "FULL").unwrap();
        conn.execute_batch(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, cat INTEGER NOT NULL, price REAL NOT NULL);
             CREATE INDEX items_cat ON items (cat);
             CREATE TABLE customers (id INTEGER PRIMARY KEY, region TEXT NOT NULL);
             CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, item_id INTEGER NOT NULL, qty INTEGER NOT NULL);
             CREATE TABLE log (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);",
        )
        .unwrap();
        let tx = conn.unchecked_transaction().unwrap();
        {
            let mut ins = tx
                .prepare("INSERT INTO items VALUES (?1, ?2, ?3, ?4)")
                .unwrap();
            for id in 0..ITEMS {
                ins.execute(rusqlite::params![
                    id,
                    format!("item {id}"),
                    cat(id),
                    price(id)
                ])
                .unwrap();
            }
            let mut ins = tx.prepare("INSERT INTO customers VALUES (?1, ?2)").unwrap();
            for id in 0..CUSTOMERS {
                ins.execute(rusqlite::params![id, format!("region {}", id % 10)])
                    .unwrap();
            }
            let mut ins = tx
                .prepare("INSERT INTO orders VALUES (?1, ?2, ?3, ?4)")
                .unwrap();
            let mut k = Keys(42);
            for id in 0..ORDERS {
                let (c, i) = (k.next(CUSTOMERS), k.next(ITEMS));
                ins.execute([id, c, i, id % 5 + 1]).unwrap();
            }
        }
        tx.commit().unwrap();
        conn.execute_batch("ANALYZE").unwrap();
        SqliteSide {
            conn,
            next_id: 0,
            bulk_table: 0,
        }
    }

    fn point_selects(&self, keys: &mut Keys, n: u64) -> Duration {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, price FROM items WHERE id = ?1")
            .unwrap();
        let t = Instant::now();
        for _ in 0..n {
            let id = keys.next(ITEMS);
            let p: f64 = stmt
                .query_row([id], |r| {
                    let _name: String = r.get(0)?;
                    r.get(1)
                })
                .unwrap();
            std::hint::black_box(p);
        }
        t.elapsed()
    }

    fn inserts(&mut self, n: u64, durable: bool) -> Duration {
        self.conn
            .pragma_update(None, "synchronous", if durable { "FULL" } else { "OFF" })
            .unwrap();
        let t = {
            let mut stmt = self
                .conn
                .prepare_cached("INSERT INTO log VALUES (?1, ?2)")
                .unwrap();
            let t = Instant::now();
            for _ in 0..n {
                self.next_id += 1;
                stmt.execute(rusqlite::params![
                    self.next_id,
                    "a log line of about forty bytes......"
                ])
                .unwrap();
            }
            t.elapsed()
        };
        self.conn
            .pragma_update(None, "synchronous", "FULL")
            .unwrap();
        t
    }

    fn bulk(&mut self, rows: i64) -> Duration {
        self.bulk_table += 1;
        let table = format!("bulk_{}", self.bulk_table);
        self.conn
            .execute_batch(&format!(
                "CREATE TABLE {table} (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b TEXT NOT NULL)"
            ))
            .unwrap();
        let t = Instant::now();
        let tx = self.conn.unchecked_transaction().unwrap();
        {
            let mut stmt = tx
                .prepare(&format!("INSERT INTO {table} VALUES (?1, ?2, ?3)"))
                .unwrap();
            for id in 0..rows {
                stmt.execute(rusqlite::params![id, id % 1000, "bulk payload text"])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
        let elapsed = t.elapsed();
        self.conn
            .execute_batch(&format!("DROP TABLE {table}"))
            .unwrap();
        elapsed
    }

    fn range_scans(&self, keys: &mut Keys, n: u64) -> Duration {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, price FROM items WHERE cat >= ?1 AND cat < ?1 + 100")
            .unwrap();
        let t = Instant::now();
        for _ in 0..n {
            let lo = keys.next(ITEMS - 100);
            let rows: Vec<(i64, f64)> = stmt
                .query_map([lo], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(rows.len(), 100);
        }
        t.elapsed()
    }

    fn joins(&self, n: u64) -> Duration {
        let mut stmt = self.conn.prepare_cached(JOIN_SQL).unwrap();
        let t = Instant::now();
        for _ in 0..n {
            let rows: Vec<(String, i64, f64)> = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(rows.len(), 10);
        }
        t.elapsed()
    }
}

/// Prints the plans Basalt chose, so a slow figure can be told from a missing index path.
fn show_plans(b: &BasaltSide) {
    for sql in [
        "SELECT name, price FROM items WHERE id = 5",
        "SELECT id, price FROM items WHERE cat >= 5 AND cat < 5 + 100",
        JOIN_SQL,
    ] {
        match b.conn.query(&format!("EXPLAIN {sql}"), ()) {
            Ok(rows) => {
                println!("basalt plan for {sql}");
                for r in &rows {
                    println!("    {}", r.get::<String>(0).unwrap_or_default());
                }
            }
            Err(e) => println!("EXPLAIN failed ({}): {e}", e.code()),
        }
    }
}

fn bench(c: &mut Criterion, b: &mut BasaltSide, s: &mut SqliteSide) {
    let mut g = c.benchmark_group("point_select");
    g.throughput(Throughput::Elements(1));
    let mut k = Keys(7);
    g.bench_function("basalt", |x| x.iter_custom(|n| b.point_selects(&mut k, n)));
    g.bench_function("sqlite", |x| x.iter_custom(|n| s.point_selects(&mut k, n)));
    g.finish();

    let mut g = c.benchmark_group("insert_durable");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(1));
    g.bench_function("basalt", |x| x.iter_custom(|n| b.inserts(n, true)));
    g.bench_function("sqlite", |x| x.iter_custom(|n| s.inserts(n, true)));
    g.finish();

    let mut g = c.benchmark_group("insert_relaxed");
    g.throughput(Throughput::Elements(1));
    g.bench_function("basalt", |x| x.iter_custom(|n| b.inserts(n, false)));
    g.bench_function("sqlite", |x| x.iter_custom(|n| s.inserts(n, false)));
    g.finish();

    let rows = bulk_rows();
    let mut g = c.benchmark_group("bulk_insert");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(rows as u64));
    g.bench_function("basalt", |x| {
        x.iter_custom(|n| (0..n).map(|_| b.bulk(rows)).sum())
    });
    g.bench_function("sqlite", |x| {
        x.iter_custom(|n| (0..n).map(|_| s.bulk(rows)).sum())
    });
    g.finish();

    let mut g = c.benchmark_group("bulk_load");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(rows as u64));
    g.bench_function("basalt", |x| {
        x.iter_custom(|n| (0..n).map(|_| b.bulk_copy(rows)).sum())
    });
    g.bench_function("sqlite", |x| {
        x.iter_custom(|n| (0..n).map(|_| s.bulk(rows)).sum())
    });
    g.finish();

    let mut g = c.benchmark_group("range_scan_index");
    g.throughput(Throughput::Elements(1));
    g.bench_function("basalt", |x| x.iter_custom(|n| b.range_scans(&mut k, n)));
    g.bench_function("sqlite", |x| x.iter_custom(|n| s.range_scans(&mut k, n)));
    g.finish();

    let mut g = c.benchmark_group("join3_agg");
    g.sample_size(10);
    g.bench_function("basalt", |x| x.iter_custom(|n| b.joins(n)));
    g.bench_function("sqlite", |x| x.iter_custom(|n| s.joins(n)));
    g.finish();
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Workload name, operations per round, and one round of each side (time per operation).
type Round<'a> = Box<dyn FnMut(&mut BasaltSide, &mut SqliteSide) -> (f64, f64) + 'a>;

fn interleaved_summary(b: &mut BasaltSide, s: &mut SqliteSide) {
    let rows = bulk_rows();
    let per_op = |d: Duration, n: u64| d.as_secs_f64() / n as f64;
    let mut workloads: Vec<(&str, &str, Round<'_>)> = vec![
        (
            "point_select",
            "per select",
            Box::new(|b, s| {
                let n = 2000;
                (
                    per_op(b.point_selects(&mut Keys(11), n), n),
                    per_op(s.point_selects(&mut Keys(11), n), n),
                )
            }),
        ),
        (
            "insert_durable",
            "per commit",
            Box::new(|b, s| {
                let n = 200;
                (per_op(b.inserts(n, true), n), per_op(s.inserts(n, true), n))
            }),
        ),
        (
            "insert_relaxed",
            "per commit",
            Box::new(|b, s| {
                let n = 2000;
                (
                    per_op(b.inserts(n, false), n),
                    per_op(s.inserts(n, false), n),
                )
            }),
        ),
        (
            "bulk_insert",
            "per row",
            Box::new(move |b, s| {
                let n = rows as u64;
                (per_op(b.bulk(rows), n), per_op(s.bulk(rows), n))
            }),
        ),
        (
            "bulk_load",
            "per row",
            Box::new(move |b, s| {
                let n = rows as u64;
                (per_op(b.bulk_copy(rows), n), per_op(s.bulk(rows), n))
            }),
        ),
        (
            "range_scan_index",
            "per scan",
            Box::new(|b, s| {
                let n = 300;
                (
                    per_op(b.range_scans(&mut Keys(13), n), n),
                    per_op(s.range_scans(&mut Keys(13), n), n),
                )
            }),
        ),
        (
            "join3_agg",
            "per query",
            Box::new(|b, s| {
                let n = 5;
                (per_op(b.joins(n), n), per_op(s.joins(n), n))
            }),
        ),
    ];
    println!(
        "\ninterleaved summary ({PAIRS} pairs Basalt/SQLite per workload; bulk = {rows} rows; ratio > 1: Basalt slower)"
    );
    println!(
        "  {:<17} {:>14} {:>14}   {:>8}  {:>17}",
        "workload", "basalt", "sqlite", "ratio", "min–max"
    );
    for (name, unit, round) in &mut workloads {
        let (mut tb, mut ts, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..PAIRS {
            let (x, y) = round(b, s);
            tb.push(x);
            ts.push(y);
            ratios.push(x / y);
        }
        let (lo, hi) = ratios
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), &r| (l.min(r), h.max(r)));
        println!(
            "  {name:<17} {:>11.2} us {:>11.2} us   {:>7.2}x  ({lo:.2}–{hi:.2}x)   {unit}",
            median(tb) * 1e6,
            median(ts) * 1e6,
            median(ratios),
        );
    }
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = BasaltSide::open(dir.path());
    let mut s = SqliteSide::open(dir.path());
    let listing = std::env::args().any(|a| a == "--list");
    if !listing {
        show_plans(&b);
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &mut b, &mut s);
    c.final_summary();
    if !listing {
        interleaved_summary(&mut b, &mut s);
    }
}
