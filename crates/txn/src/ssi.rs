//! Serializable snapshot isolation: rw-dependency tracking among SERIALIZABLE transactions.
//!
//! # Background
//! Snapshot isolation allows exactly the anomalies whose dependency graph contains a *dangerous
//! structure*: two consecutive rw-antidependencies `T1 -rw-> T2 -rw-> T3` between concurrent
//! transactions, where `T3` commits first (Fekete et al.; Cahill's SSI; Ports and Grittner's
//! PostgreSQL implementation). `T1 -rw-> T2` means T1 read a version of a key (or a range) that
//! T2 overwrote, T2's write being invisible to T1's snapshot. `T1` and `T3` may be the same
//! transaction (write skew). Aborting one transaction of every dangerous structure before it
//! completes makes the committed SERIALIZABLE transactions serializable.
//!
//! # How Basalt detects them
//! A SERIALIZABLE transaction records what it read (point keys, and the key ranges it scanned,
//! which covers phantoms) and what it wrote, privately. All checking happens at commit, under
//! the commit mutex, against the *retained* committed serializable transactions:
//! - out-edges `C -rw-> Y`: Y committed after C's snapshot and wrote something C read;
//! - in-edges `X -rw-> C`: X committed after C's snapshot and read something C writes.
//!
//! Each edge is found when the later of its two ends commits, so when the last transaction of a
//! dangerous structure commits, every edge of the structure is known, and that last committer
//! is refused:
//! - (a) C is the pivot: an in-edge from X and an out-edge to Y with Y committed no later than
//!   X (X = Y is write skew);
//! - (b) C is T1: an out-edge to P where P, when it committed, had an out-edge to a transaction
//!   that committed before P (recorded as `earliest_out`).
//!
//! C cannot be T3 of a new structure, since T3 must commit first. PostgreSQL's read-only
//! optimisation is applied: when T1 is read-only, the structure is only dangerous if T3 committed
//! before T1's snapshot.
//!
//! This is lazier than PostgreSQL (which also reacts to edges with running transactions, and
//! can fail a statement before commit), so failures come at commit, and it is conservative in the
//! same way (a structure does not always mean a cycle), so some transactions fail that a precise
//! cycle test would let through. It never lets a dangerous structure commit.
//!
//! A committed record is kept while some running transaction's snapshot predates its commit
//! (only then can it still be part of a structure with a later committer).

use std::collections::{HashSet, VecDeque};

use basalt_storage::KeyRange;

use crate::kv::Ts;

/// What a SERIALIZABLE transaction read and wrote.
#[derive(Debug, Default)]
pub struct RwSet {
    /// Point keys read (whether found or not).
    pub reads: HashSet<Vec<u8>>,
    /// Ranges scanned.
    pub ranges: Vec<KeyRange>,
    /// Keys written.
    pub writes: Vec<Vec<u8>>,
}

impl RwSet {
    fn read_covers(&self, key: &[u8]) -> bool {
        self.reads.contains(key) || self.ranges.iter().any(|r| r.contains(key))
    }

    fn read_any_of(&self, keys: &[Vec<u8>]) -> bool {
        keys.iter().any(|k| self.read_covers(k))
    }
}

struct Committed {
    snapshot: Ts,
    commit: Ts,
    read_only: bool,
    rw: RwSet,
    /// The earliest commit among the transactions this one had an rw out-edge to when it
    /// committed.
    earliest_out: Option<Ts>,
}

/// The retained committed SERIALIZABLE transactions, in commit order.
#[derive(Default)]
pub struct SsiState {
    committed: VecDeque<Committed>,
}

impl SsiState {
    /// Decides whether a SERIALIZABLE transaction with `snapshot` and `rw` may commit at
    /// `commit`; if so, records it. `oldest_active_snapshot` is the oldest snapshot still in use
    /// by any transaction (records older than it are dropped).
    pub fn try_commit(
        &mut self,
        snapshot: Ts,
        commit: Ts,
        rw: RwSet,
        oldest_active_snapshot: Option<Ts>,
    ) -> bool {
        let read_only = rw.writes.is_empty();
        let mut earliest_out: Option<Ts> = None;
        let mut in_bound: Option<Ts> = None; // latest "commit point" among in-edges
        for other in self.committed.iter().filter(|o| o.commit > snapshot) {
            // Out-edge C -> other: other wrote what C read.
            if rw.read_any_of(&other.rw.writes) {
                earliest_out = Some(earliest_out.map_or(other.commit, |e| e.min(other.commit)));
                // (b): C -> other -> Y with Y committed before `other`.
                if let Some(y) = other.earliest_out
                    && (!read_only || y <= snapshot)
                {
                    return false;
                }
            }
            // In-edge other -> C: other read what C writes.
            if !read_only && other.rw.read_any_of(&rw.writes) {
                let bound = if other.read_only {
                    other.snapshot
                } else {
                    other.commit
                };
                in_bound = Some(in_bound.map_or(bound, |b| b.max(bound)));
            }
        }
        // (a): X -> C -> Y with Y committed no later than X (or before X's snapshot when X is
        // read-only).
        if let (Some(y), Some(x)) = (earliest_out, in_bound)
            && y <= x
        {
            return false;
        }
        self.committed.push_back(Committed {
            snapshot,
            commit,
            read_only,
            rw,
            earliest_out,
        });
        self.prune(oldest_active_snapshot);
        true
    }

