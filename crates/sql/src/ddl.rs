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
    // The session's temporary schema is searched first but never created in without
    // TEMP or an explicit name, as in PostgreSQL.
    search_path
        .iter()
        .copied()
        .find(|o| !cat.schema_name(*o).starts_with("pg_temp_"))
        .ok_or_else(|| err("3F000", "no schema has been selected to create in"))
}

/// A foreign key's MATCH type: FULL (true) or SIMPLE (false); PARTIAL is 0A000 as in
/// PostgreSQL.
pub(crate) fn fk_match_full(m: &str) -> Result<bool, SqlError> {
    match m {
        "f" => Ok(true),
        "p" => Err(err("0A000", "MATCH PARTIAL not yet implemented")),
        _ => Ok(false),
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

fn name_taken(cat: &Catalog, schema: u32, name: &str) -> bool {
    // A composite type has a relation of its name in PostgreSQL.
    cat.relation_in(schema, name).is_some()
        || cat
            .types
            .values()
            .any(|t| t.schema == schema && t.name == name)
}

/// A foreign key over a generated column may not have an action that would write it.
pub fn check_fk_generated(
    table: &Table,
    cols: &[usize],
    con: &protobuf::Constraint,
) -> Result<(), SqlError> {
    if !cols
        .iter()
        .any(|c| table.columns.get(*c).is_some_and(|c| c.generated.is_some()))
    {
        return Ok(());
    }
    if matches!(con.fk_upd_action.as_str(), "c" | "n" | "d") {
        return Err(err(
            "42601",
            "invalid ON UPDATE action for foreign key constraint containing generated column",
        ));
    }
    if matches!(con.fk_del_action.as_str(), "n" | "d") {
        return Err(err(
            "42601",
            "invalid ON DELETE action for foreign key constraint containing generated column",
        ));
    }
    Ok(())
}

/// The names of the system columns every PostgreSQL table has (no user column may take one).
pub const SYSTEM_COLUMN_NAMES: &[&str] = &["tableoid", "cmax", "xmax", "cmin", "xmin", "ctid"];

/// Refuses a new column (or a column renamed) to a system column's name, as PostgreSQL does.
pub fn check_system_column_name(name: &str) -> Result<(), SqlError> {
    if SYSTEM_COLUMN_NAMES.contains(&name) {
        return Err(err(
            "42701",
            format!("column name \"{name}\" conflicts with a system column name"),
        ));
    }
    Ok(())
}

/// Whether a column may have type `ty`: not the pseudo-type `record`. (A table's row type
/// may be a column's type; ALTER TABLE then refuses to change that table's columns.)
pub fn check_column_type(name: &str, ty: &DataType) -> Result<(), SqlError> {
    let base = ty.element().unwrap_or(ty);
    match base {
        DataType::Record(r) if r.is_anonymous() => Err(err(
            "42P16",
            format!("column \"{name}\" has pseudo-type {}", ty.format_type()),
        )),
        _ => Ok(()),
    }
}

/// A declared column's type: besides [`check_column_type`], `unknown` is a pseudo-type
/// (an untyped literal of CREATE TABLE AS becomes text instead).
fn check_declared_column_type(name: &str, ty: &DataType) -> Result<(), SqlError> {
    if *ty == DataType::Unknown {
        return Err(err(
            "42P16",
            format!("column \"{name}\" has pseudo-type unknown"),
        ));
    }
    check_column_type(name, ty)
}

/// A table's `WITH (...)` storage parameters, checked as PostgreSQL's heap reloptions are
/// (names are case-sensitive; `fillfactor` is 10..100; `oids = true` is refused). They
/// have no effect here.
pub fn check_table_options(options: &[protobuf::Node]) -> Result<(), SqlError> {
    const KNOWN: &[&str] = &[
        "fillfactor",
        "autovacuum_enabled",
        "toast_tuple_target",
        "parallel_workers",
        "user_catalog_table",
        "vacuum_index_cleanup",
        "vacuum_truncate",
        "log_autovacuum_min_duration",
        "autovacuum_vacuum_threshold",
        "autovacuum_vacuum_insert_threshold",
        "autovacuum_analyze_threshold",
        "autovacuum_vacuum_cost_delay",
        "autovacuum_vacuum_cost_limit",
        "autovacuum_freeze_min_age",
        "autovacuum_freeze_max_age",
        "autovacuum_freeze_table_age",
        "autovacuum_multixact_freeze_min_age",
        "autovacuum_multixact_freeze_max_age",
        "autovacuum_multixact_freeze_table_age",
        "autovacuum_vacuum_scale_factor",
        "autovacuum_vacuum_insert_scale_factor",
        "autovacuum_analyze_scale_factor",
    ];
    for o in options {
        let Some(Node::DefElem(d)) = o.node.as_ref() else {
            continue;
        };
        let value = option_text(d);
        let name = if d.defnamespace.is_empty() {
            d.defname.clone()
        } else {
            format!("{}.{}", d.defnamespace, d.defname)
        };
        if d.defnamespace.is_empty() && d.defname == "oids" {
            if matches!(
                value.to_ascii_lowercase().as_str(),
                "true" | "on" | "1" | "yes"
            ) {
                return Err(err("0A000", "tables declared WITH OIDS are not supported"));
            }
            continue;
        }
        let base = d.defname.as_str();
        let known = match d.defnamespace.as_str() {
            "" => KNOWN.contains(&base),
            "toast" => base != "fillfactor" && KNOWN.contains(&base),
            _ => false,
        };
        if !known {
            return Err(err("22023", format!("unrecognized parameter \"{name}\"")));
        }
        if base == "fillfactor" {
            let v: i64 = value.parse().map_err(|_| {
                err(
                    "22023",
                    format!("invalid value for integer option \"fillfactor\": {value}"),
                )
            })?;
            if !(10..=100).contains(&v) {
                return Err(err(
                    "22023",
                    format!("value {value} out of bounds for option \"fillfactor\""),
                )
                .with_detail("Valid values are between \"10\" and \"100\"."));
            }
        }
    }
    Ok(())
}

/// DROP TYPE [IF EXISTS] name, ... [CASCADE | RESTRICT] of composite types. Returns whether
/// the catalog changed.
pub fn drop_types(
    cat: &mut Catalog,
    search_path: &[u32],
    s: &protobuf::DropStmt,
    notices: &mut Vec<Notice>,
) -> Result<bool, SqlError> {
    let cascade = s.behavior == protobuf::DropBehavior::DropCascade as i32;
    let domain_only = s.remove_type == protobuf::ObjectType::ObjectDomain as i32;
    let mut targets: Vec<u32> = Vec::new();
    // Enum types and domains.
    let mut others: Vec<u32> = Vec::new();
    for obj in &s.objects {
        let Some(Node::TypeName(tn)) = obj.node.as_ref() else {
            continue;
        };
        let parts = names(&tn.names);
        let (schema, name) = match parts.as_slice() {
            [n] => (None, n.clone()),
            [sc, n] => (Some(sc.clone()), n.clone()),
            _ => return Err(err("42601", "improper type name")),
        };
        let schemas: Vec<u32> = match &schema {
            Some(sc) => cat.schema_oid(sc).into_iter().collect(),
            None => search_path.to_vec(),
        };
        match schemas.iter().find_map(|sc| cat.user_type_in(*sc, &name)) {
            Some(crate::usertypes::UserType::Domain(oid)) => {
                others.push(oid);
                continue;
            }
            Some(_) if domain_only => {
                return Err(err("42809", format!("\"{name}\" is not a domain")));
            }
            Some(crate::usertypes::UserType::Enum(oid)) => {
                others.push(oid);
                continue;
            }
            Some(crate::usertypes::UserType::Composite(oid)) => {
                targets.push(oid);
                continue;
            }
            None => {}
        }
        if let Some(t) = schemas.iter().find_map(|sc| {
            cat.tables
                .values()
                .find(|t| t.schema == *sc && t.name == name)
        }) {
            return Err(err(
                "2BP01",
                format!(
                    "cannot drop type {name} because table {} requires it",
                    t.name
                ),
            )
            .with_hint(format!("You can drop table {} instead.", t.name)));
        }
        if schema.is_none()
            && let Ok(t) = type_name(tn)
        {
            return Err(err(
                "2BP01",
                format!(
                    "cannot drop type {} because it is required by the database system",
                    t.format_type()
                ),
            ));
        }
        if s.missing_ok {
            notices.push(notice(format!("type \"{name}\" does not exist, skipping")));
            continue;
        }
        return Err(err("42704", format!("type \"{name}\" does not exist")));
    }
    for &oid in &targets {
        let Some(ty) = cat.types.get(&oid) else {
            continue;
        };
        let uses = |t: &DataType, array: bool| match (t, array) {
            (DataType::Record(r), false) => r.oid == oid,
            (DataType::Array(e), true) => e.record().is_some_and(|r| r.oid == oid),
            _ => false,
        };
        let mut deps = Vec::new();
        for array in [true, false] {
            let tname = if array {
                format!("{}[]", ty.name)
            } else {
                ty.name.clone()
            };
            for t in cat.tables.values() {
                for c in t.columns.iter().filter(|c| uses(&c.ty, array)) {
                    deps.push(format!(
                        "column {} of table {} depends on type {tname}",
                        c.name, t.name
                    ));
                }
            }
            for other in cat.types.values().filter(|o| !targets.contains(&o.oid)) {
                for c in other.fields.iter().filter(|c| uses(&c.ty, array)) {
                    deps.push(format!(
                        "column {} of composite type {} depends on type {tname}",
                        c.name, other.name
                    ));
                }
            }
        }
        if deps.is_empty() {
            continue;
        }
        if cascade {
            return Err(err(
                "0A000",
                "feature not supported: DROP TYPE ... CASCADE of a type that columns use",
            ));
        }
        return Err(err(
            "2BP01",
            format!(
                "cannot drop type {} because other objects depend on it",
                ty.name
            ),
        )
        .with_detail(deps.join("\n"))
        .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
    }
    for &oid in &others {
        let tname = match (cat.enums.get(&oid), cat.domains.get(&oid)) {
            (Some(e), _) => e.name.clone(),
            (_, Some(d)) => d.name.clone(),
            _ => continue,
        };
        // Columns of the array type first, as PostgreSQL lists them (its array type's
        // dependencies come first).
        let arr = cat.domains.get(&oid).map(|d| d.array_oid);
        let mut deps = Vec::new();
        for array in [true, false] {
            for t in cat.tables.values() {
                for c in &t.columns {
                    let of_array = arr.is_some() && c.domain == arr;
                    let is_array = of_array
                        || matches!(&c.ty, DataType::Array(e) if matches!(&**e, DataType::Enum(x) if x.oid == oid));
                    let uses = c.domain == Some(oid)
                        || of_array
                        || (c.domain.is_none() && crate::usertypes::type_uses(&c.ty, oid));
                    if !uses || is_array != array {
                        continue;
                    }
                    let what = if array {
                        format!("{tname}[]")
                    } else {
                        tname.clone()
                    };
                    deps.push(format!(
                        "column {} of table {} depends on type {what}",
                        c.name, t.name
                    ));
                }
            }
        }
        for d in cat.domains.values().filter(|d| !others.contains(&d.oid)) {
            if d.parent.is_some() && (d.parent == Some(oid) || d.parent == arr)
                || crate::usertypes::type_uses(&d.base, oid)
            {
                deps.push(format!("type {} depends on type {tname}", d.name));
            }
        }
        for other in cat.types.values().filter(|o| !targets.contains(&o.oid)) {
            for c in other
                .fields
                .iter()
                .filter(|c| crate::usertypes::type_uses(&c.ty, oid))
            {
                deps.push(format!(
                    "column {} of composite type {} depends on type {tname}",
                    c.name, other.name
                ));
            }
        }
        if deps.is_empty() {
            continue;
        }
        if cascade {
            return Err(err(
                "0A000",
                "feature not supported: DROP TYPE ... CASCADE of a type that columns use",
            ));
        }
        let msg = if s.objects.len() > 1 {
            "cannot drop desired object(s) because other objects depend on them".to_string()
        } else {
            format!("cannot drop type {tname} because other objects depend on it")
        };
        return Err(err("2BP01", msg)
            .with_detail(deps.join("\n"))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
    }
    for oid in targets.iter().chain(&others) {
        cat.types.remove(oid);
        cat.enums.remove(oid);
        cat.domains.remove(oid);
        cat.comments.retain(|(o, _), _| o != oid);
    }
    Ok(!targets.is_empty() || !others.is_empty())
}

/// CREATE TYPE name AS (field type, ...).
pub fn create_composite_type(
    cat: &mut Catalog,
    search_path: &[u32],
    s: &protobuf::CompositeTypeStmt,
) -> Result<(), SqlError> {
    let Some(rv) = &s.typevar else {
        return Err(err("42601", "CREATE TYPE without a name"));
    };
    let schema =
        creation_schema(cat, search_path, &rv.schemaname).map_err(|e| e.at(pos(rv.location)))?;
    let builtin = DataType::from_name(&rv.relname, &[]).is_ok() && rv.schemaname.is_empty();
    let taken_type = cat
        .types
        .values()
        .any(|t| t.schema == schema && t.name == rv.relname)
        || cat
            .tables
            .values()
            .any(|t| t.schema == schema && t.name == rv.relname);
    if taken_type || (builtin && schema == crate::catalog::PG_CATALOG_OID) {
        return Err(err(
            "42710",
            format!("type \"{}\" already exists", rv.relname),
        ));
    }
    if cat.relation_in(schema, &rv.relname).is_some() {
        return Err(err(
            "42P07",
            format!("relation \"{}\" already exists", rv.relname),
        ));
    }
    let mut fields: Vec<Column> = Vec::new();
    for item in &s.coldeflist {
        let Some(Node::ColumnDef(cd)) = item.node.as_ref() else {
            return Err(err("42601", "bad field definition"));
        };
        if fields.iter().any(|f| f.name == cd.colname) {
            return Err(err(
                "42701",
                format!("column \"{}\" specified more than once", cd.colname),
            ));
        }
        let Some(tn) = &cd.type_name else {
            return Err(err("42601", "field without a type"));
        };
        // PostgreSQL reports a bad field type without a position.
        let ty = crate::binder::resolve_type_in(cat, search_path, tn)
            .map_err(SqlError::without_position)?;
        check_declared_column_type(&cd.colname, &ty)?;
        fields.push(Column {
            name: cd.colname.clone(),
            ty,
            not_null: false,
            default: None,
            identity: None,
            generated: None,
            domain: None,
        });
    }
    let oid = cat.new_oid();
    let array_oid = cat.new_oid();
    cat.types.insert(
        oid,
        crate::catalog::CompositeType {
            oid,
            array_oid,
            schema,
            name: rv.relname.clone(),
            fields,
        },
    );
    Ok(())
}

/// The longest name PostgreSQL keeps (NAMEDATALEN - 1 bytes).
const MAX_NAME: usize = 63;

/// `name1_name2_label` with `name1` and `name2` shortened (the longer one first) so that the
/// whole fits 63 bytes, as PostgreSQL's `makeObjectName`.
pub fn make_object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let overhead = label.len() + usize::from(!label.is_empty()) + usize::from(name2.is_some());
    let avail = MAX_NAME.saturating_sub(overhead);
    let (mut n1, mut n2) = (name1.len(), name2.map_or(0, str::len));
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let clip = |s: &str, mut n: usize| {
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        s[..n].to_string()
    };
    let mut out = clip(name1, n1);
    if let Some(n2s) = name2 {
        out.push('_');
        out.push_str(&clip(n2s, n2));
    }
    if !label.is_empty() {
        out.push('_');
        out.push_str(label);
    }
    out
}

/// Column names joined by `_` for a generated name, stopping once past 63 bytes
/// (PostgreSQL's `ChooseIndexNameAddition`).
pub fn name_addition<S: AsRef<str>>(names: &[S]) -> String {
    let mut out = String::new();
    for n in names {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(n.as_ref());
        if out.len() > MAX_NAME {
            break;
        }
    }
    out
}

/// The first of `name1_name2_label`, `name1_name2_label1`, ... that `taken` refuses, as
/// PostgreSQL's `ChooseRelationName` / `ChooseConstraintName`.
pub fn choose_object_name(
    name1: &str,
    name2: Option<&str>,
    label: &str,
    taken: impl Fn(&str) -> bool,
) -> String {
    let mut n = make_object_name(name1, name2, label);
    let mut pass = 0;
    while taken(&n) {
        pass += 1;
        n = make_object_name(name1, name2, &format!("{label}{pass}"));
    }
    n
}

/// Whether a constraint of some table in `schema` has this name (generated constraint names
/// avoid them all, as PostgreSQL's do).
pub fn constraint_in_schema(cat: &Catalog, schema: u32, name: &str) -> bool {
    cat.tables
        .values()
        .any(|t| t.schema == schema && t.constraints.iter().any(|c| c.name == name))
}

fn constraint_name_taken(t: &Table, name: &str) -> bool {
    t.constraints.iter().any(|c| c.name == name)
}

/// 55000: a foreign key may not reference a deferrable key (PostgreSQL's
/// `transformFkeyGetPrimaryKey` / `transformFkeyCheckAttrs`).
pub fn deferrable_fk_target(primary: bool, table: &str) -> SqlError {
    let what = if primary {
        "primary key"
    } else {
        "unique constraint"
    };
    err(
        "55000",
        format!("cannot use a deferrable {what} for referenced table \"{table}\""),
    )
}

/// Checks that `cols` of `rt` are the key of a unique index a foreign key may reference (with
/// `no_predicate`, partial indexes do not count): an immediate one, else 55000 if only a
/// deferrable one matches, else 42830.
pub fn check_fk_target(
    cat: &Catalog,
    rt: &Table,
    cols: &[usize],
    no_predicate: bool,
) -> Result<(), SqlError> {
    let mut deferrable = false;
    for i in cat.indexes.values() {
        if i.table != rt.oid
            || !i.unique
            || (no_predicate && i.predicate.is_some())
            || i.keys.len() != cols.len()
            || !i
                .keys
                .iter()
                .zip(cols)
                .all(|(k, c)| matches!(k, IndexKey::Column(x) if x == c))
        {
            continue;
        }
        if !i.deferrable {
            return Ok(());
        }
        deferrable = true;
    }
    if deferrable {
        return Err(deferrable_fk_target(false, &rt.name));
    }
    Err(err(
        "42830",
        format!(
            "there is no unique constraint matching given keys for referenced table \"{}\"",
            rt.name
        ),
    ))
}

/// An index LIKE ... INCLUDING INDEXES copies: the index, its keys in the new table, and the
/// (DEFERRABLE, INITIALLY DEFERRED) of the constraint it backs, if any.
type LikeIndex = (Index, Vec<IndexKey>, Option<(bool, bool)>);

/// What a CREATE TABLE column or table constraint asks for, before it is applied.
struct PendingIndex {
    name: Option<String>,
    cols: Vec<usize>,
    primary: bool,
    nulls_not_distinct: bool,
    /// DEFERRABLE.
    deferrable: bool,
    /// INITIALLY DEFERRED.
    initially_deferred: bool,
    /// `INCLUDE (...)` columns.
    include: Vec<usize>,
}

/// A column's constraints with the DEFERRABLE / INITIALLY ... clauses (separate items in the
/// parse tree) applied to the constraint before them, as PostgreSQL's
/// `transformConstraintAttrs` does.
pub fn column_constraints(list: &[protobuf::Node]) -> Result<Vec<protobuf::Constraint>, SqlError> {
    use protobuf::ConstrType as C;
    let mut out: Vec<protobuf::Constraint> = Vec::new();
    let (mut saw_deferrability, mut saw_initially) = (false, false);
    for n in list {
        let Some(Node::Constraint(con)) = n.node.as_ref() else {
            continue;
        };
        let kind = C::try_from(con.contype).unwrap_or(C::Undefined);
        let attr = match kind {
            C::ConstrAttrDeferrable => "DEFERRABLE",
            C::ConstrAttrNotDeferrable => "NOT DEFERRABLE",
            C::ConstrAttrDeferred => "INITIALLY DEFERRED",
            C::ConstrAttrImmediate => "INITIALLY IMMEDIATE",
            _ => {
                out.push((**con).clone());
                saw_deferrability = false;
                saw_initially = false;
                continue;
            }
        };
        let prev = out.last_mut().filter(|p| {
            matches!(
                C::try_from(p.contype),
                Ok(C::ConstrPrimary | C::ConstrUnique | C::ConstrExclusion | C::ConstrForeign)
            )
        });
        let Some(prev) = prev else {
            return Err(err("42601", format!("misplaced {attr} clause")).at(pos(con.location)));
        };
        let deferrability = matches!(kind, C::ConstrAttrDeferrable | C::ConstrAttrNotDeferrable);
        if deferrability && saw_deferrability || !deferrability && saw_initially {
            let what = if deferrability {
                "DEFERRABLE/NOT DEFERRABLE"
            } else {
                "INITIALLY IMMEDIATE/DEFERRED"
            };
            return Err(
                err("42601", format!("multiple {what} clauses not allowed")).at(pos(con.location))
            );
        }
        match kind {
            C::ConstrAttrDeferrable => prev.deferrable = true,
            C::ConstrAttrNotDeferrable => {
                if prev.initdeferred {
                    return Err(err(
                        "42601",
                        "constraint declared INITIALLY DEFERRED must be DEFERRABLE",
                    )
                    .at(pos(con.location)));
                }
                prev.deferrable = false;
            }
            C::ConstrAttrDeferred => {
                if saw_deferrability && !prev.deferrable {
                    return Err(err(
                        "42601",
                        "constraint declared INITIALLY DEFERRED must be DEFERRABLE",
                    )
                    .at(pos(con.location)));
                }
                prev.initdeferred = true;
                prev.deferrable = true;
            }
            _ => prev.initdeferred = false,
        }
        if deferrability {
            saw_deferrability = true;
        } else {
            saw_initially = true;
        }
    }
    Ok(out)
}

/// The `INCLUDE (...)` columns of CREATE INDEX: plain columns without ordering, collation
/// or operator class (PostgreSQL's `ComputeIndexAttrs` errors).
fn include_columns(table: &Table, params: &[protobuf::Node]) -> Result<Vec<usize>, SqlError> {
    let mut out = Vec::new();
    for p in params {
        let Some(Node::IndexElem(ie)) = p.node.as_ref() else {
            continue;
        };
        if ie.name.is_empty() {
            return Err(err(
                "0A000",
                "expressions are not supported in included columns",
            ));
        }
        let c = table
            .column_index(&ie.name)
            .ok_or_else(|| err("42703", format!("column \"{}\" does not exist", ie.name)))?;
        let refuse = |what: &str| {
            Err(err(
                "42P17",
                format!("including column does not support {what}"),
            ))
        };
        if !ie.collation.is_empty() {
            return refuse("a collation");
        }
        if !ie.opclass.is_empty() {
            return refuse("an operator class");
        }
        if ie.ordering != protobuf::SortByDir::SortbyDefault as i32 {
            return refuse("ASC/DESC options");
        }
        if ie.nulls_ordering != protobuf::SortByNulls::SortbyNullsDefault as i32 {
            return refuse("NULLS FIRST/LAST options");
        }
        out.push(c);
    }
    Ok(out)
}

/// The `INCLUDE (...)` columns of a UNIQUE / PRIMARY KEY constraint (names only).
pub fn constraint_include(
    table: &Table,
    con: &protobuf::Constraint,
) -> Result<Vec<usize>, SqlError> {
    con.including
        .iter()
        .map(|n| {
            let name = node_str(n).unwrap_or_default();
            table.column_index(name).ok_or_else(|| {
                err(
                    "42703",
                    format!("column \"{name}\" named in key does not exist"),
                )
                .at(pos(con.location))
            })
        })
        .collect()
}

/// Where the PRIMARY KEY constraints of a CREATE TABLE are, in text order.
fn primary_key_locations(s: &protobuf::CreateStmt) -> Vec<i32> {
    let primary = |c: &protobuf::Node| match c.node.as_ref() {
        Some(Node::Constraint(con))
            if con.contype == protobuf::ConstrType::ConstrPrimary as i32 =>
        {
            Some(con.location)
        }
        _ => None,
    };
    let mut out = Vec::new();
    for elt in &s.table_elts {
        match elt.node.as_ref() {
            Some(Node::ColumnDef(cd)) => out.extend(cd.constraints.iter().filter_map(primary)),
            _ => out.extend(primary(elt)),
        }
    }
    out
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
    check_table_options(&s.options)?;
    let schema =
        creation_schema(cat, search_path, &rv.schemaname).map_err(|e| e.at(pos(rv.location)))?;
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
        matview: None,
        unlogged: rv.relpersistence == "u",
    };
    let mut pending_idx: Vec<PendingIndex> = Vec::new();
    let mut checks: Vec<(Option<String>, String)> = Vec::new();
    // The parse trees of the CHECKs and DEFAULTs, bound to validate them with positions in
    // the statement.
    let mut check_nodes: Vec<&protobuf::Node> = Vec::new();
    let mut default_nodes: Vec<Option<&protobuf::Node>> = Vec::new();
    let mut fks: Vec<(Option<String>, Vec<usize>, protobuf::Constraint)> = Vec::new();
    let mut sequences: Vec<(usize, bool, Option<bool>)> = Vec::new();
    let mut table_constraints: Vec<&protobuf::Constraint> = Vec::new();
    let mut identity_options: Vec<(usize, Vec<protobuf::Node>)> = Vec::new();
    // Generation expressions: (column, expression, location of the clause).
    let mut generated_nodes: Vec<(usize, &protobuf::Node, i32)> = Vec::new();
    // What LIKE clauses copy beyond columns.
    let mut like_identity: Vec<(usize, bool, Sequence)> = Vec::new();
    let mut like_comments: Vec<(usize, String)> = Vec::new();
    let mut like_checks: Vec<(Option<String>, String)> = Vec::new();
    let mut like_indexes: Vec<LikeIndex> = Vec::new();
    // Column constraints with their DEFERRABLE clauses applied (bound parse trees point
    // into them).
    let col_cons = s
        .table_elts
        .iter()
        .map(|e| match e.node.as_ref() {
            Some(Node::ColumnDef(cd)) => column_constraints(&cd.constraints),
            _ => Ok(Vec::new()),
        })
        .collect::<Result<Vec<_>, SqlError>>()?;
    for (elt, cons) in s.table_elts.iter().zip(&col_cons) {
        match elt.node.as_ref() {
            Some(Node::ColumnDef(cd)) => {
                if table.columns.iter().any(|c| c.name == cd.colname) {
                    return Err(err(
                        "42701",
                        format!("column \"{}\" specified more than once", cd.colname),
                    ));
                }
                check_system_column_name(&cd.colname)?;
                let Some(tn) = &cd.type_name else {
                    return Err(err("42601", "column without a type"));
                };
                let ty = crate::binder::resolve_type_in(cat, search_path, tn)?;
                check_declared_column_type(&cd.colname, &ty)?;
                crate::binder::check_column_type(&ty)
                    .map_err(|e| e.at(crate::binder::pos(tn.location)))?;
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
                    generated: None,
                    domain: crate::binder::domain_of(cat, search_path, tn),
                };
                let mut default_node = cd.raw_default.as_deref();
                if serial {
                    sequences.push((idx, false, None));
                }
                // PostgreSQL's checks of one column's clauses: NULL / NOT NULL (and identity,
                // which is NOT NULL) must agree, identity and generation appear once.
                let mut saw_nullable: Option<bool> = None;
                let (mut saw_identity, mut saw_generated) = (false, false);
                for con in cons {
                    use protobuf::ConstrType as CT;
                    let at = crate::binder::pos(con.location);
                    let clash = |what: &str| {
                        err(
                            "42601",
                            format!(
                                "{what} for column \"{}\" of table \"{}\"",
                                cd.colname, rv.relname
                            ),
                        )
                        .at(at)
                    };
                    match CT::try_from(con.contype) {
                        Ok(CT::ConstrNotnull | CT::ConstrIdentity)
                            if saw_nullable == Some(false) =>
                        {
                            return Err(clash("conflicting NULL/NOT NULL declarations"));
                        }
                        Ok(CT::ConstrNull) if saw_nullable == Some(true) => {
                            return Err(clash("conflicting NULL/NOT NULL declarations"));
                        }
                        Ok(CT::ConstrIdentity) if saw_identity => {
                            return Err(clash("multiple identity specifications"));
                        }
                        Ok(CT::ConstrGenerated) if saw_generated => {
                            return Err(clash("multiple generation clauses specified"));
                        }
                        Ok(CT::ConstrNotnull) => saw_nullable = Some(true),
                        Ok(CT::ConstrNull) => saw_nullable = Some(false),
                        Ok(CT::ConstrIdentity) => {
                            saw_nullable = Some(true);
                            saw_identity = true;
                        }
                        Ok(CT::ConstrGenerated) => saw_generated = true,
                        _ => {}
                    }
                }
                for con in cons {
                    let conname = (!con.conname.is_empty()).then(|| con.conname.clone());
                    match protobuf::ConstrType::try_from(con.contype) {
                        Ok(protobuf::ConstrType::ConstrNotnull) => col.not_null = true,
                        Ok(protobuf::ConstrType::ConstrNull) => {}
                        Ok(protobuf::ConstrType::ConstrDefault) => {
                            col.default = con.raw_expr.as_deref().map(deparse_expr).transpose()?;
                            default_node = con.raw_expr.as_deref();
                        }
                        Ok(protobuf::ConstrType::ConstrPrimary) => {
                            col.not_null = true;
                            pending_idx.push(PendingIndex {
                                name: conname,
                                cols: vec![idx],
                                primary: true,
                                nulls_not_distinct: false,
                                deferrable: con.deferrable,
                                initially_deferred: con.initdeferred,
                                include: Vec::new(),
                            });
                        }
                        Ok(protobuf::ConstrType::ConstrUnique) => pending_idx.push(PendingIndex {
                            name: conname,
                            cols: vec![idx],
                            primary: false,
                            nulls_not_distinct: con.nulls_not_distinct,
                            deferrable: con.deferrable,
                            initially_deferred: con.initdeferred,
                            include: Vec::new(),
                        }),
                        Ok(protobuf::ConstrType::ConstrCheck) => {
                            let Some(e) = con.raw_expr.as_deref() else {
                                continue;
                            };
                            checks.push((conname, deparse_expr(e)?));
                            check_nodes.push(e);
                        }
                        Ok(protobuf::ConstrType::ConstrForeign) => {
                            fks.push((conname, vec![idx], con.clone()));
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
                            if con.generated_when != "a" {
                                // PostgreSQL points at BY DEFAULT, which the tree does not locate.
                                return Err(err(
                                    "42601",
                                    "for a generated column, GENERATED ALWAYS must be specified",
                                ));
                            }
                            let Some(e) = con.raw_expr.as_deref() else {
                                continue;
                            };
                            generated_nodes.push((idx, e, con.location));
                        }
                        _ => {}
                    }
                }
                if let Some((_, _, loc)) = generated_nodes.iter().find(|g| g.0 == idx) {
                    let what =
                        if col.identity.is_some() || sequences.iter().any(|q| q.0 == idx && q.1) {
                            "identity"
                        } else if col.default.is_some() {
                            "default"
                        } else {
                            ""
                        };
                    if !what.is_empty() {
                        return Err(err(
                            "42601",
                            format!(
                                "both {what} and generation expression specified for column \"{}\" of table \"{}\"",
                                col.name, table.name
                            ),
                        )
                        .at(pos(*loc)));
                    }
                    col.generated = Some(String::new());
                }
                table.columns.push(col);
                default_nodes.push(default_node);
            }
            Some(Node::Constraint(con)) => table_constraints.push(con),
            Some(Node::TableLikeClause(lc)) => {
                let src = like_source(cat, search_path, types, lc)?;
                let offset = table.columns.len();
                let has = |bit: u32| lc.options & bit != 0;
                for (i, c) in src.columns.iter().enumerate() {
                    if table.columns.iter().any(|x| x.name == c.name) {
                        return Err(err(
                            "42701",
                            format!("column \"{}\" specified more than once", c.name),
                        ));
                    }
                    let mut col = Column {
                        name: c.name.clone(),
                        ty: c.ty.clone(),
                        not_null: c.not_null,
                        default: None,
                        identity: None,
                        generated: None,
                        domain: c.domain,
                    };
                    if has(LIKE_DEFAULTS) {
                        col.default.clone_from(&c.default);
                    }
                    // Column positions may differ but names do not: the text stays valid.
                    if has(LIKE_GENERATED) {
                        col.generated.clone_from(&c.generated);
                    }
                    if has(LIKE_IDENTITY)
                        && let Some((always, seq)) = c.identity
                        && let Some(q) = cat.sequences.get(&seq)
                    {
                        col.default = None;
                        like_identity.push((offset + i, always, q.clone()));
                    }
                    if has(LIKE_COMMENTS)
                        && let Some(text) = cat.comments.get(&(src.oid, (i + 1) as u32))
                    {
                        like_comments.push((offset + i, text.clone()));
                    }
                    table.columns.push(col);
                }
                if has(LIKE_CONSTRAINTS) {
                    for c in &src.constraints {
                        if let ConstraintKind::Check { expr } = &c.kind {
                            like_checks.push((Some(c.name.clone()), expr.clone()));
                        }
                    }
                }
                if has(LIKE_INDEXES) {
                    let mut ixs: Vec<&Index> = cat
                        .indexes
                        .values()
                        .filter(|i| i.table == src.oid)
                        .collect();
                    ixs.sort_by_key(|i| i.oid);
                    for ix in ixs {
                        let keys = ix
                            .keys
                            .iter()
                            .map(|k| match k {
                                IndexKey::Column(c) => IndexKey::Column(offset + c),
                                IndexKey::Expr(e) => IndexKey::Expr(e.clone()),
                            })
                            .collect();
                        let constraint = src.constraints.iter().find(|c| {
                            matches!(c.kind, ConstraintKind::PrimaryKey { index } | ConstraintKind::Unique { index } if index == ix.oid)
                        }).map(|c| (c.deferrable, c.initially_deferred));
                        let mut ix = ix.clone();
                        for c in &mut ix.include {
                            *c += offset;
                        }
                        like_indexes.push((ix, keys, constraint));
                    }
                }
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
                    let c = col_index(&table, k).map_err(|e| e.at(pos(con.location)))?;
                    if primary {
                        table.columns[c].not_null = true;
                    }
                    cols.push(c);
                }
                let include = constraint_include(&table, con)?;
                pending_idx.push(PendingIndex {
                    name: conname,
                    cols,
                    primary,
                    nulls_not_distinct: con.nulls_not_distinct,
                    deferrable: con.deferrable,
                    initially_deferred: con.initdeferred,
                    include,
                });
            }
            Ok(protobuf::ConstrType::ConstrCheck) => {
                let Some(e) = con.raw_expr.as_deref() else {
                    continue;
                };
                checks.push((conname, deparse_expr(e)?));
                check_nodes.push(e);
            }
            Ok(protobuf::ConstrType::ConstrForeign) => {
                let mut cols = Vec::new();
                for k in &con.fk_attrs {
                    let name = node_str(k).unwrap_or_default();
                    cols.push(table.column_index(name).ok_or_else(|| {
                        err(
                            "42703",
                            format!(
                                "column \"{name}\" referenced in foreign key constraint does not exist"
                            ),
                        )
                    })?);
                }
                fks.push((conname, cols, con.clone()));
            }
            _ => return Err(err("0A000", "feature not supported: this table constraint")),
        }
    }
    // LIKE ... INCLUDING CONSTRAINTS / INDEXES come after the table's own, as in PostgreSQL.
    checks.extend(like_checks);
    let mut like_plain = Vec::new();
    for (ix, keys, constraint) in like_indexes {
        let cols: Option<Vec<usize>> = keys
            .iter()
            .map(|k| match k {
                IndexKey::Column(c) => Some(*c),
                IndexKey::Expr(_) => None,
            })
            .collect();
        match (cols, constraint) {
            (Some(cols), Some((deferrable, initially_deferred))) => {
                if ix.primary {
                    for c in &cols {
                        table.columns[*c].not_null = true;
                    }
                }
                pending_idx.push(PendingIndex {
                    name: None,
                    cols,
                    primary: ix.primary,
                    nulls_not_distinct: ix.nulls_not_distinct,
                    deferrable,
                    initially_deferred,
                    include: ix.include.clone(),
                });
            }
            _ => like_plain.push((ix, keys)),
        }
    }
    if pending_idx.iter().filter(|p| p.primary).count() > 1 {
        return Err(err(
            "42P16",
            format!(
                "multiple primary keys for table \"{}\" are not allowed",
                table.name
            ),
        )
        .at(primary_key_locations(s).get(1).copied().and_then(pos)));
    }
    // The primary key first; a UNIQUE constraint equal to an earlier one (or to the primary
    // key) is not made, its name going to the earlier one if that has none, as in PostgreSQL.
    pending_idx.sort_by_key(|p| !p.primary);
    let mut kept: Vec<PendingIndex> = Vec::new();
    for p in pending_idx {
        if let Some(prior) = kept.iter_mut().find(|k| {
            k.cols == p.cols
                && k.nulls_not_distinct == p.nulls_not_distinct
                && k.include == p.include
                && k.deferrable == p.deferrable
                && k.initially_deferred == p.initially_deferred
        }) {
            if prior.name.is_none() {
                prior.name = p.name;
            }
            continue;
        }
        kept.push(p);
    }
    let pending_idx = kept;
    // Sequences for serial and identity columns.
    for (idx, identity, always) in sequences {
        let col = table.columns[idx].clone();
        let seq_name = choose_object_name(&table.name, Some(&col.name), "seq", |n| {
            name_taken(cat, schema, n)
        });
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
            cache: 1,
            owned_by: Some((oid, idx)),
        };
        let opts = identity_options
            .iter()
            .find(|(i, _)| *i == idx)
            .map(|(_, o)| o.clone())
            .unwrap_or_default();
        apply_seq_options(&mut seq, &opts, true, 0)?;
        cat.sequences.insert(seq_oid, seq);
        let c = &mut table.columns[idx];
        if identity {
            c.identity = Some((always.unwrap_or(false), seq_oid));
        } else {
            // Quoted as PostgreSQL's default text shows it: the name is parsed when used.
            let q = crate::parse::quote_identifier;
            let qualified = if schema == crate::catalog::PUBLIC_OID {
                q(&seq_name)
            } else {
                format!("{}.{}", q(cat.schema_name(schema)), q(&seq_name))
            }
            .replace('\'', "''");
            c.default = Some(format!("nextval('{qualified}'::regclass)"));
        }
    }
    for (idx, always, src) in like_identity {
        let col = table.columns[idx].name.clone();
        let seq_name = choose_object_name(&table.name, Some(&col), "seq", |n| {
            name_taken(cat, schema, n)
        });
        let seq_oid = cat.new_oid();
        cat.sequences.insert(
            seq_oid,
            Sequence {
                oid: seq_oid,
                schema,
                name: seq_name,
                owned_by: Some((oid, idx)),
                ..src
            },
        );
        table.columns[idx].identity = Some((always, seq_oid));
    }
    for (idx, text) in like_comments {
        cat.comments.insert((oid, (idx + 1) as u32), text);
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
                let (e, t) = match default_nodes.get(i).copied().flatten() {
                    Some(n) => b.bind_scalar(n, &Scope::default(), "DEFAULT expressions")?,
                    None => crate::dml::bind_text_expr(&mut b, d, &Scope::default())?,
                };
                b.coerce(e, &t, &table.columns[i].ty, CastContext::Assignment)
                    .map_err(|e| {
                        if e.code().code() == "42804" {
                            err(
                                "42804",
                                format!(
                                    "column \"{}\" is of type {} but default expression is of type {}",
                                    c.name,
                                    c.ty.format_type(),
                                    t.format_type()
                                ),
                            )
                            .with_hint("You will need to rewrite or cast the expression.")
                        } else {
                            e
                        }
                    })?;
            }
        }
        for n in &check_nodes {
            let (_, t) = b.bind_scalar(n, &scope, "check constraints")?;
            if t != DataType::Bool && t != DataType::Unknown {
                return Err(err(
                    "42804",
                    format!(
                        "argument of CHECK must be type boolean, not type {}",
                        t.format_type()
                    ),
                )
                .at(crate::binder::expr_start(n)));
            }
        }
    }
    for (idx, node, _) in &generated_nodes {
        let text = crate::generated::check_expression(cat, search_path, types, &table, *idx, node)?;
        table.columns[*idx].generated = Some(text);
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
            None => choose_object_name(&table.name, col.as_deref(), "check", |n| {
                constraint_name_taken(&table, n) || constraint_in_schema(cat, schema, n)
            }),
        };
        let coid = cat.new_oid();
        table.constraints.push(Constraint {
            oid: coid,
            name: n,
            kind: ConstraintKind::Check { expr: text },
            deferrable: false,
            initially_deferred: false,
            not_valid: false,
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
                let pk = match ref_table {
                    Some(r) => cat
                        .primary_index(r)
                        .map(|i| (cat.primary_key_columns(r), i.deferrable)),
                    None => pending_idx
                        .iter()
                        .find(|p| p.primary)
                        .map(|p| (Some(p.cols.clone()), p.deferrable)),
                };
                if let Some((_, true)) = pk {
                    return Err(deferrable_fk_target(true, &rt.name));
                }
                let pkcols = pk.and_then(|p| p.0).ok_or_else(|| {
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
        check_fk_generated(&table, &cols, &con)?;
        let n = match name {
            Some(n) => n,
            None => {
                let colnames: Vec<&str> = cols
                    .iter()
                    .map(|c| table.columns[*c].name.as_str())
                    .collect();
                choose_object_name(&table.name, Some(&name_addition(&colnames)), "fkey", |n| {
                    constraint_name_taken(&table, n) || constraint_in_schema(cat, schema, n)
                })
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
                match_full: fk_match_full(&con.fk_matchtype)?,
            }),
            deferrable: con.deferrable,
            initially_deferred: con.initdeferred,
            // CREATE TABLE validates nothing: the table is empty.
            not_valid: false,
        });
    }
    // Indexes for PRIMARY KEY / UNIQUE.
    let mut new_indexes = Vec::new();
    for p in pending_idx {
        let colnames: Vec<String> = p
            .cols
            .iter()
            .chain(&p.include)
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
                let addition = name_addition(&colnames);
                let (name2, label) = if p.primary {
                    (None, "pkey")
                } else {
                    (Some(addition.as_str()), "key")
                };
                choose_object_name(&table.name, name2, label, |n| {
                    name_taken(cat, schema, n)
                        || constraint_name_taken(&table, n)
                        || constraint_in_schema(cat, schema, n)
                })
            }
        };
        let ioid = cat.new_oid();
        // Rows of a table with a deferrable primary key are keyed by a hidden row id: two
        // rows may hold the same key until the check (see `crate::dml`).
        if p.primary && !p.deferrable {
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
            deferrable: p.deferrable,
            initially_deferred: p.initially_deferred,
            not_valid: false,
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
                nulls_not_distinct: p.nulls_not_distinct,
                predicate: None,
                method: crate::catalog::IndexMethod::Btree,
                include: p.include,
                deferrable: p.deferrable,
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
            check_fk_target(cat, rt, &fk.ref_columns, false)?;
            check_fk_types(&c.name, &table, &fk.columns, rt, &fk.ref_columns)?;
        }
    }
    for (ix, keys) in like_plain {
        let all: Vec<IndexKey> = keys
            .iter()
            .cloned()
            .chain(ix.include.iter().map(|c| IndexKey::Column(*c)))
            .collect();
        let colnames = crate::system::tables::index_column_names(Some(&table), &all);
        let suffix = "idx";
        let name = choose_object_name(&table.name, Some(&name_addition(&colnames)), suffix, |n| {
            name_taken(cat, schema, n)
        });
        let ioid = cat.new_oid();
        cat.indexes.insert(
            ioid,
            Index {
                oid: ioid,
                schema,
                name,
                table: oid,
                keys,
                ..ix
            },
        );
        new_indexes.push(ioid);
    }
    cat.tables.insert(oid, table);
    Ok(new_indexes)
}

