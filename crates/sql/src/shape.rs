//! Statement shapes: parsing a statement that differs from one parsed before only in its
//! literals without running the parser again.
//!
//! A client of the simple query protocol sends every statement as new text
//! (`UPDATE pgbench_accounts SET abalance = abalance + -1234 WHERE aid = 56789`): the exact
//! text cache never hits, and the parser (libpg_query's grammar, then the protobuf hand-over)
//! took about a fifth of the server's time under `pgbench -M simple`. The *shape* of a text is
//! the text with each literal replaced by a marker of its kind; texts of one shape parse to
//! the same tree except for the literals' `A_Const` values and the positions after them. So
//! the first text of a shape is parsed and kept as a [`Template`], and the next ones copy the
//! template's tree, put their own literal values into its `A_Const` nodes and shift its
//! positions.
//!
//! # What makes this safe
//!
//! - The lexer here recognizes a small subset of PostgreSQL's: identifiers, quoted
//!   identifiers, operators, integer and decimal numbers, and standard-conforming `'...'`
//!   strings. Anything else (comments, `$`, `E'...'` and other prefixed strings, strings
//!   continued on the next line, numbers run into letters, non-standard strings) makes the
//!   text shapeless: it is parsed as it always was.
//! - A literal's kind is part of the shape: integers that fit 32 bits (the grammar's
//!   `Integer` node), other numbers (`Float`) and strings are different shapes.
//! - A template is made only if every literal of the text maps to exactly one `A_Const` of
//!   the tree at the literal's position (or at a run of unary minus signs just before it,
//!   which the grammar folds into the constant), and only for trees whose every node kind
//!   the walker knows, so that every position in the tree is shifted. An unknown node kind
//!   (a DDL statement, a window, a CTE ...) leaves the text to the parser.
//! - Tests compare instantiated trees with the parser's trees for the same texts.

use std::collections::HashMap;
use std::sync::Arc;

use basalt_common::types::Value;
use parking_lot::Mutex;
use pg_query::protobuf::{self, AConst, Node, RawStmt, a_const, node};

/// The kinds of literal a shape distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An integer that fits in 32 bits (`Integer`).
    Int,
    /// Another number (`Float`, kept as text).
    Float,
    /// A `'...'` string.
    Str,
}

/// A literal's byte range in its text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lit {
    start: usize,
    end: usize,
    kind: Kind,
}

