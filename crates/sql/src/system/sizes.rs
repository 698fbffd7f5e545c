//! The object size functions: `pg_relation_size`, `pg_table_size`, `pg_indexes_size`,
//! `pg_total_relation_size`, `pg_database_size` and `pg_tablespace_size`.
//!
//! PostgreSQL answers them from the sizes of the files holding an object. Basalt keeps every
//! object under a key prefix of one store (a table's rows under `t` + OID, an index's entries
//! under `i` + OID, a sequence's state under `q` + OID, see [`crate::row`]; a database in a
//! key namespace, see [`basalt_txn::namespace`]), so a size is the bytes the keys under that
//! prefix and their values take in the store, as the transaction layer estimates them
//! ([`basalt_txn::Transaction::approximate_size`]): every stored version, including old
//! ones garbage collection has not removed yet (PostgreSQL counts dead rows too), and the
//! transaction's own uncommitted writes. The figures are not PostgreSQL's (no pages, no
//! per-row headers), but they grow and shrink with the data.
//!
//! The calls are bound as volatile session functions (`Expr::Sequence` with
//! [`SeqFunc::Size`](crate::expr::SeqFunc::Size)), evaluated at run time against the
//! statement's transaction. PostgreSQL's rules for what has no storage are kept: views have
//! size 0, the `fsm`, `vm` and `init` forks are always empty (and TOAST is part of the
//! table), an OID that names no relation or database gives NULL, an unknown database or
//! tablespace name fails. A primary key that is not deferrable has no entries of its own
//! (rows are keyed by it), so its index has size 0 and the table holds its bytes.

use basalt_common::types::Value;
use basalt_storage::KeyRange;
use basalt_txn::Transaction;

use crate::catalog::Catalog;
use crate::error::SqlError;
use crate::row::{index_prefix, table_prefix};

/// Which size function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeFunc {
    /// `pg_relation_size(regclass, fork text)` (the one-argument form passes `'main'`).
    Relation,
    /// `pg_table_size(regclass)`: the relation without its indexes.
    Table,
    /// `pg_indexes_size(regclass)`: the indexes of a table.
    Indexes,
    /// `pg_total_relation_size(regclass)`: table and indexes.
    Total,
    /// `pg_database_size(name)`.
    DatabaseByName,
    /// `pg_database_size(oid)`.
    Database,
    /// `pg_tablespace_size(name)`.
    TablespaceByName,
    /// `pg_tablespace_size(oid)`.
    Tablespace,
}

/// OID of the `pg_default` tablespace (every database's data).
const PG_DEFAULT: i64 = 1663;
/// OID of the `pg_global` tablespace (the shared catalogs).
const PG_GLOBAL: i64 = 1664;

fn err(code: &'static str, msg: impl Into<String>) -> SqlError {
    SqlError::new(code, msg)
}

