//! Tab completion: SQL keywords, and schema, table, view, column and function names from the
//! live catalog; meta-command names after `\`, file names after `\i`/`\o`.
//!
//! # Design
//!
//! The names come from one [`Catalog`] snapshot that the shell loads through its client (the
//! same `pg_catalog` queries work embedded and over the wire) at start, and again after a
//! statement that may change the schema (DDL, `\c`, `\i`): completion itself never runs a
//! query, so pressing Tab cannot disturb the user's transaction or wait on a lock.
//!
//! What to offer is decided from the text before the cursor, the rest of the statement typed
//! on earlier lines included, the way psql's tab-complete.c does it in a small way: the
//! nearest keyword before the word says whether a relation (after `FROM`, `JOIN`, `INTO`,
//! `UPDATE`, `TABLE`...) or a column (after `SELECT`, `WHERE`, `ON`, `BY`, `SET`...) comes;
//! `name.` offers the columns of the table or alias `name` (or the relations of schema
//! `name`); columns are those of the tables the statement mentions anywhere, before or after
//! the cursor.

use std::collections::{BTreeSet, HashMap};

use crate::client::{Client, Message, query};

use super::keywords::KEYWORDS;

/// Meta-commands offered after a backslash.
pub const META_COMMANDS: &[&str] = &[
    "\\?",
    "\\c",
    "\\conninfo",
    "\\connect",
    "\\d",
    "\\df",
    "\\di",
    "\\dn",
    "\\ds",
    "\\dt",
    "\\dT",
    "\\du",
    "\\dv",
    "\\e",
    "\\echo",
    "\\edit",
    "\\elif",
    "\\else",
    "\\endif",
    "\\g",
    "\\gset",
    "\\gx",
    "\\h",
    "\\help",
    "\\i",
    "\\if",
    "\\include",
    "\\l",
    "\\list",
    "\\o",
    "\\out",
    "\\p",
    "\\print",
    "\\pset",
    "\\q",
    "\\quit",
    "\\r",
    "\\reset",
    "\\set",
    "\\sf",
    "\\timing",
    "\\unset",
    "\\x",
];

/// A relation the catalog holds.
#[derive(Debug, Clone)]
pub struct Relation {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// Whether an unqualified name finds it (in the search path, not hidden).
    pub visible: bool,
}

/// The names completion offers, as of the last refresh.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Schema names.
    pub schemas: Vec<String>,
    /// Tables, views, sequences...
    pub relations: Vec<Relation>,
    /// Column names by relation name (and by `schema.name`).
    pub columns: HashMap<String, Vec<String>>,
    /// Function names (distinct).
    pub functions: Vec<String>,
    /// Database names (for `\c`).
    pub databases: Vec<String>,
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

impl Catalog {
    /// Loads the names through `client`. A failed transaction block refuses the queries: the
    /// caller keeps its old snapshot then.
    pub fn load(client: &mut dyn Client) -> Result<Catalog, Message> {
        let mut c = Catalog::default();
        let rows =
            |client: &mut dyn Client, sql: &str| -> Result<Vec<Vec<Option<String>>>, Message> {
                Ok(query(client, sql)?
                    .pop()
                    .map(|o| o.rows)
                    .unwrap_or_default())
            };
        for r in rows(
            client,
            "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname !~ '^pg_toast' ORDER BY 1",
        )? {
            c.schemas.push(text(&r[0]));
        }
        for r in rows(
            client,
            "SELECT n.nspname, c.relname, pg_catalog.pg_table_is_visible(c.oid)
               FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r','p','v','m','f','S') ORDER BY 2, 1",
        )? {
            if r.len() >= 3 {
                c.relations.push(Relation {
                    schema: text(&r[0]),
                    name: text(&r[1]),
                    visible: r[2].as_deref() == Some("t"),
                });
            }
        }
        for r in rows(
            client,
            "SELECT n.nspname, c.relname, a.attname
               FROM pg_catalog.pg_attribute a
               JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
               JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','p','v','m','f')
              ORDER BY c.oid, a.attnum",
        )? {
            if r.len() >= 3 {
                let (s, t, a) = (text(&r[0]), text(&r[1]), text(&r[2]));
                c.columns.entry(t.clone()).or_default().push(a.clone());
                c.columns.entry(format!("{s}.{t}")).or_default().push(a);
            }
        }
        for r in rows(
            client,
            "SELECT DISTINCT proname FROM pg_catalog.pg_proc ORDER BY 1",
        )? {
            c.functions.push(text(&r[0]));
        }
        for r in rows(
            client,
            "SELECT datname FROM pg_catalog.pg_database ORDER BY 1",
        )? {
            c.databases.push(text(&r[0]));
        }
        for cols in c.columns.values_mut() {
            let mut seen = BTreeSet::new();
            cols.retain(|x| seen.insert(x.clone()));
        }
        Ok(c)
    }
}

