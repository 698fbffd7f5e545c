//! Binding calls of SQL-language functions ([`crate::sqlfunc`]) and their bodies.
//!
//! A call is resolved among the functions of its name visible through the search path:
//! arguments by position, then by name (`f(b => 1)`), missing trailing ones from their
//! defaults; a candidate fits when every argument converts implicitly to its parameter type
//! (an untyped literal to any); among several fits the one with most exact type matches
//! wins, a tie is 42725. A name no user function has falls through to the built-ins.

use basalt_common::types::{CastContext, DataType, TypeContext, cast_context};
use pg_query::protobuf::{self, node::Node};

use super::{Binder, Scope, err, names, pos};
use crate::catalog::Catalog;
use crate::error::SqlError;
use crate::expr::{Expr, SqlCall};
use crate::plan::Plan;
use crate::sqlfunc::{SqlFunction, candidates, lookup_schemas, returnable, type_list};

/// The parameters of the function whose body is being bound.
#[derive(Debug, Clone)]
pub struct FnParams {
    /// The function's name (qualifies parameter names: `f.a`).
    pub func: String,
    /// Parameter names ("" when unnamed) and types.
    pub params: Vec<(String, DataType)>,
}

/// A candidate that fits a call: the function, the argument for each parameter (none:
/// its default) and how many argument types match exactly.
type Fit<'a> = (&'a SqlFunction, Vec<Option<(Expr, DataType)>>, usize);

/// A resolved call: the function and its arguments, cast to the parameter types.
pub(crate) struct ResolvedCall<'c> {
    pub func: &'c SqlFunction,
    pub args: Vec<Expr>,
}

impl<'a> Binder<'a> {
    /// A parameter named `fields` of the function whose body is being bound.
    pub(super) fn fn_param(&self, fields: &[String]) -> Option<(Expr, DataType)> {
        let p = self.fn_params.as_ref()?;
        let name = match fields {
            [n] => n,
            [f, n] if *f == p.func => n,
            _ => return None,
        };
        let i = p.params.iter().position(|(n, _)| n == name)?;
        Some((Expr::Param(i), p.params[i].1.clone()))
    }

    /// Whether a user function of this (possibly qualified) name is visible.
    pub(crate) fn has_user_function(&self, fname: &[String]) -> bool {
        if self.catalog.functions.is_empty() {
            return false;
        }
        let Some(schemas) = lookup_schemas(self.catalog, &self.search_path, fname) else {
            return false;
        };
        let name = fname.last().map(String::as_str).unwrap_or("");
        !candidates(self.catalog, &schemas, name).is_empty()
    }

