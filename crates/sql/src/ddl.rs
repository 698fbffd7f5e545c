//! DDL: schemas, tables, constraints, indexes, sequences, views, comments.
//!
//! Each DDL statement takes the catalog for update (see [`crate::catalog`]), changes it, writes
//! it back in the statement's transaction, and does the data work the change needs in the
//! same transaction: building an index over existing rows, deleting a dropped table's rows,
//! rewriting rows when columns are added or dropped. So DDL commits or rolls back with the
//! transaction, as in PostgreSQL.

use basalt_common::types::{CastContext, DataType, Value};
use basalt_storage::{Direction, KeyRange};
use pg_query::protobuf::{self, node::Node};

use crate::binder::{Binder, Scope, names, node_str, pos, table_scope, type_name};
use crate::catalog::{
    Catalog, CheckOption, Column, Constraint, ConstraintKind, FkAction, ForeignKey, Index,
    IndexKey, Relation, Schema, Sequence, Table, View,
};
use crate::error::{Notice, SqlError};
use crate::exec::{Cx, table_range};
use crate::expr::eval;
use crate::row::{decode_row, encode_row, index_prefix};

fn err(code: &'static str, msg: impl Into<String>) -> SqlError {
    SqlError::new(code, msg)
}

/// A NOTICE.
pub fn notice(message: String) -> Notice {
    Notice {
        severity: crate::error::Severity::Notice,
        code: crate::error::SqlCode::new("00000"),
        message,
        detail: None,
        hint: None,
    }
}

/// Where an expression starts (PostgreSQL's `exprLocation`: an operator expression starts
/// at its left operand).
fn leftmost_location(n: &protobuf::Node) -> Option<u32> {
    match n.node.as_ref()? {
        Node::AExpr(e) if e.lexpr.is_some() => e.lexpr.as_deref().and_then(leftmost_location),
        _ => crate::binder::node_location(n),
    }
}

/// The location of the first subquery in an expression tree.
fn sublink_location(n: &protobuf::Node) -> Option<i32> {
    match n.node.as_ref()? {
        Node::SubLink(s) => Some(s.location),
        Node::AExpr(e) => [e.lexpr.as_deref(), e.rexpr.as_deref()]
            .into_iter()
            .flatten()
            .find_map(sublink_location),
        Node::BoolExpr(b) => b.args.iter().find_map(sublink_location),
        Node::NullTest(t) => t.arg.as_deref().and_then(sublink_location),
        Node::FuncCall(f) => f.args.iter().find_map(sublink_location),
        Node::TypeCast(t) => t.arg.as_deref().and_then(sublink_location),
        _ => None,
    }
}

/// Deparses an expression node to SQL text.
pub fn deparse_expr(node: &protobuf::Node) -> Result<String, SqlError> {
    let sel = protobuf::SelectStmt {
        target_list: vec![protobuf::Node {
            node: Some(Node::ResTarget(Box::new(protobuf::ResTarget {
                name: String::new(),
                indirection: vec![],
                val: Some(Box::new(node.clone())),
                location: 0,
            }))),
        }],
        limit_option: protobuf::LimitOption::Default as i32,
        op: protobuf::SetOperation::SetopNone as i32,
        ..Default::default()
    };
    let text = deparse_stmt(Node::SelectStmt(Box::new(sel)))?;
    Ok(text.strip_prefix("SELECT ").unwrap_or(&text).to_string())
}

/// Deparses a statement.
pub fn deparse_stmt(node: Node) -> Result<String, SqlError> {
    let pr = protobuf::ParseResult {
        version: 180_001,
        stmts: vec![protobuf::RawStmt {
            stmt: Some(Box::new(protobuf::Node { node: Some(node) })),
            stmt_location: 0,
            stmt_len: 0,
        }],
    };
    pg_query::deparse(&pr, Default::default())
        .map_err(|e| err("XX000", format!("cannot deparse: {e}")))
}

