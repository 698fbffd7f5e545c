//! SQLite files: every table (or those `--table` names), with its columns' types mapped,
//! its primary key, and its indexes (unique and multi-column ones too).
//!
//! SQLite types are affinities and any column may hold any value, so a column's type is
//! chosen from its declared type *and* what it holds (one `typeof` profile per table):
//!
//! | declared (affinity)            | holds                       | becomes            |
//! |--------------------------------|-----------------------------|--------------------|
//! | `BOOL...`                      | only 0 and 1                | `boolean`          |
//! | `DATE`                         | only `YYYY-MM-DD` text      | `date`             |
//! | `DATETIME`, `TIMESTAMP`, `..TIME..` | only `YYYY-MM-DD...` text | `timestamp`   |
//! | INTEGER (`INT` in the name)    | only integers               | `bigint`           |
//! | INTEGER                        | integers and reals          | `numeric`          |
//! | REAL (`REAL`, `FLOA`, `DOUB`)  | only numbers                | `double precision` |
//! | NUMERIC (`NUMERIC`, `DECIMAL`, others) | only numbers        | `numeric`          |
//! | TEXT (`CHAR`, `CLOB`, `TEXT`)  | anything                    | `text`             |
//! | BLOB (`BLOB`)                  | anything                    | `bytea`            |
//! | none                           | only blobs / integers / numbers / text | `bytea` / `bigint` / `numeric` / `text` |
//! | any other case                 | a mix                       | `text`             |
//!
//! A blob going into a text column must be UTF-8 (else the row is rejected); anything going
//! into a bytea column is its bytes (a number's text). Names are lower-cased (SQLite's are
//! case-insensitive, so this loses nothing) and quoted. NOT NULL and the primary key are
//! declared with the table; indexes are created after its data is loaded. Defaults, CHECK
//! and foreign keys, views, triggers, partial and expression indexes are not carried over
//! (each skipped index is reported). Rows are read in rowid (or primary key) order, so an
//! interrupted import resumes by row count.

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::progress::Unit;
use super::{
    ImportArgs, Loader, MAX_BATCH_BYTES, Pipe, Reject, Target, encode_field, exec, pipe,
    quote_ident,
};

/// A column's type in the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Boolean,
    Bigint,
    Numeric,
    Double,
    Date,
    Timestamp,
    Text,
    Bytea,
}

impl Ty {
    fn sql(self) -> &'static str {
        match self {
            Ty::Boolean => "boolean",
            Ty::Bigint => "bigint",
            Ty::Numeric => "numeric",
            Ty::Double => "double precision",
            Ty::Date => "date",
            Ty::Timestamp => "timestamp",
            Ty::Text => "text",
            Ty::Bytea => "bytea",
        }
    }
}

struct Col {
    name: String,
    ty: Ty,
    not_null: bool,
    pk: i64,
}

fn sqlite_err(path: &Path) -> impl Fn(rusqlite::Error) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

/// Opens `path` read-only; a clear error if it is not a SQLite database.
fn open(path: &Path) -> Result<Connection, String> {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("{}: cannot open as a SQLite database: {e}", path.display()))?;
    c.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| format!("{} is not a SQLite database ({e})", path.display()))?;
    Ok(c)
}

fn affinity_type(decl: &str, p: &Profile) -> Ty {
    let d = decl.to_ascii_uppercase();
    let numbers_only = p.texts == 0 && p.blobs == 0;
    if d.contains("BOOL") && numbers_only && p.reals == 0 && p.not01 == 0 {
        return Ty::Boolean;
    }
    if (d.contains("DATE") || d.contains("TIME"))
        && p.ints == 0
        && p.reals == 0
        && p.blobs == 0
        && p.datelike == p.texts
    {
        return if d == "DATE" && p.max_len <= 10 {
            Ty::Date
        } else {
            Ty::Timestamp
        };
    }
    if d.contains("INT") {
        return match (numbers_only, p.reals) {
            (true, 0) => Ty::Bigint,
            (true, _) => Ty::Numeric,
            _ => Ty::Text,
        };
    }
    if d.contains("CHAR") || d.contains("CLOB") || d.contains("TEXT") {
        return Ty::Text;
    }
    if d.contains("BLOB") {
        return Ty::Bytea;
    }
    if d.is_empty() {
        return if p.blobs > 0 && p.ints + p.reals + p.texts == 0 {
            Ty::Bytea
        } else if numbers_only && p.reals == 0 {
            Ty::Bigint
        } else if numbers_only {
            Ty::Numeric
        } else {
            Ty::Text
        };
    }
    if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
        return if numbers_only { Ty::Double } else { Ty::Text };
    }
    if numbers_only { Ty::Numeric } else { Ty::Text }
}

