//! Binding calls of SQL-language functions and procedures ([`crate::sqlfunc`]) and their
//! bodies.
//!
//! A call is resolved among the routines of its name visible through the search path:
//! arguments by position, then by name (`f(b => 1)`), missing trailing ones from their
//! defaults; a variadic function takes its trailing positional arguments as the elements
//! of its VARIADIC array (none only when the parameter has a default; `VARIADIC arr` passes
//! the array itself, and only to a variadic function); a candidate fits when every
//! argument converts implicitly to its parameter type (an untyped literal to any); among
//! several fits the one with most exact type matches wins, a tie is 42725. A name no user routine has falls through to the
//! built-ins. A procedure's signature includes its OUT parameters (PostgreSQL 15's CALL).
//!
//! A body is bound into a [`BoundBody`]: queries as plans, INSERT / UPDATE / DELETE through
//! [`BodyHost`] (the session's binding code, see `engine::DmlHost`), CALL as the procedure
//! and its argument expressions.

use std::sync::Arc;

use basalt_common::types::{CastContext, DataType, Pseudo, TypeContext, Value, cast_context};
use pg_query::protobuf::{self, node::Node};

use super::{Binder, Scope, err, names, pos, text_for_unknown};
use crate::catalog::Catalog;
use crate::engine::{
    BoundDelete, BoundInsert, BoundUpdate, Cacheable, DmlHost, WITH_ENV_IDS, WithCte, WithEnv,
    cte_reader,
};
use crate::error::SqlError;
use crate::exec::Cx;
use crate::expr::{Expr, SqlCall};
use crate::plan::Plan;
use crate::sqlfunc::{PolyTypes, SqlFunction, candidates, lookup_schemas, returnable, type_list};

/// The parameters of the function whose body is being bound.
#[derive(Debug, Clone)]
pub struct FnParams {
    /// The function's name (qualifies parameter names: `f.a`).
    pub func: String,
    /// Parameter names ("" when unnamed) and types.
    pub params: Vec<(String, DataType)>,
}

/// A candidate that fits a call: the function, the argument for each parameter (none:
/// its default), how many argument types match exactly, the arguments a VARIADIC
/// parameter collects (the expanded form of the call), and for a polymorphic function
/// what its pseudo-types resolve to (or why they cannot be).
type Fit<'a> = (
    &'a SqlFunction,
    Vec<Option<(Expr, DataType)>>,
    usize,
    Option<Vec<(Expr, DataType)>>,
    Option<Result<PolyTypes, SqlError>>,
);

/// A resolved call: the function and its arguments, cast to the parameter types.
pub(crate) struct ResolvedCall<'c> {
    pub func: &'c SqlFunction,
    pub args: Vec<Expr>,
    /// A polymorphic function as this call sees it (actual parameter and result types),
    /// and its actual input argument types.
    pub inst: Option<(Box<SqlFunction>, Vec<DataType>)>,
}

impl ResolvedCall<'_> {
    /// The function with the call's actual types.
    pub fn f(&self) -> &SqlFunction {
        self.inst.as_ref().map_or(self.func, |(f, _)| f)
    }

    /// A polymorphic call's actual argument types.
    pub fn types(&self) -> Option<Vec<DataType>> {
        self.inst.as_ref().map(|(_, t)| t.clone())
    }
}

/// PostgreSQL's resolution of polymorphic parameters (`enforce_generic_type_consistency`)
/// from the arguments: each (pseudo-type, argument type) pair. `None` when the arguments do
/// not fit; `Some(Err)` when they fit but an `anyelement` family is only given untyped
/// literals (42804).
fn resolve_poly(pairs: &[(Pseudo, DataType)]) -> Option<Result<PolyTypes, SqlError>> {
    let mut elem: Option<DataType> = None;
    let mut compat: Vec<DataType> = Vec::new();
    let (mut has_elem, mut has_compat) = (false, false);
    for (p, t) in pairs {
        if p.compatible() {
            has_compat = true;
        } else {
            has_elem = true;
        }
        if *t == DataType::Unknown {
            continue;
        }
        let e = match p {
            Pseudo::AnyArray | Pseudo::AnyCompatibleArray => match t {
                DataType::Array(e) => (**e).clone(),
                _ => return None,
            },
            // No range types here.
            Pseudo::AnyRange | Pseudo::AnyCompatibleRange => return None,
            _ => t.clone(),
        };
        if p.compatible() {
            compat.push(e);
        } else {
            let e = e.without_typmod();
            match &elem {
                Some(x) if *x != e => return None,
                _ => elem = Some(e),
            }
        }
    }
    let kinds = |k: Pseudo| pairs.iter().any(|(p, _)| *p == k);
    if let Some(e) = &elem {
        if kinds(Pseudo::AnyNonArray) && matches!(e, DataType::Array(_)) {
            return None;
        }
        if kinds(Pseudo::AnyEnum) && !matches!(e, DataType::Enum(_)) {
            return None;
        }
    }
    let compat = if has_compat {
        // Untyped literals alone resolve to text.
        let c = super::common_type(&compat, "").ok()?;
        let c = if compat.is_empty() { DataType::Text } else { c };
        if compat.iter().any(|t| arg_fits(t, &c).is_none()) {
            return None;
        }
        if kinds(Pseudo::AnyCompatibleNonArray) && matches!(c, DataType::Array(_)) {
            return None;
        }
        Some(c)
    } else {
        None
    };
    if has_elem && elem.is_none() {
        return Some(Err(err(
            "42804",
            "could not determine polymorphic type because input has type unknown",
        )));
    }
    Some(Ok(PolyTypes { elem, compat }))
}

