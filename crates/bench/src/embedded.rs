//! Basalt embedded against SQLite (rusqlite, bundled) on the same workloads: the setup and
//! workload code that both the criterion bench (`benches/sql.rs`) and the interleaved
//! comparison binary (`src/bin/embedded_compare.rs`, through [`compare`]) run, so that what
//! the two report is the same work.
//!
//! Both databases are on disk in the same temporary directory, with the same schema and rows.
//! SQLite runs in WAL mode with `synchronous = FULL` for durable workloads (an fsync per
//! commit, as Basalt's default `synchronous_commit = on`) and `synchronous = OFF` for relaxed
//! ones (Basalt: `SET synchronous_commit = off`); every figure names which. Both sides use
//! prepared statements (rusqlite's statement cache; Basalt's [`basalt::Statement`], which keeps
//! its bound plan).
//!
//! Multi-threaded workloads give each thread its own connection (Basalt: [`Database::connect`]
//! on a shared database, whose commits share fsyncs by group commit; SQLite: its own
//! `rusqlite::Connection` to the same file with a 30 s `busy_timeout`, since SQLite runs one
//! writer at a time and the others wait in its busy handler). The threads prepare their
//! statements, meet at a barrier, and the clock runs from the barrier until the last thread
//! ends.
//!
//! Bulk loads go into a fresh database of their own on each side (created, loaded, measured on
//! disk, closed and deleted), so that one load's deferred work — Basalt's checkpoint of the
//! loaded rows into its data file, the collection of a dropped table — never lands in another
//! measurement, and so that the on-disk size is the load's alone. The clock stops when the
//! data is durable: Basalt's commit returns after the commit log's fsync, which is all that
//! durability needs (the checkpoint that later copies the rows into the data file is not
//! timed: recovery replays the log without it); SQLite's commit returns after its WAL's fsync
//! (`synchronous = FULL`), and its automatic WAL checkpoints inside the transaction are timed
//! because they run inside it.
//!
//! Errors are values ([`BenchError`]), never panics: the comparison counts them per side and
//! fails when there are any. Serialization failures (Basalt's SQLSTATE class 40) and SQLite's
//! `SQLITE_BUSY` are retried and counted as retries, not errors, because a client of either
//! would retry them.

use std::path::{Path, PathBuf};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use basalt::{Database, params};

pub mod compare;

/// Any failure of a workload: Basalt's or SQLite's error, or a wrong result.
pub type BenchError = Box<dyn std::error::Error + Send + Sync>;

/// A workload's result.
pub type BenchResult<T> = Result<T, BenchError>;

/// Fails with `msg` unless `ok`: a workload that got a wrong answer is an error, not a figure.
fn check(ok: bool, msg: impl FnOnce() -> String) -> BenchResult<()> {
    if ok { Ok(()) } else { Err(msg().into()) }
}

/// The sizes of the tables the workloads read.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Rows of `items` (point selects, range scans, the join's dimension).
    pub items: i64,
    /// Rows of `customers` (ten regions).
    pub customers: i64,
    /// Rows of `orders` (the join's fact table).
    pub orders: i64,
    /// Rows of `usertable` (the YCSB-A-like mix).
    pub ycsb_rows: i64,
}

impl Sizes {
    /// The sizes the comparison and the criterion bench use.
    pub fn full() -> Sizes {
        Sizes {
            items: 10_000,
            customers: 100,
            orders: 10_000,
            ycsb_rows: 100_000,
        }
    }

    /// Tiny sizes for a smoke test.
    pub fn quick() -> Sizes {
        Sizes {
            items: 1_000,
            customers: 100,
            orders: 1_000,
            ycsb_rows: 1_000,
        }
    }
}

/// `cat` of item `id`: a permutation of `0..items` (7919 is prime), so a range of 100 cats is
/// 100 rows spread over the table.
fn cat(id: i64, items: i64) -> i64 {
    (id * 7919) % items
}

