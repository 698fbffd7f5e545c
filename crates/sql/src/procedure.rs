//! `CALL procedure(args)`, as in PostgreSQL 15.
//!
//! Procedures are SQL-language routines of kind `p` ([`crate::sqlfunc::SqlFunction`] with
//! `procedure` set), created by `CREATE PROCEDURE`. A call is resolved among the routines of
//! its name like a function call, but with the procedure's OUT parameters counted (CALL
//! passes something, usually NULL, for each, and it is ignored). Resolving to a function is
//! 42809, as is calling a procedure in an expression. The body runs as a function's does
//! ([`crate::sqlfunc::call`]) in the session's transaction; with INOUT / OUT parameters the
//! call returns one row of them (the body's last row, NULLs without one).

use basalt_common::types::{Value, format_text};
use basalt_txn::TxnKv;
use pg_query::protobuf;

use crate::binder::{Scope, names, pos};
use crate::error::SqlError;
use crate::expr::eval;
use crate::session::{Session, StatementResult};

fn err(code: &'static str, msg: impl Into<String>) -> SqlError {
    SqlError::new(code, msg)
}

impl<K: TxnKv> Session<K> {
    /// `CALL name(args)`.
    pub(crate) fn call_procedure(
        &mut self,
        s: &protobuf::CallStmt,
    ) -> Result<StatementResult, SqlError> {
        let Some(fc) = s.funccall.as_deref() else {
            return Err(err("42601", "CALL without a procedure"));
        };
        let catalog = self.load_catalog()?;
        let scope = Scope::default();
        let (oid, args) = {
            let mut b = self.binder(&catalog);
            let fname = names(&fc.funcname);
            let resolved = if b.has_user_function(&fname) {
                b.resolve_user_call(fc, &scope)?
            } else {
                None
            };
            match resolved {
                Some(r) if r.func.procedure => (r.func.oid, r.args),
                Some(r) => {
                    return Err(err(
                        "42809",
                        format!(
                            "{}({}) is not a procedure",
                            r.func.name,
                            b.call_types(fc, &scope)?
                        ),
                    )
                    .with_hint("To call a function, use SELECT.")
                    .at(pos(fc.location)));
                }
                None => {
                    let name = fname.last().cloned().unwrap_or_default();
                    let types = b.call_types(fc, &scope)?;
                    // A function of that name that fits the arguments is the wrong kind.
                    let node = protobuf::Node {
                        node: Some(protobuf::node::Node::FuncCall(Box::new(fc.clone()))),
                    };
                    let is_function = b.bind_expr(&node, &scope).is_ok();
                    return Err(if is_function {
                        err("42809", format!("{name}({types}) is not a procedure"))
                            .with_hint("To call a function, use SELECT.")
                    } else {
                        err(
                            "42883",
                            format!("procedure {}({types}) does not exist", fname.join(".")),
                        )
                        .with_hint(
                            "No procedure matches the given name and argument types. You might need to add explicit type casts.",
                        )
                    }
                    .at(pos(fc.location)));
                }
            }
        };
        let rows = self.with_cx(&catalog, &[], |cx| {
            let mut vals = Vec::with_capacity(args.len());
            for a in &args {
                vals.push(eval(a, &[], cx)?);
            }
            crate::sqlfunc::call(cx, oid, vals)
        })?;
        let Some(f) = catalog.functions.get(&oid) else {
            return Ok(StatementResult::tag("CALL"));
        };
        let cols = f.columns();
        if f.out_params.is_empty() {
            return Ok(StatementResult::tag("CALL"));
        }
        let row = rows
            .into_iter()
            .next()
            .unwrap_or_else(|| vec![Value::Null; cols.len()]);
        let ctx = self.type_context();
        let text = if let Some(capture) = self.capture.as_mut() {
            *capture = vec![row];
            Vec::new()
        } else {
            vec![row.iter().map(|v| format_text(v, &ctx)).collect()]
        };
        Ok(StatementResult {
            tag: "CALL".to_string(),
            columns: cols.iter().map(|(n, _)| n.clone()).collect(),
            types: cols.into_iter().map(|(_, t)| t).collect(),
            rows: text,
            notices: Vec::new(),
        })
    }
}
