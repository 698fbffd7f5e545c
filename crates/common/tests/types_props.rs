//! Property tests of the type system: no input panics, text output reads back, equality and
//! hashing agree, index keys preserve order, and numeric arithmetic matches an exact model.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns

use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use basalt_common::keycode::{SortOrder, encode};
use basalt_common::types::{
    DataType, Interval, Numeric, TimeZone, TypeContext, Value, format_text, parse_text,
    to_key_value,
};
use proptest::prelude::*;

fn all_types() -> Vec<DataType> {
    [
        "boolean",
        "smallint",
        "integer",
        "bigint",
        "real",
        "double precision",
        "numeric",
        "numeric(5,2)",
        "numeric(4,-1)",
        "text",
        "varchar(3)",
        "char(3)",
        "bpchar",
        "bytea",
        "date",
        "time",
        "time(2)",
        "timestamp",
        "timestamp(0)",
        "timestamptz",
        "interval",
        "uuid",
        "json",
        "jsonb",
        "integer[]",
        "text[]",
        "numeric[]",
        "jsonb[]",
        "date[]",
    ]
    .iter()
    .map(|t| DataType::parse(t).unwrap())
    .collect()
}

/// `cases` by default; `PROPTEST_CASES` overrides it for long hunting runs.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

fn hash_of(v: &Value) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

fn key_bytes(v: &Value) -> Vec<u8> {
    encode(&[to_key_value(v).unwrap()], &[SortOrder::ASC]).unwrap()
}