#[derive(Default, Debug)]
struct Profile {
    ints: i64,
    reals: i64,
    texts: i64,
    blobs: i64,
    not01: i64,
    datelike: i64,
    max_len: i64,
}

fn columns(c: &Connection, table: &str, path: &Path) -> Result<Vec<Col>, String> {
    let e = sqlite_err(path);
    let mut st = c
        .prepare(&format!("PRAGMA table_info({})", quote_ident(table)))
        .map_err(&e)?;
    let raw: Vec<(String, String, bool, i64)> = st
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                r.get::<_, i64>(3)? != 0,
                r.get::<_, i64>(5)?,
            ))
        })
        .map_err(&e)?
        .collect::<Result<_, _>>()
        .map_err(&e)?;
    // One scan profiles every column.
    let mut parts = Vec::new();
    for (name, _, _, _) in &raw {
        let q = quote_ident(name);
        parts.push(format!(
            "coalesce(sum(typeof({q}) = 'integer'), 0), coalesce(sum(typeof({q}) = 'real'), 0), \
             coalesce(sum(typeof({q}) = 'text'), 0), coalesce(sum(typeof({q}) = 'blob'), 0), \
             coalesce(sum(typeof({q}) = 'integer' AND {q} NOT IN (0, 1)), 0), \
             coalesce(sum(typeof({q}) = 'text' AND {q} GLOB \
             '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'), 0), \
             coalesce(max(length({q})), 0)"
        ));
    }
    let sql = format!("SELECT {} FROM {}", parts.join(", "), quote_ident(table));
    let profiles: Vec<Profile> = c
        .query_row(&sql, [], |r| {
            (0..raw.len())
                .map(|i| {
                    let g = |j: usize| r.get::<_, i64>(i * 7 + j);
                    Ok(Profile {
                        ints: g(0)?,
                        reals: g(1)?,
                        texts: g(2)?,
                        blobs: g(3)?,
                        not01: g(4)?,
                        datelike: g(5)?,
                        max_len: g(6)?,
                    })
                })
                .collect()
        })
        .map_err(&e)?;
    Ok(raw
        .into_iter()
        .zip(profiles)
        .map(|((name, decl, not_null, pk), p)| Col {
            name: name.to_lowercase(),
            ty: affinity_type(&decl, &p),
            not_null,
            pk,
        })
        .collect())
}

struct Index {
    name: String,
    unique: bool,
    columns: Vec<(String, bool)>,
}

/// The table's indexes to recreate; skipped ones are reported.
fn indexes(c: &Connection, table: &str, path: &Path) -> Result<Vec<Index>, String> {
    let e = sqlite_err(path);
    let mut st = c
        .prepare(&format!("PRAGMA index_list({})", quote_ident(table)))
        .map_err(&e)?;
    let list: Vec<(String, bool, String, bool)> = st
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)? != 0,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)? != 0,
            ))
        })
        .map_err(&e)?
        .collect::<Result<_, _>>()
        .map_err(&e)?;
    let mut out = Vec::new();
    for (name, unique, origin, partial) in list {
        if origin == "pk" {
            continue;
        }
        let mut st = c
            .prepare(&format!("PRAGMA index_xinfo({})", quote_ident(&name)))
            .map_err(&e)?;
        let cols: Vec<(Option<String>, bool, bool)> = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, i64>(3)? != 0,
                    r.get::<_, i64>(5)? != 0,
                ))
            })
            .map_err(&e)?
            .collect::<Result<_, _>>()
            .map_err(&e)?;
        let keys: Vec<(Option<String>, bool)> = cols
            .into_iter()
            .filter(|c| c.2)
            .map(|(n, d, _)| (n, d))
            .collect();
        if partial || keys.iter().any(|k| k.0.is_none()) {
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "import: index {name} of {table} is partial or on an expression: not recreated"
                );
            }
            continue;
        }
        let columns: Vec<(String, bool)> = keys
            .into_iter()
            .map(|(n, d)| (n.unwrap_or_default().to_lowercase(), d))
            .collect();
        let name = if name.starts_with("sqlite_autoindex_") {
            let cols: Vec<&str> = columns.iter().map(|c| c.0.as_str()).collect();
            format!("{}_{}_key", table.to_lowercase(), cols.join("_"))
        } else {
            name.to_lowercase()
        };
        out.push(Index {
            name,
            unique,
            columns,
        });
    }
    Ok(out)
}

