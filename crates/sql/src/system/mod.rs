//! System functions that need the session or catalog (`version()`, `pg_typeof`,
//! `current_schema()`, `format_type`, `pg_get_indexdef`, ...) and the virtual relations of
//! `pg_catalog` and `information_schema`.
//!
//! # Virtual relations
//!
//! `pg_class`, `pg_attribute`, `information_schema.columns` and the rest are not stored: when
//! a statement names one, [`virtual_table`] computes its rows from the statement's
//! [`Catalog`](crate::catalog::Catalog) snapshot and hands the binder a `VALUES` plan of
//! constants. They are therefore exactly as transactional as the catalog (a transaction sees
//! its own uncommitted DDL) and cost nothing until used. Name resolution follows PostgreSQL:
//! `pg_catalog` is searched first unless the search path lists it explicitly, so an
//! unqualified `pg_class` is the catalog's even if `public` has a table of that name;
//! `information_schema` relations need qualification unless that schema is on the path.
//!
//! The relations list the virtual relations themselves (with PostgreSQL 15's fixed OIDs), then
//! the user's tables, indexes, sequences and views. Types: `oid` is `bigint` (PostgreSQL's is
//! unsigned 32-bit); `name`, `"char"`, `int2vector` and `oidvector` are PostgreSQL's (rows
//! are normalized to them by [`tables::T::normalize`]); see [`tables`] for the full mapping.
//!
//! # Functions
//!
//! [`bind_system_function`] folds a call with constant arguments to its value, and turns a
//! call over columns (`pg_table_is_visible(c.oid)`) into a `CASE` over the catalog's objects,
//! so evaluation needs no catalog access.
//!
//! # Invariants
//!
//! Every row a virtual relation produces has exactly as many values as it has columns, each
//! of the column's type or NULL (checked by the unit test below for an empty catalog and by
//! `tests/catalog.rs` for a populated one).

pub mod check;
mod functions;
pub mod reg;
mod roles;
mod ruleutils;
pub mod sizes;
pub mod tables;

use basalt_common::types::{DataType, Value};
use pg_query::protobuf;

use crate::binder::{Binder, Query};
use crate::catalog::{INFORMATION_SCHEMA_OID, PG_CATALOG_OID};
use crate::error::SqlError;
use crate::expr::Expr;
use crate::plan::Plan;

pub use functions::{format_type, resolve_type, split_name};

/// A default expression of type `ty` that refers to no table (a function parameter's) as
/// PostgreSQL prints it.
pub fn default_expr_text(text: &str, ty: &DataType) -> String {
    ruleutils::expr_text(
        &crate::catalog::Catalog::default(),
        None,
        text,
        Some(ty),
        false,
    )
}
pub use reg::{RegCatalog, RegMap};
pub use tables::{Ctx, T, VRel};

/// The session's SQL prepared statements by name (`pg_prepared_statements`).
pub(crate) type Prepared =
    std::collections::HashMap<String, std::sync::Arc<crate::engine::SqlPrepared>>;

/// The server version string PostgreSQL clients see.
pub const VERSION: &str = "PostgreSQL 15.0 (Basalt 0.1.0) on x86_64-pc-linux-gnu, 64-bit";

/// The context the virtual relations and functions are computed in.
pub(crate) fn ctx<'c>(b: &Binder<'c>) -> Ctx<'c> {
    let mut path = b.search_path.clone();
    if !path.contains(&PG_CATALOG_OID) {
        path.insert(0, PG_CATALOG_OID);
    }
    Ctx {
        cat: b.catalog,
        path,
        session_path: b.search_path.clone(),
        types: b.types,
        cursors: b.cursors,
        prepared: b.prepared,
    }
}

