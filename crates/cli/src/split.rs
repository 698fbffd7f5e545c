//! Splits input lines into SQL statements and backslash meta-commands, as psql does.
//!
//! # Design
//!
//! A [`Splitter`] is fed one line at a time ([`Splitter::push_line`]) and returns the pieces
//! the line completed: a [`Piece::Statement`] for each `;` that ends a statement, and a
//! [`Piece::Meta`] for a backslash command. It follows psql's lexer (`psqlscan.l`) with
//! `standard_conforming_strings` on:
//!
//! - `'…'` with `''` doubling a quote; `E'…'` also takes backslash escapes; `"…"` with `""`;
//!   `$tag$…$tag$` where the tag is empty or an identifier (`$1` is a parameter, and `a$b$`
//!   an identifier, neither opens a quote);
//! - `--` comments run to the end of the line, `/* */` comments nest;
//! - a `;` ends a statement only outside those, at parenthesis depth 0 and outside the
//!   `BEGIN … END` body of `CREATE [OR REPLACE] FUNCTION|PROCEDURE` (psql 14's heuristic);
//! - a `\` outside those starts a meta-command that runs to the end of the line. The text
//!   before it stays pending (psql's query buffer): `SELECT 1 \g` leaves `SELECT 1 ` for the
//!   `\g` handler to take with [`Splitter::take_pending`].
//!
//! The statement text keeps its `;` and its comments (positions in error messages count
//! from the text sent, as with psql); whitespace and `--` comments before a statement's first
//! token are dropped, as psql drops them. Lines of one statement are joined with `\n`.
//! Variables (`:name`, `:'name'`, `:"name"`) are interpolated outside quotes and comments
//! when [`Splitter::push_line_vars`] is given them ([`crate::vars`]).

use crate::vars::Vars;

/// What a line (or the end of the input) completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// A statement's text, ending with its `;`.
    Statement(String),
    /// A backslash command with its arguments, from the `\` to the end of the line.
    Meta(String),
}

/// Where the lexer is between bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lex {
    Normal,
    /// In `'…'`; `escapes` for `E'…'`.
    Single {
        escapes: bool,
    },
    Double,
    /// In `$tag$…$tag$`; holds the whole delimiter (`$tag$`).
    Dollar(String),
    /// In a `/* */` comment at this nesting depth.
    Comment(u32),
}

/// Splits lines into statements and meta-commands (see the module documentation).
#[derive(Debug, Clone)]
pub struct Splitter {
    buf: String,
    lex: Lex,
    parens: u32,
    /// psql's `begin_depth`: `BEGIN`/`CASE` … `END` nesting in a function body.
    begin_depth: u32,
    /// The first letters of the statement's first identifiers when they are `create`, `or`,
    /// `replace`, `function` or `procedure` (psql's `identifiers[]`), else `\0`.
    idents: [u8; 4],
    ident_count: usize,
}

impl Default for Splitter {
    fn default() -> Self {
        Splitter::new()
    }
}

fn ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn ident_cont(c: u8) -> bool {
    ident_start(c) || c.is_ascii_digit() || c == b'$'
}

fn dolq_cont(c: u8) -> bool {
    ident_start(c) || c.is_ascii_digit()
}

/// The byte length of the character starting at `i` (1 past the end).
fn char_len(s: &str, i: usize) -> usize {
    s.get(i..)
        .and_then(|t| t.chars().next())
        .map_or(1, char::len_utf8)
}

impl Splitter {
    /// An empty splitter.
    pub fn new() -> Splitter {
        Splitter {
            buf: String::new(),
            lex: Lex::Normal,
            parens: 0,
            begin_depth: 0,
            idents: [0; 4],
            ident_count: 0,
        }
    }

