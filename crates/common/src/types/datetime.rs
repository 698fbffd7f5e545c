//! `date`, `time`, `timestamp` and `timestamptz`: representation, input and output.
//!
//! # Representation (PostgreSQL's)
//!
//! - `date`: days since 2000-01-01 as `i32`; `i32::MIN` is `-infinity`, `i32::MAX` is
//!   `infinity`. Valid dates run from 4714-11-24 BC to 5874897-12-31.
//! - `time`: microseconds since midnight, `0..=86_400_000_000` (`24:00:00` is allowed).
//! - `timestamp` / `timestamptz`: microseconds since 2000-01-01 00:00:00 as `i64`;
//!   `i64::MIN` / `i64::MAX` are `-infinity` / `infinity`. A `timestamptz` is stored in UTC
//!   and shown in the session time zone. Valid values run from 4714-11-24 00:00:00 BC to
//!   294276-12-31 23:59:59.999999.
//!
//! The calendar is the proleptic Gregorian one with astronomical year numbering inside
//! (year 0 is 1 BC), as in PostgreSQL.
//!
//! # Input
//!
//! The parser follows PostgreSQL's two steps (`ParseDateTime`, then `DecodeDateTime`): the
//! string is cut into typed fields (number, date, time, time zone, word), then each field is
//! decoded according to what has been seen so far, with `DateStyle = ISO, MDY`: `1999-01-08`,
//! `1/8/1999`, `Jan-08-1999`, `08-Jan-1999`, `January 8, 1999`, `19990108`, `1999.008`,
//! `1999-01-08T04:05:06Z`, `04:05:06.789`, `4:05 PM`, `BC`/`AD`, the special words `epoch`,
//! `infinity`, `-infinity`, `now`, `today`, `tomorrow`, `yesterday`, `allballs`, numeric time
//! zone offsets (`+05`, `-0530`, `+05:30`) and the common fixed time zone abbreviations
//! (`UTC`, `GMT`, `Z`, `EST`, `PST`, `CET`, `JST`...).
//!
//! The session time zone ([`TimeZone`]) is UTC, a fixed offset or a zone of the tz database
//! ([`super::tz`]). **Not supported yet:** IANA time zone names inside input strings
//! (`2024-01-01 12:00 America/New_York`), Julian-day input (`J2451187`) and labelled ISO
//! fields (`y1999m01d08`), rejected as invalid syntax.

use super::error::{TypeError, TypeResult, codes};

/// Microseconds per second.
pub const USECS_PER_SEC: i64 = 1_000_000;
/// Microseconds per day.
pub const USECS_PER_DAY: i64 = 86_400_000_000;
/// `date` `-infinity`.
pub const DATE_NEG_INFINITY: i32 = i32::MIN;
/// `date` `infinity`.
pub const DATE_INFINITY: i32 = i32::MAX;
/// `timestamp` `-infinity`.
pub const TIMESTAMP_NEG_INFINITY: i64 = i64::MIN;
/// `timestamp` `infinity`.
pub const TIMESTAMP_INFINITY: i64 = i64::MAX;
/// Smallest valid timestamp: 4714-11-24 00:00:00 BC.
pub const MIN_TIMESTAMP: i64 = -211_813_488_000_000_000;
/// One past the largest valid timestamp: 294277-01-01 00:00:00.
pub const END_TIMESTAMP: i64 = 9_223_371_331_200_000_000;
/// Smallest valid date (days): 4714-11-24 BC.
pub const MIN_DATE: i32 = -2_451_545;
/// One past the largest valid date (days): 5874898-01-01.
pub const END_DATE: i32 = 2_145_031_949;

/// The session time zone used to read and show `timestamptz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeZone {
    /// UTC.
    #[default]
    Utc,
    /// A fixed offset, in seconds east of Greenwich (`+05:30` is `19800`).
    Fixed(i32),
    /// A zone of the tz database or a POSIX `TZ` string (see [`super::tz`]).
    Named(&'static super::tz::Zone),
}

impl TimeZone {
    /// The offset (seconds east of UTC) when it never changes.
    pub fn fixed_offset(&self) -> Option<i32> {
        match self {
            TimeZone::Utc => Some(0),
            TimeZone::Fixed(e) => Some(*e),
            TimeZone::Named(z) => z.fixed_offset(),
        }
    }

    /// The zone's abbreviation at the given instant (`UTC`, `PST`, `CEST`, `-03`); a fixed
    /// offset (`SET TIME ZONE INTERVAL '+05:30'`) is named by the offset, as PostgreSQL's
    /// zone for it is.
    pub fn abbrev(&self, utc_micros: i64) -> String {
        match self {
            TimeZone::Utc => "UTC".into(),
            TimeZone::Fixed(east) => {
                let mut s = String::new();
                push_offset(&mut s, *east);
                s
            }
            TimeZone::Named(z) => z.abbrev_at(utc_micros).to_owned(),
        }
    }

    /// Seconds east of UTC at the given instant (microseconds since 2000-01-01 UTC).
    pub fn offset_secs(&self, utc_micros: i64) -> i32 {
        match self {
            TimeZone::Utc => 0,
            TimeZone::Fixed(s) => *s,
            TimeZone::Named(z) => z.offset_at(utc_micros),
        }
    }

    /// Seconds east of UTC to subtract from the local wall-clock time `local_micros` to get
    /// UTC; for times skipped or repeated by a transition, PostgreSQL's choice (see
    /// [`super::tz`]).
    pub fn offset_for_local(&self, local_micros: i64) -> i32 {
        match self {
            TimeZone::Utc => 0,
            TimeZone::Fixed(s) => *s,
            TimeZone::Named(z) => z.offset_for_local_micros(local_micros),
        }
    }

    /// The zone named `name`: the names of UTC (`UTC`, `GMT`, `Etc/UTC`, `Z`, `Zulu`...,
    /// any case), a zone of the tz database (any case), or a POSIX `TZ` string (whose
    /// offsets count hours *west*: `UTC+5` is UTC-05). `None` otherwise.
    pub fn from_name(name: &str) -> Option<TimeZone> {
        // Called for every statement: compare without allocating a lowercase copy.
        const UTC: [&str; 13] = [
            "utc",
            "gmt",
            "etc/utc",
            "etc/gmt",
            "z",
            "uct",
            "universal",
            "zulu",
            "etc/uct",
            "etc/universal",
            "etc/zulu",
            "greenwich",
            "etc/greenwich",
        ];
        // The default setting, spelled as it is shown.
        if name == "UTC" {
            return Some(TimeZone::Utc);
        }
        let name = name.trim();
        if UTC.iter().any(|z| z.eq_ignore_ascii_case(name)) {
            return Some(TimeZone::Utc);
        }
        super::tz::load(name)
            .map(TimeZone::Named)
            .or_else(|| bare_posix_offset(name).map(TimeZone::Fixed))
    }
}

/// A POSIX offset without a zone name, `[+|-]hh:mm`, which PostgreSQL takes as a time zone:
/// as in POSIX, the sign is west of Greenwich (`-02:00` is two hours east, shown `+02`).
/// Seconds east, or `None` if `text` is not one (hours up to 167, as POSIX allows; a bare
/// number is read as hours east by the setting itself, not here).
///
/// ```
/// use basalt_common::types::datetime::bare_posix_offset;
/// assert_eq!(bare_posix_offset("-02:00"), Some(7200));
/// assert_eq!(bare_posix_offset("+05:30"), Some(-19800));
/// assert_eq!(bare_posix_offset("1:60"), None);
/// assert_eq!(bare_posix_offset("-2"), None);
/// ```
pub fn bare_posix_offset(text: &str) -> Option<i32> {
    let text = text.trim();
    let (west, rest) = match text.as_bytes().first()? {
        b'-' => (false, &text[1..]),
        b'+' => (true, &text[1..]),
        _ => (true, text),
    };
    let (h, m) = rest.split_once(':')?;
    let digits = |s: &str, max: i32| -> Option<i32> {
        if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok().filter(|v| *v <= max)
    };
    let seconds = digits(h, 167)? * 3600 + digits(m, 59)? * 60;
    Some(if west { -seconds } else { seconds })
}

/// Settings and inputs the I/O functions depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TypeContext {
    /// The session `TimeZone`.
    pub time_zone: TimeZone,
    /// The transaction start time (microseconds since 2000-01-01 UTC), for `now`, `today`,
    /// `tomorrow` and `yesterday`; `None` rejects those words.
    pub now: Option<i64>,
    /// Output settings of the numeric and binary types.
    pub output: OutputStyle,
}

