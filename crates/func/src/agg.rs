//! Aggregate functions as accumulators: `count`, `sum`, `avg`, `min`, `max`, `bool_and`,
//! `bool_or`, `every`, `string_agg`, `array_agg`, `json_agg`, `jsonb_agg`,
//! `json[b]_object_agg`, `bit_and`/`bit_or`/`bit_xor`, the statistics `stddev[_samp|_pop]`,
//! `variance`, `var_samp`, `var_pop`, the two-argument `corr`, `covar_*`, `regr_*`, and the
//! ordered-set aggregates `percentile_cont`, `percentile_disc`, `mode`.
//!
//! # Semantics taken from PostgreSQL 15
//!
//! - Result types: `sum(int2|int4)` is `bigint` (overflow 22003 `bigint out of range`),
//!   `sum(int8)` and `avg` of integers and numerics are `numeric`, `avg` and the statistics of
//!   floats are `double precision`, `sum(float4)` stays `real`. `min`/`max` of `varchar` are
//!   `text` (PostgreSQL has only the `text` variant).
//! - Over no rows (or only NULLs) every aggregate but `count` is NULL; `count` is 0.
//! - `avg` of integers and numerics divides the exact sum with `numeric` division (so `avg`
//!   of 1 and 2 is `1.5000000000000000`). Float averages and statistics use PostgreSQL's
//!   Youngs-Cramer transition (`float8_accum`), numeric statistics use exact sums and
//!   `numeric_stddev_internal`'s formula and scales.
//! - `string_agg` puts the row's delimiter before every non-NULL value except the first;
//!   `array_agg` keeps NULL elements; `json_agg`/`jsonb_agg` turn NULL into JSON `null` and
//!   render values as `to_json` does (timestamps in ISO 8601 with `T`, non-finite numbers as
//!   strings).
//!
//! DISTINCT, FILTER and ORDER BY within the call are the executor's job. [`Accumulator::finish`]
//! never consumes state, so window frames may call it repeatedly.
//!
//! Accumulators have no session context, so values are printed (for `json_agg` of
//! `timestamptz`) in UTC.

use basalt_common::types::arith::{float4_arith, float8_arith, interval_add};
use basalt_common::types::json::{escape_json_string, parse_jsonb};
use basalt_common::types::{
    ArithOp, DataType, Interval, Jsonb, Numeric, TypeContext, TypeError, TypeResult, Value,
    format_text,
};

use crate::math::{best_candidate, sqrt_to};

/// What a hypothetical-set aggregate computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HypoKind {
    /// `rank`: 1 + the rows sorting before.
    Rank,
    /// `dense_rank`: 1 + the distinct rows sorting before.
    DenseRank,
    /// `percent_rank`: (rank - 1) / rows.
    PercentRank,
    /// `cume_dist`: (rows before or peer + 1) / (rows + 1).
    CumeDist,
}

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggFunc {
    /// `GROUPING(...)` of an enclosing query's grouping sets, used inside a subquery: the
    /// executor computes it from the grouping set (its arguments are the group positions);
    /// it accumulates nothing.
    Grouping,
    /// A user-defined aggregate (`CREATE AGGREGATE`): the executor runs its transition and
    /// final functions from the call's definition; it accumulates nothing here.
    User,
    /// `count(*)`.
    CountStar,
    /// `count(x)`: non-NULL values.
    Count,
    /// `sum(int2|int4)` → `bigint`.
    SumInt,
    /// `sum(int8|numeric)` → `numeric`.
    SumNumeric,
    /// `sum(float4)`.
    SumFloat4,
    /// `sum(float8)`.
    SumFloat8,
    /// `sum(interval)`.
    SumInterval,
    /// `avg` of integers and numerics → `numeric`.
    AvgNumeric,
    /// `avg(float4|float8)` → `double precision`.
    AvgFloat,
    /// `avg(interval)`.
    AvgInterval,
    /// `min(x)`.
    Min,
    /// `max(x)`.
    Max,
    /// `bool_and(x)`, `every(x)`.
    BoolAnd,
    /// `bool_or(x)`.
    BoolOr,
    /// `bit_and(x)`, `bit_or(x)`, `bit_xor(x)` of integers.
    Bit(BitOp),
    /// `string_agg(text, text)`.
    StringAgg,
    /// `string_agg(bytea, bytea)`.
    ByteaStringAgg,
    /// `array_agg(x)`.
    ArrayAgg,
    /// `json_agg(x)`.
    JsonAgg,
    /// `jsonb_agg(x)`.
    JsonbAgg,
    /// `percentile_cont(fraction) WITHIN GROUP (ORDER BY float8)`; with an array of
    /// fractions when `multi`.
    PercentileCont {
        /// Fractions given as an array (the result is an array).
        multi: bool,
    },
    /// `percentile_disc(fraction) WITHIN GROUP (ORDER BY x)`.
    PercentileDisc {
        /// Fractions given as an array (the result is an array).
        multi: bool,
    },
    /// `mode() WITHIN GROUP (ORDER BY x)`.
    Mode,
    /// The hypothetical-set aggregates `rank`, `dense_rank`, `percent_rank`, `cume_dist`
    /// `(args) WITHIN GROUP (ORDER BY keys)`: where the row of `args` would fall among the
    /// group's rows. The arguments are the `keys` sort keys, then as many direct arguments;
    /// bit `i` of `desc` / `nulls_first` gives key `i`'s direction.
    Hypothetical {
        /// Which result.
        kind: HypoKind,
        /// Number of sort keys (and of direct arguments).
        keys: u8,
        /// Keys sorted descending.
        desc: u32,
        /// Keys with NULLs first.
        nulls_first: u32,
    },
    /// `json_object_agg(key, value)` (`binary`: `jsonb_object_agg`).
    ObjectAgg {
        /// jsonb instead of json.
        binary: bool,
    },
    /// The two-argument float statistics `corr`, `covar_*` and `regr_*` (arguments Y, X).
    Regr(RegrKind),
    /// A variance or standard deviation; `numeric` for integer and numeric input.
    Stat {
        /// Which statistic.
        kind: StatKind,
        /// Computed over exact numeric sums (else float8).
        numeric: bool,
    },
}

