//! [`Numeric`]: PostgreSQL's arbitrary-precision decimal, written from its documented
//! behaviour.
//!
//! # Representation
//!
//! A finite value is `sign × mag / 10^scale`, where `mag` is an unsigned big integer in base
//! 10⁹ (see the private `bigint` module) and `scale` is PostgreSQL's *display scale* (`dscale`): the
//! number of digits printed after the decimal point. `1.0` and `1.00` are therefore distinct
//! representations of one value: they print differently but compare, and hash, equal. Zero is
//! never negative. Besides finite values there are `NaN`, `Infinity` and `-Infinity`
//! (PostgreSQL 14+).
//!
//! # Rules taken from PostgreSQL
//!
//! - Addition and subtraction: result scale is the larger input scale; multiplication: the
//!   sum of the input scales. Both are exact.
//! - Division: the exact quotient rounded (half away from zero) to a scale chosen like
//!   PostgreSQL's `select_div_scale`: at least 16 significant digits, at least either input's
//!   scale, at most 1000. The choice depends on the base-10000 weights and first digits
//!   PostgreSQL would store, which `Numeric::nbase_weight_and_first_digit` computes.
//! - Rounding to a scale (typmods, `round`, casts to integers) is half away from zero.
//! - Limits: at most 131072 digits before the decimal point and a display scale of at most
//!   16383; past that, "value overflows numeric format" (22003).
//! - Order: `-Infinity` < every finite value < `Infinity` < `NaN`, and `NaN = NaN`, as
//!   PostgreSQL's b-tree order has it.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use super::bigint::Mag;
use super::datatype::NumericTypmod;
use super::error::{TypeError, TypeResult, codes};

/// Largest display scale (PostgreSQL's `NUMERIC_DSCALE_MAX`).
pub const NUMERIC_DSCALE_MAX: u32 = 0x3FFF;
/// Largest display scale a division or function chooses (`NUMERIC_MAX_DISPLAY_SCALE`).
pub const NUMERIC_MAX_DISPLAY_SCALE: u32 = 1000;
/// Smallest number of significant digits of a quotient (`NUMERIC_MIN_SIG_DIGITS`).
const NUMERIC_MIN_SIG_DIGITS: i64 = 16;
/// Largest decimal exponent of the leading digit: weight 32767 in base 10000.
const MAX_DECIMAL_EXPONENT: i64 = 32767 * 4 + 3;

#[derive(Clone, Debug)]
enum Repr {
    NaN,
    PosInf,
    NegInf,
    Finite { neg: bool, mag: Mag, scale: u32 },
}

/// An arbitrary-precision decimal; see the module doc.
#[derive(Clone, Debug)]
pub struct Numeric(Repr);

fn overflow() -> TypeError {
    TypeError::out_of_range("value overflows numeric format")
}

impl Numeric {
    /// Not-a-number.
    pub const NAN: Numeric = Numeric(Repr::NaN);
    /// `Infinity`.
    pub const INFINITY: Numeric = Numeric(Repr::PosInf);
    /// `-Infinity`.
    pub const NEG_INFINITY: Numeric = Numeric(Repr::NegInf);

    /// Zero with scale 0.
    pub fn zero() -> Numeric {
        Numeric(Repr::Finite {
            neg: false,
            mag: Mag::zero(),
            scale: 0,
        })
    }

    fn finite(neg: bool, mag: Mag, scale: u32) -> Numeric {
        let neg = neg && !mag.is_zero();
        Numeric(Repr::Finite { neg, mag, scale })
    }

    /// Checks PostgreSQL's storage limits.
    fn checked(self) -> TypeResult<Numeric> {
        if let Repr::Finite { mag, scale, .. } = &self.0 {
            if *scale > NUMERIC_DSCALE_MAX {
                return Err(overflow());
            }
            if !mag.is_zero()
                && mag.num_digits() as i64 - 1 - i64::from(*scale) > MAX_DECIMAL_EXPONENT
            {
                return Err(overflow());
            }
        }
        Ok(self)
    }