fn price(id: i64) -> f64 {
    (id % 997) as f64 / 10.0
}

/// A tiny deterministic generator (xorshift) for keys, the same for both databases.
#[derive(Debug, Clone)]
pub struct Keys(pub u64);

impl Keys {
    /// The next key in `0..n`.
    pub fn next(&mut self, n: i64) -> i64 {
        (self.next_u64() % n.max(1) as u64) as i64
    }

    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// YCSB's scrambled zipfian key chooser (θ = 0.99, Gray et al.'s method as YCSB's
/// `ZipfianGenerator`): a few keys are hot, and the FNV hash spreads the hot keys over the
/// table instead of clustering them at its start.
#[derive(Debug, Clone)]
pub struct Zipf {
    n: u64,
    theta: f64,
    zetan: f64,
    alpha: f64,
    eta: f64,
    keys: Keys,
}

impl Zipf {
    /// A chooser over `0..n` with seed `seed`.
    pub fn new(n: i64, seed: u64) -> Zipf {
        let n = n.max(2) as u64;
        let theta = 0.99;
        let zeta = |k: u64| (1..=k).map(|i| 1.0 / (i as f64).powf(theta)).sum::<f64>();
        let zetan = zeta(n);
        let zeta2 = zeta(2);
        Zipf {
            n,
            theta,
            zetan,
            alpha: 1.0 / (1.0 - theta),
            eta: (1.0 - (2.0 / n as f64).powf(1.0 - theta)) / (1.0 - zeta2 / zetan),
            keys: Keys(seed | 1),
        }
    }

