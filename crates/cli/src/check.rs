//! `basalt check`: verifies a database's integrity.
//!
//! For a database directory, two steps:
//!
//! 1. **The commit log**, read only ([`basalt_txn::wal::verify`]): every segment's header,
//!    every record's frame and checksum, and whether damage at the end is a torn tail (records
//!    never acknowledged, which the next open cuts: a warning) or the loss of a record that
//!    had been made durable (an error). A damaged log stops the check before anything opens
//!    the directory, so the check changes nothing on disk.
//! 2. **Tables and indexes**, in every database of the directory: the directory is opened
//!    (which replays the log as any open does; the data file's own pages are checksummed by
//!    the storage engine as they are read), and `bt_index_check(index, true)` runs on each
//!    index: every entry names a row that gives its key, every row the index covers has its
//!    entry, and rows keyed by their primary key are stored under it (see
//!    crates/sql/src/system/check.rs). A table without any index is read whole instead
//!    (each row printed as text, which decodes every value).
//!
//! For a server (a `postgres://` URL), step 2 runs over the connection in each database the
//! role may connect to; the log is the server's to check.
//!
//! The report prints one line per finding and a summary; the exit status is 0 when all is
//! well, 1 when a problem was found, 2 when the check could not run.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use crate::client::{self, Client, Message};

/// The `basalt check` subcommand's arguments.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// A database directory or a postgres://user@host:port/db URL.
    pub target: String,
    /// Check only these databases (repeatable) [default: all].
    #[arg(short = 'd', long = "database", value_name = "NAME")]
    pub databases: Vec<String>,
    /// Print each index checked, not only problems.
    #[arg(short, long)]
    pub verbose: bool,
}

/// What the check found.
#[derive(Default)]
struct Findings {
    problems: usize,
    warnings: usize,
    indexes: usize,
    /// Tables without an index, read whole.
    tables: usize,
    databases: usize,
}

/// Runs `basalt check`; returns the exit status.
pub fn run(a: &CheckArgs) -> u8 {
    let mut out = std::io::stdout().lock();
    let mut f = Findings::default();
    let remote = client::remote::is_remote(&a.target);
    if !remote {
        let dir = Path::new(&a.target);
        if !dir.is_dir() {
            let _ = writeln!(out, "basalt check: {}: no database directory", a.target);
            return 2;
        }
        if !check_log(&dir.join("wal"), &mut out, &mut f) {
            let _ = summary(&mut out, &f);
            return 1;
        }
    }
    let mut first = match client::open(&a.target) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(out, "basalt check: {}", e.message);
            if let Some(h) = &e.hint {
                let _ = writeln!(out, "HINT:  {h}");
            }
            return 2;
        }
    };
    let databases = if a.databases.is_empty() {
        match client::rows(
            &mut *first,
            "SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname",
        ) {
            Ok(r) => r
                .into_iter()
                .filter_map(|r| r.into_iter().next().flatten())
                .collect(),
            Err(e) => {
                let _ = writeln!(out, "basalt check: listing the databases: {}", e.message);
                return 2;
            }
        }
    } else {
        a.databases.clone()
    };
    for db in &databases {
        let mut c = if *db == first.database() {
            None
        } else {
            match first.connect_to(db) {
                Ok(c) => Some(c),
                Err(e) => {
                    let _ = writeln!(out, "database {db}: cannot connect: {}", e.message);
                    f.problems += 1;
                    continue;
                }
            }
        };
        let client: &mut dyn Client = match c.as_mut() {
            Some(c) => &mut **c,
            None => &mut *first,
        };
        f.databases += 1;
        check_indexes(client, db, a.verbose, &mut out, &mut f);
        check_unindexed_tables(client, db, a.verbose, &mut out, &mut f);
    }
    let _ = summary(&mut out, &f);
    u8::from(f.problems > 0)
}

fn summary(out: &mut impl Write, f: &Findings) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: {} database(s), {} index(es) and {} unindexed table(s) checked, {} problem(s), \
         {} warning(s)",
        if f.problems == 0 { "ok" } else { "FAILED" },
        f.databases,
        f.indexes,
        f.tables,
        f.problems,
        f.warnings
    )
}

