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
//! calling statement's execution context), so each statement sees what earlier ones wrote.
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
            return self
                .outputs()
                .iter()
                .map(|c| (c.name.clone(), c.ty.clone()))
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
        vec![(self.name.clone(), self.ret.clone())]
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

/// `CREATE [OR REPLACE] FUNCTION`.
pub fn create_function(
    cat: &mut Catalog,
    search_path: &[u32],
    types: &TypeContext,
    s: &protobuf::CreateFunctionStmt,
    source: Option<&str>,
) -> Result<(), SqlError> {
    let parts = names(&s.funcname);
    let (schema_name, name) = match parts.as_slice() {
        [n] => ("", n.clone()),
        [sc, n] => (sc.as_str(), n.clone()),
        _ => {
            return Err(err(
                "42601",
                "improper qualified name (too many dotted names)",
            ));
        }
    };
    let schema = crate::ddl::creation_schema(cat, search_path, schema_name)?;
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
        let ty = resolve_type_in(cat, search_path, tn).map_err(|e| e.at(pos(tn.location)))?;
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
        if mode == 'v' && !matches!(arg.ty, DataType::Array(_)) {
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
                let t =
                    resolve_type_in(cat, search_path, tn).map_err(|e| e.at(pos(tn.location)))?;
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
    let mut volatility = 'v';
    let mut strict = false;
    for o in &s.options {
        let Some(Node::DefElem(d)) = o.node.as_ref() else {
            continue;
        };
        let arg = d.arg.as_deref().and_then(|a| a.node.as_ref());
        if s.is_procedure && matches!(d.defname.as_str(), "volatility" | "strict") {
            return Err(
                err("42P13", "invalid attribute in procedure definition").at(pos(d.location))
            );
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
            "volatility" => {
                volatility = match arg.and_then(node_text).as_deref() {
                    Some("immutable") => 'i',
                    Some("stable") => 's',
                    _ => 'v',
                }
            }
            "strict" => strict = matches!(arg, Some(Node::Boolean(b)) if b.boolval),
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
            let parsed = crate::parse::parse(&text, crate::parse::ParseOptions::default())?;
            let body = parsed
                .statements()
                .filter(|st| st.node().is_some())
                .map(|st| st.text().to_string())
                .collect();
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
        volatility,
        strict,
        body,
        src,
        body_is_return: matches!(
            s.sql_body.as_deref().and_then(|b| b.node.as_ref()),
            Some(Node::ReturnStmt(_))
        ),
    };
    let arg_types = f.arg_types();
    let existing = cat
        .functions
        .values()
        .find(|g| g.schema == schema && g.name == name && g.arg_types() == arg_types)
        .map(|g| (g.oid, g.result_type(), g.void, g.retset, g.procedure));
    if let Some((oid, ret, void, retset, procedure)) = existing {
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
        if ret != f.result_type() || void != f.void || retset != f.retset {
            let e = err("42P13", "cannot change return type of existing function");
            let e = if f.out_params.len() > 1 && ret.oid() == 2249 {
                e.with_detail("Row type defined by OUT parameters is different.")
            } else {
                e
            };
            return Err(e.with_hint(format!(
                "Use DROP {} {} first.",
                f.kind_word().to_uppercase(),
                f.signature()
            )));
        }
        f.oid = oid;
    } else {
        f.oid = cat.new_oid();
    }
    crate::binder::sqlfunc::check_body(cat, search_path, types, &f).map_err(|e| {
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
    })?;
    cat.functions.insert(f.oid, f);
    Ok(())
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
    /// The session's search path.
    pub search_path: Arc<[u32]>,
    /// Bound bodies by function OID.
    /// (A fixed-seed hasher: a context is made per statement, and std's random state costs
    /// a thread-local read for each map.)
    pub(crate) plans: std::collections::HashMap<u32, Arc<BoundBody>, foldhash::fast::FixedState>,
    /// Calls running around this one.
    pub depth: usize,
    /// The transaction is read-only (a body's INSERT / UPDATE / DELETE fails with 25006).
    pub read_only: bool,
    /// Cursors the bodies declared, for the session to open when the statement ends.
    pub declared: Vec<crate::cursor::Declared>,
}

/// Runs a function or procedure: the rows of its last statement (one column per result
/// column).
pub fn call(cx: &mut Cx<'_>, oid: u32, args: Vec<Value>) -> Result<Vec<Row>, SqlError> {
    let catalog = cx.catalog;
    let Some(f) = catalog.functions.get(&oid) else {
        return Err(err(
            "42883",
            format!("function with OID {oid} does not exist"),
        ));
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
    let body = match cx.calls.plans.get(&oid) {
        Some(p) => p.clone(),
        None => {
            let sp = cx.calls.search_path.clone();
            let p = Arc::new(crate::binder::sqlfunc::bind_body(
                catalog,
                &sp,
                &cx.func.types,
                f,
            )?);
            cx.calls.plans.insert(oid, p.clone());
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
    let mut state = std::mem::take(&mut cx.calls);
    state.depth += 1;
    let func = cx.func.clone();
    let result = {
        let mut inner = Cx::new(&mut *cx.txn, catalog, &args, func, &mut *cx.sequences);
        inner.calls = state;
        inner.deferred = cx.deferred.as_deref_mut();
        inner.stmt_writes = cx.stmt_writes.clone();
        let r = run_body(&body, &mut inner);
        state = std::mem::take(&mut inner.calls);
        r
    };
    state.depth -= 1;
    cx.calls = state;
    let rows = result?;
    if void {
        return Ok(vec![vec![Value::Null]]);
    }
    Ok(rows)
}

/// Runs a bound body's statements in order: the last one's rows.
fn run_body(body: &BoundBody, cx: &mut Cx<'_>) -> Result<Vec<Row>, SqlError> {
    let mut last = Vec::new();
    for st in &body.stmts {
        last = run_stmt(st, cx)?;
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
            call(cx, *oid, vals)?;
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

/// Runs a statement with WITH queries: every part reads the statement's start
/// ([`crate::snapshot`]), each WITH query's rows are computed before the parts reading them.
fn run_with(w: &WithStmt, cx: &mut Cx<'_>) -> Result<Vec<Row>, SqlError> {
    let before = crate::snapshot::BeforeImages::default();
    let mut snap = crate::snapshot::StatementSnapshot::new(&mut *cx.txn, before.clone());
    let mut inner = Cx::new(
        &mut snap,
        cx.catalog,
        cx.params,
        cx.func.clone(),
        &mut *cx.sequences,
    );
    inner.calls = std::mem::take(&mut cx.calls);
    inner.deferred = cx.deferred.as_deref_mut();
    inner.stmt_writes = Some(before);
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
pub fn scalar(cx: &mut Cx<'_>, oid: u32, args: Vec<Value>) -> Result<Value, SqlError> {
    let composite = cx
        .catalog
        .functions
        .get(&oid)
        .is_some_and(SqlFunction::composite);
    let names: Arc<[String]> = cx
        .catalog
        .functions
        .get(&oid)
        .map(|f| f.columns().into_iter().map(|(n, _)| n).collect())
        .unwrap_or_else(|| Arc::from(Vec::new()));
    let mut rows = call(cx, oid, args)?;
    if rows.is_empty() {
        return Ok(Value::Null);
    }
    let row = rows.swap_remove(0);
    if composite {
        return Ok(Value::record(names, row));
    }
    Ok(row.into_iter().next().unwrap_or(Value::Null))
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
        let resolve = |tn: &protobuf::TypeName| resolve_type_in(cat, search_path, tn);
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
    let resolve = |tn: &protobuf::TypeName| resolve_type_in(cat, search_path, tn);
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
    if f.strict {
        opts.push_str(" STRICT");
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
                s.push_str(d);
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
