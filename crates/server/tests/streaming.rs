//! Rows streamed as the executor produces them: an error in the middle of a result comes
//! after the rows before it, cancel and `statement_timeout` stop a query that is sending
//! rows, and a Describe of a portal does not run it. (The memory bound is
//! `stream_memory.rs`'s.)

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use futures_util::StreamExt;
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

fn no_params() -> impl ExactSizeIterator<Item = &'static dyn ToSql> {
    const NONE: [&(dyn ToSql + Sync); 0] = [];
    NONE.iter().map(|p| *p as &dyn ToSql)
}

/// Division by zero at row 200,000 of the query.
const FAILING: &str = "SELECT i, 200000 / (200000 - i) FROM generate_series(1, 400000) AS s(i)";

/// Rows, then the error's SQLSTATE, over the simple query protocol.
async fn simple_rows_then_error(c: &tokio_postgres::Client, sql: &str) -> (usize, String) {
    let stream = c.simple_query_raw(sql).await.unwrap();
    futures_util::pin_mut!(stream);
    let mut rows = 0;
    while let Some(m) = stream.next().await {
        match m {
            Ok(tokio_postgres::SimpleQueryMessage::Row(_)) => rows += 1,
            Ok(_) => {}
            Err(e) => return (rows, e.as_db_error().unwrap().code().code().to_string()),
        }
    }
    panic!("no error after {rows} rows");
}

