//! A streaming CSV reader with PostgreSQL's CSV rules and line numbers.
//!
//! A record is read line by line (`read_until`, so the scan for line ends is memchr's): a
//! line that leaves a quoted field open continues the record on the next line, as
//! PostgreSQL's COPY does (every quote character toggles the quoted state, a doubled quote
//! inside quotes stands for one). Fields are then split in one pass: an unquoted field equal
//! to the NULL string is NULL, a quoted one never is. Each record keeps its raw bytes (for the
//! reject file and the resume checksum) and the number of its first line, so that an invalid
//! UTF-8 byte, an unterminated quote or a wrong field count is reported at its line.

use std::io::{self, BufRead};

/// How the file is written.
#[derive(Clone, Debug)]
pub struct Dialect {
    /// The field separator.
    pub delimiter: u8,
    /// The quote character (a doubled quote inside quotes stands for one).
    pub quote: u8,
    /// The text of an unquoted NULL field.
    pub null: Vec<u8>,
}

/// One record: its fields, or why it cannot be read.
#[derive(Default)]
pub struct Record {
    /// The 1-based number of the record's first line.
    pub line: u64,
    /// The record's bytes as read, line ends included.
    pub raw: Vec<u8>,
    /// The field values, concatenated.
    pub buf: Vec<u8>,
    /// Each field's end in `buf`, and whether it is NULL.
    pub fields: Vec<(usize, bool)>,
    /// Why the record is bad (unterminated quote, invalid UTF-8), if it is.
    pub error: Option<String>,
}

impl Record {
    /// The fields as byte slices (`None` is NULL).
    pub fn values(&self) -> impl Iterator<Item = Option<&[u8]>> + '_ {
        let mut start = 0;
        self.fields.iter().map(move |&(end, null)| {
            let v = &self.buf[start..end];
            start = end;
            (!null).then_some(v)
        })
    }
}

/// Reads records from a buffered stream.
pub struct Reader<R> {
    input: R,
    dialect: Dialect,
    /// The number of the next line to read.
    line: u64,
}

impl<R: BufRead> Reader<R> {
    /// A reader whose first line is numbered `line`.
    pub fn new(input: R, dialect: Dialect, line: u64) -> Reader<R> {
        Reader {
            input,
            dialect,
            line,
        }
    }

    /// The number of the next line to read.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The underlying stream.
    pub fn into_inner(self) -> R {
        self.input
    }

    /// Reads the next record into `rec`; `false` at the end of the input.
    pub fn read(&mut self, rec: &mut Record) -> io::Result<bool> {
        rec.raw.clear();
        rec.buf.clear();
        rec.fields.clear();
        rec.error = None;
        rec.line = self.line;
        let q = self.dialect.quote;
        let mut in_quote = false;
        loop {
            let start = rec.raw.len();
            let n = self.input.read_until(b'\n', &mut rec.raw)?;
            if n == 0 {
                if rec.raw.is_empty() {
                    return Ok(false);
                }
                break;
            }
            self.line += 1;
            // Quotes toggle the state wherever they are (PostgreSQL's CopyReadLineText).
            if rec.raw[start..].iter().filter(|&&b| b == q).count() % 2 == 1 {
                in_quote = !in_quote;
            }
            if !in_quote || rec.raw.last() != Some(&b'\n') {
                break;
            }
        }
        if in_quote {
            rec.error = Some(format!(
                "unterminated quoted field (the quote opened on line {} is never closed)",
                self.quote_line(rec)
            ));
            return Ok(true);
        }
        self.split(rec);
        Ok(true)
    }

    /// The line of the quote left open in `rec` (for the message).
    fn quote_line(&self, rec: &Record) -> u64 {
        let mut open = None;
        let mut line = rec.line;
        for &b in &rec.raw {
            if b == self.dialect.quote {
                open = match open {
                    None => Some(line),
                    Some(_) => None,
                };
            } else if b == b'\n' {
                line += 1;
            }
        }
        open.unwrap_or(rec.line)
    }

