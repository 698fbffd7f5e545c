//! `bt_index_check(index regclass [, heapallindexed boolean])`: PostgreSQL's amcheck
//! function, built in, checking that an index agrees with its table.
//!
//! # What is checked
//!
//! Basalt's B-tree pages are the store's (redb checks its own pages and checksums when it
//! reads them), so what can disagree is the logical content: an index entry is the key
//! `i` + index OID + the encoded key values (+ the row's key for a non-unique entry) with the
//! row's key as its value (see [`crate::row`]). The check reads, at the statement's
//! snapshot:
//!
//! - every entry of the index: the row it names must exist, decode, be covered by the
//!   index's predicate, and give exactly this entry's key when its key values are computed
//!   again (a stale, dangling or misplaced entry fails);
//! - with `heapallindexed` (as amcheck's option), every row of the table: the rows the index
//!   covers must each have their entry, naming them. Together with the first pass this makes
//!   entries and covered rows correspond one to one.
//!
//! A primary key that keys the rows themselves (not deferrable) has no entries: its check
//! decodes every row and computes its key from its primary-key columns again, which must be
//! the key it is stored under.
//!
//! Failures are PostgreSQL's `index_corrupted` (XX002), or `data_corrupted` (XX001) for a row
//! that does not decode; the relation errors are amcheck's (42809 not an index, XX000 no
//! relation with the OID). Hash indexes, which PostgreSQL's amcheck refuses, are checked the
//! same way: Basalt stores them as ordered entries too.
//!
//! Rows and entries are read in chunks (the transaction's scans borrow it, and a lookup
//! between rows needs it), so memory stays bounded whatever the table's size; the statement
//! can be cancelled between rows.

use basalt_common::types::Value;
use basalt_storage::{Direction, KeyRange};

use crate::catalog::Catalog;
use crate::error::SqlError;
use crate::exec::Cx;
use crate::row::{decode_row, index_prefix, table_prefix};

/// Entries or rows read per scan.
const CHUNK: usize = 1024;

/// Stored pairs (key, value) read by one [`chunk`].
type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

fn corrupted(msg: impl Into<String>) -> SqlError {
    SqlError::new("XX002", msg)
}

/// Runs `bt_index_check` on its evaluated arguments (the index OID as `int8`, then
/// `heapallindexed`); NULL arguments give NULL, as the function is strict.
pub fn call(cx: &mut Cx<'_>, args: &[Value]) -> Result<Value, SqlError> {
    let oid = match args.first() {
        Some(Value::Int8(o)) => *o,
        _ => return Ok(Value::Null),
    };
    let heapallindexed = match args.get(1) {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Ok(Value::Null),
    };
    let catalog = cx.catalog;
    let index_oid = u32::try_from(oid)
        .ok()
        .filter(|o| catalog.indexes.contains_key(o))
        .ok_or_else(
            || match u32::try_from(oid).ok().and_then(|o| name_of(catalog, o)) {
                Some(name) => SqlError::new("42809", format!("\"{name}\" is not an index")),
                None => SqlError::new("XX000", format!("could not open relation with OID {oid}")),
            },
        )?;
    check_index(cx, index_oid, heapallindexed)?;
    // `void`: a non-null value shown empty, as PostgreSQL's C functions return.
    Ok(Value::Text(String::new()))
}

/// The name of relation `oid` that is not an index, if there is one.
fn name_of(catalog: &Catalog, oid: u32) -> Option<&str> {
    catalog
        .tables
        .get(&oid)
        .map(|t| t.name.as_str())
        .or_else(|| catalog.views.get(&oid).map(|v| v.name.as_str()))
        .or_else(|| catalog.sequences.get(&oid).map(|s| s.name.as_str()))
}

