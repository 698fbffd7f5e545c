//! End-to-end: the protocol client (`client::remote`) against `basalt serve` and against the
//! reference PostgreSQL 15 (a throwaway cluster started by the test; skipped when PostgreSQL is not installed).
//! The same checks run against both, so the client is tested on what PostgreSQL really sends.

#![allow(clippy::unwrap_used, clippy::result_large_err)]

mod common;

// The client module is compiled into this test (the `basalt` package is a binary).
#[allow(dead_code, unused_imports)]
#[path = "../src/client/mod.rs"]
mod client;

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use client::remote::Remote;
use client::{Client, Collect, Message, Outcome, Output, TxStatus};
use common::Server;

/// Collects results and notices, feeds COPY FROM STDIN from `input` and keeps COPY TO
/// STDOUT's data.
struct Out {
    collect: Collect,
    input: Box<dyn Read>,
    output: Vec<u8>,
}

impl Out {
    fn new() -> Out {
        Out::with_input(&b""[..])
    }

    fn with_input(data: &'static [u8]) -> Out {
        Out {
            collect: Collect::default(),
            input: Box::new(data),
            output: Vec::new(),
        }
    }

    fn tags(&self) -> Vec<&str> {
        self.collect
            .results
            .iter()
            .map(|o| o.tag.as_str())
            .collect()
    }
}

impl Output for Out {
    fn result(&mut self, outcome: Outcome) {
        self.collect.result(outcome)
    }
    fn notice(&mut self, notice: Message) {
        self.collect.notice(notice)
    }
    fn copy_in(&mut self) -> std::io::Result<&mut dyn Read> {
        Ok(&mut self.input)
    }
    fn copy_out(&mut self) -> std::io::Result<&mut dyn Write> {
        Ok(&mut self.output)
    }
}

/// A reader that gives some data and then fails.
struct Failing(usize);

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0 == 0 {
            return Err(std::io::Error::other("disk on fire"));
        }
        self.0 -= 1;
        let line = b"1\tx\t1\n";
        buf[..line.len()].copy_from_slice(line);
        Ok(line.len())
    }
}

