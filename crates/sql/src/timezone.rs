//! Validating and normalising `TimeZone` values as PostgreSQL's `check_timezone` does.
//!
//! Accepted, in PostgreSQL's order:
//! 1. a number of hours (`-3.5`), turned into the POSIX name PostgreSQL shows (`<-03:30>+03:30`);
//! 2. a zone of the tz database, found without regard to case and shown with its canonical
//!    spelling (`europe/paris` → `Europe/Paris`). Like PostgreSQL built with system tzdata, the
//!    database is read from `$TZDIR` or `/usr/share/zoneinfo`; only whether a zone exists is
//!    looked at here;
//! 3. a POSIX time zone specification (`UTC+3`, `EST5EDT,M3.2.0,M11.1.0`), shown upper-cased,
//!    or a POSIX offset alone (`-02:00`, two hours east), shown as written.
//!
//! `SET TIME ZONE INTERVAL '+02:00'` arrives here as a number of hours (the session turns the
//! interval into one).

use std::fs;
use std::io::Read;
use std::path::PathBuf;

/// Why a value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TzError {
    /// Not a time zone (22023 `invalid value for parameter "TimeZone"`).
    Invalid,
    /// A zone of the tz database that counts leap seconds (`right/...`), which PostgreSQL
    /// refuses.
    LeapSeconds,
    /// A form Basalt does not support yet (0A000).
    Unsupported(&'static str),
}

/// Names longer than this are refused (PostgreSQL's `TZ_STRLEN_MAX`).
const TZ_STRLEN_MAX: usize = 255;

/// The canonical name of time zone `value`.
pub(crate) fn canonical(value: &str) -> Result<String, TzError> {
    if value
        .get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("interval"))
    {
        return Err(TzError::Unsupported("SET TIME ZONE INTERVAL"));
    }
    if let Some(hours) = numeric_hours(value) {
        return offset_name(hours).ok_or(TzError::Invalid);
    }
    if value.is_empty() || value.len() > TZ_STRLEN_MAX {
        return Err(TzError::Invalid);
    }
    if let Some(name) = find_zone(value) {
        // Zones under right/ count leap seconds (PostgreSQL's pg_tz_acceptable refuses them).
        if name.starts_with("right/") {
            return Err(TzError::LeapSeconds);
        }
        return Ok(name);
    }
    // A POSIX offset without a zone name (`-02:00`), shown as written; with seconds, it
    // fails as PostgreSQL's does.
    if basalt_common::types::datetime::bare_posix_offset(value).is_some() {
        return Ok(value.to_string());
    }
    if value.matches(':').count() == 2 && posix_offset(value.trim()) == Some("") {
        return Err(TzError::LeapSeconds);
    }
    let upper = value.to_ascii_uppercase();
    if !upper.starts_with(':') && is_posix_spec(&upper) {
        return Ok(upper);
    }
    Err(TzError::Invalid)
}

/// `value` as C's `strtod` reads it when it reads the whole string.
fn numeric_hours(value: &str) -> Option<f64> {
    let trimmed = value.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let first = trimmed.chars().next()?;
    if !(first.is_ascii_digit() || matches!(first, '+' | '-' | '.')) {
        return None;
    }
    trimmed.parse::<f64>().ok().filter(|h| h.is_finite())
}

/// PostgreSQL's `pg_tzset_offset` name for `hours` east of UTC, e.g. `<+03>-03` for 3.
fn offset_name(hours: f64) -> Option<String> {
    // SQL counts hours east of UTC, POSIX seconds west; truncation is C's conversion to long.
    let gmtoffset = (-hours * 3600.0) as i64;
    let abs = gmtoffset.unsigned_abs();
    // POSIX offsets stop short of a week (tzparse's limit).
    if abs >= 24 * 7 * 3600 {
        return None;
    }
    let mut text = format!("{:02}", abs / 3600);
    let rem = abs % 3600;
    if rem != 0 {
        text.push_str(&format!(":{:02}", rem / 60));
        if !rem.is_multiple_of(60) {
            text.push_str(&format!(":{:02}", rem % 60));
        }
    }
    Some(if gmtoffset > 0 {
        format!("<-{text}>+{text}")
    } else {
        format!("<+{text}>-{text}")
    })
}

fn tz_dir() -> PathBuf {
    std::env::var_os("TZDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/zoneinfo"))
}

/// The zone file matching `name` component by component without regard to case; hidden
/// entries (and so `..`) are never matched, which keeps the search inside the directory.
fn find_zone(name: &str) -> Option<String> {
    let mut path = tz_dir();
    let mut canonical = Vec::new();
    for part in name.split('/') {
        if part.is_empty() || part.starts_with('.') {
            return None;
        }
        let entry = fs::read_dir(&path).ok()?.find_map(|entry| {
            let entry = entry.ok()?;
            let file = entry.file_name().into_string().ok()?;
            (!file.starts_with('.') && file.eq_ignore_ascii_case(part)).then_some(file)
        })?;
        path.push(&entry);
        canonical.push(entry);
    }
    // A zone file starts with the TZif magic; directories and other files are not zones.
    let mut magic = [0u8; 4];
    fs::File::open(&path).ok()?.read_exact(&mut magic).ok()?;
    (&magic == b"TZif").then(|| canonical.join("/"))
}

