//! Aggregates checked against PostgreSQL 15: each expected value (and `pg_typeof`) below
//! was obtained from a real PostgreSQL 15 server with the query shown next to it, usually
//! `select agg(x) from (values ...) v(x)`.

#![allow(clippy::unwrap_used)]

use basalt_common::types::{
    DataType, Interval, Numeric, TypeContext, Value, format_text, parse_text,
};
use basalt_func::{new_accumulator, resolve_aggregate};

fn show(v: &Value) -> String {
    format_text(v, &TypeContext::default()).unwrap_or_else(|| "NULL".into())
}

/// Values of type `ty` from their text (None = NULL).
fn vals(ty: &DataType, rows: &[Option<&str>]) -> Vec<Value> {
    rows.iter()
        .map(|r| match r {
            None => Value::Null,
            Some(s) => parse_text(s, ty, &TypeContext::default()).unwrap(),
        })
        .collect()
}

/// Runs `name(x)` over the rows: (result text, result type).
fn agg(name: &str, ty: DataType, rows: &[Option<&str>]) -> (String, String) {
    let r = resolve_aggregate(name, std::slice::from_ref(&ty))
        .unwrap_or_else(|| panic!("{name}({ty:?}) did not resolve"));
    let mut acc = new_accumulator(&r);
    for v in vals(&r.arg_types[0], rows) {
        acc.update(&[v]).unwrap();
    }
    let out = acc.finish().unwrap();
    // finish does not consume: a second call agrees.
    assert_eq!(show(&acc.finish().unwrap()), show(&out));
    (show(&out), r.ret.format_type())
}

fn av(name: &str, ty: DataType, rows: &[Option<&str>]) -> String {
    agg(name, ty, rows).0
}

fn s(x: &str) -> String {
    x.to_owned()
}

const I4: DataType = DataType::Int4;
const NUM: DataType = DataType::Numeric(None);
const F8: DataType = DataType::Float8;

#[test]
fn count_sum_avg() {
    // select avg(x), sum(x) from (values (1),(2)) v(x): 1.5000000000000000 numeric, 3 bigint
    let one_two = [Some("1"), Some("2")];
    assert_eq!(
        agg("avg", I4, &one_two),
        (s("1.5000000000000000"), s("numeric"))
    );
    assert_eq!(agg("sum", I4, &one_two), (s("3"), s("bigint")));
    // int8: avg numeric, sum numeric
    assert_eq!(agg("sum", DataType::Int8, &one_two), (s("3"), s("numeric")));
    assert_eq!(agg("avg", DataType::Int8, &one_two).0, "1.5000000000000000");
    // int2: sum bigint
    assert_eq!(agg("sum", DataType::Int2, &one_two), (s("3"), s("bigint")));
    // float4: avg 1.75 double precision, sum 3.5 real
    let f = [Some("1.5"), Some("2")];
    assert_eq!(
        agg("avg", DataType::Float4, &f),
        (s("1.75"), s("double precision"))
    );
    assert_eq!(agg("sum", DataType::Float4, &f), (s("3.5"), s("real")));
    assert_eq!(agg("avg", F8, &f), (s("1.75"), s("double precision")));
    assert_eq!(agg("sum", F8, &f), (s("3.5"), s("double precision")));
    // numeric: avg(1.50, 2.125) = 1.8125000000000000, sum 3.625
    let nums = [Some("1.50"), Some("2.125")];
    assert_eq!(
        agg("avg", NUM, &nums),
        (s("1.8125000000000000"), s("numeric"))
    );
    assert_eq!(av("sum", NUM, &nums), "3.625");
    // avg(1.0, 2.0, 2.0) = 1.6666666666666667, sum 5.0; ints: 1.6666666666666667, 5
    assert_eq!(
        av("avg", NUM, &[Some("1.0"), Some("2.0"), Some("2.0")]),
        "1.6666666666666667"
    );
    assert_eq!(
        av("sum", NUM, &[Some("1.0"), Some("2.0"), Some("2.0")]),
        "5.0"
    );
    assert_eq!(
        av("avg", I4, &[Some("1"), Some("2"), Some("2")]),
        "1.6666666666666667"
    );
    // interval: avg('1 day', '2 hours') = 13:00:00, sum = 1 day 02:00:00
    let iv = [Some("1 day"), Some("2 hours")];
    assert_eq!(
        agg("avg", DataType::Interval, &iv),
        (s("13:00:00"), s("interval"))
    );
    assert_eq!(
        agg("sum", DataType::Interval, &iv),
        (s("1 day 02:00:00"), s("interval"))
    );
    // values (1),(null),(3): avg 2.0000000000000000, sum 4, count(x) 2, count(*) 3, min 1, max 3
    let with_null = [Some("1"), None, Some("3")];
    assert_eq!(av("avg", I4, &with_null), "2.0000000000000000");
    assert_eq!(av("sum", I4, &with_null), "4");
    assert_eq!(agg("count", I4, &with_null), (s("2"), s("bigint")));
    assert_eq!(av("min", I4, &with_null), "1");
    assert_eq!(av("max", I4, &with_null), "3");
    let star = resolve_aggregate("count", &[]).unwrap();
    let mut acc = new_accumulator(&star);
    for _ in 0..3 {
        acc.update(&[]).unwrap();
    }
    assert_eq!(show(&acc.finish().unwrap()), "3");
    // sum overflow: values (2147483647),(1) -> 2147483648; int8 max + 1 -> numeric
    assert_eq!(
        av("sum", I4, &[Some("2147483647"), Some("1")]),
        "2147483648"
    );
    assert_eq!(
        av(
            "sum",
            DataType::Int8,
            &[Some("9223372036854775807"), Some("1")]
        ),
        "9223372036854775808"
    );
    // sum(float8) of 1e308 + 1e308 -> 22003 value out of range: overflow
    let r = resolve_aggregate("sum", &[F8]).unwrap();
    let mut acc = new_accumulator(&r);
    acc.update(&[Value::Float8(1e308)]).unwrap();
    let e = acc.update(&[Value::Float8(1e308)]).unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        ("22003", "value out of range: overflow")
    );
    // sum(int4) past the bigint range
    let r = resolve_aggregate("sum", &[DataType::Int8]).unwrap();
    assert_eq!(r.ret, NUM);
    let r = resolve_aggregate("sum", &[I4]).unwrap();
    let mut acc = new_accumulator(&r);
    acc.update(&[Value::Int8(i64::MAX)]).unwrap();
    assert_eq!(
        acc.update(&[Value::Int4(1)]).unwrap_err().message(),
        "bigint out of range"
    );
    // sum('1') is not unique
    assert!(resolve_aggregate("sum", &[DataType::Unknown]).is_none());
    assert!(resolve_aggregate("avg", &[DataType::Text]).is_none());
}

