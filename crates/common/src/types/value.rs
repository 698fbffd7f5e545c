//! [`Value`]: one SQL value of any supported type, with PostgreSQL's total order, equality
//! and a hash consistent with that equality.
//!
//! A value does not carry its full type: `text`, `varchar(n)` and `unknown` literals all hold
//! [`Value::Text`], and modifiers live in the [`DataType`] of the column or expression.
//! What the value must know to compare and print itself correctly is kept: `char(n)` values
//! are [`Value::Bpchar`] (trailing spaces are insignificant when comparing) and arrays carry
//! their element type.
//!
//! # Order and equality
//!
//! [`Ord`] is the order of PostgreSQL's default b-tree operator class of each type, with the
//! `"C"` collation for strings; [`PartialEq`] and [`Hash`] agree with it:
//!
//! - floats: `-0 = 0`, `NaN = NaN`, and `NaN` is greater than every other value;
//! - `numeric`: by value (`1.0 = 1.00`), `NaN` greatest;
//! - `char(n)`: trailing spaces ignored; `text`/`varchar`/`bytea`/`uuid`: byte-wise;
//! - `interval`: by total span with 30-day months (`1 mon = 30 days`);
//! - `timetz`: by the UTC time (time minus offset), then by zone, the one further west
//!   first (`timetz_cmp`): `12:00+02 < 10:00+00 < 09:00-01`;
//! - arrays: element by element (a NULL element is greater than any value), then the
//!   number of elements, of dimensions, the dimensions' lengths and lower bounds;
//!   `oidvector` by length first, then element by element (`btoidvectorcmp`);
//! - `"char"`: the byte, unsigned;
//! - enums: by the label's sort order (declaration order, see [`super::enums`]);
//! - `jsonb`: see [`super::json`]. `json` has no order in PostgreSQL; here its text is
//!   compared byte-wise so that [`Ord`] stays total.
//!
//! NULL sorts after every value (ascending `NULLS LAST`) and equals NULL *for sorting and
//! grouping*; SQL's three-valued `=` is the executor's business. Values of different types
//! order by a fixed type rank: the binder never compares them, but the order stays total.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use std::sync::Arc;

use super::datatype::{DataType, RegKind};
use super::interval::Interval;
use super::json::Jsonb;
use super::numeric::Numeric;
use super::record::{RecordType, RecordValue};

/// One SQL value.
#[derive(Debug, Clone)]
pub enum Value {
    /// SQL NULL (of any type).
    Null,
    /// `boolean`.
    Bool(bool),
    /// `smallint`.
    Int2(i16),
    /// `integer`.
    Int4(i32),
    /// `bigint`.
    Int8(i64),
    /// `oid`: unsigned, compared as such.
    Oid(u32),
    /// `real`.
    Float4(f32),
    /// `double precision`.
    Float8(f64),
    /// `numeric`.
    Numeric(Numeric),
    /// `text`, `varchar` and untyped literals.
    Text(String),
    /// `char(n)`, stored padded with spaces to its length.
    Bpchar(String),
    /// `bytea`.
    Bytea(Vec<u8>),
    /// `date`: days since 2000-01-01 (see [`super::datetime`]).
    Date(i32),
    /// `time`: microseconds since midnight.
    Time(i64),
    /// `timetz`: microseconds since midnight (local to the zone, `0..=24h`) and the zone's
    /// offset in seconds east of UTC (PostgreSQL stores it west; it prints east).
    TimeTz(i64, i32),
    /// `timestamp`: microseconds since 2000-01-01 00:00:00.
    Timestamp(i64),
    /// `timestamptz`: microseconds since 2000-01-01 00:00:00 UTC.
    Timestamptz(i64),
    /// `interval`.
    Interval(Interval),
    /// `uuid`.
    Uuid([u8; 16]),
    /// `json`: the text as it was given.
    Json(String),
    /// `jsonb`.
    Jsonb(Jsonb),
    /// An array of any number of dimensions.
    Array(Box<ArrayValue>),
    /// A composite value (a row).
    Record(Box<RecordValue>),
    /// A value of an object-identifier alias type: the OID and the name it printed as when
    /// the value was made (resolved against the statement's catalog). Compares by OID.
    Reg(RegKind, u32, Arc<str>),
    /// `jsonpath`.
    JsonPath(Arc<super::jsonpath::JsonPath>),
    /// `"char"`: one byte, compared unsigned; 0 is the empty string.
    Char(u8),
    /// A value of an enum type.
    Enum(super::enums::EnumValue),
}

