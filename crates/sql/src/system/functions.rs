//! System information functions (`format_type`, `pg_get_indexdef`, `pg_table_is_visible`,
//! `obj_description`, `to_regclass`, ...).
//!
//! They answer from the catalog the statement was bound against. A call whose arguments are
//! constants is folded to its value here; otherwise it becomes a `CASE` over the (few)
//! catalog objects that can match, so the executor needs no catalog access. Arguments of
//! PostgreSQL type `oid`/`regclass` may be given as an integer OID or as a (possibly
//! qualified) name, because the binder types `'t'::regclass` as text.

use basalt_common::types::{CastContext, DataType, RegKind, Value};

use super::tables::{self, Ctx, PROCS};
use crate::binder::Binder;
use crate::catalog::PG_CATALOG_OID;
use crate::error::SqlError;
use crate::expr::{CmpOp, Expr, SeqFunc};

/// What an OID argument names, for resolving a name given in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OidKind {
    /// A relation (`regclass`).
    Class,
    /// A type (`regtype`).
    Type,
    /// Anything: names are not accepted.
    Plain,
}

/// An OID argument: known at bind time (`None` = NULL), or an int8 expression.
enum OidArg {
    Const(Option<i64>),
    Dyn(Expr),
}

fn err(code: &'static str, msg: impl Into<String>) -> SqlError {
    SqlError::new(code, msg)
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn opt_text(s: Option<String>) -> Value {
    s.map_or(Value::Null, Value::Text)
}

fn int8(x: u32) -> Value {
    Value::Int8(i64::from(x))
}

/// Splits a possibly qualified, possibly quoted name (`public."My T"`) into its parts,
/// down-casing unquoted parts as the parser does.
pub fn split_name(s: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut chars = s.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                part.extend(c.to_lowercase());
                chars.next();
            }
            part = part.trim().to_string();
        }
        if part.is_empty() {
            return None;
        }
        parts.push(part);
        match chars.next() {
            None => return Some(parts),
            Some('.') => {}
            Some(_) => return None,
        }
    }
}

/// The OID of the relation a (possibly qualified) name finds, as `regclass` input does.
pub fn resolve_class(ctx: &Ctx<'_>, rels: &[tables::RelInfo], s: &str) -> Option<u32> {
    let parts = split_name(s)?;
    let (schema, name) = match parts.as_slice() {
        [n] => (None, n.as_str()),
        [s, n] => (Some(s.as_str()), n.as_str()),
        [_, s, n] => (Some(s.as_str()), n.as_str()),
        _ => return None,
    };
    match schema {
        Some(sn) => {
            let so = ctx.cat.schema_oid(sn)?;
            rels.iter()
                .find(|r| r.schema == so && r.name == name)
                .map(|r| r.oid)
        }
        None => ctx.path.iter().find_map(|so| {
            rels.iter()
                .find(|r| r.schema == *so && r.name == name)
                .map(|r| r.oid)
        }),
    }
}

/// The OID of the type a name finds, as `regtype` input does.
pub fn resolve_type(s: &str) -> Option<u32> {
    let s = s.trim();
    let s = s.strip_prefix("pg_catalog.").unwrap_or(s);
    match s {
        "anyelement" => return Some(2283),
        "anyarray" => return Some(2277),
        _ => {}
    }
    DataType::parse(s)
        .ok()
        .or_else(|| DataType::from_name(s, &[]).ok())
        .map(|t| t.oid())
}

fn class_names(ctx: &Ctx<'_>, rels: &[tables::RelInfo]) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for r in rels {
        let schema = ctx.cat.schema_name(r.schema);
        out.push((format!("{schema}.{}", r.name), r.oid));
        out.push((r.oid.to_string(), r.oid));
        if tables::rel_visible(ctx, rels, r) {
            out.push((r.name.clone(), r.oid));
        }
    }
    out
}

impl OidArg {
    /// Normalises an argument of PostgreSQL type `oid` / `regclass` / `regtype`.
    fn new(
        b: &mut Binder<'_>,
        ctx: &Ctx<'_>,
        e: Expr,
        t: &DataType,
        kind: OidKind,
    ) -> Result<OidArg, SqlError> {
        if let Expr::Const(v) = &e {
            return Ok(OidArg::Const(match v {
                Value::Null => None,
                Value::Int2(x) => Some(i64::from(*x)),
                Value::Int4(x) => Some(i64::from(*x)),
                Value::Int8(x) => Some(*x),
                Value::Reg(_, o, _) | Value::Oid(o) => Some(i64::from(*o)),
                Value::Text(s) if t.is_string() || *t == DataType::Unknown => {
                    if let Ok(n) = s.trim().parse::<i64>() {
                        Some(n)
                    } else {
                        match kind {
                            OidKind::Class => {
                                let rels = tables::relations(ctx.cat);
                                let o = resolve_class(ctx, &rels, s).ok_or_else(|| {
                                    err("42P01", format!("relation \"{s}\" does not exist"))
                                })?;
                                Some(i64::from(o))
                            }
                            OidKind::Type => {
                                let o = resolve_type(s).ok_or_else(|| {
                                    err("42704", format!("type \"{s}\" does not exist"))
                                })?;
                                Some(i64::from(o))
                            }
                            OidKind::Plain => {
                                // The binder gives `'t'::regclass` the type text: accept a
                                // relation name where PostgreSQL would have the OID.
                                let rels = tables::relations(ctx.cat);
                                let o = resolve_class(ctx, &rels, s).ok_or_else(|| {
                                    err(
                                        "22P02",
                                        format!("invalid input syntax for type oid: \"{s}\""),
                                    )
                                })?;
                                Some(i64::from(o))
                            }
                        }
                    }
                }
                _ => return Err(err("42883", "function argument must be an OID")),
            }));
        }
        match t {
            DataType::Int2
            | DataType::Int4
            | DataType::Int8
            | DataType::Unknown
            | DataType::Oid
            | DataType::Reg(_) => Ok(OidArg::Dyn(b.coerce(
                e,
                t,
                &DataType::Int8,
                CastContext::Explicit,
            )?)),
            t if t.is_string() && kind == OidKind::Class => {
                let rels = tables::relations(ctx.cat);
                let entries = class_names(ctx, &rels)
                    .into_iter()
                    .map(|(n, o)| (text(&n), int8(o)))
                    .collect();
                let e = b.coerce(e, t, &DataType::Text, CastContext::Implicit)?;
                Ok(OidArg::Dyn(case_of(e, entries, Value::Null)))
            }
            other => Err(err(
                "42883",
                format!(
                    "function argument of type {} cannot be an OID",
                    other.format_type()
                ),
            )),
        }
    }

