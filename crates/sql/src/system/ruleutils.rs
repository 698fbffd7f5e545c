//! Stored expressions (column defaults, index expressions and predicates) printed the way
//! PostgreSQL's `ruleutils` prints the analyzed expressions it stores, for `pg_get_expr`,
//! `pg_get_indexdef`, `information_schema.columns.column_default` and the like.
//!
//! Basalt keeps such an expression as the text the user wrote (normalized by the parser's
//! deparser); PostgreSQL keeps it analyzed, so its text shows what analysis made of it:
//! every constant typed (`'ok'::mood`, `'x'::text`, `nextval('s'::regclass)`) except
//! non-negative integers and decimal numerics, SQL value functions in capitals
//! (`CURRENT_TIMESTAMP`), operators as their operator names (`~~` for LIKE), and a column
//! of type `varchar` or `char(n)` handed to a function or operator on `text` with its cast
//! (`lower((a)::text)`). Without `pretty` every operator is parenthesized; with it only
//! where precedence needs it. The walk covers constants, columns, casts, calls of the
//! functions whose signatures it knows (`nextval`, `lower`, `length`, `now`, ...),
//! comparisons, arithmetic, `||` and LIKE between operands whose types it knows, IN,
//! BETWEEN, AND / OR / NOT, NULL tests and SQL value functions. An expression with anything
//! else (another function, a domain column, an operator like `->>`) keeps the stored text
//! whole: what PostgreSQL would show there depends on casts this walk cannot see, and a
//! guess would be worse than the text as written.

use basalt_common::types::{CastContext, DataType, TypeContext, Value, cast, format_text};
use pg_query::protobuf::a_const::Val;
use pg_query::protobuf::node::Node as N;
use pg_query::protobuf::{self, AExprKind, BoolExprType, NullTestType, SqlValueFunctionOp};

use crate::catalog::{Catalog, Table};

/// `text` (a default, index expression or predicate of table `t`) as PostgreSQL prints it;
/// `expect` is the type the expression is assigned to (a column's, for a default).
pub fn expr_text(
    cat: &Catalog,
    t: Option<&Table>,
    text: &str,
    expect: Option<&DataType>,
    pretty: bool,
) -> String {
    try_expr_text(cat, t, text, expect, pretty).unwrap_or_else(|| text.to_string())
}

/// [`expr_text`], or `None` for an expression the walk does not cover.
pub fn try_expr_text(
    cat: &Catalog,
    t: Option<&Table>,
    text: &str,
    expect: Option<&DataType>,
    pretty: bool,
) -> Option<String> {
    let w = Walker { cat, t, pretty };
    parse(text)
        .and_then(|n| w.expr(&n, expect, Prec::Top))
        .map(|(s, _)| s)
}

/// Whether a default is PostgreSQL's "no default": a bare NULL (which it does not store).
pub fn is_null_default(text: &str) -> bool {
    matches!(parse(text).and_then(|n| n.node), Some(N::AConst(c)) if c.isnull)
}

fn parse(text: &str) -> Option<protobuf::Node> {
    let parsed = pg_query::parse(
        &format!("SELECT {text}"),
        pg_query::ParserOptions::default(),
    )
    .ok()?;
    let stmt = parsed.protobuf.stmts.first()?.stmt.as_deref()?;
    match stmt.node.as_ref()? {
        N::SelectStmt(sel) if sel.target_list.len() == 1 => {
            match sel.target_list.first()?.node.as_ref()? {
                N::ResTarget(rt) => rt.val.as_deref().cloned(),
                _ => None,
            }
        }
        _ => None,
    }
}

/// What an expression is printed inside, for the parentheses of pretty mode (PostgreSQL's
/// `isSimpleNode`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prec {
    /// The whole expression, or an argument of a function call.
    Top,
    /// An operand of AND, OR or NOT.
    Bool(BoolExprType),
    /// An operand of `+ - * / %`: of high priority (`* / %`) or not, left operand or not.
    Arith { high: bool, left: bool },
    /// An operand of any other operator (comparison, LIKE, `||`), or of IS [NOT] NULL.
    Op,
}

/// The type of a printed expression, when the walk knows it.
type Typed = (String, Option<DataType>);

struct Walker<'a> {
    cat: &'a Catalog,
    t: Option<&'a Table>,
    pretty: bool,
}