#[test]
fn empty_input() {
    // select avg(x), sum(x), count(x), count(*), min(x), max(x), bool_and(x>0), string_agg,
    // array_agg, jsonb_agg, json_agg from (select 1 where false) v(x): all NULL but counts 0
    for name in [
        "avg",
        "sum",
        "min",
        "max",
        "array_agg",
        "jsonb_agg",
        "json_agg",
        "stddev",
        "var_pop",
    ] {
        assert_eq!(av(name, I4, &[]), "NULL", "{name}");
    }
    assert_eq!(av("count", I4, &[]), "0");
    let star = resolve_aggregate("count", &[]).unwrap();
    assert_eq!(show(&new_accumulator(&star).finish().unwrap()), "0");
    assert_eq!(av("bool_and", DataType::Bool, &[]), "NULL");
    let r = resolve_aggregate("string_agg", &[DataType::Text, DataType::Text]).unwrap();
    assert_eq!(show(&new_accumulator(&r).finish().unwrap()), "NULL");
    // only NULLs
    assert_eq!(av("sum", I4, &[None, None]), "NULL");
    assert_eq!(av("count", I4, &[None, None]), "0");
}

#[test]
fn min_max_bool() {
    // min/max of varchar are text: values ('b'::varchar(3)),('a') -> a, b, text
    let v = [Some("b"), Some("a")];
    assert_eq!(
        agg("min", DataType::Varchar(Some(3)), &v),
        (s("a"), s("text"))
    );
    assert_eq!(av("max", DataType::Varchar(Some(3)), &v), "b");
    assert_eq!(
        agg(
            "max",
            DataType::Date,
            &[Some("2020-01-02"), Some("2021-03-04"), None]
        ),
        (s("2021-03-04"), s("date"))
    );
    assert_eq!(
        av("min", NUM, &[Some("1.50"), Some("-2"), Some("NaN")]),
        "-2"
    );
    assert_eq!(
        av("max", NUM, &[Some("1.50"), Some("-2"), Some("NaN")]),
        "NaN"
    );
    // PostgreSQL has no min(boolean) or max(jsonb)
    assert!(resolve_aggregate("min", &[DataType::Bool]).is_none());
    assert!(resolve_aggregate("max", &[DataType::Jsonb]).is_none());
    // bool_and, bool_or, every over (true),(null),(false): f, t, f
    let b = [Some("true"), None, Some("false")];
    assert_eq!(agg("bool_and", DataType::Bool, &b), (s("f"), s("boolean")));
    assert_eq!(av("bool_or", DataType::Bool, &b), "t");
    assert_eq!(av("every", DataType::Bool, &b), "f");
    assert_eq!(av("bool_and", DataType::Bool, &[Some("true"), None]), "t");
}

