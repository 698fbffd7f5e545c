//! `interval`: months, days and microseconds, kept apart as PostgreSQL keeps them (a month
//! is not a fixed number of days, nor a day a fixed number of hours across DST).
//!
//! Input follows PostgreSQL's `DecodeInterval` (read right to left so that units apply to
//! the number before them): `1 year 2 mons 3 days 04:05:06`, `@ 1 hour ago`, fractional
//! units cascading down (`1.5 years` = `1 year 6 mons`, `1.5 months` = `1 mon 15 days`),
//! SQL-standard `1-2` (years-months) and `3 4:05:06`, and ISO 8601 `P1Y2M3DT4H5M6S` or
//! `P0001-02-03T04:05:06`. Output is `IntervalStyle = postgres`. Interval typmods
//! (`interval year to month`, `interval(3)`) are not supported yet.
//!
//! Comparison is PostgreSQL's: the interval is flattened to microseconds with 30-day months
//! and 24-hour days (as a 128-bit integer), so `1 mon` = `30 days`.

use super::datetime::{
    DtErr, IntervalStyle, USECS_PER_DAY, USECS_PER_SEC, dt_error, parse_fraction, strtol, tokenize,
};
use super::error::{TypeError, TypeResult, codes};

const USECS_PER_HOUR: i64 = 3_600_000_000;
const USECS_PER_MINUTE: i64 = 60_000_000;

/// An `interval` value.
#[derive(Debug, Clone, Copy, Default)]
pub struct Interval {
    /// Months (years are 12 months).
    pub months: i32,
    /// Days.
    pub days: i32,
    /// Microseconds.
    pub micros: i64,
}

impl Interval {
    /// A new interval.
    pub fn new(months: i32, days: i32, micros: i64) -> Interval {
        Interval {
            months,
            days,
            micros,
        }
    }

    /// The comparison key: microseconds with 30-day months.
    pub fn span(&self) -> i128 {
        i128::from(self.micros)
            + i128::from(self.days) * i128::from(USECS_PER_DAY)
            + i128::from(self.months) * 30 * i128::from(USECS_PER_DAY)
    }
}

impl PartialEq for Interval {
    fn eq(&self, other: &Self) -> bool {
        self.span() == other.span()
    }
}

impl Eq for Interval {}

impl PartialOrd for Interval {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Interval {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.span().cmp(&other.span())
    }
}

impl std::hash::Hash for Interval {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.span().hash(state);
    }
}

#[derive(Default)]
struct ItmIn {
    usec: i64,
    mday: i32,
    mon: i32,
    year: i32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Micro,
    Milli,
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
    Decade,
    Century,
    Millennium,
}

enum UnitWord {
    Unit(Unit),
    Ago,
    Ignore,
}

fn decode_units(w: &str) -> Option<UnitWord> {
    // PostgreSQL compares at most 10 characters (TOKMAXLEN).
    let w: String = w.chars().take(10).collect();
    Some(UnitWord::Unit(match w.as_str() {
        "@" => return Some(UnitWord::Ignore),
        "ago" => return Some(UnitWord::Ago),
        "c" | "cent" | "century" | "centuries" => Unit::Century,
        "d" | "day" | "days" => Unit::Day,
        "dec" | "decade" | "decades" | "decs" => Unit::Decade,
        "h" | "hour" | "hours" | "hr" | "hrs" => Unit::Hour,
        "m" | "min" | "mins" | "minute" | "minutes" => Unit::Minute,
        "mil" | "millennia" | "millennium" | "mils" => Unit::Millennium,
        "millisecon" | "ms" | "msec" | "msecs" | "msecond" | "mseconds" => Unit::Milli,
        "microsecon" | "us" | "usec" | "usecs" | "usecond" | "useconds" => Unit::Micro,
        "mon" | "mons" | "month" | "months" => Unit::Month,
        "s" | "sec" | "second" | "seconds" | "secs" => Unit::Second,
        "w" | "week" | "weeks" => Unit::Week,
        "y" | "year" | "years" | "yr" | "yrs" => Unit::Year,
        _ => return None,
    }))
}