/// The functions on `text` that have a `bpchar` overload but none for `varchar`.
const BPCHAR_OVERLOADED: &[&str] = &["length", "char_length", "character_length", "octet_length"];

/// The functions on `text` whose argument of type `varchar` / `char(n)` PostgreSQL shows
/// with its cast (those without a `bpchar` or `varchar` overload).
const TEXT_FUNCTIONS: &[&str] = &[
    "lower",
    "upper",
    "initcap",
    "md5",
    "reverse",
    "btrim",
    "ltrim",
    "rtrim",
    "replace",
    "split_part",
    "substr",
    "left",
    "right",
    "strpos",
    "ascii",
    "to_tsvector",
];

impl Walker<'_> {
    fn paren(&self, s: String, needed: bool) -> String {
        if needed || !self.pretty {
            format!("({s})")
        } else {
            s
        }
    }

    /// Whether a boolean expression of kind `kind` needs parentheses in pretty mode inside
    /// `at`: AND and NOT inside AND or OR do not, OR only inside OR.
    fn bool_needs_parens(kind: BoolExprType, at: Prec) -> bool {
        match at {
            Prec::Top => false,
            Prec::Bool(parent) => match kind {
                BoolExprType::OrExpr => parent != BoolExprType::OrExpr,
                _ => parent == BoolExprType::NotExpr,
            },
            _ => true,
        }
    }

    /// Whether an operator expression (`arith`: of `+ - * / %`, `high`: of `* / %`) needs
    /// parentheses in pretty mode inside `at`.
    fn op_needs_parens(at: Prec, arith: Option<bool>) -> bool {
        match (at, arith) {
            (Prec::Top | Prec::Bool(_), _) => false,
            (
                Prec::Arith {
                    high: parent_high,
                    left,
                },
                Some(high),
            ) => !((high && !parent_high) || (high == parent_high && left)),
            _ => true,
        }
    }

    fn expr(&self, n: &protobuf::Node, expect: Option<&DataType>, at: Prec) -> Option<Typed> {
        match n.node.as_ref()? {
            N::AConst(c) => self.constant(c, expect),
            N::ColumnRef(c) => {
                let parts = crate::binder::names(&c.fields);
                if parts.len() != c.fields.len() {
                    return None;
                }
                let ty = match (parts.as_slice(), self.t) {
                    ([name], Some(t)) => {
                        let col = t.columns.iter().find(|col| col.name == *name)?;
                        // A domain's value is cast to its base type wherever it is used: a
                        // form this walk does not print.
                        if col.domain.is_some() {
                            return None;
                        }
                        Some(col.ty.clone())
                    }
                    _ => None,
                };
                let text = parts
                    .iter()
                    .map(|p| super::tables::quote_ident(p))
                    .collect::<Vec<_>>()
                    .join(".");
                Some((text, ty))
            }
            N::TypeCast(tc) => self.type_cast(tc),
            N::FuncCall(f) => self.func(f),
            N::SqlvalueFunction(f) => Some(sql_value_function(f)?),
            N::AExpr(e) => self.a_expr(e, at),
            N::BoolExpr(b) => {
                let kind = BoolExprType::try_from(b.boolop).ok()?;
                let needed = Self::bool_needs_parens(kind, at);
                let arg = |a| {
                    self.expr(a, Some(&DataType::Bool), Prec::Bool(kind))
                        .map(|x| x.0)
                };
                let s = match kind {
                    BoolExprType::AndExpr | BoolExprType::OrExpr => {
                        let args: Option<Vec<String>> = b.args.iter().map(arg).collect();
                        let sep = if kind == BoolExprType::AndExpr {
                            " AND "
                        } else {
                            " OR "
                        };
                        args?.join(sep)
                    }
                    _ => format!("NOT {}", arg(b.args.first()?)?),
                };
                Some((self.paren(s, needed), Some(DataType::Bool)))
            }
            N::NullTest(t) => {
                let arg = self.expr(t.arg.as_deref()?, None, Prec::Op)?;
                let s = if t.nulltesttype == NullTestType::IsNotNull as i32 {
                    format!("{} IS NOT NULL", arg.0)
                } else {
                    format!("{} IS NULL", arg.0)
                };
                Some((
                    self.paren(s, Self::op_needs_parens(at, None)),
                    Some(DataType::Bool),
                ))
            }
            _ => None,
        }
    }

    fn constant(&self, c: &protobuf::AConst, expect: Option<&DataType>) -> Option<Typed> {
        if c.isnull {
            return Some(("NULL".into(), None));
        }
        match c.val.as_ref()? {
            Val::Ival(i) => Some((int4_text(i.ival), Some(DataType::Int4))),
            Val::Fval(f) => {
                // An integer too wide for int4 is an int8 constant; the rest are numeric.
                if let Ok(i) = f.fval.parse::<i64>() {
                    return Some((format!("'{i}'::bigint"), Some(DataType::Int8)));
                }
                let v = cast(
                    &Value::Text(f.fval.clone()),
                    &DataType::Numeric(None),
                    CastContext::Explicit,
                    &TypeContext::default(),
                )
                .ok()?;
                Some((
                    const_text(&v, &DataType::Numeric(None), None)?,
                    v.data_type(),
                ))
            }
            Val::Boolval(b) => Some((b.boolval.to_string(), Some(DataType::Bool))),
            Val::Sval(s) => {
                let ty = expect.cloned().unwrap_or(DataType::Text);
                self.literal(&s.sval, &ty, None)
            }
            Val::Bsval(_) => None,
        }
    }

    /// An untyped literal coerced to `ty` (shown as `label`, or `ty` without its modifier).
    fn literal(&self, s: &str, ty: &DataType, label: Option<String>) -> Option<Typed> {
        let base = ty.without_typmod();
        let v = match &base {
            // User types keep the text as written (their input checked it).
            DataType::Enum(_) | DataType::Record(_) => Value::Text(s.to_string()),
            DataType::Reg(_) => Value::Text(s.to_string()),
            _ => cast(
                &Value::Text(s.to_string()),
                &base,
                CastContext::Explicit,
                &TypeContext::default(),
            )
            .ok()?,
        };
        Some((const_text(&v, &base, label)?, Some(base)))
    }

    fn type_name(&self, tn: &protobuf::TypeName) -> Option<(DataType, String, String)> {
        let parts = crate::binder::names(&tn.names);
        let name = match parts.as_slice() {
            [n] | [_, n] => n.clone(),
            _ => return None,
        };
        let mut mods = Vec::new();
        for m in &tn.typmods {
            match m.node.as_ref()? {
                N::AConst(protobuf::AConst {
                    val: Some(Val::Ival(i)),
                    ..
                }) => mods.push(i.ival),
                _ => return None,
            }
        }
        let array = !tn.array_bounds.is_empty();
        if let Ok(mut ty) = DataType::from_name(&name, &mods) {
            if array {
                ty = DataType::Array(Box::new(ty));
            }
            let full = ty.format_type();
            let bare = ty.without_typmod().format_type();
            return Some((ty, full, bare));
        }
        // A user type (enum, domain): shown by its name, qualified outside `public` as
        // format_type does (a dump restores the text with only `public` on the path).
        let schema = match parts.as_slice() {
            [s, _] => Some(self.cat.schema_oid(s)?),
            _ => None,
        };
        let in_schema = |sc: u32| schema.is_none_or(|s| s == sc);
        let found = self
            .cat
            .enums
            .values()
            .find(|e| e.name == name && in_schema(e.schema))
            .map(|e| e.schema)
            .or_else(|| {
                self.cat
                    .domains
                    .values()
                    .find(|d| d.name == name && in_schema(d.schema))
                    .map(|d| d.schema)
            });
        let sc = found?;
        if !mods.is_empty() {
            return None;
        }
        let name = self.cat.qualified_type_name(sc, &name);
        let shown = if array { format!("{name}[]") } else { name };
        Some((DataType::Text, shown.clone(), shown))
    }

    fn type_cast(&self, tc: &protobuf::TypeCast) -> Option<Typed> {
        let (ty, full, _) = self.type_name(tc.type_name.as_ref()?)?;
        let arg = tc.arg.as_deref()?;
        match arg.node.as_ref()? {
            // A cast of a literal is a constant of the type, modifier included.
            N::AConst(c) if matches!(c.val, Some(Val::Sval(_))) => {
                let Some(Val::Sval(s)) = &c.val else {
                    return None;
                };
                let (text, _) = self.literal(&s.sval, &ty, Some(full))?;
                Some((text, Some(ty)))
            }
            N::AConst(c) if matches!(c.val, Some(Val::Ival(_))) && ty == DataType::Int4 => {
                self.constant(c, None)
            }
            _ => {
                let (inner, from) = self.expr(arg, None, Prec::Top)?;
                if from.as_ref() == Some(&ty) {
                    return Some((inner, Some(ty)));
                }
                Some((
                    format!("{}::{full}", self.cast_operand(&inner, arg)),
                    Some(ty),
                ))
            }
        }
    }

    /// The operand of a `::` cast: a column or constant bare in pretty mode, else in
    /// parentheses.
    fn cast_operand(&self, text: &str, n: &protobuf::Node) -> String {
        let simple = matches!(
            n.node,
            Some(N::ColumnRef(_) | N::AConst(_) | N::FuncCall(_))
        );
        if self.pretty && simple {
            text.to_string()
        } else {
            format!("({text})")
        }
    }

    fn func(&self, f: &protobuf::FuncCall) -> Option<Typed> {
        let parts = crate::binder::names(&f.funcname);
        let name = match parts.as_slice() {
            [n] => n.clone(),
            [s, n] if s == "pg_catalog" => n.clone(),
            _ => return None,
        };
        if f.agg_star || f.agg_distinct || f.over.is_some() || !f.agg_order.is_empty() {
            return None;
        }
        let regclass = matches!(name.as_str(), "nextval" | "currval" | "setval");
        let text_like = |t: &Option<DataType>| {
            matches!(
                t,
                Some(DataType::Text | DataType::Varchar(_) | DataType::Bpchar(_))
            )
        };
        // Only functions whose parameter types are known here: the casts PostgreSQL shows
        // on other functions' arguments depend on their signatures.
        let zero_arg = |t: DataType| f.args.is_empty().then_some(t);
        let known = match name.as_str() {
            "now" | "clock_timestamp" | "statement_timestamp" | "transaction_timestamp" => {
                zero_arg(DataType::Timestamptz(None))
            }
            "gen_random_uuid" => zero_arg(DataType::Uuid),
            "random" | "pi" => zero_arg(DataType::Float8),
            "nextval" | "currval" | "setval" => Some(DataType::Int8),
            "length" | "char_length" | "character_length" | "octet_length" | "strpos" | "ascii" => {
                Some(DataType::Int4)
            }
            n if TEXT_FUNCTIONS.contains(&n) && n != "to_tsvector" => Some(DataType::Text),
            "abs" => Some(DataType::Unknown),
            _ => None,
        };
        let mut ret = known?;
        let mut args = Vec::new();
        for (i, a) in f.args.iter().enumerate() {
            let expect = if regclass && i == 0 {
                DataType::Reg(basalt_common::types::RegKind::Class)
            } else {
                DataType::Text
            };
            let (mut text, ty) = self.expr(a, Some(&expect), Prec::Top)?;
            let fits = match name.as_str() {
                "nextval" | "currval" => i == 0,
                "setval" => i == 0 || crate::binder::num_rank(ty.as_ref()?).is_some(),
                "abs" => {
                    ret = ty.clone()?;
                    crate::binder::num_rank(ty.as_ref()?).is_some()
                }
                _ => text_like(&ty) || ty == Some(DataType::Int4),
            };
            if !fits {
                return None;
            }
            let cast_text = match ty {
                Some(DataType::Varchar(_)) => {
                    TEXT_FUNCTIONS.contains(&name.as_str())
                        || BPCHAR_OVERLOADED.contains(&name.as_str())
                }
                Some(DataType::Bpchar(_)) => TEXT_FUNCTIONS.contains(&name.as_str()),
                _ => false,
            };
            if cast_text {
                text = format!("{}::text", self.cast_operand(&text, a));
            }
            args.push(text);
        }
        Some((format!("{name}({})", args.join(", ")), Some(ret)))
    }

    fn a_expr(&self, e: &protobuf::AExpr, at: Prec) -> Option<Typed> {
        let kind = AExprKind::try_from(e.kind).ok()?;
        let op = crate::binder::names(&e.name).join(".");
        let l = e.lexpr.as_deref();
        let r = e.rexpr.as_deref()?;
        match kind {
            AExprKind::AexprOp | AExprKind::AexprLike => {
                let Some(l) = l else {
                    let (rs, rt) = self.expr(r, None, Prec::Op)?;
                    let needed = Self::op_needs_parens(at, None);
                    return Some((self.paren(format!("{op} {rs}"), needed), rt));
                };
                self.binary(&op, l, r, at)
            }
            AExprKind::AexprBetween | AExprKind::AexprNotBetween => {
                let l = l?;
                let Some(N::List(bounds)) = r.node.as_ref() else {
                    return None;
                };
                let [lo, hi] = bounds.items.as_slice() else {
                    return None;
                };
                let not = kind == AExprKind::AexprNotBetween;
                let (join, ops) = if not {
                    (BoolExprType::OrExpr, ["<", ">"])
                } else {
                    (BoolExprType::AndExpr, [">=", "<="])
                };
                let a = self.binary(ops[0], l, lo, Prec::Bool(join))?.0;
                let b = self.binary(ops[1], l, hi, Prec::Bool(join))?.0;
                let sep = if not { " OR " } else { " AND " };
                let needed = Self::bool_needs_parens(join, at);
                Some((
                    self.paren(format!("{a}{sep}{b}"), needed),
                    Some(DataType::Bool),
                ))
            }
            AExprKind::AexprIn => {
                let l = l?;
                let Some(N::List(items)) = r.node.as_ref() else {
                    return None;
                };
                let (cmp, quant) = if op == "=" {
                    ("=", "ANY")
                } else {
                    ("<>", "ALL")
                };
                // One element is a plain comparison.
                if let [only] = items.items.as_slice() {
                    return self.binary(cmp, l, only, at);
                }
                let (ls, lt) = self.expr(l, None, Prec::Op)?;
                let lt = Some(lt?.without_typmod());
                // A varchar operand makes an array cast this walk does not print.
                if matches!(lt, Some(DataType::Varchar(_))) {
                    return None;
                }
                let mut elems = Vec::new();
                for i in &items.items {
                    let (s, t) = self.expr(i, lt.as_ref(), Prec::Top)?;
                    // Elements of another type would be cast: not printed here.
                    if t.map(|t| t.without_typmod()) != lt {
                        return None;
                    }
                    elems.push(s);
                }
                let s = format!("{ls} {cmp} {quant} (ARRAY[{}])", elems.join(", "));
                Some((
                    self.paren(s, Self::op_needs_parens(at, None)),
                    Some(DataType::Bool),
                ))
            }
            _ => None,
        }
    }

    /// `l op r`, with an untyped literal taking the other operand's type, `varchar`
    /// operands cast to `text` and a numeric operand of lower rank cast to the other's type.
    fn binary(&self, op: &str, l: &protobuf::Node, r: &protobuf::Node, at: Prec) -> Option<Typed> {
        let cmp = matches!(op, "=" | "<>" | "<" | ">" | "<=" | ">=");
        let arith = matches!(op, "+" | "-" | "*" | "/" | "%");
        let high = matches!(op, "*" | "/" | "%");
        let text_op = matches!(op, "~~" | "!~~" | "~~*" | "!~~*" | "||");
        let side = |left: bool| {
            if arith {
                Prec::Arith { high, left }
            } else {
                Prec::Op
            }
        };
        if !(cmp || arith || text_op) {
            return None;
        }
        let lt = self.expr(l, None, side(true))?.1;
        let rt = self.expr(r, None, side(false))?.1;
        let pick = |other: &Option<DataType>| -> DataType {
            match other {
                _ if text_op => DataType::Text,
                Some(DataType::Varchar(_)) | None => DataType::Text,
                Some(t) => t.without_typmod(),
            }
        };
        let (mut ls, lty) = self.expr(l, Some(&pick(&rt)), side(true))?;
        let (mut rs, rty) = self.expr(r, Some(&pick(&lt)), side(false))?;
        // Only operand types whose operator and casts are known here.
        let (Some(lb), Some(rb)) = (
            lty.as_ref().map(DataType::without_typmod),
            rty.as_ref().map(DataType::without_typmod),
        ) else {
            return None;
        };
        let textish = |t: &DataType| {
            matches!(
                t,
                DataType::Text | DataType::Varchar(_) | DataType::Bpchar(_)
            )
        };
        let numeric =
            crate::binder::num_rank(&lb).is_some() && crate::binder::num_rank(&rb).is_some();
        let both_text = textish(&lb) && textish(&rb);
        let fits = if arith {
            numeric
        } else if text_op {
            both_text
        } else {
            lb == rb || numeric || both_text
        };
        if !fits {
            return None;
        }
        // bpchar has its own comparisons; against text or varchar it is cast to text.
        let mixed_bpchar = both_text && (lb != rb);
        let varchar = |t: &Option<DataType>| {
            matches!(t, Some(DataType::Varchar(_)))
                || ((text_op || mixed_bpchar) && matches!(t, Some(DataType::Bpchar(_))))
        };
        if varchar(&lty) {
            ls = format!("{}::text", self.cast_operand(&ls, l));
        }
        if varchar(&rty) {
            rs = format!("{}::text", self.cast_operand(&rs, r));
        }
        let mut ty = lty.clone().or(rty.clone());
        if let (Some(a), Some(b)) = (&lty, &rty) {
            match (crate::binder::num_rank(a), crate::binder::num_rank(b)) {
                (Some(x), Some(y)) if x != y && (x > 3 || y > 3) => {
                    let (wide, promote_left) = if x > y { (a, false) } else { (b, true) };
                    // real has operators with double precision only: the other side
                    // becomes double precision, the preferred type of the category.
                    let target = match wide {
                        DataType::Float4 => DataType::Float8,
                        w => w.without_typmod(),
                    };
                    let name = target.format_type();
                    if promote_left {
                        ls = format!("{}::{name}", self.cast_operand(&ls, l));
                    } else {
                        rs = format!("{}::{name}", self.cast_operand(&rs, r));
                    }
                    ty = Some(target);
                }
                (Some(x), Some(y)) if x < y => ty = rty.clone(),
                _ => {}
            }
        }
        let ty = if cmp || (text_op && op != "||") {
            Some(DataType::Bool)
        } else if op == "||" {
            Some(DataType::Text)
        } else {
            ty
        };
        let needed = Self::op_needs_parens(at, arith.then_some(high));
        Some((self.paren(format!("{ls} {op} {rs}"), needed), ty))
    }
}