/// The session settings that change how values print (`DateStyle`, `IntervalStyle`,
/// `extra_float_digits`, `bytea_output`; DateStyle's field order also reads dates); the
/// default is PostgreSQL's (`ISO, MDY`, `postgres`, 1, hex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutputStyle {
    /// `DateStyle`'s output format.
    pub date_output: DateOutput,
    /// `DateStyle`'s field order.
    pub date_order: DateOrder,
    /// `IntervalStyle`.
    pub interval_style: IntervalStyle,
    /// `extra_float_digits` (-15..=3): above 0, floats print as the shortest text that reads
    /// back exactly; otherwise with 15 (float8) / 6 (float4) plus this many digits.
    pub extra_float_digits: i8,
    /// `bytea_output = escape` (else hex).
    pub bytea_escape: bool,
}

/// `DateStyle`'s output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateOutput {
    /// `1997-12-17 07:37:16-08`.
    Iso,
    /// `12/17/1997 07:37:16.00 PST`.
    Sql,
    /// `Wed Dec 17 07:37:16 1997 PST`.
    Postgres,
    /// `17.12.1997 07:37:16.00 PST`.
    German,
}

/// `DateStyle`'s order of day, month and year, for input and for the SQL and Postgres
/// output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateOrder {
    /// Month, day, year.
    Mdy,
    /// Day, month, year.
    Dmy,
    /// Year, month, day.
    Ymd,
}

/// `IntervalStyle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntervalStyle {
    /// `1 year 2 mons 3 days 04:05:06`.
    Postgres,
    /// `@ 1 year 2 mons 3 days 4 hours 5 mins 6 secs`.
    PostgresVerbose,
    /// `1-2 3 4:05:06`.
    SqlStandard,
    /// `P1Y2M3DT4H5M6S`.
    Iso8601,
}

impl OutputStyle {
    /// The `DateStyle` setting's canonical text (`ISO, MDY`, `Postgres, DMY`, ...).
    pub fn set_date_style(&mut self, text: &str) {
        // The default, as SET and SHOW spell it: every statement's output style reads it.
        if text == "ISO, MDY" {
            self.date_output = DateOutput::Iso;
            self.date_order = DateOrder::Mdy;
            return;
        }
        for part in text.split(',').map(str::trim) {
            let is = |w: &str| part.eq_ignore_ascii_case(w);
            if is("iso") {
                self.date_output = DateOutput::Iso;
            } else if is("sql") {
                self.date_output = DateOutput::Sql;
            } else if is("postgres") {
                self.date_output = DateOutput::Postgres;
            } else if is("german") {
                self.date_output = DateOutput::German;
            } else if is("mdy") {
                self.date_order = DateOrder::Mdy;
            } else if is("dmy") {
                self.date_order = DateOrder::Dmy;
            } else if is("ymd") {
                self.date_order = DateOrder::Ymd;
            }
        }
    }
}

impl Default for OutputStyle {
    fn default() -> Self {
        OutputStyle {
            date_output: DateOutput::Iso,
            date_order: DateOrder::Mdy,
            interval_style: IntervalStyle::Postgres,
            extra_float_digits: 1,
            bytea_escape: false,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Calendar arithmetic.

/// Days from 2000-01-01 to the given proleptic Gregorian date (astronomical year).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Howard Hinnant's days_from_civil, shifted from 1970 to 2000.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468 - 10_957
}

/// The date (astronomical year, month, day) of a day number counted from 2000-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 10_957 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
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

/// PostgreSQL's `IS_VALID_JULIAN`: a coarse guard (November 4714 BC to May 5874898) that
/// keeps the day arithmetic in range.
fn is_valid_julian(y: i64, m: i64) -> bool {
    // Year and month only, as PostgreSQL's macro: the exact bounds are checked on the
    // resulting day or timestamp.
    (y > -4713 || (y == -4713 && m >= 11)) && (y < 5_874_898 || (y == 5_874_898 && m < 6))
}

// ---------------------------------------------------------------------------------------
// Tokenizer (PostgreSQL's ParseDateTime).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ft {
    Number,
    Date,
    Time,
    Tz,
    Str,
    Special,
}

/// Parse failure kinds, mapped to PostgreSQL's messages by [`dt_error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DtErr {
    BadFormat,
    /// A time zone name in the input that is not one (its lower-cased spelling).
    UnknownZone(String),
    FieldOverflow,
    MdFieldOverflow,
    TzDispOverflow,
    IntervalOverflow,
}

pub(crate) fn dt_error(e: DtErr, input: &str, type_name: &str) -> TypeError {
    match e {
        DtErr::BadFormat => TypeError::new(
            codes::INVALID_DATETIME_FORMAT,
            format!("invalid input syntax for type {type_name}: \"{input}\""),
        ),
        DtErr::UnknownZone(name) => TypeError::new(
            codes::INVALID_PARAMETER_VALUE,
            format!("time zone \"{name}\" not recognized"),
        ),
        DtErr::FieldOverflow => TypeError::new(
            codes::DATETIME_FIELD_OVERFLOW,
            format!("date/time field value out of range: \"{input}\""),
        ),
        DtErr::MdFieldOverflow => TypeError::new(
            codes::DATETIME_FIELD_OVERFLOW,
            format!("date/time field value out of range: \"{input}\""),
        )
        .with_hint("Perhaps you need a different \"datestyle\" setting."),
        DtErr::TzDispOverflow => TypeError::new(
            codes::INVALID_TIME_ZONE_DISPLACEMENT_VALUE,
            format!("time zone displacement out of range: \"{input}\""),
        ),
        DtErr::IntervalOverflow => TypeError::new(
            codes::INTERVAL_FIELD_OVERFLOW,
            format!("interval field value out of range: \"{input}\""),
        ),
    }
}

fn is_dt_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r')
}

/// Cuts the input into typed, lowercased fields.
pub(crate) fn tokenize(input: &str, for_interval: bool) -> Result<Vec<(Ft2, String)>, DtErr> {
    let b = input.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let take_while = |i: &mut usize, buf: &mut String, pred: &dyn Fn(u8) -> bool| {
        while *i < b.len() && pred(b[*i]) {
            buf.push(b[*i].to_ascii_lowercase() as char);
            *i += 1;
        }
    };
    while i < b.len() {
        let c = b[i];
        let mut buf = String::new();
        let ft;
        if is_dt_space(c) {
            i += 1;
            continue;
        } else if c.is_ascii_digit() {
            take_while(&mut i, &mut buf, &|c| c.is_ascii_digit());
            if i < b.len() && b[i] == b':' {
                ft = Ft::Time;
                take_while(&mut i, &mut buf, &|c| {
                    c.is_ascii_digit() || c == b':' || c == b'.'
                });
            } else if i < b.len() && matches!(b[i], b'-' | b'/' | b'.') {
                let delim = b[i];
                buf.push(delim as char);
                i += 1;
                if i < b.len() && b[i].is_ascii_digit() {
                    let mut t = if delim == b'.' { Ft::Number } else { Ft::Date };
                    take_while(&mut i, &mut buf, &|c| c.is_ascii_digit());
                    if i < b.len() && b[i] == delim {
                        t = Ft::Date;
                        take_while(&mut i, &mut buf, &|c| c.is_ascii_digit() || c == delim);
                    }
                    ft = t;
                } else {
                    ft = Ft::Date;
                    take_while(&mut i, &mut buf, &|c| {
                        c.is_ascii_alphanumeric() || c == delim
                    });
                }
            } else {
                ft = Ft::Number;
            }
        } else if c == b'.' {
            buf.push('.');
            i += 1;
            take_while(&mut i, &mut buf, &|c| c.is_ascii_digit());
            ft = Ft::Number;
        } else if c.is_ascii_alphabetic() {
            ft = Ft::Str;
            take_while(&mut i, &mut buf, &|c| c.is_ascii_alphabetic());
            let next = b.get(i).copied();
            let is_date = match next {
                Some(b'-' | b'/' | b'.') => true,
                // Only the core words count here, not zone abbreviations: `GMT+8` and
                // `PST+8` are POSIX zone names (PostgreSQL searches `datetktbl` only).
                Some(n) if n == b'+' || n.is_ascii_digit() => {
                    !for_interval
                        && !matches!(buf.as_str(), "z" | "zulu")
                        && matches!(keyword(&buf), None | Some(Kw::Tz(_)))
                }
                _ => false,
            };
            if is_date && !for_interval {
                take_while(&mut i, &mut buf, &|c| {
                    matches!(c, b'+' | b'-' | b'/' | b'_' | b'.' | b':')
                        || c.is_ascii_alphanumeric()
                });
                out.push((Ft2(Ft::Date), buf));
                continue;
            }
        } else if c == b'+' || c == b'-' {
            buf.push(c as char);
            i += 1;
            while i < b.len() && is_dt_space(b[i]) {
                i += 1;
            }
            match b.get(i) {
                Some(d) if d.is_ascii_digit() => {
                    ft = Ft::Tz;
                    take_while(&mut i, &mut buf, &|c| {
                        c.is_ascii_digit() || c == b':' || c == b'.' || c == b'-'
                    });
                }
                Some(a) if a.is_ascii_alphabetic() => {
                    ft = Ft::Special;
                    take_while(&mut i, &mut buf, &|c| c.is_ascii_alphabetic());
                }
                _ => return Err(DtErr::BadFormat),
            }
        } else if c.is_ascii_punctuation() {
            i += 1;
            continue;
        } else {
            return Err(DtErr::BadFormat);
        }
        out.push((Ft2(ft), buf));
    }
    Ok(out)
}

