//! Key namespaces: several logical databases in one store.
//!
//! A store holds one commit log, one version store and one group-commit pipeline whatever
//! the number of SQL databases in it; each database sees the store through a namespace, a
//! view that puts a fixed prefix before every key it reads or writes and takes it off the
//! keys it scans. The layout of the store's keys:
//!
//! ```text
//!  0x00 ...            shared keys: every namespace reads and writes them as they are
//!                      (the cluster-wide catalogs: roles, the list of databases)
//!  0x01 <id: u32 BE>   the keys of namespace `id`
//!  0x02 ... 0xff       the root namespace (the view without a prefix)
//! ```
//!
//! The root namespace passes keys through unchanged, so a store that never used a namespace
//! reads as it always did, and its users pay nothing. Its keys must not begin with 0x00 or
//! 0x01 (the SQL layer's keys begin with a letter), and a root scan over those bytes sees the
//! shared keys and the other namespaces' keys as they are stored.
//!
//! # Invariants
//!
//! - A key beginning with [`SHARED`] is never prefixed: the same key in every namespace.
//! - A scan is either over shared keys (its start key begins with [`SHARED`]) or over the
//!   namespace's own keys; a range that starts in the shared keys must end there too.
//! - Namespaces share everything else: transactions, locks (a lock is on the stored key),
//!   snapshots, commit timestamps and garbage collection.

use std::ops::Bound;

use basalt_storage::KeyRange;

/// First byte of the keys every namespace shares.
pub const SHARED: u8 = 0x00;
/// First byte of the keys of the numbered namespaces.
pub const NAMESPACED: u8 = 0x01;
/// The smallest key of the root namespace's own space: keys at or above it belong to it.
pub const ROOT_START: &[u8] = &[0x02];

/// A namespace's key prefix: [`NAMESPACED`] and its id, big-endian.
pub type Prefix = [u8; 5];

/// The prefix of namespace `id`.
pub fn prefix(id: u32) -> Prefix {
    let b = id.to_be_bytes();
    [NAMESPACED, b[0], b[1], b[2], b[3]]
}

/// The namespace a stored key belongs to (`None`: a shared or root key).
pub fn namespace_of(stored: &[u8]) -> Option<u32> {
    match stored {
        [NAMESPACED, a, b, c, d, ..] => Some(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => None,
    }
}

/// Whether a key is shared by every namespace.
pub fn is_shared(key: &[u8]) -> bool {
    key.first() == Some(&SHARED)
}

/// A key as stored: borrowed when the namespace leaves it as it is, else built on the stack
/// (the reads of a namespaced database allocate nothing for keys up to 59 bytes).
pub enum StoredKey<'a> {
    /// The key itself (root namespace, or a shared key).
    Same(&'a [u8]),
    /// The namespace's prefix and the key.
    Prefixed(smallvec::SmallVec<[u8; 64]>),
}

impl std::ops::Deref for StoredKey<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            StoredKey::Same(k) => k,
            StoredKey::Prefixed(k) => k,
        }
    }
}

/// The stored form of `key` as namespace `ns` (`None`: the root) sees it.
pub fn stored_key<'a>(ns: Option<&Prefix>, key: &'a [u8]) -> StoredKey<'a> {
    match ns {
        Some(p) if !is_shared(key) => {
            let mut k = smallvec::SmallVec::with_capacity(p.len() + key.len());
            k.extend_from_slice(p);
            k.extend_from_slice(key);
            StoredKey::Prefixed(k)
        }
        _ => StoredKey::Same(key),
    }
}

/// [`stored_key`] for an owned key.
pub fn stored_key_owned(ns: Option<&Prefix>, key: Vec<u8>) -> Vec<u8> {
    match ns {
        Some(p) if !is_shared(&key) => {
            let mut k = Vec::with_capacity(p.len() + key.len());
            k.extend_from_slice(p);
            k.extend_from_slice(&key);
            k
        }
        _ => key,
    }
}

/// The stored keys namespace `id` owns (`None`: the root's own keys, above the shared keys
/// and the numbered namespaces).
pub fn own_range(id: Option<u32>) -> KeyRange {
    match id {
        Some(id) => KeyRange::prefix(&prefix(id)),
        None => KeyRange {
            start: Bound::Included(ROOT_START.to_vec()),
            end: Bound::Unbounded,
        },
    }
}

