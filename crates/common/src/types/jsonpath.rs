//! The `jsonpath` type: its parser (PostgreSQL 15's grammar: `lax` / `strict` mode,
//! accessors, filters, predicates, arithmetic, item methods) and its canonical output, the
//! text `jsonpath_out` prints (`$."a"[*]?(@ > 1)`). Evaluation lives in `basalt-func`.
//!
//! Precedence, loosest first: `||`, `&&`, comparisons / `like_regex` / `starts with`,
//! `+ -`, `* / %`, unary `+ -`, then a primary with its accessors. The printer puts a binary
//! operation in parentheses at the top level and wherever its operand's priority is not
//! higher than its parent's, as PostgreSQL does.

use super::error::{TypeError, TypeResult, codes};
use super::json::escape_json_string;
use super::numeric::Numeric;

/// A parsed path.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    /// `strict` mode (default `lax`).
    pub strict: bool,
    /// The expression.
    pub expr: PathExpr,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `==`
    Eq,
    /// `!=` / `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
}

impl BinOp {
    /// The operator's symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
        }
    }

    fn priority(self) -> u8 {
        match self {
            BinOp::Or => 0,
            BinOp::And => 1,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 2,
            BinOp::Add | BinOp::Sub => 3,
            BinOp::Mul | BinOp::Div | BinOp::Mod => 4,
        }
    }
}

/// Item methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `.type()`
    Type,
    /// `.size()`
    Size,
    /// `.double()`
    Double,
    /// `.ceiling()`
    Ceiling,
    /// `.floor()`
    Floor,
    /// `.abs()`
    Abs,
    /// `.keyvalue()`
    KeyValue,
    /// `.datetime([template])`
    Datetime,
}

impl Method {
    /// The method's name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Type => "type",
            Method::Size => "size",
            Method::Double => "double",
            Method::Ceiling => "ceiling",
            Method::Floor => "floor",
            Method::Abs => "abs",
            Method::KeyValue => "keyvalue",
            Method::Datetime => "datetime",
        }
    }
}

/// One subscript of an array accessor: an index or a range `a to b`.
pub type Subscript = (PathExpr, Option<PathExpr>);

/// A path expression.
#[derive(Debug, Clone, PartialEq)]
pub enum PathExpr {
    /// `$`
    Root,
    /// `@`
    Current,
    /// `$name`
    Var(String),
    /// `last` (in subscripts)
    Last,
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number.
    Number(Numeric),
    /// A string.
    String(String),
    /// `expr.key`
    Key(Box<PathExpr>, String),
    /// `expr.*`
    AnyKey(Box<PathExpr>),
    /// `expr[*]`
    AnyIndex(Box<PathExpr>),
    /// `expr[i, j to k]`
    Index(Box<PathExpr>, Vec<Subscript>),
    /// `expr.**{from to to}` (`None` bounds: 0 and `last`; `u32::MAX` is `last`)
    AnyPath(Box<PathExpr>, u32, u32),
    /// `expr ? (predicate)`
    Filter(Box<PathExpr>, Box<PathExpr>),
    /// `expr.method(args)` (the only argument: datetime's template)
    Method(Box<PathExpr>, Method, Option<String>),
    /// A binary operation.
    Binary(BinOp, Box<PathExpr>, Box<PathExpr>),
    /// Unary minus (`true`) or plus.
    Unary(bool, Box<PathExpr>),
    /// `!(predicate)`
    Not(Box<PathExpr>),
    /// `exists(expr)`
    Exists(Box<PathExpr>),
    /// `(predicate) is unknown`
    IsUnknown(Box<PathExpr>),
    /// `expr like_regex "pattern" [flag "flags"]`
    LikeRegex(Box<PathExpr>, String, String),
    /// `expr starts with (string | $var)`
    StartsWith(Box<PathExpr>, Box<PathExpr>),
}

