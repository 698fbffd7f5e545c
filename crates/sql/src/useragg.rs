//! User-defined aggregates (`CREATE AGGREGATE` / `DROP AGGREGATE`), as in PostgreSQL 15.
//!
//! An aggregate is a [`UserAggregate`] in the catalog (`Catalog::aggregates`): its argument
//! types, its state type and initial state (`INITCOND`, kept as text and read as the state
//! type when a call is bound), and the names of its transition and final functions, which
//! may be SQL-language or built-in functions.
//!
//! A call is bound like a built-in aggregate (`Binder::bind_agg_call`, so GROUP BY, HAVING,
//! DISTINCT, FILTER and ORDER BY in the call all work), with `AggFunc::User` and a
//! [`crate::plan::UserAggCall`]: the transition call bound over a private row of (state,
//! arguments...) and the final call over (state [, NULL arguments with
//! `FINALFUNC_EXTRA`]). The executor keeps one state value per group and applies
//! PostgreSQL's rules (`advance_transition_function`): a STRICT transition function skips
//! rows with a NULL argument, with a NULL initial state takes the first such row's first
//! argument as the state, and leaves a NULL state NULL. A built-in transition function is
//! STRICT when Basalt's binding of it is (`array_append` is not, `textcat` is).
//!
//! The functions are looked up when the aggregate is created (42883 when missing, 42804
//! when the transition function does not return the state type) and again when a call is
//! bound (so a function replaced later is the one called). Options Basalt has no use for
//! (PARALLEL, SORTOP, moving-aggregate and partial-aggregation support) are accepted and
//! ignored: they cannot change a result. Ordered-set and hypothetical aggregates,
//! pseudo-type arguments and states (`internal`, polymorphic), and window use of user
//! aggregates are 0A000.

use basalt_common::types::DataType;
use pg_query::protobuf::{self, node::Node};
use serde::{Deserialize, Serialize};

use crate::binder::{names, pos};
use crate::catalog::Catalog;
use crate::error::Notice;
use crate::error::SqlError;
use crate::sqlfunc::{lookup_schemas, routine_type, type_list};

fn err(code: &'static str, msg: impl Into<String>) -> SqlError {
    SqlError::new(code, msg)
}

/// A user-defined aggregate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserAggregate {
    /// OID.
    pub oid: u32,
    /// Schema OID.
    pub schema: u32,
    /// Name.
    pub name: String,
    /// Argument types (none for `name(*)`).
    pub args: Vec<crate::sqlfunc::FuncArg>,
    /// The transition function's (possibly qualified) name.
    pub sfunc: Vec<String>,
    /// The state type.
    #[serde(with = "crate::catalog::datatype_text")]
    pub stype: DataType,
    /// The final function's name, if any.
    pub finalfunc: Option<Vec<String>>,
    /// `FINALFUNC_EXTRA`: the final function also takes one NULL per argument.
    pub final_extra: bool,
    /// `INITCOND` as written.
    pub initcond: Option<String>,
    /// The result type (the final function's, else the state type), for `pg_proc`.
    #[serde(with = "crate::catalog::datatype_text")]
    pub ret: DataType,
}

impl UserAggregate {
    /// The argument types.
    pub fn arg_types(&self) -> Vec<DataType> {
        self.args.iter().map(|a| a.ty.clone()).collect()
    }

    /// `name(types)` as PostgreSQL shows it (`*` for none).
    pub fn signature(&self) -> String {
        if self.args.is_empty() {
            format!("{}(*)", self.name)
        } else {
            format!("{}({})", self.name, type_list(&self.arg_types()))
        }
    }
}

/// The aggregates named `name` in `schemas`.
pub fn candidates<'c>(cat: &'c Catalog, schemas: &[u32], name: &str) -> Vec<&'c UserAggregate> {
    let mut out: Vec<&UserAggregate> = Vec::new();
    for s in schemas {
        out.extend(
            cat.aggregates
                .values()
                .filter(|a| a.schema == *s && a.name == name),
        );
        if !out.is_empty() {
            break;
        }
    }
    out
}

/// A `DefElem`'s value as a name (`sfunc = f`, `sfunc = s.f`, `sfunc = 'f'`).
fn def_name(d: &protobuf::DefElem) -> Result<Vec<String>, SqlError> {
    match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
        Some(Node::TypeName(tn)) => Ok(names(&tn.names)),
        Some(Node::String(s)) => Ok(vec![s.sval.clone()]),
        Some(Node::List(l)) => Ok(names(&l.items)),
        _ => Err(err("42601", format!("{} requires a parameter", d.defname))),
    }
}

/// A `DefElem`'s value as text (`initcond = '0'`, `initcond = 0`).
fn def_text(d: &protobuf::DefElem) -> Result<String, SqlError> {
    match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
        Some(Node::String(s)) => Ok(s.sval.clone()),
        Some(Node::Integer(i)) => Ok(i.ival.to_string()),
        Some(Node::Float(f)) => Ok(f.fval.clone()),
        Some(Node::TypeName(tn)) => Ok(names(&tn.names).join(".")),
        Some(Node::Boolean(b)) => Ok(if b.boolval { "true" } else { "false" }.into()),
        _ => Err(err("42601", format!("{} requires a parameter", d.defname))),
    }
}