/// The statistics aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatKind {
    /// `var_pop`.
    VarPop,
    /// `var_samp`, `variance`.
    VarSamp,
    /// `stddev_pop`.
    StddevPop,
    /// `stddev_samp`, `stddev`.
    StddevSamp,
}

/// The two-argument statistics over (Y, X) pairs where neither is NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegrKind {
    /// `corr`.
    Corr,
    /// `covar_pop`.
    CovarPop,
    /// `covar_samp`.
    CovarSamp,
    /// `regr_avgx`.
    AvgX,
    /// `regr_avgy`.
    AvgY,
    /// `regr_count` (bigint).
    Count,
    /// `regr_intercept`.
    Intercept,
    /// `regr_r2`.
    R2,
    /// `regr_slope`.
    Slope,
    /// `regr_sxx`.
    Sxx,
    /// `regr_sxy`.
    Sxy,
    /// `regr_syy`.
    Syy,
}

/// A resolved aggregate call.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedAggregate {
    /// The aggregate.
    pub func: AggFunc,
    /// The type each argument must be cast to.
    pub arg_types: Vec<DataType>,
    /// The result type.
    pub ret: DataType,
}

/// The operation of a bitwise aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BitOp {
    /// `bit_and`.
    And,
    /// `bit_or`.
    Or,
    /// `bit_xor`.
    Xor,
}

/// The running state of one aggregate over one group.
pub trait Accumulator: Send {
    /// Adds one row's arguments (already cast; NULLs included, the accumulator decides).
    fn update(&mut self, args: &[Value]) -> TypeResult<()>;
    /// The aggregate's value over the rows added so far (may be called more than once, for
    /// window frames).
    fn finish(&self) -> TypeResult<Value>;
}

const I2: DataType = DataType::Int2;
const I4: DataType = DataType::Int4;
const I8: DataType = DataType::Int8;
const F4: DataType = DataType::Float4;
const F8: DataType = DataType::Float8;
const NUM: DataType = DataType::Numeric(None);
const TEXT: DataType = DataType::Text;

fn pick(
    table: &[(AggFunc, &[DataType], DataType)],
    args: &[DataType],
) -> Option<ResolvedAggregate> {
    let sigs: Vec<&[DataType]> = table.iter().map(|(_, s, _)| *s).collect();
    let i = best_candidate(&sigs, args)?;
    let (func, sig, ret) = &table[i];
    Some(ResolvedAggregate {
        func: *func,
        arg_types: sig.to_vec(),
        ret: ret.clone(),
    })
}

fn known(t: &DataType) -> DataType {
    if *t == DataType::Unknown {
        TEXT
    } else {
        t.clone()
    }
}

/// Whether PostgreSQL 15 defines `min`/`max` for the type.
fn has_min_max(t: &DataType) -> bool {
    match t {
        DataType::Int2
        | DataType::Int4
        | DataType::Int8
        | DataType::Oid
        | DataType::Float4
        | DataType::Float8
        | DataType::Numeric(_)
        | DataType::Text
        | DataType::Bpchar(_)
        | DataType::Date
        | DataType::Time(_)
        | DataType::TimeTz(_)
        | DataType::Timestamp(_)
        | DataType::Timestamptz(_)
        | DataType::Interval
        | DataType::Enum(_) => true,
        DataType::Array(e) => has_min_max(e) || matches!(**e, DataType::Varchar(_)),
        _ => false,
    }
}