    /// The function's value: `f` of the constant, or a CASE over `entries` (OID → value),
    /// with `missing` for an OID no entry has and NULL for NULL.
    fn map(self, f: impl Fn(i64) -> Value, entries: Vec<(i64, Value)>, missing: Value) -> Expr {
        match self {
            OidArg::Const(None) => Expr::Const(Value::Null),
            OidArg::Const(Some(o)) => Expr::Const(f(o)),
            OidArg::Dyn(e) => case_of(
                e,
                entries
                    .into_iter()
                    .map(|(k, v)| (Value::Int8(k), v))
                    .collect(),
                missing,
            ),
        }
    }
}

/// `CASE WHEN e IS NULL THEN NULL WHEN e = k1 THEN v1 ... ELSE otherwise END`.
fn case_of(e: Expr, entries: Vec<(Value, Value)>, otherwise: Value) -> Expr {
    let mut whens = vec![(
        Expr::IsNull(Box::new(e.clone()), false),
        Expr::Const(Value::Null),
    )];
    for (k, v) in entries {
        whens.push((
            Expr::Cmp(CmpOp::Eq, Box::new(e.clone()), Box::new(Expr::Const(k))),
            Expr::Const(v),
        ));
    }
    Expr::Case {
        whens,
        otherwise: Box::new(Expr::Const(otherwise)),
    }
}

/// `e IN (oids)` as a boolean that is NULL for NULL.
fn in_oids(e: Expr, oids: &[u32]) -> Expr {
    Expr::InList(
        Box::new(e),
        oids.iter().map(|o| Expr::Const(int8(*o))).collect(),
        false,
    )
}

/// A constant boolean (or int4) argument, if it is one.
fn const_bool(e: Option<&Expr>) -> Option<bool> {
    match e {
        Some(Expr::Const(Value::Bool(b))) => Some(*b),
        _ => None,
    }
}

fn const_int(e: Option<&Expr>) -> Option<i64> {
    match e {
        Some(Expr::Const(Value::Int2(x))) => Some(i64::from(*x)),
        Some(Expr::Const(Value::Int4(x))) => Some(i64::from(*x)),
        Some(Expr::Const(Value::Int8(x))) => Some(*x),
        _ => None,
    }
}

fn const_text(e: Option<&Expr>) -> Option<&str> {
    match e {
        Some(Expr::Const(Value::Text(s))) => Some(s),
        _ => None,
    }
}

/// `format_type(oid, typmod)`: `None` typmod is SQL NULL.
pub fn format_type(o: u32, typmod: Option<i32>) -> String {
    let Some(base) = DataType::from_oid(o) else {
        return match o {
            2283 | 2277 => tables::type_oid_name(o),
            _ => "???".to_string(),
        };
    };
    match typmod {
        None if base == DataType::Bpchar(None) => "character".to_string(),
        None => base.format_type(),
        Some(m) if m < 0 => base.format_type(),
        Some(m) => with_typmod(&base, m).format_type(),
    }
}

/// The type with PostgreSQL's typmod integer applied.
fn with_typmod(t: &DataType, m: i32) -> DataType {
    use basalt_common::types::datatype::NumericTypmod;
    match t {
        DataType::Varchar(_) => DataType::Varchar(u32::try_from(m - 4).ok()),
        DataType::Bpchar(_) => DataType::Bpchar(u32::try_from(m - 4).ok()),
        DataType::Numeric(_) if m >= 4 => {
            let v = m - 4;
            let scale = v & 0x7ff;
            // The scale is an 11-bit two's complement number.
            let scale = if scale >= 0x400 { scale - 0x800 } else { scale };
            DataType::Numeric(Some(NumericTypmod {
                precision: (v >> 16) & 0xffff,
                scale,
            }))
        }
        DataType::Time(_) => DataType::Time(u8::try_from(m).ok()),
        DataType::TimeTz(_) => DataType::TimeTz(u8::try_from(m).ok()),
        DataType::Timestamp(_) => DataType::Timestamp(u8::try_from(m).ok()),
        DataType::Timestamptz(_) => DataType::Timestamptz(u8::try_from(m).ok()),
        DataType::Array(e) => DataType::Array(Box::new(with_typmod(e, m))),
        other => other.clone(),
    }
}

