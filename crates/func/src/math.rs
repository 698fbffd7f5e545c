//! Mathematical functions and operators (`abs`, `round`, `sqrt`, `power`, `ln`, `log`,
//! `mod`, `gcd`, trigonometry, `random`, `width_bucket`, `@`, `|/`, `^`, bitwise operators),
//! plus the overload resolution the whole crate shares.
//!
//! # Overload resolution
//!
//! `best_candidate` is PostgreSQL's `func_select_candidate` over a list of signatures:
//! keep the candidates every argument coerces to implicitly, then prefer the most exact
//! matches, then the most preferred types (`float8` in the numeric category, `text` among
//! strings), then settle `unknown` literals by category (string first), and as a last gasp
//! assume unknowns have the type of the known arguments. That is why `round(1)` and
//! `sqrt(2)` are `double precision` (int → float8, the preferred numeric type) while
//! `round(1.5)` stays `numeric`. Operators additionally try "unknown is the other side's
//! type" first (`best_operator`), as PostgreSQL's `binary_oper_exact` does.
//!
//! # Numeric transcendental functions
//!
//! `sqrt`, `ln`, `log`, `exp` and `power` on `numeric` choose the result scale exactly as
//! PostgreSQL 15's `numeric.c` does (at least 16 significant digits, at least the inputs'
//! display scales, at most 1000) and compute the value with guard digits on top of
//! [`Numeric`]'s exact `+ - *` and rounded `/`, then round half away from zero. Results are
//! therefore correctly rounded except possibly in exact-tie cases hidden below the guard
//! digits.
//!
//! Float functions follow `float.c`: domain errors (2201E logarithm, 2201F square root and
//! power, 22003 `input is out of range` for `asin`/`acos`), and 22003 overflow/underflow when
//! a finite input gives an infinite or zero result.

use basalt_common::types::arith::{int2_abs, int2_mod, int4_abs, int4_mod, int8_abs, int8_mod};
use basalt_common::types::error::codes;
use basalt_common::types::{
    CastContext, DataType, Numeric, TypeError, TypeResult, Value, cast_context,
};

use crate::{EvalContext, Func, Resolved};

const INVALID_ARGUMENT_FOR_LOG: &str = "2201E";
const INVALID_ARGUMENT_FOR_POWER: &str = "2201F";
const INVALID_ARGUMENT_FOR_WIDTH_BUCKET: &str = "2201G";

/// A hyperbolic function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HyperbolicFn {
    /// `sinh`.
    Sinh,
    /// `cosh`.
    Cosh,
    /// `tanh`.
    Tanh,
    /// `asinh`.
    Asinh,
    /// `acosh`.
    Acosh,
    /// `atanh`.
    Atanh,
}

/// A function or operator of this module. Each variant covers every argument type it is
/// declared for; the runtime dispatches on the (already cast) values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MathFunc {
    /// PostgreSQL's functions behind the arithmetic operators of one type (`int4pl`,
    /// `float8mi`, `numeric_add`, ...): the operator on two values of that type.
    Arith(basalt_common::types::ArithOp),
    /// `abs(x)`, `@ x`.
    Abs,
    /// `ceil(x)`, `ceiling(x)`.
    Ceil,
    /// `floor(x)`.
    Floor,
    /// `round(x)`.
    Round,
    /// `round(numeric, int)`.
    RoundScale,
    /// `trunc(x)`.
    Trunc,
    /// `trunc(numeric, int)`.
    TruncScale,
    /// `sign(x)`.
    Sign,
    /// `sqrt(x)`, `|/ x`.
    Sqrt,
    /// `cbrt(x)`, `||/ x`.
    Cbrt,
    /// `power(x, y)`, `pow`, `x ^ y`.
    Power,
    /// `exp(x)`.
    Exp,
    /// `ln(x)`.
    Ln,
    /// `log10(x)`, `log(x)`.
    Log10,
    /// `log(b, x)` (numeric).
    LogBase,
    /// `mod(x, y)`.
    Mod,
    /// `div(x, y)` (numeric, truncating).
    Div,
    /// `gcd(x, y)`.
    Gcd,
    /// `lcm(x, y)`.
    Lcm,
    /// `pi()`.
    Pi,
    /// `degrees(x)`.
    Degrees,
    /// `radians(x)`.
    Radians,
    /// `sin(x)`.
    Sin,
    /// `cos(x)`.
    Cos,
    /// `tan(x)`.
    Tan,
    /// `cot(x)`.
    Cot,
    /// `asin(x)`.
    Asin,
    /// `acos(x)`.
    Acos,
    /// `atan(x)`.
    Atan,
    /// `atan2(y, x)`.
    Atan2,
    /// `sind`, `cosd`, `tand`, `cotd`, `asind`, `acosd`, `atand`: trigonometry in degrees,
    /// exact at the angles where the result is a "nice" number.
    Degree(DegreeFn),
    /// `atan2d(y, x)`.
    Atan2d,
    /// `booleq(a, b)` (`false`) and `boolne(a, b)` (`true`).
    BoolCmp(bool),
    /// `factorial(bigint)`.
    Factorial,
    /// `sinh`, `cosh`, `tanh`, `asinh`, `acosh`, `atanh`.
    Hyperbolic(HyperbolicFn),
    /// `scale(numeric)`: the display scale.
    Scale,
    /// `min_scale(numeric)`: the smallest scale that keeps the value.
    MinScale,
    /// `trim_scale(numeric)`: the value at its smallest scale.
    TrimScale,
    /// `num_nulls(VARIADIC "any")`.
    NumNulls,
    /// `num_nonnulls(VARIADIC "any")`.
    NumNonnulls,
    /// `gen_random_uuid()`: a version 4 UUID.
    GenRandomUuid,
    /// `random()`.
    Random,
    /// `setseed(float8)`: seeds the session's `random()`.
    SetSeed,
    /// `pg_sleep(float8)`: sleeps that many seconds, or until the statement is canceled or
    /// times out.
    PgSleep,
    /// `width_bucket(operand, low, high, count)`.
    WidthBucket,
    /// `a & b`.
    BitAnd,
    /// `a | b`.
    BitOr,
    /// `a # b`.
    BitXor,
    /// `~ a`.
    BitNot,
    /// `a << n`.
    Shl,
    /// `a >> n`.
    Shr,
}

// ---------------------------------------------------------------------------------------
// Overload resolution (shared with `string` and `agg`).

/// PostgreSQL's type category (`pg_type.typcategory`).
pub(crate) fn category(t: &DataType) -> char {
    match t {
        DataType::Bool => 'B',
        DataType::Int2
        | DataType::Int4
        | DataType::Int8
        | DataType::Float4
        | DataType::Float8
        | DataType::Numeric(_)
        | DataType::Oid
        | DataType::Reg(_) => 'N',
        DataType::Text | DataType::Varchar(_) | DataType::Bpchar(_) | DataType::Name => 'S',
        DataType::Char => 'Z',
        DataType::Date
        | DataType::Time(_)
        | DataType::TimeTz(_)
        | DataType::Timestamp(_)
        | DataType::Timestamptz(_) => 'D',
        DataType::Interval => 'T',
        DataType::Array(_) | DataType::Int2Vector | DataType::OidVector => 'A',
        DataType::Bytea
        | DataType::Uuid
        | DataType::Json
        | DataType::Jsonb
        | DataType::JsonPath => 'U',
        DataType::Record(_) => 'C',
        DataType::Enum(_) => 'E',
        DataType::Pseudo(_) => 'P',
        DataType::Unknown => 'X',
    }
}

/// Whether `t` is the preferred type of its category (`pg_type.typispreferred`).
pub(crate) fn is_preferred(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Bool
            | DataType::Float8
            | DataType::Oid
            | DataType::Text
            | DataType::Timestamptz(_)
            | DataType::Interval
    )
}

/// Whether a value of type `from` may be passed where `to` is declared without an explicit
/// cast.
pub(crate) fn can_coerce(from: &DataType, to: &DataType) -> bool {
    *from == DataType::Unknown
        || from.same_base(to)
        || cast_context(from, to) == Some(CastContext::Implicit)
}

