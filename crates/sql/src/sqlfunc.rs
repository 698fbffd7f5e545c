//! SQL-language functions and procedures (`CREATE FUNCTION | PROCEDURE ... LANGUAGE sql`),
//! as in PostgreSQL 15.
//!
//! # Storage
//!
//! A routine is a [`SqlFunction`] in the catalog (`Catalog::functions`, serialized with the
//! rest of it, so routines persist and their DDL is transactional); a procedure has
//! `procedure` set. Its body is kept as the SQL text of each statement: the `AS $$ ... $$`
//! string split into statements, or the deparsed statements of a SQL-standard body
//! (`RETURN expr` is kept as `SELECT expr`).
//!
//! # Parameters
//!
//! `args` are the input parameters (IN, INOUT, VARIADIC): the call signature, and the
//! body's `$n` / names. `out_params` (OUT and INOUT) are the result's columns: one gives a
//! scalar, several a record, like the columns of `RETURNS TABLE`. `declared` keeps the
//! order as written for the catalog functions when some parameter is not plain IN. A
//! VARIADIC parameter is the last input one, an array; a call without `VARIADIC` passes
//! the trailing arguments as its elements (`binder::sqlfunc`).
//!
//! # Calls
//!
//! A call is bound to [`crate::expr::Expr::SqlFunc`] (a scalar result) or to a table
//! function call (`TableFunc::Sql`, for `SETOF` / `TABLE` results in FROM or in a select
//! list); `CALL` of a procedure runs through [`call`] too (`procedure.rs`). Nothing of
//! the body is inlined: when the call runs, [`call`] binds the body's statements with the
//! arguments as parameters (`$n`, or the argument names), caches the bound body for the
//! statement, and runs it in a nested execution context over the same transaction; the
//! last statement's rows are the result. So recursion works, and its depth is bounded
//! ([`MAX_DEPTH`] levels and the thread's remaining stack: 54001, as PostgreSQL's
//! `max_stack_depth`).
//!
//! INSERT / UPDATE / DELETE in a body are bound and run by the same code as top-level
//! statements (`engine::DmlHost`, here implemented by `binder::sqlfunc::BodyHost` over the
//! calling statement's execution context). What a body reads is PostgreSQL's: each
//! statement of a VOLATILE function (or procedure) is a new command of the calling
//! statement's [`crate::snapshot::CommandLog`], seeing everything written before it; a
//! STABLE / IMMUTABLE body reads its caller's snapshot.
//!
//! # Polymorphism
//!
//! Parameters and results may be pseudo-types (`DataType::Pseudo`: `anyelement`,
//! `anycompatible`, ...). The binder resolves them per call from the argument types
//! ([`PolyTypes`]) and the call runs an instance of the function with actual types
//! ([`SqlFunction::instantiate`]), its body bound for them.
//! A body that changes data (or CALLs) in a STABLE / IMMUTABLE function fails when called
//! (0A000), as PostgreSQL checks at the start of a call.
//!
//! Bodies are checked when the routine is created (PostgreSQL's `check_function_bodies`):
//! every statement is bound, and the last one must yield the declared result (42P13).

use std::sync::Arc;

use basalt_common::types::{CastContext, DataType, TypeContext, Value, cast_context};
use pg_query::protobuf::{self, node::Node};
use serde::{Deserialize, Serialize};

use crate::binder::sqlfunc::{BodyHost, BodyStmt, BoundBody, WithStmt};
use crate::binder::{names, pos, resolve_type_in};
use crate::catalog::Catalog;
use crate::error::SqlError;
use crate::exec::{Cx, collect};
use crate::expr::Row;
use basalt_common::types::Pseudo;

/// Nesting depth of SQL function calls beyond which a call fails with 54001.
pub const MAX_DEPTH: usize = 200;
/// Stack a call needs left on the thread to run one more level.
const CALL_STACK: usize = 256 << 10;

fn err(code: &'static str, msg: impl Into<String>) -> SqlError {
    SqlError::new(code, msg)
}

/// An argument of a function.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FuncArg {
    /// Name (empty when unnamed).
    pub name: String,
    /// Type.
    #[serde(with = "crate::catalog::datatype_text")]
    pub ty: DataType,
    /// DEFAULT expression as SQL text.
    pub default: Option<String>,
    /// `proargmodes`: `i` IN, `o` OUT, `b` INOUT, `v` VARIADIC, `t` TABLE.
    #[serde(default = "in_mode")]
    pub mode: char,
}

fn in_mode() -> char {
    'i'
}

/// A SQL-language function.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SqlFunction {
    /// OID.
    pub oid: u32,
    /// Schema OID.
    pub schema: u32,
    /// Name.
    pub name: String,
    /// Input arguments (IN, INOUT and VARIADIC parameters).
    pub args: Vec<FuncArg>,
    /// Every parameter as declared (with OUT ones) when some is not a plain IN one; else
    /// empty (`args` then lists them all).
    #[serde(default)]
    pub declared: Vec<FuncArg>,
    /// The OUT and INOUT parameters: the result's columns.
    #[serde(default)]
    pub out_params: Vec<FuncArg>,
    /// A procedure (`CREATE PROCEDURE`, `prokind` `p`).
    #[serde(default)]
    pub procedure: bool,
    /// Result type (of one row for a set-returning function; a record of `columns` for
    /// `RETURNS TABLE` with several columns).
    #[serde(with = "crate::catalog::datatype_text")]
    pub ret: DataType,
    /// `RETURNS void`.
    pub void: bool,
    /// `SETOF` / `TABLE`.
    pub retset: bool,
    /// The columns of `RETURNS TABLE (...)`.
    pub table_cols: Vec<FuncArg>,
    /// `i`, `s` or `v`.
    pub volatility: char,
    /// STRICT (RETURNS NULL ON NULL INPUT).
    pub strict: bool,
    /// The body's statements as SQL text.
    pub body: Vec<String>,
    /// `prosrc`: the `AS` string (empty for a SQL-standard body).
    pub src: String,
    /// The body is `RETURN expr` (kept as `SELECT expr`).
    #[serde(default)]
    pub body_is_return: bool,
    /// Attributes that change nothing here but are kept and shown (`prosecdef`,
    /// `proleakproof`, `procost`, `prorows`, `proparallel`).
    #[serde(default)]
    pub attrs: FuncAttrs,
}

/// SECURITY DEFINER, LEAKPROOF, COST, ROWS and PARALLEL of a routine. They are recorded
/// and shown as PostgreSQL does; a routine runs the same whatever they say (there are no
/// roles nor parallel workers to act on).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct FuncAttrs {
    /// SECURITY DEFINER.
    pub secdef: bool,
    /// LEAKPROOF.
    pub leakproof: bool,
    /// COST (`None`: the default, 100).
    pub cost: Option<f32>,
    /// ROWS of a set-returning function (`None`: the default, 1000).
    pub rows: Option<f32>,
    /// PARALLEL: `s`, `r` or `u` (the default, also for `None`).
    pub parallel: Option<char>,
}

impl FuncAttrs {
    /// `procost`.
    pub fn cost(&self) -> f32 {
        self.cost.unwrap_or(100.0)
    }

    /// `prorows` of a function (`retset` or not).
    pub fn rows(&self, retset: bool) -> f32 {
        match self.rows {
            Some(r) if retset => r,
            _ if retset => 1000.0,
            _ => 0.0,
        }
    }

    /// `proparallel`.
    pub fn parallel(&self) -> char {
        self.parallel.unwrap_or('u')
    }
}

