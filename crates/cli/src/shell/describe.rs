//! The `\d` family: listing and describing objects with the catalog queries psql 15 sends.
//!
//! # Design
//!
//! Each command is one or more queries through the client (so they work embedded and over
//! the wire alike), written as psql 15 writes them (see `psql -E`), and a [`Table`]: a title,
//! the rows as a result to print with the user's print settings, and footer lines (psql's
//! `Indexes:`, `Referenced by:`...). psql composes some cells on the client side (`\du`'s
//! attributes, `\d`'s Default column for identity columns), and so does this module.

use crate::client::{Client, Column, Message, Outcome, query};

use super::pattern::{self, literal};

/// What a describe command shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// The title centred above (`List of relations`, `Table "public.t"`).
    pub title: String,
    /// The rows.
    pub outcome: Outcome,
    /// Lines printed after the table.
    pub footers: Vec<String>,
    /// Whether the `(N rows)` footer is printed (psql prints it for lists, not for `\d t`).
    pub row_count: bool,
}

/// Why a describe command showed nothing.
#[derive(Debug)]
pub enum Error {
    /// The query failed.
    Sql(Message),
    /// psql's note for an empty result (`Did not find any relation named "x".`).
    NotFound(String),
}

impl From<Message> for Error {
    fn from(m: Message) -> Error {
        Error::Sql(m)
    }
}

impl From<pattern::TooManyDots> for Error {
    fn from(e: pattern::TooManyDots) -> Error {
        Error::NotFound(format!(
            "improper qualified name (too many dotted names): {}",
            e.0
        ))
    }
}

fn one(client: &mut dyn Client, sql: &str) -> Result<Outcome, Message> {
    Ok(query(client, sql)?.pop().unwrap_or_default())
}

fn cell(row: &[Option<String>], i: usize) -> &str {
    row.get(i).and_then(|v| v.as_deref()).unwrap_or("")
}

const RELKIND_CASE: &str = "CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as \"Type\"";

/// `\d`, `\dt`, `\di`, `\dv`, `\ds` (and combinations such as `\dti`): `kinds` holds the
/// letters after `d` (`t`, `i`, `v`, `m`, `s`, `E`; empty = tables, views, materialized
/// views, sequences and foreign tables); `system` is psql's `S` modifier.
pub fn list_relations(
    client: &mut dyn Client,
    kinds: &str,
    system: bool,
    verbose: bool,
    pattern: Option<&str>,
) -> Result<Table, Error> {
    let all = kinds.is_empty();
    let (t, i, v, m, s, e) = (
        all || kinds.contains('t'),
        kinds.contains('i'),
        all || kinds.contains('v'),
        all || kinds.contains('m'),
        all || kinds.contains('s'),
        all || kinds.contains('E'),
    );
    let mut sql = format!(
        "SELECT n.nspname as \"Schema\",\n  c.relname as \"Name\",\n  {RELKIND_CASE},\n  pg_catalog.pg_get_userbyid(c.relowner) as \"Owner\""
    );
    if i {
        sql.push_str(",\n  c2.relname as \"Table\"");
    }
    if verbose {
        sql.push_str(",\n  CASE c.relpersistence WHEN 'p' THEN 'permanent' WHEN 't' THEN 'temporary' WHEN 'u' THEN 'unlogged' END as \"Persistence\"");
        if t || i || m {
            sql.push_str(",\n  am.amname as \"Access method\"");
        }
        sql.push_str(",\n  pg_catalog.pg_size_pretty(pg_catalog.pg_table_size(c.oid)) as \"Size\",\n  pg_catalog.obj_description(c.oid, 'pg_class') as \"Description\"");
    }
    sql.push_str(
        "\nFROM pg_catalog.pg_class c\n     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace",
    );
    if t || i || m {
        sql.push_str("\n     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam");
    }
    if i {
        sql.push_str(
            "\n     LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid\n     LEFT JOIN pg_catalog.pg_class c2 ON i.indrelid = c2.oid",
        );
    }
    let mut list = String::new();
    if t {
        list.push_str("'r','p',");
        if system || pattern.is_some() {
            list.push_str("'t',");
        }
    }
    if v {
        list.push_str("'v',");
    }
    if m {
        list.push_str("'m',");
    }
    if i {
        list.push_str("'i','I',");
    }
    if s {
        list.push_str("'S',");
    }
    if system || pattern.is_some() {
        list.push_str("'s',");
    }
    if e {
        list.push_str("'f',");
    }
    sql.push_str(&format!("\nWHERE c.relkind IN ({list}'')\n"));
    if !system && pattern.is_none() {
        sql.push_str("      AND n.nspname <> 'pg_catalog'\n      AND n.nspname !~ '^pg_toast'\n      AND n.nspname <> 'information_schema'\n");
    }
    sql.push_str(&pattern::conditions(
        pattern.unwrap_or("*"),
        Some("n.nspname"),
        "c.relname",
        Some("pg_catalog.pg_table_is_visible(c.oid)"),
    )?);
    sql.push_str("ORDER BY 1,2;");
    let outcome = one(client, &sql)?;
    if outcome.rows.is_empty() {
        return Err(Error::NotFound(match pattern {
            Some(p) => format!("Did not find any relation named \"{p}\"."),
            None => "Did not find any relations.".into(),
        }));
    }
    Ok(Table {
        title: "List of relations".into(),
        outcome,
        footers: Vec::new(),
        row_count: true,
    })
}