/// PostgreSQL's `func_select_candidate`: the index of the best signature in `cands` for
/// arguments of types `args`, or `None` when nothing matches or the choice is ambiguous.
pub(crate) fn best_candidate(cands: &[&[DataType]], args: &[DataType]) -> Option<usize> {
    let n = args.len();
    let mut live: Vec<usize> = (0..cands.len())
        .filter(|&i| {
            cands[i].len() == n && args.iter().zip(cands[i]).all(|(a, c)| can_coerce(a, c))
        })
        .collect();
    if live.len() <= 1 {
        return live.first().copied();
    }
    // An exact match on every argument wins outright.
    if let Some(&i) = live.iter().find(|&&i| {
        args.iter()
            .zip(cands[i])
            .all(|(a, c)| *a != DataType::Unknown && a.same_base(c))
    }) {
        return Some(i);
    }
    let keep_max = |live: &[usize], score: &dyn Fn(usize) -> usize| -> Vec<usize> {
        let best = live.iter().map(|&i| score(i)).max().unwrap_or(0);
        live.iter().copied().filter(|&i| score(i) == best).collect()
    };
    // Most exact matches on known arguments.
    live = keep_max(&live, &|i| {
        args.iter()
            .zip(cands[i])
            .filter(|(a, c)| **a != DataType::Unknown && a.same_base(c))
            .count()
    });
    if live.len() == 1 {
        return Some(live[0]);
    }
    // Most preferred types where coercion is needed.
    live = keep_max(&live, &|i| {
        args.iter()
            .zip(cands[i])
            .filter(|(a, c)| {
                **a != DataType::Unknown
                    && (a.same_base(c) || (is_preferred(c) && category(c) == category(a)))
            })
            .count()
    });
    if live.len() == 1 {
        return Some(live[0]);
    }
    // Unknown literals: choose a category per position (string wins conflicts).
    let unknowns: Vec<usize> = (0..n).filter(|&p| args[p] == DataType::Unknown).collect();
    if !unknowns.is_empty() {
        let mut resolved = true;
        let mut slots = Vec::new();
        for &p in &unknowns {
            let mut cat: Option<char> = None;
            let mut preferred = false;
            let mut conflict = false;
            for &i in &live {
                let t = &cands[i][p];
                let c = category(t);
                match cat {
                    None => {
                        cat = Some(c);
                        preferred = is_preferred(t);
                    }
                    Some(sc) if sc == c => preferred |= is_preferred(t),
                    Some(_) => {
                        if c == 'S' {
                            cat = Some('S');
                            preferred = is_preferred(t);
                        } else {
                            conflict = true;
                        }
                    }
                }
            }
            if conflict && cat != Some('S') {
                resolved = false;
                break;
            }
            slots.push((p, cat, preferred));
        }
        if resolved {
            let survivors: Vec<usize> = live
                .iter()
                .copied()
                .filter(|&i| {
                    slots.iter().all(|&(p, cat, preferred)| {
                        let t = &cands[i][p];
                        Some(category(t)) == cat && (!preferred || is_preferred(t))
                    })
                })
                .collect();
            if !survivors.is_empty() {
                live = survivors;
            }
            if live.len() == 1 {
                return Some(live[0]);
            }
        }
        // Last gasp: unknowns take the one type all known arguments share.
        if unknowns.len() < n {
            let mut known: Option<&DataType> = None;
            let mut same = true;
            for a in args.iter().filter(|a| **a != DataType::Unknown) {
                match known {
                    None => known = Some(a),
                    Some(k) if k.same_base(a) => {}
                    Some(_) => same = false,
                }
            }
            if let (true, Some(k)) = (same, known) {
                let fits: Vec<usize> = live
                    .iter()
                    .copied()
                    .filter(|&i| cands[i].iter().all(|c| can_coerce(k, c)))
                    .collect();
                if fits.len() == 1 {
                    return Some(fits[0]);
                }
            }
        }
    }
    None
}

/// Operator resolution: PostgreSQL first tries an exact match with an `unknown` operand
/// taken as the other operand's type, then falls back to `best_candidate`.
pub(crate) fn best_operator(cands: &[&[DataType]], args: &[DataType]) -> Option<usize> {
    if args.len() == 2 {
        let (l, r) = (&args[0], &args[1]);
        let exact = match (l, r) {
            (DataType::Unknown, DataType::Unknown) => None,
            (DataType::Unknown, t) | (t, DataType::Unknown) => Some([t.clone(), t.clone()]),
            _ => None,
        };
        if let Some(pair) = exact
            && let Some(i) = cands
                .iter()
                .position(|c| c.len() == 2 && c[0].same_base(&pair[0]) && c[1].same_base(&pair[1]))
        {
            return Some(i);
        }
    }
    best_candidate(cands, args)
}

// ---------------------------------------------------------------------------------------
// Resolution.

const I2: DataType = DataType::Int2;
const I4: DataType = DataType::Int4;
const I8: DataType = DataType::Int8;
const F4: DataType = DataType::Float4;
const F8: DataType = DataType::Float8;
const NUM: DataType = DataType::Numeric(None);

fn resolved(f: MathFunc, sig: &[DataType], ret: DataType) -> Resolved {
    Resolved {
        func: Func::Math(f),
        arg_types: sig.to_vec(),
        ret,
        strict: true,
        immutable: !matches!(f, MathFunc::Random | MathFunc::SetSeed | MathFunc::PgSleep),
    }
}

/// Picks among `(signature, result)` pairs.
fn pick(
    f: MathFunc,
    table: &[(&[DataType], DataType)],
    args: &[DataType],
    operator: bool,
) -> Option<Resolved> {
    let sigs: Vec<&[DataType]> = table.iter().map(|(s, _)| *s).collect();
    let i = if operator {
        best_operator(&sigs, args)
    } else {
        best_candidate(&sigs, args)
    }?;
    let (sig, ret) = &table[i];
    Some(resolved(f, sig, ret.clone()))
}

/// Unary functions `f(t) -> t` over the listed types.
fn same_type_table(types: &[DataType]) -> Vec<(Vec<DataType>, DataType)> {
    types.iter().map(|t| (vec![t.clone()], t.clone())).collect()
}

fn pick_owned(
    f: MathFunc,
    table: &[(Vec<DataType>, DataType)],
    args: &[DataType],
    operator: bool,
) -> Option<Resolved> {
    let borrowed: Vec<(&[DataType], DataType)> = table
        .iter()
        .map(|(s, r)| (s.as_slice(), r.clone()))
        .collect();
    pick(f, &borrowed, args, operator)
}

/// The degree-based trigonometric functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DegreeFn {
    /// `sind`.
    Sin,
    /// `cosd`.
    Cos,
    /// `tand`.
    Tan,
    /// `cotd`.
    Cot,
    /// `asind`.
    Asin,
    /// `acosd`.
    Acos,
    /// `atand`.
    Atan,
}

const RADIANS_PER_DEGREE: f64 = std::f64::consts::PI / 180.0;

// PostgreSQL's float.c: the results are scaled by the values at 30, 45 and 60 degrees so
// that those (and their multiples) come out exactly.
fn sind_0_to_30(x: f64) -> f64 {
    let sin_30 = (30.0 * RADIANS_PER_DEGREE).sin();
    ((x * RADIANS_PER_DEGREE).sin() / sin_30) / 2.0
}

fn cosd_0_to_60(x: f64) -> f64 {
    let one_minus_cos_60 = 1.0 - (60.0 * RADIANS_PER_DEGREE).cos();
    1.0 - ((1.0 - (x * RADIANS_PER_DEGREE).cos()) / one_minus_cos_60) / 2.0
}

fn sind_q1(x: f64) -> f64 {
    if x <= 30.0 {
        sind_0_to_30(x)
    } else {
        cosd_0_to_60(90.0 - x)
    }
}

fn cosd_q1(x: f64) -> f64 {
    if x <= 60.0 {
        cosd_0_to_60(x)
    } else {
        sind_0_to_30(90.0 - x)
    }
}

fn asind_q1(x: f64) -> f64 {
    if x <= 0.5 {
        (x.asin() / 0.5f64.asin()) * 30.0
    } else {
        90.0 - (x.acos() / 0.5f64.acos()) * 60.0
    }
}

fn acosd_q1(x: f64) -> f64 {
    if x <= 0.5 {
        90.0 - (x.asin() / 0.5f64.asin()) * 30.0
    } else {
        (x.acos() / 0.5f64.acos()) * 60.0
    }
}

fn degree_fn(f: DegreeFn, x: f64) -> TypeResult<f64> {
    let out_of_range =
        || TypeError::new(codes::NUMERIC_VALUE_OUT_OF_RANGE, "input is out of range");
    if x.is_nan() {
        return Ok(f64::NAN);
    }
    let atan_1 = 1.0f64.atan();
    Ok(match f {
        DegreeFn::Asin | DegreeFn::Acos => {
            if !(-1.0..=1.0).contains(&x) {
                return Err(out_of_range());
            }
            match (f, x >= 0.0) {
                (DegreeFn::Asin, true) => asind_q1(x),
                (DegreeFn::Asin, false) => -asind_q1(-x),
                (_, true) => acosd_q1(x),
                (_, false) => 90.0 + asind_q1(-x),
            }
        }
        DegreeFn::Atan => (x.atan() / atan_1) * 45.0,
        _ => {
            if x.is_infinite() {
                return Err(out_of_range());
            }
            let mut a = x % 360.0;
            let mut sign = 1.0;
            if a < 0.0 {
                a = -a;
                if f != DegreeFn::Cos {
                    sign = -sign;
                }
            }
            if a > 180.0 {
                a = 360.0 - a;
                if f != DegreeFn::Cos {
                    sign = -sign;
                }
            }
            if a > 90.0 {
                a = 180.0 - a;
                if f != DegreeFn::Sin {
                    sign = -sign;
                }
            }
            let r = match f {
                DegreeFn::Sin => sign * sind_q1(a),
                DegreeFn::Cos => sign * cosd_q1(a),
                DegreeFn::Tan => {
                    let tan_45 = sind_q1(45.0) / cosd_q1(45.0);
                    sign * ((sind_q1(a) / cosd_q1(a)) / tan_45)
                }
                _ => {
                    let cot_45 = cosd_q1(45.0) / sind_q1(45.0);
                    sign * ((cosd_q1(a) / sind_q1(a)) / cot_45)
                }
            };
            // No minus zero (tand(180), cotd(90)).
            if r == 0.0 { 0.0 } else { r }
        }
    })
}

