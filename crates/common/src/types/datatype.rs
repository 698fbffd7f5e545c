//! [`DataType`]: PostgreSQL's built-in types that Basalt supports, with their OIDs, names as
//! `format_type` prints them, storage lengths and type modifiers.
//!
//! A type modifier (typmod) is kept inside the variant that accepts one: `numeric(p,s)`,
//! `varchar(n)`, `char(n)` and the fractional-second precision of `time` and `timestamp[tz]`.
//! `None` means "no modifier" (PostgreSQL's typmod `-1`), which is not the same thing as a
//! default: `char` written without a length in a type name means `char(1)`, but a value of
//! type `bpchar` has no length limit.

use super::error::{TypeError, TypeResult, codes};
use super::record::{RECORD_ARRAY_OID, RECORD_OID, RecordType};

/// Maximum precision of `numeric(p,s)` (PostgreSQL's `NUMERIC_MAX_PRECISION`).
pub const NUMERIC_MAX_PRECISION: i32 = 1000;
/// Smallest scale of `numeric(p,s)` (PostgreSQL 15 allows negative scales).
pub const NUMERIC_MIN_SCALE: i32 = -1000;
/// Largest scale of `numeric(p,s)`.
pub const NUMERIC_MAX_SCALE: i32 = 1000;
/// Largest length of `varchar(n)` and `char(n)` (PostgreSQL's `MaxAttrSize`).
pub const MAX_CHAR_LENGTH: u32 = 10_485_760;
/// Largest fractional-second precision of `time(p)` and `timestamp(p)`.
pub const MAX_TIME_PRECISION: u8 = 6;

/// A PostgreSQL data type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DataType {
    /// `boolean` (OID 16).
    Bool,
    /// `smallint` / `int2` (OID 21).
    Int2,
    /// `integer` / `int4` (OID 23).
    Int4,
    /// `bigint` / `int8` (OID 20).
    Int8,
    /// `oid` (OID 26): an unsigned 32-bit object identifier ([`super::Value::Oid`]).
    Oid,
    /// `real` / `float4` (OID 700).
    Float4,
    /// `double precision` / `float8` (OID 701).
    Float8,
    /// `numeric(precision, scale)` (OID 1700); `None` is unconstrained `numeric`.
    Numeric(Option<NumericTypmod>),
    /// `text` (OID 25).
    Text,
    /// `character varying(n)` (OID 1043); `None` has no length limit.
    Varchar(Option<u32>),
    /// `character(n)` / `bpchar` (OID 1042); `None` (`bpchar`) has no length limit.
    Bpchar(Option<u32>),
    /// `bytea` (OID 17).
    Bytea,
    /// `date` (OID 1082).
    Date,
    /// `time(p) without time zone` (OID 1083).
    Time(Option<u8>),
    /// `time(p) with time zone` / `timetz` (OID 1266).
    TimeTz(Option<u8>),
    /// `timestamp(p) without time zone` (OID 1114).
    Timestamp(Option<u8>),
    /// `timestamp(p) with time zone` (OID 1184).
    Timestamptz(Option<u8>),
    /// `interval` (OID 1186).
    Interval,
    /// `uuid` (OID 2950).
    Uuid,
    /// `json` (OID 114).
    Json,
    /// `jsonb` (OID 3802).
    Jsonb,
    /// `jsonpath` (OID 4072).
    JsonPath,
    /// An object-identifier alias type (`regclass`, `regtype`, ...): an OID that reads and
    /// prints as the object's name.
    Reg(RegKind),
    /// A one-dimensional array of the element type (never itself an array).
    Array(Box<DataType>),
    /// `unknown` (OID 705): the type of an untyped string literal and of a bare `NULL`
    /// before the binder resolves it.
    Unknown,
    /// A composite type: `record` (an anonymous row) or a table's or `CREATE TYPE`'s row
    /// type (see [`super::record`]).
    Record(Box<RecordType>),
    /// `name` (OID 19): an identifier of at most 63 bytes (longer input is cut at a
    /// character boundary). Its values are [`super::Value::Text`].
    Name,
    /// `"char"` (OID 18): a single byte ([`super::Value::Char`]).
    Char,
    /// `int2vector` (OID 22): the smallint array of `pg_index.indkey`, subscripted from 0
    /// and printed space-separated. Its values are arrays with the `vector` mark.
    Int2Vector,
    /// `oidvector` (OID 30): as [`DataType::Int2Vector`], of OIDs ([`super::Value::Oid`]).
    OidVector,
    /// A user-defined enum type (see [`super::enums`]).
    Enum(std::sync::Arc<super::enums::EnumType>),
    /// A pseudo-type: a polymorphic one (`anyelement`, `anyarray`, ...), only the type of a
    /// SQL function's parameter or result, which a call resolves to an actual type, or
    /// `void`, a function's result that is nothing (NULL).
    Pseudo(Pseudo),
}