/// `\dn [pattern]`.
pub fn list_schemas(
    client: &mut dyn Client,
    system: bool,
    verbose: bool,
    pattern: Option<&str>,
) -> Result<Table, Error> {
    let mut sql = String::from(
        "SELECT n.nspname AS \"Name\",\n  pg_catalog.pg_get_userbyid(n.nspowner) AS \"Owner\"",
    );
    if verbose {
        sql.push_str(",\n  pg_catalog.array_to_string(n.nspacl, E'\\n') AS \"Access privileges\",\n  pg_catalog.obj_description(n.oid, 'pg_namespace') AS \"Description\"");
    }
    sql.push_str("\nFROM pg_catalog.pg_namespace n\n");
    if !system && pattern.is_none() {
        sql.push_str("WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'\n");
    } else {
        sql.push_str("WHERE true\n");
    }
    if let Some(p) = pattern {
        sql.push_str(&pattern::conditions(p, None, "n.nspname", None)?);
    }
    sql.push_str("ORDER BY 1;");
    Ok(Table {
        title: "List of schemas".into(),
        outcome: one(client, &sql)?,
        footers: Vec::new(),
        row_count: true,
    })
}

/// `\df [pattern]`.
pub fn list_functions(
    client: &mut dyn Client,
    system: bool,
    pattern: Option<&str>,
) -> Result<Table, Error> {
    let mut sql = String::from(
        "SELECT n.nspname as \"Schema\",\n  p.proname as \"Name\",\n  pg_catalog.pg_get_function_result(p.oid) as \"Result data type\",\n  pg_catalog.pg_get_function_arguments(p.oid) as \"Argument data types\",\n CASE p.prokind\n  WHEN 'a' THEN 'agg'\n  WHEN 'w' THEN 'window'\n  WHEN 'p' THEN 'proc'\n  ELSE 'func'\n END as \"Type\"\nFROM pg_catalog.pg_proc p\n     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace\nWHERE true\n",
    );
    match pattern {
        Some(p) => sql.push_str(&pattern::conditions(
            p,
            Some("n.nspname"),
            "p.proname",
            Some("pg_catalog.pg_function_is_visible(p.oid)"),
        )?),
        None => sql.push_str("  AND pg_catalog.pg_function_is_visible(p.oid)\n"),
    }
    if !system && pattern.is_none() {
        sql.push_str(
            "      AND n.nspname <> 'pg_catalog'\n      AND n.nspname <> 'information_schema'\n",
        );
    }
    sql.push_str("ORDER BY 1, 2, 4;");
    Ok(Table {
        title: "List of functions".into(),
        outcome: one(client, &sql)?,
        footers: Vec::new(),
        row_count: true,
    })
}

