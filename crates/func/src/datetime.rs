//! Date/time functions and operators, with PostgreSQL 15's names, types, results and errors.
//!
//! # Design
//!
//! Values are PostgreSQL's integers (see [`basalt_common::types::datetime`]): days since
//! 2000-01-01 for `date`, microseconds since 2000-01-01 for `timestamp[tz]`, microseconds
//! since midnight for `time`, and [`Interval`]'s months/days/microseconds. Calendar work goes
//! through a broken-down `Tm` (astronomical years: year 0 is 1 BC), as PostgreSQL's
//! `timestamp2tm`/`tm2timestamp` do; a `timestamptz` is broken down in the session time zone
//! (UTC or a fixed offset) and converted back with the same offset.
//!
//! `date_part` answers `float8` and `extract` answers `numeric` with PostgreSQL 15's scales
//! (`second` has scale 6, `milliseconds` scale 3, `epoch` scale 6 for timestamps and
//! intervals, integers elsewhere); both are computed from the same field values so they agree.
//!
//! Overload resolution (the `overload` module) follows PostgreSQL's `func_select_candidate`: exact
//! matches, then implicit casts, preferred types of each category, and untyped literals
//! (`unknown`) resolved to the string category when a candidate offers it, else to the one
//! category all candidates agree on. The JSON and set-returning modules use it too.
//!
//! # Invariants
//!
//! - No input panics: every out-of-range result is a [`TypeError`] with PostgreSQL's SQLSTATE
//!   and message (`22008 timestamp out of range`, `22023 unit "x" not recognized ...`).
//! - Infinite dates and timestamps pass through arithmetic unchanged, as in PostgreSQL.

use basalt_common::types::datetime::{
    DATE_INFINITY, DATE_NEG_INFINITY, END_DATE, END_TIMESTAMP, MIN_DATE, MIN_TIMESTAMP,
    TIMESTAMP_INFINITY, TIMESTAMP_NEG_INFINITY, TimeZone, USECS_PER_DAY, USECS_PER_SEC,
    civil_from_days, days_from_civil,
};
use basalt_common::types::error::codes;
use basalt_common::types::{DataType, Interval, Numeric, TypeError, TypeResult, Value};

use crate::{EvalContext, Func, Resolved};

const USECS_PER_HOUR: i64 = 3_600_000_000;
const USECS_PER_MINUTE: i64 = 60_000_000;
/// Julian day number of 2000-01-01 (PostgreSQL's `POSTGRES_EPOCH_JDATE`).
const POSTGRES_EPOCH_JDATE: i64 = 2_451_545;
/// 1970-01-01 00:00:00 in microseconds since 2000-01-01.
const UNIX_EPOCH_MICROS: i64 = -10_957 * USECS_PER_DAY;

/// Overload resolution shared by the date/time, JSON and set-returning modules: PostgreSQL's
/// `func_select_candidate` over a list of parameter-type candidates.
pub(crate) mod overload {
    use basalt_common::types::{CastContext, DataType, cast_context};

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Category {
        Bool,
        Numeric,
        String,
        DateTime,
        Timespan,
        User,
        Array,
        Unknown,
    }

    fn category(t: &DataType) -> Category {
        match t {
            DataType::Bool => Category::Bool,
            DataType::Int2
            | DataType::Int4
            | DataType::Int8
            | DataType::Float4
            | DataType::Float8
            | DataType::Numeric(_)
            | DataType::Oid
            | DataType::Reg(_) => Category::Numeric,
            DataType::Text | DataType::Varchar(_) | DataType::Bpchar(_) | DataType::Name => {
                Category::String
            }
            DataType::Date
            | DataType::Time(_)
            | DataType::TimeTz(_)
            | DataType::Timestamp(_)
            | DataType::Timestamptz(_) => Category::DateTime,
            DataType::Interval => Category::Timespan,
            DataType::Array(_) | DataType::Int2Vector | DataType::OidVector => Category::Array,
            DataType::Unknown => Category::Unknown,
            DataType::Bytea
            | DataType::Uuid
            | DataType::Json
            | DataType::Jsonb
            | DataType::JsonPath
            | DataType::Char
            | DataType::Record(_)
            | DataType::Enum(_)
            | DataType::Pseudo(_) => Category::User,
        }
    }

    fn is_preferred(t: &DataType) -> bool {
        matches!(
            t,
            DataType::Bool
                | DataType::Float8
                | DataType::Text
                | DataType::Timestamptz(_)
                | DataType::Interval
        )
    }

    /// Whether `from` converts to `to` implicitly (or is the same type).
    pub(crate) fn coercible(from: &DataType, to: &DataType) -> bool {
        *from == DataType::Unknown
            || from.same_base(to)
            || cast_context(from, to) == Some(CastContext::Implicit)
    }

    /// The index of the candidate PostgreSQL would choose for arguments `args`, or `None`
    /// when none applies or the choice is ambiguous.
    pub(crate) fn select(args: &[DataType], cands: &[Vec<DataType>]) -> Option<usize> {
        let mut live: Vec<usize> = (0..cands.len())
            .filter(|&i| {
                cands[i].len() == args.len()
                    && args.iter().zip(&cands[i]).all(|(a, p)| coercible(a, p))
            })
            .collect();
        if live.len() <= 1 {
            return live.first().copied();
        }
        let known = |a: &DataType| *a != DataType::Unknown;
        // Exact matches on every argument.
        if let Some(&i) = live.iter().find(|&&i| {
            args.iter()
                .zip(&cands[i])
                .all(|(a, p)| known(a) && a.same_base(p))
        }) {
            return Some(i);
        }
        // Most exact matches.
        let keep_best = |live: &mut Vec<usize>, score: &dyn Fn(usize) -> usize| {
            let best = live.iter().map(|&i| score(i)).max().unwrap_or(0);
            live.retain(|&i| score(i) == best);
        };
        keep_best(&mut live, &|i| {
            args.iter()
                .zip(&cands[i])
                .filter(|(a, p)| known(a) && a.same_base(p))
                .count()
        });
        if live.len() == 1 {
            return live.first().copied();
        }
        // Exact or preferred-in-the-input's-category matches.
        keep_best(&mut live, &|i| {
            args.iter()
                .zip(&cands[i])
                .filter(|(a, p)| {
                    known(a) && (a.same_base(p) || (is_preferred(p) && category(a) == category(p)))
                })
                .count()
        });
        if live.len() == 1 {
            return live.first().copied();
        }
        if args.iter().all(known) {
            return None;
        }
        // Resolve unknown positions by category.
        let mut slots: Vec<Option<(Category, bool)>> = vec![None; args.len()];
        let mut resolved = true;
        for (pos, a) in args.iter().enumerate() {
            if known(a) {
                continue;
            }
            let mut slot: Option<(Category, bool)> = None;
            let mut conflict = false;
            for &i in &live {
                let p = &cands[i][pos];
                let (c, pref) = (category(p), is_preferred(p));
                match slot {
                    None => slot = Some((c, pref)),
                    Some((sc, sp)) if sc == c => slot = Some((sc, sp || pref)),
                    Some(_) if c == Category::String => slot = Some((c, pref)),
                    Some(_) => conflict = true,
                }
            }
            if conflict && slot.map(|s| s.0) != Some(Category::String) {
                resolved = false;
                break;
            }
            slots[pos] = slot;
        }
        if resolved {
            let kept: Vec<usize> = live
                .iter()
                .copied()
                .filter(|&i| {
                    args.iter().enumerate().all(|(pos, a)| {
                        if known(a) {
                            return true;
                        }
                        let p = &cands[i][pos];
                        match slots[pos] {
                            Some((c, pref)) => category(p) == c && (!pref || is_preferred(p)),
                            None => true,
                        }
                    })
                })
                .collect();
            if !kept.is_empty() {
                live = kept;
            }
            if live.len() == 1 {
                return live.first().copied();
            }
        }
        // Last gasp: unknowns take the one type of all known arguments.
        let mut known_types = args.iter().filter(|a| known(a));
        if let Some(first) = known_types.next()
            && known_types.all(|t| t.same_base(first))
        {
            let m: Vec<usize> = live
                .iter()
                .copied()
                .filter(|&i| cands[i].iter().all(|p| coercible(first, p)))
                .collect();
            if m.len() == 1 {
                return m.first().copied();
            }
        }
        None
    }

    /// Operator resolution: with exactly one untyped operand, first try the other operand's
    /// type for both (PostgreSQL's `binary_oper_exact`), then [`select`].
    pub(crate) fn select_operator(args: &[DataType], cands: &[Vec<DataType>]) -> Option<usize> {
        if let [l, r] = args {
            let other = match (l, r) {
                (DataType::Unknown, t) | (t, DataType::Unknown) if *t != DataType::Unknown => {
                    Some(t)
                }
                _ => None,
            };
            if let Some(t) = other
                && let Some(i) = cands
                    .iter()
                    .position(|c| c.len() == 2 && c[0].same_base(t) && c[1].same_base(t))
            {
                return Some(i);
            }
        }
        select(args, cands)
    }
}

/// The source type of a field extraction, truncation or `isfinite`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// `timestamp without time zone`.
    Timestamp,
    /// `timestamp with time zone`.
    Timestamptz,
    /// `date`.
    Date,
    /// `time without time zone`.
    Time,
    /// `time with time zone`.
    TimeTz,
    /// `interval`.
    Interval,
}

impl Source {
    fn type_name(self) -> &'static str {
        match self {
            Source::Timestamp => "timestamp without time zone",
            Source::Timestamptz => "timestamp with time zone",
            Source::Date => "date",
            Source::Time => "time without time zone",
            Source::TimeTz => "time with time zone",
            Source::Interval => "interval",
        }
    }

    fn data_type(self) -> DataType {
        match self {
            Source::Timestamp => DataType::Timestamp(None),
            Source::Timestamptz => DataType::Timestamptz(None),
            Source::Date => DataType::Date,
            Source::Time => DataType::Time(None),
            Source::TimeTz => DataType::TimeTz(None),
            Source::Interval => DataType::Interval,
        }
    }
}

/// A date/time function or operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateTimeFunc {
    /// A cast to `interval <fields>(p)`: [`basalt_common::types::interval::adjust_interval`]
    /// with the range's last field and the precision (255: none). Not callable by name.
    IntervalTypmod {
        /// The range's last field (0 year .. 5 second).
        last: u8,
        /// Fractional digits of the seconds, 255 for none.
        precision: u8,
    },
    /// `timezone(zone, timestamp[tz])`, `ts AT TIME ZONE zone`: a `timestamptz` shown as
    /// local time of the zone, or a `timestamp` read as local time of the zone. The zone is
    /// a name (`text`) or, with `interval`, an offset east of UTC.
    Timezone {
        /// The timestamp's type (`Timestamp` or `Timestamptz`).
        source: Source,
        /// The zone is an `interval`.
        interval: bool,
    },
    /// `date_bin(stride, source, origin)` for `timestamp` or `timestamptz`.
    DateBin,
    /// `now()`, `current_timestamp`, `transaction_timestamp()`.
    Now,
    /// `statement_timestamp()`.
    StatementTimestamp,
    /// `clock_timestamp()`.
    ClockTimestamp,
    /// `pg_sleep_for(interval)`: sleeps until the clock plus the interval (added as
    /// `timestamptz + interval` is, months and days in the session's time zone).
    PgSleepFor,
    /// `pg_sleep_until(timestamptz)`: sleeps until that time (`infinity`: until canceled).
    PgSleepUntil,
    /// `current_date`.
    CurrentDate,
    /// `localtimestamp`.
    LocalTimestamp,
    /// `localtime`.
    LocalTime,
    /// `current_time` (`timetz`).
    CurrentTime,
    /// `date_part(text, source)` → `float8`.
    DatePart(Source),
    /// `extract(field from source)` → `numeric`.
    Extract(Source),
    /// `date_trunc(text, source)` (timestamp, timestamptz or interval).
    DateTrunc(Source),
    /// `age(timestamp, timestamp)`.
    Age,
    /// `age(timestamp)`: from midnight of the current date.
    AgeFromToday,
    /// `age(timestamptz, timestamptz)`.
    AgeTz,
    /// `age(timestamptz)`.
    AgeTzFromToday,
    /// `make_date(int, int, int)`.
    MakeDate,
    /// `make_time(int, int, float8)`.
    MakeTime,
    /// `make_timestamp(int, int, int, int, int, float8)`.
    MakeTimestamp,
    /// `make_timestamptz(int, int, int, int, int, float8)` in the session time zone.
    MakeTimestamptz,
    /// `make_interval(years, months, weeks, days, hours, mins, secs)`, trailing ones optional.
    MakeInterval,
    /// `to_char(source, text)`.
    ToChar(Source),
    /// `to_number(text, text)`.
    ToNumber,
    /// `to_char(numeric|int|float, text)`.
    ToCharNumber,
    /// `to_date(text, text)`.
    ToDate,
    /// `to_timestamp(text, text)`.
    ToTimestamp,
    /// `to_timestamp(float8)`: Unix epoch seconds.
    ToTimestampEpoch,
    /// `justify_days(interval)`.
    JustifyDays,
    /// `justify_hours(interval)`.
    JustifyHours,
    /// `justify_interval(interval)`.
    JustifyInterval,
    /// `isfinite(source)`.
    IsFinite(Source),
    /// `date + int4`.
    DatePlusInt,
    /// `int4 + date`.
    IntPlusDate,
    /// `date - int4`.
    DateMinusInt,
    /// `date - date` → `int4`.
    DateMinusDate,
    /// `date + interval` → `timestamp`.
    DatePlusInterval,
    /// `interval + date` → `timestamp`.
    IntervalPlusDate,
    /// `date - interval` → `timestamp`.
    DateMinusInterval,
    /// `date + time` → `timestamp`.
    DatePlusTime,
    /// `time + date` → `timestamp`.
    TimePlusDate,
    /// `timestamp + interval`.
    TsPlusInterval,
    /// `interval + timestamp`.
    IntervalPlusTs,
    /// `timestamp - interval`.
    TsMinusInterval,
    /// `timestamptz + interval`.
    TstzPlusInterval,
    /// `interval + timestamptz`.
    IntervalPlusTstz,
    /// `timestamptz - interval`.
    TstzMinusInterval,
    /// `timestamp - timestamp` → `interval`.
    TsMinusTs,
    /// `timestamptz - timestamptz` → `interval`.
    TstzMinusTstz,
    /// `interval + interval`.
    IntervalPlusInterval,
    /// `interval - interval`.
    IntervalMinusInterval,
    /// `interval * float8`.
    IntervalMulFloat,
    /// `float8 * interval`.
    FloatMulInterval,
    /// `interval / float8`.
    IntervalDivFloat,
    /// `- interval`.
    IntervalNeg,
    /// `time + interval`.
    TimePlusInterval,
    /// `interval + time`.
    IntervalPlusTime,
    /// `time - interval`.
    TimeMinusInterval,
    /// `time - time` → `interval`.
    TimeMinusTime,
    /// `timetz + interval`, `interval + timetz` (the interval second when false).
    TimeTzPlusInterval(bool),
    /// `timetz - interval`.
    TimeTzMinusInterval,
    /// `date + timetz`, `timetz + date` (the date first when true) → `timestamptz`.
    DatePlusTimeTz(bool),
    /// `timestamptz(date, time)`: the date and time in the session time zone.
    TimestamptzOfDateTime,
    /// A date as a `timestamp` (`timestamptz` when true) for comparing with one: a date
    /// beyond the timestamp range compares above (below) every finite timestamp and below
    /// (above) infinity, as PostgreSQL's cross-type comparisons (never an error).
    DateForComparison(bool),
    /// A `timestamp` as a `timestamptz` for comparing with one, likewise out of range.
    TimestampForComparison,
    /// `(a, b) OVERLAPS (c, d)` over this kind of value; `b` / `d` are intervals from `a` /
    /// `c` when the flags are set.
    Overlaps(Source, bool, bool),
}

// ---------------------------------------------------------------------------------------
// Resolution.

struct Cand {
    params: Vec<DataType>,
    ret: DataType,
    func: DateTimeFunc,
    immutable: bool,
}

fn cand(params: Vec<DataType>, ret: DataType, func: DateTimeFunc, immutable: bool) -> Cand {
    Cand {
        params,
        ret,
        func,
        immutable,
    }
}

fn pick(args: &[DataType], cands: Vec<Cand>, operator: bool) -> Option<Resolved> {
    let params: Vec<Vec<DataType>> = cands.iter().map(|c| c.params.clone()).collect();
    let i = if operator {
        overload::select_operator(args, &params)?
    } else {
        overload::select(args, &params)?
    };
    let c = cands.into_iter().nth(i)?;
    Some(Resolved {
        func: Func::DateTime(c.func),
        arg_types: c.params,
        ret: c.ret,
        strict: true,
        immutable: c.immutable,
    })
}

fn ts() -> DataType {
    DataType::Timestamp(None)
}
fn tstz() -> DataType {
    DataType::Timestamptz(None)
}
fn time() -> DataType {
    DataType::Time(None)
}
fn numeric() -> DataType {
    DataType::Numeric(None)
}

const SOURCES: [Source; 6] = [
    Source::Timestamp,
    Source::Timestamptz,
    Source::Date,
    Source::Time,
    Source::TimeTz,
    Source::Interval,
];