    /// The next key.
    pub fn next_key(&mut self) -> i64 {
        let u = self.keys.unit();
        let uz = u * self.zetan;
        let rank = if uz < 1.0 {
            0
        } else if uz < 1.0 + 0.5f64.powf(self.theta) {
            1
        } else {
            ((self.n as f64) * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64
        };
        (fnv1a(rank) % self.n) as i64
    }

    /// Whether the next operation reads (else it updates): 50/50.
    fn reads(&mut self) -> bool {
        self.keys.next_u64() & (1 << 20) == 0
    }
}

fn fnv1a(v: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in v.to_le_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The join with aggregation: orders ⋈ customers ⋈ items, grouped by the customers' ten
/// regions.
pub const JOIN_SQL: &str = "SELECT c.region, count(*), sum(o.qty * i.price) \
     FROM orders o JOIN customers c ON c.id = o.customer_id JOIN items i ON i.id = o.item_id \
     GROUP BY c.region ORDER BY c.region";

const LOG_LINE: &str = "a log line of about forty bytes......";
const BULK_TEXT: &str = "bulk payload text";

/// A YCSB field value of 100 bytes, different per key and update.
fn field(key: i64, version: u64) -> String {
    format!("{key:>20}-{version:>20}-{:58}", "")
}

/// Runs `body` on `threads` threads at once and returns the time from their common start to
/// the last one's end, and the sum of what they returned (retries). Each body sets itself up
/// (connection, statements), then calls its `ready` argument; the clock starts when all have.
fn run_threads<F>(threads: usize, body: F) -> BenchResult<(Duration, u64)>
where
    F: Fn(usize, &dyn Fn()) -> BenchResult<u64> + Sync,
{
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (barrier, body) = (&barrier, &body);
                s.spawn(move || {
                    let waited = std::cell::Cell::new(false);
                    let ready = || {
                        if !waited.replace(true) {
                            barrier.wait();
                        }
                    };
                    let r = body(t, &ready);
                    // A body that failed before it was ready must not leave the others waiting.
                    ready();
                    r
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let mut retries = 0;
        let mut first_err = None;
        for h in handles {
            match h.join() {
                Ok(Ok(r)) => retries += r,
                Ok(Err(e)) => first_err = first_err.or(Some(e)),
                Err(_) => first_err = first_err.or(Some("a workload thread panicked".into())),
            }
        }
        let elapsed = start.elapsed();
        match first_err {
            Some(e) => Err(e),
            None => Ok((elapsed, retries)),
        }
    })
}

/// Retries `op` while it fails with a retryable error (at most 1000 times); returns its value
/// and the retries.
fn retrying<T, E: Into<BenchError>>(
    retryable: impl Fn(&E) -> bool,
    mut op: impl FnMut() -> Result<T, E>,
) -> BenchResult<(T, u64)> {
    let mut retries = 0;
    loop {
        match op() {
            Ok(v) => return Ok((v, retries)),
            Err(e) if retryable(&e) && retries < 1000 => retries += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

fn sqlite_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// What a bulk load into a fresh database measured.
#[derive(Debug, Clone, Copy)]
pub struct BulkRun {
    /// From the first row to durability (the commit's return).
    pub elapsed: Duration,
    /// The database's allocated bytes on disk right after the commit.
    pub disk_after_commit: u64,
    /// The same after closing (Basalt: final checkpoint; SQLite: WAL checkpointed away).
    pub disk_after_close: u64,
}

/// Allocated bytes (blocks) of a file or of every file under a directory.
pub fn disk_usage(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if meta.is_dir() {
        std::fs::read_dir(path)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| disk_usage(&e.path()))
                    .sum()
            })
            .unwrap_or(0)
    } else {
        meta.blocks() * 512
    }
}

// ---------------------------------------------------------------------------------------------
// Basalt side.

/// The Basalt side: a database on disk with the workloads' tables, and one connection.
pub struct BasaltSide {
    /// The database (shared with the threads of multi-threaded workloads).
    pub db: Database,
    /// The connection single-threaded workloads use.
    pub conn: basalt::Connection,
    sizes: Sizes,
    next_id: i64,
    ycsb_loaded: bool,
    /// The version the next YCSB run writes into its fields: 1 and up (the load wrote 0), so
    /// that no update writes the value a row already holds (SQLite skips writing a page then).
    ycsb_version: u64,
}

impl BasaltSide {
    /// Opens a database in `dir/basalt` and loads the tables (not `usertable`: see
    /// [`BasaltSide::ensure_ycsb`]).
    pub fn open(dir: &Path, sizes: Sizes) -> BenchResult<BasaltSide> {
        let db = Database::open(dir.join("basalt"))?;
        let mut conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, cat int NOT NULL, price float8 NOT NULL);
             CREATE INDEX items_cat ON items (cat);
             CREATE TABLE customers (id int PRIMARY KEY, region text NOT NULL);
             CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, item_id int NOT NULL, qty int NOT NULL);
             CREATE TABLE log (id bigint PRIMARY KEY, payload text NOT NULL)",
        )?;
        let tx = conn.transaction()?;
        let ins = tx.prepare("INSERT INTO items VALUES ($1, $2, $3, $4)")?;
        for id in 0..sizes.items {
            ins.execute(params![
                id as i32,
                format!("item {id}"),
                cat(id, sizes.items) as i32,
                price(id)
            ])?;
        }
        let ins = tx.prepare("INSERT INTO customers VALUES ($1, $2)")?;
        for id in 0..sizes.customers {
            ins.execute(params![id as i32, format!("region {}", id % 10)])?;
        }
        let ins = tx.prepare("INSERT INTO orders VALUES ($1, $2, $3, $4)")?;
        let mut k = Keys(42);
        for id in 0..sizes.orders {
            let (c, i) = (k.next(sizes.customers), k.next(sizes.items));
            ins.execute([id as i32, c as i32, i as i32, (id % 5 + 1) as i32])?;
        }
        drop(ins);
        tx.commit()?;
        conn.execute("ANALYZE", ())?;
        // The setup's rows written out to the data file, where the workloads read them.
        db.checkpoint()?;
        Ok(BasaltSide {
            db,
            conn,
            sizes,
            next_id: 0,
            ycsb_loaded: false,
            ycsb_version: 1,
        })
    }