/// The pseudo-types: `void`, and the polymorphic ones in two families: `anyelement` ...
/// (one type, exactly the same in every argument) and `anycompatible` ... (the arguments'
/// common type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pseudo {
    /// `anyelement` (OID 2283).
    AnyElement,
    /// `anyarray` (OID 2277): an array of the `anyelement` type.
    AnyArray,
    /// `anynonarray` (OID 2776): `anyelement`, not an array.
    AnyNonArray,
    /// `anyenum` (OID 3500): `anyelement`, an enum.
    AnyEnum,
    /// `anyrange` (OID 3831): a range of the `anyelement` type.
    AnyRange,
    /// `anycompatible` (OID 5077).
    AnyCompatible,
    /// `anycompatiblearray` (OID 5078).
    AnyCompatibleArray,
    /// `anycompatiblenonarray` (OID 5079).
    AnyCompatibleNonArray,
    /// `anycompatiblerange` (OID 5080).
    AnyCompatibleRange,
    /// `void` (OID 2278).
    Void,
}

impl Pseudo {
    /// All of them.
    pub const ALL: [Pseudo; 10] = [
        Pseudo::AnyElement,
        Pseudo::AnyArray,
        Pseudo::AnyNonArray,
        Pseudo::AnyEnum,
        Pseudo::AnyRange,
        Pseudo::AnyCompatible,
        Pseudo::AnyCompatibleArray,
        Pseudo::AnyCompatibleNonArray,
        Pseudo::AnyCompatibleRange,
        Pseudo::Void,
    ];

    /// The type's name.
    pub fn name(self) -> &'static str {
        match self {
            Pseudo::AnyElement => "anyelement",
            Pseudo::AnyArray => "anyarray",
            Pseudo::AnyNonArray => "anynonarray",
            Pseudo::AnyEnum => "anyenum",
            Pseudo::AnyRange => "anyrange",
            Pseudo::AnyCompatible => "anycompatible",
            Pseudo::AnyCompatibleArray => "anycompatiblearray",
            Pseudo::AnyCompatibleNonArray => "anycompatiblenonarray",
            Pseudo::AnyCompatibleRange => "anycompatiblerange",
            Pseudo::Void => "void",
        }
    }

    /// The type's OID.
    pub fn oid(self) -> u32 {
        match self {
            Pseudo::AnyElement => 2283,
            Pseudo::AnyArray => 2277,
            Pseudo::AnyNonArray => 2776,
            Pseudo::AnyEnum => 3500,
            Pseudo::AnyRange => 3831,
            Pseudo::AnyCompatible => 5077,
            Pseudo::AnyCompatibleArray => 5078,
            Pseudo::AnyCompatibleNonArray => 5079,
            Pseudo::AnyCompatibleRange => 5080,
            Pseudo::Void => 2278,
        }
    }

    /// The pseudo-type of this name.
    pub fn from_name(name: &str) -> Option<Pseudo> {
        Pseudo::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether it is polymorphic (not `void`).
    pub fn polymorphic(self) -> bool {
        self != Pseudo::Void
    }

    /// Whether it belongs to the `anycompatible` family.
    pub fn compatible(self) -> bool {
        matches!(
            self,
            Pseudo::AnyCompatible
                | Pseudo::AnyCompatibleArray
                | Pseudo::AnyCompatibleNonArray
                | Pseudo::AnyCompatibleRange
        )
    }
}

