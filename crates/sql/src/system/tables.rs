//! The virtual relations of `pg_catalog` and `information_schema`: their columns (PostgreSQL
//! 15's names, in PostgreSQL's order) and their rows, computed from the [`Catalog`] each time
//! a statement names one.
//!
//! Column types follow PostgreSQL's where Basalt has the type (`oid`, `oid[]`, `name`,
//! `"char"`, `int2vector`, `oidvector` included); otherwise: `pg_node_tree` is `text`, `xid` is `bigint`,
//! `aclitem[]` is `text[]` (always NULL). information_schema's
//! domains map to their base types (`sql_identifier` and `character_data` → `text`,
//! `cardinal_number` → `integer`, `yes_or_no` → `text`).

use std::cell::Cell;

use basalt_common::types::{DataType, TypeContext, Value};

use crate::catalog::{
    Catalog, ConstraintKind, FkAction, INFORMATION_SCHEMA_OID, IndexKey, PG_CATALOG_OID, Table,
};

/// OID of the one role, `basalt` (PostgreSQL's bootstrap superuser OID).
pub const ROLE_OID: u32 = 10;
/// The role's name.
pub const ROLE_NAME: &str = "basalt";
/// OID of the `heap` access method (tables).
pub const HEAP_AM: u32 = 2;
/// OID of the `btree` access method (indexes).
pub const BTREE_AM: u32 = 403;
/// `pg_am.oid` of hash.
pub const HASH_AM: u32 = 405;
/// OID of the `default` collation.
pub const DEFAULT_COLLATION: u32 = 100;
/// OID of the `C` collation (that of `name`).
pub const C_COLLATION: u32 = 950;
/// OID of `pg_class` (the `classoid` of relations in `pg_description`).
pub const PG_CLASS_OID: u32 = 1259;
/// OID of `pg_namespace`.
pub const PG_NAMESPACE_OID: u32 = 2615;
/// OID of `pg_constraint`.
pub const PG_CONSTRAINT_OID: u32 = 2606;
/// OID of `pg_type`.
pub const PG_TYPE_OID: u32 = 1247;
/// OID of `pg_proc`.
pub const PG_PROC_OID: u32 = 1255;
/// OID of `pg_database`.
pub const PG_DATABASE_OID: u32 = 1262;

/// A column type of a virtual relation (see the module doc for the mapping).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum T {
    /// `oid` (rows give an integer; see [`T::normalize`]).
    Oid,
    /// `name`.
    Name,
    /// `"char"` (rows give a one-character text; see [`T::normalize`]).
    Char,
    /// boolean.
    Bool,
    /// smallint.
    I2,
    /// integer.
    I4,
    /// bigint.
    I8,
    /// real.
    F4,
    /// text (also `pg_node_tree`).
    Text,
    /// character varying (information_schema's `character_data` and `yes_or_no`).
    VarChar,
    /// text[] (also `aclitem[]`).
    TextArr,
    /// smallint[].
    I2Arr,
    /// `oid[]` (rows give an integer array).
    OidArr,
    /// `"char"[]` (rows give a text[] of one-character texts).
    CharArr,
    /// `int2vector` (rows give a smallint[]).
    I2Vec,
    /// `oidvector` (rows give an integer array).
    OidVec,
    /// timestamp with time zone.
    Tstz,
    /// `regproc`.
    RegProc,
    /// `regtype`.
    RegType,
    /// `regtype[]`.
    RegTypeArr,
}

impl T {
    /// The Basalt type.
    pub fn data_type(self) -> DataType {
        match self {
            T::Oid => DataType::Oid,
            T::I8 => DataType::Int8,
            T::Name => DataType::Name,
            T::Char => DataType::Char,
            T::Text => DataType::Text,
            T::VarChar => DataType::Varchar(None),
            T::Bool => DataType::Bool,
            T::I2 => DataType::Int2,
            T::I4 => DataType::Int4,
            T::F4 => DataType::Float4,
            T::TextArr => DataType::Array(Box::new(DataType::Text)),
            T::I2Arr => DataType::Array(Box::new(DataType::Int2)),
            T::OidArr => DataType::Array(Box::new(DataType::Oid)),
            T::CharArr => DataType::Array(Box::new(DataType::Char)),
            T::I2Vec => DataType::Int2Vector,
            T::OidVec => DataType::OidVector,
            T::Tstz => DataType::Timestamptz(None),
            T::RegProc => DataType::Reg(basalt_common::types::RegKind::Proc),
            T::RegType => DataType::Reg(basalt_common::types::RegKind::Type),
            T::RegTypeArr => {
                DataType::Array(Box::new(DataType::Reg(basalt_common::types::RegKind::Type)))
            }
        }
    }
}

impl T {
    /// A row's value as a value of the column's type: the row builders give `"char"` as a
    /// one-character text and the vectors as plain arrays.
    pub fn normalize(self, v: Value) -> Value {
        match (self, v) {
            (T::Char, Value::Text(s)) => Value::Char(s.bytes().next().unwrap_or(0)),
            (T::CharArr, Value::Array(mut a)) => {
                a.element_type = DataType::Char;
                for e in &mut a.elements {
                    if let Value::Text(s) = e {
                        *e = Value::Char(s.bytes().next().unwrap_or(0));
                    }
                }
                Value::Array(a)
            }
            (T::I2Vec, Value::Array(a)) => Value::vector(DataType::Int2, a.elements),
            (T::OidVec, Value::Array(a)) => Value::vector(
                DataType::Oid,
                a.elements.into_iter().map(oid_value).collect(),
            ),
            (T::Oid, v) => oid_value(v),
            (T::OidArr, Value::Array(mut a)) => {
                a.element_type = DataType::Oid;
                for e in &mut a.elements {
                    *e = oid_value(std::mem::replace(e, Value::Null));
                }
                Value::Array(a)
            }
            (_, v) => v,
        }
    }
}

/// A row builder's OID (an integer) as an `oid` value.
fn oid_value(v: Value) -> Value {
    match v {
        Value::Int8(x) => Value::Oid(x as u32),
        Value::Int4(x) => Value::Oid(x as u32),
        Value::Int2(x) => Value::Oid(i32::from(x) as u32),
        Value::Reg(_, o, _) => Value::Oid(o),
        v => v,
    }
}

/// What a statement's virtual relations are computed from.
pub struct Ctx<'c> {
    /// The catalog of the statement's snapshot.
    pub cat: &'c Catalog,
    /// The effective search path: `pg_catalog` first unless listed explicitly.
    pub path: Vec<u32>,
    /// The session's search path as set (without the implicit `pg_catalog`).
    pub session_path: Vec<u32>,
    /// Type context (for binding view queries).
    pub types: TypeContext,
    /// The session's cursors (`pg_cursors`).
    pub cursors: Option<&'c crate::cursor::Cursors>,
    /// The session's SQL prepared statements (`pg_prepared_statements`).
    pub(crate) prepared: Option<&'c super::Prepared>,
}

/// See [`VRel::at_run_time`]: called with the relation's columns and rows.
pub type RunTimeValues = fn(&Ctx<'_>, &[(&'static str, T)], &mut [Vec<crate::expr::Expr>]);

/// A virtual relation.
pub struct VRel {
    /// Schema OID (`pg_catalog` or `information_schema`).
    pub schema: u32,
    /// Name.
    pub name: &'static str,
    /// OID (PostgreSQL 15's, for catalogs with fixed OIDs).
    pub oid: u32,
    /// `r` (catalog table) or `v` (view), as in PostgreSQL.
    pub kind: char,
    /// Columns.
    pub cols: &'static [(&'static str, T)],
    /// The rows.
    pub rows: fn(&Ctx<'_>) -> Vec<Vec<Value>>,
    /// Replaces values of the rows that only the running statement knows (state kept
    /// outside the catalog) with expressions evaluated then.
    pub at_run_time: Option<RunTimeValues>,
}

// ---------------------------------------------------------------------------------------
// Value helpers.

fn oid(x: u32) -> Value {
    Value::Int8(i64::from(x))
}
fn name(s: &str) -> Value {
    Value::Text(s.to_string())
}
fn proc(name: &str) -> Value {
    super::reg::support_proc(name)
}
fn ch(c: char) -> Value {
    if c == '\0' {
        Value::Text(String::new())
    } else {
        Value::Text(c.to_string())
    }
}
fn bool_(b: bool) -> Value {
    Value::Bool(b)
}
fn i2(x: i64) -> Value {
    Value::Int2(i16::try_from(x).unwrap_or(i16::MAX))
}
fn i4(x: i64) -> Value {
    Value::Int4(i32::try_from(x).unwrap_or(i32::MAX))
}
fn i8_(x: i64) -> Value {
    Value::Int8(x)
}
fn null() -> Value {
    Value::Null
}
fn text_opt(s: Option<&str>) -> Value {
    s.map_or(Value::Null, name)
}
fn i2arr(v: impl IntoIterator<Item = i64>) -> Value {
    Value::array(DataType::Int2, v.into_iter().map(i2).collect())
}
fn oidarr(v: impl IntoIterator<Item = u32>) -> Value {
    Value::array(DataType::Int8, v.into_iter().map(oid).collect())
}
fn yes_no(b: bool) -> Value {
    name(if b { "YES" } else { "NO" })
}
fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------------------
// Built-in types.

/// One built-in scalar type's `pg_type` facts (PostgreSQL 15's values).
pub struct TypeFacts {
    /// The type.
    pub ty: DataType,
    /// typbyval.
    pub byval: bool,
    /// typcategory.
    pub category: char,
    /// typispreferred.
    pub preferred: bool,
    /// typalign.
    pub align: char,
    /// typstorage.
    pub storage: char,
    /// Whether the I/O functions are spelled `x_in` rather than `xin`.
    pub underscore_io: bool,
    /// Whether it has typmodin/typmodout functions.
    pub typmod_io: bool,
    /// Default btree operator class OID (0: none).
    pub opclass: u32,
}

/// The built-in scalar types (arrays are derived from them).
pub fn scalar_types() -> Vec<TypeFacts> {
    use DataType as D;
    use basalt_common::types::RegKind as R;
    let f = |ty, byval, category, preferred, align, storage, underscore_io, typmod_io, opclass| {
        TypeFacts {
            ty,
            byval,
            category,
            preferred,
            align,
            storage,
            underscore_io,
            typmod_io,
            opclass,
        }
    };
    let mut types = vec![
        f(D::Bool, true, 'B', true, 'c', 'p', false, false, 10003),
        f(D::Bytea, false, 'U', false, 'i', 'x', false, false, 10006),
        f(D::Int8, true, 'N', false, 'd', 'p', false, false, 3124),
        f(D::Int2, true, 'N', false, 's', 'p', false, false, 1979),
        f(D::Int4, true, 'N', false, 'i', 'p', false, false, 1978),
        f(D::Oid, true, 'N', true, 'i', 'p', false, false, 1981),
        f(D::Text, false, 'S', true, 'i', 'x', false, false, 3126),
        f(D::Json, false, 'U', false, 'i', 'x', true, false, 0),
        f(D::Float4, true, 'N', false, 'i', 'p', false, false, 10012),
        f(D::Float8, true, 'N', true, 'd', 'p', false, false, 3123),
        f(D::Unknown, false, 'X', false, 'c', 'p', false, false, 0),
        f(
            D::Bpchar(None),
            false,
            'S',
            false,
            'i',
            'x',
            false,
            true,
            10004,
        ),
        f(
            D::Varchar(None),
            false,
            'S',
            false,
            'i',
            'x',
            false,
            true,
            3126,
        ),
        f(D::Date, true, 'D', false, 'i', 'p', true, false, 3122),
        f(D::Time(None), true, 'D', false, 'd', 'p', true, true, 10038),
        f(
            D::TimeTz(None),
            false,
            'D',
            false,
            'd',
            'p',
            true,
            true,
            10041,
        ),
        f(
            D::Timestamp(None),
            true,
            'D',
            false,
            'd',
            'p',
            true,
            true,
            3128,
        ),
        f(
            D::Timestamptz(None),
            true,
            'D',
            true,
            'd',
            'p',
            true,
            true,
            3127,
        ),
        f(D::Interval, false, 'T', true, 'd', 'p', true, true, 10022),
        f(
            D::Numeric(None),
            false,
            'N',
            false,
            'i',
            'm',
            true,
            true,
            3125,
        ),
        f(D::Uuid, false, 'U', false, 'c', 'p', true, false, 10065),
        f(D::Jsonb, false, 'U', false, 'i', 'x', true, false, 10088),
        f(D::JsonPath, false, 'U', false, 'i', 'x', true, false, 0),
        f(D::Char, true, 'Z', false, 'c', 'p', false, false, 10007),
        f(D::Name, false, 'S', false, 'c', 'p', false, false, 10028),
        f(D::Int2Vector, false, 'A', false, 'i', 'p', false, false, 0),
        f(
            D::OidVector,
            false,
            'A',
            false,
            'i',
            'p',
            false,
            false,
            10032,
        ),
    ];
    // The OID aliases (their opclass would be oid_ops, which is of type oid: none here).
    types.extend(
        [
            R::Proc,
            R::Procedure,
            R::Oper,
            R::Class,
            R::Type,
            R::Role,
            R::Namespace,
        ]
        .map(|k| f(D::Reg(k), true, 'N', false, 'i', 'p', false, false, 0)),
    );
    types
}

/// Every built-in type (scalars, then their arrays) without modifiers.
pub fn builtin_types() -> Vec<DataType> {
    let scalars: Vec<DataType> = scalar_types().into_iter().map(|f| f.ty).collect();
    let mut out = scalars.clone();
    for s in scalars {
        if s.array_oid() != 0 {
            out.push(DataType::Array(Box::new(s)));
        }
    }
    out
}

