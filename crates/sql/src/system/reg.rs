//! The object-identifier alias types (`regclass`, `regtype`, `regproc`, `regprocedure`,
//! `regoper`, `regnamespace`, `regrole`): their input (a name, resolved as PostgreSQL's
//! `regclassin` and friends do, or a bare OID) and output (the name, schema-qualified when
//! the search path would not find it, the OID when no object has it, `-` for 0).
//!
//! A value is a [`Value::Reg`]: the OID and the name it prints as. Names need the catalog,
//! and the executor has none, so the binder snapshots what input and output need into a
//! [`RegCatalog`] (the relations, schemas and functions of the statement's catalog and the
//! search path) and hands it to the expressions that convert at run time
//! ([`crate::expr::Expr::RegCast`]). Within a statement the catalog does not change, so a
//! value's name is the one PostgreSQL would print. Tables cannot have columns of these
//! types (a stored name would go stale after a rename).

use std::sync::Arc;

use basalt_common::types::{DataType, RegKind, Value};

use super::functions::{format_type, resolve_type, split_name};
use super::tables::{self, Ctx, PROCS, RelInfo, quote_ident};
use crate::catalog::PG_CATALOG_OID;
use crate::error::SqlError;

/// What converting to and from the OID alias types needs of the catalog.
#[derive(Debug)]
pub struct RegCatalog {
    /// The effective search path.
    path: Vec<u32>,
    rels: Vec<RelInfo>,
    schemas: Vec<(u32, String)>,
    /// (OID, name, argument types), all in `pg_catalog`.
    procs: Vec<(u32, String, Vec<u32>)>,
    /// Composite types: (OID, schema, name) of `CREATE TYPE` types and tables' row types.
    composites: Vec<(u32, u32, String)>,
    /// (array OID, element OID) of the array types of enum types and domains.
    arrays: Vec<(u32, u32)>,
    /// Roles: (OID, name).
    roles: Vec<(u32, String)>,
}

/// A shared [`RegCatalog`]; equal only to itself (expressions compare by identity).
#[derive(Debug, Clone)]
pub struct RegMap(pub Arc<RegCatalog>);

