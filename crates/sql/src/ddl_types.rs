//! DDL of enum types and domains: CREATE TYPE ... AS ENUM, ALTER TYPE ... ADD VALUE /
//! RENAME VALUE / RENAME TO, CREATE DOMAIN, ALTER DOMAIN (DROP TYPE / DOMAIN is
//! `ddl::drop_types`). The catalog definitions are in `usertypes.rs`.
//!
//! Enum values carry their label and sort order (`basalt_common::types::enums`), so the two
//! changes that alter what a stored value should say rewrite the rows and index entries of
//! every table with a column of the type: RENAME VALUE, and ADD VALUE when no `real` lies
//! between the new label's neighbours and the labels are renumbered 1, 2, 3, ... first (as
//! PostgreSQL's `RenumberEnumType`). Everything happens in the statement's transaction.

use std::collections::HashMap;
use std::sync::Arc;

use basalt_common::types::enums::sort_between;
use basalt_common::types::{DataType, EnumType, Value};
use basalt_txn::TxnKv;
use pg_query::protobuf::{self, node::Node};

use crate::binder::{names, node_str};
use crate::catalog::Catalog;
use crate::ddl::{creation_schema, deparse_expr, notice};
use crate::error::{Notice, SqlError};
use crate::expr::Expr;
use crate::session::{Session, StatementResult};
use crate::usertypes::{DomainCheck, DomainDef, EnumDef, EnumLabelDef, UserType};

fn err(code: &'static str, msg: impl Into<String>) -> SqlError {
    SqlError::new(code, msg)
}

/// PostgreSQL's NAMEDATALEN - 1.
const MAX_LABEL: usize = 63;

/// (schema OID or None, name) of a qualified type name.
fn split_name(parts: &[String]) -> Result<(Option<&str>, &str), SqlError> {
    match parts {
        [n] => Ok((None, n.as_str())),
        [s, n] => Ok((Some(s.as_str()), n.as_str())),
        [_, s, n] => Ok((Some(s.as_str()), n.as_str())),
        _ => Err(err(
            "42601",
            "improper qualified name (too many dotted names)",
        )),
    }
}

/// The user-defined type a qualified name refers to, looked up through `search_path`.
pub fn find_user_type(
    cat: &Catalog,
    search_path: &[u32],
    parts: &[String],
) -> Result<Option<UserType>, SqlError> {
    let (schema, name) = split_name(parts)?;
    let schemas: Vec<u32> = match schema {
        Some(s) => match cat.schema_oid(s) {
            Some(o) => vec![o],
            None => return Err(err("3F000", format!("schema \"{s}\" does not exist"))),
        },
        None => search_path.to_vec(),
    };
    Ok(schemas.iter().find_map(|s| cat.user_type_in(*s, name)))
}

/// The enum type a name refers to, or PostgreSQL's errors.
fn find_enum(cat: &Catalog, search_path: &[u32], parts: &[String]) -> Result<u32, SqlError> {
    let shown = parts.join(".");
    match find_user_type(cat, search_path, parts)? {
        Some(UserType::Enum(oid)) => Ok(oid),
        Some(_) => Err(err("42809", format!("{shown} is not an enum"))),
        None => Err(err("42704", format!("type \"{shown}\" does not exist"))),
    }
}

fn check_label(label: &str) -> Result<(), SqlError> {
    if label.len() > MAX_LABEL {
        return Err(err("42602", format!("invalid enum label \"{label}\""))
            .with_detail("Labels must be 63 bytes or less."));
    }
    Ok(())
}

/// Where a new type named `name` goes, refusing a name taken by a type or relation.
fn new_type_schema(
    cat: &Catalog,
    search_path: &[u32],
    parts: &[String],
) -> Result<(u32, String), SqlError> {
    let (schema, name) = split_name(parts)?;
    let schema = creation_schema(cat, search_path, schema.unwrap_or(""))?;
    if cat.type_name_taken(schema, name)
        || (schema == crate::catalog::PG_CATALOG_OID && DataType::from_name(name, &[]).is_ok())
    {
        return Err(err("42710", format!("type \"{name}\" already exists")));
    }
    Ok((schema, name.to_string()))
}