fn add_usec(itm: &mut ItmIn, v: i64) -> Result<(), DtErr> {
    itm.usec = itm.usec.checked_add(v).ok_or(DtErr::FieldOverflow)?;
    Ok(())
}

fn adjust_fract_micros(frac: f64, scale: i64, itm: &mut ItmIn) -> Result<(), DtErr> {
    if frac == 0.0 {
        return Ok(());
    }
    let f = frac * scale as f64;
    let mut usec = f as i64;
    let rest = f - usec as f64;
    if rest > 0.5 {
        usec += 1;
    } else if rest < -0.5 {
        usec -= 1;
    }
    add_usec(itm, usec)
}

fn adjust_fract_days(frac: f64, scale: i32, itm: &mut ItmIn) -> Result<(), DtErr> {
    if frac == 0.0 {
        return Ok(());
    }
    let f = frac * f64::from(scale);
    let extra = f as i32;
    itm.mday = itm.mday.checked_add(extra).ok_or(DtErr::FieldOverflow)?;
    adjust_fract_micros(f - f64::from(extra), USECS_PER_DAY, itm)
}

fn adjust_micros(val: i64, frac: f64, scale: i64, itm: &mut ItmIn) -> Result<(), DtErr> {
    add_usec(itm, val.checked_mul(scale).ok_or(DtErr::FieldOverflow)?)?;
    adjust_fract_micros(frac, scale, itm)
}

fn to_i32(v: i64) -> Result<i32, DtErr> {
    i32::try_from(v).map_err(|_| DtErr::FieldOverflow)
}

fn apply_unit(unit: Unit, val: i64, frac: f64, itm: &mut ItmIn) -> Result<(), DtErr> {
    match unit {
        Unit::Micro => adjust_micros(val, frac, 1, itm),
        Unit::Milli => adjust_micros(val, frac, 1000, itm),
        Unit::Second => adjust_micros(val, frac, USECS_PER_SEC, itm),
        Unit::Minute => adjust_micros(val, frac, USECS_PER_MINUTE, itm),
        Unit::Hour => adjust_micros(val, frac, USECS_PER_HOUR, itm),
        Unit::Day => {
            itm.mday = itm
                .mday
                .checked_add(to_i32(val)?)
                .ok_or(DtErr::FieldOverflow)?;
            adjust_fract_micros(frac, USECS_PER_DAY, itm)
        }
        Unit::Week => {
            let d = to_i32(val)?.checked_mul(7).ok_or(DtErr::FieldOverflow)?;
            itm.mday = itm.mday.checked_add(d).ok_or(DtErr::FieldOverflow)?;
            adjust_fract_days(frac, 7, itm)
        }
        Unit::Month => {
            itm.mon = itm
                .mon
                .checked_add(to_i32(val)?)
                .ok_or(DtErr::FieldOverflow)?;
            adjust_fract_days(frac, 30, itm)
        }
        Unit::Year | Unit::Decade | Unit::Century | Unit::Millennium => {
            let scale = match unit {
                Unit::Year => 1,
                Unit::Decade => 10,
                Unit::Century => 100,
                _ => 1000,
            };
            let y = to_i32(val)?
                .checked_mul(scale)
                .ok_or(DtErr::FieldOverflow)?;
            itm.year = itm.year.checked_add(y).ok_or(DtErr::FieldOverflow)?;
            let extra = (frac * f64::from(scale) * 12.0).round_ties_even() as i32;
            itm.mon = itm.mon.checked_add(extra).ok_or(DtErr::FieldOverflow)?;
            Ok(())
        }
    }
}