impl PartialEq for RegMap {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Function names PostgreSQL 15 has more than one function of, among those Basalt lists in
/// `pg_proc`: `regproc` output qualifies them, and input by bare name is ambiguous.
const OVERLOADED: &[&str] = &[
    "abs",
    "age",
    "array_agg",
    "avg",
    "btrim",
    "ceil",
    "char_length",
    "count",
    "date_trunc",
    "dense_rank",
    "exp",
    "floor",
    "generate_series",
    "json_build_object",
    "jsonb_build_object",
    "lag",
    "lead",
    "length",
    "ln",
    "lower",
    "lpad",
    "max",
    "md5",
    "min",
    "mod",
    "octet_length",
    "position",
    "power",
    "rank",
    "regexp_replace",
    "round",
    "rpad",
    "sign",
    "sqrt",
    "string_agg",
    "substr",
    "sum",
    "to_char",
    "to_timestamp",
    "trunc",
    "unnest",
    "upper",
];

/// The input/output and support functions `pg_type` and `pg_am` name (PostgreSQL 15's OIDs).
pub const SUPPORT_PROCS: &[(u32, &str, &[u32])] = &[
    (750, "array_in", &[2275, 26, 23]),
    (751, "array_out", &[2277]),
    (2400, "array_recv", &[2281, 26, 23]),
    (2401, "array_send", &[2277]),
    (6179, "array_subscript_handler", &[2281]),
    (3816, "array_typanalyze", &[2281]),
    (1242, "boolin", &[2275]),
    (1243, "boolout", &[16]),
    (2436, "boolrecv", &[2281]),
    (2437, "boolsend", &[16]),
    (1044, "bpcharin", &[2275, 26, 23]),
    (1045, "bpcharout", &[1042]),
    (2430, "bpcharrecv", &[2281, 26, 23]),
    (2431, "bpcharsend", &[1042]),
    (2913, "bpchartypmodin", &[1263]),
    (2914, "bpchartypmodout", &[23]),
    (1244, "byteain", &[2275]),
    (31, "byteaout", &[17]),
    (2412, "bytearecv", &[2281]),
    (2413, "byteasend", &[17]),
    (1084, "date_in", &[2275]),
    (2597, "domain_in", &[2275, 26, 23]),
    (2598, "domain_recv", &[2281, 26, 23]),
    (3506, "enum_in", &[2275, 26]),
    (3507, "enum_out", &[3500]),
    (3532, "enum_recv", &[2281, 26]),
    (3533, "enum_send", &[3500]),
    (1085, "date_out", &[1082]),
    (2468, "date_recv", &[2281]),
    (2469, "date_send", &[1082]),
    (200, "float4in", &[2275]),
    (201, "float4out", &[700]),
    (2424, "float4recv", &[2281]),
    (2425, "float4send", &[700]),
    (214, "float8in", &[2275]),
    (215, "float8out", &[701]),
    (2426, "float8recv", &[2281]),
    (2427, "float8send", &[701]),
    (38, "int2in", &[2275]),
    (39, "int2out", &[21]),
    (2404, "int2recv", &[2281]),
    (2405, "int2send", &[21]),
    (42, "int4in", &[2275]),
    (43, "int4out", &[23]),
    (2406, "int4recv", &[2281]),
    (2407, "int4send", &[23]),
    (460, "int8in", &[2275]),
    (461, "int8out", &[20]),
    (2408, "int8recv", &[2281]),
    (2409, "int8send", &[20]),
    (1798, "oidin", &[2275]),
    (1799, "oidout", &[26]),
    (2418, "oidrecv", &[2281]),
    (2419, "oidsend", &[26]),
    (1160, "interval_in", &[2275, 26, 23]),
    (1161, "interval_out", &[1186]),
    (2478, "interval_recv", &[2281, 26, 23]),
    (2479, "interval_send", &[1186]),
    (2903, "intervaltypmodin", &[1263]),
    (2904, "intervaltypmodout", &[23]),
    (321, "json_in", &[2275]),
    (322, "json_out", &[114]),
    (323, "json_recv", &[2281]),
    (324, "json_send", &[114]),
    (3806, "jsonb_in", &[2275]),
    (3804, "jsonb_out", &[3802]),
    (3805, "jsonb_recv", &[2281]),
    (3803, "jsonb_send", &[3802]),
    (6098, "jsonb_subscript_handler", &[2281]),
    (1701, "numeric_in", &[2275, 26, 23]),
    (1702, "numeric_out", &[1700]),
    (2460, "numeric_recv", &[2281, 26, 23]),
    (2461, "numeric_send", &[1700]),
    (2917, "numerictypmodin", &[1263]),
    (2918, "numerictypmodout", &[23]),
    (46, "textin", &[2275]),
    (47, "textout", &[25]),
    (2414, "textrecv", &[2281]),
    (2415, "textsend", &[25]),
    (1143, "time_in", &[2275, 26, 23]),
    (1144, "time_out", &[1083]),
    (2470, "time_recv", &[2281, 26, 23]),
    (2471, "time_send", &[1083]),
    (1312, "timestamp_in", &[2275, 26, 23]),
    (1313, "timestamp_out", &[1114]),
    (2474, "timestamp_recv", &[2281, 26, 23]),
    (2475, "timestamp_send", &[1114]),
    (2905, "timestamptypmodin", &[1263]),
    (2906, "timestamptypmodout", &[23]),
    (1150, "timestamptz_in", &[2275, 26, 23]),
    (1151, "timestamptz_out", &[1184]),
    (2476, "timestamptz_recv", &[2281, 26, 23]),
    (2477, "timestamptz_send", &[1184]),
    (2907, "timestamptztypmodin", &[1263]),
    (2908, "timestamptztypmodout", &[23]),
    (2909, "timetypmodin", &[1263]),
    (2910, "timetypmodout", &[23]),
    (1350, "timetz_in", &[2275, 26, 23]),
    (1351, "timetz_out", &[1266]),
    (2472, "timetz_recv", &[2281, 26, 23]),
    (2473, "timetz_send", &[1266]),
    (2911, "timetztypmodin", &[1263]),
    (2912, "timetztypmodout", &[23]),
    (109, "unknownin", &[2275]),
    (110, "unknownout", &[705]),
    (2416, "unknownrecv", &[2281]),
    (2417, "unknownsend", &[705]),
    (2952, "uuid_in", &[2275]),
    (2953, "uuid_out", &[2950]),
    (2961, "uuid_recv", &[2281]),
    (2962, "uuid_send", &[2950]),
    (1046, "varcharin", &[2275, 26, 23]),
    (1047, "varcharout", &[1043]),
    (2432, "varcharrecv", &[2281, 26, 23]),
    (2433, "varcharsend", &[1043]),
    (2915, "varchartypmodin", &[1263]),
    (2916, "varchartypmodout", &[23]),
    (44, "regprocin", &[2275]),
    (45, "regprocout", &[24]),
    (2444, "regprocrecv", &[2281]),
    (2445, "regprocsend", &[24]),
    (2212, "regprocedurein", &[2275]),
    (2213, "regprocedureout", &[2202]),
    (2446, "regprocedurerecv", &[2281]),
    (2447, "regproceduresend", &[2202]),
    (2214, "regoperin", &[2275]),
    (2215, "regoperout", &[2203]),
    (2448, "regoperrecv", &[2281]),
    (2449, "regopersend", &[2203]),
    (2218, "regclassin", &[2275]),
    (2219, "regclassout", &[2205]),
    (2452, "regclassrecv", &[2281]),
    (2453, "regclasssend", &[2205]),
    (2220, "regtypein", &[2275]),
    (2221, "regtypeout", &[2206]),
    (2454, "regtyperecv", &[2281]),
    (2455, "regtypesend", &[2206]),
    (4098, "regrolein", &[2275]),
    (4092, "regroleout", &[4096]),
    (4094, "regrolerecv", &[2281]),
    (4095, "regrolesend", &[4096]),
    (4084, "regnamespacein", &[2275]),
    (4085, "regnamespaceout", &[4089]),
    (4087, "regnamespacerecv", &[2281]),
    (4088, "regnamespacesend", &[4089]),
    (4001, "jsonpath_in", &[2275]),
    (4003, "jsonpath_out", &[4072]),
    (4002, "jsonpath_recv", &[2281]),
    (4004, "jsonpath_send", &[4072]),
    (3, "heap_tableam_handler", &[2281]),
    (330, "bthandler", &[2281]),
];

fn err(code: &'static str, msg: impl Into<String>) -> SqlError {
    SqlError::new(code, msg)
}

/// The OID of a support function by name (0 for `-` or an unknown name).
pub fn support_proc_oid(name: &str) -> u32 {
    SUPPORT_PROCS
        .iter()
        .find(|p| p.1 == name)
        .map_or(0, |p| p.0)
}

/// A `regproc` value of a support function named in a catalog row (`-` is OID 0).
pub fn support_proc(name: &str) -> Value {
    let o = support_proc_oid(name);
    let shown = if o == 0 { "-" } else { name };
    Value::Reg(RegKind::Proc, o, Arc::from(shown))
}

/// A `regtype` value of a built-in type.
pub fn type_value(oid: u32) -> Value {
    Value::Reg(RegKind::Type, oid, Arc::from(type_out(oid)))
}

fn type_out(oid: u32) -> String {
    match oid {
        0 => "-".to_string(),
        2283 => "anyelement".to_string(),
        2277 => "anyarray".to_string(),
        2278 => "void".to_string(),
        _ if DataType::from_oid(oid).is_some() => format_type(oid, None),
        _ => oid.to_string(),
    }
}

impl RegCatalog {
    /// A snapshot of what the statement's catalog holds.
    pub fn new(ctx: &Ctx<'_>) -> RegCatalog {
        let mut schemas: Vec<(u32, String)> = vec![
            (PG_CATALOG_OID, "pg_catalog".to_string()),
            (
                crate::catalog::INFORMATION_SCHEMA_OID,
                "information_schema".to_string(),
            ),
        ];
        schemas.extend(ctx.cat.schemas.values().map(|s| (s.oid, s.name.clone())));
        let mut procs: Vec<(u32, String, Vec<u32>)> = PROCS
            .iter()
            .map(|p| (p.oid, p.name.to_string(), p.args.to_vec()))
            .collect();
        procs.extend(
            SUPPORT_PROCS
                .iter()
                .map(|(o, n, a)| (*o, (*n).to_string(), a.to_vec())),
        );
        procs.extend(ctx.cat.functions.values().map(|f| {
            (
                f.oid,
                f.name.clone(),
                f.args.iter().map(|a| a.ty.oid()).collect(),
            )
        }));
        let mut composites: Vec<(u32, u32, String)> = ctx
            .cat
            .types
            .values()
            .map(|t| (t.oid, t.schema, t.name.clone()))
            .collect();
        let mut arrays = Vec::new();
        for (o, schema, n, a) in ctx.cat.enum_and_domain_types() {
            composites.push((o, schema, n));
            arrays.push((a, o));
        }
        composites.extend(ctx.cat.tables.values().map(|t| {
            (
                crate::catalog::ROW_TYPE_OID_BASE + t.oid,
                t.schema,
                t.name.clone(),
            )
        }));
        RegCatalog {
            path: ctx.path.clone(),
            rels: tables::relations(ctx.cat),
            schemas,
            procs,
            composites,
            arrays,
            roles: ctx
                .cat
                .roles
                .iter()
                .map(|r| (r.oid, r.name.clone()))
                .collect(),
        }
    }