/// A field type (newtype so the tokenizer can be shared with the interval parser).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ft2(Ft);

impl Ft2 {
    pub(crate) fn is_number(self) -> bool {
        self.0 == Ft::Number
    }
    pub(crate) fn is_time(self) -> bool {
        self.0 == Ft::Time
    }
    pub(crate) fn is_tz(self) -> bool {
        self.0 == Ft::Tz
    }
    pub(crate) fn is_date(self) -> bool {
        self.0 == Ft::Date
    }
    pub(crate) fn is_word(self) -> bool {
        matches!(self.0, Ft::Str | Ft::Special)
    }
}

// ---------------------------------------------------------------------------------------
// Keywords.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kw {
    Month(i64),
    Dow,
    Julian,
    Am,
    Pm,
    Ad,
    Bc,
    Epoch,
    Late,
    Early,
    Now,
    Today,
    Tomorrow,
    Yesterday,
    Allballs,
    IsoTime,
    Ignore,
    /// `DST` after a zone abbreviation: an hour east of it (`MET DST`).
    Dst,
    /// A time zone abbreviation: seconds east of UTC.
    Tz(i32),
}

fn keyword(w: &str) -> Option<Kw> {
    Some(match w {
        "jan" | "january" => Kw::Month(1),
        "feb" | "february" => Kw::Month(2),
        "mar" | "march" => Kw::Month(3),
        "apr" | "april" => Kw::Month(4),
        "may" => Kw::Month(5),
        "jun" | "june" => Kw::Month(6),
        "jul" | "july" => Kw::Month(7),
        "aug" | "august" => Kw::Month(8),
        "sep" | "sept" | "september" => Kw::Month(9),
        "oct" | "october" => Kw::Month(10),
        "nov" | "november" => Kw::Month(11),
        "dec" | "december" => Kw::Month(12),
        "sun" | "sunday" | "mon" | "monday" | "tue" | "tues" | "tuesday" | "wed" | "wednesday"
        | "thu" | "thur" | "thurs" | "thursday" | "fri" | "friday" | "sat" | "saturday" => Kw::Dow,
        "am" | "a.m." => Kw::Am,
        "pm" | "p.m." => Kw::Pm,
        "ad" => Kw::Ad,
        "bc" => Kw::Bc,
        "epoch" => Kw::Epoch,
        "infinity" | "+infinity" => Kw::Late,
        "-infinity" => Kw::Early,
        "now" => Kw::Now,
        "today" => Kw::Today,
        "tomorrow" => Kw::Tomorrow,
        "yesterday" => Kw::Yesterday,
        "allballs" => Kw::Allballs,
        "t" => Kw::IsoTime,
        "j" | "jd" | "julian" => Kw::Julian,
        "on" | "at" => Kw::Ignore,
        "dst" => Kw::Dst,
        _ => return tz_abbrev(w).map(Kw::Tz),
    })
}

/// The offset of a time zone abbreviation (lower case) in seconds east of UTC: a subset of
/// PostgreSQL's default `timezone_abbreviations` (fixed offsets only).
pub fn tz_abbrev(w: &str) -> Option<i32> {
    let h = 3600;
    Some(match w {
        "utc" | "gmt" | "z" | "zulu" | "ut" | "uct" | "wet" => 0,
        "west" | "bst" | "cet" | "met" | "wat" => h,
        "cest" | "mest" | "eet" | "ist" | "sast" | "cat" => 2 * h,
        "eest" | "msk" | "eat" => 3 * h,
        "msd" => 4 * h,
        "jst" | "kst" => 9 * h,
        "aest" => 10 * h,
        "aedt" => 11 * h,
        "nzst" => 12 * h,
        "nzdt" => 13 * h,
        "ast" | "edt" => -4 * h,
        "adt" => -3 * h,
        "est" | "cdt" => -5 * h,
        "cst" | "mdt" => -6 * h,
        "mst" | "pdt" => -7 * h,
        "pst" | "akdt" => -8 * h,
        "akst" => -9 * h,
        "hst" => -10 * h,
        "nst" => -(3 * h + 1800),
        "ndt" => -(2 * h + 1800),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// Field decoding (PostgreSQL's DecodeDateTime and helpers).

const F_YEAR: u32 = 1;
const F_MONTH: u32 = 2;
const F_DAY: u32 = 4;
const F_DOY: u32 = 8;
const F_HOUR: u32 = 16;
const F_MIN: u32 = 32;
const F_SEC: u32 = 64;
const F_TZ: u32 = 128;
const F_AMPM: u32 = 256;
const F_ADBC: u32 = 512;
const F_DOW: u32 = 1024;
/// PostgreSQL 15's `DTK_M(RESERV)`: what `epoch`, `infinity` and `-infinity` claim, so that
/// two of them conflict but they override other fields (the last special word wins).
const F_RESERV: u32 = 2048;
const DATE_M: u32 = F_YEAR | F_MONTH | F_DAY;
const TIME_M: u32 = F_HOUR | F_MIN | F_SEC;

/// Decoded broken-down time.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tm {
    pub(crate) year: i64,
    pub(crate) mon: i64,
    pub(crate) mday: i64,
    pub(crate) yday: i64,
    pub(crate) hour: i64,
    pub(crate) min: i64,
    pub(crate) sec: i64,
    pub(crate) fsec: i64,
}

/// What the input denoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dtype {
    Date,
    Epoch,
    Late,
    Early,
}

/// C `strtol` on a prefix: optional whitespace and sign, digits; returns value and rest.
pub(crate) fn strtol(s: &str) -> Result<(i64, &str), DtErr> {
    let t = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = body
        .bytes()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(body.len());
    if end == 0 {
        return Ok((0, s));
    }
    let mut v: i64 = 0;
    for c in body[..end].bytes() {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(c - b'0')))
            .ok_or(DtErr::FieldOverflow)?;
        if v > i64::from(i32::MAX) {
            return Err(DtErr::FieldOverflow);
        }
    }
    Ok((if neg { -v } else { v }, &body[end..]))
}

/// `.fff` → microseconds, rounded like `rint(frac * 1e6)`.
pub(crate) fn parse_fraction(s: &str) -> Result<i64, DtErr> {
    if !s.starts_with('.') || !s[1..].bytes().all(|c| c.is_ascii_digit()) {
        return Err(DtErr::BadFormat);
    }
    let frac: f64 = format!("0{s}").parse().map_err(|_| DtErr::BadFormat)?;
    Ok((frac * 1e6).round_ties_even() as i64)
}

fn decode_time(s: &str, tm: &mut Tm) -> Result<(), DtErr> {
    let (hour, rest) = strtol(s)?;
    let Some(rest) = rest.strip_prefix(':') else {
        return Err(DtErr::BadFormat);
    };
    let (min, rest) = strtol(rest)?;
    tm.hour = hour;
    tm.min = min;
    tm.sec = 0;
    tm.fsec = 0;
    if rest.is_empty() {
    } else if rest.starts_with('.') {
        tm.fsec = parse_fraction(rest)?;
        tm.sec = tm.min;
        tm.min = tm.hour;
        tm.hour = 0;
    } else if let Some(rest) = rest.strip_prefix(':') {
        let (sec, rest) = strtol(rest)?;
        tm.sec = sec;
        if !rest.is_empty() {
            tm.fsec = parse_fraction(rest)?;
        }
    } else {
        return Err(DtErr::BadFormat);
    }
    if tm.hour < 0
        || tm.min < 0
        || tm.min > 59
        || tm.sec < 0
        || tm.sec > 60
        || tm.fsec < 0
        || tm.fsec > USECS_PER_SEC
    {
        return Err(DtErr::FieldOverflow);
    }
    Ok(())
}