/// The schema a new object goes into: the named one or the first existing in search_path.
pub fn creation_schema(cat: &Catalog, search_path: &[u32], schema: &str) -> Result<u32, SqlError> {
    if !schema.is_empty() {
        return cat
            .schema_oid(schema)
            .ok_or_else(|| err("3F000", format!("schema \"{schema}\" does not exist")));
    }
    search_path
        .first()
        .copied()
        .ok_or_else(|| err("3F000", "no schema has been selected to create in"))
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

fn name_taken(cat: &Catalog, schema: u32, name: &str) -> bool {
    cat.relation_in(schema, name).is_some()
}

/// A unique relation name like PostgreSQL's `ChooseRelationName`.
fn choose_name(cat: &Catalog, schema: u32, base: &str) -> String {
    if !name_taken(cat, schema, base) {
        return base.to_string();
    }
    for i in 1.. {
        let n = format!("{base}{i}");
        if !name_taken(cat, schema, &n) {
            return n;
        }
    }
    base.to_string()
}

fn constraint_name_taken(t: &Table, name: &str) -> bool {
    t.constraints.iter().any(|c| c.name == name)
}

fn choose_constraint_name(cat: &Catalog, t: &Table, base: &str) -> String {
    let mut n = base.to_string();
    let mut i = 0;
    while constraint_name_taken(t, &n) || name_taken(cat, t.schema, &n) {
        i += 1;
        n = format!("{base}{i}");
    }
    n
}

/// What a CREATE TABLE column or table constraint asks for, before it is applied.
struct PendingIndex {
    name: Option<String>,
    cols: Vec<usize>,
    primary: bool,
}

/// CREATE TABLE.
pub fn create_table(
    cat: &mut Catalog,
    search_path: &[u32],
    s: &protobuf::CreateStmt,
    types: &basalt_common::types::TypeContext,
    notices: &mut Vec<Notice>,
) -> Result<Vec<u32>, SqlError> {
    let Some(rv) = &s.relation else {
        return Err(err("42601", "CREATE TABLE without a name"));
    };
    if !s.inh_relations.is_empty() || s.partspec.is_some() || s.of_typename.is_some() {
        return Err(err(
            "0A000",
            "feature not supported: inheritance, partitioning and typed tables",
        ));
    }
    if rv.relpersistence == "t" {
        return Err(err("0A000", "feature not supported: temporary tables"));
    }
    let schema = creation_schema(cat, search_path, &rv.schemaname)?;
    if name_taken(cat, schema, &rv.relname) {
        if s.if_not_exists {
            notices.push(notice(format!(
                "relation \"{}\" already exists, skipping",
                rv.relname
            )));
            return Ok(vec![]);
        }
        return Err(err(
            "42P07",
            format!("relation \"{}\" already exists", rv.relname),
        ));
    }
    let oid = cat.new_oid();
    let mut table = Table {
        oid,
        schema,
        name: rv.relname.clone(),
        columns: Vec::new(),
        primary_key: None,
        constraints: Vec::new(),
        stats: None,
    };
    let mut pending_idx: Vec<PendingIndex> = Vec::new();
    let mut checks: Vec<(Option<String>, String)> = Vec::new();
    let mut fks: Vec<(Option<String>, Vec<usize>, protobuf::Constraint)> = Vec::new();
    let mut sequences: Vec<(usize, bool, Option<bool>)> = Vec::new();
    let mut table_constraints: Vec<&protobuf::Constraint> = Vec::new();
    let mut identity_options: Vec<(usize, Vec<protobuf::Node>)> = Vec::new();
    for elt in &s.table_elts {
        match elt.node.as_ref() {
            Some(Node::ColumnDef(cd)) => {
                if table.columns.iter().any(|c| c.name == cd.colname) {
                    return Err(err(
                        "42701",
                        format!("column \"{}\" specified more than once", cd.colname),
                    ));
                }
                let Some(tn) = &cd.type_name else {
                    return Err(err("42601", "column without a type"));
                };
                let ty = type_name(tn)?;
                let tname = names(&tn.names).last().cloned().unwrap_or_default();
                let serial = matches!(
                    tname.as_str(),
                    "serial" | "serial4" | "bigserial" | "serial8" | "smallserial" | "serial2"
                );
                let idx = table.columns.len();
                let mut col = Column {
                    name: cd.colname.clone(),
                    ty,
                    not_null: cd.is_not_null || serial,
                    default: cd.raw_default.as_deref().map(deparse_expr).transpose()?,
                    identity: None,
                };
                if serial {
                    sequences.push((idx, false, None));
                }
                for c in &cd.constraints {
                    let Some(Node::Constraint(con)) = c.node.as_ref() else {
                        continue;
                    };
                    let conname = (!con.conname.is_empty()).then(|| con.conname.clone());
                    match protobuf::ConstrType::try_from(con.contype) {
                        Ok(protobuf::ConstrType::ConstrNotnull) => col.not_null = true,
                        Ok(protobuf::ConstrType::ConstrNull) => {}
                        Ok(protobuf::ConstrType::ConstrDefault) => {
                            col.default = con.raw_expr.as_deref().map(deparse_expr).transpose()?;
                        }
                        Ok(protobuf::ConstrType::ConstrPrimary) => {
                            col.not_null = true;
                            pending_idx.push(PendingIndex {
                                name: conname,
                                cols: vec![idx],
                                primary: true,
                            });
                        }
                        Ok(protobuf::ConstrType::ConstrUnique) => pending_idx.push(PendingIndex {
                            name: conname,
                            cols: vec![idx],
                            primary: false,
                        }),
                        Ok(protobuf::ConstrType::ConstrCheck) => {
                            let Some(e) = con.raw_expr.as_deref() else {
                                continue;
                            };
                            checks.push((conname, deparse_expr(e)?));
                        }
                        Ok(protobuf::ConstrType::ConstrForeign) => {
                            fks.push((conname, vec![idx], (**con).clone()));
                        }
                        Ok(protobuf::ConstrType::ConstrIdentity) => {
                            if !matches!(col.ty, DataType::Int2 | DataType::Int4 | DataType::Int8) {
                                return Err(err(
                                    "22023",
                                    "identity column type must be smallint, integer, or bigint",
                                ));
                            }
                            col.not_null = true;
                            identity_options.push((idx, con.options.clone()));
                            sequences.push((idx, true, Some(con.generated_when == "a")));
                        }
                        Ok(protobuf::ConstrType::ConstrGenerated) => {
                            return Err(err("0A000", "feature not supported: generated columns"));
                        }
                        _ => {}
                    }
                }
                table.columns.push(col);
            }
            Some(Node::Constraint(con)) => table_constraints.push(con),
            Some(Node::TableLikeClause(_)) => {
                return Err(err("0A000", "feature not supported: CREATE TABLE ... LIKE"));
            }
            _ => return Err(err("0A000", "feature not supported: this table element")),
        }
    }
    let col_index = |t: &Table, n: &protobuf::Node| -> Result<usize, SqlError> {
        let name = node_str(n).unwrap_or_default();
        t.column_index(name).ok_or_else(|| {
            err(
                "42703",
                format!("column \"{name}\" named in key does not exist"),
            )
        })
    };
    for con in table_constraints {
        let conname = (!con.conname.is_empty()).then(|| con.conname.clone());
        match protobuf::ConstrType::try_from(con.contype) {
            Ok(protobuf::ConstrType::ConstrPrimary | protobuf::ConstrType::ConstrUnique) => {
                let primary = con.contype == protobuf::ConstrType::ConstrPrimary as i32;
                let mut cols = Vec::new();
                for k in &con.keys {
                    let c = col_index(&table, k)?;
                    if primary {
                        table.columns[c].not_null = true;
                    }
                    cols.push(c);
                }
                pending_idx.push(PendingIndex {
                    name: conname,
                    cols,
                    primary,
                });
            }
            Ok(protobuf::ConstrType::ConstrCheck) => {
                let Some(e) = con.raw_expr.as_deref() else {
                    continue;
                };
                checks.push((conname, deparse_expr(e)?));
            }
            Ok(protobuf::ConstrType::ConstrForeign) => {
                let mut cols = Vec::new();
                for k in &con.fk_attrs {
                    cols.push(col_index(&table, k)?);
                }
                fks.push((conname, cols, con.clone()));
            }
            _ => return Err(err("0A000", "feature not supported: this table constraint")),
        }
    }
    if pending_idx.iter().filter(|p| p.primary).count() > 1 {
        return Err(err(
            "42P16",
            format!(
                "multiple primary keys for table \"{}\" are not allowed",
                table.name
            ),
        ));
    }
    // Sequences for serial and identity columns.
    for (idx, identity, always) in sequences {
        let col = table.columns[idx].clone();
        let seq_name = choose_name(cat, schema, &format!("{}_{}_seq", table.name, col.name));
        let seq_oid = cat.new_oid();
        let mut seq = Sequence {
            oid: seq_oid,
            schema,
            name: seq_name.clone(),
            ty: col.ty.clone(),
            start: 1,
            increment: 1,
            min: 1,
            max: int_bounds(&col.ty).1,
            cycle: false,
            owned_by: Some((oid, idx)),
        };
        let opts = identity_options
            .iter()
            .find(|(i, _)| *i == idx)
            .map(|(_, o)| o.clone())
            .unwrap_or_default();
        apply_seq_options(&mut seq, &opts, true)?;
        cat.sequences.insert(seq_oid, seq);
        let c = &mut table.columns[idx];
        if identity {
            c.identity = Some((always.unwrap_or(false), seq_oid));
        } else {
            let qualified = if schema == crate::catalog::PUBLIC_OID {
                seq_name
            } else {
                format!("{}.{}", cat.schema_name(schema), seq_name)
            };
            c.default = Some(format!("nextval('{qualified}'::regclass)"));
        }
    }
    // Bind defaults and checks to validate them now.
    {
        let scope = table_scope(&table, &table.name);
        let mut b = Binder::new(cat, search_path.to_vec(), *types);
        for (i, c) in table.columns.iter().enumerate() {
            if let Some(d) = &c.default {
                if c.identity.is_some() {
                    return Err(err(
                        "42601",
                        format!(
                            "both default and identity specified for column \"{}\" of table \"{}\"",
                            c.name, table.name
                        ),
                    ));
                }
                if d.starts_with("nextval(") {
                    continue;
                }
                let (e, t) = crate::dml::bind_text_expr(&mut b, d, &Scope::default())?;
                b.coerce(e, &t, &table.columns[i].ty, CastContext::Assignment)?;
            }
        }
        for (_, text) in &checks {
            let (_, t) = crate::dml::bind_text_expr(&mut b, text, &scope)?;
            if t != DataType::Bool {
                return Err(err(
                    "42804",
                    format!(
                        "argument of CHECK must be type boolean, not type {}",
                        t.format_type()
                    ),
                ));
            }
        }
    }
    let mut check_cols = Vec::new();
    {
        let scope = table_scope(&table, &table.name);
        let mut b = Binder::new(cat, search_path.to_vec(), *types);
        for (_, text) in &checks {
            let (e, _) = crate::dml::bind_text_expr(&mut b, text, &scope)?;
            let mut cols = Vec::new();
            e.columns(&mut cols);
            cols.sort_unstable();
            cols.dedup();
            check_cols.push(if cols.len() == 1 {
                Some(table.columns[cols[0]].name.clone())
            } else {
                None
            });
        }
    }
    for ((name, text), col) in checks.into_iter().zip(check_cols) {
        let n = match name {
            Some(n) => n,
            None => {
                let base = match col {
                    Some(c) => format!("{}_{}_check", table.name, c),
                    None => format!("{}_check", table.name),
                };
                choose_constraint_name(cat, &table, &base)
            }
        };
        let coid = cat.new_oid();
        table.constraints.push(Constraint {
            oid: coid,
            name: n,
            kind: ConstraintKind::Check { expr: text },
        });
    }
    // Foreign keys.
    for (name, cols, con) in fks {
        let Some(pk) = &con.pktable else { continue };
        let ref_table = if pk.relname == table.name
            && (pk.schemaname.is_empty() || cat.schema_oid(&pk.schemaname) == Some(schema))
        {
            None
        } else {
            Some(lookup_table(cat, search_path, pk)?)
        };
        let (ref_oid, ref_cols) = {
            let (rt, rcols_t): (&Table, Vec<usize>) = match ref_table {
                Some(oid) => {
                    let Some(rt) = cat.tables.get(&oid) else {
                        return Err(err("42P01", "referenced table vanished"));
                    };
                    (rt, Vec::new())
                }
                None => (&table, Vec::new()),
            };
            let _ = rcols_t;
            let mut rcols = Vec::new();
            if con.pk_attrs.is_empty() {
                // The referenced table's primary key.
                let pkcols = rt
                    .primary_key
                    .clone()
                    .or_else(|| {
                        pending_idx
                            .iter()
                            .find(|p| p.primary && ref_table.is_none())
                            .map(|p| p.cols.clone())
                    })
                    .ok_or_else(|| {
                        err(
                            "42830",
                            format!(
                                "there is no primary key for referenced table \"{}\"",
                                rt.name
                            ),
                        )
                    })?;
                rcols = pkcols;
            } else {
                for a in &con.pk_attrs {
                    let n = node_str(a).unwrap_or_default();
                    rcols.push(rt.column_index(n).ok_or_else(|| {
                        err(
                            "42703",
                            format!(
                                "column \"{n}\" referenced in foreign key constraint does not exist"
                            ),
                        )
                    })?);
                }
            }
            (ref_table.unwrap_or(oid), rcols)
        };
        if ref_cols.len() != cols.len() {
            return Err(err(
                "42830",
                "number of referencing and referenced columns for foreign key disagree",
            ));
        }
        let n = match name {
            Some(n) => n,
            None => {
                let colnames: Vec<String> = cols
                    .iter()
                    .map(|c| table.columns[*c].name.clone())
                    .collect();
                choose_constraint_name(
                    cat,
                    &table,
                    &format!("{}_{}_fkey", table.name, colnames.join("_")),
                )
            }
        };
        let coid = cat.new_oid();
        table.constraints.push(Constraint {
            oid: coid,
            name: n,
            kind: ConstraintKind::ForeignKey(ForeignKey {
                columns: cols,
                ref_table: ref_oid,
                ref_columns: ref_cols,
                on_delete: fk_action(&con.fk_del_action),
                on_update: fk_action(&con.fk_upd_action),
            }),
        });
    }
    // Indexes for PRIMARY KEY / UNIQUE.
    let mut new_indexes = Vec::new();
    for p in pending_idx {
        let colnames: Vec<String> = p
            .cols
            .iter()
            .map(|c| table.columns[*c].name.clone())
            .collect();
        let name = match p.name {
            Some(n) => {
                if name_taken(cat, schema, &n) {
                    return Err(err("42P07", format!("relation \"{n}\" already exists")));
                }
                n
            }
            None => {
                let base = if p.primary {
                    format!("{}_pkey", table.name)
                } else {
                    format!("{}_{}_key", table.name, colnames.join("_"))
                };
                choose_name(cat, schema, &base)
            }
        };
        let ioid = cat.new_oid();
        if p.primary {
            table.primary_key = Some(p.cols.clone());
        }
        let coid = cat.new_oid();
        table.constraints.push(Constraint {
            oid: coid,
            name: name.clone(),
            kind: if p.primary {
                ConstraintKind::PrimaryKey { index: ioid }
            } else {
                ConstraintKind::Unique { index: ioid }
            },
        });
        cat.indexes.insert(
            ioid,
            Index {
                oid: ioid,
                schema,
                name,
                table: oid,
                desc: vec![false; p.cols.len()],
                keys: p.cols.into_iter().map(IndexKey::Column).collect(),
                unique: true,
                primary: p.primary,
                predicate: None,
            },
        );
        new_indexes.push(ioid);
    }
    // Foreign keys must reference a unique key.
    for c in &table.constraints {
        if let ConstraintKind::ForeignKey(fk) = &c.kind {
            let rt = if fk.ref_table == oid {
                &table
            } else {
                match cat.tables.get(&fk.ref_table) {
                    Some(t) => t,
                    None => continue,
                }
            };
            let is_pk = rt.primary_key.as_deref() == Some(&fk.ref_columns[..]);
            let is_unique = cat.indexes.values().any(|i| {
                i.table == fk.ref_table
                    && i.unique
                    && i.keys.len() == fk.ref_columns.len()
                    && i.keys
                        .iter()
                        .zip(&fk.ref_columns)
                        .all(|(k, c)| matches!(k, IndexKey::Column(x) if x == c))
            });
            if !is_pk && !is_unique {
                return Err(err(
                    "42830",
                    format!(
                        "there is no unique constraint matching given keys for referenced table \"{}\"",
                        rt.name
                    ),
                ));
            }
        }
    }
    cat.tables.insert(oid, table);
    Ok(new_indexes)
}

fn int_bounds(t: &DataType) -> (i64, i64) {
    match t {
        DataType::Int2 => (i64::from(i16::MIN), i64::from(i16::MAX)),
        DataType::Int4 => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    }
}

/// The table a RangeVar names.
pub fn lookup_table(
    cat: &Catalog,
    search_path: &[u32],
    rv: &protobuf::RangeVar,
) -> Result<u32, SqlError> {
    let found = if rv.schemaname.is_empty() {
        search_path
            .iter()
            .find_map(|s| cat.relation_in(*s, &rv.relname))
    } else {
        cat.schema_oid(&rv.schemaname)
            .and_then(|s| cat.relation_in(s, &rv.relname))
    };
    match found {
        Some(Relation::Table(oid)) => Ok(oid),
        Some(_) => Err(err("42809", format!("\"{}\" is not a table", rv.relname))),
        None => Err(err(
            "42P01",
            format!("relation \"{}\" does not exist", rv.relname),
        )
        .at(pos(rv.location))),
    }
}

/// Writes the entries of a new index over the table's existing rows.
pub fn build_index(cat: &Catalog, index_oid: u32, cx: &mut Cx<'_>) -> Result<(), SqlError> {
    let Some(index) = cat.indexes.get(&index_oid) else {
        return Ok(());
    };
    if index.primary {
        return Ok(());
    }
    let Some(table) = cat.tables.get(&index.table) else {
        return Ok(());
    };
    let writer = crate::dml::writer_for(cat, table, cx)?;
    let Some(bi) = writer.indexes.iter().find(|b| b.index.oid == index_oid) else {
        return Ok(());
    };
    let scan = cx.txn.scan(table_range(table.oid), Direction::Forward)?;
    let rows: Vec<(Vec<u8>, Vec<u8>)> = scan.collect::<Result<_, _>>()?;
    for (key, bytes) in rows {
        let mut row = decode_row(&bytes)?;
        row.resize(table.columns.len(), Value::Null);
        if !bi.covers(&row, cx)? {
            continue;
        }
        let mut vals = Vec::new();
        for k in &bi.keys {
            vals.push(eval(k, &row, cx)?);
        }
        let mut ikey = index_prefix(index_oid);
        crate::row::push_key_values(&mut ikey, &vals.iter().collect::<Vec<_>>(), &index.desc)?;
        let unique = index.unique && !vals.iter().any(Value::is_null);
        if !unique {
            ikey.extend_from_slice(&key[5..]);
        } else if let Some(existing) = cx.txn.get(&ikey)?
            && existing != key
        {
            let names: Vec<String> = index
                .keys
                .iter()
                .map(|k| match k {
                    IndexKey::Column(c) => table.columns[*c].name.clone(),
                    IndexKey::Expr(s) => s.clone(),
                })
                .collect();
            let v: Vec<String> = vals
                .iter()
                .map(|v| {
                    basalt_common::types::format_text(v, &cx.func.types)
                        .unwrap_or_else(|| "null".into())
                })
                .collect();
            return Err(err(
                "23505",
                format!("could not create unique index \"{}\"", index.name),
            )
            .with_detail(format!(
                "Key ({})=({}) is duplicated.",
                names.join(", "),
                v.join(", ")
            )));
        }
        cx.txn.put(ikey, key)?;
    }
    Ok(())
}

/// Deletes every key with a prefix.
pub fn delete_prefix(prefix: &[u8], cx: &mut Cx<'_>) -> Result<(), SqlError> {
    let scan = cx.txn.scan(KeyRange::prefix(prefix), Direction::Forward)?;
    let keys: Vec<Vec<u8>> = scan.map(|r| r.map(|(k, _)| k)).collect::<Result<_, _>>()?;
    for k in keys {
        cx.txn.delete(k)?;
    }
    Ok(())
}

/// CREATE INDEX.
pub fn create_index(
    cat: &mut Catalog,
    search_path: &[u32],
    s: &protobuf::IndexStmt,
    types: &basalt_common::types::TypeContext,
    notices: &mut Vec<Notice>,
) -> Result<Option<u32>, SqlError> {
    let Some(rv) = &s.relation else {
        return Err(err("42601", "CREATE INDEX without a table"));
    };
    if !s.access_method.is_empty() && s.access_method != "btree" {
        return Err(err(
            "0A000",
            format!(
                "feature not supported: index method \"{}\"",
                s.access_method
            ),
        ));
    }
    let toid = lookup_table(cat, search_path, rv)?;
    let Some(table) = cat.tables.get(&toid).cloned() else {
        return Err(err("42P01", "table vanished"));
    };
    let mut keys = Vec::new();
    let mut desc = Vec::new();
    let mut colnames = Vec::new();
    let scope = table_scope(&table, &table.name);
    for p in &s.index_params {
        let Some(Node::IndexElem(ie)) = p.node.as_ref() else {
            continue;
        };
        if !ie.name.is_empty() {
            let c = table
                .column_index(&ie.name)
                .ok_or_else(|| err("42703", format!("column \"{}\" does not exist", ie.name)))?;
            keys.push(IndexKey::Column(c));
            colnames.push(ie.name.clone());
        } else if let Some(e) = ie.expr.as_deref() {
            let text = deparse_expr(e)?;
            let mut b = Binder::new(cat, search_path.to_vec(), *types);
            b.bind_scalar(e, &scope, "index expressions")?;
            keys.push(IndexKey::Expr(text));
            colnames.push("expr".to_string());
        }
        desc.push(ie.ordering == protobuf::SortByDir::SortbyDesc as i32);
    }
    let predicate = match s.where_clause.as_deref() {
        Some(w) => {
            let mut b = Binder::new(cat, search_path.to_vec(), *types);
            let (e, t) = b.bind_scalar(w, &scope, "index predicates")?;
            if t != DataType::Bool && t != DataType::Unknown {
                return Err(err(
                    "42804",
                    format!(
                        "argument of WHERE must be type boolean, not type {}",
                        t.format_type()
                    ),
                )
                .at(leftmost_location(w)));
            }
            if e.any(&|x| matches!(x, crate::expr::Expr::Subquery(_))) {
                return Err(err("0A000", "cannot use subquery in index predicate")
                    .at(sublink_location(w).and_then(pos)));
            }
            Some(deparse_expr(w)?)
        }
        None => None,
    };
    let name = if s.idxname.is_empty() {
        let suffix = if s.unique { "key" } else { "idx" };
        choose_name(
            cat,
            table.schema,
            &format!("{}_{}_{suffix}", table.name, colnames.join("_")),
        )
    } else {
        if name_taken(cat, table.schema, &s.idxname) {
            if s.if_not_exists {
                notices.push(notice(format!(
                    "relation \"{}\" already exists, skipping",
                    s.idxname
                )));
                return Ok(None);
            }
            return Err(err(
                "42P07",
                format!("relation \"{}\" already exists", s.idxname),
            ));
        }
        s.idxname.clone()
    };
    let ioid = cat.new_oid();
    cat.indexes.insert(
        ioid,
        Index {
            oid: ioid,
            schema: table.schema,
            name,
            table: toid,
            keys,
            desc,
            unique: s.unique,
            primary: false,
            predicate,
        },
    );
    Ok(Some(ioid))
}

/// CREATE SCHEMA.
pub fn create_schema(
    cat: &mut Catalog,
    s: &protobuf::CreateSchemaStmt,
    notices: &mut Vec<Notice>,
) -> Result<(), SqlError> {
    if !s.schema_elts.is_empty() {
        return Err(err(
            "0A000",
            "feature not supported: CREATE SCHEMA with elements",
        ));
    }
    let name = s.schemaname.clone();
    if name.starts_with("pg_") {
        return Err(err("42939", format!("unacceptable schema name \"{name}\""))
            .with_detail("The prefix \"pg_\" is reserved for system schemas."));
    }
    if cat.schema_oid(&name).is_some() {
        if s.if_not_exists {
            notices.push(notice(format!(
                "schema \"{name}\" already exists, skipping"
            )));
            return Ok(());
        }
        return Err(err("42P06", format!("schema \"{name}\" already exists")));
    }
    let oid = cat.new_oid();
    cat.schemas.insert(oid, Schema { oid, name });
    Ok(())
}

/// CREATE SEQUENCE (returns the new sequence's OID and its first state).
pub fn create_sequence(
    cat: &mut Catalog,
    search_path: &[u32],
    s: &protobuf::CreateSeqStmt,
    notices: &mut Vec<Notice>,
) -> Result<Option<u32>, SqlError> {
    let Some(rv) = &s.sequence else {
        return Err(err("42601", "CREATE SEQUENCE without a name"));
    };
    let schema = creation_schema(cat, search_path, &rv.schemaname)?;
    if name_taken(cat, schema, &rv.relname) {
        if s.if_not_exists {
            notices.push(notice(format!(
                "relation \"{}\" already exists, skipping",
                rv.relname
            )));
            return Ok(None);
        }
        return Err(err(
            "42P07",
            format!("relation \"{}\" already exists", rv.relname),
        ));
    }
    let mut seq = Sequence {
        oid: 0,
        schema,
        name: rv.relname.clone(),
        ty: DataType::Int8,
        start: 1,
        increment: 1,
        min: 1,
        max: i64::MAX,
        cycle: false,
        owned_by: None,
    };
    apply_seq_options(&mut seq, &s.options, true)?;
    seq.oid = cat.new_oid();
    let oid = seq.oid;
    cat.sequences.insert(oid, seq);
    Ok(Some(oid))
}

fn def_int(d: &protobuf::DefElem) -> Result<Option<i64>, SqlError> {
    match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
        Some(Node::Integer(i)) => Ok(Some(i64::from(i.ival))),
        Some(Node::Float(f)) => f
            .fval
            .parse::<i64>()
            .map(Some)
            .map_err(|_| err("22023", format!("invalid value for {}", d.defname))),
        None => Ok(None),
        _ => Err(err("22023", format!("invalid value for {}", d.defname))),
    }
}