    /// `regtype` output: built-in types by name, composite types qualified when not
    /// visible.
    fn type_name(&self, oid: u32) -> String {
        if let Some((_, elem)) = self.arrays.iter().find(|a| a.0 == oid) {
            return format!("{}[]", self.type_name(*elem));
        }
        let Some((_, schema, name)) = self.composites.iter().find(|c| c.0 == oid) else {
            return type_out(oid);
        };
        let visible = self.path.iter().find_map(|s| {
            self.composites
                .iter()
                .find(|c| c.1 == *s && c.2 == *name)
                .map(|c| c.0 == oid)
        }) == Some(true);
        if visible {
            quote_ident(name)
        } else {
            format!(
                "{}.{}",
                quote_ident(self.schema_name(*schema).unwrap_or("?")),
                quote_ident(name)
            )
        }
    }

    /// A composite type by (possibly qualified) name.
    fn composite_oid(&self, text: &str) -> Option<u32> {
        if let Some(elem) = text.trim().strip_suffix("[]") {
            let e = self.composite_oid(elem)?;
            return self.arrays.iter().find(|a| a.1 == e).map(|a| a.0);
        }
        let parts = split_name(text)?;
        let find = |schema: u32, name: &str| {
            let found = self
                .composites
                .iter()
                .find(|c| c.1 == schema && c.2 == name)
                .map(|c| c.0);
            // `_name`: the array type of an enum type or domain.
            found.or_else(|| {
                let elem = name.strip_prefix('_')?;
                let e = self
                    .composites
                    .iter()
                    .find(|c| c.1 == schema && c.2 == elem)?;
                self.arrays.iter().find(|a| a.1 == e.0).map(|a| a.0)
            })
        };
        match parts.as_slice() {
            [n] => self.path.iter().find_map(|s| find(*s, n)),
            [s, n] => find(self.schema_oid(s)?, n),
            _ => None,
        }
    }