/// The attributes a CREATE or ALTER FUNCTION | PROCEDURE states, before they are applied.
#[derive(Default)]
struct AttrItems<'a> {
    volatility: Option<char>,
    strict: Option<bool>,
    secdef: Option<bool>,
    leakproof: Option<bool>,
    cost: Option<f32>,
    rows: Option<f32>,
    parallel: Option<char>,
    seen: Vec<&'a str>,
}

impl<'a> AttrItems<'a> {
    /// Takes one attribute; `Ok(false)` when `d` is not one of them (LANGUAGE, AS, WINDOW).
    fn take(&mut self, d: &'a protobuf::DefElem, procedure: bool) -> Result<bool, SqlError> {
        let name = d.defname.as_str();
        let known = matches!(
            name,
            "volatility"
                | "strict"
                | "security"
                | "leakproof"
                | "cost"
                | "rows"
                | "parallel"
                | "set"
                | "support"
        );
        if !known {
            return Ok(false);
        }
        if procedure
            && matches!(
                name,
                "volatility" | "strict" | "leakproof" | "cost" | "rows" | "parallel" | "support"
            )
        {
            return Err(
                err("42P13", "invalid attribute in procedure definition").at(pos(d.location))
            );
        }
        if name != "set" {
            if self.seen.contains(&name) {
                return Err(err("42601", "conflicting or redundant options").at(pos(d.location)));
            }
            self.seen.push(name);
        }
        let arg = d.arg.as_deref().and_then(|a| a.node.as_ref());
        let flag = matches!(arg, Some(Node::Boolean(b)) if b.boolval);
        let number = || match arg {
            Some(Node::Integer(i)) => Some(i.ival as f32),
            Some(Node::Float(f)) => f.fval.parse::<f32>().ok(),
            _ => None,
        };
        match name {
            "volatility" => {
                self.volatility = Some(match arg.and_then(node_text).as_deref() {
                    Some("immutable") => 'i',
                    Some("stable") => 's',
                    _ => 'v',
                })
            }
            "strict" => self.strict = Some(flag),
            "security" => self.secdef = Some(flag),
            "leakproof" => self.leakproof = Some(flag),
            "cost" => {
                let c = number().unwrap_or(0.0);
                if c <= 0.0 {
                    return Err(err("22023", "COST must be positive"));
                }
                self.cost = Some(c);
            }
            "rows" => {
                let r = number().unwrap_or(0.0);
                if r <= 0.0 {
                    return Err(err("22023", "ROWS must be positive"));
                }
                self.rows = Some(r);
            }
            "parallel" => {
                self.parallel = Some(match arg.and_then(node_text).as_deref() {
                    Some("safe") => 's',
                    Some("restricted") => 'r',
                    Some("unsafe") => 'u',
                    _ => {
                        return Err(err(
                            "42601",
                            "parameter \"parallel\" must be SAFE, RESTRICTED, or UNSAFE",
                        ));
                    }
                })
            }
            "set" => {
                return Err(err(
                    "0A000",
                    "feature not supported: SET configuration parameters of routines",
                )
                .at(pos(d.location)));
            }
            _ => {
                let support = match arg {
                    Some(Node::List(l)) => l
                        .items
                        .iter()
                        .filter_map(|i| i.node.as_ref().and_then(node_text))
                        .collect::<Vec<_>>()
                        .join("."),
                    Some(n) => node_text(n).unwrap_or_default(),
                    None => String::new(),
                };
                return Err(err(
                    "42883",
                    format!("function {support}(internal) does not exist"),
                ));
            }
        }
        Ok(true)
    }

    /// Applies the attributes taken to `f` (ROWS only to a set-returning function).
    fn apply(&self, f: &mut SqlFunction) -> Result<(), SqlError> {
        if self.rows.is_some() && !f.retset {
            return Err(err(
                "22023",
                "ROWS is not applicable when function does not return a set",
            ));
        }
        if let Some(v) = self.volatility {
            f.volatility = v;
        }
        if let Some(v) = self.strict {
            f.strict = v;
        }
        if let Some(v) = self.secdef {
            f.attrs.secdef = v;
        }
        if let Some(v) = self.leakproof {
            f.attrs.leakproof = v;
        }
        if let Some(v) = self.cost {
            f.attrs.cost = Some(v);
        }
        if let Some(v) = self.rows {
            f.attrs.rows = Some(v);
        }
        if let Some(v) = self.parallel {
            f.attrs.parallel = Some(v);
        }
        Ok(())
    }
}

/// `ALTER FUNCTION | PROCEDURE | ROUTINE name[(types)] action ...` (volatility, STRICT,
/// SECURITY, LEAKPROOF, COST, ROWS, PARALLEL).
pub fn alter_function(
    cat: &mut Catalog,
    search_path: &[u32],
    s: &protobuf::AlterFunctionStmt,
) -> Result<RoutineKind, SqlError> {
    let kind = RoutineKind::of_object(s.objtype).unwrap_or(RoutineKind::Function);
    let Some(owa) = s.func.as_ref() else {
        return Err(err("42601", "ALTER FUNCTION without a function"));
    };
    let resolve = |tn: &protobuf::TypeName| routine_type(cat, search_path, tn);
    let oid = lookup_object(cat, search_path, owa, kind, &resolve)??;
    let procedure = cat.functions.get(&oid).is_some_and(|f| f.procedure);
    let mut items = AttrItems::default();
    for a in &s.actions {
        if let Some(Node::DefElem(d)) = a.node.as_ref() {
            items.take(d, procedure)?;
        }
    }
    let Some(mut f) = cat.functions.get(&oid).cloned() else {
        return Ok(kind);
    };
    items.apply(&mut f)?;
    cat.functions.insert(oid, f);
    Ok(kind)
}

impl SqlFunction {
    /// The argument types.
    pub fn arg_types(&self) -> Vec<DataType> {
        self.args.iter().map(|a| a.ty.clone()).collect()
    }

    /// The declared parameters (OUT ones included).
    pub fn declared(&self) -> &[FuncArg] {
        if self.declared.is_empty() {
            &self.args
        } else {
            &self.declared
        }
    }

    /// The output columns given by name: `RETURNS TABLE` columns, else OUT / INOUT
    /// parameters.
    pub fn outputs(&self) -> &[FuncArg] {
        if self.table_cols.is_empty() {
            &self.out_params
        } else {
            &self.table_cols
        }
    }

    /// Whether the last input parameter is VARIADIC.
    pub fn variadic(&self) -> bool {
        self.args.last().is_some_and(|a| a.mode == 'v')
    }

