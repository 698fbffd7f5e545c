//! ALTER TABLE and ALTER ... RENAME.
//!
//! # Design
//!
//! An `ALTER TABLE` statement takes the catalog for update once, applies its actions in order
//! to that private copy, does the data work each action needs right after it (in the
//! statement's transaction, against the catalog as changed so far), and writes the catalog back
//! at the end. Any error leaves the transaction to be rolled back, so a statement with several
//! actions either applies all of them or none, as in PostgreSQL.
//!
//! Data work comes in two forms:
//!
//! - a *rebuild* ([`rebuild`]) reads every row, maps it to the table's new shape (ADD COLUMN
//!   evaluates the default per row, DROP COLUMN removes a value, ALTER COLUMN TYPE converts
//!   one), re-keys it (the primary key decides a row's key, so adding or dropping a primary key
//!   or changing a key column moves rows; rows of a table without one keep or get a hidden row
//!   id), verifies NOT NULL and the constraints being added, and rebuilds every index;
//! - a *verification* ([`verify`]) only scans the rows (SET NOT NULL, ADD CHECK, ADD FOREIGN
//!   KEY).
//!
//! Columns are positions, so dropping a column shifts every position stored after it: the
//! primary key, index keys, foreign keys of this table and of tables referencing it, column
//! comments and sequences owned by columns. Objects that depend on the dropped column go with
//! it (indexes, CHECK and UNIQUE / PRIMARY KEY constraints using it, this table's foreign keys
//! on it); foreign keys of other tables and views that use it block the drop unless CASCADE.
//!
//! Expressions and view queries are stored as SQL text, so renaming a column or a relation
//! edits that text: the text is parsed, the parse tree (walked through its serde form, which
//! reaches every node kind) gives the locations of column references and relation names, the
//! identifier tokens at those locations are replaced, and the result is parsed and deparsed
//! again into canonical form. View queries are matched by name (the tables they read and the
//! column names they use), which is conservative where names are ambiguous.

use std::collections::HashSet;

use basalt_common::types::{CastContext, DataType, TypeContext, Value, format_text};
use basalt_storage::Direction;
use basalt_txn::TxnKv;
use pg_query::protobuf::{self, node::Node};

use crate::binder::{Binder, Scope, names, node_str, table_scope};
use crate::catalog::{
    Catalog, Column, Constraint, ConstraintKind, FkAction, ForeignKey, Index, IndexKey, Relation,
    Sequence, Table,
};
use crate::ddl::{build_index, delete_prefix, deparse_expr, deparse_stmt, notice};
use crate::dml::{TableWriter, bind_text_expr};
use crate::error::{Notice, SqlError};
use crate::exec::{Cx, table_range};
use crate::expr::{Expr, eval, truth};
use crate::row::{decode_row, encode_row, index_prefix, push_key_values, table_prefix};
use crate::session::{Session, StatementResult};

fn err(code: &'static str, msg: impl Into<String>) -> SqlError {
    SqlError::new(code, msg)
}

fn tag(t: &str) -> StatementResult {
    StatementResult {
        tag: t.to_string(),
        columns: Vec::new(),
        types: Vec::new(),
        rows: Vec::new(),
        notices: Vec::new(),
    }
}

fn notice_with_code(code: &'static str, message: String) -> Notice {
    let mut n = notice(message);
    n.code = crate::error::SqlCode::new(code);
    n
}

/// What the statement resolves names with.
struct Env {
    search_path: Vec<u32>,
    types: TypeContext,
}

fn find_relation(cat: &Catalog, sp: &[u32], rv: &protobuf::RangeVar) -> Option<Relation> {
    if rv.schemaname.is_empty() {
        sp.iter().find_map(|s| cat.relation_in(*s, &rv.relname))
    } else {
        cat.schema_oid(&rv.schemaname)
            .and_then(|s| cat.relation_in(s, &rv.relname))
    }
}

fn table(cat: &Catalog, oid: u32) -> Result<&Table, SqlError> {
    cat.tables
        .get(&oid)
        .ok_or_else(|| err("XX000", "catalog entry vanished"))
}

fn table_mut(cat: &mut Catalog, oid: u32) -> Result<&mut Table, SqlError> {
    cat.tables
        .get_mut(&oid)
        .ok_or_else(|| err("XX000", "catalog entry vanished"))
}

fn column_of(t: &Table, name: &str) -> Result<usize, SqlError> {
    t.column_index(name).ok_or_else(|| {
        err(
            "42703",
            format!(
                "column \"{name}\" of relation \"{}\" does not exist",
                t.name
            ),
        )
    })
}

fn name_taken(cat: &Catalog, schema: u32, name: &str) -> bool {
    cat.relation_in(schema, name).is_some()
}

/// A generated name (`name1_name2_label`, numbered on collisions) not used by a constraint
/// of the schema nor, for index-backed constraints, a relation, as PostgreSQL's
/// `ChooseConstraintName` / `ChooseRelationName`.
fn choose_name(
    cat: &Catalog,
    t: &Table,
    name2: Option<&str>,
    label: &str,
    relation_too: bool,
) -> String {
    crate::ddl::choose_object_name(&t.name, name2, label, |n| {
        t.constraints.iter().any(|c| c.name == n)
            || crate::ddl::constraint_in_schema(cat, t.schema, n)
            || (relation_too && name_taken(cat, t.schema, n))
    })
}

fn already_exists(con: &str, t: &str) -> SqlError {
    err(
        "42710",
        format!("constraint \"{con}\" for relation \"{t}\" already exists"),
    )
}

// ---------------------------------------------------------------------------------------
// References in SQL text.

/// A column reference: its fields (`None` for `*`) and byte location.
struct ColRef {
    fields: Vec<Option<String>>,
    location: usize,
}

/// A relation named in a FROM clause, or a function called there (`function`).
struct RelRef {
    schema: String,
    name: String,
    alias: Option<String>,
    location: usize,
    function: bool,
}

/// The references of a parsed text and its tokens.
struct Refs {
    cols: Vec<ColRef>,
    rels: Vec<RelRef>,
    tokens: Vec<protobuf::ScanToken>,
}