/// CREATE TYPE name AS ENUM ('a', 'b', ...).
pub fn create_enum(
    cat: &mut Catalog,
    search_path: &[u32],
    s: &protobuf::CreateEnumStmt,
) -> Result<(), SqlError> {
    let (schema, name) = new_type_schema(cat, search_path, &names(&s.type_name))?;
    let mut labels: Vec<String> = Vec::new();
    for v in &s.vals {
        let label = node_str(v).unwrap_or_default().to_string();
        check_label(&label)?;
        if labels.contains(&label) {
            return Err(err(
                "23505",
                "duplicate key value violates unique constraint \"pg_enum_typid_label_index\"",
            )
            .with_detail(format!(
                "Key (enumtypid, enumlabel)=({}, {label}) already exists.",
                cat.next_oid
            ))
            .with_table("pg_catalog", "pg_enum")
            .with_constraint("pg_enum_typid_label_index"));
        }
        labels.push(label);
    }
    let oid = cat.new_oid();
    let array_oid = cat.new_oid();
    let labels = labels
        .into_iter()
        .enumerate()
        .map(|(i, label)| EnumLabelDef {
            oid: cat.new_oid(),
            sort: (i + 1) as f32,
            label,
        })
        .collect();
    cat.enums.insert(
        oid,
        EnumDef {
            oid,
            array_oid,
            schema,
            name,
            labels,
        },
    );
    Ok(())
}

/// Binds every stored expression of the catalog (table defaults, CHECKs, index expressions
/// and predicates, generated columns, views, domain defaults and CHECKs): the first that no
/// longer binds is the error.
fn check_stored_expressions(
    cat: &Catalog,
    types: &basalt_common::types::TypeContext,
) -> Result<(), SqlError> {
    let scope = crate::binder::Scope::default();
    for t in cat.tables.values() {
        crate::dml::writer_for(cat, t, types)?;
        let mut b = crate::binder::Binder::new(cat, vec![t.schema], *types);
        for c in &t.columns {
            if let Some(d) = &c.default {
                let (e, ty) = crate::dml::bind_text_expr(&mut b, d, &scope)?;
                b.coerce(e, &ty, &c.ty, basalt_common::types::CastContext::Assignment)?;
            }
        }
    }
    for v in cat.views.values() {
        let sql = format!(
            "SELECT * FROM {}.{}",
            crate::parse::quote_identifier(cat.schema_name(v.schema)),
            crate::parse::quote_identifier(&v.name)
        );
        let parsed = crate::parse::parse(&sql, crate::parse::ParseOptions::default())?;
        if let Some(stmt) = parsed.statements().next()
            && let Some(Node::SelectStmt(sel)) = stmt.node()
        {
            let mut b = crate::binder::Binder::new(cat, vec![v.schema], *types);
            b.bind_select(sel)?;
        }
    }
    for d in cat.domains.values() {
        crate::usertypes::DomainChecks::bind(cat, d.oid, types)?;
        if let Some(text) = &d.default {
            let mut b = crate::binder::Binder::new(cat, vec![d.schema], *types);
            let (e, ty) = crate::dml::bind_text_expr(&mut b, text, &scope)?;
            b.coerce(
                e,
                &ty,
                &d.base,
                basalt_common::types::CastContext::Assignment,
            )?;
        }
    }
    Ok(())
}

/// Replaces enum values of type `oid` inside `v` through `map` (old sort order bits → new
/// value).
fn remap_value(v: Value, oid: u32, map: &HashMap<u32, (f32, Arc<str>)>) -> Value {
    match v {
        Value::Enum(mut e) if e.type_oid == oid => {
            if let Some((sort, label)) = map.get(&e.sort.to_bits()) {
                e.sort = *sort;
                e.label = label.clone();
            }
            Value::Enum(e)
        }
        Value::Array(mut a) => {
            a.elements = std::mem::take(&mut a.elements)
                .into_iter()
                .map(|x| remap_value(x, oid, map))
                .collect();
            Value::Array(a)
        }
        Value::Record(mut r) => {
            r.fields = std::mem::take(&mut r.fields)
                .into_iter()
                .map(|x| remap_value(x, oid, map))
                .collect();
            Value::Record(r)
        }
        v => v,
    }
}