    /// Loads `usertable` (`sizes.ycsb_rows` rows of one 100-byte field) once.
    pub fn ensure_ycsb(&mut self) -> BenchResult<()> {
        if self.ycsb_loaded {
            return Ok(());
        }
        self.conn.execute(
            "CREATE TABLE usertable (id int PRIMARY KEY, field0 text NOT NULL)",
            (),
        )?;
        let tx = self.conn.transaction()?;
        let ins = tx.prepare("INSERT INTO usertable VALUES ($1, $2)")?;
        for id in 0..self.sizes.ycsb_rows {
            ins.execute(params![id as i32, field(id, 0)])?;
        }
        drop(ins);
        tx.commit()?;
        self.conn.execute("ANALYZE usertable", ())?;
        self.db.checkpoint()?;
        self.ycsb_loaded = true;
        Ok(())
    }

    /// `n` prepared primary-key selects of random items.
    pub fn point_selects(&self, keys: &mut Keys, n: u64) -> BenchResult<Duration> {
        let stmt = self
            .conn
            .prepare("SELECT name, price FROM items WHERE id = $1")?;
        let t = Instant::now();
        for _ in 0..n {
            let id = keys.next(self.sizes.items) as i32;
            let row = stmt.query_one([id])?;
            let p: f64 = row.get(1)?;
            std::hint::black_box(p);
        }
        Ok(t.elapsed())
    }

    /// `n` scans of 100 rows: through the secondary index on `cat` (`by_index`) or the
    /// primary key.
    pub fn range_scans(&self, keys: &mut Keys, n: u64, by_index: bool) -> BenchResult<Duration> {
        let stmt = self.conn.prepare(if by_index {
            "SELECT id, price FROM items WHERE cat >= $1 AND cat < $1 + 100"
        } else {
            "SELECT id, price FROM items WHERE id >= $1 AND id < $1 + 100"
        })?;
        let t = Instant::now();
        for _ in 0..n {
            let lo = keys.next(self.sizes.items - 100) as i32;
            let rows = stmt.query([lo])?;
            check(rows.len() == 100, || {
                format!("range scan from {lo} returned {} rows, not 100", rows.len())
            })?;
        }
        Ok(t.elapsed())
    }

    /// `n` single-row inserts, each its own transaction, durable or `synchronous_commit = off`.
    pub fn inserts(&mut self, n: u64, durable: bool) -> BenchResult<Duration> {
        self.conn.execute(
            if durable {
                "SET synchronous_commit = on"
            } else {
                "SET synchronous_commit = off"
            },
            (),
        )?;
        let elapsed = (|| -> BenchResult<Duration> {
            let stmt = self.conn.prepare("INSERT INTO log VALUES ($1, $2)")?;
            let t = Instant::now();
            for _ in 0..n {
                self.next_id += 1;
                stmt.execute(params![self.next_id, LOG_LINE])?;
            }
            Ok(t.elapsed())
        })();
        self.conn.execute("SET synchronous_commit = on", ())?;
        elapsed
    }

    /// `threads` threads, each with its own connection, each inserting `per_thread` rows one
    /// durable transaction at a time.
    pub fn inserts_threads(&mut self, threads: usize, per_thread: u64) -> BenchResult<Duration> {
        let base = self.next_id;
        self.next_id += threads as i64 * per_thread as i64;
        let db = &self.db;
        let (elapsed, _) = run_threads(threads, |t, ready| {
            let conn = db.connect();
            let stmt = conn.prepare("INSERT INTO log VALUES ($1, $2)")?;
            ready();
            let first = base + 1 + t as i64 * per_thread as i64;
            for id in first..first + per_thread as i64 {
                stmt.execute(params![id, LOG_LINE])?;
            }
            Ok(0)
        })?;
        Ok(elapsed)
    }