const LIKE_COMMENTS: u32 = 1;
const LIKE_CONSTRAINTS: u32 = 1 << 2;
const LIKE_DEFAULTS: u32 = 1 << 3;
const LIKE_GENERATED: u32 = 1 << 4;
const LIKE_IDENTITY: u32 = 1 << 5;
const LIKE_INDEXES: u32 = 1 << 6;

/// The relation a LIKE clause copies: a table, or a view's columns (as a table without
/// constraints).
fn like_source(
    cat: &Catalog,
    search_path: &[u32],
    types: &basalt_common::types::TypeContext,
    lc: &protobuf::TableLikeClause,
) -> Result<Table, SqlError> {
    let Some(rv) = &lc.relation else {
        return Err(err("42601", "LIKE without a relation"));
    };
    let found = if rv.schemaname.is_empty() {
        search_path
            .iter()
            .find_map(|s| cat.relation_in(*s, &rv.relname))
    } else {
        cat.schema_oid(&rv.schemaname)
            .and_then(|s| cat.relation_in(s, &rv.relname))
    };
    match found {
        Some(Relation::Table(oid)) => cat
            .tables
            .get(&oid)
            .cloned()
            .ok_or_else(|| err("XX000", "catalog entry vanished")),
        Some(Relation::View(oid)) => {
            let v = cat
                .views
                .get(&oid)
                .ok_or_else(|| err("XX000", "catalog entry vanished"))?;
            let parsed = crate::parse::parse(&v.query, crate::parse::ParseOptions::default())?;
            let Some(Node::SelectStmt(sel)) = parsed.statements().next().and_then(|s| s.node())
            else {
                return Err(err("XX000", "bad view definition"));
            };
            let node = protobuf::Node {
                node: Some(Node::SelectStmt(sel.clone())),
            };
            let q = Binder::new(cat, search_path.to_vec(), *types).bind_query(&node)?;
            Ok(Table {
                oid,
                schema: v.schema,
                name: v.name.clone(),
                columns: v
                    .columns
                    .iter()
                    .zip(q.types)
                    .map(|(n, ty)| Column {
                        name: n.clone(),
                        ty,
                        not_null: false,
                        default: None,
                        identity: None,
                        generated: None,
                        domain: None,
                    })
                    .collect(),
                primary_key: None,
                constraints: Vec::new(),
                stats: None,
                matview: None,
                unlogged: false,
            })
        }
        Some(_) => Err(err(
            "42809",
            format!("\"{}\" is not a table, view, or composite type", rv.relname),
        )
        .at(pos(rv.location))),
        None => {
            let name = if rv.schemaname.is_empty() {
                rv.relname.clone()
            } else {
                format!("{}.{}", rv.schemaname, rv.relname)
            };
            Err(err("42P01", format!("relation \"{name}\" does not exist")).at(pos(rv.location)))
        }
    }
}