/// An int4 constant: bare unless negative (`'-1'::integer` re-parses as a constant).
fn int4_text(i: i32) -> String {
    if i < 0 {
        format!("'{i}'::integer")
    } else {
        i.to_string()
    }
}

/// A constant of type `ty` as `get_const_expr` prints it; `label` replaces the type name.
fn const_text(v: &Value, ty: &DataType, label: Option<String>) -> Option<String> {
    let text = match v {
        Value::Null => return Some("NULL".into()),
        Value::Text(s) => s.clone(),
        other => format_text(other, &TypeContext::default())?,
    };
    let label = label.unwrap_or_else(|| ty.without_typmod().format_type());
    let quoted = format!("'{}'", text.replace('\'', "''"));
    Some(match ty {
        DataType::Bool => text_bool(&text),
        DataType::Int4 if !text.starts_with('-') && label == "integer" => text,
        // A numeric is bare when it reads as a non-negative decimal (PostgreSQL's isfloat).
        DataType::Numeric(None)
            if text.starts_with(|c: char| c.is_ascii_digit())
                && text.contains('.')
                && label == "numeric" =>
        {
            text
        }
        _ => format!("{quoted}::{label}"),
    })
}

fn text_bool(t: &str) -> String {
    if t == "t" || t == "true" {
        "true".into()
    } else {
        "false".into()
    }
}