    /// The YCSB-A-like mix: `threads` threads, `per_thread` operations each, half point reads
    /// and half point updates (each its own durable transaction) of `usertable`, keys from a
    /// scrambled zipfian. Returns the time and the serialization failures retried.
    pub fn ycsb(
        &mut self,
        threads: usize,
        per_thread: u64,
        seed: u64,
    ) -> BenchResult<(Duration, u64)> {
        self.ensure_ycsb()?;
        let rows = self.sizes.ycsb_rows;
        let version = self.ycsb_version;
        self.ycsb_version += 1;
        let db = &self.db;
        run_threads(threads, |t, ready| {
            let conn = db.connect();
            let read = conn.prepare("SELECT field0 FROM usertable WHERE id = $1")?;
            let update = conn.prepare("UPDATE usertable SET field0 = $1 WHERE id = $2")?;
            let mut zipf = Zipf::new(rows, seed.wrapping_add(t as u64 * 7_919));
            ready();
            let mut retries = 0;
            for _ in 0..per_thread {
                let key = zipf.next_key();
                if zipf.reads() {
                    let (row, r) =
                        retrying(basalt::Error::is_retryable, || read.query_one([key as i32]))?;
                    std::hint::black_box(row.get::<&str>(0)?.len());
                    retries += r;
                } else {
                    let value = field(key, version);
                    let (n, r) = retrying(basalt::Error::is_retryable, || {
                        update.execute(params![value.as_str(), key as i32])
                    })?;
                    check(n == 1, || format!("update of key {key} changed {n} rows"))?;
                    retries += r;
                }
            }
            Ok(retries)
        })
    }

    /// `n` runs of the join with aggregation.
    pub fn joins(&self, n: u64) -> BenchResult<Duration> {
        let stmt = self.conn.prepare(JOIN_SQL)?;
        let t = Instant::now();
        for _ in 0..n {
            let rows = stmt.query(())?;
            check(rows.len() == 10, || {
                format!("the join returned {} groups, not 10", rows.len())
            })?;
        }
        Ok(t.elapsed())
    }
}

/// Loads `rows` rows into a new table of a fresh Basalt database at `path`, with `COPY FROM
/// STDIN` (CSV text built before the clock starts, as a file in the page cache would be) or a
/// prepared INSERT per row in one transaction; measures the database on disk, closes it
/// (final checkpoint, untimed) and deletes it.
pub fn basalt_bulk_fresh(path: &Path, rows: i64, copy: bool) -> BenchResult<BulkRun> {
    let db = Database::open(path)?;
    let mut conn = db.connect();
    conn.execute(
        "CREATE TABLE bulk (id bigint PRIMARY KEY, a int NOT NULL, b text NOT NULL)",
        (),
    )?;
    let elapsed = if copy {
        let mut data = String::with_capacity(rows as usize * 32);
        for id in 0..rows {
            data.push_str(&format!("{id},{},{BULK_TEXT}\n", id % 1000));
        }
        let t = Instant::now();
        let n = conn.copy_in("COPY bulk FROM STDIN (FORMAT csv)", data.as_bytes())?;
        let elapsed = t.elapsed();
        check(n == rows as u64, || {
            format!("COPY loaded {n} rows, not {rows}")
        })?;
        elapsed
    } else {
        let t = Instant::now();
        let tx = conn.transaction()?;
        let stmt = tx.prepare("INSERT INTO bulk VALUES ($1, $2, $3)")?;
        for id in 0..rows {
            stmt.execute(params![id, (id % 1000) as i32, BULK_TEXT])?;
        }
        drop(stmt);
        tx.commit()?;
        t.elapsed()
    };
    let disk_after_commit = disk_usage(path);
    let count: i64 = conn.query_row("SELECT count(*) FROM bulk", (), |r| r.get(0))?;
    check(count == rows, || {
        format!("the table holds {count} rows, not {rows}")
    })?;
    drop(conn);
    drop(db);
    let disk_after_close = disk_usage(path);
    std::fs::remove_dir_all(path)?;
    Ok(BulkRun {
        elapsed,
        disk_after_commit,
        disk_after_close,
    })
}