/// PostgreSQL's `MAXDIM`: arrays have at most six dimensions.
pub const MAX_ARRAY_DIMS: usize = 6;

/// One dimension of an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArrayDim {
    /// The first subscript (1 unless given as `[0:2]={...}`).
    pub lower: i32,
    /// The number of subscripts.
    pub len: usize,
}

/// An array value: its elements in row-major order and its dimensions.
///
/// Invariant: the product of the dimensions' lengths is the number of elements, and an
/// empty array has no dimensions (PostgreSQL's `{}` has `ndims = 0`), except an empty
/// vector and the arrays cast from it (one dimension of length 0, as PostgreSQL's).
#[derive(Debug, Clone)]
pub struct ArrayValue {
    /// The element type.
    pub element_type: DataType,
    /// The elements; NULL elements are [`Value::Null`].
    pub elements: Vec<Value>,
    /// The dimensions, outermost first.
    pub dims: Vec<ArrayDim>,
    /// An `int2vector` / `oidvector` (element type `smallint` / `bigint`): one dimension
    /// with lower bound 0 (length 0 when empty, as PostgreSQL's), printed space-separated.
    /// Arrays made from it by casts and functions are plain arrays.
    pub vector: bool,
}

impl ArrayValue {
    /// Whether the array has the shape [`Value::array`] gives: no dimension, or one with
    /// lower bound 1.
    pub fn is_plain(&self) -> bool {
        match self.dims.as_slice() {
            [] => true,
            [d] => d.lower == 1,
            _ => false,
        }
    }

    /// The number of elements of a sub-array one level down (`1` for a one-dimensional
    /// array).
    pub fn stride(&self) -> usize {
        self.dims.iter().skip(1).map(|d| d.len).product()
    }
}

impl Value {
    /// Whether this is NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// A one-dimensional array value with lower bound 1.
    pub fn array(element_type: DataType, elements: Vec<Value>) -> Value {
        let dims = if elements.is_empty() {
            Vec::new()
        } else {
            vec![ArrayDim {
                lower: 1,
                len: elements.len(),
            }]
        };
        Value::Array(Box::new(ArrayValue {
            element_type,
            elements,
            dims,
            vector: false,
        }))
    }

    /// An `int2vector` (elements [`Value::Int2`]) or `oidvector` ([`Value::Oid`]) value.
    pub fn vector(element_type: DataType, elements: Vec<Value>) -> Value {
        let dims = vec![ArrayDim {
            lower: 0,
            len: elements.len(),
        }];
        Value::Array(Box::new(ArrayValue {
            element_type,
            elements,
            dims,
            vector: true,
        }))
    }

    /// An array of the given shape; `None` when the lengths do not multiply to the number
    /// of elements. No elements make the empty array, whatever the shape.
    pub fn array_with_dims(
        element_type: DataType,
        elements: Vec<Value>,
        dims: Vec<ArrayDim>,
    ) -> Option<Value> {
        let dims = if elements.is_empty() {
            Vec::new()
        } else {
            dims
        };
        let count = dims.iter().try_fold(1usize, |n, d| n.checked_mul(d.len))?;
        if !elements.is_empty() && count != elements.len() {
            return None;
        }
        Some(Value::Array(Box::new(ArrayValue {
            element_type,
            elements,
            dims,
            vector: false,
        })))
    }