/// The object-identifier alias types: what kind of catalog object the OID names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegKind {
    /// `regclass` (OID 2205): a relation.
    Class,
    /// `regtype` (OID 2206): a type.
    Type,
    /// `regproc` (OID 24): a function by name.
    Proc,
    /// `regprocedure` (OID 2202): a function with its argument types.
    Procedure,
    /// `regoper` (OID 2203): an operator by name.
    Oper,
    /// `regnamespace` (OID 4089): a schema.
    Namespace,
    /// `regrole` (OID 4096): a role.
    Role,
}

impl RegKind {
    /// All kinds.
    pub const ALL: [RegKind; 7] = [
        RegKind::Class,
        RegKind::Type,
        RegKind::Proc,
        RegKind::Procedure,
        RegKind::Oper,
        RegKind::Namespace,
        RegKind::Role,
    ];

    /// The type's name (`regclass`).
    pub fn name(self) -> &'static str {
        match self {
            RegKind::Class => "regclass",
            RegKind::Type => "regtype",
            RegKind::Proc => "regproc",
            RegKind::Procedure => "regprocedure",
            RegKind::Oper => "regoper",
            RegKind::Namespace => "regnamespace",
            RegKind::Role => "regrole",
        }
    }

    /// (type OID, array type OID).
    fn oids(self) -> (u32, u32) {
        match self {
            RegKind::Class => (2205, 2210),
            RegKind::Type => (2206, 2211),
            RegKind::Proc => (24, 1008),
            RegKind::Procedure => (2202, 2207),
            RegKind::Oper => (2203, 2208),
            RegKind::Namespace => (4089, 4090),
            RegKind::Role => (4096, 4097),
        }
    }
}

/// The modifier of `numeric(precision, scale)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NumericTypmod {
    /// Total number of significant decimal digits, 1..=1000.
    pub precision: i32,
    /// Digits after the decimal point, -1000..=1000 (negative rounds to tens, hundreds...).
    pub scale: i32,
}

/// One row of the built-in type table.
struct TypeInfo {
    oid: u32,
    array_oid: u32,
    typname: &'static str,
    typlen: i16,
}

impl DataType {
    fn info(&self) -> TypeInfo {
        let (oid, array_oid, typname, typlen) = match self {
            DataType::Bool => (16, 1000, "bool", 1),
            DataType::Int2 => (21, 1005, "int2", 2),
            DataType::Int4 => (23, 1007, "int4", 4),
            DataType::Int8 => (20, 1016, "int8", 8),
            DataType::Oid => (26, 1028, "oid", 4),
            DataType::Float4 => (700, 1021, "float4", 4),
            DataType::Float8 => (701, 1022, "float8", 8),
            DataType::Numeric(_) => (1700, 1231, "numeric", -1),
            DataType::Text => (25, 1009, "text", -1),
            DataType::Varchar(_) => (1043, 1015, "varchar", -1),
            DataType::Bpchar(_) => (1042, 1014, "bpchar", -1),
            DataType::Bytea => (17, 1001, "bytea", -1),
            DataType::Date => (1082, 1182, "date", 4),
            DataType::Time(_) => (1083, 1183, "time", 8),
            DataType::TimeTz(_) => (1266, 1270, "timetz", 12),
            DataType::Timestamp(_) => (1114, 1115, "timestamp", 8),
            DataType::Timestamptz(_) => (1184, 1185, "timestamptz", 8),
            DataType::Interval => (1186, 1187, "interval", 16),
            DataType::Uuid => (2950, 2951, "uuid", 16),
            DataType::Json => (114, 199, "json", -1),
            DataType::Jsonb => (3802, 3807, "jsonb", -1),
            DataType::JsonPath => (4072, 4073, "jsonpath", -1),
            DataType::Reg(k) => (k.oids().0, k.oids().1, k.name(), 4),
            DataType::Array(elem) => (elem.info().array_oid, 0, "", -1),
            DataType::Unknown => (705, 0, "unknown", -2),
            DataType::Record(r) => (r.oid, r.array_oid, "record", -1),
            DataType::Name => (19, 1003, "name", 64),
            DataType::Char => (18, 1002, "char", 1),
            DataType::Int2Vector => (22, 1006, "int2vector", -1),
            DataType::OidVector => (30, 1013, "oidvector", -1),
            DataType::Enum(e) => (e.oid, e.array_oid, "enum", 4),
            DataType::Pseudo(p) => (p.oid(), 0, p.name(), 4),
        };
        TypeInfo {
            oid,
            array_oid,
            typname,
            typlen,
        }
    }