// ---------------------------------------------------------------------------------------------
// SQLite side.

/// The SQLite side: a WAL-mode database file with the workloads' tables, and one connection.
pub struct SqliteSide {
    /// The connection single-threaded workloads use.
    pub conn: rusqlite::Connection,
    path: PathBuf,
    sizes: Sizes,
    next_id: i64,
    ycsb_loaded: bool,
    ycsb_version: u64,
}

/// Opens a connection to `path` in WAL mode with `synchronous = FULL` and a 30 s busy timeout.
fn sqlite_connect(path: &Path) -> BenchResult<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    check(mode.eq_ignore_ascii_case("wal"), || {
        format!("SQLite journal_mode is {mode}, not wal")
    })?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

impl SqliteSide {
    /// Opens `dir/sqlite.db` and loads the same tables as [`BasaltSide::open`].
    pub fn open(dir: &Path, sizes: Sizes) -> BenchResult<SqliteSide> {
        let path = dir.join("sqlite.db");
        let conn = sqlite_connect(&path)?;
        conn.execute_batch(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, cat INTEGER NOT NULL, price REAL NOT NULL);
             CREATE INDEX items_cat ON items (cat);
             CREATE TABLE customers (id INTEGER PRIMARY KEY, region TEXT NOT NULL);
             CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, item_id INTEGER NOT NULL, qty INTEGER NOT NULL);
             CREATE TABLE log (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);",
        )?;
        let tx = conn.unchecked_transaction()?;
        {
            let mut ins = tx.prepare("INSERT INTO items VALUES (?1, ?2, ?3, ?4)")?;
            for id in 0..sizes.items {
                ins.execute(rusqlite::params![
                    id,
                    format!("item {id}"),
                    cat(id, sizes.items),
                    price(id)
                ])?;
            }
            let mut ins = tx.prepare("INSERT INTO customers VALUES (?1, ?2)")?;
            for id in 0..sizes.customers {
                ins.execute(rusqlite::params![id, format!("region {}", id % 10)])?;
            }
            let mut ins = tx.prepare("INSERT INTO orders VALUES (?1, ?2, ?3, ?4)")?;
            let mut k = Keys(42);
            for id in 0..sizes.orders {
                let (c, i) = (k.next(sizes.customers), k.next(sizes.items));
                ins.execute([id, c, i, id % 5 + 1])?;
            }
        }
        tx.commit()?;
        conn.execute_batch("ANALYZE")?;
        Ok(SqliteSide {
            conn,
            path,
            sizes,
            next_id: 0,
            ycsb_loaded: false,
            ycsb_version: 1,
        })
    }

    /// Loads `usertable` once, as [`BasaltSide::ensure_ycsb`].
    pub fn ensure_ycsb(&mut self) -> BenchResult<()> {
        if self.ycsb_loaded {
            return Ok(());
        }
        self.conn.execute_batch(
            "CREATE TABLE usertable (id INTEGER PRIMARY KEY, field0 TEXT NOT NULL)",
        )?;
        let tx = self.conn.unchecked_transaction()?;
        {
            let mut ins = tx.prepare("INSERT INTO usertable VALUES (?1, ?2)")?;
            for id in 0..self.sizes.ycsb_rows {
                ins.execute(rusqlite::params![id, field(id, 0)])?;
            }
        }
        tx.commit()?;
        self.conn.execute_batch("ANALYZE usertable")?;
        self.ycsb_loaded = true;
        Ok(())
    }

    /// As [`BasaltSide::point_selects`].
    pub fn point_selects(&self, keys: &mut Keys, n: u64) -> BenchResult<Duration> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, price FROM items WHERE id = ?1")?;
        let t = Instant::now();
        for _ in 0..n {
            let id = keys.next(self.sizes.items);
            let p: f64 = stmt.query_row([id], |r| {
                let _name: String = r.get(0)?;
                r.get(1)
            })?;
            std::hint::black_box(p);
        }
        Ok(t.elapsed())
    }

    /// As [`BasaltSide::range_scans`].
    pub fn range_scans(&self, keys: &mut Keys, n: u64, by_index: bool) -> BenchResult<Duration> {
        let mut stmt = self.conn.prepare_cached(if by_index {
            "SELECT id, price FROM items WHERE cat >= ?1 AND cat < ?1 + 100"
        } else {
            "SELECT id, price FROM items WHERE id >= ?1 AND id < ?1 + 100"
        })?;
        let t = Instant::now();
        for _ in 0..n {
            let lo = keys.next(self.sizes.items - 100);
            let rows: Vec<(i64, f64)> = stmt
                .query_map([lo], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            check(rows.len() == 100, || {
                format!("range scan from {lo} returned {} rows, not 100", rows.len())
            })?;
        }
        Ok(t.elapsed())
    }

    /// As [`BasaltSide::inserts`]: `synchronous = FULL` when durable, `OFF` otherwise.
    pub fn inserts(&mut self, n: u64, durable: bool) -> BenchResult<Duration> {
        self.conn
            .pragma_update(None, "synchronous", if durable { "FULL" } else { "OFF" })?;
        let elapsed = (|| -> BenchResult<Duration> {
            let mut stmt = self
                .conn
                .prepare_cached("INSERT INTO log VALUES (?1, ?2)")?;
            let t = Instant::now();
            for _ in 0..n {
                self.next_id += 1;
                stmt.execute(rusqlite::params![self.next_id, LOG_LINE])?;
            }
            Ok(t.elapsed())
        })();
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        elapsed
    }

    /// As [`BasaltSide::inserts_threads`], `synchronous = FULL`; SQLite runs one writer at a
    /// time, the others wait in the busy handler.
    pub fn inserts_threads(&mut self, threads: usize, per_thread: u64) -> BenchResult<Duration> {
        let base = self.next_id;
        self.next_id += threads as i64 * per_thread as i64;
        let path = &self.path;
        let (elapsed, _) = run_threads(threads, |t, ready| {
            let conn = sqlite_connect(path)?;
            let mut stmt = conn.prepare("INSERT INTO log VALUES (?1, ?2)")?;
            ready();
            let first = base + 1 + t as i64 * per_thread as i64;
            for id in first..first + per_thread as i64 {
                stmt.execute(rusqlite::params![id, LOG_LINE])?;
            }
            Ok(0)
        })?;
        Ok(elapsed)
    }

    /// As [`BasaltSide::ycsb`] (same keys and operations), `synchronous = FULL`; returns the
    /// time and the `SQLITE_BUSY` failures retried.
    pub fn ycsb(
        &mut self,
        threads: usize,
        per_thread: u64,
        seed: u64,
    ) -> BenchResult<(Duration, u64)> {
        self.ensure_ycsb()?;
        let rows = self.sizes.ycsb_rows;
        let version = self.ycsb_version;
        self.ycsb_version += 1;
        let path = &self.path;
        run_threads(threads, |t, ready| {
            let conn = sqlite_connect(path)?;
            let mut read = conn.prepare("SELECT field0 FROM usertable WHERE id = ?1")?;
            let mut update = conn.prepare("UPDATE usertable SET field0 = ?1 WHERE id = ?2")?;
            let mut zipf = Zipf::new(rows, seed.wrapping_add(t as u64 * 7_919));
            ready();
            let mut retries = 0;
            for _ in 0..per_thread {
                let key = zipf.next_key();
                if zipf.reads() {
                    let (len, r) = retrying(sqlite_busy, || {
                        read.query_row([key], |row| Ok(row.get_ref(0)?.as_str()?.len()))
                    })?;
                    std::hint::black_box(len);
                    retries += r;
                } else {
                    let value = field(key, version);
                    let (n, r) = retrying(sqlite_busy, || {
                        update.execute(rusqlite::params![value, key])
                    })?;
                    check(n == 1, || format!("update of key {key} changed {n} rows"))?;
                    retries += r;
                }
            }
            Ok(retries)
        })
    }

    /// As [`BasaltSide::joins`].
    pub fn joins(&self, n: u64) -> BenchResult<Duration> {
        let mut stmt = self.conn.prepare_cached(JOIN_SQL)?;
        let t = Instant::now();
        for _ in 0..n {
            let rows: Vec<(String, i64, f64)> = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?;
            check(rows.len() == 10, || {
                format!("the join returned {} groups, not 10", rows.len())
            })?;
        }
        Ok(t.elapsed())
    }
}