    /// An integer with scale 0.
    pub fn from_i128(v: i128) -> Numeric {
        Numeric::finite(v < 0, Mag::from_u128(v.unsigned_abs()), 0)
    }

    /// An integer with scale 0.
    pub fn from_i64(v: i64) -> Numeric {
        Numeric::from_i128(i128::from(v))
    }

    /// `unscaled / 10^scale`, e.g. `from_parts(12345, 2)` is `123.45`.
    pub fn from_parts(unscaled: i128, scale: u32) -> Numeric {
        Numeric::finite(unscaled < 0, Mag::from_u128(unscaled.unsigned_abs()), scale)
    }

    /// Whether this is `NaN`.
    pub fn is_nan(&self) -> bool {
        matches!(self.0, Repr::NaN)
    }

    /// Whether this is `Infinity` or `-Infinity`.
    pub fn is_infinite(&self) -> bool {
        matches!(self.0, Repr::PosInf | Repr::NegInf)
    }

    /// Whether this is a finite value.
    pub fn is_finite(&self) -> bool {
        matches!(self.0, Repr::Finite { .. })
    }

    /// Whether this is a finite zero (of any scale).
    pub fn is_zero(&self) -> bool {
        matches!(&self.0, Repr::Finite { mag, .. } if mag.is_zero())
    }

    /// Whether this is negative (`-Infinity` included; zero is not).
    pub fn is_negative(&self) -> bool {
        matches!(&self.0, Repr::NegInf | Repr::Finite { neg: true, .. })
    }

    /// The display scale of a finite value (0 for the special values).
    pub fn scale(&self) -> u32 {
        match &self.0 {
            Repr::Finite { scale, .. } => *scale,
            _ => 0,
        }
    }

    /// The value as an `i128` unscaled integer and its scale, if it fits.
    pub fn to_parts(&self) -> Option<(i128, u32)> {
        match &self.0 {
            Repr::Finite { neg, mag, scale } => {
                let m = i128::try_from(mag.to_u128()?).ok()?;
                Some((if *neg { -m } else { m }, *scale))
            }
            _ => None,
        }
    }

    /// Parses PostgreSQL's `numeric` input syntax: optional whitespace, sign, digits with at
    /// most one decimal point, an optional exponent, or `NaN` / `[+-]Infinity` / `[+-]inf`
    /// in any case.
    pub fn parse(input: &str) -> TypeResult<Numeric> {
        let invalid = || TypeError::invalid_syntax("numeric", input);
        let s = input.trim_matches(is_pg_space);
        let lower = s.to_ascii_lowercase();
        match lower.as_str() {
            "nan" => return Ok(Numeric::NAN),
            "infinity" | "+infinity" | "inf" | "+inf" => return Ok(Numeric::INFINITY),
            "-infinity" | "-inf" => return Ok(Numeric::NEG_INFINITY),
            _ => {}
        }
        let b = s.as_bytes();
        let mut i = 0;
        let mut neg = false;
        if let Some(&c) = b.first()
            && (c == b'+' || c == b'-')
        {
            neg = c == b'-';
            i += 1;
        }
        let mut digits: Vec<u8> = Vec::new();
        let mut frac_digits: i64 = 0;
        let mut seen_point = false;
        let mut any_digit = false;
        while i < b.len() {
            match b[i] {
                c @ b'0'..=b'9' => {
                    any_digit = true;
                    if !(digits.is_empty() && c == b'0') || seen_point {
                        digits.push(c);
                    }
                    if seen_point {
                        frac_digits += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            i += 1;
        }
        if !any_digit {
            return Err(invalid());
        }
        let mut exponent: i64 = 0;
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            let mut eneg = false;
            if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                eneg = b[i] == b'-';
                i += 1;
            }
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                exponent = exponent
                    .saturating_mul(10)
                    .saturating_add(i64::from(b[i] - b'0'));
                i += 1;
            }
            if i == start {
                return Err(invalid());
            }
            if exponent >= i64::from(i32::MAX / 2) {
                return Err(overflow());
            }
            if eneg {
                exponent = -exponent;
            }
        }
        if i != b.len() {
            return Err(invalid());
        }
        // value = digits × 10^(exponent - frac_digits)
        let shift = exponent - frac_digits;
        let scale = (-shift).max(0);
        if scale > i64::from(NUMERIC_DSCALE_MAX) {
            return Err(overflow());
        }
        let first_nonzero = digits.iter().position(|&d| d != b'0');
        let Some(first) = first_nonzero else {
            return Ok(Numeric::finite(false, Mag::zero(), scale as u32));
        };
        let significant = &digits[first..];
        let lead_exp = significant.len() as i64 - 1 + shift;
        if lead_exp > MAX_DECIMAL_EXPONENT {
            return Err(overflow());
        }
        let mut mag = Mag::from_digits(significant);
        if shift > 0 {
            mag = mag.mul_pow10(shift as u64);
        }
        Numeric::finite(neg, mag, scale as u32).checked()
    }