    /// The type's OID in `pg_type` (arrays: the array type's OID, e.g. 1007 for `integer[]`).
    pub fn oid(&self) -> u32 {
        self.info().oid
    }

    /// The OID of the array type whose elements are this type (0 for arrays and `unknown`).
    pub fn array_oid(&self) -> u32 {
        self.info().array_oid
    }

    /// `pg_type.typname`: `int4`, `varchar`, `_int4` for `integer[]`.
    pub fn typname(&self) -> String {
        match self {
            DataType::Record(r) => r.name.clone().unwrap_or_else(|| "record".into()),
            DataType::Enum(e) => e.name.rsplit('.').next().unwrap_or_default().to_owned(),
            DataType::Array(elem) if matches!(**elem, DataType::Record(_) | DataType::Enum(_)) => {
                format!("_{}", elem.typname())
            }
            DataType::Array(elem) => format!("_{}", elem.info().typname),
            other => other.info().typname.to_owned(),
        }
    }

    /// `pg_type.typlen`: the fixed size in bytes, `-1` for variable length, `-2` for
    /// `unknown` (a C string).
    pub fn typlen(&self) -> i16 {
        self.info().typlen
    }

    /// The type with this OID and no modifier.
    pub fn from_oid(oid: u32) -> Option<DataType> {
        let scalar = |oid| {
            Some(match oid {
                16 => DataType::Bool,
                21 => DataType::Int2,
                23 => DataType::Int4,
                20 => DataType::Int8,
                26 => DataType::Oid,
                700 => DataType::Float4,
                701 => DataType::Float8,
                1700 => DataType::Numeric(None),
                25 => DataType::Text,
                1043 => DataType::Varchar(None),
                1042 => DataType::Bpchar(None),
                17 => DataType::Bytea,
                1082 => DataType::Date,
                1083 => DataType::Time(None),
                1266 => DataType::TimeTz(None),
                1114 => DataType::Timestamp(None),
                1184 => DataType::Timestamptz(None),
                1186 => DataType::Interval,
                2950 => DataType::Uuid,
                114 => DataType::Json,
                3802 => DataType::Jsonb,
                4072 => DataType::JsonPath,
                705 => DataType::Unknown,
                19 => DataType::Name,
                18 => DataType::Char,
                22 => DataType::Int2Vector,
                30 => DataType::OidVector,
                RECORD_OID => DataType::Record(Box::new(RecordType::anonymous(Vec::new()))),
                o => {
                    return RegKind::ALL
                        .into_iter()
                        .find(|k| k.oids().0 == o)
                        .map(DataType::Reg);
                }
            })
        };
        if let Some(t) = scalar(oid) {
            return Some(t);
        }
        if oid == RECORD_ARRAY_OID {
            return scalar(RECORD_OID).map(|t| DataType::Array(Box::new(t)));
        }
        [
            16, 21, 23, 20, 26, 700, 701, 1700, 25, 1043, 1042, 17, 1082, 1083, 1266, 1114, 1184,
            1186, 2950, 114, 3802, 4072, 19, 18, 22, 30,
        ]
        .into_iter()
        .filter_map(scalar)
        .chain(RegKind::ALL.into_iter().map(DataType::Reg))
        .find(|t| t.array_oid() == oid)
        .map(|t| DataType::Array(Box::new(t)))
    }

    /// PostgreSQL's typmod integer for this type (`-1` when there is none), as sent in
    /// `RowDescription` and stored in `pg_attribute.atttypmod`.
    pub fn typmod(&self) -> i32 {
        match self {
            DataType::Numeric(Some(m)) => ((m.precision << 16) | (m.scale & 0x7ff)) + 4,
            DataType::Varchar(Some(n)) | DataType::Bpchar(Some(n)) => {
                i32::try_from(*n).unwrap_or(i32::MAX - 4) + 4
            }
            DataType::Time(Some(p))
            | DataType::TimeTz(Some(p))
            | DataType::Timestamp(Some(p))
            | DataType::Timestamptz(Some(p)) => i32::from(*p),
            DataType::Array(elem) => elem.typmod(),
            _ => -1,
        }
    }

