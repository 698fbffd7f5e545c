//! `basalt dump`: a database as a plain SQL script (schema, then `COPY ... FROM stdin` data
//! blocks ending with `\.`, then indexes and constraints) that `basalt restore` and
//! PostgreSQL's psql both load.
//!
//! # Design
//!
//! Everything is read through a [`Client`], so a directory, `:memory:` and a server (Basalt
//! or PostgreSQL) are dumped the same way, from the catalog (`pg_catalog` plus the functions
//! both have: `format_type`, `pg_get_expr`, `pg_get_constraintdef`, `pg_get_indexdef`,
//! `pg_get_viewdef`, `pg_get_functiondef`, `pg_get_serial_sequence`).
//!
//! The whole dump runs in one `REPEATABLE READ, READ ONLY` transaction: the catalog and every
//! table's rows come from one MVCC snapshot, so the script shows the database at one point in
//! time while writers go on committing (a snapshot takes no locks). Sequences are not
//! transactional (in PostgreSQL either): their values are read when the dump reaches them.
//!
//! The script follows pg_dump's layout:
//!
//! 1. pre-data: schemas, types (enums, composites, domains), sequences, then functions,
//!    tables (with their defaults, identity and generated columns, NOT NULL and CHECK
//!    constraints) and views in an order their dependencies allow (see [`dependency_order`]:
//!    a view reading another view or calling a function, a table whose DEFAULT or CHECK calls
//!    a function, a function with a standard SQL body naming a table), then `OWNED BY`;
//! 2. data: one `COPY table (columns) FROM stdin;` block per table (generated columns are
//!    left out, as PostgreSQL computes them), then each sequence's `setval`;
//! 3. post-data: primary keys and unique constraints, indexes, foreign keys and NOT VALID
//!    checks (after the data, as pg_dump does, so rows load in any order), comments.
//!
//! Functions with a string body (`AS $$...$$`) may name tables made later:
//! `check_function_bodies` is off in the script, as pg_dump sets it. The script sets
//! `search_path` to `public`, the path the dump reads the catalog with, so that the names
//! `format_type` and the deparsed expressions leave unqualified resolve the same way.
//! Ownership and privileges are not dumped (Basalt has no GRANT; roles differ between
//! servers), as `pg_dump --no-owner --no-privileges`.

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::path::Path;

use basalt_sql::parse::quote_identifier;

use crate::client::{self, Client, Message, Outcome, Output, rows};

/// What to dump.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only the schema (no data, no sequence values).
    pub schema_only: bool,
    /// Only the data (COPY blocks and sequence values).
    pub data_only: bool,
    /// Only these tables, views and sequences (psql-style patterns: `name`, `schema.name`,
    /// `*` and `?` wildcards, unquoted letters folded to lower case).
    pub tables: Vec<String>,
    /// Only objects of these schemas (patterns as for `tables`).
    pub schemas: Vec<String>,
}

/// What a dump wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Tables whose data was dumped.
    pub tables: usize,
    /// Rows dumped.
    pub rows: u64,
    /// Objects the database has that the dump leaves out (PostgreSQL's materialized views,
    /// partitioned and foreign tables, triggers, row security policies), for a warning.
    pub not_dumped: Vec<String>,
}

// PostgreSQL's fixed OIDs of the catalogs pg_description.classoid names.
const PG_CLASS: u32 = 1259;
const PG_TYPE: u32 = 1247;
const PG_PROC: u32 = 1255;
const PG_NAMESPACE: u32 = 2615;
const PG_CONSTRAINT: u32 = 2606;

/// One catalog row in text form.
type Row = Vec<Option<String>>;

fn bad(what: &str) -> Message {
    Message::client("XX000", format!("unexpected catalog contents: {what}"))
}

fn io(e: std::io::Error) -> Message {
    Message::client("58030", format!("could not write the dump: {e}"))
}

/// Typed access to a catalog row's text fields.
struct R<'a>(&'a Row);

impl R<'_> {
    fn opt(&self, i: usize) -> Option<&str> {
        self.0.get(i).and_then(|v| v.as_deref())
    }
    fn s(&self, i: usize) -> String {
        self.opt(i).unwrap_or_default().to_string()
    }
    fn b(&self, i: usize) -> bool {
        self.opt(i) == Some("t")
    }
    fn oid(&self, i: usize) -> Result<u32, Message> {
        let v = self.opt(i).unwrap_or_default();
        v.parse().map_err(|_| bad(&format!("OID {v:?}")))
    }
}

/// `'text'` as a SQL string literal (standard_conforming_strings on: only quotes double).
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn qi(s: &str) -> String {
    quote_identifier(s)
}

/// A psql-style name pattern: `*` any characters, `?` one, `"..."` literal; unquoted letters
/// fold to lower case; an unquoted `.` separates schema and name.
#[derive(Debug, Clone)]
struct Pattern {
    schema: Option<Vec<Tok>>,
    name: Vec<Tok>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Char(char),
    Any,
    One,
}

impl Pattern {
    fn parse(p: &str) -> Pattern {
        let mut parts: Vec<Vec<Tok>> = vec![Vec::new()];
        let mut quoted = false;
        let mut chars = p.chars().peekable();
        while let Some(c) = chars.next() {
            let cur = parts.last_mut().expect("parts is never empty");
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    cur.push(Tok::Char('"'));
                }
                '"' => quoted = !quoted,
                c if quoted => cur.push(Tok::Char(c)),
                '.' => parts.push(Vec::new()),
                '*' => cur.push(Tok::Any),
                '?' => cur.push(Tok::One),
                c => cur.extend(c.to_lowercase().map(Tok::Char)),
            }
        }
        let name = parts.pop().unwrap_or_default();
        // `db.schema.name`: the database part is ignored (one database is dumped).
        let schema = parts.pop();
        Pattern { schema, name }
    }

    fn matches(&self, schema: &str, name: &str) -> bool {
        self.schema.as_ref().is_none_or(|s| glob(s, schema)) && glob(&self.name, name)
    }
}

fn glob(p: &[Tok], s: &str) -> bool {
    let s: Vec<char> = s.chars().collect();
    // Iterative wildcard matching with backtracking to the last `*`.
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(Tok::Any) => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(Tok::One) => {
                pi += 1;
                si += 1;
            }
            Some(Tok::Char(c)) if *c == s[si] => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|t| *t == Tok::Any)
}

#[derive(Debug)]
enum TypeKind {
    Enum(Vec<String>),
    Composite(Vec<(String, String)>),
    Domain {
        base: String,
        not_null: bool,
        default: Option<String>,
        checks: Vec<(String, String)>,
    },
}