/// Resolves a function call.
pub fn resolve_function(name: &str, args: &[DataType]) -> Option<Resolved> {
    use DataType as T;
    use DateTimeFunc as F;
    let nullary = |f: F, ret: DataType| {
        args.is_empty().then(|| Resolved {
            func: Func::DateTime(f),
            arg_types: Vec::new(),
            ret,
            strict: true,
            immutable: false,
        })
    };
    let stable_tz = |s: Source| s != Source::Timestamptz;
    let cands: Vec<Cand> = match name {
        "now" | "current_timestamp" | "transaction_timestamp" => return nullary(F::Now, tstz()),
        "statement_timestamp" => return nullary(F::StatementTimestamp, tstz()),
        "clock_timestamp" => return nullary(F::ClockTimestamp, tstz()),
        "pg_sleep_for" | "pg_sleep_until" if args.len() == 1 => {
            let (f, arg) = if name == "pg_sleep_for" {
                (F::PgSleepFor, T::Interval)
            } else {
                (F::PgSleepUntil, tstz())
            };
            let void = T::Pseudo(basalt_common::types::Pseudo::Void);
            vec![cand(vec![arg], void, f, false)]
        }
        "current_date" => return nullary(F::CurrentDate, T::Date),
        "localtimestamp" => return nullary(F::LocalTimestamp, ts()),
        "localtime" => return nullary(F::LocalTime, time()),
        "current_time" => return nullary(F::CurrentTime, T::TimeTz(None)),
        "date_part" => SOURCES
            .iter()
            .map(|&s| {
                // date_part(text, date) is a SQL function over the timestamp version.
                cand(
                    vec![T::Text, s.data_type()],
                    T::Float8,
                    F::DatePart(s),
                    stable_tz(s),
                )
            })
            .collect(),
        "extract" => SOURCES
            .iter()
            .map(|&s| {
                cand(
                    vec![T::Text, s.data_type()],
                    numeric(),
                    F::Extract(s),
                    stable_tz(s),
                )
            })
            .collect(),
        "date_bin" => vec![
            cand(vec![T::Interval, ts(), ts()], ts(), F::DateBin, true),
            cand(vec![T::Interval, tstz(), tstz()], tstz(), F::DateBin, true),
        ],
        "timezone" if args.len() == 2 => {
            let mut c = Vec::new();
            for interval in [false, true] {
                let zone = if interval { T::Interval } else { T::Text };
                c.push(cand(
                    vec![zone.clone(), tstz()],
                    ts(),
                    F::Timezone {
                        source: Source::Timestamptz,
                        interval,
                    },
                    true,
                ));
                c.push(cand(
                    vec![zone.clone(), ts()],
                    tstz(),
                    F::Timezone {
                        source: Source::Timestamp,
                        interval,
                    },
                    true,
                ));
                // The offset of a zone name is the one in force now: volatile.
                c.push(cand(
                    vec![zone, T::TimeTz(None)],
                    T::TimeTz(None),
                    F::Timezone {
                        source: Source::TimeTz,
                        interval,
                    },
                    interval,
                ));
            }
            c
        }
        "date_trunc" => {
            let mut c: Vec<Cand> = [Source::Timestamp, Source::Timestamptz, Source::Interval]
                .iter()
                .map(|&s| {
                    cand(
                        vec![T::Text, s.data_type()],
                        s.data_type(),
                        F::DateTrunc(s),
                        stable_tz(s),
                    )
                })
                .collect();
            c.push(cand(
                vec![T::Text, tstz(), T::Text],
                tstz(),
                F::DateTrunc(Source::Timestamptz),
                true,
            ));
            c
        }
        "age" => {
            if args == [T::Unknown] {
                // age(xid) makes this ambiguous in PostgreSQL.
                return None;
            }
            vec![
                cand(vec![ts(), ts()], T::Interval, F::Age, true),
                cand(vec![ts()], T::Interval, F::AgeFromToday, false),
                cand(vec![tstz(), tstz()], T::Interval, F::AgeTz, false),
                cand(vec![tstz()], T::Interval, F::AgeTzFromToday, false),
            ]
        }
        "timestamptz" => vec![
            cand(
                vec![T::Date, time()],
                tstz(),
                F::TimestamptzOfDateTime,
                false,
            ),
            cand(
                vec![T::Date, T::TimeTz(None)],
                tstz(),
                F::DatePlusTimeTz(true),
                true,
            ),
        ],
        "overlaps" => {
            if args.len() != 4 {
                return None;
            }
            let mut cands = Vec::new();
            for (s, t) in [
                (Source::Timestamptz, tstz()),
                (Source::Timestamp, ts()),
                (Source::Time, time()),
            ] {
                for (i1, i2) in [(false, false), (true, true), (false, true), (true, false)] {
                    let second = |i: bool| if i { T::Interval } else { t.clone() };
                    cands.push(cand(
                        vec![t.clone(), second(i1), t.clone(), second(i2)],
                        T::Bool,
                        F::Overlaps(s, i1, i2),
                        s != Source::Timestamptz || !(i1 || i2),
                    ));
                }
            }
            // NULL ends are meaningful: not strict.
            return pick(args, cands, false).map(|r| Resolved { strict: false, ..r });
        }
        "make_date" => vec![cand(vec![T::Int4; 3], T::Date, F::MakeDate, true)],
        "make_time" => vec![cand(
            vec![T::Int4, T::Int4, T::Float8],
            time(),
            F::MakeTime,
            true,
        )],
        "make_timestamp" | "make_timestamptz" => {
            let mut p = vec![T::Int4; 5];
            p.push(T::Float8);
            if name == "make_timestamp" {
                vec![cand(p, ts(), F::MakeTimestamp, true)]
            } else {
                let mut with_zone = p.clone();
                with_zone.push(T::Text);
                vec![
                    cand(p, tstz(), F::MakeTimestamptz, false),
                    cand(with_zone, tstz(), F::MakeTimestamptz, true),
                ]
            }
        }
        "make_interval" => {
            if args.len() > 7 {
                return None;
            }
            let mut p = vec![T::Int4; args.len().min(6)];
            if args.len() == 7 {
                p.push(T::Float8);
            }
            vec![cand(p, T::Interval, F::MakeInterval, true)]
        }
        "to_number" => vec![cand(vec![T::Text, T::Text], numeric(), F::ToNumber, false)],
        "to_char" => vec![
            cand(
                vec![ts(), T::Text],
                T::Text,
                F::ToChar(Source::Timestamp),
                false,
            ),
            cand(
                vec![tstz(), T::Text],
                T::Text,
                F::ToChar(Source::Timestamptz),
                false,
            ),
            cand(
                vec![T::Interval, T::Text],
                T::Text,
                F::ToChar(Source::Interval),
                false,
            ),
            cand(vec![numeric(), T::Text], T::Text, F::ToCharNumber, false),
            cand(vec![T::Int4, T::Text], T::Text, F::ToCharNumber, false),
            cand(vec![T::Int8, T::Text], T::Text, F::ToCharNumber, false),
            cand(vec![T::Float4, T::Text], T::Text, F::ToCharNumber, false),
            cand(vec![T::Float8, T::Text], T::Text, F::ToCharNumber, false),
        ],
        "to_date" => vec![cand(vec![T::Text, T::Text], T::Date, F::ToDate, false)],
        "to_timestamp" => vec![
            cand(vec![T::Text, T::Text], tstz(), F::ToTimestamp, false),
            cand(vec![T::Float8], tstz(), F::ToTimestampEpoch, true),
        ],
        "justify_days" => vec![cand(vec![T::Interval], T::Interval, F::JustifyDays, true)],
        "justify_hours" => vec![cand(vec![T::Interval], T::Interval, F::JustifyHours, true)],
        "justify_interval" => vec![cand(
            vec![T::Interval],
            T::Interval,
            F::JustifyInterval,
            true,
        )],
        "isfinite" => [
            Source::Date,
            Source::Timestamp,
            Source::Timestamptz,
            Source::Interval,
        ]
        .iter()
        .map(|&s| cand(vec![s.data_type()], T::Bool, F::IsFinite(s), true))
        .collect(),
        _ => return None,
    };
    pick(args, cands, false)
}

/// Resolves an operator.
pub fn resolve_operator(op: &str, left: Option<&DataType>, right: &DataType) -> Option<Resolved> {
    use DataType as T;
    use DateTimeFunc as F;
    let Some(left) = left else {
        if op == "-" {
            return pick(
                std::slice::from_ref(right),
                vec![cand(vec![T::Interval], T::Interval, F::IntervalNeg, true)],
                true,
            );
        }
        return None;
    };
    let cands = match op {
        "+" => vec![
            cand(vec![T::Date, T::Int4], T::Date, F::DatePlusInt, true),
            cand(vec![T::Int4, T::Date], T::Date, F::IntPlusDate, true),
            cand(vec![T::Date, T::Interval], ts(), F::DatePlusInterval, true),
            cand(vec![T::Interval, T::Date], ts(), F::IntervalPlusDate, true),
            cand(vec![T::Date, time()], ts(), F::DatePlusTime, true),
            cand(vec![time(), T::Date], ts(), F::TimePlusDate, true),
            cand(vec![ts(), T::Interval], ts(), F::TsPlusInterval, true),
            cand(vec![T::Interval, ts()], ts(), F::IntervalPlusTs, true),
            cand(
                vec![tstz(), T::Interval],
                tstz(),
                F::TstzPlusInterval,
                false,
            ),
            cand(
                vec![T::Interval, tstz()],
                tstz(),
                F::IntervalPlusTstz,
                false,
            ),
            cand(
                vec![T::Interval, T::Interval],
                T::Interval,
                F::IntervalPlusInterval,
                true,
            ),
            cand(vec![time(), T::Interval], time(), F::TimePlusInterval, true),
            cand(vec![T::Interval, time()], time(), F::IntervalPlusTime, true),
            cand(
                vec![T::TimeTz(None), T::Interval],
                T::TimeTz(None),
                F::TimeTzPlusInterval(false),
                true,
            ),
            cand(
                vec![T::Interval, T::TimeTz(None)],
                T::TimeTz(None),
                F::TimeTzPlusInterval(true),
                true,
            ),
            cand(
                vec![T::Date, T::TimeTz(None)],
                tstz(),
                F::DatePlusTimeTz(true),
                true,
            ),
            cand(
                vec![T::TimeTz(None), T::Date],
                tstz(),
                F::DatePlusTimeTz(false),
                true,
            ),
        ],
        "-" => vec![
            cand(vec![T::Date, T::Int4], T::Date, F::DateMinusInt, true),
            cand(vec![T::Date, T::Date], T::Int4, F::DateMinusDate, true),
            cand(vec![T::Date, T::Interval], ts(), F::DateMinusInterval, true),
            cand(vec![ts(), T::Interval], ts(), F::TsMinusInterval, true),
            cand(
                vec![tstz(), T::Interval],
                tstz(),
                F::TstzMinusInterval,
                false,
            ),
            cand(vec![ts(), ts()], T::Interval, F::TsMinusTs, true),
            cand(vec![tstz(), tstz()], T::Interval, F::TstzMinusTstz, true),
            cand(
                vec![T::Interval, T::Interval],
                T::Interval,
                F::IntervalMinusInterval,
                true,
            ),
            cand(
                vec![time(), T::Interval],
                time(),
                F::TimeMinusInterval,
                true,
            ),
            cand(vec![time(), time()], T::Interval, F::TimeMinusTime, true),
            cand(
                vec![T::TimeTz(None), T::Interval],
                T::TimeTz(None),
                F::TimeTzMinusInterval,
                true,
            ),
        ],
        "*" => vec![
            cand(
                vec![T::Interval, T::Float8],
                T::Interval,
                F::IntervalMulFloat,
                true,
            ),
            cand(
                vec![T::Float8, T::Interval],
                T::Interval,
                F::FloatMulInterval,
                true,
            ),
        ],
        "/" => vec![cand(
            vec![T::Interval, T::Float8],
            T::Interval,
            F::IntervalDivFloat,
            true,
        )],
        _ => return None,
    };
    // Arithmetic between two numbers belongs to the SQL layer (and the math module).
    let is_num = |t: &DataType| {
        matches!(
            t,
            T::Int2 | T::Int4 | T::Int8 | T::Float4 | T::Float8 | T::Numeric(_) | T::Unknown
        )
    };
    if is_num(left) && is_num(right) {
        return None;
    }
    pick(&[left.clone(), right.clone()], cands, true)
}

// ---------------------------------------------------------------------------------------
// Calling.

fn arg_i32(args: &[Value], i: usize) -> TypeResult<i32> {
    match args.get(i) {
        Some(Value::Int4(v)) => Ok(*v),
        Some(Value::Int2(v)) => Ok(i32::from(*v)),
        _ => Err(bad_args()),
    }
}

fn arg_f64(args: &[Value], i: usize) -> TypeResult<f64> {
    match args.get(i) {
        Some(Value::Float8(v)) => Ok(*v),
        Some(Value::Float4(v)) => Ok(f64::from(*v)),
        Some(Value::Int4(v)) => Ok(f64::from(*v)),
        _ => Err(bad_args()),
    }
}

fn arg_text(args: &[Value], i: usize) -> TypeResult<&str> {
    match args.get(i) {
        Some(Value::Text(s) | Value::Bpchar(s)) => Ok(s),
        _ => Err(bad_args()),
    }
}

fn arg_interval(args: &[Value], i: usize) -> TypeResult<Interval> {
    match args.get(i) {
        Some(Value::Interval(v)) => Ok(*v),
        _ => Err(bad_args()),
    }
}

fn arg_ts(args: &[Value], i: usize) -> TypeResult<i64> {
    match args.get(i) {
        Some(Value::Timestamp(v) | Value::Timestamptz(v) | Value::Time(v)) => Ok(*v),
        _ => Err(bad_args()),
    }
}

fn arg_date(args: &[Value], i: usize) -> TypeResult<i32> {
    match args.get(i) {
        Some(Value::Date(v)) => Ok(*v),
        _ => Err(bad_args()),
    }
}

fn bad_args() -> TypeError {
    TypeError::new("XX000", "wrong argument types for a date/time function")
}

fn ts_out_of_range() -> TypeError {
    TypeError::new(codes::DATETIME_FIELD_OVERFLOW, "timestamp out of range")
}

fn date_out_of_range() -> TypeError {
    TypeError::new(codes::DATETIME_FIELD_OVERFLOW, "date out of range")
}

fn interval_out_of_range() -> TypeError {
    TypeError::new(codes::DATETIME_FIELD_OVERFLOW, "interval out of range")
}