fn time_overflows(tm: &Tm) -> bool {
    if tm.hour < 0
        || tm.hour > 24
        || tm.min < 0
        || tm.min >= 60
        || tm.sec < 0
        || tm.sec > 60
        || tm.fsec < 0
        || tm.fsec > USECS_PER_SEC
    {
        return true;
    }
    ((tm.hour * 60 + tm.min) * 60 + tm.sec) * USECS_PER_SEC + tm.fsec > USECS_PER_DAY
}

/// `+hh[:mm[:ss]]` / `-hhmm` → seconds *west* of UTC (PostgreSQL's sign convention).
pub(crate) fn decode_timezone(s: &str) -> Result<i32, DtErr> {
    let neg = match s.as_bytes().first() {
        Some(b'+') => false,
        Some(b'-') => true,
        _ => return Err(DtErr::BadFormat),
    };
    let (mut hr, rest) = strtol(&s[1..]).map_err(|_| DtErr::TzDispOverflow)?;
    let mut min = 0;
    let mut sec = 0;
    let mut cp = rest;
    if let Some(r) = rest.strip_prefix(':') {
        let (m, r2) = strtol(r).map_err(|_| DtErr::TzDispOverflow)?;
        min = m;
        cp = r2;
        if let Some(r3) = r2.strip_prefix(':') {
            let (sv, r4) = strtol(r3).map_err(|_| DtErr::TzDispOverflow)?;
            sec = sv;
            cp = r4;
        }
    } else if rest.is_empty() && s.len() > 3 {
        min = hr % 100;
        hr /= 100;
    }
    if !(0..=15).contains(&hr) || !(0..60).contains(&min) || !(0..60).contains(&sec) {
        return Err(DtErr::TzDispOverflow);
    }
    let tz = ((hr * 60 + min) * 60 + sec) as i32;
    if !cp.is_empty() {
        return Err(DtErr::BadFormat);
    }
    Ok(if neg { tz } else { -tz })
}

struct DateParse {
    order: DateOrder,
    tm: Tm,
    fmask: u32,
    have_text_month: bool,
    is2digits: bool,
}

fn decode_number(flen: usize, s: &str, st: &mut DateParse, tmask: &mut u32) -> Result<(), DtErr> {
    *tmask = 0;
    let (val, rest) = strtol(s)?;
    if rest.len() == s.len() {
        return Err(DtErr::BadFormat);
    }
    if rest.starts_with('.') {
        if s.len() - rest.len() > 2 {
            return decode_number_field(s, st.fmask | DATE_M, tmask, &mut st.tm, &mut st.is2digits);
        }
        st.tm.fsec = parse_fraction(rest)?;
    } else if !rest.is_empty() {
        return Err(DtErr::BadFormat);
    }
    if flen == 3 && (st.fmask & DATE_M) == F_YEAR && (1..=366).contains(&val) {
        *tmask = F_DOY | F_MONTH | F_DAY;
        st.tm.yday = val;
        return Ok(());
    }
    let tm = &mut st.tm;
    let ymd = st.order == DateOrder::Ymd;
    match st.fmask & DATE_M {
        // The first number: a year of 3+ digits, else DateStyle's first field.
        0 => {
            if flen >= 3 || ymd {
                *tmask = F_YEAR;
                tm.year = val;
            } else if st.order == DateOrder::Dmy {
                *tmask = F_DAY;
                tm.mday = val;
            } else {
                *tmask = F_MONTH;
                tm.mon = val;
            }
        }
        F_YEAR => {
            *tmask = F_MONTH;
            tm.mon = val;
        }
        F_MONTH => {
            if st.have_text_month && (flen >= 3 || ymd) {
                *tmask = F_YEAR;
                tm.year = val;
            } else {
                *tmask = F_DAY;
                tm.mday = val;
            }
        }
        m if m == F_YEAR | F_MONTH => {
            if st.have_text_month && flen >= 3 && st.is2digits {
                *tmask = F_DAY;
                tm.mday = tm.year;
                tm.year = val;
                st.is2digits = false;
            } else {
                *tmask = F_DAY;
                tm.mday = val;
            }
        }
        F_DAY => {
            *tmask = F_MONTH;
            tm.mon = val;
        }
        m if m == F_MONTH | F_DAY => {
            *tmask = F_YEAR;
            tm.year = val;
        }
        DATE_M => return decode_number_field(s, st.fmask, tmask, &mut st.tm, &mut st.is2digits),
        _ => return Err(DtErr::BadFormat),
    }
    if *tmask == F_YEAR {
        st.is2digits = flen <= 2;
    }
    Ok(())
}

/// Run-together digits: `YYYYMMDD`, `YYMMDD`, `hhmmss`, `hhmm`, optionally with a fraction.
fn decode_number_field(
    s: &str,
    fmask: u32,
    tmask: &mut u32,
    tm: &mut Tm,
    is2digits: &mut bool,
) -> Result<(), DtErr> {
    let mut digits = s;
    if let Some(dot) = s.find('.') {
        tm.fsec = parse_fraction(&s[dot..])?;
        digits = &s[..dot];
    } else if (fmask & DATE_M) != DATE_M && digits.len() >= 6 {
        let n = digits.len();
        let num = |t: &str| t.parse::<i64>().map_err(|_| DtErr::BadFormat);
        *tmask = DATE_M;
        tm.mday = num(&digits[n - 2..])?;
        tm.mon = num(&digits[n - 4..n - 2])?;
        tm.year = num(&digits[..n - 4])?;
        if n - 4 == 2 {
            *is2digits = true;
        }
        return Ok(());
    }
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(DtErr::BadFormat);
    }
    if (fmask & TIME_M) != TIME_M {
        let num = |t: &str| t.parse::<i64>().map_err(|_| DtErr::BadFormat);
        if digits.len() == 6 {
            *tmask = TIME_M;
            tm.sec = num(&digits[4..])?;
            tm.min = num(&digits[2..4])?;
            tm.hour = num(&digits[..2])?;
            return Ok(());
        } else if digits.len() == 4 {
            *tmask = TIME_M;
            tm.sec = 0;
            tm.min = num(&digits[2..])?;
            tm.hour = num(&digits[..2])?;
            return Ok(());
        }
    }
    Err(DtErr::BadFormat)
}

fn decode_date(s: &str, st: &mut DateParse, tmask: &mut u32) -> Result<(), DtErr> {
    let b = s.as_bytes();
    let mut fields: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && !b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i >= b.len() {
            return Err(DtErr::BadFormat);
        }
        let start = i;
        if b[i].is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        } else {
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
        }
        fields.push(&s[start..i]);
        if i < b.len() && !b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if fields.len() > 25 {
            return Err(DtErr::BadFormat);
        }
    }
    let mut numeric = Vec::new();
    for f in fields {
        if f.as_bytes()
            .first()
            .is_some_and(|c| c.is_ascii_alphabetic())
        {
            match keyword(f) {
                Some(Kw::Ignore) => continue,
                Some(Kw::Month(m)) => {
                    st.tm.mon = m;
                    st.have_text_month = true;
                    if st.fmask & F_MONTH != 0 {
                        return Err(DtErr::BadFormat);
                    }
                    st.fmask |= F_MONTH;
                    *tmask |= F_MONTH;
                }
                _ => return Err(DtErr::BadFormat),
            }
        } else {
            numeric.push(f);
        }
    }
    for f in numeric {
        if f.is_empty() {
            return Err(DtErr::BadFormat);
        }
        let mut dmask = 0;
        decode_number(f.len(), f, st, &mut dmask)?;
        if st.fmask & dmask != 0 {
            return Err(DtErr::BadFormat);
        }
        st.fmask |= dmask;
        *tmask |= dmask;
    }
    if (st.fmask & !(F_DOY | F_TZ)) & DATE_M != DATE_M {
        return Err(DtErr::BadFormat);
    }
    Ok(())
}