/// Binds a call to a function that needs the binder's context; `None` if `name` is not one.
pub fn bind_system_function(
    b: &mut Binder<'_>,
    name: &str,
    args: &[Expr],
    types: &[DataType],
) -> Result<Option<(Expr, DataType)>, SqlError> {
    let text = |s: &str| Some((Expr::Const(Value::Text(s.to_string())), DataType::Text));
    let name_ = |s: &str| Some((Expr::Const(Value::Text(s.to_string())), DataType::Name));
    Ok(match (name, args.len()) {
        ("version", 0) => text(VERSION),
        ("current_database" | "current_catalog", 0) => name_(b.catalog.database_name()),
        ("current_user" | "session_user" | "user" | "current_role", 0) => {
            let default = crate::settings::Identity::default();
            let id = b.settings.map_or(&default, |s| s.identity());
            let user = if name == "session_user" {
                (id.session_user.0, &*id.session_user.1)
            } else {
                id.current_user()
            };
            name_(&crate::roles::user_name(b.catalog, user))
        }
        ("current_schema", 0) => {
            let s = b
                .search_path
                .first()
                .map(|s| b.catalog.schema_name(*s).to_string());
            Some((
                Expr::Const(s.map_or(Value::Null, Value::Text)),
                DataType::Name,
            ))
        }
        // A value cast to a domain is of the domain's type.
        ("pg_typeof", 1) if matches!(&args[0], Expr::DomainCheck(..)) => {
            let Expr::DomainCheck(_, d) = &args[0] else {
                return Ok(None);
            };
            let shown = b.catalog.domains.get(&d.oid).map_or_else(
                || d.name.clone(),
                |x| b.catalog.qualified_type_name(x.schema, &x.name),
            );
            Some((
                Expr::Const(Value::Reg(
                    basalt_common::types::RegKind::Type,
                    d.oid,
                    shown.into(),
                )),
                DataType::Reg(basalt_common::types::RegKind::Type),
            ))
        }
        ("pg_typeof", 1) => {
            let t = match &types[0] {
                DataType::Unknown => "unknown".to_string(),
                // A regtype prints without type modifiers, and blank-padded char as
                // `character` (format_type_be).
                DataType::Bpchar(_) => "character".to_string(),
                DataType::Array(e) if matches!(**e, DataType::Bpchar(_)) => {
                    "character[]".to_string()
                }
                t => t.without_typmod().format_type(),
            };
            // pg_typeof returns regtype.
            Some((
                Expr::Const(Value::Reg(
                    basalt_common::types::RegKind::Type,
                    types[0].oid(),
                    t.into(),
                )),
                DataType::Reg(basalt_common::types::RegKind::Type),
            ))
        }
        ("enum_first" | "enum_last" | "enum_range", 1 | 2) => {
            return crate::ddl_types::bind_enum_function(name, args, types);
        }
        ("pg_backend_pid", 0) => Some((Expr::Const(Value::Int4(b.process_id)), DataType::Int4)),
        _ => {
            let c = ctx(b);
            functions::bind(b, &c, name, args, types)?
        }
    })
}

