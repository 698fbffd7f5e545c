//! Time zones of the tz database, read as PostgreSQL built with system tzdata reads them: the
//! compiled TZif files under `$TZDIR` or `/usr/share/zoneinfo`, and POSIX `TZ` strings
//! (`EST5EDT,M3.2.0,M11.1.0`, `<-03>+3`, and the footer of a TZif file, which gives the rule
//! after its last transition).
//!
//! A loaded [`Zone`] is a table of transitions (UTC instants where the offset changes); rules
//! of a POSIX string are expanded into transitions up to the year [`LAST_RULE_YEAR`]. Zones are
//! loaded once per process and kept (`&'static`), so that [`super::TimeZone`] stays `Copy`.
//!
//! Local wall-clock times are mapped to UTC as PostgreSQL's `DetermineTimeZoneOffset` does: a
//! time skipped by a spring-forward transition is read with the offset before it, a time
//! repeated by a fall-back transition as the later of its two instants.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Rules of a POSIX string are expanded into transitions up to this year.
pub const LAST_RULE_YEAR: i64 = 2200;

/// Seconds from 1970-01-01 to 2000-01-01 (PostgreSQL's epoch).
const UNIX_TO_PG: i64 = 946_684_800;

/// A time zone: transitions between offsets.
pub struct Zone {
    /// The name it was loaded under (canonical spelling of the file, or the POSIX string).
    pub name: String,
    /// UTC instants (seconds since 1970) where the offset changes, ascending.
    transitions: Vec<i64>,
    /// The offset (seconds east of UTC) from each transition on.
    offsets: Vec<i32>,
    /// The offset before the first transition.
    initial: i32,
    /// The abbreviation (`PST`, `CEST`, `-03`) from each transition on, as an index into
    /// `names`, and before the first one.
    abbrevs: Vec<u8>,
    initial_abbrev: u8,
    names: Vec<String>,
}

impl std::fmt::Debug for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Zone({})", self.name)
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl Zone {
    /// The offset (seconds east of UTC) when the zone has only ever had one.
    pub fn fixed_offset(&self) -> Option<i32> {
        self.offsets
            .iter()
            .all(|&o| o == self.initial)
            .then_some(self.initial)
    }

    /// The abbreviation in use at the UTC instant `unix` (seconds since 1970).
    pub fn abbrev_at_utc(&self, unix: i64) -> &str {
        let i = match self.transitions.partition_point(|&t| t <= unix) {
            0 => self.initial_abbrev,
            k => self.abbrevs.get(k - 1).copied().unwrap_or(0),
        };
        self.names.get(usize::from(i)).map_or("", String::as_str)
    }

    /// [`Zone::abbrev_at_utc`] for a PostgreSQL timestamp (microseconds since 2000).
    pub fn abbrev_at(&self, pg_micros: i64) -> &str {
        self.abbrev_at_utc(pg_micros.div_euclid(1_000_000).saturating_add(UNIX_TO_PG))
    }

    /// Seconds east of UTC at the UTC instant `unix` (seconds since 1970).
    pub fn offset_at_utc(&self, unix: i64) -> i32 {
        match self.transitions.partition_point(|&t| t <= unix) {
            0 => self.initial,
            k => self.offsets[k - 1],
        }
    }

    /// Seconds east of UTC to apply to the local wall-clock time `local` (seconds since 1970
    /// on the local clock), PostgreSQL's way (see the module doc).
    pub fn offset_for_local(&self, local: i64) -> i32 {
        // The first transition after a day before the local time (offsets are under a day).
        let prev = local - 86_400;
        let k = self.transitions.partition_point(|&t| t <= prev);
        let before = match k {
            0 => self.initial,
            k => self.offsets[k - 1],
        };
        let Some(&boundary) = self.transitions.get(k) else {
            return before;
        };
        let after = self.offsets[k];
        let before_time = local - i64::from(before);
        let after_time = local - i64::from(after);
        if before_time < boundary && after_time < boundary {
            return before;
        }
        if before_time > boundary && after_time >= boundary {
            return after;
        }
        // Skipped or repeated: the later instant.
        if before_time > after_time {
            before
        } else {
            after
        }
    }

    /// [`Zone::offset_at_utc`] for a PostgreSQL timestamp (microseconds since 2000).
    pub fn offset_at(&self, pg_micros: i64) -> i32 {
        self.offset_at_utc(pg_micros.div_euclid(1_000_000).saturating_add(UNIX_TO_PG))
    }

    /// [`Zone::offset_for_local`] for a PostgreSQL timestamp (microseconds since 2000).
    pub fn offset_for_local_micros(&self, pg_micros: i64) -> i32 {
        self.offset_for_local(pg_micros.div_euclid(1_000_000).saturating_add(UNIX_TO_PG))
    }
}

