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
        let (oid, args) = {
            let mut b = self.binder(&catalog);
            let (f, args) = b.bind_procedure_call(fc)?;
            (f.oid, args)
        };
        let rows = self.with_cx(&catalog, &[], |cx| {
            let mut vals = Vec::with_capacity(args.len());
            for a in &args {
                vals.push(eval(a, &[], cx)?);
            }
            crate::sqlfunc::call(cx, oid, vals, None)
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