fn sql_value_function(f: &protobuf::SqlValueFunction) -> Option<Typed> {
    use SqlValueFunctionOp as O;
    let op = O::try_from(f.op).ok()?;
    let n = |name: &str| -> String {
        if f.typmod >= 0 {
            format!("{name}({})", f.typmod)
        } else {
            name.to_string()
        }
    };
    Some(match op {
        O::SvfopCurrentDate => ("CURRENT_DATE".into(), Some(DataType::Date)),
        O::SvfopCurrentTime | O::SvfopCurrentTimeN => {
            (n("CURRENT_TIME"), Some(DataType::TimeTz(None)))
        }
        O::SvfopCurrentTimestamp | O::SvfopCurrentTimestampN => {
            (n("CURRENT_TIMESTAMP"), Some(DataType::Timestamptz(None)))
        }
        O::SvfopLocaltime | O::SvfopLocaltimeN => (n("LOCALTIME"), Some(DataType::Time(None))),
        O::SvfopLocaltimestamp | O::SvfopLocaltimestampN => {
            (n("LOCALTIMESTAMP"), Some(DataType::Timestamp(None)))
        }
        O::SvfopCurrentRole => ("CURRENT_ROLE".into(), Some(DataType::Name)),
        O::SvfopCurrentUser => ("CURRENT_USER".into(), Some(DataType::Name)),
        O::SvfopUser => ("USER".into(), Some(DataType::Name)),
        O::SvfopSessionUser => ("SESSION_USER".into(), Some(DataType::Name)),
        O::SvfopCurrentCatalog => ("CURRENT_CATALOG".into(), Some(DataType::Name)),
        O::SvfopCurrentSchema => ("CURRENT_SCHEMA".into(), Some(DataType::Name)),
        O::SqlvalueFunctionOpUndefined => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(text: &str, expect: Option<&DataType>) -> String {
        expr_text(&Catalog::default(), None, text, expect, false)
    }

    #[test]
    fn constants_as_postgres_prints_them() {
        let int8 = DataType::Int8;
        let num = DataType::Numeric(None);
        assert_eq!(show("-1", Some(&DataType::Int4)), "'-1'::integer");
        assert_eq!(show("5", Some(&int8)), "5");
        assert_eq!(show("'7'", Some(&int8)), "'7'::bigint");
        assert_eq!(show("'5'", Some(&num)), "'5'::numeric");
        assert_eq!(show("'5.5'", Some(&num)), "5.5");
        assert_eq!(show("1e3", Some(&num)), "'1000'::numeric");
        assert_eq!(show("-1.5", Some(&num)), "'-1.5'::numeric");
        assert_eq!(
            show("'x'", Some(&DataType::Varchar(Some(20)))),
            "'x'::character varying"
        );
        assert_eq!(show("'z'", Some(&DataType::Bpchar(Some(3)))), "'z'::bpchar");
        assert_eq!(show("'it''s'", Some(&DataType::Text)), "'it''s'::text");
        assert_eq!(
            show("'2020-01-01'", Some(&DataType::Timestamptz(None))),
            "'2020-01-01 00:00:00+00'::timestamp with time zone"
        );
        assert_eq!(
            show("'{1,2}'", Some(&DataType::Array(Box::new(DataType::Int4)))),
            "'{1,2}'::integer[]"
        );
        assert_eq!(show("'true'", Some(&DataType::Bool)), "true");
        assert_eq!(show("5000000000", Some(&int8)), "'5000000000'::bigint");
    }

    #[test]
    fn calls_casts_and_operators() {
        assert_eq!(show("nextval('sq')", None), "nextval('sq'::regclass)");
        assert_eq!(show("lower('ABC')", None), "lower('ABC'::text)");
        assert_eq!(show("current_timestamp", None), "CURRENT_TIMESTAMP");
        assert_eq!(show("now()", None), "now()");
        assert_eq!(show("1 + 2", None), "(1 + 2)");
        assert_eq!(show("(2 * 3) + 1", None), "((2 * 3) + 1)");
        assert_eq!(show("'a' || 'b'", None), "('a'::text || 'b'::text)");
        assert_eq!(show("'q'::varchar(10)", None), "'q'::character varying(10)");
        assert_eq!(show("2::int", None), "2");
        assert_eq!(show("5::text", None), "(5)::text");
        assert_eq!(show("abs(-3)", None), "abs('-3'::integer)");
        assert_eq!(show("x IS NOT NULL", None), "(x IS NOT NULL)");
        // Forms whose casts depend on signatures this walk does not know keep their text.
        assert_eq!(
            show("date_part('year', now())", None),
            "date_part('year', now())"
        );
        assert_eq!(show("j ->> 'k'", None), "j ->> 'k'");
        assert_eq!(show("now() > x", None), "now() > x");
        assert!(is_null_default("NULL"));
        assert!(!is_null_default("'x'"));
    }
}