#[derive(Debug)]
struct TypeDef {
    oid: u32,
    schema: u32,
    name: String,
    kind: TypeKind,
}

#[derive(Debug)]
struct Func {
    oid: u32,
    schema: u32,
    name: String,
    def: String,
    identity_args: String,
    procedure: bool,
}

#[derive(Debug)]
struct Seq {
    oid: u32,
    schema: u32,
    name: String,
    ty: String,
    start: String,
    increment: String,
    min: String,
    max: String,
    cache: String,
    cycle: bool,
    /// `(table OID, column name, identity)` of an owning column.
    owned_by: Option<(u32, String, bool)>,
}

#[derive(Debug)]
struct Col {
    name: String,
    ty: String,
    not_null: bool,
    default: Option<String>,
    /// `a` ALWAYS, `d` BY DEFAULT, empty.
    identity: String,
    /// `s` STORED, empty.
    generated: String,
    collation: Option<String>,
}

#[derive(Debug)]
struct Rel {
    oid: u32,
    schema: u32,
    name: String,
    /// `r` table, `v` view, `S` sequence.
    kind: String,
    cols: Vec<Col>,
}

#[derive(Debug)]
struct Con {
    oid: u32,
    rel: u32,
    name: String,
    kind: String,
    def: String,
    validated: bool,
    /// The referenced table of a foreign key (0 otherwise).
    refrel: u32,
}

#[derive(Debug)]
struct Index {
    oid: u32,
    name: String,
    rel: u32,
    def: String,
    /// Backs a primary key / unique / exclusion constraint (made by it).
    of_constraint: bool,
}

/// The catalog as read at the dump's snapshot.
#[derive(Debug, Default)]
struct Catalog {
    version: String,
    database: String,
    schemas: Vec<(u32, String)>,
    types: Vec<TypeDef>,
    funcs: Vec<Func>,
    seqs: Vec<Seq>,
    rels: Vec<Rel>,
    cons: Vec<Con>,
    indexes: Vec<Index>,
    views: HashMap<u32, String>,
    comments: Vec<(u32, u32, i32, String)>,
    not_dumped: Vec<String>,
}

const USER_NAMESPACES: &str = "(SELECT n.oid FROM pg_catalog.pg_namespace n \
     WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema')";