/// A text's shape: the key and the literals.
#[derive(Debug)]
pub(crate) struct Shape {
    key: String,
    pub(crate) lits: Vec<Lit>,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// The shape of `sql`, if it has literals and only the lexical elements this module knows.
pub(crate) fn shape(sql: &str) -> Option<Shape> {
    let b = sql.as_bytes();
    let mut key = String::with_capacity(sql.len());
    let mut lits = Vec::new();
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if is_ident_start(c) {
            while i < b.len() && is_ident_char(b[i]) {
                i += 1;
            }
            // A string right after a word: E'..', B'..', X'..', N'..', U&'..' or a typed
            // literal; only `typename 'text'` is plain, but telling them apart needs more
            // than a lexer.
            if i < b.len() && (b[i] == b'\'' || b[i] == b'&') {
                return None;
            }
        } else if c == b'"' {
            i += 1;
            loop {
                match b.get(i) {
                    None => return None,
                    Some(b'"') if b.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
        } else if c == b'\'' {
            let s = i;
            i += 1;
            loop {
                match b.get(i) {
                    None => return None,
                    Some(b'\'') if b.get(i + 1) == Some(&b'\'') => i += 2,
                    Some(b'\'') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            // Strings separated by a newline are one literal to PostgreSQL.
            let mut j = i;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if b.get(j) == Some(&b'\'') {
                return None;
            }
            lits.push(Lit {
                start: s,
                end: i,
                kind: Kind::Str,
            });
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let s = i;
            let mut float = false;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if b.get(i) == Some(&b'.') && b.get(i + 1) != Some(&b'.') {
                float = true;
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if matches!(b.get(i), Some(b'e' | b'E')) {
                float = true;
                i += 1;
                if matches!(b.get(i), Some(b'+' | b'-')) {
                    i += 1;
                }
                if !b.get(i).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            // `1x`, `1.2.3`, `1_000`: PostgreSQL lexes these differently across versions.
            if b.get(i)
                .is_some_and(|&n| is_ident_char(n) || n == b'.' || n == b'\'')
            {
                return None;
            }
            let text = &sql[s..i];
            let kind = if !float && text.parse::<i32>().is_ok() {
                Kind::Int
            } else {
                Kind::Float
            };
            lits.push(Lit {
                start: s,
                end: i,
                kind,
            });
        } else if c == b'$'
            || c == b'\\'
            || c == b'`'
            // Comments.
            || (c == b'-' && b.get(i + 1) == Some(&b'-'))
            || (c == b'/' && b.get(i + 1) == Some(&b'*'))
        {
            return None;
        } else if c.is_ascii_punctuation() {
            i += 1;
        } else {
            return None;
        }
        if let Some(l) = lits.last()
            && l.end == i
            && copied <= l.start
        {
            key.push_str(&sql[copied..l.start]);
            key.push('\0');
            key.push(match l.kind {
                Kind::Int => 'i',
                Kind::Float => 'f',
                Kind::Str => 's',
            });
            copied = i;
        }
    }
    if lits.is_empty() {
        return None;
    }
    key.push_str(&sql[copied..]);
    Some(Shape { key, lits })
}

/// What the walker calls for each position and each constant.
trait Visit {
    fn loc(&mut self, l: &mut i32);
    /// A constant in an expression; `Some(n)` replaces it with parameter `$n`.
    fn konst(&mut self, c: &mut AConst) -> Option<i32>;
    /// A constant whose value the binder reads itself (`ORDER BY 1`, `varchar(10)`): it
    /// cannot become a parameter.
    fn konst_fixed(&mut self, c: &mut AConst) {
        let _ = self.konst(c);
    }
}

/// Visits constants in a place where they cannot become parameters.
struct Fixed<'a>(&'a mut dyn Visit);

impl Visit for Fixed<'_> {
    fn loc(&mut self, l: &mut i32) {
        self.0.loc(l);
    }
    fn konst(&mut self, c: &mut AConst) -> Option<i32> {
        self.0.konst_fixed(c);
        None
    }
    fn konst_fixed(&mut self, c: &mut AConst) {
        self.0.konst_fixed(c);
    }
}

/// ORDER BY / GROUP BY / DISTINCT ON items: an integer constant written as the item itself is
/// a select-list position.
fn clause_items(list: &mut [Node], v: &mut dyn Visit) -> Option<()> {
    use node::Node as N;
    for n in list {
        let direct = match n.node.as_ref() {
            Some(N::AConst(_)) => true,
            Some(N::SortBy(sb)) => matches!(
                sb.node.as_deref().and_then(|x| x.node.as_ref()),
                Some(N::AConst(_))
            ),
            _ => false,
        };
        if direct {
            walk(n, &mut Fixed(v))?;
        } else {
            walk(n, v)?;
        }
    }
    Some(())
}

fn nodes(list: &mut [Node], v: &mut dyn Visit) -> Option<()> {
    for n in list {
        walk(n, v)?;
    }
    Some(())
}

fn opt(n: &mut Option<Box<Node>>, v: &mut dyn Visit) -> Option<()> {
    match n {
        Some(n) => walk(n, v),
        None => Some(()),
    }
}

fn range_var(r: &mut protobuf::RangeVar, v: &mut dyn Visit) -> Option<()> {
    if r.alias.as_ref().is_some_and(|a| !a.colnames.is_empty()) {
        return None;
    }
    v.loc(&mut r.location);
    Some(())
}

fn type_name(t: &mut protobuf::TypeName, v: &mut dyn Visit) -> Option<()> {
    nodes(&mut t.names, v)?;
    nodes(&mut t.typmods, &mut Fixed(v))?;
    nodes(&mut t.array_bounds, v)?;
    v.loc(&mut t.location);
    Some(())
}

fn select(s: &mut protobuf::SelectStmt, v: &mut dyn Visit) -> Option<()> {
    if s.into_clause.is_some()
        || s.with_clause.is_some()
        || !s.window_clause.is_empty()
        || !s.locking_clause.is_empty()
    {
        return None;
    }
    clause_items(&mut s.distinct_clause, v)?;
    nodes(&mut s.target_list, v)?;
    nodes(&mut s.from_clause, v)?;
    opt(&mut s.where_clause, v)?;
    clause_items(&mut s.group_clause, v)?;
    opt(&mut s.having_clause, v)?;
    nodes(&mut s.values_lists, v)?;
    clause_items(&mut s.sort_clause, v)?;
    opt(&mut s.limit_offset, v)?;
    opt(&mut s.limit_count, v)?;
    if let Some(l) = &mut s.larg {
        select(l, v)?;
    }
    if let Some(r) = &mut s.rarg {
        select(r, v)?;
    }
    Some(())
}

/// Visits every position and constant of `n`; `None` for a node kind it does not know.
fn walk(n: &mut Node, v: &mut dyn Visit) -> Option<()> {
    use node::Node as N;
    if let Some(N::AConst(c)) = n.node.as_mut() {
        let location = c.location;
        if let Some(number) = v.konst(c) {
            n.node = Some(N::ParamRef(protobuf::ParamRef { number, location }));
        }
        return Some(());
    }
    match n.node.as_mut()? {
        N::AConst(_) => {}
        N::String(_) | N::AStar(_) | N::Integer(_) | N::Float(_) | N::Boolean(_) => {}
        N::List(l) => nodes(&mut l.items, v)?,
        N::ColumnRef(c) => {
            nodes(&mut c.fields, v)?;
            v.loc(&mut c.location);
        }
        N::ResTarget(r) => {
            nodes(&mut r.indirection, v)?;
            opt(&mut r.val, v)?;
            v.loc(&mut r.location);
        }
        N::AExpr(e) => {
            nodes(&mut e.name, v)?;
            opt(&mut e.lexpr, v)?;
            opt(&mut e.rexpr, v)?;
            v.loc(&mut e.rexpr_list_start);
            v.loc(&mut e.rexpr_list_end);
            v.loc(&mut e.location);
        }
        N::BoolExpr(e) => {
            nodes(&mut e.args, v)?;
            v.loc(&mut e.location);
        }
        N::NullTest(e) => {
            opt(&mut e.arg, v)?;
            v.loc(&mut e.location);
        }
        N::BooleanTest(e) => {
            opt(&mut e.arg, v)?;
            v.loc(&mut e.location);
        }
        N::SqlvalueFunction(e) => v.loc(&mut e.location),
        N::TypeCast(e) => {
            opt(&mut e.arg, v)?;
            if let Some(t) = &mut e.type_name {
                type_name(t, v)?;
            }
            v.loc(&mut e.location);
        }
        N::FuncCall(f) => {
            if f.over.is_some() {
                return None;
            }
            nodes(&mut f.funcname, v)?;
            nodes(&mut f.args, v)?;
            nodes(&mut f.agg_order, v)?;
            opt(&mut f.agg_filter, v)?;
            v.loc(&mut f.location);
        }
        N::CaseExpr(e) => {
            opt(&mut e.arg, v)?;
            nodes(&mut e.args, v)?;
            opt(&mut e.defresult, v)?;
            v.loc(&mut e.location);
        }
        N::CaseWhen(e) => {
            opt(&mut e.expr, v)?;
            opt(&mut e.result, v)?;
            v.loc(&mut e.location);
        }
        N::CoalesceExpr(e) => {
            nodes(&mut e.args, v)?;
            v.loc(&mut e.location);
        }
        N::MinMaxExpr(e) => {
            nodes(&mut e.args, v)?;
            v.loc(&mut e.location);
        }
        N::RowExpr(e) => {
            nodes(&mut e.args, v)?;
            nodes(&mut e.colnames, v)?;
            v.loc(&mut e.location);
        }
        N::AArrayExpr(e) => {
            nodes(&mut e.elements, v)?;
            v.loc(&mut e.list_start);
            v.loc(&mut e.list_end);
            v.loc(&mut e.location);
        }
        N::SortBy(s) => {
            opt(&mut s.node, v)?;
            nodes(&mut s.use_op, v)?;
            v.loc(&mut s.location);
        }
        N::SubLink(s) => {
            opt(&mut s.testexpr, v)?;
            nodes(&mut s.oper_name, v)?;
            opt(&mut s.subselect, v)?;
            v.loc(&mut s.location);
        }
        N::RangeVar(r) => range_var(r, v)?,
        N::JoinExpr(j) => {
            if j.join_using_alias.is_some() || j.alias.is_some() {
                return None;
            }
            opt(&mut j.larg, v)?;
            opt(&mut j.rarg, v)?;
            nodes(&mut j.using_clause, v)?;
            opt(&mut j.quals, v)?;
        }
        N::RangeSubselect(r) => {
            if r.alias.as_ref().is_some_and(|a| !a.colnames.is_empty()) {
                return None;
            }
            opt(&mut r.subquery, v)?;
        }
        N::SelectStmt(s) => select(s, v)?,
        N::InsertStmt(s) => {
            if s.on_conflict_clause.is_some()
                || s.returning_clause.is_some()
                || s.with_clause.is_some()
            {
                return None;
            }
            if let Some(r) = &mut s.relation {
                range_var(r, v)?;
            }
            nodes(&mut s.cols, v)?;
            opt(&mut s.select_stmt, v)?;
        }
        N::UpdateStmt(s) => {
            if s.returning_clause.is_some() || s.with_clause.is_some() {
                return None;
            }
            if let Some(r) = &mut s.relation {
                range_var(r, v)?;
            }
            nodes(&mut s.target_list, v)?;
            opt(&mut s.where_clause, v)?;
            nodes(&mut s.from_clause, v)?;
        }
        N::DeleteStmt(s) => {
            if s.returning_clause.is_some() || s.with_clause.is_some() {
                return None;
            }
            if let Some(r) = &mut s.relation {
                range_var(r, v)?;
            }
            nodes(&mut s.using_clause, v)?;
            opt(&mut s.where_clause, v)?;
        }
        _ => return None,
    }
    Some(())
}

/// Records the constants' positions (building a template).
struct Collect(Vec<i32>);

impl Visit for Collect {
    fn loc(&mut self, _: &mut i32) {}
    fn konst(&mut self, c: &mut AConst) -> Option<i32> {
        self.0.push(c.location);
        None
    }
}

/// A parsed text kept to parse others of its shape.
#[derive(Debug)]
pub(crate) struct Template {
    stmts: Vec<RawStmt>,
    /// The template text's literals.
    lits: Vec<Lit>,
    /// Per constant, in walk order: the literal it holds and how many unary minus signs
    /// the grammar folded into it (`None`: a constant of no literal, e.g. `NULL`).
    consts: Vec<Option<(usize, u32)>>,
    /// The statements with parameters for the literals, when the shape allows it.
    param: Option<ParamForm>,
}

impl Template {
    /// A template from a text's parse, if its literals and constants correspond.
    pub(crate) fn build(sql: &str, shape: &Shape, stmts: &[RawStmt]) -> Option<Template> {
        let mut stmts = stmts.to_vec();
        let mut collect = Collect(Vec::new());
        for s in &mut stmts {
            walk(s.stmt.as_deref_mut()?, &mut collect)?;
        }
        let b = sql.as_bytes();
        let mut consts = vec![None; collect.0.len()];
        let mut used = vec![false; shape.lits.len()];
        for (k, &loc) in collect.0.iter().enumerate() {
            let loc = usize::try_from(loc).ok()?;
            // The literal starting here, or after a run of minus signs starting here.
            let mut p = loc;
            let mut minus = 0;
            while p < b.len() && (b[p] == b'-' || b[p].is_ascii_whitespace()) {
                if b[p] == b'-' {
                    minus += 1;
                }
                p += 1;
            }
            match shape.lits.iter().position(|l| l.start == p) {
                Some(i) if !used[i] => {
                    used[i] = true;
                    consts[k] = Some((i, minus));
                }
                Some(_) => return None,
                // A constant of a keyword (`NULL`, `TRUE`) or one the grammar made.
                None if minus == 0 => {}
                None => return None,
            }
        }
        if used.iter().any(|u| !u) {
            return None;
        }
        let param = ParamForm::build(&shape.key, &shape.lits, &stmts, &consts);
        Some(Template {
            stmts,
            lits: shape.lits.clone(),
            consts,
            param,
        })
    }

    /// The statements with parameters, if this shape has them ([`ParamForm`]).
    pub(crate) fn param_form(&self) -> Option<&ParamForm> {
        self.param.as_ref()
    }

    /// The number of statements.
    pub(crate) fn len(&self) -> usize {
        self.stmts.len()
    }

    /// Statement `i`'s parameter values in `sql`, a text of this shape with literals `lits`
    /// (`None` without a [`ParamForm`]).
    pub(crate) fn param_values(&self, sql: &str, lits: &[Lit], i: usize) -> Option<Vec<Value>> {
        let form = self.param.as_ref()?;
        form.params
            .get(i)?
            .iter()
            .map(|&(l, minus)| int_value(sql, lits.get(l)?, minus).map(Value::Int4))
            .collect()
    }

    /// Position `at` (0-based) of the template's text in `sql`'s text, whose literals are
    /// `lits`.
    pub(crate) fn shift(&self, lits: &[Lit], at: i32) -> i32 {
        shift(&self.lits, lits, at)
    }

    /// The statements of `sql`, a text of this template's shape with literals `lits`.
    pub(crate) fn instantiate(&self, sql: &str, lits: &[Lit]) -> Option<Vec<RawStmt>> {
        if lits.len() != self.lits.len() {
            return None;
        }
        let mut stmts = self.stmts.clone();
        let mut fill = Fill {
            sql,
            old: &self.lits,
            new: lits,
            consts: &self.consts,
            next: 0,
            failed: false,
        };
        for s in &mut stmts {
            let end = s.stmt_location + s.stmt_len;
            let len_is_rest = s.stmt_len == 0;
            fill.loc(&mut s.stmt_location);
            if !len_is_rest {
                let mut e = end;
                fill.loc(&mut e);
                s.stmt_len = e - s.stmt_location;
            }
            walk(s.stmt.as_deref_mut()?, &mut fill)?;
        }
        (!fill.failed).then_some(stmts)
    }
}

/// Puts a text's literal values into a template's copy and shifts its positions.
struct Fill<'a> {
    sql: &'a str,
    old: &'a [Lit],
    new: &'a [Lit],
    consts: &'a [Option<(usize, u32)>],
    next: usize,
    failed: bool,
}

impl Fill<'_> {
    fn shift(&self, at: i32) -> i32 {
        shift(self.old, self.new, at)
    }
}

/// The value of integer literal `lit` of `sql` with `minus` unary minus signs folded in.
fn int_value(sql: &str, lit: &Lit, minus: u32) -> Option<i32> {
    let mut v: i32 = sql.get(lit.start..lit.end)?.parse().ok()?;
    for _ in 0..minus {
        v = v.checked_neg()?;
    }
    Some(v)
}

/// Position `at` of a text with literals `old`, in a text of the same shape with literals
/// `new`: moved by the difference in length of the literals before it.
fn shift(old: &[Lit], new: &[Lit], at: i32) -> i32 {
    let mut d: i64 = 0;
    for (o, n) in old.iter().zip(new) {
        if (o.start as i64) < i64::from(at) {
            d += (n.end - n.start) as i64 - (o.end - o.start) as i64;
        }
    }
    i32::try_from(i64::from(at) + d).unwrap_or(at)
}

/// Replaces a template's literal constants with parameters (building a [`ParamForm`]).
struct Parameterize<'a> {
    consts: &'a [Option<(usize, u32)>],
    /// The next constant's number, over all statements.
    next: usize,
    /// The statement's parameters so far: literal and folded minus signs.
    params: Vec<(usize, u32)>,
    /// A literal sits where the binder reads its value itself.
    fixed: bool,
}

impl Visit for Parameterize<'_> {
    fn loc(&mut self, _: &mut i32) {}