    /// PostgreSQL's `numeric_out`: plain notation with exactly `scale` fraction digits.
    pub fn to_text(&self) -> String {
        match &self.0 {
            Repr::NaN => "NaN".into(),
            Repr::PosInf => "Infinity".into(),
            Repr::NegInf => "-Infinity".into(),
            Repr::Finite { neg, mag, scale } => {
                let digits = mag.to_digits();
                let scale = *scale as usize;
                let mut out = String::with_capacity(digits.len() + scale + 3);
                if *neg {
                    out.push('-');
                }
                if scale == 0 {
                    out.push_str(&digits);
                } else if digits.len() > scale {
                    let (int, frac) = digits.split_at(digits.len() - scale);
                    out.push_str(int);
                    out.push('.');
                    out.push_str(frac);
                } else {
                    out.push_str("0.");
                    out.extend(std::iter::repeat_n('0', scale - digits.len()));
                    out.push_str(&digits);
                }
                out
            }
        }
    }

    /// The significant digits without leading or trailing zeros and the decimal exponent of
    /// the first one (`123.40` → `("1234", 2)`), for finite non-zero values.
    pub(crate) fn significand(&self) -> Option<(bool, String, i64)> {
        match &self.0 {
            Repr::Finite { neg, mag, scale } if !mag.is_zero() => {
                let digits = mag.to_digits();
                let exp = digits.len() as i64 - 1 - i64::from(*scale);
                Some((*neg, digits.trim_end_matches('0').to_owned(), exp))
            }
            _ => None,
        }
    }

    /// PostgreSQL's base-10000 weight and first digit of a finite value (`(0, 0)` for zero).
    fn nbase_weight_and_first_digit(&self) -> (i64, u32) {
        let Some((_, digits, exp)) = self.significand() else {
            return (0, 0);
        };
        let weight = exp.div_euclid(4);
        let lead = (exp - weight * 4 + 1) as usize;
        let mut first = 0u32;
        for k in 0..lead {
            let d = digits.as_bytes().get(k).map_or(0, |c| u32::from(c - b'0'));
            first = first * 10 + d;
        }
        (weight, first)
    }

    /// Unscaled magnitudes of two finite values brought to their common (larger) scale.
    fn aligned(a: (&Mag, u32), b: (&Mag, u32)) -> (Mag, Mag, u32) {
        let scale = a.1.max(b.1);
        (
            a.0.mul_pow10(u64::from(scale - a.1)),
            b.0.mul_pow10(u64::from(scale - b.1)),
            scale,
        )
    }

    fn add_signed(neg_a: bool, a: &Mag, neg_b: bool, b: &Mag, scale: u32) -> Numeric {
        if neg_a == neg_b {
            Numeric::finite(neg_a, a.add(b), scale)
        } else {
            match a.cmp_mag(b) {
                Ordering::Less => Numeric::finite(neg_b, b.sub(a), scale),
                _ => Numeric::finite(neg_a, a.sub(b), scale),
            }
        }
    }