    /// The element type of an array type.
    pub fn element(&self) -> Option<&DataType> {
        match self {
            DataType::Array(e) => Some(e),
            _ => None,
        }
    }

    /// For `int2vector` and `oidvector`, the array type their values convert to where an
    /// array is expected (`smallint[]`, `oid[]`), keeping their lower bound 0.
    pub fn vector_array(&self) -> Option<DataType> {
        match self {
            DataType::Int2Vector => Some(DataType::Array(Box::new(DataType::Int2))),
            DataType::OidVector => Some(DataType::Array(Box::new(DataType::Oid))),
            _ => None,
        }
    }

    /// The same type without its modifier (`varchar(10)` → `varchar`).
    pub fn without_typmod(&self) -> DataType {
        match self {
            DataType::Numeric(_) => DataType::Numeric(None),
            DataType::Varchar(_) => DataType::Varchar(None),
            DataType::Bpchar(_) => DataType::Bpchar(None),
            DataType::Time(_) => DataType::Time(None),
            DataType::TimeTz(_) => DataType::TimeTz(None),
            DataType::Timestamp(_) => DataType::Timestamp(None),
            DataType::Timestamptz(_) => DataType::Timestamptz(None),
            DataType::Array(e) => DataType::Array(Box::new(e.without_typmod())),
            other => other.clone(),
        }
    }

    /// Whether both are the same type, ignoring modifiers. All anonymous rows are the one
    /// type `record`, as in PostgreSQL; a named composite type is itself.
    pub fn same_base(&self, other: &DataType) -> bool {
        match (self, other) {
            (DataType::Record(a), DataType::Record(b)) => {
                a.oid == b.oid && (a.is_anonymous() || a.fields == b.fields)
            }
            (DataType::Array(a), DataType::Array(b)) => a.same_base(b),
            _ => self.without_typmod() == other.without_typmod(),
        }
    }

    /// The row type, for a composite type.
    pub fn record(&self) -> Option<&RecordType> {
        match self {
            DataType::Record(r) => Some(r),
            _ => None,
        }
    }

    /// Whether the type is one of PostgreSQL's string category (`text`, `varchar`, `bpchar`).
    pub fn is_string(&self) -> bool {
        matches!(
            self,
            DataType::Text | DataType::Varchar(_) | DataType::Bpchar(_)
        )
    }

    /// The name `format_type(oid, typmod)` prints, e.g. `character varying(10)`,
    /// `numeric(10,2)`, `timestamp(3) with time zone`, `integer[]`.
    pub fn format_type(&self) -> String {
        match self {
            DataType::Bool => "boolean".into(),
            DataType::Int2 => "smallint".into(),
            DataType::Int4 => "integer".into(),
            DataType::Int8 => "bigint".into(),
            DataType::Oid => "oid".into(),
            DataType::Float4 => "real".into(),
            DataType::Float8 => "double precision".into(),
            DataType::Numeric(None) => "numeric".into(),
            DataType::Numeric(Some(m)) => format!("numeric({},{})", m.precision, m.scale),
            DataType::Text => "text".into(),
            DataType::Varchar(None) => "character varying".into(),
            DataType::Varchar(Some(n)) => format!("character varying({n})"),
            DataType::Bpchar(None) => "bpchar".into(),
            DataType::Bpchar(Some(n)) => format!("character({n})"),
            DataType::Bytea => "bytea".into(),
            DataType::Date => "date".into(),
            DataType::Time(p) => format!("time{} without time zone", precision_suffix(*p)),
            DataType::TimeTz(p) => format!("time{} with time zone", precision_suffix(*p)),
            DataType::Timestamp(p) => {
                format!("timestamp{} without time zone", precision_suffix(*p))
            }
            DataType::Timestamptz(p) => format!("timestamp{} with time zone", precision_suffix(*p)),
            DataType::Interval => "interval".into(),
            DataType::Uuid => "uuid".into(),
            DataType::Json => "json".into(),
            DataType::Jsonb => "jsonb".into(),
            DataType::JsonPath => "jsonpath".into(),
            DataType::Reg(k) => k.name().into(),
            DataType::Array(e) => format!("{}[]", e.format_type()),
            DataType::Unknown => "unknown".into(),
            DataType::Record(r) => r.name.clone().unwrap_or_else(|| "record".into()),
            DataType::Name => "name".into(),
            DataType::Char => "\"char\"".into(),
            DataType::Int2Vector => "int2vector".into(),
            DataType::OidVector => "oidvector".into(),
            DataType::Enum(e) => e.name.clone(),
            DataType::Pseudo(p) => p.name().into(),
        }
    }