    /// Splits a complete record's bytes into fields.
    fn split(&self, rec: &mut Record) {
        let d = &self.dialect;
        // The raw bytes are read while the fields are written: take them out meanwhile.
        let raw = std::mem::take(&mut rec.raw);
        let mut body = &raw[..];
        if body.last() == Some(&b'\n') {
            body = &body[..body.len() - 1];
            if body.last() == Some(&b'\r') {
                body = &body[..body.len() - 1];
            }
        }
        let mut in_quote = false;
        let mut quoted = false;
        let mut start = 0;
        let mut i = 0;
        while i < body.len() {
            let b = body[i];
            if in_quote {
                if b == d.quote {
                    if body.get(i + 1) == Some(&d.quote) {
                        rec.buf.push(d.quote);
                        i += 1;
                    } else {
                        in_quote = false;
                    }
                } else {
                    rec.buf.push(b);
                }
            } else if b == d.delimiter {
                end_field(rec, start, quoted, &d.null);
                start = rec.buf.len();
                quoted = false;
            } else if b == d.quote {
                in_quote = true;
                quoted = true;
            } else {
                rec.buf.push(b);
            }
            i += 1;
        }
        end_field(rec, start, quoted, &d.null);
        rec.raw = raw;
        if let Err(e) = std::str::from_utf8(&rec.buf) {
            // Find the line of the bad byte in the raw text (the first invalid sequence
            // there is the first in the fields too: quoting only removes ASCII bytes).
            let (line, byte) = match std::str::from_utf8(&rec.raw) {
                Err(r) => {
                    let at = r.valid_up_to();
                    let nl = rec.raw[..at].iter().filter(|&&b| b == b'\n').count() as u64;
                    (rec.line + nl, rec.raw.get(at).copied().unwrap_or(0))
                }
                Ok(_) => (rec.line, rec.buf.get(e.valid_up_to()).copied().unwrap_or(0)),
            };
            rec.error = Some(format!(
                "invalid byte sequence for encoding \"UTF8\": 0x{byte:02x} (line {line})"
            ));
        }
    }
}

fn end_field(rec: &mut Record, start: usize, quoted: bool, null: &[u8]) {
    let null = !quoted && rec.buf[start..] == *null;
    if null {
        rec.buf.truncate(start);
    }
    rec.fields.push((rec.buf.len(), null));
}

#[cfg(test)]
mod tests {
    use super::*;

    type Read = Vec<(u64, Result<Vec<Option<String>>, String>)>;

    fn read_all(text: &[u8], null: &str) -> Read {
        let d = Dialect {
            delimiter: b',',
            quote: b'"',
            null: null.as_bytes().to_vec(),
        };
        let mut r = Reader::new(text, d, 1);
        let mut rec = Record::default();
        let mut out = Vec::new();
        while r.read(&mut rec).unwrap_or(false) {
            let v = match &rec.error {
                Some(e) => Err(e.clone()),
                None => Ok(rec
                    .values()
                    .map(|v| v.map(|b| String::from_utf8_lossy(b).into_owned()))
                    .collect()),
            };
            out.push((rec.line, v));
        }
        out
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn fields_quotes_nulls_and_lines() {
        let got = read_all(
            b"a,\"b,c\",\"\"\nx,,\"\"\r\n\"multi\nline\",\"say \"\"hi\"\"\",z\nlast",
            "",
        );
        assert_eq!(
            got,
            vec![
                (1, Ok(vec![s("a"), s("b,c"), s("")])),
                (2, Ok(vec![s("x"), None, s("")])),
                (3, Ok(vec![s("multi\nline"), s("say \"hi\""), s("z")])),
                (5, Ok(vec![s("last")])),
            ]
        );
        let got = read_all(b"NULL,\"NULL\",\n", "NULL");
        assert_eq!(got, vec![(1, Ok(vec![None, s("NULL"), s("")]))]);
    }

    #[test]
    fn bad_records_name_their_line() {
        let got = read_all(b"ok\n\"a\xff\"\nfine\n\"open\nmore\n", "");
        assert_eq!(got[0], (1, Ok(vec![s("ok")])));
        assert_eq!(got[1].0, 2);
        assert_eq!(
            got[1].1,
            Err("invalid byte sequence for encoding \"UTF8\": 0xff (line 2)".into())
        );
        assert_eq!(got[2], (3, Ok(vec![s("fine")])));
        assert_eq!(
            got[3],
            (
                4,
                Err(
                    "unterminated quoted field (the quote opened on line 4 is never closed)".into()
                )
            )
        );
    }
}