    /// The type this value naturally has, without modifiers (`None` for NULL). `Text`
    /// answers `text`, `Bpchar` answers `bpchar`.
    pub fn data_type(&self) -> Option<DataType> {
        Some(match self {
            Value::Null => return None,
            Value::Bool(_) => DataType::Bool,
            Value::Int2(_) => DataType::Int2,
            Value::Int4(_) => DataType::Int4,
            Value::Int8(_) => DataType::Int8,
            Value::Float4(_) => DataType::Float4,
            Value::Float8(_) => DataType::Float8,
            Value::Numeric(_) => DataType::Numeric(None),
            Value::Text(_) => DataType::Text,
            Value::Bpchar(_) => DataType::Bpchar(None),
            Value::Bytea(_) => DataType::Bytea,
            Value::Date(_) => DataType::Date,
            Value::Time(_) => DataType::Time(None),
            Value::TimeTz(..) => DataType::TimeTz(None),
            Value::Timestamp(_) => DataType::Timestamp(None),
            Value::Timestamptz(_) => DataType::Timestamptz(None),
            Value::Interval(_) => DataType::Interval,
            Value::Uuid(_) => DataType::Uuid,
            Value::Json(_) => DataType::Json,
            Value::Jsonb(_) => DataType::Jsonb,
            Value::Array(a) if a.vector => match a.element_type {
                DataType::Int2 => DataType::Int2Vector,
                _ => DataType::OidVector,
            },
            Value::Array(a) => DataType::Array(Box::new(a.element_type.clone())),
            Value::Record(r) => DataType::Record(Box::new(RecordType::named_fields(
                r.names
                    .iter()
                    .zip(&r.fields)
                    .map(|(n, v)| (n.clone(), v.data_type().unwrap_or(DataType::Unknown)))
                    .collect(),
            ))),
            Value::Reg(k, _, _) => DataType::Reg(*k),
            Value::Oid(_) => DataType::Oid,
            Value::JsonPath(_) => DataType::JsonPath,
            Value::Char(_) => DataType::Char,
            Value::Enum(e) => DataType::Enum(Arc::new(super::enums::EnumType::by_oid(e.type_oid))),
        })
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Bool(_) => 0,
            Value::Int2(_) => 1,
            Value::Int4(_) => 2,
            Value::Int8(_) => 3,
            Value::Float4(_) => 4,
            Value::Float8(_) => 5,
            Value::Numeric(_) => 6,
            Value::Text(_) => 7,
            Value::Bpchar(_) => 8,
            Value::Bytea(_) => 9,
            Value::Date(_) => 10,
            Value::Time(_) => 11,
            Value::Timestamp(_) => 12,
            Value::Timestamptz(_) => 13,
            Value::Interval(_) => 14,
            Value::Uuid(_) => 15,
            Value::Json(_) => 16,
            Value::Jsonb(_) => 17,
            Value::Array(_) => 18,
            Value::Record(_) => 19,
            Value::Reg(..) => 20,
            Value::JsonPath(_) => 21,
            Value::Char(_) => 22,
            Value::Enum(_) => 23,
            Value::TimeTz(..) => 24,
            Value::Oid(_) => 25,
            Value::Null => 255,
        }
    }
}