    /// `self + other`.
    pub fn add(&self, other: &Numeric) -> TypeResult<Numeric> {
        use Repr::*;
        match (&self.0, &other.0) {
            (NaN, _) | (_, NaN) | (PosInf, NegInf) | (NegInf, PosInf) => Ok(Numeric::NAN),
            (PosInf, _) | (_, PosInf) => Ok(Numeric::INFINITY),
            (NegInf, _) | (_, NegInf) => Ok(Numeric::NEG_INFINITY),
            (
                Finite {
                    neg: na,
                    mag: ma,
                    scale: sa,
                },
                Finite {
                    neg: nb,
                    mag: mb,
                    scale: sb,
                },
            ) => {
                let (a, b, scale) = Numeric::aligned((ma, *sa), (mb, *sb));
                Numeric::add_signed(*na, &a, *nb, &b, scale).checked()
            }
        }
    }

    /// `-self`.
    pub fn neg(&self) -> Numeric {
        match &self.0 {
            Repr::NaN => Numeric::NAN,
            Repr::PosInf => Numeric::NEG_INFINITY,
            Repr::NegInf => Numeric::INFINITY,
            Repr::Finite { neg, mag, scale } => Numeric::finite(!neg, mag.clone(), *scale),
        }
    }

    /// `|self|`.
    pub fn abs(&self) -> Numeric {
        if self.is_negative() {
            self.neg()
        } else {
            self.clone()
        }
    }

    /// `self - other`.
    pub fn sub(&self, other: &Numeric) -> TypeResult<Numeric> {
        self.add(&other.neg())
    }

    /// `self * other`, exact, with scale `scale(self) + scale(other)`.
    pub fn mul(&self, other: &Numeric) -> TypeResult<Numeric> {
        use Repr::*;
        match (&self.0, &other.0) {
            (NaN, _) | (_, NaN) => Ok(Numeric::NAN),
            (Finite { .. }, Finite { .. }) => {
                let (
                    Finite {
                        neg: na,
                        mag: ma,
                        scale: sa,
                    },
                    Finite {
                        neg: nb,
                        mag: mb,
                        scale: sb,
                    },
                ) = (&self.0, &other.0)
                else {
                    return Ok(Numeric::NAN);
                };
                let scale = sa + sb;
                if scale > NUMERIC_DSCALE_MAX {
                    return Err(overflow());
                }
                Numeric::finite(na != nb, ma.mul(mb), scale).checked()
            }
            _ => {
                // At least one infinity: zero times infinity is NaN.
                if self.is_zero() || other.is_zero() {
                    Ok(Numeric::NAN)
                } else if self.is_negative() != other.is_negative() {
                    Ok(Numeric::NEG_INFINITY)
                } else {
                    Ok(Numeric::INFINITY)
                }
            }
        }
    }

    /// The result scale PostgreSQL chooses for `self / other`.
    fn div_scale(&self, other: &Numeric) -> u32 {
        let (w1, f1) = self.nbase_weight_and_first_digit();
        let (w2, f2) = other.nbase_weight_and_first_digit();
        let mut qweight = w1 - w2;
        if f1 <= f2 {
            qweight -= 1;
        }
        let rscale = (NUMERIC_MIN_SIG_DIGITS - qweight * 4)
            .max(i64::from(self.scale()))
            .max(i64::from(other.scale()))
            .clamp(0, i64::from(NUMERIC_MAX_DISPLAY_SCALE));
        rscale as u32
    }

