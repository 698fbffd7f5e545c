//! Transactions (being written).

pub mod wal;