/// Whether a foreign key column of type `fk` can reference a key column of type `pk`: the
/// key's btree family compares them directly (integers, floats, dates and timestamps), or
/// `fk` coerces implicitly to `pk`, as PostgreSQL requires.
fn fk_types_compatible(fk: &DataType, pk: &DataType) -> bool {
    use DataType as T;
    let family = |t: &DataType| match t {
        T::Int2 | T::Int4 | T::Int8 => 1,
        T::Float4 | T::Float8 => 2,
        T::Date | T::Timestamp(_) | T::Timestamptz(_) => 3,
        _ => 0,
    };
    (family(fk) != 0 && family(fk) == family(pk))
        || basalt_common::types::cast_context(fk, pk) == Some(CastContext::Implicit)
}

/// 42804 unless every referencing column's type can be compared with its referenced column's.
pub fn check_fk_types(
    name: &str,
    table: &Table,
    cols: &[usize],
    ref_table: &Table,
    ref_cols: &[usize],
) -> Result<(), SqlError> {
    for (c, r) in cols.iter().zip(ref_cols) {
        let (Some(fc), Some(pc)) = (table.columns.get(*c), ref_table.columns.get(*r)) else {
            continue;
        };
        if !fk_types_compatible(&fc.ty, &pc.ty) {
            return Err(err(
                "42804",
                format!("foreign key constraint \"{name}\" cannot be implemented"),
            )
            .with_detail(format!(
                "Key columns \"{}\" and \"{}\" are of incompatible types: {} and {}.",
                fc.name,
                pc.name,
                fc.ty.error_name(),
                pc.ty.error_name()
            )));
        }
    }
    Ok(())
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
        // PostgreSQL gives no position for the relation of a utility statement.
        None => Err(err(
            "42P01",
            format!("relation \"{}\" does not exist", rv.relname),
        )),
    }
}

