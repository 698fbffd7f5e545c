//! Property tests of the key codec against a hand-written model of PostgreSQL's sort order.
//!
//! The model (`model_cmp`) compares tuples of [`KeyValue`]s directly: NULL placement from
//! `nulls_first`, direction from `desc`, `float8` order with `-0.0 = 0.0` and NaN above
//! everything, byte-wise text and bytes, and type rank between values of different types. The
//! codec must agree with it byte for byte.

use std::cmp::Ordering;

use basalt_common::keycode::{
    KeyBuilder, KeyCodecError, KeyDecoder, KeyValue, SortOrder, decode, encode, encode_into,
    prefix_end,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

// ---------------------------------------------------------------------------------------------
// The model.

/// Rank of a type when one column mixes types: the codec's tag order.
fn rank(v: &KeyValue) -> u8 {
    match v {
        KeyValue::Null => unreachable!("NULL is ordered separately"),
        KeyValue::Bool(_) => 0,
        KeyValue::Int(_) => 1,
        KeyValue::Float(_) => 2,
        KeyValue::Text(_) => 3,
        KeyValue::Bytes(_) => 4,
        KeyValue::Uuid(_) => 5,
    }
}

/// PostgreSQL's `float8` comparison: NaNs equal each other and exceed every number.
fn pg_float_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).expect("neither is NaN"),
    }
}