    /// The result columns: one per field for a composite or TABLE result, else one named
    /// after the function.
    pub fn columns(&self) -> Vec<(String, DataType)> {
        if !self.outputs().is_empty() {
            // An unnamed output is `columnN`, as PostgreSQL names it.
            return self
                .outputs()
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let name = if c.name.is_empty() {
                        format!("column{}", i + 1)
                    } else {
                        c.name.clone()
                    };
                    (name, c.ty.clone())
                })
                .collect();
        }
        if let DataType::Record(r) = &self.ret
            && r.oid != 2249
        {
            return r
                .fields
                .iter()
                .map(|(n, t)| (n.clone(), t.clone()))
                .collect();
        }
        vec![(self.name.clone(), self.result_type())]
    }

    /// The type of a call's value.
    pub fn result_type(&self) -> DataType {
        if self.outputs().len() > 1 || (self.procedure && !self.outputs().is_empty()) {
            return DataType::Record(Box::new(basalt_common::types::RecordType {
                oid: 2249,
                array_oid: 2287,
                name: None,
                fields: self.columns(),
            }));
        }
        if self.void {
            return DataType::Pseudo(Pseudo::Void);
        }
        self.ret.clone()
    }

    /// Whether a scalar call gives a record of several columns.
    pub fn composite(&self) -> bool {
        self.outputs().len() > 1
            || (self.procedure && !self.outputs().is_empty())
            || matches!(&self.ret, DataType::Record(r) if r.oid != 2249)
    }

    /// "function" or "procedure".
    pub fn kind_word(&self) -> &'static str {
        if self.procedure {
            "procedure"
        } else {
            "function"
        }
    }

    /// `name(type, ...)` as PostgreSQL prints a signature.
    pub fn signature(&self) -> String {
        format!("{}({})", self.name, type_list(&self.arg_types()))
    }

    /// `RETURNS record` (or `SETOF record`) without OUT parameters: a call in FROM names
    /// the columns (`AS t(a int, ...)`), any last statement will do.
    pub fn anonymous_record(&self) -> bool {
        self.outputs().is_empty()
            && !self.void
            && matches!(&self.ret, DataType::Record(r) if r.oid == 2249)
    }

    /// Whether some input parameter is polymorphic (`anyelement`, ...).
    pub fn polymorphic(&self) -> bool {
        self.declared()
            .iter()
            .any(|a| matches!(a.ty, DataType::Pseudo(p) if p.polymorphic()))
    }

    /// The function as a call with these resolved pseudo-types sees it: every parameter,
    /// result column and the result with actual types.
    pub fn instantiate(&self, poly: &PolyTypes) -> SqlFunction {
        let fix = |args: &[FuncArg]| -> Vec<FuncArg> {
            args.iter()
                .map(|a| FuncArg {
                    ty: poly.subst(&a.ty),
                    ..a.clone()
                })
                .collect()
        };
        SqlFunction {
            args: fix(&self.args),
            declared: fix(&self.declared),
            out_params: fix(&self.out_params),
            table_cols: fix(&self.table_cols),
            ret: poly.subst(&self.ret),
            ..self.clone()
        }
    }
}

/// PostgreSQL's check that a polymorphic result can be resolved from the inputs
/// (`cannot determine result data type`, 42P13).
fn check_polymorphic_result(args: &[FuncArg], outs: &[&DataType]) -> Result<(), SqlError> {
    let has = |ks: &[Pseudo]| {
        args.iter()
            .any(|a| matches!(&a.ty, DataType::Pseudo(p) if ks.contains(p)))
    };
    for t in outs {
        let DataType::Pseudo(p) = t else {
            continue;
        };
        if !p.polymorphic() {
            continue;
        }
        let (ok, inputs) = match p {
            Pseudo::AnyRange => (has(&[Pseudo::AnyRange]), "anyrange or anymultirange"),
            Pseudo::AnyCompatibleRange => (
                has(&[Pseudo::AnyCompatibleRange]),
                "anycompatiblerange or anycompatiblemultirange",
            ),
            p if p.compatible() => (
                has(&[
                    Pseudo::AnyCompatible,
                    Pseudo::AnyCompatibleArray,
                    Pseudo::AnyCompatibleNonArray,
                    Pseudo::AnyCompatibleRange,
                ]),
                "anycompatible, anycompatiblearray, anycompatiblenonarray, anycompatiblerange, or anycompatiblemultirange",
            ),
            _ => (
                has(&[
                    Pseudo::AnyElement,
                    Pseudo::AnyArray,
                    Pseudo::AnyNonArray,
                    Pseudo::AnyEnum,
                    Pseudo::AnyRange,
                ]),
                "anyelement, anyarray, anynonarray, anyenum, anyrange, or anymultirange",
            ),
        };
        if !ok {
            return Err(
                err("42P13", "cannot determine result data type").with_detail(format!(
                    "A result of type {} requires at least one input of type {inputs}.",
                    p.name()
                )),
            );
        }
    }
    Ok(())
}

/// The type of a routine's parameter or result: a polymorphic pseudo-type by its name
/// (only here), else any type.
pub fn routine_type(
    cat: &Catalog,
    search_path: &[u32],
    tn: &protobuf::TypeName,
) -> Result<DataType, SqlError> {
    let parts = names(&tn.names);
    if tn.array_bounds.is_empty()
        && let [name] | [_, name] = parts.as_slice()
        && (parts.len() == 1 || parts[0] == "pg_catalog")
        && let Some(p) = Pseudo::from_name(name)
    {
        return Ok(DataType::Pseudo(p));
    }
    resolve_type_in(cat, search_path, tn)
}

/// What a call of a polymorphic function resolved its pseudo-types to: the `anyelement`
/// family's element type and the `anycompatible` family's common type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PolyTypes {
    /// `anyelement` (`anyarray` is an array of it).
    pub elem: Option<DataType>,
    /// `anycompatible` (`anycompatiblearray` is an array of it).
    pub compat: Option<DataType>,
}

impl PolyTypes {
    /// `t` with its pseudo-type replaced (an unresolved one stays).
    pub fn subst(&self, t: &DataType) -> DataType {
        let DataType::Pseudo(p) = t else {
            return t.clone();
        };
        let (family, array) = match p {
            Pseudo::Void => return t.clone(),
            Pseudo::AnyElement | Pseudo::AnyNonArray | Pseudo::AnyEnum => (&self.elem, false),
            Pseudo::AnyArray => (&self.elem, true),
            Pseudo::AnyCompatible | Pseudo::AnyCompatibleNonArray => (&self.compat, false),
            Pseudo::AnyCompatibleArray => (&self.compat, true),
            Pseudo::AnyRange | Pseudo::AnyCompatibleRange => (&None, false),
        };
        match family {
            Some(e) if array => DataType::Array(Box::new(e.clone())),
            Some(e) => e.clone(),
            None => t.clone(),
        }
    }

    /// The types a call's actual input types (already resolved, in parameter order) give.
    pub fn of_call(params: &[FuncArg], actual: &[DataType]) -> PolyTypes {
        let mut out = PolyTypes::default();
        for (p, a) in params.iter().zip(actual) {
            let DataType::Pseudo(k) = &p.ty else {
                continue;
            };
            let slot = if k.compatible() {
                &mut out.compat
            } else {
                &mut out.elem
            };
            let t = match k {
                Pseudo::AnyArray | Pseudo::AnyCompatibleArray => a.element().cloned(),
                _ => Some(a.clone()),
            };
            if slot.is_none() {
                *slot = t;
            }
        }
        out
    }
}

/// Types as a comma-separated list.
pub fn type_list(types: &[DataType]) -> String {
    types
        .iter()
        .map(DataType::format_type)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The functions named `name` visible through `schemas`, nearest schema first.
pub fn candidates<'c>(cat: &'c Catalog, schemas: &[u32], name: &str) -> Vec<&'c SqlFunction> {
    let mut out = Vec::new();
    for s in schemas {
        out.extend(
            cat.functions
                .values()
                .filter(|f| f.schema == *s && f.name == name),
        );
    }
    out
}

/// The schemas a possibly qualified function name is looked up in.
pub fn lookup_schemas(cat: &Catalog, search_path: &[u32], parts: &[String]) -> Option<Vec<u32>> {
    match parts {
        // Functions are never found in the temporary schema without naming it (PostgreSQL:
        // a temporary function could hijack calls otherwise).
        [_] => Some(
            search_path
                .iter()
                .copied()
                .filter(|o| !cat.schema_name(*o).starts_with("pg_temp_"))
                .collect(),
        ),
        [s, _] => cat.schema_in_path(search_path, s).map(|o| vec![o]),
        _ => None,
    }
}