/// `\l [pattern]`.
pub fn list_databases(
    client: &mut dyn Client,
    verbose: bool,
    pattern: Option<&str>,
) -> Result<Table, Error> {
    let mut sql = String::from(
        "SELECT d.datname as \"Name\",\n       pg_catalog.pg_get_userbyid(d.datdba) as \"Owner\",\n       pg_catalog.pg_encoding_to_char(d.encoding) as \"Encoding\",\n       d.datcollate as \"Collate\",\n       d.datctype as \"Ctype\",\n       d.daticulocale as \"ICU Locale\",\n       CASE d.datlocprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' END AS \"Locale Provider\",\n       pg_catalog.array_to_string(d.datacl, E'\\n') AS \"Access privileges\"",
    );
    if verbose {
        sql.push_str(",\n       CASE WHEN pg_catalog.has_database_privilege(d.datname, 'CONNECT')\n            THEN pg_catalog.pg_size_pretty(pg_catalog.pg_database_size(d.datname))\n            ELSE 'No Access'\n       END as \"Size\",\n       t.spcname as \"Tablespace\",\n       pg_catalog.shobj_description(d.oid, 'pg_database') as \"Description\"\nFROM pg_catalog.pg_database d\n  JOIN pg_catalog.pg_tablespace t on d.dattablespace = t.oid\n");
    } else {
        sql.push_str("\nFROM pg_catalog.pg_database d\n");
    }
    if let Some(p) = pattern {
        sql.push_str("WHERE true\n");
        sql.push_str(&pattern::conditions(p, None, "d.datname", None)?);
    }
    sql.push_str("ORDER BY 1;");
    Ok(Table {
        title: "List of databases".into(),
        outcome: one(client, &sql)?,
        footers: Vec::new(),
        row_count: true,
    })
}

/// `\du [pattern]`: psql composes the Attributes column from the role's flags.
pub fn list_roles(
    client: &mut dyn Client,
    system: bool,
    pattern: Option<&str>,
) -> Result<Table, Error> {
    let mut sql = String::from(
        "SELECT r.rolname, r.rolsuper, r.rolinherit,\n  r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,\n  r.rolconnlimit, r.rolvaliduntil,\n  ARRAY(SELECT b.rolname\n        FROM pg_catalog.pg_auth_members m\n        JOIN pg_catalog.pg_roles b ON (m.roleid = b.oid)\n        WHERE m.member = r.oid) as memberof\n, r.rolreplication\n, r.rolbypassrls\nFROM pg_catalog.pg_roles r\n",
    );
    match pattern {
        Some(p) => {
            sql.push_str("WHERE true\n");
            sql.push_str(&pattern::conditions(p, None, "r.rolname", None)?);
        }
        None if !system => sql.push_str("WHERE r.rolname !~ '^pg_'\n"),
        None => {}
    }
    sql.push_str("ORDER BY 1;");
    let res = one(client, &sql)?;
    let mut rows = Vec::new();
    for r in &res.rows {
        let mut attrs: Vec<&str> = Vec::new();
        let flag = |i: usize| cell(r, i) == "t";
        if flag(1) {
            attrs.push("Superuser");
        }
        if !flag(2) {
            attrs.push("No inheritance");
        }
        if flag(3) {
            attrs.push("Create role");
        }
        if flag(4) {
            attrs.push("Create DB");
        }
        if !flag(5) {
            attrs.push("Cannot login");
        }
        if flag(9) {
            attrs.push("Replication");
        }
        if flag(10) {
            attrs.push("Bypass RLS");
        }
        let mut a = attrs.join(", ");
        let conns: i64 = cell(r, 6).parse().unwrap_or(-1);
        if conns >= 0 {
            if !a.is_empty() {
                a.push('\n');
            }
            a.push_str(&match conns {
                0 => "No connections".to_string(),
                1 => "1 connection".to_string(),
                n => format!("{n} connections"),
            });
        }
        if !cell(r, 7).is_empty() {
            if !a.is_empty() {
                a.push('\n');
            }
            a.push_str("Password valid until ");
            a.push_str(cell(r, 7));
        }
        rows.push(vec![
            Some(cell(r, 0).to_string()),
            Some(a),
            Some(cell(r, 8).to_string()),
        ]);
    }
    Ok(Table {
        title: "List of roles".into(),
        outcome: Outcome {
            tag: format!("SELECT {}", rows.len()),
            columns: text_columns(&["Role name", "Attributes", "Member of"]),
            rows,
        },
        footers: Vec::new(),
        row_count: false,
    })
}

