//! Large results stream: a query of millions of rows, over the simple protocol, the
//! extended one and `COPY ... TO STDOUT`, leaves the server's memory bounded (the rows are
//! encoded and sent as the executor produces them, never collected).
//!
//! The server runs in this process, so its memory is the process's: the peak resident size
//! (`VmHWM`, reset through `/proc/self/clear_refs` before each query) may grow by far less
//! than the result's size. A server collecting the 3,000,000 rows of the query below grew
//! by 550 MB on the simple query, 182 MB on the extended one (reusing memory the first
//! freed) and 114 MB on the COPY (whose series was collected); streaming, by about nothing.
//! A portal fetched 1000 rows per Execute runs to its end at the first Execute and keeps
//! the rows for the next ones: in memory that was ~500 MB; spilled to a temporary file past
//! a few MB (crates/server/src/spill.rs), about nothing.
//! This file holds one test, so that no other test's memory counts.

#![allow(clippy::unwrap_used)]

mod common;

use futures_util::StreamExt;
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

const ROWS: i64 = 3_000_000;
const QUERY: &str =
    "SELECT i, 'row number ' || i AS label FROM generate_series(1, 3000000) AS s(i)";
/// Growth of the peak resident size allowed for one query.
const BOUND_MB: i64 = 100;

/// A field of /proc/self/status, in kB.
fn status_kb(field: &str) -> i64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Resets the peak resident size to the current one; returns the current one (kB).
fn reset_peak() -> i64 {
    // Linux resets VmHWM on "5"; where it cannot, VmHWM keeps an older peak, which can only
    // make the measured growth larger.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    status_kb("VmRSS:")
}

/// How much the peak resident size grew since `base` (MB).
fn growth_mb(base: i64) -> i64 {
    (status_kb("VmHWM:") - base) / 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn millions_of_rows_stream_in_bounded_memory() {
    let r = common::start("trust", "unused").await;
    let (c, conn) = tokio_postgres::connect(
        &format!("host=127.0.0.1 port={} user=basalt dbname=basalt", r.port),
        NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    // Warm up (plan caches, buffers).
    c.simple_query("SELECT i FROM generate_series(1, 1000) AS s(i)")
        .await
        .unwrap();

    // Simple query protocol.
    let base = reset_peak();
    let stream = c.simple_query_raw(QUERY).await.unwrap();
    futures_util::pin_mut!(stream);
    let (mut rows, mut last, mut tag) = (0i64, String::new(), None);
    while let Some(m) = stream.next().await {
        match m.unwrap() {
            tokio_postgres::SimpleQueryMessage::Row(row) => {
                rows += 1;
                if rows == ROWS {
                    last = row.get(1).unwrap().to_string();
                }
            }
            tokio_postgres::SimpleQueryMessage::CommandComplete(n) => tag = Some(n),
            _ => {}
        }
    }
    let simple = growth_mb(base);
    assert_eq!(rows, ROWS);
    assert_eq!(last, "row number 3000000");
    assert_eq!(tag, Some(3_000_000));

    // Extended query protocol (an unnamed portal executed without a row limit).
    let base = reset_peak();
    let params: [&(dyn ToSql + Sync); 0] = [];
    let stream = c
        .query_raw(QUERY, params.iter().map(|p| *p as &dyn ToSql))
        .await
        .unwrap();
    futures_util::pin_mut!(stream);
    let (mut rows, mut sum) = (0i64, 0i64);
    while let Some(row) = stream.next().await {
        let row = row.unwrap();
        rows += 1;
        sum += i64::from(row.get::<_, i32>(0));
    }
    let extended = growth_mb(base);
    assert_eq!(rows, ROWS);
    assert_eq!(sum, ROWS * (ROWS + 1) / 2);
    assert_eq!(stream.rows_affected(), Some(3_000_000));

    // COPY (query) TO STDOUT.
    let base = reset_peak();
    let out = c
        .copy_out(&format!("COPY ({QUERY}) TO STDOUT"))
        .await
        .unwrap();
    futures_util::pin_mut!(out);
    let mut lines = 0i64;
    while let Some(chunk) = out.next().await {
        lines += chunk.unwrap().iter().filter(|b| **b == b'\n').count() as i64;
    }
    let copy = growth_mb(base);
    assert_eq!(lines, ROWS);

    // A portal fetched 1000 rows per Execute (JDBC's fetch size): the rows are kept for
    // the later Executes in a temporary file past a few MB, not in memory.
    let base = reset_peak();
    let mut c = c;
    let tx = c.transaction().await.unwrap();
    let portal = tx.bind(QUERY, &[]).await.unwrap();
    let (mut rows, mut fetches, mut sum) = (0i64, 0, 0i64);
    loop {
        let batch = tx.query_portal(&portal, 1000).await.unwrap();
        fetches += 1;
        if batch.is_empty() {
            break;
        }
        assert!(batch.len() <= 1000);
        rows += batch.len() as i64;
        sum += batch
            .iter()
            .map(|r| i64::from(r.get::<_, i32>(0)))
            .sum::<i64>();
    }
    tx.commit().await.unwrap();
    let fetched = growth_mb(base);
    assert_eq!(rows, ROWS);
    assert_eq!(sum, ROWS * (ROWS + 1) / 2);
    assert!(fetches > 3000);

    eprintln!(
        "peak growth: simple {simple} MB, extended {extended} MB, copy {copy} MB, \
         fetched 1000 at a time {fetched} MB"
    );
    assert!(
        simple < BOUND_MB && extended < BOUND_MB && copy < BOUND_MB && fetched < BOUND_MB,
        "peak memory grew by {simple} MB (simple query), {extended} MB (extended), {copy} MB \
         (COPY TO STDOUT), {fetched} MB (fetched 1000 rows at a time) for {ROWS} rows; at \
         most {BOUND_MB} MB expected"
    );
    // The connection goes on.
    let one: i32 = c.query_one("SELECT 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    r.stop().await;
}
