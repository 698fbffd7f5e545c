//! Binding calls of user-defined aggregates (`crate::useragg`): choosing the aggregate for
//! the argument types and binding its transition and final calls over the private rows the
//! executor builds ((state, arguments...) and (state [, NULLs])).

use basalt_common::types::{CastContext, DataType, Value, cast, cast_context};
use basalt_func::agg::{AggFunc, ResolvedAggregate};
use pg_query::protobuf::{self, node::Node};

use super::{Binder, Scope, ScopeCol, err, missing_function};
use crate::error::SqlError;
use crate::expr::Expr;
use crate::plan::UserAggCall;
use crate::sqlfunc::lookup_schemas;
use crate::useragg::{UserAggregate, candidates};

fn string_node(s: &str) -> protobuf::Node {
    protobuf::Node {
        node: Some(Node::String(protobuf::String { sval: s.into() })),
    }
}

/// The name of column `i` of a step's private row (not a name SQL can write).
fn step_col(i: usize) -> String {
    format!("\u{1}agg{i}")
}

impl<'a> Binder<'a> {
    /// The user aggregates a call of `fname` may mean (none when no aggregate has that name).
    pub(crate) fn user_aggregates(&self, fname: &[String]) -> Vec<&'a UserAggregate> {
        let cat = self.catalog;
        if cat.aggregates.is_empty() {
            return Vec::new();
        }
        let Some(schemas) = lookup_schemas(cat, &self.search_path, fname) else {
            return Vec::new();
        };
        candidates(
            cat,
            &schemas,
            fname.last().map(String::as_str).unwrap_or(""),
        )
    }

    /// Chooses among `cands` the aggregate taking `types` (exactly, else by implicit
    /// casts) and binds its steps.
    pub(crate) fn resolve_user_aggregate(
        &mut self,
        cands: &[&UserAggregate],
        name: &str,
        types: &[DataType],
        location: i32,
    ) -> Result<(ResolvedAggregate, UserAggCall), SqlError> {
        let fits = |a: &&UserAggregate, exact: bool| {
            a.args.len() == types.len()
                && a.args.iter().zip(types).all(|(p, t)| {
                    p.ty == *t
                        || (!exact
                            && (*t == DataType::Unknown
                                || cast_context(t, &p.ty) == Some(CastContext::Implicit)))
                })
        };
        let Some(a) = cands
            .iter()
            .find(|a| fits(a, true))
            .or_else(|| cands.iter().find(|a| fits(a, false)))
        else {
            return Err(missing_function(name, types, location));
        };
        let (steps, ret, _) = self.bind_aggregate_steps(a)?;
        Ok((
            ResolvedAggregate {
                func: AggFunc::User,
                arg_types: a.arg_types(),
                ret,
            },
            steps,
        ))
    }

    /// Binds `a`'s transition and final calls; returns them, the result type and the
    /// transition function's return type (the state type when it is right).
    pub(crate) fn bind_aggregate_steps(
        &mut self,
        a: &UserAggregate,
    ) -> Result<(UserAggCall, DataType, DataType), SqlError> {
        let mut cols = vec![a.stype.clone()];
        cols.extend(a.arg_types());
        let (trans, trans_ty) = self.bind_step(&a.sfunc, &cols)?;
        let strict = match &trans {
            Expr::SqlFunc(c) => self.catalog.functions.get(&c.oid).is_none_or(|f| f.strict),
            Expr::Func { strict, .. } => *strict,
            _ => true,
        };
        let trans = if trans_ty == a.stype {
            trans
        } else {
            self.coerce(trans, &trans_ty, &a.stype, CastContext::Assignment)?
        };
        let (fin, ret) = match &a.finalfunc {
            Some(f) => {
                let mut cols = vec![a.stype.clone()];
                if a.final_extra {
                    cols.extend(a.arg_types());
                }
                let (e, t) = self.bind_step(f, &cols)?;
                (Some(e), t)
            }
            None => (None, a.stype.clone()),
        };
        let init = match &a.initcond {
            Some(text) => cast(
                &Value::Text(text.clone()),
                &a.stype,
                CastContext::Explicit,
                &self.types,
            )?,
            None => Value::Null,
        };
        Ok((
            UserAggCall {
                trans,
                strict,
                init,
                fin,
            },
            ret,
            trans_ty,
        ))
    }

    /// Binds a call of function `fname` over a private row of `cols`.
    fn bind_step(
        &mut self,
        fname: &[String],
        cols: &[DataType],
    ) -> Result<(Expr, DataType), SqlError> {
        let scope = Scope {
            cols: cols
                .iter()
                .enumerate()
                .map(|(i, t)| ScopeCol {
                    table: None,
                    name: step_col(i),
                    ty: t.clone(),
                    hidden: false,
                    origin: None,
                })
                .collect(),
        };
        let fc = protobuf::FuncCall {
            funcname: fname.iter().map(|n| string_node(n)).collect(),
            args: (0..cols.len())
                .map(|i| protobuf::Node {
                    node: Some(Node::ColumnRef(protobuf::ColumnRef {
                        fields: vec![string_node(&step_col(i))],
                        location: -1,
                    })),
                })
                .collect(),
            location: -1,
            ..Default::default()
        };
        // The step is bound as a top-level expression: no aggregates, no outer queries.
        let agg = self.agg.take();
        let r = self.bind_expr(
            &protobuf::Node {
                node: Some(Node::FuncCall(Box::new(fc))),
            },
            &scope,
        );
        self.agg = agg;
        let (e, t) = r?;
        if e.any(&|x| matches!(x, Expr::Agg(_) | Expr::Window(_))) {
            return Err(err(
                "42809",
                format!("function {} is an aggregate", fname.join(".")),
            ));
        }
        Ok((e, t))
    }
}
