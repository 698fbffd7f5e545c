//! Benches for Basalt, and the code they need that is not part of Basalt itself.
//!
//! The `engines` bench (`benches/engines.rs`) measures the candidate on-disk engines on Basalt's
//! own access pattern, behind the same [`basalt_storage::Engine`] trait the transaction layer
//! uses: the shipped [`basalt_storage::MemoryEngine`] and
//! [`basalt_storage::redb_engine::RedbEngine`], and [`FjallEngine`], an LSM-tree engine kept
//! here only so that the comparison can be re-run. The decision and the figures are in
//! `docs/storage-engine.md`.
//!
//! [`workload`] holds the key layout and data generation the bench and the smoke tests share,
//! so that what is measured is what is tested.
//!
//! [`embedded`] holds the embedded SQL workloads against SQLite that the `sql` criterion bench
//! and the `embedded_compare` binary (the interleaved comparison, [`embedded::compare`]) share.

#![forbid(unsafe_code)]

pub mod embedded;
pub mod fjall_engine;
pub mod workload;

pub use fjall_engine::FjallEngine;