/// The stored range of a scan of `range` in namespace `ns`, and how many bytes to take off
/// the front of the keys it returns.
pub fn stored_range(ns: Option<&Prefix>, range: KeyRange) -> (KeyRange, usize) {
    let Some(p) = ns else {
        return (range, 0);
    };
    let shared = match &range.start {
        Bound::Included(s) | Bound::Excluded(s) => is_shared(s),
        Bound::Unbounded => false,
    };
    if shared {
        return (range, 0);
    }
    let join = |k: Vec<u8>| {
        let mut v = Vec::with_capacity(p.len() + k.len());
        v.extend_from_slice(p);
        v.extend_from_slice(&k);
        v
    };
    let start = match range.start {
        Bound::Included(s) => Bound::Included(join(s)),
        Bound::Excluded(s) => Bound::Excluded(join(s)),
        Bound::Unbounded => Bound::Included(p.to_vec()),
    };
    let end = match range.end {
        Bound::Included(e) => Bound::Included(join(e)),
        Bound::Excluded(e) => Bound::Excluded(join(e)),
        Bound::Unbounded => match basalt_storage::prefix_successor(p) {
            Some(next) => Bound::Excluded(next),
            None => Bound::Unbounded,
        },
    };
    (KeyRange { start, end }, p.len())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keys_map_into_the_namespace_except_shared_ones() {
        let p = prefix(7);
        assert_eq!(&*stored_key(None, b"tabc"), b"tabc");
        assert_eq!(&*stored_key(Some(&p), b"tabc"), b"\x01\0\0\0\x07tabc");
        assert_eq!(&*stored_key(Some(&p), b"\0roles"), b"\0roles");
        assert_eq!(
            stored_key_owned(Some(&p), b"x".to_vec()),
            b"\x01\0\0\0\x07x"
        );
        assert_eq!(namespace_of(b"\x01\0\0\0\x07x"), Some(7));
        assert_eq!(namespace_of(b"tx"), None);
    }

    #[test]
    fn ranges_stay_inside_the_namespace() {
        let p = prefix(7);
        let (r, strip) = stored_range(Some(&p), KeyRange::all());
        assert_eq!(strip, 5);
        assert!(r.contains(b"\x01\0\0\0\x07"));
        assert!(r.contains(b"\x01\0\0\0\x07\xff\xff"));
        assert!(!r.contains(b"\x01\0\0\0\x08"));
        assert!(!r.contains(b"\x01\0\0\0\x06\xff"));
        let (r, _) = stored_range(Some(&p), KeyRange::prefix(b"t"));
        assert!(r.contains(b"\x01\0\0\0\x07t1"));
        assert!(!r.contains(b"\x01\0\0\0\x07u"));
        let (r, strip) = stored_range(Some(&p), KeyRange::prefix(b"\0db"));
        assert_eq!(strip, 0);
        assert!(r.contains(b"\0db1"));
        let last = prefix(u32::MAX);
        let (r, _) = stored_range(Some(&last), KeyRange::all());
        assert!(r.contains(b"\x01\xff\xff\xff\xff\x05"));
        assert!(!r.contains(b"\x02"));
    }
}

#[cfg(test)]
mod store_tests {
    #![allow(clippy::unwrap_used)]
    use basalt_storage::{Direction, KeyRange};

    use crate::{IsolationLevel, LocalKv, Transaction, TxnKv, TxnOptions};

    fn begin(kv: &LocalKv) -> crate::LocalTxn {
        kv.begin(TxnOptions::isolation(IsolationLevel::RepeatableRead))
            .unwrap()
    }

    fn keys(t: &mut crate::LocalTxn, range: KeyRange) -> Vec<Vec<u8>> {
        t.scan(range, Direction::Forward)
            .unwrap()
            .map(|r| r.unwrap().0)
            .collect()
    }