/// `hh:mm[:ss[.fff]]` or `mm:ss.fff` into microseconds (hours unbounded).
fn decode_time_for_interval(s: &str) -> Result<i64, DtErr> {
    let (hour, rest) = strtol_i64(s)?;
    let Some(rest) = rest.strip_prefix(':') else {
        return Err(DtErr::BadFormat);
    };
    let (mut min, rest) = strtol(rest)?;
    let (mut h, mut sec, mut fsec) = (hour, 0i64, 0i64);
    if rest.is_empty() {
    } else if rest.starts_with('.') {
        fsec = parse_fraction(rest)?;
        sec = min;
        min = h;
        h = 0;
    } else if let Some(r) = rest.strip_prefix(':') {
        let (s2, r2) = strtol(r)?;
        sec = s2;
        if !r2.is_empty() {
            fsec = parse_fraction(r2)?;
        }
    } else {
        return Err(DtErr::BadFormat);
    }
    if h < 0
        || !(0..60).contains(&min)
        || !(0..60).contains(&sec)
        || !(0..=USECS_PER_SEC).contains(&fsec)
    {
        return Err(DtErr::FieldOverflow);
    }
    h.checked_mul(USECS_PER_HOUR)
        .and_then(|v| v.checked_add(min * USECS_PER_MINUTE + sec * USECS_PER_SEC + fsec))
        .ok_or(DtErr::FieldOverflow)
}

fn strtol_i64(s: &str) -> Result<(i64, &str), DtErr> {
    let end = s
        .bytes()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    if end == 0 {
        return Ok((0, s));
    }
    let v = s[..end].parse::<i64>().map_err(|_| DtErr::FieldOverflow)?;
    Ok((v, &s[end..]))
}

fn decode_interval(input: &str) -> Result<ItmIn, DtErr> {
    let fields = tokenize(input, true)?;
    let mut itm = ItmIn::default();
    let mut fmask = 0u32;
    let mut is_before = false;
    let mut unit: Option<Unit> = None;
    // A time field covers hours, minutes and all second units (PostgreSQL's DTK_TIME_M).
    const M_TIME: u32 = (1 << Unit::Hour as u32)
        | (1 << Unit::Minute as u32)
        | (1 << Unit::Second as u32)
        | (1 << Unit::Milli as u32)
        | (1 << Unit::Micro as u32);
    for (ft, field) in fields.iter().rev() {
        let tmask: u32;
        if ft.is_time() {
            itm.usec = decode_time_for_interval(field)?;
            tmask = M_TIME;
            unit = Some(Unit::Day);
        } else if ft.is_tz()
            && field[1..].contains(':')
            && decode_time_for_interval(&field[1..]).is_ok()
        {
            let v = decode_time_for_interval(&field[1..])?;
            itm.usec = if field.starts_with('-') { -v } else { v };
            tmask = M_TIME;
            unit = Some(Unit::Day);
        } else if ft.is_tz() || ft.is_date() || ft.is_number() {
            let u = unit.unwrap_or(Unit::Second);
            let neg = field.starts_with('-');
            let body = field.strip_prefix(['-', '+']).unwrap_or(field);
            let (mut val, rest) = strtol_i64(body)?;
            if rest.len() == body.len() && !rest.starts_with('.') {
                return Err(DtErr::BadFormat);
            }
            if neg {
                val = -val;
            }
            let mut u = u;
            let frac;
            if let Some(r) = rest.strip_prefix('-') {
                let (mut v2, r2) = strtol(r)?;
                if !(0..12).contains(&v2) || r2.len() == r.len() {
                    return Err(DtErr::FieldOverflow);
                }
                if !r2.is_empty() {
                    return Err(DtErr::BadFormat);
                }
                u = Unit::Month;
                if neg {
                    v2 = -v2;
                }
                val = val
                    .checked_mul(12)
                    .and_then(|v| v.checked_add(v2))
                    .ok_or(DtErr::FieldOverflow)?;
                frac = 0.0;
            } else if rest.starts_with('.') {
                let f = parse_fraction_f64(rest)?;
                frac = if neg { -f } else { f };
            } else if rest.is_empty() {
                frac = 0.0;
            } else {
                return Err(DtErr::BadFormat);
            }
            apply_unit(u, val, frac, &mut itm)?;
            tmask = 1 << (u as u32);
            if u == Unit::Hour {
                unit = Some(Unit::Day);
            }
            let tmask = if u == Unit::Second && frac != 0.0 {
                tmask | (1 << Unit::Milli as u32) | (1 << Unit::Micro as u32)
            } else {
                tmask
            };
            if tmask & fmask != 0 {
                return Err(DtErr::BadFormat);
            }
            fmask |= tmask;
            continue;
        } else if ft.is_word() {
            match decode_units(field) {
                Some(UnitWord::Ignore) => continue,
                Some(UnitWord::Ago) => {
                    is_before = true;
                    continue;
                }
                Some(UnitWord::Unit(u)) => {
                    unit = Some(u);
                    continue;
                }
                None => return Err(DtErr::BadFormat),
            }
        } else {
            return Err(DtErr::BadFormat);
        }
        if tmask & fmask != 0 {
            return Err(DtErr::BadFormat);
        }
        fmask |= tmask;
    }
    if fmask == 0 {
        return Err(DtErr::BadFormat);
    }
    if is_before {
        itm.usec = itm.usec.checked_neg().ok_or(DtErr::FieldOverflow)?;
        itm.mday = itm.mday.checked_neg().ok_or(DtErr::FieldOverflow)?;
        itm.mon = itm.mon.checked_neg().ok_or(DtErr::FieldOverflow)?;
        itm.year = itm.year.checked_neg().ok_or(DtErr::FieldOverflow)?;
    }
    Ok(itm)
}