/// The schema OID and name a routine or aggregate named `parts` (`name` or `schema.name`) is
/// created with.
pub(crate) fn creation_target(
    cat: &Catalog,
    search_path: &[u32],
    parts: &[String],
) -> Result<(u32, String), SqlError> {
    let (schema_name, name) = match parts {
        [n] => ("", n.clone()),
        [sc, n] => (sc.as_str(), n.clone()),
        _ => {
            return Err(err(
                "42601",
                "improper qualified name (too many dotted names)",
            ));
        }
    };
    Ok((
        crate::ddl::creation_schema(cat, search_path, schema_name)?,
        name,
    ))
}

/// `CREATE [OR REPLACE] FUNCTION`.
pub fn create_function(
    cat: &mut Catalog,
    search_path: &[u32],
    types: &TypeContext,
    s: &protobuf::CreateFunctionStmt,
    source: Option<&str>,
    check_bodies: bool,
) -> Result<(), SqlError> {
    let (schema, name) = creation_target(cat, search_path, &names(&s.funcname))?;
    let mut args: Vec<FuncArg> = Vec::new();
    let mut declared: Vec<FuncArg> = Vec::new();
    let mut out_params = Vec::new();
    let mut table_cols = Vec::new();
    let mut seen_default = false;
    for p in &s.parameters {
        let Some(Node::FunctionParameter(fp)) = p.node.as_ref() else {
            continue;
        };
        let Some(tn) = &fp.arg_type else {
            return Err(err("42601", "parameter without a type"));
        };
        let ty = routine_type(cat, search_path, tn).map_err(|e| e.at(pos(tn.location)))?;
        if matches!(ty, DataType::Pseudo(p) if !p.polymorphic()) {
            return Err(err(
                "42P13",
                format!(
                    "SQL functions cannot have arguments of type {}",
                    ty.format_type()
                ),
            ));
        }
        use protobuf::FunctionParameterMode as M;
        let mode = match M::try_from(fp.mode).unwrap_or(M::FuncParamIn) {
            M::FuncParamTable => 't',
            M::FuncParamOut => 'o',
            M::FuncParamInout => 'b',
            M::FuncParamVariadic => 'v',
            M::FuncParamIn | M::FuncParamDefault | M::Undefined => 'i',
        };
        let arg = FuncArg {
            name: fp.name.clone(),
            ty,
            default: None,
            mode,
        };
        if mode == 't' {
            table_cols.push(arg);
            continue;
        }
        // An input and an output parameter may share a name, as in PostgreSQL.
        let input = mode != 'o';
        let output = matches!(mode, 'o' | 'b');
        if !fp.name.is_empty()
            && declared.iter().any(|a| {
                a.name == fp.name
                    && ((input && a.mode != 'o') || (output && matches!(a.mode, 'o' | 'b')))
            })
        {
            return Err(err(
                "42P13",
                format!("parameter name \"{}\" used more than once", fp.name),
            ));
        }
        if input && args.last().is_some_and(|a| a.mode == 'v') {
            return Err(err(
                "42P13",
                "VARIADIC parameter must be the last input parameter",
            ));
        }
        if mode == 'v'
            && !matches!(
                arg.ty,
                DataType::Array(_)
                    | DataType::Pseudo(Pseudo::AnyArray | Pseudo::AnyCompatibleArray)
            )
        {
            return Err(err("42P13", "VARIADIC parameter must be an array"));
        }
        if output {
            out_params.push(arg.clone());
        }
        if !input {
            if fp.defexpr.is_some() {
                return Err(err(
                    "42P13",
                    "only input parameters can have default values",
                ));
            }
            declared.push(arg);
            continue;
        }
        let default = match fp.defexpr.as_deref() {
            Some(d) => {
                seen_default = true;
                Some(crate::ddl::deparse_expr(d)?)
            }
            None if seen_default => {
                return Err(err(
                    "42P13",
                    "input parameters after one with a default value must also have defaults",
                ));
            }
            None => None,
        };
        let arg = FuncArg { default, ..arg };
        declared.push(arg.clone());
        args.push(arg);
    }
    if declared.iter().all(|a| a.mode == 'i') {
        declared.clear();
    }
    let mut void = false;
    let mut retset = false;
    let ret = match &s.return_type {
        Some(tn) if !table_cols.is_empty() => {
            let _ = tn;
            retset = true;
            // Several columns: the record type is rebuilt from them (`result_type`).
            table_cols
                .first()
                .filter(|_| table_cols.len() == 1)
                .map_or(DataType::Text, |c| c.ty.clone())
        }
        Some(tn) => {
            retset = tn.setof;
            let n = names(&tn.names);
            if matches!(n.as_slice(), [v] | [_, v] if v == "void") && tn.array_bounds.is_empty() {
                void = true;
                DataType::Text
            } else {
                let t = routine_type(cat, search_path, tn).map_err(|e| e.at(pos(tn.location)))?;
                out_result(&out_params, Some(&t))?
            }
        }
        None if s.is_procedure && out_params.is_empty() => {
            void = true;
            DataType::Text
        }
        None if !out_params.is_empty() => out_result(&out_params, None)?,
        None => return Err(err("42P13", "function result type must be specified")),
    };
    if void && !out_params.is_empty() {
        return Err(err(
            "42P13",
            match out_params.as_slice() {
                [one] => format!(
                    "function result type must be {} because of OUT parameters",
                    one.ty.format_type()
                ),
                _ => "function result type must be record because of OUT parameters".to_string(),
            },
        ));
    }
    let mut language = None;
    let mut src = None;
    let mut items = AttrItems::default();
    let mut window = false;
    for o in &s.options {
        let Some(Node::DefElem(d)) = o.node.as_ref() else {
            continue;
        };
        let arg = d.arg.as_deref().and_then(|a| a.node.as_ref());
        if items.take(d, s.is_procedure)? {
            continue;
        }
        match d.defname.as_str() {
            "language" => language = arg.and_then(node_text),
            "as" => {
                let items: Vec<String> = match arg {
                    Some(Node::List(l)) => l
                        .items
                        .iter()
                        .filter_map(|i| i.node.as_ref().and_then(node_text))
                        .collect(),
                    Some(n) => node_text(n).into_iter().collect(),
                    None => Vec::new(),
                };
                if items.len() > 1 {
                    return Err(err("42P13", "only one AS item needed for language \"sql\""));
                }
                src = items.into_iter().next();
            }
            "window" => window = matches!(arg, Some(Node::Boolean(b)) if b.boolval),
            _ => {}
        }
    }
    match language.as_deref() {
        Some("sql") => {}
        Some("plpgsql") | Some("c") | Some("internal") => {
            return Err(err(
                "0A000",
                format!(
                    "feature not supported: functions in language \"{}\"",
                    language.unwrap_or_default()
                ),
            ));
        }
        Some(l) => return Err(err("42704", format!("language \"{l}\" does not exist"))),
        None if s.sql_body.is_some() => {}
        None => return Err(err("42P13", "no language specified")),
    }
    let (body, src) = match (&s.sql_body, src) {
        (Some(_), Some(_)) => {
            return Err(err("42P13", "duplicate function body specified"));
        }
        (Some(b), None) => (standard_body(b)?, String::new()),
        (None, Some(text)) => {
            // Unchecked bodies are not even parsed until called, as in PostgreSQL (the
            // text is kept whole in `src` and parsed then).
            let body = match crate::parse::parse(&text, crate::parse::ParseOptions::default()) {
                Ok(parsed) => parsed
                    .statements()
                    .filter(|st| st.node().is_some())
                    .map(|st| st.text().to_string())
                    .collect(),
                Err(_) if !check_bodies => Vec::new(),
                Err(e) => return Err(e),
            };
            (body, text)
        }
        (None, None) => return Err(err("42P13", "no function body specified")),
    };
    let mut f = SqlFunction {
        oid: 0,
        schema,
        name: name.clone(),
        args,
        declared,
        out_params,
        procedure: s.is_procedure,
        ret,
        void,
        retset,
        table_cols,
        volatility: 'v',
        strict: false,
        body,
        src,
        body_is_return: matches!(
            s.sql_body.as_deref().and_then(|b| b.node.as_ref()),
            Some(Node::ReturnStmt(_))
        ),
        attrs: FuncAttrs::default(),
    };
    items.apply(&mut f)?;
    let mut results: Vec<&DataType> = f.out_params.iter().map(|a| &a.ty).collect();
    results.extend(f.table_cols.iter().map(|a| &a.ty));
    if f.out_params.is_empty() && f.table_cols.is_empty() && !f.void {
        results.push(&f.ret);
    }
    check_polymorphic_result(&f.args, &results)?;
    let polymorphic = f.polymorphic();
    if polymorphic && s.sql_body.is_some() {
        return Err(err(
            "42P13",
            "SQL function with unquoted function body cannot have polymorphic arguments",
        ));
    }
    let arg_types = f.arg_types();
    let existing = cat
        .functions
        .values()
        .find(|g| g.schema == schema && g.name == name && g.arg_types() == arg_types)
        .map(|g| {
            (
                g.oid,
                g.result_type(),
                g.void,
                g.retset,
                g.procedure,
                g.args.clone(),
            )
        });
    if window {
        // A window function's kind is `w` (an existing function's is not).
        if existing.is_some() && s.replace {
            return Err(err("42809", "cannot change routine kind")
                .with_detail(format!("\"{name}\" is a function.")));
        }
        return Err(err(
            "0A000",
            "feature not supported: window functions in SQL",
        ));
    }
    if let Some((oid, ret, void, retset, procedure, old_args)) = existing {
        if !s.replace {
            return Err(err(
                "42723",
                format!("function \"{name}\" already exists with same argument types"),
            ));
        }
        if procedure != f.procedure {
            return Err(
                err("42809", "cannot change routine kind").with_detail(if procedure {
                    format!("\"{name}\" is a procedure.")
                } else {
                    format!("\"{name}\" is a function.")
                }),
            );
        }
        // PostgreSQL's `format_procedure`: the argument types without spaces.
        let drop_hint = format!(
            "Use DROP {} {}({}) first.",
            f.kind_word().to_uppercase(),
            name,
            arg_types
                .iter()
                .map(DataType::format_type)
                .collect::<Vec<_>>()
                .join(",")
        );
        if ret != f.result_type() || void != f.void || retset != f.retset {
            let e = err("42P13", "cannot change return type of existing function");
            let e = if f.out_params.len() > 1 && ret.oid() == 2249 {
                e.with_detail("Row type defined by OUT parameters is different.")
            } else {
                e
            };
            return Err(e.with_hint(drop_hint));
        }
        // As PostgreSQL's ProcedureCreate: input parameter names and defaults stay.
        for (old, new) in old_args.iter().zip(&f.args) {
            if !old.name.is_empty() && old.name != new.name {
                return Err(err(
                    "42P13",
                    format!("cannot change name of input parameter \"{}\"", old.name),
                )
                .with_hint(drop_hint));
            }
        }
        let defaults = |a: &[FuncArg]| a.iter().filter(|a| a.default.is_some()).count();
        if defaults(&f.args) < defaults(&old_args) {
            return Err(err(
                "42P13",
                "cannot remove parameter defaults from existing function",
            )
            .with_hint(drop_hint));
        }
        f.oid = oid;
    } else {
        f.oid = cat.new_oid();
    }
    // A polymorphic function's body is checked at each call, for its actual types, as
    // PostgreSQL's validator skips parse analysis then.
    // (`check_function_bodies = off` leaves it to the calls too.)
    if !polymorphic && check_bodies {
        check_body(cat, search_path, types, &f, source)?;
    }
    cat.functions.insert(f.oid, f);
    Ok(())
}

