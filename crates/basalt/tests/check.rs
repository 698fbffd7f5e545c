//! `bt_index_check` finds an index that disagrees with its table: entries removed, added or
//! changed, and rows stored under the wrong key, written behind the SQL layer's back through
//! the key-value interface.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap too

use basalt::{Database, Direction, IsolationLevel, KeyRange, Transaction};

fn oid(db: &Database, name: &str) -> u32 {
    let r = db
        .execute(&format!("SELECT '{name}'::regclass::oid"))
        .unwrap();
    r[0].rows[0][0].as_deref().unwrap().parse().unwrap()
}

/// The stored pairs under `prefix` + OID.
fn pairs(db: &Database, prefix: u8, oid: u32) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut p = vec![prefix];
    p.extend_from_slice(&oid.to_be_bytes());
    let mut txn = db.begin(IsolationLevel::RepeatableRead).unwrap();
    let out = txn
        .scan(KeyRange::prefix(&p), Direction::Forward)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    txn.commit().unwrap();
    out
}

fn change(db: &Database, f: impl FnOnce(&mut basalt::LocalTxn)) {
    let mut txn = db.begin(IsolationLevel::RepeatableRead).unwrap();
    f(&mut txn);
    txn.commit().unwrap();
}

/// The SQLSTATE and message of `bt_index_check(index, all)`, or `None` if it passes.
fn check(db: &Database, index: &str, all: bool) -> Option<(String, String)> {
    match db.execute(&format!("SELECT bt_index_check('{index}', {all})")) {
        Ok(_) => None,
        Err(e) => Some((e.code().to_string(), e.message())),
    }
}

fn setup() -> Database {
    let db = Database::memory();
    db.execute(
        "CREATE TABLE t (id int PRIMARY KEY, a int, b text UNIQUE);
         CREATE INDEX t_a ON t (a);
         INSERT INTO t SELECT g, g % 10, 'b' || g FROM generate_series(1, 100) g",
    )
    .unwrap();
    for i in ["t_pkey", "t_a", "t_b_key"] {
        assert_eq!(check(&db, i, true), None, "{i}");
    }
    db
}

#[test]
fn a_missing_entry_is_found_with_heapallindexed() {
    let db = setup();
    let entries = pairs(&db, b'i', oid(&db, "t_a"));
    assert_eq!(entries.len(), 100);
    change(&db, |t| t.delete(entries[17].0.clone()).unwrap());
    // The entries that are there are right; a row lacks its entry.
    assert_eq!(check(&db, "t_a", false), None);
    let (code, msg) = check(&db, "t_a", true).unwrap();
    assert_eq!(code, "XX002");
    assert!(
        msg.contains("lacks matching index entry within index \"t_a\""),
        "{msg}"
    );
}

#[test]
fn an_entry_for_a_missing_row_or_with_a_wrong_key_is_found() {
    let db = setup();
    let t = oid(&db, "t");
    let rows = pairs(&db, b't', t);
    // A row removed behind the index: its entries point at nothing.
    change(&db, |txn| txn.delete(rows[5].0.clone()).unwrap());
    let (code, msg) = check(&db, "t_b_key", false).unwrap();
    assert_eq!(code, "XX002");
    assert!(msg.contains("that does not exist"), "{msg}");

    // An entry whose key does not match its row's values.
    let db = setup();
    let entries = pairs(&db, b'i', oid(&db, "t_b_key"));
    let (key, row) = entries[3].clone();
    let mut wrong = key.clone();
    *wrong.last_mut().unwrap() ^= 1;
    change(&db, |txn| {
        txn.delete(key).unwrap();
        txn.put(wrong, row).unwrap();
    });
    let (code, msg) = check(&db, "t_b_key", false).unwrap();
    assert_eq!(code, "XX002");
    assert!(msg.contains("whose key values give"), "{msg}");
}

#[test]
fn an_entry_naming_no_row_of_the_table_is_found() {
    let db = setup();
    let entries = pairs(&db, b'i', oid(&db, "t_a"));
    // The catalog version key: not a row of t (and shorter than any row key).
    change(&db, |txn| {
        txn.put(entries[0].0.clone(), b"cv".to_vec()).unwrap()
    });
    let (code, msg) = check(&db, "t_a", false).unwrap();
    assert_eq!(code, "XX002");
    assert!(msg.contains("which is no row key of table"), "{msg}");
}

#[test]
fn a_row_under_the_wrong_primary_key_is_found() {
    let db = setup();
    let rows = pairs(&db, b't', oid(&db, "t"));
    let (key, value) = rows[0].clone();
    let mut moved = key.clone();
    *moved.last_mut().unwrap() ^= 0x40;
    change(&db, |txn| {
        txn.delete(key).unwrap();
        txn.put(moved, value).unwrap();
    });
    let (code, msg) = check(&db, "t_pkey", true).unwrap();
    assert_eq!(code, "XX002");
    assert!(msg.contains("is stored under key"), "{msg}");
}

#[test]
fn an_undecodable_row_is_data_corruption() {
    let db = setup();
    let rows = pairs(&db, b't', oid(&db, "t"));
    change(&db, |txn| {
        txn.put(rows[9].0.clone(), vec![0xff, 0xfe]).unwrap()
    });
    let (code, msg) = check(&db, "t_a", true).unwrap();
    assert_eq!(code, "XX001");
    assert!(msg.contains("cannot be read"), "{msg}");
}