/// Resolves `name(args...)` as an aggregate; `count(*)` is `name = "count"`, `args = []`.
pub fn resolve_aggregate(name: &str, args: &[DataType]) -> Option<ResolvedAggregate> {
    use AggFunc::*;
    let one = |func: AggFunc, arg: DataType, ret: DataType| {
        Some(ResolvedAggregate {
            func,
            arg_types: vec![arg],
            ret,
        })
    };
    let stat = |kind: StatKind| {
        pick(
            &[
                (
                    Stat {
                        kind,
                        numeric: true,
                    },
                    &[I2],
                    NUM,
                ),
                (
                    Stat {
                        kind,
                        numeric: true,
                    },
                    &[I4],
                    NUM,
                ),
                (
                    Stat {
                        kind,
                        numeric: true,
                    },
                    &[I8],
                    NUM,
                ),
                (
                    Stat {
                        kind,
                        numeric: false,
                    },
                    &[F4],
                    F8,
                ),
                (
                    Stat {
                        kind,
                        numeric: false,
                    },
                    &[F8],
                    F8,
                ),
                (
                    Stat {
                        kind,
                        numeric: true,
                    },
                    &[NUM],
                    NUM,
                ),
            ],
            args,
        )
    };
    match (name, args) {
        ("count", []) => Some(ResolvedAggregate {
            func: CountStar,
            arg_types: vec![],
            ret: I8,
        }),
        ("count", [t]) => one(Count, known(t), I8),
        ("sum", _) => pick(
            &[
                (SumInt, &[I2], I8),
                (SumInt, &[I4], I8),
                (SumNumeric, &[I8], NUM),
                (SumFloat4, &[F4], F4),
                (SumFloat8, &[F8], F8),
                (SumNumeric, &[NUM], NUM),
                (SumInterval, &[DataType::Interval], DataType::Interval),
            ],
            args,
        ),
        ("avg", _) => pick(
            &[
                (AvgNumeric, &[I2], NUM),
                (AvgNumeric, &[I4], NUM),
                (AvgNumeric, &[I8], NUM),
                (AvgFloat, &[F4], F8),
                (AvgFloat, &[F8], F8),
                (AvgNumeric, &[NUM], NUM),
                (AvgInterval, &[DataType::Interval], DataType::Interval),
            ],
            args,
        ),
        ("min" | "max", [t]) => {
            let func = if name == "min" { Min } else { Max };
            let t = match t {
                // No min/max of their own: these convert implicitly to text.
                DataType::Unknown | DataType::Varchar(_) | DataType::Name | DataType::Char => TEXT,
                other => other.without_typmod(),
            };
            has_min_max(&t).then_some(())?;
            one(func, t.clone(), t)
        }
        ("bool_and" | "every", _) => pick(&[(BoolAnd, &[DataType::Bool], DataType::Bool)], args),
        ("bool_or", _) => pick(&[(BoolOr, &[DataType::Bool], DataType::Bool)], args),
        ("bit_and" | "bit_or" | "bit_xor", _) => {
            let op = match name {
                "bit_and" => BitOp::And,
                "bit_or" => BitOp::Or,
                _ => BitOp::Xor,
            };
            pick(
                &[
                    (Bit(op), &[I2], I2),
                    (Bit(op), &[I4], I4),
                    (Bit(op), &[I8], I8),
                ],
                args,
            )
        }
        ("string_agg", _) => pick(
            &[
                (StringAgg, &[TEXT, TEXT], TEXT),
                (
                    ByteaStringAgg,
                    &[DataType::Bytea, DataType::Bytea],
                    DataType::Bytea,
                ),
            ],
            args,
        ),
        ("array_agg", [t]) if !matches!(t, DataType::Array(_)) => {
            let t = known(t);
            one(
                ArrayAgg,
                t.clone(),
                DataType::Array(Box::new(t.without_typmod())),
            )
        }
        ("array_agg", [DataType::Array(elem)]) => {
            let t = DataType::Array(Box::new(elem.without_typmod()));
            one(ArrayAgg, t.clone(), t)
        }
        ("json_agg", [t]) => one(JsonAgg, known(t), DataType::Json),
        ("jsonb_agg", [t]) => one(JsonbAgg, known(t), DataType::Jsonb),
        ("percentile_cont" | "percentile_disc", [v, f]) => {
            let multi = matches!(f, DataType::Array(_));
            let v = if name == "percentile_cont" {
                match *v {
                    I2 | I4 | I8 | F4 | F8 | DataType::Numeric(_) | DataType::Unknown => F8,
                    _ => return None,
                }
            } else {
                known(v).without_typmod()
            };
            let ret = if multi {
                DataType::Array(Box::new(v.clone()))
            } else {
                v.clone()
            };
            let fraction = if multi {
                DataType::Array(Box::new(F8))
            } else {
                F8
            };
            let func = if name == "percentile_cont" {
                PercentileCont { multi }
            } else {
                PercentileDisc { multi }
            };
            Some(ResolvedAggregate {
                func,
                arg_types: vec![v, fraction],
                ret,
            })
        }
        ("rank" | "dense_rank" | "percent_rank" | "cume_dist", args)
            if !args.is_empty() && args.len() % 2 == 0 && args.len() / 2 <= 32 =>
        {
            let kind = match name {
                "rank" => HypoKind::Rank,
                "dense_rank" => HypoKind::DenseRank,
                "percent_rank" => HypoKind::PercentRank,
                _ => HypoKind::CumeDist,
            };
            Some(ResolvedAggregate {
                func: Hypothetical {
                    kind,
                    keys: (args.len() / 2) as u8,
                    desc: 0,
                    nulls_first: 0,
                },
                // The caller matches each key's type with its direct argument's.
                arg_types: args.to_vec(),
                ret: if matches!(kind, HypoKind::Rank | HypoKind::DenseRank) {
                    I8
                } else {
                    F8
                },
            })
        }
        ("json_object_agg" | "jsonb_object_agg", [k, v]) => Some(ResolvedAggregate {
            func: ObjectAgg {
                binary: name == "jsonb_object_agg",
            },
            arg_types: vec![known(k), known(v)],
            ret: if name == "json_object_agg" {
                DataType::Json
            } else {
                DataType::Jsonb
            },
        }),
        (
            "corr" | "covar_pop" | "covar_samp" | "regr_avgx" | "regr_avgy" | "regr_count"
            | "regr_intercept" | "regr_r2" | "regr_slope" | "regr_sxx" | "regr_sxy" | "regr_syy",
            _,
        ) => {
            let kind = match name {
                "corr" => RegrKind::Corr,
                "covar_pop" => RegrKind::CovarPop,
                "covar_samp" => RegrKind::CovarSamp,
                "regr_avgx" => RegrKind::AvgX,
                "regr_avgy" => RegrKind::AvgY,
                "regr_count" => RegrKind::Count,
                "regr_intercept" => RegrKind::Intercept,
                "regr_r2" => RegrKind::R2,
                "regr_slope" => RegrKind::Slope,
                "regr_sxx" => RegrKind::Sxx,
                "regr_sxy" => RegrKind::Sxy,
                _ => RegrKind::Syy,
            };
            let ret = if kind == RegrKind::Count { I8 } else { F8 };
            pick(&[(Regr(kind), &[F8, F8], ret)], args)
        }
        ("mode", [v]) => {
            let v = known(v).without_typmod();
            one(Mode, v.clone(), v)
        }
        ("var_pop", _) => stat(StatKind::VarPop),
        ("var_samp" | "variance", _) => stat(StatKind::VarSamp),
        ("stddev_pop", _) => stat(StatKind::StddevPop),
        ("stddev_samp" | "stddev", _) => stat(StatKind::StddevSamp),
        _ => None,
    }
}

