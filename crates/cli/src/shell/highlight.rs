//! Syntax highlighting of the line being edited: keywords, strings, numbers and comments in
//! ANSI colours.
//!
//! The shell reads a statement line by line (as psql does), so a line may begin inside a
//! string or a comment that an earlier line opened: the highlighter starts in the state the
//! statement splitter reports for the text before the line (psql's `%R`), so a string that
//! spans lines stays green on every one of them. The colours are escape sequences of zero
//! width, which rustyline requires (the highlighted line must occupy the columns the plain
//! one does). rustyline itself leaves colours out when stdout is not a terminal or
//! `NO_COLOR` is set.

use super::keywords::is_keyword;

const KEYWORD: &str = "\x1b[1;34m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[35m";
const COMMENT: &str = "\x1b[90m";
const META: &str = "\x1b[36m";
const RESET: &str = "\x1b[0m";

/// Where a line starts: psql's `%R` prompt state of the text before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Outside quotes and comments.
    Code,
    /// Inside a '…' string.
    Single,
    /// Inside a "…" identifier.
    Double,
    /// Inside a $tag$…$tag$ string (the tag is not known here: any `$…$` closes it).
    Dollar,
    /// Inside a /* */ comment.
    Comment,
}

impl Start {
    /// The state for psql's prompt character `%R`.
    pub fn from_prompt(c: char) -> Start {
        match c {
            '\'' => Start::Single,
            '"' => Start::Double,
            '$' => Start::Dollar,
            '*' => Start::Comment,
            _ => Start::Code,
        }
    }
}

/// `line` with ANSI colours, starting in state `start`.
pub fn highlight(line: &str, start: Start) -> String {
    let b = line.as_bytes();
    let mut out = String::with_capacity(line.len() + 32);
    let mut i = 0;
    let paint = |out: &mut String, colour: &str, text: &str| {
        if !text.is_empty() {
            out.push_str(colour);
            out.push_str(text);
            out.push_str(RESET);
        }
    };
    // Finish a construct the line began inside.
    match start {
        Start::Code => {}
        Start::Single => {
            i = end_of_quoted(b, 0, b'\'');
            paint(&mut out, STRING, &line[..i]);
        }
        Start::Double => {
            i = end_of_quoted(b, 0, b'"');
            out.push_str(&line[..i]);
        }
        Start::Dollar => {
            i = any_dollar_tag_end(line, 0);
            paint(&mut out, STRING, &line[..i]);
        }
        Start::Comment => {
            i = end_of_block_comment(b, 0, 1);
            paint(&mut out, COMMENT, &line[..i]);
        }
    }
    // A backslash command at the start of the line is a meta-command to its end.
    if start == Start::Code && line.trim_start().starts_with('\\') {
        paint(&mut out, META, line);
        return out;
    }
    while i < b.len() {
        let c = b[i];
        let rest = &b[i..];
        if rest.starts_with(b"--") {
            paint(&mut out, COMMENT, &line[i..]);
            return out;
        } else if rest.starts_with(b"/*") {
            let e = end_of_block_comment(b, i + 2, 1);
            paint(&mut out, COMMENT, &line[i..e]);
            i = e;
        } else if c == b'\'' {
            // E'…' strings: the E was emitted as part of a word; backslash escapes inside.
            let e = end_of_quoted(b, i + 1, b'\'');
            paint(&mut out, STRING, &line[i..e]);
            i = e;
        } else if c == b'"' {
            let e = end_of_quoted(b, i + 1, b'"');
            out.push_str(&line[i..e]);
            i = e;
        } else if c == b'$' && dollar_tag(line, i).is_some() {
            let tag = dollar_tag(line, i).unwrap_or_default();
            let body = i + tag.len();
            let e = line[body..]
                .find(tag.as_str())
                .map_or(b.len(), |p| body + p + tag.len());
            paint(&mut out, STRING, &line[i..e]);
            i = e;
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let mut e = i;
            while e < b.len() && (b[e].is_ascii_alphanumeric() || b[e] == b'.' || b[e] == b'_') {
                e += 1;
            }
            paint(&mut out, NUMBER, &line[i..e]);
            i = e;
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let mut e = i;
            while e < b.len()
                && (b[e].is_ascii_alphanumeric() || b[e] == b'_' || b[e] == b'$' || b[e] >= 0x80)
            {
                e += 1;
            }
            let word = &line[i..e];
            // A keyword followed by `.` or `(`... is still a keyword (`count(` is not one).
            if is_keyword(word) && b.get(e) != Some(&b'.') {
                paint(&mut out, KEYWORD, word);
            } else {
                out.push_str(word);
            }
            i = e;
        } else {
            // One character (may be multi-byte: copy the whole char).
            let ch_len = line[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&line[i..i + ch_len]);
            i += ch_len;
        }
    }
    out
}

