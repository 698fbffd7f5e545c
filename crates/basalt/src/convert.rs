//! Conversions between Rust values and SQL values ([`Value`]).
//!
//! - [`ToSql`] turns a Rust value into a parameter. The SQL engine types a parameter from where
//!   it is used (`WHERE id = $1` makes `$1` the type of `id`) and casts the value to it, so an
//!   `i64` can be bound where an `integer` is expected; a value that does not fit fails with
//!   PostgreSQL's error (22003) at execution.
//! - [`FromSql`] reads a column value as a Rust type. Conversions that cannot lose information
//!   are allowed (an `integer` read as `i64`); narrowing checks the range and fails with
//!   [`FromSqlError::OutOfRange`]; reading NULL needs `Option<T>`. `f64` also reads integers
//!   and `numeric` (rounding to the nearest double), `i64` reads a `numeric` that is a whole
//!   number (what `sum(bigint)` returns), and `String` reads any type through PostgreSQL's
//!   output function (with `TimeZone = UTC`: a `timestamptz` is shown in UTC).
//! - [`Params`] is what the `params` argument of [`crate::Connection::execute`] and friends
//!   accepts: `()` for none, the [`params!`](crate::params) macro, arrays, slices and vectors of
//!   one `ToSql` type (`[1, 2]`, `&[Value]`), and tuples of up to twelve `ToSql` values.

use basalt_common::types::{Numeric, TypeContext, Value, format_text};

use crate::error::FromSqlError;

/// A Rust value that can be passed as a SQL parameter (`$1`, `$2`, ...).
///
/// The SQL engine types a parameter from where it is used (`WHERE id = $1` makes `$1` the type
/// of `id`) and casts the value to it, so an `i64` can be bound where an `integer` is expected;
/// a value that does not fit fails with PostgreSQL's error (22003) at execution. `Option<T>`
/// binds NULL for `None`.
///
/// ```
/// use basalt::{ToSql, Value};
/// assert_eq!(42i32.to_sql(), Value::Int4(42));
/// assert_eq!(Some("x").to_sql(), Value::Text("x".into()));
/// assert_eq!(None::<i64>.to_sql(), Value::Null);
/// ```
pub trait ToSql {
    /// The SQL value.
    fn to_sql(&self) -> Value;
}

impl<T: ToSql + ?Sized> ToSql for &T {
    fn to_sql(&self) -> Value {
        (**self).to_sql()
    }
}

impl<T: ToSql> ToSql for Option<T> {
    fn to_sql(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToSql::to_sql)
    }
}

impl<T: ToSql + ?Sized> ToSql for Box<T> {
    fn to_sql(&self) -> Value {
        (**self).to_sql()
    }
}

impl ToSql for Value {
    fn to_sql(&self) -> Value {
        self.clone()
    }
}

macro_rules! to_sql {
    ($($t:ty => |$v:ident| $e:expr;)*) => {
        $(impl ToSql for $t {
            fn to_sql(&self) -> Value {
                let $v = self;
                $e
            }
        })*
    };
}

to_sql! {
    bool => |v| Value::Bool(*v);
    i8 => |v| Value::Int2(i16::from(*v));
    i16 => |v| Value::Int2(*v);
    i32 => |v| Value::Int4(*v);
    i64 => |v| Value::Int8(*v);
    u8 => |v| Value::Int2(i16::from(*v));
    u16 => |v| Value::Int4(i32::from(*v));
    u32 => |v| Value::Int8(i64::from(*v));
    f32 => |v| Value::Float4(*v);
    f64 => |v| Value::Float8(*v);
    Numeric => |v| Value::Numeric(v.clone());
    str => |v| Value::Text(v.to_string());
    String => |v| Value::Text(v.clone());
    [u8] => |v| Value::Bytea(v.to_vec());
    Vec<u8> => |v| Value::Bytea(v.clone());
}

/// A Rust type a SQL value can be read as.
///
/// Conversions that cannot lose information are allowed (an `integer` read as `i64`);
/// narrowing checks the range and fails with [`FromSqlError::OutOfRange`]; reading NULL needs
/// `Option<T>` ([`FromSqlError::UnexpectedNull`] otherwise). `f64` also reads integers and
/// `numeric` (rounding to the nearest double), `i64` reads a `numeric` that is a whole number
/// (what `sum(bigint)` returns), and `String` reads any type through PostgreSQL's output
/// function (with `TimeZone = UTC`: a `timestamptz` is shown in UTC).
///
/// The lifetime lets borrowed types (`&str`, `&[u8]`, `&Value`) point into the row.
///
/// ```
/// use basalt::{FromSql, Value};
/// assert_eq!(i64::from_sql(&Value::Int4(7))?, 7);
/// assert_eq!(<&str>::from_sql(&Value::Text("hi".into()))?, "hi");
/// assert_eq!(Option::<bool>::from_sql(&Value::Null)?, None);
/// # Ok::<(), basalt::FromSqlError>(())
/// ```
pub trait FromSql<'a>: Sized {
    /// Converts `value`.
    fn from_sql(value: &'a Value) -> Result<Self, FromSqlError>;
}