fn bind_format_type(
    b: &mut Binder<'_>,
    ctx: &Ctx<'_>,
    args: &[Expr],
    types: &[DataType],
) -> Result<(Expr, DataType), SqlError> {
    let o = OidArg::new(b, ctx, args[0].clone(), &types[0], OidKind::Type)?;
    let typmod_const = match &args[1] {
        Expr::Const(Value::Null) => Some(None),
        e => const_int(Some(e)).map(|m| Some(i32::try_from(m).unwrap_or(-1))),
    };
    let fmt = |o: i64, m: Option<i32>| {
        u32::try_from(o).map_or_else(|_| text("???"), |o| text(&format_type(o, m)))
    };
    let all: Vec<u32> = tables::builtin_types().iter().map(DataType::oid).collect();
    // Composite types (tables' row types and CREATE TYPE) and their arrays, by name.
    let composites: Vec<(i64, Value)> = ctx
        .cat
        .tables
        .values()
        .map(|t| (t.schema, t.row_type()))
        .chain(ctx.cat.types.values().map(|t| (t.schema, t.row_type())))
        // Qualified as PostgreSQL's format_type does outside the search path (a dump's
        // column types must name the schema).
        .map(|(s, r)| {
            let name = ctx
                .cat
                .qualified_type_name(s, r.name.as_deref().unwrap_or_default());
            (r.oid, r.array_oid, name)
        })
        .chain(
            ctx.cat
                .enum_and_domain_types()
                .into_iter()
                .map(|(o, schema, n, a)| (o, a, ctx.cat.qualified_type_name(schema, &n))),
        )
        .flat_map(|(o, a, n)| {
            [
                (i64::from(o), text(&n)),
                (i64::from(a), text(&format!("{n}[]"))),
            ]
        })
        .collect();
    if let Some(m) = typmod_const {
        let entries = all
            .iter()
            .map(|t| (i64::from(*t), fmt(i64::from(*t), m)))
            .chain(composites)
            .collect::<Vec<_>>();
        if let OidArg::Const(Some(x)) = &o
            && let Some((_, v)) = entries.iter().find(|(k, _)| k == x)
        {
            return Ok((Expr::Const(v.clone()), DataType::Text));
        }
        return Ok((o.map(|x| fmt(x, m), entries, text("???")), DataType::Text));
    }
    // Typmod varies: the (type, typmod) pairs the catalog's columns use, then each type.
    let typmod = b.coerce(
        args[1].clone(),
        &types[1],
        &DataType::Int4,
        CastContext::Implicit,
    )?;
    let oid_expr = match o {
        OidArg::Const(None) => return Ok((Expr::Const(Value::Null), DataType::Text)),
        OidArg::Const(Some(x)) => Expr::Const(Value::Int8(x)),
        OidArg::Dyn(e) => e,
    };
    let mut pairs: Vec<(u32, i32)> = tables::attributes(ctx)
        .iter()
        .filter(|a| a.ty.typmod() >= 0)
        .map(|a| (a.ty.oid(), a.ty.typmod()))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let eq =
        |l: &Expr, r: Value| Expr::Cmp(CmpOp::Eq, Box::new(l.clone()), Box::new(Expr::Const(r)));
    let mut whens = vec![(
        Expr::IsNull(Box::new(oid_expr.clone()), false),
        Expr::Const(Value::Null),
    )];
    for (t, m) in pairs {
        whens.push((
            Expr::And(
                Box::new(eq(&oid_expr, int8(t))),
                Box::new(eq(&typmod, Value::Int4(m))),
            ),
            Expr::Const(text(&format_type(t, Some(m)))),
        ));
    }
    whens.push((
        Expr::And(
            Box::new(eq(&oid_expr, int8(1042))),
            Box::new(Expr::IsNull(Box::new(typmod.clone()), false)),
        ),
        Expr::Const(text("character")),
    ));
    for t in all {
        whens.push((
            eq(&oid_expr, int8(t)),
            Expr::Const(text(&format_type(t, Some(-1)))),
        ));
    }
    for (o, n) in composites {
        whens.push((eq(&oid_expr, Value::Int8(o)), Expr::Const(n)));
    }
    Ok((
        Expr::Case {
            whens,
            otherwise: Box::new(Expr::Const(text("???"))),
        },
        DataType::Text,
    ))
}

fn index_entries(ctx: &Ctx<'_>, col: Option<i64>, pretty: bool) -> Vec<(i64, Value)> {
    let cat = ctx.cat;
    // Pretty-printing leaves out the schema of a table the search path finds (psql's \d).
    let rels = if pretty {
        tables::relations(cat)
    } else {
        Vec::new()
    };
    let visible = |table: u32| {
        rels.iter()
            .find(|r| r.oid == table)
            .is_some_and(|r| tables::rel_visible(ctx, &rels, r))
    };
    cat.indexes
        .values()
        .map(|ix| {
            let v = match col {
                None | Some(0) => text(&tables::index_def_with(
                    cat,
                    ix,
                    !(pretty && visible(ix.table)),
                    pretty,
                )),
                Some(k) => {
                    let t = cat.tables.get(&ix.table);
                    usize::try_from(k - 1)
                        .ok()
                        .and_then(|i| ix.all_columns().get(i).cloned())
                        .map_or(text(""), |key| {
                            text(&tables::index_key_text(cat, t, &key, pretty))
                        })
                }
            };
            (i64::from(ix.oid), v)
        })
        .collect()
}