fn text_columns(names: &[&str]) -> Vec<Column> {
    names
        .iter()
        .map(|n| Column {
            name: n.to_string(),
            type_oid: 25,
        })
        .collect()
}

/// `\d pattern`: each matching relation described as psql 15 does.
pub fn describe(
    client: &mut dyn Client,
    system: bool,
    verbose: bool,
    pat: &str,
) -> Result<Vec<Table>, Error> {
    let _ = system;
    let mut sql = String::from(
        "SELECT c.oid,\n  n.nspname,\n  c.relname\nFROM pg_catalog.pg_class c\n     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\nWHERE true\n",
    );
    sql.push_str(&pattern::conditions(
        pat,
        Some("n.nspname"),
        "c.relname",
        Some("pg_catalog.pg_table_is_visible(c.oid)"),
    )?);
    sql.push_str("ORDER BY 2, 3;");
    let found = one(client, &sql)?;
    if found.rows.is_empty() {
        return Err(Error::NotFound(format!(
            "Did not find any relation named \"{pat}\"."
        )));
    }
    let mut out = Vec::new();
    for r in &found.rows {
        out.push(describe_one(
            client,
            cell(r, 0),
            cell(r, 1),
            cell(r, 2),
            verbose,
        )?);
    }
    Ok(out)
}

fn describe_one(
    client: &mut dyn Client,
    oid: &str,
    schema: &str,
    name: &str,
    verbose: bool,
) -> Result<Table, Error> {
    let oid_lit = literal(oid);
    let info = one(
        client,
        &format!(
            "SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition, '', c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END, c.relpersistence, c.relreplident, am.amname\nFROM pg_catalog.pg_class c\n LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)\nLEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)\nWHERE c.oid = {oid_lit};"
        ),
    )?;
    let Some(info) = info.rows.first() else {
        // Dropped between the two queries.
        return Err(Error::NotFound(format!(
            "Did not find any relation with OID {oid}."
        )));
    };
    let kind = cell(info, 1).chars().next().unwrap_or('r');
    let qualified = format!("{schema}.{name}");
    let title = |what: &str| format!("{what} \"{qualified}\"");
    match kind {
        'S' => describe_sequence(client, &oid_lit, title("Sequence")),
        'i' | 'I' => describe_index(
            client,
            &oid_lit,
            schema,
            verbose,
            title(if kind == 'i' {
                "Index"
            } else {
                "Partitioned index"
            }),
        ),
        _ => {
            let what = match kind {
                'v' => "View",
                'm' => "Materialized view",
                'f' => "Foreign table",
                'p' => "Partitioned table",
                'c' => "Composite type",
                't' => "TOAST table",
                _ if cell(info, 12) == "u" => "Unlogged table",
                _ => "Table",
            };
            let am = if verbose && matches!(kind, 'r' | 'm') {
                Some(cell(info, 14).to_string()).filter(|a| !a.is_empty())
            } else {
                None
            };
            describe_table(client, &oid_lit, kind, title(what), verbose, am)
        }
    }
}

