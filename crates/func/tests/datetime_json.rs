//! Date/time and JSON functions, operators and set-returning functions checked against
//! PostgreSQL 15.
//!
//! Each row of [`CASES`] is a call and what a real PostgreSQL 15 (session `TimeZone = UTC`)
//! answered for it: `select (CALL)::text, pg_typeof(CALL)` for functions and operators,
//! `select * from CALL` plus `\gdesc` for set-returning functions. Arguments are written
//! `type=literal` (`unknown=...` is an untyped literal, `\N` is NULL); a result of `\N` is
//! NULL, `ERROR code: message` is an error. Kinds starting with `z` ran with the session time
//! zone set to the fixed offset `+05:30`. Resolution failures (PostgreSQL's 42883, 42725
//! and 42804 raised at bind time) are expected to resolve to nothing here.

use basalt_common::types::cast::cast_unknown_literal;
use basalt_common::types::{
    CastContext, DataType, TimeZone, TypeContext, Value, cast, format_text, parse_text,
};
use basalt_func::{
    EvalContext, call, call_table_function, resolve_function, resolve_operator,
    resolve_table_function,
};

/// 2020-06-15 12:34:56.789 UTC, the transaction start in these tests.
const NOW: i64 = 645_539_696_789_000;

fn ctx() -> EvalContext {
    ctx_in(TimeZone::Utc)
}

fn ctx_in(time_zone: TimeZone) -> EvalContext {
    EvalContext {
        types: TypeContext {
            time_zone,
            now: Some(NOW),
            ..Default::default()
        },
        transaction_start: NOW,
        statement_start: std::cell::Cell::new(Some(NOW + 1_000)),
        prng: None,
        interrupt: None,
    }
}

type Case = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
);

fn arg_type(spec: &str) -> DataType {
    let (ty, _) = spec.split_once('=').expect("type=literal");
    DataType::parse(ty).expect("type name")
}

fn arg_value(spec: &str, target: &DataType, ctx: &EvalContext) -> Result<Value, String> {
    let (ty, lit) = spec.split_once('=').expect("type=literal");
    if lit == "\\N" {
        return Ok(Value::Null);
    }
    let err = |e: basalt_common::types::TypeError| format!("ERROR {}: {}", e.code(), e.message());
    let ty = DataType::parse(ty).expect("type name");
    if ty == DataType::Unknown {
        return cast_unknown_literal(lit, target, CastContext::Implicit, &ctx.types).map_err(err);
    }
    let v = parse_text(lit, &ty, &ctx.types).map_err(err)?;
    if ty.same_base(target) {
        Ok(v)
    } else {
        cast(&v, target, CastContext::Implicit, &ctx.types).map_err(err)
    }
}

/// A result as PostgreSQL's `::text` shows it (`true`, not `t`).
fn show(v: &Value, ctx: &EvalContext) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        _ => format_text(v, &ctx.types).unwrap_or_else(|| "\\N".to_owned()),
    }
}