/// Step 1; false when the log is damaged (the directory must not be opened).
fn check_log(wal: &Path, out: &mut impl Write, f: &mut Findings) -> bool {
    if !wal.is_dir() {
        let _ = writeln!(
            out,
            "log: no log directory at {} (nothing to check)",
            wal.display()
        );
        return true;
    }
    let io: Arc<dyn basalt_storage::io::Io> = Arc::new(basalt_storage::io::OsIo);
    match basalt_txn::wal::verify(&io, wal) {
        Ok(r) => {
            let _ = writeln!(
                out,
                "log: {} segment(s), {} record(s) intact (LSN {}..{})",
                r.segments,
                r.records,
                r.first_lsn,
                r.next_lsn.saturating_sub(1)
            );
            if let Some((lsn, segment, offset, reason)) = &r.torn_tail {
                f.warnings += 1;
                let _ = writeln!(
                    out,
                    "warning: log: torn tail in {segment} at offset {offset} (record LSN {lsn}: \
                     {reason}); it was never acknowledged as durable and the next open cuts it"
                );
            }
            for t in &r.temp_files {
                f.warnings += 1;
                let _ = writeln!(
                    out,
                    "warning: log: leftover temporary file {t}; the next open removes it"
                );
            }
            true
        }
        Err(e) => {
            f.problems += 1;
            let _ = writeln!(out, "ERROR: log: {e}");
            false
        }
    }
}

/// Step 2 in one database.
fn check_indexes(
    client: &mut dyn Client,
    db: &str,
    verbose: bool,
    out: &mut impl Write,
    f: &mut Findings,
) {
    let list = client::rows(
        client,
        "SELECT c.oid, n.nspname, c.relname, t.relname \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         JOIN pg_class t ON t.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
         ORDER BY n.nspname, t.relname, c.relname",
    );
    let rows = match list {
        Ok(r) => r,
        Err(e) => {
            f.problems += 1;
            let _ = writeln!(
                out,
                "ERROR: database {db}: listing the indexes: {}",
                e.message
            );
            return;
        }
    };
    for r in rows {
        let [Some(oid), Some(schema), Some(index), Some(table)] = r.as_slice() else {
            continue;
        };
        f.indexes += 1;
        match client::query(client, &format!("SELECT bt_index_check({oid}, true)")) {
            Ok(_) => {
                if verbose {
                    let _ = writeln!(out, "ok: {db}: {schema}.{index} on {table}");
                }
            }
            Err(e) => {
                f.problems += 1;
                let _ = writeln!(out, "{}", problem(db, schema, index, table, &e));
            }
        }
    }
}

/// Step 2 for the tables without any index (no primary key either), whose rows no index
/// check reads: each row is read whole and printed as text, which decodes every value.
fn check_unindexed_tables(
    client: &mut dyn Client,
    db: &str,
    verbose: bool,
    out: &mut impl Write,
    f: &mut Findings,
) {
    let list = client::rows(
        client,
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
         AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid) \
         ORDER BY 1",
    );
    let tables = match list {
        Ok(r) => r,
        Err(e) => {
            f.problems += 1;
            let _ = writeln!(
                out,
                "ERROR: database {db}: listing the tables: {}",
                e.message
            );
            return;
        }
    };
    for t in tables {
        let Some(Some(name)) = t.into_iter().next() else {
            continue;
        };
        f.tables += 1;
        match client::query(
            client,
            &format!("SELECT count(*), sum(length(r::text)) FROM {name} AS r"),
        ) {
            Ok(_) => {
                if verbose {
                    let _ = writeln!(out, "ok: {db}: table {name} (no index) read whole");
                }
            }
            Err(e) => {
                f.problems += 1;
                let _ = writeln!(out, "ERROR: {db}: table {name}: {} ({})", e.message, e.code);
            }
        }
    }
}

fn problem(db: &str, schema: &str, index: &str, table: &str, e: &Message) -> String {
    let mut s = format!(
        "ERROR: {db}: {schema}.{index} on {table}: {} ({})",
        e.message, e.code
    );
    if let Some(d) = &e.detail {
        s.push_str(&format!("\nDETAIL:  {d}"));
    }
    s
}