/// Loads `rows` rows with a prepared INSERT in one transaction into a fresh SQLite database at
/// `path` (WAL, `synchronous = FULL`); measures it on disk, closes it (the last connection's
/// close checkpoints the WAL into the database file, untimed) and deletes it.
pub fn sqlite_bulk_fresh(path: &Path, rows: i64) -> BenchResult<BulkRun> {
    std::fs::create_dir_all(path)?;
    let file = path.join("bulk.db");
    let conn = sqlite_connect(&file)?;
    conn.execute_batch(
        "CREATE TABLE bulk (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b TEXT NOT NULL)",
    )?;
    let t = Instant::now();
    let tx = conn.unchecked_transaction()?;
    {
        let mut stmt = tx.prepare("INSERT INTO bulk VALUES (?1, ?2, ?3)")?;
        for id in 0..rows {
            stmt.execute(rusqlite::params![id, id % 1000, BULK_TEXT])?;
        }
    }
    tx.commit()?;
    let elapsed = t.elapsed();
    let disk_after_commit = disk_usage(path);
    let count: i64 = conn.query_row("SELECT count(*) FROM bulk", [], |r| r.get(0))?;
    check(count == rows, || {
        format!("the table holds {count} rows, not {rows}")
    })?;
    conn.close().map_err(|(_, e)| e)?;
    let disk_after_close = disk_usage(path);
    std::fs::remove_dir_all(path)?;
    Ok(BulkRun {
        elapsed,
        disk_after_commit,
        disk_after_close,
    })
}