    fn konst(&mut self, _: &mut AConst) -> Option<i32> {
        let k = self.next;
        self.next += 1;
        let lit = (*self.consts.get(k)?)?;
        self.params.push(lit);
        i32::try_from(self.params.len()).ok()
    }

    fn konst_fixed(&mut self, _: &mut AConst) {
        let k = self.next;
        self.next += 1;
        if self.consts.get(k).is_some_and(Option::is_some) {
            self.fixed = true;
        }
    }
}

/// A template whose literals are all 32-bit integers in expression positions, written with
/// parameters instead: statement *i*'s literals are its `$1`, `$2` ... of type `integer`, the
/// type PostgreSQL gives such a literal. Binding it once per shape gives a plan that every
/// text of the shape runs with its own literal values, as a prepared statement runs with its
/// parameters: the simple query protocol then skips the binder and the planner too.
///
/// Only integers: a string literal's type comes from its context (an unknown-type constant
/// folded by the binder), and a longer number is `bigint` or `numeric` by its value, so the
/// shape alone does not fix their types.
#[derive(Debug)]
pub(crate) struct ParamForm {
    pub(crate) stmts: Vec<RawStmt>,
    /// Per statement: the literal behind each parameter and its folded minus signs.
    params: Vec<Vec<(usize, u32)>>,
    /// Per statement: the text plans of this statement are cached under (the shape key
    /// and the statement's number; no SQL text holds a NUL byte).
    pub(crate) keys: Vec<Arc<str>>,
}