    /// `self / other` with PostgreSQL's result scale; `division by zero` (22012) for a zero
    /// divisor.
    pub fn div(&self, other: &Numeric) -> TypeResult<Numeric> {
        use Repr::*;
        match (&self.0, &other.0) {
            (NaN, _) | (_, NaN) => Ok(Numeric::NAN),
            (PosInf | NegInf, PosInf | NegInf) => Ok(Numeric::NAN),
            (PosInf | NegInf, Finite { .. }) => {
                if other.is_zero() {
                    Err(TypeError::division_by_zero())
                } else if self.is_negative() != other.is_negative() {
                    Ok(Numeric::NEG_INFINITY)
                } else {
                    Ok(Numeric::INFINITY)
                }
            }
            // A finite value divided by infinity is zero (with PostgreSQL's scale 0... it
            // keeps the dividend's display scale rules: `1.5 / 'Infinity'` is `0`).
            (Finite { .. }, PosInf | NegInf) => Ok(Numeric::zero()),
            (
                Finite {
                    neg: na,
                    mag: ma,
                    scale: sa,
                },
                Finite {
                    neg: nb,
                    mag: mb,
                    scale: sb,
                },
            ) => {
                if mb.is_zero() {
                    return Err(TypeError::division_by_zero());
                }
                let rscale = self.div_scale(other);
                // q = round(A·10^(sb+rscale) / (B·10^sa))
                let num = ma.mul_pow10(u64::from(sb + rscale));
                let den = mb.mul_pow10(u64::from(*sa));
                let (mut q, r) = num.divmod(&den);
                if r.mul_small(2).cmp_mag(&den) != Ordering::Less {
                    q = q.add_small(1);
                }
                Numeric::finite(na != nb, q, rscale).checked()
            }
        }
    }

    /// `self % other` (sign of the dividend, scale the larger input scale), as PostgreSQL's
    /// `numeric_mod`.
    pub fn rem(&self, other: &Numeric) -> TypeResult<Numeric> {
        use Repr::*;
        match (&self.0, &other.0) {
            (NaN, _) | (_, NaN) => Ok(Numeric::NAN),
            (PosInf | NegInf, _) => {
                if other.is_zero() {
                    Err(TypeError::division_by_zero())
                } else {
                    Ok(Numeric::NAN)
                }
            }
            (Finite { .. }, PosInf | NegInf) => Ok(self.clone()),
            (
                Finite {
                    neg: na,
                    mag: ma,
                    scale: sa,
                },
                Finite {
                    mag: mb, scale: sb, ..
                },
            ) => {
                if mb.is_zero() {
                    return Err(TypeError::division_by_zero());
                }
                let (a, b, scale) = Numeric::aligned((ma, *sa), (mb, *sb));
                let (_, r) = a.divmod(&b);
                Ok(Numeric::finite(*na, r, scale))
            }
        }
    }

    /// Rounds to `scale` digits after the decimal point, half away from zero. A negative
    /// scale rounds to tens, hundreds, ...; the result's display scale is `max(scale, 0)`,
    /// and a larger scale pads with zeros.
    pub fn round(&self, scale: i32) -> TypeResult<Numeric> {
        // PostgreSQL clamps requested scales to ±2000 (NUMERIC_MAX_RESULT_SCALE).
        let scale = scale.clamp(-2000, 2000);
        let Repr::Finite {
            neg,
            mag,
            scale: cur,
        } = &self.0
        else {
            return Ok(self.clone());
        };
        let target = scale.max(0) as u32;
        if i64::from(scale) >= i64::from(*cur) {
            return Numeric::finite(*neg, mag.mul_pow10(u64::from(target - cur)), target).checked();
        }
        let drop = (i64::from(*cur) - i64::from(scale)) as u64;
        if drop > mag.num_digits() {
            return Ok(Numeric::finite(false, Mag::zero(), target));
        }
        let (mut q, r) = mag.divmod_pow10(drop);
        if r.mul_small(2).cmp_mag(&Mag::pow10(drop)) != Ordering::Less {
            q = q.add_small(1);
        }
        if scale < 0 {
            q = q.mul_pow10(u64::from(scale.unsigned_abs()));
        }
        Numeric::finite(*neg, q, target).checked()
    }