/// Rows, then the error's SQLSTATE, over the extended query protocol.
async fn extended_rows_then_error(c: &tokio_postgres::Client, sql: &str) -> (usize, String) {
    let stream = c.query_raw(sql, no_params()).await.unwrap();
    futures_util::pin_mut!(stream);
    let mut rows = 0;
    while let Some(r) = stream.next().await {
        match r {
            Ok(_) => rows += 1,
            Err(e) => return (rows, e.as_db_error().unwrap().code().code().to_string()),
        }
    }
    panic!("no error after {rows} rows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_after_many_rows_comes_after_them() {
    let r = common::start("trust", "unused").await;
    let c = r.connect().await;
    // PostgreSQL streams too: the client gets the 199,999 rows computed before the error.
    assert_eq!(
        simple_rows_then_error(&c, FAILING).await,
        (199_999, "22012".to_string())
    );
    assert_eq!(
        extended_rows_then_error(&c, FAILING).await,
        (199_999, "22012".to_string())
    );
    // The connection goes on, out of any transaction.
    let one: i32 = c.query_one("SELECT 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    // In a transaction block the error fails the block, as any error does.
    c.batch_execute("CREATE TABLE t (a int)").await.unwrap();
    c.batch_execute("BEGIN; INSERT INTO t VALUES (1)")
        .await
        .unwrap();
    assert_eq!(
        simple_rows_then_error(&c, FAILING).await,
        (199_999, "22012".to_string())
    );
    let e = c.query("SELECT 1", &[]).await.unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "25P02");
    c.batch_execute("ROLLBACK").await.unwrap();
    let n: i64 = c
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    // A statement after the failing one in the same query string does not run.
    let (rows, code) = simple_rows_then_error(
        &c,
        &format!("INSERT INTO t VALUES (2); {FAILING}; INSERT INTO t VALUES (3)"),
    )
    .await;
    assert_eq!((rows, code.as_str()), (199_999, "22012"));
    let n: i64 = c
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_and_statement_timeout_stop_a_query_sending_rows() {
    let r = common::start("trust", "unused").await;
    let c = r.connect().await;
    let endless = "SELECT i FROM generate_series(1, 1000000000000) AS s(i)";
    // Cancel once rows are arriving: the first rows came long before the last is computed.
    let stream = c.query_raw(endless, no_params()).await.unwrap();
    futures_util::pin_mut!(stream);
    let token = c.cancel_token();
    let (mut rows, mut code) = (0u64, None);
    while let Some(row) = stream.next().await {
        match row {
            Ok(_) => {
                rows += 1;
                if rows == 10_000 {
                    token.cancel_query(NoTls).await.unwrap();
                }
            }
            Err(e) => {
                code = Some(e.as_db_error().unwrap().code().code().to_string());
                break;
            }
        }
    }
    assert_eq!(code.as_deref(), Some("57014"));
    assert!(rows >= 10_000);
    let one: i32 = c.query_one("SELECT 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    // statement_timeout, over the simple query protocol.
    c.batch_execute("SET statement_timeout = '300ms'")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let (rows, code) = simple_rows_then_error(&c, endless).await;
    assert_eq!(code, "57014");
    assert!(rows > 0);
    assert!(started.elapsed() < Duration::from_secs(30));
    c.batch_execute("RESET statement_timeout").await.unwrap();
    let one: i32 = c.query_one("SELECT 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    r.stop().await;
}

/// A blocking protocol connection, to send the extended protocol's messages one by one.
struct Wire {
    s: TcpStream,
}

impl Wire {
    fn connect(port: u16) -> Wire {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut w = Wire { s };
        let mut body = 196_608i32.to_be_bytes().to_vec();
        body.extend_from_slice(b"user\0basalt\0database\0basalt\0\0");
        let mut m = (i32::try_from(body.len()).unwrap() + 4)
            .to_be_bytes()
            .to_vec();
        m.extend_from_slice(&body);
        w.s.write_all(&m).unwrap();
        w.until_ready();
        w
    }

    fn send(&mut self, t: u8, body: &[u8]) {
        let mut m = vec![t];
        m.extend_from_slice(&(i32::try_from(body.len()).unwrap() + 4).to_be_bytes());
        m.extend_from_slice(body);
        self.s.write_all(&m).unwrap();
    }

    fn read(&mut self) -> (u8, Vec<u8>) {
        let mut head = [0u8; 5];
        self.s.read_exact(&mut head).unwrap();
        let len = i32::from_be_bytes([head[1], head[2], head[3], head[4]]);
        let mut body = vec![0u8; usize::try_from(len - 4).unwrap()];
        self.s.read_exact(&mut body).unwrap();
        (head[0], body)
    }

    /// The types of the messages up to ReadyForQuery (ParameterStatus and notices left
    /// out); an ErrorResponse as `E` followed by its SQLSTATE.
    fn until_ready(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let (t, body) = self.read();
            match t {
                b'S' | b'N' | b'K' | b'R' => {}
                b'E' => {
                    let code = body
                        .split(|b| *b == 0)
                        .find_map(|f| f.strip_prefix(b"C"))
                        .map(|c| String::from_utf8_lossy(c).into_owned())
                        .unwrap_or_default();
                    out.push(format!("E{code}"));
                }
                b'Z' => return out,
                t => out.push(char::from(t).to_string()),
            }
        }
    }

    /// The message types answering what was sent, through a Flush (no ReadyForQuery).
    fn flushed(&mut self, n: usize) -> Vec<String> {
        self.send(b'H', &[]);
        (0..n)
            .map(|_| char::from(self.read().0).to_string())
            .collect()
    }

    fn parse_bind(&mut self, sql: &str) {
        let mut parse = vec![0u8];
        parse.extend_from_slice(sql.as_bytes());
        parse.extend_from_slice(&[0, 0, 0]);
        self.send(b'P', &parse);
        self.send(b'B', &[0, 0, 0, 0, 0, 0, 0, 0]);
    }

    fn execute(&mut self, max_rows: i32) {
        let mut body = vec![0u8];
        body.extend_from_slice(&max_rows.to_be_bytes());
        self.send(b'E', &body);
    }
}

#[test]
fn describe_of_a_portal_does_not_run_it() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(common::start("trust", "unused"));
    let mut w = Wire::connect(server.port);
    w.send(b'Q', b"CREATE TABLE t (a int)\0");
    w.until_ready();
    // Described, then flushed: the description comes from the binding; the error of the
    // run comes at Execute, after it.
    w.parse_bind("SELECT 1 / (i - 1) FROM generate_series(1, 2) AS s(i)");
    w.send(b'D', b"P\0");
    assert_eq!(w.flushed(3), ["1", "2", "T"]);
    w.execute(0);
    w.send(b'S', &[]);
    assert_eq!(w.until_ready(), ["E22012"]);
    // A described INSERT ... RETURNING that is never executed inserts nothing.
    w.parse_bind("INSERT INTO t VALUES (1) RETURNING a");
    w.send(b'D', b"P\0");
    w.send(b'S', &[]);
    assert_eq!(w.until_ready(), ["1", "2", "T"]);
    // A query without columns still describes its (empty) rows, as PostgreSQL.
    w.send(b'Q', b"SELECT;\0");
    assert_eq!(w.until_ready(), ["T", "D", "C"]);
    // (One row when t is still empty, none when the INSERT ran.)
    w.send(b'Q', b"SELECT 1 FROM t HAVING count(*) = 0\0");
    assert_eq!(w.until_ready(), ["T", "D", "C"]);
    // Described then executed (what libpq sends): the description comes with the rows.
    w.parse_bind("SELECT i FROM generate_series(1, 3) AS s(i)");
    w.send(b'D', b"P\0");
    w.execute(0);
    w.send(b'S', &[]);
    assert_eq!(w.until_ready(), ["1", "2", "T", "D", "D", "D", "C"]);
    // ... also with a row limit (the portal keeps its rows for the next Execute).
    w.send(b'Q', b"BEGIN\0");
    w.until_ready();
    w.parse_bind("SELECT i FROM generate_series(1, 3) AS s(i)");
    w.send(b'D', b"P\0");
    w.execute(2);
    w.execute(2);
    w.send(b'S', &[]);
    assert_eq!(w.until_ready(), ["1", "2", "T", "D", "D", "s", "D", "C"]);
    w.send(b'Q', b"COMMIT\0");
    w.until_ready();
    // A binding error takes the description's place; the rest is skipped until Sync.
    w.parse_bind("SELECT nope FROM t");
    w.send(b'D', b"P\0");
    w.execute(0);
    w.send(b'S', &[]);
    assert_eq!(w.until_ready(), ["1", "2", "E42703"]);
    // A statement without rows: NoData at once.
    w.parse_bind("INSERT INTO t VALUES (2)");
    w.send(b'D', b"P\0");
    assert_eq!(w.flushed(3), ["1", "2", "n"]);
    w.execute(0);
    w.send(b'S', &[]);
    assert_eq!(w.until_ready(), ["C"]);
    rt.block_on(server.stop());
}

/// COPY FROM STDIN waiting for the client's data: a cancel and `statement_timeout` stop it
/// with 57014 (the connection carries on, nothing of the COPY stays), and a pause in the
/// data inside a transaction block is no idle-in-transaction time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_from_stdin_waiting_for_data_can_be_cancelled() {
    use futures_util::SinkExt;
    let r = common::start("trust", "unused").await;
    let c = r.connect().await;
    c.batch_execute("CREATE TABLE ct (a int)").await.unwrap();
    let code = |e: tokio_postgres::Error| e.as_db_error().map(|d| d.code().code().to_string());

    // Cancel while the server waits for more data.
    let sink = c.copy_in("COPY ct FROM STDIN").await.unwrap();
    futures_util::pin_mut!(sink);
    sink.send(bytes::Bytes::from_static(b"1\n2\n"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.cancel_token().cancel_query(NoTls).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let e = sink.finish().await.unwrap_err();
    assert_eq!(code(e).as_deref(), Some("57014"));
    let n: i64 = c
        .query_one("SELECT count(*) FROM ct", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);

    // statement_timeout while waiting.
    c.batch_execute("SET statement_timeout = '300ms'")
        .await
        .unwrap();
    let sink = c.copy_in("COPY ct FROM STDIN").await.unwrap();
    futures_util::pin_mut!(sink);
    sink.send(bytes::Bytes::from_static(b"3\n")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let e = sink.finish().await.unwrap_err();
    assert_eq!(code(e).as_deref(), Some("57014"));
    c.batch_execute("RESET statement_timeout").await.unwrap();

    // A pause longer than idle_in_transaction_session_timeout inside a block: the COPY is
    // running, so the session is not idle.
    c.batch_execute("SET idle_in_transaction_session_timeout = '200ms'; BEGIN")
        .await
        .unwrap();
    let sink = c.copy_in("COPY ct FROM STDIN").await.unwrap();
    futures_util::pin_mut!(sink);
    sink.send(bytes::Bytes::from_static(b"4\n")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    sink.send(bytes::Bytes::from_static(b"5\n")).await.unwrap();
    assert_eq!(sink.finish().await.unwrap(), 2);
    c.batch_execute("COMMIT").await.unwrap();
    let n: i64 = c
        .query_one("SELECT count(*) FROM ct", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
    r.stop().await;
}

/// The context of an error COPY FROM finds when it writes a batch names the failing row's
/// line as PostgreSQL 15 does: a unique violation the line only, NOT NULL / CHECK the line
/// and its text, a foreign key violation (an after trigger's, in PostgreSQL) none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_errors_name_the_failing_line() {
    use futures_util::SinkExt;
    let r = common::start("trust", "unused").await;
    let c = r.connect().await;
    c.batch_execute(
        "CREATE TABLE cr (id int PRIMARY KEY); INSERT INTO cr VALUES (1);
         CREATE TABLE cp (id int PRIMARY KEY, a int NOT NULL, b int CHECK (b > 0), \
         r int REFERENCES cr)",
    )
    .await
    .unwrap();
    for (data, code, context) in [
        (
            &b"1\t1\t1\t1\n2\t2\t2\t1\n1\t3\t3\t1\n3\t3\t3\t1\n"[..],
            "23505",
            Some("COPY cp, line 3"),
        ),
        (
            &b"1\t1\t1\t1\n2\t\\N\t2\t1\n"[..],
            "23502",
            Some("COPY cp, line 2: \"2\t\\N\t2\t1\""),
        ),
        (
            &b"1\t1\t1\t1\n2\t2\t-2\t1\n"[..],
            "23514",
            Some("COPY cp, line 2: \"2\t2\t-2\t1\""),
        ),
        (&b"1\t1\t1\t1\n2\t2\t2\t7\n3\t2\t2\t1\n"[..], "23503", None),
    ] {
        let sink = c.copy_in("COPY cp FROM STDIN").await.unwrap();
        futures_util::pin_mut!(sink);
        sink.send(bytes::Bytes::copy_from_slice(data))
            .await
            .unwrap();
        let e = sink.finish().await.unwrap_err();
        let db = e.as_db_error().unwrap();
        assert_eq!(db.code().code(), code);
        assert_eq!(db.where_(), context, "{code}");
    }
    r.stop().await;
}