/// Calls a function.
pub fn call(f: DateTimeFunc, args: &[Value], ctx: &EvalContext) -> TypeResult<Value> {
    use DateTimeFunc as F;
    let tz = ctx.types.time_zone;
    if let F::Overlaps(kind, i1, i2) = f {
        // Not strict: NULL ends have a meaning.
        return overlaps(kind, i1, i2, args, &tz);
    }
    if args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    Ok(match f {
        F::IntervalTypmod { last, precision } => match args.first() {
            Some(Value::Interval(iv)) => {
                Value::Interval(basalt_common::types::interval::adjust_interval(
                    *iv,
                    last,
                    (precision != 255).then_some(precision),
                ))
            }
            _ => return Err(bad_args()),
        },
        F::Now => Value::Timestamptz(ctx.transaction_start),
        F::StatementTimestamp => Value::Timestamptz(ctx.statement_start()),
        F::ClockTimestamp => {
            // The statement's start is fixed first, so it is never after a clock reading.
            ctx.statement_start();
            Value::Timestamptz(clock_now())
        }
        // PostgreSQL's SQL bodies: pg_sleep(extract(epoch from clock_timestamp() + $1) -
        // extract(epoch from clock_timestamp())) and pg_sleep(extract(epoch from $1) -
        // extract(epoch from clock_timestamp())).
        F::PgSleepFor | F::PgSleepUntil => {
            let now = clock_now();
            let until = match f {
                F::PgSleepFor => ts_plus_interval(now, &arg_interval(args, 0)?, Some(&tz))?,
                _ => arg_ts(args, 0)?,
            };
            let secs = match until {
                TIMESTAMP_INFINITY => f64::INFINITY,
                TIMESTAMP_NEG_INFINITY => f64::NEG_INFINITY,
                t => (t - now) as f64 / 1e6,
            };
            crate::math::sleep_interruptibly(secs, ctx)?;
            // `void`: a non-null value shown empty, as pg_sleep's.
            Value::Text(String::new())
        }
        F::CurrentDate => {
            Value::Date(to_local(ctx.transaction_start, &tz).div_euclid(USECS_PER_DAY) as i32)
        }
        F::LocalTimestamp => Value::Timestamp(to_local(ctx.transaction_start, &tz)),
        F::LocalTime => Value::Time(to_local(ctx.transaction_start, &tz).rem_euclid(USECS_PER_DAY)),
        F::CurrentTime => Value::TimeTz(
            to_local(ctx.transaction_start, &tz).rem_euclid(USECS_PER_DAY),
            tz.offset_secs(ctx.transaction_start),
        ),
        F::DatePart(s) | F::Extract(s) => {
            let unit = arg_text(args, 0)?;
            let want_numeric = matches!(f, F::Extract(_));
            let part = match (s, args.get(1)) {
                (Source::Timestamp, Some(Value::Timestamp(v))) => {
                    timestamp_part(unit, *v, None, s)?
                }
                (Source::Timestamptz, Some(Value::Timestamptz(v))) => {
                    timestamp_part(unit, *v, Some(&tz), s)?
                }
                (Source::Date, Some(Value::Date(d))) if want_numeric => {
                    date_part_numeric(unit, *d)?
                }
                (Source::Date, Some(Value::Date(d))) => {
                    timestamp_part(unit, date_to_ts(*d)?, None, Source::Timestamp)?
                }
                (Source::Time, Some(Value::Time(t))) => time_part(unit, *t)?,
                (Source::TimeTz, Some(Value::TimeTz(t, east))) => timetz_part(unit, *t, *east)?,
                (Source::Interval, Some(Value::Interval(iv))) => interval_part(unit, iv)?,
                _ => return Err(bad_args()),
            };
            part.into_value(want_numeric)
        }
        F::DateBin => {
            let Some(Value::Interval(stride)) = args.first() else {
                return Err(bad_args());
            };
            let (source, origin, tz) = match (args.get(1), args.get(2)) {
                (Some(Value::Timestamp(s)), Some(Value::Timestamp(o))) => (*s, *o, false),
                (Some(Value::Timestamptz(s)), Some(Value::Timestamptz(o))) => (*s, *o, true),
                _ => return Err(bad_args()),
            };
            if stride.months != 0 {
                return Err(TypeError::new(
                    codes::FEATURE_NOT_SUPPORTED,
                    "timestamps cannot be binned into intervals containing months or years",
                ));
            }
            let step = i64::from(stride.days)
                .checked_mul(USECS_PER_DAY)
                .and_then(|d| d.checked_add(stride.micros))
                .ok_or_else(ts_out_of_range)?;
            if step <= 0 {
                return Err(TypeError::new(
                    codes::DATETIME_FIELD_OVERFLOW,
                    "stride must be greater than zero",
                ));
            }
            if is_infinite_ts(source) || is_infinite_ts(origin) {
                return Err(ts_out_of_range());
            }
            let diff = source.checked_sub(origin).ok_or_else(ts_out_of_range)?;
            // Truncate toward negative infinity, as PostgreSQL does.
            let mut tm_delta = diff - diff % step;
            if diff < 0 && diff % step != 0 {
                tm_delta -= step;
            }
            let v = origin.checked_add(tm_delta).ok_or_else(ts_out_of_range)?;
            if tz {
                Value::Timestamptz(v)
            } else {
                Value::Timestamp(v)
            }
        }
        F::Timezone { source, interval } => {
            let zone = if interval {
                let Some(Value::Interval(iv)) = args.first() else {
                    return Err(bad_args());
                };
                if iv.months != 0 || iv.days != 0 {
                    return Err(TypeError::new(
                        codes::INVALID_PARAMETER_VALUE,
                        format!(
                            "interval time zone \"{}\" must not include months or days",
                            basalt_common::types::interval::format_interval(iv)
                        ),
                    ));
                }
                TimeZone::Fixed(i32::try_from(iv.micros / USECS_PER_SEC).map_err(|_| bad_args())?)
            } else {
                zone_named(arg_text(args, 0)?)?
            };
            match (source, args.get(1)) {
                (Source::Timestamptz, Some(Value::Timestamptz(v))) => {
                    Value::Timestamp(to_local(*v, &zone))
                }
                // `timetz_zone`: the same instant of the day at the zone's offset (a zone
                // name's offset now); 24:00:00 wraps to 00:00:00.
                (Source::TimeTz, Some(Value::TimeTz(t, east))) => {
                    let to = match zone {
                        TimeZone::Named(_) => zone.offset_secs(ctx.transaction_start),
                        _ => zone.offset_secs(0),
                    };
                    let shifted =
                        i128::from(*t) + i128::from(to - east) * i128::from(USECS_PER_SEC);
                    let t = shifted.rem_euclid(i128::from(USECS_PER_DAY));
                    Value::TimeTz(i64::try_from(t).unwrap_or(0), to)
                }
                (Source::Timestamp, Some(Value::Timestamp(v))) => {
                    Value::Timestamptz(from_local(*v, &zone)?)
                }
                _ => return Err(bad_args()),
            }
        }
        F::DateTrunc(s) => {
            let unit = arg_text(args, 0)?;
            match (s, args.get(1)) {
                (Source::Timestamp, Some(Value::Timestamp(v))) => {
                    Value::Timestamp(timestamp_trunc(unit, *v, None)?)
                }
                (Source::Timestamptz, Some(Value::Timestamptz(v))) => {
                    // date_trunc(unit, timestamptz, zone) truncates in that zone.
                    let zone = match args.get(2) {
                        Some(_) => zone_named(arg_text(args, 2)?)?,
                        None => tz,
                    };
                    Value::Timestamptz(timestamp_trunc(unit, *v, Some(&zone))?)
                }
                (Source::Interval, Some(Value::Interval(iv))) => {
                    Value::Interval(interval_trunc(unit, iv)?)
                }
                _ => return Err(bad_args()),
            }
        }
        F::Age => Value::Interval(age(arg_ts(args, 0)?, arg_ts(args, 1)?, None)?),
        F::AgeFromToday => {
            let today =
                to_local(ctx.transaction_start, &tz).div_euclid(USECS_PER_DAY) * USECS_PER_DAY;
            Value::Interval(age(today, arg_ts(args, 0)?, None)?)
        }
        F::AgeTz => Value::Interval(age(arg_ts(args, 0)?, arg_ts(args, 1)?, Some(&tz))?),
        F::AgeTzFromToday => {
            let local_midnight =
                to_local(ctx.transaction_start, &tz).div_euclid(USECS_PER_DAY) * USECS_PER_DAY;
            let today = from_local(local_midnight, &tz)?;
            Value::Interval(age(today, arg_ts(args, 0)?, Some(&tz))?)
        }
        F::MakeDate => Value::Date(make_date(
            arg_i32(args, 0)?,
            arg_i32(args, 1)?,
            arg_i32(args, 2)?,
        )?),
        F::MakeTime => Value::Time(make_time(
            arg_i32(args, 0)?,
            arg_i32(args, 1)?,
            arg_f64(args, 2)?,
        )?),
        F::MakeTimestamp | F::MakeTimestamptz => {
            let d = make_date(arg_i32(args, 0)?, arg_i32(args, 1)?, arg_i32(args, 2)?)?;
            let t = make_time(arg_i32(args, 3)?, arg_i32(args, 4)?, arg_f64(args, 5)?)?;
            let local = i64::from(d)
                .checked_mul(USECS_PER_DAY)
                .and_then(|v| v.checked_add(t))
                .filter(|v| (MIN_TIMESTAMP..END_TIMESTAMP).contains(v))
                .ok_or_else(ts_out_of_range)?;
            if f == F::MakeTimestamp {
                Value::Timestamp(local)
            } else {
                let zone = match args.get(6) {
                    Some(_) => zone_named(arg_text(args, 6)?)?,
                    None => tz,
                };
                Value::Timestamptz(from_local(local, &zone)?)
            }
        }
        F::MakeInterval => Value::Interval(make_interval(args)?),
        F::ToChar(s) => {
            let fmt = arg_text(args, 1)?;
            if fmt.is_empty() {
                return Ok(Value::Null);
            }
            let out = match (s, args.first()) {
                (Source::Timestamp, Some(Value::Timestamp(v))) => {
                    if is_infinite_ts(*v) {
                        return Ok(Value::Null);
                    }
                    to_char_tm(&TmFull::from_local(*v, None), fmt, false)?
                }
                (Source::Timestamptz, Some(Value::Timestamptz(v))) => {
                    if is_infinite_ts(*v) {
                        return Ok(Value::Null);
                    }
                    let local = to_local(*v, &tz);
                    to_char_tm(&TmFull::from_local(local, Some((tz, *v))), fmt, false)?
                }
                (Source::Interval, Some(Value::Interval(iv))) => {
                    to_char_tm(&TmFull::from_interval(iv), fmt, true)?
                }
                _ => return Err(bad_args()),
            };
            Value::Text(out)
        }
        F::ToCharNumber => {
            let fmt = arg_text(args, 1)?;
            // PostgreSQL prints floats with printf (round half to even) and at most
            // DBL_DIG (15) or FLT_DIG (6) significant digits.
            let n = match args.first() {
                Some(Value::Numeric(n)) => NumIn::Numeric(n.clone()),
                Some(Value::Int4(v)) => NumIn::Numeric(Numeric::from_i64(i64::from(*v))),
                Some(Value::Int8(v)) => NumIn::Numeric(Numeric::from_i64(*v)),
                Some(Value::Int2(v)) => NumIn::Numeric(Numeric::from_i64(i64::from(*v))),
                Some(Value::Float8(v)) => NumIn::Float(*v, 15),
                Some(Value::Float4(v)) => NumIn::Float(f64::from(*v), 6),
                _ => return Err(bad_args()),
            };
            if fmt.is_empty() {
                return Ok(Value::Null);
            }
            let upper = fmt.to_ascii_uppercase();
            if upper.contains("EEEE") {
                // Integers and floats print with C's `%e`; numeric rounds its own digits.
                let src = match args.first() {
                    Some(Value::Numeric(n)) => SciIn::Numeric(n.clone()),
                    Some(Value::Int2(v)) => SciIn::Float(f64::from(*v)),
                    Some(Value::Int4(v)) => SciIn::Float(f64::from(*v)),
                    Some(Value::Int8(v)) => SciIn::Float(*v as f64),
                    Some(Value::Float4(v)) => SciIn::Float(f64::from(*v)),
                    Some(Value::Float8(v)) => SciIn::Float(*v),
                    _ => return Err(bad_args()),
                };
                return Ok(Value::Text(to_char_sci(&src, fmt)?));
            }
            if upper.contains("RN") {
                let v = match args.first() {
                    Some(Value::Numeric(n)) => {
                        if n.is_nan() || n.is_infinite() {
                            None
                        } else {
                            let r = n.round(0)?.to_i64_rounded();
                            match r.and_then(|r| i32::try_from(r).ok()) {
                                Some(r) => Some(i64::from(r)),
                                None => {
                                    return Err(TypeError::out_of_range("integer out of range"));
                                }
                            }
                        }
                    }
                    Some(Value::Int2(v)) => Some(i64::from(*v)),
                    Some(Value::Int4(v)) => Some(i64::from(*v)),
                    Some(Value::Int8(v)) => Some(*v),
                    Some(Value::Float4(v)) => Some(f64::from(*v).round_ties_even() as i64),
                    Some(Value::Float8(v)) => Some(v.round_ties_even() as i64),
                    _ => return Err(bad_args()),
                };
                return Ok(Value::Text(to_char_roman(v, fmt)));
            }
            Value::Text(to_char_number(&n, fmt)?)
        }
        F::ToNumber => Value::Numeric(to_number(arg_text(args, 0)?, arg_text(args, 1)?)?),
        F::ToDate => {
            let p = parse_formatted(arg_text(args, 0)?, arg_text(args, 1)?)?;
            Value::Date(p.to_date()?)
        }
        F::ToTimestamp => {
            let p = parse_formatted(arg_text(args, 0)?, arg_text(args, 1)?)?;
            let local = p.to_timestamp()?;
            let east = p.tz_east.unwrap_or_else(|| tz.offset_for_local(local));
            let utc = local
                .checked_sub(i64::from(east) * USECS_PER_SEC)
                .filter(|v| (MIN_TIMESTAMP..END_TIMESTAMP).contains(v))
                .ok_or_else(ts_out_of_range)?;
            Value::Timestamptz(utc)
        }
        F::ToTimestampEpoch => Value::Timestamptz(to_timestamp_epoch(arg_f64(args, 0)?)?),
        F::JustifyDays => Value::Interval(justify_days(arg_interval(args, 0)?)?),
        F::JustifyHours => Value::Interval(justify_hours(arg_interval(args, 0)?)?),
        F::JustifyInterval => Value::Interval(justify_interval(arg_interval(args, 0)?)?),
        F::IsFinite(_) => Value::Bool(match args.first() {
            Some(Value::Date(d)) => *d != DATE_INFINITY && *d != DATE_NEG_INFINITY,
            Some(Value::Timestamp(v) | Value::Timestamptz(v)) => !is_infinite_ts(*v),
            Some(Value::Interval(_)) => true,
            _ => return Err(bad_args()),
        }),
        F::DatePlusInt => Value::Date(date_add_days(arg_date(args, 0)?, arg_i32(args, 1)?)?),
        F::IntPlusDate => Value::Date(date_add_days(arg_date(args, 1)?, arg_i32(args, 0)?)?),
        F::DateMinusInt => {
            let n = arg_i32(args, 1)?;
            Value::Date(date_add_days(
                arg_date(args, 0)?,
                n.checked_neg().ok_or_else(date_out_of_range)?,
            )?)
        }
        F::DateMinusDate => {
            let (a, b) = (arg_date(args, 0)?, arg_date(args, 1)?);
            if is_infinite_date(a) || is_infinite_date(b) {
                return Err(TypeError::new(
                    codes::DATETIME_FIELD_OVERFLOW,
                    "cannot subtract infinite dates",
                ));
            }
            Value::Int4(a - b)
        }
        F::DatePlusInterval => Value::Timestamp(ts_plus_interval(
            date_to_ts(arg_date(args, 0)?)?,
            &arg_interval(args, 1)?,
            None,
        )?),
        F::IntervalPlusDate => Value::Timestamp(ts_plus_interval(
            date_to_ts(arg_date(args, 1)?)?,
            &arg_interval(args, 0)?,
            None,
        )?),
        F::DateMinusInterval => Value::Timestamp(ts_plus_interval(
            date_to_ts(arg_date(args, 0)?)?,
            &neg_interval(&arg_interval(args, 1)?),
            None,
        )?),
        F::DatePlusTime => Value::Timestamp(date_plus_time(arg_date(args, 0)?, arg_ts(args, 1)?)?),
        F::TimePlusDate => Value::Timestamp(date_plus_time(arg_date(args, 1)?, arg_ts(args, 0)?)?),
        F::TsPlusInterval => Value::Timestamp(ts_plus_interval(
            arg_ts(args, 0)?,
            &arg_interval(args, 1)?,
            None,
        )?),
        F::IntervalPlusTs => Value::Timestamp(ts_plus_interval(
            arg_ts(args, 1)?,
            &arg_interval(args, 0)?,
            None,
        )?),
        F::TsMinusInterval => Value::Timestamp(ts_plus_interval(
            arg_ts(args, 0)?,
            &neg_interval(&arg_interval(args, 1)?),
            None,
        )?),
        F::TstzPlusInterval => Value::Timestamptz(ts_plus_interval(
            arg_ts(args, 0)?,
            &arg_interval(args, 1)?,
            Some(&tz),
        )?),
        F::IntervalPlusTstz => Value::Timestamptz(ts_plus_interval(
            arg_ts(args, 1)?,
            &arg_interval(args, 0)?,
            Some(&tz),
        )?),
        F::TstzMinusInterval => Value::Timestamptz(ts_plus_interval(
            arg_ts(args, 0)?,
            &neg_interval(&arg_interval(args, 1)?),
            Some(&tz),
        )?),
        F::TsMinusTs | F::TstzMinusTstz => {
            let (a, b) = (arg_ts(args, 0)?, arg_ts(args, 1)?);
            if is_infinite_ts(a) || is_infinite_ts(b) {
                return Err(TypeError::new(
                    codes::DATETIME_FIELD_OVERFLOW,
                    "cannot subtract infinite timestamps",
                ));
            }
            let diff = a.checked_sub(b).ok_or_else(interval_out_of_range)?;
            Value::Interval(justify_hours(Interval::new(0, 0, diff))?)
        }
        F::IntervalPlusInterval | F::IntervalMinusInterval => {
            Value::Interval(basalt_common::types::arith::interval_add(
                &arg_interval(args, 0)?,
                &arg_interval(args, 1)?,
                f == F::IntervalMinusInterval,
            )?)
        }
        F::IntervalMulFloat => {
            Value::Interval(interval_mul(&arg_interval(args, 0)?, arg_f64(args, 1)?)?)
        }
        F::FloatMulInterval => {
            Value::Interval(interval_mul(&arg_interval(args, 1)?, arg_f64(args, 0)?)?)
        }
        F::IntervalDivFloat => {
            Value::Interval(interval_div(&arg_interval(args, 0)?, arg_f64(args, 1)?)?)
        }
        F::IntervalNeg => {
            let iv = arg_interval(args, 0)?;
            Value::Interval(Interval::new(
                iv.months.checked_neg().ok_or_else(interval_out_of_range)?,
                iv.days.checked_neg().ok_or_else(interval_out_of_range)?,
                iv.micros.checked_neg().ok_or_else(interval_out_of_range)?,
            ))
        }
        F::TimeTzPlusInterval(_) | F::TimeTzMinusInterval => {
            let (tt, iv) = match (f, args.first(), args.get(1)) {
                (F::TimeTzPlusInterval(true), Some(Value::Interval(iv)), Some(t)) => (t, iv),
                (_, Some(t), Some(Value::Interval(iv))) => (t, iv),
                _ => return Err(bad_args()),
            };
            let Value::TimeTz(t, east) = tt else {
                return Err(bad_args());
            };
            Value::TimeTz(
                time_plus_interval(*t, iv, f == F::TimeTzMinusInterval),
                *east,
            )
        }
        F::DateForComparison(tz_out) => {
            let d = arg_date(args, 0)?;
            let v = match d {
                DATE_INFINITY => TIMESTAMP_INFINITY,
                DATE_NEG_INFINITY => TIMESTAMP_NEG_INFINITY,
                _ => {
                    let local = i128::from(d) * i128::from(USECS_PER_DAY);
                    let v = if tz_out
                        && (i128::from(MIN_TIMESTAMP)..i128::from(END_TIMESTAMP)).contains(&local)
                    {
                        // (the zone may move it out of range: PostgreSQL's overflow too)
                        from_local(local as i64, &tz).map_or(local, i128::from)
                    } else {
                        local
                    };
                    if v >= i128::from(END_TIMESTAMP) {
                        TIMESTAMP_INFINITY - 1
                    } else if v < i128::from(MIN_TIMESTAMP) {
                        TIMESTAMP_NEG_INFINITY + 1
                    } else {
                        v as i64
                    }
                }
            };
            if tz_out {
                Value::Timestamptz(v)
            } else {
                Value::Timestamp(v)
            }
        }
        F::TimestampForComparison => {
            let v = arg_ts(args, 0)?;
            Value::Timestamptz(if is_infinite_ts(v) {
                v
            } else {
                match from_local(v, &tz) {
                    Ok(u) if (MIN_TIMESTAMP..END_TIMESTAMP).contains(&u) => u,
                    Ok(u) if u >= END_TIMESTAMP => TIMESTAMP_INFINITY - 1,
                    Ok(_) => TIMESTAMP_NEG_INFINITY + 1,
                    Err(_) if v < 0 => TIMESTAMP_NEG_INFINITY + 1,
                    Err(_) => TIMESTAMP_INFINITY - 1,
                }
            })
        }
        F::TimestamptzOfDateTime => {
            let local = date_plus_time(arg_date(args, 0)?, arg_ts(args, 1)?)?;
            Value::Timestamptz(from_local(local, &tz)?)
        }
        F::Overlaps(kind, i1, i2) => overlaps(kind, i1, i2, args, &tz)?,
        F::DatePlusTimeTz(date_first) => {
            let (d, tt) = if date_first {
                (args.first(), args.get(1))
            } else {
                (args.get(1), args.first())
            };
            let (Some(Value::Date(d)), Some(Value::TimeTz(t, east))) = (d, tt) else {
                return Err(bad_args());
            };
            Value::Timestamptz(date_plus_timetz(*d, *t, *east)?)
        }
        F::TimePlusInterval => Value::Time(time_plus_interval(
            arg_ts(args, 0)?,
            &arg_interval(args, 1)?,
            false,
        )),
        F::IntervalPlusTime => Value::Time(time_plus_interval(
            arg_ts(args, 1)?,
            &arg_interval(args, 0)?,
            false,
        )),
        F::TimeMinusInterval => Value::Time(time_plus_interval(
            arg_ts(args, 0)?,
            &arg_interval(args, 1)?,
            true,
        )),
        F::TimeMinusTime => {
            Value::Interval(Interval::new(0, 0, arg_ts(args, 0)? - arg_ts(args, 1)?))
        }
    })
}

pub(crate) fn clock_now() -> i64 {
    let since_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    since_unix.saturating_add(UNIX_EPOCH_MICROS)
}

// ---------------------------------------------------------------------------------------
// Calendar helpers.

/// PostgreSQL's `overlaps_timestamp` / `overlaps_time`: whether two periods overlap, each
/// given by its ends in either order (or a start and an interval), with SQL's rules for
/// NULL ends.
fn overlaps(kind: Source, i1: bool, i2: bool, args: &[Value], tz: &TimeZone) -> TypeResult<Value> {
    let point = |i: usize| -> TypeResult<Option<i64>> {
        match args.get(i) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => arg_ts(args, i).map(Some),
        }
    };
    let end = |start: Option<i64>, i: usize, interval: bool| -> TypeResult<Option<i64>> {
        if !interval {
            return point(i);
        }
        let (Some(s), Some(Value::Interval(iv))) = (start, args.get(i)) else {
            return Ok(None);
        };
        Ok(Some(match kind {
            Source::Time => time_plus_interval(s, iv, false),
            Source::Timestamptz => ts_plus_interval(s, iv, Some(tz))?,
            _ => ts_plus_interval(s, iv, None)?,
        }))
    };
    let (s1, s2) = (point(0)?, point(2)?);
    let (e1, e2) = (end(s1, 1, i1)?, end(s2, 3, i2)?);
    // A missing start takes the end's place; ends in the wrong order are swapped.
    let order = |s: Option<i64>, e: Option<i64>| match (s, e) {
        (None, None) => None,
        (None, Some(e)) => Some((e, None)),
        (Some(s), None) => Some((s, None)),
        (Some(s), Some(e)) => Some((s.min(e), Some(s.max(e)))),
    };
    let (Some((s1, e1)), Some((s2, e2))) = (order(s1, e1), order(s2, e2)) else {
        return Ok(Value::Null);
    };
    let r = if s1 > s2 {
        match (e2, e1) {
            (None, _) => None,
            (Some(e2), _) if s1 < e2 => Some(true),
            (_, None) => None,
            _ => Some(false),
        }
    } else if s1 < s2 {
        match (e1, e2) {
            (None, _) => None,
            (Some(e1), _) if s2 < e1 => Some(true),
            (_, None) => None,
            _ => Some(false),
        }
    } else if e1.is_none() || e2.is_none() {
        None
    } else {
        Some(true)
    };
    Ok(r.map_or(Value::Null, Value::Bool))
}

fn is_infinite_ts(v: i64) -> bool {
    v == TIMESTAMP_INFINITY || v == TIMESTAMP_NEG_INFINITY
}

fn is_infinite_date(d: i32) -> bool {
    d == DATE_INFINITY || d == DATE_NEG_INFINITY
}

/// The zone of `AT TIME ZONE 'name'`: a time zone abbreviation, else a zone of the tz
/// database or a POSIX `TZ` string (PostgreSQL's `timestamptz_zone`).
fn zone_named(name: &str) -> TypeResult<TimeZone> {
    if let Some(east) = basalt_common::types::datetime::tz_abbrev(&name.to_lowercase()) {
        return Ok(TimeZone::Fixed(east));
    }
    TimeZone::from_name(name).ok_or_else(|| {
        TypeError::new(
            codes::INVALID_PARAMETER_VALUE,
            format!("time zone \"{name}\" not recognized"),
        )
    })
}

/// UTC microseconds to local wall-clock microseconds (infinities kept).
fn to_local(utc: i64, tz: &TimeZone) -> i64 {
    if is_infinite_ts(utc) {
        return utc;
    }
    utc.saturating_add(i64::from(tz.offset_secs(utc)) * USECS_PER_SEC)
}

/// Local wall-clock microseconds to UTC, with the range check.
fn from_local(local: i64, tz: &TimeZone) -> TypeResult<i64> {
    if is_infinite_ts(local) {
        return Ok(local);
    }
    let utc = local
        .checked_sub(i64::from(tz.offset_for_local(local)) * USECS_PER_SEC)
        .ok_or_else(ts_out_of_range)?;
    if !(MIN_TIMESTAMP..END_TIMESTAMP).contains(&utc) {
        return Err(ts_out_of_range());
    }
    Ok(utc)
}

fn is_leap(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// PostgreSQL's `IS_VALID_JULIAN`.
fn valid_julian(y: i64, m: i64) -> bool {
    (y > -4713 || (y == -4713 && m >= 11)) && (y < 5_874_898 || (y == 5_874_898 && m < 6))
}

/// Julian day number (`date2j`).
fn date2j(y: i64, m: i64, d: i64) -> i64 {
    // The usual Gregorian day-count formula, linear in the day (so out-of-range days and
    // the months of an interval still give a number, as in PostgreSQL).
    let (y, m) = if m > 2 {
        (y + 4800, m + 1)
    } else {
        (y + 4799, m + 13)
    };
    let century = y.div_euclid(100);
    y * 365 - 32167 + y.div_euclid(4) - century + century.div_euclid(4) + 7834 * m / 256 + d
}

/// Day of week of a Julian day, 0 = Sunday (`j2day`).
fn j2day(j: i64) -> i64 {
    (j + 1).rem_euclid(7)
}

/// ISO 8601 week number (`date2isoweek`).
fn iso_week(y: i64, m: i64, d: i64) -> i64 {
    let dayn = date2j(y, m, d);
    let mut day4 = date2j(y, 1, 4);
    let mut day0 = j2day(day4 - 1);
    if dayn < day4 - day0 {
        day4 = date2j(y - 1, 1, 4);
        day0 = j2day(day4 - 1);
    }
    let mut result = (dayn - (day4 - day0)).div_euclid(7) + 1;
    if result >= 52 {
        day4 = date2j(y + 1, 1, 4);
        day0 = j2day(day4 - 1);
        if dayn >= day4 - day0 {
            result = (dayn - (day4 - day0)).div_euclid(7) + 1;
        }
    }
    result
}

/// ISO 8601 week-numbering year (`date2isoyear`).
fn iso_year(y: i64, m: i64, d: i64) -> i64 {
    let dayn = date2j(y, m, d);
    let mut year = y;
    let mut day4 = date2j(y, 1, 4);
    let mut day0 = j2day(day4 - 1);
    if dayn < day4 - day0 {
        day4 = date2j(y - 1, 1, 4);
        day0 = j2day(day4 - 1);
        year -= 1;
    }
    let result = (dayn - (day4 - day0)).div_euclid(7) + 1;
    if result >= 52 {
        day4 = date2j(y + 1, 1, 4);
        day0 = j2day(day4 - 1);
        if dayn >= day4 - day0 {
            year += 1;
        }
    }
    year
}

/// Julian day of the Monday of ISO week `week` of ISO year `year` (`isoweek2j`).
fn isoweek2j(year: i64, week: i64) -> i64 {
    let day4 = date2j(year, 1, 4);
    let day0 = j2day(day4 - 1);
    (week - 1) * 7 + (day4 - day0)
}

/// Broken-down time: astronomical year, month 1..12, day, hour, minute, second, microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tm {
    year: i64,
    mon: i64,
    mday: i64,
    hour: i64,
    min: i64,
    sec: i64,
    fsec: i64,
}

