//! A quick check that the bench's fjall engine keeps the `Engine` contract, so the bench
//! compares engines that do the same work.

#![allow(clippy::unwrap_used, reason = "test code: a failure should panic")]

use std::ops::Bound;

use basalt_bench::FjallEngine;
use basalt_bench::workload::{Dataset, read_row, scan_rows, version_key};
use basalt_storage::{Direction, Engine, KeyRange, WriteBatch};

fn keys(e: &dyn Engine, range: KeyRange, dir: Direction) -> Vec<Vec<u8>> {
    e.scan(range, dir).unwrap().map(|r| r.unwrap().0).collect()
}

#[test]
fn fjall_engine_keeps_the_engine_contract() {
    let dir = tempfile::tempdir().unwrap();
    let e = FjallEngine::open(dir.path()).unwrap();
    let mut b = WriteBatch::new();
    b.put("a", "1");
    b.put("b", "2");
    b.put("c", "3");
    b.delete("b");
    b.put("d", "4");
    e.write(b).unwrap();
    assert_eq!(e.get(b"a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(e.get(b"b").unwrap(), None);

    let snap = e.snapshot().unwrap();
    let mut open_scan = e.scan(KeyRange::all(), Direction::Reverse).unwrap();
    let mut b = WriteBatch::new();
    b.delete("a");
    b.put("e", "5");
    e.write(b).unwrap();

    assert_eq!(snap.get(b"a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(snap.get(b"e").unwrap(), None);
    assert_eq!(open_scan.next().unwrap().unwrap().0, b"d".to_vec());
    assert_eq!(
        keys(&e, KeyRange::all(), Direction::Forward),
        [b"c", b"d", b"e"]
    );
    let bounded = KeyRange {
        start: Bound::Excluded(b"c".to_vec()),
        end: Bound::Included(b"e".to_vec()),
    };
    assert_eq!(keys(&e, bounded, Direction::Reverse), [b"e", b"d"]);
    assert!(keys(&e, KeyRange::new("e", "c"), Direction::Forward).is_empty());
    assert_eq!(keys(&e, KeyRange::prefix(b"d"), Direction::Forward), [b"d"]);

    e.sync().unwrap();
    drop(snap);
    drop(open_scan);
    drop(e);
    let e = FjallEngine::open(dir.path()).unwrap();
    assert_eq!(
        keys(&e, KeyRange::all(), Direction::Forward),
        [b"c", b"d", b"e"]
    );
}

#[test]
fn fjall_engine_serves_the_bench_workload() {
    let dir = tempfile::tempdir().unwrap();
    let e = FjallEngine::open(dir.path()).unwrap();
    let mut d = Dataset::new(1000);
    assert_eq!(d.load(&e, 256).unwrap(), 1750);
    assert_eq!(read_row(&e, 4, 25).unwrap().unwrap().0, version_key(4, 20));
    assert_eq!(scan_rows(&e, 100, 100, u64::MAX).unwrap().0, 100);
    e.write(d.gc_batch(256)).unwrap();
    e.write(d.applier_batch(16)).unwrap();
    e.sync().unwrap();
    assert!(e.disk_space().unwrap() > 0);
    assert_eq!(scan_rows(&e, 0, 1000, u64::MAX).unwrap().0, 1000);
}
