//! System functions that need the session or catalog (`version()`, `pg_typeof`,
//! `current_schema()`, ...) and the virtual relations of `pg_catalog` and
//! `information_schema`.

use basalt_common::types::{DataType, Value};
use pg_query::protobuf;

use crate::binder::{Binder, Query};
use crate::error::SqlError;
use crate::expr::Expr;

/// The server version string PostgreSQL clients see.
pub const VERSION: &str = "PostgreSQL 15.0 (Basalt 0.1.0) on x86_64-pc-linux-gnu, 64-bit";

/// Binds a call to a function that needs the binder's context; `None` if `name` is not one.
pub fn bind_system_function(
    b: &mut Binder<'_>,
    name: &str,
    args: &[Expr],
    types: &[DataType],
) -> Result<Option<(Expr, DataType)>, SqlError> {
    let text = |s: &str| Some((Expr::Const(Value::Text(s.to_string())), DataType::Text));
    Ok(match (name, args.len()) {
        ("version", 0) => text(VERSION),
        ("current_database" | "current_catalog", 0) => text("basalt"),
        ("current_user" | "session_user" | "user" | "current_role", 0) => text("basalt"),
        ("current_schema", 0) => {
            let s = b
                .search_path
                .first()
                .map(|s| b.catalog.schema_name(*s).to_string());
            Some((
                Expr::Const(s.map_or(Value::Null, Value::Text)),
                DataType::Text,
            ))
        }
        ("current_schemas", 1) => {
            let mut v = vec![Value::Text("pg_catalog".into())];
            for s in &b.search_path {
                v.push(Value::Text(b.catalog.schema_name(*s).to_string()));
            }
            Some((
                Expr::Const(Value::array(DataType::Text, v)),
                DataType::Array(Box::new(DataType::Text)),
            ))
        }
        ("pg_typeof", 1) => {
            let t = match &types[0] {
                DataType::Unknown => "unknown".to_string(),
                t => t.format_type(),
            };
            text(&t)
        }
        ("pg_backend_pid", 0) => Some((
            Expr::Const(Value::Int4(std::process::id() as i32)),
            DataType::Int4,
        )),
        _ => None,
    })
}

/// A relation of `pg_catalog` / `information_schema` by name, as a query with column names;
/// `None` if `rv` names no virtual relation.
pub fn virtual_table(
    _b: &mut Binder<'_>,
    _rv: &protobuf::RangeVar,
) -> Result<Option<(Query, Vec<String>)>, SqlError> {
    Ok(None)
}