#[test]
fn string_and_array_agg() {
    // select string_agg(x, ', '), string_agg(x, null) from (values ('a'),(null),('b')) v(x)
    let r = resolve_aggregate("string_agg", &[DataType::Text, DataType::Unknown]).unwrap();
    assert_eq!(r.ret, DataType::Text);
    let run = |delim: Value| {
        let mut acc = new_accumulator(&r);
        for x in [
            Value::Text("a".into()),
            Value::Null,
            Value::Text("b".into()),
        ] {
            acc.update(&[x, delim.clone()]).unwrap();
        }
        show(&acc.finish().unwrap())
    };
    assert_eq!(run(Value::Text(", ".into())), "a, b");
    assert_eq!(run(Value::Null), "ab");
    // string_agg(bytea, bytea)
    let r = resolve_aggregate("string_agg", &[DataType::Bytea, DataType::Bytea]).unwrap();
    let mut acc = new_accumulator(&r);
    acc.update(&[Value::Bytea(vec![1]), Value::Bytea(vec![0xff])])
        .unwrap();
    acc.update(&[Value::Bytea(vec![2]), Value::Bytea(vec![0xff])])
        .unwrap();
    assert_eq!(show(&acc.finish().unwrap()), "\\x01ff02");
    // array_agg over (1),(null),(3): {1,NULL,3}; over (null::text): {NULL}
    assert_eq!(
        agg("array_agg", I4, &[Some("1"), None, Some("3")]),
        (s("{1,NULL,3}"), s("integer[]"))
    );
    assert_eq!(av("array_agg", DataType::Text, &[None]), "{NULL}");
    // array_agg of varchar(3) is character varying[]
    assert_eq!(
        agg(
            "array_agg",
            DataType::Varchar(Some(3)),
            &[Some("a"), Some("b")]
        ),
        (s("{a,b}"), s("character varying[]"))
    );
    // array_agg of arrays has one more dimension: integer[] in, integer[] out.
    let r = resolve_aggregate("array_agg", &[DataType::Array(Box::new(I4))]).unwrap();
    assert_eq!(r.ret, DataType::Array(Box::new(I4)));
}