/// What the word being completed is.
#[derive(Debug, PartialEq, Eq)]
pub enum Completion {
    /// Replace from byte `start` of the line with one of these.
    Words(usize, Vec<String>),
    /// Complete a file name (after `\i`, `\o`...): the caller's file completer does it.
    File,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || c == '"' || c == '.'
}

/// Completion for `line` with the cursor at byte `pos`; `pending` is the statement text of the
/// earlier lines (not yet run).
pub fn complete(cat: &Catalog, pending: &str, line: &str, pos: usize) -> Completion {
    let pos = pos.min(line.len());
    let before = &line[..pos];
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word_char(c))
        .last()
        .map_or(pos, |(i, _)| i);
    let word = &line[start..pos];

    // Meta-commands: the line starts with a backslash.
    let trimmed = line.trim_start();
    if pending.trim().is_empty() && trimmed.starts_with('\\') {
        let lead = line.len() - trimmed.len();
        let cmd_end = trimmed
            .find(char::is_whitespace)
            .map_or(line.len(), |e| lead + e);
        if pos <= cmd_end {
            let prefix = &line[lead..pos];
            let v = META_COMMANDS
                .iter()
                .filter(|m| m.starts_with(prefix))
                .map(|m| m.to_string())
                .collect();
            return Completion::Words(lead, v);
        }
        let cmd = &line[lead..cmd_end];
        return match cmd {
            "\\i" | "\\include" | "\\ir" | "\\include_relative" | "\\o" | "\\out" | "\\e"
            | "\\edit" | "\\w" | "\\write" => Completion::File,
            "\\c" | "\\connect" => Completion::Words(start, names(&cat.databases, word)),
            "\\dn" => Completion::Words(start, names(&cat.schemas, word)),
            "\\df" => Completion::Words(start, names(&cat.functions, word)),
            c if c.starts_with("\\d") => relations(cat, word, start),
            _ => Completion::Words(start, Vec::new()),
        };
    }

    // `qualifier.partial`: columns of a table or alias, or relations of a schema.
    if let Some(dot) = word.rfind('.') {
        let qual = ident(&word[..dot]);
        let partial = &word[dot + 1..];
        let at = start + dot + 1;
        if cat.schemas.contains(&qual) {
            let rels: Vec<String> = cat
                .relations
                .iter()
                .filter(|r| r.schema == qual)
                .map(|r| r.name.clone())
                .collect();
            return Completion::Words(at, names(&rels, partial));
        }
        let full = format!("{pending}\n{line}");
        let tables = mentioned(cat, &full);
        let target = tables
            .iter()
            .find(|(_, alias)| alias.as_deref() == Some(qual.as_str()))
            .map(|(t, _)| t.clone())
            .unwrap_or(qual);
        let cols = cat.columns.get(&target).cloned().unwrap_or_default();
        return Completion::Words(at, names(&cols, partial));
    }

    let toks = tokens(&format!("{pending}\n{before}"));
    // The word being completed is the last token when the cursor touches it.
    let toks = if word.is_empty() {
        &toks[..]
    } else {
        &toks[..toks.len().saturating_sub(1)]
    };
    let last = toks.last();
    let keyword = toks.iter().rev().find_map(|t| match t {
        Tok::Word(w) if super::keywords::is_keyword(w) => Some(w.to_ascii_uppercase()),
        Tok::Punct(';') => Some(";".into()),
        _ => None,
    });
    let after_ident = matches!(last, Some(Tok::Word(w)) if !super::keywords::is_keyword(w));
    // `INSERT INTO t (` lists t's columns: the column context, not the relation one.
    let column_list = keyword.as_deref() == Some("INTO")
        && matches!(last, Some(Tok::Punct('(' | ',')))
        && toks.iter().rev().any(|t| *t == Tok::Punct('('));
    let keyword = if column_list {
        Some("SELECT".to_string())
    } else {
        keyword
    };
    match keyword.as_deref() {
        Some("FROM" | "JOIN" | "INTO" | "UPDATE" | "TABLE" | "TRUNCATE" | "ONLY" | "VIEW")
            if !after_ident =>
        {
            relations(cat, word, start)
        }
        Some(
            "SELECT" | "WHERE" | "AND" | "OR" | "ON" | "BY" | "SET" | "HAVING" | "WHEN" | "THEN"
            | "ELSE" | "RETURNING" | "NOT" | "DISTINCT" | "USING" | "IN" | "CASE",
        ) if !after_ident => {
            let full = format!("{pending}\n{line}");
            let tables = mentioned(cat, &full);
            let mut cols: Vec<String> = Vec::new();
            for (t, _) in &tables {
                if let Some(c) = cat.columns.get(t) {
                    cols.extend(c.iter().cloned());
                }
            }
            // `SELECT pri` before any FROM: the columns of the user's tables.
            if tables.is_empty() && !word.is_empty() {
                for r in cat
                    .relations
                    .iter()
                    .filter(|r| r.visible && !system(&r.schema))
                {
                    if let Some(c) = cat.columns.get(&r.name) {
                        cols.extend(c.iter().cloned());
                    }
                }
            }
            let mut v = names(&cols, word);
            if !word.is_empty() {
                v.extend(names(&cat.functions, word));
                // Keywords only when no name fits (`na` after WHERE is `name`, not NATURAL),
                // and only those that go on an expression (`FROM`, not `PRIMARY`).
                if v.is_empty() {
                    v.extend(keywords(word).into_iter().filter(|k| {
                        EXPRESSION_KEYWORDS.contains(&k.to_ascii_uppercase().as_str())
                    }));
                }
            }
            let mut seen = BTreeSet::new();
            v.retain(|x| seen.insert(x.clone()));
            Completion::Words(start, v)
        }
        _ => Completion::Words(start, keywords(word)),
    }
}