fn syntax(msg: impl Into<String>) -> TypeError {
    TypeError::new(codes::SYNTAX_ERROR, msg)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Dollar,
    Var(String),
    At,
    Ident(String),
    Str(String),
    Num(String),
    Sym(&'static str),
}

fn tokenize(s: &str) -> TypeResult<Vec<Tok>> {
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let ident_char = |ch: char| ch.is_alphanumeric() || ch == '_';
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
            continue;
        }
        if ch == '$' {
            i += 1;
            if i < c.len() && c[i] == '"' {
                let (s, n) = read_string(&c, i)?;
                out.push(Tok::Var(s));
                i = n;
            } else if i < c.len() && ident_char(c[i]) {
                let st = i;
                while i < c.len() && ident_char(c[i]) {
                    i += 1;
                }
                out.push(Tok::Var(c[st..i].iter().collect()));
            } else {
                out.push(Tok::Dollar);
            }
            continue;
        }
        if ch == '@' {
            out.push(Tok::At);
            i += 1;
            continue;
        }
        if ch == '"' {
            let (s, n) = read_string(&c, i)?;
            out.push(Tok::Str(s));
            i = n;
            continue;
        }
        if ch.is_ascii_digit() || (ch == '.' && c.get(i + 1).is_some_and(char::is_ascii_digit)) {
            // A number right after `.` in an accessor is a key (`$.1` is not valid anyway).
            let st = i;
            while i < c.len() && c[i].is_ascii_digit() {
                i += 1;
            }
            if c[st] == '0' && i > st + 1 {
                // an integer has no leading zero: `00` is `0` followed by junk
                return Err(syntax(format!(
                    "trailing junk after numeric literal at or near \"{}\" of jsonpath input",
                    c[st..st + 2].iter().collect::<String>()
                )));
            }
            let exponent_at = |j: usize| {
                c.get(j).is_some_and(|x| *x == 'e' || *x == 'E')
                    && match c.get(j + 1) {
                        Some('+' | '-') => c.get(j + 2).is_some_and(char::is_ascii_digit),
                        Some(x) => x.is_ascii_digit(),
                        None => false,
                    }
            };
            if i < c.len() && c[i] == '.' && c.get(i + 1).is_some_and(char::is_ascii_digit) {
                i += 1;
                while i < c.len() && c[i].is_ascii_digit() {
                    i += 1;
                }
            } else if i < c.len() && c[i] == '.' && exponent_at(i + 1) {
                // `1.e3` is the number 1000 (a decimal `1.` with an exponent)
                i += 1;
            } else if i < c.len()
                && c[i] == '.'
                && st < i
                && c.get(i + 1).is_some_and(|x| ident_char(*x))
            {
                // `1.type()`: the decimal `1.` followed by junk
                return Err(syntax(format!(
                    "trailing junk after numeric literal at or near \"{}\" of jsonpath input",
                    c[st..=i + 1].iter().collect::<String>()
                )));
            } else if i < c.len() && c[i] == '.' && c.get(i + 1) != Some(&'*') {
                i += 1;
            }
            if i < c.len() && (c[i] == 'e' || c[i] == 'E') {
                let mut j = i + 1;
                if j < c.len() && (c[j] == '+' || c[j] == '-') {
                    j += 1;
                }
                if j < c.len() && c[j].is_ascii_digit() {
                    i = j;
                    while i < c.len() && c[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            if i < c.len() && ident_char(c[i]) {
                return Err(syntax(format!(
                    "trailing junk after numeric literal at or near \"{}\" of jsonpath input",
                    c[st..=i].iter().collect::<String>()
                )));
            }
            out.push(Tok::Num(c[st..i].iter().collect()));
            continue;
        }
        if ident_char(ch) || ch == '\\' {
            let mut word = String::new();
            while i < c.len() && (ident_char(c[i]) || c[i] == '\\') {
                if c[i] == '\\' {
                    i = read_escape(&c, i, &mut word)?;
                } else {
                    word.push(c[i]);
                    i += 1;
                }
            }
            out.push(Tok::Ident(word));
            continue;
        }
        let two: String = c[i..(i + 2).min(c.len())].iter().collect();
        let sym2 = ["==", "!=", "<>", "<=", ">=", "&&", "||", "**"];
        if let Some(s) = sym2.iter().find(|s| **s == two) {
            out.push(Tok::Sym(s));
            i += 2;
            continue;
        }
        let sym1 = [
            ".", "[", "]", "(", ")", "{", "}", ",", "?", "<", ">", "!", "+", "-", "*", "/", "%",
        ];
        let one = ch.to_string();
        match sym1.iter().find(|s| **s == one) {
            Some(s) => {
                out.push(Tok::Sym(s));
                i += 1;
            }
            None => {
                return Err(syntax(format!(
                    "syntax error at or near \"{ch}\" of jsonpath input"
                )));
            }
        }
    }
    Ok(out)
}

fn read_string(c: &[char], start: usize) -> TypeResult<(String, usize)> {
    let mut i = start + 1;
    let mut s = String::new();
    while i < c.len() {
        match c[i] {
            '"' => return Ok((s, i + 1)),
            '\\' => i = read_escape(c, i, &mut s)?,
            ch => {
                s.push(ch);
                i += 1;
            }
        }
    }
    Err(syntax("unexpected end of quoted string"))
}

/// Reads the escape sequence at `c[i]` (a backslash) into `s`, as PostgreSQL's jsonpath
/// scanner does in strings and unquoted keys: `\n` and friends, `\xHH`, `\uHHHH` (with
/// surrogate pairs), `\u{H...}`; any other escaped character stands for itself. Returns the
/// index after the sequence.
fn read_escape(c: &[char], i: usize, s: &mut String) -> TypeResult<usize> {
    let e = *c
        .get(i + 1)
        .ok_or_else(|| syntax("unexpected end of quoted string"))?;
    let hex_at = |j: usize, n: usize| -> Option<u32> {
        let h: String = c.get(j..j + n)?.iter().collect();
        if h.chars().all(|x| x.is_ascii_hexdigit()) {
            u32::from_str_radix(&h, 16).ok()
        } else {
            None
        }
    };
    let near = |end: usize| c[i..end.min(c.len())].iter().collect::<String>();
    let push = |s: &mut String, v: u32| -> TypeResult<()> {
        match char::from_u32(v) {
            Some(ch) if v != 0 => {
                s.push(ch);
                Ok(())
            }
            _ if v == 0 => Err(TypeError::new(
                codes::UNTRANSLATABLE_CHARACTER,
                "unsupported Unicode escape sequence",
            )),
            _ => Err(syntax("invalid Unicode code point")),
        }
    };
    let simple = match e {
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'v' => Some('\u{b}'),
        'x' | 'u' => None,
        other => Some(other),
    };
    if let Some(ch) = simple {
        s.push(ch);
        return Ok(i + 2);
    }
    if e == 'x' {
        let Some(v) = hex_at(i + 2, 2) else {
            let digits = c[i + 2..]
                .iter()
                .take(2)
                .take_while(|x| x.is_ascii_hexdigit())
                .count();
            return Err(syntax(format!(
                "invalid hex character sequence at or near \"{}\" of jsonpath input",
                near(i + 2 + digits)
            )));
        };
        push(s, v)?;
        return Ok(i + 4);
    }
    if c.get(i + 2) == Some(&'{') {
        let mut j = i + 3;
        while j < c.len() && c[j].is_ascii_hexdigit() && j < i + 9 {
            j += 1;
        }
        if j == i + 3 || c.get(j) != Some(&'}') {
            return Err(syntax(format!(
                "invalid unicode sequence at or near \"{}\" of jsonpath input",
                near(j.max(i + 3))
            )));
        }
        let v = u32::from_str_radix(&c[i + 3..j].iter().collect::<String>(), 16)
            .map_err(|_| syntax("invalid Unicode code point"))?;
        push(s, v)?;
        return Ok(j + 1);
    }
    let Some(v) = hex_at(i + 2, 4) else {
        return Err(syntax(format!(
            "invalid unicode sequence at or near \"{}\" of jsonpath input",
            near(i + 6)
        )));
    };
    if (0xD800..0xDC00).contains(&v)
        && c.get(i + 6) == Some(&'\\')
        && c.get(i + 7) == Some(&'u')
        && let Some(lo) = hex_at(i + 8, 4)
        && (0xDC00..0xE000).contains(&lo)
    {
        push(s, 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00))?;
        return Ok(i + 12);
    }
    if (0xD800..0xE000).contains(&v) {
        return Err(syntax("invalid Unicode surrogate pair"));
    }
    push(s, v)?;
    Ok(i + 6)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    /// Nesting depth of filters (`@` is allowed only inside one).
    in_filter: usize,
    /// Nesting depth of array subscripts (`last` is allowed only inside one).
    in_subscript: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(x)) if *x == s)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(x)) if x == w)
    }

    fn unexpected(&self) -> TypeError {
        match self.peek() {
            None => syntax("syntax error at end of jsonpath input"),
            Some(t) => {
                let text = match t {
                    Tok::Dollar => "$".to_string(),
                    Tok::Var(v) => format!("${v}"),
                    Tok::At => "@".to_string(),
                    Tok::Ident(s) | Tok::Num(s) => s.clone(),
                    Tok::Str(s) => format!("\"{s}\""),
                    Tok::Sym(s) => (*s).to_string(),
                };
                syntax(format!(
                    "syntax error at or near \"{text}\" of jsonpath input"
                ))
            }
        }
    }

    fn expect(&mut self, s: &str) -> TypeResult<()> {
        if self.is_sym(s) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn expr(&mut self) -> TypeResult<PathExpr> {
        let mut l = self.and()?;
        while self.is_sym("||") {
            self.pos += 1;
            let r = self.and()?;
            l = PathExpr::Binary(BinOp::Or, Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn and(&mut self) -> TypeResult<PathExpr> {
        let mut l = self.comparison()?;
        while self.is_sym("&&") {
            self.pos += 1;
            let r = self.comparison()?;
            l = PathExpr::Binary(BinOp::And, Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn comparison(&mut self) -> TypeResult<PathExpr> {
        if self.is_sym("!") {
            self.pos += 1;
            self.expect("(")?;
            let e = self.expr()?;
            self.expect(")")?;
            return Ok(PathExpr::Not(Box::new(e)));
        }
        if self.is_word("exists") && matches!(self.toks.get(self.pos + 1), Some(Tok::Sym("("))) {
            self.pos += 2;
            let e = self.expr()?;
            self.expect(")")?;
            return Ok(PathExpr::Exists(Box::new(e)));
        }
        let l = self.additive()?;
        let op = match self.peek() {
            Some(Tok::Sym("==")) => Some(BinOp::Eq),
            Some(Tok::Sym("!=" | "<>")) => Some(BinOp::Ne),
            Some(Tok::Sym("<")) => Some(BinOp::Lt),
            Some(Tok::Sym("<=")) => Some(BinOp::Le),
            Some(Tok::Sym(">")) => Some(BinOp::Gt),
            Some(Tok::Sym(">=")) => Some(BinOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.pos += 1;
            let r = self.additive()?;
            return Ok(PathExpr::Binary(op, Box::new(l), Box::new(r)));
        }
        if self.is_word("like_regex") {
            self.pos += 1;
            let Some(Tok::Str(pat)) = self.peek().cloned() else {
                return Err(self.unexpected());
            };
            self.pos += 1;
            let mut flags = String::new();
            if self.is_word("flag") {
                self.pos += 1;
                let Some(Tok::Str(f)) = self.peek().cloned() else {
                    return Err(self.unexpected());
                };
                self.pos += 1;
                for ch in f.chars() {
                    if !"ismxq".contains(ch) {
                        return Err(
                            syntax("invalid input syntax for type jsonpath").with_detail(format!(
                                "Unrecognized flag character \"{ch}\" in LIKE_REGEX predicate."
                            )),
                        );
                    }
                }
                // `x` means nothing for a quoted (`q`) pattern; otherwise it is not supported.
                if f.contains('x') && !f.contains('q') {
                    return Err(TypeError::new(
                        codes::FEATURE_NOT_SUPPORTED,
                        "XQuery \"x\" flag (expanded regular expressions) is not implemented",
                    ));
                }
                // Kept as PostgreSQL prints them: each once, in the order i s m x q.
                flags = "ismxq".chars().filter(|c| f.contains(*c)).collect();
            }
            return Ok(PathExpr::LikeRegex(Box::new(l), pat, flags));
        }
        if self.is_word("starts")
            && matches!(self.toks.get(self.pos + 1), Some(Tok::Ident(w)) if w == "with")
        {
            self.pos += 2;
            let r = match self.peek().cloned() {
                Some(Tok::Str(s)) => PathExpr::String(s),
                Some(Tok::Var(v)) => PathExpr::Var(v),
                _ => return Err(self.unexpected()),
            };
            self.pos += 1;
            return Ok(PathExpr::StartsWith(Box::new(l), Box::new(r)));
        }
        if self.is_word("is")
            && matches!(self.toks.get(self.pos + 1), Some(Tok::Ident(w)) if w == "unknown")
        {
            self.pos += 2;
            return Ok(PathExpr::IsUnknown(Box::new(l)));
        }
        Ok(l)
    }

    fn additive(&mut self) -> TypeResult<PathExpr> {
        let mut l = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Sym("+")) => BinOp::Add,
                Some(Tok::Sym("-")) => BinOp::Sub,
                _ => return Ok(l),
            };
            self.pos += 1;
            let r = self.multiplicative()?;
            l = PathExpr::Binary(op, Box::new(l), Box::new(r));
        }
    }

    fn multiplicative(&mut self) -> TypeResult<PathExpr> {
        let mut l = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Sym("*")) => BinOp::Mul,
                Some(Tok::Sym("/")) => BinOp::Div,
                Some(Tok::Sym("%")) => BinOp::Mod,
                _ => return Ok(l),
            };
            self.pos += 1;
            let r = self.unary()?;
            l = PathExpr::Binary(op, Box::new(l), Box::new(r));
        }
    }

    fn unary(&mut self) -> TypeResult<PathExpr> {
        if self.is_sym("-") || self.is_sym("+") {
            let neg = self.is_sym("-");
            self.pos += 1;
            let e = self.unary()?;
            // A signed number literal is folded, as PostgreSQL's grammar does.
            if let PathExpr::Number(n) = &e {
                return Ok(PathExpr::Number(if neg { n.neg() } else { n.clone() }));
            }
            return Ok(PathExpr::Unary(neg, Box::new(e)));
        }
        self.accessors()
    }

    fn primary(&mut self) -> TypeResult<PathExpr> {
        let Some(t) = self.peek().cloned() else {
            return Err(self.unexpected());
        };
        self.pos += 1;
        Ok(match t {
            Tok::Dollar => PathExpr::Root,
            Tok::At => {
                if self.in_filter == 0 {
                    return Err(syntax("@ is not allowed in root expressions"));
                }
                PathExpr::Current
            }
            Tok::Var(v) => PathExpr::Var(v),
            Tok::Str(s) => PathExpr::String(s),
            Tok::Num(n) => PathExpr::Number(Numeric::parse(&n).map_err(|_| {
                syntax(format!("syntax error at or near \"{n}\" of jsonpath input"))
            })?),
            Tok::Ident(w) => match w.as_str() {
                "null" => PathExpr::Null,
                "true" => PathExpr::Bool(true),
                "false" => PathExpr::Bool(false),
                "last" => {
                    if self.in_subscript == 0 {
                        return Err(syntax("LAST is allowed only in array subscripts"));
                    }
                    PathExpr::Last
                }
                _ => {
                    self.pos -= 1;
                    return Err(self.unexpected());
                }
            },
            Tok::Sym("(") => {
                let e = self.expr()?;
                self.expect(")")?;
                e
            }
            Tok::Sym(_) => {
                self.pos -= 1;
                return Err(self.unexpected());
            }
        })
    }

    fn accessors(&mut self) -> TypeResult<PathExpr> {
        let mut e = self.primary()?;
        loop {
            if self.is_sym(".") {
                self.pos += 1;
                match self.peek().cloned() {
                    Some(Tok::Sym("*")) => {
                        self.pos += 1;
                        e = PathExpr::AnyKey(Box::new(e));
                    }
                    Some(Tok::Sym("**")) => {
                        self.pos += 1;
                        let (mut lo, mut hi) = (0, u32::MAX);
                        if self.is_sym("{") {
                            self.pos += 1;
                            lo = self.level()?;
                            hi = lo;
                            if self.is_word("to") {
                                self.pos += 1;
                                hi = self.level()?;
                            }
                            self.expect("}")?;
                        }
                        e = PathExpr::AnyPath(Box::new(e), lo, hi);
                    }
                    Some(Tok::Str(k)) => {
                        self.pos += 1;
                        e = PathExpr::Key(Box::new(e), k);
                    }
                    Some(Tok::Ident(k)) => {
                        self.pos += 1;
                        if self.is_sym("(") {
                            let m = match k.as_str() {
                                "type" => Method::Type,
                                "size" => Method::Size,
                                "double" => Method::Double,
                                "ceiling" => Method::Ceiling,
                                "floor" => Method::Floor,
                                "abs" => Method::Abs,
                                "keyvalue" => Method::KeyValue,
                                "datetime" => Method::Datetime,
                                _ => return Err(self.unexpected()),
                            };
                            self.pos += 1;
                            let mut arg = None;
                            if m == Method::Datetime
                                && let Some(Tok::Str(s)) = self.peek().cloned()
                            {
                                self.pos += 1;
                                arg = Some(s);
                            }
                            self.expect(")")?;
                            e = PathExpr::Method(Box::new(e), m, arg);
                        } else {
                            e = PathExpr::Key(Box::new(e), k);
                        }
                    }
                    _ => return Err(self.unexpected()),
                }
            } else if self.is_sym("[") {
                self.pos += 1;
                if self.is_sym("*") {
                    self.pos += 1;
                    self.expect("]")?;
                    e = PathExpr::AnyIndex(Box::new(e));
                    continue;
                }
                self.in_subscript += 1;
                let mut subs = Vec::new();
                loop {
                    let from = self.expr()?;
                    let to = if self.is_word("to") {
                        self.pos += 1;
                        Some(self.expr()?)
                    } else {
                        None
                    };
                    subs.push((from, to));
                    if self.is_sym(",") {
                        self.pos += 1;
                        continue;
                    }
                    break;
                }
                self.in_subscript -= 1;
                self.expect("]")?;
                e = PathExpr::Index(Box::new(e), subs);
            } else if self.is_sym("?") {
                self.pos += 1;
                self.expect("(")?;
                self.in_filter += 1;
                let p = self.expr()?;
                self.in_filter -= 1;
                self.expect(")")?;
                e = PathExpr::Filter(Box::new(e), Box::new(p));
            } else {
                return Ok(e);
            }
        }
    }

    fn level(&mut self) -> TypeResult<u32> {
        match self.peek().cloned() {
            Some(Tok::Ident(w)) if w == "last" => {
                self.pos += 1;
                Ok(u32::MAX)
            }
            Some(Tok::Num(n)) => {
                self.pos += 1;
                n.parse::<u32>().map_err(|_| self.unexpected())
            }
            _ => Err(self.unexpected()),
        }
    }
}

/// Parses a jsonpath (the type's input function).
pub fn parse_jsonpath(input: &str) -> TypeResult<JsonPath> {
    if input.trim().is_empty() {
        return Err(TypeError::new(
            codes::INVALID_TEXT_REPRESENTATION,
            format!("invalid input syntax for type jsonpath: \"{input}\""),
        ));
    }
    let toks = tokenize(input)?;
    let mut p = Parser {
        toks,
        pos: 0,
        in_filter: 0,
        in_subscript: 0,
    };
    let mut strict = false;
    if p.is_word("strict") || p.is_word("lax") {
        strict = p.is_word("strict");
        p.pos += 1;
    }
    let expr = p.expr()?;
    if p.pos != p.toks.len() {
        return Err(p.unexpected());
    }
    Ok(JsonPath { strict, expr })
}

impl PathExpr {
    /// The item an accessor chain starts from (`($.a + 1)` of `($.a + 1).b[0]`).
    fn chain_head(&self) -> &PathExpr {
        match self {
            PathExpr::Key(b, _)
            | PathExpr::AnyKey(b)
            | PathExpr::AnyIndex(b)
            | PathExpr::Index(b, _)
            | PathExpr::AnyPath(b, _, _)
            | PathExpr::Filter(b, _)
            | PathExpr::Method(b, _, _) => b.chain_head(),
            e => e,
        }
    }

    /// The operator priority PostgreSQL's printer gives the item: an accessor chain takes
    /// its head's (PostgreSQL keeps a chain as the list of its items).
    fn priority(&self) -> u8 {
        match self.chain_head() {
            PathExpr::Binary(op, _, _) => op.priority(),
            PathExpr::Unary(..) => 5,
            _ => 6,
        }
    }

    /// Writes the base of an accessor: as PostgreSQL prints a chain, the head gets the
    /// brackets decided for the whole chain, and a number head is always parenthesized.
    fn write_base(base: &PathExpr, out: &mut String, brackets: bool) {
        if let PathExpr::Number(n) = base {
            out.push('(');
            out.push_str(&n.to_text());
            out.push(')');
        } else {
            base.write(out, brackets);
        }
    }

    fn write(&self, out: &mut String, brackets: bool) {
        match self {
            PathExpr::Root => out.push('$'),
            PathExpr::Current => out.push('@'),
            PathExpr::Last => out.push_str("last"),
            PathExpr::Var(v) => {
                out.push('$');
                escape_json_string(out, v);
            }
            PathExpr::Null => out.push_str("null"),
            PathExpr::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            PathExpr::Number(n) => out.push_str(&n.to_text()),
            PathExpr::String(s) => escape_json_string(out, s),
            PathExpr::Key(b, k) => {
                Self::write_base(b, out, brackets);
                out.push('.');
                escape_json_string(out, k);
            }
            PathExpr::AnyKey(b) => {
                Self::write_base(b, out, brackets);
                out.push_str(".*");
            }
            PathExpr::AnyIndex(b) => {
                Self::write_base(b, out, brackets);
                out.push_str("[*]");
            }
            PathExpr::Index(b, subs) => {
                Self::write_base(b, out, brackets);
                out.push('[');
                for (i, (from, to)) in subs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    from.write(out, false);
                    if let Some(t) = to {
                        out.push_str(" to ");
                        t.write(out, false);
                    }
                }
                out.push(']');
            }
            PathExpr::AnyPath(b, lo, hi) => {
                Self::write_base(b, out, brackets);
                out.push_str(".**");
                let lv = |x: u32| {
                    if x == u32::MAX {
                        "last".to_string()
                    } else {
                        x.to_string()
                    }
                };
                if *lo == *hi {
                    out.push_str(&format!("{{{}}}", lv(*lo)));
                } else if !(*lo == 0 && *hi == u32::MAX) {
                    out.push_str(&format!("{{{} to {}}}", lv(*lo), lv(*hi)));
                }
            }
            PathExpr::Filter(b, p) => {
                Self::write_base(b, out, brackets);
                out.push_str("?(");
                p.write(out, false);
                out.push(')');
            }
            PathExpr::Method(b, m, arg) => {
                Self::write_base(b, out, brackets);
                out.push('.');
                out.push_str(m.name());
                out.push('(');
                if let Some(a) = arg {
                    escape_json_string(out, a);
                }
                out.push(')');
            }
            PathExpr::Binary(op, l, r) => {
                if brackets {
                    out.push('(');
                }
                l.write(out, l.priority() <= op.priority());
                out.push(' ');
                out.push_str(op.symbol());
                out.push(' ');
                r.write(out, r.priority() <= op.priority());
                if brackets {
                    out.push(')');
                }
            }
            PathExpr::Unary(neg, e) => {
                if brackets {
                    out.push('(');
                }
                out.push(if *neg { '-' } else { '+' });
                e.write(out, e.priority() <= 5);
                if brackets {
                    out.push(')');
                }
            }
            PathExpr::Not(e) => {
                out.push_str("!(");
                e.write(out, false);
                out.push(')');
            }
            PathExpr::Exists(e) => {
                out.push_str("exists (");
                e.write(out, false);
                out.push(')');
            }
            PathExpr::IsUnknown(e) => {
                out.push('(');
                e.write(out, false);
                out.push_str(") is unknown");
            }
            PathExpr::LikeRegex(e, pat, flags) => {
                if brackets {
                    out.push('(');
                }
                e.write(out, false);
                out.push_str(" like_regex ");
                escape_json_string(out, pat);
                if !flags.is_empty() {
                    out.push_str(" flag ");
                    escape_json_string(out, flags);
                }
                if brackets {
                    out.push(')');
                }
            }
            PathExpr::StartsWith(e, p) => {
                if brackets {
                    out.push('(');
                }
                e.write(out, false);
                out.push_str(" starts with ");
                p.write(out, false);
                if brackets {
                    out.push(')');
                }
            }
        }
    }
}

impl JsonPath {
    /// The canonical text (`jsonpath_out`).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if self.strict {
            out.push_str("strict ");
        }
        self.expr.write(&mut out, true);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_text() {
        let t = |s: &str| parse_jsonpath(s).unwrap().to_text();
        assert_eq!(t("$.a[*] ? (@ > 1)"), "$.\"a\"[*]?(@ > 1)");
        assert_eq!(t("strict $.a.b"), "strict $.\"a\".\"b\"");
        assert_eq!(t("-$.a + 2 * 3"), "(-$.\"a\" + 2 * 3)");
        assert_eq!(t("($.a + 2) * 3"), "(($.\"a\" + 2) * 3)");
        assert_eq!(t("$ ? (@ starts with $x)"), "$?(@ starts with $\"x\")");
        assert!(parse_jsonpath("@").is_err());
        assert!(parse_jsonpath("$.a ++").is_err());
    }
}