    /// Truncates toward zero to `scale` digits (display scale `max(scale, 0)`).
    pub fn trunc(&self, scale: i32) -> Numeric {
        // PostgreSQL clamps requested scales to ±2000 (NUMERIC_MAX_RESULT_SCALE).
        let scale = scale.clamp(-2000, 2000);
        let Repr::Finite {
            neg,
            mag,
            scale: cur,
        } = &self.0
        else {
            return self.clone();
        };
        let target = scale.max(0) as u32;
        if i64::from(scale) >= i64::from(*cur) {
            return Numeric::finite(*neg, mag.mul_pow10(u64::from(target - cur)), target);
        }
        let drop = (i64::from(*cur) - i64::from(scale)) as u64;
        let (mut q, _) = mag.divmod_pow10(drop);
        if scale < 0 {
            q = q.mul_pow10(u64::from(scale.unsigned_abs()));
        }
        Numeric::finite(*neg, q, target)
    }

    /// Applies a `numeric(p,s)` modifier: rounds to the scale, then checks the precision
    /// ("numeric field overflow", 22003). `NaN` passes; infinities do not fit any typmod.
    pub fn apply_typmod(&self, typmod: Option<NumericTypmod>) -> TypeResult<Numeric> {
        let Some(NumericTypmod { precision, scale }) = typmod else {
            return Ok(self.clone());
        };
        let field_overflow = || TypeError::out_of_range("numeric field overflow");
        match &self.0 {
            Repr::NaN => Ok(Numeric::NAN),
            Repr::PosInf | Repr::NegInf => Err(field_overflow().with_detail(format!(
                "A field with precision {precision}, scale {scale} cannot hold an infinite value."
            ))),
            Repr::Finite { .. } => {
                let rounded = self.round(scale)?;
                let max_digits = precision - scale;
                if let Some((_, _, exp)) = rounded.significand() {
                    // exp + 1 digits before the decimal point
                    if exp + 1 > i64::from(max_digits) {
                        let bound = if max_digits != 0 {
                            format!("10^{max_digits}")
                        } else {
                            "1".to_owned()
                        };
                        return Err(field_overflow().with_detail(format!(
                            "A field with precision {precision}, scale {scale} must round to an absolute value less than {bound}."
                        )));
                    }
                }
                Ok(rounded)
            }
        }
    }

    /// Rounds half away from zero to an integer, if it fits in `i64`. `None` for NaN,
    /// infinities and overflow (the caller words the error).
    pub fn to_i64_rounded(&self) -> Option<i64> {
        let r = self.round(0).ok()?;
        let (v, _) = r.to_parts()?;
        i64::try_from(v).ok()
    }

    /// The nearest `f64` (correctly rounded, as `strtod` on the decimal text).
    pub fn to_f64(&self) -> f64 {
        match &self.0 {
            Repr::NaN => f64::NAN,
            Repr::PosInf => f64::INFINITY,
            Repr::NegInf => f64::NEG_INFINITY,
            Repr::Finite { .. } => self.to_sci_string().parse::<f64>().unwrap_or(f64::NAN),
        }
    }

    /// The nearest `f32`.
    pub fn to_f32(&self) -> f32 {
        match &self.0 {
            Repr::NaN => f32::NAN,
            Repr::PosInf => f32::INFINITY,
            Repr::NegInf => f32::NEG_INFINITY,
            Repr::Finite { .. } => self.to_sci_string().parse::<f32>().unwrap_or(f32::NAN),
        }
    }

    /// Compact scientific text for float conversion (`1234e-2`).
    fn to_sci_string(&self) -> String {
        match &self.0 {
            Repr::Finite { neg, mag, scale } => {
                format!(
                    "{}{}e-{}",
                    if *neg { "-" } else { "" },
                    mag.to_digits(),
                    scale
                )
            }
            _ => self.to_text(),
        }
    }

    /// PostgreSQL's `float8_numeric`: the value printed with 15 significant digits (`%.15g`)
    /// and read back, so `0.1::float8::numeric` is `0.1`.
    pub fn from_f64(v: f64) -> TypeResult<Numeric> {
        Numeric::from_float_digits(v, 15)
    }

    /// PostgreSQL's `float4_numeric`: 6 significant digits (`%.6g`).
    pub fn from_f32(v: f32) -> TypeResult<Numeric> {
        Numeric::from_float_digits(f64::from(v), 6)
    }