/// The collation of a type's values (`default` for strings, 0 otherwise).
pub fn type_collation(t: &DataType) -> u32 {
    let base = t.element().unwrap_or(t);
    if *base == DataType::Name {
        C_COLLATION
    } else if base.is_string() {
        DEFAULT_COLLATION
    } else {
        0
    }
}

/// The default hash operator class of a column type (PostgreSQL 15's OIDs; 0 if none).
pub fn default_hash_opclass(t: &DataType) -> u32 {
    match t {
        DataType::Array(_) => 10001,
        DataType::Enum(_) => 10070,
        DataType::Record(_) => 10035,
        _ => match t.typname().as_str() {
            "bpchar" => 10005,
            "char" => 10008,
            "date" => 10011,
            "float4" => 10013,
            "float8" => 10014,
            "int2" => 10019,
            "int4" => 10020,
            "int8" => 10021,
            "interval" => 10023,
            "name" => 10029,
            "numeric" => 10030,
            "oid" => 10031,
            "oidvector" => 10033,
            "text" | "varchar" => 10037,
            "time" => 10039,
            "timestamptz" => 10040,
            "timetz" => 10042,
            "timestamp" => 10046,
            "bool" => 10048,
            "bytea" => 10049,
            "uuid" => 10066,
            "jsonb" => 10089,
            _ => 0,
        },
    }
}

/// The default btree operator class of a column type (0 if none).
pub fn default_opclass(t: &DataType) -> u32 {
    if matches!(t, DataType::Array(_)) {
        return 10000;
    }
    if matches!(t, DataType::Enum(_)) {
        // enum_ops
        return 3522;
    }
    scalar_types()
        .into_iter()
        .find(|f| f.ty.same_base(t))
        .map_or(0, |f| f.opclass)
}

fn facts_of(t: &DataType) -> Option<TypeFacts> {
    scalar_types().into_iter().find(|f| f.ty.same_base(t))
}

/// The session's SQL prepared statements; like `pg_cursors`, a plan reading them is not
/// kept (they change without a catalog change).
fn pg_prepared_statements_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    if let Some(c) = ctx.cursors {
        c.mark_listed();
    }
    let mut out: Vec<Vec<Value>> = ctx
        .prepared
        .into_iter()
        .flat_map(|p| p.iter())
        .map(|(name, p)| {
            let types: Vec<Value> = p
                .param_types
                .iter()
                .map(|t| {
                    Value::Reg(
                        basalt_common::types::RegKind::Type,
                        t.oid(),
                        std::sync::Arc::from(t.format_type()),
                    )
                })
                .collect();
            vec![
                Value::Text(name.clone()),
                Value::Text(p.statement.to_string()),
                Value::Timestamptz(p.prepared_at),
                Value::array(DataType::Reg(basalt_common::types::RegKind::Type), types),
                Value::Bool(true),
            ]
        })
        .collect();
    out.sort_by(|a, b| a[0].cmp(&b[0]));
    out
}

fn pg_type_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    let mut rows = Vec::new();
    // Each table's row type (typtype 'c') and its array type.
    let composites = ctx
        .cat
        .tables
        .values()
        .map(|t| (t.row_type(), t.schema, t.oid))
        .chain(
            ctx.cat
                .types
                .values()
                .map(|t| (t.row_type(), t.schema, t.oid)),
        );
    for (rt, schema, relid) in composites {
        let tname = rt.name.clone().unwrap_or_default();
        let comp = |is_array: bool| {
            let (o, n, kind, cat, relid, sub, elem, arr, io) = if is_array {
                (
                    rt.array_oid,
                    format!("_{tname}"),
                    'b',
                    'A',
                    0,
                    "array_subscript_handler",
                    rt.oid,
                    0,
                    "array",
                )
            } else {
                (
                    rt.oid,
                    tname.clone(),
                    'c',
                    'C',
                    relid,
                    "-",
                    0,
                    rt.array_oid,
                    "record",
                )
            };
            vec![
                oid(o),
                name(&n),
                oid(schema),
                oid(ROLE_OID),
                i2(-1),
                bool_(false),
                ch(kind),
                ch(cat),
                bool_(false),
                bool_(true),
                ch(','),
                oid(relid),
                name(sub),
                oid(elem),
                oid(arr),
                name(&format!("{io}_in")),
                name(&format!("{io}_out")),
                name(&format!("{io}_recv")),
                name(&format!("{io}_send")),
                name("-"),
                name("-"),
                name(if is_array { "array_typanalyze" } else { "-" }),
                ch('d'),
                ch('x'),
                bool_(false),
                oid(0),
                i4(-1),
                i4(0),
                oid(0),
                null(),
                null(),
                null(),
            ]
        };
        rows.push(comp(false));
        rows.push(comp(true));
    }
    rows.extend(user_type_rows(ctx));
    for f in scalar_types() {
        let t = &f.ty;
        let base = t.typname();
        let io = |suffix: &str| {
            if f.underscore_io {
                format!("{base}_{suffix}")
            } else {
                format!("{base}{suffix}")
            }
        };
        let (modin, modout) = if f.typmod_io {
            (format!("{base}typmodin"), format!("{base}typmodout"))
        } else {
            ("-".to_string(), "-".to_string())
        };
        let (subscript, elem) = match t {
            DataType::Jsonb => ("jsonb_subscript_handler", 0),
            DataType::Name => ("raw_array_subscript_handler", DataType::Char.oid()),
            DataType::Int2Vector => ("array_subscript_handler", DataType::Int2.oid()),
            DataType::OidVector => ("array_subscript_handler", 26),
            _ => ("-", 0),
        };
        let coll = type_collation(t);
        rows.push(vec![
            oid(t.oid()),
            name(&base),
            oid(PG_CATALOG_OID),
            oid(ROLE_OID),
            i2(i64::from(t.typlen())),
            bool_(f.byval),
            ch(if *t == DataType::Unknown { 'p' } else { 'b' }),
            ch(f.category),
            bool_(f.preferred),
            bool_(true),
            ch(','),
            oid(0),
            proc(subscript),
            oid(elem),
            oid(t.array_oid()),
            proc(&io("in")),
            proc(&io("out")),
            proc(&io("recv")),
            proc(&io("send")),
            proc(&modin),
            proc(&modout),
            proc("-"),
            ch(f.align),
            ch(f.storage),
            bool_(false),
            oid(0),
            i4(-1),
            i4(0),
            oid(coll),
            null(),
            null(),
            null(),
        ]);
        if t.array_oid() != 0 {
            let at = DataType::Array(Box::new(t.clone()));
            rows.push(vec![
                oid(at.oid()),
                name(&at.typname()),
                oid(PG_CATALOG_OID),
                oid(ROLE_OID),
                i2(-1),
                bool_(false),
                ch('b'),
                ch('A'),
                bool_(false),
                bool_(true),
                ch(','),
                oid(0),
                proc("array_subscript_handler"),
                oid(t.oid()),
                oid(0),
                proc("array_in"),
                proc("array_out"),
                proc("array_recv"),
                proc("array_send"),
                proc(&modin),
                proc(&modout),
                proc("array_typanalyze"),
                ch(if f.align == 'd' { 'd' } else { 'i' }),
                ch('x'),
                bool_(false),
                oid(0),
                i4(-1),
                i4(0),
                oid(coll),
                null(),
                null(),
                null(),
            ]);
        }
    }
    rows
}

// ---------------------------------------------------------------------------------------
// Relations (pg_class and friends).

/// A relation as `pg_class` shows it.
#[derive(Debug, Clone)]
pub struct RelInfo {
    /// OID.
    pub oid: u32,
    /// Name.
    pub name: String,
    /// Schema OID.
    pub schema: u32,
    /// relkind: `r`, `i`, `S`, `v`.
    pub kind: char,
    /// relnatts.
    pub natts: usize,
    /// relchecks.
    pub checks: usize,
    /// relhasindex.
    pub has_index: bool,
    /// relhastriggers (foreign keys in either direction, as PostgreSQL's RI triggers).
    pub triggers: bool,
}

/// Every relation: the virtual ones, then the catalog's tables, indexes, sequences and views.
pub fn relations(cat: &Catalog) -> Vec<RelInfo> {
    let mut out: Vec<RelInfo> = RELS
        .iter()
        .map(|r| RelInfo {
            oid: r.oid,
            name: r.name.to_string(),
            schema: r.schema,
            kind: r.kind,
            natts: r.cols.len(),
            checks: 0,
            has_index: false,
            triggers: false,
        })
        .collect();
    for t in cat.tables.values() {
        let has_fk = t
            .constraints
            .iter()
            .any(|c| matches!(c.kind, ConstraintKind::ForeignKey(_)));
        out.push(RelInfo {
            oid: t.oid,
            name: t.name.clone(),
            schema: t.schema,
            kind: if t.matview.is_some() { 'm' } else { 'r' },
            natts: t.columns.len(),
            checks: t
                .constraints
                .iter()
                .filter(|c| matches!(c.kind, ConstraintKind::Check { .. }))
                .count(),
            has_index: cat.indexes.values().any(|i| i.table == t.oid),
            triggers: has_fk || !cat.referencing(t.oid).is_empty(),
        });
    }
    for i in cat.indexes.values() {
        out.push(RelInfo {
            oid: i.oid,
            name: i.name.clone(),
            schema: i.schema,
            kind: 'i',
            natts: i.keys.len() + i.include.len(),
            checks: 0,
            has_index: false,
            triggers: false,
        });
    }
    for s in cat.sequences.values() {
        out.push(RelInfo {
            oid: s.oid,
            name: s.name.clone(),
            schema: s.schema,
            kind: 'S',
            natts: 3,
            checks: 0,
            has_index: false,
            triggers: false,
        });
    }
    for v in cat.views.values() {
        out.push(RelInfo {
            oid: v.oid,
            name: v.name.clone(),
            schema: v.schema,
            kind: 'v',
            natts: v.columns.len(),
            checks: 0,
            has_index: false,
            triggers: false,
        });
    }
    // A composite type of CREATE TYPE: relkind `c`, under its type's OID (PostgreSQL gives
    // it an OID of its own; both come from the one counter here, so no relation has it).
    for t in cat.types.values() {
        out.push(RelInfo {
            oid: t.oid,
            name: t.name.clone(),
            schema: t.schema,
            kind: 'c',
            natts: t.fields.len(),
            checks: 0,
            has_index: false,
            triggers: false,
        });
    }
    out
}

/// Whether relation `r` is the one its unqualified name finds through the search path.
pub fn rel_visible(ctx: &Ctx<'_>, rels: &[RelInfo], r: &RelInfo) -> bool {
    for s in &ctx.path {
        if let Some(first) = rels.iter().find(|x| x.schema == *s && x.name == r.name) {
            return first.oid == r.oid;
        }
    }
    false
}

/// `pg_type` rows of enum types and domains, and of their array types.
fn user_type_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    let mut rows = Vec::new();
    #[allow(clippy::too_many_arguments)]
    let row = |o: u32,
               n: &str,
               schema: u32,
               len: i16,
               byval: bool,
               kind: char,
               cat: char,
               elem: u32,
               arr: u32,
               io: [&str; 4],
               align: char,
               storage: char,
               dom: Option<&crate::usertypes::DomainDef>| {
        let is_array = kind == 'b';
        vec![
            oid(o),
            name(n),
            oid(schema),
            oid(ROLE_OID),
            i2(i64::from(len)),
            bool_(byval),
            ch(kind),
            ch(cat),
            bool_(false),
            bool_(true),
            ch(','),
            oid(0),
            proc(if is_array {
                "array_subscript_handler"
            } else {
                "-"
            }),
            oid(elem),
            oid(arr),
            proc(io[0]),
            proc(io[1]),
            proc(io[2]),
            proc(io[3]),
            proc("-"),
            proc("-"),
            proc(if is_array { "array_typanalyze" } else { "-" }),
            ch(align),
            ch(storage),
            bool_(dom.is_some_and(|d| d.not_null)),
            oid(dom.map_or(0, |d| d.base.oid())),
            i4(i64::from(dom.map_or(-1, |d| d.base.typmod()))),
            i4(0),
            oid(dom.map_or(0, |d| type_collation(&d.base))),
            null(),
            dom.and_then(|d| d.default.as_deref())
                .map_or(Value::Null, name),
            null(),
        ]
    };
    let array_io = ["array_in", "array_out", "array_recv", "array_send"];
    for e in ctx.cat.enums.values() {
        let io = ["enum_in", "enum_out", "enum_recv", "enum_send"];
        rows.push(row(
            e.oid,
            &e.name,
            e.schema,
            4,
            true,
            'e',
            'E',
            0,
            e.array_oid,
            io,
            'i',
            'p',
            None,
        ));
        rows.push(row(
            e.array_oid,
            &format!("_{}", e.name),
            e.schema,
            -1,
            false,
            'b',
            'A',
            e.oid,
            0,
            array_io,
            'i',
            'x',
            None,
        ));
    }
    for d in ctx.cat.domains.values() {
        let base = d.base.without_typmod();
        let (byval, cat, align, storage, out, send) = match facts_of(&base) {
            Some(f) => {
                let b = base.typname();
                let sep = if f.underscore_io { "_" } else { "" };
                (
                    f.byval,
                    f.category,
                    f.align,
                    f.storage,
                    format!("{b}{sep}out"),
                    format!("{b}{sep}send"),
                )
            }
            None if matches!(base, DataType::Enum(_)) => (
                true,
                'E',
                'i',
                'p',
                "enum_out".to_string(),
                "enum_send".to_string(),
            ),
            None => (
                false,
                'A',
                'i',
                'x',
                "array_out".to_string(),
                "array_send".to_string(),
            ),
        };
        let io = ["domain_in", out.as_str(), "domain_recv", send.as_str()];
        rows.push(row(
            d.oid,
            &d.name,
            d.schema,
            base.typlen(),
            byval,
            'd',
            cat,
            0,
            d.array_oid,
            io,
            align,
            storage,
            Some(d),
        ));
        rows.push(row(
            d.array_oid,
            &format!("_{}", d.name),
            d.schema,
            -1,
            false,
            'b',
            'A',
            d.oid,
            0,
            array_io,
            if align == 'd' { 'd' } else { 'i' },
            'x',
            None,
        ));
    }
    rows
}