/// A fresh accumulator.
pub fn new_accumulator(agg: &ResolvedAggregate) -> Box<dyn Accumulator> {
    use AggFunc::*;
    match agg.func {
        Grouping | User => Box::new(GroupingAcc),
        CountStar => Box::new(CountAcc { star: true, n: 0 }),
        Count => Box::new(CountAcc { star: false, n: 0 }),
        SumInt => Box::new(SumIntAcc(None)),
        SumNumeric => Box::new(SumNumericAcc(None)),
        SumFloat4 => Box::new(SumFloat4Acc(None)),
        SumFloat8 => Box::new(SumFloat8Acc(None)),
        SumInterval => Box::new(IntervalAcc {
            sum: None,
            n: 0,
            avg: false,
        }),
        AvgInterval => Box::new(IntervalAcc {
            sum: None,
            n: 0,
            avg: true,
        }),
        AvgNumeric => Box::new(NumericStatAcc::new(None)),
        Stat {
            kind,
            numeric: true,
        } => Box::new(NumericStatAcc::new(Some(kind))),
        AvgFloat => Box::new(FloatStatAcc::new(None)),
        Stat {
            kind,
            numeric: false,
        } => Box::new(FloatStatAcc::new(Some(kind))),
        Min => Box::new(MinMaxAcc {
            best: None,
            max: false,
        }),
        Max => Box::new(MinMaxAcc {
            best: None,
            max: true,
        }),
        BoolAnd => Box::new(BoolAcc {
            state: None,
            and: true,
        }),
        BoolOr => Box::new(BoolAcc {
            state: None,
            and: false,
        }),
        Bit(op) => Box::new(BitAcc { state: None, op }),
        StringAgg => Box::new(StringAggAcc(None)),
        ByteaStringAgg => Box::new(ByteaAggAcc(None)),
        ArrayAgg => Box::new(ArrayAggAcc {
            // For array input the "element" is the input array type.
            element_type: match agg.arg_types.first() {
                Some(t @ DataType::Array(_)) => t.clone(),
                _ => agg
                    .ret
                    .element()
                    .cloned()
                    .unwrap_or_else(|| agg.arg_types.first().cloned().unwrap_or(TEXT)),
            },
            elements: None,
        }),
        JsonAgg => Box::new(JsonAggAcc {
            items: None,
            binary: false,
        }),
        JsonbAgg => Box::new(JsonAggAcc {
            items: None,
            binary: true,
        }),
        PercentileCont { multi } | PercentileDisc { multi } => Box::new(OrderedSetAcc {
            func: agg.func,
            multi,
            element_type: agg.arg_types.first().cloned().unwrap_or(F8),
            values: Vec::new(),
            fraction: None,
        }),
        ObjectAgg { binary } => Box::new(ObjectAggAcc {
            binary,
            items: Vec::new(),
        }),
        Regr(kind) => Box::new(RegrAcc {
            kind,
            n: 0.0,
            sx: 0.0,
            sy: 0.0,
            sxx: 0.0,
            syy: 0.0,
            sxy: 0.0,
        }),
        Mode => Box::new(OrderedSetAcc {
            func: Mode,
            multi: false,
            element_type: agg.ret.clone(),
            values: Vec::new(),
            fraction: None,
        }),
        Hypothetical {
            kind,
            keys,
            desc,
            nulls_first,
        } => Box::new(HypotheticalAcc {
            kind,
            keys: usize::from(keys),
            desc,
            nulls_first,
            rows: 0,
            before: 0,
            peers: 0,
            distinct_before: 0,
            last_before: None,
        }),
    }
}

/// A hypothetical-set aggregate. Rows arrive in the WITHIN GROUP order; each is compared
/// with the hypothetical row (the direct arguments, taken from the row itself as they may
/// not depend on it).
struct HypotheticalAcc {
    kind: HypoKind,
    keys: usize,
    desc: u32,
    nulls_first: u32,
    rows: u64,
    /// Rows sorting before the hypothetical row.
    before: u64,
    /// Rows sorting as its peers.
    peers: u64,
    /// Distinct key tuples among the rows before.
    distinct_before: u64,
    /// The keys of the last row before, to count distinct ones (rows arrive sorted).
    last_before: Option<Vec<Value>>,
}

impl HypotheticalAcc {
    /// Key `i` of `a` against `b` in the WITHIN GROUP order (NULLs are peers of each other).
    fn cmp_key(&self, i: usize, a: &Value, b: &Value) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let nulls_first = self.nulls_first & (1 << i) != 0;
        match (a.is_null(), b.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            _ => {
                let o = a.cmp(b);
                if self.desc & (1 << i) != 0 {
                    o.reverse()
                } else {
                    o
                }
            }
        }
    }

    fn cmp_rows(&self, a: &[Value], b: &[Value]) -> std::cmp::Ordering {
        (0..self.keys)
            .map(|i| self.cmp_key(i, &a[i], &b[i]))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    }
}

impl Accumulator for HypotheticalAcc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        if args.len() < 2 * self.keys {
            return Err(unexpected("hypothetical arguments", &Value::Null));
        }
        let (row, hypo) = args.split_at(self.keys);
        self.rows += 1;
        match self.cmp_rows(row, hypo) {
            std::cmp::Ordering::Less => {
                self.before += 1;
                let new = self
                    .last_before
                    .as_deref()
                    .is_none_or(|last| self.cmp_rows(last, row).is_ne());
                if new {
                    self.distinct_before += 1;
                    self.last_before = Some(row.to_vec());
                }
            }
            std::cmp::Ordering::Equal => self.peers += 1,
            std::cmp::Ordering::Greater => {}
        }
        Ok(())
    }

    fn finish(&self) -> TypeResult<Value> {
        Ok(match self.kind {
            HypoKind::Rank => Value::Int8(self.before as i64 + 1),
            HypoKind::DenseRank => Value::Int8(self.distinct_before as i64 + 1),
            HypoKind::PercentRank => Value::Float8(if self.rows == 0 {
                0.0
            } else {
                self.before as f64 / self.rows as f64
            }),
            HypoKind::CumeDist => {
                Value::Float8((self.before + self.peers + 1) as f64 / (self.rows + 1) as f64)
            }
        })
    }
}

struct ObjectAggAcc {
    binary: bool,
    /// `"key" : value` pairs as JSON text, in input order.
    items: Vec<String>,
}

impl Accumulator for ObjectAggAcc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        let key = first(args);
        if key.is_null() {
            return Err(TypeError::new(
                basalt_common::types::error::codes::INVALID_PARAMETER_VALUE,
                "field name must not be null",
            ));
        }
        let ctx = TypeContext::default();
        let key = match key {
            Value::Text(s) | Value::Bpchar(s) => s.clone(),
            other => format_text(other, &ctx).unwrap_or_default(),
        };
        let value = to_json_text(args.get(1).unwrap_or(&Value::Null), &ctx);
        self.items.push(format!("{} : {value}", quoted(&key)));
        Ok(())
    }
    fn finish(&self) -> TypeResult<Value> {
        if self.items.is_empty() {
            return Ok(Value::Null);
        }
        let text = format!("{{ {} }}", self.items.join(", "));
        if self.binary {
            // Parsing keeps the last value of a repeated key and orders the keys.
            Ok(Value::Jsonb(parse_jsonb(&text)?))
        } else {
            Ok(Value::Json(text))
        }
    }
}