fn apply_seq_options(
    seq: &mut Sequence,
    options: &[protobuf::Node],
    creating: bool,
) -> Result<(), SqlError> {
    let mut min = None;
    let mut max = None;
    let mut start = None;
    for o in options {
        let Some(Node::DefElem(d)) = o.node.as_ref() else {
            continue;
        };
        match d.defname.as_str() {
            "as" => {
                if let Some(Node::TypeName(tn)) = d.arg.as_deref().and_then(|a| a.node.as_ref()) {
                    let t = type_name(tn)?;
                    if !matches!(t, DataType::Int2 | DataType::Int4 | DataType::Int8) {
                        return Err(err(
                            "22023",
                            "sequence type must be smallint, integer, or bigint",
                        ));
                    }
                    seq.ty = t;
                }
            }
            "increment" => {
                seq.increment = def_int(d)?.unwrap_or(1);
                if seq.increment == 0 {
                    return Err(err("22023", "INCREMENT must not be zero"));
                }
            }
            "minvalue" => min = Some(def_int(d)?),
            "maxvalue" => max = Some(def_int(d)?),
            "start" => start = def_int(d)?,
            "cycle" => {
                seq.cycle = matches!(
                    d.arg.as_deref().and_then(|a| a.node.as_ref()),
                    Some(Node::Boolean(b)) if b.boolval
                ) || d.arg.is_none()
            }
            "cache" | "owned_by" | "restart" => {}
            other => {
                return Err(err(
                    "0A000",
                    format!("feature not supported: sequence option {other}"),
                ));
            }
        }
    }
    let (tmin, tmax) = int_bounds(&seq.ty);
    let asc = seq.increment > 0;
    seq.min = match min.flatten() {
        Some(v) => v,
        None => {
            if asc {
                1
            } else {
                tmin
            }
        }
    };
    seq.max = match max.flatten() {
        Some(v) => v,
        None => {
            if asc {
                tmax
            } else {
                -1
            }
        }
    };
    if seq.min < tmin || seq.max > tmax {
        return Err(err(
            "22023",
            format!(
                "{} value out of range for sequence data type {}",
                if seq.min < tmin {
                    "MINVALUE"
                } else {
                    "MAXVALUE"
                },
                seq.ty.format_type()
            ),
        ));
    }
    if seq.min >= seq.max {
        return Err(err(
            "22023",
            format!(
                "MINVALUE ({}) must be less than MAXVALUE ({})",
                seq.min, seq.max
            ),
        ));
    }
    if creating || start.is_some() {
        seq.start = start.unwrap_or(if asc { seq.min } else { seq.max });
    }
    if seq.start < seq.min {
        return Err(err(
            "22023",
            format!(
                "START value ({}) cannot be less than MINVALUE ({})",
                seq.start, seq.min
            ),
        ));
    }
    if seq.start > seq.max {
        return Err(err(
            "22023",
            format!(
                "START value ({}) cannot be greater than MAXVALUE ({})",
                seq.start, seq.max
            ),
        ));
    }
    Ok(())
}