fn validate_date(st: &mut DateParse, bc: bool, julian: bool) -> Result<(), DtErr> {
    let tm = &mut st.tm;
    if st.fmask & F_YEAR != 0 {
        if julian {
            // The year came from a Julian day number and is already astronomical.
        } else if bc {
            if tm.year <= 0 {
                return Err(DtErr::FieldOverflow);
            }
            tm.year = -(tm.year - 1);
        } else if st.is2digits {
            if tm.year < 0 {
                return Err(DtErr::FieldOverflow);
            }
            if tm.year < 70 {
                tm.year += 2000;
            } else if tm.year < 100 {
                tm.year += 1900;
            }
        } else if tm.year <= 0 {
            return Err(DtErr::FieldOverflow);
        }
    }
    if st.fmask & F_DOY != 0 {
        let (_, m, d) = civil_from_days(days_from_civil(tm.year, 1, 1) + tm.yday - 1);
        tm.mon = i64::from(m);
        tm.mday = i64::from(d);
    }
    if st.fmask & F_MONTH != 0 && !(1..=12).contains(&tm.mon) {
        return Err(DtErr::MdFieldOverflow);
    }
    if st.fmask & F_DAY != 0 && !(1..=31).contains(&tm.mday) {
        return Err(DtErr::MdFieldOverflow);
    }
    if st.fmask & DATE_M == DATE_M && tm.mday > days_in_month(tm.year, tm.mon) {
        return Err(DtErr::FieldOverflow);
    }
    Ok(())
}

/// The outcome of decoding a date/time string.
pub(crate) struct Decoded {
    dtype: Dtype,
    pub(crate) tm: Tm,
    /// Explicit zone in the input: seconds east of UTC.
    tz_east: Option<i32>,
    /// A zone name in the input (`America/New_York`), whose offset depends on the date.
    tz_named: Option<TimeZone>,
    /// The fields present (`F_*` bits).
    fmask: u32,
}

/// PostgreSQL's `DecodeDateTime` (`time_only = false`) or `DecodeTimeOnly` (`true`).
fn decode(input: &str, ctx: &TypeContext, time_only: bool) -> Result<Decoded, DtErr> {
    let fields = tokenize(input, false)?;
    let mut st = DateParse {
        order: ctx.output.date_order,
        tm: Tm::default(),
        fmask: 0,
        have_text_month: false,
        is2digits: false,
    };
    let mut dtype = Dtype::Date;
    let mut tz_east: Option<i32> = None;
    let mut tz_named: Option<TimeZone> = None;
    let mut bc = false;
    let mut mer: Option<bool> = None; // Some(true) = PM
    let mut iso_t = false;
    let mut julian_next = false;
    let mut is_julian = false;
    for (idx, (ft, field)) in fields.iter().enumerate() {
        let mut tmask: u32 = 0;
        match ft.0 {
            Ft::Number | Ft::Date if julian_next => {
                julian_next = false;
                // A Julian day, with a fraction of a day or (a date-like field) a zone after
                // it, as PostgreSQL's DecodeDateTime reads them.
                let digits = field.bytes().take_while(u8::is_ascii_digit).count();
                let jd: i64 = field[..digits].parse().map_err(|_| DtErr::BadFormat)?;
                if jd < 0 || jd > i64::from(i32::MAX) {
                    return Err(DtErr::FieldOverflow);
                }
                // Julian day 2451545 is 2000-01-01.
                let (y, m, d) = civil_from_days(jd - 2_451_545);
                st.tm.year = y;
                st.tm.mon = i64::from(m);
                st.tm.mday = i64::from(d);
                is_julian = true;
                tmask = DATE_M;
                let rest = &field[digits..];
                if ft.0 == Ft::Date {
                    if rest.is_empty() {
                        return Err(DtErr::BadFormat);
                    }
                    tz_east = Some(-decode_timezone(rest)?);
                    tmask = DATE_M | TIME_M | F_TZ;
                } else if let Some(frac) = rest.strip_prefix('.') {
                    if !frac.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(DtErr::BadFormat);
                    }
                    let f: f64 = format!("0.{frac}").parse().map_err(|_| DtErr::BadFormat)?;
                    let t = (f * USECS_PER_DAY as f64).round() as i64;
                    st.tm.hour = t / 3_600_000_000;
                    st.tm.min = t / 60_000_000 % 60;
                    st.tm.sec = t / USECS_PER_SEC % 60;
                    st.tm.fsec = t % USECS_PER_SEC;
                    tmask |= TIME_M;
                } else if !rest.is_empty() {
                    return Err(DtErr::BadFormat);
                }
            }
            Ft::Date
                if !iso_t
                    && field
                        .as_bytes()
                        .first()
                        .is_some_and(u8::is_ascii_alphabetic)
                    && (st.fmask & DATE_M) == DATE_M =>
            {
                // A zone name with punctuation (America/New_York) after the date.
                let name = field.to_ascii_lowercase();
                let zone = TimeZone::from_name(&name).ok_or(DtErr::UnknownZone(name))?;
                tz_named = Some(zone);
                tmask = F_TZ;
            }
            Ft::Date => {
                if iso_t || (st.fmask & DATE_M) == DATE_M {
                    // Run-together time with a trailing zone: hhmmss-zz.
                    if !field.as_bytes().first().is_some_and(u8::is_ascii_digit) && !iso_t {
                        return Err(DtErr::BadFormat);
                    }
                    let Some(pos) = field.find(['-', '+']) else {
                        return Err(DtErr::BadFormat);
                    };
                    let west = decode_timezone(&field[pos..])?;
                    tz_east = Some(-west);
                    let mut m2 = 0;
                    decode_number_field(
                        &field[..pos],
                        st.fmask | DATE_M,
                        &mut m2,
                        &mut st.tm,
                        &mut st.is2digits,
                    )?;
                    tmask = m2 | F_TZ;
                    iso_t = false;
                } else {
                    // A time takes a date only as its first field (DecodeTimeOnly).
                    if time_only && idx != 0 {
                        return Err(DtErr::BadFormat);
                    }
                    decode_date(field, &mut st, &mut tmask)?;
                    // decode_date already merged into fmask
                    continue;
                }
            }
            Ft::Time => {
                iso_t = false;
                decode_time(field, &mut st.tm)?;
                tmask = TIME_M;
                if time_overflows(&st.tm) {
                    return Err(DtErr::FieldOverflow);
                }
            }
            Ft::Tz => {
                tz_east = Some(-decode_timezone(field)?);
                tmask = F_TZ;
            }
            Ft::Number => {
                if iso_t {
                    decode_number_field(
                        field,
                        st.fmask | DATE_M,
                        &mut tmask,
                        &mut st.tm,
                        &mut st.is2digits,
                    )?;
                    if tmask != TIME_M {
                        return Err(DtErr::BadFormat);
                    }
                    iso_t = false;
                } else {
                    let flen = field.len();
                    let has_dot = field.contains('.');
                    let before_dot = field.find('.').unwrap_or(flen);
                    if time_only {
                        if has_dot && before_dot > 2
                            || flen >= 4 && !has_dot && (st.fmask & TIME_M) != TIME_M
                        {
                            decode_number_field(
                                field,
                                st.fmask | DATE_M,
                                &mut tmask,
                                &mut st.tm,
                                &mut st.is2digits,
                            )?;
                        } else if st.fmask & DATE_M == 0
                            && st.fmask & F_HOUR == 0
                            && !has_dot
                            && mer_follows(&fields, idx)
                        {
                            // "4 pm": a lone hour before AM/PM.
                            st.tm.hour = field.parse().map_err(|_| DtErr::BadFormat)?;
                            st.tm.min = 0;
                            st.tm.sec = 0;
                            tmask = TIME_M;
                        } else {
                            decode_number(flen, field, &mut st, &mut tmask)?;
                        }
                    } else if has_dot && st.fmask & DATE_M == 0 {
                        decode_date(field, &mut st, &mut tmask)?;
                        continue;
                    } else if (has_dot && before_dot > 2)
                        || (flen >= 6 && ((st.fmask & DATE_M) == 0 || (st.fmask & TIME_M) == 0))
                    {
                        // Run-together date or time (20011223, 040506, 040506.789).
                        decode_number_field(
                            field,
                            st.fmask,
                            &mut tmask,
                            &mut st.tm,
                            &mut st.is2digits,
                        )?;
                    } else {
                        decode_number(flen, field, &mut st, &mut tmask)?;
                    }
                }
            }
            Ft::Str | Ft::Special => {
                let Some(kw) = keyword(field) else {
                    // Unknown words, including IANA zone names (not supported yet).
                    return Err(DtErr::BadFormat);
                };
                match kw {
                    Kw::Ignore => continue,
                    Kw::Dst => {
                        // PostgreSQL's DTZMOD: the zone so far, an hour later.
                        tz_east = Some(tz_east.unwrap_or(0) + 3600);
                        continue;
                    }
                    Kw::Month(m) => {
                        if st.fmask & F_MONTH != 0
                            && !st.have_text_month
                            && st.fmask & F_DAY == 0
                            && (1..=31).contains(&st.tm.mon)
                        {
                            st.tm.mday = st.tm.mon;
                            tmask = F_DAY;
                        } else {
                            tmask = F_MONTH;
                        }
                        st.have_text_month = true;
                        st.tm.mon = m;
                    }
                    Kw::Dow => tmask = F_DOW,
                    Kw::Julian => {
                        julian_next = true;
                        continue;
                    }
                    Kw::Am | Kw::Pm => {
                        mer = Some(kw == Kw::Pm);
                        tmask = F_AMPM;
                    }
                    Kw::Ad | Kw::Bc => {
                        bc = kw == Kw::Bc;
                        tmask = F_ADBC;
                    }
                    Kw::Tz(east) => {
                        tz_east = Some(east);
                        tmask = F_TZ;
                    }
                    Kw::IsoTime => {
                        if !time_only && (st.fmask & DATE_M) != DATE_M {
                            return Err(DtErr::BadFormat);
                        }
                        match fields.get(idx + 1) {
                            Some((f, _)) if matches!(f.0, Ft::Number | Ft::Time | Ft::Date) => {}
                            _ => return Err(DtErr::BadFormat),
                        }
                        iso_t = true;
                        continue;
                    }
                    Kw::Allballs => {
                        st.tm.hour = 0;
                        st.tm.min = 0;
                        st.tm.sec = 0;
                        st.tm.fsec = 0;
                        tz_east = Some(0);
                        dtype = Dtype::Date;
                        tmask = TIME_M | F_TZ;
                    }
                    Kw::Epoch | Kw::Late | Kw::Early => {
                        if time_only {
                            return Err(DtErr::BadFormat);
                        }
                        dtype = match kw {
                            Kw::Epoch => Dtype::Epoch,
                            Kw::Late => Dtype::Late,
                            _ => Dtype::Early,
                        };
                        tmask = F_RESERV;
                    }
                    Kw::Now | Kw::Today | Kw::Tomorrow | Kw::Yesterday => {
                        let Some(now) = ctx.now else {
                            return Err(DtErr::BadFormat);
                        };
                        let local = now.saturating_add(
                            i64::from(ctx.time_zone.offset_secs(now)) * USECS_PER_SEC,
                        );
                        let days = local.div_euclid(USECS_PER_DAY);
                        let (y, m, d) = civil_from_days(
                            days + match kw {
                                Kw::Tomorrow => 1,
                                Kw::Yesterday => -1,
                                _ => 0,
                            },
                        );
                        st.tm.year = y;
                        st.tm.mon = i64::from(m);
                        st.tm.mday = i64::from(d);
                        // (PostgreSQL 15: a later `now` / `today` undoes an earlier `epoch`)
                        dtype = Dtype::Date;
                        tmask = DATE_M;
                        if kw == Kw::Now {
                            let t = local.rem_euclid(USECS_PER_DAY);
                            st.tm.hour = t / 3_600_000_000;
                            st.tm.min = t / 60_000_000 % 60;
                            st.tm.sec = t / USECS_PER_SEC % 60;
                            st.tm.fsec = t % USECS_PER_SEC;
                            tz_east = Some(ctx.time_zone.offset_secs(now));
                            tmask = DATE_M | TIME_M | F_TZ;
                        }
                        if time_only && kw != Kw::Now {
                            return Err(DtErr::BadFormat);
                        }
                        // Already absolute: don't let year adjustment touch it.
                        st.is2digits = false;
                        if bc {
                            return Err(DtErr::BadFormat);
                        }
                    }
                }
            }
        }
        if tmask & st.fmask != 0 {
            return Err(DtErr::BadFormat);
        }
        st.fmask |= tmask;
    }
    if iso_t || julian_next {
        return Err(DtErr::BadFormat);
    }
    if dtype == Dtype::Date {
        validate_date(&mut st, bc, is_julian)?;
    }
    if let Some(pm) = mer {
        if st.tm.hour > 12 {
            return Err(DtErr::FieldOverflow);
        }
        if !pm && st.tm.hour == 12 {
            st.tm.hour = 0;
        } else if pm && st.tm.hour != 12 {
            st.tm.hour += 12;
        }
    }
    if time_only {
        if st.fmask & TIME_M != TIME_M {
            return Err(DtErr::BadFormat);
        }
        if time_overflows(&st.tm) {
            return Err(DtErr::FieldOverflow);
        }
    } else if dtype == Dtype::Date && st.fmask & DATE_M != DATE_M {
        return Err(DtErr::BadFormat);
    }
    Ok(Decoded {
        dtype,
        tm: st.tm,
        tz_east,
        tz_named,
        fmask: st.fmask,
    })
}