fn registry() -> &'static Mutex<HashMap<String, Option<&'static Zone>>> {
    static R: OnceLock<Mutex<HashMap<String, Option<&'static Zone>>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The directory of the compiled tz database.
pub fn tz_dir() -> PathBuf {
    std::env::var_os("TZDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/zoneinfo"))
}

/// Finds `name` under `dir`, comparing each path component without regard to case; answers
/// the path and the canonical spelling.
fn find_file(dir: &Path, name: &str) -> Option<(PathBuf, String)> {
    if name.is_empty()
        || name.starts_with('/')
        || name
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return None;
    }
    let mut path = dir.to_path_buf();
    let mut canonical = Vec::new();
    for comp in name.split('/') {
        let exact = path.join(comp);
        if exact.exists() {
            path = exact;
            canonical.push(comp.to_owned());
            continue;
        }
        let entry = std::fs::read_dir(&path).ok()?.flatten().find(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(comp))
        })?;
        canonical.push(entry.file_name().to_str()?.to_owned());
        path = entry.path();
    }
    path.is_file().then(|| (path, canonical.join("/")))
}

/// The zone named `name`: a file of the tz database (any case), else a POSIX `TZ` string.
/// `None` when it is neither.
pub fn load(name: &str) -> Option<&'static Zone> {
    let key = name.to_owned();
    if let Ok(r) = registry().lock()
        && let Some(z) = r.get(&key)
    {
        return *z;
    }
    let zone = find_file(&tz_dir(), name)
        .and_then(|(path, canonical)| {
            let bytes = std::fs::read(path).ok()?;
            parse_tzif(&bytes, canonical)
        })
        .or_else(|| {
            let rule = parse_posix(name)?;
            Some(rule_zone(name.to_owned(), &rule, 1900))
        })
        .map(|z| &*Box::leak(Box::new(z)));
    if let Ok(mut r) = registry().lock() {
        r.insert(key, zone);
    }
    zone
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
}

/// The counts of a TZif header.
struct Counts {
    isut: usize,
    isstd: usize,
    leap: usize,
    time: usize,
    types: usize,
    chars: usize,
}

fn header(c: &mut Cursor<'_>) -> Option<(u8, Counts)> {
    if c.take(4)? != b"TZif" {
        return None;
    }
    let version = c.take(1)?[0];
    c.take(15)?;
    let mut n = [0usize; 6];
    for x in &mut n {
        *x = usize::try_from(c.u32()?).ok()?;
    }
    Some((
        version,
        Counts {
            isut: n[0],
            isstd: n[1],
            leap: n[2],
            time: n[3],
            types: n[4],
            chars: n[5],
        },
    ))
}