    /// Nothing is pending: no statement text, not inside a quote or comment.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty() && self.lex == Lex::Normal
    }

    /// The text of the statement begun but not ended (psql's query buffer).
    pub fn pending(&self) -> &str {
        &self.buf
    }

    /// Takes the pending statement text (for `\g`), leaving the splitter empty.
    pub fn take_pending(&mut self) -> String {
        let s = std::mem::take(&mut self.buf);
        self.clear();
        s
    }

    /// psql's `%R` prompt character: `=` when nothing is pending, `'` `"` `$` inside those
    /// quotes, `*` in a comment, `(` inside parentheses, `-` otherwise.
    pub fn prompt_state(&self) -> char {
        match self.lex {
            Lex::Single { .. } => '\'',
            Lex::Double => '"',
            Lex::Dollar(_) => '$',
            Lex::Comment(_) => '*',
            Lex::Normal if self.parens > 0 => '(',
            Lex::Normal if self.buf.is_empty() => '=',
            Lex::Normal => '-',
        }
    }

    /// The end of the input: the unterminated statement text, if there is any (psql runs it
    /// when reading a script). The splitter is left empty.
    pub fn finish(&mut self) -> Option<String> {
        let s = self.take_pending();
        let t = s.trim_end();
        (!t.is_empty()).then(|| t.to_string())
    }

    /// Forgets everything pending (psql's `\r`).
    pub fn clear(&mut self) {
        *self = Splitter::new();
    }

    /// Feeds one line (a trailing `\n` or `\r\n` is ignored) and returns the statements and
    /// meta-commands it completed, in order.
    pub fn push_line(&mut self, line: &str) -> Vec<Piece> {
        self.push_line_vars(line, None)
    }

    /// [`Splitter::push_line`], interpolating the variables of `vars` into the statement
    /// text as psql's lexer does (see [`crate::vars`]); `None`: no interpolation (psql does
    /// none in the inactive branch of an `\if`).
    pub fn push_line_vars(&mut self, line: &str, vars: Option<&Vars>) -> Vec<Piece> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut out = Vec::new();
        // Lines of a statement are joined with a newline (added here rather than at the end
        // of the previous line, so that the pending text a meta-command sees has none).
        if !self.buf.is_empty() {
            self.buf.push('\n');
        }
        self.scan(line, 0, vars, &mut out);
        out
    }

    /// Lexes `line` (or the rest of one after a variable's value was put in its place:
    /// bytes before `guard` are that value, which is not interpolated again).
    fn scan(&mut self, line: &str, guard: usize, vars: Option<&Vars>, out: &mut Vec<Piece>) {
        let b = line.as_bytes();
        let mut i = 0;
        // Every index the loop stops at is an ASCII byte or the end, so slices are valid.
        while i < b.len() {
            match &self.lex {
                Lex::Single { escapes } => {
                    let esc = *escapes;
                    let mut j = i;
                    let mut closed = false;
                    while j < b.len() {
                        match b[j] {
                            b'\\' if esc => j += 1 + char_len(line, j + 1),
                            b'\'' if b.get(j + 1) == Some(&b'\'') => j += 2,
                            b'\'' => {
                                j += 1;
                                closed = true;
                                break;
                            }
                            _ => j += 1,
                        }
                    }
                    let j = j.min(b.len());
                    self.buf.push_str(&line[i..j]);
                    i = j;
                    if closed {
                        self.lex = Lex::Normal;
                    }
                }
                Lex::Double => {
                    let mut j = i;
                    let mut closed = false;
                    while j < b.len() {
                        match b[j] {
                            b'"' if b.get(j + 1) == Some(&b'"') => j += 2,
                            b'"' => {
                                j += 1;
                                closed = true;
                                break;
                            }
                            _ => j += 1,
                        }
                    }
                    self.buf.push_str(&line[i..j]);
                    i = j;
                    if closed {
                        self.lex = Lex::Normal;
                    }
                }
                Lex::Dollar(tag) => match line[i..].find(tag.as_str()) {
                    Some(k) => {
                        let j = i + k + tag.len();
                        self.buf.push_str(&line[i..j]);
                        i = j;
                        self.lex = Lex::Normal;
                    }
                    None => {
                        self.buf.push_str(&line[i..]);
                        i = b.len();
                    }
                },
                Lex::Comment(depth) => {
                    let mut depth = *depth;
                    let mut j = i;
                    while j < b.len() && depth > 0 {
                        if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                            depth += 1;
                            j += 2;
                        } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                            depth -= 1;
                            j += 2;
                        } else {
                            j += 1;
                        }
                    }
                    self.buf.push_str(&line[i..j]);
                    i = j;
                    self.lex = if depth == 0 {
                        Lex::Normal
                    } else {
                        Lex::Comment(depth)
                    };
                }
                Lex::Normal => {
                    let c = b[i];
                    match c {
                        b' ' | b'\t' | b'\r' | b'\x0c' | b'\x0b' => {
                            // psql drops whitespace before a statement's first token.
                            if !self.buf.is_empty() {
                                self.buf.push(c as char);
                            }
                            i += 1;
                        }
                        b'-' if b.get(i + 1) == Some(&b'-') => {
                            if !self.buf.is_empty() {
                                self.buf.push_str(&line[i..]);
                            }
                            i = b.len();
                        }
                        b'/' if b.get(i + 1) == Some(&b'*') => {
                            self.buf.push_str("/*");
                            self.lex = Lex::Comment(1);
                            i += 2;
                        }
                        b'\'' => {
                            self.buf.push('\'');
                            self.lex = Lex::Single { escapes: false };
                            i += 1;
                        }
                        b'"' => {
                            self.buf.push('"');
                            self.lex = Lex::Double;
                            i += 1;
                        }
                        b'$' => {
                            let mut j = i + 1;
                            if b.get(j).is_some_and(|c| c.is_ascii_digit()) {
                                // A parameter ($1).
                                while b.get(j).is_some_and(|c| c.is_ascii_digit()) {
                                    j += 1;
                                }
                                self.buf.push_str(&line[i..j]);
                                i = j;
                            } else {
                                while b.get(j).is_some_and(|&c| dolq_cont(c)) {
                                    j += 1;
                                }
                                if b.get(j) == Some(&b'$') {
                                    let tag = &line[i..=j];
                                    self.buf.push_str(tag);
                                    self.lex = Lex::Dollar(tag.to_string());
                                    i = j + 1;
                                } else {
                                    self.buf.push('$');
                                    i += 1;
                                }
                            }
                        }
                        b'(' => {
                            self.parens += 1;
                            self.buf.push('(');
                            i += 1;
                        }
                        b')' => {
                            self.parens = self.parens.saturating_sub(1);
                            self.buf.push(')');
                            i += 1;
                        }
                        b';' => {
                            self.buf.push(';');
                            i += 1;
                            if self.parens == 0 && self.begin_depth == 0 {
                                let s = std::mem::take(&mut self.buf);
                                self.clear();
                                out.push(Piece::Statement(s));
                            }
                        }
                        b'\\' => {
                            out.push(Piece::Meta(line[i..].trim_end().to_string()));
                            i = b.len();
                        }
                        b':' if b.get(i + 1) == Some(&b':') => {
                            // A cast, never a variable.
                            self.buf.push_str("::");
                            i += 2;
                        }
                        b':' if i >= guard && vars.is_some() => {
                            let Some((kind, name, end)) = crate::vars::reference_at(line, i) else {
                                self.buf.push(':');
                                i += 1;
                                continue;
                            };
                            match vars.and_then(|v| v.interpolate(name, kind)) {
                                // The value is lexed in turn (it may hold a `;` or a quote).
                                Some(v) if kind == b' ' => {
                                    let rest = format!("{v}{}", &line[end..]);
                                    self.scan(&rest, v.len(), vars, out);
                                    return;
                                }
                                Some(v) => self.buf.push_str(&v),
                                // Not set: stays as written.
                                None => self.buf.push_str(&line[i..end]),
                            }
                            i = end;
                        }
                        c if c.is_ascii_digit() => {
                            // A number (with its exponent, 0x, _ ...): a `$` after it is
                            // not an identifier's.
                            let mut j = i;
                            while b
                                .get(j)
                                .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_')
                            {
                                j += 1;
                            }
                            self.buf.push_str(&line[i..j]);
                            i = j;
                        }
                        c if ident_start(c) => {
                            let mut j = i;
                            while b.get(j).is_some_and(|&c| ident_cont(c)) {
                                j += 1;
                            }
                            let word = &line[i..j];
                            self.buf.push_str(word);
                            i = j;
                            if (word == "E" || word == "e") && b.get(j) == Some(&b'\'') {
                                self.buf.push('\'');
                                self.lex = Lex::Single { escapes: true };
                                i += 1;
                            } else {
                                self.identifier(word);
                            }
                        }
                        _ => {
                            let n = char_len(line, i);
                            self.buf.push_str(&line[i..i + n]);
                            i += n;
                        }
                    }
                }
            }
        }
    }

    /// psql's tracking of `BEGIN … END` in `CREATE [OR REPLACE] FUNCTION|PROCEDURE` bodies
    /// (SQL-standard bodies hold `;`).
    fn identifier(&mut self, word: &str) {
        let lower = word.to_ascii_lowercase();
        if self.ident_count < self.idents.len()
            && matches!(
                lower.as_str(),
                "create" | "function" | "procedure" | "or" | "replace"
            )
        {
            self.idents[self.ident_count] = lower.as_bytes()[0];
        }
        self.ident_count += 1;
        let id = &self.idents;
        let in_routine = id[0] == b'c'
            && (id[1] == b'f'
                || id[1] == b'p'
                || (id[1] == b'o' && id[2] == b'r' && (id[3] == b'f' || id[3] == b'p')));
        if in_routine && self.parens == 0 {
            match lower.as_str() {
                "begin" => self.begin_depth += 1,
                "case" if self.begin_depth >= 1 => self.begin_depth += 1,
                "end" => self.begin_depth = self.begin_depth.saturating_sub(1),
                _ => {}
            }
        }
    }
}