impl Tm {
    /// `timestamp2tm` of local microseconds.
    fn from_local(local: i64) -> Tm {
        let days = local.div_euclid(USECS_PER_DAY);
        let t = local.rem_euclid(USECS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        Tm {
            year: y,
            mon: i64::from(m),
            mday: i64::from(d),
            hour: t / USECS_PER_HOUR,
            min: t / USECS_PER_MINUTE % 60,
            sec: t / USECS_PER_SEC % 60,
            fsec: t % USECS_PER_SEC,
        }
    }

    fn time_micros(&self) -> i64 {
        ((self.hour * 60 + self.min) * 60 + self.sec) * USECS_PER_SEC + self.fsec
    }

    /// `tm2timestamp` with the range check ("timestamp out of range").
    fn to_local(self) -> TypeResult<i64> {
        if !valid_julian(self.year, self.mon) {
            return Err(ts_out_of_range());
        }
        let days = date2j(self.year, self.mon, self.mday) - POSTGRES_EPOCH_JDATE;
        let v = days
            .checked_mul(USECS_PER_DAY)
            .and_then(|v| v.checked_add(self.time_micros()))
            .ok_or_else(ts_out_of_range)?;
        if !(MIN_TIMESTAMP..END_TIMESTAMP).contains(&v) {
            return Err(ts_out_of_range());
        }
        Ok(v)
    }

    fn julian(&self) -> i64 {
        date2j(self.year, self.mon, self.mday)
    }
}

fn date_to_ts(d: i32) -> TypeResult<i64> {
    match d {
        DATE_INFINITY => Ok(TIMESTAMP_INFINITY),
        DATE_NEG_INFINITY => Ok(TIMESTAMP_NEG_INFINITY),
        _ => {
            let v = i64::from(d) * USECS_PER_DAY;
            if !(MIN_TIMESTAMP..END_TIMESTAMP).contains(&v) {
                return Err(TypeError::new(
                    codes::DATETIME_FIELD_OVERFLOW,
                    "date out of range for timestamp",
                ));
            }
            Ok(v)
        }
    }
}

fn date_add_days(d: i32, n: i32) -> TypeResult<i32> {
    if is_infinite_date(d) {
        return Ok(d);
    }
    let r = d.checked_add(n).ok_or_else(date_out_of_range)?;
    if !(MIN_DATE..END_DATE).contains(&r) {
        return Err(date_out_of_range());
    }
    Ok(r)
}

fn date_plus_time(d: i32, t: i64) -> TypeResult<i64> {
    let base = date_to_ts(d)?;
    if is_infinite_ts(base) {
        return Ok(base);
    }
    let v = base.checked_add(t).ok_or_else(ts_out_of_range)?;
    if !(MIN_TIMESTAMP..END_TIMESTAMP).contains(&v) {
        return Err(ts_out_of_range());
    }
    Ok(v)
}

/// `datetimetz_timestamptz`: the date at that time of day in that zone.
fn date_plus_timetz(d: i32, t: i64, east: i32) -> TypeResult<i64> {
    match d {
        DATE_NEG_INFINITY => return Ok(TIMESTAMP_NEG_INFINITY),
        DATE_INFINITY => return Ok(TIMESTAMP_INFINITY),
        _ => {}
    }
    let out = || {
        TypeError::new(
            codes::DATETIME_FIELD_OVERFLOW,
            "date out of range for timestamp",
        )
    };
    if i64::from(d) >= END_TIMESTAMP / USECS_PER_DAY {
        return Err(out());
    }
    (i64::from(d) * USECS_PER_DAY)
        .checked_add(t)
        .and_then(|v| v.checked_sub(i64::from(east) * USECS_PER_SEC))
        .filter(|v| (MIN_TIMESTAMP..END_TIMESTAMP).contains(v))
        .ok_or_else(out)
}

fn neg_interval(iv: &Interval) -> Interval {
    Interval::new(
        iv.months.wrapping_neg(),
        iv.days.wrapping_neg(),
        iv.micros.wrapping_neg(),
    )
}

/// `timestamp[tz] + interval`: months, then days, on the (local) calendar, then the time.
fn ts_plus_interval(v: i64, iv: &Interval, tz: Option<&TimeZone>) -> TypeResult<i64> {
    if is_infinite_ts(v) {
        return Ok(v);
    }
    let mut local = match tz {
        Some(tz) => to_local(v, tz),
        None => v,
    };
    if iv.months != 0 {
        let mut tm = Tm::from_local(local);
        let mut mon = tm.mon + i64::from(iv.months);
        let mut year = tm.year;
        if mon > 12 {
            year += (mon - 1) / 12;
            mon = (mon - 1) % 12 + 1;
        } else if mon < 1 {
            year += mon / 12 - 1;
            mon = mon % 12 + 12;
        }
        tm.year = year;
        tm.mon = mon;
        tm.mday = tm.mday.min(days_in_month(year, mon));
        local = tm.to_local()?;
    }
    if iv.days != 0 {
        let mut tm = Tm::from_local(local);
        let j = tm.julian() + i64::from(iv.days);
        let (y, m, d) = civil_from_days(j - POSTGRES_EPOCH_JDATE);
        tm.year = y;
        tm.mon = i64::from(m);
        tm.mday = i64::from(d);
        local = tm.to_local()?;
    }
    let utc = match tz {
        Some(tz) => from_local(local, tz)?,
        None => local,
    };
    let r = utc.checked_add(iv.micros).ok_or_else(ts_out_of_range)?;
    if !(MIN_TIMESTAMP..END_TIMESTAMP).contains(&r) {
        return Err(ts_out_of_range());
    }
    Ok(r)
}

fn time_plus_interval(t: i64, iv: &Interval, subtract: bool) -> i64 {
    let span = if subtract {
        iv.micros.wrapping_neg()
    } else {
        iv.micros
    };
    t.wrapping_add(span).rem_euclid(USECS_PER_DAY)
}

/// `TSROUND`: rounds to microsecond precision to undo binary noise.
fn tsround(v: f64) -> f64 {
    (v * 1_000_000.0).round_ties_even() / 1_000_000.0
}

fn f64_to_i32(v: f64) -> TypeResult<i32> {
    if v.is_nan() || !(-2_147_483_648.0..2_147_483_648.0).contains(&v) {
        return Err(interval_out_of_range());
    }
    Ok(v as i32)
}

fn f64_to_i64(v: f64) -> TypeResult<i64> {
    if v.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&v) {
        return Err(interval_out_of_range());
    }
    Ok(v as i64)
}

/// `interval * float8`: whole months and days, fractions cascaded down (PostgreSQL's
/// `interval_mul`).
fn interval_mul(iv: &Interval, factor: f64) -> TypeResult<Interval> {
    let months = f64_to_i32(f64::from(iv.months) * factor)?;
    let mut days = f64_to_i32(f64::from(iv.days) * factor)?;
    let month_rem_days = tsround((f64::from(iv.months) * factor - f64::from(months)) * 30.0);
    let mut sec_rem = tsround(
        (f64::from(iv.days) * factor - f64::from(days) + month_rem_days
            - f64::from(month_rem_days as i32))
            * 86_400.0,
    );
    if sec_rem.abs() >= 86_400.0 {
        let whole = (sec_rem / 86_400.0) as i32;
        days = days.checked_add(whole).ok_or_else(interval_out_of_range)?;
        sec_rem -= f64::from(whole) * 86_400.0;
    }
    days = days
        .checked_add(month_rem_days as i32)
        .ok_or_else(interval_out_of_range)?;
    let micros = f64_to_i64((iv.micros as f64 * factor + sec_rem * 1_000_000.0).round_ties_even())?;
    Ok(Interval::new(months, days, micros))
}

/// `interval / float8` (PostgreSQL's `interval_div`).
fn interval_div(iv: &Interval, factor: f64) -> TypeResult<Interval> {
    if factor == 0.0 {
        return Err(TypeError::division_by_zero());
    }
    let months = f64_to_i32(f64::from(iv.months) / factor)?;
    let mut days = f64_to_i32(f64::from(iv.days) / factor)?;
    let month_rem_days = tsround((f64::from(iv.months) / factor - f64::from(months)) * 30.0);
    let mut sec_rem = tsround(
        (f64::from(iv.days) / factor - f64::from(days) + month_rem_days
            - f64::from(month_rem_days as i32))
            * 86_400.0,
    );
    if sec_rem.abs() >= 86_400.0 {
        let whole = (sec_rem / 86_400.0) as i32;
        days = days.checked_add(whole).ok_or_else(interval_out_of_range)?;
        sec_rem -= f64::from(whole) * 86_400.0;
    }
    days = days
        .checked_add(month_rem_days as i32)
        .ok_or_else(interval_out_of_range)?;
    let micros = f64_to_i64((iv.micros as f64 / factor + sec_rem * 1_000_000.0).round_ties_even())?;
    Ok(Interval::new(months, days, micros))
}

fn justify_days(iv: Interval) -> TypeResult<Interval> {
    let whole_months = iv.days / 30;
    let mut days = iv.days - whole_months * 30;
    let mut months = iv
        .months
        .checked_add(whole_months)
        .ok_or_else(interval_out_of_range)?;
    if months > 0 && days < 0 {
        days += 30;
        months -= 1;
    } else if months < 0 && days > 0 {
        days -= 30;
        months += 1;
    }
    Ok(Interval::new(months, days, iv.micros))
}

fn justify_hours(iv: Interval) -> TypeResult<Interval> {
    let whole_days = iv.micros / USECS_PER_DAY;
    let mut micros = iv.micros - whole_days * USECS_PER_DAY;
    let whole_days = i32::try_from(whole_days).map_err(|_| interval_out_of_range())?;
    let mut days = iv
        .days
        .checked_add(whole_days)
        .ok_or_else(interval_out_of_range)?;
    if days > 0 && micros < 0 {
        micros += USECS_PER_DAY;
        days -= 1;
    } else if days < 0 && micros > 0 {
        micros -= USECS_PER_DAY;
        days += 1;
    }
    Ok(Interval::new(iv.months, days, micros))
}

fn justify_interval(iv: Interval) -> TypeResult<Interval> {
    let whole_days = iv.micros / USECS_PER_DAY;
    let mut micros = iv.micros - whole_days * USECS_PER_DAY;
    let whole_days = i32::try_from(whole_days).map_err(|_| interval_out_of_range())?;
    let mut days = iv
        .days
        .checked_add(whole_days)
        .ok_or_else(interval_out_of_range)?;
    let whole_months = days / 30;
    days -= whole_months * 30;
    let mut months = iv
        .months
        .checked_add(whole_months)
        .ok_or_else(interval_out_of_range)?;
    if months > 0 && (days < 0 || (days == 0 && micros < 0)) {
        days += 30;
        months -= 1;
    } else if months < 0 && (days > 0 || (days == 0 && micros > 0)) {
        days -= 30;
        months += 1;
    }
    if days > 0 && micros < 0 {
        micros += USECS_PER_DAY;
        days -= 1;
    } else if days < 0 && micros > 0 {
        micros -= USECS_PER_DAY;
        days += 1;
    }
    Ok(Interval::new(months, days, micros))
}

/// `age`: field-wise difference with borrowing (PostgreSQL's `timestamp_age`).
fn age(a: i64, b: i64, tz: Option<&TimeZone>) -> TypeResult<Interval> {
    let (la, lb) = match tz {
        Some(tz) => (to_local(a, tz), to_local(b, tz)),
        None => (a, b),
    };
    let t1 = Tm::from_local(la);
    let t2 = Tm::from_local(lb);
    let mut fsec = t1.fsec - t2.fsec;
    let mut sec = t1.sec - t2.sec;
    let mut min = t1.min - t2.min;
    let mut hour = t1.hour - t2.hour;
    let mut mday = t1.mday - t2.mday;
    let mut mon = t1.mon - t2.mon;
    let mut year = t1.year - t2.year;
    let flip = a < b;
    if flip {
        fsec = -fsec;
        sec = -sec;
        min = -min;
        hour = -hour;
        mday = -mday;
        mon = -mon;
        year = -year;
    }
    while fsec < 0 {
        fsec += USECS_PER_SEC;
        sec -= 1;
    }
    while sec < 0 {
        sec += 60;
        min -= 1;
    }
    while min < 0 {
        min += 60;
        hour -= 1;
    }
    while hour < 0 {
        hour += 24;
        mday -= 1;
    }
    while mday < 0 {
        let base = if flip { &t1 } else { &t2 };
        mday += days_in_month(base.year, base.mon);
        mon -= 1;
    }
    while mon < 0 {
        mon += 12;
        year -= 1;
    }
    if flip {
        fsec = -fsec;
        sec = -sec;
        min = -min;
        hour = -hour;
        mday = -mday;
        mon = -mon;
        year = -year;
    }
    let months = year
        .checked_mul(12)
        .and_then(|v| v.checked_add(mon))
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(interval_out_of_range)?;
    let days = i32::try_from(mday).map_err(|_| interval_out_of_range())?;
    let micros = ((hour * 60 + min) * 60 + sec)
        .checked_mul(USECS_PER_SEC)
        .and_then(|v| v.checked_add(fsec))
        .ok_or_else(interval_out_of_range)?;
    Ok(Interval::new(months, days, micros))
}

fn make_date(y: i32, m: i32, d: i32) -> TypeResult<i32> {
    let err = || {
        TypeError::new(
            codes::DATETIME_FIELD_OVERFLOW,
            format!("date field value out of range: {y}-{m:02}-{d:02}"),
        )
    };
    if y == 0 {
        return Err(err());
    }
    // Negative years are BC: -1 is 1 BC, astronomical year 0.
    let year = if y < 0 {
        i64::from(y) + 1
    } else {
        i64::from(y)
    };
    let (mon, day) = (i64::from(m), i64::from(d));
    if !(1..=12).contains(&mon) || day < 1 || day > days_in_month(year, mon) {
        return Err(err());
    }
    if !valid_julian(year, mon) {
        return Err(TypeError::new(
            codes::DATETIME_FIELD_OVERFLOW,
            format!("date out of range: {y}-{m:02}-{d:02}"),
        ));
    }
    let days = days_from_civil(year, mon as u32, day as u32);
    if days < i64::from(MIN_DATE) || days >= i64::from(END_DATE) {
        return Err(TypeError::new(
            codes::DATETIME_FIELD_OVERFLOW,
            format!("date out of range: {y}-{m:02}-{d:02}"),
        ));
    }
    Ok(days as i32)
}

/// `%g` with 6 significant digits, as PostgreSQL prints seconds in `make_time` errors.
fn format_g(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let exp = v.abs().log10().floor() as i32;
    if !(-5..6).contains(&exp) {
        let s = format!("{v:.5e}");
        let (mant, e) = s.split_once('e').unwrap_or((s.as_str(), "0"));
        let mant = if mant.contains('.') {
            mant.trim_end_matches('0').trim_end_matches('.')
        } else {
            mant
        };
        let e: i32 = e.parse().unwrap_or(0);
        let sign = if e < 0 { '-' } else { '+' };
        return format!("{mant}e{sign}{:02}", e.abs());
    }
    let decimals = (5 - exp).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

fn make_time(h: i32, m: i32, sec: f64) -> TypeResult<i64> {
    let err = || {
        TypeError::new(
            codes::DATETIME_FIELD_OVERFLOW,
            format!(
                "time field value out of range: {h}:{m:02}:{:0>2}",
                format_g(sec)
            ),
        )
    };
    let micros = (sec * 1_000_000.0).round_ties_even();
    if !(0..=24).contains(&h) || !(0..60).contains(&m) || !(0.0..=60_000_000.0).contains(&micros) {
        return Err(err());
    }
    let t = (i64::from(h) * 60 + i64::from(m)) * USECS_PER_MINUTE + micros as i64;
    if t > USECS_PER_DAY || micros >= 60_000_000.0 && !(h == 23 && m == 59) {
        return Err(err());
    }
    Ok(t)
}

fn make_interval(args: &[Value]) -> TypeResult<Interval> {
    let get = |i: usize| -> TypeResult<i64> {
        if i < args.len() {
            Ok(i64::from(arg_i32(args, i)?))
        } else {
            Ok(0)
        }
    };
    let secs = if args.len() == 7 {
        arg_f64(args, 6)?
    } else {
        0.0
    };
    if secs.is_nan() || secs.is_infinite() {
        return Err(interval_out_of_range());
    }
    let months = get(0)?
        .checked_mul(12)
        .and_then(|v| v.checked_add(get(1).ok()?))
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(interval_out_of_range)?;
    let days = get(2)?
        .checked_mul(7)
        .and_then(|v| v.checked_add(get(3).ok()?))
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(interval_out_of_range)?;
    let sec_micros = f64_to_i64((secs * 1_000_000.0).round_ties_even())?;
    let micros = get(4)?
        .checked_mul(USECS_PER_HOUR)
        .and_then(|v| v.checked_add(get(5).ok()?.checked_mul(USECS_PER_MINUTE)?))
        .and_then(|v| v.checked_add(sec_micros))
        .ok_or_else(interval_out_of_range)?;
    Ok(Interval::new(months, days, micros))
}

fn to_timestamp_epoch(secs: f64) -> TypeResult<i64> {
    if secs.is_nan() {
        return Err(TypeError::new(
            codes::DATETIME_FIELD_OVERFLOW,
            "timestamp cannot be NaN",
        ));
    }
    if secs.is_infinite() {
        return Ok(if secs > 0.0 {
            TIMESTAMP_INFINITY
        } else {
            TIMESTAMP_NEG_INFINITY
        });
    }
    let err = || {
        TypeError::new(
            codes::DATETIME_FIELD_OVERFLOW,
            format!("timestamp out of range: \"{}\"", format_g(secs)),
        )
    };
    // Range check in seconds first, as PostgreSQL does, so the multiplication cannot overflow.
    let min_secs = (MIN_TIMESTAMP as f64 - UNIX_EPOCH_MICROS as f64) / 1e6;
    let end_secs = (END_TIMESTAMP as f64 - UNIX_EPOCH_MICROS as f64) / 1e6;
    if secs < min_secs || secs >= end_secs {
        return Err(err());
    }
    let micros = ((secs + UNIX_EPOCH_MICROS as f64 / 1e6) * 1_000_000.0).round_ties_even() as i64;
    if !(MIN_TIMESTAMP..END_TIMESTAMP).contains(&micros) {
        return Err(err());
    }
    Ok(micros)
}

// ---------------------------------------------------------------------------------------
// Field extraction.

/// A unit name as `date_part`, `extract` and `date_trunc` read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Micro,
    Milli,
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
    Decade,
    Century,
    Millennium,
    Julian,
    IsoYear,
    Dow,
    IsoDow,
    Doy,
    Tz,
    TzHour,
    TzMinute,
    Epoch,
    /// A reserved word other than `epoch` (`now`, `infinity`...): recognised, never
    /// supported.
    OtherReserved,
}

/// Looks a unit up as PostgreSQL's `DecodeUnits` then `DecodeSpecial` do (lower-cased,
/// compared on at most 10 characters).
fn decode_unit(lower: &str) -> Option<Unit> {
    let key: String = lower.chars().take(10).collect();
    Some(match key.as_str() {
        "microsecon" | "us" | "usec" | "usecs" | "usecond" | "useconds" => Unit::Micro,
        "millisecon" | "ms" | "msec" | "msecs" | "msecond" | "mseconds" => Unit::Milli,
        "s" | "sec" | "second" | "seconds" | "secs" => Unit::Second,
        "m" | "min" | "mins" | "minute" | "minutes" => Unit::Minute,
        "h" | "hour" | "hours" | "hr" | "hrs" => Unit::Hour,
        "d" | "day" | "days" => Unit::Day,
        "w" | "week" | "weeks" => Unit::Week,
        "mon" | "mons" | "month" | "months" => Unit::Month,
        "qtr" | "quarter" => Unit::Quarter,
        "y" | "year" | "years" | "yr" | "yrs" => Unit::Year,
        "dec" | "decade" | "decades" | "decs" => Unit::Decade,
        "c" | "cent" | "century" | "centuries" => Unit::Century,
        "mil" | "millennia" | "millennium" | "mils" => Unit::Millennium,
        "j" | "jd" | "julian" => Unit::Julian,
        "isoyear" => Unit::IsoYear,
        "dow" => Unit::Dow,
        "isodow" => Unit::IsoDow,
        "doy" => Unit::Doy,
        "timezone" => Unit::Tz,
        "timezone_h" => Unit::TzHour,
        "timezone_m" => Unit::TzMinute,
        "epoch" => Unit::Epoch,
        "infinity" | "-infinity" | "now" | "today" | "tomorrow" | "yesterday" | "allballs" => {
            Unit::OtherReserved
        }
        _ => return None,
    })
}

fn lookup_unit(units: &str, s: Source) -> TypeResult<(Unit, String)> {
    lookup_unit_in(units, s, true)
}

/// `date_trunc` only knows the interval units (`DecodeUnits`), not the special words
/// (`dow`, `epoch`, `julian`...), which it reports as not recognized.
fn lookup_trunc_unit(units: &str, s: Source) -> TypeResult<(Unit, String)> {
    lookup_unit_in(units, s, false)
}

fn lookup_unit_in(units: &str, s: Source, specials: bool) -> TypeResult<(Unit, String)> {
    let lower = units.to_lowercase();
    let special = |u: Unit| {
        matches!(
            u,
            Unit::Julian
                | Unit::IsoYear
                | Unit::Dow
                | Unit::IsoDow
                | Unit::Doy
                | Unit::Epoch
                | Unit::OtherReserved
        )
    };
    match decode_unit(&lower) {
        Some(u) if specials || !special(u) => Ok((u, lower)),
        _ => Err(TypeError::new(
            codes::INVALID_PARAMETER_VALUE,
            format!("unit \"{lower}\" not recognized for type {}", s.type_name()),
        )),
    }
}

fn unsupported(lower: &str, s: Source) -> TypeError {
    TypeError::new(
        codes::FEATURE_NOT_SUPPORTED,
        format!("unit \"{lower}\" not supported for type {}", s.type_name()),
    )
}