/// A table's or view's columns (`\d`); with `verbose` (`\d+`) psql's Storage, Compression
/// and Stats target (tables) and Description columns, then `View definition:` for a view
/// and `Access method: ...` for a table.
fn describe_table(
    client: &mut dyn Client,
    oid: &str,
    kind: char,
    title: String,
    verbose: bool,
    access_method: Option<String>,
) -> Result<Table, Error> {
    let extra = if verbose {
        ",\n  a.attstorage,\n  a.attcompression AS attcompression,\n  CASE WHEN a.attstattarget=-1 THEN NULL ELSE a.attstattarget END AS attstattarget,\n  pg_catalog.col_description(a.attrelid, a.attnum)"
    } else {
        ""
    };
    let cols = one(
        client,
        &format!(
            "SELECT a.attname,\n  pg_catalog.format_type(a.atttypid, a.atttypmod),\n  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)\n   FROM pg_catalog.pg_attrdef d\n   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),\n  a.attnotnull,\n  (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t\n   WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,\n  a.attidentity,\n  a.attgenerated{extra}\nFROM pg_catalog.pg_attribute a\nWHERE a.attrelid = {oid} AND a.attnum > 0 AND NOT a.attisdropped\nORDER BY a.attnum;"
        ),
    )?;
    // psql shows compression and statistics targets for what stores rows.
    let stored = matches!(kind, 'r' | 'p' | 'm' | 'f');
    let rows = cols
        .rows
        .iter()
        .map(|r| {
            let default = match (cell(r, 5), cell(r, 6)) {
                ("a", _) => "generated always as identity".to_string(),
                ("d", _) => "generated by default as identity".to_string(),
                (_, "s") => format!("generated always as ({}) stored", cell(r, 2)),
                _ => cell(r, 2).to_string(),
            };
            let mut row = vec![
                Some(cell(r, 0).to_string()),
                Some(cell(r, 1).to_string()),
                Some(cell(r, 4).to_string()),
                Some(if cell(r, 3) == "t" { "not null" } else { "" }.to_string()),
                Some(default),
            ];
            if verbose {
                row.push(Some(storage_name(cell(r, 7)).to_string()));
                if stored {
                    let compression = match cell(r, 8) {
                        "p" => "pglz",
                        "l" => "lz4",
                        _ => "",
                    };
                    row.push(Some(compression.to_string()));
                    row.push(Some(cell(r, 9).to_string()));
                }
                row.push(Some(cell(r, 10).to_string()));
            }
            row
        })
        .collect::<Vec<_>>();
    let mut footers = Vec::new();
    if stored {
        table_footers(client, oid, &mut footers)?;
    }
    if verbose && kind == 'v' {
        let def = one(
            client,
            &format!("SELECT pg_catalog.pg_get_viewdef({oid}::pg_catalog.oid, true);"),
        )?;
        if let Some(d) = def.rows.first() {
            footers.push("View definition:".into());
            footers.extend(cell(d, 0).lines().map(str::to_string));
        }
    }
    if let Some(am) = access_method {
        footers.push(format!("Access method: {am}"));
    }
    let mut names = vec!["Column", "Type", "Collation", "Nullable", "Default"];
    if verbose {
        names.push("Storage");
        if stored {
            names.extend(["Compression", "Stats target"]);
        }
        names.push("Description");
    }
    Ok(Table {
        title,
        outcome: Outcome {
            tag: format!("SELECT {}", rows.len()),
            columns: text_columns(&names),
            rows,
        },
        footers,
        row_count: false,
    })
}

/// psql's name for a column's `attstorage`.
fn storage_name(code: &str) -> &'static str {
    match code {
        "p" => "plain",
        "m" => "main",
        "x" => "extended",
        "e" => "external",
        _ => "???",
    }
}

