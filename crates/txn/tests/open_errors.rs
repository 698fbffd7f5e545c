//! Opening something that is not a healthy Basalt database gives a clear error and changes
//! nothing on disk.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use basalt_txn::{LocalKv, Options, Transaction, TxnKv, TxnOptions};

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn open_err(path: &Path) -> String {
    match LocalKv::open(path, Options::default()) {
        Ok(_) => panic!("{} opened", path.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_directory_of_other_files_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
    let before = snapshot(dir.path());
    let err = open_err(dir.path());
    assert!(err.contains("not a Basalt database"), "{err}");
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn a_plain_file_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data.db");
    std::fs::write(&file, b"SQLite format 3\0 and more").unwrap();
    let err = open_err(&file);
    assert!(err.contains("not a directory"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"SQLite format 3\0 and more");
}

fn populated() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let kv = LocalKv::open(&db, Options::default()).unwrap();
    for i in 0..50u32 {
        let mut t = kv.begin(TxnOptions::default()).unwrap();
        t.put(i.to_be_bytes().to_vec(), vec![7; 300]).unwrap();
        t.commit().unwrap();
    }
    kv.checkpoint().unwrap();
    let mut t = kv.begin(TxnOptions::default()).unwrap();
    t.put(b"after".to_vec(), b"checkpoint".to_vec()).unwrap();
    t.commit().unwrap();
    drop(kv);
    (dir, db)
}

#[test]
fn a_corrupt_data_file_is_refused_untouched() {
    let (_dir, db) = populated();
    let data = db.join("data.redb");
    let mut bytes = std::fs::read(&data).unwrap();
    for b in bytes.iter_mut().take(64) {
        *b ^= 0x5A;
    }
    std::fs::write(&data, &bytes).unwrap();
    let before = snapshot(&db);
    let err = open_err(&db);
    assert!(
        err.contains("data.redb") && err.contains("not a redb database"),
        "{err}"
    );
    assert_eq!(snapshot(&db), before, "a failed open changed files: {err}");
}

#[test]
fn a_corrupt_marker_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    drop(LocalKv::open(&db, Options::default()).unwrap());
    std::fs::write(db.join("BASALT"), "something else\n").unwrap();
    let before = snapshot(&db);
    let err = open_err(&db);
    assert!(err.contains("unknown format"), "{err}");
    assert_eq!(snapshot(&db), before);
}
