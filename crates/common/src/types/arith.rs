//! Arithmetic with PostgreSQL's error behaviour: integer overflow raises 22003 (`integer out
//! of range`, `smallint out of range`, `bigint out of range`), division by zero raises 22012,
//! float results that overflow to infinity (or underflow to zero) from finite inputs raise
//! 22003 `value out of range: overflow` / `underflow`, and `numeric` follows [`Numeric`].
//!
//! [`arith`] works on two values of the same type (the binder inserts casts first); a NULL
//! operand gives NULL.

use super::error::{TypeError, TypeResult, codes};
use super::interval::Interval;
use super::numeric::Numeric;
use super::value::Value;

/// A binary arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/` (integer division truncates toward zero)
    Div,
    /// `%` (sign of the dividend)
    Mod,
}

macro_rules! int_ops {
    ($t:ty, $msg:literal, $add:ident, $sub:ident, $mul:ident, $div:ident, $rem:ident, $neg:ident, $abs:ident) => {
        /// Checked addition.
        pub fn $add(a: $t, b: $t) -> TypeResult<$t> {
            a.checked_add(b)
                .ok_or_else(|| TypeError::out_of_range($msg))
        }
        /// Checked subtraction.
        pub fn $sub(a: $t, b: $t) -> TypeResult<$t> {
            a.checked_sub(b)
                .ok_or_else(|| TypeError::out_of_range($msg))
        }
        /// Checked multiplication.
        pub fn $mul(a: $t, b: $t) -> TypeResult<$t> {
            a.checked_mul(b)
                .ok_or_else(|| TypeError::out_of_range($msg))
        }
        /// Division truncating toward zero; `MIN / -1` overflows.
        pub fn $div(a: $t, b: $t) -> TypeResult<$t> {
            if b == 0 {
                return Err(TypeError::division_by_zero());
            }
            a.checked_div(b)
                .ok_or_else(|| TypeError::out_of_range($msg))
        }
        /// Remainder with the sign of the dividend; `MIN % -1` is 0.
        pub fn $rem(a: $t, b: $t) -> TypeResult<$t> {
            if b == 0 {
                return Err(TypeError::division_by_zero());
            }
            Ok(a.checked_rem(b).unwrap_or(0))
        }
        /// Checked negation.
        pub fn $neg(a: $t) -> TypeResult<$t> {
            a.checked_neg().ok_or_else(|| TypeError::out_of_range($msg))
        }
        /// Checked absolute value.
        pub fn $abs(a: $t) -> TypeResult<$t> {
            a.checked_abs().ok_or_else(|| TypeError::out_of_range($msg))
        }
    };
}

int_ops!(
    i16,
    "smallint out of range",
    int2_add,
    int2_sub,
    int2_mul,
    int2_div,
    int2_mod,
    int2_neg,
    int2_abs
);
int_ops!(
    i32,
    "integer out of range",
    int4_add,
    int4_sub,
    int4_mul,
    int4_div,
    int4_mod,
    int4_neg,
    int4_abs
);
int_ops!(
    i64,
    "bigint out of range",
    int8_add,
    int8_sub,
    int8_mul,
    int8_div,
    int8_mod,
    int8_neg,
    int8_abs
);

fn overflow() -> TypeError {
    TypeError::out_of_range("value out of range: overflow")
}

fn underflow() -> TypeError {
    TypeError::out_of_range("value out of range: underflow")
}

/// What float arithmetic needs of `f32` and `f64`.
trait Float:
    Copy
    + PartialEq
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
{
    const ZERO: Self;
    fn is_nan(self) -> bool;
    fn is_infinite(self) -> bool;
}

impl Float for f64 {
    const ZERO: Self = 0.0;
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    fn is_infinite(self) -> bool {
        f64::is_infinite(self)
    }
}

impl Float for f32 {
    const ZERO: Self = 0.0;
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    fn is_infinite(self) -> bool {
        f32::is_infinite(self)
    }
}