/// Resolves a function call.
pub fn resolve_function(name: &str, args: &[DataType]) -> Option<Resolved> {
    use MathFunc::*;
    let float_num = |f: MathFunc| pick(f, &[(&[F8][..], F8), (&[NUM][..], NUM)], args, false);
    let float_only = |f: MathFunc| pick(f, &[(&[F8][..], F8)], args, false);
    match name {
        "abs" => pick_owned(
            Abs,
            &same_type_table(&[I2, I4, I8, F4, F8, NUM]),
            args,
            false,
        ),
        "ceil" | "ceiling" => float_num(Ceil),
        "floor" => float_num(Floor),
        "round" if args.len() == 2 => pick(RoundScale, &[(&[NUM, I4][..], NUM)], args, false),
        "round" => float_num(Round),
        "trunc" if args.len() == 2 => pick(TruncScale, &[(&[NUM, I4][..], NUM)], args, false),
        "trunc" => float_num(Trunc),
        "sign" => float_num(Sign),
        "sqrt" => float_num(Sqrt),
        "cbrt" => float_only(Cbrt),
        "exp" => float_num(Exp),
        "ln" => float_num(Ln),
        "log10" => float_num(Log10),
        "log" if args.len() == 2 => pick(LogBase, &[(&[NUM, NUM][..], NUM)], args, false),
        "log" => float_num(Log10),
        "power" | "pow" => pick(
            Power,
            &[(&[F8, F8][..], F8), (&[NUM, NUM][..], NUM)],
            args,
            false,
        ),
        "mod" => pick(
            Mod,
            &[
                (&[I2, I2][..], I2),
                (&[I4, I4][..], I4),
                (&[I8, I8][..], I8),
                (&[NUM, NUM][..], NUM),
            ],
            args,
            false,
        ),
        "div" => pick(Div, &[(&[NUM, NUM][..], NUM)], args, false),
        "gcd" | "lcm" => pick(
            if name == "gcd" { Gcd } else { Lcm },
            &[
                (&[I4, I4][..], I4),
                (&[I8, I8][..], I8),
                (&[NUM, NUM][..], NUM),
            ],
            args,
            false,
        ),
        "pi" if args.is_empty() => Some(resolved(Pi, &[], F8)),
        "random" if args.is_empty() => Some(resolved(Random, &[], F8)),
        "setseed" if args.len() == 1 => Some(resolved(
            SetSeed,
            &[F8],
            DataType::Pseudo(basalt_common::types::Pseudo::Void),
        )),
        "pg_sleep" if args.len() == 1 => Some(resolved(
            PgSleep,
            &[F8],
            DataType::Pseudo(basalt_common::types::Pseudo::Void),
        )),
        "degrees" => float_only(Degrees),
        "radians" => float_only(Radians),
        "sin" => float_only(Sin),
        "cos" => float_only(Cos),
        "tan" => float_only(Tan),
        "cot" => float_only(Cot),
        "asin" => float_only(Asin),
        "acos" => float_only(Acos),
        "atan" => float_only(Atan),
        "atan2" => pick(Atan2, &[(&[F8, F8][..], F8)], args, false),
        "sind" => float_only(Degree(DegreeFn::Sin)),
        "cosd" => float_only(Degree(DegreeFn::Cos)),
        "tand" => float_only(Degree(DegreeFn::Tan)),
        "cotd" => float_only(Degree(DegreeFn::Cot)),
        "asind" => float_only(Degree(DegreeFn::Asin)),
        "acosd" => float_only(Degree(DegreeFn::Acos)),
        "atand" => float_only(Degree(DegreeFn::Atan)),
        "atan2d" => pick(Atan2d, &[(&[F8, F8][..], F8)], args, false),
        "booleq" | "boolne" => pick(
            BoolCmp(name == "boolne"),
            &[(&[DataType::Bool, DataType::Bool][..], DataType::Bool)],
            args,
            false,
        ),
        // float8 spellings of PostgreSQL's operator functions.
        "dsqrt" => float_only(Sqrt),
        "dcbrt" => float_only(Cbrt),
        "dexp" => float_only(Exp),
        "dlog1" => float_only(Ln),
        "dlog10" => float_only(Log10),
        "dround" => float_only(Round),
        "dtrunc" => float_only(Trunc),
        "dpow" => pick(Power, &[(&[F8, F8][..], F8)], args, false),
        "factorial" => pick(Factorial, &[(&[I8][..], NUM)], args, false),
        "sinh" => float_only(Hyperbolic(HyperbolicFn::Sinh)),
        "cosh" => float_only(Hyperbolic(HyperbolicFn::Cosh)),
        "tanh" => float_only(Hyperbolic(HyperbolicFn::Tanh)),
        "asinh" => float_only(Hyperbolic(HyperbolicFn::Asinh)),
        "acosh" => float_only(Hyperbolic(HyperbolicFn::Acosh)),
        "atanh" => float_only(Hyperbolic(HyperbolicFn::Atanh)),
        "scale" => pick(Scale, &[(&[NUM][..], I4)], args, false),
        "min_scale" => pick(MinScale, &[(&[NUM][..], I4)], args, false),
        "trim_scale" => pick(TrimScale, &[(&[NUM][..], NUM)], args, false),
        "num_nulls" | "num_nonnulls" if !args.is_empty() => {
            let f = if name == "num_nulls" {
                NumNulls
            } else {
                NumNonnulls
            };
            let sig: Vec<DataType> = args
                .iter()
                .map(|t| {
                    if *t == DataType::Unknown {
                        DataType::Text
                    } else {
                        t.clone()
                    }
                })
                .collect();
            Some(Resolved {
                strict: false,
                ..resolved(f, &sig, I4)
            })
        }
        "gen_random_uuid" if args.is_empty() => Some(Resolved {
            immutable: false,
            ..resolved(GenRandomUuid, &[], DataType::Uuid)
        }),
        "width_bucket" => pick(
            WidthBucket,
            &[(&[F8, F8, F8, I4][..], I4), (&[NUM, NUM, NUM, I4][..], I4)],
            args,
            false,
        ),
        _ => None,
    }
}