    /// Drops records no running transaction can still form a structure with.
    pub fn prune(&mut self, oldest_active_snapshot: Option<Ts>) {
        match oldest_active_snapshot {
            None => self.committed.clear(),
            Some(oldest) => {
                while self.committed.front().is_some_and(|c| c.commit <= oldest) {
                    self.committed.pop_front();
                }
            }
        }
    }

    /// Number of retained records (for tests and monitoring).
    pub fn retained(&self) -> usize {
        self.committed.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(reads: &[&str], writes: &[&str]) -> RwSet {
        RwSet {
            reads: reads.iter().map(|r| r.as_bytes().to_vec()).collect(),
            ranges: Vec::new(),
            writes: writes.iter().map(|w| w.as_bytes().to_vec()).collect(),
        }
    }

    #[test]
    fn write_skew_second_committer_fails() {
        let mut s = SsiState::default();
        // T1 and T2 both start at 10; T1 reads x,y writes x; T2 reads x,y writes y.
        assert!(s.try_commit(10, 11, rw(&["x", "y"], &["x"]), Some(10)));
        assert!(!s.try_commit(10, 12, rw(&["x", "y"], &["y"]), Some(10)));
    }

    #[test]
    fn single_rw_edge_commits() {
        let mut s = SsiState::default();
        // T2 writes x and commits; T1 (read x at old snapshot) writes y: T1 -> T2 only.
        assert!(s.try_commit(10, 11, rw(&[], &["x"]), Some(10)));
        assert!(s.try_commit(10, 12, rw(&["x"], &["y"]), Some(10)));
    }

    #[test]
    fn read_only_anomaly_is_refused_only_when_t3_precedes_the_snapshot() {
        // Fekete's example: T2 (pivot) reads x,y and writes y... here T3 writes x and commits
        // first, T2 read x and writes y, T1 read-only reads x and y after T3 but before T2.
        let mut s = SsiState::default();
        assert!(s.try_commit(10, 11, rw(&[], &["x"]), Some(10))); // T3
        // T1 read-only with snapshot 11 (sees T3) reads y, which T2 will write.
        // T2 (snapshot 10) read x (old), writes y: out-edge to T3; commits at 12.
        assert!(s.try_commit(10, 12, rw(&["x"], &["y"]), Some(10)));
        // T1 -> T2 (read y before T2), T2 -> T3, T3 committed at 11 <= T1's snapshot 11.
        assert!(!s.try_commit(11, 13, rw(&["y", "x"], &[]), Some(10)));
        // A read-only transaction whose snapshot predates T3 is fine.
        assert!(s.try_commit(10, 14, rw(&["y"], &[]), Some(10)));
    }

    #[test]
    fn range_reads_see_phantoms() {
        let mut s = SsiState::default();
        let mut a = rw(&[], &["a/5"]);
        a.ranges.push(KeyRange::prefix(b"b/"));
        let mut b = rw(&[], &["b/7"]);
        b.ranges.push(KeyRange::prefix(b"a/"));
        assert!(s.try_commit(10, 11, a, Some(10)));
        assert!(!s.try_commit(10, 12, b, Some(10)));
    }

    #[test]
    fn records_are_pruned_when_no_snapshot_needs_them() {
        let mut s = SsiState::default();
        assert!(s.try_commit(10, 11, rw(&["x"], &["x"]), Some(10)));
        assert!(s.try_commit(10, 12, rw(&["z"], &["z"]), Some(10)));
        assert_eq!(s.retained(), 2);
        s.prune(Some(11));
        assert_eq!(s.retained(), 1);
        s.prune(None);
        assert_eq!(s.retained(), 0);
    }
}