/// PostgreSQL's float order: `NaN` equal to itself and above everything, `-0 = 0`.
pub fn cmp_f64(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

fn float_hash_bits(v: f64) -> u64 {
    if v.is_nan() {
        0x7FF8_0000_0000_0000
    } else if v == 0.0 {
        0
    } else {
        v.to_bits()
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        use Value::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Bool(a), Bool(b)) => a.cmp(b),
            (Int2(a), Int2(b)) => a.cmp(b),
            (Int4(a), Int4(b)) => a.cmp(b),
            (Int8(a), Int8(b)) => a.cmp(b),
            (Float4(a), Float4(b)) => cmp_f64(f64::from(*a), f64::from(*b)),
            (Float8(a), Float8(b)) => cmp_f64(*a, *b),
            (Numeric(a), Numeric(b)) => a.cmp(b),
            (Text(a), Text(b)) | (Json(a), Json(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Bpchar(a), Bpchar(b)) => a
                .trim_end_matches(' ')
                .as_bytes()
                .cmp(b.trim_end_matches(' ').as_bytes()),
            (Bytea(a), Bytea(b)) => a.cmp(b),
            (Date(a), Date(b)) => a.cmp(b),
            (Time(a), Time(b))
            | (Timestamp(a), Timestamp(b))
            | (Timestamptz(a), Timestamptz(b)) => a.cmp(b),
            (Interval(a), Interval(b)) => a.cmp(b),
            (TimeTz(ta, za), TimeTz(tb, zb)) => {
                let utc = |t: &i64, z: &i32| i128::from(*t) - i128::from(*z) * 1_000_000;
                utc(ta, za).cmp(&utc(tb, zb)).then(zb.cmp(za))
            }
            (Uuid(a), Uuid(b)) => a.cmp(b),
            (Jsonb(a), Jsonb(b)) => a.cmp(b),
            (Reg(_, a, _), Reg(_, b, _)) | (Oid(a), Oid(b)) => a.cmp(b),
            (Char(a), Char(b)) => a.cmp(b),
            // oidvector's own order (`btoidvectorcmp`): the shorter first, then by element.
            (Array(a), Array(b)) if a.vector && b.vector && a.element_type == DataType::Oid => a
                .elements
                .len()
                .cmp(&b.elements.len())
                .then_with(|| a.elements.cmp(&b.elements)),
            (Enum(a), Enum(b)) => a.cmp(b),
            // No order in PostgreSQL; the canonical text keeps Ord total.
            (JsonPath(a), JsonPath(b)) => a.to_text().cmp(&b.to_text()),
            (Array(a), Array(b)) => {
                for (x, y) in a.elements.iter().zip(&b.elements) {
                    let o = x.cmp(y);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                // Then PostgreSQL's tie-breakers: element count, dimension count, lengths,
                // lower bounds.
                a.elements
                    .len()
                    .cmp(&b.elements.len())
                    .then(a.dims.len().cmp(&b.dims.len()))
                    .then_with(|| {
                        let lens =
                            |x: &ArrayValue| x.dims.iter().map(|d| d.len).collect::<Vec<_>>();
                        lens(a).cmp(&lens(b))
                    })
                    .then_with(|| {
                        let lows =
                            |x: &ArrayValue| x.dims.iter().map(|d| d.lower).collect::<Vec<_>>();
                        lows(a).cmp(&lows(b))
                    })
            }
            // Records: field by field (a NULL field equals NULL and sorts after values, as
            // PostgreSQL's `record_cmp`), then the number of fields.
            (Record(a), Record(b)) => a
                .fields
                .iter()
                .zip(&b.fields)
                .map(|(x, y)| x.cmp(y))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or_else(|| a.fields.len().cmp(&b.fields.len())),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }
}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.rank().hash(state);
        match self {
            Value::Null => {}
            Value::Bool(v) => v.hash(state),
            Value::Int2(v) => v.hash(state),
            Value::Int4(v) => v.hash(state),
            Value::Int8(v) => v.hash(state),
            Value::Float4(v) => float_hash_bits(f64::from(*v)).hash(state),
            Value::Float8(v) => float_hash_bits(*v).hash(state),
            Value::Numeric(v) => v.hash(state),
            Value::Text(v) | Value::Json(v) => v.as_bytes().hash(state),
            Value::Bpchar(v) => v.trim_end_matches(' ').as_bytes().hash(state),
            Value::Bytea(v) => v.hash(state),
            Value::Date(v) => v.hash(state),
            Value::Time(v) | Value::Timestamp(v) | Value::Timestamptz(v) => v.hash(state),
            Value::Interval(v) => v.hash(state),
            Value::TimeTz(t, z) => (t, z).hash(state),
            Value::Uuid(v) => v.hash(state),
            Value::Jsonb(v) => v.hash(state),
            Value::Array(a) => {
                a.elements.len().hash(state);
                for e in &a.elements {
                    e.hash(state);
                }
                a.dims.hash(state);
            }
            Value::Record(r) => {
                r.fields.len().hash(state);
                for f in &r.fields {
                    f.hash(state);
                }
            }
            Value::Reg(_, o, _) | Value::Oid(o) => o.hash(state),
            Value::JsonPath(p) => p.to_text().hash(state),
            Value::Char(c) => c.hash(state),
            Value::Enum(e) => e.hash(state),
        }
    }
}