#[test]
fn json_aggs() {
    let both = |ty: DataType, rows: &[Option<&str>]| {
        (av("jsonb_agg", ty.clone(), rows), av("json_agg", ty, rows))
    };
    // values (1),(null),(3)
    assert_eq!(
        both(I4, &[Some("1"), None, Some("3")]),
        (s("[1, null, 3]"), s("[1, null, 3]"))
    );
    assert_eq!(agg("json_agg", I4, &[Some("1")]).1, "json");
    assert_eq!(agg("jsonb_agg", I4, &[Some("1")]).1, "jsonb");
    // ('a'::text),(null),('b"c')
    assert_eq!(
        both(DataType::Text, &[Some("a"), None, Some("b\"c")]),
        (s(r#"["a", null, "b\"c"]"#), s(r#"["a", null, "b\"c"]"#))
    );
    // (1.50::numeric),(null),('NaN')
    assert_eq!(
        both(NUM, &[Some("1.50"), None, Some("NaN")]),
        (s(r#"[1.50, null, "NaN"]"#), s(r#"[1.50, null, "NaN"]"#))
    );
    // ('{"a": 1}'::jsonb),(null); ('{"a":   1}'::json),(null)
    assert_eq!(
        both(DataType::Jsonb, &[Some(r#"{"a": 1}"#), None]),
        (s(r#"[{"a": 1}, null]"#), s(r#"[{"a": 1}, null]"#))
    );
    assert_eq!(
        both(DataType::Json, &[Some(r#"{"a":   1}"#), None]),
        (s(r#"[{"a": 1}, null]"#), s(r#"[{"a":   1}, null]"#))
    );
    // (true),(null)
    assert_eq!(
        both(DataType::Bool, &[Some("true"), None]),
        (s("[true, null]"), s("[true, null]"))
    );
    // timestamps: ["2020-01-02T03:04:05", "2020-01-02T00:00:00"]
    assert_eq!(
        both(
            DataType::Timestamp(None),
            &[Some("2020-01-02 03:04:05"), Some("2020-01-02")]
        )
        .1,
        r#"["2020-01-02T03:04:05", "2020-01-02T00:00:00"]"#
    );
    // '2020-01-02 03:04:05+02'::timestamptz (UTC session) -> "2020-01-02T01:04:05+00:00"
    assert_eq!(
        both(
            DataType::Timestamptz(None),
            &[Some("2020-01-02 03:04:05+02")]
        ),
        (
            s(r#"["2020-01-02T01:04:05+00:00"]"#),
            s(r#"["2020-01-02T01:04:05+00:00"]"#)
        )
    );
    // (array[1,2]),(null): jsonb [[1, 2], null], json [[1,2], null]
    assert_eq!(
        both(DataType::Array(Box::new(I4)), &[Some("{1,2}"), None]),
        (s("[[1, 2], null]"), s("[[1,2], null]"))
    );
    // ('1 day'::interval), ('Infinity'::float8),(1.5),('NaN'), ('\x0102'::bytea), date, char(4)
    assert_eq!(both(DataType::Interval, &[Some("1 day")]).0, r#"["1 day"]"#);
    assert_eq!(
        both(F8, &[Some("Infinity"), Some("1.5"), Some("NaN")]),
        (
            s(r#"["Infinity", 1.5, "NaN"]"#),
            s(r#"["Infinity", 1.5, "NaN"]"#)
        )
    );
    assert_eq!(
        both(DataType::Bytea, &[Some("\\x0102")]).1,
        r#"["\\x0102"]"#
    );
    assert_eq!(
        both(DataType::Date, &[Some("2020-01-02")]).0,
        r#"["2020-01-02"]"#
    );
    assert_eq!(
        both(DataType::Bpchar(Some(4)), &[Some("ab")]).0,
        r#"["ab  "]"#
    );
    // json_agg(1e20::float8) -> [1e+20]; jsonb_agg -> [100000000000000000000]
    assert_eq!(
        both(F8, &[Some("1e20")]),
        (s("[100000000000000000000]"), s("[1e+20]"))
    );
}

#[test]
fn statistics() {
    // values (1),(2),(4): stddev 1.5275252316519467, stddev_samp same, stddev_pop
    // 1.2472191289246471, variance 2.3333333333333333, var_samp same, var_pop 1.5555555555555556
    let r = [Some("1"), Some("2"), Some("4")];
    assert_eq!(
        agg("stddev", I4, &r),
        (s("1.5275252316519467"), s("numeric"))
    );
    assert_eq!(av("stddev_samp", I4, &r), "1.5275252316519467");
    assert_eq!(av("stddev_pop", I4, &r), "1.2472191289246471");
    assert_eq!(av("variance", I4, &r), "2.3333333333333333");
    assert_eq!(av("var_samp", I4, &r), "2.3333333333333333");
    assert_eq!(av("var_pop", I4, &r), "1.5555555555555556");
    // float8 (1.5),(2),(4): stddev 1.3228756555322954, stddev_pop 1.0801234497346435,
    // variance 1.75, var_pop 1.1666666666666667
    let f = [Some("1.5"), Some("2"), Some("4")];
    assert_eq!(
        agg("stddev", F8, &f),
        (s("1.3228756555322954"), s("double precision"))
    );
    assert_eq!(av("stddev_pop", F8, &f), "1.0801234497346435");
    assert_eq!(av("variance", F8, &f), "1.75");
    assert_eq!(av("var_pop", F8, &f), "1.1666666666666667");
    // one row (1): stddev NULL, stddev_pop 0, variance NULL, var_pop 0
    assert_eq!(av("stddev", I4, &[Some("1")]), "NULL");
    assert_eq!(av("stddev_pop", I4, &[Some("1")]), "0");
    assert_eq!(av("variance", I4, &[Some("1")]), "NULL");
    assert_eq!(av("var_pop", I4, &[Some("1")]), "0");
    // float4 (1.5),(2.5): stddev 0.7071067811865476, stddev_pop 0.5, variance 0.5, var_pop 0.25
    let f4 = [Some("1.5"), Some("2.5")];
    assert_eq!(av("stddev", DataType::Float4, &f4), "0.7071067811865476");
    assert_eq!(av("stddev_pop", DataType::Float4, &f4), "0.5");
    assert_eq!(av("variance", DataType::Float4, &f4), "0.5");
    assert_eq!(av("var_pop", DataType::Float4, &f4), "0.25");
}

#[test]
fn interval_average_cascades() {
    // avg of '1 mon' and '0' = '15 days'; '1 day' / 3 style: avg('1 day','0','0') = 08:00:00
    let r = resolve_aggregate("avg", &[DataType::Interval]).unwrap();
    let run = |xs: Vec<Interval>| {
        let mut acc = new_accumulator(&r);
        for x in xs {
            acc.update(&[Value::Interval(x)]).unwrap();
        }
        show(&acc.finish().unwrap())
    };
    assert_eq!(
        run(vec![Interval::new(1, 0, 0), Interval::new(0, 0, 0)]),
        "15 days"
    );
    assert_eq!(
        run(vec![
            Interval::new(0, 1, 0),
            Interval::new(0, 0, 0),
            Interval::new(0, 0, 0)
        ]),
        "08:00:00"
    );
    let _ = Numeric::zero();
}