/// PostgreSQL's `float8_regr_accum` (Youngs-Cramer) and the final functions over it.
struct RegrAcc {
    kind: RegrKind,
    n: f64,
    sx: f64,
    sy: f64,
    sxx: f64,
    syy: f64,
    sxy: f64,
}

impl Accumulator for RegrAcc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        let (y, x) = match (args.first(), args.get(1)) {
            (Some(Value::Float8(y)), Some(Value::Float8(x))) => (*y, *x),
            _ => return Ok(()),
        };
        let old_n = self.n;
        self.n += 1.0;
        self.sx += x;
        self.sy += y;
        if old_n > 0.0 {
            let tx = x * self.n - self.sx;
            let ty = y * self.n - self.sy;
            let scale = 1.0 / (self.n * old_n);
            self.sxx += tx * tx * scale;
            self.syy += ty * ty * scale;
            self.sxy += tx * ty * scale;
        }
        Ok(())
    }
    fn finish(&self) -> TypeResult<Value> {
        use RegrKind::*;
        let n = self.n;
        if self.kind == Count {
            return Ok(Value::Int8(n as i64));
        }
        let need = if self.kind == CovarSamp { 2.0 } else { 1.0 };
        if n < need {
            return Ok(Value::Null);
        }
        let (sxx, syy, sxy) = (self.sxx, self.syy, self.sxy);
        let v = match self.kind {
            Corr if sxx == 0.0 || syy == 0.0 => None,
            Corr => Some(sxy / (sxx * syy).sqrt()),
            CovarPop => Some(sxy / n),
            CovarSamp => Some(sxy / (n - 1.0)),
            AvgX => Some(self.sx / n),
            AvgY => Some(self.sy / n),
            Sxx => Some(sxx),
            Syy => Some(syy),
            Sxy => Some(sxy),
            R2 if sxx == 0.0 => None,
            R2 if syy == 0.0 => Some(1.0),
            R2 => Some((sxy * sxy) / (sxx * syy)),
            Slope if sxx == 0.0 => None,
            Slope => Some(sxy / sxx),
            Intercept if sxx == 0.0 => None,
            Intercept => Some((self.sy - self.sx * sxy / sxx) / n),
            Count => None,
        };
        Ok(v.map_or(Value::Null, Value::Float8))
    }
}

/// Whether the aggregate is an ordered-set aggregate (called with `WITHIN GROUP`): its first
/// argument is the sorted value, the others are the direct arguments.
pub fn is_ordered_set(name: &str) -> bool {
    matches!(name, "percentile_cont" | "percentile_disc" | "mode") || is_hypothetical_set(name)
}

/// Whether `name` has a hypothetical-set aggregate (with WITHIN GROUP; without it, it is the
/// window function).
pub fn is_hypothetical_set(name: &str) -> bool {
    matches!(name, "rank" | "dense_rank" | "percent_rank" | "cume_dist")
}

/// The ordered-set aggregates. The executor feeds the rows in the WITHIN GROUP order; the
/// direct argument (the fraction) is taken from the first row, as it may not depend on rows.
struct OrderedSetAcc {
    func: AggFunc,
    multi: bool,
    element_type: DataType,
    values: Vec<Value>,
    fraction: Option<Value>,
}

impl OrderedSetAcc {
    /// One percentile over the sorted non-NULL values (not empty).
    fn percentile(&self, p: &Value) -> TypeResult<Value> {
        let p = match p {
            Value::Null => return Ok(Value::Null),
            Value::Float8(p) => *p,
            other => return Err(unexpected("double precision", other)),
        };
        if !(0.0..=1.0).contains(&p) {
            return Err(TypeError::new(
                basalt_common::types::error::codes::NUMERIC_VALUE_OUT_OF_RANGE,
                format!("percentile value {p} is not between 0 and 1"),
            ));
        }
        let n = self.values.len();
        if matches!(self.func, AggFunc::PercentileDisc { .. }) {
            // The first value whose cumulative distribution reaches p.
            let row = ((p * n as f64).ceil() as usize).max(1).min(n);
            return Ok(self.values[row - 1].clone());
        }
        let at = |i: usize| match &self.values[i] {
            Value::Float8(x) => Ok(*x),
            other => Err(unexpected("double precision", other)),
        };
        let pos = p * (n - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        let a = at(lo)?;
        if lo == hi {
            return Ok(Value::Float8(a));
        }
        let b = at(hi)?;
        Ok(Value::Float8(a + (pos - lo as f64) * (b - a)))
    }
}

impl Accumulator for OrderedSetAcc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        if self.fraction.is_none() {
            self.fraction = Some(args.get(1).cloned().unwrap_or(Value::Null));
        }
        let v = first(args);
        if !v.is_null() {
            self.values.push(v.clone());
        }
        Ok(())
    }

    fn finish(&self) -> TypeResult<Value> {
        if self.values.is_empty() {
            return Ok(Value::Null);
        }
        if self.func == AggFunc::Mode {
            // The most frequent value; on a tie the first in the sort order.
            let (mut best, mut best_n) = (&self.values[0], 0usize);
            let mut i = 0;
            while i < self.values.len() {
                let mut j = i + 1;
                while j < self.values.len() && self.values[j] == self.values[i] {
                    j += 1;
                }
                if j - i > best_n {
                    best = &self.values[i];
                    best_n = j - i;
                }
                i = j;
            }
            return Ok(best.clone());
        }
        let fraction = self.fraction.clone().unwrap_or(Value::Null);
        if !self.multi {
            return self.percentile(&fraction);
        }
        match fraction {
            Value::Null => Ok(Value::Null),
            Value::Array(a) => {
                let mut out = Vec::with_capacity(a.elements.len());
                for p in &a.elements {
                    out.push(self.percentile(p)?);
                }
                Ok(Value::array(self.element_type.clone(), out))
            }
            other => Err(unexpected("double precision[]", &other)),
        }
    }
}

fn first(args: &[Value]) -> &Value {
    args.first().unwrap_or(&Value::Null)
}