fn table_footers(
    client: &mut dyn Client,
    oid: &str,
    footers: &mut Vec<String>,
) -> Result<(), Error> {
    let idx = one(
        client,
        &format!(
            "SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered, i.indisvalid, pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),\n  pg_catalog.pg_get_constraintdef(con.oid, true), contype, condeferrable, condeferred, i.indisreplident, c2.reltablespace\nFROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i\n  LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x'))\nWHERE c.oid = {oid} AND c.oid = i.indrelid AND i.indexrelid = c2.oid\nORDER BY i.indisprimary DESC, c2.relname;"
        ),
    )?;
    if !idx.rows.is_empty() {
        footers.push("Indexes:".into());
        for r in &idx.rows {
            let mut s = format!("    \"{}\"", cell(r, 0));
            if cell(r, 7) == "x" {
                s.push(' ');
                s.push_str(cell(r, 6));
            } else {
                if cell(r, 1) == "t" {
                    s.push_str(" PRIMARY KEY,");
                } else if cell(r, 2) == "t" {
                    s.push_str(if cell(r, 7) == "u" {
                        " UNIQUE CONSTRAINT,"
                    } else {
                        " UNIQUE,"
                    });
                }
                // Everything after USING is echoed, as psql does.
                let def = cell(r, 5);
                let def = def.find(" USING ").map_or(def, |p| &def[p + 7..]);
                s.push(' ');
                s.push_str(def);
                if cell(r, 8) == "t" {
                    s.push_str(" DEFERRABLE");
                }
                if cell(r, 9) == "t" {
                    s.push_str(" INITIALLY DEFERRED");
                }
            }
            if cell(r, 3) == "t" {
                s.push_str(" CLUSTER");
            }
            if cell(r, 4) != "t" {
                s.push_str(" INVALID");
            }
            if cell(r, 10) == "t" {
                s.push_str(" REPLICA IDENTITY");
            }
            footers.push(s);
        }
    }
    let checks = one(
        client,
        &format!(
            "SELECT r.conname, pg_catalog.pg_get_constraintdef(r.oid, true)\nFROM pg_catalog.pg_constraint r\nWHERE r.conrelid = {oid} AND r.contype = 'c'\nORDER BY 1;"
        ),
    )?;
    if !checks.rows.is_empty() {
        footers.push("Check constraints:".into());
        for r in &checks.rows {
            footers.push(format!("    \"{}\" {}", cell(r, 0), cell(r, 1)));
        }
    }
    let fks = one(
        client,
        &format!(
            "SELECT true as sametable, conname,\n  pg_catalog.pg_get_constraintdef(r.oid, true) as condef,\n  conrelid::pg_catalog.regclass AS ontable\nFROM pg_catalog.pg_constraint r\nWHERE r.conrelid = {oid} AND r.contype = 'f'\n     AND conparentid = 0\nORDER BY conname"
        ),
    )?;
    if !fks.rows.is_empty() {
        footers.push("Foreign-key constraints:".into());
        for r in &fks.rows {
            footers.push(format!("    \"{}\" {}", cell(r, 1), cell(r, 2)));
        }
    }
    let refs = one(
        client,
        &format!(
            "SELECT conname, conrelid::pg_catalog.regclass AS ontable,\n       pg_catalog.pg_get_constraintdef(oid, true) AS condef\n  FROM pg_catalog.pg_constraint c\n WHERE confrelid IN (SELECT pg_catalog.pg_partition_ancestors({oid})\n                     UNION ALL VALUES ({oid}::pg_catalog.regclass))\n       AND contype = 'f' AND conparentid = 0\nORDER BY conname;"
        ),
    )?;
    if !refs.rows.is_empty() {
        footers.push("Referenced by:".into());
        for r in &refs.rows {
            footers.push(format!(
                "    TABLE \"{}\" CONSTRAINT \"{}\" {}",
                cell(r, 1),
                cell(r, 0),
                cell(r, 2)
            ));
        }
    }
    Ok(())
}

fn describe_index(
    client: &mut dyn Client,
    oid: &str,
    schema: &str,
    verbose: bool,
    title: String,
) -> Result<Table, Error> {
    let extra = if verbose {
        ",\n  a.attstorage,\n  CASE WHEN a.attstattarget=-1 THEN NULL ELSE a.attstattarget END AS attstattarget"
    } else {
        ""
    };
    let cols = one(
        client,
        &format!(
            "SELECT a.attname,\n  pg_catalog.format_type(a.atttypid, a.atttypmod),\n  CASE WHEN a.attnum <= (SELECT i.indnkeyatts FROM pg_catalog.pg_index i WHERE i.indexrelid = {oid}) THEN 'yes' ELSE 'no' END AS is_key,\n  pg_catalog.pg_get_indexdef(a.attrelid, a.attnum, TRUE) AS indexdef{extra}\nFROM pg_catalog.pg_attribute a\nWHERE a.attrelid = {oid} AND a.attnum > 0 AND NOT a.attisdropped\nORDER BY a.attnum;"
        ),
    )?;
    let info = one(
        client,
        &format!(
            "SELECT i.indisunique, i.indisprimary, i.indisclustered, i.indisvalid,\n  (NOT i.indimmediate) AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x') AND condeferrable) AS condeferrable,\n  (NOT i.indimmediate) AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x') AND condeferred) AS condeferred,\ni.indisreplident,\ni.indnullsnotdistinct,\n  a.amname, c2.relname, pg_catalog.pg_get_expr(i.indpred, i.indrelid, true)\nFROM pg_catalog.pg_index i, pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_am a\nWHERE i.indexrelid = c.oid AND c.oid = {oid} AND c.relam = a.oid\nAND i.indrelid = c2.oid;"
        ),
    )?;
    let mut footers = Vec::new();
    if let Some(r) = info.rows.first() {
        let mut s = String::new();
        if cell(r, 1) == "t" {
            s.push_str("primary key, ");
        } else if cell(r, 0) == "t" {
            s.push_str("unique");
            if cell(r, 7) == "t" {
                s.push_str(" nulls not distinct");
            }
            s.push_str(", ");
        }
        s.push_str(&format!(
            "{}, for table \"{schema}.{}\"",
            cell(r, 8),
            cell(r, 9)
        ));
        if !cell(r, 10).is_empty() {
            s.push_str(&format!(", predicate ({})", cell(r, 10)));
        }
        if cell(r, 2) == "t" {
            s.push_str(", clustered");
        }
        if cell(r, 3) != "t" {
            s.push_str(", invalid");
        }
        if cell(r, 4) == "t" {
            s.push_str(", deferrable");
        }
        if cell(r, 5) == "t" {
            s.push_str(", initially deferred");
        }
        if cell(r, 6) == "t" {
            s.push_str(", replica identity");
        }
        footers.push(s);
    }
    let rows = cols
        .rows
        .iter()
        .map(|r| {
            let mut row: Vec<Option<String>> =
                (0..4).map(|i| Some(cell(r, i).to_string())).collect();
            if verbose {
                row.push(Some(storage_name(cell(r, 4)).to_string()));
                row.push(Some(cell(r, 5).to_string()));
            }
            row
        })
        .collect::<Vec<_>>();
    let mut names = vec!["Column", "Type", "Key?", "Definition"];
    if verbose {
        names.extend(["Storage", "Stats target"]);
    }
    Ok(Table {
        title,
        outcome: Outcome {
            tag: format!("SELECT {}", rows.len()),
            columns: text_columns(&names),
            rows,
        },
        footers,
        row_count: false,
    })
}

