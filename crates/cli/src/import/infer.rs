//! Column types inferred from sample values (`--create`).
//!
//! Each non-NULL sample value gets the narrowest [`Kind`] its text (or JSON value) fits, and a
//! column's kind is the join of its values' kinds: integers widen to numeric, numbers with an
//! exponent to double precision, dates to timestamps, timestamps to timestamptz, and any
//! other mix to text. A column with no non-NULL sample value is text.

/// An inferred column type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// No value seen yet (all NULL).
    Unknown,
    /// `true` / `false` / `t` / `f`.
    Boolean,
    /// Integers that fit 64 bits.
    Bigint,
    /// Decimal numbers (exact).
    Numeric,
    /// Numbers with an exponent.
    Double,
    /// `YYYY-MM-DD`.
    Date,
    /// A date and a time.
    Timestamp,
    /// A date, a time and a zone.
    Timestamptz,
    /// A JSON object or array.
    Jsonb,
    /// Anything else.
    Text,
}

impl Kind {
    /// The SQL type name.
    pub fn sql(self) -> &'static str {
        match self {
            Kind::Boolean => "boolean",
            Kind::Bigint => "bigint",
            Kind::Numeric => "numeric",
            Kind::Double => "double precision",
            Kind::Date => "date",
            Kind::Timestamp => "timestamp",
            Kind::Timestamptz => "timestamptz",
            Kind::Jsonb => "jsonb",
            Kind::Unknown | Kind::Text => "text",
        }
    }

    /// The kind of a text value.
    pub fn of_text(s: &str) -> Kind {
        let t = s.trim();
        if t.is_empty() {
            return Kind::Text;
        }
        if ["true", "false", "t", "f"]
            .iter()
            .any(|b| t.eq_ignore_ascii_case(b))
        {
            return Kind::Boolean;
        }
        if let Some(k) = number(t) {
            return k;
        }
        if let Some(k) = datetime(t) {
            return k;
        }
        if (t.starts_with('{') || t.starts_with('['))
            && serde_json::from_str::<serde_json::Value>(t).is_ok()
        {
            return Kind::Jsonb;
        }
        Kind::Text
    }

    /// The kind that holds both.
    pub fn join(self, other: Kind) -> Kind {
        use Kind::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Unknown, k) | (k, Unknown) => k,
            (Bigint, Numeric) | (Numeric, Bigint) => Numeric,
            (Bigint | Numeric, Double) | (Double, Bigint | Numeric) => Double,
            (Date, Timestamp) | (Timestamp, Date) => Timestamp,
            (Date | Timestamp, Timestamptz) | (Timestamptz, Date | Timestamp) => Timestamptz,
            _ => Text,
        }
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn number(t: &str) -> Option<Kind> {
    let u = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits(u) {
        return Some(if t.parse::<i64>().is_ok() {
            Kind::Bigint
        } else {
            Kind::Numeric
        });
    }
    let (mantissa, exp) = match u.find(['e', 'E']) {
        Some(i) => (&u[..i], Some(&u[i + 1..])),
        None => (u, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some(p) => p,
        None if exp.is_some() => (mantissa, ""),
        None => return None,
    };
    let ok = (digits(int) || int.is_empty())
        && (digits(frac) || frac.is_empty())
        && !(int.is_empty() && frac.is_empty());
    if !ok {
        return None;
    }
    match exp {
        None => Some(Kind::Numeric),
        Some(e) if digits(e.strip_prefix(['+', '-']).unwrap_or(e)) => Some(Kind::Double),
        Some(_) => None,
    }
}

fn date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && digits(&s[0..4])
        && b[4] == b'-'
        && digits(&s[5..7])
        && b[7] == b'-'
        && digits(&s[8..10])
        && (1..=12).contains(&s[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&s[8..10].parse::<u32>().unwrap_or(0))
}

fn datetime(t: &str) -> Option<Kind> {
    if t.len() < 10 || !t.is_char_boundary(10) || !date(&t[..10]) {
        return None;
    }
    let rest = &t[10..];
    if rest.is_empty() {
        return Some(Kind::Date);
    }
    let rest = rest.strip_prefix([' ', 'T'])?;
    // HH:MM[:SS[.ffffff]]
    let b = rest.as_bytes();
    if b.len() < 5 || !digits(&rest[0..2]) || b[2] != b':' || !digits(&rest[3..5]) {
        return None;
    }
    let mut i = 5;
    if b.get(i) == Some(&b':') {
        if b.len() < i + 3 || !digits(&rest[i + 1..i + 3]) {
            return None;
        }
        i += 3;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return None;
            }
        }
    }
    let zone = rest[i..].trim_start();
    if zone.is_empty() {
        return Some(Kind::Timestamp);
    }
    if zone == "Z" || zone == "z" || zone.eq_ignore_ascii_case("utc") {
        return Some(Kind::Timestamptz);
    }
    let z = zone.strip_prefix(['+', '-'])?;
    let z = z.replace(':', "");
    (digits(&z) && matches!(z.len(), 2 | 4)).then_some(Kind::Timestamptz)
}

#[cfg(test)]
mod tests {
    use super::Kind::{self, *};

    #[test]
    fn kinds_of_text() {
        let cases = [
            ("true", Boolean),
            ("F", Boolean),
            ("42", Bigint),
            ("-7", Bigint),
            ("99999999999999999999", Numeric),
            ("3.14", Numeric),
            (".5", Numeric),
            ("1e10", Double),
            ("1e+300", Double),
            ("e5", Text),
            ("-2.5E-3", Double),
            ("2024-02-29", Date),
            ("2024-02-29 10:20", Timestamp),
            ("2024-02-29T10:20:30.123", Timestamp),
            ("2024-02-29 10:20:30+02", Timestamptz),
            ("2024-02-29T10:20:30Z", Timestamptz),
            ("2024-02-29 10:20:30-05:30", Timestamptz),
            ("{\"a\": 1}", Jsonb),
            ("[1,2]", Jsonb),
            ("{not json", Text),
            ("2024-13-01", Text),
            ("1.2.3", Text),
            ("yes", Text),
            ("é", Text),
        ];
        for (s, k) in cases {
            assert_eq!(Kind::of_text(s), k, "{s}");
        }
    }

    #[test]
    fn joins() {
        assert_eq!(Bigint.join(Numeric), Numeric);
        assert_eq!(Numeric.join(Double), Double);
        assert_eq!(Unknown.join(Date), Date);
        assert_eq!(Date.join(Timestamp), Timestamp);
        assert_eq!(Timestamp.join(Timestamptz), Timestamptz);
        assert_eq!(Bigint.join(Boolean), Text);
        assert_eq!(Jsonb.join(Text), Text);
        assert_eq!(Unknown.sql(), "text");
    }
}