fn check_body(
    cat: &Catalog,
    search_path: &[u32],
    types: &TypeContext,
    f: &SqlFunction,
    source: Option<&str>,
) -> Result<(), SqlError> {
    crate::binder::sqlfunc::check_body(cat, search_path, types, f).map_err(|e| {
        // Positions in an `AS` string point into the statement where the string is
        // written as it is (PostgreSQL's `function_parse_error_transpose`).
        let at = source.and_then(|q| q.find(f.src.as_str()));
        let shifted = match (e.position(), at) {
            (Some(p), Some(k)) if !f.src.is_empty() => {
                u32::try_from(k).ok().and_then(|k| p.checked_add(k))
            }
            _ => None,
        };
        match shifted {
            Some(p) => e.without_position().at(Some(p)),
            None => e.without_position(),
        }
    })
}

/// The result type OUT parameters give (one: its type; several: a record, kept as a
/// placeholder since [`SqlFunction::result_type`] rebuilds it), checked against a declared
/// `RETURNS` type.
fn out_result(outs: &[FuncArg], declared: Option<&DataType>) -> Result<DataType, SqlError> {
    let t = match outs {
        [] => return Ok(declared.cloned().unwrap_or(DataType::Text)),
        [one] => one.ty.clone(),
        _ => DataType::Text,
    };
    let ok = match (declared, outs) {
        (None, _) => true,
        (Some(d), [_]) => *d == t,
        (Some(d), _) => matches!(d, DataType::Record(r) if r.oid == 2249),
    };
    if !ok {
        return Err(err(
            "42P13",
            format!(
                "function result type must be {} because of OUT parameters",
                if outs.len() == 1 {
                    t.format_type()
                } else {
                    "record".to_string()
                }
            ),
        ));
    }
    Ok(t)
}

fn node_text(n: &Node) -> Option<String> {
    match n {
        Node::String(s) => Some(s.sval.clone()),
        _ => None,
    }
}

/// The statements of a SQL-standard body as SQL text.
fn standard_body(b: &protobuf::Node) -> Result<Vec<String>, SqlError> {
    match b.node.as_ref() {
        Some(Node::ReturnStmt(r)) => {
            let Some(v) = r.returnval.as_deref() else {
                return Err(err("42601", "RETURN without a value"));
            };
            Ok(vec![format!("SELECT {}", crate::ddl::deparse_expr(v)?)])
        }
        Some(Node::List(l)) => {
            let mut out = Vec::new();
            for item in &l.items {
                match item.node.as_ref() {
                    Some(Node::List(inner)) => {
                        for st in &inner.items {
                            out.extend(standard_body(st)?);
                        }
                    }
                    Some(_) => out.extend(standard_body(item)?),
                    None => {}
                }
            }
            Ok(out)
        }
        Some(Node::CallStmt(_)) => Err(err(
            "0A000",
            "CALL is not yet supported in unquoted SQL function body",
        )),
        Some(n) => Ok(vec![crate::ddl::deparse_stmt(n.clone())?]),
        None => Ok(Vec::new()),
    }
}

/// What a DROP / ALTER statement names: a function, a procedure or either (ROUTINE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutineKind {
    /// FUNCTION.
    Function,
    /// PROCEDURE.
    Procedure,
    /// ROUTINE.
    Routine,
}

impl RoutineKind {
    /// The kind a DROP statement's object type names.
    pub fn of_object(t: i32) -> Option<RoutineKind> {
        use protobuf::ObjectType as O;
        match O::try_from(t).ok()? {
            O::ObjectFunction => Some(RoutineKind::Function),
            O::ObjectProcedure => Some(RoutineKind::Procedure),
            O::ObjectRoutine => Some(RoutineKind::Routine),
            _ => None,
        }
    }