/// CREATE VIEW.
pub fn create_view(
    cat: &mut Catalog,
    search_path: &[u32],
    s: &protobuf::ViewStmt,
    types: &basalt_common::types::TypeContext,
) -> Result<(), SqlError> {
    let Some(rv) = &s.view else {
        return Err(err("42601", "CREATE VIEW without a name"));
    };
    let Some(q) = s.query.as_deref() else {
        return Err(err("42601", "CREATE VIEW without a query"));
    };
    let schema = creation_schema(cat, search_path, &rv.schemaname)?;
    let query = {
        let mut b = Binder::new(cat, search_path.to_vec(), *types);
        b.bind_query(q)?
    };
    let mut columns = query.names.clone();
    if s.aliases.len() > columns.len() {
        return Err(err(
            "42601",
            "CREATE VIEW specifies more column names than columns",
        ));
    }
    for (i, a) in names(&s.aliases).into_iter().enumerate() {
        if let Some(c) = columns.get_mut(i) {
            *c = a;
        }
    }
    let Some(n) = q.node.clone() else {
        return Err(err("42601", "empty view query"));
    };
    let text = deparse_stmt(n)?;
    let check_option = match protobuf::ViewCheckOption::try_from(s.with_check_option) {
        Ok(protobuf::ViewCheckOption::LocalCheckOption) => Some(CheckOption::Local),
        Ok(protobuf::ViewCheckOption::CascadedCheckOption) => Some(CheckOption::Cascaded),
        _ => None,
    };
    let existing = cat.relation_in(schema, &rv.relname);
    match existing {
        Some(Relation::View(oid)) if s.replace => {
            if let Some(v) = cat.views.get_mut(&oid) {
                if columns.len() < v.columns.len() {
                    return Err(err("42P16", "cannot drop columns from view"));
                }
                for (old, new) in v.columns.iter().zip(&columns) {
                    if old != new {
                        return Err(err(
                            "42P16",
                            format!(
                                "cannot change name of view column \"{old}\" to \"{new}\""
                            ),
                        )
                        .with_hint(
                            "Use ALTER VIEW ... RENAME COLUMN ... to change name of view column instead.",
                        ));
                    }
                }
                v.query = text;
                v.columns = columns;
                v.check_option = check_option;
            }
            return check_option_allowed(cat, search_path, oid, check_option, types);
        }
        Some(_) => {
            return Err(err(
                "42P07",
                format!("relation \"{}\" already exists", rv.relname),
            ));
        }
        None => {}
    }
    let oid = cat.new_oid();
    cat.views.insert(
        oid,
        View {
            oid,
            schema,
            name: rv.relname.clone(),
            query: text,
            columns,
            check_option,
        },
    );
    check_option_allowed(cat, search_path, oid, check_option, types)
}