fn read_catalog(c: &mut dyn Client) -> Result<Catalog, Message> {
    let mut cat = Catalog::default();
    for r in rows(
        c,
        "SELECT pg_catalog.version(), pg_catalog.current_database()",
    )? {
        cat.version = R(&r).s(0);
        cat.database = R(&r).s(1);
    }
    for r in rows(
        c,
        &format!(
            "SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n \
             WHERE n.oid IN {USER_NAMESPACES} ORDER BY n.nspname"
        ),
    )? {
        cat.schemas.push((R(&r).oid(0)?, R(&r).s(1)));
    }

    // Types: enums, composites (CREATE TYPE ... AS, relkind 'c') and domains.
    let mut labels: HashMap<u32, Vec<String>> = HashMap::new();
    for r in rows(
        c,
        "SELECT e.enumtypid, e.enumlabel FROM pg_catalog.pg_enum e \
         ORDER BY e.enumtypid, e.enumsortorder",
    )? {
        labels.entry(R(&r).oid(0)?).or_default().push(R(&r).s(1));
    }
    let mut fields: HashMap<u32, Vec<(String, String)>> = HashMap::new();
    for r in rows(
        c,
        &format!(
            "SELECT t.oid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) \
             FROM pg_catalog.pg_type t \
             JOIN pg_catalog.pg_class k ON k.oid = t.typrelid AND k.relkind = 'c' \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = t.typrelid \
             WHERE t.typnamespace IN {USER_NAMESPACES} AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY t.oid, a.attnum"
        ),
    )? {
        fields
            .entry(R(&r).oid(0)?)
            .or_default()
            .push((R(&r).s(1), R(&r).s(2)));
    }
    let mut dchecks: HashMap<u32, Vec<(String, String)>> = HashMap::new();
    for r in rows(
        c,
        "SELECT k.contypid, k.conname, pg_catalog.pg_get_constraintdef(k.oid) \
         FROM pg_catalog.pg_constraint k WHERE k.contypid <> 0 AND k.contype = 'c' \
         ORDER BY k.contypid, k.conname",
    )? {
        dchecks
            .entry(R(&r).oid(0)?)
            .or_default()
            .push((R(&r).s(1), R(&r).s(2)));
    }
    for r in rows(
        c,
        &format!(
            "SELECT t.oid, t.typnamespace, t.typname, t.typtype, \
             CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END, \
             t.typnotnull, t.typdefault \
             FROM pg_catalog.pg_type t \
             WHERE t.typnamespace IN {USER_NAMESPACES} \
             AND (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND EXISTS \
             (SELECT 1 FROM pg_catalog.pg_class k WHERE k.oid = t.typrelid AND k.relkind = 'c'))) \
             ORDER BY t.oid"
        ),
    )? {
        let r = R(&r);
        let oid = r.oid(0)?;
        let kind = match r.opt(3) {
            Some("e") => TypeKind::Enum(labels.remove(&oid).unwrap_or_default()),
            Some("c") => TypeKind::Composite(fields.remove(&oid).unwrap_or_default()),
            _ => TypeKind::Domain {
                base: r.s(4),
                not_null: r.b(5),
                default: r.opt(6).map(str::to_string),
                checks: dchecks.remove(&oid).unwrap_or_default(),
            },
        };
        cat.types.push(TypeDef {
            oid,
            schema: r.oid(1)?,
            name: r.s(2),
            kind,
        });
    }

    // Functions and procedures (not aggregates; not those of extensions).
    for r in rows(
        c,
        &format!(
            "SELECT p.oid, p.pronamespace, p.proname, pg_catalog.pg_get_functiondef(p.oid), \
             pg_catalog.pg_get_function_identity_arguments(p.oid), p.prokind \
             FROM pg_catalog.pg_proc p \
             WHERE p.pronamespace IN {USER_NAMESPACES} AND p.prokind IN ('f', 'p') \
             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
             WHERE d.objid = p.oid AND d.deptype = 'e') \
             ORDER BY p.oid"
        ),
    )? {
        let r = R(&r);
        cat.funcs.push(Func {
            oid: r.oid(0)?,
            schema: r.oid(1)?,
            name: r.s(2),
            def: r.s(3),
            identity_args: r.s(4),
            procedure: r.opt(5) == Some("p"),
        });
    }

    // Relations: tables, views, sequences.
    for r in rows(
        c,
        &format!(
            "SELECT c.oid, c.relnamespace, c.relname, c.relkind FROM pg_catalog.pg_class c \
             WHERE c.relnamespace IN {USER_NAMESPACES} AND c.relkind IN ('r', 'v', 'S') \
             ORDER BY c.oid"
        ),
    )? {
        let r = R(&r);
        cat.rels.push(Rel {
            oid: r.oid(0)?,
            schema: r.oid(1)?,
            name: r.s(2),
            kind: r.s(3),
            cols: Vec::new(),
        });
    }
    let pos: HashMap<u32, usize> = cat
        .rels
        .iter()
        .enumerate()
        .map(|(i, r)| (r.oid, i))
        .collect();
    for r in rows(
        c,
        &format!(
            "SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), \
             a.attnotnull, a.attidentity, a.attgenerated, pg_catalog.pg_get_expr(d.adbin, d.adrelid), \
             CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation \
             THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END \
             FROM pg_catalog.pg_attribute a \
             JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
             JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation \
             LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace \
             WHERE c.relnamespace IN {USER_NAMESPACES} AND c.relkind IN ('r', 'v') \
             AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attrelid, a.attnum"
        ),
    )? {
        let r = R(&r);
        let Some(&i) = pos.get(&r.oid(0)?) else {
            continue;
        };
        cat.rels[i].cols.push(Col {
            name: r.s(1),
            ty: r.s(2),
            not_null: r.b(3),
            identity: r.s(4),
            generated: r.s(5),
            default: r.opt(6).map(str::to_string),
            collation: r.opt(7).map(str::to_string),
        });
    }

    // Sequences: their settings and the column owning each.
    let mut owners: HashMap<u32, (u32, String, bool)> = HashMap::new();
    for r in rows(
        c,
        "SELECT d.objid, d.refobjid, a.attname, d.deptype \
         FROM pg_catalog.pg_depend d \
         JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
         WHERE d.classid = 1259 AND d.refclassid = 1259 AND d.deptype IN ('a', 'i') \
         AND d.refobjsubid > 0",
    )? {
        let r = R(&r);
        owners.insert(r.oid(0)?, (r.oid(1)?, r.s(2), r.opt(3) == Some("i")));
    }
    for r in rows(
        c,
        &format!(
            "SELECT c.oid, c.relnamespace, c.relname, pg_catalog.format_type(s.seqtypid, NULL), \
             s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid \
             WHERE c.relnamespace IN {USER_NAMESPACES} ORDER BY c.oid"
        ),
    )? {
        let r = R(&r);
        let oid = r.oid(0)?;
        cat.seqs.push(Seq {
            oid,
            schema: r.oid(1)?,
            name: r.s(2),
            ty: r.s(3),
            start: r.s(4),
            increment: r.s(5),
            min: r.s(6),
            max: r.s(7),
            cache: r.s(8),
            cycle: r.b(9),
            owned_by: owners.remove(&oid),
        });
    }

    // Table constraints (domain ones are read with the domains).
    for r in rows(
        c,
        &format!(
            "SELECT k.oid, k.conrelid, k.conname, k.contype, \
             pg_catalog.pg_get_constraintdef(k.oid), k.convalidated, k.confrelid \
             FROM pg_catalog.pg_constraint k \
             WHERE k.conrelid <> 0 AND k.connamespace IN {USER_NAMESPACES} \
             ORDER BY k.conrelid, k.conname"
        ),
    )? {
        let r = R(&r);
        cat.cons.push(Con {
            oid: r.oid(0)?,
            rel: r.oid(1)?,
            name: r.s(2),
            kind: r.s(3),
            def: r.s(4),
            validated: r.b(5),
            refrel: r.oid(6)?,
        });
    }
    for r in rows(
        c,
        &format!(
            "SELECT i.indexrelid, i.indrelid, pg_catalog.pg_get_indexdef(i.indexrelid), \
             EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid \
             AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x')), c.relname \
             FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
             WHERE c.relnamespace IN {USER_NAMESPACES} ORDER BY i.indexrelid"
        ),
    )? {
        let r = R(&r);
        cat.indexes.push(Index {
            oid: r.oid(0)?,
            rel: r.oid(1)?,
            def: r.s(2),
            of_constraint: r.b(3),
            name: r.s(4),
        });
    }
    for r in rows(
        c,
        &format!(
            "SELECT c.oid, pg_catalog.pg_get_viewdef(c.oid) FROM pg_catalog.pg_class c \
             WHERE c.relnamespace IN {USER_NAMESPACES} AND c.relkind = 'v'"
        ),
    )? {
        cat.views.insert(R(&r).oid(0)?, R(&r).s(1));
    }
    for r in rows(
        c,
        "SELECT d.classoid, d.objoid, d.objsubid, d.description FROM pg_catalog.pg_description d \
         ORDER BY d.classoid, d.objoid, d.objsubid",
    )? {
        let r = R(&r);
        let sub = r.s(2).parse().map_err(|_| bad("objsubid"))?;
        cat.comments.push((r.oid(0)?, r.oid(1)?, sub, r.s(3)));
    }
    // What Basalt does not have, so the dump leaves it out (reading a PostgreSQL database).
    for r in rows(
        c,
        &format!(
            "SELECT CASE c.relkind WHEN 'm' THEN 'materialized view' \
             WHEN 'p' THEN 'partitioned table' WHEN 'f' THEN 'foreign table' \
             ELSE 'table partition (dumped as a plain table)' END || ' ' || \
             pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relnamespace IN {USER_NAMESPACES} \
             AND (c.relkind IN ('m', 'p', 'f') OR (c.relkind = 'r' AND c.relispartition)) \
             UNION ALL SELECT pg_catalog.count(*) || ' trigger(s)' FROM pg_catalog.pg_trigger t \
             WHERE NOT t.tgisinternal HAVING pg_catalog.count(*) > 0 \
             UNION ALL SELECT pg_catalog.count(*) || ' row security policy(ies)' \
             FROM pg_catalog.pg_policy HAVING pg_catalog.count(*) > 0 \
             ORDER BY 1"
        ),
    )? {
        cat.not_dumped.push(R(&r).s(0));
    }
    Ok(cat)
}

/// Which objects the options select.
struct Selection {
    schemas: BTreeSet<u32>,
    /// Relations (tables, views, sequences) to dump.
    rels: BTreeSet<u32>,
    /// Whether schemas, types and functions are dumped (not with `-t`).
    global: bool,
}