    fn word(self) -> &'static str {
        match self {
            RoutineKind::Function => "function",
            RoutineKind::Procedure => "procedure",
            RoutineKind::Routine => "routine",
        }
    }

    /// The command tag word.
    pub fn tag(self) -> &'static str {
        match self {
            RoutineKind::Function => "FUNCTION",
            RoutineKind::Procedure => "PROCEDURE",
            RoutineKind::Routine => "ROUTINE",
        }
    }

    /// 42809 when `f` is not of this kind.
    fn check(self, f: &SqlFunction) -> Result<(), SqlError> {
        let wrong = match self {
            RoutineKind::Function => f.procedure,
            RoutineKind::Procedure => !f.procedure,
            RoutineKind::Routine => false,
        };
        if wrong {
            return Err(err(
                "42809",
                format!("{} is not a {}", f.signature(), self.word()),
            ));
        }
        Ok(())
    }
}

/// A type name as written (PostgreSQL's `TypeNameToString`: `int` is `pg_catalog.int4`).
fn written_type(tn: &protobuf::TypeName) -> String {
    let mut s = names(&tn.names).join(".");
    if tn.pct_type {
        s.push_str("%TYPE");
    }
    if !tn.array_bounds.is_empty() {
        s.push_str("[]");
    }
    s
}

/// Finds the routine an `ObjectWithArgs` (DROP / ALTER FUNCTION) names: `Ok(Err(_))` with
/// 42883 when nothing matches (the caller may skip it).
pub fn lookup_object(
    cat: &Catalog,
    search_path: &[u32],
    o: &protobuf::ObjectWithArgs,
    kind: RoutineKind,
    resolve: &dyn Fn(&protobuf::TypeName) -> Result<DataType, SqlError>,
) -> Result<Result<u32, SqlError>, SqlError> {
    let parts = names(&o.objname);
    let name = parts.last().cloned().unwrap_or_default();
    let schemas = lookup_schemas(cat, search_path, &parts).unwrap_or_default();
    let mut found = candidates(cat, &schemas, &name);
    let word = kind.word();
    if o.args_unspecified {
        if kind != RoutineKind::Routine {
            found.retain(|f| f.procedure == (kind == RoutineKind::Procedure));
        }
        return Ok(match found.as_slice() {
            [] => Err(err(
                "42883",
                format!("could not find a {word} named \"{}\"", parts.join(".")),
            )),
            [one] => Ok(one.oid),
            _ => Err(
                err("42725", format!("{word} name \"{name}\" is not unique")).with_hint(format!(
                    "Specify the argument list to select the {word} unambiguously."
                )),
            ),
        });
    }
    let mut types = Vec::new();
    for a in &o.objargs {
        if let Some(Node::TypeName(tn)) = a.node.as_ref() {
            types.push(resolve(tn)?);
        }
    }
    // A procedure is also named by all its parameters, OUT ones included.
    let by_all = |f: &&&SqlFunction| {
        kind != RoutineKind::Function
            && f.procedure
            && f.declared().iter().map(|a| &a.ty).eq(types.iter())
    };
    let matched = found
        .iter()
        .find(|f| f.arg_types() == types)
        .or_else(|| found.iter().find(by_all));
    Ok(match matched {
        Some(f) => {
            kind.check(f)?;
            Ok(f.oid)
        }
        // A built-in function is not a procedure.
        None if kind == RoutineKind::Procedure
            && (parts.len() == 1 || parts[0] == "pg_catalog")
            && basalt_func::resolve_function(&name, &types).is_some() =>
        {
            return Err(err(
                "42809",
                format!("{name}({}) is not a procedure", type_list(&types)),
            ));
        }
        None => Err(err(
            "42883",
            format!(
                "{word} {}({}) does not exist",
                parts.join("."),
                type_list(&types)
            ),
        )),
    })
}

/// What a function call needs while running: the search path its body is bound with, the
/// bodies already bound in this statement, and the nesting depth.
#[derive(Debug, Default, Clone)]
pub struct CallState {
    /// The session's search path (inline: copied per statement without touching a shared
    /// reference count).
    pub search_path: smallvec::SmallVec<[u32; 4]>,
    /// Bound bodies by function OID (and a polymorphic one's actual argument types).
    /// (A fixed-seed hasher: a context is made per statement, and std's random state costs
    /// a thread-local read for each map.)
    pub(crate) plans: std::collections::HashMap<
        (u32, Option<Vec<DataType>>),
        Arc<BoundBody>,
        foldhash::fast::FixedState,
    >,
    /// Calls running around this one.
    pub depth: usize,
    /// The transaction is read-only (a body's INSERT / UPDATE / DELETE fails with 25006).
    pub read_only: bool,
    /// Cursors the bodies declared, for the session to open when the statement ends.
    pub declared: Vec<crate::cursor::Declared>,
}

/// Runs a function or procedure: the rows of its last statement (one column per result
/// column). `types` are the actual types of a polymorphic function's input arguments.
pub fn call(
    cx: &mut Cx<'_>,
    oid: u32,
    args: Vec<Value>,
    types: Option<&[DataType]>,
) -> Result<Vec<Row>, SqlError> {
    // A query calling a function for each of many rows, or a recursive function, stops on
    // a cancel or timeout.
    cx.tick()?;
    let catalog = cx.catalog;
    let Some(f) = catalog.functions.get(&oid) else {
        return Err(err(
            "42883",
            format!("function with OID {oid} does not exist"),
        ));
    };
    let inst;
    let (f, key) = match types {
        Some(t) if f.polymorphic() => {
            inst = f.instantiate(&PolyTypes::of_call(&f.args, t));
            (&inst, Some(t.to_vec()))
        }
        _ => (f, None),
    };
    if f.strict && args.iter().any(Value::is_null) {
        return Ok(Vec::new());
    }
    let too_deep = cx.calls.depth >= MAX_DEPTH
        || stacker::remaining_stack().is_some_and(|left| left < CALL_STACK);
    if too_deep {
        return Err(err("54001", "stack depth limit exceeded").with_hint(
            "Increase the configuration parameter \"max_stack_depth\" (currently 2048kB), after ensuring the platform's stack depth limit is adequate.",
        ));
    }
    let key = (oid, key);
    let body = match cx.calls.plans.get(&key) {
        Some(p) => p.clone(),
        None => {
            let sp = cx.calls.search_path.clone();
            // A position would point into the body (PostgreSQL reports it as the internal
            // query's).
            let p = Arc::new(
                crate::binder::sqlfunc::bind_body(catalog, &sp, &cx.func.types, f)
                    .map_err(SqlError::without_position)?,
            );
            cx.calls.plans.insert(key, p.clone());
            p
        }
    };
    // As PostgreSQL checks when a call starts.
    if f.volatility != 'v'
        && let Some(what) = body.stmts.iter().find_map(BodyStmt::modifies)
    {
        return Err(err(
            "0A000",
            format!("{what} is not allowed in a non-volatile function"),
        ));
    }
    // A called procedure checks its own statements.
    if cx.calls.read_only
        && let Some(what) = body
            .stmts
            .iter()
            .filter(|s| !matches!(s, BodyStmt::Call(..)))
            .find_map(BodyStmt::modifies)
    {
        return Err(err(
            "25006",
            format!("cannot execute {what} in a read-only transaction"),
        ));
    }
    let void = f.void;
    // Each statement of a volatile function or a procedure is a new command (it sees what
    // was written before it); a STABLE / IMMUTABLE body reads its caller's snapshot.
    let commands = f.volatility == 'v' || f.procedure;
    let mut state = std::mem::take(&mut cx.calls);
    state.depth += 1;
    let func = cx.func.clone();
    let result = {
        let mut inner = Cx::new(&mut *cx.txn, catalog, &args, func, &mut *cx.sequences);
        inner.calls = state;
        inner.deferred = cx.deferred.as_deref_mut();
        inner.commands = cx.commands.clone();
        let r = run_body(&body, commands, &mut inner);
        state = std::mem::take(&mut inner.calls);
        r
    };
    state.depth -= 1;
    cx.calls = state;
    let rows = result?;
    // A void function's value is NULL; a set of void is no rows, as in PostgreSQL.
    if void {
        return Ok(if f.retset {
            Vec::new()
        } else {
            vec![vec![Value::Null]]
        });
    }
    Ok(rows)
}