/// Keywords that may come in or after an expression (a select list, a condition).
const EXPRESSION_KEYWORDS: &[&str] = &[
    "ALL",
    "AND",
    "ANY",
    "ARRAY",
    "AS",
    "ASC",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "CROSS",
    "CURRENT_DATE",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "DESC",
    "DISTINCT",
    "ELSE",
    "END",
    "EXCEPT",
    "EXISTS",
    "FALSE",
    "FETCH",
    "FILTER",
    "FOR",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "ILIKE",
    "IN",
    "INNER",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "LATERAL",
    "LEFT",
    "LIKE",
    "LIMIT",
    "NATURAL",
    "NOT",
    "NOTNULL",
    "NULL",
    "NULLS",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "RETURNING",
    "RIGHT",
    "ROW",
    "SIMILAR",
    "SOME",
    "THEN",
    "TRUE",
    "UNION",
    "USING",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITHIN",
];

/// A schema whose relations completion leaves out unless asked (`pg_`...).
fn system(schema: &str) -> bool {
    schema.starts_with("pg_") || schema == "information_schema"
}

/// Relations (visible ones unqualified) and schemas (as `schema.`) matching `word`.
fn relations(cat: &Catalog, word: &str, start: usize) -> Completion {
    let want_system = ident(word).starts_with("pg_") || ident(word).starts_with("inf");
    let rels: Vec<String> = cat
        .relations
        .iter()
        .filter(|r| r.visible && (want_system || !system(&r.schema)))
        .map(|r| r.name.clone())
        .collect();
    let mut v = names(&rels, word);
    let schemas: Vec<String> = cat
        .schemas
        .iter()
        .filter(|s| want_system || !system(s))
        .cloned()
        .collect();
    v.extend(names(&schemas, word).into_iter().map(|s| s + "."));
    let mut seen = BTreeSet::new();
    v.retain(|x| seen.insert(x.clone()));
    Completion::Words(start, v)
}