/// Ascending comparison of two non-NULL values.
fn cmp_values(a: &KeyValue, b: &KeyValue) -> Ordering {
    match (a, b) {
        (KeyValue::Bool(x), KeyValue::Bool(y)) => x.cmp(y),
        (KeyValue::Int(x), KeyValue::Int(y)) => x.cmp(y),
        (KeyValue::Float(x), KeyValue::Float(y)) => pg_float_cmp(*x, *y),
        (KeyValue::Text(x), KeyValue::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (KeyValue::Bytes(x), KeyValue::Bytes(y)) => x.cmp(y),
        (KeyValue::Uuid(x), KeyValue::Uuid(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// One column in its declared order.
fn cmp_component(a: &KeyValue, b: &KeyValue, order: SortOrder) -> Ordering {
    let null_vs_value = if order.nulls_first {
        Ordering::Less
    } else {
        Ordering::Greater
    };
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => null_vs_value,
        (false, true) => null_vs_value.reverse(),
        (false, false) if order.desc => cmp_values(a, b).reverse(),
        (false, false) => cmp_values(a, b),
    }
}

/// Tuple order: the first differing column decides; a shorter equal tuple sorts first.
fn model_cmp(a: &[KeyValue], b: &[KeyValue], orders: &[SortOrder]) -> Ordering {
    for ((x, y), order) in a.iter().zip(b).zip(orders) {
        match cmp_component(x, y, *order) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    a.len().cmp(&b.len())
}

/// What a decoded value must be: `-0.0` becomes `0.0`; a NaN stays a NaN (of any bits).
fn same_after_round_trip(original: &KeyValue, decoded: &KeyValue) -> bool {
    match (original, decoded) {
        (KeyValue::Float(x), KeyValue::Float(y)) if x.is_nan() => y.is_nan(),
        (KeyValue::Float(x), KeyValue::Float(y)) if *x == 0.0 => y.to_bits() == 0,
        (KeyValue::Float(x), KeyValue::Float(y)) => x.to_bits() == y.to_bits(),
        _ => original == decoded,
    }
}

fn enc(values: &[KeyValue], orders: &[SortOrder]) -> Vec<u8> {
    encode(values, &orders[..values.len()]).expect("one order per value")
}

// ---------------------------------------------------------------------------------------------
// Generators. Domains are small and full of edge cases so that equal components (which make the
// later columns matter) and boundary values come up often.

#[derive(Debug, Clone, Copy)]
enum ColType {
    Bool,
    Int,
    Float,
    Text,
    Bytes,
    Uuid,
    /// A column whose values have any type (exercises the cross-type tag order).
    Any,
}

fn col_type() -> impl Strategy<Value = ColType> {
    select(vec![
        ColType::Bool,
        ColType::Int,
        ColType::Float,
        ColType::Text,
        ColType::Bytes,
        ColType::Uuid,
        ColType::Any,
    ])
}

fn sort_order() -> impl Strategy<Value = SortOrder> {
    (any::<bool>(), any::<bool>()).prop_map(|(desc, nulls_first)| SortOrder { desc, nulls_first })
}

fn int() -> BoxedStrategy<i64> {
    prop_oneof![
        select(vec![
            i64::MIN,
            i64::MIN + 1,
            -256,
            -1,
            0,
            1,
            255,
            256,
            i64::MAX - 1,
            i64::MAX
        ]),
        -3i64..3,
        any::<i64>(),
    ]
    .boxed()
}

fn float() -> BoxedStrategy<f64> {
    prop_oneof![
        select(vec![
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7FF0_0000_0000_0001), // another NaN payload
            f64::from_bits(0xFFFF_FFFF_FFFF_FFFF), // negative NaN, all payload bits
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1.0,
            -1.0,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            f64::from_bits(1), // smallest subnormal
            -f64::from_bits(1),
            f64::MAX,
            f64::MIN,
        ]),
        any::<f64>(),
    ]
    .boxed()
}

fn text() -> BoxedStrategy<String> {
    vec(
        select(vec![
            '\0',
            '\u{1}',
            'a',
            'b',
            '\u{7f}',
            '\u{ff}',
            'é',
            '\u{10FFFF}',
        ]),
        0..4,
    )
    .prop_map(|chars| chars.into_iter().collect())
    .boxed()
}

fn bytes() -> BoxedStrategy<Vec<u8>> {
    vec(
        prop_oneof![select(vec![0x00u8, 0x01, 0xFE, 0xFF]), any::<u8>()],
        0..5,
    )
    .boxed()
}

fn uuid() -> BoxedStrategy<[u8; 16]> {
    prop_oneof![Just([0u8; 16]), Just([0xFFu8; 16]), any::<[u8; 16]>()].boxed()
}

fn non_null(ty: ColType) -> BoxedStrategy<KeyValue> {
    match ty {
        ColType::Bool => any::<bool>().prop_map(KeyValue::Bool).boxed(),
        ColType::Int => int().prop_map(KeyValue::Int).boxed(),
        ColType::Float => float().prop_map(KeyValue::Float).boxed(),
        ColType::Text => text().prop_map(KeyValue::Text).boxed(),
        ColType::Bytes => bytes().prop_map(KeyValue::Bytes).boxed(),
        ColType::Uuid => uuid().prop_map(KeyValue::Uuid).boxed(),
        ColType::Any => prop_oneof![
            non_null(ColType::Bool),
            non_null(ColType::Int),
            non_null(ColType::Float),
            non_null(ColType::Text),
            non_null(ColType::Bytes),
            non_null(ColType::Uuid),
        ]
        .boxed(),
    }
}

fn value(ty: ColType) -> BoxedStrategy<KeyValue> {
    prop_oneof![1 => Just(KeyValue::Null), 4 => non_null(ty)].boxed()
}

type Schema = Vec<(ColType, SortOrder)>;

fn schema() -> impl Strategy<Value = Schema> {
    vec((col_type(), sort_order()), 1..5)
}

fn key(schema: &Schema) -> impl Strategy<Value = Vec<KeyValue>> + use<> {
    schema.iter().map(|(ty, _)| value(*ty)).collect::<Vec<_>>()
}

fn orders(schema: &Schema) -> Vec<SortOrder> {
    schema.iter().map(|(_, o)| *o).collect()
}

/// A schema, one key and a second key that copies some of the first key's columns (so that
/// long equal prefixes are common).
fn schema_and_two_keys() -> impl Strategy<Value = (Vec<SortOrder>, Vec<KeyValue>, Vec<KeyValue>)> {
    schema().prop_flat_map(|s| {
        let n = s.len();
        (Just(orders(&s)), key(&s), key(&s), vec(any::<bool>(), n)).prop_map(
            |(orders, a, b, copy)| {
                let b = b
                    .into_iter()
                    .zip(&a)
                    .zip(copy)
                    .map(|((b, a), copy)| if copy { a.clone() } else { b })
                    .collect();
                (orders, a, b)
            },
        )
    })
}

fn schema_and_key() -> impl Strategy<Value = (Vec<SortOrder>, Vec<KeyValue>)> {
    schema().prop_flat_map(|s| (Just(orders(&s)), key(&s)))
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, u8),
    Remove(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1..=255u8).prop_map(|(i, x)| Mutation::Flip(i, x)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len();
    match *m {
        Mutation::Truncate(i) => bytes.truncate(i % (len + 1)),
        Mutation::Flip(i, x) if len > 0 => bytes[i % len] ^= x,
        Mutation::Insert(i, b) => bytes.insert(i % (len + 1), b),
        Mutation::Remove(i) if len > 0 => {
            bytes.remove(i % len);
        }
        Mutation::Flip(..) | Mutation::Remove(_) => {}
    }
}

/// Decoding must not panic; if it succeeds, the input must be the canonical encoding of what it
/// decoded to.
fn check_decode_is_total_and_canonical(bytes: &[u8], orders: &[SortOrder]) {
    if let Ok(values) = decode(bytes, orders) {
        assert_eq!(values.len(), orders.len());
        assert_eq!(
            encode(&values, orders).expect("one order per value"),
            bytes,
            "accepted a non-canonical key"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Properties.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Byte order of encodings equals the model's tuple order.
    #[test]
    fn byte_order_matches_model((orders, a, b) in schema_and_two_keys()) {
        let (ea, eb) = (enc(&a, &orders), enc(&b, &orders));
        prop_assert_eq!(ea.cmp(&eb), model_cmp(&a, &b, &orders), "a={:?} b={:?}", a, b);
    }

    /// Same, for keys of different lengths (a prefix key sorts before its extensions).
    #[test]
    fn byte_order_matches_model_across_lengths(
        (orders, a, b) in schema_and_two_keys(),
        ka in 0usize..5,
        kb in 0usize..5,
    ) {
        let a = &a[..ka.min(a.len())];
        let b = &b[..kb.min(b.len())];
        let (ea, eb) = (enc(a, &orders), enc(b, &orders));
        prop_assert_eq!(ea.cmp(&eb), model_cmp(a, b, &orders), "a={:?} b={:?}", a, b);
    }

    /// decode(encode(k)) == k, with -0.0 read back as 0.0 and NaN as NaN.
    #[test]
    fn round_trip((orders, k) in schema_and_key()) {
        let bytes = enc(&k, &orders);
        let back = decode(&bytes, &orders).unwrap();
        prop_assert_eq!(back.len(), k.len());
        for (orig, dec) in k.iter().zip(&back) {
            prop_assert!(same_after_round_trip(orig, dec), "{:?} decoded as {:?}", orig, dec);
        }
        // And the decoded key encodes to the same bytes.
        prop_assert_eq!(enc(&back, &orders), bytes);
    }

    /// Building a key component by component after a raw prefix gives the same bytes, and the
    /// decoder reads it back piece by piece.
    #[test]
    fn incremental_build_matches_encode(
        (orders, k) in schema_and_key(),
        prefix in vec(any::<u8>(), 0..4),
        id in any::<u64>(),
    ) {
        let mut builder = KeyBuilder::with_prefix(&prefix);
        builder.push_u64(id);
        let mut manual = Vec::new();
        for (v, o) in k.iter().zip(&orders) {
            builder.push(v, *o);
            encode_into(&mut manual, v, *o);
        }
        let bytes = builder.into_bytes();
        prop_assert_eq!(&bytes[prefix.len() + 8..], manual.as_slice());

        let mut d = KeyDecoder::new(&bytes);
        prop_assert_eq!(d.next_raw(prefix.len()).unwrap(), prefix.as_slice());
        prop_assert_eq!(d.next_u64().unwrap(), id);
        for (v, o) in k.iter().zip(&orders) {
            let got = d.next_value(*o).unwrap();
            prop_assert!(same_after_round_trip(v, &got));
        }
        prop_assert!(d.finish().is_ok());
    }

    /// encode(a[..j]) is a prefix of encode(b) exactly when a and b agree on the first j
    /// columns.
    #[test]
    fn prefix_only_when_leading_columns_equal((orders, a, b) in schema_and_two_keys()) {
        let eb = enc(&b, &orders);
        for j in 0..=a.len() {
            let equal = model_cmp(&a[..j], &b[..j], &orders) == Ordering::Equal;
            let is_prefix = eb.starts_with(&enc(&a[..j], &orders));
            prop_assert_eq!(is_prefix, equal, "j={} a={:?} b={:?}", j, a, b);
        }
    }

    /// prefix_end(encode(a0)) is where keys whose first column sorts after a0 begin.
    #[test]
    fn prefix_end_splits_on_first_column((orders, a, b) in schema_and_two_keys()) {
        let end = prefix_end(&enc(&a[..1], &orders));
        let eb = enc(&b, &orders);
        let b_after = cmp_component(&b[0], &a[0], orders[0]) == Ordering::Greater;
        let at_or_past_end = end.is_some_and(|end| eb >= end);
        prop_assert_eq!(at_or_past_end, b_after, "a0={:?} b0={:?}", a[0], b[0]);
    }

    /// A key starts with p exactly when it lies in [p, prefix_end(p)).
    #[test]
    fn prefix_end_bounds_prefix_range(
        p in vec(prop_oneof![Just(0xFFu8), Just(0x00), any::<u8>()], 0..4),
        k in vec(prop_oneof![Just(0xFFu8), Just(0x00), any::<u8>()], 0..6),
    ) {
        let end = prefix_end(&p);
        let in_range = k >= p && end.as_ref().is_none_or(|e| &k < e);
        prop_assert_eq!(in_range, k.starts_with(&p), "p={:?} k={:?} end={:?}", p, k, end);
    }

    /// Every proper prefix of a key fails to decode; so does a key with a byte appended.
    #[test]
    fn truncated_or_extended_keys_are_errors((orders, k) in schema_and_key(), extra in any::<u8>()) {
        let bytes = enc(&k, &orders);
        for cut in 0..bytes.len() {
            prop_assert!(decode(&bytes[..cut], &orders).is_err(), "cut={}", cut);
        }
        let mut longer = bytes.clone();
        longer.push(extra);
        prop_assert_eq!(
            decode(&longer, &orders),
            Err(KeyCodecError::TrailingBytes { offset: bytes.len(), count: 1 })
        );
    }

    /// Random bytes never make the decoder panic, and anything it accepts is canonical.
    #[test]
    fn decoding_random_bytes_is_total(
        bytes in vec(any::<u8>(), 0..48),
        orders in vec(sort_order(), 0..5),
    ) {
        check_decode_is_total_and_canonical(&bytes, &orders);
    }

    /// Same for corrupted valid keys, which get much further into the decoder than noise.
    #[test]
    fn decoding_corrupted_keys_is_total(
        (orders, k) in schema_and_key(),
        mutations in vec(mutation(), 1..4),
    ) {
        let mut bytes = enc(&k, &orders);
        for m in &mutations {
            apply(&mut bytes, m);
        }
        check_decode_is_total_and_canonical(&bytes, &orders);
    }
}

// ---------------------------------------------------------------------------------------------
// Checks of the model itself and of a few orders worth spelling out.

fn sorted_by_codec(values: &[KeyValue], order: SortOrder) -> Vec<KeyValue> {
    let mut encoded: Vec<(Vec<u8>, KeyValue)> = values
        .iter()
        .map(|v| (enc(std::slice::from_ref(v), &[order]), v.clone()))
        .collect();
    encoded.sort_by(|x, y| x.0.cmp(&y.0));
    encoded.into_iter().map(|(_, v)| v).collect()
}

fn floats(values: &[KeyValue]) -> Vec<String> {
    values
        .iter()
        .map(|v| match v {
            KeyValue::Float(f) => format!("{f}"),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn float_order_is_postgres_order() {
    let values: Vec<KeyValue> = [f64::NAN, 1.0, f64::INFINITY, -0.5, f64::NEG_INFINITY, -2.0]
        .into_iter()
        .map(KeyValue::Float)
        .chain([KeyValue::Null])
        .collect();
    assert_eq!(
        floats(&sorted_by_codec(&values, SortOrder::ASC)),
        ["-inf", "-2", "-0.5", "1", "inf", "NaN", "Null"]
    );
    assert_eq!(
        floats(&sorted_by_codec(&values, SortOrder::DESC)),
        ["Null", "NaN", "inf", "1", "-0.5", "-2", "-inf"]
    );
    assert_eq!(
        floats(&sorted_by_codec(
            &values,
            SortOrder::DESC.with_nulls_first(false)
        )),
        ["NaN", "inf", "1", "-0.5", "-2", "-inf", "Null"]
    );
}

#[test]
fn text_order_is_bytewise_with_prefixes_first() {
    let values: Vec<KeyValue> = ["b", "a\u{0}", "", "ab", "a", "\u{0}"]
        .into_iter()
        .map(KeyValue::from)
        .collect();
    let sorted = sorted_by_codec(&values, SortOrder::ASC);
    let want: Vec<KeyValue> = ["", "\u{0}", "a", "a\u{0}", "ab", "b"]
        .into_iter()
        .map(KeyValue::from)
        .collect();
    assert_eq!(sorted, want);
}

#[test]
fn model_sanity() {
    let asc = [SortOrder::ASC];
    let desc = [SortOrder::DESC];
    assert_eq!(
        model_cmp(&[KeyValue::Null], &[KeyValue::Int(1)], &asc),
        Ordering::Greater
    );
    assert_eq!(
        model_cmp(&[KeyValue::Null], &[KeyValue::Int(1)], &desc),
        Ordering::Less
    );
    assert_eq!(
        model_cmp(&[KeyValue::Int(1)], &[KeyValue::Int(2)], &desc),
        Ordering::Greater
    );
    assert_eq!(
        model_cmp(&[KeyValue::Float(-0.0)], &[KeyValue::Float(0.0)], &asc),
        Ordering::Equal
    );
    assert_eq!(
        model_cmp(
            &[KeyValue::Float(f64::NAN)],
            &[KeyValue::Float(f64::INFINITY)],
            &asc
        ),
        Ordering::Greater
    );
    assert_eq!(model_cmp(&[], &[KeyValue::Null], &asc), Ordering::Less);
}