fn pg_enum_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    let mut rows = Vec::new();
    for e in ctx.cat.enums.values() {
        for l in &e.labels {
            rows.push(vec![
                oid(l.oid),
                oid(e.oid),
                Value::Float4(l.sort),
                name(&l.label),
            ]);
        }
    }
    rows
}

fn pg_class_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    relations(ctx.cat)
        .into_iter()
        .map(|r| {
            let (am, pages, tuples) = match r.kind {
                // -1 until ANALYZE counted the rows, as in PostgreSQL.
                'r' | 'm' => (
                    HEAP_AM,
                    0,
                    ctx.cat
                        .tables
                        .get(&r.oid)
                        .and_then(|t| t.stats.as_ref())
                        .map_or(-1.0, |st| st.rows as f32),
                ),
                'i' => match ctx.cat.indexes.get(&r.oid).map(|i| i.method) {
                    Some(crate::catalog::IndexMethod::Hash) => (HASH_AM, 1, 0.0),
                    _ => (BTREE_AM, 1, 0.0),
                },
                'S' => (0, 1, 1.0),
                _ => (0, 0, -1.0),
            };
            let user = r.oid >= crate::catalog::FIRST_USER_OID;
            let reltype = if matches!(r.kind, 'r' | 'm') && ctx.cat.tables.contains_key(&r.oid) {
                crate::catalog::ROW_TYPE_OID_BASE + r.oid
            } else if r.kind == 'c' {
                r.oid
            } else {
                0
            };
            vec![
                oid(r.oid),
                name(&r.name),
                oid(r.schema),
                oid(reltype),
                oid(0),
                oid(ROLE_OID),
                oid(am),
                oid(if matches!(r.kind, 'v' | 'c') || !user {
                    0
                } else {
                    r.oid
                }),
                oid(0),
                i4(pages),
                Value::Float4(tuples),
                i4(0),
                oid(0),
                bool_(r.has_index),
                bool_(false),
                // Relations of a session's temporary schema are temporary; an unlogged
                // table's indexes are unlogged too.
                ch(if ctx.cat.schema_name(r.schema).starts_with("pg_temp_") {
                    't'
                } else if ctx
                    .cat
                    .tables
                    .get(&r.oid)
                    .or_else(|| {
                        ctx.cat
                            .indexes
                            .get(&r.oid)
                            .and_then(|i| ctx.cat.tables.get(&i.table))
                    })
                    .is_some_and(|t| t.unlogged)
                {
                    'u'
                } else {
                    'p'
                }),
                ch(r.kind),
                i2(count(r.natts)),
                i2(count(r.checks)),
                bool_(matches!(r.kind, 'v' | 'm')),
                bool_(r.triggers),
                bool_(false),
                bool_(false),
                bool_(false),
                bool_(
                    ctx.cat
                        .tables
                        .get(&r.oid)
                        .and_then(|t| t.matview.as_ref())
                        .is_none_or(|m| m.populated),
                ),
                ch(if matches!(r.kind, 'r' | 'm') {
                    'd'
                } else {
                    'n'
                }),
                bool_(false),
                oid(0),
                i8_(0),
                i8_(if matches!(r.kind, 'r' | 'm') { 1 } else { 0 }),
                null(),
                match ctx.cat.views.get(&r.oid) {
                    Some(v) if r.kind == 'v' && !v.options.is_empty() => Value::array(
                        DataType::Text,
                        v.options.iter().map(|o| Value::Text(o.clone())).collect(),
                    ),
                    _ => null(),
                },
                null(),
            ]
        })
        .collect()
}

fn pg_namespace_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    let mut v = vec![
        vec![
            oid(PG_CATALOG_OID),
            name("pg_catalog"),
            oid(ROLE_OID),
            null(),
        ],
        vec![
            oid(INFORMATION_SCHEMA_OID),
            name("information_schema"),
            oid(ROLE_OID),
            null(),
        ],
    ];
    for s in ctx.cat.schemas.values() {
        v.push(vec![oid(s.oid), name(&s.name), oid(ROLE_OID), null()]);
    }
    v
}

// ---------------------------------------------------------------------------------------
// Attributes.

/// A column as `pg_attribute` shows it.
pub struct AttInfo {
    /// The relation.
    pub rel: u32,
    /// Name.
    pub name: String,
    /// Type (with modifier).
    pub ty: DataType,
    /// attnum (1-based).
    pub num: usize,
    /// attnotnull.
    pub not_null: bool,
    /// atthasdef.
    pub has_def: bool,
    /// attidentity: `a`, `d` or none.
    pub identity: char,
    /// attgenerated: a stored generated column.
    pub generated: bool,
    /// The domain the column was declared with (its `atttypid`).
    pub domain: Option<u32>,
}

thread_local! {
    /// Set while view column types are being computed, so that a view over `pg_attribute`
    /// does not recurse.
    static TYPING_VIEWS: Cell<bool> = const { Cell::new(false) };
}

/// The output types of a view, by binding its query (text when that fails or recurses).
pub fn view_types(ctx: &Ctx<'_>, v: &crate::catalog::View) -> Vec<DataType> {
    let fallback = vec![DataType::Text; v.columns.len()];
    if TYPING_VIEWS.with(Cell::get) {
        return fallback;
    }
    TYPING_VIEWS.with(|c| c.set(true));
    let result = (|| {
        let parsed = crate::parse::parse(&v.query, crate::parse::ParseOptions::default()).ok()?;
        let stmt = parsed.statements().next()?;
        let Some(pg_query::protobuf::node::Node::SelectStmt(sel)) = stmt.node() else {
            return None;
        };
        let mut b = crate::binder::Binder::new(ctx.cat, ctx.session_path.clone(), ctx.types);
        b.bind_select(sel).ok().map(|q| q.types)
    })();
    TYPING_VIEWS.with(|c| c.set(false));
    match result {
        Some(t) if t.len() == v.columns.len() => t,
        _ => fallback,
    }
}

/// Every column of every relation, in (relation, attnum) order within each kind.
pub fn attributes(ctx: &Ctx<'_>) -> Vec<AttInfo> {
    let mut out = Vec::new();
    let att = |rel, name: &str, ty: DataType, num| AttInfo {
        rel,
        name: name.to_string(),
        ty,
        num,
        not_null: false,
        has_def: false,
        identity: '\0',
        generated: false,
        domain: None,
    };
    for r in RELS {
        for (i, (n, t)) in r.cols.iter().enumerate() {
            out.push(att(r.oid, n, t.data_type(), i + 1));
        }
    }
    let cat = ctx.cat;
    for t in cat.tables.values() {
        for (i, c) in t.columns.iter().enumerate() {
            out.push(AttInfo {
                rel: t.oid,
                name: c.name.clone(),
                ty: c.ty.clone(),
                num: i + 1,
                not_null: c.not_null,
                // PostgreSQL stores no default that is a bare NULL.
                has_def: c
                    .default
                    .as_deref()
                    .is_some_and(|d| !super::ruleutils::is_null_default(d))
                    || c.generated.is_some(),
                generated: c.generated.is_some(),
                domain: c.domain,
                identity: match c.identity {
                    Some((true, _)) => 'a',
                    Some((false, _)) => 'd',
                    None => '\0',
                },
            });
        }
    }
    for ix in cat.indexes.values() {
        let table = cat.tables.get(&ix.table);
        let all = ix.all_columns();
        let names = index_column_names(table, &all);
        for (i, (k, n)) in all.iter().zip(&names).enumerate() {
            let ty = match (k, table) {
                (IndexKey::Column(c), Some(t)) => t
                    .columns
                    .get(*c)
                    .map_or(DataType::Text, |col| col.ty.clone()),
                _ => DataType::Text,
            };
            out.push(att(ix.oid, n, ty, i + 1));
        }
    }
    for s in cat.sequences.values() {
        out.push(att(s.oid, "last_value", DataType::Int8, 1));
        out.push(att(s.oid, "log_cnt", DataType::Int8, 2));
        out.push(att(s.oid, "is_called", DataType::Bool, 3));
    }
    for v in cat.views.values() {
        for (i, (n, t)) in v.columns.iter().zip(view_types(ctx, v)).enumerate() {
            out.push(att(v.oid, n, t, i + 1));
        }
    }
    for t in cat.types.values() {
        for (i, f) in t.fields.iter().enumerate() {
            out.push(att(t.oid, &f.name, f.ty.clone(), i + 1));
        }
    }
    out
}