impl ParamForm {
    fn build(
        key: &str,
        lits: &[Lit],
        stmts: &[RawStmt],
        consts: &[Option<(usize, u32)>],
    ) -> Option<ParamForm> {
        if lits.iter().any(|l| l.kind != Kind::Int) {
            return None;
        }
        let mut stmts = stmts.to_vec();
        let mut v = Parameterize {
            consts,
            next: 0,
            params: Vec::new(),
            fixed: false,
        };
        let mut params = Vec::with_capacity(stmts.len());
        let mut keys = Vec::with_capacity(stmts.len());
        for (i, s) in stmts.iter_mut().enumerate() {
            walk(s.stmt.as_deref_mut()?, &mut v)?;
            params.push(std::mem::take(&mut v.params));
            keys.push(Arc::from(format!("{key}\0{i}")));
        }
        (!v.fixed).then_some(ParamForm {
            stmts,
            params,
            keys,
        })
    }
}

impl Visit for Fill<'_> {
    fn loc(&mut self, l: &mut i32) {
        if *l >= 0 {
            *l = self.shift(*l);
        }
    }

    fn konst(&mut self, c: &mut AConst) -> Option<i32> {
        let k = self.next;
        self.next += 1;
        c.location = self.shift(c.location);
        let Some(&Some((i, minus))) = self.consts.get(k) else {
            return None;
        };
        let lit = self.new[i];
        let text = &self.sql[lit.start..lit.end];
        c.val = Some(match lit.kind {
            Kind::Int => {
                let Some(ival) = int_value(self.sql, &lit, minus) else {
                    self.failed = true;
                    return None;
                };
                a_const::Val::Ival(protobuf::Integer { ival })
            }
            Kind::Float => {
                let mut f = text.to_string();
                for _ in 0..minus {
                    f = match f.strip_prefix('-') {
                        Some(rest) => rest.to_string(),
                        None => format!("-{f}"),
                    };
                }
                a_const::Val::Fval(protobuf::Float { fval: f })
            }
            Kind::Str => a_const::Val::Sval(protobuf::String {
                sval: text[1..text.len() - 1].replace("''", "'"),
            }),
        });
        None
    }
}

