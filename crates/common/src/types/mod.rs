//! PostgreSQL 15's data types and values: names and OIDs, text input and output, casts,
//! comparison, hashing, arithmetic and index keys.
//!
//! # Map
//!
//! - [`datatype`]: [`DataType`], the supported types with their OIDs, `format_type` names,
//!   `typlen`, modifiers and name lookup (`int`, `varchar(10)`, `timestamptz`, `int[]`...).
//! - [`value`]: [`Value`], one value of any type, with PostgreSQL's b-tree order, equality and
//!   a consistent hash.
//! - [`text`]: [`parse_text`] and [`format_text`], the input and output functions
//!   (`DateStyle = ISO, MDY`, `IntervalStyle = postgres`, `extra_float_digits = 1`,
//!   `bytea_output = hex`, the session time zone from [`TypeContext`]).
//! - [`numeric`]: [`Numeric`], our arbitrary-precision decimal (on the private `bigint` module's base-10⁹
//!   magnitudes).
//! - [`scalar`], [`datetime`], [`interval`], [`json`], [`array`](mod@array): the I/O of each family.
//! - [`cast`](mod@cast): [`cast()`](cast::cast) and the cast table ([`cast_context`]) for the binder.
//! - [`arith`](mod@arith): integer, float, numeric and interval arithmetic with PostgreSQL's errors.
//! - [`catalog`](mod@catalog): `name`, `"char"`, `int2vector` and `oidvector`.
//! - [`enums`]: [`EnumType`] and [`EnumValue`], user-defined enum types.
//! - [`record`]: [`RecordType`] and [`RecordValue`], composite types and their text I/O.
//! - [`binary`]: [`binary::encode`] and [`binary::decode`], the binary send/receive format.
//! - [`key`]: [`to_key_value`], the order-preserving mapping to [`crate::keycode`] keys.
//! - [`tz`]: time zones of the tz database (TZif files and POSIX `TZ` strings).
//! - [`error`]: [`TypeError`], carrying the SQLSTATE and PostgreSQL's message text.
//!
//! # Invariants
//!
//! 1. No input makes any function here panic; bad input is a [`TypeError`] with PostgreSQL's
//!    SQLSTATE and message (proptests feed random strings to every input function).
//! 2. `parse_text(format_text(v)) == v` for every value `v` (text round trip).
//! 3. `a == b` implies `hash(a) == hash(b)`, and `a.cmp(b)` equals the order of
//!    `to_key_value(a)` and `to_key_value(b)` encoded by [`crate::keycode`].
//! 4. The expected outputs in `tests/data/types_pg.tsv` come from a real PostgreSQL 15
//!    (`scripts/pg-check-types.sh` regenerates and checks them).

mod bigint;

pub mod arith;
pub mod array;
pub mod binary;
pub mod cast;
pub mod catalog;
pub mod datatype;
pub mod datetime;
pub mod enums;
pub mod error;
pub mod interval;
pub mod json;
pub mod jsonpath;
pub mod key;
pub mod numeric;
pub mod record;
pub mod scalar;
pub mod text;
pub mod tz;
pub mod value;

pub use arith::{ArithOp, arith};
pub use cast::{CastContext, cast, cast_context, cast_owned};
pub use datatype::{DataType, NumericTypmod, Pseudo, RegKind};
pub use datetime::{DateOrder, DateOutput, IntervalStyle, OutputStyle, TimeZone, TypeContext};
pub use enums::{EnumLabel, EnumType, EnumValue};
pub use error::{TypeError, TypeErrorKind, TypeResult};
pub use interval::Interval;
pub use json::Jsonb;
pub use key::to_key_value;
pub use numeric::Numeric;
pub use record::{RecordType, RecordValue};
pub use text::{format_text, parse_text};
pub use value::{ArrayDim, ArrayValue, MAX_ARRAY_DIMS, Value};