/// One extracted field: its `float8` and `numeric` forms, or NULL / ±infinity for infinite
/// inputs.
enum Part {
    Val(f64, Numeric),
    Null,
    Infinite(bool),
}

impl Part {
    fn int(v: i64) -> Part {
        Part::Val(v as f64, Numeric::from_i64(v))
    }

    /// `value / 10^scale` with that display scale, and the given float form.
    fn scaled(value: i64, scale: u32, float: f64) -> Part {
        Part::Val(float, Numeric::from_parts(i128::from(value), scale))
    }

    fn into_value(self, numeric: bool) -> Value {
        match (self, numeric) {
            (Part::Val(_, n), true) => Value::Numeric(n),
            (Part::Val(f, _), false) => Value::Float8(f),
            (Part::Null, _) => Value::Null,
            (Part::Infinite(neg), true) => Value::Numeric(if neg {
                Numeric::NEG_INFINITY
            } else {
                Numeric::INFINITY
            }),
            (Part::Infinite(neg), false) => Value::Float8(if neg {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }),
        }
    }
}

fn adjusted_year(year: i64) -> i64 {
    if year > 0 { year } else { year - 1 }
}

fn decade_of(year: i64) -> i64 {
    if year >= 0 {
        year / 10
    } else {
        -((8 - (year - 1)) / 10)
    }
}

fn century_of(year: i64) -> i64 {
    if year > 0 {
        (year + 99) / 100
    } else {
        -((99 - (year - 1)) / 100)
    }
}

fn millennium_of(year: i64) -> i64 {
    if year > 0 {
        (year + 999) / 1000
    } else {
        -((999 - (year - 1)) / 1000)
    }
}

/// Calendar fields common to timestamps and dates (integers).
fn calendar_field(u: Unit, tm: &Tm) -> Option<i64> {
    Some(match u {
        Unit::Day => tm.mday,
        Unit::Month => tm.mon,
        Unit::Quarter => (tm.mon - 1) / 3 + 1,
        Unit::Week => iso_week(tm.year, tm.mon, tm.mday),
        Unit::Year => adjusted_year(tm.year),
        Unit::Decade => decade_of(tm.year),
        Unit::Century => century_of(tm.year),
        Unit::Millennium => millennium_of(tm.year),
        Unit::IsoYear => {
            let y = iso_year(tm.year, tm.mon, tm.mday);
            if y <= 0 { y - 1 } else { y }
        }
        Unit::Dow => j2day(tm.julian()),
        Unit::IsoDow => {
            let d = j2day(tm.julian());
            if d == 0 { 7 } else { d }
        }
        Unit::Doy => tm.julian() - date2j(tm.year, 1, 1) + 1,
        _ => return None,
    })
}

fn infinite_part(u: Unit, lower: &str, neg: bool, s: Source) -> TypeResult<Part> {
    match u {
        Unit::Micro
        | Unit::Milli
        | Unit::Second
        | Unit::Minute
        | Unit::Hour
        | Unit::Day
        | Unit::Month
        | Unit::Quarter
        | Unit::Week
        | Unit::Dow
        | Unit::IsoDow
        | Unit::Doy
        | Unit::Tz
        | Unit::TzHour
        | Unit::TzMinute
            if s != Source::Date =>
        {
            Ok(Part::Null)
        }
        Unit::Day
        | Unit::Month
        | Unit::Quarter
        | Unit::Week
        | Unit::Dow
        | Unit::IsoDow
        | Unit::Doy => Ok(Part::Null),
        Unit::Year
        | Unit::Decade
        | Unit::Century
        | Unit::Millennium
        | Unit::Julian
        | Unit::IsoYear
        | Unit::Epoch => Ok(Part::Infinite(neg)),
        _ => Err(unsupported(lower, s)),
    }
}

/// `date_part`/`extract` of a timestamp (`tz` set for `timestamptz`).
fn timestamp_part(units: &str, v: i64, tz: Option<&TimeZone>, s: Source) -> TypeResult<Part> {
    let (u, lower) = lookup_unit(units, s)?;
    if is_infinite_ts(v) {
        return infinite_part(u, &lower, v == TIMESTAMP_NEG_INFINITY, s);
    }
    let east = tz.map(|z| z.offset_secs(v));
    let local = v.saturating_add(i64::from(east.unwrap_or(0)) * USECS_PER_SEC);
    let tm = Tm::from_local(local);
    let sec_micros = tm.sec * USECS_PER_SEC + tm.fsec;
    if let Some(i) = calendar_field(u, &tm) {
        return Ok(Part::int(i));
    }
    Ok(match u {
        Unit::Micro => Part::Val(
            tm.sec as f64 * 1_000_000.0 + tm.fsec as f64,
            Numeric::from_i64(sec_micros),
        ),
        Unit::Milli => Part::scaled(
            sec_micros,
            3,
            tm.sec as f64 * 1000.0 + tm.fsec as f64 / 1000.0,
        ),
        Unit::Second => Part::scaled(sec_micros, 6, tm.sec as f64 + tm.fsec as f64 / 1_000_000.0),
        Unit::Minute => Part::int(tm.min),
        Unit::Hour => Part::int(tm.hour),
        Unit::Julian => {
            let j = tm.julian();
            let t = tm.time_micros();
            let f = j as f64
                + (((tm.hour * 60 + tm.min) * 60 + tm.sec) as f64 + tm.fsec as f64 / 1_000_000.0)
                    / 86_400.0;
            let frac = Numeric::from_i64(t).div(&Numeric::from_i64(USECS_PER_DAY))?;
            Part::Val(f, Numeric::from_i64(j).add(&frac)?)
        }
        Unit::Epoch => {
            let e = v - UNIX_EPOCH_MICROS;
            Part::scaled(e, 6, e as f64 / 1_000_000.0)
        }
        Unit::Tz | Unit::TzHour | Unit::TzMinute => {
            let Some(east) = east else {
                return Err(unsupported(&lower, s));
            };
            let east = i64::from(east);
            Part::int(match u {
                Unit::Tz => east,
                Unit::TzHour => east / 3600,
                _ => (east / 60) % 60,
            })
        }
        _ => return Err(unsupported(&lower, s)),
    })
}

/// PostgreSQL 14+'s `extract(field from date)`, integer-valued.
fn date_part_numeric(units: &str, d: i32) -> TypeResult<Part> {
    let s = Source::Date;
    let (u, lower) = lookup_unit(units, s)?;
    if is_infinite_date(d) {
        return infinite_part(u, &lower, d == DATE_NEG_INFINITY, s);
    }
    let tm = Tm::from_local(i64::from(d) * USECS_PER_DAY);
    if let Some(i) = calendar_field(u, &tm) {
        return Ok(Part::int(i));
    }
    match u {
        Unit::Julian => Ok(Part::int(tm.julian())),
        Unit::Epoch => Ok(Part::int(
            (i64::from(d) + POSTGRES_EPOCH_JDATE - 2_440_588) * 86_400,
        )),
        _ => Err(unsupported(&lower, s)),
    }
}

fn time_part(units: &str, t: i64) -> TypeResult<Part> {
    let s = Source::Time;
    let (u, lower) = lookup_unit(units, s)?;
    let tm = Tm::from_local(t);
    // 24:00:00 breaks down as hour 24.
    let (hour, min, sec, fsec) = if t == USECS_PER_DAY {
        (24, 0, 0, 0)
    } else {
        (tm.hour, tm.min, tm.sec, tm.fsec)
    };
    let sec_micros = sec * USECS_PER_SEC + fsec;
    Ok(match u {
        Unit::Micro => Part::Val(
            sec as f64 * 1_000_000.0 + fsec as f64,
            Numeric::from_i64(sec_micros),
        ),
        Unit::Milli => Part::scaled(sec_micros, 3, sec as f64 * 1000.0 + fsec as f64 / 1000.0),
        Unit::Second => Part::scaled(sec_micros, 6, sec as f64 + fsec as f64 / 1_000_000.0),
        Unit::Minute => Part::int(min),
        Unit::Hour => Part::int(hour),
        Unit::Epoch => Part::scaled(t, 6, t as f64 / 1_000_000.0),
        _ => return Err(unsupported(&lower, s)),
    })
}

/// `extract` / `date_part` of a `timetz` (`timetz_part_common`): the time's fields, the
/// zone's (`timezone` is seconds east), and `epoch` counts from midnight UTC.
fn timetz_part(units: &str, t: i64, east: i32) -> TypeResult<Part> {
    let s = Source::TimeTz;
    let (u, lower) = lookup_unit(units, s)?;
    let east = i64::from(east);
    Ok(match u {
        Unit::Tz => Part::int(east),
        Unit::TzHour => Part::int(east / 3600),
        Unit::TzMinute => Part::int(east / 60 % 60),
        Unit::Epoch => {
            let v = t - east * USECS_PER_SEC;
            Part::scaled(v, 6, t as f64 / 1_000_000.0 - east as f64)
        }
        Unit::Micro | Unit::Milli | Unit::Second | Unit::Minute | Unit::Hour => {
            return time_part(units, t);
        }
        _ => return Err(unsupported(&lower, s)),
    })
}

/// An interval broken down as PostgreSQL's `interval2itm` does (C truncating division).
struct Itm {
    year: i64,
    mon: i64,
    mday: i64,
    hour: i64,
    min: i64,
    sec: i64,
    fsec: i64,
}

impl Itm {
    fn from(iv: &Interval) -> Itm {
        let mut t = iv.micros;
        let hour = t / USECS_PER_HOUR;
        t -= hour * USECS_PER_HOUR;
        let min = t / USECS_PER_MINUTE;
        t -= min * USECS_PER_MINUTE;
        let sec = t / USECS_PER_SEC;
        let fsec = t - sec * USECS_PER_SEC;
        Itm {
            year: i64::from(iv.months / 12),
            mon: i64::from(iv.months % 12),
            mday: i64::from(iv.days),
            hour,
            min,
            sec,
            fsec,
        }
    }

    fn to_interval(&self) -> TypeResult<Interval> {
        let months = self
            .year
            .checked_mul(12)
            .and_then(|v| v.checked_add(self.mon))
            .and_then(|v| i32::try_from(v).ok())
            .ok_or_else(interval_out_of_range)?;
        let days = i32::try_from(self.mday).map_err(|_| interval_out_of_range())?;
        let micros = self
            .hour
            .checked_mul(USECS_PER_HOUR)
            .and_then(|v| v.checked_add(self.min * USECS_PER_MINUTE))
            .and_then(|v| v.checked_add(self.sec * USECS_PER_SEC))
            .and_then(|v| v.checked_add(self.fsec))
            .ok_or_else(interval_out_of_range)?;
        Ok(Interval::new(months, days, micros))
    }
}

fn interval_part(units: &str, iv: &Interval) -> TypeResult<Part> {
    let s = Source::Interval;
    let (u, lower) = lookup_unit(units, s)?;
    let tm = Itm::from(iv);
    let sec_micros = tm.sec * USECS_PER_SEC + tm.fsec;
    Ok(match u {
        Unit::Micro => Part::Val(
            tm.sec as f64 * 1_000_000.0 + tm.fsec as f64,
            Numeric::from_i64(sec_micros),
        ),
        Unit::Milli => Part::scaled(
            sec_micros,
            3,
            tm.sec as f64 * 1000.0 + tm.fsec as f64 / 1000.0,
        ),
        Unit::Second => Part::scaled(sec_micros, 6, tm.sec as f64 + tm.fsec as f64 / 1_000_000.0),
        Unit::Minute => Part::int(tm.min),
        Unit::Hour => Part::int(tm.hour),
        Unit::Day => Part::int(tm.mday),
        Unit::Month => Part::int(tm.mon),
        Unit::Quarter => Part::int(tm.mon / 3 + 1),
        Unit::Year => Part::int(tm.year),
        Unit::Decade => Part::int(tm.year / 10),
        Unit::Century => Part::int(tm.year / 100),
        Unit::Millennium => Part::int(tm.year / 1000),
        Unit::Epoch => {
            let months = i64::from(iv.months);
            // 365.25-day years and 30-day months, in integer arithmetic (times 4).
            let day_secs = (1461 * (months / 12) + 120 * (months % 12) + 4 * i64::from(iv.days))
                * (86_400 / 4);
            let total = i128::from(day_secs) * 1_000_000 + i128::from(iv.micros);
            let f = iv.micros as f64 / 1_000_000.0
                + 365.25 * 86_400.0 * (months / 12) as f64
                + 30.0 * 86_400.0 * (months % 12) as f64
                + 86_400.0 * f64::from(iv.days);
            Part::Val(f, Numeric::from_parts(total, 6))
        }
        _ => return Err(unsupported(&lower, s)),
    })
}

// ---------------------------------------------------------------------------------------
// Truncation.

fn timestamp_trunc(units: &str, v: i64, tz: Option<&TimeZone>) -> TypeResult<i64> {
    let s = if tz.is_some() {
        Source::Timestamptz
    } else {
        Source::Timestamp
    };
    let (u, lower) = lookup_trunc_unit(units, s)?;
    if is_infinite_ts(v) {
        return Ok(v);
    }
    let local = match tz {
        Some(z) => to_local(v, z),
        None => v,
    };
    let mut tm = Tm::from_local(local);
    use Unit as U;
    match u {
        U::Week => {
            let woy = iso_week(tm.year, tm.mon, tm.mday);
            let mut year = tm.year;
            if woy >= 52 && tm.mon == 1 {
                year -= 1;
            }
            if woy <= 1 && tm.mon == 12 {
                year += 1;
            }
            let j = isoweek2j(year, woy);
            let (y, m, d) = civil_from_days(j - POSTGRES_EPOCH_JDATE);
            tm = Tm {
                year: y,
                mon: i64::from(m),
                mday: i64::from(d),
                ..Tm::default()
            };
        }
        U::Millennium
        | U::Century
        | U::Decade
        | U::Year
        | U::Quarter
        | U::Month
        | U::Day
        | U::Hour
        | U::Minute
        | U::Second => {
            let rank = |x: Unit| match x {
                U::Millennium => 9,
                U::Century => 8,
                U::Decade => 7,
                U::Year => 6,
                U::Quarter => 5,
                U::Month => 4,
                U::Day => 3,
                U::Hour => 2,
                U::Minute => 1,
                _ => 0,
            };
            let r = rank(u);
            match u {
                U::Millennium => {
                    tm.year = if tm.year > 0 {
                        ((tm.year + 999) / 1000) * 1000 - 999
                    } else {
                        -((999 - (tm.year - 1)) / 1000) * 1000 + 1
                    };
                }
                U::Century => {
                    tm.year = if tm.year > 0 {
                        ((tm.year + 99) / 100) * 100 - 99
                    } else {
                        -((99 - (tm.year - 1)) / 100) * 100 + 1
                    };
                }
                U::Decade => {
                    tm.year = if tm.year > 0 {
                        (tm.year / 10) * 10
                    } else {
                        -((8 - (tm.year - 1)) / 10) * 10
                    };
                }
                _ => {}
            }
            if r >= 6 {
                tm.mon = 1;
            }
            if r >= 5 {
                tm.mon = 3 * ((tm.mon - 1) / 3) + 1;
            }
            if r >= 4 {
                tm.mday = 1;
            }
            if r >= 3 {
                tm.hour = 0;
            }
            if r >= 2 {
                tm.min = 0;
            }
            if r >= 1 {
                tm.sec = 0;
            }
            tm.fsec = 0;
        }
        U::Milli => tm.fsec = (tm.fsec / 1000) * 1000,
        U::Micro => {}
        _ => return Err(unsupported(&lower, s)),
    }
    let local = tm.to_local()?;
    match tz {
        Some(z) => from_local(local, z),
        None => Ok(local),
    }
}

fn interval_trunc(units: &str, iv: &Interval) -> TypeResult<Interval> {
    let s = Source::Interval;
    let (u, lower) = lookup_trunc_unit(units, s)?;
    let mut tm = Itm::from(iv);
    use Unit as U;
    let rank = match u {
        U::Millennium => 9,
        U::Century => 8,
        U::Decade => 7,
        U::Year => 6,
        U::Quarter => 5,
        U::Month => 4,
        U::Day => 3,
        U::Hour => 2,
        U::Minute => 1,
        U::Second => 0,
        U::Milli => {
            tm.fsec = (tm.fsec / 1000) * 1000;
            return tm.to_interval();
        }
        U::Micro => return tm.to_interval(),
        U::Week => {
            return Err(unsupported(&lower, s).with_detail("Months usually have fractional weeks."));
        }
        _ => return Err(unsupported(&lower, s)),
    };
    if rank >= 9 {
        tm.year = (tm.year / 1000) * 1000;
    }
    if rank >= 8 {
        tm.year = (tm.year / 100) * 100;
    }
    if rank >= 7 {
        tm.year = (tm.year / 10) * 10;
    }
    if rank >= 6 {
        tm.mon = 0;
    }
    if rank >= 5 {
        tm.mon = 3 * (tm.mon / 3);
    }
    if rank >= 4 {
        tm.mday = 0;
    }
    if rank >= 3 {
        tm.hour = 0;
    }
    if rank >= 2 {
        tm.min = 0;
    }
    if rank >= 1 {
        tm.sec = 0;
    }
    tm.fsec = 0;
    tm.to_interval()
}

// ---------------------------------------------------------------------------------------
// to_char / to_date / to_timestamp.

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const ROMAN: [&str; 12] = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
];

/// How a name is capitalised: `MONTH`, `Month`, `month`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Upper,
    Cap,
    Lower,
}

/// A date/time template pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pat {
    Era { dots: bool, upper: bool },
    Meridiem { dots: bool, upper: bool },
    Century,
    DayName(Case),
    DayAbbr(Case),
    Doy,
    Mday,
    Dow,
    Frac(u32),
    Fx,
    Hh24,
    Hh12,
    IsoDoy,
    IsoDow,
    IsoWeek,
    IsoYear(u32),
    Julian,
    Minute,
    MonthNum,
    MonthName(Case),
    MonthAbbr(Case),
    Millis,
    Offset,
    Quarter,
    Roman(bool),
    SecsOfDay,
    Second,
    TzHour,
    TzMinute,
    TzName(bool),
    Micros,
    WeekOfYear,
    WeekOfMonth,
    YearComma,
    Year(u32),
}