/// Runs a size function on its evaluated arguments (an OID as `int8`, names and fork as
/// text); NULL for a NULL argument, as the functions are strict.
pub fn call(
    txn: &mut dyn Transaction,
    catalog: &Catalog,
    f: SizeFunc,
    args: &[Value],
) -> Result<Value, SqlError> {
    if args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let oid = || match args.first() {
        Some(Value::Int8(o)) => u32::try_from(*o).ok(),
        _ => None,
    };
    let name = || match args.first() {
        Some(Value::Text(s)) => s.as_str(),
        _ => "",
    };
    let int8 = |v: Option<i64>| v.map_or(Value::Null, Value::Int8);
    Ok(match f {
        SizeFunc::Relation => {
            let Some(rel) = oid().and_then(|o| Relation::of(catalog, o)) else {
                return Ok(Value::Null);
            };
            let fork = match args.get(1) {
                Some(Value::Text(s)) => s.as_str(),
                _ => "main",
            };
            match fork {
                "main" => Value::Int8(rel.own_size(txn)?),
                "fsm" | "vm" | "init" => Value::Int8(0),
                _ => {
                    return Err(err("22023", "invalid fork name").with_hint(
                        "Valid fork names are \"main\", \"fsm\", \"vm\", and \"init\".",
                    ));
                }
            }
        }
        SizeFunc::Table | SizeFunc::Indexes | SizeFunc::Total => {
            let Some(rel) = oid().and_then(|o| Relation::of(catalog, o)) else {
                return Ok(Value::Null);
            };
            let table = if f == SizeFunc::Indexes {
                0
            } else {
                rel.own_size(txn)?
            };
            let mut indexes = 0i64;
            if f != SizeFunc::Table
                && let Relation::Table(t) = rel
            {
                for i in catalog.table_indexes(t) {
                    let index = Relation::Index(i.oid, i.is_row_key());
                    indexes = indexes.saturating_add(index.own_size(txn)?);
                }
            }
            Value::Int8(table.saturating_add(indexes))
        }
        SizeFunc::DatabaseByName | SizeFunc::Database => {
            let entry = if f == SizeFunc::Database {
                match oid().and_then(|o| catalog.databases.iter().find(|d| d.oid == o)) {
                    Some(d) => d,
                    None => return Ok(Value::Null),
                }
            } else {
                let n = name();
                catalog
                    .databases
                    .iter()
                    .find(|d| d.name == n)
                    .ok_or_else(|| err("3D000", format!("database \"{n}\" does not exist")))?
            };
            int8(txn.namespace_size(entry.namespace)?.map(saturate))
        }
        SizeFunc::TablespaceByName | SizeFunc::Tablespace => {
            let space = if f == SizeFunc::Tablespace {
                match args.first() {
                    Some(Value::Int8(o)) if *o == PG_DEFAULT || *o == PG_GLOBAL => *o,
                    _ => return Ok(Value::Null),
                }
            } else {
                match name() {
                    "pg_default" => PG_DEFAULT,
                    "pg_global" => PG_GLOBAL,
                    n => {
                        return Err(err("42704", format!("tablespace \"{n}\" does not exist")));
                    }
                }
            };
            if space == PG_GLOBAL {
                // The shared catalogs: the keys every namespace shares.
                let shared = KeyRange::prefix(&[basalt_txn::namespace::SHARED]);
                Value::Int8(range_size(txn, shared)?)
            } else {
                let mut total = Some(0i64);
                for d in catalog.databases.iter() {
                    let s = txn.namespace_size(d.namespace)?;
                    total = total.zip(s).map(|(t, s)| t.saturating_add(saturate(s)));
                }
                int8(total)
            }
        }
    })
}

fn saturate(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn range_size(txn: &mut dyn Transaction, range: KeyRange) -> Result<i64, SqlError> {
    Ok(saturate(txn.approximate_size(range)?))
}

/// A relation, by what holds its data.
#[derive(Clone, Copy)]
enum Relation {
    /// A table's rows.
    Table(u32),
    /// An index's entries (and whether they are the table's rows themselves).
    Index(u32, bool),
    /// A sequence's state.
    Sequence(u32),
    /// No storage (a view).
    Empty,
}

impl Relation {
    fn of(catalog: &Catalog, oid: u32) -> Option<Relation> {
        if catalog.tables.contains_key(&oid) {
            Some(Relation::Table(oid))
        } else if let Some(i) = catalog.indexes.get(&oid) {
            Some(Relation::Index(oid, i.is_row_key()))
        } else if catalog.sequences.contains_key(&oid) {
            Some(Relation::Sequence(oid))
        } else if catalog.views.contains_key(&oid) {
            Some(Relation::Empty)
        } else {
            None
        }
    }

    /// The bytes under the relation's own key prefix.
    fn own_size(self, txn: &mut dyn Transaction) -> Result<i64, SqlError> {
        let prefix = match self {
            Relation::Table(o) => table_prefix(o),
            Relation::Index(_, true) | Relation::Empty => return Ok(0),
            Relation::Index(o, false) => index_prefix(o),
            Relation::Sequence(o) => crate::engine::seq_key(o),
        };
        range_size(txn, KeyRange::prefix(&prefix))
    }
}