/// Whether `spec` is a POSIX TZ string: `std offset [dst [offset] [,rule,rule]]`.
fn is_posix_spec(spec: &str) -> bool {
    let rest = match zone_abbrev(spec) {
        Some(rest) => rest,
        None => return false,
    };
    let Some(rest) = posix_offset(rest) else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let Some(mut rest) = zone_abbrev(rest) else {
        return false;
    };
    if let Some(after) = posix_offset(rest) {
        rest = after;
    }
    if rest.is_empty() {
        return true;
    }
    let Some(rules) = rest.strip_prefix(',') else {
        return false;
    };
    let parts: Vec<&str> = rules.split(',').collect();
    parts.len() == 2 && parts.iter().all(|p| posix_rule(p))
}

/// A zone abbreviation: three or more letters, or `<...>` with three or more characters.
fn zone_abbrev(s: &str) -> Option<&str> {
    if let Some(inner) = s.strip_prefix('<') {
        let end = inner.find('>')?;
        let name = &inner[..end];
        let ok = name.len() >= 3
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-');
        return ok.then(|| &inner[end + 1..]);
    }
    let len = s.chars().take_while(char::is_ascii_alphabetic).count();
    (len >= 3).then(|| &s[len..])
}

/// `[+-]hh[:mm[:ss]]`.
fn posix_offset(s: &str) -> Option<&str> {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let mut rest = digits(s, 1, 3)?;
    for _ in 0..2 {
        match rest.strip_prefix(':') {
            Some(after) => rest = digits(after, 1, 2)?,
            None => break,
        }
    }
    Some(rest)
}

fn digits(s: &str, min: usize, max: usize) -> Option<&str> {
    let n = s.chars().take_while(char::is_ascii_digit).count();
    (n >= min && n <= max).then(|| &s[n..])
}

/// A transition rule: `Jn`, `n` or `Mm.w.d`, optionally followed by `/time`.
fn posix_rule(rule: &str) -> bool {
    let (date, time) = match rule.split_once('/') {
        Some((d, t)) => (d, Some(t)),
        None => (rule, None),
    };
    let date_ok = if let Some(n) = date.strip_prefix('J') {
        digits(n, 1, 3) == Some("")
    } else if let Some(m) = date.strip_prefix('M') {
        let parts: Vec<&str> = m.split('.').collect();
        parts.len() == 3 && parts.iter().all(|p| digits(p, 1, 2) == Some(""))
    } else {
        digits(date, 1, 3) == Some("")
    };
    date_ok && time.is_none_or(|t| posix_offset(t) == Some(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outputs checked against PostgreSQL 15 (Debian, system tzdata).
    #[test]
    fn names_like_postgres() {
        assert_eq!(canonical("3"), Ok("<+03>-03".into()));
        assert_eq!(canonical("-3.5"), Ok("<-03:30>+03:30".into()));
        assert_eq!(canonical("+05"), Ok("<+05>-05".into()));
        assert_eq!(canonical("UTC+3"), Ok("UTC+3".into()));
        assert_eq!(canonical("utc+3"), Ok("UTC+3".into()));
        assert_eq!(canonical("Z"), Err(TzError::Invalid));
        assert_eq!(canonical("abc"), Err(TzError::Invalid));
        assert_eq!(canonical(""), Err(TzError::Invalid));
        assert_eq!(canonical("foo/bar"), Err(TzError::Invalid));
        assert_eq!(canonical("../etc/passwd"), Err(TzError::Invalid));
        assert_eq!(canonical("intervaé"), Err(TzError::Invalid));
        assert!(is_posix_spec("EST5EDT,M3.2.0,M11.1.0"));
        assert!(is_posix_spec("<+0330>-3:30"));
        if tz_dir().join("Europe/Paris").exists() {
            assert_eq!(canonical("europe/paris"), Ok("Europe/Paris".into()));
            assert_eq!(canonical("utc"), Ok("UTC".into()));
            assert_eq!(canonical("EST5EDT"), Ok("EST5EDT".into()));
            assert_eq!(canonical("Etc/GMT+5"), Ok("Etc/GMT+5".into()));
            assert_eq!(canonical("Europe"), Err(TzError::Invalid));
            if tz_dir().join("right/UTC").exists() {
                assert_eq!(canonical("right/UTC"), Err(TzError::LeapSeconds));
            }
        }
    }
}