fn parse_fraction_f64(s: &str) -> Result<f64, DtErr> {
    if !s[1..].bytes().all(|c| c.is_ascii_digit()) {
        return Err(DtErr::BadFormat);
    }
    format!("0{s}").parse().map_err(|_| DtErr::BadFormat)
}

/// ISO 8601 `P...` intervals: designators (`P1Y2M3W4DT5H6M7.5S`) or the alternative forms,
/// extended (`P0001-02-03T04:05:06`, leading fields only: `P0002-10`, `PT10:30`) and basic
/// (`P00010203T040506`), mixed as PostgreSQL's `DecodeISO8601Interval` allows.
fn decode_iso8601(input: &str) -> Result<ItmIn, DtErr> {
    let s = input.trim();
    let Some(mut rest) = s.strip_prefix(['P', 'p']) else {
        return Err(DtErr::BadFormat);
    };
    if rest.is_empty() {
        return Err(DtErr::BadFormat);
    }
    let mut itm = ItmIn::default();
    let mut date_part = true;
    let mut have_field = false;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix(['T', 't']) {
            date_part = false;
            have_field = false;
            rest = r;
            continue;
        }
        let field_start = rest;
        let (ival, frac, r) = iso_number(rest)?;
        rest = r;
        let unit = rest.chars().next();
        if let Some(u) = unit {
            rest = &rest[u.len_utf8()..];
        }
        let unit = unit.map(|u| u.to_ascii_uppercase());
        if date_part {
            match unit {
                Some('Y') => apply_unit(Unit::Year, ival, frac, &mut itm)?,
                Some('M') => apply_unit(Unit::Month, ival, frac, &mut itm)?,
                Some('W') => apply_unit(Unit::Week, ival, frac, &mut itm)?,
                Some('D') => apply_unit(Unit::Day, ival, frac, &mut itm)?,
                Some('T') | None | Some('-') => {
                    if unit != Some('-') && iso_integer_width(field_start) == 8 && !have_field {
                        // Basic alternative format YYYYMMDD.
                        apply_unit(Unit::Year, ival / 10000, 0.0, &mut itm)?;
                        apply_unit(Unit::Month, (ival / 100) % 100, 0.0, &mut itm)?;
                        apply_unit(Unit::Day, ival % 100, frac, &mut itm)?;
                        if unit.is_none() {
                            return Ok(itm);
                        }
                        date_part = false;
                        have_field = false;
                        continue;
                    }
                    // Extended alternative format YYYY-MM-DD, leading fields only.
                    if have_field {
                        return Err(DtErr::BadFormat);
                    }
                    apply_unit(Unit::Year, ival, frac, &mut itm)?;
                    match unit {
                        None => return Ok(itm),
                        Some('T') => {
                            date_part = false;
                            have_field = false;
                            continue;
                        }
                        _ => {}
                    }
                    let (ival, frac, r) = iso_number(rest)?;
                    rest = r;
                    apply_unit(Unit::Month, ival, frac, &mut itm)?;
                    if rest.is_empty() {
                        return Ok(itm);
                    }
                    if let Some(r) = rest.strip_prefix(['T', 't']) {
                        rest = r;
                        date_part = false;
                        have_field = false;
                        continue;
                    }
                    rest = rest.strip_prefix('-').ok_or(DtErr::BadFormat)?;
                    let (ival, frac, r) = iso_number(rest)?;
                    rest = r;
                    apply_unit(Unit::Day, ival, frac, &mut itm)?;
                    if rest.is_empty() {
                        return Ok(itm);
                    }
                    if let Some(r) = rest.strip_prefix(['T', 't']) {
                        rest = r;
                        date_part = false;
                        have_field = false;
                        continue;
                    }
                    return Err(DtErr::BadFormat);
                }
                _ => return Err(DtErr::BadFormat),
            }
        } else {
            match unit {
                Some('H') => apply_unit(Unit::Hour, ival, frac, &mut itm)?,
                Some('M') => apply_unit(Unit::Minute, ival, frac, &mut itm)?,
                Some('S') => apply_unit(Unit::Second, ival, frac, &mut itm)?,
                None | Some(':') => {
                    if unit.is_none() && iso_integer_width(field_start) == 6 && !have_field {
                        // Basic alternative format hhmmss.
                        apply_unit(Unit::Hour, ival / 10000, 0.0, &mut itm)?;
                        apply_unit(Unit::Minute, (ival / 100) % 100, 0.0, &mut itm)?;
                        apply_unit(Unit::Second, ival % 100, frac, &mut itm)?;
                        return Ok(itm);
                    }
                    // Extended alternative format hh:mm:ss, leading fields only.
                    if have_field {
                        return Err(DtErr::BadFormat);
                    }
                    apply_unit(Unit::Hour, ival, frac, &mut itm)?;
                    if unit.is_none() {
                        return Ok(itm);
                    }
                    let (ival, frac, r) = iso_number(rest)?;
                    rest = r;
                    apply_unit(Unit::Minute, ival, frac, &mut itm)?;
                    if rest.is_empty() {
                        return Ok(itm);
                    }
                    rest = rest.strip_prefix(':').ok_or(DtErr::BadFormat)?;
                    let (ival, frac, r) = iso_number(rest)?;
                    rest = r;
                    apply_unit(Unit::Second, ival, frac, &mut itm)?;
                    if rest.is_empty() {
                        return Ok(itm);
                    }
                    return Err(DtErr::BadFormat);
                }
                _ => return Err(DtErr::BadFormat),
            }
        }
        have_field = true;
    }
    Ok(itm)
}