/// Reads a TZif file (RFC 8536), version 2 or later data when present, and its footer.
fn parse_tzif(b: &[u8], name: String) -> Option<Zone> {
    let mut c = Cursor { b, pos: 0 };
    let (version, mut n) = header(&mut c)?;
    let mut wide = false;
    if version >= b'2' {
        // Skip the 32-bit block.
        let skip = n.time * 5 + n.types * 6 + n.chars + n.leap * 8 + n.isstd + n.isut;
        c.take(skip)?;
        n = header(&mut c)?.1;
        wide = true;
    }
    let mut times = Vec::with_capacity(n.time);
    for _ in 0..n.time {
        times.push(if wide { c.i64()? } else { i64::from(c.i32()?) });
    }
    let idx = c.take(n.time)?.to_vec();
    let mut types = Vec::with_capacity(n.types);
    let mut abbr_at = Vec::with_capacity(n.types);
    for _ in 0..n.types {
        let off = c.i32()?;
        let dst = c.take(1)?[0] != 0;
        abbr_at.push(usize::from(c.take(1)?[0]));
        types.push((off, dst));
    }
    if types.is_empty() || types.len() > 200 {
        return None;
    }
    let chars = c.take(n.chars)?;
    let names: Vec<String> = abbr_at
        .iter()
        .map(|&a| {
            let tail = chars.get(a..).unwrap_or_default();
            let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
            String::from_utf8_lossy(&tail[..end]).into_owned()
        })
        .collect();
    c.take(n.leap * if wide { 12 } else { 8 })?;
    c.take(n.isstd + n.isut)?;
    let footer = if wide {
        let rest = b.get(c.pos..).unwrap_or_default();
        std::str::from_utf8(rest)
            .ok()
            .and_then(|s| s.strip_prefix('\n'))
            .and_then(|s| s.split('\n').next())
            .filter(|s| !s.is_empty())
            .and_then(parse_posix)
    } else {
        None
    };
    // Before the first transition: the first standard-time type (RFC 8536 §3.2 and
    // localtime.c's choice).
    let initial_type = types.iter().position(|t| !t.1).unwrap_or(0);
    let initial = types[initial_type].0;
    let mut transitions = Vec::with_capacity(times.len());
    let mut offsets = Vec::with_capacity(times.len());
    let mut abbrevs = Vec::with_capacity(times.len());
    for (t, &i) in times.iter().zip(&idx) {
        let (off, _) = *types.get(usize::from(i))?;
        transitions.push(*t);
        offsets.push(off);
        abbrevs.push(i);
    }
    let mut zone = Zone {
        name,
        transitions,
        offsets,
        initial,
        abbrevs,
        initial_abbrev: u8::try_from(initial_type).ok()?,
        names,
    };
    if let Some(rule) = footer {
        let last = zone.transitions.last().copied();
        let start_year = last.map_or(1900, |t| year_of(t) + 1);
        let more = rule_zone(String::new(), &rule, start_year);
        // The rule's names go after the file's.
        let base = u8::try_from(zone.names.len()).ok()?;
        zone.names.extend(more.names);
        if last.is_none() {
            zone.initial = more.initial;
            zone.initial_abbrev = base + more.initial_abbrev;
        }
        for ((t, o), a) in more
            .transitions
            .into_iter()
            .zip(more.offsets)
            .zip(more.abbrevs)
        {
            if last.is_none_or(|l| t > l) {
                zone.transitions.push(t);
                zone.offsets.push(o);
                zone.abbrevs.push(base + a);
            }
        }
        if zone.transitions.is_empty() {
            zone.initial = rule.std_offset;
            zone.initial_abbrev = base;
        }
    }
    Some(zone)
}

/// A POSIX `TZ` string: standard offset and, with DST, its offset and rules.
struct PosixRule {
    /// The abbreviations of standard and daylight time.
    std_name: String,
    dst_name: String,
    /// Seconds east of UTC in standard time.
    std_offset: i32,
    /// Daylight time: offset and the (start, end) rules with their local times.
    dst: Option<(i32, Switch, Switch)>,
}

/// When daylight time starts or ends: the day and the local time (seconds) on it.
type Switch = (DateRule, i32);

#[derive(Clone, Copy)]
enum DateRule {
    /// `Jn`: day 1..=365, February 29 never counted.
    Julian(u32),
    /// `n`: day 0..=365, February 29 counted.
    Zero(u32),
    /// `Mm.w.d`: day `d` (0 = Sunday) of week `w` (5 = last) of month `m`.
    Month(u32, u32, u32),
}