    fn schema_name(&self, oid: u32) -> Option<&str> {
        self.schemas
            .iter()
            .find(|s| s.0 == oid)
            .map(|s| s.1.as_str())
    }

    fn schema_oid(&self, name: &str) -> Option<u32> {
        self.schemas.iter().find(|s| s.1 == name).map(|s| s.0)
    }

    /// The value of kind `k` for `oid`, printing as PostgreSQL's output function does.
    pub fn value(&self, k: RegKind, oid: u32) -> Value {
        Value::Reg(k, oid, Arc::from(self.out(k, oid)))
    }

    /// The output function of kind `k`.
    pub fn out(&self, k: RegKind, oid: u32) -> String {
        if oid == 0 {
            return "-".to_string();
        }
        let found = match k {
            RegKind::Class => self.rels.iter().find(|r| r.oid == oid).map(|r| {
                let visible = self.path.iter().find_map(|s| {
                    self.rels
                        .iter()
                        .find(|x| x.schema == *s && x.name == r.name)
                        .map(|x| x.oid == oid)
                }) == Some(true);
                if visible {
                    quote_ident(&r.name)
                } else {
                    format!(
                        "{}.{}",
                        quote_ident(self.schema_name(r.schema).unwrap_or("?")),
                        quote_ident(&r.name)
                    )
                }
            }),
            RegKind::Type => return self.type_name(oid),
            RegKind::Proc => self.procs.iter().find(|p| p.0 == oid).map(|p| {
                if OVERLOADED.contains(&p.1.as_str()) {
                    format!("pg_catalog.{}", quote_ident(&p.1))
                } else {
                    quote_ident(&p.1)
                }
            }),
            RegKind::Procedure => self.procs.iter().find(|p| p.0 == oid).map(|p| {
                let args: Vec<String> = p.2.iter().map(|t| type_out(*t)).collect();
                format!("{}({})", quote_ident(&p.1), args.join(","))
            }),
            RegKind::Oper => None,
            RegKind::Namespace => self.schema_name(oid).map(quote_ident),
            RegKind::Role => self
                .roles
                .iter()
                .find(|r| r.0 == oid)
                .map(|r| quote_ident(&r.1)),
        };
        found.unwrap_or_else(|| oid.to_string())
    }