    /// The type name used in input error messages (`invalid input syntax for type X`):
    /// `format_type` without the modifier.
    pub fn error_name(&self) -> String {
        match self {
            DataType::Bpchar(_) => "character".into(),
            other => other.without_typmod().format_type(),
        }
    }

    /// Looks a type up by one of its SQL names or aliases and applies the modifiers written
    /// after it, as the grammar does: `from_name("varchar", &[10])` is `varchar(10)`,
    /// `from_name("char", &[])` is `char(1)`, `from_name("float", &[20])` is `real`.
    /// A name ending in `[]` or starting with `_` is an array type.
    pub fn from_name(name: &str, typmods: &[i32]) -> TypeResult<DataType> {
        let lower = name.trim().to_ascii_lowercase();
        let collapsed = lower.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Some(elem) = collapsed.strip_suffix("[]") {
            let elem = elem.trim_end();
            let elem = elem.strip_suffix("[]").map(str::trim_end).unwrap_or(elem);
            let inner = DataType::from_name(elem, typmods)?;
            return Ok(match inner {
                DataType::Array(_) => inner,
                other => DataType::Array(Box::new(other)),
            });
        }
        if let Some(elem) = collapsed.strip_prefix('_') {
            // `_char` is `"char"[]` (the unquoted `char` of SQL is `bpchar`).
            let elem = if elem == "char" { "\"char\"" } else { elem };
            let inner = DataType::from_name(elem, typmods)?;
            if !matches!(inner, DataType::Array(_) | DataType::Unknown) {
                return Ok(DataType::Array(Box::new(inner)));
            }
        }
        let no_mods = |t: DataType| -> TypeResult<DataType> {
            if typmods.is_empty() {
                Ok(t)
            } else {
                Err(TypeError::new(
                    codes::SYNTAX_ERROR,
                    format!("type modifier is not allowed for type \"{}\"", t.typname()),
                ))
            }
        };
        match collapsed.as_str() {
            "bool" | "boolean" => no_mods(DataType::Bool),
            "int2" | "smallint" => no_mods(DataType::Int2),
            "int" | "int4" | "integer" => no_mods(DataType::Int4),
            "int8" | "bigint" => no_mods(DataType::Int8),
            "oid" => no_mods(DataType::Oid),
            "float4" | "real" => no_mods(DataType::Float4),
            "float8" | "double precision" => no_mods(DataType::Float8),
            "float" => match typmods {
                [] => Ok(DataType::Float8),
                [p] if *p < 1 => Err(TypeError::new(
                    codes::INVALID_PARAMETER_VALUE,
                    "precision for type float must be at least 1 bit",
                )),
                [p] if *p <= 24 => Ok(DataType::Float4),
                [p] if *p <= 53 => Ok(DataType::Float8),
                [_] => Err(TypeError::new(
                    codes::INVALID_PARAMETER_VALUE,
                    "precision for type float must be less than 54 bits",
                )),
                _ => Err(TypeError::new(
                    codes::SYNTAX_ERROR,
                    "syntax error at or near \",\"",
                )),
            },
            "numeric" | "decimal" | "dec" => numeric_typmod(typmods).map(DataType::Numeric),
            "text" => no_mods(DataType::Text),
            "varchar" | "character varying" | "char varying" => {
                char_typmod("varchar", typmods).map(DataType::Varchar)
            }
            "char" | "character" => {
                char_typmod("bpchar", typmods).map(|n| DataType::Bpchar(Some(n.unwrap_or(1))))
            }
            "bpchar" => char_typmod("bpchar", typmods).map(DataType::Bpchar),
            "bytea" => no_mods(DataType::Bytea),
            "date" => no_mods(DataType::Date),
            "time" | "time without time zone" => time_typmod("TIME", typmods).map(DataType::Time),
            "timetz" | "time with time zone" => time_typmod("TIME", typmods).map(DataType::TimeTz),
            "timestamp" | "timestamp without time zone" => {
                time_typmod("TIMESTAMP", typmods).map(DataType::Timestamp)
            }
            "timestamptz" | "timestamp with time zone" => {
                time_typmod("TIMESTAMP", typmods).map(DataType::Timestamptz)
            }
            "interval" => no_mods(DataType::Interval),
            "uuid" => no_mods(DataType::Uuid),
            "json" => no_mods(DataType::Json),
            "jsonb" => no_mods(DataType::Jsonb),
            "jsonpath" => no_mods(DataType::JsonPath),
            "unknown" => no_mods(DataType::Unknown),
            "name" => no_mods(DataType::Name),
            // The quoted `"char"`; SQL's unquoted `char` is `character(1)` above.
            "\"char\"" => no_mods(DataType::Char),
            "int2vector" => no_mods(DataType::Int2Vector),
            "oidvector" => no_mods(DataType::OidVector),
            "record" => no_mods(DataType::Record(Box::new(
                RecordType::anonymous(Vec::new()),
            ))),
            other => match RegKind::ALL.into_iter().find(|k| k.name() == other) {
                Some(k) => no_mods(DataType::Reg(k)),
                None => Err(TypeError::new(
                    codes::UNDEFINED_OBJECT,
                    format!("type \"{}\" does not exist", name.trim()),
                )),
            },
        }
    }