fn pg_attribute_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    attributes(ctx)
        .into_iter()
        .map(|a| {
            let facts = facts_of(a.ty.element().unwrap_or(&a.ty));
            let is_array = matches!(a.ty, DataType::Array(_));
            let (byval, align, storage) = match (&facts, is_array) {
                (Some(f), false) => (f.byval, f.align, f.storage),
                (None, false) if matches!(a.ty, DataType::Enum(_)) => (true, 'i', 'p'),
                (Some(f), true) => (false, if f.align == 'd' { 'd' } else { 'i' }, 'x'),
                (None, _) => (false, 'i', 'x'),
            };
            vec![
                oid(a.rel),
                name(&a.name),
                oid(a.domain.unwrap_or_else(|| a.ty.oid())),
                i4(-1),
                i2(i64::from(a.ty.typlen())),
                i2(count(a.num)),
                i4(i64::from(is_array)),
                i4(-1),
                i4(i64::from(a.ty.typmod())),
                bool_(byval),
                ch(align),
                ch(storage),
                ch('\0'),
                bool_(a.not_null),
                bool_(a.has_def),
                bool_(false),
                ch(a.identity),
                ch(if a.generated { 's' } else { '\0' }),
                bool_(false),
                bool_(true),
                i4(0),
                oid(type_collation(&a.ty)),
                null(),
                null(),
                null(),
                null(),
            ]
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Indexes, constraints, defaults, comments.

/// The text of an index key: the column's name (quoted as needed) or the expression as
/// PostgreSQL prints it (parenthesized unless it reads as a function call).
pub fn index_key_text(cat: &Catalog, t: Option<&Table>, k: &IndexKey, pretty: bool) -> String {
    match (k, t) {
        (IndexKey::Column(c), Some(t)) => t
            .columns
            .get(*c)
            .map_or_else(|| "?".to_string(), |col| quote_ident(&col.name)),
        (IndexKey::Expr(e), _) => {
            let shown = super::ruleutils::expr_text(cat, t, e, None, pretty);
            // PostgreSQL leaves the parentheses off what reads as a function call.
            if looks_like_function(e) {
                shown
            } else {
                format!("({shown})")
            }
        }
        (IndexKey::Column(_), None) => "?".to_string(),
    }
}

/// The top node of a stored expression's text, parsed as a select-list item.
fn expr_top_node(text: &str) -> Option<pg_query::protobuf::node::Node> {
    use pg_query::protobuf::node::Node as N;
    let parsed = pg_query::parse(
        &format!("SELECT {text}"),
        pg_query::ParserOptions::default(),
    )
    .ok()?;
    let stmt = parsed.protobuf.stmts.first()?.stmt.as_deref()?;
    match stmt.node.as_ref()? {
        N::SelectStmt(sel) => match sel.target_list.first()?.node.as_ref()? {
            N::ResTarget(rt) => rt.val.as_deref().and_then(|v| v.node.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// PostgreSQL's `looks_like_function` for a stored expression's text: a function call,
/// `COALESCE`, `GREATEST` / `LEAST` or an SQL value function (`current_user`).
pub fn looks_like_function(text: &str) -> bool {
    use pg_query::protobuf::node::Node as N;
    matches!(
        expr_top_node(text),
        Some(N::FuncCall(_) | N::CoalesceExpr(_) | N::MinMaxExpr(_) | N::SqlvalueFunction(_))
    )
}

/// The names of an index's columns (key then included ones), as PostgreSQL's
/// `ChooseIndexColumnNames` gives them: a column's name, a function's name for a function
/// call, else `expr`; a repeated name gets a number appended (`a`, `a1`, `expr1`).
pub fn index_column_names(t: Option<&Table>, keys: &[IndexKey]) -> Vec<String> {
    use pg_query::protobuf::node::Node as N;
    let expr_name = |text: &str| -> String {
        match expr_top_node(text) {
            Some(N::FuncCall(f)) => f
                .funcname
                .last()
                .and_then(|n| match n.node.as_ref() {
                    Some(N::String(s)) => Some(s.sval.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| "expr".into()),
            Some(N::CoalesceExpr(_)) => "coalesce".into(),
            _ => "expr".into(),
        }
    };
    let mut out: Vec<String> = Vec::with_capacity(keys.len());
    for k in keys {
        let base = match (k, t) {
            (IndexKey::Column(c), Some(t)) => t
                .columns
                .get(*c)
                .map_or_else(|| "?".to_string(), |c| c.name.clone()),
            (IndexKey::Column(_), None) => "?".to_string(),
            (IndexKey::Expr(e), _) => expr_name(e),
        };
        let mut n = base.clone();
        let mut suffix = 1;
        while out.contains(&n) {
            n = format!("{base}{suffix}");
            suffix += 1;
        }
        out.push(n);
    }
    out
}

/// `pg_get_indexdef(oid)`: `CREATE [UNIQUE] INDEX name ON schema.table USING btree (keys)`.
pub fn index_def(cat: &Catalog, ix: &crate::catalog::Index) -> String {
    index_def_with(cat, ix, true, false)
}

/// [`index_def`] with the table's schema or not, and pretty-printed expressions or not
/// (`pg_get_indexdef(i, 0, true)` leaves out the schema of a table the search path finds).
pub fn index_def_with(
    cat: &Catalog,
    ix: &crate::catalog::Index,
    qualified: bool,
    pretty: bool,
) -> String {
    let t = cat.tables.get(&ix.table);
    let keys: Vec<String> = ix
        .keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let mut s = index_key_text(cat, t, k, pretty);
            if ix.desc.get(i).copied().unwrap_or(false) {
                s.push_str(" DESC");
            }
            s
        })
        .collect();
    let schema = if qualified {
        format!("{}.", quote_ident(cat.schema_name(ix.schema)))
    } else {
        String::new()
    };
    let include = match t {
        Some(t) if !ix.include.is_empty() => format!(" INCLUDE ({})", column_list(t, &ix.include)),
        _ => String::new(),
    };
    let mut def = format!(
        "CREATE {}INDEX {} ON {schema}{} USING {} ({}){include}{}",
        if ix.unique { "UNIQUE " } else { "" },
        quote_ident(&ix.name),
        quote_ident(t.map_or("?", |t| t.name.as_str())),
        ix.method.name(),
        keys.join(", "),
        if ix.nulls_not_distinct {
            " NULLS NOT DISTINCT"
        } else {
            ""
        }
    );
    if let Some(p) = &ix.predicate {
        def.push_str(" WHERE ");
        def.push_str(&super::ruleutils::expr_text(
            cat,
            t,
            p,
            Some(&DataType::Bool),
            pretty,
        ));
    }
    def
}

/// `quote_ident` as PostgreSQL spells identifiers in generated SQL.
pub fn quote_ident(s: &str) -> String {
    basalt_func::string::quote_ident(s)
}

fn column_list(t: &Table, cols: &[usize]) -> String {
    cols.iter()
        .map(|c| {
            t.columns
                .get(*c)
                .map_or_else(|| "?".to_string(), |col| quote_ident(&col.name))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// ` INCLUDE (...)` of a constraint's index (empty without included columns).
fn include_text(cat: &Catalog, t: &Table, index: u32) -> String {
    match cat.indexes.get(&index) {
        Some(ix) if !ix.include.is_empty() => format!(" INCLUDE ({})", column_list(t, &ix.include)),
        _ => String::new(),
    }
}

fn index_columns(cat: &Catalog, index: u32) -> Vec<usize> {
    cat.indexes.get(&index).map_or_else(Vec::new, |ix| {
        ix.keys
            .iter()
            .filter_map(|k| match k {
                IndexKey::Column(c) => Some(*c),
                IndexKey::Expr(_) => None,
            })
            .collect()
    })
}

fn fk_action_text(a: FkAction) -> &'static str {
    match a {
        FkAction::NoAction => "NO ACTION",
        FkAction::Restrict => "RESTRICT",
        FkAction::Cascade => "CASCADE",
        FkAction::SetNull => "SET NULL",
        FkAction::SetDefault => "SET DEFAULT",
    }
}

fn fk_action_code(a: FkAction) -> char {
    match a {
        FkAction::NoAction => 'a',
        FkAction::Restrict => 'r',
        FkAction::Cascade => 'c',
        FkAction::SetNull => 'n',
        FkAction::SetDefault => 'd',
    }
}

/// A relation's name as generated SQL writes it: qualified unless visible through `path`.
pub fn rel_name_for_sql(ctx: &Ctx<'_>, schema: u32, name: &str) -> String {
    let visible = ctx
        .path
        .iter()
        .find(|s| ctx.cat.relation_in(**s, name).is_some())
        == Some(&schema);
    if visible {
        quote_ident(name)
    } else {
        format!(
            "{}.{}",
            quote_ident(ctx.cat.schema_name(schema)),
            quote_ident(name)
        )
    }
}

/// `pg_get_constraintdef(oid, pretty)`.
pub fn constraint_def(
    ctx: &Ctx<'_>,
    t: &Table,
    c: &crate::catalog::Constraint,
    pretty: bool,
) -> String {
    let mut s = constraint_body(ctx, t, c, pretty);
    if c.deferrable {
        s.push_str(" DEFERRABLE");
    }
    if c.initially_deferred {
        s.push_str(" INITIALLY DEFERRED");
    }
    if c.not_valid {
        s.push_str(" NOT VALID");
    }
    s
}

fn constraint_body(
    ctx: &Ctx<'_>,
    t: &Table,
    c: &crate::catalog::Constraint,
    pretty: bool,
) -> String {
    match &c.kind {
        ConstraintKind::PrimaryKey { index } => format!(
            "PRIMARY KEY ({}){}",
            column_list(t, &index_columns(ctx.cat, *index)),
            include_text(ctx.cat, t, *index)
        ),
        ConstraintKind::Unique { index } => {
            let nnd = ctx
                .cat
                .indexes
                .get(index)
                .is_some_and(|i| i.nulls_not_distinct);
            format!(
                "UNIQUE {}({}){}",
                if nnd { "NULLS NOT DISTINCT " } else { "" },
                column_list(t, &index_columns(ctx.cat, *index)),
                include_text(ctx.cat, t, *index)
            )
        }
        ConstraintKind::Check { expr } => {
            match super::ruleutils::try_expr_text(
                ctx.cat,
                Some(t),
                expr,
                Some(&DataType::Bool),
                pretty,
            ) {
                Some(shown) => format!("CHECK ({shown})"),
                None if pretty => format!("CHECK ({expr})"),
                None => format!("CHECK (({expr}))"),
            }
        }
        ConstraintKind::ForeignKey(fk) => {
            let (rname, rcols) = match ctx.cat.tables.get(&fk.ref_table) {
                Some(rt) => (
                    rel_name_for_sql(ctx, rt.schema, &rt.name),
                    column_list(rt, &fk.ref_columns),
                ),
                None => ("?".to_string(), String::new()),
            };
            let mut s = format!(
                "FOREIGN KEY ({}) REFERENCES {rname}({rcols})",
                column_list(t, &fk.columns)
            );
            if fk.match_full {
                s.push_str(" MATCH FULL");
            }
            if fk.on_update != FkAction::NoAction {
                s.push_str(" ON UPDATE ");
                s.push_str(fk_action_text(fk.on_update));
            }
            if fk.on_delete != FkAction::NoAction {
                s.push_str(" ON DELETE ");
                s.push_str(fk_action_text(fk.on_delete));
            }
            s
        }
    }
}

/// The unique index of `table` whose key columns are exactly `cols` (a foreign key's
/// `conindid`).
fn unique_index_on(cat: &Catalog, table: u32, cols: &[usize]) -> u32 {
    cat.table_indexes(table)
        .into_iter()
        .find(|ix| {
            ix.unique && {
                let mut a = index_columns(cat, ix.oid);
                let mut b = cols.to_vec();
                a.sort_unstable();
                b.sort_unstable();
                a == b && a.len() == ix.keys.len()
            }
        })
        .map_or(0, |ix| ix.oid)
}

fn pg_index_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    let cat = ctx.cat;
    cat.indexes
        .values()
        .map(|ix| {
            let t = cat.tables.get(&ix.table);
            // An expression's type decides its operator class and collation, as a column's.
            let col_ty = |k: &IndexKey| match (k, t) {
                (IndexKey::Column(c), Some(t)) => t.columns.get(*c).map(|c| c.ty.clone()),
                (IndexKey::Expr(e), Some(t)) => {
                    let scope = crate::binder::table_scope(t, &t.name);
                    let mut b = crate::binder::Binder::new(cat, vec![t.schema], ctx.types);
                    crate::dml::bind_text_expr(&mut b, e, &scope)
                        .ok()
                        .map(|(_, ty)| ty)
                }
                _ => None,
            };
            let exprs: Vec<&str> = ix
                .keys
                .iter()
                .filter_map(|k| match k {
                    IndexKey::Expr(e) => Some(e.as_str()),
                    IndexKey::Column(_) => None,
                })
                .collect();
            vec![
                oid(ix.oid),
                oid(ix.table),
                i2(count(ix.keys.len() + ix.include.len())),
                i2(count(ix.keys.len())),
                bool_(ix.unique),
                bool_(ix.nulls_not_distinct),
                bool_(ix.primary),
                bool_(false),
                bool_(!ix.deferrable),
                bool_(false),
                bool_(true),
                bool_(false),
                bool_(true),
                bool_(true),
                bool_(false),
                i2arr(ix.all_columns().iter().map(|k| match k {
                    IndexKey::Column(c) => count(*c) + 1,
                    IndexKey::Expr(_) => 0,
                })),
                oidarr(ix.keys.iter().map(|k| match col_ty(k) {
                    Some(ty) => type_collation(&ty),
                    None => 0,
                })),
                oidarr(ix.keys.iter().map(|k| match col_ty(k) {
                    Some(ty) if ix.method == crate::catalog::IndexMethod::Hash => {
                        default_hash_opclass(&ty)
                    }
                    Some(ty) => default_opclass(&ty),
                    None => 0,
                })),
                i2arr(ix.desc.iter().map(|d| if *d { 3 } else { 0 })),
                if exprs.is_empty() {
                    null()
                } else {
                    name(&exprs.join(", "))
                },
                // pg_node_tree: the predicate as pg_get_expr prints it.
                ix.predicate.as_ref().map_or_else(null, |p| {
                    name(&super::ruleutils::expr_text(
                        cat,
                        cat.tables.get(&ix.table),
                        p,
                        Some(&DataType::Bool),
                        false,
                    ))
                }),
            ]
        })
        .collect()
}

fn pg_constraint_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    let cat = ctx.cat;
    let mut rows = Vec::new();
    for t in cat.tables.values() {
        for c in &t.constraints {
            let blank = ch(' ');
            let (contype, key, index, fref, upd, del, matcht, fkey, bin) = match &c.kind {
                ConstraintKind::PrimaryKey { index } => (
                    'p',
                    index_columns(cat, *index),
                    *index,
                    0,
                    blank.clone(),
                    blank.clone(),
                    blank.clone(),
                    null(),
                    null(),
                ),
                ConstraintKind::Unique { index } => (
                    'u',
                    index_columns(cat, *index),
                    *index,
                    0,
                    blank.clone(),
                    blank.clone(),
                    blank.clone(),
                    null(),
                    null(),
                ),
                ConstraintKind::Check { expr } => (
                    'c',
                    Vec::new(),
                    0,
                    0,
                    blank.clone(),
                    blank.clone(),
                    blank.clone(),
                    null(),
                    name(&super::ruleutils::expr_text(
                        cat,
                        Some(t),
                        expr,
                        Some(&DataType::Bool),
                        false,
                    )),
                ),
                ConstraintKind::ForeignKey(fk) => (
                    'f',
                    fk.columns.clone(),
                    unique_index_on(cat, fk.ref_table, &fk.ref_columns),
                    fk.ref_table,
                    ch(fk_action_code(fk.on_update)),
                    ch(fk_action_code(fk.on_delete)),
                    ch(if fk.match_full { 'f' } else { 's' }),
                    i2arr(fk.ref_columns.iter().map(|c| count(*c) + 1)),
                    null(),
                ),
            };
            rows.push(vec![
                oid(c.oid),
                name(&c.name),
                oid(t.schema),
                ch(contype),
                bool_(c.deferrable),
                bool_(c.initially_deferred),
                bool_(!c.not_valid),
                oid(t.oid),
                oid(0),
                oid(index),
                oid(0),
                oid(fref),
                upd,
                del,
                matcht,
                bool_(true),
                i4(0),
                bool_(false),
                if key.is_empty() && contype == 'c' {
                    null()
                } else {
                    i2arr(key.iter().map(|c| count(*c) + 1))
                },
                fkey,
                null(),
                null(),
                null(),
                null(),
                null(),
                bin,
            ]);
        }
    }
    for d in cat.domains.values() {
        for c in &d.checks {
            let mut row = vec![
                oid(c.oid),
                name(&c.name),
                oid(d.schema),
                ch('c'),
                bool_(false),
                bool_(false),
                bool_(true),
                oid(0),
                oid(d.oid),
                oid(0),
                oid(0),
                oid(0),
                ch(' '),
                ch(' '),
                ch(' '),
                bool_(true),
                i4(0),
                bool_(false),
            ];
            row.extend([null(), null(), null(), null(), null(), null(), null()]);
            row.push(name(&c.expr));
            rows.push(row);
        }
    }
    rows
}

/// The synthetic OID of a column default (the catalog does not assign one): above the
/// 32-bit range, so it never collides with a real OID.
pub fn attrdef_oid(table: u32, attnum: usize) -> i64 {
    (1_i64 << 32) + i64::from(table) * 2048 + count(attnum)
}

fn pg_attrdef_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    let mut rows = Vec::new();
    for t in ctx.cat.tables.values() {
        for (i, c) in t.columns.iter().enumerate() {
            let d = c
                .default
                .as_ref()
                .filter(|d| !super::ruleutils::is_null_default(d))
                .or(c.generated.as_ref());
            if let Some(d) = d {
                rows.push(vec![
                    i8_(attrdef_oid(t.oid, i + 1)),
                    oid(t.oid),
                    i2(count(i) + 1),
                    name(&default_text(ctx.cat, t, c, d)),
                ]);
            }
        }
    }
    rows
}

/// A column's default (or generation expression) as `pg_get_expr(adbin, adrelid)` prints it.
pub fn default_text(cat: &Catalog, t: &Table, c: &crate::catalog::Column, text: &str) -> String {
    super::ruleutils::expr_text(cat, Some(t), text, Some(&c.ty), false)
}

/// The catalog (`classoid`) an object OID's comment belongs to.
pub fn comment_class(cat: &Catalog, objoid: u32) -> u32 {
    if cat.schemas.contains_key(&objoid) {
        PG_NAMESPACE_OID
    } else if cat
        .tables
        .values()
        .any(|t| t.constraints.iter().any(|c| c.oid == objoid))
        || cat
            .domains
            .values()
            .any(|d| d.checks.iter().any(|c| c.oid == objoid))
    {
        PG_CONSTRAINT_OID
    } else if cat.enums.contains_key(&objoid)
        || cat.domains.contains_key(&objoid)
        || cat.types.contains_key(&objoid)
    {
        PG_TYPE_OID
    } else {
        PG_CLASS_OID
    }
}

fn pg_description_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    ctx.cat
        .comments
        .iter()
        .map(|((o, sub), text)| {
            vec![
                oid(*o),
                oid(comment_class(ctx.cat, *o)),
                i4(i64::from(*sub)),
                name(text),
            ]
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Functions.

/// A built-in function as `pg_proc` shows it (PostgreSQL 15's OIDs and first signature).
pub struct ProcInfo {
    /// OID.
    pub oid: u32,
    /// Name.
    pub name: &'static str,
    /// prokind: `f`, `a`, `w`.
    pub kind: char,
    /// provolatile.
    pub volatile: char,
    /// proisstrict.
    pub strict: bool,
    /// proretset.
    pub retset: bool,
    /// prorettype.
    pub ret: u32,
    /// proargtypes.
    pub args: &'static [u32],
}

macro_rules! procs {
    ($(($oid:literal, $name:literal, $kind:literal, $vol:literal, $strict:literal, $set:literal, $ret:literal, [$($a:literal),*])),* $(,)?) => {
        /// The functions `pg_proc` lists.
        pub static PROCS: &[ProcInfo] = &[$(ProcInfo {
            oid: $oid, name: $name, kind: $kind, volatile: $vol, strict: $strict,
            retset: $set, ret: $ret, args: &[$($a),*],
        }),*];
    };
}

procs![
    (1394, "abs", 'f', 'i', true, false, 700, [700]),
    (1199, "age", 'f', 'i', true, false, 1186, [1184, 1184]),
    (4053, "array_agg", 'a', 'i', false, false, 2277, [2277]),
    (2176, "array_length", 'f', 'i', true, false, 23, [2277, 23]),
    (1620, "ascii", 'f', 'i', true, false, 23, [25]),
    (2100, "avg", 'a', 'i', false, false, 1700, [20]),
    (2517, "bool_and", 'a', 'i', false, false, 16, [16]),
    (2518, "bool_or", 'a', 'i', false, false, 16, [16]),
    (884, "btrim", 'f', 'i', true, false, 25, [25, 25]),
    (1711, "ceil", 'f', 'i', true, false, 1700, [1700]),
    (1372, "char_length", 'f', 'i', true, false, 23, [1042]),
    (1621, "chr", 'f', 'i', true, false, 25, [23]),
    (2649, "clock_timestamp", 'f', 'v', true, false, 1184, []),
    (2803, "count", 'a', 'i', false, false, 20, []),
    (1217, "date_trunc", 'f', 's', true, false, 1184, [25, 1184]),
    (3102, "dense_rank", 'w', 'i', false, false, 20, []),
    (1347, "exp", 'f', 'i', true, false, 701, [701]),
    (3112, "first_value", 'w', 'i', true, false, 2283, [2283]),
    (1712, "floor", 'f', 'i', true, false, 1700, [1700]),
    (3432, "gen_random_uuid", 'f', 'v', true, false, 2950, []),
    (
        938,
        "generate_series",
        'f',
        'i',
        true,
        true,
        1114,
        [1114, 1114, 1186]
    ),
    (872, "initcap", 'f', 'i', true, false, 25, [25]),
    (3175, "json_agg", 'a', 's', false, false, 114, [2283]),
    (3201, "json_build_object", 'f', 's', false, false, 114, []),
    (3267, "jsonb_agg", 'a', 's', false, false, 3802, [2283]),
    (3274, "jsonb_build_object", 'f', 's', false, false, 3802, []),
    (3106, "lag", 'w', 'i', true, false, 2283, [2283]),
    (3113, "last_value", 'w', 'i', true, false, 2283, [2283]),
    (2559, "lastval", 'f', 'v', true, false, 20, []),
    (3109, "lead", 'w', 'i', true, false, 2283, [2283]),
    (3060, "left", 'f', 'i', true, false, 25, [25, 23]),
    (1317, "length", 'f', 'i', true, false, 23, [25]),
    (1341, "ln", 'f', 'i', true, false, 701, [701]),
    (870, "lower", 'f', 'i', true, false, 25, [25]),
    (873, "lpad", 'f', 'i', true, false, 25, [25, 23, 25]),
    (2050, "max", 'a', 'i', false, false, 2277, [2277]),
    (2311, "md5", 'f', 'i', true, false, 25, [25]),
    (2051, "min", 'a', 'i', false, false, 2277, [2277]),
    (940, "mod", 'f', 'i', true, false, 21, [21, 21]),
    (1299, "now", 'f', 's', true, false, 1184, []),
    (3105, "ntile", 'w', 'i', true, false, 23, [23]),
    (720, "octet_length", 'f', 'i', true, false, 23, [17]),
    (2026, "pg_backend_pid", 'f', 's', true, false, 23, []),
    (849, "position", 'f', 'i', true, false, 23, [25, 25]),
    (1368, "power", 'f', 'i', true, false, 701, [701, 701]),
    (1282, "quote_ident", 'f', 'i', true, false, 25, [25]),
    (1598, "random", 'f', 'v', true, false, 701, []),
    (3101, "rank", 'w', 'i', false, false, 20, []),
    (
        2284,
        "regexp_replace",
        'f',
        'i',
        true,
        false,
        25,
        [25, 25, 25]
    ),
    (1622, "repeat", 'f', 'i', true, false, 25, [25, 23]),
    (2087, "replace", 'f', 'i', true, false, 25, [25, 25, 25]),
    (3062, "reverse", 'f', 'i', true, false, 25, [25]),
    (3061, "right", 'f', 'i', true, false, 25, [25, 23]),
    (1342, "round", 'f', 'i', true, false, 701, [701]),
    (3100, "row_number", 'w', 'i', false, false, 20, []),
    (874, "rpad", 'f', 'i', true, false, 25, [25, 23, 25]),
    (1706, "sign", 'f', 'i', true, false, 1700, [1700]),
    (2088, "split_part", 'f', 'i', true, false, 25, [25, 25, 23]),
    (1344, "sqrt", 'f', 'i', true, false, 701, [701]),
    (3696, "starts_with", 'f', 'i', true, false, 16, [25, 25]),
    (2648, "statement_timestamp", 'f', 's', true, false, 1184, []),
    (3538, "string_agg", 'a', 'i', false, false, 25, [25, 25]),
    (868, "strpos", 'f', 'i', true, false, 23, [25, 25]),
    (877, "substr", 'f', 'i', true, false, 25, [25, 23, 23]),
    (2107, "sum", 'a', 'i', false, false, 1700, [20]),
    (1768, "to_char", 'f', 's', true, false, 25, [1186, 25]),
    (1158, "to_timestamp", 'f', 'i', true, false, 1184, [701]),
    (878, "translate", 'f', 'i', true, false, 25, [25, 25, 25]),
    (1343, "trunc", 'f', 'i', true, false, 701, [701]),
    (2331, "unnest", 'f', 'i', true, true, 2283, [2277]),
    (871, "upper", 'f', 'i', true, false, 25, [25]),
    (89, "version", 'f', 's', true, false, 25, []),
];

/// A type OID's name as function signatures print it (including the polymorphic types).
pub fn type_oid_name(o: u32) -> String {
    match o {
        2283 => "anyelement".to_string(),
        2277 => "anyarray".to_string(),
        _ => DataType::from_oid(o).map_or_else(|| "???".to_string(), |t| t.format_type()),
    }
}

fn pg_proc_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    let user = ctx.cat.functions.values().map(|f| {
        let text_arr =
            |v: Vec<String>| Value::array(DataType::Text, v.into_iter().map(Value::Text).collect());
        let params: Vec<&crate::sqlfunc::FuncArg> =
            f.declared().iter().chain(&f.table_cols).collect();
        let argnames: Vec<String> = params.iter().map(|a| a.name.clone()).collect();
        let named = argnames.iter().any(|n| !n.is_empty());
        let ret_oid = if f.void { 2278 } else { f.result_type().oid() };
        let (all, modes) = if params.iter().all(|a| a.mode == 'i') {
            (null(), null())
        } else {
            let all: Vec<u32> = params.iter().map(|a| a.ty.oid()).collect();
            let modes: Vec<String> = params.iter().map(|a| a.mode.to_string()).collect();
            (oidarr(all), text_arr(modes))
        };
        let variadic = match f.args.last() {
            Some(a) if a.mode == 'v' => match &a.ty {
                DataType::Array(e) => e.oid(),
                _ => 0,
            },
            _ => 0,
        };
        let defaults = f.args.iter().filter(|a| a.default.is_some()).count();
        vec![
            oid(f.oid),
            name(&f.name),
            oid(f.schema),
            oid(ROLE_OID),
            oid(14),
            Value::Float4(f.attrs.cost()),
            Value::Float4(f.attrs.rows(f.retset)),
            oid(variadic),
            proc("-"),
            ch(if f.procedure { 'p' } else { 'f' }),
            bool_(f.attrs.secdef),
            bool_(f.attrs.leakproof),
            bool_(f.strict),
            bool_(f.retset),
            ch(f.volatility),
            ch(f.attrs.parallel()),
            i2(count(f.args.len())),
            i2(count(defaults)),
            oid(ret_oid),
            oidarr(f.args.iter().map(|a| a.ty.oid())),
            all,
            modes,
            if named { text_arr(argnames) } else { null() },
            null(),
            null(),
            Value::Text(f.src.clone()),
            null(),
            // prosqlbody is a node tree in PostgreSQL; the body's text is in prosrc.
            null(),
            null(),
            null(),
        ]
    });
    let builtin: Vec<Vec<Value>> = PROCS
        .iter()
        .map(|p| {
            vec![
                oid(p.oid),
                name(p.name),
                oid(PG_CATALOG_OID),
                oid(ROLE_OID),
                oid(12),
                Value::Float4(1.0),
                Value::Float4(if p.retset { 1000.0 } else { 0.0 }),
                oid(0),
                proc("-"),
                ch(p.kind),
                bool_(false),
                bool_(false),
                bool_(p.strict),
                bool_(p.retset),
                ch(p.volatile),
                ch('s'),
                i2(count(p.args.len())),
                i2(0),
                oid(p.ret),
                oidarr(p.args.iter().copied()),
                null(),
                null(),
                null(),
                null(),
                null(),
                name(p.name),
                null(),
                null(),
                null(),
                null(),
            ]
        })
        .collect();
    // User-defined aggregates, as PostgreSQL lists them (prosrc `aggregate_dummy`).
    let aggs = ctx.cat.aggregates.values().map(|a| {
        vec![
            oid(a.oid),
            name(&a.name),
            oid(a.schema),
            oid(ROLE_OID),
            oid(12),
            Value::Float4(1.0),
            Value::Float4(0.0),
            oid(0),
            proc("-"),
            ch('a'),
            bool_(false),
            bool_(false),
            bool_(false),
            bool_(false),
            ch('i'),
            ch('u'),
            i2(count(a.args.len())),
            i2(0),
            oid(a.ret.oid()),
            oidarr(a.args.iter().map(|x| x.ty.oid())),
            null(),
            null(),
            null(),
            null(),
            null(),
            Value::Text("aggregate_dummy".into()),
            null(),
            null(),
            null(),
            null(),
        ]
    });
    builtin.into_iter().chain(user).chain(aggs).collect()
}

// ---------------------------------------------------------------------------------------
// Database, roles, settings, access methods and small fixed catalogs.

fn pg_database_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    ctx.cat
        .databases
        .iter()
        .map(|d| {
            vec![
                oid(d.oid),
                name(&d.name),
                oid(d.owner),
                i4(6),
                ch('c'),
                bool_(d.is_template),
                bool_(d.allow_connections),
                i4(d.connection_limit.into()),
                i8_(0),
                i8_(1),
                oid(1663),
                // Text sorts by code point and case mapping covers Unicode: C.UTF-8's
                // behaviour.
                name("C.UTF-8"),
                name("C.UTF-8"),
                null(),
                null(),
                null(),
            ]
        })
        .collect()
}

/// `pg_settings.vartype` of a built-in parameter.
fn setting_vartype(param: &str) -> &'static str {
    match param {
        "default_transaction_deferrable"
        | "default_transaction_read_only"
        | "in_hot_standby"
        | "integer_datetimes"
        | "standard_conforming_strings"
        | "transaction_deferrable"
        | "transaction_read_only" => "bool",
        "block_size"
        | "extra_float_digits"
        | "idle_in_transaction_session_timeout"
        | "lock_timeout"
        | "max_identifier_length"
        | "max_index_keys"
        | "server_version_num"
        | "statement_timeout"
        | "work_mem" => "integer",
        "bytea_output"
        | "client_min_messages"
        | "default_transaction_isolation"
        | "IntervalStyle"
        | "plan_cache_mode"
        | "synchronous_commit"
        | "transaction_isolation" => "enum",
        _ => "string",
    }
}

fn pg_settings_rows(_: &Ctx<'_>) -> Vec<Vec<Value>> {
    // The binder has no access to the session's settings: these are the defaults.
    let settings = crate::settings::Settings::new();
    settings
        .show_all()
        .into_iter()
        .map(|[n, setting, desc]| {
            let unit = match n.as_str() {
                "statement_timeout" | "lock_timeout" | "idle_in_transaction_session_timeout" => {
                    Some("ms")
                }
                "work_mem" => Some("kB"),
                _ => None,
            };
            let internal = matches!(
                n.as_str(),
                "block_size"
                    | "in_hot_standby"
                    | "integer_datetimes"
                    | "lc_collate"
                    | "lc_ctype"
                    | "max_identifier_length"
                    | "max_index_keys"
                    | "server_encoding"
                    | "server_version"
                    | "server_version_num"
            );
            let setting = if unit == Some("ms") {
                // `SHOW` prints `0` or `5s`; pg_settings gives the number in the unit.
                setting
                    .strip_suffix("ms")
                    .map(str::to_string)
                    .unwrap_or(setting)
            } else if unit == Some("kB") {
                // `SHOW` prints `4MB`; pg_settings gives kilobytes.
                let (digits, suffix) = setting.split_at(
                    setting
                        .find(|c: char| !c.is_ascii_digit())
                        .unwrap_or(setting.len()),
                );
                let mult: i64 = match suffix {
                    "MB" => 1024,
                    "GB" => 1024 * 1024,
                    "TB" => 1024 * 1024 * 1024,
                    _ => 1,
                };
                digits
                    .parse::<i64>()
                    .map_or(setting.clone(), |v| (v * mult).to_string())
            } else {
                setting
            };
            vec![
                name(&n),
                name(&setting),
                text_opt(unit),
                null(),
                name(&desc),
                null(),
                name(if internal { "internal" } else { "user" }),
                name(setting_vartype(&n)),
                name(if internal { "override" } else { "default" }),
                null(),
                null(),
                null(),
                name(&setting),
                name(&setting),
                null(),
                null(),
                bool_(false),
            ]
        })
        .collect()
}

fn pg_am_rows(_: &Ctx<'_>) -> Vec<Vec<Value>> {
    vec![
        vec![
            oid(HEAP_AM),
            name("heap"),
            proc("heap_tableam_handler"),
            ch('t'),
        ],
        vec![oid(BTREE_AM), name("btree"), proc("bthandler"), ch('i')],
        vec![oid(HASH_AM), name("hash"), proc("hashhandler"), ch('i')],
    ]
}

/// The OIDs of the collations in pg_collation.
pub(crate) fn collation_oids() -> [u32; 3] {
    [DEFAULT_COLLATION, 950, 951]
}

fn pg_collation_rows(_: &Ctx<'_>) -> Vec<Vec<Value>> {
    let row = |o, n: &str, p, enc, c: Option<&str>| {
        vec![
            oid(o),
            name(n),
            oid(PG_CATALOG_OID),
            oid(ROLE_OID),
            ch(p),
            bool_(true),
            i4(enc),
            text_opt(c),
            text_opt(c),
            null(),
            null(),
        ]
    };
    vec![
        row(DEFAULT_COLLATION, "default", 'd', -1, None),
        row(950, "C", 'c', -1, Some("C")),
        row(951, "POSIX", 'c', -1, Some("POSIX")),
    ]
}

fn pg_tablespace_rows(_: &Ctx<'_>) -> Vec<Vec<Value>> {
    vec![
        vec![oid(1663), name("pg_default"), oid(ROLE_OID), null(), null()],
        vec![oid(1664), name("pg_global"), oid(ROLE_OID), null(), null()],
    ]
}

fn pg_opclass_rows(_: &Ctx<'_>) -> Vec<Vec<Value>> {
    let mut seen = Vec::new();
    let mut rows = Vec::new();
    for f in scalar_types() {
        if f.opclass == 0 || seen.contains(&f.opclass) {
            continue;
        }
        seen.push(f.opclass);
        rows.push(vec![
            oid(f.opclass),
            oid(BTREE_AM),
            name(&format!("{}_ops", f.ty.typname())),
            oid(PG_CATALOG_OID),
            oid(ROLE_OID),
            oid(0),
            oid(f.ty.oid()),
            bool_(true),
            oid(0),
        ]);
    }
    rows
}

fn pg_sequence_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    ctx.cat
        .sequences
        .values()
        .map(|s| {
            vec![
                oid(s.oid),
                oid(s.ty.oid()),
                i8_(s.start),
                i8_(s.increment),
                i8_(s.max),
                i8_(s.min),
                i8_(s.cache),
                bool_(s.cycle),
            ]
        })
        .collect()
}

/// The dependencies Basalt records: a sequence on the column that owns it (`a` for serial
/// and OWNED BY, `i` for an identity column's), what `\d sequence` and
/// `pg_get_serial_sequence`-style queries look for. Other dependencies are not listed.
fn pg_depend_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    let mut rows = Vec::new();
    for s in ctx.cat.sequences.values() {
        let Some((table, col)) = s.owned_by else {
            continue;
        };
        let identity = ctx
            .cat
            .tables
            .get(&table)
            .and_then(|t| t.columns.get(col))
            .and_then(|c| c.identity)
            .is_some_and(|(_, seq)| seq == s.oid);
        rows.push(vec![
            oid(PG_CLASS_OID),
            oid(s.oid),
            i4(0),
            oid(PG_CLASS_OID),
            oid(table),
            i4(count(col) + 1),
            ch(if identity { 'i' } else { 'a' }),
        ]);
    }
    rows
}

fn no_rows(_: &Ctx<'_>) -> Vec<Vec<Value>> {
    Vec::new()
}

// ---------------------------------------------------------------------------------------
// Views of pg_catalog.

fn pg_tables_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    relations(ctx.cat)
        .into_iter()
        .filter(|r| r.kind == 'r')
        .map(|r| {
            vec![
                name(ctx.cat.schema_name(r.schema)),
                name(&r.name),
                name(ROLE_NAME),
                null(),
                bool_(r.has_index),
                bool_(false),
                bool_(r.triggers),
                bool_(false),
            ]
        })
        .collect()
}

fn pg_views_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    relations(ctx.cat)
        .into_iter()
        .filter(|r| r.kind == 'v')
        .map(|r| {
            let def = ctx.cat.views.get(&r.oid).map(|v| v.query.as_str());
            vec![
                name(ctx.cat.schema_name(r.schema)),
                name(&r.name),
                name(ROLE_NAME),
                text_opt(def),
            ]
        })
        .collect()
}