fn unexpected(what: &str, v: &Value) -> TypeError {
    TypeError::new(
        basalt_common::types::error::codes::DATATYPE_MISMATCH,
        format!(
            "{what} received a value of type {}",
            v.data_type().map(|t| t.format_type()).unwrap_or_default()
        ),
    )
}

fn to_numeric(v: &Value) -> Option<Numeric> {
    Some(match v {
        Value::Int2(x) => Numeric::from_i64(i64::from(*x)),
        Value::Int4(x) => Numeric::from_i64(i64::from(*x)),
        Value::Int8(x) => Numeric::from_i64(*x),
        Value::Numeric(n) => n.clone(),
        _ => return None,
    })
}

/// [`AggFunc::Grouping`] and [`AggFunc::User`]: the executor fills in their values.
struct GroupingAcc;

impl Accumulator for GroupingAcc {
    fn update(&mut self, _args: &[Value]) -> TypeResult<()> {
        Ok(())
    }
    fn finish(&self) -> TypeResult<Value> {
        Ok(Value::Null)
    }
}

struct CountAcc {
    star: bool,
    n: i64,
}

impl Accumulator for CountAcc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        if self.star || !first(args).is_null() {
            self.n += 1;
        }
        Ok(())
    }
    fn finish(&self) -> TypeResult<Value> {
        Ok(Value::Int8(self.n))
    }
}

struct SumIntAcc(Option<i64>);

impl Accumulator for SumIntAcc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        let v = match first(args) {
            Value::Null => return Ok(()),
            Value::Int2(x) => i64::from(*x),
            Value::Int4(x) => i64::from(*x),
            Value::Int8(x) => *x,
            other => return Err(unexpected("sum", other)),
        };
        self.0 = Some(
            self.0
                .unwrap_or(0)
                .checked_add(v)
                .ok_or_else(|| TypeError::out_of_range("bigint out of range"))?,
        );
        Ok(())
    }
    fn finish(&self) -> TypeResult<Value> {
        Ok(self.0.map_or(Value::Null, Value::Int8))
    }
}

struct SumNumericAcc(Option<Numeric>);

impl Accumulator for SumNumericAcc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        let v = first(args);
        if v.is_null() {
            return Ok(());
        }
        let n = to_numeric(v).ok_or_else(|| unexpected("sum", v))?;
        self.0 = Some(match &self.0 {
            None => n,
            Some(s) => s.add(&n)?,
        });
        Ok(())
    }
    fn finish(&self) -> TypeResult<Value> {
        Ok(self.0.clone().map_or(Value::Null, Value::Numeric))
    }
}

struct SumFloat4Acc(Option<f32>);

impl Accumulator for SumFloat4Acc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        match first(args) {
            Value::Null => {}
            Value::Float4(x) => {
                self.0 = Some(match self.0 {
                    None => *x,
                    Some(s) => float4_arith(ArithOp::Add, s, *x)?,
                });
            }
            other => return Err(unexpected("sum", other)),
        }
        Ok(())
    }
    fn finish(&self) -> TypeResult<Value> {
        Ok(self.0.map_or(Value::Null, Value::Float4))
    }
}

struct SumFloat8Acc(Option<f64>);

impl Accumulator for SumFloat8Acc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        match first(args) {
            Value::Null => {}
            Value::Float8(x) => {
                self.0 = Some(match self.0 {
                    None => *x,
                    Some(s) => float8_arith(ArithOp::Add, s, *x)?,
                });
            }
            other => return Err(unexpected("sum", other)),
        }
        Ok(())
    }
    fn finish(&self) -> TypeResult<Value> {
        Ok(self.0.map_or(Value::Null, Value::Float8))
    }
}

struct IntervalAcc {
    sum: Option<Interval>,
    n: i64,
    avg: bool,
}

/// PostgreSQL's `interval_div` (fractions of months cascade into days, of days into time).
fn interval_div(span: &Interval, factor: f64) -> Interval {
    const DAYS_PER_MONTH: f64 = 30.0;
    const SECS_PER_DAY: f64 = 86_400.0;
    let tsround = |j: f64| (j * 1e6).round_ties_even() / 1e6;
    let month_q = f64::from(span.months) / factor;
    let day_q = f64::from(span.days) / factor;
    let mut months = month_q as i32;
    let mut days = day_q as i32;
    let month_remainder_days = tsround((month_q - f64::from(months)) * DAYS_PER_MONTH);
    let mut sec_remainder = tsround(
        (day_q - f64::from(days) + month_remainder_days - f64::from(month_remainder_days as i32))
            * SECS_PER_DAY,
    );
    if sec_remainder.abs() >= SECS_PER_DAY {
        let whole = (sec_remainder / SECS_PER_DAY) as i32;
        days += whole;
        sec_remainder -= f64::from(whole) * SECS_PER_DAY;
    }
    days += month_remainder_days as i32;
    let micros = (span.micros as f64 / factor + sec_remainder * 1e6).round_ties_even() as i64;
    months = months.clamp(i32::MIN, i32::MAX);
    Interval::new(months, days, micros)
}

impl Accumulator for IntervalAcc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        match first(args) {
            Value::Null => {}
            Value::Interval(x) => {
                self.sum = Some(match &self.sum {
                    None => *x,
                    Some(s) => interval_add(s, x, false)?,
                });
                self.n += 1;
            }
            other => return Err(unexpected("sum", other)),
        }
        Ok(())
    }
    fn finish(&self) -> TypeResult<Value> {
        Ok(match (&self.sum, self.avg) {
            (None, _) => Value::Null,
            (Some(s), false) => Value::Interval(*s),
            (Some(s), true) => Value::Interval(interval_div(s, self.n as f64)),
        })
    }
}

/// Exact sums for `avg` and the numeric statistics.
struct NumericStatAcc {
    kind: Option<StatKind>,
    n: i64,
    sum: Numeric,
    sum_sq: Numeric,
    /// NaN or infinite inputs: the statistics are NaN.
    special: bool,
}