/// Whether an argument of type `t` fits a parameter of type `want`: `Some(exact)`.
fn arg_fits(t: &DataType, want: &DataType) -> Option<bool> {
    if t == want {
        Some(true)
    } else if *t == DataType::Unknown
        || cast_context(t, want).is_some_and(|c| c.allows(CastContext::Implicit))
    {
        Some(false)
    } else {
        None
    }
}

impl<'a> Binder<'a> {
    /// A parameter named `fields` of the function whose body is being bound.
    pub(super) fn fn_param(&self, fields: &[String]) -> Option<(Expr, DataType)> {
        let p = self.fn_params.as_ref()?;
        let is_param = |n: &String| p.params.iter().any(|(pn, _)| pn == n);
        // `f.a` names parameter `a` of function `f`; else `a.x` is field `x` of a composite
        // parameter `a` (`f.a.x` too).
        let (name, field) = match fields {
            [n] => (n, None),
            [f, n] if *f == p.func && is_param(n) => (n, None),
            [n, x] => (n, Some(x)),
            [f, n, x] if *f == p.func => (n, Some(x)),
            _ => return None,
        };
        let i = p.params.iter().position(|(n, _)| n == name)?;
        let ty = p.params[i].1.clone();
        let Some(x) = field else {
            return Some((Expr::Param(i), ty));
        };
        let DataType::Record(rt) = &ty else {
            return None;
        };
        let k = rt.fields.iter().position(|(n, _)| n == x)?;
        Some((
            Expr::Field(Box::new(Expr::Param(i)), k),
            rt.fields[k].1.clone(),
        ))
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

    /// Resolves a call of a user function or procedure; `Ok(None)` when none fits (the
    /// caller then tries the built-ins, and reports 42883). A procedure's parameters
    /// include its OUT ones (CALL passes something for them, as in PostgreSQL 15); their
    /// arguments are dropped from the result.
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
        let mut fits: Vec<Fit<'a>> = Vec::new();
        'cand: for f in cands {
            let params = if f.procedure { f.declared() } else { &f.args };
            let n = params.len();
            let variadic = f.variadic();
            if fc.func_variadic && !variadic {
                continue;
            }
            // Without VARIADIC, a variadic function takes positional arguments only, in its
            // expanded form (or none for the VARIADIC parameter, which then needs a default).
            if variadic && !fc.func_variadic && !named.is_empty() {
                continue;
            }
            let expand = variadic && !fc.func_variadic && positional.len() >= n;
            let fixed = if expand { n - 1 } else { n };
            if !expand && positional.len() + named.len() > n {
                continue;
            }
            let mut slots: Vec<Option<(Expr, DataType)>> = vec![None; n];
            for (i, (e, t)) in positional.iter().take(fixed).enumerate() {
                slots[i] = Some((e.clone(), t.clone()));
            }
            for (nm, e, t) in &named {
                let Some(i) = params.iter().position(|a| a.name == *nm) else {
                    continue 'cand;
                };
                if slots[i].is_some() || i >= fixed {
                    continue 'cand;
                }
                slots[i] = Some((e.clone(), t.clone()));
            }
            // A polymorphic function: what its pseudo-types are for these arguments (a
            // missing one's default counts; an expanded VARIADIC array's elements count as
            // its element type).
            let mut poly = None;
            let mut want: Vec<DataType> = params.iter().map(|a| a.ty.clone()).collect();
            if f.polymorphic() {
                let mut pairs = Vec::new();
                for (i, (slot, a)) in slots.iter().zip(params).enumerate() {
                    let DataType::Pseudo(p) = a.ty else {
                        continue;
                    };
                    if expand && i == n - 1 {
                        let p = if p.compatible() {
                            Pseudo::AnyCompatible
                        } else {
                            Pseudo::AnyElement
                        };
                        pairs.extend(positional[fixed..].iter().map(|(_, t)| (p, t.clone())));
                        continue;
                    }
                    let t = match (slot, &a.default) {
                        (Some((_, t)), _) => t.clone(),
                        (None, Some(d)) => self.bind_default_text(d)?.1,
                        (None, None) => continue 'cand,
                    };
                    pairs.push((p, t));
                }
                let Some(r) = resolve_poly(&pairs) else {
                    continue 'cand;
                };
                if let Ok(pt) = &r {
                    want = want.iter().map(|t| pt.subst(t)).collect();
                }
                poly = Some(r);
            }
            let mut exact = 0;
            for ((slot, a), w) in slots.iter().zip(params).zip(&want).take(fixed) {
                match slot {
                    None if a.default.is_none() => continue 'cand,
                    None => {}
                    // A polymorphic parameter never matches exactly.
                    Some((_, t)) => match arg_fits(t, w) {
                        Some(e) => exact += usize::from(e && !matches!(a.ty, DataType::Pseudo(_))),
                        None if matches!(w, DataType::Pseudo(_)) => {}
                        None => continue 'cand,
                    },
                }
            }
            let mut elems = None;
            if expand {
                let items: Vec<(Expr, DataType)> = positional[fixed..].to_vec();
                if let DataType::Array(elem) = &want[n - 1] {
                    for (_, t) in &items {
                        match arg_fits(t, elem) {
                            Some(e) => exact += usize::from(e),
                            None => continue 'cand,
                        }
                    }
                } else if !matches!(want[n - 1], DataType::Pseudo(_)) {
                    continue;
                }
                elems = Some(items);
            }
            fits.push((f, slots, exact, elems, poly));
        }
        // Nearest schema first among equals (the candidates come in search-path order).
        let best = fits.iter().map(|(_, _, e, _, _)| *e).max();
        let mut fits: Vec<_> = fits.into_iter().filter(|f| Some(f.2) == best).collect();
        if fits.len() > 1 {
            let first_schema = fits[0].0.schema;
            fits.retain(|f| f.0.schema == first_schema);
        }
        // As PostgreSQL's func_select_candidate: at an untyped literal's position, prefer
        // the candidates taking a string type there.
        for (i, (_, t)) in positional.iter().enumerate() {
            if fits.len() < 2 {
                break;
            }
            if *t != DataType::Unknown {
                continue;
            }
            let string = |f: &Fit<'_>| {
                let params = if f.0.procedure {
                    f.0.declared()
                } else {
                    &f.0.args
                };
                params
                    .get(i)
                    .is_some_and(|a| a.ty.is_string() || a.ty == DataType::Name)
            };
            if fits.iter().any(string) {
                fits.retain(string);
            }
        }
        if fits.len() > 1 {
            let types: Vec<DataType> = positional.iter().map(|(_, t)| t.clone()).collect();
            let word = if fits.iter().all(|f| f.0.procedure) {
                "procedure"
            } else {
                "function"
            };
            return Err(err(
                "42725",
                format!("{word} {name}({}) is not unique", type_list(&types)),
            )
            .with_hint(format!(
                "Could not choose a best candidate {word}. You might need to add explicit type casts."
            ))
            .at(pos(fc.location)));
        }
        let Some((f, slots, _, elems, poly)) = fits.pop() else {
            return Ok(None);
        };
        let poly = match poly {
            Some(Ok(p)) => Some(p),
            // PostgreSQL gives this one no position.
            Some(Err(e)) => {
                self.unplaced = true;
                return Err(e);
            }
            None => None,
        };
        let inst = poly.as_ref().map(|p| f.instantiate(p));
        let params = match &inst {
            Some(g) if g.procedure => g.declared(),
            Some(g) => &g.args,
            None if f.procedure => f.declared(),
            None => &f.args,
        };
        let mut args = Vec::new();
        let mut types = Vec::new();
        for (slot, a) in slots.into_iter().zip(params) {
            let (e, t) = match slot {
                Some(x) => x,
                None if a.mode == 'v' && elems.is_some() => {
                    let DataType::Array(elem) = &a.ty else {
                        continue;
                    };
                    let mut items = Vec::new();
                    for (e, t) in elems.clone().unwrap_or_default() {
                        items.push(self.coerce(e, &t, elem, CastContext::Implicit)?);
                    }
                    args.push(Expr::Array(items, (**elem).clone()));
                    types.push(a.ty.clone());
                    continue;
                }
                None => {
                    // A default converts as an assignment (PostgreSQL coerces it so when
                    // the function is created).
                    let text = a.default.as_deref().unwrap_or("NULL");
                    let (e, t) = self.bind_default_text(text)?;
                    args.push(self.coerce(e, &t, &a.ty, CastContext::Assignment)?);
                    types.push(a.ty.clone());
                    continue;
                }
            };
            let e = self.coerce(e, &t, &a.ty, CastContext::Implicit)?;
            if a.mode != 'o' {
                args.push(e);
                types.push(a.ty.clone());
            }
        }
        let inst = inst.map(|g| (Box::new(g), types));
        Ok(Some(ResolvedCall {
            func: f,
            args,
            inst,
        }))
    }

    /// The procedure of `CALL name(args)` and its input arguments: 42809 when the call
    /// resolves to a function, 42883 when nothing fits.
    pub(crate) fn bind_procedure_call(
        &mut self,
        fc: &protobuf::FuncCall,
    ) -> Result<(&'a SqlFunction, Vec<Expr>), SqlError> {
        // No aggregates, window functions, set-returning functions or subqueries.
        let saved = self.agg.replace(super::AggCollect {
            allowed: false,
            windows_allowed: false,
            context: "CALL arguments",
            ..Default::default()
        });
        let r = self.resolve_procedure_call(fc);
        self.agg = saved;
        r
    }

    fn resolve_procedure_call(
        &mut self,
        fc: &protobuf::FuncCall,
    ) -> Result<(&'a SqlFunction, Vec<Expr>), SqlError> {
        let scope = Scope::default();
        let fname = names(&fc.funcname);
        let resolved = if self.has_user_function(&fname) {
            self.resolve_user_call(fc, &scope)?
        } else {
            None
        };
        let name = fname.last().cloned().unwrap_or_default();
        match resolved {
            Some(r) if r.func.procedure => Ok((r.func, r.args)),
            Some(r) => Err(err(
                "42809",
                format!(
                    "{}({}) is not a procedure",
                    r.func.name,
                    self.call_types(fc, &scope)?
                ),
            )
            .with_hint("To call a function, use SELECT.")
            .at(pos(fc.location))),
            None => {
                let types = self.call_types(fc, &scope)?;
                // A function of that name that fits the arguments is the wrong kind.
                let node = protobuf::Node {
                    node: Some(Node::FuncCall(Box::new(fc.clone()))),
                };
                let is_function = self.bind_expr(&node, &scope).is_ok();
                Err(if is_function {
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
                .at(pos(fc.location)))
            }
        }
    }

    /// 42809 for a procedure called as a function.
    pub(crate) fn not_a_function(
        &mut self,
        f: &SqlFunction,
        fc: &protobuf::FuncCall,
        scope: &Scope,
    ) -> Result<(), SqlError> {
        if !f.procedure {
            return Ok(());
        }
        Err(err(
            "42809",
            format!("{}({}) is a procedure", f.name, self.call_types(fc, scope)?),
        )
        .with_hint("To call a procedure, use CALL.")
        .at(pos(fc.location)))
    }

    /// The argument types of a call as PostgreSQL's messages print them (`name => type`
    /// for a named one).
    pub(crate) fn call_types(
        &mut self,
        fc: &protobuf::FuncCall,
        scope: &Scope,
    ) -> Result<String, SqlError> {
        let (positional, named) = self.bind_positional_and_named(&fc.args, scope)?;
        let mut parts: Vec<String> = positional.iter().map(|(_, t)| t.format_type()).collect();
        parts.extend(
            named
                .iter()
                .map(|(n, _, t)| format!("{n} => {}", t.format_type())),
        );
        Ok(parts.join(", "))
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
        let types = r.types();
        let f = r.f();
        self.not_a_function(f, fc, scope)?;
        if f.retset {
            let mut call = self.user_srf_call(f, r.args.clone());
            let mut ty = f.result_type();
            let types: Vec<DataType> = f.arg_types();
            let mut record = f.composite().then(|| f.result_type());
            if f.anonymous_record() {
                // Records of whatever the body gives.
                let sp = self.search_path.clone();
                let body = bind_body(self.catalog, &sp, &self.types, f)
                    .map_err(SqlError::without_position)?;
                call.func.columns = body
                    .out
                    .unwrap_or_default()
                    .into_iter()
                    .enumerate()
                    .map(|(i, t)| (format!("f{}", i + 1), t))
                    .collect();
                ty = DataType::Record(Box::new(basalt_common::types::RecordType::named_fields(
                    call.func.columns.clone(),
                )));
                record = Some(ty.clone());
            }
            return self
                .srf_in_expression(call.func, call.args, &types, fc.location, record)
                .map(|(e, _)| Some((e, ty)));
        }
        let ty = f.result_type();
        Ok(Some((
            Expr::SqlFunc(Box::new(SqlCall {
                oid: f.oid,
                args: r.args.clone(),
                name: f.name.clone(),
                types,
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

/// A bound statement of a body.
pub(crate) enum BodyStmt {
    /// A query.
    Query(Box<Plan>),
    /// INSERT.
    Insert(Arc<BoundInsert>),
    /// UPDATE.
    Update(Arc<BoundUpdate>),
    /// DELETE.
    Delete(Arc<BoundDelete>),
    /// CALL of a procedure without output parameters: its OID and input arguments.
    Call(u32, Vec<Expr>),
    /// A statement with WITH queries computed first.
    With(Box<WithStmt>),
    /// DECLARE CURSOR: the query run when the statement runs, its rows handed to the
    /// session as a cursor ([`crate::cursor::Declared`]).
    Declare(Box<crate::cursor::DeclareBody>),
}

/// A statement whose WITH queries are computed before its main part, as the session runs a
/// statement with data-modifying WITH queries (`engine::run_with`): every part reads the
/// statement's start, each data-modifying query runs once, one nothing reads runs after
/// the main part.
#[derive(Debug)]
pub(crate) struct WithStmt {
    /// The WITH queries read by later parts: their ids and statements, in order.
    pub ctes: Vec<(usize, BodyStmt)>,
    /// The main part.
    pub main: BodyStmt,
    /// Data-modifying WITH queries nothing reads.
    pub after: Vec<BodyStmt>,
}

impl BodyStmt {
    /// The command name of a data-modifying statement.
    pub(crate) fn modifies(&self) -> Option<&'static str> {
        match self {
            BodyStmt::Query(_) => None,
            BodyStmt::Insert(_) => Some("INSERT"),
            BodyStmt::Update(_) => Some("UPDATE"),
            BodyStmt::Delete(_) => Some("DELETE"),
            BodyStmt::Call(..) => Some("CALL"),
            BodyStmt::Declare(_) => None,
            // PostgreSQL names the statement's own command.
            BodyStmt::With(w) => w
                .ctes
                .iter()
                .map(|(_, st)| st)
                .chain(&w.after)
                .chain(std::iter::once(&w.main))
                .find_map(BodyStmt::modifies)
                .map(|_| w.main.modifies().unwrap_or("SELECT")),
        }
    }
}

impl std::fmt::Debug for BodyStmt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyStmt::Query(p) => f.debug_tuple("Query").field(p).finish(),
            BodyStmt::Insert(_) => f.write_str("Insert"),
            BodyStmt::Update(_) => f.write_str("Update"),
            BodyStmt::Delete(_) => f.write_str("Delete"),
            BodyStmt::Call(oid, args) => f.debug_tuple("Call").field(oid).field(args).finish(),
            BodyStmt::With(w) => f.debug_tuple("With").field(w).finish(),
            BodyStmt::Declare(d) => f.debug_tuple("Declare").field(&d.name).finish(),
        }
    }
}

/// A bound body: its statements, and the casts of the last one's rows to the result
/// columns when it is INSERT / UPDATE / DELETE ... RETURNING (a query's casts are in its
/// plan).
#[derive(Debug)]
pub(crate) struct BoundBody {
    /// The statements, in order.
    pub stmts: Vec<BodyStmt>,
    /// Casts of the returned rows (`None`: taken as they are).
    pub cast: Option<Vec<Expr>>,
    /// The last statement's output types (none for INSERT / UPDATE / DELETE without
    /// RETURNING).
    pub out: Option<Vec<DataType>>,
}

/// Where a body's INSERT / UPDATE / DELETE statements are bound (the catalog, the
/// function's parameters) and run (the calling statement's execution context).
pub(crate) struct BodyHost<'h, 'c> {
    catalog: Option<Arc<Catalog>>,
    search_path: Vec<u32>,
    types: TypeContext,
    params: Option<(Vec<DataType>, FnParams)>,
    source: Option<Arc<str>>,
    cx: Option<&'h mut Cx<'c>>,
}

impl<'h, 'c> BodyHost<'h, 'c> {
    /// A host that runs bound statements in `cx`.
    pub(crate) fn running(cx: &'h mut Cx<'c>) -> Self {
        BodyHost {
            catalog: None,
            search_path: Vec::new(),
            types: cx.func.types,
            params: None,
            source: None,
            cx: Some(cx),
        }
    }
}

impl DmlHost for BodyHost<'_, '_> {
    fn load_catalog(&mut self) -> Result<Arc<Catalog>, SqlError> {
        self.catalog
            .clone()
            .ok_or_else(|| err("XX000", "no catalog to bind a function body with"))
    }

    fn binder<'b>(&'b self, catalog: &'b Catalog) -> Binder<'b> {
        let mut b = Binder::new(catalog, self.search_path.clone(), self.types);
        if let Some((types, params)) = &self.params {
            b.params = types.clone();
            b.fn_params = Some(params.clone());
        }
        b.source = self.source.clone();
        b
    }

    fn binder_env<'b>(&'b self, catalog: &'b Catalog, env: Option<&WithEnv>) -> Binder<'b> {
        let mut b = self.binder(catalog);
        for c in env.iter().flat_map(|e| &e.ctes) {
            b.add_external_cte(&c.name, c.id, c.names.clone(), c.types.clone(), c.returning);
        }
        b
    }

    fn type_context(&self) -> TypeContext {
        self.types
    }

    fn check_writable(&self) -> Result<(), SqlError> {
        Ok(())
    }

    fn bound<T: Cacheable>(
        &mut self,
        _text: &str,
        bind: impl FnOnce(&mut Self, &Arc<Catalog>) -> Result<T, SqlError>,
    ) -> Result<(Arc<Catalog>, Arc<T>), SqlError> {
        let c = self.load_catalog()?;
        let b = bind(self, &c)?;
        Ok((c, Arc::new(b)))
    }

    fn with_cx_env<R>(
        &mut self,
        _catalog: &Catalog,
        _params: &[Value],
        _env: Option<&WithEnv>,
        f: impl FnOnce(&mut Cx<'_>) -> Result<R, SqlError>,
    ) -> Result<R, SqlError> {
        match self.cx.as_deref_mut() {
            Some(cx) => f(cx),
            None => Err(err("XX000", "no execution context for a function body")),
        }
    }

    fn movable_params(&mut self) -> Option<&mut [Value]> {
        // The arguments are the body's, read by each call.
        None
    }

    fn current_of_plan(
        &self,
        _plan: &crate::plan::Plan,
        _cursor: &str,
        _table: &crate::catalog::Table,
    ) -> Result<crate::plan::Plan, SqlError> {
        Err(err(
            "0A000",
            "WHERE CURRENT OF in a SQL function body is not supported",
        ))
    }
}

/// The parameters a body's statements see: the input parameters, as `$n` and by name.
fn fn_params(f: &SqlFunction) -> (Vec<DataType>, FnParams) {
    (
        f.arg_types(),
        FnParams {
            func: f.name.clone(),
            params: f
                .args
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone()))
                .collect(),
        },
    )
}

/// Binds every statement of a body (the last one's output cast to the declared result).
pub(crate) fn bind_body(
    cat: &Catalog,
    search_path: &[u32],
    types: &TypeContext,
    f: &SqlFunction,
) -> Result<BoundBody, SqlError> {
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
    let mut host = BodyHost {
        catalog: None,
        search_path: search_path.to_vec(),
        types: *types,
        params: Some(fn_params(f)),
        source: None,
        cx: None,
    };
    let mut stmts = Vec::new();
    let mut cast = None;
    let mut last_out = None;
    let n = nodes.len();
    for (i, (node, text)) in nodes.iter().enumerate() {
        let last = i + 1 == n;
        host.source = Some(Arc::from(*text));
        let (st, out) = bind_statement(cat, &mut host, node)?;
        if last {
            last_out = out.clone();
        }
        let st = match st {
            BodyStmt::Query(plan) if last && !f.void => match result_casts(f, &out)? {
                Some(exprs) => BodyStmt::Query(Box::new(Plan::Project { input: plan, exprs })),
                None => BodyStmt::Query(plan),
            },
            st if last && !f.void => {
                cast = result_casts(f, &out)?;
                st
            }
            st => st,
        };
        stmts.push(st);
    }
    if stmts.is_empty() && !f.void {
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
    Ok(BoundBody {
        stmts,
        cast,
        out: last_out,
    })
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
            f.result_type().format_type()
        ),
    )
}

/// Whether a WITH clause holds a data-modifying query.
fn with_modifies(w: Option<&protobuf::WithClause>) -> bool {
    w.is_some_and(|w| {
        w.ctes.iter().any(|c| {
            matches!(c.node.as_ref(), Some(Node::CommonTableExpr(cte))
                if !matches!(cte.ctequery.as_deref().and_then(|q| q.node.as_ref()),
                    Some(Node::SelectStmt(_))))
        })
    })
}

/// Binds one statement of a body: the statement and its output types (none for INSERT /
/// UPDATE / DELETE without RETURNING).
fn bind_statement(
    cat: &Catalog,
    host: &mut BodyHost<'_, '_>,
    node: &Node,
) -> Result<(BodyStmt, Option<Vec<DataType>>), SqlError> {
    let with = match node {
        Node::SelectStmt(s) if with_modifies(s.with_clause.as_ref()) => s.with_clause.as_ref(),
        Node::InsertStmt(s) => s.with_clause.as_ref(),
        Node::UpdateStmt(s) => s.with_clause.as_ref(),
        Node::DeleteStmt(s) => s.with_clause.as_ref(),
        _ => None,
    };
    if let Some(with) = with {
        if host.catalog.is_none() {
            host.catalog = Some(Arc::new(cat.clone()));
        }
        return bind_with(cat, host, with, node);
    }
    if !matches!(node, Node::SelectStmt(_)) && host.catalog.is_none() {
        host.catalog = Some(Arc::new(cat.clone()));
    }
    match node {
        Node::SelectStmt(_) => {
            let q = host.binder(cat).bind_query(&protobuf::Node {
                node: Some(node.clone()),
            })?;
            let q = crate::optimizer::optimize_query(q, cat);
            Ok((BodyStmt::Query(Box::new(q.plan)), Some(q.types)))
        }
        Node::InsertStmt(_) | Node::UpdateStmt(_) | Node::DeleteStmt(_) => {
            let (st, out) = bind_modifying(host, node, None)?;
            Ok((st, out.map(|(_, t)| t)))
        }
        Node::CallStmt(c) => {
            let Some(fc) = c.funccall.as_deref() else {
                return Err(err("42601", "CALL without a procedure"));
            };
            let (p, args) = host.binder(cat).bind_procedure_call(fc)?;
            if !p.out_params.is_empty() {
                return Err(err(
                    "0A000",
                    "calling procedures with output arguments is not supported in SQL functions",
                ));
            }
            Ok((BodyStmt::Call(p.oid, args), None))
        }
        Node::DeclareCursorStmt(d) => {
            let Some(Node::SelectStmt(sel)) = d.query.as_deref().and_then(|q| q.node.as_ref())
            else {
                return Err(err("42601", "DECLARE CURSOR without a query"));
            };
            if !sel.locking_clause.is_empty() {
                return Err(err(
                    "0A000",
                    "feature not supported: DECLARE CURSOR ... FOR UPDATE in a SQL function body",
                ));
            }
            let q = host.binder(cat).bind_select(sel)?;
            let q = crate::optimizer::optimize_query(q, cat);
            Ok((
                BodyStmt::Declare(Box::new(crate::cursor::DeclareBody::new(
                    d,
                    q,
                    // pg_cursors.statement: the function body's text, as PostgreSQL shows.
                    host.source.as_deref().map_or_else(
                        || crate::ddl::deparse_stmt(node.clone()).unwrap_or_default(),
                        str::to_string,
                    ),
                ))),
                None,
            ))
        }
        other => Err(err(
            "0A000",
            format!(
                "feature not supported: {} in a SQL function body",
                crate::describe::statement_name(other)
            ),
        )),
    }
}

/// The output names and types of a bound INSERT / UPDATE / DELETE: its RETURNING list.
type Returned = Option<(Vec<String>, Vec<DataType>)>;

fn returned(r: &Option<(Vec<String>, Vec<DataType>, Vec<Expr>)>) -> Returned {
    r.as_ref().map(|(n, t, _)| (n.clone(), t.clone()))
}

/// Binds an INSERT / UPDATE / DELETE with the computed WITH queries of `env`.
fn bind_modifying(
    host: &mut BodyHost<'_, '_>,
    node: &Node,
    env: Option<&WithEnv>,
) -> Result<(BodyStmt, Returned), SqlError> {
    if crate::engine::dml_has_with(node) {
        return Err(err(
            "0A000",
            "feature not supported: WITH on a data-modifying WITH query in a SQL function body",
        ));
    }
    match node {
        Node::InsertStmt(s) => {
            let b = host.bind_insert(s, env)?;
            let out = returned(&b.returning);
            Ok((BodyStmt::Insert(Arc::new(b)), out))
        }
        Node::UpdateStmt(s) => {
            let b = host.bind_update(s, env)?;
            let out = returned(&b.returning);
            Ok((BodyStmt::Update(Arc::new(b)), out))
        }
        Node::DeleteStmt(s) => {
            let b = host.bind_delete(s, env)?;
            let out = returned(&b.returning);
            Ok((BodyStmt::Delete(Arc::new(b)), out))
        }
        other => Err(SqlError::Unsupported(crate::describe::statement_name(
            other,
        ))),
    }
}

/// Binds a statement with WITH queries computed first (see [`WithStmt`]): each WITH query
/// is bound with the ones before it, the main part with all that are read.
fn bind_with(
    cat: &Catalog,
    host: &mut BodyHost<'_, '_>,
    with: &protobuf::WithClause,
    node: &Node,
) -> Result<(BodyStmt, Option<Vec<DataType>>), SqlError> {
    let mut main = node.clone();
    match &mut main {
        Node::SelectStmt(s) => s.with_clause = None,
        Node::InsertStmt(s) => s.with_clause = None,
        Node::UpdateStmt(s) => s.with_clause = None,
        Node::DeleteStmt(s) => s.with_clause = None,
        _ => {}
    }
    let main_text = format!("{main:?}");
    let items = super::with_items(with)?;
    let mut env = WithEnv::default();
    let mut ctes = Vec::new();
    let mut after = Vec::new();
    for (k, cte) in items.iter().enumerate() {
        let Some(q) = cte.ctequery.as_deref().and_then(|q| q.node.as_ref()) else {
            continue;
        };
        let id = WITH_ENV_IDS + env.ctes.len();
        let (st, out, returning) = match q {
            Node::SelectStmt(_) => {
                let sel = cte_reader(cte, with.recursive);
                let b = host.binder_env(cat, Some(&env)).bind_select(&sel)?;
                let b = crate::optimizer::optimize_query(b, cat);
                let types = b.types.into_iter().map(text_for_unknown).collect();
                (
                    BodyStmt::Query(Box::new(b.plan)),
                    Some((b.names, types)),
                    true,
                )
            }
            other => {
                let (st, out) = bind_modifying(host, other, Some(&env))?;
                let returning = out.is_some();
                (st, out, returning)
            }
        };
        let (mut cols, types) = out.unwrap_or_default();
        super::apply_cte_aliases(cte, &mut cols, returning)?;
        // A data-modifying query nothing reads runs after the main part.
        if st.modifies().is_some() && !super::cte_read_later(cte, &main_text, &items[k + 1..]) {
            after.push(st);
            continue;
        }
        env.ctes.push(WithCte {
            name: cte.ctename.clone(),
            id,
            names: cols,
            types,
            rows: Arc::new(Vec::new()),
            returning,
        });
        ctes.push((id, st));
    }
    let (main, out) = match &main {
        Node::SelectStmt(s) => {
            let q = host.binder_env(cat, Some(&env)).bind_select(s)?;
            let q = crate::optimizer::optimize_query(q, cat);
            (BodyStmt::Query(Box::new(q.plan)), Some(q.types))
        }
        other => {
            let (st, out) = bind_modifying(host, other, Some(&env))?;
            (st, out.map(|(_, t)| t))
        }
    };
    Ok((
        BodyStmt::With(Box::new(WithStmt { ctes, main, after })),
        out,
    ))
}

/// The casts of the last statement's output to the declared result columns (`None`: it
/// has them already).
fn result_casts(
    f: &SqlFunction,
    out: &Option<Vec<DataType>>,
) -> Result<Option<Vec<Expr>>, SqlError> {
    let Some(out) = out else {
        return Err(mismatch(f).with_detail(
            "Function's final statement must be SELECT or INSERT/UPDATE/DELETE RETURNING.",
        ));
    };
    // A `RETURNS record` function's caller says the columns; a composite result may come
    // as one record (both checked when the rows come, `sqlfunc::shape_rows`).
    if f.anonymous_record() {
        return Ok(None);
    }
    let want = f.columns();
    if want.len() > 1 && matches!(out.as_slice(), [DataType::Record(_)]) {
        return Ok(None);
    }
    // A `RETURNS record` function checked against a column definition list (its columns
    // as outputs): a row of them.
    let composite = f.composite()
        || (matches!(&f.ret, DataType::Record(r) if r.oid == 2249) && !f.outputs().is_empty());
    if !composite {
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
            // An untyped literal is text there.
            let t = if *t == DataType::Unknown {
                &DataType::Text
            } else {
                t
            };
            return Err(if composite {
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
        return Ok(None);
    }
    Ok(Some(exprs))
}