fn pg_indexes_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    let cat = ctx.cat;
    cat.indexes
        .values()
        .map(|ix| {
            let table = cat.tables.get(&ix.table).map_or("?", |t| t.name.as_str());
            vec![
                name(cat.schema_name(ix.schema)),
                name(table),
                name(&ix.name),
                null(),
                name(&index_def(cat, ix)),
            ]
        })
        .collect()
}

fn pg_sequences_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    ctx.cat
        .sequences
        .values()
        .map(|s| {
            vec![
                name(ctx.cat.schema_name(s.schema)),
                name(&s.name),
                name(ROLE_NAME),
                super::reg::type_value(s.ty.oid()),
                i8_(s.start),
                i8_(s.min),
                i8_(s.max),
                i8_(s.increment),
                bool_(s.cycle),
                i8_(s.cache),
                null(),
            ]
        })
        .collect()
}

/// `pg_sequences.last_value`: the sequence's state when the query runs (NULL before the
/// first `nextval`), read like `SELECT last_value, is_called FROM seq`.
fn pg_sequences_last_value(
    ctx: &Ctx<'_>,
    cols: &[(&'static str, T)],
    rows: &mut [Vec<crate::expr::Expr>],
) {
    use crate::expr::{Expr, SeqFunc};
    let Some(last) = cols.iter().position(|(n, _)| *n == "last_value") else {
        return;
    };
    for (row, oid) in rows.iter_mut().zip(ctx.cat.sequences.keys()) {
        let read = |col: u8| {
            Expr::Sequence(
                SeqFunc::Read(col),
                vec![Expr::Const(Value::Int8(i64::from(*oid)))],
            )
        };
        if let Some(slot) = row.get_mut(last) {
            *slot = Expr::Case {
                whens: vec![(read(2), read(0))],
                otherwise: Box::new(Expr::Const(Value::Null)),
            };
        }
    }
}

// ---------------------------------------------------------------------------------------
// information_schema.

fn schemata_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    pg_namespace_rows(ctx)
        .into_iter()
        .map(|r| {
            let n = r.get(1).cloned().unwrap_or(Value::Null);
            vec![
                name(ctx.cat.database_name()),
                n,
                name(ROLE_NAME),
                null(),
                null(),
                null(),
                null(),
            ]
        })
        .collect()
}

fn tables_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    relations(ctx.cat)
        .into_iter()
        .filter(|r| r.kind == 'r' || r.kind == 'v')
        .map(|r| {
            let base = r.kind == 'r';
            let insertable =
                base || view_writable_columns(ctx, r.oid).is_some_and(|c| c.iter().any(|w| *w));
            vec![
                name(ctx.cat.database_name()),
                name(ctx.cat.schema_name(r.schema)),
                name(&r.name),
                name(if base { "BASE TABLE" } else { "VIEW" }),
                null(),
                null(),
                null(),
                null(),
                null(),
                yes_no(insertable),
                yes_no(false),
                null(),
            ]
        })
        .collect()
}