fn select(cat: &Catalog, o: &Options) -> Result<Selection, Message> {
    let mut schemas = BTreeSet::new();
    let pats: Vec<(String, Pattern)> = o
        .schemas
        .iter()
        .map(|p| (p.clone(), Pattern::parse(p)))
        .collect();
    for (p, pat) in &pats {
        let before = schemas.len();
        for (oid, name) in &cat.schemas {
            if glob(&pat.name, name) {
                schemas.insert(*oid);
            }
        }
        if schemas.len() == before && !cat.schemas.iter().any(|(_, n)| glob(&pat.name, n)) {
            return Err(Message::client(
                "42704",
                format!("no matching schemas were found for pattern \"{p}\""),
            ));
        }
    }
    if pats.is_empty() {
        schemas = cat.schemas.iter().map(|s| s.0).collect();
    }
    let names: HashMap<u32, &str> = cat.schemas.iter().map(|(o, n)| (*o, n.as_str())).collect();
    let mut rels = BTreeSet::new();
    if o.tables.is_empty() {
        rels.extend(
            cat.rels
                .iter()
                .filter(|r| schemas.contains(&r.schema))
                .map(|r| r.oid),
        );
    } else {
        for p in &o.tables {
            let pat = Pattern::parse(p);
            let found: Vec<u32> = cat
                .rels
                .iter()
                .filter(|r| schemas.contains(&r.schema))
                .filter(|r| pat.matches(names.get(&r.schema).copied().unwrap_or(""), &r.name))
                .map(|r| r.oid)
                .collect();
            if found.is_empty() {
                return Err(Message::client(
                    "42P01",
                    format!("no matching tables were found for pattern \"{p}\""),
                ));
            }
            rels.extend(found);
        }
        // A table's sequences go with it (serial and identity columns), as in pg_dump.
        for s in &cat.seqs {
            if let Some((t, _, _)) = &s.owned_by
                && rels.contains(t)
            {
                rels.insert(s.oid);
            }
        }
    }
    Ok(Selection {
        schemas,
        rels,
        global: o.tables.is_empty(),
    })
}

/// Writes the script.
struct Writer<'a> {
    out: &'a mut dyn Write,
    cat: &'a Catalog,
    sel: &'a Selection,
    schema_names: HashMap<u32, String>,
}

impl<'a> Writer<'a> {
    fn line(&mut self, s: &str) -> Result<(), Message> {
        self.out.write_all(s.as_bytes()).map_err(io)?;
        self.out.write_all(b"\n").map_err(io)
    }

    fn header(&mut self, name: &str, kind: &str, schema: Option<u32>) -> Result<(), Message> {
        let schema = schema
            .and_then(|s| self.schema_names.get(&s))
            .map_or("-".to_string(), |s| s.clone());
        // Names are printed as they are: a newline in one must not end the comment.
        let clean = |s: &str| s.replace(['\n', '\r'], " ");
        self.line("--")?;
        self.line(&format!(
            "-- Name: {}; Type: {kind}; Schema: {}",
            clean(name),
            clean(&schema)
        ))?;
        self.line("--")?;
        self.line("")
    }

    /// `schema.name`, both quoted as needed.
    fn qname(&self, schema: u32, name: &str) -> String {
        match self.schema_names.get(&schema) {
            Some(s) => format!("{}.{}", qi(s), qi(name)),
            None => qi(name),
        }
    }

    fn rel(&self, oid: u32) -> Option<&'a Rel> {
        self.cat.rels.iter().find(|r| r.oid == oid)
    }

    fn rel_name(&self, oid: u32) -> Option<String> {
        self.rel(oid).map(|r| self.qname(r.schema, &r.name))
    }
}