impl NumericStatAcc {
    fn new(kind: Option<StatKind>) -> Self {
        NumericStatAcc {
            kind,
            n: 0,
            sum: Numeric::zero(),
            sum_sq: Numeric::zero(),
            special: false,
        }
    }
}

impl Accumulator for NumericStatAcc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        let v = first(args);
        if v.is_null() {
            return Ok(());
        }
        let x = to_numeric(v).ok_or_else(|| unexpected("avg", v))?;
        self.n += 1;
        self.sum = self.sum.add(&x)?;
        if self.kind.is_some() {
            if x.is_finite() {
                self.sum_sq = self.sum_sq.add(&x.mul(&x)?)?;
            } else {
                self.special = true;
            }
        }
        Ok(())
    }

    fn finish(&self) -> TypeResult<Value> {
        let Some(kind) = self.kind else {
            if self.n == 0 {
                return Ok(Value::Null);
            }
            return Ok(Value::Numeric(self.sum.div(&Numeric::from_i64(self.n))?));
        };
        let sample = matches!(kind, StatKind::VarSamp | StatKind::StddevSamp);
        if self.n == 0 || (sample && self.n <= 1) {
            return Ok(Value::Null);
        }
        if self.special || self.sum.is_nan() {
            return Ok(Value::Numeric(Numeric::NAN));
        }
        let n = Numeric::from_i64(self.n);
        let numerator = n.mul(&self.sum_sq)?.sub(&self.sum.mul(&self.sum)?)?;
        if numerator.is_zero() || numerator.is_negative() {
            return Ok(Value::Numeric(Numeric::zero()));
        }
        let denominator = if sample {
            n.mul(&Numeric::from_i64(self.n - 1))?
        } else {
            n.mul(&n)?
        };
        let variance = numerator.div(&denominator)?;
        Ok(Value::Numeric(match kind {
            StatKind::VarPop | StatKind::VarSamp => variance,
            _ => sqrt_to(&variance, i64::from(variance.scale()))?,
        }))
    }
}

/// PostgreSQL's `float8_accum` state (Youngs-Cramer): count, sum, sum of squared deviations.
struct FloatStatAcc {
    kind: Option<StatKind>,
    n: f64,
    sx: f64,
    sxx: f64,
}

impl FloatStatAcc {
    fn new(kind: Option<StatKind>) -> Self {
        FloatStatAcc {
            kind,
            n: 0.0,
            sx: 0.0,
            sxx: 0.0,
        }
    }
}

impl Accumulator for FloatStatAcc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        let x = match first(args) {
            Value::Null => return Ok(()),
            Value::Float8(x) => *x,
            Value::Float4(x) => f64::from(*x),
            other => return Err(unexpected("avg", other)),
        };
        let old_n = self.n;
        let old_sx = self.sx;
        self.n += 1.0;
        self.sx += x;
        if old_n > 0.0 {
            let tmp = x * self.n - self.sx;
            self.sxx += tmp * tmp / (self.n * old_n);
            if self.sx.is_infinite() || self.sxx.is_infinite() {
                if !old_sx.is_infinite() && !x.is_infinite() {
                    return Err(TypeError::out_of_range("value out of range: overflow"));
                }
                self.sxx = f64::NAN;
            }
        } else if x.is_nan() || x.is_infinite() {
            self.sxx = f64::NAN;
        }
        Ok(())
    }

    fn finish(&self) -> TypeResult<Value> {
        if self.n == 0.0 {
            return Ok(Value::Null);
        }
        let Some(kind) = self.kind else {
            return Ok(Value::Float8(self.sx / self.n));
        };
        let sample = matches!(kind, StatKind::VarSamp | StatKind::StddevSamp);
        if sample && self.n <= 1.0 {
            return Ok(Value::Null);
        }
        let var = self.sxx / if sample { self.n - 1.0 } else { self.n };
        Ok(Value::Float8(match kind {
            StatKind::VarPop | StatKind::VarSamp => var,
            _ => var.sqrt(),
        }))
    }
}

struct MinMaxAcc {
    best: Option<Value>,
    max: bool,
}

impl Accumulator for MinMaxAcc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        let v = first(args);
        if v.is_null() {
            return Ok(());
        }
        // On ties the newer value wins, as in PostgreSQL's *_larger / *_smaller functions
        // (visible for equal numerics of different scales: max(1.5, 1.50) is 1.50).
        let better = match &self.best {
            None => true,
            Some(b) => {
                if self.max {
                    v >= b
                } else {
                    v <= b
                }
            }
        };
        if better {
            self.best = Some(v.clone());
        }
        Ok(())
    }
    fn finish(&self) -> TypeResult<Value> {
        Ok(self.best.clone().unwrap_or(Value::Null))
    }
}

struct BoolAcc {
    state: Option<bool>,
    and: bool,
}

impl Accumulator for BoolAcc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        match first(args) {
            Value::Null => {}
            Value::Bool(b) => {
                self.state = Some(match self.state {
                    None => *b,
                    Some(s) if self.and => s && *b,
                    Some(s) => s || *b,
                });
            }
            other => return Err(unexpected("bool_and", other)),
        }
        Ok(())
    }
    fn finish(&self) -> TypeResult<Value> {
        Ok(self.state.map_or(Value::Null, Value::Bool))
    }
}

struct BitAcc {
    /// The result so far and the input's type (as a sample value).
    state: Option<(i64, Value)>,
    op: BitOp,
}

impl Accumulator for BitAcc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        let v = first(args);
        let x = match v {
            Value::Null => return Ok(()),
            Value::Int2(x) => i64::from(*x),
            Value::Int4(x) => i64::from(*x),
            Value::Int8(x) => *x,
            other => return Err(unexpected("bit_and", other)),
        };
        self.state = Some(match &self.state {
            None => (x, v.clone()),
            Some((s, t)) => (
                match self.op {
                    BitOp::And => s & x,
                    BitOp::Or => s | x,
                    BitOp::Xor => s ^ x,
                },
                t.clone(),
            ),
        });
        Ok(())
    }
    fn finish(&self) -> TypeResult<Value> {
        // Bits of a narrower type stay within its range.
        Ok(match &self.state {
            None => Value::Null,
            Some((s, Value::Int2(_))) => Value::Int2(*s as i16),
            Some((s, Value::Int4(_))) => Value::Int4(*s as i32),
            Some((s, _)) => Value::Int8(*s),
        })
    }
}