/// information_schema's `data_type` of a column type.
pub fn sql_data_type(t: &DataType) -> String {
    match t {
        DataType::Array(_) | DataType::Int2Vector | DataType::OidVector => "ARRAY".to_string(),
        DataType::Bpchar(_) => "character".to_string(),
        DataType::Enum(_) => "USER-DEFINED".to_string(),
        other => other.without_typmod().format_type(),
    }
}

fn columns_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    let cat = ctx.cat;
    let rels = relations(cat);
    let mut rows = Vec::new();
    let mut writable: std::collections::HashMap<u32, Option<Vec<bool>>> =
        std::collections::HashMap::new();
    for a in attributes(ctx) {
        let Some(r) = rels.iter().find(|r| r.oid == a.rel) else {
            continue;
        };
        if r.kind != 'r' && r.kind != 'v' {
            continue;
        }
        let table = cat.tables.get(&a.rel);
        let col = table.and_then(|t| t.columns.get(a.num - 1));
        let ty = &a.ty;
        let (char_max, char_octets) = match ty {
            DataType::Varchar(Some(n)) | DataType::Bpchar(Some(n)) => {
                (i4(i64::from(*n)), i4(i64::from(*n) * 4))
            }
            DataType::Varchar(None) | DataType::Bpchar(None) | DataType::Text => {
                (null(), i4(1_073_741_824))
            }
            _ => (null(), null()),
        };
        let (precision, radix, scale) = match ty {
            DataType::Int2 => (i4(16), i4(2), i4(0)),
            DataType::Int4 => (i4(32), i4(2), i4(0)),
            DataType::Int8 => (i4(64), i4(2), i4(0)),
            DataType::Float4 => (i4(24), i4(2), null()),
            DataType::Float8 => (i4(53), i4(2), null()),
            DataType::Numeric(Some(m)) => {
                (i4(i64::from(m.precision)), i4(10), i4(i64::from(m.scale)))
            }
            DataType::Numeric(None) => (null(), i4(10), null()),
            _ => (null(), null(), null()),
        };
        let dt_precision = match ty {
            DataType::Date => i4(0),
            DataType::Time(p) | DataType::Timestamp(p) | DataType::Timestamptz(p) => {
                i4(i64::from(p.unwrap_or(6)))
            }
            DataType::Interval => i4(6),
            _ => null(),
        };
        // A collation other than the database's default (that of `name`, `C`) is named.
        let coll = if type_collation(ty) == C_COLLATION {
            (name(ctx.cat.database_name()), name("pg_catalog"), name("C"))
        } else {
            (null(), null(), null())
        };
        let identity = col.and_then(|c| c.identity);
        let seq = identity.and_then(|(_, s)| cat.sequences.get(&s));
        let seq_text = |f: fn(&crate::catalog::Sequence) -> i64| {
            seq.map_or(Value::Null, |s| name(&f(s).to_string()))
        };
        let mut row = vec![
            name(ctx.cat.database_name()),
            name(cat.schema_name(r.schema)),
            name(&r.name),
            name(&a.name),
            i4(count(a.num)),
            match (table, col) {
                (Some(t), Some(c)) => c
                    .default
                    .as_deref()
                    .filter(|d| !super::ruleutils::is_null_default(d))
                    .map_or_else(null, |d| name(&default_text(cat, t, c, d))),
                _ => null(),
            },
            yes_no(!a.not_null),
            name(&sql_data_type(ty)),
            char_max,
            char_octets,
            precision,
            radix,
            scale,
            dt_precision,
            null(),
            null(),
            null(),
            null(),
            null(),
            coll.0,
            coll.1,
            coll.2,
            null(),
            null(),
            null(),
            name(ctx.cat.database_name()),
            name("pg_catalog"),
            name(&ty.typname()),
            null(),
            null(),
            null(),
            null(),
            name(&a.num.to_string()),
            yes_no(false),
            yes_no(identity.is_some()),
            match identity {
                Some((true, _)) => name("ALWAYS"),
                Some((false, _)) => name("BY DEFAULT"),
                None => null(),
            },
            seq_text(|s| s.start),
            seq_text(|s| s.increment),
            seq_text(|s| s.max),
            seq_text(|s| s.min),
            yes_no(seq.is_some_and(|s| s.cycle)),
            name(if col.is_some_and(|c| c.generated.is_some()) {
                "ALWAYS"
            } else {
                "NEVER"
            }),
            text_opt(col.and_then(|c| c.generated.as_deref())),
            yes_no(
                r.kind == 'r'
                    || writable
                        .entry(r.oid)
                        .or_insert_with(|| view_writable_columns(ctx, r.oid))
                        .as_ref()
                        .is_some_and(|w| w.get(a.num - 1).copied().unwrap_or(false)),
            ),
        ];
        // A domain column names its domain; an enum's udt is in the enum's schema.
        if let Some(d) = col.and_then(|c| c.domain).and_then(|d| cat.domains.get(&d)) {
            row[22] = name(ctx.cat.database_name());
            row[23] = name(cat.schema_name(d.schema));
            row[24] = name(&d.name);
        }
        if let DataType::Enum(e) = ty.element().unwrap_or(ty)
            && let Some(def) = cat.enums.get(&e.oid)
        {
            row[26] = name(cat.schema_name(def.schema));
        }
        rows.push(row);
    }
    rows
}