    fn from_float_digits(v: f64, digits: usize) -> TypeResult<Numeric> {
        if v.is_nan() {
            return Ok(Numeric::NAN);
        }
        if v.is_infinite() {
            return Ok(if v > 0.0 {
                Numeric::INFINITY
            } else {
                Numeric::NEG_INFINITY
            });
        }
        let sci = format!("{:.*e}", digits - 1, v);
        let (mant, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
        // %g drops trailing zeros of the fraction.
        let mant = if mant.contains('.') {
            mant.trim_end_matches('0').trim_end_matches('.')
        } else {
            mant
        };
        Numeric::parse(&format!("{mant}e{exp}"))
    }

    /// Sign-normalised key for hashing and equality: trailing zeros removed.
    fn canonical(&self) -> (u8, bool, String, i64) {
        match &self.0 {
            Repr::NegInf => (0, false, String::new(), 0),
            Repr::Finite { .. } => match self.significand() {
                Some((neg, digits, exp)) => (1, neg, digits, exp),
                None => (1, false, String::new(), 0),
            },
            Repr::PosInf => (2, false, String::new(), 0),
            Repr::NaN => (3, false, String::new(), 0),
        }
    }

    fn cmp_finite(a: (bool, &Mag, u32), b: (bool, &Mag, u32)) -> Ordering {
        let sign = |neg: bool, m: &Mag| {
            if m.is_zero() {
                0
            } else if neg {
                -1
            } else {
                1
            }
        };
        let (sa, sb) = (sign(a.0, a.1), sign(b.0, b.1));
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        let (ma, mb, _) = Numeric::aligned((a.1, a.2), (b.1, b.2));
        let ord = ma.cmp_mag(&mb);
        if sa < 0 { ord.reverse() } else { ord }
    }

    /// Order-preserving byte encoding used for index keys; see [`super::key`].
    pub(crate) fn key_bytes(&self) -> Vec<u8> {
        // Class bytes: -inf, negative, zero, positive, +inf, NaN.
        match &self.0 {
            Repr::NegInf => vec![0x01],
            Repr::PosInf => vec![0x05],
            Repr::NaN => vec![0x06],
            Repr::Finite { .. } => {
                let Some((neg, digits, exp)) = self.significand() else {
                    return vec![0x03];
                };
                let mut body = Vec::with_capacity(digits.len() / 2 + 6);
                // Exponent as a sign-flipped big-endian i32 (|exp| < 2^20 by the limits).
                let e = (exp as i32 as u32) ^ 0x8000_0000;
                body.extend_from_slice(&e.to_be_bytes());
                // Digit pairs as 1..=100; a lone last digit is padded with 0 (the digit string
                // never ends in 0, so the padding is unambiguous).
                for pair in digits.as_bytes().chunks(2) {
                    let hi = pair[0] - b'0';
                    let lo = pair.get(1).map_or(0, |c| c - b'0');
                    body.push(1 + hi * 10 + lo);
                }
                body.push(0x00);
                if neg {
                    let mut out = vec![0x02];
                    out.extend(body.iter().map(|b| !b));
                    out
                } else {
                    let mut out = vec![0x04];
                    out.extend(body);
                    out
                }
            }
        }
    }
}

/// PostgreSQL's `isspace` set for input trimming: space, tab, newline, vertical tab, form
/// feed, carriage return.
pub(crate) fn is_pg_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
}

impl PartialEq for Numeric {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Numeric {}

impl PartialOrd for Numeric {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Numeric {
    fn cmp(&self, other: &Self) -> Ordering {
        use Repr::*;
        let rank = |r: &Repr| match r {
            NegInf => 0,
            Finite { .. } => 1,
            PosInf => 2,
            NaN => 3,
        };
        match (&self.0, &other.0) {
            (
                Finite {
                    neg: na,
                    mag: ma,
                    scale: sa,
                },
                Finite {
                    neg: nb,
                    mag: mb,
                    scale: sb,
                },
            ) => Numeric::cmp_finite((*na, ma, *sa), (*nb, mb, *sb)),
            (a, b) => rank(a).cmp(&rank(b)),
        }
    }
}

impl Hash for Numeric {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.canonical().hash(state);
    }
}

impl std::fmt::Display for Numeric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl std::str::FromStr for Numeric {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Numeric::parse(s)
    }
}