impl<K: TxnKv> Session<K> {
    /// DROP TYPE / DROP DOMAIN. With CASCADE, the table columns of the dropped enum types
    /// and domains are dropped first (as ALTER TABLE ... DROP COLUMN), as PostgreSQL does.
    pub(crate) fn drop_user_types(
        &mut self,
        s: &protobuf::DropStmt,
        notices: &mut Vec<Notice>,
    ) -> Result<(), SqlError> {
        let mut cat = self.catalog_for_update()?;
        let sp = self.search_path_oids(&cat);
        let mut changed = false;
        if s.behavior == protobuf::DropBehavior::DropCascade as i32 {
            let mut dropped = Vec::new();
            for obj in &s.objects {
                let Some(Node::TypeName(tn)) = obj.node.as_ref() else {
                    continue;
                };
                let oid = match find_user_type(&cat, &sp, &names(&tn.names))? {
                    Some(UserType::Enum(o) | UserType::Domain(o)) => o,
                    _ => continue,
                };
                // Domains over this one (transitively) go too, with their columns.
                let mut chain = vec![oid];
                let mut i = 0;
                while i < chain.len() {
                    let p = chain[i];
                    chain.extend(
                        cat.domains
                            .values()
                            .filter(|d| {
                                !chain.contains(&d.oid)
                                    && d.parent.is_some_and(|x| {
                                        x == p
                                            || cat
                                                .domains
                                                .get(&p)
                                                .is_some_and(|pd| pd.array_oid == x)
                                    })
                            })
                            .map(|d| d.oid)
                            .collect::<Vec<_>>(),
                    );
                    i += 1;
                }
                let uses = |c: &crate::catalog::Column| {
                    c.domain.is_some_and(|d| {
                        chain.contains(&d)
                            || cat
                                .domain_of_array(d)
                                .is_some_and(|e| chain.contains(&e.oid))
                    }) || (c.domain.is_none() && crate::usertypes::type_uses(&c.ty, oid))
                };
                let cols: Vec<(u32, String, String)> = cat
                    .tables
                    .values()
                    .flat_map(|t| {
                        t.columns
                            .iter()
                            .filter(|c| uses(c))
                            .map(|c| (t.oid, t.name.clone(), c.name.clone()))
                            .collect::<Vec<_>>()
                    })
                    .collect();
                for (t, tname, c) in cols {
                    self.drop_column(&mut cat, t, &c, false, true, &mut Vec::new())?;
                    dropped.push(format!("column {c} of table {tname}"));
                    changed = true;
                }
                for d in chain.into_iter().skip(1) {
                    if let Some(def) = cat.domains.remove(&d) {
                        dropped.push(format!("type {}", def.name));
                        changed = true;
                    }
                }
            }
            match dropped.len() {
                0 => {}
                1 => notices.push(notice(format!("drop cascades to {}", dropped[0]))),
                n => {
                    let mut nt = notice(format!("drop cascades to {n} other objects"));
                    nt.detail = Some(
                        dropped
                            .iter()
                            .map(|d| format!("drop cascades to {d}"))
                            .collect::<Vec<_>>()
                            .join("\n"),
                    );
                    notices.push(nt);
                }
            }
        }
        changed |= crate::ddl::drop_types(&mut cat, &sp, s, notices)?;
        if changed {
            self.store_catalog(cat)?;
        }
        Ok(())
    }