/// PostgreSQL's name for a NOT NULL constraint in information_schema:
/// `<schema oid>_<table oid>_<attnum>_not_null`.
fn not_null_name(t: &Table, attnum: usize) -> String {
    format!("{}_{}_{}_not_null", t.schema, t.oid, attnum)
}

fn table_constraints_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    let cat = ctx.cat;
    let mut rows = Vec::new();
    for t in cat.tables.values() {
        let schema = cat.schema_name(t.schema);
        let row = |cname: &str, kind: &str, nulls: Value, deferral: (bool, bool)| {
            vec![
                name(ctx.cat.database_name()),
                name(schema),
                name(cname),
                name(ctx.cat.database_name()),
                name(schema),
                name(&t.name),
                name(kind),
                yes_no(deferral.0),
                yes_no(deferral.1),
                yes_no(true),
                nulls,
            ]
        };
        for c in &t.constraints {
            let (kind, nulls) = match c.kind {
                ConstraintKind::PrimaryKey { .. } => ("PRIMARY KEY", null()),
                ConstraintKind::Unique { .. } => ("UNIQUE", yes_no(true)),
                ConstraintKind::Check { .. } => ("CHECK", null()),
                ConstraintKind::ForeignKey(_) => ("FOREIGN KEY", null()),
            };
            rows.push(row(
                &c.name,
                kind,
                nulls,
                (c.deferrable, c.initially_deferred),
            ));
        }
        for (i, c) in t.columns.iter().enumerate() {
            if c.not_null {
                rows.push(row(
                    &not_null_name(t, i + 1),
                    "CHECK",
                    null(),
                    (false, false),
                ));
            }
        }
    }
    rows
}

fn key_column_usage_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    let cat = ctx.cat;
    let mut rows = Vec::new();
    for t in cat.tables.values() {
        let schema = cat.schema_name(t.schema);
        for c in &t.constraints {
            let (cols, refs): (Vec<usize>, Option<Vec<usize>>) = match &c.kind {
                ConstraintKind::PrimaryKey { index } | ConstraintKind::Unique { index } => {
                    (index_columns(cat, *index), None)
                }
                ConstraintKind::ForeignKey(fk) => {
                    // Position of each referenced column in the referenced unique index.
                    let ix = unique_index_on(cat, fk.ref_table, &fk.ref_columns);
                    let ix_cols = index_columns(cat, ix);
                    let pos = fk
                        .ref_columns
                        .iter()
                        .map(|rc| ix_cols.iter().position(|x| x == rc).map_or(0, |p| p + 1))
                        .collect();
                    (fk.columns.clone(), Some(pos))
                }
                ConstraintKind::Check { .. } => continue,
            };
            for (i, col) in cols.iter().enumerate() {
                let colname = t.columns.get(*col).map_or("?", |c| c.name.as_str());
                rows.push(vec![
                    name(ctx.cat.database_name()),
                    name(schema),
                    name(&c.name),
                    name(ctx.cat.database_name()),
                    name(schema),
                    name(&t.name),
                    name(colname),
                    i4(count(i) + 1),
                    match &refs {
                        Some(p) => p.get(i).map_or(Value::Null, |x| i4(count(*x))),
                        None => null(),
                    },
                ]);
            }
        }
    }
    rows
}

/// `information_schema.sequences`: identity columns' sequences are left out, as in
/// PostgreSQL.
fn sequences_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    let identity: std::collections::HashSet<u32> = ctx
        .cat
        .tables
        .values()
        .flat_map(|t| t.columns.iter().filter_map(|c| c.identity.map(|(_, s)| s)))
        .collect();
    ctx.cat
        .sequences
        .values()
        .filter(|q| !identity.contains(&q.oid))
        .map(|q| {
            let bits = match q.ty {
                DataType::Int2 => 16,
                DataType::Int4 => 32,
                _ => 64,
            };
            vec![
                name(ctx.cat.database_name()),
                name(ctx.cat.schema_name(q.schema)),
                name(&q.name),
                name(&q.ty.format_type()),
                i4(bits),
                i4(2),
                i4(0),
                name(&q.start.to_string()),
                name(&q.min.to_string()),
                name(&q.max.to_string()),
                name(&q.increment.to_string()),
                yes_no(q.cycle),
            ]
        })
        .collect()
}

/// For an automatically updatable view, which of its columns are writable (PostgreSQL's
/// `pg_column_is_updatable`); `None` for another view.
pub(crate) fn view_writable_columns(ctx: &Ctx<'_>, view: u32) -> Option<Vec<bool>> {
    let mut b = crate::binder::Binder::new(ctx.cat, ctx.path.clone(), ctx.types);
    crate::views::resolve(&mut b, view, crate::views::ViewOp::Update)
        .ok()
        .map(|vt| vt.cols.iter().map(|c| c.base.is_some()).collect())
}

/// Whether DELETE through a view works (automatically updatable, writable columns or not).
pub(crate) fn view_deletable(ctx: &Ctx<'_>, view: u32) -> bool {
    let mut b = crate::binder::Binder::new(ctx.cat, ctx.path.clone(), ctx.types);
    crate::views::resolve(&mut b, view, crate::views::ViewOp::Delete).is_ok()
}

