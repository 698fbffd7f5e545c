//! A client that misbehaves loses only its own connection: garbage, truncated and oversized
//! messages, and disconnecting in the middle of a transaction or a COPY. Its open
//! transaction is rolled back (row locks released, no partial rows), and other sessions do
//! not notice.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{Raw, Server, sqlstate};

#[test]
fn garbage_before_startup_closes_only_that_connection() {
    let s = Server::start();
    let mut c = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.write_all(&[0xff; 64]).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 64];
    // The server closes it (possibly after a FATAL message).
    let mut total = 0;
    loop {
        match std::io::Read::read(&mut c, &mut buf) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                panic!("the server kept the connection open after garbage")
            }
            Err(_) => break,
        }
        assert!(total < 4096);
    }
    assert_eq!(s.sql("SELECT 1"), "1\n");
}

#[test]
fn unknown_message_type_is_a_protocol_violation() {
    let s = Server::start();
    let mut r = Raw::connect(s.port);
    r.send(b'!', b"whatever");
    let (t, body) = r.read().unwrap();
    assert_eq!(t, b'E');
    assert_eq!(sqlstate(&body), "08P01");
    assert!(r.read().is_none(), "the connection is closed");
    assert_eq!(s.sql("SELECT 2"), "2\n");
}

#[test]
fn truncated_and_oversized_messages() {
    let s = Server::start_with(common::TRUST_ALL, &["--max-message-size", "1000"]);
    // Oversized: refused before it is read.
    let mut r = Raw::connect(s.port);
    r.query(&format!("SELECT '{}'", "x".repeat(2000)));
    let (t, body) = r.read().unwrap();
    assert_eq!(t, b'E');
    assert_eq!(sqlstate(&body), "08P01");
    assert!(r.read().is_none());
    // Within the limit it works.
    let mut r = Raw::connect(s.port);
    r.query(&format!("SELECT '{}'", "x".repeat(500)));
    let msgs = r.until_ready();
    assert!(msgs.iter().any(|(t, _)| *t == b'D'));
    // Truncated: half a message, then the client goes away.
    let mut r = Raw::connect(s.port);
    r.s.write_all(&[b'Q', 0, 0, 0, 100, b'S', b'E']).unwrap();
    drop(r);
    // A length below 4 is garbage.
    let mut r = Raw::connect(s.port);
    r.s.write_all(&[b'Q', 0, 0, 0, 2]).unwrap();
    let (t, body) = r.read().unwrap();
    assert_eq!(t, b'E');
    assert_eq!(sqlstate(&body), "08P01");
    assert_eq!(s.sql("SELECT 3"), "3\n");
}

#[test]
fn disconnect_in_a_transaction_rolls_back_and_releases_locks() {
    let s = Server::start();
    s.sql("CREATE TABLE acct (id int PRIMARY KEY, v int); INSERT INTO acct VALUES (1, 0)");
    let mut r = Raw::connect(s.port);
    r.query("BEGIN; UPDATE acct SET v = 99 WHERE id = 1");
    let msgs = r.until_ready();
    assert_eq!(msgs.last().map(|m| m.1.clone()), Some(vec![b'T']));
    drop(r);
    // The row lock goes with the connection: another session updates at once.
    let start = Instant::now();
    assert_eq!(
        s.sql("SET lock_timeout = '20s'; UPDATE acct SET v = v + 1 WHERE id = 1 RETURNING v"),
        "SET\n1\nUPDATE 1\n"
    );
    assert!(start.elapsed() < Duration::from_secs(15));
}

#[test]
fn disconnect_in_the_middle_of_copy_leaves_no_rows() {
    let s = Server::start();
    s.sql("CREATE TABLE c (id int PRIMARY KEY, t text)");
    let mut r = Raw::connect(s.port);
    r.query("COPY c FROM STDIN");
    let (t, _) = r.read().unwrap();
    assert_eq!(t, b'G', "CopyInResponse");
    let mut data = String::new();
    for i in 0..10_000 {
        data.push_str(&format!("{i}\trow {i}\n"));
    }
    r.send(b'd', data.as_bytes());
    // Half a row more, then the connection drops without CopyDone.
    r.send(b'd', b"10000\thal");
    drop(r);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(s.sql("SELECT count(*) FROM c"), "0\n");
    // The table takes a COPY from someone else afterwards.
    let mut r = Raw::connect(s.port);
    r.query("COPY c FROM STDIN");
    assert_eq!(r.read().unwrap().0, b'G');
    r.send(b'd', b"1\tone\n2\ttwo\n");
    r.send(b'c', b"");
    let msgs = r.until_ready();
    let tags: Vec<String> = msgs
        .iter()
        .filter(|(t, _)| *t == b'C')
        .map(|(_, b)| String::from_utf8_lossy(&b[..b.len() - 1]).into_owned())
        .collect();
    assert_eq!(tags, ["COPY 2"]);
    // CopyFail ends a COPY with 57014 and nothing inserted.
    r.query("COPY c FROM STDIN");
    assert_eq!(r.read().unwrap().0, b'G');
    r.send(b'd', b"3\tthree\n");
    r.send(b'f', b"client gave up\0");
    let msgs = r.until_ready();
    let err = msgs.iter().find(|(t, _)| *t == b'E').unwrap();
    assert_eq!(sqlstate(&err.1), "57014");
    assert!(String::from_utf8_lossy(&err.1).contains("COPY from stdin failed: client gave up"));
    assert_eq!(s.sql("SELECT count(*) FROM c"), "2\n");
}