    /// ALTER TYPE name ADD VALUE / RENAME VALUE.
    pub(crate) fn alter_enum(
        &mut self,
        s: &protobuf::AlterEnumStmt,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        let mut cat = self.catalog_for_update()?;
        let sp = self.search_path_oids(&cat);
        let oid = find_enum(&cat, &sp, &names(&s.type_name))?;
        let Some(def) = cat.enums.get(&oid).cloned() else {
            return Err(err("XX000", "enum type vanished"));
        };
        let find = |label: &str| def.labels.iter().position(|l| l.label == label);
        let mut def = def.clone();
        // Old sort order → new (sort, label) for the stored values that change.
        let mut changed: HashMap<u32, (f32, Arc<str>)> = HashMap::new();
        if !s.old_val.is_empty() {
            let Some(i) = find(&s.old_val) else {
                return Err(err(
                    "22023",
                    format!("\"{}\" is not an existing enum label", s.old_val),
                ));
            };
            if find(&s.new_val).is_some() {
                return Err(err(
                    "42710",
                    format!("enum label \"{}\" already exists", s.new_val),
                ));
            }
            check_label(&s.new_val)?;
            def.labels[i].label.clone_from(&s.new_val);
            changed.insert(
                def.labels[i].sort.to_bits(),
                (def.labels[i].sort, Arc::from(s.new_val.as_str())),
            );
        } else {
            check_label(&s.new_val)?;
            if find(&s.new_val).is_some() {
                if s.skip_if_new_val_exists {
                    notices.push(notice(format!(
                        "enum label \"{}\" already exists, skipping",
                        s.new_val
                    )));
                    return Ok(StatementResult::tag("ALTER TYPE"));
                }
                return Err(err(
                    "42710",
                    format!("enum label \"{}\" already exists", s.new_val),
                ));
            }
            // The position the new label takes.
            let at = if s.new_val_neighbor.is_empty() {
                def.labels.len()
            } else {
                let Some(n) = find(&s.new_val_neighbor) else {
                    return Err(err(
                        "22023",
                        format!("\"{}\" is not an existing enum label", s.new_val_neighbor),
                    ));
                };
                if s.new_val_is_after { n + 1 } else { n }
            };
            let bounds = |labels: &[EnumLabelDef]| {
                (
                    at.checked_sub(1).map(|i| labels[i].sort),
                    labels.get(at).map(|l| l.sort),
                )
            };
            let (lo, hi) = bounds(&def.labels);
            let sort = match sort_between(lo, hi) {
                Some(v) => v,
                None => {
                    for (i, l) in def.labels.iter_mut().enumerate() {
                        let new = (i + 1) as f32;
                        if l.sort != new {
                            changed.insert(l.sort.to_bits(), (new, Arc::from(l.label.as_str())));
                        }
                        l.sort = new;
                    }
                    let (lo, hi) = bounds(&def.labels);
                    sort_between(lo, hi)
                        .ok_or_else(|| err("XX000", "no sort order for the new enum label"))?
                }
            };
            let label_oid = cat.new_oid();
            def.labels.insert(
                at,
                EnumLabelDef {
                    oid: label_oid,
                    sort,
                    label: s.new_val.clone(),
                },
            );
        }
        cat.enums.insert(oid, def);
        cat.resolve_composites();
        if !s.old_val.is_empty() {
            // Stored expressions keep labels as text: refuse a rename that would break one.
            check_stored_expressions(&cat, &self.type_context()).map_err(|e| {
                err(
                    "0A000",
                    format!(
                        "feature not supported: renaming enum label \"{}\" that a stored expression uses",
                        s.old_val
                    ),
                )
                .with_detail(e.message().to_string())
            })?;
        }
        if !changed.is_empty() {
            let tables: Vec<u32> = {
                let mut v: Vec<u32> = cat
                    .columns_using_type(oid)
                    .into_iter()
                    .map(|(t, _, _)| t)
                    .collect();
                v.dedup();
                v
            };
            let snapshot = cat.clone();
            self.with_cx(&snapshot, &[], |cx| {
                for t in tables {
                    crate::ddl_alter::rewrite_table(cx, &snapshot, t, &mut |row, _| {
                        Ok(row
                            .into_iter()
                            .map(|v| remap_value(v, oid, &changed))
                            .collect())
                    })?;
                }
                Ok(())
            })?;
        }
        self.store_catalog(cat)?;
        Ok(StatementResult::tag("ALTER TYPE"))
    }

    /// CREATE DOMAIN name AS type [DEFAULT ...] [NOT NULL | NULL] [CHECK (...)] ...
    pub(crate) fn create_domain(
        &mut self,
        s: &protobuf::CreateDomainStmt,
    ) -> Result<StatementResult, SqlError> {
        let mut cat = self.catalog_for_update()?;
        let sp = self.search_path_oids(&cat);
        let (schema, name) = new_type_schema(&cat, &sp, &names(&s.domainname))?;
        let Some(tn) = &s.type_name else {
            return Err(err("42601", "CREATE DOMAIN without a type"));
        };
        // PostgreSQL reports a missing base type without a position.
        let base =
            crate::binder::resolve_type_in(&cat, &sp, tn).map_err(SqlError::without_position)?;
        let parent = crate::binder::domain_of(&cat, &sp, tn);
        if matches!(
            base,
            DataType::Record(_) | DataType::Reg(_) | DataType::Unknown
        ) {
            return Err(err(
                "0A000",
                format!(
                    "feature not supported: domains over type {}",
                    base.format_type()
                ),
            ));
        }
        let oid = cat.new_oid();
        let array_oid = cat.new_oid();
        let mut def = DomainDef {
            oid,
            array_oid,
            schema,
            name,
            base,
            not_null: false,
            default: None,
            checks: Vec::new(),
            parent,
        };
        let mut saw_null = None;
        for c in &s.constraints {
            let Some(Node::Constraint(con)) = c.node.as_ref() else {
                continue;
            };
            match protobuf::ConstrType::try_from(con.contype) {
                Ok(protobuf::ConstrType::ConstrNotnull) => {
                    if saw_null == Some(false) {
                        return Err(err("42601", "conflicting NULL/NOT NULL constraints"));
                    }
                    saw_null = Some(true);
                    def.not_null = true;
                }
                Ok(protobuf::ConstrType::ConstrNull) => {
                    if saw_null == Some(true) {
                        return Err(err("42601", "conflicting NULL/NOT NULL constraints"));
                    }
                    saw_null = Some(false);
                }
                Ok(protobuf::ConstrType::ConstrDefault) => {
                    if def.default.is_some() {
                        return Err(err("42601", "multiple default expressions"));
                    }
                    let Some(e) = con.raw_expr.as_deref() else {
                        continue;
                    };
                    let text = deparse_expr(e)?;
                    self.check_domain_default(&cat, &def.base, &text)?;
                    def.default = Some(text);
                }
                Ok(protobuf::ConstrType::ConstrCheck) => {
                    let check = self.domain_check(&mut cat, &def, con)?;
                    def.checks.push(check);
                }
                _ => return Err(domain_constraint_refused(con.contype)),
            }
        }
        cat.domains.insert(oid, def);
        self.store_catalog(cat)?;
        Ok(StatementResult::tag("CREATE DOMAIN"))
    }