/// Parses a POSIX `TZ` string; offsets in it count hours *west* of UTC.
fn parse_posix(s: &str) -> Option<PosixRule> {
    let b = s.as_bytes();
    let mut i = 0;
    // PostgreSQL allows an empty standard-time name (`+02`), unlike POSIX.
    let name = |i: &mut usize, min: usize| -> Option<String> {
        if b.get(*i) == Some(&b'<') {
            let end = s[*i..].find('>')? + *i;
            if end - *i < 4 {
                return None;
            }
            let n = s[*i + 1..end].to_owned();
            *i = end + 1;
            Some(n)
        } else {
            let start = *i;
            while *i < b.len() && b[*i].is_ascii_alphabetic() {
                *i += 1;
            }
            if *i - start < min {
                return None;
            }
            Some(s[start..*i].to_owned())
        }
    };
    // [+-]hh[:mm[:ss]] in seconds.
    let offset = |i: &mut usize, max_hours: i64| -> Option<i64> {
        let mut sign = 1;
        match b.get(*i) {
            Some(b'+') => *i += 1,
            Some(b'-') => {
                sign = -1;
                *i += 1;
            }
            _ => {}
        }
        let mut parts = [0i64; 3];
        for (k, p) in parts.iter_mut().enumerate() {
            if k > 0 {
                if b.get(*i) != Some(&b':') {
                    break;
                }
                *i += 1;
            }
            let start = *i;
            while *i < b.len() && b[*i].is_ascii_digit() && *i - start < 3 {
                *i += 1;
            }
            if *i == start {
                return None;
            }
            *p = s[start..*i].parse().ok()?;
        }
        if parts[0] > max_hours || parts[1] > 59 || parts[2] > 59 {
            return None;
        }
        Some(sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]))
    };
    let std_name = name(&mut i, 0)?;
    let std_west = offset(&mut i, 24)?;
    let std_offset = i32::try_from(-std_west).ok()?;
    if i == b.len() {
        return Some(PosixRule {
            std_name,
            dst_name: String::new(),
            std_offset,
            dst: None,
        });
    }
    let dst_name = name(&mut i, 3)?;
    let dst_west = if i < b.len() && b[i] != b',' {
        offset(&mut i, 24)?
    } else {
        std_west - 3600
    };
    let dst_offset = i32::try_from(-dst_west).ok()?;
    let date = |i: &mut usize| -> Option<Switch> {
        if b.get(*i) != Some(&b',') {
            return None;
        }
        *i += 1;
        let num = |i: &mut usize| -> Option<u32> {
            let start = *i;
            while *i < b.len() && b[*i].is_ascii_digit() {
                *i += 1;
            }
            s.get(start..*i)?.parse().ok()
        };
        let rule = match b.get(*i)? {
            b'J' => {
                *i += 1;
                let d = num(i)?;
                (1..=365).contains(&d).then_some(DateRule::Julian(d))?
            }
            b'M' => {
                *i += 1;
                let m = num(i)?;
                (b.get(*i) == Some(&b'.')).then_some(())?;
                *i += 1;
                let w = num(i)?;
                (b.get(*i) == Some(&b'.')).then_some(())?;
                *i += 1;
                let d = num(i)?;
                ((1..=12).contains(&m) && (1..=5).contains(&w) && d <= 6)
                    .then_some(DateRule::Month(m, w, d))?
            }
            _ => {
                let d = num(i)?;
                (d <= 365).then_some(DateRule::Zero(d))?
            }
        };
        let time = if b.get(*i) == Some(&b'/') {
            *i += 1;
            offset(i, 167)?
        } else {
            7200
        };
        Some((rule, i32::try_from(time).ok()?))
    };
    let (start, end) = if i == b.len() {
        // No rules: the US rules POSIX defaults to.
        (
            (DateRule::Month(3, 2, 0), 7200),
            (DateRule::Month(11, 1, 0), 7200),
        )
    } else {
        let a = date(&mut i)?;
        let e = date(&mut i)?;
        (a, e)
    };
    if i != b.len() {
        return None;
    }
    Some(PosixRule {
        std_name,
        dst_name,
        std_offset,
        dst: Some((dst_offset, start, end)),
    })
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days from 1970-01-01 to y-m-d.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    super::datetime::days_from_civil(y, m, d) + 10_957
}