fn mer_follows(fields: &[(Ft2, String)], idx: usize) -> bool {
    fields
        .get(idx + 1)
        .is_some_and(|(_, w)| matches!(keyword(w), Some(Kw::Am | Kw::Pm)))
}

// ---------------------------------------------------------------------------------------
// Conversions between broken-down time and the stored integers.

fn tm_time_micros(tm: &Tm) -> i64 {
    ((tm.hour * 60 + tm.min) * 60 + tm.sec) * USECS_PER_SEC + tm.fsec
}

/// Broken-down local time to timestamp microseconds, with PostgreSQL's range checks.
/// The range is checked by the caller, after any zone adjustment, as PostgreSQL does.
fn tm_to_timestamp(tm: &Tm) -> Option<i64> {
    if !is_valid_julian(tm.year, tm.mon) {
        return None;
    }
    let days = days_from_civil(tm.year, tm.mon as u32, tm.mday as u32);
    days.checked_mul(USECS_PER_DAY)?
        .checked_add(tm_time_micros(tm))
}

/// `date_in`.
pub fn parse_date(input: &str, ctx: &TypeContext) -> TypeResult<i32> {
    let d = decode(input, ctx, false).map_err(|e| dt_error(e, input, "date"))?;
    match d.dtype {
        Dtype::Epoch => Ok(days_from_civil(1970, 1, 1) as i32),
        Dtype::Late => Ok(DATE_INFINITY),
        Dtype::Early => Ok(DATE_NEG_INFINITY),
        Dtype::Date => {
            let out_of_range = || {
                TypeError::new(
                    codes::DATETIME_FIELD_OVERFLOW,
                    format!("date out of range: \"{input}\""),
                )
            };
            if !is_valid_julian(d.tm.year, d.tm.mon) {
                return Err(out_of_range());
            }
            let days = days_from_civil(d.tm.year, d.tm.mon as u32, d.tm.mday as u32);
            if days < i64::from(MIN_DATE) || days >= i64::from(END_DATE) {
                return Err(out_of_range());
            }
            Ok(days as i32)
        }
    }
}

/// `timestamp_in` (`with_tz = false`) and `timestamptz_in` (`true`), before any typmod.
pub fn parse_timestamp(input: &str, with_tz: bool, ctx: &TypeContext) -> TypeResult<i64> {
    if !with_tz && let Some(t) = plain_iso_timestamp(input) {
        return Ok(t);
    }
    decode_timestamp(input, with_tz, ctx)
}