/// The end (exclusive) of a quoted run whose opening quote is before `from`: just past the
/// closing quote (a doubled quote is an escaped one), or the end of the line.
fn end_of_quoted(b: &[u8], from: usize, q: u8) -> usize {
    let mut i = from;
    while i < b.len() {
        if b[i] == b'\\' && q == b'\'' && i + 1 < b.len() {
            // Harmless for standard strings: a backslash before the closing quote would
            // only matter in an E'' string, where it escapes it.
            if from > 1 && (b[from - 2] == b'E' || b[from - 2] == b'e') {
                i += 2;
                continue;
            }
        }
        if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

/// The end of a block comment at nesting `depth`, scanning from `from`.
fn end_of_block_comment(b: &[u8], from: usize, mut depth: usize) -> usize {
    let mut i = from;
    while i < b.len() {
        if b[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if b[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// The `$tag$` starting at `i`, if one does.
fn dollar_tag(line: &str, i: usize) -> Option<String> {
    let b = line.as_bytes();
    // `$1` is a parameter, not a tag; a tag follows no identifier character.
    if i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_') {
        return None;
    }
    let mut e = i + 1;
    while e < b.len() && (b[e].is_ascii_alphanumeric() || b[e] == b'_' || b[e] >= 0x80) {
        e += 1;
    }
    if e < b.len() && b[e] == b'$' && !b[i + 1..e].first().is_some_and(u8::is_ascii_digit) {
        Some(line[i..=e].to_string())
    } else {
        None
    }
}

/// The end of a dollar-quoted run of unknown tag: just past the next `$…$`.
fn any_dollar_tag_end(line: &str, from: usize) -> usize {
    let b = line.as_bytes();
    let mut i = from;
    while i < b.len() {
        if b[i] == b'$'
            && let Some(t) = dollar_tag(line, i)
        {
            return i + t.len();
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut it = s.chars();
        while let Some(c) = it.next() {
            if c == '\x1b' {
                for d in it.by_ref() {
                    if d == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn colours_keep_the_text() {
        for (line, start) in [
            ("SELECT 'a''b', 1.5e3, \"Col\" FROM t -- done", Start::Code),
            ("still in a string' , 2", Start::Single),
            ("body $$ || x", Start::Dollar),
            ("end */ SELECT", Start::Comment),
            ("$fn$ select 1 $fn$ ünï", Start::Code),
            (r"\d items", Start::Code),
        ] {
            assert_eq!(strip(&highlight(line, start)), line);
        }
    }

    #[test]
    fn kinds_get_their_colours() {
        let h = highlight("select 'x', 42 from t /* c */", Start::Code);
        assert!(h.starts_with(&format!("{KEYWORD}select{RESET}")), "{h:?}");
        assert!(h.contains(&format!("{STRING}'x'{RESET}")), "{h:?}");
        assert!(h.contains(&format!("{NUMBER}42{RESET}")), "{h:?}");
        assert!(h.contains(&format!("{COMMENT}/* c */{RESET}")), "{h:?}");
        assert!(h.contains(" t "), "{h:?}");
        let h = highlight("abc' || 1", Start::Single);
        assert!(h.starts_with(&format!("{STRING}abc'{RESET}")), "{h:?}");
    }
}