/// An ISO 8601 interval field's number: optional sign, digits, optional fraction. Returns
/// the integer part, the fraction (with the number's sign) and the rest of the text.
fn iso_number(s: &str) -> Result<(i64, f64, &str), DtErr> {
    let end = s
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+'))))
        .map_or(s.len(), |(i, _)| i);
    let num = &s[..end];
    if !num.bytes().any(|b| b.is_ascii_digit()) {
        return Err(DtErr::BadFormat);
    }
    let value: f64 = num.parse().map_err(|_| DtErr::BadFormat)?;
    let ival = value.trunc();
    if ival.abs() > 9.2e18 {
        return Err(DtErr::FieldOverflow);
    }
    Ok((ival as i64, value - ival, &s[end..]))
}

/// The number of digits of the field at the start of `s` (after a sign).
fn iso_integer_width(s: &str) -> usize {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    s.bytes().take_while(u8::is_ascii_digit).count()
}

/// `interval_in` (without typmod).
pub fn parse_interval(input: &str) -> TypeResult<Interval> {
    let itm = match decode_interval(input) {
        Ok(itm) => itm,
        Err(DtErr::BadFormat) => decode_iso8601(input).map_err(|e| interval_error(e, input))?,
        Err(e) => return Err(interval_error(e, input)),
    };
    let months = i64::from(itm.year) * 12 + i64::from(itm.mon);
    let months = i32::try_from(months)
        .map_err(|_| TypeError::new(codes::DATETIME_FIELD_OVERFLOW, "interval out of range"))?;
    Ok(Interval {
        months,
        days: itm.mday,
        micros: itm.usec,
    })
}