/// Templates by shape key, shared by a database's sessions (bounded: cleared when full).
/// A shape whose text made no template is kept too (`None`), so that its next texts are
/// parsed without trying again.
#[derive(Debug, Default)]
pub(crate) struct Templates {
    map: Mutex<HashMap<String, Option<Arc<Template>>, foldhash::fast::RandomState>>,
}

const MAX_TEMPLATES: usize = 256;

impl Templates {
    /// What is known of `shape`: `None` if nothing yet, `Some(None)` if it has no template.
    pub(crate) fn get(&self, shape: &Shape) -> Option<Option<Arc<Template>>> {
        self.map.lock().get(&shape.key).cloned()
    }

    /// Keeps what a text of `shape` gave (`None`: no template).
    pub(crate) fn put(&self, shape: Shape, t: Option<Template>) {
        let mut map = self.map.lock();
        if map.len() >= MAX_TEMPLATES {
            map.clear();
        }
        map.insert(shape.key, t.map(Arc::new));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(sql: &str) -> Vec<RawStmt> {
        pg_query::parse(sql, pg_query::ParserOptions::DEFAULT)
            .unwrap()
            .protobuf
            .stmts
    }

    /// Builds a template from `a` and checks that instantiating it for `b` gives the
    /// parser's tree of `b`.
    fn same(a: &str, b: &str) {
        let sa = shape(a).unwrap_or_else(|| panic!("no shape: {a}"));
        let sb = shape(b).unwrap_or_else(|| panic!("no shape: {b}"));
        assert_eq!(sa.key, sb.key, "{a} / {b}");
        let t = Template::build(a, &sa, &parse(a)).unwrap_or_else(|| panic!("no template: {a}"));
        let got = t.instantiate(b, &sb.lits).unwrap();
        assert_eq!(got, parse(b), "{a} -> {b}");
    }

    #[test]
    fn instantiated_trees_equal_the_parsers() {
        same(
            "UPDATE pgbench_accounts SET abalance = abalance + -1234 WHERE aid = 56789;",
            "UPDATE pgbench_accounts SET abalance = abalance + -5 WHERE aid = 1;",
        );
        same(
            "SELECT abalance FROM pgbench_accounts WHERE aid = 56789;",
            "SELECT abalance FROM pgbench_accounts WHERE aid = 7;",
        );
        same(
            "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (5, 1, 56789, -1234, CURRENT_TIMESTAMP);",
            "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (10, 2, 3, -99999, CURRENT_TIMESTAMP);",
        );
        same(
            "select a, 'it''s' || b, 1.5e3, - - 2 from t where c in (1, 2, 3) and d = 'x' order by a limit 10",
            "select a, 'no' || b, 27.25, - - 31 from t where c in (100, 2000, 3) and d = 'longer text' order by a limit 1",
        );
        same(
            "SELECT 99999999999, -2147483648, x::varchar(10) FROM t WHERE y BETWEEN 1 AND 2 OR z IS NULL",
            "SELECT 12345678901, -2147483649, x::varchar(200) FROM t WHERE y BETWEEN 10 AND 20 OR z IS NULL",
        );
        same(
            "SELECT * FROM t JOIN u ON t.a = u.a WHERE t.b = ANY (ARRAY[1, 2]) AND u.c = (SELECT max(d) FROM v WHERE e > 0); SELECT 1",
            "SELECT * FROM t JOIN u ON t.a = u.a WHERE t.b = ANY (ARRAY[30, 40]) AND u.c = (SELECT max(d) FROM v WHERE e > 500); SELECT 22",
        );
        same(
            "DELETE FROM t WHERE a = 'b' AND c <> CASE WHEN d > 1 THEN 2 ELSE 3 END",
            "DELETE FROM t WHERE a = '' AND c <> CASE WHEN d > 100 THEN 200 ELSE 300 END",
        );
    }

    #[test]
    fn kinds_and_unknown_lexemes_keep_texts_apart() {
        // An integer and a bigger number are different shapes (Integer vs Float nodes).
        assert_ne!(
            shape("SELECT 1").unwrap().key,
            shape("SELECT 9999999999").unwrap().key
        );
        assert_ne!(
            shape("SELECT 1").unwrap().key,
            shape("SELECT '1'").unwrap().key
        );
        for text in [
            "SELECT E'a\\n'",
            "SELECT $1 + 1",
            "SELECT 1 -- c",
            "SELECT /* c */ 1",
            "SELECT 'a'\n'b'",
            "SELECT 1x",
            "SELECT x FROM t",
        ] {
            assert!(shape(text).is_none(), "{text}");
        }
        // A shape whose constants do not all map to literals has no template.
        let sql = "CREATE TABLE t (x int DEFAULT 1)";
        let s = shape(sql).unwrap();
        assert!(Template::build(sql, &s, &parse(sql)).is_none());
    }

    #[test]
    fn parameter_forms_only_for_integers_in_expressions() {
        let form = |sql: &str| {
            let s = shape(sql).unwrap();
            Template::build(sql, &s, &parse(sql)).and_then(|t| t.param.map(|p| p.params))
        };
        // pgbench's statements: every literal a parameter, minus signs folded.
        assert_eq!(
            form("UPDATE pgbench_accounts SET abalance = abalance + -1234 WHERE aid = 56789"),
            Some(vec![vec![(0, 1), (1, 0)]])
        );
        assert_eq!(
            form("SELECT 1; SELECT a FROM t WHERE b = 2 AND c IS NULL"),
            Some(vec![vec![(0, 0)], vec![(1, 0)]])
        );
        // Positions, type modifiers, and literals whose type the shape does not fix.
        for sql in [
            "SELECT a, b FROM t ORDER BY 2",
            "SELECT a, count(*) FROM t GROUP BY 1",
            "SELECT DISTINCT ON (1) a FROM t WHERE b = 1",
            "SELECT x::varchar(10) FROM t WHERE y = 1",
            "SELECT a FROM t WHERE b = 'x' AND c = 1",
            "SELECT a FROM t WHERE b = 1.5",
            "SELECT 9999999999",
        ] {
            assert_eq!(form(sql), None, "{sql}");
        }
        // An expression containing a constant is no position.
        assert!(form("SELECT a FROM t ORDER BY a + 1").is_some());
    }
}
