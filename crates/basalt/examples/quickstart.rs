//! Opens (or creates) an embedded Basalt database in `./basalt-data` (or the directory given as
//! the first argument), runs a few transactions and prints what they did.
//!
//! Run it twice: the second run finds the first run's committed data.

#![allow(clippy::print_stdout)]

use basalt::{Database, IsolationLevel, KeyRange, Transaction};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "basalt-data".to_string());
    let db = Database::open(&dir)?;
    println!("opened embedded database in {dir}");

    // Count this run durably.
    let mut txn = db.begin(IsolationLevel::Serializable)?;
    let runs = match txn.get(b"meta/runs")? {
        Some(v) => u64::from_be_bytes(v.as_slice().try_into()?) + 1,
        None => 1,
    };
    txn.put(b"meta/runs".to_vec(), runs.to_be_bytes().to_vec())?;
    txn.put(format!("run/{runs:06}").into_bytes(), b"committed".to_vec())?;
    let info = txn.commit()?;
    println!(
        "run {runs} committed at timestamp {:?} (durable: {})",
        info.commit_ts, info.durable
    );

    // A savepoint rolled back leaves no trace.
    let mut txn = db.begin(IsolationLevel::ReadCommitted)?;
    let sp = txn.savepoint();
    txn.put(b"run/scratch".to_vec(), b"never committed".to_vec())?;
    txn.rollback_to_savepoint(sp)?;
    txn.commit()?;

    // Range scan over every run so far.
    let mut txn = db.begin(IsolationLevel::RepeatableRead)?;
    let rows: Vec<_> = txn
        .scan(KeyRange::prefix(b"run/"), basalt::Direction::Forward)?
        .collect();
    println!("{} run records:", rows.len());
    for row in rows.iter().rev().take(5) {
        let (k, v) = row.as_ref().map_err(|e| e.to_string())?;
        println!(
            "  {} = {}",
            String::from_utf8_lossy(k),
            String::from_utf8_lossy(v)
        );
    }
    Ok(())
}