/// Writes the entries of a new index over the table's existing rows.
pub fn build_index(cat: &Catalog, index_oid: u32, cx: &mut Cx<'_>) -> Result<(), SqlError> {
    let Some(index) = cat.indexes.get(&index_oid) else {
        return Ok(());
    };
    if index.is_row_key() {
        return Ok(());
    }
    let Some(table) = cat.tables.get(&index.table) else {
        return Ok(());
    };
    // The keys of a deferrable index seen so far (its entries all carry the row key).
    let mut seen = std::collections::HashSet::new();
    let writer = crate::dml::writer_for(cat, table, &cx.func.types)?;
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
        let unique = index.unique && (index.nulls_not_distinct || !vals.iter().any(Value::is_null));
        let duplicate = if !unique {
            false
        } else if index.deferrable {
            !seen.insert(ikey.clone())
        } else {
            cx.txn.get(&ikey)?.is_some_and(|existing| existing != key)
        };
        if !unique || index.deferrable {
            ikey.extend_from_slice(&key[5..]);
        }
        if duplicate {
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
            ))
            .in_table(cat, table)
            .with_constraint(&index.name));
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
    let method = match s.access_method.as_str() {
        "" | "btree" => crate::catalog::IndexMethod::Btree,
        "hash" => crate::catalog::IndexMethod::Hash,
        other => {
            return Err(err(
                "0A000",
                format!("feature not supported: index method \"{other}\""),
            ));
        }
    };
    if method == crate::catalog::IndexMethod::Hash {
        let refuse = |what: &str| {
            Err(err(
                "0A000",
                format!("access method \"hash\" does not support {what}"),
            ))
        };
        if s.unique {
            return refuse("unique indexes");
        }
        if s.index_params.len() > 1 {
            return refuse("multicolumn indexes");
        }
        for p in &s.index_params {
            if let Some(Node::IndexElem(e)) = p.node.as_ref() {
                if e.ordering != protobuf::SortByDir::SortbyDefault as i32 {
                    return refuse("ASC/DESC options");
                }
                if e.nulls_ordering != protobuf::SortByNulls::SortbyNullsDefault as i32 {
                    return refuse("NULLS FIRST/LAST options");
                }
            }
        }
    }
    if method == crate::catalog::IndexMethod::Hash && !s.index_including_params.is_empty() {
        return Err(err(
            "0A000",
            "access method \"hash\" does not support included columns",
        ));
    }
    let toid = lookup_table(cat, search_path, rv)?;
    let Some(table) = cat.tables.get(&toid).cloned() else {
        return Err(err("42P01", "table vanished"));
    };
    let mut keys = Vec::new();
    let mut desc = Vec::new();
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
        } else if let Some(e) = ie.expr.as_deref() {
            let text = deparse_expr(e)?;
            let mut b = Binder::new(cat, search_path.to_vec(), *types);
            b.bind_scalar(e, &scope, "index expressions")?;
            keys.push(IndexKey::Expr(text));
        }
        desc.push(ie.ordering == protobuf::SortByDir::SortbyDesc as i32);
    }
    let include = include_columns(&table, &s.index_including_params)?;
    let all: Vec<IndexKey> = keys
        .iter()
        .cloned()
        .chain(include.iter().map(|c| IndexKey::Column(*c)))
        .collect();
    let colnames = crate::system::tables::index_column_names(Some(&table), &all);
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
        let suffix = "idx";
        choose_object_name(&table.name, Some(&name_addition(&colnames)), suffix, |n| {
            name_taken(cat, table.schema, n)
        })
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
            nulls_not_distinct: s.nulls_not_distinct,
            predicate,
            method,
            include,
            deferrable: false,
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
    let taken = name_taken(cat, schema, &rv.relname);
    if taken && s.if_not_exists {
        notices.push(notice(format!(
            "relation \"{}\" already exists, skipping",
            rv.relname
        )));
        return Ok(None);
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
        cache: 1,
        owned_by: None,
    };
    // As in PostgreSQL, the options are checked before the name.
    let opts = apply_seq_options(&mut seq, &s.options, true, 0)?;
    if taken {
        return Err(err(
            "42P07",
            format!("relation \"{}\" already exists", rv.relname),
        ));
    }
    seq.oid = cat.new_oid();
    if let Some(owned) = &opts.owned_by {
        set_owned_by(cat, search_path, &mut seq, owned)?;
    }
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