/// A `DefElem`'s value as a boolean (a bare option is true), as PostgreSQL's
/// `defGetBoolean`.
pub(crate) fn def_bool(d: &protobuf::DefElem) -> Result<bool, SqlError> {
    if d.arg.is_none() {
        return Ok(true);
    }
    match def_text(d)?.to_ascii_lowercase().as_str() {
        "true" | "on" | "1" => Ok(true),
        "false" | "off" | "0" => Ok(false),
        _ => Err(err(
            "42601",
            format!("{} requires a Boolean value", d.defname),
        )),
    }
}

/// Checks an aggregate's steps: whether its transition function is STRICT, and its result
/// type.
pub type StepCheck<'c> =
    dyn FnMut(&Catalog, &UserAggregate) -> Result<(bool, DataType), SqlError> + 'c;

/// `CREATE [OR REPLACE] AGGREGATE`. The transition and final functions are checked by
/// `check` (binding their calls); it returns whether the transition function is STRICT and
/// the aggregate's result type.
pub fn create_aggregate(
    cat: &mut Catalog,
    search_path: &[u32],
    s: &protobuf::DefineStmt,
    check: &mut StepCheck<'_>,
    notices: &mut Vec<Notice>,
) -> Result<(), SqlError> {
    let (schema, name) = crate::sqlfunc::creation_target(cat, search_path, &names(&s.defnames))?;
    let mut args = Vec::new();
    let mut sfunc = None;
    let mut stype = None;
    let mut basetype = None;
    let mut finalfunc = None;
    let mut final_extra = false;
    let mut initcond = None;
    for d in &s.definition {
        let Some(Node::DefElem(d)) = d.node.as_ref() else {
            continue;
        };
        match d.defname.as_str() {
            "sfunc" | "sfunc1" => sfunc = Some(def_name(d)?),
            "stype" | "stype1" => stype = Some(def_type(cat, search_path, d)?),
            "basetype" => basetype = Some(d),
            "finalfunc" => finalfunc = Some(def_name(d)?),
            "finalfunc_extra" => final_extra = def_bool(d)?,
            "initcond" | "initcond1" => initcond = Some(def_text(d)?),
            // Nothing here runs in parallel, combines partial states or moves a frame.
            "parallel" | "combinefunc" | "serialfunc" | "deserialfunc" | "sspace"
            | "finalfunc_modify" | "msfunc" | "minvfunc" | "mstype" | "msspace" | "mfinalfunc"
            | "mfinalfunc_extra" | "mfinalfunc_modify" | "minitcond" | "sortop" => {}
            "hypothetical" => {
                return Err(err(
                    "0A000",
                    format!(
                        "feature not supported: aggregate option {}",
                        d.defname.to_ascii_uppercase()
                    ),
                ));
            }
            other => notices.push(Notice::warning(
                crate::error::SqlCode::new("42601"),
                format!("aggregate attribute \"{other}\" not recognized"),
            )),
        }
    }
    if s.oldstyle {
        let Some(b) = basetype else {
            return Err(err("42P13", "aggregate input type must be specified"));
        };
        let text = def_text(b)?;
        if !text.eq_ignore_ascii_case("any") {
            let ty = def_type(cat, search_path, b)?;
            args.push(crate::sqlfunc::FuncArg {
                name: String::new(),
                ty,
                default: None,
                mode: 'i',
            });
        }
    } else {
        if basetype.is_some() {
            return Err(err(
                "42P13",
                "basetype is redundant with aggregate input type specification",
            ));
        }
        // args: [parameter list, number of direct arguments (-1 unless ordered-set)].
        if let Some(Node::Integer(i)) = s.args.get(1).and_then(|n| n.node.as_ref())
            && i.ival >= 0
        {
            return Err(err(
                "0A000",
                "feature not supported: ordered-set aggregates",
            ));
        }
        if let Some(Node::List(l)) = s.args.first().and_then(|n| n.node.as_ref()) {
            for p in &l.items {
                let Some(Node::FunctionParameter(fp)) = p.node.as_ref() else {
                    continue;
                };
                let Some(tn) = &fp.arg_type else {
                    continue;
                };
                let ty = routine_type(cat, search_path, tn).map_err(|e| e.at(pos(tn.location)))?;
                if matches!(ty, DataType::Pseudo(_)) {
                    return Err(err(
                        "0A000",
                        format!(
                            "feature not supported: aggregate arguments of type {}",
                            ty.format_type()
                        ),
                    ));
                }
                args.push(crate::sqlfunc::FuncArg {
                    name: fp.name.clone(),
                    ty,
                    default: None,
                    mode: 'i',
                });
            }
        }
    }
    let Some(stype) = stype else {
        return Err(err("42P13", "aggregate stype must be specified"));
    };
    let Some(sfunc) = sfunc else {
        return Err(err("42P13", "aggregate sfunc must be specified"));
    };
    if matches!(stype, DataType::Pseudo(_)) {
        return Err(err(
            "0A000",
            format!(
                "feature not supported: aggregate state type {}",
                stype.format_type()
            ),
        ));
    }
    let mut agg = UserAggregate {
        oid: 0,
        schema,
        name,
        args,
        ret: stype.clone(),
        sfunc,
        stype,
        finalfunc,
        final_extra,
        initcond,
    };
    let types = agg.arg_types();
    let existing = cat
        .aggregates
        .values()
        .find(|a| a.schema == schema && a.name == agg.name && a.arg_types() == types)
        .map(|a| a.oid);
    let clash = cat
        .functions
        .values()
        .any(|f| f.schema == schema && f.name == agg.name && f.arg_types() == types);
    if clash || (existing.is_some() && !s.replace) {
        return Err(err(
            "42723",
            format!(
                "function \"{}\" already exists with same argument types",
                agg.name
            ),
        ));
    }
    let (strict, ret) = check(cat, &agg)?;
    agg.ret = ret;
    // PostgreSQL: a strict transition function without an initial state starts from the
    // first input, which must then be of the state type.
    if strict && agg.initcond.is_none() && types.first() != Some(&agg.stype) {
        return Err(err(
            "42P13",
            "must not omit initial value when transition function is strict and transition type is not compatible with input type",
        ));
    }
    agg.oid = match existing {
        Some(o) => o,
        None => cat.new_oid(),
    };
    cat.aggregates.insert(agg.oid, agg);
    Ok(())
}