    /// Resolves a call of a user function; `Ok(None)` when none fits (the caller then
    /// tries the built-ins, and reports 42883).
    pub(crate) fn resolve_user_call(
        &mut self,
        fc: &protobuf::FuncCall,
        scope: &Scope,
    ) -> Result<Option<ResolvedCall<'a>>, SqlError> {
        let fname = names(&fc.funcname);
        let Some(schemas) = lookup_schemas(self.catalog, &self.search_path, &fname) else {
            return Ok(None);
        };
        let name = fname.last().cloned().unwrap_or_default();
        let cands = candidates(self.catalog, &schemas, &name);
        if cands.is_empty() {
            return Ok(None);
        }
        let (positional, named) = self.bind_positional_and_named(&fc.args, scope)?;
        // (candidate, argument per parameter: given expression and type, or a default).
        let mut fits: Vec<Fit<'a>> = Vec::new();
        'cand: for f in cands {
            let n = f.args.len();
            if positional.len() + named.len() > n {
                continue;
            }
            let mut slots: Vec<Option<(Expr, DataType)>> = vec![None; n];
            for (i, (e, t)) in positional.iter().enumerate() {
                slots[i] = Some((e.clone(), t.clone()));
            }
            for (nm, e, t) in &named {
                let Some(i) = f.args.iter().position(|a| a.name == *nm) else {
                    continue 'cand;
                };
                if slots[i].is_some() {
                    continue 'cand;
                }
                slots[i] = Some((e.clone(), t.clone()));
            }
            let mut exact = 0;
            for (slot, a) in slots.iter().zip(&f.args) {
                match slot {
                    None if a.default.is_none() => continue 'cand,
                    None => {}
                    Some((_, t)) => {
                        if *t == a.ty {
                            exact += 1;
                        } else if *t != DataType::Unknown
                            && !cast_context(t, &a.ty)
                                .is_some_and(|c| c.allows(CastContext::Implicit))
                        {
                            continue 'cand;
                        }
                    }
                }
            }
            fits.push((f, slots, exact));
        }
        // Nearest schema first among equals (the candidates come in search-path order).
        let best = fits.iter().map(|(_, _, e)| *e).max();
        let mut fits: Vec<_> = fits.into_iter().filter(|f| Some(f.2) == best).collect();
        if fits.len() > 1 {
            let first_schema = fits[0].0.schema;
            fits.retain(|f| f.0.schema == first_schema);
        }
        if fits.len() > 1 {
            let types: Vec<DataType> = positional.iter().map(|(_, t)| t.clone()).collect();
            return Err(err(
                "42725",
                format!("function {name}({}) is not unique", type_list(&types)),
            )
            .with_hint(
                "Could not choose a best candidate function. You might need to add explicit type casts.",
            )
            .at(pos(fc.location)));
        }
        let Some((f, slots, _)) = fits.pop() else {
            return Ok(None);
        };
        let mut args = Vec::new();
        for (slot, a) in slots.into_iter().zip(&f.args) {
            let (e, t) = match slot {
                Some(x) => x,
                None => {
                    let text = a.default.as_deref().unwrap_or("NULL");
                    let (e, t) = self.bind_default_text(text)?;
                    (e, t)
                }
            };
            args.push(self.coerce(e, &t, &a.ty, CastContext::Implicit)?);
        }
        Ok(Some(ResolvedCall { func: f, args }))
    }

    fn bind_default_text(&mut self, text: &str) -> Result<(Expr, DataType), SqlError> {
        let parsed = crate::parse::parse(
            &format!("SELECT {text}"),
            crate::parse::ParseOptions::default(),
        )?;
        let Some(Node::SelectStmt(sel)) =
            parsed.statements().next().and_then(|s| s.node().cloned())
        else {
            return Err(err("XX000", "bad default expression"));
        };
        let Some(Node::ResTarget(rt)) = sel.target_list.first().and_then(|n| n.node.as_ref())
        else {
            return Err(err("XX000", "bad default expression"));
        };
        let Some(v) = rt.val.as_deref() else {
            return Err(err("XX000", "bad default expression"));
        };
        self.bind_expr(v, &Scope::default())
    }

    /// A call of a user function in an expression (`Ok(None)`: no user function fits).
    pub(crate) fn bind_user_call(
        &mut self,
        fc: &protobuf::FuncCall,
        scope: &Scope,
    ) -> Result<Option<(Expr, DataType)>, SqlError> {
        let Some(r) = self.resolve_user_call(fc, scope)? else {
            return Ok(None);
        };
        let f = r.func;
        if f.retset {
            let call = self.user_srf_call(f, r.args);
            let ty = f.result_type();
            let types: Vec<DataType> = f.arg_types();
            let record = f.composite().then(|| f.result_type());
            return self
                .srf_in_expression(call.func, call.args, &types, fc.location, record)
                .map(|(e, _)| Some((e, ty)));
        }
        let ty = f.result_type();
        Ok(Some((
            Expr::SqlFunc(Box::new(SqlCall {
                oid: f.oid,
                args: r.args,
                name: f.name.clone(),
            })),
            ty,
        )))
    }

    /// The table-function call of a set-returning user function.
    pub(crate) fn user_srf_call(&self, f: &SqlFunction, args: Vec<Expr>) -> crate::plan::SrfCall {
        crate::plan::SrfCall {
            func: basalt_func::ResolvedTableFunction {
                func: basalt_func::TableFunc::Sql { oid: f.oid },
                arg_types: f.arg_types(),
                columns: f.columns(),
                strict: f.strict,
            },
            args,
            record: false,
        }
    }
}

/// Binds every statement of a body (the last one's output cast to the declared result).
pub fn bind_body(
    cat: &Catalog,
    search_path: &[u32],
    types: &TypeContext,
    f: &SqlFunction,
) -> Result<Vec<Plan>, SqlError> {
    // An `AS` string is parsed whole, so that error positions count from its start.
    let texts: Vec<&str> = if f.src.is_empty() {
        f.body.iter().map(String::as_str).collect()
    } else {
        vec![f.src.as_str()]
    };
    let mut nodes = Vec::new();
    for text in texts {
        let parsed = crate::parse::parse(text, crate::parse::ParseOptions::default())?;
        for st in parsed.statements() {
            if let Some(node) = st.node() {
                nodes.push((node.clone(), text));
            }
        }
    }
    let mut plans = Vec::new();
    let n = nodes.len();
    for (i, (node, text)) in nodes.iter().enumerate() {
        let last = i + 1 == n;
        let (plan, out) = bind_statement(cat, search_path, types, f, node, text)?;
        let plan = if last && !f.void {
            check_result(f, plan, &out)?
        } else {
            plan
        };
        plans.push(plan);
    }
    if plans.is_empty() && !f.void {
        return Err(err(
            "42P13",
            format!(
                "return type mismatch in function declared to return {}",
                f.result_type().format_type()
            ),
        )
        .with_detail(
            "Function's final statement must be SELECT or INSERT/UPDATE/DELETE RETURNING.",
        ));
    }
    Ok(plans)
}

