//! JSON lines: one object per line, its keys naming columns.
//!
//! A value goes to its column as text: strings as they are, numbers and booleans as
//! written, objects and arrays as JSON text (for jsonb/json columns), `null` and a missing key
//! as NULL. A line that is not valid UTF-8, not JSON, not an object, or that has a key naming
//! no column of the table is rejected with its line number. Blank lines are skipped.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use std::collections::HashMap;

use serde_json::Value;
use serde_json::value::RawValue;

use super::{Kind, MAX_BATCH_BYTES, Pipe, Reject, Start, encode_field, skip_prefix};

/// An object's members in the order written (serde_json's map sorts them).
struct Members(Vec<(String, Box<RawValue>)>);

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Members, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Members, A::Error> {
                let mut v = Vec::new();
                while let Some(kv) = m.next_entry::<String, Box<RawValue>>()? {
                    v.push(kv);
                }
                Ok(Members(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// The kind of a JSON value written as `raw`.
fn kind(raw: &str) -> Kind {
    match raw.as_bytes().first() {
        Some(b'n') => Kind::Unknown,
        Some(b't' | b'f') => Kind::Boolean,
        Some(b'{' | b'[') => Kind::Jsonb,
        Some(b'"') => match serde_json::from_str::<String>(raw).map(|s| Kind::of_text(&s)) {
            // A string stays a string: only dates and times are read out of it.
            Ok(k @ (Kind::Date | Kind::Timestamp | Kind::Timestamptz)) => k,
            _ => Kind::Text,
        },
        _ => Kind::of_text(raw),
    }
}

/// The union of the keys of the first `lines` objects, in order of first appearance, with
/// their inferred kinds (a key holding an object or array anywhere is jsonb: any JSON value
/// fits it).
pub fn sample(path: &Path, lines: usize) -> Result<Vec<(String, Kind)>, String> {
    let f = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut cols: Vec<(String, Kind, bool)> = Vec::new();
    let mut seen = 0;
    for line in BufReader::new(f).split(b'\n') {
        if seen >= lines {
            break;
        }
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        let Ok(Members(m)) = serde_json::from_slice::<Members>(&line) else {
            continue;
        };
        seen += 1;
        for (k, v) in m {
            let kind = kind(v.get());
            let nested = kind == Kind::Jsonb;
            match cols.iter_mut().find(|(n, _, _)| *n == k) {
                Some((_, c, j)) => {
                    *c = c.join(kind);
                    *j |= nested;
                }
                None => cols.push((k, kind, nested)),
            }
        }
    }
    Ok(cols
        .into_iter()
        .map(|(n, k, j)| (n, if j { Kind::Jsonb } else { k }))
        .collect())
}

/// Why a line cannot be loaded, or its values in `columns` order.
fn row(line: &[u8], columns: &[(String, bool)], out: &mut Vec<u8>) -> Result<(), String> {
    if let Err(e) = std::str::from_utf8(line) {
        let at = e.valid_up_to();
        return Err(format!(
            "invalid byte sequence for encoding \"UTF8\": 0x{:02x}",
            line.get(at).copied().unwrap_or(0)
        ));
    }
    // Values stay as written (RawValue): numbers keep every digit, objects their text.
    let text = std::str::from_utf8(line).unwrap_or_default();
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return Err(format!("invalid JSON: {e}")),
    };
    if !v.is_object() {
        return Err("not a JSON object".into());
    }
    let mut m: HashMap<String, &RawValue> =
        serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    for (i, (c, json)) in columns.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        let Some(raw) = m.remove(c) else {
            encode_field(out, None);
            continue;
        };
        let raw = raw.get();
        if raw == "null" {
            encode_field(out, None);
        } else if raw.starts_with('"') && !json {
            let s: String = serde_json::from_str(raw).map_err(|e| format!("invalid JSON: {e}"))?;
            encode_field(out, Some(s.as_bytes()));
        } else {
            encode_field(out, Some(raw.as_bytes()));
        }
    }
    if let Some(k) = m.keys().next() {
        return Err(format!("key \"{k}\" names no column of the table"));
    }
    out.push(b'\n');
    Ok(())
}

/// Reads the file and sends its batches.
pub fn produce(
    path: &Path,
    columns: &[(String, bool)],
    start: Start,
    batch_size: usize,
    tx: &Pipe,
) {
    let r = (|| -> Result<(), String> {
        let io = |e: std::io::Error| format!("{}: {e}", path.display());
        let f = File::open(path).map_err(io)?;
        let mut input = BufReader::with_capacity(1 << 18, f);
        let mut hasher = crc32fast::Hasher::new();
        if start.offset > 0 {
            skip_prefix(&mut input, &mut hasher, start.offset, &start, path)?;
        }
        let mut offset = start.offset;
        let mut line_no = start.line;
        let mut line = Vec::new();
        loop {
            let mut b = tx.batch();
            while b.rows.len() < batch_size && b.data.len() < MAX_BATCH_BYTES {
                line.clear();
                if input.read_until(b'\n', &mut line).map_err(io)? == 0 {
                    b.last = true;
                    break;
                }
                hasher.update(&line);
                offset += line.len() as u64;
                let n = line_no;
                line_no += 1;
                let body = line.strip_suffix(b"\n").unwrap_or(&line);
                let body = body.strip_suffix(b"\r").unwrap_or(body);
                if body.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let mark = b.data.len();
                match row(body, columns, &mut b.data) {
                    Ok(()) => {
                        b.raw.extend_from_slice(body);
                        b.push_row(n);
                    }
                    Err(reason) => {
                        b.data.truncate(mark);
                        b.bad.push(Reject {
                            line: n,
                            reason,
                            raw: body.to_vec(),
                        });
                    }
                }
            }
            b.offset = offset;
            b.pos = offset;
            b.next_line = line_no;
            b.crc = hasher.clone().finalize();
            let last = b.last;
            if !tx.send(Ok(b)) || last {
                return Ok(());
            }
        }
    })();
    if let Err(e) = r {
        tx.send(Err(e));
    }
}