/// The SQL name a word spells: unquoted folds to lower case, quoted keeps its case.
fn ident(word: &str) -> String {
    if let Some(q) = word.strip_prefix('"') {
        q.trim_end_matches('"').replace("\"\"", "\"")
    } else {
        word.to_lowercase()
    }
}

/// `name` as it must be written: quoted unless it is a plain lower-case identifier.
pub fn quote_ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !super::keywords::is_keyword(name);
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The `names` a typed `word` may complete to, written as SQL needs them.
fn names(names: &[String], word: &str) -> Vec<String> {
    let quoted = word.starts_with('"');
    let want = ident(word);
    let mut v: Vec<String> = names
        .iter()
        .filter(|n| {
            if quoted {
                n.starts_with(&want)
            } else {
                n.to_lowercase().starts_with(&want)
            }
        })
        .map(|n| quote_ident(n))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Keywords starting with `word`, in its case (upper when nothing is typed, as psql).
fn keywords(word: &str) -> Vec<String> {
    if word.starts_with('"') {
        return Vec::new();
    }
    let lower = word.chars().any(|c| c.is_lowercase());
    let up = word.to_ascii_uppercase();
    KEYWORDS
        .iter()
        .filter(|k| k.starts_with(&up))
        .map(|k| {
            if lower {
                k.to_ascii_lowercase()
            } else {
                k.to_string()
            }
        })
        .collect()
}

/// The relations `sql` names (by catalog lookup), each with the alias that follows it.
fn mentioned(cat: &Catalog, sql: &str) -> Vec<(String, Option<String>)> {
    let toks = tokens(sql);
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let Tok::Word(w) = t else { continue };
        let name = w.split('.').map(ident).collect::<Vec<_>>().join(".");
        if !cat.columns.contains_key(&name) {
            continue;
        }
        let mut j = i + 1;
        if matches!(toks.get(j), Some(Tok::Word(a)) if a.eq_ignore_ascii_case("as")) {
            j += 1;
        }
        let alias = match toks.get(j) {
            Some(Tok::Word(a)) if !super::keywords::is_keyword(a) => Some(ident(a)),
            _ => None,
        };
        if !out.iter().any(|(n, a)| *n == name && *a == alias) {
            out.push((name, alias));
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// An identifier or keyword, possibly qualified (`s.t`), quotes kept.
    Word(String),
    /// A punctuation character.
    Punct(char),
    /// A literal (string or number).
    Literal,
}

/// A rough tokenizer: enough to find keywords and names (strings and comments skipped).
fn tokens(sql: &str) -> Vec<Tok> {
    let c: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '-' && c.get(i + 1) == Some(&'-') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && c.get(i + 1) == Some(&'*') {
            i = crate::split::skip_block_comment(&c, i);
        } else if ch == '\'' {
            i += 1;
            while i < c.len() {
                if c[i] == '\'' {
                    if c.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
            out.push(Tok::Literal);
        } else if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_ascii_alphanumeric() || c[i] == '.') {
                i += 1;
            }
            out.push(Tok::Literal);
        } else if ch.is_alphabetic() || ch == '_' || ch == '"' {
            let s = i;
            let mut in_q = false;
            while i < c.len() {
                let d = c[i];
                if d == '"' {
                    in_q = !in_q;
                } else if !(in_q || d.is_alphanumeric() || d == '_' || d == '$' || d == '.') {
                    break;
                }
                i += 1;
            }
            out.push(Tok::Word(c[s..i].iter().collect()));
        } else {
            out.push(Tok::Punct(ch));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat() -> Catalog {
        let mut c = Catalog {
            schemas: vec!["public".into(), "shop".into(), "pg_catalog".into()],
            relations: vec![
                Relation {
                    schema: "public".into(),
                    name: "items".into(),
                    visible: true,
                },
                Relation {
                    schema: "public".into(),
                    name: "orders".into(),
                    visible: true,
                },
                Relation {
                    schema: "shop".into(),
                    name: "carts".into(),
                    visible: false,
                },
                Relation {
                    schema: "pg_catalog".into(),
                    name: "pg_class".into(),
                    visible: true,
                },
                Relation {
                    schema: "public".into(),
                    name: "Mixed".into(),
                    visible: true,
                },
            ],
            functions: vec!["now".into(), "nullif".into(), "count".into()],
            databases: vec!["basalt".into(), "postgres".into()],
            ..Catalog::default()
        };
        c.columns.insert(
            "items".into(),
            vec!["id".into(), "name".into(), "price".into()],
        );
        c.columns.insert(
            "orders".into(),
            vec!["id".into(), "item".into(), "qty".into()],
        );
        c.columns
            .insert("shop.carts".into(), vec!["cart_id".into()]);
        c
    }

    fn words(pending: &str, line: &str) -> Vec<String> {
        match complete(&cat(), pending, line, line.len()) {
            Completion::Words(_, v) => v,
            Completion::File => vec!["<file>".into()],
        }
    }

    #[test]
    fn relations_after_from_join_into() {
        assert_eq!(words("", "SELECT * FROM it"), ["items"]);
        assert_eq!(
            words("", "select * from "),
            ["\"Mixed\"", "items", "orders", "public.", "shop."]
        );
        assert_eq!(words("", "SELECT * FROM items JOIN or"), ["orders"]);
        assert_eq!(words("", "INSERT INTO o"), ["orders"]);
        assert_eq!(words("", "SELECT * FROM pg_c"), ["pg_class", "pg_catalog."]);
        assert_eq!(words("", "SELECT * FROM shop.c"), ["carts"]);
        assert_eq!(words("SELECT *\n", "FROM i"), ["items"]);
    }

    #[test]
    fn columns_after_select_where_and_dot() {
        // Before FROM: the user's tables' columns; no keyword that cannot come here.
        assert_eq!(words("", "SELECT na"), ["name"]);
        assert_eq!(words("", "SELECT pri"), ["price"]);
        assert_eq!(words("", "SELECT * FR"), ["FROM"]);
        assert_eq!(words("", "SELECT 1 AS x fr"), ["from"]);
        let (s, v) = match complete(&cat(), "", "SELECT pr FROM items", 9) {
            Completion::Words(s, v) => (s, v),
            Completion::File => unreachable!(),
        };
        assert_eq!((s, v), (7, vec!["price".to_string()]));
        assert_eq!(words("", "SELECT * FROM items WHERE na"), ["name"]);
        assert_eq!(words("", "SELECT * FROM items WHERE nu"), ["nullif"]);
        assert_eq!(
            words("", "SELECT * FROM items WHERE xo"),
            Vec::<String>::new()
        );
        assert_eq!(words("", "SELECT * FROM items WHERE exi"), ["exists"]);
        assert_eq!(words("", "SELECT * FROM items i WHERE i.p"), ["price"]);
        assert_eq!(words("", "SELECT orders.q"), ["qty"]);
        assert_eq!(words("", "INSERT INTO orders (i"), ["id", "item"]);
        assert_eq!(words("", "INSERT INTO orders (id, q"), ["qty"]);
        assert_eq!(
            words("", "SELECT * FROM items WHERE n"),
            ["name", "now", "nullif"]
        );
    }

    #[test]
    fn keywords_meta_commands_and_files() {
        assert_eq!(words("", "sel"), ["select"]);
        assert_eq!(words("", "SEL"), ["SELECT"]);
        assert_eq!(words("", "SELECT * FROM items WH"), ["WHEN", "WHERE"]);
        assert_eq!(words("", "\\ti"), ["\\timing"]);
        assert_eq!(words("", "\\i ./x"), ["<file>"]);
        assert_eq!(words("", "\\d it"), ["items"]);
        assert_eq!(words("", "\\c po"), ["postgres"]);
    }
}