    /// Parses a whole type name with modifiers, as `format_type` prints it or as written in
    /// SQL: `numeric(10,2)`, `character varying(5)[]`, `timestamp(3) with time zone`, `int[]`.
    pub fn parse(text: &str) -> TypeResult<DataType> {
        let t = text.trim();
        let (body, array) = match t.strip_suffix("[]") {
            Some(b) => (
                b.trim_end().strip_suffix("[]").unwrap_or(b).trim_end(),
                true,
            ),
            None => (t, false),
        };
        let mut base = String::new();
        let mut mods = Vec::new();
        let mut rest = body;
        while let Some(open) = rest.find('(') {
            base.push_str(&rest[..open]);
            let Some(close) = rest[open..].find(')') else {
                return Err(TypeError::new(
                    codes::SYNTAX_ERROR,
                    format!("syntax error in type name \"{t}\""),
                ));
            };
            for m in rest[open + 1..open + close].split(',') {
                let v = m.trim().parse::<i32>().map_err(|_| {
                    TypeError::new(
                        codes::SYNTAX_ERROR,
                        format!("syntax error in type name \"{t}\""),
                    )
                })?;
                mods.push(v);
            }
            rest = &rest[open + close + 1..];
        }
        base.push_str(rest);
        let dt = DataType::from_name(&base, &mods)?;
        Ok(if array && !matches!(dt, DataType::Array(_)) {
            DataType::Array(Box::new(dt))
        } else {
            dt
        })
    }
}

fn precision_suffix(p: Option<u8>) -> String {
    p.map(|p| format!("({p})")).unwrap_or_default()
}