/// What ALTER SEQUENCE options do to the sequence's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqStateChange {
    /// Nothing (START, OWNED BY).
    Keep,
    /// The values written ahead are dropped (`log_cnt` becomes 0), as PostgreSQL does when
    /// the increment, bounds, type, cycling or cache change.
    Rewrite,
    /// RESTART: the next `nextval` returns this value.
    Restart(i64),
}

/// Sequence options after validation.
pub struct SeqOptions {
    /// What happens to the state.
    pub state: SeqStateChange,
    /// OWNED BY, as written (`["none"]` or the qualified column name).
    pub owned_by: Option<Vec<String>>,
}

fn duplicate_option(d: &protobuf::DefElem) -> SqlError {
    err("42601", "conflicting or redundant options").at(pos(d.location))
}

/// Applies CREATE / ALTER SEQUENCE options (and identity column options) to `seq` with
/// PostgreSQL's defaults and checks, in its order. `last` is the sequence's current
/// `last_value` (checked against new bounds when altering).
pub fn apply_seq_options(
    seq: &mut Sequence,
    options: &[protobuf::Node],
    creating: bool,
    last: i64,
) -> Result<SeqOptions, SqlError> {
    let mut as_type: Option<&protobuf::DefElem> = None;
    let (mut increment, mut cycle, mut min, mut max) = (None, None, None, None);
    let (mut start, mut restart, mut cache, mut owned) = (None, None, None, None);
    for o in options {
        let Some(Node::DefElem(d)) = o.node.as_ref() else {
            continue;
        };
        let slot = match d.defname.as_str() {
            "as" => &mut as_type,
            "increment" => &mut increment,
            "cycle" => &mut cycle,
            "minvalue" => &mut min,
            "maxvalue" => &mut max,
            "start" => &mut start,
            "restart" => &mut restart,
            "cache" => &mut cache,
            "owned_by" => &mut owned,
            other => {
                return Err(err(
                    "0A000",
                    format!("feature not supported: sequence option {other}"),
                ));
            }
        };
        if slot.is_some() {
            return Err(duplicate_option(d));
        }
        *slot = Some(d);
    }
    let mut rewrite = false;
    let (mut reset_min, mut reset_max) = (false, false);
    if let Some(d) = as_type
        && let Some(Node::TypeName(tn)) = d.arg.as_deref().and_then(|a| a.node.as_ref())
    {
        let t = type_name(tn)?;
        if !matches!(t, DataType::Int2 | DataType::Int4 | DataType::Int8) {
            return Err(err(
                "22023",
                "sequence type must be smallint, integer, or bigint",
            ));
        }
        if !creating {
            // Bounds that were the old type's limits follow the new type.
            let (omin, omax) = int_bounds(&seq.ty);
            reset_max = seq.max == omax;
            reset_min = seq.min == omin;
        }
        seq.ty = t;
        rewrite = true;
    }
    if let Some(d) = increment {
        seq.increment = def_int(d)?.unwrap_or(1);
        if seq.increment == 0 {
            return Err(err("22023", "INCREMENT must not be zero"));
        }
        rewrite = true;
    }
    if let Some(d) = cycle {
        seq.cycle = match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
            Some(Node::Boolean(b)) => b.boolval,
            Some(Node::Integer(i)) => i.ival != 0,
            _ => true,
        };
        rewrite = true;
    }
    let (tmin, tmax) = int_bounds(&seq.ty);
    let asc = seq.increment > 0;
    match max.map(def_int).transpose()? {
        Some(Some(v)) => seq.max = v,
        given if creating || given.is_some() || reset_max => {
            // A bound reset by a type change takes the new type's limit either way.
            seq.max = if asc || reset_max { tmax } else { -1 };
        }
        _ => {}
    }
    rewrite |= max.is_some();
    if seq.max < tmin || seq.max > tmax {
        return Err(err(
            "22023",
            format!(
                "MAXVALUE ({}) is out of range for sequence data type {}",
                seq.max,
                seq.ty.format_type()
            ),
        ));
    }
    match min.map(def_int).transpose()? {
        Some(Some(v)) => seq.min = v,
        given if creating || given.is_some() || reset_min => {
            seq.min = if asc && !reset_min { 1 } else { tmin };
        }
        _ => {}
    }
    rewrite |= min.is_some();
    if seq.min < tmin || seq.min > tmax {
        return Err(err(
            "22023",
            format!(
                "MINVALUE ({}) is out of range for sequence data type {}",
                seq.min,
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
    match start.map(def_int).transpose()?.flatten() {
        Some(v) => seq.start = v,
        None if creating => seq.start = if asc { seq.min } else { seq.max },
        None => {}
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
    let mut state = if rewrite {
        SeqStateChange::Rewrite
    } else {
        SeqStateChange::Keep
    };
    let mut current = if creating { seq.start } else { last };
    if let Some(d) = restart {
        current = def_int(d)?.unwrap_or(seq.start);
        state = SeqStateChange::Restart(current);
    }
    if current < seq.min {
        return Err(err(
            "22023",
            format!(
                "RESTART value ({current}) cannot be less than MINVALUE ({})",
                seq.min
            ),
        ));
    }
    if current > seq.max {
        return Err(err(
            "22023",
            format!(
                "RESTART value ({current}) cannot be greater than MAXVALUE ({})",
                seq.max
            ),
        ));
    }
    if let Some(d) = cache {
        let v = def_int(d)?.unwrap_or(1);
        if v <= 0 {
            return Err(err(
                "22023",
                format!("CACHE ({v}) must be greater than zero"),
            ));
        }
        seq.cache = v;
        if state == SeqStateChange::Keep {
            state = SeqStateChange::Rewrite;
        }
    }
    let owned_by = owned.map(|d| match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
        Some(Node::List(l)) => names(&l.items),
        _ => Vec::new(),
    });
    Ok(SeqOptions { state, owned_by })
}

/// Applies OWNED BY (`["none"]` or a qualified column) to `seq`, with PostgreSQL's checks.
pub fn set_owned_by(
    cat: &Catalog,
    search_path: &[u32],
    seq: &mut Sequence,
    owned: &[String],
) -> Result<(), SqlError> {
    if let Some((t, _)) = identity_owner(cat, seq.oid) {
        return Err(
            err("0A000", "cannot change ownership of identity sequence").with_detail(format!(
                "Sequence \"{}\" is linked to table \"{}\".",
                seq.name, t.name
            )),
        );
    }
    if owned.len() == 1 && owned[0] == "none" {
        seq.owned_by = None;
        return Ok(());
    }
    if owned.len() < 2 {
        return Err(err("42601", "invalid OWNED BY option")
            .with_hint("Specify OWNED BY table.column or OWNED BY NONE."));
    }
    let (rel, col) = owned.split_at(owned.len() - 1);
    let (schema, name) = match rel {
        [n] => (None, n.clone()),
        [s, n] => (Some(s.clone()), n.clone()),
        _ => {
            return Err(err(
                "42601",
                format!(
                    "improper relation name (too many dotted names): {}",
                    owned.join(".")
                ),
            ));
        }
    };
    let found = match &schema {
        Some(s) => cat.schema_oid(s).and_then(|s| cat.relation_in(s, &name)),
        None => search_path.iter().find_map(|s| cat.relation_in(*s, &name)),
    };
    let table = match found {
        Some(Relation::Table(oid)) => cat
            .tables
            .get(&oid)
            .ok_or_else(|| err("XX000", "catalog entry vanished"))?,
        Some(other) => {
            let what = match other {
                Relation::Sequence(_) => "sequences",
                Relation::Index(_) => "indexes",
                _ => "views",
            };
            return Err(err(
                "42809",
                format!("sequence cannot be owned by relation \"{name}\""),
            )
            .with_detail(format!("This operation is not supported for {what}.")));
        }
        None => return Err(err("42P01", format!("relation \"{name}\" does not exist"))),
    };
    if table.schema != seq.schema {
        return Err(err(
            "55000",
            "sequence must be in same schema as table it is linked to",
        ));
    }
    let c = table.column_index(&col[0]).ok_or_else(|| {
        err(
            "42703",
            format!(
                "column \"{}\" of relation \"{}\" does not exist",
                col[0], table.name
            ),
        )
    })?;
    seq.owned_by = Some((table.oid, c));
    Ok(())
}

/// The table and column whose identity a sequence generates, if any.
pub fn identity_owner(cat: &Catalog, seq: u32) -> Option<(&Table, usize)> {
    cat.tables.values().find_map(|t| {
        t.columns
            .iter()
            .position(|c| c.identity.is_some_and(|(_, s)| s == seq))
            .map(|i| (t, i))
    })
}

/// The relation-name literals of an expression text: `nextval('s')` and friends and
/// `'s'::regclass`, where PostgreSQL records a dependency on the relation. Each comes with its
/// byte offset in the text (at the opening quote).
fn regclass_literal_spans(text: &str) -> Vec<(String, usize)> {
    fn sval(v: &serde_json::Value) -> Option<(&str, i64)> {
        let c = v.get("node")?.get("AConst")?;
        let s = c.get("val")?.get("Sval")?.get("sval")?.as_str()?;
        Some((s, c.get("location")?.as_i64()?))
    }
    fn last_name(list: Option<&serde_json::Value>) -> Option<&str> {
        list?
            .as_array()?
            .last()?
            .get("node")?
            .get("String")?
            .get("sval")?
            .as_str()
    }
    fn walk(v: &serde_json::Value, out: &mut Vec<(String, i64)>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(fc) = m.get("FuncCall")
                    && matches!(
                        last_name(fc.get("funcname")),
                        Some("nextval" | "currval" | "setval")
                    )
                    && let Some((s, l)) = fc
                        .get("args")
                        .and_then(|a| a.as_array())
                        .and_then(|a| a.first())
                        .and_then(sval)
                {
                    out.push((s.to_string(), l));
                }
                if let Some(tc) = m.get("TypeCast")
                    && last_name(tc.get("type_name").and_then(|t| t.get("names")))
                        == Some("regclass")
                    && let Some((s, l)) = tc.get("arg").and_then(sval)
                {
                    out.push((s.to_string(), l));
                }
                for x in m.values() {
                    walk(x, out);
                }
            }
            serde_json::Value::Array(a) => {
                for x in a {
                    walk(x, out);
                }
            }
            _ => {}
        }
    }
    const PREFIX: &str = "SELECT ";
    let Ok(parsed) = pg_query::parse(&format!("{PREFIX}{text}"), pg_query::ParserOptions::DEFAULT)
    else {
        return Vec::new();
    };
    let Ok(json) = serde_json::to_value(&parsed.protobuf) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    walk(&json, &mut found);
    let mut out: Vec<(String, usize)> = found
        .into_iter()
        .filter_map(|(s, l)| Some((s, usize::try_from(l).ok()?.checked_sub(PREFIX.len())?)))
        .collect();
    out.sort_by_key(|(_, l)| *l);
    out.dedup();
    out
}

/// Names of the relations an expression text names by a literal: `nextval('s')` and
/// friends and `'s'::regclass`.
pub fn regclass_literals(text: &str) -> Vec<String> {
    regclass_literal_spans(text)
        .into_iter()
        .map(|(s, _)| s)
        .collect()
}

/// Rewrites the relation-name literals of column defaults that `resolves` maps to `oid` into
/// `new_name` (after a sequence moved to another schema or was renamed).
pub fn repoint_regclass_literals(
    cat: &mut Catalog,
    oid: u32,
    new_name: &str,
    resolves: impl Fn(&str) -> Option<u32>,
) {
    let quoted = format!("'{}'", new_name.replace('\'', "''"));
    for t in cat.tables.values_mut() {
        for c in &mut t.columns {
            let Some(d) = &mut c.default else { continue };
            let spans = regclass_literal_spans(d);
            // Right to left, so earlier offsets stay valid.
            for (lit, at) in spans.into_iter().rev() {
                let old = format!("'{}'", lit.replace('\'', "''"));
                if resolves(&lit) == Some(oid) && d.get(at..at + old.len()) == Some(old.as_str()) {
                    d.replace_range(at..at + old.len(), &quoted);
                }
            }
        }
    }
}

/// ALTER SEQUENCE ... SET SCHEMA.
pub fn set_sequence_schema(
    cat: &mut Catalog,
    search_path: &[u32],
    types: &basalt_common::types::TypeContext,
    s: &protobuf::AlterObjectSchemaStmt,
    notices: &mut Vec<Notice>,
) -> Result<bool, SqlError> {
    let Some(rv) = &s.relation else {
        return Err(err("42601", "ALTER ... SET SCHEMA without a name"));
    };
    let found = if rv.schemaname.is_empty() {
        search_path
            .iter()
            .find_map(|o| cat.relation_in(*o, &rv.relname))
    } else {
        cat.schema_oid(&rv.schemaname)
            .and_then(|o| cat.relation_in(o, &rv.relname))
    };
    let oid = match found {
        Some(Relation::Sequence(oid)) => oid,
        Some(_) => {
            return Err(err(
                "42809",
                format!("\"{}\" is not a sequence", rv.relname),
            ));
        }
        None if s.missing_ok => {
            notices.push(notice(format!(
                "relation \"{}\" does not exist, skipping",
                rv.relname
            )));
            return Ok(false);
        }
        None => {
            return Err(err(
                "42P01",
                format!("relation \"{}\" does not exist", rv.relname),
            ));
        }
    };
    let Some(seq) = cat.sequences.get(&oid).cloned() else {
        return Err(err("XX000", "catalog entry vanished"));
    };
    let Some(target) = cat.schema_oid(&s.newschema) else {
        return Err(err(
            "3F000",
            format!("schema \"{}\" does not exist", s.newschema),
        ));
    };
    if let Some((t, _)) = seq
        .owned_by
        .and_then(|(t, _)| cat.tables.get(&t).map(|x| (x, t)))
    {
        return Err(
            err("0A000", "cannot move an owned sequence into another schema").with_detail(format!(
                "Sequence \"{}\" is linked to table \"{}\".",
                seq.name, t.name
            )),
        );
    }
    if target == seq.schema {
        return Ok(true);
    }
    if name_taken(cat, target, &seq.name) {
        return Err(err(
            "42P07",
            format!(
                "relation \"{}\" already exists in schema \"{}\"",
                seq.name, s.newschema
            ),
        ));
    }
    // Defaults name the sequence by text: resolve their literals before the move.
    let before = cat.clone();
    let b = Binder::new(&before, search_path.to_vec(), *types);
    let new_name = if target == crate::catalog::PUBLIC_OID {
        crate::system::tables::quote_ident(&seq.name)
    } else {
        format!(
            "{}.{}",
            crate::system::tables::quote_ident(&s.newschema),
            crate::system::tables::quote_ident(&seq.name)
        )
    };
    repoint_regclass_literals(cat, oid, &new_name, |lit| {
        crate::system::reg_literal(&b, "regclass", lit)
            .ok()
            .and_then(|o| u32::try_from(o).ok())
    });
    if let Some(q) = cat.sequences.get_mut(&oid) {
        q.schema = target;
    }
    Ok(true)
}

/// A view's query text with every `*` and `t.*` of its select lists written out as the
/// columns it stands for now (`t.a, t.b, u.x`), as PostgreSQL stores a view: columns added
/// later to a table the view reads do not become part of it, nor shift the columns after
/// them (`SELECT * FROM t, u` would otherwise show `t`'s new column in `u.x`'s place), and a
/// column the view reads counts as used by it (dropping it is refused).
fn expand_stars(
    cat: &Catalog,
    search_path: &[u32],
    types: &basalt_common::types::TypeContext,
    text: &str,
) -> Result<String, SqlError> {
    if !text.contains('*') {
        return Ok(text.to_string());
    }
    let parsed = crate::parse::parse(text, crate::parse::ParseOptions::default())?;
    let Some(node) = parsed.statements().next().and_then(|s| s.node().cloned()) else {
        return Ok(text.to_string());
    };
    let mut b = Binder::new(cat, search_path.to_vec(), *types);
    b.stars = Some(Vec::new());
    b.bind_query(&protobuf::Node { node: Some(node) })?;
    let mut stars = b.stars.take().unwrap_or_default();
    // Each star's span: from its column reference to the `*` token (`t.*`, `"T" . *`).
    let tokens = pg_query::scan(text)
        .map_err(|e| err("XX000", format!("cannot scan: {e}")))?
        .tokens;
    stars.sort_by_key(|(at, _)| *at);
    stars.dedup_by_key(|(at, _)| *at);
    let mut out = text.to_string();
    for (at, cols) in stars.iter().rev() {
        let Some(star) = tokens.iter().find(|t| {
            usize::try_from(t.start).is_ok_and(|s| s >= *at)
                && text.get(t.start as usize..t.end as usize) == Some("*")
        }) else {
            continue;
        };
        let end = star.end as usize;
        if cols.is_empty() || out.get(*at..end).is_none() {
            continue;
        }
        let list: Vec<String> = cols
            .iter()
            .map(|(q, n)| match q {
                Some(q) => format!(
                    "{}.{}",
                    crate::system::tables::quote_ident(q),
                    crate::system::tables::quote_ident(n)
                ),
                None => crate::system::tables::quote_ident(n),
            })
            .collect();
        out.replace_range(*at..end, &list.join(", "));
    }
    Ok(out)
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
    if let Some(Node::SelectStmt(sel)) = q.node.as_ref()
        && crate::engine::select_into(sel).is_some()
    {
        return Err(err("0A000", "views must not contain SELECT INTO"));
    }
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
    for (i, c) in columns.iter().enumerate() {
        if columns[..i].contains(c) {
            return Err(err(
                "42701",
                format!("column \"{c}\" specified more than once"),
            ));
        }
    }
    let Some(n) = q.node.clone() else {
        return Err(err("42601", "empty view query"));
    };
    let text = expand_stars(cat, search_path, types, &deparse_stmt(n)?)?;
    let mut check_option = match protobuf::ViewCheckOption::try_from(s.with_check_option) {
        Ok(protobuf::ViewCheckOption::LocalCheckOption) => Some(CheckOption::Local),
        Ok(protobuf::ViewCheckOption::CascadedCheckOption) => Some(CheckOption::Cascaded),
        _ => None,
    };
    // The names resolve later as now: through this search path, without the session's
    // temporary schema unless the view is temporary itself (another session reading a
    // permanent view must not find this session's temporary tables).
    let temp = |o: &u32| cat.schema_name(*o).starts_with("pg_temp");
    let view_path: Vec<u32> = if temp(&schema) {
        search_path.to_vec()
    } else {
        search_path.iter().copied().filter(|o| !temp(o)).collect()
    };
    let mut options = view_options(&s.options, &mut check_option)?;
    // WITH [LOCAL | CASCADED] CHECK OPTION is the `check_option` reloption too.
    match protobuf::ViewCheckOption::try_from(s.with_check_option) {
        Ok(protobuf::ViewCheckOption::LocalCheckOption) => {
            options.push("check_option=local".into());
        }
        Ok(protobuf::ViewCheckOption::CascadedCheckOption) => {
            options.push("check_option=cascaded".into());
        }
        _ => {}
    }
    let existing = cat.relation_in(schema, &rv.relname);
    if let Some(Relation::View(oid)) = existing
        && s.replace
        && let Some(old) = cat.views.get(&oid)
        && columns.len() >= old.columns.len()
    {
        // The columns kept must keep their types, as in PostgreSQL (a dropped or renamed
        // column is reported first, below).
        let parsed = crate::parse::parse(&old.query, crate::parse::ParseOptions::default())?;
        if let Some(Node::SelectStmt(sel)) = parsed.statements().next().and_then(|s| s.node()) {
            let path = old
                .search_path
                .clone()
                .unwrap_or_else(|| search_path.to_vec());
            let mut b = Binder::new(cat, path, *types);
            let before = b.bind_select(sel)?;
            let shown = |t: &DataType| match t {
                DataType::Unknown => DataType::Text,
                t => t.clone(),
            };
            for (((name, was), now), new_name) in old
                .columns
                .iter()
                .zip(&before.types)
                .zip(&query.types)
                .zip(&columns)
            {
                if name != new_name {
                    break;
                }
                let (was, now) = (shown(was), shown(now));
                if was != now {
                    return Err(err(
                        "42P16",
                        format!(
                            "cannot change data type of view column \"{name}\" from {} to {}",
                            was.format_type(),
                            now.format_type()
                        ),
                    ));
                }
            }
        }
    }
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
                v.search_path = Some(view_path);
                v.options = options;
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
            search_path: Some(view_path),
            options,
            defaults: Vec::new(),
        },
    );
    check_option_allowed(cat, search_path, oid, check_option, types)
}