fn describe_sequence(client: &mut dyn Client, oid: &str, title: String) -> Result<Table, Error> {
    let outcome = one(
        client,
        &format!(
            "SELECT pg_catalog.format_type(seqtypid, NULL) AS \"Type\",\n       seqstart AS \"Start\",\n       seqmin AS \"Minimum\",\n       seqmax AS \"Maximum\",\n       seqincrement AS \"Increment\",\n       CASE WHEN seqcycle THEN 'yes' ELSE 'no' END AS \"Cycles?\",\n       seqcache AS \"Cache\"\nFROM pg_catalog.pg_sequence\nWHERE seqrelid = {oid};"
        ),
    )?;
    let owner = one(
        client,
        &format!(
            "SELECT pg_catalog.quote_ident(nspname) || '.' ||\n   pg_catalog.quote_ident(relname) || '.' ||\n   pg_catalog.quote_ident(attname),\n   d.deptype\nFROM pg_catalog.pg_class c\nINNER JOIN pg_catalog.pg_depend d ON c.oid=d.refobjid\nINNER JOIN pg_catalog.pg_namespace n ON n.oid=c.relnamespace\nINNER JOIN pg_catalog.pg_attribute a ON (\n a.attrelid=c.oid AND\n a.attnum=d.refobjsubid)\nWHERE d.classid='pg_catalog.pg_class'::pg_catalog.regclass\n AND d.refclassid='pg_catalog.pg_class'::pg_catalog.regclass\n AND d.objid={oid}\n AND d.deptype IN ('a', 'i')"
        ),
    );
    // An older catalog without pg_depend rows for sequences just shows no owner.
    let mut footers = Vec::new();
    if let Ok(o) = owner
        && let Some(r) = o.rows.first()
    {
        footers.push(match cell(r, 1) {
            "i" => format!("Sequence for identity column: {}", cell(r, 0)),
            _ => format!("Owned by: {}", cell(r, 0)),
        });
    }
    Ok(Table {
        title,
        outcome,
        footers,
        row_count: false,
    })
}