    #[test]
    fn namespaces_are_separate_and_share_the_shared_keys() {
        let root = LocalKv::memory();
        let a = root.namespace(1);
        let b = root.namespace(2);
        let mut t = begin(&a);
        t.put(b"tk".to_vec(), b"a".to_vec()).unwrap();
        t.put(b"\0shared".to_vec(), b"s".to_vec()).unwrap();
        assert_eq!(t.put_new(b"tn", b"1").unwrap(), None);
        t.commit().unwrap();
        let mut t = begin(&b);
        assert_eq!(t.get(b"tk").unwrap(), None);
        assert_eq!(t.get(b"\0shared").unwrap(), Some(b"s".to_vec()));
        t.put(b"tk".to_vec(), b"b".to_vec()).unwrap();
        t.commit().unwrap();
        let mut t = begin(&a);
        assert_eq!(t.get(b"tk").unwrap(), Some(b"a".to_vec()));
        assert_eq!(t.get_latest(b"tk").unwrap(), Some(b"a".to_vec()));
        assert_eq!(
            keys(&mut t, KeyRange::all()),
            [b"tk".to_vec(), b"tn".to_vec()]
        );
        assert_eq!(
            keys(&mut t, KeyRange::prefix(b"\0")),
            [b"\0shared".to_vec()]
        );
        t.delete(b"tn".to_vec()).unwrap();
        t.commit().unwrap();
        // The root sees the keys as stored.
        let mut t = begin(&root.root());
        assert_eq!(
            keys(&mut t, KeyRange::all()),
            [
                b"\0shared".to_vec(),
                b"\x01\0\0\0\x01tk".to_vec(),
                b"\x01\0\0\0\x02tk".to_vec()
            ]
        );
        assert_eq!(
            keys(&mut t, KeyRange::prefix(super::ROOT_START)),
            Vec::<Vec<u8>>::new()
        );
    }

    #[test]
    fn sizes_count_each_namespace_and_own_writes() {
        let root = LocalKv::memory();
        let (a, b) = (root.namespace(1), root.namespace(2));
        let size = |kv: &LocalKv, id: Option<u32>| {
            let mut t = begin(kv);
            let all = t.approximate_size(KeyRange::all()).unwrap();
            let ns = t.namespace_size(id).unwrap().unwrap();
            (all, ns)
        };
        assert_eq!(size(&a, Some(1)), (0, 0));
        let mut t = begin(&a);
        t.put(b"tk".to_vec(), vec![7; 100]).unwrap();
        // Uncommitted writes count for their writer only.
        let own = t.approximate_size(KeyRange::prefix(b"t")).unwrap();
        assert!(own >= 102, "{own}");
        assert_eq!(t.approximate_size(KeyRange::prefix(b"u")).unwrap(), 0);
        assert_eq!(size(&a, Some(1)), (0, 0));
        t.put(b"\0shared".to_vec(), vec![1; 50]).unwrap();
        t.commit().unwrap();
        let (all, ns) = size(&a, Some(1));
        assert!(all > 102 && all < 102 + 50, "{all}");
        assert_eq!(all, ns);
        // From another namespace and from the root: the same figure; the root's own keys
        // and namespace 2 hold nothing, and the shared key is in no namespace.
        assert_eq!(size(&b, Some(1)).1, ns);
        assert_eq!(size(&b, Some(2)), (0, 0));
        assert_eq!(size(&root.root(), None).1, 0);
        let mut t = begin(&root.root());
        let shared = t.approximate_size(KeyRange::prefix(b"\0")).unwrap();
        assert!(shared >= 57, "{shared}");
        t.put(b"tr".to_vec(), vec![1; 10]).unwrap();
        t.commit().unwrap();
        assert!(size(&root.root(), None).1 >= 12);
        // An update keeps the old version until garbage collection: the size grows.
        let mut t = begin(&a);
        t.put(b"tk".to_vec(), vec![8; 100]).unwrap();
        t.commit().unwrap();
        let grown = size(&a, Some(1)).1;
        assert!(grown > ns + 100, "{grown} {ns}");
        // A checkpoint moves versions from memory to the engine, same bytes.
        root.checkpoint().unwrap();
        assert_eq!(size(&a, Some(1)).1, grown);
    }

    #[test]
    fn locks_are_on_the_stored_key() {
        let root = LocalKv::memory();
        let (a, b) = (root.namespace(1), root.namespace(2));
        let mut t1 = begin(&a);
        t1.put(b"tk".to_vec(), b"1".to_vec()).unwrap();
        // The same key in another namespace is another row: no wait.
        let mut t2 = begin(&b);
        t2.put(b"tk".to_vec(), b"2".to_vec()).unwrap();
        t2.commit().unwrap();
        t1.commit().unwrap();
    }
}