struct StringAggAcc(Option<String>);

impl Accumulator for StringAggAcc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        let s = match first(args) {
            Value::Null => return Ok(()),
            Value::Text(s) | Value::Bpchar(s) => s,
            other => return Err(unexpected("string_agg", other)),
        };
        match &mut self.0 {
            None => self.0 = Some(s.clone()),
            Some(acc) => {
                if let Some(Value::Text(d) | Value::Bpchar(d)) = args.get(1) {
                    acc.push_str(d);
                }
                acc.push_str(s);
            }
        }
        Ok(())
    }
    fn finish(&self) -> TypeResult<Value> {
        Ok(self.0.clone().map_or(Value::Null, Value::Text))
    }
}

struct ByteaAggAcc(Option<Vec<u8>>);

impl Accumulator for ByteaAggAcc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        let b = match first(args) {
            Value::Null => return Ok(()),
            Value::Bytea(b) => b,
            other => return Err(unexpected("string_agg", other)),
        };
        match &mut self.0 {
            None => self.0 = Some(b.clone()),
            Some(acc) => {
                if let Some(Value::Bytea(d)) = args.get(1) {
                    acc.extend_from_slice(d);
                }
                acc.extend_from_slice(b);
            }
        }
        Ok(())
    }
    fn finish(&self) -> TypeResult<Value> {
        Ok(self.0.clone().map_or(Value::Null, Value::Bytea))
    }
}

struct ArrayAggAcc {
    element_type: DataType,
    elements: Option<Vec<Value>>,
}

impl Accumulator for ArrayAggAcc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        self.elements
            .get_or_insert_with(Vec::new)
            .push(first(args).clone());
        Ok(())
    }
    fn finish(&self) -> TypeResult<Value> {
        let Some(e) = &self.elements else {
            return Ok(Value::Null);
        };
        let DataType::Array(inner) = &self.element_type else {
            return Ok(Value::array(self.element_type.clone(), e.clone()));
        };
        // array_agg(anyarray): one more dimension over sub-arrays of one shape.
        let mut shape = None;
        for v in e {
            let a = match v {
                Value::Array(a) => a,
                _ => {
                    return Err(TypeError::new("22004", "cannot accumulate null arrays"));
                }
            };
            if a.dims.is_empty() {
                return Err(TypeError::new("2202E", "cannot accumulate empty arrays"));
            }
            match &shape {
                None => shape = Some(a.dims.clone()),
                Some(s) if *s != a.dims => {
                    return Err(TypeError::new(
                        "2202E",
                        "cannot accumulate arrays of different dimensionality",
                    ));
                }
                Some(_) => {}
            }
        }
        basalt_common::types::array::array_of_arrays((**inner).clone(), e.clone())
    }
}

struct JsonAggAcc {
    /// JSON text of each value (`json_agg`) — jsonb values are parsed at the end.
    items: Option<Vec<String>>,
    binary: bool,
}

fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    escape_json_string(&mut out, s);
    out
}

/// `to_json`'s rendering of a timestamp: ISO 8601 with `T` and a `+HH:MM` offset.
fn json_timestamp(text: &str, with_offset: bool) -> String {
    if text.contains("infinity") {
        return text.to_owned();
    }
    let mut s = text.replacen(' ', "T", 1);
    if with_offset {
        // The output ends in +HH, +HH:MM or +HH:MM:SS; XSD wants at least +HH:MM.
        if let Some(pos) = s.rfind(['+', '-'])
            && s[pos + 1..].len() == 2
            && pos > 10
        {
            s.push_str(":00");
        }
    }
    s
}

/// `to_json(value)` as text (PostgreSQL's `datum_to_json`).
pub(crate) fn to_json_text(v: &Value, ctx: &TypeContext) -> String {
    let out = |v: &Value| format_text(v, ctx).unwrap_or_default();
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => if *b { "true" } else { "false" }.into(),
        Value::Int2(_) | Value::Int4(_) | Value::Int8(_) => out(v),
        Value::Float4(x) if x.is_finite() => out(v),
        Value::Float8(x) if x.is_finite() => out(v),
        Value::Numeric(n) if n.is_finite() => out(v),
        Value::Float4(_) | Value::Float8(_) | Value::Numeric(_) => quoted(&out(v)),
        Value::Json(s) => s.clone(),
        Value::Jsonb(j) => j.to_text(),
        Value::Timestamp(_) => quoted(&json_timestamp(&out(v), false)),
        Value::Timestamptz(_) => quoted(&json_timestamp(&out(v), true)),
        Value::Array(a) => {
            let items: Vec<String> = a.elements.iter().map(|e| to_json_text(e, ctx)).collect();
            format!("[{}]", items.join(","))
        }
        Value::Record(r) => {
            let items: Vec<String> = r
                .names
                .iter()
                .zip(&r.fields)
                .map(|(n, f)| format!("{}:{}", quoted(n), to_json_text(f, ctx)))
                .collect();
            format!("{{{}}}", items.join(","))
        }
        _ => quoted(&out(v)),
    }
}

impl Accumulator for JsonAggAcc {
    fn update(&mut self, args: &[Value]) -> TypeResult<()> {
        let v = first(args);
        let mut text = to_json_text(v, &TypeContext::default());
        let items = self.items.get_or_insert_with(Vec::new);
        // PostgreSQL puts a line break before each later array or row.
        if !items.is_empty() && matches!(v, Value::Array(_) | Value::Record(_)) {
            text.insert_str(0, "\n ");
        }
        items.push(text);
        Ok(())
    }
    fn finish(&self) -> TypeResult<Value> {
        let Some(items) = &self.items else {
            return Ok(Value::Null);
        };
        if self.binary {
            let elems = items
                .iter()
                .map(|t| parse_jsonb(t))
                .collect::<TypeResult<Vec<Jsonb>>>()?;
            Ok(Value::Jsonb(Jsonb::Array(elems)))
        } else {
            Ok(Value::Json(format!("[{}]", items.join(", "))))
        }
    }
}
