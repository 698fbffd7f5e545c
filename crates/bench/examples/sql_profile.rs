//! Fixed SQL workloads of the `sql` bench for profilers (`perf record`, `valgrind
//! --tool=callgrind`), on an on-disk database:
//! `cargo run --release -p basalt-bench --example sql_profile -- WORKLOAD [N]`, where
//! WORKLOAD is `point` (N prepared primary-key selects), `bulk` (N rows inserted in one
//! transaction), `copy` (the same rows by `COPY FROM STDIN`, CSV), `insert` (N single-row autocommit inserts, `synchronous_commit = off`),
//! `update` (N single-row autocommit primary-key updates, `synchronous_commit = off`),
//! `range` (N 100-row index range scans) or `join` (N three-way joins with aggregation).
//! Under callgrind, collect only the workload with
//! `valgrind --tool=callgrind --toggle-collect=sql_profile::run_workload ...`.
//! `SQL_PROFILE_REPEAT=k` (with `bulk`) loads k times into new tables, each dropped and
//! collected afterwards, as the bench does, printing each load's time. `SQL_PROFILE_COMMIT=1` prints the commit's (or COPY's) own time; `SQL_PROFILE_EXIT=1`
//! exits right after the measured part (no closing checkpoint), so that `perf record` of
//! the whole process samples the measured part only.

#![allow(clippy::print_stdout, clippy::unwrap_used, missing_docs)]

use std::time::Instant;

use basalt::{Database, params};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let workload = args.get(1).map_or("point", String::as_str);
    let n: i64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let mut conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, cat int NOT NULL, price float8 NOT NULL);
         CREATE INDEX items_cat ON items (cat);
         CREATE TABLE customers (id int PRIMARY KEY, region text NOT NULL);
         CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, item_id int NOT NULL, qty int NOT NULL);
         CREATE TABLE log (id bigint PRIMARY KEY, payload text NOT NULL);
         CREATE TABLE bulk (id bigint PRIMARY KEY, a int NOT NULL, b text NOT NULL)",
    )
    .unwrap();
    if !matches!(workload, "bulk" | "copy" | "insert") {
        let tx = conn.transaction().unwrap();
        let ins = tx
            .prepare("INSERT INTO items VALUES ($1, $2, $3, $4)")
            .unwrap();
        for id in 0..10_000i32 {
            ins.execute(params![
                id,
                format!("item {id}"),
                (id * 7919) % 10_000,
                f64::from(id % 997) / 10.0
            ])
            .unwrap();
        }
        let ins = tx.prepare("INSERT INTO customers VALUES ($1, $2)").unwrap();
        for id in 0..100i32 {
            ins.execute(params![id, format!("region {}", id % 10)])
                .unwrap();
        }
        let ins = tx
            .prepare("INSERT INTO orders VALUES ($1, $2, $3, $4)")
            .unwrap();
        for id in 0..10_000i32 {
            ins.execute([id, id % 100, (id * 31) % 10_000, id % 5 + 1])
                .unwrap();
        }
        drop(ins);
        tx.commit().unwrap();
        conn.execute("ANALYZE", ()).unwrap();
    }
    // As the bench does: the setup's versions written to the data file before measuring, so
    // reads do not depend on whether the background checkpoint ran yet.
    db.checkpoint().unwrap();
    if let Some(w) = workload.strip_prefix("sqlite-") {
        let lite = sqlite_setup(&dir.path().join("lite.db"), w);
        let start = Instant::now();
        run_sqlite(&lite, w, n);
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{workload}: {n} in {secs:.3} s, {:.2} us each",
            secs * 1e6 / n as f64
        );
        return;
    }
    if let Some(k) = std::env::var("SQL_PROFILE_REPEAT")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        // As the bench's bulk loads: each into a new table, dropped and collected afterwards.
        for i in 0..k {
            let table = format!("bulk_{i}");
            conn.execute(
                &format!(
                    "CREATE TABLE {table} (id bigint PRIMARY KEY, a int NOT NULL, b text NOT NULL)"
                ),
                (),
            )
            .unwrap();
            let start = Instant::now();
            bulk_into(&mut conn, &table, n);
            let secs = start.elapsed().as_secs_f64();
            println!("{table}: {:.2} us each", secs * 1e6 / n as f64);
            conn.execute(&format!("DROP TABLE {table}"), ()).unwrap();
            db.checkpoint().unwrap();
            db.vacuum().unwrap();
            db.checkpoint().unwrap();
        }
        return;
    }
    let start = Instant::now();
    run_workload(&mut conn, workload, n);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{workload}: {n} in {secs:.3} s, {:.2} us each",
        secs * 1e6 / n as f64
    );
    if std::env::var_os("SQL_PROFILE_EXIT").is_some() {
        // `exit` runs no destructors: the temporary directory goes by hand.
        let _ = std::fs::remove_dir_all(dir.path());
        std::process::exit(0);
    }
}

/// `n` rows inserted into `table` by a prepared INSERT in one transaction.
#[inline(never)]
fn bulk_into(conn: &mut basalt::Connection, table: &str, n: i64) {
    let tx = conn.transaction().unwrap();
    let stmt = tx
        .prepare(&format!("INSERT INTO {table} VALUES ($1, $2, $3)"))
        .unwrap();
    for id in 0..n {
        stmt.execute(params![id, (id % 1000) as i32, "bulk payload text"])
            .unwrap();
    }
    drop(stmt);
    tx.commit().unwrap();
}