/// Imports the SQLite file's tables.
pub fn import(loader: &mut Loader<'_>, a: &ImportArgs) -> Result<(), String> {
    let path = &a.file;
    let e = sqlite_err(path);
    let conn = open(path)?;
    let mut st = conn
        .prepare(
            "SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
        )
        .map_err(&e)?;
    let mut tables: Vec<(String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(&e)?
        .collect::<Result<_, _>>()
        .map_err(&e)?;
    drop(st);
    if let Some(pick) = &a.table {
        let want: Vec<String> = pick.split(',').map(|s| s.trim().to_lowercase()).collect();
        for w in &want {
            if !tables.iter().any(|(n, _)| n.to_lowercase() == *w) {
                return Err(format!("{}: no table named {w}", path.display()));
            }
        }
        tables.retain(|(n, _)| want.contains(&n.to_lowercase()));
    }
    let mut counts = Vec::new();
    for (t, _) in &tables {
        let n: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM {}", quote_ident(t)),
                [],
                |r| r.get(0),
            )
            .map_err(&e)?;
        counts.push(n.max(0) as u64);
    }
    loader.set_total(Unit::Rows, counts.iter().sum(), a.quiet);
    loader.word = "row";
    let source = super::source_key(path)?;
    let mut base = 0u64;
    for ((t, sql), count) in tables.iter().zip(counts) {
        let cols = columns(&conn, t, path)?;
        let lname = t.to_lowercase();
        let target = Target {
            table: quote_ident(&lname),
            columns: format!(
                " ({})",
                cols.iter()
                    .map(|c| quote_ident(&c.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            source: source.clone(),
            key: lname.clone(),
        };
        let start = loader.start(&target)?;
        if let Some(start) = start {
            if start.offset == 0 {
                let mut defs: Vec<String> = cols
                    .iter()
                    .map(|c| {
                        format!(
                            "{} {}{}",
                            quote_ident(&c.name),
                            c.ty.sql(),
                            if c.not_null { " NOT NULL" } else { "" }
                        )
                    })
                    .collect();
                let mut pk: Vec<&Col> = cols.iter().filter(|c| c.pk > 0).collect();
                pk.sort_by_key(|c| c.pk);
                if !pk.is_empty() {
                    let names: Vec<String> = pk.iter().map(|c| quote_ident(&c.name)).collect();
                    defs.push(format!("PRIMARY KEY ({})", names.join(", ")));
                }
                exec(
                    loader.client,
                    &format!(
                        "CREATE TABLE {}{} ({})",
                        if a.resume || a.restart {
                            "IF NOT EXISTS "
                        } else {
                            ""
                        },
                        target.table,
                        defs.join(", ")
                    ),
                )?;
            }
            let without_rowid = sql.to_ascii_uppercase().contains("WITHOUT ROWID");
            let order = if !without_rowid {
                "rowid".to_string()
            } else {
                let mut pk: Vec<&Col> = cols.iter().filter(|c| c.pk > 0).collect();
                pk.sort_by_key(|c| c.pk);
                pk.iter()
                    .map(|c| quote_ident(&c.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let select = format!(
                "SELECT {} FROM {} ORDER BY {order} LIMIT -1 OFFSET {}",
                cols.iter()
                    .map(|c| quote_ident(&c.name))
                    .collect::<Vec<_>>()
                    .join(", "),
                quote_ident(t),
                start.offset
            );
            let tys: Vec<(String, Ty)> = cols.iter().map(|c| (c.name.clone(), c.ty)).collect();
            let (tx, rx) = pipe();
            let p = path.clone();
            let batch_size = loader.batch_size;
            std::thread::spawn(move || produce(&p, &select, &tys, start, base, batch_size, &tx));
            loader.load(&target, rx)?;
        }
        for ix in indexes(&conn, t, path)? {
            let cols: Vec<String> = ix
                .columns
                .iter()
                .map(|(n, desc)| format!("{}{}", quote_ident(n), if *desc { " DESC" } else { "" }))
                .collect();
            exec(
                loader.client,
                &format!(
                    "CREATE {}INDEX IF NOT EXISTS {} ON {} ({})",
                    if ix.unique { "UNIQUE " } else { "" },
                    quote_ident(&ix.name),
                    target.table,
                    cols.join(", ")
                ),
            )?;
        }
        base += count;
    }
    Ok(())
}

fn hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const H: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"\\\\x");
    for &b in bytes {
        out.push(H[(b >> 4) as usize]);
        out.push(H[(b & 15) as usize]);
    }
}

/// Writes one value for a column of type `ty`; an error for a blob that is not UTF-8 going
/// into a text column.
fn value(out: &mut Vec<u8>, ty: Ty, v: ValueRef<'_>, col: &str) -> Result<(), String> {
    let mut num = String::new();
    let bytes: &[u8] = match v {
        ValueRef::Null => {
            encode_field(out, None);
            return Ok(());
        }
        ValueRef::Integer(i) if ty == Ty::Boolean => {
            out.push(if i != 0 { b't' } else { b'f' });
            return Ok(());
        }
        ValueRef::Integer(i) => {
            num = i.to_string();
            num.as_bytes()
        }
        ValueRef::Real(f) => {
            if f.is_nan() {
                num.push_str("NaN");
            } else if f.is_infinite() {
                num.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
            } else {
                num = format!("{f:?}");
            }
            num.as_bytes()
        }
        ValueRef::Text(t) | ValueRef::Blob(t) => t,
    };
    if ty == Ty::Bytea {
        hex(out, bytes);
        return Ok(());
    }
    if std::str::from_utf8(bytes).is_err() {
        return Err(format!(
            "column {col}: the value is not valid UTF-8 for a text column"
        ));
    }
    encode_field(out, Some(bytes));
    Ok(())
}

fn produce(
    path: &Path,
    select: &str,
    cols: &[(String, Ty)],
    start: super::Start,
    base: u64,
    batch_size: usize,
    tx: &Pipe,
) {
    let r = (|| -> Result<(), String> {
        let e = sqlite_err(path);
        let conn = open(path)?;
        let mut st = conn.prepare(select).map_err(&e)?;
        let mut rows = st.query([]).map_err(&e)?;
        let mut n = start.offset;
        loop {
            let mut b = tx.batch();
            while b.rows.len() < batch_size && b.data.len() < MAX_BATCH_BYTES {
                let Some(row) = rows.next().map_err(&e)? else {
                    b.last = true;
                    break;
                };
                n += 1;
                let mark = b.data.len();
                let mut bad = None;
                for (i, (name, ty)) in cols.iter().enumerate() {
                    if i > 0 {
                        b.data.push(b'\t');
                    }
                    let v = row.get_ref(i).map_err(&e)?;
                    if let Err(r) = value(&mut b.data, *ty, v, name) {
                        bad = Some(r);
                        break;
                    }
                }
                match bad {
                    None => {
                        b.raw.extend_from_slice(&b.data[mark..]);
                        b.data.push(b'\n');
                        b.push_row(n);
                    }
                    Some(reason) => {
                        let raw = b.data[mark..].to_vec();
                        b.data.truncate(mark);
                        b.bad.push(Reject {
                            line: n,
                            reason,
                            raw,
                        });
                    }
                }
            }
            b.offset = n;
            b.next_line = n + 1;
            b.pos = base + n;
            let last = b.last;
            if !tx.send(Ok(b)) || last {
                return Ok(());
            }
        }
    })();
    if let Err(e) = r {
        tx.send(Err(e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_from_declarations_and_values() {
        let p = |ints, reals, texts, blobs| Profile {
            ints,
            reals,
            texts,
            blobs,
            ..Profile::default()
        };
        assert_eq!(affinity_type("INTEGER", &p(3, 0, 0, 0)), Ty::Bigint);
        assert_eq!(affinity_type("int", &p(3, 1, 0, 0)), Ty::Numeric);
        assert_eq!(affinity_type("INTEGER", &p(3, 0, 1, 0)), Ty::Text);
        assert_eq!(affinity_type("REAL", &p(1, 3, 0, 0)), Ty::Double);
        assert_eq!(affinity_type("DECIMAL(10,2)", &p(1, 3, 0, 0)), Ty::Numeric);
        assert_eq!(affinity_type("VARCHAR(20)", &p(1, 0, 3, 0)), Ty::Text);
        assert_eq!(affinity_type("BLOB", &p(0, 0, 0, 2)), Ty::Bytea);
        assert_eq!(affinity_type("", &p(0, 0, 0, 2)), Ty::Bytea);
        assert_eq!(affinity_type("", &p(2, 0, 0, 0)), Ty::Bigint);
        assert_eq!(affinity_type("BOOLEAN", &p(2, 0, 0, 0)), Ty::Boolean);
        let mut d = p(0, 0, 2, 0);
        d.datelike = 2;
        d.max_len = 10;
        assert_eq!(affinity_type("DATE", &d), Ty::Date);
        assert_eq!(affinity_type("DATETIME", &d), Ty::Timestamp);
        d.datelike = 1;
        assert_eq!(affinity_type("DATE", &d), Ty::Text);
    }
}