fn year_of(unix: i64) -> i64 {
    super::datetime::civil_from_days(unix.div_euclid(86_400) - 10_957).0
}

/// The day (days since 1970) a rule names in year `y`.
fn rule_day(rule: DateRule, y: i64) -> i64 {
    let jan1 = days_from_civil(y, 1, 1);
    match rule {
        DateRule::Julian(d) => {
            let d = i64::from(d);
            jan1 + d - 1 + i64::from(is_leap(y) && d >= 60)
        }
        DateRule::Zero(d) => jan1 + i64::from(d),
        DateRule::Month(m, w, d) => {
            let first = days_from_civil(y, m, 1);
            // 1970-01-01 was a Thursday (4).
            let wday = (first + 4).rem_euclid(7);
            let mut day = first + (i64::from(d) - wday).rem_euclid(7) + 7 * (i64::from(w) - 1);
            let next_month = if m == 12 {
                days_from_civil(y + 1, 1, 1)
            } else {
                days_from_civil(y, m + 1, 1)
            };
            while day >= next_month {
                day -= 7;
            }
            day
        }
    }
}

/// The transitions a POSIX rule gives from `from_year` to [`LAST_RULE_YEAR`].
fn rule_zone(name: String, rule: &PosixRule, from_year: i64) -> Zone {
    let mut zone = Zone {
        name,
        transitions: Vec::new(),
        offsets: Vec::new(),
        initial: rule.std_offset,
        abbrevs: Vec::new(),
        initial_abbrev: 0,
        names: vec![rule.std_name.clone(), rule.dst_name.clone()],
    };
    let Some((dst_offset, (start, start_time), (end, end_time))) = rule.dst else {
        return zone;
    };
    let std = rule.std_offset;
    for y in from_year..=LAST_RULE_YEAR {
        // The start time is standard local time, the end time daylight local time.
        let on = rule_day(start, y) * 86_400 + i64::from(start_time) - i64::from(std);
        let off = rule_day(end, y) * 86_400 + i64::from(end_time) - i64::from(dst_offset);
        let mut pair = [(on, dst_offset, 1), (off, std, 0)];
        pair.sort_by_key(|p| p.0);
        for (t, o, a) in pair {
            zone.transitions.push(t);
            zone.offsets.push(o);
            zone.abbrevs.push(a);
        }
    }
    // A southern-hemisphere rule starts the year in daylight time.
    if zone.abbrevs.first() == Some(&0) {
        zone.initial = dst_offset;
        zone.initial_abbrev = 1;
    }
    zone
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn posix_rules() {
        let r = parse_posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        assert_eq!(r.std_offset, 3600);
        let z = rule_zone("x".into(), &r, 2024);
        // 2024-03-31 01:00 UTC and 2024-10-27 01:00 UTC.
        assert_eq!(z.transitions[0], 1_711_846_800);
        assert_eq!(z.transitions[1], 1_729_990_800);
        assert_eq!(z.offset_at_utc(1_711_846_799), 3600);
        assert_eq!(z.offset_at_utc(1_711_846_800), 7200);
        assert_eq!(parse_posix("<-03>3").unwrap().std_offset, -3 * 3600);
        assert_eq!(parse_posix("<+0530>-5:30").unwrap().std_offset, 19_800);
        assert_eq!(parse_posix("+02").unwrap().std_offset, -7200);
        assert!(parse_posix("Europe/Paris").is_none());
    }

    #[test]
    fn local_times_in_transitions() {
        let r = parse_posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        let z = rule_zone("x".into(), &r, 2024);
        // 2024-03-31 02:30 local does not exist: read with the offset before (+01).
        let gap = days_from_civil(2024, 3, 31) * 86_400 + 9_000;
        assert_eq!(z.offset_for_local(gap), 3600);
        // 2024-10-27 02:30 local happens twice: the later instant (+01).
        let twice = days_from_civil(2024, 10, 27) * 86_400 + 9_000;
        assert_eq!(z.offset_for_local(twice), 3600);
        let summer = days_from_civil(2024, 7, 1) * 86_400;
        assert_eq!(z.offset_for_local(summer), 7200);
    }
}