/// Calls `f` with every stored pair under `prefix`, in key order, reading [`CHUNK`] of them
/// at a time (a scan borrows the transaction, and `f` reads through it) and ticking the
/// statement's interrupt check for each.
fn for_each_pair(
    cx: &mut Cx<'_>,
    prefix: &[u8],
    mut f: impl FnMut(&mut Cx<'_>, &[u8], &[u8]) -> Result<(), SqlError>,
) -> Result<(), SqlError> {
    let mut after: Option<Vec<u8>> = None;
    loop {
        let mut range = KeyRange::prefix(prefix);
        if let Some(a) = after.take() {
            range.start = std::ops::Bound::Excluded(a);
        }
        let batch: Pairs = cx
            .txn
            .scan(range, Direction::Forward)?
            .take(CHUNK)
            .collect::<Result<_, _>>()?;
        let Some((last, _)) = batch.last() else {
            return Ok(());
        };
        after = Some(last.clone());
        for (k, v) in &batch {
            cx.tick()?;
            f(cx, k, v)?;
        }
    }
}

/// Checks index `index_oid` against its table (see the module documentation).
pub fn check_index(cx: &mut Cx<'_>, index_oid: u32, heapallindexed: bool) -> Result<(), SqlError> {
    let catalog = cx.catalog;
    let Some(index) = catalog.indexes.get(&index_oid) else {
        return Ok(());
    };
    let Some(table) = catalog.tables.get(&index.table) else {
        return Ok(());
    };
    let writer = crate::dml::writer_for(catalog, table, &cx.func.types)?;
    let Some(bi) = writer.indexes.iter().find(|b| b.index.oid == index_oid) else {
        return Ok(());
    };
    let columns = table.columns.len();
    let decode = |key: &[u8], bytes: &[u8]| -> Result<Vec<Value>, SqlError> {
        let mut row = decode_row(bytes).map_err(|e| {
            SqlError::new(
                "XX001",
                format!(
                    "row {} of table \"{}\" cannot be read: {}",
                    hex(key),
                    table.name,
                    e.message()
                ),
            )
        })?;
        row.resize(columns, Value::Null);
        Ok(row)
    };
    // The entry key a row has in the index (`None`: the predicate leaves it out), as the
    // writes compute it.
    let entry_key =
        |row: &[Value], row_key: &[u8], cx: &mut Cx<'_>| -> Result<Option<Vec<u8>>, SqlError> {
            if !bi.covers(row, cx)? {
                return Ok(None);
            }
            Ok(Some(writer.index_key(bi, row, row_key, cx)?.0))
        };

    let rows = table_prefix(table.oid);
    if index.is_row_key() {
        // The rows are the index: each must be stored under the key its columns give.
        return for_each_pair(cx, &rows, |_, key, bytes| {
            let row = decode(key, bytes)?;
            let expected = writer.row_key(&row, None)?;
            if expected != key {
                return Err(corrupted(format!(
                    "row of table \"{}\" is stored under key {} but its primary key \
                     \"{}\" gives {}",
                    table.name,
                    hex(key),
                    index.name,
                    hex(&expected)
                )));
            }
            Ok(())
        });
    }

    // Every entry names a row that gives it.
    for_each_pair(cx, &index_prefix(index_oid), |cx, ikey, row_key| {
        if !row_key.starts_with(&rows) || row_key.len() == rows.len() {
            return Err(corrupted(format!(
                "index \"{}\" has entry {} naming {}, which is no row key of table \"{}\"",
                index.name,
                hex(ikey),
                hex(row_key),
                table.name
            )));
        }
        let Some(bytes) = cx.txn.get(row_key)? else {
            return Err(corrupted(format!(
                "index \"{}\" has entry {} for a row of table \"{}\" that does not exist",
                index.name,
                hex(ikey),
                table.name
            )));
        };
        let row = decode(row_key, &bytes)?;
        match entry_key(&row, row_key, cx)? {
            Some(k) if k == ikey => Ok(()),
            Some(k) => Err(corrupted(format!(
                "index \"{}\" has entry {} for row {} of table \"{}\", whose key values \
                 give {}",
                index.name,
                hex(ikey),
                hex(row_key),
                table.name,
                hex(&k)
            ))),
            None => Err(corrupted(format!(
                "index \"{}\" has entry {} for row {} of table \"{}\", which its predicate \
                 excludes",
                index.name,
                hex(ikey),
                hex(row_key),
                table.name
            ))),
        }
    })?;
    if !heapallindexed {
        return Ok(());
    }
    // Every covered row has its entry.
    for_each_pair(cx, &rows, |cx, key, bytes| {
        let row = decode(key, bytes)?;
        let Some(ikey) = entry_key(&row, key, cx)? else {
            return Ok(());
        };
        if cx.txn.get(&ikey)?.as_deref() != Some(key) {
            return Err(corrupted(format!(
                "row {} of table \"{}\" lacks matching index entry within index \"{}\"",
                hex(key),
                table.name,
                index.name
            ))
            .with_detail(format!("The entry's key would be {}.", hex(&ikey))));
        }
        Ok(())
    })?;
    Ok(())
}

/// A key as PostgreSQL writes bytea (`\x...`).
fn hex(key: &[u8]) -> String {
    let mut s = String::with_capacity(2 + key.len() * 2);
    s.push_str("\\x");
    for b in key {
        s.push_str(&format!("{b:02x}"));
    }
    s
}