/// WITH CHECK OPTION only on automatically updatable views (0A000, with the reason as hint).
fn check_option_allowed(
    cat: &Catalog,
    search_path: &[u32],
    view: u32,
    check_option: Option<CheckOption>,
    types: &basalt_common::types::TypeContext,
) -> Result<(), SqlError> {
    if check_option.is_none() {
        return Ok(());
    }
    let mut b = Binder::new(cat, search_path.to_vec(), *types);
    match crate::views::resolve(&mut b, view, crate::views::ViewOp::Update) {
        Err(e) if e.code().code() == "55000" => Err(err(
            "0A000",
            "WITH CHECK OPTION is supported only on automatically updatable views",
        )
        .with_hint(e.detail().unwrap_or_default().to_string())),
        Err(e) => Err(e),
        Ok(_) => Ok(()),
    }
}

/// Whether any view's stored query mentions a relation name (a conservative dependency
/// check: PostgreSQL refuses to drop objects views depend on).
pub fn views_mentioning(cat: &Catalog, name: &str) -> Vec<String> {
    cat.views
        .values()
        .filter(|v| {
            v.query
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .any(|w| w == name)
        })
        .map(|v| v.name.clone())
        .collect()
}

/// Removes a table and everything owned by it from the catalog (rows are deleted by the
/// caller). `cascade` also drops referencing foreign keys.
pub fn drop_table(cat: &mut Catalog, oid: u32, cascade: bool) -> Result<Vec<u32>, SqlError> {
    let Some(t) = cat.tables.get(&oid).cloned() else {
        return Ok(vec![]);
    };
    let refs: Vec<(u32, String)> = cat
        .referencing(oid)
        .into_iter()
        .filter(|(child, _)| child.oid != oid)
        .map(|(child, c)| (child.oid, c.name.clone()))
        .collect();
    if !refs.is_empty() && !cascade {
        let (child, cname) = &refs[0];
        let child_name = cat
            .tables
            .get(child)
            .map_or(String::new(), |c| c.name.clone());
        return Err(err(
            "2BP01",
            format!(
                "cannot drop table {} because other objects depend on it",
                t.name
            ),
        )
        .with_detail(format!(
            "constraint {cname} on table {child_name} depends on table {}",
            t.name
        ))
        .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
    }
    let views = views_mentioning(cat, &t.name);
    if !views.is_empty() {
        if !cascade {
            return Err(err(
                "2BP01",
                format!(
                    "cannot drop table {} because other objects depend on it",
                    t.name
                ),
            )
            .with_detail(format!("view {} depends on table {}", views[0], t.name))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        cat.views.retain(|_, v| !views.contains(&v.name));
    }
    for (child, cname) in refs {
        if let Some(c) = cat.tables.get_mut(&child) {
            c.constraints.retain(|x| x.name != cname);
        }
    }
    let idx: Vec<u32> = cat
        .indexes
        .values()
        .filter(|i| i.table == oid)
        .map(|i| i.oid)
        .collect();
    for i in &idx {
        cat.indexes.remove(i);
    }
    cat.sequences
        .retain(|_, s| s.owned_by.is_none_or(|(t, _)| t != oid));
    cat.comments.retain(|(o, _), _| *o != oid);
    cat.tables.remove(&oid);
    Ok(idx)
}

/// A row rewrite function.
pub type RowRewrite<'f> = dyn FnMut(Vec<Value>, &mut Cx<'_>) -> Result<Vec<Value>, SqlError> + 'f;

/// Rewrites every row of a table through `f` (for ADD/DROP COLUMN).
pub fn rewrite_rows(
    table: u32,
    width: usize,
    cx: &mut Cx<'_>,
    f: &mut RowRewrite<'_>,
) -> Result<(), SqlError> {
    let scan = cx.txn.scan(table_range(table), Direction::Forward)?;
    let rows: Vec<(Vec<u8>, Vec<u8>)> = scan.collect::<Result<_, _>>()?;
    for (k, v) in rows {
        let mut row = decode_row(&v)?;
        row.resize(width, Value::Null);
        let new = f(row, cx)?;
        cx.txn.put(k, encode_row(&new))?;
    }
    Ok(())
}