/// The measured part (a function of its own so that a profiler can collect only it:
/// `--toggle-collect=sql_profile::run_workload`).
#[inline(never)]
fn run_workload(conn: &mut basalt::Connection, workload: &str, n: i64) {
    match workload {
        "point" => {
            let stmt = conn
                .prepare("SELECT name, price FROM items WHERE id = $1")
                .unwrap();
            for i in 0..n {
                let row = stmt.query_one([((i * 7) % 10_000) as i32]).unwrap();
                std::hint::black_box(row.get::<f64>(1).unwrap());
            }
        }
        "bulk" => {
            let tx = conn.transaction().unwrap();
            let stmt = tx.prepare("INSERT INTO bulk VALUES ($1, $2, $3)").unwrap();
            for id in 0..n {
                stmt.execute(params![id, (id % 1000) as i32, "bulk payload text"])
                    .unwrap();
            }
            drop(stmt);
            let t = Instant::now();
            tx.commit().unwrap();
            if std::env::var_os("SQL_PROFILE_COMMIT").is_some() {
                println!("commit: {:.3} s", t.elapsed().as_secs_f64());
            }
        }
        "copy" => {
            let mut data = String::with_capacity(n as usize * 32);
            for id in 0..n {
                data.push_str(&format!("{id},{},bulk payload text\n", id % 1000));
            }
            let t = Instant::now();
            conn.copy_in("COPY bulk FROM STDIN (FORMAT csv)", data.as_bytes())
                .unwrap();
            if std::env::var_os("SQL_PROFILE_COMMIT").is_some() {
                println!("copy alone: {:.3} s", t.elapsed().as_secs_f64());
            }
        }
        "insert" => {
            conn.execute("SET synchronous_commit = off", ()).unwrap();
            let stmt = conn.prepare("INSERT INTO log VALUES ($1, $2)").unwrap();
            for id in 0..n {
                stmt.execute(params![id, "a log line of about forty bytes......"])
                    .unwrap();
            }
        }
        "update" => {
            conn.execute("SET synchronous_commit = off", ()).unwrap();
            let stmt = conn
                .prepare("UPDATE items SET price = price + 1 WHERE id = $1")
                .unwrap();
            for i in 0..n {
                stmt.execute([((i * 7) % 10_000) as i32]).unwrap();
            }
        }
        "range" => {
            let stmt = conn
                .prepare("SELECT id, price FROM items WHERE cat >= $1 AND cat < $1 + 100")
                .unwrap();
            for i in 0..n {
                let rows = stmt.query([((i * 13) % 9_900) as i32]).unwrap();
                assert_eq!(rows.len(), 100);
            }
        }
        "join" => {
            let stmt = conn
                .prepare(
                    "SELECT c.region, count(*), sum(o.qty * i.price) \
                     FROM orders o JOIN customers c ON c.id = o.customer_id \
                     JOIN items i ON i.id = o.item_id GROUP BY c.region ORDER BY c.region",
                )
                .unwrap();
            for _ in 0..n {
                assert_eq!(stmt.query(()).unwrap().len(), 10);
            }
        }
        other => panic!("unknown workload {other}"),
    }
}

/// SQLite (WAL, `synchronous = FULL`) with the same schema and data, for the same workloads
/// under the same profiler: `sqlite-point`, `sqlite-bulk`.
fn sqlite_setup(path: &std::path::Path, workload: &str) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, cat INTEGER NOT NULL, price REAL NOT NULL);
         CREATE INDEX items_cat ON items (cat);
         CREATE TABLE bulk (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b TEXT NOT NULL)",
    )
    .unwrap();
    if workload == "point" {
        let tx = conn.unchecked_transaction().unwrap();
        {
            let mut ins = tx
                .prepare("INSERT INTO items VALUES (?1, ?2, ?3, ?4)")
                .unwrap();
            for id in 0..10_000i32 {
                ins.execute(rusqlite::params![
                    id,
                    format!("item {id}"),
                    (id * 7919) % 10_000,
                    f64::from(id % 997) / 10.0
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    conn
}

/// The measured part on SQLite (`--toggle-collect=sql_profile::run_sqlite`).
#[inline(never)]
fn run_sqlite(conn: &rusqlite::Connection, workload: &str, n: i64) {
    match workload {
        "point" => {
            let mut stmt = conn
                .prepare_cached("SELECT name, price FROM items WHERE id = ?1")
                .unwrap();
            for i in 0..n {
                let p: f64 = stmt
                    .query_row([((i * 7) % 10_000) as i32], |r| {
                        let _name: String = r.get(0)?;
                        r.get(1)
                    })
                    .unwrap();
                std::hint::black_box(p);
            }
        }
        "bulk" => {
            let tx = conn.unchecked_transaction().unwrap();
            {
                let mut stmt = tx.prepare("INSERT INTO bulk VALUES (?1, ?2, ?3)").unwrap();
                for id in 0..n {
                    stmt.execute(rusqlite::params![
                        id,
                        (id % 1000) as i32,
                        "bulk payload text"
                    ])
                    .unwrap();
                }
            }
            tx.commit().unwrap();
        }
        other => panic!("unknown SQLite workload {other}"),
    }
}