    /// A default must convert to the base type.
    fn check_domain_default(
        &self,
        cat: &Catalog,
        base: &DataType,
        text: &str,
    ) -> Result<(), SqlError> {
        let scope = crate::binder::Scope::default();
        let mut b =
            crate::binder::Binder::new(cat, self.search_path_oids(cat), self.type_context());
        let (e, t) = crate::dml::bind_text_expr(&mut b, text, &scope)?;
        b.coerce(e, &t, base, basalt_common::types::CastContext::Assignment)?;
        Ok(())
    }

    /// A CHECK constraint of a domain, bound over `VALUE` to check it; named
    /// `<domain>_check` (numbered on collisions) unless given a name.
    fn domain_check(
        &self,
        cat: &mut Catalog,
        def: &DomainDef,
        con: &protobuf::Constraint,
    ) -> Result<DomainCheck, SqlError> {
        let Some(e) = con.raw_expr.as_deref() else {
            return Err(err("42601", "CHECK without an expression"));
        };
        let text = upper_value(&deparse_expr(e)?);
        let scope = crate::usertypes::value_scope(&def.base);
        let mut b =
            crate::binder::Binder::new(cat, self.search_path_oids(cat), self.type_context());
        let (_, t) = crate::dml::bind_text_expr(&mut b, &text, &scope)?;
        if t != DataType::Bool {
            return Err(err(
                "42804",
                format!(
                    "argument of CHECK must be type boolean, not type {}",
                    t.format_type()
                ),
            ));
        }
        let name = if con.conname.is_empty() {
            let base = crate::ddl::make_object_name(&def.name, None, "check");
            let mut name = base.clone();
            let mut n = 0;
            while def.checks.iter().any(|c| c.name == name) {
                n += 1;
                name = crate::ddl::make_object_name(&def.name, None, &format!("check{n}"));
            }
            name
        } else {
            if def.checks.iter().any(|c| c.name == con.conname) {
                return Err(err(
                    "42710",
                    format!(
                        "constraint \"{}\" for domain \"{}\" already exists",
                        con.conname, def.name
                    ),
                ));
            }
            con.conname.clone()
        };
        Ok(DomainCheck {
            oid: cat.new_oid(),
            name,
            expr: text,
        })
    }