/// The value of a `WITH (name = value)` option as text (`true` when only named), as
/// `reloptions` holds it.
fn option_text(d: &protobuf::DefElem) -> String {
    match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
        None => "true".to_string(),
        Some(Node::String(s)) => s.sval.clone(),
        Some(Node::Integer(i)) => i.ival.to_string(),
        Some(Node::Float(f)) => f.fval.clone(),
        Some(Node::Boolean(b)) => b.boolval.to_string(),
        Some(Node::TypeName(tn)) => names(&tn.names).join("."),
        Some(_) => String::new(),
    }
}

/// The `WITH (...)` options of CREATE VIEW, checked as PostgreSQL does (22023 for an
/// unknown name or a bad value), in `reloptions` form; `check_option` sets the check option.
pub(crate) fn view_options(
    options: &[protobuf::Node],
    check_option: &mut Option<CheckOption>,
) -> Result<Vec<String>, SqlError> {
    let mut out = Vec::new();
    for o in options {
        let Some(Node::DefElem(d)) = o.node.as_ref() else {
            continue;
        };
        let value = option_text(d);
        match d.defname.as_str() {
            "security_barrier" | "security_invoker" => {
                let v = value.to_ascii_lowercase();
                let ok = ["true", "false", "yes", "no"]
                    .iter()
                    .any(|w| !v.is_empty() && w.starts_with(v.as_str()))
                    || ["on", "off", "1", "0"].contains(&v.as_str());
                if !ok || v == "o" {
                    return Err(err(
                        "22023",
                        format!(
                            "invalid value for boolean option \"{}\": {value}",
                            d.defname
                        ),
                    ));
                }
            }
            "check_option" => {
                *check_option = match value.to_ascii_lowercase().as_str() {
                    "local" => Some(CheckOption::Local),
                    "cascaded" => Some(CheckOption::Cascaded),
                    _ => {
                        return Err(err(
                            "22023",
                            format!("invalid value for enum option \"check_option\": {value}"),
                        )
                        .with_detail("Valid values are \"local\" and \"cascaded\"."));
                    }
                };
            }
            other => {
                return Err(err("22023", format!("unrecognized parameter \"{other}\"")));
            }
        }
        out.push(format!("{}={value}", d.defname));
    }
    Ok(out)
}