fn lookup_entry(entries: &[(i64, Value)], o: i64, missing: Value) -> Value {
    entries
        .iter()
        .find(|(k, _)| *k == o)
        .map_or(missing, |(_, v)| v.clone())
}

fn constraint_entries(ctx: &Ctx<'_>, pretty: bool) -> Vec<(i64, Value)> {
    let mut out = Vec::new();
    for t in ctx.cat.tables.values() {
        for c in &t.constraints {
            out.push((
                i64::from(c.oid),
                text(&tables::constraint_def(ctx, t, c, pretty)),
            ));
        }
    }
    for d in ctx.cat.domains.values() {
        for c in &d.checks {
            let def = if pretty {
                format!("CHECK ({})", c.expr)
            } else {
                format!("CHECK (({}))", c.expr)
            };
            out.push((i64::from(c.oid), text(&def)));
        }
    }
    out
}

fn comment_entries(ctx: &Ctx<'_>, class: Option<u32>) -> Vec<(i64, Value)> {
    ctx.cat
        .comments
        .iter()
        .filter(|((o, sub), _)| {
            *sub == 0 && class.is_none_or(|c| tables::comment_class(ctx.cat, *o) == c)
        })
        .map(|((o, _), s)| (i64::from(*o), text(s)))
        .collect()
}

fn serial_sequence(ctx: &Ctx<'_>, table: u32, column: &str) -> Option<String> {
    let t = ctx.cat.tables.get(&table)?;
    let idx = t.column_index(column)?;
    let s = ctx
        .cat
        .sequences
        .values()
        .find(|s| s.owned_by == Some((table, idx)))?;
    Some(format!(
        "{}.{}",
        tables::quote_ident(ctx.cat.schema_name(s.schema)),
        tables::quote_ident(&s.name)
    ))
}

