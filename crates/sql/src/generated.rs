//! Generated columns: `GENERATED ALWAYS AS (expression) STORED`.
//!
//! The expression is stored as SQL text in [`crate::catalog::Column::generated`] and bound
//! with the table's writer ([`crate::dml::TableWriter::fill_generated`]), which computes it
//! over every new row version (INSERT, UPDATE, ON CONFLICT DO UPDATE, foreign-key actions)
//! before the constraints are checked. Explicit values are refused at binding (428C9) as
//! PostgreSQL does; `DEFAULT` is accepted. The expression may use the row's other
//! non-generated columns and immutable functions only, checked here when the column is
//! defined ([`check_expression`]).

use basalt_common::types::{CastContext, DataType};
use pg_query::protobuf;

use crate::binder::{Binder, pos, table_scope};
use crate::catalog::{Catalog, Table};
use crate::error::SqlError;

fn err(code: &'static str, msg: impl Into<String>) -> SqlError {
    SqlError::new(code, msg)
}

/// PostgreSQL's system column names.
const SYSTEM_COLUMNS: &[&str] = &["ctid", "xmin", "cmin", "xmax", "cmax", "tableoid"];

/// Column references (last name, location) and function names of a raw expression, in
/// text order.
fn references(node: &protobuf::Node) -> (Vec<(String, i64, usize)>, Vec<String>) {
    fn walk(v: &serde_json::Value, cols: &mut Vec<(String, i64, usize)>, funcs: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(cr) = m.get("ColumnRef") {
                    let nfields = cr
                        .get("fields")
                        .and_then(|f| f.as_array())
                        .map_or(0, Vec::len);
                    let name = cr
                        .get("fields")
                        .and_then(|f| f.as_array())
                        .and_then(|a| a.last())
                        .and_then(|n| n.get("node"))
                        .and_then(|n| n.get("String"))
                        .and_then(|s| s.get("sval"))
                        .and_then(|s| s.as_str());
                    let loc = cr.get("location").and_then(serde_json::Value::as_i64);
                    if let (Some(n), Some(l)) = (name, loc) {
                        cols.push((n.to_string(), l, nfields));
                    }
                }
                if let Some(fc) = m.get("FuncCall")
                    && let Some(name) = fc
                        .get("funcname")
                        .and_then(|f| f.as_array())
                        .and_then(|a| a.last())
                        .and_then(|n| n.get("node"))
                        .and_then(|n| n.get("String"))
                        .and_then(|s| s.get("sval"))
                        .and_then(|s| s.as_str())
                {
                    funcs.push(name.to_string());
                }
                for x in m.values() {
                    walk(x, cols, funcs);
                }
            }
            serde_json::Value::Array(a) => {
                for x in a {
                    walk(x, cols, funcs);
                }
            }
            _ => {}
        }
    }
    let (mut cols, mut funcs) = (Vec::new(), Vec::new());
    if let Ok(json) = serde_json::to_value(node) {
        walk(&json, &mut cols, &mut funcs);
    }
    cols.sort_by_key(|c| c.1);
    (cols, funcs)
}

/// Checks the generation expression of column `col` of `table` (whose other generated
/// columns are already marked) as PostgreSQL does, and returns it as stored text.
pub fn check_expression(
    cat: &Catalog,
    search_path: &[u32],
    types: &basalt_common::types::TypeContext,
    table: &Table,
    col: usize,
    node: &protobuf::Node,
) -> Result<String, SqlError> {
    let (cols, funcs) = references(node);
    for (name, loc, nfields) in &cols {
        // The table's name alone is its whole row, which includes the column itself.
        if *nfields == 1 && *name == table.name && table.column_index(name).is_none() {
            return Err(err(
                "42P17",
                "cannot use whole-row variable in column generation expression",
            )
            .with_detail("This would cause the generated column to depend on its own value.")
            .at(pos(i32::try_from(*loc).unwrap_or(-1))));
        }
        if SYSTEM_COLUMNS.contains(&name.as_str()) && table.column_index(name).is_none() {
            return Err(err(
                "42P10",
                format!("cannot use system column \"{name}\" in column generation expression"),
            )
            .at(pos(i32::try_from(*loc).unwrap_or(-1))));
        }
        if let Some(i) = table.column_index(name)
            && (i == col || table.columns[i].generated.is_some())
        {
            return Err(err(
                "42P17",
                format!("cannot use generated column \"{name}\" in column generation expression"),
            )
            .with_detail("A generated column cannot reference another generated column.")
            .at(pos(i32::try_from(*loc).unwrap_or(-1))));
        }
    }
    let scope = table_scope(table, &table.name);
    let mut b = Binder::new(cat, search_path.to_vec(), *types);
    let (e, t) = b.bind_scalar(node, &scope, "column generation expressions")?;
    let target = &table.columns[col].ty;
    if t != DataType::Unknown && b.coerce(e, &t, target, CastContext::Assignment).is_err() {
        return Err(err(
            "42804",
            format!(
                "column \"{}\" is of type {} but default expression is of type {}",
                table.columns[col].name,
                target.format_type(),
                t.format_type()
            ),
        )
        .with_hint("You will need to rewrite or cast the expression."));
    }
    // Every function must be immutable (functions of several volatilities by one name are
    // taken as immutable).
    for f in &funcs {
        let procs: Vec<_> = crate::system::tables::PROCS
            .iter()
            .filter(|p| p.name == f.as_str())
            .collect();
        if !procs.is_empty() && procs.iter().all(|p| p.volatile != 'i') {
            return Err(err("42P17", "generation expression is not immutable"));
        }
    }
    crate::ddl::deparse_expr(node)
}