    /// ALTER DOMAIN.
    pub(crate) fn alter_domain(
        &mut self,
        s: &protobuf::AlterDomainStmt,
        notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        let mut cat = self.catalog_for_update()?;
        let sp = self.search_path_oids(&cat);
        let parts = names(&s.type_name);
        let shown = parts.join(".");
        let oid = match find_user_type(&cat, &sp, &parts)? {
            Some(UserType::Domain(oid)) => oid,
            Some(_) => return Err(err("42809", format!("{shown} is not a domain"))),
            None => return Err(err("42704", format!("type \"{shown}\" does not exist"))),
        };
        let Some(mut def) = cat.domains.get(&oid).cloned() else {
            return Err(err("XX000", "domain vanished"));
        };
        // What existing column values must now satisfy.
        let mut verify_not_null = false;
        let mut verify_check: Option<DomainCheck> = None;
        match s.subtype.as_str() {
            "T" => {
                def.default = match s.def.as_deref() {
                    Some(d) => {
                        let text = deparse_expr(d)?;
                        self.check_domain_default(&cat, &def.base, &text)?;
                        Some(text)
                    }
                    None => None,
                };
            }
            "N" => def.not_null = false,
            "O" => {
                verify_not_null = !def.not_null;
                def.not_null = true;
            }
            "C" => {
                let Some(Node::Constraint(con)) = s.def.as_deref().and_then(|d| d.node.as_ref())
                else {
                    return Err(err("42601", "ADD CONSTRAINT without a constraint"));
                };
                match protobuf::ConstrType::try_from(con.contype) {
                    Ok(protobuf::ConstrType::ConstrCheck) => {
                        let c = self.domain_check(&mut cat, &def, con)?;
                        if !con.skip_validation {
                            verify_check = Some(c.clone());
                        }
                        def.checks.push(c);
                    }
                    Ok(protobuf::ConstrType::ConstrNotnull) => {
                        verify_not_null = !def.not_null;
                        def.not_null = true;
                    }
                    _ => return Err(domain_constraint_refused(con.contype)),
                }
            }
            "X" => {
                let before = def.checks.len();
                def.checks.retain(|c| c.name != s.name);
                if def.checks.len() == before {
                    if s.missing_ok {
                        notices.push(notice(format!(
                            "constraint \"{}\" of domain \"{}\" does not exist, skipping",
                            s.name, def.name
                        )));
                    } else {
                        return Err(err(
                            "42704",
                            format!(
                                "constraint \"{}\" of domain \"{}\" does not exist",
                                s.name, def.name
                            ),
                        ));
                    }
                }
            }
            "V" => {
                if !def.checks.iter().any(|c| c.name == s.name) {
                    return Err(err(
                        "42704",
                        format!(
                            "constraint \"{}\" of domain \"{}\" does not exist",
                            s.name, def.name
                        ),
                    ));
                }
            }
            other => {
                return Err(err(
                    "0A000",
                    format!("feature not supported: ALTER DOMAIN subcommand {other}"),
                ));
            }
        }
        cat.domains.insert(oid, def);
        if verify_not_null || verify_check.is_some() {
            self.verify_domain_columns(&cat, oid, verify_not_null, verify_check)?;
        }
        self.store_catalog(cat)?;
        Ok(StatementResult::tag("ALTER DOMAIN"))
    }