/// Resolves an operator.
pub fn resolve_operator(op: &str, left: Option<&DataType>, right: &DataType) -> Option<Resolved> {
    use MathFunc::*;
    match (op, left) {
        ("@", None) => pick_owned(
            Abs,
            &same_type_table(&[I2, I4, I8, F4, F8, NUM]),
            std::slice::from_ref(right),
            true,
        ),
        ("|/", None) => pick(Sqrt, &[(&[F8][..], F8)], std::slice::from_ref(right), true),
        ("||/", None) => pick(Cbrt, &[(&[F8][..], F8)], std::slice::from_ref(right), true),
        ("~", None) => pick_owned(
            BitNot,
            &same_type_table(&[I2, I4, I8]),
            std::slice::from_ref(right),
            true,
        ),
        (_, Some(l)) => {
            let args = [l.clone(), right.clone()];
            let f = match op {
                "^" => {
                    return pick(
                        Power,
                        &[(&[F8, F8][..], F8), (&[NUM, NUM][..], NUM)],
                        &args,
                        true,
                    );
                }
                "&" => BitAnd,
                "|" => BitOr,
                "#" => BitXor,
                "<<" | ">>" => {
                    return pick(
                        if op == "<<" { Shl } else { Shr },
                        &[
                            (&[I2, I4][..], I2),
                            (&[I4, I4][..], I4),
                            (&[I8, I4][..], I8),
                        ],
                        &args,
                        true,
                    );
                }
                _ => return None,
            };
            pick(
                f,
                &[
                    (&[I2, I2][..], I2),
                    (&[I4, I4][..], I4),
                    (&[I8, I8][..], I8),
                ],
                &args,
                true,
            )
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation.

fn wrong_args(f: MathFunc) -> TypeError {
    TypeError::new(
        codes::UNDEFINED_FUNCTION,
        format!("math function {f:?} called with unexpected argument types"),
    )
}

fn overflow() -> TypeError {
    TypeError::out_of_range("value out of range: overflow")
}

fn underflow() -> TypeError {
    TypeError::out_of_range("value out of range: underflow")
}

/// PostgreSQL's check after a float function: infinite from finite input overflows, zero
/// from non-zero input underflows (when `zero_ok` is false).
fn check_float(r: f64, inf_input: bool, zero_ok: bool) -> TypeResult<f64> {
    if r.is_infinite() && !inf_input {
        return Err(overflow());
    }
    if r == 0.0 && !zero_ok {
        return Err(underflow());
    }
    Ok(r)
}

fn float_arg(v: &Value) -> Option<f64> {
    match v {
        Value::Float8(x) => Some(*x),
        Value::Float4(x) => Some(f64::from(*x)),
        _ => None,
    }
}

fn int_arg(v: &Value) -> Option<i64> {
    match v {
        Value::Int2(x) => Some(i64::from(*x)),
        Value::Int4(x) => Some(i64::from(*x)),
        Value::Int8(x) => Some(*x),
        _ => None,
    }
}

/// Calls a function.
pub fn call(f: MathFunc, args: &[Value], ctx: &EvalContext) -> TypeResult<Value> {
    use MathFunc::*;
    if args.iter().any(Value::is_null) && !matches!(f, Random | NumNulls | NumNonnulls) {
        return Ok(Value::Null);
    }
    let a0 = args.first().unwrap_or(&Value::Null);
    let a1 = args.get(1).unwrap_or(&Value::Null);
    Ok(match f {
        Arith(op) => basalt_common::types::arith::arith(op, a0, a1)?,
        Abs => match a0 {
            Value::Int2(x) => Value::Int2(int2_abs(*x)?),
            Value::Int4(x) => Value::Int4(int4_abs(*x)?),
            Value::Int8(x) => Value::Int8(int8_abs(*x)?),
            Value::Float4(x) => Value::Float4(x.abs()),
            Value::Float8(x) => Value::Float8(x.abs()),
            Value::Numeric(x) => Value::Numeric(x.abs()),
            _ => return Err(wrong_args(f)),
        },
        Ceil | Floor | Round | Trunc => match a0 {
            Value::Float8(x) => Value::Float8(match f {
                Ceil => x.ceil(),
                Floor => x.floor(),
                Round => x.round_ties_even(),
                _ => x.trunc(),
            }),
            Value::Numeric(x) => Value::Numeric(match f {
                Ceil => numeric_ceil(x, true)?,
                Floor => numeric_ceil(x, false)?,
                Round => x.round(0)?,
                _ => x.trunc(0),
            }),
            _ => return Err(wrong_args(f)),
        },
        RoundScale | TruncScale => match (a0, a1) {
            (Value::Numeric(x), Value::Int4(s)) => Value::Numeric(if f == RoundScale {
                x.round(*s)?
            } else {
                x.trunc(*s)
            }),
            _ => return Err(wrong_args(f)),
        },
        Sign => match a0 {
            Value::Float8(x) => Value::Float8(if *x > 0.0 {
                1.0
            } else if *x < 0.0 {
                -1.0
            } else {
                0.0
            }),
            Value::Numeric(x) => Value::Numeric(if x.is_nan() {
                Numeric::NAN
            } else if x.is_zero() {
                Numeric::zero()
            } else if x.is_negative() {
                Numeric::from_i64(-1)
            } else {
                Numeric::from_i64(1)
            }),
            _ => return Err(wrong_args(f)),
        },
        Sqrt => match a0 {
            Value::Float8(x) => {
                if *x < 0.0 {
                    return Err(sqrt_negative());
                }
                let r = x.sqrt();
                Value::Float8(check_float(r, x.is_infinite(), *x == 0.0)?)
            }
            Value::Numeric(x) => Value::Numeric(numeric_sqrt(x)?),
            _ => return Err(wrong_args(f)),
        },
        Cbrt => {
            let x = float_arg(a0).ok_or_else(|| wrong_args(f))?;
            Value::Float8(check_float(x.cbrt(), x.is_infinite(), x == 0.0)?)
        }
        Power => match (a0, a1) {
            (Value::Float8(x), Value::Float8(y)) => Value::Float8(float_pow(*x, *y)?),
            (Value::Numeric(x), Value::Numeric(y)) => Value::Numeric(numeric_power(x, y)?),
            _ => return Err(wrong_args(f)),
        },
        Exp => match a0 {
            Value::Float8(x) => Value::Float8(if x.is_nan() {
                *x
            } else if x.is_infinite() {
                if *x > 0.0 { *x } else { 0.0 }
            } else {
                check_float(x.exp(), false, false)?
            }),
            Value::Numeric(x) => Value::Numeric(numeric_exp(x)?),
            _ => return Err(wrong_args(f)),
        },
        Ln | Log10 => match a0 {
            Value::Float8(x) => {
                if *x == 0.0 {
                    return Err(log_zero());
                }
                if *x < 0.0 {
                    return Err(log_negative());
                }
                let r = if f == Ln { x.ln() } else { x.log10() };
                Value::Float8(check_float(r, x.is_infinite(), *x == 1.0)?)
            }
            Value::Numeric(x) => Value::Numeric(if f == Ln {
                numeric_ln(x)?
            } else {
                numeric_log(&Numeric::from_i64(10), x)?
            }),
            _ => return Err(wrong_args(f)),
        },
        LogBase => match (a0, a1) {
            (Value::Numeric(b), Value::Numeric(x)) => Value::Numeric(numeric_log(b, x)?),
            _ => return Err(wrong_args(f)),
        },
        Mod => match (a0, a1) {
            (Value::Int2(x), Value::Int2(y)) => Value::Int2(int2_mod(*x, *y)?),
            (Value::Int4(x), Value::Int4(y)) => Value::Int4(int4_mod(*x, *y)?),
            (Value::Int8(x), Value::Int8(y)) => Value::Int8(int8_mod(*x, *y)?),
            (Value::Numeric(x), Value::Numeric(y)) => Value::Numeric(x.rem(y)?),
            _ => return Err(wrong_args(f)),
        },
        Div => match (a0, a1) {
            (Value::Numeric(x), Value::Numeric(y)) => Value::Numeric(numeric_div_trunc(x, y)?),
            _ => return Err(wrong_args(f)),
        },
        Gcd | Lcm => match (a0, a1) {
            (Value::Int4(x), Value::Int4(y)) => {
                let r = if f == Gcd {
                    int_gcd(i64::from(*x), i64::from(*y))
                } else {
                    int_lcm(i64::from(*x), i64::from(*y))
                };
                Value::Int4(
                    r.and_then(|v| i32::try_from(v).ok())
                        .ok_or_else(|| TypeError::out_of_range("integer out of range"))?,
                )
            }
            (Value::Int8(x), Value::Int8(y)) => {
                let r = if f == Gcd {
                    int_gcd(*x, *y)
                } else {
                    int_lcm(*x, *y)
                };
                Value::Int8(r.ok_or_else(|| TypeError::out_of_range("bigint out of range"))?)
            }
            (Value::Numeric(x), Value::Numeric(y)) => Value::Numeric(if f == Gcd {
                numeric_gcd(x, y)?
            } else {
                numeric_lcm(x, y)?
            }),
            _ => return Err(wrong_args(f)),
        },
        Pi => Value::Float8(std::f64::consts::PI),
        Random => Value::Float8(with_prng(ctx, Prng::next_f64)),
        SetSeed => {
            let x = float_arg(a0).ok_or_else(|| wrong_args(f))?;
            if !(-1.0..=1.0).contains(&x) {
                return Err(TypeError::new(
                    codes::INVALID_PARAMETER_VALUE,
                    format!(
                        "setseed parameter {} is out of allowed range [-1,1]",
                        basalt_common::types::scalar::format_float8(x)
                    ),
                ));
            }
            with_prng(ctx, |p| p.fseed(x));
            // `void`: like PostgreSQL's C functions, a non-null value shown empty.
            Value::Text(String::new())
        }
        PgSleep => {
            let secs = float_arg(a0).ok_or_else(|| wrong_args(f))?;
            sleep_interruptibly(secs, ctx)?;
            Value::Text(String::new())
        }
        Degrees | Radians | Sin | Cos | Tan | Cot | Asin | Acos | Atan => {
            let x = float_arg(a0).ok_or_else(|| wrong_args(f))?;
            Value::Float8(float_unary(f, x)?)
        }
        Hyperbolic(h) => {
            let x = float_arg(a0).ok_or_else(|| wrong_args(f))?;
            let out_of_range =
                || TypeError::new(codes::NUMERIC_VALUE_OUT_OF_RANGE, "input is out of range");
            Value::Float8(match h {
                HyperbolicFn::Sinh => x.sinh(),
                HyperbolicFn::Cosh => x.cosh(),
                HyperbolicFn::Tanh => x.tanh(),
                HyperbolicFn::Asinh => x.asinh(),
                HyperbolicFn::Acosh => {
                    if x < 1.0 {
                        return Err(out_of_range());
                    }
                    x.acosh()
                }
                HyperbolicFn::Atanh => {
                    if !x.is_nan() && !(-1.0..=1.0).contains(&x) {
                        return Err(out_of_range());
                    }
                    x.atanh()
                }
            })
        }
        Factorial => {
            let Value::Int8(n) = a0 else {
                return Err(wrong_args(f));
            };
            if *n < 0 {
                return Err(TypeError::new(
                    codes::NUMERIC_VALUE_OUT_OF_RANGE,
                    "factorial of a negative number is undefined",
                ));
            }
            let mut acc = Numeric::from_i64(1);
            for k in 2..=*n {
                acc = acc.mul(&Numeric::from_i64(k))?;
            }
            Value::Numeric(acc)
        }
        Scale | MinScale | TrimScale => {
            let Value::Numeric(x) = a0 else {
                return Err(wrong_args(f));
            };
            if x.is_nan() || x.is_infinite() {
                return Ok(Value::Null);
            }
            let text = x.to_text();
            let trimmed = match text.split_once('.') {
                Some((int, frac)) => {
                    let frac = frac.trim_end_matches('0');
                    if frac.is_empty() {
                        int.to_owned()
                    } else {
                        format!("{int}.{frac}")
                    }
                }
                None => text.clone(),
            };
            let min = trimmed.split_once('.').map_or(0, |(_, fr)| fr.len());
            match f {
                Scale => Value::Int4(i32::try_from(x.scale()).unwrap_or(i32::MAX)),
                MinScale => Value::Int4(i32::try_from(min).unwrap_or(i32::MAX)),
                _ => Value::Numeric(Numeric::parse(&trimmed)?),
            }
        }
        NumNulls | NumNonnulls => {
            let nulls = args.iter().filter(|v| v.is_null()).count();
            let n = if f == NumNulls {
                nulls
            } else {
                args.len() - nulls
            };
            Value::Int4(i32::try_from(n).unwrap_or(i32::MAX))
        }
        GenRandomUuid => {
            let mut b = [0u8; 16];
            for chunk in b.chunks_mut(4) {
                // Not the session's generator: setseed() must not make these predictable.
                let r = (UUID_PRNG.lock().next_f64() * 4_294_967_296.0) as u32;
                chunk.copy_from_slice(&r.to_be_bytes());
            }
            b[6] = (b[6] & 0x0F) | 0x40;
            b[8] = (b[8] & 0x3F) | 0x80;
            Value::Uuid(b)
        }
        Atan2 => match (a0, a1) {
            (Value::Float8(y), Value::Float8(x)) => Value::Float8(y.atan2(*x)),
            _ => return Err(wrong_args(f)),
        },
        Atan2d => match (a0, a1) {
            (Value::Float8(y), Value::Float8(x)) => {
                if y.is_nan() || x.is_nan() {
                    Value::Float8(f64::NAN)
                } else {
                    Value::Float8((y.atan2(*x) / 1.0f64.atan()) * 45.0)
                }
            }
            _ => return Err(wrong_args(f)),
        },
        BoolCmp(ne) => match (a0, a1) {
            (Value::Bool(x), Value::Bool(y)) => Value::Bool((x == y) != ne),
            _ => return Err(wrong_args(f)),
        },
        Degree(d) => {
            let x = float_arg(a0).ok_or_else(|| wrong_args(f))?;
            Value::Float8(degree_fn(d, x)?)
        }
        WidthBucket => match (a0, args.get(1), args.get(2), args.get(3)) {
            (
                Value::Float8(x),
                Some(Value::Float8(lo)),
                Some(Value::Float8(hi)),
                Some(Value::Int4(n)),
            ) => Value::Int4(width_bucket_float(*x, *lo, *hi, *n)?),
            (
                Value::Numeric(x),
                Some(Value::Numeric(lo)),
                Some(Value::Numeric(hi)),
                Some(Value::Int4(n)),
            ) => Value::Int4(width_bucket_numeric(x, lo, hi, *n)?),
            _ => return Err(wrong_args(f)),
        },
        BitAnd | BitOr | BitXor => {
            let (x, y) = (
                int_arg(a0).ok_or_else(|| wrong_args(f))?,
                int_arg(a1).ok_or_else(|| wrong_args(f))?,
            );
            let r = match f {
                BitAnd => x & y,
                BitOr => x | y,
                _ => x ^ y,
            };
            same_int(a0, r)
        }
        BitNot => same_int(a0, !int_arg(a0).ok_or_else(|| wrong_args(f))?),
        Shl | Shr => {
            let Value::Int4(n) = a1 else {
                return Err(wrong_args(f));
            };
            // C shifts on x86 use the count modulo the operand width; int2 shifts in int.
            let n = *n as u32;
            match a0 {
                Value::Int2(x) => {
                    let x = i32::from(*x);
                    Value::Int2(if f == Shl {
                        x.wrapping_shl(n) as i16
                    } else {
                        x.wrapping_shr(n) as i16
                    })
                }
                Value::Int4(x) => Value::Int4(if f == Shl {
                    x.wrapping_shl(n)
                } else {
                    x.wrapping_shr(n)
                }),
                Value::Int8(x) => Value::Int8(if f == Shl {
                    x.wrapping_shl(n)
                } else {
                    x.wrapping_shr(n)
                }),
                _ => return Err(wrong_args(f)),
            }
        }
    })
}

/// An integer result in the type of `like` (bitwise results always fit).
fn same_int(like: &Value, r: i64) -> Value {
    match like {
        Value::Int2(_) => Value::Int2(r as i16),
        Value::Int4(_) => Value::Int4(r as i32),
        _ => Value::Int8(r),
    }
}

fn sqrt_negative() -> TypeError {
    TypeError::new(
        INVALID_ARGUMENT_FOR_POWER,
        "cannot take square root of a negative number",
    )
}

fn log_zero() -> TypeError {
    TypeError::new(INVALID_ARGUMENT_FOR_LOG, "cannot take logarithm of zero")
}

fn log_negative() -> TypeError {
    TypeError::new(
        INVALID_ARGUMENT_FOR_LOG,
        "cannot take logarithm of a negative number",
    )
}

fn input_out_of_range() -> TypeError {
    TypeError::out_of_range("input is out of range")
}

fn float_unary(f: MathFunc, x: f64) -> TypeResult<f64> {
    use MathFunc::*;
    if x.is_nan() {
        return Ok(x);
    }
    Ok(match f {
        Degrees => check_float(x * (180.0 / std::f64::consts::PI), x.is_infinite(), true)?,
        Radians => check_float(x * (std::f64::consts::PI / 180.0), x.is_infinite(), true)?,
        Sin | Cos | Tan | Cot => {
            if x.is_infinite() {
                return Err(input_out_of_range());
            }
            match f {
                Sin => x.sin(),
                Cos => x.cos(),
                Tan => x.tan(),
                // cot(0) is Infinity in PostgreSQL (no error).
                _ => 1.0 / x.tan(),
            }
        }
        Asin | Acos => {
            if !(-1.0..=1.0).contains(&x) {
                return Err(input_out_of_range());
            }
            if f == Asin { x.asin() } else { x.acos() }
        }
        _ => x.atan(),
    })
}

/// PostgreSQL's `dpow`: POSIX rules for NaN and infinities, SQL-standard errors.
fn float_pow(x: f64, y: f64) -> TypeResult<f64> {
    if x.is_nan() {
        return Ok(if y == 0.0 { 1.0 } else { f64::NAN });
    }
    if y.is_nan() {
        return Ok(if x == 1.0 { 1.0 } else { f64::NAN });
    }
    if x == 0.0 && y < 0.0 {
        return Err(TypeError::new(
            INVALID_ARGUMENT_FOR_POWER,
            "zero raised to a negative power is undefined",
        ));
    }
    if x < 0.0 && y.floor() != y {
        return Err(TypeError::new(
            INVALID_ARGUMENT_FOR_POWER,
            "a negative number raised to a non-integer power yields a complex result",
        ));
    }
    if y.is_infinite() {
        let ax = x.abs();
        return Ok(if ax == 1.0 {
            1.0
        } else if y > 0.0 {
            if ax > 1.0 { y } else { 0.0 }
        } else if ax > 1.0 {
            0.0
        } else {
            -y
        });
    }
    if x.is_infinite() {
        if y == 0.0 {
            return Ok(1.0);
        }
        if x > 0.0 {
            return Ok(if y > 0.0 { x } else { 0.0 });
        }
        let half = y / 2.0;
        let odd = half.floor() != half;
        return Ok(if y > 0.0 {
            if odd { x } else { -x }
        } else if odd {
            -0.0
        } else {
            0.0
        });
    }
    let r = x.powf(y);
    check_float(r, false, x == 0.0)
}

fn int_gcd(a: i64, b: i64) -> Option<i64> {
    // Work in i128 so that |i64::MIN| is representable; the result must fit again.
    let (mut x, mut y) = (i128::from(a).abs(), i128::from(b).abs());
    while y != 0 {
        let t = x % y;
        x = y;
        y = t;
    }
    i64::try_from(x).ok()
}

fn int_lcm(a: i64, b: i64) -> Option<i64> {
    if a == 0 || b == 0 {
        return Some(0);
    }
    let g = i128::from(int_gcd(a, b)?);
    let r = (i128::from(a) / g * i128::from(b)).abs();
    i64::try_from(r).ok()
}

fn width_bucket_error(msg: &str) -> TypeError {
    TypeError::new(INVALID_ARGUMENT_FOR_WIDTH_BUCKET, msg)
}

fn width_bucket_float(x: f64, lo: f64, hi: f64, count: i32) -> TypeResult<i32> {
    if count <= 0 {
        return Err(width_bucket_error("count must be greater than zero"));
    }
    if x.is_nan() || lo.is_nan() || hi.is_nan() {
        return Err(width_bucket_error(
            "operand, lower bound, and upper bound cannot be NaN",
        ));
    }
    if lo.is_infinite() || hi.is_infinite() {
        return Err(width_bucket_error("lower and upper bounds must be finite"));
    }
    let over = || {
        count
            .checked_add(1)
            .ok_or_else(|| TypeError::out_of_range("integer out of range"))
    };
    let c = f64::from(count);
    let bucket = |frac: f64| -> i32 {
        let r = (c * frac) as i32;
        r.min(count - 1) + 1
    };
    if lo < hi {
        if x < lo {
            Ok(0)
        } else if x >= hi {
            over()
        } else if (hi - lo).is_finite() {
            Ok(bucket((x - lo) / (hi - lo)))
        } else {
            Ok(bucket((x / 2.0 - lo / 2.0) / (hi / 2.0 - lo / 2.0)))
        }
    } else if lo > hi {
        if x > lo {
            Ok(0)
        } else if x <= hi {
            over()
        } else if (lo - hi).is_finite() {
            Ok(bucket((lo - x) / (lo - hi)))
        } else {
            Ok(bucket((lo / 2.0 - x / 2.0) / (lo / 2.0 - hi / 2.0)))
        }
    } else {
        Err(width_bucket_error("lower bound cannot equal upper bound"))
    }
}

fn width_bucket_numeric(x: &Numeric, lo: &Numeric, hi: &Numeric, count: i32) -> TypeResult<i32> {
    if count <= 0 {
        return Err(width_bucket_error("count must be greater than zero"));
    }
    if x.is_nan() || lo.is_nan() || hi.is_nan() {
        return Err(width_bucket_error(
            "operand, lower bound, and upper bound cannot be NaN",
        ));
    }
    if lo.is_infinite() || hi.is_infinite() {
        return Err(width_bucket_error("lower and upper bounds must be finite"));
    }
    let over = || {
        count
            .checked_add(1)
            .ok_or_else(|| TypeError::out_of_range("integer out of range"))
    };
    let c = Numeric::from_i64(i64::from(count));
    // floor(count * num / den) + 1 with num < den, both positive: exact via remainders.
    let bucket = |num: Numeric, den: Numeric| -> TypeResult<i32> {
        let scaled = num.mul(&c)?;
        let q = numeric_div_trunc(&scaled, &den)?;
        let q = q.to_i64_rounded().unwrap_or(i64::from(count) - 1);
        Ok((q.min(i64::from(count) - 1) + 1) as i32)
    };
    match lo.cmp(hi) {
        std::cmp::Ordering::Less => {
            if x < lo {
                Ok(0)
            } else if x >= hi {
                over()
            } else {
                bucket(x.sub(lo)?, hi.sub(lo)?)
            }
        }
        std::cmp::Ordering::Greater => {
            if x > lo {
                Ok(0)
            } else if x <= hi {
                over()
            } else {
                bucket(lo.sub(x)?, lo.sub(hi)?)
            }
        }
        std::cmp::Ordering::Equal => {
            Err(width_bucket_error("lower bound cannot equal upper bound"))
        }
    }
}

/// PostgreSQL's `pg_prng` (xoroshiro128**), so that `setseed(x)` gives PostgreSQL's series of
/// `random()` values. Seeded from the clock when first used without `setseed`.
#[derive(Debug, Default)]
pub struct Prng {
    s0: u64,
    s1: u64,
    seeded: bool,
}

impl Prng {
    /// `pg_prng_seed`: the state from a 64-bit seed through splitmix64.
    fn seed(&mut self, mut seed: u64) {
        let mut splitmix = || {
            seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut v = seed;
            v = (v ^ (v >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            v = (v ^ (v >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            v ^ (v >> 31)
        };
        self.s0 = splitmix();
        self.s1 = splitmix();
        if self.s0 == 0 && self.s1 == 0 {
            self.s0 = 0x5851_F42D_4C95_7F2D;
        }
        self.seeded = true;
    }

    /// `pg_prng_fseed`: a seed in [-1, 1] spread over 52 bits.
    pub fn fseed(&mut self, f: f64) {
        let seed = (((1u64 << 52) - 1) as f64 * f) as i64;
        self.seed(seed as u64);
    }

    /// `pg_prng_double`: uniform in [0, 1) with 52 random bits.
    pub fn next_f64(&mut self) -> f64 {
        if !self.seeded {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x9E37_79B9_7F4A_7C15);
            self.seed(nanos ^ u64::from(std::process::id()).rotate_left(32));
        }
        let (s0, sx) = (self.s0, self.s1 ^ self.s0);
        let v = s0.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        self.s0 = s0.rotate_left(24) ^ sx ^ (sx << 16);
        self.s1 = sx.rotate_left(37);
        (v >> 12) as f64 / (1u64 << 52) as f64
    }
}

/// The generator of evaluations without a session.
static SHARED_PRNG: parking_lot::Mutex<Prng> = parking_lot::Mutex::new(Prng {
    s0: 0,
    s1: 0,
    seeded: false,
});

/// The generator of `gen_random_uuid()`, never seeded by `setseed()`.
static UUID_PRNG: parking_lot::Mutex<Prng> = parking_lot::Mutex::new(Prng {
    s0: 0,
    s1: 0,
    seeded: false,
});

/// `pg_sleep`: sleeps `secs` seconds (none when not positive), in slices short enough that
/// a cancel or `statement_timeout` stops it within ~10 ms, as PostgreSQL's latch wait does.
pub(crate) fn sleep_interruptibly(secs: f64, ctx: &EvalContext) -> TypeResult<()> {
    ctx.check_interrupt()?;
    // Not positive, or NaN: no sleep.
    if secs.is_nan() || secs <= 0.0 {
        return Ok(());
    }
    // Longer than any statement can wait (and `Duration` cannot hold infinity).
    let total = std::time::Duration::from_secs_f64(secs.min(1e9));
    let start = std::time::Instant::now();
    loop {
        let elapsed = start.elapsed();
        if elapsed >= total {
            return Ok(());
        }
        std::thread::sleep((total - elapsed).min(std::time::Duration::from_millis(10)));
        ctx.check_interrupt()?;
    }
}

fn with_prng<R>(ctx: &EvalContext, f: impl FnOnce(&mut Prng) -> R) -> R {
    match &ctx.prng {
        Some(p) => f(&mut p.lock()),
        None => f(&mut SHARED_PRNG.lock()),
    }
}

// ---------------------------------------------------------------------------------------
// Numeric helpers.

const MIN_SIG_DIGITS: i64 = 16;
const MAX_DISPLAY_SCALE: i64 = 1000;
/// Extra digits carried by the iterative algorithms.
const GUARD: i64 = 12;

fn num(v: i64) -> Numeric {
    Numeric::from_i64(v)
}

fn clamp_scale(s: i64) -> i32 {
    s.clamp(-2000, 2000) as i32
}

/// (negative, significant digits without leading or trailing zeros, decimal exponent of the
/// first digit) of a finite non-zero value.
fn significand(x: &Numeric) -> Option<(bool, Vec<u8>, i64)> {
    if !x.is_finite() || x.is_zero() {
        return None;
    }
    let text = x.to_text();
    let neg = text.starts_with('-');
    let body = text.trim_start_matches('-');
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let all: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
    let lead = all.iter().take_while(|&&d| d == 0).count();
    let mut digits = all[lead..].to_vec();
    while digits.last() == Some(&0) {
        digits.pop();
    }
    let exp = int.len() as i64 - 1 - lead as i64;
    Some((neg, digits, exp))
}

/// Decimal exponent of the leading digit (`None` for zero and specials).
fn dexp(x: &Numeric) -> Option<i64> {
    significand(x).map(|(_, _, e)| e)
}

/// `x` rounded to `sig` significant digits.
fn round_sig(x: &Numeric, sig: i64) -> TypeResult<Numeric> {
    match dexp(x) {
        None => Ok(x.clone()),
        Some(e) => x.round(clamp_scale(sig - 1 - e)),
    }
}

/// `a / b` rounded to `scale` decimal places.
fn div_to(a: &Numeric, b: &Numeric, scale: i64) -> TypeResult<Numeric> {
    a.round(clamp_scale(scale + 2))?
        .div(b)?
        .round(clamp_scale(scale))
}

/// The weight and first two base-10000 digits PostgreSQL stores for `x` (non-zero).
fn nbase_digits(x: &Numeric) -> Option<(i64, i64, Option<i64>)> {
    let (_, digits, e) = significand(x)?;
    let weight = e.div_euclid(4);
    let k = (e - 4 * weight + 1) as usize;
    let group = |from: usize, len: usize| -> i64 {
        (from..from + len).fold(0i64, |acc, i| {
            acc * 10 + i64::from(*digits.get(i).unwrap_or(&0))
        })
    };
    let d0 = group(0, k);
    let d1 = (digits.len() > k).then(|| group(k, 4));
    Some((weight, d0, d1))
}

/// An `f64` approximation of `x` that does not overflow: (mantissa, decimal exponent).
fn approx(x: &Numeric) -> Option<(f64, i64)> {
    let (neg, digits, e) = significand(x)?;
    let mut m = 0.0f64;
    for (i, d) in digits.iter().take(17).enumerate() {
        m += f64::from(*d) * 10f64.powi(-(i as i32));
    }
    Some((if neg { -m } else { m }, e))
}

/// `log10(|x|)` as a float, for scale estimates.
fn approx_log10(x: &Numeric) -> Option<f64> {
    approx(x).map(|(m, e)| m.abs().log10() + e as f64)
}

/// PostgreSQL's `estimate_ln_dweight`.
fn estimate_ln_dweight(x: &Numeric) -> i64 {
    if x.is_negative() || x.is_zero() || !x.is_finite() {
        return 0;
    }
    let lo = Numeric::from_parts(9, 1);
    let hi = Numeric::from_parts(11, 1);
    if *x >= lo && *x <= hi {
        return match x.sub(&num(1)) {
            Ok(d) => dexp(&d).unwrap_or(0),
            Err(_) => 0,
        };
    }
    let Some((weight, d0, d1)) = nbase_digits(x) else {
        return 0;
    };
    let (digits, dweight) = match d1 {
        Some(d1) => (d0 * 10000 + d1, weight * 4 - 4),
        None => (d0, weight * 4),
    };
    let ln = (digits as f64).ln() + dweight as f64 * std::f64::consts::LN_10;
    ln.abs().log10() as i64
}

fn final_scale(s: i64) -> i64 {
    s.clamp(0, MAX_DISPLAY_SCALE)
}

fn numeric_ceil(x: &Numeric, ceil: bool) -> TypeResult<Numeric> {
    let t = x.trunc(0);
    if !x.is_finite() || t == *x {
        return Ok(t);
    }
    if ceil && !x.is_negative() {
        t.add(&num(1))
    } else if !ceil && x.is_negative() {
        t.sub(&num(1))
    } else {
        Ok(t)
    }
}

/// `div(x, y)`: the quotient truncated toward zero, exactly.
fn numeric_div_trunc(x: &Numeric, y: &Numeric) -> TypeResult<Numeric> {
    // NaN wins over a zero divisor (`div('NaN', 0)` is NaN).
    if x.is_nan() || y.is_nan() {
        return Ok(Numeric::NAN);
    }
    if y.is_zero() {
        return Err(TypeError::division_by_zero());
    }
    if x.is_infinite() {
        return Ok(if y.is_infinite() {
            Numeric::NAN
        } else if x.is_negative() != y.is_negative() {
            Numeric::NEG_INFINITY
        } else {
            Numeric::INFINITY
        });
    }
    if y.is_infinite() {
        return Ok(Numeric::zero());
    }
    // x - (x mod y) is an exact multiple of y, so this division is exact.
    let multiple = x.sub(&x.rem(y)?)?;
    let q = div_to(&multiple, y, 0)?;
    Ok(q.trunc(0))
}

fn numeric_gcd(x: &Numeric, y: &Numeric) -> TypeResult<Numeric> {
    if x.is_nan() || y.is_nan() || x.is_infinite() || y.is_infinite() {
        return Ok(Numeric::NAN);
    }
    let scale = x.scale().max(y.scale()) as i32;
    let (mut a, mut b) = (x.abs(), y.abs());
    while !b.is_zero() {
        let t = a.rem(&b)?;
        a = b;
        b = t;
    }
    a.round(scale)
}

fn numeric_lcm(x: &Numeric, y: &Numeric) -> TypeResult<Numeric> {
    if x.is_nan() || y.is_nan() || x.is_infinite() || y.is_infinite() {
        return Ok(Numeric::NAN);
    }
    let scale = x.scale().max(y.scale()) as i64;
    if x.is_zero() || y.is_zero() {
        return Numeric::zero().round(scale as i32);
    }
    let g = numeric_gcd(x, y)?;
    let prod = x.mul(y)?.abs();
    // |x*y| / gcd is exact; the division's own scale may exceed the inputs', so round.
    div_to(&prod, &g, scale)
}

/// Square root of a positive finite value to `scale` decimals (Newton's method).
pub(crate) fn sqrt_to(x: &Numeric, scale: i64) -> TypeResult<Numeric> {
    let Some((m, e)) = approx(x) else {
        return Numeric::zero().round(clamp_scale(scale));
    };
    let (m, e) = if e % 2 != 0 {
        (m * 10.0, e - 1)
    } else {
        (m, e)
    };
    let mut y = Numeric::parse(&format!("{:e}", m.sqrt()))
        .and_then(|g| g.mul(&Numeric::parse(&format!("1e{}", e / 2))?))?;
    // Relative precision: scale digits after the point plus the digits before it.
    let work = scale + GUARD;
    let half = Numeric::from_parts(5, 1);
    for _ in 0..100 {
        let next = y
            .add(&div_to(x, &y, work)?)?
            .mul(&half)?
            .round(clamp_scale(work))?;
        if next == y {
            break;
        }
        y = next;
    }
    y.round(clamp_scale(scale))
}

/// PostgreSQL's `numeric_sqrt`.
fn numeric_sqrt(x: &Numeric) -> TypeResult<Numeric> {
    if x.is_nan() {
        return Ok(Numeric::NAN);
    }
    if x.is_negative() {
        return Err(sqrt_negative());
    }
    if x.is_infinite() {
        return Ok(Numeric::INFINITY);
    }
    let weight = nbase_digits(x).map_or(0, |(w, _, _)| w);
    let sweight = (weight + 1) * 4 / 2 - 1;
    let rscale = final_scale((MIN_SIG_DIGITS - sweight).max(i64::from(x.scale())));
    sqrt_to(x, rscale)
}

/// Natural logarithm of a positive finite value to `scale` decimals: square roots bring the
/// argument near 1, then `ln x = 2 atanh((x-1)/(x+1))`.
fn ln_to(x: &Numeric, scale: i64) -> TypeResult<Numeric> {
    let lo = Numeric::from_parts(9, 1);
    let hi = Numeric::from_parts(11, 1);
    let mut y = x.clone();
    let mut halvings: u32 = 0;
    let work = scale + GUARD + 8;
    while y < lo || y > hi {
        // Keep `work` significant digits whatever the magnitude of y.
        let e = dexp(&y).unwrap_or(0);
        let s = work + (-e / 2).max(0) + 2;
        y = sqrt_to(&y, s)?;
        halvings += 1;
    }
    let work = work + i64::from(halvings) * 3 / 10 + 2;
    let one = num(1);
    let z = div_to(&y.sub(&one)?, &y.add(&one)?, work)?;
    let z2 = z.mul(&z)?.round(clamp_scale(work))?;
    let mut sum = z.clone();
    let mut power = z;
    let mut k = 3i64;
    loop {
        power = power.mul(&z2)?.round(clamp_scale(work))?;
        if power.is_zero() {
            break;
        }
        let term = div_to(&power, &num(k), work)?;
        if term.is_zero() {
            break;
        }
        sum = sum.add(&term)?;
        k += 2;
    }
    let factor = Numeric::from_i128(1i128 << (halvings + 1));
    sum.mul(&factor)?.round(clamp_scale(scale))
}

fn check_log_arg(x: &Numeric) -> TypeResult<()> {
    if x.is_zero() {
        return Err(log_zero());
    }
    if x.is_negative() {
        return Err(log_negative());
    }
    Ok(())
}

/// PostgreSQL's `numeric_ln`.
fn numeric_ln(x: &Numeric) -> TypeResult<Numeric> {
    if x.is_nan() {
        return Ok(Numeric::NAN);
    }
    check_log_arg(x)?;
    if x.is_infinite() {
        return Ok(Numeric::INFINITY);
    }
    let rscale = final_scale((MIN_SIG_DIGITS - estimate_ln_dweight(x)).max(i64::from(x.scale())));
    ln_to(x, rscale)
}

/// PostgreSQL's `numeric_log(base, x)` (`log_var`).
fn numeric_log(base: &Numeric, x: &Numeric) -> TypeResult<Numeric> {
    if base.is_nan() || x.is_nan() {
        return Ok(Numeric::NAN);
    }
    if base.is_infinite() || x.is_infinite() {
        if base.is_negative() || x.is_negative() {
            return Err(log_negative());
        }
        if base.is_zero() || x.is_zero() {
            return Err(log_zero());
        }
        return Ok(if base.is_infinite() {
            if x.is_infinite() {
                Numeric::NAN
            } else {
                Numeric::zero()
            }
        } else {
            Numeric::INFINITY
        });
    }
    check_log_arg(base)?;
    check_log_arg(x)?;
    let base_dw = estimate_ln_dweight(base);
    let num_dw = estimate_ln_dweight(x);
    let result_dw = num_dw - base_dw;
    let rscale = final_scale(
        (MIN_SIG_DIGITS - result_dw)
            .max(i64::from(base.scale()))
            .max(i64::from(x.scale())),
    );
    let base_scale = (rscale + result_dw - base_dw + 8).max(0) + GUARD;
    let num_scale = (rscale + result_dw - num_dw + 8).max(0) + GUARD;
    let ln_base = ln_to(base, base_scale)?;
    let ln_num = ln_to(x, num_scale)?;
    if ln_base.is_zero() {
        return Err(TypeError::division_by_zero());
    }
    div_to(&ln_num, &ln_base, rscale)
}

/// `e^x` to `scale` decimals; zero when the result rounds away, overflow past 10^(6000·log e).
fn exp_to(x: &Numeric, scale: i64) -> TypeResult<Numeric> {
    if x.is_zero() {
        return num(1).round(clamp_scale(scale));
    }
    let val = x.to_f64();
    if val.abs() >= 6000.0 {
        if val > 0.0 {
            return Err(TypeError::out_of_range("value overflows numeric format"));
        }
        return Numeric::zero().round(clamp_scale(scale));
    }
    let result_exp = (val * std::f64::consts::LOG10_E).floor() as i64;
    let sig = scale + result_exp + 1;
    if sig < 0 {
        return Numeric::zero().round(clamp_scale(scale));
    }
    let ax = x.abs();
    // Halve until |y| < 0.01, sum the series, then square back.
    let mut halvings = 0u32;
    let mut bound = val.abs();
    while bound >= 0.01 {
        bound /= 2.0;
        halvings += 1;
    }
    let work = sig.max(1) + GUARD + i64::from(halvings) * 3 / 10 + 4;
    let y = ax.mul(&Numeric::parse(&format!(
        "{}e-{}",
        5u128.pow(halvings.min(50)),
        halvings.min(50)
    ))?)?;
    // Numbers of halvings beyond 50 never occur: |x| < 6000 needs at most 20.
    let mut sum = num(1).add(&y)?;
    let mut term = y.clone();
    let mut k = 2i64;
    loop {
        term = div_to(&term.mul(&y)?, &num(k), work)?;
        if term.is_zero() {
            break;
        }
        sum = sum.add(&term)?;
        k += 1;
    }
    for _ in 0..halvings {
        sum = round_sig(&sum.mul(&sum)?, work)?;
    }
    let r = if x.is_negative() {
        div_to(&num(1), &sum, scale + 2)?
    } else {
        sum
    };
    r.round(clamp_scale(scale))
}

/// PostgreSQL's `numeric_exp`.
fn numeric_exp(x: &Numeric) -> TypeResult<Numeric> {
    if x.is_nan() {
        return Ok(Numeric::NAN);
    }
    if x.is_infinite() {
        return Ok(if x.is_negative() {
            Numeric::zero()
        } else {
            Numeric::INFINITY
        });
    }
    let val = (x.to_f64() * std::f64::consts::LOG10_E).clamp(-2000.0, 2000.0);
    let rscale = final_scale((MIN_SIG_DIGITS - val as i64).max(i64::from(x.scale())));
    exp_to(x, rscale)
}

/// `base ^ exp` for an integer exponent (PostgreSQL's `power_var_int`).
fn power_int(base: &Numeric, exp: i64, rscale: i64) -> TypeResult<Numeric> {
    let scale = clamp_scale(rscale);
    match exp {
        0 => return num(1).round(scale),
        1 => return base.round(scale),
        -1 => return div_to(&num(1), base, rscale),
        2 => return base.mul(base)?.round(scale),
        _ => {}
    }
    if base.is_zero() {
        if exp < 0 {
            return Err(TypeError::division_by_zero());
        }
        return Numeric::zero().round(scale);
    }
    let f = exp as f64 * approx_log10(base).unwrap_or(0.0);
    if f > 3.0 * 32767.0 * 4.0 {
        return Err(TypeError::out_of_range("value overflows numeric format"));
    }
    if f + 1.0 < -(rscale as f64) || f + 1.0 < -(MAX_DISPLAY_SCALE as f64) {
        return Numeric::zero().round(scale);
    }
    let sig = 1 + rscale + f as i64 + GUARD + 20;
    let mut n = exp.unsigned_abs();
    let mut b = base.clone();
    let mut acc = num(1);
    while n > 0 {
        if n & 1 == 1 {
            acc = round_sig(&acc.mul(&b)?, sig)?;
        }
        n >>= 1;
        if n > 0 {
            b = round_sig(&b.mul(&b)?, sig)?;
        }
    }
    if exp < 0 {
        div_to(&num(1), &acc, rscale)
    } else {
        acc.round(scale)
    }
}

/// PostgreSQL's `numeric_power` / `power_var`.
fn numeric_power(x: &Numeric, y: &Numeric) -> TypeResult<Numeric> {
    if x.is_nan() {
        return Ok(if y.is_zero() { num(1) } else { Numeric::NAN });
    }
    if y.is_nan() {
        return Ok(if *x == num(1) { num(1) } else { Numeric::NAN });
    }
    if x.is_infinite() || y.is_infinite() {
        // The POSIX rules for infinities, as PostgreSQL applies them to numeric.
        let r = float_pow(x.to_f64(), y.to_f64())?;
        return Ok(if r.is_nan() {
            Numeric::NAN
        } else if r == f64::INFINITY {
            Numeric::INFINITY
        } else if r == f64::NEG_INFINITY {
            Numeric::NEG_INFINITY
        } else if r == 0.0 {
            Numeric::zero()
        } else {
            num(r as i64)
        });
    }
    if x.is_zero() && y.is_negative() {
        return Err(TypeError::new(
            INVALID_ARGUMENT_FOR_POWER,
            "zero raised to a negative power is undefined",
        ));
    }
    // Integer exponent that fits in int4: power_var_int with at least 16 digits.
    if y.trunc(0) == *y
        && let Some(e) = y.to_i64_rounded()
        && i32::try_from(e).is_ok()
    {
        let rscale = final_scale(MIN_SIG_DIGITS.max(i64::from(x.scale())));
        return power_int(x, e, rscale);
    }
    if x.is_negative() {
        return Err(TypeError::new(
            INVALID_ARGUMENT_FOR_POWER,
            "a negative number raised to a non-integer power yields a complex result",
        ));
    }
    if x.is_zero() {
        return Numeric::zero().round(MIN_SIG_DIGITS as i32);
    }
    let ln_dweight = estimate_ln_dweight(x);
    let ln_approx = approx_log10(x).unwrap_or(0.0) * std::f64::consts::LN_10;
    let val = ln_approx * y.to_f64();
    if val.abs() > 2000.0 * 3.01 {
        if val > 0.0 {
            return Err(TypeError::out_of_range("value overflows numeric format"));
        }
        return Numeric::zero().round(MAX_DISPLAY_SCALE as i32);
    }
    let val = val * std::f64::consts::LOG10_E;
    let rscale = final_scale(
        (MIN_SIG_DIGITS - val as i64)
            .max(i64::from(x.scale()))
            .max(i64::from(y.scale())),
    );
    let y_digits = approx_log10(y).unwrap_or(0.0).max(0.0) as i64 + 1;
    let ln_scale = (rscale + val as i64 - ln_dweight + 8).max(0) + GUARD + y_digits + 4;
    let t = ln_to(x, ln_scale)?.mul(y)?.round(clamp_scale(ln_scale))?;
    exp_to(&t, rscale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Numeric {
        Numeric::parse(s).unwrap()
    }

    #[test]
    fn nbase_and_estimates() {
        assert_eq!(nbase_digits(&n("123456789")), Some((2, 1, Some(2345))));
        assert_eq!(nbase_digits(&n("0.00001")), Some((-2, 1000, None)));
        assert_eq!(nbase_digits(&n("2")), Some((0, 2, None)));
        assert_eq!(estimate_ln_dweight(&n("2")), 0);
        assert_eq!(estimate_ln_dweight(&n("1e-10")), 1);
        assert_eq!(estimate_ln_dweight(&n("1.01")), -2);
    }

    #[test]
    fn resolution_rules() {
        let c: [&[DataType]; 2] = [&[F8], &[NUM]];
        assert_eq!(best_candidate(&c, &[I4]), Some(0));
        assert_eq!(best_candidate(&c, &[NUM]), Some(1));
        assert_eq!(best_candidate(&c, &[DataType::Unknown]), Some(0));
        assert_eq!(best_candidate(&c, &[DataType::Text]), None);
    }
}