/// Template patterns; the longest match at a position wins.
const PATTERNS: &[(&str, Pat)] = &[
    (
        "A.D.",
        Pat::Era {
            dots: true,
            upper: true,
        },
    ),
    (
        "a.d.",
        Pat::Era {
            dots: true,
            upper: false,
        },
    ),
    (
        "B.C.",
        Pat::Era {
            dots: true,
            upper: true,
        },
    ),
    (
        "b.c.",
        Pat::Era {
            dots: true,
            upper: false,
        },
    ),
    (
        "AD",
        Pat::Era {
            dots: false,
            upper: true,
        },
    ),
    (
        "ad",
        Pat::Era {
            dots: false,
            upper: false,
        },
    ),
    (
        "BC",
        Pat::Era {
            dots: false,
            upper: true,
        },
    ),
    (
        "bc",
        Pat::Era {
            dots: false,
            upper: false,
        },
    ),
    (
        "A.M.",
        Pat::Meridiem {
            dots: true,
            upper: true,
        },
    ),
    (
        "a.m.",
        Pat::Meridiem {
            dots: true,
            upper: false,
        },
    ),
    (
        "P.M.",
        Pat::Meridiem {
            dots: true,
            upper: true,
        },
    ),
    (
        "p.m.",
        Pat::Meridiem {
            dots: true,
            upper: false,
        },
    ),
    (
        "AM",
        Pat::Meridiem {
            dots: false,
            upper: true,
        },
    ),
    (
        "am",
        Pat::Meridiem {
            dots: false,
            upper: false,
        },
    ),
    (
        "PM",
        Pat::Meridiem {
            dots: false,
            upper: true,
        },
    ),
    (
        "pm",
        Pat::Meridiem {
            dots: false,
            upper: false,
        },
    ),
    ("CC", Pat::Century),
    ("cc", Pat::Century),
    ("DAY", Pat::DayName(Case::Upper)),
    ("Day", Pat::DayName(Case::Cap)),
    ("day", Pat::DayName(Case::Lower)),
    ("DY", Pat::DayAbbr(Case::Upper)),
    ("Dy", Pat::DayAbbr(Case::Cap)),
    ("dy", Pat::DayAbbr(Case::Lower)),
    ("DDD", Pat::Doy),
    ("ddd", Pat::Doy),
    ("DD", Pat::Mday),
    ("dd", Pat::Mday),
    ("D", Pat::Dow),
    ("d", Pat::Dow),
    ("FF1", Pat::Frac(1)),
    ("FF2", Pat::Frac(2)),
    ("FF3", Pat::Frac(3)),
    ("FF4", Pat::Frac(4)),
    ("FF5", Pat::Frac(5)),
    ("FF6", Pat::Frac(6)),
    ("ff1", Pat::Frac(1)),
    ("ff2", Pat::Frac(2)),
    ("ff3", Pat::Frac(3)),
    ("ff4", Pat::Frac(4)),
    ("ff5", Pat::Frac(5)),
    ("ff6", Pat::Frac(6)),
    ("FX", Pat::Fx),
    ("fx", Pat::Fx),
    ("HH24", Pat::Hh24),
    ("hh24", Pat::Hh24),
    ("HH12", Pat::Hh12),
    ("hh12", Pat::Hh12),
    ("HH", Pat::Hh12),
    ("hh", Pat::Hh12),
    ("IDDD", Pat::IsoDoy),
    ("iddd", Pat::IsoDoy),
    ("ID", Pat::IsoDow),
    ("id", Pat::IsoDow),
    ("IW", Pat::IsoWeek),
    ("iw", Pat::IsoWeek),
    ("IYYY", Pat::IsoYear(4)),
    ("iyyy", Pat::IsoYear(4)),
    ("IYY", Pat::IsoYear(3)),
    ("iyy", Pat::IsoYear(3)),
    ("IY", Pat::IsoYear(2)),
    ("iy", Pat::IsoYear(2)),
    ("I", Pat::IsoYear(1)),
    ("i", Pat::IsoYear(1)),
    ("J", Pat::Julian),
    ("j", Pat::Julian),
    ("MI", Pat::Minute),
    ("mi", Pat::Minute),
    ("MM", Pat::MonthNum),
    ("mm", Pat::MonthNum),
    ("MONTH", Pat::MonthName(Case::Upper)),
    ("Month", Pat::MonthName(Case::Cap)),
    ("month", Pat::MonthName(Case::Lower)),
    ("MON", Pat::MonthAbbr(Case::Upper)),
    ("Mon", Pat::MonthAbbr(Case::Cap)),
    ("mon", Pat::MonthAbbr(Case::Lower)),
    ("MS", Pat::Millis),
    ("ms", Pat::Millis),
    ("OF", Pat::Offset),
    ("of", Pat::Offset),
    ("Q", Pat::Quarter),
    ("q", Pat::Quarter),
    ("RM", Pat::Roman(true)),
    ("rm", Pat::Roman(false)),
    ("SSSSS", Pat::SecsOfDay),
    ("sssss", Pat::SecsOfDay),
    ("SSSS", Pat::SecsOfDay),
    ("ssss", Pat::SecsOfDay),
    ("SS", Pat::Second),
    ("ss", Pat::Second),
    ("TZH", Pat::TzHour),
    ("tzh", Pat::TzHour),
    ("TZM", Pat::TzMinute),
    ("tzm", Pat::TzMinute),
    ("TZ", Pat::TzName(true)),
    ("tz", Pat::TzName(false)),
    ("US", Pat::Micros),
    ("us", Pat::Micros),
    ("WW", Pat::WeekOfYear),
    ("ww", Pat::WeekOfYear),
    ("W", Pat::WeekOfMonth),
    ("w", Pat::WeekOfMonth),
    ("Y,YYY", Pat::YearComma),
    ("y,yyy", Pat::YearComma),
    ("YYYY", Pat::Year(4)),
    ("yyyy", Pat::Year(4)),
    ("YYY", Pat::Year(3)),
    ("yyy", Pat::Year(3)),
    ("YY", Pat::Year(2)),
    ("yy", Pat::Year(2)),
    ("Y", Pat::Year(1)),
    ("y", Pat::Year(1)),
];

/// One parsed element of a date/time template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Lit(char),
    /// A quoted or escaped literal (copied, and skipped as-is when parsing).
    Quoted(String),
    Pat {
        pat: Pat,
        fm: bool,
        th: Option<bool>,
    },
}