/// Float arithmetic with PostgreSQL's overflow, underflow and division checks, computed in the
/// operands' own precision; `type_name` names the type in the error for `%`.
fn float_arith<F: Float>(op: ArithOp, a: F, b: F, type_name: &str) -> TypeResult<F> {
    let r = match op {
        ArithOp::Add => a + b,
        ArithOp::Sub => a - b,
        ArithOp::Mul => a * b,
        ArithOp::Div => {
            if b == F::ZERO && !a.is_nan() {
                return Err(TypeError::division_by_zero());
            }
            a / b
        }
        ArithOp::Mod => {
            return Err(TypeError::new(
                codes::UNDEFINED_FUNCTION,
                format!("operator does not exist: {type_name} % {type_name}"),
            ));
        }
    };
    let inf_input = match op {
        ArithOp::Div => a.is_infinite(),
        _ => a.is_infinite() || b.is_infinite(),
    };
    if r.is_infinite() && !inf_input {
        return Err(overflow());
    }
    let zero_ok = match op {
        ArithOp::Mul => a == F::ZERO || b == F::ZERO,
        ArithOp::Div => a == F::ZERO || b.is_infinite(),
        _ => true,
    };
    if r == F::ZERO && !zero_ok {
        return Err(underflow());
    }
    Ok(r)
}

/// `float8` arithmetic with PostgreSQL's checks (`float8pl`, `float8mi`, `float8mul`,
/// `float8div`); `%` is not defined for floats and answers 42883.
pub fn float8_arith(op: ArithOp, a: f64, b: f64) -> TypeResult<f64> {
    float_arith(op, a, b, "double precision")
}

/// `float4` arithmetic, computed and checked in single precision as PostgreSQL does.
pub fn float4_arith(op: ArithOp, a: f32, b: f32) -> TypeResult<f32> {
    float_arith(op, a, b, "real")
}

/// `numeric` arithmetic.
pub fn numeric_arith(op: ArithOp, a: &Numeric, b: &Numeric) -> TypeResult<Numeric> {
    match op {
        ArithOp::Add => a.add(b),
        ArithOp::Sub => a.sub(b),
        ArithOp::Mul => a.mul(b),
        ArithOp::Div => a.div(b),
        ArithOp::Mod => a.rem(b),
    }
}

fn interval_overflow() -> TypeError {
    TypeError::new(codes::DATETIME_FIELD_OVERFLOW, "interval out of range")
}

/// `interval + interval` and `interval - interval`, field by field.
pub fn interval_add(a: &Interval, b: &Interval, subtract: bool) -> TypeResult<Interval> {
    let (m, d, t) = if subtract {
        (
            a.months.checked_sub(b.months),
            a.days.checked_sub(b.days),
            a.micros.checked_sub(b.micros),
        )
    } else {
        (
            a.months.checked_add(b.months),
            a.days.checked_add(b.days),
            a.micros.checked_add(b.micros),
        )
    };
    match (m, d, t) {
        (Some(m), Some(d), Some(t)) => Ok(Interval::new(m, d, t)),
        _ => Err(interval_overflow()),
    }
}