fn mismatch<T>(expected: &'static str, value: &Value) -> Result<T, FromSqlError> {
    Err(match value {
        Value::Null => FromSqlError::UnexpectedNull,
        v => FromSqlError::invalid_type(expected, v.data_type()),
    })
}

fn out_of_range<T>(expected: &'static str, value: impl ToString) -> Result<T, FromSqlError> {
    Err(FromSqlError::OutOfRange {
        expected,
        value: value.to_string(),
    })
}

impl<'a, T: FromSql<'a>> FromSql<'a> for Option<T> {
    fn from_sql(value: &'a Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Null => Ok(None),
            v => T::from_sql(v).map(Some),
        }
    }
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(value: &'a Value) -> Result<Self, FromSqlError> {
        Ok(value.clone())
    }
}

impl<'a> FromSql<'a> for &'a Value {
    fn from_sql(value: &'a Value) -> Result<Self, FromSqlError> {
        Ok(value)
    }
}

impl<'a> FromSql<'a> for bool {
    fn from_sql(value: &'a Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Bool(b) => Ok(*b),
            v => mismatch("bool", v),
        }
    }
}

/// An integer value widened to i64, or `None` if the value is no integer.
fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Int2(v) => Some(i64::from(*v)),
        Value::Int4(v) => Some(i64::from(*v)),
        Value::Int8(v) => Some(*v),
        _ => None,
    }
}

macro_rules! from_sql_int {
    ($($t:ty => $name:literal),*) => {
        $(impl<'a> FromSql<'a> for $t {
            fn from_sql(value: &'a Value) -> Result<Self, FromSqlError> {
                match as_i64(value) {
                    Some(v) => <$t>::try_from(v).or_else(|_| out_of_range($name, v)),
                    None => mismatch($name, value),
                }
            }
        })*
    };
}

from_sql_int!(i16 => "i16", i32 => "i32");

impl<'a> FromSql<'a> for i64 {
    fn from_sql(value: &'a Value) -> Result<Self, FromSqlError> {
        if let Some(v) = as_i64(value) {
            return Ok(v);
        }
        match value {
            Value::Numeric(n) => match n.to_i64_rounded() {
                Some(v) if Numeric::from_i64(v) == *n => Ok(v),
                _ if n.is_finite() && n.trunc(0) == *n => out_of_range("i64", n),
                _ => mismatch("i64", value),
            },
            v => mismatch("i64", v),
        }
    }
}

impl<'a> FromSql<'a> for f32 {
    fn from_sql(value: &'a Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Float4(v) => Ok(*v),
            Value::Int2(v) => Ok(f32::from(*v)),
            v => mismatch("f32", v),
        }
    }
}

impl<'a> FromSql<'a> for f64 {
    fn from_sql(value: &'a Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Float8(v) => Ok(*v),
            Value::Float4(v) => Ok(f64::from(*v)),
            Value::Int2(v) => Ok(f64::from(*v)),
            Value::Int4(v) => Ok(f64::from(*v)),
            // Documented as rounding: integers above 2^53 do not fit a double exactly.
            #[allow(clippy::cast_precision_loss)]
            Value::Int8(v) => Ok(*v as f64),
            Value::Numeric(n) => Ok(n.to_f64()),
            v => mismatch("f64", v),
        }
    }
}

impl<'a> FromSql<'a> for Numeric {
    fn from_sql(value: &'a Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Numeric(n) => Ok(n.clone()),
            v => match as_i64(v) {
                Some(i) => Ok(Numeric::from_i64(i)),
                None => mismatch("Numeric", v),
            },
        }
    }
}

impl<'a> FromSql<'a> for &'a str {
    fn from_sql(value: &'a Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Text(s) | Value::Bpchar(s) | Value::Json(s) => Ok(s),
            Value::Enum(e) => Ok(&e.label),
            v => mismatch("&str", v),
        }
    }
}

impl<'a> FromSql<'a> for String {
    fn from_sql(value: &'a Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Text(s) | Value::Bpchar(s) | Value::Json(s) => Ok(s.clone()),
            v => match format_text(v, &TypeContext::default()) {
                Some(s) => Ok(s),
                None => mismatch("String", v),
            },
        }
    }
}

impl<'a> FromSql<'a> for &'a [u8] {
    fn from_sql(value: &'a Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Bytea(b) => Ok(b),
            v => mismatch("&[u8]", v),
        }
    }
}