/// Basalt's plans for the read workloads, so a slow figure can be told from a missing index
/// path.
pub fn basalt_plans(b: &BasaltSide) -> BenchResult<Vec<(String, Vec<String>)>> {
    let mut out = Vec::new();
    for sql in [
        "SELECT name, price FROM items WHERE id = 5",
        "SELECT id, price FROM items WHERE cat >= 5 AND cat < 5 + 100",
        "SELECT id, price FROM items WHERE id >= 5 AND id < 5 + 100",
        JOIN_SQL,
    ] {
        let rows = b.conn.query(&format!("EXPLAIN {sql}"), ())?;
        let lines = rows
            .iter()
            .map(|r| r.get::<String>(0))
            .collect::<Result<_, _>>()?;
        out.push((sql.to_string(), lines));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_stays_in_range_and_is_skewed() {
        let mut z = Zipf::new(1000, 3);
        let mut counts = vec![0u32; 1000];
        for _ in 0..100_000 {
            let k = z.next_key();
            assert!((0..1000).contains(&k), "{k}");
            counts[k as usize] += 1;
        }
        counts.sort_unstable();
        // θ = 0.99 over 1000 keys: the hottest key takes about 13% of the draws.
        assert!(counts[999] > 5_000, "{}", counts[999]);
        assert!(counts[0] < 100, "{}", counts[0]);
    }

    #[test]
    fn ycsb_mix_is_half_reads() {
        let mut z = Zipf::new(1000, 5);
        let reads = (0..10_000).filter(|_| z.reads()).count();
        assert!((4_500..5_500).contains(&reads), "{reads}");
    }
}