    /// The input function of kind `k`: the OID `text` names, with PostgreSQL's errors.
    pub fn input(&self, k: RegKind, text: &str) -> Result<u32, SqlError> {
        if text == "-" {
            return Ok(0);
        }
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return text.parse::<u32>().map_err(|_| {
                err(
                    "22003",
                    format!("value \"{text}\" is out of range for type oid"),
                )
            });
        }
        self.lookup(k, text, false)?.ok_or_else(|| match k {
            RegKind::Class => err(
                "42P01",
                format!("relation \"{}\" does not exist", normalized(text)),
            ),
            RegKind::Type => err(
                "42704",
                format!("type \"{}\" does not exist", normalized(text)),
            ),
            RegKind::Proc | RegKind::Procedure => {
                err("42883", format!("function \"{text}\" does not exist"))
            }
            RegKind::Oper => err("42883", format!("operator does not exist: {text}")),
            RegKind::Namespace => err(
                "3F000",
                format!("schema \"{}\" does not exist", unquote_one(text)),
            ),
            RegKind::Role => err(
                "42704",
                format!("role \"{}\" does not exist", unquote_one(text)),
            ),
        })
    }

    /// The OID `text` names (not a number), `None` when nothing has that name; errors for
    /// malformed names and ambiguity (as the `to_reg*` functions, which return NULL only
    /// for a missing object).
    pub fn lookup(
        &self,
        k: RegKind,
        text: &str,
        missing_ok: bool,
    ) -> Result<Option<u32>, SqlError> {
        let names = || split_name(text).ok_or_else(|| err("42602", "invalid name syntax"));
        match k {
            RegKind::Class => {
                let parts = names()?;
                let (schema, name) = match parts.as_slice() {
                    [n] => (None, n),
                    [s, n] => (Some(s), n),
                    [_, _, _] => {
                        return Err(err(
                            "0A000",
                            format!("cross-database references are not implemented: \"{text}\""),
                        ));
                    }
                    _ => {
                        return Err(err(
                            "42601",
                            format!("improper relation name (too many dotted names): {text}"),
                        ));
                    }
                };
                Ok(match schema {
                    Some(s) => {
                        let Some(so) = self.schema_oid(s) else {
                            if missing_ok {
                                return Ok(None);
                            }
                            return Err(err("3F000", format!("schema \"{s}\" does not exist")));
                        };
                        self.rels
                            .iter()
                            .find(|r| r.schema == so && r.name == *name)
                            .map(|r| r.oid)
                    }
                    None => self.path.iter().find_map(|so| {
                        self.rels
                            .iter()
                            .find(|r| r.schema == *so && r.name == *name)
                            .map(|r| r.oid)
                    }),
                })
            }
            RegKind::Type => Ok(resolve_type(text).or_else(|| self.composite_oid(text))),
            RegKind::Proc => {
                let parts = names()?;
                let name = match parts.as_slice() {
                    [n] => n,
                    [s, n] if s == "pg_catalog" => n,
                    [_, _] => return Ok(None),
                    _ => {
                        return Err(err(
                            "42601",
                            format!("improper qualified name (too many dotted names): {text}"),
                        ));
                    }
                };
                if OVERLOADED.contains(&name.as_str())
                    || self.procs.iter().filter(|p| p.1 == *name).count() > 1
                {
                    return Err(err(
                        "42725",
                        format!("more than one function named \"{text}\""),
                    ));
                }
                Ok(self.procs.iter().find(|p| p.1 == *name).map(|p| p.0))
            }
            RegKind::Procedure => {
                let (Some(open), Some(body)) = (text.find('('), text.trim_end().strip_suffix(')'))
                else {
                    return Err(err("22P02", "expected a left parenthesis"));
                };
                let name = &text[..open];
                let parts = split_name(name).ok_or_else(|| err("42602", "invalid name syntax"))?;
                let name = match parts.as_slice() {
                    [n] => n,
                    [s, n] if s == "pg_catalog" => n,
                    _ => return Ok(None),
                };
                let inner = body[open + 1..].trim();
                let mut args = Vec::new();
                if !inner.is_empty() {
                    for a in split_args(inner) {
                        let o = resolve_type(a.trim()).ok_or_else(|| {
                            err("42704", format!("type \"{}\" does not exist", a.trim()))
                        })?;
                        args.push(o);
                    }
                }
                Ok(self
                    .procs
                    .iter()
                    .find(|p| p.1 == *name && p.2 == args)
                    .map(|p| p.0))
            }
            RegKind::Oper => Err(err(
                "0A000",
                "feature not supported: regoper input by operator name",
            )),
            RegKind::Namespace => {
                let parts = names()?;
                let [n] = parts.as_slice() else {
                    return Err(err("42602", "invalid name syntax"));
                };
                Ok(self.schema_oid(n))
            }
            RegKind::Role => {
                let parts = names()?;
                let [n] = parts.as_slice() else {
                    return Err(err("42602", "invalid name syntax"));
                };
                Ok(self.roles.iter().find(|r| r.1 == *n).map(|r| r.0))
            }
        }
    }

