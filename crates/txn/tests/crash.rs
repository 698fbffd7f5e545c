//! Crash tests with real processes: a child process commits multi-key transactions from several
//! threads and reports each acknowledged commit on stdout; the parent kills it with SIGKILL at a
//! random moment, reopens the database and checks that every acknowledged commit is present and
//! that no transaction is partly visible. Repeated over many cycles on the same directory.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use basalt_storage::{Direction, KeyRange};
use basalt_txn::{IsolationLevel, LocalKv, Options, Transaction, TxnKv, TxnOptions};
use rand::Rng;

const CHILD_ENV: &str = "BASALT_CRASH_CHILD_DIR";
const THREADS: usize = 4;
const KEYS_PER_TXN: usize = 3;

fn row_key(thread: usize, seq: u64, part: usize) -> Vec<u8> {
    format!("row/{thread}/{seq:010}/{part}").into_bytes()
}

/// The child: commits until killed. Each transaction writes KEYS_PER_TXN rows and moves the
/// thread's counter to its sequence number; after `commit` returns Ok it prints "ACK t seq".
#[test]
#[ignore = "child process entry point of the crash tests"]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let options = Options {
        checkpoint_wal_bytes: 256 << 10,
        ..Options::default()
    };
    let kv = LocalKv::open(&dir, options).expect("child opens the database");
    let mut handles = Vec::new();
    for t in 0..THREADS {
        let kv = kv.clone();
        handles.push(std::thread::spawn(move || {
            let counter = format!("counter/{t}").into_bytes();
            let mut txn = kv
                .begin(TxnOptions::isolation(IsolationLevel::RepeatableRead))
                .unwrap();
            let start = txn.get(&counter).unwrap().map_or(0, |v| decode(&v));
            txn.rollback();
            for seq in start + 1.. {
                let mut txn = kv
                    .begin(TxnOptions::isolation(IsolationLevel::RepeatableRead))
                    .unwrap();
                for part in 0..KEYS_PER_TXN {
                    txn.put(row_key(t, seq, part), seq.to_be_bytes().to_vec())
                        .unwrap();
                }
                txn.put(counter.clone(), seq.to_be_bytes().to_vec())
                    .unwrap();
                let info = txn.commit().unwrap();
                assert!(info.durable);
                println!("ACK {t} {seq}");
            }
        }));
    }
    for h in handles {
        let _ = h.join();
    }
}

fn decode(v: &[u8]) -> u64 {
    u64::from_be_bytes(v.try_into().expect("8-byte counter"))
}

/// Checks the database against the acknowledged commits; returns the number of transactions
/// found.
fn verify(dir: &Path, acked: &BTreeMap<usize, u64>) -> u64 {
    let options = Options {
        background: false,
        ..Options::default()
    };
    let kv = LocalKv::open(dir, options).expect("reopen after kill -9");
    let mut txn = kv
        .begin(TxnOptions::isolation(IsolationLevel::RepeatableRead))
        .unwrap();
    let mut found = 0;
    for t in 0..THREADS {
        let counter = txn
            .get(format!("counter/{t}").as_bytes())
            .unwrap()
            .map_or(0, |v| decode(&v));
        let acked_seq = acked.get(&t).copied().unwrap_or(0);
        assert!(
            counter >= acked_seq,
            "thread {t}: acknowledged commit {acked_seq} lost (counter {counter})"
        );
        // Every transaction up to the counter is whole; nothing beyond it exists.
        let rows: Vec<_> = txn
            .scan(
                KeyRange::prefix(format!("row/{t}/").as_bytes()),
                Direction::Forward,
            )
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            rows.len() as u64,
            counter * KEYS_PER_TXN as u64,
            "thread {t}: partial or extra rows"
        );
        for (i, (key, value)) in rows.iter().enumerate() {
            let seq = (i / KEYS_PER_TXN) as u64 + 1;
            assert_eq!(key, &row_key(t, seq, i % KEYS_PER_TXN));
            assert_eq!(decode(value), seq);
        }
        found += counter;
    }
    txn.commit().unwrap();
    found
}

#[test]
fn acknowledged_commits_survive_kill_9() {
    let cycles: usize = std::env::var("BASALT_CRASH_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::rng();
    let mut acked: BTreeMap<usize, u64> = BTreeMap::new();
    let mut total_found = 0;
    for cycle in 0..cycles {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let mut parts = line.split_whitespace();
                if parts.next() == Some("ACK") {
                    let t: usize = parts.next().unwrap().parse().unwrap();
                    let seq: u64 = parts.next().unwrap().parse().unwrap();
                    let _ = tx.send((t, seq));
                }
            }
        });
        // Let it get going (first ACK), then kill at a random moment.
        let first = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("child made no commit");
        let entry = acked.entry(first.0).or_default();
        *entry = (*entry).max(first.1);
        let deadline = Instant::now() + Duration::from_millis(rng.random_range(20..400));
        while Instant::now() < deadline {
            if let Ok((t, seq)) = rx.recv_timeout(Duration::from_millis(5)) {
                let e = acked.entry(t).or_default();
                *e = (*e).max(seq);
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        while let Ok((t, seq)) = rx.try_recv() {
            let e = acked.entry(t).or_default();
            *e = (*e).max(seq);
        }
        total_found = verify(&db, &acked);
        eprintln!(
            "cycle {cycle}: {total_found} transactions present, acknowledged up to {acked:?}"
        );
    }
    assert!(total_found > 0);
}

#[test]
fn second_process_gets_database_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let kv = LocalKv::open(&db, Options::default()).unwrap();
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(&exe)
        .args([
            "--exact",
            "open_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &db)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let pid = std::process::id();
    assert!(
        text.contains(&format!(
            "OPEN-ERROR: database {} is locked by process {pid}",
            db.display()
        )),
        "child said: {text}"
    );
    drop(kv);
}

#[test]
#[ignore = "child process entry point of the crash tests"]
fn open_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    match LocalKv::open(&dir, Options::default()) {
        Ok(_) => println!("OPEN-OK"),
        Err(e) => println!("OPEN-ERROR: {e}"),
    }
}