/// [`parse_timestamp`] through the general decoder.
fn decode_timestamp(input: &str, with_tz: bool, ctx: &TypeContext) -> TypeResult<i64> {
    let type_name = if with_tz {
        "timestamp with time zone"
    } else {
        "timestamp"
    };
    let d = decode(input, ctx, false).map_err(|e| dt_error(e, input, type_name))?;
    match d.dtype {
        Dtype::Epoch => Ok(days_from_civil(1970, 1, 1) * USECS_PER_DAY),
        Dtype::Late => Ok(TIMESTAMP_INFINITY),
        Dtype::Early => Ok(TIMESTAMP_NEG_INFINITY),
        Dtype::Date => {
            let out_of_range = || {
                TypeError::new(
                    codes::DATETIME_FIELD_OVERFLOW,
                    format!("timestamp out of range: \"{input}\""),
                )
            };
            let local = tm_to_timestamp(&d.tm).ok_or_else(out_of_range)?;
            if !with_tz {
                if !(MIN_TIMESTAMP..END_TIMESTAMP).contains(&local) {
                    return Err(out_of_range());
                }
                return Ok(local);
            }
            let east = match (d.tz_east, d.tz_named) {
                (Some(e), _) => e,
                (None, Some(zone)) => local_offset(local, &zone),
                (None, None) => local_offset(local, &ctx.time_zone),
            };
            let utc = local
                .checked_sub(i64::from(east) * USECS_PER_SEC)
                .ok_or_else(out_of_range)?;
            if !(MIN_TIMESTAMP..END_TIMESTAMP).contains(&utc) {
                return Err(out_of_range());
            }
            Ok(utc)
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]` (or with `T` between date and time): the form exporters and
/// `timestamp_out` write, read without the general decoder (a bulk load's timestamps). Returns
/// `None` for anything else, or any field outside its plain range (24:00:00, leap seconds,
/// year 0, more than six fraction digits ...), which the general decoder then reads exactly as
/// before: this only ever gives the value the decoder would give.
fn plain_iso_timestamp(input: &str) -> Option<i64> {
    let b = input.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        b[from..to].iter().try_fold(0i64, |v, &c| {
            c.is_ascii_digit().then(|| v * 10 + i64::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if year == 0
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut micros = 0;
    if b.len() > 19 {
        let digits = &b[20..];
        if b[19] != b'.' || digits.is_empty() || digits.len() > 6 {
            return None;
        }
        let mut scale = 100_000;
        for &c in digits {
            if !c.is_ascii_digit() {
                return None;
            }
            micros += i64::from(c - b'0') * scale;
            scale /= 10;
        }
    }
    // Four-digit years are all inside the timestamp range.
    let days = days_from_civil(year, month as u32, day as u32);
    Some(days * USECS_PER_DAY + (hour * 3600 + minute * 60 + second) * USECS_PER_SEC + micros)
}

/// The offset of a zone for a local wall-clock time.
fn local_offset(local: i64, tz: &TimeZone) -> i32 {
    tz.offset_for_local(local)
}

/// `time_in`, before any typmod.
pub fn parse_time(input: &str, ctx: &TypeContext) -> TypeResult<i64> {
    let d = decode(input, ctx, true).map_err(|e| dt_error(e, input, "time"))?;
    Ok(tm_time_micros(&d.tm))
}

/// `timetz_in`, before any typmod: the time and the zone's offset east of UTC. Without a
/// zone in the input, the session zone's offset on the date given, or today (as
/// PostgreSQL's `DecodeTimeOnly`); a zone name whose offset changes needs a date.
pub fn parse_timetz(input: &str, ctx: &TypeContext) -> TypeResult<(i64, i32)> {
    let bad = |e| dt_error(e, input, "time with time zone");
    let d = decode(input, ctx, true).map_err(bad)?;
    let t = tm_time_micros(&d.tm);
    let has_date = d.fmask & DATE_M != 0;
    if has_date && d.fmask & DATE_M != DATE_M {
        return Err(bad(DtErr::BadFormat));
    }
    // The local timestamp of the date given (or today) at that time.
    let local = || -> Result<i64, TypeError> {
        if has_date {
            // Beyond the timestamp range the zone's last (or first) offset applies.
            return Ok(tm_to_timestamp(&d.tm).unwrap_or(if d.tm.year > 0 {
                END_TIMESTAMP
            } else {
                MIN_TIMESTAMP
            }));
        }
        let now = ctx.now.unwrap_or_else(now_micros);
        let today = now
            .saturating_add(i64::from(ctx.time_zone.offset_secs(now)) * USECS_PER_SEC)
            .div_euclid(USECS_PER_DAY);
        Ok(today * USECS_PER_DAY + t)
    };
    let east = match (d.tz_east, d.tz_named) {
        (Some(e), _) => e,
        (None, Some(zone)) => match zone.fixed_offset() {
            Some(e) => e,
            None if has_date => local_offset(local()?, &zone),
            None => return Err(bad(DtErr::BadFormat)),
        },
        (None, None) => local_offset(local()?, &ctx.time_zone),
    };
    Ok((t, east))
}

/// The current time, microseconds since 2000-01-01 UTC (for contexts without a
/// transaction start).
pub(crate) fn now_micros() -> i64 {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    unix - 946_684_800 * USECS_PER_SEC
}

/// `timetz_out`: the time and the offset (`12:34:56.5+05:30`).
pub fn format_timetz(micros: i64, east: i32) -> String {
    let mut s = String::with_capacity(24);
    push_time(&mut s, micros);
    push_offset(&mut s, east);
    s
}

/// Rounds microseconds to `precision` fractional digits, half away from zero
/// (`AdjustTimestampForTypmod`); infinities are kept.
pub fn round_to_precision(micros: i64, precision: Option<u8>) -> i64 {
    let Some(p) = precision else { return micros };
    if p >= 6 || micros == i64::MIN || micros == i64::MAX {
        return micros;
    }
    let scale = 10i64.pow(u32::from(6 - p));
    let half = scale / 2;
    if micros >= 0 {
        (micros.saturating_add(half) / scale) * scale
    } else {
        -((micros.saturating_neg().saturating_add(half) / scale) * scale)
    }
}

/// Applies a timestamp precision and re-checks the range.
pub fn adjust_timestamp(micros: i64, precision: Option<u8>) -> TypeResult<i64> {
    let v = round_to_precision(micros, precision);
    if v != i64::MIN && v != i64::MAX && !(MIN_TIMESTAMP..END_TIMESTAMP).contains(&v) {
        return Err(TypeError::new(
            codes::DATETIME_FIELD_OVERFLOW,
            "timestamp out of range",
        ));
    }
    Ok(v)
}

// ---------------------------------------------------------------------------------------
// Output (DateStyle = ISO).

fn push_year(out: &mut String, year: i64) {
    let shown = if year > 0 { year } else { 1 - year };
    out.push_str(&format!("{shown:04}"));
}

/// `date_out`: `YYYY-MM-DD`, ` BC` for years before 1 AD, `infinity`, `-infinity`.
pub fn format_date(days: i32) -> String {
    match days {
        DATE_INFINITY => "infinity".into(),
        DATE_NEG_INFINITY => "-infinity".into(),
        _ => {
            let (y, m, d) = civil_from_days(i64::from(days));
            let mut s = String::with_capacity(13);
            push_year(&mut s, y);
            s.push_str(&format!("-{m:02}-{d:02}"));
            if y <= 0 {
                s.push_str(" BC");
            }
            s
        }
    }
}

/// `HH:MM:SS` plus the fraction without trailing zeros.
fn push_time(out: &mut String, micros: i64) {
    let hour = micros / 3_600_000_000;
    let min = micros / 60_000_000 % 60;
    let sec = micros / USECS_PER_SEC % 60;
    let frac = micros % USECS_PER_SEC;
    out.push_str(&format!("{hour:02}:{min:02}:{sec:02}"));
    if frac != 0 {
        let f = format!("{frac:06}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
}

/// `time_out`.
pub fn format_time(micros: i64) -> String {
    let mut s = String::with_capacity(15);
    push_time(&mut s, micros);
    s
}

/// `timestamp_out`.
pub fn format_timestamp(micros: i64) -> String {
    format_ts(micros, None)
}

/// `timestamptz_out` in the given session time zone.
pub fn format_timestamptz(micros: i64, tz: &TimeZone) -> String {
    format_ts(micros, Some(tz.offset_secs(micros)))
}

fn format_ts(micros: i64, offset_east: Option<i32>) -> String {
    match micros {
        TIMESTAMP_INFINITY => return "infinity".into(),
        TIMESTAMP_NEG_INFINITY => return "-infinity".into(),
        _ => {}
    }
    let local = micros.saturating_add(i64::from(offset_east.unwrap_or(0)) * USECS_PER_SEC);
    let days = local.div_euclid(USECS_PER_DAY);
    let time = local.rem_euclid(USECS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let mut s = String::with_capacity(32);
    push_year(&mut s, y);
    s.push_str(&format!("-{m:02}-{d:02} "));
    push_time(&mut s, time);
    if let Some(east) = offset_east {
        push_offset(&mut s, east);
    }
    if y <= 0 {
        s.push_str(" BC");
    }
    s
}

/// `date_out` in the session's `DateStyle`.
pub fn format_date_styled(days: i32, st: &OutputStyle) -> String {
    if st.date_output == DateOutput::Iso || days == DATE_INFINITY || days == DATE_NEG_INFINITY {
        return format_date(days);
    }
    let (y, m, d) = civil_from_days(i64::from(days));
    let mut s = String::with_capacity(13);
    push_styled_date(&mut s, y, m, d, st);
    if y <= 0 {
        s.push_str(" BC");
    }
    s
}

/// The date part of the SQL, German and Postgres formats of a date.
fn push_styled_date(s: &mut String, y: i64, m: u32, d: u32, st: &OutputStyle) {
    let dmy = st.date_order == DateOrder::Dmy;
    let (sep, day_first) = match st.date_output {
        DateOutput::German => ('.', true),
        DateOutput::Sql => ('/', dmy),
        _ => ('-', dmy),
    };
    if day_first {
        s.push_str(&format!("{d:02}{sep}{m:02}{sep}"));
    } else {
        s.push_str(&format!("{m:02}{sep}{d:02}{sep}"));
    }
    push_year(s, y);
}

const DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `timestamp_out` in the session's `DateStyle`.
pub fn format_timestamp_styled(micros: i64, st: &OutputStyle) -> String {
    format_ts_styled(micros, None, st)
}

/// `timestamptz_out` in the session's time zone and `DateStyle`; the non-ISO formats name
/// the zone by its abbreviation.
pub fn format_timestamptz_styled(micros: i64, tz: &TimeZone, st: &OutputStyle) -> String {
    format_ts_styled(micros, Some(tz), st)
}

fn format_ts_styled(micros: i64, tz: Option<&TimeZone>, st: &OutputStyle) -> String {
    if st.date_output == DateOutput::Iso
        || micros == TIMESTAMP_INFINITY
        || micros == TIMESTAMP_NEG_INFINITY
    {
        return format_ts(micros, tz.map(|z| z.offset_secs(micros)));
    }
    let east = tz.map_or(0, |z| z.offset_secs(micros));
    let local = micros.saturating_add(i64::from(east) * USECS_PER_SEC);
    let days = local.div_euclid(USECS_PER_DAY);
    let time = local.rem_euclid(USECS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let mut s = String::with_capacity(40);
    if st.date_output == DateOutput::Postgres {
        // 2000-01-01 was a Saturday.
        let dow = (days + 6).rem_euclid(7) as usize;
        let mon = MONTH_NAMES[(m as usize).saturating_sub(1) % 12];
        s.push_str(DAY_NAMES[dow]);
        if st.date_order == DateOrder::Dmy {
            s.push_str(&format!(" {d:02} {mon} "));
        } else {
            s.push_str(&format!(" {mon} {d:02} "));
        }
        push_time(&mut s, time);
        s.push(' ');
        push_year(&mut s, y);
    } else {
        push_styled_date(&mut s, y, m, d, st);
        s.push(' ');
        push_time(&mut s, time);
    }
    if let Some(z) = tz {
        s.push(' ');
        s.push_str(&z.abbrev(micros));
    }
    if y <= 0 {
        s.push_str(" BC");
    }
    s
}

/// `+HH`, `+HH:MM` or `+HH:MM:SS` (PostgreSQL's `EncodeTimezone`).
pub(crate) fn push_offset(out: &mut String, east: i32) {
    let sign = if east < 0 { '-' } else { '+' };
    let a = east.unsigned_abs();
    let (h, m, sec) = (a / 3600, a / 60 % 60, a % 60);
    out.push(sign);
    out.push_str(&format!("{h:02}"));
    if m != 0 || sec != 0 {
        out.push_str(&format!(":{m:02}"));
    }
    if sec != 0 {
        out.push_str(&format!(":{sec:02}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> TypeContext {
        TypeContext::default()
    }

    fn d(s: &str) -> String {
        match parse_date(s, &ctx()) {
            Ok(v) => format_date(v),
            Err(e) => format!("{}: {}", e.code(), e.message()),
        }
    }

    fn ts(s: &str) -> String {
        match parse_timestamp(s, false, &ctx()) {
            Ok(v) => format_timestamp(v),
            Err(e) => format!("{}: {}", e.code(), e.message()),
        }
    }

    #[test]
    fn plain_iso_timestamps_read_as_the_decoder_reads_them() {
        let c = ctx();
        let mut inputs = vec![
            "2024-02-29 23:59:59".to_string(),
            "2023-02-29 10:00:00".into(),
            "2024-02-01T10:11:12".into(),
            "0001-01-01 00:00:00".into(),
            "0000-01-01 00:00:00".into(),
            "9999-12-31 23:59:59.999999".into(),
            "2024-01-01 24:00:00".into(),
            "2024-01-01 23:59:60".into(),
            "2024-13-01 00:00:00".into(),
            "2024-01-01 00:00:00.".into(),
            "2024-01-01 00:00:00.1234567".into(),
            "2024-01-01 00:00:00.5".into(),
            "2024-01-01 00:00:00.05".into(),
            "2024-01-01 00:00:00+02".into(),
            "2024-01-01 0:00:00".into(),
            "1999-12-31 12:00:00".into(),
            "2024-1-01 00:00:00x".into(),
        ];
        for i in 0..400 {
            let (y, m, d) = (1900 + i * 7 % 300, 1 + i % 12, 1 + i * 3 % 31);
            let (h, mi, se) = (i % 24, i * 7 % 60, i * 13 % 60);
            inputs.push(format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{se:02}.{i}"));
        }
        // Inputs it declines go to the decoder, which may accept them (24:00:00 ...).
        let mut read = 0;
        for s in &inputs {
            if let Some(fast) = plain_iso_timestamp(s) {
                assert_eq!(Some(fast), decode_timestamp(s, false, &c).ok(), "{s}");
                read += 1;
            }
        }
        assert!(read > 300, "{read}");
    }

    #[test]
    fn calendar_round_trip() {
        for days in [-2_451_545i64, -1, 0, 1, 365, 10_000, 2_145_031_948] {
            let (y, m, dd) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, dd), days);
        }
        assert_eq!(days_from_civil(2000, 1, 1), 0);
        assert_eq!(days_from_civil(1970, 1, 1), -10_957);
    }

    #[test]
    fn dates() {
        assert_eq!(d("1999-01-08"), "1999-01-08");
        assert_eq!(d("1/8/99"), "1999-01-08");
        assert_eq!(d("08-Jan-1999"), "1999-01-08");
        assert_eq!(d("Jan-08-1999"), "1999-01-08");
        assert_eq!(d("January 8, 1999"), "1999-01-08");
        assert_eq!(d("19990108"), "1999-01-08");
        assert_eq!(d("990108"), "1999-01-08");
        assert_eq!(d("1999.008"), "1999-01-08");
        assert_eq!(d("Sat Jan 01 2000"), "2000-01-01");
        assert_eq!(d("4714-11-24 BC"), "4714-11-24 BC");
        assert_eq!(
            d("4714-11-23 BC"),
            "22008: date out of range: \"4714-11-23 BC\""
        );
        assert_eq!(
            d("1999-02-30"),
            "22008: date/time field value out of range: \"1999-02-30\""
        );
        assert_eq!(
            d("abc"),
            "22007: invalid input syntax for type date: \"abc\""
        );
        assert_eq!(d("5874897-12-31"), "5874897-12-31");
        assert_eq!(d("epoch"), "1970-01-01");
        assert_eq!(d("-infinity"), "-infinity");
    }

    #[test]
    fn timestamps() {
        assert_eq!(ts("1999-12-31 23:59:60"), "2000-01-01 00:00:00");
        assert_eq!(ts("19990108T040506"), "1999-01-08 04:05:06");
        assert_eq!(
            ts("2000-01-01 12:30:00.1234575"),
            "2000-01-01 12:30:00.123458"
        );
        assert_eq!(ts("2000-01-01 04:05:06 BC"), "2000-01-01 04:05:06 BC");
        assert_eq!(
            ts("294277-01-01"),
            "22008: timestamp out of range: \"294277-01-01\""
        );
        let v = parse_timestamp("2000-01-01 00:00:00+05:30", true, &ctx()).unwrap();
        assert_eq!(
            format_timestamptz(v, &TimeZone::Utc),
            "1999-12-31 18:30:00+00"
        );
        assert_eq!(
            format_timestamptz(v, &TimeZone::Fixed(19800)),
            "2000-01-01 00:00:00+05:30"
        );
        let v = parse_timestamp("2000-01-01 00:00:00 pst", true, &ctx()).unwrap();
        assert_eq!(
            format_timestamptz(v, &TimeZone::Utc),
            "2000-01-01 08:00:00+00"
        );
    }

    #[test]
    fn times() {
        let t = |s: &str| parse_time(s, &ctx()).map(format_time).map_err(|e| e.code());
        assert_eq!(t("23:59:60"), Ok("24:00:00".into()));
        assert_eq!(t("12:00 am"), Ok("00:00:00".into()));
        assert_eq!(t("040506"), Ok("04:05:06".into()));
        assert_eq!(t("04:05:06.789-08"), Ok("04:05:06.789".into()));
        assert_eq!(t("T04:05"), Ok("04:05:00".into()));
        assert_eq!(t("24:00:01"), Err("22008"));
        assert_eq!(t("2000-01-01"), Err("22007"));
    }
}