fn json_str(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn json_loc(v: &serde_json::Value) -> Option<usize> {
    v.get("location")
        .and_then(serde_json::Value::as_i64)
        .and_then(|l| usize::try_from(l).ok())
}

fn walk(v: &serde_json::Value, cols: &mut Vec<ColRef>, rels: &mut Vec<RelRef>) {
    match v {
        serde_json::Value::Object(m) => {
            if let Some(cr) = m.get("ColumnRef")
                && let Some(location) = json_loc(cr)
            {
                let fields = cr
                    .get("fields")
                    .and_then(serde_json::Value::as_array)
                    .map(|a| {
                        a.iter()
                            .map(|f| {
                                f.get("node")
                                    .and_then(|n| n.get("String"))
                                    .map(|s| json_str(s, "sval"))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                cols.push(ColRef { fields, location });
            }
            if let Some(rv) = m.get("RangeVar")
                && let Some(location) = json_loc(rv)
            {
                let alias = rv
                    .get("alias")
                    .filter(|a| !a.is_null())
                    .map(|a| json_str(a, "aliasname"))
                    .filter(|a| !a.is_empty());
                rels.push(RelRef {
                    schema: json_str(rv, "schemaname"),
                    name: json_str(rv, "relname"),
                    alias,
                    location,
                    function: false,
                });
            }
            // A function in FROM: its columns are its result row's (a table's, when it
            // returns one), qualified by its alias or else its name.
            if let Some(rf) = m.get("RangeFunction") {
                let alias = rf
                    .get("alias")
                    .filter(|a| !a.is_null())
                    .map(|a| json_str(a, "aliasname"))
                    .filter(|a| !a.is_empty());
                let calls = rf
                    .get("functions")
                    .and_then(serde_json::Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.pointer("/node/List/items/0/node/FuncCall"));
                for call in calls {
                    let parts: Vec<String> = call
                        .get("funcname")
                        .and_then(serde_json::Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|n| n.pointer("/node/String/sval"))
                        .filter_map(serde_json::Value::as_str)
                        .map(str::to_string)
                        .collect();
                    let Some(name) = parts.last() else {
                        continue;
                    };
                    rels.push(RelRef {
                        schema: if parts.len() > 1 {
                            parts[0].clone()
                        } else {
                            String::new()
                        },
                        name: name.clone(),
                        alias: alias.clone(),
                        location: json_loc(call).unwrap_or(0),
                        function: true,
                    });
                }
            }
            for x in m.values() {
                walk(x, cols, rels);
            }
        }
        serde_json::Value::Array(a) => {
            for x in a {
                walk(x, cols, rels);
            }
        }
        _ => {}
    }
}

/// Whether query text `sql` reads a temporary relation (through `search_path`, or
/// qualified with a temporary schema): a view over one is temporary itself.
pub(crate) fn references_temporary(
    cat: &Catalog,
    search_path: &[u32],
    sql: &str,
) -> Result<bool, SqlError> {
    let temp = |schema: u32| cat.schema_name(schema).starts_with("pg_temp");
    Ok(analyze(sql)?.rels.iter().filter(|r| !r.function).any(|r| {
        if r.schema.is_empty() {
            search_path
                .iter()
                .find(|s| cat.relation_in(**s, &r.name).is_some())
                .is_some_and(|s| temp(*s))
        } else {
            r.schema == "pg_temp" || cat.schema_oid(&r.schema).is_some_and(temp)
        }
    }))
}

fn analyze(sql: &str) -> Result<Refs, SqlError> {
    let parsed = pg_query::parse(sql, pg_query::ParserOptions::DEFAULT)
        .map_err(|e| err("XX000", format!("cannot parse: {e}")))?;
    let json = serde_json::to_value(&parsed.protobuf)
        .map_err(|e| err("XX000", format!("cannot walk parse tree: {e}")))?;
    let mut cols = Vec::new();
    let mut rels = Vec::new();
    walk(&json, &mut cols, &mut rels);
    let tokens = pg_query::scan(sql)
        .map_err(|e| err("XX000", format!("cannot scan: {e}")))?
        .tokens;
    Ok(Refs { cols, rels, tokens })
}

impl Refs {
    /// The byte range of the `skip`-th token after the one starting at `location`.
    fn token(&self, location: usize, skip: usize) -> Option<(usize, usize)> {
        let i = self
            .tokens
            .iter()
            .position(|t| usize::try_from(t.start).ok() == Some(location))?;
        let t = self.tokens.get(i + skip)?;
        Some((usize::try_from(t.start).ok()?, usize::try_from(t.end).ok()?))
    }

    /// The columns referenced without qualification or with one (the last field).
    fn column_names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in &self.cols {
            if let Some(Some(n)) = c.fields.last()
                && !out.contains(n)
            {
                out.push(n.clone());
            }
        }
        out
    }
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Replaces byte ranges of `sql` with quoted identifiers.
fn apply_edits(sql: &str, mut edits: Vec<((usize, usize), String)>) -> String {
    edits.sort_by_key(|e| std::cmp::Reverse(e.0.0));
    edits.dedup_by(|a, b| a.0 == b.0);
    let mut out = sql.to_string();
    for ((start, end), name) in edits {
        if start <= end
            && end <= out.len()
            && out.is_char_boundary(start)
            && out.is_char_boundary(end)
        {
            out.replace_range(start..end, &quote_ident(&name));
        }
    }
    out
}

const EXPR_PREFIX: &str = "SELECT ";

/// The expression of a stored text, parsed.
fn parse_expr(text: &str) -> Result<protobuf::Node, SqlError> {
    let sql = format!("{EXPR_PREFIX}{text}");
    let parsed = pg_query::parse(&sql, pg_query::ParserOptions::DEFAULT)
        .map_err(|e| err("XX000", format!("cannot parse: {e}")))?;
    parsed
        .protobuf
        .stmts
        .first()
        .and_then(|s| s.stmt.as_deref())
        .and_then(|n| match n.node.as_ref() {
            Some(Node::SelectStmt(sel)) => sel.target_list.first().cloned(),
            _ => None,
        })
        .and_then(|t| match t.node {
            Some(Node::ResTarget(rt)) => rt.val.map(|v| *v),
            _ => None,
        })
        .ok_or_else(|| err("XX000", format!("bad stored expression: {text}")))
}

/// Whether a stored expression over `t` references column `col`.
fn expr_uses_column(text: &str, col: &str) -> bool {
    analyze(&format!("{EXPR_PREFIX}{text}"))
        .map(|r| r.column_names().iter().any(|n| n == col))
        .unwrap_or(true)
}

/// Renames column `old` of table `t` to `new` in a stored expression over `t`.
fn rename_in_expr(text: &str, t: &str, old: &str, new: &str) -> Result<String, SqlError> {
    let sql = format!("{EXPR_PREFIX}{text}");
    let refs = analyze(&sql)?;
    let mut edits = Vec::new();
    for c in &refs.cols {
        let f: Vec<&str> = c
            .fields
            .iter()
            .map(|x| x.as_deref().unwrap_or("*"))
            .collect();
        let skip = match f.as_slice() {
            [n] if *n == old => Some(0),
            [q, n] if *q == t && *n == old => Some(2),
            [_, q, n] if *q == t && *n == old => Some(4),
            _ => None,
        };
        if let Some(r) = skip.and_then(|s| refs.token(c.location, s)) {
            edits.push((r, new.to_string()));
        }
    }
    if edits.is_empty() {
        return Ok(text.to_string());
    }
    let edited = apply_edits(&sql, edits);
    let expr = edited.strip_prefix(EXPR_PREFIX).unwrap_or(&edited);
    deparse_expr(&parse_expr(expr)?)
}

/// Deparses a view query text again (canonical form).
fn canonical_query(sql: &str) -> Result<String, SqlError> {
    let parsed = pg_query::parse(sql, pg_query::ParserOptions::DEFAULT)
        .map_err(|e| err("XX000", format!("cannot parse: {e}")))?;
    let node = parsed
        .protobuf
        .stmts
        .first()
        .and_then(|s| s.stmt.as_deref())
        .and_then(|n| n.node.clone())
        .ok_or_else(|| err("XX000", "empty view definition"))?;
    deparse_stmt(node)
}

/// Whether a relation reference names `rel` of schema `schema`.
fn names_rel(cat: &Catalog, sp_first: u32, r: &RelRef, schema: u32, rel: &str) -> bool {
    r.name == rel
        && if r.schema.is_empty() {
            // Unqualified names were resolved through the search path at creation; the
            // view's own schema is the best guess left.
            sp_first == schema || cat.relation_in(sp_first, rel).is_none()
        } else {
            cat.schema_oid(&r.schema) == Some(schema)
        }
}

/// The view's references to table `t`: the qualifiers that name it, or `None` if it does
/// not read `t`.
fn view_table_qualifiers(
    cat: &Catalog,
    view_schema: u32,
    refs: &Refs,
    t: &Table,
) -> Option<Vec<String>> {
    let mut quals = Vec::new();
    let row_type = t.row_type().oid;
    for r in &refs.rels {
        let reads = if r.function {
            // A function of that name returning the table's row type (or a set of it).
            cat.functions.values().any(|f| {
                f.name == r.name
                    && matches!(&f.ret, DataType::Record(rt) if rt.oid == row_type)
                    && (r.schema.is_empty() || cat.schema_oid(&r.schema) == Some(f.schema))
            })
        } else {
            names_rel(cat, view_schema, r, t.schema, &t.name)
        };
        if reads {
            quals.push(r.alias.clone().unwrap_or_else(|| r.name.clone()));
        }
    }
    (!quals.is_empty()).then_some(quals)
}

/// Whether another relation the view reads has a column named `col`.
fn other_rel_has_column(cat: &Catalog, refs: &Refs, t: &Table, col: &str) -> bool {
    refs.rels.iter().any(|r| {
        if r.function || r.name == t.name {
            return false;
        }
        cat.tables
            .values()
            .any(|x| x.name == r.name && x.column_index(col).is_some())
            || cat
                .views
                .values()
                .any(|v| v.name == r.name && v.columns.iter().any(|c| c == col))
    })
}

/// Views that use column `col` of table `t` (by name, or through `*`).
fn views_using_column(cat: &Catalog, t: &Table, col: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for v in cat.views.values() {
        let Ok(refs) = analyze(&v.query) else {
            continue;
        };
        let Some(quals) = view_table_qualifiers(cat, v.schema, &refs, t) else {
            continue;
        };
        let uses = refs.cols.iter().any(|c| {
            let f: Vec<Option<&str>> = c.fields.iter().map(Option::as_deref).collect();
            match f.as_slice() {
                [Some(n)] => *n == col && !other_rel_has_column(cat, &refs, t, col),
                [None] => true,
                [Some(q), None] => quals.iter().any(|x| x == q),
                [.., Some(q), Some(n)] => *n == col && quals.iter().any(|x| x == q),
                _ => false,
            }
        });
        if uses {
            out.push(v.oid);
        }
    }
    out
}

/// Renames column `old` of `t` to `new` in the views that read `t`.
/// The stored queries a rename rewrites: (OID, schema, text) of every view and materialized
/// view.
fn stored_queries(cat: &Catalog) -> Vec<(u32, u32, String)> {
    cat.views
        .values()
        .map(|v| (v.oid, v.schema, v.query.clone()))
        .chain(cat.tables.values().filter_map(|t| {
            t.matview
                .as_ref()
                .map(|m| (t.oid, t.schema, m.query.clone()))
        }))
        .collect()
}

/// Replaces the stored query of view or materialized view `oid`.
fn set_stored_query(cat: &mut Catalog, oid: u32, q: String) {
    if let Some(v) = cat.views.get_mut(&oid) {
        v.query = q;
    } else if let Some(m) = cat.tables.get_mut(&oid).and_then(|t| t.matview.as_mut()) {
        m.query = q;
    }
}

fn rename_column_in_views(
    cat: &mut Catalog,
    t: &Table,
    old: &str,
    new: &str,
) -> Result<(), SqlError> {
    let mut updates = Vec::new();
    for v in &stored_queries(cat) {
        let refs = analyze(&v.2)?;
        let Some(quals) = view_table_qualifiers(cat, v.1, &refs, t) else {
            continue;
        };
        let ambiguous = other_rel_has_column(cat, &refs, t, old);
        let mut edits = Vec::new();
        for c in &refs.cols {
            let f: Vec<&str> = c
                .fields
                .iter()
                .map(|x| x.as_deref().unwrap_or("*"))
                .collect();
            let skip = match f.as_slice() {
                [n] if *n == old && !ambiguous => Some(0),
                [q, n] if *n == old && quals.iter().any(|x| x == q) => Some(2),
                [_, q, n] if *n == old && quals.iter().any(|x| x == q) => Some(4),
                _ => None,
            };
            if let Some(r) = skip.and_then(|s| refs.token(c.location, s)) {
                edits.push((r, new.to_string()));
            }
        }
        if !edits.is_empty() {
            updates.push((v.0, canonical_query(&apply_edits(&v.2, edits))?));
        }
    }
    for (oid, q) in updates {
        set_stored_query(cat, oid, q);
    }
    Ok(())
}

/// Renames relation `old` (in `schema`) to `new` in the views that read it.
fn rename_relation_in_views(
    cat: &mut Catalog,
    schema: u32,
    old: &str,
    new: &str,
) -> Result<(), SqlError> {
    let mut updates = Vec::new();
    for v in &stored_queries(cat) {
        let refs = analyze(&v.2)?;
        let mut edits = Vec::new();
        let mut bare = false;
        for r in &refs.rels {
            if r.function || !names_rel(cat, v.1, r, schema, old) {
                continue;
            }
            let skip = if r.schema.is_empty() { 0 } else { 2 };
            if let Some(range) = refs.token(r.location, skip) {
                edits.push((range, new.to_string()));
            }
            bare |= r.alias.is_none();
        }
        if edits.is_empty() {
            continue;
        }
        if bare {
            for c in &refs.cols {
                let f: Vec<&str> = c
                    .fields
                    .iter()
                    .map(|x| x.as_deref().unwrap_or("*"))
                    .collect();
                let skip = match f.as_slice() {
                    [q, _] if *q == old => Some(0),
                    [_, q, _] if *q == old => Some(2),
                    _ => None,
                };
                if let Some(range) = skip.and_then(|s| refs.token(c.location, s)) {
                    edits.push((range, new.to_string()));
                }
            }
        }
        updates.push((v.0, canonical_query(&apply_edits(&v.2, edits))?));
    }
    for (oid, q) in updates {
        set_stored_query(cat, oid, q);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Data work.

/// Maps an old row to the new shape.
pub(crate) type RowMap<'f> =
    dyn FnMut(Vec<Value>, &mut Cx<'_>) -> Result<Vec<Value>, SqlError> + 'f;

/// What to verify on every row.
#[derive(Default)]
struct Checks {
    /// Columns that must not be NULL.
    not_null: Vec<usize>,
    /// CHECK constraints (names) to verify.
    checks: Vec<String>,
    /// Foreign keys (names) to verify.
    fks: Vec<String>,
}

/// The bound form of [`Checks`].
struct Verifier {
    table: Table,
    /// The table's schema name (the errors' schema field).
    schema: String,
    not_null: Vec<usize>,
    checks: Vec<(String, Expr)>,
    fks: Option<TableWriter>,
}

impl Verifier {
    fn new(cat: &Catalog, t: &Table, what: &Checks, types: TypeContext) -> Result<Self, SqlError> {
        let scope = table_scope(t, &t.name);
        let mut b = Binder::new(cat, vec![t.schema], types);
        let mut checks = Vec::new();
        let mut fks = Vec::new();
        for c in &t.constraints {
            match &c.kind {
                ConstraintKind::Check { expr } if what.checks.contains(&c.name) => {
                    checks.push((c.name.clone(), bind_text_expr(&mut b, expr, &scope)?.0));
                }
                ConstraintKind::ForeignKey(fk) if what.fks.contains(&c.name) => {
                    // Existing rows are checked now, whatever the constraint's deferral.
                    let mut c = c.clone();
                    c.deferrable = false;
                    fks.push((c, fk.clone()));
                }
                _ => {}
            }
        }
        let fks = (!fks.is_empty()).then(|| {
            let mut plain = t.clone();
            for c in &mut plain.columns {
                c.not_null = false;
            }
            TableWriter {
                table: plain,
                indexes: Vec::new(),
                checks: Vec::new(),
                fks,
                generated: Vec::new(),
                domains: Vec::new(),
            }
        });
        Ok(Verifier {
            table: t.clone(),
            schema: cat.schema_name(t.schema).to_string(),
            not_null: what.not_null.clone(),
            checks,
            fks,
        })
    }

    fn check(&self, row: &[Value], cx: &mut Cx<'_>) -> Result<(), SqlError> {
        for &c in &self.not_null {
            if row.get(c).is_none_or(Value::is_null) {
                let column = self.table.columns.get(c).map_or("", |c| c.name.as_str());
                return Err(err(
                    "23502",
                    format!(
                        "column \"{column}\" of relation \"{}\" contains null values",
                        self.table.name
                    ),
                )
                .with_table(&self.schema, &self.table.name)
                .with_column(column));
            }
        }
        for (name, e) in &self.checks {
            if truth(&eval(e, row, cx)?) == Some(false) {
                return Err(err(
                    "23514",
                    format!(
                        "check constraint \"{name}\" of relation \"{}\" is violated by some row",
                        self.table.name
                    ),
                )
                .with_table(&self.schema, &self.table.name)
                .with_constraint(name));
            }
        }
        if let Some(w) = &self.fks {
            w.check_row(row, cx)?;
        }
        Ok(())
    }

    fn is_empty(&self) -> bool {
        self.not_null.is_empty() && self.checks.is_empty() && self.fks.is_none()
    }
}

/// Verifies the rows of table `oid` (as `cat` describes it).
fn verify(cx: &mut Cx<'_>, cat: &Catalog, oid: u32, what: &Checks) -> Result<(), SqlError> {
    let t = table(cat, oid)?;
    let v = Verifier::new(cat, t, what, cx.func.types)?;
    if v.is_empty() {
        return Ok(());
    }
    let scan = cx.txn.scan(table_range(oid), Direction::Forward)?;
    let rows: Vec<(Vec<u8>, Vec<u8>)> = scan.collect::<Result<_, _>>()?;
    for (_, bytes) in rows {
        let mut row = decode_row(&bytes)?;
        row.resize(t.columns.len(), Value::Null);
        v.check(&row, cx)?;
    }
    Ok(())
}

/// Rewrites every row of `old` into the shape `cat` gives table `old.oid`: maps it, verifies
/// it, re-keys it, and rebuilds every index of the table (`old_indexes` are the entries to
/// remove first).
fn rebuild(
    cx: &mut Cx<'_>,
    cat: &Catalog,
    old: &Table,
    old_indexes: &[u32],
    what: &Checks,
    map: &mut RowMap<'_>,
) -> Result<(), SqlError> {
    let new = table(cat, old.oid)?;
    let verifier = Verifier::new(cat, new, what, cx.func.types)?;
    let scan = cx.txn.scan(table_range(old.oid), Direction::Forward)?;
    let rows: Vec<(Vec<u8>, Vec<u8>)> = scan.collect::<Result<_, _>>()?;
    let mut mapped = Vec::with_capacity(rows.len());
    for (key, bytes) in rows {
        let mut row = decode_row(&bytes)?;
        row.resize(old.columns.len(), Value::Null);
        let mut row = map(row, cx)?;
        row.resize(new.columns.len(), Value::Null);
        verifier.check(&row, cx)?;
        mapped.push((key, row));
    }
    // New keys: the primary key's values, or the hidden row id (kept when there was one).
    let pk_index = cat.table_indexes(new.oid).into_iter().find(|i| i.primary);
    let mut seen = HashSet::new();
    let mut keyed = Vec::with_capacity(mapped.len());
    for (key, row) in mapped {
        let new_key = match &new.primary_key {
            Some(cols) => {
                let vals: Vec<&Value> = cols.iter().map(|c| &row[*c]).collect();
                let mut k = table_prefix(new.oid);
                push_key_values(&mut k, &vals, &[])?;
                if !seen.insert(k.clone()) {
                    let names: Vec<String> =
                        cols.iter().map(|c| new.columns[*c].name.clone()).collect();
                    let shown: Vec<String> = vals
                        .iter()
                        .map(|v| format_text(v, &cx.func.types).unwrap_or_else(|| "null".into()))
                        .collect();
                    let iname =
                        pk_index.map_or_else(|| format!("{}_pkey", new.name), |i| i.name.clone());
                    return Err(err(
                        "23505",
                        format!("could not create unique index \"{iname}\""),
                    )
                    .with_detail(format!(
                        "Key ({})=({}) is duplicated.",
                        names.join(", "),
                        shown.join(", ")
                    ))
                    .in_table(cat, new)
                    .with_constraint(iname));
                }
                k
            }
            None if old.primary_key.is_none() => key.clone(),
            None => {
                let mut k = table_prefix(new.oid);
                k.extend_from_slice(&cx.sequences.row_id(new.oid)?.to_be_bytes());
                k
            }
        };
        keyed.push((key, new_key, row));
    }
    for i in old_indexes {
        delete_prefix(&index_prefix(*i), cx)?;
    }
    for i in cat.table_indexes(new.oid) {
        delete_prefix(&index_prefix(i.oid), cx)?;
    }
    for (key, new_key, _) in &keyed {
        if key != new_key {
            cx.txn.delete(key.clone())?;
        }
    }
    for (_, new_key, row) in keyed {
        cx.txn.put(new_key, encode_row(&row))?;
    }
    let idx: Vec<u32> = cat
        .table_indexes(new.oid)
        .into_iter()
        .map(|i| i.oid)
        .collect();
    for i in idx {
        build_index(cat, i, cx)?;
    }
    Ok(())
}

/// Rewrites every row of table `oid` through `map` and rebuilds its indexes (for enum label
/// changes: `ddl_types.rs`).
pub(crate) fn rewrite_table(
    cx: &mut Cx<'_>,
    cat: &Catalog,
    oid: u32,
    map: &mut RowMap<'_>,
) -> Result<(), SqlError> {
    let old = table(cat, oid)?.clone();
    rebuild(cx, cat, &old, &[], &Checks::default(), map)
}

/// Every row of table `oid`, decoded.
pub(crate) fn table_rows(cx: &mut Cx<'_>, oid: u32) -> Result<Vec<Vec<Value>>, SqlError> {
    let scan = cx.txn.scan(table_range(oid), Direction::Forward)?;
    let rows: Vec<(Vec<u8>, Vec<u8>)> = scan.collect::<Result<_, _>>()?;
    rows.iter().map(|(_, b)| decode_row(b)).collect()
}

fn index_oids(cat: &Catalog, t: u32) -> Vec<u32> {
    cat.table_indexes(t).into_iter().map(|i| i.oid).collect()
}

// ---------------------------------------------------------------------------------------
// Catalog changes shared by ADD COLUMN and ADD CONSTRAINT.

/// Adds a CHECK constraint (validated for type, not against rows); returns its name.
fn add_check(
    cat: &mut Catalog,
    env: &Env,
    oid: u32,
    name: Option<String>,
    expr: &protobuf::Node,
) -> Result<String, SqlError> {
    let text = deparse_expr(expr)?;
    let t = table(cat, oid)?.clone();
    {
        let scope = table_scope(&t, &t.name);
        let mut b = Binder::new(cat, env.search_path.clone(), env.types);
        let (_, ty) = bind_text_expr(&mut b, &text, &scope)?;
        if ty != DataType::Bool {
            return Err(err(
                "42804",
                format!(
                    "argument of CHECK must be type boolean, not type {}",
                    ty.format_type()
                ),
            ));
        }
    }
    let name = match name {
        Some(n) => {
            if t.constraints.iter().any(|c| c.name == n) {
                return Err(already_exists(&n, &t.name));
            }
            n
        }
        None => {
            let used: Vec<String> = analyze(&format!("{EXPR_PREFIX}{text}"))?
                .column_names()
                .into_iter()
                .filter(|n| t.column_index(n).is_some())
                .collect();
            let col = match used.as_slice() {
                [c] => Some(c.as_str()),
                _ => None,
            };
            choose_name(cat, &t, col, "check", false)
        }
    };
    let coid = cat.new_oid();
    table_mut(cat, oid)?.constraints.push(Constraint {
        oid: coid,
        name: name.clone(),
        kind: ConstraintKind::Check { expr: text },
        deferrable: false,
        initially_deferred: false,
        not_valid: false,
    });
    Ok(name)
}

/// Adds a PRIMARY KEY or UNIQUE constraint and its index; returns the index OID.
fn add_index_constraint(
    cat: &mut Catalog,
    oid: u32,
    name: Option<String>,
    cols: Vec<usize>,
    primary: bool,
    attrs: IndexAttrs,
) -> Result<u32, SqlError> {
    let t = table(cat, oid)?.clone();
    if primary && cat.primary_index(oid).is_some() {
        return Err(err(
            "42P16",
            format!(
                "multiple primary keys for table \"{}\" are not allowed",
                t.name
            ),
        ));
    }
    let name = match name {
        Some(n) => {
            if name_taken(cat, t.schema, &n) {
                return Err(err("42P07", format!("relation \"{n}\" already exists")));
            }
            if t.constraints.iter().any(|c| c.name == n) {
                return Err(already_exists(&n, &t.name));
            }
            n
        }
        None => {
            let names: Vec<&str> = cols
                .iter()
                .chain(&attrs.include)
                .map(|c| t.columns[*c].name.as_str())
                .collect();
            let addition = crate::ddl::name_addition(&names);
            if primary {
                choose_name(cat, &t, None, "pkey", true)
            } else {
                choose_name(cat, &t, Some(&addition), "key", true)
            }
        }
    };
    let ioid = cat.new_oid();
    let coid = cat.new_oid();
    cat.indexes.insert(
        ioid,
        Index {
            oid: ioid,
            schema: t.schema,
            name: name.clone(),
            table: oid,
            keys: cols.iter().copied().map(IndexKey::Column).collect(),
            desc: vec![false; cols.len()],
            unique: true,
            primary,
            nulls_not_distinct: attrs.nulls_not_distinct,
            predicate: None,
            method: crate::catalog::IndexMethod::Btree,
            include: attrs.include,
            deferrable: attrs.deferrable,
        },
    );
    let tm = table_mut(cat, oid)?;
    if primary {
        for c in &cols {
            tm.columns[*c].not_null = true;
        }
        // A deferrable primary key does not key the rows (see `crate::dml`).
        if !attrs.deferrable {
            tm.primary_key = Some(cols);
        }
    }
    tm.constraints.push(Constraint {
        oid: coid,
        name,
        kind: if primary {
            ConstraintKind::PrimaryKey { index: ioid }
        } else {
            ConstraintKind::Unique { index: ioid }
        },
        deferrable: attrs.deferrable,
        initially_deferred: attrs.initially_deferred,
        not_valid: false,
    });
    Ok(ioid)
}

/// What a PRIMARY KEY / UNIQUE constraint adds to its columns.
#[derive(Default)]
struct IndexAttrs {
    nulls_not_distinct: bool,
    deferrable: bool,
    initially_deferred: bool,
    include: Vec<usize>,
}

impl IndexAttrs {
    fn of(con: &protobuf::Constraint, include: Vec<usize>) -> IndexAttrs {
        IndexAttrs {
            nulls_not_distinct: con.nulls_not_distinct,
            deferrable: con.deferrable,
            initially_deferred: con.initdeferred,
            include,
        }
    }
}

fn fk_action(c: &str) -> FkAction {
    match c {
        "r" => FkAction::Restrict,
        "c" => FkAction::Cascade,
        "n" => FkAction::SetNull,
        "d" => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}

/// Adds a FOREIGN KEY (not validated against rows); returns its name.
fn add_fk(
    cat: &mut Catalog,
    env: &Env,
    oid: u32,
    name: Option<String>,
    cols: Vec<usize>,
    con: &protobuf::Constraint,
) -> Result<String, SqlError> {
    let Some(pk) = &con.pktable else {
        return Err(err("42601", "FOREIGN KEY without a referenced table"));
    };
    let t = table(cat, oid)?.clone();
    let ref_oid = crate::ddl::lookup_table(cat, &env.search_path, pk)?;
    let rt = table(cat, ref_oid)?;
    let ref_cols = if con.pk_attrs.is_empty() {
        if cat.primary_index(ref_oid).is_some_and(|i| i.deferrable) {
            return Err(crate::ddl::deferrable_fk_target(true, &rt.name));
        }
        cat.primary_key_columns(ref_oid).ok_or_else(|| {
            err(
                "42830",
                format!(
                    "there is no primary key for referenced table \"{}\"",
                    rt.name
                ),
            )
        })?
    } else {
        let mut v = Vec::new();
        for a in &con.pk_attrs {
            let n = node_str(a).unwrap_or_default();
            v.push(rt.column_index(n).ok_or_else(|| {
                err(
                    "42703",
                    format!("column \"{n}\" referenced in foreign key constraint does not exist"),
                )
            })?);
        }
        v
    };
    if ref_cols.len() != cols.len() {
        return Err(err(
            "42830",
            "number of referencing and referenced columns for foreign key disagree",
        ));
    }
    crate::ddl::check_fk_target(cat, rt, &ref_cols, true)?;
    let name = match name {
        Some(n) => {
            if t.constraints.iter().any(|c| c.name == n) {
                return Err(already_exists(&n, &t.name));
            }
            n
        }
        None => {
            let names: Vec<&str> = cols.iter().map(|c| t.columns[*c].name.as_str()).collect();
            choose_name(
                cat,
                &t,
                Some(&crate::ddl::name_addition(&names)),
                "fkey",
                false,
            )
        }
    };
    crate::ddl::check_fk_types(&name, &t, &cols, table(cat, ref_oid)?, &ref_cols)?;
    crate::ddl::check_fk_generated(&t, &cols, con)?;
    let coid = cat.new_oid();
    table_mut(cat, oid)?.constraints.push(Constraint {
        oid: coid,
        name: name.clone(),
        kind: ConstraintKind::ForeignKey(ForeignKey {
            columns: cols,
            ref_table: ref_oid,
            ref_columns: ref_cols,
            on_delete: fk_action(&con.fk_del_action),
            on_update: fk_action(&con.fk_upd_action),
            match_full: crate::ddl::fk_match_full(&con.fk_matchtype)?,
        }),
        deferrable: con.deferrable,
        initially_deferred: con.initdeferred,
        not_valid: false,
    });
    Ok(name)
}

/// Marks a constraint just added NOT VALID (existing rows were not checked).
fn mark_not_valid(cat: &mut Catalog, oid: u32, name: &str) -> Result<(), SqlError> {
    for c in &mut table_mut(cat, oid)?.constraints {
        if c.name == name {
            c.not_valid = true;
        }
    }
    Ok(())
}

/// The columns a constraint's key list names.
fn key_columns(t: &Table, keys: &[protobuf::Node], what: &str) -> Result<Vec<usize>, SqlError> {
    let mut cols = Vec::new();
    for k in keys {
        let n = node_str(k).unwrap_or_default();
        let c = t
            .column_index(n)
            .ok_or_else(|| err("42703", format!("column \"{n}\" {what} does not exist")))?;
        cols.push(c);
    }
    Ok(cols)
}

/// Binds a DEFAULT expression for a column of type `ty`.
fn check_default(cat: &Catalog, env: &Env, col: &Column, text: &str) -> Result<Expr, SqlError> {
    let mut b = Binder::new(cat, env.search_path.clone(), env.types);
    let (e, t) = bind_text_expr(&mut b, text, &Scope::default())?;
    b.coerce(e, &t, &col.ty, CastContext::Assignment)
        .map_err(|e| {
            if e.code().code() == "42804" {
                err(
                    "42804",
                    format!(
                        "column \"{}\" is of type {} but default expression is of type {}",
                        col.name,
                        col.ty.format_type(),
                        t.format_type()
                    ),
                )
                .with_hint("You will need to rewrite or cast the expression.")
            } else {
                e
            }
        })
}

/// Where objects that block a drop are reported.
fn dependents_error(what: &str, deps: &[String]) -> SqlError {
    err(
        "2BP01",
        format!("cannot drop {what} because other objects depend on it"),
    )
    .with_detail(deps.join("\n"))
    .with_hint("Use DROP ... CASCADE to drop the dependent objects too.")
}

fn cascade_notice(dropped: &[String]) -> Notice {
    match dropped {
        [one] => notice(format!("drop cascades to {one}")),
        _ => {
            let mut n = notice(format!("drop cascades to {} other objects", dropped.len()));
            n.detail = Some(
                dropped
                    .iter()
                    .map(|d| format!("drop cascades to {d}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
            n
        }
    }
}

// ---------------------------------------------------------------------------------------
// ALTER TABLE.

impl<K: TxnKv> Session<K> {
    /// ALTER VIEW: `SET (options)`, `RESET (options)` and `ALTER COLUMN c SET DEFAULT e` /
    /// `DROP DEFAULT` (a default INSERT through the view uses before the base table's).
    fn alter_view(
        &mut self,
        s: &protobuf::AlterTableStmt,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        let Some(rv) = &s.relation else {
            return Err(err("42601", "ALTER VIEW without a view"));
        };
        let mut cat = self.catalog_for_update()?;
        let sp = self.search_path_oids(&cat);
        let oid = match find_relation(&cat, &sp, rv) {
            Some(Relation::View(oid)) => oid,
            Some(_) => return Err(err("42809", format!("\"{}\" is not a view", rv.relname))),
            None if s.missing_ok => {
                notices.push(notice(format!(
                    "relation \"{}\" does not exist, skipping",
                    rv.relname
                )));
                return Ok(tag("ALTER VIEW"));
            }
            None => {
                return Err(err(
                    "42P01",
                    format!("relation \"{}\" does not exist", rv.relname),
                ));
            }
        };
        for c in &s.cmds {
            let Some(Node::AlterTableCmd(c)) = c.node.as_ref() else {
                continue;
            };
            let Some(v) = cat.views.get(&oid).cloned() else {
                return Err(err("XX000", "catalog entry vanished"));
            };
            let subtype = protobuf::AlterTableType::try_from(c.subtype)
                .unwrap_or(protobuf::AlterTableType::Undefined);
            match subtype {
                protobuf::AlterTableType::AtSetRelOptions
                | protobuf::AlterTableType::AtResetRelOptions => {
                    let defs: Vec<protobuf::Node> =
                        match c.def.as_deref().and_then(|d| d.node.as_ref()) {
                            Some(Node::List(l)) => l.items.clone(),
                            _ => Vec::new(),
                        };
                    let set = subtype == protobuf::AlterTableType::AtSetRelOptions;
                    let mut check_option = v.check_option;
                    let mut options = v.options.clone();
                    let name_of = |o: &str| o.split('=').next().unwrap_or("").to_string();
                    if set {
                        for o in crate::ddl::view_options(&defs, &mut check_option)? {
                            let n = name_of(&o);
                            options.retain(|x| name_of(x) != n);
                            options.push(o);
                        }
                    } else {
                        for d in &defs {
                            let Some(Node::DefElem(d)) = d.node.as_ref() else {
                                continue;
                            };
                            options.retain(|x| name_of(x) != d.defname);
                            if d.defname == "check_option" {
                                check_option = None;
                            }
                        }
                    }
                    if let Some(v) = cat.views.get_mut(&oid) {
                        v.options = options;
                        v.check_option = check_option;
                    }
                    crate::ddl::check_option_allowed(
                        &cat,
                        &sp,
                        oid,
                        check_option,
                        &self.type_context(),
                    )?;
                }
                protobuf::AlterTableType::AtColumnDefault => {
                    if !v.columns.contains(&c.name) {
                        return Err(err(
                            "42703",
                            format!(
                                "column \"{}\" of relation \"{}\" does not exist",
                                c.name, v.name
                            ),
                        ));
                    }
                    let text = c.def.as_deref().map(crate::ddl::deparse_expr).transpose()?;
                    if let Some(t) = &text {
                        // Checked now: it must bind (PostgreSQL binds it at ALTER time).
                        let mut b = self.binder(&cat);
                        crate::dml::bind_text_expr(&mut b, t, &crate::binder::Scope::default())?;
                    }
                    if let Some(v) = cat.views.get_mut(&oid) {
                        v.defaults.retain(|(n, _)| *n != c.name);
                        if let Some(t) = text {
                            v.defaults.push((c.name.clone(), t));
                        }
                    }
                }
                _ => return Err(SqlError::Unsupported("this form of ALTER VIEW".into())),
            }
        }
        self.store_catalog(cat)?;
        Ok(tag("ALTER VIEW"))
    }

    /// ALTER TABLE.
    pub(crate) fn alter_table(
        &mut self,
        s: &protobuf::AlterTableStmt,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        use protobuf::ObjectType as O;
        let kind = O::try_from(s.objtype).unwrap_or(O::Undefined);
        let tagname = match kind {
            O::ObjectTable => "ALTER TABLE",
            O::ObjectIndex => "ALTER INDEX",
            O::ObjectView => "ALTER VIEW",
            O::ObjectSequence => "ALTER SEQUENCE",
            O::ObjectType => "ALTER TYPE",
            _ => "ALTER TABLE",
        };
        if kind == O::ObjectIndex {
            return self.alter_index(s, notices);
        }
        if kind == O::ObjectView {
            return self.alter_view(s, notices);
        }
        if kind != O::ObjectTable {
            return Err(SqlError::Unsupported(tagname.into()));
        }
        let Some(rv) = &s.relation else {
            return Err(err("42601", "ALTER TABLE without a table"));
        };
        let mut cat = self.catalog_for_update()?;
        let env = Env {
            search_path: self.search_path_oids(&cat),
            types: self.type_context(),
        };
        let oid = match find_relation(&cat, &env.search_path, rv) {
            Some(Relation::Table(oid)) => oid,
            Some(_) => return Err(err("42809", format!("\"{}\" is not a table", rv.relname))),
            None if s.missing_ok => {
                notices.push(notice(format!(
                    "relation \"{}\" does not exist, skipping",
                    rv.relname
                )));
                return Ok(tag(tagname));
            }
            None if (rv.schemaname.is_empty() || rv.schemaname == "pg_catalog")
                && crate::system::tables::find(crate::catalog::PG_CATALOG_OID, &rv.relname)
                    .is_some() =>
            {
                return Err(err(
                    "42501",
                    format!("permission denied: \"{}\" is a system catalog", rv.relname),
                ));
            }
            None => {
                return Err(err(
                    "42P01",
                    format!("relation \"{}\" does not exist", rv.relname),
                ));
            }
        };
        for cmd in &s.cmds {
            let Some(Node::AlterTableCmd(c)) = cmd.node.as_ref() else {
                continue;
            };
            self.alter_cmd(&mut cat, &env, oid, c, notices)?;
        }
        self.store_catalog(cat)?;
        Ok(tag(tagname))
    }

    /// ALTER INDEX: `ALTER COLUMN n SET STATISTICS t` of an expression column, checked as
    /// PostgreSQL does and accepted with no effect (statistics are per table here).
    fn alter_index(
        &mut self,
        s: &protobuf::AlterTableStmt,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        let Some(rv) = &s.relation else {
            return Err(err("42601", "ALTER INDEX without an index"));
        };
        let cat = self.load_catalog()?;
        let sp = self.search_path_oids(&cat);
        let ix = match find_relation(&cat, &sp, rv) {
            Some(Relation::Index(o)) => cat.indexes.get(&o).cloned(),
            Some(_) => {
                return Err(err("42809", format!("\"{}\" is not an index", rv.relname)));
            }
            None if s.missing_ok => {
                notices.push(notice(format!(
                    "relation \"{}\" does not exist, skipping",
                    rv.relname
                )));
                return Ok(tag("ALTER INDEX"));
            }
            None => None,
        };
        let Some(ix) = ix else {
            return Err(err(
                "42P01",
                format!("relation \"{}\" does not exist", rv.relname),
            ));
        };
        for cmd in &s.cmds {
            let Some(Node::AlterTableCmd(c)) = cmd.node.as_ref() else {
                continue;
            };
            let subtype = protobuf::AlterTableType::try_from(c.subtype)
                .unwrap_or(protobuf::AlterTableType::Undefined);
            if subtype != protobuf::AlterTableType::AtSetStatistics || c.num <= 0 {
                return Err(SqlError::Unsupported("ALTER INDEX".into()));
            }
            let target = match c.def.as_deref().and_then(|d| d.node.as_ref()) {
                Some(Node::Integer(i)) => i.ival,
                _ => return Err(err("42601", "SET STATISTICS without a target")),
            };
            if target < -1 {
                return Err(err(
                    "22023",
                    format!("statistics target {target} is too low"),
                ));
            }
            if target > 10000 {
                notices.push(Notice::warning(
                    crate::error::SqlCode::new("22023"),
                    "lowering statistics target to 10000",
                ));
            }
            let cols = ix.all_columns();
            let Some(key) = usize::try_from(c.num - 1).ok().and_then(|i| cols.get(i)) else {
                return Err(err(
                    "42703",
                    format!(
                        "column number {} of relation \"{}\" does not exist",
                        c.num, ix.name
                    ),
                ));
            };
            if let IndexKey::Column(col) = key {
                let colname = table(&cat, ix.table)?
                    .columns
                    .get(*col)
                    .map_or(String::new(), |c| c.name.clone());
                return Err(err(
                    "0A000",
                    format!(
                        "cannot alter statistics on non-expression column \"{colname}\" of index \"{}\"",
                        ix.name
                    ),
                )
                .with_hint("Alter statistics on table column instead."));
            }
        }
        Ok(tag("ALTER INDEX"))
    }

    fn alter_cmd(
        &mut self,
        cat: &mut Catalog,
        env: &Env,
        oid: u32,
        c: &protobuf::AlterTableCmd,
        notices: &mut Vec<Notice>,
    ) -> Result<(), SqlError> {
        use protobuf::AlterTableType as A;
        let cascade = c.behavior == protobuf::DropBehavior::DropCascade as i32;
        let def = c.def.as_deref().and_then(|d| d.node.as_ref());
        let subtype = A::try_from(c.subtype).unwrap_or(A::Undefined);
        if let (A::AtAddColumn | A::AtAlterColumnType, Some(Node::ColumnDef(cd))) = (subtype, def)
            && let Some(tn) = &cd.type_name
            && let Ok(ty) = crate::binder::resolve_type_in(cat, &env.search_path, tn)
            && crate::usertypes::type_uses(&ty, crate::catalog::ROW_TYPE_OID_BASE + oid)
        {
            return Err(err(
                "42P16",
                format!(
                    "composite type {} cannot be made a member of itself",
                    table(cat, oid)?.name
                ),
            ));
        }
        if matches!(
            subtype,
            A::AtAddColumn | A::AtDropColumn | A::AtAlterColumnType
        ) {
            row_type_unused(cat, oid)?;
        }
        match subtype {
            A::AtAddColumn => {
                let Some(Node::ColumnDef(cd)) = def else {
                    return Err(err("42601", "ADD COLUMN without a definition"));
                };
                self.add_column(cat, env, oid, cd, c.missing_ok, notices)
            }
            A::AtDropColumn => self.drop_column(cat, oid, &c.name, c.missing_ok, cascade, notices),
            A::AtColumnDefault => {
                let t = table(cat, oid)?;
                let col = column_of(t, &c.name)?;
                if t.columns[col].generated.is_some() {
                    let e = err(
                        "42601",
                        format!(
                            "column \"{}\" of relation \"{}\" is a generated column",
                            c.name, t.name
                        ),
                    );
                    return Err(if c.def.is_none() {
                        e.with_hint("Use ALTER TABLE ... ALTER COLUMN ... DROP EXPRESSION instead.")
                    } else {
                        e
                    });
                }
                let text = match c.def.as_deref() {
                    Some(d) => {
                        let text = deparse_expr(d)?;
                        check_default(cat, env, &t.columns[col], &text)?;
                        Some(text)
                    }
                    None => None,
                };
                if t.columns[col].identity.is_some() && text.is_some() {
                    return Err(err(
                        "42601",
                        format!(
                            "column \"{}\" of relation \"{}\" is an identity column",
                            c.name, t.name
                        ),
                    )
                    .with_hint("Use ALTER TABLE ... ALTER COLUMN ... DROP IDENTITY instead."));
                }
                table_mut(cat, oid)?.columns[col].default = text;
                Ok(())
            }
            A::AtSetNotNull => {
                let t = table(cat, oid)?;
                let col = column_of(t, &c.name)?;
                if t.columns[col].not_null {
                    return Ok(());
                }
                table_mut(cat, oid)?.columns[col].not_null = true;
                let snapshot = cat.clone();
                self.with_cx(&snapshot, &[], |cx| {
                    verify(
                        cx,
                        &snapshot,
                        oid,
                        &Checks {
                            not_null: vec![col],
                            ..Default::default()
                        },
                    )
                })
            }
            A::AtDropNotNull => {
                let t = table(cat, oid)?;
                let col = column_of(t, &c.name)?;
                if t.columns[col].identity.is_some() {
                    return Err(err(
                        "42601",
                        format!(
                            "column \"{}\" of relation \"{}\" is an identity column",
                            c.name, t.name
                        ),
                    ));
                }
                if cat
                    .primary_key_columns(oid)
                    .is_some_and(|pk| pk.contains(&col))
                {
                    return Err(err(
                        "42P16",
                        format!("column \"{}\" is in a primary key", c.name),
                    ));
                }
                table_mut(cat, oid)?.columns[col].not_null = false;
                Ok(())
            }
            A::AtAlterColumnType => {
                let Some(Node::ColumnDef(cd)) = def else {
                    return Err(err("42601", "ALTER COLUMN TYPE without a type"));
                };
                self.alter_column_type(cat, env, oid, &c.name, cd)
            }
            A::AtAddConstraint => {
                let Some(Node::Constraint(con)) = def else {
                    return Err(err("42601", "ADD CONSTRAINT without a constraint"));
                };
                self.add_constraint(cat, env, oid, con, notices)
            }
            A::AtDropConstraint => {
                self.drop_constraint(cat, oid, &c.name, c.missing_ok, cascade, notices)
            }
            A::AtValidateConstraint => self.validate_constraint(cat, oid, &c.name),
            A::AtDropExpression => {
                // The stored values stay; the column becomes a plain one.
                let t = table(cat, oid)?;
                let col = column_of(t, &c.name)?;
                if t.columns[col].generated.is_none() {
                    let msg = format!(
                        "column \"{}\" of relation \"{}\" is not a stored generated column",
                        c.name, t.name
                    );
                    return skip_or_fail(c.missing_ok, msg, notices);
                }
                table_mut(cat, oid)?.columns[col].generated = None;
                Ok(())
            }
            A::AtAddIdentity => {
                let Some(Node::Constraint(con)) = def else {
                    return Err(err("42601", "ADD IDENTITY without a definition"));
                };
                add_identity(cat, oid, &c.name, con.generated_when == "a")?;
                // Sequence options of the identity, e.g. (START WITH 10).
                let seq = table(cat, oid)?
                    .columns
                    .iter()
                    .find(|x| x.name == c.name)
                    .and_then(|x| x.identity)
                    .map(|(_, s)| s);
                if let Some(mut sq) = seq.and_then(|s| cat.sequences.get(&s).cloned()) {
                    crate::ddl::apply_seq_options(&mut sq, &con.options, true, 0)?;
                    cat.sequences.insert(sq.oid, sq);
                }
                Ok(())
            }
            A::AtDropIdentity => {
                // The column stays NOT NULL; its sequence goes.
                let t = table(cat, oid)?;
                let col = column_of(t, &c.name)?;
                let Some((_, seq)) = t.columns[col].identity else {
                    let msg = format!(
                        "column \"{}\" of relation \"{}\" is not an identity column",
                        c.name, t.name
                    );
                    return skip_or_fail(c.missing_ok, msg, notices);
                };
                table_mut(cat, oid)?.columns[col].identity = None;
                cat.sequences.remove(&seq);
                cat.comments.retain(|(o, _), _| *o != seq);
                Ok(())
            }
            A::AtSetIdentity => {
                let t = table(cat, oid)?;
                let col = column_of(t, &c.name)?;
                let Some((always, seq)) = t.columns[col].identity else {
                    return Err(err(
                        "55000",
                        format!(
                            "column \"{}\" of relation \"{}\" is not an identity column",
                            c.name, t.name
                        ),
                    ));
                };
                let Some(Node::List(opts)) = def else {
                    return Ok(());
                };
                let mut always = always;
                let mut seq_opts: Vec<protobuf::Node> = Vec::new();
                for o in &opts.items {
                    let Some(Node::DefElem(d)) = o.node.as_ref() else {
                        continue;
                    };
                    if d.defname == "generated" {
                        always = matches!(
                            d.arg.as_deref().and_then(|a| a.node.as_ref()),
                            Some(Node::Integer(i)) if i.ival == i32::from(b'a')
                        );
                    } else {
                        seq_opts.push(o.clone());
                    }
                }
                table_mut(cat, oid)?.columns[col].identity = Some((always, seq));
                if seq_opts.is_empty() {
                    return Ok(());
                }
                // SET INCREMENT BY, RESTART and the rest act on the identity's sequence as
                // ALTER SEQUENCE does.
                let Some(mut sq) = cat.sequences.get(&seq).cloned() else {
                    return Ok(());
                };
                let snapshot = cat.clone();
                let current = self.with_cx(&snapshot, &[], |cx| cx.sequences.state(&sq))?;
                let applied =
                    crate::ddl::apply_seq_options(&mut sq, &seq_opts, false, current.last)?;
                cat.sequences.insert(seq, sq.clone());
                let restart = match applied.state {
                    crate::ddl::SeqStateChange::Keep => return Ok(()),
                    crate::ddl::SeqStateChange::Rewrite => None,
                    crate::ddl::SeqStateChange::Restart(v) => Some(v),
                };
                let snapshot = cat.clone();
                self.with_cx(&snapshot, &[], |cx| cx.sequences.reset(&sq, restart))
            }
            A::AtAlterConstraint => {
                // ALTER CONSTRAINT name [NOT] DEFERRABLE [INITIALLY DEFERRED | IMMEDIATE]:
                // foreign keys only, as in PostgreSQL 15.
                let Some(Node::AtalterConstraint(ac)) = def else {
                    return Err(err("42601", "ALTER CONSTRAINT without a definition"));
                };
                if ac.alter_enforceability || ac.alter_inheritability {
                    return Err(SqlError::Unsupported(
                        "ALTER CONSTRAINT ... [NOT] ENFORCED / [NO] INHERIT".into(),
                    ));
                }
                let t = table(cat, oid)?;
                let Some(ci) = t.constraints.iter().position(|x| x.name == ac.conname) else {
                    return Err(err(
                        "42704",
                        format!(
                            "constraint \"{}\" of relation \"{}\" does not exist",
                            ac.conname, t.name
                        ),
                    ));
                };
                if !matches!(t.constraints[ci].kind, ConstraintKind::ForeignKey(_)) {
                    return Err(err(
                        "42809",
                        format!(
                            "constraint \"{}\" of relation \"{}\" is not a foreign key constraint",
                            ac.conname, t.name
                        ),
                    ));
                }
                if ac.alter_deferrability {
                    let con = &mut table_mut(cat, oid)?.constraints[ci];
                    con.deferrable = ac.deferrable;
                    con.initially_deferred = ac.initdeferred;
                }
                Ok(())
            }
            A::AtSetStatistics | A::AtSetStorage => {
                // The column must exist; the settings themselves are not supported.
                column_of(table(cat, oid)?, &c.name)?;
                Err(SqlError::Unsupported(format!(
                    "ALTER TABLE {}",
                    format!("{subtype:?}").trim_start_matches("At")
                )))
            }
            // WITHOUT OIDS is what every table is (PostgreSQL 12 and later accept it as a no-op).
            A::AtDropOids => Ok(()),
            other => Err(SqlError::Unsupported(format!(
                "ALTER TABLE {}",
                format!("{other:?}").trim_start_matches("At")
            ))),
        }
    }

    fn add_column(
        &mut self,
        cat: &mut Catalog,
        env: &Env,
        oid: u32,
        cd: &protobuf::ColumnDef,
        if_not_exists: bool,
        notices: &mut Vec<Notice>,
    ) -> Result<(), SqlError> {
        let old = table(cat, oid)?.clone();
        crate::ddl::check_system_column_name(&cd.colname)?;
        if old.column_index(&cd.colname).is_some() {
            let msg = format!(
                "column \"{}\" of relation \"{}\" already exists",
                cd.colname, old.name
            );
            if if_not_exists {
                notices.push(notice_with_code("42701", format!("{msg}, skipping")));
                return Ok(());
            }
            return Err(err("42701", msg));
        }
        let Some(tn) = &cd.type_name else {
            return Err(err("42601", "column without a type"));
        };
        let ty = crate::binder::resolve_type_in(cat, &env.search_path, tn)?;
        crate::ddl::check_column_type(&cd.colname, &ty)?;
        crate::binder::check_column_type(&ty).map_err(|e| e.at(crate::binder::pos(tn.location)))?;
        let tname = names(&tn.names).last().cloned().unwrap_or_default();
        let serial = matches!(
            tname.as_str(),
            "serial" | "serial4" | "bigserial" | "serial8" | "smallserial" | "serial2"
        );
        let idx = old.columns.len();
        let mut col = Column {
            name: cd.colname.clone(),
            ty,
            not_null: cd.is_not_null || serial,
            default: cd.raw_default.as_deref().map(deparse_expr).transpose()?,
            identity: None,
            generated: None,
            domain: crate::binder::domain_of(cat, &env.search_path, tn),
        };
        enum Pending {
            Check(Option<String>, protobuf::Node),
            Index(Option<String>, bool, IndexAttrs),
            Fk(Option<String>, protobuf::Constraint),
        }
        let mut pending = Vec::new();
        let mut gen_node: Option<protobuf::Node> = None;
        let mut identity_spec: Option<(bool, Vec<protobuf::Node>)> = None;
        for con in &crate::ddl::column_constraints(&cd.constraints)? {
            let conname = (!con.conname.is_empty()).then(|| con.conname.clone());
            use protobuf::ConstrType as C;
            match C::try_from(con.contype) {
                Ok(C::ConstrNotnull) => col.not_null = true,
                Ok(C::ConstrNull) => {}
                Ok(C::ConstrDefault) => {
                    col.default = con.raw_expr.as_deref().map(deparse_expr).transpose()?;
                }
                Ok(C::ConstrCheck) => {
                    if let Some(e) = con.raw_expr.as_deref() {
                        pending.push(Pending::Check(conname, e.clone()));
                    }
                }
                Ok(k @ (C::ConstrPrimary | C::ConstrUnique)) => {
                    pending.push(Pending::Index(
                        conname,
                        k == C::ConstrPrimary,
                        IndexAttrs::of(con, Vec::new()),
                    ));
                }
                Ok(C::ConstrForeign) => pending.push(Pending::Fk(conname, con.clone())),
                Ok(C::ConstrIdentity) => {
                    identity_spec = Some((con.generated_when == "a", con.options.clone()));
                    col.not_null = true;
                }
                Ok(C::ConstrGenerated) => {
                    if con.generated_when != "a" {
                        return Err(err(
                            "42601",
                            "for a generated column, GENERATED ALWAYS must be specified",
                        ));
                    }
                    gen_node = con.raw_expr.as_deref().cloned();
                }
                _ => {}
            }
        }
        if gen_node.is_some() && (col.default.is_some() || serial) {
            return Err(err(
                "42601",
                format!(
                    "both default and generation expression specified for column \"{}\" of table \"{}\"",
                    col.name, old.name
                ),
            ));
        }
        if serial {
            if col.default.is_some() {
                return Err(err(
                    "42601",
                    format!(
                        "multiple default values specified for column \"{}\" of table \"{}\"",
                        col.name, old.name
                    ),
                ));
            }
            let seq_name = crate::ddl::choose_object_name(&old.name, Some(&col.name), "seq", |n| {
                name_taken(cat, old.schema, n)
            });
            let seq_oid = cat.new_oid();
            let max = match col.ty {
                DataType::Int2 => i64::from(i16::MAX),
                DataType::Int4 => i64::from(i32::MAX),
                _ => i64::MAX,
            };
            cat.sequences.insert(
                seq_oid,
                Sequence {
                    oid: seq_oid,
                    schema: old.schema,
                    name: seq_name.clone(),
                    ty: col.ty.clone(),
                    start: 1,
                    increment: 1,
                    min: 1,
                    max,
                    cycle: false,
                    cache: 1,
                    owned_by: Some((oid, idx)),
                },
            );
            let q = crate::parse::quote_identifier;
            let qualified = if old.schema == crate::catalog::PUBLIC_OID {
                q(&seq_name)
            } else {
                format!("{}.{}", q(cat.schema_name(old.schema)), q(&seq_name))
            }
            .replace('\'', "''");
            col.default = Some(format!("nextval('{qualified}'::regclass)"));
        }
        let identity_bounds = match &identity_spec {
            Some(_) => {
                if col.default.is_some() || serial {
                    return Err(err(
                        "42601",
                        format!(
                            "both default and identity specified for column \"{}\" of table \"{}\"",
                            col.name, old.name
                        ),
                    ));
                }
                Some(match col.ty {
                    DataType::Int2 => (1, i64::from(i16::MAX)),
                    DataType::Int4 => (1, i64::from(i32::MAX)),
                    DataType::Int8 => (1, i64::MAX),
                    _ => {
                        return Err(err(
                            "22023",
                            "identity column type must be smallint, integer, or bigint",
                        ));
                    }
                })
            }
            None => None,
        };
        // The existing rows get the column's default, or its domain's, checked as the
        // domain demands.
        let mut default_expr = match cat.column_default_text(&col) {
            Some(text) => Some(check_default(cat, env, &col, text)?),
            None => None,
        };
        let domain_checks = match col.domain {
            Some(d) => Some(crate::usertypes::DomainChecks::bind(cat, d, &env.types)?),
            None => None,
        };
        let not_null = col.not_null;
        {
            // Statistics are per column position: ANALYZE gathers them again.
            let t = table_mut(cat, oid)?;
            t.columns.push(col);
            t.stats = None;
        }
        // An identity column: its sequence numbers the existing rows.
        if let (Some((always, options)), Some((min, max))) = (&identity_spec, identity_bounds) {
            let t = table(cat, oid)?.clone();
            let seq = identity_sequence(cat, &t, idx, min, max);
            if let Some(mut sq) = cat.sequences.get(&seq).cloned() {
                crate::ddl::apply_seq_options(&mut sq, options, true, 0)?;
                cat.sequences.insert(seq, sq);
            }
            table_mut(cat, oid)?.columns[idx].identity = Some((*always, seq));
            let qualified = match cat.sequences.get(&seq) {
                Some(sq) => format!(
                    "{}.{}",
                    crate::parse::quote_identifier(cat.schema_name(sq.schema)),
                    crate::parse::quote_identifier(&sq.name)
                )
                .replace('\'', "''"),
                None => String::new(),
            };
            let col = table(cat, oid)?.columns[idx].clone();
            let text = format!("nextval('{qualified}'::regclass)");
            default_expr = Some(check_default(cat, env, &col, &text)?);
        }
        // A generated column is computed for the existing rows.
        let gen_expr = match &gen_node {
            Some(node) => {
                let text = crate::generated::check_expression(
                    cat,
                    &env.search_path,
                    &env.types,
                    table(cat, oid)?,
                    idx,
                    node,
                )?;
                let t = table_mut(cat, oid)?;
                t.columns[idx].generated = Some(text.clone());
                let scope = table_scope(t, &t.name);
                let ty = t.columns[idx].ty.clone();
                let mut b = Binder::new(cat, vec![old.schema], env.types);
                let (e, et) = bind_text_expr(&mut b, &text, &scope)?;
                Some(b.coerce(e, &et, &ty, CastContext::Assignment)?)
            }
            None => None,
        };
        let mut what = Checks::default();
        if not_null {
            what.not_null.push(idx);
        }
        for p in pending {
            match p {
                Pending::Check(name, e) => what.checks.push(add_check(cat, env, oid, name, &e)?),
                Pending::Index(name, primary, attrs) => {
                    add_index_constraint(cat, oid, name, vec![idx], primary, attrs)?;
                    if primary {
                        what.not_null.push(idx);
                    }
                }
                Pending::Fk(name, con) => {
                    what.fks.push(add_fk(cat, env, oid, name, vec![idx], &con)?);
                }
            }
        }
        let old_idx = index_oids(cat, oid);
        let snapshot = cat.clone();
        self.with_cx(&snapshot, &[], |cx| {
            rebuild(cx, &snapshot, &old, &old_idx, &what, &mut |mut row, cx| {
                row.push(match &default_expr {
                    Some(e) => eval(e, &[], cx)?,
                    None => Value::Null,
                });
                if let Some(g) = &gen_expr {
                    let v = eval(g, &row, cx)?;
                    if let Some(last) = row.last_mut() {
                        *last = v;
                    }
                }
                if let (Some(d), Some(v)) = (&domain_checks, row.last()) {
                    d.check(v, cx)?;
                }
                Ok(row)
            })
        })
    }

    pub(crate) fn drop_column(
        &mut self,
        cat: &mut Catalog,
        oid: u32,
        name: &str,
        missing_ok: bool,
        cascade: bool,
        notices: &mut Vec<Notice>,
    ) -> Result<(), SqlError> {
        let old = table(cat, oid)?.clone();
        if crate::ddl::SYSTEM_COLUMN_NAMES.contains(&name) {
            return Err(err(
                "0A000",
                format!("cannot drop system column \"{name}\""),
            ));
        }
        let Some(col) = old.column_index(name) else {
            let msg = format!(
                "column \"{name}\" of relation \"{}\" does not exist",
                old.name
            );
            if missing_ok {
                notices.push(notice(format!("{msg}, skipping")));
                return Ok(());
            }
            return Err(err("42703", msg));
        };
        // Objects of other tables and views that depend on the column.
        let mut blocking: Vec<String> = Vec::new();
        let mut dropped: Vec<String> = Vec::new();
        let mut fks_to_drop: Vec<(u32, String)> = Vec::new();
        for (child, c) in cat.referencing(oid) {
            if child.oid == oid {
                continue;
            }
            if let ConstraintKind::ForeignKey(fk) = &c.kind
                && fk.ref_columns.contains(&col)
            {
                blocking.push(format!(
                    "constraint {} on table {} depends on column {name} of table {}",
                    c.name, child.name, old.name
                ));
                dropped.push(format!("constraint {} on table {}", c.name, child.name));
                fks_to_drop.push((child.oid, c.name.clone()));
            }
        }
        let views = views_using_column(cat, &old, name);
        for v in &views {
            if let Some(view) = cat.views.get(v) {
                blocking.push(format!(
                    "view {} depends on column {name} of table {}",
                    view.name, old.name
                ));
                dropped.push(format!("view {}", view.name));
            }
        }
        let generated_users: Vec<&str> = old
            .columns
            .iter()
            .filter(|c| {
                c.name != name
                    && c.generated
                        .as_deref()
                        .is_some_and(|g| expr_uses_column(g, name))
            })
            .map(|c| c.name.as_str())
            .collect();
        if !generated_users.is_empty() {
            if cascade {
                return Err(err(
                    "0A000",
                    "feature not supported: DROP COLUMN ... CASCADE of a column used by a generated column",
                ));
            }
            for g in generated_users {
                blocking.push(format!(
                    "column {g} of table {} depends on column {name} of table {}",
                    old.name, old.name
                ));
            }
        }
        if !blocking.is_empty() {
            if !cascade {
                return Err(dependents_error(
                    &format!("column {name} of table {}", old.name),
                    &blocking,
                ));
            }
            notices.push(cascade_notice(&dropped));
        }
        for (child, cname) in fks_to_drop {
            table_mut(cat, child)?
                .constraints
                .retain(|c| c.name != cname);
        }
        for v in views {
            cat.views.remove(&v);
        }
        // Indexes, constraints and sequences of this table that go with the column.
        let dead_indexes: Vec<u32> = cat
            .table_indexes(oid)
            .into_iter()
            .filter(|i| {
                i.keys.iter().any(|k| match k {
                    IndexKey::Column(c) => *c == col,
                    IndexKey::Expr(e) => expr_uses_column(e, name),
                }) || i.include.contains(&col)
                    || i.predicate
                        .as_deref()
                        .is_some_and(|p| expr_uses_column(p, name))
            })
            .map(|i| i.oid)
            .collect();
        let old_indexes = index_oids(cat, oid);
        for i in &dead_indexes {
            cat.indexes.remove(i);
        }
        {
            let t = table_mut(cat, oid)?;
            t.constraints.retain(|c| match &c.kind {
                ConstraintKind::PrimaryKey { index } | ConstraintKind::Unique { index } => {
                    !dead_indexes.contains(index)
                }
                ConstraintKind::Check { expr } => !expr_uses_column(expr, name),
                ConstraintKind::ForeignKey(fk) => {
                    !(fk.columns.contains(&col)
                        || (fk.ref_table == oid && fk.ref_columns.contains(&col)))
                }
            });
            if t.primary_key.as_ref().is_some_and(|pk| pk.contains(&col)) {
                t.primary_key = None;
            }
            t.columns.remove(col);
            t.stats = None;
            let shift = |c: &mut usize| {
                if *c > col {
                    *c -= 1;
                }
            };
            if let Some(pk) = &mut t.primary_key {
                pk.iter_mut().for_each(shift);
            }
            for c in &mut t.constraints {
                if let ConstraintKind::ForeignKey(fk) = &mut c.kind {
                    fk.columns.iter_mut().for_each(shift);
                }
            }
        }
        for t in cat.tables.values_mut() {
            for c in &mut t.constraints {
                if let ConstraintKind::ForeignKey(fk) = &mut c.kind
                    && fk.ref_table == oid
                {
                    for r in &mut fk.ref_columns {
                        if *r > col {
                            *r -= 1;
                        }
                    }
                }
            }
        }
        for i in cat.indexes.values_mut().filter(|i| i.table == oid) {
            for k in &mut i.keys {
                if let IndexKey::Column(c) = k
                    && *c > col
                {
                    *c -= 1;
                }
            }
            for c in &mut i.include {
                if *c > col {
                    *c -= 1;
                }
            }
        }
        cat.sequences.retain(|_, s| s.owned_by != Some((oid, col)));
        for s in cat.sequences.values_mut() {
            if let Some((t, c)) = &mut s.owned_by
                && *t == oid
                && *c > col
            {
                *c -= 1;
            }
        }
        let key = u32::try_from(col + 1).unwrap_or(u32::MAX);
        let comments: Vec<((u32, u32), String)> = cat
            .comments
            .iter()
            .filter(|((o, c), _)| *o == oid && *c >= key)
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        for ((o, c), text) in comments {
            cat.comments.remove(&(o, c));
            if c > key {
                cat.comments.insert((o, c - 1), text);
            }
        }
        let snapshot = cat.clone();
        self.with_cx(&snapshot, &[], |cx| {
            rebuild(
                cx,
                &snapshot,
                &old,
                &old_indexes,
                &Checks::default(),
                &mut |mut row, _| {
                    if col < row.len() {
                        row.remove(col);
                    }
                    Ok(row)
                },
            )
        })
    }

    fn alter_column_type(
        &mut self,
        cat: &mut Catalog,
        env: &Env,
        oid: u32,
        name: &str,
        cd: &protobuf::ColumnDef,
    ) -> Result<(), SqlError> {
        let old = table(cat, oid)?.clone();
        let col = column_of(&old, name)?;
        let Some(tn) = &cd.type_name else {
            return Err(err("42601", "ALTER COLUMN TYPE without a type"));
        };
        if cd.raw_default.is_some() && old.columns[col].generated.is_some() {
            return Err(err(
                "42611",
                "cannot specify USING when altering type of generated column",
            )
            .with_detail(format!("Column \"{name}\" is a generated column.")));
        }
        let new_ty = crate::binder::resolve_type_in(cat, &env.search_path, tn)?;
        let new_domain = crate::binder::domain_of(cat, &env.search_path, tn);
        crate::ddl::check_column_type(name, &new_ty)?;
        crate::binder::check_column_type(&new_ty)
            .map_err(|e| e.at(crate::binder::pos(tn.location)))?;
        let int_max = |t: &DataType| match t {
            DataType::Int2 => Some(i64::from(i16::MAX)),
            DataType::Int4 => Some(i64::from(i32::MAX)),
            DataType::Int8 => Some(i64::MAX),
            _ => None,
        };
        // An identity column's sequence takes the new type (its maximum too, when it was
        // the old type's).
        if let Some((_, seq)) = old.columns[col].identity {
            let Some(new_max) = int_max(&new_ty) else {
                return Err(err(
                    "22023",
                    "identity column type must be smallint, integer, or bigint",
                ));
            };
            let old_max = int_max(&old.columns[col].ty);
            if let Some(sq) = cat.sequences.get_mut(&seq) {
                sq.ty = new_ty.clone();
                if Some(sq.max) == old_max {
                    sq.max = new_max;
                }
            }
        }
        if let Some(v) = views_using_column(cat, &old, name).first()
            && let Some(view) = cat.views.get(v)
        {
            return Err(err(
                "0A000",
                "cannot alter type of a column used by a view or rule",
            )
            .with_detail(format!(
                "rule _RETURN on view {} depends on column \"{name}\"",
                view.name
            )));
        }
        if let Some(g) = old.columns.iter().find(|c| {
            c.name != name
                && c.generated
                    .as_deref()
                    .is_some_and(|g| expr_uses_column(g, name))
        }) {
            return Err(err(
                "0A000",
                "cannot alter type of a column used by a generated column",
            )
            .with_detail(format!(
                "Column \"{name}\" is used by generated column \"{}\".",
                g.name
            )));
        }
        let old_ty = old.columns[col].ty.clone();
        let conv = {
            let mut b = Binder::new(cat, env.search_path.clone(), env.types);
            match cd.raw_default.as_deref() {
                Some(using) => {
                    let scope = table_scope(&old, &old.name);
                    let (e, t) = b.bind_scalar(using, &scope, "transform expressions")?;
                    b.coerce(e, &t, &new_ty, CastContext::Assignment)
                        .map_err(|e| {
                            if matches!(e.code().code(), "42804" | "42846") {
                                err(
                                    "42804",
                                    format!(
                                        "result of USING clause for column \"{name}\" cannot be cast automatically to type {}",
                                        new_ty.format_type()
                                    ),
                                )
                                .with_hint("You might need to add an explicit cast.")
                            } else {
                                e
                            }
                        })?
                }
                None => b
                    .coerce(Expr::Column(col), &old_ty, &new_ty, CastContext::Assignment)
                    .map_err(|e| {
                        if matches!(e.code().code(), "42804" | "42846") {
                            err(
                                "42804",
                                format!(
                                    "column \"{name}\" cannot be cast automatically to type {}",
                                    new_ty.format_type()
                                ),
                            )
                            .with_hint(format!(
                                "You might need to specify \"USING {name}::{}\".",
                                new_ty.format_type()
                            ))
                        } else {
                            e
                        }
                    })?,
            }
        };
        {
            let t = table_mut(cat, oid)?;
            t.columns[col].ty = new_ty.clone();
            t.columns[col].domain = new_domain;
            t.stats = None;
        }
        let domain_checks = match new_domain {
            Some(d) => Some(crate::usertypes::DomainChecks::bind(cat, d, &env.types)?),
            None => None,
        };
        let newcol = table(cat, oid)?.columns[col].clone();
        if let Some(d) = &newcol.default
            && !d.starts_with("nextval(")
        {
            check_default(cat, env, &newcol, d).map_err(|e| {
                if e.code().code() == "42804" {
                    err(
                        "42804",
                        format!(
                            "default for column \"{name}\" cannot be cast automatically to type {}",
                            new_ty.format_type()
                        ),
                    )
                } else {
                    e
                }
            })?;
        }
        let t = table(cat, oid)?;
        let what = Checks {
            not_null: (0..t.columns.len())
                .filter(|c| t.columns[*c].not_null)
                .collect(),
            checks: t
                .constraints
                .iter()
                .filter(|c| matches!(&c.kind, ConstraintKind::Check { expr } if expr_uses_column(expr, name)))
                .map(|c| c.name.clone())
                .collect(),
            fks: Vec::new(),
        };
        let old_idx = index_oids(cat, oid);
        let snapshot = cat.clone();
        self.with_cx(&snapshot, &[], |cx| {
            rebuild(cx, &snapshot, &old, &old_idx, &what, &mut |mut row, cx| {
                let v = eval(&conv, &row, cx)?;
                if let Some(d) = &domain_checks {
                    d.check(&v, cx)?;
                }
                if let Some(slot) = row.get_mut(col) {
                    *slot = v;
                }
                Ok(row)
            })
        })
    }

    /// `ADD [CONSTRAINT name] { PRIMARY KEY | UNIQUE } USING INDEX index`: a plain unique
    /// index of the table becomes the constraint's (renamed to the constraint's name), after
    /// PostgreSQL's checks. Its entries are built again (a primary key keys the rows).
    fn constraint_using_index(
        &mut self,
        cat: &mut Catalog,
        oid: u32,
        con: &protobuf::Constraint,
        primary: bool,
        notices: &mut Vec<Notice>,
    ) -> Result<(), SqlError> {
        let t = table(cat, oid)?.clone();
        let iname = &con.indexname;
        // The index's errors point at the constraint, as PostgreSQL's do.
        let at = crate::binder::pos(con.location);
        let Some(idx) = cat
            .indexes
            .values()
            .find(|i| i.name == *iname && i.schema == t.schema)
            .cloned()
        else {
            return Err(err("42704", format!("index \"{iname}\" does not exist")).at(at));
        };
        if idx.table != oid {
            return Err(err(
                "42809",
                format!("index \"{iname}\" does not belong to table \"{}\"", t.name),
            )
            .at(at));
        }
        if t.constraints.iter().any(|c| {
            matches!(c.kind, ConstraintKind::PrimaryKey { index } | ConstraintKind::Unique { index } if index == idx.oid)
        }) {
            return Err(err(
                "55000",
                format!("index \"{iname}\" is already associated with a constraint"),
            )
            .at(at));
        }
        let refuse = |msg: String| {
            err("42809", msg)
                .with_detail(
                    "Cannot create a primary key or unique constraint using such an index.",
                )
                .at(at)
        };
        if !idx.unique {
            return Err(refuse(format!("\"{iname}\" is not a unique index")));
        }
        if idx.keys.iter().any(|k| matches!(k, IndexKey::Expr(_))) {
            return Err(refuse(format!("index \"{iname}\" contains expressions")));
        }
        if idx.predicate.is_some() {
            return Err(refuse(format!("\"{iname}\" is a partial index")));
        }
        if let Some(n) = idx.desc.iter().position(|d| *d) {
            return Err(refuse(format!(
                "index \"{iname}\" column number {} does not have default sorting behavior",
                n + 1
            )));
        }
        if primary && cat.primary_index(oid).is_some() {
            return Err(err(
                "42P16",
                format!(
                    "multiple primary keys for table \"{}\" are not allowed",
                    t.name
                ),
            ));
        }
        let name = if con.conname.is_empty() {
            iname.clone()
        } else {
            if con.conname != *iname {
                notices.push(notice(format!(
                    "ALTER TABLE / ADD CONSTRAINT USING INDEX will rename index \"{iname}\" to \"{}\"",
                    con.conname
                )));
            }
            con.conname.clone()
        };
        let cols: Vec<usize> = idx
            .keys
            .iter()
            .filter_map(|k| match k {
                IndexKey::Column(c) => Some(*c),
                IndexKey::Expr(_) => None,
            })
            .collect();
        let attrs = IndexAttrs {
            nulls_not_distinct: idx.nulls_not_distinct,
            deferrable: con.deferrable,
            initially_deferred: con.initdeferred,
            include: idx.include.clone(),
        };
        let old_idx = index_oids(cat, oid);
        cat.indexes.remove(&idx.oid);
        let ioid = add_index_constraint(cat, oid, Some(name), cols.clone(), primary, attrs)?;
        let snapshot = cat.clone();
        self.with_cx(&snapshot, &[], |cx| {
            delete_prefix(&index_prefix(idx.oid), cx)?;
            if primary {
                rebuild(
                    cx,
                    &snapshot,
                    &t,
                    &old_idx,
                    &Checks {
                        not_null: cols.clone(),
                        ..Default::default()
                    },
                    &mut |row, _| Ok(row),
                )
            } else {
                build_index(&snapshot, ioid, cx)
            }
        })
    }

    fn add_constraint(
        &mut self,
        cat: &mut Catalog,
        env: &Env,
        oid: u32,
        con: &protobuf::Constraint,
        notices: &mut Vec<Notice>,
    ) -> Result<(), SqlError> {
        use protobuf::ConstrType as C;
        let conname = (!con.conname.is_empty()).then(|| con.conname.clone());
        let t = table(cat, oid)?.clone();
        match C::try_from(con.contype) {
            Ok(C::ConstrCheck) => {
                let Some(e) = con.raw_expr.as_deref() else {
                    return Err(err("42601", "CHECK without an expression"));
                };
                let name = add_check(cat, env, oid, conname, e)?;
                if con.skip_validation {
                    return mark_not_valid(cat, oid, &name);
                }
                let snapshot = cat.clone();
                self.with_cx(&snapshot, &[], |cx| {
                    verify(
                        cx,
                        &snapshot,
                        oid,
                        &Checks {
                            checks: vec![name],
                            ..Default::default()
                        },
                    )
                })
            }
            Ok(k @ (C::ConstrPrimary | C::ConstrUnique)) => {
                let primary = k == C::ConstrPrimary;
                if !con.indexname.is_empty() {
                    return self.constraint_using_index(cat, oid, con, primary, notices);
                }
                let cols = key_columns(&t, &con.keys, "named in key")?;
                let include = key_columns(&t, &con.including, "named in key")?;
                let old_idx = index_oids(cat, oid);
                let ioid = add_index_constraint(
                    cat,
                    oid,
                    conname,
                    cols.clone(),
                    primary,
                    IndexAttrs::of(con, include),
                )?;
                let snapshot = cat.clone();
                if primary {
                    self.with_cx(&snapshot, &[], |cx| {
                        rebuild(
                            cx,
                            &snapshot,
                            &t,
                            &old_idx,
                            &Checks {
                                not_null: cols,
                                ..Default::default()
                            },
                            &mut |row, _| Ok(row),
                        )
                    })
                } else {
                    self.with_cx(&snapshot, &[], |cx| build_index(&snapshot, ioid, cx))
                }
            }
            Ok(C::ConstrForeign) => {
                let cols = key_columns(&t, &con.fk_attrs, "referenced in foreign key constraint")?;
                let name = add_fk(cat, env, oid, conname, cols, con)?;
                if con.skip_validation {
                    return mark_not_valid(cat, oid, &name);
                }
                let snapshot = cat.clone();
                self.with_cx(&snapshot, &[], |cx| {
                    verify(
                        cx,
                        &snapshot,
                        oid,
                        &Checks {
                            fks: vec![name],
                            ..Default::default()
                        },
                    )
                })
            }
            _ => Err(err(
                "0A000",
                "feature not supported: this kind of constraint in ALTER TABLE",
            )),
        }
    }

    /// `VALIDATE CONSTRAINT`: checks the rows a NOT VALID constraint skipped, then marks it
    /// valid.
    fn validate_constraint(
        &mut self,
        cat: &mut Catalog,
        oid: u32,
        name: &str,
    ) -> Result<(), SqlError> {
        let t = table(cat, oid)?;
        let Some(con) = t.constraints.iter().find(|x| x.name == name) else {
            return Err(err(
                "42704",
                format!(
                    "constraint \"{name}\" of relation \"{}\" does not exist",
                    t.name
                ),
            ));
        };
        let what = match con.kind {
            ConstraintKind::Check { .. } => Checks {
                checks: vec![name.to_string()],
                ..Default::default()
            },
            ConstraintKind::ForeignKey(_) => Checks {
                fks: vec![name.to_string()],
                ..Default::default()
            },
            _ => {
                return Err(err(
                    "42809",
                    format!(
                        "constraint \"{name}\" of relation \"{}\" is not a foreign key or check constraint",
                        t.name
                    ),
                ));
            }
        };
        if !con.not_valid {
            return Ok(());
        }
        let snapshot = cat.clone();
        self.with_cx(&snapshot, &[], |cx| verify(cx, &snapshot, oid, &what))?;
        for c in &mut table_mut(cat, oid)?.constraints {
            if c.name == name {
                c.not_valid = false;
            }
        }
        Ok(())
    }

    fn drop_constraint(
        &mut self,
        cat: &mut Catalog,
        oid: u32,
        name: &str,
        missing_ok: bool,
        cascade: bool,
        notices: &mut Vec<Notice>,
    ) -> Result<(), SqlError> {
        let old = table(cat, oid)?.clone();
        let Some(con) = old.constraints.iter().find(|c| c.name == name).cloned() else {
            let msg = format!(
                "constraint \"{name}\" of relation \"{}\" does not exist",
                old.name
            );
            if missing_ok {
                notices.push(notice(format!("{msg}, skipping")));
                return Ok(());
            }
            return Err(err("42704", msg));
        };
        let index = match con.kind {
            ConstraintKind::PrimaryKey { index } | ConstraintKind::Unique { index } => Some(index),
            _ => None,
        };
        let old_idx = index_oids(cat, oid);
        if let Some(ioid) = index {
            // Foreign keys that rely on the index.
            let keys: Vec<usize> = cat
                .indexes
                .get(&ioid)
                .map(|i| {
                    i.keys
                        .iter()
                        .filter_map(|k| match k {
                            IndexKey::Column(c) => Some(*c),
                            IndexKey::Expr(_) => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            let iname = cat
                .indexes
                .get(&ioid)
                .map_or(name.to_string(), |i| i.name.clone());
            let mut deps = Vec::new();
            for (child, c) in cat.referencing(oid) {
                if let ConstraintKind::ForeignKey(fk) = &c.kind
                    && fk.ref_columns == keys
                {
                    deps.push((child.oid, child.name.clone(), c.name.clone()));
                }
            }
            if !deps.is_empty() {
                if !cascade {
                    let lines: Vec<String> = deps
                        .iter()
                        .map(|(_, t, c)| {
                            format!("constraint {c} on table {t} depends on index {iname}")
                        })
                        .collect();
                    return Err(dependents_error(
                        &format!("constraint {name} on table {}", old.name),
                        &lines,
                    ));
                }
                let lines: Vec<String> = deps
                    .iter()
                    .map(|(_, t, c)| format!("constraint {c} on table {t}"))
                    .collect();
                notices.push(cascade_notice(&lines));
                for (child, _, c) in deps {
                    table_mut(cat, child)?.constraints.retain(|x| x.name != c);
                }
            }
            cat.indexes.remove(&ioid);
        }
        let t = table_mut(cat, oid)?;
        t.constraints.retain(|c| c.name != name);
        let primary = matches!(con.kind, ConstraintKind::PrimaryKey { .. });
        if primary {
            t.primary_key = None;
            // Views that group by the key and read other columns of the table (functionally
            // dependent on it) depend on the constraint: they no longer bind without it.
            let types = self.type_context();
            let sp = self.search_path_oids(cat);
            let broken: Vec<(u32, String)> = cat
                .views
                .values()
                .filter(|v| {
                    let Ok(parsed) =
                        crate::parse::parse(&v.query, crate::parse::ParseOptions::default())
                    else {
                        return false;
                    };
                    let Some(Node::SelectStmt(sel)) =
                        parsed.statements().next().and_then(|s| s.node())
                    else {
                        return false;
                    };
                    let path = v.search_path.clone().unwrap_or_else(|| sp.clone());
                    let mut b = crate::binder::Binder::new(cat, path, types);
                    b.bind_select(sel)
                        .is_err_and(|e| e.code().code() == "42803")
                })
                .map(|v| (v.oid, v.name.clone()))
                .collect();
            if !broken.is_empty() {
                let what = format!("constraint {name} on table {}", old.name);
                if !cascade {
                    let lines: Vec<String> = broken
                        .iter()
                        .map(|(_, v)| format!("view {v} depends on {what}"))
                        .collect();
                    return Err(dependents_error(&what, &lines));
                }
                let lines: Vec<String> = broken.iter().map(|(_, v)| format!("view {v}")).collect();
                notices.push(cascade_notice(&lines));
                for (v, _) in broken {
                    cat.views.remove(&v);
                }
            }
        }
        let snapshot = cat.clone();
        match index {
            Some(_) if primary => self.with_cx(&snapshot, &[], |cx| {
                rebuild(
                    cx,
                    &snapshot,
                    &old,
                    &old_idx,
                    &Checks::default(),
                    &mut |row, _| Ok(row),
                )
            }),
            Some(ioid) => self.with_cx(&snapshot, &[], |cx| delete_prefix(&index_prefix(ioid), cx)),
            None => Ok(()),
        }
    }

    // -----------------------------------------------------------------------------------
    // RENAME.

    /// ALTER ... RENAME.
    /// ALTER SCHEMA ... RENAME TO: objects refer to their schema by OID, so only the name
    /// changes.
    fn rename_schema(&mut self, old: &str, new: &str) -> Result<StatementResult, SqlError> {
        let mut cat = self.catalog_for_update()?;
        let Some(oid) = cat.schema_oid(old) else {
            return Err(err("3F000", format!("schema \"{old}\" does not exist")));
        };
        if cat.schema_oid(new).is_some() {
            return Err(err("42P06", format!("schema \"{new}\" already exists")));
        }
        if new.starts_with("pg_") {
            return Err(err("42939", format!("unacceptable schema name \"{new}\""))
                .with_detail("The prefix \"pg_\" is reserved for system schemas."));
        }
        if old.starts_with("pg_") {
            return Err(SqlError::Unsupported(format!(
                "renaming system schema \"{old}\""
            )));
        }
        if let Some(s) = cat.schemas.get_mut(&oid) {
            s.name = new.to_string();
        }
        self.store_catalog(cat)?;
        Ok(tag("ALTER SCHEMA"))
    }

    pub(crate) fn rename(
        &mut self,
        s: &protobuf::RenameStmt,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        use protobuf::ObjectType as O;
        let rename_type = O::try_from(s.rename_type).unwrap_or(O::Undefined);
        let relation_type = O::try_from(s.relation_type).unwrap_or(O::Undefined);
        let word = |k: O| match k {
            O::ObjectIndex => "ALTER INDEX",
            O::ObjectView => "ALTER VIEW",
            O::ObjectMatview => "ALTER MATERIALIZED VIEW",
            O::ObjectSequence => "ALTER SEQUENCE",
            _ => "ALTER TABLE",
        };
        let tagname = match rename_type {
            O::ObjectColumn | O::ObjectTabconstraint => word(relation_type),
            k => word(k),
        };
        if rename_type == O::ObjectSchema {
            return self.rename_schema(&s.subname, &s.newname);
        }
        if !matches!(
            rename_type,
            O::ObjectTable
                | O::ObjectIndex
                | O::ObjectView
                | O::ObjectMatview
                | O::ObjectSequence
                | O::ObjectColumn
                | O::ObjectTabconstraint
        ) {
            return Err(SqlError::Unsupported("ALTER ... RENAME".into()));
        }
        let Some(rv) = &s.relation else {
            return Err(err("42601", "RENAME without a relation"));
        };
        let mut cat = self.catalog_for_update()?;
        let sp = self.search_path_oids(&cat);
        let Some(rel) = find_relation(&cat, &sp, rv) else {
            if s.missing_ok {
                notices.push(notice(format!(
                    "relation \"{}\" does not exist, skipping",
                    rv.relname
                )));
                return Ok(tag(tagname));
            }
            return Err(err(
                "42P01",
                format!("relation \"{}\" does not exist", rv.relname),
            ));
        };
        match rename_type {
            O::ObjectColumn => rename_column(&mut cat, rel, &rv.relname, &s.subname, &s.newname)?,
            O::ObjectTabconstraint => {
                let Relation::Table(oid) = rel else {
                    return Err(err("42809", format!("\"{}\" is not a table", rv.relname)));
                };
                rename_constraint(&mut cat, oid, &s.subname, &s.newname)?;
            }
            k => rename_relation(&mut cat, rel, k, &rv.relname, &s.newname)?,
        }
        self.store_catalog(cat)?;
        Ok(tag(tagname))
    }
}

/// ALTER COLUMN ... ADD GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY.
fn add_identity(cat: &mut Catalog, oid: u32, name: &str, always: bool) -> Result<(), SqlError> {
    let t = table(cat, oid)?.clone();
    let col = column_of(&t, name)?;
    let c = &t.columns[col];
    // The type is checked first (PostgreSQL does it while analyzing the statement).
    let (min, max) = match c.ty {
        DataType::Int2 => (1, i64::from(i16::MAX)),
        DataType::Int4 => (1, i64::from(i32::MAX)),
        DataType::Int8 => (1, i64::MAX),
        _ => {
            return Err(err(
                "22023",
                "identity column type must be smallint, integer, or bigint",
            ));
        }
    };
    if !c.not_null {
        return Err(err(
            "55000",
            format!(
                "column \"{name}\" of relation \"{}\" must be declared NOT NULL before identity can be added",
                t.name
            ),
        ));
    }
    if c.identity.is_some() {
        return Err(err(
            "55000",
            format!(
                "column \"{name}\" of relation \"{}\" is already an identity column",
                t.name
            ),
        ));
    }
    if c.default.is_some() {
        return Err(err(
            "55000",
            format!(
                "column \"{name}\" of relation \"{}\" already has a default value",
                t.name
            ),
        ));
    }
    let seq_oid = identity_sequence(cat, &t, col, min, max);
    table_mut(cat, oid)?.columns[col].identity = Some((always, seq_oid));
    Ok(())
}

/// Creates the sequence of identity column `col` of `t` (named like PostgreSQL's, owned by
/// the column), counting from `min` to `max`.
fn identity_sequence(cat: &mut Catalog, t: &Table, col: usize, min: i64, max: i64) -> u32 {
    let name = &t.columns[col].name;
    let seq_name = crate::ddl::choose_object_name(&t.name, Some(name), "seq", |n| {
        name_taken(cat, t.schema, n)
    });
    let seq_oid = cat.new_oid();
    cat.sequences.insert(
        seq_oid,
        Sequence {
            oid: seq_oid,
            schema: t.schema,
            name: seq_name,
            ty: t.columns[col].ty.clone(),
            start: min,
            increment: 1,
            min,
            max,
            cycle: false,
            cache: 1,
            owned_by: Some((t.oid, col)),
        },
    );
    seq_oid
}

fn rename_relation(
    cat: &mut Catalog,
    rel: Relation,
    kind: protobuf::ObjectType,
    name: &str,
    new: &str,
) -> Result<(), SqlError> {
    use protobuf::ObjectType as O;
    match (kind, rel) {
        (O::ObjectSequence, Relation::Sequence(_))
        | (O::ObjectView, Relation::View(_))
        | (O::ObjectTable | O::ObjectIndex, _) => {}
        (O::ObjectMatview, Relation::Table(o))
            if cat.tables.get(&o).is_some_and(|t| t.matview.is_some()) => {}
        (O::ObjectSequence, _) => {
            return Err(err("42809", format!("\"{name}\" is not a sequence")));
        }
        (O::ObjectMatview, _) => {
            return Err(err(
                "42809",
                format!("\"{name}\" is not a materialized view"),
            ));
        }
        _ => return Err(err("42809", format!("\"{name}\" is not a view"))),
    }
    let schema = match rel {
        Relation::Table(o) => table(cat, o)?.schema,
        Relation::Index(o) => cat.indexes.get(&o).map_or(0, |i| i.schema),
        Relation::View(o) => cat.views.get(&o).map_or(0, |v| v.schema),
        Relation::Sequence(o) => cat.sequences.get(&o).map_or(0, |s| s.schema),
    };
    if name_taken(cat, schema, new) {
        return Err(err("42P07", format!("relation \"{new}\" already exists")));
    }
    match rel {
        Relation::Table(o) => {
            table_mut(cat, o)?.name = new.to_string();
            rename_relation_in_views(cat, schema, name, new)?;
        }
        Relation::Index(o) => rename_index(cat, o, new),
        Relation::View(o) => {
            if let Some(v) = cat.views.get_mut(&o) {
                v.name = new.to_string();
            }
            rename_relation_in_views(cat, schema, name, new)?;
        }
        Relation::Sequence(o) => {
            if let Some(s) = cat.sequences.get_mut(&o) {
                s.name = new.to_string();
            }
            // Defaults name the sequence by text (`nextval('s')`, `'s'::regclass`).
            let qualify = |n: &str| {
                let n = crate::system::tables::quote_ident(n);
                if schema == crate::catalog::PUBLIC_OID {
                    n
                } else {
                    format!(
                        "{}.{n}",
                        crate::system::tables::quote_ident(cat.schema_name(schema))
                    )
                }
            };
            let new_name = qualify(new);
            let schema_oids: Vec<(String, u32)> = cat
                .schemas
                .values()
                .map(|s| (s.name.clone(), s.oid))
                .collect();
            crate::ddl::repoint_regclass_literals(cat, o, &new_name, |lit| {
                let parts = crate::system::split_name(lit)?;
                let (sch, rel) = match parts.as_slice() {
                    [r] => (schema, r),
                    [s, r] => (schema_oids.iter().find(|(n, _)| n == s)?.1, r),
                    _ => return None,
                };
                (sch == schema && rel == name).then_some(o)
            });
        }
    }
    Ok(())
}

/// Renames an index and the constraint it backs.
fn rename_index(cat: &mut Catalog, oid: u32, new: &str) {
    let Some(i) = cat.indexes.get_mut(&oid) else {
        return;
    };
    i.name = new.to_string();
    let t = i.table;
    if let Some(t) = cat.tables.get_mut(&t) {
        for c in &mut t.constraints {
            if matches!(c.kind, ConstraintKind::PrimaryKey { index } | ConstraintKind::Unique { index } if index == oid)
            {
                c.name = new.to_string();
            }
        }
    }
}

/// Refuses to change the columns of a table whose row type other tables' columns (or
/// composite types) use: their stored values have the row's current shape. PostgreSQL
/// refuses ALTER COLUMN TYPE the same way (and allows adding, dropping and renaming
/// columns, which Basalt refuses too).
fn row_type_unused(cat: &Catalog, oid: u32) -> Result<(), SqlError> {
    let t = table(cat, oid)?;
    let row_type = crate::catalog::ROW_TYPE_OID_BASE + oid;
    let user = crate::ddl::row_type_users(cat, oid, &[oid])
        .into_iter()
        .next()
        .map(|(tab, col, _)| format!("{tab}.{col}"))
        .or_else(|| {
            cat.types.values().find_map(|ty| {
                ty.fields
                    .iter()
                    .find(|f| crate::usertypes::type_uses(&f.ty, row_type))
                    .map(|f| format!("{}.{}", ty.name, f.name))
            })
        });
    match user {
        Some(u) => Err(err(
            "0A000",
            format!(
                "cannot alter table \"{}\" because column \"{u}\" uses its row type",
                t.name
            ),
        )),
        None => Ok(()),
    }
}

fn rename_column(
    cat: &mut Catalog,
    rel: Relation,
    relname: &str,
    old: &str,
    new: &str,
) -> Result<(), SqlError> {
    match rel {
        Relation::Table(oid) => {
            row_type_unused(cat, oid)?;
            let t = table(cat, oid)?.clone();
            let Some(col) = t.column_index(old) else {
                return Err(err("42703", format!("column \"{old}\" does not exist")));
            };
            crate::ddl::check_system_column_name(new)?;
            if t.column_index(new).is_some() {
                return Err(err(
                    "42701",
                    format!("column \"{new}\" of relation \"{}\" already exists", t.name),
                ));
            }
            let tm = table_mut(cat, oid)?;
            tm.columns[col].name = new.to_string();
            for c in &mut tm.columns {
                if let Some(g) = &mut c.generated {
                    *g = rename_in_expr(g, &t.name, old, new)?;
                }
            }
            for c in &mut tm.constraints {
                if let ConstraintKind::Check { expr } = &mut c.kind {
                    *expr = rename_in_expr(expr, &t.name, old, new)?;
                }
            }
            for i in cat.indexes.values_mut().filter(|i| i.table == oid) {
                for k in &mut i.keys {
                    if let IndexKey::Expr(e) = k {
                        *e = rename_in_expr(e, &t.name, old, new)?;
                    }
                }
                if let Some(p) = &mut i.predicate {
                    *p = rename_in_expr(p, &t.name, old, new)?;
                }
            }
            rename_column_in_views(cat, &t, old, new)
        }
        Relation::View(oid) => {
            let Some(v) = cat.views.get_mut(&oid) else {
                return Ok(());
            };
            if v.columns.iter().any(|c| c == new) {
                return Err(err(
                    "42701",
                    format!("column \"{new}\" of relation \"{}\" already exists", v.name),
                ));
            }
            let Some(c) = v.columns.iter_mut().find(|c| *c == old) else {
                return Err(err("42703", format!("column \"{old}\" does not exist")));
            };
            *c = new.to_string();
            Ok(())
        }
        _ => Err(err(
            "42809",
            format!(
                "\"{relname}\" is not a table, view, materialized view, composite type, index, or foreign table"
            ),
        )),
    }
}

fn rename_constraint(cat: &mut Catalog, oid: u32, old: &str, new: &str) -> Result<(), SqlError> {
    let t = table(cat, oid)?.clone();
    let Some(con) = t.constraints.iter().find(|c| c.name == old) else {
        return Err(err(
            "42704",
            format!(
                "constraint \"{old}\" for table \"{}\" does not exist",
                t.name
            ),
        ));
    };
    match con.kind {
        ConstraintKind::PrimaryKey { index } | ConstraintKind::Unique { index } => {
            if name_taken(cat, t.schema, new) {
                return Err(err("42P07", format!("relation \"{new}\" already exists")));
            }
            if t.constraints.iter().any(|c| c.name == new) {
                return Err(already_exists(new, &t.name));
            }
            rename_index(cat, index, new);
        }
        _ => {
            if t.constraints.iter().any(|c| c.name == new) {
                return Err(already_exists(new, &t.name));
            }
            if let Some(c) = table_mut(cat, oid)?
                .constraints
                .iter_mut()
                .find(|c| c.name == old)
            {
                c.name = new.to_string();
            }
        }
    }
    Ok(())
}

/// `... IF EXISTS` on a column that is not what the command needs: a NOTICE `msg, skipping`
/// with `missing_ok`, else error 55000 `msg`.
fn skip_or_fail(missing_ok: bool, msg: String, notices: &mut Vec<Notice>) -> Result<(), SqlError> {
    if missing_ok {
        notices.push(notice(format!("{msg}, skipping")));
        return Ok(());
    }
    Err(err("55000", msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_column_references_in_expressions() {
        assert_eq!(rename_in_expr("(a > 0)", "t", "a", "b").unwrap(), "b > 0");
        assert_eq!(
            rename_in_expr("((t.a + aa) > length(a::text))", "t", "a", "New Name").unwrap(),
            "t.\"New Name\" + aa > length(\"New Name\"::text)"
        );
        // Other tables' columns and function names are left alone.
        assert_eq!(
            rename_in_expr("(u.a > a(1))", "t", "a", "b").unwrap(),
            "(u.a > a(1))"
        );
    }

    #[test]
    fn finds_column_uses() {
        assert!(expr_uses_column("(a > b)", "b"));
        assert!(!expr_uses_column("(a > 'b')", "b"));
        assert!(!expr_uses_column("(a > bb)", "b"));
    }

    #[test]
    fn renames_relations_and_columns_in_view_queries() {
        let mut cat = Catalog::default();
        let oid = cat.new_oid();
        let t = Table {
            oid,
            schema: crate::catalog::PUBLIC_OID,
            name: "t".into(),
            columns: vec![Column {
                name: "a".into(),
                ty: DataType::Int4,
                not_null: false,
                default: None,
                identity: None,
                generated: None,
                domain: None,
            }],
            primary_key: None,
            constraints: Vec::new(),
            stats: None,
            matview: None,
            unlogged: false,
        };
        cat.tables.insert(oid, t.clone());
        let voids = cat.new_oid();
        cat.views.insert(
            voids,
            crate::catalog::View {
                oid: voids,
                schema: crate::catalog::PUBLIC_OID,
                name: "v".into(),
                query: "SELECT a, t.a AS x FROM t WHERE a > 1".into(),
                columns: vec!["a".into(), "x".into()],
                check_option: None,
                search_path: None,
                options: Vec::new(),
                defaults: Vec::new(),
            },
        );
        assert_eq!(views_using_column(&cat, &t, "a"), vec![voids]);
        rename_column_in_views(&mut cat, &t, "a", "b").unwrap();
        assert_eq!(
            cat.views[&voids].query,
            "SELECT b, t.b AS x FROM t WHERE b > 1"
        );
        rename_relation_in_views(&mut cat, crate::catalog::PUBLIC_OID, "t", "u").unwrap();
        assert_eq!(
            cat.views[&voids].query,
            "SELECT b, u.b AS x FROM u WHERE b > 1"
        );
    }
}