fn def_type(
    cat: &Catalog,
    search_path: &[u32],
    d: &protobuf::DefElem,
) -> Result<DataType, SqlError> {
    match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
        Some(Node::TypeName(tn)) => {
            routine_type(cat, search_path, tn).map_err(|e| e.at(pos(tn.location)))
        }
        Some(Node::String(s)) => {
            let tn = protobuf::TypeName {
                names: vec![protobuf::Node {
                    node: Some(Node::String(protobuf::String {
                        sval: s.sval.to_ascii_lowercase(),
                    })),
                }],
                typemod: -1,
                location: -1,
                ..Default::default()
            };
            routine_type(cat, search_path, &tn)
        }
        _ => Err(err("42601", format!("{} requires a parameter", d.defname))),
    }
}

/// Whether a DROP AGGREGATE statement names some user aggregate (else the caller reports
/// on built-in ones).
pub fn names_user_aggregate(cat: &Catalog, search_path: &[u32], s: &protobuf::DropStmt) -> bool {
    !cat.aggregates.is_empty()
        && s.objects.iter().any(|o| match o.node.as_ref() {
            Some(Node::ObjectWithArgs(owa)) => {
                let parts = names(&owa.objname);
                lookup_schemas(cat, search_path, &parts).is_some_and(|schemas| {
                    let name = parts.last().map(String::as_str).unwrap_or("");
                    !candidates(cat, &schemas, name).is_empty()
                })
            }
            _ => false,
        })
}

/// `DROP AGGREGATE [IF EXISTS] name(types) [, ...]` of user aggregates (CASCADE changes
/// nothing: nothing depends on an aggregate here). Returns whether something was dropped.
pub fn drop_aggregates(
    cat: &mut Catalog,
    search_path: &[u32],
    s: &protobuf::DropStmt,
    notices: &mut Vec<Notice>,
) -> Result<bool, SqlError> {
    let mut doomed = Vec::new();
    for obj in &s.objects {
        let Some(Node::ObjectWithArgs(owa)) = obj.node.as_ref() else {
            continue;
        };
        let parts = names(&owa.objname);
        let mut types = Vec::new();
        for a in &owa.objargs {
            if let Some(Node::TypeName(tn)) = a.node.as_ref() {
                types.push(routine_type(cat, search_path, tn).map_err(|e| e.at(pos(tn.location)))?);
            }
        }
        let name = parts.last().cloned().unwrap_or_default();
        let found = lookup_schemas(cat, search_path, &parts).and_then(|schemas| {
            candidates(cat, &schemas, &name)
                .into_iter()
                .find(|a| a.arg_types() == types)
                .map(|a| a.oid)
        });
        match found {
            Some(o) => doomed.push(o),
            None => {
                let shown = if types.is_empty() {
                    "*".to_string()
                } else {
                    type_list(&types)
                };
                let msg = format!("aggregate {}({shown}) does not exist", parts.join("."));
                if s.missing_ok {
                    notices.push(crate::ddl::notice(format!("{msg}, skipping")));
                } else {
                    return Err(err("42883", msg));
                }
            }
        }
    }
    for o in &doomed {
        cat.aggregates.remove(o);
        cat.comments.retain(|(oid, _), _| oid != o);
    }
    Ok(!doomed.is_empty())
}