    /// Checks the stored values of every column of domain `oid` against a new NOT NULL or
    /// CHECK, with PostgreSQL's messages.
    fn verify_domain_columns(
        &mut self,
        cat: &Catalog,
        oid: u32,
        not_null: bool,
        check: Option<DomainCheck>,
    ) -> Result<(), SqlError> {
        let types = self.type_context();
        let check = match &check {
            Some(c) => {
                let scope = crate::usertypes::value_scope(
                    &cat.domains
                        .get(&oid)
                        .map(|d| d.base.clone())
                        .unwrap_or(DataType::Text),
                );
                let mut b =
                    crate::binder::Binder::new(cat, vec![crate::catalog::PUBLIC_OID], types);
                Some(crate::dml::bind_text_expr(&mut b, &c.expr, &scope)?.0)
            }
            None => None,
        };
        // (table, column, whether the column is an array of the domain: elements checked)
        let cols: Vec<(u32, usize, bool)> = cat
            .tables
            .values()
            .flat_map(|t| {
                t.columns
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.domain.is_some_and(|d| cat.domain_is_over(d, oid)))
                    .map(move |(i, c)| {
                        let array = c.domain.is_some_and(|d| cat.domain_of_array(d).is_some());
                        (t.oid, i, array)
                    })
            })
            .collect();
        if cols.is_empty() {
            return Ok(());
        }
        // As PostgreSQL 15, a constraint is not added under a column of an array type.
        if let Some((t, i, _)) = cols.iter().find(|c| c.2) {
            let table = &cat.tables[t];
            return Err(err(
                "0A000",
                format!(
                    "cannot alter type \"{}\" because column \"{}.{}\" uses it",
                    cat.domains.get(&oid).map_or("", |d| d.name.as_str()),
                    table.name,
                    table.columns[*i].name
                ),
            ));
        }
        self.with_cx(cat, &[], |cx| {
            for (t, i, array) in cols {
                let table = &cat.tables[&t];
                let rows = crate::ddl_alter::table_rows(cx, t)?;
                let values = rows.into_iter().flat_map(|row| {
                    let v = row.get(i).cloned().unwrap_or(Value::Null);
                    match v {
                        Value::Array(a) if array => a.elements,
                        // A NULL array has no elements to check.
                        Value::Null if array => Vec::new(),
                        v => vec![v],
                    }
                });
                for v in values {
                    let col = &table.columns[i].name;
                    if not_null && v.is_null() {
                        return Err(err(
                            "23502",
                            format!(
                                "column \"{col}\" of table \"{}\" contains null values",
                                table.name
                            ),
                        )
                        .in_table(cat, table)
                        .with_column(col));
                    }
                    if let Some(e) = &check
                        && let Value::Bool(false) = crate::expr::eval(e, &[v], cx)?
                    {
                        return Err(err(
                            "23514",
                            format!(
                                "column \"{col}\" of table \"{}\" contains values that violate the new constraint",
                                table.name
                            ),
                        )
                        .in_table(cat, table)
                        .with_column(col));
                    }
                }
            }
            Ok(())
        })
    }

    /// ALTER TYPE / DOMAIN name RENAME TO new.
    pub(crate) fn rename_user_type(
        &mut self,
        s: &protobuf::RenameStmt,
        domain: bool,
    ) -> Result<StatementResult, SqlError> {
        let tagname = if domain { "ALTER DOMAIN" } else { "ALTER TYPE" };
        let mut cat = self.catalog_for_update()?;
        let sp = self.search_path_oids(&cat);
        let parts: Vec<String> = match s.object.as_deref().and_then(|o| o.node.as_ref()) {
            Some(Node::List(l)) => names(&l.items),
            Some(Node::TypeName(tn)) => names(&tn.names),
            _ => return Err(err("42601", "RENAME without a name")),
        };
        let shown = parts.join(".");
        let found = find_user_type(&cat, &sp, &parts)?;
        let schema_of = |o: u32| {
            cat.enums
                .get(&o)
                .map(|e| e.schema)
                .or_else(|| cat.domains.get(&o).map(|d| d.schema))
                .or_else(|| cat.types.get(&o).map(|t| t.schema))
                .unwrap_or(0)
        };
        let (schema, kind) = match found {
            Some(UserType::Enum(o)) if !domain => (schema_of(o), UserType::Enum(o)),
            Some(UserType::Domain(o)) => (schema_of(o), UserType::Domain(o)),
            Some(UserType::Composite(o)) if !domain => (schema_of(o), UserType::Composite(o)),
            Some(_) => return Err(err("42809", format!("\"{shown}\" is not a domain"))),
            None if s.missing_ok => return Ok(StatementResult::tag(tagname)),
            None => return Err(err("42704", format!("type \"{shown}\" does not exist"))),
        };
        if cat.type_name_taken(schema, &s.newname) {
            return Err(err(
                "42710",
                format!("type \"{}\" already exists", s.newname),
            ));
        }
        match kind {
            UserType::Enum(o) => {
                if let Some(e) = cat.enums.get_mut(&o) {
                    e.name.clone_from(&s.newname);
                }
            }
            UserType::Domain(o) => {
                if let Some(d) = cat.domains.get_mut(&o) {
                    d.name.clone_from(&s.newname);
                }
            }
            UserType::Composite(o) => {
                if let Some(t) = cat.types.get_mut(&o) {
                    t.name.clone_from(&s.newname);
                }
            }
        }
        cat.resolve_composites();
        self.store_catalog(cat)?;
        Ok(StatementResult::tag(tagname))
    }
}

/// The deparsed CHECK of a domain with its `value` references spelled `VALUE`, as
/// PostgreSQL prints them (identifiers outside quotes only).
fn upper_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let mut i = 0;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if c == '\'' || c == '"' {
            quote = Some(c);
            out.push(c);
            i += 1;
            continue;
        }
        let word: String = chars[i..].iter().take_while(|c| ident(**c)).collect();
        if word.is_empty() {
            out.push(c);
            i += 1;
            continue;
        }
        let before_dot = i > 0 && chars[i - 1] == '.';
        if word == "value" && !before_dot {
            out.push_str("VALUE");
        } else {
            out.push_str(&word);
        }
        i += word.chars().count();
    }
    out
}

/// The enum support functions that need the type's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumFn {
    /// `enum_first`.
    First,
    /// `enum_last`.
    Last,
    /// `enum_range(lo, hi)`.
    Range,
}

/// Evaluates an [`EnumFn`] of type `t` (`lo`, `hi`: `enum_range`'s bounds; a NULL bound is
/// open).
pub fn eval_enum_fn(k: EnumFn, t: &EnumType, lo: &Value, hi: &Value) -> Result<Value, SqlError> {
    let end = match k {
        EnumFn::First => t.labels.first(),
        EnumFn::Last => t.labels.last(),
        EnumFn::Range => return Ok(enum_range(t, lo, hi)),
    };
    end.map(|l| Value::Enum(t.value(l)))
        .ok_or_else(|| err("55000", format!("enum {} contains no values", t.name)))
}