/// Runs one case: (result text, result type text).
fn run(case: &Case, ctx: &EvalContext) -> (String, String) {
    let (kind, name, args, _, _) = *case;
    let err = |e: basalt_common::types::TypeError| format!("ERROR {}: {}", e.code(), e.message());
    let no = || ("NORESOLVE".to_owned(), String::new());
    if kind == "s" {
        let types: Vec<DataType> = args.iter().map(|a| arg_type(a)).collect();
        let Some(r) = resolve_table_function(name, &types) else {
            return no();
        };
        let mut vals = Vec::new();
        for (a, t) in args.iter().zip(&r.arg_types) {
            match arg_value(a, t, ctx) {
                Ok(v) => vals.push(v),
                Err(e) => return (e, String::new()),
            }
        }
        let cols: Vec<String> = r
            .columns
            .iter()
            .map(|(n, t)| format!("{n}:{}", t.format_type()))
            .collect();
        return match call_table_function(&r, &vals, ctx) {
            Ok(rows) => (
                rows.iter()
                    .map(|row| {
                        row.iter()
                            .map(|v| format_text(v, &ctx.types).unwrap_or_default())
                            .collect::<Vec<_>>()
                            .join("|")
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                cols.join(","),
            ),
            Err(e) => (err(e), String::new()),
        };
    }
    let prefix = kind == "o" && args.first() == Some(&"");
    let specs: Vec<&str> = if prefix {
        args[1..].to_vec()
    } else {
        args.to_vec()
    };
    let types: Vec<DataType> = specs.iter().map(|a| arg_type(a)).collect();
    let resolved = if kind == "f" {
        resolve_function(name, &types)
    } else if prefix {
        resolve_operator(name, None, &types[0])
    } else {
        resolve_operator(name, Some(&types[0]), &types[1])
    };
    let Some(r) = resolved else { return no() };
    assert_eq!(r.arg_types.len(), specs.len(), "{case:?}");
    let mut vals = Vec::new();
    for (a, t) in specs.iter().zip(&r.arg_types) {
        match arg_value(a, t, ctx) {
            Ok(v) => vals.push(v),
            Err(e) => return (e, String::new()),
        }
    }
    let ty = r.ret.format_type();
    if r.strict && vals.iter().any(Value::is_null) {
        return ("\\N".to_owned(), ty);
    }
    match call(r.func, &vals, ctx) {
        Ok(v) => (show(&v, ctx), ty),
        Err(e) => (err(e), String::new()),
    }
}

#[test]
fn matches_postgresql() {
    let utc = ctx();
    // PostgreSQL's `SET TIME ZONE INTERVAL '+05:30' HOUR TO MINUTE`.
    let india = ctx_in(TimeZone::Fixed(19_800));
    let mut failures = Vec::new();
    for case in CASES {
        let (got, got_ty) = match case.0.strip_prefix('z') {
            Some(kind) => run(&(kind, case.1, case.2, case.3, case.4), &india),
            None => run(case, &utc),
        };
        let (_, _, _, want, want_ty) = *case;
        let want = if ["ERROR 42883", "ERROR 42725", "ERROR 42804"]
            .iter()
            .any(|p| want.starts_with(p))
        {
            "NORESOLVE"
        } else {
            want
        };
        if got != want || got_ty != want_ty {
            failures.push(format!(
                "{} {} {:?}\n   want {want:?} ({want_ty})\n    got {got:?} ({got_ty})",
                case.0, case.1, case.2
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from PostgreSQL:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[rustfmt::skip]
const CASES: &[Case] = &[
    ("f", "date_part", &["text=year", "timestamp=2020-03-05 14:07:09.5"], "2020", "double precision"),
    ("f", "date_part", &["text=month", "timestamp=2020-03-05 14:07:09.5"], "3", "double precision"),
    ("f", "date_part", &["text=day", "timestamp=2020-03-05 14:07:09.5"], "5", "double precision"),
    ("f", "date_part", &["text=hour", "timestamp=2020-03-05 14:07:09.5"], "14", "double precision"),
    ("f", "date_part", &["text=minute", "timestamp=2020-03-05 14:07:09.5"], "7", "double precision"),
    ("f", "date_part", &["text=second", "timestamp=2020-03-05 14:07:09.5"], "9.5", "double precision"),
    ("f", "date_part", &["text=milliseconds", "timestamp=2020-03-05 14:07:09.5"], "9500", "double precision"),
    ("f", "date_part", &["text=microseconds", "timestamp=2020-03-05 14:07:09.5"], "9500000", "double precision"),
    ("f", "date_part", &["text=dow", "timestamp=2020-03-08 14:07:09.5"], "0", "double precision"),
    ("f", "date_part", &["text=isodow", "timestamp=2020-03-08 14:07:09.5"], "7", "double precision"),
    ("f", "date_part", &["text=doy", "timestamp=2020-03-05 14:07:09.5"], "65", "double precision"),
    ("f", "date_part", &["text=week", "timestamp=2021-01-01"], "53", "double precision"),
    ("f", "date_part", &["text=isoyear", "timestamp=2021-01-01"], "2020", "double precision"),
    ("f", "date_part", &["text=quarter", "timestamp=2020-08-05"], "3", "double precision"),
    ("f", "date_part", &["text=epoch", "timestamp=2020-03-05 14:07:09.5"], "1583417229.5", "double precision"),
    ("f", "date_part", &["text=decade", "timestamp=2020-03-05"], "202", "double precision"),
    ("f", "date_part", &["text=century", "timestamp=2000-03-05"], "20", "double precision"),
    ("f", "date_part", &["text=century", "timestamp=2001-03-05"], "21", "double precision"),
    ("f", "date_part", &["text=millennium", "timestamp=2001-03-05"], "3", "double precision"),
    ("f", "date_part", &["text=julian", "timestamp=2020-01-01 06:00:01.5"], "2458850.2500173612", "double precision"),
    ("f", "date_part", &["text=YEAR", "timestamp=2020-03-05"], "2020", "double precision"),
    ("f", "date_part", &["text=foo", "timestamp=2020-03-05"], "ERROR 22023: unit \"foo\" not recognized for type timestamp without time zone", ""),
    ("f", "date_part", &["text=timezone", "timestamp=2020-03-05"], "ERROR 0A000: unit \"timezone\" not supported for type timestamp without time zone", ""),
    ("f", "date_part", &["text=year", "timestamp=infinity"], "Infinity", "double precision"),
    ("f", "date_part", &["text=month", "timestamp=-infinity"], "\\N", "double precision"),
    ("f", "date_part", &["text=year", "timestamp=0002-03-05 BC"], "-2", "double precision"),
    ("f", "date_part", &["text=century", "timestamp=0001-03-05 BC"], "-1", "double precision"),
    ("f", "date_part", &["text=decade", "timestamp=0001-03-05 BC"], "0", "double precision"),
    ("f", "date_part", &["text=year", "unknown=\\N"], "ERROR 42725: function date_part(text, unknown) is not unique", ""),
    ("f", "date_part", &["text=year", "timestamp=\\N"], "\\N", "double precision"),
    ("f", "date_part", &["text=hour", "timestamptz=2020-01-01 05:00+03"], "2", "double precision"),
    ("f", "date_part", &["text=timezone", "timestamptz=2020-01-01 05:00+03"], "0", "double precision"),
    ("f", "date_part", &["text=epoch", "timestamptz=2020-01-01 05:00+03"], "1577844000", "double precision"),
    ("f", "date_part", &["text=day", "date=2020-03-05"], "5", "double precision"),
    ("f", "date_part", &["text=epoch", "date=2020-03-05"], "1583366400", "double precision"),
    ("f", "date_part", &["text=hour", "date=2020-03-05"], "0", "double precision"),
    ("f", "date_part", &["text=julian", "date=2020-01-01"], "2458850", "double precision"),
    ("f", "date_part", &["text=second", "time=10:00:01.5"], "1.5", "double precision"),
    ("f", "date_part", &["text=epoch", "time=10:00:01.5"], "36001.5", "double precision"),
    ("f", "date_part", &["text=dow", "time=10:00:01.5"], "ERROR 0A000: unit \"dow\" not supported for type time without time zone", ""),
    ("f", "date_part", &["text=epoch", "interval=1 year 1 mon 1 day 1.5 sec"], "34236001.5", "double precision"),
    ("f", "date_part", &["text=month", "interval=1 year 14 mon"], "2", "double precision"),
    ("f", "date_part", &["text=hour", "interval=-30 hours"], "-30", "double precision"),
    ("f", "date_part", &["text=milliseconds", "interval=1 min 2.5 sec"], "2500", "double precision"),
    ("f", "date_part", &["text=dow", "interval=1 day"], "ERROR 0A000: unit \"dow\" not supported for type interval", ""),
    ("f", "date_part", &["unknown=year", "unknown=2020-01-01"], "ERROR 42725: function date_part(unknown, unknown) is not unique", ""),
    ("f", "extract", &["text=epoch", "timestamp=2020-01-01 00:00:01.5"], "1577836801.500000", "numeric"),
    ("f", "extract", &["text=second", "timestamp=2020-01-01 00:00:01.5"], "1.500000", "numeric"),
    ("f", "extract", &["text=millisecond", "timestamp=2020-01-01 00:00:01.5"], "1500.000", "numeric"),
    ("f", "extract", &["text=microseconds", "timestamp=2020-01-01 00:00:01.5"], "1500000", "numeric"),
    ("f", "extract", &["text=julian", "timestamp=2020-01-01 06:00:01.5"], "2458850.25001736111111111111", "numeric"),
    ("f", "extract", &["text=year", "timestamp=2020-01-01 06:00:01.5"], "2020", "numeric"),
    ("f", "extract", &["text=dow", "timestamp=2020-01-01 06:00:01.5"], "3", "numeric"),
    ("f", "extract", &["text=foo", "timestamp=2020-01-01 06:00:01.5"], "ERROR 22023: unit \"foo\" not recognized for type timestamp without time zone", ""),
    ("f", "extract", &["text=timezone", "timestamp=2020-01-01"], "ERROR 0A000: unit \"timezone\" not supported for type timestamp without time zone", ""),
    ("f", "extract", &["text=year", "timestamp=infinity"], "Infinity", "numeric"),
    ("f", "extract", &["text=day", "timestamp=infinity"], "\\N", "numeric"),
    ("f", "extract", &["text=epoch", "timestamptz=2020-01-01 00:00:01.5+00"], "1577836801.500000", "numeric"),
    ("f", "extract", &["text=timezone_hour", "timestamptz=2020-01-01 00:00:01.5+00"], "0", "numeric"),
    ("f", "extract", &["text=year", "date=2020-03-05"], "2020", "numeric"),
    ("f", "extract", &["text=epoch", "date=2020-03-05"], "1583366400", "numeric"),
    ("f", "extract", &["text=julian", "date=2020-01-01"], "2458850", "numeric"),
    ("f", "extract", &["text=hour", "date=2020-01-01"], "ERROR 0A000: unit \"hour\" not supported for type date", ""),
    ("f", "extract", &["text=year", "date=infinity"], "Infinity", "numeric"),
    ("f", "extract", &["text=day", "date=-infinity"], "\\N", "numeric"),
    ("f", "extract", &["text=week", "date=2021-01-01"], "53", "numeric"),
    ("f", "extract", &["text=isoyear", "date=2021-01-01"], "2020", "numeric"),
    ("f", "extract", &["text=second", "time=10:00:01.5"], "1.500000", "numeric"),
    ("f", "extract", &["text=epoch", "time=10:00:01.5"], "36001.500000", "numeric"),
    ("f", "extract", &["text=milliseconds", "time=10:00:01.5"], "1500.000", "numeric"),
    ("f", "extract", &["text=dow", "time=10:00"], "ERROR 0A000: unit \"dow\" not supported for type time without time zone", ""),
    ("f", "extract", &["text=epoch", "interval=1 year 1 mon 1 day 1.5 sec"], "34236001.500000", "numeric"),
    ("f", "extract", &["text=epoch", "interval=-1.5 sec"], "-1.500000", "numeric"),
    ("f", "extract", &["text=quarter", "interval=5 mon"], "2", "numeric"),
    ("f", "extract", &["text=millennium", "interval=2500 years"], "2", "numeric"),
    ("f", "extract", &["text=week", "interval=20 days"], "ERROR 0A000: unit \"week\" not supported for type interval", ""),
    ("f", "extract", &["text=second", "interval=1 min 2.5 sec"], "2.500000", "numeric"),
    ("f", "date_trunc", &["text=year", "timestamp=2020-03-05 14:07:09.123456"], "2020-01-01 00:00:00", "timestamp without time zone"),
    ("f", "date_trunc", &["text=quarter", "timestamp=2020-08-05 14:07:09.123456"], "2020-07-01 00:00:00", "timestamp without time zone"),
    ("f", "date_trunc", &["text=month", "timestamp=2020-03-05 14:07:09.123456"], "2020-03-01 00:00:00", "timestamp without time zone"),
    ("f", "date_trunc", &["text=week", "timestamp=2020-03-05 14:07:09.123456"], "2020-03-02 00:00:00", "timestamp without time zone"),
    ("f", "date_trunc", &["text=week", "timestamp=2021-01-01 14:07:09"], "2020-12-28 00:00:00", "timestamp without time zone"),
    ("f", "date_trunc", &["text=day", "timestamp=2020-03-05 14:07:09.123456"], "2020-03-05 00:00:00", "timestamp without time zone"),
    ("f", "date_trunc", &["text=hour", "timestamp=2020-03-05 14:07:09.123456"], "2020-03-05 14:00:00", "timestamp without time zone"),
    ("f", "date_trunc", &["text=minute", "timestamp=2020-03-05 14:07:09.123456"], "2020-03-05 14:07:00", "timestamp without time zone"),
    ("f", "date_trunc", &["text=second", "timestamp=2020-03-05 14:07:09.123456"], "2020-03-05 14:07:09", "timestamp without time zone"),
    ("f", "date_trunc", &["text=milliseconds", "timestamp=2020-03-05 14:07:09.123456"], "2020-03-05 14:07:09.123", "timestamp without time zone"),
    ("f", "date_trunc", &["text=microseconds", "timestamp=2020-03-05 14:07:09.123456"], "2020-03-05 14:07:09.123456", "timestamp without time zone"),
    ("f", "date_trunc", &["text=decade", "timestamp=2020-03-05 14:07:09.123456"], "2020-01-01 00:00:00", "timestamp without time zone"),
    ("f", "date_trunc", &["text=century", "timestamp=2020-03-05 14:07:09.123456"], "2001-01-01 00:00:00", "timestamp without time zone"),
    ("f", "date_trunc", &["text=millennium", "timestamp=2020-03-05 14:07:09.123456"], "2001-01-01 00:00:00", "timestamp without time zone"),
    ("f", "date_trunc", &["text=century", "timestamp=0050-03-05 BC"], "0100-01-01 00:00:00 BC", "timestamp without time zone"),
    ("f", "date_trunc", &["text=foo", "timestamp=2020-03-05"], "ERROR 22023: unit \"foo\" not recognized for type timestamp without time zone", ""),
    ("f", "date_trunc", &["text=timezone", "timestamp=2020-03-05"], "ERROR 0A000: unit \"timezone\" not supported for type timestamp without time zone", ""),
    ("f", "date_trunc", &["text=day", "timestamp=infinity"], "infinity", "timestamp without time zone"),
    ("f", "date_trunc", &["text=day", "timestamptz=2020-03-05 14:07:09+05"], "2020-03-05 00:00:00+00", "timestamp with time zone"),
    ("f", "date_trunc", &["text=day", "date=2020-01-05"], "2020-01-05 00:00:00+00", "timestamp with time zone"),
    ("f", "date_trunc", &["text=day", "unknown=2020-01-05 10:00"], "ERROR 42725: function date_trunc(text, unknown) is not unique", ""),
    ("f", "date_trunc", &["text=hour", "interval=1 year 2 mons 3 days 04:05:06.7"], "1 year 2 mons 3 days 04:00:00", "interval"),
    ("f", "date_trunc", &["text=year", "interval=1 year 2 mons 3 days 04:05:06.7"], "1 year", "interval"),
    ("f", "date_trunc", &["text=quarter", "interval=1 year 5 mons 3 days"], "1 year 3 mons", "interval"),
    ("f", "date_trunc", &["text=week", "interval=1 day"], "ERROR 0A000: unit \"week\" not supported for type interval", ""),
    ("f", "date_trunc", &["text=foo", "interval=1 day"], "ERROR 22023: unit \"foo\" not recognized for type interval", ""),
    ("f", "age", &["timestamp=2020-03-01", "timestamp=2019-12-31 13:00"], "2 mons 11:00:00", "interval"),
    ("f", "age", &["timestamp=2019-12-31", "timestamp=2020-03-01 01:02"], "-2 mons -1 days -01:02:00", "interval"),
    ("f", "age", &["timestamp=2020-01-01", "timestamp=2020-01-01"], "00:00:00", "interval"),
    ("f", "age", &["timestamptz=2020-03-01 00:00+00", "timestamptz=2019-12-31 13:00+00"], "2 mons 11:00:00", "interval"),
    ("f", "age", &["unknown=2020-01-01"], "ERROR 42725: function age(unknown) is not unique", ""),
    ("f", "make_date", &["int4=2020", "int4=2", "int4=29"], "2020-02-29", "date"),
    ("f", "make_date", &["int4=2019", "int4=2", "int4=29"], "ERROR 22008: date field value out of range: 2019-02-29", ""),
    ("f", "make_date", &["int4=2020", "int4=13", "int4=1"], "ERROR 22008: date field value out of range: 2020-13-01", ""),
    ("f", "make_date", &["int4=0", "int4=1", "int4=1"], "ERROR 22008: date field value out of range: 0-01-01", ""),
    ("f", "make_date", &["int4=-1", "int4=1", "int4=1"], "0001-01-01 BC", "date"),
    ("f", "make_time", &["int4=1", "int4=2", "float8=3.5"], "01:02:03.5", "time without time zone"),
    ("f", "make_time", &["int4=25", "int4=0", "float8=0"], "ERROR 22008: time field value out of range: 25:00:00", ""),
    ("f", "make_time", &["int4=1", "int4=2", "float8=60.5"], "ERROR 22008: time field value out of range: 1:02:60.5", ""),
    ("f", "make_time", &["int4=24", "int4=0", "float8=0"], "24:00:00", "time without time zone"),
    ("f", "make_timestamp", &["int4=2020", "int4=1", "int4=2", "int4=3", "int4=4", "float8=5.5"], "2020-01-02 03:04:05.5", "timestamp without time zone"),
    ("f", "make_timestamp", &["int4=2020", "int4=2", "int4=30", "int4=0", "int4=0", "float8=0"], "ERROR 22008: date field value out of range: 2020-02-30", ""),
    ("f", "make_interval", &["int4=1", "int4=2", "int4=3", "int4=4", "int4=5", "int4=6", "float8=7.5"], "1 year 2 mons 25 days 05:06:07.5", "interval"),
    ("f", "make_interval", &[], "00:00:00", "interval"),
    ("f", "make_interval", &["int4=1"], "1 year", "interval"),
    ("f", "make_interval", &["int4=0", "int4=0", "int4=0", "int4=0", "int4=0", "int4=0", "float8=Infinity"], "ERROR 22008: interval out of range", ""),
    ("f", "to_char", &["timestamp=2020-03-05 14:07:09.123456", "text=YYYY-MM-DD HH24:MI:SS.MS.US HH12 AM am Mon Month Day Dy FMMonth FMDay FMDD DDD D ID W WW IW Q CC J SSSS YYY YY Y IYYY \"lit\" th HH24th FMDDth TZ OF pm P.M. RM"], "2020-03-05 14:07:09.123.123456 02 PM pm Mar March     Thursday  Thu March Thursday 5 065 5 4 1 10 10 1 21 2458914 50829 020 20 0 2020 lit th 14th 5th  +00 pm P.M. III ", "text"),
    ("f", "to_char", &["timestamp=2020-01-01 00:00:00", "text=HH12 AM FMHH12 Y,YYY DAY MONTH dy mon rm FMRM"], "12 AM 12 2,020 WEDNESDAY JANUARY   wed jan i    I", "text"),
    ("f", "to_char", &["timestamp=2020-03-05 14:07:09", "text=FF1 FF3 FF6 DDth DDTH FMDDTH"], "0 000 000000 05th 05TH 5TH", "text"),
    ("f", "to_char", &["timestamptz=2020-03-05 14:07:09+00", "text=YYYY TZ OF tz"], "2020 UTC +00 utc", "text"),
    ("f", "to_char", &["interval=1 year 2 mons 3 days 15:02:12.5", "text=YYYY MM DD HH24 HH MI SS MS"], "0001 02 03 15 03 02 12 500", "text"),
    ("f", "to_char", &["interval=-1 day -3 hours", "text=HH24 DD"], "-03 -1", "text"),
    ("f", "to_char", &["interval=1 day", "text=Day"], "ERROR 22007: invalid format specification for an interval value", ""),
    ("f", "to_char", &["date=2020-03-05", "text=DD Mon YYYY"], "05 Mar 2020", "text"),
    ("f", "to_char", &["timestamp=0044-03-15", "text=YYYY BC AD"], "0044 AD AD", "text"),
    ("f", "to_char", &["timestamp=0044-03-15 BC", "text=YYYY BC b.c."], "0044 BC b.c.", "text"),
    ("f", "to_char", &["timestamp=infinity", "text=YYYY"], "\\N", "text"),
    ("f", "to_char", &["int4=123", "text=999"], " 123", "text"),
    ("f", "to_char", &["int4=-123", "text=999"], "-123", "text"),
    ("f", "to_char", &["int4=1234", "text=999"], " ###", "text"),
    ("f", "to_char", &["numeric=0.5", "text=9.99"], "  .50", "text"),
    ("f", "to_char", &["numeric=0.5", "text=0.99"], " 0.50", "text"),
    ("f", "to_char", &["numeric=1234567.891", "text=9,999,999.99"], " 1,234,567.89", "text"),
    ("f", "to_char", &["int4=12", "text=FM999"], "12", "text"),
    ("f", "to_char", &["numeric=12.5", "text=FM999.99"], "12.5", "text"),
    ("f", "to_char", &["numeric=-12.5", "text=FM999.00"], "-12.50", "text"),
    ("f", "to_char", &["numeric=12.345", "text=99.9"], " 12.3", "text"),
    ("f", "to_char", &["int4=0", "text=9"], " 0", "text"),
    ("f", "to_char", &["numeric=-0.5", "text=9.9"], " -.5", "text"),
    ("f", "to_char", &["int4=12", "text=S999"], " +12", "text"),
    ("f", "to_char", &["int4=-12", "text=999S"], " 12-", "text"),
    ("f", "to_char", &["int4=12", "text=MI999"], "  12", "text"),
    ("f", "to_char", &["int4=-12", "text=MI999"], "- 12", "text"),
    ("f", "to_char", &["int4=12", "text=PL999"], "+  12", "text"),
    ("f", "to_char", &["int4=-12", "text=SG999"], "- 12", "text"),
    ("f", "to_char", &["float8=1.5", "text=9.9"], " 1.5", "text"),
    ("f", "to_char", &["numeric=12.3", "text=999D99"], "  12.30", "text"),
    ("f", "to_char", &["int4=1234", "text=9G999"], " 1,234", "text"),
    ("f", "to_char", &["int8=5", "text=00000"], " 00005", "text"),
    ("f", "to_char", &["int4=21", "text=99th"], " 21st", "text"),
    ("f", "to_char", &["numeric=3.14159", "text=FM9.999"], "3.142", "text"),
    ("f", "to_char", &["int4=12", "text=FM999.99"], "12.", "text"),
    ("f", "to_char", &["int4=485", "text=\"Total: \"999"], "Total:  485", "text"),
    ("f", "to_char", &["int4=-485", "text=999PR"], "<485>", "text"),
    ("f", "to_date", &["text=2020-03-05", "text=YYYY-MM-DD"], "2020-03-05", "date"),
    ("f", "to_date", &["text=2020-13-01", "text=YYYY-MM-DD"], "ERROR 22008: date/time field value out of range: \"2020-13-01\"", ""),
    ("f", "to_date", &["text=abc", "text=YYYY"], "ERROR 22007: invalid value \"abc\" for \"YYYY\"", ""),
    ("f", "to_date", &["text=05", "text=MM"], "0001-05-01 BC", "date"),
    ("f", "to_date", &["text=20200305", "text=YYYYMMDD"], "2020-03-05", "date"),
    ("f", "to_date", &["text=5 March 2020", "text=DD Month YYYY"], "2020-03-05", "date"),
    ("f", "to_date", &["text=20-3-5", "text=YY-MM-DD"], "2020-03-05", "date"),
    ("f", "to_date", &["text=2020 065", "text=YYYY DDD"], "2020-03-05", "date"),
    ("f", "to_timestamp", &["text=2020-03-05 14:07:09.5", "text=YYYY-MM-DD HH24:MI:SS.MS"], "2020-03-05 14:07:09.5+00", "timestamp with time zone"),
    ("f", "to_timestamp", &["text=05 Mar 2020 02:07 PM", "text=DD Mon YYYY HH:MI AM"], "2020-03-05 14:07:00+00", "timestamp with time zone"),
    ("f", "to_timestamp", &["text=2020-03-05 12:30 AM", "text=YYYY-MM-DD HH12:MI AM"], "2020-03-05 00:30:00+00", "timestamp with time zone"),
    ("f", "to_timestamp", &["float8=1577836801.5"], "2020-01-01 00:00:01.5+00", "timestamp with time zone"),
    ("f", "to_timestamp", &["float8=0"], "1970-01-01 00:00:00+00", "timestamp with time zone"),
    ("f", "to_timestamp", &["float8=NaN"], "ERROR 22008: timestamp cannot be NaN", ""),
    ("f", "to_timestamp", &["float8=1e300"], "ERROR 22008: timestamp out of range: \"1e+300\"", ""),
    ("f", "to_timestamp", &["float8=infinity"], "infinity", "timestamp with time zone"),
    ("f", "to_timestamp", &["unknown=1577836801"], "2020-01-01 00:00:01+00", "timestamp with time zone"),
    ("f", "justify_days", &["interval=65 days"], "2 mons 5 days", "interval"),
    ("f", "justify_days", &["interval=1 mon -35 days"], "-5 days", "interval"),
    ("f", "justify_hours", &["interval=50 hours"], "2 days 02:00:00", "interval"),
    ("f", "justify_hours", &["interval=1 day -50 hours"], "-1 days -02:00:00", "interval"),
    ("f", "justify_interval", &["interval=1 mon -1 hour"], "29 days 23:00:00", "interval"),
    ("f", "justify_interval", &["interval=-1 mon 50 hours"], "-27 days -22:00:00", "interval"),
    ("f", "isfinite", &["date=infinity"], "false", "boolean"),
    ("f", "isfinite", &["date=2020-01-01"], "true", "boolean"),
    ("f", "isfinite", &["timestamp=-infinity"], "false", "boolean"),
    ("f", "isfinite", &["timestamptz=2020-01-01 00:00+00"], "true", "boolean"),
    ("f", "isfinite", &["interval=1 day"], "true", "boolean"),
    ("o", "+", &["date=2020-01-31", "int4=1"], "2020-02-01", "date"),
    ("o", "+", &["int4=1", "date=2020-01-31"], "2020-02-01", "date"),
    ("o", "-", &["date=2020-03-01", "int4=1"], "2020-02-29", "date"),
    ("o", "-", &["date=2020-03-01", "date=2020-01-01"], "60", "integer"),
    ("o", "-", &["date=infinity", "date=2020-01-01"], "ERROR 22008: cannot subtract infinite dates", ""),
    ("o", "+", &["date=2020-01-01", "int4=2147483647"], "ERROR 22008: date out of range", ""),
    ("o", "+", &["date=infinity", "int4=1"], "infinity", "date"),
    ("o", "+", &["date=2020-01-31", "interval=1 mon 1 day 1 hour"], "2020-03-01 01:00:00", "timestamp without time zone"),
    ("o", "+", &["interval=1 day", "date=2020-01-31"], "2020-02-01 00:00:00", "timestamp without time zone"),
    ("o", "-", &["date=2020-03-31", "interval=1 mon"], "2020-02-29 00:00:00", "timestamp without time zone"),
    ("o", "+", &["date=2020-01-31", "time=10:30"], "2020-01-31 10:30:00", "timestamp without time zone"),
    ("o", "+", &["time=10:30", "date=2020-01-31"], "2020-01-31 10:30:00", "timestamp without time zone"),
    ("o", "+", &["timestamp=2020-01-31", "interval=1 mon"], "2020-02-29 00:00:00", "timestamp without time zone"),
    ("o", "+", &["timestamp=2020-01-31", "unknown=1 day"], "2020-02-01 00:00:00", "timestamp without time zone"),
    ("o", "+", &["unknown=1 day", "timestamp=2020-01-31"], "2020-02-01 00:00:00", "timestamp without time zone"),
    ("o", "-", &["timestamp=2020-03-31 10:00", "interval=1 mon 2 hours"], "2020-02-29 08:00:00", "timestamp without time zone"),
    ("o", "+", &["timestamp=294276-12-31", "interval=1 day"], "ERROR 22008: timestamp out of range", ""),
    ("o", "+", &["timestamp=infinity", "interval=1 day"], "infinity", "timestamp without time zone"),
    ("o", "+", &["timestamptz=2020-01-31 10:00+00", "interval=1 mon"], "2020-02-29 10:00:00+00", "timestamp with time zone"),
    ("o", "+", &["interval=1 day", "timestamptz=2020-01-31 10:00+00"], "2020-02-01 10:00:00+00", "timestamp with time zone"),
    ("o", "-", &["timestamptz=2020-03-31 10:00+00", "interval=1 mon"], "2020-02-29 10:00:00+00", "timestamp with time zone"),
    ("o", "-", &["timestamp=2020-03-01", "timestamp=2020-01-01 12:00"], "59 days 12:00:00", "interval"),
    ("o", "-", &["timestamp=2020-01-01", "timestamp=2020-01-03 12:00:00.5"], "-2 days -12:00:00.5", "interval"),
    ("o", "-", &["timestamp=infinity", "timestamp=2020-01-01"], "ERROR 22008: cannot subtract infinite timestamps", ""),
    ("o", "-", &["timestamptz=2020-03-01 00:00+00", "timestamptz=2020-01-01 12:00+02"], "59 days 14:00:00", "interval"),
    ("o", "-", &["timestamptz=2020-03-01 00:00+00", "timestamp=2020-01-01 12:00"], "59 days 12:00:00", "interval"),
    ("o", "-", &["timestamp=2020-03-01", "date=2020-01-01"], "60 days", "interval"),
    ("o", "+", &["interval=1 day 2 hours", "interval=1 mon 3 hours"], "1 mon 1 day 05:00:00", "interval"),
    ("o", "-", &["interval=1 day 2 hours", "interval=1 mon 3 hours"], "-1 mons +1 day -01:00:00", "interval"),
    ("o", "-", &["interval=2147483647 days", "interval=-1 day"], "ERROR 22008: interval out of range", ""),
    ("o", "*", &["interval=1 mon", "float8=1.5"], "1 mon 15 days", "interval"),
    ("o", "*", &["interval=1 day", "float8=0.3"], "07:12:00", "interval"),
    ("o", "*", &["float8=2", "interval=1 day 01:00:00.5"], "2 days 02:00:01", "interval"),
    ("o", "*", &["interval=2147483647 days", "float8=2"], "ERROR 22008: interval out of range", ""),
    ("o", "*", &["interval=1 mon 1 day", "int4=3"], "3 mons 3 days", "interval"),
    ("o", "/", &["interval=1 mon 1 day", "float8=7"], "4 days 10:17:08.546743", "interval"),
    ("o", "/", &["interval=1 hour", "float8=0"], "ERROR 22012: division by zero", ""),
    ("o", "/", &["interval=3 days", "int4=2"], "1 day 12:00:00", "interval"),
    ("o", "-", &["", "interval=1 mon -2 days 03:00:00"], "-1 mons +2 days -03:00:00", "interval"),
    ("o", "+", &["time=23:00", "interval=2 hours"], "01:00:00", "time without time zone"),
    ("o", "+", &["interval=2 hours", "time=23:00"], "01:00:00", "time without time zone"),
    ("o", "-", &["time=01:00", "interval=2 hours"], "23:00:00", "time without time zone"),
    ("o", "-", &["time=01:00", "time=23:00"], "-22:00:00", "interval"),
    ("o", "+", &["date=2020-01-01", "unknown=1"], "ERROR 42725: operator is not unique: date + unknown", ""),
    ("o", "+", &["time=10:00", "unknown=01:00"], "11:00:00", "time without time zone"),
    ("o", "->", &["jsonb={\"a\": {\"b\": 1}, \"c\": [1, 2]}", "text=a"], "{\"b\": 1}", "jsonb"),
    ("o", "->", &["jsonb={\"a\": {\"b\": 1}, \"c\": [1, 2]}", "unknown=c"], "[1, 2]", "jsonb"),
    ("o", "->", &["jsonb=[1, \"x\", {\"b\": 2}]", "int4=1"], "\"x\"", "jsonb"),
    ("o", "->", &["jsonb=[1, \"x\", {\"b\": 2}]", "int4=-1"], "{\"b\": 2}", "jsonb"),
    ("o", "->", &["jsonb=[1, \"x\", {\"b\": 2}]", "int4=5"], "\\N", "jsonb"),
    ("o", "->", &["jsonb={\"a\": 1}", "int4=0"], "\\N", "jsonb"),
    ("o", "->", &["jsonb=[1]", "text=a"], "\\N", "jsonb"),
    ("o", "->>", &["jsonb={\"a\": \"x\", \"b\": 1.50, \"c\": null, \"d\": [1, 2]}", "text=a"], "x", "text"),
    ("o", "->>", &["jsonb={\"a\": \"x\", \"b\": 1.50, \"c\": null, \"d\": [1, 2]}", "text=b"], "1.50", "text"),
    ("o", "->>", &["jsonb={\"a\": \"x\", \"b\": 1.50, \"c\": null, \"d\": [1, 2]}", "text=c"], "\\N", "text"),
    ("o", "->>", &["jsonb={\"a\": \"x\", \"b\": 1.50, \"c\": null, \"d\": [1, 2]}", "text=d"], "[1, 2]", "text"),
    ("o", "->>", &["jsonb=[1, \"x\"]", "int4=1"], "x", "text"),
    ("o", "->", &["json={\"a\": 1, \"a\": [1,  2]}", "text=a"], "[1,  2]", "json"),
    ("o", "->", &["json=[1, \"x\" , {\"b\":2}]", "int4=1"], "\"x\"", "json"),
    ("o", "->>", &["json=[1, \"x\" , {\"b\":2}]", "int4=1"], "x", "text"),
    ("o", "->", &["json=[1,2]", "int4=-1"], "2", "json"),
    ("o", "->", &["json=[1,2]", "int4=5"], "\\N", "json"),
    ("o", "->>", &["json={\"a\":\"x\\\\ny\"}", "text=a"], "x\\ny", "text"),
    ("o", "->>", &["json={\"a\":null}", "text=a"], "\\N", "text"),
    ("o", "->", &["json={\"a\":null}", "text=a"], "null", "json"),
    ("o", "->>", &["json={\"a\":1.50}", "text=a"], "1.50", "text"),
    ("o", "->", &["json={\"a\":1}", "int4=0"], "\\N", "json"),
    ("o", "#>", &["jsonb={\"a\": [1, {\"b\": 2}]}", "text[]={a,1,b}"], "2", "jsonb"),
    ("o", "#>", &["jsonb=[1,2,3]", "text[]={-1}"], "3", "jsonb"),
    ("o", "#>", &["jsonb={\"a\":1}", "text[]={}"], "{\"a\": 1}", "jsonb"),
    ("o", "#>", &["jsonb={\"a\":1}", "text[]={a,b}"], "\\N", "jsonb"),
    ("o", "#>", &["jsonb={\"a\":1}", "text[]={a,NULL}"], "\\N", "jsonb"),
    ("o", "#>>", &["jsonb={\"a\": [1, {\"b\": \"z\"}]}", "text[]={a,1,b}"], "z", "text"),
    ("o", "#>", &["json={\"a\": [1, {\"b\" : 2}]}", "text[]={a,1}"], "{\"b\" : 2}", "json"),
    ("o", "#>", &["json=[1,2,3]", "text[]={-1}"], "3", "json"),
    ("o", "#>>", &["json={\"a\": [1, {\"b\" : \"z\"}]}", "text[]={a,1,b}"], "z", "text"),
    ("o", "#>>", &["jsonb={\"a\":1}", "unknown={a}"], "1", "text"),
    ("o", "@>", &["jsonb={\"a\": [1, 2], \"b\": {\"c\": 3}}", "jsonb={\"a\": [1], \"b\": {}}"], "true", "boolean"),
    ("o", "@>", &["jsonb={\"a\": [1, 2]}", "jsonb={\"a\": 1}"], "false", "boolean"),
    ("o", "@>", &["jsonb=[1, 2]", "jsonb=1"], "true", "boolean"),
    ("o", "@>", &["jsonb=1", "jsonb=[1]"], "false", "boolean"),
    ("o", "@>", &["jsonb={\"a\":[1,[2]]}", "jsonb={\"a\":[[2]]}"], "true", "boolean"),
    ("o", "@>", &["jsonb=[[1,2]]", "jsonb=[1]"], "false", "boolean"),
    ("o", "@>", &["jsonb=\"a\"", "jsonb=\"a\""], "true", "boolean"),
    ("o", "@>", &["jsonb={\"a\":1}", "unknown={\"a\":1}"], "true", "boolean"),
    ("o", "<@", &["jsonb={\"a\":1}", "jsonb={\"a\":1, \"b\":2}"], "true", "boolean"),
    ("o", "<@", &["jsonb={\"a\":1, \"b\":2}", "jsonb={\"a\":1}"], "false", "boolean"),
    ("o", "?", &["jsonb={\"a\":1}", "text=a"], "true", "boolean"),
    ("o", "?", &["jsonb=[\"a\",1]", "unknown=a"], "true", "boolean"),
    ("o", "?", &["jsonb=\"foo\"", "text=foo"], "true", "boolean"),
    ("o", "?", &["jsonb={\"x\":{\"a\":1}}", "text=a"], "false", "boolean"),
    ("o", "?|", &["jsonb=[\"a\",1]", "text[]={a,b}"], "true", "boolean"),
    ("o", "?&", &["jsonb=[\"a\",1]", "text[]={a,b}"], "false", "boolean"),
    ("o", "?&", &["jsonb={\"a\":1}", "text[]={NULL,a}"], "true", "boolean"),
    ("o", "?&", &["jsonb={\"a\":1}", "unknown={a}"], "true", "boolean"),
    ("o", "||", &["jsonb=1", "jsonb=2"], "[1, 2]", "jsonb"),
    ("o", "||", &["jsonb={\"a\":1}", "jsonb=[2]"], "[{\"a\": 1}, 2]", "jsonb"),
    ("o", "||", &["jsonb=[2]", "jsonb={\"a\":1}"], "[2, {\"a\": 1}]", "jsonb"),
    ("o", "||", &["jsonb={\"a\":1}", "jsonb={\"a\":2,\"b\":3}"], "{\"a\": 2, \"b\": 3}", "jsonb"),
    ("o", "||", &["jsonb=[1]", "unknown=[2]"], "[1, 2]", "jsonb"),
    ("o", "-", &["jsonb=[1,\"a\",\"a\"]", "text=a"], "[1]", "jsonb"),
    ("o", "-", &["jsonb={\"a\":1,\"b\":2}", "unknown=a"], "{\"b\": 2}", "jsonb"),
    ("o", "-", &["jsonb={\"a\":1,\"b\":2}", "text[]={a,c}"], "{\"b\": 2}", "jsonb"),
    ("o", "-", &["jsonb=[1,2,3]", "int4=-1"], "[1, 2]", "jsonb"),
    ("o", "-", &["jsonb=[1,2,3]", "int4=5"], "[1, 2, 3]", "jsonb"),
    ("o", "-", &["jsonb=1", "text=a"], "ERROR 22023: cannot delete from scalar", ""),
    ("o", "-", &["jsonb={}", "int4=1"], "ERROR 22023: cannot delete from object using integer index", ""),
    ("o", "-", &["jsonb=1", "int4=1"], "ERROR 22023: cannot delete from scalar", ""),
    ("o", "#-", &["jsonb={\"a\":[1,2],\"b\":1}", "text[]={a,0}"], "{\"a\": [2], \"b\": 1}", "jsonb"),
    ("o", "#-", &["jsonb={\"a\":[1,2],\"b\":1}", "text[]={a,-1}"], "{\"a\": [1], \"b\": 1}", "jsonb"),
    ("o", "#-", &["jsonb=1", "text[]={a}"], "ERROR 22023: cannot delete path in scalar", ""),
    ("o", "#-", &["jsonb=[1]", "text[]={a}"], "ERROR 22P02: path element at position 1 is not an integer: \"a\"", ""),
    ("o", "#-", &["jsonb={\"a\":1}", "text[]={a,NULL}"], "ERROR 22004: path element at position 2 is null", ""),
    ("o", "#-", &["jsonb={\"a\":{}}", "text[]={a,NULL}"], "ERROR 22004: path element at position 2 is null", ""),
    ("o", "#-", &["jsonb={\"a\":1}", "text[]={b,NULL}"], "{\"a\": 1}", "jsonb"),
    ("f", "jsonb_build_object", &["text=a", "int4=1", "text=b", "text=x"], "{\"a\": 1, \"b\": \"x\"}", "jsonb"),
    ("f", "jsonb_build_object", &["unknown=b", "int4=1", "unknown=a", "numeric=2.50", "text=c", "unknown=\\N"], "{\"a\": 2.50, \"b\": 1, \"c\": null}", "jsonb"),
    ("f", "jsonb_build_object", &[], "{}", "jsonb"),
    ("f", "jsonb_build_object", &["text=a", "int4=1", "text=b"], "ERROR 22023: argument list must have even number of elements", ""),
    ("f", "jsonb_build_object", &["text=\\N", "int4=1"], "ERROR 22023: argument 1: key must not be null", ""),
    ("f", "jsonb_build_object", &["int4=1", "bool=true", "date=2020-01-01", "timestamp=2020-01-01 10:00"], "{\"1\": true, \"2020-01-01\": \"2020-01-01T10:00:00\"}", "jsonb"),
    ("f", "json_build_object", &["text=a", "int4=1", "text=b", "int4[]={1,2}", "text=c", "json={\"x\" : 1}"], "{\"a\" : 1, \"b\" : [1,2], \"c\" : {\"x\" : 1}}", "json"),
    ("f", "json_build_object", &["int4[]={1}", "int4=1"], "ERROR 22023: key value must be scalar, not array, composite, or json", ""),
    ("f", "json_build_array", &["int4=1", "unknown=a", "unknown=\\N", "int4[]={1,2}"], "[1, \"a\", null, [1,2]]", "json"),
    ("f", "jsonb_build_array", &["int4=1", "unknown=a", "unknown=\\N", "int4[]={1,2}", "jsonb={\"b\": 1}"], "[1, \"a\", null, [1, 2], {\"b\": 1}]", "jsonb"),
    ("f", "jsonb_build_array", &[], "[]", "jsonb"),
    ("f", "to_json", &["int4[]={1,2,3}"], "[1,2,3]", "json"),
    ("f", "to_json", &["float8=1.5"], "1.5", "json"),
    ("f", "to_json", &["float8=NaN"], "\"NaN\"", "json"),
    ("f", "to_json", &["timestamptz=2020-01-01 00:00:00.5+00"], "\"2020-01-01T00:00:00.5+00:00\"", "json"),
    ("f", "to_json", &["timestamp=2020-01-01"], "\"2020-01-01T00:00:00\"", "json"),
    ("f", "to_jsonb", &["timestamp=2020-01-01 12:00:00.25"], "\"2020-01-01T12:00:00.25\"", "jsonb"),
    ("f", "to_json", &["interval=1 day"], "\"1 day\"", "json"),
    ("f", "to_json", &["date=infinity"], "\"infinity\"", "json"),
    ("f", "to_json", &["text=a\"b"], "\"a\\\"b\"", "json"),
    ("f", "to_json", &["bool=true"], "true", "json"),
    ("f", "to_json", &["time=10:00"], "\"10:00:00\"", "json"),
    ("f", "to_jsonb", &["numeric=1.50"], "1.50", "jsonb"),
    ("f", "to_jsonb", &["text[]={a,NULL}"], "[\"a\", null]", "jsonb"),
    ("f", "to_jsonb", &["json={\"b\":1, \"a\":2}"], "{\"a\": 2, \"b\": 1}", "jsonb"),
    ("f", "to_jsonb", &["unknown=\\N"], "ERROR 42804: could not determine polymorphic type because input has type unknown", ""),
    ("f", "to_jsonb", &["unknown=abc"], "ERROR 42804: could not determine polymorphic type because input has type unknown", ""),
    ("f", "to_json", &["numeric=NaN"], "\"NaN\"", "json"),
    ("f", "to_jsonb", &["float8=Infinity"], "\"Infinity\"", "jsonb"),
    ("f", "to_jsonb", &["int8=9007199254740993"], "9007199254740993", "jsonb"),
    ("f", "jsonb_typeof", &["jsonb=1.5"], "number", "text"),
    ("f", "jsonb_typeof", &["jsonb={}"], "object", "text"),
    ("f", "jsonb_typeof", &["jsonb=null"], "null", "text"),
    ("f", "jsonb_typeof", &["unknown=\"s\""], "string", "text"),
    ("f", "json_typeof", &["json= null "], "null", "text"),
    ("f", "json_typeof", &["json=[1]"], "array", "text"),
    ("f", "json_typeof", &["json=true"], "boolean", "text"),
    ("f", "jsonb_array_length", &["jsonb=[1,2,[3]]"], "3", "integer"),
    ("f", "jsonb_array_length", &["jsonb=1"], "ERROR 22023: cannot get array length of a scalar", ""),
    ("f", "jsonb_array_length", &["jsonb={}"], "ERROR 22023: cannot get array length of a non-array", ""),
    ("f", "json_array_length", &["json=[1, [2,3], {\"a\":[]}]"], "3", "integer"),
    ("f", "json_array_length", &["json={}"], "ERROR 22023: cannot get array length of a non-array", ""),
    ("f", "json_array_length", &["json=1"], "ERROR 22023: cannot get array length of a scalar", ""),
    ("f", "jsonb_set", &["jsonb={\"a\":[1,2]}", "text[]={a,0}", "jsonb=\"x\""], "{\"a\": [\"x\", 2]}", "jsonb"),
    ("f", "jsonb_set", &["jsonb=[1,2]", "text[]={5}", "jsonb=3"], "[1, 2, 3]", "jsonb"),
    ("f", "jsonb_set", &["jsonb=[1,2]", "text[]={-5}", "jsonb=3"], "[3, 1, 2]", "jsonb"),
    ("f", "jsonb_set", &["jsonb=[1,2]", "text[]={-1}", "jsonb=3"], "[1, 3]", "jsonb"),
    ("f", "jsonb_set", &["jsonb={\"a\":1}", "text[]={b}", "jsonb=2", "bool=false"], "{\"a\": 1}", "jsonb"),
    ("f", "jsonb_set", &["jsonb={\"a\":1}", "text[]={b}", "jsonb=2"], "{\"a\": 1, \"b\": 2}", "jsonb"),
    ("f", "jsonb_set", &["jsonb={\"a\":1}", "text[]={a,b}", "jsonb=2"], "{\"a\": 1}", "jsonb"),
    ("f", "jsonb_set", &["jsonb=1", "text[]={a}", "jsonb=1"], "ERROR 22023: cannot set path in scalar", ""),
    ("f", "jsonb_set", &["jsonb=[1]", "text[]={a}", "jsonb=1"], "ERROR 22P02: path element at position 1 is not an integer: \"a\"", ""),
    ("f", "jsonb_set", &["jsonb={}", "text[]={a,NULL}", "jsonb=1"], "{}", "jsonb"),
    ("f", "jsonb_set", &["jsonb={\"a\":{}}", "text[]={a,NULL}", "jsonb=1"], "ERROR 22004: path element at position 2 is null", ""),
    ("f", "jsonb_set", &["jsonb={\"a\":1}", "text[]={a}", "unknown=\\N"], "\\N", "jsonb"),
    ("f", "jsonb_set", &["jsonb={\"a\":1}", "unknown={a}", "unknown=[true]"], "{\"a\": [true]}", "jsonb"),
    ("f", "jsonb_insert", &["jsonb=[1,2]", "text[]={0}", "jsonb=0"], "[0, 1, 2]", "jsonb"),
    ("f", "jsonb_insert", &["jsonb=[1,2]", "text[]={0}", "jsonb=0", "bool=true"], "[1, 0, 2]", "jsonb"),
    ("f", "jsonb_insert", &["jsonb=[1,2]", "text[]={9}", "jsonb=9"], "[1, 2, 9]", "jsonb"),
    ("f", "jsonb_insert", &["jsonb=[1,2]", "text[]={-9}", "jsonb=9"], "[9, 1, 2]", "jsonb"),
    ("f", "jsonb_insert", &["jsonb={\"a\":[1]}", "text[]={b}", "jsonb=2"], "{\"a\": [1], \"b\": 2}", "jsonb"),
    ("f", "jsonb_insert", &["jsonb=[1,2]", "text[]={-1}", "jsonb=9"], "[1, 9, 2]", "jsonb"),
    ("f", "jsonb_insert", &["jsonb={\"a\":1}", "text[]={a}", "jsonb=2"], "ERROR 22023: cannot replace existing key", ""),
    ("f", "jsonb_insert", &["jsonb={\"a\":[1,2]}", "text[]={a,1}", "jsonb=\"x\"", "bool=true"], "{\"a\": [1, 2, \"x\"]}", "jsonb"),
    ("f", "jsonb_strip_nulls", &["jsonb={\"a\":null,\"b\":[null,{\"c\":null}]}"], "{\"b\": [null, {}]}", "jsonb"),
    ("f", "json_strip_nulls", &["json={\"a\" : null, \"b\" : [1, null] }"], "{\"b\":[1,null]}", "json"),
    ("f", "json_strip_nulls", &["json=[{\"a\":null} , 2]"], "[{},2]", "json"),
    ("f", "jsonb_pretty", &["jsonb={\"a\":[1,{\"b\":null}],\"c\":{}, \"d\":[]}"], "{\n    \"a\": [\n        1,\n        {\n            \"b\": null\n        }\n    ],\n    \"c\": {\n    },\n    \"d\": [\n    ]\n}", "text"),
    ("f", "jsonb_pretty", &["jsonb=1"], "1", "text"),
    ("f", "jsonb_pretty", &["jsonb=[]"], "[\n]", "text"),
    ("f", "jsonb_extract_path", &["jsonb={\"a\":{\"b\":1}}", "text=a", "text=b"], "1", "jsonb"),
    ("f", "jsonb_extract_path", &["jsonb={\"a\":[{\"b\":1}]}", "unknown=a", "unknown=0"], "{\"b\": 1}", "jsonb"),
    ("f", "jsonb_extract_path_text", &["jsonb={\"a\":\"x\"}", "text=a"], "x", "text"),
    ("f", "json_extract_path", &["json={\"a\" : { \"b\" : 1 }}", "text=a"], "{ \"b\" : 1 }", "json"),
    ("f", "json_extract_path_text", &["json={\"a\" : { \"b\" : \"q\" }}", "text=a", "text=b"], "q", "text"),
    ("f", "jsonb_extract_path", &["jsonb={\"a\":1}"], "ERROR 42883: function jsonb_extract_path(jsonb) does not exist", ""),
    ("s", "generate_series", &["int4=1", "int4=3"], "1\n2\n3", "generate_series:integer"),
    ("s", "generate_series", &["int4=5", "int4=1", "int4=-2"], "5\n3\n1", "generate_series:integer"),
    ("s", "generate_series", &["int4=1", "int4=0"], "", "generate_series:integer"),
    ("s", "generate_series", &["int4=1", "int4=2", "int4=0"], "ERROR 22023: step size cannot equal zero", ""),
    ("s", "generate_series", &["int4=2147483646", "int4=2147483647"], "2147483646\n2147483647", "generate_series:integer"),
    ("s", "generate_series", &["int8=1", "int8=3"], "1\n2\n3", "generate_series:bigint"),
    ("s", "generate_series", &["int4=1", "int8=3"], "1\n2\n3", "generate_series:bigint"),
    ("s", "generate_series", &["numeric=1", "numeric=2.0", "numeric=0.5"], "1\n1.5\n2.0", "generate_series:numeric"),
    ("s", "generate_series", &["numeric=1", "numeric=3"], "1\n2\n3", "generate_series:numeric"),
    ("s", "generate_series", &["numeric=NaN", "numeric=2", "numeric=1"], "ERROR 22023: start value cannot be NaN", ""),
    ("s", "generate_series", &["numeric=1", "numeric=infinity", "numeric=1"], "ERROR 22023: stop value cannot be infinity", ""),
    ("s", "generate_series", &["numeric=1", "numeric=2", "numeric=0"], "ERROR 22023: step size cannot equal zero", ""),
    ("s", "generate_series", &["timestamp=2020-01-30", "timestamp=2020-04-30", "interval=1 mon"], "2020-01-30 00:00:00\n2020-02-29 00:00:00\n2020-03-29 00:00:00\n2020-04-29 00:00:00", "generate_series:timestamp without time zone"),
    ("s", "generate_series", &["timestamp=2020-01-01", "timestamp=2020-01-02", "unknown=12 hours"], "2020-01-01 00:00:00\n2020-01-01 12:00:00\n2020-01-02 00:00:00", "generate_series:timestamp without time zone"),
    ("s", "generate_series", &["timestamp=2020-01-03", "timestamp=2020-01-01", "interval=-1 day"], "2020-01-03 00:00:00\n2020-01-02 00:00:00\n2020-01-01 00:00:00", "generate_series:timestamp without time zone"),
    ("s", "generate_series", &["timestamp=2020-01-01", "timestamp=2020-01-02", "interval=0"], "ERROR 22023: step size cannot equal zero", ""),
    ("s", "generate_series", &["timestamptz=2020-01-01 00:00+00", "timestamptz=2020-01-02 00:00+00", "interval=12 hours"], "2020-01-01 00:00:00+00\n2020-01-01 12:00:00+00\n2020-01-02 00:00:00+00", "generate_series:timestamp with time zone"),
    ("s", "generate_series", &["int4=1", "unknown=\\N"], "", "generate_series:integer"),
    ("s", "unnest", &["int4[]={1,NULL,3}"], "1\n\n3", "unnest:integer"),
    ("s", "unnest", &["text[]={}"], "", "unnest:text"),
    ("s", "jsonb_array_elements", &["jsonb=[1, \"a\", {\"b\": null}]"], "1\n\"a\"\n{\"b\": null}", "value:jsonb"),
    ("s", "jsonb_array_elements", &["jsonb=1"], "ERROR 22023: cannot extract elements from a scalar", ""),
    ("s", "jsonb_array_elements", &["jsonb={}"], "ERROR 22023: cannot extract elements from an object", ""),
    ("s", "json_array_elements", &["json=[1, \"a\" , {\"b\" : null}]"], "1\n\"a\"\n{\"b\" : null}", "value:json"),
    ("s", "json_array_elements", &["json=1"], "ERROR 22023: cannot call json_array_elements on a scalar", ""),
    ("s", "json_array_elements", &["json={}"], "ERROR 22023: cannot call json_array_elements on a non-array", ""),
    ("s", "jsonb_array_elements_text", &["jsonb=[1, \"a\", null, [2]]"], "1\na\n\n[2]", "value:text"),
    ("s", "json_array_elements_text", &["json=[1, \"a\\\\\"b\", null, [2]]"], "ERROR 22P02: invalid input syntax for type json", ""),
    ("s", "jsonb_each", &["jsonb={\"b\":1,\"a\":{\"c\":null}}"], "a|{\"c\": null}\nb|1", "key:text,value:jsonb"),
    ("s", "jsonb_each", &["jsonb=[]"], "ERROR 22023: cannot call jsonb_each on a non-object", ""),
    ("s", "json_each", &["json={\"b\" : 1, \"a\":{\"c\" : null}}"], "b|1\na|{\"c\" : null}", "key:text,value:json"),
    ("s", "json_each", &["json=1"], "ERROR 22023: cannot deconstruct a scalar", ""),
    ("s", "json_each", &["json=[]"], "ERROR 22023: cannot deconstruct an array as an object", ""),
    ("s", "jsonb_each_text", &["jsonb={\"b\":\"x\",\"a\":null}"], "a|\nb|x", "key:text,value:text"),
    ("s", "json_each_text", &["json={\"b\":\"x\",\"a\":null, \"c\": [1]}"], "b|x\na|\nc|[1]", "key:text,value:text"),
    ("s", "jsonb_object_keys", &["jsonb={\"bb\":1,\"a\":2}"], "a\nbb", "jsonb_object_keys:text"),
    ("s", "jsonb_object_keys", &["jsonb=1"], "ERROR 22023: cannot call jsonb_object_keys on a scalar", ""),
    ("s", "jsonb_object_keys", &["jsonb=[]"], "ERROR 22023: cannot call jsonb_object_keys on an array", ""),
    ("s", "json_object_keys", &["json={\"bb\":1,\"a\":2}"], "bb\na", "json_object_keys:text"),
    ("s", "json_object_keys", &["json=1"], "ERROR 22023: cannot call json_object_keys on a scalar", ""),
    ("s", "json_object_keys", &["json=[]"], "ERROR 22023: cannot call json_object_keys on an array", ""),
    ("o", "-", &["date=2020-03-01", "unknown=2020-01-01"], "60", "integer"),
    ("o", "-", &["timestamp=2020-03-01", "unknown=2020-01-01"], "60 days", "interval"),
    ("o", "*", &["interval=1 day", "unknown=2.5"], "2 days 12:00:00", "interval"),
    ("o", "-", &["unknown=2020-03-01", "date=2020-01-01"], "60", "integer"),
    ("o", "+", &["interval=1 day", "unknown=1 hour"], "1 day 01:00:00", "interval"),
    ("o", "-", &["time=10:00", "unknown=09:00"], "01:00:00", "interval"),
    ("o", "+", &["jsonb=1", "int4=1"], "ERROR 42883: operator does not exist: jsonb + integer", ""),
    ("f", "date_part", &["text=week", "timestamp=2020-12-31"], "53", "double precision"),
    ("f", "date_part", &["text=week", "timestamp=2019-12-30"], "1", "double precision"),
    ("f", "date_part", &["text=isoyear", "timestamp=2019-12-30"], "2020", "double precision"),
    ("f", "date_part", &["text=doy", "timestamp=2020-12-31"], "366", "double precision"),
    ("f", "date_part", &["text=julian", "timestamp=1900-01-01 12:00"], "2415021.5", "double precision"),
    ("f", "date_part", &["text=millennium", "timestamp=1000-01-01 BC"], "-1", "double precision"),
    ("f", "date_part", &["text=microsecon", "timestamp=2020-01-01 00:00:01.25"], "1250000", "double precision"),
    ("f", "date_part", &["text=msecs", "timestamp=2020-01-01 00:00:01.25"], "1250", "double precision"),
    ("f", "date_part", &["text=epoch", "timestamp=1969-12-31 23:59:59.5"], "-0.5", "double precision"),
    ("f", "date_part", &["text=now", "timestamp=2020-01-01"], "ERROR 0A000: unit \"now\" not supported for type timestamp without time zone", ""),
    ("f", "date_part", &["text=epoch", "interval=-1 year -2 mons"], "-36741600", "double precision"),
    ("f", "date_part", &["text=microseconds", "interval=-1.5 sec"], "-1500000", "double precision"),
    ("f", "date_part", &["text=hour", "time=24:00"], "24", "double precision"),
    ("f", "date_part", &["text=century", "date=0001-01-01 BC"], "-1", "double precision"),
    ("f", "extract", &["text=epoch", "interval=100 years"], "3155760000.000000", "numeric"),
    ("f", "extract", &["text=year", "interval=-14 mons"], "-1", "numeric"),
    ("f", "extract", &["text=decade", "interval=-15 years"], "-1", "numeric"),
    ("f", "extract", &["text=julian", "date=-infinity"], "-Infinity", "numeric"),
    ("f", "extract", &["text=epoch", "timestamp=-infinity"], "-Infinity", "numeric"),
    ("f", "extract", &["text=hour", "time=24:00"], "24", "numeric"),
    ("f", "extract", &["text=doy", "date=2020-12-31"], "366", "numeric"),
    ("f", "extract", &["text=isodow", "date=2020-03-08"], "7", "numeric"),
    ("f", "extract", &["text=foo", "date=2020-03-08"], "ERROR 22023: unit \"foo\" not recognized for type date", ""),
    ("f", "extract", &["text=milliseconds", "interval=1 min 2.5 sec"], "2500.000", "numeric"),
    ("f", "extract", &["text=julian", "timestamp=1900-01-01 12:00"], "2415021.50000000000000000000", "numeric"),
    ("f", "date_trunc", &["text=week", "timestamp=2020-01-01 10:00"], "2019-12-30 00:00:00", "timestamp without time zone"),
    ("f", "date_trunc", &["text=week", "timestamp=2019-12-30"], "2019-12-30 00:00:00", "timestamp without time zone"),
    ("f", "date_trunc", &["text=decade", "timestamp=0015-01-01 BC"], "0021-01-01 00:00:00 BC", "timestamp without time zone"),
    ("f", "date_trunc", &["text=millennium", "timestamp=0001-06-01"], "0001-01-01 00:00:00", "timestamp without time zone"),
    ("f", "date_trunc", &["text=century", "interval=250 years 3 mons"], "200 years", "interval"),
    ("f", "date_trunc", &["text=minute", "interval=-1 day -01:02:03.456"], "-1 days -01:02:00", "interval"),
    ("f", "date_trunc", &["text=milliseconds", "interval=00:00:01.23456"], "00:00:01.234", "interval"),
    ("f", "date_trunc", &["text=dow", "interval=1 day"], "ERROR 22023: unit \"dow\" not recognized for type interval", ""),
    ("f", "date_trunc", &["text=day", "timestamptz=infinity"], "infinity", "timestamp with time zone"),
    ("f", "age", &["timestamp=2020-03-31", "timestamp=2020-02-29 23:00"], "1 mon 1 day 01:00:00", "interval"),
    ("f", "age", &["timestamp=2021-02-28", "timestamp=2020-02-29"], "11 mons 28 days", "interval"),
    ("f", "age", &["timestamp=2000-01-01", "timestamp=1999-01-31 00:00:00.5"], "11 mons 23:59:59.5", "interval"),
    ("f", "age", &["date=2020-06-01", "date=2020-01-15"], "4 mons 17 days", "interval"),
    ("o", "+", &["timestamp=2020-02-29", "interval=1 year"], "2021-02-28 00:00:00", "timestamp without time zone"),
    ("o", "+", &["timestamp=2020-01-31", "interval=-1 mon"], "2019-12-31 00:00:00", "timestamp without time zone"),
    ("o", "+", &["timestamp=2020-03-31", "interval=-13 mons"], "2019-02-28 00:00:00", "timestamp without time zone"),
    ("o", "-", &["timestamp=2020-01-31", "interval=11 mons 40 days"], "2019-01-19 00:00:00", "timestamp without time zone"),
    ("o", "+", &["timestamp=2000-01-01 BC", "interval=1 year"], "1999-01-01 00:00:00 BC", "timestamp without time zone"),
    ("o", "*", &["interval=1 mon 1 day 1 hour", "float8=-0.5"], "-15 days -12:30:00", "interval"),
    ("o", "*", &["interval=1 year", "float8=0.1"], "1 mon 6 days", "interval"),
    ("o", "*", &["interval=1 hour", "float8=NaN"], "ERROR 22008: interval out of range", ""),
    ("o", "/", &["interval=1 year", "float8=3"], "4 mons", "interval"),
    ("o", "/", &["interval=-5 days", "float8=4"], "-1 days -06:00:00", "interval"),
    ("o", "-", &["time=00:00", "interval=1 hour 30 min"], "22:30:00", "time without time zone"),
    ("o", "+", &["time=23:59:59.999999", "interval=00:00:00.000001"], "00:00:00", "time without time zone"),
    ("o", "+", &["date=2020-01-01", "time=24:00"], "2020-01-02 00:00:00", "timestamp without time zone"),
    ("o", "-", &["interval=1 day", "unknown=25 hours"], "1 day -25:00:00", "interval"),
    ("f", "justify_interval", &["interval=1 mon -31 days"], "-1 days", "interval"),
    ("f", "justify_days", &["interval=-65 days"], "-2 mons -5 days", "interval"),
    ("f", "justify_hours", &["interval=-25 hours 1 day"], "-01:00:00", "interval"),
    ("f", "to_char", &["timestamp=2020-03-05 00:07:09", "text=HH HH12 hh24 mi ss am a.m. Month MONTH month Mon MON mon Day DAY day Dy DY dy"], "12 12 00 07 09 am a.m. March     MARCH     march     Mar MAR mar Thursday  THURSDAY  thursday  Thu THU thu", "text"),
    ("f", "to_char", &["timestamp=2020-12-31 23:59:59", "text=FMDD FMMM FMHH24 FMMI FMSS FMMS FMUS FMDDD IW ID IDDD"], "31 12 23 59 59 000 000000 366 53 4 368", "text"),
    ("f", "to_char", &["timestamp=2021-01-03 01:02:03", "text=IYYY-IW-ID WW W J Q"], "2020-53-7 01 1 2459218 1", "text"),
    ("f", "to_char", &["timestamp=2020-03-05 14:07:09", "text=\\\"HH\\\" \"quoted \\\"x\\\"\" HH24"], "\"02\" quoted \"x\" 14", "text"),
    ("f", "to_char", &["timestamp=2020-03-05 14:07:09", "text=YYYYMMDDHH24MISS"], "20200305140709", "text"),
    ("f", "to_char", &["timestamp=2020-03-05 14:07:09", "text="], "\\N", "text"),
    ("f", "to_char", &["timestamp=12345-03-05 14:07:09", "text=YYYY Y,YYY CC"], "12345 12,345 124", "text"),
    ("f", "to_char", &["date=2020-03-01", "text=DDth Ddth ddth dd"], "01st 11st 01st 01", "text"),
    ("f", "to_char", &["timestamp=2020-03-22 14:07:09", "text=DDth DDTH"], "22nd 22ND", "text"),
    ("f", "to_char", &["timestamp=2020-03-11 14:07:09", "text=DDth"], "11th", "text"),
    ("f", "to_char", &["interval=15 hours 2 minutes 12 seconds", "text=HH24:MI:SS"], "15:02:12", "text"),
    ("f", "to_char", &["interval=100 hours", "text=HH24 HH12 SSSS"], "100 04 360000", "text"),
    ("f", "to_char", &["numeric=123.456", "text=999.999"], " 123.456", "text"),
    ("f", "to_char", &["numeric=-123.456", "text=999.9"], "-123.5", "text"),
    ("f", "to_char", &["numeric=0.001", "text=0.99"], " 0.00", "text"),
    ("f", "to_char", &["numeric=9.999", "text=9.99"], " #.##", "text"),
    ("f", "to_char", &["numeric=-0.001", "text=9.99"], "  .00", "text"),
    ("f", "to_char", &["int4=0", "text=0000"], " 0000", "text"),
    ("f", "to_char", &["int4=-5", "text=0000"], "-0005", "text"),
    ("f", "to_char", &["int4=1234567", "text=FM9,999,999"], "1,234,567", "text"),
    ("f", "to_char", &["int4=1234567", "text=9,999"], " #,###", "text"),
    ("f", "to_char", &["int4=12", "text=FM0999"], "0012", "text"),
    ("f", "to_char", &["numeric=12.5", "text=FM0999.9900"], "0012.5000", "text"),
    ("f", "to_char", &["int4=5", "text=FMS999"], "+5", "text"),
    ("f", "to_char", &["int4=-5", "text=FMS999"], "-5", "text"),
    ("f", "to_char", &["int4=-5", "text=FM999MI"], "5-", "text"),
    ("f", "to_char", &["numeric=NaN", "text=999.9"], " NaN", "text"),
    ("f", "to_char", &["float8=-2.5", "text=99"], " -2", "text"),
    ("f", "to_char", &["float8=0.1", "text=9.999"], "  .100", "text"),
    ("f", "to_char", &["int8=-9223372036854775808", "text=9999999999999999999"], "-9223372036854775808", "text"),
    ("f", "to_char", &["int4=123", "text=9 9 9"], " 1 2 3", "text"),
    ("f", "to_char", &["int4=1", "text=9th"], " 1st", "text"),
    ("f", "to_char", &["int4=12", "text=99TH"], " 12TH", "text"),
    ("f", "to_char", &["int4=-12", "text=99th"], "-12", "text"),
    ("f", "to_date", &["text=2020/03/05", "text=YYYY-MM-DD"], "2020-03-05", "date"),
    ("f", "to_date", &["text=  2020-3-5", "text=YYYY-MM-DD"], "2020-03-05", "date"),
    ("f", "to_date", &["text=05.03.2020", "text=DD.MM.YYYY"], "2020-03-05", "date"),
    ("f", "to_date", &["text=2020-02-30", "text=YYYY-MM-DD"], "ERROR 22008: date/time field value out of range: \"2020-02-30\"", ""),
    ("f", "to_date", &["text=March 5, 2020", "text=Month DD, YYYY"], "2020-03-05", "date"),
    ("f", "to_date", &["text=mar 5 2020", "text=mon DD YYYY"], "2020-03-05", "date"),
    ("f", "to_date", &["text=2020 xyz", "text=YYYY Mon"], "ERROR 22007: invalid value \"xyz\" for \"Mon\"", ""),
    ("f", "to_date", &["text=2458914", "text=J"], "2020-03-05", "date"),
    ("f", "to_date", &["text=99-12-31", "text=YY-MM-DD"], "1999-12-31", "date"),
    ("f", "to_date", &["text=69-12-31", "text=YY-MM-DD"], "2069-12-31", "date"),
    ("f", "to_date", &["text=0044 BC", "text=YYYY BC"], "0044-01-01 BC", "date"),
    ("f", "to_timestamp", &["text=2020-03-05 14:07:09.123456", "text=YYYY-MM-DD HH24:MI:SS.US"], "2020-03-05 14:07:09.123456+00", "timestamp with time zone"),
    ("f", "to_timestamp", &["text=2020-03-05 13:07", "text=YYYY-MM-DD HH12:MI"], "ERROR 22007: hour \"13\" is invalid for the 12-hour clock", ""),
    ("f", "to_timestamp", &["text=2020-03-05 25:00", "text=YYYY-MM-DD HH24:MI"], "ERROR 22008: date/time field value out of range: \"2020-03-05 25:00\"", ""),
    ("f", "to_timestamp", &["text=20200305 140709", "text=YYYYMMDD HH24MISS"], "2020-03-05 14:07:09+00", "timestamp with time zone"),
    ("f", "to_timestamp", &["text=2020-03-05 14:07:09 +03", "text=YYYY-MM-DD HH24:MI:SS TZH"], "2020-03-05 11:07:09+00", "timestamp with time zone"),
    ("f", "to_timestamp", &["float8=-1"], "1969-12-31 23:59:59+00", "timestamp with time zone"),
    ("f", "to_timestamp", &["float8=1e11"], "5138-11-16 09:46:40+00", "timestamp with time zone"),
    ("f", "to_timestamp", &["float8=-infinity"], "-infinity", "timestamp with time zone"),
    ("f", "to_timestamp", &["int4=86400"], "1970-01-02 00:00:00+00", "timestamp with time zone"),
    ("o", "->", &["jsonb={\"a\":1}", "unknown=a"], "1", "jsonb"),
    ("o", "->>", &["json={\"a\" : \"\\\\u00e9\"}", "text=a"], "\\u00e9", "text"),
    ("o", "->", &["json= [1, 2] ", "int4=0"], "1", "json"),
    ("o", "->", &["json={\"a\":{\"b\" : [1, 2]}}", "text=a"], "{\"b\" : [1, 2]}", "json"),
    ("o", "#>>", &["json={\"a\":[1,2]}", "text[]={a}"], "[1,2]", "text"),
    ("o", "#>", &["jsonb={\"a\":[1,2]}", "text[]={a,x}"], "\\N", "jsonb"),
    ("o", "#>", &["json={\"a\":[1,2]}", "text[]={a,x}"], "\\N", "json"),
    ("o", "@>", &["jsonb={\"a\":{\"b\":{\"c\":1}}, \"d\":2}", "jsonb={\"a\":{\"b\":{}}}"], "true", "boolean"),
    ("o", "@>", &["jsonb=[1,[2,3]]", "jsonb=[[3]]"], "true", "boolean"),
    ("o", "@>", &["jsonb=[{\"a\":1,\"b\":2}]", "jsonb=[{\"a\":1}]"], "true", "boolean"),
    ("o", "@>", &["jsonb={\"a\":1}", "jsonb=[]"], "false", "boolean"),
    ("o", "@>", &["jsonb=[]", "jsonb={}"], "false", "boolean"),
    ("o", "@>", &["jsonb=[1,2]", "jsonb=[]"], "true", "boolean"),
    ("o", "@>", &["jsonb=null", "jsonb=null"], "true", "boolean"),
    ("o", "@>", &["jsonb=1.0", "jsonb=1"], "true", "boolean"),
    ("o", "?", &["jsonb=[[\"a\"]]", "text=a"], "false", "boolean"),
    ("o", "?", &["jsonb=1", "text=1"], "false", "boolean"),
    ("o", "||", &["jsonb=\"a\"", "jsonb={\"b\":1}"], "[\"a\", {\"b\": 1}]", "jsonb"),
    ("o", "||", &["jsonb={}", "jsonb={}"], "{}", "jsonb"),
    ("o", "||", &["jsonb=[]", "jsonb=null"], "[null]", "jsonb"),
    ("o", "-", &["jsonb={\"a\":1,\"b\":2}", "text[]={}"], "{\"a\": 1, \"b\": 2}", "jsonb"),
    ("o", "-", &["jsonb=[\"a\",\"b\"]", "text[]={a,NULL}"], "[\"b\"]", "jsonb"),
    ("o", "-", &["jsonb=[1,2,3]", "int4=-4"], "[1, 2, 3]", "jsonb"),
    ("o", "-", &["jsonb=[]", "int4=0"], "[]", "jsonb"),
    ("o", "-", &["jsonb=\"a\"", "text=a"], "ERROR 22023: cannot delete from scalar", ""),
    ("o", "#-", &["jsonb={\"a\":[1,{\"b\":1,\"c\":2}]}", "text[]={a,1,b}"], "{\"a\": [1, {\"c\": 2}]}", "jsonb"),
    ("o", "#-", &["jsonb=[1,2]", "text[]={}"], "[1, 2]", "jsonb"),
    ("o", "#-", &["jsonb=[1,2]", "text[]={5}"], "[1, 2]", "jsonb"),
    ("f", "jsonb_set", &["jsonb={\"a\":{\"b\":[1,2]}}", "text[]={a,b,1}", "jsonb={\"x\":null}"], "{\"a\": {\"b\": [1, {\"x\": null}]}}", "jsonb"),
    ("f", "jsonb_set", &["jsonb={\"a\":[{\"b\":1}]}", "text[]={a,0,c}", "jsonb=true"], "{\"a\": [{\"b\": 1, \"c\": true}]}", "jsonb"),
    ("f", "jsonb_set", &["jsonb={\"a\":1}", "text[]={}", "jsonb=2"], "{\"a\": 1}", "jsonb"),
    ("f", "jsonb_set", &["jsonb=[[1]]", "text[]={0,0}", "jsonb=2"], "[[2]]", "jsonb"),
    ("f", "jsonb_set", &["jsonb={\"a\":[1]}", "text[]={a,x}", "jsonb=2"], "ERROR 22P02: path element at position 2 is not an integer: \"x\"", ""),
    ("f", "jsonb_insert", &["jsonb={\"a\":[1,2]}", "text[]={a,-1}", "jsonb=3", "bool=true"], "{\"a\": [1, 2, 3]}", "jsonb"),
    ("f", "jsonb_insert", &["jsonb=1", "text[]={0}", "jsonb=2"], "ERROR 22023: cannot set path in scalar", ""),
    ("f", "jsonb_build_object", &["text=a", "jsonb={\"x\":[1]}", "text=a", "int4=2"], "{\"a\": 2}", "jsonb"),
    ("f", "jsonb_build_object", &["float8=1.5", "text=x", "numeric=NaN", "float8=NaN"], "{\"1.5\": \"x\", \"NaN\": \"NaN\"}", "jsonb"),
    ("f", "jsonb_build_object", &["timestamptz=2020-01-01 00:00+00", "interval=1 day"], "{\"2020-01-01T00:00:00+00:00\": \"1 day\"}", "jsonb"),
    ("f", "json_build_object", &["text=a\"b", "text=c\\\\d"], "{\"a\\\"b\" : \"c\\\\\\\\d\"}", "json"),
    ("f", "json_build_object", &[], "{}", "json"),
    ("f", "json_build_array", &[], "[]", "json"),
    ("f", "to_json", &["text[]={\"a\\\\\"b\",NULL}"], "ERROR 22P02: malformed array literal: \"{\"a\\\\\"b\",NULL}\"", ""),
    ("f", "to_json", &["json={\"a\" :  1}"], "{\"a\" :  1}", "json"),
    ("f", "to_json", &["jsonb={\"a\" :  1}"], "{\"a\": 1}", "json"),
    ("f", "to_json", &["timestamp=2020-01-01 10:00:00.123"], "\"2020-01-01T10:00:00.123\"", "json"),
    ("f", "to_json", &["timestamptz=infinity"], "\"infinity\"", "json"),
    ("f", "to_json", &["bytea=\\\\x0102"], "\"\\\\x5c7830313032\"", "json"),
    ("f", "to_jsonb", &["date=2020-01-01"], "\"2020-01-01\"", "jsonb"),
    ("f", "to_jsonb", &["bool=false"], "false", "jsonb"),
    ("f", "to_jsonb", &["float4=1.25"], "1.25", "jsonb"),
    ("f", "to_jsonb", &["int4[]={}"], "[]", "jsonb"),
    ("f", "to_json", &["uuid=a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"], "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"", "json"),
    ("f", "to_json", &["bpchar=ab "], "\"ab \"", "json"),
    ("f", "to_jsonb", &["numeric=1e3"], "1000", "jsonb"),
    ("f", "to_jsonb", &["float8=1e300"], "1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", "jsonb"),
    ("f", "jsonb_strip_nulls", &["jsonb=null"], "null", "jsonb"),
    ("f", "jsonb_strip_nulls", &["jsonb=[null]"], "[null]", "jsonb"),
    ("f", "json_strip_nulls", &["json=\"a\""], "\"a\"", "json"),
    ("f", "json_strip_nulls", &["json={\"a\":{\"b\":null,\"c\":{\"d\":null}}}"], "{\"a\":{\"c\":{}}}", "json"),
    ("f", "jsonb_pretty", &["jsonb={\"a\":\"x\\ny\"}"], "{\n    \"a\": \"x\\ny\"\n}", "text"),
    ("f", "jsonb_pretty", &["jsonb=[[1,2],[]]"], "[\n    [\n        1,\n        2\n    ],\n    [\n    ]\n]", "text"),
    ("f", "json_typeof", &["json=  \"s\""], "string", "text"),
    ("f", "json_typeof", &["json=-1.5e3"], "number", "text"),
    ("f", "jsonb_extract_path", &["jsonb={\"a\":[1,2]}", "text=a", "text=-1"], "2", "jsonb"),
    ("f", "jsonb_extract_path", &["jsonb={\"a\":[1,2]}", "text=a", "text=x"], "\\N", "jsonb"),
    ("f", "jsonb_extract_path_text", &["jsonb={\"a\":null}", "text=a"], "\\N", "text"),
    ("f", "json_extract_path_text", &["json={\"a\":[1, \"x\"]}", "text=a", "text=1"], "x", "text"),
    ("f", "jsonb_extract_path", &["jsonb={\"a\":1}", "text=\\N"], "\\N", "jsonb"),
    ("f", "jsonb_extract_path", &["jsonb={\"a\":1}", "text[]={a}"], "ERROR 42883: function jsonb_extract_path(jsonb, text[]) does not exist", ""),
    ("s", "jsonb_array_elements", &["jsonb=[]"], "", "value:jsonb"),
    ("s", "json_array_elements", &["json=[ ]"], "", "value:json"),
    ("s", "json_array_elements_text", &["json=[null, \"x\", 2.50]"], "\nx\n2.50", "value:text"),
    ("s", "json_array_elements_text", &["json=1"], "ERROR 22023: cannot call json_array_elements_text on a scalar", ""),
    ("s", "jsonb_array_elements_text", &["jsonb={}"], "ERROR 22023: cannot extract elements from an object", ""),
    ("s", "jsonb_each", &["jsonb={}"], "", "key:text,value:jsonb"),
    ("s", "json_each", &["json={\"a\":1, \"a\":2}"], "a|1\na|2", "key:text,value:json"),
    ("s", "jsonb_each", &["jsonb=1"], "ERROR 22023: cannot call jsonb_each on a non-object", ""),
    ("s", "jsonb_each_text", &["jsonb=[]"], "ERROR 22023: cannot call jsonb_each_text on a non-object", ""),
    ("s", "json_each_text", &["json=1"], "ERROR 22023: cannot deconstruct a scalar", ""),
    ("s", "json_object_keys", &["json={\"b\":1,\"a\":2,\"b\":3}"], "b\na\nb", "json_object_keys:text"),
    ("s", "generate_series", &["int8=9223372036854775806", "int8=9223372036854775807"], "9223372036854775806\n9223372036854775807", "generate_series:bigint"),
    ("s", "generate_series", &["int4=1", "int4=10", "int4=4"], "1\n5\n9", "generate_series:integer"),
    ("s", "generate_series", &["int4=-2147483647", "int4=-2147483648", "int4=-1"], "-2147483647\n-2147483648", "generate_series:integer"),
    ("s", "generate_series", &["numeric=0.1", "numeric=0.35", "numeric=0.1"], "0.1\n0.2\n0.3", "generate_series:numeric"),
    ("s", "generate_series", &["numeric=3", "numeric=1", "numeric=-0.5"], "3\n2.5\n2.0\n1.5\n1.0", "generate_series:numeric"),
    ("s", "generate_series", &["numeric=1", "numeric=2", "numeric=NaN"], "ERROR 22023: step size cannot be NaN", ""),
    ("s", "generate_series", &["timestamp=2020-01-31", "timestamp=2020-06-01", "interval=1 mon 1 day"], "2020-01-31 00:00:00\n2020-03-01 00:00:00\n2020-04-02 00:00:00\n2020-05-03 00:00:00", "generate_series:timestamp without time zone"),
    ("s", "generate_series", &["timestamp=2020-01-01", "timestamp=2020-01-01 00:00:01", "unknown=0.5 sec"], "2020-01-01 00:00:00\n2020-01-01 00:00:00.5\n2020-01-01 00:00:01", "generate_series:timestamp without time zone"),
    ("s", "generate_series", &["date=2020-01-01", "date=2020-01-03", "interval=1 day"], "2020-01-01 00:00:00+00\n2020-01-02 00:00:00+00\n2020-01-03 00:00:00+00", "generate_series:timestamp with time zone"),
    ("s", "generate_series", &["unknown=1", "unknown=3"], "ERROR 42725: function generate_series(unknown, unknown) is not unique", ""),
    ("s", "unnest", &["unknown={1,2}"], "ERROR 42725: function unnest(unknown) is not unique", ""),
    ("s", "unnest", &["jsonb[]={\"{\\\"a\\\":1}\",null}"], "{\"a\": 1}\n", "unnest:jsonb"),
    ("zf", "date_part", &["text=hour", "timestamptz=2020-01-01 00:00+00"], "5", "double precision"),
    ("zf", "date_part", &["text=day", "timestamptz=2020-01-01 20:00+00"], "2", "double precision"),
    ("zf", "date_part", &["text=timezone", "timestamptz=2020-01-01 20:00+00"], "19800", "double precision"),
    ("zf", "date_part", &["text=timezone_hour", "timestamptz=2020-01-01 20:00+00"], "5", "double precision"),
    ("zf", "date_part", &["text=timezone_minute", "timestamptz=2020-01-01 20:00+00"], "30", "double precision"),
    ("zf", "extract", &["text=epoch", "timestamptz=2020-01-01 20:00+00"], "1577908800.000000", "numeric"),
    ("zf", "date_trunc", &["text=day", "timestamptz=2020-01-01 20:00+00"], "2020-01-02 00:00:00+05:30", "timestamp with time zone"),
    ("zf", "date_trunc", &["text=month", "timestamptz=2020-01-31 20:00+00"], "2020-02-01 00:00:00+05:30", "timestamp with time zone"),
    ("zf", "date_trunc", &["text=hour", "timestamptz=2020-01-31 20:45+00"], "2020-02-01 02:00:00+05:30", "timestamp with time zone"),
    ("zf", "to_char", &["timestamptz=2020-03-05 14:07:09+00", "text=YYYY-MM-DD HH24:MI TZ OF tz TZH:TZM"], "2020-03-05 19:37 +05:30 +05:30 +05:30 +05:30", "text"),
    ("zf", "to_char", &["timestamp=2020-03-05 14:07:09", "text=YYYY-MM-DD HH24:MI TZ OF"], "2020-03-05 14:07  +00", "text"),
    ("zo", "+", &["timestamptz=2020-01-31 20:00+00", "interval=1 mon"], "2020-03-01 01:30:00+05:30", "timestamp with time zone"),
    ("zo", "+", &["timestamptz=2020-01-31 20:00+00", "interval=1 day"], "2020-02-02 01:30:00+05:30", "timestamp with time zone"),
    ("zo", "-", &["timestamptz=2020-03-01 00:00+00", "interval=1 mon"], "2020-02-01 05:30:00+05:30", "timestamp with time zone"),
    ("zo", "-", &["timestamptz=2020-03-01 00:00+00", "timestamp=2020-03-01 00:00"], "05:30:00", "interval"),
    ("zo", "+", &["date=2020-01-01", "interval=1 hour"], "2020-01-01 01:00:00", "timestamp without time zone"),
    ("zf", "age", &["timestamptz=2020-03-01 00:00+00", "timestamptz=2020-01-31 20:00+00"], "1 mon 04:00:00", "interval"),
    ("zf", "to_timestamp", &["text=2020-03-05 14:07", "text=YYYY-MM-DD HH24:MI"], "2020-03-05 14:07:00+05:30", "timestamp with time zone"),
    ("zf", "to_timestamp", &["float8=0"], "1970-01-01 05:30:00+05:30", "timestamp with time zone"),
    ("zf", "to_json", &["timestamptz=2020-03-05 14:07:09+00"], "\"2020-03-05T19:37:09+05:30\"", "json"),
    ("zf", "to_jsonb", &["timestamptz=2020-03-05 14:07:09.5+00"], "\"2020-03-05T19:37:09.5+05:30\"", "jsonb"),
    ("zf", "make_timestamptz", &["int4=2020", "int4=1", "int4=2", "int4=3", "int4=4", "float8=5.5"], "2020-01-02 03:04:05.5+05:30", "timestamp with time zone"),
    ("zf", "jsonb_build_object", &["timestamptz=2020-03-05 14:07:09+00", "int4=1"], "{\"2020-03-05T19:37:09+05:30\": 1}", "jsonb"),
    ("zs", "generate_series", &["timestamptz=2020-01-30 20:00+00", "timestamptz=2020-04-30 20:00+00", "interval=1 mon"], "2020-01-31 01:30:00+05:30\n2020-02-29 01:30:00+05:30\n2020-03-29 01:30:00+05:30\n2020-04-29 01:30:00+05:30", "generate_series:timestamp with time zone"),
    ("zs", "generate_series", &["timestamptz=2020-01-01 00:00+00", "timestamptz=2020-01-02 00:00+00", "interval=1 day"], "2020-01-01 05:30:00+05:30\n2020-01-02 05:30:00+05:30", "generate_series:timestamp with time zone"),
    ("f", "to_char", &["numeric=-1234.5", "text=S9,999.99"], "-1,234.50", "text"),
    ("f", "to_char", &["numeric=1234.5", "text=9,999.99S"], "1,234.50+", "text"),
    ("f", "to_char", &["numeric=0", "text=9.99"], "  .00", "text"),
    ("f", "to_char", &["numeric=0", "text=FM9.99"], "0.", "text"),
    ("f", "to_char", &["numeric=-0.4", "text=9"], " 0", "text"),
    ("f", "to_char", &["numeric=0.4", "text=0"], " 0", "text"),
    ("f", "to_char", &["int4=7", "text=FM00"], "07", "text"),
    ("f", "to_char", &["int4=-7", "text=00"], "-07", "text"),
    ("f", "to_char", &["int4=1234", "text=999,999"], "   1,234", "text"),
    ("f", "to_char", &["int4=-1234", "text=FM999,999"], "-1,234", "text"),
    ("f", "to_char", &["numeric=1.005", "text=9.99"], " 1.01", "text"),
    ("f", "to_char", &["numeric=99.995", "text=99.99"], " ##.##", "text"),
    ("f", "to_char", &["int4=5", "text=abc9xyz"], "a 5xyz", "text"),
    ("f", "to_char", &["numeric=12.34", "text=99V99"], " 1234", "text"),
    ("f", "to_char", &["float4=3.14159", "text=9.99999999"], " 3.14159", "text"),
    ("f", "to_char", &["float8=0.5", "text=9"], " 0", "text"),
    ("f", "to_char", &["float8=1234.5678", "text=FM9999.9999"], "1234.5678", "text"),
    ("f", "to_char", &["numeric=Infinity", "text=99.9"], " ##.#", "text"),
    ("f", "to_char", &["float8=-Infinity", "text=99.9"], "-##.#", "text"),
    ("f", "to_char", &["float8=NaN", "text=99.9"], " ##.#", "text"),
    ("f", "to_char", &["numeric=-12", "text=SG99"], "-12", "text"),
    ("f", "to_char", &["numeric=12", "text=99PL"], " 12+", "text"),
    ("f", "to_char", &["int4=5", "text=L9"], "  5", "text"),
    ("f", "to_char", &["numeric=1.5", "text=FM9V9"], "15", "text"),
    ("f", "to_char", &["int4=12", "text=9V9"], " ##", "text"),
    ("f", "to_char", &["numeric=0.5", "text=FM9.99"], ".5", "text"),
    ("f", "to_char", &["int4=0", "text=FM999"], "0", "text"),
    ("f", "to_char", &["numeric=0.0", "text=FM0.99"], "0.", "text"),
];

fn call_fn(name: &str, args: &[Value], ctx: &EvalContext) -> (Value, basalt_func::Resolved) {
    let types: Vec<DataType> = args
        .iter()
        .map(|v| v.data_type().unwrap_or(DataType::Unknown))
        .collect();
    let r = resolve_function(name, &types).expect("resolves");
    (call(r.func, args, ctx).expect("calls"), r)
}

fn text(v: &Value, ctx: &EvalContext) -> String {
    format_text(v, &ctx.types).unwrap_or_default()
}

#[test]
fn current_time_functions_use_the_context() {
    let utc = ctx();
    for name in ["now", "current_timestamp", "transaction_timestamp"] {
        let (v, r) = call_fn(name, &[], &utc);
        assert_eq!(v, Value::Timestamptz(NOW), "{name}");
        assert_eq!(r.ret, DataType::Timestamptz(None));
        assert!(!r.immutable, "{name} must not be folded at bind time");
    }
    assert_eq!(
        call_fn("statement_timestamp", &[], &utc).0,
        Value::Timestamptz(NOW + 1_000)
    );
    assert_eq!(
        text(&call_fn("current_date", &[], &utc).0, &utc),
        "2020-06-15"
    );
    assert_eq!(
        text(&call_fn("localtimestamp", &[], &utc).0, &utc),
        "2020-06-15 12:34:56.789"
    );
    assert_eq!(
        text(&call_fn("localtime", &[], &utc).0, &utc),
        "12:34:56.789"
    );
    let india = ctx_in(TimeZone::Fixed(19_800));
    assert_eq!(
        text(&call_fn("localtimestamp", &[], &india).0, &india),
        "2020-06-15 18:04:56.789"
    );
    // clock_timestamp() is the wall clock: later than 2020, never folded.
    let (v, r) = call_fn("clock_timestamp", &[], &utc);
    assert!(!r.immutable);
    assert!(matches!(v, Value::Timestamptz(t) if t > NOW));
    // now() takes no arguments.
    assert!(resolve_function("now", &[DataType::Int4]).is_none());
}

#[test]
fn age_from_today() {
    let utc = ctx();
    let ts = parse_text("2019-01-20 10:00", &DataType::Timestamp(None), &utc.types).unwrap();
    let (v, r) = call_fn("age", &[ts], &utc);
    assert!(!r.immutable);
    // PostgreSQL: age(timestamp '2020-06-15', timestamp '2019-01-20 10:00').
    assert_eq!(text(&v, &utc), "1 year 4 mons 25 days 14:00:00");
    let tstz = parse_text(
        "2019-01-20 10:00+00",
        &DataType::Timestamptz(None),
        &utc.types,
    )
    .unwrap();
    assert_eq!(
        text(&call_fn("age", &[tstz], &utc).0, &utc),
        "1 year 4 mons 25 days 14:00:00"
    );
}

#[test]
fn null_handling_and_volatility() {
    // Strict functions get NULL without a call; the builders are not strict.
    let r = resolve_function("date_part", &[DataType::Text, DataType::Timestamp(None)]).unwrap();
    assert!(r.strict && r.immutable);
    let r = resolve_function("date_part", &[DataType::Text, DataType::Timestamptz(None)]).unwrap();
    assert!(r.strict && !r.immutable, "depends on the session time zone");
    let r = resolve_function("jsonb_build_object", &[DataType::Text, DataType::Unknown]).unwrap();
    assert!(!r.strict);
    assert_eq!(r.arg_types, vec![DataType::Text, DataType::Text]);
    let r = resolve_function("json_build_array", &[]).unwrap();
    assert_eq!(r.ret, DataType::Json);
    // A direct call with a NULL argument answers NULL too.
    let utc = ctx();
    let r = resolve_operator("->", Some(&DataType::Jsonb), &DataType::Text).unwrap();
    assert_eq!(
        call(r.func, &[Value::Null, Value::Text("a".into())], &utc).unwrap(),
        Value::Null
    );
}

#[test]
fn untyped_operands_take_postgresql_types() {
    let r = resolve_operator("+", Some(&DataType::Timestamp(None)), &DataType::Unknown).unwrap();
    assert_eq!(r.arg_types[1], DataType::Interval);
    let r = resolve_operator("->", Some(&DataType::Jsonb), &DataType::Unknown).unwrap();
    assert_eq!(r.arg_types[1], DataType::Text);
    let r = resolve_operator("@>", Some(&DataType::Jsonb), &DataType::Unknown).unwrap();
    assert_eq!(r.arg_types[1], DataType::Jsonb);
    let r = resolve_operator("?|", Some(&DataType::Jsonb), &DataType::Unknown).unwrap();
    assert_eq!(r.arg_types[1], DataType::Array(Box::new(DataType::Text)));
    let r = resolve_operator("-", Some(&DataType::Date), &DataType::Unknown).unwrap();
    assert_eq!(r.arg_types[1], DataType::Date);
    assert_eq!(r.ret, DataType::Int4);
    // date + unknown is ambiguous in PostgreSQL (int4, interval, time).
    assert!(resolve_operator("+", Some(&DataType::Date), &DataType::Unknown).is_none());
    // Plain numbers and strings are left to the other modules.
    assert!(
        basalt_func::datetime::resolve_operator("+", Some(&DataType::Int4), &DataType::Int4)
            .is_none()
    );
    assert!(
        basalt_func::json::resolve_operator("||", Some(&DataType::Text), &DataType::Text).is_none()
    );
    // generate_series with an untyped step next to timestamps: the step is an interval.
    let r = resolve_table_function(
        "generate_series",
        &[
            DataType::Timestamp(None),
            DataType::Unknown,
            DataType::Unknown,
        ],
    )
    .unwrap();
    assert_eq!(
        r.arg_types,
        vec![
            DataType::Timestamp(None),
            DataType::Timestamp(None),
            DataType::Interval
        ]
    );
}

#[test]
fn value_to_jsonb_is_public_for_aggregates() {
    let utc = ctx();
    let v = Value::array(
        DataType::Int4,
        vec![Value::Int4(1), Value::Null, Value::Int4(3)],
    );
    assert_eq!(
        basalt_func::json::value_to_jsonb(&v, &utc)
            .unwrap()
            .to_text(),
        "[1, null, 3]"
    );
    assert_eq!(
        basalt_func::json::value_to_json_text(&v, &utc).unwrap(),
        "[1,null,3]"
    );
    let ts = parse_text("2020-01-01 10:00", &DataType::Timestamp(None), &utc.types).unwrap();
    assert_eq!(
        basalt_func::json::value_to_jsonb(&ts, &utc).unwrap(),
        basalt_common::types::Jsonb::String("2020-01-01T10:00:00".into())
    );
}