/// Runs a bound body's statements in order, each as a new command when `commands` is set:
/// the last one's rows.
fn run_body(body: &BoundBody, commands: bool, cx: &mut Cx<'_>) -> Result<Vec<Row>, SqlError> {
    let mut last = Vec::new();
    for st in &body.stmts {
        let log = cx.commands.clone().filter(|_| commands);
        let before = log.as_ref().map(|l| l.lock().begin_command());
        let r = run_stmt(st, cx);
        if let (Some(l), Some(b)) = (&log, before) {
            l.lock().end_command(b);
        }
        last = r?;
    }
    if let Some(cast) = &body.cast {
        let mut out = Vec::with_capacity(last.len());
        for r in &last {
            let mut row = Vec::with_capacity(cast.len());
            for e in cast {
                row.push(crate::expr::eval(e, r, cx)?);
            }
            out.push(row);
        }
        last = out;
    }
    Ok(last)
}

/// Runs one statement of a body: its rows (RETURNING's for INSERT / UPDATE / DELETE).
fn run_stmt(st: &BodyStmt, cx: &mut Cx<'_>) -> Result<Vec<Row>, SqlError> {
    use crate::engine::DmlHost;
    let out = match st {
        BodyStmt::Query(p) => return collect(p, cx),
        BodyStmt::Insert(b) => BodyHost::running(cx).run_insert(b, None)?,
        BodyStmt::Update(b) => BodyHost::running(cx).run_update(b, None)?,
        BodyStmt::Delete(b) => BodyHost::running(cx).run_delete(b, None)?,
        BodyStmt::Call(oid, args) => {
            let mut vals = Vec::with_capacity(args.len());
            for a in args {
                vals.push(crate::expr::eval(a, &[], cx)?);
            }
            call(cx, *oid, vals, None)?;
            return Ok(Vec::new());
        }
        BodyStmt::With(w) => return run_with(w, cx),
        BodyStmt::Declare(d) => {
            let rows = collect(&d.plan, cx)?;
            cx.calls.declared.push(d.run(rows));
            return Ok(Vec::new());
        }
    };
    Ok(out.returning.map(|r| r.2).unwrap_or_default())
}

/// Runs a statement with WITH queries: every part reads the statement's start (they are one
/// command, [`crate::snapshot`]), each WITH query's rows are computed before the parts
/// reading them.
fn run_with(w: &WithStmt, cx: &mut Cx<'_>) -> Result<Vec<Row>, SqlError> {
    let log = cx.commands.clone().unwrap_or_default();
    // Contexts made outside a statement's snapshot (DDL evaluating an expression) get one.
    let mut own;
    let txn: &mut dyn basalt_txn::Transaction = if cx.commands.is_some() {
        &mut *cx.txn
    } else {
        own = crate::snapshot::StatementSnapshot::new(&mut *cx.txn, log.clone());
        &mut own
    };
    let mut inner = Cx::new(
        txn,
        cx.catalog,
        cx.params,
        cx.func.clone(),
        &mut *cx.sequences,
    );
    inner.calls = std::mem::take(&mut cx.calls);
    inner.deferred = cx.deferred.as_deref_mut();
    inner.commands = Some(log);
    let r = (|| {
        for (id, st) in &w.ctes {
            let rows = run_stmt(st, &mut inner)?;
            inner.set_cte(*id, Arc::new(rows));
        }
        let out = run_stmt(&w.main, &mut inner)?;
        for st in &w.after {
            run_stmt(st, &mut inner)?;
        }
        Ok(out)
    })();
    cx.calls = std::mem::take(&mut inner.calls);
    r
}

/// The value of a scalar call: the first row's value (a record of its columns for a
/// composite result), NULL when there is no row.
pub fn scalar(
    cx: &mut Cx<'_>,
    oid: u32,
    args: Vec<Value>,
    types: Option<&[DataType]>,
) -> Result<Value, SqlError> {
    let composite = cx
        .catalog
        .functions
        .get(&oid)
        .is_some_and(SqlFunction::composite);
    let anonymous = cx
        .catalog
        .functions
        .get(&oid)
        .is_some_and(SqlFunction::anonymous_record);
    let names: Arc<[String]> = cx
        .catalog
        .functions
        .get(&oid)
        .map(|f| f.columns().into_iter().map(|(n, _)| n).collect())
        .unwrap_or_else(|| Arc::from(Vec::new()));
    let mut rows = call(cx, oid, args, types)?;
    if rows.is_empty() {
        return Ok(Value::Null);
    }
    let row = rows.swap_remove(0);
    if anonymous {
        let names: Arc<[String]> = (1..=row.len()).map(|i| format!("f{i}")).collect();
        return Ok(Value::record(names, row));
    }
    if composite {
        // A body may give the whole row as one record (`SELECT (1, 2.1)`).
        if let [Value::Record(r)] = row.as_slice()
            && names.len() > 1
        {
            return Ok(Value::record(names, r.fields.clone()));
        }
        return Ok(Value::record(names, row));
    }
    Ok(row.into_iter().next().unwrap_or(Value::Null))
}

/// The rows a user function gives in FROM, shaped to its `columns`: at most one for a
/// function that does not return a set (one of NULLs when it gave none), a row given as
/// one record spread over the columns (PostgreSQL's check that they match: 42804), and
/// the values of a `RETURNS record` function converted to the column definition list's
/// types.
pub fn shape_rows(
    cx: &Cx<'_>,
    oid: u32,
    mut rows: Vec<Row>,
    columns: &[(String, DataType)],
) -> Result<Vec<Row>, SqlError> {
    let Some(f) = cx.catalog.functions.get(&oid) else {
        return Ok(rows);
    };
    if !f.retset {
        rows.truncate(1);
        if rows.is_empty() {
            rows.push(vec![Value::Null; columns.len()]);
        }
    }
    let mismatch = |detail: String| {
        err(
            "42804",
            "function return row and query-specified return row do not match",
        )
        .with_detail(detail)
    };
    for row in &mut rows {
        if columns.len() > 1
            && let [Value::Record(r)] = row.as_slice()
        {
            if r.fields.len() != columns.len() {
                return Err(mismatch(format!(
                    "Returned row contains {} attributes, but query expects {}.",
                    r.fields.len(),
                    columns.len()
                )));
            }
            for (i, (v, (_, t))) in r.fields.iter().zip(columns).enumerate() {
                if let Some(vt) = v.data_type()
                    && vt.without_typmod() != t.without_typmod()
                {
                    return Err(mismatch(format!(
                        "Returned type {} at ordinal position {}, but query expects {}.",
                        vt.format_type(),
                        i + 1,
                        t.format_type()
                    )));
                }
            }
            *row = r.fields.clone();
        }
        if f.anonymous_record() {
            for (v, (_, t)) in row.iter_mut().zip(columns) {
                if v.data_type().is_some_and(|vt| vt != *t) {
                    *v = basalt_common::types::cast(v, t, CastContext::Assignment, &cx.func.types)?;
                }
            }
        }
    }
    Ok(rows)
}