/// Splits a whole text (statements only; a meta-command is returned as a `Meta` piece and
/// the unterminated tail as a last statement without `;`).
pub fn split_all(text: &str) -> Vec<Piece> {
    let mut s = Splitter::new();
    let mut out = Vec::new();
    for line in text.split_inclusive('\n') {
        out.extend(s.push_line(line));
    }
    out.extend(s.finish().map(Piece::Statement));
    out
}

/// The index just after the `/* ... */` comment that starts at `c[i]` (comments nest, as in
/// PostgreSQL), or `c.len()` when it is not closed.
pub(crate) fn skip_block_comment(c: &[char], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < c.len() {
        if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            depth += 1;
            i += 2;
        } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                break;
            }
        } else {
            i += 1;
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn st(s: &str) -> Piece {
        Piece::Statement(s.to_string())
    }

    fn meta(s: &str) -> Piece {
        Piece::Meta(s.to_string())
    }

    #[test]
    fn interpolates_variables_outside_quotes_and_comments() {
        let mut v = Vars::default();
        v.put("a", "1");
        v.put("q", "it's");
        v.put("two", "select 2; select 3");
        let mut s = Splitter::new();
        assert_eq!(
            s.push_line_vars(
                "select :a, :'q', :\"q\", ':a', \":a\", $$:a$$, x::int, 1:::a /* :a */; -- :a",
                Some(&v)
            ),
            [st(
                "select 1, 'it''s', \"it's\", ':a', \":a\", $$:a$$, x::int, 1::1 /* :a */;"
            )]
        );
        // The value is lexed in turn (its `;` ends a statement) but not interpolated again;
        // unknown names stay.
        v.put("self", ":a");
        assert_eq!(
            s.push_line_vars(":two; :self :nope :'nope';", Some(&v)),
            [st("select 2;"), st("select 3;"), st(":a :nope :'nope';")]
        );
        // Without variables (an inactive \if branch) nothing is replaced.
        assert_eq!(s.push_line_vars("select :a;", None), [st("select :a;")]);
    }

    #[test]
    fn splits_at_semicolons_outside_quotes_and_comments() {
        assert_eq!(
            split_all("select 1; select 2;\nselect 'a;b', \"c;\"\"d\";"),
            [
                st("select 1;"),
                st("select 2;"),
                st("select 'a;b', \"c;\"\"d\";")
            ]
        );
        assert_eq!(
            split_all("select 'it''s;' ; select E'\\';' ;"),
            [st("select 'it''s;' ;"), st("select E'\\';' ;")]
        );
        // Without E, a backslash is an ordinary character.
        assert_eq!(
            split_all("select '\\'; select 2;"),
            [st("select '\\';"), st("select 2;")]
        );
        // An identifier ending in e does not start an E string.
        assert_eq!(
            split_all("select some'\\'; select 1;"),
            [st("select some'\\';"), st("select 1;")]
        );
        assert_eq!(
            split_all("select 1 -- c; here\n; select /* a; /* b; */ c; */ 2;"),
            [
                st("select 1 -- c; here\n;"),
                st("select /* a; /* b; */ c; */ 2;")
            ]
        );
    }

    #[test]
    fn dollar_quotes_and_parameters() {
        assert_eq!(
            split_all("do $$ begin; end $$; select $1; select $x$ a;$$; $x$;"),
            [
                st("do $$ begin; end $$;"),
                st("select $1;"),
                st("select $x$ a;$$; $x$;")
            ]
        );
        // `a$b$` is an identifier; `$1` no quote.
        assert_eq!(
            split_all("select a$b$c; select $1$;"),
            [st("select a$b$c;"), st("select $1$;")]
        );
        assert_eq!(
            split_all("create function f() returns int as $body$\nselect 1;\n$body$ language sql;"),
            [st(
                "create function f() returns int as $body$\nselect 1;\n$body$ language sql;"
            )]
        );
    }

    #[test]
    fn parentheses_and_atomic_bodies() {
        assert_eq!(
            split_all(
                "create rule r as on insert to t do (insert into u values (1); select 1);\nselect 2;"
            ),
            [
                st("create rule r as on insert to t do (insert into u values (1); select 1);"),
                st("select 2;")
            ]
        );
        let f = "create or replace function f() returns int language sql\nbegin atomic\n  select case when true then 1 end;\n  select 2;\nend;";
        assert_eq!(split_all(f), [st(f)]);
        // BEGIN as a statement is no body.
        assert_eq!(
            split_all("begin; select 1; end;"),
            [st("begin;"), st("select 1;"), st("end;")]
        );
    }

    #[test]
    fn leading_whitespace_and_comments_are_dropped() {
        assert_eq!(
            split_all("  -- a comment\n\n   select\n  1 ;  -- after\n"),
            [st("select\n  1 ;")]
        );
        let mut s = Splitter::new();
        assert!(s.push_line("-- only a comment").is_empty());
        assert!(s.is_empty());
        assert_eq!(s.finish(), None);
    }

    #[test]
    fn meta_commands_keep_the_pending_text() {
        let mut s = Splitter::new();
        assert_eq!(
            s.push_line("select 1; select 2 \\g"),
            [st("select 1;"), meta("\\g")]
        );
        assert_eq!(s.pending(), "select 2 ");
        assert_eq!(s.take_pending(), "select 2 ");
        assert!(s.is_empty());
        assert_eq!(s.push_line("\\x on  "), [meta("\\x on")]);
        assert_eq!(s.push_line("select '\\x'; -- \\y"), [st("select '\\x';")]);
        assert!(s.is_empty());
        assert_eq!(s.push_line("/* \\q */ \\echo hi"), [meta("\\echo hi")]);
        assert_eq!(s.pending(), "/* \\q */ ");
    }

    #[test]
    fn prompt_states() {
        let mut s = Splitter::new();
        assert_eq!(s.prompt_state(), '=');
        s.push_line("select");
        assert_eq!(s.prompt_state(), '-');
        assert_eq!(s.pending(), "select");
        s.push_line("'abc");
        assert_eq!(s.prompt_state(), '\'');
        s.push_line("' , \"x");
        assert_eq!(s.prompt_state(), '"');
        s.push_line("\", $q$");
        assert_eq!(s.prompt_state(), '$');
        s.push_line("$q$, /* /*");
        assert_eq!(s.prompt_state(), '*');
        s.push_line("*/ */ (1");
        assert_eq!(s.prompt_state(), '(');
        assert_eq!(
            s.push_line(");"),
            [st(
                "select\n'abc\n' , \"x\n\", $q$\n$q$, /* /*\n*/ */ (1\n);"
            )]
        );
        assert_eq!(s.prompt_state(), '=');
        s.push_line("select 'unterminated");
        assert_eq!(s.finish(), Some("select 'unterminated".to_string()));
        assert!(s.is_empty());
    }

    #[test]
    fn unicode_and_crlf() {
        assert_eq!(
            split_all("select 'é;日本' as \"ü\";\r\nselect E'\\é';\r\n"),
            [st("select 'é;日本' as \"ü\";"), st("select E'\\é';")]
        );
    }

    /// A statement with no unquoted `;`, `\` or comment issues, built from pieces.
    fn statement() -> impl Strategy<Value = String> {
        let atom = prop_oneof![
            "[a-z_][a-z0-9_$]{0,6}",
            "[0-9]{1,4}",
            "'([^'\\\\]|'')*'".prop_map(|s| s),
            "E'([^'\\\\]|''|\\\\.)*'",
            "\"([^\"]|\"\")+\"",
            "\\$[a-z]{0,3}\\$".prop_flat_map(|tag| {
                let t = tag.clone();
                "[^$]*".prop_map(move |body| format!("{t}{body}{t}"))
            }),
            "\\$[1-9]",
            "/\\*[^*/]*\\*/",
            "\\([a-z0-9 ;,]*\\)",
            Just("--x;y\n".to_string()),
            "[-+*<>=,.é日 ]",
        ];
        proptest::collection::vec(atom, 1..8).prop_map(|v| {
            let mut s = String::from("select ");
            for a in v {
                s.push_str(&a);
                s.push(' ');
            }
            s.push(';');
            s
        })
    }

    proptest! {
        #[test]
        fn never_panics(text in "(?s).{0,200}") {
            let mut s = Splitter::new();
            for line in text.split_inclusive('\n') {
                s.push_line(line);
                s.prompt_state();
            }
            s.finish();
        }

        #[test]
        fn never_panics_on_sql_like_text(text in "[a-zA-Z$'\"\\\\;/*()\\- \né日_0-9]{0,200}") {
            split_all(&text);
        }

        #[test]
        fn joined_statements_split_back(stmts in proptest::collection::vec(statement(), 1..6), sep in "[ \n]{0,3}") {
            let text = stmts.join(&sep);
            // A CR before a line's end is part of the line ending.
            prop_assume!(!text.contains('\r'));
            let got = split_all(&text);
            let want: Vec<Piece> = stmts.iter().map(|s| Piece::Statement(s.clone())).collect();
            prop_assert_eq!(got, want);
        }
    }
}