/// Dumps the database `client` is connected to into `out` as a SQL script.
pub fn dump(client: &mut dyn Client, o: &Options, out: &mut dyn Write) -> Result<Stats, Message> {
    if o.schema_only && o.data_only {
        return Err(Message::client(
            "22023",
            "options --schema-only and --data-only cannot be used together",
        ));
    }
    // Output settings that make values read back the same anywhere; the search path the
    // script sets too (see the module comment).
    client::query(
        client,
        "SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3; \
         SELECT pg_catalog.set_config('search_path', 'public', false)",
    )?;
    client::query(client, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
    let r = dump_in_snapshot(client, o, out);
    // A read-only transaction: ending it cannot lose anything, whatever happened.
    let end = client::query(client, if r.is_ok() { "COMMIT" } else { "ROLLBACK" });
    let stats = r?;
    end?;
    out.flush().map_err(io)?;
    Ok(stats)
}

/// [`dump`] into the file `path`. A regular file is written under a temporary name next to
/// it, synced and renamed into place when the dump is complete, so a failed dump leaves
/// neither a partial script nor a damaged earlier one; anything else (`/dev/null`, a pipe)
/// is written directly.
pub fn dump_to_file(client: &mut dyn Client, o: &Options, path: &Path) -> Result<Stats, String> {
    let shown = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let regular = std::fs::metadata(path).map_or(true, |m| m.is_file());
    if !regular {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| shown(&e))?;
        let mut out = std::io::BufWriter::with_capacity(256 * 1024, f);
        return dump(client, o, &mut out)
            .map_err(|e| crate::print::format_error(&e, None).trim_end().to_string());
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.partial"));
    let r = (|| {
        let f = std::fs::File::create(&tmp).map_err(|e| shown(&e))?;
        let mut out = std::io::BufWriter::with_capacity(256 * 1024, f);
        let stats = dump(client, o, &mut out)
            .map_err(|e| crate::print::format_error(&e, None).trim_end().to_string())?;
        let f = out.into_inner().map_err(|e| shown(&e))?;
        f.sync_all().map_err(|e| shown(&e))?;
        std::fs::rename(&tmp, path).map_err(|e| shown(&e))?;
        Ok(stats)
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

fn dump_in_snapshot(
    client: &mut dyn Client,
    o: &Options,
    out: &mut dyn Write,
) -> Result<Stats, Message> {
    let cat = read_catalog(client)?;
    let sel = select(&cat, o)?;
    let mut stats = Stats {
        not_dumped: cat.not_dumped.clone(),
        ..Stats::default()
    };
    let mut w = Writer {
        out,
        cat: &cat,
        sel: &sel,
        schema_names: cat.schemas.iter().cloned().collect(),
    };
    w.line("--")?;
    w.line("-- Basalt database dump")?;
    w.line("--")?;
    w.line("")?;
    w.line(&format!(
        "-- Dumped from database {} ({})",
        qi(&cat.database),
        cat.version.replace(['\n', '\r'], " ")
    ))?;
    w.line(&format!(
        "-- Dumped by basalt dump {}",
        env!("CARGO_PKG_VERSION")
    ))?;
    w.line("")?;
    for s in [
        "SET statement_timeout = 0;",
        "SET lock_timeout = 0;",
        "SET idle_in_transaction_session_timeout = 0;",
        "SET client_encoding = 'UTF8';",
        "SET standard_conforming_strings = on;",
        "SELECT pg_catalog.set_config('search_path', 'public', false);",
        "SET check_function_bodies = false;",
        "SET client_min_messages = warning;",
    ] {
        w.line(s)?;
    }
    w.line("")?;
    if !o.data_only {
        pre_data(&mut w)?;
    }
    for n in &cat.not_dumped {
        w.line(&format!("-- Not dumped: {}", n.replace(['\n', '\r'], " ")))?;
    }
    if !cat.not_dumped.is_empty() {
        w.line("")?;
    }
    if !o.schema_only {
        data(client, &mut w, &mut stats)?;
    }
    if !o.data_only {
        post_data(&mut w)?;
    }
    w.line("--")?;
    w.line("-- Basalt database dump complete")?;
    w.line("--")?;
    Ok(stats)
}

fn pre_data(w: &mut Writer<'_>) -> Result<(), Message> {
    let cat = w.cat;
    let sel = w.sel;
    if sel.global {
        for (oid, name) in &cat.schemas {
            // `public` exists in every new database, Basalt's and PostgreSQL's.
            if !sel.schemas.contains(oid) || name == "public" {
                continue;
            }
            w.header(name, "SCHEMA", None)?;
            w.line(&format!("CREATE SCHEMA {};", qi(name)))?;
            w.line("")?;
        }
        for t in cat.types.iter().filter(|t| sel.schemas.contains(&t.schema)) {
            let name = w.qname(t.schema, &t.name);
            match &t.kind {
                TypeKind::Enum(labels) => {
                    w.header(&t.name, "TYPE", Some(t.schema))?;
                    let l: Vec<String> = labels
                        .iter()
                        .map(|l| format!("    {}", literal(l)))
                        .collect();
                    w.line(&format!(
                        "CREATE TYPE {name} AS ENUM (\n{}\n);",
                        l.join(",\n")
                    ))?;
                }
                TypeKind::Composite(fields) => {
                    w.header(&t.name, "TYPE", Some(t.schema))?;
                    let f: Vec<String> = fields
                        .iter()
                        .map(|(n, ty)| format!("    {} {ty}", qi(n)))
                        .collect();
                    w.line(&format!("CREATE TYPE {name} AS (\n{}\n);", f.join(",\n")))?;
                }
                TypeKind::Domain {
                    base,
                    not_null,
                    default,
                    checks,
                } => {
                    w.header(&t.name, "DOMAIN", Some(t.schema))?;
                    let mut s = format!("CREATE DOMAIN {name} AS {base}");
                    if let Some(d) = default {
                        s += &format!(" DEFAULT {d}");
                    }
                    if *not_null {
                        s += " NOT NULL";
                    }
                    for (n, def) in checks {
                        s += &format!("\n\tCONSTRAINT {} {def}", qi(n));
                    }
                    w.line(&format!("{s};"))?;
                }
            }
            w.line("")?;
        }
    }
    for s in cat.seqs.iter().filter(|s| sel.rels.contains(&s.oid)) {
        // Identity sequences are made by their column.
        if matches!(s.owned_by, Some((_, _, true))) {
            continue;
        }
        w.header(&s.name, "SEQUENCE", Some(s.schema))?;
        let mut text = format!(
            "CREATE SEQUENCE {}\n    AS {}\n    START WITH {}\n    INCREMENT BY {}\n    MINVALUE {}\n    MAXVALUE {}\n    CACHE {}",
            w.qname(s.schema, &s.name),
            s.ty,
            s.start,
            s.increment,
            s.min,
            s.max,
            s.cache
        );
        if s.cycle {
            text += "\n    CYCLE";
        }
        w.line(&format!("{text};"))?;
        w.line("")?;
    }
    for o in dependency_order(cat, sel) {
        match o {
            Obj::Func(f) => function(w, f)?,
            Obj::Table(r) => table(w, r)?,
            Obj::View(v) => view(w, v)?,
        }
    }
    for s in cat.seqs.iter().filter(|s| sel.rels.contains(&s.oid)) {
        if let Some((t, col, false)) = &s.owned_by
            && sel.rels.contains(t)
            && let Some(tn) = w.rel_name(*t)
        {
            w.header(&s.name, "SEQUENCE OWNED BY", Some(s.schema))?;
            w.line(&format!(
                "ALTER SEQUENCE {} OWNED BY {tn}.{};",
                w.qname(s.schema, &s.name),
                qi(col)
            ))?;
            w.line("")?;
        }
    }
    Ok(())
}

/// A function, table or view of the pre-data section: the objects whose definitions name
/// one another.
#[derive(Debug, Clone, Copy)]
enum Obj<'a> {
    Func(&'a Func),
    Table(&'a Rel),
    View(&'a Rel),
}

/// The selected functions, tables and views in an order their definitions allow: pg_dump's
/// topological sort, with creation (OID) order among objects free to go.
///
/// Basalt's `pg_depend` lists only sequence ownership, so dependencies are read from the
/// definitions themselves: an object depends on every other whose name occurs in its text as
/// an identifier (outside string literals and comments). A view's text is its query, a
/// table's its column types, defaults, generation expressions and CHECK constraints, a
/// function's its whole definition, where a string body (`AS $$...$$`) is a literal and
/// so not read — PostgreSQL checks such a body only when it runs (`check_function_bodies` is
/// off in the script), while a standard SQL body (`RETURN ...`, `BEGIN ATOMIC ... END`) is
/// resolved at creation and must follow what it names. Matching by name alone
/// over-approximates (a column named like a table, a name in another schema): the extra
/// edges only constrain the order, and a cycle (real or not) is broken by taking the oldest
/// object left, which is the creation order the dump used before.
fn dependency_order<'a>(cat: &'a Catalog, sel: &Selection) -> Vec<Obj<'a>> {
    let mut objs: Vec<(u32, &'a str, Obj<'a>)> = Vec::new();
    if sel.global {
        for f in cat.funcs.iter().filter(|f| sel.schemas.contains(&f.schema)) {
            objs.push((f.oid, &f.name, Obj::Func(f)));
        }
    }
    for r in cat.rels.iter().filter(|r| sel.rels.contains(&r.oid)) {
        match r.kind.as_str() {
            "r" => objs.push((r.oid, &r.name, Obj::Table(r))),
            "v" => objs.push((r.oid, &r.name, Obj::View(r))),
            _ => {}
        }
    }
    objs.sort_by_key(|o| o.0);
    // Which objects go by each name (functions may be overloaded).
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, o) in objs.iter().enumerate() {
        by_name.entry(o.1).or_default().push(i);
    }
    let text = |o: &Obj<'_>| -> String {
        match o {
            Obj::Func(f) => f.def.clone(),
            Obj::View(v) => cat.views.get(&v.oid).cloned().unwrap_or_default(),
            Obj::Table(t) => {
                let mut s = String::new();
                for c in &t.cols {
                    s += &c.ty;
                    s.push('\n');
                    if let Some(d) = &c.default {
                        s += d;
                        s.push('\n');
                    }
                }
                for k in cat
                    .cons
                    .iter()
                    .filter(|k| k.rel == t.oid && k.kind == "c" && k.validated)
                {
                    s += &k.def;
                    s.push('\n');
                }
                s
            }
        }
    };
    // needs[i]: how many objects i waits for; users[j]: the objects waiting for j.
    let mut needs = vec![0usize; objs.len()];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); objs.len()];
    for (i, o) in objs.iter().enumerate() {
        let mut deps = BTreeSet::new();
        for name in identifiers(&text(&o.2)) {
            for &j in by_name.get(name.as_str()).map(Vec::as_slice).unwrap_or(&[]) {
                if j != i {
                    deps.insert(j);
                }
            }
        }
        needs[i] = deps.len();
        for j in deps {
            users[j].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..objs.len()).filter(|&i| needs[i] == 0).collect();
    let mut done = vec![false; objs.len()];
    let mut order = Vec::with_capacity(objs.len());
    while order.len() < objs.len() {
        let next = match ready.pop_first() {
            Some(i) => i,
            // A cycle: the oldest object left goes first.
            None => match (0..objs.len()).find(|&i| !done[i]) {
                Some(i) => i,
                None => break,
            },
        };
        if done[next] {
            continue;
        }
        done[next] = true;
        order.push(objs[next].2);
        for &u in &users[next] {
            needs[u] = needs[u].saturating_sub(1);
            if needs[u] == 0 && !done[u] {
                ready.insert(u);
            }
        }
    }
    order
}

/// The identifiers of a SQL text as the names they stand for (unquoted ones folded to lower
/// case), leaving out string literals (`'...'`, `E'...'`, `$tag$...$tag$`), comments and
/// parameters (`$1`).
fn identifiers(sql: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let b: Vec<char> = sql.chars().collect();
    let ident_start = |c: char| c.is_alphabetic() || c == '_';
    let ident_char = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == '\'' {
            // E'...' allows backslash escapes; the E was read as an identifier already.
            let escapes = i > 0 && matches!(b[i - 1], 'e' | 'E');
            i += 1;
            while i < b.len() {
                if escapes && b[i] == '\\' {
                    i += 2;
                } else if b[i] == '\'' {
                    if b.get(i + 1) == Some(&'\'') {
                        i += 2;
                    } else {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            i += 1;
        } else if c == '"' {
            let mut name = String::new();
            i += 1;
            while i < b.len() {
                if b[i] == '"' {
                    if b.get(i + 1) == Some(&'"') {
                        name.push('"');
                        i += 2;
                        continue;
                    }
                    break;
                }
                name.push(b[i]);
                i += 1;
            }
            i += 1;
            names.insert(name);
        } else if c == '-' && b.get(i + 1) == Some(&'-') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && b.get(i + 1) == Some(&'*') {
            i = crate::split::skip_block_comment(&b, i);
        } else if c == '$' {
            // $tag$ opens a dollar-quoted string; $1 is a parameter.
            let mut j = i + 1;
            while j < b.len() && (b[j].is_alphanumeric() || b[j] == '_') {
                j += 1;
            }
            let tag_ok = b.get(j) == Some(&'$') && !b.get(i + 1).is_some_and(char::is_ascii_digit);
            if tag_ok {
                let tag: Vec<char> = b[i..=j].to_vec();
                let mut k = j + 1;
                while k < b.len() && !b[k..].starts_with(&tag) {
                    k += 1;
                }
                i = k + tag.len();
            } else {
                i = j;
            }
        } else if ident_start(c) {
            let start = i;
            while i < b.len() && ident_char(b[i]) {
                i += 1;
            }
            let word: String = b[start..i].iter().collect();
            names.insert(word.to_lowercase());
        } else {
            i += 1;
        }
    }
    names
}

fn function(w: &mut Writer<'_>, f: &Func) -> Result<(), Message> {
    let kind = if f.procedure { "PROCEDURE" } else { "FUNCTION" };
    w.header(
        &format!("{}({})", f.name, f.identity_args),
        kind,
        Some(f.schema),
    )?;
    // pg_get_functiondef's text has no final semicolon.
    w.line(&format!("{};", f.def.trim_end().trim_end_matches(';')))?;
    w.line("")
}

fn view(w: &mut Writer<'_>, v: &Rel) -> Result<(), Message> {
    let def = w.cat.views.get(&v.oid).map(String::as_str).unwrap_or("");
    let cols: Vec<String> = v.cols.iter().map(|c| qi(&c.name)).collect();
    w.header(&v.name, "VIEW", Some(v.schema))?;
    // The column list keeps the view's column names whatever its query's are.
    w.line(&format!(
        "CREATE VIEW {} ({}) AS\n{};",
        w.qname(v.schema, &v.name),
        cols.join(", "),
        def.trim().trim_end_matches(';')
    ))?;
    w.line("")
}

fn identity_options(w: &Writer<'_>, table: u32, col: &str) -> String {
    let Some(s) = w
        .cat
        .seqs
        .iter()
        .find(|s| matches!(&s.owned_by, Some((t, c, true)) if *t == table && c == col))
    else {
        return String::new();
    };
    let mut o = format!(
        " (START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}",
        s.start, s.increment, s.min, s.max, s.cache
    );
    if s.cycle {
        o += " CYCLE";
    }
    o + ")"
}

fn table(w: &mut Writer<'_>, r: &Rel) -> Result<(), Message> {
    w.header(&r.name, "TABLE", Some(r.schema))?;
    let mut items = Vec::new();
    for c in &r.cols {
        let mut s = format!("    {} {}", qi(&c.name), c.ty);
        if let Some(co) = &c.collation {
            s += &format!(" COLLATE {co}");
        }
        match (c.identity.as_str(), c.generated.as_str(), &c.default) {
            ("a" | "d", _, _) => {
                let how = if c.identity == "a" {
                    "ALWAYS"
                } else {
                    "BY DEFAULT"
                };
                s += &format!(
                    " GENERATED {how} AS IDENTITY{}",
                    identity_options(w, r.oid, &c.name)
                );
            }
            ("", "s", Some(e)) => s += &format!(" GENERATED ALWAYS AS ({e}) STORED"),
            (_, _, Some(d)) => s += &format!(" DEFAULT {d}"),
            _ => {}
        }
        if c.not_null {
            s += " NOT NULL";
        }
        items.push(s);
    }
    // Valid CHECK constraints go with the table (rows must satisfy them as they load).
    for k in w
        .cat
        .cons
        .iter()
        .filter(|k| k.rel == r.oid && k.kind == "c" && k.validated)
    {
        items.push(format!("    CONSTRAINT {} {}", qi(&k.name), k.def));
    }
    w.line(&format!(
        "CREATE TABLE {} (\n{}\n);",
        w.qname(r.schema, &r.name),
        items.join(",\n")
    ))?;
    w.line("")
}

/// Where a `COPY ... TO STDOUT` writes: the script.
struct CopyOut<'w> {
    out: &'w mut dyn Write,
    outcome: Option<Outcome>,
}

impl Output for CopyOut<'_> {
    fn result(&mut self, outcome: Outcome) {
        self.outcome = Some(outcome);
    }
    fn notice(&mut self, _notice: Message) {}
    fn copy_in(&mut self) -> std::io::Result<&mut dyn Read> {
        Err(std::io::Error::other(
            "COPY FROM STDIN has no data in a dump",
        ))
    }
    fn copy_out(&mut self) -> std::io::Result<&mut dyn Write> {
        Ok(&mut *self.out)
    }
}

fn data(client: &mut dyn Client, w: &mut Writer<'_>, stats: &mut Stats) -> Result<(), Message> {
    let cat = w.cat;
    for r in cat
        .rels
        .iter()
        .filter(|r| r.kind == "r" && w.sel.rels.contains(&r.oid))
    {
        // Generated columns are computed again as rows load.
        let cols: Vec<String> = r
            .cols
            .iter()
            .filter(|c| c.generated.is_empty())
            .map(|c| qi(&c.name))
            .collect();
        let name = w.qname(r.schema, &r.name);
        let cols = if cols.is_empty() {
            String::new()
        } else {
            format!(" ({})", cols.join(", "))
        };
        w.header(&r.name, "TABLE DATA", Some(r.schema))?;
        w.line(&format!("COPY {name}{cols} FROM stdin;"))?;
        let mut o = CopyOut {
            out: &mut *w.out,
            outcome: None,
        };
        client.run(&format!("COPY {name}{cols} TO STDOUT"), &mut o)?;
        let n = o
            .outcome
            .and_then(|o| o.tag.strip_prefix("COPY ").and_then(|n| n.parse().ok()))
            .unwrap_or(0);
        stats.tables += 1;
        stats.rows += n;
        w.line("\\.")?;
        w.line("")?;
    }
    for s in cat.seqs.iter().filter(|s| w.sel.rels.contains(&s.oid)) {
        let name = w.qname(s.schema, &s.name);
        let v = rows(client, &format!("SELECT last_value, is_called FROM {name}"))?;
        let Some(v) = v.first() else { continue };
        let (last, called) = (R(v).s(0), R(v).b(1));
        // An identity sequence is named by its column: its name may differ where it is
        // restored (CREATE TABLE chooses it).
        let target = match &s.owned_by {
            Some((t, col, true)) => match w.rel_name(*t) {
                Some(tn) => format!(
                    "pg_catalog.pg_get_serial_sequence({}, {})",
                    literal(&tn),
                    literal(col)
                ),
                None => continue,
            },
            _ => literal(&name),
        };
        w.header(&s.name, "SEQUENCE SET", Some(s.schema))?;
        w.line(&format!(
            "SELECT pg_catalog.setval({target}, {last}, {called});"
        ))?;
        w.line("")?;
    }
    Ok(())
}

fn post_data(w: &mut Writer<'_>) -> Result<(), Message> {
    let cat = w.cat;
    let sel = w.sel;
    let dumped = |oid: u32| sel.rels.contains(&oid);
    // Primary keys and unique constraints first: foreign keys need them.
    for k in cat
        .cons
        .iter()
        .filter(|k| matches!(k.kind.as_str(), "p" | "u" | "x") && dumped(k.rel))
    {
        let Some(t) = w.rel(k.rel) else { continue };
        w.header(
            &format!("{} {}", t.name, k.name),
            "CONSTRAINT",
            Some(t.schema),
        )?;
        w.line(&format!(
            "ALTER TABLE ONLY {} ADD CONSTRAINT {} {};",
            w.qname(t.schema, &t.name),
            qi(&k.name),
            k.def
        ))?;
        w.line("")?;
    }
    for i in cat
        .indexes
        .iter()
        .filter(|i| !i.of_constraint && dumped(i.rel))
    {
        let Some(t) = w.rel(i.rel) else { continue };
        w.header(&i.name, "INDEX", Some(t.schema))?;
        w.line(&format!("{};", i.def))?;
        w.line("")?;
    }
    for k in cat.cons.iter().filter(|k| dumped(k.rel)) {
        // Foreign keys, and the checks that were added NOT VALID (rows may break them).
        let late = k.kind == "f" || (k.kind == "c" && !k.validated);
        if !late {
            continue;
        }
        // A foreign key to a table left out of the dump would not restore.
        if k.kind == "f" && !dumped(k.refrel) {
            continue;
        }
        let Some(t) = w.rel(k.rel) else { continue };
        let kind = if k.kind == "f" {
            "FK CONSTRAINT"
        } else {
            "CHECK CONSTRAINT"
        };
        w.header(&format!("{} {}", t.name, k.name), kind, Some(t.schema))?;
        w.line(&format!(
            "ALTER TABLE ONLY {} ADD CONSTRAINT {} {};",
            w.qname(t.schema, &t.name),
            qi(&k.name),
            k.def
        ))?;
        w.line("")?;
    }
    comments(w)
}

fn comments(w: &mut Writer<'_>) -> Result<(), Message> {
    let cat = w.cat;
    let sel = w.sel;
    let mut lines = Vec::new();
    for (class, oid, sub, text) in &cat.comments {
        let target = match *class {
            PG_NAMESPACE if sel.global && sel.schemas.contains(oid) => cat
                .schemas
                .iter()
                .find(|s| s.0 == *oid)
                .map(|s| format!("SCHEMA {}", qi(&s.1))),
            PG_TYPE if sel.global => cat
                .types
                .iter()
                .find(|t| t.oid == *oid && sel.schemas.contains(&t.schema))
                .map(|t| {
                    let kind = if matches!(t.kind, TypeKind::Domain { .. }) {
                        "DOMAIN"
                    } else {
                        "TYPE"
                    };
                    format!("{kind} {}", w.qname(t.schema, &t.name))
                }),
            PG_PROC if sel.global => cat
                .funcs
                .iter()
                .find(|f| f.oid == *oid && sel.schemas.contains(&f.schema))
                .map(|f| {
                    format!(
                        "{} {}({})",
                        if f.procedure { "PROCEDURE" } else { "FUNCTION" },
                        w.qname(f.schema, &f.name),
                        f.identity_args
                    )
                }),
            PG_CLASS => {
                if let Some(r) = w.rel(*oid).filter(|r| sel.rels.contains(&r.oid)) {
                    let name = w.qname(r.schema, &r.name);
                    if *sub > 0 {
                        usize::try_from(*sub - 1)
                            .ok()
                            .and_then(|i| r.cols.get(i))
                            .map(|c| format!("COLUMN {name}.{}", qi(&c.name)))
                    } else {
                        let kind = match r.kind.as_str() {
                            "v" => "VIEW",
                            "S" => "SEQUENCE",
                            _ => "TABLE",
                        };
                        Some(format!("{kind} {name}"))
                    }
                } else {
                    cat.indexes
                        .iter()
                        .find(|i| i.oid == *oid && sel.rels.contains(&i.rel))
                        .and_then(|i| {
                            let t = w.rel(i.rel)?;
                            Some(format!("INDEX {}", w.qname(t.schema, &i.name)))
                        })
                }
            }
            PG_CONSTRAINT => {
                if let Some(k) = cat
                    .cons
                    .iter()
                    .find(|k| k.oid == *oid && sel.rels.contains(&k.rel))
                {
                    w.rel_name(k.rel)
                        .map(|t| format!("CONSTRAINT {} ON {t}", qi(&k.name)))
                } else {
                    None
                }
            }
            _ => None,
        };
        let Some(target) = target else { continue };
        lines.push(format!("COMMENT ON {target} IS {};", literal(text)));
    }
    // By what they are on, not by OID: a restored database's OIDs follow the script's order,
    // which differs from the original's creation order, and a dump of it should read the same.
    lines.sort();
    for l in &lines {
        w.line(l)?;
    }
    w.line("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::embedded::Embedded;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::time::Duration;

    /// A destination that takes its time, so that writers run while the dump does.
    struct Slow(Vec<u8>);

    impl Write for Slow {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            std::thread::sleep(Duration::from_millis(2));
            self.0.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The data lines of `table`'s COPY block.
    fn copy_block(script: &str, table: &str) -> Vec<String> {
        let start = format!("COPY {table} ");
        let mut lines = script.lines().skip_while(|l| !l.starts_with(&start));
        lines.next();
        lines
            .take_while(|l| *l != "\\.")
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn dump_is_one_snapshot_and_does_not_block_writers() -> Result<(), Message> {
        let db = basalt::Database::memory();
        db.execute(
            "CREATE TABLE a (id int PRIMARY KEY, v text); CREATE TABLE b (id int PRIMARY KEY, a_id int);\
             INSERT INTO a SELECT g, 'x' FROM generate_series(1, 300) g;\
             INSERT INTO b SELECT g, g FROM generate_series(1, 300) g",
        )
        .map_err(|e| Message::client("XX000", e.to_string()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let commits = Arc::new(AtomicU64::new(0));
        let writer = {
            let (db, stop, commits) = (db.clone(), stop.clone(), commits.clone());
            std::thread::spawn(move || {
                let mut c = Embedded::with(db.clone(), db.session(), ":memory:")?;
                let mut id = 1000;
                while !stop.load(Ordering::Relaxed) {
                    id += 1;
                    // Both tables change together, in one transaction each time.
                    client::query(
                        &mut c,
                        &format!(
                            "BEGIN; INSERT INTO a VALUES ({id}, 'y'); INSERT INTO b VALUES ({id}, {id}); \
                             UPDATE a SET v = v || '.' WHERE id = 1; COMMIT"
                        ),
                    )?;
                    commits.fetch_add(1, Ordering::Relaxed);
                }
                Ok::<_, Message>(())
            })
        };
        // Let the writer get going, then dump while it runs.
        while commits.load(Ordering::Relaxed) < 3 {
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut c = Embedded::with(db.clone(), db.session(), ":memory:")?;
        let before = commits.load(Ordering::Relaxed);
        let mut out = Slow(Vec::new());
        dump(&mut c, &Options::default(), &mut out)?;
        let during = commits.load(Ordering::Relaxed) - before;
        stop.store(true, Ordering::Relaxed);
        writer
            .join()
            .map_err(|_| Message::client("XX000", "writer panicked"))??;
        let script = String::from_utf8_lossy(&out.0).into_owned();
        // Writers kept committing while the dump's snapshot was open.
        assert!(during >= 3, "only {during} commits during the dump");
        let a = copy_block(&script, "public.a");
        let b = copy_block(&script, "public.b");
        let ids = |v: &[String]| -> Vec<String> {
            v.iter()
                .map(|l| l.split('\t').next().unwrap_or("").to_string())
                .collect()
        };
        // One point in time: the same transactions in both tables, and the row every
        // transaction updates has as many dots as there are extra rows.
        assert_eq!(ids(&a), ids(&b));
        let extra = a.len() - 300;
        let dots = a
            .iter()
            .find(|l| l.starts_with("1\t"))
            .map_or(0, |l| l.matches('.').count());
        assert_eq!(dots, extra, "{}", &script[..script.len().min(2000)]);
        // ... and that point is not the end: more was committed after it.
        let total = client::query(&mut c, "SELECT count(*) FROM a")?;
        let total: usize = total[0].rows[0][0]
            .as_deref()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(total > a.len(), "{total} rows, {} dumped", a.len());
        Ok(())
    }

    #[test]
    fn patterns_match_as_psql() {
        let m = |p: &str, s: &str, n: &str| Pattern::parse(p).matches(s, n);
        assert!(m("orders", "app", "orders"));
        assert!(m("ORDERS", "app", "orders"));
        assert!(!m("\"ORDERS\"", "app", "orders"));
        assert!(m("app.ord*", "app", "orders"));
        assert!(!m("app.ord*", "public", "orders"));
        assert!(m("*.o?ders", "x", "orders"));
        assert!(m("\"Odd \"\"S\"\"\".\"Mixed\"*", "Odd \"S\"", "Mixed Case"));
        assert!(m("a*b*c", "s", "axxbyyc"));
        assert!(!m("a*b*c", "s", "axxbyy"));
        assert!(m("*", "s", ""));
        // Wildcards inside quotes are literal.
        assert!(!m("\"Mix*\"", "s", "Mixed"));
        assert!(m("\"Mix*\"", "s", "Mix*"));
    }
}
