//! JSON lines: one object per line, its keys naming columns.
//!
//! A value goes to its column as text: strings as they are, numbers and booleans as
//! written, objects and arrays as JSON text (for jsonb/json columns), `null` and a missing key
//! as NULL. A line that is not valid UTF-8, not JSON, not an object, or that has a key naming
//! no column of the table is rejected with its line number. Blank lines are skipped.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::mpsc::SyncSender;

use serde_json::Value;

use super::{Batch, Kind, MAX_BATCH_BYTES, Produced, Reject, Start, encode_field, skip_prefix};

/// The union of the keys of the first `lines` objects, in order of first appearance, with
/// their inferred kinds.
pub fn sample(path: &Path, lines: usize) -> Result<Vec<(String, Kind)>, String> {
    let f = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut cols: Vec<(String, Kind)> = Vec::new();
    let mut seen = 0;
    for line in BufReader::new(f).split(b'\n') {
        if seen >= lines {
            break;
        }
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(&line) else {
            continue;
        };
        seen += 1;
        for (k, v) in m {
            let kind = Kind::of_json(&v);
            match cols.iter_mut().find(|(n, _)| *n == k) {
                Some((_, c)) => *c = c.join(kind),
                None => cols.push((k, kind)),
            }
        }
    }
    Ok(cols)
}

/// Why a line cannot be loaded, or its values in `columns` order.
fn row(line: &[u8], columns: &[String], out: &mut Vec<u8>) -> Result<(), String> {
    if let Err(e) = std::str::from_utf8(line) {
        let at = e.valid_up_to();
        return Err(format!(
            "invalid byte sequence for encoding \"UTF8\": 0x{:02x}",
            line.get(at).copied().unwrap_or(0)
        ));
    }
    let v: Value = serde_json::from_slice(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let Value::Object(mut m) = v else {
        return Err("not a JSON object".into());
    };
    let mut text = String::new();
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        match m.remove(c) {
            None | Some(Value::Null) => encode_field(out, None),
            Some(Value::String(s)) => encode_field(out, Some(s.as_bytes())),
            Some(v) => {
                text.clear();
                text.push_str(&v.to_string());
                encode_field(out, Some(text.as_bytes()));
            }
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
    columns: &[String],
    start: Start,
    batch_size: usize,
    tx: &SyncSender<Produced>,
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
            let mut b = Batch::default();
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
            if tx.send(Ok(b)).is_err() || last {
                return Ok(());
            }
        }
    })();
    if let Err(e) = r {
        let _ = tx.send(Err(e));
    }
}