fn numeric_typmod(typmods: &[i32]) -> TypeResult<Option<NumericTypmod>> {
    let (precision, scale) = match typmods {
        [] => return Ok(None),
        [p] => (*p, 0),
        [p, s] => (*p, *s),
        _ => {
            return Err(TypeError::new(
                codes::INVALID_PARAMETER_VALUE,
                "invalid NUMERIC type modifier",
            ));
        }
    };
    if !(1..=NUMERIC_MAX_PRECISION).contains(&precision) {
        return Err(TypeError::new(
            codes::INVALID_PARAMETER_VALUE,
            format!("NUMERIC precision {precision} must be between 1 and {NUMERIC_MAX_PRECISION}"),
        ));
    }
    if !(NUMERIC_MIN_SCALE..=NUMERIC_MAX_SCALE).contains(&scale) {
        return Err(TypeError::new(
            codes::INVALID_PARAMETER_VALUE,
            format!(
                "NUMERIC scale {scale} must be between {NUMERIC_MIN_SCALE} and {NUMERIC_MAX_SCALE}"
            ),
        ));
    }
    Ok(Some(NumericTypmod { precision, scale }))
}

fn char_typmod(name: &str, typmods: &[i32]) -> TypeResult<Option<u32>> {
    match typmods {
        [] => Ok(None),
        [n] if *n < 1 => Err(TypeError::new(
            codes::INVALID_PARAMETER_VALUE,
            format!("length for type {name} must be at least 1"),
        )),
        [n] => match u32::try_from(*n) {
            Ok(n) if n <= MAX_CHAR_LENGTH => Ok(Some(n)),
            _ => Err(TypeError::new(
                codes::INVALID_PARAMETER_VALUE,
                format!("length for type {name} cannot exceed {MAX_CHAR_LENGTH}"),
            )),
        },
        _ => Err(TypeError::new(
            codes::SYNTAX_ERROR,
            format!("invalid type modifier for type {name}"),
        )),
    }
}

fn time_typmod(name: &str, typmods: &[i32]) -> TypeResult<Option<u8>> {
    match typmods {
        [] => Ok(None),
        [p] if *p < 0 => Err(TypeError::new(
            codes::INVALID_PARAMETER_VALUE,
            format!("{name}({p}) precision must not be negative"),
        )),
        // PostgreSQL warns and clamps precisions above 6.
        [p] => Ok(Some(
            u8::try_from((*p).min(i32::from(MAX_TIME_PRECISION))).unwrap_or(MAX_TIME_PRECISION),
        )),
        _ => Err(TypeError::new(codes::SYNTAX_ERROR, "invalid type modifier")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_and_names() {
        assert_eq!(DataType::Int4.oid(), 23);
        assert_eq!(DataType::Array(Box::new(DataType::Text)).oid(), 1009);
        assert_eq!(
            DataType::from_oid(1007),
            Some(DataType::Array(Box::new(DataType::Int4)))
        );
        assert_eq!(
            DataType::parse("numeric(10,2)").unwrap().format_type(),
            "numeric(10,2)"
        );
        assert_eq!(
            DataType::parse("varchar(10)").unwrap().format_type(),
            "character varying(10)"
        );
        assert_eq!(
            DataType::parse("char").unwrap().format_type(),
            "character(1)"
        );
        assert_eq!(DataType::parse("int[]").unwrap().format_type(), "integer[]");
        assert_eq!(DataType::parse("_int4").unwrap().format_type(), "integer[]");
        assert_eq!(
            DataType::parse("timestamp(3) with time zone")
                .unwrap()
                .format_type(),
            "timestamp(3) with time zone"
        );
        assert_eq!(DataType::parse("float(10)").unwrap(), DataType::Float4);
        assert_eq!(DataType::parse("numeric(10,2)").unwrap().typmod(), 655366);
        // The catalog types round-trip through the names format_type prints.
        for t in [
            DataType::Name,
            DataType::Char,
            DataType::Int2Vector,
            DataType::OidVector,
            DataType::Oid,
            DataType::Array(Box::new(DataType::Oid)),
            DataType::Array(Box::new(DataType::Char)),
            DataType::Array(Box::new(DataType::Name)),
        ] {
            assert_eq!(DataType::parse(&t.format_type()).unwrap(), t);
            assert_eq!(DataType::from_oid(t.oid()), Some(t));
        }
        assert_eq!(
            DataType::parse("_char").unwrap().format_type(),
            "\"char\"[]"
        );
        assert_eq!(DataType::Name.typlen(), 64);
        assert_eq!(DataType::parse("nope").unwrap_err().code(), "42704");
        assert_eq!(DataType::parse("varchar(0)").unwrap_err().code(), "22023");
    }
}