/// Strings built from the characters date, number, JSON and array syntax is made of.
fn syntaxish() -> impl Strategy<Value = String> {
    proptest::string::string_regex(r#"[0-9 .:+\-eE/TtZzaAbBcCdDjJmMnNpPsSuUxXyY\\"{},\[\]@]{0,30}"#)
        .unwrap()
}

fn ctxs() -> [TypeContext; 2] {
    [
        TypeContext::default(),
        TypeContext {
            time_zone: TimeZone::Fixed(-(5 * 3600 + 1800)),
            now: Some(1_000_000),
            ..Default::default()
        },
    ]
}

/// Parses, prints, parses again: the second print must equal the first.
fn check_fixpoint(input: &str) -> Result<(), TestCaseError> {
    for ctx in ctxs() {
        for ty in all_types() {
            if let Ok(v) = parse_text(input, &ty, &ctx) {
                let out = format_text(&v, &ctx).unwrap_or_default();
                let again = parse_text(&out, &ty, &ctx);
                prop_assert!(
                    again.is_ok(),
                    "{ty:?}: {input:?} -> {out:?} does not read back: {again:?}"
                );
                let again = again.unwrap();
                prop_assert_eq!(
                    format_text(&again, &ctx).unwrap_or_default(),
                    out.clone(),
                    "{:?} {:?}",
                    ty,
                    input
                );
                prop_assert_eq!(&again, &v, "{:?}: {:?} -> {:?}", ty, input, out);
                prop_assert_eq!(hash_of(&again), hash_of(&v));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn any_string_is_handled_without_panic(s in any::<String>()) {
        check_fixpoint(&s)?;
    }

    #[test]
    fn syntax_like_strings_round_trip(s in syntaxish()) {
        check_fixpoint(&s)?;
    }

    #[test]
    fn floats_round_trip(bits in any::<u64>(), bits32 in any::<u32>()) {
        let ctx = TypeContext::default();
        let v = f64::from_bits(bits);
        let out = format_text(&Value::Float8(v), &ctx).unwrap();
        let back = parse_text(&out, &DataType::Float8, &ctx).unwrap();
        prop_assert_eq!(back.clone(), Value::Float8(v));
        if let Value::Float8(b) = back { prop_assert!(b.to_bits() == v.to_bits() || v.is_nan()); }
        let w = f32::from_bits(bits32);
        let out = format_text(&Value::Float4(w), &ctx).unwrap();
        let back = parse_text(&out, &DataType::Float4, &ctx).unwrap();
        if let Value::Float4(b) = back { prop_assert!(b.to_bits() == w.to_bits() || w.is_nan()); }
    }

    #[test]
    fn datetimes_round_trip(days in -2_451_545i32..2_145_031_949, micros in -211_813_488_000_000_000i64..9_223_371_331_200_000_000, t in 0i64..=86_400_000_000, m in any::<i32>(), d in any::<i32>(), us in any::<i64>()) {
        for ctx in ctxs() {
            for (v, ty) in [
                (Value::Date(days), DataType::Date),
                (Value::Timestamp(micros), DataType::Timestamp(None)),
                (Value::Time(t), DataType::Time(None)),
                (Value::Interval(Interval::new(m, d, us)), DataType::Interval),
            ] {
                let out = format_text(&v, &ctx).unwrap();
                let back = parse_text(&out, &ty, &ctx);
                prop_assert!(back.is_ok(), "{out} -> {back:?}");
                let back = back.unwrap();
                prop_assert_eq!(format_text(&back, &ctx).unwrap(), out);
                if let (Value::Interval(a), Value::Interval(b)) = (&v, &back) {
                    prop_assert_eq!((a.months, a.days, a.micros), (b.months, b.days, b.micros));
                } else {
                    prop_assert_eq!(back, v);
                }
            }
            // timestamptz whose local time stays in range.
            let tz = Value::Timestamptz(micros.clamp(-211_813_400_000_000_000, 9_223_371_331_100_000_000));
            let out = format_text(&tz, &ctx).unwrap();
            prop_assert_eq!(parse_text(&out, &DataType::Timestamptz(None), &ctx).unwrap(), tz);
        }
    }

    #[test]
    fn numeric_arithmetic_matches_i128(a in any::<i64>(), sa in 0u32..8, b in any::<i64>(), sb in 0u32..8) {
        let (na, nb) = (Numeric::from_parts(a.into(), sa), Numeric::from_parts(b.into(), sb));
        let s = sa.max(sb);
        let ai = i128::from(a) * 10i128.pow(s - sa);
        let bi = i128::from(b) * 10i128.pow(s - sb);
        prop_assert_eq!(na.add(&nb).unwrap().to_parts(), Some((ai + bi, s)));
        prop_assert_eq!(na.sub(&nb).unwrap().to_parts(), Some((ai - bi, s)));
        prop_assert_eq!(na.cmp(&nb), ai.cmp(&bi));
        let prod = na.mul(&nb).unwrap();
        prop_assert_eq!(prod.to_parts(), Some((i128::from(a) * i128::from(b), sa + sb)));
        if b != 0 {
            // |q - a/b| <= half a unit in the last place of q, and ties go away from zero.
            let q = na.div(&nb).unwrap();
            let half = Numeric::from_parts(5, q.scale() + 1);
            let lo = q.sub(&half).unwrap().mul(&nb.abs()).unwrap();
            let hi = q.add(&half).unwrap().mul(&nb.abs()).unwrap();
            let target = if b < 0 { na.neg() } else { na.clone() };
            prop_assert!(lo <= target && target <= hi, "{na} / {nb} = {q}");
            let r = na.rem(&nb).unwrap();
            prop_assert_eq!(r.to_parts(), Some((ai % bi, s)));
        } else {
            prop_assert_eq!(na.div(&nb).unwrap_err().code(), "22012");
        }
        // Text round trip keeps the scale.
        let text = na.to_text();
        let back = Numeric::parse(&text).unwrap();
        prop_assert_eq!(back.to_text(), text);
    }

    #[test]
    fn numeric_equality_hash_and_key_agree(a in any::<i64>(), sa in 0u32..30, extra in 0u32..5, b in any::<i64>(), sb in 0u32..30, special in 0u8..8) {
        let na = Numeric::from_parts(a.into(), sa);
        // Same value with more trailing zeros.
        let padded = na.round(i32::try_from(sa + extra).unwrap()).unwrap();
        prop_assert_eq!(&padded, &na);
        let (va, vp) = (Value::Numeric(na.clone()), Value::Numeric(padded));
        prop_assert_eq!(hash_of(&va), hash_of(&vp));
        prop_assert_eq!(key_bytes(&va), key_bytes(&vp));
        let nb = match special {
            0 => Numeric::NAN,
            1 => Numeric::INFINITY,
            2 => Numeric::NEG_INFINITY,
            _ => Numeric::from_parts(b.into(), sb),
        };
        let vb = Value::Numeric(nb);
        prop_assert_eq!(va.cmp(&vb), key_bytes(&va).cmp(&key_bytes(&vb)));
        if va == vb { prop_assert_eq!(hash_of(&va), hash_of(&vb)); }
    }

    #[test]
    fn keys_preserve_order(x in any::<i32>(), y in any::<i32>(), f in any::<f64>(), g in any::<f64>(), s in "[a ]{0,4}", t in "[a ]{0,4}",
                           m1 in -3i32..3, d1 in -40i32..40, u1 in any::<i64>(), m2 in -3i32..3, d2 in -40i32..40, u2 in any::<i64>(),
                           xs in proptest::collection::vec(proptest::option::of(-3i32..3), 0..4), ys in proptest::collection::vec(proptest::option::of(-3i32..3), 0..4)) {
        let arr = |v: &Vec<Option<i32>>| Value::array(DataType::Int4, v.iter().map(|e| e.map_or(Value::Null, Value::Int4)).collect());
        let pairs = [
            (Value::Int4(x), Value::Int4(y)),
            (Value::Float8(f), Value::Float8(g)),
            (Value::Float8(f), Value::Float8(-0.0)),
            (Value::Float4(x as f32), Value::Float4(f32::NAN)),
            (Value::Bpchar(s.clone()), Value::Bpchar(t.clone())),
            (Value::Text(s), Value::Text(t)),
            (Value::Interval(Interval::new(m1, d1, u1 / 1000)), Value::Interval(Interval::new(m2, d2, u2 / 1000))),
            (arr(&xs), arr(&ys)),
            (Value::Date(x), Value::Date(y)),
        ];
        for (a, b) in pairs {
            prop_assert_eq!(a.cmp(&b), key_bytes(&a).cmp(&key_bytes(&b)), "{:?} vs {:?}", a, b);
            if a == b { prop_assert_eq!(hash_of(&a), hash_of(&b)); }
        }
    }

    #[test]
    fn jsonb_keys_preserve_order(a in json_value(), b in json_value()) {
        let ctx = TypeContext::default();
        let va = parse_text(&a, &DataType::Jsonb, &ctx).unwrap();
        let vb = parse_text(&b, &DataType::Jsonb, &ctx).unwrap();
        prop_assert_eq!(va.cmp(&vb), key_bytes(&va).cmp(&key_bytes(&vb)), "{} vs {}", a, b);
        if va == vb { prop_assert_eq!(hash_of(&va), hash_of(&vb)); }
        prop_assert_eq!(va.cmp(&vb) == Ordering::Equal, va == vb);
    }
}

fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        (-20i32..20, 0u32..3).prop_map(|(n, s)| format!("{}", Numeric::from_parts(n.into(), s))),
        "[ab]{0,3}".prop_map(|s| format!("\"{s}\"")),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3)
                .prop_map(|v| format!("[{}]", v.join(","))),
            proptest::collection::vec(("[ab]{0,2}", inner), 0..3).prop_map(|v| {
                let body: Vec<String> =
                    v.into_iter().map(|(k, x)| format!("\"{k}\":{x}")).collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    })
}

/// A value of some type, read from a syntax-like string or a typical literal.
fn some_value() -> impl Strategy<Value = Value> {
    let literals = prop_oneof![
        syntaxish(),
        Just("1.5".to_owned()),
        Just("-2147483649".to_owned()),
        Just("1e308".to_owned()),
        Just("NaN".to_owned()),
        Just("infinity".to_owned()),
        Just("2000-01-01 12:00".to_owned()),
        Just("{1,NULL}".to_owned()),
        Just("[1, {\"a\": 2}]".to_owned()),
        Just("t".to_owned()),
    ];
    (literals, 0usize..29).prop_map(|(s, k)| {
        let ty = all_types().swap_remove(k);
        parse_text(&s, &ty, &TypeContext::default()).unwrap_or(Value::Null)
    })
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn casts_and_arithmetic_never_panic(a in some_value(), b in some_value()) {
        use basalt_common::types::{ArithOp, CastContext, arith, cast};
        use basalt_common::types::arith::negate;
        for ctx in ctxs() {
            for ty in all_types() {
                for kind in [CastContext::Implicit, CastContext::Assignment, CastContext::Explicit] {
                    if let Ok(v) = cast(&a, &ty, kind, &ctx) {
                        let _ = format_text(&v, &ctx);
                        let _ = to_key_value(&v);
                    }
                }
            }
        }
        for op in [ArithOp::Add, ArithOp::Sub, ArithOp::Mul, ArithOp::Div, ArithOp::Mod] {
            let _ = arith(op, &a, &b);
            let _ = arith(op, &a, &a);
        }
        let _ = negate(&a);
        prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        if a == b { prop_assert_eq!(hash_of(&a), hash_of(&b)); }
    }
}