fn interval_error(e: DtErr, input: &str) -> TypeError {
    let e = if e == DtErr::FieldOverflow {
        DtErr::IntervalOverflow
    } else {
        e
    };
    dt_error(e, input, "interval")
}

/// PostgreSQL's `AdjustIntervalForTypmod`: what lies below the range's last field is
/// dropped (`last`: 0 year, 1 month, 2 day, 3 hour, 4 minute, anything else second), and
/// the seconds are rounded half away from zero to `precision` fractional digits.
pub fn adjust_interval(mut iv: Interval, last: u8, precision: Option<u8>) -> Interval {
    match last {
        0 => {
            iv.months = (iv.months / 12) * 12;
            iv.days = 0;
            iv.micros = 0;
        }
        1 => {
            iv.days = 0;
            iv.micros = 0;
        }
        2 => iv.micros = 0,
        3 => iv.micros = (iv.micros / USECS_PER_HOUR) * USECS_PER_HOUR,
        4 => iv.micros = (iv.micros / USECS_PER_MINUTE) * USECS_PER_MINUTE,
        _ => {}
    }
    if let Some(p) = precision.filter(|p| *p < 6) {
        let scale = 10i64.pow(6 - u32::from(p));
        let half = scale / 2;
        iv.micros = if iv.micros >= 0 {
            (iv.micros + half) / scale * scale
        } else {
            -((-iv.micros + half) / scale * scale)
        };
    }
    iv
}