/// A reader that counts what was read from it.
struct Counting<R>(R, std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        self.1.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

fn run(c: &mut dyn Client, sql: &str) -> Out {
    let mut out = Out::new();
    if let Err(e) = c.run(sql, &mut out) {
        panic!("{sql}: {e:?}");
    }
    out
}

fn run_err(c: &mut dyn Client, sql: &str) -> (Out, Message) {
    let mut out = Out::new();
    match c.run(sql, &mut out) {
        Ok(()) => panic!("{sql} succeeded"),
        Err(e) => (out, e),
    }
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

/// The checks both servers must pass; `c` is connected to an empty scratch database.
fn battery(c: &mut Remote) {
    assert!(c.parameter("server_version").is_some());
    assert_eq!(c.parameter("client_encoding"), Some("UTF8"));
    assert_eq!(c.status(), TxStatus::Idle);

    // Several statements: one result each, with tags, column types and NULLs.
    let out = run(
        c,
        "DROP TABLE IF EXISTS rt; CREATE TABLE rt (id int, v text, n numeric); \
         INSERT INTO rt VALUES (1, 'a', 1.5), (2, NULL, NULL); \
         SELECT id, v, n FROM rt ORDER BY id; UPDATE rt SET v = 'b' WHERE id = 2",
    );
    assert_eq!(
        out.tags(),
        [
            "DROP TABLE",
            "CREATE TABLE",
            "INSERT 0 2",
            "SELECT 2",
            "UPDATE 1"
        ]
    );
    // DROP TABLE IF EXISTS on a missing table notices.
    assert_eq!(out.collect.notices.len(), 1, "{:?}", out.collect.notices);
    assert_eq!(out.collect.notices[0].severity, "NOTICE");
    assert_eq!(out.collect.notices[0].code, "00000");
    let select = &out.collect.results[3];
    let cols: Vec<(&str, u32)> = select
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.type_oid))
        .collect();
    assert_eq!(cols, [("id", 23), ("v", 25), ("n", 1700)]);
    assert_eq!(
        select.rows,
        [
            vec![some("1"), some("a"), some("1.5")],
            vec![some("2"), None, None]
        ]
    );
    assert!(out.collect.results[0].columns.is_empty());

    // An error midway: earlier results delivered, every field, the later statement not run.
    let (out, e) = run_err(c, "SELECT 1 AS one; SELECT nope FROM rt; SELECT 3");
    assert_eq!(out.tags(), ["SELECT 1"]);
    assert_eq!(out.collect.results[0].rows, [vec![some("1")]]);
    assert_eq!(
        (e.severity.as_str(), e.code.as_str()),
        ("ERROR", "42703"),
        "{e:?}"
    );
    assert_eq!(e.message, "column \"nope\" does not exist");
    assert_eq!(e.position, Some(25));
    assert_eq!(c.status(), TxStatus::Idle);
    let (_, e) = run_err(c, "SELECT 1/0");
    assert_eq!(e.code, "22012");
    let (_, e) = run_err(c, "CREATE TABLE rt (x int)");
    assert_eq!(e.code, "42P07");

    // An empty query string, and one of only a comment.
    assert!(run(c, "").tags().is_empty());
    assert!(run(c, "-- nothing").tags().is_empty());

    // Raised notices and warnings, in order.
    let mut out = Out::new();
    match c.run(
        "DO $$ BEGIN RAISE NOTICE 'first'; RAISE WARNING 'second' USING HINT = 'h'; END $$",
        &mut out,
    ) {
        Ok(()) => {
            assert_eq!(out.collect.notices.len(), 2, "{:?}", out.collect.notices);
            assert_eq!(out.collect.notices[0].message, "first");
            assert_eq!(out.collect.notices[1].severity, "WARNING");
            assert_eq!(out.collect.notices[1].hint, some("h"));
        }
        // Basalt has no DO blocks yet.
        Err(e) => assert_eq!(e.code, "0A000", "{e:?}"),
    }

    // COPY in and out.
    let mut out = Out::with_input(b"3\tc\t3\n4\t\\N\t\\N\n");
    c.run(
        "COPY rt FROM STDIN; COPY (SELECT id, v FROM rt ORDER BY id) TO STDOUT (FORMAT csv); SELECT count(*) FROM rt",
        &mut out,
    )
    .unwrap();
    assert_eq!(out.tags(), ["COPY 2", "COPY 4", "SELECT 1"]);
    assert_eq!(out.output, b"1,a\n2,b\n3,c\n4,\n");
    assert_eq!(out.collect.results[2].rows, [vec![some("4")]]);
    // A large COPY in several chunks.
    let big: String = (0..20_000).map(|i| format!("{i}\tv{i}\t{i}\n")).collect();
    let mut out = Out {
        input: Box::new(std::io::Cursor::new(big.into_bytes())),
        ..Out::new()
    };
    c.run("DELETE FROM rt; COPY rt FROM STDIN", &mut out)
        .unwrap();
    assert_eq!(out.tags(), ["DELETE 4", "COPY 20000"]);
    // The input fails midway: the COPY fails with its text, nothing is loaded.
    let mut out = Out {
        input: Box::new(Failing(3)),
        ..Out::new()
    };
    let e = c.run("COPY rt FROM STDIN", &mut out).unwrap_err();
    assert_eq!(e.code, "57014", "{e:?}");
    assert!(e.message.contains("disk on fire"), "{e:?}");
    // Bad data: the server's error, found while the data is still being sent (so the
    // client stops reading its 24 MB input early).
    let bad: String = std::iter::once("x\ty\tz\n".to_string())
        .chain((0..2_000_000).map(|i| format!("{i:07}\tv\t1\n")))
        .collect();
    let total = bad.len();
    let read = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut out = Out {
        input: Box::new(Counting(
            std::io::Cursor::new(bad.into_bytes()),
            read.clone(),
        )),
        ..Out::new()
    };
    let e = c.run("COPY rt FROM STDIN", &mut out).unwrap_err();
    assert_eq!(e.code, "22P02", "{e:?}");
    let read = read.load(std::sync::atomic::Ordering::Relaxed);
    assert!(read < total, "read all {total} bytes");
    assert_eq!(
        run(c, "SELECT count(*) FROM rt").collect.results[0].rows,
        [vec![some("20000")]]
    );
    // COPY TO STDOUT with nowhere to write.
    let e = c
        .run("COPY rt TO STDOUT", &mut Collect::default())
        .unwrap_err();
    assert_eq!(e.code, "58030", "{e:?}");
    assert_eq!(run(c, "SELECT 1").tags(), ["SELECT 1"]);

    // Transaction status.
    run(c, "BEGIN");
    assert_eq!(c.status(), TxStatus::InTransaction);
    let (_, e) = run_err(c, "SELECT nope");
    assert_eq!(e.code, "42703");
    assert_eq!(c.status(), TxStatus::Failed);
    let (_, e) = run_err(c, "SELECT 1");
    assert_eq!(e.code, "25P02");
    run(c, "ROLLBACK");
    assert_eq!(c.status(), TxStatus::Idle);

    // Cancel from another thread.
    let cancel = c.canceller();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        cancel();
    });
    let start = Instant::now();
    let (_, e) = run_err(c, "SELECT pg_sleep(10)");
    t.join().unwrap();
    assert_eq!(e.code, "57014", "{e:?}");
    assert!(start.elapsed() < Duration::from_secs(8));
    assert_eq!(
        run(c, "SELECT 'still here'").collect.results[0].rows,
        [vec![some("still here")]]
    );
    run(c, "DROP TABLE rt");
}