/// Checks a body when the function is created.
pub fn check_body(
    cat: &Catalog,
    search_path: &[u32],
    types: &TypeContext,
    f: &SqlFunction,
) -> Result<(), SqlError> {
    // The function itself is visible to its body (recursion).
    let mut with = cat.clone();
    with.functions.insert(f.oid, f.clone());
    bind_body(&with, search_path, types, f).map(|_| ())
}

fn mismatch(f: &SqlFunction) -> SqlError {
    err(
        "42P13",
        format!(
            "return type mismatch in function declared to return {}",
            if f.table_cols.len() > 1 {
                "record".to_string()
            } else {
                f.ret.format_type()
            }
        ),
    )
}

fn bind_statement(
    cat: &Catalog,
    search_path: &[u32],
    types: &TypeContext,
    f: &SqlFunction,
    node: &Node,
    text: &str,
) -> Result<(Plan, Option<Vec<DataType>>), SqlError> {
    match node {
        Node::SelectStmt(_) => {
            let mut b = Binder::new(cat, search_path.to_vec(), *types);
            b.params = f.arg_types();
            b.fn_params = Some(FnParams {
                func: f.name.clone(),
                params: f
                    .args
                    .iter()
                    .map(|a| (a.name.clone(), a.ty.clone()))
                    .collect(),
            });
            b.source = Some(std::sync::Arc::from(text));
            let q = b.bind_query(&protobuf::Node {
                node: Some(node.clone()),
            })?;
            let q = crate::optimizer::optimize_query(q, cat);
            Ok((q.plan, Some(q.types)))
        }
        Node::InsertStmt(_) | Node::UpdateStmt(_) | Node::DeleteStmt(_) => Err(err(
            "0A000",
            format!(
                "feature not supported: {} in a SQL function body",
                crate::describe::statement_name(node)
            ),
        )),
        other => Err(err(
            "0A000",
            format!(
                "feature not supported: {} in a SQL function body",
                crate::describe::statement_name(other)
            ),
        )),
    }
}

/// The last statement's plan with its output cast to the declared result columns.
fn check_result(
    f: &SqlFunction,
    plan: Plan,
    out: &Option<Vec<DataType>>,
) -> Result<Plan, SqlError> {
    let Some(out) = out else {
        return Err(mismatch(f).with_detail(
            "Function's final statement must be SELECT or INSERT/UPDATE/DELETE RETURNING.",
        ));
    };
    let want = f.columns();
    if !f.composite() {
        if out.len() != 1 {
            return Err(mismatch(f).with_detail("Final statement must return exactly one column."));
        }
    } else if out.len() > want.len() {
        return Err(mismatch(f).with_detail("Final statement returns too many columns."));
    } else if out.len() < want.len() {
        return Err(mismatch(f).with_detail("Final statement returns too few columns."));
    }
    let mut exprs = Vec::new();
    for (i, (t, (_, w))) in out.iter().zip(&want).enumerate() {
        if !returnable(t, w) {
            return Err(if f.composite() {
                mismatch(f).with_detail(format!(
                    "Final statement returns {} instead of {} at column {}.",
                    t.format_type(),
                    w.format_type(),
                    i + 1
                ))
            } else {
                mismatch(f).with_detail(format!("Actual return type is {}.", t.format_type()))
            });
        }
        let e = Expr::Column(i);
        exprs.push(if t == w {
            e
        } else if *t == DataType::Unknown {
            Expr::Cast(
                Box::new(Expr::Cast(
                    Box::new(e),
                    DataType::Text,
                    CastContext::Explicit,
                )),
                w.clone(),
                CastContext::Explicit,
            )
        } else {
            Expr::Cast(Box::new(e), w.clone(), CastContext::Assignment)
        });
    }
    if exprs.iter().enumerate().all(|(i, e)| *e == Expr::Column(i)) {
        return Ok(plan);
    }
    Ok(Plan::Project {
        input: Box::new(plan),
        exprs,
    })
}