    /// Converts a value to kind `k` at run time: integers are OIDs, strings are read by the
    /// input function (with `missing_ok`, a name nothing has gives NULL).
    pub fn convert(&self, v: &Value, k: RegKind, missing_ok: bool) -> Result<Value, SqlError> {
        let oid = match v {
            Value::Null => return Ok(Value::Null),
            // An array converts element by element (`'{t,u}'::regclass[]`).
            Value::Array(a) => {
                let mut out = a.as_ref().clone();
                out.element_type = DataType::Reg(k);
                // An oidvector made regtype[] keeps its bounds but is a plain array.
                out.vector = false;
                for e in &mut out.elements {
                    *e = self.convert(e, k, missing_ok)?;
                }
                return Ok(Value::Array(Box::new(out)));
            }
            Value::Reg(_, o, _) | Value::Oid(o) => *o,
            Value::Int2(x) => i32::from(*x) as u32,
            Value::Int4(x) => *x as u32,
            Value::Int8(x) => oid_of(*x)?,
            Value::Text(s) | Value::Bpchar(s) => {
                if missing_ok {
                    match self.lookup(k, s, true)? {
                        Some(o) => o,
                        None => return Ok(Value::Null),
                    }
                } else {
                    self.input(k, s)?
                }
            }
            other => {
                return Err(err(
                    "42846",
                    format!(
                        "cannot cast type {} to {}",
                        other
                            .data_type()
                            .map_or("unknown".into(), |t| t.format_type()),
                        k.name()
                    ),
                ));
            }
        };
        Ok(self.value(k, oid))
    }
}

/// A bigint as an OID (PostgreSQL's `oid(int8)`: 0..2^32-1).
fn oid_of(x: i64) -> Result<u32, SqlError> {
    u32::try_from(x).map_err(|_| err("22003", "OID out of range"))
}

/// A name as the error messages show it: parts unquoted, unquoted parts lower-cased.
fn normalized(text: &str) -> String {
    split_name(text).map_or_else(|| text.to_string(), |p| p.join("."))
}

/// A one-part name as the error messages show it (quotes removed, unquoted part lower-cased).
fn unquote_one(text: &str) -> String {
    split_name(text)
        .and_then(|p| p.into_iter().next())
        .unwrap_or_else(|| text.to_string())
}

/// Splits a type list at top-level commas (`numeric(10,2), int`).
fn split_args(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}