/// Whether a value of type `from` may be returned for a declared `to` (assignment casts,
/// as PostgreSQL's `check_sql_fn_retval`; an untyped literal is text there).
pub fn returnable(from: &DataType, to: &DataType) -> bool {
    let from = if *from == DataType::Unknown {
        &DataType::Text
    } else {
        from
    };
    from == to || cast_context(from, to).is_some_and(|c| c.allows(CastContext::Assignment))
}

/// `DROP FUNCTION | PROCEDURE | ROUTINE [IF EXISTS] name[(types)], ... [CASCADE |
/// RESTRICT]`; whether anything was dropped.
pub fn drop_functions(
    cat: &mut Catalog,
    search_path: &[u32],
    s: &protobuf::DropStmt,
    kind: RoutineKind,
    notices: &mut Vec<crate::error::Notice>,
) -> Result<bool, SqlError> {
    let mut drop = Vec::new();
    for o in &s.objects {
        let Some(Node::ObjectWithArgs(owa)) = o.node.as_ref() else {
            continue;
        };
        let resolve = |tn: &protobuf::TypeName| routine_type(cat, search_path, tn);
        let found = match lookup_object(cat, search_path, owa, kind, &resolve) {
            // IF EXISTS skips an unknown argument type (or its schema) with a notice too.
            Err(e) if s.missing_ok && matches!(e.code().code(), "42704" | "3F000") => {
                notices.push(crate::ddl::notice(format!("{e}, skipping")));
                continue;
            }
            r => r?,
        };
        match found {
            Ok(oid) => drop.push(oid),
            Err(e) if s.missing_ok && e.code().code() == "42883" => {
                let parts = names(&owa.objname);
                let types: Vec<String> = owa
                    .objargs
                    .iter()
                    .filter_map(|a| match a.node.as_ref() {
                        Some(Node::TypeName(tn)) => Some(written_type(tn)),
                        _ => None,
                    })
                    .collect();
                notices.push(crate::ddl::notice(format!(
                    "{} {}({}) does not exist, skipping",
                    kind.word(),
                    parts.join("."),
                    types.join(",")
                )));
            }
            Err(e) => return Err(e),
        }
    }
    for oid in &drop {
        cat.functions.remove(oid);
    }
    Ok(!drop.is_empty())
}

/// `ALTER FUNCTION | PROCEDURE | ROUTINE name[(types)] RENAME TO new`.
pub fn rename_function(
    cat: &mut Catalog,
    search_path: &[u32],
    owa: &protobuf::ObjectWithArgs,
    kind: RoutineKind,
    new_name: &str,
) -> Result<(), SqlError> {
    let resolve = |tn: &protobuf::TypeName| routine_type(cat, search_path, tn);
    let oid = lookup_object(cat, search_path, owa, kind, &resolve)??;
    let Some(f) = cat.functions.get(&oid) else {
        return Ok(());
    };
    let types = f.arg_types();
    let schema = f.schema;
    if cat
        .functions
        .values()
        .any(|g| g.schema == schema && g.name == new_name && g.arg_types() == types)
    {
        return Err(err(
            "42723",
            format!(
                "function {new_name}({}) already exists in schema \"{}\"",
                type_list(&types),
                cat.schema_name(schema)
            ),
        ));
    }
    if let Some(f) = cat.functions.get_mut(&oid) {
        f.name = new_name.to_string();
    }
    Ok(())
}

/// `pg_get_functiondef`: the CREATE OR REPLACE FUNCTION statement, laid out as PostgreSQL
/// prints it.
pub fn functiondef(cat: &Catalog, f: &SqlFunction) -> String {
    let q = crate::system::tables::quote_ident;
    let mut out = format!(
        "CREATE OR REPLACE {} {}.{}({})\n",
        f.kind_word().to_uppercase(),
        q(cat.schema_name(f.schema)),
        q(&f.name),
        arguments_text(f, true),
    );
    if let Some(r) = result_text(f) {
        out.push_str(&format!(" RETURNS {r}\n"));
    }
    out.push_str(" LANGUAGE sql\n");
    let mut opts = String::new();
    match f.volatility {
        'i' => opts.push_str(" IMMUTABLE"),
        's' => opts.push_str(" STABLE"),
        _ => {}
    }
    match f.attrs.parallel() {
        's' => opts.push_str(" PARALLEL SAFE"),
        'r' => opts.push_str(" PARALLEL RESTRICTED"),
        _ => {}
    }
    if f.strict {
        opts.push_str(" STRICT");
    }
    if f.attrs.secdef {
        opts.push_str(" SECURITY DEFINER");
    }
    if f.attrs.leakproof {
        opts.push_str(" LEAKPROOF");
    }
    if f.attrs.cost() != 100.0 {
        opts.push_str(&format!(" COST {}", f.attrs.cost()));
    }
    let rows = f.attrs.rows(f.retset);
    if rows > 0.0 && rows != 1000.0 {
        opts.push_str(&format!(" ROWS {rows}"));
    }
    if !opts.is_empty() {
        out.push_str(&opts);
        out.push('\n');
    }
    if !f.src.is_empty() {
        let mut tag = format!("${}$", f.kind_word());
        while f.src.contains(&tag) {
            tag.insert(tag.len() - 1, 'x');
        }
        out.push_str(&format!("AS {tag}{}{tag}\n", f.src));
    } else if let [one] = f.body.as_slice()
        && let Some(expr) = one.strip_prefix("SELECT ")
        && f.body_is_return
    {
        out.push_str(&format!("RETURN {expr}\n"));
    } else {
        out.push_str("BEGIN ATOMIC\n");
        for st in &f.body {
            out.push_str(&format!(" {st};\n"));
        }
        out.push_str("END\n");
    }
    out
}

/// `pg_get_function_arguments` (with defaults) / `pg_get_function_identity_arguments`.
pub fn arguments_text(f: &SqlFunction, defaults: bool) -> String {
    let q = crate::system::tables::quote_ident;
    f.declared()
        .iter()
        .map(|a| {
            let mut s = match a.mode {
                'o' => "OUT ",
                'b' => "INOUT ",
                'v' => "VARIADIC ",
                _ if f.procedure => "IN ",
                _ => "",
            }
            .to_string();
            if !a.name.is_empty() {
                s.push_str(&q(&a.name));
                s.push(' ');
            }
            s.push_str(&a.ty.format_type());
            if let Some(d) = a.default.as_ref().filter(|_| defaults) {
                s.push_str(" DEFAULT ");
                // As PostgreSQL prints the analyzed default (`'you'::text`).
                s.push_str(&crate::system::default_expr_text(d, &a.ty));
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `pg_get_function_result` (NULL for a procedure).
pub fn result_text(f: &SqlFunction) -> Option<String> {
    let q = crate::system::tables::quote_ident;
    let t = if f.procedure {
        return None;
    } else if f.void {
        "void".to_string()
    } else if !f.table_cols.is_empty() {
        let cols: Vec<String> = f
            .table_cols
            .iter()
            .map(|c| format!("{} {}", q(&c.name), c.ty.format_type()))
            .collect();
        return Some(format!("TABLE({})", cols.join(", ")));
    } else if f.out_params.len() > 1 {
        "record".to_string()
    } else {
        f.ret.format_type()
    };
    Some(if f.retset { format!("SETOF {t}") } else { t })
}

/// The functions a call by unqualified name can find (`pg_function_is_visible`): in a
/// schema of the search path, and not hidden by one of the same name and argument types in
/// an earlier schema.
pub fn visible(cat: &Catalog, path: &[u32]) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    let mut seen: Vec<(&str, Vec<DataType>)> = Vec::new();
    for s in path {
        for f in cat.functions.values().filter(|f| f.schema == *s) {
            let key = (f.name.as_str(), f.arg_types());
            if !seen.contains(&key) {
                seen.push(key);
                out.push(f.oid);
            }
        }
    }
    out
}