/// `numeric` to `smallint`/`integer`/`bigint` error for NaN and infinities (0A000);
/// `type_name` is the target's name.
pub(crate) fn special_to_int_error(n: &Numeric, type_name: &str) -> Option<TypeError> {
    if n.is_nan() {
        Some(TypeError::new(
            codes::FEATURE_NOT_SUPPORTED,
            format!("cannot convert NaN to {type_name}"),
        ))
    } else if n.is_infinite() {
        Some(TypeError::new(
            codes::FEATURE_NOT_SUPPORTED,
            format!("cannot convert infinity to {type_name}"),
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Numeric {
        Numeric::parse(s).unwrap()
    }

    #[test]
    fn parse_and_print() {
        for (i, o) in [
            (" 1.50 ", "1.50"),
            ("1e3", "1000"),
            ("1.5e-3", "0.0015"),
            ("-0.00", "0.00"),
            (".5", "0.5"),
            ("5.", "5"),
            ("inf", "Infinity"),
            ("NaN", "NaN"),
            ("1.00e2", "100"),
        ] {
            assert_eq!(n(i).to_text(), o, "{i}");
        }
        for bad in ["1e", "abc", "", ".", "1.2.3", "- 1", "1_000", "0x10"] {
            assert_eq!(Numeric::parse(bad).unwrap_err().code(), "22P02", "{bad}");
        }
        assert_eq!(
            Numeric::parse("1e-100000").unwrap_err().message(),
            "value overflows numeric format"
        );
    }

    #[test]
    fn division_scale_matches_postgres() {
        assert_eq!(
            n("1").div(&n("3")).unwrap().to_text(),
            "0.33333333333333333333"
        );
        assert_eq!(
            n("10").div(&n("3")).unwrap().to_text(),
            "3.3333333333333333"
        );
        assert_eq!(
            n("1").div(&n("7000")).unwrap().to_text(),
            "0.00014285714285714286"
        );
        assert_eq!(
            n("123456789").div(&n("0.001")).unwrap().to_text(),
            "123456789000.00000000"
        );
        assert_eq!(
            n("0.000001").div(&n("3")).unwrap().to_text(),
            "0.000000333333333333333333"
        );
        assert_eq!(n("1").div(&n("0")).unwrap_err().code(), "22012");
    }

    #[test]
    fn typmod_rounding_and_overflow() {
        let m = |p, s| {
            Some(NumericTypmod {
                precision: p,
                scale: s,
            })
        };
        assert_eq!(
            n("1234.5").apply_typmod(m(6, -2)).unwrap().to_text(),
            "1200"
        );
        assert_eq!(n("2.345").apply_typmod(m(5, 2)).unwrap().to_text(), "2.35");
        assert_eq!(
            n("-2.345").apply_typmod(m(5, 2)).unwrap().to_text(),
            "-2.35"
        );
        let e = n("999.995").apply_typmod(m(5, 2)).unwrap_err();
        assert_eq!(
            e.detail(),
            Some(
                "A field with precision 5, scale 2 must round to an absolute value less than 10^3."
            )
        );
        assert_eq!(n("1.5").to_i64_rounded(), Some(2));
        assert_eq!(n("-2.5").to_i64_rounded(), Some(-3));
    }

    #[test]
    fn equality_ignores_scale() {
        assert_eq!(n("1.0"), n("1.00"));
        assert!(n("NaN") > n("Infinity"));
        assert!(n("-Infinity") < n("-1e100"));
        assert_eq!(
            Numeric::from_f64(1.234_567_890_123_456_7)
                .unwrap()
                .to_text(),
            "1.23456789012346"
        );
    }
}