/// Binds a system information function; `None` if `name`/arity is not one.
pub fn bind(
    b: &mut Binder<'_>,
    ctx: &Ctx<'_>,
    name: &str,
    args: &[Expr],
    types: &[DataType],
) -> Result<Option<(Expr, DataType)>, SqlError> {
    let n = args.len();
    let ty = DataType::Text;
    let arg = |i: usize| args.get(i).cloned().unwrap_or(Expr::Const(Value::Null));
    // An error about an OID argument (a relation name that names none) is placed at it,
    // where PostgreSQL's input function for regclass reads the literal.
    let oid_arg = |b: &mut Binder<'_>, i: usize, kind| {
        OidArg::new(
            b,
            ctx,
            arg(i),
            types.get(i).unwrap_or(&DataType::Unknown),
            kind,
        )
        .map_err(|e| match e.position() {
            None => e.at(b.call_arg_positions.get(i).copied().flatten()),
            Some(_) => e,
        })
    };
    Ok(Some(match (name, n) {
        ("format_type", 2) => bind_format_type(b, ctx, args, types)?,
        ("pg_get_expr", 2 | 3) => {
            let e = b.coerce(arg(0), &types[0], &DataType::Text, CastContext::Explicit)?;
            (e, ty)
        }
        ("pg_get_indexdef", 1 | 3) => {
            let o = oid_arg(b, 0, OidKind::Class)?;
            let pretty = const_bool(args.get(2)).unwrap_or(false);
            let col = if n == 1 {
                Some(0)
            } else {
                const_int(args.get(1))
            };
            match col {
                Some(c) => {
                    let entries = index_entries(ctx, Some(c), pretty);
                    let e2 = entries.clone();
                    (
                        o.map(|x| lookup_entry(&e2, x, Value::Null), entries, Value::Null),
                        ty,
                    )
                }
                None => {
                    // Column number varies: CASE over (index, column) pairs.
                    let OidArg::Dyn(oe) = o else {
                        return Err(err(
                            "0A000",
                            "feature not supported: pg_get_indexdef with a varying column",
                        ));
                    };
                    let ce = b.coerce(arg(1), &types[1], &DataType::Int4, CastContext::Implicit)?;
                    let mut whens = Vec::new();
                    for ix in ctx.cat.indexes.values() {
                        for k in 0..=ix.keys.len() + ix.include.len() {
                            let k = i64::try_from(k).unwrap_or(0);
                            let v = lookup_entry(
                                &index_entries(ctx, Some(k), pretty),
                                i64::from(ix.oid),
                                Value::Null,
                            );
                            whens.push((
                                Expr::And(
                                    Box::new(Expr::Cmp(
                                        CmpOp::Eq,
                                        Box::new(oe.clone()),
                                        Box::new(Expr::Const(int8(ix.oid))),
                                    )),
                                    Box::new(Expr::Cmp(
                                        CmpOp::Eq,
                                        Box::new(ce.clone()),
                                        Box::new(Expr::Const(Value::Int4(
                                            i32::try_from(k).unwrap_or(0),
                                        ))),
                                    )),
                                ),
                                Expr::Const(v),
                            ));
                        }
                    }
                    let e = if whens.is_empty() {
                        Expr::Const(Value::Null)
                    } else {
                        Expr::Case {
                            whens,
                            otherwise: Box::new(Expr::Const(Value::Null)),
                        }
                    };
                    (e, ty)
                }
            }
        }
        ("pg_get_constraintdef", 1 | 2) => {
            let o = oid_arg(b, 0, OidKind::Plain)?;
            let pretty = const_bool(args.get(1)).unwrap_or(false);
            let entries = constraint_entries(ctx, pretty);
            let e2 = entries.clone();
            (
                o.map(|x| lookup_entry(&e2, x, Value::Null), entries, Value::Null),
                ty,
            )
        }
        ("pg_get_functiondef", 1) => {
            let o = oid_arg(b, 0, OidKind::Plain)?;
            let entries: Vec<(i64, Value)> = ctx
                .cat
                .functions
                .values()
                .map(|f| {
                    (
                        i64::from(f.oid),
                        text(&crate::sqlfunc::functiondef(ctx.cat, f)),
                    )
                })
                .collect();
            let e2 = entries.clone();
            (
                o.map(|x| lookup_entry(&e2, x, Value::Null), entries, Value::Null),
                DataType::Text,
            )
        }
        ("pg_get_viewdef", 1 | 2) => {
            let o = oid_arg(b, 0, OidKind::Class)?;
            let entries: Vec<(i64, Value)> = ctx
                .cat
                .views
                .values()
                .map(|v| (i64::from(v.oid), text(&v.query)))
                .collect();
            let e2 = entries.clone();
            (
                o.map(|x| lookup_entry(&e2, x, Value::Null), entries, Value::Null),
                ty,
            )
        }
        ("pg_table_is_visible", 1) => {
            let o = oid_arg(b, 0, OidKind::Class)?;
            let rels = tables::relations(ctx.cat);
            let visible: Vec<u32> = rels
                .iter()
                .filter(|r| tables::rel_visible(ctx, &rels, r))
                .map(|r| r.oid)
                .collect();
            let all: Vec<u32> = rels.iter().map(|r| r.oid).collect();
            let e = match o {
                OidArg::Const(None) => Expr::Const(Value::Null),
                OidArg::Const(Some(x)) => {
                    Expr::Const(if visible.iter().any(|v| i64::from(*v) == x) {
                        Value::Bool(true)
                    } else if all.iter().any(|v| i64::from(*v) == x) {
                        Value::Bool(false)
                    } else {
                        Value::Null
                    })
                }
                OidArg::Dyn(e) => Expr::Case {
                    whens: vec![
                        (in_oids(e.clone(), &visible), Expr::Const(Value::Bool(true))),
                        (in_oids(e, &all), Expr::Const(Value::Bool(false))),
                    ],
                    otherwise: Box::new(Expr::Const(Value::Null)),
                },
            };
            (e, DataType::Bool)
        }
        ("pg_type_is_visible" | "pg_function_is_visible" | "pg_collation_is_visible", 1) => {
            let mut known: Vec<(u32, bool)> = match name {
                "pg_type_is_visible" => tables::builtin_types()
                    .iter()
                    .map(|t| (t.oid(), true))
                    .collect(),
                // Every collation lives in pg_catalog.
                "pg_collation_is_visible" => tables::collation_oids()
                    .iter()
                    .map(|o| (*o, true))
                    .collect(),
                _ => {
                    let visible = crate::sqlfunc::visible(ctx.cat, &ctx.path);
                    PROCS
                        .iter()
                        .map(|p| (p.oid, true))
                        .chain(ctx.cat.functions.keys().map(|o| (*o, visible.contains(o))))
                        .collect()
                }
            };
            if name == "pg_type_is_visible" {
                // A user type is visible when the search path finds its name first (and no
                // built-in type, in pg_catalog, has the name).
                for (o, schema, n, a) in ctx.cat.enum_and_domain_types() {
                    let first = ctx
                        .path
                        .iter()
                        .find(|s| ctx.cat.user_type_in(**s, &n).is_some());
                    let visible = first == Some(&schema) && DataType::from_name(&n, &[]).is_err();
                    known.extend([(o, visible), (a, visible)]);
                }
            }
            let o = oid_arg(b, 0, OidKind::Plain)?;
            let entries = known
                .iter()
                .map(|(k, v)| (i64::from(*k), Value::Bool(*v)))
                .collect();
            (
                o.map(
                    |x| {
                        known
                            .iter()
                            .find(|(k, _)| i64::from(*k) == x)
                            .map_or(Value::Null, |(_, v)| Value::Bool(*v))
                    },
                    entries,
                    Value::Null,
                ),
                DataType::Bool,
            )
        }
        ("pg_get_userbyid", 1) => {
            let o = oid_arg(b, 0, OidKind::Plain)?;
            let e = match o {
                OidArg::Const(None) => Expr::Const(Value::Null),
                OidArg::Const(Some(x)) => Expr::Const(text(&super::roles::user_by_id(ctx, x))),
                OidArg::Dyn(e) => {
                    let entries = ctx
                        .cat
                        .roles
                        .iter()
                        .map(|r| (Value::Int8(i64::from(r.oid)), text(&r.name)))
                        .collect();
                    // Any other OID: `unknown (OID=n)`, as PostgreSQL.
                    let unknown = basalt_func::resolve_function(
                        "concat",
                        &[DataType::Text, DataType::Int8, DataType::Text],
                    )
                    .map(|r| Expr::Func {
                        func: r.func,
                        args: vec![
                            Expr::Const(text("unknown (OID=")),
                            e.clone(),
                            Expr::Const(text(")")),
                        ],
                        strict: r.strict,
                    });
                    match (case_of(e, entries, Value::Null), unknown) {
                        (Expr::Case { whens, .. }, Some(u)) => Expr::Case {
                            whens,
                            otherwise: Box::new(u),
                        },
                        (c, _) => c,
                    }
                }
            };
            (e, DataType::Name)
        }
        ("pg_encoding_to_char", 1) => {
            let o = oid_arg(b, 0, OidKind::Plain)?;
            let enc = |x: i64| match x {
                0 => text("SQL_ASCII"),
                6 => text("UTF8"),
                _ => text(""),
            };
            let entries = vec![(0, enc(0)), (6, enc(6))];
            (o.map(enc, entries, text("")), DataType::Name)
        }
        ("pg_char_to_encoding", 1) => {
            let e = b.coerce(arg(0), &types[0], &DataType::Text, CastContext::Implicit)?;
            let names = [("SQL_ASCII", 0), ("sql_ascii", 0), ("UTF8", 6), ("utf8", 6)];
            let entries = names
                .iter()
                .map(|(n, c)| (text(n), Value::Int4(*c)))
                .collect();
            (case_of(e, entries, Value::Int4(-1)), DataType::Int4)
        }
        // PostgreSQL's bitmask of the commands a relation accepts (4 UPDATE, 8 INSERT,
        // 16 DELETE): tables all, automatically updatable views all with a writable column
        // (else DELETE only), other relations none.
        ("pg_relation_is_updatable", 2) => {
            let o = oid_arg(b, 0, OidKind::Class)?;
            let entries: Vec<(i64, Value)> = tables::relations(ctx.cat)
                .iter()
                .map(|r| {
                    let events = match r.kind {
                        'r' => 28,
                        'v' => match tables::view_writable_columns(ctx, r.oid) {
                            Some(cols) if cols.iter().any(|w| *w) => 28,
                            _ if tables::view_deletable(ctx, r.oid) => 16,
                            _ => 0,
                        },
                        _ => 0,
                    };
                    (i64::from(r.oid), Value::Int4(events))
                })
                .collect();
            let e2 = entries.clone();
            (
                o.map(
                    |x| lookup_entry(&e2, x, Value::Int4(0)),
                    entries,
                    Value::Int4(0),
                ),
                DataType::Int4,
            )
        }
        ("pg_column_is_updatable", 3) => {
            let o = oid_arg(b, 0, OidKind::Class)?;
            let Some(col) = const_int(args.get(1)) else {
                return Err(err(
                    "0A000",
                    "feature not supported: pg_column_is_updatable with a varying column",
                ));
            };
            let entries: Vec<(i64, Value)> = tables::relations(ctx.cat)
                .iter()
                .map(|r| {
                    let ok = col > 0
                        && match r.kind {
                            'r' => true,
                            'v' => tables::view_writable_columns(ctx, r.oid).is_some_and(|w| {
                                usize::try_from(col - 1)
                                    .ok()
                                    .and_then(|i| w.get(i).copied())
                                    .unwrap_or(false)
                            }),
                            _ => false,
                        };
                    (i64::from(r.oid), Value::Bool(ok))
                })
                .collect();
            let e2 = entries.clone();
            (
                o.map(
                    |x| lookup_entry(&e2, x, Value::Bool(false)),
                    entries,
                    Value::Bool(false),
                ),
                DataType::Bool,
            )
        }
        ("obj_description", 1 | 2) => {
            let o = oid_arg(b, 0, OidKind::Plain)?;
            let class = match const_text(args.get(1)) {
                Some("pg_class") => Some(tables::PG_CLASS_OID),
                Some("pg_namespace") => Some(tables::PG_NAMESPACE_OID),
                Some("pg_constraint") => Some(tables::PG_CONSTRAINT_OID),
                Some("pg_type") => Some(tables::PG_TYPE_OID),
                Some(_) => Some(0),
                None => None,
            };
            let entries = comment_entries(ctx, class);
            let e2 = entries.clone();
            (
                o.map(|x| lookup_entry(&e2, x, Value::Null), entries, Value::Null),
                ty,
            )
        }
        ("col_description", 2) => {
            let o = oid_arg(b, 0, OidKind::Class)?;
            let comments: Vec<((u32, u32), String)> = ctx
                .cat
                .comments
                .iter()
                .filter(|((_, sub), _)| *sub > 0)
                .map(|(k, v)| (*k, v.clone()))
                .collect();
            let col = b.coerce(arg(1), &types[1], &DataType::Int4, CastContext::Implicit)?;
            let e = match (o, &col) {
                (OidArg::Const(None), _) => Expr::Const(Value::Null),
                (OidArg::Const(Some(x)), Expr::Const(c)) => {
                    let c = match c {
                        Value::Int4(c) => i64::from(*c),
                        _ => -1,
                    };
                    Expr::Const(
                        comments
                            .iter()
                            .find(|((o, s), _)| i64::from(*o) == x && i64::from(*s) == c)
                            .map_or(Value::Null, |(_, t)| text(t)),
                    )
                }
                (o, _) => {
                    let oe = match o {
                        OidArg::Const(Some(x)) => Expr::Const(Value::Int8(x)),
                        OidArg::Dyn(e) => e,
                        OidArg::Const(None) => Expr::Const(Value::Null),
                    };
                    let whens: Vec<(Expr, Expr)> = comments
                        .iter()
                        .map(|((o, s), t)| {
                            (
                                Expr::And(
                                    Box::new(Expr::Cmp(
                                        CmpOp::Eq,
                                        Box::new(oe.clone()),
                                        Box::new(Expr::Const(int8(*o))),
                                    )),
                                    Box::new(Expr::Cmp(
                                        CmpOp::Eq,
                                        Box::new(col.clone()),
                                        Box::new(Expr::Const(Value::Int4(
                                            i32::try_from(*s).unwrap_or(0),
                                        ))),
                                    )),
                                ),
                                Expr::Const(text(t)),
                            )
                        })
                        .collect();
                    if whens.is_empty() {
                        Expr::Const(Value::Null)
                    } else {
                        Expr::Case {
                            whens,
                            otherwise: Box::new(Expr::Const(Value::Null)),
                        }
                    }
                }
            };
            (e, ty)
        }
        ("shobj_description", 2) => (Expr::Const(Value::Null), ty),
        ("current_schemas", 1) => {
            let implicit = const_bool(args.first()).unwrap_or(true);
            let mut v = Vec::new();
            if implicit && !ctx.session_path.contains(&PG_CATALOG_OID) {
                v.push(text("pg_catalog"));
            }
            for s in &ctx.session_path {
                v.push(text(ctx.cat.schema_name(*s)));
            }
            (
                Expr::Const(Value::array(DataType::Name, v)),
                DataType::Array(Box::new(DataType::Name)),
            )
        }
        (
            "has_table_privilege"
            | "has_schema_privilege"
            | "has_database_privilege"
            | "has_column_privilege"
            | "has_sequence_privilege"
            | "has_function_privilege"
            | "has_any_column_privilege"
            | "has_type_privilege"
            | "pg_has_role",
            2..=4,
        ) => (Expr::Const(Value::Bool(true)), DataType::Bool),
        (
            "pg_relation_size" | "pg_total_relation_size" | "pg_table_size" | "pg_indexes_size",
            1,
        )
        | ("pg_relation_size", 2) => {
            use super::sizes::SizeFunc;
            let f = match name {
                "pg_relation_size" => SizeFunc::Relation,
                "pg_table_size" => SizeFunc::Table,
                "pg_indexes_size" => SizeFunc::Indexes,
                _ => SizeFunc::Total,
            };
            let rel = match oid_arg(b, 0, OidKind::Class)? {
                OidArg::Const(None) => return Ok(Some((Expr::Const(Value::Null), DataType::Int8))),
                OidArg::Const(Some(o)) => Expr::Const(Value::Int8(o)),
                OidArg::Dyn(e) => e,
            };
            let mut call_args = vec![rel];
            if n == 2 {
                call_args.push(b.coerce(
                    arg(1),
                    &types[1],
                    &DataType::Text,
                    CastContext::Implicit,
                )?);
            }
            (Expr::Sequence(SeqFunc::Size(f), call_args), DataType::Int8)
        }
        ("pg_database_size" | "pg_tablespace_size", 1) => {
            use super::sizes::SizeFunc;
            // By name (`name`, text, an unknown literal) or by OID.
            let by_name =
                types[0].is_string() || matches!(types[0], DataType::Unknown | DataType::Name);
            let f = match (name, by_name) {
                ("pg_database_size", true) => SizeFunc::DatabaseByName,
                ("pg_database_size", false) => SizeFunc::Database,
                (_, true) => SizeFunc::TablespaceByName,
                (_, false) => SizeFunc::Tablespace,
            };
            let a = if by_name {
                b.coerce(arg(0), &types[0], &DataType::Text, CastContext::Implicit)?
            } else {
                match oid_arg(b, 0, OidKind::Plain)? {
                    OidArg::Const(None) => {
                        return Ok(Some((Expr::Const(Value::Null), DataType::Int8)));
                    }
                    OidArg::Const(Some(o)) => Expr::Const(Value::Int8(o)),
                    OidArg::Dyn(e) => e,
                }
            };
            (Expr::Sequence(SeqFunc::Size(f), vec![a]), DataType::Int8)
        }
        ("bt_index_check", 1 | 2) => {
            let index = match oid_arg(b, 0, OidKind::Class)? {
                OidArg::Const(None) => {
                    return Ok(Some((
                        Expr::Const(Value::Null),
                        DataType::Pseudo(basalt_common::types::Pseudo::Void),
                    )));
                }
                OidArg::Const(Some(o)) => Expr::Const(Value::Int8(o)),
                OidArg::Dyn(e) => e,
            };
            let mut call_args = vec![index];
            if n == 2 {
                call_args.push(b.coerce(
                    arg(1),
                    &types[1],
                    &DataType::Bool,
                    CastContext::Implicit,
                )?);
            }
            (
                Expr::Sequence(SeqFunc::IndexCheck, call_args),
                DataType::Pseudo(basalt_common::types::Pseudo::Void),
            )
        }
        (
            "to_regclass" | "to_regtype" | "to_regnamespace" | "to_regproc" | "to_regprocedure"
            | "to_regrole",
            1,
        ) => {
            if !(types[0].is_string() || matches!(types[0], DataType::Unknown | DataType::Name)) {
                return Err(err(
                    "42883",
                    format!("function {name}({}) does not exist", types[0].format_type()),
                ));
            }
            let kind = match name {
                "to_regclass" => RegKind::Class,
                "to_regtype" => RegKind::Type,
                "to_regnamespace" => RegKind::Namespace,
                "to_regproc" => RegKind::Proc,
                "to_regprocedure" => RegKind::Procedure,
                _ => RegKind::Role,
            };
            let e = b.coerce(arg(0), &types[0], &DataType::Text, CastContext::Implicit)?;
            (
                b.reg_cast(e, &DataType::Text, kind, true)?,
                DataType::Reg(kind),
            )
        }
        ("pg_get_serial_sequence", 2) => {
            let rels = tables::relations(ctx.cat);
            match (const_text(args.first()), const_text(args.get(1))) {
                (Some(t), Some(c)) => {
                    let o = resolve_class(ctx, &rels, t)
                        .ok_or_else(|| err("42P01", format!("relation \"{t}\" does not exist")))?;
                    // The column name is taken literally (case kept, no quotes), as
                    // PostgreSQL's: only the relation name is parsed as SQL names.
                    let col = c.to_string();
                    if ctx
                        .cat
                        .tables
                        .get(&o)
                        .is_some_and(|tb| tb.column_index(&col).is_none())
                    {
                        return Err(err(
                            "42703",
                            format!("column \"{col}\" of relation \"{t}\" does not exist"),
                        ));
                    }
                    (Expr::Const(opt_text(serial_sequence(ctx, o, &col))), ty)
                }
                _ => {
                    let te = b.coerce(arg(0), &types[0], &DataType::Text, CastContext::Implicit)?;
                    let ce = b.coerce(arg(1), &types[1], &DataType::Text, CastContext::Implicit)?;
                    let names = class_names(ctx, &rels);
                    let mut whens = Vec::new();
                    for s in ctx.cat.sequences.values() {
                        let Some((toid, idx)) = s.owned_by else {
                            continue;
                        };
                        let Some(col) = ctx.cat.tables.get(&toid).and_then(|t| t.columns.get(idx))
                        else {
                            continue;
                        };
                        let seq = serial_sequence(ctx, toid, &col.name);
                        let table_names: Vec<Expr> = names
                            .iter()
                            .filter(|(_, o)| *o == toid)
                            .map(|(n, _)| Expr::Const(text(n)))
                            .collect();
                        whens.push((
                            Expr::And(
                                Box::new(Expr::InList(Box::new(te.clone()), table_names, false)),
                                Box::new(Expr::Cmp(
                                    CmpOp::Eq,
                                    Box::new(ce.clone()),
                                    Box::new(Expr::Const(text(&col.name))),
                                )),
                            ),
                            Expr::Const(opt_text(seq)),
                        ));
                    }
                    let e = if whens.is_empty() {
                        Expr::Const(Value::Null)
                    } else {
                        Expr::Case {
                            whens,
                            otherwise: Box::new(Expr::Const(Value::Null)),
                        }
                    };
                    (e, ty)
                }
            }
        }
        (
            "pg_get_function_result"
            | "pg_get_function_arguments"
            | "pg_get_function_identity_arguments",
            1,
        ) => {
            let o = oid_arg(b, 0, OidKind::Plain)?;
            let describe = |p: &tables::ProcInfo| {
                if name == "pg_get_function_result" {
                    let r = tables::type_oid_name(p.ret);
                    if p.retset { format!("SETOF {r}") } else { r }
                } else {
                    p.args
                        .iter()
                        .map(|a| tables::type_oid_name(*a))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            let mut entries: Vec<(i64, Value)> = PROCS
                .iter()
                .map(|p| (i64::from(p.oid), text(&describe(p))))
                .collect();
            entries.extend(ctx.cat.functions.values().map(|f| {
                let s = match name {
                    "pg_get_function_result" => crate::sqlfunc::result_text(f),
                    "pg_get_function_arguments" => Some(crate::sqlfunc::arguments_text(f, true)),
                    _ => Some(crate::sqlfunc::arguments_text(f, false)),
                };
                (i64::from(f.oid), s.map_or(Value::Null, |s| text(&s)))
            }));
            let e2 = entries.clone();
            (
                o.map(|x| lookup_entry(&e2, x, Value::Null), entries, Value::Null),
                ty,
            )
        }
        ("pg_is_in_recovery", 0) => (Expr::Const(Value::Bool(false)), DataType::Bool),
        // The session's temporary schema (0 before it has one).
        ("pg_my_temp_schema", 0) => {
            let temp = ctx.cat.schema_in_path(&ctx.session_path, "pg_temp");
            (Expr::Const(Value::Oid(temp.unwrap_or(0))), DataType::Oid)
        }
        ("pg_relation_is_publishable", 1) => (Expr::Const(Value::Bool(false)), DataType::Bool),
        ("pg_get_partkeydef" | "pg_get_statisticsobjdef_columns", 1) => {
            (Expr::Const(Value::Null), ty)
        }
        // No relation has triggers (pg_trigger is empty).
        ("pg_get_triggerdef", 1 | 2) => (Expr::Const(Value::Null), ty),
        ("pg_tablespace_location", 1) => (Expr::Const(text("")), ty),
        _ => return Ok(None),
    }))
}