impl<'a> FromSql<'a> for Vec<u8> {
    fn from_sql(value: &'a Value) -> Result<Self, FromSqlError> {
        match value {
            Value::Bytea(b) => Ok(b.clone()),
            v => mismatch("Vec<u8>", v),
        }
    }
}

/// The parameter values of one statement: `()` for none, the [`params!`](crate::params) macro
/// (mixed types), arrays, slices and vectors of one [`ToSql`] type (`[1, 2]`, `&[Value]`), and
/// tuples of up to twelve `ToSql` values.
///
/// ```
/// use basalt::{Params, Value, params};
/// assert_eq!(().into_values(), Vec::<Value>::new());
/// assert_eq!((1i32, "a").into_values(), [Value::Int4(1), Value::Text("a".into())]);
/// assert_eq!([1i64, 2].into_values(), [Value::Int8(1), Value::Int8(2)]);
/// assert_eq!(params![true, None::<i32>].into_values(), [Value::Bool(true), Value::Null]);
/// ```
pub trait Params {
    /// The values for `$1`, `$2`, ...
    fn into_values(self) -> Vec<Value>;

    /// Appends the values for `$1`, `$2`, ... to `out`: what a prepared statement run many
    /// times uses, so that its parameters need no vector of their own each time.
    ///
    /// ```
    /// use basalt::{Params, Value};
    /// let mut out = vec![Value::Int4(0)];
    /// (1i64, "a").append_values(&mut out);
    /// assert_eq!(out, [Value::Int4(0), Value::Int8(1), Value::Text("a".into())]);
    /// ```
    fn append_values(self, out: &mut Vec<Value>)
    where
        Self: Sized,
    {
        out.extend(self.into_values());
    }
}

impl Params for () {
    fn into_values(self) -> Vec<Value> {
        Vec::new()
    }

    fn append_values(self, _: &mut Vec<Value>) {}
}

impl<T: ToSql> Params for &[T] {
    fn into_values(self) -> Vec<Value> {
        self.iter().map(ToSql::to_sql).collect()
    }

    fn append_values(self, out: &mut Vec<Value>) {
        out.extend(self.iter().map(ToSql::to_sql));
    }
}

impl<T: ToSql> Params for Vec<T> {
    fn into_values(self) -> Vec<Value> {
        self.iter().map(ToSql::to_sql).collect()
    }

    fn append_values(self, out: &mut Vec<Value>) {
        out.extend(self.iter().map(ToSql::to_sql));
    }
}

impl<T: ToSql> Params for &Vec<T> {
    fn into_values(self) -> Vec<Value> {
        self.iter().map(ToSql::to_sql).collect()
    }

    fn append_values(self, out: &mut Vec<Value>) {
        out.extend(self.iter().map(ToSql::to_sql));
    }
}

impl<T: ToSql, const N: usize> Params for [T; N] {
    fn into_values(self) -> Vec<Value> {
        self.iter().map(ToSql::to_sql).collect()
    }

    fn append_values(self, out: &mut Vec<Value>) {
        out.extend(self.iter().map(ToSql::to_sql));
    }
}

impl<T: ToSql, const N: usize> Params for &[T; N] {
    fn into_values(self) -> Vec<Value> {
        self.iter().map(ToSql::to_sql).collect()
    }

    fn append_values(self, out: &mut Vec<Value>) {
        out.extend(self.iter().map(ToSql::to_sql));
    }
}

macro_rules! tuple_params {
    ($(($($n:tt $t:ident),+))*) => {
        $(impl<$($t: ToSql),+> Params for ($($t,)+) {
            fn into_values(self) -> Vec<Value> {
                vec![$(self.$n.to_sql()),+]
            }

            fn append_values(self, out: &mut Vec<Value>) {
                $(out.push(self.$n.to_sql());)+
            }
        })*
    };
}

tuple_params! {
    (0 A)
    (0 A, 1 B)
    (0 A, 1 B, 2 C)
    (0 A, 1 B, 2 C, 3 D)
    (0 A, 1 B, 2 C, 3 D, 4 E)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L)
}