/// A function's parameters as PostgreSQL names them, each with its default (if it has one).
pub type NamedParams = Vec<(&'static str, Option<Value>)>;

/// The parameter lists (one per overload) of the built-in functions whose parameters have
/// names in PostgreSQL 15 (`pg_proc.proargnames`), for calls with named arguments.
pub fn named_params(name: &str) -> Vec<NamedParams> {
    let i = |n: &'static str| (n, None);
    let zero = |n: &'static str| (n, Some(Value::Int4(0)));
    let jsonb =
        |s: &str| basalt_common::types::json::parse_jsonb(s).map_or(Value::Null, Value::Jsonb);
    match name {
        "make_interval" => vec![vec![
            zero("years"),
            zero("months"),
            zero("weeks"),
            zero("days"),
            zero("hours"),
            zero("mins"),
            ("secs", Some(Value::Float8(0.0))),
        ]],
        "make_date" => vec![vec![i("year"), i("month"), i("day")]],
        "make_time" => vec![vec![i("hour"), i("min"), i("sec")]],
        "make_timestamp" => vec![vec![
            i("year"),
            i("month"),
            i("mday"),
            i("hour"),
            i("min"),
            i("sec"),
        ]],
        "make_timestamptz" => vec![
            vec![
                i("year"),
                i("month"),
                i("mday"),
                i("hour"),
                i("min"),
                i("sec"),
            ],
            vec![
                i("year"),
                i("month"),
                i("mday"),
                i("hour"),
                i("min"),
                i("sec"),
                i("timezone"),
            ],
        ],
        "jsonb_set" => vec![vec![
            i("jsonb_in"),
            i("path"),
            i("replacement"),
            ("create_if_missing", Some(Value::Bool(true))),
        ]],
        "jsonb_insert" => vec![vec![
            i("jsonb_in"),
            i("path"),
            i("replacement"),
            ("insert_after", Some(Value::Bool(false))),
        ]],
        "parse_ident" => vec![vec![i("str"), ("strict", Some(Value::Bool(true)))]],
        "json_each" | "json_each_text" | "jsonb_each" | "jsonb_each_text" => {
            vec![vec![i("from_json")]]
        }
        "jsonb_path_query"
        | "jsonb_path_query_array"
        | "jsonb_path_query_first"
        | "jsonb_path_exists"
        | "jsonb_path_match"
        | "jsonb_path_query_tz"
        | "jsonb_path_query_array_tz"
        | "jsonb_path_query_first_tz"
        | "jsonb_path_exists_tz"
        | "jsonb_path_match_tz" => vec![vec![
            i("target"),
            i("path"),
            ("vars", Some(jsonb("{}"))),
            ("silent", Some(Value::Bool(false))),
        ]],
        _ => Vec::new(),
    }
}

/// The virtual relation a (possibly qualified) name finds, if any.
pub fn resolve(ctx: &Ctx<'_>, schema: &str, name: &str) -> Option<&'static VRel> {
    match schema {
        "pg_catalog" => tables::find(PG_CATALOG_OID, name),
        "information_schema" => tables::find(INFORMATION_SCHEMA_OID, name),
        "" => {
            for s in &ctx.path {
                if *s == PG_CATALOG_OID || *s == INFORMATION_SCHEMA_OID {
                    if let Some(r) = tables::find(*s, name) {
                        return Some(r);
                    }
                } else if ctx.cat.relation_in(*s, name).is_some() {
                    return None;
                }
            }
            None
        }
        _ => None,
    }
}

/// A relation of `pg_catalog` / `information_schema` by name, as a query with column names;
/// `None` if `rv` names no virtual relation.
pub fn virtual_table(
    b: &mut Binder<'_>,
    rv: &protobuf::RangeVar,
) -> Result<Option<(Query, Vec<String>)>, SqlError> {
    let c = ctx(b);
    let Some(def) = resolve(&c, &rv.schemaname, &rv.relname) else {
        return Ok(None);
    };
    let width = def.cols.len();
    let mut rows: Vec<Vec<Expr>> = (def.rows)(&c)
        .into_iter()
        .map(|r| {
            r.into_iter()
                .zip(def.cols)
                .map(|(v, (_, t))| Expr::Const(t.normalize(v)))
                .collect()
        })
        .collect();
    if let Some(late) = def.at_run_time {
        late(&c, def.cols, &mut rows);
    }
    let names: Vec<String> = def.cols.iter().map(|(n, _)| (*n).to_string()).collect();
    let types = def.cols.iter().map(|(_, t)| t.data_type()).collect();
    let plan = if rows.is_empty() {
        Plan::Empty { width }
    } else {
        Plan::Values { rows, width }
    };
    Ok(Some((
        Query {
            plan,
            names: names.clone(),
            types,
        },
        names,
    )))
}

/// The OID a `regclass` / `regtype` / `regnamespace` literal names, resolved at bind time as
/// PostgreSQL's input functions do (42P01 / 42704 / 3F000 when nothing matches).
pub fn reg_literal(b: &Binder<'_>, kind: &str, text: &str) -> Result<i64, SqlError> {
    if let Ok(n) = text.trim().parse::<i64>() {
        return Ok(n);
    }
    let c = ctx(b);
    match kind {
        "regclass" => {
            let rels = tables::relations(c.cat);
            functions::resolve_class(&c, &rels, text)
                .map(i64::from)
                .ok_or_else(|| {
                    SqlError::new("42P01", format!("relation \"{text}\" does not exist"))
                })
        }
        "regtype" => functions::resolve_type(text)
            .map(i64::from)
            .ok_or_else(|| SqlError::new("42704", format!("type \"{text}\" does not exist"))),
        _ => c
            .cat
            .schema_oid(text.trim_matches('"'))
            .map(i64::from)
            .ok_or_else(|| SqlError::new("3F000", format!("schema \"{text}\" does not exist"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn check_widths(cat: &Catalog) {
        let c = Ctx {
            cat,
            path: vec![PG_CATALOG_OID, crate::catalog::PUBLIC_OID],
            session_path: vec![crate::catalog::PUBLIC_OID],
            types: Default::default(),
            cursors: None,
            prepared: None,
        };
        for r in tables::RELS {
            for row in (r.rows)(&c) {
                assert_eq!(row.len(), r.cols.len(), "{}", r.name);
                for (v, (col, t)) in row.into_iter().zip(r.cols) {
                    if let Some(vt) = t.normalize(v).data_type() {
                        // `name` and `character varying` values are text values.
                        let name = vt == DataType::Text
                            && matches!(t.data_type(), DataType::Name | DataType::Varchar(_));
                        assert!(
                            name || vt.same_base(&t.data_type()),
                            "{}.{col}: {vt:?} is not {:?}",
                            r.name,
                            t.data_type()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn rows_match_columns() {
        check_widths(&Catalog::default());
    }

    #[test]
    fn format_type_matches_postgres() {
        assert_eq!(format_type(1042, None), "character");
        assert_eq!(format_type(1042, Some(-1)), "bpchar");
        assert_eq!(format_type(1042, Some(9)), "character(5)");
        assert_eq!(format_type(1043, None), "character varying");
        assert_eq!(format_type(1700, Some(655_366)), "numeric(10,2)");
        assert_eq!(format_type(1083, Some(3)), "time(3) without time zone");
        assert_eq!(format_type(99_999, None), "???");
        assert_eq!(format_type(1007, Some(-1)), "integer[]");
        assert_eq!(format_type(1015, Some(14)), "character varying(10)[]");
    }

    #[test]
    fn split_names() {
        assert_eq!(split_name("a.B"), Some(vec!["a".into(), "b".into()]));
        assert_eq!(
            split_name("\"My \"\"T\".x"),
            Some(vec!["My \"T".into(), "x".into()])
        );
        assert_eq!(split_name("a..b"), None);
    }
}