/// `a op b` for two values of the same numeric type (or intervals with `+`/`-`).
pub fn arith(op: ArithOp, a: &Value, b: &Value) -> TypeResult<Value> {
    use ArithOp::*;
    Ok(match (a, b) {
        (Value::Null, _) | (_, Value::Null) => Value::Null,
        (Value::Int2(x), Value::Int2(y)) => Value::Int2(match op {
            Add => int2_add(*x, *y)?,
            Sub => int2_sub(*x, *y)?,
            Mul => int2_mul(*x, *y)?,
            Div => int2_div(*x, *y)?,
            Mod => int2_mod(*x, *y)?,
        }),
        (Value::Int4(x), Value::Int4(y)) => Value::Int4(match op {
            Add => int4_add(*x, *y)?,
            Sub => int4_sub(*x, *y)?,
            Mul => int4_mul(*x, *y)?,
            Div => int4_div(*x, *y)?,
            Mod => int4_mod(*x, *y)?,
        }),
        (Value::Int8(x), Value::Int8(y)) => Value::Int8(match op {
            Add => int8_add(*x, *y)?,
            Sub => int8_sub(*x, *y)?,
            Mul => int8_mul(*x, *y)?,
            Div => int8_div(*x, *y)?,
            Mod => int8_mod(*x, *y)?,
        }),
        (Value::Float4(x), Value::Float4(y)) => Value::Float4(float4_arith(op, *x, *y)?),
        (Value::Float8(x), Value::Float8(y)) => Value::Float8(float8_arith(op, *x, *y)?),
        (Value::Numeric(x), Value::Numeric(y)) => Value::Numeric(numeric_arith(op, x, y)?),
        (Value::Interval(x), Value::Interval(y)) if matches!(op, Add | Sub) => {
            Value::Interval(interval_add(x, y, op == Sub)?)
        }
        _ => {
            return Err(TypeError::new(
                codes::UNDEFINED_FUNCTION,
                format!(
                    "operator does not exist: {} {} {}",
                    a.data_type().map(|t| t.format_type()).unwrap_or_default(),
                    match op {
                        Add => "+",
                        Sub => "-",
                        Mul => "*",
                        Div => "/",
                        Mod => "%",
                    },
                    b.data_type().map(|t| t.format_type()).unwrap_or_default()
                ),
            ));
        }
    })
}

/// Unary minus.
pub fn negate(a: &Value) -> TypeResult<Value> {
    Ok(match a {
        Value::Null => Value::Null,
        Value::Int2(x) => Value::Int2(int2_neg(*x)?),
        Value::Int4(x) => Value::Int4(int4_neg(*x)?),
        Value::Int8(x) => Value::Int8(int8_neg(*x)?),
        Value::Float4(x) => Value::Float4(-x),
        Value::Float8(x) => Value::Float8(-x),
        Value::Numeric(x) => Value::Numeric(x.neg()),
        Value::Interval(x) => Value::Interval(Interval::new(
            x.months.checked_neg().ok_or_else(interval_overflow)?,
            x.days.checked_neg().ok_or_else(interval_overflow)?,
            x.micros.checked_neg().ok_or_else(interval_overflow)?,
        )),
        other => {
            return Err(TypeError::new(
                codes::UNDEFINED_FUNCTION,
                format!(
                    "operator does not exist: - {}",
                    other
                        .data_type()
                        .map(|t| t.format_type())
                        .unwrap_or_default()
                ),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_errors() {
        assert_eq!(
            int2_add(32767, 1).unwrap_err().message(),
            "smallint out of range"
        );
        assert_eq!(
            int4_div(i32::MIN, -1).unwrap_err().message(),
            "integer out of range"
        );
        assert_eq!(int4_mod(i32::MIN, -1).unwrap(), 0);
        assert_eq!(int4_mod(-7, 3).unwrap(), -1);
        assert_eq!(int8_div(5, 0).unwrap_err().code(), "22012");
    }

    #[test]
    fn float_errors() {
        assert_eq!(
            float8_arith(ArithOp::Mul, 1e300, 1e300)
                .unwrap_err()
                .message(),
            "value out of range: overflow"
        );
        assert_eq!(
            float8_arith(ArithOp::Mul, 1e-300, 1e-300)
                .unwrap_err()
                .message(),
            "value out of range: underflow"
        );
        assert_eq!(
            float8_arith(ArithOp::Div, 1.0, 0.0).unwrap_err().code(),
            "22012"
        );
        assert!(float8_arith(ArithOp::Div, f64::NAN, 0.0).unwrap().is_nan());
        assert_eq!(
            float8_arith(ArithOp::Add, f64::INFINITY, 1.0).unwrap(),
            f64::INFINITY
        );
    }
}