/// WITH CHECK OPTION only on automatically updatable views (0A000, with the reason as hint).
pub(crate) fn check_option_allowed(
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
    let mentions = |q: &str| {
        q.split(|c: char| !c.is_alphanumeric() && c != '_')
            .any(|w| w == name)
    };
    // Views, then materialized views (PostgreSQL lists both as dependents).
    cat.views
        .values()
        .filter(|v| mentions(&v.query))
        .map(|v| v.name.clone())
        .chain(
            cat.tables
                .values()
                .filter(|t| t.matview.as_ref().is_some_and(|m| mentions(&m.query)))
                .map(|t| t.name.clone()),
        )
        .collect()
}

/// Drops the materialized views among `names` (dependents of something dropped with
/// CASCADE), with what depends on them: the storage to delete, as `(oid, is_table)`.
pub fn drop_matviews(
    cat: &mut Catalog,
    names: &[String],
    batch: &[u32],
) -> Result<Vec<(u32, bool)>, SqlError> {
    let mut out = Vec::new();
    for n in names {
        let Some(oid) = cat
            .tables
            .values()
            .find(|t| t.matview.is_some() && &t.name == n)
            .map(|t| t.oid)
        else {
            continue;
        };
        out.extend(drop_table(cat, oid, true, batch)?);
        out.push((oid, true));
    }
    Ok(out)
}