/// `\dT[S+] [pattern]`: data types (not the array types of other types, nor the row types of
/// tables), as psql 15 lists them.
pub fn list_types(
    client: &mut dyn Client,
    system: bool,
    verbose: bool,
    pattern: Option<&str>,
) -> Result<Table, Error> {
    let mut sql = String::from(
        "SELECT n.nspname as \"Schema\",\n  pg_catalog.format_type(t.oid, NULL) AS \"Name\",\n",
    );
    if verbose {
        sql.push_str("  t.typname AS \"Internal name\",\n  CASE WHEN t.typrelid != 0\n      THEN CAST('tuple' AS pg_catalog.text)\n    WHEN t.typlen < 0\n      THEN CAST('var' AS pg_catalog.text)\n    ELSE CAST(t.typlen AS pg_catalog.text)\n  END AS \"Size\",\n  pg_catalog.array_to_string(\n      ARRAY(\n          SELECT e.enumlabel\n          FROM pg_catalog.pg_enum e\n          WHERE e.enumtypid = t.oid\n          ORDER BY e.enumsortorder\n      ),\n      E'\\n'\n  ) AS \"Elements\",\n  pg_catalog.pg_get_userbyid(t.typowner) AS \"Owner\",\npg_catalog.array_to_string(t.typacl, E'\\n') AS \"Access privileges\",\n    ");
    }
    sql.push_str("  pg_catalog.obj_description(t.oid, 'pg_type') as \"Description\"\nFROM pg_catalog.pg_type t\n     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace\n");
    sql.push_str("WHERE (t.typrelid = 0 OR (SELECT c.relkind = 'c' FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid))\n");
    sql.push_str("  AND NOT EXISTS(SELECT 1 FROM pg_catalog.pg_type el WHERE el.oid = t.typelem AND el.typarray = t.oid)\n");
    if !system && pattern.is_none() {
        sql.push_str(
            "      AND n.nspname <> 'pg_catalog'\n      AND n.nspname <> 'information_schema'\n",
        );
    }
    // psql matches the pattern against the internal name and the formatted one.
    match pattern {
        Some(p) => {
            let by_name = pattern::conditions(
                p,
                Some("n.nspname"),
                "t.typname",
                Some("pg_catalog.pg_type_is_visible(t.oid)"),
            )?;
            let by_format = pattern::conditions(
                p,
                Some("n.nspname"),
                "pg_catalog.format_type(t.oid, NULL)",
                Some("pg_catalog.pg_type_is_visible(t.oid)"),
            )?;
            sql.push_str(&format!(
                "  AND ((true\n{by_name}) OR (true\n{by_format}))\n"
            ));
        }
        None => sql.push_str("  AND pg_catalog.pg_type_is_visible(t.oid)\n"),
    }
    sql.push_str("ORDER BY 1, 2;");
    Ok(Table {
        title: "List of data types".into(),
        outcome: one(client, &sql)?,
        footers: Vec::new(),
        row_count: true,
    })
}

/// `\sf[+] FUNCTION`: the function's definition as `pg_get_functiondef` gives it
/// (`CREATE OR REPLACE FUNCTION ...`); a name with an argument list picks one overload
/// (psql's `regprocedure` cast), a bare name must be unique (`regproc`). With `+`, the body's
/// lines are numbered from the one that starts it (`AS `, `BEGIN `, `RETURN `), as psql
/// numbers them.
pub fn function_source(
    client: &mut dyn Client,
    verbose: bool,
    name: &str,
) -> Result<String, Error> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::Sql(Message::client(
            "42601",
            "function name is required",
        )));
    }
    let cast = if name.contains('(') {
        "regprocedure"
    } else {
        "regproc"
    };
    let oid = one(
        client,
        &format!(
            "SELECT {}::pg_catalog.{cast}::pg_catalog.oid",
            literal(name)
        ),
    )?;
    let oid = oid
        .rows
        .first()
        .map(|r| cell(r, 0).to_string())
        .unwrap_or_default();
    let def = one(
        client,
        &format!("SELECT pg_catalog.pg_get_functiondef({oid})"),
    )?;
    let mut text = def
        .rows
        .first()
        .map(|r| cell(r, 0).to_string())
        .unwrap_or_default();
    if verbose {
        let mut numbered = String::new();
        let mut n = 0;
        for line in text.lines() {
            if n == 0
                && (line.starts_with("AS ")
                    || line.starts_with("BEGIN ")
                    || line.starts_with("RETURN "))
            {
                n = 1;
            } else if n > 0 {
                n += 1;
            }
            if n == 0 {
                numbered.push_str(&format!("        {line}\n"));
            } else {
                numbered.push_str(&format!("{n:<7} {line}\n"));
            }
        }
        text = numbered;
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}