fn views_rows(ctx: &Ctx<'_>) -> Vec<Vec<Value>> {
    ctx.cat
        .views
        .values()
        .map(|v| {
            // Automatically updatable with at least one writable column: INSERT, UPDATE
            // and DELETE all work (PostgreSQL's pg_relation_is_updatable).
            let updatable = view_writable_columns(ctx, v.oid).is_some_and(|c| c.iter().any(|w| *w));
            vec![
                name(ctx.cat.database_name()),
                name(ctx.cat.schema_name(v.schema)),
                name(&v.name),
                name(&v.query),
                name(match v.check_option {
                    None => "NONE",
                    Some(crate::catalog::CheckOption::Local) => "LOCAL",
                    Some(crate::catalog::CheckOption::Cascaded) => "CASCADED",
                }),
                yes_no(updatable),
                yes_no(updatable),
                yes_no(false),
                yes_no(false),
                yes_no(false),
            ]
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The definitions.

const PC: u32 = PG_CATALOG_OID;
const IS: u32 = INFORMATION_SCHEMA_OID;

macro_rules! cols {
    ($($n:literal : $t:ident),* $(,)?) => { &[$(($n, T::$t)),*] };
}

/// Every virtual relation.
pub static RELS: &[VRel] = &[
    VRel {
        schema: PC,
        name: "pg_namespace",
        oid: 2615,
        kind: 'r',
        cols: cols![
            "oid": Oid, "nspname": Name, "nspowner": Oid, "nspacl": TextArr
        ],
        rows: pg_namespace_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_class",
        oid: PG_CLASS_OID,
        kind: 'r',
        cols: cols![
            "oid": Oid, "relname": Name, "relnamespace": Oid, "reltype": Oid,
            "reloftype": Oid, "relowner": Oid, "relam": Oid, "relfilenode": Oid,
            "reltablespace": Oid, "relpages": I4, "reltuples": F4, "relallvisible": I4,
            "reltoastrelid": Oid, "relhasindex": Bool, "relisshared": Bool,
            "relpersistence": Char, "relkind": Char, "relnatts": I2, "relchecks": I2,
            "relhasrules": Bool, "relhastriggers": Bool, "relhassubclass": Bool,
            "relrowsecurity": Bool, "relforcerowsecurity": Bool, "relispopulated": Bool,
            "relreplident": Char, "relispartition": Bool, "relrewrite": Oid,
            "relfrozenxid": I8, "relminmxid": I8, "relacl": TextArr, "reloptions": TextArr,
            "relpartbound": Text
        ],
        rows: pg_class_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_attribute",
        oid: 1249,
        kind: 'r',
        cols: cols![
            "attrelid": Oid, "attname": Name, "atttypid": Oid, "attstattarget": I4,
            "attlen": I2, "attnum": I2, "attndims": I4, "attcacheoff": I4, "atttypmod": I4,
            "attbyval": Bool, "attalign": Char, "attstorage": Char, "attcompression": Char,
            "attnotnull": Bool, "atthasdef": Bool, "atthasmissing": Bool,
            "attidentity": Char, "attgenerated": Char, "attisdropped": Bool,
            "attislocal": Bool, "attinhcount": I4, "attcollation": Oid, "attacl": TextArr,
            "attoptions": TextArr, "attfdwoptions": TextArr, "attmissingval": Text
        ],
        rows: pg_attribute_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_type",
        oid: PG_TYPE_OID,
        kind: 'r',
        cols: cols![
            "oid": Oid, "typname": Name, "typnamespace": Oid, "typowner": Oid,
            "typlen": I2, "typbyval": Bool, "typtype": Char, "typcategory": Char,
            "typispreferred": Bool, "typisdefined": Bool, "typdelim": Char,
            "typrelid": Oid, "typsubscript": RegProc, "typelem": Oid, "typarray": Oid,
            "typinput": RegProc, "typoutput": RegProc, "typreceive": RegProc, "typsend": RegProc,
            "typmodin": RegProc, "typmodout": RegProc, "typanalyze": RegProc, "typalign": Char,
            "typstorage": Char, "typnotnull": Bool, "typbasetype": Oid, "typtypmod": I4,
            "typndims": I4, "typcollation": Oid, "typdefaultbin": Text, "typdefault": Text,
            "typacl": TextArr
        ],
        rows: pg_type_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_index",
        oid: 2610,
        kind: 'r',
        cols: cols![
            "indexrelid": Oid, "indrelid": Oid, "indnatts": I2, "indnkeyatts": I2,
            "indisunique": Bool, "indnullsnotdistinct": Bool, "indisprimary": Bool,
            "indisexclusion": Bool, "indimmediate": Bool, "indisclustered": Bool,
            "indisvalid": Bool, "indcheckxmin": Bool, "indisready": Bool,
            "indislive": Bool, "indisreplident": Bool, "indkey": I2Vec,
            "indcollation": OidVec, "indclass": OidVec, "indoption": I2Vec,
            "indexprs": Text, "indpred": Text
        ],
        rows: pg_index_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_constraint",
        oid: PG_CONSTRAINT_OID,
        kind: 'r',
        cols: cols![
            "oid": Oid, "conname": Name, "connamespace": Oid, "contype": Char,
            "condeferrable": Bool, "condeferred": Bool, "convalidated": Bool,
            "conrelid": Oid, "contypid": Oid, "conindid": Oid, "conparentid": Oid,
            "confrelid": Oid, "confupdtype": Char, "confdeltype": Char,
            "confmatchtype": Char, "conislocal": Bool, "coninhcount": I4,
            "connoinherit": Bool, "conkey": I2Arr, "confkey": I2Arr, "conpfeqop": OidArr,
            "conppeqop": OidArr, "conffeqop": OidArr, "confdelsetcols": I2Arr,
            "conexclop": OidArr, "conbin": Text
        ],
        rows: pg_constraint_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_attrdef",
        oid: 2604,
        kind: 'r',
        cols: cols!["oid": Oid, "adrelid": Oid, "adnum": I2, "adbin": Text],
        rows: pg_attrdef_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_description",
        oid: 2609,
        kind: 'r',
        cols: cols!["objoid": Oid, "classoid": Oid, "objsubid": I4, "description": Text],
        rows: pg_description_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_proc",
        oid: PG_PROC_OID,
        kind: 'r',
        cols: cols![
            "oid": Oid, "proname": Name, "pronamespace": Oid, "proowner": Oid,
            "prolang": Oid, "procost": F4, "prorows": F4, "provariadic": Oid,
            "prosupport": RegProc, "prokind": Char, "prosecdef": Bool, "proleakproof": Bool,
            "proisstrict": Bool, "proretset": Bool, "provolatile": Char,
            "proparallel": Char, "pronargs": I2, "pronargdefaults": I2, "prorettype": Oid,
            "proargtypes": OidVec, "proallargtypes": OidArr, "proargmodes": CharArr,
            "proargnames": TextArr, "proargdefaults": Text, "protrftypes": OidArr,
            "prosrc": Text, "probin": Text, "prosqlbody": Text, "proconfig": TextArr,
            "proacl": TextArr
        ],
        rows: pg_proc_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_database",
        oid: PG_DATABASE_OID,
        kind: 'r',
        cols: cols![
            "oid": Oid, "datname": Name, "datdba": Oid, "encoding": I4,
            "datlocprovider": Char, "datistemplate": Bool, "datallowconn": Bool,
            "datconnlimit": I4, "datfrozenxid": I8, "datminmxid": I8, "dattablespace": Oid,
            "datcollate": Text, "datctype": Text, "daticulocale": Text,
            "datcollversion": Text, "datacl": TextArr
        ],
        rows: pg_database_rows,
        at_run_time: None,
    },
    super::roles::PG_ROLES,
    super::roles::PG_USER,
    super::roles::PG_SHADOW,
    super::roles::PG_GROUP,
    super::roles::PG_AUTHID,
    super::roles::PG_AUTH_MEMBERS,
    super::roles::PG_DB_ROLE_SETTING,
    VRel {
        schema: PC,
        name: "pg_settings",
        oid: 12104,
        kind: 'v',
        cols: cols![
            "name": Text, "setting": Text, "unit": Text, "category": Text,
            "short_desc": Text, "extra_desc": Text, "context": Text, "vartype": Text,
            "source": Text, "min_val": Text, "max_val": Text, "enumvals": TextArr,
            "boot_val": Text, "reset_val": Text, "sourcefile": Text, "sourceline": I4,
            "pending_restart": Bool
        ],
        rows: pg_settings_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_cursors",
        oid: 12077,
        kind: 'v',
        cols: cols![
            "name": Text, "statement": Text, "is_holdable": Bool, "is_binary": Bool,
            "is_scrollable": Bool, "creation_time": Tstz
        ],
        rows: |ctx| crate::cursor::pg_cursors_rows(ctx.cursors),
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_prepared_statements",
        oid: 12081,
        kind: 'v',
        // (PostgreSQL 15's generic_plans / custom_plans counts are not kept.)
        cols: cols![
            "name": Text, "statement": Text, "prepare_time": Tstz,
            "parameter_types": RegTypeArr, "from_sql": Bool
        ],
        rows: pg_prepared_statements_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_am",
        oid: 2601,
        kind: 'r',
        cols: cols!["oid": Oid, "amname": Name, "amhandler": RegProc, "amtype": Char],
        rows: pg_am_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_tables",
        oid: 12033,
        kind: 'v',
        cols: cols![
            "schemaname": Name, "tablename": Name, "tableowner": Name, "tablespace": Name,
            "hasindexes": Bool, "hasrules": Bool, "hastriggers": Bool, "rowsecurity": Bool
        ],
        rows: pg_tables_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_views",
        oid: 12028,
        kind: 'v',
        cols: cols![
            "schemaname": Name, "viewname": Name, "viewowner": Name, "definition": Text
        ],
        rows: pg_views_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_indexes",
        oid: 12043,
        kind: 'v',
        cols: cols![
            "schemaname": Name, "tablename": Name, "indexname": Name, "tablespace": Name,
            "indexdef": Text
        ],
        rows: pg_indexes_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_sequences",
        oid: 12048,
        kind: 'v',
        cols: cols![
            "schemaname": Name, "sequencename": Name, "sequenceowner": Name,
            "data_type": RegType, "start_value": I8, "min_value": I8, "max_value": I8,
            "increment_by": I8, "cycle": Bool, "cache_size": I8, "last_value": I8
        ],
        rows: pg_sequences_rows,
        at_run_time: Some(pg_sequences_last_value),
    },
    VRel {
        schema: PC,
        name: "pg_collation",
        oid: 3456,
        kind: 'r',
        cols: cols![
            "oid": Oid, "collname": Name, "collnamespace": Oid, "collowner": Oid,
            "collprovider": Char, "collisdeterministic": Bool, "collencoding": I4,
            "collcollate": Text, "collctype": Text, "colliculocale": Text,
            "collversion": Text
        ],
        rows: pg_collation_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_tablespace",
        oid: 1213,
        kind: 'r',
        cols: cols![
            "oid": Oid, "spcname": Name, "spcowner": Oid, "spcacl": TextArr,
            "spcoptions": TextArr
        ],
        rows: pg_tablespace_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_opclass",
        oid: 2616,
        kind: 'r',
        cols: cols![
            "oid": Oid, "opcmethod": Oid, "opcname": Name, "opcnamespace": Oid,
            "opcowner": Oid, "opcfamily": Oid, "opcintype": Oid, "opcdefault": Bool,
            "opckeytype": Oid
        ],
        rows: pg_opclass_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_sequence",
        oid: 2224,
        kind: 'r',
        cols: cols![
            "seqrelid": Oid, "seqtypid": Oid, "seqstart": I8, "seqincrement": I8,
            "seqmax": I8, "seqmin": I8, "seqcache": I8, "seqcycle": Bool
        ],
        rows: pg_sequence_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_inherits",
        oid: 2611,
        kind: 'r',
        cols: cols![
            "inhrelid": Oid, "inhparent": Oid, "inhseqno": I4, "inhdetachpending": Bool
        ],
        rows: no_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_depend",
        oid: 2608,
        kind: 'r',
        cols: cols![
            "classid": Oid, "objid": Oid, "objsubid": I4, "refclassid": Oid, "refobjid": Oid,
            "refobjsubid": I4, "deptype": Char
        ],
        rows: pg_depend_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_policy",
        oid: 3256,
        kind: 'r',
        cols: cols![
            "oid": Oid, "polname": Name, "polrelid": Oid, "polcmd": Char,
            "polpermissive": Bool, "polroles": OidArr, "polqual": Text, "polwithcheck": Text
        ],
        rows: no_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_trigger",
        oid: 2620,
        kind: 'r',
        cols: cols![
            "oid": Oid, "tgrelid": Oid, "tgparentid": Oid, "tgname": Name, "tgfoid": Oid,
            "tgtype": I2, "tgenabled": Char, "tgisinternal": Bool, "tgconstrrelid": Oid,
            "tgconstrindid": Oid, "tgconstraint": Oid, "tgdeferrable": Bool,
            "tginitdeferred": Bool, "tgnargs": I2, "tgattr": I2Vec, "tgargs": Text,
            "tgqual": Text, "tgoldtable": Name, "tgnewtable": Name
        ],
        rows: no_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_enum",
        oid: 3501,
        kind: 'r',
        cols: cols![
            "oid": Oid, "enumtypid": Oid, "enumsortorder": F4, "enumlabel": Name
        ],
        rows: pg_enum_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_range",
        oid: 3541,
        kind: 'r',
        cols: cols![
            "rngtypid": Oid, "rngsubtype": Oid, "rngmultitypid": Oid, "rngcollation": Oid,
            "rngsubopc": Oid, "rngcanonical": RegProc, "rngsubdiff": RegProc
        ],
        rows: no_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_auth_members",
        oid: 1261,
        kind: 'r',
        cols: cols![
            "roleid": Oid, "member": Oid, "grantor": Oid, "admin_option": Bool
        ],
        rows: no_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_statistic_ext",
        oid: 3381,
        kind: 'r',
        cols: cols![
            "oid": Oid, "stxrelid": Oid, "stxname": Name, "stxnamespace": Oid,
            "stxowner": Oid, "stxstattarget": I4, "stxkeys": I2Vec, "stxkind": CharArr,
            "stxexprs": Text
        ],
        rows: no_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_publication",
        oid: 6104,
        kind: 'r',
        cols: cols![
            "oid": Oid, "pubname": Name, "pubowner": Oid, "puballtables": Bool,
            "pubinsert": Bool, "pubupdate": Bool, "pubdelete": Bool, "pubtruncate": Bool,
            "pubviaroot": Bool
        ],
        rows: no_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_publication_rel",
        oid: 6106,
        kind: 'r',
        cols: cols![
            "oid": Oid, "prpubid": Oid, "prrelid": Oid, "prqual": Text, "prattrs": I2Vec
        ],
        rows: no_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_publication_namespace",
        oid: 6237,
        kind: 'r',
        cols: cols!["oid": Oid, "pnpubid": Oid, "pnnspid": Oid],
        rows: no_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_partitioned_table",
        oid: 3350,
        kind: 'r',
        cols: cols![
            "partrelid": Oid, "partstrat": Char, "partnatts": I2, "partdefid": Oid,
            "partattrs": I2Vec, "partclass": OidVec, "partcollation": OidVec,
            "partexprs": Text
        ],
        rows: no_rows,
        at_run_time: None,
    },
    VRel {
        schema: PC,
        name: "pg_extension",
        oid: 3079,
        kind: 'r',
        cols: cols![
            "oid": Oid, "extname": Name, "extowner": Oid, "extnamespace": Oid,
            "extrelocatable": Bool, "extversion": Text, "extconfig": OidArr,
            "extcondition": TextArr
        ],
        rows: no_rows,
        at_run_time: None,
    },
    VRel {
        schema: IS,
        name: "schemata",
        oid: 13382,
        kind: 'v',
        cols: cols![
            "catalog_name": Name, "schema_name": Name, "schema_owner": Name,
            "default_character_set_catalog": Name, "default_character_set_schema": Name,
            "default_character_set_name": Name, "sql_path": VarChar
        ],
        rows: schemata_rows,
        at_run_time: None,
    },
    VRel {
        schema: IS,
        name: "tables",
        oid: 13425,
        kind: 'v',
        cols: cols![
            "table_catalog": Name, "table_schema": Name, "table_name": Name,
            "table_type": VarChar, "self_referencing_column_name": Name,
            "reference_generation": VarChar, "user_defined_type_catalog": Name,
            "user_defined_type_schema": Name, "user_defined_type_name": Name,
            "is_insertable_into": VarChar, "is_typed": VarChar, "commit_action": VarChar
        ],
        rows: tables_rows,
        at_run_time: None,
    },
    VRel {
        schema: IS,
        name: "columns",
        oid: 13295,
        kind: 'v',
        cols: cols![
            "table_catalog": Name, "table_schema": Name, "table_name": Name,
            "column_name": Name, "ordinal_position": I4, "column_default": VarChar,
            "is_nullable": VarChar, "data_type": VarChar, "character_maximum_length": I4,
            "character_octet_length": I4, "numeric_precision": I4,
            "numeric_precision_radix": I4, "numeric_scale": I4, "datetime_precision": I4,
            "interval_type": VarChar, "interval_precision": I4, "character_set_catalog": Name,
            "character_set_schema": Name, "character_set_name": Name,
            "collation_catalog": Name, "collation_schema": Name, "collation_name": Name,
            "domain_catalog": Name, "domain_schema": Name, "domain_name": Name,
            "udt_catalog": Name, "udt_schema": Name, "udt_name": Name,
            "scope_catalog": Name, "scope_schema": Name, "scope_name": Name,
            "maximum_cardinality": I4, "dtd_identifier": Name, "is_self_referencing": VarChar,
            "is_identity": VarChar, "identity_generation": VarChar, "identity_start": VarChar,
            "identity_increment": VarChar, "identity_maximum": VarChar,
            "identity_minimum": VarChar, "identity_cycle": VarChar, "is_generated": VarChar,
            "generation_expression": VarChar, "is_updatable": VarChar
        ],
        rows: columns_rows,
        at_run_time: None,
    },
    VRel {
        schema: IS,
        name: "table_constraints",
        oid: 13411,
        kind: 'v',
        cols: cols![
            "constraint_catalog": Name, "constraint_schema": Name, "constraint_name": Name,
            "table_catalog": Name, "table_schema": Name, "table_name": Name,
            "constraint_type": VarChar, "is_deferrable": VarChar, "initially_deferred": VarChar,
            "enforced": VarChar, "nulls_distinct": VarChar
        ],
        rows: table_constraints_rows,
        at_run_time: None,
    },
    VRel {
        schema: IS,
        name: "key_column_usage",
        oid: 13329,
        kind: 'v',
        cols: cols![
            "constraint_catalog": Name, "constraint_schema": Name, "constraint_name": Name,
            "table_catalog": Name, "table_schema": Name, "table_name": Name,
            "column_name": Name, "ordinal_position": I4,
            "position_in_unique_constraint": I4
        ],
        rows: key_column_usage_rows,
        at_run_time: None,
    },
    VRel {
        schema: IS,
        name: "sequences",
        oid: 13386,
        kind: 'v',
        cols: cols![
            "sequence_catalog": Name, "sequence_schema": Name, "sequence_name": Name,
            "data_type": VarChar, "numeric_precision": I4, "numeric_precision_radix": I4,
            "numeric_scale": I4, "start_value": VarChar, "minimum_value": VarChar,
            "maximum_value": VarChar, "increment": VarChar, "cycle_option": VarChar
        ],
        rows: sequences_rows,
        at_run_time: None,
    },
    VRel {
        schema: IS,
        name: "views",
        oid: 13483,
        kind: 'v',
        cols: cols![
            "table_catalog": Name, "table_schema": Name, "table_name": Name,
            "view_definition": VarChar, "check_option": VarChar, "is_updatable": VarChar,
            "is_insertable_into": VarChar, "is_trigger_updatable": VarChar,
            "is_trigger_deletable": VarChar, "is_trigger_insertable_into": VarChar
        ],
        rows: views_rows,
        at_run_time: None,
    },
];

/// The virtual relation `name` in schema `schema`.
pub fn find(schema: u32, name: &str) -> Option<&'static VRel> {
    RELS.iter().find(|r| r.schema == schema && r.name == name)
}