/// The views that depend on the relation `name`, directly or through other views (what
/// DROP ... CASCADE drops with it).
pub fn views_depending(cat: &Catalog, name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut todo = vec![name.to_string()];
    while let Some(n) = todo.pop() {
        for v in views_mentioning(cat, &n) {
            if v != name && !out.contains(&v) {
                todo.push(v.clone());
                out.push(v);
            }
        }
    }
    out
}

/// Removes a table and everything owned by it from the catalog (rows are deleted by the
/// caller). `cascade` also drops referencing foreign keys.
/// The columns (table name, column name, whether of the array type) of tables not in `skip`
/// whose type uses table `oid`'s row type: those of the array type first, as PostgreSQL
/// lists a type's dependents.
pub(crate) fn row_type_users(cat: &Catalog, oid: u32, skip: &[u32]) -> Vec<(String, String, bool)> {
    let row_type = crate::catalog::ROW_TYPE_OID_BASE + oid;
    let mut out = Vec::new();
    for array in [true, false] {
        for u in cat.tables.values().filter(|u| !skip.contains(&u.oid)) {
            for c in &u.columns {
                let is_array = matches!(&c.ty, DataType::Array(e) if e.record().is_some_and(|r| r.oid == row_type));
                if crate::usertypes::type_uses(&c.ty, row_type) && is_array == array {
                    out.push((u.name.clone(), c.name.clone(), array));
                }
            }
        }
    }
    out
}

/// DROP TABLE of one table; `batch` lists the tables the same statement drops.
pub fn drop_table(
    cat: &mut Catalog,
    oid: u32,
    cascade: bool,
    batch: &[u32],
) -> Result<Vec<(u32, bool)>, SqlError> {
    let Some(t) = cat.tables.get(&oid).cloned() else {
        return Ok(vec![]);
    };
    // Columns of other tables (and fields of composite types) of this table's row type.
    let row_type = crate::catalog::ROW_TYPE_OID_BASE + oid;
    let skip: Vec<u32> = batch.iter().copied().chain([oid]).collect();
    let mut users: Vec<String> = row_type_users(cat, oid, &skip)
        .into_iter()
        .map(|(table, column, array)| {
            format!(
                "column {column} of table {table} depends on type {}{}",
                t.name,
                if array { "[]" } else { "" }
            )
        })
        .collect();
    for ty in cat.types.values() {
        for f in ty
            .fields
            .iter()
            .filter(|f| crate::usertypes::type_uses(&f.ty, row_type))
        {
            users.push(format!(
                "column {} of composite type {} depends on type {}",
                f.name, ty.name, t.name
            ));
        }
    }
    if !users.is_empty() {
        if cascade {
            return Err(err(
                "0A000",
                format!(
                    "feature not supported: DROP TABLE ... CASCADE of table {} whose row type columns use",
                    t.name
                ),
            ));
        }
        return Err(err(
            "2BP01",
            format!(
                "cannot drop table {} because other objects depend on it",
                t.name
            ),
        )
        .with_detail(users.join("\n"))
        .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
    }
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
    let views: Vec<String> = views_mentioning(cat, &t.name)
        .into_iter()
        .filter(|v| *v != t.name)
        .collect();
    let mut more = Vec::new();
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
        let all = views_depending(cat, &t.name);
        cat.views.retain(|_, v| !all.contains(&v.name));
        cat.tables.remove(&oid);
        more = drop_matviews(cat, &all, batch)?;
        cat.tables.insert(oid, t.clone());
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
    more.extend(idx.into_iter().map(|i| (i, false)));
    Ok(more)
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