/// `enum_range(lo, hi)` of type `t`: its labels from `lo` to `hi` (a NULL bound is open).
pub fn enum_range(t: &EnumType, lo: &Value, hi: &Value) -> Value {
    let sort = |v: &Value| match v {
        Value::Enum(e) => Some(e.sort),
        _ => None,
    };
    let (lo, hi) = (sort(lo), sort(hi));
    let elements = t
        .labels
        .iter()
        .filter(|l| lo.is_none_or(|s| l.sort >= s) && hi.is_none_or(|s| l.sort <= s))
        .map(|l| Value::Enum(t.value(l)))
        .collect();
    Value::array(DataType::Enum(Arc::new(t.clone())), elements)
}

/// `enum_first(x)`, `enum_last(x)`, `enum_range(x)` and `enum_range(lo, hi)`: the argument
/// gives the type (its value is not used, except as `enum_range`'s bounds).
pub fn bind_enum_function(
    name: &str,
    args: &[Expr],
    types: &[DataType],
) -> Result<Option<(Expr, DataType)>, SqlError> {
    let t = match types {
        [DataType::Enum(t)] => t.clone(),
        [DataType::Enum(a), DataType::Enum(b)] if a.oid == b.oid => a.clone(),
        [DataType::Enum(t), DataType::Unknown] | [DataType::Unknown, DataType::Enum(t)]
            if name == "enum_range" =>
        {
            t.clone()
        }
        _ => return Ok(None),
    };
    let ty = DataType::Enum(t.clone());
    let array = DataType::Array(Box::new(ty.clone()));
    let null = || Box::new(Expr::Const(Value::Null));
    Ok(Some(match (name, args) {
        // Raised when the call runs, as in PostgreSQL (no position).
        ("enum_first" | "enum_last", [_]) if t.labels.is_empty() => {
            let k = if name == "enum_first" {
                EnumFn::First
            } else {
                EnumFn::Last
            };
            (Expr::EnumFn(k, null(), null(), t), ty)
        }
        ("enum_first", [_]) => (
            Expr::Const(eval_enum_fn(EnumFn::First, &t, &Value::Null, &Value::Null)?),
            ty,
        ),
        ("enum_last", [_]) => (
            Expr::Const(eval_enum_fn(EnumFn::Last, &t, &Value::Null, &Value::Null)?),
            ty,
        ),
        ("enum_range", [_]) => (
            Expr::Const(enum_range(&t, &Value::Null, &Value::Null)),
            array,
        ),
        ("enum_range", [a, b]) => {
            // An untyped NULL bound is open; other literals are labels.
            let bound = |e: &Expr| -> Result<Expr, SqlError> {
                Ok(match e {
                    Expr::Const(Value::Text(s)) => Expr::Const(Value::Enum(t.parse(s)?)),
                    e => e.clone(),
                })
            };
            match (bound(a)?, bound(b)?) {
                (Expr::Const(lo), Expr::Const(hi)) => {
                    (Expr::Const(enum_range(&t, &lo, &hi)), array)
                }
                (lo, hi) => (
                    Expr::EnumFn(EnumFn::Range, Box::new(lo), Box::new(hi), t),
                    array,
                ),
            }
        }
        _ => return Ok(None),
    }))
}

/// The error for a constraint kind a domain cannot have, as PostgreSQL words it.
fn domain_constraint_refused(contype: i32) -> SqlError {
    use protobuf::ConstrType as C;
    let what = match C::try_from(contype) {
        Ok(C::ConstrUnique) => "unique",
        Ok(C::ConstrPrimary) => "primary key",
        Ok(C::ConstrForeign) => "foreign key",
        Ok(C::ConstrExclusion) => "exclusion",
        Ok(
            C::ConstrAttrDeferrable
            | C::ConstrAttrNotDeferrable
            | C::ConstrAttrDeferred
            | C::ConstrAttrImmediate,
        ) => {
            return err(
                "0A000",
                "specifying constraint deferrability not supported for domains",
            );
        }
        _ => {
            return err(
                "0A000",
                "feature not supported: this constraint on a domain",
            );
        }
    };
    err(
        "42601",
        format!("{what} constraints not possible for domains"),
    )
}
