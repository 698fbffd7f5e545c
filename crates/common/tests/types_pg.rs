//! Golden cases checked against a real PostgreSQL 15.
//!
//! `tests/data/types_pg.tsv` holds one case per line: `kind`, `type`, `a`, `op`, `b` and the
//! result PostgreSQL gave (`OK <text>`, `NULL` or `ERROR <sqlstate> <message>`).
//! `scripts/pg-check-types.sh` builds the same SQL expression from the first five columns
//! and regenerates or verifies the last one against a throwaway server; this test computes
//! the same thing with Basalt's type system and needs no server.
//!
//! - `in`: `'a'::type` — an untyped literal cast (input function, then the modifier as an
//!   explicit cast).
//! - `cast`: `('a'::type)::op`.
//! - `op`: `('a'::type) op ('b'::type)`.
//! - `cmp`: -1, 0 or 1 from `<` and `=` of `'a'::type` and `'b'::type`.
//! - `tzin`: `'a'::type` with the session time zone at `op` seconds east of UTC.
//! - `tzcast`: `('a'::type)::b` with that session time zone.
//! - `typ`: a column declared with the type name `type`: `format_type`, OID, typmod and
//!   typlen, as `format_type|oid|typmod|typlen`.
//! - `assign`: `INSERT` of `'a'::type` (a bare literal when `type` is `unknown`) into a column
//!   of type `op`: an assignment cast.

use std::cmp::Ordering;

use basalt_common::types::cast::cast_unknown_literal;
use basalt_common::types::{
    ArithOp, CastContext, DataType, TimeZone, TypeContext, TypeError, Value, arith, cast,
    format_text,
};

fn literal(text: &str, ty: &str, ctx: &TypeContext) -> Result<Value, TypeError> {
    let ty = DataType::parse(ty)?;
    cast_unknown_literal(text, &ty, CastContext::Explicit, ctx)
}

fn show(r: Result<Value, TypeError>, ctx: &TypeContext) -> String {
    match r {
        Ok(v) => match format_text(&v, ctx) {
            Some(s) => format!("OK {s}"),
            None => "NULL".to_owned(),
        },
        Err(e) => format!("ERROR {} {}", e.code(), e.message()),
    }
}

fn evaluate(kind: &str, ty: &str, a: &str, op: &str, b: &str, ctx: &TypeContext) -> String {
    match kind {
        "in" => show(literal(a, ty, ctx), ctx),
        "typ" => match DataType::parse(ty) {
            Ok(t) => format!(
                "OK {}|{}|{}|{}",
                t.format_type(),
                t.oid(),
                t.typmod(),
                t.typlen()
            ),
            Err(e) => format!("ERROR {} {}", e.code(), e.message()),
        },
        "assign" => {
            let r = DataType::parse(op).and_then(|to| {
                if ty == "unknown" {
                    cast_unknown_literal(a, &to, CastContext::Assignment, ctx)
                } else {
                    cast(&literal(a, ty, ctx)?, &to, CastContext::Assignment, ctx)
                }
            });
            show(r, ctx)
        }
        "tzin" | "tzcast" => {
            let east: i32 = op.parse().expect("offset in seconds");
            let ctx = TypeContext {
                time_zone: TimeZone::Fixed(east),
                ..*ctx
            };
            let r = literal(a, ty, &ctx).and_then(|v| {
                if kind == "tzin" {
                    return Ok(v);
                }
                cast(&v, &DataType::parse(b)?, CastContext::Explicit, &ctx)
            });
            show(r, &ctx)
        }
        "cast" => {
            let r = literal(a, ty, ctx).and_then(|v| {
                let to = DataType::parse(op)?;
                cast(&v, &to, CastContext::Explicit, ctx)
            });
            show(r, ctx)
        }
        "op" => {
            let o = match op {
                "+" => ArithOp::Add,
                "-" => ArithOp::Sub,
                "*" => ArithOp::Mul,
                "/" => ArithOp::Div,
                "%" => ArithOp::Mod,
                other => panic!("unknown operator {other}"),
            };
            let r = literal(a, ty, ctx)
                .and_then(|x| literal(b, ty, ctx).and_then(|y| arith(o, &x, &y)));
            show(r, ctx)
        }
        "cmp" => match literal(a, ty, ctx).and_then(|x| literal(b, ty, ctx).map(|y| x.cmp(&y))) {
            Ok(o) => format!(
                "OK {}",
                match o {
                    Ordering::Less => -1,
                    Ordering::Equal => 0,
                    Ordering::Greater => 1,
                }
            ),
            Err(e) => format!("ERROR {} {}", e.code(), e.message()),
        },
        other => panic!("unknown case kind {other}"),
    }
}

#[test]
fn golden_cases_match_postgres() {
    let data = include_str!("data/types_pg.tsv");
    let ctx = TypeContext::default();
    let mut failures = Vec::new();
    let mut count = 0;
    for (lineno, line) in data.lines().enumerate() {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 6, "line {}: {line:?}", lineno + 1);
        let (kind, ty, a, op, b, expected) = (cols[0], cols[1], cols[2], cols[3], cols[4], cols[5]);
        let actual = std::panic::catch_unwind(|| evaluate(kind, ty, a, op, b, &ctx))
            .unwrap_or_else(|_| "PANIC".to_owned());
        count += 1;
        // For an assignment without an assignment cast PostgreSQL's message names the column
        // (`column "c" is of type ...`), which is the binder's to word; compare the SQLSTATE.
        let binder_worded = kind == "assign" && expected.starts_with("ERROR 42804 column ");
        let same = if binder_worded {
            actual.starts_with("ERROR 42804 ")
        } else {
            actual == expected
        };
        if !same {
            failures.push(format!(
                "line {}: {kind} {ty} {a:?} {op} {b:?}\n    postgres: {expected}\n    basalt:   {actual}",
                lineno + 1
            ));
        }
    }
    assert!(count > 1000, "golden file too small: {count}");
    assert!(
        failures.is_empty(),
        "{} of {count} golden cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every golden input PostgreSQL accepted must print text that reads back to the same value
/// and the same text (output is a fixpoint of input ∘ output).
#[test]
fn accepted_golden_inputs_round_trip() {
    use basalt_common::types::parse_text;
    let data = include_str!("data/types_pg.tsv");
    let ctx = TypeContext::default();
    let mut checked = 0;
    for line in data.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols[0] != "in" || !cols[5].starts_with("OK ") {
            continue;
        }
        let ty = DataType::parse(cols[1]).unwrap();
        let v = literal(cols[2], cols[1], &ctx).unwrap();
        let out = format_text(&v, &ctx).unwrap();
        let back = parse_text(&out, &ty.without_typmod(), &ctx)
            .unwrap_or_else(|e| panic!("{line:?}: {out:?} does not read back: {e}"));
        assert_eq!(back, v, "{line:?}");
        assert_eq!(format_text(&back, &ctx).unwrap(), out, "{line:?}");
        checked += 1;
    }
    assert!(checked > 300, "{checked}");
}