/// `dir` as a URL's host (percent-encoded).
fn url_host(dir: &Path) -> String {
    dir.to_str()
        .unwrap()
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                char::from(b).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

const PASSWORD: &str = "s3cret pass";

fn scram_server() -> Server {
    Server::start_opts(None, &[], &[("BASALT_PASSWORD", PASSWORD)])
}

#[test]
fn basalt_over_the_socket_with_a_url() {
    let s = scram_server();
    // The socket (trusted) named by a URL whose host is the percent-encoded directory.
    let url = format!(
        "postgres://basalt@{}:{}/basalt?application_name=remote-test",
        url_host(&s.data()),
        s.port
    );
    let mut c = Remote::connect(&url).unwrap();
    assert_eq!((c.user(), c.database()), ("basalt".into(), "basalt".into()));
    assert!(!c.is_tls());
    assert!(
        c.describe().starts_with("server /") && c.describe().contains("(Basalt "),
        "{}",
        c.describe()
    );
    assert!(c.parameter("server_version").unwrap().contains("Basalt"));
    let out = run(&mut c, "SHOW application_name");
    assert_eq!(out.collect.results[0].rows, [vec![some("remote-test")]]);
    battery(&mut c);

    // The same socket as a keyword/value string, through client::open.
    let kv = format!(
        "host='{}' port={} user=basalt dbname=basalt",
        s.data().display(),
        s.port
    );
    let mut c2 = client::open(&kv).unwrap();
    assert_eq!(
        client::query(c2.as_mut(), "SELECT current_user").unwrap()[0].rows,
        [vec![some("basalt")]]
    );

    // \c: another database of the same server.
    run(&mut c, "CREATE DATABASE other");
    let mut other = c.connect_to("other").unwrap();
    assert_eq!(other.database(), "other");
    assert_eq!(
        client::query(other.as_mut(), "SELECT current_database()").unwrap()[0].rows,
        [vec![some("other")]]
    );
    let e = c.connect_to("missing").err().unwrap();
    assert_eq!(e.code, "3D000", "{e:?}");
}

#[test]
fn scram_over_tcp() {
    let s = scram_server();
    let port = s.port;
    let target = |pw: &str| {
        format!(
            "host=127.0.0.1 port={port} user=basalt dbname=basalt password='{pw}' passfile=/nonexistent"
        )
    };
    let mut c = Remote::connect(&target(PASSWORD)).unwrap();
    assert_eq!(
        client::query(&mut c, "SELECT session_user").unwrap()[0].rows,
        [vec![some("basalt")]]
    );
    assert!(
        c.describe()
            .starts_with(&format!("server 127.0.0.1:{} (Basalt ", s.port)),
        "{}",
        c.describe()
    );
    // The URL form, with the password percent-encoded.
    let url = format!(
        "postgresql://basalt:s3cret%20pass@127.0.0.1:{}/basalt?sslmode=disable",
        s.port
    );
    Remote::connect(&url).unwrap();

    let e = Remote::connect(&target("wrong")).err().unwrap();
    assert_eq!((e.severity.as_str(), e.code.as_str()), ("FATAL", "28P01"));
    assert_eq!(
        e.message,
        "password authentication failed for user \"basalt\""
    );
    // No password at all.
    let e = Remote::connect(&format!(
        "host=127.0.0.1 port={} user=basalt dbname=basalt passfile=/nonexistent",
        s.port
    ))
    .err()
    .unwrap();
    assert!(e.message.contains("no password supplied"), "{e:?}");
    // The password file.
    let pgpass = s.dir.path().join("pgpass");
    std::fs::write(
        &pgpass,
        format!("127.0.0.1:{}:*:basalt:s3cret pass\n", s.port),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    Remote::connect(&format!(
        "host=127.0.0.1 port={} user=basalt dbname=basalt passfile={}",
        s.port,
        pgpass.display()
    ))
    .unwrap();
    // sslmode=require against a server without TLS.
    let e = Remote::connect(&format!("{} sslmode=require", target(PASSWORD)))
        .err()
        .unwrap();
    assert!(e.message.contains("does not support SSL"), "{e:?}");
    // Nothing listening.
    drop(s);
    let e = Remote::connect(&target(PASSWORD)).err().unwrap();
    assert_eq!(e.code, "08001");
    assert!(e.message.contains("Connection refused"), "{e:?}");
}

#[test]
fn a_lost_connection_is_08006() {
    let mut s = scram_server();
    let mut c = Remote::connect(&format!(
        "host={} port={} user=basalt dbname=basalt",
        s.data().display(),
        s.port
    ))
    .unwrap();
    run(&mut c, "SELECT 1");
    let _ = s.child.kill();
    let _ = s.child.wait();
    let (_, e) = run_err(&mut c, "SELECT 1");
    assert_eq!(e.code, "08006", "{e:?}");
    // And it stays lost.
    let (_, e) = run_err(&mut c, "SELECT 1");
    assert_eq!(e.code, "08003", "{e:?}");
}

#[test]
fn tls_modes() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("tls");
    let other = dir.path().join("other");
    for d in [&certs, &other] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_basalt"))
            .args(["cert", "--out"])
            .arg(d)
            .args(["--host", "localhost", "--host", "127.0.0.1"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
    }
    let cert = certs.join("server.crt");
    let key = certs.join("server.key");
    let s = Server::start_opts(
        None,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
        &[("BASALT_PASSWORD", PASSWORD)],
    );
    let base = format!(
        "port={} user=basalt dbname=basalt password='{PASSWORD}'",
        s.port
    );
    let connect = |extra: &str| Remote::connect(&format!("{base} {extra}"));

    for extra in [
        "host=127.0.0.1 sslmode=require",
        "host=127.0.0.1 sslmode=prefer",
        "host=127.0.0.1",
    ] {
        let mut c = connect(extra).unwrap();
        assert!(c.is_tls(), "{extra}");
        assert!(c.describe().ends_with("over TLS"), "{}", c.describe());
        // Queries, COPY and SCRAM work the same over TLS.
        let data: String = (0..50_000).map(|i| format!("{i}\n")).collect();
        let mut out = Out {
            input: Box::new(std::io::Cursor::new(data.into_bytes())),
            ..Out::new()
        };
        c.run(
            "CREATE TEMP TABLE tt (i int); COPY tt FROM STDIN; \
             COPY (SELECT sum(i) FROM tt) TO STDOUT",
            &mut out,
        )
        .unwrap();
        assert_eq!(out.output, b"1249975000\n");
        // The server's error during COPY FROM STDIN, read while sending over TLS.
        let bad: String = std::iter::once("x\n".to_string())
            .chain((0..200_000).map(|i| format!("{i}\n")))
            .collect();
        let mut out = Out {
            input: Box::new(std::io::Cursor::new(bad.into_bytes())),
            ..Out::new()
        };
        let e = c.run("COPY tt FROM STDIN", &mut out).unwrap_err();
        assert_eq!(e.code, "22P02", "{e:?}");
        assert_eq!(run(&mut c, "SELECT 1").tags(), ["SELECT 1"]);
    }
    let plain = connect("host=127.0.0.1 sslmode=disable").unwrap();
    assert!(!plain.is_tls());
    let ca = certs.join("ca.crt");
    for host in ["localhost", "127.0.0.1"] {
        let c = connect(&format!(
            "host={host} sslmode=verify-full sslrootcert={}",
            ca.display()
        ))
        .unwrap();
        assert!(c.is_tls());
    }
    // The server's name differs from the certificate's: verify-ca accepts, verify-full not.
    let renamed = format!(
        "host=db.invalid hostaddr=127.0.0.1 sslrootcert={}",
        ca.display()
    );
    assert!(
        connect(&format!("{renamed} sslmode=verify-ca"))
            .unwrap()
            .is_tls()
    );
    let e = connect(&format!("{renamed} sslmode=verify-full"))
        .err()
        .unwrap();
    assert_eq!(e.code, "08001");
    assert!(e.message.contains("SSL error"), "{e:?}");
    // Another CA: both verifying modes refuse, and so does require given that root.
    let wrong = other.join("ca.crt");
    for mode in ["verify-ca", "verify-full", "require"] {
        let e = connect(&format!(
            "host=localhost sslmode={mode} sslrootcert={}",
            wrong.display()
        ))
        .err()
        .unwrap();
        assert!(e.message.contains("SSL error"), "{mode}: {e:?}");
    }
    // prefer: a handshake that fails falls back to a plain connection.
    let c = connect(&format!(
        "host=localhost sslmode=prefer sslrootcert={}",
        wrong.display()
    ))
    .unwrap();
    assert!(!c.is_tls());
    // verify-* without a root certificate.
    let e = Remote::connect_config({
        let mut c =
            client::remote::Config::parse(&format!("{base} host=localhost sslmode=verify-full"))
                .unwrap();
        c.sslrootcert = None;
        c
    })
    .err()
    .unwrap();
    assert!(e.message.contains("root certificate file"), "{e:?}");
    // basalt serve offers SCRAM-SHA-256 only (no -PLUS): prefer authenticates unbound,
    // require refuses as libpq does.
    let c = connect("host=127.0.0.1 sslmode=require").unwrap();
    assert!(c.is_tls() && !c.channel_bound());
    let e = connect("host=127.0.0.1 sslmode=require channel_binding=require")
        .err()
        .unwrap();
    assert!(
        e.message.contains(
            "server did not offer an authentication method that supports channel binding"
        ),
        "{e:?}"
    );
    // Never TLS over the socket, even when required (libpq ignores sslmode there).
    let c = Remote::connect(&format!(
        "host={} port={} user=basalt dbname=basalt sslmode=require",
        s.data().display(),
        s.port
    ))
    .unwrap();
    assert!(!c.is_tls());
}

/// A throwaway reference PostgreSQL and the URL of its socket (without a database).
fn reference() -> Option<(common::Pg, String)> {
    let pg = common::Pg::start()?;
    let url = format!(
        "postgres://postgres@{}:{}",
        url_host(pg.socket_dir()),
        pg.port
    );
    Some((pg, url))
}

#[test]
fn reference_postgresql() {
    let Some((_pg, base)) = reference() else {
        return;
    };
    let mut admin = Remote::connect(&format!("{base}/postgres")).unwrap();
    assert!(
        admin.describe().contains("PostgreSQL 15"),
        "{}",
        admin.describe()
    );
    let db = format!("basalt_remote_{}", std::process::id());
    run(&mut admin, &format!("DROP DATABASE IF EXISTS {db}"));
    run(&mut admin, &format!("CREATE DATABASE {db}"));
    let mut c = Remote::connect(&format!("{base}/{db}?application_name=remote-test")).unwrap();
    battery(&mut c);
    // Everything PostgreSQL sends with an error.
    let (_, e) = run_err(
        &mut c,
        "CREATE TABLE f (id int PRIMARY KEY); INSERT INTO f VALUES (1); INSERT INTO f VALUES (1)",
    );
    assert_eq!(e.code, "23505");
    assert_eq!(e.detail, some("Key (id)=(1) already exists."));
    let (_, e) = run_err(
        &mut c,
        "CREATE FUNCTION boom() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1/0; END $$; SELECT boom()",
    );
    assert_eq!(e.code, "22012");
    assert!(
        e.context.as_deref().unwrap_or("").contains("boom()"),
        "{e:?}"
    );
    // LISTEN/NOTIFY: the notification arrives as a notice.
    let out = run(&mut c, "LISTEN chan; NOTIFY chan, 'hi'");
    let n = out
        .collect
        .notices
        .iter()
        .find(|n| n.severity == "NOTIFY")
        .unwrap();
    assert!(
        n.message
            .starts_with("Asynchronous notification \"chan\" with payload \"hi\""),
        "{n:?}"
    );
    // A terminated backend: its FATAL error (or the lost connection), then no connection.
    let pid = run(&mut c, "SELECT pg_backend_pid()").collect.results[0].rows[0][0]
        .clone()
        .unwrap();
    run(&mut admin, &format!("SELECT pg_terminate_backend({pid})"));
    let (_, e) = run_err(&mut c, "SELECT 1");
    assert!(matches!(e.code.as_str(), "57P01" | "08006"), "{e:?}");
    let (_, e) = run_err(&mut c, "SELECT 1");
    assert_eq!(e.code, "08003", "{e:?}");
    drop(c);
    // The database may still be in use for a moment after the connection closes.
    for _ in 0..50 {
        if admin
            .run(
                &format!("DROP DATABASE IF EXISTS {db}"),
                &mut Collect::default(),
            )
            .is_ok()
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn several_hosts_and_target_session_attrs() {
    // A server that is down (started, then stopped: nothing listens on its port), a
    // read-only one (default_transaction_read_only on for its database) and a writable one.
    let mut down = scram_server();
    let down_port = down.port;
    down.terminate();
    let ro = scram_server();
    let rw = scram_server();
    let base = format!("user=basalt dbname=basalt password='{PASSWORD}' sslmode=disable");
    let mut admin = Remote::connect(&format!("host=127.0.0.1 port={} {base}", ro.port)).unwrap();
    run(
        &mut admin,
        "ALTER DATABASE basalt SET default_transaction_read_only = on",
    );
    drop(admin);
    let ports = format!("{down_port},{},{}", ro.port, rw.port);
    let connect = |attrs: &str| {
        Remote::connect(&format!(
            "host=127.0.0.1,127.0.0.1,127.0.0.1 port={ports} {base} target_session_attrs={attrs}"
        ))
    };
    for (attrs, want) in [
        ("any", ro.port),
        ("read-only", ro.port),
        ("read-write", rw.port),
        ("primary", ro.port),
        ("prefer-standby", ro.port),
    ] {
        let c = connect(attrs).unwrap_or_else(|e| panic!("{attrs}: {e:?}"));
        assert_eq!(c.host().port, want, "{attrs}");
    }
    let mut c = connect("read-write").unwrap();
    run(&mut c, "CREATE TABLE w (i int); INSERT INTO w VALUES (1)");
    // \c reconnects to the server reached, not to the first of the list.
    let again = c.connect_to("basalt").unwrap();
    assert!(
        again.describe().contains(&format!(":{} ", rw.port)),
        "{}",
        again.describe()
    );
    // No server will do: each one's failure, in libpq's words.
    let e = connect("standby").err().unwrap();
    assert_eq!(e.code, "08001");
    let want = format!(
        "connection to server at \"127.0.0.1\", port {down_port} failed: Connection refused\n\
         \tIs the server running on that host and accepting TCP/IP connections?\n\
         connection to server at \"127.0.0.1\", port {} failed: server is not in hot standby mode\n\
         connection to server at \"127.0.0.1\", port {} failed: server is not in hot standby mode",
        ro.port, rw.port
    );
    assert_eq!(e.message, want);
    let e = Remote::connect(&format!(
        "host=127.0.0.1 port={} {base} target_session_attrs=read-write",
        ro.port
    ))
    .err()
    .unwrap();
    assert_eq!(
        e.message,
        format!(
            "connection to server at \"127.0.0.1\", port {} failed: session is read-only",
            ro.port
        )
    );
    // The URL form, a port per host.
    let c = Remote::connect(&format!(
        "postgres://basalt:s3cret%20pass@127.0.0.1:{down_port},127.0.0.1:{}/basalt?sslmode=disable&target_session_attrs=read-write",
        rw.port
    ))
    .unwrap();
    assert_eq!(c.host().port, rw.port);
    // A refused password ends the attempt: the next server is not tried (libpq).
    let e = Remote::connect(&format!(
        "host=127.0.0.1,127.0.0.1 port={},{} user=basalt dbname=basalt password=wrong sslmode=disable",
        ro.port, rw.port
    ))
    .err()
    .unwrap();
    assert_eq!(e.code, "28P01", "{e:?}");
    // connect_timeout bounds each server's attempt: one that accepts and never answers is
    // left for the next.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let start = Instant::now();
    let c = Remote::connect(&format!(
        "host=127.0.0.1,127.0.0.1 port={silent_port},{} {base} connect_timeout=2",
        rw.port
    ))
    .unwrap();
    assert_eq!(c.host().port, rw.port);
    assert!(start.elapsed() < Duration::from_secs(10));
    let e = Remote::connect(&format!(
        "host=127.0.0.1 port={silent_port} {base} connect_timeout=2"
    ))
    .err()
    .unwrap();
    assert_eq!(
        e.message,
        format!(
            "connection to server at \"127.0.0.1\", port {silent_port} failed: timeout expired"
        )
    );
    drop(silent);
}

/// Runs openssl in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let o = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "openssl {args:?}: {o:?}");
}

/// A CA, a server certificate for localhost / 127.0.0.1 signed with SHA-384 (so that the
/// channel binding hash must follow the signature's algorithm) and a client certificate for
/// the role `certuser`, in `dir`.
fn make_certificates(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec![
        "req", "-x509", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
    ];
    ca.extend(ec);
    ca.extend(["-subj", "/CN=test CA"]);
    openssl(dir, &ca);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    std::fs::write(dir.join("client.ext"), "basicConstraints=CA:FALSE\n").unwrap();
    for (name, cn, digest) in [
        ("server", "localhost", "-sha384"),
        ("client", "certuser", "-sha256"),
    ] {
        let (key, csr, crt, ext) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
            format!("{name}.ext"),
        );
        let mut req = vec!["req", "-keyout", &key, "-out", &csr];
        req.extend(ec);
        let subj = format!("/CN={cn}");
        req.extend(["-subj", &subj]);
        openssl(dir, &req);
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "2",
                digest,
                "-extfile",
                &ext,
            ],
        );
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join(&key), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

#[test]
fn postgresql_client_certificates_and_channel_binding() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("BASALT_REQUIRE_CLIENTS").is_none(),
            "openssl is not installed"
        );
        eprintln!("skipped: openssl is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_certificates(d);
    let hba = "local all all trust\n\
               hostssl all certuser 127.0.0.1/32 cert\n\
               hostssl all scramuser 127.0.0.1/32 scram-sha-256\n\
               host all scramuser 127.0.0.1/32 scram-sha-256\n\
               host all all 127.0.0.1/32 trust\n";
    let Some(pg) = common::Pg::start_with(&common::PgOptions {
        ssl: Some(common::PgSsl {
            cert: d.join("server.crt"),
            key: d.join("server.key"),
            ca: Some(d.join("ca.crt")),
        }),
        hba: Some(hba.into()),
        settings: Vec::new(),
    }) else {
        return;
    };
    let mut admin = Remote::connect(&format!(
        "host={} port={} user=postgres dbname=postgres",
        pg.socket_dir().display(),
        pg.port
    ))
    .unwrap();
    run(
        &mut admin,
        "CREATE ROLE certuser LOGIN; CREATE ROLE scramuser LOGIN PASSWORD 'pw'",
    );
    let f = |n: &str| d.join(n).display().to_string();
    let base = format!(
        "host=localhost hostaddr=127.0.0.1 port={} dbname=postgres sslrootcert={}",
        pg.port,
        f("ca.crt")
    );
    let who = |c: &mut Remote| {
        run(
            c,
            "SELECT current_user, s.client_dn FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()",
        )
        .collect
        .results[0]
            .rows[0]
            .clone()
    };

    // The `cert` method: the client certificate is the authentication.
    let mut c = Remote::connect(&format!(
        "{base} user=certuser sslmode=verify-full sslcert={} sslkey={}",
        f("client.crt"),
        f("client.key")
    ))
    .unwrap();
    assert!(c.is_tls());
    assert_eq!(who(&mut c), [some("certuser"), some("/CN=certuser")]);
    // Without one (a file that does not exist is not sent, as libpq).
    let e = Remote::connect(&format!(
        "{base} user=certuser sslmode=require sslcert={} sslkey={}",
        f("none.crt"),
        f("none.key")
    ))
    .err()
    .unwrap();
    assert_eq!(e.code, "28000", "{e:?}");
    // The default files in ~/.postgresql: postgresql.crt / .key, and root.crt for verify-ca.
    let home = d.join("home");
    std::fs::create_dir_all(home.join(".postgresql")).unwrap();
    for (from, to) in [
        ("client.crt", "postgresql.crt"),
        ("client.key", "postgresql.key"),
        ("ca.crt", "root.crt"),
    ] {
        std::fs::copy(d.join(from), home.join(".postgresql").join(to)).unwrap();
    }
    let env = |k: &str| match k {
        "HOME" => Some(home.display().to_string()),
        _ => None,
    };
    let cfg = |extra: &str| {
        client::remote::Config::parse_with(
            &format!(
                "host=127.0.0.1 port={} dbname=postgres user=certuser {extra}",
                pg.port
            ),
            &env,
        )
        .unwrap()
    };
    let mut c = Remote::connect_config(cfg("sslmode=verify-ca")).unwrap();
    assert_eq!(who(&mut c), [some("certuser"), some("/CN=certuser")]);
    // A key others may read is refused before connecting, as libpq.
    use std::os::unix::fs::PermissionsExt;
    let key = home.join(".postgresql/postgresql.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = Remote::connect_config(cfg("sslmode=verify-ca"))
        .err()
        .unwrap();
    assert!(e.message.contains("has group or world access"), "{e:?}");
    // A certificate without its key.
    std::fs::remove_file(&key).unwrap();
    let e = Remote::connect_config(cfg("sslmode=verify-ca"))
        .err()
        .unwrap();
    assert!(
        e.message
            .contains("certificate present, but not private key file"),
        "{e:?}"
    );

    // SCRAM over TLS: PostgreSQL offers SCRAM-SHA-256-PLUS and prefer (the default) takes it;
    // the binding data is the SHA-384 hash of the server's certificate (its signature's).
    let scram = format!("{base} user=scramuser password=pw sslmode=verify-full");
    for (extra, bound) in [
        ("", true),
        ("channel_binding=prefer", true),
        ("channel_binding=require", true),
        ("channel_binding=disable", false),
    ] {
        let mut c = Remote::connect(&format!("{scram} {extra}"))
            .unwrap_or_else(|e| panic!("{extra}: {e:?}"));
        assert_eq!(c.channel_bound(), bound, "{extra}");
        assert_eq!(run(&mut c, "SELECT 1").tags(), ["SELECT 1"]);
    }
    // require without TLS, or with a method that cannot bind: refused as libpq does.
    for (target, why) in [
        (
            format!("{base} user=scramuser password=pw sslmode=disable channel_binding=require"),
            "channel binding is required, but server did not offer an authentication method that supports channel binding",
        ),
        (
            format!("{base} user=postgres sslmode=require channel_binding=require"),
            "channel binding required, but server authenticated client without channel binding",
        ),
        (
            format!(
                "{base} user=certuser sslmode=require channel_binding=require sslcert={} sslkey={}",
                f("client.crt"),
                f("client.key")
            ),
            "channel binding required, but server authenticated client without channel binding",
        ),
    ] {
        let e = Remote::connect(&target).err().unwrap();
        assert_eq!(
            e.message,
            format!(
                "connection to server at \"localhost\" (127.0.0.1), port {} failed: {why}",
                pg.port
            ),
            "{target}"
        );
    }
}