fn parse_template(fmt: &str) -> Vec<Node> {
    let mut out = Vec::new();
    let mut rest = fmt;
    while !rest.is_empty() {
        let mut fm = false;
        let mut body = rest;
        if let Some(r) = body.strip_prefix("FM").or_else(|| body.strip_prefix("fm")) {
            fm = true;
            body = r;
        }
        let best = PATTERNS
            .iter()
            .filter(|(k, _)| body.starts_with(k))
            .max_by_key(|(k, _)| k.len());
        if let Some((k, pat)) = best {
            body = &body[k.len()..];
            let th = if let Some(r) = body.strip_prefix("TH") {
                body = r;
                Some(true)
            } else if let Some(r) = body.strip_prefix("th") {
                body = r;
                Some(false)
            } else {
                None
            };
            out.push(Node::Pat { pat: *pat, fm, th });
            rest = body;
            continue;
        }
        // Not a pattern: "FM" alone is dropped, as PostgreSQL does.
        if fm {
            rest = body;
            continue;
        }
        let mut chars = rest.chars();
        let Some(c) = chars.next() else { break };
        match c {
            '"' => {
                let mut lit = String::new();
                let mut it = chars.clone();
                let mut consumed = 1;
                while let Some(ch) = it.next() {
                    consumed += ch.len_utf8();
                    if ch == '"' {
                        break;
                    }
                    if ch == '\\'
                        && let Some(n) = it.next()
                    {
                        consumed += n.len_utf8();
                        lit.push(n);
                        continue;
                    }
                    lit.push(ch);
                }
                out.push(Node::Quoted(lit));
                rest = &rest[consumed.min(rest.len())..];
            }
            '\\' => {
                let n = chars.next();
                match n {
                    Some('"') => {
                        out.push(Node::Quoted("\"".into()));
                        rest = &rest[2..];
                    }
                    _ => {
                        out.push(Node::Lit('\\'));
                        rest = &rest[1..];
                    }
                }
            }
            _ => {
                out.push(Node::Lit(c));
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// The fields `to_char` prints.
struct TmFull {
    tm: Tm,
    /// Day of year (for intervals, the approximate total days).
    yday: i64,
    /// The zone and the UTC instant, for `timestamptz`.
    zone: Option<(TimeZone, i64)>,
}

impl TmFull {
    fn from_local(local: i64, zone: Option<(TimeZone, i64)>) -> TmFull {
        let tm = Tm::from_local(local);
        let yday = tm.julian() - date2j(tm.year, 1, 1) + 1;
        TmFull { tm, yday, zone }
    }

    fn from_interval(iv: &Interval) -> TmFull {
        let itm = Itm::from(iv);
        let tm = Tm {
            year: itm.year,
            mon: itm.mon,
            mday: itm.mday,
            hour: itm.hour,
            min: itm.min,
            sec: itm.sec,
            fsec: itm.fsec,
        };
        let yday = (itm.year * 12 + itm.mon) * 30 + itm.mday;
        TmFull {
            tm,
            yday,
            zone: None,
        }
    }
}

fn ordinal_suffix(digits: &str, upper: bool) -> &'static str {
    let d: Vec<u8> = digits.bytes().filter(u8::is_ascii_digit).collect();
    let last = d.last().copied().unwrap_or(b'0');
    let tens = if d.len() >= 2 { d[d.len() - 2] } else { b'0' };
    let s = if tens == b'1' {
        "th"
    } else {
        match last {
            b'1' => "st",
            b'2' => "nd",
            b'3' => "rd",
            _ => "th",
        }
    };
    if upper {
        match s {
            "st" => "ST",
            "nd" => "ND",
            "rd" => "RD",
            _ => "TH",
        }
    } else {
        s
    }
}

fn cased(name: &str, case: Case) -> String {
    match case {
        Case::Upper => name.to_uppercase(),
        Case::Cap => name.to_owned(),
        Case::Lower => name.to_lowercase(),
    }
}

fn pad_num(v: i64, width: usize, fm: bool) -> String {
    if fm {
        v.to_string()
    } else {
        format!("{v:0width$}")
    }
}

fn invalid_for_interval() -> TypeError {
    TypeError::new(
        codes::INVALID_DATETIME_FORMAT,
        "invalid format specification for an interval value",
    )
    // PostgreSQL gives this line as a HINT; TypeError carries one extra line, as detail.
    .with_detail("Intervals are not tied to specific calendar dates.")
}

/// The text of a double-quoted literal of a number format (after its opening quote), with
/// backslash escapes applied, and the rest of the format after the closing quote.
fn quoted_literal(body: &str) -> (String, &str) {
    let mut lit = String::new();
    let mut it = body.char_indices();
    while let Some((i, ch)) = it.next() {
        match ch {
            '"' => return (lit, &body[i + 1..]),
            '\\' => match it.next() {
                Some((_, n)) => lit.push(n),
                None => lit.push('\\'),
            },
            _ => lit.push(ch),
        }
    }
    (lit, "")
}

fn zone_abbrev(zone: &TimeZone, at: i64) -> String {
    zone.abbrev(at)
}

fn to_char_tm(t: &TmFull, fmt: &str, is_interval: bool) -> TypeResult<String> {
    let tm = &t.tm;
    let mut out = String::new();
    let year_shown = if is_interval || tm.year > 0 {
        tm.year
    } else {
        1 - tm.year
    };
    let east = t.zone.map(|(z, at)| z.offset_secs(at)).unwrap_or(0);
    for node in parse_template(fmt) {
        let (pat, fm, th) = match node {
            Node::Lit(c) => {
                out.push(c);
                continue;
            }
            Node::Quoted(s) => {
                out.push_str(&s);
                continue;
            }
            Node::Pat { pat, fm, th } => (pat, fm, th),
        };
        let neg_width = |v: i64, w: usize| if v < 0 { w + 1 } else { w };
        let s: String = match pat {
            Pat::Era { dots, upper } => {
                let bc = !is_interval && tm.year <= 0;
                let s = match (bc, dots) {
                    (true, true) => "B.C.",
                    (true, false) => "BC",
                    (false, true) => "A.D.",
                    (false, false) => "AD",
                };
                if upper { s.into() } else { s.to_lowercase() }
            }
            Pat::Meridiem { dots, upper } => {
                let pm = tm.hour % 24 >= 12;
                let s = match (pm, dots) {
                    (true, true) => "P.M.",
                    (true, false) => "PM",
                    (false, true) => "A.M.",
                    (false, false) => "AM",
                };
                if upper { s.into() } else { s.to_lowercase() }
            }
            Pat::Century => {
                let c = if is_interval {
                    tm.year / 100
                } else {
                    century_of(tm.year)
                };
                if fm {
                    c.to_string()
                } else {
                    format!("{c:0w$}", w = if c >= 0 { 2 } else { 3 })
                }
            }
            Pat::DayName(case) | Pat::DayAbbr(case) => {
                if is_interval {
                    return Err(invalid_for_interval());
                }
                let name = DAYS[j2day(tm.julian()) as usize % 7];
                match pat {
                    Pat::DayName(_) => {
                        let n = cased(name, case);
                        if fm { n } else { format!("{n:<9}") }
                    }
                    _ => cased(&name[..3], case),
                }
            }
            Pat::MonthName(case) | Pat::MonthAbbr(case) => {
                if is_interval {
                    return Err(invalid_for_interval());
                }
                let name = MONTHS[(tm.mon - 1).clamp(0, 11) as usize];
                match pat {
                    Pat::MonthName(_) => {
                        let n = cased(name, case);
                        if fm { n } else { format!("{n:<9}") }
                    }
                    _ => cased(&name[..3], case),
                }
            }
            Pat::Roman(upper) => {
                if tm.mon == 0 {
                    String::new()
                } else {
                    let r = ROMAN[(tm.mon - 1).clamp(0, 11) as usize];
                    let r = if upper {
                        r.to_owned()
                    } else {
                        r.to_lowercase()
                    };
                    if fm { r } else { format!("{r:<4}") }
                }
            }
            Pat::Doy => pad_num(t.yday, 3, fm),
            Pat::Mday => pad_num(tm.mday, 2, fm),
            Pat::Dow | Pat::IsoDow => {
                if is_interval {
                    return Err(invalid_for_interval());
                }
                let d = j2day(tm.julian());
                if pat == Pat::Dow {
                    (d + 1).to_string()
                } else {
                    (if d == 0 { 7 } else { d }).to_string()
                }
            }
            Pat::Frac(n) => {
                let v = tm.fsec / 10i64.pow(6 - n);
                format!("{v:0w$}", w = n as usize)
            }
            Pat::Fx => String::new(),
            Pat::Hh24 => pad_num(tm.hour, neg_width(tm.hour, 2), fm),
            Pat::Hh12 => {
                let h = if tm.hour % 12 == 0 { 12 } else { tm.hour % 12 };
                pad_num(h, neg_width(h, 2), fm)
            }
            Pat::IsoDoy => {
                let iy = iso_year(tm.year, tm.mon, tm.mday);
                let d = tm.julian() - isoweek2j(iy, 1) + 1;
                pad_num(d, 3, fm)
            }
            Pat::IsoWeek => pad_num(iso_week(tm.year, tm.mon, tm.mday), 2, fm),
            Pat::IsoYear(n) => {
                let iy = iso_year(tm.year, tm.mon, tm.mday);
                let iy = if is_interval || iy > 0 { iy } else { 1 - iy };
                year_digits(iy, n, fm)
            }
            Pat::Julian => tm.julian().to_string(),
            Pat::Minute => pad_num(tm.min, neg_width(tm.min, 2), fm),
            Pat::MonthNum => pad_num(tm.mon, neg_width(tm.mon, 2), fm),
            // FM does not shorten fractions of a second.
            Pat::Millis => format!("{:03}", tm.fsec / 1000),
            Pat::Micros => format!("{:06}", tm.fsec),
            Pat::Offset => {
                let sign = if east < 0 { '-' } else { '+' };
                let a = east.unsigned_abs();
                let mut s = format!("{sign}{}", pad_num(i64::from(a / 3600), 2, fm));
                if !(a / 60).is_multiple_of(60) {
                    s.push_str(&format!(":{:02}", a / 60 % 60));
                }
                s
            }
            Pat::TzHour => {
                let sign = if east < 0 { '-' } else { '+' };
                format!("{sign}{:02}", east.unsigned_abs() / 3600)
            }
            Pat::TzMinute => format!("{:02}", east.unsigned_abs() / 60 % 60),
            Pat::TzName(upper) => match &t.zone {
                Some((z, at)) if !is_interval => {
                    let a = zone_abbrev(z, *at);
                    if upper { a } else { a.to_lowercase() }
                }
                _ => String::new(),
            },
            Pat::Quarter => {
                if tm.mon == 0 {
                    String::new()
                } else {
                    ((tm.mon - 1) / 3 + 1).to_string()
                }
            }
            Pat::SecsOfDay => ((tm.hour * 60 + tm.min) * 60 + tm.sec).to_string(),
            Pat::Second => pad_num(tm.sec, neg_width(tm.sec, 2), fm),
            Pat::WeekOfYear => pad_num((t.yday - 1) / 7 + 1, 2, fm),
            Pat::WeekOfMonth => ((tm.mday - 1) / 7 + 1).to_string(),
            Pat::YearComma => format!("{},{:03}", year_shown / 1000, year_shown % 1000),
            Pat::Year(n) => year_digits(year_shown, n, fm),
        };
        out.push_str(&s);
        if let Some(upper) = th {
            let suffix = ordinal_suffix(&s, upper);
            out.push_str(suffix);
        }
    }
    Ok(out)
}

fn year_digits(y: i64, n: u32, fm: bool) -> String {
    match n {
        4 => {
            if fm {
                y.to_string()
            } else {
                format!("{y:0w$}", w = if y >= 0 { 4 } else { 5 })
            }
        }
        _ => {
            let m = 10i64.pow(n);
            pad_num(y % m, n as usize, fm)
        }
    }
}

// ---- to_char(number) ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumTok {
    Nine,
    Zero,
    Point,
    Group,
    Sign,
    Minus,
    Plus,
    SignAlways,
    Angle,
    Th(bool),
    Lit(char),
}

/// The number `to_char` formats.
enum NumIn {
    Numeric(Numeric),
    /// A float and the most significant digits its type prints.
    Float(f64, usize),
}

fn to_char_number(n: &NumIn, fmt: &str) -> TypeResult<String> {
    // Parse the template.
    let mut toks = Vec::new();
    let mut fm = false;
    let mut v_at: Option<usize> = None;
    let mut rest = fmt;
    while let Some(c) = rest.chars().next() {
        let upper = rest.to_ascii_uppercase();
        let (tok, len) = if upper.starts_with("FM") {
            fm = true;
            rest = &rest[2..];
            continue;
        } else if upper.starts_with("MI") {
            (NumTok::Minus, 2)
        } else if upper.starts_with("PL") {
            (NumTok::Plus, 2)
        } else if upper.starts_with("SG") {
            (NumTok::SignAlways, 2)
        } else if upper.starts_with("PR") {
            (NumTok::Angle, 2)
        } else if rest.starts_with("TH") {
            (NumTok::Th(true), 2)
        } else if rest.starts_with("th") {
            (NumTok::Th(false), 2)
        } else if c == '"' {
            // A quoted literal, copied as is (a backslash escapes the next character).
            let (lit, after) = quoted_literal(&rest[1..]);
            for ch in lit.chars() {
                toks.push(NumTok::Lit(ch));
            }
            rest = after;
            continue;
        } else if rest.starts_with("\\\"") {
            // `\"` outside quotes is a literal double quote.
            toks.push(NumTok::Lit('"'));
            rest = &rest[2..];
            continue;
        } else if c == 'V' || c == 'v' {
            // Digits after V shift the value left (multiply by 10^n).
            v_at = Some(toks.len());
            rest = &rest[1..];
            continue;
        } else if matches!(c, 'B' | 'b' | 'C' | 'c') {
            // Accepted by PostgreSQL, and print nothing.
            rest = &rest[1..];
            continue;
        } else if upper.starts_with("EEEE") || upper.starts_with("RN") {
            return Err(TypeError::new(
                codes::FEATURE_NOT_SUPPORTED,
                format!("to_char pattern \"{fmt}\" is not supported"),
            ));
        } else {
            let t = match c {
                '9' => NumTok::Nine,
                '0' => NumTok::Zero,
                '.' | 'D' | 'd' => NumTok::Point,
                ',' | 'G' | 'g' => NumTok::Group,
                'S' | 's' => NumTok::Sign,
                // The currency symbol of the C locale is empty; PostgreSQL shows a blank.
                'L' | 'l' => NumTok::Lit(' '),
                _ => NumTok::Lit(c),
            };
            (t, c.len_utf8())
        };
        toks.push(tok);
        rest = &rest[len..];
    }
    let point_at = toks.iter().position(|t| *t == NumTok::Point);
    let is_digit = |t: &NumTok| matches!(t, NumTok::Nine | NumTok::Zero);
    let shift = v_at.map_or(0, |v| toks[v..].iter().filter(|t| is_digit(t)).count());
    let shifted;
    let n = if shift > 0 {
        let factor = 10f64.powi(shift as i32);
        shifted = match n {
            NumIn::Numeric(x) => NumIn::Numeric(x.mul(&Numeric::parse(&format!("1e{shift}"))?)?),
            NumIn::Float(v, d) => NumIn::Float(v * factor, *d),
        };
        &shifted
    } else {
        n
    };
    let pre = toks
        .iter()
        .take(point_at.unwrap_or(toks.len()))
        .filter(|t| is_digit(t))
        .count();
    let post = point_at.map_or(0, |p| toks[p..].iter().filter(|t| is_digit(t)).count());
    let first_zero = toks.iter().position(|t| *t == NumTok::Zero);
    let first_digit = toks.iter().position(is_digit);
    let has_sign_tok = toks.iter().any(|t| {
        matches!(
            t,
            NumTok::Sign | NumTok::Minus | NumTok::SignAlways | NumTok::Angle
        )
    });
    // S before the digits floats to the first digit; after them it stays at the end.
    let sign_s_leading = toks
        .iter()
        .position(|t| *t == NumTok::Sign)
        .is_some_and(|p| first_digit.is_none_or(|d| p < d));

    let (neg, text) = match n {
        NumIn::Numeric(n) if n.is_nan() => {
            // NaN is right-aligned in the sign and integer positions.
            return Ok(format!("{:>w$}", "NaN", w = pre + 1));
        }
        NumIn::Numeric(n) if n.is_infinite() => (n.is_negative(), None),
        NumIn::Numeric(n) => (n.is_negative(), Some(n.round(post as i32)?.abs().to_text())),
        NumIn::Float(v, _) if !v.is_finite() => (*v < 0.0, None),
        NumIn::Float(v, digits) => {
            let pre_len = format!("{:.0}", v.abs()).len();
            let post = if pre_len >= *digits {
                0
            } else {
                post.min(digits - pre_len)
            };
            (*v < 0.0, Some(format!("{:.post$}", v.abs())))
        }
    };
    let (int_digits, frac_digits, overflow) = match text {
        None => (String::new(), String::new(), true),
        Some(text) => {
            let (i, f) = text.split_once('.').unwrap_or((text.as_str(), ""));
            let i = i.trim_start_matches('0').to_owned();
            let mut f = f.to_owned();
            if matches!(n, NumIn::Numeric(_)) {
                while f.len() < post {
                    f.push('0');
                }
            }
            let over = i.len() > pre;
            (i, f, over)
        }
    };
    let int_digits = if int_digits.is_empty() && post == 0 && pre > 0 {
        "0".to_owned()
    } else {
        int_digits
    };
    let is_zero_value = !overflow
        && int_digits.trim_start_matches('0').is_empty()
        && frac_digits.trim_matches('0').is_empty();
    let neg = neg && !is_zero_value;
    // The floating sign: default (`-`/blank), `S` before the digits (`+`/`-`), or PR's `<`.
    let float_sign: Option<char> = if !has_sign_tok {
        Some(if neg { '-' } else { ' ' })
    } else if sign_s_leading {
        Some(if neg { '-' } else { '+' })
    } else if toks.contains(&NumTok::Angle) {
        Some(if neg { '<' } else { ' ' })
    } else {
        None
    };
    let mut out = String::new();
    let mut sign_done = float_sign.is_none();
    let mut started = false; // a significant character of the number has been written
    let mut pre_idx = 0usize;
    let mut post_idx = 0usize;
    let mut after_point = false;
    let lead = pre.saturating_sub(int_digits.len());
    let emit_sign = |out: &mut String, sign_done: &mut bool| {
        if !*sign_done {
            if let Some(c) = float_sign
                && !(fm && c == ' ')
            {
                out.push(c);
            }
            *sign_done = true;
        }
    };
    for (ti, tok) in toks.iter().enumerate() {
        match tok {
            NumTok::Nine | NumTok::Zero if !after_point => {
                let pos = pre_idx;
                pre_idx += 1;
                if overflow {
                    emit_sign(&mut out, &mut sign_done);
                    out.push('#');
                    started = true;
                    continue;
                }
                if pos < lead {
                    let zero_fill = first_zero.is_some_and(|z| z <= ti);
                    if zero_fill || started {
                        emit_sign(&mut out, &mut sign_done);
                        out.push('0');
                        started = true;
                    } else if !fm {
                        out.push(' ');
                    }
                } else {
                    emit_sign(&mut out, &mut sign_done);
                    let d = int_digits
                        .as_bytes()
                        .get(pos - lead)
                        .copied()
                        .unwrap_or(b'0');
                    out.push(d as char);
                    started = true;
                }
            }
            NumTok::Nine | NumTok::Zero => {
                // A float limited to its significant digits prints fewer positions.
                if overflow {
                    out.push('#');
                } else if let Some(d) = frac_digits.as_bytes().get(post_idx) {
                    out.push(*d as char);
                }
                post_idx += 1;
            }
            NumTok::Point => {
                emit_sign(&mut out, &mut sign_done);
                out.push('.');
                after_point = true;
                started = true;
            }
            NumTok::Group => {
                if started {
                    out.push(',');
                } else if !fm {
                    out.push(' ');
                }
            }
            NumTok::Sign => {
                if !sign_s_leading {
                    out.push(if neg { '-' } else { '+' });
                }
            }
            NumTok::Minus => {
                if neg {
                    out.push('-');
                } else if !fm {
                    out.push(' ');
                }
            }
            NumTok::Plus => {
                if !neg {
                    out.push('+');
                } else if !fm {
                    out.push(' ');
                }
            }
            NumTok::SignAlways => out.push(if neg { '-' } else { '+' }),
            NumTok::Angle => {
                if ti + 1 == toks.len() || toks[ti + 1..].iter().all(|t| !is_digit(t)) {
                    // PR at the end closes the bracket.
                    if neg {
                        out.push('>');
                    } else if !fm {
                        out.push(' ');
                    }
                }
            }
            NumTok::Th(upper) => {
                // No ordinal suffix for negative numbers or with a decimal point.
                if !neg && !overflow && point_at.is_none() {
                    out.push_str(ordinal_suffix(&int_digits, *upper));
                }
            }
            NumTok::Lit(c) => out.push(*c),
        }
    }
    if !sign_done {
        emit_sign(&mut out, &mut sign_done);
    }
    if fm && post > 0 && !overflow {
        // FM drops trailing zeros produced by '9' fraction positions.
        let digit_toks: Vec<&NumTok> = point_at
            .map(|p| toks[p..].iter().filter(|t| is_digit(t)).collect())
            .unwrap_or_default();
        let mut trim = 0;
        for (i, t) in digit_toks.iter().enumerate().rev() {
            if **t == NumTok::Nine && frac_digits.as_bytes().get(i) == Some(&b'0') {
                trim += 1;
            } else {
                break;
            }
        }
        if trim > 0
            && let Some(last_digit) = out.rfind(|c: char| c.is_ascii_digit())
        {
            // Remove `trim` digits ending at the last digit written.
            let mut removed = 0;
            let mut idx = last_digit + 1;
            let mut bytes: Vec<u8> = out.into_bytes();
            while removed < trim && idx > 0 {
                idx -= 1;
                if bytes[idx].is_ascii_digit() {
                    bytes.remove(idx);
                    removed += 1;
                } else {
                    break;
                }
            }
            out = String::from_utf8(bytes).unwrap_or_default();
        }
    }
    // No fraction positions: no decimal point either ('999.' gives " 100").
    if post == 0
        && point_at.is_some()
        && !overflow
        && let Some(p) = out.rfind('.')
    {
        out.remove(p);
    }
    // FM with nothing left of a zero value still shows its integer zero ("0.").
    if fm
        && !overflow
        && !out.bytes().any(|b| b.is_ascii_digit())
        && let Some(p) = out.find('.')
    {
        out.insert(p, '0');
    }
    Ok(out)
}

// ---- to_char(number, 'EEEE' / 'RN') and to_number ----

/// The number a scientific-notation `to_char` formats.
enum SciIn {
    Numeric(Numeric),
    Float(f64),
}

/// `to_char` with `EEEE`: only digits and a decimal point may come with it, and nothing
/// after it. The number is a sign position, then the significand with as many decimals
/// as the template has after its point, `e`, the exponent's sign and at least two digits.
fn to_char_sci(n: &SciIn, fmt: &str) -> TypeResult<String> {
    let incompatible = || {
        TypeError::new(
            codes::SYNTAX_ERROR,
            "\"EEEE\" is incompatible with other formats",
        )
        .with_detail("\"EEEE\" may only be used together with digit and decimal point patterns.")
    };
    let (mut pre, mut post, mut point, mut seen_e) = (0usize, 0usize, false, false);
    let mut rest = fmt;
    while let Some(c) = rest.chars().next() {
        let upper = rest.to_ascii_uppercase();
        let action = |len: usize| -> usize { len };
        let len = if upper.starts_with("EEEE") {
            if seen_e {
                return Err(TypeError::new(
                    codes::SYNTAX_ERROR,
                    "cannot use \"EEEE\" twice",
                ));
            }
            seen_e = true;
            rest = &rest[4..];
            continue;
        } else if ["FM", "MI", "PL", "SG", "PR", "RN"]
            .iter()
            .any(|p| upper.starts_with(p))
            || matches!(c, 'S' | 's' | 'V' | 'v' | 'B' | 'b')
        {
            if seen_e {
                return Err(TypeError::new(
                    codes::SYNTAX_ERROR,
                    "\"EEEE\" must be the last pattern used",
                ));
            }
            return Err(incompatible());
        } else {
            match c {
                '9' | '0' | '.' | 'D' | 'd' | ',' | 'G' | 'g' | 'L' | 'l' | 'C' | 'c' => {
                    if seen_e {
                        return Err(TypeError::new(
                            codes::SYNTAX_ERROR,
                            "\"EEEE\" must be the last pattern used",
                        ));
                    }
                    match c {
                        '9' | '0' if point => post += 1,
                        '9' | '0' => pre += 1,
                        '.' | 'D' | 'd' => point = true,
                        _ => {}
                    }
                    action(1)
                }
                _ => c.len_utf8(),
            }
        };
        rest = &rest[len..];
    }
    let hashes = || {
        let mut s: Vec<char> = std::iter::repeat_n('#', pre + post + 6).collect();
        s[0] = ' ';
        if let Some(p) = s.get_mut(pre + 1) {
            *p = '.';
        }
        s.into_iter().collect::<String>()
    };
    let exp_text = |e: i64| format!("e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    Ok(match n {
        SciIn::Float(v) if !v.is_finite() => hashes(),
        SciIn::Numeric(x) if x.is_nan() || x.is_infinite() => hashes(),
        SciIn::Float(v) => {
            let t = format!("{:.*e}", post, v.abs());
            let (m, e) = t.split_once('e').unwrap_or((t.as_str(), "0"));
            let e: i64 = e.parse().unwrap_or(0);
            let sign = if v.is_sign_negative() && *v != 0.0 {
                '-'
            } else {
                ' '
            };
            format!("{sign}{m}{}", exp_text(e))
        }
        SciIn::Numeric(x) => {
            // The exponent of the leading digit of the unrounded value (PostgreSQL's
            // numeric_out_sci), then the significand rounded: 9.99 with one decimal is
            // 10.0e+00.
            let text = x.abs().to_text();
            let (ip, fp) = text.split_once('.').unwrap_or((text.as_str(), ""));
            let ip = ip.trim_start_matches('0');
            let exp: i64 = if !ip.is_empty() {
                ip.len() as i64 - 1
            } else {
                match fp.find(|c: char| c != '0') {
                    Some(i) => -(i as i64) - 1,
                    None => 0,
                }
            };
            let shifted = x.abs().mul(&Numeric::parse(&format!("1e{}", -exp))?)?;
            let m = shifted.round(post as i32)?.to_text();
            let sign = if x.is_negative() && !x.is_zero() {
                '-'
            } else {
                ' '
            };
            format!("{sign}{m}{}", exp_text(exp))
        }
    })
}

/// Roman numerals of 1..=3999; anything else is fifteen `#`.
fn roman(v: Option<i64>) -> String {
    let Some(mut n) = v.filter(|n| (1..=3999).contains(n)) else {
        return "#".repeat(15);
    };
    let table = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (v, s) in table {
        while n >= v {
            out.push_str(s);
            n -= v;
        }
    }
    out
}

/// `to_char` with `RN` / `rn`: the numeral right-aligned in 15 characters (as is without
/// padding under FM); other number patterns print nothing, literal text is kept.
fn to_char_roman(v: Option<i64>, fmt: &str) -> String {
    let upper_fmt = fmt.to_ascii_uppercase();
    let fm = upper_fmt.contains("FM");
    let r = roman(v);
    let mut out = String::new();
    let mut rest = fmt;
    while let Some(c) = rest.chars().next() {
        let upper = rest.to_ascii_uppercase();
        if upper.starts_with("RN") {
            let text = if rest.starts_with("rn") {
                r.to_ascii_lowercase()
            } else {
                r.clone()
            };
            if fm {
                out.push_str(&text);
            } else {
                out.push_str(&format!("{text:>15}"));
            }
            rest = &rest[2..];
        } else if ["FM", "MI", "PL", "SG", "PR", "TH"]
            .iter()
            .any(|p| upper.starts_with(p))
        {
            rest = &rest[2..];
        } else if c == '"' {
            let (lit, after) = quoted_literal(&rest[1..]);
            out.push_str(&lit);
            rest = after;
        } else if matches!(
            c,
            '9' | '0'
                | '.'
                | 'D'
                | 'd'
                | ','
                | 'G'
                | 'g'
                | 'S'
                | 's'
                | 'L'
                | 'l'
                | 'V'
                | 'v'
                | 'B'
                | 'b'
                | 'C'
                | 'c'
        ) {
            rest = &rest[1..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// `to_number(text, template)`: reads the digits the template's digit positions cover
/// (a position over a non-digit consumes it), a decimal point, a sign from `S`, `MI`, `PL`,
/// `SG`, `PR`'s angle brackets or a leading `-` / `+`; group separators are skipped when
/// present (not under FM); `V` divides by ten per digit after it.
fn to_number(input: &str, fmt: &str) -> TypeResult<Numeric> {
    #[derive(Clone, Copy, PartialEq)]
    enum Tk {
        Digit,
        Point,
        Group,
        Sign,
        Th,
        Skip1,
        Nothing,
    }
    let mut toks = Vec::new();
    let mut v_digits: Option<usize> = None;
    let mut has_sign = false;
    let mut has_pr = false;
    let mut fm = false;
    let mut rest = fmt;
    while let Some(c) = rest.chars().next() {
        let upper = rest.to_ascii_uppercase();
        if upper.starts_with("EEEE") {
            return Err(TypeError::new(
                codes::FEATURE_NOT_SUPPORTED,
                "\"EEEE\" not supported for input",
            ));
        }
        if upper.starts_with("RN") {
            return Err(TypeError::new(
                codes::FEATURE_NOT_SUPPORTED,
                "\"RN\" not supported for input",
            ));
        }
        let (t, len) = if upper.starts_with("FM") {
            fm = true;
            (Tk::Nothing, 2)
        } else if upper.starts_with("MI") || upper.starts_with("PL") || upper.starts_with("SG") {
            has_sign = true;
            (Tk::Sign, 2)
        } else if upper.starts_with("PR") {
            has_pr = true;
            (Tk::Nothing, 2)
        } else if upper.starts_with("TH") {
            (Tk::Th, 2)
        } else if c == '"' {
            let (lit, after) = quoted_literal(&rest[1..]);
            for _ in lit.chars() {
                toks.push(Tk::Skip1);
            }
            rest = after;
            continue;
        } else {
            let t = match c {
                '9' | '0' => {
                    if let Some(n) = v_digits.as_mut() {
                        *n += 1;
                    }
                    Tk::Digit
                }
                '.' | 'D' | 'd' => Tk::Point,
                ',' | 'G' | 'g' => Tk::Group,
                'S' | 's' => {
                    has_sign = true;
                    Tk::Sign
                }
                'V' | 'v' => {
                    v_digits = Some(0);
                    Tk::Nothing
                }
                'B' | 'b' | 'C' | 'c' => Tk::Nothing,
                _ => Tk::Skip1,
            };
            (t, c.len_utf8())
        };
        toks.push(t);
        rest = &rest[len..];
    }
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    let mut neg = false;
    let mut int_part = String::new();
    let mut frac_part = String::new();
    let mut after_point = false;
    let mut started = false;
    let post_positions = toks
        .iter()
        .skip_while(|t| **t != Tk::Point)
        .filter(|t| **t == Tk::Digit)
        .count();
    for t in &toks {
        let Some(&c) = chars.get(i) else { break };
        match t {
            Tk::Digit | Tk::Point => {
                let mut c = c;
                // With a sign position in the template, a sign in the input is read
                // wherever it stands (`0.00001-` for `9.999999S`, `.-01` for `S99.99`).
                if has_sign && (c == '-' || c == '+') {
                    neg |= c == '-';
                    i += 1;
                    match chars.get(i) {
                        Some(&n) => c = n,
                        None => break,
                    }
                }
                if !started {
                    let sign_char = (!has_sign && (c == '-' || c == '+')) || (has_pr && c == '<');
                    if sign_char {
                        neg = c == '-' || c == '<';
                        i += 1;
                        match chars.get(i) {
                            Some(&n) => c = n,
                            None => break,
                        }
                    }
                }
                if c.is_ascii_digit() {
                    started = true;
                    if after_point {
                        if frac_part.len() < post_positions {
                            frac_part.push(c);
                        }
                    } else {
                        int_part.push(c);
                    }
                } else if c == '.' && !after_point {
                    after_point = true;
                    started = true;
                }
                i += 1;
            }
            // Under FM a group separator of the template reads nothing (a separator in
            // the input is then read by the next digit position), as in PostgreSQL.
            Tk::Group => {
                if c == ',' && !fm {
                    i += 1;
                }
            }
            Tk::Sign => {
                if c == '-' {
                    neg = true;
                    i += 1;
                } else if c == '+' {
                    i += 1;
                }
            }
            Tk::Th => {
                i += chars[i..]
                    .iter()
                    .take(2)
                    .take_while(|c| c.is_ascii_alphabetic())
                    .count();
            }
            Tk::Skip1 => {
                // A sign where the template has other text still counts.
                if has_sign && c == '-' {
                    neg = true;
                }
                i += 1;
            }
            Tk::Nothing => {}
        }
    }
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(TypeError::new(
            codes::INVALID_TEXT_REPRESENTATION,
            "invalid input syntax for type numeric: \" \"",
        ));
    }
    let text = format!(
        "{}{}.{}",
        if neg { "-" } else { "" },
        if int_part.is_empty() { "0" } else { &int_part },
        frac_part
    );
    let text = text.trim_end_matches('.');
    let mut n = Numeric::parse(text)?;
    if let Some(k) = v_digits.filter(|k| *k > 0) {
        n = n.div(&Numeric::parse(&format!("1{}", "0".repeat(k)))?)?;
    }
    Ok(n)
}

// ---- to_date / to_timestamp ----

#[derive(Debug, Default)]
struct Parsed {
    year: Option<i64>,
    /// Digits the year was given with (2 and 3 are adjusted to a nearby century).
    year_digits: usize,
    bc: bool,
    mon: Option<i64>,
    mday: Option<i64>,
    doy: Option<i64>,
    hour: i64,
    hour12: bool,
    pm: Option<bool>,
    min: i64,
    sec: i64,
    fsec: i64,
    julian: Option<i64>,
    tz_east: Option<i32>,
    /// The zone's hours were negative (`-00` included), so its minutes count west too.
    tz_neg: bool,
    input: String,
    /// `CC`.
    cc: Option<i64>,
    /// `WW` (Gregorian) or `IW` (ISO) week of year.
    ww: Option<i64>,
    /// `W`: week of month.
    w: Option<i64>,
    /// `ID`, PostgreSQL's way: 1 = Sunday .. 7 = Saturday.
    iso_dow: Option<i64>,
    /// The date convention the template's fields use: Some(true) ISO week dates
    /// (`IYYY`, `IW`, `ID`, `IDDD`), Some(false) Gregorian; mixing them is an error.
    iso: Option<bool>,
    /// `FFn`: the result is rounded to n fractional digits.
    fprec: Option<u32>,
}

impl Parsed {
    fn field_overflow(&self) -> TypeError {
        TypeError::new(
            codes::DATETIME_FIELD_OVERFLOW,
            format!("date/time field value out of range: \"{}\"", self.input),
        )
    }

    /// The date as astronomical (year, month, day): PostgreSQL's `do_to_timestamp`.
    fn ymd(&self) -> TypeResult<(i64, i64, i64)> {
        let from_j = |j: i64| {
            let (y, m, d) = civil_from_days(j - POSTGRES_EPOCH_JDATE);
            (y, i64::from(m), i64::from(d))
        };
        let mut year = 0;
        if let Some(y) = self.year {
            let y = match self.year_digits {
                1 => y + 2000,
                2 if y < 70 => y + 2000,
                2 => y + 1900,
                3 if y < 100 => y + 2000,
                3 => y + 1000,
                _ => y,
            };
            match self.cc {
                // CC with YY (or Y): the low digits of a year of that century.
                Some(cc) if self.year_digits <= 2 => {
                    let cc = if self.bc { -cc } else { cc };
                    let low = y % 100;
                    year = if low != 0 {
                        if cc >= 0 {
                            low + (cc - 1) * 100
                        } else {
                            (cc + 1) * 100 - low + 1
                        }
                    } else {
                        cc * 100 + i64::from(cc < 0)
                    };
                }
                _ => {
                    year = if self.bc { -y } else { y };
                }
            }
            // Astronomical years: 1 BC is 0 (a year 0 is read as such too).
            if year < 0 {
                year += 1;
            }
        } else if let Some(cc) = self.cc {
            let cc = if self.bc { -cc } else { cc };
            year = if cc >= 0 {
                (cc - 1) * 100 + 1
            } else {
                cc * 100 + 1
            };
            if year < 0 {
                year += 1;
            }
        }
        let iso = self.iso == Some(true);
        let (mut mon, mut mday) = (0, 0);
        if let Some(j) = self.julian {
            let (y, m, d) = from_j(j);
            year = y;
            (mon, mday) = (m, d);
        }
        let mut doy = self.doy;
        if let Some(ww) = self.ww {
            if iso {
                let j = isoweek2j(year, ww)
                    + match self.iso_dow {
                        Some(d) if d > 1 => d - 2,
                        Some(_) => 6,
                        None => 0,
                    };
                let (y, m, d) = from_j(j);
                return self.valid(y, m, d);
            }
            doy = Some((ww - 1) * 7 + 1);
        }
        let mut dd = self.mday;
        if let Some(w) = self.w {
            dd = Some((w - 1) * 7 + 1);
        }
        if let Some(d) = dd {
            mday = d;
        }
        if let Some(m) = self.mon {
            mon = m;
        }
        if let Some(ddd) = doy
            && (mon <= 1 || mday <= 1)
        {
            if iso {
                let (y, m, d) = from_j(isoweek2j(year, 1) - 1 + ddd);
                return self.valid(y, m, d);
            }
            if self.year.is_none() && self.cc.is_none() && !self.bc {
                return Err(TypeError::new(
                    codes::INVALID_DATETIME_FORMAT,
                    "cannot calculate day of year without year information",
                ));
            }
            let days = if is_leap(year) { 366 } else { 365 };
            if !(1..=days).contains(&ddd) {
                return Err(self.field_overflow());
            }
            let (_, m, d) = from_j(date2j(year, 1, 1) + ddd - 1);
            if mon <= 1 {
                mon = m;
            }
            if mday <= 1 {
                mday = d;
            }
        }
        self.valid(year, mon.max(1), mday.max(1))
    }

    fn valid(&self, year: i64, mon: i64, mday: i64) -> TypeResult<(i64, i64, i64)> {
        if !(1..=12).contains(&mon) || mday < 1 || mday > days_in_month(year, mon) {
            return Err(self.field_overflow());
        }
        Ok((year, mon, mday))
    }

    /// Records the date convention of a field (PostgreSQL's `from_char_set_mode`).
    fn set_mode(&mut self, iso: bool) -> TypeResult<()> {
        match self.iso {
            Some(m) if m != iso => Err(TypeError::new(
                codes::INVALID_DATETIME_FORMAT,
                "invalid combination of date conventions",
            )
            .with_hint(
                "Do not mix Gregorian and ISO week date conventions in a formatting template.",
            )),
            _ => {
                self.iso = Some(iso);
                Ok(())
            }
        }
    }

    fn to_date(&self) -> TypeResult<i32> {
        let (y, m, d) = self.ymd()?;
        let out = || {
            TypeError::new(
                codes::DATETIME_FIELD_OVERFLOW,
                format!("date out of range: \"{}\"", self.input),
            )
        };
        if !valid_julian(y, m) {
            return Err(out());
        }
        let days = days_from_civil(y, m as u32, d as u32);
        if days < i64::from(MIN_DATE) || days >= i64::from(END_DATE) {
            return Err(out());
        }
        Ok(days as i32)
    }

    fn to_timestamp(&self) -> TypeResult<i64> {
        let (year, mon, mday) = self.ymd()?;
        let mut hour = self.hour;
        if self.hour12 || self.pm.is_some() {
            if !(1..=12).contains(&hour) {
                return Err(TypeError::new(
                    codes::INVALID_DATETIME_FORMAT,
                    format!("hour \"{hour}\" is invalid for the 12-hour clock"),
                )
                .with_detail("Use the 24-hour clock, or give an hour between 1 and 12."));
            }
            let pm = self.pm.unwrap_or(false);
            if pm && hour < 12 {
                hour += 12;
            } else if !pm && hour == 12 {
                hour = 0;
            }
        }
        if !(0..=24).contains(&hour) || !(0..60).contains(&self.min) || !(0..60).contains(&self.sec)
        {
            return Err(self.field_overflow());
        }
        let tm = Tm {
            year,
            mon,
            mday,
            hour,
            min: self.min,
            sec: self.sec,
            fsec: self.fsec,
        };
        let t = tm.to_local().map_err(|_| {
            TypeError::new(
                codes::DATETIME_FIELD_OVERFLOW,
                format!("timestamp out of range: \"{}\"", self.input),
            )
        })?;
        Ok(match self.fprec {
            // PostgreSQL's AdjustTimestampForTypmod: half away from zero.
            Some(n) if n < 6 => {
                let scale = 10i64.pow(6 - n);
                let half = scale / 2;
                if t >= 0 {
                    (t + half) / scale * scale
                } else {
                    -((-t + half) / scale * scale)
                }
            }
            _ => t,
        })
    }
}

fn pat_name(fmt_pat: Pat) -> &'static str {
    PATTERNS
        .iter()
        .find(|(_, p)| *p == fmt_pat)
        .map_or("?", |(k, _)| k)
}

/// Reads `input` with a `to_date`/`to_timestamp` template.
fn parse_formatted(input: &str, fmt: &str) -> TypeResult<Parsed> {
    parse_formatted_mode(input, &parse_template(fmt), false)
}

/// [`parse_formatted`]; in PostgreSQL's standard mode (`std`, jsonpath's `.datetime()`)
/// separators must match exactly, no spaces are skipped before fields, and the input must
/// fill the whole template and nothing more.
fn parse_formatted_mode(input: &str, nodes: &[Node], std: bool) -> TypeResult<Parsed> {
    let mut p = Parsed {
        input: input.to_owned(),
        ..Parsed::default()
    };
    let mut s = input;
    let bad = |m: String| TypeError::new(codes::INVALID_DATETIME_FORMAT, m);
    for (idx, node) in nodes.iter().enumerate() {
        // PostgreSQL stops reading the template where the input ends.
        if !std && s.is_empty() {
            break;
        }
        if std && s.is_empty() {
            if nodes[idx..].iter().any(|n| matches!(n, Node::Pat { .. })) {
                return Err(bad("input string is too short for datetime format".into()));
            }
            break;
        }
        match node {
            Node::Lit(c) if std => match s.strip_prefix(*c) {
                Some(rest) => s = rest,
                None if c.is_alphanumeric() => {
                    return Err(bad(format!("unmatched format character \"{c}\"")));
                }
                None => return Err(bad(format!("unmatched format separator \"{c}\""))),
            },
            Node::Lit(c) => {
                let next = s.chars().next();
                if c.is_alphanumeric() {
                    // A text character consumes one input character, whatever it is.
                    if let Some(ch) = next {
                        s = &s[ch.len_utf8()..];
                    }
                } else if c.is_whitespace() && next.is_some_and(char::is_whitespace) {
                    s = s.trim_start();
                } else if let Some(ch) = next {
                    // A space or separator in the template skips one non-alphanumeric
                    // character (`"Year" YYYY` reads "Year: 1976").
                    if !ch.is_alphanumeric() {
                        s = &s[ch.len_utf8()..];
                    }
                }
            }
            Node::Quoted(lit) if std => {
                // Standard mode: literal characters match exactly.
                for c in lit.chars() {
                    match s.strip_prefix(c) {
                        Some(rest) => s = rest,
                        None if s.is_empty() => break,
                        None => return Err(bad(format!("unmatched format character \"{c}\""))),
                    }
                }
            }
            Node::Quoted(lit) => {
                for _ in lit.chars() {
                    if let Some(ch) = s.chars().next() {
                        s = &s[ch.len_utf8()..];
                    }
                }
            }
            Node::Pat { pat, .. } => {
                if !std {
                    s = s.trim_start();
                }
                let next_is_digit_field = matches!(
                    nodes.get(idx + 1),
                    Some(Node::Pat { pat, .. }) if is_numeric_pat(*pat)
                );
                match pat {
                    Pat::MonthName(_) | Pat::MonthAbbr(_) => {
                        let full = matches!(pat, Pat::MonthName(_));
                        let found = MONTHS.iter().enumerate().find_map(|(i, m)| {
                            let name = m.to_lowercase();
                            if full && starts_ci(s, &name) {
                                Some((i, name.len()))
                            } else if starts_ci(s, &name[..3]) {
                                Some((i, 3))
                            } else {
                                None
                            }
                        });
                        let Some((i, len)) = found else {
                            return Err(invalid_value(s, *pat).with_detail(
                                "The given value did not match any of the allowed values for this field.",
                            ));
                        };
                        set_field(&mut p.mon, i as i64 + 1, *pat)?;
                        s = &s[len..];
                    }
                    Pat::Roman(_) => {
                        // The longest numeral first (VIII before VII, V).
                        const ROMAN: [(&str, i64); 12] = [
                            ("viii", 8),
                            ("iii", 3),
                            ("vii", 7),
                            ("xii", 12),
                            ("ii", 2),
                            ("iv", 4),
                            ("ix", 9),
                            ("vi", 6),
                            ("xi", 11),
                            ("i", 1),
                            ("v", 5),
                            ("x", 10),
                        ];
                        let Some((k, m)) = ROMAN.iter().find(|(k, _)| starts_ci(s, k)) else {
                            return Err(invalid_value(s, *pat).with_detail(
                                "The given value did not match any of the allowed values for this field.",
                            ));
                        };
                        set_field(&mut p.mon, *m, *pat)?;
                        s = &s[k.len()..];
                    }
                    Pat::DayName(_) | Pat::DayAbbr(_) => {
                        let full = matches!(pat, Pat::DayName(_));
                        let found = DAYS.iter().find_map(|d| {
                            let name = d.to_lowercase();
                            if full && starts_ci(s, &name) {
                                Some(name.len())
                            } else if starts_ci(s, &name[..3]) {
                                Some(3)
                            } else {
                                None
                            }
                        });
                        let Some(len) = found else {
                            return Err(invalid_value(s, *pat).with_detail(
                                "The given value did not match any of the allowed values for this field.",
                            ));
                        };
                        s = &s[len..];
                    }
                    Pat::Meridiem { .. } => {
                        let opts = [("a.m.", false), ("p.m.", true), ("am", false), ("pm", true)];
                        let Some((k, pm)) = opts.iter().find(|(k, _)| starts_ci(s, k)) else {
                            return Err(invalid_value(s, *pat).with_detail(
                                "The given value did not match any of the allowed values for this field.",
                            ));
                        };
                        p.pm = Some(*pm);
                        s = &s[k.len()..];
                    }
                    Pat::Era { .. } => {
                        let opts = [("a.d.", false), ("b.c.", true), ("ad", false), ("bc", true)];
                        let Some((k, bc)) = opts.iter().find(|(k, _)| starts_ci(s, k)) else {
                            return Err(invalid_value(s, *pat).with_detail(
                                "The given value did not match any of the allowed values for this field.",
                            ));
                        };
                        p.bc = *bc;
                        s = &s[k.len()..];
                    }
                    Pat::TzName(_) if !std => {
                        return Err(TypeError::new(
                            codes::FEATURE_NOT_SUPPORTED,
                            format!(
                                "formatting field \"{}\" is only supported in to_char",
                                pat_name(*pat)
                            ),
                        ));
                    }
                    Pat::Fx | Pat::TzName(_) => {}
                    Pat::TzHour if matches!(s.as_bytes().first(), Some(b'+' | b'-' | b' ')) => {
                        // PostgreSQL takes a sign (a space counts as `+`) before the hours,
                        // which may carry one of their own.
                        let neg = s.starts_with('-');
                        let (v, rest) = read_int(s[1..].trim_start_matches(' '), 2, true, *pat)?;
                        s = rest;
                        let h = (v as i32) * 3600;
                        p.tz_neg = neg != (v < 0);
                        p.tz_east = Some(if neg { -h } else { h });
                    }
                    Pat::TzHour | Pat::TzMinute | Pat::Offset => {
                        let (v, rest) = read_int(s, 2, true, *pat)?;
                        s = rest;
                        let east = p.tz_east.unwrap_or(0);
                        if *pat != Pat::TzMinute {
                            p.tz_neg = v < 0;
                        }
                        p.tz_east = Some(match pat {
                            Pat::TzMinute => {
                                if p.tz_neg {
                                    east - (v as i32) * 60
                                } else {
                                    east + (v as i32) * 60
                                }
                            }
                            _ => (v as i32) * 3600,
                        });
                    }
                    _ => {
                        let width = field_width(*pat);
                        let width =
                            if next_is_digit_field || matches!(pat, Pat::Millis | Pat::Micros) {
                                width
                            } else {
                                usize::MAX
                            };
                        // A fixed-width field before another digit field must be complete.
                        let fm = matches!(node, Node::Pat { fm: true, .. });
                        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
                        if !std && !fm && next_is_digit_field && digits < width && s.len() < width {
                            return Err(TypeError::new(
                                codes::INVALID_DATETIME_FORMAT,
                                format!(
                                    "source string too short for \"{}\" formatting field",
                                    pat_name(*pat)
                                ),
                            )
                            .with_detail(format!(
                                "Field requires {width} characters, but only {} remain.",
                                s.chars().count()
                            ))
                            .with_hint(
                                "If your source string is not fixed-width, try using the \"FM\" modifier.",
                            ));
                        }
                        let (v, rest) = if *pat == Pat::YearComma {
                            let (a, r) = read_int(s, 1_000, false, *pat)?;
                            let r = r.strip_prefix(',').unwrap_or(r);
                            let (b, r2) = read_int(r, 3, false, *pat)?;
                            (a * 1000 + b, r2)
                        } else {
                            read_int(s, width, false, *pat)?
                        };
                        let used = s.len() - rest.len();
                        s = rest;
                        // An ordinal suffix (`TH`: 1st, 582nd) is skipped.
                        if matches!(node, Node::Pat { th: Some(_), .. })
                            && s.len() >= 2
                            && s.as_bytes()[..2].iter().all(u8::is_ascii_alphabetic)
                        {
                            s = &s[2..];
                        }
                        match pat {
                            Pat::Year(_) | Pat::YearComma | Pat::IsoYear(_) => {
                                p.set_mode(matches!(pat, Pat::IsoYear(_)))?;
                                p.year = Some(v);
                                p.year_digits = if *pat == Pat::YearComma { 4 } else { used };
                                if matches!(pat, Pat::Year(4) | Pat::IsoYear(4)) || used > 3 {
                                    p.year_digits = 4;
                                }
                            }
                            Pat::MonthNum => {
                                p.set_mode(false)?;
                                set_field(&mut p.mon, v, *pat)?;
                            }
                            Pat::Mday => {
                                p.set_mode(false)?;
                                set_field(&mut p.mday, v, *pat)?;
                            }
                            Pat::Doy | Pat::IsoDoy => {
                                p.set_mode(*pat == Pat::IsoDoy)?;
                                p.doy = Some(v);
                            }
                            Pat::WeekOfYear | Pat::IsoWeek => {
                                p.set_mode(*pat == Pat::IsoWeek)?;
                                p.ww = Some(v);
                            }
                            Pat::WeekOfMonth => {
                                p.set_mode(false)?;
                                p.w = Some(v);
                            }
                            Pat::IsoDow => {
                                p.set_mode(true)?;
                                // PostgreSQL numbers it as D does: 1 = Sunday.
                                p.iso_dow = Some(if v + 1 > 7 { 1 } else { v + 1 });
                            }
                            Pat::Hh24 => p.hour = v,
                            Pat::Hh12 => {
                                p.hour = v;
                                p.hour12 = true;
                            }
                            Pat::Minute => p.min = v,
                            Pat::Second => p.sec = v,
                            Pat::Millis => {
                                p.fsec = v * 10i64.pow(3u32.saturating_sub(used as u32)) * 1000;
                            }
                            Pat::Micros => {
                                p.fsec = v * 10i64.pow(6u32.saturating_sub(used as u32));
                            }
                            Pat::Frac(n) => {
                                // All the digits are read, then rounded to n (as a typmod).
                                if used > 6 {
                                    return Err(p.field_overflow());
                                }
                                p.fsec = v * 10i64.pow(6u32.saturating_sub(used as u32));
                                p.fprec = Some(*n);
                            }
                            Pat::Julian => p.julian = Some(v),
                            Pat::SecsOfDay => {
                                if !(0..86_400).contains(&v) {
                                    return Err(p.field_overflow());
                                }
                                p.hour = v / 3600;
                                p.min = v / 60 % 60;
                                p.sec = v % 60;
                            }
                            Pat::Century => p.cc = Some(v),
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    if std && !s.is_empty() {
        return Err(bad(
            "trailing characters remain in input string after datetime format".into(),
        ));
    }
    Ok(p)
}

/// A value read by jsonpath's `.datetime(template)` (PostgreSQL's `parse_datetime` in
/// standard mode): its type follows from the template's fields (date, time, with a zone);
/// a `timestamptz` comes with the offset it was given in.
pub(crate) fn parse_datetime_std(input: &str, fmt: &str) -> TypeResult<(Value, Option<i32>)> {
    let nodes = parse_template(fmt);
    let (mut dated, mut timed, mut zoned) = (false, false, false);
    for n in &nodes {
        let Node::Pat { pat, .. } = n else { continue };
        match pat {
            Pat::Meridiem { .. }
            | Pat::Frac(_)
            | Pat::Hh24
            | Pat::Hh12
            | Pat::Minute
            | Pat::Millis
            | Pat::SecsOfDay
            | Pat::Second
            | Pat::Micros => timed = true,
            Pat::Offset | Pat::TzHour | Pat::TzMinute | Pat::TzName(_) => zoned = true,
            Pat::Fx => {}
            _ => dated = true,
        }
    }
    let bad = |m: &str| TypeError::new(codes::INVALID_DATETIME_FORMAT, m.to_owned());
    if !dated && !timed {
        return Err(bad("datetime format is not dated and not timed"));
    }
    if dated && zoned && !timed {
        return Err(bad("datetime format is zoned but not timed"));
    }
    let p = parse_formatted_mode(input, &nodes, true)?;
    if !(0..USECS_PER_SEC).contains(&p.fsec) {
        return Err(p.field_overflow());
    }
    let missing_tz = |t: &str| bad(&format!("missing time zone in input string for type {t}"));
    if !dated {
        // A time: the fields on an arbitrary day.
        let p2 = Parsed {
            year: Some(2000),
            year_digits: 4,
            ..p
        };
        let local = p2.to_timestamp()?;
        let t = local - days_from_civil(2000, 1, 1) * USECS_PER_DAY;
        if !(0..=USECS_PER_DAY).contains(&t) {
            return Err(p2.field_overflow());
        }
        return Ok(if zoned {
            let east = p2.tz_east.ok_or_else(|| missing_tz("timetz"))?;
            (Value::TimeTz(t, east), None)
        } else {
            (Value::Time(t), None)
        });
    }
    if !timed {
        return Ok((Value::Date(p.to_date()?), None));
    }
    let local = p.to_timestamp()?;
    if !zoned {
        return Ok((Value::Timestamp(local), None));
    }
    let east = p.tz_east.ok_or_else(|| missing_tz("timestamptz"))?;
    let utc = local
        .checked_sub(i64::from(east) * USECS_PER_SEC)
        .filter(|v| (MIN_TIMESTAMP..END_TIMESTAMP).contains(v))
        .ok_or_else(ts_out_of_range)?;
    Ok((Value::Timestamptz(utc), Some(east)))
}

/// Whether `s` starts with `prefix`, ignoring ASCII case (slicing `s` by `prefix.len()`
/// afterwards stays on a character boundary).
fn starts_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

fn is_numeric_pat(p: Pat) -> bool {
    !matches!(
        p,
        Pat::MonthName(_)
            | Pat::MonthAbbr(_)
            | Pat::DayName(_)
            | Pat::DayAbbr(_)
            | Pat::Meridiem { .. }
            | Pat::Era { .. }
            | Pat::Fx
            | Pat::TzName(_)
            | Pat::Roman(_)
    )
}

/// The digits a numeric template field reads when another follows it.
/// Sets a field read from the input; a second, different value for it is an error
/// (PostgreSQL's `from_char_set_int`).
fn set_field(field: &mut Option<i64>, v: i64, pat: Pat) -> TypeResult<()> {
    if let Some(old) = *field
        && old != v
    {
        return Err(TypeError::new(
            codes::INVALID_DATETIME_FORMAT,
            format!(
                "conflicting values for \"{}\" field in formatting string",
                pat_name(pat)
            ),
        )
        .with_detail("This value contradicts a previous setting for the same field type."));
    }
    *field = Some(v);
    Ok(())
}

fn field_width(pat: Pat) -> usize {
    match pat {
        Pat::Year(n) | Pat::IsoYear(n) => n as usize,
        Pat::YearComma => 5,
        Pat::Doy | Pat::IsoDoy => 3,
        Pat::Millis => 3,
        Pat::Micros => 6,
        Pat::Frac(n) => n as usize,
        Pat::Julian | Pat::SecsOfDay => 20,
        Pat::Quarter | Pat::Dow | Pat::IsoDow | Pat::WeekOfMonth => 1,
        _ => 2,
    }
}

fn invalid_value(s: &str, pat: Pat) -> TypeError {
    let shown: String = s.chars().take(pat_name(pat).len().max(1)).collect();
    TypeError::new(
        codes::INVALID_DATETIME_FORMAT,
        format!("invalid value \"{shown}\" for \"{}\"", pat_name(pat)),
    )
}

/// Reads up to `width` digits (an optional sign first when `signed`).
fn read_int(s: &str, width: usize, signed: bool, pat: Pat) -> TypeResult<(i64, &str)> {
    let mut end = 0;
    let b = s.as_bytes();
    if (signed || matches!(pat, Pat::Year(_))) && matches!(b.first(), Some(b'-' | b'+')) {
        end = 1;
    }
    let digits_start = end;
    while end < b.len() && b[end].is_ascii_digit() && end - digits_start < width {
        end += 1;
    }
    if end == digits_start {
        // PostgreSQL shows as many characters as the field's digits.
        let n = match pat {
            Pat::Julian | Pat::SecsOfDay => pat_name(pat).len(),
            _ => field_width(pat),
        };
        let shown: String = s.chars().take(n).collect();
        return Err(TypeError::new(
            codes::INVALID_DATETIME_FORMAT,
            format!("invalid value \"{shown}\" for \"{}\"", pat_name(pat)),
        )
        .with_detail("Value must be an integer."));
    }
    let v: i64 = s[..end].parse().map_err(|_| {
        TypeError::new(
            codes::DATETIME_FIELD_OVERFLOW,
            format!(
                "value for \"{}\" in source string is out of range",
                pat_name(pat)
            ),
        )
    })?;
    Ok((v, &s[end..]))
}