/// Parameters of mixed types as a `&[&dyn ToSql]` slice, which implements [`Params`].
///
/// ```
/// use basalt::params;
/// let db = basalt::Database::memory();
/// let conn = db.connect();
/// conn.execute("CREATE TABLE t (id int, name text, score float8)", ())?;
/// conn.execute("INSERT INTO t VALUES ($1, $2, $3)", params![1, "ada", 9.5])?;
/// conn.execute("INSERT INTO t VALUES ($1, $2, $3)", params![2, None::<&str>, 7.0])?;
/// let n: i64 = conn.query_row("SELECT count(*) FROM t WHERE name IS NULL", params![], |r| r.get(0))?;
/// assert_eq!(n, 1);
/// # Ok::<(), basalt::Error>(())
/// ```
#[macro_export]
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::ToSql]
    };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::ToSql),+] as &[&dyn $crate::ToSql]
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use basalt_common::types::DataType;

    /// The Rust name of a type's natural [`FromSql`] type.
    fn natural(ty: &DataType) -> &'static str {
        match ty {
            DataType::Bool => "bool",
            DataType::Int2 => "i16",
            DataType::Int4 => "i32",
            DataType::Int8 => "i64",
            DataType::Float4 => "f32",
            DataType::Float8 => "f64",
            DataType::Numeric(_) => "Numeric",
            DataType::Bytea => "Vec<u8>",
            _ => "String",
        }
    }

    #[test]
    fn natural_types_round_trip() {
        let cases = [
            (Value::Bool(true), DataType::Bool),
            (Value::Int2(-3), DataType::Int2),
            (Value::Int4(i32::MIN), DataType::Int4),
            (Value::Int8(i64::MAX), DataType::Int8),
            (Value::Float4(1.5), DataType::Float4),
            (Value::Float8(-2.25), DataType::Float8),
            (Value::Bytea(vec![0, 255]), DataType::Bytea),
            (Value::Text("é".into()), DataType::Text),
        ];
        for (v, ty) in cases {
            let back = match natural(&ty) {
                "bool" => bool::from_sql(&v).map(|x| x.to_sql()),
                "i16" => i16::from_sql(&v).map(|x| x.to_sql()),
                "i32" => i32::from_sql(&v).map(|x| x.to_sql()),
                "i64" => i64::from_sql(&v).map(|x| x.to_sql()),
                "f32" => f32::from_sql(&v).map(|x| x.to_sql()),
                "f64" => f64::from_sql(&v).map(|x| x.to_sql()),
                "Vec<u8>" => Vec::<u8>::from_sql(&v).map(|x| x.to_sql()),
                _ => String::from_sql(&v).map(|x| x.to_sql()),
            };
            assert_eq!(back, Ok(v));
        }
    }

    #[test]
    fn narrowing_checks_range() {
        assert_eq!(i16::from_sql(&Value::Int8(32767)), Ok(32767));
        assert!(matches!(
            i16::from_sql(&Value::Int8(32768)),
            Err(FromSqlError::OutOfRange { .. })
        ));
        assert!(matches!(
            i32::from_sql(&Value::Int8(-2_147_483_649)),
            Err(FromSqlError::OutOfRange { .. })
        ));
        assert_eq!(i32::from_sql(&Value::Int2(-5)), Ok(-5));
    }

    #[test]
    fn numeric_reads_as_i64_only_when_whole() {
        let whole = Numeric::parse("12345678901").unwrap();
        assert_eq!(i64::from_sql(&Value::Numeric(whole)), Ok(12_345_678_901));
        let frac = Numeric::parse("1.5").unwrap();
        assert!(matches!(
            i64::from_sql(&Value::Numeric(frac.clone())),
            Err(FromSqlError::InvalidType { .. })
        ));
        assert_eq!(f64::from_sql(&Value::Numeric(frac.clone())), Ok(1.5));
        assert_eq!(String::from_sql(&Value::Numeric(frac)), Ok("1.5".into()));
        let big = Numeric::parse("99999999999999999999").unwrap();
        assert!(matches!(
            i64::from_sql(&Value::Numeric(big)),
            Err(FromSqlError::OutOfRange { .. })
        ));
    }

    #[test]
    fn null_needs_option_and_types_must_match() {
        assert_eq!(
            i32::from_sql(&Value::Null),
            Err(FromSqlError::UnexpectedNull)
        );
        assert_eq!(Option::<i32>::from_sql(&Value::Null), Ok(None));
        assert_eq!(Option::<i32>::from_sql(&Value::Int4(1)), Ok(Some(1)));
        assert!(matches!(
            bool::from_sql(&Value::Text("t".into())),
            Err(FromSqlError::InvalidType { .. })
        ));
        assert!(<&str>::from_sql(&Value::Int4(1)).is_err());
        assert_eq!(String::from_sql(&Value::Int4(1)), Ok("1".into()));
        assert_eq!(String::from_sql(&Value::Bool(false)), Ok("f".into()));
    }

    #[test]
    fn params_shapes() {
        let v = vec![Value::Int4(1), Value::Null];
        assert_eq!((&v).into_values(), v);
        assert_eq!(v.as_slice().into_values(), v);
        assert_eq!(
            (1u32, 2u8, 'x'.to_string()).into_values(),
            [Value::Int8(1), Value::Int2(2), Value::Text("x".into())]
        );
        assert_eq!(
            params![&b"ab"[..], Some(1.5f32)].into_values(),
            [Value::Bytea(b"ab".to_vec()), Value::Float4(1.5)]
        );
        assert!(params![].into_values().is_empty());
    }
}