/// Seconds and their fraction without trailing zeros (PostgreSQL's `AppendSeconds`), without
/// sign; two digits at least with `pad`.
fn push_seconds(out: &mut String, sec: i64, fsec: i64, pad: bool) {
    if pad {
        out.push_str(&format!("{:02}", sec.unsigned_abs()));
    } else {
        out.push_str(&sec.unsigned_abs().to_string());
    }
    if fsec != 0 {
        let f = format!("{:06}", fsec.unsigned_abs());
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
}

/// `interval_out` in the given `IntervalStyle` (PostgreSQL's `EncodeInterval`).
pub fn format_interval_styled(v: &Interval, style: IntervalStyle) -> String {
    if style == IntervalStyle::Postgres {
        return format_interval(v);
    }
    let (mut year, mut mon, mut mday) = (
        i64::from(v.months / 12),
        i64::from(v.months % 12),
        i64::from(v.days),
    );
    let mut time = v.micros;
    let mut hour = time / USECS_PER_HOUR;
    time -= hour * USECS_PER_HOUR;
    let mut min = time / USECS_PER_MINUTE;
    time -= min * USECS_PER_MINUTE;
    let mut sec = time / USECS_PER_SEC;
    let mut fsec = time - sec * USECS_PER_SEC;
    let mut out = String::new();
    match style {
        IntervalStyle::SqlStandard => {
            let parts = [year, mon, mday, hour, min, sec, fsec];
            let has_negative = parts.iter().any(|&p| p < 0);
            let has_positive = parts.iter().any(|&p| p > 0);
            let has_year_month = year != 0 || mon != 0;
            let has_day_time = mday != 0 || hour != 0 || min != 0 || sec != 0 || fsec != 0;
            let standard = !((has_negative && has_positive) || (has_year_month && has_day_time));
            if has_negative && standard {
                out.push('-');
                (year, mon, mday, hour, min, sec, fsec) =
                    (-year, -mon, -mday, -hour, -min, -sec, -fsec);
            }
            if !has_negative && !has_positive {
                out.push('0');
            } else if !standard {
                let ys = if year < 0 || mon < 0 { '-' } else { '+' };
                let ds = if mday < 0 { '-' } else { '+' };
                let ss = if hour < 0 || min < 0 || sec < 0 || fsec < 0 {
                    '-'
                } else {
                    '+'
                };
                out.push_str(&format!(
                    "{ys}{}-{} {ds}{} {ss}{}:{:02}:",
                    year.abs(),
                    mon.abs(),
                    mday.abs(),
                    hour.abs(),
                    min.abs()
                ));
                push_seconds(&mut out, sec, fsec, true);
            } else if has_year_month {
                out.push_str(&format!("{year}-{mon}"));
            } else if mday != 0 {
                out.push_str(&format!("{mday} {hour}:{min:02}:"));
                push_seconds(&mut out, sec, fsec, true);
            } else {
                out.push_str(&format!("{hour}:{min:02}:"));
                push_seconds(&mut out, sec, fsec, true);
            }
        }
        IntervalStyle::Iso8601 => {
            if [year, mon, mday, hour, min, sec, fsec]
                .iter()
                .all(|&p| p == 0)
            {
                return "PT0S".into();
            }
            out.push('P');
            let part = |value: i64, unit: char, out: &mut String| {
                if value != 0 {
                    out.push_str(&format!("{value}{unit}"));
                }
            };
            part(year, 'Y', &mut out);
            part(mon, 'M', &mut out);
            part(mday, 'D', &mut out);
            if hour != 0 || min != 0 || sec != 0 || fsec != 0 {
                out.push('T');
            }
            part(hour, 'H', &mut out);
            part(min, 'M', &mut out);
            if sec != 0 || fsec != 0 {
                if sec < 0 || fsec < 0 {
                    out.push('-');
                }
                push_seconds(&mut out, sec, fsec, false);
                out.push('S');
            }
        }
        IntervalStyle::PostgresVerbose | IntervalStyle::Postgres => {
            out.push('@');
            let mut is_zero = true;
            let mut is_before = false;
            let mut part = |value: i64, unit: &str, out: &mut String| {
                if value == 0 {
                    return;
                }
                let mut value = value;
                if is_zero {
                    is_before = value < 0;
                    value = value.abs();
                } else if is_before {
                    value = -value;
                }
                out.push_str(&format!(
                    " {value} {unit}{}",
                    if value == 1 { "" } else { "s" }
                ));
                is_zero = false;
            };
            part(year, "year", &mut out);
            part(mon, "mon", &mut out);
            part(mday, "day", &mut out);
            part(hour, "hour", &mut out);
            part(min, "min", &mut out);
            if sec != 0 || fsec != 0 {
                out.push(' ');
                if sec < 0 || (sec == 0 && fsec < 0) {
                    if is_zero {
                        is_before = true;
                    } else if !is_before {
                        out.push('-');
                    }
                } else if is_before {
                    out.push('-');
                }
                push_seconds(&mut out, sec, fsec, false);
                out.push_str(if sec.abs() != 1 || fsec != 0 {
                    " secs"
                } else {
                    " sec"
                });
                is_zero = false;
            }
            if is_zero {
                out.push_str(" 0");
            }
            if is_before {
                out.push_str(" ago");
            }
        }
    }
    out
}

/// `interval_out` with `IntervalStyle = postgres`.
pub fn format_interval(v: &Interval) -> String {
    let year = v.months / 12;
    let mon = v.months % 12;
    let mday = v.days;
    let mut time = v.micros;
    let hour = time / USECS_PER_HOUR;
    time -= hour * USECS_PER_HOUR;
    let min = time / USECS_PER_MINUTE;
    time -= min * USECS_PER_MINUTE;
    let sec = time / USECS_PER_SEC;
    let fsec = time - sec * USECS_PER_SEC;

    let mut out = String::new();
    let mut is_zero = true;
    let mut is_before = false;
    let mut part = |value: i32, unit: &str, out: &mut String| {
        if value == 0 {
            return;
        }
        if !is_zero {
            out.push(' ');
        }
        if is_before && value > 0 {
            out.push('+');
        }
        out.push_str(&format!(
            "{value} {unit}{}",
            if value != 1 { "s" } else { "" }
        ));
        is_before = value < 0;
        is_zero = false;
    };
    part(year, "year", &mut out);
    part(mon, "mon", &mut out);
    part(mday, "day", &mut out);
    if is_zero || hour != 0 || min != 0 || sec != 0 || fsec != 0 {
        let minus = hour < 0 || min < 0 || sec < 0 || fsec < 0;
        if !is_zero {
            out.push(' ');
        }
        if minus {
            out.push('-');
        } else if is_before {
            out.push('+');
        }
        out.push_str(&format!(
            "{:02}:{:02}:{:02}",
            hour.unsigned_abs(),
            min.unsigned_abs(),
            sec.unsigned_abs()
        ));
        if fsec != 0 {
            let f = format!("{:06}", fsec.unsigned_abs());
            out.push('.');
            out.push_str(f.trim_end_matches('0'));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(s: &str) -> String {
        match parse_interval(s) {
            Ok(v) => format_interval(&v),
            Err(e) => format!("{}: {}", e.code(), e.message()),
        }
    }

    #[test]
    fn postgres_examples() {
        assert_eq!(
            iv("1 year 2 months 3 days 4 hours 5 minutes 6 seconds"),
            "1 year 2 mons 3 days 04:05:06"
        );
        assert_eq!(
            iv("-1 year +2 mons -3 days 04:05:06"),
            "-10 mons -3 days +04:05:06"
        );
        assert_eq!(iv("@ 1 hour ago"), "-01:00:00");
        assert_eq!(iv("1.5 years"), "1 year 6 mons");
        assert_eq!(iv("1.5 months"), "1 mon 15 days");
        assert_eq!(iv("1.5 days"), "1 day 12:00:00");
        assert_eq!(iv("1"), "00:00:01");
        assert_eq!(
            iv("1 2"),
            "22007: invalid input syntax for type interval: \"1 2\""
        );
        assert_eq!(iv("1-2"), "1 year 2 mons");
        assert_eq!(iv("-1-2"), "-1 years -2 mons");
        assert_eq!(iv("1 2:03:04"), "1 day 02:03:04");
        assert_eq!(iv("P1Y2M3DT4H5M6S"), "1 year 2 mons 3 days 04:05:06");
        assert_eq!(iv("P0001-02-03T04:05:06"), "1 year 2 mons 3 days 04:05:06");
        assert_eq!(iv("PT1.5S"), "00:00:01.5");
        assert_eq!(
            iv("2147483648 days"),
            "22015: interval field value out of range: \"2147483648 days\""
        );
        assert_eq!(iv("178956971 years"), "22008: interval out of range");
        assert_eq!(iv("1 day -1 hour"), "1 day -01:00:00");
        assert_eq!(iv("1:2.5"), "00:01:02.5");
        assert_eq!(iv("1 decade 1 century"), "110 years");
        assert_eq!(iv("1 milliseconds 2 microseconds"), "00:00:00.001002");
        assert_eq!(
            parse_interval("1 mon 30 days").unwrap(),
            parse_interval("2 mons").unwrap()
        );
    }
}
